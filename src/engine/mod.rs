//! The engine: one trajectory of one model under one set of interventions.
//! No I/O, no randomness, no threads: the Monte Carlo layer calls it once per
//! (draw, scenario).
//!
//! Each year, the engine works out how much of each intervention is
//! delivered, folds the effects into each band's annual transition figures,
//! turns those into a per-step matrix (only when they changed since the year
//! before), and then steps: need transitions and exits, ageing, entries, and
//! calibration to a population projection.

use crate::model::Model;

mod compile;
mod entry;
mod expm;
mod guard;
mod kernel;
mod occupancy;
mod outcomes;
mod places;
mod step;
mod supply;
mod tunnels;

pub use compile::MatrixCache;
pub use kernel::{simulate, simulate_lanes};
pub use outcomes::{Outcome, width as outcome_figures};
pub use places::PlaceFigure;
pub use supply::Figure;

/// How a batch of lanes is tied to a population projection (see [`Calibration`]).
#[derive(Debug, Clone, Copy)]
pub enum LaneCalibration<'a, const W: usize> {
    None,
    ToProjection,
    /// Net migration per step × band, per lane.
    Replay(&'a [[f64; W]]),
}

/// The stocks and flows of `W` trajectories, lane-last. Indexed
/// `[year * cells + cell]` (flows `[(year * bands + band) * levels² + from * levels + to]`,
/// activity `[year * services + service]`, participants and cost
/// `[year * interventions + intervention]`). Reused between runs.
#[derive(Debug, Clone, Default)]
pub struct LaneTrajectory<const W: usize> {
    pub people_start: Vec<[f64; W]>,
    pub people_end: Vec<[f64; W]>,
    pub person_years: Vec<[f64; W]>,
    pub entries: Vec<[f64; W]>,
    pub exits: Vec<[f64; W]>,
    pub aged_out: Vec<[f64; W]>,
    pub ageing_in: Vec<[f64; W]>,
    pub ageing_out: Vec<[f64; W]>,
    pub moved_in: Vec<[f64; W]>,
    pub moved_out: Vec<[f64; W]>,
    pub migration: Vec<[f64; W]>,
    pub flows: Vec<[f64; W]>,
    /// Flows summed over bands, `[(year * levels + from) * levels + to]`.
    pub level_flows: Vec<[f64; W]>,
    pub activity: Vec<[f64; W]>,
    pub participants: Vec<[f64; W]>,
    pub intervention_cost: Vec<[f64; W]>,
    /// Net migration per step × band (empty without calibration).
    pub migration_by_step: Vec<[f64; W]>,
    /// The supply side's figures, `[(year * services + service) *
    /// Figure::COUNT + figure]` (empty when no service has a capacity).
    pub supply: Vec<[f64; W]>,
    /// Health figures, `[year * outcome_figures + figure]` (see
    /// [`Outcome`]; empty without `[outcomes]`).
    pub outcomes: Vec<[f64; W]>,
    /// With `discount_timing = "per_time_point"`, each year's figures
    /// discounted within it, point by point, from the year's start
    /// (`[year * discounted_figures + figure]`; see [`discounted_figures`];
    /// empty otherwise).
    pub discounted: Vec<[f64; W]>,
    /// Year totals the accounts read, for every lane at once (see
    /// [`LaneTrajectory::add_year_totals`]): people at the year end by level
    /// `[year * levels + level]` and by band `[year * bands + band]`, and
    /// entries, exits, ageing out of the last band and migration `[year]`.
    pub level_end: Vec<[f64; W]>,
    pub band_end: Vec<[f64; W]>,
    pub entries_total: Vec<[f64; W]>,
    pub exits_total: Vec<[f64; W]>,
    pub aged_out_total: Vec<[f64; W]>,
    pub migration_total: Vec<[f64; W]>,
    /// Leave out what only `detail.csv` reads (`ageing_in`, `moved_in`,
    /// `moved_out` and the per-band `flows` stay empty, and the per-cell
    /// stocks and flows hold only the year being simulated, at index 0):
    /// Monte Carlo draws need only the year totals.
    pub totals_only: bool,
    /// The kernel's working memory, reused from run to run.
    pub work: kernel::Work<W>,
}

