//! Accounts: what each future means in people and money, year by year, and
//! how each scenario compares with the do-nothing baseline ("who pays, who
//! saves").
//!
//! Accounting: person-years per step are counted by the model's occupancy
//! convention; activity = person-years × use; spend = activity × unit cost.
//! Intervention cost = participant-years × cost per participant + fixed
//! cost, and counts in the intervention's tier and funder.

pub mod rows;

use crate::model::{Model, Tier};
use crate::run::Future;

/// One future's yearly accounts. Outer vectors are per simulated year.
#[derive(Debug, Clone)]
pub struct Accounts {
    pub scenario: String,
    /// The interventions this future funds (indices into the model's).
    pub plan: Vec<usize>,
    pub years: Vec<i32>,
    /// Discount factor of each year (by the future's model's rate and timing).
    pub discount_factor: Vec<f64>,
    /// People at the end of each year, by level / band / in all.
    pub people_level: Vec<Vec<f64>>,
    pub people_band: Vec<Vec<f64>>,
    pub people_total: Vec<f64>,
    pub entries: Vec<f64>,
    pub exits: Vec<f64>,
    pub aged_out: Vec<f64>,
    pub migration: Vec<f64>,
    /// Transition flows summed over bands, per from × to.
    pub flows: Vec<Vec<f64>>,
    pub activity: Vec<Vec<f64>>,
    pub spend_service: Vec<Vec<f64>>,
    pub participants: Vec<Vec<f64>>,
    pub intervention_cost: Vec<Vec<f64>>,
    /// Service and intervention spend per tier (index by `Tier::index`).
    pub spend_tier: Vec<[f64; 4]>,
    /// Service and intervention spend per funder.
    pub spend_funder: Vec<Vec<f64>>,
    /// Intervention cost per funder.
    pub investment_funder: Vec<Vec<f64>>,
    pub spend_services_total: Vec<f64>,
    pub intervention_cost_total: Vec<f64>,
    pub spend_preventative: Vec<f64>,
    pub spend_acute: Vec<f64>,
    pub spend_total: Vec<f64>,
}

impl Accounts {
    /// The accounts of a future run with its model's own numbers.
    pub fn of(future: &Future) -> Accounts {
        let model = future.model;
        let unit_costs: Vec<f64> = model.services.iter().map(|s| s.unit_cost).collect();
        Accounts::compute(
            model,
            &future.name,
            &future.plan,
            &future.trajectory,
            &unit_costs,
            model.discount_rate,
        )
    }

