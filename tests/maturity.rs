//! The maturity matrix: its data, assessments written and read back by the
//! commands, summaries and comparisons on known ticks, and the optional link
//! to fidelity.

use std::path::{Path, PathBuf};
use std::process::Command;
use upstream::maturity::{Assessment, Matrix, summarise};

fn upstream(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_upstream"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_data_matches_the_seed_and_reads_a_users_full_text() {
    let m = Matrix::default();
    assert_eq!((m.dimensions.len(), m.elements.len(), m.units.len()), (4, 10, 17));
    assert_eq!(
        m.units.iter().filter(|u| u.code != u.element).count(),
        13,
        "sub-elements"
    );
    assert_eq!(m.criteria.len(), 123);
    // Every unit has a criterion at its basic level, codes are the seed's.
    assert!(m.criteria.iter().any(|c| c.code == "1.1a" && c.level == 1));
    assert!(m.criteria.iter().any(|c| c.code == "10.2g" && c.level == 4));
    // A user's copy with the full wording of a criterion.
    let tmp = tempfile::tempdir().unwrap();
    let text = upstream::maturity::BUNDLED.replacen(
        "code = \"1.1a\"\n",
        "code = \"1.1a\"\ntext = \"The full wording from my copy of the workbook.\"\n",
        1,
    );
    std::fs::write(tmp.path().join("mine.toml"), &text).unwrap();
    let mine = Matrix::load(&tmp.path().join("mine.toml")).unwrap();
    assert_eq!(
        mine.criteria[0].text.as_deref(),
        Some("The full wording from my copy of the workbook.")
    );
    // A broken copy names its file and what is wrong.
    std::fs::write(
        tmp.path().join("bad.toml"),
        text.replacen("unit = \"1.1\"", "unit = \"1.9\"", 1),
    )
    .unwrap();
    let e = Matrix::load(&tmp.path().join("bad.toml")).unwrap_err().to_string();
    assert!(
        e.contains("bad.toml") && e.contains("criterion 1.1a names an unknown unit `1.9`"),
        "{e}"
    );
}

