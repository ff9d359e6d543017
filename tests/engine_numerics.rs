//! Known answers: small models whose results can be worked out by hand or by
//! a closed form, checked against the engine and the accounts.

use std::path::Path;
use upstream::engine::{Calibration, EngineError, Trajectory, simulate};
use upstream::model::Model;
use upstream::results::{Accounts, Comparison};
use upstream::run::run_futures;

fn parse(text: &str) -> Model {
    upstream::scenario::parse(Path::new("numerics.toml"), text, String::new())
        .unwrap_or_else(|e| panic!("the test model does not parse:\n{e}\n---\n{text}"))
        .model
}

fn run(model: &Model, plan: &[usize]) -> Trajectory {
    simulate(model, plan, Calibration::None).unwrap_or_else(|e| panic!("simulation failed: {e}"))
}

/// `actual` within `rel` of `expected`, relative to `scale` (the size of the
/// numbers the result is made of).
#[track_caller]
fn close(actual: f64, expected: f64, rel: f64, scale: f64, what: &str) {
    let tolerance = rel * scale.abs().max(f64::MIN_POSITIVE);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, expected {expected} (difference {:e}, tolerance {tolerance:e})",
        actual - expected
    );
}

// ---------------------------------------------------------------- rates mode

fn two_level(mode: &str, steps: u32, horizon: u32, body: &str) -> String {
    format!(
        r#"
[model]
name = "two levels"
start_year = 2025
horizon_years = {horizon}
steps_per_year = {steps}
transition_mode = "{mode}"
levels = ["A", "B"]

[[bands]]
name = "all"
lower = 0

[[population]]
band = "all"
counts = {{ A = 1000 }}
{body}
"#
    )
}

#[test]
fn a_lone_transition_moves_exactly_its_annual_probability_whatever_the_step() {
    for steps in [1, 4, 12, 52] {
        for p in [0.05, 0.2, 0.5, 0.9] {
            let text = two_level(
                "rates",
                steps,
                2,
                &format!("[[transitions]]\nfrom = \"A\"\nto = \"B\"\nprobability = {p}\n"),
            );
            let t = run(&parse(&text), &[]);
            let what = format!("p = {p}, {steps} steps a year");
            let y0 = &t.years[0];
            close(
                y0.people_end[1],
                1000.0 * p,
                1e-12,
                1000.0,
                &format!("{what}: B after one year"),
            );
            close(
                y0.people_end[0],
                1000.0 * (1.0 - p),
                1e-12,
                1000.0,
                &format!("{what}: A after one year"),
            );
            // flows are band × from × to: A → B is index 1.
            close(y0.flows[1], 1000.0 * p, 1e-12, 1000.0, &format!("{what}: flow A → B"));
            close(
                y0.moved_out[0],
                1000.0 * p,
                1e-12,
                1000.0,
                &format!("{what}: moved out of A"),
            );
            close(
                y0.moved_in[1],
                1000.0 * p,
                1e-12,
                1000.0,
                &format!("{what}: moved into B"),
            );
            let y1 = &t.years[1];
            close(
                y1.people_end[1],
                1000.0 * (1.0 - (1.0 - p) * (1.0 - p)),
                1e-12,
                1000.0,
                &format!("{what}: B after two years"),
            );
        }
    }
}

#[test]
fn competing_hazards_leave_one_minus_the_product_of_the_stays() {
    // From A: to B 0.2, to C 0.1, exit 0.05, each an independent hazard.
    let text = r#"
[model]
name = "competing"
start_year = 2025
horizon_years = 1
steps_per_year = 12
levels = ["A", "B", "C"]

[[bands]]
name = "all"
lower = 0

[[population]]
band = "all"
counts = { A = 1000 }

[[transitions]]
from = "A"
to = "B"
probability = 0.2

[[transitions]]
from = "A"
to = "C"
probability = 0.1

[[exits]]
levels = ["A"]
probability = 0.05
"#;
    let y = &run(&parse(text), &[]).years[0];
    let (rb, rc, re) = (-(0.8f64.ln()), -(0.9f64.ln()), -(0.95f64.ln()));
    let total = rb + rc + re;
    let leaving = 1.0 - 0.8 * 0.9 * 0.95;
    close(y.people_end[0], 1000.0 * (1.0 - leaving), 1e-12, 1000.0, "A stays");
    close(y.people_end[1], 1000.0 * leaving * rb / total, 1e-12, 1000.0, "A → B");
    close(y.people_end[2], 1000.0 * leaving * rc / total, 1e-12, 1000.0, "A → C");
    close(y.exits[0], 1000.0 * leaving * re / total, 1e-12, 1000.0, "A exits");
    // Less leaves than the sum of the probabilities.
    assert!(leaving < 0.35);
}

#[test]
fn two_state_chain_matches_the_continuous_time_closed_form() {
    let (a, b) = (0.15f64, 0.4f64);
    let (x1_0, x2_0) = (900.0, 100.0);
    let text = format!(
        r#"
[model]
name = "two-state chain"
start_year = 2025
horizon_years = 10
steps_per_year = 12
levels = ["One", "Two"]

[[bands]]
name = "all"
lower = 0

[[population]]
band = "all"
counts = {{ One = {x1_0}, Two = {x2_0} }}

[[transitions]]
from = "One"
to = "Two"
probability = {a}

[[transitions]]
from = "Two"
to = "One"
probability = {b}
"#
    );
    let t = run(&parse(&text), &[]);
    let alpha = -(1.0 - a).ln();
    let beta = -(1.0 - b).ln();
    let n = x1_0 + x2_0;
    let equilibrium = beta / (alpha + beta) * n;
    for (k, y) in t.years.iter().enumerate() {
        let time = (k + 1) as f64;
        let x1 = equilibrium + (x1_0 - equilibrium) * (-(alpha + beta) * time).exp();
        close(y.people_end[0], x1, 1e-10, x1, &format!("level One after {time} years"));
        close(
            y.people_end[1],
            n - x1,
            1e-10,
            n - x1,
            &format!("level Two after {time} years"),
        );
    }
    // And it gets there: within 1e-3 of equilibrium after 10 years.
    assert!((t.years[9].people_end[0] - equilibrium).abs() < 1e-3 * n);
}

