//! The checked model: what a scenario file means once validated. Every value
//! here has passed validation (probabilities in [0, 1], rows that do not
//! overflow, names that resolve), so the engine never re-checks inputs.

use crate::uncertainty::Distribution;
use crate::units::AnnualProbability;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

mod tunnel;
pub mod within_cycle;
pub use tunnel::{EffectGroup, OutputLevel, Tunnel, TunnelOutputs};
pub use within_cycle::PointWeights;

/// How the user's annual transition figures are turned into per-step moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionMode {
    /// Each annual probability is an independent hazard `r = −ln(1 − p)`;
    /// per-step matrix = `expm(Q·dt)`.
    Rates,
    /// The figures are the one-year transition matrix; per-step matrix is its
    /// principal `n`-th root.
    AnnualMatrix,
}

/// Which stock a step's person-years are counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Occupancy {
    Start,
    End,
    HalfCycle,
    /// Simpson's 1/3 rule over the horizon's time points
    /// ([`PointWeights::simpson`]).
    Simpson,
    /// The user's weight per time point (`occupancy_weights`).
    Weights,
}

/// When within year `t` (t = 1 first) money is discounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountTiming {
    /// `(1 + r)^t`
    End,
    /// `(1 + r)^(t − 1)`
    Start,
    /// `(1 + r)^(t − ½)`
    Mid,
    /// Every time point at its own time, `(1 + r)^−τ` for a point τ years
    /// from the start (the DARTH tutorials' convention): person-years and
    /// what they price (use, participants, quality weights) point by point
    /// by the occupancy weights; a year's other figures (activity on
    /// entry, fixed costs, capacity bought, payments) at its end; costs at
    /// the start of an intervention or of the model at that moment.
    /// [`DiscountTiming::factor`] is the year's end factor.
    #[serde(rename = "per_time_point")]
    PerPoint,
}

impl DiscountTiming {
    /// Discount factor for simulated year `t` (1-based).
    pub fn factor(self, rate: f64, t: u32) -> f64 {
        let t = f64::from(t);
        let exponent = match self {
            DiscountTiming::End | DiscountTiming::PerPoint => t,
            DiscountTiming::Start => t - 1.0,
            DiscountTiming::Mid => t - 0.5,
        };
        (1.0 + rate).powf(-exponent)
    }
}

/// The four tiers of early action (seed 004, lines 153–158).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Primary,
    Secondary,
    Tertiary,
    Acute,
}

impl Tier {
    pub const ALL: [Tier; 4] = [Tier::Primary, Tier::Secondary, Tier::Tertiary, Tier::Acute];

    pub fn name(self) -> &'static str {
        match self {
            Tier::Primary => "primary",
            Tier::Secondary => "secondary",
            Tier::Tertiary => "tertiary",
            Tier::Acute => "acute",
        }
    }

    /// Primary, secondary and tertiary prevention count as preventative spend.
    pub fn is_preventative(self) -> bool {
        self != Tier::Acute
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A value that may change by calendar year: `points` is sorted by year and
/// never empty; a value holds from its year until the next, the first value
/// holds before the first year and the last after the last.
#[derive(Debug, Clone, PartialEq)]
pub struct Series<T> {
    points: Vec<(i32, T)>,
}

impl<T: Copy> Series<T> {
    pub fn constant(value: T) -> Self {
        Self {
            points: vec![(i32::MIN, value)],
        }
    }

    /// `points` must be non-empty; they are sorted here.
    pub fn by_year(mut points: Vec<(i32, T)>) -> Self {
        assert!(!points.is_empty(), "a series needs at least one value");
        points.sort_by_key(|p| p.0);
        Self { points }
    }

    pub fn at(&self, year: i32) -> T {
        let i = self.points.partition_point(|p| p.0 <= year);
        self.points[i.saturating_sub(1)].1
    }

    pub fn points(&self) -> &[(i32, T)] {
        &self.points
    }

    pub fn is_constant(&self) -> bool {
        self.points.len() == 1
    }

    /// The year of the point whose value holds in `year`.
    pub fn point_year_at(&self, year: i32) -> i32 {
        let i = self.points.partition_point(|p| p.0 <= year);
        self.points[i.saturating_sub(1)].0
    }

    /// Sets the value of the point given for `point_year` (a no-op if there is none).
    pub fn set_point(&mut self, point_year: i32, value: T) {
        if let Some(p) = self.points.iter_mut().find(|p| p.0 == point_year) {
            p.1 = value;
        }
    }

    pub fn map<U: Copy>(&self, f: impl Fn(T) -> U) -> Series<U> {
        Series {
            points: self.points.iter().map(|&(y, v)| (y, f(v))).collect(),
        }
    }
}

/// An age band `[lower, upper)` in years; `upper` is `None` for an open last band.
#[derive(Debug, Clone, PartialEq)]
pub struct AgeBand {
    pub name: String,
    pub lower: f64,
    pub upper: Option<f64>,
}

impl AgeBand {
    pub fn width(&self) -> Option<f64> {
        self.upper.map(|u| u - self.lower)
    }
}

/// People entering the first band.
#[derive(Debug, Clone, PartialEq)]
pub struct Entries {
    /// People per year.
    pub people: Series<f64>,
    /// Share entering at each level; sums to 1.
    pub mix: Vec<f64>,
}

/// Band totals the baseline is calibrated to, at the start of each year.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// Sorted years, each with one total per band.
    pub points: Vec<(i32, Vec<f64>)>,
}

