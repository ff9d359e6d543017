//! The distributions a number may follow. Sampling uses `rand_distr`;
//! quantiles (for parameters that move together) and truncated-normal
//! moments use `statrs`.

use rand::Rng;
use rand_distr::Distribution as _;
use statrs::distribution::{ContinuousCDF, Normal as NormalCdf};
use std::collections::BTreeMap;
use std::fmt;

/// An uncertain number moved to another mean while keeping its spread (the
/// workshop page's sliders, and a scenario's `{ mean = … }` override):
/// each value `x` it takes becomes `add + times × x`, kept within what the
/// number may be. One draw's value moves with the draw, so the futures stay
/// paired and a move one way moves every draw that way (README, "Moving an
/// uncertain number").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moved {
    pub add: f64,
    pub times: f64,
    /// What the number may be (a guard against rounding at the limits).
    pub min: f64,
    pub max: f64,
}

impl Moved {
    /// Where the value `x` moves.
    pub fn apply(self, x: f64) -> f64 {
        (self.add + self.times * x).clamp(self.min, self.max)
    }

    /// The same move of a number an area scales by `factor` (its values
    /// are `factor × x`).
    pub fn scaled(self, factor: f64) -> Moved {
        if factor > 0.0 {
            Moved {
                add: self.add * factor,
                times: self.times,
                min: self.min * factor,
                max: self.max * factor,
            }
        } else {
            Moved {
                add: 0.0,
                times: 0.0,
                min: 0.0,
                max: 0.0,
            }
        }
    }
}

/// A validated distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    Fixed(f64),
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Beta-PERT with shape λ = 4.
    Pert {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Normal, optionally truncated to `[min, max]`.
    Normal {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
    },
    /// `ln X ~ Normal(mu, sigma)`.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    Beta {
        alpha: f64,
        beta: f64,
    },
    Gamma {
        shape: f64,
        scale: f64,
    },
}

/// The largest size of any parameter (see [`Distribution::accuracy_problem`]).
pub const LARGEST: f64 = 1e12;

/// The smallest mean of a gamma or median of a lognormal: anything smaller
/// is 0 for this tool's purposes, and far smaller scales fail to sample.
pub const SMALLEST: f64 = 1e-9;

/// The smallest and largest shape of a beta or gamma: within them, samples
/// and quantiles are finite and accurate (pinned by a test at both ends).
pub const SHAPES: (f64, f64) = (1e-2, 1e7);

/// A number for a message: in full when short, else in scientific form.
fn short(x: f64) -> String {
    if x != 0.0 && !(1e-4..1e12).contains(&x.abs()) {
        return format!("{x:.4e}");
    }
    let text = format!("{x:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// What values a number may take, for checking a distribution against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Probabilities, shares, reach, fidelity: [0, 1].
    Probability,
    /// People, costs, use rates, places, relative risks, multipliers: ≥ 0.
    NonNegative,
    /// The discount rate: [0, 1).
    Rate,
    /// A quality weight: [−1, 1] (below 0, a state worse than dead).
    Utility,
    /// A quality weight where the file allows any (`allow_utility_outside_range`): finite.
    Finite,
}

impl fmt::Display for Distribution {
    /// The distribution for people to read: each parameter to at most six
    /// significant figures (a fitted `18.499999999999996` reads `18.5`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = readable;
        match *self {
            Distribution::Fixed(v) => write!(f, "{}", r(v)),
            Distribution::Uniform { min, max } => write!(f, "uniform({}, {})", r(min), r(max)),
            Distribution::Triangular { min, mode, max } => {
                write!(f, "triangular({}, {}, {})", r(min), r(mode), r(max))
            }
            Distribution::Pert { min, mode, max } => write!(f, "PERT({}, {}, {})", r(min), r(mode), r(max)),
            Distribution::Normal { mean, sd, min, max } if min.is_finite() || max.is_finite() => {
                write!(
                    f,
                    "normal(mean {}, sd {}) truncated to [{}, {}]",
                    r(mean),
                    r(sd),
                    r(min),
                    r(max)
                )
            }
            Distribution::Normal { mean, sd, .. } => write!(f, "normal(mean {}, sd {})", r(mean), r(sd)),
            Distribution::LogNormal { mu, sigma } => {
                write!(f, "lognormal(median {}, spread {})", r(mu.exp()), r(sigma.exp()))
            }
            Distribution::Beta { alpha, beta } => write!(f, "beta(alpha {}, beta {})", r(alpha), r(beta)),
            Distribution::Gamma { shape, scale } => write!(f, "gamma(shape {}, scale {})", r(shape), r(scale)),
        }
    }
}

/// `x` to at most six significant figures, as Rust writes the rounded
/// number (`18.5`, `0.000123457`, `1200000`; infinities as `inf`).
fn readable(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let digits = 6 - 1 - x.abs().log10().floor() as i32;
    format!("{:.*e}", 5, x)
        .parse::<f64>()
        .map_or(x, |v| if digits > 300 { x } else { v })
}

/// Reads a number from a TOML value for a distribution parameter.
fn number(table: &BTreeMap<String, toml::Value>, key: &str) -> Result<Option<f64>, String> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::Float(x)) => Ok(Some(*x)),
        Some(toml::Value::Integer(i)) => Ok(Some(*i as f64)),
        Some(other) => Err(format!("`{key}` must be a number, not {}", other.type_str())),
    }
}

impl Distribution {
    /// Builds a distribution from its inline table (`{ dist = "beta", mean = 0.2, sd = 0.05 }`),
    /// checking its parameters; `group` is read by the caller and ignored here.
    pub fn from_table(table: &BTreeMap<String, toml::Value>) -> Result<Distribution, String> {
        let kind = match table.get("dist") {
            Some(toml::Value::String(s)) => s.as_str(),
            _ => return Err("a distribution needs `dist = \"…\"` (fixed, uniform, triangular, pert, normal, lognormal, beta or gamma)".into()),
        };
        let allowed: &[&str] = match kind {
            "fixed" => &["value"],
            "uniform" => &["min", "max"],
            "triangular" | "pert" => &["min", "mode", "max"],
            "normal" => &["mean", "sd", "min", "max"],
            "lognormal" => &["median", "spread", "mean", "sd"],
            "beta" => &["mean", "sd", "alpha", "beta"],
            "gamma" => &["mean", "sd", "shape", "scale"],
            other => {
                return Err(format!(
                    "unknown distribution `{other}`; use fixed, uniform, triangular, pert, normal, lognormal, beta or gamma"
                ));
            }
        };
        for key in table.keys() {
            if key != "dist" && key != "group" && !allowed.contains(&key.as_str()) {
                return Err(format!(
                    "`{key}` is not a parameter of a {kind} distribution (its parameters: {})",
                    allowed.join(", ")
                ));
            }
        }
        // Every parameter as written is a modest number (a mean or sd of
        // 1e308 turns into infinite shapes below).
        for key in allowed {
            if let Some(x) = number(table, key)?
                && x.is_finite()
                && x.abs() > LARGEST
            {
                return Err(format!(
                    "`{key}` is {x:e}, more than 10^12 in size: beyond any population, cost or rate this tool models; is it a typo?"
                ));
            }
        }
        let d = Distribution::from_parameters(table, kind)?;
        if let Some(problem) = d.accuracy_problem() {
            return Err(problem);
        }
        Ok(d)
    }

