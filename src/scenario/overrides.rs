//! Scenario overrides: a parameter path ([`ParamPath`]) naming one number
//! of the model, and the value it takes in that scenario. The same paths
//! name the numbers that areas set or scale, and that goal seeking and the
//! workshop page vary.

use super::checks::{non_negative_problem, probability_problem};
use super::path::{InterventionField, ParamPath, PathError};
use crate::model::{Effect, Model, Reach, Series, Target};
use crate::uncertainty::Support;
use crate::units::AnnualProbability;

/// Reads `text` as a parameter path of `model`: [`ParamPath::parse`]'s
/// problems, except that an unknown intervention is named before an
/// unknown field (a path's names are checked left to right).
pub fn parse(model: &Model, text: &str) -> Result<ParamPath, String> {
    ParamPath::parse(text).map_err(|e| match &e {
        PathError::UnknownField { intervention: name, .. } => match intervention(model, name) {
            Err(unknown) => unknown,
            Ok(_) => e.to_string(),
        },
        PathError::NotAPath(_) => e.to_string(),
    })
}

/// Sets the number at `path` in `model` to `value`, checking it as the file's
/// own value would be checked, and drops any distribution the file gave
/// that number (the override wins). Row sums are checked afterwards by the
/// caller.
pub fn apply(model: &mut Model, path: &ParamPath, value: f64) -> Result<(), String> {
    let set = set(model, path, value)?;
    model
        .uncertain
        .retain(|u| !u.targets.iter().any(|t| set.iter().any(|s| s.same_quantity(t))));
    Ok(())
}

/// Sets the number at `path` in `model` to `value` like [`apply`], but
/// keeps the spread of any distribution the file gave it: the distribution
/// is moved to the mean `value` ([`Distribution::moved_to`]), so that each
/// draw's value moves with it. A number without a distribution is simply
/// set; a distribution that also sets numbers the path does not name, or a
/// population's size or mix (rescaled in each draw), is replaced as
/// [`apply`] replaces it. For an area that scales the number, `value` is
/// the area's (scaled) figure.
///
/// [`Distribution::moved_to`]: crate::uncertainty::Distribution::moved_to
pub fn shift(model: &mut Model, path: &ParamPath, value: f64) -> Result<(), String> {
    let set = set(model, path, value)?;
    let named = |t: &Target| set.iter().any(|s| s.same_quantity(t));
    let scales = model.area_scales.clone();
    let interventions = model.interventions.clone();
    model.uncertain.retain_mut(|u| {
        if !u.targets.iter().any(named) {
            return true;
        }
        let support = u
            .targets
            .iter()
            .map(|t| support_of(&interventions, t))
            .collect::<Option<Vec<_>>>();
        match support.as_deref() {
            Some([first, rest @ ..]) if u.targets.iter().all(named) && rest.iter().all(|s| s == first) => {
                let factor = scales
                    .iter()
                    .find(|(s, _)| u.targets.iter().any(|t| s.same_quantity(t)))
                    .map_or(1.0, |(_, f)| *f);
                let unscaled = if factor > 0.0 { value / factor } else { 0.0 };
                u.moved = Some(u.distribution.moved_to(unscaled, *first));
                true
            }
            _ => false,
        }
    });
    Ok(())
}

/// What the number a target names may be; `None` for a population's size
/// or mix, which a draw rescales and a move does not keep.
fn support_of(interventions: &[crate::model::Intervention], target: &Target) -> Option<Support> {
    Some(match *target {
        Target::DiscountRate => Support::Rate,
        Target::Transition { .. } | Target::Exit { .. } | Target::Fidelity { .. } => Support::Probability,
        Target::Utility { .. } => Support::Utility,
        Target::Reach { intervention } => match interventions[intervention].reach {
            Reach::Share(_) => Support::Probability,
            Reach::Places(_) => Support::NonNegative,
        },
        Target::BandPeople { .. } | Target::BandLevel { .. } | Target::EntryShare { .. } => return None,
        Target::EntriesPeople { .. }
        | Target::UnitCost { .. }
        | Target::UseRate { .. }
        | Target::CostPerParticipant { .. }
        | Target::FixedCost { .. }
        | Target::CostAtStart { .. }
        | Target::Effect { .. }
        | Target::Capacity { .. }
        | Target::Places { .. } => Support::NonNegative,
    })
}

