//! Sensitivity and goal seeking against closed forms. In
//! `tests/fixtures/analysis/linear.toml` the NPV is
//!   reach × N × (use × unit_cost × (1 − multiplier) − cost) × D,
//! with N = 1000, use = 4 and D = Σ_{t=1..5} 1.035^−t, and every uncertain
//! input is uniform, so swings, thresholds and rankings are known exactly.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use upstream::analysis::goal_seek::{Goal, Side, goal_seek, thresholds};
use upstream::analysis::sensitivity::{one_way, probabilistic};
use upstream::analysis::{AnalysisError, Metric};
use upstream::model::Model;
use upstream::montecarlo::Options;

const N: f64 = 1000.0;
const USE: f64 = 4.0;
// Means of the uniform inputs.
const COST: f64 = 40.0;
const UNIT: f64 = 40.0;
const REACH: f64 = 0.4;
const MULT: f64 = 0.7;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/analysis/linear.toml")
}

fn model() -> Model {
    upstream::scenario::load(&fixture()).unwrap().model
}

fn discount() -> f64 {
    (1..=5).map(|t| 1.035f64.powi(-t)).sum()
}

fn npv(reach: f64, unit: f64, cost: f64, mult: f64) -> f64 {
    reach * N * (USE * unit * (1.0 - mult) - cost) * discount()
}

