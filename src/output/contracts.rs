//! The deals' outputs, each written only when the file has deals:
//! `contracts.csv` (tidy: deal, kind, scenario, year, party, metric, stat,
//! value; columns and metrics documented in the README, "Paying for the
//! shift"), the workbook's Contracts sheet, the cash-flow charts and the
//! report's section.

use super::RunOutput;
use super::csv_files::{number, significant_text};
use super::html::escape;
use crate::charts::ChartError;
use crate::charts::deals::CashFlowChart;
use crate::contracts::DealResults;
use rust_xlsxwriter::{Format, Worksheet, XlsxError};
use std::fmt::Write as _;
use std::io;
use std::path::Path;

pub const CONTRACTS_HEADER: [&str; 8] = ["deal", "kind", "scenario", "year", "party", "metric", "stat", "value"];

/// Writes every deal row (stat `value`: at the inputs' means), and with
/// draws, each row's mean, sd and percentiles over the draws (7
/// significant digits, as `summary.csv`) and the probabilities.
pub fn write_contracts(path: &Path, deals: &DealResults) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(CONTRACTS_HEADER)?;
    let stats = deals.statistics.as_ref();
    let stat_names: Vec<String> = stats
        .map(|s| s.percentiles.iter().map(|p| format!("p{}", number(*p))).collect())
        .unwrap_or_default();
    let statistic = |v: Option<f64>| v.map(|x| significant_text(x, 7)).unwrap_or_default();
    for (j, row) in deals.rows.iter().enumerate() {
        let year = row.year.map_or_else(|| "all".to_string(), |y| y.to_string());
        let mut record = |metric: &str, stat: &str, value: String| {
            w.write_record([
                row.deal.as_str(),
                row.kind,
                row.scenario.as_str(),
                year.as_str(),
                row.party.as_str(),
                metric,
                stat,
                value.as_str(),
            ])
        };
        record(&row.metric, "value", row.value.map(number).unwrap_or_default())?;
        if let Some(s) = stats {
            let r = &s.rows[j];
            record(&row.metric, "mean", statistic(r.mean))?;
            record(&row.metric, "sd", statistic(r.sd))?;
            for (name, p) in stat_names.iter().zip(&r.percentiles) {
                record(&row.metric, name, statistic(*p))?;
            }
            for (_, metric, p) in s.probabilities.iter().filter(|(at, _, _)| *at == j) {
                record(metric, "value", number(*p))?;
            }
        }
    }
    w.flush()
}

/// The workbook's sheet of the deals, only when the file has some.
pub const SHEET: &str = "Contracts";

/// How a deal figure reads: money, a count of outcomes, a rate, a multiple
/// or a yes/no.
fn shown(metric: &str, x: f64, cur: &str) -> String {
    match metric {
        "irr" => format!("{}%", crate::format::percent(x)),
        "money_multiple" => format!("{x:.2}×"),
        "cap_binds" => (if x > 0.5 { "yes" } else { "no" }).to_string(),
        m if m.contains(':') => crate::format::people(x),
        // Money to the pound, as the workbook has it.
        _ => {
            let pounds = crate::format::people(x.abs());
            if x < 0.0 && pounds != "0" {
                format!("-{cur}{pounds}")
            } else {
                format!("{cur}{pounds}")
            }
        }
    }
}

/// The Contracts sheet: the whole-horizon figures (with draws, their mean
/// and percentiles, and the probabilities), then each party's yearly cash
/// flows, one column a year.
pub fn sheet(sheet: &mut Worksheet, output: &RunOutput) -> Result<(), XlsxError> {
    let deals = &output.deals;
    let header = Format::new().set_bold().set_text_wrap().set_background_color(0xE8EEF4);
    let money = Format::new().set_num_format("#,##0;-#,##0");
    let mut columns: Vec<String> = ["Deal", "Kind", "Scenario", "Party", "Figure", "At the means"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let stats = deals.statistics.as_ref();
    if let Some(s) = stats {
        columns.push("Mean".into());
        columns.extend(s.percentiles.iter().map(|p| format!("P{}", number(*p))));
    }
    for (c, name) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, name, &header)?;
        sheet.set_column_width(c as u16, if c < 5 { 26 } else { 14 })?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let mut r = 1u32;
    let labels = |sheet: &mut Worksheet, r: u32, row: &crate::contracts::DealRow, metric: &str| {
        for (c, text) in [
            row.deal.as_str(),
            row.kind,
            row.scenario.as_str(),
            row.party.as_str(),
            metric,
        ]
        .iter()
        .enumerate()
        {
            sheet.write_string(r, c as u16, *text)?;
        }
        Ok::<(), XlsxError>(())
    };
    let put = |sheet: &mut Worksheet, r: u32, c: u16, v: Option<f64>| match v {
        Some(v) if v.is_finite() => sheet.write_number_with_format(r, c, v, &money).map(|_| ()),
        _ => Ok(()),
    };
    for (j, row) in deals.horizon() {
        labels(sheet, r, row, &row.metric)?;
        put(sheet, r, 5, row.value)?;
        if let Some(s) = stats {
            put(sheet, r, 6, s.rows[j].mean)?;
            for (k, p) in s.rows[j].percentiles.iter().enumerate() {
                put(sheet, r, 7 + k as u16, *p)?;
            }
            for (_, metric, p) in s.probabilities.iter().filter(|(at, _, _)| *at == j) {
                r += 1;
                labels(sheet, r, row, metric)?;
                sheet.write_number(r, 5, *p)?;
            }
        }
        r += 1;
    }
    // The yearly cash flows, a column a year.
    r += 1;
    let years: Vec<i32> = output.accounts.first().map(|a| a.years.clone()).unwrap_or_default();
    for (c, name) in ["Deal", "Kind", "Scenario", "Party", "Figure"].iter().enumerate() {
        sheet.write_string_with_format(r, c as u16, *name, &header)?;
    }
    for (k, y) in years.iter().enumerate() {
        sheet.write_number_with_format(r, 5 + k as u16, f64::from(*y), &header)?;
    }
    let mut keys: Vec<(String, String, String, String)> = Vec::new();
    for row in deals.rows.iter().filter(|x| x.year.is_some()) {
        let key = (
            row.deal.clone(),
            row.scenario.clone(),
            row.party.clone(),
            row.metric.clone(),
        );
        if !keys.contains(&key) {
            keys.push(key);
            r += 1;
            labels(sheet, r, row, &row.metric)?;
        }
        let k = years.iter().position(|y| Some(*y) == row.year).unwrap_or(0);
        put(sheet, r, 5 + k as u16, row.value)?;
    }
    Ok(())
}

