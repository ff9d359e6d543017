//! The cost-effectiveness analysis of a run's futures (`[outcomes]`;
//! README, "Cost-effectiveness"): each future's discounted cost and QALYs
//! at the inputs' means, the efficient frontier, and under draws the
//! cost-effectiveness plane, the acceptability curves and frontier, the
//! expected value of perfect information (EVPI) and of partial perfect
//! information (EVPPI) for each uncertain input or group of inputs. The
//! arithmetic is `economics`'; this gathers its inputs from the accounts
//! and the draws.

use super::Accounts;
use super::outcomes::discounted_cost;
use crate::economics::{self, Acceptability, Deterministic, Evppi, Frontier, Outcome, Parameters, Psa};
use crate::model::Model;

/// Each draw's figures (discounted cost and QALYs, future by future) and
/// sampled inputs (in the model's order).
pub type Draws<'a> = (&'a [&'a [f64]], &'a [&'a [f64]]);

/// A run's cost-effectiveness results (one per run with `[outcomes]`).
#[derive(Debug, Clone)]
pub struct CostEffectiveness {
    /// The futures' names, do-nothing first (the comparator).
    pub names: Vec<String>,
    /// Their titles, for people to read.
    pub titles: Vec<String>,
    /// Each future's discounted cost and QALYs at the inputs' means.
    pub means: Deterministic,
    pub frontier: Frontier,
    /// The model's willingness to pay (money a QALY).
    pub thresholds: Vec<f64>,
    /// People at the start of the horizon, for figures per person.
    pub people: f64,
    /// Under draws.
    pub draws: Option<UnderDraws>,
}

/// What the draws add.
#[derive(Debug, Clone)]
pub struct UnderDraws {
    pub psa: Psa,
    /// The acceptability curves, frontier and EVPI over `economics::default_grid`.
    pub acceptability: Acceptability,
    /// Each uncertain input (or group of inputs drawn together), then each
    /// group the file chose (`[outcomes] evppi`), at the
    /// thresholds, then (when it is another) the willingness to pay at
    /// which EVPI is greatest; a group is left out when the draws are too
    /// few for its regression (68 for one input, 220 for two).
    pub evppi: Vec<Evppi>,
    /// Each EVPPI's name: the group's, or the input's label.
    pub evppi_names: Vec<String>,
    pub parameters: Parameters,
}

impl CostEffectiveness {
    /// What `savi/` exports: the draws, when they drew uncertain inputs
    /// (with none, every draw is the same model: SAVI has nothing to learn
    /// about).
    pub fn savi_draws(&self) -> Option<&UnderDraws> {
        self.draws.as_ref().filter(|d| !d.parameters.names().is_empty())
    }

    /// From the futures' accounts at the means and, with draws, each
    /// draw's discounted cost and QALYs per future (`figures[draw]`:
    /// cost, QALYs, future by future) and sampled inputs (`inputs[draw]`,
    /// in the model's order). `None` without `[outcomes]`.
    pub fn new(
        model: &Model,
        accounts: &[Accounts],
        draws: Option<Draws>,
    ) -> Result<Option<CostEffectiveness>, String> {
        let Some(outcomes) = &model.outcomes else {
            return Ok(None);
        };
        let names: Vec<String> = accounts.iter().map(|a| a.scenario.clone()).collect();
        let at_means: Vec<Outcome> = accounts
            .iter()
            .map(|a| Outcome {
                cost: discounted_cost(a),
                effect: a.outcomes.discounted_qalys(model),
            })
            .collect();
        let means = Deterministic::new(names.clone(), at_means).map_err(|e| e.to_string())?;
        let frontier = economics::frontier(&means);
        let people = accounts.first().map_or(0.0, super::outcomes::people_at_start);
        let draws = match draws {
            Some((figures, inputs)) if !figures.is_empty() => Some(under_draws(
                model,
                &names,
                figures,
                inputs,
                &outcomes.willingness_to_pay,
            )?),
            _ => None,
        };
        let titles = names
            .iter()
            .map(|n| {
                model
                    .scenarios
                    .iter()
                    .find(|s| &s.name == n)
                    .map_or(n.clone(), |s| s.title.clone())
            })
            .collect();
        Ok(Some(CostEffectiveness {
            names,
            titles,
            means,
            frontier,
            thresholds: outcomes.willingness_to_pay.clone(),
            people,
            draws,
        }))
    }
}

fn under_draws(
    model: &Model,
    names: &[String],
    figures: &[&[f64]],
    inputs: &[&[f64]],
    thresholds: &[f64],
) -> Result<UnderDraws, String> {
    let futures = names.len();
    let costs: Vec<Vec<f64>> = figures
        .iter()
        .map(|f| (0..futures).map(|s| f[2 * s]).collect())
        .collect();
    let effects: Vec<Vec<f64>> = figures
        .iter()
        .map(|f| (0..futures).map(|s| f[2 * s + 1]).collect())
        .collect();
    let psa = Psa::new(names.to_vec(), &costs, &effects).map_err(|e| e.to_string())?;
    let acceptability = economics::acceptability(&psa, &economics::default_grid());
    let labels: Vec<String> = model.uncertain.iter().map(|u| u.label.clone()).collect();
    let values: Vec<Vec<f64>> = inputs.iter().map(|v| v.to_vec()).collect();
    // (Draws with no uncertain input all run the same model: there is
    // nothing to learn about, and no EVPPI.)
    let parameters = if labels.is_empty() {
        Parameters::none(values.len())
    } else {
        Parameters::new(labels.clone(), &values).map_err(|e| e.to_string())?
    };
    // An input alone, or a group (its inputs share one random quantile a
    // draw, so any one of them stands for the group).
    let mut groups: Vec<(String, String)> = Vec::new();
    for u in &model.uncertain {
        match &u.group {
            Some(g) if groups.iter().any(|(name, _)| name == g) => {}
            Some(g) => groups.push((g.clone(), u.label.clone())),
            None => groups.push((u.label.clone(), u.label.clone())),
        }
    }
    // At the thresholds, and where the value of information is greatest
    // (a decision certain at every threshold has none there).
    let mut at = thresholds.to_vec();
    let peak = (0..acceptability.wtp.len()).max_by(|&a, &b| acceptability.evpi[a].total_cmp(&acceptability.evpi[b]));
    if let Some(k) = peak
        && acceptability.evpi[k] > 0.0
        && !at.contains(&acceptability.wtp[k])
    {
        at.push(acceptability.wtp[k]);
    }
    let chosen = model.outcomes.as_ref().map_or(&[][..], |o| o.evppi_groups.as_slice());
    let groups = (groups.into_iter())
        .map(|(name, label)| (name, vec![label]))
        .chain(chosen.iter().map(|labels| (labels.join(" + "), labels.clone())));
    let mut evppi = Vec::new();
    let mut evppi_names = Vec::new();
    for (name, labels) in groups {
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        match economics::evppi(&psa, &parameters, &labels, &at) {
            Ok(result) => {
                evppi.push(result);
                evppi_names.push(name);
            }
            // Too few draws for the regression (68 for one input, 220 for
            // two, 452 for three, 532 for four): none for that group.
            Err(economics::EconomicsError::TooFewDraws { .. }) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(UnderDraws {
        psa,
        acceptability,
        evppi,
        evppi_names,
        parameters,
    })
}
