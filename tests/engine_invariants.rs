//! Property tests of the engine's invariants over random valid models:
//! people are conserved, nothing goes negative, a scenario without
//! interventions is the baseline, a zero-effect intervention changes only
//! intervention spend, and runs are deterministic.

use nalgebra::DMatrix;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use upstream::engine::{Calibration, EngineError, Trajectory, YearResult, simulate};
use upstream::model::{
    AgeBand, DiscountTiming, Effect, Entries, Intervention, Model, Occupancy, Projection, Reach, Scenario, Series,
    Service, Tier, TransitionMode,
};
use upstream::results::{Accounts, Comparison};
use upstream::run::run_futures;
use upstream::units::AnnualProbability;

const START: i32 = 2025;

// ------------------------------------------------------------ random models

#[derive(Debug, Clone)]
struct Shape {
    bands: usize,
    levels: usize,
    steps: u32,
    annual_matrix: bool,
    last_closed: bool,
    horizon: u32,
    funders: usize,
    services: usize,
    interventions: usize,
    entries: bool,
    projection: bool,
    /// Whether transitions, exits, entries and use change in year `START + switch`.
    varying: bool,
    switch: u32,
    occupancy: Occupancy,
}

fn shape(min_interventions: usize) -> impl Strategy<Value = Shape> {
    (
        (1..=4usize, 1..=5usize, prop::sample::select(vec![1u32, 4, 12, 52])),
        (any::<bool>(), any::<bool>(), 1..=8u32),
        (1..=3usize, 0..=3usize, min_interventions..=3usize),
        (any::<bool>(), prop::bool::weighted(0.3), any::<bool>(), 1..=6u32),
        prop::sample::select(vec![
            Occupancy::Start,
            Occupancy::End,
            Occupancy::HalfCycle,
            Occupancy::Simpson,
        ]),
    )
        .prop_map(
            |(
                (bands, levels, steps),
                (annual_matrix, last_closed, horizon),
                (funders, services, interventions),
                (entries, projection, varying, switch),
                occupancy,
            )| Shape {
                bands,
                levels,
                steps,
                annual_matrix,
                last_closed,
                horizon,
                funders,
                services,
                interventions,
                entries,
                projection,
                varying,
                switch,
                occupancy,
            },
        )
}

#[derive(Debug, Clone)]
struct RawService {
    tier: usize,
    funder: usize,
    unit_cost: f64,
    /// Two values per cell (before and after the switch).
    use_rate: Vec<f64>,
}

#[derive(Debug, Clone)]
struct RawIntervention {
    funder: usize,
    tier: usize,
    band_mask: u8,
    level_mask: u8,
    places: Option<f64>,
    reach: f64,
    start_offset: i32,
    ramp_years: f64,
    end_offset: Option<i32>,
    fidelity: f64,
    cost_per_participant: f64,
    fixed_cost: f64,
    lag_years: u32,
    /// (is a transition effect, selector, selector, value in [0, 1])
    effects: Vec<(bool, usize, usize, f64)>,
}

#[derive(Debug, Clone)]
struct Raw {
    shape: Shape,
    lower: f64,
    widths: Vec<f64>,
    population: Vec<f64>,
    /// Per period (2) × band × from: the share (or intensity) leaving the level in a year.
    row_total: Vec<f64>,
    /// Per period × band × from × (to or exit): how that total is split.
    row_weights: Vec<f64>,
    entries_people: (f64, f64),
    entries_mix: Vec<f64>,
    /// Three projection years × band: (factor on the starting total, people added).
    projection: Vec<(f64, f64)>,
    services: Vec<RawService>,
    interventions: Vec<RawIntervention>,
}

fn maybe_zero(max: f64) -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 4 => 0.0..max]
}

fn raw_service(cells: usize) -> impl Strategy<Value = RawService> {
    (
        0..4usize,
        0..3usize,
        0.0..1000.0f64,
        prop::collection::vec(maybe_zero(5.0), 2 * cells),
    )
        .prop_map(|(tier, funder, unit_cost, use_rate)| RawService {
            tier,
            funder,
            unit_cost,
            use_rate,
        })
}

fn raw_intervention() -> impl Strategy<Value = RawIntervention> {
    (
        (0..3usize, 0..4usize, any::<u8>(), any::<u8>()),
        (prop::option::weighted(0.3, 0.0..20_000.0f64), 0.0..=1.0f64, 0..6i32),
        (
            prop_oneof![Just(0.0), 0.0..3.0f64],
            prop::option::of(0..6i32),
            0.0..=1.0f64,
        ),
        (0.0..500.0f64, maybe_zero(1e5), 0..3u32),
        prop::collection::vec((any::<bool>(), any::<usize>(), any::<usize>(), 0.0..=1.0f64), 1..=3),
    )
        .prop_map(
            |(
                (funder, tier, band_mask, level_mask),
                (places, reach, start_offset),
                (ramp_years, end_offset, fidelity),
                (cost_per_participant, fixed_cost, lag_years),
                effects,
            )| RawIntervention {
                funder,
                tier,
                band_mask,
                level_mask,
                places,
                reach,
                start_offset,
                ramp_years,
                end_offset,
                fidelity,
                cost_per_participant,
                fixed_cost,
                lag_years,
                effects,
            },
        )
}

