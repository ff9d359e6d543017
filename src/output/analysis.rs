//! Writing sensitivity analyses: `one-way.csv` and its tornado chart,
//! `rank-correlation.csv` and its chart (with draws), `sensitivity.json`;
//! and finding them again for a run's report.

use crate::analysis::Metric;
use crate::analysis::sensitivity::{OneWay, RankCorrelation};
use crate::charts::{BarKind, BarRow, Bars};
use crate::format::{currency_prefix, percent};
use crate::model::{Model, SourceFile};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Inputs shown in a chart (every input is in the CSV).
pub const CHART_ROWS: usize = 15;

/// How a metric's numbers read on an axis: money in millions, others as they are.
fn scale(model: &Model, metric: &Metric) -> (f64, String) {
    if crate::format::is_money_metric(&metric.name) {
        let cur = currency_prefix(&model.currency);
        (
            1e-6,
            format!("{metric} ({} million, {} prices)", cur.trim(), model.price_base_year),
        )
    } else {
        (1.0, metric.to_string())
    }
}

/// Where `upstream sensitivity` writes by default, beside the run's folder:
/// `out/<stem>-sensitivity/<scenario>--<metric>[-<year>][--<area>]/`.
pub fn default_dir(run_dir: &Path, scenario: &str, area: Option<&str>, metric: &Metric) -> PathBuf {
    let mut name = format!("{scenario}--{}", metric.name);
    if let Some(y) = metric.year {
        name.push_str(&format!("-{y}"));
    }
    if let Some(area) = area {
        name.push_str(&format!("--{area}"));
    }
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    sensitivity_root(run_dir).join(name)
}

fn sensitivity_root(run_dir: &Path) -> PathBuf {
    let stem = run_dir
        .file_name()
        .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
    run_dir.with_file_name(format!("{stem}-sensitivity"))
}

/// The tornado of a one-way analysis (the `CHART_ROWS` largest swings).
pub fn tornado(model: &Model, one_way: &OneWay) -> Bars {
    let (s, axis) = scale(model, &one_way.metric);
    let (lo, hi) = one_way.percentiles;
    let central = crate::analysis::comparable(model, &one_way.metric, one_way.central) * s;
    // An output with no value (e.g. no return without investment) draws no bar.
    let fill = |v: Option<f64>| {
        let x = crate::analysis::comparable(model, &one_way.metric, v) * s;
        if x.is_finite() { x } else { central }
    };
    Bars {
        title: format!(
            "What drives {} in {}",
            one_way.metric,
            place(&one_way.scenario, one_way.area.as_deref())
        ),
        subtitle: vec![
            format!(
                "One input at a time moved to its P{} and P{} with the others at their means; the {} inputs with the largest swing",
                crate::output::csv_files::number(lo),
                crate::output::csv_files::number(hi),
                one_way.rows.len().min(CHART_ROWS)
            ),
            format!("{}: every input is in one-way.csv", model.name),
        ],
        axis,
        low_label: format!("input at P{}", crate::output::csv_files::number(lo)),
        high_label: format!("input at P{}", crate::output::csv_files::number(hi)),
        kind: BarKind::Tornado { central },
        rows: one_way
            .rows
            .iter()
            .take(CHART_ROWS)
            .map(|r| BarRow {
                label: r.label.clone(),
                first: fill(r.output_low),
                second: Some(fill(r.output_high)),
            })
            .collect(),
    }
}

/// The rank-correlation chart of a probabilistic analysis.
pub fn rank_chart(model: &Model, rc: &RankCorrelation) -> Bars {
    Bars {
        title: format!(
            "Which uncertain inputs move {} in {}",
            rc.metric,
            place(&rc.scenario, rc.area.as_deref())
        ),
        subtitle: vec![
            format!(
                "Rank correlation of each sampled input with the output over {} draws (seed {}); groups that share a draw are one input",
                rc.draws, rc.seed
            ),
            rc.prcc_note
                .clone()
                .unwrap_or_else(|| format!("{}: every input is in rank-correlation.csv", model.name)),
        ],
        axis: "rank correlation with the output".into(),
        low_label: "Spearman".into(),
        high_label: "partial (others held fixed)".into(),
        kind: BarKind::Correlation,
        rows: rc
            .rows
            .iter()
            .take(CHART_ROWS)
            .map(|r| BarRow {
                label: r.label.clone(),
                first: r.spearman,
                second: r.prcc,
            })
            .collect(),
    }
}

/// `sensitivity.json`: what an analysis was, so that a report can show it
/// only for the same inputs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SensitivityMeta {
    pub tool: String,
    pub version: String,
    pub scenario_file: PathBuf,
    pub inputs: Vec<(PathBuf, String)>,
    pub scenario: String,
    /// The area or roll-up analysed, with `[areas]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    pub metric: String,
    pub year: Option<i32>,
    pub percentiles: (f64, f64),
    pub central: Option<f64>,
    pub draws: u32,
    pub seed: Option<u64>,
    pub prcc_note: Option<String>,
}

/// A scenario, and the area or roll-up analysed if there is one.
pub fn place(scenario: &str, area: Option<&str>) -> String {
    match area {
        None => scenario.to_string(),
        Some(area) => format!("{scenario} (area {area})"),
    }
}

