//! Each time point discounted at its own time (`discount_timing =
//! "per_time_point"`) and costs at a start (a service's `at_start`, an
//! intervention's `cost_at_start`): against a cohort worked by hand at 1, 4
//! and 12 steps a year under every occupancy convention, with costs and
//! health at their own rates; and the bad inputs refused naming the line.

mod common;

use common::{close, parse_at, parse_error_at, summary_and_accounts, value};
use std::path::Path;
use upstream::results::outcomes::discounted_cost;

fn parse(text: &str) -> upstream::model::Model {
    parse_at(Path::new("discount.toml"), text)
}

/// One level, an annual probability of 0.2 of leaving (a hazard, so the
/// stock at time t is 1000 × 0.8^t plus the entries since), 100 people
/// entering a year evenly; care at £20 a person-year; an operation (£500)
/// for everyone there at the start and everyone entering; a programme from
/// 2026 reaching half, £100 a participant-year, £1,000 a year and £40 a
/// person reached at its start; quality weight 0.8. Costs at 3.5 %, health
/// at 1.5 %.
fn model(steps: usize, occupancy: &str, timing: &str) -> String {
    format!(
        r#"
[model]
name = "discounting"
start_year = 2025
horizon_years = 4
steps_per_year = {steps}
transition_mode = "rates"
occupancy = "{occupancy}"
discount_rate = 0.035
discount_timing = "{timing}"
levels = ["Alive"]

[[bands]]
name = "all"
lower = 60

[[population]]
band = "all"
counts = {{ Alive = 1000 }}

[entries]
people = 100
mix = {{ Alive = 1 }}

[[exits]]
levels = ["Alive"]
probability = 0.2

[[services]]
name = "Care"
tier = "secondary"
funder = "NHS"
unit_cost = 10
use = {{ Alive = 2 }}

[[services]]
name = "Operation"
tier = "acute"
funder = "NHS"
unit_cost = 500
on_entry = {{ Alive = 1 }}
at_start = {{ Alive = 1 }}

[[interventions]]
name = "Programme"
description = "costs only"
funder = "Council"
tier = "secondary"
target_levels = ["Alive"]
reach = 0.5
start_year = 2026
cost_per_participant = 100
fixed_cost = 1000
cost_at_start = 40

[[scenarios]]
name = "programme"
interventions = ["Programme"]

[outcomes]
utility = {{ Alive = 0.8 }}
discount_rate = 0.015
"#
    )
}

/// What the hand computation gives: per future, the discounted cost and
/// each year's undiscounted spend; the discounted QALYs and life-years.
struct Hand {
    cost: [f64; 2],
    spend: [Vec<f64>; 2],
    qalys: f64,
    life_years: f64,
}

/// The cohort by hand: the stock at each step boundary, each point's
/// weight over the horizon (the convention's) and each year's share of it
/// (a point between two years gives half to each).
fn by_hand(steps: usize, occupancy: &str) -> Hand {
    let years = 4;
    let n = years * steps;
    let dt = 1.0 / steps as f64;
    let mut x = vec![1000.0];
    for j in 0..n {
        x.push(x[j] * 0.8_f64.powf(dt) + 100.0 * dt);
    }
    let w: Vec<f64> = (0..=n)
        .map(|p| match occupancy {
            "start" => f64::from(u8::from(p < n)),
            "end" => f64::from(u8::from(p > 0)),
            "half_cycle" if p == 0 || p == n => 0.5,
            "half_cycle" => 1.0,
            "simpson" if p == 0 || p == n => 1.0 / 3.0,
            "simpson" if p % 2 == 1 => 4.0 / 3.0,
            "simpson" => 2.0 / 3.0,
            _ => unreachable!(),
        })
        .collect();
    // Year y's share of point p's weight: a point between two years to the
    // year it starts ("start") or ends ("end"), else half to each.
    let share = |y: usize, p: usize| -> f64 {
        let (first, last) = (y * steps, (y + 1) * steps);
        match occupancy {
            "start" => f64::from(u8::from(first <= p && p < last)),
            "end" => f64::from(u8::from(first < p && p <= last)),
            _ if p < first || p > last => 0.0,
            _ if (p == first && p > 0) || (p == last && p < n) => w[p] / 2.0,
            _ => w[p],
        }
    };
    let cost_d = |t: f64| 1.035_f64.powf(-t);
    let health_d = |t: f64| 1.015_f64.powf(-t);
    let time = |p: usize| p as f64 * dt;
    let person_years = |y: usize| dt * (0..=n).map(|p| share(y, p) * x[p]).sum::<f64>();
    let discounted_years = |d: &dyn Fn(f64) -> f64| dt * (0..=n).map(|p| w[p] * d(time(p)) * x[p]).sum::<f64>();
    // Do-nothing: care, the operation for the 1,000 at the start (time 0)
    // and for the 100 entering each year (at its end).
    let care = 20.0 * discounted_years(&cost_d);
    let operations: f64 = 500.0 * 1000.0 + (0..years).map(|y| 500.0 * 100.0 * cost_d(y as f64 + 1.0)).sum::<f64>();
    let base = care + operations;
    let base_spend: Vec<f64> = (0..years)
        .map(|y| 20.0 * person_years(y) + 500.0 * 100.0 + if y == 0 { 500.0 * 1000.0 } else { 0.0 })
        .collect();
    // The programme from 2026: half the person-years at £100 point by
    // point, £1,000 at each year's end, £40 for half the people there at
    // the start of 2026.
    let participants_d = 0.5
        * dt
        * (0..=n)
            .map(|p| (1..years).map(|y| share(y, p)).sum::<f64>() * cost_d(time(p)) * x[p])
            .sum::<f64>();
    let programme = 100.0 * participants_d
        + (1..years).map(|y| 1000.0 * cost_d(y as f64 + 1.0)).sum::<f64>()
        + 40.0 * 0.5 * x[steps] * cost_d(1.0);
    let programme_spend: Vec<f64> = (0..years)
        .map(|y| match y {
            0 => base_spend[0],
            1 => base_spend[1] + 100.0 * 0.5 * person_years(1) + 1000.0 + 40.0 * 0.5 * x[steps],
            _ => base_spend[y] + 100.0 * 0.5 * person_years(y) + 1000.0,
        })
        .collect();
    Hand {
        cost: [base, base + programme],
        spend: [base_spend, programme_spend],
        qalys: 0.8 * discounted_years(&health_d),
        life_years: discounted_years(&health_d),
    }
}

