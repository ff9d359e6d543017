//! Localities: a model with `[areas]` against the same model without them,
//! roll-ups from per-draw sums, and local figures (set and scaled).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn small() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small.toml")).unwrap()
}

/// small.toml with its population replaced by `[areas]` (people per area
/// as `small.toml`'s times `shares`), plus `extra` appended to the
/// parameters table; the Admission unit cost made uncertain.
fn area_file(dir: &Path, shares: &[(&str, &str, f64)], parameters: &str) -> PathBuf {
    let text = small();
    let start = text.find("[[population]]").unwrap();
    let end = text.find("[[transitions]]").unwrap();
    let local = if parameters.is_empty() {
        ""
    } else {
        "parameters_csv = \"local.csv\"\n"
    };
    let mut text = format!(
        "[areas]\ncsv = \"areas.csv\"\npopulation_csv = \"people.csv\"\n{local}\n{}{}",
        &text[..start],
        &text[end..]
    );
    // The [areas] table must come after the top-level keys: move it to the end.
    let areas = text[..text.find("[model]").unwrap()].to_string();
    text = text.replacen(&areas, "", 1) + "\n" + &areas;
    text = uncertain_cost(&text);
    std::fs::write(dir.join("areas.toml"), text).unwrap();
    let mut list = String::from("code,name,parent\n");
    let mut people = String::from("area,band,level,people\n");
    for (code, parent, share) in shares {
        list.push_str(&format!("{code},Area {code},{parent}\n"));
        for (band, level, n) in [
            ("young", "Well", 800.0),
            ("young", "Unwell", 200.0),
            ("old", "Well", 500.0),
            ("old", "Unwell", 500.0),
        ] {
            people.push_str(&format!("{code},{band},{level},{}\n", n * share));
        }
    }
    std::fs::write(dir.join("areas.csv"), list).unwrap();
    std::fs::write(dir.join("people.csv"), people).unwrap();
    std::fs::write(dir.join("local.csv"), format!("area,path,value,scale\n{parameters}")).unwrap();
    dir.join("areas.toml")
}

