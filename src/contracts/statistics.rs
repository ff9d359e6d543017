//! The deals' rows (`contracts.csv`, the workbook's Contracts sheet, the
//! report): defined once, for a run at the inputs' means and for each
//! Monte Carlo draw; every row gets statistics over the draws, and the
//! whole-horizon rows the chances that matter to each party.

use super::{
    ContractBasis, ContractFigures, PoolFigures, all_figures, contract_basis, contract_futures, payer_positions,
};
use crate::model::Model;
use crate::montecarlo::{RowStats, row_stats};
use crate::results::{Accounts, Comparison};

/// The party of rows about a contract or pool as a whole.
pub const ALL: &str = "all";
/// The party of an outcomes contract's investor.
pub const INVESTOR: &str = "investor";

/// One row of `contracts.csv` at the inputs' means.
#[derive(Debug, Clone, PartialEq)]
pub struct DealRow {
    /// The contract's or pool's name.
    pub deal: String,
    /// `contract` or `pool`.
    pub kind: &'static str,
    pub scenario: String,
    /// `None`: the whole horizon.
    pub year: Option<i32>,
    /// `all`, `investor`, a payer or a partner.
    pub party: String,
    pub metric: String,
    /// `None`: no value (an IRR that does not exist).
    pub value: Option<f64>,
}

/// A figure of the deals: (kind, deal name, future, year (`None`: the
/// whole horizon), party, metric, value). Names are borrowed, so a draw
/// allocates none.
type Visit<'v> = dyn FnMut(&'static str, &str, usize, Option<i32>, &str, &str, Option<f64>) + 'v;

/// Calls `visit` for every whole-horizon figure of the deals, in a fixed
/// order that depends only on the model and the futures. `discounts[f]`:
/// future `f`'s discount factors.
fn visit_horizon(
    model: &Model,
    discounts: &[&[f64]],
    contracts: &[ContractFigures],
    pools: &[PoolFigures],
    visit: &mut Visit,
) {
    for c in contracts {
        let contract = &model.deals.contracts[c.contract];
        let name = contract.name.as_str();
        let mut push = |party: &str, metric: &str, value: Option<f64>| {
            visit("contract", name, c.future, None, party, metric, value)
        };
        for (tariff, outcomes) in contract.tariffs.iter().zip(&c.outcomes) {
            push(ALL, &tariff.label, Some(outcomes.iter().sum()));
        }
        let discount = discounts[c.future];
        let paid = c.total_paid();
        push(ALL, "earned_before_cap", Some(c.earned_uncapped.iter().sum()));
        push(ALL, "paid", Some(paid));
        push(
            ALL,
            "paid_discounted",
            Some(ContractFigures::discounted(&c.paid, discount)),
        );
        push(ALL, "outcome_cap", c.outcome_cap);
        push(ALL, "cap_binds", Some(f64::from(u8::from(c.cap_binds))));
        push(INVESTOR, "capital", Some(c.total_capital()));
        push(INVESTOR, "received", Some(paid));
        push(INVESTOR, "net", Some(paid - c.total_capital()));
        push(INVESTOR, "irr", super::irr::irr(&c.investor_window(contract)));
        push(INVESTOR, "money_multiple", c.money_multiple());
        push(INVESTOR, "maximum_loss", Some(c.maximum_loss()));
        for (k, (payer, (paid, net))) in contract.payers.iter().zip(payer_positions(c, discount)).enumerate() {
            push(&payer.name, "paid", Some(c.paid_by[k].iter().sum()));
            push(&payer.name, "paid_discounted", Some(paid));
            push(&payer.name, "saving_discounted", Some(net + paid));
            push(&payer.name, "net_position_discounted", Some(net));
        }
    }
    for p in pools {
        let pool = &model.deals.pools[p.pool];
        let name = pool.name.as_str();
        let mut push =
            |party: &str, metric: &str, value: f64| visit("pool", name, p.future, None, party, metric, Some(value));
        push(
            ALL,
            "cost_discounted",
            p.cost.iter().zip(&p.discount).map(|(c, d)| c * d).sum(),
        );
        push(ALL, "realised_saving_discounted", p.realised_savings());
        let (before, after) = (p.before(), p.after());
        for (k, &f) in pool.partners.iter().enumerate() {
            let partner = model.funders[f].as_str();
            push(partner, "net_before", before[k]);
            push(partner, "net_after", after[k]);
            push(partner, "change", after[k] - before[k]);
        }
    }
}

