//! The supply side against closed forms and hand-worked cases (README,
//! "The supply side"): waiting lists that grow, stay flat and drain;
//! reneging to a steady level; waits over a target; diversion that
//! conserves activity; feedback that equals an intervention of the same
//! reach when the shortfall is constant; and convergence as steps shrink.

use std::path::Path;
use upstream::engine::{Calibration, Figure, Trajectory, simulate};
use upstream::model::{Capacity, Model, Series, UnmetEffect};
use upstream::units::AnnualProbability;

fn parse(text: &str) -> Model {
    upstream::scenario::parse(Path::new("supply.toml"), text, String::new())
        .unwrap_or_else(|e| panic!("the test model does not parse:\n{e}\n---\n{text}"))
        .model
}

fn run(model: &Model, plan: &[usize]) -> Trajectory {
    simulate(model, plan, Calibration::None).unwrap_or_else(|e| panic!("simulation failed: {e}"))
}

#[track_caller]
fn close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance * expected.abs().max(1.0),
        "{what}: got {actual}, expected {expected} (difference {:e})",
        actual - expected
    );
}

/// A capacity of `per_year` whose unmet demand all waits.
fn waits(per_year: Series<f64>) -> Capacity {
    Capacity {
        per_year,
        wait: 1.0,
        divert: 0.0,
        lost: 0.0,
        divert_to: None,
        divert_ratio: 1.0,
        renege: AnnualProbability::default(),
        target_wait_weeks: None,
        while_unmet: Vec::new(),
    }
}

/// A supply figure of service `s` in year `k`.
fn figure(model: &Model, t: &Trajectory, k: usize, s: usize, f: Figure) -> f64 {
    let _ = model;
    t.years[k].supply[s * Figure::COUNT + f.index()]
}

/// One level of `people` who never move, using `use_rate` of one service
/// a year: constant demand `people × use_rate`.
fn constant_demand(steps: u32, horizon: u32, people: f64, use_rate: f64) -> Model {
    parse(&constant_demand_text(steps, horizon, people, use_rate, "NHS"))
}

/// [`constant_demand`]'s file, its service paid by `funder`; the service
/// comes last, so keys appended to the text are the service's until the
/// next table.
fn constant_demand_text(steps: u32, horizon: u32, people: f64, use_rate: f64, funder: &str) -> String {
    format!(
        r#"
[model]
name = "constant demand"
start_year = 2025
horizon_years = {horizon}
steps_per_year = {steps}
levels = ["A"]

[[bands]]
name = "all"
lower = 0

[[population]]
band = "all"
counts = {{ A = {people} }}

[[services]]
name = "Therapy"
tier = "secondary"
funder = "{funder}"
unit_cost = 100
use = {{ A = {use_rate} }}
"#
    )
}

#[test]
fn a_list_grows_by_demand_less_capacity_stays_flat_at_capacity_and_drains_when_capacity_rises() {
    for steps in [1, 4, 12, 52] {
        // Demand 1,000 a year; capacity 800 until 2028, then 1,150.
        let mut model = constant_demand(steps, 8, 1000.0, 1.0);
        model.services[0].capacity = Some(waits(Series::by_year(vec![(2025, 800.0), (2028, 1150.0)])));
        let t = run(&model, &[]);
        let list = |k: usize| figure(&model, &t, k, 0, Figure::ListEnd);
        for k in 0..3 {
            close(
                list(k),
                200.0 * (k + 1) as f64,
                1e-12,
                &format!("{steps} steps: list at the end of year {k}"),
            );
            close(
                figure(&model, &t, k, 0, Figure::Served),
                800.0,
                1e-12,
                "served at capacity",
            );
            // Spend is on served activity.
            close(t.years[k].activity[0], 800.0, 1e-12, "activity is what is served");
        }
        // From 2028 the 600 waiting drain at 150 a year: 450, 300, 150, 0, 0.
        for (k, expected) in [(3, 450.0), (4, 300.0), (5, 150.0), (6, 0.0), (7, 0.0)] {
            close(
                list(k),
                expected,
                1e-9,
                &format!("{steps} steps: list at the end of year {k}"),
            );
        }
        close(
            figure(&model, &t, 3, 0, Figure::Served),
            1150.0,
            1e-12,
            "served at the new capacity",
        );
        close(
            figure(&model, &t, 7, 0, Figure::Served),
            1000.0,
            1e-9,
            "once drained, demand is served",
        );
        close(
            figure(&model, &t, 0, 0, Figure::Capacity),
            800.0,
            0.0,
            "capacity reported",
        );
    }
    // At demand = capacity the list stays empty.
    let mut model = constant_demand(12, 5, 1000.0, 1.0);
    model.services[0].capacity = Some(waits(Series::constant(1000.0)));
    let t = run(&model, &[]);
    for k in 0..5 {
        close(
            figure(&model, &t, k, 0, Figure::ListEnd),
            0.0,
            1e-9,
            "a list at capacity stays flat",
        );
    }
}

