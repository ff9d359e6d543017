//! Evidence ratings, pathway gaps and the intervention cost table, against
//! the documented scale and hand-worked answers (the fixtures in
//! `tests/fixtures/evidence/` say how each figure comes about).

use std::path::{Path, PathBuf};
use std::process::Command;
use upstream::evidence::costs::{self, CostTable};
use upstream::evidence::pathways::{Coverage, PathwayMap};
use upstream::model::Model;
use upstream::montecarlo::{self, FutureSpec, Options};
use upstream::uncertainty::Distribution;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/evidence")
        .join(name)
}

fn load(name: &str) -> Model {
    upstream::scenario::load(&fixture(name)).unwrap().model
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * b.abs().max(1.0)
}

#[test]
fn ratings_map_to_the_documented_distributions() {
    let model = load("rated.toml");
    let scale = &model.evidence_scale;
    let find = |label: &str| model.uncertain.iter().find(|u| u.label == label).unwrap();
    // Rating 4 keeps the whole stated effect, spread 0.25 of its size:
    // relative risk 0.6 → normal(0.6, 0.1) cut at ±3 sd.
    let u = find("intervention.Strong.relative_risk.Mid.High");
    assert_eq!(scale.rating(4).effect_share, 1.0);
    assert_eq!(
        u.distribution,
        Distribution::Normal {
            mean: 0.6,
            sd: 0.1,
            min: 0.3,
            max: 0.9
        }
    );
    assert!(u.reversed, "an effect below 1 takes its group's quantile reversed");
    // A rise (step down 1.5) → normal(1.5, 0.125), not reversed, same group.
    let up = find("intervention.Strong.relative_risk.Mid.Low");
    assert_eq!(
        up.distribution,
        Distribution::Normal {
            mean: 1.5,
            sd: 0.125,
            min: 1.125,
            max: 1.875
        }
    );
    assert!(!up.reversed);
    assert_eq!(u.group, up.group);
    // Rating 2 with the scale's optimism bias (35%): size 0.4 → 0.26; half
    // of it on average (mean 0.87), spread 0.5 × 0.26 = 0.13.
    let h = find("intervention.Hopeful.relative_risk.Mid.High");
    assert_eq!(scale.rating(2).optimism_bias, 0.35);
    match h.distribution {
        Distribution::Normal { mean, sd, min, max } => {
            assert!(
                close(mean, 0.87, 1e-12) && close(sd, 0.13, 1e-12),
                "{:?}",
                h.distribution
            );
            assert!(
                close(min, 0.48, 1e-12) && close(max, 1.26, 1e-12),
                "{:?}",
                h.distribution
            );
        }
        d => panic!("{d:?}"),
    }
    // The model's value is the distribution's mean (a plain run uses it).
    let strong = &model.interventions[model.intervention_index("Strong").unwrap()];
    assert_eq!(strong.effects[0].value(), 0.6);
    assert_eq!(strong.stated_effects, vec![Some(0.6), Some(1.5)]);
    // Unrated: as written, no distribution.
    assert!(!model.uncertain.iter().any(|u| u.label.contains("Unrated")));
}

