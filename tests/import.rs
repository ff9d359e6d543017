//! Starting a model from the official files: the importers on fixtures in
//! the official layouts (`tests/fixtures/import/`), `upstream new` followed
//! by `check` for one area and several, a golden message for each kind of
//! error, and the start and the projection agreeing (no first-step jump).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use upstream::import::bands::{Band, band_totals};
use upstream::import::{fingertips, lookup::Lookup, ons};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import")
}

fn file(name: &str) -> PathBuf {
    dir().join(name)
}

fn upstream(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_upstream"))
        .current_dir(dir())
        .args(args)
        .output()
        .unwrap()
}

/// `upstream new` for Bromsgrove from the 2022-based projection (and
/// `extra`) into `target`, which must succeed.
fn new_bromsgrove(target: &Path, extra: &[&str]) {
    let mut args = vec![
        "new",
        "--area",
        "E07000234",
        "--projection",
        "snpp-2022-persons.csv",
        "--out",
        target.to_str().unwrap(),
    ];
    args.extend(extra);
    new_ok(&args);
}

/// `upstream` with `args` (a `new`), which must succeed.
fn new_ok(args: &[&str]) {
    let made = upstream(args);
    assert_eq!(made.status.code(), Some(0), "{}", text(&made.stderr));
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn older_bands() -> Vec<Band> {
    [
        ("50-64", 50.0, Some(65.0)),
        ("65-74", 65.0, Some(75.0)),
        ("75-84", 75.0, Some(85.0)),
        ("85+", 85.0, None),
    ]
    .iter()
    .map(|(n, l, u)| Band {
        name: n.to_string(),
        lower: *l,
        upper: *u,
    })
    .collect()
}

/// The sum of a CSV file's `column` over rows where `keep` holds, read
/// plainly (the test's own reading of the layout, not the importer's).
fn plain_sum(path: &Path, column: &str, keep: impl Fn(&csv::StringRecord, &csv::StringRecord) -> bool) -> f64 {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let at = header.iter().position(|h| h == column).unwrap();
    reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| keep(&header, r))
        .map(|r| r[at].parse::<f64>().unwrap())
        .sum()
}

fn age_of(header: &csv::StringRecord, r: &csv::StringRecord, column: &str) -> Option<usize> {
    let at = header.iter().position(|h| h == column).unwrap();
    let a = &r[at];
    if a == "90 and over" { Some(90) } else { a.parse().ok() }
}

#[test]
fn projection_ages_sum_into_bands_exactly() {
    let p = ons::read_projection(&[file("snpp-2022-persons.csv")]).unwrap();
    assert_eq!(p.vintage(), "2022-based");
    assert_eq!(p.years.first(), Some(&2022));
    assert_eq!(p.areas.len(), 3);
    let area = &p.areas["E07000234"];
    let totals = band_totals(&area.years[&2030], &older_bands()).unwrap();
    let bounds = [(50, 64), (65, 74), (75, 84), (85, 90)];
    for (b, (lo, hi)) in bounds.iter().enumerate() {
        let expected = plain_sum(&file("snpp-2022-persons.csv"), "2030", |h, r| {
            &r[0] == "E07000234" && age_of(h, r, "AGE_GROUP").is_some_and(|a| a >= *lo && a <= *hi)
        });
        assert!(
            (totals[b] - expected).abs() < 1e-6,
            "band {b}: {} vs {expected}",
            totals[b]
        );
    }
}

#[test]
fn males_and_females_files_sum_to_persons() {
    let split = ons::read_projection(&[file("snpp-2018-males.csv"), file("snpp-2018-females.csv")]).unwrap();
    let persons = ons::read_projection(&[file("snpp-2022-persons.csv")]).unwrap();
    assert_eq!(split.vintage(), "2018-based");
    let a = band_totals(&split.areas["E07000234"].years[&2025], &older_bands()).unwrap();
    let b = band_totals(&persons.areas["E07000234"].years[&2025], &older_bands()).unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < 1e-6, "{x} vs {y}");
    }
}

