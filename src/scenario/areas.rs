//! `[areas]`: localities of one model. Each area is the file's model with
//! the area's own people, entries and local figures (set or scaled through
//! parameter paths), and its scenarios are the file's scenarios applied to
//! it. Every area keeps the file's list of uncertain numbers, so one draw
//! gives a shared number the same value in every area.

use super::checks::{Validator, flow_problems, projection_points};
use super::file::RawAreas;
use super::overrides;
use super::path::ParamPath;
use super::tables::{Table, TableRow};
use crate::error::Location;
use crate::model::{Area, Entries, Model, Series};
use std::collections::BTreeMap;
use toml::Spanned;

pub(crate) fn areas_from(v: &mut Validator, raw: &Spanned<RawAreas>, base: &Model) -> Vec<Area> {
    let raw_areas = raw.get_ref();
    if base.projection.is_some() {
        v.err(
            &raw.span(),
            "with [areas], a population projection is per area: give [areas] projection_csv (area,year,band,people) instead of the file's projection_csv, which would calibrate every area to the whole",
        );
        return Vec::new();
    }
    let Some(list) = v.table(&raw_areas.csv, &["code", "name"], &["parent"]) else {
        return Vec::new();
    };
    let mut areas = area_list(v, &list, base);
    if areas.is_empty() {
        v.errors.at(
            Location::File(list.path.clone()),
            "[areas] lists no areas; give one row per area (code,name[,parent])",
        );
        return Vec::new();
    }
    if let Some(a) = areas
        .iter()
        .find(|a| areas.iter().any(|b| a.parent.as_deref() == Some(b.code.as_str())))
    {
        v.errors.at(
            Location::File(list.path.clone()),
            format!(
                "area `{}` has another area as its parent; parents are roll-up labels (e.g. a county or region), not areas with people of their own",
                a.code
            ),
        );
    }
    let codes: Vec<String> = areas.iter().map(|a| a.code.clone()).collect();
    area_people(v, &raw_areas.population_csv, base, &codes, &mut areas);
    // Entries: the area's own, or the file's split by first-band people.
    if let Some(entries) = &base.entries {
        match &raw_areas.entries_csv {
            Some(csv) => area_entries(v, csv, &codes, &mut areas),
            None => split_entries(entries, base.levels.len(), &mut areas),
        }
    } else if let Some(csv) = &raw_areas.entries_csv {
        v.err(&csv.span(), "the model has no [entries] for areas to have their own of");
    }
    if let Some(csv) = &raw_areas.projection_csv {
        area_projections(v, csv, base, &codes, &mut areas);
    }
    if let Some(csv) = &raw_areas.parameters_csv {
        local_figures(v, csv, &codes, &mut areas);
    }
    let where_ = Location::File(list.path.clone());
    for area in &mut areas {
        area_scenarios(v, &where_, base, area);
    }
    areas
}

/// The areas of the list (code,name[,parent]), each with a copy of `base`
/// that has no people and no scenarios yet.
fn area_list(v: &mut Validator, list: &Table, base: &Model) -> Vec<Area> {
    let mut areas: Vec<Area> = Vec::new();
    for row in &list.rows {
        let code = list.text(row, "code").trim().to_string();
        let name = list.text(row, "name").trim().to_string();
        let parent = Some(list.text(row, "parent").trim().to_string()).filter(|p| !p.is_empty());
        if code.is_empty() || name.is_empty() {
            v.errors.at(
                list.location(row, if code.is_empty() { "code" } else { "name" }),
                "every area needs a code and a name",
            );
            continue;
        }
        if let Some(first) = areas.iter().position(|a| a.code == code) {
            v.errors.at(
                list.location(row, "code"),
                format!("area `{code}` is listed twice (first as `{}`)", areas[first].name),
            );
            continue;
        }
        if parent.as_deref() == Some(code.as_str()) {
            v.errors
                .at(list.location(row, "parent"), format!("area `{code}` is its own parent"));
        }
        for (column, name) in [("code", Some(code.as_str())), ("parent", parent.as_deref())] {
            if name == Some(crate::results::ALL_AREAS) {
                v.errors.at(
                    list.location(row, column),
                    format!(
                        "`{}` is the name of the whole model's rows; give the area or parent another name",
                        crate::results::ALL_AREAS
                    ),
                );
            }
        }
        let mut model = base.clone();
        model.scenarios.clear();
        model.population = vec![0.0; base.population.len()];
        areas.push(Area {
            code,
            name,
            parent,
            model,
        });
    }
    areas
}