    /// The distribution of `kind` (one of `from_table`'s, its keys already
    /// checked) from its parameters, checked against each other.
    fn from_parameters(table: &BTreeMap<String, toml::Value>, kind: &str) -> Result<Distribution, String> {
        let get = |key: &str| number(table, key);
        let need = |key: &str| -> Result<f64, String> {
            match number(table, key)? {
                Some(x) if x.is_finite() => Ok(x),
                Some(x) => Err(format!("`{key}` is {x}; it must be a finite number")),
                None => Err(format!("a {kind} distribution needs `{key}`")),
            }
        };
        let d = match kind {
            "fixed" => Distribution::Fixed(need("value")?),
            "uniform" => {
                let (min, max) = (need("min")?, need("max")?);
                if min >= max {
                    return Err(format!("uniform needs min < max (got min {min}, max {max})"));
                }
                Distribution::Uniform { min, max }
            }
            "triangular" | "pert" => {
                let (min, mode, max) = (need("min")?, need("mode")?, need("max")?);
                if !(min <= mode && mode <= max && min < max) {
                    return Err(format!(
                        "{kind} needs min ≤ mode ≤ max and min < max (got {min}, {mode}, {max})"
                    ));
                }
                if kind == "pert" {
                    Distribution::Pert { min, mode, max }
                } else {
                    Distribution::Triangular { min, mode, max }
                }
            }
            "normal" => {
                let (mean, sd) = (need("mean")?, need("sd")?);
                if sd <= 0.0 {
                    return Err(format!("normal needs sd > 0 (got {sd})"));
                }
                let min = get("min")?.unwrap_or(f64::NEG_INFINITY);
                let max = get("max")?.unwrap_or(f64::INFINITY);
                if min >= max {
                    return Err(format!(
                        "normal truncated to [{min}, {max}] is empty; min must be below max"
                    ));
                }
                let n = NormalCdf::new(mean, sd).map_err(|e| e.to_string())?;
                if n.cdf(max) - n.cdf(min) < 1e-6 {
                    return Err(format!(
                        "normal(mean {mean}, sd {sd}) has almost no probability in [{min}, {max}]; move the mean inside the range"
                    ));
                }
                Distribution::Normal { mean, sd, min, max }
            }
            "lognormal" => match (get("median")?, get("spread")?, get("mean")?, get("sd")?) {
                (Some(median), Some(spread), None, None) => {
                    if median <= 0.0 || spread <= 1.0 || !median.is_finite() || !spread.is_finite() {
                        return Err(format!(
                            "lognormal needs median > 0 and spread > 1 (the geometric standard deviation; got median {median}, spread {spread})"
                        ));
                    }
                    Distribution::LogNormal {
                        mu: median.ln(),
                        sigma: spread.ln(),
                    }
                }
                (None, None, Some(mean), Some(sd)) => {
                    if mean <= 0.0 || sd <= 0.0 || !mean.is_finite() || !sd.is_finite() {
                        return Err(format!(
                            "lognormal needs mean > 0 and sd > 0 (got mean {mean}, sd {sd})"
                        ));
                    }
                    let sigma2 = (1.0 + (sd / mean).powi(2)).ln();
                    Distribution::LogNormal {
                        mu: mean.ln() - sigma2 / 2.0,
                        sigma: sigma2.sqrt(),
                    }
                }
                _ => return Err("lognormal needs either `median` and `spread`, or `mean` and `sd`".into()),
            },
            "beta" => match (get("mean")?, get("sd")?, get("alpha")?, get("beta")?) {
                (Some(mean), Some(sd), None, None) => {
                    if !(mean > 0.0 && mean < 1.0) {
                        return Err(format!("beta needs 0 < mean < 1 (got {mean})"));
                    }
                    let limit = (mean * (1.0 - mean)).sqrt();
                    if !(sd > 0.0 && sd < limit) {
                        return Err(format!(
                            "beta with mean {mean} needs 0 < sd < {limit:.6} (√(mean·(1 − mean))); sd {sd} is impossible"
                        ));
                    }
                    let k = mean * (1.0 - mean) / (sd * sd) - 1.0;
                    Distribution::Beta {
                        alpha: mean * k,
                        beta: (1.0 - mean) * k,
                    }
                }
                (None, None, Some(alpha), Some(beta)) => {
                    if !(alpha > 0.0 && beta > 0.0 && alpha.is_finite() && beta.is_finite()) {
                        return Err(format!("beta needs alpha > 0 and beta > 0 (got {alpha}, {beta})"));
                    }
                    Distribution::Beta { alpha, beta }
                }
                _ => return Err("beta needs either `mean` and `sd`, or `alpha` and `beta`".into()),
            },
            "gamma" => match (get("mean")?, get("sd")?, get("shape")?, get("scale")?) {
                (Some(mean), Some(sd), None, None) => {
                    if !(mean > 0.0 && sd > 0.0 && mean.is_finite() && sd.is_finite()) {
                        return Err(format!("gamma needs mean > 0 and sd > 0 (got mean {mean}, sd {sd})"));
                    }
                    Distribution::Gamma {
                        shape: (mean / sd).powi(2),
                        scale: sd * sd / mean,
                    }
                }
                (None, None, Some(shape), Some(scale)) => {
                    if !(shape > 0.0 && scale > 0.0 && shape.is_finite() && scale.is_finite()) {
                        return Err(format!("gamma needs shape > 0 and scale > 0 (got {shape}, {scale})"));
                    }
                    Distribution::Gamma { shape, scale }
                }
                _ => return Err("gamma needs either `mean` and `sd`, or `shape` and `scale`".into()),
            },
            _ => unreachable!("kinds are matched above"),
        };
        Ok(d)
    }

