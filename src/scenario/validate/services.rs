//! `[[services]]`: each service's unit cost, funder, use rates by band
//! and level, and capacity (`capacity`, `capacity_csv` or `capacity_budget`).

use super::capacity::{CapacityContext, capacity_from, check_diversion_cycles};
use super::cells::{cell_value, cell_year, lookup, row_location};
use super::names::{Names, at_year, check_names};
use super::values::{SeriesBuilder, by_year_points};
use crate::model::{Series, Service, Target};
use crate::scenario::checks::Validator;
use crate::scenario::file::RawService;
use crate::uncertainty::Support;
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
        services.push(Service {
            name: raw.name.clone(),
            tier: raw.tier,
            funder: funder_index(funders, &raw.funder),
            unit_cost: unit_cost.unwrap_or(0.0),
            use_rate,
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

/// A service's use rates, laid out by cell, from `use` or `use_csv`.
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
