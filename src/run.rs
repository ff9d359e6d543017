//! Runs the do-nothing baseline and the chosen scenarios of a model.

use crate::engine::{self, Calibration, EngineError, Trajectory};
use crate::model::{BASELINE, Model};

/// One simulated future: the baseline (`plan` empty) or a named scenario.
#[derive(Debug, Clone)]
pub struct Future<'m> {
    pub name: String,
    pub description: String,
    /// The model this future ran (a scenario's carries its overrides).
    pub model: &'m Model,
    pub plan: Vec<usize>,
    pub trajectory: Trajectory,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("there is no scenario named `{name}`; the scenarios are {known}")]
    UnknownScenario { name: String, known: String },
    /// A run that cannot go on as asked (e.g. parts that do not add up).
    #[error("{0}")]
    Invalid(String),
    #[error("in {future}: {source}")]
    Engine {
        future: String,
        #[source]
        source: EngineError,
    },
}

/// Runs the baseline and then each scenario in `selected` (every scenario
/// when empty), in the file's order.
pub fn run_futures<'m>(model: &'m Model, selected: &[String]) -> Result<Vec<Future<'m>>, RunError> {
    for name in selected {
        if name != BASELINE && !model.scenarios.iter().any(|s| &s.name == name) {
            let known = model
                .scenarios
                .iter()
                .map(|s| format!("`{}`", s.name))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(RunError::UnknownScenario {
                name: name.clone(),
                known: if known.is_empty() {
                    "none (the file has no [[scenarios]])".into()
                } else {
                    known
                },
            });
        }
    }
    let engine_error = |future: &str| {
        let future = future.to_string();
        move |source| RunError::Engine { future, source }
    };
    let baseline = engine::simulate(model, &[], Calibration::ToProjection).map_err(engine_error(BASELINE))?;
    let mut futures = Vec::new();
    for s in &model.scenarios {
        if !selected.is_empty() && !selected.contains(&s.name) {
            continue;
        }
        let trajectory = engine::simulate(
            &s.model,
            &s.interventions,
            Calibration::Replay(&baseline.migration_by_step),
        )
        .map_err(engine_error(&format!("scenario `{}`", s.name)))?;
        futures.push(Future {
            name: s.name.clone(),
            description: s.description.clone(),
            model: &s.model,
            plan: s.interventions.clone(),
            trajectory,
        });
    }
    futures.insert(
        0,
        Future {
            name: BASELINE.into(),
            description: "The future with none of the interventions".into(),
            model,
            plan: vec![],
            trajectory: baseline,
        },
    );
    Ok(futures)
}