    /// `None` when its parameters are in the range where sampling and
    /// quantiles are accurate and every value it takes is a modest number,
    /// else why not. Every parameter (and so every bound and mean) is within
    /// ±10^12; a beta's or gamma's shapes are within [`SHAPES`] (a smaller
    /// shape piles every value onto 0 or 1, a larger one is a spread too
    /// small to matter and its cumulative probabilities lose their accuracy;
    /// at 10^300 they are infinite); and a value as rare as one in a billion
    /// is still within ±10^12.
    pub fn accuracy_problem(&self) -> Option<String> {
        let big = |name: &str, x: f64| {
            (x.abs() > LARGEST || x.is_nan()).then(|| {
                format!(
                    "`{name}` is {x:e}, more than 10^12 in size: beyond any population, cost or rate this tool models; is it a typo?"
                )
            })
        };
        let shapes = |what: &str, a: f64, b: Option<f64>, sd_hint: &str| {
            let bad = |x: f64| !(SHAPES.0..=SHAPES.1).contains(&x);
            (bad(a) || b.is_some_and(bad)).then(|| {
                let given = match b {
                    Some(b) => format!("alpha {} and beta {}", short(a), short(b)),
                    None => format!("shape {}", short(a)),
                };
                format!(
                    "{what} with {given} is outside the shapes it can be sampled accurately with ({:e} to {:e}){sd_hint}",
                    SHAPES.0, SHAPES.1
                )
            })
        };
        match *self {
            Distribution::Fixed(v) => big("value", v),
            Distribution::Uniform { min, max } => big("min", min).or_else(|| big("max", max)),
            Distribution::Triangular { min, mode, max } | Distribution::Pert { min, mode, max } => big("min", min)
                .or_else(|| big("mode", mode))
                .or_else(|| big("max", max)),
            Distribution::Normal { mean, sd, min, max } => big("mean", mean)
                .or_else(|| big("sd", sd))
                .or_else(|| min.is_finite().then(|| big("min", min)).flatten())
                .or_else(|| max.is_finite().then(|| big("max", max)).flatten()),
            Distribution::LogNormal { mu, sigma } => big("median", mu.exp())
                .or_else(|| {
                    (mu.exp() < SMALLEST).then(|| {
                        format!(
                            "lognormal with median {} is as good as 0 (below {SMALLEST:e}); give 0, or the number in other units",
                            short(mu.exp())
                        )
                    })
                })
                .or_else(|| {
                // One in a billion values lies 6 spreads above the median.
                let high = (mu + 6.0 * sigma).exp();
                (high > LARGEST || high.is_nan()).then(|| {
                    format!(
                        "lognormal(median {}, spread {}) reaches {high:.3e} once in a billion draws, more than 10^12; give a smaller median or spread",
                        short(mu.exp()),
                        short(sigma.exp())
                    )
                })
            }),
            Distribution::Beta { alpha, beta } => shapes(
                "beta",
                alpha,
                Some(beta),
                "; an sd this small is no uncertainty (give the plain value), and one this close to its limit piles the values onto 0 and 1",
            ),
            Distribution::Gamma { shape, scale } => shapes(
                "gamma",
                shape,
                None,
                "; an sd below 1/3000 of the mean is no uncertainty (give the plain value), and one above 10 times the mean piles the values onto 0",
            )
            .or_else(|| big("mean", shape * scale))
            .or_else(|| {
                (shape * scale < SMALLEST).then(|| {
                    format!(
                        "gamma with mean {} is as good as 0 (below {SMALLEST:e}); give 0, or the number in other units",
                        short(shape * scale)
                    )
                })
            })
            .or_else(|| {
                let high = self.quantile(1.0 - 1e-9);
                (high > LARGEST || high.is_nan()).then(|| {
                    format!(
                        "gamma(mean {}, sd {}) reaches {high:.3e} once in a billion draws, more than 10^12; is the mean or sd a typo?",
                        short(shape * scale),
                        short(shape.sqrt() * scale)
                    )
                })
            }),
        }
    }

    /// The smallest and largest values it can take.
    pub fn range(&self) -> (f64, f64) {
        match *self {
            Distribution::Fixed(v) => (v, v),
            Distribution::Uniform { min, max }
            | Distribution::Triangular { min, max, .. }
            | Distribution::Pert { min, max, .. }
            | Distribution::Normal { min, max, .. } => (min, max),
            Distribution::LogNormal { .. } | Distribution::Gamma { .. } => (0.0, f64::INFINITY),
            Distribution::Beta { .. } => (0.0, 1.0),
        }
    }

    /// `None` if every value it can take is valid for `support`, otherwise why not.
    pub fn support_problem(&self, support: Support) -> Option<String> {
        let (lo, hi) = self.range();
        let ok = match support {
            Support::Probability => lo >= 0.0 && hi <= 1.0,
            Support::NonNegative => lo >= 0.0,
            Support::Rate => lo >= 0.0 && hi < 1.0,
            Support::Utility => lo >= -1.0 && hi <= 1.0,
            Support::Finite => true,
        };
        if ok {
            return None;
        }
        let valid = match support {
            Support::Probability => "within [0, 1] (use beta, or bound it with min/max inside [0, 1])",
            Support::NonNegative => "≥ 0 (use gamma or lognormal, or give a normal `min = 0`)",
            Support::Rate => "within [0, 1) (bound it with min/max)",
            Support::Utility => {
                "within [−1, 1] (use beta, or bound it with min/max; or allow_utility_outside_range = true in [outcomes])"
            }
            Support::Finite => "finite",
        };
        Some(format!(
            "{self} can take values from {lo} to {hi}, but this number must be {valid}"
        ))
    }

    /// The move that gives this distribution the mean `value`, keeping its
    /// shape and spread as far as the number's `support` allows:
    /// - gamma and lognormal (numbers ≥ 0 with a long right tail) are scaled
    ///   by `value / mean`, which keeps their spread relative to the mean
    ///   (the coefficient of variation, a lognormal's `spread`);
    /// - the others (uniform, triangular, PERT, normal, beta) are shifted by
    ///   `value − mean`, keeping their spread; where that would take part of
    ///   their range past what the number may be (below 0, or above 1 for a
    ///   probability or share), their spread around the new mean is narrowed
    ///   by just enough to fit (a beta, whose range is all of 0–1, narrows by
    ///   the smaller of `value / mean` and `(1 − value) / (1 − mean)`).
    pub fn moved_to(&self, value: f64, support: Support) -> Moved {
        let (min, max) = match support {
            Support::Probability => (0.0, 1.0),
            Support::NonNegative => (0.0, f64::INFINITY),
            // The discount rate stays below 1.
            Support::Rate => (0.0, 1.0 - 1e-9),
            Support::Utility => (-1.0, 1.0),
            Support::Finite => (f64::NEG_INFINITY, f64::INFINITY),
        };
        let mean = self.mean();
        let times = match *self {
            Distribution::Fixed(_) => 0.0,
            Distribution::LogNormal { .. } | Distribution::Gamma { .. } => {
                if mean > 0.0 {
                    return Moved {
                        add: 0.0,
                        times: (value / mean).max(0.0),
                        min,
                        max,
                    };
                }
                0.0
            }
            _ => {
                let (lo, hi) = self.range();
                let shift = value - mean;
                let mut k: f64 = 1.0;
                if lo + shift < min && mean > lo {
                    k = k.min((value - min) / (mean - lo));
                }
                if hi + shift > max && hi > mean {
                    k = k.min((max - value) / (hi - mean));
                }
                k.max(0.0)
            }
        };
        Moved {
            add: value - times * mean,
            times,
            min,
            max,
        }
    }