impl Projection {
    /// Band total at a fractional calendar time (e.g. 2026.25), interpolated
    /// linearly between years and held flat outside them.
    pub fn band_total(&self, band: usize, time: f64) -> f64 {
        let first = &self.points[0];
        if time <= f64::from(first.0) {
            return first.1[band];
        }
        for pair in self.points.windows(2) {
            let (y0, y1) = (f64::from(pair[0].0), f64::from(pair[1].0));
            if time <= y1 {
                let w = (time - y0) / (y1 - y0);
                return pair[0].1[band] * (1.0 - w) + pair[1].1[band] * w;
            }
        }
        self.points[self.points.len() - 1].1[band]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub name: String,
    pub tier: Tier,
    pub funder: usize,
    /// Money per unit of activity, in price-base-year prices.
    pub unit_cost: f64,
    /// Units of activity per person-year, per cell (band-major: `band * levels + level`).
    pub use_rate: Vec<Series<f64>>,
    /// Units of activity for each person entering a level (moving in from
    /// another level, or entering the model at it), per level, by calendar
    /// year; empty for none. Finite and ≥ 0; a service with them has no
    /// capacity.
    pub on_entry: Vec<Series<f64>>,
    /// Units of activity for each person in a level when the model starts
    /// (an operation at time 0), per level, counted in the first year;
    /// empty for none. Finite and ≥ 0; a service with them has no capacity.
    pub at_start: Vec<f64>,
    /// The most activity it can deliver, and what happens to demand beyond
    /// it; `None`: it serves all it is asked (README, "The supply side").
    pub capacity: Option<Capacity>,
}

impl Service {
    /// The service its unmet demand is diverted to, if any.
    pub fn divert_to(&self) -> Option<usize> {
        self.capacity.as_ref().and_then(|c| c.divert_to)
    }
}

/// A service's capacity and what its unmet demand does (`when_full`).
///
/// Invariants (checked when the file is read): `per_year` is finite, ≥ 0
/// and at most 10^12 in every year; `wait`, `divert` and `lost` are each
/// in [0, 1] and sum to 1 (within 1e-9); `divert_to` is `Some` exactly
/// when `divert > 0`, names another service, and the model's diversions
/// form no cycle; `divert_ratio` is finite and > 0; `renege` is below 1;
/// `target_wait_weeks` is finite and > 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Capacity {
    /// Activity it can deliver a year, in the service's own unit, by year.
    pub per_year: Series<f64>,
    /// Share of unmet demand that joins the waiting list.
    pub wait: f64,
    /// Share of unmet demand sent on to `divert_to`.
    pub divert: f64,
    /// Share of unmet demand reported as unmet need, at no cost.
    pub lost: f64,
    /// The service (index into `Model::services`) that receives the diverted share.
    pub divert_to: Option<usize>,
    /// The receiver's activity per unit diverted (e.g. 0.002 residential
    /// place-years per home care hour); 1 when not given.
    pub divert_ratio: f64,
    /// The chance a year that someone on the waiting list leaves it
    /// unserved (recovers, goes elsewhere, dies); 0 when not given.
    pub renege: AnnualProbability,
    /// The wait, in weeks, whose breach is reported (e.g. 18), if any.
    pub target_wait_weeks: Option<f64>,
    /// Relative risks on the transitions of the cells whose demand for the
    /// service is unmet, for the unmet share (README, "Feedback to people").
    pub while_unmet: Vec<UnmetEffect>,
}

/// While a cell's demand for a full service is unmet, its `from → to`
/// transition is multiplied by `1 − u·(1 − relative_risk)` for the unmet
/// share `u`: the arithmetic of an intervention whose reached share is `u`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnmetEffect {
    pub from: usize,
    pub to: usize,
    pub relative_risk: f64,
}

impl Capacity {
    /// What unmet demand does in a step of `dt` years, for
    /// [`crate::supply`]: the annual chance of reneging becomes the step's.
    pub fn when_full(&self, dt: f64) -> crate::supply::WhenFull {
        crate::supply::WhenFull {
            wait: self.wait,
            divert: self.divert,
            lost: self.lost,
            divert_to: self.divert_to,
            divert_ratio: self.divert_ratio,
            renege_per_step: crate::supply::per_step(self.renege.value(), dt),
        }
    }
}

