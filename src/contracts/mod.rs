//! Paying for the shift (README, "Paying for the shift"): what the deals
//! of a model's file pay in each future. An outcomes contract (a social
//! impact bond, payment by results) pays for outcomes counted against
//! do-nothing, within its caps, after its lag, in its payers' shares; its
//! investor's capital pays the intervention's cost and is repaid from the
//! payments. A pooled budget shares its partners' realised savings back.
//!
//! Everything here reads a future's `Accounts` and `Comparison` only, so
//! the same arithmetic serves a run at the inputs' means and every Monte
//! Carlo draw (`figures`, `statistics`).
//!
//! Conventions: money in the model's price base year; a year's cash flows
//! all at the same point in it, so the investor's IRR is a rate a year;
//! discounted figures use the scenario's discount factors.

pub mod irr;
pub mod pooled;
pub mod statistics;
pub mod terms;

use crate::model::Model;
use crate::results::{Accounts, Comparison};
use terms::{Claim, Outcome, OutcomesContract, Tariff};

pub use pooled::{PoolFigures, pool_figures};
pub use statistics::{
    DealResults, DealRow, DealStatistics, contract_rows, deal_rows, draw_bases, draw_figures, figures_from_bases,
};

/// One outcomes contract in one future.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractFigures {
    /// Index into the model's contracts.
    pub contract: usize,
    /// The future (index into the run's accounts; never the baseline).
    pub future: usize,
    /// The model's years (every per-year vector below is indexed as they are).
    pub years: Vec<i32>,
    /// Per tariff, per year: the outcomes paid for (before the caps).
    pub outcomes: Vec<Vec<f64>>,
    /// Per year: outcome payments earned before the caps.
    pub earned_uncapped: Vec<f64>,
    /// Per year: outcome payments earned within the caps.
    pub earned: Vec<f64>,
    /// Per year: the delivery fee.
    pub fee: Vec<f64>,
    /// Per year: everything paid (earned outcomes after the lag, and the fee).
    pub paid: Vec<f64>,
    /// Per payer, per year: its share of `paid`.
    pub paid_by: Vec<Vec<f64>>,
    /// Per year: the investor's capital drawn (the intervention's cost).
    pub capital: Vec<f64>,
    /// The cap on outcome payments that applied (`None`: no cap).
    pub outcome_cap: Option<f64>,
    /// Whether the caps held payments below what the outcomes earned.
    pub cap_binds: bool,
    /// Per payer: its discounted gross saving over the horizon (0 for a
    /// payer that is not a funder of the model).
    pub payer_saving: Vec<f64>,
    /// Per payer, per year: its gross saving (spend avoided against
    /// do-nothing; 0 for a payer that is not a funder of the model).
    pub payer_saving_by_year: Vec<Vec<f64>>,
}

impl ContractFigures {
    /// The investor's cash flow per year: paid − capital.
    pub fn investor_flow(&self) -> Vec<f64> {
        self.paid.iter().zip(&self.capital).map(|(p, c)| p - c).collect()
    }

    /// The investor's flows from the contract's first year to its last
    /// payment (year 0 first), for its IRR.
    pub fn investor_window(&self, contract: &OutcomesContract) -> Vec<f64> {
        let t0 = (contract.start_year - self.years[0]) as usize;
        let end = (t0 + (contract.years + contract.payment_lag_years) as usize).min(self.years.len());
        self.investor_flow()[t0..end].to_vec()
    }

    pub fn total_paid(&self) -> f64 {
        self.paid.iter().sum()
    }

    pub fn total_capital(&self) -> f64 {
        self.capital.iter().sum()
    }

    /// Paid back per pound of capital (`None` without capital).
    pub fn money_multiple(&self) -> Option<f64> {
        let capital = self.total_capital();
        (capital > 0.0).then(|| self.total_paid() / capital)
    }

