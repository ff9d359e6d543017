//! Scenario overrides: a dotted path naming one number of the model, and the
//! value it takes in that scenario. The same paths will name the parameters
//! that sensitivity analysis and goal seeking vary.

use super::checks::{non_negative_problem, probability_problem};
use crate::model::{Effect, Model, Reach, Series, Target};
use crate::units::AnnualProbability;

/// The forms a path can take, for messages.
pub const PATH_FORMS: &str = "discount_rate, entries.people, transition.BAND.FROM.TO, exit.BAND.LEVEL, \
service.NAME.unit_cost, service.NAME.use.LEVEL, intervention.NAME.FIELD, \
intervention.NAME.relative_risk.FROM.TO, intervention.NAME.multiplier.SERVICE (BAND may be `*`)";

const INTERVENTION_FIELDS: [&str; 10] = [
    "reach",
    "places",
    "start_year",
    "ramp_years",
    "end_year",
    "fidelity",
    "cost_per_participant",
    "fixed_cost",
    "lag_years",
    "qualified",
];

/// Sets the number at `path` in `model` to `value`, checking it as the file's
/// own value would be checked, and drops any distribution the file gave
/// that number (the override wins). Row sums are checked afterwards by the
/// caller.
pub fn apply(model: &mut Model, path: &str, value: f64) -> Result<(), String> {
    let set = set(model, path, value)?;
    model
        .uncertain
        .retain(|u| !u.targets.iter().any(|t| set.iter().any(|s| s.same_quantity(t))));
    Ok(())
}

/// `model` with the number at `path` set to `value` in the baseline and in
/// scenario `scenario` (so that a number both use, such as a unit cost,
/// moves in both), checked as an override is: the value's range, and that no
/// level's outflows overflow. For sensitivity analysis and goal seeking.
pub fn vary(model: &Model, scenario: &str, path: &str, value: f64) -> Result<Model, String> {
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
pub fn value(model: &Model, path: &str) -> Result<f64, String> {
    values(model, &[path]).pop().expect("one path, one value")
}

/// [`value`] of each of `paths`, with the model copied and its numbers laid
/// out once for all of them.
pub fn values(model: &Model, paths: &[&str]) -> Vec<Result<f64, String>> {
    // Setting a number on a copy finds what the path names (each setting
    // checks only its own number, so one copy serves every path).
    let mut probe = model.clone();
    let layout = crate::params::Layout::new(model);
    let central = layout.central(model);
    paths
        .iter()
        .map(|path| {
            let mut last = String::new();
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
                    Err(e) => last = e,
                }
            }
            let targets = targets.ok_or(last)?;
            targets
                .iter()
                .find_map(|t| layout.indices(model, t).first().map(|&i| central[i]))
                .ok_or_else(|| format!("{path} is not a number that sensitivity analysis or goal seeking can vary"))
        })
        .collect()
}

