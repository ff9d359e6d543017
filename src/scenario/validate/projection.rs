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
/// from the projection at the start year, the band's whole projection is
/// scaled by (people at the start ÷ projected people at the start), so it
/// starts from the model's people and keeps the projection's growth from
/// there. The do-nothing run then follows the projection's path with no
/// jump in the first step. A band the projection has at 0 at the start, or
/// within one part in a billion of the start (rounding), is left as it is. Returns the bands changed, as (name, people, projected).
pub(crate) fn align_to_start(model: &mut Model) -> Vec<(String, f64, f64)> {
    let Some(projection) = &mut model.projection else {
        return Vec::new();
    };
    let nl = model.levels.len();
    let start = f64::from(model.start_year);
    let mut changed = Vec::new();
    for (b, band) in model.bands.iter().enumerate() {
        let people: f64 = model.population[b * nl..(b + 1) * nl].iter().sum();
        let projected = projection.band_total(b, start);
        // A start within one part in a billion of the projection is the
        // same figure up to rounding (a band's people are its levels' sum).
        if projected <= 0.0 || (people / projected - 1.0).abs() < 1e-9 {
            continue;
        }
        let factor = people / projected;
        for (_, totals) in &mut projection.points {
            totals[b] *= factor;
        }
        changed.push((band.name.clone(), people, projected));
    }
    changed
}

/// The warning for bands [`align_to_start`] changed: a difference of more
/// than 0.5% is worth a look (a start and a projection from different
/// releases or dates); smaller ones are rounding.
pub(crate) fn alignment_warning(
    csv: &std::path::Path,
    area: &str,
    changed: &[(String, f64, f64)],
) -> Option<InputError> {
    let big: Vec<String> = changed
        .iter()
        .filter(|(_, people, projected)| (people / projected - 1.0).abs() > 0.005)
        .map(|(band, people, projected)| {
            format!(
                "`{band}` {} vs {} ({:+.1}%)",
                people.round(),
                projected.round(),
                (people / projected - 1.0) * 100.0
            )
        })
        .collect();
    (!big.is_empty()).then(|| {
        InputError::new(
            Location::File(csv.to_path_buf()),
            format!(
                "{area}the starting population differs from the projection's start year in band(s) {}; each band's projection is scaled to start from the starting population and keeps its growth from there",
                big.join(", ")
            ),
        )
    })
}