// ------------------------------------------------------- annual_matrix mode

/// The annual matrix of the cohort test: rows From, columns L1, L2, L3, exit.
const P: [[f64; 4]; 3] = [
    [0.80, 0.12, 0.05, 0.03],
    [0.06, 0.78, 0.10, 0.06],
    [0.02, 0.08, 0.80, 0.10],
];

fn cohort_model(steps: u32) -> Model {
    parse(&format!(
        r#"
[model]
name = "cohort"
start_year = 2025
horizon_years = 3
steps_per_year = {steps}
transition_mode = "annual_matrix"
levels = ["L1", "L2", "L3"]

[[bands]]
name = "all"
lower = 0

[[population]]
band = "all"
counts = {{ L1 = 600, L2 = 300, L3 = 100 }}

[[transitions]]
from = "L1"
to = "L2"
probability = 0.12
[[transitions]]
from = "L1"
to = "L3"
probability = 0.05
[[transitions]]
from = "L2"
to = "L1"
probability = 0.06
[[transitions]]
from = "L2"
to = "L3"
probability = 0.10
[[transitions]]
from = "L3"
to = "L1"
probability = 0.02
[[transitions]]
from = "L3"
to = "L2"
probability = 0.08

[[exits]]
levels = ["L1"]
probability = 0.03
[[exits]]
levels = ["L2"]
probability = 0.06
[[exits]]
levels = ["L3"]
probability = 0.10
"#
    ))
}

/// Row vector × annual matrix: the next year's stocks and the year's exits.
fn cohort_year(v: [f64; 3]) -> ([f64; 3], f64) {
    let mut next = [0.0; 3];
    let mut exits = 0.0;
    for from in 0..3 {
        for to in 0..3 {
            next[to] += v[from] * P[from][to];
        }
        exits += v[from] * P[from][3];
    }
    (next, exits)
}

#[test]
fn annual_matrix_with_one_step_is_the_cohort_model() {
    let t = run(&cohort_model(1), &[]);
    // The first year written out in full.
    let first = [
        600.0 * 0.80 + 300.0 * 0.06 + 100.0 * 0.02,
        600.0 * 0.12 + 300.0 * 0.78 + 100.0 * 0.08,
        600.0 * 0.05 + 300.0 * 0.10 + 100.0 * 0.80,
    ];
    assert_eq!(first, [500.0, 314.0, 140.0]);
    let mut v = [600.0, 300.0, 100.0];
    for (k, y) in t.years.iter().enumerate() {
        let (next, exits) = cohort_year(v);
        if k == 0 {
            assert_eq!(next, first);
            close(
                exits,
                600.0 * 0.03 + 300.0 * 0.06 + 100.0 * 0.10,
                1e-15,
                1000.0,
                "year 1 exits",
            );
        }
        for l in 0..3 {
            close(
                y.people_start[l],
                v[l],
                1e-12,
                1000.0,
                &format!("year {k} start, level {l}"),
            );
            close(
                y.people_end[l],
                next[l],
                1e-12,
                1000.0,
                &format!("year {k} end, level {l}"),
            );
            for (to, share) in P[l].iter().take(3).enumerate() {
                if to != l {
                    close(
                        y.flows[l * 3 + to],
                        v[l] * share,
                        1e-12,
                        1000.0,
                        &format!("year {k} flow {l} → {to}"),
                    );
                }
            }
        }
        close(y.exits.iter().sum(), exits, 1e-12, 1000.0, &format!("year {k} exits"));
        v = next;
    }
}

#[test]
fn annual_matrix_with_four_steps_reproduces_the_year() {
    let one = run(&cohort_model(1), &[]);
    let four = run(&cohort_model(4), &[]);
    for (k, (a, b)) in one.years.iter().zip(&four.years).enumerate() {
        for l in 0..3 {
            close(
                b.people_end[l],
                a.people_end[l],
                1e-10,
                1000.0,
                &format!("year {k} level {l}"),
            );
        }
        // Exits by level differ (with finer steps some move and then exit from
        // their new level), but the year's total is the same.
        let (ea, eb): (f64, f64) = (a.exits.iter().sum(), b.exits.iter().sum());
        close(eb, ea, 1e-10, 1000.0, &format!("year {k} exits"));
    }
}

#[test]
fn an_annual_matrix_without_a_valid_root_is_refused_naming_the_band() {
    // Seven in ten swap level every year: faster than any smooth process.
    let body = "[[transitions]]\nfrom = \"A\"\nto = \"B\"\nprobability = 0.7\n\
                [[transitions]]\nfrom = \"B\"\nto = \"A\"\nprobability = 0.7\n";
    let model = parse(&two_level("annual_matrix", 4, 1, body));
    match simulate(&model, &[], Calibration::None) {
        Err(EngineError::NoValidRoot { band, year, steps }) => {
            assert_eq!((band.as_str(), year, steps), ("all", 2025, 4));
        }
        other => panic!("expected NoValidRoot, got {other:?}"),
    }
    // With one step a year the same matrix is applied as given.
    let t = run(&parse(&two_level("annual_matrix", 1, 1, body)), &[]);
    close(t.years[0].people_end[1], 700.0, 1e-12, 1000.0, "B after the swap year");
}

