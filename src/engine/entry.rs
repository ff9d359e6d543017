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
    let (nl, ns) = (model.levels.len(), model.services.len());
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
    for (s, service) in model.services.iter().enumerate() {
        for (into, &units) in entered.iter().zip(&service.on_entry) {
            let activity = &mut out.activity[k * ns + s];
            for lane in 0..W {
                activity[lane] += into[lane] * units;
            }
        }
    }
}
