//! Pooled budgets with shared savings: partners pay a pool's interventions
//! in set shares, and the savings they realise (their cashable gross
//! savings against do-nothing, by funder) are shared back by the pool's
//! rule. Each partner's net position before the deal (its own savings
//! less what it funds of the pool's interventions in the model) and after
//! (its share of the savings less its contribution).

use crate::model::Model;
use crate::results::{Accounts, Comparison};

/// One pooled budget in one future.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolFigures {
    /// Index into the model's pools.
    pub pool: usize,
    /// The future (index into the run's accounts; never the baseline).
    pub future: usize,
    pub years: Vec<i32>,
    /// Per year: the pool's cost (its interventions' cost in the future).
    pub cost: Vec<f64>,
    /// Per partner, per year: its contribution to the cost.
    pub contribution: Vec<Vec<f64>>,
    /// Per partner, per year: its own gross saving.
    pub own_saving: Vec<Vec<f64>>,
    /// Per partner, per year: its share of the partners' savings.
    pub shared_back: Vec<Vec<f64>>,
    /// Per partner, per year: what it funds of the pool's interventions
    /// without the deal (as the model's funders).
    pub own_cost: Vec<Vec<f64>>,
    /// The future's discount factors.
    pub discount: Vec<f64>,
}

impl PoolFigures {
    fn discounted(&self, xs: &[f64]) -> f64 {
        xs.iter().zip(&self.discount).map(|(x, d)| x * d).sum()
    }

    /// Per partner: the discounted net position before the deal.
    pub fn before(&self) -> Vec<f64> {
        (self.own_saving.iter().zip(&self.own_cost))
            .map(|(s, c)| self.discounted(s) - self.discounted(c))
            .collect()
    }

    /// Per partner: the discounted net position after it.
    pub fn after(&self) -> Vec<f64> {
        (self.shared_back.iter().zip(&self.contribution))
            .map(|(s, c)| self.discounted(s) - self.discounted(c))
            .collect()
    }

    /// The partners' realised savings, discounted: what is shared back.
    pub fn realised_savings(&self) -> f64 {
        self.own_saving.iter().map(|s| self.discounted(s)).sum()
    }
}

/// The futures each pool runs in: every scenario that funds any of its
/// interventions.
pub fn pool_futures(model: &Model, accounts: &[Accounts]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for (p, pool) in model.deals.pools.iter().enumerate() {
        for (f, a) in accounts.iter().enumerate().skip(1) {
            if pool.interventions.iter().any(|i| a.plan.contains(i)) {
                pairs.push((p, f));
            }
        }
    }
    pairs
}

/// What pool `index` does in the future `future` (its accounts `scenario`
/// and comparison with do-nothing `comparison`).
pub fn pool_figures(
    model: &Model,
    index: usize,
    future: usize,
    scenario: &Accounts,
    comparison: &Comparison,
) -> PoolFigures {
    let pool = &model.deals.pools[index];
    let n = scenario.years.len();
    let in_plan: Vec<usize> = (pool.interventions.iter().copied())
        .filter(|i| scenario.plan.contains(i))
        .collect();
    let cost: Vec<f64> = (0..n)
        .map(|t| in_plan.iter().map(|&i| scenario.intervention_cost[t][i]).sum())
        .collect();
    let own_saving: Vec<Vec<f64>> = (pool.partners.iter())
        .map(|&f| comparison.by_funder[f].gross_saving.clone())
        .collect();
    let realised: Vec<f64> = (0..n).map(|t| own_saving.iter().map(|s| s[t]).sum()).collect();
    let contribution = (pool.contributions.iter())
        .map(|share| cost.iter().map(|c| c * share).collect())
        .collect();
    let shared_back = (pool.savings_shares().iter())
        .map(|share| realised.iter().map(|s| s * share).collect())
        .collect();
    let own_cost = (pool.partners.iter())
        .map(|&f| {
            (0..n)
                .map(|t| {
                    (in_plan.iter())
                        .filter(|&&i| model.interventions[i].funder == f)
                        .map(|&i| scenario.intervention_cost[t][i])
                        .sum()
                })
                .collect()
        })
        .collect();
    PoolFigures {
        pool: index,
        future,
        years: scenario.years.clone(),
        cost,
        contribution,
        own_saving,
        shared_back,
        own_cost,
        discount: scenario.discount_factor.clone(),
    }
}
