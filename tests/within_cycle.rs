//! Within-cycle corrections beyond start, end and half-cycle (`[model]
//! occupancy = "simpson"`, `occupancy_weights`): Simpson's rule exact on a
//! cubic occupancy, the weights per time point against the stocks worked by
//! hand, the half-cycle weights giving exactly the half-cycle figures, and
//! weights that do not fit refused naming the file and line.

mod common;

use common::{close, parse_at, parse_error_at, summary, value};
use std::path::Path;
use upstream::model::Model;

fn parse(text: &str) -> Model {
    parse_at(Path::new("cycle.toml"), text)
}

fn parse_error(text: &str) -> String {
    parse_error_at(Path::new("cycle.toml"), text)
}

/// A cubic stock: f(t) = 1000 + 300 t + 40 t² − 2 t³, rising over the
/// first ten years.
fn cubic(t: f64) -> f64 {
    1000.0 + 300.0 * t + 40.0 * t * t - 2.0 * t * t * t
}

fn cubic_integral(n: f64) -> f64 {
    1000.0 * n + 150.0 * n * n + 40.0 / 3.0 * n.powi(3) - 0.5 * n.powi(4)
}

/// One level, no exits, one step a year, and entries each year that raise
/// the stock from f(k) to f(k + 1): the stock at every time point lies on
/// the cubic.
fn cubic_model(horizon: usize, occupancy: &str) -> String {
    let entries: Vec<String> = (0..horizon)
        .map(|k| format!("{} = {}", 2025 + k, cubic(k as f64 + 1.0) - cubic(k as f64)))
        .collect();
    format!(
        r#"
[model]
name = "cubic"
start_year = 2025
horizon_years = {horizon}
steps_per_year = 1
transition_mode = "annual_matrix"
{occupancy}
levels = ["Alive"]

[[bands]]
name = "all"
lower = 0

[[population]]
band = "all"
counts = {{ Alive = 1000 }}

[entries]
people = {{ {} }}
mix = {{ Alive = 1 }}

[[services]]
name = "Care"
tier = "acute"
funder = "NHS"
unit_cost = 7
use = {{ Alive = 1 }}

[outcomes]
utility = {{ Alive = 0.5 }}
"#,
        entries.join(", ")
    )
}

#[test]
fn simpsons_rule_is_exact_on_a_cubic_occupancy() {
    // Even (1/3 rule throughout) and odd (3/8 on the last three) numbers of
    // intervals; both integrate a cubic exactly.
    for horizon in [2, 3, 4, 5, 6, 9] {
        let rows = summary(&parse(&cubic_model(horizon, "occupancy = \"simpson\"")));
        let integral = cubic_integral(horizon as f64);
        let life_years: f64 = (0..horizon)
            .map(|k| value(&rows, 0, &(2025 + k).to_string(), "life_years"))
            .sum();
        close(life_years, integral, &format!("{horizon} years: life-years"));
        let qalys: f64 = (0..horizon)
            .map(|k| value(&rows, 0, &(2025 + k).to_string(), "qalys"))
            .sum();
        close(qalys, 0.5 * integral, &format!("{horizon} years: QALYs"));
        let spend: f64 = (0..horizon)
            .map(|k| value(&rows, 0, &(2025 + k).to_string(), "spend_total"))
            .sum();
        close(spend, 7.0 * integral, &format!("{horizon} years: spend"));
    }
    // The trapezium rule (half-cycle) is not exact on it.
    let rows = summary(&parse(&cubic_model(4, "occupancy = \"half_cycle\"")));
    let trapezium: f64 = (0..4)
        .map(|k| value(&rows, 0, &(2025 + k).to_string(), "life_years"))
        .sum();
    assert!((trapezium - cubic_integral(4.0)).abs() > 1.0, "{trapezium}");
}