    /// The expected value: what a deterministic run uses.
    pub fn mean(&self) -> f64 {
        match *self {
            Distribution::Fixed(v) => v,
            Distribution::Uniform { min, max } => (min + max) / 2.0,
            Distribution::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Distribution::Pert { min, mode, max } => (min + 4.0 * mode + max) / 6.0,
            Distribution::Normal { mean, sd, min, max } => {
                if !min.is_finite() && !max.is_finite() {
                    return mean;
                }
                let std = NormalCdf::standard();
                let (a, b) = ((min - mean) / sd, (max - mean) / sd);
                let pdf = |z: f64| {
                    if z.is_finite() {
                        (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
                    } else {
                        0.0
                    }
                };
                let mass = std.cdf(b) - std.cdf(a);
                mean + sd * (pdf(a) - pdf(b)) / mass
            }
            Distribution::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Distribution::Beta { alpha, beta } => alpha / (alpha + beta),
            Distribution::Gamma { shape, scale } => shape * scale,
        }
    }

    /// One random value.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.sampler().sample(rng)
    }

    /// The distribution ready to sample many times: its constants worked
    /// out once (a Monte Carlo run samples every parameter once per draw).
    pub fn sampler(&self) -> Sampler {
        // Parameters were validated when the distribution was built, so the
        // constructors below cannot fail; a failure would be a bug here.
        match *self {
            Distribution::Fixed(v) => Sampler::Fixed(v),
            Distribution::Uniform { min, max } => {
                Sampler::Uniform(rand_distr::Uniform::new(min, max).expect("validated"))
            }
            Distribution::Triangular { min, mode, max } => {
                Sampler::Triangular(rand_distr::Triangular::new(min, max, mode).expect("validated"))
            }
            Distribution::Pert { min, mode, max } => {
                Sampler::Pert(rand_distr::Pert::new(min, max).with_mode(mode).expect("validated"))
            }
            Distribution::Normal { mean, sd, min, max } => Sampler::Normal {
                normal: rand_distr::Normal::new(mean, sd).expect("validated"),
                min,
                max,
                distribution: *self,
            },
            Distribution::LogNormal { mu, sigma } => {
                Sampler::LogNormal(rand_distr::LogNormal::new(mu, sigma).expect("validated"))
            }
            // With both shapes at least 1, a beta draw is X / (X + Y) for X and
            // Y gamma draws of those shapes: two of rand_distr's gamma samples
            // (about 8 ns each) cost well under its beta's rejection sampler
            // (about 40 ns at the shapes of probabilities known to ±15%), and
            // a run samples hundreds of them per draw. Below 1, where gamma
            // draws crowd towards 0 and the ratio loses precision, rand_distr's
            // beta serves.
            Distribution::Beta { alpha, beta } if alpha >= 1.0 && beta >= 1.0 => Sampler::BetaByGammas {
                x: rand_distr::Gamma::new(alpha, 1.0).expect("validated"),
                y: rand_distr::Gamma::new(beta, 1.0).expect("validated"),
            },
            Distribution::Beta { alpha, beta } => Sampler::Beta(rand_distr::Beta::new(alpha, beta).expect("validated")),
            Distribution::Gamma { shape, scale } => {
                Sampler::Gamma(rand_distr::Gamma::new(shape, scale).expect("validated"))
            }
        }
    }

    /// The value at cumulative probability `u` (0 < u < 1): used for
    /// parameters that move together, which share one `u` per draw.
    pub fn quantile(&self, u: f64) -> f64 {
        self.quantile_fn().at(u)
    }

    /// [`quantile`](Self::quantile) ready for many values of `u`: what
    /// depends only on the distribution worked out once (a Monte Carlo run
    /// takes a grouped parameter's quantile once per draw).
    pub fn quantile_fn(&self) -> Quantile {
        match *self {
            Distribution::Pert { min, mode, max } => {
                let range = max - min;
                let alpha = 1.0 + 4.0 * (mode - min) / range;
                let beta = 1.0 + 4.0 * (max - mode) / range;
                Quantile::Beta {
                    standard: BetaQuantile::new(alpha, beta),
                    min,
                    range,
                }
            }
            Distribution::Beta { alpha, beta } => Quantile::Beta {
                standard: BetaQuantile::new(alpha, beta),
                min: 0.0,
                range: 1.0,
            },
            Distribution::Gamma { shape, scale } => Quantile::Gamma {
                standard: GammaQuantile::new(shape),
                scale,
            },
            other => Quantile::Closed(other),
        }
    }
}

/// A distribution's quantile function (see [`Distribution::quantile_fn`]).
#[derive(Debug, Clone)]
pub enum Quantile {
    /// `min + range ×` a beta quantile (a PERT; a beta itself from 0 over 1).
    Beta {
        standard: BetaQuantile,
        min: f64,
        range: f64,
    },
    /// `scale ×` a standard gamma quantile.
    Gamma { standard: GammaQuantile, scale: f64 },
    /// A quantile in closed form or by statrs.
    Closed(Distribution),
}

impl Quantile {
    /// The value at cumulative probability `u`.
    pub fn at(&self, u: f64) -> f64 {
        use statrs::distribution as sd;
        match self {
            Quantile::Beta { standard, min, range } => min + range * standard.at(u),
            Quantile::Gamma { standard, scale } => standard.at(u) * scale,
            Quantile::Closed(distribution) => match *distribution {
                Distribution::Fixed(v) => v,
                Distribution::Uniform { min, max } => min + u * (max - min),
                Distribution::Triangular { min, mode, max } => {
                    sd::Triangular::new(min, max, mode).expect("validated").inverse_cdf(u)
                }
                Distribution::Normal { mean, sd: s, min, max } => {
                    let n = NormalCdf::new(mean, s).expect("validated");
                    let (lo, hi) = (n.cdf(min), n.cdf(max));
                    n.inverse_cdf(lo + u * (hi - lo)).clamp(min, max)
                }
                Distribution::LogNormal { mu, sigma } => {
                    sd::LogNormal::new(mu, sigma).expect("validated").inverse_cdf(u)
                }
                // (Not kept as `Closed` by `quantile_fn`; right all the same.)
                Distribution::Pert { .. } | Distribution::Beta { .. } | Distribution::Gamma { .. } => {
                    distribution.quantile_fn().at(u)
                }
            },
        }
    }
}