fn run(file: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let o = Command::new(env!("CARGO_BIN_EXE_upstream"))
        .arg("run")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// summary.csv as (area, scenario, year, metric, stat) → value.
fn summary(out: &Path) -> BTreeMap<(String, String, String, String, String), f64> {
    let mut r = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    let headers = r.headers().unwrap().clone();
    let with_area = &headers[0] == "area";
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let f: Vec<&str> = rec.iter().collect();
            let (area, rest) = if with_area {
                (f[0].to_string(), &f[1..])
            } else {
                (String::new(), &f[..])
            };
            (
                (area, rest[0].into(), rest[1].into(), rest[2].into(), rest[3].into()),
                rest[4].parse().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

/// `text` with the small model's unit cost made uncertain (a gamma).
fn uncertain_cost(text: &str) -> String {
    text.replace(
        "unit_cost = 3000",
        "unit_cost = { dist = \"gamma\", mean = 3000, sd = 600 }",
    )
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn one_area_gives_the_file_without_areas() {
    let tmp = tempfile::tempdir().unwrap();
    let file = area_file(tmp.path(), &[("A1", "", 1.0)], "");
    let plain = tmp.path().join("plain.toml");
    std::fs::write(&plain, uncertain_cost(&small())).unwrap();
    run(&file, &tmp.path().join("a"), &[]);
    run(&plain, &tmp.path().join("p"), &[]);
    let a = summary(&tmp.path().join("a"));
    let p = summary(&tmp.path().join("p"));
    let mut compared = 0;
    for ((_, s, y, m, stat), v) in &p {
        for area in ["A1", "all"] {
            let got = a[&(area.to_string(), s.clone(), y.clone(), m.clone(), stat.clone())];
            assert!(close(got, *v, 1e-12), "{area} {s} {y} {m}: {got} vs {v}");
            compared += 1;
        }
    }
    assert!(compared > 500);
    // detail.csv: the same rows with the area first.
    let da = std::fs::read_to_string(tmp.path().join("a/detail.csv")).unwrap();
    let dp = std::fs::read_to_string(tmp.path().join("p/detail.csv")).unwrap();
    assert_eq!(da.lines().count(), dp.lines().count());
    assert!(da.lines().nth(1).unwrap().starts_with("A1,"));
}

#[test]
fn roll_ups_are_per_draw_sums_of_shared_draws() {
    // Two identical areas: every draw gives both the same numbers, so the
    // whole is exactly twice an area, spread included (independent draws
    // would give √2 times the spread).
    let tmp = tempfile::tempdir().unwrap();
    let file = area_file(tmp.path(), &[("A1", "R", 1.0), ("B2", "R", 1.0)], "");
    let out = tmp.path().join("o");
    run(&file, &out, &["--draws", "200"]);
    let s = summary(&out);
    let key = |area: &str, stat: &str| {
        (
            area.to_string(),
            "coaching".to_string(),
            "all".to_string(),
            "npv".to_string(),
            stat.to_string(),
        )
    };
    for stat in ["value", "mean", "sd", "p5", "p50", "p95"] {
        let a = s[&key("A1", stat)];
        assert!(close(s[&key("B2", stat)], a, 1e-6), "{stat}");
        assert!(
            close(s[&key("R", stat)], 2.0 * a, 1e-6),
            "{stat}: {} vs 2 × {a}",
            s[&key("R", stat)]
        );
        assert!(close(s[&key("all", stat)], 2.0 * a, 1e-6), "{stat}");
    }
    let areas = std::fs::read_to_string(out.join("areas.csv")).unwrap();
    assert!(areas.starts_with("area,name,parent,kind,people_start"));
    assert_eq!(areas.lines().count(), 1 + 2 + 1 + 1, "{areas}");
}

#[test]
fn local_figures_are_set_or_scaled_and_scaling_reaches_the_draws() {
    let tmp = tempfile::tempdir().unwrap();
    let file = area_file(
        tmp.path(),
        &[("A1", "", 1.0), ("B2", "", 1.0)],
        "B2,service.Admission.unit_cost,,2\nB2,service.GP.unit_cost,50,\n",
    );
    let out = tmp.path().join("o");
    run(&file, &out, &["--draws", "200"]);
    let s = summary(&out);
    let key = |area: &str, metric: &str, stat: &str| {
        (
            area.to_string(),
            "do-nothing".to_string(),
            "2027".to_string(),
            metric.to_string(),
            stat.to_string(),
        )
    };
    // The uncertain unit cost is doubled in B2 in every draw…
    for stat in ["value", "mean", "sd", "p5", "p95"] {
        let a = s[&key("A1", "spend_service:Admission", stat)];
        let b = s[&key("B2", "spend_service:Admission", stat)];
        assert!(close(b, 2.0 * a, 1e-6), "{stat}: {b} vs 2 × {a}");
    }
    // …and the GP's fixed cost is B2's own (50 against 40).
    let a = s[&key("A1", "spend_service:GP", "value")];
    let b = s[&key("B2", "spend_service:GP", "value")];
    assert!(close(b, a * 50.0 / 40.0, 1e-12));
}

#[test]
fn bad_area_tables_are_refused_with_their_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "A1,service.Admission.unit_cost,5,2\n",
            "local.csv: row at line 2: area `A1`, `service.Admission.unit_cost`: give exactly one of `value`",
        ),
        (
            "A1,transition.*.Well.Unwell,,20\n",
            "area `A1`, `transition.*.Well.Unwell`: scaling a transition probability by 20 gives 2, above 1",
        ),
        (
            "Z9,service.GP.unit_cost,50,\n",
            "local.csv: row at line 2, column `area`: unknown area `Z9`; the areas are `A1`",
        ),
        ("A1,service.GP.colour,,2\n", "`service.GP.colour` cannot be scaled"),
    ];
    for (parameters, expected) in cases {
        let file = area_file(tmp.path(), &[("A1", "", 1.0)], parameters);
        let o = Command::new(env!("CARGO_BIN_EXE_upstream"))
            .arg("check")
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(expected), "{e}\n  expected: {expected}");
    }
    // An unknown area in the people table.
    let file = area_file(tmp.path(), &[("A1", "", 1.0)], "");
    let people = std::fs::read_to_string(tmp.path().join("people.csv")).unwrap();
    std::fs::write(tmp.path().join("people.csv"), people + "B7,young,Well,5\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_upstream"))
        .arg("check")
        .arg(&file)
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("people.csv: row at line 6, column `area`: unknown area `B7`"),
        "{e}"
    );
}