/// One level leaving at 20 % a year (the one-year matrix, so its exact
/// root at four steps a year): the stock at point p (p steps from the
/// start) is 1000 × 0.8^(p/4).
fn decay_model(horizon: usize, occupancy: &str) -> String {
    format!(
        r#"
[model]
name = "decay"
start_year = 2025
horizon_years = {horizon}
steps_per_year = 4
transition_mode = "annual_matrix"
discount_rate = 0.035
{occupancy}
levels = ["Alive"]

[[bands]]
name = "all"
lower = 0

[[population]]
band = "all"
counts = {{ Alive = 1000 }}

[[exits]]
probability = 0.2

[[services]]
name = "Care"
tier = "acute"
funder = "NHS"
unit_cost = 3
use = {{ Alive = 1 }}

[outcomes]
utility = {{ Alive = 0.75 }}
discount_rate = 0.015
"#
    )
}

/// Each year's person-years by hand: the points' weights shared between
/// the steps (half each way between two steps, whole at the ends).
fn by_hand(weights: &[f64], steps: usize) -> Vec<f64> {
    let stock = |p: usize| 1000.0 * 0.8_f64.powf(p as f64 / steps as f64);
    let n = weights.len() - 1;
    let share = |p: usize| if p == 0 || p == n { weights[p] } else { 0.5 * weights[p] };
    (0..n / steps)
        .map(|k| {
            (0..steps)
                .map(|s| {
                    let p = k * steps + s;
                    (share(p) * stock(p) + share(p + 1) * stock(p + 1)) / steps as f64
                })
                .sum()
        })
        .collect()
}

#[test]
fn weights_per_time_point_count_each_years_person_years_as_worked_by_hand() {
    let simpson_weights = |n: usize| -> Vec<f64> {
        (0..=n)
            .map(|p| match p {
                0 => 1.0 / 3.0,
                p if p == n => 1.0 / 3.0,
                p if p % 2 == 1 => 4.0 / 3.0,
                _ => 2.0 / 3.0,
            })
            .collect()
    };
    let given: Vec<f64> = (0..=12).map(|p| 0.6 + 0.05 * p as f64).collect();
    let list = |w: &[f64]| w.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(", ");
    for (occupancy, weights) in [
        ("occupancy = \"simpson\"".to_string(), simpson_weights(12)),
        (format!("occupancy_weights = [{}]", list(&given)), given.clone()),
    ] {
        let rows = summary(&parse(&decay_model(3, &occupancy)));
        let years = by_hand(&weights, 4);
        let mut total = 0.0;
        let (mut qalys, mut spend) = (0.0, 0.0);
        for (k, py) in years.iter().enumerate() {
            let year = (2025 + k).to_string();
            close(
                value(&rows, 0, &year, "life_years"),
                *py,
                &format!("{occupancy}: {year}"),
            );
            close(value(&rows, 0, &year, "qalys"), 0.75 * py, "QALYs");
            close(value(&rows, 0, &year, "spend_total"), 3.0 * py, "spend");
            total += py;
            qalys += 0.75 * py * 1.015_f64.powi(-(k as i32 + 1));
            spend += 3.0 * py * 1.035_f64.powi(-(k as i32 + 1));
        }
        // The years add up to the horizon's dt × Σ w_p × stock_p.
        let whole: f64 = (weights.iter().enumerate())
            .map(|(p, w)| w * 1000.0 * 0.8_f64.powf(p as f64 / 4.0) / 4.0)
            .sum();
        close(total, whole, "the years add up to the weighted sum over the points");
        close(value(&rows, 0, "all", "qalys_discounted"), qalys, "discounted QALYs");
        let spend_discounted: f64 = (0..3_usize)
            .map(|k| value(&rows, 0, &(2025 + k).to_string(), "spend_total") * 1.035_f64.powi(-(k as i32 + 1)))
            .sum();
        close(spend_discounted, spend, "discounted spend");
    }
}

/// `[model]` with the weights per time point that make the half-cycle
/// correction, `[½, 1, …, 1, ½]`, added after `steps_per_year`.
fn with_half_cycle_weights(text: &str, horizon: usize, steps: usize, replace: &str) -> String {
    let mut weights = vec!["1".to_string(); horizon * steps + 1];
    weights[0] = "0.5".into();
    weights[horizon * steps] = "0.5".into();
    let line = format!("occupancy_weights = [{}]", weights.join(", "));
    assert!(text.contains(replace), "{replace}");
    text.replacen(replace, &format!("{replace}\n{line}"), 1)
}

