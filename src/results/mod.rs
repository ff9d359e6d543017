//! Accounts: what each future means in people and money, year by year, and
//! how each scenario compares with the do-nothing baseline ("who pays, who
//! saves").
//!
//! Accounting: person-years per step are counted by the model's occupancy
//! convention; activity = person-years × use; spend = activity × unit cost.
//! Intervention cost = participant-years × cost per participant + fixed
//! cost, and counts in the intervention's tier and funder.

pub mod cost_effectiveness;
pub mod outcomes;
pub mod rows;
pub mod supply;

use crate::engine::LaneTrajectory;
use crate::model::{Model, Tier};
use crate::run::Future;

/// Rows of equal width, one per simulated year, in one allocation:
/// `grid[t]` is year `t`'s row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grid {
    width: usize,
    data: Vec<f64>,
}

impl Grid {
    /// Empties the grid (keeping its memory) for rows of `width`.
    pub fn reset(&mut self, width: usize) {
        self.width = width;
        self.data.clear();
    }

    /// Appends a row of zeros and returns it.
    pub fn push_zeros(&mut self) -> &mut [f64] {
        let start = self.data.len();
        self.data.resize(start + self.width, 0.0);
        &mut self.data[start..]
    }

    pub fn rows(&self) -> usize {
        self.data.len().checked_div(self.width).unwrap_or(0)
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Adds `other` (of the same shape) cell by cell.
    fn add(&mut self, other: &Grid) {
        debug_assert_eq!((self.width, self.data.len()), (other.width, other.data.len()));
        for (a, b) in self.data.iter_mut().zip(&other.data) {
            *a += b;
        }
    }
}

impl std::ops::Index<usize> for Grid {
    type Output = [f64];

    fn index(&self, t: usize) -> &[f64] {
        &self.data[t * self.width..(t + 1) * self.width]
    }
}

/// One future's yearly accounts. Outer vectors are per simulated year.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    pub scenario: String,
    /// The interventions this future funds (indices into the model's).
    pub plan: Vec<usize>,
    pub years: Vec<i32>,
    /// Discount factor of each year (by the future's model's rate and timing).
    pub discount_factor: Vec<f64>,
    /// The rate and timing `discount_factor` was worked out for (refilled
    /// accounts keep their factors when these are unchanged).
    discounted_at: Option<(u64, crate::model::DiscountTiming)>,
    /// People at the end of each year, by level / band / in all.
    pub people_level: Grid,
    pub people_band: Grid,
    pub people_total: Vec<f64>,
    pub entries: Vec<f64>,
    pub exits: Vec<f64>,
    pub aged_out: Vec<f64>,
    pub migration: Vec<f64>,
    /// Transition flows summed over bands, per from × to.
    pub flows: Grid,
    pub activity: Grid,
    pub spend_service: Grid,
    pub participants: Grid,
    pub intervention_cost: Grid,
    /// Service and intervention spend per tier (index by `Tier::index`).
    pub spend_tier: Vec<[f64; 4]>,
    /// Service and intervention spend per funder.
    pub spend_funder: Grid,
    /// Intervention cost per funder.
    pub investment_funder: Grid,
    pub spend_services_total: Vec<f64>,
    pub intervention_cost_total: Vec<f64>,
    pub spend_preventative: Vec<f64>,
    pub spend_acute: Vec<f64>,
    pub spend_total: Vec<f64>,
    /// The supply side's figures (empty without capacities).
    pub supply: supply::SupplyAccounts,
    /// Health figures (empty without `[outcomes]`).
    pub outcomes: outcomes::OutcomeAccounts,
    /// With `discount_timing = "per_time_point"`, each year's money
    /// discounted figure by figure (each time point at its own time);
    /// empty otherwise, when a year's discounted money is its figure ×
    /// `discount_factor` (see [`Accounts::discounted`]).
    pub discounted: DiscountedMoney,
}

/// A year's money figures, by service, intervention and funder, and in all.
#[derive(Debug, Clone, Default)]
pub struct DiscountedMoney {
    pub spend_service: Grid,
    pub intervention_cost: Grid,
    pub spend_funder: Grid,
    pub investment_funder: Grid,
    pub spend_services_total: Vec<f64>,
    pub intervention_cost_total: Vec<f64>,
    pub spend_total: Vec<f64>,
}