#[test]
fn each_point_at_its_own_time_is_the_cohort_worked_by_hand() {
    for steps in [1, 4, 12] {
        for occupancy in ["start", "end", "half_cycle", "simpson"] {
            let what = |s: &str| format!("{steps} steps, {occupancy}: {s}");
            let model = parse(&model(steps, occupancy, "per_time_point"));
            let (rows, accounts) = summary_and_accounts(&model);
            let hand = by_hand(steps, occupancy);
            for (f, future) in accounts.iter().enumerate() {
                close(discounted_cost(future), hand.cost[f], &what("discounted cost"));
                for (y, spend) in hand.spend[f].iter().enumerate() {
                    close(
                        value(&rows, f, &(2025 + y).to_string(), "spend_total"),
                        *spend,
                        &what(&format!("future {f}, year {y}: spend")),
                    );
                }
                close(value(&rows, f, "all", "qalys_discounted"), hand.qalys, &what("QALYs"));
                close(
                    value(&rows, f, "all", "life_years_discounted"),
                    hand.life_years,
                    &what("life-years"),
                );
            }
            // The programme against do-nothing: its NPV, the incremental
            // cost and the funders' savings all from the same figures.
            let extra = hand.cost[1] - hand.cost[0];
            close(
                value(&rows, 1, "all", "incremental_cost"),
                extra,
                &what("incremental cost"),
            );
            close(value(&rows, 1, "all", "npv"), -extra, &what("NPV"));
            close(
                value(&rows, 1, "all", "discounted_investment"),
                extra,
                &what("discounted investment"),
            );
            close(
                value(&rows, 1, "all", "discounted_gross_saving_funder:NHS"),
                0.0,
                &what("the NHS saves nothing"),
            );
            // The intervention cost table reads the same discounted cost.
            let figures = upstream::evidence::costs::InterventionFigures::of(&model, 0, &accounts[1], &accounts[0]);
            close(
                figures.cost_discounted,
                extra,
                &what("the cost table's discounted cost"),
            );
        }
    }
}

/// With one step a year and states counted at the end, discounting each
/// point at its own time is discounting each year at its end; only the
/// costs at the start differ (at time 0 and at the programme's start).
#[test]
fn end_of_cycle_counting_agrees_with_year_end_discounting_but_for_costs_at_a_start() {
    let text = model(1, "end", "per_time_point");
    let point = summary_and_accounts(&parse(&text)).1;
    let year_end = summary_and_accounts(&parse(&text.replace("per_time_point", "end"))).1;
    // The operations at time 0: £500,000, discounted once at the year's
    // end by "end", not at all point by point.
    let at_start = 500.0 * 1000.0;
    close(
        discounted_cost(&point[0]) - discounted_cost(&year_end[0]),
        at_start * (1.0 - 1.0 / 1.035),
        "do-nothing",
    );
    // The programme's £40 for half the people at the start of 2026: at
    // t = 1 point by point, at t = 2 by "end".
    let x1 = 1000.0 * 0.8 + 100.0;
    close(
        discounted_cost(&point[1]) - discounted_cost(&year_end[1]),
        at_start * (1.0 - 1.0 / 1.035) + 40.0 * 0.5 * x1 * (1.0 / 1.035 - 1.0 / 1.035_f64.powi(2)),
        "the programme",
    );
}

