//! `projection_csv`: band totals by year that the baseline is calibrated to.

use super::cells::{cell_number, lookup, row_location};
use super::names::Names;
use crate::model::Projection;
use crate::scenario::checks::{Validator, non_negative_problem, projection_points};
use std::collections::BTreeMap;
use toml::Spanned;

pub(super) fn projection_from(v: &mut Validator, csv: &Spanned<String>, names: &Names) -> Option<Projection> {
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
