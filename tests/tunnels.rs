//! Time in a level (`[model] tunnels`, `years_in_level`), mortality by
//! single year of age (`[life_table]`) and a cohort's own life expectancy,
//! against hand-worked cohorts; and the total hip replacement model of
//! Briggs, Claxton & Sculpher (2006) against its published figures.

mod common;

use common::{close_within as close, parse_at, summary_and_accounts as summary, value};
use std::path::Path;
use upstream::model::Model;

fn parse(text: &str) -> Model {
    parse_at(Path::new("tunnels.toml"), text)
}

/// Two levels, one of them in three yearly tunnels, with people entering
/// every year: moves out of `Operated` depend on the years spent in it.
const ENTRIES: &str = r#"
[model]
name = "Tunnels with entries"
start_year = 2025
horizon_years = 12
transition_mode = "annual_matrix"
occupancy = "end"
levels = ["Well", "Operated"]
tunnels = { Operated = 3 }
tunnel_outputs = "each"

[[bands]]
name = "adults"
lower = 18

[[population]]
band = "adults"
counts = { Well = 1000, "Operated (year 2)" = 50 }

[[transitions]]
from = "Well"
to = "Operated"
probability = 0.1
[[transitions]]
from = "Operated"
to = "Well"
years_in_level = 1
probability = 0.3
[[transitions]]
from = "Operated"
to = "Well"
years_in_level = 2
probability = 0.2
[[transitions]]
from = "Operated"
to = "Well"
years_in_level = 3
probability = 0.1

[[exits]]
levels = ["Well"]
probability = 0.01
[[exits]]
levels = ["Operated"]
probability = 0.05

[entries]
people = 100
mix = { Well = 0.8, Operated = 0.2 }
"#;

#[test]
fn tunnels_move_people_on_a_year_at_a_time_with_entries() {
    let model = parse(ENTRIES);
    assert_eq!(
        model.levels,
        ["Well", "Operated (year 1)", "Operated (year 2)", "Operated (year 3+)"]
    );
    let (rows, _) = summary(&model);
    // Well, then the years in Operated; entries join at each year's end.
    let mut x = [1000.0, 0.0, 50.0, 0.0];
    let back = [0.3, 0.2, 0.1];
    for t in 0..12 {
        let mut next = [0.0; 4];
        next[0] += x[0] * (1.0 - 0.1 - 0.01);
        next[1] += x[0] * 0.1;
        for k in 0..3 {
            next[0] += x[k + 1] * back[k];
            next[(k + 2).min(3)] += x[k + 1] * (1.0 - back[k] - 0.05);
        }
        next[0] += 80.0;
        next[1] += 20.0;
        x = next;
        let year = (2025 + t).to_string();
        for (l, level) in model.levels.iter().enumerate() {
            let got = value(&rows, 0, &year, &format!("people_level:{level}"));
            close(got, x[l], 1e-12, &format!("{level} at the end of {year}"));
        }
    }
}

/// A one-age cohort with mortality by single year of age.
fn life_table_model(dir: &Path, mode: &str) -> Model {
    let csv: String = (60..70)
        .map(|a| format!("{a},{}\n", 0.01 + 0.002 * f64::from(a - 60)))
        .collect();
    std::fs::write(dir.join("life.csv"), format!("age,probability\n{csv}")).unwrap();
    let text = format!(
        r#"
[model]
name = "Life table"
start_year = 2025
horizon_years = 15
transition_mode = "{mode}"
occupancy = "end"
levels = ["Alive"]

[life_table]
csv = "life.csv"

[[population]]
band = "60"
counts = {{ Alive = 1000 }}

[outcomes]
utility = {{ Alive = 1 }}
discount_rate = 0
cohort_life_expectancy = true
"#
    );
    let path = dir.join("life.toml");
    std::fs::write(&path, text).unwrap();
    upstream::scenario::load(&path).expect("loads").model
}

#[test]
fn a_life_table_cohort_moves_on_a_year_of_age_together() {
    let dir = tempfile::tempdir().unwrap();
    for mode in ["annual_matrix", "rates"] {
        let model = life_table_model(dir.path(), mode);
        assert_eq!(model.bands.len(), 10);
        assert_eq!(model.bands[9].name, "69+");
        let (rows, _) = summary(&model);
        let mut alive = 1000.0;
        let mut years = 0.0;
        for t in 0..15 {
            // The year's rate is that of the age at its start.
            let age = 60 + t.min(9);
            alive *= 1.0 - (0.01 + 0.002 * f64::from(age - 60));
            years += alive;
            let year = (2025 + t).to_string();
            for band in &model.bands {
                let here = band.lower == f64::from((61 + t).min(69));
                let got = value(&rows, 0, &year, &format!("people_band:{}", band.name));
                close(
                    got,
                    if here { alive } else { 0.0 },
                    1e-12,
                    &format!("{mode}: band {} in {year}", band.name),
                );
            }
        }
        close(
            value(&rows, 0, "all", "cohort_life_expectancy"),
            years / 1000.0,
            1e-12,
            &format!("{mode}: the cohort's life expectancy"),
        );
    }
}

