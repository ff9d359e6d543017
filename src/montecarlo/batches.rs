//! One model's futures on a batch of draws side by side, and the draws of
//! a run in batches across threads: each draw's summary rows kept in single
//! precision, and its record.

use super::sampling::Source;
use super::{DrawError, DrawRecord, FutureSpec, LANES, Raw, RawUnit, Request, RowKey, Rows, headline};
use crate::engine::{LaneCalibration, LaneTrajectory, MatrixCache, simulate_lanes};
use crate::model::{BASELINE, Model};
use crate::params::Layout;
use crate::results::rows::visit_summary;
use crate::results::{Accounts, Comparison};
use rayon::prelude::*;

/// Per lane: the accounts of each future and each scenario's comparison.
pub(super) type LaneResults = Vec<(Vec<Accounts>, Vec<Comparison>)>;

/// A future ready to receive draws: its central parameters and where each
/// sampled value goes.
pub(super) struct Prepared<'m> {
    spec: FutureSpec<'m>,
    /// The baseline: every uncertain parameter's id and the parameter indices
    /// it writes to, each with a factor (an area's scaling; 1 otherwise).
    targets: Vec<(usize, Vec<(usize, f64)>)>,
    /// A scenario: the numbers where it differs from the baseline (its
    /// overrides, including those that replace a distribution) as (index, value).
    differences: Vec<(usize, f64)>,
    /// A scenario: the numbers it moves with their spread kept (index, the
    /// move of each draw's value), after its differences.
    moved: Vec<(usize, crate::uncertainty::Moved)>,
}

/// The baseline's central parameters and each future ready for draws.
pub(super) fn prepare<'m>(layout: &Layout, futures: &[FutureSpec<'m>]) -> (Vec<f64>, Vec<Prepared<'m>>) {
    let base_central = layout.central(futures[0].model);
    let targets_of = |m: &Model| -> Vec<(usize, Vec<(usize, f64)>)> {
        m.uncertain
            .iter()
            .map(|u| {
                let indices = u
                    .targets
                    .iter()
                    .flat_map(|t| {
                        let factor = m
                            .area_scales
                            .iter()
                            .find(|(s, _)| s.same_quantity(t))
                            .map_or(1.0, |(_, f)| *f);
                        layout.indices(m, t).into_iter().map(move |i| (i, factor))
                    })
                    .collect();
                (u.id, indices)
            })
            .collect()
    };
    let base_targets = targets_of(futures[0].model);
    let prepared: Vec<Prepared> = futures
        .iter()
        .enumerate()
        .map(|(f, spec)| {
            let central = layout.central(spec.model);
            let kept: Vec<usize> = spec.model.uncertain.iter().map(|u| u.id).collect();
            let mut differences: Vec<(usize, f64)> = central
                .iter()
                .zip(&base_central)
                .enumerate()
                .filter(|(_, (a, b))| a.to_bits() != b.to_bits())
                .map(|(i, (a, _))| (i, *a))
                .collect();
            for (id, indices) in &base_targets {
                if !kept.contains(id) {
                    differences.extend(indices.iter().map(|&(i, _)| (i, central[i])));
                }
            }
            // One entry per number: an override that both changes a value and
            // replaces its distribution is listed once.
            differences.sort_by_key(|&(i, _)| i);
            differences.dedup_by_key(|&mut (i, _)| i);
            // A number moved with its spread kept takes the baseline's draw
            // moved, not its central value.
            let mut moved = Vec::new();
            if f > 0 {
                for u in &spec.model.uncertain {
                    let Some(m) = u.moved else { continue };
                    if let Some((_, indices)) = base_targets.iter().find(|(id, _)| *id == u.id) {
                        moved.extend(indices.iter().map(|&(i, factor)| (i, m.scaled(factor))));
                    }
                }
                differences.retain(|(i, _)| !moved.iter().any(|(j, _)| j == i));
            }
            Prepared {
                spec: spec.clone(),
                targets: if f == 0 { base_targets.clone() } else { Vec::new() },
                differences,
                moved,
            }
        })
        .collect();
    (base_central, prepared)
}