/// The quantiles of the standard gamma distribution (scale 1) of one shape:
/// the root of statrs's CDF minus `u`, by Halley's method (see
/// [`halley_root`]; two or three CDF evaluations, where statrs's own search
/// takes a dozen or more) from the Wilson–Hilferty approximation, or from
/// the lower bound (u·Γ(a + 1))^(1/a) where that is larger (deep in the
/// lower tail, where Wilson–Hilferty falls towards 0: P(a, x) ≤ x^a / Γ(a + 1),
/// so the bound is at or below the root). Shapes below 1, whose quantiles
/// crowd towards 0, use statrs's search, as does a search that does not
/// settle.
#[derive(Debug, Clone)]
pub struct GammaQuantile {
    shape: f64,
    gamma: statrs::distribution::Gamma,
    ln_gamma: f64,
    /// Wilson–Hilferty's 1/(9a) and its square root.
    c: f64,
    root_c: f64,
}

impl GammaQuantile {
    fn new(shape: f64) -> Self {
        let c = 1.0 / (9.0 * shape);
        GammaQuantile {
            shape,
            gamma: statrs::distribution::Gamma::new(shape, 1.0).expect("validated"),
            ln_gamma: statrs::function::gamma::ln_gamma(shape),
            c,
            root_c: c.sqrt(),
        }
    }

    fn at(&self, u: f64) -> f64 {
        let GammaQuantile {
            shape,
            ref gamma,
            ln_gamma,
            c,
            root_c,
        } = *self;
        if shape < 1.0 || u <= 0.0 || u >= 1.0 {
            return gamma.inverse_cdf(u);
        }
        let z = NormalCdf::standard().inverse_cdf(u);
        let wilson_hilferty = shape * (1.0 - c + z * root_c).powi(3);
        // (The bound is worked out only deep in the lower tail, where
        // Wilson–Hilferty can fall towards 0.)
        let start = if u >= 0.5 || wilson_hilferty > shape / 2.0 {
            wilson_hilferty
        } else {
            wilson_hilferty.max(((u.ln() + ln_gamma + shape.ln()) / shape).exp())
        };
        halley_root(
            start,
            (0.0, f64::INFINITY),
            |x| gamma.cdf(x) - u,
            // The density, and its derivative over itself.
            |x| (((shape - 1.0) * x.ln() - x - ln_gamma).exp(), (shape - 1.0) / x - 1.0),
        )
        .unwrap_or_else(|| gamma.inverse_cdf(u))
    }
}

/// The `u` quantile of the standard gamma distribution of `shape`.
#[cfg(test)]
fn gamma_quantile(shape: f64, u: f64) -> f64 {
    GammaQuantile::new(shape).at(u)
}

/// The quantiles of the beta distribution with shapes `a` and `b`: the
/// root of statrs's CDF minus `u`, by Halley's method (see [`halley_root`];
/// about three CDF evaluations against statrs's search's five to seven)
/// from the normal approximation of Abramowitz and Stegun 26.5.22, kept
/// within bounds of the root from the tails: with both shapes at least 1,
/// I_x(a, b) ≤ x^a / (a·B(a, b)) and 1 − I_x(a, b) ≤ (1 − x)^b / (b·B(a, b)),
/// so the root lies between (u·a·B)^(1/a) and 1 − ((1 − u)·b·B)^(1/b) (in
/// skewed tails the approximation alone can start far off). Shapes below 1
/// (densities that are infinite at an end) use statrs's search, as does a
/// search that does not settle.
#[derive(Debug, Clone)]
pub struct BetaQuantile {
    a: f64,
    b: f64,
    beta: statrs::distribution::Beta,
    ln_beta: f64,
    /// 26.5.22's 1/(2a − 1), 1/(2b − 1) and h.
    ra: f64,
    rb: f64,
    h: f64,
}

impl BetaQuantile {
    fn new(a: f64, b: f64) -> Self {
        let (ra, rb) = (1.0 / (2.0 * a - 1.0), 1.0 / (2.0 * b - 1.0));
        BetaQuantile {
            a,
            b,
            beta: statrs::distribution::Beta::new(a, b).expect("validated"),
            ln_beta: statrs::function::beta::ln_beta(a, b),
            ra,
            rb,
            h: 2.0 / (ra + rb),
        }
    }

    fn at(&self, u: f64) -> f64 {
        let BetaQuantile {
            a,
            b,
            ref beta,
            ln_beta,
            ra,
            rb,
            h,
        } = *self;
        if a < 1.0 || b < 1.0 || u <= 0.0 || u >= 1.0 {
            return beta.inverse_cdf(u);
        }
        // 26.5.22, written for the normal deviate y with lower tail u (the
        // book's deviate is −y): within a few per cent for PERT's shapes.
        let y = NormalCdf::standard().inverse_cdf(u);
        let lambda = (y * y - 3.0) / 6.0;
        let w = y * (h + lambda).sqrt() / h + (rb - ra) * (lambda + 5.0 / 6.0 - 2.0 / (3.0 * h));
        let approximation = a / (a + b * (-2.0 * w).exp());
        // (Each bound matters in its own tail.)
        let start = if u < 0.5 {
            approximation.max(((u.ln() + a.ln() + ln_beta) / a).exp())
        } else {
            approximation.min(-(((-u).ln_1p() + b.ln() + ln_beta) / b).exp_m1())
        };
        halley_root(
            start,
            (0.0, 1.0),
            |x| beta.cdf(x) - u,
            |x| {
                let density = ((a - 1.0) * x.ln() + (b - 1.0) * (-x).ln_1p() - ln_beta).exp();
                (density, (a - 1.0) / x - (b - 1.0) / (1.0 - x))
            },
        )
        .unwrap_or_else(|| beta.inverse_cdf(u))
    }
}

/// The `u` quantile of the beta distribution with shapes `a` and `b`.
#[cfg(test)]
fn beta_quantile(a: f64, b: f64, u: f64) -> f64 {
    BetaQuantile::new(a, b).at(u)
}

