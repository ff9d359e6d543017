//! A whole run in one place: a loaded model and a [`Request`] give the
//! futures and their accounts ([`Run::new`]), the draws ([`Run::draw`],
//! all of them or one shard's) and the results ([`Run::finish`]): every
//! roll-up of a model with areas, the statistics and the cost table, ready
//! for `output::write_run`. `upstream run`, `merge`, `check`, `bench`,
//! `serve`, `sensitivity` and `goal-seek` all run models through here.
//!
//! A model without areas is one area: its futures run once, and its
//! accounts are the run's.

pub mod replay;
pub mod shard;

use crate::evidence::costs::{self, Attribution, CostTable};
use crate::model::Model;
use crate::montecarlo::{self, Extra, FutureSpec, Raw, RowKey, Rows};
use crate::results::{Accounts, Comparison};
use crate::run::{Future, RunError, run_futures};

/// Up to this many areas, every metric gets statistics in every area and
/// detail.csv is written; beyond, an area's statistics are its whole-horizon
/// metrics (roll-ups always get every metric's) and detail.csv is written
/// on request, so memory and files stay bounded.
pub const FULL_AREA_STATISTICS: usize = 10;

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The scenarios run beside the baseline (every one when empty).
    pub scenarios: Vec<String>,
    pub draws: u32,
    pub seed: u64,
    /// With draws: also run each package without each of its interventions,
    /// so that every intervention's figures carry uncertainty.
    pub attribute: bool,
    /// Keep every draw's sampled inputs (for draws.csv, or a shard's part).
    pub keep_parameters: bool,
    /// With areas: keep every area's trajectories for detail.csv even
    /// beyond [`FULL_AREA_STATISTICS`] areas.
    pub detail: bool,
    /// Run the leave-one-out futures of the cost table (`run` does; the
    /// page, sensitivity and goal seeking read no cost table).
    pub costs: bool,
}

impl Request {
    /// The baseline and `scenarios` at the inputs' means, with no cost
    /// table: what the page and the analyses start from.
    pub fn futures_only(scenarios: Vec<String>) -> Request {
        Request {
            scenarios,
            draws: 0,
            seed: 0,
            attribute: false,
            keep_parameters: false,
            detail: false,
            costs: false,
        }
    }
}

/// One area's futures (or the model's own, without areas) and what they
/// give before any draws.
pub struct AreaFutures<'m> {
    /// Kept only when detail.csv will be written.
    pub futures: Vec<Future<'m>>,
    /// Each scenario's comparison with the area's own baseline.
    pub comparisons: Vec<Comparison>,
    /// The accounts of the leave-one-out futures (one per intervention of
    /// each package), at the inputs' means.
    pub extra_accounts: Vec<Accounts>,
}

/// A run with its futures simulated at the inputs' means, ready for draws.
pub struct Run<'m> {
    pub model: &'m Model,
    pub request: Request,
    /// Each area's futures; the model's own when it has no areas.
    pub areas: Vec<AreaFutures<'m>>,
    /// Each area's futures as draws run them.
    pub specs: Vec<Vec<FutureSpec<'m>>>,
    /// Each area's futures' accounts, area by area (summed into the units).
    pub area_accounts: Vec<Vec<Accounts>>,
    /// With areas: every area, parent and the whole (`results::area_units`).
    pub units: Vec<(String, Vec<usize>)>,
    /// The whole model's accounts and comparisons (the sum of the areas').
    pub accounts: Vec<Accounts>,
    pub comparisons: Vec<Comparison>,
    /// The leave-one-out futures and the pairs of the cost table.
    pub extra: Vec<FutureSpec<'m>>,
    pub pairs: Vec<Attribution>,
    /// Each pair's figures at the inputs' means.
    pub central: Vec<f64>,
    /// Whether detail.csv is written.
    pub write_detail: bool,
}

