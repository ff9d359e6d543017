//! Within-cycle corrections beyond start, end and half-cycle: a weight per
//! time point of the horizon (README, "Accounting"). The points are the
//! step boundaries, `horizon_years × steps_per_year + 1` of them, point `p`
//! at `p / steps_per_year` years from the start; the person-years of the
//! whole horizon are `dt × Σ_p weight_p × stock_p`.

/// A weight per time point of the horizon, in units of one step: the
/// half-cycle correction is `[½, 1, …, 1, ½]`, Simpson's 1/3 rule
/// `[⅓, 4/3, ⅔, 4/3, …, ⅓]`. Invariant: one weight per point (at least
/// two), each finite (checked by validation).
#[derive(Debug, Clone, PartialEq)]
pub struct PointWeights {
    weights: Vec<f64>,
}

impl PointWeights {
    /// The user's weights, one per time point (validation checks the count
    /// and that each is finite).
    pub fn given(weights: Vec<f64>) -> PointWeights {
        debug_assert!(weights.len() >= 2);
        PointWeights { weights }
    }

    /// Composite Simpson's 1/3 rule over `intervals` steps (`intervals + 1`
    /// points). With an odd number of intervals the last three are taken
    /// by Simpson's 3/8 rule (weights 3/8, 9/8, 9/8, 3/8), so that the rule
    /// stays exact for cubics; a single interval is the trapezium rule.
    pub fn simpson(intervals: usize) -> PointWeights {
        let mut weights = vec![0.0; intervals + 1];
        match intervals {
            0 => {}
            1 => {
                weights[0] = 0.5;
                weights[1] = 0.5;
            }
            n => {
                // The 1/3 rule on an even number of intervals, then 3/8 on
                // the last three when `n` is odd.
                let (thirds, eighths) = if n % 2 == 0 { (n, 0) } else { (n - 3, 3) };
                for panel in (0..thirds).step_by(2) {
                    weights[panel] += 1.0 / 3.0;
                    weights[panel + 1] += 4.0 / 3.0;
                    weights[panel + 2] += 1.0 / 3.0;
                }
                if eighths == 3 {
                    let at = thirds;
                    weights[at] += 3.0 / 8.0;
                    weights[at + 1] += 9.0 / 8.0;
                    weights[at + 2] += 9.0 / 8.0;
                    weights[at + 3] += 3.0 / 8.0;
                }
            }
        }
        PointWeights { weights }
    }

    /// The weight of each time point, first to last.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The number of steps (intervals between points).
    pub fn steps(&self) -> usize {
        self.weights.len() - 1
    }

    /// The shares of step `s` (from point `s` to `s + 1`, counted over the
    /// horizon from 0): the weights of its start and end points that it
    /// takes. A point between two steps gives half its weight to each; the
    /// first point gives all of its weight to the first step and the last
    /// to the last. So the steps' shares add up to the points' weights, a
    /// year's person-years are its steps' sums, and the years add up to the
    /// horizon's total. (For `[½, 1, …, 1, ½]` every step takes ½ and ½:
    /// the half-cycle correction, step by step.)
    pub fn step_shares(&self, s: usize) -> (f64, f64) {
        let last = self.steps() - 1;
        let start = if s == 0 { self.weights[0] } else { 0.5 * self.weights[s] };
        let end = if s == last {
            self.weights[s + 1]
        } else {
            0.5 * self.weights[s + 1]
        };
        (start, end)
    }

    /// The weights of year `k`'s points (its `steps + 1` step boundaries,
    /// start to end) as its steps take them, into `out`.
    pub fn year_weights(&self, k: usize, steps: usize, out: &mut Vec<f64>) {
        out.clear();
        out.resize(steps + 1, 0.0);
        for s in 0..steps {
            let (start, end) = self.step_shares(k * steps + s);
            out[s] += start;
            out[s + 1] += end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simpson_weights() {
        let w = PointWeights::simpson(4);
        let expected = [1.0, 4.0, 2.0, 4.0, 1.0].map(|v| v / 3.0);
        for (a, b) in w.weights().iter().zip(expected) {
            assert!((a - b).abs() < 1e-15);
        }
        // Odd: 1/3 on the first two intervals, 3/8 on the last three.
        let w = PointWeights::simpson(5);
        let expected = [
            1.0 / 3.0,
            4.0 / 3.0,
            1.0 / 3.0 + 3.0 / 8.0,
            9.0 / 8.0,
            9.0 / 8.0,
            3.0 / 8.0,
        ];
        for (a, b) in w.weights().iter().zip(expected) {
            assert!((a - b).abs() < 1e-15);
        }
        let w = PointWeights::simpson(3);
        assert_eq!(w.weights(), &[3.0 / 8.0, 9.0 / 8.0, 9.0 / 8.0, 3.0 / 8.0]);
        assert_eq!(PointWeights::simpson(1).weights(), &[0.5, 0.5]);
    }

    #[test]
    fn exact_on_cubics() {
        // ∫_0^n t³ − 2t² + t + 1 dt against Σ w_p f(p), for n = 2 to 9.
        let f = |t: f64| t * t * t - 2.0 * t * t + t + 1.0;
        let integral = |n: f64| n.powi(4) / 4.0 - 2.0 * n.powi(3) / 3.0 + n * n / 2.0 + n;
        for n in 2..10 {
            let w = PointWeights::simpson(n);
            let sum: f64 = w.weights().iter().enumerate().map(|(p, w)| w * f(p as f64)).sum();
            assert!((sum - integral(n as f64)).abs() < 1e-9 * integral(n as f64), "{n}");
        }
    }

    #[test]
    fn years_add_up_to_the_points() {
        let w = PointWeights::simpson(7 * 4);
        let mut total = vec![0.0; 29];
        let mut year = Vec::new();
        for k in 0..7 {
            w.year_weights(k, 4, &mut year);
            for (s, v) in year.iter().enumerate() {
                total[k * 4 + s] += v;
            }
        }
        for (a, b) in total.iter().zip(w.weights()) {
            assert!((a - b).abs() < 1e-15);
        }
        // The half-cycle weights give each year ½, 1, 1, 1, ½.
        let mut half = vec![1.0; 9];
        half[0] = 0.5;
        half[8] = 0.5;
        PointWeights::given(half).year_weights(1, 4, &mut year);
        assert_eq!(year, [0.5, 1.0, 1.0, 1.0, 0.5]);
    }
}
