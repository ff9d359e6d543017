//! The charts, `report.html` and `results.xlsx` of real runs of both bundled
//! examples and of a model with capacities, with and without draws: the
//! PNGs decode at the stated size, the SVGs parse, the report holds every
//! chart and the headline and needs no network, and the workbook's numbers
//! are those of `summary.csv`. The supply side's charts, sheet, report
//! section and table column appear for a model with capacities only.

use calamine::{Data, Reader, Xlsx, open_workbook};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const CHARTS: [&str; 6] = [
    "demand-difference",
    "spend-acute-preventative",
    "net-saving",
    "break-even-probability",
    "who-pays-who-saves",
    "people-by-age",
];

/// The supply side's charts, drawn only for a model with capacities (the
/// waiting lists only when some service's unmet demand waits).
const SUPPLY_CHARTS: [&str; 3] = ["demand-capacity", "waiting-list", "places"];

const SHEETS: [&str; 9] = [
    "Summary",
    "Spend by tier",
    "Spend by funder",
    "Budget profile",
    "People by level",
    "Activity",
    "Interventions",
    "Assumptions",
    "Run",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `upstream run FILE --report` (with `extra` arguments) into a fresh folder.
fn run(file: &str, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let (tmp, out, _) = run_printing(file, extra);
    (tmp, out)
}

/// As [`run`], with what the run printed (the table).
fn run_printing(file: &str, extra: &[&str]) -> (tempfile::TempDir, PathBuf, String) {
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
    (tmp, out, String::from_utf8_lossy(&status.stdout).into_owned())
}

/// `summary.csv` as (scenario, year, metric, stat) → value text.
type Summary = HashMap<(String, String, String, String), String>;

fn summary(out: &Path) -> Summary {
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

/// Every chart of `CHARTS` and `extra` is drawn, and no other.
fn check_charts(out: &Path, extra: &[&str]) {
    let mut expected: Vec<String> = CHARTS
        .iter()
        .chain(extra)
        .flat_map(|n| [format!("{n}.png"), format!("{n}.svg")])
        .collect();
    expected.sort();
    let mut found: Vec<String> = std::fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("areas."))
        .collect();
    found.sort();
    assert_eq!(found, expected, "the charts drawn");
    for &name in CHARTS.iter().chain(extra) {
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

/// The report holds the headline, every chart of `CHARTS` and `extra`, and
/// the section "Capacity and waiting" exactly when `extra` has charts.
fn check_report(out: &Path, scenarios: &[&str], extra: &[&str]) {
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for name in CHARTS.iter().chain(extra) {
        assert!(
            html.contains(&format!("id=\"{name}\"")),
            "report lacks the {name} chart"
        );
    }
    for name in SUPPLY_CHARTS.iter().filter(|n| !extra.contains(n)) {
        assert!(!html.contains(&format!("id=\"{name}\"")), "report has the {name} chart");
    }
    let capacities = extra.iter().any(|n| *n != "places");
    assert_eq!(html.contains("<section id=\"capacity\">"), capacities);
    assert_eq!(html.contains("Capacity and waiting"), capacities);
    assert_eq!(
        html.contains("<section id=\"levels-with-places\">"),
        extra.contains(&"places")
    );
    // Every chart, the pathway map and (with [maturity]) the maturity chart.
    let maturity = usize::from(html.contains("id=\"maturity\""));
    // The map of the system: do-nothing's, and the best scenario's.
    let maps = 1 + usize::from(!scenarios.is_empty());
    assert!(html.contains("id=\"system-map\"") && html.contains("aria-label=\"Map of the system, do-nothing\""));
    // With [outcomes] and draws, the plane and the acceptability curves.
    let health = usize::from(html.contains("id=\"ce-plane\"")) + usize::from(html.contains("id=\"ceac\""));
    assert_eq!(
        html.matches("<svg ").count(),
        CHARTS.len() + extra.len() + 1 + maturity + maps + health
    );
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
    } else if header.starts_with("Investment (") {
        ("discounted_investment".into(), all(), value())
    } else if header.starts_with("Spend avoided (") {
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
    let supplied = csv.keys().any(|(_, _, metric, _)| metric.starts_with("capacity:"));
    let placed = csv.keys().any(|(_, _, metric, _)| metric.starts_with("places:"));
    let healthy = csv.keys().any(|(_, _, metric, _)| metric == "qalys");
    let mut sheets = SHEETS.to_vec();
    if healthy {
        sheets.insert(6, "Cost-effectiveness");
    }
    if placed {
        sheets.insert(6, "Places");
    }
    if supplied {
        sheets.insert(6, "Supply");
    }
    assert_eq!(book.sheet_names(), sheets);
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
    let rows = table_rows(&tiers);
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
    let sheet_net = rows[0].iter().position(|c| *c == "net saving (£, discounted)").unwrap();
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
    if supplied {
        check_supply_sheet(&mut book, &csv, futures, years);
    }
    if placed {
        check_places_sheet(&mut book, &csv, futures, years);
    }
    let assumptions = book.worksheet_range("Assumptions").unwrap();
    assert!(assumptions.rows().count() > 20);
    assert!(assumptions.rows().any(|r| r.get(1).is_some_and(|c| *c == "start_year")));
    let header: Vec<String> = assumptions
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header[4..7], ["Source", "Vintage", "Licence"]);
    check_headers(&mut book);
    check_activity_sheet(&mut book, &csv, futures, years);
    check_budget_sheet(&mut book, &csv, futures, years);
}

/// The Places sheet: its header, and one row per future × level with
/// places × year whose every cell is summary.csv's `value` of that metric.
fn check_places_sheet(book: &mut Xlsx<std::io::BufReader<std::fs::File>>, csv: &Summary, futures: usize, years: usize) {
    let sheet = book.worksheet_range("Places").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let columns = [
        ("Places", "places"),
        ("People in it (end of year)", "occupied"),
        ("Admitted", "admitted"),
        ("Waiting for a place (end of year)", "waiting_for_place"),
        ("Mean wait (weeks)", "place_mean_wait_weeks"),
        ("Left the queue unplaced", "left_queue"),
        ("Full (1 = someone waited)", "full"),
        ("Full by this year (1 = yes)", "full_by"),
    ];
    let mut expected = vec!["Scenario", "Level", "Year"];
    expected.extend(columns.iter().map(|(h, _)| *h));
    assert_eq!(header, expected);
    let mut levels: Vec<&str> = csv
        .keys()
        .filter_map(|(_, _, metric, _)| metric.strip_prefix("places:"))
        .collect();
    levels.sort_unstable();
    levels.dedup();
    let block = futures * levels.len() * years;
    assert_eq!(rows.len(), block + 1);
    let mut filled = 0;
    for row in &rows[1..] {
        let (scenario, level) = (row[0].to_string(), row[1].to_string());
        let year = number(&row[2]).unwrap().to_string();
        assert!(levels.contains(&level.as_str()));
        for (c, (title, metric)) in columns.iter().enumerate() {
            let expected = csv
                .get(&(
                    scenario.clone(),
                    year.clone(),
                    format!("{metric}:{level}"),
                    "value".into(),
                ))
                .filter(|v| !v.is_empty())
                .map(|v| v.parse::<f64>().unwrap());
            assert_eq!(
                number(&row[3 + c]),
                expected,
                "Places {scenario} {level} {year} / {title}"
            );
            filled += usize::from(expected.is_some());
        }
    }
    assert!(
        filled >= block * 7,
        "{filled} of {} cells filled",
        block * columns.len()
    );
}

/// The Supply sheet: its header, one row per future × service with a
/// capacity × year whose every cell is summary.csv's `value` of that
/// metric (empty where summary.csv has no such row); below, per scenario
/// and funder, the cashable saving and capacity released of summary.csv.
fn check_supply_sheet(book: &mut Xlsx<std::io::BufReader<std::fs::File>>, csv: &Summary, futures: usize, years: usize) {
    let value = |scenario: &str, year: &str, metric: &str| -> Option<f64> {
        csv.get(&(scenario.into(), year.into(), metric.into(), "value".into()))
            .filter(|v| !v.is_empty())
            .map(|v| v.parse().unwrap())
    };
    let sheet = book.worksheet_range("Supply").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let columns = [
        ("Capacity", "capacity"),
        ("Demand", "demand"),
        ("Served", "served"),
        ("Unmet", "unmet"),
        ("Utilisation (served ÷ capacity)", "utilisation"),
        ("Waiting list (end of year)", "waiting_list"),
        ("Mean wait (weeks)", "mean_wait_weeks"),
        ("Share over target wait", "share_over_target"),
        ("Diverted", "diverted"),
        ("Diverted: cost at the receiver (£, undiscounted)", "diverted_cost"),
        ("Lost", "lost"),
    ];
    let mut expected = vec!["Scenario", "Service", "Year"];
    expected.extend(columns.iter().map(|(h, _)| *h));
    assert_eq!(header, expected);
    let mut services: Vec<&str> = csv
        .keys()
        .filter_map(|(_, _, metric, _)| metric.strip_prefix("capacity:"))
        .collect();
    services.sort_unstable();
    services.dedup();
    let block = futures * services.len() * years;
    let (mut compared, mut filled) = (0, 0);
    for row in &rows[1..=block] {
        let (scenario, service) = (row[0].to_string(), row[1].to_string());
        let year = number(&row[2]).unwrap().to_string();
        assert!(services.contains(&service.as_str()));
        for (c, (title, metric)) in columns.iter().enumerate() {
            let expected = value(&scenario, &year, &format!("{metric}:{service}"));
            assert_eq!(
                number(&row[3 + c]),
                expected,
                "Supply {scenario} {service} {year} / {title}"
            );
            compared += 1;
            filled += usize::from(expected.is_some());
        }
    }
    assert!(compared == block * columns.len() && filled >= block * 5);
    assert!(
        rows[block + 1].iter().all(|c| *c == Data::Empty),
        "one row after the yearly block is empty"
    );
    // The cashable saving beside the capacity released, per scenario, in all and per funder.
    let top = rows.iter().rposition(|r| r[0] == "Scenario").unwrap();
    assert_eq!(rows[top][1], "Funder");
    let mut split = 0;
    for row in rows[top + 1..].iter().take_while(|r| r[1] != Data::Empty) {
        let (scenario, funder) = (row[0].to_string(), row[1].to_string());
        let named = |metric: &str| match funder.as_str() {
            "all" => metric.to_string(),
            f => format!("{metric}_funder:{f}"),
        };
        assert_eq!(
            number(&row[2]),
            value(&scenario, "all", &named("discounted_gross_saving"))
        );
        assert_eq!(
            number(&row[3]),
            value(&scenario, "all", &named("discounted_capacity_released"))
        );
        split += 1;
    }
    assert!(
        split >= (futures - 1) * 2,
        "{split} rows of cashable saving and capacity released"
    );
}

// ---------------------------------------------------------------------------
// The workbook's headers, Activity and Budget profile sheets, and the
// terminal table's width and units (issue 24: "Workbook" and "Terminal").
// ---------------------------------------------------------------------------

/// A sheet's table: its header and rows down to the first row with nothing
/// in its first cell (the notes under a table follow a blank row).
fn table_rows(range: &calamine::Range<Data>) -> Vec<&[Data]> {
    range
        .rows()
        .take_while(|r| r.first().is_some_and(|c| *c != Data::Empty))
        .collect()
}

/// On every sheet, no two columns of the header share a name, and every
/// money header says whether it is discounted.
fn check_headers(book: &mut Xlsx<std::io::BufReader<std::fs::File>>) {
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        let header: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
        let mut seen = std::collections::HashSet::new();
        for h in &header {
            assert!(
                seen.insert(h.as_str()),
                "sheet {name} has two columns headed {h:?}: {header:?}"
            );
            if h.contains("(£") {
                assert!(
                    h.ends_with("(£, discounted)") || h.ends_with("(£, undiscounted)"),
                    "sheet {name}: {h:?} does not say whether it is discounted"
                );
            }
        }
    }
}

fn close(got: Option<f64>, expected: f64) -> bool {
    got.is_some_and(|g| (g - expected).abs() <= 1e-9 * expected.abs().max(1.0))
}

/// Activity: one row per future × year × service, its activity that of
/// summary.csv and its change do-nothing's subtracted.
fn check_activity_sheet(
    book: &mut Xlsx<std::io::BufReader<std::fs::File>>,
    csv: &Summary,
    futures: usize,
    years: usize,
) {
    let range = book.worksheet_range("Activity").unwrap();
    let rows = table_rows(&range);
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, upstream::output::workbook::ACTIVITY_COLUMNS);
    let services: std::collections::BTreeSet<&str> = csv
        .keys()
        .filter_map(|(_, _, m, _)| m.strip_prefix("activity:"))
        .collect();
    assert!(!services.is_empty());
    assert_eq!(rows.len(), 1 + futures * years * services.len());
    let value = |scenario: &str, year: &str, service: &str| -> f64 {
        let key = (
            scenario.into(),
            year.into(),
            format!("activity:{service}"),
            "value".into(),
        );
        csv[&key].parse().unwrap()
    };
    let mut changed = 0;
    for row in &rows[1..] {
        let (scenario, service) = (row[0].to_string(), row[2].to_string());
        let year = number(&row[1]).unwrap().to_string();
        let activity = value(&scenario, &year, &service);
        assert!(close(number(&row[5]), activity), "Activity {scenario} {year} {service}");
        let change = number(&row[6]);
        if scenario == "do-nothing" {
            assert_eq!(change, None);
        } else {
            let expected = activity - value("do-nothing", &year, &service);
            assert!(close(change, expected), "change of {scenario} {year} {service}");
            changed += usize::from(expected.abs() > 1e-6);
        }
    }
    if futures > 1 {
        assert!(changed > 0, "no scenario changes any activity");
    }
}