fn optional(v: Option<f64>) -> String {
    v.map(crate::output::csv_files::number).unwrap_or_default()
}

/// Writes a sensitivity analysis into `dir` (replaced whole).
pub fn write_sensitivity(
    dir: &Path,
    model: &Model,
    sources: &[SourceFile],
    scenario_file: &Path,
    one_way: &OneWay,
    rank: Option<&RankCorrelation>,
) -> io::Result<()> {
    super::replace_dir(dir, |staging| {
        let mut w = csv::Writer::from_path(staging.join("one-way.csv"))?;
        w.write_record([
            "rank",
            "input",
            "distribution",
            "where",
            "percentile_low",
            "percentile_high",
            "input_low",
            "input_high",
            "output_low",
            "output_high",
            "output_central",
            "swing",
        ])?;
        let n = crate::output::csv_files::number;
        for (i, r) in one_way.rows.iter().enumerate() {
            w.write_record([
                (i + 1).to_string(),
                r.label.clone(),
                r.distribution.clone(),
                r.source.clone(),
                n(one_way.percentiles.0),
                n(one_way.percentiles.1),
                n(r.input_low),
                n(r.input_high),
                optional(r.output_low),
                optional(r.output_high),
                optional(one_way.central),
                if r.swing.is_nan() { String::new() } else { n(r.swing) },
            ])?;
        }
        w.flush()?;
        let chart = tornado(model, one_way);
        chart
            .write_png(&staging.join("tornado.png"))
            .map_err(io::Error::other)?;
        fs::write(staging.join("tornado.svg"), chart.svg().map_err(io::Error::other)?)?;
        if let Some(rc) = rank {
            let mut w = csv::Writer::from_path(staging.join("rank-correlation.csv"))?;
            w.write_record(["rank", "input", "spearman", "prcc"])?;
            for (i, r) in rc.rows.iter().enumerate() {
                w.write_record([(i + 1).to_string(), r.label.clone(), n(r.spearman), optional(r.prcc)])?;
            }
            w.flush()?;
            let chart = rank_chart(model, rc);
            chart
                .write_png(&staging.join("rank-correlation.png"))
                .map_err(io::Error::other)?;
            fs::write(
                staging.join("rank-correlation.svg"),
                chart.svg().map_err(io::Error::other)?,
            )?;
        }
        let meta = SensitivityMeta {
            tool: "upstream".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            scenario_file: scenario_file.to_path_buf(),
            inputs: sources.iter().map(|s| (s.path.clone(), s.sha256.clone())).collect(),
            scenario: one_way.scenario.clone(),
            area: one_way.area.clone(),
            metric: one_way.metric.name.clone(),
            year: one_way.metric.year,
            percentiles: one_way.percentiles,
            central: one_way.central,
            draws: rank.map_or(0, |r| r.draws),
            seed: rank.map(|r| r.seed),
            prcc_note: rank.and_then(|r| r.prcc_note.clone()),
        };
        let json = serde_json::to_string_pretty(&meta).map_err(io::Error::other)?;
        fs::write(staging.join("sensitivity.json"), json + "\n")
    })
}

/// A sensitivity analysis found beside a run, for its report.
#[derive(Debug, Clone)]
pub struct ForReport {
    pub meta: SensitivityMeta,
    pub folder: PathBuf,
    pub tornado_svg: String,
    pub rank_svg: Option<String>,
}

/// The sensitivity analyses written beside `run_dir` for exactly these
/// inputs (same files, same SHA-256), in folder order. Others are skipped.
pub fn for_report(run_dir: &Path, inputs: &[SourceFile]) -> Vec<ForReport> {
    let root = sensitivity_root(run_dir);
    let Ok(entries) = fs::read_dir(&root) else {
        return Vec::new();
    };
    let mut folders: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    folders.sort();
    let wanted: Vec<(PathBuf, String)> = inputs.iter().map(|s| (s.path.clone(), s.sha256.clone())).collect();
    folders
        .into_iter()
        .filter_map(|folder| {
            let meta: SensitivityMeta =
                serde_json::from_str(&fs::read_to_string(folder.join("sensitivity.json")).ok()?).ok()?;
            if meta.inputs != wanted {
                return None;
            }
            let tornado_svg = fs::read_to_string(folder.join("tornado.svg")).ok()?;
            let rank_svg = fs::read_to_string(folder.join("rank-correlation.svg")).ok();
            Some(ForReport {
                meta,
                folder,
                tornado_svg,
                rank_svg,
            })
        })
        .collect()
}

/// The one-line description of an analysis, for the report and the terminal.
pub fn describe(meta: &SensitivityMeta) -> String {
    let metric = Metric {
        name: meta.metric.clone(),
        year: meta.year,
    };
    let draws = match (meta.draws, meta.seed) {
        (0, _) => String::new(),
        (n, Some(seed)) => format!("; rank correlations over {n} draws (seed {seed})"),
        (n, None) => format!("; rank correlations over {n} draws"),
    };
    format!(
        "{metric} in {}: inputs moved one at a time to P{} and P{}{draws}",
        place(&meta.scenario, meta.area.as_deref()),
        percent(meta.percentiles.0 / 100.0),
        percent(meta.percentiles.1 / 100.0)
    )
}