#[test]
fn the_three_area_example_rolls_up() {
    let tmp = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/three-areas.toml");
    let out = tmp.path().join("o");
    run(&file, &out, &["--report"]);
    // The small multiples, as a file and in the report's Areas section.
    assert!(std::fs::metadata(out.join("charts/areas.png")).unwrap().len() > 10_000);
    let svg = std::fs::read_to_string(out.join("charts/areas.svg")).unwrap();
    assert!(svg.contains("Northtown") && svg.contains("Net saving by area"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"areas\"") && html.contains("aria-label=\"Net saving by area\""));
    let s = summary(&out);
    for scenario in ["falls-and-reablement", "whole-system"] {
        let get = |area: &str| {
            s[&(
                area.to_string(),
                scenario.to_string(),
                "all".to_string(),
                "npv".to_string(),
                "value".to_string(),
            )]
        };
        let sum = get("N01") + get("S02") + get("E03");
        assert!(close(get("all"), sum, 1e-9), "{scenario}");
        assert!(close(get("West"), get("N01") + get("S02"), 1e-9));
        assert!(close(get("East"), get("E03"), 1e-12));
    }
}

#[test]
fn area_draws_do_not_depend_on_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let file = area_file(
        tmp.path(),
        &[("A1", "R", 1.0), ("B2", "R", 0.5)],
        "B2,transition.*.Well.Unwell,,1.5\n",
    );
    let one = tmp.path().join("one");
    let two = tmp.path().join("two");
    run(&file, &one, &["--draws", "61", "--threads", "1"]);
    run(&file, &two, &["--draws", "61", "--threads", "2"]);
    let a = std::fs::read(one.join("summary.csv")).unwrap();
    let b = std::fs::read(two.join("summary.csv")).unwrap();
    assert!(a == b, "summary.csv differs between 1 and 2 threads");
}

#[test]
fn each_area_is_calibrated_to_its_own_projection() {
    // One area with the projection of the file without areas gives the same
    // numbers; the file-level projection is refused with areas.
    let tmp = tempfile::tempdir().unwrap();
    let file = area_file(tmp.path(), &[("A1", "", 1.0)], "");
    std::fs::write(
        tmp.path().join("proj.csv"),
        "year,band,people\n2025,young,1000\n2025,old,1000\n2028,young,1100\n2028,old,1300\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("area-proj.csv"),
        "area,year,band,people\nA1,2025,young,1000\nA1,2025,old,1000\nA1,2028,young,1100\nA1,2028,old,1300\n",
    )
    .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("[areas]\n", "[areas]\nprojection_csv = \"area-proj.csv\"\n"),
    )
    .unwrap();
    let plain = tmp.path().join("plain.toml");
    std::fs::write(
        &plain,
        format!("projection_csv = \"proj.csv\"\n{}", uncertain_cost(&small())),
    )
    .unwrap();
    run(&file, &tmp.path().join("a"), &[]);
    run(&plain, &tmp.path().join("p"), &[]);
    let a = summary(&tmp.path().join("a"));
    let p = summary(&tmp.path().join("p"));
    for ((_, s, y, m, stat), v) in &p {
        let got = a[&("A1".to_string(), s.clone(), y.clone(), m.clone(), stat.clone())];
        assert!(close(got, *v, 1e-12), "{s} {y} {m}: {got} vs {v}");
    }
    let migration = p[&(
        "".into(),
        "do-nothing".into(),
        "2027".into(),
        "migration".into(),
        "value".into(),
    )];
    assert!(migration > 10.0, "the projection calibrates ({migration})");
}

#[test]
fn a_projection_with_areas_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = area_file(tmp.path(), &[("A1", "", 1.0)], "");
    std::fs::write(
        tmp.path().join("proj.csv"),
        "year,band,people\n2025,young,1000\n2025,old,1000\n",
    )
    .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("projection_csv = \"proj.csv\"\n{text}")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_upstream"))
        .arg("check")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("with [areas], a population projection is per area"));
}