#[test]
fn with_reneging_and_no_spare_capacity_the_list_settles_at_its_closed_form_level() {
    // Per step: the list is served first (c), a share r of what remains
    // leaves, and the step's unmet demand d joins: L' = (L − c)(1 − r) + d,
    // whose fixed point is L* = (d − c(1 − r)) / r.
    let (steps, renege) = (12u32, 0.3);
    let mut model = constant_demand(steps, 100, 1200.0, 1.0);
    let mut capacity = waits(Series::constant(600.0));
    capacity.renege = AnnualProbability::new(renege).unwrap();
    model.services[0].capacity = Some(capacity);
    let t = run(&model, &[]);
    let dt = 1.0 / f64::from(steps);
    let r = 1.0 - (1.0 - renege).powf(dt);
    let (d, c) = (1200.0 * dt, 600.0 * dt);
    let settled = (d - c * (1.0 - r)) / r;
    close(
        figure(&model, &t, 99, 0, Figure::ListEnd),
        settled,
        1e-9,
        "the settled list",
    );
    // Everything asked for is served, waits, or leaves: over the run, the
    // demand equals what was served plus what reneged plus what is left.
    let total = |f: Figure| -> f64 { (0..100).map(|k| figure(&model, &t, k, 0, f)).sum() };
    close(
        total(Figure::Demand),
        total(Figure::Served) + total(Figure::Reneged) + figure(&model, &t, 99, 0, Figure::ListEnd),
        1e-12,
        "demand is served, reneges or waits",
    );
}

#[test]
fn the_share_waiting_longer_than_the_target_matches_a_hand_worked_case() {
    // Weekly steps, nothing served, 10 % a year renege, target 2 weeks. A
    // step's demand d joins the list; each later step a share r leaves. At
    // the year end the joiners of the last two steps have waited under two
    // whole steps (d and d(1 − r)); everyone else has waited longer:
    // Σ_{k=2}^{51} d(1 − r)^k.
    let mut model = constant_demand(52, 1, 5200.0, 1.0);
    let mut capacity = waits(Series::constant(0.0));
    capacity.renege = AnnualProbability::new(0.1).unwrap();
    capacity.target_wait_weeks = Some(2.0);
    model.services[0].capacity = Some(capacity);
    let t = run(&model, &[]);
    let r = 1.0 - 0.9f64.powf(1.0 / 52.0);
    let d = 100.0;
    let all: f64 = (0..52).map(|k| d * (1.0 - r).powi(k)).sum();
    let over: f64 = (2..52).map(|k| d * (1.0 - r).powi(k)).sum();
    close(figure(&model, &t, 0, 0, Figure::ListEnd), all, 1e-12, "the list");
    close(
        figure(&model, &t, 0, 0, Figure::OverTarget),
        over,
        1e-12,
        "waited over the target",
    );
}

/// Three services: home care (0) diverts 40 % of what it cannot serve to
/// residential care (1) at `ratio`, residential care (full too) diverts
/// all of its shortfall to acute bed-days (2), which has no capacity.
fn chain(ratio: f64) -> Model {
    let mut model = parse(
        r#"
[model]
name = "chain"
start_year = 2025
horizon_years = 3
steps_per_year = 4
levels = ["A"]

[[bands]]
name = "all"
lower = 0

[[population]]
band = "all"
counts = { A = 1000 }

[[services]]
name = "Home care"
tier = "tertiary"
funder = "Council"
unit_cost = 25
use = { A = 100 }

[[services]]
name = "Residential"
tier = "tertiary"
funder = "Council"
unit_cost = 40000
use = { A = 0.02 }

[[services]]
name = "Bed-days"
tier = "acute"
funder = "NHS"
unit_cost = 300
use = { A = 1 }
"#,
    );
    model.services[0].capacity = Some(Capacity {
        wait: 0.0,
        divert: 0.4,
        lost: 0.6,
        divert_to: Some(1),
        divert_ratio: ratio,
        ..waits(Series::constant(80_000.0))
    });
    model.services[1].capacity = Some(Capacity {
        wait: 0.0,
        divert: 1.0,
        divert_to: Some(2),
        divert_ratio: 365.0,
        ..waits(Series::constant(15.0))
    });
    model
}

