//! Parameter paths: the dotted names (`intervention.NAME.reach`, …) by
//! which scenario overrides, areas' local figures, goal seeking and the
//! workshop page name one kind of number. A path is read once into a
//! [`ParamPath`]; the names in it are looked up in a model when it is used
//! (`scenario::overrides`).

use std::fmt;
use std::str::FromStr;

/// The forms a path can take, for messages.
pub const PATH_FORMS: &str = "discount_rate, entries.people, transition.BAND.FROM.TO, exit.BAND.LEVEL, \
service.NAME.unit_cost, service.NAME.use.LEVEL, service.NAME.capacity, intervention.NAME.FIELD, \
intervention.NAME.relative_risk.FROM.TO, intervention.NAME.multiplier.SERVICE, \
intervention.NAME.add_capacity.SERVICE, places.LEVEL, intervention.NAME.add_places.LEVEL (BAND may be `*`)";

/// A parameter path as written: which kind of number it names, with the
/// names in it (band, level, service, intervention) not yet looked up.
/// Its `Display` is the path as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamPath {
    /// `discount_rate`
    DiscountRate,
    /// `entries.people`
    EntriesPeople,
    /// `transition.BAND.FROM.TO`: `band` may be `*` (every band), `to` may be `exit`.
    Transition { band: String, from: String, to: String },
    /// `exit.BAND.LEVEL`: `band` may be `*`.
    Exit { band: String, level: String },
    /// `service.NAME.unit_cost`
    UnitCost { service: String },
    /// `service.NAME.use.LEVEL`: the use rate in every band.
    UseRate { service: String, level: String },
    /// `service.NAME.capacity`: activity a year, in every year.
    Capacity { service: String },
    /// `outcomes.utility.LEVEL`: the level's quality weight in every band.
    Utility { level: String },
    /// `intervention.NAME.FIELD`
    Intervention { name: String, field: InterventionField },
    /// `intervention.NAME.relative_risk.FROM.TO`: `to` may be `exit`.
    RelativeRisk {
        intervention: String,
        from: String,
        to: String,
    },
    /// `intervention.NAME.multiplier.SERVICE`
    Multiplier { intervention: String, service: String },
    /// `intervention.NAME.add_capacity.SERVICE`: the capacity (activity a
    /// year) one of its effects adds to a service.
    AddCapacity { intervention: String, service: String },
    /// `places.LEVEL`: the places of a level with a limit, in every year.
    Places { level: String },
    /// `intervention.NAME.add_places.LEVEL`: the places one of its effects
    /// adds to a level.
    AddPlaces { intervention: String, level: String },
}

/// The numbers of an intervention that a path can name directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterventionField {
    Reach,
    Places,
    StartYear,
    RampYears,
    EndYear,
    Fidelity,
    CostPerParticipant,
    FixedCost,
    CostAtStart,
    LagYears,
    /// The share delivered by qualified practitioners (`workforce.qualified`).
    Qualified,
}

impl InterventionField {
    /// Every field, in the order messages list them.
    pub const ALL: [InterventionField; 11] = [
        Self::Reach,
        Self::Places,
        Self::StartYear,
        Self::RampYears,
        Self::EndYear,
        Self::Fidelity,
        Self::CostPerParticipant,
        Self::FixedCost,
        Self::CostAtStart,
        Self::LagYears,
        Self::Qualified,
    ];

    /// The field as a path writes it.
    pub fn key(self) -> &'static str {
        match self {
            Self::Reach => "reach",
            Self::Places => "places",
            Self::StartYear => "start_year",
            Self::RampYears => "ramp_years",
            Self::EndYear => "end_year",
            Self::Fidelity => "fidelity",
            Self::CostPerParticipant => "cost_per_participant",
            Self::FixedCost => "fixed_cost",
            Self::CostAtStart => "cost_at_start",
            Self::LagYears => "lag_years",
            Self::Qualified => "qualified",
        }
    }
}

