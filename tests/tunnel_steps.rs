//! Tunnel levels with finer steps than a year (`[model] tunnels` at 4, 12
//! or 52 steps a year): one tunnel a step, so that people move on to the
//! next year's tunnels once a year spent in the level, exactly. Against
//! cohorts worked by hand: with constant hazards the tunnels add up to the
//! level without them (a two-level chain's closed form), and with a hazard
//! that depends on the years in the level the survival by time in it is
//! its closed form, within the year too.

mod common;

use common::{close_within as close, parse_at, summary_and_accounts};
use std::path::Path;
use upstream::model::Model;
use upstream::results::Accounts;

fn parse(text: &str) -> Model {
    parse_at(Path::new("tunnel_steps.toml"), text)
}

const STEPS: [u32; 4] = [1, 4, 12, 52];

/// Well and Sick, Sick in `tunnels` yearly tunnels (none: 0), constant
/// hazards, in `rates` mode, with people entering.
fn two_levels(steps: u32, tunnels: usize) -> Model {
    let tunnels = if tunnels > 0 {
        format!("tunnels = {{ Sick = {tunnels} }}")
    } else {
        String::new()
    };
    parse(&format!(
        r#"
[model]
name = "Constant hazards"
start_year = 2025
horizon_years = 8
steps_per_year = {steps}
occupancy = "end"
levels = ["Well", "Sick"]
{tunnels}

[[bands]]
name = "adults"
lower = 18

[[population]]
band = "adults"
counts = {{ Well = 1000, Sick = 200 }}

[[transitions]]
from = "Well"
to = "Sick"
probability = 0.1
[[transitions]]
from = "Sick"
to = "Well"
probability = 0.2

[[exits]]
levels = ["Well"]
probability = 0.01
[[exits]]
levels = ["Sick"]
probability = 0.05
"#
    ))
}

/// People in each of `model`'s levels at the end of year `t`, a level
/// with tunnels as a whole (its tunnels summed).
fn by_level(model: &Model, a: &Accounts, t: usize) -> Vec<f64> {
    let row = &a.people_level[t];
    let mut out = Vec::new();
    let mut l = 0;
    while l < model.levels.len() {
        match model.tunnels.iter().find(|t| t.first == l) {
            Some(tunnel) => {
                out.push(row[tunnel.levels()].iter().sum());
                l = tunnel.levels().end;
            }
            None => {
                out.push(row[l]);
                l += 1;
            }
        }
    }
    out
}

/// `exp(M)` of a 2 × 2 matrix, in closed form: with `s` half its trace
/// and `d² = ((m₁₁ − m₂₂)/2)² + m₁₂·m₂₁` (real here: both moves are
/// positive), `e^s·(cosh d·I + sinh d / d·(M − s·I))`.
fn exp2(m: [[f64; 2]; 2]) -> [[f64; 2]; 2] {
    let s = (m[0][0] + m[1][1]) / 2.0;
    let d = (((m[0][0] - m[1][1]) / 2.0).powi(2) + m[0][1] * m[1][0]).sqrt();
    let (c, k) = (d.cosh(), d.sinh() / d);
    let e = s.exp();
    [
        [e * (c + k * (m[0][0] - s)), e * k * m[0][1]],
        [e * k * m[1][0], e * (c + k * (m[1][1] - s))],
    ]
}

#[test]
fn with_constant_hazards_the_tunnels_add_up_to_the_level_at_any_step() {
    // The closed form: the year's moves among the living, exp(Q), Q the
    // intensities −ln(1 − p) among Well and Sick less the exits'.
    let r = |p: f64| -(1.0 - p).ln();
    let q = [[-(r(0.1) + r(0.01)), r(0.1)], [r(0.2), -(r(0.2) + r(0.05))]];
    let year = exp2(q);
    for steps in STEPS {
        let model = two_levels(steps, 4);
        let plain = two_levels(steps, 0);
        let tunnel = &model.tunnels[0];
        assert_eq!(model.levels.len(), 1 + tunnel.levels().len());
        assert_eq!(tunnel.levels().len(), 3 * steps as usize + 1, "{steps} steps");
        let (_, accounts) = summary_and_accounts(&model);
        let (_, plain_accounts) = summary_and_accounts(&plain);
        let mut x = [1000.0, 200.0];
        for t in 0..8 {
            x = [
                x[0] * year[0][0] + x[1] * year[1][0],
                x[0] * year[0][1] + x[1] * year[1][1],
            ];
            let got = by_level(&model, &accounts[0], t);
            let without = by_level(&plain, &plain_accounts[0], t);
            for (l, name) in ["Well", "Sick"].iter().enumerate() {
                let what = format!("{steps} steps: {name} at the end of year {t}");
                close(got[l], x[l], 1e-9, &what);
                close(got[l], without[l], 1e-9, &format!("{what}, against no tunnels"));
            }
        }
    }
}

