//! The scenario file exactly as written: serde-shaped, with the position of
//! every value kept so that validation can name the line at fault.

use crate::model::{DiscountTiming, Occupancy, Tier, TransitionMode};
use serde::Deserialize;
use serde::de::{self, Deserializer};
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub model: RawModel,
    #[serde(default)]
    pub bands: Vec<Spanned<RawBand>>,
    #[serde(default)]
    pub population: Vec<Spanned<RawPopulation>>,
    pub population_csv: Option<Spanned<String>>,
    #[serde(default)]
    pub transitions: Vec<Spanned<RawTransition>>,
    pub transitions_csv: Option<Spanned<String>>,
    #[serde(default)]
    pub exits: Vec<Spanned<RawExit>>,
    pub exits_csv: Option<Spanned<String>>,
    pub entries: Option<Spanned<RawEntries>>,
    pub projection_csv: Option<Spanned<String>>,
    #[serde(default)]
    pub services: Vec<Spanned<RawService>>,
    #[serde(default)]
    pub interventions: Vec<Spanned<RawIntervention>>,
    #[serde(default)]
    pub scenarios: Vec<Spanned<RawScenario>>,
    #[serde(default)]
    pub budgets: Vec<Spanned<RawBudget>>,
    #[serde(default)]
    pub places: Vec<Spanned<RawPlaces>>,
    #[serde(default)]
    pub contracts: Vec<Spanned<RawContract>>,
    #[serde(default)]
    pub pooled_budgets: Vec<Spanned<RawPooledBudget>>,
    pub monte_carlo: Option<RawMonteCarlo>,
    pub areas: Option<Spanned<RawAreas>>,
    pub maturity: Option<Spanned<RawMaturity>>,
    pub outcomes: Option<Spanned<RawOutcomes>>,
    /// `[life_table]`: mortality by single year of age, as one-year bands.
    pub life_table: Option<Spanned<RawLifeTable>>,
}

/// `[life_table]`: a table `age,probability` of the annual probability of
/// dying at each single year of age; the model's bands are its ages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLifeTable {
    pub csv: Spanned<String>,
    /// The levels whose exit it is (default: every level).
    pub levels: Option<Vec<String>>,
}

/// `[outcomes]`: quality weights by level (or band and level) and how
/// health is counted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutcomes {
    /// `{ level = weight, ... }`: each level's weight in every band.
    pub utility: Option<BTreeMap<String, Spanned<ByYear>>>,
    /// `band,level,utility[,year][,rel_sd]`.
    pub utility_csv: Option<Spanned<String>>,
    /// Health's own discount rate (default: the model's).
    pub discount_rate: Option<Spanned<f64>>,
    /// The age life expectancy is reported at: a band's lower age
    /// (default: the first band's).
    pub life_expectancy_age: Option<Spanned<f64>>,
    /// Levels counted as healthy (default: the first level).
    pub healthy_levels: Option<Spanned<Vec<String>>>,
    /// Money a QALY is worth (default: 20,000 and 30,000).
    pub willingness_to_pay: Option<Spanned<Vec<f64>>>,
    /// Groups of uncertain inputs (labels or `group` names) whose EVPPI is
    /// wanted together, each of 1 to 4.
    pub evppi: Option<Spanned<Vec<Vec<String>>>>,
    /// Quality weights outside [−1, 1] accepted (default: refused).
    pub allow_utility_outside_range: Option<bool>,
    /// Report the closed cohort's own life expectancy (to the horizon).
    pub cohort_life_expectancy: Option<Spanned<bool>>,
}

/// `[maturity]`: self-assessments shown beside the model, and (optional,
/// off by default) their link to the interventions' fidelity.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMaturity {
    /// Assessment files, oldest first (the last is the current one).
    pub assessments: Vec<String>,
    /// Units whose lowest level sets the fidelity factor (default 7.2 and 3).
    pub fidelity_from: Option<Vec<String>>,
    /// The factor on every intervention's fidelity at levels 0–4; absent: no link.
    pub fidelity_by_level: Option<Vec<f64>>,
}

