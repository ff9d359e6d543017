//! Monte Carlo: many draws of the uncertain numbers, every future run on
//! each draw (common random numbers), in parallel, summarised per output.
//!
//! Draw `k` of a run with seed `s` samples from its own generator, seeded from
//! `(s, k)`; draws are simulated `LANES` at a time side by side (one lane
//! each), and every lane is computed exactly as it would be alone, so the
//! numbers of a draw do not depend on thread count, scheduling, or which
//! draws share its batch. Per draw only the summary values are kept
//! (single precision), never the band × level detail.

mod areas;
mod batches;
mod raw;
mod sampling;
mod statistics;

pub use raw::{Raw, RawUnit};
pub use sampling::{DrawRng, Sampling, draw_seed, sample};
pub use statistics::{order_statistics, order_statistics_near, row_stats, row_stats_f32};

use crate::engine::EngineError;
use crate::model::Model;
use crate::results::{Accounts, Comparison};
use batches::Core;
use sampling::Source;
use statistics::{BLOCK, summarise};

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
    /// The values of the rows kept ([`Request::keep`]; NaN = none).
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

/// Which futures a request runs.
#[derive(Clone, Copy)]
pub enum Futures<'a> {
    /// One model's futures, the baseline first: one unit.
    One(&'a [FutureSpec<'a>]),
    /// Every area's futures (`areas[a]`, the baseline first, each with the
    /// area's own models) on the same draws, and the units reported: each
    /// a list of areas whose accounts are summed draw by draw (so that a
    /// roll-up's range comes from per-draw sums, not from adding
    /// percentiles). Records carry the last unit's headline figures.
    Areas {
        areas: &'a [Vec<FutureSpec<'a>>],
        units: &'a [(String, Vec<usize>)],
    },
}

/// Which summary rows get statistics over the draws.
#[derive(Clone, Copy)]
pub enum Rows<'a> {
    /// Every row of every unit.
    All,
    /// None: only the records are wanted (kept rows, figures).
    Nothing,
    /// The rows `(unit, row)` accepts: callers that read a few rows, such as
    /// the workshop page, save most of the statistics' work.
    Chosen(&'a (dyn Fn(usize, &RowKey) -> bool + Sync)),
}

/// A Monte Carlo run: which futures, which draws (sampled, or values
/// given per evaluation), what to keep of each. [`Request::draw`] runs it,
/// [`statistics`] summarises what it drew.
#[derive(Clone)]
pub struct Request<'a> {
    pub futures: Futures<'a>,
    pub options: &'a Options,
    /// The draws computed: all of them, or one shard's ([`draw_range`]).
    pub range: std::ops::Range<usize>,
    /// Each evaluation's value of every uncertain number of the model (in
    /// its order), instead of sampled draws; `range` then indexes these.
    pub given: Option<&'a [Vec<f64>]>,
    pub rows: Rows<'a>,
    /// Rows whose value in every draw is kept in its record (`kept`; NaN
    /// where a row has no value or does not exist), of the unit numbered.
    pub keep: (usize, &'a [RowKey]),
    pub extra: Option<&'a Extra<'a>>,
    /// Called with `n` as each batch of `n` draws completes.
    pub progress: &'a (dyn Fn(u64) + Sync),
}

impl<'a> Request<'a> {
    /// Every draw of `options`, statistics for every row, nothing kept.
    pub fn new(futures: Futures<'a>, options: &'a Options) -> Self {
        Request {
            futures,
            options,
            range: 0..options.draws as usize,
            given: None,
            rows: Rows::All,
            keep: (0, &[]),
            extra: None,
            progress: &|_| {},
        }
    }

    /// Runs `futures` once per point of `points` (each one value per
    /// uncertain number, in the model's order), keeping the rows `keep` of
    /// `unit`: each result depends only on its point.
    pub fn at_points(futures: Futures<'a>, points: &'a [Vec<f64>], unit: usize, keep: &'a [RowKey]) -> Self {
        Request {
            range: 0..points.len(),
            given: Some(points),
            rows: Rows::Nothing,
            keep: (unit, keep),
            ..Request::new(futures, &NO_DRAWS)
        }
    }

    /// The draws, before statistics.
    pub fn draw(&self, model: &Model) -> Result<Raw, DrawError> {
        let sampling;
        let source = match self.given {
            Some(points) => Source::Given(points),
            None => {
                sampling = Sampling::new(model);
                Source::Sampled {
                    seed: self.options.seed,
                    sampling: &sampling,
                }
            }
        };
        match self.futures {
            Futures::One(futures) => batches::draw(model, futures, source, self),
            Futures::Areas { areas, units } => areas::draw(model, areas, units, source, self),
        }
    }

    /// The draws and their statistics, one summary per unit.
    pub fn run(&self, model: &Model) -> Result<Vec<Summary>, DrawError> {
        let raw = self.draw(model)?;
        Ok(statistics(model, self.reported(), self.options, raw))
    }

    /// The futures reported as rows (those of the first area with areas).
    pub fn reported(&self) -> &'a [FutureSpec<'a>] {
        match self.futures {
            Futures::One(futures) => &futures[..self.extra.map_or(futures.len(), |e| e.reported)],
            Futures::Areas { areas, .. } => &areas[0],
        }
    }

    /// Each point's values of the kept rows (a request made by [`Request::at_points`]).
    pub fn evaluate(&self, model: &Model) -> Result<Vec<Vec<f64>>, DrawError> {
        if self.range.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.draw(model)?.records.into_iter().map(|r| r.kept).collect())
    }
}

/// The options of evaluations at given points: no sampling, no statistics.
static NO_DRAWS: Options = Options {
    draws: 0,
    seed: 0,
    percentiles: Vec::new(),
};

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

/// Statistics of every unit of `raw` (which must hold all `options.draws`
/// draws); `futures` are the reported futures. The last unit keeps the records.
pub fn statistics(model: &Model, futures: &[FutureSpec], options: &Options, raw: Raw) -> Vec<Summary> {
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

/// Bytes a run of `draws` draws of `model` with statistics for chosen rows
/// ([`Rows::Chosen`], as the page asks) holds at its peak,
/// by estimate, when it keeps statistics for `rows` rows of `scenarios`
/// scenarios (and the baseline) and `threads` threads work out the
/// statistics. Per draw: each row's value in single precision, and the
/// draw's record (its sampled inputs and each scenario's headline, in
/// double precision); per thread and draw, the block of rows being gathered
/// and, for a row with draws that have no value (such as a break-even
/// year), that row twice in double precision. Not counted: the model,
/// each thread's working space, and the room of the largest run's values,
/// which is kept for the next run.
pub fn chosen_rows_bytes(model: &Model, scenarios: usize, rows: usize, draws: u32, threads: usize) -> u64 {
    let draws = (draws as usize).div_ceil(LANES) * LANES;
    let rows = rows.max(1);
    // A record, and the two allocations it owns, with an allocator's
    // bookkeeping for each.
    let record = std::mem::size_of::<DrawRecord>() + model.uncertain.len() * 8 + scenarios * 24 + 2 * 16;
    let per_draw = rows * 4 + record;
    let gathering = threads.clamp(1, rows.div_ceil(BLOCK)) * (BLOCK.min(rows) * 4 + 16);
    ((per_draw + gathering) as u64).saturating_mul(draws as u64)
}
