//! One meaning per colour, read back from the SVGs and the report of real
//! runs of both bundled examples: each chart draws only in its own family
//! of `charts::style` (money, the scenarios', need levels', age bands',
//! tiers'; a deal's parties the palette in order) besides greys, acute
//! spend's colour is on acute spend alone, and a scenario has the same
//! colour on every chart (the areas chart included) and in the report.

use plotters::style::RGBColor;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use upstream::charts::style;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `upstream run FILE --draws 20 --report` into a fresh folder.
fn run(file: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_upstream"))
        .current_dir(root())
        .args(["run", file, "--draws", "20", "--report", "--out", out.to_str().unwrap()])
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

fn parse(hex: &str) -> Option<RGBColor> {
    let hex = hex.strip_prefix('#')?;
    let v = u32::from_str_radix(hex, 16).ok().filter(|_| hex.len() == 6)?;
    Some(RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8))
}

/// A colour painted by an element: its fill, or its stroke if unfilled.
fn painted(node: roxmltree::Node) -> Option<RGBColor> {
    node.attribute("fill")
        .and_then(parse)
        .or_else(|| node.attribute("stroke").and_then(parse))
}

/// Every colour an SVG paints (fills and strokes), and its legend: each
/// label with the colour of the key drawn just before it, if not grey.
struct Chart {
    colours: HashSet<(u8, u8, u8)>,
    legend: Vec<(String, RGBColor)>,
}

fn read(path: &Path) -> Chart {
    let svg = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let mut colours = HashSet::new();
    let mut legend = Vec::new();
    let mut key = None;
    for node in doc.descendants().filter(|n| n.is_element()) {
        for attribute in ["fill", "stroke"] {
            if let Some(c) = node.attribute(attribute).and_then(parse) {
                colours.insert((c.0, c.1, c.2));
            }
        }
        if node.has_tag_name("text") {
            // A legend's label starts beside its key, centred on it.
            let label = node.attribute("text-anchor") == Some("start") && node.attribute("dy") == Some("0.5ex");
            if let Some(c) = key.take().filter(|_| label) {
                legend.push((node.text().unwrap_or("").trim().to_string(), c));
            }
        } else {
            // A grey before a label is a panel's background or an axis,
            // not a key (do-nothing's grey key is not checked).
            key = painted(node).filter(|&c| !grey(rgb(c)));
        }
    }
    Chart { colours, legend }
}

fn grey(c: (u8, u8, u8)) -> bool {
    c.0 == c.1 && c.1 == c.2
}

fn rgb(c: RGBColor) -> (u8, u8, u8) {
    (c.0, c.1, c.2)
}

/// What each chart may draw in besides greys.
fn family(chart: &str, model: &upstream::model::Model, futures: &[RGBColor]) -> Vec<RGBColor> {
    use upstream::model::Tier;
    let levels = (0..model.levels.len()).map(|l| style::level(l, model.levels.len()));
    let bands = (0..model.bands.len()).map(|b| style::band(b, model.bands.len()));
    match chart {
        "spend-acute-preventative" => vec![style::ACUTE, style::PREVENTATIVE],
        "who-pays-who-saves" => vec![style::INVESTMENT, style::SAVING],
        "demand-difference" => levels.collect(),
        "people-by-age" => bands.collect(),
        c if c.starts_with("system-map") => levels
            .chain([Tier::Primary, Tier::Secondary, Tier::Tertiary, Tier::Acute].map(style::tier))
            .collect(),
        "net-saving" | "break-even-probability" | "demand-capacity" | "waiting-list" | "places" | "areas" => {
            futures.to_vec()
        }
        // The cost-effectiveness analysis: its strategies are the futures.
        "ce-plane" | "ceac" => futures.to_vec(),
        // EVPPI's bars show no future: the palette's first colour.
        "evppi" => vec![style::series(0)],
        // A deal's parties are not scenarios: the palette in order.
        c if c.starts_with("cash-flows") => (0..style::SCENARIO_COLOURS).map(style::series).collect(),
        other => panic!("a chart this test does not know: {other}"),
    }
}