/// `[areas]`: localities, each with its own people and local figures.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAreas {
    /// `code,name[,parent]`.
    pub csv: Spanned<String>,
    /// `area,band,level,people`.
    pub population_csv: Spanned<String>,
    /// `area,people[,year]`: entries per area (default: the file's entries
    /// split by each area's share of the first band's people).
    pub entries_csv: Option<Spanned<String>>,
    /// `area,path,value,scale`: per-area settings (`value`) or multipliers
    /// (`scale`) of any parameter path.
    pub parameters_csv: Option<Spanned<String>>,
    /// `area,year,band,people`: each area's population projection (its
    /// do-nothing run is calibrated to it).
    pub projection_csv: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMonteCarlo {
    pub draws: Option<Spanned<i64>>,
    pub seed: Option<Spanned<i64>>,
    pub percentiles: Option<Spanned<Vec<f64>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    pub name: String,
    pub start_year: Spanned<i64>,
    pub horizon_years: Spanned<i64>,
    pub steps_per_year: Option<Spanned<i64>>,
    pub currency: Option<String>,
    pub price_base_year: Option<Spanned<i64>>,
    pub discount_rate: Option<Spanned<RawNumber>>,
    pub discount_timing: Option<Spanned<DiscountTiming>>,
    pub occupancy: Option<Spanned<Occupancy>>,
    /// A weight per time point (`occupancy = "weights"`), inline.
    pub occupancy_weights: Option<Spanned<Vec<Spanned<f64>>>>,
    /// The same, from a table with a `weight` column.
    pub occupancy_weights_csv: Option<Spanned<String>>,
    pub transition_mode: Option<TransitionMode>,
    /// `annual_matrix` only: moves are probabilities among those who do not exit.
    pub transitions_given_survival: Option<Spanned<bool>>,
    pub levels: Spanned<Vec<Spanned<String>>>,
    /// Levels split into yearly tunnels: level → number of tunnels.
    pub tunnels: Option<Spanned<BTreeMap<String, Spanned<i64>>>>,
    /// How the outputs show a level with tunnels: "summed" or "each".
    pub tunnel_outputs: Option<Spanned<String>>,
    /// Outcome domains interventions may declare (pathway maps by domain).
    pub domains: Option<Spanned<Vec<String>>>,
    /// A file with the model's own evidence scale (default: the bundled one).
    pub evidence_scale: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBand {
    pub name: String,
    pub lower: f64,
    pub upper: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPopulation {
    pub band: String,
    pub people: Option<Spanned<RawNumber>>,
    pub mix: Option<BTreeMap<String, Spanned<RawNumber>>>,
    pub counts: Option<BTreeMap<String, Spanned<RawNumber>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTransition {
    pub bands: Option<Vec<String>>,
    pub from: String,
    pub to: String,
    pub probability: ByYear,
    /// For a level with tunnels: the year in it this applies to.
    pub years_in_level: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExit {
    pub bands: Option<Vec<String>>,
    pub levels: Option<Vec<String>>,
    pub probability: ByYear,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEntries {
    pub people: ByYear,
    pub mix: BTreeMap<String, Spanned<RawNumber>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub name: String,
    pub tier: Tier,
    pub funder: String,
    pub unit_cost: Spanned<RawNumber>,
    pub description: Option<String>,
    #[serde(rename = "use")]
    pub use_rate: Option<BTreeMap<String, Spanned<ByYear>>>,
    pub use_csv: Option<Spanned<String>>,
    /// Units of activity for each person entering a level (a procedure, a
    /// placement's set-up), by level.
    pub on_entry: Option<Spanned<BTreeMap<String, Spanned<ByYear>>>>,
    /// Units of activity for each person in a level when the model starts
    /// (an operation at time 0), by level.
    pub at_start: Option<Spanned<BTreeMap<String, Spanned<ByYear>>>>,
    /// Activity it can deliver a year (README, "The supply side").
    pub capacity: Option<Spanned<ByYear>>,
    /// A table (`year,capacity[,rel_sd]`) of the capacity by year.
    pub capacity_csv: Option<Spanned<String>>,
    /// Money a year for the service: its capacity is this ÷ its unit cost.
    pub capacity_budget: Option<Spanned<ByYear>>,
    /// What demand beyond `capacity` does: shares that sum to 1.
    pub when_full: Option<Spanned<RawWhenFull>>,
    /// The service that takes the `divert` share.
    pub divert_to: Option<Spanned<String>>,
    /// The receiver's activity per unit diverted.
    pub divert_ratio: Option<Spanned<f64>>,
    /// Annual probability of leaving the waiting list unserved.
    pub renege: Option<Spanned<f64>>,
    /// The wait whose breach is reported, in weeks.
    pub target_wait_weeks: Option<Spanned<f64>>,
    /// Relative risks on moves between levels while demand is unmet.
    pub while_unmet: Option<Spanned<Vec<Spanned<RawUnmetEffect>>>>,
}

/// `{ from = "Substantial", to = "Complex", relative_risk = 1.4 }` in a
/// service's `while_unmet`: the move `from → to` of a cell whose demand for
/// the service is unmet is multiplied by the relative risk, for the unmet share.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUnmetEffect {
    pub from: String,
    pub to: String,
    /// A plain number in this build (a distribution is refused with a message).
    pub relative_risk: RawNumber,
}

/// `[[budgets]]`: a funder's money a year, in price-base-year prices.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBudget {
    pub funder: Spanned<String>,
    pub per_year: Spanned<ByYear>,
}

/// `[[contracts]]`: an outcomes contract (README, "Paying for the shift").
/// Its terms are plain numbers: a contract is agreed, not uncertain.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawContract {
    pub name: Spanned<String>,
    pub intervention: Spanned<String>,
    pub start_year: Spanned<i64>,
    pub years: Spanned<i64>,
    pub payment_lag_years: Option<Spanned<i64>>,
    pub cap: Option<Spanned<f64>>,
    pub cap_per_participant: Option<Spanned<f64>>,
    pub delivery_fee_share: Option<Spanned<f64>>,
    /// Payer name → share of every payment.
    pub payers: Spanned<BTreeMap<String, Spanned<f64>>>,
    #[serde(default)]
    pub tariffs: Vec<Spanned<RawTariff>>,
}

/// `[[contracts.tariffs]]`: a price per outcome.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTariff {
    /// `moved`, `entries_avoided`, `activity_avoided` or `sustained`.
    pub outcome: Spanned<String>,
    pub from: Option<Spanned<String>>,
    pub to: Option<Spanned<String>>,
    pub level: Option<Spanned<String>>,
    pub service: Option<Spanned<String>>,
    pub price: Spanned<f64>,
    /// `once` (the default) or `repeated`.
    pub claim: Option<Spanned<String>>,
    /// A fixed baseline (a count a year) instead of do-nothing.
    pub baseline: Option<Spanned<f64>>,
}

/// `[[pooled_budgets]]`: partners paying for interventions together and
/// sharing the savings back.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPooledBudget {
    pub name: Spanned<String>,
    pub interventions: Spanned<Vec<Spanned<String>>>,
    /// Partner (a funder) → share of the pool's cost.
    pub contributions: Spanned<BTreeMap<String, Spanned<f64>>>,
    /// `pro_rata` (the default) or `fixed`.
    pub share_savings: Option<Spanned<String>>,
    /// With `fixed`: partner → share of the savings.
    pub savings_shares: Option<Spanned<BTreeMap<String, Spanned<f64>>>>,
}

