//! `[[scenarios]]`: each scenario's interventions, and its overrides applied
//! to its own copy of the model, with its flows checked.

use super::names::{check_names, list};
use crate::model::{BASELINE, Model, Override, Scenario};
use crate::scenario::checks::{Validator, flow_problems};
use crate::scenario::file::{RawScenario, ScenarioFile};
use crate::scenario::overrides;
use toml::Spanned;

/// Every scenario of the file. With `earlier_problems`, only the
/// interventions they list are checked; the flows only when the model's
/// own are sound (`base_flows_ok`).
pub(super) fn scenarios_from(
    v: &mut Validator,
    file: &ScenarioFile,
    model: &Model,
    earlier_problems: bool,
    base_flows_ok: bool,
) -> Vec<Scenario> {
    check_names(
        v,
        "scenario",
        file.scenarios.iter().map(|s| (s.get_ref().name.as_str(), s.span())),
    );
    let mut scenarios = Vec::new();
    for s in &file.scenarios {
        if let Some(scenario) = scenario_from(v, s, model, earlier_problems, base_flows_ok) {
            scenarios.push(scenario);
        }
    }
    scenarios
}

fn scenario_from(
    v: &mut Validator,
    s: &Spanned<RawScenario>,
    model: &Model,
    earlier_problems: bool,
    base_flows_ok: bool,
) -> Option<Scenario> {
    let raw = s.get_ref();
    if raw.name == BASELINE {
        v.err(
            &s.span(),
            format!("`{BASELINE}` is the implicit baseline; give this scenario another name"),
        );
        return None;
    }
    let chosen = chosen_interventions(v, s, model);
    if earlier_problems {
        // Overrides and flows are checked once the model itself is sound.
        return None;
    }
    let mut scenario_model = model.clone();
    let mut written = Vec::new();
    for (key, value) in &raw.overrides {
        let applied = override_of(key, value.get_ref()).and_then(|o| {
            let path = overrides::parse(&scenario_model, key)?;
            if o.keeps_spread {
                overrides::shift(&mut scenario_model, &path, o.value)?;
            } else {
                overrides::apply(&mut scenario_model, &path, o.value)?;
            }
            written.push(o);
            Ok(())
        });
        if let Err(problem) = applied {
            v.err(
                &value.span(),
                format!("scenario `{}`, override `{key}`: {problem}", raw.name),
            );
        }
    }
    let scenario_problems = if base_flows_ok {
        flow_problems(&scenario_model, &chosen)
    } else {
        vec![]
    };
    for problem in scenario_problems {
        v.err(&s.span(), format!("scenario `{}`: {problem}", raw.name));
    }
    let title = match &raw.title {
        Some(t) if t.trim().is_empty() || t.chars().count() > 80 || t.chars().any(char::is_control) => {
            v.err(
                &s.span(),
                format!(
                    "scenario `{}`: title `{}` must be 1 to 80 characters on one line, e.g. \"Falls and reablement\"; or leave `title` out to use the name",
                    raw.name,
                    t.escape_debug()
                ),
            );
            raw.name.clone()
        }
        Some(t) => t.trim().to_string(),
        None => raw.name.clone(),
    };
    Some(Scenario {
        name: raw.name.clone(),
        title,
        description: raw.description.clone().unwrap_or_default(),
        interventions: chosen,
        model: Box::new(scenario_model),
        overrides: written,
    })
}

/// The indices of the interventions a scenario lists, each known and listed once.
fn chosen_interventions(v: &mut Validator, s: &Spanned<RawScenario>, model: &Model) -> Vec<usize> {
    let raw = s.get_ref();
    let mut chosen = Vec::new();
    for name in &raw.interventions {
        match model.intervention_index(name) {
            Some(i) if chosen.contains(&i) => v.err(
                &s.span(),
                format!("scenario `{}` lists intervention `{name}` twice", raw.name),
            ),
            Some(i) => chosen.push(i),
            None => {
                let known: Vec<String> = model.interventions.iter().map(|i| i.name.clone()).collect();
                v.err(
                    &s.span(),
                    format!(
                        "scenario `{}` lists unknown intervention `{name}`; the interventions are {}",
                        raw.name,
                        list(&known)
                    ),
                );
            }
        }
    }
    chosen
}

/// An override as written: a number (the value in this scenario, replacing
/// any distribution) or `{ mean = … }` (the file's distribution moved to
/// that mean, its spread kept).
fn override_of(key: &str, value: &toml::Value) -> Result<Override, String> {
    let number = |v: &toml::Value| match v {
        toml::Value::Float(x) => Some(*x),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    };
    let (value, keeps_spread) = match value {
        toml::Value::Table(t) if t.len() == 1 && t.get("mean").and_then(number).is_some() => {
            (t.get("mean").and_then(number).unwrap_or_default(), true)
        }
        v => match number(v) {
            Some(x) => (x, false),
            None => {
                return Err(format!(
                    "`{v}` is neither a number nor `{{ mean = … }}`; give a number (this scenario's value, replacing any distribution) or `{{ mean = 0.4 }}` (the file's distribution moved to that mean, its spread kept)"
                ));
            }
        },
    };
    Ok(Override {
        path: key.to_string(),
        value,
        keeps_spread,
    })
}