    /// The most the investor could lose: its capital less the fee it is
    /// paid whatever the outcomes (0 when the fee covers it).
    pub fn maximum_loss(&self) -> f64 {
        (self.total_capital() - self.fee.iter().sum::<f64>()).max(0.0)
    }

    /// Discounted `xs` by the factors `discount`.
    fn discounted(xs: &[f64], discount: &[f64]) -> f64 {
        xs.iter().zip(discount).map(|(x, d)| x * d).sum()
    }
}

/// The quantity an outcome counts in one future's accounts in year `t`:
/// the moves between two levels, the moves into a level, a service's
/// activity, or the people in a level at the year's end.
fn quantity(model: &Model, outcome: &Outcome, a: &Accounts, t: usize) -> f64 {
    let nl = model.levels.len();
    match *outcome {
        Outcome::Moved { from, to } => a.flows[t][from * nl + to],
        Outcome::EntriesAvoided { level } => (0..nl)
            .filter(|&f| f != level)
            .map(|f| a.flows[t][f * nl + level])
            .sum(),
        Outcome::ActivityAvoided { service } => a.activity[t][service],
        Outcome::Sustained { level } => a.people_level[t][level],
    }
}

/// The yearly count of a tariff's outcome in `scenario` against its
/// reference: do-nothing's `baseline`, or the tariff's fixed baseline
/// (negative where the scenario does worse). Avoided entries and activity
/// are the reference less the scenario's; moves and people sustained the
/// scenario's less the reference.
pub fn outcome_difference(model: &Model, tariff: &Tariff, baseline: &Accounts, scenario: &Accounts) -> Vec<f64> {
    (0..scenario.years.len())
        .map(|t| {
            let reference = tariff
                .against
                .unwrap_or_else(|| quantity(model, &tariff.outcome, baseline, t));
            let here = quantity(model, &tariff.outcome, scenario, t);
            if tariff.outcome.is_avoided() {
                reference - here
            } else {
                here - reference
            }
        })
        .collect()
}

/// The outcomes a tariff pays for in each year of `window` (others 0),
/// from the yearly differences `diff`, by its claim rule.
pub fn payable(tariff: &Tariff, diff: &[f64], window: std::ops::Range<usize>) -> Vec<f64> {
    let mut out = vec![0.0; diff.len()];
    let mut running = 0.0;
    let mut best: f64 = 0.0;
    for t in window {
        out[t] = match tariff.claim {
            Claim::Repeated => diff[t].max(0.0),
            Claim::Once => {
                // A flow's outcomes so far, or a stock's now.
                let level = if tariff.outcome.is_stock() {
                    diff[t]
                } else {
                    running += diff[t];
                    running
                };
                let new = (level - best).max(0.0);
                best = best.max(level);
                new
            }
        };
    }
    out
}

/// What an outcomes contract's arithmetic reads from one future, before its
/// prices and caps: the outcomes counted by its claim rule, the
/// intervention's participant-years and cost in the contract's years, and
/// the payers' savings. Its terms then give its [`ContractFigures`]
/// ([`ContractBasis::figures`]) with no new simulation: the workshop page's
/// tariff and cap sliders change only those.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractBasis {
    /// Index into the model's contracts.
    pub contract: usize,
    /// The future (index into the run's accounts; never the baseline).
    pub future: usize,
    pub years: Vec<i32>,
    /// The contract's years, as indices into `years`.
    pub window: std::ops::Range<usize>,
    /// Per tariff, per year: the outcomes paid for (before the caps).
    pub outcomes: Vec<Vec<f64>>,
    /// The intervention's participant-years in the contract's years.
    pub participant_years: f64,
    /// Per year: the intervention's cost in the contract's years (0 outside).
    pub capital: Vec<f64>,
    /// Per payer: its discounted gross saving (0 for one not a funder).
    pub payer_saving: Vec<f64>,
    /// Per payer, per year: its gross saving.
    pub payer_saving_by_year: Vec<Vec<f64>>,
}