impl DiscountedMoney {
    fn clear(&mut self, model: &Model) {
        self.spend_service.reset(model.services.len());
        self.intervention_cost.reset(model.interventions.len());
        self.spend_funder.reset(model.funders.len());
        self.investment_funder.reset(model.funders.len());
        self.spend_services_total.clear();
        self.intervention_cost_total.clear();
        self.spend_total.clear();
    }

    /// Appends year `t`'s figures from the trajectory's figures discounted
    /// within the year (`block`: each service's activity, then each
    /// intervention's cost), × `start`, the year's start factor.
    fn push_year(&mut self, model: &Model, block: &[f64], unit_costs: &[f64], start: f64) {
        let ns = model.services.len();
        let mut tier = [0.0; 4];
        let (services_total, interventions_total) = price_year(
            model,
            (unit_costs, start),
            (&|s| block[s], &|i| block[ns + i]),
            YearMoney {
                spend: self.spend_service.push_zeros(),
                costs: self.intervention_cost.push_zeros(),
                funder: self.spend_funder.push_zeros(),
                investment: self.investment_funder.push_zeros(),
                tier: &mut tier,
            },
        );
        self.spend_services_total.push(services_total);
        self.intervention_cost_total.push(interventions_total);
        self.spend_total.push(services_total + interventions_total);
    }

    fn add(&mut self, other: &DiscountedMoney) {
        for (a, b) in [
            (&mut self.spend_service, &other.spend_service),
            (&mut self.intervention_cost, &other.intervention_cost),
            (&mut self.spend_funder, &other.spend_funder),
            (&mut self.investment_funder, &other.investment_funder),
        ] {
            a.add(b);
        }
        for (a, b) in [
            (&mut self.spend_services_total, &other.spend_services_total),
            (&mut self.intervention_cost_total, &other.intervention_cost_total),
            (&mut self.spend_total, &other.spend_total),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }
}

/// Where one year's money goes: spend per service, cost per intervention,
/// spend and investment per funder, spend per tier.
struct YearMoney<'a> {
    spend: &'a mut [f64],
    costs: &'a mut [f64],
    funder: &'a mut [f64],
    investment: &'a mut [f64],
    tier: &'a mut [f64; 4],
}

/// One year's money from each service's activity (× its unit cost ×
/// `scale`) and each intervention's cost (× `scale`), into `out`; returns
/// the services' and the interventions' totals. (A scale of 1 leaves every
/// figure as the year's own: a product with 1 is exact.)
fn price_year(
    model: &Model,
    (unit_costs, scale): (&[f64], f64),
    (activity, cost): (&dyn Fn(usize) -> f64, &dyn Fn(usize) -> f64),
    out: YearMoney<'_>,
) -> (f64, f64) {
    for (s, service) in model.services.iter().enumerate() {
        out.spend[s] = activity(s) * unit_costs[s] * scale;
        out.tier[service.tier.index()] += out.spend[s];
        out.funder[service.funder] += out.spend[s];
    }
    let services_total: f64 = out.spend.iter().sum();
    for (i, iv) in model.interventions.iter().enumerate() {
        out.costs[i] = cost(i) * scale;
        out.tier[iv.tier.index()] += out.costs[i];
        out.funder[iv.funder] += out.costs[i];
        out.investment[iv.funder] += out.costs[i];
    }
    (services_total, out.costs.iter().sum())
}

/// A future's money figures by year, as the accounts keep them
/// ([`Accounts::money`]) or discounted figure by figure
/// ([`DiscountedMoney`]): what a discounted sum reads.
#[derive(Debug, Clone, Copy)]
pub struct Money<'a> {
    pub spend_service: &'a Grid,
    pub intervention_cost: &'a Grid,
    pub spend_funder: &'a Grid,
    pub investment_funder: &'a Grid,
    pub spend_services_total: &'a [f64],
    pub intervention_cost_total: &'a [f64],
    pub spend_total: &'a [f64],
}