#[test]
fn a_stock_that_is_not_a_number_is_refused_naming_its_cell_and_year() {
    // Files cannot hold such numbers (validation refuses them); a model
    // built in code can, and the engine must still refuse it, naming the
    // cell, whether the number starts there or reaches it by a transition.
    for (cell, level) in [(1, "L2"), (2, "L3")] {
        let mut model = cohort_model(12);
        model.population[cell] = f64::NAN;
        match simulate(&model, &[], Calibration::None) {
            Err(EngineError::NotFinite {
                band,
                level: named,
                year,
                value,
                ..
            }) => {
                assert_eq!((band.as_str(), year), ("all", 2025));
                assert!(value.is_nan());
                // NaN spreads to every level within the first year; the
                // first cell holding it is named.
                assert_eq!(named, "L1", "NaN started in {level}");
            }
            other => panic!("expected NotFinite, got {other:?}"),
        }
    }
    let mut model = cohort_model(12);
    model.population[0] = f64::INFINITY;
    assert!(matches!(
        simulate(&model, &[], Calibration::None),
        Err(EngineError::NotFinite { year: 2025, .. })
    ));
}

#[test]
fn replayed_migration_that_empties_a_band_beyond_its_people_is_refused() {
    // A scenario receives the baseline's recorded migration whatever its own
    // people: more leaving than the band holds is refused, naming the cell
    // and year; a recorded number that is not a number is refused too.
    let model = cohort_model(4);
    let steps = 4 * 3;
    let mut recorded = vec![0.0; steps];
    recorded[5] = -5000.0; // the second year's second step; the band holds about 1,000
    match simulate(&model, &[], Calibration::Replay(&recorded)) {
        Err(EngineError::NegativeStock { band, year, value, .. }) => {
            assert_eq!((band.as_str(), year), ("all", 2026));
            assert!(value < -1.0, "{value}");
        }
        other => panic!("expected NegativeStock, got {other:?}"),
    }
    for bad in [f64::NAN, f64::NEG_INFINITY] {
        let mut recorded = vec![0.0; steps];
        recorded[9] = bad;
        assert!(
            matches!(
                simulate(&model, &[], Calibration::Replay(&recorded)),
                Err(EngineError::NotFinite { year: 2027, .. })
            ),
            "{bad}"
        );
    }
    // Small recorded numbers pass, and move the people recorded.
    let mut recorded = vec![0.0; steps];
    recorded[0] = -10.0;
    let t = simulate(&model, &[], Calibration::Replay(&recorded)).unwrap();
    let moved: f64 = t.years[0].migration.iter().sum();
    assert!((moved + 10.0).abs() < 1e-9, "{moved}");
}

// ------------------------------------------------------------------- ageing

fn ageing_model(last_closed: bool) -> Model {
    let last_upper = if last_closed { "upper = 15" } else { "" };
    parse(&format!(
        r#"
[model]
name = "ageing"
start_year = 2025
horizon_years = 6
steps_per_year = 4
levels = ["Low", "High"]

[[bands]]
name = "0-5"
lower = 0
upper = 5
[[bands]]
name = "5-10"
lower = 5
upper = 10
[[bands]]
name = "10-15"
lower = 10
{last_upper}

[[population]]
band = "0-5"
counts = {{ Low = 7000, High = 3000 }}
[[population]]
band = "5-10"
people = 0
mix = {{ Low = 1 }}
[[population]]
band = "10-15"
people = 0
mix = {{ Low = 1 }}
"#
    ))
}

fn binomial(n: u32, k: u32) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * f64::from(n - i) / f64::from(i + 1))
}

#[test]
fn the_ageing_chain_matches_its_closed_form() {
    let f: f64 = 0.25 / 5.0;
    for last_closed in [false, true] {
        let t = run(&ageing_model(last_closed), &[]);
        // Independent loop: the band shares of one person, step by step.
        let mut share = [1.0, 0.0, 0.0];
        let mut gone = 0.0;
        for (k, y) in t.years.iter().enumerate() {
            let gone_at_start = gone;
            for _ in 0..4 {
                let out_last = if last_closed { share[2] * f } else { 0.0 };
                let (a, b) = (share[0] * f, share[1] * f);
                share = [share[0] - a, share[1] - b + a, share[2] - out_last + b];
                gone += out_last;
            }
            let n = 4 * (k as u32 + 1);
            // Closed form: each step a person moves on with probability f, so
            // band j holds Binomial(n, f) = j of them (the last open band
            // holds the rest).
            let b1 = (1.0 - f).powi(n as i32);
            let b2 = f64::from(n) * f * (1.0 - f).powi(n as i32 - 1);
            let b3 = if last_closed {
                binomial(n, 2) * f * f * (1.0 - f).powi(n as i32 - 2)
            } else {
                1.0 - b1 - b2
            };
            let what = format!("last band closed = {last_closed}, after {n} steps");
            close(
                b1,
                share[0],
                1e-13,
                1.0,
                &format!("{what}: closed form vs loop, band 1"),
            );
            close(
                b2,
                share[1],
                1e-13,
                1.0,
                &format!("{what}: closed form vs loop, band 2"),
            );
            close(
                b3,
                share[2],
                1e-13,
                1.0,
                &format!("{what}: closed form vs loop, band 3"),
            );
            for (l, n_level) in [(0, 7000.0), (1, 3000.0)] {
                // Cells are band-major with two levels; people keep their level.
                close(
                    y.people_end[l],
                    n_level * b1,
                    1e-12,
                    n_level,
                    &format!("{what}: band 1 level {l}"),
                );
                close(
                    y.people_end[2 + l],
                    n_level * b2,
                    1e-12,
                    n_level,
                    &format!("{what}: band 2 level {l}"),
                );
                close(
                    y.people_end[4 + l],
                    n_level * b3,
                    1e-12,
                    n_level,
                    &format!("{what}: band 3 level {l}"),
                );
                close(
                    y.aged_out[4 + l],
                    n_level * (gone - gone_at_start),
                    1e-12,
                    n_level,
                    &format!("{what}: aged out of level {l} in the year"),
                );
            }
            let total: f64 = y.people_end.iter().sum();
            if last_closed {
                assert!(gone > 0.0);
                close(
                    total,
                    10_000.0 * (1.0 - gone),
                    1e-12,
                    10_000.0,
                    &format!("{what}: people left"),
                );
                let aged_out_so_far: f64 = t.years[..=k].iter().flat_map(|y| &y.aged_out).sum();
                close(
                    aged_out_so_far,
                    10_000.0 * gone,
                    1e-12,
                    10_000.0,
                    &format!("{what}: aged out in all"),
                );
            } else {
                close(total, 10_000.0, 1e-12, 10_000.0, &format!("{what}: people conserved"));
                assert!(
                    y.aged_out.iter().all(|&a| a == 0.0),
                    "{what}: nobody ages out of an open band"
                );
            }
        }
    }
}