impl<'m> Run<'m> {
    /// Runs the baseline and the requested scenarios in every area.
    pub fn new(model: &'m Model, request: Request) -> Result<Run<'m>, RunError> {
        let write_detail = model.areas.len() <= FULL_AREA_STATISTICS || request.detail;
        let models: Vec<(Option<&str>, &Model)> = if model.areas.is_empty() {
            vec![(None, model)]
        } else {
            model.areas.iter().map(|a| (Some(a.code.as_str()), &a.model)).collect()
        };
        let mut areas = Vec::with_capacity(models.len());
        let mut all_specs = Vec::with_capacity(models.len());
        let mut area_accounts = Vec::with_capacity(models.len());
        for (code, area_model) in models {
            let futures = run_futures(area_model, &request.scenarios).map_err(|e| match (e, code) {
                (RunError::Engine { future, source }, Some(code)) => RunError::Engine {
                    future: format!("area `{code}`, {future}"),
                    source,
                },
                (e, _) => e,
            })?;
            let (accounts, comparisons) = crate::results::account_futures(&futures);
            let specs: Vec<FutureSpec> = futures.iter().map(FutureSpec::from).collect();
            let extra_accounts = if request.costs {
                costs::account_extra(&futures[0], &costs::attributions(&specs).0)?
            } else {
                Vec::new()
            };
            all_specs.push(specs);
            area_accounts.push(accounts);
            areas.push(AreaFutures {
                futures: if write_detail { futures } else { Vec::new() },
                comparisons,
                extra_accounts,
            });
        }
        let units = if model.areas.is_empty() {
            Vec::new()
        } else {
            crate::results::area_units(model)
        };
        let (accounts, comparisons) = match units.last() {
            None => (area_accounts[0].clone(), areas[0].comparisons.clone()),
            Some((_, all)) => crate::results::sum_areas(model, &area_accounts, all),
        };
        let (extra, pairs) = if request.costs {
            costs::attributions(&all_specs[0])
        } else {
            (Vec::new(), Vec::new())
        };
        let mut all = accounts.clone();
        let mut extra_sums: Vec<Accounts> = Vec::new();
        for area in &areas {
            extra_sums.resize_with(area.extra_accounts.len(), Default::default);
            for (sum, a) in extra_sums.iter_mut().zip(&area.extra_accounts) {
                sum.add(a);
            }
        }
        all.extend(if units.is_empty() {
            areas[0].extra_accounts.clone()
        } else {
            extra_sums
        });
        let central = costs::values_of(model, &pairs, &all);
        Ok(Run {
            model,
            request,
            areas,
            specs: all_specs,
            area_accounts,
            units,
            accounts,
            comparisons,
            extra,
            pairs,
            central,
            write_detail,
        })
    }

    /// Whether the model has areas (and so roll-ups).
    pub fn with_areas(&self) -> bool {
        !self.units.is_empty()
    }

    /// Whether a pair of the cost table is drawn: every one with
    /// `--attribute`, else those against do-nothing (with areas, those
    /// against do-nothing only: leave-one-out futures are not run per area).
    pub fn drawn(&self, pair: &Attribution) -> bool {
        pair.without == 0 || (self.request.attribute && !self.with_areas())
    }

    /// The futures reported (the first area's, with areas).
    pub fn specs(&self) -> &[FutureSpec<'m>] {
        &self.specs[0]
    }

    /// Values kept per draw: every row of each roll-up (or of the model),
    /// and an area's rows (only its whole-horizon ones beyond
    /// [`FULL_AREA_STATISTICS`] areas); and the numbers of each draw's
    /// record (sampled inputs and headline figures).
    pub fn per_draw(&self) -> (u64, usize) {
        let (mut rows, mut horizon_rows) = (0u64, 0u64);
        crate::results::rows::visit_summary(self.model, &self.accounts, &self.comparisons, &mut |_, year, _, _| {
            rows += 1;
            horizon_rows += u64::from(year.is_none());
        });
        let areas = self.model.areas.len() as u64;
        let values = if self.units.is_empty() {
            rows
        } else {
            let area_rows = if self.model.areas.len() <= FULL_AREA_STATISTICS {
                rows
            } else {
                horizon_rows
            };
            rows * (self.units.len() as u64 - areas) + area_rows * areas
        };
        (values, self.model.uncertain.len() + 3 * self.comparisons.len())
    }

    /// The Monte Carlo options of the request.
    pub fn options(&self) -> montecarlo::Options {
        montecarlo::Options {
            draws: self.request.draws,
            seed: self.request.seed,
            percentiles: self.model.monte_carlo.percentiles.clone(),
        }
    }

    /// The draws `range` (all of them, or one shard's), before statistics;
    /// `progress(n)` is called as each batch of `n` draws completes.
    pub fn draw(
        &self,
        range: std::ops::Range<usize>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Raw, montecarlo::DrawError> {
        let model = self.model;
        let drawn_pairs: Vec<Attribution> = self.pairs.iter().filter(|p| self.drawn(p)).cloned().collect();
        // The cost table's figures, each reported future's discounted cost
        // and QALYs (none without outcomes), then the deals' (none without
        // deals).
        let reported = self.specs().len();
        let figures = |accounts: &[Accounts]| {
            let mut values = costs::values_of(model, &drawn_pairs, accounts);
            let reported_accounts = &accounts[..reported.min(accounts.len())];
            values.extend(crate::results::outcomes::draw_figures(model, reported_accounts));
            values.extend(crate::contracts::draw_figures(
                model,
                &accounts[..reported.min(accounts.len())],
            ));
            values
        };
        let options = self.options();
        if self.with_areas() {
            let extra = Extra {
                reported: self.specs[0].len(),
                figures: &figures,
                keep_parameters: self.request.keep_parameters || model.outcomes.is_some(),
            };
            // A roll-up gets statistics for every row, an area for its
            // yearly rows too only up to FULL_AREA_STATISTICS areas.
            let every_row = |u: usize, (_, year, _): &RowKey| {
                let (label, members) = &self.units[u];
                let single = members.len() == 1 && model.areas[members[0]].code == *label;
                !single || model.areas.len() <= FULL_AREA_STATISTICS || year.is_none()
            };
            montecarlo::Request {
                range,
                rows: Rows::Chosen(&every_row),
                extra: Some(&extra),
                progress,
                ..montecarlo::Request::new(self.draw_futures(), &options)
            }
            .draw(model)
        } else {
            let mut specs = self.specs().to_vec();
            if self.request.attribute {
                specs.extend(self.extra.iter().cloned());
            }
            let extra = Extra {
                reported: self.specs().len(),
                figures: &figures,
                keep_parameters: self.request.keep_parameters || model.outcomes.is_some(),
            };
            montecarlo::Request {
                range,
                extra: Some(&extra),
                progress,
                ..montecarlo::Request::new(montecarlo::Futures::One(&specs), &options)
            }
            .draw(model)
        }
    }

    /// How many futures each draw runs, for a progress message.
    pub fn futures_per_draw(&self) -> usize {
        // Leave-one-out futures join the draws with --attribute, and never with areas.
        let extra = if self.request.attribute && !self.with_areas() {
            self.extra.len()
        } else {
            0
        };
        self.specs().len() + extra
    }

    /// The results: statistics of all the draws (`raw`, when there were
    /// draws), every roll-up and the cost table.
    pub fn finish(self, raw: Option<Raw>) -> Result<Results<'m>, RunError> {
        let model = self.model;
        let summaries: Vec<montecarlo::Summary> = match raw {
            None => Vec::new(),
            Some(raw) => {
                if raw.draws() != self.request.draws as usize {
                    return Err(RunError::Invalid(format!(
                        "the parts hold {} draws, not the {} they were made for",
                        raw.draws(),
                        self.request.draws
                    )));
                }
                montecarlo::statistics(model, self.specs(), &self.options(), raw)
            }
        };
        crate::timing::mark("statistics");
        let mut unit_summaries: Vec<Option<montecarlo::Summary>> = vec![None; self.units.len()];
        let monte_carlo = if self.with_areas() {
            if !summaries.is_empty() {
                unit_summaries = summaries.into_iter().map(Some).collect();
            }
            unit_summaries.last().cloned().flatten()
        } else {
            summaries.into_iter().next()
        };
        let areas: Vec<AreaResults> = self
            .units
            .iter()
            .zip(unit_summaries)
            .map(|((label, members), mc)| {
                let (accounts, comparisons) = crate::results::sum_areas(model, &self.area_accounts, members);
                let one =
                    (members.len() == 1 && model.areas[members[0]].code == *label).then(|| &model.areas[members[0]]);
                AreaResults {
                    label: label.clone(),
                    name: one.map_or_else(|| label.clone(), |a| a.name.clone()),
                    parent: one.and_then(|a| a.parent.clone()),
                    is_area: one.is_some(),
                    people_start: members
                        .iter()
                        .map(|&a| model.areas[a].model.population.iter().sum::<f64>())
                        .sum(),
                    accounts,
                    comparisons,
                    monte_carlo: mc,
                }
            })
            .collect();
        let per_draw: Option<Vec<Vec<f64>>> = monte_carlo
            .as_ref()
            .map(|mc| mc.records.iter().map(|r| r.figures.clone()).collect());
        let costs = CostTable::new(
            model,
            self.specs(),
            &self.extra,
            &self.pairs,
            &self.central,
            per_draw
                .as_deref()
                .map(|d| (d, model.monte_carlo.percentiles.as_slice())),
            &|p| self.drawn(p),
        );
        let pairs = self.pairs.iter().filter(|p| self.drawn(p)).count();
        let health_at = pairs * costs.names.len();
        let health_figures = if model.outcomes.is_some() {
            2 * self.specs().len()
        } else {
            0
        };
        let deals = monte_carlo.as_ref().map(|mc| {
            let offset = health_at + health_figures;
            let per_draw: Vec<&[f64]> = mc
                .records
                .iter()
                .map(|r| r.figures.get(offset..).unwrap_or(&[]))
                .collect();
            (per_draw, model.monte_carlo.percentiles.as_slice())
        });
        let deals = crate::contracts::DealResults::new(
            model,
            &self.accounts,
            &self.comparisons,
            deals.as_ref().map(|(d, p)| (d.as_slice(), *p)),
        );
        let health_draws = monte_carlo.as_ref().map(|mc| {
            let figures: Vec<&[f64]> = mc
                .records
                .iter()
                .map(|r| r.figures.get(health_at..health_at + health_figures).unwrap_or(&[]))
                .collect();
            let inputs: Vec<&[f64]> = mc.records.iter().map(|r| r.parameters.as_slice()).collect();
            (figures, inputs)
        });
        let cost_effectiveness = crate::results::cost_effectiveness::CostEffectiveness::new(
            model,
            &self.accounts,
            health_draws.as_ref().map(|(f, i)| (f.as_slice(), i.as_slice())),
        )
        .map_err(|e| RunError::Invalid(format!("the cost-effectiveness analysis: {e}")))?;
        let futures = self.specs().iter().map(|f| f.name.clone()).collect();
        let detail = if self.write_detail {
            self.areas.into_iter().map(|a| a.futures).collect()
        } else {
            Vec::new()
        };
        Ok(Results {
            model,
            accounts: self.accounts,
            comparisons: self.comparisons,
            monte_carlo,
            areas,
            costs,
            deals,
            cost_effectiveness,
            futures,
            detail,
        })
    }
}

/// The units of a run: the whole model (`None`), or with areas every
/// area, parent and the whole by label.
impl Run<'_> {
    /// The unit called `label` (an area's code, a parent's name or `all`);
    /// the whole model when `None`.
    pub fn unit(&self, label: Option<&str>) -> Result<usize, String> {
        let whole = self.units.len().saturating_sub(1);
        match label {
            None => Ok(whole),
            Some(label) if self.units.is_empty() => {
                if label == crate::results::ALL_AREAS {
                    Ok(0)
                } else {
                    Err(format!(
                        "the model has no [areas], so there is no area `{label}`; leave the area out for the whole model"
                    ))
                }
            }
            Some(label) => self.units.iter().position(|(l, _)| l == label).ok_or_else(|| {
                let known: Vec<&str> = self.units.iter().map(|(l, _)| l.as_str()).collect();
                format!(
                    "there is no area `{label}`; the areas and roll-ups are {}",
                    known.join(", ")
                )
            }),
        }
    }