/// The area a table row names (its index in `codes`), or `None` with the
/// problem recorded.
fn area_in(v: &mut Validator, codes: &[String], table: &Table, row: &TableRow) -> Option<usize> {
    let code = table.text(row, "area").trim();
    let found = codes.iter().position(|c| c == code);
    if found.is_none() {
        let shown: Vec<&str> = codes.iter().map(String::as_str).take(8).collect();
        v.errors.at(
            table.location(row, "area"),
            format!(
                "unknown area `{code}`; the areas are `{}`{}",
                shown.join("`, `"),
                if codes.len() > 8 { ", …" } else { "" }
            ),
        );
    }
    found
}

/// A count of people in `column` (0 or more), or `None` with the problem recorded.
fn people_in(v: &mut Validator, table: &Table, row: &TableRow, column: &str, what: &str) -> Option<f64> {
    match table.number(row, column) {
        Ok(x) => match super::checks::non_negative_problem(x, what) {
            None => Some(x),
            Some(problem) => {
                v.errors.at(table.location(row, column), problem);
                None
            }
        },
        Err(e) => {
            v.errors.extend(e.into());
            None
        }
    }
}

/// `[areas] population_csv` (area,band,level,people): every area's people.
fn area_people(v: &mut Validator, csv: &Spanned<String>, base: &Model, codes: &[String], areas: &mut [Area]) {
    let nl = base.levels.len();
    let Some(table) = v.table(csv, &["area", "band", "level", "people"], &[]) else {
        return;
    };
    let mut seen: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut given = vec![false; areas.len()];
    for row in &table.rows {
        let code = table.text(row, "area").trim();
        let Some(a) = area_in(v, codes, &table, row) else {
            continue;
        };
        let band = table.text(row, "band").trim();
        let level = table.text(row, "level").trim();
        let (Some(b), Some(l)) = (base.band_index(band), base.level_index(level)) else {
            let (column, name, kind) = if base.band_index(band).is_none() {
                ("band", band, "band")
            } else {
                ("level", level, "level")
            };
            v.errors
                .at(table.location(row, column), format!("unknown {kind} `{name}`"));
            continue;
        };
        let Some(people) = people_in(v, &table, row, "people", "people") else {
            continue;
        };
        let cell = b * nl + l;
        if let Some(first) = seen.insert((a, cell), row.line) {
            v.errors.at(
                Location::Row(table.path.clone(), row.line, None),
                format!("area `{code}`, band `{band}`, level `{level}` is given twice (first at line {first})"),
            );
        }
        given[a] = true;
        areas[a].model.population[cell] = people;
    }
    for (a, g) in given.iter().enumerate() {
        if !g {
            v.errors.at(
                Location::File(table.path.clone()),
                format!(
                    "area `{}` has no people in this table; give its people by band and level",
                    areas[a].code
                ),
            );
        }
    }
}

