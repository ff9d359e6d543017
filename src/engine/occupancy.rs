//! Person-years by a weight per time point (`occupancy = "simpson"` or
//! `occupancy_weights`; `model::PointWeights`): each year's person-years of
//! a cell are `dt × Σ c_s × stock_s` over the year's step boundaries, with
//! the weights `c_s` the year's steps take ([`PointWeights::year_weights`]).
//! The kernel keeps the sum of the stocks at each step's start; only the
//! year's inner points whose weight is not 1 need adding step by step, and
//! a model whose inner points all weigh 1 (Simpson's rule at one step a
//! year, the half-cycle weights) runs its years as fast as before.

// Index loops over lanes are the plainest form of these kernels.
#![allow(clippy::needless_range_loop)]

use crate::model::{Model, PointWeights};

/// The working memory of the weighted count, kept between runs.
#[derive(Debug, Clone, Default)]
pub struct PointWork<const W: usize> {
    /// Whether the model counts by point weights (else nothing here runs).
    pub(super) on: bool,
    /// Whether some year's inner points (between its first and last) weigh
    /// other than 1: then the steps add them as they run, one step at a time.
    pub(super) by_step: bool,
    /// This year's point weights, start to end.
    year: Vec<f64>,
    /// Per cell, Σ (c_s − 1) × stock_s over this year's inner points.
    inner: Vec<[f64; W]>,
}

impl<const W: usize> PointWork<W> {
    pub(super) fn prepare(&mut self, model: &Model) {
        let Some(weights) = &model.point_weights else {
            self.on = false;
            self.by_step = false;
            return;
        };
        let steps = model.steps_per_year as usize;
        self.on = true;
        self.by_step = (0..model.horizon_years as usize).any(|k| {
            weights.year_weights(k, steps, &mut self.year);
            self.year[1..steps].iter().any(|&c| c != 1.0)
        });
        self.inner.clear();
        self.inner.resize(model.cells(), [0.0; W]);
    }

    /// Year `k`'s weights, and its inner points' sums emptied.
    pub(super) fn start_year(&mut self, weights: &PointWeights, k: usize, steps: usize) {
        weights.year_weights(k, steps, &mut self.year);
        self.inner.fill([0.0; W]);
    }

    /// This year's point weights, start to end (after [`PointWork::start_year`]).
    pub(super) fn year_weights(&self) -> &[f64] {
        &self.year
    }

    /// The stocks `x` at the start of the year's step `step` (an inner point,
    /// `1 ≤ step < steps`), added at their weight less the 1 the step-start
    /// sum already counts.
    pub(super) fn add_point(&mut self, step: usize, x: &[[f64; W]]) {
        let extra = self.year[step] - 1.0;
        if extra == 0.0 {
            return;
        }
        for (sum, stock) in self.inner.iter_mut().zip(x) {
            for lane in 0..W {
                sum[lane] += extra * stock[lane];
            }
        }
    }

    /// Each cell's person-years of the year, from its step-start sum `sum`,
    /// its stock at the year's start `first` and end `last`: `sum × dt +
    /// dt × ((c_0 − 1) × first + inner + c_S × last)`. (With the half-cycle
    /// weights this is, operation for operation, `half_cycle`'s
    /// `sum × dt + ½ × dt × (last − first)`: the scalings by ½ are exact.)
    pub(super) fn person_years<'a>(
        &self,
        cells: impl Iterator<Item = (((&'a mut [f64; W], &'a [f64; W]), &'a [f64; W]), &'a [f64; W])>,
        dt: f64,
    ) {
        let first_extra = self.year[0] - 1.0;
        let last_weight = self.year[self.year.len() - 1];
        for ((((py, sum), first), last), inner) in cells.zip(&self.inner) {
            *py = std::array::from_fn(|lane| {
                let corrected = (first_extra * first[lane] + inner[lane]) + last_weight * last[lane];
                sum[lane] * dt + dt * corrected
            });
        }
    }
}
