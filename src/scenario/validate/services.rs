//! `[[services]]`: each service's unit cost, funder, use rates by band
//! and level, and capacity (`capacity`, `capacity_csv` or `capacity_budget`).

use super::capacity::{CapacityContext, capacity_from, check_diversion_cycles};
use super::cells::{PerCell, values_by_level, values_by_row};
use super::names::{Names, check_names};
use super::values::{SeriesBuilder, by_year_points};
use crate::model::{Series, Service, Target};
use crate::scenario::checks::{Validator, non_negative_problem};
use crate::scenario::file::{ByYear, RawNumber, RawService};
use crate::uncertainty::Support;
use std::collections::BTreeMap;
use toml::Spanned;

/// Every service of the file; `funders` gains each new funder named.
pub(super) fn services_from(
    v: &mut Validator,
    raw_services: &[Spanned<RawService>],
    names: &Names,
    funders: &mut Vec<String>,
) -> Vec<Service> {
    check_names(
        v,
        "service",
        raw_services.iter().map(|s| (s.get_ref().name.as_str(), s.span())),
    );
    let service_names: Vec<String> = raw_services.iter().map(|s| s.get_ref().name.clone()).collect();
    let mut services = Vec::new();
    for s in raw_services {
        let raw = s.get_ref();
        let service = services.len();
        let loc = v.loc(&raw.unit_cost.span());
        let what = format!("the unit cost of `{}`", raw.name);
        let label = format!("service.{}.unit_cost", raw.name);
        let targets = vec![Target::UnitCost { service }];
        let unit_cost = v.resolve(
            raw.unit_cost.get_ref(),
            loc,
            Support::NonNegative,
            &what,
            label,
            targets,
        );
        let use_rate = service_use(v, names, s, service);
        let context = CapacityContext {
            service,
            services: &service_names,
            names,
            unit_cost,
        };
        let capacity = capacity_from(v, raw, &context);
        let on_entry = units_by_level(v, names, raw, &raw.on_entry, ONE_OFF[0]);
        let at_start = units_by_level(v, names, raw, &raw.at_start, ONE_OFF[1])
            .iter()
            .map(|units| units.at(i32::MIN))
            .collect();
        for ((key, before, after), map) in ONE_OFF.iter().zip([&raw.on_entry, &raw.at_start]) {
            if let (Some(map), Some(_)) = (map, &capacity) {
                v.err(
                    &map.span(),
                    format!(
                        "service `{}` is counted {before} a level{after} (`{key}`) and has a capacity; this build limits only activity by person-years: give the one-off activity its own service without a capacity",
                        raw.name
                    ),
                );
            }
        }
        services.push(Service {
            name: raw.name.clone(),
            tier: raw.tier,
            funder: funder_index(funders, &raw.funder),
            unit_cost: unit_cost.unwrap_or(0.0),
            use_rate,
            on_entry,
            at_start,
            capacity,
        });
    }
    let divert_to: Vec<Option<usize>> = services.iter().map(Service::divert_to).collect();
    check_diversion_cycles(v, raw_services, &divert_to);
    services
}

/// The index of the funder `name`, added to `funders` if new (funders are
/// numbered in the order the file first names them).
pub(super) fn funder_index(funders: &mut Vec<String>, name: &str) -> usize {
    match funders.iter().position(|f| f == name) {
        Some(i) => i,
        None => {
            funders.push(name.to_string());
            funders.len() - 1
        }
    }
}

/// The one-off activity keys of a service and what each counts.
const ONE_OFF: [(&str, &str, &str); 2] = [
    ("on_entry", "on entry to", ""),
    ("at_start", "for the people in", " when the model starts"),
];

/// A service's one-off activity per person by level (`on_entry`: per
/// person entering it, by calendar year if given so; `at_start`: per
/// person in it when the model starts, one number), `(key, words before
/// and after the level)` from [`ONE_OFF`]; empty without it.
fn units_by_level(
    v: &mut Validator,
    names: &Names,
    raw: &RawService,
    map: &Option<Spanned<BTreeMap<String, Spanned<ByYear>>>>,
    (key, before, after): (&str, &str, &str),
) -> Vec<Series<f64>> {
    let Some(map) = map else {
        return Vec::new();
    };
    let mut per_level = vec![Series::constant(0.0); names.levels.len()];
    for (level, value) in map.get_ref() {
        let span = value.span();
        let l = match names.level(level) {
            Ok(l) => l,
            Err(m) => {
                v.err(&span, format!("service `{}`, {key}: {m}", raw.name));
                continue;
            }
        };
        let what = format!("service `{}`: the activity {before} `{level}`{after} ({key})", raw.name);
        if key == "at_start" && matches!(value.get_ref(), ByYear::Years(_)) {
            v.err(
                &span,
                format!("{what} is given by year; it counts once, when the model starts: give one number"),
            );
            continue;
        }
        let mut points = Vec::new();
        for (year, number) in by_year_points(v, &span, value.get_ref()) {
            match number {
                RawNumber::Value(x) => match non_negative_problem(*x, &what) {
                    Some(problem) => v.err(&span, problem),
                    None => points.push((year.unwrap_or(i32::MIN), *x)),
                },
                RawNumber::Distribution(_) => v.err(
                    &span,
                    format!(
                        "{what} is a distribution, which this build does not take here; give one number, units of activity per person (the unit cost may be uncertain)"
                    ),
                ),
            }
        }
        if !points.is_empty() {
            per_level[l] = Series::by_year(points);
        }
    }
    per_level
}

/// A service's use rates, laid out by cell, from `use` or `use_csv`.
fn service_use(v: &mut Validator, names: &Names, s: &Spanned<RawService>, service: usize) -> Vec<Series<f64>> {
    let raw = s.get_ref();
    let nl = names.levels.len();
    let mut builder = SeriesBuilder::<(usize, usize)>::new();
    let name = &raw.name;
    let per = PerCell {
        column: "use",
        support: Support::NonNegative,
        stem: format!("service.{name}.use"),
        context: format!("service `{name}`"),
        noun: "a use rate",
        cell: "the use rate",
        of_level: &|level| format!("the use rate of `{name}` for `{level}`"),
        of_row: &|band, level| format!("the use of `{name}` by band `{band}`, level `{level}`"),
        target: &|band, level, point| Target::UseRate {
            service,
            band,
            level,
            point,
        },
    };
    match (&raw.use_rate, &raw.use_csv) {
        (Some(_), Some(_)) => v.err(
            &s.span(),
            format!(
                "service `{}` gives both `use` and `use_csv`; give one of them",
                raw.name
            ),
        ),
        (None, None) if raw.on_entry.is_some() || raw.at_start.is_some() => {}
        (None, None) => v.err(
            &s.span(),
            format!(
                "service `{}` has no use rates; give `use = {{ level = units per person-year, ... }}`, `use_csv`, `on_entry = {{ level = units per person entering it, ... }}` or `at_start = {{ level = units per person in it at the start, ... }}`",
                raw.name
            ),
        ),
        (Some(rates), None) => values_by_level(v, names, rates, &per, &mut builder),
        (None, Some(csv)) => values_by_row(v, names, csv, &per, &mut builder),
    }
    let mut rates = vec![Series::constant(0.0); names.bands.len() * nl];
    for ((b, l), series) in builder.build() {
        rates[b * nl + l] = series;
    }
    rates
}
