//! The starter scenario `upstream new` writes: a bundled example as the
//! template, with the area's bands' people from the estimates (or the
//! projection's first year), the projection as the table the do-nothing run
//! is calibrated to, and every other figure kept from the template, marked
//! `source = "to be replaced: …"` with a comment on the local data that
//! would replace it.

use super::bands::{Band, band_totals, entering};
use super::lookup::Lookup;
use super::ons::{AreaPopulation, Population};
use super::{OGL, check_code};
use crate::error::{InputError, InputErrors};
use std::collections::BTreeMap;
use toml_edit::{DocumentMut, InlineTable, Item, Table, Value, value};

/// The bundled examples a starter can be built on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    OlderPeople,
    EarlyYears,
}

impl Template {
    pub fn name(self) -> &'static str {
        match self {
            Template::OlderPeople => "older-people",
            Template::EarlyYears => "early-years",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Template::OlderPeople => include_str!("../../scenarios/older-people.toml"),
            Template::EarlyYears => include_str!("../../scenarios/early-years.toml"),
        }
    }

    /// The tables the template points at: (its file name, contents).
    fn tables(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Template::OlderPeople => &[(
                "older-people-admissions.csv",
                include_str!("../../scenarios/older-people-admissions.csv"),
            )],
            Template::EarlyYears => &[
                (
                    "early-years-transitions.csv",
                    include_str!("../../scenarios/early-years-transitions.csv"),
                ),
                (
                    "early-years-slt-use.csv",
                    include_str!("../../scenarios/early-years-slt-use.csv"),
                ),
            ],
        }
    }
}

/// What a starter is built from.
pub struct Request<'a> {
    /// Area codes as given: lower-tier areas, or (with a lookup) areas they roll up into.
    pub codes: Vec<String>,
    pub projection: &'a Population,
    pub estimates: Option<&'a Population>,
    pub lookup: Option<&'a Lookup>,
    pub template: Template,
    /// The scenario file's name without `.toml`; tables are named after it.
    pub stem: String,
    /// Indicators (Fingertips) to quote in the starter for each area, as
    /// shares ready to use where the planner decides they belong.
    pub indicators: Vec<super::fingertips::Indicator>,
    /// Indicators applied to the need mix ([`super::need`]), in order.
    pub need: Vec<super::need::Need>,
}

/// The files of a starter: the scenario file first, then its tables, each
/// (file name, contents), to be written side by side.
#[derive(Debug)]
pub struct Starter {
    pub files: Vec<(String, String)>,
    /// The areas modelled: (code, name).
    pub areas: Vec<(String, String)>,
    pub start_year: i32,
    pub horizon_years: i64,
}

/// One area of the starter, with its parent (an upper tier, from the lookup).
struct Place<'a> {
    code: String,
    name: String,
    parent: Option<String>,
    projected: &'a AreaPopulation,
    estimated: Option<&'a AreaPopulation>,
}

