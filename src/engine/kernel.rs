//! The year loop, for `W` parameter sets (lanes) side by side: every
//! stock is a `[f64; W]`, so the inner loops run across lanes and vectorise.
//! `W = 1` is a single deterministic run; Monte Carlo batches draws. Each
//! year runs its phases in turn: the delivered share of each intervention,
//! effect factors and per-step matrices, use rates, entries, the steps (the
//! band steps themselves, unrolled for the number of levels, are in
//! `step`), then person-years, flows, activity and costs, and the totals.

// Index loops over lanes, levels and cells are the plainest form of these
// kernels, and the form the compiler vectorises.
#![allow(clippy::needless_range_loop)]

use super::compile::MatrixCache;
use super::guard::{guard, guard_cells};
use super::occupancy::PointWork;
use super::outcomes;
use super::places::PlacesWork;
use super::step::{
    BandsStep, YearBandMajor, YearFlows, activity_sums, add_lanes, bands_step_for, year_band_major_for, year_flows_for,
};
use super::supply::SupplyWork;
use super::{EngineError, LaneCalibration, LaneTrajectory, Trajectory};
use crate::model::{Effect, Model, Occupancy, Profiles, Reach};
use crate::params::Layout;
use migrate::migrate;

mod discount;
mod migrate;
mod money;

/// Simulates `model` under the interventions `plan` (indices into
/// `model.interventions`) for each lane's parameters (`params[i][lane]`: the
/// layout's number `i`, lane-last so that a year's numbers for all lanes
/// are one load), into `out`.
/// `cache` may be shared by the futures of one batch of lanes.
pub fn simulate_lanes<const W: usize>(
    model: &Model,
    layout: &Layout,
    params: &[[f64; W]],
    plan: &[usize],
    calibration: LaneCalibration<'_, W>,
    cache: &mut MatrixCache<W>,
    out: &mut LaneTrajectory<W>,
) -> Result<(), EngineError> {
    let run = Run::new(model, layout, params, plan, calibration);
    out.reset(model);
    out.clear_totals();
    // The working memory of the last run, sized afresh (taken while the
    // run writes `out`'s other fields, and put back at the end).
    let mut work = std::mem::take(&mut out.work);
    let entry_total = work.prepare(&run);
    for (k, year) in model.years().enumerate() {
        work.deliver(&run, k, year);
        work.use_rates(&run, k);
        if work.supply.on {
            let Work {
                supply, x, use_rate, ..
            } = &mut work;
            supply.start_year(model, layout, params, plan, (k, year), x, use_rate, run.dt);
        }
        if work.places.on {
            work.places.start_year(model, layout, params, plan, (k, year));
        }
        if let Some(weights) = &model.point_weights {
            work.points.start_year(weights, k, run.steps);
        }
        if work.discount.on {
            work.discount.start_year(model, work.points.year_weights(), run.steps);
            work.discount.add_point(0, &work.x);
        }
        work.band_matrices(&run, k, year, cache)?;
        work.entries(&run, k, entry_total);
        // Where this year's per-cell figures go (always the start when only
        // totals are kept: they are summed at the year end).
        let year_cells = if out.totals_only { 0 } else { k * run.cells };
        work.step_year(&run, k, year, year_cells, out)?;
        work.person_years(&run, year_cells, out);
        work.flows(&run, k, year_cells, out);
        work.activity_and_costs(&run, k, year, year_cells, out);
        if work.supply.on {
            work.supply.end_year(model, k, year_cells, out);
        }
        if work.places.on {
            work.places.end_year(model, k, year_cells, &work.use_rate, out);
        }
        if run.on_entry {
            super::entry::add_activity(model, k, year_cells, out);
        }
        if work.discount.on {
            work.discount_year(&run, (k, year), year_cells, out);
        }
        out.add_year_totals(model, year_cells);
        // Without calibration a step only multiplies and adds numbers that
        // are not negative (shares, people, entries), so no stock can go
        // below zero; a number that is not finite anywhere makes its level's
        // year-end total not finite, and then the cells are searched.
        let level_end = &out.level_end[out.level_end.len() - run.nl..];
        if !run.calibrating && !level_end.iter().all(|t| t.iter().all(|v| v.is_finite())) {
            let start = &out.people_start[year_cells..year_cells + run.cells];
            guard_cells(model, year, &mut work.x, start)?;
        }
    }
    out.work = work;
    Ok(())
}

