//! The checks every part of a scenario file shares: the `Validator` that
//! collects problems with their places and resolves numbers (plain or
//! uncertain), a number's range by what it stands for, the flows out of
//! each level, and a projection's years. `validate` (the file's sections),
//! `areas` and `overrides` build on this module, and it on none of them.

use super::file::RawNumber;
use super::tables::Table;
use crate::error::{ErrorSink, Location};
use crate::model::*;
use crate::uncertainty::{Distribution, Support};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Byte offset → 1-based line number.
pub(crate) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }
}

pub(crate) struct Validator<'a> {
    pub(crate) path: &'a Path,
    pub(crate) dir: PathBuf,
    pub(crate) lines: Lines,
    pub(crate) errors: ErrorSink,
    pub(crate) sources: Vec<SourceFile>,
    pub(crate) uncertain: Vec<UncertainParameter>,
}

/// A value's position in the file, for messages.
pub(crate) type Span = std::ops::Range<usize>;

impl Validator<'_> {
    pub(crate) fn loc(&self, span: &Span) -> Location {
        Location::Line(self.path.to_path_buf(), self.lines.line_of(span.start))
    }

    pub(crate) fn err(&mut self, span: &Span, message: impl Into<String>) {
        let loc = self.loc(span);
        self.errors.at(loc, message);
    }

    /// The value of a number as written: a plain value checked against
    /// `support`, or a distribution (checked, recorded as uncertain with its
    /// `targets`) whose mean is returned. `None` after recording a problem.
    pub(crate) fn resolve(
        &mut self,
        raw: &RawNumber,
        location: Location,
        support: Support,
        what: &str,
        label: String,
        targets: Vec<Target>,
    ) -> Option<f64> {
        match raw {
            RawNumber::Value(x) => {
                let problem = plain_problem(*x, support, what);
                match problem {
                    Some(p) => {
                        self.errors.at(location, p);
                        None
                    }
                    None => Some(*x),
                }
            }
            RawNumber::Distribution(table) => {
                let group = match table.get("group") {
                    None => None,
                    Some(toml::Value::String(g)) => Some(g.clone()),
                    Some(_) => {
                        self.errors.at(
                            location,
                            format!("{what}: `group` must be text, e.g. group = \"unit costs\""),
                        );
                        return None;
                    }
                };
                let distribution = match Distribution::from_table(table) {
                    Ok(d) => d,
                    Err(e) => {
                        self.errors.at(location, format!("{what}: {e}"));
                        return None;
                    }
                };
                if let Some(p) = distribution.support_problem(support) {
                    self.errors.at(location, format!("{what}: {p}"));
                    return None;
                }
                if let Distribution::Fixed(x) = distribution {
                    return self.resolve(&RawNumber::Value(x), location, support, what, label, targets);
                }
                self.uncertain.push(UncertainParameter {
                    id: self.uncertain.len(),
                    label,
                    source: location.to_string(),
                    distribution,
                    group,
                    reversed: false,
                    targets,
                    moved: None,
                });
                Some(distribution.mean())
            }
        }
    }

    pub(crate) fn table(&mut self, file: &Spanned<String>, required: &[&str], optional: &[&str]) -> Option<Table> {
        let path = self.dir.join(file.get_ref());
        if !path.is_file() {
            self.err(
                &file.span(),
                format!(
                    "the table `{}` does not exist (looked for {}); paths are relative to the scenario file's folder",
                    file.get_ref(),
                    path.display()
                ),
            );
            return None;
        }
        match Table::read(&path, required, optional) {
            Ok(mut t) => {
                self.errors.absorb(std::mem::take(&mut t.row_errors));
                self.sources.push(SourceFile {
                    path: path.clone(),
                    sha256: t.sha256.clone(),
                });
                Some(t)
            }
            Err(e) => {
                self.errors.extend(e);
                None
            }
        }
    }
}

/// What is wrong with a plain value for a number of this `support`, if anything.
pub(crate) fn plain_problem(x: f64, support: Support, what: &str) -> Option<String> {
    match support {
        Support::Probability => probability_problem(x, what),
        Support::NonNegative => non_negative_problem(x, what),
        Support::Rate => rate_problem(x, what),
        Support::Utility => utility_problem(x, what),
        Support::Finite => (!x.is_finite()).then(|| format!("{what} is {x}; it must be a finite number")),
    }
}