/// The THR model worked by hand, per person: for a hazard ratio on the
/// revision hazard, (discounted revision costs, discounted QALYs,
/// undiscounted life-years, each year's successful primary, revision and
/// successful revision).
fn thr_by_hand(hr: f64) -> (f64, f64, f64, Vec<[f64; 3]>) {
    let lambda = (-5.490935_f64 - 0.0367022 * 60.0).exp();
    let gamma = 0.3740968_f64.exp();
    // The book's mortality at age 60 + cycle, by its ten-year groups.
    let mortality = |t: i32| match 60 + t {
        ..65 => 0.0067,
        65..75 => 0.0193,
        75..85 => 0.0535,
        _ => 0.1548,
    };
    let (mut primary, mut success, mut revision, mut revised) = (1.0, vec![0.0; 61], 0.0, 0.0);
    let (mut cost, mut qalys, mut life, mut counts) = (0.0, 0.0, 0.0, Vec::new());
    for t in 1..=60 {
        let m = mortality(t);
        let mut next = vec![0.0; 61];
        let mut next_revision = revised * 0.04;
        let next_revised = revision * (1.0 - 0.02 - m) + revised * (1.0 - 0.04 - m);
        next[1] = primary * 0.98;
        for k in 1..=60 {
            let p = 1.0 - (lambda * hr * ((k as f64).powf(gamma) - ((k + 1) as f64).powf(gamma))).exp();
            next_revision += success[k] * p;
            next[(k + 1).min(60)] += success[k] * (1.0 - p - m);
        }
        (primary, success, revision, revised) = (0.0, next, next_revision, next_revised);
        let successful: f64 = success.iter().sum();
        cost += revision * 5294.0 / 1.06_f64.powi(t);
        qalys += (successful * 0.85 + revision * 0.30 + revised * 0.75) / 1.015_f64.powi(t);
        life += successful + revision + revised;
        counts.push([successful, revision, revised]);
    }
    (cost, qalys, life, counts)
}

