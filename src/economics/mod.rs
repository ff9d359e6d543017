//! Decision analysis of health outcomes and costs (issue 25): which of
//! several strategies is cost-effective, and what more evidence would be
//! worth. Pure arithmetic on plain data; the caller brings each strategy's
//! costs and effects (QALYs), deterministic or one row per Monte Carlo draw.
//!
//! Conventions, as in heemod, hesim and BCEA:
//! - The first strategy is the comparator ("do nothing"); every increment
//!   is another strategy's figure less the comparator's, unless stated.
//! - Costs are money in the caller's currency and price year, effects are
//!   QALYs, both already discounted as the caller wants them; nothing here
//!   discounts or inflates.
//! - Willingness to pay (WTP, λ) is money per QALY. A strategy's net
//!   monetary benefit is NMB = λ·E − C; the strategy with the highest NMB is
//!   cost-effective at λ.
//!
//! Parts, lowest first: `incremental` (increments, ICERs, NMB), `frontier`
//! (the efficient frontier, dominance and extended dominance),
//! `acceptability` (under draws: the cost-effectiveness plane, CEAC, CEAF,
//! EVPI), `smoother` (the penalised regression splines EVPPI fits), `evppi`
//! (Strong, Oakley & Brennan's regression method), `savi` (the three CSV
//! files the SAVI tool reads). Imports no other module of the crate.

pub mod acceptability;
pub mod evppi;
pub mod frontier;
pub mod incremental;
pub mod savi;
pub mod smoother;

pub use acceptability::{
    Acceptability, PlanePoints, acceptability, ce_plane, evpi, population_evpi, population_multiplier,
};
pub use evppi::{Evppi, EvppiFit, evppi};
pub use frontier::{Frontier, Status, frontier};
pub use incremental::{Icer, Increment, against_comparator, net_monetary_benefit, pairwise};
pub use savi::{SaviFiles, savi_files, write_matrix};
pub use smoother::{Fit, Projection, Smoother};

/// The thresholds NICE states, in £ per QALY: the default willingness to
/// pay for NMB tables.
pub const DEFAULT_THRESHOLDS: [f64; 2] = [20_000.0, 30_000.0];

/// A grid of willingness to pay from 0 to `max` in steps of `step`
/// (money per QALY), `max` included when the steps reach it.
pub fn wtp_grid(max: f64, step: f64) -> Result<Vec<f64>, EconomicsError> {
    if !(step > 0.0 && step.is_finite() && max >= 0.0 && max.is_finite()) || max / step > 1e6 {
        return Err(EconomicsError::Grid { max, step });
    }
    let n = (max / step + 1e-9).floor() as usize;
    Ok((0..=n).map(|k| k as f64 * step).collect())
}

/// The default grid for acceptability curves: £0 to £100,000 per QALY in
/// steps of £1,000 (101 points).
pub fn default_grid() -> Vec<f64> {
    (0..=100).map(|k| f64::from(k) * 1_000.0).collect()
}

/// One strategy's expected cost (money) and effect (QALYs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub cost: f64,
    pub effect: f64,
}

impl Outcome {
    /// Net monetary benefit at willingness to pay `wtp`: `wtp·effect − cost`.
    pub fn nmb(self, wtp: f64) -> f64 {
        wtp * self.effect - self.cost
    }
}

/// Strategies with one deterministic cost and effect each. Invariant: at
/// least one strategy, names unique and not empty, every figure finite.
/// The first is the comparator.
#[derive(Debug, Clone, PartialEq)]
pub struct Deterministic {
    names: Vec<String>,
    outcomes: Vec<Outcome>,
}

impl Deterministic {
    /// Checks that there is an outcome per name and that every figure is
    /// finite.
    pub fn new(names: Vec<String>, outcomes: Vec<Outcome>) -> Result<Deterministic, EconomicsError> {
        check_names(&names)?;
        if outcomes.len() != names.len() {
            return Err(EconomicsError::Shape {
                what: "outcomes",
                row: None,
                found: outcomes.len(),
                expected: names.len(),
            });
        }
        for (s, o) in outcomes.iter().enumerate() {
            for (what, value) in [("cost", o.cost), ("effect", o.effect)] {
                if !value.is_finite() {
                    return Err(EconomicsError::NotFinite {
                        what,
                        row: None,
                        column: names[s].clone(),
                        value,
                    });
                }
            }
        }
        Ok(Deterministic { names, outcomes })
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }
}

