//! An intervention's participants and cost in a year, from person-years:
//! the same arithmetic for the year's figures and, when each time point is
//! discounted at its own time, for its figures discounted within it.

use super::Run;
use crate::model::{Effect, Profiles};

/// What the year's events (fixed costs, capacity bought) and its start
/// (costs at an intervention's start) weigh against its person-years: 1 and
/// 1 for the year's own figures; for its figures discounted within it, the
/// year's end factor from its start, and 1.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timing<const W: usize> {
    pub end: [f64; W],
}

impl<const W: usize> Timing<W> {
    pub const PLAIN: Timing<W> = Timing { end: [1.0; W] };
}

/// Intervention `i`'s participant-years and cost in year `k` (`year`), from
/// each cell's `person_years`, its share `delivered` and the people at the
/// year's start `start` (for a cost at its start). Operation for operation
/// as before costs at the start existed when it has none.
#[allow(clippy::too_many_arguments)]
pub(super) fn intervention_year<const W: usize>(
    run: &Run<'_, W>,
    i: usize,
    (k, year): (usize, i32),
    delivered: [f64; W],
    person_years: &[[f64; W]],
    start: &[[f64; W]],
    timing: Timing<W>,
) -> ([f64; W], [f64; W]) {
    let Run { model, layout, nl, .. } = *run;
    let iv = &model.interventions[i];
    let scale = iv.scale_in(year);
    let running = scale > 0.0;
    let at = |profile: &Option<Vec<f64>>| Profiles::at(profile.as_ref(), k);
    let cost = Profiles::scaled(
        run.lanes(layout.cost_per_participant(i)),
        at(&iv.profiles.cost_per_participant),
    );
    let fixed = Profiles::scaled(run.lanes(layout.fixed_cost(i)), at(&iv.profiles.fixed_cost));
    let mut participants = [0.0; W];
    for &b in &iv.target_bands {
        for &l in &iv.target_levels {
            let py = person_years[b * nl + l];
            for lane in 0..W {
                participants[lane] += delivered[lane] * py[lane];
            }
        }
    }
    let mut spent: [f64; W] = std::array::from_fn(|lane| {
        participants[lane] * cost[lane] + if running { fixed[lane] * timing.end[lane] } else { 0.0 }
    });
    // Capacity bought, at its cost per unit a year.
    for (n, effect) in iv.effects.iter().enumerate() {
        if let Effect::Capacity { cost_per_unit, .. } | Effect::Places { cost_per_unit, .. } = *effect {
            let add = run.lanes(layout.effect(i, n));
            for lane in 0..W {
                spent[lane] += add[lane] * scale * cost_per_unit * timing.end[lane];
            }
        }
    }
    // A cost per person reached when it starts, at that moment.
    // (The model's value gates it: a draw of an uncertain one is never 0
    // where the value is not.)
    if iv.cost_at_start != 0.0 && iv.starts_in(year, model.start_year) {
        let at_start = run.lanes(layout.cost_at_start(i));
        for &b in &iv.target_bands {
            for &l in &iv.target_levels {
                let people = start[b * nl + l];
                for lane in 0..W {
                    spent[lane] += delivered[lane] * people[lane] * at_start[lane];
                }
            }
        }
    }
    (participants, spent)
}

/// Each service's activity for the people in each level when the model
/// starts (`at_start`), added to `activity` in the first year (`k = 0`).
pub(super) fn add_at_start<const W: usize>(run: &Run<'_, W>, k: usize, start: &[[f64; W]], activity: &mut [[f64; W]]) {
    if k != 0 {
        return;
    }
    let nl = run.nl;
    for (service, total) in run.model.services.iter().zip(activity.iter_mut()) {
        for (&units, l) in service.at_start.iter().zip(0..nl) {
            if units == 0.0 {
                continue;
            }
            for band in start.chunks_exact(nl) {
                for lane in 0..W {
                    total[lane] += band[l][lane] * units;
                }
            }
        }
    }
}
