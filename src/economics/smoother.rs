//! The non-parametric regression EVPPI needs: a penalised regression spline
//! on 1 to 4 inputs, its smoothing chosen by generalised cross-validation.
//!
//! The method, exactly:
//! - Each input is scaled to [0, 1] by its range. On it, a cubic B-spline
//!   basis of `m` functions (see [`margin_size`]: 24 for one input, 10 for
//!   two, 6 for three, 4 for four), clamped at 0 and 1, with its `m − 4`
//!   interior knots at the input's quantiles j/(m − 3) (repeated quantiles
//!   dropped; an input that never changes is a constant).
//! - With two or more inputs, the basis is the tensor product of the
//!   margins' bases (all `m^d` products; no separate main effects, which
//!   the tensor product already spans).
//! - The penalty is each margin's integrated squared second derivative,
//!   `∫ f''(u)² du` (O'Sullivan's penalty, computed exactly), summed over
//!   the margins as `Σ_j I ⊗ … ⊗ S_j ⊗ … ⊗ I` with one smoothing
//!   parameter λ for all (the inputs being on one scale). Its null space,
//!   never shrunk, is the functions linear in each input separately, the
//!   constant among them, so the fitted values' mean is the response's.
//! - The coefficients minimise `‖y − Bβ‖² + λ β'Sβ`. With `B'B = LL'`
//!   (Cholesky, after a ridge of 1e-9 of its mean diagonal, for inputs with
//!   fewer distinct values than functions) and `L⁻¹SL⁻ᵀ = U D U'`, every λ
//!   costs O(k): the fit shrinks `z = U'L⁻¹B'y` by `1/(1 + λd_i)`.
//! - λ minimises GCV(λ) = n·RSS(λ) / (n − tr(λ))², with tr(λ) = Σ 1/(1 +
//!   λd_i) the effective degrees of freedom: on a grid of 10 points per
//!   decade from near no smoothing (λ·max d = 1e-6) to full smoothing
//!   (λ·min positive d = 1e8, at most 24 decades), then by golden section
//!   between the best point's neighbours.

use super::EconomicsError;
use nalgebra::DMatrix;

/// The number of cubic B-spline functions on each input with `inputs`
/// inputs (before repeated quantiles are dropped).
pub fn margin_size(inputs: usize) -> usize {
    match inputs {
        1 => 24,
        2 => 10,
        3 => 6,
        _ => 4,
    }
}

/// One input's cubic B-spline basis on [0, 1].
struct Margin {
    min: f64,
    range: f64,
    /// Knots, clamped: four 0s, the interior knots, four 1s; empty for an
    /// input that never changes (one constant function).
    knots: Vec<f64>,
}

impl Margin {
    fn new(values: &[f64], size: usize) -> Margin {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let range = max - min;
        if range <= 0.0 || !range.is_finite() {
            return Margin {
                min,
                range: 1.0,
                knots: Vec::new(),
            };
        }
        let mut sorted: Vec<f64> = values.iter().map(|v| (v - min) / range).collect();
        sorted.sort_by(f64::total_cmp);
        let interior = size - 4;
        let mut knots = vec![0.0; 4];
        for j in 1..=interior {
            let at = j as f64 / (interior + 1) as f64 * (sorted.len() - 1) as f64;
            let (lo, frac) = (at.floor() as usize, at.fract());
            let q = sorted[lo] + frac * (sorted[(lo + 1).min(sorted.len() - 1)] - sorted[lo]);
            if q > *knots.last().unwrap_or(&0.0) && q < 1.0 {
                knots.push(q);
            }
        }
        knots.extend([1.0; 4]);
        Margin { min, range, knots }
    }

    /// How many functions.
    fn size(&self) -> usize {
        if self.knots.is_empty() { 1 } else { self.knots.len() - 4 }
    }

