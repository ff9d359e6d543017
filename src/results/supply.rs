//! The supply side's accounts (README, "The supply side"): per service
//! with a capacity, its demand, what it served, its waiting list, what it
//! diverted and lost; the first year demand exceeds capacity; and, against
//! the baseline, the **capacity released** where demand falls at a full
//! service but spend does not.
//!
//! A service's demand D and served activity S split a fall in demand in
//! two: the fall in S × unit cost is cashable (it is in the gross saving,
//! as spend falls), and the fall in D − S × unit cost is capacity
//! released, valued at unit cost and reported apart from cash. Their sum is
//! what a model without capacities would call the saving.

use super::Grid;
use crate::engine::{Figure, LaneTrajectory, PlaceFigure, service_figures, supply_figures};
use crate::model::Model;

/// The longest mean wait reported, in weeks (a thousand years).
pub const LONGEST_WAIT_WEEKS: f64 = 52_000.0;

/// A future's supply figures, year by year (every grid is empty, width 0,
/// when no service has a capacity).
#[derive(Debug, Clone, Default)]
pub struct SupplyAccounts {
    /// Per service × [`Figure`], in the service's own unit (when some
    /// service has a capacity), then per limited level × [`PlaceFigure`].
    pub figures: Grid,
    /// Where the limited levels' figures start in a row of `figures`.
    places_at: usize,
    /// Per service: what the activity it diverted cost at the receiver's
    /// unit cost.
    pub diverted_cost: Grid,
    /// Per service: (demand − served) × unit cost.
    pub unserved_value: Grid,
    /// The same per funder.
    pub unserved_value_funder: Grid,
}

impl SupplyAccounts {
    /// Fills these accounts from lane `lane` of `trajectory`, at this draw's
    /// `unit_costs`.
    pub fn compute<const W: usize>(
        &mut self,
        model: &Model,
        trajectory: &LaneTrajectory<W>,
        lane: usize,
        unit_costs: &[f64],
    ) {
        let services_on = service_figures(model) > 0;
        let (ns, nf) = (model.services.len(), model.funders.len());
        let width = |n: usize| if services_on { n } else { 0 };
        let nfig = supply_figures(model);
        self.places_at = service_figures(model);
        self.figures.reset(nfig);
        self.diverted_cost.reset(width(ns));
        self.unserved_value.reset(width(ns));
        self.unserved_value_funder.reset(width(nf));
        if nfig == 0 {
            return;
        }
        for t in 0..model.horizon_years as usize {
            let figures = self.figures.push_zeros();
            for (x, v) in figures.iter_mut().zip(&trajectory.supply[t * nfig..(t + 1) * nfig]) {
                *x = v[lane];
            }
            if !services_on {
                continue;
            }
            let diverted = self.diverted_cost.push_zeros();
            let unserved = self.unserved_value.push_zeros();
            let by_funder = self.unserved_value_funder.push_zeros();
            for (s, service) in model.services.iter().enumerate() {
                let Some(capacity) = &service.capacity else { continue };
                let f = |which: Figure| figures[s * Figure::COUNT + which.index()];
                if let Some(to) = capacity.divert_to {
                    diverted[s] = f(Figure::Diverted) * capacity.divert_ratio * unit_costs[to];
                }
                unserved[s] = (f(Figure::Demand) - f(Figure::Served)) * unit_costs[s];
                by_funder[service.funder] += unserved[s];
            }
        }
    }

    /// Adds another area's figures of the same future.
    pub fn add(&mut self, other: &SupplyAccounts) {
        self.places_at = other.places_at;
        self.figures.add(&other.figures);
        self.diverted_cost.add(&other.diverted_cost);
        self.unserved_value.add(&other.unserved_value);
        self.unserved_value_funder.add(&other.unserved_value_funder);
    }

    /// Whether there are services' figures (some service has a capacity).
    pub fn is_on(&self) -> bool {
        self.places_at > 0 && self.figures.rows() > 0
    }

    /// Whether there are limited levels' figures.
    pub fn places_on(&self) -> bool {
        self.figures.width() > self.places_at && self.figures.rows() > 0
    }

    /// Figure `which` of limited level `i` (`Model::places[i]`) in year `t`.
    pub fn place(&self, t: usize, i: usize, which: PlaceFigure) -> f64 {
        self.figures[t][self.places_at + i * PlaceFigure::COUNT + which.index()]
    }

    /// The first year (index) in which limited level `i` is full (someone
    /// is left waiting for a place), if any.
    pub fn first_full(&self, i: usize) -> Option<usize> {
        (0..self.figures.rows()).find(|&t| self.place(t, i, PlaceFigure::Full) > 0.0)
    }

