//! What drives the answer and what would it take: one-way and
//! probabilistic sensitivity of a chosen output, and goal seeking (the value
//! of one input at which a target is met, deterministically or with a
//! chosen probability over the draws).

pub mod goal_seek;
pub mod sensitivity;

use crate::model::Model;
use crate::montecarlo::RowKey;
use crate::pipeline::{Request, Run};

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// A request that cannot be answered as asked (bad metric, path, target).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Run(#[from] crate::run::RunError),
    #[error(transparent)]
    Draw(#[from] crate::montecarlo::DrawError),
}

/// An output of the model: a summary metric, in one year or over the horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: String,
    pub year: Option<i32>,
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.year {
            Some(y) => write!(f, "{} in {y}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

/// The baseline and, unless it is the baseline itself, the scenario `name`,
/// at the inputs' means in every area; ready for `options`' draws if given.
pub fn run_for<'m>(
    model: &'m Model,
    name: &str,
    options: Option<&crate::montecarlo::Options>,
) -> Result<Run<'m>, AnalysisError> {
    let mut request = Request::futures_only(vec![name.to_string()]);
    if let Some(o) = options {
        request.draws = o.draws;
        request.seed = o.seed;
    }
    Ok(Run::new(model, request)?)
}

/// `model` with the number at `path` set to `value` in the baseline and the
/// scenario alike (`overrides::vary`), and so in every area: an area's own
/// figure for it is replaced too.
pub fn vary(
    model: &Model,
    scenario: &str,
    path: &crate::scenario::path::ParamPath,
    value: f64,
) -> Result<Model, String> {
    let mut varied = crate::scenario::overrides::vary(model, scenario, path, value)?;
    for area in &mut varied.areas {
        let code = &area.code;
        area.model = crate::scenario::overrides::vary(&area.model, scenario, path, value)
            .map_err(|e| format!("in area `{code}`: {e}"))?;
    }
    Ok(varied)
}

/// The summary row of `metric` for the last future of a run (the scenario,
/// or the baseline when run alone), with a message naming what would be
/// valid when there is none.
pub fn resolve(model: &Model, rows: &[(RowKey, Option<f64>)], metric: &Metric) -> Result<RowKey, AnalysisError> {
    let future = rows.iter().map(|((f, _, _), _)| *f).max().unwrap_or(0);
    let key = (future, metric.year, metric.name.clone());
    if rows.iter().any(|(k, _)| *k == key) {
        return Ok(key);
    }
    let yearly = rows
        .iter()
        .any(|((f, y, n), _)| *f == future && y.is_some() && *n == metric.name);
    let horizon = rows
        .iter()
        .any(|((f, y, n), _)| *f == future && y.is_none() && *n == metric.name);
    let (first, last) = (model.start_year, model.end_year());
    let message = match (yearly, horizon, metric.year) {
        (true, _, None) => format!(
            "`{}` is a yearly figure: say which year with --year (or `by YEAR` in a target), {first}–{last}",
            metric.name
        ),
        (true, _, Some(y)) => format!("{y} is outside the run's years, {first}–{last}"),
        (false, true, Some(_)) => format!("`{}` is over the whole horizon; drop the year", metric.name),
        _ => {
            let mut names: Vec<&str> = rows
                .iter()
                .filter(|((f, _, _), _)| *f == future)
                .map(|((_, _, n), _)| n.as_str())
                .collect();
            names.dedup();
            names.sort_unstable();
            names.dedup();
            let wanted = metric.name.to_lowercase();
            let stem = wanted.split([':', '_']).next().unwrap_or("").to_string();
            let close: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| n.contains(&wanted) || (!stem.is_empty() && n.starts_with(&stem)))
                .take(8)
                .collect();
            let examples = if close.is_empty() {
                "npv, return_per_pound, break_even_year, spend_acute, spend_preventative, net_saving_cumulative_discounted, people_level:LEVEL".to_string()
            } else {
                close.join(", ")
            };
            format!(
                "no metric `{}` for this future; try one of: {examples} (every metric is listed in the README's summary.csv table)",
                metric.name
            )
        }
    };
    Err(AnalysisError::Invalid(message))
}

/// A metric's value for comparisons: a break-even year that never comes
/// counts as the year after the horizon (later than any year).
pub fn comparable(model: &Model, metric: &Metric, value: Option<f64>) -> f64 {
    match value {
        Some(v) => v,
        None if metric.name.starts_with("break_even_year") => f64::from(model.end_year() + 1),
        None => f64::NAN,
    }
}
