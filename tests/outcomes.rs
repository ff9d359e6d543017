//! Health outcomes (`[outcomes]`) against hand-worked cohorts and closed
//! forms; and a model without them running exactly as before.

mod common;

use common::{close, parse_at, parse_error_at, summary, value};
use std::collections::BTreeMap;
use std::path::Path;
use upstream::model::Model;

fn parse(text: &str) -> Model {
    parse_at(Path::new("outcomes.toml"), text)
}

fn parse_error(text: &str) -> String {
    parse_error_at(Path::new("outcomes.toml"), text)
}

/// Three levels and an exit, one step a year, the figures as the one-year
/// matrix; a service priced per person-year; a scheme halving L1 → L2 and
/// raising L1's quality weight by a tenth for everyone in L1, at 4 a
/// participant-year. Costs at 3.5 %, health at 1.5 %, both at the year's end.
const COHORT: &str = r#"
[model]
name = "cohort"
start_year = 2025
horizon_years = 4
steps_per_year = 1
transition_mode = "annual_matrix"
occupancy = "half_cycle"
discount_rate = 0.035
discount_timing = "end"
levels = ["L1", "L2", "L3"]

[[bands]]
name = "all"
lower = 60

[[population]]
band = "all"
counts = { L1 = 600, L2 = 300, L3 = 100 }

[[transitions]]
from = "L1"
to = "L2"
probability = 0.12
[[transitions]]
from = "L2"
to = "L3"
probability = 0.10
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

[[services]]
name = "Care"
tier = "acute"
funder = "NHS"
unit_cost = 100
use = { L1 = 1, L2 = 5, L3 = 20 }

[[interventions]]
name = "Scheme"
funder = "Council"
tier = "primary"
target_levels = ["L1"]
reach = 1
start_year = 2025
cost_per_participant = 4

[[interventions.effects]]
from = "L1"
to = "L2"
relative_risk = 0.5

[[interventions.effects]]
utility = 1.1

[[scenarios]]
name = "scheme"
interventions = ["Scheme"]

[outcomes]
utility = { L1 = 0.9, L2 = 0.7, L3 = 0.4 }
discount_rate = 0.015
life_expectancy_age = 60
healthy_levels = ["L1"]
willingness_to_pay = [20000, 30000]
"#;

/// One year of the cohort: row vector × the one-year matrix (L1 → L2 at
/// `p12`), giving the year-end stocks.
fn cohort_year(v: [f64; 3], p12: f64) -> [f64; 3] {
    let p = [
        [1.0 - p12 - 0.03, p12, 0.0],
        [0.0, 1.0 - 0.10 - 0.06, 0.10],
        [0.0, 0.08, 1.0 - 0.08 - 0.10],
    ];
    let mut next = [0.0; 3];
    for from in 0..3 {
        for to in 0..3 {
            next[to] += v[from] * p[from][to];
        }
    }
    next
}

/// Per year: (person-years by level, QALYs, service spend, scheme cost).
fn by_hand(p12: f64, l1_weight: f64, scheme: bool) -> Vec<([f64; 3], f64, f64, f64)> {
    by_hand_weighted(p12, [l1_weight, 0.7, 0.4], scheme)
}

fn by_hand_weighted(p12: f64, weights: [f64; 3], scheme: bool) -> Vec<([f64; 3], f64, f64, f64)> {
    let mut v = [600.0, 300.0, 100.0];
    let mut years = Vec::new();
    for _ in 0..4 {
        let next = cohort_year(v, p12);
        let py: [f64; 3] = std::array::from_fn(|l| (v[l] + next[l]) / 2.0);
        let qalys = py[0] * weights[0] + py[1] * weights[1] + py[2] * weights[2];
        let spend = 100.0 * (py[0] + 5.0 * py[1] + 20.0 * py[2]);
        let cost = if scheme { 4.0 * py[0] } else { 0.0 };
        years.push((py, qalys, spend, cost));
        v = next;
    }
    years
}

