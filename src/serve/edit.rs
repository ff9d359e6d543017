//! What the workshop page can change, and turning its edits into a model:
//! per scenario, which interventions are on and the values of their
//! numbers (reach, effects, cost, start year, ramp) and of each service's
//! capacity, checked as the scenario file's own overrides are. The page keeps the whole edit state and sends
//! it with every request, so the server holds nothing that tabs could share.

pub use super::capacity::ServiceControls;
use crate::model::{BASELINE, Effect, Model, Override, Reach, Scenario};
use crate::scenario::overrides;
use crate::scenario::path::{InterventionField, ParamPath};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One scenario as the page has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioEdit {
    pub name: String,
    /// What the charts and tables call it (the name when absent).
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: String,
    /// The file's scenario this one starts from (its own name, or the
    /// original of a copy); `None` for one built from do-nothing.
    #[serde(default)]
    pub from: Option<String>,
    /// Names of the interventions switched on.
    pub interventions: Vec<String>,
    /// Values by override path, e.g. `intervention.Falls prevention.reach`.
    /// A number the file gives a distribution keeps its spread when moved:
    /// the distribution moves to the value as its new mean (README, "Moving
    /// an uncertain number").
    #[serde(default)]
    pub values: BTreeMap<String, f64>,
    /// Paths whose number is fixed at its value in every draw (a lock on the
    /// page, or the file's own override without a distribution).
    #[serde(default)]
    pub fixed: Vec<String>,
}

/// The page's request to re-run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    pub draws: u32,
    pub scenarios: Vec<ScenarioEdit>,
    /// With `[areas]`: the area shown (its code), a parent's name or `all`;
    /// the whole model when absent.
    #[serde(default)]
    pub area: Option<String>,
    /// Charts for the page's presenter mode: a smaller canvas, the same
    /// text, so that text stays large on a projector.
    #[serde(default)]
    pub presenter: bool,
    /// The map of the system shown (which future, band and year).
    #[serde(default)]
    pub map: super::map::MapView,
    /// The contracts' terms the page moved from the file's, by key
    /// (`contract.NAME.tariff.N.price`, `.cap`, `.cap_per_participant`;
    /// `deals`); the same in every future.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub deals: BTreeMap<String, f64>,
}

/// Most draws a workshop re-run may ask for.
pub const MAX_DRAWS: u32 = 20_000;
/// Most scenarios on the page at once.
pub const MAX_SCENARIOS: usize = 12;
// Each scenario on the page has a colour of its own.
const _: () = assert!(MAX_SCENARIOS <= crate::charts::style::SCENARIO_COLOURS);

/// One number the page shows as a slider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Control {
    pub path: String,
    pub label: String,
    pub min: f64,
    pub max: f64,
    pub step: f64,
    /// `share`, `money`, `year`, `years`, `factor`, `count` or `activity`,
    /// for how the page shows it.
    pub kind: &'static str,
    /// A sentence the page shows under the slider, where its meaning needs
    /// one (a capacity given by year: what moving it does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// When the file gives the number a distribution: its 5th and 95th
    /// percentiles and the distribution as written, for the page's label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spread: Option<Spread>,
    /// The file's comment on the number (its source note), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An uncertain number's range and distribution, as the page shows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    pub p5: f64,
    pub p95: f64,
    pub distribution: String,
}

/// An intervention and its controls.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterventionControls {
    pub name: String,
    pub description: String,
    pub controls: Vec<Control>,
    /// The file's `evidence` note (where the effects come from).
    pub evidence: String,
    /// Its evidence rating in words, e.g. `3 of 4: Promising — …`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<String>,
}