/// Why text is not a parameter path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// Not one of the forms ([`PATH_FORMS`]); the text as written.
    NotAPath(String),
    /// `intervention.NAME.FIELD` with a FIELD that is none of
    /// [`InterventionField::ALL`].
    UnknownField { intervention: String, field: String },
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::NotAPath(path) => write!(f, "`{path}` is not a parameter path; the forms are {PATH_FORMS}"),
            PathError::UnknownField { field, .. } => {
                let valid: Vec<&str> = InterventionField::ALL.iter().map(|f| f.key()).collect();
                write!(
                    f,
                    "`{field}` is not an intervention field that can be overridden; valid: {}",
                    valid.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for PathError {}

impl ParamPath {
    /// Reads a dotted path. Names are split at every dot (names cannot
    /// contain one) and taken as written.
    pub fn parse(text: &str) -> Result<ParamPath, PathError> {
        let s = |x: &&str| x.to_string();
        let parts: Vec<&str> = text.split('.').collect();
        Ok(match parts.as_slice() {
            ["discount_rate"] => ParamPath::DiscountRate,
            ["entries", "people"] => ParamPath::EntriesPeople,
            ["transition", band, from, to] => ParamPath::Transition {
                band: s(band),
                from: s(from),
                to: s(to),
            },
            ["exit", band, level] => ParamPath::Exit {
                band: s(band),
                level: s(level),
            },
            ["service", service, "unit_cost"] => ParamPath::UnitCost { service: s(service) },
            ["service", service, "capacity"] => ParamPath::Capacity { service: s(service) },
            ["service", service, "use", level] => ParamPath::UseRate {
                service: s(service),
                level: s(level),
            },
            ["intervention", name, field] => match InterventionField::ALL.into_iter().find(|f| f.key() == *field) {
                Some(field) => ParamPath::Intervention { name: s(name), field },
                None => {
                    return Err(PathError::UnknownField {
                        intervention: s(name),
                        field: s(field),
                    });
                }
            },
            ["intervention", name, "relative_risk", from, to] => ParamPath::RelativeRisk {
                intervention: s(name),
                from: s(from),
                to: s(to),
            },
            ["intervention", name, "multiplier", service] => ParamPath::Multiplier {
                intervention: s(name),
                service: s(service),
            },
            ["intervention", name, "add_capacity", service] => ParamPath::AddCapacity {
                intervention: s(name),
                service: s(service),
            },
            ["places", level] => ParamPath::Places { level: s(level) },
            ["outcomes", "utility", level] => ParamPath::Utility { level: s(level) },
            ["intervention", name, "add_places", level] => ParamPath::AddPlaces {
                intervention: s(name),
                level: s(level),
            },
            _ => return Err(PathError::NotAPath(text.to_string())),
        })
    }
}

impl FromStr for ParamPath {
    type Err = PathError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ParamPath::parse(text)
    }
}

impl fmt::Display for ParamPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamPath::DiscountRate => write!(f, "discount_rate"),
            ParamPath::EntriesPeople => write!(f, "entries.people"),
            ParamPath::Transition { band, from, to } => write!(f, "transition.{band}.{from}.{to}"),
            ParamPath::Exit { band, level } => write!(f, "exit.{band}.{level}"),
            ParamPath::UnitCost { service } => write!(f, "service.{service}.unit_cost"),
            ParamPath::UseRate { service, level } => write!(f, "service.{service}.use.{level}"),
            ParamPath::Capacity { service } => write!(f, "service.{service}.capacity"),
            ParamPath::Intervention { name, field } => write!(f, "intervention.{name}.{}", field.key()),
            ParamPath::RelativeRisk { intervention, from, to } => {
                write!(f, "intervention.{intervention}.relative_risk.{from}.{to}")
            }
            ParamPath::Multiplier { intervention, service } => {
                write!(f, "intervention.{intervention}.multiplier.{service}")
            }
            ParamPath::AddCapacity { intervention, service } => {
                write!(f, "intervention.{intervention}.add_capacity.{service}")
            }
            ParamPath::Places { level } => write!(f, "places.{level}"),
            ParamPath::Utility { level } => write!(f, "outcomes.utility.{level}"),
            ParamPath::AddPlaces { intervention, level } => {
                write!(f, "intervention.{intervention}.add_places.{level}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_back_as_written() {
        for text in [
            "discount_rate",
            "entries.people",
            "transition.*.At risk.exit",
            "exit.85+.Complex",
            "service.GP.unit_cost",
            "service.GP.use.Healthy",
            "service.Home care.capacity",
            "intervention.Falls prevention.reach",
            "intervention.Falls prevention.qualified",
            "intervention.Falls prevention.relative_risk.At risk.Substantial",
            "intervention.Falls prevention.multiplier.A&E attendance",
            "intervention.Extra reablement.add_capacity.Reablement episode",
            "places.Care home",
            "intervention.New home.add_places.Care home",
            "intervention..start_year",
        ] {
            let path = ParamPath::parse(text).unwrap();
            assert_eq!(path.to_string(), text);
            assert_eq!(text.parse::<ParamPath>(), Ok(path));
        }
    }

    #[test]
    fn other_text_is_refused_with_the_forms() {
        for text in [
            "",
            "discount",
            "service.GP.colour",
            "exit.85+",
            "intervention.X.use.Y",
            "a.b.c.d.e.f",
        ] {
            let e = ParamPath::parse(text).unwrap_err();
            assert_eq!(e, PathError::NotAPath(text.to_string()));
            assert!(
                e.to_string()
                    .starts_with(&format!("`{text}` is not a parameter path; the forms are "))
            );
        }
        let e = ParamPath::parse("intervention.Coaching.cost").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`cost` is not an intervention field that can be overridden; valid: reach, places, start_year, ramp_years, end_year, fidelity, cost_per_participant, fixed_cost, cost_at_start, lag_years, qualified"
        );
    }
}
