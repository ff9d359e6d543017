//! The supply side in the year loop (README, "The supply side"). At the
//! end of each step every service with a capacity serves its waiting list
//! and then the step's new demand (its person-years × use) up to the step's
//! capacity, and what it cannot serve waits, is diverted or is lost
//! ([`crate::supply::step_services`]). Spend is on what is served. A model
//! with feedback runs step by step, as people depend on the services;
//! without feedback a year runs band by band, recording each step's
//! stocks, and the services serve its steps after it, on the same numbers.
//!
//! The unmet share `u` of a service's demand feeds back to people: its
//! `while_unmet` relative risks multiply their transitions by
//! `1 − u·(1 − RR)`, for the cells that use the service, with the share
//! known when a step starts (the last step's). A share is folded into the
//! matrices (as an intervention's reached share is, so a share held
//! constant gives exactly what an intervention of that reach gives), again
//! at a year's start whenever the share has moved more than [`REFOLD`];
//! each step's departure from the folded share moves people between the two
//! levels after the matrix step, in proportion to the step's own flow (a
//! first-order correction that vanishes as steps shrink).

// Index loops over lanes, levels and cells are the plainest form here, as
// in the kernel.
#![allow(clippy::needless_range_loop)]

use super::LaneTrajectory;
use crate::model::{Effect, Model, Occupancy};
use crate::params::Layout;
use crate::supply::{Step, WaitingList, WhenFull, step_services};

/// How far a service's unmet share may move from the share folded into the
/// matrices before it is folded again. The step-by-step correction is
/// first order in the difference, so this bounds its error at a given step
/// length (it vanishes as steps shrink either way), and a shortfall held
/// constant is folded once and so gives exactly what an intervention of
/// that reach gives.
const REFOLD: f64 = 0.05;

/// The figures kept for each service and year in
/// [`LaneTrajectory::supply`], in the service's own activity unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// What it could deliver in the year (its capacity, with any
    /// intervention's addition).
    Capacity,
    /// New demand: its cells' own and what other services diverted to it.
    Demand,
    /// Served in all, from the waiting list and from new demand.
    Served,
    /// Of what was served, what came off the waiting list.
    ServedFromList,
    /// New demand not served in the step it arose.
    Unmet,
    /// Of the unmet demand: joined the list, sent on (in this service's
    /// unit), lost.
    Waited,
    Diverted,
    Lost,
    /// Left the waiting list unserved.
    Reneged,
    /// On the waiting list at the year end.
    ListEnd,
    /// Of the list at the year end, what has waited longer than the
    /// service's target wait (0 without a target).
    OverTarget,
    /// Activity other services diverted to it (part of `Demand`).
    DivertedIn,
}

impl Figure {
    /// Every figure, in the order they are kept.
    pub const ALL: [Figure; 12] = [
        Figure::Capacity,
        Figure::Demand,
        Figure::Served,
        Figure::ServedFromList,
        Figure::Unmet,
        Figure::Waited,
        Figure::Diverted,
        Figure::Lost,
        Figure::Reneged,
        Figure::ListEnd,
        Figure::OverTarget,
        Figure::DivertedIn,
    ];

    /// How many figures a service has each year.
    pub const COUNT: usize = Figure::ALL.len();