#[test]
fn the_half_cycle_weights_give_exactly_the_half_cycle_figures() {
    // A model with a capacity and a waiting list, four steps a year.
    let path = Path::new("tests/fixtures/capacity.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let weighted = with_half_cycle_weights(&text, 5, 4, "steps_per_year = 4");
    let half = summary(&parse_at(path, &text));
    let by_weights = summary(&parse_at(path, &weighted));
    assert_eq!(half.len(), by_weights.len());
    for (key, a) in &half {
        let b = by_weights[key];
        assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "{key:?}: {a:?} and {b:?}");
    }
    // The bundled older-people model: four steps a year for fifteen years,
    // calibrated to a projection, with capacities and health outcomes.
    let path = Path::new("scenarios/older-people.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let weighted = with_half_cycle_weights(&text, 15, 4, "steps_per_year = 4");
    let half = summary(&parse_at(path, &text));
    let by_weights = summary(&parse_at(path, &weighted));
    assert_eq!(half.len(), by_weights.len());
    for (key, a) in &half {
        let b = by_weights[key];
        assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "{key:?}: {a:?} and {b:?}");
    }
}

#[test]
fn weights_that_do_not_fit_the_time_points_are_refused_naming_the_line() {
    let text = decay_model(3, "occupancy_weights = [0.5, 1, 1, 0.5]");
    let message = parse_error(&text);
    assert!(message.contains("cycle.toml:"), "names the file and line: {message}");
    assert!(message.contains("has 4 weights"), "{message}");
    assert!(
        message.contains("3 × 4 + 1 = 13"),
        "says what would be valid: {message}"
    );

    let mut weights = vec!["1"; 13];
    weights[5] = "-0.5";
    let message = parse_error(&decay_model(
        3,
        &format!("occupancy_weights = [{}]", weights.join(", ")),
    ));
    assert!(message.contains("negative"), "{message}");
    assert!(message.contains("cycle.toml:"), "{message}");

    let message = parse_error(&decay_model(
        3,
        "occupancy = \"end\"\noccupancy_weights = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
    ));
    assert!(message.contains("occupancy is \"end\""), "{message}");

    let message = parse_error(&decay_model(3, "occupancy = \"weights\""));
    assert!(message.contains("needs the weights"), "{message}");
    assert!(message.contains("cycle.toml:"), "names the line: {message}");
}