/// A need level with a limited number of places (`[[places]]`; README,
/// "Levels with a limited number of places"): a move into it is held while
/// it is full, and the people held wait in the cell they would have left.
///
/// Invariants (checked when the file is read): `level` indexes
/// `Model::levels` and no two `LevelPlaces` name the same level; `per_year` is
/// finite, ≥ 0 and at most 10^12 in every year; each `while_waiting`
/// service is named once and its multiplier is finite and ≥ 0; each
/// `waiting_moves` move is between two different levels other than
/// `level`, named once, its relative risk finite, > 0 and at most 100.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelPlaces {
    /// The level (index into `Model::levels`).
    pub level: usize,
    /// The most people it can hold, by year.
    pub per_year: Series<f64>,
    /// Multipliers on the use of services (index into `Model::services`)
    /// by the people waiting for a place, in the cell they wait in.
    pub while_waiting: Vec<WaitingUse>,
    /// Relative risks on the moves of the people waiting for a place, from
    /// the level they wait in (`while_waiting` moves in the file).
    pub waiting_moves: Vec<WaitingMove>,
}

/// While people wait for a place in level `from`, their move `from → to`
/// (level indices) is its step probability × `relative_risk`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitingMove {
    pub from: usize,
    pub to: usize,
    pub relative_risk: f64,
}

/// While people wait for a place, their use of `service` is its use rate
/// in the cell they wait in × `multiplier`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitingUse {
    pub service: usize,
    pub multiplier: f64,
}

/// The factor an effect's number puts on an annual probability `p` in
/// `annual_matrix` mode: a relative risk multiplies it; a hazard ratio `h`
/// makes it `1 − (1 − p)^h` (`h` itself as `p` → 0). In `rates` mode both
/// multiply the hazard, which is what a hazard ratio means.
pub fn probability_factor(value: f64, hazard: bool, p: f64) -> f64 {
    if hazard && p > 0.0 {
        (1.0 - (1.0 - p).powf(value)) / p
    } else {
        value
    }
}

/// `[outcomes]`: quality weights and how health is counted (README,
/// "Health outcomes").
///
/// Invariants (checked when the file is read): every utility is finite and
/// in [−1, 1] in every year; `discount_rate` is in [0, 1);
/// `life_expectancy_band` indexes a band; `healthy_levels` is not empty;
/// each willingness to pay is finite and ≥ 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcomes {
    /// Quality weight per person-year, per cell (band-major), by year.
    pub utility: Vec<Series<f64>>,
    /// The rate health is discounted at (its own, or the costs').
    pub discount_rate: f64,
    /// The band at whose lower age life expectancy is reported.
    pub life_expectancy_band: usize,
    /// The levels counted as healthy for healthy life expectancy.
    pub healthy_levels: Vec<usize>,
    /// Money a year of full health is worth, for net monetary benefit.
    pub willingness_to_pay: Vec<f64>,
    /// Groups of uncertain inputs whose EVPPI is wanted together: each 1 to
    /// 4 labels of `Model::uncertain` (a `group` stands for its first
    /// input, since its inputs share one quantile a draw).
    pub evppi_groups: Vec<Vec<String>>,
    /// Whether a quality weight may lie outside [−1, 1]
    /// (`allow_utility_outside_range = true`).
    pub utility_outside_range: bool,
    /// Whether to report the closed cohort's own life expectancy (its
    /// undiscounted life-years per person at the start, to the horizon);
    /// only a model without entries or a projection has it.
    pub cohort_life_expectancy: bool,
}

/// How many people an intervention reaches at full scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reach {
    /// Share (0–1) of the target population.
    Share(f64),
    /// Participant places (people at any one time) per year.
    Places(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Relative risk on the transition `from → to` (`to = None` is the exit),
    /// or with `hazard` a hazard ratio (see [`probability_factor`]).
    Transition {
        from: usize,
        to: Option<usize>,
        relative_risk: f64,
        hazard: bool,
    },
    /// Multiplier on a service's use rate.
    Service { service: usize, multiplier: f64 },
    /// Capacity bought for a service that has one: while the intervention
    /// runs, the service's capacity rises by `add` (activity a year, in the
    /// service's own unit) times the intervention's
    /// [`scale_in`](Intervention::scale_in) for the year, neither reach nor
    /// fidelity applying; it costs `cost_per_unit` (money a year, in
    /// price-base-year prices) per unit of capacity added. `add` is finite,
    /// ≥ 0 and at most 10^12, and is the number a draw may vary (its
    /// [`Target::Effect`] slot); `cost_per_unit` likewise but fixed.
    Capacity {
        service: usize,
        add: f64,
        cost_per_unit: f64,
    },
    /// Places bought for a level that has a limit: while the intervention
    /// runs, the level's places rise by `add` × the intervention's scale
    /// for the year, at `cost_per_unit` a place a year; otherwise as
    /// [`Effect::Capacity`].
    Places { level: usize, add: f64, cost_per_unit: f64 },
    /// Multiplier on the quality weight (`[outcomes]` utility) of the
    /// people it reaches in its target cells, as a service multiplier
    /// acts on use: `u × (1 − e·(1 − m))` for the delivered share `e`.
    Utility { multiplier: f64 },
}

