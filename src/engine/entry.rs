//! Services counted at entry to a level (`on_entry`: a procedure, a
//! placement's set-up): their activity in a year is, for each level, the
//! people who entered it that year (moves in from other levels, in every
//! band, as the year's flows count them, and people entering the model at
//! it) × the service's units per entry.

use super::LaneTrajectory;
use crate::model::Model;

/// Adds year `k`'s activity on entry to each such service's activity
/// (after the year's flows are final: the supply side's and the places'
/// moves included); `year_cells` is the year's first cell.
pub(super) fn add_activity<const W: usize>(model: &Model, k: usize, year_cells: usize, out: &mut LaneTrajectory<W>) {
    let ns = model.services.len();
    let into = entered(model, k, year_cells, out);
    add_units(model, k, &into, [1.0; W], &mut out.activity[k * ns..(k + 1) * ns]);
}

/// The people who entered each level in year `k`: moves in from the other
/// levels (every band) and entries into the model at it.
pub(super) fn entered<const W: usize>(
    model: &Model,
    k: usize,
    year_cells: usize,
    out: &LaneTrajectory<W>,
) -> Vec<[f64; W]> {
    let nl = model.levels.len();
    let mut entered = vec![[0.0; W]; nl];
    for (to, into) in entered.iter_mut().enumerate() {
        for from in (0..nl).filter(|&f| f != to) {
            let f = out.level_flows[(k * nl + from) * nl + to];
            for lane in 0..W {
                into[lane] += f[lane];
            }
        }
        // Entries arrive in the first band.
        let e = out.entries[year_cells + to];
        for lane in 0..W {
            into[lane] += e[lane];
        }
    }
    entered
}

/// Adds each service's units per person `entered` (per level) in year `k`,
/// × `weight`, to its `activity` (one per service).
pub(super) fn add_units<const W: usize>(
    model: &Model,
    k: usize,
    entered: &[[f64; W]],
    weight: [f64; W],
    activity: &mut [[f64; W]],
) {
    let year = model.start_year + k as i32;
    for (service, activity) in model.services.iter().zip(activity.iter_mut()) {
        for (into, units) in entered.iter().zip(&service.on_entry) {
            let units = units.at(year);
            for lane in 0..W {
                activity[lane] += into[lane] * units * weight[lane];
            }
        }
    }
}
