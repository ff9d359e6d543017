//! Intervention cost analysis: per intervention and scenario, what it costs,
//! whom it reaches, what it avoids (moves to higher need, acute spend) and
//! what it returns, in all and per funder; with draws, with uncertainty.
//!
//! An intervention alone in a scenario is measured against do-nothing. In a
//! scenario with several, it is measured against the same scenario without
//! it (its increment: "leave one out"), so the figures answer "what would
//! we lose by dropping it from this package?". Increments need not add up
//! to the package's total when interventions overlap.

use crate::engine::{self, Calibration};
use crate::model::{Model, Tier};
use crate::montecarlo::{FutureSpec, RowStats, row_stats};
use crate::results::{Accounts, Money};
use crate::run::{Future, RunError};

/// One intervention in one scenario, and the future it is measured against.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// The scenario's index among the futures (≥ 1).
    pub scenario: usize,
    pub intervention: usize,
    /// The future without it: the baseline (0) or a leave-one-out future.
    pub without: usize,
}

/// The leave-one-out futures a set of futures (baseline first) needs, to
/// append after them, and every scenario × intervention pair with the
/// future it is measured against.
pub fn attributions<'m>(futures: &[FutureSpec<'m>]) -> (Vec<FutureSpec<'m>>, Vec<Attribution>) {
    let mut extra = Vec::new();
    let mut pairs = Vec::new();
    for (f, spec) in futures.iter().enumerate().skip(1) {
        for &i in &spec.plan {
            let without = if spec.plan.len() == 1 {
                0
            } else {
                extra.push(FutureSpec {
                    name: format!("{} without {}", spec.name, spec.model.interventions[i].name),
                    model: spec.model,
                    plan: spec.plan.iter().copied().filter(|&j| j != i).collect(),
                });
                futures.len() + extra.len() - 1
            };
            pairs.push(Attribution {
                scenario: f,
                intervention: i,
                without,
            });
        }
    }
    (extra, pairs)
}

/// Runs the leave-one-out futures at the inputs' means (deterministic),
/// calibrated as the scenarios are, and returns their accounts.
pub fn account_extra(baseline: &Future, extra: &[FutureSpec]) -> Result<Vec<Accounts>, RunError> {
    extra
        .iter()
        .map(|spec| {
            let trajectory = engine::simulate(
                spec.model,
                &spec.plan,
                Calibration::Replay(&baseline.trajectory.migration_by_step),
            )
            .map_err(|source| RunError::Engine {
                future: spec.name.clone(),
                source,
            })?;
            Ok(Accounts::of(&Future {
                name: spec.name.clone(),
                description: String::new(),
                model: spec.model,
                plan: spec.plan.clone(),
                trajectory,
            }))
        })
        .collect()
}

/// The figures of one intervention in one scenario (one draw, or the means).
#[derive(Debug, Clone, PartialEq)]
pub struct InterventionFigures {
    /// Participant-years over the horizon.
    pub participants: f64,
    pub cost: f64,
    pub cost_discounted: f64,
    /// Moves to a higher need level avoided over the horizon (all bands).
    pub moves_avoided: f64,
    pub moves_avoided_discounted: f64,
    /// Acute services' spend avoided, discounted.
    pub acute_avoided: f64,
    /// All services' spend avoided, discounted (the gross saving).
    pub gross_saving: f64,
    /// Per funder: spend on its services avoided, discounted.
    pub gross_saving_funder: Vec<f64>,
}