#[test]
fn the_hip_replacement_model_is_the_hand_computed_cohort_and_the_published_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/thr-cohort.toml");
    let mut model = upstream::scenario::load(&path).expect("loads").model;
    // Each tunnel's rows, as `tunnel_outputs = "each"` gives them.
    model.set_tunnel_outputs(upstream::model::TunnelOutputs::Each);
    let (rows, accounts) = summary(&model);
    let people = 1000.0;
    let hr = (-1.344474_f64).exp();
    let (standard_cost, standard_qalys, standard_life, standard_counts) = thr_by_hand(1.0);
    let (new_cost, new_qalys, new_life, _) = thr_by_hand(hr);
    // The primary operation at time 0, undiscounted: £394 a person with
    // the standard prosthesis (a service counted for the people there at
    // the start), and NP1's £185 more (its cost at its start).
    let (operation, price) = (394.0, 185.0);

    // The hand computation, to 1e-9.
    let cost = |f: usize| upstream::results::outcomes::discounted_cost(&accounts[f]) / people;
    close(
        cost(0),
        standard_cost + operation,
        1e-9,
        "standard: operation and revisions",
    );
    close(
        cost(1),
        new_cost + operation + price,
        1e-9,
        "NP1: operation, price and revisions",
    );
    // Both in the first year's spend, undiscounted.
    let first = |f: usize| value(&rows, f, "2025", "spend_total") / people;
    let first_revisions = |hr: f64| thr_by_hand(hr).3[0][1] * 5294.0;
    close(
        first(0),
        operation + first_revisions(1.0),
        1e-9,
        "standard: 2025's spend",
    );
    close(
        first(1),
        operation + price + first_revisions(hr),
        1e-9,
        "NP1: 2025's spend",
    );
    close(
        value(&rows, 0, "all", "qalys_discounted") / people,
        standard_qalys,
        1e-9,
        "standard: QALYs",
    );
    close(
        value(&rows, 1, "all", "qalys_discounted") / people,
        new_qalys,
        1e-9,
        "NP1: QALYs",
    );
    close(
        value(&rows, 0, "all", "cohort_life_expectancy"),
        standard_life,
        1e-9,
        "standard: life-years",
    );
    close(
        value(&rows, 1, "all", "cohort_life_expectancy"),
        new_life,
        1e-9,
        "NP1: life-years",
    );
    let icer = (new_cost + price - standard_cost) / (new_qalys - standard_qalys);
    close(value(&rows, 1, "all", "icer"), icer, 1e-9, "ICER");

    // The published figures (the spreadsheet's, as heemod's test of it
    // gives them).
    close(cost(0), 512.434658, 1e-9, "published standard cost");
    close(cost(1), 610.311818, 1e-9, "published NP1 cost");
    close(
        value(&rows, 0, "all", "qalys_discounted") / people,
        14.6531896,
        1e-8,
        "published standard QALYs",
    );
    close(
        value(&rows, 1, "all", "qalys_discounted") / people,
        14.69770986,
        1e-9,
        "published NP1 QALYs",
    );
    close(value(&rows, 1, "all", "icer"), 2198.486665, 1e-9, "published ICER");
    // The spreadsheet's first years of the standard arm, to its 8 decimals.
    let published = [
        [0.98, 0.0, 0.0],
        [0.97265720, 0.0007768, 0.0],
        [0.96516548, 0.00097491, 0.00075606],
        [0.95757109, 0.00115802, 0.00166964],
        [0.93783561, 0.00132115, 0.00268314],
        [0.91838963, 0.00145307, 0.00379326],
        [0.89924305, 0.00157339, 0.00496429],
        [0.88040225, 0.00168398, 0.00618146],
    ];
    for (t, expected) in published.iter().enumerate() {
        let year = (2025 + t).to_string();
        let level = |name: &str| {
            (model.levels.iter())
                .filter(|l| l.starts_with(name))
                .map(|l| value(&rows, 0, &year, &format!("people_level:{l}")))
                .sum::<f64>()
                / people
        };
        let got = [
            level("Successful primary"),
            level("Revision (year 1)"),
            level("Revision (year 2+)"),
        ];
        for s in 0..3 {
            close(
                got[s],
                standard_counts[t][s],
                1e-9,
                &format!("year {year}, state {s}, by hand"),
            );
            assert!(
                (got[s] - expected[s]).abs() <= 5.000001e-9,
                "year {year}, state {s}: {} against the published {}",
                got[s],
                expected[s]
            );
        }
    }
}

#[test]
fn in_rates_mode_a_tunnels_stay_moves_on_too() {
    let model = parse(
        r#"
[model]
name = "Tunnels in rates mode"
start_year = 2025
horizon_years = 5
occupancy = "end"
levels = ["Operated"]
tunnels = { Operated = 3 }
tunnel_outputs = "each"

[[bands]]
name = "adults"
lower = 18

[[population]]
band = "adults"
counts = { Operated = 1000 }

[[exits]]
levels = ["Operated (year 1)"]
probability = 0.1
[[exits]]
levels = ["Operated (year 2)"]
probability = 0.2
[[exits]]
levels = ["Operated (year 3+)"]
probability = 0.3
"#,
    );
    let (rows, _) = summary(&model);
    // A lone hazard moves exactly its annual probability in a year.
    let mut x = [1000.0, 0.0, 0.0];
    for t in 0..5 {
        x = [0.0, x[0] * 0.9, x[1] * 0.8 + x[2] * 0.7];
        let year = (2025 + t).to_string();
        for (l, level) in model.levels.iter().enumerate() {
            let got = value(&rows, 0, &year, &format!("people_level:{level}"));
            close(got, x[l], 1e-12, &format!("{level} at the end of {year}"));
        }
    }
}

/// `ENTRIES` with an intervention that changes the moves out of
/// `Operated`, in every one of its tunnels, by `relative_risk`.
fn with_follow_up(relative_risk: f64) -> Model {
    let text = format!(
        r#"{ENTRIES}
[[interventions]]
name = "Follow-up"
description = "Earlier recovery after the operation"
funder = "NHS"
tier = "secondary"
target_levels = ["Operated"]
reach = 1
start_year = 2025

[[interventions.effects]]
from = "Operated"
to = "Well"
relative_risk = {relative_risk}

[[scenarios]]
name = "follow-up"
interventions = ["Follow-up"]
"#
    );
    parse(&text)
}