fn raw(min_interventions: usize) -> impl Strategy<Value = Raw> {
    shape(min_interventions).prop_flat_map(|s| {
        let (nb, nl) = (s.bands, s.levels);
        let cells = nb * nl;
        (
            Just(s.clone()),
            (
                -1.0..80.0f64,
                prop::collection::vec(1.0..20.0f64, nb),
                prop::collection::vec(maybe_zero(1e5), cells),
            ),
            (
                prop::collection::vec(prop_oneof![1 => Just(0.0), 1 => Just(1.0), 6 => 0.0..1.0f64], 2 * cells),
                prop::collection::vec(prop_oneof![2 => Just(0.0), 3 => 0.0..1.0f64], 2 * cells * (nl + 1)),
            ),
            (
                (0.0..5000.0f64, 0.0..5000.0f64),
                prop::collection::vec(0.0..1.0f64, nl),
                prop::collection::vec((0.5..1.5f64, 0.0..500.0f64), 3 * nb),
            ),
            prop::collection::vec(raw_service(cells), s.services),
            prop::collection::vec(raw_intervention(), s.interventions),
        )
            .prop_map(
                |(
                    shape,
                    (lower, widths, population),
                    (row_total, row_weights),
                    (entries_people, entries_mix, projection),
                    services,
                    interventions,
                )| Raw {
                    shape,
                    lower,
                    widths,
                    population,
                    row_total,
                    row_weights,
                    entries_people,
                    entries_mix,
                    projection,
                    services,
                    interventions,
                },
            )
    })
}

/// A value that changes in year `START + switch` when the model varies by year.
fn series(shape: &Shape, before: f64, after: f64) -> Series<f64> {
    if shape.varying {
        Series::by_year(vec![(START, before), (START + shape.switch as i32, after)])
    } else {
        Series::constant(before)
    }
}

fn probability(p: f64) -> AnnualProbability {
    AnnualProbability::new(p).unwrap_or_else(|| panic!("generated probability {p} is out of range"))
}

/// One band's annual figures (rows: from; columns: to, then exit) for one period.
fn band_rows(raw: &Raw, period: usize, band: usize) -> Vec<Vec<f64>> {
    let s = &raw.shape;
    let nl = s.levels;
    let w = nl + 1;
    let mut rows = vec![vec![0.0; w]; nl];
    for (from, row) in rows.iter_mut().enumerate() {
        let r = (period * s.bands + band) * nl + from;
        let total = raw.row_total[r];
        let weights: Vec<f64> = (0..w)
            .map(|to| if to == from { 0.0 } else { raw.row_weights[r * w + to] })
            .collect();
        let sum: f64 = weights.iter().sum();
        if sum > 0.0 {
            for to in 0..w {
                row[to] = total * weights[to] / sum;
            }
        }
    }
    if !s.annual_matrix {
        // Rates mode refuses a probability of 1: keep every row below it.
        for row in &mut rows {
            for x in row.iter_mut() {
                *x *= 0.95;
            }
        }
    } else if s.steps > 1 {
        // The annual matrix of a continuous process, `expm(Q)`, so that a
        // valid per-step root exists: `rows` are the intensities of `Q`.
        let mut q = DMatrix::<f64>::zeros(w, w);
        for from in 0..nl {
            for to in 0..w {
                if to != from {
                    q[(from, to)] = 1.2 * rows[from][to];
                    q[(from, from)] -= 1.2 * rows[from][to];
                }
            }
        }
        let p = upstream::linalg::expm(&q);
        for (from, row) in rows.iter_mut().enumerate() {
            for to in 0..w {
                row[to] = if to == from { 0.0 } else { p[(from, to)].clamp(0.0, 1.0) };
            }
        }
    }
    rows
}