/// A probabilistic sensitivity analysis: each strategy's cost and effect
/// in each of `draws` Monte Carlo draws, stored draw by draw
/// (`costs[d * strategies + s]`), so that a draw's strategies sit side by
/// side. Invariant: at least one strategy and one draw, every figure finite.
#[derive(Debug, Clone, PartialEq)]
pub struct Psa {
    names: Vec<String>,
    draws: usize,
    costs: Vec<f64>,
    effects: Vec<f64>,
}

impl Psa {
    /// From `costs[draw][strategy]` and `effects[draw][strategy]`.
    pub fn new(names: Vec<String>, costs: &[Vec<f64>], effects: &[Vec<f64>]) -> Result<Psa, EconomicsError> {
        check_names(&names)?;
        let costs = flatten("costs", costs, &names)?;
        let effects = flatten("effects", effects, &names)?;
        if costs.len() != effects.len() {
            return Err(EconomicsError::Shape {
                what: "effects (draws)",
                row: None,
                found: effects.len() / names.len(),
                expected: costs.len() / names.len(),
            });
        }
        Ok(Psa {
            draws: costs.len() / names.len(),
            names,
            costs,
            effects,
        })
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn strategies(&self) -> usize {
        self.names.len()
    }

    pub fn draws(&self) -> usize {
        self.draws
    }

    /// Strategy `s`'s cost in draw `d`.
    pub fn cost(&self, d: usize, s: usize) -> f64 {
        self.costs[d * self.names.len() + s]
    }

    /// Strategy `s`'s effect (QALYs) in draw `d`.
    pub fn effect(&self, d: usize, s: usize) -> f64 {
        self.effects[d * self.names.len() + s]
    }

    /// Each strategy's mean cost and effect over the draws.
    pub fn means(&self) -> Deterministic {
        let n = self.draws as f64;
        let outcomes = (0..self.strategies())
            .map(|s| Outcome {
                cost: (0..self.draws).map(|d| self.cost(d, s)).sum::<f64>() / n,
                effect: (0..self.draws).map(|d| self.effect(d, s)).sum::<f64>() / n,
            })
            .collect();
        Deterministic {
            names: self.names.clone(),
            outcomes,
        }
    }
}

/// The inputs drawn in each draw of a [`Psa`], for EVPPI and SAVI: one
/// value per named parameter per draw, stored draw by draw. Invariant: at
/// least one parameter and one draw, names unique, every value finite.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters {
    names: Vec<String>,
    draws: usize,
    values: Vec<f64>,
}

impl Parameters {
    /// From `values[draw][parameter]`.
    pub fn new(names: Vec<String>, values: &[Vec<f64>]) -> Result<Parameters, EconomicsError> {
        check_names(&names)?;
        let values = flatten("parameters", values, &names)?;
        Ok(Parameters {
            draws: values.len() / names.len(),
            names,
            values,
        })
    }

    /// No parameters over `draws` draws (a model with no uncertain inputs:
    /// nothing to learn about, no EVPPI).
    pub fn none(draws: usize) -> Parameters {
        Parameters {
            names: Vec::new(),
            draws,
            values: Vec::new(),
        }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn draws(&self) -> usize {
        self.draws
    }

    /// Parameter `p`'s value in draw `d`.
    pub fn value(&self, d: usize, p: usize) -> f64 {
        self.values[d * self.names.len() + p]
    }

    /// The index of the parameter named `name`.
    pub fn index(&self, name: &str) -> Result<usize, EconomicsError> {
        self.names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| EconomicsError::UnknownParameter {
                name: name.to_string(),
                known: self.names.join(", "),
            })
    }
}

fn check_names(names: &[String]) -> Result<(), EconomicsError> {
    if names.is_empty() {
        return Err(EconomicsError::NoNames);
    }
    for (i, name) in names.iter().enumerate() {
        if name.trim().is_empty() || names[..i].contains(name) {
            return Err(EconomicsError::Name { name: name.clone() });
        }
    }
    Ok(())
}

/// `rows` (one per draw, one value per name) laid out flat, checked.
fn flatten(what: &'static str, rows: &[Vec<f64>], names: &[String]) -> Result<Vec<f64>, EconomicsError> {
    if rows.is_empty() {
        return Err(EconomicsError::NoDraws { what });
    }
    let mut flat = Vec::with_capacity(rows.len() * names.len());
    for (d, row) in rows.iter().enumerate() {
        if row.len() != names.len() {
            return Err(EconomicsError::Shape {
                what,
                row: Some(d),
                found: row.len(),
                expected: names.len(),
            });
        }
        if let Some(k) = row.iter().position(|v| !v.is_finite()) {
            return Err(EconomicsError::NotFinite {
                what,
                row: Some(d),
                column: names[k].clone(),
                value: row[k],
            });
        }
        flat.extend_from_slice(row);
    }
    Ok(flat)
}