/// `[[places]]`: a need level that holds at most `places` people (README,
/// "Levels with a limited number of places").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlaces {
    pub level: Spanned<String>,
    /// People it can hold: a number, a distribution, or by year.
    pub places: Spanned<ByYear>,
    /// Multipliers on services' use by the people waiting for a place.
    pub while_waiting: Option<Spanned<Vec<Spanned<RawWaitingUse>>>>,
}

/// One entry of `while_waiting`: a use multiplier, `{ service = "Emergency
/// admission", multiplier = 1.5 }`, or a relative risk on a move of the
/// people waiting, `{ from = "Complex", to = "Substantial", relative_risk =
/// 0.8 }`; which one is told by its keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWaitingUse {
    pub service: Option<String>,
    /// A plain number in this build.
    pub multiplier: Option<RawNumber>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// A plain number in this build.
    pub relative_risk: Option<RawNumber>,
}

/// `when_full = { wait = 0.6, divert = 0.4, lost = 0 }`: shares of the
/// demand a full service cannot serve; a share left out is 0.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWhenFull {
    pub wait: Option<Spanned<f64>>,
    pub divert: Option<Spanned<f64>>,
    pub lost: Option<Spanned<f64>>,
}

/// The ages an intervention's evidence covers: from (inclusive) to (exclusive).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAges {
    pub from: Option<f64>,
    pub to: Option<f64>,
}