/// Budget profile: per funder × future × figure a row by calendar year,
/// every cell summary.csv's value (or, under draws, its P5 and P95 on the
/// rows under it).
fn check_budget_sheet(book: &mut Xlsx<std::io::BufReader<std::fs::File>>, csv: &Summary, futures: usize, years: usize) {
    let range = book.worksheet_range("Budget profile").unwrap();
    let rows = table_rows(&range);
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header[..4], upstream::output::workbook::BUDGET_COLUMNS);
    assert_eq!(header.len(), 4 + years);
    assert!(
        header[4..].iter().all(|h| h.starts_with("Calendar year ")),
        "{header:?}"
    );
    let drawn = csv.keys().any(|(_, _, _, stat)| stat == "p5");
    let funders: std::collections::BTreeSet<&str> = csv
        .keys()
        .filter_map(|(_, _, m, _)| m.strip_prefix("spend_funder:"))
        .collect();
    let per_figure = if drawn { 3 } else { 1 };
    // Spend for every future; interventions and net saving for each scenario.
    assert!(rows.len() > funders.len() * (1 + 3 * (futures - 1)) * per_figure);
    let mut spend_rows = 0;
    for row in &rows[1..] {
        let (funder, scenario, figure, statistic) = (
            row[0].to_string(),
            row[1].to_string(),
            row[2].to_string(),
            row[3].to_string(),
        );
        let metric = [
            ("Spend: services", "spend_funder"),
            ("Of which interventions", "investment_funder"),
            ("Net saving vs do-nothing", "net_saving_funder"),
            ("Budget (", "budget_funder"),
            ("Over budget", "budget_gap_funder"),
        ]
        .iter()
        .find(|(label, _)| figure.starts_with(label))
        .map(|(_, m)| format!("{m}:{funder}"))
        .unwrap_or_else(|| panic!("Budget profile figure {figure:?} is not one the test knows"));
        assert!(figure.ends_with("(£, undiscounted)"), "{figure}");
        spend_rows += usize::from(metric.starts_with("spend_funder") && statistic != "P5" && statistic != "P95");
        let stat = match statistic.as_str() {
            "value" if !drawn => "value".to_string(),
            "at the means" if drawn => "value".to_string(),
            "P5" | "P95" if drawn => statistic.to_lowercase(),
            other => panic!("statistic {other:?} (draws: {drawn})"),
        };
        for (c, title) in header.iter().enumerate().skip(4) {
            let year = title.trim_start_matches("Calendar year ").to_string();
            let key = (scenario.clone(), year.clone(), metric.clone(), stat.clone());
            let expected: f64 = csv
                .get(&key)
                .unwrap_or_else(|| panic!("summary.csv has no {key:?}"))
                .parse()
                .unwrap();
            assert!(close(number(&row[c]), expected), "Budget profile {key:?}");
        }
    }
    assert_eq!(spend_rows, funders.len() * futures);
}