impl Effect {
    /// The relative risk, multiplier or capacity added: the number the
    /// effect's [`Target::Effect`] slot holds.
    pub fn value(&self) -> f64 {
        match *self {
            Effect::Transition { relative_risk, .. } => relative_risk,
            Effect::Service { multiplier, .. } | Effect::Utility { multiplier } => multiplier,
            Effect::Capacity { add, .. } | Effect::Places { add, .. } => add,
        }
    }

    /// Its path after `intervention.NAME.` (as in overrides, e.g.
    /// `relative_risk.Targeted.Specialist` or `add_capacity.Home care`) and
    /// a label for people (`relative risk Targeted → Specialist`).
    pub fn names(&self, model: &Model) -> (String, String) {
        match *self {
            Effect::Transition { from, to, .. } => {
                let to_name = to.map_or("exit".to_string(), |t| model.levels[t].clone());
                (
                    format!("relative_risk.{}.{to_name}", model.levels[from]),
                    format!("relative risk {} → {to_name}", model.levels[from]),
                )
            }
            Effect::Service { service, .. } => {
                let s = &model.services[service].name;
                (format!("multiplier.{s}"), format!("use of {s} (multiplier)"))
            }
            Effect::Capacity { service, .. } => {
                let s = &model.services[service].name;
                (format!("add_capacity.{s}"), format!("capacity of {s} added (a year)"))
            }
            Effect::Places { level, .. } => {
                let l = &model.levels[level];
                (format!("add_places.{l}"), format!("places in {l} added"))
            }
            Effect::Utility { .. } => ("utility".into(), "quality of life (multiplier)".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Intervention {
    pub name: String,
    pub description: String,
    pub funder: usize,
    pub tier: Tier,
    pub evidence: String,
    /// Evidence rating on the model's scale (`Model::evidence_scale`).
    pub rating: Option<u8>,
    /// The ages the evidence covers.
    pub evidence_ages: Option<AgeWindow>,
    /// Outcome domains (indices into `Model::domains`).
    pub domains: Vec<usize>,
    /// Share of each effect size removed for optimism bias (effects given as one number).
    pub optimism_bias: f64,
    /// Who delivers it; `None`: fully qualified practitioners.
    pub workforce: Option<Workforce>,
    /// Per effect: the value as written when the rating set its distribution.
    pub stated_effects: Vec<Option<f64>>,
    /// Factor on fidelity from the system's maturity (`[maturity]`
    /// `fidelity_by_level`; 1 when not linked).
    pub maturity_factor: f64,
    /// The bands and levels it serves; both empty for an intervention all
    /// of whose effects add capacity (it reaches nobody, and its reach is
    /// `Reach::Share(0.0)`).
    pub target_bands: Vec<usize>,
    pub target_levels: Vec<usize>,
    pub reach: Reach,
    pub start_year: i32,
    /// Years of linear ramp-up, ≥ 0.
    pub ramp_years: f64,
    /// Last calendar year it runs (inclusive).
    pub end_year: Option<i32>,
    /// 0–1: share of the effect delivered.
    pub fidelity: f64,
    /// Money per participant-year.
    pub cost_per_participant: f64,
    /// Money per year while it runs.
    pub fixed_cost: f64,
    /// Money per person reached when it starts (at the start of its first
    /// year in the model, per person then in its target cells × the share
    /// reached that year), counted in that year.
    pub cost_at_start: f64,
    pub lag_years: u32,
    pub effects: Vec<Effect>,
    /// How its numbers change over the years, where they do.
    pub profiles: Profiles,
}

/// Factors by model year (0 for the first) on an intervention's numbers
/// that change over the years (given by calendar year or by years since it
/// started): each year's value is the number (as drawn or overridden) ×
/// the year's factor. `None` (or an effect beyond `effects`): the same
/// every year.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Profiles {
    /// Per effect, in the intervention's order.
    pub effects: Vec<Option<Vec<f64>>>,
    pub cost_per_participant: Option<Vec<f64>>,
    pub fixed_cost: Option<Vec<f64>>,
}

impl Profiles {
    /// The factor of `profile` in model year `k` (1 without one).
    pub fn at(profile: Option<&Vec<f64>>, k: usize) -> f64 {
        profile.and_then(|f| f.get(k)).copied().unwrap_or(1.0)
    }

    /// `values` (a number's lanes) × `factor` (left as they are at 1).
    pub fn scaled<const W: usize>(values: [f64; W], factor: f64) -> [f64; W] {
        if factor == 1.0 {
            values
        } else {
            values.map(|x| x * factor)
        }
    }

    /// Effect `n`'s factor in model year `k`.
    pub fn effect(&self, n: usize, k: usize) -> f64 {
        Self::at(self.effects.get(n).and_then(Option::as_ref), k)
    }

    /// Whether any effect's factor differs in model year `k` from the
    /// year before.
    pub fn effects_change(&self, k: usize) -> bool {
        k > 0
            && (self.effects.iter().flatten())
                .any(|f| f.get(k).copied().unwrap_or(1.0) != f.get(k - 1).copied().unwrap_or(1.0))
    }
}

/// A funder's budget (`[[budgets]]`), against which its spend is reported.
///
/// Invariants (checked when the file is read): `funder` indexes
/// `Model::funders`; a model has at most one budget per funder; every value
/// is finite, ≥ 0 and at most 10^12.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// The funder (index into `Model::funders`).
    pub funder: usize,
    /// Money a year, in price-base-year prices, by year.
    pub per_year: Series<f64>,
}

/// Delivery by practitioners with and without the qualification a programme needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Workforce {
    /// Share of delivery by qualified practitioners.
    pub qualified: f64,
    /// Fidelity of the rest, relative to qualified delivery.
    pub unqualified_fidelity: f64,
}

impl Workforce {
    /// The factor on fidelity: qualified + (1 − qualified) × unqualified fidelity.
    pub fn factor(&self) -> f64 {
        self.qualified + (1.0 - self.qualified) * self.unqualified_fidelity
    }
}

/// An age range, in years: `from` inclusive, `to` exclusive; either open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgeWindow {
    pub from: Option<f64>,
    pub to: Option<f64>,
}

