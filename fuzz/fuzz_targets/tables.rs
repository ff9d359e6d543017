//! Fuzzes the CSV tables: arbitrary bytes as one of a small model's tables
//! (transitions, exits, population, service use or projection; the first
//! byte picks which), read, validated and, when accepted, run with a few
//! Monte Carlo draws. Any panic is a bug, and so is an accepted table that
//! gives a result that is not a finite number. See fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use upstream::montecarlo::{self, FutureSpec};

/// The model around the table: two bands, two levels, every table a CSV.
const MODEL: &str = r#"
[model]
name = "Fuzzed tables"
start_year = 2025
horizon_years = 3
steps_per_year = 2
levels = ["Well", "Unwell"]

[[bands]]
name = "young"
lower = 50
upper = 60

[[bands]]
name = "old"
lower = 60

[[services]]
name = "GP"
tier = "primary"
funder = "NHS"
unit_cost = 40
use = { Well = 2, Unwell = 6 }

[[interventions]]
name = "Coaching"
funder = "Council"
tier = "secondary"
target_levels = ["Well"]
reach = { dist = "beta", mean = 0.5, sd = 0.1 }
start_year = 2026
cost_per_participant = 100

[[interventions.effects]]
from = "Well"
to = "Unwell"
relative_risk = 0.7

[[scenarios]]
name = "coaching"
interventions = ["Coaching"]
"#;

/// (the TOML line naming the table, its file, a good table to use when the
/// fuzzed one is another).
const TABLES: [(&str, &str, &str); 5] = [
    (
        "transitions_csv",
        "transitions.csv",
        "band,from,to,probability,rel_sd\nyoung,Well,Unwell,0.1,0.1\nold,Unwell,Well,0.05,\n",
    ),
    ("exits_csv", "exits.csv", "band,level,probability\nyoung,Well,0.02\nold,Unwell,0.08\n"),
    (
        "population_csv",
        "population.csv",
        "band,level,people\nyoung,Well,800\nyoung,Unwell,200\nold,Well,500\nold,Unwell,500\n",
    ),
    ("use_csv", "use.csv", "band,level,use,year,rel_sd\nyoung,Well,0.02,2025,0.1\nold,Unwell,0.3,2025,\n"),
    ("projection_csv", "projection.csv", "year,band,people\n2025,young,1000\n2025,old,1000\n2027,old,1100\n"),
];

fn folder() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("upstream-fuzz-tables-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, table)) = data.split_first() else {
        return;
    };
    let fuzzed = usize::from(which) % TABLES.len();
    let dir = folder();
    let mut text = String::new();
    for (i, (key, file, good)) in TABLES.iter().enumerate() {
        let bytes: &[u8] = if i == fuzzed { table } else { good.as_bytes() };
        if std::fs::write(dir.join(file), bytes).is_err() {
            return;
        }
        if *key == "use_csv" {
            continue;
        }
        text.push_str(&format!("{key} = \"{file}\"\n"));
    }
    // The service's use comes from its table.
    let model_text = MODEL.replace("use = { Well = 2, Unwell = 6 }", "use_csv = \"use.csv\"");
    let text = format!("{text}{model_text}");
    let path = dir.join("model.toml");
    let Ok(upstream::scenario::Loaded { model, .. }) = upstream::scenario::parse(&path, &text, String::new()) else {
        return;
    };
    let Ok(futures) = upstream::run::run_futures(&model, &[]) else {
        return;
    };
    let (accounts, comparisons) = upstream::results::account_futures(&futures);
    if let Some(figure) = upstream::output::non_finite_figure(&model, &accounts, &comparisons, None) {
        panic!("an accepted table gave a result that is not a number: {figure}");
    }
    let specs: Vec<FutureSpec> = futures.iter().map(FutureSpec::from).collect();
    let options = montecarlo::Options {
        draws: 4,
        seed: 1,
        percentiles: vec![50.0],
    };
    if let Ok(mc) = montecarlo::Request::new(montecarlo::Futures::One(&specs), &options).run(&model).map(|mut s| s.remove(0))
        && let Some(figure) = upstream::output::non_finite_figure(&model, &accounts, &comparisons, Some(&mc))
    {
        panic!("an accepted table gave a draw's result that is not a number: {figure}");
    }
});
