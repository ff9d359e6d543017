//! Net migration to or from a population projection (or as recorded),
//! step by step: the kernel's calibration.

use super::super::step::add_lanes;
use super::{LaneCalibration, Run};

/// Net migration to or from the projection (or as recorded) at the end of
/// step `step_index` (`time_end`, in years), spread over each band's levels
/// in `next` and added to the year's `migration`; `people_start` holds the
/// year's people at its start. Migration to a projection is recorded in
/// `migration_by_step`, for the scenarios to replay.
pub(super) fn migrate<const W: usize>(
    run: &Run<'_, W>,
    time_end: f64,
    step_index: usize,
    next: &mut [[f64; W]],
    people_start: &[[f64; W]],
    migration: &mut [[f64; W]],
    migration_by_step: &mut Vec<[f64; W]>,
) {
    let Run {
        model,
        calibration,
        nl,
        nb,
        ..
    } = *run;
    let zero = [0.0; W];
    for b in 0..nb {
        let net: [f64; W] = match calibration {
            LaneCalibration::None => continue,
            LaneCalibration::ToProjection => match &model.projection {
                Some(p) => {
                    let target = p.band_total(b, time_end);
                    std::array::from_fn(|lane| target - next[b * nl..(b + 1) * nl].iter().map(|v| v[lane]).sum::<f64>())
                }
                None => continue,
            },
            LaneCalibration::Replay(recorded) => recorded.get(step_index * nb + b).copied().unwrap_or(zero),
        };
        if matches!(calibration, LaneCalibration::ToProjection) {
            migration_by_step.push(net);
        }
        if net == zero {
            continue;
        }
        // Spread over levels in proportion to the band's people (or by
        // its starting mix if it is empty); a lane with no net
        // migration is left as it is. All lanes at once.
        let band = &mut next[b * nl..(b + 1) * nl];
        let start = &people_start[b * nl..(b + 1) * nl];
        let mut total = [-0.0; W];
        for people in band.iter() {
            add_lanes(&mut total, *people);
        }
        if (0..W).all(|lane| total[lane] > 0.0 && net[lane] != 0.0) {
            // The usual case, every lane alike: in proportion to the
            // band's people (the same operations as below, with no
            // branch, so that the lanes go together).
            for (l, people) in band.iter_mut().enumerate() {
                let moved = &mut migration[b * nl + l];
                let (mut now, mut so_far) = (*people, *moved);
                for lane in 0..W {
                    let add = net[lane] * (now[lane] / total[lane]);
                    now[lane] += add;
                    so_far[lane] += add;
                }
                *people = now;
                *moved = so_far;
            }
            continue;
        }
        // (The starting mix is needed only here, for an empty band.)
        let mut start_total = [-0.0; W];
        for first in start {
            add_lanes(&mut start_total, *first);
        }
        let even = 1.0 / nl as f64;
        for (l, (people, first)) in band.iter_mut().zip(start).enumerate() {
            let moved = &mut migration[b * nl + l];
            for lane in 0..W {
                let weight = if total[lane] > 0.0 {
                    people[lane] / total[lane]
                } else if start_total[lane] > 0.0 {
                    first[lane] / start_total[lane]
                } else {
                    even
                };
                let add = net[lane] * weight;
                if net[lane] != 0.0 {
                    people[lane] += add;
                    moved[lane] += add;
                }
            }
        }
    }
}