// ------------------------------------------------------------------ effects

fn with_intervention(mode: &str, steps: u32, flows: &str, intervention: &str) -> Model {
    parse(&two_level(
        mode,
        steps,
        1,
        &format!(
            r#"{flows}
[[services]]
name = "Visit"
tier = "primary"
funder = "NHS"
unit_cost = 10
use = {{ A = 2 }}

[[interventions]]
name = "Help"
funder = "Council"
tier = "secondary"
target_levels = ["A"]
start_year = 2025
{intervention}
"#
        ),
    ))
}

const A_TO_B: &str = "[[transitions]]\nfrom = \"A\"\nto = \"B\"\nprobability = 0.2\n";

/// The share of A's starting people who moved to B in the first year.
fn moved_share(model: &Model) -> f64 {
    run(model, &[0]).years[0].flows[1] / 1000.0
}

#[test]
fn relative_risks_multiply_the_hazard_in_rates_mode() {
    // (reach, fidelity, relative risk)
    for (reach, fidelity, rr) in [
        (1.0, 1.0, 0.6),
        (0.5, 1.0, 0.6),
        (1.0, 0.5, 0.6),
        (0.5, 0.5, 2.0),
        (0.3, 0.9, 0.0),
    ] {
        let factor: f64 = 1.0 - reach * fidelity * (1.0 - rr);
        let expected = 1.0 - 0.8f64.powf(factor);
        for steps in [1, 12] {
            let model = with_intervention(
                "rates",
                steps,
                A_TO_B,
                &format!(
                    "reach = {reach}\nfidelity = {fidelity}\n\
                     [[interventions.effects]]\nfrom = \"A\"\nto = \"B\"\nrelative_risk = {rr}\n"
                ),
            );
            close(
                moved_share(&model),
                expected,
                1e-12,
                1.0,
                &format!("rates, reach {reach}, fidelity {fidelity}, RR {rr}, {steps} steps"),
            );
        }
    }
    // With reach 1 and fidelity 1 it is exactly 1 − (1 − p)^RR.
    let model = with_intervention(
        "rates",
        4,
        A_TO_B,
        "reach = 1\n[[interventions.effects]]\nfrom = \"A\"\nto = \"B\"\nrelative_risk = 0.5\n",
    );
    close(
        moved_share(&model),
        1.0 - 0.8f64.sqrt(),
        1e-12,
        1.0,
        "RR 0.5 halves the hazard",
    );
    // A relative risk on the exit.
    let model = with_intervention(
        "rates",
        4,
        "[[exits]]\nlevels = [\"A\"]\nprobability = 0.1\n",
        "reach = 1\n[[interventions.effects]]\nfrom = \"A\"\nto = \"exit\"\nrelative_risk = 0.5\n",
    );
    let y = &run(&model, &[0]).years[0];
    close(y.exits[0] / 1000.0, 1.0 - 0.9f64.sqrt(), 1e-12, 1.0, "RR on the exit");
}

#[test]
fn relative_risks_multiply_the_probability_in_annual_matrix_mode() {
    for (reach, fidelity, rr) in [(1.0, 1.0, 0.6), (0.5, 0.5, 0.6), (1.0, 1.0, 1.5), (0.4, 1.0, 0.0)] {
        let factor = 1.0 - reach * fidelity * (1.0 - rr);
        for steps in [1, 4] {
            let model = with_intervention(
                "annual_matrix",
                steps,
                A_TO_B,
                &format!(
                    "reach = {reach}\nfidelity = {fidelity}\n\
                     [[interventions.effects]]\nfrom = \"A\"\nto = \"B\"\nrelative_risk = {rr}\n"
                ),
            );
            let rel = if steps == 1 { 1e-15 } else { 1e-10 };
            close(
                moved_share(&model),
                0.2 * factor,
                rel,
                1.0,
                &format!("annual_matrix, reach {reach}, fidelity {fidelity}, RR {rr}, {steps} steps"),
            );
        }
    }
}

