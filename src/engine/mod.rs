//! The engine: one trajectory of one model under one set of interventions.
//! No I/O, no randomness, no threads: the Monte Carlo layer calls it once per
//! (draw, scenario).
//!
//! Each year, the engine works out how much of each intervention is
//! delivered, folds the effects into each band's annual transition figures,
//! turns those into a per-step matrix (only when they changed since the year
//! before), and then steps: need transitions and exits, ageing, entries, and
//! calibration to a population projection.

mod compile;
mod kernel;

pub use kernel::simulate;

/// How the run is tied to a population projection.
#[derive(Debug, Clone, Copy)]
pub enum Calibration<'a> {
    /// No projection: the model runs free.
    None,
    /// The baseline: band totals are pulled to the model's projection each
    /// step and the people added or removed are recorded.
    ToProjection,
    /// A scenario: receives exactly the baseline's recorded net migration
    /// (people per step × band), spread over its own levels.
    Replay(&'a [f64]),
}

/// Stocks and flows of one simulated year. Vectors indexed by cell
/// (band-major: `band * levels + level`) unless said otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct YearResult {
    pub year: i32,
    pub people_start: Vec<f64>,
    pub people_end: Vec<f64>,
    /// Person-years lived in the year, by the model's occupancy convention.
    pub person_years: Vec<f64>,
    pub entries: Vec<f64>,
    /// Deaths and moves away.
    pub exits: Vec<f64>,
    /// People ageing past the last band's upper age (leaving the model).
    pub aged_out: Vec<f64>,
    pub ageing_in: Vec<f64>,
    pub ageing_out: Vec<f64>,
    /// People arriving from other need levels of the same band.
    pub moved_in: Vec<f64>,
    /// People leaving for other need levels of the same band.
    pub moved_out: Vec<f64>,
    /// Net migration added (+) or removed (−) by calibration to the projection.
    pub migration: Vec<f64>,
    /// Transition flows per band × from × to (diagonal zero).
    pub flows: Vec<f64>,
    /// Units of activity per service.
    pub activity: Vec<f64>,
    /// Participant-years per model intervention (zero if not in the plan).
    pub participants: Vec<f64>,
    /// Cost (participants × cost per participant + fixed cost) per model intervention.
    pub intervention_cost: Vec<f64>,
}

/// A whole run: one `YearResult` per simulated year.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    pub years: Vec<YearResult>,
    /// Net migration per step × band (empty without calibration); a
    /// scenario replays the baseline's.
    pub migration_by_step: Vec<f64>,
}

/// A model whose numbers cannot be simulated; the message names the band,
/// level and year.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error(
        "band `{band}` in {year}: the annual transition matrix has no valid {steps}-per-year root (some per-step share would be negative: the matrix moves people faster than a smooth process can). Use steps_per_year = 1, transition_mode = \"rates\", or smaller transition probabilities"
    )]
    NoValidRoot { band: String, year: i32, steps: u32 },
    #[error(
        "band `{band}`, level `{level}` in {year}: the number of people would become negative ({value:.3}); {cause}"
    )]
    NegativeStock {
        band: String,
        level: String,
        year: i32,
        value: f64,
        cause: String,
    },
    #[error("band `{band}`, level `{level}` in {year}: the number of people is {value}, not a finite number; {cause}")]
    NotFinite {
        band: String,
        level: String,
        year: i32,
        value: f64,
        cause: String,
    },
    #[error(
        "band `{band}` in {year}: the annual probabilities of leaving `{level}` sum to {sum:.6} once intervention effects are applied, above 1"
    )]
    RowOverflow {
        band: String,
        level: String,
        year: i32,
        sum: f64,
    },
}