#[test]
fn an_assessment_round_trips_through_new_and_rate() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&upstream(
        &[
            "maturity",
            "new",
            "a.toml",
            "--who",
            "Ana",
            "--date",
            "2026-03-01",
            "--area",
            "Borough",
        ],
        d,
    ));
    // Refuses to overwrite.
    let o = upstream(&["maturity", "new", "a.toml", "--who", "Ana"], d);
    assert_eq!(o.status.code(), Some(1));
    let out = ok(&upstream(
        &[
            "maturity",
            "rate",
            "a.toml",
            "--tick",
            "2a,2b,2c,2d,1.1a",
            "--note",
            "2=joint plan drafted",
            "--barrier",
            "3=no audit",
            "--action",
            "3:short=commission an audit",
        ],
        d,
    ));
    assert!(
        out.contains("2 → Early progress") && out.contains("1.1 → Basic"),
        "{out}"
    );
    ok(&upstream(&["maturity", "rate", "a.toml", "--untick", "2d"], d));
    let m = Matrix::default();
    let a = Assessment::load(&d.join("a.toml"), &m).unwrap();
    assert_eq!(
        (a.who.as_str(), a.date.as_str(), a.kind.as_str(), a.area.as_str()),
        ("Ana", "2026-03-01", "individual", "Borough")
    );
    assert_eq!(a.ticked, ["1.1a", "2a", "2b", "2c"]);
    assert_eq!(a.notes["2"], "joint plan drafted");
    assert_eq!(
        (a.barriers[0].unit.as_str(), a.barriers[0].text.as_str()),
        ("3", "no audit")
    );
    assert_eq!(a.actions[0].horizon, "short");
    assert_eq!(a.level(&m, "2"), 1, "2d unticked: early progress incomplete");
    assert_eq!(a.beyond(&m, "2"), 2);
    // The file keeps its comments (the list of criteria to tick).
    let text = std::fs::read_to_string(d.join("a.toml")).unwrap();
    assert!(text.contains("#   10.2g"));
    // Bad input is refused and the file left as it was.
    let o = upstream(&["maturity", "rate", "a.toml", "--tick", "2z"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--tick 2z: not a criterion"));
    let o = upstream(&["maturity", "rate", "a.toml", "--action", "3:someday=x"], d);
    assert!(String::from_utf8_lossy(&o.stderr).contains("action horizon `someday`"));
    assert_eq!(std::fs::read_to_string(d.join("a.toml")).unwrap(), text);
}

fn write(dir: &Path, name: &str, who: &str, date: &str, ticked: &[&str]) {
    let list: Vec<String> = ticked.iter().map(|t| format!("\"{t}\"")).collect();
    std::fs::write(
        dir.join(name),
        format!(
            "who = \"{who}\"\ndate = \"{date}\"\nkind = \"individual\"\nticked = [{}]\n",
            list.join(", ")
        ),
    )
    .unwrap();
}

#[test]
fn summaries_and_comparisons_on_known_ticks() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Unit 5: 5a basic; 5b early; unit 7.2: 7.2a basic, 7.2b early, 7.2c-d substantial.
    write(d, "ana.toml", "Ana", "2026-01-10", &["5a", "5b", "7.2a"]);
    write(
        d,
        "ben.toml",
        "Ben",
        "2026-01-11",
        &["5a", "7.2a", "7.2b", "7.2c", "7.2d"],
    );
    write(d, "cy.toml", "Cy", "2026-01-12", &["5a", "5b"]);
    let out = ok(&upstream(
        &["maturity", "summary", "ana.toml", "ben.toml", "cy.toml", "--out", "s"],
        d,
    ));
    assert!(
        out.contains("Where the ratings differ (2 of 17 units), widest first:"),
        "{out}"
    );
    let first = out.lines().skip_while(|l| !l.starts_with("Where")).nth(1).unwrap();
    assert!(
        first.contains("7.2") && first.contains("not yet basic to Substantial progress"),
        "{first}"
    );
    let csv = std::fs::read_to_string(d.join("s/maturity.csv")).unwrap();
    assert!(csv.contains("Ben,2026-01-11,individual,,Deliver,Services and interventions,7.2,"));
    let level = |who: &str, unit: &str| -> String {
        csv.lines()
            .find(|l| l.starts_with(&format!("{who},")) && l.split(',').nth(6) == Some(unit))
            .unwrap()
            .split(',')
            .nth(8)
            .unwrap()
            .to_string()
    };
    assert_eq!(level("Ana", "5"), "2");
    assert_eq!(level("Ben", "5"), "1");
    assert_eq!(level("Ben", "7.2"), "3");
    assert_eq!(level("Cy", "7.2"), "0");
    for f in ["maturity.png", "maturity.svg"] {
        assert!(std::fs::metadata(d.join("s").join(f)).unwrap().len() > 1000);
    }
    // Dimension means: Lead holds 4, 5, 6.1, 6.2; Ana is at 0, 2, 0, 0.
    let m = Matrix::default();
    let ana = Assessment::load(&d.join("ana.toml"), &m).unwrap();
    let s = summarise(&m, &ana);
    let lead = m.dimensions.iter().position(|x| x.code == "LEAD").unwrap();
    assert_eq!(s.dimension_means[lead], 0.5);
    // Baseline against follow-up.
    let out = ok(&upstream(
        &["maturity", "compare", "cy.toml", "ben.toml", "--out", "c"],
        d,
    ));
    assert!(out.contains("1 units moved up, 1 down, 15 unchanged."), "{out}");
    let csv = std::fs::read_to_string(d.join("c/maturity-compare.csv")).unwrap();
    assert!(
        csv.contains("7.2,Evidence-based programmes / interventions,Deliver,0,3,3"),
        "{csv}"
    );
    assert!(csv.contains("\n5,Leadership,Lead,2,1,-1"), "{csv}");
    // Bad files name themselves.
    std::fs::write(
        d.join("bad.toml"),
        "who = \"x\"\ndate = \"1/2/2026\"\nkind = \"team\"\nticked = [\"5q\"]\n",
    )
    .unwrap();
    let o = upstream(&["maturity", "summary", "bad.toml"], d);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("bad.toml: kind is `team`") && e.contains("give a date as YYYY-MM-DD") && e.contains("`5q`"),
        "{e}"
    );
}

