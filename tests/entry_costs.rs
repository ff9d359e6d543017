//! A one-off cost at entry to a level (`on_entry`: README, "Accounting"):
//! the activity of a service counted per person entering a level, against
//! a cohort worked by hand, with moves between levels and people entering
//! the model; and its bad inputs refused naming the line.

use std::path::Path;
use upstream::run::run_futures;

fn parse(text: &str) -> upstream::model::Model {
    upstream::scenario::parse(Path::new("entry.toml"), text, String::new())
        .unwrap_or_else(|e| panic!("the test model does not parse:\n{e}\n---\n{text}"))
        .model
}

/// Two levels and an exit, one step a year, the one-year matrix: A → B
/// 0.2, B exits 0.1; 100 people enter a year, a quarter of them in B. An
/// operation (`SERVICE`) is counted on entry to B.
fn model(service: &str) -> String {
    format!(
        r#"
[model]
name = "entry"
start_year = 2025
horizon_years = 3
steps_per_year = 1
transition_mode = "annual_matrix"
levels = ["A", "B"]

[[bands]]
name = "all"
lower = 60

[[population]]
band = "all"
counts = {{ A = 1000, B = 0 }}

[entries]
people = 100
mix = {{ A = 0.75, B = 0.25 }}

[[transitions]]
from = "A"
to = "B"
probability = 0.2

[[exits]]
levels = ["B"]
probability = 0.1

{service}
"#
    )
}

const OPERATION: &str = r#"
[[services]]
name = "Operation"
tier = "acute"
funder = "NHS"
unit_cost = 5000
on_entry = { B = 1 }

[[services]]
name = "Aftercare"
tier = "secondary"
funder = "NHS"
unit_cost = 10
use = { A = 0, B = 2 }
on_entry = { B = 0.5 }
"#;

#[test]
fn activity_on_entry_is_the_people_entering_the_level_worked_by_hand() {
    let model = parse(&model(OPERATION));
    let futures = run_futures(&model, &[]).unwrap();
    let t = &futures[0].trajectory;
    let nl = 2;
    // Entries arrive through each step and are counted at its end: with
    // one step a year, A holds its people at the start of the year and 75
    // more arrive by its end; the moves A → B are 0.2 of A at the start.
    let mut a = 1000.0;
    let mut b = 0.0;
    for k in 0..3 {
        let moved = 0.2 * a;
        let entered_b = moved + 25.0;
        let year = &t.years[k];
        assert!((year.flows[1] - moved).abs() < 1e-9);
        assert_eq!(year.flows.len(), nl * nl);
        let operations = year.activity[0];
        assert!(
            (operations - entered_b).abs() < 1e-9,
            "year {k}: {operations} operations, expected {entered_b}"
        );
        // Aftercare: 2 a person-year in B (half-cycle) and half a unit on entry.
        let b_next = b * 0.9 + moved + 25.0;
        let a_next = a * 0.8 + 75.0;
        let person_years_b = 0.5 * (b + b_next);
        let aftercare = year.activity[1];
        let expected = 2.0 * person_years_b + 0.5 * entered_b;
        assert!(
            (aftercare - expected).abs() < 1e-9,
            "year {k}: aftercare {aftercare}, expected {expected}"
        );
        (a, b) = (a_next, b_next);
    }
}

#[test]
fn a_model_without_entry_costs_is_unchanged_by_them() {
    // The same service by use alone, with and without an on_entry of 0.
    let by_use = r#"
[[services]]
name = "Aftercare"
tier = "secondary"
funder = "NHS"
unit_cost = 10
use = { A = 0, B = 2 }
"#;
    let with_zero = by_use.replace("use = { A = 0, B = 2 }", "use = { A = 0, B = 2 }\non_entry = { B = 0 }");
    let (plain, zero) = (parse(&model(by_use)), parse(&model(&with_zero)));
    let a = run_futures(&plain, &[]).unwrap();
    let b = run_futures(&zero, &[]).unwrap();
    assert_eq!(a[0].trajectory, b[0].trajectory);
}

#[test]
fn bad_entry_costs_are_refused_naming_the_line() {
    let cases = [
        (
            OPERATION.replace("on_entry = { B = 1 }", "on_entry = { C = 1 }"),
            "unknown level",
        ),
        (
            OPERATION.replace("on_entry = { B = 1 }", "on_entry = { B = -1 }"),
            "on entry to `B`",
        ),
        (
            OPERATION.replace(
                "on_entry = { B = 1 }",
                "on_entry = { B = { dist = \"gamma\", mean = 1, sd = 0.1 } }",
            ),
            "is a distribution",
        ),
        (
            OPERATION.replace("on_entry = { B = 1 }", "on_entry = { B = 1 }\ncapacity = 100"),
            "has a capacity",
        ),
    ];
    for (service, expected) in cases {
        let text = model(&service);
        let message = match upstream::scenario::parse(Path::new("entry.toml"), &text, String::new()) {
            Ok(_) => panic!("should be refused:\n{text}"),
            Err(e) => e.to_string(),
        };
        assert!(message.contains(expected), "expected {expected:?} in\n{message}");
        let line = message.strip_prefix("entry.toml:").and_then(|m| m.split(':').next());
        assert!(
            line.is_some_and(|l| l.parse::<usize>().is_ok()),
            "no line in\n{message}"
        );
    }
}

/// Units on entry by calendar year: each year's entries at that year's
/// units (a value holds until the next year given).
#[test]
fn activity_on_entry_may_change_by_calendar_year() {
    let by_year = OPERATION.replace("on_entry = { B = 1 }", "on_entry = { B = { 2025 = 1, 2026 = 3 } }");
    let (plain, yearly) = (parse(&model(OPERATION)), parse(&model(&by_year)));
    let plain = run_futures(&plain, &[]).unwrap();
    let yearly = run_futures(&yearly, &[]).unwrap();
    for (k, factor) in [1.0, 3.0, 3.0].into_iter().enumerate() {
        let (once, now) = (
            plain[0].trajectory.years[k].activity[0],
            yearly[0].trajectory.years[k].activity[0],
        );
        assert!(
            (now - factor * once).abs() < 1e-9 * once,
            "year {k}: {now} against {factor} × {once}"
        );
    }
    // Given at the start, a number by year is refused: it counts once.
    let text = model(&OPERATION.replace(
        "on_entry = { B = 1 }",
        "on_entry = { B = 1 }\nat_start = { A = { 2025 = 1 } }",
    ));
    let message = match upstream::scenario::parse(Path::new("entry.toml"), &text, String::new()) {
        Ok(_) => panic!("should be refused:\n{text}"),
        Err(e) => e.to_string(),
    };
    assert!(message.contains("counts once"), "{message}");
}