/// Checks a quality weight: [−1, 1], below 0 a state worse than dead.
pub(crate) fn utility_problem(u: f64, what: &str) -> Option<String> {
    if u.is_finite() && (-1.0..=1.0).contains(&u) {
        return None;
    }
    Some(format!(
        "{what} is {u}, outside [−1, 1] (1 is full health, 0 dead, below 0 a state worse than dead); if the scale really goes beyond, write allow_utility_outside_range = true in [outcomes]"
    ))
}

/// Checks a value that must be a probability and explains the usual mistakes.
pub(crate) fn probability_problem(p: f64, what: &str) -> Option<String> {
    if !p.is_finite() {
        Some(format!(
            "{what} is {p}; it must be a finite probability between 0 and 1"
        ))
    } else if p > 1.0 && p <= 100.0 {
        Some(format!(
            "{what} is {p}, outside [0, 1]; if it is a percentage, write it as a decimal: {} for {p}%",
            p / 100.0
        ))
    } else if !(0.0..=1.0).contains(&p) {
        Some(format!(
            "{what} is {p}, outside [0, 1]; give an annual probability as a decimal, e.g. 0.2 for 20%"
        ))
    } else {
        None
    }
}

pub(crate) fn rate_problem(x: f64, what: &str) -> Option<String> {
    if x.is_finite() && (0.0..1.0).contains(&x) {
        return None;
    }
    let hint = if (1.0..100.0).contains(&x) {
        format!("; if it is a percentage, write it as a decimal: {} for {x}%", x / 100.0)
    } else {
        String::new()
    };
    Some(format!(
        "{what} is {x}; give an annual rate as a decimal in [0, 1), e.g. 0.035{hint}"
    ))
}

pub(crate) fn non_negative_problem(v: f64, what: &str) -> Option<String> {
    if !v.is_finite() {
        Some(format!("{what} is {v}; it must be a finite number ≥ 0"))
    } else if v < 0.0 {
        Some(format!("{what} is {v}; it must be ≥ 0"))
    } else if v > LARGEST {
        Some(format!(
            "{what} is {v:e}, more than 10^12: beyond any population, cost or rate this tool models (sums of such numbers overflow); is it a typo?"
        ))
    } else {
        None
    }
}

/// The largest people count, cost or rate accepted: far beyond any real
/// one, and small enough that the model's sums stay finite.
pub(crate) const LARGEST: f64 = crate::uncertainty::LARGEST;

/// A projection's years, each with every band's total; a year missing a
/// band is a problem (`what` prefixes its message, e.g. "area `N01`, ")
/// and is left out.
pub(crate) fn projection_points(
    v: &mut Validator,
    file: &Path,
    what: &str,
    by_year: BTreeMap<i32, Vec<Option<f64>>>,
    bands: &[String],
) -> Vec<(i32, Vec<f64>)> {
    let mut points = Vec::new();
    for (year, totals) in by_year {
        let missing: Vec<String> = totals
            .iter()
            .enumerate()
            .filter(|(_, t)| t.is_none())
            .map(|(b, _)| format!("`{}`", bands[b]))
            .collect();
        if missing.is_empty() {
            points.push((year, totals.into_iter().map(|t| t.unwrap_or(0.0)).collect()));
        } else {
            v.errors.at(
                Location::File(file.to_path_buf()),
                format!(
                    "{what}year {year} has no row for band(s) {}; every year needs every band",
                    missing.join(", ")
                ),
            );
        }
    }
    points
}

/// Checks that no level's yearly outflows overflow: transitions plus exit
/// must sum to at most 1 in every simulated year, in `annual_matrix` mode
/// also with the relative risks of `interventions` applied in full; `rates`
/// mode cannot take a probability of 1 (an infinite hazard).
pub(crate) fn flow_problems(model: &Model, interventions: &[usize]) -> Vec<String> {
    flow_problems_at(model, interventions)
        .into_iter()
        .map(|(_, p)| p)
        .collect()
}

/// Where a flow problem lies: a band's level in a year, and the move at
/// fault (`Some(None)` the exit) or, for a sum above 1, the largest move
/// out of the level (so a message can point at the table row to fix).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FlowSite {
    pub band: usize,
    pub from: usize,
    /// The level moved to, `None` for the exit.
    pub to: Option<usize>,
    pub year: i32,
}

