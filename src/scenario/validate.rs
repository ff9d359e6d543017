//! From a parsed `ScenarioFile` to a checked `Model`: every name resolved,
//! every number in range, every problem collected and reported at once.

use super::checks::*;
use super::file::*;
use super::overrides;
use super::tables::{Table, TableRow};
use crate::error::{ErrorSink, InputError, InputErrors, Location};
use crate::evidence::EvidenceScale;
use crate::model::*;
use crate::uncertainty::{Distribution, Support};
use crate::units::AnnualProbability;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

fn lookup(
    v: &mut Validator,
    table: &Table,
    row: &TableRow,
    column: &str,
    find: impl Fn(&str) -> Result<usize, String>,
) -> Option<usize> {
    find(table.text(row, column))
        .map_err(|e| v.errors.at(table.location(row, column), e))
        .ok()
}

/// The number in `column`, or `None` with the problem recorded.
fn cell_number(v: &mut Validator, table: &Table, row: &TableRow, column: &str) -> Option<f64> {
    table.number(row, column).map_err(|e| v.errors.push(e)).ok()
}

/// The optional `year` column: `Ok(None)` when the table has none, `Err(())`
/// with the problem recorded when it is not a year.
fn cell_year(v: &mut Validator, table: &Table, row: &TableRow) -> Result<Option<i32>, ()> {
    if !table.has_column("year") {
        return Ok(None);
    }
    table.year(row, "year").map(Some).map_err(|e| v.errors.push(e))
}

/// The number in `column`, made uncertain by the row's `rel_sd` (if the
/// table has that column and the cell is not empty): a beta distribution for
/// probabilities and shares, gamma otherwise, with the cell's value as mean.
#[allow(clippy::too_many_arguments)]
fn cell_value(
    v: &mut Validator,
    table: &Table,
    row: &TableRow,
    column: &str,
    support: Support,
    what: &str,
    label: String,
    targets: Vec<Target>,
) -> Option<f64> {
    let x = cell_number(v, table, row, column)?;
    let location = table.location(row, column);
    // The cell's own value first: a distribution made from an absurd one
    // would be refused for its parameters, less plainly.
    if let Some(problem) = plain_problem(x, support, what) {
        v.errors.at(location, problem);
        return None;
    }
    let rel_sd = if table.has_column("rel_sd") && !table.text(row, "rel_sd").trim().is_empty() {
        let r = cell_number(v, table, row, "rel_sd")?;
        if r < 0.0 {
            v.errors.at(
                table.location(row, "rel_sd"),
                format!("rel_sd is {r}; it must be ≥ 0 (0.1 = a standard deviation of 10% of the value)"),
            );
            return None;
        }
        r
    } else {
        0.0
    };
    if rel_sd == 0.0 || x == 0.0 {
        return v.resolve(&RawNumber::Value(x), location, support, what, label, targets);
    }
    let kind = if support == Support::NonNegative {
        "gamma"
    } else {
        "beta"
    };
    let table_of = [
        ("dist".to_string(), toml::Value::String(kind.into())),
        ("mean".to_string(), toml::Value::Float(x)),
        ("sd".to_string(), toml::Value::Float(x * rel_sd)),
    ];
    let raw = RawNumber::Distribution(table_of.into_iter().collect());
    v.resolve(
        &raw,
        location,
        support,
        &format!("{what} (with rel_sd {rel_sd})"),
        label,
        targets,
    )
}

/// `a+b` for the bands of a row (`*` for every band), for labels.
fn band_list(names: &Names, bands: &[usize]) -> String {
    if bands.len() == names.bands.len() && bands.len() > 1 {
        "*".into()
    } else {
        bands
            .iter()
            .map(|&b| names.bands[b].as_str())
            .collect::<Vec<_>>()
            .join("+")
    }
}

/// `@2030` for a by-year point, nothing for a constant.
fn at_year(year: Option<i32>) -> String {
    year.map(|y| format!("@{y}")).unwrap_or_default()
}

fn row_location(table: &Table, row: &TableRow) -> Location {
    Location::Row(table.path.clone(), row.line, None)
}

/// Names must be non-empty, unique, and free of dots (which separate the parts of override paths).
fn check_names<'n>(v: &mut Validator, kind: &str, names: impl Iterator<Item = (&'n str, Span)>) {
    let mut seen: Vec<&str> = Vec::new();
    for (name, span) in names {
        if name.trim().is_empty() {
            v.err(&span, format!("a {kind} has an empty name; give it a name"));
        } else if name.chars().any(char::is_control) {
            v.err(
                &span,
                format!(
                    "{kind} name `{}` has a control character (such as a tab, newline or escape); use plain text",
                    name.escape_debug()
                ),
            );
        } else if name.contains('.') {
            v.err(&span, format!("{kind} name `{name}` contains a dot; dots separate the parts of override paths, use another character"));
        } else if seen.contains(&name) {
            v.err(&span, format!("{kind} `{name}` is defined twice; names must be unique"));
        }
        seen.push(name);
    }
}

fn list(names: &[String]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

struct Names {
    levels: Vec<String>,
    bands: Vec<String>,
}

impl Names {
    fn level(&self, name: &str) -> Result<usize, String> {
        self.levels
            .iter()
            .position(|l| l == name)
            .ok_or_else(|| format!("unknown level `{name}`; the levels are {}", list(&self.levels)))
    }

    fn band(&self, name: &str) -> Result<usize, String> {
        self.bands
            .iter()
            .position(|b| b == name)
            .ok_or_else(|| format!("unknown band `{name}`; the bands are {}", list(&self.bands)))
    }

    /// Bands named in an optional list (default: every band).
    fn bands_or_all(&self, names: &Option<Vec<String>>) -> Result<Vec<usize>, String> {
        match names {
            None => Ok((0..self.bands.len()).collect()),
            Some(list) if list.is_empty() => Err("the list of bands is empty; leave it out to mean every band".into()),
            Some(list) => list.iter().map(|n| self.band(n)).collect(),
        }
    }

    fn levels_or_all(&self, names: &Option<Vec<String>>) -> Result<Vec<usize>, String> {
        match names {
            None => Ok((0..self.levels.len()).collect()),
            Some(list) if list.is_empty() => {
                Err("the list of levels is empty; leave it out to mean every level".into())
            }
            Some(list) => list.iter().map(|n| self.level(n)).collect(),
        }
    }
}

/// Points of a by-year value, one entry per (key, optional year), with the
/// place each came from, so that duplicates can be named.
struct SeriesBuilder<K: Ord> {
    entries: BTreeMap<K, Vec<(Option<i32>, f64, Location)>>,
}

impl<K: Ord + Clone> SeriesBuilder<K> {
    fn new() -> Self {
        Self {
            entries: BTreeMap::new(),
        }
    }

    fn add(&mut self, errors: &mut ErrorSink, key: K, year: Option<i32>, value: f64, loc: Location, what: &str) {
        let points = self.entries.entry(key).or_default();
        if let Some(previous) = points.iter().find(|p| p.0 == year || p.0.is_none() || year.is_none()) {
            let detail = if previous.0 == year {
                String::new()
            } else {
                " (a value without a year covers every year, so it cannot be mixed with values by year)".into()
            };
            errors.at(
                loc,
                format!("{what} is given twice; it was already given at {}{detail}", previous.2),
            );
            return;
        }
        points.push((year, value, loc));
    }

    /// Where each key's points came from, by year (`None`: every year).
    fn places(&self) -> BTreeMap<K, Vec<(Option<i32>, Location)>> {
        self.entries
            .iter()
            .map(|(k, points)| (k.clone(), points.iter().map(|(y, _, l)| (*y, l.clone())).collect()))
            .collect()
    }

    fn build(self) -> BTreeMap<K, Series<f64>> {
        self.entries
            .into_iter()
            .map(|(k, points)| {
                let series = match points.as_slice() {
                    [(None, v, _)] => Series::constant(*v),
                    _ => Series::by_year(points.into_iter().map(|(y, v, _)| (y.unwrap_or(i32::MIN), v)).collect()),
                };
                (k, series)
            })
            .collect()
    }
}

/// Expands a by-year TOML value into (year, value) points, checking each.
fn by_year_points<'r>(v: &mut Validator, span: &Span, value: &'r ByYear) -> Vec<(Option<i32>, &'r RawNumber)> {
    match value {
        ByYear::Constant(x) => vec![(None, x)],
        ByYear::Years(points) if points.is_empty() => {
            v.err(
                span,
                "the table of values by year is empty; give a number or { 2025 = value, ... }",
            );
            vec![]
        }
        ByYear::Years(points) => points
            .iter()
            .filter_map(|(year, x)| match year.trim().parse::<i32>() {
                Ok(y) => Some((Some(y), x)),
                Err(_) => {
                    v.err(
                        span,
                        format!(
                            "`{year}` is not a calendar year; by-year values are written {{ 2025 = 0.1, 2030 = 0.2 }}"
                        ),
                    );
                    None
                }
            })
            .collect(),
    }
}