/// One level in three yearly tunnels, people leaving it with a hazard by
/// the years spent in it (each year's exit named by the year), and a
/// cohort starting in `start` (the level, or one year of it).
fn by_years_in_level(steps: u32, start: &str, mode: &str) -> Model {
    parse(&format!(
        r#"
[model]
name = "Time in a level"
start_year = 2025
horizon_years = 6
steps_per_year = {steps}
transition_mode = "{mode}"
occupancy = "end"
levels = ["Operated"]
tunnels = {{ Operated = 3 }}

[[bands]]
name = "adults"
lower = 18

[[population]]
band = "adults"
counts = {{ "{start}" = 1000 }}

[[exits]]
levels = ["Operated (year 1)"]
probability = 0.1
[[exits]]
levels = ["Operated (year 2)"]
probability = 0.2
[[exits]]
levels = ["Operated (year 3+)"]
probability = 0.3
"#
    ))
}

/// The share of a cohort that entered the level `entered` years before
/// the start still in it `t` years after the start (`t` may be a part of
/// a year): the product over its years in the level of `1 − p` for the
/// whole years and `(1 − p)^share` for the part.
fn survival(entered: f64, t: f64) -> f64 {
    let p = |year: f64| [0.1_f64, 0.2, 0.3][(year as usize).min(2)];
    let (mut at, mut alive) = (entered, 1.0);
    let end = entered + t;
    while at < end - 1e-12 {
        let next = (at.floor() + 1.0).min(end);
        alive *= (1.0 - p(at.floor())).powf(next - at);
        at = next;
    }
    alive
}

#[test]
fn survival_by_time_in_the_level_is_its_closed_form_at_any_step() {
    // In `annual_matrix` mode too: a tunnel no one comes back to keeps
    // the root of its stay each step, so its year's stay exactly.
    let cases = [("Operated", 0.0), ("Operated (year 2)", 1.0)];
    for (steps, mode) in STEPS.iter().flat_map(|&s| [(s, "rates"), (s, "annual_matrix")]) {
        for (start, entered) in cases {
            let model = by_years_in_level(steps, start, mode);
            let tunnel = &model.tunnels[0];
            let (_, accounts) = summary_and_accounts(&model);
            let a = &accounts[0];
            for t in 0..6 {
                let what = format!("{mode}, {steps} steps, from `{start}`, end of year {t}");
                let alive = 1000.0 * survival(entered, t as f64 + 1.0);
                close(by_level(&model, a, t)[0], alive, 1e-9, &what);
                // Everyone is in the first step tunnel of the year they
                // are in, or in the last year's.
                let year = (entered as usize + t + 2).min(3);
                let first = tunnel.year(year).start;
                for l in tunnel.levels() {
                    let expected = if l == first { alive } else { 0.0 };
                    close(a.people_level[t][l], expected, 1e-9, &format!("{what}: tunnel {l}"));
                }
            }
        }
    }
}

