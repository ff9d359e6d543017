//! Evidence: the rating scale that turns an intervention's evidence rating
//! into the uncertainty of effects given as one number (`scale`), the
//! pathway gap map (`pathways`) and the per-intervention cost analysis
//! (`costs`).

pub mod costs;
pub mod pathways;
mod scale;

pub use scale::{EvidenceScale, Rating};

use crate::uncertainty::Distribution;

/// The text of the bundled evidence scale (`data/evidence-scale.toml`),
/// for a user to copy and adapt.
pub fn scale_text() -> &'static str {
    scale::BUNDLED
}

/// How far the harmful side of "no effect" (1) an effect can go: the
/// probability that an effect stated as `stated` (a relative risk or
/// multiplier; 1 = no effect) turns out on the other side of 1 from it.
/// `None` for a stated value of exactly 1 (nothing is harmful).
pub fn harm_probability(stated: f64, distribution: &Distribution) -> Option<f64> {
    if stated == 1.0 {
        return None;
    }
    let (lo, hi) = distribution.range();
    // P(value > 1) for a reduction, P(value < 1) for an increase.
    let below_one = if hi <= 1.0 {
        1.0
    } else if lo >= 1.0 {
        0.0
    } else {
        // The quantile is increasing: bisect for the share below 1.
        let (mut a, mut b) = (0.0f64, 1.0f64);
        for _ in 0..60 {
            let m = 0.5 * (a + b);
            if distribution.quantile(m) < 1.0 { a = m } else { b = m }
        }
        0.5 * (a + b)
    };
    Some(if stated < 1.0 { 1.0 - below_one } else { below_one })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harm_is_the_mass_past_no_effect() {
        // A relative risk uniform on [0.8, 1.2]: a quarter of it is above 1.1…
        let d = Distribution::Uniform { min: 0.8, max: 1.2 };
        assert!((harm_probability(0.9, &d).unwrap() - 0.5).abs() < 1e-9);
        let d = Distribution::Uniform { min: 0.6, max: 1.2 };
        assert!((harm_probability(0.9, &d).unwrap() - 1.0 / 3.0).abs() < 1e-9);
        // …and for an effect that raises a figure, harm is the mass below 1.
        assert!((harm_probability(1.1, &d).unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(harm_probability(0.9, &Distribution::Fixed(0.9)), Some(0.0));
        assert_eq!(harm_probability(1.0, &d), None);
    }
}
