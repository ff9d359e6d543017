//! Monte Carlo: many draws of the uncertain numbers, every future run on
//! each draw (common random numbers), in parallel, summarised per output.
//!
//! Draw `k` of a run with seed `s` samples from its own generator, seeded from
//! `(s, k)`; draws are simulated `LANES` at a time side by side (one lane
//! each), and every lane is computed exactly as it would be alone, so the
//! numbers of a draw do not depend on thread count, scheduling, or which
//! draws share its batch. Per draw only the summary values are kept
//! (single precision), never the band × level detail.

use crate::engine::{EngineError, LaneCalibration, LaneTrajectory, MatrixCache, simulate_lanes};
use crate::model::{BASELINE, Model};
use crate::params::Layout;
use crate::results::rows::visit_summary;
use crate::results::{Accounts, Comparison};
use rand::SeedableRng;
use rand_distr::Distribution as _;
use rayon::prelude::*;

/// Draws simulated side by side.
pub const LANES: usize = 4;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub draws: u32,
    pub seed: u64,
    /// Percentiles to report, ascending, each in (0, 100).
    pub percentiles: Vec<f64>,
}

/// One future to simulate on every draw.
#[derive(Debug, Clone)]
pub struct FutureSpec<'m> {
    pub name: String,
    pub model: &'m Model,
    pub plan: Vec<usize>,
}

impl<'m> From<&crate::run::Future<'m>> for FutureSpec<'m> {
    fn from(future: &crate::run::Future<'m>) -> Self {
        FutureSpec {
            name: future.name.clone(),
            model: future.model,
            plan: future.plan.clone(),
        }
    }
}

/// Statistics of one summary row over the draws. `None` where there is no
/// value: a mean or sd when some draw has none (e.g. never breaks even), a
/// percentile that falls on such a draw.
#[derive(Debug, Clone, PartialEq)]
pub struct RowStats {
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub percentiles: Vec<Option<f64>>,
}

/// A probability over the draws, e.g. of having broken even by a year.
#[derive(Debug, Clone, PartialEq)]
pub struct Probability {
    pub future: usize,
    pub year: i32,
    pub metric: String,
    pub value: f64,
}

/// The headline figures of one draw, for `draws.csv`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DrawRecord {
    /// The sampled value of each uncertain parameter (as `Model::uncertain`).
    pub parameters: Vec<f64>,
    /// Per scenario (after the baseline): NPV, return per £1, break-even year (NaN = none).
    pub headline: Vec<[f64; 3]>,
    /// The values of the rows asked for with [`run_keeping`] (NaN = none).
    pub kept: Vec<f64>,
    /// What [`Extra::figures`] computed from this draw's accounts.
    pub figures: Vec<f64>,
}

/// Each scenario's headline figures of one draw, for `draws.csv`: NPV,
/// return per £1 and break-even year (NaN where there is none).
fn headline(comparisons: &[Comparison]) -> Vec<[f64; 3]> {
    comparisons
        .iter()
        .map(|c| {
            let t = &c.total;
            [
                t.npv,
                t.return_per_pound().unwrap_or(f64::NAN),
                t.break_even_year.map_or(f64::NAN, f64::from),
            ]
        })
        .collect()
}

/// Figures computed from a draw's accounts (every future's), kept per draw.
pub type Figures<'f> = dyn Fn(&[Accounts]) -> Vec<f64> + Sync + 'f;

/// More to do with each draw than the summary rows: futures run on every
/// draw but not reported as rows (those after the first `reported`), and
/// figures computed from every future's accounts, kept per draw.
pub struct Extra<'a> {
    pub reported: usize,
    pub figures: &'a Figures<'a>,
    /// Keep each draw's sampled values in its record (for `draws.csv`); a
    /// big run that will not write them saves their memory.
    pub keep_parameters: bool,
}

/// Everything a Monte Carlo run produced.
#[derive(Debug, Clone)]
pub struct Summary {
    pub draws: u32,
    pub seed: u64,
    pub percentiles: Vec<f64>,
    /// Per summary row, in the order of `visit_summary`.
    pub rows: Vec<RowStats>,
    pub probabilities: Vec<Probability>,
    pub records: Vec<DrawRecord>,
}

#[derive(Debug, thiserror::Error)]
#[error("{}, {future}: {source}", self.which())]
pub struct DrawError {
    /// The batch of draws run together (the engine does not say which lane failed).
    pub first_draw: u64,
    pub last_draw: u64,
    /// `None` when the values were given rather than sampled ([`evaluate`]).
    pub seed: Option<u64>,
    pub future: String,
    #[source]
    pub source: Box<EngineError>,
}

impl DrawError {
    fn which(&self) -> String {
        match self.seed {
            Some(seed) => format!("in one of draws {}–{} (seed {seed})", self.first_draw, self.last_draw),
            None => format!("in one of evaluations {}–{}", self.first_draw + 1, self.last_draw + 1),
        }
    }
}

/// A summary row: (future, year (`None` = whole horizon), metric name).
pub type RowKey = (usize, Option<i32>, String);

/// Where a batch's parameter values come from.
#[derive(Clone, Copy)]
enum Source<'a> {
    Sampled {
        seed: u64,
        sampling: &'a Sampling,
    },
    /// One value per uncertain parameter of the model, per evaluation.
    Given(&'a [Vec<f64>]),
}

impl Source<'_> {
    fn values(&self, draw: u64) -> Vec<f64> {
        match self {
            Source::Sampled { seed, sampling } => sampling.values(*seed, draw),
            Source::Given(points) => points[draw as usize].clone(),
        }
    }

    fn seed(&self) -> Option<u64> {
        match self {
            Source::Sampled { seed, .. } => Some(*seed),
            Source::Given(_) => None,
        }
    }
}

/// Per lane: the accounts of each future and each scenario's comparison.
type LaneResults = Vec<(Vec<Accounts>, Vec<Comparison>)>;

/// Each draw's random number generator: xoshiro256++ (rand_xoshiro, seeded
/// through its SplitMix64 expansion of `draw_seed`), which gives a gamma
/// sample in 8 ns against 13 ns from rand's ChaCha-based `StdRng`; a draw
/// takes about two thousand of them. The numbers a seed gives are fixed for
/// a build (its locked library versions): rand's `StdRng` makes no promise
/// across versions, xoshiro256++ is fixed by its published definition, and
/// rand_distr's algorithms could still change in a future version.
pub type DrawRng = rand_xoshiro::Xoshiro256PlusPlus;