#[test]
fn bad_discounting_and_costs_at_a_start_are_refused_naming_the_line() {
    let text = model(1, "half_cycle", "per_time_point");
    let refused = |text: &str, expected: &str| {
        let message = parse_error_at(Path::new("discount.toml"), text);
        assert!(message.contains(expected), "{message}");
        assert!(message.contains("discount.toml:"), "names the line: {message}");
    };
    refused(
        &text.replace(
            "use = { Alive = 2 }",
            "use = { Alive = 2 }\ncapacity = 100\nwhen_full = { lost = 1 }",
        ),
        "service `Care` has a capacity",
    );
    refused(
        &text.replace("at_start = { Alive = 1 }", "at_start = { Dead = 1 }"),
        "at_start",
    );
    refused(
        &text.replace("at_start = { Alive = 1 }", "at_start = { Alive = -1 }"),
        "at_start",
    );
    refused(
        &text.replace("cost_at_start = 40", "cost_at_start = -40"),
        "cost_at_start",
    );
    refused(
        &text.replace(
            "at_start = { Alive = 1 }",
            "at_start = { Alive = { dist = \"normal\", mean = 1, sd = 0.1 } }",
        ),
        "is a distribution",
    );
    refused(&text.replace("\"per_time_point\"", "\"per_point\""), "per_time_point");
}

/// The programme's cost at its start in year `year` under draws: the mean
/// and standard deviation of its `intervention_cost` row.
fn drawn_intervention_cost(model: &upstream::model::Model, year: i32) -> (f64, f64) {
    use upstream::pipeline::{Request, Run};
    let request = Request {
        draws: 400,
        seed: 11,
        costs: false,
        ..Request::futures_only(Vec::new())
    };
    let run = Run::new(model, request).unwrap();
    let unit = run.unit(None).unwrap();
    let chosen =
        |(f, y, name): &(usize, Option<i32>, String)| *f == 1 && *y == Some(year) && name == "intervention_cost";
    let summary = run.unit_statistics(unit, &chosen, &|_| {}).unwrap();
    let rows: Vec<_> = summary.rows.iter().filter(|r| r.mean.is_some()).collect();
    assert_eq!(rows.len(), 1);
    (rows[0].mean.unwrap(), rows[0].sd.unwrap())
}

#[test]
fn a_cost_at_a_start_may_be_uncertain() {
    let fixed = model(1, "start", "end");
    let cost = |text: &str, year: &str| {
        let (rows, _) = summary_and_accounts(&parse(text));
        value(&rows, 1, year, "intervention_cost")
    };
    // The people it reaches at its start, from the cost with and without it.
    let reached =
        (cost(&fixed, "2026") - cost(&fixed.replace("cost_at_start = 40", "cost_at_start = 0"), "2026")) / 40.0;
    assert!(reached > 400.0, "half of about 900 people: {reached}");
    // Drawn from a gamma of mean 40 and sd 10: only the start year's cost
    // spreads, by the people reached × the draws' spread.
    let text = fixed.replace(
        "cost_at_start = 40",
        "cost_at_start = { dist = \"gamma\", mean = 40, sd = 10 }",
    );
    let uncertain = parse(&text);
    assert_eq!(uncertain.uncertain.len(), 1);
    assert_eq!(uncertain.interventions[0].cost_at_start, 40.0);
    let (mean, sd) = drawn_intervention_cost(&uncertain, 2026);
    let central = cost(&fixed, "2026");
    // (400 draws: the mean within four standard errors, the sd within 20 %.)
    assert!(
        (mean - central).abs() < 4.0 * reached * 10.0 / 20.0,
        "{mean} against {central}"
    );
    assert!(
        (sd / reached - 10.0).abs() < 2.0,
        "sd {sd} for {reached} people reached"
    );
    let (later, later_sd) = drawn_intervention_cost(&uncertain, 2027);
    assert_eq!(later_sd, 0.0);
    close(later, cost(&fixed, "2027"), "the year after, the same in every draw");
    // An override sets it, and a scenario's override of it is its own.
    use upstream::scenario::overrides;
    let path = overrides::parse(&uncertain, "intervention.Programme.cost_at_start").unwrap();
    assert_eq!(overrides::value(&uncertain, &path), Ok(40.0));
    let varied = overrides::vary(&uncertain, "programme", &path, 80.0).unwrap();
    assert!(varied.uncertain.is_empty(), "the override wins over the distribution");
    let (rows, _) = summary_and_accounts(&varied);
    close(
        value(&rows, 1, "2026", "intervention_cost"),
        central + 40.0 * reached,
        "at £80",
    );
    // A distribution that could go below 0 is refused, naming the line.
    let error = parse_error_at(
        Path::new("discount.toml"),
        &fixed.replace(
            "cost_at_start = 40",
            "cost_at_start = { dist = \"normal\", mean = 40, sd = 30 }",
        ),
    );
    assert!(
        error.contains("discount.toml:") && error.contains("cost_at_start"),
        "{error}"
    );
}
