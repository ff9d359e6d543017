//! A CSV table's cells read as what they stand for: a band or level name,
//! a number, a year, or a number made uncertain by the row's `rel_sd`.

use super::names::{Names, at_year};
use super::values::{SeriesBuilder, by_year_points};
use crate::error::Location;
use crate::model::Target;
use crate::scenario::checks::{Validator, plain_problem};
use crate::scenario::file::{ByYear, RawNumber};
use crate::scenario::tables::{Table, TableRow};
use crate::uncertainty::Support;
use std::collections::BTreeMap;
use toml::Spanned;

/// The cell of `column` resolved by `find` (a band or level name), or `None`
/// with the problem recorded against the row and column.
pub(super) fn lookup(
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

/// A row's band, its level's cells (every tunnel of a level with tunnels)
/// and its `year` (`None` without the column), or `None` with each problem
/// recorded against the row.
pub(super) fn band_levels_year(
    v: &mut Validator,
    names: &Names,
    table: &Table,
    row: &TableRow,
) -> Option<(usize, Vec<usize>, Option<i32>)> {
    let b = lookup(v, table, row, "band", |n| names.band(n));
    let ls = (names.level_all(table.text(row, "level")))
        .map_err(|e| v.errors.at(table.location(row, "level"), e))
        .ok();
    let year = cell_year(v, table, row);
    match (b, ls, year) {
        (Some(b), Some(ls), Ok(year)) => Some((b, ls, year)),
        _ => None,
    }
}

/// The number in `column`, or `None` with the problem recorded.
pub(super) fn cell_number(v: &mut Validator, table: &Table, row: &TableRow, column: &str) -> Option<f64> {
    table.number(row, column).map_err(|e| v.errors.push(e)).ok()
}

/// The optional `year` column: `Ok(None)` when the table has none, `Err(())`
/// with the problem recorded when it is not a year.
pub(super) fn cell_year(v: &mut Validator, table: &Table, row: &TableRow) -> Result<Option<i32>, ()> {
    if !table.has_column("year") {
        return Ok(None);
    }
    table.year(row, "year").map(Some).map_err(|e| v.errors.push(e))
}

/// The number in `column`, made uncertain by the row's `rel_sd` (if the
/// table has that column and the cell is not empty): a beta distribution for
/// probabilities and shares, gamma otherwise, with the cell's value as mean.
#[allow(clippy::too_many_arguments)]
pub(super) fn cell_value(
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
    let kind = match support {
        Support::NonNegative => "gamma",
        // A quality weight outside (0, 1): a normal, kept in [−1, 1] unless
        // the file allows any.
        Support::Utility | Support::Finite if !(0.0..1.0).contains(&x) => "normal",
        _ => "beta",
    };
    let mut table_of = vec![
        ("dist".to_string(), toml::Value::String(kind.into())),
        ("mean".to_string(), toml::Value::Float(x)),
        ("sd".to_string(), toml::Value::Float((x * rel_sd).abs())),
    ];
    if kind == "normal" && support == Support::Utility {
        table_of.push(("min".to_string(), toml::Value::Float(-1.0)));
        table_of.push(("max".to_string(), toml::Value::Float(1.0)));
    }
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

pub(super) fn row_location(table: &Table, row: &TableRow) -> Location {
    Location::Row(table.path.clone(), row.line, None)
}

/// How a number given per band and level (a service's use rate, a quality
/// weight) is read, named and checked, by level (`{ LEVEL = value }`, the
/// value in every band) or from a table (`band,level,COLUMN`).
pub(super) struct PerCell<'a> {
    /// The table's value column (`use`, `utility`).
    pub column: &'a str,
    pub support: Support,
    /// Its labels' stem (`service.NAME.use`, `outcomes.utility`): a level's
    /// value is `STEM.LEVEL`, a table's cell `STEM.LEVEL.BAND` (then `@YEAR`).
    pub stem: String,
    /// What its problems are about (`service \`NAME\``, `outcomes: utility`).
    pub context: String,
    /// One value, for a value given twice (`a use rate`).
    pub noun: &'a str,
    /// A table's cell (`the use rate`).
    pub cell: &'a str,
    /// A level's value (`the use rate of \`NAME\` for \`LEVEL\``).
    pub of_level: &'a dyn Fn(&str) -> String,
    /// A table's row (`the use of \`NAME\` by band \`B\`, level \`L\``), from band and level.
    pub of_row: &'a dyn Fn(&str, &str) -> String,
    /// The number's target in band, level and year point.
    pub target: &'a dyn Fn(usize, usize, i32) -> Target,
}

/// The values of `{ LEVEL = value }` (each in every band), into `builder`.
pub(super) fn values_by_level(
    v: &mut Validator,
    names: &Names,
    values: &BTreeMap<String, Spanned<ByYear>>,
    per: &PerCell,
    builder: &mut SeriesBuilder<(usize, usize)>,
) {
    for (level, value) in values {
        // A level with tunnels: the value of each.
        let ls = match names.level_all(level) {
            Ok(ls) => ls,
            Err(e) => {
                v.err(&value.span(), format!("{}: {e}", per.context));
                continue;
            }
        };
        let loc = v.loc(&value.span());
        for (year, number) in by_year_points(v, &value.span(), value.get_ref()) {
            let point = year.unwrap_or(i32::MIN);
            let targets = (0..names.bands.len())
                .flat_map(|band| ls.iter().map(move |&l| (per.target)(band, l, point)))
                .collect();
            let label = format!("{}.{level}{}", per.stem, at_year(year));
            let what = (per.of_level)(level);
            let Some(x) = v.resolve(number, loc.clone(), per.support, &what, label, targets) else {
                continue;
            };
            for b in 0..names.bands.len() {
                for &l in &ls {
                    builder.add(&mut v.errors, (b, l), year, x, loc.clone(), per.noun);
                }
            }
        }
    }
}

/// The values of a table `band,level,COLUMN` (optional `year` and
/// `rel_sd`), into `builder`.
pub(super) fn values_by_row(
    v: &mut Validator,
    names: &Names,
    csv: &Spanned<String>,
    per: &PerCell,
    builder: &mut SeriesBuilder<(usize, usize)>,
) {
    let Some(table) = v.table(csv, &["band", "level", per.column], &["year", "rel_sd"]) else {
        return;
    };
    for row in &table.rows {
        // A level with tunnels: the value of each.
        let Some((b, ls, year)) = band_levels_year(v, names, &table, row) else {
            continue;
        };
        let point = year.unwrap_or(i32::MIN);
        let targets = ls.iter().map(|&l| (per.target)(b, l, point)).collect();
        let level = table.text(row, "level");
        let label = format!("{}.{}.{}{}", per.stem, level, names.bands[b], at_year(year));
        let Some(x) = cell_value(v, &table, row, per.column, per.support, per.cell, label, targets) else {
            continue;
        };
        for &l in &ls {
            let what = (per.of_row)(&names.bands[b], &names.display(l));
            builder.add(&mut v.errors, (b, l), year, x, row_location(&table, row), &what);
        }
    }
}