/// Calls `visit` for every figure of the deals: each contract's and pool's
/// yearly cash flows, then the whole-horizon figures, in a fixed order that
/// depends only on the model and the futures.
fn visit_rows(
    model: &Model,
    discounts: &[&[f64]],
    contracts: &[ContractFigures],
    pools: &[PoolFigures],
    visit: &mut Visit,
) {
    for c in contracts {
        let contract = &model.deals.contracts[c.contract];
        let investor = c.investor_flow();
        for (t, &year) in c.years.iter().enumerate() {
            let mut push = |party: &str, metric: &str, value: f64| {
                visit(
                    "contract",
                    &contract.name,
                    c.future,
                    Some(year),
                    party,
                    metric,
                    Some(value),
                )
            };
            for (tariff, outcomes) in contract.tariffs.iter().zip(&c.outcomes) {
                push(ALL, &tariff.label, outcomes[t]);
            }
            push(ALL, "earned_before_cap", c.earned_uncapped[t]);
            push(ALL, "earned", c.earned[t]);
            push(ALL, "fee", c.fee[t]);
            push(ALL, "paid", c.paid[t]);
            for (k, payer) in contract.payers.iter().enumerate() {
                let saving = c.payer_saving_by_year[k].get(t).copied().unwrap_or(0.0);
                push(&payer.name, "paid", c.paid_by[k][t]);
                push(&payer.name, "saving", saving);
                push(&payer.name, "cash_flow", saving - c.paid_by[k][t]);
            }
            push(INVESTOR, "capital", c.capital[t]);
            push(INVESTOR, "cash_flow", investor[t]);
        }
    }
    for p in pools {
        let pool = &model.deals.pools[p.pool];
        for (t, &year) in p.years.iter().enumerate() {
            let mut push = |party: &str, metric: &str, value: f64| {
                visit("pool", &pool.name, p.future, Some(year), party, metric, Some(value))
            };
            push(ALL, "cost", p.cost[t]);
            for (k, &f) in pool.partners.iter().enumerate() {
                let partner = model.funders[f].as_str();
                push(partner, "contribution", p.contribution[k][t]);
                push(partner, "own_saving", p.own_saving[k][t]);
                push(partner, "shared_back", p.shared_back[k][t]);
                push(partner, "cash_flow", p.shared_back[k][t] - p.contribution[k][t]);
            }
        }
    }
    visit_horizon(model, discounts, contracts, pools, visit);
}

/// Every row of the deals at the inputs' means: each contract's and pool's
/// yearly cash flows, then its whole-horizon figures.
pub fn deal_rows(model: &Model, accounts: &[Accounts], comparisons: &[Comparison]) -> Vec<DealRow> {
    let (contracts, pools) = all_figures(model, accounts, comparisons);
    rows_of(model, accounts, &contracts, &pools)
}

/// Each future's discount factors, by index.
fn discounts(accounts: &[Accounts]) -> Vec<&[f64]> {
    accounts.iter().map(|a| a.discount_factor.as_slice()).collect()
}

/// The rows of `contracts` and `pools` in the futures `accounts`.
fn rows_of(model: &Model, accounts: &[Accounts], contracts: &[ContractFigures], pools: &[PoolFigures]) -> Vec<DealRow> {
    let mut rows = Vec::new();
    visit_rows(
        model,
        &discounts(accounts),
        contracts,
        pools,
        &mut |kind, deal, future, year, party, metric, value| {
            rows.push(DealRow {
                deal: deal.to_string(),
                kind,
                scenario: accounts[future].scenario.clone(),
                year,
                party: party.to_string(),
                metric: metric.to_string(),
                value,
            })
        },
    );
    rows
}