/// The seed of draw `draw`'s generator: the run seed and the draw index
/// mixed by SplitMix64, so neighbouring draws get unrelated streams.
pub fn draw_seed(seed: u64, draw: u64) -> u64 {
    let mut z = seed
        ^ draw
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The values of `model`'s uncertain parameters in draw `draw`. Parameters
/// sharing a group take the quantile of one shared uniform draw.
pub fn sample(model: &Model, seed: u64, draw: u64) -> Vec<f64> {
    Sampling::new(model).values(seed, draw)
}

/// A model's uncertain parameters ready to be sampled draw after draw:
/// each one's sampler built once, and its group (if any) by number.
pub struct Sampling {
    samplers: Vec<crate::uncertainty::Sampler>,
    /// Per parameter: its group's number (groups numbered in order of first
    /// appearance), and whether it takes the reversed quantile.
    groups: Vec<Option<usize>>,
    reversed: Vec<bool>,
    /// Each parameter's quantile function (used for grouped parameters).
    quantiles: Vec<crate::uncertainty::Quantile>,
    group_count: usize,
}

impl Sampling {
    pub fn new(model: &Model) -> Self {
        let mut names: Vec<&str> = Vec::new();
        let groups = model
            .uncertain
            .iter()
            .map(|u| {
                u.group.as_deref().map(|g| match names.iter().position(|n| *n == g) {
                    Some(k) => k,
                    None => {
                        names.push(g);
                        names.len() - 1
                    }
                })
            })
            .collect();
        Sampling {
            samplers: model.uncertain.iter().map(|u| u.distribution.sampler()).collect(),
            groups,
            reversed: model.uncertain.iter().map(|u| u.reversed).collect(),
            quantiles: model.uncertain.iter().map(|u| u.distribution.quantile_fn()).collect(),
            group_count: names.len(),
        }
    }

    /// Draw `draw`'s values: first one uniform per group (in order of first
    /// appearance), then every ungrouped parameter in the model's order.
    pub fn values(&self, seed: u64, draw: u64) -> Vec<f64> {
        let mut rng = DrawRng::seed_from_u64(draw_seed(seed, draw));
        let shared: Vec<f64> = (0..self.group_count)
            .map(|_| rand_distr::Open01.sample(&mut rng))
            .collect();
        self.samplers
            .iter()
            .enumerate()
            .map(|(i, sampler)| match self.groups[i] {
                Some(g) => {
                    let q = shared[g];
                    self.quantiles[i].at(if self.reversed[i] { 1.0 - q } else { q })
                }
                None => sampler.sample(&mut rng),
            })
            .collect()
    }
}

/// A future ready to receive draws: its central parameters and where each
/// sampled value goes.
struct Prepared<'m> {
    spec: FutureSpec<'m>,
    /// The baseline: every uncertain parameter's id and the parameter indices
    /// it writes to, each with a factor (an area's scaling; 1 otherwise).
    targets: Vec<(usize, Vec<(usize, f64)>)>,
    /// A scenario: the numbers where it differs from the baseline (its
    /// overrides, including those that replace a distribution) as (index, value).
    differences: Vec<(usize, f64)>,
}

/// The baseline's central parameters and each future ready for draws.
fn prepare<'m>(layout: &Layout, futures: &[FutureSpec<'m>]) -> (Vec<f64>, Vec<Prepared<'m>>) {
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
            Prepared {
                spec: spec.clone(),
                targets: if f == 0 { base_targets.clone() } else { Vec::new() },
                differences,
            }
        })
        .collect();
    (base_central, prepared)
}