    /// The figure's place among a service's figures.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The supply side's working memory, kept in the kernel's between runs.
#[derive(Debug, Clone, Default)]
pub struct SupplyWork<const W: usize> {
    /// Whether the model has any capacity (else nothing here runs).
    pub(super) on: bool,
    /// Whether some capacity has `while_unmet` relative risks (then every
    /// band's matrix is rebuilt each year).
    pub(super) feedback: bool,
    /// The services, each before those it diverts to.
    order: Vec<usize>,
    /// Per service: whether it takes part (has a capacity, or receives
    /// diverted demand).
    involved: Vec<bool>,
    rules: Vec<Option<WhenFull>>,
    lists: Vec<Option<WaitingList<W>>>,
    /// Per service: its target wait in steps (not necessarily whole), if
    /// it has one.
    target_steps: Vec<Option<f64>>,
    /// This year's capacity per step, per service with one.
    capacity: Vec<Option<[f64; W]>>,
    /// This step's demand per service.
    demand: Vec<[f64; W]>,
    /// This step's extra demand per service from the people waiting for a
    /// place (`while_waiting` uses; added by the places, cleared once served).
    pub(super) waiting_demand: Vec<[f64; W]>,
    steps: Vec<Step<W>>,
    /// Per service, the unmet share of the last step's new demand.
    unmet: Vec<[f64; W]>,
    /// Per service, the unmet share folded into the matrices (refolded
    /// when the share has moved more than [`REFOLD`] from it).
    unmet_year: Vec<[f64; W]>,
    /// Per band, whether this year's feedback factors differ from last
    /// year's (only then is its matrix rebuilt for them).
    pub(super) bands_touched: Vec<bool>,
    /// This year's cells that use each service with a capacity (in some
    /// lane): `used[used_from[s]..used_from[s + 1]]` (the rest ask nothing).
    used: Vec<usize>,
    used_from: Vec<usize>,
    /// The use rates of the cells in `used`, in the same order (read
    /// side by side with the people every step).
    used_rates: Vec<[f64; W]>,
    /// This year's feedback, for the bands where some lane's `from` cell
    /// uses the service: each effect's cells, in the order of services,
    /// effects and bands.
    feedback_cells: Vec<FeedbackCell<W>>,
    /// Every `while_unmet` effect: (service, `1 − RR`), in the order of
    /// services and effects (`FeedbackCell::effect` indexes it).
    feedback_effects: Vec<(usize, f64)>,
    /// This step's factor over the folded one, `(1 − u·k) / (1 − u_year·k)`,
    /// per effect, or `None` where the service's share is the folded one.
    feedback_ratios: Vec<Option<[f64; W]>>,
    /// The places in `transfers` this year's feedback moves people in,
    /// in order, each once (only these are zeroed and read).
    transfers_used: Vec<usize>,
    /// Per service, the step's demand from the people at its start, when
    /// known (the last step's demand from the people at its end).
    demand_start: Vec<Option<[f64; W]>>,
    /// With a weight per time point: this year's steps' shares of the
    /// weights of their start and end points (`PointWeights::step_shares`),
    /// and the step being served.
    step_shares: Vec<(f64, f64)>,
    step_in_year: usize,
    /// This year's feedback moves, per band × from × to.
    transfers: Vec<[f64; W]>,
    /// This year's figures, per service × [`Figure`].
    year: Vec<[f64; W]>,
    /// Without feedback, the stocks at each step's start and at the year's
    /// end, step `t`'s from `t × cells` (the year runs band by band and the
    /// services serve its steps after it); else empty.
    stocks: Vec<[f64; W]>,
    /// Per service, its own demand from the people in each of `stocks`.
    own: Vec<[f64; W]>,
}

impl<const W: usize> SupplyWork<W> {
    /// Sized afresh for a run of `model` in steps of `dt` years: empty
    /// lists, nothing unmet.
    pub(super) fn prepare(&mut self, model: &Model, dt: f64) {
        let ns = model.services.len();
        let nl = model.levels.len();
        let zero = [0.0; W];
        self.on = model.services.iter().any(|s| s.capacity.is_some());
        self.feedback = model
            .services
            .iter()
            .any(|s| s.capacity.as_ref().is_some_and(|c| !c.while_unmet.is_empty()));
        if !self.on {
            return;
        }
        self.involved = (0..ns)
            .map(|s| model.services[s].capacity.is_some() || model.services.iter().any(|r| r.divert_to() == Some(s)))
            .collect();
        // Only the services that take part are stepped.
        self.order = model.service_order();
        let involved = &self.involved;
        self.order.retain(|&s| involved[s]);
        self.rules = model
            .services
            .iter()
            .map(|s| s.capacity.as_ref().map(|c| c.when_full(dt)))
            .collect();
        self.target_steps = model
            .services
            .iter()
            .map(|s| {
                let weeks = s.capacity.as_ref()?.target_wait_weeks?;
                Some(weeks / 52.0 / dt)
            })
            .collect();
        self.lists = (0..ns)
            .map(|s| {
                model.services[s]
                    .capacity
                    .as_ref()
                    .map(|_| WaitingList::new(self.target_steps[s].map_or(1, bins_for)))
            })
            .collect();
        self.capacity.clear();
        self.capacity.resize(ns, None);
        for v in [
            &mut self.demand,
            &mut self.unmet,
            &mut self.unmet_year,
            &mut self.waiting_demand,
        ] {
            v.clear();
            v.resize(ns, zero);
        }
        self.steps.clear();
        self.steps.resize(ns, Step::nothing_yet(zero));
        self.bands_touched.clear();
        self.bands_touched.resize(model.bands.len(), false);
        self.transfers.clear();
        self.transfers.resize(model.bands.len() * nl * nl, zero);
        self.transfers_used.clear();
        self.feedback_effects.clear();
        for (s, service) in model.services.iter().enumerate() {
            if let Some(capacity) = &service.capacity {
                let effects = capacity.while_unmet.iter().map(|e| (s, 1.0 - e.relative_risk));
                self.feedback_effects.extend(effects);
            }
        }
        self.feedback_ratios.clear();
        self.feedback_ratios.resize(self.feedback_effects.len(), None);
        self.year.clear();
        self.year.resize(ns * Figure::COUNT, zero);
        self.stocks.clear();
        if !self.feedback {
            let steps = model.steps_per_year as usize;
            self.stocks.resize((steps + 1) * model.cells(), zero);
        }
    }