impl AgeWindow {
    /// How `band` lies beyond the window, in words (`starts at 2, below
    /// the 3 years`), or `None` when the window covers it.
    pub fn beyond(&self, band: &AgeBand) -> Option<String> {
        let below = self.from.filter(|&f| band.lower < f);
        let above = self.to.filter(|&t| band.upper.is_none_or(|u| u > t));
        match (below, above) {
            (Some(f), _) => Some(format!("starts at {}, below the {f} years", band.lower)),
            (None, Some(t)) => Some(match band.upper {
                Some(u) => format!("runs to {u}, above the {t} years"),
                None => format!("is open-ended, above the {t} years"),
            }),
            _ => None,
        }
    }
}

impl Intervention {
    /// Fidelity as delivered: the fidelity figure × the workforce factor.
    pub fn effective_fidelity(&self) -> f64 {
        self.fidelity * self.delivery_factor()
    }

    /// The factor delivery puts on fidelity: workforce × system maturity.
    pub fn delivery_factor(&self) -> f64 {
        self.workforce_factor() * self.maturity_factor
    }

    /// The factor the workforce puts on fidelity (1 when fully qualified).
    pub fn workforce_factor(&self) -> f64 {
        self.workforce.map_or(1.0, |w| w.factor())
    }

    /// Whether every effect adds capacity: it then serves no bands or
    /// levels, and its only costs are its `fixed_cost` and the capacity it buys.
    pub fn only_adds_capacity(&self) -> bool {
        !self.effects.is_empty()
            && self
                .effects
                .iter()
                .all(|e| matches!(e, Effect::Capacity { .. } | Effect::Places { .. }))
    }

    /// Whether `year` is its first running year in a model starting in
    /// `first_year` (its `cost_at_start` is paid then).
    pub fn starts_in(&self, year: i32, first_year: i32) -> bool {
        year == self.start_year.max(first_year) && self.scale_in(year) > 0.0
    }

    pub fn targets(&self, band: usize, level: usize) -> bool {
        self.target_bands.contains(&band) && self.target_levels.contains(&level)
    }

    /// Share of full scale delivered in `year`: zero outside start..=end, and
    /// the year's average of a linear ramp from 0 at the start of
    /// `start_year` to 1 after `ramp_years`.
    pub fn scale_in(&self, year: i32) -> f64 {
        if year < self.start_year || self.end_year.is_some_and(|e| year > e) {
            return 0.0;
        }
        let k = f64::from(year - self.start_year);
        let r = self.ramp_years;
        if r <= 0.0 || k >= r {
            1.0
        } else if k + 1.0 <= r {
            (k + 0.5) / r
        } else {
            // The ramp ends within this year.
            (r * r - k * k) / (2.0 * r) + (k + 1.0 - r)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    /// What charts, the report and the page call it (the name when the file
    /// gives no `title`).
    pub title: String,
    pub description: String,
    /// Indices into `Model::interventions`.
    pub interventions: Vec<usize>,
    /// The model this scenario runs: the file's model with the scenario's
    /// overrides applied.
    pub model: Box<Model>,
    /// The overrides as written, for the record.
    pub overrides: Vec<Override>,
}

/// A scenario's override as written: the number at `path` set to `value`,
/// or (`keeps_spread`) its distribution moved to the mean `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: f64,
    pub keeps_spread: bool,
}

/// An input file and the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SourceFile {
    pub path: PathBuf,
    pub sha256: String,
}