/// What can be wrong with the inputs of a decision analysis, each saying
/// what would be valid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EconomicsError {
    #[error("no strategies: give at least one, the first being the comparator (do nothing)")]
    NoNames,
    #[error("the name `{name}` is empty or given twice: each strategy and parameter needs a name of its own")]
    Name { name: String },
    #[error("no draws of {what}: give at least one row")]
    NoDraws { what: &'static str },
    #[error("{what}{}: {found} values where there are {expected} names; give one per name", row_text(*row))]
    Shape {
        what: &'static str,
        row: Option<usize>,
        found: usize,
        expected: usize,
    },
    #[error("{what}{}, `{column}`: {value} is not a finite number", row_text(*row))]
    NotFinite {
        what: &'static str,
        row: Option<usize>,
        column: String,
        value: f64,
    },
    #[error("the parameters have {parameters} draws and the costs and effects {psa}: give one row of each per draw")]
    Draws { parameters: usize, psa: usize },
    #[error("no parameter is named `{name}`; the parameters are: {known}")]
    UnknownParameter { name: String, known: String },
    #[error("EVPPI by regression takes 1 to 4 parameters at once, not {count}; for more, take them in groups")]
    Inputs { count: usize },
    #[error("EVPPI by regression needs at least {needed} draws for {inputs} parameter(s), not {draws}")]
    TooFewDraws { draws: usize, inputs: usize, needed: usize },
    #[error(
        "a willingness-to-pay grid needs a positive step and a maximum of 0 or more (at most a million steps), not max {max}, step {step}"
    )]
    Grid { max: f64, step: f64 },
    #[error(
        "an effective population needs people a year of 0 or more and a discount rate above −1 (0.035 for 3.5 %), not {per_year} and {rate}"
    )]
    Population { per_year: f64, rate: f64 },
    #[error("could not write the CSV: {0}")]
    Write(String),
}

fn row_text(row: Option<usize>) -> String {
    row.map(|d| format!(" (draw {})", d + 1)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn inputs_are_checked_with_messages_that_say_what_is_valid() {
        let err = Psa::new(names(&["a", "b"]), &[vec![1.0, 2.0], vec![1.0]], &[vec![0.0, 0.0]]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "costs (draw 2): 1 values where there are 2 names; give one per name"
        );
        let err = Psa::new(names(&["a", "b"]), &[vec![1.0, f64::NAN]], &[vec![0.0, 0.0]]).unwrap_err();
        assert!(err.to_string().contains("`b`: NaN is not a finite number"), "{err}");
        assert!(Psa::new(names(&["a", "a"]), &[vec![1.0, 1.0]], &[vec![0.0, 0.0]]).is_err());
        assert!(Psa::new(Vec::new(), &[], &[]).is_err());
        let err = Psa::new(names(&["a"]), &[vec![1.0], vec![2.0]], &[vec![0.0]]).unwrap_err();
        assert!(matches!(err, EconomicsError::Shape { .. }), "{err}");
        let p = Parameters::new(names(&["x", "y"]), &[vec![1.0, 2.0]]).unwrap();
        assert_eq!(p.index("y"), Ok(1));
        let err = p.index("z").unwrap_err();
        assert_eq!(err.to_string(), "no parameter is named `z`; the parameters are: x, y");
    }

    #[test]
    fn grids_and_means() {
        assert_eq!(
            wtp_grid(3_000.0, 1_000.0).unwrap(),
            vec![0.0, 1_000.0, 2_000.0, 3_000.0]
        );
        assert!(wtp_grid(1.0, 0.0).is_err());
        let grid = default_grid();
        assert_eq!((grid.len(), grid[100]), (101, 100_000.0));
        let psa = Psa::new(
            names(&["a", "b"]),
            &[vec![1.0, 3.0], vec![3.0, 5.0]],
            &[vec![0.5, 1.0], vec![1.5, 2.0]],
        )
        .unwrap();
        assert_eq!(psa.means().outcomes()[1], Outcome { cost: 4.0, effect: 1.5 });
        assert_eq!(
            Outcome {
                cost: 100.0,
                effect: 0.1
            }
            .nmb(20_000.0),
            1_900.0
        );
    }
}
