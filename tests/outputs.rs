//! The charts, `report.html` and `results.xlsx` of real runs of both bundled
//! examples, with and without draws: the PNGs decode at the stated size,
//! the SVGs parse, the report holds every chart and the headline and needs
//! no network, and the workbook's numbers are those of `summary.csv`.

use calamine::{Data, Reader, Xlsx, open_workbook};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const CHARTS: [&str; 7] = [
    "demand-by-level",
    "demand-difference",
    "spend-acute-preventative",
    "net-saving",
    "break-even-probability",
    "who-pays-who-saves",
    "people-by-age",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `upstream run FILE --report` (with `extra` arguments) into a fresh folder.
fn run(file: &str, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_upstream"))
        .current_dir(root())
        .args(["run", file, "--report", "--out", out.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    (tmp, out)
}

/// `summary.csv` as (scenario, year, metric, stat) → value text.
fn summary(out: &Path) -> HashMap<(String, String, String, String), String> {
    let mut reader = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                (r[0].to_string(), r[1].to_string(), r[2].to_string(), r[3].to_string()),
                r[4].to_string(),
            )
        })
        .collect()
}

fn check_charts(out: &Path) {
    for name in CHARTS {
        let png = out.join("charts").join(format!("{name}.png"));
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
        let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("{}: {e}", png.display()));
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!((info.width, info.height), (1800, 1125), "{name}.png");
        // Not a blank canvas: a chart has many colours.
        let distinct: std::collections::HashSet<&[u8]> = pixels.chunks(3).collect();
        assert!(distinct.len() > 20, "{name}.png looks blank");
        // The title is drawn (with the bundled font): dark pixels in its band.
        let dark = (20..80)
            .flat_map(|y| (30..700).map(move |x| (y * 1800 + x) * 3))
            .filter(|&i| pixels[i] < 0x50 && pixels[i + 1] < 0x50 && pixels[i + 2] < 0x50)
            .count();
        assert!(dark > 500, "{name}.png has no title text ({dark} dark pixels)");

        let svg = std::fs::read_to_string(out.join("charts").join(format!("{name}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}.svg: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let texts: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or("").trim().to_string())
            .collect();
        assert!(texts.len() >= 3, "{name}.svg has too little text");
        assert!(!texts[0].is_empty(), "{name}.svg has no title");
    }
}

fn check_report(out: &Path, scenarios: &[&str]) {
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for name in CHARTS {
        assert!(
            html.contains(&format!("id=\"{name}\"")),
            "report lacks the {name} chart"
        );
    }
    // Every chart, the pathway map and (with [maturity]) the maturity chart.
    let maturity = usize::from(html.contains("id=\"maturity\""));
    assert_eq!(html.matches("<svg ").count(), CHARTS.len() + 1 + maturity);
    assert!(html.contains("id=\"pathways\"") && html.contains("aria-label=\"Pathway map\""));
    assert!(html.contains("id=\"interventions\"") && html.contains("id=\"evidence\""));
    assert!(html.contains("id=\"headline\"") && html.contains("<table class=\"headline\">"));
    for s in scenarios {
        assert!(html.contains(&format!("<strong>{s}</strong>")), "headline lacks {s}");
    }
    assert!(html.contains("id=\"assumptions\"") && html.contains("start_year"));
    // Self-contained: no scripts, style sheets, images or fonts fetched.
    for needle in ["<script", "<link", "<img", "url(", "https://"] {
        assert!(
            !html.contains(needle),
            "report refers to something outside it: {needle}"
        );
    }
    let outside = html.matches("http://").count();
    let namespaces = html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
    assert_eq!(outside, namespaces, "report refers to an http address");
}

fn number(cell: &Data) -> Option<f64> {
    match cell {
        Data::Float(x) => Some(*x),
        Data::Int(x) => Some(*x as f64),
        Data::Empty => None,
        other => panic!("expected a number, found {other:?}"),
    }
}

/// The (metric, year, stat) of summary.csv that a Summary column shows.
fn source_of(header: &str, last_year: &str) -> (String, String, String) {
    let all = || "all".to_string();
    let value = || "value".to_string();
    if header.starts_with("Net saving, NPV") {
        ("npv".into(), all(), value())
    } else if header.starts_with("Investment, discounted") {
        ("discounted_investment".into(), all(), value())
    } else if header.starts_with("Spend avoided, discounted") {
        ("discounted_gross_saving".into(), all(), value())
    } else if header.starts_with("Return per") {
        ("return_per_pound".into(), all(), value())
    } else if header == "Break-even year" {
        ("break_even_year".into(), all(), value())
    } else if let Some(rest) = header.strip_prefix("NPV P") {
        let p = rest.split_whitespace().next().unwrap();
        ("npv".into(), all(), format!("p{p}"))
    } else if header == format!("Chance of break-even by {last_year}") {
        ("prob_break_even_by_year".into(), last_year.into(), value())
    } else if let Some(rest) = header.strip_prefix("Change in ") {
        let level = rest.split(" at end of ").next().unwrap();
        (format!("diff_people_level:{level}"), last_year.into(), value())
    } else if let Some(rest) = header.strip_prefix("Net saving to ") {
        let funder = rest.split(", NPV").next().unwrap();
        (format!("npv_funder:{funder}"), all(), value())
    } else {
        panic!("Summary column {header:?} is not one the test knows")
    }
}

fn check_workbook(out: &Path, scenarios: &[&str], last_year: &str, futures: usize, years: usize) {
    let csv = summary(out);
    let mut book: Xlsx<_> = open_workbook(out.join("results.xlsx")).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "Summary",
            "Spend by tier",
            "Spend by funder",
            "People by level",
            "Interventions",
            "Assumptions",
            "Run"
        ]
    );
    let sheet = book.worksheet_range("Summary").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(&header[..2], ["Scenario", "Description"]);
    let mut compared = 0;
    for (k, scenario) in scenarios.iter().enumerate() {
        let row = rows[k + 1];
        assert_eq!(row[0].to_string(), *scenario);
        for (c, title) in header.iter().enumerate().skip(2) {
            let (metric, year, stat) = source_of(title, last_year);
            let expected = csv
                .get(&(scenario.to_string(), year.clone(), metric.clone(), stat.clone()))
                .unwrap_or_else(|| panic!("summary.csv has no {scenario},{year},{metric},{stat}"));
            let expected: Option<f64> = (!expected.is_empty()).then(|| expected.parse().unwrap());
            assert_eq!(
                number(&row[c]),
                expected,
                "Summary {scenario} / {title} differs from summary.csv"
            );
            compared += 1;
        }
    }
    assert!(compared >= scenarios.len() * 8);

    // The yearly sheets hold one row per future and year, and agree with summary.csv.
    let tiers = book.worksheet_range("Spend by tier").unwrap();
    let rows: Vec<&[Data]> = tiers.rows().collect();
    assert_eq!(rows.len(), 1 + futures * years);
    let acute = rows[0].iter().position(|c| c.to_string().starts_with("Acute")).unwrap();
    for row in &rows[1..] {
        let year = number(&row[1]).unwrap().to_string();
        let key = (row[0].to_string(), year, "spend_acute".to_string(), "value".to_string());
        let expected: f64 = csv[&key].parse().unwrap();
        assert_eq!(number(&row[acute]), Some(expected));
    }
    let people = book.worksheet_range("People by level").unwrap();
    assert_eq!(people.rows().count(), 1 + futures * years);

    // Interventions: the same ranked rows and central figures as interventions.csv.
    let table: Vec<Vec<String>> = csv::Reader::from_path(out.join("interventions.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let header: Vec<String> = csv::Reader::from_path(out.join("interventions.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    let sheet = book.worksheet_range("Interventions").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let net = header.iter().position(|h| h == "net_saving").unwrap();
    let sheet_net = rows[0].iter().position(|c| *c == "net saving").unwrap();
    for (k, record) in table.iter().enumerate() {
        let row = rows[k + 1];
        assert_eq!(row[1].to_string(), record[1], "scenario of row {k}");
        assert_eq!(row[2].to_string(), record[2], "intervention of row {k}");
        let expected: f64 = record[net].parse().unwrap();
        let got = number(&row[sheet_net]).unwrap();
        assert!(
            (got - expected).abs() <= 1e-6 * expected.abs().max(1.0),
            "net saving of row {k}"
        );
    }
    let assumptions = book.worksheet_range("Assumptions").unwrap();
    assert!(assumptions.rows().count() > 20);
    assert!(
        assumptions
            .rows()
            .any(|r| r.get(1).is_some_and(|c| *c == "discount_rate"))
    );
}

fn scenarios_of(out: &Path) -> Vec<String> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    json["futures"].as_array().unwrap()[1..]
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn check_all(file: &str, extra: &[&str]) {
    let (_tmp, out) = run(file, extra);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let years = json["horizon_years"].as_u64().unwrap() as usize;
    let last_year = (json["start_year"].as_i64().unwrap() + years as i64 - 1).to_string();
    let last_year = last_year.as_str();
    let scenarios = scenarios_of(&out);
    let names: Vec<&str> = scenarios.iter().map(String::as_str).collect();
    check_charts(&out);
    check_report(&out, &names);
    check_workbook(&out, &names, last_year, names.len() + 1, years);
}

#[test]
fn older_people_deterministic() {
    check_all("scenarios/older-people.toml", &[]);
}

#[test]
fn older_people_with_draws() {
    check_all("scenarios/older-people.toml", &["--draws", "60"]);
}

#[test]
fn early_years_deterministic() {
    check_all("scenarios/early-years.toml", &[]);
}

#[test]
fn early_years_with_draws() {
    check_all("scenarios/early-years.toml", &["--draws", "60"]);
}

#[test]
fn a_run_without_scenarios_still_draws_every_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("alone.toml");
    let text = std::fs::read_to_string(root().join("tests/fixtures/small.toml")).unwrap();
    let cut = text.find("[[scenarios]]").expect("small.toml has scenarios");
    std::fs::write(&file, &text[..cut]).unwrap();
    let (_t, out) = run(file.to_str().unwrap(), &[]);
    check_charts(&out);
    check_report(&out, &[]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("no scenarios"));
}

#[test]
fn the_report_lists_the_files_comments() {
    let (_tmp, out) = run("scenarios/older-people.toml", &[]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // A trailing comment and a comment paragraph above a table, from the file.
    assert!(html.contains("HM Treasury Green Book rate"));
    assert!(html.contains("Age bands. People age out of each band"));
    assert!(html.contains("gamma (mean 42, sd 6, group &quot;unit costs&quot;)"));
}

#[test]
fn chart_bands_are_the_monte_carlo_percentiles() {
    use upstream::charts::Figures;
    use upstream::montecarlo::{self, FutureSpec};
    use upstream::results::rows::visit_summary;
    let model = upstream::scenario::load(&root().join("scenarios/older-people.toml"))
        .unwrap()
        .model;
    let futures = upstream::run::run_futures(&model, &[]).unwrap();
    let (accounts, comparisons) = upstream::results::account_futures(&futures);
    let specs: Vec<FutureSpec> = futures.iter().map(FutureSpec::from).collect();
    let options = montecarlo::Options {
        draws: 40,
        seed: 7,
        percentiles: vec![10.0, 25.0, 50.0, 75.0, 90.0],
    };
    let mc = montecarlo::Request::new(montecarlo::Futures::One(&specs), &options)
        .run(&model)
        .map(|mut s| s.remove(0))
        .unwrap();
    let figures = Figures::new(&model, &accounts, &comparisons, Some(&mc));
    assert_eq!(figures.outer_percentiles, Some((10.0, 90.0)));
    assert_eq!(figures.inner_percentiles, Some((25.0, 75.0)));
    // Find each plotted row's statistics by name and compare.
    let mut r = 0;
    let mut checked = 0;
    visit_summary(&model, &accounts, &comparisons, &mut |f, year, name, _| {
        let stats = &mc.rows[r];
        r += 1;
        let (Some(year), "net_saving_cumulative_discounted") = (year, name().as_str()) else {
            return;
        };
        let t = (year - model.start_year) as usize;
        let c = figures.futures[f].comparison.as_ref().unwrap();
        let u = &c.net_cumulative_discounted;
        assert_eq!(u.value[t], comparisons[f - 1].total.net_saving_cumulative_discounted[t]);
        assert_eq!(Some(u.outer.as_ref().unwrap().low[t]), stats.percentiles[0]);
        assert_eq!(Some(u.outer.as_ref().unwrap().high[t]), stats.percentiles[4]);
        assert_eq!(Some(u.inner.as_ref().unwrap().low[t]), stats.percentiles[1]);
        checked += 1;
    });
    assert_eq!(checked, (futures.len() - 1) * model.horizon_years as usize);
    // The chance of break-even is the share of draws.
    let c = figures.futures[1].comparison.as_ref().unwrap();
    let p = c.prob_break_even.as_ref().unwrap();
    assert!(
        p.windows(2).all(|w| w[0] <= w[1]),
        "a chance of having broken even never falls"
    );
    assert!(p.iter().all(|v| (v * 40.0).fract() == 0.0));
}