/// `model` with the number at `path` set to `value` in the baseline and in
/// scenario `scenario` (so that a number both use, such as a unit cost,
/// moves in both), checked as an override is: the value's range, and that no
/// level's outflows overflow. For sensitivity analysis and goal seeking.
pub fn vary(model: &Model, scenario: &str, path: &ParamPath, value: f64) -> Result<Model, String> {
    let mut varied = model.clone();
    apply(&mut varied, path, value)?;
    let problems = super::checks::flow_problems(&varied, &[]);
    if let Some(p) = problems.first() {
        return Err(format!("with {path} = {value}: {p}"));
    }
    if let Some(s) = varied.scenarios.iter_mut().find(|s| s.name == scenario) {
        apply(&mut s.model, path, value)?;
        let problems = super::checks::flow_problems(&s.model, &s.interventions);
        if let Some(p) = problems.first() {
            return Err(format!("with {path} = {value}: {p}"));
        }
    }
    // The uncertain numbers left are renumbered in order (a draw samples
    // them by position), in the baseline and in every scenario alike.
    let renumber: std::collections::HashMap<usize, usize> =
        varied.uncertain.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
    for u in &mut varied.uncertain {
        u.id = renumber[&u.id];
    }
    for s in &mut varied.scenarios {
        s.model.uncertain.retain(|u| renumber.contains_key(&u.id));
        for u in &mut s.model.uncertain {
            u.id = renumber[&u.id];
        }
    }
    Ok(varied)
}

/// Why a model's levels would overflow with `interventions` applied: no
/// level's yearly outflows may sum past 1 (see the scenario file's checks).
pub fn flow_problems(model: &Model, interventions: &[usize]) -> Vec<String> {
    super::checks::flow_problems(model, interventions)
}

/// The value of the number at `path` in `model` (its first year's, when it
/// changes by year).
pub fn value(model: &Model, path: &ParamPath) -> Result<f64, String> {
    values(model, &[path]).pop().expect("one path, one value")
}

/// [`value`] of each of `paths`, with the model copied and its numbers laid
/// out once for all of them.
pub fn values(model: &Model, paths: &[&ParamPath]) -> Vec<Result<f64, String>> {
    // Setting a number on a copy finds what the path names (each setting
    // checks only its own number, so one copy serves every path).
    let mut probe = model.clone();
    let layout = crate::params::Layout::new(model);
    let central = layout.central(model);
    paths
        .iter()
        .map(|path| {
            // When no value is accepted, the first refusal says why: a
            // middling value (0.5) is refused for its name, not its size.
            let mut first = None;
            let mut targets = None;
            for candidate in [0.5, 0.0, 1.0, 2030.0] {
                match set(&mut probe, path, candidate) {
                    Ok(t) => {
                        if candidate == 2030.0 {
                            return Err(format!(
                                "{path} is a calendar year; goal seeking needs a number that can vary continuously (compare scenarios with different years instead)"
                            ));
                        }
                        targets = Some(t);
                        break;
                    }
                    Err(e) => {
                        first.get_or_insert(e);
                    }
                }
            }
            let targets = targets.ok_or_else(|| first.unwrap_or_default())?;
            targets
                .iter()
                .find_map(|t| layout.indices(model, t).first().map(|&i| central[i]))
                .ok_or_else(|| format!("{path} is not a number that sensitivity analysis or goal seeking can vary"))
        })
        .collect()
}

/// `value` as a probability, or why it is not one.
fn probability(value: f64, what: &str) -> Result<AnnualProbability, String> {
    match probability_problem(value, what) {
        Some(p) => Err(p),
        None => Ok(AnnualProbability::new(value).unwrap_or_default()),
    }
}

/// `value` if it is a quality weight in [−1, 1] (any finite number when
/// the file allows weights outside that range), or why not.
fn quality_weight(value: f64, outside_allowed: bool) -> Result<f64, String> {
    let support = if outside_allowed {
        Support::Finite
    } else {
        Support::Utility
    };
    match crate::scenario::checks::plain_problem(value, support, "a quality weight") {
        Some(p) => Err(p),
        None => Ok(value),
    }
}

/// `value` if it is a number ≥ 0 (and within 10^12), or why not.
fn non_negative(value: f64, what: &str) -> Result<f64, String> {
    match non_negative_problem(value, what) {
        Some(p) => Err(p),
        None => Ok(value),
    }
}

/// `value` as a calendar year, or why it is not one.
fn whole_year(value: f64, what: &str) -> Result<i32, String> {
    if value.fract() == 0.0 && (1800.0..=2300.0).contains(&value) {
        Ok(value as i32)
    } else {
        Err(format!("{what} is {value}; give a calendar year such as 2030"))
    }
}