/// Sets the number and returns the targets it set.
fn set(model: &mut Model, path: &str, value: f64) -> Result<Vec<Target>, String> {
    let mut set = Vec::new();
    let parts: Vec<&str> = path.split('.').collect();
    let probability = |what: &str| match probability_problem(value, what) {
        Some(p) => Err(p),
        None => Ok(AnnualProbability::new(value).unwrap_or_default()),
    };
    let non_negative = |what: &str| match non_negative_problem(value, what) {
        Some(p) => Err(p),
        None => Ok(value),
    };
    let whole_year = |what: &str| {
        if value.fract() == 0.0 && (1800.0..=2300.0).contains(&value) {
            Ok(value as i32)
        } else {
            Err(format!("{what} is {value}; give a calendar year such as 2030"))
        }
    };
    match parts.as_slice() {
        ["discount_rate"] => {
            if !(value.is_finite() && (0.0..1.0).contains(&value)) {
                return Err(format!(
                    "discount_rate is {value}; give a decimal in [0, 1), e.g. 0.035"
                ));
            }
            model.discount_rate = value;
            set.push(Target::DiscountRate);
        }
        ["entries", "people"] => {
            let people = non_negative("entries.people")?;
            match &mut model.entries {
                Some(e) => {
                    e.people = Series::constant(people);
                    set.push(Target::EntriesPeople { point: 0 });
                }
                None => return Err("the model has no [entries] to override".into()),
            }
        }
        ["transition", band, from, to] => {
            let p = probability("a transition probability")?;
            let bands = bands(model, band)?;
            let f = level(model, from)?;
            let t = if *to == "exit" { None } else { Some(level(model, to)?) };
            if t == Some(f) {
                return Err("a transition from a level to itself cannot be set".into());
            }
            for b in bands {
                let (series, target) = move_series(model, b, f, t);
                *series = Series::constant(p);
                set.push(target);
            }
        }
        ["exit", band, lvl] => {
            let p = probability("an exit probability")?;
            let l = level(model, lvl)?;
            for b in bands(model, band)? {
                let (series, target) = move_series(model, b, l, None);
                *series = Series::constant(p);
                set.push(target);
            }
        }
        ["service", name, "unit_cost"] => {
            let cost = non_negative("a unit cost")?;
            let s = service(model, name)?;
            model.services[s].unit_cost = cost;
            set.push(Target::UnitCost { service: s });
        }
        ["service", name, "use", lvl] => {
            let rate = non_negative("a use rate")?;
            let s = service(model, name)?;
            let l = level(model, lvl)?;
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
        ["intervention", name, field] => {
            let i = intervention(model, name)?;
            let model_unqualified = model.evidence_scale.unqualified_fidelity;
            match *field {
                "reach" | "places" => set.push(Target::Reach { intervention: i }),
                "fidelity" => set.push(Target::Fidelity { intervention: i }),
                "cost_per_participant" => set.push(Target::CostPerParticipant { intervention: i }),
                "fixed_cost" => set.push(Target::FixedCost { intervention: i }),
                _ => {}
            }
            let iv = &mut model.interventions[i];
            match *field {
                "reach" => iv.reach = Reach::Share(probability("reach")?.value()),
                "places" => iv.reach = Reach::Places(non_negative("places")?),
                "start_year" => iv.start_year = whole_year("start_year")?,
                "end_year" => iv.end_year = Some(whole_year("end_year")?),
                "ramp_years" => iv.ramp_years = non_negative("ramp_years")?,
                "fidelity" => iv.fidelity = probability("fidelity")?.value(),
                "cost_per_participant" => iv.cost_per_participant = non_negative("cost_per_participant")?,
                "fixed_cost" => iv.fixed_cost = non_negative("fixed_cost")?,
                "qualified" => {
                    let qualified =
                        probability("qualified (the share of delivery by qualified practitioners)")?.value();
                    let unqualified_fidelity = iv.workforce.map_or(model_unqualified, |w| w.unqualified_fidelity);
                    iv.workforce = Some(crate::model::Workforce {
                        qualified,
                        unqualified_fidelity,
                    });
                }
                "lag_years" => {
                    if value.fract() != 0.0 || !(0.0..=100.0).contains(&value) {
                        return Err(format!(
                            "lag_years is {value}; give a whole number of years from 0 to 100"
                        ));
                    }
                    iv.lag_years = value as u32;
                }
                other => {
                    return Err(format!(
                        "`{other}` is not an intervention field that can be overridden; valid: {}",
                        INTERVENTION_FIELDS.join(", ")
                    ));
                }
            }
            if iv.end_year.is_some_and(|e| e < iv.start_year) {
                return Err("end_year would be before start_year".into());
            }
        }
        ["intervention", name, "relative_risk", from, to] => {
            let rr = non_negative("a relative risk")?;
            let i = intervention(model, name)?;
            let f = level(model, from)?;
            let t = if *to == "exit" { None } else { Some(level(model, to)?) };
            let effect = model.interventions[i]
                .effects
                .iter_mut()
                .enumerate()
                .find_map(|(k, e)| match e {
                    Effect::Transition {
                        from,
                        to,
                        relative_risk,
                    } if *from == f && *to == t => Some((k, relative_risk)),
                    _ => None,
                });
            match effect {
                Some((k, x)) => {
                    *x = rr;
                    set.push(Target::Effect {
                        intervention: i,
                        effect: k,
                    });
                }
                None => {
                    return Err(format!(
                        "intervention `{name}` has no effect on `{from}` → `{to}`; add it to the intervention first"
                    ));
                }
            }
        }
        ["intervention", name, "multiplier", svc] => {
            let m = non_negative("a multiplier")?;
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
                    set.push(Target::Effect {
                        intervention: i,
                        effect: k,
                    });
                }
                None => {
                    return Err(format!(
                        "intervention `{name}` has no effect on service `{svc}`; add it to the intervention first"
                    ));
                }
            }
        }
        _ => return Err(format!("`{path}` is not a parameter path; the forms are {PATH_FORMS}")),
    }
    Ok(set)
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

