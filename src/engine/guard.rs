//! The guards on the people a step leaves: refused when not a finite
//! number or negative beyond rounding (calibration can take a cell below
//! zero), with the band, level and year named.

use super::EngineError;
use crate::model::Model;

/// Refuses a stock that is not a finite number or is negative beyond
/// rounding (compared with `before`, the same cells a step earlier), and
/// clears rounding-sized negatives. Checked in bulk; the cell-by-cell pass
/// runs only when something is wrong.
#[inline(always)]
pub(super) fn guard<const W: usize>(
    model: &Model,
    year: i32,
    stocks: &mut [[f64; W]],
    before: &[[f64; W]],
) -> Result<(), EngineError> {
    // Each cell is tested on its own (a NaN fails both comparisons, an
    // infinity the second), the results and-ed together: no chain of
    // dependent operations.
    let mut fine = [true; W];
    for v in stocks.iter() {
        for lane in 0..W {
            fine[lane] &= (v[lane] >= 0.0) & (v[lane] <= f64::MAX);
        }
    }
    if fine.iter().all(|&f| f) {
        return Ok(());
    }
    guard_cells(model, year, stocks, before)
}

/// [`guard`]'s cell-by-cell pass, when something is wrong.
#[cold]
#[inline(never)]
pub(super) fn guard_cells<const W: usize>(
    model: &Model,
    year: i32,
    stocks: &mut [[f64; W]],
    before: &[[f64; W]],
) -> Result<(), EngineError> {
    let nl = model.levels.len();
    for (c, v) in stocks.iter_mut().enumerate() {
        for lane in 0..W {
            let value = v[lane];
            if value >= 0.0 && value.is_finite() {
                continue;
            }
            let (b, l) = (c / nl, c % nl);
            if !value.is_finite() {
                return Err(EngineError::NotFinite {
                    band: model.bands[b].name.clone(),
                    level: model.levels[l].clone(),
                    year,
                    value,
                    cause: "check the populations, entries and projection for huge values".into(),
                });
            }
            if value < -1e-9 * (1.0 + before[c][lane].abs()) {
                return Err(EngineError::NegativeStock {
                    band: model.bands[b].name.clone(),
                    level: model.levels[l].clone(),
                    year,
                    value,
                    cause: "the population projection removes more people than the band holds; check projection_csv"
                        .into(),
                });
            }
            v[lane] = 0.0;
        }
    }
    Ok(())
}
