//! Units that must never be mixed up: an annual probability, an intensity per
//! year and a per-step probability are different types with explicit
//! conversions between them.

/// A probability over one year, in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct AnnualProbability(f64);

impl AnnualProbability {
    /// Returns `None` unless `p` is finite and in [0, 1].
    pub fn new(p: f64) -> Option<Self> {
        (p.is_finite() && (0.0..=1.0).contains(&p)).then_some(Self(p))
    }

    pub fn value(self) -> f64 {
        self.0
    }

    /// The constant hazard whose one-year probability is this one:
    /// `r = −ln(1 − p)`. Infinite for `p = 1`.
    pub fn to_rate(self) -> RatePerYear {
        RatePerYear(-(-self.0).ln_1p())
    }
}

/// An intensity (hazard) per year, ≥ 0.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct RatePerYear(f64);

impl RatePerYear {
    pub fn new(r: f64) -> Option<Self> {
        (r.is_finite() && r >= 0.0).then_some(Self(r))
    }

    pub fn value(self) -> f64 {
        self.0
    }

    /// The probability of the event within `years` under this constant hazard.
    pub fn probability_within(self, years: f64) -> f64 {
        -(-self.0 * years).exp_m1()
    }

    pub fn scaled(self, factor: f64) -> RatePerYear {
        RatePerYear(self.0 * factor)
    }
}

/// A probability over one simulation step (`1 / steps_per_year` years).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct StepProbability(pub f64);

/// Length of one step, in years.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepLength(f64);

impl StepLength {
    pub fn per_year(steps_per_year: u32) -> Self {
        Self(1.0 / f64::from(steps_per_year))
    }

    pub fn years(self) -> f64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_round_trips_to_the_annual_probability() {
        for p in [0.0, 1e-9, 0.2, 0.5, 0.999] {
            let r = AnnualProbability::new(p).unwrap().to_rate();
            assert!((r.probability_within(1.0) - p).abs() < 1e-15);
        }
    }

    #[test]
    fn out_of_range_probabilities_are_refused() {
        assert!(AnnualProbability::new(-0.1).is_none());
        assert!(AnnualProbability::new(1.1).is_none());
        assert!(AnnualProbability::new(f64::NAN).is_none());
    }
}