#[test]
fn within_the_year_people_move_on_a_step_at_a_time() {
    // People counted at each step's end: with 4 steps a year, the cohort
    // is in the year's j-th step tunnel after j steps, the share left that
    // of j quarters in the level.
    for steps in [4, 12, 52] {
        let text = r#"
[model]
name = "Within the year"
start_year = 2025
horizon_years = 1
steps_per_year = STEPS
occupancy = "end"
levels = ["Operated"]
tunnels = { Operated = 2 }

[[bands]]
name = "adults"
lower = 18

[[population]]
band = "adults"
counts = { Operated = 1000 }

[[exits]]
levels = ["Operated (year 1)"]
probability = 0.1

[outcomes]
utility = { "Operated (year 1)" = 1, "Operated (year 2+)" = 0 }
discount_rate = 0
"#
        .replace("STEPS", &steps.to_string());
        let model = parse(&text);
        let (rows, _) = summary_and_accounts(&model);
        // QALYs by the end of each step: a step's worth of the people at
        // its end, all in year 1's tunnels but at the year's end.
        let k = f64::from(steps);
        let qalys: f64 = (1..steps).map(|j| 1000.0 * survival(0.0, f64::from(j) / k) / k).sum();
        close(
            common::value(&rows, 0, "2025", "qalys"),
            qalys,
            1e-9,
            &format!("{steps} steps: the year's QALYs"),
        );
    }
}

#[test]
fn a_years_moves_and_overrides_apply_to_every_step_of_the_year() {
    // A move out of the second year, by years_in_level, and the same model
    // with that move given by a scenario's override of the year's exit.
    let model = |exit: &str| {
        parse(&format!(
            r#"
[model]
name = "Years in level"
start_year = 2025
horizon_years = 5
steps_per_year = 4
occupancy = "end"
levels = ["Well", "Operated"]
tunnels = {{ Operated = 3 }}

[[bands]]
name = "adults"
lower = 18

[[population]]
band = "adults"
counts = {{ Operated = 1000 }}

[[transitions]]
from = "Operated"
to = "Well"
years_in_level = 2
probability = 0.25
{exit}
[[scenarios]]
name = "override"
interventions = []
[scenarios.overrides]
"exit.*.Operated (year 2)" = 0.2
"#
        ))
    };
    let with = model("[[exits]]\nlevels = [\"Operated (year 2)\"]\nprobability = 0.2\n");
    let without = model("");
    assert_eq!(
        &with.levels[..3],
        ["Well", "Operated (year 1, step 1)", "Operated (year 1, step 2)"]
    );
    assert_eq!(with.levels.last().unwrap(), "Operated (year 3+)");
    let (_, with) = summary_and_accounts(&with);
    let (_, overridden) = summary_and_accounts(&without);
    // In rates mode, the second year's two hazards together.
    let r = |p: f64| -(1.0 - p).ln();
    let (back, exit) = (r(0.25), r(0.2));
    let stay = (-(back + exit)).exp();
    let well = 1000.0 * (1.0 - stay) * back / (back + exit);
    let year = |a: &Accounts, t: usize| (a.people_level[t][0], a.people_level[t][1..].iter().sum::<f64>());
    for (a, what) in [(&with[0], "in the file"), (&overridden[1], "by the override")] {
        let (w1, o1) = year(a, 0);
        close(w1, 0.0, 1e-12, &format!("{what}: Well after a year"));
        close(o1, 1000.0, 1e-12, &format!("{what}: Operated after a year"));
        let (w2, o2) = year(a, 1);
        close(w2, well, 1e-9, &format!("{what}: Well after two years"));
        close(o2, 1000.0 * stay, 1e-9, &format!("{what}: Operated after two years"));
    }
    // The do-nothing without the exit loses no one.
    let (w, o) = year(&overridden[0], 1);
    close(w + o, 1000.0, 1e-12, "without the exit");
}

#[test]
fn a_life_table_still_needs_one_step_a_year() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("life.csv"), "age,probability\n60,0.01\n61,0.02\n").unwrap();
    let text = r#"
[model]
name = "Life table"
start_year = 2025
horizon_years = 3
steps_per_year = 4
levels = ["Alive"]
tunnels = { Alive = 2 }

[life_table]
csv = "life.csv"

[[population]]
band = "60"
counts = { Alive = 1000 }
"#;
    let message = common::parse_error_at(&dir.path().join("life.toml"), text);
    assert!(message.contains("[life_table] needs steps_per_year = 1"), "{message}");
    assert!(!message.contains("tunnels"), "{message}");
}