/// [`flow_problems`] with where each lies.
pub(crate) fn flow_problems_at(model: &Model, interventions: &[usize]) -> Vec<(FlowSite, String)> {
    let nl = model.levels.len();
    let mut problems = Vec::new();
    for (b, band) in model.bands.iter().enumerate() {
        for from in 0..nl {
            for year in model.years() {
                let mut sum = 0.0;
                let worst_rr = |to: Option<usize>, p: f64| -> f64 {
                    if model.transition_mode == TransitionMode::Rates {
                        return 1.0;
                    }
                    let mut factor = 1.0;
                    for &i in interventions {
                        let iv = &model.interventions[i];
                        if !iv.targets(b, from) {
                            continue;
                        }
                        for e in &iv.effects {
                            if let Effect::Transition {
                                from: f,
                                to: t,
                                relative_risk,
                                hazard,
                            } = e
                                && *f == from
                                && *t == to
                            {
                                let rr = crate::model::probability_factor(*relative_risk, *hazard, p);
                                factor *= 1.0 - iv.effective_fidelity() * (1.0 - rr);
                            }
                        }
                    }
                    factor.max(1.0)
                };
                let mut infinite = None;
                let mut largest = (f64::NEG_INFINITY, None);
                for to in 0..nl {
                    if to != from {
                        let p = model.transitions[model.transition_index(b, from, to)].at(year).value();
                        if p >= 1.0 {
                            infinite = Some((format!("`{}` → `{}`", model.levels[from], model.levels[to]), Some(to)));
                        }
                        if p > largest.0 {
                            largest = (p, Some(to));
                        }
                        sum += p * worst_rr(Some(to), p);
                    }
                }
                let exit = model.exits[model.cell(b, from)].at(year).value();
                if exit >= 1.0 {
                    infinite = Some((format!("the exit from `{}`", model.levels[from]), None));
                }
                if exit > largest.0 {
                    largest = (exit, None);
                }
                // Moves among those who do not exit sum to at most 1 on their
                // own; the exit is at most 1 (both are: see below).
                let given_survival = model.transitions_given_survival;
                if given_survival {
                    sum = sum.max(exit * worst_rr(None, exit));
                } else {
                    sum += exit * worst_rr(None, exit);
                }
                let site = |to| FlowSite {
                    band: b,
                    from,
                    to,
                    year,
                };
                if model.transition_mode == TransitionMode::Rates
                    && let Some((what, to)) = infinite
                {
                    problems.push((site(to), format!(
                        "in band `{}` in {year}, {what} has probability 1, an infinite hazard in `rates` mode; give a value below 1 (e.g. 0.999) or use transition_mode = \"annual_matrix\"",
                        band.name
                    )));
                    break;
                }
                if sum > 1.0 + 1e-12 {
                    let with = if interventions.is_empty() {
                        ""
                    } else {
                        " with its interventions' relative risks applied in full"
                    };
                    let message = if given_survival {
                        format!(
                            "in band `{}` in {year}, the annual probabilities of moving from `{}` among those who do not exit sum to {sum:.6}{with}, above 1; with transitions_given_survival each row's moves must sum to at most 1",
                            band.name, model.levels[from]
                        )
                    } else {
                        format!(
                            "in band `{}` in {year}, the annual probabilities of leaving `{}` (transitions plus exit) sum to {sum:.6}{with}, above 1; each row's moves and exit must sum to at most 1",
                            band.name, model.levels[from]
                        )
                    };
                    problems.push((site(largest.1), message));
                    break;
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let l = Lines::new("a\nbc\n\nd");
        assert_eq!(l.line_of(0), 1);
        assert_eq!(l.line_of(2), 2);
        assert_eq!(l.line_of(5), 3);
        assert_eq!(l.line_of(6), 4);
    }

    #[test]
    fn percentages_are_recognised() {
        assert!(probability_problem(20.0, "p").unwrap().contains("0.2 for 20%"));
        assert!(probability_problem(1.5, "p").unwrap().contains("if it is a percentage"));
        assert!(probability_problem(0.2, "p").is_none());
        assert!(probability_problem(-0.1, "p").is_some());
        assert!(probability_problem(f64::NAN, "p").is_some());
    }
}