fn build(raw: &Raw) -> Model {
    let s = &raw.shape;
    let (nb, nl) = (s.bands, s.levels);
    let cells = nb * nl;
    let mut bands = Vec::new();
    let mut lower = raw.lower;
    for (b, width) in raw.widths.iter().enumerate() {
        let last = b + 1 == nb;
        let upper = (!last || s.last_closed).then_some(lower + width);
        bands.push(AgeBand {
            name: format!("band{b}"),
            lower,
            upper,
        });
        lower += width;
    }
    let zero = Series::constant(AnnualProbability::default());
    let mut transitions = vec![zero.clone(); nb * nl * nl];
    let mut exits = vec![zero; cells];
    for b in 0..nb {
        let before = band_rows(raw, 0, b);
        let after = band_rows(raw, 1, b);
        for from in 0..nl {
            for to in 0..=nl {
                let p = series(s, before[from][to], after[from][to]).map(probability);
                if to == nl {
                    exits[b * nl + from] = p;
                } else if to != from {
                    transitions[(b * nl + from) * nl + to] = p;
                }
            }
        }
    }
    let entries = s.entries.then(|| {
        let sum: f64 = raw.entries_mix.iter().sum();
        let mix = if sum > 0.0 {
            raw.entries_mix.iter().map(|m| m / sum).collect()
        } else {
            let mut m = vec![0.0; nl];
            m[0] = 1.0;
            m
        };
        Entries {
            people: series(s, raw.entries_people.0, raw.entries_people.1),
            mix,
        }
    });
    let projection = s.projection.then(|| Projection {
        points: [0, 2, 5]
            .iter()
            .enumerate()
            .map(|(i, &offset)| {
                let totals = (0..nb)
                    .map(|b| {
                        let start: f64 = raw.population[b * nl..(b + 1) * nl].iter().sum();
                        let (factor, add) = raw.projection[i * nb + b];
                        start * factor + add
                    })
                    .collect();
                (START + offset, totals)
            })
            .collect(),
    });
    let services: Vec<Service> = raw
        .services
        .iter()
        .enumerate()
        .map(|(i, rs)| Service {
            name: format!("service{i}"),
            tier: Tier::ALL[rs.tier],
            funder: rs.funder % s.funders,
            unit_cost: rs.unit_cost,
            use_rate: (0..cells)
                .map(|c| series(s, rs.use_rate[2 * c], rs.use_rate[2 * c + 1]))
                .collect(),
            on_entry: Vec::new(),
            at_start: Vec::new(),
            capacity: None,
        })
        .collect();
    let interventions = raw
        .interventions
        .iter()
        .enumerate()
        .map(|(i, ri)| {
            let from_mask = |mask: u8, n: usize| -> Vec<usize> {
                let chosen: Vec<usize> = (0..n).filter(|&k| mask & (1 << k) != 0).collect();
                if chosen.is_empty() { (0..n).collect() } else { chosen }
            };
            let target_levels = from_mask(ri.level_mask, nl);
            let mut effects: Vec<Effect> = Vec::new();
            for &(transition, a, b, v) in &ri.effects {
                let effect = if transition || services.is_empty() {
                    let from = target_levels[a % target_levels.len()];
                    // Any other level, or the exit (index nl).
                    let choices: Vec<usize> = (0..=nl).filter(|&j| j != from).collect();
                    let to = choices[b % choices.len()];
                    // A relative risk above 1 could push an annual matrix row over 1.
                    let relative_risk = if s.annual_matrix { v } else { 3.0 * v };
                    Effect::Transition {
                        from,
                        to: (to < nl).then_some(to),
                        relative_risk,
                        hazard: false,
                    }
                } else {
                    Effect::Service {
                        service: a % services.len(),
                        multiplier: 2.0 * v,
                    }
                };
                let duplicate = effects.iter().any(|e| match (e, &effect) {
                    (Effect::Transition { from: f, to: t, .. }, Effect::Transition { from, to, .. }) => {
                        f == from && t == to
                    }
                    (Effect::Service { service: x, .. }, Effect::Service { service, .. }) => x == service,
                    _ => false,
                });
                if !duplicate {
                    effects.push(effect);
                }
            }
            let start_year = START + ri.start_offset;
            Intervention {
                name: format!("intervention{i}"),
                description: String::new(),
                funder: ri.funder % s.funders,
                tier: Tier::ALL[ri.tier],
                evidence: String::new(),
                rating: None,
                evidence_ages: None,
                domains: vec![],
                optimism_bias: 0.0,
                workforce: None,
                stated_effects: vec![],
                maturity_factor: 1.0,
                target_bands: from_mask(ri.band_mask, nb),
                target_levels,
                reach: match ri.places {
                    Some(p) => Reach::Places(p),
                    None => Reach::Share(ri.reach),
                },
                start_year,
                ramp_years: ri.ramp_years,
                end_year: ri.end_offset.map(|e| start_year + e),
                fidelity: ri.fidelity,
                cost_per_participant: ri.cost_per_participant,
                fixed_cost: ri.fixed_cost,
                cost_at_start: 0.0,
                lag_years: ri.lag_years,
                effects,
                profiles: Default::default(),
            }
        })
        .collect();
    Model {
        name: "random".into(),
        start_year: START,
        horizon_years: s.horizon,
        steps_per_year: s.steps,
        currency: "GBP".into(),
        price_base_year: START,
        discount_rate: 0.035,
        discount_timing: DiscountTiming::End,
        occupancy: s.occupancy,
        point_weights: (s.occupancy == Occupancy::Simpson)
            .then(|| upstream::model::PointWeights::simpson((s.horizon * s.steps) as usize)),
        transitions_given_survival: false,
        transition_mode: if s.annual_matrix {
            TransitionMode::AnnualMatrix
        } else {
            TransitionMode::Rates
        },
        levels: (0..nl).map(|l| format!("level{l}")).collect(),
        bands,
        population: raw.population.clone(),
        transitions,
        exits,
        entries,
        projection,
        funders: (0..s.funders).map(|f| format!("funder{f}")).collect(),
        services,
        interventions,
        budgets: Vec::new(),
        places: Vec::new(),
        domains: Vec::new(),
        evidence_scale: Default::default(),
        areas: Vec::new(),
        area_scales: Vec::new(),
        scenarios: Vec::new(),
        uncertain: Vec::new(),
        monte_carlo: Default::default(),
        deals: Default::default(),
        // Quality weights in [0, 1] that differ by cell, so that every
        // model also counts health (the invariants below check it).
        outcomes: Some(upstream::model::Outcomes {
            utility: (0..nb * nl)
                .map(|c| Series::constant((c * 37 % 11) as f64 / 10.0))
                .collect(),
            discount_rate: 0.015,
            life_expectancy_band: 0,
            healthy_levels: vec![0],
            willingness_to_pay: vec![20_000.0],
            evppi_groups: Vec::new(),
            utility_outside_range: false,
            cohort_life_expectancy: false,
        }),
        tunnels: Vec::new(),
        output_levels: upstream::model::OutputLevel::of(
            &(0..nl).map(|l| format!("level{l}")).collect::<Vec<_>>(),
            &[],
            upstream::model::TunnelOutputs::Summed,
        ),
    }
}

