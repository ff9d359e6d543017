//! `[[interventions.effects]]`: relative risks or hazard ratios on moves,
//! multipliers on services' use and on quality of life, capacity and
//! places bought.

use super::super::names::list;
use super::InterventionContext;
use super::profile::{self, Years};
use crate::error::Location;
use crate::evidence::EvidenceScale;
use crate::model::*;
use crate::scenario::checks::{LARGEST, Span, Validator, non_negative_problem};
use crate::scenario::file::*;
use crate::uncertainty::{Distribution, Support};

/// What an intervention's effect buys: capacity for a service or places
/// in a level (its name as written and its index).
enum Added<'a> {
    Capacity { service: &'a str, index: usize },
    Places { level: &'a str, index: usize },
}

/// `[[interventions.effects]]`: relative risks on moves between levels (or
/// the exit), multipliers on services' use and capacity added to services,
/// at most one of each kind for each move or service.
pub(super) fn effects_from(
    v: &mut Validator,
    context: &InterventionContext,
    raw: &RawIntervention,
    effects: &mut Effects,
) {
    for e in &raw.effects {
        let span = e.span();
        let re = e.get_ref();
        match (re, &re.service) {
            (
                RawEffect {
                    from: Some(from),
                    to: Some(to),
                    relative_risk,
                    hazard_ratio,
                    service: None,
                    multiplier: None,
                    add_capacity: None,
                    cost_per_unit: None,
                    level: None,
                    add_places: None,
                    utility: None,
                },
                _,
            ) => {
                let numbers = (relative_risk.as_ref(), hazard_ratio.as_ref());
                move_effect(v, context, effects, &span, (from, to), numbers);
            }
            (
                RawEffect {
                    from: None,
                    to: None,
                    relative_risk: None,
                    hazard_ratio: None,
                    multiplier: Some(m),
                    add_capacity: None,
                    cost_per_unit: None,
                    level: None,
                    add_places: None,
                    utility: None,
                    ..
                },
                Some(service),
            ) => {
                if let Some(s) = effect_service(v, context, effects, &span, service) {
                    effects.add_service(v, &span, service, s, m);
                }
            }
            (
                RawEffect {
                    from: None,
                    to: None,
                    relative_risk: None,
                    hazard_ratio: None,
                    multiplier: None,
                    add_capacity: Some(add),
                    cost_per_unit,
                    level: None,
                    add_places: None,
                    utility: None,
                    ..
                },
                Some(service),
            ) => {
                let Some(s) = effect_service(v, context, effects, &span, service) else {
                    continue;
                };
                if !context.has_capacity[s] {
                    effects.fail(
                        v,
                        &span,
                        format!(
                            "it adds capacity to service `{service}`, which has none to add to; give `{service}` a `capacity`, `capacity_csv` or `capacity_budget`, or change its use with a `multiplier` instead"
                        ),
                    );
                    continue;
                }
                let added = Added::Capacity { service, index: s };
                effects.add_supply(v, &span, added, add, cost_per_unit.as_ref());
            }
            (
                RawEffect {
                    from: None,
                    to: None,
                    relative_risk: None,
                    hazard_ratio: None,
                    multiplier: None,
                    add_capacity: None,
                    add_places: Some(add),
                    level: Some(level),
                    cost_per_unit,
                    utility: None,
                    ..
                },
                None,
            ) => {
                let l = match context.names.level(level) {
                    Ok(l) => l,
                    Err(m) => {
                        effects.fail(v, &span, m);
                        continue;
                    }
                };
                if !context.limited_levels.contains(&l) {
                    effects.fail(
                        v,
                        &span,
                        format!(
                            "it adds places to level `{level}`, which has no limit to add to; give `{level}` a `[[places]]` table, or name a level that has one"
                        ),
                    );
                    continue;
                }
                let added = Added::Places { level, index: l };
                effects.add_supply(v, &span, added, add, cost_per_unit.as_ref());
            }
            (
                RawEffect {
                    from: None,
                    to: None,
                    relative_risk: None,
                    hazard_ratio: None,
                    multiplier: None,
                    add_capacity: None,
                    cost_per_unit: None,
                    level: None,
                    add_places: None,
                    utility: Some(m),
                    service: None,
                },
                None,
            ) => effects.add_utility(v, &span, context.has_outcomes, m),
            _ => effects.fail(
                v,
                &span,
                "an effect is either `from`, `to` and `relative_risk` (or `hazard_ratio`); or `service` and `multiplier`; or `service`, `add_capacity` and `cost_per_unit`; or `level`, `add_places` and `cost_per_unit`; or `utility` alone".into(),
            ),
        }
    }
}

/// A relative risk or hazard ratio (`numbers`: as written, one of them)
/// on the move `from → to` (`to` may be `exit`).
fn move_effect(
    v: &mut Validator,
    context: &InterventionContext,
    effects: &mut Effects,
    span: &Span,
    (from, to): (&str, &str),
    numbers: (Option<&RawProfile>, Option<&RawProfile>),
) {
    // A level with tunnels: the effect acts on the move out of each.
    let f = context.names.level_all(from);
    let t = if to == "exit" {
        Ok(None)
    } else {
        context.names.level(to).map(Some)
    };
    let (rr, hazard) = match numbers {
        (Some(rr), None) => (rr, false),
        (None, Some(hr)) => (hr, true),
        _ => {
            let message = format!(
                "the move `{from}` → `{to}` needs `relative_risk` (on the probability in `annual_matrix` mode) or `hazard_ratio` (on the hazard), one of them"
            );
            effects.fail(v, span, message);
            return;
        }
    };
    match (f, t) {
        (Ok(f), Ok(t)) => effects.add_transition(
            v,
            span,
            TransitionEffect {
                from,
                to,
                f,
                t,
                rr,
                hazard,
            },
        ),
        (f, t) => {
            for m in [f.err(), t.err()].into_iter().flatten() {
                effects.fail(v, span, format!("{m} (or `exit`)"));
            }
        }
    }
}

/// The index of the service an effect names, or `None` after recording
/// that there is no such service.
fn effect_service(
    v: &mut Validator,
    context: &InterventionContext,
    effects: &Effects,
    span: &Span,
    service: &str,
) -> Option<usize> {
    let found = context.services.iter().position(|s| s == service);
    if found.is_none() {
        effects.fail(
            v,
            span,
            format!(
                "unknown service `{service}`; the services are {}",
                list(context.services)
            ),
        );
    }
    found
}

/// An intervention's effects as they are checked: what they are checked
/// against, the effects so far, and the single values the file stated for
/// them (in effect order; `None` where it gave a distribution).
pub(super) struct Effects<'a> {
    pub(super) name: &'a str,
    pub(super) intervention: usize,
    pub(super) target_levels: &'a [usize],
    pub(super) scale: &'a EvidenceScale,
    pub(super) rating: Option<u8>,
    pub(super) optimism_bias: f64,
    pub(super) effects: Vec<Effect>,
    pub(super) stated: Vec<Option<f64>>,
    /// Per effect: its factors by model year, when its value changes over
    /// the years.
    pub(super) profiles: Vec<Option<Vec<f64>>>,
    pub(super) years: Years,
}