/// Sets the number and returns the targets it set. The value is checked
/// before the names in the path are looked up.
fn set(model: &mut Model, path: &ParamPath, value: f64) -> Result<Vec<Target>, String> {
    let mut set = Vec::new();
    match path {
        ParamPath::DiscountRate => {
            if !(value.is_finite() && (0.0..1.0).contains(&value)) {
                return Err(format!(
                    "discount_rate is {value}; give a decimal in [0, 1), e.g. 0.035"
                ));
            }
            model.discount_rate = value;
            set.push(Target::DiscountRate);
        }
        ParamPath::EntriesPeople => {
            let people = non_negative(value, "entries.people")?;
            match &mut model.entries {
                Some(e) => {
                    e.people = Series::constant(people);
                    set.push(Target::EntriesPeople { point: 0 });
                }
                None => return Err("the model has no [entries] to override".into()),
            }
        }
        ParamPath::Transition { band, from, to } => {
            let p = probability(value, "a transition probability")?;
            let bands = bands(model, band)?;
            let froms = levels(model, from)?;
            let t = level_or_exit(model, to)?;
            if t.is_some_and(|t| froms.contains(&t)) {
                return Err("a transition from a level to itself cannot be set".into());
            }
            for f in froms {
                for &b in &bands {
                    let (series, target) = move_series(model, b, f, t);
                    *series = Series::constant(p);
                    set.push(target);
                }
            }
        }
        ParamPath::Exit { band, level: lvl } => {
            let p = probability(value, "an exit probability")?;
            let ls = levels(model, lvl)?;
            let bands = bands(model, band)?;
            for l in ls {
                for &b in &bands {
                    let (series, target) = move_series(model, b, l, None);
                    *series = Series::constant(p);
                    set.push(target);
                }
            }
        }
        ParamPath::Utility { level: lvl } => {
            return set_utility(model, lvl, value);
        }
        ParamPath::UnitCost { service: name } => {
            let cost = non_negative(value, "a unit cost")?;
            let s = service(model, name)?;
            model.services[s].unit_cost = cost;
            set.push(Target::UnitCost { service: s });
        }
        ParamPath::UseRate {
            service: name,
            level: lvl,
        } => {
            let rate = non_negative(value, "a use rate")?;
            let s = service(model, name)?;
            for l in levels(model, lvl)? {
                for b in 0..model.bands.len() {
                    let c = model.cell(b, l);
                    model.services[s].use_rate[c] = Series::constant(rate);
                    set.push(Target::UseRate {
                        service: s,
                        band: b,
                        level: l,
                        point: 0,
                    });
                }
            }
        }
        ParamPath::Capacity { service: name } => {
            let capacity = non_negative(value, "a capacity")?;
            let s = service(model, name)?;
            match &mut model.services[s].capacity {
                // The capacity is set in every year (a distribution of it
                // is dropped with its target).
                Some(c) => {
                    // The target names the value in force in the first
                    // year (the value `value` reads).
                    let point = c.per_year.point_year_at(model.start_year);
                    c.per_year = Series::constant(capacity);
                    set.push(Target::Capacity { service: s, point });
                }
                None => {
                    return Err(format!(
                        "service `{name}` has no capacity; give it a `capacity` in the file first"
                    ));
                }
            }
        }
        ParamPath::Intervention { name, field } => return set_field(model, name, *field, value),
        ParamPath::RelativeRisk { intervention, from, to } => {
            return set_relative_risk(model, intervention, from, to, value);
        }
        ParamPath::Multiplier { intervention, service } => return set_multiplier(model, intervention, service, value),
        ParamPath::AddCapacity { intervention, service } => {
            return set_add_capacity(model, intervention, service, value);
        }
        ParamPath::Places { level: name } => {
            let places = non_negative(value, "a number of places")?;
            let l = level(model, name)?;
            let Some(index) = model.places.iter().position(|p| p.level == l) else {
                return Err(format!(
                    "level `{name}` has no limit on places; give it a `[[places]]` table in the file first"
                ));
            };
            // Set in every year; the target names the value in force in
            // the first year (the value `value` reads).
            let limit = &mut model.places[index];
            let point = limit.per_year.point_year_at(model.start_year);
            limit.per_year = Series::constant(places);
            set.push(Target::Places { index, point });
        }
        ParamPath::AddPlaces {
            intervention: name,
            level: lvl,
        } => {
            let places = non_negative(value, "a number of places added")?;
            let i = intervention(model, name)?;
            let l = level(model, lvl)?;
            return set_added(model, i, Added::Places(l), places).ok_or_else(|| {
                format!(
                    "intervention `{name}` adds no places to level `{lvl}`; add the effect to the intervention first"
                )
            });
        }
    }
    Ok(set)
}