impl<const W: usize> LaneTrajectory<W> {
    /// Sizes every array for `model` and zeroes it.
    pub fn reset(&mut self, model: &Model) {
        let years = model.horizon_years as usize;
        let cells = model.cells();
        let nl = model.levels.len();
        let zero = [0.0; W];
        let detail = if self.totals_only { 0 } else { 1 };
        // Per-cell stocks and flows: every year's, or only the current one's.
        let kept = if self.totals_only { 1 } else { years };
        for (v, n) in [
            (&mut self.people_start, kept * cells),
            (&mut self.people_end, kept * cells),
            (&mut self.person_years, kept * cells),
            (&mut self.entries, kept * cells),
            (&mut self.exits, kept * cells),
            (&mut self.aged_out, kept * cells),
            (&mut self.ageing_in, detail * years * cells),
            (&mut self.ageing_out, kept * cells),
            (&mut self.moved_in, detail * years * cells),
            (&mut self.moved_out, detail * years * cells),
            (&mut self.migration, kept * cells),
            (&mut self.flows, detail * years * model.bands.len() * nl * nl),
            (&mut self.level_flows, years * nl * nl),
            (&mut self.activity, years * model.services.len()),
            (&mut self.participants, years * model.interventions.len()),
            (&mut self.intervention_cost, years * model.interventions.len()),
            (&mut self.supply, years * supply_figures(model)),
            (&mut self.outcomes, years * outcome_figures(model)),
            (&mut self.discounted, years * discounted_figures(model)),
        ] {
            v.clear();
            v.resize(n, zero);
        }
        self.migration_by_step.clear();
    }

    /// Empties the year totals (`level_end`, `band_end`, `entries_total`, …)
    /// before a run adds them year by year with [`LaneTrajectory::add_year_totals`].
    pub fn clear_totals(&mut self) {
        self.level_end.clear();
        self.band_end.clear();
        self.entries_total.clear();
        self.exits_total.clear();
        self.aged_out_total.clear();
        self.migration_total.clear();
    }

    /// Appends the totals of the year whose per-cell stocks and flows start
    /// at cell index `at`: the same additions, in the same order, as summing
    /// one lane at a time, done for all lanes together.
    pub fn add_year_totals(&mut self, model: &Model, at: usize) {
        let (nb, nl) = (model.bands.len(), model.levels.len());
        let span = at..at + nb * nl;
        // An empty float sum is -0.0, as `Iterator::sum` gives.
        let sum = |v: &[[f64; W]]| {
            let mut total = [-0.0; W];
            for x in v {
                for lane in 0..W {
                    total[lane] += x[lane];
                }
            }
            total
        };
        let end = &self.people_end[span.clone()];
        let first = self.level_end.len();
        self.level_end.resize(first + nl, [0.0; W]);
        for band in end.chunks_exact(nl) {
            for (total, people) in self.level_end[first..].iter_mut().zip(band) {
                for lane in 0..W {
                    total[lane] += people[lane];
                }
            }
        }
        self.band_end.extend(end.chunks_exact(nl).map(sum));
        // Four sums in one pass: each its own chain of additions, in cell
        // order, so that one does not wait on another.
        let mut totals = [[-0.0; W]; 4];
        for c in span {
            let cells = [self.entries[c], self.exits[c], self.aged_out[c], self.migration[c]];
            for (total, x) in totals.iter_mut().zip(cells) {
                for lane in 0..W {
                    total[lane] += x[lane];
                }
            }
        }
        let [entries, exits, aged_out, migration] = totals;
        self.entries_total.push(entries);
        self.exits_total.push(exits);
        self.aged_out_total.push(aged_out);
        self.migration_total.push(migration);
    }

    /// A single trajectory as one lane (every lane a copy).
    pub fn from_trajectory(model: &Model, trajectory: &Trajectory) -> Self {
        let mut out = Self::default();
        out.reset(model);
        let cells = model.cells();
        let nl = model.levels.len();
        let flows = model.bands.len() * nl * nl;
        let (ns, ni) = (model.services.len(), model.interventions.len());
        for (k, y) in trajectory.years.iter().enumerate() {
            let put = |v: &mut Vec<[f64; W]>, from: usize, values: &[f64]| {
                for (slot, &x) in v[from..from + values.len()].iter_mut().zip(values) {
                    *slot = [x; W];
                }
            };
            put(&mut out.people_start, k * cells, &y.people_start);
            put(&mut out.people_end, k * cells, &y.people_end);
            put(&mut out.person_years, k * cells, &y.person_years);
            put(&mut out.entries, k * cells, &y.entries);
            put(&mut out.exits, k * cells, &y.exits);
            put(&mut out.aged_out, k * cells, &y.aged_out);
            put(&mut out.ageing_in, k * cells, &y.ageing_in);
            put(&mut out.ageing_out, k * cells, &y.ageing_out);
            put(&mut out.moved_in, k * cells, &y.moved_in);
            put(&mut out.moved_out, k * cells, &y.moved_out);
            put(&mut out.migration, k * cells, &y.migration);
            put(&mut out.flows, k * flows, &y.flows);
            for (i, f) in y.flows.iter().enumerate() {
                for v in out.level_flows[k * nl * nl + i % (nl * nl)].iter_mut() {
                    *v += f;
                }
            }
            put(&mut out.activity, k * ns, &y.activity);
            put(&mut out.participants, k * ni, &y.participants);
            put(&mut out.intervention_cost, k * ni, &y.intervention_cost);
            let nf = supply_figures(model);
            put(&mut out.supply, k * nf, &y.supply);
            put(&mut out.outcomes, k * outcome_figures(model), &y.outcomes);
            put(&mut out.discounted, k * discounted_figures(model), &y.discounted);
        }
        out.migration_by_step = trajectory.migration_by_step.iter().map(|&x| [x; W]).collect();
        out.clear_totals();
        for k in 0..trajectory.years.len() {
            out.add_year_totals(model, k * cells);
        }
        out
    }