/// `optimism_bias = true` (the rating's figure) or a share.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawOptimism {
    Rating(bool),
    Share(f64),
}

/// Delivery by qualified practitioners.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkforce {
    /// Share of delivery by practitioners with the qualification the programme needs.
    pub qualified: f64,
    /// Fidelity of the rest, relative to qualified delivery.
    pub unqualified_fidelity: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIntervention {
    pub name: String,
    pub description: Option<String>,
    pub funder: String,
    pub tier: Tier,
    pub evidence: Option<String>,
    pub evidence_rating: Option<Spanned<i64>>,
    pub evidence_ages: Option<Spanned<RawAges>>,
    pub optimism_bias: Option<Spanned<RawOptimism>>,
    pub domains: Option<Spanned<Vec<String>>>,
    pub workforce: Option<Spanned<RawWorkforce>>,
    pub target_bands: Option<Spanned<Vec<String>>>,
    /// Required unless every effect adds capacity.
    pub target_levels: Option<Spanned<Vec<String>>>,
    pub reach: Option<Spanned<RawNumber>>,
    pub places: Option<Spanned<RawNumber>>,
    pub start_year: Spanned<i64>,
    pub ramp_years: Option<Spanned<f64>>,
    pub end_year: Option<Spanned<i64>>,
    pub fidelity: Option<Spanned<RawNumber>>,
    pub cost_per_participant: Option<Spanned<RawProfile>>,
    pub fixed_cost: Option<Spanned<RawProfile>>,
    /// Money per person reached when it starts, paid then.
    pub cost_at_start: Option<Spanned<RawNumber>>,
    pub lag_years: Option<Spanned<i64>>,
    #[serde(default)]
    pub effects: Vec<Spanned<RawEffect>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEffect {
    pub from: Option<String>,
    pub to: Option<String>,
    pub relative_risk: Option<RawProfile>,
    /// A hazard ratio on the move (instead of a relative risk).
    pub hazard_ratio: Option<RawProfile>,
    pub service: Option<String>,
    pub multiplier: Option<RawProfile>,
    /// Capacity (activity a year) the intervention adds to `service`.
    pub add_capacity: Option<RawNumber>,
    /// Money a year per unit of capacity added (or per place).
    pub cost_per_unit: Option<RawNumber>,
    /// The level with places that `add_places` adds to.
    pub level: Option<String>,
    /// Places the intervention adds to `level`.
    pub add_places: Option<RawNumber>,
    /// Multiplier on the quality weight of the people it reaches.
    pub utility: Option<RawProfile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    /// A plain title for charts, the report and the page (the name when absent).
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub interventions: Vec<String>,
    /// Each a number, or `{ mean = … }` (read in validation).
    #[serde(default)]
    pub overrides: BTreeMap<String, Spanned<toml::Value>>,
}

/// A number as written: a value, or a distribution's inline table
/// (`{ dist = "beta", mean = 0.2, sd = 0.05 }`), checked in validation.
#[derive(Debug, Clone, PartialEq)]
pub enum RawNumber {
    Value(f64),
    Distribution(BTreeMap<String, toml::Value>),
}

impl RawNumber {
    fn from_toml(value: toml::Value) -> Result<RawNumber, String> {
        match value {
            toml::Value::Float(x) => Ok(RawNumber::Value(x)),
            toml::Value::Integer(i) => Ok(RawNumber::Value(i as f64)),
            toml::Value::Table(t) => Ok(RawNumber::Distribution(t.into_iter().collect())),
            other => Err(format!(
                "invalid type: {}, expected a number or a distribution such as {{ dist = \"beta\", mean = 0.2, sd = 0.05 }}",
                other.type_str()
            )),
        }
    }
}

impl<'de> Deserialize<'de> for RawNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = toml::Value::deserialize(deserializer)?;
        RawNumber::from_toml(value).map_err(de::Error::custom)
    }
}