#[test]
fn a_hazard_ratio_is_one_minus_the_stay_to_its_power_and_differs_from_a_relative_risk() {
    // One move A → B at p = 0.2, everyone reached: a hazard ratio h gives
    // 1 − 0.8^h in either mode; a relative risk gives 0.2·h in
    // annual_matrix mode and 1 − 0.8^h in rates mode.
    let share = |mode: &str, kind: &str, value: f64, reach: f64| {
        let model = with_intervention(
            mode,
            1,
            A_TO_B,
            &format!("reach = {reach}\n[[interventions.effects]]\nfrom = \"A\"\nto = \"B\"\n{kind} = {value}\n"),
        );
        moved_share(&model)
    };
    for h in [0.5, 0.8, 1.7] {
        let hazard = 1.0 - 0.8f64.powf(h);
        close(
            share("annual_matrix", "hazard_ratio", h, 1.0),
            hazard,
            1e-15,
            1.0,
            "HR, annual_matrix",
        );
        close(share("rates", "hazard_ratio", h, 1.0), hazard, 1e-12, 1.0, "HR, rates");
        close(share("rates", "relative_risk", h, 1.0), hazard, 1e-12, 1.0, "RR, rates");
        close(
            share("annual_matrix", "relative_risk", h, 1.0),
            0.2 * h,
            1e-15,
            1.0,
            "RR, annual_matrix",
        );
        // Half reached: half the people at each probability.
        close(
            share("annual_matrix", "hazard_ratio", h, 0.5),
            0.5 * 0.2 + 0.5 * hazard,
            1e-15,
            1.0,
            "HR, annual_matrix, half reached",
        );
    }
}

#[test]
fn an_intervention_without_effects_only_costs() {
    let text = two_level(
        "annual_matrix",
        1,
        1,
        &format!(
            r#"{A_TO_B}
[[interventions]]
name = "Drug"
funder = "NHS"
tier = "tertiary"
target_levels = ["A"]
reach = 1
start_year = 2025
cost_per_participant = 100
"#
        ),
    );
    let loaded = upstream::scenario::parse(Path::new("numerics.toml"), &text, String::new()).expect("accepted");
    assert!(
        loaded.warnings.iter().any(|w| w.to_string().contains("it only costs")),
        "a warning says so"
    );
    let model = loaded.model;
    let with = run(&model, &[0]);
    let without = run(&model, &[]);
    assert_eq!(
        with.years[0].people_end, without.years[0].people_end,
        "no one moves differently"
    );
    // Participant-years: A's half-cycle person-years, 1000 (1 − 0.2 / 2).
    close(
        with.years[0].intervention_cost[0],
        100.0 * 900.0,
        1e-12,
        90000.0,
        "its cost",
    );
}

#[test]
fn service_multipliers_scale_the_use_of_the_reached_share() {
    // Use 2 per person-year in A only; reach 0.5, fidelity 0.8, multiplier 0.5:
    // use factor 1 − 0.4 × 0.5 = 0.8.
    let model = with_intervention(
        "rates",
        4,
        A_TO_B,
        "reach = 0.5\nfidelity = 0.8\n[[interventions.effects]]\nservice = \"Visit\"\nmultiplier = 0.5\n",
    );
    let base = run(&model, &[]).years[0].clone();
    let with = run(&model, &[0]).years[0].clone();
    assert_eq!(
        with.people_end, base.people_end,
        "a service effect does not move people"
    );
    close(
        base.activity[0],
        2.0 * base.person_years[0],
        1e-15,
        2000.0,
        "baseline activity",
    );
    close(
        with.activity[0],
        1.6 * with.person_years[0],
        1e-15,
        2000.0,
        "activity with the multiplier",
    );
    // Half-cycle person-years of A: the mean stock over the year, between 800 and 1000.
    assert!(with.person_years[0] > 800.0 && with.person_years[0] < 1000.0);
}

#[test]
fn ramp_reach_lag_and_costs_follow_the_hand_calculation() {
    // Rates mode, one step a year, occupancy at the start of the step; A → B
    // at 0.2 a year; an intervention on A with reach 0.5 ramped over 2 years,
    // running 2025–2028, halving the hazard of A → B.
    let text = |lag: u32| {
        format!(
            r#"
[model]
name = "ramp"
start_year = 2025
horizon_years = 6
occupancy = "start"
levels = ["A", "B"]

[[bands]]
name = "all"
lower = 0

[[population]]
band = "all"
counts = {{ A = 1000, B = 200 }}

[[transitions]]
from = "A"
to = "B"
probability = 0.2

[[interventions]]
name = "Help"
funder = "Council"
tier = "secondary"
target_levels = ["A"]
reach = 0.5
ramp_years = 2
start_year = 2025
end_year = 2028
lag_years = {lag}
cost_per_participant = 100
fixed_cost = 5000

[[interventions.effects]]
from = "A"
to = "B"
relative_risk = 0.5
"#
        )
    };
    let scale = [0.25, 0.75, 1.0, 1.0, 0.0, 0.0];
    for lag in [0usize, 1] {
        let t = run(&parse(&text(lag as u32)), &[0]);
        let mut a = 1000.0;
        for (k, y) in t.years.iter().enumerate() {
            let what = format!("lag {lag}, year {}", 2025 + k);
            close(y.people_start[0], a, 1e-12, 1000.0, &format!("{what}: A at the start"));
            let participants = scale[k] * 0.5 * a;
            close(
                y.participants[0],
                participants,
                1e-12,
                1000.0,
                &format!("{what}: participants"),
            );
            let cost = if scale[k] > 0.0 {
                participants * 100.0 + 5000.0
            } else {
                0.0
            };
            close(y.intervention_cost[0], cost, 1e-12, 1e5, &format!("{what}: cost"));
            // The effect acts `lag` years after the reach that causes it.
            let reached = if k >= lag { 0.5 * scale[k - lag] } else { 0.0 };
            let factor = 1.0 - reached * (1.0 - 0.5);
            a *= 0.8f64.powf(factor);
            close(y.people_end[0], a, 1e-12, 1000.0, &format!("{what}: A at the end"));
        }
    }
}