/// The root of the increasing `error` (a CDF minus its target) within the
/// open `bracket`, from `start`, by Halley's method: `slope(x)` gives the
/// density and its derivative over itself. Halley's correction to Newton's
/// step is used only while it is moderate (its divisor between 0.5 and 2;
/// beyond, far from the root, it would crawl), Newton's step otherwise.
/// The bracket narrows with each evaluation, and a step that would leave it
/// bisects instead (or doubles `x` while the bracket has no upper end). It
/// stops once a step is below 1e-7 of the distance from `x` to the nearer
/// end of `bracket` (Halley's error shrinks with the cube of the step, so
/// what is left is far below the CDF's own rounding, about 1e-16) or too
/// small to move `x` at all; `None` if it has not stopped in 200 steps.
fn halley_root(
    start: f64,
    bracket: (f64, f64),
    error: impl Fn(f64) -> f64,
    slope: impl Fn(f64) -> (f64, f64),
) -> Option<f64> {
    let (mut low, mut high) = bracket;
    let mut x = start;
    for _ in 0..200 {
        let e = error(x);
        if e == 0.0 {
            return Some(x);
        }
        if e > 0.0 {
            high = x;
        } else {
            low = x;
        }
        let (density, curvature) = slope(x);
        let t = e / density;
        let divisor = 1.0 - 0.5 * t * curvature;
        let next = if (0.5..=2.0).contains(&divisor) {
            x - t / divisor
        } else {
            x - t
        };
        if next == x {
            // The step is below the rounding of `x`.
            return Some(x);
        }
        if next.is_finite() && next > low && next < high {
            let step = (next - x).abs();
            x = next;
            if step <= 1e-7 * (x - bracket.0).min(bracket.1 - x) {
                return Some(x);
            }
        } else {
            x = if high.is_finite() { 0.5 * (low + high) } else { 2.0 * x };
        }
    }
    None
}

/// A [`Distribution`] ready to sample: see [`Distribution::sampler`].
/// Sampling it draws exactly the numbers the distribution's `sample` does.
#[derive(Debug, Clone)]
pub enum Sampler {
    Fixed(f64),
    Uniform(rand_distr::Uniform<f64>),
    Triangular(rand_distr::Triangular<f64>),
    Pert(rand_distr::Pert<f64>),
    Normal {
        normal: rand_distr::Normal<f64>,
        min: f64,
        max: f64,
        /// For the quantile when rejection fails.
        distribution: Distribution,
    },
    LogNormal(rand_distr::LogNormal<f64>),
    Beta(rand_distr::Beta<f64>),
    /// A beta distribution with both shapes at least 1, as `x / (x + y)`.
    BetaByGammas {
        x: rand_distr::Gamma<f64>,
        y: rand_distr::Gamma<f64>,
    },
    Gamma(rand_distr::Gamma<f64>),
}