    /// Room for a year's stocks, step by step, when the year runs band by
    /// band (empty without capacities, or with feedback).
    pub(super) fn year_stocks(&mut self) -> &mut [[f64; W]] {
        &mut self.stocks
    }

    /// Each step's service after a year that ran band by band, from the
    /// stocks it recorded: what [`Self::serve`] does after each step of the
    /// step-by-step loop, on the same numbers.
    pub(super) fn serve_year(&mut self, model: &Model, dt: f64) {
        let cells = model.cells();
        let bounds = self.stocks.len() / cells;
        // Each service's demand from the people at each step's start and
        // at the year's end (worked out together, in the same operations as
        // one at a time).
        self.own.clear();
        self.own.resize(model.services.len() * bounds, [0.0; W]);
        for s in 0..model.services.len() {
            if self.capacity[s].is_none() {
                continue;
            }
            let span = self.used_from[s]..self.used_from[s + 1];
            let (used, rates) = (&self.used[span.clone()], &self.used_rates[span]);
            let own = &mut self.own[s * bounds..(s + 1) * bounds];
            own_demands(&self.stocks, cells, used, rates, dt, own);
        }
        for step in 0..bounds - 1 {
            for (s, d) in self.demand.iter_mut().enumerate() {
                *d = if self.capacity[s].is_some() {
                    let (start, end) = (self.own[s * bounds + step], self.own[s * bounds + step + 1]);
                    match model.occupancy {
                        Occupancy::Start => start,
                        Occupancy::End => end,
                        Occupancy::HalfCycle => std::array::from_fn(|lane| 0.5 * (start[lane] + end[lane])),
                        Occupancy::Simpson | Occupancy::Weights => {
                            let (a, b) = self.step_shares[step];
                            std::array::from_fn(|lane| a * start[lane] + b * end[lane])
                        }
                    }
                } else {
                    [0.0; W]
                };
            }
            self.serve_demand();
        }
    }