fn npv_metric() -> Metric {
    Metric {
        name: "npv".into(),
        year: None,
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

#[test]
fn one_way_swings_and_ranking_are_exact() {
    let model = model();
    let result = one_way(&model, "coaching", None, &npv_metric(), (10.0, 90.0)).unwrap();
    assert!(close(result.central.unwrap(), npv(REACH, UNIT, COST, MULT), 1e-12));
    // P10 and P90 of U(a, b) are a + 0.1 (b − a) and a + 0.9 (b − a).
    let expected = [
        ("intervention.Coaching.multiplier.GP", (0.54, 0.86)),
        ("intervention.Coaching.cost_per_participant", (24.0, 56.0)),
        ("service.GP.unit_cost", (32.0, 48.0)),
        ("intervention.Coaching.reach", (0.24, 0.56)),
    ];
    let labels: Vec<&str> = result.rows.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, expected.map(|(l, _)| l), "ranked by swing");
    for (row, (label, (lo, hi))) in result.rows.iter().zip(expected) {
        assert!(
            close(row.input_low, lo, 1e-12) && close(row.input_high, hi, 1e-12),
            "{label}"
        );
        let at = |x: f64| match label {
            "intervention.Coaching.multiplier.GP" => npv(REACH, UNIT, COST, x),
            "intervention.Coaching.cost_per_participant" => npv(REACH, UNIT, x, MULT),
            "service.GP.unit_cost" => npv(REACH, x, COST, MULT),
            _ => npv(x, UNIT, COST, MULT),
        };
        assert!(close(row.output_low.unwrap(), at(lo), 1e-10), "{label} low");
        assert!(close(row.output_high.unwrap(), at(hi), 1e-10), "{label} high");
        assert!(close(row.swing, (at(hi) - at(lo)).abs(), 1e-10), "{label} swing");
    }
    // Closed-form swings: e.g. the multiplier's is reach × N × use × unit_cost × 0.32 × D.
    let d = discount();
    assert!(close(result.rows[0].swing, REACH * N * USE * UNIT * 0.32 * d, 1e-10));
    assert!(close(result.rows[1].swing, REACH * N * 32.0 * d, 1e-10));
    // The same analysis twice gives the same numbers.
    assert_eq!(
        one_way(&model, "coaching", None, &npv_metric(), (10.0, 90.0)).unwrap(),
        result
    );
}

#[test]
fn a_stated_range_moves_the_inputs_there() {
    let model = model();
    let result = one_way(&model, "coaching", None, &npv_metric(), (25.0, 75.0)).unwrap();
    let cost = result
        .rows
        .iter()
        .find(|r| r.label == "intervention.Coaching.cost_per_participant")
        .unwrap();
    assert!(close(cost.input_low, 30.0, 1e-12) && close(cost.input_high, 50.0, 1e-12));
    assert!(close(cost.swing, REACH * N * 20.0 * discount(), 1e-10));
}

#[test]
fn goal_seek_matches_the_analytic_threshold() {
    let model = model();
    // Break-even cost per participant: use × unit_cost × (1 − multiplier) = 48.
    let target = Goal::parse("npv >= 0").unwrap();
    let r = goal_seek(
        &model,
        "coaching",
        None,
        "intervention.Coaching.cost_per_participant",
        &target,
        None,
    )
    .unwrap();
    let found = r.found.as_ref().unwrap();
    assert!(
        close(found.threshold, USE * UNIT * (1.0 - MULT), 1e-6),
        "{}",
        found.threshold
    );
    assert_eq!(found.side, Side::AtOrBelow);
    assert!(r.met_now);
    assert!(close(r.current, COST, 1e-12));

    // The reach that gives an NPV of £20,000: 20000 / (N × 8 × D).
    let target = Goal::parse("npv >= 20k").unwrap();
    let r = goal_seek(&model, "coaching", None, "intervention.Coaching.reach", &target, None).unwrap();
    let found = r.found.unwrap();
    assert!(close(found.threshold, 20_000.0 / (N * 8.0 * discount()), 1e-6));
    assert_eq!(found.side, Side::AtOrAbove);
    assert!(!r.met_now);
    // Deterministic: the same answer again.
    let again = goal_seek(&model, "coaching", None, "intervention.Coaching.reach", &target, None).unwrap();
    assert_eq!(again.found.unwrap().threshold, found.threshold);
}

#[test]
fn an_impossible_target_says_so() {
    let model = model();
    // Even everyone reached gives N × 8 × D ≈ £36,000.
    let target = Goal::parse("npv >= 1m").unwrap();
    let r = goal_seek(&model, "coaching", None, "intervention.Coaching.reach", &target, None).unwrap();
    assert!(r.found.is_none());
    assert_eq!(r.range, (0.0, 1.0));
    assert!(close(r.ends.1.unwrap(), npv(1.0, UNIT, COST, MULT), 1e-10));
}

#[test]
fn bad_requests_get_clear_messages() {
    let model = model();
    let message = |e: AnalysisError| e.to_string();
    let err = one_way(
        &model,
        "coaching",
        None,
        &Metric {
            name: "spend_acute".into(),
            year: None,
        },
        (10.0, 90.0),
    )
    .unwrap_err();
    assert!(message(err).contains("yearly figure"));
    let err = one_way(
        &model,
        "coaching",
        None,
        &Metric {
            name: "nvp".into(),
            year: None,
        },
        (10.0, 90.0),
    )
    .unwrap_err();
    assert!(message(err).contains("no metric `nvp`"));
    let err = one_way(&model, "nobody", None, &npv_metric(), (10.0, 90.0)).unwrap_err();
    assert!(message(err).contains("nobody"));
    let target = Goal::parse("npv >= 0").unwrap();
    let err = goal_seek(
        &model,
        "coaching",
        None,
        "intervention.Coaching.start_year",
        &target,
        None,
    )
    .unwrap_err();
    assert!(message(err).contains("calendar year"), "year paths are refused");
    let err = goal_seek(&model, "coaching", None, "intervention.Nobody.reach", &target, None).unwrap_err();
    assert!(message(err).contains("Nobody"));
    // A path that names no band or level says so (not the last value tried).
    let err = message(goal_seek(&model, "coaching", None, "transition.Nobody.Well.Unwell", &target, None).unwrap_err());
    assert!(err.starts_with("unknown band `Nobody`"), "{err}");
    let err = message(goal_seek(&model, "coaching", None, "transition.*.Well.Nowhere", &target, None).unwrap_err());
    assert!(err.starts_with("unknown level `Nowhere`"), "{err}");
}

#[test]
fn threshold_table_gives_the_break_even_cost() {
    let table = thresholds(&model(), "coaching", None).unwrap();
    assert_eq!(table.len(), 1);
    assert_eq!(table[0].intervention, "Coaching");
    assert!(close(table[0].break_even_cost.unwrap(), 48.0, 1e-6));
    assert!(table[0].matters);
}

#[test]
fn goal_seek_with_draws_finds_the_order_statistic() {
    // With cost fixed at k, a draw breaks even by the horizon when
    // k ≤ 4 × unit_cost × (1 − multiplier) for its sampled values, so the
    // highest k met in 80% of the draws is the draws' 20th-percentile
    // order statistic of 4 c (1 − m).
    let model = model();
    let options = Options {
        draws: 200,
        seed: 11,
        percentiles: vec![5.0, 95.0],
    };
    let target = Goal::parse("npv >= 0").unwrap();
    let path = "intervention.Coaching.cost_per_participant";
    let r = goal_seek(&model, "coaching", None, path, &target, Some((0.8, &options))).unwrap();
    let found = r.found.unwrap();
    assert_eq!(found.side, Side::AtOrBelow);
    // The draws themselves, of the model with the cost fixed.
    let varied = upstream::scenario::overrides::vary(&model, "coaching", &path.parse().unwrap(), 40.0).unwrap();
    let labels: Vec<&str> = varied.uncertain.iter().map(|u| u.label.as_str()).collect();
    let c = labels.iter().position(|l| *l == "service.GP.unit_cost").unwrap();
    let m = labels
        .iter()
        .position(|l| *l == "intervention.Coaching.multiplier.GP")
        .unwrap();
    let mut limits: Vec<f64> = (0..200)
        .map(|d| {
            let v = upstream::montecarlo::sample(&varied, 11, d);
            USE * v[c] * (1.0 - v[m])
        })
        .collect();
    limits.sort_by(|a, b| b.total_cmp(a));
    // The 160th largest limit: 160 of 200 draws (80%) break even at or below it.
    assert!(
        close(found.threshold, limits[159], 1e-6),
        "{} vs {}",
        found.threshold,
        limits[159]
    );
}

#[test]
fn rank_correlations_have_the_signs_of_the_closed_form() {
    let model = model();
    let options = Options {
        draws: 400,
        seed: 3,
        percentiles: vec![5.0, 95.0],
    };
    let rc = probabilistic(&model, "coaching", None, &npv_metric(), &options, &|_| {}).unwrap();
    let sign = |label: &str| rc.rows.iter().find(|r| r.label == label).unwrap().spearman.signum();
    assert_eq!(sign("intervention.Coaching.cost_per_participant"), -1.0);
    assert_eq!(sign("service.GP.unit_cost"), 1.0);
    assert_eq!(sign("intervention.Coaching.multiplier.GP"), -1.0);
    assert!(rc.rows.iter().all(|r| r.prcc.is_some()));
    // The multiplier moves the NPV most; the reach (whose effect is a product
    // with a net saving per participant near zero on average) least.
    assert_eq!(rc.rows[0].label, "intervention.Coaching.multiplier.GP");
    assert_eq!(rc.rows[3].label, "intervention.Coaching.reach");
    let again = probabilistic(&model, "coaching", None, &npv_metric(), &options, &|_| {}).unwrap();
    assert_eq!(again, rc);
}

fn upstream_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_upstream"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn sensitivity_files_and_the_report_section() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("linear.toml");
    std::fs::copy(fixture(), &file).unwrap();
    let out = upstream_in(
        tmp.path(),
        &["sensitivity", "linear.toml", "--scenario", "coaching", "--draws", "100"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = tmp.path().join("out/linear-sensitivity/coaching--npv");
    for f in [
        "one-way.csv",
        "tornado.png",
        "tornado.svg",
        "rank-correlation.csv",
        "rank-correlation.png",
        "rank-correlation.svg",
        "sensitivity.json",
    ] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    let csv = std::fs::read_to_string(dir.join("one-way.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5);
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("1,intervention.Coaching.multiplier.GP,")
    );

    // The report of a run on the same inputs shows it…
    let out = upstream_in(tmp.path(), &["run", "linear.toml", "--report"]);
    assert_eq!(out.status.code(), Some(0));
    let html = std::fs::read_to_string(tmp.path().join("out/linear/report.html")).unwrap();
    assert!(html.contains("id=\"sensitivity\"") && html.contains("npv in coaching"));
    // Six charts, two maps of the system (the best scenario's and
    // do-nothing's), the pathway map, the tornado and the rank correlations.
    assert_eq!(html.matches("<svg ").count(), 11);
    // …and not once the inputs have changed.
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("min = 30, max = 50", "min = 31, max = 50");
    std::fs::write(&file, text).unwrap();
    let out = upstream_in(tmp.path(), &["run", "linear.toml", "--report"]);
    assert_eq!(out.status.code(), Some(0));
    let html = std::fs::read_to_string(tmp.path().join("out/linear/report.html")).unwrap();
    assert!(!html.contains("id=\"sensitivity\""));
}

#[test]
fn goal_seek_command_reports_and_fails_clearly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = fixture();
    let file = fixture.to_str().unwrap();
    let out = upstream_in(
        dir,
        &[
            "goal-seek",
            file,
            "--scenario",
            "coaching",
            "--vary",
            "intervention.Coaching.cost_per_participant",
            "--target",
            "npv >= 0",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("is at most 48"), "{stdout}");
    let out = upstream_in(
        dir,
        &[
            "goal-seek",
            file,
            "--scenario",
            "coaching",
            "--vary",
            "intervention.Coaching.reach",
            "--target",
            "npv >= 1m",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("No value of intervention.Coaching.reach from 0 to 1"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be met"));
    let out = upstream_in(
        dir,
        &[
            "goal-seek",
            file,
            "--scenario",
            "coaching",
            "--vary",
            "x",
            "--target",
            "npv",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no comparison"));
    let out = upstream_in(dir, &["goal-seek", file, "--scenario", "coaching", "--thresholds"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Coaching"));
}

/// The hip replacement model (`scenarios/thr-cohort.toml`): a goal on the
/// ICER is refused (it has no value where the new prosthesis dominates),
/// with the net monetary benefit goal to ask instead; that goal finds the
/// price premium at which the ICER is exactly the threshold.
#[test]
fn a_goal_on_the_icer_is_refused_for_net_monetary_benefit() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/thr-cohort.toml");
    let model = upstream::scenario::load(&path).expect("loads").model;
    let vary = "intervention.NP1 price.cost_at_start";
    let err = goal_seek(
        &model,
        "new-prosthesis",
        None,
        vary,
        &Goal::parse("icer <= 20000").unwrap(),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("net_monetary_benefit_at:20000 >= 0"), "{err}");
    let target = Goal::parse("net_monetary_benefit_at:20000 >= 0").unwrap();
    let r = goal_seek(&model, "new-prosthesis", None, vary, &target, None).unwrap();
    let found = r.found.expect("a threshold");
    assert_eq!(found.side, Side::AtOrBelow);
    // At the threshold, incremental cost = 20,000 × incremental QALYs: the
    // premium now plus the money the ICER leaves (the cohort is 1,000).
    let rows = common::summary(&model);
    let cost = common::value(&rows, 1, "all", "incremental_cost");
    let qalys = common::value(&rows, 1, "all", "incremental_qalys");
    let expected = 185.0 + (20_000.0 * qalys - cost) / 1000.0;
    assert!(
        close(found.threshold, expected, 1e-6),
        "{} against {expected}",
        found.threshold
    );
}