/// One number of a model, by what it is. By-year values are named by the
/// year of the point (`i32::MIN` for a value that holds every year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    DiscountRate,
    Transition {
        band: usize,
        from: usize,
        to: usize,
        point: i32,
    },
    Exit {
        band: usize,
        level: usize,
        point: i32,
    },
    /// The band's total when its population is given as `people` and `mix`.
    BandPeople {
        band: usize,
    },
    /// A level's share of a band's `people` (`mix`), or its count (`counts`).
    BandLevel {
        band: usize,
        level: usize,
    },
    EntriesPeople {
        point: i32,
    },
    EntryShare {
        level: usize,
    },
    UnitCost {
        service: usize,
    },
    UseRate {
        service: usize,
        band: usize,
        level: usize,
        point: i32,
    },
    /// Share reached, or places.
    Reach {
        intervention: usize,
    },
    Fidelity {
        intervention: usize,
    },
    CostPerParticipant {
        intervention: usize,
    },
    FixedCost {
        intervention: usize,
    },
    /// Money per person reached when it starts (`cost_at_start`).
    CostAtStart {
        intervention: usize,
    },
    /// The relative risk or multiplier of the intervention's `effect`-th effect.
    Effect {
        intervention: usize,
        effect: usize,
    },
    /// A service's capacity (activity a year) in the years its point covers.
    Capacity {
        service: usize,
        point: i32,
    },
    /// The places of `Model::places[index]` in the years its point covers.
    Places {
        index: usize,
        point: i32,
    },
    /// A cell's quality weight (`[outcomes]`) in the years its point covers.
    Utility {
        band: usize,
        level: usize,
        point: i32,
    },
}

impl Target {
    /// The same number of the model, whatever its year point.
    pub fn same_quantity(&self, other: &Target) -> bool {
        self.without_point() == other.without_point()
    }

    fn without_point(self) -> Target {
        match self {
            Target::Transition { band, from, to, .. } => Target::Transition {
                band,
                from,
                to,
                point: 0,
            },
            Target::Exit { band, level, .. } => Target::Exit { band, level, point: 0 },
            Target::EntriesPeople { .. } => Target::EntriesPeople { point: 0 },
            Target::UseRate {
                service, band, level, ..
            } => Target::UseRate {
                service,
                band,
                level,
                point: 0,
            },
            Target::Capacity { service, .. } => Target::Capacity { service, point: 0 },
            Target::Places { index, .. } => Target::Places { index, point: 0 },
            Target::Utility { band, level, .. } => Target::Utility { band, level, point: 0 },
            other => other,
        }
    }
}

/// A number given as a distribution. One draw samples it once and writes the
/// value into every target (a row that names several bands is one number).
#[derive(Debug, Clone, PartialEq)]
pub struct UncertainParameter {
    /// Its position in the file's list; a scenario keeps the ids of the
    /// parameters it did not override, so a draw's values line up.
    pub id: usize,
    /// A stable, readable name (override-path style), e.g. `service.GP.unit_cost`.
    pub label: String,
    /// Where it was written, e.g. `scenarios/x.toml:42`.
    pub source: String,
    pub distribution: Distribution,
    /// Parameters in the same group share one random quantile per draw.
    pub group: Option<String>,
    /// Takes the group's quantile reversed (1 − q): an effect stated below 1
    /// whose distribution an evidence rating set, so that a draw in which a
    /// programme works well is good for all of its effects.
    pub reversed: bool,
    pub targets: Vec<Target>,
    /// In a scenario: the number moved to another mean with its spread kept
    /// (a `{ mean = … }` override, or a slider on the workshop page); each
    /// draw's value is moved so.
    pub moved: Option<crate::uncertainty::Moved>,
}