    /// The start of year `k` (`year`): each capacity's value this year
    /// (`params` through `layout`, with what the interventions in `plan`
    /// add, times their scale that year), the unmet shares folded into the year's matrices
    /// (the last step's; in the first year, the share the people at the
    /// start, `x`, leave unmet with empty lists), and the year's figures
    /// and moves zeroed.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start_year(
        &mut self,
        model: &Model,
        layout: &Layout,
        params: &[[f64; W]],
        plan: &[usize],
        (k, year): (usize, i32),
        x: &[[f64; W]],
        use_rate: &[[f64; W]],
        dt: f64,
    ) {
        let zero = [0.0; W];
        self.year.fill(zero);
        let cells = x.len();
        self.used.clear();
        self.used_from.clear();
        self.used_rates.clear();
        for (s, service) in model.services.iter().enumerate() {
            self.used_from.push(self.used.len());
            if service.capacity.is_none() {
                continue;
            }
            let rates = &use_rate[s * cells..(s + 1) * cells];
            let from = self.used.len();
            self.used
                .extend((0..cells).filter(|&c| rates[c].iter().any(|&r| r != 0.0)));
            self.used_rates.extend(self.used[from..].iter().map(|&c| rates[c]));
            let mut per_year = params[layout.capacity(k, s)];
            for (i, n, scale) in capacity_effects(model, plan, s, year) {
                let add = params[layout.effect(i, n)];
                for lane in 0..W {
                    per_year[lane] += add[lane] * scale;
                }
            }
            let per_step = per_year.map(|c| c * dt);
            self.capacity[s] = Some(per_step);
            self.year[s * Figure::COUNT + Figure::Capacity.index()] = per_year;
            if k == 0 {
                let from = self.used_from[s];
                let demand = own_demand(x, &self.used[from..], &self.used_rates[from..], dt);
                self.unmet[s] = std::array::from_fn(|lane| unmet_share(demand[lane] - per_step[lane], demand[lane]));
            }
        }
        self.used_from.push(self.used.len());
        // The share at the year's start is folded into the matrices when it
        // has moved more than REFOLD from the one folded (in the first year,
        // always): rebuilding a matrix takes a matrix exponential, and the
        // step-by-step correction carries the rest. A band's factors change
        // only where a service with feedback that its cells use is refolded.
        self.bands_touched.fill(false);
        let nl = model.levels.len();
        self.feedback_cells.clear();
        self.demand_start.clear();
        self.demand_start.resize(model.services.len(), None);
        self.step_shares.clear();
        if let Some(weights) = &model.point_weights {
            let steps = model.steps_per_year as usize;
            (self.step_shares).extend((0..steps).map(|s| weights.step_shares(k * steps + s)));
        }
        self.step_in_year = 0;
        let mut effect = 0;
        for (s, service) in model.services.iter().enumerate() {
            let Some(capacity) = &service.capacity else { continue };
            for unmet in &capacity.while_unmet {
                for b in 0..model.bands.len() {
                    let used = use_rate[s * cells + b * nl + unmet.from];
                    if used.iter().any(|&u| u > 0.0) {
                        self.feedback_cells.push(FeedbackCell {
                            effect,
                            from: b * nl + unmet.from,
                            to: b * nl + unmet.to,
                            band: b,
                            share: unmet.from * (nl + 1) + unmet.to,
                            gate: used.map(|u| if u > 0.0 { 1.0 } else { 0.0 }),
                        });
                    }
                }
                effect += 1;
            }
        }
        // The year's moves start from nothing, where they can be.
        for &t in &self.transfers_used {
            self.transfers[t] = zero;
        }
        self.transfers_used.clear();
        self.transfers_used.extend(
            self.feedback_cells
                .iter()
                .map(|cell| cell.from * nl + cell.to - cell.band * nl),
        );
        self.transfers_used.sort_unstable();
        self.transfers_used.dedup();
        for &t in &self.transfers_used {
            self.transfers[t] = zero;
        }
        for (s, service) in model.services.iter().enumerate() {
            let Some(capacity) = &service.capacity else { continue };
            if capacity.while_unmet.is_empty() {
                continue;
            }
            // Lane by lane, so that a lane's numbers do not depend on the
            // lanes beside it.
            let mut moved = false;
            for lane in 0..W {
                if k == 0 || (self.unmet[s][lane] - self.unmet_year[s][lane]).abs() > REFOLD {
                    moved |= self.unmet_year[s][lane] != self.unmet[s][lane] || k == 0;
                    self.unmet_year[s][lane] = self.unmet[s][lane];
                }
            }
            if !moved {
                continue;
            }
            // The bands whose `from` cell of an effect uses the service (in
            // some lane).
            let rates = &use_rate[s * cells..(s + 1) * cells];
            for effect in &capacity.while_unmet {
                for (b, touched) in self.bands_touched.iter_mut().enumerate() {
                    if rates[b * nl + effect.from].iter().any(|&r| r != 0.0) {
                        *touched = true;
                    }
                }
            }
        }
    }