/// What the page needs to draw its controls.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    pub name: String,
    pub start_year: i32,
    pub end_year: i32,
    /// The age bands' names (the map of the system can show one).
    pub bands: Vec<String>,
    pub currency: String,
    pub draws: u32,
    pub max_draws: u32,
    pub interventions: Vec<InterventionControls>,
    /// Each service with a capacity and its slider (`service.NAME.capacity`),
    /// in the file's order; empty when no service has one.
    pub services: Vec<ServiceControls>,
    /// Each level with places and its slider (`places.LEVEL`), in the
    /// file's order; empty when no level has places.
    pub levels: Vec<ServiceControls>,
    /// Each outcomes contract and its sliders (`deals`), in the file's
    /// order; absent without contracts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contracts: Vec<super::deals::ContractControls>,
    /// The file's value of each contract slider, by its key.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub deals: BTreeMap<String, f64>,
    /// The file's scenarios as edits (every control's value filled in).
    pub scenarios: Vec<ScenarioEdit>,
    /// With `[areas]`: what the room can choose to see, (label, name):
    /// every area, parent and the whole; empty without areas.
    pub areas: Vec<(String, String)>,
}

fn controls(model: &Model) -> Vec<InterventionControls> {
    let (first, last) = (model.start_year, model.end_year());
    model
        .interventions
        .iter()
        .enumerate()
        .map(|(n, i)| {
            let p = |field: &str| format!("intervention.{}.{field}", i.name);
            let mut controls = Vec::new();
            match i.reach {
                Reach::Share(_) => controls.push(Control {
                    path: p("reach"),
                    label: "Share of the people it targets that it reaches".into(),
                    min: 0.0,
                    max: 1.0,
                    step: 0.01,
                    kind: "share",
                    hint: None,
                    spread: None,
                    note: None,
                }),
                Reach::Places(v) => controls.push(Control {
                    path: p("places"),
                    label: "Places it offers a year".into(),
                    min: 0.0,
                    max: (v * 3.0).max(10.0).ceil(),
                    step: 1.0,
                    kind: "count",
                    hint: None,
                    spread: None,
                    note: None,
                }),
            }
            // (An effect on the moves out of every tunnel of a level is
            // one control, for the level as a whole.)
            for group in model.effect_groups(n) {
                let effect = &i.effects[group.first];
                let label = plain_label(effect, model, &group);
                let path = p(&group.path);
                let value = effect.value();
                // Capacity or places bought are amounts, not factors.
                let (max, step, kind) = match effect {
                    Effect::Capacity { .. } | Effect::Places { .. } => {
                        ((value * 3.0).max(10.0).ceil(), 1.0, "activity")
                    }
                    _ => ((value * 2.0).max(1.5), 0.01, "factor"),
                };
                controls.push(Control {
                    path,
                    label,
                    min: 0.0,
                    max,
                    step,
                    kind,
                    hint: None,
                    spread: None,
                    note: None,
                });
            }
            controls.push(Control {
                path: p("cost_per_participant"),
                label: "Cost per participant a year".into(),
                min: 0.0,
                max: (i.cost_per_participant * 3.0).max(100.0).ceil(),
                step: if i.cost_per_participant >= 1000.0 { 10.0 } else { 1.0 },
                kind: "money",
                hint: None,
                spread: None,
                note: None,
            });
            controls.push(Control {
                path: p("start_year"),
                label: "Starts in".into(),
                min: f64::from(first),
                max: f64::from(last),
                step: 1.0,
                kind: "year",
                hint: None,
                spread: None,
                note: None,
            });
            controls.push(Control {
                path: p("ramp_years"),
                label: "Years to reach full scale".into(),
                min: 0.0,
                max: 10.0,
                step: 0.5,
                kind: "years",
                hint: None,
                spread: None,
                note: None,
            });
            InterventionControls {
                name: i.name.clone(),
                description: i.description.clone(),
                controls,
                evidence: i.evidence.clone(),
                rating: i.rating.map(|r| {
                    let scale = &model.evidence_scale;
                    let rating = scale.rating(r);
                    format!("{r} of {}: {}", scale.highest(), rating.label)
                }),
            }
        })
        .collect()
}