    /// The accounts of `trajectory`, a run of `model` with the interventions
    /// `plan`, pricing activity at `unit_costs` and discounting at `discount_rate`
    /// (a Monte Carlo draw's own values).
    pub fn compute(
        model: &Model,
        name: &str,
        plan: &[usize],
        trajectory: &crate::engine::Trajectory,
        unit_costs: &[f64],
        discount_rate: f64,
    ) -> Accounts {
        let nl = model.levels.len();
        let nb = model.bands.len();
        let nf = model.funders.len();
        let mut a = Accounts {
            scenario: name.to_string(),
            plan: plan.to_vec(),
            years: vec![],
            discount_factor: vec![],
            people_level: vec![],
            people_band: vec![],
            people_total: vec![],
            entries: vec![],
            exits: vec![],
            aged_out: vec![],
            migration: vec![],
            flows: vec![],
            activity: vec![],
            spend_service: vec![],
            participants: vec![],
            intervention_cost: vec![],
            spend_tier: vec![],
            spend_funder: vec![],
            investment_funder: vec![],
            spend_services_total: vec![],
            intervention_cost_total: vec![],
            spend_preventative: vec![],
            spend_acute: vec![],
            spend_total: vec![],
        };
        for (t, y) in trajectory.years.iter().enumerate() {
            a.years.push(y.year);
            a.discount_factor
                .push(model.discount_timing.factor(discount_rate, t as u32 + 1));
            let mut by_level = vec![0.0; nl];
            let mut by_band = vec![0.0; nb];
            for (c, p) in y.people_end.iter().enumerate() {
                by_level[c % nl] += p;
                by_band[c / nl] += p;
            }
            a.people_total.push(by_level.iter().sum());
            a.people_level.push(by_level);
            a.people_band.push(by_band);
            a.entries.push(y.entries.iter().sum());
            a.exits.push(y.exits.iter().sum());
            a.aged_out.push(y.aged_out.iter().sum());
            a.migration.push(y.migration.iter().sum());
            let mut flows = vec![0.0; nl * nl];
            for (i, f) in y.flows.iter().enumerate() {
                flows[i % (nl * nl)] += f;
            }
            a.flows.push(flows);

            let mut tier = [0.0; 4];
            let mut funder = vec![0.0; nf];
            let mut investment = vec![0.0; nf];
            let spend: Vec<f64> = model
                .services
                .iter()
                .enumerate()
                .zip(&y.activity)
                .map(|((s, _), act)| act * unit_costs[s])
                .collect();
            for (s, amount) in model.services.iter().zip(&spend) {
                tier[s.tier.index()] += amount;
                funder[s.funder] += amount;
            }
            for (iv, cost) in model.interventions.iter().zip(&y.intervention_cost) {
                tier[iv.tier.index()] += cost;
                funder[iv.funder] += cost;
                investment[iv.funder] += cost;
            }
            let services_total: f64 = spend.iter().sum();
            let interventions_total: f64 = y.intervention_cost.iter().sum();
            a.spend_services_total.push(services_total);
            a.intervention_cost_total.push(interventions_total);
            a.spend_total.push(services_total + interventions_total);
            a.spend_preventative.push(
                Tier::ALL
                    .iter()
                    .filter(|t| t.is_preventative())
                    .map(|t| tier[t.index()])
                    .sum(),
            );
            a.spend_acute.push(tier[Tier::Acute.index()]);
            a.spend_tier.push(tier);
            a.spend_funder.push(funder);
            a.investment_funder.push(investment);
            a.activity.push(y.activity.clone());
            a.spend_service.push(spend);
            a.participants.push(y.participants.clone());
            a.intervention_cost.push(y.intervention_cost.clone());
        }
        a
    }
}

/// Savings of one funder (or of everyone) against the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Savings {
    /// Baseline service spend − scenario service spend, per year.
    pub gross_saving: Vec<f64>,
    /// Intervention cost, per year.
    pub investment: Vec<f64>,
    /// Gross saving − investment = baseline spend − scenario spend.
    pub net_saving: Vec<f64>,
    pub net_saving_discounted: Vec<f64>,
    pub net_saving_cumulative: Vec<f64>,
    pub net_saving_cumulative_discounted: Vec<f64>,
    /// Discounted net saving over the horizon.
    pub npv: f64,
    pub discounted_gross_saving: f64,
    pub discounted_investment: f64,
    /// First year, from the first year with any investment, from which the
    /// cumulative discounted net saving stays ≥ 0 to the horizon. `None`
    /// when it never does, or when there is no investment.
    pub break_even_year: Option<i32>,
}

impl Savings {
    fn new(years: &[i32], discount: &[f64], gross: Vec<f64>, investment: Vec<f64>, scale: f64) -> Savings {
        let net: Vec<f64> = gross.iter().zip(&investment).map(|(g, i)| g - i).collect();
        let net_d: Vec<f64> = net.iter().zip(discount).map(|(n, d)| n * d).collect();
        let cumulative = running_sum(&net);
        let cumulative_d = running_sum(&net_d);
        let discounted_gross_saving = gross.iter().zip(discount).map(|(g, d)| g * d).sum();
        let discounted_investment = investment.iter().zip(discount).map(|(i, d)| i * d).sum();
        // Sums of large spends leave rounding of about 1e-12 of them.
        let tolerance = 1e-9 * (1.0 + scale);
        let first_investment = investment.iter().position(|&i| i > 0.0);
        let break_even_year = first_investment.and_then(|start| {
            let last_negative = cumulative_d.iter().rposition(|&c| c < -tolerance);
            let from = match last_negative {
                None => start,
                Some(i) => (i + 1).max(start),
            };
            years.get(from).copied()
        });
        Savings {
            npv: cumulative_d.last().copied().unwrap_or(0.0),
            gross_saving: gross,
            investment,
            net_saving: net,
            net_saving_discounted: net_d,
            net_saving_cumulative: cumulative,
            net_saving_cumulative_discounted: cumulative_d,
            discounted_gross_saving,
            discounted_investment,
            break_even_year,
        }
    }

