//! The page's statistics remembered per future between its runs. A slider
//! moved on one card changes one scenario; the others, and do-nothing, give
//! the same rows as before (every draw is seeded by its number, and every
//! future of a draw takes the same sampled values), so a run simulates
//! do-nothing (each scenario's draws need its trajectories) and the
//! scenarios not remembered, and takes the rest from here. The merged
//! statistics equal those of a run of every future (pinned by a test).

use super::edit::{RunRequest, ScenarioEdit};
use crate::model::Model;
use crate::montecarlo::{Probability, RowKey, RowStats, Summary};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// How many futures' statistics are kept (the oldest go first): a few
/// pages' worth of scenarios and pins, about 100 KiB each.
const KEPT: usize = 64;

/// One future's statistics: its rows (in the summary's order) and its
/// probabilities (with `future` 0).
#[derive(Debug, Clone)]
struct Block {
    percentiles: Vec<f64>,
    rows: Vec<RowStats>,
    probabilities: Vec<Probability>,
}

/// The futures remembered, newest last.
#[derive(Debug, Default)]
pub struct Futures {
    kept: Mutex<VecDeque<(String, Block)>>,
    /// A model with outcomes contracts: its last runs' statistics and each
    /// draw's contracts before their terms (`contracts::draw_bases`),
    /// newest last, keyed by the request without its contract terms.
    drawn: Mutex<VecDeque<(String, Arc<Drawn>)>>,
}

/// A run's statistics (without records) and each draw's contract bases.
#[derive(Debug)]
pub struct Drawn {
    pub summary: Summary,
    pub bases: Vec<Vec<f64>>,
}

/// How many runs of a model with contracts are kept: a drag on a contract
/// slider then re-runs none, and a few tabs keep theirs.
const KEPT_DRAWN: usize = 4;

impl Futures {
    /// The run `request` asks for, whatever its contract terms, if kept.
    pub fn drawn(&self, request: &RunRequest, seed: u64) -> Option<Arc<Drawn>> {
        let key = drawn_key(request, seed);
        let kept = self.drawn.lock().ok()?;
        kept.iter().find(|(k, _)| *k == key).map(|(_, d)| d.clone())
    }

    /// Keeps the run `request` asked for.
    pub fn keep_drawn(&self, request: &RunRequest, seed: u64, drawn: Arc<Drawn>) {
        let key = drawn_key(request, seed);
        let Ok(mut kept) = self.drawn.lock() else { return };
        kept.retain(|(k, _)| *k != key);
        kept.push_back((key, drawn));
        while kept.len() > KEPT_DRAWN {
            kept.pop_front();
        }
    }
}

/// What a run's draws depend on besides the scenario file: the draws,
/// seed, area and every scenario's edit (not the contract terms, the map
/// or presenter mode).
fn drawn_key(request: &RunRequest, seed: u64) -> String {
    format!(
        "{}|{seed}|{:?}|{}",
        request.draws,
        request.area,
        serde_json::to_string(&request.scenarios).unwrap_or_default()
    )
}

impl Futures {
    fn get(&self, key: &str) -> Option<Block> {
        let kept = self.kept.lock().ok()?;
        kept.iter().find(|(k, _)| k == key).map(|(_, b)| b.clone())
    }

    fn put(&self, key: String, block: Block) {
        let Ok(mut kept) = self.kept.lock() else { return };
        kept.retain(|(k, _)| *k != key);
        kept.push_back((key, block));
        while kept.len() > KEPT {
            kept.pop_front();
        }
    }
}

/// What a future's statistics depend on besides the scenario file: the
/// draws, seed, area and which rows are read, and the scenario's edit
/// (`None` for do-nothing).
fn key(request: &RunRequest, seed: u64, edit: Option<&ScenarioEdit>) -> String {
    let edit = edit.map_or_else(
        || "do-nothing".to_string(),
        |e| serde_json::to_string(e).unwrap_or_default(),
    );
    format!("{}|{seed}|{:?}|{edit}", request.draws, request.area)
}

/// The statistics of every future of `model` (the page's scenarios built,
/// in `request`'s order) for the rows `reads`, computed for do-nothing and
/// the scenarios not in `cache`, the rest taken from it.
pub fn statistics(
    cache: &Futures,
    model: &Model,
    request: &RunRequest,
    reads: &(dyn Fn(&RowKey) -> bool + Sync),
) -> Result<Summary, String> {
    let seed = model.monte_carlo.seed;
    let keys: Vec<String> = request.scenarios.iter().map(|e| key(request, seed, Some(e))).collect();
    let known: Vec<Option<Block>> = keys.iter().map(|k| cache.get(k)).collect();
    // Do-nothing and the scenarios to simulate, in order.
    let missing: Vec<usize> = (0..keys.len()).filter(|&i| known[i].is_none()).collect();
    let mut reduced = model.clone();
    reduced.scenarios = missing.iter().map(|&i| model.scenarios[i].clone()).collect();
    for (area, full) in reduced.areas.iter_mut().zip(&model.areas) {
        area.model.scenarios = missing.iter().map(|&i| full.model.scenarios[i].clone()).collect();
    }
    let run = crate::pipeline::Run::new(
        &reduced,
        crate::pipeline::Request {
            draws: request.draws,
            seed,
            ..crate::pipeline::Request::futures_only(Vec::new())
        },
    )
    .map_err(|e| e.to_string())?;
    let unit = run.unit(request.area.as_deref())?;
    let (accounts, comparisons) = run.unit_accounts(unit);
    let partial = run.unit_statistics(unit, reads, &|_| {}).map_err(|e| e.to_string())?;
    // The partial run's rows cut into its futures' blocks.
    let mut counts = vec![0usize; accounts.len()];
    crate::results::rows::visit_summary(&reduced, &accounts, &comparisons, &mut |f, _, _, _| counts[f] += 1);
    let mut blocks = Vec::with_capacity(counts.len());
    let mut start = 0;
    for (f, &n) in counts.iter().enumerate() {
        blocks.push(Block {
            percentiles: partial.percentiles.clone(),
            rows: partial.rows[start..start + n].to_vec(),
            probabilities: partial
                .probabilities
                .iter()
                .filter(|p| p.future == f)
                .map(|p| Probability { future: 0, ..p.clone() })
                .collect(),
        });
        start += n;
    }
    for (&i, block) in missing.iter().zip(&blocks[1..]) {
        cache.put(keys[i].clone(), block.clone());
    }
    // Every future in the page's order: do-nothing, then each scenario.
    let mut blocks = blocks.into_iter();
    let baseline = blocks.next().ok_or("the run has no do-nothing future")?;
    let mut ordered = vec![baseline];
    for block in known {
        ordered.push(match block {
            Some(b) => b,
            None => blocks.next().ok_or("a scenario's statistics are missing")?,
        });
    }
    let mut summary = Summary {
        draws: partial.draws,
        seed: partial.seed,
        percentiles: partial.percentiles,
        rows: Vec::new(),
        probabilities: Vec::new(),
        records: Vec::new(),
    };
    for (f, block) in ordered.into_iter().enumerate() {
        if block.percentiles != summary.percentiles {
            return Err("remembered statistics with other percentiles".into());
        }
        summary.rows.extend(block.rows);
        summary
            .probabilities
            .extend(block.probabilities.into_iter().map(|p| Probability { future: f, ..p }));
    }
    Ok(summary)
}
