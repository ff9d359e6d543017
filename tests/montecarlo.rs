//! Monte Carlo runs end to end: statistics against known answers, common
//! random numbers, groups that move together, and determinism.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Runs `upstream run` and returns the output folder.
fn run(tmp: &Path, name: &str, scenario: &Path, args: &[&str]) -> PathBuf {
    let out = tmp.join(name);
    let result = Command::new(env!("CARGO_BIN_EXE_upstream"))
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(&out)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    out
}

/// `summary.csv` as (scenario, year, metric, stat) → value.
fn summary(dir: &Path) -> HashMap<(String, String, String, String), String> {
    let mut reader = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            ((r[0].into(), r[1].into(), r[2].into(), r[3].into()), r[4].into())
        })
        .collect()
}

fn stat(
    s: &HashMap<(String, String, String, String), String>,
    scenario: &str,
    year: &str,
    metric: &str,
    stat: &str,
) -> f64 {
    s.get(&(scenario.into(), year.into(), metric.into(), stat.into()))
        .unwrap_or_else(|| panic!("no {scenario},{year},{metric},{stat}"))
        .parse()
        .unwrap()
}

/// `draws.csv` as columns by header.
fn draws(dir: &Path) -> HashMap<String, Vec<String>> {
    let mut reader = csv::Reader::from_path(dir.join("draws.csv")).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let mut columns: HashMap<String, Vec<String>> = headers.iter().map(|h| (h.clone(), Vec::new())).collect();
    for record in reader.records() {
        for (h, v) in headers.iter().zip(record.unwrap().iter()) {
            columns.get_mut(h).unwrap().push(v.to_string());
        }
    }
    columns
}

/// Spend on `Visit` is 2,000 units × a uniform(10, 30) unit cost: mean
/// 40,000, sd 2,000 × 20 / √12, and percentile p at 2,000 × (10 + 20p).
#[test]
fn statistics_match_the_analytic_values_within_monte_carlo_error() {
    let tmp = tempfile::tempdir().unwrap();
    let n: f64 = 4000.0;
    let dir = run(
        tmp.path(),
        "r",
        &fixture("mc/one-cost.toml"),
        &["--draws", "4000", "--seed", "11"],
    );
    let s = summary(&dir);
    let sd = 2000.0 * 20.0 / 12f64.sqrt();
    let mean = stat(&s, "do-nothing", "2025", "spend_service:Visit", "mean");
    assert!((mean - 40_000.0).abs() < 4.0 * sd / n.sqrt(), "mean {mean}");
    let got_sd = stat(&s, "do-nothing", "2025", "spend_service:Visit", "sd");
    assert!((got_sd - sd).abs() < 0.05 * sd, "sd {got_sd} vs {sd}");
    for (name, p) in [("p5", 0.05), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p95", 0.95)] {
        let expected = 2000.0 * (10.0 + 20.0 * p);
        // Standard error of a sample quantile: √(p(1−p)/n) / density, density 1/40,000.
        let se = (p * (1.0 - p) / n).sqrt() * 40_000.0;
        let got = stat(&s, "do-nothing", "2025", "spend_service:Visit", name);
        assert!((got - expected).abs() < 4.0 * se + 1.0, "{name}: {got} vs {expected}");
    }
    // The deterministic `value` row is the run at the means.
    assert_eq!(stat(&s, "do-nothing", "2025", "spend_service:Visit", "value"), 40_000.0);
}

/// Common random numbers: a scenario with no interventions equals the
/// baseline in every draw, so its savings are exactly zero, not noise.
#[test]
fn an_identical_scenario_differs_by_exactly_zero_in_every_draw() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(
        tmp.path(),
        "r",
        &fixture("mc/one-cost.toml"),
        &["--draws", "50", "--draws-csv"],
    );
    let d = draws(&dir);
    assert_eq!(d["draw"].len(), 50);
    assert!(
        d["same-as-baseline:npv"].iter().all(|v| v == "0"),
        "{:?}",
        d["same-as-baseline:npv"]
    );
    let s = summary(&dir);
    for stat_name in ["mean", "sd", "p5", "p95"] {
        assert_eq!(
            stat(&s, "same-as-baseline", "all", "npv", stat_name),
            0.0,
            "{stat_name}"
        );
        assert_eq!(
            stat(&s, "same-as-baseline", "2026", "net_saving", stat_name),
            0.0,
            "{stat_name}"
        );
    }
}