/// One draw's figures of the deals (NaN where none), in the order of
/// `deal_rows`. `accounts` are the draw's reported futures, the baseline
/// first. Empty without deals.
pub fn draw_figures(model: &Model, accounts: &[Accounts]) -> Vec<f64> {
    if model.deals.is_empty() {
        return Vec::new();
    }
    let comparisons: Vec<Comparison> = accounts[1..]
        .iter()
        .map(|a| Comparison::of(model, &accounts[0], a))
        .collect();
    let (contracts, pools) = all_figures(model, accounts, &comparisons);
    let mut values = Vec::new();
    visit_rows(
        model,
        &discounts(accounts),
        &contracts,
        &pools,
        &mut |_, _, _, _, _, _, value| values.push(value.unwrap_or(f64::NAN)),
    );
    values
}

/// The rows of the outcomes contracts alone at the inputs' means (those of
/// `deal_rows` about contracts, in its order): what [`figures_from_bases`]
/// gives per draw.
pub fn contract_rows(model: &Model, accounts: &[Accounts], comparisons: &[Comparison]) -> Vec<DealRow> {
    let (contracts, _) = all_figures(model, accounts, comparisons);
    rows_of(model, accounts, &contracts, &[])
}

/// One draw's outcomes contracts before their prices and caps, flat: per
/// contract and future that runs it (`contract_futures`), its
/// [`ContractBasis`] and the future's discount factors. With
/// [`figures_from_bases`], new terms need no new simulation. Empty without
/// contracts.
pub fn draw_bases(model: &Model, accounts: &[Accounts]) -> Vec<f64> {
    let mut out = Vec::new();
    if model.deals.contracts.is_empty() {
        return out;
    }
    for (c, f) in contract_futures(model, accounts) {
        let comparison = Comparison::of(model, &accounts[0], &accounts[f]);
        let basis = contract_basis(model, c, f, &accounts[0], &accounts[f], &comparison);
        for outcomes in &basis.outcomes {
            out.extend_from_slice(outcomes);
        }
        out.push(basis.participant_years);
        out.extend_from_slice(&basis.capital);
        out.extend_from_slice(&basis.payer_saving);
        for saving in &basis.payer_saving_by_year {
            out.extend_from_slice(saving);
        }
        out.extend_from_slice(&accounts[f].discount_factor);
    }
    out
}

/// One draw's figures of [`contract_rows`] (NaN where none), from its
/// [`draw_bases`] `flat`, under `model`'s contract terms. `accounts`: the
/// run's futures (at the means), which say which contract runs in which
/// future and how many years there are; `None` when `flat` is not of their
/// shape.
pub fn figures_from_bases(model: &Model, accounts: &[Accounts], flat: &[f64]) -> Option<Vec<f64>> {
    let n = accounts.first()?.years.len();
    let mut rest = flat;
    let mut take = |k: usize| -> Option<&[f64]> {
        let (head, tail) = (rest.get(..k)?, rest.get(k..)?);
        rest = tail;
        Some(head)
    };
    let mut contracts = Vec::new();
    let mut discount: Vec<Vec<f64>> = vec![Vec::new(); accounts.len()];
    for (c, f) in contract_futures(model, accounts) {
        let contract = &model.deals.contracts[c];
        let outcomes = (0..contract.tariffs.len())
            .map(|_| take(n).map(<[f64]>::to_vec))
            .collect::<Option<Vec<_>>>()?;
        let participant_years = take(1)?[0];
        let capital = take(n)?.to_vec();
        let payer_saving = take(contract.payers.len())?.to_vec();
        let payer_saving_by_year = (0..contract.payers.len())
            .map(|_| take(n).map(<[f64]>::to_vec))
            .collect::<Option<Vec<_>>>()?;
        discount[f] = take(n)?.to_vec();
        let t0 = (contract.start_year - model.start_year).max(0) as usize;
        let basis = ContractBasis {
            contract: c,
            future: f,
            years: accounts[f].years.clone(),
            window: t0.min(n)..(t0 + contract.years as usize).min(n),
            outcomes,
            participant_years,
            capital,
            payer_saving,
            payer_saving_by_year,
        };
        contracts.push(basis.figures(contract));
    }
    if !rest.is_empty() {
        return None;
    }
    let discounts: Vec<&[f64]> = discount.iter().map(Vec::as_slice).collect();
    let mut values = Vec::new();
    visit_rows(model, &discounts, &contracts, &[], &mut |_, _, _, _, _, _, value| {
        values.push(value.unwrap_or(f64::NAN))
    });
    Some(values)
}

