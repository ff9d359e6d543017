//! Writing a run: tidy CSV, run metadata and the terminal summary. Outputs
//! read only results.

pub mod analysis;
pub mod contracts;
pub mod cost_effectiveness;
pub mod csv_files;
pub mod evidence;
pub mod folder;
pub mod html;
pub mod maps;
pub mod report;
pub mod table;
pub mod workbook;

use crate::charts::{Chart, Figures};
use crate::model::Model;
use crate::results::{Accounts, Comparison};
use serde::Serialize;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use folder::{check_out_dir, interrupted, out_of_memory, replace_dir};

pub use crate::pipeline::AreaResults;

/// Everything a run produced, ready to write.
pub struct RunOutput<'a> {
    pub model: &'a Model,
    /// What was read beside the model: assumptions, maturity, warnings.
    pub loaded: &'a crate::scenario::Loaded,
    /// Per intervention and scenario: cost, reach, what it avoids, return.
    pub costs: crate::evidence::costs::CostTable,
    /// Outcomes contracts and pooled budgets (`contracts.csv`; empty without any).
    pub deals: crate::contracts::DealResults,
    /// The cost-effectiveness analysis (`cost-effectiveness.csv`; `None`
    /// without `[outcomes]`).
    pub cost_effectiveness: Option<crate::results::cost_effectiveness::CostEffectiveness>,
    pub accounts: Vec<Accounts>,
    /// One per scenario after the baseline (same order as `accounts[1..]`).
    pub comparisons: Vec<Comparison>,
    /// Statistics over the draws, when the run had draws.
    pub monte_carlo: Option<crate::montecarlo::Summary>,
    /// Labels of the uncertain parameters (the columns of `draws.csv`).
    pub parameter_labels: Vec<String>,
    /// Write `draws.csv` (per-draw headline figures and sampled values).
    pub write_draws: bool,
    /// The terminal's table per person at the start (`--per-person`).
    pub per_person: bool,
    pub metadata: RunMetadata,
    /// With `[areas]`: every area, parent and the whole model (`accounts`,
    /// `comparisons` and `monte_carlo` above are the whole model's).
    pub areas: Vec<AreaResults>,
}

