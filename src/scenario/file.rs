//! The scenario file exactly as written: serde-shaped, with the position of
//! every value kept so that validation can name the line at fault.

use crate::model::{DiscountTiming, Occupancy, Tier, TransitionMode};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub model: RawModel,
    #[serde(default)]
    pub bands: Vec<Spanned<RawBand>>,
    #[serde(default)]
    pub population: Vec<Spanned<RawPopulation>>,
    pub population_csv: Option<Spanned<String>>,
    #[serde(default)]
    pub transitions: Vec<Spanned<RawTransition>>,
    pub transitions_csv: Option<Spanned<String>>,
    #[serde(default)]
    pub exits: Vec<Spanned<RawExit>>,
    pub exits_csv: Option<Spanned<String>>,
    pub entries: Option<Spanned<RawEntries>>,
    pub projection_csv: Option<Spanned<String>>,
    #[serde(default)]
    pub services: Vec<Spanned<RawService>>,
    #[serde(default)]
    pub interventions: Vec<Spanned<RawIntervention>>,
    #[serde(default)]
    pub scenarios: Vec<Spanned<RawScenario>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    pub name: String,
    pub start_year: Spanned<i64>,
    pub horizon_years: Spanned<i64>,
    pub steps_per_year: Option<Spanned<i64>>,
    pub currency: Option<String>,
    pub price_base_year: Option<Spanned<i64>>,
    pub discount_rate: Option<Spanned<f64>>,
    pub discount_timing: Option<DiscountTiming>,
    pub occupancy: Option<Occupancy>,
    pub transition_mode: Option<TransitionMode>,
    pub levels: Spanned<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBand {
    pub name: String,
    pub lower: f64,
    pub upper: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPopulation {
    pub band: String,
    pub people: Option<f64>,
    pub mix: Option<BTreeMap<String, Spanned<f64>>>,
    pub counts: Option<BTreeMap<String, Spanned<f64>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTransition {
    pub bands: Option<Vec<String>>,
    pub from: String,
    pub to: String,
    pub probability: ByYear,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExit {
    pub bands: Option<Vec<String>>,
    pub levels: Option<Vec<String>>,
    pub probability: ByYear,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEntries {
    pub people: ByYear,
    pub mix: BTreeMap<String, Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub name: String,
    pub tier: Tier,
    pub funder: String,
    pub unit_cost: Spanned<f64>,
    pub description: Option<String>,
    #[serde(rename = "use")]
    pub use_rate: Option<BTreeMap<String, Spanned<ByYear>>>,
    pub use_csv: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIntervention {
    pub name: String,
    pub description: Option<String>,
    pub funder: String,
    pub tier: Tier,
    pub evidence: Option<String>,
    pub target_bands: Option<Vec<String>>,
    pub target_levels: Vec<String>,
    pub reach: Option<Spanned<f64>>,
    pub places: Option<Spanned<f64>>,
    pub start_year: Spanned<i64>,
    pub ramp_years: Option<Spanned<f64>>,
    pub end_year: Option<Spanned<i64>>,
    pub fidelity: Option<Spanned<f64>>,
    pub cost_per_participant: Option<Spanned<f64>>,
    pub fixed_cost: Option<Spanned<f64>>,
    pub lag_years: Option<Spanned<i64>>,
    #[serde(default)]
    pub effects: Vec<Spanned<RawEffect>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEffect {
    pub from: Option<String>,
    pub to: Option<String>,
    pub relative_risk: Option<f64>,
    pub service: Option<String>,
    pub multiplier: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    pub description: Option<String>,
    #[serde(default)]
    pub interventions: Vec<String>,
    #[serde(default)]
    pub overrides: BTreeMap<String, Spanned<f64>>,
}

/// A number, or a table of `year = number` (a value that changes by year).
#[derive(Debug, Clone, PartialEq)]
pub enum ByYear {
    Constant(f64),
    /// (year as written, value)
    Years(Vec<(String, f64)>),
}

impl<'de> Deserialize<'de> for ByYear {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ByYearVisitor;

        impl<'de> Visitor<'de> for ByYearVisitor {
            type Value = ByYear;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, or a table of year = number such as { 2025 = 0.1, 2030 = 0.2 }")
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ByYear, E> {
                Ok(ByYear::Constant(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByYear, E> {
                Ok(ByYear::Constant(v as f64))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByYear, E> {
                Ok(ByYear::Constant(v as f64))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ByYear, A::Error> {
                let mut points = Vec::new();
                while let Some((year, value)) = map.next_entry::<String, f64>()? {
                    points.push((year, value));
                }
                Ok(ByYear::Years(points))
            }
        }

        deserializer.deserialize_any(ByYearVisitor)
    }
}