/// The deals' figures over the draws: statistics for each row (in the
/// order of `deal_rows`: the distribution of every year's payments too) and,
/// for whole-horizon rows, the chances that matter to each party.
#[derive(Debug, Clone, PartialEq)]
pub struct DealStatistics {
    pub draws: usize,
    pub percentiles: Vec<f64>,
    /// Per row of `deal_rows`: its statistics.
    pub rows: Vec<RowStats>,
    /// (row index of the figure it is about, metric, probability).
    pub probabilities: Vec<(usize, &'static str, f64)>,
}

impl DealStatistics {
    /// From each draw's `draw_figures` and the rows they follow (`deal_rows`).
    pub fn new(rows: &[DealRow], per_draw: &[&[f64]], percentiles: &[f64]) -> DealStatistics {
        let column =
            |j: usize| -> Vec<f64> { per_draw.iter().map(|d| d.get(j).copied().unwrap_or(f64::NAN)).collect() };
        let share = |j: usize, test: &dyn Fn(f64) -> bool| {
            let c = column(j);
            c.iter().filter(|&&x| test(x)).count() as f64 / c.len().max(1) as f64
        };
        let mut probabilities = Vec::new();
        for (j, row) in rows.iter().enumerate().filter(|(_, r)| r.year.is_none()) {
            match (row.party.as_str(), row.metric.as_str()) {
                (INVESTOR, "net") => probabilities.push((j, "prob_investor_loses", share(j, &|x| x < 0.0))),
                (ALL, "cap_binds") => probabilities.push((j, "prob_cap_binds", share(j, &|x| x > 0.5))),
                (_, "net_position_discounted") => {
                    probabilities.push((j, "prob_pays_more_than_saves", share(j, &|x| x < 0.0)))
                }
                (_, "change") => probabilities.push((j, "prob_worse_off_after", share(j, &|x| x < 0.0))),
                (_, "net_after") => probabilities.push((j, "prob_net_after_negative", share(j, &|x| x < 0.0))),
                _ => {}
            }
        }
        DealStatistics {
            draws: per_draw.len(),
            percentiles: percentiles.to_vec(),
            rows: (0..rows.len()).map(|j| row_stats(&column(j), percentiles)).collect(),
            probabilities,
        }
    }
}

/// The deals of a run: every row at the inputs' means and, with draws,
/// every row's statistics. Empty without deals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DealResults {
    pub rows: Vec<DealRow>,
    pub statistics: Option<DealStatistics>,
}

impl DealResults {
    /// `per_draw`: each draw's `draw_figures`, and the percentiles reported.
    pub fn new(
        model: &Model,
        accounts: &[Accounts],
        comparisons: &[Comparison],
        per_draw: Option<(&[&[f64]], &[f64])>,
    ) -> DealResults {
        if model.deals.is_empty() {
            return DealResults::default();
        }
        let rows = deal_rows(model, accounts, comparisons);
        let statistics = per_draw.map(|(draws, percentiles)| DealStatistics::new(&rows, draws, percentiles));
        DealResults { rows, statistics }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The whole-horizon rows, each with its index in `rows` (and in the
    /// statistics' rows).
    pub fn horizon(&self) -> impl Iterator<Item = (usize, &DealRow)> {
        self.rows.iter().enumerate().filter(|(_, r)| r.year.is_none())
    }
}