#[test]
fn diversion_conserves_activity_along_a_chain() {
    let model = chain(0.002);
    let t = run(&model, &[]);
    for k in 0..3 {
        let f = |s: usize, which: Figure| figure(&model, &t, k, s, which);
        // Home care: 100,000 hours asked, 80,000 served, 20,000 unmet: 8,000
        // sent on (16 place-years), 12,000 lost.
        close(f(0, Figure::Served), 80_000.0, 1e-12, "home care served");
        close(f(0, Figure::Diverted), 8_000.0, 1e-12, "home care diverted");
        close(f(0, Figure::Lost), 12_000.0, 1e-12, "home care lost");
        // Residential: its own 20 place-years and the 16 sent: 36 asked, 15
        // served, 21 sent on as 7,665 bed-days.
        close(f(1, Figure::DivertedIn), 16.0, 1e-12, "residential received");
        close(f(1, Figure::Demand), 36.0, 1e-12, "residential demand");
        close(f(1, Figure::Served), 15.0, 1e-12, "residential served");
        close(f(1, Figure::Diverted), 21.0, 1e-12, "residential diverted");
        close(f(2, Figure::DivertedIn), 21.0 * 365.0, 1e-12, "bed-days received");
        // Activity: what each serves; bed-days its own 1,000 and what came in.
        close(t.years[k].activity[0], 80_000.0, 1e-12, "home care activity");
        close(t.years[k].activity[1], 15.0, 1e-12, "residential activity");
        close(t.years[k].activity[2], 1000.0 + 21.0 * 365.0, 1e-12, "bed-day activity");
        // Every unit asked of a service is served, waits, is sent on or is lost.
        for s in 0..2 {
            close(
                f(s, Figure::Demand),
                f(s, Figure::Served) - f(s, Figure::ServedFromList)
                    + f(s, Figure::Waited)
                    + f(s, Figure::Diverted)
                    + f(s, Figure::Lost),
                1e-12,
                "demand accounted for",
            );
        }
    }
}

/// Two levels A → B at 20 % a year, with a service used by A.
fn two_levels(steps: u32, mode: &str, body: &str) -> Model {
    parse(&format!(
        r#"
[model]
name = "feedback"
start_year = 2025
horizon_years = 6
steps_per_year = {steps}
transition_mode = "{mode}"
levels = ["A", "B"]

[[bands]]
name = "all"
lower = 0

[[population]]
band = "all"
counts = {{ A = 1000 }}

[entries]
people = 150
mix = {{ A = 1 }}

[[transitions]]
from = "A"
to = "B"
probability = 0.2

[[exits]]
levels = ["B"]
probability = 0.1

[[services]]
name = "Home care"
tier = "tertiary"
funder = "Council"
unit_cost = 25
use = {{ A = 10 }}
{body}
"#
    ))
}

#[test]
fn with_the_shortfall_held_constant_the_waiting_relative_risk_is_an_intervention_of_that_reach() {
    // No capacity at all: every step's demand is unmet, u = 1, so A → B ×
    // 1.4 for everyone in A, as an intervention reaching all of A does.
    let effect = r#"
[[interventions]]
name = "Same as waiting"
funder = "Council"
tier = "secondary"
start_year = 2025
target_levels = ["A"]
reach = 1
cost_per_participant = 0
effects = [{ from = "A", to = "B", relative_risk = 1.4 }]
"#;
    // (An annual matrix in which nobody in A exits has no finer root, as
    // some would move to B and exit within the year: it runs in one step.)
    for (mode, step_counts) in [("annual_matrix", &[1][..]), ("rates", &[1, 4, 12, 52][..])] {
        for &steps in step_counts {
            let with_intervention = two_levels(steps, mode, effect);
            let expected = run(&with_intervention, &[0]);
            let mut model = two_levels(steps, mode, "");
            model.services[0].capacity = Some(Capacity {
                wait: 0.0,
                lost: 1.0,
                while_unmet: vec![UnmetEffect {
                    from: 0,
                    to: 1,
                    relative_risk: 1.4,
                }],
                ..waits(Series::constant(0.0))
            });
            let t = run(&model, &[]);
            for (a, b) in t.years.iter().zip(&expected.years) {
                for c in 0..2 {
                    close(
                        a.people_end[c],
                        b.people_end[c],
                        1e-12,
                        &format!("{mode}, {steps} steps, {} cell {c}", a.year),
                    );
                }
                close(a.flows[1], b.flows[1], 1e-12, "the flow A → B");
            }
        }
    }
}

