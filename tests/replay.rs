//! `upstream run --replay run.json`: the same CSV byte for byte, and a
//! clear refusal when an input has changed or the record is not a run's.

use std::path::Path;
use std::process::{Command, Output};

fn upstream(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_upstream"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_replay_reproduces_the_run_and_refuses_changed_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/uncertain.toml");
    std::fs::copy(&src, tmp.path().join("model.toml")).unwrap();
    let first = upstream(
        tmp.path(),
        &[
            "run",
            "model.toml",
            "--draws",
            "64",
            "--seed",
            "9",
            "--draws-csv",
            "--out",
            "a",
        ],
    );
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let again = upstream(
        tmp.path(),
        &["run", "--replay", "a/run.json", "--out", "b", "--threads", "1"],
    );
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    for file in ["summary.csv", "detail.csv", "draws.csv"] {
        assert_eq!(
            std::fs::read(tmp.path().join("a").join(file)).unwrap(),
            std::fs::read(tmp.path().join("b").join(file)).unwrap(),
            "{file} differs"
        );
    }
    // Options that would change the run cannot be mixed with a replay.
    let mixed = upstream(tmp.path(), &["run", "--replay", "a/run.json", "--draws", "5"]);
    assert_eq!(mixed.status.code(), Some(1));

    // An edited input is refused, naming it.
    let text = std::fs::read_to_string(tmp.path().join("model.toml")).unwrap();
    std::fs::write(tmp.path().join("model.toml"), text + "\n# edited\n").unwrap();
    let refused = upstream(tmp.path(), &["run", "--replay", "a/run.json", "--out", "c"]);
    assert_eq!(refused.status.code(), Some(1));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("model.toml has changed since the run"), "{message}");
    assert!(!tmp.path().join("c").exists(), "nothing written");

    // Not a run record.
    std::fs::write(tmp.path().join("other.json"), "{\"hello\": 1}").unwrap();
    let bad = upstream(tmp.path(), &["run", "--replay", "other.json"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a run.json"));
}

/// A run.json edited to list no inputs (or not the scenario file) is
/// refused: a replay never runs without checking every file it reads.
#[test]
fn a_replay_refuses_a_record_without_the_inputs_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small.toml");
    std::fs::copy(&src, tmp.path().join("model.toml")).unwrap();
    let first = upstream(tmp.path(), &["run", "model.toml", "--out", "a"]);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let record = tmp.path().join("a/run.json");
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    json["inputs"] = serde_json::json!([]);
    std::fs::write(tmp.path().join("edited.json"), json.to_string()).unwrap();
    // The scenario file changed after the edit: a replay would otherwise run it unchecked.
    let mut text = std::fs::read_to_string(tmp.path().join("model.toml")).unwrap();
    text = text.replace("unit_cost = 3000", "unit_cost = 3100");
    std::fs::write(tmp.path().join("model.toml"), text).unwrap();
    let replay = upstream(tmp.path(), &["run", "--replay", "edited.json", "--out", "b"]);
    let message = String::from_utf8_lossy(&replay.stderr);
    assert_eq!(replay.status.code(), Some(1), "{message}");
    assert!(message.contains("do not list model.toml"), "{message}");
    assert!(!tmp.path().join("b").exists());
}