/// An effect's slider label in plain words, saying which way is better.
/// A control's label for `effect`, the first of `group` (a move's levels
/// as the group names them: a level with tunnels as a whole).
fn plain_label(effect: &Effect, model: &Model, group: &crate::model::EffectGroup) -> String {
    match *effect {
        Effect::Transition { to, .. } => {
            let (from, to_name) = group.levels.clone().unwrap_or_default();
            match to {
                Some(_) => {
                    format!("Moves from {from} to {to_name} (relative risk: 1 = no change, 0.8 = a fifth fewer)")
                }
                None => format!("Deaths and leaving from {from} (relative risk: 1 = no change)"),
            }
        }
        Effect::Service { service, .. } => format!(
            "Use of {} (× the usual use: 1 = no change, 0.9 = a tenth less)",
            model.services[service].name
        ),
        Effect::Capacity { service, .. } => {
            format!("{} it adds a year", model.services[service].name)
        }
        Effect::Places { level, .. } => format!("{} places it adds", model.levels[level]),
        Effect::Utility { .. } => {
            "Quality of life of the people it reaches (× the usual weight: 1 = no change, 1.05 = 5% better)".into()
        }
    }
}

/// A value's key, as the page sends it, read once as a parameter path of
/// `model`. `intervention.NAME.start_year` and `.ramp_years` are read as
/// the page always has, whatever NAME holds (with a dot it names no
/// intervention, and reading its value says so).
fn path_of(model: &Model, key: &str) -> Result<ParamPath, String> {
    for (suffix, field) in [
        (".start_year", InterventionField::StartYear),
        (".ramp_years", InterventionField::RampYears),
    ] {
        if let Some(name) = key.strip_prefix("intervention.").and_then(|k| k.strip_suffix(suffix)) {
            return Ok(ParamPath::Intervention {
                name: name.to_string(),
                field,
            });
        }
    }
    overrides::parse(model, key)
}

/// Each control's value in `model` (or why its key has none): start year,
/// ramp and capacity are read from the model (they are not numbers a draw
/// varies), the rest as overrides read them (all at once).
fn control_values(model: &Model, paths: &[Result<ParamPath, String>]) -> Vec<Result<f64, String>> {
    let own: Vec<Option<Result<f64, String>>> = paths.iter().map(|p| own_value(model, p)).collect();
    let others: Vec<&ParamPath> = paths
        .iter()
        .zip(&own)
        .filter(|(_, o)| o.is_none())
        .filter_map(|(p, _)| p.as_ref().ok())
        .collect();
    let mut others = overrides::values(model, &others).into_iter();
    own.into_iter()
        .map(|o| o.unwrap_or_else(|| others.next().expect("a value per path")))
        .collect()
}

/// The value of a control that the page reads from the model itself: an
/// intervention's start year or ramp, a service's capacity or a level's places (its value in
/// the start year: a capacity given by year is unchanged while the page
/// sends that back); `None` for the numbers overrides read.
fn own_value(model: &Model, path: &Result<ParamPath, String>) -> Option<Result<f64, String>> {
    let (name, read): (_, fn(&crate::model::Intervention) -> f64) = match path {
        Err(e) => return Some(Err(e.clone())),
        Ok(ParamPath::Intervention {
            name,
            field: InterventionField::StartYear,
        }) => (name, |i| f64::from(i.start_year)),
        Ok(ParamPath::Intervention {
            name,
            field: InterventionField::RampYears,
        }) => (name, |i| i.ramp_years),
        Ok(ParamPath::Places { level }) => {
            let found = model.levels.iter().position(|l| l == level);
            return Some(match found.map(|l| model.places.iter().find(|p| p.level == l)) {
                Some(Some(places)) => Ok(places.per_year.at(model.start_year)),
                Some(None) => Err(format!(
                    "level `{level}` has no places; give it a [[places]] table in the file first"
                )),
                None => Err(format!("the file has no level `{level}`")),
            });
        }
        Ok(ParamPath::Capacity { service }) => {
            let found = model.services.iter().find(|s| &s.name == service);
            return Some(match found.map(|s| s.capacity.as_ref()) {
                Some(Some(capacity)) => Ok(capacity.per_year.at(model.start_year)),
                Some(None) => Err(format!(
                    "service `{service}` has no capacity; give it a `capacity` in the file first"
                )),
                None => Err(format!("the file has no service `{service}`")),
            });
        }
        Ok(_) => return None,
    };
    Some(
        model
            .interventions
            .iter()
            .find(|i| &i.name == name)
            .map(read)
            .ok_or_else(|| format!("the file has no intervention `{name}`")),
    )
}