/// Runs `upstream` with `args`, expecting `code`.
fn upstream(args: &[&std::ffi::OsStr], code: i32) -> std::process::Output {
    let o = Command::new(env!("CARGO_BIN_EXE_upstream"))
        .args(args)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(code), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

#[test]
fn shards_run_as_separate_processes_merge_into_the_whole_run() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (file, draws, shards) in [
        ("scenarios/older-people.toml", "203", 4),
        ("scenarios/three-areas.toml", "61", 3),
    ] {
        let file = root.join(file);
        let whole = tmp.path().join("whole");
        let mut args: Vec<&std::ffi::OsStr> =
            vec!["run".as_ref(), file.as_os_str(), "--draws".as_ref(), draws.as_ref()];
        args.extend(["--draws-csv".as_ref(), "--out".as_ref(), whole.as_os_str()]);
        upstream(&args, 0);
        // Shards in separate processes, merged in a scrambled order.
        let parts: Vec<PathBuf> = (1..=shards).map(|i| tmp.path().join(format!("part{i}"))).collect();
        for (i, part) in parts.iter().enumerate() {
            let shard = format!("{}/{shards}", i + 1);
            upstream(
                &[
                    "run".as_ref(),
                    file.as_os_str(),
                    "--draws".as_ref(),
                    draws.as_ref(),
                    "--shard".as_ref(),
                    shard.as_ref(),
                    "--out".as_ref(),
                    part.as_os_str(),
                ],
                0,
            );
        }
        let merged = tmp.path().join("merged");
        let mut args: Vec<&std::ffi::OsStr> = vec!["merge".as_ref()];
        args.extend(parts.iter().rev().map(|p| p.as_os_str()));
        args.extend(["--draws-csv".as_ref(), "--out".as_ref(), merged.as_os_str()]);
        upstream(&args, 0);
        for f in ["summary.csv", "detail.csv", "interventions.csv", "draws.csv"] {
            let a = std::fs::read(whole.join(f)).unwrap();
            let b = std::fs::read(merged.join(f)).unwrap();
            assert!(
                a == b,
                "{f} of the merged shards differs from the whole run's ({})",
                file.display()
            );
        }
        // A missing shard, and a part of another run, are refused.
        let o = upstream(
            &[
                "merge".as_ref(),
                parts[0].as_os_str(),
                "--out".as_ref(),
                merged.as_os_str(),
            ],
            1,
        );
        assert!(String::from_utf8_lossy(&o.stderr).contains(&format!("are not shards 1 to {shards} once each")));
        assert!(merged.join("summary.csv").exists(), "the earlier merge is kept");
    }
}

#[test]
fn a_changed_input_stops_a_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let file = area_file(tmp.path(), &[("A1", "", 1.0)], "");
    let part = tmp.path().join("p");
    upstream(
        &[
            "run".as_ref(),
            file.as_os_str(),
            "--draws".as_ref(),
            "8".as_ref(),
            "--shard".as_ref(),
            "1/1".as_ref(),
            "--out".as_ref(),
            part.as_os_str(),
        ],
        0,
    );
    let people = std::fs::read_to_string(tmp.path().join("people.csv")).unwrap();
    std::fs::write(
        tmp.path().join("people.csv"),
        people.replace("A1,young,Well,800", "A1,young,Well,801"),
    )
    .unwrap();
    let o = upstream(
        &[
            "merge".as_ref(),
            part.as_os_str(),
            "--out".as_ref(),
            tmp.path().join("m").as_os_str(),
        ],
        1,
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("people.csv has changed since the parts were made"));
    let o = upstream(
        &["run".as_ref(), file.as_os_str(), "--shard".as_ref(), "2/1".as_ref()],
        1,
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--shard 2/1 is not I/N"));
}

#[test]
fn the_slurm_and_kubernetes_scripts_run_the_shards_and_the_merge() {
    // A stand-in `sbatch` that runs an array job's tasks one after another
    // (as Slurm would in parallel) and then the dependent merge job.
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = r#"#!/bin/sh
array=""; wrap=""
for a in "$@"; do
  case "$a" in
    --array=*) array="${a#--array=}" ;;
    --wrap=*) wrap="${a#--wrap=}" ;;
  esac
done
if [ -n "$array" ]; then
  n="${array#1-}"
  i=1
  while [ "$i" -le "$n" ]; do
    SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=$n sh -c "$wrap" >/dev/null || exit 1
    i=$((i + 1))
  done
else
  sh -c "$wrap" >/dev/null || exit 1