/// `run.json`: what is needed to know how a run was made.
#[derive(Debug, Clone, Serialize)]
pub struct RunMetadata {
    pub tool: &'static str,
    pub version: &'static str,
    pub scenario_file: PathBuf,
    pub inputs: Vec<crate::model::SourceFile>,
    pub model_name: String,
    pub start_year: i32,
    pub horizon_years: u32,
    pub steps_per_year: u32,
    pub currency: String,
    pub price_base_year: i32,
    pub discount_rate: f64,
    pub futures: Vec<String>,
    pub options: RunOptions,
    /// Seconds since 1970-01-01 UTC when the run started.
    pub started_unix_seconds: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunOptions {
    pub scenarios: Vec<String>,
    pub out: PathBuf,
    /// Monte Carlo draws (0 = a deterministic run at the inputs' means).
    pub draws: u32,
    pub seed: u64,
    pub percentiles: Vec<f64>,
    /// Worker threads (results do not depend on it).
    pub threads: usize,
    pub draws_csv: bool,
    /// Also write `report.html`.
    pub report: bool,
    /// Leave-one-out futures joined the draws (`--attribute`).
    pub attribute: bool,
    /// detail.csv asked for with many areas (`--detail`).
    pub detail: bool,
}

/// Writes `summary.csv`, `detail.csv`, `run.json`, the charts, the workbook
/// and (when asked) the report into `dir`, replacing it whole (see
/// [`replace_dir`]).
pub fn write_run(dir: &Path, output: &RunOutput, detail: &[(Option<&str>, &[crate::run::Future])]) -> io::Result<()> {
    // Never a result that is not a number: stop before anything is written.
    if let Some(problem) = first_non_finite(output) {
        return Err(io::Error::other(problem));
    }
    replace_dir(dir, |staging| {
        // The CSV files on one side, the charts and the workbook on the
        // other: they read the same results and write different files.
        let (tables, pictures) = rayon::join(
            || -> io::Result<()> {
                csv_files::write_summary(&staging.join("summary.csv"), output)?;
                if !detail.is_empty() {
                    csv_files::write_detail(&staging.join("detail.csv"), output.model, detail)?;
                }
                if !output.areas.is_empty() {
                    csv_files::write_areas(&staging.join("areas.csv"), output)?;
                }
                evidence::write_costs(&staging.join("interventions.csv"), output.model, &output.costs)?;
                if !output.deals.is_empty() {
                    contracts::write_contracts(&staging.join("contracts.csv"), &output.deals)?;
                }
                if let Some(ce) = &output.cost_effectiveness {
                    cost_effectiveness::write_files(staging, ce)?;
                }
                if output.write_draws
                    && let Some(mc) = &output.monte_carlo
                {
                    csv_files::write_draws(&staging.join("draws.csv"), output, mc)?;
                }
                Ok(())
            },
            || -> io::Result<(Figures, Vec<(String, crate::charts::SystemMap)>)> {
                let figures = figures(output);
                let maps = maps::maps(detail, &figures, None);
                // The charts (themselves drawn in parallel) beside the workbook.
                let (charts, book) = rayon::join(
                    || -> io::Result<()> {
                        write_charts(&staging.join("charts"), &figures)?;
                        maps::write_maps(&staging.join("charts"), &maps)?;
                        contracts::write_charts(&staging.join("charts"), output)?;
                        if let Some(ce) = &output.cost_effectiveness {
                            cost_effectiveness::write_charts(&staging.join("charts"), ce, &output.model.currency)?;
                        }
                        if !output.areas.is_empty() {
                            let chart = areas_chart(output);
                            chart
                                .write_png(&staging.join("charts/areas.png"))
                                .map_err(io::Error::other)?;
                            fs::write(staging.join("charts/areas.svg"), chart.svg().map_err(io::Error::other)?)?;
                        }
                        Ok(())
                    },
                    || {
                        workbook::write(&staging.join("results.xlsx"), output, &figures)
                            .map_err(|e| io::Error::other(format!("could not write results.xlsx: {e}")))
                    },
                );
                charts?;
                book?;
                Ok((figures, maps))
            },
        );
        tables?;
        let (figures, maps) = pictures?;
        crate::timing::mark("CSV, charts, workbook");
        if output.metadata.options.report {
            let sensitivity = analysis::for_report(dir, &output.metadata.inputs);
            let html = report::render(output, &figures, &maps, &sensitivity).map_err(io::Error::other)?;
            fs::write(staging.join("report.html"), html)?;
        }
        let json = serde_json::to_string_pretty(&output.metadata).map_err(io::Error::other)?;
        fs::write(staging.join("run.json"), json + "\n")?;
        Ok(())
    })
}

/// The first summary figure (of the whole model, then of each area) that is
/// not a finite number, named by area, scenario, year and metric with the
/// inputs it came from; `None` when every figure is finite. A result is
/// never written with NaN or infinity in it: the inputs are checked so that
/// this cannot happen, and this check stands behind them.
pub fn first_non_finite(output: &RunOutput) -> Option<String> {
    let whole = (
        None,
        &output.accounts[..],
        &output.comparisons[..],
        output.monte_carlo.as_ref(),
    );
    let areas = output.areas.iter().map(|a| {
        (
            Some(a.label.as_str()),
            &a.accounts[..],
            &a.comparisons[..],
            a.monte_carlo.as_ref(),
        )
    });
    for (area, accounts, comparisons, mc) in std::iter::once(whole).chain(areas) {
        if let Some(figure) = non_finite_figure(output.model, accounts, comparisons, mc) {
            let place = area.map_or_else(String::new, |a| format!("area {a}, "));
            let draws = output
                .monte_carlo
                .as_ref()
                .map_or_else(String::new, |mc| format!(" with {} draws (seed {})", mc.draws, mc.seed));
            return Some(format!(
                "the result {place}{figure} from the inputs of {}{draws}; nothing was written. This is a fault in upstream, not in the file: please report it with the file",
                output.metadata.scenario_file.display()
            ));
        }
    }
    None
}

/// The first summary figure of these futures (value, or a statistic over
/// the draws) that is not finite, as "SCENARIO, YEAR, METRIC (STATISTIC)
/// came out as X"; `None` when all are finite.
pub fn non_finite_figure(
    model: &Model,
    accounts: &[Accounts],
    comparisons: &[Comparison],
    mc: Option<&crate::montecarlo::Summary>,
) -> Option<String> {
    let bad = |x: &Option<f64>| x.is_some_and(|x| !x.is_finite());
    // Look first without naming rows (names cost as much as the check).
    let mut first = None;
    let mut r = 0;
    crate::results::rows::visit_summary(model, accounts, comparisons, &mut |_, _, _, value| {
        let stats = mc.and_then(|mc| mc.rows.get(r));
        let drawn = stats.is_some_and(|s| bad(&s.mean) || bad(&s.sd) || s.percentiles.iter().any(bad));
        if first.is_none() && (bad(&value) || drawn) {
            first = Some(r);
        }
        r += 1;
    });
    let r = first?;
    let row = &csv_files::summary_rows_of(model, accounts, comparisons)[r];
    let mut figures: Vec<(&str, Option<f64>)> = vec![("value", row.value)];
    if let Some(stats) = mc.and_then(|mc| mc.rows.get(r)) {
        figures.push(("mean", stats.mean));
        figures.push(("sd", stats.sd));
        figures.extend(stats.percentiles.iter().map(|p| ("percentile", *p)));
    }
    let (statistic, x) = figures.into_iter().find(|(_, x)| bad(x))?;
    let year = row.year.map_or_else(|| "all years".to_string(), |y| y.to_string());
    Some(format!(
        "{}, {year}, {} ({statistic}) came out as {}",
        row.scenario,
        row.metric,
        x.unwrap_or(f64::NAN)
    ))
}

/// The small multiples of a model's areas: up to 12 areas, else the 6 under
/// most pressure (fastest growth of do-nothing acute spend) and the 6 under
/// least.
pub fn areas_chart(output: &RunOutput) -> crate::charts::AreasChart {
    let growth = |a: &AreaResults| {
        let b = &a.accounts[0].spend_acute;
        if b[0] > 0.0 { b[b.len() - 1] / b[0] - 1.0 } else { 0.0 }
    };
    let mut areas: Vec<&AreaResults> = output.areas.iter().filter(|a| a.is_area).collect();
    areas.sort_by(|a, b| growth(b).total_cmp(&growth(a)));
    let n = areas.len();
    let shown: Vec<&AreaResults> = if n <= 12 {
        areas
    } else {
        areas[..6].iter().chain(&areas[n - 6..]).copied().collect()
    };
    let model = output.model;
    let cur = crate::format::currency_prefix(&model.currency);
    let mut subtitle = vec![format!(
        "Cumulative net saving against do-nothing, discounted at {}% a year, at the inputs' means; one scale for every area",
        crate::format::percent(model.discount_rate)
    )];
    subtitle.push(if n <= 12 {
        "Areas in order of pressure (growth of acute spend if nothing is done), most first".to_string()
    } else {
        format!("The 6 of {n} areas under most pressure (growth of acute spend if nothing is done), then the 6 under least; every area is in areas.csv")
    });
    crate::charts::AreasChart {
        subtitle,
        axis: format!("{} million, {} prices", cur.trim(), model.price_base_year),
        years: output.accounts[0].years.clone(),
        scenarios: output.accounts[1..].iter().map(|a| a.scenario.clone()).collect(),
        areas: shown
            .iter()
            .map(|a| {
                (
                    format!("{} ({:+.0}%)", a.name, growth(a) * 100.0),
                    a.comparisons
                        .iter()
                        .map(|c| c.total.net_saving_cumulative_discounted.clone())
                        .collect(),
                )
            })
            .collect(),
    }
}

/// The run's figures, as the charts, report and workbook show them.
pub fn figures(output: &RunOutput) -> Figures {
    Figures::new(
        output.model,
        &output.accounts,
        &output.comparisons,
        output.monte_carlo.as_ref(),
    )
}

/// Writes every chart the figures call for ([`Chart::drawn`]) as
/// `NAME.png` and `NAME.svg` into `dir` (the charts are drawn in parallel).
fn write_charts(dir: &Path, figures: &Figures) -> io::Result<()> {
    use rayon::prelude::*;
    fs::create_dir_all(dir)?;
    Chart::drawn(figures).par_iter().try_for_each(|chart| {
        let stem = chart.file_stem();
        chart
            .write_png(figures, &dir.join(format!("{stem}.png")))
            .map_err(io::Error::other)?;
        let svg = chart.svg(figures).map_err(io::Error::other)?;
        fs::write(dir.join(format!("{stem}.svg")), svg)
    })
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since 1970-01-01 UTC.
pub fn utc_timestamp(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rem = seconds % 86_400;
    // Civil date from days since the epoch (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc_timestamp;

    #[test]
    fn timestamps_are_civil_dates() {
        assert_eq!(utc_timestamp(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_timestamp(1_795_467_000), "2026-11-23 20:50 UTC");
    }
}