    /// The mean wait for a place in year `t`, in weeks, by Little's law:
    /// the person-years spent waiting ÷ the people who joined the queue
    /// (none when nobody joined but some still wait, or beyond
    /// [`LONGEST_WAIT_WEEKS`]).
    pub fn place_mean_wait_weeks(&self, t: usize, i: usize) -> Option<f64> {
        let (years, joined) = (
            self.place(t, i, PlaceFigure::WaitingYears),
            self.place(t, i, PlaceFigure::Held),
        );
        if years <= 0.0 {
            Some(0.0)
        } else {
            Some(years / joined * 52.0).filter(|&w| joined > 0.0 && w <= LONGEST_WAIT_WEEKS)
        }
    }

    /// Figure `which` of service `s` in year `t`.
    pub fn figure(&self, t: usize, s: usize, which: Figure) -> f64 {
        self.figures[t][s * Figure::COUNT + which.index()]
    }

    /// The first year (index) in which service `s`'s demand exceeds its
    /// capacity, if any.
    pub fn first_over_capacity(&self, s: usize) -> Option<usize> {
        (0..self.figures.rows()).find(|&t| self.over_capacity(t, s))
    }

    /// Whether service `s`'s demand exceeds its capacity in year `t`.
    pub fn over_capacity(&self, t: usize, s: usize) -> bool {
        self.figure(t, s, Figure::Demand) > self.figure(t, s, Figure::Capacity) * (1.0 + 1e-12)
    }

    /// The mean wait in weeks at the end of year `t` by Little's law: the
    /// list ÷ the year's served activity (none when so little was served
    /// that the list would take more than [`LONGEST_WAIT_WEEKS`] to clear:
    /// such a figure means only that the service is all but shut).
    pub fn mean_wait_weeks(&self, t: usize, s: usize) -> Option<f64> {
        let (list, served) = (self.figure(t, s, Figure::ListEnd), self.figure(t, s, Figure::Served));
        if list <= 0.0 {
            Some(0.0)
        } else {
            Some(list / served * 52.0).filter(|&w| served > 0.0 && w <= LONGEST_WAIT_WEEKS)
        }
    }

    /// The share of the list at the end of year `t` that has waited longer
    /// than the target (0 when nobody waits).
    pub fn share_over_target(&self, t: usize, s: usize) -> f64 {
        let list = self.figure(t, s, Figure::ListEnd);
        if list > 0.0 {
            self.figure(t, s, Figure::OverTarget) / list
        } else {
            0.0
        }
    }
}

/// The capacity released each year by a scenario against the baseline:
/// in all (`baseline − scenario` of the unserved value, summed over
/// services) and per funder. Empty without capacities.
pub fn capacity_released(
    baseline: &SupplyAccounts,
    scenario: &SupplyAccounts,
    funders: usize,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    if !baseline.is_on() || !scenario.is_on() {
        return (Vec::new(), vec![Vec::new(); funders]);
    }
    let years = baseline.figures.rows().min(scenario.figures.rows());
    let total = (0..years)
        .map(|t| baseline.unserved_value[t].iter().sum::<f64>() - scenario.unserved_value[t].iter().sum::<f64>())
        .collect();
    let by_funder = (0..funders)
        .map(|f| {
            (0..years)
                .map(|t| baseline.unserved_value_funder[t][f] - scenario.unserved_value_funder[t][f])
                .collect()
        })
        .collect();
    (total, by_funder)
}

/// Calls `push(name, value)` for year `t`'s supply rows of a future: per
/// service with a capacity its capacity, demand, served, unmet and
/// utilisation, whether demand exceeds capacity (that year, and by then:
/// their means over draws are probabilities), and the waiting list, mean
/// wait, share over target, diverted, lost and reneged activity that its
/// `when_full` can give; per service receiving diversions without a
/// capacity, what it received.
pub fn year_rows(model: &Model, a: &SupplyAccounts, t: usize, push: &mut impl FnMut(&dyn Fn() -> String, Option<f64>)) {
    if a.places_on() {
        place_rows(model, a, t, push);
    }
    if !a.is_on() {
        return;
    }
    for (s, service) in model.services.iter().enumerate() {
        let name = &service.name;
        let f = |which: Figure| a.figure(t, s, which);
        let Some(capacity) = &service.capacity else {
            if model.services.iter().any(|r| r.divert_to() == Some(s)) {
                push(&|| format!("diverted_in:{name}"), Some(f(Figure::DivertedIn)));
            }
            continue;
        };
        push(&|| format!("capacity:{name}"), Some(f(Figure::Capacity)));
        push(&|| format!("demand:{name}"), Some(f(Figure::Demand)));
        push(&|| format!("served:{name}"), Some(f(Figure::Served)));
        push(&|| format!("unmet:{name}"), Some(f(Figure::Unmet)));
        let cap = f(Figure::Capacity);
        push(
            &|| format!("utilisation:{name}"),
            (cap > 0.0).then(|| f(Figure::Served) / cap),
        );
        let over = a.over_capacity(t, s);
        push(&|| format!("over_capacity:{name}"), Some(f64::from(u8::from(over))));
        let by_now = a.first_over_capacity(s).is_some_and(|first| first <= t);
        push(
            &|| format!("over_capacity_by:{name}"),
            Some(f64::from(u8::from(by_now))),
        );
        if capacity.wait > 0.0 {
            push(&|| format!("waiting_list:{name}"), Some(f(Figure::ListEnd)));
            push(&|| format!("mean_wait_weeks:{name}"), a.mean_wait_weeks(t, s));
            if capacity.target_wait_weeks.is_some() {
                push(&|| format!("share_over_target:{name}"), Some(a.share_over_target(t, s)));
            }
            if capacity.renege.value() > 0.0 {
                push(&|| format!("reneged:{name}"), Some(f(Figure::Reneged)));
            }
        }
        if capacity.divert > 0.0 {
            push(&|| format!("diverted:{name}"), Some(f(Figure::Diverted)));
            push(&|| format!("diverted_cost:{name}"), Some(a.diverted_cost[t][s]));
        }
        if capacity.lost > 0.0 {
            push(&|| format!("lost:{name}"), Some(f(Figure::Lost)));
        }
        if model.services.iter().any(|r| r.divert_to() == Some(s)) {
            push(&|| format!("diverted_in:{name}"), Some(f(Figure::DivertedIn)));
        }
    }
}