/// Parameters in one group take the same quantile in each draw, so they
/// rank the draws identically.
#[test]
fn a_group_moves_together() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(
        tmp.path(),
        "r",
        &fixture("mc/one-cost.toml"),
        &["--draws", "200", "--draws-csv"],
    );
    let d = draws(&dir);
    let column = |name: &str| -> Vec<f64> { d[name].iter().map(|v| v.parse().unwrap()).collect() };
    let rank = |v: &[f64]| -> Vec<usize> {
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        order
    };
    let twin = column("param:service.Twin.unit_cost");
    let triplet = column("param:service.Triplet.unit_cost");
    let visit = column("param:service.Visit.unit_cost");
    assert_eq!(rank(&twin), rank(&triplet), "grouped costs must move together");
    assert_ne!(rank(&twin), rank(&visit), "an ungrouped cost must not");
}

/// The same seed gives byte-identical results whatever the thread count;
/// another seed gives other numbers.
#[test]
fn results_do_not_depend_on_threads_and_do_depend_on_the_seed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let capacities = root.join("scenarios").join("bench-national-capacity.toml");
    for file in [fixture("uncertain.toml"), capacities] {
        threads_and_seeds(&file);
    }
}

fn threads_and_seeds(file: &Path) {
    let tmp = tempfile::tempdir().unwrap();
    let file = file.to_path_buf();
    let read = |dir: &Path| {
        (
            std::fs::read(dir.join("summary.csv")).unwrap(),
            std::fs::read(dir.join("draws.csv")).unwrap(),
        )
    };
    let one = read(&run(
        tmp.path(),
        "t1",
        &file,
        &["--draws", "37", "--seed", "5", "--threads", "1", "--draws-csv"],
    ));
    for threads in ["2", "8"] {
        let other = read(&run(
            tmp.path(),
            &format!("t{threads}"),
            &file,
            &["--draws", "37", "--seed", "5", "--threads", threads, "--draws-csv"],
        ));
        assert!(one == other, "{threads} threads changed the results");
    }
    let reseeded = read(&run(
        tmp.path(),
        "s6",
        &file,
        &["--draws", "37", "--seed", "6", "--draws-csv"],
    ));
    assert!(
        one.0 != reseeded.0 && one.1 != reseeded.1,
        "a different seed gave the same numbers"
    );
}

/// A draw's numbers do not depend on which other draws were run beside it.
#[test]
fn a_draw_is_the_same_whatever_the_number_of_draws() {
    let tmp = tempfile::tempdir().unwrap();
    let file = fixture("uncertain.toml");
    let few = draws(&run(
        tmp.path(),
        "few",
        &file,
        &["--draws", "6", "--seed", "3", "--draws-csv"],
    ));
    let many = draws(&run(
        tmp.path(),
        "many",
        &file,
        &["--draws", "41", "--seed", "3", "--draws-csv"],
    ));
    for (name, values) in &few {
        assert_eq!(values[..], many[name][..6], "column {name}");
    }
}

/// Probabilities are reported per year and are proportions of the draws.
#[test]
fn probabilities_of_breaking_even_are_proportions_and_never_fall() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(
        tmp.path(),
        "r",
        &fixture("uncertain.toml"),
        &["--draws", "120", "--seed", "9"],
    );
    let s = summary(&dir);
    let mut previous = 0.0;
    for year in 2025..=2029 {
        let p = stat(
            &s,
            "coaching-cheap",
            &year.to_string(),
            "prob_break_even_by_year",
            "value",
        );
        assert!((0.0..=1.0).contains(&p));
        assert_eq!((p * 120.0).round(), p * 120.0, "{p} is not a share of 120 draws");
        assert!(p >= previous, "P(break-even by {year}) fell");
        previous = p;
        let q = stat(
            &s,
            "coaching-cheap",
            &year.to_string(),
            "prob_net_saving_positive",
            "value",
        );
        assert!((0.0..=1.0).contains(&q));
    }
    assert!(previous > 0.5, "the cheap scenario should usually break even");
}