/// A validated model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub name: String,
    pub start_year: i32,
    pub horizon_years: u32,
    pub steps_per_year: u32,
    pub currency: String,
    pub price_base_year: i32,
    pub discount_rate: f64,
    pub discount_timing: DiscountTiming,
    pub occupancy: Occupancy,
    /// The weight of each time point when `occupancy` is `Simpson` or
    /// `Weights` (and only then): `horizon_years × steps_per_year + 1` of them.
    pub point_weights: Option<PointWeights>,
    pub transition_mode: TransitionMode,
    /// `annual_matrix` mode only: each move's probability is among those
    /// who do not exit that year, so the matrix entry is `(1 − exit) × p`
    /// and the stay `(1 − exit) × (1 − Σ p)` (a cohort model's "conditional
    /// on survival"); a relative risk or hazard ratio acts on `p`.
    pub transitions_given_survival: bool,
    pub levels: Vec<String>,
    pub bands: Vec<AgeBand>,
    /// People at the start, per cell (band-major).
    pub population: Vec<f64>,
    /// Annual transition probability per band × from × to (diagonal unused).
    pub transitions: Vec<Series<AnnualProbability>>,
    /// Annual exit probability per cell.
    pub exits: Vec<Series<AnnualProbability>>,
    pub entries: Option<Entries>,
    pub projection: Option<Projection>,
    pub funders: Vec<String>,
    pub services: Vec<Service>,
    pub interventions: Vec<Intervention>,
    /// Funders' budgets (`[[budgets]]`), in the file's order; empty when
    /// none is given. An area's model has the file's budgets.
    pub budgets: Vec<Budget>,
    /// The levels with a limited number of places (`[[places]]`), in the
    /// file's order; empty when none has.
    pub places: Vec<LevelPlaces>,
    /// Outcome domains interventions may declare.
    pub domains: Vec<String>,
    /// The evidence scale ratings refer to.
    pub evidence_scale: std::sync::Arc<crate::evidence::EvidenceScale>,
    /// Localities (`[areas]`): each a whole model of its own people and
    /// local figures; everything not overridden is shared. Empty: one area.
    pub areas: Vec<Area>,
    /// In an area's model: numbers scaled from the file's (by-year points
    /// alike), so that sampled values are scaled too.
    pub area_scales: Vec<(Target, f64)>,
    /// Named scenarios (the baseline, `do-nothing`, is implicit).
    pub scenarios: Vec<Scenario>,
    /// Numbers given as distributions; the fields above hold their means.
    /// In a scenario's model, those its overrides set are removed.
    pub uncertain: Vec<UncertainParameter>,
    /// Monte Carlo defaults from the file.
    pub monte_carlo: MonteCarloDefaults,
    /// Outcomes contracts and pooled budgets (`[[contracts]]`,
    /// `[[pooled_budgets]]`): read by `contracts` from the futures'
    /// accounts, never by the engine. Empty when the file has none.
    pub deals: crate::contracts::terms::Deals,
    /// Quality weights and health counting (`[outcomes]`); `None`: the
    /// model counts no health outcomes and runs exactly as without.
    pub outcomes: Option<Outcomes>,
    /// Levels split into yearly tunnels (`[model] tunnels`); empty: none.
    pub tunnels: Vec<Tunnel>,
    /// The levels as the outputs show them (`[model] tunnel_outputs`): a
    /// level with tunnels as a whole by default. Without tunnels, the
    /// model's levels.
    pub output_levels: Vec<OutputLevel>,
}

/// One locality of a model with `[areas]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    pub code: String,
    pub name: String,
    /// The area it rolls up into (a label; parents are sums of their areas).
    pub parent: Option<String>,
    /// The file's model with this area's people and local figures, and its
    /// scenarios likewise.
    pub model: Model,
}

/// `[monte_carlo]` defaults: draws (0 = deterministic), seed, percentiles.
#[derive(Debug, Clone, PartialEq)]
pub struct MonteCarloDefaults {
    pub draws: u32,
    pub seed: u64,
    /// Percentiles reported, each in (0, 100), ascending.
    pub percentiles: Vec<f64>,
}

impl Default for MonteCarloDefaults {
    fn default() -> Self {
        Self {
            draws: 0,
            seed: 20251,
            percentiles: vec![5.0, 25.0, 50.0, 75.0, 95.0],
        }
    }
}

/// The name of the implicit baseline scenario.
pub const BASELINE: &str = "do-nothing";

impl Model {
    pub fn cells(&self) -> usize {
        self.bands.len() * self.levels.len()
    }

    pub fn cell(&self, band: usize, level: usize) -> usize {
        band * self.levels.len() + level
    }