/// Every control's value in `model` (a scenario's or the baseline's).
fn values(model: &Model, controls: &[&Control]) -> BTreeMap<String, f64> {
    let keys: Vec<&str> = controls.iter().map(|c| c.path.as_str()).collect();
    let paths: Vec<Result<ParamPath, String>> = keys.iter().map(|k| path_of(model, k)).collect();
    keys.iter()
        .zip(control_values(model, &paths))
        .filter_map(|(p, v)| v.ok().map(|v| (p.to_string(), v)))
        .collect()
}

/// The targets the number at `path` sets (found by setting it on a copy;
/// `None` when no value is accepted, as for a path the model lacks).
fn targets_at(model: &Model, path: &ParamPath) -> Option<Vec<crate::model::Target>> {
    [0.5, 0.0, 1.0, 2030.0]
        .into_iter()
        .find_map(|v| overrides::targets(model, path, v).ok())
}

/// The distribution `model` gives the number at `path`, if any (the first,
/// for a number given by year).
fn distribution_at(model: &Model, path: &str) -> Option<crate::uncertainty::Distribution> {
    let path = path_of(model, path).ok()?;
    let set = targets_at(model, &path)?;
    model
        .uncertain
        .iter()
        .find(|u| u.targets.iter().any(|t| set.iter().any(|s| s.same_quantity(t))))
        .map(|u| u.distribution)
}

/// Each intervention control's note: the file's comment on the number it
/// moves (`reach`, a cost, …, or an effect's own line and the paragraph
/// above its table), from `text`, the scenario file.
pub fn add_notes(info: &mut ModelInfo, model: &Model, text: &str) {
    let sections = crate::scenario::assumptions::read(text);
    let note_of = |heading: &str, key: &str| -> Option<String> {
        let section = sections.iter().find(|s| s.heading == heading)?;
        let item = section.items.iter().find(|a| a.key == key);
        let parts: Vec<&str> = [Some(section.note.as_str()), item.map(|a| a.note.as_str())]
            .into_iter()
            .flatten()
            .filter(|n| !n.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    };
    for (n, (iv, controls)) in model.interventions.iter().zip(&mut info.interventions).enumerate() {
        let heading = format!("interventions: {}", iv.name);
        let prefix = format!("intervention.{}.", iv.name);
        let groups = model.effect_groups(n);
        for c in &mut controls.controls {
            let field = c.path.strip_prefix(&prefix).unwrap_or("");
            // (The file's effects in order: a group is one of them.)
            let effect = groups.iter().position(|g| field == g.path);
            c.note = match effect {
                Some(n) => {
                    let key = field.split('.').next().unwrap_or("");
                    note_of(&format!("{heading} › effects {}", n + 1), key)
                }
                // The intervention's own line for the field (not the
                // paragraph above the intervention, which describes it).
                None => sections
                    .iter()
                    .find(|s| s.heading == heading)
                    .and_then(|s| s.items.iter().find(|a| a.key == field))
                    .map(|a| a.note.clone())
                    .filter(|n| !n.is_empty()),
            };
        }
    }
}

/// Each control's spread in `model` (see [`Spread`]).
fn fill_spreads<'a>(model: &Model, controls: impl Iterator<Item = &'a mut Control>) {
    for c in controls {
        c.spread = distribution_at(model, &c.path).map(|d| Spread {
            p5: d.quantile(0.05),
            p95: d.quantile(0.95),
            distribution: d.to_string(),
        });
    }
}

/// The paths among `controls` whose number `scenario` fixes though the
/// file gives it a distribution (the scenario's own override).
fn fixed_by_file(base: &Model, scenario: &Model, controls: &[&Control]) -> Vec<String> {
    controls
        .iter()
        .filter(|c| c.spread.is_some() && distribution_at(scenario, &c.path).is_none())
        .map(|c| c.path.clone())
        .filter(|p| distribution_at(base, p).is_some())
        .collect()
}