/// A scenario's draws do not depend on the other scenarios run beside it,
/// even when an earlier one overrides an uncertain number (the override
/// must not leak into later scenarios).
#[test]
fn a_scenario_is_the_same_whatever_else_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let file = fixture("mc/overrides.toml");
    let all = draws(&run(
        tmp.path(),
        "all",
        &file,
        &["--draws", "24", "--seed", "4", "--draws-csv"],
    ));
    let alone = draws(&run(
        tmp.path(),
        "alone",
        &file,
        &["--draws", "24", "--seed", "4", "--draws-csv", "--scenario", "coaching"],
    ));
    for metric in ["npv", "return_per_pound", "break_even_year"] {
        let column = format!("coaching:{metric}");
        assert_eq!(all[&column], alone[&column], "{column}");
    }
    // And the override did take effect in its own scenario.
    assert_ne!(all["certain-effect:npv"], all["coaching:npv"]);
}

/// The batch kernel: each of four lanes, run side by side with different
/// draws, equals that draw run alone, bit for bit, for every future of the
/// bundled examples (the property that makes results independent of
/// threads and batching).
#[test]
fn a_lane_run_beside_others_equals_the_lane_run_alone() {
    use upstream::engine::{LaneCalibration, LaneTrajectory, MatrixCache, simulate_lanes};
    use upstream::params::Layout;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        "older-people.toml",
        "early-years.toml",
        "bench-national.toml",
        "bench-national-capacity.toml",
    ] {
        let model = upstream::scenario::load(&root.join("scenarios").join(file))
            .unwrap()
            .model;
        let futures = upstream::run::run_futures(&model, &[]).unwrap();
        let layout = Layout::for_models(&model, futures.iter().map(|f| f.model));
        // Parameters of draws 0..4 for a future: its own numbers, then the draw's samples.
        let lane_params = |m: &upstream::model::Model, draw: u64| -> Vec<f64> {
            let mut p = layout.central(m);
            let sampled = upstream::montecarlo::sample(&model, 99, draw);
            for u in &m.uncertain {
                for t in &u.targets {
                    for i in layout.indices(m, t) {
                        p[i] = sampled[u.id];
                    }
                }
            }
            p
        };
        let mut batch_baseline = LaneTrajectory::<4>::default();
        let mut alone_baselines: Vec<LaneTrajectory<1>> = vec![LaneTrajectory::default(); 4];
        for (f, future) in futures.iter().enumerate() {
            let lanes: Vec<Vec<f64>> = (0..4).map(|d| lane_params(future.model, d)).collect();
            let packed: Vec<[f64; 4]> = (0..layout.len())
                .map(|i| std::array::from_fn(|l| lanes[l][i]))
                .collect();
            let mut batch = LaneTrajectory::<4>::default();
            let calibration = if f == 0 {
                LaneCalibration::ToProjection
            } else {
                LaneCalibration::Replay(&batch_baseline.migration_by_step)
            };
            let mut cache = MatrixCache::<4>::new(future.model);
            simulate_lanes(
                future.model,
                &layout,
                &packed,
                &future.plan,
                calibration,
                &mut cache,
                &mut batch,
            )
            .unwrap();
            for lane in 0..4 {
                let single: Vec<[f64; 1]> = lanes[lane].iter().map(|&v| [v]).collect();
                let replay: Vec<[f64; 1]> = alone_baselines[lane].migration_by_step.clone();
                let calibration = if f == 0 {
                    LaneCalibration::ToProjection
                } else {
                    LaneCalibration::Replay(&replay)
                };
                let mut alone = LaneTrajectory::<1>::default();
                let mut cache = MatrixCache::<1>::new(future.model);
                simulate_lanes(
                    future.model,
                    &layout,
                    &single,
                    &future.plan,
                    calibration,
                    &mut cache,
                    &mut alone,
                )
                .unwrap();
                let a = batch.lane(future.model, lane);
                let b = alone.lane(future.model, 0);
                assert!(
                    a == b,
                    "{file}, {}: lane {lane} differs when run beside others",
                    future.name
                );
                if f == 0 {
                    alone_baselines[lane] = alone;
                }
            }
            if f == 0 {
                batch_baseline = batch;
            }
        }
    }
}