#[test]
fn results_converge_as_the_step_shrinks() {
    // Capacity below a growing demand, half of the shortfall waiting: the
    // unmet share changes within each year, so the feedback's per-step
    // part matters; the year-6 people in B converge as steps shrink.
    let b_end = |steps: u32| {
        let mut model = two_levels(steps, "rates", "");
        model.services[0].capacity = Some(Capacity {
            wait: 0.5,
            lost: 0.5,
            while_unmet: vec![UnmetEffect {
                from: 0,
                to: 1,
                relative_risk: 1.5,
            }],
            ..waits(Series::constant(6_000.0))
        });
        run(&model, &[]).years[5].people_end[1]
    };
    let (one, four, twelve, weekly) = (b_end(1), b_end(4), b_end(12), b_end(52));
    let gaps = [(one - weekly).abs(), (four - weekly).abs(), (twelve - weekly).abs()];
    assert!(
        gaps[0] > gaps[1] && gaps[1] > gaps[2],
        "gaps to weekly steps {gaps:?} do not shrink"
    );
    // The weekly answer is within a fraction of a percent of the monthly.
    close(twelve, weekly, 5e-3, "monthly against weekly steps");
}

#[test]
fn an_intervention_that_adds_capacity_serves_more_at_its_cost() {
    // Demand 1,000 a year, capacity 800; from 2026 an intervention adds
    // 150 a year at £90 a unit (and £5,000 a year fixed), ramping up over
    // two years (its scale each year is the ramp's mean over the year).
    let text = constant_demand_text(4, 5, 1000.0, 1.0, "NHS")
        + r#"
capacity = 800

[[interventions]]
name = "More therapists"
funder = "NHS"
tier = "secondary"
start_year = 2026
ramp_years = 2
fixed_cost = 5000
effects = [{ service = "Therapy", add_capacity = 150, cost_per_unit = 90 }]

[[scenarios]]
name = "more"
interventions = ["More therapists"]
"#;
    let model = parse(&text);
    let scenario = &model.scenarios[0];
    let t = run(&scenario.model, &scenario.interventions);
    let iv = &model.interventions[0];
    for (k, year) in (2025..2030).enumerate() {
        let scale = iv.scale_in(year);
        let capacity = 800.0 + 150.0 * scale;
        close(
            figure(&model, &t, k, 0, Figure::Capacity),
            capacity,
            1e-12,
            "capacity with the addition",
        );
        close(
            t.years[k].activity[0],
            capacity.min(1000.0),
            1e-9,
            "served up to the new capacity",
        );
        let fixed = if scale > 0.0 { 5000.0 } else { 0.0 };
        close(
            t.years[k].intervention_cost[0],
            150.0 * scale * 90.0 + fixed,
            1e-12,
            "its cost",
        );
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use upstream::engine::{LaneCalibration, LaneTrajectory, MatrixCache, simulate_lanes};
    use upstream::params::Layout;

    /// A small model with two bands, three levels, moves both ways, exits,
    /// entries, and three services: the first two with capacities (the
    /// first diverting to the second, the second to the third), with
    /// waiting, reneging, a target and feedback.
    #[allow(clippy::too_many_arguments)]
    fn model_text(
        steps: u32,
        moves: [f64; 4],
        capacity: [f64; 2],
        shares: [(f64, f64); 2],
        renege: f64,
        risk: [f64; 2],
    ) -> String {
        let when_full = |(wait, divert): (f64, f64)| {
            format!("{{ wait = {wait}, divert = {divert}, lost = {} }}", 1.0 - wait - divert)
        };
        let diverts = |(_, divert): (f64, f64), to: &str| {
            if divert > 0.0 {
                format!("divert_to = \"{to}\"\ndivert_ratio = 0.5\n")
            } else {
                String::new()
            }
        };
        let waits = |(wait, _): (f64, f64)| {
            if wait > 0.0 {
                format!("renege = {renege}\ntarget_wait_weeks = 13\n")
            } else {
                String::new()
            }
        };
        format!(
            r#"
[model]
name = "properties"
start_year = 2025
horizon_years = 6
steps_per_year = {steps}
transition_mode = "rates"
levels = ["L0", "L1", "L2"]

[[bands]]
name = "young"
lower = 0
upper = 10

[[bands]]
name = "old"
lower = 10

[[population]]
band = "young"
counts = {{ L0 = 800, L1 = 150, L2 = 50 }}

[[population]]
band = "old"
counts = {{ L0 = 500, L1 = 300, L2 = 200 }}

[entries]
people = 90
mix = {{ L0 = 0.9, L1 = 0.1 }}

[[transitions]]
from = "L0"
to = "L1"
probability = {}

[[transitions]]
from = "L1"
to = "L2"
probability = {}

[[transitions]]
from = "L1"
to = "L0"
probability = {}

[[exits]]
levels = ["L2"]
probability = {}

[[services]]
name = "First"
tier = "secondary"
funder = "Council"
unit_cost = 50
use = {{ L1 = 4, L2 = 2 }}
capacity = {}
when_full = {}
{}{}while_unmet = [{{ from = "L1", to = "L2", relative_risk = {} }}]

[[services]]
name = "Second"
tier = "tertiary"
funder = "Council"
unit_cost = 500
use = {{ L2 = 1 }}
capacity = {}
when_full = {}
{}{}while_unmet = [{{ from = "L0", to = "L1", relative_risk = {} }}]

[[services]]
name = "Third"
tier = "acute"
funder = "NHS"
unit_cost = 300
use = {{ L2 = 0.5 }}
"#,
            moves[0],
            moves[1],
            moves[2],
            moves[3],
            capacity[0],
            when_full(shares[0]),
            diverts(shares[0], "Second"),
            waits(shares[0]),
            risk[0],
            capacity[1],
            when_full(shares[1]),
            diverts(shares[1], "Third"),
            waits(shares[1]),
            risk[1],
        )
    }

    fn shares() -> impl Strategy<Value = (f64, f64)> {
        (0..=4u32, 0..=4u32)
            .prop_filter("the shares fit in 1", |(w, d)| w + d <= 4)
            .prop_map(|(w, d)| (f64::from(w) / 4.0, f64::from(d) / 4.0))
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        let model = parse(text);
        let t = run(&model, &[]);
        let nl = model.levels.len();
        let mut list_before = [0.0; 3];
        for (k, y) in t.years.iter().enumerate() {
            for v in [&y.people_end, &y.flows, &y.activity, &y.supply] {
                prop_assert!(
                    v.iter().all(|x| x.is_finite() && *x >= 0.0),
                    "{}: negative or not finite",
                    y.year
                );
            }
            // People are conserved in all and in each cell.
            let sum = |v: &[f64]| v.iter().sum::<f64>();
            let change = sum(&y.people_end) - sum(&y.people_start);
            let net = sum(&y.entries) - sum(&y.exits) - sum(&y.aged_out);
            prop_assert!(
                (change - net).abs() < 1e-9 * sum(&y.people_start),
                "{}: {change} vs {net}",
                y.year
            );
            for c in 0..model.cells() {
                let change = y.people_end[c] - y.people_start[c];
                let flows =
                    y.entries[c] + y.moved_in[c] - y.moved_out[c] - y.exits[c] - y.ageing_out[c] + y.ageing_in[c];
                prop_assert!(
                    (change - flows).abs() < 1e-9 * (1.0 + y.people_start[c]),
                    "{}: cell {c}",
                    y.year
                );
                let out: f64 = y.flows[c * nl..(c + 1) * nl].iter().sum();
                prop_assert!(
                    (out - y.moved_out[c]).abs() < 1e-9 * (1.0 + out),
                    "{}: moved out of {c}",
                    y.year
                );
            }
            // Every unit asked of a full service is served, waits, is sent on
            // or is lost; the list moves by what joined, left it served and reneged.
            for (s, before) in list_before.iter_mut().enumerate().take(2) {
                let f = |which: Figure| figure(&model, &t, k, s, which);
                let new_served = f(Figure::Served) - f(Figure::ServedFromList);
                let parts = new_served + f(Figure::Waited) + f(Figure::Diverted) + f(Figure::Lost);
                prop_assert!((f(Figure::Demand) - parts).abs() < 1e-9 * (1.0 + f(Figure::Demand)));
                prop_assert!(f(Figure::Served) <= f(Figure::Capacity) * (1.0 + 1e-12) + 1e-9);
                let list = *before + f(Figure::Waited) - f(Figure::ServedFromList) - f(Figure::Reneged);
                prop_assert!(
                    (f(Figure::ListEnd) - list).abs() < 1e-9 * (1.0 + list),
                    "{}: list of {s}",
                    y.year
                );
                prop_assert!(f(Figure::OverTarget) <= f(Figure::ListEnd) * (1.0 + 1e-12));
                *before = f(Figure::ListEnd);
            }
        }
        // Four lanes of the same numbers give the single run, bit for bit.
        let layout = Layout::new(&model);
        let params: Vec<[f64; 4]> = layout.central(&model).into_iter().map(|v| [v; 4]).collect();
        let mut cache = MatrixCache::<4>::new(&model);
        let mut lanes = LaneTrajectory::<4>::default();
        simulate_lanes(
            &model,
            &layout,
            &params,
            &[],
            LaneCalibration::None,
            &mut cache,
            &mut lanes,
        )
        .unwrap();
        for lane in 0..4 {
            prop_assert!(lanes.lane(&model, lane) == t, "lane {lane} differs from the single run");
        }
        Ok(())
    }

    /// Without feedback a year runs band by band and the services serve
    /// its steps after it, from the stocks it recorded: the same numbers,
    /// bit for bit, as serving after each step of the step-by-step loop
    /// (forced here by replaying a net migration of nobody).
    fn band_by_band_serves_as_step_by_step(text: &str) -> Result<(), TestCaseError> {
        let text: String = text
            .lines()
            .filter(|line| !line.starts_with("while_unmet"))
            .map(|line| format!("{line}\n"))
            .collect();
        let model = parse(&text);
        let band_by_band = run(&model, &[]);
        let nobody = vec![0.0; (model.horizon_years * model.steps_per_year) as usize * model.bands.len()];
        let step_by_step = simulate(&model, &[], Calibration::Replay(&nobody)).unwrap();
        prop_assert!(band_by_band == step_by_step);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(48) })]

        #[test]
        fn without_feedback_the_band_by_band_year_serves_as_the_step_by_step_loop(
            steps in prop::sample::select(vec![1u32, 4, 12]),
            moves in prop::array::uniform4(0.01..0.4f64),
            capacity in prop::array::uniform2(0.0..6000.0f64),
            shares in prop::array::uniform2(shares()),
            renege in 0.0..0.5f64,
        ) {
            band_by_band_serves_as_step_by_step(&model_text(steps, moves, capacity, shares, renege, [1.0; 2]))?;
        }

        #[test]
        fn with_capacities_people_are_conserved_nothing_is_negative_and_lanes_agree(
            steps in prop::sample::select(vec![1u32, 4, 12]),
            moves in prop::array::uniform4(0.01..0.4f64),
            capacity in prop::array::uniform2(0.0..6000.0f64),
            shares in prop::array::uniform2(shares()),
            renege in 0.0..0.5f64,
            risk in prop::array::uniform2(0.5..3.0f64),
        ) {
            check(&model_text(steps, moves, capacity, shares, renege, risk))?;
        }
    }
}

#[test]
fn a_budget_is_reported_with_its_gap() {
    let text = constant_demand_text(4, 3, 1000.0, 1.0, "Council")
        + r#"
[[budgets]]
funder = "Council"
per_year = { 2025 = 90000, 2027 = 120000 }
"#;
    let model = parse(&text);
    let futures = upstream::run::run_futures(&model, &[]).unwrap();
    let (accounts, comparisons) = upstream::results::account_futures(&futures);
    let mut rows = std::collections::HashMap::new();
    upstream::results::rows::visit_summary(&model, &accounts, &comparisons, &mut |_, year, name, value| {
        rows.insert((year, name()), value);
    });
    // Spend is 1,000 people × 1 × £100 = £100,000 a year.
    for (year, budget) in [(2025, 90_000.0), (2026, 90_000.0), (2027, 120_000.0)] {
        let row = |name: &str| rows[&(Some(year), name.to_string())].unwrap();
        close(row("budget_funder:Council"), budget, 0.0, "the budget");
        close(
            row("budget_gap_funder:Council"),
            100_000.0 - budget,
            1e-12,
            "spend less the budget",
        );
    }
}
