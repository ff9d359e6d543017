//! The supply side on the workshop page (README, "Workshop mode"): a
//! slider for each service's capacity and each level's places, and when
//! each future first asks a service for more than it can deliver and first
//! fills a level, in the headline table.
//!
//! A capacity slider is the override `service.NAME.capacity`, a places
//! slider `places.LEVEL`. Each starts at the value in the start year; left
//! there it changes nothing (a value given by year keeps its years); moved,
//! its value holds in every year, in every area, as the scenario file's own
//! override would set it.

use super::edit::Control;
use crate::engine::{Figure, PlaceFigure};
use crate::model::Model;
use crate::montecarlo::{self, RowKey};
use crate::output::html::escape;
use crate::results::{Accounts, Comparison};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// A service with a capacity, or a level with places, and its slider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceControls {
    pub name: String,
    pub controls: Vec<Control>,
}

/// One slider per service with a capacity, from 0 to three times the
/// largest value the file gives it (10 at least), in steps that land on
/// the file's values.
pub fn controls(model: &Model) -> Vec<ServiceControls> {
    model
        .services
        .iter()
        .enumerate()
        .filter_map(|(s, service)| {
            let capacity = service.capacity.as_ref()?;
            // The file's values, and any a file scenario overrides them with.
            let values: Vec<f64> = std::iter::once(model)
                .chain(model.scenarios.iter().map(|sc| &*sc.model))
                .filter_map(|m| m.services.get(s)?.capacity.as_ref())
                .flat_map(|c| c.per_year.points().iter().map(|&(_, v)| v))
                .collect();
            let file = Slider {
                what: "capacity",
                path: format!("service.{}.capacity", service.name),
                label: "capacity (activity a year)",
                constant: "Activity it can deliver a year, in every year.",
            };
            Some(ServiceControls {
                name: service.name.clone(),
                controls: vec![file.control(&capacity.per_year, &values)],
            })
        })
        .collect()
}

/// One slider per level with places, as [`controls`] for capacities.
pub fn place_controls(model: &Model) -> Vec<ServiceControls> {
    model
        .places
        .iter()
        .enumerate()
        .map(|(i, limited)| {
            let level = &model.levels[limited.level];
            let values: Vec<f64> = std::iter::once(model)
                .chain(model.scenarios.iter().map(|sc| &*sc.model))
                .filter_map(|m| m.places.get(i))
                .flat_map(|p| p.per_year.points().iter().map(|&(_, v)| v))
                .collect();
            let file = Slider {
                what: "places",
                path: format!("places.{level}"),
                label: "places (people it can hold)",
                constant: "The most people the level can hold, in every year.",
            };
            ServiceControls {
                name: level.clone(),
                controls: vec![file.control(&limited.per_year, &values)],
            }
        })
        .collect()
}

/// A slider for a number the file gives by year (a capacity, places).
struct Slider {
    what: &'static str,
    path: String,
    label: &'static str,
    constant: &'static str,
}

impl Slider {
    /// From 0 to three times the largest of `values` (the file's, and any
    /// a file scenario sets; 10 at least), in steps that land on them.
    fn control(self, per_year: &crate::model::Series<f64>, values: &[f64]) -> Control {
        let largest = values.iter().copied().fold(0.0, f64::max);
        let top = (3.0 * largest).max(10.0);
        let step = step_for(top, values);
        let hint = if per_year.is_constant() {
            self.constant.to_string()
        } else {
            let by_year: Vec<String> = per_year
                .points()
                .iter()
                .map(|&(year, v)| format!("{} from {year}", crate::format::short(v)))
                .collect();
            let changes = if self.what == "places" {
                "places change"
            } else {
                "capacity changes"
            };
            format!(
                "The file's {changes} by year ({}); moved, the slider's value holds in every year.",
                by_year.join(", ")
            )
        };
        Control {
            path: self.path,
            label: self.label.into(),
            min: 0.0,
            max: (top / step).ceil() * step,
            step,
            kind: "activity",
            hint: Some(hint),
            spread: None,
            note: None,
        }
    }
}

