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
    /// Lanes of several bands' intensities packed side by side ([`Self::build_lanes`]).
    packed: Vec<[f64; W]>,
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
            packed: Vec::new(),
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
        if let Some(i) = self.position(band, inputs) {
            return Ok(&self.bands[band][i].1);
        }
        self.build(model, band, year, inputs)
    }

    /// Where the matrix for `band` under exactly `inputs` is remembered, if it is.
    fn position(&self, band: usize, inputs: &[[f64; W]]) -> Option<usize> {
        let print = fingerprint(inputs);
        (self.prints[band].iter().zip(&self.bands[band]))
            .position(|(&p, (key, _))| p == print && key.as_slice() == inputs)
    }

    /// The slot a new matrix of `band` goes in: a new one while fewer than
    /// [`REMEMBERED`] are kept, else the oldest in turn (its vectors reused).
    fn slot(&mut self, band: usize) -> usize {
        if self.bands[band].len() < REMEMBERED {
            self.bands[band].push((Vec::new(), Vec::new()));
            self.prints[band].push(0);
            self.bands[band].len() - 1
        } else {
            let slot = self.next_slot[band];
            self.next_slot[band] = (slot + 1) % REMEMBERED;
            slot
        }
    }

    /// [`Self::matrix`] for `inputs` not remembered: built and remembered.
    pub fn build(
        &mut self,
        model: &Model,
        band: usize,
        year: i32,
        inputs: &[[f64; W]],
    ) -> Result<&[[f64; W]], EngineError> {
        let print = fingerprint(inputs);
        let slot = self.slot(band);
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
        if !model.tunnels.is_empty() {
            super::tunnels::move_on(model, matrix);
        }
        key.extend_from_slice(inputs);
        self.prints[band][slot] = print;
        Ok(matrix)
    }

    /// The matrix remembered for `band` under exactly `inputs`, if any
    /// (as [`Self::matrix`] finds it).
    pub fn find(&self, band: usize, inputs: &[[f64; W]]) -> Option<&[[f64; W]]> {
        self.position(band, inputs).map(|i| self.bands[band][i].1.as_slice())
    }

    /// Remembers `matrix` as `band`'s under `inputs` (in `rates` mode, as
    /// [`Self::matrix`] would have built it), in the slot `matrix` would use.
    pub fn remember(&mut self, band: usize, inputs: &[[f64; W]], matrix: &[[f64; W]]) {
        let slot = self.slot(band);
        let (key, remembered) = &mut self.bands[band][slot];
        key.clear();
        key.extend_from_slice(inputs);
        remembered.clear();
        remembered.extend_from_slice(matrix);
        self.prints[band][slot] = fingerprint(inputs);
    }

    /// `rates` mode: `band`'s matrix for `inputs` into `matrix`, which holds
    /// the band's matrix for `last` (empty: none yet), and `last` set to
    /// `inputs`. The matrix remembered for `inputs` if there is one, else
    /// built whole when every lane's inputs moved; else only the lanes
    /// whose inputs moved (where one draw's feedback moved, the others'
    /// lanes stay as they were) are added to `jobs`, to be built by
    /// [`Self::build_lanes`] with other bands' (and then remembered), and
    /// the answer is true.
    pub fn band_lanes(
        &mut self,
        model: &Model,
        (band, year): (usize, i32),
        inputs: &[[f64; W]],
        last: &mut Vec<[f64; W]>,
        matrix: &mut [[f64; W]],
        jobs: &mut Vec<(usize, usize)>,
    ) -> Result<bool, EngineError> {
        let same = |lane: usize| {
            last.len() == inputs.len() && (last.iter().zip(inputs)).all(|(a, b)| a[lane].to_bits() == b[lane].to_bits())
        };
        let mut queued = false;
        if let Some(m) = self.find(band, inputs) {
            matrix.copy_from_slice(m);
        } else if (0..W).all(|lane| !same(lane)) {
            matrix.copy_from_slice(self.build(model, band, year, inputs)?);
        } else {
            jobs.extend((0..W).filter(|&lane| !same(lane)).map(|lane| (band, lane)));
            queued = true;
        }
        last.clear();
        last.extend_from_slice(inputs);
        Ok(queued)
    }

    /// `rates` mode: the per-step matrices of single lanes, `jobs` (band,
    /// lane), from the intensities `inputs` (band `b`'s at `b × levels ×
    /// (levels + 1)`), written into that lane of `matrices[band]`. The jobs
    /// are packed `W` at a time into one batched exponential, each lane
    /// computed exactly as alone (so exactly as [`Self::matrix`] computes
    /// it among its band's lanes).
    pub fn build_lanes(
        &mut self,
        model: &Model,
        jobs: &[(usize, usize)],
        inputs: &[[f64; W]],
        matrices: &mut [Vec<[f64; W]>],
    ) {
        debug_assert_eq!(model.transition_mode, TransitionMode::Rates);
        let n = self.levels * (self.levels + 1);
        let mut packed = std::mem::take(&mut self.packed);
        for group in jobs.chunks(W) {
            // A short group fills its spare lanes with its first job.
            let job = |j: usize| group.get(j).copied().unwrap_or(group[0]);
            packed.clear();
            packed.extend((0..n).map(|e| {
                std::array::from_fn(|j| {
                    let (band, lane) = job(j);
                    inputs[band * n + e][lane]
                })
            }));
            self.rates_step(model, &packed);
            for (j, &(band, lane)) in group.iter().enumerate() {
                // Rounding can leave shares of −1e-17; shares are never negative.
                for (m, e) in matrices[band].iter_mut().zip(&self.e[..n]) {
                    m[lane] = e[j].max(0.0);
                }
                if !model.tunnels.is_empty() {
                    // The band's other lanes have moved on already; again changes nothing.
                    super::tunnels::move_on(model, &mut matrices[band]);
                }
            }
        }
        self.packed = packed;
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

/// `transitions_given_survival`: a band's one-year figures (per level, each
/// level's moves then its exit, `nl + 1` entries) with each move scaled by
/// the share that does not exit, `(1 − exit) × p`, so that the stay is
/// `(1 − exit) × (1 − Σ p)`.
pub(super) fn moves_among_survivors<const W: usize>(figures: &mut [[f64; W]], nl: usize) {
    let w = nl + 1;
    for from in 0..nl {
        let exit = figures[from * w + nl];
        for to in (0..nl).filter(|&to| to != from) {
            let p = &mut figures[from * w + to];
            for lane in 0..W {
                p[lane] *= 1.0 - exit[lane];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_built_apart_are_the_lanes_of_their_bands_matrices() {
        let model = crate::scenario::load(std::path::Path::new("scenarios/bench-national.toml"))
            .expect("the bundled example loads")
            .model;
        assert_eq!(model.transition_mode, TransitionMode::Rates);
        let l = model.levels.len();
        let n = l * (l + 1);
        // Three bands' intensities, different in every lane.
        let inputs: Vec<[f64; 4]> = (0..3 * n)
            .map(|e| {
                std::array::from_fn(|lane| {
                    if e % (l + 2) == 0 {
                        0.0
                    } else {
                        0.02 + 0.01 * ((e * 7 + lane * 3) % 11) as f64
                    }
                })
            })
            .collect();
        let mut whole = MatrixCache::<4>::new(&model);
        let expected: Vec<Vec<[f64; 4]>> = (0..3)
            .map(|b| {
                whole
                    .matrix(&model, b, 2025, &inputs[b * n..(b + 1) * n])
                    .unwrap()
                    .to_vec()
            })
            .collect();
        // Five lanes of the three bands, packed two groups' worth.
        let jobs = [(0, 1), (2, 0), (2, 3), (1, 2), (0, 3)];
        let mut matrices = vec![vec![[f64::NAN; 4]; n]; 3];
        MatrixCache::<4>::new(&model).build_lanes(&model, &jobs, &inputs, &mut matrices);
        for (b, lane) in jobs {
            for (built, expected) in matrices[b].iter().zip(&expected[b]) {
                assert_eq!(built[lane].to_bits(), expected[lane].to_bits(), "band {b}, lane {lane}");
            }
        }
    }
}