fi
echo 4242
"#;
    std::fs::write(bin.join("sbatch"), fake).unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join("sbatch"))
        .status()
        .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let exe = env!("CARGO_BIN_EXE_upstream");
    let slurm_out = tmp.path().join("slurm-out");
    let o = Command::new(root.join("deploy/slurm/submit.sh"))
        .current_dir(root)
        .env("PATH", &path)
        .env("UPSTREAM", exe)
        .env("SCENARIO", "scenarios/older-people.toml")
        .env("DRAWS", "40")
        .env("SHARDS", "3")
        .env("PARTS", tmp.path().join("slurm-parts"))
        .env("OUT", &slurm_out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Kubernetes: the Indexed Job's pods run run-shard.sh with JOB_COMPLETION_INDEX.
    let k8s_parts = tmp.path().join("k8s-parts");
    for index in 0..2 {
        let o = Command::new(root.join("deploy/run-shard.sh"))
            .current_dir(root)
            .env("UPSTREAM", exe)
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .env("SCENARIO", "scenarios/older-people.toml")
            .env("DRAWS", "40")
            .env("SHARDS", "2")
            .env("PARTS", &k8s_parts)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let k8s_out = tmp.path().join("k8s-out");
    let o = Command::new(root.join("deploy/merge.sh"))
        .current_dir(root)
        .env("UPSTREAM", exe)
        .env("PARTS", &k8s_parts)
        .env("OUT", &k8s_out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let whole = tmp.path().join("whole");
    let o = Command::new(exe)
        .current_dir(root)
        .args(["run", "scenarios/older-people.toml", "--draws", "40", "--out"])
        .arg(&whole)
        .output()
        .unwrap();
    assert!(o.status.success());
    let expected = std::fs::read(whole.join("summary.csv")).unwrap();
    assert!(
        std::fs::read(slurm_out.join("summary.csv")).unwrap() == expected,
        "Slurm path"
    );
    assert!(
        std::fs::read(k8s_out.join("summary.csv")).unwrap() == expected,
        "Kubernetes path"
    );
    // The manifests run the same scripts.
    let job = std::fs::read_to_string(root.join("deploy/kubernetes/upstream-shards.yaml")).unwrap();
    assert!(job.contains("completionMode: Indexed") && job.contains("deploy/run-shard.sh"));
    let merge = std::fs::read_to_string(root.join("deploy/kubernetes/upstream-merge.yaml")).unwrap();
    assert!(merge.contains("deploy/merge.sh"));
}

#[test]
fn an_areas_own_entries_are_not_overwritten_by_draws_of_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let file = area_file(tmp.path(), &[("A1", "", 1.0), ("B2", "", 1.0)], "");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace(
            "people = 120\n",
            "people = { dist = \"uniform\", min = 100, max = 140 }\n",
        )
        .replace("[areas]\n", "[areas]\nentries_csv = \"entries.csv\"\n");
    std::fs::write(&file, text).unwrap();
    std::fs::write(tmp.path().join("entries.csv"), "area,people\nA1,10\nB2,30\n").unwrap();
    let out = tmp.path().join("o");
    run(&file, &out, &["--draws", "40"]);
    let s = summary(&out);
    let key = |area: &str, stat: &str| {
        (
            area.to_string(),
            "do-nothing".to_string(),
            "2026".to_string(),
            "entries".to_string(),
            stat.to_string(),
        )
    };
    // Each area's own entries in every draw: no spread, the value the table gives.
    assert!(close(s[&key("A1", "mean")], 10.0, 1e-6), "{}", s[&key("A1", "mean")]);
    assert!(close(s[&key("B2", "mean")], 30.0, 1e-6));
    assert_eq!(s[&key("A1", "sd")], 0.0);
    // Two rows for one area are refused.
    std::fs::write(tmp.path().join("entries.csv"), "area,people\nA1,10\nA1,12\nB2,30\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_upstream"))
        .arg("check")
        .arg(&file)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("area `A1` has two rows for its entries"));
}

#[test]
fn all_is_not_an_area_or_parent_name() {
    let tmp = tempfile::tempdir().unwrap();
    let file = area_file(tmp.path(), &[("A1", "all", 1.0)], "");
    let o = Command::new(env!("CARGO_BIN_EXE_upstream"))
        .arg("check")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("column `parent`: `all` is the name of the whole model's rows")
    );
}