/// Sets one of intervention `name`'s own numbers (`intervention.NAME.FIELD`).
fn set_field(model: &mut Model, name: &str, field: InterventionField, value: f64) -> Result<Vec<Target>, String> {
    let mut set = Vec::new();
    let i = intervention(model, name)?;
    let model_unqualified = model.evidence_scale.unqualified_fidelity;
    match field {
        InterventionField::Reach | InterventionField::Places => set.push(Target::Reach { intervention: i }),
        InterventionField::Fidelity => set.push(Target::Fidelity { intervention: i }),
        InterventionField::CostPerParticipant => set.push(Target::CostPerParticipant { intervention: i }),
        InterventionField::FixedCost => set.push(Target::FixedCost { intervention: i }),
        InterventionField::CostAtStart => set.push(Target::CostAtStart { intervention: i }),
        _ => {}
    }
    let iv = &mut model.interventions[i];
    match field {
        InterventionField::Reach => iv.reach = Reach::Share(probability(value, "reach")?.value()),
        InterventionField::Places => iv.reach = Reach::Places(non_negative(value, "places")?),
        InterventionField::StartYear => iv.start_year = whole_year(value, "start_year")?,
        InterventionField::EndYear => iv.end_year = Some(whole_year(value, "end_year")?),
        InterventionField::RampYears => iv.ramp_years = non_negative(value, "ramp_years")?,
        InterventionField::Fidelity => iv.fidelity = probability(value, "fidelity")?.value(),
        InterventionField::CostPerParticipant => {
            iv.cost_per_participant = non_negative(value, "cost_per_participant")?;
        }
        InterventionField::FixedCost => iv.fixed_cost = non_negative(value, "fixed_cost")?,
        InterventionField::CostAtStart => iv.cost_at_start = non_negative(value, "cost_at_start")?,
        InterventionField::Qualified => {
            let qualified = probability(value, "qualified (the share of delivery by qualified practitioners)")?.value();
            let unqualified_fidelity = iv.workforce.map_or(model_unqualified, |w| w.unqualified_fidelity);
            iv.workforce = Some(crate::model::Workforce {
                qualified,
                unqualified_fidelity,
            });
        }
        InterventionField::LagYears => {
            if value.fract() != 0.0 || !(0.0..=100.0).contains(&value) {
                return Err(format!(
                    "lag_years is {value}; give a whole number of years from 0 to 100"
                ));
            }
            iv.lag_years = value as u32;
        }
    }
    if iv.end_year.is_some_and(|e| e < iv.start_year) {
        return Err("end_year would be before start_year".into());
    }
    Ok(set)
}

/// Sets the quality weight of level `lvl` (`outcomes.utility.LEVEL`) in
/// every band.
fn set_utility(model: &mut Model, lvl: &str, value: f64) -> Result<Vec<Target>, String> {
    let ls = levels(model, lvl)?;
    let nl = model.levels.len();
    let bands = model.bands.len();
    let Some(outcomes) = &mut model.outcomes else {
        return Err("the model has no [outcomes] table of quality weights to override".into());
    };
    let weight = quality_weight(value, outcomes.utility_outside_range)?;
    let mut set = Vec::new();
    for l in ls {
        for b in 0..bands {
            outcomes.utility[b * nl + l] = Series::constant(weight);
            set.push(Target::Utility {
                band: b,
                level: l,
                point: 0,
            });
        }
    }
    Ok(set)
}

/// Sets intervention `name`'s relative risk on the move `from` → `to`
/// (`intervention.NAME.relative_risk.FROM.TO`), which it must already have.
/// A `from` level with tunnels named as a whole (or a year of it with
/// finer steps) sets the effect on each of its tunnels alike; a `to` level
/// with tunnels is its first, where people enter it.
fn set_relative_risk(model: &mut Model, name: &str, from: &str, to: &str, value: f64) -> Result<Vec<Target>, String> {
    let rr = non_negative(value, "a relative risk")?;
    let i = intervention(model, name)?;
    let froms = levels(model, from)?;
    let t = level_or_exit(model, to)?;
    let mut set = Vec::new();
    for (k, e) in model.interventions[i].effects.iter_mut().enumerate() {
        if let Effect::Transition {
            from,
            to,
            relative_risk,
            ..
        } = e
            && froms.contains(from)
            && *to == t
        {
            *relative_risk = rr;
            set.push(Target::Effect {
                intervention: i,
                effect: k,
            });
        }
    }
    if set.is_empty() {
        return Err(format!(
            "intervention `{name}` has no effect on `{from}` → `{to}`; add it to the intervention first"
        ));
    }
    Ok(set)
}