#[test]
fn weights_may_come_from_a_table_whose_rows_are_checked() {
    let dir = std::env::temp_dir().join(format!("upstream-cycle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cycle.toml");
    let rows: Vec<String> = (0..=12)
        .map(|p| format!("{p},{}", if p % 2 == 1 { 1.25 } else { 0.75 }))
        .collect();
    std::fs::write(dir.join("weights.csv"), format!("point,weight\n{}\n", rows.join("\n"))).unwrap();
    let text = decay_model(3, "occupancy_weights_csv = \"weights.csv\"");
    let model = parse_at(&path, &text);
    assert_eq!(model.point_weights.as_ref().map(|w| w.weights().len()), Some(13));
    // One row short: the table and its last line are named, with the count it needs.
    std::fs::write(
        dir.join("weights.csv"),
        format!("point,weight\n{}\n", rows[..12].join("\n")),
    )
    .unwrap();
    let message = match upstream::scenario::parse(&path, &text, String::new()) {
        Ok(_) => panic!("a short table should be refused"),
        Err(e) => e.to_string(),
    };
    assert!(
        message.contains("weights.csv: row at line 13"),
        "names the table's last line: {message}"
    );
    assert!(
        message.contains("has 12 weights") && message.contains("= 13"),
        "{message}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_utility_may_be_worse_than_dead_down_to_minus_one_and_beyond_only_when_allowed() {
    let worse = decay_model(1, "").replace("utility = { Alive = 0.75 }", "utility = { Alive = -0.25 }");
    let rows = summary(&parse(&worse));
    assert!(value(&rows, 0, "2025", "qalys") < 0.0);
    let beyond = decay_model(1, "").replace("utility = { Alive = 0.75 }", "utility = { Alive = -1.5 }");
    let message = parse_error(&beyond);
    assert!(message.contains("outside [−1, 1]"), "{message}");
    assert!(
        message.contains("allow_utility_outside_range"),
        "says how to allow it: {message}"
    );
    assert!(message.contains("cycle.toml:"), "names the line: {message}");
    let allowed = beyond.replace(
        "discount_rate = 0.015",
        "discount_rate = 0.015\nallow_utility_outside_range = true",
    );
    let rows = summary(&parse(&allowed));
    assert!(value(&rows, 0, "2025", "qalys") < 0.0);
}

/// The bundled Sick-Sicker model (`scenarios/sick-sicker.toml`, Alarid-
/// Escudero et al. 2023) against its cohort worked by hand from the
/// article's rates: the matrix with moves among survivors, treatment B's
/// hazard ratio on S1 → S2 among survivors, the article's weights per
/// cycle shared between the years, and each cycle point discounted at its
/// own time, (1.03)^−t (`discount_timing = "per_time_point"`), as the
/// article does: its table's figures to every digit it publishes.
#[test]
fn the_bundled_sick_sicker_model_is_the_hand_computed_cohort() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sick-sicker.toml");
    let model = upstream::scenario::load(&path).expect("loads").model;
    let rows = summary(&model);
    let p = |rate: f64| 1.0 - (-rate).exp();
    let (p_hd, p_s1d, p_s2d) = (p(0.002), p(0.006), p(0.02));
    let matrix = |p_s1s2: f64| {
        [
            [(1.0 - p_hd) * (1.0 - p(0.15)), (1.0 - p_hd) * p(0.15), 0.0],
            [
                (1.0 - p_s1d) * p(0.5),
                (1.0 - p_s1d) * (1.0 - (p(0.5) + p_s1s2)),
                (1.0 - p_s1d) * p_s1s2,
            ],
            [0.0, 0.0, 1.0 - p_s2d],
        ]
    };
    let n = 75;
    // The article's gen_wcc(75, "Simpson1/3").
    let mut w: Vec<f64> = (0..=n)
        .map(|t| if t % 2 == 1 { 2.0 / 3.0 } else { 4.0 / 3.0 })
        .collect();
    w[0] = 1.0 / 3.0;
    w[n] = 1.0 / 3.0;
    let utility_a = 0.75 * (1.0 - (1.0 - 0.95 / 0.75));
    // (discounted cost, discounted QALYs) of a strategy.
    let strategy = |a: bool, b: bool| {
        let m = matrix(if b { p(0.105 * 0.6) } else { p(0.105) });
        let mut x = vec![[1.0, 0.0, 0.0]];
        for t in 0..n {
            let v = x[t];
            x.push(std::array::from_fn(|to| (0..3).map(|from| v[from] * m[from][to]).sum()));
        }
        let cost_of = [
            2000.0,
            4000.0 + if a { 12000.0 } else { 0.0 } + if b { 13000.0 } else { 0.0 },
            15000.0 + if a { 12000.0 } else { 0.0 } + if b { 13000.0 } else { 0.0 },
        ];
        let utility = [1.0, if a { utility_a } else { 0.75 }, 0.5];
        // Each point t at its weight and discounted at its own time; each
        // year's undiscounted cost from its two points' shares.
        let mut yearly = vec![0.0; n];
        for k in 0..n {
            let start = if k == 0 { w[0] } else { w[k] / 2.0 };
            let end = if k == n - 1 { w[n] } else { w[k + 1] / 2.0 };
            let py: [f64; 3] = std::array::from_fn(|s| start * x[k][s] + end * x[k + 1][s]);
            yearly[k] = (0..3).map(|s| py[s] * cost_of[s]).sum::<f64>();
        }
        let (mut cost, mut qalys) = (0.0, 0.0);
        for t in 0..=n {
            let d = 1.03_f64.powf(-(t as f64));
            cost += w[t] * d * (0..3).map(|s| x[t][s] * cost_of[s]).sum::<f64>();
            qalys += w[t] * d * (0..3).map(|s| x[t][s] * utility[s]).sum::<f64>();
        }
        (cost, qalys, yearly)
    };
    let soc = strategy(false, false);
    let soc = (soc.0, soc.1);
    // The article's table (costs to the dollar, QALYs to 0.001).
    let published = [
        (151_580.0, 20.711),
        (284_805.0, 21.499),
        (259_100.0, 22.184),
        (378_875.0, 23.137),
    ];
    for (f, (a, b)) in [(false, false), (true, false), (false, true), (true, true)]
        .into_iter()
        .enumerate()
    {
        let (cost, qalys, yearly) = strategy(a, b);
        close(
            value(&rows, f, "all", "qalys_discounted"),
            qalys,
            &format!("future {f}: QALYs"),
        );
        if f > 0 {
            close(
                value(&rows, f, "all", "incremental_cost"),
                cost - soc.0,
                &format!("future {f}: incremental cost"),
            );
            close(
                value(&rows, f, "all", "incremental_qalys"),
                qalys - soc.1,
                &format!("future {f}: incremental QALYs"),
            );
        }
        for (k, spend) in yearly.iter().enumerate() {
            close(
                value(&rows, f, &(2025 + k).to_string(), "spend_total"),
                *spend,
                &format!("future {f}: year {k}'s cost"),
            );
        }
        let (published_cost, published_qalys) = published[f];
        assert!(
            (cost - published_cost).abs() <= 0.5,
            "{f}: {cost} against {published_cost}"
        );
        assert!(
            (qalys - published_qalys).abs() <= 0.0005,
            "{f}: {qalys} against {published_qalys}"
        );
    }
    // The do-nothing future's discounted cost, as the cost-effectiveness
    // analysis reads it.
    let accounts = upstream::results::Accounts::of(&upstream::run::run_futures(&model, &[]).expect("runs")[0]);
    close(
        upstream::results::outcomes::discounted_cost(&accounts),
        soc.0,
        "do-nothing's discounted cost",
    );
}

#[test]
fn transitions_given_survival_needs_the_one_year_matrix_and_rows_that_fit() {
    let text = decay_model(1, "transitions_given_survival = true");
    let model = parse(&text);
    assert!(model.transitions_given_survival);
    let message = parse_error(&text.replace("transition_mode = \"annual_matrix\"", "transition_mode = \"rates\""));
    assert!(
        message.contains("needs transition_mode = \"annual_matrix\""),
        "{message}"
    );
    assert!(message.contains("cycle.toml:"), "names the line: {message}");
    // A move among survivors: its entry is (1 − exit) × p.
    let two = |p: f64| {
        text.replace("levels = [\"Alive\"]", "levels = [\"Alive\", \"Ill\"]")
            .replace(
                "[[exits]]",
                &format!("[[transitions]]\nfrom = \"Alive\"\nto = \"Ill\"\nprobability = {p}\n\n[[exits]]"),
            )
            .replace("use = { Alive = 1 }", "use = { Alive = 1, Ill = 1 }")
            .replace("utility = { Alive = 0.75 }", "utility = { Alive = 0.75, Ill = 0.5 }")
    };
    // Half of those who survive the year fall ill: (1 − 0.2) × 0.5 of 1000.
    let rows = summary(&parse(&two(0.5)));
    close(
        value(&rows, 0, "2025", "people_level:Ill"),
        400.0,
        "ill at the year's end",
    );
    close(
        value(&rows, 0, "2025", "people_level:Alive"),
        400.0,
        "well at the year's end",
    );
    let message = parse_error(&two(1.5));
    assert!(message.contains("1.5"), "{message}");
    assert!(message.contains("cycle.toml:"), "names the line: {message}");
}