impl Accounts {
    /// The accounts of a future run with its model's own numbers.
    pub fn of(future: &Future) -> Accounts {
        let model = future.model;
        let unit_costs: Vec<f64> = model.services.iter().map(|s| s.unit_cost).collect();
        let lanes = LaneTrajectory::<1>::from_trajectory(model, &future.trajectory);
        let mut a = Accounts::default();
        a.compute(
            model,
            &future.name,
            &future.plan,
            &lanes,
            0,
            &unit_costs,
            model.discount_rate,
        );
        a
    }

    /// Fills these accounts (reusing their memory) from lane `lane` of
    /// `trajectory`, a run of `model` with the interventions `plan`, pricing
    /// activity at `unit_costs` and discounting at `discount_rate` (a Monte
    /// Carlo draw's own values).
    #[allow(clippy::too_many_arguments)]
    pub fn compute<const W: usize>(
        &mut self,
        model: &Model,
        name: &str,
        plan: &[usize],
        trajectory: &LaneTrajectory<W>,
        lane: usize,
        unit_costs: &[f64],
        discount_rate: f64,
    ) {
        let nl = model.levels.len();
        let nb = model.bands.len();
        let nf = model.funders.len();
        let ns = model.services.len();
        let ni = model.interventions.len();
        let a = self;
        a.scenario.clear();
        a.scenario.push_str(name);
        a.plan.clear();
        a.plan.extend_from_slice(plan);
        // The factors are worked out again only for another rate, timing or horizon.
        let at = Some((discount_rate.to_bits(), model.discount_timing));
        if a.discounted_at != at || a.discount_factor.len() != model.horizon_years as usize {
            a.discounted_at = at;
            a.discount_factor.clear();
            a.discount_factor
                .extend((0..model.horizon_years).map(|t| model.discount_timing.factor(discount_rate, t + 1)));
        }
        for v in [
            &mut a.people_total,
            &mut a.entries,
            &mut a.exits,
            &mut a.aged_out,
            &mut a.migration,
            &mut a.spend_services_total,
            &mut a.intervention_cost_total,
            &mut a.spend_preventative,
            &mut a.spend_acute,
            &mut a.spend_total,
        ] {
            v.clear();
        }
        a.years.clear();
        a.spend_tier.clear();
        a.people_level.reset(nl);
        a.people_band.reset(nb);
        a.flows.reset(nl * nl);
        a.activity.reset(ns);
        a.spend_service.reset(ns);
        a.participants.reset(ni);
        a.intervention_cost.reset(ni);
        a.spend_funder.reset(nf);
        a.investment_funder.reset(nf);
        for (t, year) in model.years().enumerate() {
            a.years.push(year);
            let by_level = a.people_level.push_zeros();
            for (sum, p) in by_level.iter_mut().zip(&trajectory.level_end[t * nl..(t + 1) * nl]) {
                *sum = p[lane];
            }
            let by_band = a.people_band.push_zeros();
            for (sum, p) in by_band.iter_mut().zip(&trajectory.band_end[t * nb..(t + 1) * nb]) {
                *sum = p[lane];
            }
            a.people_total.push(a.people_level[t].iter().sum());
            a.entries.push(trajectory.entries_total[t][lane]);
            a.exits.push(trajectory.exits_total[t][lane]);
            a.aged_out.push(trajectory.aged_out_total[t][lane]);
            a.migration.push(trajectory.migration_total[t][lane]);
            {
                let flows = a.flows.push_zeros();
                let from = t * nl * nl;
                for (sum, f) in flows.iter_mut().zip(&trajectory.level_flows[from..from + nl * nl]) {
                    *sum = f[lane];
                }
            }

            let mut tier = [0.0; 4];
            let activity = a.activity.push_zeros();
            for (s, x) in activity.iter_mut().enumerate() {
                *x = trajectory.activity[t * ns + s][lane];
            }
            let participants = a.participants.push_zeros();
            for (i, x) in participants.iter_mut().enumerate() {
                *x = trajectory.participants[t * ni + i][lane];
            }
            let (services_total, interventions_total) = price_year(
                model,
                (unit_costs, 1.0),
                (&|s| activity[s], &|i| trajectory.intervention_cost[t * ni + i][lane]),
                YearMoney {
                    spend: a.spend_service.push_zeros(),
                    costs: a.intervention_cost.push_zeros(),
                    funder: a.spend_funder.push_zeros(),
                    investment: a.investment_funder.push_zeros(),
                    tier: &mut tier,
                },
            );
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
        }
        a.supply.compute(model, trajectory, lane, unit_costs);
        a.outcomes.compute(model, trajectory, lane);
        a.discounted.clear(model);
        let width = crate::engine::discounted_figures(model);
        if width > 0 {
            let mut block = vec![0.0; width];
            for t in 0..model.horizon_years as usize {
                for (b, x) in block.iter_mut().zip(&trajectory.discounted[t * width..(t + 1) * width]) {
                    *b = x[lane];
                }
                let start = (1.0 + discount_rate).powf(-(t as f64));
                a.discounted.push_year(model, &block, unit_costs, start);
                a.outcomes
                    .push_discounted(model, &block[model.services.len() + model.interventions.len()..], t);
            }
        }
    }