/// Builds the starter, or says what in the inputs is wrong.
pub fn build(request: &Request<'_>) -> Result<Starter, InputErrors> {
    let places = places(request)?;
    let mut doc: DocumentMut = request
        .template
        .text()
        .parse()
        .map_err(|e| InputError::in_file(std::path::Path::new(request.template.name()), format!("{e}")))?;
    let bands = bands_of(&doc);
    let projection = request.projection;
    let start_year = request.estimates.map_or(projection.base_year, |e| e.base_year);
    let last_year = *projection.years.last().unwrap_or(&start_year);
    if !projection.years.contains(&start_year) {
        return Err(InputError::in_file(
            &projection.paths[0],
            format!(
                "missing years: the projection ({}, {}–{last_year}) has no year {start_year}, the estimates' latest year; use a projection release that covers it",
                projection.vintage(),
                projection.years[0]
            ),
        )
        .into());
    }
    let template_horizon = doc["model"]["horizon_years"].as_integer().unwrap_or(15);
    let horizon = template_horizon.min(i64::from(last_year - start_year));
    if horizon < 1 {
        return Err(InputError::in_file(
            &projection.paths[0],
            format!("missing years: the projection ends in {last_year}, leaving no year after {start_year} to model"),
        )
        .into());
    }
    let years: Vec<i32> = (start_year..=start_year + horizon as i32).collect();
    let figures = area_figures(request, &places, &bands, &years)?;
    let levels: Vec<String> = doc["model"]["levels"]
        .as_array()
        .map(|a| a.iter().filter_map(|l| l.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let mixes = super::need::apply(
        &request.need,
        &levels,
        &bands,
        &template_mixes(&doc, &bands),
        places.len(),
    )?;
    let template_people: f64 = doc["population"]
        .as_array_of_tables()
        .map(|a| a.iter().filter_map(|t| t.get("people").and_then(number)).sum())
        .unwrap_or(0.0);
    let people: f64 = figures.iter().flat_map(|f| &f.start).sum();
    let mut files = Vec::new();
    let mut tables = Vec::new();
    let areas = Areas {
        places: &places,
        figures: &figures,
        mixes: (&mixes.0, &mixes.1),
    };
    edit_template(request, &mut doc, &areas, (start_year, horizon), &mut tables);
    let scenario = format!("{}{}", header(request, &places, (people, template_people)), doc);
    files.push((format!("{}.toml", request.stem), scenario));
    files.extend(tables);
    Ok(Starter {
        files,
        areas: places.iter().map(|p| (p.code.clone(), p.name.clone())).collect(),
        start_year,
        horizon_years: horizon,
    })
}

/// The codes of the areas the request names (an upper tier's lower-tier
/// areas, with a lookup), each checked against every file.
pub fn area_codes(request: &Request<'_>) -> Result<Vec<String>, InputErrors> {
    Ok(places(request)?.into_iter().map(|p| p.code).collect())
}

/// Each area named by the request's codes, checked against every file.
fn places<'a>(request: &Request<'a>) -> Result<Vec<Place<'a>>, InputErrors> {
    let mut errors = Vec::new();
    if let (Some(e), Some(l)) = (request.estimates, request.lookup)
        && e.boundary_year != Some(l.boundary_year)
    {
        errors.push(InputError::in_file(
            &l.path,
            format!(
                "mixed boundary vintages: the lookup is on {} boundaries but {} on {}; use files on the same boundaries",
                l.boundary_year,
                e.paths[0].display(),
                e.boundary_year.map_or("unstated".to_string(), |y| y.to_string())
            ),
        ));
    }
    let mut places = Vec::new();
    for code in &request.codes {
        let members = match request.lookup {
            Some(l) => match l.areas_of(code) {
                Ok(m) => m
                    .into_iter()
                    .map(|(c, n)| (c, Some(n), l.parent_name(code).map(str::to_string)))
                    .collect(),
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            },
            None => {
                if let Err(m) = check_code(code) {
                    errors.push(InputError::new(crate::error::Location::File("--area".into()), m));
                    continue;
                }
                vec![(code.clone(), None, None)]
            }
        };
        for (code, name, parent) in members {
            let projected = match request.projection.area(&code) {
                Ok(a) => a,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let estimated = match request.estimates.map(|e| e.area(&code)).transpose() {
                Ok(a) => a,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            if places.iter().any(|p: &Place<'_>| p.code == code) {
                continue;
            }
            places.push(Place {
                name: name.unwrap_or_else(|| projected.name.clone()),
                code,
                parent,
                projected,
                estimated,
            });
        }
    }
    if !errors.is_empty() {
        return Err(InputErrors::new(errors));
    }
    Ok(places)
}

/// The template's `[[bands]]`.
fn bands_of(doc: &DocumentMut) -> Vec<Band> {
    let number = |t: &Table, k: &str| {
        t.get(k)
            .and_then(|i| i.as_float().or_else(|| i.as_integer().map(|n| n as f64)))
    };
    doc["bands"]
        .as_array_of_tables()
        .map(|a| {
            a.iter()
                .map(|t| Band {
                    name: t.get("name").and_then(Item::as_str).unwrap_or("").to_string(),
                    lower: number(t, "lower").unwrap_or(0.0),
                    upper: number(t, "upper"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// An area's people by band at the start, its projection by year and band,
/// and people entering the first band by year.
struct Figures {
    start: Vec<f64>,
    projected: Vec<(i32, Vec<f64>)>,
    entering: Vec<(i32, f64)>,
}

fn area_figures(
    request: &Request<'_>,
    places: &[Place<'_>],
    bands: &[Band],
    years: &[i32],
) -> Result<Vec<Figures>, InputErrors> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for p in places {
        let problem = |pop: &Population, year: i32, m: String| {
            InputError::in_file(&pop.paths[0], format!("area {} ({}), year {year}: {m}", p.code, p.name))
        };
        let mut projected = Vec::new();
        let mut entering_by_year = Vec::new();
        for &y in years {
            let Some(ages) = p.projected.years.get(&y) else {
                errors.push(problem(request.projection, y, "missing year".to_string()));
                continue;
            };
            match band_totals(ages, bands).and_then(|t| Ok((t, entering(ages, &bands[0])?))) {
                Ok((t, e)) => {
                    projected.push((y, t));
                    entering_by_year.push((y, e));
                }
                Err(m) => {
                    // The same gap in every later year: say it once.
                    errors.push(problem(request.projection, y, format!("{m} (later years not checked)")));
                    break;
                }
            }
        }
        let start = match (request.estimates, p.estimated) {
            (Some(pop), Some(area)) => {
                let y = pop.base_year;
                match area.years.get(&y).map(|ages| band_totals(ages, bands)) {
                    Some(Ok(t)) => t,
                    Some(Err(m)) => {
                        errors.push(problem(pop, y, m));
                        continue;
                    }
                    None => {
                        errors.push(problem(pop, y, "missing year".to_string()));
                        continue;
                    }
                }
            }
            _ => match projected.first() {
                Some((_, t)) => t.clone(),
                None => continue,
            },
        };
        out.push(Figures {
            start,
            projected,
            entering: entering_by_year,
        });
    }
    if !errors.is_empty() {
        return Err(InputErrors::new(errors));
    }
    Ok(out)
}

/// A number of people as written in the starter: at most three decimals, as the releases give.
pub fn people_text(x: f64) -> String {
    let s = format!("{:.3}", (x * 1000.0).round() / 1000.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

fn people_value(x: f64) -> Value {
    let rounded = (x * 1000.0).round() / 1000.0;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        Value::from(rounded as i64)
    } else {
        Value::from(rounded)
    }
}

fn provenance(mut table: InlineTable, source: &str, vintage: &str) -> Value {
    table.insert("source", source.into());
    table.insert("vintage", vintage.into());
    table.insert("licence", OGL.into());
    Value::InlineTable(table)
}

fn with_value(v: Value, source: &str, vintage: &str) -> Value {
    let mut t = InlineTable::new();
    t.insert("value", v);
    provenance(t, source, vintage)
}

fn with_file(file: String, source: &str, vintage: &str) -> Value {
    let mut t = InlineTable::new();
    t.insert("file", file.into());
    provenance(t, source, vintage)
}

const ESTIMATES: &str = "ONS, population estimates for local authorities (mid-year)";
const PROJECTION: &str = "ONS, subnational population projections for England";

/// What local data would replace a template's figures, by table.
fn replace_with(key: &str) -> &'static str {
    match key {
        "population" => {
            "the need mix by band: local prevalence (OHID Fingertips indicators), GP registers, social care client records"
        }
        "entries" => "the need mix of people entering: local screening, booking or assessment data",
        "transitions" => "moves between need levels: linked GP, hospital and social care records for the area",
        "exits" => {
            "deaths and moves away by age and need: ONS deaths and life tables for the area, migration estimates"
        }
        "services" => {
            "unit costs and use: local finance returns (ASC-FR), PSSRU unit costs, NHS reference costs, activity data"
        }
        "interventions" => {
            "reach, costs and effects: local programme data and the evaluations behind the schemes you fund"
        }
        "places" => "places: the area's commissioned beds or placements (CQC register, market position statement)",
        "budgets" => "budgets: the funders' own budget lines",
        "scenarios" => "the scenarios' settings: the effects your own evidence supports",
        _ => "local figures",
    }
}

/// Marks every table under `key` as the template's, to be replaced.
fn mark(item: &mut Item, key: &str, template: &str) {
    let source = format!("to be replaced: the {template} example's illustrative figures");
    let note = format!(
        "# TO BE REPLACED (the {template} example's figures): {}\n",
        replace_with(key)
    );
    let mut mark_table = |t: &mut Table| {
        if !t.contains_key("source") {
            t.insert("source", value(source.clone()));
        }
        let prefix = t.decor().prefix().and_then(|p| p.as_str()).unwrap_or("").to_string();
        t.decor_mut().set_prefix(format!("{prefix}{note}"));
    };
    match item {
        Item::Table(t) => mark_table(t),
        Item::ArrayOfTables(a) => a.iter_mut().for_each(&mut mark_table),
        _ => {}
    }
}

/// The starter's areas: each with its figures and its need mix by band.
struct Areas<'a> {
    places: &'a [Place<'a>],
    figures: &'a [Figures],
    /// Per area: each band's mix, and whether a `--need` set it.
    mixes: (&'a [Vec<super::need::Mix>], &'a [Vec<bool>]),
}

fn edit_template(
    request: &Request<'_>,
    doc: &mut DocumentMut,
    areas: &Areas<'_>,
    (start_year, horizon): (i32, i64),
    tables: &mut Vec<(String, String)>,
) {
    let Areas {
        places,
        figures,
        mixes: (mixes, covered),
    } = *areas;
    let template = request.template.name();
    let stem = &request.stem;
    let projection_vintage = request.projection.vintage();
    let start_source = match request.estimates {
        Some(e) => (ESTIMATES, e.vintage()),
        None => (PROJECTION, projection_vintage.clone()),
    };
    let template_people: f64 = doc["population"]
        .as_array_of_tables()
        .map(|a| a.iter().filter_map(|t| t.get("people").and_then(number)).sum())
        .unwrap_or(0.0);
    let root = doc.as_table_mut();
    root.remove("projection_csv");
    root.remove("maturity");
    // Tables the template points at, copied beside the starter.
    for (name, text) in request.template.tables() {
        let suffix = name.strip_prefix(template).unwrap_or(name);
        tables.push((format!("{stem}{suffix}"), text.to_string()));
    }
    rename_tables(root, template, stem);
    let names: Vec<&str> = places.iter().map(|p| p.name.as_str()).collect();
    doc["model"]["name"] = value(format!("{}: starter model on the {template} example", names.join(", ")));
    doc["model"]["start_year"] = value(i64::from(start_year));
    doc["model"]["horizon_years"] = value(horizon);
    let sum = |f: &dyn Fn(&Figures) -> f64| figures.iter().map(f).sum::<f64>();
    let bands = bands_of(doc);
    let projection_rows: Vec<(i32, Vec<f64>)> = figures[0]
        .projected
        .iter()
        .enumerate()
        .map(|(i, (y, _))| (*y, (0..bands.len()).map(|b| sum(&|f| f.projected[i].1[b])).collect()))
        .collect();
    if places.len() == 1 {
        if let Some(pop) = doc["population"].as_array_of_tables_mut() {
            for (b, t) in pop.iter_mut().enumerate() {
                let people = people_value(figures[0].start.get(b).copied().unwrap_or(0.0));
                t["people"] = value(with_value(people, start_source.0, &start_source.1));
                if covered[0].get(b).is_some_and(|&c| c) && t.contains_key("mix") {
                    t["mix"] = value(need_mix(&mixes[0][b], &request.need));
                }
            }
        }
        let file = format!("{stem}-projection.csv");
        tables.push((file.clone(), projection_csv(None, &bands, &projection_rows)));
        doc.as_table_mut().insert(
            "projection_csv",
            value(with_file(file, PROJECTION, &projection_vintage)),
        );
    } else {
        doc.as_table_mut().remove("population");
        let mut areas_csv = String::from("code,name,parent\n");
        let mut population = String::from("area,band,level,people\n");
        let mut projection = String::from("area,year,band,people\n");
        for ((p, f), mix) in places.iter().zip(figures).zip(mixes) {
            areas_csv.push_str(&format!(
                "{},{},{}\n",
                p.code,
                csv_field(&p.name),
                csv_field(p.parent.as_deref().unwrap_or(""))
            ));
            for (b, band) in bands.iter().enumerate() {
                for (level, share) in &mix[b] {
                    population.push_str(&format!(
                        "{},{},{},{}\n",
                        p.code,
                        band.name,
                        level,
                        people_text(f.start[b] * share)
                    ));
                }
            }
            projection.push_str(&projection_csv(Some(&p.code), &bands, &f.projected));
        }
        let mut areas = Table::new();
        areas.insert("csv", value(format!("{stem}-areas.csv")));
        areas.insert(
            "population_csv",
            value(with_file(
                format!("{stem}-population.csv"),
                start_source.0,
                &start_source.1,
            )),
        );
        areas.insert(
            "projection_csv",
            value(with_file(
                format!("{stem}-projection.csv"),
                PROJECTION,
                &projection_vintage,
            )),
        );
        areas.decor_mut().set_prefix(
            "# The areas: each area's people by band from the ONS figures, split by\n# the template's need mix by band (TO BE REPLACED: local prevalence), and\n# each area's projection, which its do-nothing run is calibrated to.\n",
        );
        doc.as_table_mut().insert("areas", Item::Table(areas));
        tables.push((format!("{stem}-areas.csv"), areas_csv));
        tables.push((format!("{stem}-population.csv"), population));
        tables.push((format!("{stem}-projection.csv"), projection));
    }
    if let Some(entries) = doc["entries"].as_table_mut() {
        let mut by_year = InlineTable::new();
        for (i, (y, _)) in figures[0].entering.iter().enumerate() {
            by_year.insert(&y.to_string()[..], people_value(sum(&|f| f.entering[i].1)));
        }
        entries["people"] = value(with_value(Value::InlineTable(by_year), PROJECTION, &projection_vintage));
    }
    let people: f64 = figures.iter().flat_map(|f| &f.start).sum();
    if template_people > 0.0 {
        scale_sizes(doc, people / template_people);
    }
    for key in [
        "population",
        "entries",
        "transitions",
        "exits",
        "services",
        "interventions",
        "places",
        "budgets",
        "scenarios",
    ] {
        if let Some(item) = doc.get_mut(key) {
            mark(item, key, template);
        }
    }
}

fn number(item: &Item) -> Option<f64> {
    item.as_float().or_else(|| item.as_integer().map(|n| n as f64))
}

/// Figures sized for the template's place, scaled by `ratio` (this area's
/// people in the bands ÷ the template's): services' capacities and
/// capacity budgets, places, interventions' places and fixed costs,
/// capacity interventions buy, budgets. Still the template's figures, only
/// of the right order; each stays marked "to be replaced".
fn scale_sizes(doc: &mut DocumentMut, ratio: f64) {
    let keys: [(&str, &[&str]); 4] = [
        ("services", &["capacity", "capacity_budget"]),
        ("places", &["places"]),
        ("interventions", &["places", "fixed_cost"]),
        ("budgets", &["per_year"]),
    ];
    for (table, fields) in keys {
        let Some(array) = doc.get_mut(table).and_then(Item::as_array_of_tables_mut) else {
            continue;
        };
        for t in array.iter_mut() {
            for field in fields {
                if let Some(item) = t.get_mut(field) {
                    scale_item(item, ratio);
                }
            }
            if let Some(effects) = t.get_mut("effects").and_then(Item::as_array_of_tables_mut) {
                for e in effects.iter_mut() {
                    if let Some(item) = e.get_mut("add_capacity") {
                        scale_item(item, ratio);
                    }
                }
            }
        }
    }
}

fn scale_item(item: &mut Item, ratio: f64) {
    if let Some(v) = item.as_value_mut() {
        scale_value(v, ratio);
    }
}

/// A number, a distribution's size parameters, or each year's number, times `ratio`, in whole units.
fn scale_value(v: &mut Value, ratio: f64) {
    let whole = |x: f64| Value::from((x * ratio).round().max(1.0) as i64);
    match v {
        Value::Integer(n) => {
            let decor = n.decor().clone();
            *v = whole(*n.value() as f64);
            *v.decor_mut() = decor;
        }
        Value::Float(x) => {
            let decor = x.decor().clone();
            *v = whole(*x.value());
            *v.decor_mut() = decor;
        }
        Value::InlineTable(t) => {
            let is_distribution = t.contains_key("dist");
            for (k, inner) in t.iter_mut() {
                if !is_distribution || matches!(k.get(), "mean" | "sd" | "min" | "mode" | "max") {
                    scale_value(inner, ratio);
                }
            }
        }
        _ => {}
    }
}

/// The template's mix of each band: (level, share).
/// A band's mix after `--need` as the starter writes it, with where it came
/// from: the indicators, and the template for the split within.
fn need_mix(mix: &super::need::Mix, needs: &[super::need::Need]) -> Value {
    let mut t = InlineTable::new();
    for (level, share) in mix {
        t.insert(level, Value::from((share * 1e12).round() / 1e12));
    }
    let names: Vec<String> = needs
        .iter()
        .filter_map(|n| {
            n.by_area
                .first()
                .map(|i| format!("indicator {} ({} or above)", i.id, n.level))
        })
        .collect();
    let periods: Vec<&str> = needs
        .iter()
        .filter_map(|n| n.by_area.first().map(|i| i.period.as_str()))
        .collect();
    let source = format!(
        "OHID Fingertips, {}; the split within from the template (to be replaced: local prevalence)",
        names.join(", ")
    );
    with_value(Value::InlineTable(t), &source, &periods.join(", "))
}

fn template_mixes(doc: &DocumentMut, bands: &[Band]) -> Vec<Vec<(String, f64)>> {
    let mut out = vec![Vec::new(); bands.len()];
    if let Some(pop) = doc["population"].as_array_of_tables() {
        for t in pop.iter() {
            let band = t.get("band").and_then(Item::as_str).unwrap_or("");
            let Some(b) = bands.iter().position(|x| x.name == band) else {
                continue;
            };
            if let Some(mix) = t.get("mix").and_then(Item::as_inline_table) {
                for (level, share) in mix.iter() {
                    let share = share
                        .as_float()
                        .or_else(|| share.as_integer().map(|n| n as f64))
                        .unwrap_or(0.0);
                    out[b].push((level.to_string(), share));
                }
            }
        }
    }
    out
}

/// Renames every `*_csv` setting from the template's file to the starter's.
fn rename_tables(table: &mut Table, template: &str, stem: &str) {
    for (key, item) in table.iter_mut() {
        match item {
            Item::Value(Value::String(s)) if key.ends_with("_csv") => {
                let name = s.value().clone();
                if let Some(suffix) = name.strip_prefix(template) {
                    *item = value(format!("{stem}{suffix}"));
                }
            }
            Item::Table(t) => rename_tables(t, template, stem),
            Item::ArrayOfTables(a) => a.iter_mut().for_each(|t| rename_tables(t, template, stem)),
            _ => {}
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `year,band,people` rows (with `area` first when given).
fn projection_csv(area: Option<&str>, bands: &[Band], rows: &[(i32, Vec<f64>)]) -> String {
    let mut out = String::new();
    if area.is_none() {
        out.push_str("year,band,people\n");
    }
    for (b, band) in bands.iter().enumerate() {
        for (year, totals) in rows {
            if let Some(a) = area {
                out.push_str(&format!("{a},"));
            }
            out.push_str(&format!("{year},{},{}\n", band.name, people_text(totals[b])));
        }
    }
    out
}

/// The starter's opening comment: what came from where, and what to replace first.
fn header(request: &Request<'_>, places: &[Place<'_>], (people, template_people): (f64, f64)) -> String {
    let list: BTreeMap<&str, &str> = places.iter().map(|p| (p.code.as_str(), p.name.as_str())).collect();
    let areas: Vec<String> = list.iter().map(|(c, n)| format!("#   {c}  {n}")).collect();
    let estimates = match request.estimates {
        Some(e) => format!("{} ({}, {})", ESTIMATES, e.vintage(), e.paths[0].display()),
        None => "the projection's first year (no estimates given)".to_string(),
    };
    let projection_files: Vec<String> = request
        .projection
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut h = String::new();
    h.push_str(&format!(
        "# Starter model written by `upstream new` on the {} example\n",
        request.template.name()
    ));
    h.push_str("# ==============================================================\n#\n# Areas:\n");
    for a in areas {
        h.push_str(&a);
        h.push('\n');
    }
    h.push_str(&format!(
        "#\n# Local figures (with `source`, `vintage` and `licence` beside them):\n#   * people by band at the start: {estimates};\n#   * the projection the do-nothing run is calibrated to: {PROJECTION}\n#     ({}, {});\n#   * people entering the first band each year: the projection's cohort\n#     just below it.\n",
        request.projection.vintage(),
        projection_files.join(", ")
    ));
    for i in &request.indicators {
        h.push_str(&format!(
            "#\n# OHID Fingertips indicator {} \"{}\", {} ({}), {}: {}%{}; as a share\n# (a beta from the 95% interval), for the level it describes:\n#   {{ {}, source = \"OHID Fingertips, indicator {}\", vintage = \"{}\", licence = \"{OGL}\" }}\n",
            i.id,
            i.name,
            i.area_name,
            i.area_code,
            i.period,
            i.value,
            match (i.lower, i.upper) {
                (Some(lo), Some(hi)) => format!(" (95% CI {lo}–{hi})"),
                _ => String::new(),
            },
            i.share_toml().trim_start_matches('{').trim_end_matches('}').trim(),
            i.id,
            i.period
        ));
    }
    for n in &request.need {
        let Some(first) = n.by_area.first() else { continue };
        let values: Vec<String> = n
            .by_area
            .iter()
            .map(|i| format!("{} {}%", i.area_name, i.value))
            .collect();
        h.push_str(&format!(
            "#\n# Need mix: OHID Fingertips indicator {} \"{}\" ({}), {}, applied\n# as the share of people at {} or above in the bands those ages cover\n# (the template's split above and below it kept in proportion): {}.\n",
            first.id,
            first.name,
            first.age,
            first.period,
            n.level,
            values.join(", ")
        ));
    }
    if template_people > 0.0 {
        h.push_str(&format!(
            "#\n# Sizes (services' capacities, places, interventions' places and fixed\n# costs, capacity bought, budgets) are the template's times {:.3}: this\n# model's {} people in the bands over the template's {}. They are still\n# the template's figures, of the right order only, and marked as such.\n",
            people / template_people,
            people_text(people.round()),
            people_text(template_people)
        ));
    }
    h.push_str(
        "#\n# Years are ONS mid-years: the model's year Y starts at 30 June of Y.\n#\n# Everything else is the template's illustrative figures, each table marked\n# `source = \"to be replaced: …\"` with a comment on the local data that\n# would replace it; the report counts them on its first page. Replace first\n# the need mix by band (it sets who uses services), then services' use and\n# unit costs, then the interventions you mean to fund.\n\n",
    );
    h
}