#[test]
fn a_three_state_cohort_with_utilities_and_two_discount_rates_is_worked_by_hand() {
    let model = parse(COHORT);
    let rows = summary(&model);
    let base = by_hand(0.12, 0.9, false);
    let scheme = by_hand(0.06, 0.99, true);
    let health = |t: usize| 1.015_f64.powi(-(t as i32 + 1));
    let money = |t: usize| 1.035_f64.powi(-(t as i32 + 1));
    for (f, years) in [(0, &base), (1, &scheme)] {
        for (t, (py, qalys, ..)) in years.iter().enumerate() {
            let year = (2025 + t).to_string();
            close(value(&rows, f, &year, "qalys"), *qalys, &format!("{f} {year} QALYs"));
            close(
                value(&rows, f, &year, "life_years"),
                py.iter().sum(),
                &format!("{f} {year} life-years"),
            );
            for (l, level) in ["L1", "L2", "L3"].iter().enumerate() {
                close(
                    value(&rows, f, &year, &format!("years_in_level:{level}")),
                    py[l],
                    &format!("{f} {year} years in {level}"),
                );
            }
            close(
                value(&rows, f, &year, "outcome_discount_factor"),
                health(t),
                "health's discount factor",
            );
        }
        let discounted: f64 = years.iter().enumerate().map(|(t, y)| y.1 * health(t)).sum();
        close(
            value(&rows, f, "all", "qalys_discounted"),
            discounted,
            "discounted QALYs",
        );
        let life: f64 = years
            .iter()
            .enumerate()
            .map(|(t, y)| y.0.iter().sum::<f64>() * health(t))
            .sum();
        close(
            value(&rows, f, "all", "life_years_discounted"),
            life,
            "discounted life-years",
        );
        close(
            value(&rows, f, "all", "qalys_per_person_at_start"),
            discounted / 1000.0,
            "QALYs per person at the start",
        );
    }
    let gained: f64 = (0..4).map(|t| (scheme[t].1 - base[t].1) * health(t)).sum();
    let cost: f64 = (0..4).map(|t| (scheme[t].2 + scheme[t].3 - base[t].2) * money(t)).sum();
    close(value(&rows, 1, "all", "incremental_qalys"), gained, "incremental QALYs");
    close(value(&rows, 1, "all", "incremental_cost"), cost, "incremental cost");
    for wtp in [20000.0, 30000.0] {
        close(
            value(&rows, 1, "all", &format!("net_monetary_benefit_at:{wtp}")),
            wtp * gained - cost,
            "net monetary benefit",
        );
    }
    let icer = rows[&(1, "all".to_string(), "icer".to_string())];
    if (cost > 0.0) == (gained > 0.0) {
        close(icer.expect("an ICER"), cost / gained, "ICER");
    } else {
        assert_eq!(icer, None, "a dominant future has no ICER");
    }
}

#[test]
fn constant_mortality_gives_the_closed_form_life_expectancy() {
    // One open band, one level, exits at annual probability p: the death
    // rate per person-year the table reads is exits ÷ person-years; in
    // rates mode with many steps that is the hazard −ln(1 − p) (to the
    // discretisation of person-years), so life expectancy is 1 / hazard.
    let p: f64 = 0.05;
    let text = format!(
        r#"
[model]
name = "constant"
start_year = 2025
horizon_years = 1
steps_per_year = 1
transition_mode = "annual_matrix"
occupancy = "half_cycle"
levels = ["Alive"]

[[bands]]
name = "65+"
lower = 65

[[population]]
band = "65+"
counts = {{ Alive = 1000 }}

[[exits]]
levels = ["Alive"]
probability = {p}

[outcomes]
utility = {{ Alive = 0.8 }}
life_expectancy_age = 65
"#
    );
    let rows = summary(&parse(&text));
    // Half-cycle person-years: 1000 (1 − p/2); deaths 1000 p.
    let rate = p / (1.0 - p / 2.0);
    close(
        value(&rows, 0, "2025", "life_expectancy_at:65"),
        1.0 / rate,
        "life expectancy",
    );
    close(
        value(&rows, 0, "2025", "healthy_life_expectancy_at:65"),
        1.0 / rate,
        "healthy life expectancy (everyone in the one healthy level)",
    );
}