/// What every phase of a run reads: the model, its layout, each lane's
/// numbers and the plan; the sizes they share; how the run is calibrated;
/// and the band steps unrolled for the model's number of levels.
struct Run<'a, const W: usize> {
    model: &'a Model,
    layout: &'a Layout,
    params: &'a [[f64; W]],
    plan: &'a [usize],
    calibration: LaneCalibration<'a, W>,
    /// Whether people migrate to or from a projection (or as recorded).
    calibrating: bool,
    nl: usize,
    nb: usize,
    cells: usize,
    /// A matrix row's entries: each level, then the exit.
    w: usize,
    steps: usize,
    /// A step's length in years.
    dt: f64,
    last_band_closed: bool,
    /// Whether any service is counted at entry to a level.
    on_entry: bool,
    /// Whether any service is counted for the people in a level at the start.
    at_start: bool,
    step_bands: BandsStep<W>,
    year_band_major: Option<YearBandMajor<W>>,
    year_flows: Option<YearFlows<W>>,
}

impl<'a, const W: usize> Run<'a, W> {
    fn new(
        model: &'a Model,
        layout: &'a Layout,
        params: &'a [[f64; W]],
        plan: &'a [usize],
        calibration: LaneCalibration<'a, W>,
    ) -> Self {
        let nl = model.levels.len();
        let nb = model.bands.len();
        let steps = model.steps_per_year as usize;
        let calibrating = match calibration {
            LaneCalibration::None => false,
            LaneCalibration::ToProjection => model.projection.is_some(),
            LaneCalibration::Replay(recorded) => !recorded.is_empty(),
        };
        Run {
            model,
            layout,
            params,
            plan,
            calibration,
            calibrating,
            nl,
            nb,
            cells: nb * nl,
            w: nl + 1,
            steps,
            dt: 1.0 / steps as f64,
            last_band_closed: model.bands.last().is_some_and(|b| b.upper.is_some()),
            on_entry: model.services.iter().any(|s| !s.on_entry.is_empty()),
            at_start: model.services.iter().any(|s| !s.at_start.is_empty()),
            step_bands: bands_step_for::<W>(nl),
            year_band_major: year_band_major_for::<W>(nl, model.services.iter().any(|s| s.capacity.is_some())),
            year_flows: year_flows_for::<W>(nl),
        }
    }

    /// The layout's number `index`, for every lane.
    #[inline(always)]
    fn lanes(&self, index: usize) -> [f64; W] {
        self.params[index]
    }
}

