//! An intervention's numbers that change over the years (README, "Numbers
//! that change over the years"): relative risks, hazard ratios,
//! multipliers and costs given by years since it started or by calendar
//! year, against a cohort worked by hand; the two ways of writing the same
//! profile giving the same figures; and bad profiles refused naming the line.

mod common;

use common::{Rows, close, parse_at, parse_error_at, summary};
use std::path::Path;
use upstream::model::Model;

fn parse(text: &str) -> Model {
    parse_at(Path::new("profiles.toml"), text)
}

fn parse_error(text: &str) -> String {
    parse_error_at(Path::new("profiles.toml"), text)
}

/// Row `name` of future `f` in `year`.
fn value(rows: &Rows, f: usize, year: i32, name: &str) -> f64 {
    common::value(rows, f, &year.to_string(), name)
}

/// Two levels, one step a year, the figures as the one-year matrix, people
/// counted at the start of each year; a scheme reaching everyone in A from
/// 2025 whose effect on A → B (`EFFECT`) and costs (`COSTS`) are given by
/// the test.
fn cohort(effect: &str, costs: &str) -> String {
    format!(
        r#"
[model]
name = "profiles"
start_year = 2025
horizon_years = 4
steps_per_year = 1
transition_mode = "annual_matrix"
occupancy = "start"
discount_rate = 0.0
levels = ["A", "B"]

[[bands]]
name = "all"
lower = 60

[[population]]
band = "all"
counts = {{ A = 1000, B = 0 }}

[[transitions]]
from = "A"
to = "B"
probability = 0.3

[[services]]
name = "Care"
tier = "acute"
funder = "NHS"
unit_cost = 1
use = {{ A = 0, B = 1 }}

[[interventions]]
name = "Scheme"
funder = "NHS"
tier = "secondary"
target_levels = ["A"]
reach = 1
start_year = 2025
{costs}

[[interventions.effects]]
from = "A"
to = "B"
{effect}

[[scenarios]]
name = "scheme"
interventions = ["Scheme"]
"#
    )
}

/// People in A at the start of each year 2025–2028, and at the end of
/// 2028, when the move A → B has probability 0.3 × `rr[year]`.
fn people_in_a(rr: [f64; 4]) -> [f64; 5] {
    let mut a = [1000.0; 5];
    for k in 0..4 {
        a[k + 1] = a[k] * (1.0 - 0.3 * rr[k]);
    }
    a
}

#[test]
fn a_relative_risk_and_costs_by_years_since_the_start_are_worked_by_hand() {
    let model = parse(&cohort(
        "relative_risk = { since_start = [0.5, 0.8, 1.0] }",
        "cost_per_participant = { since_start = [100, 50] }\nfixed_cost = { 2026 = 10, 2027 = 20 }",
    ));
    let rows = summary(&model);
    let a = people_in_a([0.5, 0.8, 1.0, 1.0]);
    // The scheme's year-end people and costs: participants are A's
    // person-years (counted at the start of each year); a fixed cost given
    // from 2026 holds its first value in 2025, before it.
    let cost_per_participant = [100.0, 50.0, 50.0, 50.0];
    let fixed = [10.0, 10.0, 20.0, 20.0];
    for (k, year) in (2025..=2028).enumerate() {
        close(
            value(&rows, 1, year, "people_level:A"),
            a[k + 1],
            &format!("A at the end of {year}"),
        );
        close(
            value(&rows, 1, year, "participants:Scheme"),
            a[k],
            &format!("participants in {year}"),
        );
        close(
            value(&rows, 1, year, "intervention_cost:Scheme"),
            a[k] * cost_per_participant[k] + fixed[k],
            &format!("the scheme's cost in {year}"),
        );
        // Do-nothing: the move at its own probability every year.
        close(
            value(&rows, 0, year, "people_level:A"),
            1000.0 * 0.7f64.powi(k as i32 + 1),
            &format!("do-nothing's A at the end of {year}"),
        );
    }
}