    /// The index of the first of the (at most four) functions not zero at
    /// `x`, and their values (de Boor's triangle, The NURBS Book A2.2).
    fn at(&self, x: f64) -> (usize, [f64; 4]) {
        if self.knots.is_empty() {
            return (0, [1.0, 0.0, 0.0, 0.0]);
        }
        let u = ((x - self.min) / self.range).clamp(0.0, 1.0);
        let m = self.size();
        let t = &self.knots;
        let span = 3 + t[4..m].partition_point(|&k| k <= u);
        let mut n = [1.0, 0.0, 0.0, 0.0];
        let (mut left, mut right) = ([0.0; 4], [0.0; 4]);
        for j in 1..=3 {
            left[j] = u - t[span + 1 - j];
            right[j] = t[span + j] - u;
            let mut saved = 0.0;
            for r in 0..j {
                let temp = n[r] / (right[r + 1] + left[j - r]);
                n[r] = saved + right[r + 1] * temp;
                saved = left[j - r] * temp;
            }
            n[j] = saved;
        }
        (span - 3, n)
    }

    /// `S[i][j] = ∫ B_i''(u) B_j''(u) du` over [0, 1]: the second
    /// derivative of a cubic spline is a linear spline whose coefficients
    /// are differences of the cubic's, and the products of hat functions
    /// are integrated exactly by two-point Gauss–Legendre on each interval.
    fn penalty(&self) -> DMatrix<f64> {
        let m = self.size();
        if m < 4 {
            return DMatrix::zeros(m, m);
        }
        let t = &self.knots;
        let ratio = |num: f64, den: f64| if den > 0.0 { num / den } else { 0.0 };
        // First derivative: degree 2, m − 1 coefficients; second: degree 1, m − 2.
        let d1 = DMatrix::from_fn(m - 1, m, |i, j| {
            let w = ratio(3.0, t[i + 4] - t[i + 1]);
            if j == i + 1 {
                w
            } else if j == i {
                -w
            } else {
                0.0
            }
        });
        let d2 = DMatrix::from_fn(m - 2, m - 1, |i, j| {
            let w = ratio(2.0, t[i + 4] - t[i + 2]);
            if j == i + 1 {
                w
            } else if j == i {
                -w
            } else {
                0.0
            }
        });
        let second = d2 * d1;
        // Hat functions on the knots t[2..m + 2].
        let u = &t[2..m + 2];
        let hat = |a: usize, x: f64| {
            if x >= u[a] && x < u[a + 1] {
                ratio(x - u[a], u[a + 1] - u[a])
            } else if x >= u[a + 1] && x < u[a + 2] {
                ratio(u[a + 2] - x, u[a + 2] - u[a + 1])
            } else {
                0.0
            }
        };
        let mut gram = DMatrix::zeros(m - 2, m - 2);
        let g = 0.5 / 3f64.sqrt();
        for w in u.windows(2).filter(|w| w[1] > w[0]) {
            let h = w[1] - w[0];
            for x in [w[0] + (0.5 - g) * h, w[0] + (0.5 + g) * h] {
                let values: Vec<f64> = (0..m - 2).map(|a| hat(a, x)).collect();
                for a in 0..m - 2 {
                    for b in 0..m - 2 {
                        gram[(a, b)] += 0.5 * h * values[a] * values[b];
                    }
                }
            }
        }
        second.transpose() * gram * second
    }
}

/// A penalised regression spline on some inputs, ready to fit any number
/// of responses over the same draws (see the module's doc for the method).
pub struct Smoother {
    draws: usize,
    /// Functions in the basis, `k`.
    size: usize,
    /// Functions not zero in a row (4 per input that varies).
    width: usize,
    /// Each draw's basis row: `width` columns and values, draw by draw.
    columns: Vec<u32>,
    values: Vec<f64>,
    /// `U'L⁻¹`: from `B'y` to `z`.
    to_z: DMatrix<f64>,
    /// `L⁻ᵀU`: from shrunk `z` to coefficients.
    to_coefficients: DMatrix<f64>,
    /// `d_i`, 0 or more.
    eigen: Vec<f64>,
}

/// A response's projection onto the basis: all that choosing λ needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// The response's mean (fitted values have the same).
    pub mean: f64,
    /// Σ (y − mean)².
    pub squares: f64,
    /// `z = U'L⁻¹B'(y − mean)`.
    pub z: Vec<f64>,
}