/// What the draws produced before statistics.
pub(super) struct Core {
    pub(super) names: Vec<RowKey>,
    /// Where each row's values sit among `width` per draw (`None`: not kept).
    pub(super) slots: Vec<Option<usize>>,
    pub(super) width: usize,
    /// The kept rows' values per draw (draw-major), when statistics are wanted.
    pub(super) values: Vec<f32>,
    pub(super) records: Vec<DrawRecord>,
}

/// The draws `request.range` of one model's `futures`, before statistics.
pub(super) fn draw(model: &Model, futures: &[FutureSpec], source: Source, request: &Request) -> Result<Raw, DrawError> {
    let first = request.range.start as u64;
    let core = run_core(model, futures, source, request)?;
    Ok(Raw {
        first_draw: first,
        names: core.names,
        units: vec![RawUnit {
            slots: core.slots,
            width: core.width,
            values: core.values,
        }],
        records: core.records,
    })
}

fn run_core(model: &Model, futures: &[FutureSpec], source: Source, request: &Request) -> Result<Core, DrawError> {
    let (range, statistics_for, keep) = (request.range.clone(), request.rows, request.keep.1);
    let (extra, progress) = (request.extra, request.progress);
    let reported = extra.map_or(futures.len(), |e| e.reported);
    let draws = range.len();
    let first = range.start;
    assert!(
        futures.first().is_some_and(|f| f.name == BASELINE && f.plan.is_empty()),
        "the first future must be the baseline"
    );
    let layout = Layout::for_models(model, futures.iter().map(|f| f.model));
    let (base_central, prepared) = prepare(&layout, futures);
    // The rows, and where the values the probabilities need sit among them.
    let mut names: Vec<(usize, Option<i32>, String)> = Vec::new();
    {
        let mut ws = Workspace::new(model);
        run_batch(model, &layout, &base_central, &prepared, source, [0; LANES], &mut ws).map_err(|e| *e)?;
        let (accounts, comparisons) = &ws.lanes[0];
        let (accounts, comparisons) = (&accounts[..reported], &comparisons[..reported - 1]);
        visit_summary(model, accounts, comparisons, &mut |f, year, name, _| {
            names.push((f, year, name()))
        });
    }
    let rows = names.len();
    // Which kept value (if any) each row is.
    let mut kept_at: Vec<Option<usize>> = vec![None; rows];
    for (k, key) in keep.iter().enumerate() {
        if let Some(r) = names.iter().position(|n| n == key) {
            kept_at[r] = Some(k);
        }
    }
    // The rows whose values are kept for statistics, packed.
    let mut slots: Vec<Option<usize>> = vec![None; rows];
    let mut kept_rows = 0;
    for (slot, key) in slots.iter_mut().zip(&names) {
        let wanted = match statistics_for {
            Rows::All => true,
            Rows::Nothing => false,
            Rows::Chosen(wanted) => wanted(0, key),
        };
        if wanted {
            *slot = Some(kept_rows);
            kept_rows += 1;
        }
    }
    let with_values = kept_rows > 0;
    // Statistics for every row, in row order, and none kept aside.
    let every_row_plain = keep.is_empty() && kept_rows == rows && slots.iter().enumerate().all(|(r, s)| *s == Some(r));
    let width = kept_rows.max(1);

    let batches = draws.div_ceil(LANES);
    // Every value is written by the draws below when any row is kept (a
    // reused buffer's old values never show), else zeros fill the one
    // column, which is written to a shard as it is.
    let mut values = values_buffer(batches * LANES * width, kept_rows == 0);
    let mut records: Vec<DrawRecord> = vec![DrawRecord::default(); batches * LANES];
    values
        .par_chunks_mut(LANES * width)
        .zip(records.par_chunks_mut(LANES))
        .enumerate()
        .try_for_each_init(
            || Workspace::new(model),
            |ws, (batch, (chunk, batch_records))| {
                let draw_ids: [u64; LANES] =
                    std::array::from_fn(|l| (first + (batch * LANES + l).min(draws - 1)) as u64);
                let mut sampled =
                    run_batch(model, &layout, &base_central, &prepared, source, draw_ids, ws).map_err(|e| *e)?;
                for (lane, (all_accounts, comparisons)) in ws.lanes.iter().enumerate() {
                    let (accounts, comparisons) = (&all_accounts[..reported], &comparisons[..reported - 1]);
                    let out = &mut chunk[lane * width..(lane + 1) * width];
                    let mut kept = vec![f64::NAN; keep.len()];
                    let mut r = 0;
                    if every_row_plain {
                        // Every row in order, nothing kept aside: the common case.
                        visit_summary(model, accounts, comparisons, &mut |_, _, _, v| {
                            out[r] = v.map_or(f32::NAN, |x| x as f32);
                            r += 1;
                        });
                    } else {
                        visit_summary(model, accounts, comparisons, &mut |_, _, _, v| {
                            if with_values && let Some(k) = slots[r] {
                                out[k] = v.map_or(f32::NAN, |x| x as f32);
                            }
                            if let Some(k) = kept_at[r] {
                                kept[k] = v.unwrap_or(f64::NAN);
                            }
                            r += 1;
                        });
                    }
                    debug_assert_eq!(r, rows);
                    batch_records[lane] = DrawRecord {
                        parameters: if extra.is_none_or(|e| e.keep_parameters) {
                            std::mem::take(&mut sampled[lane])
                        } else {
                            Vec::new()
                        },
                        headline: headline(comparisons),
                        kept,
                        figures: extra.map_or_else(Vec::new, |e| (e.figures)(all_accounts)),
                    };
                }
                let done = (batch * LANES + LANES).min(draws) - batch * LANES;
                progress(done as u64);
                Ok::<(), DrawError>(())
            },
        )?;
    records.truncate(draws);
    values.truncate(draws * width);
    Ok(Core {
        names,
        slots,
        width,
        values,
        records,
    })
}