impl<const W: usize> Work<W> {
    /// Sizes every field afresh for `run`, with the lanes' people at the
    /// start in `x`, the years in which a band's figures or a use rate
    /// change, and the entry mix; returns the mix's sum, per lane.
    fn prepare(&mut self, run: &Run<'_, W>) -> [f64; W] {
        let Run {
            model,
            layout,
            params,
            nl,
            nb,
            cells,
            w,
            steps,
            dt,
            ..
        } = *run;
        let zero = [0.0; W];
        let Work {
            ageing_share,
            carries,
            x,
            next,
            carry,
            x_sum,
            inputs,
            matrices,
            built_from,
            jobs,
            pending,
            keys,
            use_rate,
            delivered,
            band_changes,
            use_changes,
            entry_shares,
            entries_per_step,
            shares_now,
            shares_before,
            shares_changed,
            supply,
            places,
            points,
            discount: _,
        } = self;
        supply.prepare(model, dt);
        places.prepare(model, dt);
        points.prepare(model);
        ageing_share.clear();
        ageing_share.extend(model.bands.iter().map(|b| b.width().map_or(0.0, |w| dt / w)));
        sized(carries, steps * nl, zero);
        sized(x, cells, zero);
        layout.population_lanes(params, x);
        sized(next, cells, zero);
        sized(carry, nl, zero);
        sized(x_sum, cells, zero);
        sized(inputs, nb * nl * w, zero);
        matrices.resize_with(nb, Vec::new);
        for m in matrices.iter_mut() {
            sized(m, nl * w, zero);
        }
        // No band has a matrix yet in this run.
        built_from.resize_with(nb, Vec::new);
        for last in built_from.iter_mut() {
            last.clear();
        }
        jobs.clear();
        pending.clear();
        keys.resize_with(nb, Vec::new);
        for key in keys.iter_mut() {
            sized(key, 2 * nl * w, zero);
        }
        sized(
            use_rate,
            (model.services.len() + outcomes::weight_rows(model)) * cells,
            zero,
        );
        // Share of each intervention's target population reached, per year so far.
        delivered.resize_with(model.interventions.len(), Vec::new);
        for d in delivered.iter_mut() {
            d.clear();
        }

        // Years in which a band's transition or exit figures, or any use rate,
        // take a new value (besides the first): only then are they re-read.
        let years = model.horizon_years as usize;
        sized(band_changes, years * nb, false);
        sized(use_changes, years, false);
        let year_of = |y: i32| {
            usize::try_from(i64::from(y) - i64::from(model.start_year))
                .ok()
                .filter(|&k| k < years)
        };
        for b in 0..nb {
            for from in 0..nl {
                let series = (0..nl)
                    .map(|to| model.transition_index(b, from, to))
                    .map(|i| model.transitions[i].points())
                    .chain(std::iter::once(model.exits[b * nl + from].points()));
                // A single point (a constant) never changes after the first year.
                for points in series.filter(|points| points.len() > 1) {
                    for k in points.iter().filter_map(|p| year_of(p.0)) {
                        band_changes[k * nb + b] = true;
                    }
                }
            }
        }
        for service in &model.services {
            for series in service.use_rate.iter().filter(|s| !s.is_constant()) {
                for k in series.points().iter().filter_map(|p| year_of(p.0)) {
                    use_changes[k] = true;
                }
            }
        }
        outcomes::mark_changes(model, &year_of, use_changes);
        // The entry mix does not change from year to year: its shares and their
        // sum (per lane) are read once.
        entry_shares.clear();
        entry_shares.extend((0..nl).map(|l| run.lanes(layout.entry_share(l))));
        let entry_total: [f64; W] = std::array::from_fn(|lane| entry_shares.iter().map(|s| s[lane]).sum());
        sized(entries_per_step, nl, zero);
        sized(shares_now, model.interventions.len(), zero);
        sized(shares_before, model.interventions.len(), zero);
        sized(shares_changed, model.interventions.len(), false);
        self.discount.prepare(run);
        entry_total
    }

    /// How much of each intervention in the plan is delivered in year `k`
    /// (`delivered`), then its effect share, lagged delivery × fidelity
    /// (`shares_now`), and whether that changed since last year.
    fn deliver(&mut self, run: &Run<'_, W>, k: usize, year: i32) {
        let Run {
            model,
            layout,
            plan,
            nl,
            ..
        } = *run;
        let zero = [0.0; W];
        let Work {
            x,
            delivered,
            shares_now,
            shares_before,
            shares_changed,
            ..
        } = self;
        for &i in plan {
            let iv = &model.interventions[i];
            let scale = iv.scale_in(year);
            let reach = run.lanes(layout.reach(i));
            let share: [f64; W] = match iv.reach {
                Reach::Share(_) => reach.map(|r| r * scale),
                Reach::Places(_) => std::array::from_fn(|lane| {
                    let target: f64 = iv
                        .target_bands
                        .iter()
                        .flat_map(|&b| iv.target_levels.iter().map(move |&l| b * nl + l))
                        .map(|c| x[c][lane])
                        .sum();
                    if target > 0.0 {
                        (reach[lane] * scale / target).min(1.0)
                    } else {
                        0.0
                    }
                }),
            };
            delivered[i].push(share);
        }
        // The effect share (lagged delivery × fidelity) of each intervention.
        std::mem::swap(shares_now, shares_before);
        for &i in plan {
            let lag = model.interventions[i].lag_years as usize;
            let fidelity = run.lanes(layout.fidelity(i));
            let workforce = model.interventions[i].delivery_factor();
            shares_now[i] = if k >= lag {
                std::array::from_fn(|lane| delivered[i][k - lag][lane] * (fidelity[lane] * workforce))
            } else {
                zero
            };
        }
        for &i in plan {
            shares_changed[i] =
                k == 0 || shares_now[i] != shares_before[i] || model.interventions[i].profiles.effects_change(k);
        }
    }