/// A fit chosen by GCV.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The smoothing parameter λ chosen.
    pub lambda: f64,
    /// Effective degrees of freedom, tr(λ).
    pub df: f64,
    /// 1 − RSS / Σ(y − mean)²: the share of the response's variance the
    /// inputs explain (1 for a constant response).
    pub r_squared: f64,
    /// The fitted value in each draw.
    pub fitted: Vec<f64>,
}

impl Smoother {
    /// The basis and penalty on `inputs` (1 to 4 columns, one finite value
    /// per draw each, all of one length, at least one draw), decomposed
    /// once. O(n·w²) for w = 4^inputs, plus O(k³).
    pub fn new(inputs: &[&[f64]]) -> Result<Smoother, EconomicsError> {
        if inputs.is_empty() || inputs.len() > 4 {
            return Err(EconomicsError::Inputs { count: inputs.len() });
        }
        let draws = inputs[0].len();
        if draws == 0 {
            return Err(EconomicsError::NoDraws { what: "inputs" });
        }
        for (j, column) in inputs.iter().enumerate() {
            if column.len() != draws {
                return Err(EconomicsError::Shape {
                    what: "inputs (draws)",
                    row: None,
                    found: column.len(),
                    expected: draws,
                });
            }
            if let Some(d) = column.iter().position(|v| !v.is_finite()) {
                return Err(EconomicsError::NotFinite {
                    what: "inputs",
                    row: Some(d),
                    column: format!("input {}", j + 1),
                    value: column[d],
                });
            }
        }
        let margins: Vec<Margin> = inputs
            .iter()
            .map(|c| Margin::new(c, margin_size(inputs.len())))
            .collect();
        let sizes: Vec<usize> = margins.iter().map(Margin::size).collect();
        let size: usize = sizes.iter().product();
        let widths: Vec<usize> = sizes.iter().map(|&m| m.min(4)).collect();
        let width: usize = widths.iter().product();
        let (mut columns, mut values) = (Vec::with_capacity(draws * width), Vec::with_capacity(draws * width));
        for d in 0..draws {
            let rows: Vec<(usize, [f64; 4])> = margins.iter().zip(inputs).map(|(m, c)| m.at(c[d])).collect();
            for local in 0..width {
                // Mixed radix: the first input's digit varies fastest.
                let (mut rest, mut column, mut stride, mut value) = (local, 0, 1, 1.0);
                for j in 0..rows.len() {
                    let digit = rest % widths[j];
                    rest /= widths[j];
                    column += (rows[j].0 + digit) * stride;
                    stride *= sizes[j];
                    value *= rows[j].1[digit];
                }
                columns.push(column as u32);
                values.push(value);
            }
        }
        let gram = gram(&columns, &values, width, size);
        let penalty = tensor_penalty(&margins, &sizes);
        let (to_z, to_coefficients, eigen) = decompose(gram, &penalty);
        Ok(Smoother {
            draws,
            size,
            width,
            columns,
            values,
            to_z,
            to_coefficients,
            eigen,
        })
    }

    /// Functions in the basis.
    pub fn size(&self) -> usize {
        self.size
    }

    /// `y`'s projection (one value per draw). O(n·w).
    pub fn project(&self, y: &[f64]) -> Projection {
        let mean = y.iter().sum::<f64>() / self.draws as f64;
        let mut by = nalgebra::DVector::<f64>::zeros(self.size);
        let mut squares = 0.0;
        for (d, &value) in y.iter().enumerate() {
            let r = value - mean;
            squares += r * r;
            for p in d * self.width..(d + 1) * self.width {
                by[self.columns[p] as usize] += self.values[p] * r;
            }
        }
        Projection {
            mean,
            squares,
            z: (&self.to_z * by).iter().copied().collect(),
        }
    }