/// Statistics for chosen rows only are the same as in a full run, and the
/// other rows are left empty.
#[test]
fn statistics_for_chosen_rows_equal_the_full_run() {
    let model =
        upstream::scenario::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/older-people.toml"))
            .unwrap()
            .model;
    let futures = upstream::run::run_futures(&model, &[]).unwrap();
    let specs: Vec<upstream::montecarlo::FutureSpec> =
        futures.iter().map(upstream::montecarlo::FutureSpec::from).collect();
    let options = upstream::montecarlo::Options {
        draws: 40,
        seed: 5,
        percentiles: vec![5.0, 50.0, 95.0],
    };
    let full = upstream::montecarlo::Request::new(upstream::montecarlo::Futures::One(&specs), &options)
        .run(&model)
        .map(|mut s| s.remove(0))
        .unwrap();
    let wanted = |m: &str| m == "npv" || m.starts_with("spend_acute");
    let chosen = |_: usize, key: &upstream::montecarlo::RowKey| wanted(&key.2);
    let some = upstream::montecarlo::Request {
        rows: upstream::montecarlo::Rows::Chosen(&chosen),
        ..upstream::montecarlo::Request::new(upstream::montecarlo::Futures::One(&specs), &options)
    }
    .run(&model)
    .unwrap()
    .remove(0);
    let (accounts, comparisons) = upstream::results::account_futures(&futures);
    let mut r = 0;
    let mut kept = 0;
    upstream::results::rows::visit_summary(&model, &accounts, &comparisons, &mut |_, _, name, _| {
        let name = name();
        if wanted(&name) {
            assert_eq!(some.rows[r], full.rows[r], "{name}");
            kept += 1;
        } else {
            assert_eq!(some.rows[r].mean, None, "{name}");
        }
        r += 1;
    });
    assert!(kept > 10);
    let chance = |s: &upstream::montecarlo::Summary| {
        s.probabilities
            .iter()
            .filter(|p| p.metric == "prob_break_even_by_year")
            .map(|p| p.value)
            .collect::<Vec<_>>()
    };
    assert!(chance(&some).is_empty(), "break-even years were not kept");
    assert!(!chance(&full).is_empty());
}

/// A kind of by-year number takes one slot per simulated year only when some
/// series of that kind changes over time; one slot serves every year otherwise.
#[test]
fn by_year_numbers_take_a_slot_per_year_only_when_they_change() {
    use upstream::params::Layout;
    let model = upstream::scenario::load(&fixture("uncertain.toml")).unwrap().model;
    let layout = Layout::new(&model);
    // Transitions never change over time in this model: one slot.
    assert_eq!(layout.transition(0, 0, 0, 1), layout.transition(4, 0, 0, 1));
    // The old band's Unwell exit does (0.08, then 0.1 from 2027): a slot a year.
    let old_unwell = 3;
    assert_ne!(layout.exit(0, old_unwell), layout.exit(4, old_unwell));
    let central = layout.central(&model);
    assert_eq!(central[layout.exit(1, old_unwell)], 0.08);
    assert_eq!(central[layout.exit(2, old_unwell)], 0.1);
    // An uncertain transition's draw is written once, to its one slot.
    let target = model
        .uncertain
        .iter()
        .flat_map(|u| &u.targets)
        .find(|t| matches!(t, upstream::model::Target::Transition { .. }))
        .expect("the fixture has an uncertain transition");
    assert_eq!(layout.indices(&model, target).len(), 1);
}

/// The draws' values buffer is kept from run to run in a process and not
/// cleared: a run in the room of a larger, different run (its old values
/// still there) gives exactly the statistics of the same run in fresh room.
#[test]
fn a_run_in_an_earlier_runs_room_gives_the_same_statistics() {
    let load = |name: &str| {
        upstream::scenario::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name))
            .unwrap()
            .model
    };
    let run = |model: &upstream::model::Model, draws: u32| {
        let futures = upstream::run::run_futures(model, &[]).unwrap();
        let specs: Vec<upstream::montecarlo::FutureSpec> =
            futures.iter().map(upstream::montecarlo::FutureSpec::from).collect();
        let options = upstream::montecarlo::Options {
            draws,
            seed: 11,
            percentiles: vec![5.0, 50.0, 95.0],
        };
        upstream::montecarlo::Request::new(upstream::montecarlo::Futures::One(&specs), &options)
            .run(model)
            .map(|mut s| s.remove(0))
            .unwrap()
    };
    let (small, large) = (
        load("scenarios/older-people.toml"),
        load("scenarios/bench-national.toml"),
    );
    let first = run(&small, 64);
    // About 12,800 rows × 200 draws: more room than the small run's 64
    // draws need, full of other numbers.
    let other = run(&large, 200);
    assert!(other.rows.len() * 200 > 2 * first.rows.len() * 64);
    let again = run(&small, 64);
    assert_eq!(first.rows, again.rows);
    let values = |s: &upstream::montecarlo::Summary| s.probabilities.iter().map(|p| p.value).collect::<Vec<_>>();
    assert_eq!(values(&first), values(&again));
}