fn with_scenario(model: &Model, name: &str, scenario_model: Model, plan: Vec<usize>) -> Model {
    let mut m = model.clone();
    m.scenarios = vec![Scenario {
        name: name.into(),
        title: name.into(),
        description: String::new(),
        interventions: plan,
        model: Box::new(scenario_model),
        overrides: Vec::new(),
    }];
    m
}

/// The model with every effect neutral: relative risks and multipliers of
/// 1, no capacity or places added.
fn neutralised(model: &Model) -> Model {
    let mut m = model.clone();
    for iv in &mut m.interventions {
        for e in &mut iv.effects {
            match e {
                Effect::Transition { relative_risk, .. } => *relative_risk = 1.0,
                Effect::Service { multiplier, .. } => *multiplier = 1.0,
                Effect::Capacity { add, .. } | Effect::Places { add, .. } => *add = 0.0,
                Effect::Utility { multiplier } => *multiplier = 1.0,
            }
        }
    }
    m
}

// --------------------------------------------------------------- checks

fn close(actual: f64, expected: f64, scale: f64) -> bool {
    (actual - expected).abs() <= 1e-9 * scale
}

/// Sums of money that should differ only by rounding in the last bits.
fn money(actual: f64, expected: f64, scale: f64) -> bool {
    (actual - expected).abs() <= 1e-12 * scale
}