    /// The fit of a projected response, λ chosen by GCV. O(n·w + k²).
    pub fn fit(&self, projection: &Projection) -> Fit {
        let lambda = self.gcv_minimum(projection);
        let shrunk = nalgebra::DVector::from_iterator(
            self.size,
            (projection.z.iter().zip(&self.eigen)).map(|(z, d)| z / (1.0 + lambda * d)),
        );
        let coefficients = &self.to_coefficients * shrunk;
        let mut fitted: Vec<f64> = (0..self.draws)
            .map(|d| {
                let row = d * self.width..(d + 1) * self.width;
                (self.columns[row.clone()].iter().zip(&self.values[row]))
                    .map(|(&c, &v)| v * coefficients[c as usize])
                    .sum()
            })
            .collect();
        // Without the ridge the centred fit's mean is 0 exactly (the
        // constant is never penalised); with it, nearly: make it exact.
        let offset = projection.mean - fitted.iter().sum::<f64>() / self.draws.max(1) as f64;
        fitted.iter_mut().for_each(|f| *f += offset);
        let (rss, df) = self.rss_df(projection, lambda);
        Fit {
            lambda,
            df,
            r_squared: if projection.squares > 0.0 {
                1.0 - rss / projection.squares
            } else {
                1.0
            },
            fitted,
        }
    }

    /// RSS and effective degrees of freedom at `lambda`.
    fn rss_df(&self, projection: &Projection, lambda: f64) -> (f64, f64) {
        let explained: f64 = projection.z.iter().map(|z| z * z).sum();
        let mut rss = (projection.squares - explained).max(0.0);
        let mut df = 0.0;
        for (z, d) in projection.z.iter().zip(&self.eigen) {
            let s = 1.0 / (1.0 + lambda * d);
            rss += (z * (1.0 - s)).powi(2);
            df += s;
        }
        (rss, df)
    }

    /// λ at GCV's minimum: a grid in log λ, then golden section.
    fn gcv_minimum(&self, projection: &Projection) -> f64 {
        let largest = self.eigen.iter().copied().fold(0.0, f64::max);
        if largest <= 0.0 {
            return 0.0;
        }
        let smallest = (self.eigen.iter().copied())
            .filter(|&d| d > 1e-12 * largest)
            .fold(largest, f64::min);
        let n = self.draws as f64;
        let gcv = |rho: f64| {
            let (rss, df) = self.rss_df(projection, 10f64.powf(rho));
            if df >= n {
                f64::INFINITY
            } else {
                n * rss / (n - df).powi(2)
            }
        };
        let from = (1e-6 / largest).log10();
        let to = (1e8 / smallest).log10().min(from + 24.0);
        let steps = ((to - from) * 10.0).ceil() as usize;
        let grid: Vec<f64> = (0..=steps)
            .map(|i| from + (to - from) * i as f64 / steps as f64)
            .collect();
        let values: Vec<f64> = grid.iter().map(|&r| gcv(r)).collect();
        let at = (0..values.len()).fold(0, |b, i| if values[i] < values[b] { i } else { b });
        let (mut a, mut b) = (grid[at.saturating_sub(1)], grid[(at + 1).min(grid.len() - 1)]);
        let phi = (5f64.sqrt() - 1.0) / 2.0;
        let (mut c, mut d) = (b - phi * (b - a), a + phi * (b - a));
        let (mut fc, mut fd) = (gcv(c), gcv(d));
        for _ in 0..40 {
            if fc < fd {
                (b, d, fd) = (d, c, fc);
                c = b - phi * (b - a);
                fc = gcv(c);
            } else {
                (a, c, fc) = (c, d, fd);
                d = a + phi * (b - a);
                fd = gcv(d);
            }
        }
        let rho = if fc.min(fd) <= values[at] {
            (a + b) / 2.0
        } else {
            grid[at]
        };
        10f64.powf(rho)
    }
}