#[test]
fn a_model_without_outcomes_has_the_same_rows_as_with_them_less_the_health_rows() {
    let with = summary(&parse(COHORT));
    let without_text = COHORT
        .split("[outcomes]")
        .next()
        .unwrap()
        .replace("[[interventions.effects]]\nutility = 1.1\n", "");
    let without = summary(&parse(&without_text));
    let health = [
        "life_years",
        "qalys",
        "years_in_level:",
        "life_expectancy_at:",
        "healthy_life_expectancy_at:",
        "outcome_discount_factor",
        "life_years_discounted",
        "qalys_discounted",
        "qalys_per_person_at_start",
        "qalys_per_person_counted",
        "incremental_cost",
        "incremental_qalys",
        "icer",
        "net_monetary_benefit_at:",
    ];
    let is_health = |name: &str| {
        health.iter().any(|h| {
            if h.ends_with(':') {
                name.starts_with(h)
            } else {
                name == *h
            }
        })
    };
    let kept: BTreeMap<_, _> = with.into_iter().filter(|(k, _)| !is_health(&k.2)).collect();
    assert!(
        without.keys().all(|k| !is_health(&k.2)),
        "no health rows without [outcomes]"
    );
    assert_eq!(kept, without, "the other rows are exactly the same");
}

#[test]
fn bad_outcomes_are_refused_naming_the_line() {
    let cases = [
        (
            "utility = { L1 = 0.9, L2 = 0.7, L3 = 0.4 }",
            "utility = { L1 = 0.9, L2 = 0.7 }",
            "no utility for all L3",
        ),
        (
            "utility = { L1 = 0.9, L2 = 0.7, L3 = 0.4 }",
            "utility = { L1 = 1.9, L2 = 0.7, L3 = 0.4 }",
            "outside [−1, 1]",
        ),
        (
            "life_expectancy_age = 60",
            "life_expectancy_age = 62",
            "no band starts at",
        ),
        ("healthy_levels = [\"L1\"]", "healthy_levels = [\"L9\"]", "L9"),
        ("discount_rate = 0.015", "discount_rate = 1.5", "discount_rate is 1.5"),
        (
            "willingness_to_pay = [20000, 30000]",
            "willingness_to_pay = [-1]",
            "willingness_to_pay",
        ),
    ];
    for (from, to, expected) in cases {
        let message = parse_error(&COHORT.replace(from, to));
        assert!(message.contains(expected), "{to}: {message}");
        assert!(message.contains("outcomes.toml:"), "names the file and line: {message}");
    }
    let message = parse_error(COHORT.split("[outcomes]").next().unwrap());
    assert!(message.contains("no `[outcomes]` table"), "{message}");
}