    /// Discounted gross saving per pound of discounted investment.
    pub fn return_per_pound(&self) -> Option<f64> {
        self.return_per_pound_of(self.discounted_investment)
    }

    /// Discounted gross saving per pound of a given discounted investment
    /// (a funder's share of the return on the whole scenario's investment).
    pub fn return_per_pound_of(&self, discounted_investment: f64) -> Option<f64> {
        (discounted_investment > 0.0).then(|| self.discounted_gross_saving / discounted_investment)
    }
}

fn running_sum(xs: &[f64]) -> Vec<f64> {
    xs.iter()
        .scan(0.0, |acc, x| {
            *acc += x;
            Some(*acc)
        })
        .collect()
}

/// A scenario against the baseline: in all, and per funder.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub scenario: String,
    pub total: Savings,
    /// Per funder (index as `Model::funders`). A funder's return per £1
    /// (`return_per_pound_of(total.discounted_investment)`) is its discounted
    /// gross saving over the scenario's whole discounted investment, so the
    /// funders' returns add up to the total.
    pub by_funder: Vec<Savings>,
}

impl Comparison {
    /// Compares `scenario` with `baseline`, discounting by the scenario
    /// model's rate and timing.
    pub fn of(model: &Model, baseline: &Accounts, scenario: &Accounts) -> Comparison {
        let diff = |b: &[f64], s: &[f64]| -> Vec<f64> { b.iter().zip(s).map(|(b, s)| b - s).collect() };
        let years = &scenario.years;
        let discount = &scenario.discount_factor;
        let scale = baseline.spend_total.iter().map(|x| x.abs()).sum::<f64>();
        let total = Savings::new(
            years,
            discount,
            diff(&baseline.spend_services_total, &scenario.spend_services_total),
            scenario.intervention_cost_total.clone(),
            scale,
        );
        let by_funder = (0..model.funders.len())
            .map(|f| {
                let column = |a: &Accounts| -> Vec<f64> {
                    a.spend_funder
                        .iter()
                        .zip(&a.investment_funder)
                        .map(|(s, i)| s[f] - i[f])
                        .collect()
                };
                let investment: Vec<f64> = scenario.investment_funder.iter().map(|i| i[f]).collect();
                Savings::new(
                    years,
                    discount,
                    diff(&column(baseline), &column(scenario)),
                    investment,
                    scale,
                )
            })
            .collect();
        Comparison {
            scenario: scenario.scenario.clone(),
            total,
            by_funder,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn break_even_is_the_year_from_which_cumulative_saving_stays_non_negative() {
        // Invest 100 in year 1, save 60 a year from year 1, no discounting.
        let years = [2025, 2026, 2027, 2028];
        let d = [1.0; 4];
        let s = Savings::new(&years, &d, vec![60.0; 4], vec![100.0, 0.0, 0.0, 0.0], 1.0);
        assert_eq!(s.net_saving_cumulative, vec![-40.0, 20.0, 80.0, 140.0]);
        assert_eq!(s.break_even_year, Some(2026));
        assert_eq!(s.return_per_pound(), Some(2.4));
        // Never pays back.
        let s = Savings::new(&years, &d, vec![10.0; 4], vec![100.0, 0.0, 0.0, 0.0], 1.0);
        assert_eq!(s.break_even_year, None);
        // Investment starting later: the quiet years before it do not count.
        let s = Savings::new(&years, &d, vec![0.0, 0.0, 50.0, 50.0], vec![0.0, 0.0, 40.0, 40.0], 1.0);
        assert_eq!(s.break_even_year, Some(2027));
    }

    #[test]
    fn discounting_by_hand() {
        // Net saving of 100 in each of years 1 and 2 at 3.5 %, end-of-year timing.
        let r: f64 = 0.035;
        let d = [1.0 / (1.0 + r), 1.0 / (1.0 + r).powi(2)];
        let s = Savings::new(&[2025, 2026], &d, vec![150.0, 100.0], vec![50.0, 0.0], 1.0);
        let npv = 100.0 / 1.035 + 100.0 / 1.035f64.powi(2);
        assert!((s.npv - npv).abs() < 1e-12);
        assert!((s.net_saving_cumulative_discounted[0] - 100.0 / 1.035).abs() < 1e-12);
    }
}