#[test]
fn an_empty_shard_merges_in_any_order() {
    // 4 draws in 2 shards: one batch of 4, so shard 1 is empty.
    let tmp = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/older-people.toml");
    let p1 = tmp.path().join("p1");
    let p2 = tmp.path().join("p2");
    let whole = tmp.path().join("whole");
    let merged = tmp.path().join("merged");
    let o = upstream(
        &[
            "run".as_ref(),
            file.as_os_str(),
            "--draws".as_ref(),
            "4".as_ref(),
            "--shard".as_ref(),
            "1/2".as_ref(),
            "--out".as_ref(),
            p1.as_os_str(),
        ],
        0,
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("no draws (more shards than batches"));
    upstream(
        &[
            "run".as_ref(),
            file.as_os_str(),
            "--draws".as_ref(),
            "4".as_ref(),
            "--shard".as_ref(),
            "2/2".as_ref(),
            "--out".as_ref(),
            p2.as_os_str(),
        ],
        0,
    );
    upstream(
        &[
            "merge".as_ref(),
            p2.as_os_str(),
            p1.as_os_str(),
            "--out".as_ref(),
            merged.as_os_str(),
        ],
        0,
    );
    upstream(
        &[
            "run".as_ref(),
            file.as_os_str(),
            "--draws".as_ref(),
            "4".as_ref(),
            "--out".as_ref(),
            whole.as_os_str(),
        ],
        0,
    );
    assert!(std::fs::read(whole.join("summary.csv")).unwrap() == std::fs::read(merged.join("summary.csv")).unwrap());
}

#[test]
fn one_areas_intervention_ranges_equal_the_files_without_areas() {
    let tmp = tempfile::tempdir().unwrap();
    let file = area_file(tmp.path(), &[("A1", "", 1.0)], "");
    let plain = tmp.path().join("plain.toml");
    std::fs::write(&plain, uncertain_cost(&small())).unwrap();
    run(&file, &tmp.path().join("a"), &["--draws", "40"]);
    run(&plain, &tmp.path().join("p"), &["--draws", "40"]);
    let a = std::fs::read_to_string(tmp.path().join("a/interventions.csv")).unwrap();
    let p = std::fs::read_to_string(tmp.path().join("p/interventions.csv")).unwrap();
    assert!(a.lines().next().unwrap().contains("prob_net_harm"), "with ranges");
    assert_eq!(a, p);
}

/// A per-area table's absurd number is refused naming its CSV file, row and
/// column, like the file's own tables: people above 10^12 (1e13 was
/// accepted), and a scale factor that takes a figure past it.
/// A temporary folder with the three-area example and the tables it shares.
fn three_areas_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("three-areas") || name.starts_with("older-people") {
            std::fs::copy(&p, tmp.path().join(&name)).unwrap();
        }
    }
    tmp
}