/// Sets intervention `name`'s multiplier on the use of service `svc`
/// (`intervention.NAME.multiplier.SERVICE`), which it must already have.
fn set_multiplier(model: &mut Model, name: &str, svc: &str, value: f64) -> Result<Vec<Target>, String> {
    let m = non_negative(value, "a multiplier")?;
    let i = intervention(model, name)?;
    let s = service(model, svc)?;
    let effect = model.interventions[i]
        .effects
        .iter_mut()
        .enumerate()
        .find_map(|(k, e)| match e {
            Effect::Service { service, multiplier } if *service == s => Some((k, multiplier)),
            _ => None,
        });
    match effect {
        Some((k, x)) => {
            *x = m;
            Ok(vec![Target::Effect {
                intervention: i,
                effect: k,
            }])
        }
        None => Err(format!(
            "intervention `{name}` has no effect on service `{svc}`; add it to the intervention first"
        )),
    }
}

/// Sets the capacity intervention `name` adds to service `svc`
/// (`intervention.NAME.add_capacity.SERVICE`), which it must already add to.
fn set_add_capacity(model: &mut Model, name: &str, svc: &str, value: f64) -> Result<Vec<Target>, String> {
    let capacity = non_negative(value, "a capacity added")?;
    let i = intervention(model, name)?;
    let s = service(model, svc)?;
    set_added(model, i, Added::Capacity(s), capacity).ok_or_else(|| {
        format!("intervention `{name}` adds no capacity to service `{svc}`; add the effect to the intervention first")
    })
}

/// What an effect adds to: a service's capacity or a level's places.
#[derive(Clone, Copy)]
enum Added {
    Capacity(usize),
    Places(usize),
}

/// Sets to `amount` what intervention `i` adds to `to`, and returns the
/// effect's target; `None` when it adds nothing there.
fn set_added(model: &mut Model, i: usize, to: Added, amount: f64) -> Option<Vec<Target>> {
    let (k, add) = (model.interventions[i].effects.iter_mut().enumerate()).find_map(|(k, e)| match (e, to) {
        (Effect::Capacity { service, add, .. }, Added::Capacity(s)) if *service == s => Some((k, add)),
        (Effect::Places { level, add, .. }, Added::Places(l)) if *level == l => Some((k, add)),
        _ => None,
    })?;
    *add = amount;
    Some(vec![Target::Effect {
        intervention: i,
        effect: k,
    }])
}

/// The annual probability series of a move out of level `from` in band
/// `band` (to level `to`, or `None`: the exit), and the target it is.
fn move_series(
    model: &mut Model,
    band: usize,
    from: usize,
    to: Option<usize>,
) -> (&mut Series<crate::units::AnnualProbability>, Target) {
    match to {
        Some(to) => {
            let i = model.transition_index(band, from, to);
            let target = Target::Transition {
                band,
                from,
                to,
                point: 0,
            };
            (&mut model.transitions[i], target)
        }
        None => {
            let c = model.cell(band, from);
            let target = Target::Exit {
                band,
                level: from,
                point: 0,
            };
            (&mut model.exits[c], target)
        }
    }
}

fn names_list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names.map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// Level `name`: a year of a level with tunnels (finer steps than a year)
/// by that year's first tunnel, where people enter it.
fn level(model: &Model, name: &str) -> Result<usize, String> {
    levels(model, name).map(|ls| ls.start)
}

/// The levels `name` names: one, or every step tunnel of a year of a level
/// with tunnels (finer steps than a year), each set alike.
fn levels(model: &Model, name: &str) -> Result<std::ops::Range<usize>, String> {
    model.levels_named(name).ok_or_else(|| {
        // The levels as the file names them (a level with tunnels as a
        // whole, and how to name one year of it).
        let levels = crate::model::OutputLevel::of(&model.levels, &model.tunnels, crate::model::TunnelOutputs::Summed);
        let by_year = match model.tunnels.first() {
            Some(t) => format!(" (or one year of a level with tunnels, e.g. `{}`)", t.year_name(1)),
            None => String::new(),
        };
        format!(
            "unknown level `{name}`; the levels are {}{by_year}",
            names_list(levels.iter().map(|l| &l.name))
        )
    })
}

fn bands(model: &Model, name: &str) -> Result<Vec<usize>, String> {
    if name == "*" {
        return Ok((0..model.bands.len()).collect());
    }
    model.band_index(name).map(|b| vec![b]).ok_or_else(|| {
        format!(
            "unknown band `{name}`; the bands are {} (or `*` for all)",
            names_list(model.bands.iter().map(|b| &b.name))
        )
    })
}