#[test]
fn a_rated_effect_samples_to_its_documented_mean_and_width_and_effects_move_together() {
    let model = load("rated.toml");
    let ids: Vec<usize> = [
        "intervention.Hopeful.relative_risk.Mid.High",
        "intervention.Hopeful.multiplier.Crisis",
    ]
    .iter()
    .map(|l| model.uncertain.iter().position(|u| &u.label == l).unwrap())
    .collect();
    let n = 20_000;
    let draws: Vec<Vec<f64>> = (0..n).map(|d| montecarlo::sample(&model, 7, d)).collect();
    let rr: Vec<f64> = draws.iter().map(|d| d[ids[0]]).collect();
    let mean = rr.iter().sum::<f64>() / n as f64;
    let sd = (rr.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    // normal(0.87, 0.13) cut at ±3 sd: mean 0.87, sd 0.13 × 0.9866 (the cut's).
    assert!((mean - 0.87).abs() < 4.0 * 0.13 / (n as f64).sqrt(), "mean {mean}");
    assert!((sd - 0.13 * 0.98658).abs() < 0.003, "sd {sd}");
    // Harm (relative risk above 1): P(Z > 1) under the cut normal.
    let harmful = rr.iter().filter(|&&x| x > 1.0).count() as f64 / n as f64;
    let expected = (0.158_655 - 0.001_350) / 0.997_300;
    assert!((harmful - expected).abs() < 0.01, "harm {harmful} vs {expected}");
    // Both effects are reductions in one group: their strengths move together.
    let m: Vec<f64> = draws.iter().map(|d| d[ids[1]]).collect();
    for (a, b) in rr.iter().zip(&m) {
        // Same quantile: (rr − 0.87)/0.13 = (m − 0.935)/0.065.
        assert!(close((a - 0.87) / 0.13, (b - 0.935) / 0.065, 1e-6), "{a} {b}");
    }
    // A rise and a fall of one programme: a good draw is good for both.
    let strong: Vec<usize> = [
        "intervention.Strong.relative_risk.Mid.High",
        "intervention.Strong.relative_risk.Mid.Low",
    ]
    .iter()
    .map(|l| model.uncertain.iter().position(|u| &u.label == l).unwrap())
    .collect();
    for d in draws.iter().take(500) {
        let fall = (0.6 - d[strong[0]]) / 0.1;
        let rise = (d[strong[1]] - 1.5) / 0.125;
        assert!(close(fall, rise, 1e-6), "{fall} {rise}");
    }
}

#[test]
fn evidence_ages_outside_the_target_bands_are_warnings() {
    let loaded = upstream::scenario::load(&fixture("rated.toml")).unwrap();
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let w = loaded.warnings[0].to_string();
    assert!(
        w.contains("rated.toml:")
            && w.contains("intervention `Hopeful` is applied to band `10+`, which is open-ended, above the 10 years its evidence covers"),
        "{w}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_upstream"))
        .arg("check")
        .arg(fixture("rated.toml"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: ") && stderr.contains("`Hopeful`"), "{stderr}");
}

#[test]
fn the_pathway_map_finds_the_known_gaps() {
    let model = load("rated.toml");
    let map = PathwayMap::of_file(&model);
    let cell = |band: usize, level: usize| &map.whole().cells[band * 3 + level];
    // Strong (rating 4) reaches 0-5 and 5-10 × Mid; Hopeful (2) 5-10 and
    // 10+ × Mid and High; Unrated 0-5 × Low.
    assert_eq!(cell(0, 0).coverage, Coverage::Weak);
    assert_eq!(cell(0, 0).best_rating, None);
    assert_eq!(cell(0, 1).coverage, Coverage::Strong);
    assert_eq!(cell(0, 2).coverage, Coverage::Gap);
    assert_eq!(cell(1, 0).coverage, Coverage::Gap);
    assert_eq!(cell(1, 1).coverage, Coverage::Strong);
    assert_eq!(cell(1, 1).reached_by.len(), 2);
    assert_eq!(cell(1, 2).coverage, Coverage::Weak);
    assert_eq!(cell(1, 2).best_rating, Some(2));
    assert_eq!(cell(2, 0).coverage, Coverage::Gap);
    assert_eq!(cell(2, 1).coverage, Coverage::Weak);
    assert_eq!(cell(2, 2).coverage, Coverage::Weak);
    assert_eq!(map.counts(), [2, 4, 3]);
    assert_eq!(cell(0, 1).people, 300.0);
    // One scenario's map: only Strong.
    let s = &model.scenarios[0];
    let one = PathwayMap::new(&model, &s.interventions, &s.name);
    assert_eq!(one.counts(), [2, 0, 7]);
}

#[test]
fn the_pathway_map_by_domain_counts_only_the_domains_interventions() {
    let model = load("hand.toml");
    let map = PathwayMap::of_file(&model);
    assert_eq!(map.grids.len(), 3);
    // Prevention (health) reaches Well; Ill care declares no domain.
    assert_eq!(map.grids[1].cells[0].coverage, Coverage::Weak);
    assert_eq!(map.grids[1].cells[1].coverage, Coverage::Gap);
    assert_eq!(map.grids[2].cells[0].coverage, Coverage::Gap);
    assert_eq!(map.whole().cells[1].coverage, Coverage::Weak);
}

fn table(model: &Model) -> CostTable {
    let futures = upstream::run::run_futures(model, &[]).unwrap();
    let (accounts, _) = upstream::results::account_futures(&futures);
    let specs: Vec<FutureSpec> = futures.iter().map(FutureSpec::from).collect();
    let (extra, pairs) = costs::attributions(&specs);
    let extra_accounts = costs::account_extra(&futures[0], &extra).unwrap();
    let all: Vec<_> = accounts.into_iter().chain(extra_accounts).collect();
    let central = costs::values_of(model, &pairs, &all);
    CostTable::new(model, &specs, &extra, &pairs, &central, None, &|_| false)
}

#[test]
fn cost_per_outcome_matches_the_hand_worked_example() {
    let model = load("hand.toml");
    let t = table(&model);
    let get = |scenario: &str, intervention: &str, figure: &str| -> f64 {
        let i = model.intervention_index(intervention).unwrap();
        let row = t
            .rows
            .iter()
            .find(|r| r.scenario == scenario && r.intervention == i)
            .unwrap();
        row.central[t.index(figure)]
    };
    let eps = 1e-9;
    assert!(close(get("prevention", "Prevention", "participants"), 1950.0, eps));
    assert!(close(get("prevention", "Prevention", "cost"), 195_000.0, eps));
    assert!(close(
        get("prevention", "Prevention", "cost_discounted"),
        195_000.0,
        eps
    ));
    assert!(close(
        get("prevention", "Prevention", "cost_per_participant"),
        100.0,
        eps
    ));
    assert!(close(get("prevention", "Prevention", "moves_avoided"), 92.5, eps));
    assert!(close(
        get("prevention", "Prevention", "cost_per_move_avoided"),
        195_000.0 / 92.5,
        eps
    ));
    assert!(close(
        get("prevention", "Prevention", "acute_spend_avoided"),
        50_000.0,
        eps
    ));
    assert!(close(get("prevention", "Prevention", "gross_saving"), 50_000.0, eps));
    assert!(close(get("prevention", "Prevention", "net_saving"), -145_000.0, eps));
    assert!(close(
        get("prevention", "Prevention", "return_per_pound"),
        50_000.0 / 195_000.0,
        eps
    ));
    // By funder: the saving is the NHS's, the cost the Council's.
    assert!(close(
        get("prevention", "Prevention", "return_per_pound_funder:NHS"),
        50_000.0 / 195_000.0,
        eps
    ));
    assert_eq!(get("prevention", "Prevention", "return_per_pound_funder:Council"), 0.0);
    // In the package, Prevention is measured against "Ill care" alone: acute
    // use is halved there (multiplier mean 0.5), so it avoids 50,000 − 25,000.
    assert!(close(get("both", "Prevention", "acute_spend_avoided"), 25_000.0, eps));
    assert!(close(get("both", "Prevention", "moves_avoided"), 92.5, eps));
    let i = model.intervention_index("Prevention").unwrap();
    let row = t
        .rows
        .iter()
        .find(|r| r.scenario == "both" && r.intervention == i)
        .unwrap();
    assert_eq!(row.against, "both without Prevention");
    // Ill care in the package: against Prevention alone, whose year-2 Ill
    // person-years are 50: 50 × 1,000 × 0.5 avoided, no moves.
    assert!(close(get("both", "Ill care", "acute_spend_avoided"), 25_000.0, eps));
    assert!(close(get("both", "Ill care", "moves_avoided"), 0.0, eps));
    assert!(get("both", "Ill care", "cost_per_move_avoided").is_nan());
}

#[test]
fn under_qualified_delivery_scales_fidelity() {
    // `untrained`: no qualified staff, the scale's default 0.5 of fidelity:
    // the relative risk's effect is halved, 1 − 0.5·(1 − 0.5) = 0.75 → 7.5%
    // a year: 75 then 69.375 moves, 25 + 20.625 avoided.
    let model = load("hand.toml");
    let s = model.scenarios.iter().find(|s| s.name == "untrained").unwrap();
    let iv = &s.model.interventions[0];
    assert_eq!(iv.workforce_factor(), 0.5);
    let t = table(&model);
    let row = t.rows.iter().find(|r| r.scenario == "untrained").unwrap();
    assert!(close(row.central[t.index("moves_avoided")], 45.625, 1e-9));
}

#[test]
fn weak_evidence_can_do_net_harm_and_the_table_says_how_often() {
    // "Ill care" rated 1 has its multiplier given as a distribution: used as
    // given (uniform 0.4–0.6, never harmful). Rate Prevention 0 (no effect
    // on average, symmetric): about half the draws raise service spend.
    let path = fixture("hand.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "cost_per_participant = 100\ndomains",
        "cost_per_participant = 100\nevidence_rating = 0\ndomains",
    );
    let model = upstream::scenario::parse(&path, &text, String::new()).unwrap().model;
    let u = model
        .uncertain
        .iter()
        .find(|u| u.label == "intervention.Prevention.relative_risk.Well.Ill")
        .unwrap();
    let p = upstream::evidence::harm_probability(0.5, &u.distribution).unwrap();
    assert!((p - 0.5).abs() < 1e-9, "{p}");
    let futures = upstream::run::run_futures(&model, &[]).unwrap();
    let specs: Vec<FutureSpec> = futures.iter().map(FutureSpec::from).collect();
    let (extra, pairs) = costs::attributions(&specs);
    let drawn: Vec<_> = pairs.iter().filter(|p| p.without == 0).cloned().collect();
    let figures = |a: &[upstream::results::Accounts]| costs::values_of(&model, &drawn, a);
    let options = Options {
        draws: 2000,
        seed: 11,
        percentiles: vec![5.0, 50.0, 95.0],
    };
    let extra_work = montecarlo::Extra {
        reported: specs.len(),
        figures: &figures,
        keep_parameters: true,
    };
    let mc = montecarlo::Request {
        extra: Some(&extra_work),
        ..montecarlo::Request::new(montecarlo::Futures::One(&specs), &options)
    }
    .run(&model)
    .map(|mut s| s.remove(0))
    .unwrap();
    let per_draw: Vec<Vec<f64>> = mc.records.iter().map(|r| r.figures.clone()).collect();
    let central = vec![0.0; pairs.len() * costs::figure_names(&model).len()];
    let t = CostTable::new(
        &model,
        &specs,
        &extra,
        &pairs,
        &central,
        Some((&per_draw, &options.percentiles)),
        &|p| p.without == 0,
    );
    let row = t.rows.iter().find(|r| r.scenario == "prevention").unwrap();
    let harm = row.prob_net_harm.unwrap();
    assert!((harm - 0.5).abs() < 0.04, "chance of net harm {harm}");
    // The package's rows were not drawn (no --attribute): no statistics.
    assert!(
        t.rows
            .iter()
            .filter(|r| r.scenario == "both")
            .all(|r| r.stats.is_none())
    );
    // The summary rows are those of the reported futures only, with the
    // same statistics as a plain run.
    let plain = montecarlo::Request::new(montecarlo::Futures::One(&specs), &options)
        .run(&model)
        .map(|mut s| s.remove(0))
        .unwrap();
    assert_eq!(mc.rows, plain.rows);
}

#[test]
fn bad_evidence_settings_are_refused_with_their_line() {
    let path = fixture("hand.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let cases = [
        (
            text.replace("evidence_rating = 1", "evidence_rating = 7"),
            "evidence_rating is 7; give a whole number from 0 to 4 on the evidence scale (0 none or negative, 1 theory only, 2 preliminary, 3 good, 4 strong)",
        ),
        (
            text.replace("domains = [\"health\"]", "domains = [\"heath\"]"),
            "unknown domain `heath`; the model's domains are `health`, `learning`",
        ),
        (
            text.replace(
                "cost_per_participant = 100\n",
                "cost_per_participant = 100\noptimism_bias = true\n",
            ),
            "optimism_bias = true takes its share from the evidence rating",
        ),
        (
            text.replace(
                "cost_per_participant = 100\n",
                "cost_per_participant = 100\nworkforce = { qualified = 1.5 }\n",
            ),
            "workforce.qualified is 1.5; give a share from 0 to 1",
        ),
        (
            text.replace("[model]\n", "[model]\nevidence_scale = \"missing.toml\"\n"),
            "cannot read the evidence scale `missing.toml`",
        ),
    ];
    for (text, expected) in cases {
        let e = upstream::scenario::parse(&path, &text, String::new())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("hand.toml:") && e.contains(expected),
            "{e}\n  expected: {expected}"
        );
    }
}

#[test]
fn a_model_may_bring_its_own_evidence_scale() {
    let dir = tempfile::tempdir().unwrap();
    let scale = upstream::evidence::scale_text().replace("strong_from = 3", "strong_from = 1");
    std::fs::write(dir.path().join("scale.toml"), scale).unwrap();
    let text = std::fs::read_to_string(fixture("rated.toml"))
        .unwrap()
        .replace("[model]\n", "[model]\nevidence_scale = \"scale.toml\"\n");
    let path = dir.path().join("rated.toml");
    std::fs::write(&path, text).unwrap();
    let loaded = upstream::scenario::load(&path).unwrap();
    let model = loaded.model;
    assert_eq!(model.evidence_scale.strong_from, 1);
    assert!(loaded.sources.iter().any(|s| s.path.ends_with("scale.toml")));
    // Rated 1 and up is strong now: only the unrated cell stays weak.
    assert_eq!(PathwayMap::of_file(&model).counts(), [5, 1, 3]);
    // A broken scale names its own file and line.
    std::fs::write(dir.path().join("scale.toml"), "version = 1\nstrong_from = \"high\"\n").unwrap();
    let e = upstream::scenario::load(&path).unwrap_err().to_string();
    assert!(
        e.contains("scale.toml:2") && e.contains("not a valid evidence scale"),
        "{e}"
    );
}

#[test]
fn pathways_command_writes_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("map");
    let run = Command::new(env!("CARGO_BIN_EXE_upstream"))
        .arg("pathways")
        .arg(fixture("rated.toml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("2 cells with strong evidence (rating 3+), 4 weak only, 3 gaps"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(out.join("pathways.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 9);
    assert!(
        csv.contains(
            "every intervention in the file,all domains,5-10,Mid,300,strong,2,4,Strong (rating 4); Hopeful (rating 2)"
        ),
        "{csv}"
    );
    for f in ["pathways.png", "pathways.svg"] {
        assert!(std::fs::metadata(out.join(f)).unwrap().len() > 1000);
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_upstream"))
        .args(["pathways", "--scenario", "nope"])
        .arg(fixture("rated.toml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no scenario named `nope`; the scenarios are `strong-only`"));
    assert!(out.join("pathways.csv").exists(), "an earlier map is kept");
}

#[test]
fn attributed_draws_write_draws_csv_for_the_reported_futures_only() {
    let tmp = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/early-years.toml");
    let out = tmp.path().join("o");
    let run = Command::new(env!("CARGO_BIN_EXE_upstream"))
        .arg("run")
        .arg(&file)
        .args(["--draws", "24", "--attribute", "--draws-csv", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let draws = std::fs::read_to_string(out.join("draws.csv")).unwrap();
    let header = draws.lines().next().unwrap();
    assert!(!header.contains(" without "), "no leave-one-out futures in draws.csv");
    assert!(draws.lines().all(|l| l.split(',').count() == header.split(',').count()));
    // The package's rows now carry ranges.
    let csv = std::fs::read_to_string(out.join("interventions.csv")).unwrap();
    let row = csv
        .lines()
        .find(|l| l.contains(",best-start,Parent-infant psychotherapy,"))
        .unwrap();
    assert!(!row.ends_with(",,"), "{row}");
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(
        !summary.contains(" without "),
        "no leave-one-out futures in summary.csv"
    );
}