fn level(model: &Model, name: &str) -> Result<usize, String> {
    model.level_index(name).ok_or_else(|| {
        format!(
            "unknown level `{name}`; the levels are {}",
            names_list(model.levels.iter())
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

/// For an area: sets the number at `path` like [`apply`], but keeps every
/// uncertain parameter in the list (a draw samples the same list in every
/// area, so shared numbers get the same value) and only stops it writing
/// to the numbers the area sets.
pub fn apply_keeping(model: &mut Model, path: &str, value: f64) -> Result<(), String> {
    let set = set(model, path, value)?;
    for u in &mut model.uncertain {
        u.targets.retain(|t| !set.iter().any(|s| s.same_quantity(t)));
    }
    Ok(())
}

/// For an area: multiplies the number(s) at `path` by `factor` (each band's
/// and year's value of a transition, exit or use rate; a unit cost, entries
/// or an intervention's cost) and records the factor, so that sampled
/// values are scaled too. Scaled probabilities must stay at most 1.
pub fn scale(model: &mut Model, path: &str, factor: f64) -> Result<(), String> {
    if !(factor.is_finite() && factor >= 0.0) {
        return Err(format!(
            "scale is {factor}; give a factor of 0 or more, e.g. 1.2 for 20% more"
        ));
    }
    // A scaled figure, like a written one, stays within 10^12.
    let bounded = |x: f64, what: &str| -> Result<f64, String> {
        if x <= super::checks::LARGEST {
            Ok(x)
        } else {
            Err(format!(
                "scaling {what} by {factor:e} gives {x:e}, more than 10^12: beyond any population, cost or rate this tool models; is the scale a typo?"
            ))
        }
    };
    let parts: Vec<&str> = path.split('.').collect();
    let mut scaled: Vec<Target> = Vec::new();
    let probability = |s: &Series<AnnualProbability>, what: &str| -> Result<Series<AnnualProbability>, String> {
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
    };
    match parts.as_slice() {
        ["transition", band, from, to] => {
            let f = level(model, from)?;
            let t = if *to == "exit" { None } else { Some(level(model, to)?) };
            let bands = bands(model, band)?;
            if t == Some(f) {
                return Err("a transition from a level to itself cannot be scaled".into());
            }
            let what = if t.is_some() {
                "a transition probability"
            } else {
                "an exit probability"
            };
            for b in bands {
                let (series, target) = move_series(model, b, f, t);
                *series = probability(series, what)?;
                scaled.push(target);
            }
        }
        ["exit", band, lvl] => {
            let l = level(model, lvl)?;
            for b in bands(model, band)? {
                let (series, target) = move_series(model, b, l, None);
                *series = probability(series, "an exit probability")?;
                scaled.push(target);
            }
        }
        ["service", name, "use", lvl] => {
            let s = service(model, name)?;
            let l = level(model, lvl)?;
            for b in 0..model.bands.len() {
                let c = model.cell(b, l);
                let scaled_rate = model.services[s].use_rate[c].map(|x| x * factor);
                for &(_, x) in scaled_rate.points() {
                    bounded(x, "a use rate")?;
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
        ["service", name, "unit_cost"] => {
            let s = service(model, name)?;
            model.services[s].unit_cost = bounded(model.services[s].unit_cost * factor, "a unit cost")?;
            scaled.push(Target::UnitCost { service: s });
        }
        ["entries", "people"] => match &mut model.entries {
            Some(e) => {
                let people = e.people.map(|x| x * factor);
                for &(_, x) in people.points() {
                    bounded(x, "entries")?;
                }
                e.people = people;
                scaled.push(Target::EntriesPeople { point: 0 });
            }
            None => return Err("the model has no [entries] to scale".into()),
        },
        [
            "intervention",
            name,
            field @ ("cost_per_participant" | "fixed_cost" | "places"),
        ] => {
            let i = intervention(model, name)?;
            let iv = &mut model.interventions[i];
            match *field {
                "cost_per_participant" => {
                    iv.cost_per_participant = bounded(iv.cost_per_participant * factor, "a cost per participant")?;
                    scaled.push(Target::CostPerParticipant { intervention: i });
                }
                "fixed_cost" => {
                    iv.fixed_cost = bounded(iv.fixed_cost * factor, "a fixed cost")?;
                    scaled.push(Target::FixedCost { intervention: i });
                }
                _ => match iv.reach {
                    Reach::Places(p) => {
                        iv.reach = Reach::Places(bounded(p * factor, "places")?);
                        scaled.push(Target::Reach { intervention: i });
                    }
                    Reach::Share(_) => return Err(format!("intervention `{name}` is given by reach, not places")),
                },
            }
        }
        _ => {
            return Err(format!(
                "`{path}` cannot be scaled; scale transition.BAND.FROM.TO, exit.BAND.LEVEL, service.NAME.use.LEVEL, service.NAME.unit_cost, entries.people or intervention.NAME.cost_per_participant / fixed_cost / places (or set any path with `value`)"
            ));
        }
    }
    // Sampled values are scaled too: a probability's largest possible draw
    // must stay a probability.
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
    for t in scaled {
        match model.area_scales.iter_mut().find(|(s, _)| s.same_quantity(&t)) {
            Some((_, f)) => *f *= factor,
            None => model.area_scales.push((t, factor)),
        }
    }
    Ok(())
}

/// The numbers `path` names in `model` (as an override of `value` would set them).
pub fn targets(model: &Model, path: &str, value: f64) -> Result<Vec<Target>, String> {
    set(&mut model.clone(), path, value)
}