/// The bundled textbook model (`scenarios/hiv-cohort.toml`) against its
/// cohort worked by hand: the published matrix, the relative risk on every
/// move out of a state in the first two cycles, end-of-cycle counting,
/// costs at 6 % from the end of the first cycle, life-years undiscounted.
#[test]
fn the_bundled_textbook_cohort_is_the_hand_computed_markov_model() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/hiv-cohort.toml");
    let model = upstream::scenario::load(&path).expect("loads").model;
    let rows = summary(&model);
    let mono = [
        [0.721, 0.202, 0.067, 0.010],
        [0.0, 0.581, 0.407, 0.012],
        [0.0, 0.0, 0.750, 0.250],
    ];
    let with_rr = |rr: f64| {
        let mut p = mono;
        for (from, row) in p.iter_mut().enumerate() {
            let mut moved = 0.0;
            for (to, x) in row.iter_mut().enumerate() {
                if to != from {
                    *x *= rr;
                    moved += *x;
                }
            }
            row[from] = 1.0 - moved;
        }
        p
    };
    let direct = [1701.0, 1774.0, 6948.0];
    // (discounted cost, life-years) of an arm.
    let arm = |combination: bool| {
        let mut x = [1000.0, 0.0, 0.0];
        let (mut cost, mut life) = (0.0, 0.0);
        for t in 1..=20 {
            let on_drug = combination && t <= 2;
            let p = if on_drug { with_rr(0.509) } else { mono };
            let mut next = [0.0; 3];
            for from in 0..3 {
                for to in 0..3 {
                    next[to] += x[from] * p[from][to];
                }
            }
            x = next;
            let alive: f64 = x.iter().sum();
            let mut year = (0..3).map(|s| x[s] * (direct[s] + 2278.0)).sum::<f64>();
            if on_drug {
                year += 2086.50 * alive;
            }
            cost += year / 1.06_f64.powi(t);
            life += alive;
        }
        (cost, life)
    };
    let (mono_cost, mono_life) = arm(false);
    let (comb_cost, comb_life) = arm(true);
    close(
        value(&rows, 0, "all", "qalys_discounted"),
        mono_life,
        "monotherapy life-years",
    );
    close(
        value(&rows, 1, "all", "qalys_discounted"),
        comb_life,
        "combination life-years",
    );
    close(
        value(&rows, 1, "all", "incremental_cost"),
        comb_cost - mono_cost,
        "incremental cost",
    );
    close(
        value(&rows, 1, "all", "icer"),
        (comb_cost - mono_cost) / (comb_life - mono_life),
        "ICER",
    );
}

#[test]
fn a_scenario_may_override_a_quality_weight() {
    let text = COHORT.replace(
        "interventions = [\"Scheme\"]\n",
        "interventions = [\"Scheme\"]\n[scenarios.overrides]\n\"outcomes.utility.L2\" = 0.5\n",
    );
    let rows = summary(&parse(&text));
    let scheme = by_hand_weighted(0.06, [0.99, 0.5, 0.4], true);
    for (t, (_, qalys, ..)) in scheme.iter().enumerate() {
        let year = (2025 + t).to_string();
        close(
            value(&rows, 1, &year, "qalys"),
            *qalys,
            "the scenario's QALYs with L2 at 0.5",
        );
    }
    let base = by_hand(0.12, 0.9, false);
    close(value(&rows, 0, "2025", "qalys"), base[0].1, "do-nothing keeps 0.7");
    let message = parse_error(&text.replace("\"outcomes.utility.L2\" = 0.5", "\"outcomes.utility.L2\" = 5"));
    assert!(message.contains("quality weight"), "{message}");
}

/// Runs the binary on `scenarios/FILE` into a fresh folder, with `args`.
fn run_cli(file: &str, args: &[&str]) -> std::path::PathBuf {
    let out = std::env::temp_dir().join(format!("upstream-outcomes-{}-{}", std::process::id(), args.len()));
    let _ = std::fs::remove_dir_all(&out);
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(file);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_upstream"))
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("runs");
    assert!(status.success(), "upstream run {file} {args:?}");
    out
}

/// `cost-effectiveness.csv` as (section, item, wtp, metric) → value.
fn ce_rows(out: &Path) -> BTreeMap<(String, String, String, String), f64> {
    let mut reader = csv::Reader::from_path(out.join("cost-effectiveness.csv")).expect("cost-effectiveness.csv");
    reader
        .records()
        .map(|r| {
            let r = r.expect("a row");
            let key = (r[0].to_string(), r[1].to_string(), r[2].to_string(), r[3].to_string());
            (key, r[4].parse().expect("a number"))
        })
        .collect()
}