#[test]
fn the_same_profile_by_calendar_year_gives_the_same_figures() {
    let since_start = summary(&parse(&cohort(
        "relative_risk = { since_start = [0.5, 0.8, 1.0] }",
        "cost_per_participant = { since_start = [100, 50] }",
    )));
    let by_year = summary(&parse(&cohort(
        "relative_risk = { 2025 = 0.5, 2026 = 0.8, 2027 = 1.0 }",
        "cost_per_participant = { 2025 = 100, 2026 = 50 }",
    )));
    assert_eq!(since_start, by_year);
    // And a profile that never changes is the one number.
    let flat = summary(&parse(&cohort(
        "relative_risk = { since_start = [0.5, 0.5] }",
        "cost_per_participant = 100",
    )));
    let one = summary(&parse(&cohort("relative_risk = 0.5", "cost_per_participant = 100")));
    assert_eq!(flat, one);
}

#[test]
fn a_hazard_ratio_and_a_multiplier_may_change_over_the_years() {
    // A hazard ratio on A → B: 1 − (1 − 0.3)^HR, HR 0.5 then 2.
    let rows = summary(&parse(&cohort(
        "hazard_ratio = { since_start = [0.5, 2.0] }",
        "cost_per_participant = 0",
    )));
    let mut a = 1000.0;
    for (k, year) in (2025..=2028).enumerate() {
        let hr = if k == 0 { 0.5 } else { 2.0 };
        a *= 0.7f64.powf(hr);
        close(
            value(&rows, 1, year, "people_level:A"),
            a,
            &format!("A at the end of {year}"),
        );
    }
    // A multiplier on the use of Care by those reached (A uses none; give
    // A a use of 1 to see it): 0.5 in 2025, 1 after.
    let text = cohort("relative_risk = 1", "cost_per_participant = 0")
        .replace("use = { A = 0, B = 1 }", "use = { A = 1, B = 1 }")
        .replace(
            "[[scenarios]]",
            "[[interventions.effects]]\nservice = \"Care\"\nmultiplier = { since_start = [0.5, 1.0] }\n\n[[scenarios]]",
        );
    let rows = summary(&parse(&text));
    let a = people_in_a([1.0; 4]);
    for (k, year) in (2025..=2028).enumerate() {
        let b_start = 1000.0 - a[k];
        let m = if k == 0 { 0.5 } else { 1.0 };
        close(
            value(&rows, 1, year, "activity:Care"),
            a[k] * m + b_start,
            &format!("Care's activity in {year}"),
        );
    }
}

#[test]
fn bad_profiles_are_refused_naming_the_line() {
    let cases = [
        (
            "relative_risk = { since_start = [0.5, { dist = \"lognormal\", mean = 0.8, sd = 0.1 }] }",
            "cost_per_participant = 0",
            "only the first value may be one",
        ),
        (
            "relative_risk = { since_start = [0.5, -0.2] }",
            "cost_per_participant = 0",
            "year 2 since the start",
        ),
        (
            "relative_risk = 0.5",
            "cost_per_participant = { later = 50 }",
            "`later` is not a year",
        ),
        (
            "relative_risk = { since_start = [0.5], extra = 1 }",
            "cost_per_participant = 0",
            "`since_start` stands alone",
        ),
        (
            "relative_risk = 0.5",
            "fixed_cost = { since_start = [0, 100] }",
            "the first value is 0",
        ),
        (
            "hazard_ratio = 0",
            "cost_per_participant = 0",
            "a hazard ratio must be above 0",
        ),
        (
            "hazard_ratio = { since_start = [0.5, 0] }",
            "cost_per_participant = 0",
            "a hazard ratio must be above 0",
        ),
    ];
    for (effect, costs, expected) in cases {
        let message = parse_error(&cohort(effect, costs));
        assert!(message.contains(expected), "expected {expected:?} in\n{message}");
        // The file and the line: `profiles.toml:41: …`.
        let line = message.strip_prefix("profiles.toml:").and_then(|m| m.split(':').next());
        assert!(
            line.is_some_and(|l| l.parse::<usize>().is_ok()),
            "no file and line in\n{message}"
        );
    }
}
