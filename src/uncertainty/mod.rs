//! Uncertain numbers: probability distributions a scenario file may give
//! instead of a value, and how a Monte Carlo draw samples them.

mod distribution;

pub use distribution::{BetaQuantile, Distribution, GammaQuantile, LARGEST, Moved, Quantile, SHAPES, Sampler, Support};
