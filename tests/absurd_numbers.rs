//! No number from any source gives a result that is not a number: each
//! number of the bundled examples' TOML files and CSV tables, replaced in
//! turn by an absurd value (1e308, 1e-300, 1e13, -1e308), is either refused
//! by the checks or gives finite results, deterministic and over draws, and
//! nothing panics.

use std::path::{Path, PathBuf};
use upstream::montecarlo::{self, FutureSpec};

const ABSURD: [&str; 4] = ["1e308", "1e-300", "1e13", "-1e308"];

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// Byte ranges of the numbers in `text` that stand alone (not part of a
/// name, a year key such as `2025 =`, a date or a band such as `50-64`).
fn numbers(text: &str, csv: bool) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        if bytes[i].is_ascii_digit() {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'.' | b'_' | b'-' | b'+'))
            {
                i += 1;
            }
            let token = &text[start..i];
            let before = if start == 0 { b'\n' } else { bytes[start - 1] };
            let after = bytes.get(i).copied().unwrap_or(b'\n');
            let stands_alone = if csv {
                matches!(before, b',') && matches!(after, b',' | b'\n' | b'\r')
            } else {
                matches!(before, b' ' | b'=' | b'[' | b'{') && matches!(after, b' ' | b',' | b'}' | b']' | b'\n')
            };
            // Not a line number in a comment, and a plain number.
            let line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
            let in_comment = text[line_start..start].contains('#');
            let is_key = text[i..].trim_start().starts_with('=');
            if stands_alone && !in_comment && !is_key && token.parse::<f64>().is_ok() {
                found.push(start..i);
            }
        } else {
            i += 1;
        }
    }
    found
}

/// Loads `file` (in `dir`) and runs it, deterministic and with a few draws.
/// Refusal is fine; a result must be finite.
fn check(dir: &Path, file: &str, what: &str) {
    let path = dir.join(file);
    let Ok(upstream::scenario::Loaded { model, .. }) = upstream::scenario::load(&path) else {
        return;
    };
    let Ok(futures) = upstream::run::run_futures(&model, &[]) else {
        return;
    };
    let (accounts, comparisons) = upstream::results::account_futures(&futures);
    if let Some(figure) = upstream::output::non_finite_figure(&model, &accounts, &comparisons, None) {
        panic!("{what}: {figure}");
    }
    if model.uncertain.is_empty() || !model.areas.is_empty() {
        return;
    }
    let specs: Vec<FutureSpec> = futures.iter().map(FutureSpec::from).collect();
    let options = montecarlo::Options {
        draws: 8,
        seed: 3,
        percentiles: vec![5.0, 95.0],
    };
    if let Ok(mc) = montecarlo::Request::new(montecarlo::Futures::One(&specs), &options)
        .run(&model)
        .map(|mut s| s.remove(0))
        && let Some(figure) = upstream::output::non_finite_figure(&model, &accounts, &comparisons, Some(&mc))
    {
        panic!("{what}, over draws: {figure}");
    }
}

/// A copy of the examples' folder to edit one file of.
fn copy_of_examples() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(scenarios()).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, tmp.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    tmp
}

/// Each number of `edited` (a file of the model `model`), replaced in turn,
/// every `stride`-th number with each absurd value (the others with one).
fn mutate(model: &str, edited: &str, stride: usize) -> usize {
    let tmp = copy_of_examples();
    let original = std::fs::read_to_string(scenarios().join(edited)).unwrap();
    let spots = numbers(&original, edited.ends_with(".csv"));
    assert!(spots.len() > 3, "{edited}: found {} numbers", spots.len());
    let mut tried = 0;
    for (n, spot) in spots.iter().enumerate() {
        let values: Vec<&str> = if n % stride == 0 {
            ABSURD.to_vec()
        } else {
            vec![ABSURD[n % ABSURD.len()]]
        };
        for value in values {
            let text = format!("{}{value}{}", &original[..spot.start], &original[spot.end..]);
            std::fs::write(tmp.path().join(edited), &text).unwrap();
            let line = original[..spot.start].matches('\n').count() + 1;
            let what = format!("{edited}:{line} = {value}");
            let dir = tmp.path().to_path_buf();
            if std::panic::catch_unwind(|| check(&dir, model, &what)).is_err() {
                panic!("{what}: panicked (above)");
            }
            tried += 1;
        }
    }
    tried
}

#[test]
fn absurd_numbers_in_the_older_people_files_are_refused_or_harmless() {
    let mut tried = mutate("older-people.toml", "older-people.toml", 7);
    for table in [
        "older-people-admissions.csv",
        "older-people-residential.csv",
        "older-people-projection.csv",
    ] {
        tried += mutate("older-people.toml", table, 3);
    }
    assert!(tried > 300, "{tried}");
}

#[test]
fn absurd_numbers_in_the_early_years_files_are_refused_or_harmless() {
    let mut tried = mutate("early-years.toml", "early-years.toml", 7);
    for table in ["early-years-transitions.csv", "early-years-slt-use.csv"] {
        tried += mutate("early-years.toml", table, 9);
    }
    assert!(tried > 300, "{tried}");
}

#[test]
fn absurd_numbers_in_area_tables_are_refused_or_harmless() {
    let mut tried = 0;
    for table in [
        "three-areas-population.csv",
        "three-areas-parameters.csv",
        "three-areas-projection.csv",
    ] {
        tried += mutate("three-areas.toml", table, 5);
    }
    tried += mutate("three-areas.toml", "three-areas.toml", 5);
    assert!(tried > 100, "{tried}");
}

#[test]
fn the_number_finder_finds_values_not_names() {
    let toml =
        "[model]\nname = \"x 50\"\nstart_year = 2025\nrate = { 2025 = 0.1, 2030 = 0.2 }\nlist = [1, 2.5]  # 99\n";
    let found: Vec<&str> = numbers(toml, false).into_iter().map(|r| &toml[r]).collect();
    assert_eq!(found, ["2025", "0.1", "0.2", "1", "2.5"]);
    let csv = "band,level,use\n50-64,Healthy,0.02\n65-74,At risk,1e-3\n";
    let found: Vec<&str> = numbers(csv, true).into_iter().map(|r| &csv[r]).collect();
    assert_eq!(found, ["0.02", "1e-3"]);
}