pub fn model_info(model: &Model, draws: u32) -> ModelInfo {
    let mut controls = controls(model);
    let mut services = super::capacity::controls(model);
    let mut levels = super::capacity::place_controls(model);
    fill_spreads(
        model,
        controls
            .iter_mut()
            .flat_map(|i| &mut i.controls)
            .chain(services.iter_mut().flat_map(|s| &mut s.controls))
            .chain(levels.iter_mut().flat_map(|l| &mut l.controls)),
    );
    let every: Vec<&Control> = controls
        .iter()
        .flat_map(|i| &i.controls)
        .chain(services.iter().flat_map(|s| &s.controls))
        .chain(levels.iter().flat_map(|l| &l.controls))
        .collect();
    let scenarios = model
        .scenarios
        .iter()
        .map(|s| ScenarioEdit {
            name: s.name.clone(),
            title: Some(s.title.clone()),
            description: s.description.clone(),
            from: Some(s.name.clone()),
            interventions: s
                .interventions
                .iter()
                .map(|&i| model.interventions[i].name.clone())
                .collect(),
            values: values(&s.model, &every),
            fixed: fixed_by_file(model, &s.model, &every),
        })
        .collect();
    ModelInfo {
        name: model.name.clone(),
        start_year: model.start_year,
        end_year: model.end_year(),
        bands: model.bands.iter().map(|b| b.name.clone()).collect(),
        currency: model.currency.clone(),
        draws: draws.min(MAX_DRAWS),
        max_draws: MAX_DRAWS,
        interventions: controls,
        services,
        levels,
        contracts: super::deals::controls(model),
        deals: super::deals::values(model),
        scenarios,
        areas: if model.areas.is_empty() {
            Vec::new()
        } else {
            crate::results::area_units(model)
        }
        .into_iter()
        .map(|(label, members)| {
            let name = match members.as_slice() {
                [a] if model.areas[*a].code == label => format!("{} ({label})", model.areas[*a].name),
                _ if label == crate::results::ALL_AREAS => "All areas".to_string(),
                _ => label.clone(),
            };
            (label, name)
        })
        .collect(),
    }
}

/// Refuses more draws or scenarios than a workshop re-run allows, before
/// any work.
pub fn check_size(request: &RunRequest) -> Result<(), String> {
    if request.draws > MAX_DRAWS {
        return Err(format!(
            "{} draws is more than a workshop re-run allows ({MAX_DRAWS}); ask for fewer",
            request.draws
        ));
    }
    if request.scenarios.len() > MAX_SCENARIOS {
        return Err(format!(
            "{} scenarios is more than the page shows at once ({MAX_SCENARIOS}); remove some",
            request.scenarios.len()
        ));
    }
    Ok(())
}

/// One of the page's scenarios built, and the numbers the page changed
/// from the file's (path, value): with areas, these are set in each
/// area's copy of the scenario, so that an area's own figures stay where
/// the page left a number as the file has it.
struct Built {
    scenario: Scenario,
    changed: Vec<Override>,
}

/// The model with the page's scenarios in place of the file's, in every
/// area too. Every problem is a message for the page naming the scenario
/// (and the area) and the number.
pub fn build(base: &Model, request: &RunRequest) -> Result<Model, String> {
    check_size(request)?;
    let mut model = base.clone();
    model.scenarios = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    let mut changes = Vec::new();
    for edit in &request.scenarios {
        let name = edit.name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(format!(
                "a scenario name must be 1 to 80 characters with no line breaks; `{}` is not",
                edit.name.escape_debug()
            ));
        }
        if name == BASELINE {
            return Err(format!(
                "`{BASELINE}` is the baseline's name; call the scenario something else"
            ));
        }
        if names.contains(&name) {
            return Err(format!("two scenarios are called `{name}`; rename one"));
        }
        names.push(name);
        let built = build_one(base, edit, None)?;
        model.scenarios.push(built.scenario);
        changes.push(built.changed);
    }
    for area in &mut model.areas {
        let code = area.code.clone();
        let mut scenarios = Vec::with_capacity(request.scenarios.len());
        for (edit, changed) in request.scenarios.iter().zip(&changes) {
            let built = build_one(&area.model, edit, Some(changed)).map_err(|e| format!("in area `{code}`, {e}"))?;
            scenarios.push(built.scenario);
        }
        area.model.scenarios = scenarios;
    }
    super::deals::apply(&mut model, &request.deals)?;
    Ok(model)
}