/// `[areas] entries_csv` (area,people[,year]): each area's own entries.
fn area_entries(v: &mut Validator, csv: &Spanned<String>, codes: &[String], areas: &mut [Area]) {
    let Some(table) = v.table(csv, &["area", "people"], &["year"]) else {
        return;
    };
    let mut points: Vec<Vec<(i32, f64)>> = vec![Vec::new(); areas.len()];
    for row in &table.rows {
        let code = table.text(row, "area").trim();
        let Some(a) = area_in(v, codes, &table, row) else {
            continue;
        };
        let year = if table.has_column("year") {
            match table.year(row, "year") {
                Ok(y) => y,
                Err(e) => {
                    v.errors.extend(e.into());
                    continue;
                }
            }
        } else {
            i32::MIN
        };
        if points[a].iter().any(|(y, _)| *y == year) {
            v.errors.at(
                Location::Row(table.path.clone(), row.line, None),
                format!(
                    "area `{code}` has two rows for {}; give one per area{}",
                    if year == i32::MIN {
                        "its entries".to_string()
                    } else {
                        format!("year {year}")
                    },
                    if year == i32::MIN { "" } else { " and year" }
                ),
            );
            continue;
        }
        if let Some(x) = people_in(v, &table, row, "people", "entries") {
            points[a].push((year, x));
        }
    }
    for (a, p) in points.into_iter().enumerate() {
        if p.is_empty() {
            v.errors.at(
                Location::File(table.path.clone()),
                format!("area `{}` has no entries in this table", areas[a].code),
            );
        } else if let Some(e) = &mut areas[a].model.entries {
            e.people = Series::by_year(p);
            // The area's own figure: a draw of the file's entries must not overwrite it.
            for u in &mut areas[a].model.uncertain {
                u.targets
                    .retain(|t| !matches!(t, crate::model::Target::EntriesPeople { .. }));
            }
        }
    }
}

/// The file's `entries` shared among the areas by their people in the
/// first band (`nl` levels), equally when there are none.
fn split_entries(entries: &Entries, nl: usize, areas: &mut [Area]) {
    let first_band = |m: &Model| m.population[..nl].iter().sum::<f64>();
    let total: f64 = areas.iter().map(|a| first_band(&a.model)).sum();
    let n = areas.len() as f64;
    for a in areas {
        let share = if total > 0.0 {
            first_band(&a.model) / total
        } else {
            1.0 / n
        };
        a.model.entries = Some(crate::model::Entries {
            people: entries.people.map(|x| x * share),
            mix: entries.mix.clone(),
        });
        // Entries are the file's, scaled: a sampled value is scaled alike.
        a.model
            .area_scales
            .push((crate::model::Target::EntriesPeople { point: 0 }, share));
    }
}

/// `[areas] projection_csv` (area,year,band,people): each area's band
/// totals by year.
fn area_projections(v: &mut Validator, csv: &Spanned<String>, base: &Model, codes: &[String], areas: &mut [Area]) {
    let Some(table) = v.table(csv, &["area", "year", "band", "people"], &[]) else {
        return;
    };
    let nb = base.bands.len();
    let mut by_area: Vec<BTreeMap<i32, Vec<Option<f64>>>> = vec![BTreeMap::new(); areas.len()];
    for row in &table.rows {
        let code = table.text(row, "area").trim();
        let Some(a) = area_in(v, codes, &table, row) else {
            continue;
        };
        let year = match table.year(row, "year") {
            Ok(y) => y,
            Err(e) => {
                v.errors.extend(e.into());
                continue;
            }
        };
        let band = table.text(row, "band").trim();
        let Some(b) = base.band_index(band) else {
            v.errors
                .at(table.location(row, "band"), format!("unknown band `{band}`"));
            continue;
        };
        let Some(people) = people_in(v, &table, row, "people", "people") else {
            continue;
        };
        let slot = &mut by_area[a].entry(year).or_insert_with(|| vec![None; nb])[b];
        if slot.is_some() {
            v.errors.at(
                Location::Row(table.path.clone(), row.line, None),
                format!("area `{code}`, year {year}, band `{band}` is given twice"),
            );
        }
        *slot = Some(people);
    }
    for (a, years) in by_area.into_iter().enumerate() {
        if years.is_empty() {
            v.errors.at(
                Location::File(table.path.clone()),
                format!(
                    "area `{}` has no projection in this table; give every area's band totals by year",
                    areas[a].code
                ),
            );
            continue;
        }
        let band_names: Vec<String> = base.bands.iter().map(|b| b.name.clone()).collect();
        let what = format!("area `{}`, ", areas[a].code);
        let points = projection_points(v, &table.path, &what, years, &band_names);
        areas[a].model.projection = Some(crate::model::Projection { points });
    }
}