/// The figures' names, in `InterventionFigures::values` order, for files and statistics.
pub fn figure_names(model: &Model) -> Vec<String> {
    let mut names: Vec<String> = [
        "participants",
        "cost",
        "cost_discounted",
        "cost_per_participant",
        "moves_avoided",
        "cost_per_move_avoided",
        "acute_spend_avoided",
        "gross_saving",
        "net_saving",
        "return_per_pound",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    names.extend(model.funders.iter().map(|f| format!("return_per_pound_funder:{f}")));
    names
}

impl InterventionFigures {
    /// `with` (the scenario) against `without` (the future without the intervention).
    pub fn of(model: &Model, intervention: usize, with: &Accounts, without: &Accounts) -> InterventionFigures {
        let nl = model.levels.len();
        let years = with.years.len();
        let discount = &with.discount_factor;
        let sum_d = |f: &dyn Fn(usize) -> f64| -> (f64, f64) {
            (0..years).fold((0.0, 0.0), |(s, sd), t| {
                let x = f(t);
                (s + x, sd + x * discount[t])
            })
        };
        let (participants, _) = sum_d(&|t| with.participants[t][intervention]);
        // Money discounted: without's less with's figure (or with's alone),
        // point by point where the accounts have it so, else × the factor.
        let discounted = (without.discounted_money(), with.discounted_money());
        let money_d = |figure: &dyn Fn(Money<'_>, usize) -> f64, alone: bool| -> f64 {
            (0..years)
                .map(|t| match discounted {
                    (_, Some(w)) if alone => figure(w, t),
                    (Some(wo), Some(w)) => figure(wo, t) - figure(w, t),
                    _ if alone => figure(with.money(), t) * discount[t],
                    _ => (figure(without.money(), t) - figure(with.money(), t)) * discount[t],
                })
                .sum()
        };
        let cost: f64 = (0..years).map(|t| with.intervention_cost[t][intervention]).sum();
        let cost_discounted = money_d(&|m, t| m.intervention_cost[t][intervention], true);
        let upward = |a: &Accounts, t: usize| -> f64 {
            let flows = &a.flows[t];
            (0..nl)
                .flat_map(|from| (from + 1..nl).map(move |to| (from, to)))
                .map(|(from, to)| flows[from * nl + to])
                .sum()
        };
        let (moves_avoided, moves_avoided_discounted) = sum_d(&|t| upward(without, t) - upward(with, t));
        let acute = |m: Money<'_>, t: usize| -> f64 {
            model
                .services
                .iter()
                .enumerate()
                .filter(|(_, s)| s.tier == Tier::Acute)
                .map(|(s, _)| m.spend_service[t][s])
                .sum()
        };
        let acute_avoided = money_d(&acute, false);
        let gross_saving = money_d(&|m, t| m.spend_services_total[t], false);
        let services_of = |m: Money<'_>, t: usize, f: usize| m.spend_funder[t][f] - m.investment_funder[t][f];
        let gross_saving_funder = (0..model.funders.len())
            .map(|f| money_d(&|m, t| services_of(m, t, f), false))
            .collect();
        InterventionFigures {
            participants,
            cost,
            cost_discounted,
            moves_avoided,
            moves_avoided_discounted,
            acute_avoided,
            gross_saving,
            gross_saving_funder,
        }
    }

    /// The figures in `figure_names` order; ratios are NaN where undefined
    /// (no participants, no cost, no moves avoided).
    pub fn values(&self) -> Vec<f64> {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        let mut v = vec![
            self.participants,
            self.cost,
            self.cost_discounted,
            ratio(self.cost, self.participants),
            self.moves_avoided,
            ratio(self.cost_discounted, self.moves_avoided_discounted),
            self.acute_avoided,
            self.gross_saving,
            self.gross_saving - self.cost_discounted,
            ratio(self.gross_saving, self.cost_discounted),
        ];
        v.extend(self.gross_saving_funder.iter().map(|g| ratio(*g, self.cost_discounted)));
        v
    }
}

/// Every pair's figures, flattened (pair-major), from one set of accounts
/// (the futures, then the leave-one-out futures, in `attributions` order).
pub fn values_of(model: &Model, pairs: &[Attribution], accounts: &[Accounts]) -> Vec<f64> {
    pairs
        .iter()
        .flat_map(|p| {
            InterventionFigures::of(model, p.intervention, &accounts[p.scenario], &accounts[p.without]).values()
        })
        .collect()
}