    /// The money figures as kept: undiscounted, year by year.
    pub fn money(&self) -> Money<'_> {
        Money {
            spend_service: &self.spend_service,
            intervention_cost: &self.intervention_cost,
            spend_funder: &self.spend_funder,
            investment_funder: &self.investment_funder,
            spend_services_total: &self.spend_services_total,
            intervention_cost_total: &self.intervention_cost_total,
            spend_total: &self.spend_total,
        }
    }

    /// The money figures discounted figure by figure, when each time point
    /// is discounted at its own time (`None` otherwise).
    pub fn discounted_money(&self) -> Option<Money<'_>> {
        let d = &self.discounted;
        (!d.spend_total.is_empty()).then_some(Money {
            spend_service: &d.spend_service,
            intervention_cost: &d.intervention_cost,
            spend_funder: &d.spend_funder,
            investment_funder: &d.investment_funder,
            spend_services_total: &d.spend_services_total,
            intervention_cost_total: &d.intervention_cost_total,
            spend_total: &d.spend_total,
        })
    }

    /// Year `t`'s money `figure` discounted: read from the figures
    /// discounted point by point where there are, else the year's figure ×
    /// its discount factor.
    pub fn discounted(&self, t: usize, figure: impl Fn(Money<'_>, usize) -> f64) -> f64 {
        match self.discounted_money() {
            Some(d) => figure(d, t),
            None => figure(self.money(), t) * self.discount_factor[t],
        }
    }
}

impl Accounts {
    /// Adds another area's accounts of the same future (people, flows,
    /// activity and money are sums over areas; years, plan and discount
    /// factors are the same). Empty accounts become a copy.
    pub fn add(&mut self, other: &Accounts) {
        if self.years.is_empty() {
            *self = other.clone();
            return;
        }
        let add = |a: &mut Vec<f64>, b: &Vec<f64>| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        };
        for (a, b) in [
            (&mut self.people_total, &other.people_total),
            (&mut self.entries, &other.entries),
            (&mut self.exits, &other.exits),
            (&mut self.aged_out, &other.aged_out),
            (&mut self.migration, &other.migration),
            (&mut self.spend_services_total, &other.spend_services_total),
            (&mut self.intervention_cost_total, &other.intervention_cost_total),
            (&mut self.spend_preventative, &other.spend_preventative),
            (&mut self.spend_acute, &other.spend_acute),
            (&mut self.spend_total, &other.spend_total),
        ] {
            add(a, b);
        }
        for (a, b) in [
            (&mut self.people_level, &other.people_level),
            (&mut self.people_band, &other.people_band),
            (&mut self.flows, &other.flows),
            (&mut self.activity, &other.activity),
            (&mut self.spend_service, &other.spend_service),
            (&mut self.participants, &other.participants),
            (&mut self.intervention_cost, &other.intervention_cost),
            (&mut self.spend_funder, &other.spend_funder),
            (&mut self.investment_funder, &other.investment_funder),
        ] {
            a.add(b);
        }
        for (a, b) in self.spend_tier.iter_mut().zip(&other.spend_tier) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.supply.add(&other.supply);
        self.outcomes.add(&other.outcomes);
        self.discounted.add(&other.discounted);
    }
}