/// One scenario of the page on `base`: its interventions, and its numbers
/// the page's (`changed`: only those, as found in the file's model).
fn build_one(base: &Model, edit: &ScenarioEdit, changed: Option<&[Override]>) -> Result<Built, String> {
    let name = edit.name.trim();
    let origin = match &edit.from {
        Some(from) => Some(
            base.scenarios
                .iter()
                .find(|s| &s.name == from)
                .ok_or_else(|| format!("scenario `{name}` starts from `{from}`, which the file does not have"))?,
        ),
        None => None,
    };
    let mut scenario_model = match origin {
        Some(o) => (*o.model).clone(),
        None => {
            let mut m = base.clone();
            m.scenarios = Vec::new();
            m.areas = Vec::new();
            m
        }
    };
    let mut overrides_written: Vec<Override> = origin.map(|o| o.overrides.clone()).unwrap_or_default();
    let mut applied = Vec::new();
    let mut apply = |model: &mut Model, o: Override| -> Result<(), String> {
        let path = &o.path;
        let parsed = path_of(model, path).map_err(|e| format!("in `{name}`: {e}"))?;
        if o.keeps_spread {
            overrides::shift(model, &parsed, o.value)
        } else {
            overrides::apply(model, &parsed, o.value)
        }
        .map_err(|e| format!("in `{name}`, {path}: {e}"))?;
        overrides_written.retain(|w| &w.path != path);
        overrides_written.push(o.clone());
        applied.push(o);
        Ok(())
    };
    match changed {
        Some(changed) => {
            for o in changed {
                apply(&mut scenario_model, o.clone())?;
            }
        }
        None => {
            // The values the scenario has before the page's are applied; a
            // number moved keeps its spread unless the page fixes it.
            let paths: Vec<Result<ParamPath, String>> =
                edit.values.keys().map(|k| path_of(&scenario_model, k)).collect();
            let currents = control_values(&scenario_model, &paths);
            for ((path, &value), current) in edit.values.iter().zip(currents) {
                if !value.is_finite() {
                    return Err(format!("in `{name}`, {path} is not a number"));
                }
                let current = current.map_err(|e| format!("in `{name}`: {e}"))?;
                let fixed = edit.fixed.contains(path);
                let unchanged = (value - current).abs() <= 1e-12 * current.abs().max(1.0);
                // A lock on a number the scenario still has a distribution
                // for fixes it even where the value is the file's.
                if unchanged && !(fixed && distribution_at(&scenario_model, path).is_some()) {
                    continue;
                }
                let o = Override {
                    path: path.clone(),
                    value,
                    keeps_spread: !fixed,
                };
                apply(&mut scenario_model, o)?;
            }
        }
    }
    let title = match edit.title.as_deref().map(str::trim) {
        Some(t) if t.is_empty() || t.chars().count() > 80 || t.chars().any(char::is_control) => {
            return Err(format!(
                "a scenario title must be 1 to 80 characters with no line breaks; `{}` is not",
                t.escape_debug()
            ));
        }
        Some(t) => t,
        None => name,
    };
    let mut plan = Vec::new();
    for intervention in &edit.interventions {
        let i = base
            .interventions
            .iter()
            .position(|x| &x.name == intervention)
            .ok_or_else(|| format!("in `{name}`: the file has no intervention `{intervention}`"))?;
        if !plan.contains(&i) {
            plan.push(i);
        }
    }
    plan.sort_unstable();
    if let Some(problem) = overrides::flow_problems(&scenario_model, &plan).first() {
        return Err(format!("in `{name}`: {problem}"));
    }
    Ok(Built {
        scenario: Scenario {
            name: name.to_string(),
            title: title.to_string(),
            description: edit.description.clone(),
            interventions: plan,
            model: Box::new(scenario_model),
            overrides: overrides_written,
        },
        changed: applied,
    })
}