#[test]
fn estimates_sum_sexes_and_take_ninety_as_ninety_and_over() {
    let e = ons::read_estimates(&file("mye-2023.csv")).unwrap();
    assert_eq!(e.vintage(), "mid-2023, 2023 boundaries");
    let totals = band_totals(&e.areas["E06000019"].years[&2023], &older_bands()).unwrap();
    let expected = plain_sum(&file("mye-2023.csv"), "population_2023", |h, r| {
        &r[0] == "E06000019" && age_of(h, r, "age").is_some_and(|a| a >= 85)
    });
    assert_eq!(totals[3], expected);
}

#[test]
fn a_lookup_rolls_districts_up_and_an_indicator_becomes_a_beta() {
    let l = Lookup::read(&file("lookup-ltla-utla-2023.csv")).unwrap();
    let areas = l.areas_of("E10000034").unwrap();
    assert_eq!(
        areas.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        ["E07000234", "E07000235"]
    );
    assert_eq!(l.areas_of("E07000235").unwrap().len(), 1);
    let i = fingertips::read(&file("fingertips-frailty.csv"), "E07000234").unwrap();
    assert_eq!(i.value, 31.2);
    assert_eq!(i.share_toml(), "{ dist = \"beta\", mean = 0.312, sd = 0.005612 }");
}

/// `new` writes a file that `check` accepts and whose band totals are the
/// estimates' (one area) or whose [areas] are the lookup's (several).
#[test]
fn new_then_check_for_one_area_and_several() {
    let tmp = tempfile::tempdir().unwrap();
    let out = |n: &str| tmp.path().join(n).to_str().unwrap().to_string();
    let cases: [(&str, Vec<&str>); 4] = [
        ("one.toml", vec!["--area", "E07000234", "--estimates", "mye-2023.csv"]),
        (
            "two.toml",
            vec!["--area", "E07000234,E06000019", "--estimates", "mye-2023.csv"],
        ),
        (
            "county.toml",
            vec![
                "--area",
                "E10000034",
                "--lookup",
                "lookup-ltla-utla-2023.csv",
                "--estimates",
                "mye-2023.csv",
            ],
        ),
        ("early.toml", vec!["--area", "E07000235", "--template", "early-years"]),
    ];
    for (name, extra) in cases {
        let target = out(name);
        let mut args = vec!["new", "--projection", "snpp-2022-persons.csv", "--out", &target];
        args.extend(extra);
        let made = upstream(&args);
        assert_eq!(made.status.code(), Some(0), "{name}: {}", text(&made.stderr));
        let checked = upstream(&["check", &target]);
        assert_eq!(checked.status.code(), Some(0), "{name}: {}", text(&checked.stderr));
        let again = upstream(&args);
        assert_eq!(again.status.code(), Some(1), "{name} was overwritten");
    }
    // `run` runs it, and the report flags the template's figures.
    let results = tmp.path().join("results");
    let ran = upstream(&["run", &out("one.toml"), "--report", "--out", results.to_str().unwrap()]);
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran.stderr));
    let report = std::fs::read_to_string(results.join("report.html")).unwrap();
    assert!(report.contains("How much of this is local evidence:"));
    assert!(report.contains("<td>ONS, population estimates for local authorities (mid-year)</td><td>mid-2023, 2023 boundaries</td><td>Open Government Licence v3.0</td>"));
    let one = upstream::scenario::load(&tmp.path().join("one.toml")).unwrap();
    let e = ons::read_estimates(&file("mye-2023.csv")).unwrap();
    let expected = band_totals(&e.areas["E07000234"].years[&2023], &older_bands()).unwrap();
    let nl = one.model.levels.len();
    for (b, want) in expected.iter().enumerate() {
        let got: f64 = one.model.population[b * nl..(b + 1) * nl].iter().sum();
        assert!((got - want).abs() < 1e-6, "band {b}: {got} vs {want}");
    }
    assert_eq!(one.model.start_year, 2023);
    let people = one
        .assumptions
        .iter()
        .flat_map(|s| &s.items)
        .find(|a| a.key == "people")
        .unwrap();
    assert_eq!(people.provenance.vintage, "mid-2023, 2023 boundaries");
    let (replace, _, all) = upstream::scenario::assumptions::standing_counts(&one.assumptions);
    assert!(replace > 100 && replace < all, "{replace} of {all}");
    let county = upstream::scenario::load(&tmp.path().join("county.toml")).unwrap();
    let codes: Vec<&str> = county.model.areas.iter().map(|a| a.code.as_str()).collect();
    assert_eq!(codes, ["E07000234", "E07000235"]);
    assert_eq!(county.model.areas[0].parent.as_deref(), Some("Worcestershire"));
}