    /// The futures' accounts and comparisons of `unit`.
    pub fn unit_accounts(&self, unit: usize) -> (Vec<Accounts>, Vec<Comparison>) {
        if self.units.is_empty() {
            (self.accounts.clone(), self.comparisons.clone())
        } else {
            crate::results::sum_areas(self.model, &self.area_accounts, &self.units[unit].1)
        }
    }

    /// Every summary row of `unit` at the inputs' means, with its value.
    pub fn unit_rows(&self, unit: usize) -> Vec<(RowKey, Option<f64>)> {
        let (accounts, comparisons) = self.unit_accounts(unit);
        let mut rows = Vec::new();
        crate::results::rows::visit_summary(self.model, &accounts, &comparisons, &mut |f, year, name, value| {
            rows.push(((f, year, name()), value))
        });
        rows
    }

    /// The reported futures as the Monte Carlo module takes them: every
    /// area's with areas.
    fn draw_futures(&self) -> montecarlo::Futures<'_> {
        if self.with_areas() {
            montecarlo::Futures::Areas {
                areas: &self.specs,
                units: &self.units,
            }
        } else {
            montecarlo::Futures::One(self.specs())
        }
    }

    /// Statistics over the draws of the rows of `unit` that `rows` accepts.
    pub fn unit_statistics(
        &self,
        unit: usize,
        rows: &(dyn Fn(&RowKey) -> bool + Sync),
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<montecarlo::Summary, montecarlo::DrawError> {
        let options = self.options();
        let chosen = |u: usize, key: &RowKey| u == unit && rows(key);
        let request = montecarlo::Request {
            rows: Rows::Chosen(&chosen),
            progress,
            ..montecarlo::Request::new(self.draw_futures(), &options)
        };
        Ok(request
            .run(self.model)?
            .swap_remove(if self.with_areas() { unit } else { 0 }))
    }

    /// [`Run::unit_statistics`], and each draw's `figures` of the reported
    /// futures' accounts (the whole model's with areas), as a whole run
    /// keeps its deals' figures. The summary keeps no records.
    pub fn unit_statistics_with_figures(
        &self,
        unit: usize,
        rows: &(dyn Fn(&RowKey) -> bool + Sync),
        figures: &montecarlo::Figures,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(montecarlo::Summary, Vec<Vec<f64>>), montecarlo::DrawError> {
        let options = self.options();
        let reported = self.specs().len();
        let of_reported = |accounts: &[Accounts]| figures(&accounts[..reported.min(accounts.len())]);
        let extra = Extra {
            reported,
            figures: &of_reported,
            keep_parameters: false,
        };
        let chosen = |u: usize, key: &RowKey| u == unit && rows(key);
        let request = montecarlo::Request {
            rows: Rows::Chosen(&chosen),
            extra: Some(&extra),
            progress,
            ..montecarlo::Request::new(self.draw_futures(), &options)
        };
        let mut summaries = request.run(self.model)?;
        // The last unit (the whole model) keeps the records.
        let per_draw = summaries
            .last_mut()
            .map(|s| std::mem::take(&mut s.records).into_iter().map(|r| r.figures).collect())
            .unwrap_or_default();
        Ok((
            summaries.swap_remove(if self.with_areas() { unit } else { 0 }),
            per_draw,
        ))
    }

    /// Each draw's values of the rows `keep` of `unit` (NaN where none):
    /// the request's draws, or one evaluation per point of `points` (each
    /// a value per uncertain number of the model, in its order).
    pub fn unit_kept(
        &self,
        unit: usize,
        keep: &[RowKey],
        points: Option<&[Vec<f64>]>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<montecarlo::DrawRecord>, montecarlo::DrawError> {
        let options = self.options();
        let futures = self.draw_futures();
        let unit = if self.with_areas() { unit } else { 0 };
        let request = match points {
            Some(points) => montecarlo::Request {
                progress,
                ..montecarlo::Request::at_points(futures, points, unit, keep)
            },
            None => montecarlo::Request {
                rows: Rows::Nothing,
                keep: (unit, keep),
                progress,
                ..montecarlo::Request::new(futures, &options)
            },
        };
        if request.range.is_empty() {
            return Ok(Vec::new());
        }
        Ok(request.draw(self.model)?.records)
    }
}

/// One area or roll-up of a model with areas.
pub struct AreaResults {
    /// The `area` column: an area's code, a parent's name, or `all`.
    pub label: String,
    /// An area's name (a roll-up's label).
    pub name: String,
    pub parent: Option<String>,
    /// Whether it is one area (not a roll-up).
    pub is_area: bool,
    /// People at the start.
    pub people_start: f64,
    pub accounts: Vec<Accounts>,
    pub comparisons: Vec<Comparison>,
    pub monte_carlo: Option<crate::montecarlo::Summary>,
}

/// What a run gives, before it is written.
pub struct Results<'m> {
    pub model: &'m Model,
    /// The whole model's accounts and comparisons.
    pub accounts: Vec<Accounts>,
    pub comparisons: Vec<Comparison>,
    pub monte_carlo: Option<montecarlo::Summary>,
    /// With areas: every area, parent and the whole.
    pub areas: Vec<AreaResults>,
    pub costs: CostTable,
    /// The outcomes contracts and pooled budgets (empty without any).
    pub deals: crate::contracts::DealResults,
    /// The cost-effectiveness analysis (`None` without `[outcomes]`).
    pub cost_effectiveness: Option<crate::results::cost_effectiveness::CostEffectiveness>,
    /// The names of the futures reported.
    pub futures: Vec<String>,
    /// For detail.csv: each area's futures (the model's own without areas);
    /// empty when detail.csv is not written.
    pub detail: Vec<Vec<Future<'m>>>,
}

/// detail.csv's futures (`Results::detail`), labelled by area code with areas.
pub fn labelled<'a, 'm>(model: &'a Model, detail: &'a [Vec<Future<'m>>]) -> Vec<(Option<&'a str>, &'a [Future<'m>])> {
    if model.areas.is_empty() {
        detail.iter().map(|fs| (None, &fs[..])).collect()
    } else {
        model
            .areas
            .iter()
            .zip(detail)
            .map(|(a, fs)| (Some(a.code.as_str()), &fs[..]))
            .collect()
    }
}