/// `B'B` from the basis rows (`width` columns and values a row): row by
/// row into its upper triangle when rows are sparse; when every function
/// is in every row (four inputs), as dense blocks of rows by matrix
/// products, several times faster.
fn gram(columns: &[u32], values: &[f64], width: usize, size: usize) -> DMatrix<f64> {
    let draws = values.len() / width.max(1);
    let mut gram = DMatrix::<f64>::zeros(size, size);
    if width == size {
        const BLOCK: usize = 2_048;
        for first in (0..draws).step_by(BLOCK) {
            let rows = BLOCK.min(draws - first);
            let mut block = DMatrix::<f64>::zeros(rows, size);
            for r in 0..rows {
                let at = (first + r) * width;
                for p in at..at + width {
                    block[(r, columns[p] as usize)] = values[p];
                }
            }
            gram += block.tr_mul(&block);
        }
        return gram;
    }
    for d in 0..draws {
        let (cols, vals) = (
            &columns[d * width..(d + 1) * width],
            &values[d * width..(d + 1) * width],
        );
        for p in 0..width {
            for q in p..width {
                gram[(cols[p] as usize, cols[q] as usize)] += vals[p] * vals[q];
            }
        }
    }
    // Only one of (i, j) and (j, i) was added to: make it symmetric.
    DMatrix::from_fn(size, size, |i, j| {
        gram[(i, j)] + if i == j { 0.0 } else { gram[(j, i)] }
    })
}

/// `Σ_j I ⊗ … ⊗ S_j ⊗ … ⊗ I` over the margins (the first margin's index
/// varying fastest, as in the basis).
fn tensor_penalty(margins: &[Margin], sizes: &[usize]) -> DMatrix<f64> {
    let size: usize = sizes.iter().product();
    let mut penalty = DMatrix::zeros(size, size);
    let mut stride = 1;
    for (j, margin) in margins.iter().enumerate() {
        let s = margin.penalty();
        let m = sizes[j];
        for a in 0..size {
            let digit = (a / stride) % m;
            let base = a - digit * stride;
            for other in 0..m {
                penalty[(a, base + other * stride)] += s[(digit, other)];
            }
        }
        stride *= m;
    }
    penalty
}

