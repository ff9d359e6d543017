//! A model with areas: every area's futures on the same draws, summed
//! draw by draw into each roll-up.

use super::batches::{Prepared, Workspace, prepare, run_batch};
use super::sampling::Source;
use super::{DrawError, DrawRecord, FutureSpec, LANES, Raw, RawUnit, Request, RowKey, Rows, headline};
use crate::model::Model;
use crate::params::Layout;
use crate::results::rows::visit_summary;
use crate::results::{Accounts, Comparison};
use rayon::prelude::*;

/// Where each unit's values sit in a batch's block of values.
struct UnitLayout {
    /// The unit of each single area, if it is reported alone.
    own_unit: Vec<Option<usize>>,
    /// Per unit: which rows get statistics, packed.
    slots: Vec<Vec<Option<usize>>>,
    widths: Vec<usize>,
    /// Per unit: where its `[lane][slot]` values start in a block.
    offsets: Vec<usize>,
    /// The values of one batch, every unit's.
    block: usize,
    /// The units that sum several areas (or name one area differently).
    rollups: Vec<usize>,
}

impl UnitLayout {
    fn new(model: &Model, units: &[(String, Vec<usize>)], names: &[RowKey], rows: Rows) -> Self {
        let own_unit: Vec<Option<usize>> = (0..model.areas.len())
            .map(|a| {
                units
                    .iter()
                    .position(|(label, m)| m.len() == 1 && m[0] == a && *label == model.areas[a].code)
            })
            .collect();
        let slots: Vec<Vec<Option<usize>>> = (0..units.len())
            .map(|u| {
                let mut k = 0;
                names
                    .iter()
                    .map(|key| {
                        let wanted = match rows {
                            Rows::All => true,
                            Rows::Nothing => false,
                            Rows::Chosen(wanted) => wanted(u, key),
                        };
                        wanted.then(|| {
                            k += 1;
                            k - 1
                        })
                    })
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = slots.iter().map(|s| s.iter().flatten().count().max(1)).collect();
        let offsets: Vec<usize> = widths
            .iter()
            .scan(0, |at, w| {
                let here = *at;
                *at += w * LANES;
                Some(here)
            })
            .collect();
        let rollups = (0..units.len())
            .filter(|&u| own_unit.iter().all(|o| *o != Some(u)))
            .collect();
        UnitLayout {
            own_unit,
            block: widths.iter().map(|w| w * LANES).sum(),
            slots,
            widths,
            offsets,
            rollups,
        }
    }
}

/// The draws `request.range` of every area's futures (`areas[a]`, the
/// baseline first, each with the area's own models) on the same draws of
/// `model`'s uncertain numbers, before statistics: one raw unit per unit of
/// `units`, each its areas' accounts summed draw by draw. The records carry
/// the last unit's headline figures and `request.extra`'s figures from its
/// accounts; their kept rows are those of unit `request.keep.0`.
pub(super) fn draw(
    model: &Model,
    areas: &[Vec<FutureSpec>],
    units: &[(String, Vec<usize>)],
    source: Source,
    request: &Request,
) -> Result<Raw, DrawError> {
    let range = request.range.clone();
    let (draws, first) = (range.len(), range.start);
    let layouts: Vec<Layout> = areas
        .iter()
        .map(|fs| Layout::for_models(fs[0].model, fs.iter().map(|f| f.model)))
        .collect();
    let prepared: Vec<(Vec<f64>, Vec<Prepared>)> = areas.iter().zip(&layouts).map(|(fs, l)| prepare(l, fs)).collect();
    let run_area = |a: usize, draw_ids: [u64; LANES], ws: &mut Workspace| {
        let (central, prep) = &prepared[a];
        run_batch(areas[a][0].model, &layouts[a], central, prep, source, draw_ids, ws).map_err(|e| {
            let mut e = *e;
            e.future = format!("area `{}`, {}", model.areas[a].code, e.future);
            e
        })
    };
    // The rows (the same for every unit).
    let mut names: Vec<RowKey> = Vec::new();
    {
        let mut ws = Workspace::new(model);
        run_area(0, [first as u64; LANES], &mut ws)?;
        let (accounts, comparisons) = &ws.lanes[0];
        visit_summary(model, accounts, comparisons, &mut |f, year, name, _| {
            names.push((f, year, name()))
        });
    }
    let layout = UnitLayout::new(model, units, &names, request.rows);
    let (keep_unit, keep) = request.keep;
    let kept_at: Vec<Option<usize>> = names.iter().map(|n| keep.iter().position(|k| k == n)).collect();
    let nu = units.len();
    let batches = draws.div_ceil(LANES);
    // Per batch: [unit][lane][slot] (one block per batch, so that the units'
    // arrays can be gathered while the blocks are freed).
    let mut values: Vec<Vec<f32>> = (0..batches).map(|_| vec![0f32; layout.block]).collect();
    let mut records: Vec<DrawRecord> = vec![DrawRecord::default(); batches * LANES];
    let collect = |chunk: &mut [f32],
                   kept: &mut [Vec<f64>],
                   u: usize,
                   lane: usize,
                   accounts: &[Accounts],
                   comparisons: &[Comparison]| {
        let w = layout.widths[u];
        let out = &mut chunk[layout.offsets[u] + lane * w..layout.offsets[u] + (lane + 1) * w];
        let slots = &layout.slots[u];
        let kept = (u == keep_unit && !keep.is_empty()).then(|| &mut kept[lane]);
        let mut r = 0;
        match kept {
            None => visit_summary(model, accounts, comparisons, &mut |_, _, _, v| {
                if let Some(k) = slots[r] {
                    out[k] = v.map_or(f32::NAN, |x| x as f32);
                }
                r += 1;
            }),
            Some(kept) => visit_summary(model, accounts, comparisons, &mut |_, _, _, v| {
                if let Some(k) = slots[r] {
                    out[k] = v.map_or(f32::NAN, |x| x as f32);
                }
                if let Some(k) = kept_at[r] {
                    kept[k] = v.unwrap_or(f64::NAN);
                }
                r += 1;
            }),
        }
    };
    let keep_parameters = request.extra.is_none_or(|e| e.keep_parameters);
    values
        .par_iter_mut()
        .zip(records.par_chunks_mut(LANES))
        .enumerate()
        .try_for_each_init(
            || (Workspace::new(model), Vec::<Vec<Accounts>>::new()),
            |(ws, sums), (batch, (chunk, batch_records))| {
                let draw_ids: [u64; LANES] =
                    std::array::from_fn(|l| (first + (batch * LANES + l).min(draws - 1)) as u64);
                let mut kept = vec![vec![f64::NAN; keep.len()]; LANES];
                // sums[roll-up k * LANES + lane][future]
                sums.clear();
                sums.resize_with(layout.rollups.len() * LANES, Vec::new);
                let mut sampled = Vec::new();
                for (a, own) in layout.own_unit.iter().enumerate() {
                    sampled = run_area(a, draw_ids, ws)?;
                    for (lane, (accounts, comparisons)) in ws.lanes.iter().enumerate() {
                        if let Some(u) = *own {
                            collect(chunk, &mut kept, u, lane, accounts, comparisons);
                        }
                        for (k, &u) in layout.rollups.iter().enumerate() {
                            if units[u].1.contains(&a) {
                                let sum = &mut sums[k * LANES + lane];
                                sum.resize_with(accounts.len(), Accounts::default);
                                for (s, acc) in sum.iter_mut().zip(accounts) {
                                    s.add(acc);
                                }
                            }
                        }
                    }
                }
                for (k, &u) in layout.rollups.iter().enumerate() {
                    for lane in 0..LANES {
                        let accounts = &sums[k * LANES + lane];
                        let comparisons: Vec<Comparison> = accounts[1..]
                            .iter()
                            .map(|s| Comparison::of(model, &accounts[0], s))
                            .collect();
                        collect(chunk, &mut kept, u, lane, accounts, &comparisons);
                        if u == nu - 1 {
                            batch_records[lane] = DrawRecord {
                                parameters: if keep_parameters {
                                    std::mem::take(&mut sampled[lane])
                                } else {
                                    Vec::new()
                                },
                                headline: headline(&comparisons),
                                kept: std::mem::take(&mut kept[lane]),
                                figures: request.extra.map_or_else(Vec::new, |e| (e.figures)(accounts)),
                            };
                        }
                    }
                }
                let done = (batch * LANES + LANES).min(draws) - batch * LANES;
                (request.progress)(done as u64);
                Ok::<(), DrawError>(())
            },
        )?;
    records.truncate(draws);
    Ok(Raw {
        first_draw: first as u64,
        units: gather(values, &layout, draws),
        names,
        records,
    })
}

/// Each unit's values, draw-major, from the batches' blocks (each freed as
/// it is read).
fn gather(values: Vec<Vec<f32>>, layout: &UnitLayout, draws: usize) -> Vec<RawUnit> {
    let batches = values.len();
    let mut unit_values: Vec<Vec<f32>> = layout
        .widths
        .iter()
        .map(|w| Vec::with_capacity(batches * LANES * w))
        .collect();
    for block in values {
        for (u, out) in unit_values.iter_mut().enumerate() {
            let (at, w) = (layout.offsets[u], layout.widths[u]);
            out.extend_from_slice(&block[at..at + LANES * w]);
        }
    }
    unit_values
        .into_iter()
        .enumerate()
        .map(|(u, mut v)| {
            v.truncate(draws * layout.widths[u]);
            RawUnit {
                slots: layout.slots[u].clone(),
                width: layout.widths[u],
                values: v,
            }
        })
        .collect()
}
