//! `projection_csv`: band totals by year that the baseline is calibrated to.

use super::cells::{cell_number, lookup, row_location};
use super::names::Names;
use crate::error::{InputError, Location};
use crate::model::{Model, Projection};
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

/// The rule that makes the start and the projection agree (README,
/// "Population projection"): where a band's people at the start differ
/// from the projection at the start year by a factor between ½ and 2 (a
/// start and a projection of different dates or releases), the band's whole
/// projection is scaled by (people at the start ÷ projected people at the
/// start), so it starts from the model's people and keeps the projection's
/// growth from there, and the do-nothing run has no jump in its first
/// step. A start within one part in a billion of the projection is
/// rounding and left as it is. A larger gap (or a band empty at the start
/// or in the projection) is not a difference of date but of meaning (other
/// areas, other ages): the projection is left as it is and the warning
/// says so. Returns the bands that differ: (name, people, projected, scaled).
pub(crate) fn align_to_start(model: &mut Model) -> Vec<(String, f64, f64, bool)> {
    let Some(projection) = &mut model.projection else {
        return Vec::new();
    };
    let nl = model.levels.len();
    let start = f64::from(model.start_year);
    let mut differ = Vec::new();
    for (b, band) in model.bands.iter().enumerate() {
        let people: f64 = model.population[b * nl..(b + 1) * nl].iter().sum();
        let projected = projection.band_total(b, start);
        let factor = people / projected;
        if people == projected || (factor - 1.0).abs() < 1e-9 {
            continue;
        }
        let scaled = (0.5..=2.0).contains(&factor);
        if scaled {
            for (_, totals) in &mut projection.points {
                totals[b] *= factor;
            }
        }
        differ.push((band.name.clone(), people, projected, scaled));
    }
    differ
}

/// The warning for bands that differ (see [`align_to_start`]): those
/// scaled by more than 0.5% (smaller ones are rounding) and those left as
/// they are.
pub(crate) fn alignment_warning(
    csv: &std::path::Path,
    area: &str,
    differ: &[(String, f64, f64, bool)],
) -> Vec<InputError> {
    let list = |scaled: bool| -> Vec<String> {
        differ
            .iter()
            .filter(|(_, people, projected, s)| *s == scaled && (!scaled || (people / projected - 1.0).abs() > 0.005))
            .map(|(band, people, projected, _)| {
                let change = if scaled {
                    format!(" ({:+.1}%)", (people / projected - 1.0) * 100.0)
                } else {
                    String::new()
                };
                format!(
                    "`{band}` {} vs {}{change}",
                    crate::format::people(*people),
                    crate::format::people(*projected)
                )
            })
            .collect()
    };
    let mut out = Vec::new();
    let (scaled, kept) = (list(true), list(false));
    if !scaled.is_empty() {
        out.push(InputError::new(
            Location::File(csv.to_path_buf()),
            format!(
                "{area}the starting population differs from the projection's start year in band(s) {}; each band's projection is scaled to start from the starting population and keeps its growth from there",
                scaled.join(", ")
            ),
        ));
    }
    if !kept.is_empty() {
        out.push(InputError::new(
            Location::File(csv.to_path_buf()),
            format!(
                "{area}the starting population and the projection's start year are far apart in band(s) {} (more than a factor of 2); the projection is used as it is, so the first step adds or removes the difference as migration: check that both are for the same area and ages",
                kept.join(", ")
            ),
        ));
    }
    out
}