/// `(U'L⁻¹, L⁻ᵀU, d)` for `gram = LL'` (after a small ridge) and
/// `L⁻¹ S L⁻ᵀ = U diag(d) U'`.
fn decompose(mut gram: DMatrix<f64>, penalty: &DMatrix<f64>) -> (DMatrix<f64>, DMatrix<f64>, Vec<f64>) {
    let k = gram.nrows();
    let ridge = 1e-9 * gram.trace() / k as f64;
    for i in 0..k {
        gram[(i, i)] += ridge.max(1e-300);
    }
    // With the ridge the Gram matrix is positive definite.
    let l = match gram.clone().cholesky() {
        Some(c) => c.l(),
        None => DMatrix::identity(k, k) * gram.trace().max(1.0).sqrt(),
    };
    let l_inverse = l
        .solve_lower_triangular(&DMatrix::identity(k, k))
        .unwrap_or_else(|| DMatrix::identity(k, k));
    let m = &l_inverse * penalty * l_inverse.transpose();
    let m = (&m + m.transpose()) * 0.5;
    let eigen = m.symmetric_eigen();
    let u = eigen.eigenvectors;
    let d = eigen.eigenvalues.iter().map(|&v| v.max(0.0)).collect();
    (u.transpose() * &l_inverse, l_inverse.transpose() * u, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_basis_is_a_partition_of_unity_and_the_penalty_spares_lines() {
        let xs: Vec<f64> = (0..101).map(|i| (f64::from(i) / 100.0).powi(2) * 7.0 - 2.0).collect();
        let margin = Margin::new(&xs, 12);
        assert_eq!(margin.size(), 12);
        for &x in &xs {
            let (_, values) = margin.at(x);
            assert!((values.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(values.iter().all(|&v| v >= 0.0));
        }
        // The coefficients of a line in u are the Greville abscissae: its
        // second derivative, and so its penalty, is zero.
        let s = margin.penalty();
        let t = &margin.knots;
        let line: Vec<f64> = (0..12).map(|i| (t[i + 1] + t[i + 2] + t[i + 3]) / 3.0).collect();
        let line = nalgebra::DVector::from_vec(line);
        assert!((line.transpose() * &s * &line)[(0, 0)].abs() < 1e-8);
        for &x in &xs {
            let (first, values) = margin.at(x);
            let f: f64 = (0..4).map(|r| values[r] * line[first + r]).sum();
            assert!((f - (x + 2.0) / 7.0).abs() < 1e-12);
        }
        // ∫ f''² of f(u) = u²/2 (f'' = 1) is 1; of u³, ∫ 36u² = 12. A cubic's
        // B-spline coefficients come from its blossom; fit it instead.
        let cube = |u: f64| u * u * u;
        let mut smoother_inputs = Vec::new();
        for i in 0..=400 {
            smoother_inputs.push(f64::from(i) / 400.0);
        }
        let one = Margin::new(&smoother_inputs, 8);
        let a = DMatrix::from_fn(smoother_inputs.len(), 8, |d, j| {
            let (first, v) = one.at(smoother_inputs[d]);
            if j >= first && j < first + 4 { v[j - first] } else { 0.0 }
        });
        let y = nalgebra::DVector::from_iterator(smoother_inputs.len(), smoother_inputs.iter().map(|&u| cube(u)));
        let c = (a.transpose() * &a).cholesky().unwrap().solve(&(a.transpose() * y));
        let roughness = (c.transpose() * one.penalty() * &c)[(0, 0)];
        assert!((roughness - 12.0).abs() < 1e-6, "{roughness}");
    }

    #[test]
    fn a_smooth_function_is_recovered_and_noise_is_smoothed_away() {
        let n = 2_000;
        let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.618_033_988_75).fract() * 6.0).collect();
        let smooth: Vec<f64> = x.iter().map(|v| v.sin() + 0.3 * v).collect();
        let smoother = Smoother::new(&[&x]).unwrap();
        let fit = smoother.fit(&smoother.project(&smooth));
        let worst = fit
            .fitted
            .iter()
            .zip(&smooth)
            .map(|(f, y)| (f - y).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-3, "{worst}");
        assert!(fit.r_squared > 0.999_999);
        // Noise unrelated to x (a second low-discrepancy sequence): the fit
        // is nearly flat, a few degrees of freedom at most.
        let noise: Vec<f64> = (0..n).map(|i| (i as f64 * 0.754_877_666_2).fract() - 0.5).collect();
        let fit = smoother.fit(&smoother.project(&noise));
        assert!(fit.df < 6.0, "{}", fit.df);
        assert!(fit.r_squared < 0.01, "{}", fit.r_squared);
        let mean = noise.iter().sum::<f64>() / n as f64;
        assert!((fit.fitted.iter().sum::<f64>() / n as f64 - mean).abs() < 1e-9);
    }

    #[test]
    fn inputs_are_checked() {
        assert!(matches!(Smoother::new(&[]), Err(EconomicsError::Inputs { count: 0 })));
        let (a, b) = ([1.0, 2.0, 3.0], [1.0, 2.0]);
        assert!(matches!(Smoother::new(&[&a, &b]), Err(EconomicsError::Shape { .. })));
        assert!(matches!(
            Smoother::new(&[&[1.0, f64::INFINITY]]),
            Err(EconomicsError::NotFinite { .. })
        ));
        assert!(matches!(Smoother::new(&[&[]]), Err(EconomicsError::NoDraws { .. })));
    }

    #[test]
    fn tensor_products_fit_a_smooth_surface_and_constants_are_harmless() {
        let n = 3_000;
        let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.618_033_988_75).fract()).collect();
        let y: Vec<f64> = (0..n).map(|i| (i as f64 * 0.754_877_666_2).fract()).collect();
        let constant = vec![3.0; n];
        let surface: Vec<f64> = (0..n)
            .map(|i| (2.0 * x[i]).exp() * (1.0 + y[i] * y[i]) - x[i] * y[i])
            .collect();
        for inputs in [vec![&x[..], &y[..]], vec![&x[..], &y[..], &constant[..]]] {
            let smoother = Smoother::new(&inputs).unwrap();
            let fit = smoother.fit(&smoother.project(&surface));
            // The surface runs from 1 to 15.
            let worst = fit
                .fitted
                .iter()
                .zip(&surface)
                .map(|(f, s)| (f - s).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-2, "{worst}");
        }
    }
}