/// Stocks and flows of every year: conserved per cell and in all, never
/// negative, consistent with each other.
fn check_trajectory(model: &Model, plan: &[usize], t: &Trajectory, calibrated: bool) -> Result<(), TestCaseError> {
    let nl = model.levels.len();
    let nb = model.bands.len();
    let cells = nb * nl;
    let last_closed = model.bands[nb - 1].upper.is_some();
    prop_assert_eq!(t.years.len(), model.horizon_years as usize);
    prop_assert_eq!(
        &t.years[0].people_start,
        &model.population,
        "the first year starts from the population"
    );
    let mut migration_steps = t.migration_by_step.iter();
    for (k, y) in t.years.iter().enumerate() {
        prop_assert_eq!(y.year, START + k as i32);
        // Health: life-years are the person-years; QALYs between 0 and them
        // (weights in [0, 1]); the levels' and the bands' years add up to them.
        let life: f64 = y.person_years.iter().sum();
        let at = |o: upstream::engine::Outcome| y.outcomes[o.at(model)];
        prop_assert!(close(at(upstream::engine::Outcome::LifeYears), life, 1.0 + life));
        let qalys = at(upstream::engine::Outcome::Qalys);
        prop_assert!(
            qalys >= 0.0 && qalys <= life * (1.0 + 1e-12) + 1e-9,
            "QALYs {} of {} life-years",
            qalys,
            life
        );
        let levels: f64 = (0..nl)
            .map(|l| y.outcomes[upstream::engine::Outcome::LevelYears.at(model) + l])
            .sum();
        let bands: f64 = (0..nb)
            .map(|b| y.outcomes[upstream::engine::Outcome::BandYears.at(model) + b])
            .sum();
        prop_assert!(close(levels, life, 1.0 + life) && close(bands, life, 1.0 + life));
        if k > 0 {
            prop_assert_eq!(
                &y.people_start,
                &t.years[k - 1].people_end,
                "year {} starts where the last ended",
                y.year
            );
        }
        for (what, v) in [
            ("people_start", &y.people_start),
            ("people_end", &y.people_end),
            ("person_years", &y.person_years),
            ("entries", &y.entries),
            ("exits", &y.exits),
            ("aged_out", &y.aged_out),
            ("ageing_in", &y.ageing_in),
            ("ageing_out", &y.ageing_out),
            ("moved_in", &y.moved_in),
            ("moved_out", &y.moved_out),
            ("flows", &y.flows),
            ("activity", &y.activity),
            ("participants", &y.participants),
            ("intervention_cost", &y.intervention_cost),
        ] {
            for (i, x) in v.iter().enumerate() {
                prop_assert!(x.is_finite() && *x >= 0.0, "{}: {}[{}] = {}", y.year, what, i, x);
            }
        }
        if !calibrated {
            prop_assert!(
                y.migration.iter().all(|&m| m == 0.0),
                "{}: migration without a projection",
                y.year
            );
        }
        // Per cell: the change is the sum of the flows in and out.
        for c in 0..cells {
            let terms = [
                y.entries[c],
                y.ageing_in[c],
                -y.ageing_out[c],
                y.moved_in[c],
                -y.moved_out[c],
                -y.exits[c],
                y.migration[c],
            ];
            let change = y.people_end[c] - y.people_start[c];
            let sum: f64 = terms.iter().sum();
            let scale = y.people_start[c] + y.people_end[c] + terms.iter().map(|x| x.abs()).sum::<f64>();
            prop_assert!(
                close(change, sum, scale),
                "{}: cell {} changed by {} but its flows sum to {} ({:?})",
                y.year,
                c,
                change,
                sum,
                terms
            );
        }
        // In all: change = entries + migration − exits − aged out.
        let total = |v: &[f64]| v.iter().sum::<f64>();
        let change = total(&y.people_end) - total(&y.people_start);
        let net = total(&y.entries) + total(&y.migration) - total(&y.exits) - total(&y.aged_out);
        let scale = total(&y.people_start)
            + total(&y.people_end)
            + total(&y.entries)
            + y.migration.iter().map(|m| m.abs()).sum::<f64>()
            + total(&y.exits)
            + total(&y.aged_out);
        prop_assert!(
            close(change, net, scale),
            "{}: total changed by {} but net flows are {}",
            y.year,
            change,
            net
        );
        // Ageing: out of one band into the next, the same level; out of the last only if it is closed.
        for l in 0..nl {
            prop_assert_eq!(y.ageing_in[l], 0.0, "nobody ages into the first band");
            for b in 0..nb - 1 {
                prop_assert_eq!(y.ageing_in[(b + 1) * nl + l], y.ageing_out[b * nl + l]);
                prop_assert_eq!(y.aged_out[b * nl + l], 0.0);
            }
            let c = (nb - 1) * nl + l;
            if last_closed {
                prop_assert_eq!(
                    y.aged_out[c],
                    y.ageing_out[c],
                    "ageing out of a closed last band leaves the model"
                );
            } else {
                prop_assert_eq!(y.ageing_out[c], 0.0, "the open last band keeps its people");
                prop_assert_eq!(y.aged_out[c], 0.0);
            }
        }
        // Transitions move people within a band; moved in/out are the flows' sums.
        for b in 0..nb {
            let (mut into, mut out) = (0.0, 0.0);
            for l in 0..nl {
                let c = b * nl + l;
                prop_assert_eq!(y.flows[c * nl + l], 0.0, "no flow from a level to itself");
                let o: f64 = y.flows[c * nl..(c + 1) * nl].iter().sum();
                let i: f64 = (0..nl).map(|f| y.flows[(b * nl + f) * nl + l]).sum();
                prop_assert!(close(o, y.moved_out[c], o + 1e-300) && close(i, y.moved_in[c], i + 1e-300));
                into += y.moved_in[c];
                out += y.moved_out[c];
            }
            prop_assert!(
                close(into, out, into + out),
                "{}: band {} moved in {} ≠ out {}",
                y.year,
                b,
                into,
                out
            );
        }
        // Entries: into the first band only, `people` a year.
        let expected_entries = model.entries.as_ref().map_or(0.0, |e| e.people.at(y.year));
        prop_assert!(close(total(&y.entries[..nl]), expected_entries, expected_entries));
        prop_assert!(y.entries[nl..].iter().all(|&e| e == 0.0));
        // Migration: what the baseline recorded, step by step and band by band.
        if calibrated && !t.migration_by_step.is_empty() {
            let mut by_band = vec![0.0; nb];
            for _ in 0..model.steps_per_year {
                for m in by_band.iter_mut() {
                    *m += migration_steps.next().expect("one record per step and band");
                }
            }
            for (b, m) in by_band.iter().enumerate() {
                let got = total(&y.migration[b * nl..(b + 1) * nl]);
                prop_assert!(
                    close(got, *m, m.abs() + total(&y.people_end)),
                    "{}: band {} migration",
                    y.year,
                    b
                );
            }
        }
        // With one step a year, person-years are the stock the occupancy convention names.
        if model.steps_per_year == 1 {
            for c in 0..cells {
                let expected = match model.occupancy {
                    Occupancy::Start => y.people_start[c],
                    Occupancy::End => y.people_end[c],
                    Occupancy::HalfCycle => 0.5 * (y.people_start[c] + y.people_end[c]),
                    Occupancy::Simpson | Occupancy::Weights => {
                        let mut w = Vec::new();
                        model.point_weights.as_ref().unwrap().year_weights(k, 1, &mut w);
                        w[0] * y.people_start[c] + w[1] * y.people_end[c]
                    }
                };
                prop_assert!(
                    close(y.person_years[c], expected, expected),
                    "{}: person-years of cell {}",
                    y.year,
                    c
                );
            }
        }
        // Activity = Σ person-years × use (with no service effects in the plan).
        let service_effects = plan.iter().any(|&i| {
            model.interventions[i]
                .effects
                .iter()
                .any(|e| matches!(e, Effect::Service { .. }))
        });
        if !service_effects {
            for (s, service) in model.services.iter().enumerate() {
                let expected: f64 = (0..cells)
                    .map(|c| service.use_rate[c].at(y.year) * y.person_years[c])
                    .sum();
                prop_assert!(
                    close(y.activity[s], expected, expected),
                    "{}: activity of service {}",
                    y.year,
                    s
                );
            }
        }
        // Participants and costs of the interventions in the plan; none for the others.
        for (i, iv) in model.interventions.iter().enumerate() {
            if !plan.contains(&i) {
                prop_assert_eq!(y.participants[i], 0.0);
                prop_assert_eq!(y.intervention_cost[i], 0.0);
                continue;
            }
            let target: f64 = (0..cells)
                .filter(|c| iv.targets(c / nl, c % nl))
                .map(|c| y.person_years[c])
                .sum();
            prop_assert!(
                y.participants[i] <= target * (1.0 + 1e-12),
                "{}: more participants than people",
                y.year
            );
            let running = iv.scale_in(y.year) > 0.0;
            let cost = y.participants[i] * iv.cost_per_participant + if running { iv.fixed_cost } else { 0.0 };
            prop_assert!(
                close(y.intervention_cost[i], cost, cost),
                "{}: cost of intervention {}",
                y.year,
                i
            );
            if let Reach::Share(r) = iv.reach {
                let expected = r * iv.scale_in(y.year) * target;
                prop_assert!(
                    close(y.participants[i], expected, expected),
                    "{}: participants of {}",
                    y.year,
                    i
                );
            }
        }
    }
    if calibrated {
        prop_assert!(
            migration_steps.next().is_none(),
            "more migration records than steps × bands"
        );
    }
    Ok(())
}

