//! Small dense matrix functions the engine needs: the exponential of a
//! generator and the principal root of an annual transition matrix.

use nalgebra::DMatrix;

/// `expm(q)`, by nalgebra's Padé approximant with scaling and squaring.
pub fn expm(q: &DMatrix<f64>) -> DMatrix<f64> {
    q.exp()
}

/// Principal matrix logarithm by inverse scaling and squaring: square roots
/// (Denman–Beavers) until the matrix is close to the identity, then the
/// series of `log(I + X)`. `None` if a square root does not converge (the
/// matrix is singular or has eigenvalues on the negative real axis).
pub fn logm(p: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    let n = p.nrows();
    let identity = DMatrix::<f64>::identity(n, n);
    let mut a = p.clone();
    let mut squarings = 0;
    while (&a - &identity).norm() > 0.25 {
        a = sqrtm(&a)?;
        squarings += 1;
        if squarings > 60 {
            return None;
        }
    }
    let x = &a - &identity;
    let mut term = x.clone();
    let mut log = x.clone();
    for k in 2..200 {
        term = &term * &x;
        let add = &term * ((if k % 2 == 0 { -1.0 } else { 1.0 }) / k as f64);
        log += &add;
        if add.norm() < 1e-18 {
            break;
        }
    }
    Some(log * 2f64.powi(squarings))
}

/// Principal square root by the Denman–Beavers iteration.
fn sqrtm(a: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    let n = a.nrows();
    let mut y = a.clone();
    let mut z = DMatrix::<f64>::identity(n, n);
    let mut previous_change = f64::INFINITY;
    for _ in 0..100 {
        let y_inv = y.clone().try_inverse()?;
        let z_inv = z.clone().try_inverse()?;
        let y_next = (&y + z_inv) * 0.5;
        let z_next = (&z + y_inv) * 0.5;
        let change = (&y_next - &y).norm();
        y = y_next;
        z = z_next;
        if !change.is_finite() {
            return None;
        }
        // Converged, or converged as far as rounding allows: once the change
        // is small it stops falling and only rounding noise is left.
        let scale = y.norm();
        if change <= 1e-15 * scale || (change <= 1e-8 * scale && change >= previous_change) {
            return Some(y);
        }
        previous_change = change;
    }
    None
}

/// The per-step matrix whose `n`-th power is the stochastic matrix `p`:
/// `expm(log(p) / n)`. Entries within 1e-12 below zero are set to zero; a
/// larger negative entry means no valid per-step matrix exists (`None`).
pub fn stochastic_root(p: &DMatrix<f64>, n: u32) -> Option<DMatrix<f64>> {
    if n == 1 {
        return Some(p.clone());
    }
    let log = logm(p)?;
    let mut root = expm(&(log / f64::from(n)));
    for x in root.iter_mut() {
        if *x < 0.0 {
            if *x < -1e-12 {
                return None;
            }
            *x = 0.0;
        }
    }
    Some(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_to_the_power_n_reproduces_the_matrix() {
        let p = DMatrix::from_row_slice(3, 3, &[0.8, 0.15, 0.05, 0.1, 0.85, 0.05, 0.0, 0.0, 1.0]);
        for n in [4, 12, 52] {
            let r = stochastic_root(&p, n).unwrap();
            let mut power = DMatrix::<f64>::identity(3, 3);
            for _ in 0..n {
                power = &power * &r;
            }
            assert!((power - &p).norm() < 1e-12, "n = {n}");
        }
    }

    #[test]
    fn log_inverts_exp() {
        let q = DMatrix::from_row_slice(2, 2, &[-0.3, 0.3, 0.1, -0.1]);
        let back = logm(&expm(&q)).unwrap();
        assert!((back - q).norm() < 1e-13);
    }

    #[test]
    fn a_matrix_that_swaps_levels_has_no_valid_root() {
        // Everyone swaps level every year: no smooth process does that.
        let p = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0]);
        assert!(stochastic_root(&p, 4).is_none());
    }
}