fn service(model: &Model, name: &str) -> Result<usize, String> {
    model.service_index(name).ok_or_else(|| {
        format!(
            "unknown service `{name}`; the services are {}",
            names_list(model.services.iter().map(|s| &s.name))
        )
    })
}

fn intervention(model: &Model, name: &str) -> Result<usize, String> {
    model.intervention_index(name).ok_or_else(|| {
        format!(
            "unknown intervention `{name}`; the interventions are {}",
            names_list(model.interventions.iter().map(|i| &i.name))
        )
    })
}

/// Level `name`, or `None` for `exit`.
fn level_or_exit(model: &Model, name: &str) -> Result<Option<usize>, String> {
    if name == "exit" {
        Ok(None)
    } else {
        level(model, name).map(Some)
    }
}

/// For an area: sets the number at `path` like [`apply`], but keeps every
/// uncertain parameter in the list (a draw samples the same list in every
/// area, so shared numbers get the same value) and only stops it writing
/// to the numbers the area sets.
pub fn apply_keeping(model: &mut Model, path: &ParamPath, value: f64) -> Result<(), String> {
    let set = set(model, path, value)?;
    for u in &mut model.uncertain {
        u.targets.retain(|t| !set.iter().any(|s| s.same_quantity(t)));
    }
    Ok(())
}

/// A factor an area may scale a number by: 0 or more.
pub(crate) fn check_scale_factor(factor: f64) -> Result<(), String> {
    if factor.is_finite() && factor >= 0.0 {
        Ok(())
    } else {
        Err(format!(
            "scale is {factor}; give a factor of 0 or more, e.g. 1.2 for 20% more"
        ))
    }
}

/// Why the number at `path` (as written) cannot be scaled.
pub(crate) fn not_scalable(path: &str) -> String {
    format!(
        "`{path}` cannot be scaled; scale transition.BAND.FROM.TO, exit.BAND.LEVEL, service.NAME.use.LEVEL, service.NAME.unit_cost, service.NAME.capacity, places.LEVEL, entries.people or intervention.NAME.cost_per_participant / fixed_cost / places (or set any path with `value`)"
    )
}

/// For an area: multiplies the number(s) at `path` by `factor` (each band's
/// and year's value of a transition, exit or use rate; each year's value of
/// a capacity or a level's places; a unit cost, entries or an
/// intervention's cost) and records the factor, so that sampled values are
/// scaled too. Scaled probabilities must stay at most 1.
pub fn scale(model: &mut Model, path: &ParamPath, factor: f64) -> Result<(), String> {
    check_scale_factor(factor)?;
    let scaled = scale_numbers(model, path, factor)?;
    check_scaled_draws(model, &scaled, factor)?;
    for t in scaled {
        match model.area_scales.iter_mut().find(|(s, _)| s.same_quantity(&t)) {
            Some((_, f)) => *f *= factor,
            None => model.area_scales.push((t, factor)),
        }
    }
    Ok(())
}

/// A scaled figure, like a written one, stays within 10^12.
fn bounded(x: f64, what: &str, factor: f64) -> Result<f64, String> {
    if x <= super::checks::LARGEST {
        Ok(x)
    } else {
        Err(format!(
            "scaling {what} by {factor:e} gives {x:e}, more than 10^12: beyond any population, cost or rate this tool models; is the scale a typo?"
        ))
    }
}

/// Each year's value in `s` multiplied by `factor`, each within 10^12.
fn scaled_series(s: &Series<f64>, what: &str, factor: f64) -> Result<Series<f64>, String> {
    let scaled = s.map(|x| x * factor);
    for &(_, x) in scaled.points() {
        bounded(x, what, factor)?;
    }
    Ok(scaled)
}

/// Each year's probability in `s` multiplied by `factor`, which must stay at most 1.
fn scaled_probability(
    s: &Series<AnnualProbability>,
    what: &str,
    factor: f64,
) -> Result<Series<AnnualProbability>, String> {
    let mut out = Vec::new();
    for &(year, p) in s.points() {
        let x = p.value() * factor;
        let Some(q) = AnnualProbability::new(x) else {
            return Err(format!(
                "scaling {what} by {factor} gives {x}, above 1; a probability must stay in [0, 1]"
            ));
        };
        out.push((year, q));
    }
    Ok(Series::by_year(out))
}