/// What `contract` reads from the future `future` (its accounts `scenario`,
/// compared with do-nothing's `baseline` in `comparison`).
pub fn contract_basis(
    model: &Model,
    index: usize,
    future: usize,
    baseline: &Accounts,
    scenario: &Accounts,
    comparison: &Comparison,
) -> ContractBasis {
    let contract = &model.deals.contracts[index];
    let n = scenario.years.len();
    let t0 = (contract.start_year - model.start_year).max(0) as usize;
    let window = t0.min(n)..(t0 + contract.years as usize).min(n);
    let outcomes: Vec<Vec<f64>> = contract
        .tariffs
        .iter()
        .map(|tariff| {
            let diff = outcome_difference(model, tariff, baseline, scenario);
            payable(tariff, &diff, window.clone())
        })
        .collect();
    let participant_years: f64 = window
        .clone()
        .map(|t| scenario.participants[t][contract.intervention])
        .sum();
    let mut capital = vec![0.0; n];
    for t in window.clone() {
        capital[t] = scenario.intervention_cost[t][contract.intervention];
    }
    let payer_saving = contract
        .payers
        .iter()
        .map(|p| {
            p.funder
                .map_or(0.0, |f| comparison.by_funder[f].discounted_gross_saving)
        })
        .collect();
    let payer_saving_by_year = (contract.payers.iter())
        .map(|p| match p.funder {
            Some(f) => comparison.by_funder[f].gross_saving.clone(),
            None => vec![0.0; n],
        })
        .collect();
    ContractBasis {
        contract: index,
        future,
        years: scenario.years.clone(),
        window,
        outcomes,
        participant_years,
        capital,
        payer_saving,
        payer_saving_by_year,
    }
}

impl ContractBasis {
    /// What the contract pays on this basis under the terms `contract`
    /// (its prices, caps, fee, lag and payers' shares).
    pub fn figures(&self, contract: &OutcomesContract) -> ContractFigures {
        let n = self.years.len();
        let window = self.window.clone();
        let earned_uncapped: Vec<f64> = (0..n)
            .map(|t| {
                contract
                    .tariffs
                    .iter()
                    .zip(&self.outcomes)
                    .map(|(x, o)| x.price * o[t])
                    .sum()
            })
            .collect();
        let fee_total = contract.cap.unwrap_or(0.0) * contract.delivery_fee_share;
        let mut fee = vec![0.0; n];
        for f in &mut fee[window] {
            *f = fee_total / contract.years as f64;
        }
        let caps = [
            contract.cap.map(|c| c - fee_total),
            contract.cap_per_participant.map(|c| c * self.participant_years),
        ];
        let outcome_cap = caps.into_iter().flatten().reduce(f64::min).map(|c| c.max(0.0));
        let mut remaining = outcome_cap.unwrap_or(f64::INFINITY);
        let earned: Vec<f64> = earned_uncapped
            .iter()
            .map(|&e| {
                let e = e.min(remaining);
                remaining -= e;
                e
            })
            .collect();
        let uncapped_total: f64 = earned_uncapped.iter().sum();
        let cap_binds = outcome_cap.is_some_and(|c| uncapped_total > c + 1e-9 * (1.0 + c));
        let lag = contract.payment_lag_years as usize;
        let mut paid = fee.clone();
        for (t, e) in earned.iter().enumerate() {
            if let Some(p) = paid.get_mut(t + lag) {
                *p += e;
            }
        }
        let paid_by = contract
            .payers
            .iter()
            .map(|p| paid.iter().map(|x| x * p.share).collect())
            .collect();
        ContractFigures {
            contract: self.contract,
            future: self.future,
            years: self.years.clone(),
            outcomes: self.outcomes.clone(),
            earned_uncapped,
            earned,
            fee,
            paid,
            paid_by,
            capital: self.capital.clone(),
            outcome_cap,
            cap_binds,
            payer_saving: self.payer_saving.clone(),
            payer_saving_by_year: self.payer_saving_by_year.clone(),
        }
    }
}