/// The room of the last run's draws' values, kept for the next run: a
/// workshop re-runs the same model again and again, and reusing tens of
/// megabytes saves faulting them in afresh and handing them back to the
/// system each time (a tenth of the workshop run). One buffer, the largest
/// handed back, is kept for the life of the process.
static SPARE_VALUES: std::sync::Mutex<Vec<f32>> = std::sync::Mutex::new(Vec::new());

/// Room for `n` values: the spare buffer when it is large enough (its old
/// values left in place unless `zeroed`), else a fresh zeroed one.
fn values_buffer(n: usize, zeroed: bool) -> Vec<f32> {
    let spare = SPARE_VALUES
        .lock()
        .map(|mut s| std::mem::take(&mut *s))
        .unwrap_or_default();
    if spare.capacity() < n {
        // (Give the small one back: another run may fit in it.)
        give_back(spare);
        return vec![0.0; n];
    }
    let mut values = spare;
    if zeroed {
        values.clear();
    }
    values.truncate(n);
    values.resize(n, 0.0);
    values
}

/// Keeps `values`' room for [`values_buffer`] if it is larger than the
/// spare's (the smaller of the two is freed).
pub(super) fn give_back(values: Vec<f32>) {
    if let Ok(mut spare) = SPARE_VALUES.lock()
        && values.capacity() > spare.capacity()
    {
        let smaller = std::mem::replace(&mut *spare, values);
        drop(spare);
        drop(smaller);
    }
}