    /// Each band's per-step matrix for year `k` with the effects folded in
    /// (`matrices`). A band's matrix is rebuilt only when its annual figures
    /// or effect factors changed since last year (`key` holds both: figures,
    /// then factors).
    fn band_matrices(
        &mut self,
        run: &Run<'_, W>,
        k: usize,
        year: i32,
        cache: &mut MatrixCache<W>,
    ) -> Result<(), EngineError> {
        let Run {
            model,
            layout,
            plan,
            nl,
            nb,
            w,
            ..
        } = *run;
        let zero = [0.0; W];
        let nw = nl * w;
        let Work {
            inputs,
            matrices,
            built_from,
            jobs,
            pending,
            keys,
            band_changes,
            shares_now,
            shares_changed,
            supply,
            use_rate,
            ..
        } = self;
        let intensities = model.transition_mode == crate::model::TransitionMode::Rates;
        jobs.clear();
        pending.clear();
        for b in 0..nb {
            let touched = plan
                .iter()
                .any(|&i| shares_changed[i] && model.interventions[i].target_bands.contains(&b));
            if k > 0 && !band_changes[k * nb + b] && !touched && !supply.bands_touched.get(b).is_some_and(|&t| t) {
                continue;
            }
            let key = &mut keys[b];
            let (figures, factors) = key.split_at_mut(nl * w);
            for from in 0..nl {
                for to in 0..w {
                    figures[from * w + to] = if to == from {
                        zero
                    } else if to == nl {
                        run.lanes(layout.exit(k, b * nl + from))
                    } else {
                        run.lanes(layout.transition(k, b, from, to))
                    };
                    factors[from * w + to] = [1.0; W];
                }
            }
            for &i in plan {
                let iv = &model.interventions[i];
                if !iv.target_bands.contains(&b) {
                    continue;
                }
                let e = shares_now[i];
                if e == zero {
                    continue;
                }
                for (n, effect) in iv.effects.iter().enumerate() {
                    if let Effect::Transition { from, to, hazard, .. } = *effect
                        && iv.target_levels.contains(&from)
                    {
                        let rr = Profiles::scaled(run.lanes(layout.effect(i, n)), iv.profiles.effect(n, k));
                        let at = from * w + to.unwrap_or(nl);
                        // A hazard ratio's factor on a probability depends on it.
                        let hazard = hazard && !intensities;
                        let p = figures[at];
                        let slot = &mut factors[at];
                        for lane in 0..W {
                            let rr = crate::model::probability_factor(rr[lane], hazard, p[lane]);
                            slot[lane] *= 1.0 - e[lane] * (1.0 - rr);
                        }
                    }
                }
            }
            if supply.feedback {
                supply.fold_feedback(model, b, w, use_rate, factors);
            }
            // `rates` mode: a relative risk multiplies the intensity −ln(1 − p);
            // `annual_matrix` mode: it multiplies the probability.
            let base: &[[f64; W]] = if intensities {
                // After the first year, unless the band's figures changed, the
                // cache holds this band's intensities from this run's last build.
                let unchanged = k > 0 && !band_changes[k * nb + b];
                cache.intensities(b, figures, unchanged)
            } else {
                figures
            };
            let band_inputs = &mut inputs[b * nw..(b + 1) * nw];
            for ((input, base), factor) in band_inputs.iter_mut().zip(base).zip(factors.iter()) {
                for lane in 0..W {
                    input[lane] = base[lane] * factor[lane];
                }
            }
            if !intensities {
                if model.transitions_given_survival {
                    super::compile::moves_among_survivors(band_inputs, nl);
                }
                let m = cache.matrix(model, b, year, band_inputs)?;
                matrices[b].copy_from_slice(m);
                continue;
            }
            // Only the lanes whose inputs moved are built, packed across bands.
            let last = &mut built_from[b];
            if cache.band_lanes(model, (b, year), band_inputs, last, &mut matrices[b], jobs)? {
                pending.push(b);
            }
        }
        if !pending.is_empty() {
            cache.build_lanes(model, jobs, inputs, matrices);
            for &b in pending.iter() {
                cache.remember(b, &inputs[b * nw..(b + 1) * nw], &matrices[b]);
            }
        }
        Ok(())
    }