/// `--need`: in the bands the indicator's ages cover (65+: all but 50-64),
/// each area's share at the level or above is the area's value, the
/// template's split above and below kept; the band it does not cover keeps
/// the template's mix; `check` passes (one area, and two as [areas]).
#[test]
fn a_need_indicator_sets_the_share_at_or_above_its_level_in_the_bands_it_covers() {
    let tmp = tempfile::tempdir().unwrap();
    let template =
        upstream::scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/older-people.toml")).unwrap();
    let nl = template.model.levels.len();
    let mix = |population: &[f64], b: usize| -> Vec<f64> {
        let cells = &population[b * nl..(b + 1) * nl];
        let total: f64 = cells.iter().sum();
        cells.iter().map(|p| p / total).collect()
    };
    let need = ["--need", "At risk=fingertips-frailty.csv"];
    let one = tmp.path().join("one.toml");
    new_bromsgrove(&one, &need);
    let county = tmp.path().join("county.toml");
    let mut args = vec![
        "new",
        "--area",
        "E10000034",
        "--lookup",
        "lookup-ltla-utla-2023.csv",
        "--projection",
        "snpp-2022-persons.csv",
        "--out",
        county.to_str().unwrap(),
    ];
    args.extend(need);
    new_ok(&args);
    let one = upstream::scenario::load(&one).unwrap();
    let county = upstream::scenario::load(&county).unwrap();
    let cases = [
        (&one.model.population, 0.312),
        (&county.model.areas[0].model.population, 0.312),
        (&county.model.areas[1].model.population, 0.290),
    ];
    for (population, value) in cases {
        let before = mix(&template.model.population, 0);
        let after = mix(population, 0);
        for l in 0..nl {
            assert!(
                (after[l] - before[l]).abs() < 1e-6,
                "50-64, level {l}: {after:?} vs {before:?}"
            );
        }
        for b in 1..template.model.bands.len() {
            let (before, after) = (mix(&template.model.population, b), mix(population, b));
            let above: f64 = after[1..].iter().sum();
            assert!(
                (above - value).abs() < 1e-6,
                "band {b}: {above} at or above, not {value}"
            );
            let was: f64 = before[1..].iter().sum();
            for l in 0..nl {
                let kept = if l == 0 { 1.0 - value } else { before[l] / was * value };
                assert!(
                    (after[l] - kept).abs() < 1e-6,
                    "band {b}, level {l}: {} vs {kept}",
                    after[l]
                );
            }
        }
    }
    let checked = upstream(&["check", tmp.path().join("county.toml").to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked.stderr));
}

/// Each kind of error gets its message, which names the file (and row).
#[test]
fn errors_have_golden_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("x.toml");
    let target = target.to_str().unwrap();
    let cases: [(&str, Vec<&str>); 11] = [
        (
            "need-unknown-level",
            vec![
                "--area",
                "E07000234",
                "--projection",
                "snpp-2022-persons.csv",
                "--need",
                "Frail=fingertips-frailty.csv",
            ],
        ),
        (
            "need-lowest-level",
            vec![
                "--area",
                "E07000234",
                "--projection",
                "snpp-2022-persons.csv",
                "--need",
                "Healthy=fingertips-frailty.csv",
            ],
        ),
        (
            "need-ages-covering-no-band",
            vec![
                "--area",
                "E07000234",
                "--projection",
                "snpp-2022-persons.csv",
                "--need",
                "At risk=bad/fingertips-young.csv",
            ],
        ),
        (
            "unknown-area",
            vec![
                "--area",
                "E06000019",
                "--projection",
                "snpp-2018-males.csv",
                "--projection",
                "snpp-2018-females.csv",
            ],
        ),
        (
            "malformed-area",
            vec!["--area", "E6000019", "--projection", "snpp-2022-persons.csv"],
        ),
        (
            "malformed-code-in-row",
            vec!["--area", "E07000234", "--projection", "bad/snpp-bad-code.csv"],
        ),
        (
            "missing-year",
            vec!["--area", "E07000234", "--projection", "bad/snpp-missing-year.csv"],
        ),
        (
            "ages-not-covering-bands",
            vec!["--area", "E07000234", "--projection", "bad/snpp-no-ninety.csv"],
        ),
        (
            "mixed-release-years",
            vec![
                "--area",
                "E07000234",
                "--projection",
                "snpp-2018-males.csv",
                "--projection",
                "snpp-2022-persons.csv",
            ],
        ),
        (
            "mixed-boundary-vintages",
            vec![
                "--area",
                "E10000034",
                "--projection",
                "snpp-2022-persons.csv",
                "--estimates",
                "mye-2023.csv",
                "--lookup",
                "bad/lookup-2022.csv",
            ],
        ),
        (
            "mixed-vintages-in-a-lookup",
            vec![
                "--area",
                "E07000234",
                "--projection",
                "snpp-2022-persons.csv",
                "--lookup",
                "bad/lookup-mixed.csv",
            ],
        ),
    ];
    for (name, extra) in cases {
        let mut args = vec!["new", "--out", target];
        args.extend(extra);
        let out = upstream(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(!Path::new(target).exists(), "{name} wrote a file");
        let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/import/{name}.txt"));
        if std::env::var_os("UPSTREAM_UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &stderr).unwrap();
        } else {
            let want = std::fs::read_to_string(&golden)
                .unwrap_or_else(|_| panic!("missing {}; run with UPSTREAM_UPDATE_GOLDEN=1", golden.display()));
            assert_eq!(stderr, want, "message for {name} differs from {}", golden.display());
        }
    }
}