    /// Folds the feedback of band `b` into its matrix factors
    /// (`factors[from * w + to]`): for each capacity's `while_unmet` effect
    /// on a level the band's cell uses the service in, `1 − u·(1 − RR)`
    /// with this year's unmet share `u`. `use_rate[s * cells + cell]`.
    pub(super) fn fold_feedback(
        &self,
        model: &Model,
        b: usize,
        w: usize,
        use_rate: &[[f64; W]],
        factors: &mut [[f64; W]],
    ) {
        let (nl, cells) = (model.levels.len(), model.cells());
        for (s, service) in model.services.iter().enumerate() {
            let Some(capacity) = &service.capacity else { continue };
            let u = self.unmet_year[s];
            for effect in &capacity.while_unmet {
                let used = use_rate[s * cells + b * nl + effect.from];
                let slot = &mut factors[effect.from * w + effect.to];
                for lane in 0..W {
                    if used[lane] > 0.0 {
                        slot[lane] *= 1.0 - u[lane] * (1.0 - effect.relative_risk);
                    }
                }
            }
        }
    }

    /// One step's service, once people have moved: each involved service's
    /// demand from the step's person-years (the people at its start `x` and
    /// end `next`, by the model's occupancy convention, so that the steps'
    /// demand sums to the year's person-years × use), served in diversion
    /// order, and the step's figures added to the year's. The step's unmet
    /// shares feed back from the next step on.
    pub(super) fn serve(&mut self, model: &Model, x: &[[f64; W]], next: &[[f64; W]], dt: f64) {
        let Self {
            capacity,
            demand,
            used,
            used_from,
            used_rates,
            demand_start,
            waiting_demand,
            step_shares,
            step_in_year,
            ..
        } = self;
        for (s, d) in demand.iter_mut().enumerate() {
            // A service without a capacity serves its own demand as
            // activity does; here it is asked only what is diverted to it.
            *d = if capacity[s].is_some() {
                let span = used_from[s]..used_from[s + 1];
                let (used, rates) = (&used[span.clone()], &used_rates[span]);
                match model.occupancy {
                    Occupancy::Start => own_demand(x, used, rates, dt),
                    Occupancy::End => own_demand(next, used, rates, dt),
                    Occupancy::HalfCycle => {
                        // The step's start is the last step's end (within
                        // a year, whose use rates are one).
                        let start = demand_start[s].unwrap_or_else(|| own_demand(x, used, rates, dt));
                        let end = own_demand(next, used, rates, dt);
                        demand_start[s] = Some(end);
                        std::array::from_fn(|lane| 0.5 * (start[lane] + end[lane]))
                    }
                    Occupancy::Simpson | Occupancy::Weights => {
                        let (a, b) = step_shares[*step_in_year];
                        let start = own_demand(x, used, rates, dt);
                        let end = own_demand(next, used, rates, dt);
                        std::array::from_fn(|lane| a * start[lane] + b * end[lane])
                    }
                }
            } else {
                [0.0; W]
            };
            // The people waiting for a place ask for more (only where
            // places give the service a `while_waiting` use).
            let extra = std::mem::replace(&mut waiting_demand[s], [0.0; W]);
            for lane in 0..W {
                d[lane] += extra[lane];
            }
        }
        *step_in_year += 1;
        self.serve_demand();
    }

