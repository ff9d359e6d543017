//! The evidence scale: read from data (`data/evidence-scale.toml`, built in,
//! or a model's own file), never written into code.

use crate::error::{InputError, InputErrors, Location, line_of, toml_problem};
use crate::uncertainty::Distribution;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The scale bundled with upstream.
pub const BUNDLED: &str = include_str!("../../data/evidence-scale.toml");

/// What one rating means and how it shapes an effect given as one number.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub rating: u8,
    pub label: String,
    pub meaning: String,
    /// Mean effect as a share of the stated effect size.
    pub effect_share: f64,
    /// Standard deviation, as a share of the stated effect size.
    pub spread: f64,
    /// Share of the stated effect size removed when optimism bias is asked for.
    pub optimism_bias: f64,
}

/// A whole scale: ratings 0 to the highest, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceScale {
    /// Where it was read from (`None`: the bundled scale).
    pub path: Option<PathBuf>,
    pub ratings: Vec<Rating>,
    /// Ratings at or above this count as strong evidence in a pathway map.
    pub strong_from: u8,
    /// Default fidelity of under-qualified delivery, relative to qualified.
    pub unqualified_fidelity: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScale {
    version: Spanned<i64>,
    strong_from: Spanned<i64>,
    workforce: RawWorkforce,
    ratings: Vec<Spanned<RawRating>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkforce {
    unqualified_fidelity: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRating {
    rating: i64,
    label: String,
    meaning: String,
    effect_share: f64,
    spread: f64,
    optimism_bias: f64,
}

impl Default for EvidenceScale {
    fn default() -> Self {
        EvidenceScale::parse(None, BUNDLED).expect("the bundled evidence scale is valid")
    }
}

impl EvidenceScale {
    /// Reads a scale from `text` (`path` names it in messages; `None` is the
    /// bundled scale).
    pub fn parse(path: Option<&Path>, text: &str) -> Result<EvidenceScale, InputErrors> {
        let shown = path.map_or_else(
            || PathBuf::from("data/evidence-scale.toml (built in)"),
            Path::to_path_buf,
        );
        let at = |offset: usize, m: String| InputError::new(Location::Line(shown.clone(), line_of(text, offset)), m);
        let raw: RawScale = toml::from_str(text).map_err(|e| toml_problem(&shown, text, &e, "evidence scale"))?;
        let mut errors = Vec::new();
        if *raw.version.get_ref() != 1 {
            errors.push(at(
                raw.version.span().start,
                format!(
                    "version {} is not known; this upstream reads version 1",
                    raw.version.get_ref()
                ),
            ));
        }
        let mut ratings: Vec<Rating> = Vec::new();
        for r in &raw.ratings {
            let start = r.span().start;
            let r = r.get_ref();
            if !(0..=10).contains(&r.rating) || ratings.iter().any(|x| i64::from(x.rating) == r.rating) {
                errors.push(at(
                    start,
                    format!(
                        "rating {} is out of place; list every rating from 0 to the highest (at most 10) once",
                        r.rating
                    ),
                ));
                continue;
            }
            let finite = [r.effect_share, r.spread, r.optimism_bias]
                .iter()
                .all(|x| x.is_finite());
            if !finite
                || !(0.0..=1.0).contains(&r.effect_share)
                || r.spread < 0.0
                || !(0.0..1.0).contains(&r.optimism_bias)
            {
                errors.push(at(
                    start,
                    format!(
                        "rating {}: effect_share must be from 0 to 1, spread at least 0 and optimism_bias from 0 up to (not including) 1",
                        r.rating
                    ),
                ));
            }
            ratings.push(Rating {
                rating: u8::try_from(r.rating).unwrap_or(0),
                label: r.label.clone(),
                meaning: r.meaning.clone(),
                effect_share: r.effect_share,
                spread: r.spread,
                optimism_bias: r.optimism_bias,
            });
        }
        ratings.sort_by_key(|r| r.rating);
        if ratings.is_empty() || ratings.iter().enumerate().any(|(i, r)| usize::from(r.rating) != i) {
            let listed: Vec<String> = ratings.iter().map(|r| r.rating.to_string()).collect();
            errors.push(InputError::in_file(
                &shown,
                format!(
                    "the ratings listed are [{}]; list every rating from 0 to the highest once",
                    listed.join(", ")
                ),
            ));
        }
        let strong = *raw.strong_from.get_ref();
        if !(0..ratings.len() as i64).contains(&strong) {
            errors.push(at(
                raw.strong_from.span().start,
                format!(
                    "strong_from is {strong}; give one of the ratings, 0 to {}",
                    ratings.len().saturating_sub(1)
                ),
            ));
        }
        let unqualified = *raw.workforce.unqualified_fidelity.get_ref();
        if !(0.0..=1.0).contains(&unqualified) {
            errors.push(at(
                raw.workforce.unqualified_fidelity.span().start,
                format!("unqualified_fidelity is {unqualified}; give a share from 0 to 1"),
            ));
        }
        if !errors.is_empty() {
            return Err(InputErrors::new(errors));
        }
        Ok(EvidenceScale {
            path: path.map(Path::to_path_buf),
            ratings,
            strong_from: strong as u8,
            unqualified_fidelity: unqualified,
        })
    }

    pub fn highest(&self) -> u8 {
        (self.ratings.len() - 1) as u8
    }

    pub fn rating(&self, rating: u8) -> &Rating {
        &self.ratings[usize::from(rating)]
    }

    /// The distribution of an effect stated as `stated` (1 = no effect) by an
    /// intervention rated `rating`, after removing the share `optimism_bias`
    /// of the stated effect size: `1 + (stated' − 1)·X` with
    /// `X ~ normal(effect_share, spread)` cut at three spreads either side,
    /// and at zero.
    pub fn effect(&self, stated: f64, rating: u8, optimism_bias: f64) -> Distribution {
        let r = self.rating(rating);
        // Rounded to ten decimals, so that 1 − 0.4 × 0.5 reads 0.8 wherever
        // the distribution is shown.
        let round = |x: f64| (x * 1e10).round() / 1e10;
        let size = (stated - 1.0) * (1.0 - optimism_bias);
        let mean = round(1.0 + size * r.effect_share);
        let sd = round(size.abs() * r.spread);
        if sd == 0.0 {
            return Distribution::Fixed(mean.max(0.0));
        }
        Distribution::Normal {
            mean,
            sd,
            min: round(mean - 3.0 * sd).max(0.0),
            max: round(mean + 3.0 * sd),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_scale_reads() {
        let s = EvidenceScale::default();
        assert_eq!(s.highest(), 4);
        assert_eq!(s.strong_from, 3);
        assert!(s.ratings.windows(2).all(|w| w[0].effect_share <= w[1].effect_share));
        assert!(s.ratings.windows(2).all(|w| w[0].spread >= w[1].spread));
    }

    #[test]
    fn ratings_shape_effects_as_documented() {
        let s = EvidenceScale::default();
        // Rating 2 of a relative risk 0.6: mean 1 − 0.4·0.5 = 0.8, sd 0.4·0.5 = 0.2.
        match s.effect(0.6, 2, 0.0) {
            Distribution::Normal { mean, sd, min, max } => {
                assert!((mean - 0.8).abs() < 1e-12 && (sd - 0.2).abs() < 1e-12);
                assert!((min - 0.2).abs() < 1e-12 && (max - 1.4).abs() < 1e-12);
            }
            d => panic!("{d:?}"),
        }
        // Optimism bias of 0.35 cuts the size 0.4 to 0.26 first.
        match s.effect(0.6, 2, 0.35) {
            Distribution::Normal { mean, sd, .. } => {
                assert!((mean - 0.87).abs() < 1e-12 && (sd - 0.13).abs() < 1e-12);
            }
            d => panic!("{d:?}"),
        }
        // A rise (relative risk 1.5) at rating 0 is centred on no effect.
        match s.effect(1.5, 0, 0.0) {
            Distribution::Normal { mean, sd, .. } => assert!((mean - 1.0).abs() < 1e-12 && (sd - 0.3).abs() < 1e-12),
            d => panic!("{d:?}"),
        }
        assert_eq!(s.effect(1.0, 3, 0.0), Distribution::Fixed(1.0));
    }

    #[test]
    fn a_bad_scale_is_refused_with_its_line() {
        let text = BUNDLED.replace("rating = 3\n", "rating = 7\n");
        let e = EvidenceScale::parse(Some(Path::new("scale.toml")), &text)
            .unwrap_err()
            .to_string();
        assert!(e.contains("the ratings listed are [0, 1, 2, 4, 7]"), "{e}");
        let text = BUNDLED.replace("rating = 3\n", "rating = 11\n");
        let e = EvidenceScale::parse(Some(Path::new("scale.toml")), &text)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("scale.toml:") && e.contains("rating 11 is out of place"),
            "{e}"
        );
        let e = EvidenceScale::parse(Some(Path::new("s.toml")), "version = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("s.toml") && e.contains("missing field"), "{e}");
    }
}