/// Calls `push(name, value)` for year `t`'s rows of each limited level:
/// its places, the people it holds at the year end, admitted, waiting at
/// the year end, the mean wait, those who left the queue unplaced, and
/// whether it was full that year and by then (their means over draws are
/// probabilities).
fn place_rows(model: &Model, a: &SupplyAccounts, t: usize, push: &mut impl FnMut(&dyn Fn() -> String, Option<f64>)) {
    for (i, limit) in model.places.iter().enumerate() {
        let name = &model.levels[limit.level];
        let f = |which: PlaceFigure| a.place(t, i, which);
        push(&|| format!("places:{name}"), Some(f(PlaceFigure::Places)));
        push(&|| format!("occupied:{name}"), Some(f(PlaceFigure::Occupied)));
        push(&|| format!("admitted:{name}"), Some(f(PlaceFigure::Admitted)));
        push(
            &|| format!("waiting_for_place:{name}"),
            Some(f(PlaceFigure::WaitingEnd)),
        );
        push(
            &|| format!("place_mean_wait_weeks:{name}"),
            a.place_mean_wait_weeks(t, i),
        );
        push(&|| format!("left_queue:{name}"), Some(f(PlaceFigure::LeftQueue)));
        let full = f(PlaceFigure::Full) > 0.0;
        push(&|| format!("full:{name}"), Some(f64::from(u8::from(full))));
        let by_now = a.first_full(i).is_some_and(|first| first <= t);
        push(&|| format!("full_by:{name}"), Some(f64::from(u8::from(by_now))));
    }
}

/// Calls `push(name, value)` for year `t`'s budget rows: per funder with a
/// budget, the budget and the gap (spend − budget: above 0, overspent).
pub fn budget_rows(
    model: &Model,
    a: &super::Accounts,
    t: usize,
    push: &mut impl FnMut(&dyn Fn() -> String, Option<f64>),
) {
    for budget in &model.budgets {
        let funder = &model.funders[budget.funder];
        let amount = budget.per_year.at(a.years[t]);
        push(&|| format!("budget_funder:{funder}"), Some(amount));
        push(
            &|| format!("budget_gap_funder:{funder}"),
            Some(a.spend_funder[t][budget.funder] - amount),
        );
    }
}

/// Calls `push(name, value)` for a future's whole-horizon supply rows: per
/// service with a capacity, the first year its demand exceeds capacity and
/// (with a target wait) the first year someone waits longer than the
/// target; none when it never does.
pub fn horizon_rows(
    model: &Model,
    a: &SupplyAccounts,
    years: &[i32],
    push: &mut impl FnMut(&dyn Fn() -> String, Option<f64>),
) {
    let year = |t: Option<usize>| t.map(|t| f64::from(years[t]));
    if a.places_on() {
        for (i, limit) in model.places.iter().enumerate() {
            let name = &model.levels[limit.level];
            push(&|| format!("first_year_full:{name}"), year(a.first_full(i)));
        }
    }
    if !a.is_on() {
        return;
    }
    for (s, service) in model.services.iter().enumerate() {
        let Some(capacity) = &service.capacity else { continue };
        let name = &service.name;
        push(
            &|| format!("first_year_over_capacity:{name}"),
            year(a.first_over_capacity(s)),
        );
        if capacity.wait > 0.0 && capacity.target_wait_weeks.is_some() {
            let breached = (0..a.figures.rows()).find(|&t| a.figure(t, s, Figure::OverTarget) > 1e-9);
            push(&|| format!("first_year_over_target:{name}"), year(breached));
        }
    }
}