fn check(file: &str) {
    let (_tmp, out) = run(file);
    let model = upstream::scenario::load(&root().join(file)).unwrap().model;
    let names: Vec<&str> = std::iter::once("do-nothing")
        .chain(model.scenarios.iter().map(|s| s.name.as_str()))
        .collect();
    let futures = style::future_colours(&names);
    let titles: Vec<&str> = std::iter::once("do-nothing")
        .chain(model.scenarios.iter().map(|s| s.title.as_str()))
        .collect();
    let mut seen: BTreeMap<String, BTreeMap<String, RGBColor>> = BTreeMap::new();
    let mut svgs: Vec<PathBuf> = std::fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    svgs.sort();
    let mut acute_on = Vec::new();
    for path in &svgs {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let chart = read(path);
        let allowed: HashSet<_> = family(&stem, &model, &futures).into_iter().map(rgb).collect();
        for &c in &chart.colours {
            assert!(
                grey(c) || allowed.contains(&c),
                "{file}: {stem}.svg paints {c:?}, outside its family"
            );
        }
        if chart.colours.contains(&rgb(style::ACUTE)) {
            acute_on.push(stem.clone());
        }
        // Legends: acute spend's key is labelled acute; each scenario's key
        // is in its colour.
        for (label, colour) in &chart.legend {
            if *colour == style::ACUTE {
                assert!(
                    label == "acute" || label.starts_with("Acute"),
                    "{stem}: acute's colour on {label:?}"
                );
            }
            // Scenarios by title (the areas chart names them by name).
            let f = titles
                .iter()
                .position(|t| t == label)
                .or_else(|| names.iter().position(|n| n == label));
            if let Some(f) = f.filter(|&f| f > 0) {
                seen.entry(label.clone()).or_default().insert(stem.clone(), *colour);
                assert_eq!(*colour, futures[f], "{file}: {label} in {stem}.svg");
            }
        }
    }
    // Acute spend's colour: its line, and acute services on the maps.
    assert!(
        acute_on.contains(&"spend-acute-preventative".to_string()),
        "{acute_on:?}"
    );
    assert!(
        acute_on
            .iter()
            .all(|c| c == "spend-acute-preventative" || c.starts_with("system-map")),
        "{file}: acute's colour on {acute_on:?}"
    );
    // Every scenario shows in a legend, and the report's headline puts the
    // same colour beside its title.
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    for (f, title) in titles.iter().enumerate().skip(1) {
        // (A file of one scenario draws no legend of scenarios.)
        assert!(
            titles.len() < 3 || seen.contains_key(*title),
            "{file}: {title} is in no legend"
        );
        if let Some(areas) = seen.get(names[f]) {
            assert_eq!(
                areas.get("areas"),
                Some(&futures[f]),
                "{file}: {} on the areas chart",
                names[f]
            );
        }
        let swatch = format!(
            "background:{}\" aria-hidden=\"true\"></span><strong>{}</strong>",
            style::hex(futures[f]),
            title.replace('&', "&amp;")
        );
        assert!(report.contains(&swatch), "{file}: the report's swatch for {title}");
    }
    // Money figures in the report are in the money's text colours.
    assert!(report.contains(&format!("--good: {};", style::hex(style::GAIN_TEXT))));
    assert!(report.contains(&format!("--bad: {};", style::hex(style::LOSS_TEXT))));
}

#[test]
fn older_people_keeps_one_meaning_per_colour() {
    check("scenarios/older-people.toml");
}

#[test]
fn early_years_keeps_one_meaning_per_colour() {
    check("scenarios/early-years.toml");
}

#[test]
fn areas_and_deals_keep_one_meaning_per_colour() {
    check("scenarios/three-areas.toml");
    check("scenarios/worcestershire-sib.toml");
}