/// The coarsest step of 1, 2 or 5 × a power of ten giving the slider at
/// least 200 positions up to `top` that lands on every one of `values`
/// (so the file's value is a position of the slider); 0.01 if none does.
pub(super) fn step_for(top: f64, values: &[f64]) -> f64 {
    let finest = top / 200.0;
    let coarsest = finest.log10().floor() as i32 + 1;
    for power in (-2..=coarsest.max(-2)).rev() {
        // Divided rather than multiplied below 1, so that 0.05 is 5 / 100.
        let scaled = |k: f64| {
            if power >= 0 {
                k * 10f64.powi(power)
            } else {
                k / 10f64.powi(-power)
            }
        };
        for step in [scaled(5.0), scaled(2.0), scaled(1.0)] {
            let lands = |v: &f64| ((v / step).round() * step - v).abs() <= 1e-9 * v.abs().max(1.0);
            if step <= finest && values.iter().all(lands) {
                return step;
            }
        }
    }
    0.01
}

/// One service's supply in one future, as the page's answer carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSupply {
    pub service: String,
    /// The first year its demand exceeds its capacity, at the inputs'
    /// means; `None` when it does not within the horizon.
    pub first_year: Option<i32>,
    /// With draws: the share of draws in which its demand has exceeded its
    /// capacity by the last year (the mean of `over_capacity_by:NAME`).
    pub chance_by_horizon: Option<f64>,
    /// Per year from the start year, at the inputs' means, in the
    /// service's own unit: its capacity, demand and activity served.
    pub capacity: Vec<f64>,
    pub demand: Vec<f64>,
    pub served: Vec<f64>,
}

/// When one future first asks more of a service than it can deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FutureSupply {
    /// The future's name (`do-nothing` first, then the page's scenarios).
    pub future: String,
    /// What the headline calls it (its title).
    #[serde(default)]
    pub title: String,
    /// The earliest year any service's demand exceeds its capacity, at the
    /// inputs' means; `None` when none does within the horizon.
    pub first_year: Option<i32>,
    /// The services over capacity first in that year.
    pub services: Vec<String>,
    /// With draws: the highest of the services' chances of being over
    /// capacity by the last year (with one service, the chance that demand
    /// has exceeded capacity by then).
    pub chance_by_horizon: Option<f64>,
    pub by_service: Vec<ServiceSupply>,
    /// The earliest year any level with places is full, at the inputs'
    /// means; `None` when none is within the horizon (or none has places).
    #[serde(default)]
    pub first_year_full: Option<i32>,
    /// The levels full first in that year.
    #[serde(default)]
    pub levels_full: Vec<String>,
    /// With draws: the highest of the levels' chances of being full by the
    /// last year.
    #[serde(default)]
    pub chance_full_by_horizon: Option<f64>,
    #[serde(default)]
    pub by_level: Vec<LevelSupply>,
}

/// One level with places in one future, as the page's answer carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelSupply {
    pub level: String,
    /// The first year someone is left waiting for a place, at the inputs'
    /// means; `None` when nobody is within the horizon.
    pub first_year: Option<i32>,
    /// With draws: the share of draws in which the level has been full by
    /// the last year (the mean of `full_by:LEVEL`).
    pub chance_by_horizon: Option<f64>,
    /// Per year from the start year, at the inputs' means: the places, the
    /// people in the level at the year's end and those waiting for a place.
    pub places: Vec<f64>,
    pub occupied: Vec<f64>,
    pub waiting: Vec<f64>,
}

/// Whether the page's run needs the statistics of summary row `key`: a
/// service's `over_capacity_by` or a level's `full_by` in the last year,
/// `last`.
pub fn reads(key: &RowKey, last: i32) -> bool {
    key.1 == Some(last) && (key.2.starts_with("over_capacity_by:") || key.2.starts_with("full_by:"))
}

/// How many rows [`reads`] accepts in a run of `model` with `scenarios`
/// scenarios (and the baseline): one per service with a capacity or level
/// with places, and future.
pub fn rows_read(model: &Model, scenarios: usize) -> usize {
    let services = model.services.iter().filter(|s| s.capacity.is_some()).count();
    (services + model.places.len()) * (scenarios + 1)
}

