//! The Budget profile sheet: per funder and future, the yearly figures a
//! budget holder plans with, years across. The model's years are calendar
//! years (`start_year` is the first simulated calendar year; it has no
//! financial years), and the headers say so.

use super::{Formats, headers, money_header, money_note, number};
use crate::output::RunOutput;
use crate::output::csv_files::significant;
use rust_xlsxwriter::{Worksheet, XlsxError};
use std::collections::HashMap;

/// The sheet's columns before the years.
pub const BUDGET_COLUMNS: [&str; 4] = ["Funder", "Scenario", "Figure", "Statistic"];

/// A year's column header.
pub fn year_header(year: i32) -> String {
    format!("Calendar year {year}")
}

/// The figures of a funder `F`, each a yearly metric of `summary.csv`
/// (`METRIC_funder:F` or `METRIC:F`): (label, metric before the funder).
/// A figure a future has no rows of (a scenario's saving for do-nothing, a
/// budget the file does not give) is left out for that future.
const FIGURES: [(&str, &str); 5] = [
    ("Spend: services and interventions", "spend_funder"),
    ("Of which interventions", "investment_funder"),
    ("Net saving vs do-nothing", "net_saving_funder"),
    ("Budget", "budget_funder"),
    ("Over budget: spend less budget", "budget_gap_funder"),
];

/// Where each yearly funder row of `summary.csv` is: (future, year,
/// metric) → its index among the summary rows (and so among the Monte
/// Carlo statistics' rows).
fn funder_rows(output: &RunOutput) -> HashMap<(usize, i32, String), usize> {
    let mut index = HashMap::new();
    let mut i = 0;
    crate::results::rows::visit_summary(
        output.model,
        &output.accounts,
        &output.comparisons,
        &mut |future, year, name, _| {
            if let Some(year) = year {
                let name = name();
                if name.contains("_funder:") {
                    index.insert((future, year, name), i);
                }
            }
            i += 1;
        },
    );
    index
}

/// Per funder × future × figure, a row of the figure by calendar year (the
/// run at the inputs' means, as in `summary.csv`'s `value`); with draws,
/// rows of its lowest and highest percentiles (P5 and P95 by default) under
/// it, from the run's statistics.
pub(super) fn profile(sheet: &mut Worksheet, f: &Formats, output: &RunOutput) -> Result<(), XlsxError> {
    let model = output.model;
    let years = &output.accounts[0].years;
    let mut header: Vec<(String, f64)> = BUDGET_COLUMNS
        .iter()
        .zip([12.0, 26.0, 36.0, 13.0])
        .map(|(name, width)| (name.to_string(), width))
        .collect();
    header.extend(years.iter().map(|&y| (year_header(y), 13.0)));
    headers(sheet, f, &header, BUDGET_COLUMNS.len() as u16)?;
    let rows = crate::output::csv_files::summary_rows(output);
    let index = funder_rows(output);
    let mc = output.monte_carlo.as_ref();
    // The ends of the percentiles the run kept: (label, position).
    let ends: Vec<(String, usize)> = mc.map_or(Vec::new(), |mc| {
        let last = mc.percentiles.len().saturating_sub(1);
        let mut ends = vec![0, last];
        ends.dedup();
        ends.into_iter()
            .filter(|&k| k < mc.percentiles.len())
            .map(|k| (format!("P{}", crate::output::csv_files::number(mc.percentiles[k])), k))
            .collect()
    });
    let central = if mc.is_some() { "at the means" } else { "value" };
    let mut r = 1;
    for funder in &model.funders {
        for (k, a) in output.accounts.iter().enumerate() {
            for (label, metric) in FIGURES {
                let name = format!("{metric}:{funder}");
                let found: Vec<Option<usize>> = years
                    .iter()
                    .map(|&y| index.get(&(k, y, name.clone())).copied())
                    .collect();
                if found.iter().all(Option::is_none) {
                    continue;
                }
                let figure = money_header(label, &model.currency, false);
                let mut lines = vec![(central.to_string(), None)];
                lines.extend(ends.iter().map(|(l, p)| (l.clone(), Some(*p))));
                for (statistic, percentile) in lines {
                    sheet.write_string(r, 0, funder)?;
                    sheet.write_string(r, 1, &a.scenario)?;
                    sheet.write_string(r, 2, &figure)?;
                    sheet.write_string(r, 3, &statistic)?;
                    for (c, i) in found.iter().enumerate() {
                        let value = i.and_then(|i| match (percentile, mc) {
                            (None, _) => rows[i].value,
                            (Some(p), Some(mc)) => mc.rows[i].percentiles[p].map(|v| significant(v, 7)),
                            (Some(_), None) => None,
                        });
                        number(sheet, r, BUDGET_COLUMNS.len() as u16 + c as u16, value, &f.money)?;
                    }
                    r += 1;
                }
            }
        }
    }
    if r > 1 {
        sheet.autofilter(0, 0, r - 1, header.len() as u16 - 1)?;
    }
    let mut notes = vec![
        money_note(model, false),
        format!(
            "Years are calendar years (January to December), as the model counts them from start_year = {}; \
             the model has no financial years, so a financial year such as {}/{} (April to March) takes three quarters of one column and a quarter of the next.",
            model.start_year,
            model.start_year,
            (model.start_year + 1) % 100
        ),
    ];
    if let Some(mc) = mc {
        notes.push(format!(
            "Under each figure, its {} over {} Monte Carlo draws (seed {}): each year's percentile is taken on its own, \
             so they do not add across years or funders.",
            ends.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>().join(" and "),
            mc.draws,
            mc.seed
        ));
    }
    for (k, note) in notes.iter().enumerate() {
        sheet.write_string(r + 1 + k as u32, 0, note)?;
    }
    Ok(())
}