impl Sampler {
    /// One random value.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Sampler::Fixed(v) => *v,
            Sampler::Uniform(d) => d.sample(rng),
            Sampler::Triangular(d) => d.sample(rng),
            Sampler::Pert(d) => d.sample(rng),
            Sampler::Normal {
                normal,
                min,
                max,
                distribution,
            } => {
                // Rejection while it is cheap; the quantile otherwise.
                for _ in 0..64 {
                    let x = normal.sample(rng);
                    if x >= *min && x <= *max {
                        return x;
                    }
                }
                let u: f64 = rand_distr::Open01.sample(rng);
                distribution.quantile(u)
            }
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Beta(d) => d.sample(rng),
            Sampler::BetaByGammas { x, y } => {
                let (x, y) = (x.sample(rng), y.sample(rng));
                x / (x + y)
            }
            Sampler::Gamma(d) => d.sample(rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn table(text: &str) -> BTreeMap<String, toml::Value> {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn parameters_are_checked() {
        let err = Distribution::from_table(&table("dist = 'beta'\nmean = 0.5\nsd = 0.6")).unwrap_err();
        assert!(err.contains("impossible"), "{err}");
        assert!(Distribution::from_table(&table("dist = 'pert'\nmin = 1\nmode = 0\nmax = 2")).is_err());
        assert!(Distribution::from_table(&table("dist = 'uniform'\nmin = 1\nmax = 1")).is_err());
        assert!(Distribution::from_table(&table("dist = 'gamma'\nmean = 1")).is_err());
        assert!(Distribution::from_table(&table("dist = 'weibull'\nmean = 1")).is_err());
        let err = Distribution::from_table(&table("dist = 'normal'\nmean = 1\nsd = 1\nmedian = 2")).unwrap_err();
        assert!(err.contains("not a parameter"), "{err}");
    }

    #[test]
    fn means_and_moment_parameterisations_agree() {
        let beta = Distribution::from_table(&table("dist = 'beta'\nmean = 0.2\nsd = 0.05")).unwrap();
        assert!((beta.mean() - 0.2).abs() < 1e-15);
        let gamma = Distribution::from_table(&table("dist = 'gamma'\nmean = 400\nsd = 80")).unwrap();
        assert!((gamma.mean() - 400.0).abs() < 1e-9);
        let ln = Distribution::from_table(&table("dist = 'lognormal'\nmean = 0.8\nsd = 0.1")).unwrap();
        assert!((ln.mean() - 0.8).abs() < 1e-12);
        let ln = Distribution::from_table(&table("dist = 'lognormal'\nmedian = 0.8\nspread = 1.2")).unwrap();
        assert!((ln.quantile(0.5) - 0.8).abs() < 1e-9);
        // Half-normal from 0: mean sd·√(2/π).
        let n = Distribution::from_table(&table("dist = 'normal'\nmean = 0\nsd = 1\nmin = 0")).unwrap();
        assert!((n.mean() - (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn samples_match_means_and_stay_in_range() {
        let mut rng = crate::montecarlo::DrawRng::seed_from_u64(7);
        for text in [
            "dist = 'uniform'\nmin = 1\nmax = 3",
            "dist = 'triangular'\nmin = 0\nmode = 1\nmax = 5",
            "dist = 'pert'\nmin = 0\nmode = 1\nmax = 5",
            "dist = 'normal'\nmean = 0.1\nsd = 0.2\nmin = 0\nmax = 1",
            "dist = 'lognormal'\nmedian = 2\nspread = 1.5",
            "dist = 'beta'\nalpha = 2\nbeta = 5",
            "dist = 'gamma'\nshape = 3\nscale = 2",
        ] {
            let d = Distribution::from_table(&table(text)).unwrap();
            let (lo, hi) = d.range();
            let n = 200_000;
            let mut sum = 0.0;
            for _ in 0..n {
                let x = d.sample(&mut rng);
                assert!(x >= lo && x <= hi, "{d}: {x}");
                sum += x;
            }
            let mean = sum / n as f64;
            assert!(
                (mean - d.mean()).abs() < 0.01 * (1.0 + d.mean().abs()),
                "{d}: {mean} vs {}",
                d.mean()
            );
            // Quantiles are monotone and the median is inside the range.
            assert!(
                d.quantile(0.1) <= d.quantile(0.5) && d.quantile(0.5) <= d.quantile(0.9),
                "{d}"
            );
        }
    }

    #[test]
    fn beta_samples_follow_the_beta_cdf_by_either_sampler() {
        // Kolmogorov–Smirnov distance between 100,000 draws and statrs's CDF:
        // at the 0.1% level the critical value is 1.95 / √n ≈ 0.0062, and a
        // sampler off by a shape's 1% misses by far more (checked: alpha
        // 42.42 in place of 42 gives 0.026). Shapes at least 1 take the gamma
        // ratio, below 1 rand_distr's beta sampler.
        use statrs::distribution::{Beta, ContinuousCDF};
        let mut rng = crate::montecarlo::DrawRng::seed_from_u64(11);
        for (alpha, beta) in [(42.0, 802.0), (2.0, 5.0), (1.0, 1.0), (0.5, 0.7), (3.0, 0.8)] {
            let sampler = Distribution::Beta { alpha, beta }.sampler();
            let n = 100_000;
            let mut xs: Vec<f64> = (0..n).map(|_| sampler.sample(&mut rng)).collect();
            xs.sort_by(f64::total_cmp);
            let cdf = Beta::new(alpha, beta).unwrap();
            let distance = xs
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    let f = cdf.cdf(x);
                    (f - i as f64 / n as f64)
                        .abs()
                        .max((f - (i + 1) as f64 / n as f64).abs())
                })
                .fold(0.0, f64::max);
            assert!(distance < 0.0062, "beta({alpha}, {beta}): KS distance {distance}");
            assert!(xs.iter().all(|&x| (0.0..=1.0).contains(&x)), "beta({alpha}, {beta})");
        }
    }

    /// Beta(a, 1) (CDF x^a, density a·x^(a−1)) and Beta(1, b) (CDF
    /// 1 − (1 − x)^b, density b·(1 − x)^(b−1)) against their closed-form
    /// quantiles, within `relative` of the value plus what the CDF's error
    /// at `u`, `cdf_error(u)`, moves x by (that error over the density).
    fn closed_form_betas(shapes: &[f64], us: &[f64], relative: f64, cdf_error: impl Fn(f64) -> f64) {
        for &shape in shapes {
            for &u in us {
                let x = beta_quantile(shape, 1.0, u);
                let exact = u.powf(1.0 / shape);
                let density = shape * exact.powf(shape - 1.0);
                let within = relative * exact + cdf_error(u) / density;
                assert!(
                    (x - exact).abs() <= within,
                    "beta({shape}, 1), u {u:e}: {x} against {exact}"
                );
                let x = beta_quantile(1.0, shape, u);
                let exact = -((-u).ln_1p() / shape).exp_m1();
                let density = shape * (1.0 - exact).powf(shape - 1.0);
                let within = relative * exact + cdf_error(u) / density;
                assert!(
                    (x - exact).abs() <= within,
                    "beta(1, {shape}), u {u:e}: {x} against {exact}"
                );
            }
        }
    }

    #[test]
    fn beta_quantiles_invert_the_cdf() {
        use statrs::distribution::Beta;
        let us = [1e-12, 1e-6, 0.001, 0.05, 0.3, 0.5, 0.77, 0.95, 0.999, 1.0 - 1e-9];
        // The CDF is known to about 1e-16 (near 1 a CDF close to 1 pins x
        // down only so far).
        closed_form_betas(&[1.0, 1.3, 2.0, 5.0], &us, 1e-13, |_| 4e-16);
        // PERT shapes (1 to 5) and beta distributions of probabilities.
        for (a, b) in [
            (3.0, 3.0),
            (4.47, 1.53),
            (2.4, 3.6),
            (1.1, 4.9),
            (42.0, 802.0),
            (9.5, 2.0),
        ] {
            let beta = Beta::new(a, b).unwrap();
            for u in us {
                let x = beta_quantile(a, b, u);
                // (statrs's search stops sooner: at beta(1.1, 4.9) and
                // u = 1e-12 its quantile misses the CDF by 2.7e-9 of u, this
                // one by 1e-15.)
                let theirs = beta.inverse_cdf(u);
                assert!(
                    (x - theirs).abs() <= 1e-8 * theirs,
                    "beta({a}, {b}), u {u}: {x} against statrs's {theirs}"
                );
                let miss = (beta.cdf(x) - u).abs();
                assert!(
                    miss <= 1e-14 + 1e-12 * u,
                    "beta({a}, {b}), u {u}: the CDF misses by {miss}"
                );
            }
        }
    }

    #[test]
    fn quantiles_hold_at_the_ends_of_the_unit_interval_and_skewed_shapes() {
        use statrs::distribution::{Beta, Gamma};
        // The extremes an open-interval uniform draw takes ((k + ½)·2⁻⁵²
        // and 1 minus it), and a few more far out in the tails.
        let tiny = 1.5 * f64::EPSILON / 2.0;
        let us = [
            0.5 * f64::EPSILON / 2.0,
            tiny,
            1e-300,
            5e-13,
            1e-9,
            0.5,
            1.0 - 1e-9,
            1.0 - f64::EPSILON / 2.0,
            1.0 - tiny,
        ];
        // statrs's CDF is known to about 1e-11 of itself in the lower tail
        // at these shapes (its logarithms of gamma functions reach 4e4 at
        // shape 5000) and to a rounding of 1 in the upper; x moves by that
        // over the density.
        let cdf_error = |u: f64| {
            if u < 0.5 {
                1e-11 * u
            } else {
                1e-11 * (1.0 - u) + 2.3e-16
            }
        };
        closed_form_betas(&[1.0, 5.0, 100.0, 200.0, 802.0, 5000.0], &us, 1e-12, cdf_error);
        // Skewed shapes without a closed form: the CDF at the quantile, in
        // the lower tail where it is known to a few parts in 1e14 of u.
        for (a, b) in [(802.0, 1.2), (1.2, 802.0), (42.0, 802.0), (802.0, 42.0), (200.0, 3.0)] {
            let beta = Beta::new(a, b).unwrap();
            for u in [tiny, 5e-13, 1e-9, 0.01] {
                let x = beta_quantile(a, b, u);
                let miss = (beta.cdf(x) - u).abs();
                assert!(
                    miss <= 1e-12 * u,
                    "beta({a}, {b}), u {u:e}: {x} misses the CDF by {miss:e}"
                );
            }
        }
        // Gammas where Wilson–Hilferty's start falls to about 0.
        for (shape, u) in [(4.0, 2.7165437398e-9), (7.0, 2.83082e-15), (1.5, tiny), (30.0, 1e-300)] {
            let gamma = Gamma::new(shape, 1.0).unwrap();
            let x = gamma_quantile(shape, u);
            let miss = (gamma.cdf(x) - u).abs();
            assert!(
                miss <= 1e-12 * u,
                "gamma({shape}), u {u:e}: {x} misses the CDF by {miss:e}"
            );
        }
    }

    #[test]
    fn gamma_quantiles_invert_the_cdf() {
        use statrs::distribution::Gamma;
        for shape in [1.0, 1.7, 4.0, 25.0, 44.4, 100.0, 400.0, 5000.0] {
            let gamma = Gamma::new(shape, 1.0).unwrap();
            for u in [1e-9, 1e-4, 0.01, 0.05, 0.3, 0.5, 0.77, 0.95, 0.999, 1.0 - 1e-9] {
                let x = gamma_quantile(shape, u);
                // statrs's own search stops sooner (within about 1e-10, and
                // far into the upper tail, where the CDF is flat, 1e-8).
                let theirs = gamma.inverse_cdf(u);
                assert!(
                    (x - theirs).abs() <= 1e-8 * theirs,
                    "shape {shape}, u {u}: {x} against statrs's {theirs}"
                );
                if shape == 1.0 {
                    let exact = -(-u).ln_1p();
                    // The CDF is known to about 1e-16, and moves by the
                    // density 1 − u per unit of x.
                    let within = 1e-12 * exact + 4e-16 / (1.0 - u);
                    assert!((x - exact).abs() <= within, "u {u}: {x} against {exact}");
                }
                // statrs's CDF is itself noisy in its last digits as the
                // shape grows: at shape 400 over 2,000 values of u a full
                // Newton search still missed by up to 2.2e-13, and at 5000
                // it drifts by 1e-12.
                let miss = (gamma.cdf(x) - u).abs();
                let allowed = if shape <= 100.0 { 1e-13 } else { 5e-13 };
                assert!(
                    shape > 400.0 || miss <= allowed,
                    "shape {shape}, u {u}: the CDF misses by {miss}"
                );
            }
        }
        // Known answers (40-digit root finding on the regularised incomplete gamma).
        for (shape, u, exact) in [(5000.0, 0.3, 4962.679004917484), (5000.0, 0.05, 4884.262567833768)] {
            let x = gamma_quantile(shape, u);
            assert!(
                (x - exact).abs() <= 1e-13 * exact,
                "shape {shape}, u {u}: {x} against {exact}"
            );
        }
    }
}

#[cfg(test)]
mod moving {
    use super::*;
    use proptest::prelude::*;

    fn families() -> Vec<(Distribution, Support)> {
        vec![
            (Distribution::Uniform { min: 0.7, max: 1.0 }, Support::NonNegative),
            (
                Distribution::Triangular {
                    min: 0.1,
                    mode: 0.2,
                    max: 0.4,
                },
                Support::Probability,
            ),
            (
                Distribution::Pert {
                    min: 0.7,
                    mode: 0.85,
                    max: 1.0,
                },
                Support::NonNegative,
            ),
            (
                Distribution::Normal {
                    mean: 1.0,
                    sd: 0.1,
                    min: 0.0,
                    max: f64::INFINITY,
                },
                Support::NonNegative,
            ),
            (
                Distribution::Beta {
                    alpha: 18.5,
                    beta: 55.5,
                },
                Support::Probability,
            ),
            (Distribution::LogNormal { mu: -0.2, sigma: 0.3 }, Support::NonNegative),
            (
                Distribution::Gamma {
                    shape: 25.0,
                    scale: 6.0,
                },
                Support::NonNegative,
            ),
        ]
    }

    #[test]
    fn a_shift_inside_the_limits_keeps_every_quantile_apart_by_the_same_amount() {
        // PERT(0.7, 0.85, 1) has mean 0.85; moved to 0.86 it is PERT(0.71, 0.86, 1.01).
        let d = Distribution::Pert {
            min: 0.7,
            mode: 0.85,
            max: 1.0,
        };
        let m = d.moved_to(0.86, Support::NonNegative);
        assert_eq!(m.times, 1.0);
        let by_hand = Distribution::Pert {
            min: 0.71,
            mode: 0.86,
            max: 1.01,
        };
        for u in [0.01, 0.05, 0.5, 0.95, 0.99] {
            assert!((m.apply(d.quantile(u)) - by_hand.quantile(u)).abs() < 1e-12);
        }
    }

    #[test]
    fn a_shift_past_a_limit_narrows_the_spread_just_enough() {
        // Uniform 0.7–1.0 (mean 0.85) moved to 0.1: shifted it would reach
        // −0.05, so its half-width 0.15 narrows to 0.1: 0–0.2.
        let d = Distribution::Uniform { min: 0.7, max: 1.0 };
        let m = d.moved_to(0.1, Support::NonNegative);
        assert!((m.apply(0.7) - 0.0).abs() < 1e-12 && (m.apply(1.0) - 0.2).abs() < 1e-12);
        // A beta (mean 0.25) moved to 0.5 narrows by (1 − 0.5) / (1 − 0.25).
        let b = Distribution::Beta { alpha: 1.0, beta: 3.0 };
        let m = b.moved_to(0.5, Support::Probability);
        assert!((m.times - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.apply(0.25) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn gamma_and_lognormal_scale_keeping_their_relative_spread() {
        let g = Distribution::Gamma {
            shape: 25.0,
            scale: 6.0,
        };
        let m = g.moved_to(300.0, Support::NonNegative);
        assert_eq!((m.add, m.times), (0.0, 2.0));
        let as_file = Distribution::Gamma {
            shape: 25.0,
            scale: 12.0,
        };
        assert!((m.apply(g.quantile(0.9)) - as_file.quantile(0.9)).abs() < 1e-9);
    }

    proptest! {
        /// Moved anywhere the number may be, a distribution has the new
        /// mean, stays within the limits, and moves each value the same way
        /// (so a worse value is worse in every draw).
        #[test]
        fn a_moved_distribution_has_its_new_mean_and_stays_valid(which in 0usize..7, to in 0.0f64..1.0) {
            let (d, support) = families()[which];
            let m = d.moved_to(to, support);
            let mean = m.add + m.times * d.mean();
            prop_assert!((mean - to).abs() < 1e-9, "mean {mean} for {to}");
            let (lo, hi) = (d.quantile(1e-9), d.quantile(1.0 - 1e-9));
            for x in [lo, d.quantile(0.3), d.mean(), d.quantile(0.7), hi] {
                let y = m.apply(x);
                prop_assert!(y >= 0.0);
                if support == Support::Probability {
                    prop_assert!(y <= 1.0);
                }
                // Monotone in the draw, and in the direction of the move.
                prop_assert!(m.times >= 0.0);
                if to >= d.mean() {
                    prop_assert!(y >= x - 1e-12, "{x} moved down to {y}");
                } else {
                    prop_assert!(y <= x + 1e-12, "{x} moved up to {y}");
                }
            }
        }
    }
}