#[test]
fn the_link_to_fidelity_is_off_by_default_and_stated_when_on() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for f in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let f = f.unwrap().path();
        if f.file_name().unwrap().to_string_lossy().starts_with("early-years") {
            std::fs::copy(&f, d.join(f.file_name().unwrap())).unwrap();
        }
    }
    let plain = upstream::scenario::load(&d.join("early-years.toml")).unwrap();
    let link = plain.maturity.as_ref().unwrap();
    assert_eq!(link.assessments.len(), 2);
    assert!(link.fidelity.is_none());
    assert!(plain.model.interventions.iter().all(|i| i.maturity_factor == 1.0));
    let text = std::fs::read_to_string(d.join("early-years.toml")).unwrap().replace(
        "assessments = [\"early-years-maturity-2025.toml\", \"early-years-maturity-2026.toml\"]",
        "assessments = [\"early-years-maturity-2025.toml\", \"early-years-maturity-2026.toml\"]\nfidelity_by_level = [0.6, 0.7, 0.8, 0.9, 1.0]",
    );
    std::fs::write(d.join("linked.toml"), text).unwrap();
    let linked = upstream::scenario::load(&d.join("linked.toml")).unwrap();
    // The 2026 assessment: 7.2 and 3 at early progress (2; 7.2c is ticked
    // but not 7.2d): factor 0.8.
    let (factor, levels) = linked.maturity.as_ref().unwrap().fidelity.clone().unwrap();
    assert_eq!(levels, vec![("7.2".to_string(), 2), ("3".to_string(), 2)]);
    assert_eq!(factor, 0.8);
    assert!(linked.model.interventions.iter().all(|i| i.maturity_factor == 0.8));
    assert!(
        linked
            .model
            .scenarios
            .iter()
            .all(|s| s.model.interventions.iter().all(|i| i.maturity_factor == 0.8))
    );
    // Lower fidelity, smaller effect: the parenting programme saves less.
    let npv = |m: &upstream::model::Model| {
        let futures = upstream::run::run_futures(m, &["parenting-programmes".to_string()]).unwrap();
        let (_, c) = upstream::results::account_futures(&futures);
        c[0].total.npv
    };
    assert!(npv(&linked.model) < npv(&plain.model));
    ok(&upstream(&["run", "linked.toml", "--report", "--out", "o"], d));
    let html = std::fs::read_to_string(d.join("o/report.html")).unwrap();
    assert!(html.contains("id=\"maturity\"") && html.contains("Assumption: maturity sets fidelity."));
    assert!(html.contains("multiplied by 0.8"));
}

#[test]
fn rate_adds_barriers_to_a_file_the_workshop_saved() {
    // A saved file writes empty lists inline (`barriers = []`).
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("room.toml"),
        "who = \"Room\"\ndate = \"2026-12-01\"\nkind = \"group\"\narea = \"\"\nticked = [\"2a\"]\nbarriers = []\nactions = []\n\n[notes]\n",
    )
    .unwrap();
    ok(&upstream(
        &[
            "maturity",
            "rate",
            "room.toml",
            "--barrier",
            "3=no audit",
            "--action",
            "3:short=do one",
        ],
        d,
    ));
    let a = Assessment::load(&d.join("room.toml"), &Matrix::default()).unwrap();
    assert_eq!(a.barriers.len(), 1);
    assert_eq!(a.actions.len(), 1);
    assert_eq!(a.ticked, ["2a"]);
}
