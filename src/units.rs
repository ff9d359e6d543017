//! Units that must never be mixed up. The model holds each transition and
//! exit as an `AnnualProbability`; the engine turns them into intensities
//! (`engine::compile`, `r = −ln(1 − p)`) and per-step matrices itself, on
//! flat lane arrays of plain numbers.

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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_in_range_are_kept() {
        for p in [0.0, 1e-9, 0.2, 0.5, 1.0] {
            assert_eq!(AnnualProbability::new(p).map(AnnualProbability::value), Some(p));
        }
    }

    #[test]
    fn out_of_range_probabilities_are_refused() {
        assert!(AnnualProbability::new(-0.1).is_none());
        assert!(AnnualProbability::new(1.1).is_none());
        assert!(AnnualProbability::new(f64::NAN).is_none());
    }
}