/// `[areas] parameters_csv` (area,path,value|scale): local figures, each
/// an area's own value of a number or a factor on the file's.
fn local_figures(v: &mut Validator, csv: &Spanned<String>, codes: &[String], areas: &mut [Area]) {
    let Some(table) = v.table(csv, &["area", "path"], &["value", "scale"]) else {
        return;
    };
    for row in &table.rows {
        let code = table.text(row, "area").trim();
        let Some(a) = area_in(v, codes, &table, row) else {
            continue;
        };
        let text = table.text(row, "path").trim();
        let path = overrides::parse(&areas[a].model, text);
        if path == Ok(ParamPath::DiscountRate) {
            v.errors.at(
                table.location(row, "path"),
                "the discount rate is the whole model's: areas cannot have their own (their roll-ups discount alike)",
            );
            continue;
        }
        let (value, scale) = (table.text(row, "value").trim(), table.text(row, "scale").trim());
        let result = match (value.is_empty(), scale.is_empty()) {
            (false, true) => table.number(row, "value").map_err(|e| e.message).and_then(|x| {
                let path = path.clone()?;
                overrides::apply_keeping(&mut areas[a].model, &path, x)
            }),
            // The factor is checked first, then whether the path can be scaled.
            (true, false) => table
                .number(row, "scale")
                .map_err(|e| e.message)
                .and_then(|x| match &path {
                    Ok(path) => overrides::scale(&mut areas[a].model, path, x),
                    Err(_) => overrides::check_scale_factor(x).and(Err(overrides::not_scalable(text))),
                }),
            _ => Err(
                "give exactly one of `value` (the area's own figure) or `scale` (a multiplier on the file's)".into(),
            ),
        };
        if let Err(problem) = result {
            v.errors.at(
                Location::Row(table.path.clone(), row.line, None),
                format!("area `{code}`, `{text}`: {problem}"),
            );
        }
    }
}

/// An area's flows checked as the file's are, and its scenarios: the
/// file's, with their overrides applied to the area's model (problems
/// reported at `where_`, the list of areas).
fn area_scenarios(v: &mut Validator, where_: &Location, base: &Model, area: &mut Area) {
    for problem in flow_problems(&area.model, &[]) {
        v.errors.at(where_.clone(), format!("area `{}`: {problem}", area.code));
    }
    let mut scenarios = Vec::new();
    for s in &base.scenarios {
        let mut m = area.model.clone();
        for o in &s.overrides {
            let (key, value) = (&o.path, &o.value);
            let applied = overrides::parse(&m, key).and_then(|path| {
                // A scenario's figure for a number the area scales is scaled alike.
                let factor = overrides::targets(&m, &path, *value)
                    .ok()
                    .and_then(|set| {
                        m.area_scales
                            .iter()
                            .find(|(t, _)| set.iter().any(|s| s.same_quantity(t)))
                            .map(|(_, f)| *f)
                    })
                    .unwrap_or(1.0);
                if o.keeps_spread {
                    overrides::shift(&mut m, &path, *value * factor)
                } else {
                    overrides::apply(&mut m, &path, *value * factor)
                }
            });
            if let Err(problem) = applied {
                v.errors.at(
                    where_.clone(),
                    format!(
                        "area `{}`, scenario `{}`, override `{key}`: {problem}",
                        area.code, s.name
                    ),
                );
            }
        }
        for problem in flow_problems(&m, &s.interventions) {
            v.errors.at(
                where_.clone(),
                format!("area `{}`, scenario `{}`: {problem}", area.code, s.name),
            );
        }
        let mut s = s.clone();
        s.model = Box::new(m);
        scenarios.push(s);
    }
    area.model.scenarios = scenarios;
}
