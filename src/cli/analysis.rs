//! What `upstream sensitivity` and `upstream goal-seek` share: their
//! errors, and how a metric's value reads in the terminal.

use super::CliError;
use upstream::analysis::AnalysisError;
use upstream::format::{currency_prefix, money_millions, short};
use upstream::model::Model;

impl From<AnalysisError> for CliError {
    fn from(e: AnalysisError) -> Self {
        CliError::Invalid(e.to_string())
    }
}

pub(super) fn stem(path: &std::path::Path) -> String {
    path.file_stem()
        .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned())
}

/// A metric's value for the terminal: money in millions, others short.
pub(super) fn shown(model: &Model, metric: &str, v: Option<f64>) -> String {
    match v {
        None if metric.starts_with("break_even_year") => "none".into(),
        None => "–".into(),
        Some(x) if upstream::format::is_money_metric(metric) => money_millions(&currency_prefix(&model.currency), x),
        Some(x) if metric.starts_with("break_even_year") => format!("{x:.0}"),
        Some(x) => short(x),
    }
}