    /// The use rates of year `k` with effects folded in (re-read only when
    /// they or the effects change).
    fn use_rates(&mut self, run: &Run<'_, W>, k: usize) {
        let Run {
            model,
            layout,
            plan,
            nl,
            cells,
            ..
        } = *run;
        let zero = [0.0; W];
        let Work {
            use_rate,
            use_changes,
            shares_now,
            shares_changed,
            ..
        } = self;
        let use_touched = plan.iter().any(|&i| shares_changed[i]);
        if k == 0 || use_changes[k] || use_touched {
            for s in 0..model.services.len() {
                for c in 0..cells {
                    use_rate[s * cells + c] = run.lanes(layout.use_rate(k, s, c));
                }
            }
            if model.outcomes.is_some() {
                outcomes::read_weights(layout, run.params, k, &mut use_rate[model.services.len() * cells..]);
            }
        }
        for &i in plan {
            if !(k == 0 || use_changes[k] || use_touched) {
                break;
            }
            let iv = &model.interventions[i];
            let e = shares_now[i];
            if e == zero {
                continue;
            }
            for (n, effect) in iv.effects.iter().enumerate() {
                // A quality weight is the row after the services'.
                let row = match *effect {
                    Effect::Service { service, .. } => Some(service),
                    Effect::Utility { .. } => Some(model.services.len()),
                    _ => None,
                };
                if let Some(service) = row {
                    let m = Profiles::scaled(run.lanes(layout.effect(i, n)), iv.profiles.effect(n, k));
                    for &b in &iv.target_bands {
                        for &l in &iv.target_levels {
                            let u = &mut use_rate[service * cells + b * nl + l];
                            for lane in 0..W {
                                u[lane] *= 1.0 - e[lane] * (1.0 - m[lane]);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Entries per step in year `k`, by level (the mix is rescaled to sum to 1).
    fn entries(&mut self, run: &Run<'_, W>, k: usize, entry_total: [f64; W]) {
        let Run { layout, dt, .. } = *run;
        let Work {
            entry_shares,
            entries_per_step,
            ..
        } = self;
        let people_entering = run.lanes(layout.entries(k));
        for (l, per_step) in entries_per_step.iter_mut().enumerate() {
            *per_step = std::array::from_fn(|lane| {
                let total = entry_total[lane];
                if total > 0.0 {
                    people_entering[lane] * dt * entry_shares[l][lane] / total
                } else {
                    0.0
                }
            });
        }
    }

    /// The year's steps: need transitions and exits, ageing, entries and,
    /// when calibrating, net migration; from the people at the start of the
    /// year (`out.people_start`, written here) to those at its end
    /// (`out.people_end`), with the step-start sums in `x_sum`.
    fn step_year(
        &mut self,
        run: &Run<'_, W>,
        k: usize,
        year: i32,
        year_cells: usize,
        out: &mut LaneTrajectory<W>,
    ) -> Result<(), EngineError> {
        let Run {
            model,
            calibrating,
            nl,
            cells,
            steps,
            dt,
            step_bands,
            year_band_major,
            ..
        } = *run;
        let zero = [0.0; W];
        let Work {
            ageing_share,
            carries,
            x,
            next,
            carry,
            x_sum,
            matrices,
            entries_per_step,
            supply,
            places,
            points,
            discount,
            use_rate,
            ..
        } = self;
        // Without calibration each band's year depends only on its own
        // people and on what ages in from the band below, step by step: the
        // year runs band by band (each band's matrix and people stay in the
        // fastest memory for all its steps), the same operations in the same
        // order per band and step as the step-by-step loop below. (With
        // capacities but no feedback people do not depend on the services,
        // which serve each step after the year, from its recorded stocks;
        // a level with places holds people back step by step, and point
        // weights may count the inner points of a year.)
        let band_major = if calibrating || supply.feedback || places.on || points.by_step || discount.by_step {
            None
        } else {
            year_band_major
        };
        // The step-by-step loop adds into the year's step sums, entries,
        // ageing and migration; the band-by-band year writes them whole (and
        // the rest stay zero, as `reset` left them).
        if band_major.is_none() {
            if out.totals_only {
                for v in [&mut out.entries, &mut out.ageing_out, &mut out.migration] {
                    v.fill(zero);
                }
            }
            x_sum.fill(zero);
        }
        out.people_start[year_cells..year_cells + cells].copy_from_slice(x);
        let span = year_cells..year_cells + cells;
        let migration = &mut out.migration[span.clone()];
        let entries = &mut out.entries[span.clone()];
        let ageing_out = &mut out.ageing_out[span];

        if let Some(run_year) = band_major {
            run_year(
                matrices,
                x,
                x_sum,
                ageing_out,
                ageing_share,
                entries_per_step,
                entries,
                carries,
                supply.year_stocks(),
            );
            if supply.on {
                supply.serve_year(model, dt);
            }
        }
        for step in (0..steps).filter(|_| band_major.is_none()) {
            // Need transitions and exits, then ageing, band by band from the
            // youngest: a share of each band's people after the step moves up
            // (carried into the next band), keeping its level. Exits are
            // counted at the year end from the people each level held at the
            // start of each step.
            if points.by_step && step > 0 {
                points.add_point(step, x);
            }
            if discount.by_step && step > 0 {
                discount.add_point(step, x);
            }
            carry.fill(zero);
            step_bands(matrices, x, next, x_sum, carry, ageing_out, ageing_share);
            if supply.feedback {
                supply.feed_back(model, matrices, x, next);
            }
            // Entries into the first band.
            for l in 0..nl {
                for lane in 0..W {
                    next[l][lane] += entries_per_step[l][lane];
                    entries[l][lane] += entries_per_step[l][lane];
                }
            }
            // Moves into a full level held, and admissions to it.
            if places.on {
                places.hold(model, matrices, ageing_share, (x, next), ageing_out, dt);
                if supply.on {
                    places.waiting_demand(model, use_rate, dt, &mut supply.waiting_demand);
                }
            }
            // Net migration to or from the projection (nothing to do
            // without a projection or a recorded migration). Calibration can
            // take a cell below zero: refuse that, and clear rounding-sized
            // negatives. (Without calibration nothing can go negative;
            // non-finite numbers are caught at the year end.)
            if calibrating {
                let time_end = f64::from(year) + (step + 1) as f64 * dt;
                let step_index = k * steps + step;
                let start = &out.people_start[year_cells..year_cells + cells];
                migrate(
                    run,
                    time_end,
                    step_index,
                    next,
                    start,
                    migration,
                    &mut out.migration_by_step,
                );
                guard(model, year, next, x)?;
            }
            // The services serve the step's demand, from its person-years.
            if supply.on {
                supply.serve(model, x, next, dt);
            }
            std::mem::swap(x, next);
        }
        // (Without calibration the year-end totals serve, below.)
        if calibrating {
            guard(model, year, x, &out.people_start[year_cells..year_cells + cells])?;
        }
        out.people_end[year_cells..year_cells + cells].copy_from_slice(x);
        Ok(())
    }

    /// Person-years of the year from the step-start sums, and ageing in and
    /// out of the last band.
    fn person_years(&self, run: &Run<'_, W>, year_cells: usize, out: &mut LaneTrajectory<W>) {
        let Run {
            model,
            nl,
            cells,
            dt,
            last_band_closed,
            ..
        } = *run;
        let Work { x, x_sum, points, .. } = self;
        // Person-years from the step-start stocks: Σ_s x_s·dt, corrected to
        // the end-of-step or half-cycle count by the year's first and last stocks.
        // (The convention chosen once, outside the loop over cells.)
        let span = year_cells..year_cells + cells;
        let cells_of = (out.person_years[span.clone()].iter_mut())
            .zip(x_sum.iter())
            .zip(&out.people_start[span])
            .zip(x.iter());
        match model.occupancy {
            Occupancy::Start => {
                for (((py, sum), _), _) in cells_of {
                    *py = std::array::from_fn(|lane| sum[lane] * dt);
                }
            }
            Occupancy::End => {
                for (((py, sum), first), last) in cells_of {
                    *py = std::array::from_fn(|lane| (sum[lane] - first[lane] + last[lane]) * dt);
                }
            }
            Occupancy::HalfCycle => {
                for (((py, sum), first), last) in cells_of {
                    *py = std::array::from_fn(|lane| sum[lane] * dt + 0.5 * dt * (last[lane] - first[lane]));
                }
            }
            Occupancy::Simpson | Occupancy::Weights => points.person_years(cells_of, dt),
        }
        // Ageing in is the band below's ageing out; out of a closed last band it leaves.
        let detail = !out.totals_only;
        if detail {
            for c in nl..cells {
                out.ageing_in[year_cells + c] = out.ageing_out[year_cells + c - nl];
            }
        }
        if last_band_closed {
            for c in cells - nl..cells {
                out.aged_out[year_cells + c] = out.ageing_out[year_cells + c];
            }
        }
    }

    /// Flows over the year: the matrix is constant within a year, so each
    /// flow is (people at the start of each step, summed) × share.
    fn flows(&self, run: &Run<'_, W>, k: usize, year_cells: usize, out: &mut LaneTrajectory<W>) {
        let Run {
            nl,
            nb,
            cells,
            w,
            year_flows,
            ..
        } = *run;
        let Work { x_sum, matrices, .. } = self;
        let detail = !out.totals_only;

        let flows_at = k * nb * nl * nl;
        let level_flows = &mut out.level_flows[k * nl * nl..(k + 1) * nl * nl];
        let exits = &mut out.exits[year_cells..year_cells + cells];
        match (detail, year_flows) {
            // Only the flows summed over bands (unrolled for the levels).
            (false, Some(flows)) => flows(matrices, x_sum, exits, level_flows),
            _ => {
                for b in 0..nb {
                    let m = &matrices[b];
                    for from in 0..nl {
                        let c = b * nl + from;
                        let sum = x_sum[c];
                        let exit_share = m[from * w + nl];
                        for lane in 0..W {
                            exits[c][lane] = sum[lane] * exit_share[lane];
                        }
                        for to in 0..nl {
                            if to == from {
                                continue;
                            }
                            let share = m[from * w + to];
                            let f: [f64; W] = std::array::from_fn(|lane| sum[lane] * share[lane]);
                            add_lanes(&mut level_flows[from * nl + to], f);
                            if detail {
                                out.flows[flows_at + (b * nl + from) * nl + to] = f;
                                add_lanes(&mut out.moved_out[year_cells + c], f);
                                add_lanes(&mut out.moved_in[year_cells + b * nl + to], f);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Each service's activity in year `k`, and each intervention's
    /// participants and cost.
    fn activity_and_costs(
        &self,
        run: &Run<'_, W>,
        k: usize,
        year: i32,
        year_cells: usize,
        out: &mut LaneTrajectory<W>,
    ) {
        let Run { model, plan, cells, .. } = *run;
        let Work {
            use_rate, delivered, ..
        } = self;
        // Activity per service: Σ over cells of use rate × person-years.
        let ns = model.services.len();
        let person_years = &out.person_years[year_cells..year_cells + cells];
        let activity = &mut out.activity[k * ns..(k + 1) * ns];
        service_activity(&use_rate[..ns * cells], person_years, activity);
        let start = &out.people_start[year_cells..year_cells + cells];
        if run.at_start {
            money::add_at_start(run, k, start, activity);
        }
        let ni = model.interventions.len();
        for &i in plan {
            let (participants, spent) = money::intervention_year(
                run,
                i,
                (k, year),
                delivered[i][k],
                person_years,
                start,
                money::Timing::PLAIN,
            );
            out.participants[k * ni + i] = participants;
            out.intervention_cost[k * ni + i] = spent;
        }
        let width = outcomes::width(model);
        let exits = &out.exits[year_cells..year_cells + cells];
        let figures = &mut out.outcomes[k * width..(k + 1) * width];
        outcomes::year_figures(model, person_years, exits, &use_rate[ns * cells..], figures);
    }
}

/// Each service's activity (`activity`, one per service): Σ over cells (in
/// cell order) of use rate (`rates`, service-major) × person-years. Eight
/// services at a time advance together (then four, then one), each its
/// own chain of additions, so that one sum does not wait on another's.
fn service_activity<const W: usize>(rates: &[[f64; W]], person_years: &[[f64; W]], activity: &mut [[f64; W]]) {
    let (ns, cells) = (activity.len(), person_years.len());
    let eights = ns / 8 * 8;
    let fours = eights + (ns - eights) / 4 * 4;
    activity_sums::<W, 8>(&rates[..eights * cells], person_years, &mut activity[..eights]);
    activity_sums::<W, 4>(
        &rates[eights * cells..fours * cells],
        person_years,
        &mut activity[eights..fours],
    );
    activity_sums::<W, 1>(&rates[fours * cells..ns * cells], person_years, &mut activity[fours..]);
}

/// `v` emptied and filled with `n` copies of `value` (its room kept).
fn sized<T: Clone>(v: &mut Vec<T>, n: usize, value: T) {
    v.clear();
    v.resize(n, value);
}

/// The kernel's working memory, kept in a [`LaneTrajectory`] between runs
/// so that a warm run allocates nothing (every field is sized afresh by
/// [`simulate_lanes`]; none carries a value from one run to the next).
#[derive(Debug, Clone, Default)]
pub struct Work<const W: usize> {
    ageing_share: Vec<f64>,
    carries: Vec<[f64; W]>,
    x: Vec<[f64; W]>,
    next: Vec<[f64; W]>,
    carry: Vec<[f64; W]>,
    x_sum: Vec<[f64; W]>,
    /// Per band × matrix entry, the inputs of this year's matrices (the
    /// intensities or probabilities with effects folded in).
    inputs: Vec<[f64; W]>,
    matrices: Vec<Vec<[f64; W]>>,
    /// Per band, the inputs its matrix in `matrices` was built from in
    /// this run (empty before the first).
    built_from: Vec<Vec<[f64; W]>>,
    /// The lanes to build this year (band, lane), and the bands they are in.
    jobs: Vec<(usize, usize)>,
    pending: Vec<usize>,
    keys: Vec<Vec<[f64; W]>>,
    use_rate: Vec<[f64; W]>,
    delivered: Vec<Vec<[f64; W]>>,
    band_changes: Vec<bool>,
    use_changes: Vec<bool>,
    entry_shares: Vec<[f64; W]>,
    entries_per_step: Vec<[f64; W]>,
    shares_now: Vec<[f64; W]>,
    shares_before: Vec<[f64; W]>,
    shares_changed: Vec<bool>,
    supply: SupplyWork<W>,
    places: PlacesWork<W>,
    points: PointWork<W>,
    discount: discount::DiscountWork<W>,
}

/// One trajectory of `model` (its own values; the means of its
/// distributions) under the interventions `plan`.
pub fn simulate(model: &Model, plan: &[usize], calibration: super::Calibration) -> Result<Trajectory, EngineError> {
    let layout = Layout::new(model);
    let params: Vec<[f64; 1]> = layout.central(model).into_iter().map(|v| [v]).collect();
    let replay: Vec<[f64; 1]>;
    let calibration = match calibration {
        super::Calibration::None => LaneCalibration::None,
        super::Calibration::ToProjection => LaneCalibration::ToProjection,
        super::Calibration::Replay(recorded) => {
            replay = recorded.iter().map(|&v| [v]).collect();
            LaneCalibration::Replay(&replay)
        }
    };
    let mut cache = MatrixCache::<1>::new(model);
    let mut out = LaneTrajectory::<1>::default();
    simulate_lanes(model, &layout, &params, plan, calibration, &mut cache, &mut out)?;
    Ok(out.lane(model, 0))
}