#[test]
fn places_reach_the_share_places_over_target_people() {
    let model = with_intervention(
        "rates",
        1,
        A_TO_B,
        "places = 250\n[[interventions.effects]]\nfrom = \"A\"\nto = \"B\"\nrelative_risk = 0.0\n",
    );
    // 250 places for 1000 people: a quarter reached, so the hazard is × 0.75.
    close(moved_share(&model), 1.0 - 0.8f64.powf(0.75), 1e-12, 1.0, "places");
    // More places than people reach everyone (at most 1).
    let model = with_intervention(
        "rates",
        1,
        A_TO_B,
        "places = 5000\n[[interventions.effects]]\nfrom = \"A\"\nto = \"B\"\nrelative_risk = 0.0\n",
    );
    close(
        moved_share(&model),
        0.0,
        1e-15,
        1.0,
        "places beyond the target population",
    );
}

// ---------------------------------------------------------------- occupancy

#[test]
fn occupancy_conventions_count_the_hand_computed_person_years() {
    // Annual matrix, one step a year: A → B 0.2, A exits 0.1, B exits 0.1;
    // 100 people enter A each year. Use is 1 per person-year in A, 10 in B.
    // Year 1: start (1000, 0), end (800, 200).
    // Year 2: start (800, 200), end (800×0.7 + 100, 800×0.2 + 200×0.9) = (660, 340).
    let expected = [
        ("start", [[1000.0, 0.0], [800.0, 200.0]]),
        ("end", [[800.0, 200.0], [660.0, 340.0]]),
        ("half_cycle", [[900.0, 100.0], [730.0, 270.0]]),
    ];
    for (occupancy, py) in expected {
        let model = parse(&format!(
            r#"
[model]
name = "occupancy"
start_year = 2025
horizon_years = 2
occupancy = "{occupancy}"
transition_mode = "annual_matrix"
levels = ["A", "B"]

[[bands]]
name = "all"
lower = 0

[[population]]
band = "all"
counts = {{ A = 1000 }}

[[transitions]]
from = "A"
to = "B"
probability = 0.2

[[exits]]
probability = 0.1

[entries]
people = 100
mix = {{ A = 1 }}

[[services]]
name = "Use"
tier = "acute"
funder = "NHS"
unit_cost = 1
use = {{ A = 1, B = 10 }}
"#
        ));
        let t = run(&model, &[]);
        assert_eq!(t.years[0].people_end, vec![800.0, 200.0]);
        close(t.years[1].people_end[0], 660.0, 1e-13, 1000.0, "A at the end of year 2");
        close(t.years[1].people_end[1], 340.0, 1e-13, 1000.0, "B at the end of year 2");
        for (k, y) in t.years.iter().enumerate() {
            let what = format!("{occupancy}, year {}", k + 1);
            close(
                y.person_years[0],
                py[k][0],
                1e-13,
                1000.0,
                &format!("{what}: person-years in A"),
            );
            close(
                y.person_years[1],
                py[k][1],
                1e-13,
                1000.0,
                &format!("{what}: person-years in B"),
            );
            close(
                y.activity[0],
                py[k][0] + 10.0 * py[k][1],
                1e-13,
                1e4,
                &format!("{what}: activity"),
            );
        }
    }
}

// ------------------------------------------------------ money and break-even

fn money_model(rate: f64, timing: &str) -> Model {
    // 1000 people, no flows; a service of 10 per person-year paid by the NHS;
    // a scheme paid by the council costing 4 per participant-year, reaching
    // everyone from 2025, cutting use to a fifth one year later.
    // Baseline spend 10,000 a year; the scenario's services cost 10,000 in
    // 2025 and 2,000 after; it invests 4,000 a year.
    parse(&format!(
        r#"
[model]
name = "money"
start_year = 2025
horizon_years = 5
discount_rate = {rate}
discount_timing = "{timing}"
levels = ["All"]

[[bands]]
name = "all"
lower = 0

[[population]]
band = "all"
counts = {{ All = 1000 }}

[[services]]
name = "Admission"
tier = "acute"
funder = "NHS"
unit_cost = 10
use = {{ All = 1 }}

[[interventions]]
name = "Scheme"
funder = "Council"
tier = "primary"
target_levels = ["All"]
reach = 1
start_year = 2025
lag_years = 1
cost_per_participant = 4

[[interventions.effects]]
service = "Admission"
multiplier = 0.2

[[scenarios]]
name = "scheme"
interventions = ["Scheme"]
"#
    ))
}

