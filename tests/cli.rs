//! The command line end to end, on the fixtures in `tests/fixtures/`.
//! Golden files live in `tests/golden/`; set `UPSTREAM_UPDATE_GOLDEN=1` to
//! rewrite them after an intended change, and review the diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn upstream() -> Command {
    Command::new(env!("CARGO_BIN_EXE_upstream"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("UPSTREAM_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with UPSTREAM_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(actual, expected, "output differs from golden file {}", path.display());
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    upstream().current_dir(dir).args(args).output().unwrap()
}

#[test]
fn check_accepts_a_good_file_with_a_one_line_summary() {
    let out = run_in(&fixtures(), &["check", "small.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    golden("check-small.txt", &text(&out.stdout));
}

#[test]
fn run_writes_summary_detail_and_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("results");
    let out = run_in(&fixtures(), &["run", "small.toml", "--out", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    golden("run-small-table.txt", &stdout.replace(dir.to_str().unwrap(), "OUT"));

    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    golden("summary-header.txt", summary.lines().next().unwrap());
    // The metric names are part of the interface: pin those of one year of
    // the baseline and of a scenario, and of the whole-horizon rows.
    let metrics = |scenario: &str, year: &str| -> String {
        summary
            .lines()
            .filter(|l| l.starts_with(&format!("{scenario},{year},")))
            .map(|l| l.split(',').nth(2).unwrap().to_string() + "\n")
            .collect()
    };
    golden("metrics-baseline-year.txt", &metrics("do-nothing", "2025"));
    golden("metrics-scenario-year.txt", &metrics("coaching", "2027"));
    golden("metrics-scenario-horizon.txt", &metrics("coaching", "all"));

    let detail = std::fs::read_to_string(dir.join("detail.csv")).unwrap();
    golden("detail-header.txt", detail.lines().next().unwrap());
    // 3 futures × 5 years × 2 bands × 2 levels.
    assert_eq!(detail.lines().count(), 1 + 3 * 5 * 2 * 2);

    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(meta["tool"], "upstream");
    assert_eq!(meta["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(meta["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        meta["futures"],
        serde_json::json!(["do-nothing", "coaching", "coaching-cheap"])
    );
    // No staging folders are left beside the results.
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("results")]);
}

#[test]
fn the_same_run_twice_gives_byte_identical_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for dir in [&a, &b] {
        let out = run_in(&fixtures(), &["run", "small.toml", "--out", dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0));
    }
    for file in ["summary.csv", "detail.csv"] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn scenario_selection_runs_only_the_named_scenarios() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    let out = run_in(
        &fixtures(),
        &[
            "run",
            "small.toml",
            "--scenario",
            "coaching-cheap",
            "--out",
            dir.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert!(summary.lines().any(|l| l.starts_with("coaching-cheap,")));
    assert!(!summary.lines().any(|l| l.starts_with("coaching,")));

    let out = run_in(
        &fixtures(),
        &[
            "run",
            "small.toml",
            "--scenario",
            "nope",
            "--out",
            dir.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no scenario named `nope`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_input_never_touches_earlier_results() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    let out = run_in(&fixtures(), &["run", "small.toml", "--out", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let before = std::fs::read(dir.join("summary.csv")).unwrap();
    let out = run_in(
        &bad_inputs(),
        &["run", "percentage.toml", "--out", dir.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(dir.join("summary.csv")).unwrap(), before);

    // And a fresh output folder is not even created.
    let fresh = tmp.path().join("fresh");
    let out = run_in(
        &bad_inputs(),
        &["run", "percentage.toml", "--out", fresh.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!fresh.exists());
}

fn bad_inputs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-inputs")
}

/// Every scenario file in `tests/bad-inputs/` is refused, by `check` and by
/// `run`, with exit code 1 (never a panic, 101), nothing written, and
/// exactly the message in `tests/bad-inputs/expected/<name>.txt` (rewritten
/// with `UPSTREAM_UPDATE_GOLDEN=1`), which names the file.
#[test]
fn bad_inputs_get_clear_messages() {
    let dir = bad_inputs();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 35, "the corpus has {} files", names.len());
    let tmp = tempfile::tempdir().unwrap();
    for name in names {
        let out = run_in(&dir, &["check", &name]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}");
        assert!(
            stderr.contains(&name) || stderr.contains(".csv"),
            "{name} is not named: {stderr}"
        );
        let stem = name.trim_end_matches(".toml");
        let expected = dir.join("expected").join(format!("{stem}.txt"));
        if std::env::var_os("UPSTREAM_UPDATE_GOLDEN").is_some() {
            std::fs::write(&expected, &stderr).unwrap();
        } else {
            let want = std::fs::read_to_string(&expected)
                .unwrap_or_else(|_| panic!("missing {}; run with UPSTREAM_UPDATE_GOLDEN=1", expected.display()));
            assert_eq!(stderr, want, "message for {name} differs from {}", expected.display());
        }
        let out_dir = tmp.path().join(stem);
        let run = run_in(&dir, &["run", &name, "--out", out_dir.to_str().unwrap()]);
        assert_eq!(run.status.code(), Some(1), "run {name}: {}", text(&run.stderr));
        assert!(!out_dir.exists(), "run {name} wrote output");
    }
}

/// A file whose `capacity` is sound loads: `check` accepts it, and the
/// library's reading of it keeps the capacity and what its unmet demand
/// does (the engine's use of them is tested with the engine).
#[test]
fn capacities_load() {
    let out = run_in(&fixtures(), &["check", "capacity-full.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    let path = fixtures().join("capacity-full.toml");
    let model = upstream::scenario::load(&path).unwrap().model;
    let s = model.service_index("Home care").unwrap();
    let capacity = model.services[s].capacity.as_ref().expect("Home care has a capacity");
    assert_eq!(
        capacity.per_year,
        upstream::model::Series::by_year(vec![(2025, 900.0), (2030, 1200.0)])
    );
    assert_eq!((capacity.wait, capacity.divert, capacity.lost), (0.6, 0.4, 0.0));
    assert_eq!(capacity.divert_to, model.service_index("Admission"));
}

/// Files in `tests/bad-inputs/accepted/` look odd but are fine (a BOM,
/// Windows line endings): they check and run.
#[test]
fn odd_but_valid_inputs_are_accepted() {
    let dir = bad_inputs().join("accepted");
    let tmp = tempfile::tempdir().unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !name.ends_with(".toml") {
            continue;
        }
        n += 1;
        let out = run_in(&dir, &["check", &name]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
        let out_dir = tmp.path().join(&name);
        let out = run_in(&dir, &["run", &name, "--out", out_dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
    }
    assert!(n >= 2);
}

#[test]
fn a_missing_file_is_bad_input() {
    let out = run_in(&fixtures(), &["check", "no-such-scenario.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no-such-scenario.toml: cannot read the scenario file"));
}

#[test]
fn help_is_complete_and_usage_errors_are_bad_input() {
    for args in [&["--help"][..], &["run", "--help"], &["check", "--help"]] {
        let out = upstream().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let help = text(&out.stdout);
        assert!(help.contains("Usage:"), "{help}");
    }
    let run_help = text(&upstream().args(["run", "--help"]).output().unwrap().stdout);
    for option in ["--out", "--scenario", "SCENARIO"] {
        assert!(run_help.contains(option), "run --help lacks {option}");
    }
    let out = upstream().args(["run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = upstream().args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn bundled_examples_check_and_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    for example in ["older-people", "early-years"] {
        let file = root.join("scenarios").join(format!("{example}.toml"));
        let out = upstream().arg("check").arg(&file).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{example}: {}", text(&out.stderr));
        let dir = tmp.path().join(example);
        let out = upstream()
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(&dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{example}: {}", text(&out.stderr));
        assert!(dir.join("summary.csv").is_file() && dir.join("detail.csv").is_file());
    }
}

/// The scenario file sketch in the README is a valid file.
#[test]
fn readme_scenario_sketch_checks() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("```toml\n[model]")
        .expect("README has a ```toml block starting with [model]");
    let body = &readme[start + "```toml\n".len()..];
    let toml = &body[..body.find("```").unwrap()];
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("sketch.toml"), toml).unwrap();
    let out = run_in(tmp.path(), &["check", "sketch.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn bench_times_the_reference_workloads_beside_their_targets() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let benches_left = || {
        std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("upstream-bench-"))
            .count()
    };
    let before = benches_left();
    let out = run_in(repo, &["bench", "--quick", "--threads", "2"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}{stdout}", text(&out.stderr));
    for expected in [
        "2 worker threads",
        "workshop run: older-people, 1,000 draws, 7 futures, statistics for every row",
        "target ≤ 50 ms: ",
        "reference run: upstream run bench-national.toml --draws 1000, every output written",
        "with capacities: upstream run bench-national-capacity.toml --draws 1000",
        "with places: upstream run bench-national-places.toml --draws 1000",
        "× without",
        "reference run, peak memory",
        "EVPPI: 10 single inputs over 1000 draws of bench-national-outcomes.toml",
        "--quick: the targets are for 10,000 draws",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in\n{stdout}");
    }
    // Every figure is a number with its unit.
    let figures: Vec<&str> = stdout.lines().filter(|l| l.starts_with("      ")).collect();
    assert_eq!(figures.len(), 6, "{stdout}");
    for figure in figures {
        let number = figure.split_whitespace().next().unwrap();
        assert!(number.parse::<f64>().is_ok_and(|x| x > 0.0), "{figure}");
    }
    // The reference run's results do not stay.
    assert_eq!(benches_left(), before);

    // Without the bundled models it says where it looked and what to do.
    let empty = tempfile::tempdir().unwrap();
    let out = run_in(empty.path(), &["bench", "--quick"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("scenarios/older-people.toml not found") && stderr.contains("--dir"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

/// An `--out` that is the user's own file or folder is refused before
/// anything is moved, by every command that writes a results folder
/// (`run`, a shard, `merge`, `pathways`, `sensitivity`, `maturity`), and
/// the file and folder are left exactly as they were.
#[test]
fn an_out_that_is_not_a_results_folder_is_refused_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("small.toml");
    std::fs::copy(fixtures().join("small.toml"), &model).unwrap();
    let uncertain = tmp.path().join("uncertain.toml");
    std::fs::copy(fixtures().join("uncertain.toml"), &uncertain).unwrap();
    let mine = tmp.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep me").unwrap();
    let part = tmp.path().join("part");
    let made = run_in(
        tmp.path(),
        &[
            "run",
            "uncertain.toml",
            "--draws",
            "8",
            "--shard",
            "1/1",
            "--out",
            "part",
        ],
    );
    assert_eq!(made.status.code(), Some(0), "{}", text(&made.stderr));
    let assessment = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/early-years-maturity-2026.toml");
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = listing();
    let model_text = std::fs::read(&model).unwrap();
    for out in ["small.toml", "mine"] {
        let commands: Vec<Vec<&str>> = vec![
            vec!["run", "small.toml", "--out", out],
            vec!["run", "uncertain.toml", "--draws", "8", "--shard", "1/2", "--out", out],
            vec!["merge", "part", "--out", out],
            vec!["pathways", "small.toml", "--out", out],
            vec!["sensitivity", "uncertain.toml", "--scenario", "coaching", "--out", out],
            vec!["maturity", "summary", assessment.to_str().unwrap(), "--out", out],
        ];
        for args in commands {
            let answer = run_in(tmp.path(), &args);
            let message = text(&answer.stderr);
            assert_eq!(answer.status.code(), Some(1), "{args:?}: {message}");
            assert!(message.contains(&format!("--out {out}")), "{args:?}: {message}");
            assert_eq!(listing(), before, "{args:?}");
            assert_eq!(std::fs::read(&model).unwrap(), model_text, "{args:?}");
            assert_eq!(std::fs::read_to_string(mine.join("notes.txt")).unwrap(), "keep me");
        }
    }
    assert!(part.join("part.json").exists());
}