/// Multiplies the number(s) at `path` by `factor` and returns the targets
/// scaled. The names in the path are looked up before any number moves.
fn scale_numbers(model: &mut Model, path: &ParamPath, factor: f64) -> Result<Vec<Target>, String> {
    let mut scaled: Vec<Target> = Vec::new();
    match path {
        ParamPath::Transition { band, from, to } => {
            let froms = levels(model, from)?;
            let t = level_or_exit(model, to)?;
            let bands = bands(model, band)?;
            if t.is_some_and(|t| froms.contains(&t)) {
                return Err("a transition from a level to itself cannot be scaled".into());
            }
            let what = if t.is_some() {
                "a transition probability"
            } else {
                "an exit probability"
            };
            for f in froms {
                for &b in &bands {
                    let (series, target) = move_series(model, b, f, t);
                    *series = scaled_probability(series, what, factor)?;
                    scaled.push(target);
                }
            }
        }
        ParamPath::Exit { band, level: lvl } => {
            let ls = levels(model, lvl)?;
            let bands = bands(model, band)?;
            for l in ls {
                for &b in &bands {
                    let (series, target) = move_series(model, b, l, None);
                    *series = scaled_probability(series, "an exit probability", factor)?;
                    scaled.push(target);
                }
            }
        }
        ParamPath::UseRate {
            service: name,
            level: lvl,
        } => {
            let s = service(model, name)?;
            for l in levels(model, lvl)? {
                for b in 0..model.bands.len() {
                    let c = model.cell(b, l);
                    let scaled_rate = model.services[s].use_rate[c].map(|x| x * factor);
                    for &(_, x) in scaled_rate.points() {
                        bounded(x, "a use rate", factor)?;
                    }
                    model.services[s].use_rate[c] = scaled_rate;
                    scaled.push(Target::UseRate {
                        service: s,
                        band: b,
                        level: l,
                        point: 0,
                    });
                }
            }
        }
        ParamPath::UnitCost { service: name } => {
            let s = service(model, name)?;
            model.services[s].unit_cost = bounded(model.services[s].unit_cost * factor, "a unit cost", factor)?;
            scaled.push(Target::UnitCost { service: s });
        }
        ParamPath::Capacity { service: name } => {
            let s = service(model, name)?;
            let start = model.start_year;
            let Some(c) = &mut model.services[s].capacity else {
                return Err(format!("service `{name}` has no capacity to scale"));
            };
            c.per_year = scaled_series(&c.per_year, "a capacity", factor)?;
            scaled.push(Target::Capacity {
                service: s,
                point: c.per_year.point_year_at(start),
            });
        }
        ParamPath::Places { level: name } => {
            let l = level(model, name)?;
            let start = model.start_year;
            let Some(index) = model.places.iter().position(|p| p.level == l) else {
                return Err(format!("level `{name}` has no places to scale"));
            };
            let limit = &mut model.places[index];
            limit.per_year = scaled_series(&limit.per_year, "places", factor)?;
            scaled.push(Target::Places {
                index,
                point: limit.per_year.point_year_at(start),
            });
        }
        ParamPath::EntriesPeople => match &mut model.entries {
            Some(e) => {
                let people = e.people.map(|x| x * factor);
                for &(_, x) in people.points() {
                    bounded(x, "entries", factor)?;
                }
                e.people = people;
                scaled.push(Target::EntriesPeople { point: 0 });
            }
            None => return Err("the model has no [entries] to scale".into()),
        },
        ParamPath::Intervention {
            name,
            field:
                field @ (InterventionField::CostPerParticipant
                | InterventionField::FixedCost
                | InterventionField::CostAtStart
                | InterventionField::Places),
        } => {
            let i = intervention(model, name)?;
            let iv = &mut model.interventions[i];
            match field {
                InterventionField::CostPerParticipant => {
                    iv.cost_per_participant =
                        bounded(iv.cost_per_participant * factor, "a cost per participant", factor)?;
                    scaled.push(Target::CostPerParticipant { intervention: i });
                }
                InterventionField::FixedCost => {
                    iv.fixed_cost = bounded(iv.fixed_cost * factor, "a fixed cost", factor)?;
                    scaled.push(Target::FixedCost { intervention: i });
                }
                InterventionField::CostAtStart => {
                    iv.cost_at_start = bounded(iv.cost_at_start * factor, "a cost at the start", factor)?;
                    scaled.push(Target::CostAtStart { intervention: i });
                }
                _ => match iv.reach {
                    Reach::Places(p) => {
                        iv.reach = Reach::Places(bounded(p * factor, "places", factor)?);
                        scaled.push(Target::Reach { intervention: i });
                    }
                    Reach::Share(_) => return Err(format!("intervention `{name}` is given by reach, not places")),
                },
            }
        }
        _ => return Err(not_scalable(&path.to_string())),
    }
    Ok(scaled)
}