/// The roll-ups of a model with areas: every area (file order), then every
/// parent (first-appearance order), then the whole model: (label, the areas
/// it sums).
pub fn area_units(model: &Model) -> Vec<(String, Vec<usize>)> {
    let mut units: Vec<(String, Vec<usize>)> = model
        .areas
        .iter()
        .enumerate()
        .map(|(a, area)| (area.code.clone(), vec![a]))
        .collect();
    let mut parents: Vec<(String, Vec<usize>)> = Vec::new();
    for (a, area) in model.areas.iter().enumerate() {
        if let Some(p) = &area.parent {
            match parents.iter_mut().find(|(name, _)| name == p) {
                Some((_, members)) => members.push(a),
                None => parents.push((p.clone(), vec![a])),
            }
        }
    }
    units.extend(parents);
    units.push((ALL_AREAS.to_string(), (0..model.areas.len()).collect()));
    units
}

/// The `area` of the whole model's rows.
pub const ALL_AREAS: &str = "all";

/// The futures' accounts summed over `members` (per-area accounts, area-major),
/// and each scenario's comparison with the summed baseline.
pub fn sum_areas(model: &Model, per_area: &[Vec<Accounts>], members: &[usize]) -> (Vec<Accounts>, Vec<Comparison>) {
    let futures = per_area[members[0]].len();
    let mut sums = vec![Accounts::default(); futures];
    for &a in members {
        for (sum, acc) in sums.iter_mut().zip(&per_area[a]) {
            sum.add(acc);
        }
    }
    let comparisons = sums[1..].iter().map(|s| Comparison::of(model, &sums[0], s)).collect();
    (sums, comparisons)
}

/// Savings of one funder (or of everyone) against the baseline.
#[derive(Debug, Clone, PartialEq, Default)]
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
    /// Per year, the fall in demand at full services that spend does not
    /// show, valued at unit cost (README, "Cashable savings and capacity
    /// released"; empty without capacities). Not cash: apart from
    /// `gross_saving`, which is the cashable saving.
    pub capacity_released: Vec<f64>,
    pub discounted_capacity_released: f64,
}

impl Savings {
    #[cfg(test)]
    fn new(years: &[i32], discount: &[f64], gross: Vec<f64>, investment: Vec<f64>, scale: f64) -> Savings {
        let mut s = Savings::default();
        s.fill(
            years,
            Discounting::Factors(discount),
            gross.into_iter(),
            investment.into_iter(),
            scale,
        );
        s
    }

    /// Computes these savings in place (reusing their memory) from each
    /// year's gross saving and investment.
    fn fill(
        &mut self,
        years: &[i32],
        discount: Discounting<'_>,
        gross: impl Iterator<Item = f64>,
        investment: impl Iterator<Item = f64>,
        scale: f64,
    ) {
        self.gross_saving.clear();
        self.gross_saving.extend(gross);
        self.investment.clear();
        self.investment.extend(investment);
        self.net_saving.clear();
        self.net_saving
            .extend(self.gross_saving.iter().zip(&self.investment).map(|(g, i)| g - i));
        self.net_saving_discounted.clear();
        match discount {
            Discounting::Factors(discount) => {
                self.net_saving_discounted
                    .extend(self.net_saving.iter().zip(discount).map(|(n, d)| n * d));
                self.discounted_gross_saving = self.gross_saving.iter().zip(discount).map(|(g, d)| g * d).sum();
                self.discounted_investment = self.investment.iter().zip(discount).map(|(i, d)| i * d).sum();
            }
            Discounting::Figures { gross, investment } => {
                self.net_saving_discounted
                    .extend(gross.iter().zip(investment).map(|(g, i)| g - i));
                self.discounted_gross_saving = gross.iter().sum();
                self.discounted_investment = investment.iter().sum();
            }
        }
        running_sum_into(&self.net_saving, &mut self.net_saving_cumulative);
        running_sum_into(&self.net_saving_discounted, &mut self.net_saving_cumulative_discounted);
        // Sums of large spends leave rounding of about 1e-12 of them.
        let tolerance = 1e-9 * (1.0 + scale);
        let first_investment = self.investment.iter().position(|&i| i > 0.0);
        let cumulative_d = &self.net_saving_cumulative_discounted;
        self.break_even_year = first_investment.and_then(|start| {
            let last_negative = cumulative_d.iter().rposition(|&c| c < -tolerance);
            let from = match last_negative {
                None => start,
                Some(i) => (i + 1).max(start),
            };
            years.get(from).copied()
        });
        self.npv = cumulative_d.last().copied().unwrap_or(0.0);
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

/// The figures discounted point by point when there are, else the factors.
fn discounting<'a>(factors: &'a [f64], figures: &'a Option<(Vec<f64>, Vec<f64>)>) -> Discounting<'a> {
    match figures {
        Some((gross, investment)) => Discounting::Figures { gross, investment },
        None => Discounting::Factors(factors),
    }
}

/// How savings are discounted: each year's figure × its factor, or figures
/// already discounted (gross saving and investment, per year: each time
/// point at its own time).
#[derive(Debug, Clone, Copy)]
enum Discounting<'a> {
    Factors(&'a [f64]),
    Figures { gross: &'a [f64], investment: &'a [f64] },
}

fn running_sum_into(xs: &[f64], out: &mut Vec<f64>) {
    out.clear();
    out.extend(xs.iter().scan(0.0, |acc, x| {
        *acc += x;
        Some(*acc)
    }));
}

/// Every future's accounts (the baseline first) and each scenario's
/// comparison with the baseline: what a deterministic run reports.
pub fn account_futures(futures: &[Future]) -> (Vec<Accounts>, Vec<Comparison>) {
    let accounts: Vec<Accounts> = futures.iter().map(Accounts::of).collect();
    let comparisons = futures[1..]
        .iter()
        .zip(&accounts[1..])
        .map(|(f, a)| Comparison::of(f.model, &accounts[0], a))
        .collect();
    (accounts, comparisons)
}

/// A scenario against the baseline: in all, and per funder.
#[derive(Debug, Clone, Default)]
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
        let mut c = Comparison::default();
        c.fill(model, baseline, scenario);
        c
    }