/// Whether an engine error is a legitimate refusal of a scenario run rather
/// than a fault: an annual matrix whose effect-adjusted version has no valid
/// per-step root, or replayed migration removing more people than a band holds.
fn legitimate_refusal(model: &Model, e: &EngineError) -> bool {
    match e {
        EngineError::NoValidRoot { .. } => model.transition_mode == TransitionMode::AnnualMatrix,
        EngineError::NegativeStock { .. } => model.projection.is_some(),
        _ => false,
    }
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Every stock and flow of two years, bit for bit.
fn same_people(a: &YearResult, b: &YearResult) -> Result<(), TestCaseError> {
    for (what, x, y) in [
        ("people_start", &a.people_start, &b.people_start),
        ("people_end", &a.people_end, &b.people_end),
        ("person_years", &a.person_years, &b.person_years),
        ("entries", &a.entries, &b.entries),
        ("exits", &a.exits, &b.exits),
        ("aged_out", &a.aged_out, &b.aged_out),
        ("ageing_in", &a.ageing_in, &b.ageing_in),
        ("ageing_out", &a.ageing_out, &b.ageing_out),
        ("moved_in", &a.moved_in, &b.moved_in),
        ("moved_out", &a.moved_out, &b.moved_out),
        ("migration", &a.migration, &b.migration),
        ("flows", &a.flows, &b.flows),
        ("activity", &a.activity, &b.activity),
    ] {
        prop_assert_eq!(bits(x), bits(y), "{}: {} differs", a.year, what);
    }
    Ok(())
}

macro_rules! same_accounts {
    ($a:expr, $b:expr, $($field:ident),+) => {
        $(
            prop_assert_eq!(
                format!("{:?}", $a.$field),
                format!("{:?}", $b.$field),
                "accounts differ in {}",
                stringify!($field)
            );
        )+
    };
}

fn run_baseline(model: &Model) -> Result<Trajectory, TestCaseError> {
    simulate(model, &[], Calibration::ToProjection)
        .map_err(|e| TestCaseError::fail(format!("the baseline of a valid model failed: {e}")))
}

/// Baseline and a scenario with every intervention: conserved, never negative.
fn check_people_are_conserved_and_nothing_is_negative(raw: &Raw) -> Result<(), TestCaseError> {
    let model = build(raw);
    let baseline = run_baseline(&model)?;
    check_trajectory(&model, &[], &baseline, model.projection.is_some())?;
    if model.projection.is_some() {
        prop_assert_eq!(
            baseline.migration_by_step.len(),
            (model.horizon_years * model.steps_per_year) as usize * model.bands.len()
        );
    } else {
        prop_assert!(baseline.migration_by_step.is_empty());
    }
    // Every intervention switched on, replaying the baseline's migration.
    let plan: Vec<usize> = (0..model.interventions.len()).collect();
    match simulate(&model, &plan, Calibration::Replay(&baseline.migration_by_step)) {
        Ok(t) => {
            prop_assert!(
                t.migration_by_step.is_empty(),
                "a replaying run records no migration of its own"
            );
            check_trajectory(&model, &plan, &t, model.projection.is_some())?;
        }
        Err(e) => prop_assert!(legitimate_refusal(&model, &e), "the scenario failed: {}", e),
    }
    Ok(())
}

/// A scenario with no interventions is the baseline, bit for bit, and saves exactly nothing.
fn check_a_scenario_without_interventions_is_the_baseline(raw: &Raw) -> Result<(), TestCaseError> {
    let base_model = build(raw);
    let model = with_scenario(&base_model, "nothing", base_model.clone(), vec![]);
    let futures = run_futures(&model, &[]).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(futures.len(), 2);
    let (base, nothing) = (&futures[0], &futures[1]);
    prop_assert_eq!(base.trajectory.years.len(), nothing.trajectory.years.len());
    for (a, b) in base.trajectory.years.iter().zip(&nothing.trajectory.years) {
        same_people(a, b)?;
        prop_assert_eq!(bits(&a.participants), bits(&b.participants));
        prop_assert_eq!(bits(&a.intervention_cost), bits(&b.intervention_cost));
    }
    let (ab, an) = (Accounts::of(base), Accounts::of(nothing));
    same_accounts!(
        ab,
        an,
        years,
        discount_factor,
        people_level,
        people_band,
        people_total,
        entries,
        exits,
        aged_out,
        migration,
        flows,
        activity,
        spend_service,
        participants,
        intervention_cost,
        spend_tier,
        spend_funder,
        investment_funder,
        spend_services_total,
        intervention_cost_total,
        spend_preventative,
        spend_acute,
        spend_total
    );
    let c = Comparison::of(&model, &ab, &an);
    for s in std::iter::once(&c.total).chain(&c.by_funder) {
        prop_assert!(
            s.gross_saving
                .iter()
                .chain(&s.investment)
                .chain(&s.net_saving)
                .all(|&x| x == 0.0)
        );
        prop_assert!(s.net_saving_cumulative_discounted.iter().all(|&x| x == 0.0));
        prop_assert_eq!(s.npv, 0.0);
        prop_assert_eq!(s.break_even_year, None);
        prop_assert_eq!(s.return_per_pound(), None);
    }
    Ok(())
}

/// Interventions with relative risks and multipliers of 1 change nothing but intervention spend.
fn check_a_zero_effect_intervention_changes_only_intervention_spend(raw: &Raw) -> Result<(), TestCaseError> {
    let base_model = build(raw);
    let neutral = neutralised(&base_model);
    let plan: Vec<usize> = (0..neutral.interventions.len()).collect();
    let model = with_scenario(&neutral, "neutral", neutral.clone(), plan.clone());
    let futures = run_futures(&model, &[]).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let (base, scen) = (&futures[0], &futures[1]);
    check_trajectory(&model, &plan, &scen.trajectory, model.projection.is_some())?;
    for (a, b) in base.trajectory.years.iter().zip(&scen.trajectory.years) {
        same_people(a, b)?;
    }
    let (ab, an) = (Accounts::of(base), Accounts::of(scen));
    same_accounts!(
        ab,
        an,
        people_level,
        people_band,
        people_total,
        entries,
        exits,
        aged_out,
        migration,
        flows,
        activity,
        spend_service,
        spend_services_total
    );
    for t in 0..ab.years.len() {
        let costs = &an.intervention_cost[t];
        let total_cost: f64 = costs.iter().sum();
        let scale = ab.spend_total[t] + total_cost + 1.0;
        prop_assert_eq!(ab.intervention_cost_total[t], 0.0);
        prop_assert_eq!(an.intervention_cost_total[t], total_cost);
        prop_assert!(
            money(an.spend_total[t], ab.spend_total[t] + total_cost, scale),
            "spend_total"
        );
        let mut tier = ab.spend_tier[t];
        let mut funder = ab.spend_funder[t].to_vec();
        for (iv, cost) in model.interventions.iter().zip(costs) {
            tier[iv.tier.index()] += cost;
            funder[iv.funder] += cost;
        }
        for (k, expected) in tier.iter().enumerate() {
            let got = an.spend_tier[t][k];
            prop_assert!(
                money(got, *expected, scale),
                "year {}: tier {}: {} vs {}",
                t,
                k,
                got,
                expected
            );
        }
        for (f, expected) in funder.iter().enumerate() {
            let got = an.spend_funder[t][f];
            prop_assert!(
                money(got, *expected, scale),
                "year {}: funder {}: {} vs {}",
                t,
                f,
                got,
                expected
            );
            let invested: f64 = model
                .interventions
                .iter()
                .zip(costs)
                .filter(|(iv, _)| iv.funder == f)
                .map(|(_, c)| c)
                .sum();
            let got = an.investment_funder[t][f];
            prop_assert!(money(got, invested, scale), "year {}: investment of funder {}", t, f);
        }
        let preventative: f64 = tier[..3].iter().sum();
        prop_assert!(
            money(an.spend_preventative[t], preventative, scale),
            "year {}: preventative",
            t
        );
        prop_assert!(money(an.spend_acute[t], tier[3], scale), "year {}: acute", t);
    }
    let c = Comparison::of(&model, &ab, &an);
    prop_assert!(
        c.total.gross_saving.iter().all(|&g| g == 0.0),
        "a neutral intervention saves nothing"
    );
    for (t, (n, i)) in c.total.net_saving.iter().zip(&c.total.investment).enumerate() {
        prop_assert_eq!(*n, -*i);
        prop_assert_eq!(*i, an.intervention_cost_total[t]);
    }
    let discounted: f64 = an
        .intervention_cost_total
        .iter()
        .zip(&an.discount_factor)
        .map(|(c, d)| c * d)
        .sum();
    prop_assert!(money(c.total.npv, -discounted, discounted + 1.0));
    prop_assert_eq!(
        c.total.break_even_year,
        None,
        "spending for no effect never breaks even"
    );
    for s in &c.by_funder {
        let scale = ab.spend_total.iter().sum::<f64>() + discounted + 1.0;
        prop_assert!(
            s.gross_saving.iter().all(|&g| money(g, 0.0, scale)),
            "a funder saves by a neutral intervention"
        );
        prop_assert_eq!(s.break_even_year, None);
    }
    Ok(())
}

/// Two runs of the same model give the same numbers.
fn check_the_simulation_is_deterministic(raw: &Raw) -> Result<(), TestCaseError> {
    let model = build(raw);
    let plan: Vec<usize> = (0..model.interventions.len()).collect();
    let first = run_baseline(&model)?;
    let second = run_baseline(&model)?;
    prop_assert_eq!(&first, &second);
    let replay = Calibration::Replay(&first.migration_by_step);
    let a = simulate(&model, &plan, replay);
    let b = simulate(&model, &plan, replay);
    prop_assert_eq!(a, b);
    let model = with_scenario(&model, "all", model.clone(), plan);
    if let (Ok(x), Ok(y)) = (run_futures(&model, &[]), run_futures(&model, &[])) {
        for (fx, fy) in x.iter().zip(&y) {
            prop_assert_eq!(&fx.trajectory, &fy.trajectory);
            let (ax, ay) = (Accounts::of(fx), Accounts::of(fy));
            same_accounts!(
                ax,
                ay,
                people_total,
                spend_tier,
                spend_funder,
                spend_total,
                intervention_cost
            );
        }
    }
    Ok(())
}

proptest! {
    // Integration tests have no lib.rs beside them for proptest to persist
    // failures next to; a failure prints its minimal model instead.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(64) })]

    #[test]
    fn people_are_conserved_and_nothing_is_negative(raw in raw(0)) {
        check_people_are_conserved_and_nothing_is_negative(&raw)?;
    }

    #[test]
    fn a_scenario_without_interventions_is_the_baseline(raw in raw(0)) {
        check_a_scenario_without_interventions_is_the_baseline(&raw)?;
    }

    #[test]
    fn a_zero_effect_intervention_changes_only_intervention_spend(raw in raw(1)) {
        check_a_zero_effect_intervention_changes_only_intervention_spend(&raw)?;
    }

    #[test]
    fn the_simulation_is_deterministic(raw in raw(0)) {
        check_the_simulation_is_deterministic(&raw)?;
    }
}

/// The checks themselves can fail: a trajectory with a leak, a negative flow,
/// migration from nowhere or a changed stock is caught.
#[test]
fn the_checks_catch_tampered_trajectories() {
    let mut runner = TestRunner::deterministic();
    let (model, t) = loop {
        let raw = raw(1).new_tree(&mut runner).expect("a model").current();
        let model = build(&raw);
        if model.projection.is_some() || model.population.iter().sum::<f64>() < 1.0 {
            continue;
        }
        if let Ok(t) = simulate(&model, &[], Calibration::ToProjection) {
            break (model, t);
        }
    };
    assert!(check_trajectory(&model, &[], &t, false).is_ok());
    let last = t.years.len() - 1;
    let cell = (0..model.cells())
        .max_by(|&a, &b| t.years[last].people_end[a].total_cmp(&t.years[last].people_end[b]))
        .unwrap();
    let size = t.years[last].people_end[cell];

    let mut leak = t.clone();
    leak.years[last].people_end[cell] += 1e-6 * size;
    assert!(
        check_trajectory(&model, &[], &leak, false).is_err(),
        "a leak of 1e-6 of a cell"
    );

    let mut negative = t.clone();
    negative.years[last].exits[cell] = -1e-12;
    assert!(
        check_trajectory(&model, &[], &negative, false).is_err(),
        "a negative exit"
    );

    let mut migration = t.clone();
    migration.years[last].migration[cell] = 1e-3;
    assert!(
        check_trajectory(&model, &[], &migration, false).is_err(),
        "migration without a projection"
    );

    let mut changed = t.years[last].clone();
    changed.person_years[cell] = f64::from_bits(changed.person_years[cell].to_bits() ^ 1);
    assert!(
        same_people(&t.years[last], &changed).is_err(),
        "one bit of one person-year"
    );
}