pub(crate) fn validate(file: ScenarioFile, path: &Path, text: &str, own_sha: String) -> Result<Model, InputErrors> {
    let mut v = Validator {
        path,
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        lines: Lines::new(text),
        errors: ErrorSink::default(),
        sources: vec![SourceFile {
            path: path.to_path_buf(),
            sha256: own_sha,
        }],
        uncertain: Vec::new(),
    };

    // ---- [model]
    let m = &file.model;
    let start_year = to_year(&mut v, &m.start_year, "start_year");
    let horizon_years = match *m.horizon_years.get_ref() {
        h @ 1..=200 => h as u32,
        h => {
            v.err(
                &m.horizon_years.span(),
                format!("horizon_years is {h}; give a whole number of years from 1 to 200"),
            );
            1
        }
    };
    let steps_per_year = match m.steps_per_year.as_ref().map(|s| (*s.get_ref(), s.span())) {
        None => 1,
        Some((s @ (1 | 4 | 12 | 52), _)) => s as u32,
        Some((s, span)) => {
            v.err(&span, format!("steps_per_year is {s}; it must be 1, 4, 12 or 52"));
            1
        }
    };
    let price_base_year = m
        .price_base_year
        .as_ref()
        .map_or(start_year, |y| to_year(&mut v, y, "price_base_year"));
    let discount_rate = match &m.discount_rate {
        None => 0.035,
        Some(r) => {
            let loc = v.loc(&r.span());
            let label = "discount_rate".to_string();
            v.resolve(
                r.get_ref(),
                loc,
                Support::Rate,
                "discount_rate",
                label,
                vec![Target::DiscountRate],
            )
            .unwrap_or(0.035)
        }
    };
    if m.name.chars().any(char::is_control) {
        v.errors.at(
            Location::File(path.to_path_buf()),
            format!(
                "[model] name `{}` has a control character (such as a tab, newline or escape); it is shown in the terminal, charts and report: use plain text",
                m.name.escape_debug()
            ),
        );
    }
    let level_names: Vec<String> = m.levels.get_ref().iter().map(|l| l.get_ref().clone()).collect();
    if level_names.is_empty() {
        v.err(
            &m.levels.span(),
            "levels is empty; give the need levels in order, least need first",
        );
    }
    check_names(
        &mut v,
        "level",
        m.levels.get_ref().iter().map(|l| (l.get_ref().as_str(), l.span())),
    );
    if let Some(l) = m.levels.get_ref().iter().find(|l| l.get_ref() == "exit") {
        v.err(
            &l.span(),
            "`exit` is reserved for the exit sink; name the level something else",
        );
    }

    // ---- bands
    if file.bands.is_empty() {
        v.errors.at(
            Location::File(path.to_path_buf()),
            "no [[bands]] are given; add at least one age band",
        );
    }
    check_names(
        &mut v,
        "band",
        file.bands.iter().map(|b| (b.get_ref().name.as_str(), b.span())),
    );
    let dt = 1.0 / f64::from(steps_per_year);
    let mut bands = Vec::new();
    for (i, b) in file.bands.iter().enumerate() {
        let raw = b.get_ref();
        let last = i + 1 == file.bands.len();
        if !raw.lower.is_finite() {
            v.err(
                &b.span(),
                format!("band `{}` has lower age {}; give a finite age", raw.name, raw.lower),
            );
        }
        match raw.upper {
            None if !last => v.err(&b.span(), format!("band `{}` has no upper age; only the last band may be open-ended", raw.name)),
            Some(u) if !(u.is_finite() && u > raw.lower) => {
                v.err(&b.span(), format!("band `{}` has upper age {u} not above its lower age {}", raw.name, raw.lower))
            }
            Some(u) if u - raw.lower < dt - 1e-12 => v.err(
                &b.span(),
                format!(
                    "band `{}` is {} years wide, narrower than one step ({dt} years); use more steps_per_year or a wider band",
                    raw.name,
                    u - raw.lower
                ),
            ),
            _ => {}
        }
        if let Some(prev) = file.bands.get(i.wrapping_sub(1)).map(|p| p.get_ref())
            && let Some(pu) = prev.upper
            && (pu - raw.lower).abs() > 1e-9
        {
            v.err(
                &b.span(),
                format!(
                    "band `{}` starts at age {} but the band before it ends at {pu}; bands must be contiguous",
                    raw.name, raw.lower
                ),
            );
        }
        bands.push(AgeBand {
            name: raw.name.clone(),
            lower: raw.lower,
            upper: raw.upper,
        });
    }
    let names = Names {
        levels: level_names.clone(),
        bands: bands.iter().map(|b| b.name.clone()).collect(),
    };
    let nl = level_names.len();
    let nb = bands.len();

    // ---- population
    let mut population = vec![0.0; nb * nl];
    population_from(&mut v, &file, &names, &mut population);

    // ---- transitions
    let mut transitions_b = SeriesBuilder::<(usize, usize, usize)>::new();
    for t in &file.transitions {
        let raw = t.get_ref();
        let loc = v.loc(&t.span());
        let resolved = (
            names.bands_or_all(&raw.bands),
            names.level(&raw.from),
            names.level(&raw.to),
        );
        let (bs, from, to) = match resolved {
            (Ok(b), Ok(f), Ok(to)) => (b, f, to),
            (b, f, to) => {
                for e in [b.err(), f.err(), to.err()].into_iter().flatten() {
                    v.errors.at(loc.clone(), e);
                }
                continue;
            }
        };
        if from == to {
            v.errors.at(loc, format!("a transition from `{}` to itself; give only moves between different levels (staying is what is left)", raw.from));
            continue;
        }
        for (year, number) in by_year_points(&mut v, &t.span(), &raw.probability) {
            let point = year.unwrap_or(i32::MIN);
            let targets = bs
                .iter()
                .map(|&band| Target::Transition { band, from, to, point })
                .collect();
            let label = format!(
                "transition.{}.{}.{}{}",
                band_list(&names, &bs),
                raw.from,
                raw.to,
                at_year(year)
            );
            let what = format!("the probability of `{}` → `{}`", raw.from, raw.to);
            let Some(p) = v.resolve(number, loc.clone(), Support::Probability, &what, label, targets) else {
                continue;
            };
            for &b in &bs {
                let what = format!("transition `{}` → `{}` in band `{}`", raw.from, raw.to, names.bands[b]);
                transitions_b.add(&mut v.errors, (b, from, to), year, p, loc.clone(), &what);
            }
        }
    }
    if let Some(csv) = &file.transitions_csv
        && let Some(table) = v.table(csv, &["band", "from", "to", "probability"], &["year", "rel_sd"])
    {
        for row in &table.rows {
            let b = lookup(&mut v, &table, row, "band", |n| names.band(n));
            let f = lookup(&mut v, &table, row, "from", |n| names.level(n));
            let to = lookup(&mut v, &table, row, "to", |n| names.level(n));
            let year = cell_year(&mut v, &table, row);
            let (Some(b), Some(f), Some(to), Ok(year)) = (b, f, to, year) else {
                continue;
            };
            if f == to {
                v.errors.at(
                    table.location(row, "to"),
                    "a transition from a level to itself; give only moves between different levels",
                );
                continue;
            }
            let point = year.unwrap_or(i32::MIN);
            let targets = vec![Target::Transition {
                band: b,
                from: f,
                to,
                point,
            }];
            let label = format!(
                "transition.{}.{}.{}{}",
                names.bands[b],
                names.levels[f],
                names.levels[to],
                at_year(year)
            );
            let Some(p) = cell_value(
                &mut v,
                &table,
                row,
                "probability",
                Support::Probability,
                "the probability",
                label,
                targets,
            ) else {
                continue;
            };
            let what = format!(
                "transition `{}` → `{}` in band `{}`",
                names.levels[f], names.levels[to], names.bands[b]
            );
            transitions_b.add(&mut v.errors, (b, f, to), year, p, row_location(&table, row), &what);
        }
    }
    let zero = Series::constant(AnnualProbability::default());
    let mut transitions = vec![zero.clone(); nb * nl * nl];
    let transition_places = transitions_b.places();
    for ((b, f, t), s) in transitions_b.build() {
        transitions[(b * nl + f) * nl + t] = s.map(|p| AnnualProbability::new(p).unwrap_or_default());
    }

    // ---- exits
    let mut exits_b = SeriesBuilder::<(usize, usize)>::new();
    for e in &file.exits {
        let raw = e.get_ref();
        let loc = v.loc(&e.span());
        let (bs, ls) = match (names.bands_or_all(&raw.bands), names.levels_or_all(&raw.levels)) {
            (Ok(b), Ok(l)) => (b, l),
            (b, l) => {
                for m in [b.err(), l.err()].into_iter().flatten() {
                    v.errors.at(loc.clone(), m);
                }
                continue;
            }
        };
        for (year, number) in by_year_points(&mut v, &e.span(), &raw.probability) {
            let point = year.unwrap_or(i32::MIN);
            let targets = bs
                .iter()
                .flat_map(|&band| ls.iter().map(move |&level| Target::Exit { band, level, point }))
                .collect();
            let levels: Vec<usize> = ls.clone();
            let level_label = if levels.len() == nl && nl > 1 {
                "*".to_string()
            } else {
                levels
                    .iter()
                    .map(|&l| names.levels[l].as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            };
            let label = format!("exit.{}.{level_label}{}", band_list(&names, &bs), at_year(year));
            let Some(p) = v.resolve(
                number,
                loc.clone(),
                Support::Probability,
                "the exit probability",
                label,
                targets,
            ) else {
                continue;
            };
            for &b in &bs {
                for &l in &ls {
                    let what = format!(
                        "the exit probability of `{}` in band `{}`",
                        names.levels[l], names.bands[b]
                    );
                    exits_b.add(&mut v.errors, (b, l), year, p, loc.clone(), &what);
                }
            }
        }
    }
    if let Some(csv) = &file.exits_csv
        && let Some(table) = v.table(csv, &["band", "level", "probability"], &["year", "rel_sd"])
    {
        for row in &table.rows {
            let b = lookup(&mut v, &table, row, "band", |n| names.band(n));
            let l = lookup(&mut v, &table, row, "level", |n| names.level(n));
            let year = cell_year(&mut v, &table, row);
            let (Some(b), Some(l), Ok(year)) = (b, l, year) else {
                continue;
            };
            let point = year.unwrap_or(i32::MIN);
            let targets = vec![Target::Exit {
                band: b,
                level: l,
                point,
            }];
            let label = format!("exit.{}.{}{}", names.bands[b], names.levels[l], at_year(year));
            let what = "the exit probability";
            let Some(p) = cell_value(
                &mut v,
                &table,
                row,
                "probability",
                Support::Probability,
                what,
                label,
                targets,
            ) else {
                continue;
            };
            let what = format!(
                "the exit probability of `{}` in band `{}`",
                names.levels[l], names.bands[b]
            );
            exits_b.add(&mut v.errors, (b, l), year, p, row_location(&table, row), &what);
        }
    }
    let mut exits = vec![zero; nb * nl];
    let exit_places = exits_b.places();
    for ((b, l), s) in exits_b.build() {
        exits[b * nl + l] = s.map(|p| AnnualProbability::new(p).unwrap_or_default());
    }

    // ---- entries
    let entries = file.entries.as_ref().and_then(|e| {
        let raw = e.get_ref();
        let mut points = Vec::new();
        let loc = v.loc(&e.span());
        for (year, number) in by_year_points(&mut v, &e.span(), &raw.people) {
            let point = year.unwrap_or(i32::MIN);
            let label = format!("entries.people{}", at_year(year));
            let targets = vec![Target::EntriesPeople { point }];
            if let Some(people) = v.resolve(
                number,
                loc.clone(),
                Support::NonNegative,
                "entries.people",
                label,
                targets,
            ) {
                points.push((point, people));
            }
        }
        let mix = shares(
            &mut v,
            &names,
            &raw.mix,
            &e.span(),
            "entries.mix",
            "entries.mix",
            |level| Target::EntryShare { level },
        )?;
        (!points.is_empty()).then(|| Entries {
            people: if points.len() == 1 && points[0].0 == i32::MIN {
                Series::constant(points[0].1)
            } else {
                Series::by_year(points)
            },
            mix,
        })
    });

    // ---- projection
    let projection = file
        .projection_csv
        .as_ref()
        .and_then(|csv| projection_from(&mut v, csv, &names));

    // ---- services
    check_names(
        &mut v,
        "service",
        file.services.iter().map(|s| (s.get_ref().name.as_str(), s.span())),
    );
    let mut funders: Vec<String> = Vec::new();
    let mut funder_index = |name: &str| match funders.iter().position(|f| f == name) {
        Some(i) => i,
        None => {
            funders.push(name.to_string());
            funders.len() - 1
        }
    };
    let mut services = Vec::new();
    for s in &file.services {
        let raw = s.get_ref();
        let service = services.len();
        let loc = v.loc(&raw.unit_cost.span());
        let what = format!("the unit cost of `{}`", raw.name);
        let label = format!("service.{}.unit_cost", raw.name);
        let targets = vec![Target::UnitCost { service }];
        let unit_cost = v
            .resolve(
                raw.unit_cost.get_ref(),
                loc,
                Support::NonNegative,
                &what,
                label,
                targets,
            )
            .unwrap_or(0.0);
        let use_rate = service_use(&mut v, &names, s, service);
        services.push(Service {
            name: raw.name.clone(),
            tier: raw.tier,
            funder: funder_index(&raw.funder),
            unit_cost,
            use_rate,
        });
    }

    // ---- interventions
    check_names(
        &mut v,
        "intervention",
        file.interventions.iter().map(|i| (i.get_ref().name.as_str(), i.span())),
    );
    let service_names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
    let evidence_scale = evidence_scale_from(&mut v, m.evidence_scale.as_ref());
    let domains = domains_from(&mut v, m.domains.as_ref());
    let mut warnings = Vec::new();
    let mut interventions = Vec::new();
    for i in &file.interventions {
        let index = interventions.len();
        let context = InterventionContext {
            names: &names,
            services: &service_names,
            scale: &evidence_scale,
            domains: &domains,
            bands: &bands,
        };
        if let Some(iv) = intervention_from(&mut v, &context, i, index, &mut funder_index, &mut warnings) {
            interventions.push(iv);
        }
    }

    let mut model = Model {
        name: m.name.clone(),
        start_year,
        horizon_years,
        steps_per_year,
        currency: m.currency.clone().unwrap_or_else(|| "GBP".into()),
        price_base_year,
        discount_rate,
        discount_timing: m.discount_timing.unwrap_or(DiscountTiming::End),
        occupancy: m.occupancy.unwrap_or(Occupancy::HalfCycle),
        transition_mode: m.transition_mode.unwrap_or(TransitionMode::Rates),
        levels: level_names,
        bands,
        population,
        transitions,
        exits,
        entries,
        projection,
        funders,
        services,
        interventions,
        domains,
        evidence_scale: std::sync::Arc::new(evidence_scale),
        areas: Vec::new(),
        area_scales: Vec::new(),
        maturity: None,
        warnings,
        scenarios: Vec::new(),
        sources: std::mem::take(&mut v.sources),
        assumptions: std::sync::Arc::new(super::assumptions::read(text)),
        uncertain: std::mem::take(&mut v.uncertain),
        monte_carlo: monte_carlo_from(&mut v, file.monte_carlo.as_ref()),
    };
    if let Some(raw) = &file.maturity {
        model.maturity = maturity_from(&mut v, raw);
        model.sources.extend(std::mem::take(&mut v.sources));
        if let Some(link) = &model.maturity
            && let Some((factor, _)) = link.fidelity
        {
            for iv in &mut model.interventions {
                iv.maturity_factor = factor;
            }
        }
    }
    let earlier_problems = !v.errors.is_empty();

    // Whole-model checks that need everything resolved.
    let file_loc = Location::File(path.to_path_buf());
    let base_problems = if earlier_problems {
        vec![]
    } else {
        flow_problems_at(&model, &[])
    };
    let base_flows_ok = base_problems.is_empty();
    for (site, problem) in base_problems {
        // The row or line that gave the value at fault, where one did.
        let places = match site.to {
            Some(to) => transition_places.get(&(site.band, site.from, to)),
            None => exit_places.get(&(site.band, site.from)),
        };
        let place = places.and_then(|points| {
            points
                .iter()
                .filter(|(y, _)| y.is_none_or(|y| y <= site.year))
                .max_by_key(|(y, _)| *y)
                .or(points.first())
                .map(|(_, l)| l.clone())
        });
        v.errors.at(place.unwrap_or_else(|| file_loc.clone()), problem);
    }

    // ---- scenarios
    check_names(
        &mut v,
        "scenario",
        file.scenarios.iter().map(|s| (s.get_ref().name.as_str(), s.span())),
    );
    let mut scenarios = Vec::new();
    for s in &file.scenarios {
        let raw = s.get_ref();
        if raw.name == BASELINE {
            v.err(
                &s.span(),
                format!("`{BASELINE}` is the implicit baseline; give this scenario another name"),
            );
            continue;
        }
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
        if earlier_problems {
            // Overrides and flows are checked once the model itself is sound.
            continue;
        }
        let mut scenario_model = model.clone();
        let mut written = Vec::new();
        for (key, value) in &raw.overrides {
            written.push((key.clone(), *value.get_ref()));
            if let Err(problem) = overrides::apply(&mut scenario_model, key, *value.get_ref()) {
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
        scenarios.push(Scenario {
            name: raw.name.clone(),
            description: raw.description.clone().unwrap_or_default(),
            interventions: chosen,
            model: Box::new(scenario_model),
            overrides: written,
        });
    }
    model.scenarios = scenarios;
    if let Some(areas) = &file.areas
        && v.errors.is_empty()
    {
        model.areas = super::areas::areas_from(&mut v, areas, &model);
        model.sources.extend(std::mem::take(&mut v.sources));
        let nl = model.levels.len();
        model.population = vec![0.0; model.bands.len() * nl];
        for a in &model.areas {
            for (p, x) in model.population.iter_mut().zip(&a.model.population) {
                *p += x;
            }
        }
    }
    v.errors.finish(model)
}

fn to_year(v: &mut Validator, year: &Spanned<i64>, key: &str) -> i32 {
    match i32::try_from(*year.get_ref()) {
        Ok(y) if (1800..=2300).contains(&y) => y,
        _ => {
            v.err(
                &year.span(),
                format!(
                    "{key} is {}; give a calendar year between 1800 and 2300",
                    year.get_ref()
                ),
            );
            2000
        }
    }
}

/// Shares by level that must sum to 1.
/// Shares by level that must sum to 1 (their means, when uncertain; each
/// draw's shares are rescaled to sum to 1). `label` is the path prefix,
/// `target` names a level's share.
fn shares(
    v: &mut Validator,
    names: &Names,
    raw: &BTreeMap<String, Spanned<RawNumber>>,
    span: &Span,
    what: &str,
    label: &str,
    target: impl Fn(usize) -> Target,
) -> Option<Vec<f64>> {
    let mut out = vec![0.0; names.levels.len()];
    let mut ok = true;
    for (level, share) in raw {
        match names.level(level) {
            Err(e) => {
                v.err(&share.span(), format!("{what}: {e}"));
                ok = false;
            }
            Ok(l) => {
                let loc = v.loc(&share.span());
                let describe = format!("the share of `{level}` in {what}");
                let path = format!("{label}.{level}");
                match v.resolve(
                    share.get_ref(),
                    loc,
                    Support::Probability,
                    &describe,
                    path,
                    vec![target(l)],
                ) {
                    Some(x) => out[l] = x,
                    None => ok = false,
                }
            }
        }
    }
    let sum: f64 = out.iter().sum();
    if ok && (sum - 1.0).abs() > 1e-6 {
        v.err(
            span,
            format!(
                "the shares in {what} sum to {sum}, not 1; they are each level's share of the people, e.g. 0.6 for 60%"
            ),
        );
        ok = false;
    }
    ok.then_some(out)
}

fn population_from(v: &mut Validator, file: &ScenarioFile, names: &Names, population: &mut [f64]) {
    if let Some(areas) = &file.areas {
        if !file.population.is_empty() || file.population_csv.is_some() {
            v.err(
                &areas.span(),
                "with [areas], each area's people are in [areas] population_csv; remove [[population]] / population_csv",
            );
        }
        return;
    }
    let nl = names.levels.len();
    let mut given = vec![false; names.bands.len()];
    if !file.population.is_empty() && file.population_csv.is_some() {
        v.errors.at(
            Location::File(v.path.to_path_buf()),
            "the population is given both inline ([[population]]) and as population_csv; give one of them",
        );
        return;
    }
    for p in &file.population {
        let raw = p.get_ref();
        let b = match names.band(&raw.band) {
            Ok(b) => b,
            Err(e) => {
                v.err(&p.span(), e);
                continue;
            }
        };
        if given[b] {
            v.err(
                &p.span(),
                format!("the population of band `{}` is given twice", raw.band),
            );
            continue;
        }
        given[b] = true;
        match (&raw.people, &raw.mix, &raw.counts) {
            (Some(people), Some(mix), None) => {
                let loc = v.loc(&people.span());
                let what = format!("the population of band `{}`", raw.band);
                let label = format!("population.{}.people", raw.band);
                let targets = vec![Target::BandPeople { band: b }];
                let Some(people) = v.resolve(people.get_ref(), loc, Support::NonNegative, &what, label, targets) else {
                    continue;
                };
                let what = format!("the mix of band `{}`", raw.band);
                let label = format!("population.{}.mix", raw.band);
                let target = |level| Target::BandLevel { band: b, level };
                if let Some(shares) = shares(v, names, mix, &p.span(), &what, &label, target) {
                    for (l, s) in shares.iter().enumerate() {
                        population[b * nl + l] = people * s;
                    }
                }
            }
            (None, None, Some(counts)) => {
                for (level, count) in counts {
                    match names.level(level) {
                        Err(e) => v.err(&count.span(), e),
                        Ok(l) => {
                            let loc = v.loc(&count.span());
                            let what = format!("the number of `{level}` people in band `{}`", raw.band);
                            let label = format!("population.{}.counts.{level}", raw.band);
                            let targets = vec![Target::BandLevel { band: b, level: l }];
                            if let Some(n) =
                                v.resolve(count.get_ref(), loc, Support::NonNegative, &what, label, targets)
                            {
                                population[b * nl + l] = n;
                            }
                        }
                    }
                }
            }
            _ => v.err(
                &p.span(),
                format!(
                    "the population of band `{}` needs either `people` and `mix`, or `counts`",
                    raw.band
                ),
            ),
        }
    }
    if let Some(csv) = &file.population_csv {
        let Some(table) = v.table(csv, &["band", "level", "people"], &["rel_sd"]) else {
            return;
        };
        let mut seen: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        for row in &table.rows {
            let b = lookup(v, &table, row, "band", |n| names.band(n));
            let l = lookup(v, &table, row, "level", |n| names.level(n));
            let (Some(b), Some(l)) = (b, l) else {
                continue;
            };
            let label = format!("population.{}.counts.{}", names.bands[b], names.levels[l]);
            let targets = vec![Target::BandLevel { band: b, level: l }];
            let what = "the number of people";
            let Some(n) = cell_value(v, &table, row, "people", Support::NonNegative, what, label, targets) else {
                continue;
            };
            if let Some(first) = seen.insert((b, l), row.line) {
                v.errors.at(
                    row_location(&table, row),
                    format!(
                        "band `{}`, level `{}` is given twice (first at line {first})",
                        names.bands[b], names.levels[l]
                    ),
                );
            }
            given[b] = true;
            population[b * nl + l] = n;
        }
    }
    if !v.errors.is_empty() {
        return;
    }
    for (b, name) in names.bands.iter().enumerate() {
        if !given[b] {
            v.errors.at(
                Location::File(v.path.to_path_buf()),
                format!("no baseline population is given for band `{name}`; every band needs one (give 0 people if it starts empty)"),
            );
        }
    }
    if population.iter().all(|&p| p == 0.0) && file.entries.is_none() {
        v.errors.at(
            Location::File(v.path.to_path_buf()),
            "the population is empty and there are no [entries]; the model would have no one in it",
        );
    }
}

fn projection_from(v: &mut Validator, csv: &Spanned<String>, names: &Names) -> Option<Projection> {
    let table = v.table(csv, &["year", "band", "people"], &[])?;
    let mut by_year: BTreeMap<i32, Vec<Option<f64>>> = BTreeMap::new();
    let mut ok = true;
    for row in &table.rows {
        let year = table.year(row, "year").map_err(|e| v.errors.push(e)).ok();
        let b = lookup(v, &table, row, "band", |n| names.band(n));
        let n = cell_number(v, &table, row, "people");
        let (Some(y), Some(b), Some(n)) = (year, b, n) else {
            ok = false;
            continue;
        };
        if let Some(problem) = non_negative_problem(n, "the projected population") {
            v.errors.at(table.location(row, "people"), problem);
            ok = false;
        }
        let slot = &mut by_year.entry(y).or_insert_with(|| vec![None; names.bands.len()])[b];
        if slot.is_some() {
            v.errors.at(
                row_location(&table, row),
                format!("year {y}, band `{}` is given twice", names.bands[b]),
            );
            ok = false;
        }
        *slot = Some(n);
    }
    let points = projection_points(v, &table.path, "", by_year, &names.bands);
    (ok && !points.is_empty()).then_some(Projection { points })
}

fn service_use(v: &mut Validator, names: &Names, s: &Spanned<RawService>, service: usize) -> Vec<Series<f64>> {
    let raw = s.get_ref();
    let nl = names.levels.len();
    let mut builder = SeriesBuilder::<(usize, usize)>::new();
    match (&raw.use_rate, &raw.use_csv) {
        (Some(_), Some(_)) => v.err(
            &s.span(),
            format!(
                "service `{}` gives both `use` and `use_csv`; give one of them",
                raw.name
            ),
        ),
        (None, None) => v.err(
            &s.span(),
            format!(
                "service `{}` has no use rates; give `use = {{ level = units per person-year, ... }}` or `use_csv`",
                raw.name
            ),
        ),
        (Some(rates), None) => {
            for (level, value) in rates {
                let l = match names.level(level) {
                    Ok(l) => l,
                    Err(e) => {
                        v.err(&value.span(), format!("service `{}`: {e}", raw.name));
                        continue;
                    }
                };
                let loc = v.loc(&value.span());
                for (year, number) in by_year_points(v, &value.span(), value.get_ref()) {
                    let point = year.unwrap_or(i32::MIN);
                    let targets = (0..names.bands.len())
                        .map(|band| Target::UseRate {
                            service,
                            band,
                            level: l,
                            point,
                        })
                        .collect();
                    let label = format!("service.{}.use.{level}{}", raw.name, at_year(year));
                    let what = format!("the use rate of `{}` for `{level}`", raw.name);
                    let Some(x) = v.resolve(number, loc.clone(), Support::NonNegative, &what, label, targets) else {
                        continue;
                    };
                    for b in 0..names.bands.len() {
                        builder.add(&mut v.errors, (b, l), year, x, loc.clone(), "a use rate");
                    }
                }
            }
        }
        (None, Some(csv)) => {
            if let Some(table) = v.table(csv, &["band", "level", "use"], &["year", "rel_sd"]) {
                for row in &table.rows {
                    let b = lookup(v, &table, row, "band", |n| names.band(n));
                    let l = lookup(v, &table, row, "level", |n| names.level(n));
                    let year = cell_year(v, &table, row);
                    let (Some(b), Some(l), Ok(year)) = (b, l, year) else {
                        continue;
                    };
                    let point = year.unwrap_or(i32::MIN);
                    let targets = vec![Target::UseRate {
                        service,
                        band: b,
                        level: l,
                        point,
                    }];
                    let label = format!(
                        "service.{}.use.{}.{}{}",
                        raw.name,
                        names.levels[l],
                        names.bands[b],
                        at_year(year)
                    );
                    let Some(x) = cell_value(
                        v,
                        &table,
                        row,
                        "use",
                        Support::NonNegative,
                        "the use rate",
                        label,
                        targets,
                    ) else {
                        continue;
                    };
                    let what = format!(
                        "the use of `{}` by band `{}`, level `{}`",
                        raw.name, names.bands[b], names.levels[l]
                    );
                    builder.add(&mut v.errors, (b, l), year, x, row_location(&table, row), &what);
                }
            }
        }
    }
    let mut rates = vec![Series::constant(0.0); names.bands.len() * nl];
    for ((b, l), series) in builder.build() {
        rates[b * nl + l] = series;
    }
    rates
}

/// What an intervention is checked against besides its own keys.
struct InterventionContext<'a> {
    names: &'a Names,
    services: &'a [String],
    scale: &'a EvidenceScale,
    domains: &'a [String],
    bands: &'a [AgeBand],
}

/// The model's evidence scale: its own file, or the bundled one.
fn evidence_scale_from(v: &mut Validator, file: Option<&Spanned<String>>) -> EvidenceScale {
    let Some(file) = file else {
        return EvidenceScale::default();
    };
    let path = v.dir.join(file.get_ref());
    let text = match std::fs::read(&path) {
        Err(e) => {
            v.err(
                &file.span(),
                format!(
                    "cannot read the evidence scale `{}` ({}: {e}); paths are relative to the scenario file's folder",
                    file.get_ref(),
                    path.display()
                ),
            );
            return EvidenceScale::default();
        }
        Ok(bytes) => bytes,
    };
    let sha256 = super::sha256_hex(&text);
    let Ok(text) = String::from_utf8(text) else {
        v.err(
            &file.span(),
            format!("the evidence scale {} is not UTF-8 text", path.display()),
        );
        return EvidenceScale::default();
    };
    match EvidenceScale::parse(Some(&path), &text) {
        Ok(scale) => {
            v.sources.push(SourceFile { path, sha256 });
            scale
        }
        Err(e) => {
            v.errors.extend(e);
            EvidenceScale::default()
        }
    }
}

fn domains_from(v: &mut Validator, raw: Option<&Spanned<Vec<String>>>) -> Vec<String> {
    let Some(raw) = raw else {
        return Vec::new();
    };
    let mut domains: Vec<String> = Vec::new();
    for d in raw.get_ref() {
        if d.trim().is_empty() || domains.contains(d) {
            v.err(
                &raw.span(),
                format!("domains: `{d}` is empty or listed twice; give each domain once"),
            );
        } else {
            domains.push(d.clone());
        }
    }
    domains
}

fn intervention_from(
    v: &mut Validator,
    context: &InterventionContext,
    i: &Spanned<RawIntervention>,
    intervention: usize,
    funder_index: &mut impl FnMut(&str) -> usize,
    warnings: &mut Vec<InputError>,
) -> Option<Intervention> {
    let InterventionContext {
        names,
        services,
        scale,
        domains: model_domains,
        bands,
    } = *context;
    let raw = i.get_ref();
    let span = i.span();
    let name = &raw.name;
    let fail = |v: &mut Validator, span: &Span, m: String| v.err(span, format!("intervention `{name}`: {m}"));

    let target_bands = names.bands_or_all(&raw.target_bands).unwrap_or_else(|e| {
        fail(v, &span, e);
        vec![]
    });
    let target_levels = if raw.target_levels.is_empty() {
        fail(
            v,
            &span,
            "target_levels is empty; name the need levels it serves".into(),
        );
        vec![]
    } else {
        names
            .levels_or_all(&Some(raw.target_levels.clone()))
            .unwrap_or_else(|e| {
                fail(v, &span, e);
                vec![]
            })
    };
    // An uncertain number of this intervention: its value (the mean if uncertain).
    let uncertain = |v: &mut Validator, field: &Spanned<RawNumber>, key: &str, support: Support, target: Target| {
        let loc = v.loc(&field.span());
        let what = format!("intervention `{name}`: {key}");
        let label = format!("intervention.{name}.{key}");
        v.resolve(field.get_ref(), loc, support, &what, label, vec![target])
    };
    let reach = match (&raw.reach, &raw.places) {
        (Some(r), None) => {
            let x = uncertain(v, r, "reach", Support::Probability, Target::Reach { intervention });
            Reach::Share(x.unwrap_or(0.0))
        }
        (None, Some(p)) => {
            let x = uncertain(v, p, "places", Support::NonNegative, Target::Reach { intervention });
            Reach::Places(x.unwrap_or(0.0))
        }
        _ => {
            fail(v, &span, "give exactly one of `reach` (a share of the target population) or `places` (participants at any one time)".into());
            Reach::Share(0.0)
        }
    };
    let start_year = to_year(v, &raw.start_year, &format!("intervention `{name}`: start_year"));
    let end_year = raw.end_year.as_ref().map(|e| {
        let y = to_year(v, e, &format!("intervention `{name}`: end_year"));
        if y < start_year {
            fail(v, &e.span(), format!("end_year {y} is before start_year {start_year}"));
        }
        y
    });
    let number = |v: &mut Validator, field: &Option<Spanned<f64>>, key: &str, default: f64| match field {
        None => default,
        Some(x) => {
            if let Some(p) = non_negative_problem(*x.get_ref(), key) {
                fail(v, &x.span(), p);
            }
            *x.get_ref()
        }
    };
    let ramp_years = number(v, &raw.ramp_years, "ramp_years", 0.0);
    let optional = |v: &mut Validator, field: &Option<Spanned<RawNumber>>, key: &str, support, target, default| {
        field
            .as_ref()
            .map_or(Some(default), |f| uncertain(v, f, key, support, target))
            .unwrap_or(default)
    };
    let cost_per_participant = optional(
        v,
        &raw.cost_per_participant,
        "cost_per_participant",
        Support::NonNegative,
        Target::CostPerParticipant { intervention },
        0.0,
    );
    let fixed_cost = optional(
        v,
        &raw.fixed_cost,
        "fixed_cost",
        Support::NonNegative,
        Target::FixedCost { intervention },
        0.0,
    );
    let fidelity = optional(
        v,
        &raw.fidelity,
        "fidelity",
        Support::Probability,
        Target::Fidelity { intervention },
        1.0,
    );
    let lag_years = match &raw.lag_years {
        None => 0,
        Some(l) => match u32::try_from(*l.get_ref()) {
            Ok(l) if l <= 100 => l,
            _ => {
                v.err(
                    &l.span(),
                    format!(
                        "intervention `{name}`: lag_years is {}; give a whole number of years from 0 to 100",
                        l.get_ref()
                    ),
                );
                0
            }
        },
    };
    let rating = raw.evidence_rating.as_ref().and_then(|r| {
        let highest = scale.highest();
        match u8::try_from(*r.get_ref()) {
            Ok(x) if x <= highest => Some(x),
            _ => {
                let labels: Vec<String> = scale
                    .ratings
                    .iter()
                    .map(|r| format!("{} {}", r.rating, r.label))
                    .collect();
                fail(
                    v,
                    &r.span(),
                    format!(
                        "evidence_rating is {}; give a whole number from 0 to {highest} on the evidence scale ({})",
                        r.get_ref(),
                        labels.join(", ")
                    ),
                );
                None
            }
        }
    });
    let optimism_bias = match raw.optimism_bias.as_ref() {
        None => 0.0,
        Some(o) => match (o.get_ref(), rating) {
            (RawOptimism::Rating(false), _) => 0.0,
            (RawOptimism::Rating(true), Some(r)) => scale.rating(r).optimism_bias,
            (RawOptimism::Rating(true), None) => {
                fail(v, &o.span(), "optimism_bias = true takes its share from the evidence rating; give evidence_rating, or a share such as optimism_bias = 0.2".into());
                0.0
            }
            (RawOptimism::Share(_), None) => {
                fail(v, &o.span(), "optimism_bias cuts the effects that evidence_rating shapes; give evidence_rating too (effects given as distributions are used as written)".into());
                0.0
            }
            (RawOptimism::Share(x), _) if (0.0..1.0).contains(x) => *x,
            (RawOptimism::Share(x), _) => {
                fail(
                    v,
                    &o.span(),
                    format!(
                        "optimism_bias is {x}; give a share from 0 up to (not including) 1, or true for the evidence rating's figure"
                    ),
                );
                0.0
            }
        },
    };
    let workforce = match raw.workforce.as_ref() {
        None => None,
        Some(w) => {
            let RawWorkforce {
                qualified,
                unqualified_fidelity,
            } = w.get_ref();
            let unqualified = unqualified_fidelity.unwrap_or(scale.unqualified_fidelity);
            for (key, x) in [("qualified", *qualified), ("unqualified_fidelity", unqualified)] {
                if !(0.0..=1.0).contains(&x) {
                    fail(
                        v,
                        &w.span(),
                        format!("workforce.{key} is {x}; give a share from 0 to 1"),
                    );
                }
            }
            Some(Workforce {
                qualified: *qualified,
                unqualified_fidelity: unqualified,
            })
        }
    };
    let domains: Vec<usize> = match raw.domains.as_ref() {
        None => Vec::new(),
        Some(d) => d
            .get_ref()
            .iter()
            .filter_map(|name| match model_domains.iter().position(|x| x == name) {
                Some(i) => Some(i),
                None if model_domains.is_empty() => {
                    fail(v, &d.span(), format!("domain `{name}` is not declared; list the model's outcome domains in [model] domains = [...]"));
                    None
                }
                None => {
                    fail(v, &d.span(), format!("unknown domain `{name}`; the model's domains are {}", list(model_domains)));
                    None
                }
            })
            .collect(),
    };
    let evidence_ages = raw.evidence_ages.as_ref().map(|a| {
        let RawAges { from, to } = a.get_ref();
        let window = AgeWindow { from: *from, to: *to };
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            fail(v, &a.span(), format!("evidence_ages from {f} to {t} is empty; `from` must be below `to`"));
        }
        if from.is_none() && to.is_none() {
            fail(v, &a.span(), "evidence_ages needs `from`, `to` or both (in years)".into());
        }
        let loc = v.loc(&a.span());
        for &b in &target_bands {
            let band = &bands[b];
            let below = from.filter(|&f| band.lower < f);
            let above = to.filter(|&t| band.upper.is_none_or(|u| u > t));
            let problem = match (below, above) {
                (Some(f), _) => Some(format!("starts at {}, below the {f} years", band.lower)),
                (None, Some(t)) => Some(match band.upper {
                    Some(u) => format!("runs to {u}, above the {t} years"),
                    None => format!("is open-ended, above the {t} years"),
                }),
                _ => None,
            };
            if let Some(p) = problem {
                warnings.push(InputError::new(
                    loc.clone(),
                    format!(
                        "intervention `{name}` is applied to band `{}`, which {p} its evidence covers (evidence_ages); its effect there is an assumption the evidence does not support",
                        band.name
                    ),
                ));
            }
        }
        window
    });
    let mut stated_effects: Vec<Option<f64>> = Vec::new();
    // An effect's number: as written, or (a single value with a rating) the
    // distribution the evidence scale gives it, one draw for all of them.
    let mut effect_number = |v: &mut Validator,
                             number: &RawNumber,
                             loc: Location,
                             what: &str,
                             label: String,
                             targets: Vec<Target>|
     -> Option<f64> {
        match (number, rating) {
            (RawNumber::Value(x), Some(r)) if x.is_finite() && *x >= 0.0 && *x <= LARGEST => {
                let distribution = scale.effect(*x, r, optimism_bias);
                if let Some(problem) = distribution.accuracy_problem() {
                    v.errors
                        .at(loc, format!("{what}, made uncertain by its evidence rating: {problem}"));
                    return None;
                }
                stated_effects.push(Some(*x));
                if let Distribution::Fixed(value) = distribution {
                    return Some(value);
                }
                v.uncertain.push(UncertainParameter {
                    id: v.uncertain.len(),
                    label,
                    source: loc.to_string(),
                    distribution,
                    group: Some(format!("{name} evidence")),
                    reversed: *x < 1.0,
                    targets,
                });
                Some(distribution.mean())
            }
            _ => {
                stated_effects.push(None);
                v.resolve(number, loc, Support::NonNegative, what, label, targets)
            }
        }
    };
    let mut effects = Vec::new();
    if raw.effects.is_empty() {
        v.err(&span, format!("intervention `{name}` has no [[interventions.effects]]; give at least one (a relative risk of 1 or multiplier of 1 means no effect)"));
    }
    for e in &raw.effects {
        let span = e.span();
        let re = e.get_ref();
        let fail = |v: &mut Validator, m: String| v.err(&span, format!("intervention `{name}`, effect: {m}"));
        match (re, &re.service, &re.multiplier) {
            (
                RawEffect {
                    from: Some(from),
                    to: Some(to),
                    relative_risk: Some(rr),
                    service: None,
                    multiplier: None,
                },
                ..,
            ) => {
                let f = names.level(from);
                let t = if to == "exit" {
                    Ok(None)
                } else {
                    names.level(to).map(Some)
                };
                match (f, t) {
                    (Ok(f), Ok(t)) => {
                        if !target_levels.is_empty() && !target_levels.contains(&f) {
                            fail(
                                v,
                                format!(
                                    "it acts on transitions from `{from}`, which is not one of its target_levels, so it would never apply"
                                ),
                            );
                        }
                        if t == Some(f) {
                            fail(v, format!("a transition from `{from}` to itself"));
                        }
                        let effect = effects.len();
                        let loc = v.loc(&span);
                        let what = format!("intervention `{name}`: the relative risk of `{from}` → `{to}`");
                        let label = format!("intervention.{name}.relative_risk.{from}.{to}");
                        let targets = vec![Target::Effect { intervention, effect }];
                        let Some(rr) = effect_number(v, rr, loc, &what, label, targets) else {
                            continue;
                        };
                        if effects
                            .iter()
                            .any(|x| matches!(x, Effect::Transition { from: ff, to: tt, .. } if *ff == f && *tt == t))
                        {
                            fail(v, format!("the transition `{from}` → `{to}` has two effects; give one"));
                        }
                        effects.push(Effect::Transition {
                            from: f,
                            to: t,
                            relative_risk: rr,
                        });
                    }
                    (f, t) => {
                        for m in [f.err(), t.err()].into_iter().flatten() {
                            fail(v, format!("{m} (or `exit`)"));
                        }
                    }
                }
            }
            (
                RawEffect {
                    from: None,
                    to: None,
                    relative_risk: None,
                    ..
                },
                Some(service),
                Some(m),
            ) => match services.iter().position(|s| s == service) {
                None => fail(
                    v,
                    format!("unknown service `{service}`; the services are {}", list(services)),
                ),
                Some(s) => {
                    let effect = effects.len();
                    let loc = v.loc(&span);
                    let what = format!("intervention `{name}`: the multiplier on `{service}`");
                    let label = format!("intervention.{name}.multiplier.{service}");
                    let targets = vec![Target::Effect { intervention, effect }];
                    let Some(m) = effect_number(v, m, loc, &what, label, targets) else {
                        continue;
                    };
                    if effects
                        .iter()
                        .any(|x| matches!(x, Effect::Service { service: ss, .. } if *ss == s))
                    {
                        fail(v, format!("service `{service}` has two effects; give one"));
                    }
                    effects.push(Effect::Service {
                        service: s,
                        multiplier: m,
                    });
                }
            },
            _ => fail(
                v,
                "an effect is either `from`, `to` and `relative_risk`, or `service` and `multiplier`".into(),
            ),
        }
    }
    let funder = funder_index(&raw.funder);
    Some(Intervention {
        name: name.clone(),
        description: raw.description.clone().unwrap_or_default(),
        funder,
        tier: raw.tier,
        evidence: raw.evidence.clone().unwrap_or_default(),
        rating,
        evidence_ages,
        domains,
        optimism_bias,
        workforce,
        stated_effects,
        maturity_factor: 1.0,
        target_bands,
        target_levels,
        reach,
        start_year,
        ramp_years,
        end_year,
        fidelity,
        cost_per_participant,
        fixed_cost,
        lag_years,
        effects,
    })
}

/// `[maturity]`: the assessments (checked against the bundled matrix) and
/// the optional fidelity link.
fn maturity_from(v: &mut Validator, raw: &Spanned<RawMaturity>) -> Option<MaturityLink> {
    let matrix = crate::maturity::Matrix::default();
    let r = raw.get_ref();
    let span = raw.span();
    if r.assessments.is_empty() {
        v.err(
            &span,
            "[maturity] assessments is empty; list the assessment files, oldest first",
        );
        return None;
    }
    let mut assessments = Vec::new();
    for file in &r.assessments {
        let path = v.dir.join(file);
        match crate::maturity::Assessment::load(&path, &matrix) {
            Ok(a) => {
                if let Ok(bytes) = std::fs::read(&path) {
                    v.sources.push(SourceFile {
                        sha256: super::sha256_hex(&bytes),
                        path: path.clone(),
                    });
                }
                assessments.push((path, a));
            }
            Err(e) => v.errors.extend(e),
        }
    }
    let fidelity = match &r.fidelity_by_level {
        None => {
            if r.fidelity_from.is_some() {
                v.err(
                    &span,
                    "[maturity] fidelity_from needs fidelity_by_level (the factor at levels 0 to 4)",
                );
            }
            None
        }
        Some(by_level) => {
            if by_level.len() != 5 || by_level.iter().any(|f| !(0.0..=1.0).contains(f)) {
                v.err(
                    &span,
                    "[maturity] fidelity_by_level needs five factors from 0 to 1, for levels 0 (not yet basic) to 4 (mature)",
                );
                return None;
            }
            let units = r
                .fidelity_from
                .clone()
                .unwrap_or_else(|| vec!["7.2".into(), "3".into()]);
            if units.is_empty() {
                v.err(
                    &span,
                    "[maturity] fidelity_from is empty; name the units whose level sets the factor, e.g. [\"7.2\", \"3\"]",
                );
                return None;
            }
            for u in &units {
                if matrix.unit(u).is_none() {
                    v.err(
                        &span,
                        format!("[maturity] fidelity_from names `{u}`, not a unit of the matrix"),
                    );
                    return None;
                }
            }
            let (_, current) = assessments.last()?;
            let levels: Vec<(String, u8)> = units.iter().map(|u| (u.clone(), current.level(&matrix, u))).collect();
            let lowest = levels.iter().map(|(_, l)| *l).min().unwrap_or(0);
            Some((by_level[usize::from(lowest)], levels))
        }
    };
    Some(MaturityLink { assessments, fidelity })
}

fn monte_carlo_from(v: &mut Validator, raw: Option<&RawMonteCarlo>) -> MonteCarloDefaults {
    let mut mc = MonteCarloDefaults::default();
    let Some(raw) = raw else {
        return mc;
    };
    if let Some(d) = &raw.draws {
        match u32::try_from(*d.get_ref()) {
            Ok(n) if n <= 10_000_000 => mc.draws = n,
            _ => v.err(
                &d.span(),
                format!(
                    "draws is {}; give a whole number from 0 (deterministic) to 10000000",
                    d.get_ref()
                ),
            ),
        }
    }
    if let Some(s) = &raw.seed {
        match u64::try_from(*s.get_ref()) {
            Ok(seed) => mc.seed = seed,
            Err(_) => v.err(&s.span(), format!("seed is {}; give a whole number ≥ 0", s.get_ref())),
        }
    }
    if let Some(p) = &raw.percentiles {
        let list = p.get_ref();
        if list.is_empty()
            || list.iter().any(|x| !(x.is_finite() && *x > 0.0 && *x < 100.0))
            || list.windows(2).any(|w| w[0] >= w[1])
        {
            v.err(
                &p.span(),
                "percentiles must be ascending numbers between 0 and 100, e.g. [5, 25, 50, 75, 95]",
            );
        } else {
            mc.percentiles = list.clone();
        }
    }
    mc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let l = Lines::new("a\nbc\n\nd");
        assert_eq!(l.line_of(0), 1);
        assert_eq!(l.line_of(2), 2);
        assert_eq!(l.line_of(5), 3);
        assert_eq!(l.line_of(6), 4);
    }

    #[test]
    fn percentages_are_recognised() {
        assert!(probability_problem(20.0, "p").unwrap().contains("0.2 for 20%"));
        assert!(probability_problem(1.5, "p").unwrap().contains("if it is a percentage"));
        assert!(probability_problem(0.2, "p").is_none());
        assert!(probability_problem(-0.1, "p").is_some());
        assert!(probability_problem(f64::NAN, "p").is_some());
    }
}
