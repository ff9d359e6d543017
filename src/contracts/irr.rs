//! The internal rate of return of yearly cash flows: the rate at which
//! their net present value is zero.

/// The lowest rate in (−99 %, 10,000 %) a year at which `flows` (year 0
/// first, each at the same point in its year) have a net present value of
/// zero; `None` when there is none there (flows all of one sign, or an NPV
/// that never changes sign). Found by scanning for the first change of
/// sign on a grid of rates, then the Illinois method within it, so it
/// never fails to converge; with several roots (flows that change sign
/// more than once) it is the lowest.
pub fn irr(flows: &[f64]) -> Option<f64> {
    let scale: f64 = flows.iter().map(|x| x.abs()).sum();
    if scale == 0.0 || !scale.is_finite() {
        return None;
    }
    let npv = |r: f64| -> f64 {
        let growth = 1.0 + r;
        let mut factor = 1.0;
        let mut sum = 0.0;
        for &c in flows {
            sum += c / factor;
            factor *= growth;
        }
        sum
    };
    // The grid: dense near zero, where returns are; wide enough for very
    // large ones. Rates are −99 % to 10,000 %.
    let mut grid: Vec<f64> = vec![-0.99, -0.9, -0.75, -0.5, -0.3, -0.2, -0.1, -0.05];
    grid.extend((0..=40).map(|k| f64::from(k) * 0.01 - 0.04));
    grid.extend([0.5, 0.75, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]);
    let tolerance = 1e-12 * scale;
    let mut lo = grid[0];
    let mut f_lo = npv(lo);
    if f_lo.abs() <= tolerance {
        return Some(lo);
    }
    for &hi in &grid[1..] {
        let f_hi = npv(hi);
        if f_hi.abs() <= tolerance {
            return Some(hi);
        }
        if f_lo.signum() != f_hi.signum() {
            return Some(illinois(&npv, (lo, f_lo), (hi, f_hi), tolerance));
        }
        (lo, f_lo) = (hi, f_hi);
    }
    None
}

/// A root of `f` between `a` and `b` (where `f` changes sign) by the
/// Illinois variant of regula falsi: each step keeps the root bracketed.
fn illinois(f: &dyn Fn(f64) -> f64, (mut a, mut fa): (f64, f64), (mut b, mut fb): (f64, f64), tolerance: f64) -> f64 {
    let mut side = 0;
    for _ in 0..200 {
        let c = (a * fb - b * fa) / (fb - fa);
        let fc = f(c);
        if fc.abs() <= tolerance || (b - a).abs() <= 1e-14 * (1.0 + c.abs()) {
            return c;
        }
        if fc.signum() == fb.signum() {
            (b, fb) = (c, fc);
            if side == -1 {
                fa /= 2.0;
            }
            side = -1;
        } else {
            (a, fa) = (c, fc);
            if side == 1 {
                fb /= 2.0;
            }
            side = 1;
        }
    }
    (a * fb - b * fa) / (fb - fa)
}

#[cfg(test)]
mod tests {
    use super::irr;

    #[test]
    fn one_period_loan() {
        // Lend 100, get 110 back a year later: 10 %.
        let r = irr(&[-100.0, 110.0]).unwrap();
        assert!((r - 0.10).abs() < 1e-12, "{r}");
    }

    #[test]
    fn two_period_closed_form() {
        // −100, 0, 121: (1 + r)² = 1.21, r = 10 %.
        let r = irr(&[-100.0, 0.0, 121.0]).unwrap();
        assert!((r - 0.10).abs() < 1e-12, "{r}");
        // A loss: −100 then 81 two years on: r = −10 %.
        let r = irr(&[-100.0, 0.0, 81.0]).unwrap();
        assert!((r + 0.10).abs() < 1e-12, "{r}");
    }

    #[test]
    fn annuity_closed_form() {
        // −C, then A a year for n years: the rate r solves C = A (1 − (1+r)^−n) / r.
        let r0: f64 = 0.07;
        let (a, n) = (30.0, 5);
        let c = a * (1.0 - (1.0 + r0).powi(-n)) / r0;
        let mut flows = vec![-c];
        flows.extend(std::iter::repeat_n(a, n as usize));
        let r = irr(&flows).unwrap();
        assert!((r - r0).abs() < 1e-10, "{r}");
    }

    #[test]
    fn none_when_the_flows_never_change_sign() {
        assert_eq!(irr(&[-100.0, -5.0]), None);
        assert_eq!(irr(&[100.0, 5.0]), None);
        assert_eq!(irr(&[0.0, 0.0]), None);
        assert_eq!(irr(&[]), None);
        // Nothing back: the loss is total, beyond any rate above −99 %.
        assert_eq!(irr(&[-100.0, 0.0]), None);
    }
}