/// `summary.csv`'s value rows, (scenario, year, metric) → value, of a run
/// of the binary on `file` into `out`.
fn summary_csv(file: &Path, out: &Path) -> std::collections::BTreeMap<(String, String, String), f64> {
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_upstream"))
        .args(["run", file.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut rows = std::collections::BTreeMap::new();
    for line in text.lines().skip(1) {
        // Names have no commas here; a metric may be empty (no value).
        let cells: Vec<&str> = line.split(',').collect();
        if cells[3] != "value" || cells[4].is_empty() {
            continue;
        }
        let key = (cells[0].to_string(), cells[1].to_string(), cells[2].to_string());
        assert!(rows.insert(key, cells[4].parse().unwrap()).is_none(), "{line} twice");
    }
    rows
}

#[test]
fn the_outputs_show_a_level_with_tunnels_as_a_whole_unless_asked_for_each() {
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let dir = tempfile::tempdir().unwrap();
    for csv in ["thr-cohort-revision.csv", "thr-cohort-life-table.csv"] {
        std::fs::copy(scenarios.join(csv), dir.path().join(csv)).unwrap();
    }
    let text = std::fs::read_to_string(scenarios.join("thr-cohort.toml")).unwrap();
    let tunnels = "tunnels = { \"Successful primary\" = 60, \"Revision\" = 2 }\n";
    assert!(text.contains(tunnels));
    let each_file = dir.path().join("each.toml");
    let each_text = text.replace(tunnels, &format!("{tunnels}tunnel_outputs = \"each\"\n"));
    std::fs::write(&each_file, each_text).unwrap();
    let summed = summary_csv(&scenarios.join("thr-cohort.toml"), &dir.path().join("summed"));
    let each = summary_csv(&each_file, &dir.path().join("each"));

    let level = |name: &str| name.split_once(" (year ").map_or(name, |(level, _)| level).to_string();
    // Each row of `each` summed into its level's (moves among a level's
    // own tunnels are not moves between levels).
    let mut expected: std::collections::BTreeMap<(String, String, String), f64> = Default::default();
    for ((future, year, metric), value) in &each {
        let metric = match metric.split_once(':') {
            Some((kind @ ("people_level" | "diff_people_level" | "years_in_level"), name)) => {
                format!("{kind}:{}", level(name))
            }
            Some(("flow", fromto)) => {
                let (from, to) = fromto.split_once("->").unwrap();
                if level(from) == level(to) {
                    continue;
                }
                format!("flow:{}->{}", level(from), level(to))
            }
            _ => metric.clone(),
        };
        *expected.entry((future.clone(), year.clone(), metric)).or_default() += value;
    }
    assert_eq!(
        summed.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the summed file has a row for each row of `each` summed"
    );
    for (key, &value) in &summed {
        close(value, expected[key], 1e-9, &format!("{key:?}"));
    }
    // One row a year for the level as a whole, none for its tunnels.
    let years = |metric: &str| {
        summed
            .keys()
            .filter(|(f, _, m)| f == "do-nothing" && m == metric)
            .count()
    };
    assert_eq!(years("people_level:Successful primary"), 60);
    assert_eq!(years("years_in_level:Revision"), 60);
    assert!(!summed.keys().any(|(_, _, m)| m.contains("(year ")));
    assert!(each.contains_key(&(
        "do-nothing".into(),
        "2030".into(),
        "people_level:Successful primary (year 3)".into()
    )));

    // detail.csv: a row per band and level as a whole, whose people add
    // up (moves among its own tunnels counted neither in nor out), and its
    // people at the end those of its tunnels.
    let detail = |run: &str| std::fs::read_to_string(dir.path().join(run).join("detail.csv")).unwrap();
    let (summed, each) = (detail("summed"), detail("each"));
    let mut people: std::collections::BTreeMap<(String, String, String, String), f64> = Default::default();
    for line in each.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        let key = (c[0].to_string(), c[1].to_string(), c[2].to_string(), level(c[3]));
        *people.entry(key).or_default() += c[5].parse::<f64>().unwrap();
    }
    let mut rows = 0;
    for line in summed.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        assert!(!c[3].contains("(year "), "{line}");
        let x: Vec<f64> = c[4..].iter().map(|v| v.parse().unwrap()).collect();
        let balance = x[0] + x[3] - x[4] - x[5] + x[6] - x[7] + x[8] - x[9] + x[10] - x[1];
        assert!(balance.abs() < 1e-9, "{line}: off by {balance}");
        let key = (c[0].to_string(), c[1].to_string(), c[2].to_string(), c[3].to_string());
        close(x[1], people[&key], 1e-9, &format!("{key:?}"));
        rows += 1;
    }
    assert_eq!(rows, people.len());
}