/// The printed table's lines, in characters.
fn widest(printed: &str) -> usize {
    printed.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// Total acute spend over the horizon of each future, from summary.csv.
fn acute_totals(out: &Path) -> Vec<f64> {
    let csv = summary(out);
    let mut totals: HashMap<String, f64> = HashMap::new();
    for ((scenario, _, metric, stat), value) in &csv {
        if metric == "spend_acute" && stat == "value" {
            *totals.entry(scenario.clone()).or_default() += value.parse::<f64>().unwrap();
        }
    }
    totals.into_values().collect()
}

#[test]
fn the_printed_table_fits_100_columns_with_billions_where_spend_reaches_one() {
    for file in [
        "scenarios/older-people.toml",
        "scenarios/early-years.toml",
        "scenarios/bench-national.toml",
    ] {
        // bench-national asks for 10,000 draws itself: `--draws 0` is its
        // run without draws.
        for extra in [&[][..], &["--draws", "50"][..], &["--draws", "0"][..]] {
            let (_tmp, out, printed) = run_printing(file, extra);
            let line = printed.lines().max_by_key(|l| l.chars().count()).unwrap_or("");
            assert!(
                widest(&printed) <= 100,
                "{file} {extra:?}: a line of {} characters:\n{line}",
                widest(&printed)
            );
            // Every future and every column is still there.
            for name in scenarios_of(&out) {
                let model = upstream::scenario::load(&root().join(file)).unwrap().model;
                let title = &model.scenarios.iter().find(|s| s.name == name).unwrap().title;
                assert!(
                    printed.lines().any(|l| l.starts_with(title.as_str())),
                    "{title} missing:\n{printed}"
                );
            }
            for column in ["net saving", "return", "break-even", "acute", "preventative"] {
                assert!(printed.contains(column), "{column} missing:\n{printed}");
            }
            // A file may ask for draws itself.
            let drawn = summary(&out).keys().any(|(_, _, _, stat)| stat == "p5");
            assert_eq!(printed.contains("NPV P5 to P95"), drawn, "{printed}");
            // Spend over the horizon in billions once a future's reaches one,
            // and never as thousands of millions.
            let billions = acute_totals(&out).iter().any(|&t| t >= 999.95e6);
            let do_nothing: Vec<&str> = printed.lines().filter(|l| l.starts_with("do-nothing ")).collect();
            assert!(
                do_nothing.iter().any(|l| l.contains("bn")) == billions,
                "{file}: billions {billions}:\n{printed}"
            );
            let thousands_of_millions = printed
                .split_whitespace()
                .any(|w| w.ends_with('m') && w.contains(',') && w.contains('£'));
            assert!(
                !thousands_of_millions,
                "{file}: a figure in thousands of millions:\n{printed}"
            );
        }
    }
}
#[test]
fn the_budget_profile_has_the_files_budgets() {
    for extra in [&[][..], &["--draws", "20"][..]] {
        let (_tmp, out) = run("tests/fixtures/capacity-full.toml", extra);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
        let years = json["horizon_years"].as_u64().unwrap() as usize;
        let futures = scenarios_of(&out).len() + 1;
        let csv = summary(&out);
        let mut book: Xlsx<_> = open_workbook(out.join("results.xlsx")).unwrap();
        check_headers(&mut book);
        check_budget_sheet(&mut book, &csv, futures, years);
        let range = book.worksheet_range("Budget profile").unwrap();
        let rows = table_rows(&range);
        for figure in ["Budget (", "Over budget"] {
            assert!(
                rows.iter().any(|r| r[2].to_string().starts_with(figure)),
                "no {figure} row in the Budget profile"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// End of the block of issue 24's workbook and terminal checks.
// ---------------------------------------------------------------------------

fn scenarios_of(out: &Path) -> Vec<String> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    json["futures"].as_array().unwrap()[1..]
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// The supply charts a run should have drawn, by its `summary.csv`: demand
/// against capacity when some service has a capacity, the waiting lists
/// when some service keeps one.
fn supply_charts(csv: &Summary) -> Vec<&'static str> {
    let has = |prefix: &str| csv.keys().any(|(_, _, metric, _)| metric.starts_with(prefix));
    let mut charts = Vec::new();
    if has("capacity:") {
        charts.push(SUPPLY_CHARTS[0]);
    }
    if has("waiting_list:") {
        charts.push(SUPPLY_CHARTS[1]);
    }
    if has("places:") {
        charts.push(SUPPLY_CHARTS[2]);
    }
    charts
}

/// Runs `file` and checks its charts, report, workbook and table; returns
/// the folder and what the run printed.
/// The map of the system's files: do-nothing's, then each scenario's.
fn map_files(scenarios: &[&str]) -> Vec<String> {
    std::iter::once("system-map".to_string())
        .chain(scenarios.iter().map(|s| format!("system-map-{s}")))
        .collect()
}

fn check_all(file: &str, extra: &[&str]) -> (tempfile::TempDir, PathBuf, String) {
    let (tmp, out, printed) = run_printing(file, extra);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let years = json["horizon_years"].as_u64().unwrap() as usize;
    let last_year = (json["start_year"].as_i64().unwrap() + years as i64 - 1).to_string();
    let last_year = last_year.as_str();
    let scenarios = scenarios_of(&out);
    let names: Vec<&str> = scenarios.iter().map(String::as_str).collect();
    let supply = supply_charts(&summary(&out));
    let maps = map_files(&names);
    // With [outcomes] and draws, the cost-effectiveness charts.
    let analysis = std::fs::read_to_string(out.join("cost-effectiveness.csv")).unwrap_or_default();
    let health: &[&str] = match (out.join("savi").exists(), analysis.contains("\nevppi,")) {
        (true, true) => &["ce-plane", "ceac", "evppi"],
        // Too few draws for EVPPI's regression.
        (true, false) => &["ce-plane", "ceac"],
        _ => &[],
    };
    let drawn: Vec<&str> = (supply.iter().copied())
        .chain(maps.iter().map(String::as_str))
        .chain(health.iter().copied())
        .collect();
    check_charts(&out, &drawn);
    // The report calls scenarios by their titles.
    let model = upstream::scenario::load(&root().join(file)).unwrap().model;
    let titles: Vec<&str> = names
        .iter()
        .map(|n| model.scenarios.iter().find(|s| s.name == *n).unwrap().title.as_str())
        .collect();
    check_report(&out, &titles, &supply);
    check_workbook(&out, &names, last_year, names.len() + 1, years);
    let capacities = supply.iter().any(|n| *n != "places");
    assert_eq!(printed.contains("first over capacity"), capacities, "{printed}");
    assert_eq!(printed.contains("first full"), supply.contains(&"places"), "{printed}");
    (tmp, out, printed)
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
fn places_alone_draw_their_chart_section_and_sheet() {
    for extra in [&[][..], &["--draws", "40"][..]] {
        let (_tmp, out, printed) = check_all("tests/fixtures/places.toml", extra);
        assert_eq!(supply_charts(&summary(&out)), ["places"]);
        assert!(printed.contains("first full"), "{printed}");
        let svg = std::fs::read_to_string(out.join("charts/places.svg")).unwrap();
        assert!(svg.contains("Care home") && svg.contains("first year full"));
    }
}

#[test]
fn capacity_deterministic() {
    let (_tmp, out, printed) = check_all("tests/fixtures/capacity.toml", &[]);
    assert_eq!(supply_charts(&summary(&out)), SUPPLY_CHARTS[..2]);
    // Home care's demand passes 900 a year in 2028, with coaching too (by a
    // little). A future's row may be wrapped onto several tables' lines.
    let row = |name: &str| {
        let lines: Vec<&str> = (printed.lines())
            .filter(|l| l.starts_with(&format!("{name} ")))
            .collect();
        assert!(!lines.is_empty(), "no row of {name}");
        lines.join("  ")
    };
    assert!(row("do-nothing").contains("2028 Home care"), "{printed}");
    assert!(row("coaching").contains("2028 Home care"), "{printed}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let section = &html[html.find("<section id=\"capacity\">").unwrap()..];
    assert!(section.contains("<td>Home care</td><td>do-nothing</td><td class=\"num\">2028</td>"));
    assert!(section.contains("the queue shortens"));
    assert!(section.contains("Council: capacity released"));
    assert!(!section.contains("Chance over capacity"), "no chances without draws");
}

#[test]
fn capacity_with_draws() {
    let (_tmp, out, _) = check_all("tests/fixtures/capacity.toml", &["--draws", "60"]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // The chance by the last year is the mean of the 0/1 over_capacity_by rows.
    let csv = summary(&out);
    let key = |stat: &str| {
        (
            "do-nothing".to_string(),
            "2029".to_string(),
            "over_capacity_by:Home care".to_string(),
            stat.to_string(),
        )
    };
    let p: f64 = csv[&key("mean")].parse().unwrap();
    assert!(html.contains("Chance over capacity by 2029"));
    assert!(html.contains(&format!("<td class=\"num\">{:.0}%</td>", p * 100.0)));
    // The P5–P95 bands are drawn: a draws note under the title.
    let svg = std::fs::read_to_string(out.join("charts/demand-capacity.svg")).unwrap();
    assert!(svg.contains("P5–P95 over 60 draws"));
}

#[test]
fn capacities_with_nothing_waiting_draw_no_waiting_list() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("lost.toml");
    let text = std::fs::read_to_string(root().join("tests/fixtures/capacity.toml")).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            !["divert_to", "divert_ratio", "renege", "target_wait_weeks"]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .map(|l| {
            if l.starts_with("when_full") {
                "when_full = { lost = 1 }"
            } else {
                l
            }
        })
        .collect();
    std::fs::write(&file, kept.join("\n")).unwrap();
    let (_t, out, _) = check_all(file.to_str().unwrap(), &[]);
    assert_eq!(supply_charts(&summary(&out)), ["demand-capacity"]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("no waiting list"));
}

#[test]
fn a_model_without_capacities_has_no_supply_outputs() {
    for extra in [&[][..], &["--draws", "20"][..]] {
        let (_t, out, printed) = check_all("tests/fixtures/small.toml", extra);
        let csv = summary(&out);
        assert!(supply_charts(&csv).is_empty());
        assert!(
            !csv.keys()
                .any(|(_, _, m, _)| m.contains("capacity") || m.contains("wait"))
        );
        assert!(!printed.contains("capacity"));
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(!html.contains("Capacity and waiting") && !html.contains("capacity released"));
        let book: Xlsx<_> = open_workbook(out.join("results.xlsx")).unwrap();
        assert_eq!(book.sheet_names(), SHEETS);
    }
}

#[test]
fn a_run_without_scenarios_still_draws_every_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("alone.toml");
    let text = std::fs::read_to_string(root().join("tests/fixtures/small.toml")).unwrap();
    let cut = text.find("[[scenarios]]").expect("small.toml has scenarios");
    std::fs::write(&file, &text[..cut]).unwrap();
    let (_t, out) = run(file.to_str().unwrap(), &[]);
    check_charts(&out, &["system-map"]);
    check_report(&out, &[], &[]);
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

#[test]
fn supply_figures_are_the_summary_rows() {
    use upstream::charts::Figures;
    use upstream::montecarlo::{self, FutureSpec};
    use upstream::results::rows::visit_summary;
    // The capacity fixture with an uncertain transition, so that the bands have width.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("uncertain.toml");
    let text = std::fs::read_to_string(root().join("tests/fixtures/capacity.toml")).unwrap();
    let text = text.replacen(
        "probability = 0.1\n",
        "probability = { dist = \"beta\", mean = 0.1, sd = 0.02 }\n",
        1,
    );
    std::fs::write(&file, text).unwrap();
    let model = upstream::scenario::load(&file).unwrap().model;
    let futures = upstream::run::run_futures(&model, &[]).unwrap();
    let (accounts, comparisons) = upstream::results::account_futures(&futures);
    let specs: Vec<FutureSpec> = futures.iter().map(FutureSpec::from).collect();
    let options = montecarlo::Options {
        draws: 40,
        seed: 7,
        percentiles: vec![5.0, 50.0, 95.0],
    };
    let mc = montecarlo::Request::new(montecarlo::Futures::One(&specs), &options)
        .run(&model)
        .map(|mut s| s.remove(0))
        .unwrap();
    let figures = Figures::new(&model, &accounts, &comparisons, Some(&mc));
    assert_eq!(figures.supply.len(), 1);
    let service = &figures.supply[0];
    assert_eq!((service.name.as_str(), service.waits), ("Home care", true));
    assert_eq!(service.target_wait_weeks, Some(18.0));
    let mut r = 0;
    let mut checked = 0;
    let mut wide = false;
    visit_summary(&model, &accounts, &comparisons, &mut |f, year, name, value| {
        let stats = &mc.rows[r];
        r += 1;
        let name = name();
        let future = &service.futures[f];
        let Some(year) = year else {
            if name == "first_year_over_capacity:Home care" {
                assert_eq!(future.first_over_capacity.map(f64::from), value);
                checked += 1;
            }
            return;
        };
        let t = (year - model.start_year) as usize;
        let (series, ranged) = match name.as_str() {
            "demand:Home care" => (&future.demand.value, Some(&future.demand)),
            "waiting_list:Home care" => (&future.waiting_list.value, Some(&future.waiting_list)),
            "capacity:Home care" => (&future.capacity, None),
            "over_capacity_by:Home care" => {
                let p = future.prob_over_capacity_by.as_ref().unwrap();
                assert_eq!(Some(p[t]), stats.mean);
                checked += 1;
                return;
            }
            _ => return,
        };
        assert_eq!(Some(series[t]), value, "{name} {year}");
        if let Some(u) = ranged {
            let outer = u.outer.as_ref().unwrap();
            assert_eq!(
                (Some(outer.low[t]), Some(outer.high[t])),
                (stats.percentiles[0], stats.percentiles[2])
            );
            wide |= outer.high[t] > outer.low[t];
        }
        checked += 1;
    });
    let years = model.horizon_years as usize;
    assert_eq!(checked, futures.len() * (4 * years + 1));
    assert!(wide, "the bands have width");
    // Each scenario's capacity released, in all and per funder.
    for (f, c) in comparisons.iter().enumerate() {
        let s = figures.futures[f + 1].comparison.as_ref().unwrap();
        assert_eq!(
            s.discounted_capacity_released,
            Some(c.total.discounted_capacity_released)
        );
        for (fu, saving) in s.funders.iter().zip(&c.by_funder) {
            assert_eq!(fu.capacity_released, Some(saving.discounted_capacity_released));
        }
    }
    // A model without capacities has no supply figures.
    let small = upstream::scenario::load(&root().join("tests/fixtures/small.toml"))
        .unwrap()
        .model;
    let futures = upstream::run::run_futures(&small, &[]).unwrap();
    let (accounts, comparisons) = upstream::results::account_futures(&futures);
    let figures = Figures::new(&small, &accounts, &comparisons, None);
    assert!(figures.supply.is_empty());
    assert!(
        figures.futures.iter().filter_map(|f| f.comparison.as_ref()).all(
            |c| c.discounted_capacity_released.is_none() && c.funders.iter().all(|f| f.capacity_released.is_none())
        )
    );
}

/// detail.csv's rows of `scenario` in `year`, summed over bands, per level:
/// each column's total.
fn detail_by_level(out: &Path, scenario: &str, year: &str) -> HashMap<(String, String), f64> {
    let mut reader = csv::Reader::from_path(out.join("detail.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let mut sums = HashMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        if &row[0] != scenario || &row[1] != year {
            continue;
        }
        for (column, value) in header.iter().zip(row.iter()).skip(4) {
            *sums.entry((row[3].to_string(), column.clone())).or_insert(0.0) += value.parse::<f64>().unwrap();
        }
    }
    sums
}

#[test]
fn the_map_has_a_stock_per_level_and_the_flows_of_detail_csv() {
    let file = root().join("scenarios/older-people.toml");
    let (_tmp, out) = run("scenarios/older-people.toml", &[]);
    let model = upstream::scenario::load(&file).unwrap().model;
    let request = upstream::pipeline::Request::futures_only(Vec::new());
    let run = upstream::pipeline::Run::new(&model, request).unwrap();
    let results = run.finish(None).unwrap();
    let detail = upstream::pipeline::labelled(&model, &results.detail);
    let figures = upstream::charts::Figures::new(&model, &results.accounts, &results.comparisons, None);
    let maps = upstream::output::maps::maps(&detail, &figures, Some(2030));
    assert_eq!(maps.len(), 1 + model.scenarios.len());
    for (f, (stem, map)) in maps.iter().enumerate() {
        let future = &detail[0].1[f];
        assert_eq!(map.year, 2030);
        assert_eq!(map.levels.len(), model.levels.len(), "{stem}: one stock per level");
        assert_eq!(map.against.is_some(), f > 0);
        let sums = detail_by_level(&out, &future.name, "2030");
        let close = |a: f64, b: f64, what: &str| {
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                "{stem}, {what}: map {a}, detail.csv {b}"
            );
        };
        for (l, level) in map.levels.iter().enumerate() {
            let csv = |column: &str| sums[&(level.name.clone(), column.to_string())];
            assert_eq!(level.name, model.levels[l]);
            close(level.people, csv("people_end"), "people");
            close(level.entries, csv("entries"), "entries");
            close(level.exits, csv("exits"), "exits");
            close(level.aged_out, csv("aged_out"), "aged out");
            close(level.migration, csv("migration"), "migration");
            let out_of: f64 = map.flows.iter().filter(|x| x.from == l).map(|x| x.people).sum();
            let into: f64 = map.flows.iter().filter(|x| x.to == l).map(|x| x.people).sum();
            close(out_of, csv("moved_out"), &format!("moves out of {}", level.name));
            close(into, csv("moved_in"), &format!("moves into {}", level.name));
        }
        // Every intervention of the plan is keyed, and marks what it changes.
        assert_eq!(map.interventions.len(), future.plan.len(), "{stem}");
        // The picture: each level's name once as a box's heading.
        let svg = map.svg().unwrap();
        for name in &model.levels {
            assert_eq!(svg.matches(&format!(">\n{name}\n</text>")).count(), 1, "{stem}: {name}");
        }
    }
    // The file on disk is do-nothing's map of the last year.
    let svg = std::fs::read_to_string(out.join("charts/system-map.svg")).unwrap();
    assert!(svg.contains("Map of the system, 2039"));
}
