//! Per-step transition matrices, built once per band whenever the band's
//! annual figures (with intervention effects folded in) change, not per step.

use super::EngineError;
use crate::linalg::{expm, stochastic_root};
use crate::model::{Model, TransitionMode};
use crate::units::{AnnualProbability, StepLength};
use nalgebra::DMatrix;

/// For each band, the per-step matrix as `levels` rows of `levels + 1`
/// entries: the share of a level's people in each level at the end of the
/// step, and (last column) the share that exited.
pub(super) struct StepMatrices {
    levels: usize,
    matrices: Vec<Vec<f64>>,
    /// The annual inputs each band's matrix was built from (NaN = never built).
    inputs: Vec<Vec<f64>>,
}

impl StepMatrices {
    pub(super) fn new(model: &Model) -> Self {
        let l = model.levels.len();
        let w = l * (l + 1);
        Self {
            levels: l,
            matrices: vec![vec![0.0; w]; model.bands.len()],
            inputs: vec![vec![f64::NAN; w]; model.bands.len()],
        }
    }

    /// The per-step shares out of `from` in `band`.
    #[inline]
    pub(super) fn row(&self, band: usize, from: usize) -> &[f64] {
        let w = self.levels + 1;
        &self.matrices[band][from * w..(from + 1) * w]
    }

    /// Brings `band`'s matrix up to date for `year`. `factors` holds one
    /// multiplier per (from, to-or-exit): the cell-average effect of the
    /// interventions on that move (1 = none).
    pub(super) fn update(&mut self, model: &Model, band: usize, year: i32, factors: &[f64]) -> Result<(), EngineError> {
        let l = self.levels;
        let w = l + 1;
        // In `rates` mode the inputs are intensities (a relative risk
        // multiplies the hazard); in `annual_matrix` mode they are annual
        // probabilities (a relative risk multiplies the probability and the
        // stay share absorbs the difference).
        let as_input = |p: AnnualProbability| match model.transition_mode {
            TransitionMode::Rates => p.to_rate().value(),
            TransitionMode::AnnualMatrix => p.value(),
        };
        let mut inputs = vec![0.0; l * w];
        for from in 0..l {
            for to in 0..l {
                if to != from {
                    inputs[from * w + to] =
                        as_input(model.transitions[model.transition_index(band, from, to)].at(year));
                }
            }
            inputs[from * w + l] = as_input(model.exits[model.cell(band, from)].at(year));
            for to in 0..w {
                inputs[from * w + to] *= factors[from * w + to];
            }
        }
        if inputs == self.inputs[band] {
            return Ok(());
        }
        let dt = StepLength::per_year(model.steps_per_year);
        let matrix = match model.transition_mode {
            TransitionMode::Rates => rates_step(&inputs, l, dt),
            TransitionMode::AnnualMatrix => {
                let mut p = DMatrix::<f64>::zeros(w, w);
                p[(l, l)] = 1.0;
                for from in 0..l {
                    let mut leaving = 0.0;
                    for to in 0..w {
                        if to != from {
                            p[(from, to)] = inputs[from * w + to];
                            leaving += inputs[from * w + to];
                        }
                    }
                    if leaving > 1.0 + 1e-12 {
                        return Err(EngineError::RowOverflow {
                            band: model.bands[band].name.clone(),
                            level: model.levels[from].clone(),
                            year,
                            sum: leaving,
                        });
                    }
                    p[(from, from)] = (1.0 - leaving).max(0.0);
                }
                stochastic_root(&p, model.steps_per_year).ok_or_else(|| EngineError::NoValidRoot {
                    band: model.bands[band].name.clone(),
                    year,
                    steps: model.steps_per_year,
                })?
            }
        };
        let out = &mut self.matrices[band];
        for from in 0..l {
            for to in 0..w {
                out[from * w + to] = matrix[(from, to)];
            }
        }
        self.inputs[band] = inputs;
        Ok(())
    }
}

/// `expm(Q·dt)` for the generator whose off-diagonal entries are the
/// (effect-adjusted) intensities per year.
fn rates_step(rates: &[f64], l: usize, dt: StepLength) -> DMatrix<f64> {
    let w = l + 1;
    let mut q = DMatrix::<f64>::zeros(w, w);
    for from in 0..l {
        let mut total = 0.0;
        for to in 0..w {
            if to != from {
                q[(from, to)] = rates[from * w + to] * dt.years();
                total += q[(from, to)];
            }
        }
        q[(from, from)] = -total;
    }
    let mut m = expm(&q);
    // Rounding can leave shares of −1e-17; shares are never negative.
    for x in m.iter_mut() {
        if *x < 0.0 {
            *x = 0.0;
        }
    }
    m
}
