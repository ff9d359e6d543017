//! `[[services]]`: each service's use rates by band and level.

use super::cells::{cell_value, cell_year, lookup, row_location};
use super::names::{Names, at_year};
use super::values::{SeriesBuilder, by_year_points};
use crate::model::{Series, Target};
use crate::scenario::checks::Validator;
use crate::scenario::file::RawService;
use crate::uncertainty::Support;
use toml::Spanned;

pub(super) fn service_use(
    v: &mut Validator,
    names: &Names,
    s: &Spanned<RawService>,
    service: usize,
) -> Vec<Series<f64>> {
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