/// Writes each deal's cash-flow chart into `dir` (`cash-flows-N.png` and `.svg`).
pub fn write_charts(dir: &Path, output: &RunOutput) -> io::Result<()> {
    for chart in charts(output) {
        chart
            .write_png(&dir.join(format!("{}.png", chart.stem)))
            .map_err(io::Error::other)?;
        std::fs::write(
            dir.join(format!("{}.svg", chart.stem)),
            chart.svg().map_err(io::Error::other)?,
        )?;
    }
    Ok(())
}

fn charts(output: &RunOutput) -> Vec<CashFlowChart> {
    let model = output.model;
    CashFlowChart::of_deals(&output.deals, &model.currency, model.price_base_year)
}

/// The report's section on the deals (empty without any): what each
/// contract and pool pays and leaves each party with, and a cash-flow
/// chart per deal and scenario.
pub fn report_section(output: &RunOutput) -> Result<String, ChartError> {
    let deals = &output.deals;
    if deals.is_empty() {
        return Ok(String::new());
    }
    let cur = crate::format::currency_prefix(&output.model.currency);
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<section id=\"contracts\">\n<h2>Paying for the shift</h2>\n<p class=\"caption\">The file's outcomes contracts and pooled budgets in each scenario that funds their interventions, against do-nothing. Money over the contract (or horizon); \"discounted\" figures at the model's rate. Every figure is in <code>contracts.csv</code>.</p>"
    );
    let stats = deals.statistics.as_ref();
    let range = stats.map(|s| {
        let (lo, hi) = (s.percentiles.first().copied(), s.percentiles.last().copied());
        format!("P{} to P{}", number(lo.unwrap_or(0.0)), number(hi.unwrap_or(100.0)))
    });
    let _ = writeln!(
        h,
        "<table>\n<thead><tr><th>Deal</th><th>Scenario</th><th>Party</th><th>Figure</th><th>At the means</th>{}</tr></thead>\n<tbody>",
        range
            .as_ref()
            .map_or(String::new(), |r| format!("<th>{r}</th><th>Chance</th>"))
    );
    for (j, row) in deals.horizon() {
        let value = row.value.map_or("none".to_string(), |x| shown(&row.metric, x, &cur));
        let extra = match stats {
            None => String::new(),
            Some(s) => {
                let r = &s.rows[j];
                let (lo, hi) = (
                    r.percentiles.first().copied().flatten(),
                    r.percentiles.last().copied().flatten(),
                );
                let spread = match (lo, hi) {
                    (Some(lo), Some(hi)) => {
                        format!("{} to {}", shown(&row.metric, lo, &cur), shown(&row.metric, hi, &cur))
                    }
                    _ => "–".to_string(),
                };
                let chances: Vec<String> = (s.probabilities.iter())
                    .filter(|(at, _, _)| *at == j)
                    .map(|(_, m, p)| {
                        format!(
                            "{}: {}%",
                            m.trim_start_matches("prob_").replace('_', " "),
                            crate::format::percent(*p)
                        )
                    })
                    .collect();
                format!("<td>{}</td><td>{}</td>", escape(&spread), escape(&chances.join("; ")))
            }
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{extra}</tr>",
            escape(&row.deal),
            escape(&row.scenario),
            escape(&row.party),
            escape(&row.metric.replace('_', " ")),
            escape(&value)
        );
    }
    let _ = writeln!(h, "</tbody>\n</table>");
    for chart in charts(output) {
        let svg = chart.svg()?.replacen(
            "<svg width=\"1800\" height=\"1125\"",
            &format!("<svg role=\"img\" aria-label=\"{}\"", escape(&chart.title)),
            1,
        );
        let _ = writeln!(
            h,
            "<section class=\"chart\" id=\"{}\">\n<h3>{}</h3>\n<figure>\n{svg}</figure>\n<p class=\"note\">Also in <code>charts/{}.png</code> and <code>.svg</code>.</p>\n</section>",
            chart.stem,
            escape(&chart.title),
            chart.stem
        );
    }
    let _ = writeln!(h, "</section>");
    Ok(h)
}