#[test]
fn a_run_with_outcomes_writes_its_cost_effectiveness_analysis() {
    // Deterministic: each future's cost, QALYs and place on the frontier.
    let out = run_cli("hiv-cohort.toml", &[]);
    let rows = ce_rows(&out);
    let get = |s: &str, i: &str, w: &str, m: &str| rows[&(s.into(), i.into(), w.into(), m.into())];
    assert_eq!(get("strategy", "combination", "", "on_frontier"), 1.0);
    let icer = get("strategy", "combination", "", "frontier_icer");
    let cost = get("strategy", "combination", "", "cost") - get("strategy", "do-nothing", "", "cost");
    let qalys = get("strategy", "combination", "", "qalys") - get("strategy", "do-nothing", "", "qalys");
    close(icer, cost / qalys, "the frontier's ICER");
    assert_eq!(get("decision", "combination", "20000", "cost_effective"), 1.0);
    assert!(
        !rows.keys().any(|k| k.0 == "ceac"),
        "no acceptability curves without draws"
    );
    assert!(!out.join("savi").exists());
    let _ = std::fs::remove_dir_all(&out);

    // Under draws: the acceptability curves sum to 1, EVPPI within [0, EVPI],
    // and the SAVI files hold a row a draw.
    let out = run_cli("hiv-cohort.toml", &["--draws", "300"]);
    let rows = ce_rows(&out);
    let get = |s: &str, i: &str, w: &str, m: &str| rows[&(s.into(), i.into(), w.into(), m.into())];
    for wtp in ["0", "5000", "20000", "100000"] {
        let total = get("ceac", "do-nothing", wtp, "probability_cost_effective")
            + get("ceac", "combination", wtp, "probability_cost_effective");
        close(total, 1.0, "the CEAC's shares");
        let evpi = get("evpi", "all", wtp, "evpi");
        assert!(evpi >= 0.0);
        if ["20000", "30000"].contains(&wtp) {
            for group in ["lamivudine effect", "service.Direct medical costs.unit_cost"] {
                let evppi = get("evppi", group, wtp, "evppi");
                assert!(
                    (0.0..=evpi * (1.0 + 1e-9)).contains(&evppi),
                    "{group} at {wtp}: {evppi} of {evpi}"
                );
            }
        }
    }
    for (file, columns) in [("parameters.csv", 7), ("costs.csv", 2), ("effects.csv", 2)] {
        let text = std::fs::read_to_string(out.join("savi").join(file)).expect("a SAVI file");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 301, "{file}: a header and a row a draw");
        assert!(lines.iter().all(|l| l.split(',').count() == columns), "{file}");
    }
    for chart in ["ce-plane", "ceac", "evppi"] {
        assert!(out.join("charts").join(format!("{chart}.svg")).exists(), "{chart}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_report_and_workbook_show_the_cost_effectiveness_analysis() {
    let out = run_cli("hiv-cohort.toml", &["--draws", "100", "--report", "--seed", "7"]);
    let report = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(report.contains("<section id=\"health\">"), "the health section");
    assert!(report.contains("Combination therapy"), "futures by their titles");
    assert!(report.contains("id=\"ceac\""), "the acceptability curves");
    use calamine::{Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(out.join("results.xlsx")).expect("results.xlsx");
    let sheet = book.worksheet_range("Cost-effectiveness").expect("the sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[1][0], "do-nothing");
    assert_eq!(rows[2][0], "combination");
    assert_eq!(rows[2][5], "on the frontier");
    assert!(rows.iter().any(|r| r[0] == "EVPI: all uncertainty"));
    assert!(rows.iter().any(|r| r[0] == "EVPPI: lamivudine effect"));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_file_may_choose_groups_of_inputs_for_evppi() {
    let dir = tempfile::tempdir().expect("a folder");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/hiv-cohort.toml"))
        .expect("the example")
        .replace(
            "discount_rate = 0\n",
            "discount_rate = 0\nevppi = [[\"lamivudine effect\", \"service.Direct medical costs.unit_cost\"]]\n",
        );
    let file = dir.path().join("hiv.toml");
    std::fs::write(&file, &text).expect("written");
    let out = dir.path().join("out");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_upstream"))
        .args([
            "run",
            file.to_str().unwrap(),
            "--draws",
            "300",
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("runs");
    assert!(status.success());
    let rows = ce_rows(&out);
    let both = "intervention.Lamivudine.relative_risk.A.B + service.Direct medical costs.unit_cost";
    let key = |item: &str, wtp: &str| {
        (
            "evppi".to_string(),
            item.to_string(),
            wtp.to_string(),
            "evppi".to_string(),
        )
    };
    // The pair is worth at least either alone, and at most EVPI (at the
    // willingness to pay where information is worth most).
    let peak = rows
        .keys()
        .filter(|k| k.0 == "evppi" && k.1 == both && k.3 == "evppi")
        .map(|k| k.2.clone())
        .max_by(|a, b| rows[&key(both, a)].total_cmp(&rows[&key(both, b)]))
        .unwrap_or_else(|| {
            let items: std::collections::BTreeSet<&String> =
                rows.keys().filter(|k| k.0 == "evppi").map(|k| &k.1).collect();
            panic!("the chosen group's rows: {items:?}")
        });
    let evpi = rows[&("evpi".to_string(), "all".to_string(), peak.clone(), "evpi".to_string())];
    let pair = rows[&key(both, &peak)];
    assert!(pair <= evpi * (1.0 + 1e-9), "{pair} of {evpi}");
    for one in ["lamivudine effect", "service.Direct medical costs.unit_cost"] {
        assert!(pair + 1e-6 * evpi >= 0.95 * rows[&key(one, &peak)], "{one}");
    }
    let bad = text.replace("\"lamivudine effect\", ", "\"no such input\", ");
    std::fs::write(&file, bad).expect("written");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_upstream"))
        .args(["check", file.to_str().unwrap()])
        .output()
        .expect("runs");
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("no uncertain input's label or group"), "{message}");
    assert!(message.contains("hiv.toml:"), "names the file and line: {message}");
}

/// Draws of a model with `[outcomes]` and no uncertain input (every draw
/// the same model) run, with the analysis under draws but no EVPPI and no
/// `savi/` (nothing to learn about).
#[test]
fn draws_without_uncertain_inputs_run_with_no_evppi_and_no_savi() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let text = std::fs::read_to_string(root.join("hiv-cohort.toml")).unwrap();
    // Every distribution replaced by its mean.
    let mut fixed = String::new();
    for line in text.lines() {
        match (line.find("{ dist ="), line.find("mean = ")) {
            (Some(start), Some(m)) => {
                let mean: String = line[m + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect();
                let end = start + line[start..].find('}').unwrap() + 1;
                fixed.push_str(&format!("{}{mean}{}\n", &line[..start], &line[end..]));
            }
            _ => fixed.push_str(&format!("{line}\n")),
        }
    }
    assert!(!fixed.contains("dist ="), "{fixed}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fixed.toml");
    std::fs::write(&file, fixed).unwrap();
    let out = dir.path().join("out");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_upstream"))
        .arg("run")
        .arg(&file)
        .args(["--draws", "80", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("cost-effectiveness.csv") && !stdout.contains("savi/"),
        "{stdout}"
    );
    assert!(!out.join("savi").exists());
    let rows = ce_rows(&out);
    assert!(!rows.keys().any(|(section, ..)| section == "evppi"));
    // A certain decision: EVPI is 0 at every threshold.
    let evpi: Vec<f64> = (rows.iter())
        .filter(|((section, ..), _)| section == "evpi")
        .map(|(_, v)| *v)
        .collect();
    assert!(!evpi.is_empty() && evpi.iter().all(|&v| v == 0.0), "{evpi:?}");
}