#[test]
fn an_override_naming_a_level_with_tunnels_as_a_whole_sets_every_tunnel() {
    use upstream::scenario::overrides;
    let given = summary(&with_follow_up(1.5)).0;
    // The level as the file names it: every tunnel's effect, alike, so the
    // same numbers as the file giving that relative risk.
    let model = with_follow_up(0.8);
    let path = overrides::parse(&model, "intervention.Follow-up.relative_risk.Operated.Well").unwrap();
    assert_eq!(overrides::targets(&model, &path, 1.5).unwrap().len(), 3);
    let varied = overrides::vary(&model, "follow-up", &path, 1.5).unwrap();
    assert_eq!(overrides::value(&varied.scenarios[0].model, &path), Ok(1.5));
    assert_eq!(summary(&varied).0, given);
    // One year of it: that tunnel's effect only (people move on from the
    // second year in it as with 1.5, from the others as with 0.8).
    let path = overrides::parse(&model, "intervention.Follow-up.relative_risk.Operated (year 2).Well").unwrap();
    assert_eq!(overrides::targets(&model, &path, 1.5).unwrap().len(), 1);
    let one_year = summary(&overrides::vary(&model, "follow-up", &path, 1.5).unwrap()).0;
    let flow = |rows: &common::Rows, from: &str| value(rows, 1, "2025", &format!("flow:{from}->Well"));
    close(
        flow(&one_year, "Operated (year 2)"),
        flow(&given, "Operated (year 2)"),
        1e-12,
        "year 2, overridden",
    );
    close(
        flow(&one_year, "Operated (year 2)"),
        0.2 * 1.5 * 50.0,
        1e-12,
        "year 2 by hand",
    );
    // Out of the third year on, 0.1 × 0.8 a year, as the file gives it.
    let stock = value(&one_year, 1, "2025", "people_level:Operated (year 3+)");
    let out = value(&one_year, 1, "2026", "flow:Operated (year 3+)->Well");
    close(out, stock * 0.1 * 0.8, 1e-12, "year 3+, as the file gives it");
    assert!(stock > 0.0);
    // A transition out of the whole level, likewise every tunnel.
    let path = overrides::parse(&model, "transition.adults.Operated.Well").unwrap();
    assert_eq!(overrides::targets(&model, &path, 0.25).unwrap().len(), 3);
    // An unknown level still names the levels there are.
    let path = overrides::parse(&model, "intervention.Follow-up.relative_risk.Operated (year 9).Well").unwrap();
    let error = overrides::targets(&model, &path, 1.5).unwrap_err();
    assert_eq!(
        error,
        "unknown level `Operated (year 9)`; the levels are `Well`, `Operated` (or one year of a level with tunnels, e.g. `Operated (year 1)`)"
    );
}

#[test]
fn the_page_and_the_report_show_an_effect_on_a_level_with_tunnels_once() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/thr-cohort.toml");
    let loaded = upstream::scenario::load(&path).expect("loads");
    let model = &loaded.model;
    let np1 = model.intervention_index("NP1 prosthesis").unwrap();
    assert_eq!(
        model.interventions[np1].effects.len(),
        60,
        "one effect per tunnel in the model"
    );
    let groups = model.effect_groups(np1);
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].effects.len(), 60);
    assert_eq!(groups[0].path, "relative_risk.Successful primary.Revision");
    // One control on the page, for the level as a whole, with the file's
    // spread (its path sets all 60 effects, so a move keeps the spread).
    let info = upstream::serve::edit::model_info(model, 1000);
    let controls = &info.interventions[np1].controls;
    let effects: Vec<&str> = (controls.iter())
        .filter(|c| c.path.contains("relative_risk"))
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(
        effects,
        ["intervention.NP1 prosthesis.relative_risk.Successful primary.Revision"]
    );
    let control = controls.iter().find(|c| c.path == effects[0]).unwrap();
    assert!(
        control.label.starts_with("Moves from Successful primary to Revision"),
        "{}",
        control.label
    );
    assert!(control.spread.is_some(), "the hazard ratio's distribution is shown");
    let parsed = upstream::scenario::overrides::parse(model, effects[0]).unwrap();
    assert_eq!(
        upstream::scenario::overrides::targets(model, &parsed, 0.5)
            .unwrap()
            .len(),
        60
    );
    let mut moved = model.clone();
    upstream::scenario::overrides::shift(&mut moved, &parsed, 0.5).unwrap();
    assert_eq!(
        moved.uncertain.len(),
        model.uncertain.len(),
        "the move keeps the distribution"
    );
    // A model without tunnels: an effect per control, as before.
    let older = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/older-people.toml");
    let older = upstream::scenario::load(&older).expect("loads").model;
    for (n, iv) in older.interventions.iter().enumerate() {
        let groups = older.effect_groups(n);
        assert_eq!(groups.len(), iv.effects.len());
        for (g, effect) in groups.iter().zip(&iv.effects) {
            assert_eq!(g.path, effect.names(&older).0);
            assert_eq!(g.label, effect.names(&older).1);
        }
    }
}