#[test]
fn discounting_npv_and_break_even_by_hand() {
    let net = [-4000.0, 4000.0, 4000.0, 4000.0, 4000.0];
    let gross = [0.0, 8000.0, 8000.0, 8000.0, 8000.0];
    let r: f64 = 0.035;
    for (timing, shift) in [("end", 0.0), ("start", 1.0), ("mid", 0.5)] {
        let model = money_model(r, timing);
        let futures = run_futures(&model, &[]).expect("runs");
        assert_eq!(futures.len(), 2);
        let base = Accounts::of(&futures[0]);
        let scen = Accounts::of(&futures[1]);
        let c = Comparison::of(&model, &base, &scen);
        let discount = |t: usize| (1.0 + r).powf(-((t + 1) as f64 - shift));
        for t in 0..5 {
            close(
                scen.discount_factor[t],
                discount(t),
                1e-15,
                1.0,
                &format!("{timing}: factor {t}"),
            );
            close(
                base.spend_total[t],
                10_000.0,
                1e-12,
                1e4,
                &format!("{timing}: baseline spend {t}"),
            );
            close(
                c.total.gross_saving[t],
                gross[t],
                1e-12,
                1e4,
                &format!("{timing}: gross saving {t}"),
            );
            close(
                c.total.investment[t],
                4000.0,
                1e-12,
                1e4,
                &format!("{timing}: investment {t}"),
            );
            close(
                c.total.net_saving[t],
                net[t],
                1e-12,
                1e4,
                &format!("{timing}: net saving {t}"),
            );
        }
        let npv: f64 = (0..5).map(|t| net[t] * discount(t)).sum();
        close(c.total.npv, npv, 1e-12, 1e4, &format!("{timing}: NPV"));
        let disc_gross: f64 = (0..5).map(|t| gross[t] * discount(t)).sum();
        let disc_inv: f64 = (0..5).map(|t| 4000.0 * discount(t)).sum();
        close(
            c.total.discounted_gross_saving,
            disc_gross,
            1e-12,
            1e4,
            &format!("{timing}: disc. gross"),
        );
        close(
            c.total.discounted_investment,
            disc_inv,
            1e-12,
            1e4,
            &format!("{timing}: disc. investment"),
        );
        close(
            c.total.return_per_pound().unwrap(),
            disc_gross / disc_inv,
            1e-12,
            1.0,
            timing,
        );
        // Cumulative discounted: −4000 d1, then −4000 d1 + 4000 d2 < 0, then > 0.
        assert!(c.total.net_saving_cumulative_discounted[1] < 0.0);
        assert!(c.total.net_saving_cumulative_discounted[2] > 0.0);
        assert_eq!(c.total.break_even_year, Some(2027), "{timing}");
        // Who pays, who saves: funders are NHS (the service's) then Council.
        assert_eq!(model.funders, vec!["NHS".to_string(), "Council".to_string()]);
        let nhs = &c.by_funder[0];
        let council = &c.by_funder[1];
        close(nhs.npv, disc_gross, 1e-12, 1e4, &format!("{timing}: NHS saves"));
        close(council.npv, -disc_inv, 1e-12, 1e4, &format!("{timing}: Council pays"));
        assert_eq!(nhs.break_even_year, None, "the NHS invests nothing");
        assert_eq!(council.break_even_year, None, "the council never gets its money back");
        close(nhs.discounted_investment, 0.0, 1e-12, 1e4, "the NHS invests nothing");
        close(
            council.discounted_investment,
            disc_inv,
            1e-12,
            1e4,
            "the council invests it all",
        );
        assert_eq!(
            nhs.return_per_pound(),
            None,
            "no return on the NHS's own (zero) investment"
        );
        // Each funder's share of the return on the whole investment; they add up to the total.
        let whole = c.total.discounted_investment;
        close(
            nhs.return_per_pound_of(whole).unwrap(),
            disc_gross / disc_inv,
            1e-12,
            1.0,
            "NHS return",
        );
        close(
            council.return_per_pound_of(whole).unwrap(),
            0.0,
            1e-12,
            1.0,
            "Council return",
        );
    }
    // Undiscounted, the cumulative net saving is exactly 0 after 2026: that is break-even.
    let model = money_model(0.0, "end");
    let futures = run_futures(&model, &[]).expect("runs");
    let c = Comparison::of(&model, &Accounts::of(&futures[0]), &Accounts::of(&futures[1]));
    close(c.total.npv, 12_000.0, 1e-12, 1e4, "undiscounted NPV");
    assert_eq!(c.total.break_even_year, Some(2026));
}

// -------------------------------------------------------------- projection

#[test]
fn the_baseline_is_calibrated_to_the_projection_and_scenarios_replay_its_migration() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Young 0–20 and Old 20+, at the start of 2025, 2027 and 2030.
    let projection = "year,band,people\n\
                      2025,young,1000\n2025,old,2000\n\
                      2027,young,1100\n2027,old,1900\n\
                      2030,young,1400\n2030,old,2300\n";
    std::fs::write(dir.path().join("projection.csv"), projection).unwrap();
    let text = r#"
projection_csv = "projection.csv"

[model]
name = "projection"
start_year = 2025
horizon_years = 8
steps_per_year = 4
levels = ["Well", "Unwell"]

[[bands]]
name = "young"
lower = 0
upper = 20
[[bands]]
name = "old"
lower = 20

[[population]]
band = "young"
people = 1000
mix = { Well = 0.9, Unwell = 0.1 }
[[population]]
band = "old"
people = 2000
mix = { Well = 0.6, Unwell = 0.4 }

[[transitions]]
from = "Well"
to = "Unwell"
probability = 0.1
[[exits]]
levels = ["Unwell"]
probability = 0.2
[[exits]]
levels = ["Well"]
probability = 0.01

[entries]
people = 40
mix = { Well = 1 }

[[interventions]]
name = "Care"
funder = "NHS"
tier = "tertiary"
target_levels = ["Unwell"]
reach = 0.8
start_year = 2025

[[interventions.effects]]
from = "Unwell"
to = "exit"
relative_risk = 0.5