/// A relative risk as the file names its move (`from`, `to`) and as
/// resolved (`f`, and `t`: `None` for the exit).
struct TransitionEffect<'r> {
    from: &'r str,
    to: &'r str,
    f: Vec<usize>,
    t: Option<usize>,
    rr: &'r RawProfile,
    /// Whether `rr` is a hazard ratio.
    hazard: bool,
}

impl Effects<'_> {
    /// Records a problem with the effect at `span`.
    fn fail(&self, v: &mut Validator, span: &Span, message: String) {
        v.err(span, format!("intervention `{}`, effect: {message}", self.name));
    }

    /// An effect's number: as written, or (a single value with a rating) the
    /// distribution the evidence scale gives it, one draw for all of them.
    fn number(
        &mut self,
        v: &mut Validator,
        number: &RawNumber,
        loc: Location,
        what: &str,
        label: String,
        targets: Vec<Target>,
    ) -> Option<f64> {
        match (number, self.rating) {
            (RawNumber::Value(x), Some(r)) if x.is_finite() && *x >= 0.0 && *x <= LARGEST => {
                let distribution = self.scale.effect(*x, r, self.optimism_bias);
                if let Some(problem) = distribution.accuracy_problem() {
                    v.errors
                        .at(loc, format!("{what}, made uncertain by its evidence rating: {problem}"));
                    return None;
                }
                self.stated.push(Some(*x));
                if let Distribution::Fixed(value) = distribution {
                    return Some(value);
                }
                v.uncertain.push(UncertainParameter {
                    id: v.uncertain.len(),
                    label,
                    source: loc.to_string(),
                    distribution,
                    group: Some(format!("{} evidence", self.name)),
                    reversed: *x < 1.0,
                    targets,
                    moved: None,
                });
                Some(distribution.mean())
            }
            _ => {
                self.stated.push(None);
                v.resolve(number, loc, Support::NonNegative, what, label, targets)
            }
        }
    }

    /// An effect's number that may change over the years: its first value
    /// as [`Effects::number`] resolves it, and its factors by model year.
    fn profiled(
        &mut self,
        v: &mut Validator,
        span: &Span,
        raw: &RawProfile,
        what: &str,
        (label, targets): (String, Vec<Target>),
    ) -> Option<(f64, Option<Vec<f64>>)> {
        let Some(first) = raw.first() else {
            self.fail(v, span, format!("{what}: no value; give a number"));
            return None;
        };
        let loc = v.loc(span);
        let x = self.number(v, first, loc, what, label, targets)?;
        Some((x, profile::factors(v, span, what, raw, x, self.years)))
    }

    /// Adds a relative risk on a move between levels (or the exit).
    fn add_transition(&mut self, v: &mut Validator, span: &Span, effect: TransitionEffect) {
        let TransitionEffect {
            from,
            to,
            f,
            t,
            rr,
            hazard,
        } = effect;
        let name = self.name;
        if !self.target_levels.is_empty() && !f.iter().all(|f| self.target_levels.contains(f)) {
            self.fail(
                v,
                span,
                format!(
                    "it acts on transitions from `{from}`, which is not one of its target_levels, so it would never apply"
                ),
            );
        }
        if t.is_some_and(|t| f.contains(&t)) {
            self.fail(v, span, format!("a transition from `{from}` to itself"));
        }
        let effect = self.effects.len();
        let kind = if hazard { "hazard ratio" } else { "relative risk" };
        let what = format!("intervention `{name}`: the {kind} of `{from}` → `{to}`");
        let label = format!("intervention.{name}.relative_risk.{from}.{to}");
        // One number for the moves out of every tunnel of a level with tunnels.
        let targets = (effect..effect + f.len())
            .map(|effect| Target::Effect {
                intervention: self.intervention,
                effect,
            })
            .collect();
        let Some((rr, factors)) = self.profiled(v, span, rr, &what, (label, targets)) else {
            return;
        };
        // (A hazard ratio of 0 would be no hazard at all: a relative risk of 0 says that.)
        if hazard && (rr <= 0.0 || factors.as_ref().is_some_and(|f| f.contains(&0.0))) {
            self.fail(
                v,
                span,
                format!(
                    "the hazard ratio of `{from}` → `{to}` is 0 (in some year); a hazard ratio must be above 0 (1 = no effect); to stop the move altogether, give `relative_risk = 0`"
                ),
            );
            return;
        }
        for _ in 1..f.len() {
            let stated = self.stated.last().copied().flatten();
            self.stated.push(stated);
        }
        for f in f {
            if self
                .effects
                .iter()
                .any(|x| matches!(x, Effect::Transition { from: ff, to: tt, .. } if *ff == f && *tt == t))
            {
                self.fail(
                    v,
                    span,
                    format!("the transition `{from}` → `{to}` has two effects; give one"),
                );
            }
            self.effects.push(Effect::Transition {
                from: f,
                to: t,
                relative_risk: rr,
                hazard,
            });
            self.profiles.push(factors.clone());
        }
    }

    /// Adds a multiplier on the quality weight of the people reached.
    fn add_utility(&mut self, v: &mut Validator, span: &Span, has_outcomes: bool, m: &RawProfile) {
        if !has_outcomes {
            self.fail(v, span, "it multiplies quality of life (`utility`), but the file has no `[outcomes]` table of quality weights to multiply; add one, or remove the effect".into());
            return;
        }
        let effect = self.effects.len();
        let what = format!("intervention `{}`: the multiplier on quality of life", self.name);
        let label = format!("intervention.{}.utility", self.name);
        let targets = vec![Target::Effect {
            intervention: self.intervention,
            effect,
        }];
        let Some((m, factors)) = self.profiled(v, span, m, &what, (label, targets)) else {
            return;
        };
        if self.effects.iter().any(|x| matches!(x, Effect::Utility { .. })) {
            self.fail(v, span, "quality of life has two effects; give one".into());
        }
        self.effects.push(Effect::Utility { multiplier: m });
        self.profiles.push(factors);
    }

    /// Adds a multiplier on the use of `service` (index `s`).
    fn add_service(&mut self, v: &mut Validator, span: &Span, service: &str, s: usize, m: &RawProfile) {
        let name = self.name;
        let effect = self.effects.len();
        let what = format!("intervention `{name}`: the multiplier on `{service}`");
        let label = format!("intervention.{name}.multiplier.{service}");
        let targets = vec![Target::Effect {
            intervention: self.intervention,
            effect,
        }];
        let Some((m, factors)) = self.profiled(v, span, m, &what, (label, targets)) else {
            return;
        };
        if self
            .effects
            .iter()
            .any(|x| matches!(x, Effect::Service { service: ss, .. } if *ss == s))
        {
            self.fail(v, span, format!("service `{service}` has two effects; give one"));
        }
        self.effects.push(Effect::Service {
            service: s,
            multiplier: m,
        });
        self.profiles.push(factors);
    }

    /// Adds capacity (activity a year) to a service, or places to a level
    /// (`added`), bought at `cost_per_unit` a year per unit. What is added
    /// is used as written (a distribution or not): the evidence rating
    /// shapes effects on people, not capacity bought.
    fn add_supply(
        &mut self,
        v: &mut Validator,
        span: &Span,
        added: Added,
        add: &RawNumber,
        cost_per_unit: Option<&RawNumber>,
    ) {
        let name = self.name;
        let (service, what_added, key) = match &added {
            Added::Capacity { service, .. } => (*service, "capacity", "add_capacity"),
            Added::Places { level, .. } => (*level, "places", "add_places"),
        };
        let effect = self.effects.len();
        let loc = v.loc(span);
        let what = format!("intervention `{name}`: the {what_added} it adds to `{service}`");
        let label = format!("intervention.{name}.{key}.{service}");
        let targets = vec![Target::Effect {
            intervention: self.intervention,
            effect,
        }];
        self.stated.push(None);
        let add = v.resolve(add, loc, Support::NonNegative, &what, label, targets);
        let cost_per_unit = match cost_per_unit {
            None => {
                self.fail(
                    v,
                    span,
                    format!(
                        "it adds {what_added} to `{service}` but gives no `cost_per_unit`; give the money a year that each unit added costs, e.g. cost_per_unit = 5200 (0 if it costs nothing)"
                    ),
                );
                None
            }
            Some(RawNumber::Distribution(_)) => {
                self.fail(
                    v,
                    span,
                    format!(
                        "the `cost_per_unit` of the {what_added} it adds to `{service}` is a distribution, which this build does not take here; give one number, money a year per unit added, e.g. 5200"
                    ),
                );
                None
            }
            Some(RawNumber::Value(x)) => {
                let what = format!("the `cost_per_unit` of the {what_added} it adds to `{service}`");
                match non_negative_problem(*x, &what) {
                    Some(problem) => {
                        self.fail(v, span, problem);
                        None
                    }
                    None => Some(*x),
                }
            }
        };
        let twice = self.effects.iter().any(|x| match (x, &added) {
            (Effect::Capacity { service: a, .. }, Added::Capacity { index: b, .. })
            | (Effect::Places { level: a, .. }, Added::Places { index: b, .. }) => a == b,
            _ => false,
        });
        if twice {
            self.fail(
                v,
                span,
                format!("it adds {what_added} to `{service}` twice; give one effect with the whole amount"),
            );
        }
        let (Some(add), Some(cost_per_unit)) = (add, cost_per_unit) else {
            return;
        };
        self.profiles.push(None);
        self.effects.push(match added {
            Added::Capacity { index, .. } => Effect::Capacity {
                service: index,
                add,
                cost_per_unit,
            },
            Added::Places { index, .. } => Effect::Places {
                level: index,
                add,
                cost_per_unit,
            },
        });
    }
}