#[test]
fn absurd_numbers_in_area_tables_are_refused_at_their_row() {
    let tmp = three_areas_copy();
    let check = || {
        let out = Command::new(env!("CARGO_BIN_EXE_upstream"))
            .current_dir(tmp.path())
            .args(["check", "three-areas.toml"])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    assert_eq!(check().0, Some(0), "{}", check().1);
    let population = tmp.path().join("three-areas-population.csv");
    let original = std::fs::read_to_string(&population).unwrap();
    let first = original.lines().nth(1).unwrap();
    let mut fields: Vec<&str> = first.split(',').collect();
    fields[3] = "1e13";
    std::fs::write(&population, original.replacen(first, &fields.join(","), 1)).unwrap();
    let (code, message) = check();
    assert_eq!(code, Some(1), "{message}");
    assert!(
        message.contains("three-areas-population.csv: row at line 2, column `people`") && message.contains("10^12"),
        "{message}"
    );
    std::fs::write(&population, &original).unwrap();
    let parameters = tmp.path().join("three-areas-parameters.csv");
    let text = std::fs::read_to_string(&parameters).unwrap();
    let header = text.lines().next().unwrap().to_string();
    let area = original.lines().nth(1).unwrap().split(',').next().unwrap().to_string();
    let columns: Vec<&str> = header.split(',').collect();
    let row: Vec<String> = columns
        .iter()
        .map(|c| match *c {
            "area" => area.clone(),
            "path" => "service.GP appointment.unit_cost".to_string(),
            "scale" => "1e11".to_string(),
            _ => String::new(),
        })
        .collect();
    std::fs::write(&parameters, format!("{}\n{}\n", text.trim_end(), row.join(","))).unwrap();
    let (code, message) = check();
    assert_eq!(code, Some(1), "{message}");
    assert!(
        message.contains("three-areas-parameters.csv") && message.contains("more than 10^12"),
        "{message}"
    );
}

/// `text` with the coaching reach uncertain too, so that analyses have two
/// inputs to rank.
fn uncertain_reach(text: &str) -> String {
    text.replace("reach = 0.5", "reach = { dist = \"beta\", mean = 0.5, sd = 0.1 }")
}

#[test]
fn sensitivity_and_goal_seek_work_on_an_area_or_a_roll_up() {
    use upstream::analysis::goal_seek::{Goal, goal_seek, thresholds};
    use upstream::analysis::{Metric, run_for, sensitivity, vary};
    let tmp = tempfile::tempdir().unwrap();
    let npv = Metric {
        name: "npv".into(),
        year: None,
    };
    let options = upstream::montecarlo::Options {
        draws: 40,
        seed: 3,
        percentiles: vec![5.0, 50.0, 95.0],
    };
    // One area: every analysis of it, and of `all`, is the file's without areas.
    let one = area_file(tmp.path(), &[("A1", "", 1.0)], "");
    std::fs::write(&one, uncertain_reach(&std::fs::read_to_string(&one).unwrap())).unwrap();
    let plain = tmp.path().join("plain.toml");
    std::fs::write(&plain, uncertain_reach(&uncertain_cost(&small()))).unwrap();
    let (one, plain) = (
        upstream::scenario::load(&one).unwrap().model,
        upstream::scenario::load(&plain).unwrap().model,
    );
    let p = sensitivity::one_way(&plain, "coaching", None, &npv, (10.0, 90.0)).unwrap();
    let pr = sensitivity::probabilistic(&plain, "coaching", None, &npv, &options, &|_| {}).unwrap();
    let target = Goal::parse("npv >= 0").unwrap();
    let path = "intervention.Coaching.cost_per_participant";
    let pg = goal_seek(&plain, "coaching", None, path, &target, None).unwrap();
    let pt = thresholds(&plain, "coaching", None).unwrap();
    for area in [Some("A1"), Some("all"), None] {
        let a = sensitivity::one_way(&one, "coaching", area, &npv, (10.0, 90.0)).unwrap();
        assert!(close(a.central.unwrap(), p.central.unwrap(), 1e-12), "{area:?}");
        for (x, y) in a.rows.iter().zip(&p.rows) {
            assert_eq!(x.label, y.label);
            assert!(
                close(x.swing, y.swing, 1e-12),
                "{area:?} {}: {} vs {}",
                x.label,
                x.swing,
                y.swing
            );
        }
        let ar = sensitivity::probabilistic(&one, "coaching", area, &npv, &options, &|_| {}).unwrap();
        for (x, y) in ar.rows.iter().zip(&pr.rows) {
            assert_eq!(x.label, y.label);
            assert!(close(x.spearman, y.spearman, 1e-12), "{area:?} {}", x.label);
        }
        let ag = goal_seek(&one, "coaching", area, path, &target, None).unwrap();
        let (x, y) = (ag.found.unwrap().threshold, pg.found.as_ref().unwrap().threshold);
        assert!(close(x, y, 1e-9), "{area:?}: {x} vs {y}");
        let at = thresholds(&one, "coaching", area).unwrap();
        assert_eq!(at.len(), pt.len());
        for (x, y) in at.iter().zip(&pt) {
            assert!(close(x.break_even_cost.unwrap(), y.break_even_cost.unwrap(), 1e-9));
        }
    }
    // Two areas of different sizes: `all` is their sum, and the value goal
    // seeking finds for `all` (set in every area) meets the target there.
    let dir = tmp.path().join("two");
    std::fs::create_dir(&dir).unwrap();
    let two = area_file(&dir, &[("A1", "", 0.3), ("A2", "", 0.7)], "");
    let two = upstream::scenario::load(&two).unwrap().model;
    let central = |area: &str| {
        sensitivity::one_way(&two, "coaching", Some(area), &npv, (10.0, 90.0))
            .unwrap()
            .central
            .unwrap()
    };
    let (a1, a2, all) = (central("A1"), central("A2"), central("all"));
    assert!(close(all, a1 + a2, 1e-12), "{all} vs {a1} + {a2}");
    assert!(!close(a1, a2, 1e-3), "the areas differ: {a1} {a2}");
    let seek = goal_seek(&two, "coaching", Some("all"), path, &target, None).unwrap();
    let found = seek.found.unwrap().threshold;
    let varied = vary(&two, "coaching", &path.parse().unwrap(), found).unwrap();
    let run = run_for(&varied, "coaching", None).unwrap();
    let unit = run.unit(Some("all")).unwrap();
    let at = run
        .unit_rows(unit)
        .into_iter()
        .find(|((f, y, m), _)| *f == 1 && y.is_none() && m == "npv")
        .and_then(|(_, v)| v)
        .unwrap();
    assert!(
        at.abs() <= 1e-6 * all.abs().max(1.0),
        "npv at the threshold {found}: {at}"
    );
    // The value now is an area's own when the target is that area's.
    let dir = tmp.path().join("local");
    std::fs::create_dir(&dir).unwrap();
    let local = area_file(
        &dir,
        &[("A1", "", 0.3), ("A2", "", 0.7)],
        "A2,intervention.Coaching.cost_per_participant,50,\n",
    );
    let local = upstream::scenario::load(&local).unwrap().model;
    let now = |area: &str| {
        goal_seek(&local, "coaching", Some(area), path, &target, None)
            .unwrap()
            .current
    };
    assert_eq!((now("A1"), now("A2"), now("all")), (100.0, 50.0, 100.0));
    // An unknown area is refused with the ones there are.
    let e = sensitivity::one_way(&two, "coaching", Some("B9"), &npv, (10.0, 90.0)).unwrap_err();
    assert!(e.to_string().contains("A1, A2, all"), "{e}");
}

#[test]
fn places_and_capacities_are_set_or_scaled_per_area() {
    // The three-area example with care home places on Complex and a home
    // care capacity, set in Northtown and scaled in Southvale.
    let tmp = three_areas_copy();
    let file = tmp.path().join("three-areas.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let with = text.replacen(
        "name = \"Home care\"\n",
        "name = \"Home care\"\ncapacity = { 2025 = 400000, 2030 = 440000 }\nwhen_full = { lost = 1 }\n",
        1,
    );
    assert_ne!(with, text);
    std::fs::write(
        &file,
        format!("{with}\n[[places]]\nlevel = \"Complex\"\nplaces = 3000\n"),
    )
    .unwrap();
    let parameters = tmp.path().join("three-areas-parameters.csv");
    let mut rows = std::fs::read_to_string(&parameters).unwrap();
    rows.push_str("N01,places.Complex,5000,\nS02,places.Complex,,0.5\nS02,service.Home care.capacity,,0.25\n");
    std::fs::write(&parameters, rows).unwrap();
    let out = tmp.path().join("out");
    run(&file, &out, &[]);
    let s = summary(&out);
    let at = |area: &str, year: &str, metric: &str| {
        s[&(
            area.into(),
            "do-nothing".into(),
            year.into(),
            metric.into(),
            "value".into(),
        )]
    };
    for year in ["2025", "2033"] {
        assert_eq!(at("N01", year, "places:Complex"), 5000.0);
        assert_eq!(at("S02", year, "places:Complex"), 1500.0);
        assert_eq!(at("E03", year, "places:Complex"), 3000.0);
        assert_eq!(at("all", year, "places:Complex"), 9500.0);
    }
    // The capacity keeps its years, scaled.
    assert_eq!(at("S02", "2025", "capacity:Home care"), 100_000.0);
    assert_eq!(at("S02", "2033", "capacity:Home care"), 110_000.0);
    assert_eq!(at("N01", "2033", "capacity:Home care"), 440_000.0);
    // A level without places cannot be scaled, with the row named.
    let mut rows = std::fs::read_to_string(&parameters).unwrap();
    rows.push_str("E03,places.Healthy,,2\n");
    std::fs::write(&parameters, rows).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_upstream"))
        .args(["check"])
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("three-areas-parameters.csv") && err.contains("level `Healthy` has no places to scale"),
        "{err}"
    );
}