#[test]
fn the_pathway_map_shows_a_level_with_tunnels_as_a_whole() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/thr-cohort.toml");
    let mut model = upstream::scenario::load(&path).expect("loads").model;
    let names = |model: &Model| model.output_levels.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&model), ["Primary THR", "Successful primary", "Revision"]);
    let map = upstream::evidence::pathways::PathwayMap::of_file(&model);
    let cells = &map.whole().cells;
    assert_eq!(cells.len(), model.bands.len() * 3);
    // NP1 targets Successful primary, every tunnel of it: that level's
    // cells are reached by it, the other levels' are not.
    let np1 = model.intervention_index("NP1 prosthesis").unwrap();
    for c in cells {
        assert_eq!(c.reached_by.contains(&np1), c.level == 1, "{c:?}");
    }
    model.set_tunnel_outputs(upstream::model::TunnelOutputs::Each);
    assert_eq!(names(&model).len(), 3 + 60);
    assert_eq!(names(&model)[61], "Revision (year 1)");
}

#[test]
fn too_many_step_tunnels_are_refused_naming_the_line() {
    let text = r#"
[model]
name = "Too many"
start_year = 2025
horizon_years = 5
steps_per_year = 52
levels = ["Well", "Sick"]
tunnels = { Sick = 60 }

[[bands]]
name = "adults"
lower = 18

[[population]]
band = "adults"
counts = { Well = 100 }
"#;
    let message = common::parse_error_at(Path::new("many.toml"), text);
    assert!(
        message.contains("many.toml:8: tunnels: at 52 steps a year, a tunnel a step, the model would have 3070 levels; it may have at most 1000"),
        "{message}"
    );
    // At 12 steps a year the same 60 years are 709 tunnels, and accepted.
    let model = parse(&text.replace("steps_per_year = 52", "steps_per_year = 12"));
    assert_eq!(model.levels.len(), 1 + 59 * 12 + 1);
}

#[test]
fn the_workshop_page_shows_a_level_with_tunnels_as_a_whole() {
    use serde_json::{Value, json};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/thr-cohort.toml");
    let app = upstream::serve::App::load(&path, None).unwrap();
    let s = upstream::serve::start(app, "127.0.0.1:0".parse().unwrap(), &[], false).unwrap();
    let url = |p: &str| format!("http://{}{p}", s.addr);
    let info: Value = ureq::get(&url("/api/model")).call().unwrap().into_json().unwrap();
    let scenarios: Vec<Value> = (info["scenarios"].as_array().unwrap().iter())
        .map(|sc| {
            json!({"name": sc["name"], "title": sc["title"], "description": sc["description"], "from": sc["from"],
                   "interventions": sc["interventions"], "values": sc["values"], "fixed": sc["fixed"]})
        })
        .collect();
    let answer: Value = ureq::post(&url("/api/run"))
        .send_json(json!({"draws": 0, "scenarios": scenarios}))
        .unwrap()
        .into_json()
        .unwrap();
    let charts = answer["charts"].as_array().unwrap();
    let svg = |id: &str| {
        (charts.iter())
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no {id} in {answer}"))["svg"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for id in ["system-map", "pathway-map"] {
        let svg = svg(id);
        assert!(svg.contains("Successful primary"), "{id}");
        assert!(!svg.contains("(year "), "{id} shows a tunnel");
    }
}

#[test]
fn a_level_named_as_a_year_of_a_level_with_step_tunnels_is_refused() {
    let text = r#"
[model]
name = "Clash"
start_year = 2025
horizon_years = 5
steps_per_year = 4
levels = ["Well", "Sick", "Sick (year 2)"]
tunnels = { Sick = 3 }

[[bands]]
name = "adults"
lower = 18

[[population]]
band = "adults"
counts = { Well = 100 }
"#;
    let message = common::parse_error_at(Path::new("clash.toml"), text);
    assert!(
        message.contains("clash.toml:8: tunnels: the tunnel level `Sick (year 2)` has the name of another level"),
        "{message}"
    );
}