/// Every future on the draws `draw_ids` side by side; per lane the accounts
/// of each future and the comparisons of each scenario with the baseline,
/// and the sampled values of the uncertain parameters.
/// Buffers a worker thread reuses from batch to batch. Results never depend
/// on what they held before: each run overwrites or zeroes what it reads,
/// and matrices are remembered only under their exact inputs.
pub(super) struct Workspace {
    cache: MatrixCache<LANES>,
    baseline: LaneTrajectory<LANES>,
    other: LaneTrajectory<LANES>,
    base_params: Vec<[f64; LANES]>,
    /// The last batch's results, per lane: each future's accounts (refilled
    /// in place) and each scenario's comparison.
    pub(super) lanes: LaneResults,
}

impl Workspace {
    pub(super) fn new(model: &Model) -> Self {
        Self {
            cache: MatrixCache::new(model),
            baseline: LaneTrajectory {
                totals_only: true,
                ..Default::default()
            },
            other: LaneTrajectory {
                totals_only: true,
                ..Default::default()
            },
            base_params: Vec::new(),
            lanes: vec![(Vec::new(), Vec::new()); LANES],
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn run_batch(
    model: &Model,
    layout: &Layout,
    base_central: &[f64],
    prepared: &[Prepared],
    source: Source,
    draw_ids: [u64; LANES],
    ws: &mut Workspace,
) -> Result<Vec<Vec<f64>>, Box<DrawError>> {
    let sampled: Vec<Vec<f64>> = draw_ids.iter().map(|&d| source.values(d)).collect();
    let Workspace {
        cache,
        baseline,
        other,
        base_params,
        lanes: per_lane,
    } = ws;
    for (accounts, comparisons) in per_lane.iter_mut() {
        accounts.resize_with(prepared.len(), Accounts::default);
        comparisons.resize_with(prepared.len() - 1, Comparison::default);
    }
    // The baseline's numbers for every lane; a scenario's are these with its differences.
    base_params.clear();
    base_params.extend(base_central.iter().map(|&v| [v; LANES]));
    for (id, indices) in &prepared[0].targets {
        for &(i, factor) in indices {
            for (lane, values) in sampled.iter().enumerate() {
                base_params[i][lane] = values[*id] * factor;
            }
        }
    }
    let mut saved: Vec<(usize, [f64; LANES])> = Vec::new();
    for (f, p) in prepared.iter().enumerate() {
        // A scenario's numbers: the baseline's with its differences written
        // in (and the baseline's put back afterwards).
        for (i, v) in saved.drain(..).rev() {
            base_params[i] = v;
        }
        for &(i, v) in &p.differences {
            saved.push((i, base_params[i]));
            base_params[i] = [v; LANES];
        }
        for &(i, m) in &p.moved {
            saved.push((i, base_params[i]));
            base_params[i] = base_params[i].map(|x| m.apply(x));
        }
        let params: &[[f64; LANES]] = base_params;
        let (out, calibration) = if f == 0 {
            (&mut *baseline, LaneCalibration::ToProjection)
        } else {
            (&mut *other, LaneCalibration::Replay(&baseline.migration_by_step))
        };
        simulate_lanes(p.spec.model, layout, params, &p.spec.plan, calibration, cache, out).map_err(|error| {
            Box::new(DrawError {
                first_draw: draw_ids[0],
                last_draw: draw_ids[LANES - 1],
                seed: source.seed(),
                future: p.spec.name.clone(),
                source: Box::new(error),
            })
        })?;
        let out: &LaneTrajectory<LANES> = if f == 0 { baseline } else { other };
        for (lane, (accounts, comparisons)) in per_lane.iter_mut().enumerate() {
            let unit_costs: Vec<f64> = (0..model.services.len())
                .map(|s| params[layout.unit_cost(s)][lane])
                .collect();
            accounts[f].compute(
                p.spec.model,
                &p.spec.name,
                &p.spec.plan,
                out,
                lane,
                &unit_costs,
                params[layout.discount_rate()][lane],
            );
            if f > 0 {
                let (base, rest) = accounts.split_at(f);
                comparisons[f - 1].fill(model, &base[0], &rest[0]);
            }
        }
    }
    Ok(sampled)
}
