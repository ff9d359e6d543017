//! `summary.csv` (tidy: scenario, year, metric, stat, value) and `detail.csv`
//! (band × level stocks and flows). Column and metric names are stable and
//! documented in the README.

use super::RunOutput;
use crate::model::Model;
use crate::results::rows::visit_summary;
use crate::run::Future;
use std::io;
use std::path::Path;

pub const SUMMARY_HEADER: [&str; 5] = ["scenario", "year", "metric", "stat", "value"];

pub const DETAIL_HEADER: [&str; 15] = [
    "scenario",
    "year",
    "band",
    "level",
    "people_start",
    "people_end",
    "person_years",
    "entries",
    "exits",
    "aged_out",
    "ageing_in",
    "ageing_out",
    "moved_in",
    "moved_out",
    "migration",
];

/// One row of `summary.csv`. `year` is `None` for whole-horizon metrics
/// (written `all`); `value` is `None` when there is no value (written empty),
/// e.g. a break-even year that never comes.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub scenario: String,
    pub year: Option<i32>,
    pub metric: String,
    pub value: Option<f64>,
}

/// Every summary row of a run, in a fixed order: by future, then year, then metric.
pub fn summary_rows(output: &RunOutput) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    visit_summary(
        output.model,
        &output.accounts,
        &output.comparisons,
        &mut |future, year, name, value| {
            rows.push(SummaryRow {
                scenario: output.accounts[future].scenario.clone(),
                year,
                metric: name(),
                value,
            })
        },
    );
    rows
}

/// `x` rounded to `digits` significant digits.
pub(crate) fn significant(x: f64, digits: usize) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{:.*e}", digits - 1, x).parse().unwrap_or(x)
}

/// Shortest text that reads back as the same number (deterministic).
pub(crate) fn number(x: f64) -> String {
    if x == 0.0 { "0".into() } else { format!("{x}") }
}

/// Writes `summary.csv`. A deterministic run has one `value` row per
/// metric; a run with draws adds `mean`, `sd` and the percentiles (`p5`, …)
/// of each metric over the draws, and the probability metrics.
pub fn write_summary(path: &Path, output: &RunOutput) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(SUMMARY_HEADER)?;
    let rows = summary_rows(output);
    let optional = |v: Option<f64>| v.map(number).unwrap_or_default();
    // Per-draw values are kept in single precision: say no more than that.
    let statistic = |v: Option<f64>| v.map(|x| number(significant(x, 7))).unwrap_or_default();
    let stat_names: Vec<String> = output
        .monte_carlo
        .as_ref()
        .map(|mc| mc.percentiles.iter().map(|p| format!("p{}", number(*p))).collect())
        .unwrap_or_default();
    for (r, row) in rows.iter().enumerate() {
        let year = row.year.map_or_else(|| "all".to_string(), |y| y.to_string());
        w.write_record([row.scenario.as_str(), &year, &row.metric, "value", &optional(row.value)])?;
        if let Some(mc) = &output.monte_carlo {
            let stats = &mc.rows[r];
            w.write_record([
                row.scenario.as_str(),
                &year,
                &row.metric,
                "mean",
                &statistic(stats.mean),
            ])?;
            w.write_record([row.scenario.as_str(), &year, &row.metric, "sd", &statistic(stats.sd)])?;
            for (name, value) in stat_names.iter().zip(&stats.percentiles) {
                w.write_record([row.scenario.as_str(), &year, &row.metric, name, &statistic(*value)])?;
            }
        }
    }
    if let Some(mc) = &output.monte_carlo {
        for p in &mc.probabilities {
            let scenario = &output.accounts[p.future].scenario;
            w.write_record([scenario, &p.year.to_string(), &p.metric, "value", &number(p.value)])?;
        }
    }
    w.flush()
}

/// Writes `draws.csv`: one row per draw with the sampled value of every
/// uncertain parameter and each scenario's NPV, return per £1 and
/// break-even year (empty when it never breaks even).
pub fn write_draws(path: &Path, output: &RunOutput, mc: &crate::montecarlo::Summary) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    let mut header = vec!["draw".to_string()];
    header.extend(output.parameter_labels.iter().map(|l| format!("param:{l}")));
    for a in &output.accounts[1..] {
        for metric in ["npv", "return_per_pound", "break_even_year"] {
            header.push(format!("{}:{metric}", a.scenario));
        }
    }
    w.write_record(&header)?;
    let cell = |x: f64| if x.is_nan() { String::new() } else { number(x) };
    for (d, record) in mc.records.iter().enumerate() {
        let mut row = vec![d.to_string()];
        row.extend(record.parameters.iter().map(|&x| cell(x)));
        for h in &record.headline {
            row.extend(h.iter().map(|&x| cell(x)));
        }
        w.write_record(&row)?;
    }
    w.flush()
}

pub fn write_detail(path: &Path, model: &Model, futures: &[Future]) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(DETAIL_HEADER)?;
    let nl = model.levels.len();
    for f in futures {
        for y in &f.trajectory.years {
            let year = y.year.to_string();
            for (c, _) in y.people_end.iter().enumerate() {
                let (b, l) = (c / nl, c % nl);
                let values = [
                    y.people_start[c],
                    y.people_end[c],
                    y.person_years[c],
                    y.entries[c],
                    y.exits[c],
                    y.aged_out[c],
                    y.ageing_in[c],
                    y.ageing_out[c],
                    y.moved_in[c],
                    y.moved_out[c],
                    y.migration[c],
                ];
                let mut record = vec![
                    f.name.clone(),
                    year.clone(),
                    model.bands[b].name.clone(),
                    model.levels[l].clone(),
                ];
                record.extend(values.into_iter().map(number));
                w.write_record(&record)?;
            }
        }
    }
    w.flush()
}