/// Sampled values are scaled too: a probability's largest possible draw,
/// scaled by the factors already recorded and `factor`, must stay a
/// probability.
fn check_scaled_draws(model: &Model, scaled: &[Target], factor: f64) -> Result<(), String> {
    for u in &model.uncertain {
        let scaled_here = u.targets.iter().any(|t| {
            scaled.iter().any(|s| s.same_quantity(t)) && matches!(t, Target::Transition { .. } | Target::Exit { .. })
        });
        let before = model
            .area_scales
            .iter()
            .filter(|(s, _)| u.targets.iter().any(|t| s.same_quantity(t)))
            .map(|(_, f)| *f)
            .product::<f64>();
        // The largest value a draw can practically take (a beta's support
        // runs to 1, but not its draws).
        let hi = if scaled_here {
            u.distribution.quantile(1.0 - 1e-9)
        } else {
            0.0
        };
        if scaled_here && hi * before * factor > 1.0 {
            return Err(format!(
                "scaling by {factor} would let draws of `{}` ({}, up to {hi:.4}) exceed 1; narrow its distribution or scale less",
                u.label, u.distribution
            ));
        }
    }
    Ok(())
}

/// The numbers `path` names in `model` (as an override of `value` would set them).
pub fn targets(model: &Model, path: &ParamPath, value: f64) -> Result<Vec<Target>, String> {
    set(&mut model.clone(), path, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Capacity;

    fn small() -> Model {
        let text = include_str!("../../tests/fixtures/small.toml");
        super::super::parse(std::path::Path::new("small.toml"), text, String::new())
            .unwrap()
            .model
    }

    #[test]
    fn a_capacity_is_set_only_where_the_file_gives_one() {
        let mut model = small();
        let path = parse(&model, "service.Home care.capacity").unwrap();
        assert_eq!(
            apply(&mut model, &path, 100.0),
            Err("service `Home care` has no capacity; give it a `capacity` in the file first".into())
        );
        let s = model.service_index("Home care").unwrap();
        model.services[s].capacity = Some(Capacity {
            per_year: Series::by_year(vec![(2025, 900.0), (2030, 1200.0)]),
            wait: 1.0,
            divert: 0.0,
            lost: 0.0,
            divert_to: None,
            divert_ratio: 1.0,
            renege: AnnualProbability::default(),
            target_wait_weeks: None,
            while_unmet: Vec::new(),
        });
        apply(&mut model, &path, 100.0).unwrap();
        let capacity = model.services[s].capacity.as_ref().unwrap();
        assert_eq!(capacity.per_year, Series::constant(100.0));
        assert_eq!(
            apply(&mut model, &path, -1.0),
            Err("a capacity is -1; it must be ≥ 0".into())
        );
        let unknown = parse(&model, "service.Day care.capacity").unwrap();
        assert_eq!(
            apply(&mut model, &unknown, 1.0),
            Err("unknown service `Day care`; the services are `GP`, `Admission`, `Home care`".into())
        );
        // Sensitivity analysis and goal seeking read it (its first year's
        // value when it changes by year) and vary it.
        assert_eq!(value(&model, &path), Ok(100.0));
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/capacity-full.toml");
        let full = crate::scenario::load(&path).unwrap().model;
        let home_care = parse(&full, "service.Home care.capacity").unwrap();
        assert_eq!(value(&full, &home_care), Ok(900.0));
        let varied = vary(&full, "coaching", &home_care, 750.0).unwrap();
        let s = full.service_index("Home care").unwrap();
        assert_eq!(
            varied.services[s].capacity.as_ref().unwrap().per_year,
            Series::constant(750.0)
        );
    }

    #[test]
    fn the_capacity_an_intervention_adds_is_a_path() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/capacity-full.toml");
        let mut model = crate::scenario::load(&path).unwrap().model;
        let added = parse(&model, "intervention.More reablement.add_capacity.Reablement").unwrap();
        assert_eq!(value(&model, &added), Ok(40.0));
        apply(&mut model, &added, 55.0).unwrap();
        assert_eq!(value(&model, &added), Ok(55.0));
        assert!(!model.uncertain.iter().any(|u| u.label == added.to_string()));
        assert_eq!(
            apply(&mut model, &added, -1.0),
            Err("a capacity added is -1; it must be ≥ 0".into())
        );
        let other = parse(&model, "intervention.More reablement.add_capacity.Clinic").unwrap();
        assert_eq!(
            apply(&mut model, &other, 1.0),
            Err("intervention `More reablement` adds no capacity to service `Clinic`; add the effect to the intervention first".into())
        );
    }
}