    /// The step's service of the demand in `self.demand` (each service's
    /// own, the rest of its demand is diverted in here), in diversion
    /// order, with the step's figures added to the year's.
    fn serve_demand(&mut self) {
        let Self {
            order,
            involved,
            rules,
            lists,
            capacity,
            demand,
            steps,
            unmet,
            year,
            ..
        } = self;
        step_services(order, demand, capacity, rules, lists, steps);
        for (s, step) in steps.iter().enumerate() {
            if !involved[s] {
                continue;
            }
            let figures = &mut year[s * Figure::COUNT..(s + 1) * Figure::COUNT];
            let add = |figures: &mut [[f64; W]], figure: Figure, v: [f64; W]| {
                for lane in 0..W {
                    figures[figure.index()][lane] += v[lane];
                }
            };
            add(figures, Figure::Demand, step.demand);
            add(figures, Figure::Served, step.served);
            add(figures, Figure::ServedFromList, step.served_from_list);
            add(figures, Figure::Unmet, step.unmet);
            add(figures, Figure::Waited, step.waited);
            add(figures, Figure::Diverted, step.diverted);
            add(figures, Figure::Lost, step.lost);
            add(figures, Figure::Reneged, step.reneged);
            if capacity[s].is_none() {
                add(figures, Figure::DivertedIn, step.demand);
            }
            unmet[s] = std::array::from_fn(|lane| unmet_share(step.unmet[lane], step.demand[lane]));
        }
        // What a service with a capacity received is the rest of its demand.
        for (s, rule) in rules.iter().enumerate() {
            if let Some(to) = rule.as_ref().and_then(|r| r.divert_to)
                && capacity[to].is_some()
            {
                let sent = steps[s].diverted;
                let ratio = rule.as_ref().map_or(1.0, |r| r.divert_ratio);
                let figures = &mut year[to * Figure::COUNT..(to + 1) * Figure::COUNT];
                for lane in 0..W {
                    figures[Figure::DivertedIn.index()][lane] += sent[lane] * ratio;
                }
            }
        }
    }

    /// After the matrix step from `x` to `next`: each `while_unmet`
    /// effect's departure from the folded share moves people `from → to`
    /// within each band whose `from` cell uses the service (this year's
    /// `feedback_cells`), `x[from] · m[from → to] · (r − 1)` with `r` the
    /// step's factor over the folded one, no more than the level gave up
    /// holds; recorded in the year's moves.
    pub(super) fn feed_back(
        &mut self,
        model: &Model,
        matrices: &[Vec<[f64; W]>],
        x: &[[f64; W]],
        next: &mut [[f64; W]],
    ) {
        // Each effect's ratio once a step (the same for all its cells).
        let mut any = false;
        for (ratio, &(s, k)) in self.feedback_ratios.iter_mut().zip(&self.feedback_effects) {
            let (u_step, u_year) = (self.unmet[s], self.unmet_year[s]);
            *ratio = (u_step != u_year)
                .then(|| std::array::from_fn(|lane| (1.0 - u_step[lane] * k) / (1.0 - u_year[lane] * k)));
            any |= ratio.is_some();
        }
        if !any {
            return;
        }
        let nl = model.levels.len();
        for cell in &self.feedback_cells {
            let Some(ratio) = self.feedback_ratios[cell.effect] else {
                continue;
            };
            let share = matrices[cell.band][cell.share];
            let gate = cell.gate;
            let moved = &mut self.transfers[cell.from * nl + cell.to - cell.band * nl];
            let (mut left, mut right) = (next[cell.from], next[cell.to]);
            let people = x[cell.from];
            for lane in 0..W {
                // (A lane whose cell does not use the service has gate 0.)
                let amount = (people[lane] * share[lane] * (ratio[lane] - 1.0) * gate[lane])
                    .min(left[lane])
                    .max(-right[lane]);
                left[lane] -= amount;
                right[lane] += amount;
                moved[lane] += amount;
            }
            next[cell.from] = left;
            next[cell.to] = right;
        }
    }