/// Each future's supply (empty when no service has a capacity): the first
/// year over capacity from `accounts`, and with `monte_carlo` the chance of
/// it by the last year.
pub fn futures(
    model: &Model,
    accounts: &[Accounts],
    comparisons: &[Comparison],
    monte_carlo: Option<&montecarlo::Summary>,
) -> Vec<FutureSupply> {
    if !accounts
        .first()
        .is_some_and(|a| a.supply.is_on() || a.supply.places_on())
    {
        return Vec::new();
    }
    let last = accounts[0].years.last().copied().unwrap_or(model.start_year);
    // The statistics of each future's `over_capacity_by` and `full_by` rows
    // in the last year, found by walking the summary's rows in their order.
    let mut chances: Vec<Vec<(String, f64)>> = vec![Vec::new(); accounts.len()];
    let mut full_chances: Vec<Vec<(String, f64)>> = vec![Vec::new(); accounts.len()];
    if let Some(summary) = monte_carlo {
        let mut r = 0;
        crate::results::rows::visit_summary(model, accounts, comparisons, &mut |f, year, name, _| {
            if year == Some(last)
                && let Some(mean) = summary.rows.get(r).and_then(|row| row.mean)
            {
                let name = name();
                if let Some(service) = name.strip_prefix("over_capacity_by:") {
                    chances[f].push((service.to_string(), mean));
                } else if let Some(level) = name.strip_prefix("full_by:") {
                    full_chances[f].push((level.to_string(), mean));
                }
            }
            r += 1;
        });
    }
    accounts
        .iter()
        .zip(chances.iter().zip(&full_chances))
        .map(|(a, (chances, full_chances))| {
            let by_service: Vec<ServiceSupply> = model
                .services
                .iter()
                .enumerate()
                .filter(|(_, service)| service.capacity.is_some())
                .map(|(s, service)| {
                    let per_year = |which: Figure| (0..a.years.len()).map(|t| a.supply.figure(t, s, which)).collect();
                    ServiceSupply {
                        service: service.name.clone(),
                        first_year: a.supply.first_over_capacity(s).map(|t| a.years[t]),
                        chance_by_horizon: chances.iter().find(|(n, _)| n == &service.name).map(|&(_, p)| p),
                        capacity: per_year(Figure::Capacity),
                        demand: per_year(Figure::Demand),
                        served: per_year(Figure::Served),
                    }
                })
                .collect();
            let first_year = by_service.iter().filter_map(|s| s.first_year).min();
            let by_level: Vec<LevelSupply> = if a.supply.places_on() {
                model
                    .places
                    .iter()
                    .enumerate()
                    .map(|(i, limited)| {
                        let level = model.levels[limited.level].clone();
                        let per_year =
                            |which: PlaceFigure| (0..a.years.len()).map(|t| a.supply.place(t, i, which)).collect();
                        LevelSupply {
                            first_year: a.supply.first_full(i).map(|t| a.years[t]),
                            chance_by_horizon: full_chances.iter().find(|(n, _)| n == &level).map(|&(_, p)| p),
                            places: per_year(PlaceFigure::Places),
                            occupied: per_year(PlaceFigure::Occupied),
                            waiting: per_year(PlaceFigure::WaitingEnd),
                            level,
                        }
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let first_year_full = by_level.iter().filter_map(|l| l.first_year).min();
            FutureSupply {
                first_year_full,
                levels_full: by_level
                    .iter()
                    .filter(|l| first_year_full.is_some() && l.first_year == first_year_full)
                    .map(|l| l.level.clone())
                    .collect(),
                chance_full_by_horizon: by_level.iter().filter_map(|l| l.chance_by_horizon).reduce(f64::max),
                by_level,
                future: a.scenario.clone(),
                title: model
                    .scenarios
                    .iter()
                    .find(|s| s.name == a.scenario)
                    .map_or_else(|| a.scenario.clone(), |s| s.title.clone()),
                first_year,
                services: by_service
                    .iter()
                    .filter(|s| first_year.is_some() && s.first_year == first_year)
                    .map(|s| s.service.clone())
                    .collect(),
                chance_by_horizon: by_service.iter().filter_map(|s| s.chance_by_horizon).reduce(f64::max),
                by_service,
            }
        })
        .collect()
}

/// What a future's "first year over capacity" cell says: "2028 (Home
/// care)", or "not by 2029".
pub fn first_year_text(future: &FutureSupply, last: i32) -> String {
    first_text(future.first_year, &future.services, last)
}

/// What a future's "first year full" cell says: "2027 (Care home)", or
/// "not by 2029".
pub fn first_full_text(future: &FutureSupply, last: i32) -> String {
    first_text(future.first_year_full, &future.levels_full, last)
}

fn first_text(year: Option<i32>, names: &[String], last: i32) -> String {
    match year {
        Some(year) => format!("{year} ({})", names.join(", ")),
        None => format!("not by {last}"),
    }
}

/// What a future's chance cell says: "83%", naming the service when
/// several have a capacity ("83% (Home care)"); "–" without draws.
pub fn chance_text(future: &FutureSupply) -> String {
    let each: Vec<(&str, Option<f64>)> = future
        .by_service
        .iter()
        .map(|s| (s.service.as_str(), s.chance_by_horizon))
        .collect();
    chance_of(future.chance_by_horizon, &each)
}

/// What a future's "chance full" cell says, as [`chance_text`] for levels.
pub fn full_chance_text(future: &FutureSupply) -> String {
    let each: Vec<(&str, Option<f64>)> = future
        .by_level
        .iter()
        .map(|l| (l.level.as_str(), l.chance_by_horizon))
        .collect();
    chance_of(future.chance_full_by_horizon, &each)
}

fn chance_of(chance: Option<f64>, each: &[(&str, Option<f64>)]) -> String {
    let Some(chance) = chance else {
        return "–".into();
    };
    let percent = format!("{:.0}%", chance * 100.0);
    if each.len() < 2 {
        return percent;
    }
    let most: Vec<&str> = each
        .iter()
        .filter(|(_, c)| *c == Some(chance))
        .map(|(n, _)| *n)
        .collect();
    format!("{percent} ({})", most.join(", "))
}

/// A column the headline gains: its heading and each future's cell.
type Column = (String, fn(&FutureSupply, i32) -> String);

/// The supply side's columns of the headline: with capacities "First year
/// over capacity" (and, with draws, "Chance over capacity by LAST"); with
/// places "First year full" (and "Chance full by LAST").
fn columns(baseline: &FutureSupply, last: i32, draws: bool) -> Vec<Column> {
    let mut columns: Vec<Column> = Vec::new();
    if !baseline.by_service.is_empty() {
        columns.push((
            "<th class=\"num\" title=\"The first year demand for a service exceeds its capacity, at the inputs' means\">First year over capacity</th>".into(),
            first_year_text,
        ));
        if draws {
            columns.push((
                format!("<th class=\"num\" title=\"The share of draws in which demand has exceeded capacity by {last} (with several services, the highest)\">Chance over capacity by {last}</th>"),
                |f, _| chance_text(f),
            ));
        }
    }
    if !baseline.by_level.is_empty() {
        columns.push((
            "<th class=\"num\" title=\"The first year someone is left waiting for a place in a level with places, at the inputs' means\">First year full</th>".into(),
            first_full_text,
        ));
        if draws {
            columns.push((
                format!("<th class=\"num\" title=\"The share of draws in which the level has been full by {last} (with several levels, the highest)\">Chance full by {last}</th>"),
                |f, _| full_chance_text(f),
            ));
        }
    }
    columns
}

/// The headline tables with the supply side's [`columns`] in the first
/// (the money table), and a do-nothing row above the scenarios for its
/// own. Unchanged when `supply` is empty (no capacities or places) or the
/// table is not the report's shape.
pub fn headline(html: &str, supply: &[FutureSupply], last: i32, draws: bool) -> String {
    let Some(baseline) = supply.first() else {
        return html.to_string();
    };
    let Some(table) = html.find("<table class=\"headline\">") else {
        return html.to_string();
    };
    let (before, rest) = html.split_at(table);
    let (Some(head_end), Some(body_end)) = (rest.find("</tr></thead>"), rest.find("</tbody>")) else {
        return html.to_string();
    };
    let Some(body_start) = rest[head_end..].find("<tbody>").map(|i| head_end + i + "<tbody>".len()) else {
        return html.to_string();
    };
    let columns = columns(baseline, last, draws);
    let head = &rest[..head_end];
    let width = head.matches("<th>").count() + head.matches("<th ").count();
    let cells = |future: &FutureSupply| {
        columns.iter().fold(String::new(), |mut cells, (_, cell)| {
            let _ = write!(cells, "<td class=\"num\">{}</td>", escape(&cell(future, last)));
            cells
        })
    };
    let mut out = String::with_capacity(html.len() + 512);
    out.push_str(before);
    out.push_str(head);
    for (heading, _) in &columns {
        out.push_str(heading);
    }
    out.push_str(&rest[head_end..body_start]);
    // Do-nothing has no saving of its own: its row shows only when it
    // first runs out of capacity or places.
    let _ = write!(out, "\n<tr class=\"baseline\"><td>{}</td>", escape(&baseline.future));
    for _ in 1..width {
        out.push_str("<td class=\"num\">–</td>");
    }
    let _ = write!(out, "{}</tr>", cells(baseline));
    // Each scenario's row, found by its title, gains its cells.
    let mut body = &rest[body_start..body_end];
    while let Some(end) = body.find("</tr>") {
        let row = &body[..end];
        out.push_str(row);
        let named = |f: &&FutureSupply| row.contains(&format!("<strong>{}</strong></td>", escape(&f.title)));
        if let Some(future) = supply.iter().skip(1).find(named) {
            out.push_str(&cells(future));
        }
        out.push_str("</tr>");
        body = &body[end + "</tr>".len()..];
    }
    out.push_str(body);
    out.push_str(&rest[body_end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_lands_on_the_file_values() {
        assert_eq!(step_for(3600.0, &[900.0, 1200.0]), 10.0);
        assert_eq!(step_for(3600.0, &[905.0]), 5.0);
        assert_eq!(step_for(3600.0, &[901.0]), 1.0);
        assert_eq!(step_for(30.0, &[10.0]), 0.1);
        assert_eq!(step_for(10.0, &[0.0]), 0.05);
        assert_eq!(step_for(3.0, &[1.0 / 3.0]), 0.01);
    }

    fn future(name: &str, first: Option<i32>, services: &[(&str, Option<i32>, Option<f64>)]) -> FutureSupply {
        let by_service: Vec<ServiceSupply> = services
            .iter()
            .map(|&(s, y, p)| ServiceSupply {
                service: s.into(),
                first_year: y,
                chance_by_horizon: p,
                capacity: Vec::new(),
                demand: Vec::new(),
                served: Vec::new(),
            })
            .collect();
        FutureSupply {
            future: name.into(),
            title: name.into(),
            first_year: first,
            services: by_service
                .iter()
                .filter(|s| first.is_some() && s.first_year == first)
                .map(|s| s.service.clone())
                .collect(),
            chance_by_horizon: by_service.iter().filter_map(|s| s.chance_by_horizon).reduce(f64::max),
            by_service,
            first_year_full: None,
            levels_full: Vec::new(),
            chance_full_by_horizon: None,
            by_level: Vec::new(),
        }
    }

    #[test]
    fn the_cells_name_the_service_and_the_year() {
        let one = future("a", Some(2027), &[("Home care", Some(2027), Some(0.834))]);
        assert_eq!(first_year_text(&one, 2029), "2027 (Home care)");
        assert_eq!(chance_text(&one), "83%");
        let none = future("b", None, &[("Home care", None, None)]);
        assert_eq!(first_year_text(&none, 2029), "not by 2029");
        assert_eq!(chance_text(&none), "–");
        let two = future(
            "c",
            Some(2026),
            &[("Home care", Some(2026), Some(0.5)), ("Beds", Some(2026), Some(0.9))],
        );
        assert_eq!(first_year_text(&two, 2029), "2026 (Home care, Beds)");
        assert_eq!(chance_text(&two), "90% (Beds)");
    }

    #[test]
    fn the_headline_gains_a_column_and_a_do_nothing_row() {
        let html = "<p class=\"caption\">x</p>\n<table class=\"headline\">\n<thead><tr><th>Scenario</th><th class=\"num\">Net saving (NPV)</th></tr></thead>\n<tbody>\n<tr><td><strong>b &amp; c</strong></td><td class=\"pos\">£1m</td></tr>\n</tbody></table>\n<h3>Demand</h3><table class=\"headline\"><thead><tr><th>Scenario</th></tr></thead><tbody></tbody></table>\n";
        let supply = [
            future("do-nothing", Some(2026), &[("Home care", Some(2026), Some(1.0))]),
            future("b & c", None, &[("Home care", None, Some(0.25))]),
        ];
        let with = headline(html, &supply, 2029, true);
        assert_eq!(
            with,
            "<p class=\"caption\">x</p>\n<table class=\"headline\">\n<thead><tr><th>Scenario</th><th class=\"num\">Net saving (NPV)</th><th class=\"num\" title=\"The first year demand for a service exceeds its capacity, at the inputs' means\">First year over capacity</th><th class=\"num\" title=\"The share of draws in which demand has exceeded capacity by 2029 (with several services, the highest)\">Chance over capacity by 2029</th></tr></thead>\n<tbody>\n<tr class=\"baseline\"><td>do-nothing</td><td class=\"num\">–</td><td class=\"num\">2026 (Home care)</td><td class=\"num\">100%</td></tr>\n<tr><td><strong>b &amp; c</strong></td><td class=\"pos\">£1m</td><td class=\"num\">not by 2029</td><td class=\"num\">25%</td></tr>\n</tbody></table>\n<h3>Demand</h3><table class=\"headline\"><thead><tr><th>Scenario</th></tr></thead><tbody></tbody></table>\n"
        );
        assert_eq!(headline(html, &[], 2029, true), html, "no capacities, no change");
    }
}
