//! `contracts.csv`: what the outcomes contracts and pooled budgets pay,
//! tidy (deal, kind, scenario, year, party, metric, stat, value), written
//! only when the file has deals. Columns and metrics are documented in the
//! README ("Paying for the shift").

use super::csv_files::{number, significant_text};
use crate::contracts::DealResults;
use std::io;
use std::path::Path;

pub const CONTRACTS_HEADER: [&str; 8] = ["deal", "kind", "scenario", "year", "party", "metric", "stat", "value"];

/// Writes every deal row (stat `value`: at the inputs' means), and with
/// draws, each whole-horizon row's mean, sd and percentiles over the draws
/// (7 significant digits, as `summary.csv`) and the probabilities.
pub fn write_contracts(path: &Path, deals: &DealResults) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(CONTRACTS_HEADER)?;
    let stats = deals.statistics.as_ref();
    let stat_names: Vec<String> = stats
        .map(|s| s.percentiles.iter().map(|p| format!("p{}", number(*p))).collect())
        .unwrap_or_default();
    let statistic = |v: Option<f64>| v.map(|x| significant_text(x, 7)).unwrap_or_default();
    let mut horizon = 0;
    for row in &deals.rows {
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
        if row.year.is_some() {
            continue;
        }
        if let Some(s) = stats {
            let r = &s.rows[horizon];
            record(&row.metric, "mean", statistic(r.mean))?;
            record(&row.metric, "sd", statistic(r.sd))?;
            for (name, p) in stat_names.iter().zip(&r.percentiles) {
                record(&row.metric, name, statistic(*p))?;
            }
            for (_, metric, p) in s.probabilities.iter().filter(|(j, _, _)| *j == horizon) {
                record(metric, "value", number(*p))?;
            }
        }
        horizon += 1;
    }
    w.flush()
}