    /// [`Comparison::of`] in place, reusing the memory of an earlier one.
    pub fn fill(&mut self, model: &Model, baseline: &Accounts, scenario: &Accounts) {
        let years = &scenario.years;
        let discount = &scenario.discount_factor;
        let scale = baseline.spend_total.iter().map(|x| x.abs()).sum::<f64>();
        self.scenario.clone_from(&scenario.scenario);
        let n = baseline.years.len().min(scenario.years.len());
        // Figures discounted point by point, where they are: gross saving
        // and investment per year, from both futures' discounted money.
        let point_by_point = |gross: &dyn Fn(Money<'_>, Money<'_>, usize) -> f64,
                              investment: &dyn Fn(Money<'_>, usize) -> f64| {
            let (b, s) = (baseline.discounted_money()?, scenario.discounted_money()?);
            Some((
                (0..n).map(|t| gross(b, s, t)).collect::<Vec<f64>>(),
                (0..scenario.years.len())
                    .map(|t| investment(s, t))
                    .collect::<Vec<f64>>(),
            ))
        };
        let total_d = point_by_point(
            &|b, s, t| b.spend_services_total[t] - s.spend_services_total[t],
            &|s, t| s.intervention_cost_total[t],
        );
        self.total.fill(
            years,
            discounting(discount, &total_d),
            baseline
                .spend_services_total
                .iter()
                .zip(&scenario.spend_services_total)
                .map(|(b, s)| b - s),
            scenario.intervention_cost_total.iter().copied(),
            scale,
        );
        self.by_funder.resize_with(model.funders.len(), Savings::default);
        for (f, savings) in self.by_funder.iter_mut().enumerate() {
            let column = |a: Money<'_>, t: usize| a.spend_funder[t][f] - a.investment_funder[t][f];
            let funder_d = point_by_point(&|b, s, t| column(b, t) - column(s, t), &|s, t| {
                s.investment_funder[t][f]
            });
            savings.fill(
                years,
                discounting(discount, &funder_d),
                (0..n).map(|t| column(baseline.money(), t) - column(scenario.money(), t)),
                (0..scenario.years.len()).map(|t| scenario.investment_funder[t][f]),
                scale,
            );
        }
        let (total, by_funder) = supply::capacity_released(&baseline.supply, &scenario.supply, model.funders.len());
        for (savings, released) in std::iter::once(&mut self.total)
            .chain(self.by_funder.iter_mut())
            .zip(std::iter::once(total).chain(by_funder))
        {
            savings.discounted_capacity_released = released.iter().zip(discount).map(|(r, d)| r * d).sum();
            savings.capacity_released = released;
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