/// Runs `futures` (the baseline first) on `options.draws` draws of `model`'s
/// uncertain numbers. `row_count` is the number of summary rows, and
/// `progress(n)` is called as each batch of `n` draws completes.
pub fn run(
    model: &Model,
    futures: &[FutureSpec],
    options: &Options,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Summary, DrawError> {
    run_keeping(model, futures, options, &[], progress)
}

/// [`run`], also keeping every draw's value of the rows `keep` (in each
/// record's `kept`, NaN where a row has no value or does not exist).
pub fn run_keeping(
    model: &Model,
    futures: &[FutureSpec],
    options: &Options,
    keep: &[RowKey],
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Summary, DrawError> {
    let sampling = Sampling::new(model);
    let source = Source::Sampled {
        seed: options.seed,
        sampling: &sampling,
    };
    let core = run_core(
        model,
        futures,
        0..options.draws as usize,
        source,
        Some(&|_| true),
        keep,
        None,
        progress,
    )?;
    Ok(summarise(model, futures, options, core))
}

/// [`run`] with [`Extra`] work per draw: the statistics cover the first
/// `extra.reported` futures, and each record carries the extra figures.
pub fn run_extra(
    model: &Model,
    futures: &[FutureSpec],
    options: &Options,
    extra: &Extra,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Summary, DrawError> {
    let raw = run_extra_raw(
        model,
        futures,
        options,
        extra,
        draw_range(options.draws, 1, 1),
        progress,
    )?;
    Ok(summarise_raw(model, &futures[..extra.reported], options, raw).remove(0))
}

/// [`run_extra`] for the draws `range` only, before statistics (one shard
/// of a run split over machines; see [`Raw::join`]).
pub fn run_extra_raw(
    model: &Model,
    futures: &[FutureSpec],
    options: &Options,
    extra: &Extra,
    range: std::ops::Range<usize>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Raw, DrawError> {
    let sampling = Sampling::new(model);
    let source = Source::Sampled {
        seed: options.seed,
        sampling: &sampling,
    };
    let first = range.start as u64;
    let core = run_core(
        model,
        futures,
        range,
        source,
        Some(&|_| true),
        &[],
        Some(extra),
        progress,
    )?;
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

/// The draws of shard `shard` (1-based) of `shards` in a run of `draws`
/// draws: whole batches of [`LANES`] draws, shared out evenly, so that every
/// draw is computed exactly as in the run made in one go.
pub fn draw_range(draws: u32, shard: u32, shards: u32) -> std::ops::Range<usize> {
    let batches = (draws as usize).div_ceil(LANES);
    let (k, n) = (shard as usize - 1, shards as usize);
    let start = (batches * k / n * LANES).min(draws as usize);
    let end = (batches * (k + 1) / n * LANES).min(draws as usize);
    start..end
}

/// Draws before statistics: per unit (the whole model, or every area and
/// roll-up) the values of its statistics rows, draw by draw, and each draw's
/// record. The parts of one run made as shards join into the whole
/// ([`Raw::join`]), from which [`summarise_raw`] gives exactly the
/// statistics of the run made in one go.
#[derive(Debug, Clone, PartialEq)]
pub struct Raw {
    pub first_draw: u64,
    pub names: Vec<RowKey>,
    pub units: Vec<RawUnit>,
    pub records: Vec<DrawRecord>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawUnit {
    /// Where each row's values sit among `width` per draw (`None`: no statistics).
    pub slots: Vec<Option<usize>>,
    pub width: usize,
    /// Draw-major values, single precision.
    pub values: Vec<f32>,
}

impl Raw {
    pub fn draws(&self) -> usize {
        self.records.len()
    }

    /// The parts of one run, in any order, joined into the whole: they must
    /// have the same rows and cover the draws from 0 exactly once.
    pub fn join(mut parts: Vec<Raw>) -> Result<Raw, String> {
        // An empty part (more shards than batches) sorts before the part
        // that starts where it does.
        parts.sort_by_key(|p| (p.first_draw, p.draws()));
        let mut whole = parts.first().cloned().ok_or("no parts to join")?;
        if whole.first_draw != 0 {
            return Err(format!(
                "the first part starts at draw {}, not 0: a part is missing",
                whole.first_draw
            ));
        }
        for part in &parts[1..] {
            let expected = whole.first_draw + whole.draws() as u64;
            if part.first_draw != expected {
                return Err(format!(
                    "a part starts at draw {} where draw {expected} was due: parts overlap or one is missing",
                    part.first_draw
                ));
            }
            if part.names != whole.names
                || part.units.len() != whole.units.len()
                || part
                    .units
                    .iter()
                    .zip(&whole.units)
                    .any(|(a, b)| a.slots != b.slots || a.width != b.width)
            {
                return Err(
                    "the parts have different summary rows: they were not made from the same inputs and options".into(),
                );
            }
            for (w, p) in whole.units.iter_mut().zip(&part.units) {
                w.values.extend_from_slice(&p.values);
            }
            whole.records.extend(part.records.iter().cloned());
        }
        Ok(whole)
    }

    /// Writes the draws to `path` (a small JSON header, then the numbers in
    /// little-endian binary).
    pub fn write(&self, path: &std::path::Path) -> std::io::Result<()> {
        let shape = |r: &DrawRecord| (r.parameters.len(), r.headline.len(), r.kept.len(), r.figures.len());
        let record_shape = self.records.first().map_or((0, 0, 0, 0), shape);
        if self.records.iter().any(|r| shape(r) != record_shape) {
            return Err(std::io::Error::other("draw records of different shapes"));
        }
        let header = serde_json::json!({
            "first_draw": self.first_draw,
            "draws": self.draws(),
            "names": self.names.iter().map(|(f, y, n)| serde_json::json!([f, y, n])).collect::<Vec<_>>(),
            "units": self.units.iter().map(|u| serde_json::json!({
                "width": u.width,
                "slots": u.slots.iter().map(|s| s.map_or(-1, |k| k as i64)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "record": [record_shape.0, record_shape.1, record_shape.2, record_shape.3],
        });
        let header = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
        let mut out = Vec::with_capacity(header.len() + 16);
        out.extend_from_slice(RAW_MAGIC);
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        for u in &self.units {
            for v in &u.values {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        for r in &self.records {
            let numbers = r
                .parameters
                .iter()
                .chain(r.headline.iter().flatten())
                .chain(&r.kept)
                .chain(&r.figures);
            for v in numbers {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        std::fs::write(path, out)
    }

    /// Reads draws written by [`Raw::write`].
    pub fn read(path: &std::path::Path) -> Result<Raw, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
        let bad = || "not a part written by `upstream run --shard` (or it is damaged)".to_string();
        let rest = bytes.strip_prefix(RAW_MAGIC).ok_or_else(bad)?;
        let (len, rest) = rest.split_at_checked(8).ok_or_else(bad)?;
        let len = u64::from_le_bytes(len.try_into().map_err(|_| bad())?) as usize;
        let (header, mut body) = rest.split_at_checked(len).ok_or_else(bad)?;
        let header: serde_json::Value = serde_json::from_slice(header).map_err(|_| bad())?;
        let number = |v: &serde_json::Value| v.as_u64().ok_or_else(bad);
        let draws = number(&header["draws"])? as usize;
        let names = header["names"]
            .as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|n| {
                Ok((
                    number(&n[0])? as usize,
                    n[1].as_i64().map(|y| y as i32),
                    n[2].as_str().ok_or_else(bad)?.to_string(),
                ))
            })
            .collect::<Result<Vec<RowKey>, String>>()?;
        let mut take = |n: usize| -> Result<&[u8], String> {
            let (a, b) = body.split_at_checked(n).ok_or_else(bad)?;
            body = b;
            Ok(a)
        };
        let mut units = Vec::new();
        for u in header["units"].as_array().ok_or_else(bad)? {
            let width = number(&u["width"])? as usize;

            let slots = u["slots"]
                .as_array()
                .ok_or_else(bad)?
                .iter()
                .map(|s| s.as_i64().map(|k| usize::try_from(k).ok()).ok_or_else(bad))
                .collect::<Result<Vec<_>, String>>()?;
            let bytes = draws
                .checked_mul(width)
                .and_then(|n| n.checked_mul(4))
                .ok_or_else(bad)?;
            let values = take(bytes)?
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            units.push(RawUnit { slots, width, values });
        }
        let shape: Vec<usize> = (0..4)
            .map(|k| number(&header["record"][k]).map(|x| x as usize))
            .collect::<Result<_, _>>()?;
        let per_record = shape[1]
            .checked_mul(3)
            .and_then(|h| h.checked_add(shape[0]))
            .and_then(|n| n.checked_add(shape[2]))
            .and_then(|n| n.checked_add(shape[3]))
            .ok_or_else(bad)?;
        let record_bytes = per_record.checked_mul(8).ok_or_else(bad)?;
        let mut records = Vec::with_capacity(draws.min(1 << 16));
        for _ in 0..draws {
            let v: Vec<f64> = take(record_bytes)?
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect();
            let (parameters, rest) = v.split_at(shape[0]);
            let (headline, rest) = rest.split_at(3 * shape[1]);
            let (kept, figures) = rest.split_at(shape[2]);
            records.push(DrawRecord {
                parameters: parameters.to_vec(),
                headline: headline.chunks_exact(3).map(|h| [h[0], h[1], h[2]]).collect(),
                kept: kept.to_vec(),
                figures: figures.to_vec(),
            });
        }
        if !body.is_empty() {
            return Err(bad());
        }
        Ok(Raw {
            first_draw: number(&header["first_draw"])?,
            names,
            units,
            records,
        })
    }
}

const RAW_MAGIC: &[u8] = b"UPSTREAM-DRAWS-1\n";

/// Statistics of every unit of `raw` (which must hold all `options.draws`
/// draws); `futures` are the reported futures. The last unit keeps the records.
pub fn summarise_raw(model: &Model, futures: &[FutureSpec], options: &Options, raw: Raw) -> Vec<Summary> {
    let Raw {
        names,
        units,
        mut records,
        ..
    } = raw;
    let n = units.len();
    units
        .into_iter()
        .enumerate()
        .map(|(u, unit)| {
            let core = Core {
                names: names.clone(),
                slots: unit.slots,
                width: unit.width,
                values: unit.values,
                records: if u == n - 1 {
                    std::mem::take(&mut records)
                } else {
                    Vec::new()
                },
            };
            summarise(model, futures, options, core)
        })
        .collect()
}

/// [`run`] with statistics only for the rows whose metric names `wanted`
/// accepts (the others' statistics are empty): for callers that read a few
/// rows, such as the workshop page, it saves most of the statistics' work.
pub fn run_rows(
    model: &Model,
    futures: &[FutureSpec],
    options: &Options,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Summary, DrawError> {
    let sampling = Sampling::new(model);
    let source = Source::Sampled {
        seed: options.seed,
        sampling: &sampling,
    };
    let core = run_core(
        model,
        futures,
        0..options.draws as usize,
        source,
        Some(wanted),
        &[],
        None,
        progress,
    )?;
    Ok(summarise(model, futures, options, core))
}

/// Bytes a [`run_rows`] run of `draws` draws of `model` holds at its peak,
/// by estimate, when it keeps statistics for `rows` rows of `scenarios`
/// scenarios (and the baseline) and `threads` threads work out the
/// statistics. Per draw: each row's value in single precision, and the
/// draw's record (its sampled inputs and each scenario's headline, in
/// double precision); per thread and draw, the block of rows being gathered
/// and, for a row with draws that have no value (such as a break-even
/// year), that row twice in double precision. Not counted: the model,
/// each thread's working space, and the room of the largest run's values,
/// which is kept for the next run.
pub fn run_rows_bytes(model: &Model, scenarios: usize, rows: usize, draws: u32, threads: usize) -> u64 {
    let draws = (draws as usize).div_ceil(LANES) * LANES;
    let rows = rows.max(1);
    // A record, and the two allocations it owns, with an allocator's
    // bookkeeping for each.
    let record = std::mem::size_of::<DrawRecord>() + model.uncertain.len() * 8 + scenarios * 24 + 2 * 16;
    let per_draw = rows * 4 + record;
    let gathering = threads.clamp(1, rows.div_ceil(BLOCK)) * (BLOCK.min(rows) * 4 + 16);
    ((per_draw + gathering) as u64).saturating_mul(draws as u64)
}

/// Runs `futures` once per point of `points` (each one value per uncertain
/// parameter of `model`, in its order) and returns, per point, the values of
/// the rows `keep` (NaN where none). Points are run side by side and in
/// parallel; each result depends only on its point.
pub fn evaluate(
    model: &Model,
    futures: &[FutureSpec],
    points: &[Vec<f64>],
    keep: &[RowKey],
) -> Result<Vec<Vec<f64>>, DrawError> {
    if points.is_empty() {
        return Ok(Vec::new());
    }
    let core = run_core(
        model,
        futures,
        0..points.len(),
        Source::Given(points),
        None,
        keep,
        None,
        &|_| {},
    )?;
    Ok(core.records.into_iter().map(|r| r.kept).collect())
}

/// What the draws produced before statistics.
struct Core {
    names: Vec<RowKey>,
    /// Where each row's values sit among `width` per draw (`None`: not kept).
    slots: Vec<Option<usize>>,
    width: usize,
    /// The kept rows' values per draw (draw-major), when statistics are wanted.
    values: Vec<f32>,
    records: Vec<DrawRecord>,
}

#[allow(clippy::too_many_arguments)]
fn run_core(
    model: &Model,
    futures: &[FutureSpec],
    range: std::ops::Range<usize>,
    source: Source,
    statistics_for: Option<&(dyn Fn(&str) -> bool + Sync)>,
    keep: &[RowKey],
    extra: Option<&Extra>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Core, DrawError> {
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
    if let Some(wanted) = statistics_for {
        for (slot, (_, _, name)) in slots.iter_mut().zip(&names) {
            if wanted(name) {
                *slot = Some(kept_rows);
                kept_rows += 1;
            }
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
fn give_back(values: Vec<f32>) {
    if let Ok(mut spare) = SPARE_VALUES.lock()
        && values.capacity() > spare.capacity()
    {
        let smaller = std::mem::replace(&mut *spare, values);
        drop(spare);
        drop(smaller);
    }
}

/// Rows whose values the statistics gather at a time. 256 rows read a
/// kilobyte of each draw's values at a visit (fewer page walks than 64 rows;
/// 512 and more overflow the caches): measured best on the reference run
/// and the workshop run.
const BLOCK: usize = 256;

/// How many draws ahead the statistics' gather asks for its next values.
const AHEAD: usize = 16;

/// Asks for the cache lines holding the first `n` of `values` (a hint: the
/// gather's reads are a draw's width apart, a stride the processor does not
/// foresee on its own).
#[inline(always)]
fn prefetch(values: &[f32], n: usize) {
    #[cfg(target_arch = "x86_64")]
    for k in (0..n.min(values.len())).step_by(16) {
        // SAFETY: a prefetch never faults and reads nothing; the address
        // lies within `values`.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(values[k..].as_ptr().cast());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (values, n);
}

/// Statistics and probabilities of a run's draws.
fn summarise(model: &Model, futures: &[FutureSpec], options: &Options, core: Core) -> Summary {
    let Core {
        names,
        slots,
        width,
        values,
        records,
    } = core;
    let kept_rows = slots.iter().flatten().count();
    let draws = options.draws as usize;
    // Rows by (future, year, metric), first occurrence kept.
    let mut index: std::collections::HashMap<(usize, Option<i32>, &str), usize> =
        std::collections::HashMap::with_capacity(names.len());
    for (r, (f, year, name)) in names.iter().enumerate() {
        index.entry((*f, *year, name.as_str())).or_insert(r);
    }
    let find = |f: usize, year: Option<i32>, metric: &str| index.get(&(f, year, metric)).copied();

    // The probabilities: which row each one counts in (counted below, with
    // the rows' statistics, while each row's values are at hand).
    enum Count {
        Positive,
        BrokenEvenBy(i32),
    }
    let mut wanted: Vec<(usize, i32, String, usize, Count)> = Vec::new();
    for f in 1..futures.len() {
        let break_even = find(f, None, "break_even_year").and_then(|r| slots[r]);
        for year in model.years() {
            let mut metrics = vec![(
                "prob_net_saving_positive".to_string(),
                "net_saving_cumulative_discounted".to_string(),
            )];
            for funder in &model.funders {
                metrics.push((
                    format!("prob_net_saving_positive_funder:{funder}"),
                    format!("net_saving_cumulative_discounted_funder:{funder}"),
                ));
            }
            for (metric, source) in metrics {
                if let Some(k) = find(f, Some(year), &source).and_then(|r| slots[r]) {
                    wanted.push((f, year, metric, k, Count::Positive));
                }
            }
            if let Some(k) = break_even {
                wanted.push((f, year, "prob_break_even_by_year".into(), k, Count::BrokenEvenBy(year)));
            }
        }
    }
    // Per kept row, the probabilities counted in it.
    let mut counted_in: Vec<Vec<usize>> = vec![Vec::new(); kept_rows];
    for (w, want) in wanted.iter().enumerate() {
        counted_in[want.3].push(w);
    }

    // Rows are gathered a block at a time (`BLOCK`): each draw's values for
    // a block of rows sit together, so the gather reads memory in order.
    // Per block: its rows' statistics, and (probability, count) pairs.
    type Block = (Vec<RowStats>, Vec<(usize, usize)>);
    let blocks: Vec<Block> = (0..kept_rows.div_ceil(BLOCK))
        .into_par_iter()
        .map_init(Vec::new, |columns: &mut Vec<f32>, block| {
            let first = block * BLOCK;
            let n = BLOCK.min(kept_rows - first);
            // Row j's values at `columns[j * draws..(j + 1) * draws]`. Each
            // read is independent of the last (no growing vector), so the
            // processor keeps many of these scattered reads in flight. The
            // room is reused from block to block (a fresh megabytes-large
            // allocation would fault its pages in again).
            columns.resize(n * draws, 0.0);
            for d in 0..draws {
                let at = d * width + first;
                prefetch(&values[(at + AHEAD * width).min(values.len() - 1)..], n);
                for (j, &v) in values[at..at + n].iter().enumerate() {
                    columns[j * draws + d] = v;
                }
            }
            let mut counts = Vec::new();
            let stats = (0..n)
                .map(|j| {
                    let column = &columns[j * draws..(j + 1) * draws];
                    for &w in &counted_in[first + j] {
                        let n = match wanted[w].4 {
                            Count::Positive => column.iter().filter(|&&v| f64::from(v) > 0.0).count(),
                            Count::BrokenEvenBy(year) => column
                                .iter()
                                .filter(|&&v| v.is_finite() && f64::from(v) <= f64::from(year))
                                .count(),
                        };
                        counts.push((w, n));
                    }
                    row_stats_f32(column, &options.percentiles)
                })
                .collect();
            (stats, counts)
        })
        .collect();
    // The draws' values are no longer needed: their room is kept for the
    // next run.
    give_back(values);
    let mut packed: Vec<Option<RowStats>> = Vec::with_capacity(kept_rows);
    let mut counts = vec![0; wanted.len()];
    for (stats, block_counts) in blocks {
        packed.extend(stats.into_iter().map(Some));
        for (w, n) in block_counts {
            counts[w] = n;
        }
    }
    let empty = RowStats {
        mean: None,
        sd: None,
        percentiles: vec![None; options.percentiles.len()],
    };
    let stats: Vec<RowStats> = slots
        .iter()
        .map(|slot| slot.and_then(|k| packed[k].take()).unwrap_or_else(|| empty.clone()))
        .collect();
    let probabilities = wanted
        .into_iter()
        .zip(counts)
        .map(|((future, year, metric, _, _), n)| Probability {
            future,
            year,
            metric,
            value: n as f64 / draws as f64,
        })
        .collect();

    Summary {
        draws: options.draws,
        seed: options.seed,
        percentiles: options.percentiles.clone(),
        rows: stats,
        probabilities,
        records,
    }
}

/// Every future on the draws `draw_ids` side by side; per lane the accounts
/// of each future and the comparisons of each scenario with the baseline,
/// and the sampled values of the uncertain parameters.
/// Buffers a worker thread reuses from batch to batch. Results never depend
/// on what they held before: each run overwrites or zeroes what it reads,
/// and matrices are remembered only under their exact inputs.
struct Workspace {
    cache: MatrixCache<LANES>,
    baseline: LaneTrajectory<LANES>,
    other: LaneTrajectory<LANES>,
    base_params: Vec<[f64; LANES]>,
    /// The last batch's results, per lane: each future's accounts (refilled
    /// in place) and each scenario's comparison.
    lanes: LaneResults,
}

impl Workspace {
    fn new(model: &Model) -> Self {
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
fn run_batch(
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

/// [`row_stats`] for values kept in single precision, as the draws' are:
/// the order statistics are found by bucketing (see [`order_statistics`]),
/// the moments are summed in double precision.
pub fn row_stats_f32(values: &[f32], percentiles: &[f64]) -> RowStats {
    let n = values.len();
    // A NaN anywhere makes the mean NaN, so only then are the values searched.
    let mean = if n == 0 { f64::NAN } else { mean_of(values) };
    if mean.is_nan() && (n == 0 || values.iter().any(|v| v.is_nan())) {
        let wide: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
        return row_stats(&wide, percentiles);
    }
    let sd = sd_about(values, mean);
    // The order statistics every percentile needs (the one at or below its
    // position, and the next when it falls between two), found together.
    let mut positions: Vec<usize> = Vec::with_capacity(2 * percentiles.len());
    for &p in percentiles {
        let h = (n - 1) as f64 * p / 100.0;
        positions.push(h.floor() as usize);
        positions.push((h.ceil() as usize).min(n - 1));
    }
    positions.sort_unstable();
    positions.dedup();
    let found = order_statistics_near(values, &positions, mean, sd);
    let at = |k: usize| f64::from(found[positions.binary_search(&k).unwrap_or(0)]);
    let percentiles = percentiles
        .iter()
        .map(|&p| {
            let h = (n - 1) as f64 * p / 100.0;
            let (lo, hi) = (h.floor() as usize, (h.ceil() as usize).min(n - 1));
            let (a, b) = (at(lo), at(hi));
            Some(a + (h - lo as f64) * (b - a))
        })
        .collect();
    RowStats {
        mean: Some(mean),
        sd: Some(sd),
        percentiles,
    }
}

/// Mean and sample standard deviation of the `n` values `value(i)`, each
/// sum kept in eight partial sums (so that it runs at the machine's vector
/// width rather than one addition's latency at a time) added at the end.
fn mean_sd<T: Copy + Into<f64>>(values: &[T]) -> (f64, f64) {
    let mean = mean_of(values);
    (mean, sd_about(values, mean))
}

/// The mean of [`mean_sd`].
fn mean_of<T: Copy + Into<f64>>(values: &[T]) -> f64 {
    sum_in_parts(values, |v| v) / values.len() as f64
}

/// The sample standard deviation of [`mean_sd`], about `mean`.
fn sd_about<T: Copy + Into<f64>>(values: &[T], mean: f64) -> f64 {
    let n = values.len();
    if n > 1 {
        (sum_in_parts(values, |v| (v - mean).powi(2)) / (n - 1) as f64).sqrt()
    } else {
        0.0
    }
}

/// `Σ term(v)` over `values`, in eight partial sums added at the end.
#[inline(always)]
fn sum_in_parts<T: Copy + Into<f64>>(values: &[T], term: impl Fn(f64) -> f64) -> f64 {
    const PARTS: usize = 8;
    let mut parts = [0.0; PARTS];
    let mut chunks = values.chunks_exact(PARTS);
    for chunk in &mut chunks {
        for k in 0..PARTS {
            parts[k] += term(chunk[k].into());
        }
    }
    for (part, &v) in parts.iter_mut().zip(chunks.remainder()) {
        *part += term(v.into());
    }
    parts.iter().sum::<f64>()
}

/// The values a full sort of `values` (all finite) would put at each of the
/// sorted `positions`, without sorting: every value is put in one of
/// up to a couple of thousand equal-width buckets between the least and the
/// greatest (an order-keeping map), the buckets are counted, and only the
/// few buckets that hold a wanted position are gathered and sorted. Ties
/// and -0.0/+0.0 order as `f32::total_cmp`, so the result is exactly the
/// sorted values'.
pub fn order_statistics(values: &[f32], positions: &[usize]) -> Vec<f32> {
    // Least and greatest, in sixteen running pairs (so the loop vectorises).
    let (mut low, mut high) = ([f32::INFINITY; 16], [f32::NEG_INFINITY; 16]);
    let mut chunks = values.chunks_exact(16);
    for chunk in &mut chunks {
        for k in 0..16 {
            low[k] = if chunk[k] < low[k] { chunk[k] } else { low[k] };
            high[k] = if chunk[k] > high[k] { chunk[k] } else { high[k] };
        }
    }
    for (k, &v) in chunks.remainder().iter().enumerate() {
        low[k] = low[k].min(v);
        high[k] = high[k].max(v);
    }
    let lo = low.iter().fold(f32::INFINITY, |a, &b| a.min(b));
    let hi = high.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    if lo == hi && lo != 0.0 {
        return vec![lo; positions.len()];
    }
    bucketed(values, positions, lo, hi)
}

/// [`order_statistics`] of values (all finite) whose mean and standard
/// deviation are known: the buckets span five standard deviations either
/// side of the mean (at most 4% of any values lie beyond, by Chebyshev's
/// inequality), so the least and greatest need not be found first. Values
/// beyond fall in the end buckets, which keeps the order; a wanted position
/// in a crowded end bucket is found exactly all the same.
pub fn order_statistics_near(values: &[f32], positions: &[usize], mean: f64, sd: f64) -> Vec<f32> {
    let (lo, hi) = ((mean - 5.0 * sd) as f32, (mean + 5.0 * sd) as f32);
    if sd > 0.0 && lo.is_finite() && hi.is_finite() && lo < hi {
        bucketed(values, positions, lo, hi)
    } else {
        order_statistics(values, positions)
    }
}

/// The bucketing of [`order_statistics`] between `lo` and `hi` (`lo` ≤ `hi`;
/// values beyond go in the first or last bucket).
fn bucketed(values: &[f32], positions: &[usize], lo: f32, hi: f32) -> Vec<f32> {
    let n = values.len();
    // About four values a bucket, from 16 to 2048 buckets.
    let buckets = (n / 4).next_power_of_two().clamp(16, 2048);
    let scale = (buckets - 1) as f32 / (hi - lo);
    if !(scale.is_finite() && scale > 0.0 && (hi - lo).is_finite()) {
        // A range too narrow or too wide to bucket (or only zeros, which
        // may carry either sign): sort.
        let mut sorted = values.to_vec();
        sorted.sort_unstable_by(f32::total_cmp);
        return positions.iter().map(|&p| sorted[p]).collect();
    }
    // x = (v - lo) · scale, at least 0, never decreases as v grows; adding
    // 2^23 leaves x rounded to a whole number in the low bits of the sum (a
    // larger x gives larger bits still), an order-keeping bucket number
    // found without a conversion instruction.
    const SHIFT: f32 = 8_388_608.0;
    let bucket =
        |v: f32| (((((v - lo) * scale).max(0.0)) + SHIFT).to_bits() - SHIFT.to_bits()).min(buckets as u32 - 1) as u16;
    let index: Vec<u16> = values.iter().map(|&v| bucket(v)).collect();
    // Counted in four interleaved tallies, so that neighbours in the same
    // bucket do not wait on each other's count.
    let mut tallies = vec![[0u32; 4]; buckets];
    let mut quads = index.chunks_exact(4);
    for q in &mut quads {
        for k in 0..4 {
            tallies[usize::from(q[k])][k] += 1;
        }
    }
    for &b in quads.remainder() {
        tallies[usize::from(b)][0] += 1;
    }
    let counts: Vec<u32> = tallies.iter().map(|t| t.iter().sum()).collect();
    // Each wanted position's bucket, and the rank of that bucket's first value.
    let mut wanted: Vec<(usize, usize)> = Vec::with_capacity(positions.len());
    let (mut b, mut before) = (0, 0usize);
    for &p in positions {
        while before + counts[b] as usize <= p {
            before += counts[b] as usize;
            b += 1;
        }
        wanted.push((b, before));
    }
    const NONE: u16 = u16::MAX;
    let mut slot_of = vec![NONE; buckets];
    let mut gathered: Vec<Vec<f32>> = Vec::new();
    for &(b, _) in &wanted {
        if slot_of[b] == NONE {
            slot_of[b] = gathered.len() as u16;
            gathered.push(Vec::with_capacity(counts[b] as usize));
        }
    }
    // Few buckets are wanted: 32 values at a time are tested against each
    // (a test that vectorises), and only the values that hit are taken, in
    // order, one set bit at a time. The last, partial group is padded with
    // a bucket number no bucket has.
    let mut distinct: Vec<u16> = wanted.iter().map(|&(b, _)| b as u16).collect();
    distinct.dedup();
    const GROUP: usize = 32;
    let whole = n / GROUP * GROUP;
    let (mut last_index, mut last_values) = ([NONE; GROUP], [0.0; GROUP]);
    last_index[..n - whole].copy_from_slice(&index[whole..]);
    last_values[..n - whole].copy_from_slice(&values[whole..]);
    let groups = (index[..whole].chunks_exact(GROUP).zip(values.chunks_exact(GROUP)))
        .chain(std::iter::once((&last_index[..], &last_values[..])));
    for (group, vs) in groups {
        let mut hit = [false; GROUP];
        for &d in &distinct {
            for k in 0..GROUP {
                hit[k] |= group[k] == d;
            }
        }
        let mut bits = hit
            .iter()
            .enumerate()
            .fold(0u32, |bits, (k, &h)| bits | (u32::from(h) << k));
        while bits != 0 {
            let k = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            gathered[usize::from(slot_of[usize::from(group[k])])].push(vs[k]);
        }
    }
    // A crowded bucket (values bunched by a few far outliers) is bucketed
    // again over its own narrower range; a small one is sorted.
    let mut found = vec![0.0; positions.len()];
    let mut k = 0;
    while k < positions.len() {
        let (b, before) = wanted[k];
        let end = k + wanted[k..].iter().take_while(|w| w.0 == b).count();
        let g = &mut gathered[usize::from(slot_of[b])];
        let local: Vec<usize> = positions[k..end].iter().map(|&p| p - before).collect();
        if g.len() > 256 {
            found[k..end].copy_from_slice(&order_statistics(g, &local));
        } else {
            g.sort_unstable_by(f32::total_cmp);
            for (slot, &p) in found[k..end].iter_mut().zip(&local) {
                *slot = g[p];
            }
        }
        k = end;
    }
    found
}

/// Mean, sample standard deviation and percentiles (linear between order
/// statistics, as a spreadsheet's PERCENTILE.INC) of `values`, where NaN
/// means "none" and sorts above every number.
pub fn row_stats(values: &[f64], percentiles: &[f64]) -> RowStats {
    let n = values.len();
    let any_none = values.iter().any(|v| v.is_nan());
    let (mean, sd) = if any_none || n == 0 {
        (None, None)
    } else {
        let (mean, sd) = mean_sd(values);
        (Some(mean), Some(sd))
    };
    // NaN ("none") sorts above every number. Each percentile needs only the
    // two order statistics around it, found by selection, not a full sort.
    let order = |a: &f64, b: &f64| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        (false, false) => a.total_cmp(b),
    };
    let mut work = values.to_vec();
    let percentiles = percentiles
        .iter()
        .map(|&p| {
            if n == 0 {
                return None;
            }
            let h = (n - 1) as f64 * p / 100.0;
            let lo = h.floor() as usize;
            let (_, &mut a, above) = work.select_nth_unstable_by(lo, order);
            let b = if h > lo as f64 {
                above.iter().copied().min_by(order).unwrap_or(a)
            } else {
                a
            };
            if a.is_nan() || b.is_nan() {
                None
            } else {
                Some(a + (h - lo as f64) * (b - a))
            }
        })
        .collect();
    RowStats { mean, sd, percentiles }
}

/// Monte Carlo for a model with areas: every area's futures (`areas[a]`,
/// baseline first, each with the area's own models) on the same draws of
/// `model`'s uncertain numbers, and statistics for every unit of `units`
/// (its areas' accounts summed draw by draw, so a roll-up's range comes
/// from per-draw sums, not from adding percentiles). A unit of one area
/// gets statistics for every row when `every_row(unit)`, else only for the
/// whole-horizon rows. The records (for `draws.csv`) carry the last unit's
/// headline figures.
pub fn run_areas(
    model: &Model,
    areas: &[Vec<FutureSpec>],
    units: &[(String, Vec<usize>)],
    options: &Options,
    every_row: &(dyn Fn(usize) -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Summary>, DrawError> {
    let range = draw_range(options.draws, 1, 1);
    let raw = run_areas_raw(model, areas, units, options, every_row, None, range, progress)?;
    Ok(summarise_raw(model, &areas[0], options, raw))
}

/// [`run_areas`] for the draws `range` only, before statistics; `figures`
/// (if given) is computed from the last unit's accounts in every draw and
/// kept in its record.
#[allow(clippy::too_many_arguments)]
pub fn run_areas_raw(
    model: &Model,
    areas: &[Vec<FutureSpec>],
    units: &[(String, Vec<usize>)],
    options: &Options,
    every_row: &(dyn Fn(usize) -> bool + Sync),
    figures: Option<&Figures<'_>>,
    range: std::ops::Range<usize>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Raw, DrawError> {
    let draws = range.len();
    let first = range.start;
    let sampling = Sampling::new(model);
    let source = Source::Sampled {
        seed: options.seed,
        sampling: &sampling,
    };
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

    let nu = units.len();
    // The unit of each single area.
    let own_unit: Vec<Option<usize>> = (0..areas.len())
        .map(|a| {
            units
                .iter()
                .position(|(label, m)| m.len() == 1 && m[0] == a && *label == model.areas[a].code)
        })
        .collect();
    // Per unit: which rows get statistics, packed.
    let unit_slots: Vec<Vec<Option<usize>>> = (0..nu)
        .map(|u| {
            let all = !own_unit.contains(&Some(u)) || every_row(u);
            let mut k = 0;
            names
                .iter()
                .map(|(_, year, _)| {
                    (all || year.is_none()).then(|| {
                        k += 1;
                        k - 1
                    })
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = unit_slots.iter().map(|s| s.iter().flatten().count().max(1)).collect();
    let offsets: Vec<usize> = widths
        .iter()
        .scan(0, |at, w| {
            let here = *at;
            *at += w * LANES;
            Some(here)
        })
        .collect();
    let block: usize = widths.iter().map(|w| w * LANES).sum();
    // The roll-ups each area is part of.
    let rollups: Vec<usize> = (0..nu).filter(|&u| own_unit.iter().all(|o| *o != Some(u))).collect();
    let batches = draws.div_ceil(LANES);
    // Per batch: [unit][lane][slot] (one block per batch, so that the units'
    // arrays can be gathered while the blocks are freed).
    let mut values: Vec<Vec<f32>> = (0..batches).map(|_| vec![0f32; block]).collect();
    let mut records: Vec<DrawRecord> = vec![DrawRecord::default(); batches * LANES];
    let collect = |chunk: &mut [f32], u: usize, lane: usize, accounts: &[Accounts], comparisons: &[Comparison]| {
        let w = widths[u];
        let out = &mut chunk[offsets[u] + lane * w..offsets[u] + (lane + 1) * w];
        let slots = &unit_slots[u];
        let mut r = 0;
        visit_summary(model, accounts, comparisons, &mut |_, _, _, v| {
            if let Some(k) = slots[r] {
                out[k] = v.map_or(f32::NAN, |x| x as f32);
            }
            r += 1;
        });
    };
    values
        .par_iter_mut()
        .zip(records.par_chunks_mut(LANES))
        .enumerate()
        .try_for_each_init(
            || (Workspace::new(model), Vec::<Vec<Accounts>>::new()),
            |(ws, sums), (batch, (chunk, batch_records))| {
                let draw_ids: [u64; LANES] =
                    std::array::from_fn(|l| (first + (batch * LANES + l).min(draws - 1)) as u64);
                // sums[roll-up k * LANES + lane][future]
                sums.clear();
                sums.resize_with(rollups.len() * LANES, Vec::new);
                let mut sampled = Vec::new();
                for (a, own) in own_unit.iter().enumerate() {
                    sampled = run_area(a, draw_ids, ws)?;
                    for (lane, (accounts, comparisons)) in ws.lanes.iter().enumerate() {
                        if let Some(u) = *own {
                            collect(chunk, u, lane, accounts, comparisons);
                        }
                        for (k, &u) in rollups.iter().enumerate() {
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
                for (k, &u) in rollups.iter().enumerate() {
                    for lane in 0..LANES {
                        let accounts = &sums[k * LANES + lane];
                        let comparisons: Vec<Comparison> = accounts[1..]
                            .iter()
                            .map(|s| Comparison::of(model, &accounts[0], s))
                            .collect();
                        collect(chunk, u, lane, accounts, &comparisons);
                        if u == nu - 1 {
                            batch_records[lane] = DrawRecord {
                                parameters: std::mem::take(&mut sampled[lane]),
                                headline: headline(&comparisons),
                                kept: Vec::new(),
                                figures: figures.map_or_else(Vec::new, |f| f(accounts)),
                            };
                        }
                    }
                }
                let done = (batch * LANES + LANES).min(draws) - batch * LANES;
                progress(done as u64);
                Ok::<(), DrawError>(())
            },
        )?;
    records.truncate(draws);
    let mut unit_values: Vec<Vec<f32>> = widths.iter().map(|w| Vec::with_capacity(batches * LANES * w)).collect();
    for block in values {
        for (u, out) in unit_values.iter_mut().enumerate() {
            out.extend_from_slice(&block[offsets[u]..offsets[u] + LANES * widths[u]]);
        }
    }
    let units = unit_values
        .into_iter()
        .enumerate()
        .map(|(u, mut v)| {
            v.truncate(draws * widths[u]);
            RawUnit {
                slots: unit_slots[u].clone(),
                width: widths[u],
                values: v,
            }
        })
        .collect();
    Ok(Raw {
        first_draw: first as u64,
        names,
        units,
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_a_spreadsheet() {
        let s = row_stats(&[4.0, 1.0, 3.0, 2.0], &[0.0001, 50.0, 75.0]);
        assert_eq!(s.mean, Some(2.5));
        assert!((s.sd.unwrap() - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(s.percentiles[1], Some(2.5));
        assert_eq!(s.percentiles[2], Some(3.25));
    }

    #[test]
    fn none_sorts_last_and_blanks_the_mean() {
        let s = row_stats(&[2030.0, f64::NAN, 2028.0, f64::NAN], &[25.0, 75.0]);
        assert_eq!(s.mean, None);
        assert_eq!(s.percentiles[0], Some(2028.0 + 0.75 * 2.0));
        assert_eq!(s.percentiles[1], None);
    }

    #[test]
    fn single_precision_statistics_agree_with_double() {
        let values: Vec<f32> = [3.5f32, -2.0, 0.0, -0.5, 7.25, 1.0, -9.0, 4.0].to_vec();
        let wide: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
        let p = [1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0];
        assert_eq!(row_stats_f32(&values, &p), row_stats(&wide, &p));
    }

    #[test]
    fn many_percentiles_agree_with_a_full_sort() {
        let values: Vec<f32> = (0..1001).map(|i| ((i * 7919) % 1001) as f32 * 0.5 - 100.0).collect();
        let mut sorted: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
        sorted.sort_by(f64::total_cmp);
        let p = [
            0.1, 1.0, 2.5, 5.0, 10.0, 25.0, 33.3, 50.0, 66.6, 75.0, 90.0, 95.0, 97.5, 99.0, 99.9,
        ];
        let stats = row_stats_f32(&values, &p);
        for (q, got) in p.iter().zip(&stats.percentiles) {
            let h = 1000.0 * q / 100.0;
            let lo = h.floor() as usize;
            let expected = sorted[lo] + (h - lo as f64) * (sorted[(lo + 1).min(1000)] - sorted[lo]);
            assert!((got.unwrap() - expected).abs() < 1e-9, "p{q}: {got:?} vs {expected}");
        }
    }

    proptest::proptest! {
        /// Bucketed order statistics are exactly a full sort's, for spread,
        /// clustered, tied and signed-zero values alike, whatever span the
        /// buckets are given.
        #[test]
        fn order_statistics_equal_a_full_sort(
            values in proptest::collection::vec(
                proptest::prop_oneof![
                    -1.0e6f32..1.0e6,
                    0.0f32..1.0e-3,
                    proptest::sample::select(vec![0.0f32, -0.0, 1.0, 1.0e-30, -7.5, 3.0e30]),
                ],
                1..3000,
            ),
            picks in proptest::collection::vec(0.0f64..1.0, 1..12),
            centre in -2.0e6f64..2.0e6,
            spread in proptest::prop_oneof![0.0f64..1.0e-3, 0.0f64..1.0e7],
        ) {
            let n = values.len();
            let mut positions: Vec<usize> = picks.iter().map(|p| (p * n as f64) as usize % n).collect();
            positions.sort_unstable();
            positions.dedup();
            let mut sorted = values.clone();
            sorted.sort_unstable_by(f32::total_cmp);
            let (mean, sd) = mean_sd(&values);
            // The buckets' span (the values' own, or any other, however
            // poor a guess) changes only the speed, never the answer.
            for found in [
                order_statistics(&values, &positions),
                order_statistics_near(&values, &positions, mean, sd),
                order_statistics_near(&values, &positions, centre, spread),
            ] {
                for (&p, got) in positions.iter().zip(&found) {
                    proptest::prop_assert_eq!(got.to_bits(), sorted[p].to_bits(), "position {}", p);
                }
            }
        }
    }

    #[test]
    fn draw_seeds_differ() {
        assert_ne!(draw_seed(1, 0), draw_seed(1, 1));
        assert_ne!(draw_seed(1, 0), draw_seed(2, 0));
    }
}