/// One row of the cost table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub scenario: String,
    pub intervention: usize,
    /// Measured against: "do-nothing" or "<scenario> without <intervention>".
    pub against: String,
    /// At the inputs' means, in `figure_names` order.
    pub central: Vec<f64>,
    /// Over the draws, per figure (when the run had them for this row).
    pub stats: Option<Vec<RowStats>>,
    /// Share of draws in which it raised service spend (gross saving < 0):
    /// net harm to the system's demand.
    pub prob_net_harm: Option<f64>,
}

/// The cost table of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct CostTable {
    pub names: Vec<String>,
    /// Percentiles of `RowStats::percentiles`.
    pub percentiles: Vec<f64>,
    pub rows: Vec<Row>,
    /// Draws behind the statistics (0: none).
    pub draws: u32,
}

impl CostTable {
    /// The table from the central values and, with draws, each draw's
    /// `values_of` for the pairs `with_draws` accepts, in order (a pair
    /// measured against a leave-one-out future is drawn only when those
    /// futures joined the draws).
    pub fn new(
        model: &Model,
        futures: &[FutureSpec],
        extra: &[FutureSpec],
        pairs: &[Attribution],
        central: &[f64],
        draws: Option<(&[Vec<f64>], &[f64])>,
        with_draws: &dyn Fn(&Attribution) -> bool,
    ) -> CostTable {
        let names = figure_names(model);
        let n = names.len();
        let name_of = |f: usize| -> &str {
            if f < futures.len() {
                &futures[f].name
            } else {
                &extra[f - futures.len()].name
            }
        };
        let gross = names.iter().position(|x| x == "gross_saving").unwrap_or(0);
        let mut drawn = 0;
        let rows = pairs
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let (stats, prob_net_harm) = match draws {
                    Some((per_draw, percentiles)) if with_draws(p) => {
                        let k = drawn;
                        drawn += 1;
                        let column = |j: usize| -> Vec<f64> { per_draw.iter().map(|d| d[k * n + j]).collect() };
                        let stats: Vec<RowStats> = (0..n).map(|j| row_stats(&column(j), percentiles)).collect();
                        let harmed = column(gross).iter().filter(|&&g| g < 0.0).count();
                        (Some(stats), Some(harmed as f64 / per_draw.len().max(1) as f64))
                    }
                    _ => (None, None),
                };
                Row {
                    scenario: futures[p.scenario].name.clone(),
                    intervention: p.intervention,
                    against: name_of(p.without).to_string(),
                    central: central[k * n..(k + 1) * n].to_vec(),
                    stats,
                    prob_net_harm,
                }
            })
            .collect();
        CostTable {
            names,
            percentiles: draws.map_or_else(Vec::new, |(_, p)| p.to_vec()),
            rows,
            draws: draws.map_or(0, |(d, _)| d.len() as u32),
        }
    }

    /// A figure's index by name.
    pub fn index(&self, name: &str) -> usize {
        self.names.iter().position(|n| n == name).expect("a known figure")
    }

    /// Rows ranked for prioritising: by return per £1 at the means, highest
    /// first (rows with no return last), then by name.
    pub fn ranked(&self) -> Vec<&Row> {
        let r = self.index("return_per_pound");
        let mut rows: Vec<&Row> = self.rows.iter().collect();
        rows.sort_by(|a, b| {
            let key = |x: &Row| {
                if x.central[r].is_nan() {
                    f64::NEG_INFINITY
                } else {
                    x.central[r]
                }
            };
            key(b).total_cmp(&key(a)).then_with(|| a.scenario.cmp(&b.scenario))
        });
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_undefined_without_a_denominator() {
        let f = InterventionFigures {
            participants: 0.0,
            cost: 0.0,
            cost_discounted: 0.0,
            moves_avoided: -1.0,
            moves_avoided_discounted: -1.0,
            acute_avoided: 0.0,
            gross_saving: 5.0,
            gross_saving_funder: vec![5.0],
        };
        let v = f.values();
        assert!(v[3].is_nan() && v[5].is_nan() && v[9].is_nan() && v[10].is_nan());
        assert_eq!(v[8], 5.0);
    }
}