    /// The end of year `k`: the lists' lengths and waits over target, the
    /// year's figures into `out.supply`, served activity in place of
    /// demand (and diverted activity added) in `out.activity`, and the
    /// feedback moves added to the year's flows (`flows_at`: the year's
    /// first per-band flow; `year_cells`: its first cell).
    pub(super) fn end_year(&mut self, model: &Model, k: usize, year_cells: usize, out: &mut LaneTrajectory<W>) {
        let (ns, nl, nb) = (model.services.len(), model.levels.len(), model.bands.len());
        for s in 0..ns {
            let figures = &mut self.year[s * Figure::COUNT..(s + 1) * Figure::COUNT];
            if let Some(list) = &self.lists[s] {
                figures[Figure::ListEnd.index()] = list.total();
                if let Some(t) = self.target_steps[s] {
                    figures[Figure::OverTarget.index()] = list.waited_longer_than(t);
                }
            }
            let activity = &mut out.activity[k * ns + s];
            if model.services[s].capacity.is_some() {
                *activity = figures[Figure::Served.index()];
            } else if self.involved[s] {
                let received = figures[Figure::DivertedIn.index()];
                for lane in 0..W {
                    activity[lane] += received[lane];
                }
            }
        }
        let at = k * super::supply_figures(model);
        out.supply[at..at + ns * Figure::COUNT].copy_from_slice(&self.year);
        if !self.feedback {
            return;
        }
        // (In the order of bands, levels from and levels to.)
        for &t in &self.transfers_used {
            add_move(out, (k, nb, nl), year_cells, t, self.transfers[t]);
        }
    }
}

/// Adds `moved` people, beyond those the matrices moved, to year `k`'s
/// flows for the move `index = (band * nl + from) * nl + to` (nothing for
/// a level to itself); `year_cells` is the year's first cell.
fn add_move<const W: usize>(
    out: &mut LaneTrajectory<W>,
    (k, nb, nl): (usize, usize, usize),
    year_cells: usize,
    index: usize,
    moved: [f64; W],
) {
    let (b, from, to) = (index / (nl * nl), index / nl % nl, index % nl);
    add_move_at(out, (k, nb, nl), year_cells, (b, from, to), moved);
}

/// [`add_move`] for the move of band `b` from level `from` to `to`.
pub(super) fn add_move_at<const W: usize>(
    out: &mut LaneTrajectory<W>,
    (k, nb, nl): (usize, usize, usize),
    year_cells: usize,
    (b, from, to): (usize, usize, usize),
    moved: [f64; W],
) {
    if from == to || moved == [0.0; W] {
        return;
    }
    let add = |v: &mut [f64; W]| {
        for lane in 0..W {
            v[lane] += moved[lane];
        }
    };
    add(&mut out.level_flows[(k * nl + from) * nl + to]);
    if !out.totals_only {
        add(&mut out.flows[((k * nb + b) * nl + from) * nl + to]);
        add(&mut out.moved_out[year_cells + b * nl + from]);
        add(&mut out.moved_in[year_cells + b * nl + to]);
    }
}

/// One band's cells that a `while_unmet` effect moves people between.
#[derive(Debug, Clone, Copy)]
struct FeedbackCell<const W: usize> {
    /// The effect's place in `SupplyWork::feedback_effects`.
    effect: usize,
    /// The cells people move from and to, and their band.
    from: usize,
    to: usize,
    band: usize,
    /// The `from → to` entry's place in the band's matrix.
    share: usize,
    /// Per lane 1 where the `from` cell uses the service, else 0.
    gate: [f64; W],
}

/// The effects of the interventions in `plan` that add capacity to
/// service `s` in `year`: (intervention, effect, the intervention's scale
/// that year), for those running.
fn capacity_effects<'a>(
    model: &'a Model,
    plan: &'a [usize],
    s: usize,
    year: i32,
) -> impl Iterator<Item = (usize, usize, f64)> + 'a {
    plan.iter().flat_map(move |&i| {
        let iv = &model.interventions[i];
        let scale = iv.scale_in(year);
        iv.effects
            .iter()
            .enumerate()
            .filter(move |(_, e)| scale > 0.0 && matches!(e, Effect::Capacity { service, .. } if *service == s))
            .map(move |(n, _)| (i, n, scale))
    })
}

