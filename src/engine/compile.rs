//! Per-step transition matrices for `W` lanes at once. A band's matrix
//! depends only on its annual figures with intervention effects folded in;
//! those change per draw and, during a ramp, per year, so matrices are built
//! on change and remembered (also across the futures of one batch of draws,
//! which share every band no intervention touches).

// Index loops over lanes, levels and cells are the plainest form of these
// kernels, and the form the compiler vectorises.
#![allow(clippy::needless_range_loop)]

use super::EngineError;
use super::expm::{Scratch, expm_lanes};
use crate::linalg::stochastic_root;
use crate::model::{Model, TransitionMode};
use nalgebra::DMatrix;

/// How many matrices each band remembers.
const REMEMBERED: usize = 8;

/// A matrix and the inputs it was built from.
type Remembered<const W: usize> = (Vec<[f64; W]>, Vec<[f64; W]>);

/// Per band, the matrices built so far, keyed by the exact inputs they were
/// built from. Matrices are `levels` rows of `levels + 1` entries (the last
/// the exit share), lane-last.
pub struct MatrixCache<const W: usize> {
    levels: usize,
    bands: Vec<Vec<Remembered<W>>>,
    /// Per band, each remembered key's fingerprint (side by side, so that a
    /// lookup that misses reads one cache line).
    prints: Vec<Vec<u64>>,
    next_slot: Vec<usize>,
    scratch: Scratch<W>,
    q: Vec<[f64; W]>,
    e: Vec<[f64; W]>,
    /// Per band, the last annual probabilities turned into intensities, and
    /// those intensities (the futures of a batch mostly share them).
    rates: Vec<Remembered<W>>,
}

impl<const W: usize> MatrixCache<W> {
    pub fn new(model: &Model) -> Self {
        Self {
            levels: model.levels.len(),
            bands: vec![Vec::new(); model.bands.len()],
            prints: vec![Vec::new(); model.bands.len()],
            next_slot: vec![0; model.bands.len()],
            scratch: Scratch::default(),
            q: Vec::new(),
            e: Vec::new(),
            rates: vec![(Vec::new(), Vec::new()); model.bands.len()],
        }
    }

    /// The intensities `−ln(1 − p)` of `band`'s annual probabilities
    /// `probabilities`, worked out again only when they differ from the
    /// band's last (`unchanged`: the caller knows they are the band's last,
    /// which then need not be compared).
    pub fn intensities(&mut self, band: usize, probabilities: &[[f64; W]], unchanged: bool) -> &[[f64; W]] {
        let (key, rates) = &mut self.rates[band];
        debug_assert!(!unchanged || key.as_slice() == probabilities);
        if !unchanged && key.as_slice() != probabilities {
            key.clear();
            key.extend_from_slice(probabilities);
            rates.clear();
            rates.extend(probabilities.iter().map(|p| p.map(|p| -(-p).ln_1p())));
        }
        rates
    }

    /// The per-step matrix of `band` for `inputs` (`levels × (levels + 1)`,
    /// lane-last): intensities per year in `rates` mode, annual probabilities
    /// in `annual_matrix` mode. `year` is only for messages.
    pub fn matrix(
        &mut self,
        model: &Model,
        band: usize,
        year: i32,
        inputs: &[[f64; W]],
    ) -> Result<&[[f64; W]], EngineError> {
        let print = fingerprint(inputs);
        let found = (self.prints[band].iter().zip(&self.bands[band]))
            .position(|(&p, (key, _))| p == print && key.as_slice() == inputs);
        if let Some(i) = found {
            return Ok(&self.bands[band][i].1);
        }
        // A slot's vectors are reused when it is replaced.
        let slot = if self.bands[band].len() < REMEMBERED {
            self.bands[band].push((Vec::new(), Vec::new()));
            self.prints[band].push(0);
            self.bands[band].len() - 1
        } else {
            let slot = self.next_slot[band];
            self.next_slot[band] = (slot + 1) % REMEMBERED;
            slot
        };
        let built = match model.transition_mode {
            TransitionMode::Rates => {
                self.rates_step(model, inputs);
                None
            }
            TransitionMode::AnnualMatrix => Some(annual_step(model, band, year, inputs, self.levels)),
        };
        let (key, matrix) = &mut self.bands[band][slot];
        key.clear();
        matrix.clear();
        match built {
            None => {
                // Rounding can leave shares of −1e-17; shares are never negative.
                let n = self.levels * (self.levels + 1);
                matrix.extend(self.e[..n].iter().map(|x| x.map(|v| v.max(0.0))));
            }
            Some(Ok(m)) => *matrix = m,
            Some(Err(e)) => {
                // Nothing usable was built: the slot is left empty (an
                // empty key matches no inputs).
                return Err(e);
            }
        }
        key.extend_from_slice(inputs);
        self.prints[band][slot] = print;
        Ok(matrix)
    }

    /// `expm(Q·dt)` for the generator of the given intensities, into `self.e`
    /// (`levels + 1` rows; the last, the exit's, is not a band's).
    fn rates_step(&mut self, model: &Model, rates: &[[f64; W]]) {
        let l = self.levels;
        let n = l + 1;
        let dt = 1.0 / f64::from(model.steps_per_year);
        self.q.clear();
        self.q.resize(n * n, [0.0; W]);
        for from in 0..l {
            let mut total = [0.0; W];
            for to in 0..n {
                if to != from {
                    let r = rates[from * n + to];
                    for lane in 0..W {
                        self.q[from * n + to][lane] = r[lane] * dt;
                        total[lane] += r[lane] * dt;
                    }
                }
            }
            self.q[from * n + from] = total.map(|t| -t);
        }
        expm_lanes(&self.q, n, &mut self.e, &mut self.scratch);
    }
}

/// A cheap summary of a key's bits (their wrapping sum, lane by lane, then
/// over lanes): keys equal bit for bit have equal fingerprints, and a
/// lookup compares keys in full only where fingerprints agree. (A key that
/// differs from a remembered one only by a zero's sign misses, and its
/// matrix is built again: the same numbers.)
fn fingerprint<const W: usize>(inputs: &[[f64; W]]) -> u64 {
    let mut sums = [0u64; W];
    for v in inputs {
        for lane in 0..W {
            sums[lane] = sums[lane].wrapping_add(v[lane].to_bits());
        }
    }
    sums.iter().fold(0u64, |a, &s| a.rotate_left(17) ^ s)
}

/// The per-step root of the annual matrix, lane by lane.
fn annual_step<const W: usize>(
    model: &Model,
    band: usize,
    year: i32,
    probabilities: &[[f64; W]],
    l: usize,
) -> Result<Vec<[f64; W]>, EngineError> {
    let n = l + 1;
    let mut out = vec![[0.0; W]; l * n];
    for lane in 0..W {
        let mut p = DMatrix::<f64>::zeros(n, n);
        p[(l, l)] = 1.0;
        for from in 0..l {
            let mut leaving = 0.0;
            for to in 0..n {
                if to != from {
                    p[(from, to)] = probabilities[from * n + to][lane];
                    leaving += p[(from, to)];
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
        let root = stochastic_root(&p, model.steps_per_year).ok_or_else(|| EngineError::NoValidRoot {
            band: model.bands[band].name.clone(),
            year,
            steps: model.steps_per_year,
        })?;
        for from in 0..l {
            for to in 0..n {
                out[from * n + to][lane] = root[(from, to)];
            }
        }
    }
    Ok(out)
}