    pub fn transition_index(&self, band: usize, from: usize, to: usize) -> usize {
        let l = self.levels.len();
        (band * l + from) * l + to
    }

    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        (0..self.horizon_years as i32).map(move |k| self.start_year + k)
    }

    pub fn end_year(&self) -> i32 {
        self.start_year + self.horizon_years as i32 - 1
    }

    pub fn level_index(&self, name: &str) -> Option<usize> {
        self.levels.iter().position(|l| l == name)
    }

    pub fn band_index(&self, name: &str) -> Option<usize> {
        self.bands.iter().position(|b| b.name == name)
    }

    pub fn service_index(&self, name: &str) -> Option<usize> {
        self.services.iter().position(|s| s.name == name)
    }

    /// The order in which to work out the services each step: every
    /// service before the one it diverts to ([`crate::supply::diversion_order`]).
    ///
    /// Worked out when asked rather than kept on the model: it follows
    /// from the services' `divert_to` alone, so it cannot fall out of step
    /// with them when a model is copied and edited (scenarios, areas, the
    /// workshop page), and it costs one pass over the services, once per run.
    pub fn service_order(&self) -> Vec<usize> {
        let divert_to: Vec<Option<usize>> = self.services.iter().map(Service::divert_to).collect();
        crate::supply::diversion_order(&divert_to).expect("a checked model's diversions form no cycle")
    }

    pub fn intervention_index(&self, name: &str) -> Option<usize> {
        self.interventions.iter().position(|i| i.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(r: f64) -> Intervention {
        Intervention {
            name: "x".into(),
            description: String::new(),
            funder: 0,
            tier: Tier::Secondary,
            evidence: String::new(),
            rating: None,
            evidence_ages: None,
            domains: vec![],
            optimism_bias: 0.0,
            workforce: None,
            stated_effects: vec![],
            maturity_factor: 1.0,
            target_bands: vec![0],
            target_levels: vec![0],
            reach: Reach::Share(1.0),
            start_year: 2030,
            ramp_years: r,
            end_year: Some(2040),
            fidelity: 1.0,
            cost_per_participant: 0.0,
            fixed_cost: 0.0,
            cost_at_start: 0.0,
            lag_years: 0,
            effects: vec![],
            profiles: Profiles::default(),
        }
    }

    #[test]
    fn ramp_is_the_yearly_average_of_a_linear_rise() {
        let i = ramp(2.0);
        assert_eq!(i.scale_in(2029), 0.0);
        assert_eq!(i.scale_in(2030), 0.25);
        assert_eq!(i.scale_in(2031), 0.75);
        assert_eq!(i.scale_in(2032), 1.0);
        assert_eq!(i.scale_in(2040), 1.0);
        assert_eq!(i.scale_in(2041), 0.0);
        // Ramp ending mid-year: average of t/1.5 over [1, 1.5] and 1 over [1.5, 2].
        let j = ramp(1.5);
        let expected = (1.5f64 * 1.5 - 1.0) / 3.0 + 0.5;
        assert!((j.scale_in(2031) - expected).abs() < 1e-15);
        assert_eq!(ramp(0.0).scale_in(2030), 1.0);
    }

    #[test]
    fn series_holds_values_between_and_beyond_years() {
        let s = Series::by_year(vec![(2030, 2.0), (2025, 1.0)]);
        assert_eq!(s.at(2020), 1.0);
        assert_eq!(s.at(2025), 1.0);
        assert_eq!(s.at(2029), 1.0);
        assert_eq!(s.at(2030), 2.0);
        assert_eq!(s.at(2050), 2.0);
    }

    fn capacity(divert_to: Option<usize>) -> Capacity {
        Capacity {
            per_year: Series::constant(900.0),
            wait: 0.5,
            divert: if divert_to.is_some() { 0.3 } else { 0.0 },
            lost: if divert_to.is_some() { 0.2 } else { 0.5 },
            divert_to,
            divert_ratio: 0.01,
            renege: AnnualProbability::new(0.19).unwrap(),
            target_wait_weeks: Some(18.0),
            while_unmet: Vec::new(),
        }
    }

    #[test]
    fn a_capacity_gives_its_step_rule() {
        let rule = capacity(Some(2)).when_full(0.5);
        assert_eq!((rule.wait, rule.divert, rule.lost), (0.5, 0.3, 0.2));
        assert_eq!((rule.divert_to, rule.divert_ratio), (Some(2), 0.01));
        // 1 − (1 − 0.19)^½ = 0.1
        assert!((rule.renege_per_step - 0.1).abs() < 1e-15);
    }

    #[test]
    fn services_are_ordered_before_those_they_divert_to() {
        let service = |capacity: Option<Capacity>| Service {
            name: String::new(),
            tier: Tier::Acute,
            funder: 0,
            unit_cost: 1.0,
            use_rate: vec![],
            on_entry: vec![],
            at_start: vec![],
            capacity,
        };
        // 0 → 2 → 1, 3 with a capacity that diverts nowhere.
        let text = include_str!("../tests/fixtures/small.toml");
        let mut model = crate::scenario::parse(std::path::Path::new("small.toml"), text, String::new())
            .unwrap()
            .model;
        model.services = vec![
            service(Some(capacity(Some(2)))),
            service(None),
            service(Some(capacity(Some(1)))),
            service(Some(capacity(None))),
        ];
        let order = model.service_order();
        assert_eq!(order.len(), 4);
        let at = |s: usize| order.iter().position(|&x| x == s).unwrap();
        assert!(at(0) < at(2) && at(2) < at(1));
    }

    #[test]
    fn discount_conventions() {
        let r = 0.035;
        assert!((DiscountTiming::End.factor(r, 1) - 1.0 / 1.035).abs() < 1e-15);
        assert_eq!(DiscountTiming::Start.factor(r, 1), 1.0);
        assert!((DiscountTiming::Mid.factor(r, 2) - 1.035f64.powf(-1.5)).abs() < 1e-15);
    }
}