    /// One lane as a [`Trajectory`] (of a trajectory that keeps every year).
    pub fn lane(&self, model: &Model, lane: usize) -> Trajectory {
        assert!(!self.totals_only, "a totals-only trajectory keeps one year of cells");
        let cells = model.cells();
        let nl = model.levels.len();
        let flows = model.bands.len() * nl * nl;
        let (ns, ni) = (model.services.len(), model.interventions.len());
        let nf = supply_figures(model);
        let no = outcome_figures(model);
        let nd = discounted_figures(model);
        let pick =
            |v: &[[f64; W]], from: usize, n: usize| -> Vec<f64> { v[from..from + n].iter().map(|x| x[lane]).collect() };
        let years = model
            .years()
            .enumerate()
            .map(|(k, year)| YearResult {
                year,
                people_start: pick(&self.people_start, k * cells, cells),
                people_end: pick(&self.people_end, k * cells, cells),
                person_years: pick(&self.person_years, k * cells, cells),
                entries: pick(&self.entries, k * cells, cells),
                exits: pick(&self.exits, k * cells, cells),
                aged_out: pick(&self.aged_out, k * cells, cells),
                ageing_in: pick(&self.ageing_in, k * cells, cells),
                ageing_out: pick(&self.ageing_out, k * cells, cells),
                moved_in: pick(&self.moved_in, k * cells, cells),
                moved_out: pick(&self.moved_out, k * cells, cells),
                migration: pick(&self.migration, k * cells, cells),
                flows: pick(&self.flows, k * flows, flows),
                activity: pick(&self.activity, k * ns, ns),
                participants: pick(&self.participants, k * ni, ni),
                intervention_cost: pick(&self.intervention_cost, k * ni, ni),
                supply: pick(&self.supply, k * nf, nf),
                outcomes: pick(&self.outcomes, k * no, no),
                discounted: pick(&self.discounted, k * nd, nd),
            })
            .collect();
        Trajectory {
            years,
            migration_by_step: self.migration_by_step.iter().map(|x| x[lane]).collect(),
        }
    }
}

/// The figures a year discounted within it point by point
/// (`discount_timing = "per_time_point"`; else none): each service's
/// activity and each intervention's cost at the cost rate, then the health
/// figures ([`Outcome`]) at health's. A year's discounted figure is the one
/// here × the discount factor of the year's start.
pub fn discounted_figures(model: &Model) -> usize {
    if model.discount_timing == crate::model::DiscountTiming::PerPoint {
        model.services.len() + model.interventions.len() + outcome_figures(model)
    } else {
        0
    }
}

/// The supply side's figures a year: one per service and [`Figure`] when
/// some service has a capacity (else none), then one per limited level and
/// [`PlaceFigure`].
pub fn supply_figures(model: &Model) -> usize {
    service_figures(model) + model.places.len() * PlaceFigure::COUNT
}

/// The services' figures a year (the first of [`supply_figures`]).
pub fn service_figures(model: &Model) -> usize {
    if model.services.iter().any(|s| s.capacity.is_some()) {
        model.services.len() * Figure::COUNT
    } else {
        0
    }
}

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
    /// The supply side's figures per service × [`Figure`] (empty when no
    /// service has a capacity).
    pub supply: Vec<f64>,
    /// Health figures per [`Outcome`] (empty without `[outcomes]`).
    pub outcomes: Vec<f64>,
    /// The year's figures discounted within it ([`discounted_figures`];
    /// empty unless each time point is discounted at its own time).
    pub discounted: Vec<f64>,
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
        "band `{band}` in {year}: the annual probabilities of leaving `{level}` (transitions plus exit, as sampled and with any intervention effects) sum to {sum:.6}, above 1; narrow the distributions or use transition_mode = \"rates\""
    )]
    RowOverflow {
        band: String,
        level: String,
        year: i32,
        sum: f64,
    },
}