/// What `contract` pays in the future `future` (its accounts `scenario`,
/// compared with do-nothing's `baseline` in `comparison`).
pub fn contract_figures(
    model: &Model,
    index: usize,
    future: usize,
    baseline: &Accounts,
    scenario: &Accounts,
    comparison: &Comparison,
) -> ContractFigures {
    contract_basis(model, index, future, baseline, scenario, comparison).figures(&model.deals.contracts[index])
}

/// The futures (indices into `accounts`, the baseline first) each contract
/// runs in: every scenario that funds its intervention.
pub fn contract_futures(model: &Model, accounts: &[Accounts]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for (c, contract) in model.deals.contracts.iter().enumerate() {
        for (f, a) in accounts.iter().enumerate().skip(1) {
            if a.plan.contains(&contract.intervention) {
                pairs.push((c, f));
            }
        }
    }
    pairs
}

/// Every contract in every future it runs in, and every pooled budget
/// likewise: what a run reports. `comparisons[f - 1]` compares future `f`.
pub fn all_figures(
    model: &Model,
    accounts: &[Accounts],
    comparisons: &[Comparison],
) -> (Vec<ContractFigures>, Vec<PoolFigures>) {
    let contracts = contract_futures(model, accounts)
        .into_iter()
        .map(|(c, f)| contract_figures(model, c, f, &accounts[0], &accounts[f], &comparisons[f - 1]))
        .collect();
    let pools = pooled::pool_futures(model, accounts)
        .into_iter()
        .map(|(p, f)| pool_figures(model, p, f, &accounts[f], &comparisons[f - 1]))
        .collect();
    (contracts, pools)
}

/// The discounted totals of a contract in a future, by payer: (paid, net
/// position = discounted gross saving − discounted payments).
pub fn payer_positions(figures: &ContractFigures, discount: &[f64]) -> Vec<(f64, f64)> {
    figures
        .paid_by
        .iter()
        .zip(&figures.payer_saving)
        .map(|(paid, saving)| {
            let paid = ContractFigures::discounted(paid, discount);
            (paid, saving - paid)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::terms::{Claim, Outcome, Tariff};
    use super::*;

    fn tariff(claim: Claim, outcome: Outcome) -> Tariff {
        Tariff {
            label: "t".into(),
            outcome,
            price: 1.0,
            claim,
            against: None,
        }
    }

    #[test]
    fn claim_once_pays_a_flow_net_of_reversals() {
        let flow = tariff(Claim::Once, Outcome::ActivityAvoided { service: 0 });
        // 5, then 3 lost, then 4: the running total 5, 2, 6 pays 5, 0, 1.
        assert_eq!(payable(&flow, &[5.0, -3.0, 4.0], 0..3), vec![5.0, 0.0, 1.0]);
        let repeated = tariff(Claim::Repeated, Outcome::ActivityAvoided { service: 0 });
        assert_eq!(payable(&repeated, &[5.0, -3.0, 4.0], 0..3), vec![5.0, 0.0, 4.0]);
    }

    #[test]
    fn claim_once_pays_a_stock_at_its_highest() {
        let stock = tariff(Claim::Once, Outcome::Sustained { level: 0 });
        assert_eq!(
            payable(&stock, &[10.0, 12.0, 8.0, 15.0], 0..4),
            vec![10.0, 2.0, 0.0, 3.0]
        );
        let repeated = tariff(Claim::Repeated, Outcome::Sustained { level: 0 });
        // Outside the window nothing is paid.
        assert_eq!(
            payable(&repeated, &[10.0, 12.0, 8.0, 15.0], 1..3),
            vec![0.0, 12.0, 8.0, 0.0]
        );
    }
}