/// The estimates start about 1% above the projection's 2023. The projection
/// is scaled to start from them, so the do-nothing run's net migration in
/// its first step is like that of the steps after it, not a jump of 1%.
#[test]
fn the_start_and_the_projection_agree_with_no_first_step_jump() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("one.toml");
    new_bromsgrove(&target, &["--estimates", "mye-2023.csv"]);
    let loaded = upstream::scenario::load(&target).unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.message.contains("scaled to start from the starting population"))
    );
    let model = &loaded.model;
    let nl = model.levels.len();
    let nb = model.bands.len();
    let migration = |m: &upstream::model::Model| {
        upstream::engine::simulate(m, &[], upstream::engine::Calibration::ToProjection)
            .unwrap()
            .migration_by_step
    };
    let aligned = migration(model);
    // The same model with the projection as published (not aligned).
    let mut raw = model.clone();
    let projection = raw.projection.as_mut().unwrap();
    let published = ons::read_projection(&[file("snpp-2022-persons.csv")]).unwrap();
    for (year, totals) in &mut projection.points {
        *totals = band_totals(&published.areas["E07000234"].years[year], &older_bands()).unwrap();
    }
    let unaligned = migration(&raw);
    for b in 0..nb {
        let people: f64 = model.population[b * nl..(b + 1) * nl].iter().sum();
        let jump = |m: &[f64]| (m[b] - m[nb + b]).abs() / people;
        assert!(
            jump(&aligned) < 0.001,
            "band {b}: first-step jump {:.4}",
            jump(&aligned)
        );
        assert!(
            jump(&unaligned) > 0.005,
            "band {b}: the test would not see a jump ({:.4})",
            jump(&unaligned)
        );
    }
}

/// A projection more than twice (or under half) the start is not of the
/// same place and ages: it is used as it is, with a warning.
#[test]
fn a_projection_far_from_the_start_is_left_as_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("far.toml");
    new_bromsgrove(&target, &[]);
    let table = tmp.path().join("far-projection.csv");
    let tripled: String = std::fs::read_to_string(&table)
        .unwrap()
        .lines()
        .map(|line| match line.rsplit_once(',') {
            Some((head, people)) if people.parse::<f64>().is_ok() => {
                format!("{head},{}\n", people.parse::<f64>().unwrap() * 3.0)
            }
            _ => format!("{line}\n"),
        })
        .collect();
    std::fs::write(&table, tripled).unwrap();
    let loaded = upstream::scenario::load(&target).unwrap();
    assert!(
        loaded.warnings.iter().any(|w| w.message.contains("far apart")),
        "{:?}",
        loaded.warnings
    );
    let nl = loaded.model.levels.len();
    let start: f64 = loaded.model.population[..nl].iter().sum();
    let projected = loaded.model.projection.as_ref().unwrap().points[0].1[0];
    assert!((projected / start - 3.0).abs() < 1e-9, "{projected} vs {start}");
}
