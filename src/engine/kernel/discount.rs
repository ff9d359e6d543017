//! Each time point discounted at its own time (`discount_timing =
//! "per_time_point"`; README, "Reproducing a Markov cohort model"): a
//! year's person-years discounted within it from its start, `dt × Σ_j c_j ×
//! ρ^(j/S) × x_j` over its `S + 1` step boundaries (`c_j` the occupancy
//! convention's weights, `ρ = 1/(1 + r)`), at the cost rate (each lane's
//! own) and at health's; from them each service's activity, each
//! intervention's cost and the health figures, into the year's block of
//! `LaneTrajectory::discounted`. The year's other figures weigh in at its
//! end (activity on entry, fixed costs, capacity bought) or at its start
//! (costs at the start of the model or of an intervention). A year's
//! discounted figure is its block's × the year's start factor `ρ^k`.

use super::{Run, Work, money, service_activity};
use crate::engine::{LaneTrajectory, discounted_figures, entry, outcomes};
use crate::model::{DiscountTiming, Model, Occupancy};

/// The working memory of the discounting point by point, kept between runs.
#[derive(Debug, Clone, Default)]
pub struct DiscountWork<const W: usize> {
    /// Whether the model discounts each time point at its own time.
    pub(in crate::engine) on: bool,
    /// Whether years have inner points (more than one step a year): the
    /// steps then add them as they run.
    pub(in crate::engine) by_step: bool,
    /// This year's point weights, start to end.
    weights: Vec<f64>,
    /// Per point of a year, each lane's cost factor from the year's start,
    /// `(1 + r)^(−j/S)`, and health's.
    cost_at: Vec<[f64; W]>,
    health_at: Vec<f64>,
    /// Per cell, the year's inner points so far, weighted and discounted,
    /// at the cost rate and at health's; then the year's person-years so.
    cost_sum: Vec<[f64; W]>,
    health_sum: Vec<[f64; W]>,
    /// Per cell, exits discounted at health's rate from the year's end.
    exits: Vec<[f64; W]>,
}

impl<const W: usize> DiscountWork<W> {
    pub(super) fn prepare(&mut self, run: &Run<'_, W>) {
        let model = run.model;
        self.on = model.discount_timing == DiscountTiming::PerPoint;
        self.by_step = self.on && run.steps > 1;
        if !self.on {
            return;
        }
        let rate = run.lanes(run.layout.discount_rate());
        let health = model.outcomes.as_ref().map_or(0.0, |o| o.discount_rate);
        let factor = |r: f64, j: usize| (1.0 + r).powf(-(j as f64) / run.steps as f64);
        self.cost_at.clear();
        self.cost_at
            .extend((0..=run.steps).map(|j| std::array::from_fn(|lane| factor(rate[lane], j))));
        self.health_at.clear();
        self.health_at.extend((0..=run.steps).map(|j| factor(health, j)));
        for v in [&mut self.cost_sum, &mut self.health_sum, &mut self.exits] {
            v.clear();
            v.resize(run.cells, [0.0; W]);
        }
    }

    /// Year `k`'s point weights (the occupancy convention's; Simpson's or
    /// the user's from `points`), and its sums emptied.
    pub(super) fn start_year(&mut self, model: &Model, points: &[f64], steps: usize) {
        self.weights.clear();
        self.weights.resize(steps + 1, 1.0);
        match model.occupancy {
            Occupancy::Start => self.weights[steps] = 0.0,
            Occupancy::End => self.weights[0] = 0.0,
            Occupancy::HalfCycle => {
                self.weights[0] = 0.5;
                self.weights[steps] = 0.5;
            }
            Occupancy::Simpson | Occupancy::Weights => self.weights.copy_from_slice(points),
        }
        self.cost_sum.fill([0.0; W]);
        self.health_sum.fill([0.0; W]);
    }

    /// Adds the stocks `x` at the year's point `j` (`0 ≤ j ≤ steps`).
    pub(super) fn add_point(&mut self, j: usize, x: &[[f64; W]]) {
        let c = self.weights[j];
        if c == 0.0 {
            return;
        }
        let (cost, health) = (self.cost_at[j], c * self.health_at[j]);
        for ((sc, sh), stock) in self.cost_sum.iter_mut().zip(self.health_sum.iter_mut()).zip(x) {
            for lane in 0..W {
                sc[lane] += c * cost[lane] * stock[lane];
                sh[lane] += health * stock[lane];
            }
        }
    }
}

impl<const W: usize> Work<W> {
    /// Year `k`'s figures discounted within it, into its block of
    /// `out.discounted`, after its own figures (activity on entry
    /// included). The year's first and inner points are already added; its
    /// last is the stocks at its end.
    pub(super) fn discount_year(
        &mut self,
        run: &Run<'_, W>,
        (k, year): (usize, i32),
        year_cells: usize,
        out: &mut LaneTrajectory<W>,
    ) {
        let Run {
            model,
            plan,
            cells,
            steps,
            dt,
            ..
        } = *run;
        let Work {
            x,
            use_rate,
            delivered,
            discount: d,
            ..
        } = self;
        d.add_point(steps, x);
        let end_cost = d.cost_at[steps];
        let end_health = d.health_at[steps];
        for (sc, sh) in d.cost_sum.iter_mut().zip(d.health_sum.iter_mut()) {
            *sc = sc.map(|v| v * dt);
            *sh = sh.map(|v| v * dt);
        }
        let (ns, ni) = (model.services.len(), model.interventions.len());
        let entered = run.on_entry.then(|| entry::entered(model, k, year_cells, out));
        let width = discounted_figures(model);
        let block = &mut out.discounted[k * width..(k + 1) * width];
        let (services, rest) = block.split_at_mut(ns);
        let (interventions, health) = rest.split_at_mut(ni);
        service_activity(&use_rate[..ns * cells], &d.cost_sum, services);
        let start = &out.people_start[year_cells..year_cells + cells];
        if run.at_start {
            money::add_at_start(run, k, start, services);
        }
        if let Some(entered) = &entered {
            entry::add_units(model, k, entered, end_cost, services);
        }
        for &i in plan {
            let (_, spent) = money::intervention_year(
                run,
                i,
                (k, year),
                delivered[i][k],
                &d.cost_sum,
                start,
                money::Timing { end: end_cost },
            );
            interventions[i] = spent;
        }
        let exits = &out.exits[year_cells..year_cells + cells];
        for (e, x) in d.exits.iter_mut().zip(exits) {
            *e = x.map(|v| v * end_health);
        }
        outcomes::year_figures(model, &d.health_sum, &d.exits, &use_rate[ns * cells..], health);
    }
}