/// An intervention's number that may change over the years it runs: a
/// number or distribution; `{ since_start = [first, second, …] }`, its
/// value in the intervention's first, second, … year (the last holding
/// after); or `{ YEAR = number, … }` by calendar year. Checked in
/// validation (only the first value may be a distribution).
#[derive(Debug, Clone, PartialEq)]
pub enum RawProfile {
    Number(RawNumber),
    SinceStart(Vec<RawNumber>),
    /// (year as written, value)
    Years(Vec<(String, RawNumber)>),
}

impl RawProfile {
    /// The first value: the number, the first year's since the start, or
    /// the earliest calendar year's (`None`: no value; with no year a whole
    /// number, the first written, the years' problem reported in validation).
    pub fn first(&self) -> Option<&RawNumber> {
        match self {
            RawProfile::Number(n) => Some(n),
            RawProfile::SinceStart(values) => values.first(),
            RawProfile::Years(points) => (points.iter())
                .filter_map(|(y, n)| Some((y.trim().parse::<i32>().ok()?, n)))
                .min_by_key(|(y, _)| *y)
                .map(|(_, n)| n)
                .or_else(|| points.first().map(|(_, n)| n)),
        }
    }
}

impl<'de> Deserialize<'de> for RawProfile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = toml::Value::deserialize(deserializer)?;
        match value {
            toml::Value::Table(t) if t.contains_key("since_start") => {
                if t.len() > 1 {
                    return Err(de::Error::custom(
                        "`since_start` stands alone: write { since_start = [first year's, second year's, …] }",
                    ));
                }
                let Some(toml::Value::Array(values)) = t.get("since_start") else {
                    return Err(de::Error::custom(
                        "`since_start` is a list of values, the first year's first, e.g. { since_start = [0.6, 0.7, 0.85] }",
                    ));
                };
                let values = (values.iter().enumerate())
                    .map(|(k, v)| {
                        RawNumber::from_toml(v.clone()).map_err(|e| format!("`since_start` year {}: {e}", k + 1))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(de::Error::custom)?;
                Ok(RawProfile::SinceStart(values))
            }
            toml::Value::Table(t) if !t.contains_key("dist") => {
                year_points(t).map(RawProfile::Years).map_err(de::Error::custom)
            }
            other => RawNumber::from_toml(other).map(RawProfile::Number).map_err(|e| {
                de::Error::custom(e.replace(
                    "expected a number or",
                    "expected a number, a table of year = number such as { 2026 = 0.6, 2028 = 0.8 }, { since_start = [0.6, 0.8] }, or",
                ))
            }),
        }
    }
}

/// A table of `year = number`, as written: (year, value) in its order.
fn year_points(table: toml::Table) -> Result<Vec<(String, RawNumber)>, String> {
    (table.into_iter())
        .map(|(year, v)| {
            let number = RawNumber::from_toml(v).map_err(|e| format!("year `{year}`: {e}"))?;
            Ok((year, number))
        })
        .collect()
}

/// A number (or distribution), or a table of `year = number` (a value that
/// changes by year), each of whose values may be a distribution.
#[derive(Debug, Clone, PartialEq)]
pub enum ByYear {
    Constant(RawNumber),
    /// (year as written, value)
    Years(Vec<(String, RawNumber)>),
}

impl<'de> Deserialize<'de> for ByYear {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = toml::Value::deserialize(deserializer)?;
        match value {
            toml::Value::Table(t) if !t.contains_key("dist") => {
                year_points(t).map(ByYear::Years).map_err(de::Error::custom)
            }
            other => RawNumber::from_toml(other).map(ByYear::Constant).map_err(|e| {
                de::Error::custom(e.replace(
                    "expected a number or",
                    "expected a number, a table of year = number such as { 2025 = 0.1, 2030 = 0.2 }, or",
                ))
            }),
        }
    }
}
