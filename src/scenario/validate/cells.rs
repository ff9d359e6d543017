//! A CSV table's cells read as what they stand for: a band or level name,
//! a number, a year, or a number made uncertain by the row's `rel_sd`.

use crate::error::Location;
use crate::model::Target;
use crate::scenario::checks::{Validator, plain_problem};
use crate::scenario::file::RawNumber;
use crate::scenario::tables::{Table, TableRow};
use crate::uncertainty::Support;

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

pub(super) fn row_location(table: &Table, row: &TableRow) -> Location {
    Location::Row(table.path.clone(), row.line, None)
}