/// A step's demand for a service from the people `x` at its start: Σ
/// over the cells that use it (`used`) of people × use (`rates`, the
/// cells' in the same order) × the step's length.
fn own_demand<const W: usize>(x: &[[f64; W]], used: &[usize], rates: &[[f64; W]], dt: f64) -> [f64; W] {
    // Four chains of additions, so that one does not wait on another.
    let mut d = [[0.0; W]; 4];
    let chunks = used.chunks_exact(4).zip(rates.chunks_exact(4));
    let rest = used.len() / 4 * 4;
    for (cells, cell_rates) in chunks {
        for ((sum, &c), rate) in d.iter_mut().zip(cells).zip(cell_rates) {
            let people = x[c];
            for lane in 0..W {
                sum[lane] += people[lane] * rate[lane];
            }
        }
    }
    for ((sum, &c), rate) in d.iter_mut().zip(&used[rest..]).zip(&rates[rest..]) {
        let people = x[c];
        for lane in 0..W {
            sum[lane] += people[lane] * rate[lane];
        }
    }
    std::array::from_fn(|lane| ((d[0][lane] + d[1][lane]) + (d[2][lane] + d[3][lane])) * dt)
}

/// [`own_demand`] from each of the stocks one after another in `stocks`
/// (`cells` each), into `out`: four stocks at a time, so that each cell's
/// rate is read once for the four, each stock's sum in the same operations
/// as alone.
fn own_demands<const W: usize>(
    stocks: &[[f64; W]],
    cells: usize,
    used: &[usize],
    rates: &[[f64; W]],
    dt: f64,
    out: &mut [[f64; W]],
) {
    const AT_ONCE: usize = 4;
    let whole = out.len() / AT_ONCE * AT_ONCE;
    for (first, sums) in out[..whole].chunks_exact_mut(AT_ONCE).enumerate() {
        let x: [&[[f64; W]]; AT_ONCE] =
            std::array::from_fn(|j| &stocks[(first * AT_ONCE + j) * cells..(first * AT_ONCE + j + 1) * cells]);
        let mut d = [[[0.0; W]; 4]; AT_ONCE];
        let rest = used.len() / 4 * 4;
        for (four, four_rates) in used[..rest].chunks_exact(4).zip(rates[..rest].chunks_exact(4)) {
            for chain in 0..4 {
                let (c, rate) = (four[chain], four_rates[chain]);
                for j in 0..AT_ONCE {
                    let people = x[j][c];
                    for lane in 0..W {
                        d[j][chain][lane] += people[lane] * rate[lane];
                    }
                }
            }
        }
        for (chain, (&c, rate)) in used[rest..].iter().zip(&rates[rest..]).enumerate() {
            for j in 0..AT_ONCE {
                let people = x[j][c];
                for lane in 0..W {
                    d[j][chain][lane] += people[lane] * rate[lane];
                }
            }
        }
        for (sum, d) in sums.iter_mut().zip(&d) {
            *sum = std::array::from_fn(|lane| ((d[0][lane] + d[1][lane]) + (d[2][lane] + d[3][lane])) * dt);
        }
    }
    for (t, sum) in out.iter_mut().enumerate().skip(whole) {
        *sum = own_demand(&stocks[t * cells..(t + 1) * cells], used, rates, dt);
    }
}

/// The share of `demand` that `unmet` is, in [0, 1] (0 without demand).
fn unmet_share(unmet: f64, demand: f64) -> f64 {
    if demand > 0.0 {
        (unmet / demand).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The bins a waiting list needs to tell apart waits up to a target of
/// `steps` steps: its last bin starts at or beyond the target.
fn bins_for(steps: f64) -> usize {
    (steps.ceil() as usize).max(1) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_has_a_bin_beyond_its_target() {
        assert_eq!(bins_for(18.0), 19);
        assert_eq!(bins_for(18.0 / 52.0 * 12.0), 6);
        assert_eq!(bins_for(18.0 / 52.0), 2);
    }
}