[[scenarios]]
name = "care"
interventions = ["Care"]
"#;
    let path = dir.path().join("scenario.toml");
    let model = upstream::scenario::parse(&path, text, String::new())
        .unwrap_or_else(|e| panic!("{e}"))
        .model;
    let futures = run_futures(&model, &[]).expect("runs");
    let (base, care) = (&futures[0].trajectory, &futures[1].trajectory);
    // Hand interpolation of the projection at the start of 2025..=2033 (held after 2030).
    let young = [1000.0, 1050.0, 1100.0, 1200.0, 1300.0, 1400.0, 1400.0, 1400.0, 1400.0];
    let old = [
        2000.0,
        1950.0,
        1900.0,
        2033.0 + 1.0 / 3.0,
        2166.0 + 2.0 / 3.0,
        2300.0,
        2300.0,
        2300.0,
        2300.0,
    ];
    let band_totals = |cells: &[f64]| (cells[0] + cells[1], cells[2] + cells[3]);
    for (k, y) in base.years.iter().enumerate() {
        let (s_young, s_old) = band_totals(&y.people_start);
        close(
            s_young,
            young[k],
            1e-9,
            young[k],
            &format!("young at the start of {}", y.year),
        );
        close(s_old, old[k], 1e-9, old[k], &format!("old at the start of {}", y.year));
        let (e_young, e_old) = band_totals(&y.people_end);
        close(
            e_young,
            young[k + 1],
            1e-9,
            young[k + 1],
            &format!("young at the end of {}", y.year),
        );
        close(
            e_old,
            old[k + 1],
            1e-9,
            old[k + 1],
            &format!("old at the end of {}", y.year),
        );
        // People are conserved with migration counted.
        let change: f64 = y.people_end.iter().sum::<f64>() - y.people_start.iter().sum::<f64>();
        let flows: f64 = y.entries.iter().sum::<f64>() + y.migration.iter().sum::<f64>()
            - y.exits.iter().sum::<f64>()
            - y.aged_out.iter().sum::<f64>();
        close(change, flows, 1e-9, 4000.0, &format!("conservation in {}", y.year));
    }
    // The model alone loses people (exits far above entries), so migration is positive.
    assert!(base.years[0].migration.iter().sum::<f64>() > 0.0);
    assert_eq!(base.migration_by_step.len(), 8 * 4 * 2);
    // The scenario receives the same net migration per band and year…
    for (b, c) in base.years.iter().zip(&care.years) {
        for band in 0..2 {
            let mb = b.migration[2 * band] + b.migration[2 * band + 1];
            let mc = c.migration[2 * band] + c.migration[2 * band + 1];
            close(
                mc,
                mb,
                1e-9,
                mb.abs() + 1.0,
                &format!("migration of band {band} in {}", b.year),
            );
        }
    }
    // …so fewer exits leave it with more people than the projection.
    for (b, c) in base.years.iter().zip(&care.years) {
        let (pb, pc): (f64, f64) = (b.people_end.iter().sum(), c.people_end.iter().sum());
        assert!(pc > pb + 1.0, "{}: scenario {pc} vs baseline {pb}", b.year);
    }
}

/// The annual matrix `expm(Q)` of a continuous process always has a valid
/// per-step root, `expm(Q/n)`. This one mixes fast (people change level every
/// few months, so the annual rows are nearly alike and the matrix is close to
/// singular) but is embeddable and must be accepted.
///
/// Fails at the time of writing: `linalg::sqrtm` (Denman–Beavers) demands a
/// change ≤ 1e-15·‖Y‖ between iterates, but for a nearly singular matrix the
/// iterates stall at rounding noise of about 1e-14·‖Y‖, so it gives up after
/// 100 iterations, `logm` returns `None` and the engine reports
/// `NoValidRoot` ("moves people faster than a smooth process can").
#[test]
fn an_embeddable_fast_mixing_annual_matrix_is_accepted() {
    use nalgebra::DMatrix;
    use upstream::linalg::expm;
    // Generator over levels A, B, C and the exit, intensities per year.
    let q = DMatrix::from_row_slice(
        4,
        4,
        &[
            -7.0, 4.0, 2.5, 0.5, 3.0, -7.5, 4.0, 0.5, 4.0, 3.0, -7.5, 0.5, 0.0, 0.0, 0.0, 0.0,
        ],
    );
    let p = expm(&q);
    // Precondition: expm(Q/12) is a valid monthly matrix whose 12th power is P.
    let root = expm(&(&q / 12.0));
    assert!(
        root.iter().all(|&x| x >= 0.0),
        "the monthly matrix has no negative share"
    );
    let mut power = DMatrix::<f64>::identity(4, 4);
    for _ in 0..12 {
        power = &power * &root;
    }
    assert!((power - &p).abs().max() < 1e-12, "twelve months make the year");

    let names = ["A", "B", "C"];
    let mut transitions = String::new();
    for from in 0..3 {
        for to in 0..3 {
            if from != to {
                transitions += &format!(
                    "[[transitions]]\nfrom = \"{}\"\nto = \"{}\"\nprobability = {:?}\n",
                    names[from],
                    names[to],
                    p[(from, to)]
                );
            }
        }
        transitions += &format!(
            "[[exits]]\nlevels = [\"{}\"]\nprobability = {:?}\n",
            names[from],
            p[(from, 3)]
        );
    }
    let model = |steps: u32| {
        parse(&format!(
            r#"
[model]
name = "fast mixing"
start_year = 2025
horizon_years = 3
steps_per_year = {steps}
transition_mode = "annual_matrix"
levels = ["A", "B", "C"]

[[bands]]
name = "all"
lower = 0

[[population]]
band = "all"
counts = {{ A = 1000 }}
{transitions}"#
        ))
    };
    let yearly = run(&model(1), &[]);
    let monthly = simulate(&model(12), &[], Calibration::None)
        .unwrap_or_else(|e| panic!("an embeddable annual matrix was refused: {e}"));
    // The matrix is ill-conditioned (eigenvalues down to e^−11), so allow
    // 1e-7 rather than the 1e-10 of a well-conditioned matrix.
    for (a, b) in yearly.years.iter().zip(&monthly.years) {
        for l in 0..3 {
            close(
                b.people_end[l],
                a.people_end[l],
                1e-7,
                1000.0,
                &format!("{}: level {l}", a.year),
            );
        }
    }
}
