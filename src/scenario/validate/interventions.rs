//! `[[interventions]]`: each intervention's targets, delivery, costs,
//! evidence and effects.

use super::names::{Names, check_names, list};
use super::services::funder_index;
use super::settings::{domains_from, evidence_scale_from};
use super::values::to_year;
use crate::error::{InputError, Location};
use crate::evidence::EvidenceScale;
use crate::model::*;
use crate::scenario::checks::{LARGEST, Span, Validator, non_negative_problem};
use crate::scenario::file::*;
use crate::uncertainty::{Distribution, Support};
use toml::Spanned;

/// The interventions of the file, with what they were checked against.
pub(super) struct InterventionList {
    pub(super) interventions: Vec<Intervention>,
    /// The `[model]` evidence scale (its own file, or the bundled one).
    pub(super) evidence_scale: EvidenceScale,
    /// The `[model]` outcome domains.
    pub(super) domains: Vec<String>,
    /// What is allowed but doubtful (an intervention applied beyond the
    /// ages its evidence covers).
    pub(super) warnings: Vec<InputError>,
}

/// Every intervention of the file; `funders` gains each new funder named.
pub(super) fn interventions_from(
    v: &mut Validator,
    file: &ScenarioFile,
    names: &Names,
    services: &[Service],
    limited_levels: &[usize],
    bands: &[AgeBand],
    funders: &mut Vec<String>,
) -> InterventionList {
    check_names(
        v,
        "intervention",
        file.interventions.iter().map(|i| (i.get_ref().name.as_str(), i.span())),
    );
    let service_names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
    let has_capacity: Vec<bool> = services.iter().map(|s| s.capacity.is_some()).collect();
    let evidence_scale = evidence_scale_from(v, file.model.evidence_scale.as_ref());
    let domains = domains_from(v, file.model.domains.as_ref());
    let mut warnings = Vec::new();
    let mut interventions = Vec::new();
    for i in &file.interventions {
        let index = interventions.len();
        let context = InterventionContext {
            names,
            services: &service_names,
            has_capacity: &has_capacity,
            limited_levels,
            scale: &evidence_scale,
            domains: &domains,
            bands,
            has_outcomes: file.outcomes.is_some(),
        };
        interventions.push(intervention_from(v, &context, i, index, funders, &mut warnings));
    }
    InterventionList {
        interventions,
        evidence_scale,
        domains,
        warnings,
    }
}

/// What an intervention is checked against besides its own keys.
struct InterventionContext<'a> {
    names: &'a Names,
    services: &'a [String],
    /// Per service: whether it has a capacity an intervention may add to.
    has_capacity: &'a [bool],
    /// The levels with places (`[[places]]`) an intervention may add to.
    limited_levels: &'a [usize],
    scale: &'a EvidenceScale,
    domains: &'a [String],
    bands: &'a [AgeBand],
    /// Whether the file has `[outcomes]` (quality weights an effect may multiply).
    has_outcomes: bool,
}

/// One intervention, checked part by part in the order its problems are
/// reported: targets, delivery, evidence, effects.
fn intervention_from(
    v: &mut Validator,
    context: &InterventionContext,
    i: &Spanned<RawIntervention>,
    intervention: usize,
    funders: &mut Vec<String>,
    warnings: &mut Vec<InputError>,
) -> Intervention {
    let raw = i.get_ref();
    let span = i.span();
    let name = &raw.name;
    let only_capacity = only_adds_capacity(raw);
    let (target_bands, target_levels) = if only_capacity {
        refuse_keys_about_people(v, raw);
        (Vec::new(), Vec::new())
    } else {
        targets_from(v, context.names, raw, &span)
    };
    let delivery = delivery_from(v, raw, &span, intervention, only_capacity);
    let rating = rating_from(v, context.scale, raw);
    let optimism_bias = optimism_bias_from(v, context.scale, raw, rating);
    let workforce = workforce_from(v, context.scale, raw);
    let domains = domains_of(v, context.domains, raw);
    let evidence_ages = evidence_ages_from(v, raw, &target_bands, context.bands, warnings);
    let mut effects = Effects {
        name,
        intervention,
        target_levels: &target_levels,
        scale: context.scale,
        rating,
        optimism_bias,
        effects: Vec::new(),
        stated: Vec::new(),
    };
    if raw.effects.is_empty() {
        warnings.push(InputError::new(
            v.loc(&span),
            format!(
                "intervention `{}` has no [[interventions.effects]]: it only costs (as a drug's price would); give it an effect if it should change need or use",
                raw.name
            ),
        ));
    }
    effects_from(v, context, raw, &mut effects);
    let Effects { effects, stated, .. } = effects;
    let funder = funder_index(funders, &raw.funder);
    Intervention {
        name: name.clone(),
        description: raw.description.clone().unwrap_or_default(),
        funder,
        tier: raw.tier,
        evidence: raw.evidence.clone().unwrap_or_default(),
        rating,
        evidence_ages,
        domains,
        optimism_bias,
        workforce,
        stated_effects: stated,
        maturity_factor: 1.0,
        target_bands,
        target_levels,
        reach: delivery.reach,
        start_year: delivery.start_year,
        ramp_years: delivery.ramp_years,
        end_year: delivery.end_year,
        fidelity: delivery.fidelity,
        cost_per_participant: delivery.cost_per_participant,
        fixed_cost: delivery.fixed_cost,
        lag_years: delivery.lag_years,
        effects,
    }
}

/// Records a problem with intervention `name`'s key at `span`.
fn fail(v: &mut Validator, span: &Span, name: &str, message: String) {
    v.err(span, format!("intervention `{name}`: {message}"));
}

/// The bands and levels an intervention serves (empty after a problem).
fn targets_from(v: &mut Validator, names: &Names, raw: &RawIntervention, span: &Span) -> (Vec<usize>, Vec<usize>) {
    let name = &raw.name;
    let bands = raw.target_bands.as_ref().map(|b| b.get_ref().clone());
    let target_bands = names.bands_or_all(&bands).unwrap_or_else(|e| {
        fail(v, span, name, e);
        vec![]
    });
    let target_levels = match &raw.target_levels {
        None => {
            let first = names.levels.first().map_or("", String::as_str);
            fail(
                v,
                span,
                name,
                format!(
                    "it has no target_levels; name the need levels it serves, e.g. target_levels = [\"{first}\"] (only an intervention whose effects all add capacity may leave them out)"
                ),
            );
            vec![]
        }
        Some(levels) if levels.get_ref().is_empty() => {
            fail(
                v,
                span,
                name,
                "target_levels is empty; name the need levels it serves".into(),
            );
            vec![]
        }
        Some(levels) => names
            .levels_or_all(&Some(levels.get_ref().clone()))
            .unwrap_or_else(|e| {
                fail(v, span, name, e);
                vec![]
            }),
    };
    (target_bands, target_levels)
}

/// Whether every effect of `raw` adds capacity or places (and it has at least one).
fn only_adds_capacity(raw: &RawIntervention) -> bool {
    !raw.effects.is_empty()
        && raw.effects.iter().all(|e| {
            let e = e.get_ref();
            e.add_capacity.is_some() || e.add_places.is_some()
        })
}

/// What an intervention's effect buys: capacity for a service or places
/// in a level (its name as written and its index).
enum Added<'a> {
    Capacity { service: &'a str, index: usize },
    Places { level: &'a str, index: usize },
}

/// An intervention whose effects all add capacity reaches no one: each key
/// about the people it would reach is refused rather than ignored.
fn refuse_keys_about_people(v: &mut Validator, raw: &RawIntervention) {
    let keys: [(&str, Option<Span>); 10] = [
        ("target_bands", raw.target_bands.as_ref().map(|x| x.span())),
        ("target_levels", raw.target_levels.as_ref().map(|x| x.span())),
        ("reach", raw.reach.as_ref().map(|x| x.span())),
        ("places", raw.places.as_ref().map(|x| x.span())),
        (
            "cost_per_participant",
            raw.cost_per_participant.as_ref().map(|x| x.span()),
        ),
        ("fidelity", raw.fidelity.as_ref().map(|x| x.span())),
        ("workforce", raw.workforce.as_ref().map(|x| x.span())),
        ("lag_years", raw.lag_years.as_ref().map(|x| x.span())),
        ("evidence_ages", raw.evidence_ages.as_ref().map(|x| x.span())),
        ("optimism_bias", raw.optimism_bias.as_ref().map(|x| x.span())),
    ];
    for (key, span) in keys {
        if let Some(span) = span {
            fail(
                v,
                &span,
                &raw.name,
                format!(
                    "every effect of it adds capacity, so it reaches no one and `{key}` would change nothing; remove `{key}` (its costs are `fixed_cost` and each effect's `cost_per_unit`), or give it an effect on people too (a `relative_risk` or a `multiplier`)"
                ),
            );
        }
    }
}

/// How an intervention is delivered: to whom, when, at what cost.
struct Delivery {
    reach: Reach,
    start_year: i32,
    end_year: Option<i32>,
    ramp_years: f64,
    cost_per_participant: f64,
    fixed_cost: f64,
    fidelity: f64,
    lag_years: u32,
}

/// An uncertain number of intervention `name`: its value (the mean if uncertain).
fn uncertain(
    v: &mut Validator,
    name: &str,
    field: &Spanned<RawNumber>,
    key: &str,
    support: Support,
    target: Target,
) -> Option<f64> {
    let loc = v.loc(&field.span());
    let what = format!("intervention `{name}`: {key}");
    let label = format!("intervention.{name}.{key}");
    v.resolve(field.get_ref(), loc, support, &what, label, vec![target])
}

/// [`uncertain`] for a key that may be left out, `default` then (and after a problem).
fn optional(
    v: &mut Validator,
    name: &str,
    field: &Option<Spanned<RawNumber>>,
    key: &str,
    support: Support,
    target: Target,
    default: f64,
) -> f64 {
    field
        .as_ref()
        .map_or(Some(default), |f| uncertain(v, name, f, key, support, target))
        .unwrap_or(default)
}

/// `only_capacity`: every effect adds capacity, and it reaches no one
/// (its keys about people are refused by [`refuse_keys_about_people`]).
fn delivery_from(
    v: &mut Validator,
    raw: &RawIntervention,
    span: &Span,
    intervention: usize,
    only_capacity: bool,
) -> Delivery {
    let name = &raw.name;
    let reach = match (&raw.reach, &raw.places) {
        _ if only_capacity => Reach::Share(0.0),
        (Some(r), None) => {
            let x = uncertain(
                v,
                name,
                r,
                "reach",
                Support::Probability,
                Target::Reach { intervention },
            );
            Reach::Share(x.unwrap_or(0.0))
        }
        (None, Some(p)) => {
            let x = uncertain(
                v,
                name,
                p,
                "places",
                Support::NonNegative,
                Target::Reach { intervention },
            );
            Reach::Places(x.unwrap_or(0.0))
        }
        _ => {
            fail(v, span, name, "give exactly one of `reach` (a share of the target population) or `places` (participants at any one time)".into());
            Reach::Share(0.0)
        }
    };
    let start_year = to_year(v, &raw.start_year, &format!("intervention `{name}`: start_year"));
    let end_year = raw.end_year.as_ref().map(|e| {
        let y = to_year(v, e, &format!("intervention `{name}`: end_year"));
        if y < start_year {
            fail(
                v,
                &e.span(),
                name,
                format!("end_year {y} is before start_year {start_year}"),
            );
        }
        y
    });
    let ramp_years = match &raw.ramp_years {
        None => 0.0,
        Some(x) => {
            if let Some(p) = non_negative_problem(*x.get_ref(), "ramp_years") {
                fail(v, &x.span(), name, p);
            }
            *x.get_ref()
        }
    };
    let cost_per_participant = optional(
        v,
        name,
        &raw.cost_per_participant,
        "cost_per_participant",
        Support::NonNegative,
        Target::CostPerParticipant { intervention },
        0.0,
    );
    let fixed_cost = optional(
        v,
        name,
        &raw.fixed_cost,
        "fixed_cost",
        Support::NonNegative,
        Target::FixedCost { intervention },
        0.0,
    );
    let fidelity = optional(
        v,
        name,
        &raw.fidelity,
        "fidelity",
        Support::Probability,
        Target::Fidelity { intervention },
        1.0,
    );
    let lag_years = match &raw.lag_years {
        None => 0,
        Some(l) => match u32::try_from(*l.get_ref()) {
            Ok(l) if l <= 100 => l,
            _ => {
                v.err(
                    &l.span(),
                    format!(
                        "intervention `{name}`: lag_years is {}; give a whole number of years from 0 to 100",
                        l.get_ref()
                    ),
                );
                0
            }
        },
    };
    Delivery {
        reach,
        start_year,
        end_year,
        ramp_years,
        cost_per_participant,
        fixed_cost,
        fidelity,
        lag_years,
    }
}

/// `evidence_rating`, on the model's evidence scale.
fn rating_from(v: &mut Validator, scale: &EvidenceScale, raw: &RawIntervention) -> Option<u8> {
    raw.evidence_rating.as_ref().and_then(|r| {
        let highest = scale.highest();
        match u8::try_from(*r.get_ref()) {
            Ok(x) if x <= highest => Some(x),
            _ => {
                let labels: Vec<String> = scale
                    .ratings
                    .iter()
                    .map(|r| format!("{} {}", r.rating, r.label))
                    .collect();
                fail(
                    v,
                    &r.span(),
                    &raw.name,
                    format!(
                        "evidence_rating is {}; give a whole number from 0 to {highest} on the evidence scale ({})",
                        r.get_ref(),
                        labels.join(", ")
                    ),
                );
                None
            }
        }
    })
}

/// `optimism_bias`: the share cut from effects shaped by the rating.
fn optimism_bias_from(v: &mut Validator, scale: &EvidenceScale, raw: &RawIntervention, rating: Option<u8>) -> f64 {
    let name = &raw.name;
    match raw.optimism_bias.as_ref() {
        None => 0.0,
        Some(o) => match (o.get_ref(), rating) {
            (RawOptimism::Rating(false), _) => 0.0,
            (RawOptimism::Rating(true), Some(r)) => scale.rating(r).optimism_bias,
            (RawOptimism::Rating(true), None) => {
                fail(v, &o.span(), name, "optimism_bias = true takes its share from the evidence rating; give evidence_rating, or a share such as optimism_bias = 0.2".into());
                0.0
            }
            (RawOptimism::Share(_), None) => {
                fail(v, &o.span(), name, "optimism_bias cuts the effects that evidence_rating shapes; give evidence_rating too (effects given as distributions are used as written)".into());
                0.0
            }
            (RawOptimism::Share(x), _) if (0.0..1.0).contains(x) => *x,
            (RawOptimism::Share(x), _) => {
                fail(
                    v,
                    &o.span(),
                    name,
                    format!(
                        "optimism_bias is {x}; give a share from 0 up to (not including) 1, or true for the evidence rating's figure"
                    ),
                );
                0.0
            }
        },
    }
}

/// `workforce`: the share delivered by qualified practitioners, and the
/// fidelity of the rest (the scale's, unless given).
fn workforce_from(v: &mut Validator, scale: &EvidenceScale, raw: &RawIntervention) -> Option<Workforce> {
    let w = raw.workforce.as_ref()?;
    let RawWorkforce {
        qualified,
        unqualified_fidelity,
    } = w.get_ref();
    let unqualified = unqualified_fidelity.unwrap_or(scale.unqualified_fidelity);
    for (key, x) in [("qualified", *qualified), ("unqualified_fidelity", unqualified)] {
        if !(0.0..=1.0).contains(&x) {
            fail(
                v,
                &w.span(),
                &raw.name,
                format!("workforce.{key} is {x}; give a share from 0 to 1"),
            );
        }
    }
    Some(Workforce {
        qualified: *qualified,
        unqualified_fidelity: unqualified,
    })
}

/// The intervention's outcome domains, as indices into the model's.
fn domains_of(v: &mut Validator, model_domains: &[String], raw: &RawIntervention) -> Vec<usize> {
    let iv = &raw.name;
    match raw.domains.as_ref() {
        None => Vec::new(),
        Some(d) => d
            .get_ref()
            .iter()
            .filter_map(|name| match model_domains.iter().position(|x| x == name) {
                Some(i) => Some(i),
                None if model_domains.is_empty() => {
                    fail(v, &d.span(), iv, format!("domain `{name}` is not declared; list the model's outcome domains in [model] domains = [...]"));
                    None
                }
                None => {
                    fail(v, &d.span(), iv, format!("unknown domain `{name}`; the model's domains are {}", list(model_domains)));
                    None
                }
            })
            .collect(),
    }
}

/// `evidence_ages`: the ages the evidence covers, with a warning for each
/// target band beyond them.
fn evidence_ages_from(
    v: &mut Validator,
    raw: &RawIntervention,
    target_bands: &[usize],
    bands: &[AgeBand],
    warnings: &mut Vec<InputError>,
) -> Option<AgeWindow> {
    let name = &raw.name;
    raw.evidence_ages.as_ref().map(|a| {
        let RawAges { from, to } = a.get_ref();
        let window = AgeWindow { from: *from, to: *to };
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            fail(v, &a.span(), name, format!("evidence_ages from {f} to {t} is empty; `from` must be below `to`"));
        }
        if from.is_none() && to.is_none() {
            fail(v, &a.span(), name, "evidence_ages needs `from`, `to` or both (in years)".into());
        }
        let loc = v.loc(&a.span());
        for &b in target_bands {
            let band = &bands[b];
            if let Some(p) = window.beyond(band) {
                warnings.push(InputError::new(
                    loc.clone(),
                    format!(
                        "intervention `{name}` is applied to band `{}`, which {p} its evidence covers (evidence_ages); its effect there is an assumption the evidence does not support",
                        band.name
                    ),
                ));
            }
        }
        window
    })
}

/// `[[interventions.effects]]`: relative risks on moves between levels (or
/// the exit), multipliers on services' use and capacity added to services,
/// at most one of each kind for each move or service.
fn effects_from(v: &mut Validator, context: &InterventionContext, raw: &RawIntervention, effects: &mut Effects) {
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
                let f = context.names.level(from);
                let t = if to == "exit" {
                    Ok(None)
                } else {
                    context.names.level(to).map(Some)
                };
                let (rr, hazard) = match (relative_risk, hazard_ratio) {
                    (Some(rr), None) => (rr, false),
                    (None, Some(hr)) => (hr, true),
                    _ => {
                        effects.fail(v, &span, format!("the move `{from}` → `{to}` needs `relative_risk` (on the probability in `annual_matrix` mode) or `hazard_ratio` (on the hazard), one of them"));
                        continue;
                    }
                };
                match (f, t) {
                    (Ok(f), Ok(t)) => effects.add_transition(v, &span, TransitionEffect { from, to, f, t, rr, hazard }),
                    (f, t) => {
                        for m in [f.err(), t.err()].into_iter().flatten() {
                            effects.fail(v, &span, format!("{m} (or `exit`)"));
                        }
                    }
                }
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
struct Effects<'a> {
    name: &'a str,
    intervention: usize,
    target_levels: &'a [usize],
    scale: &'a EvidenceScale,
    rating: Option<u8>,
    optimism_bias: f64,
    effects: Vec<Effect>,
    stated: Vec<Option<f64>>,
}

/// A relative risk as the file names its move (`from`, `to`) and as
/// resolved (`f`, and `t`: `None` for the exit).
struct TransitionEffect<'r> {
    from: &'r str,
    to: &'r str,
    f: usize,
    t: Option<usize>,
    rr: &'r RawNumber,
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
        if !self.target_levels.is_empty() && !self.target_levels.contains(&f) {
            self.fail(
                v,
                span,
                format!(
                    "it acts on transitions from `{from}`, which is not one of its target_levels, so it would never apply"
                ),
            );
        }
        if t == Some(f) {
            self.fail(v, span, format!("a transition from `{from}` to itself"));
        }
        let effect = self.effects.len();
        let loc = v.loc(span);
        let kind = if hazard { "hazard ratio" } else { "relative risk" };
        let what = format!("intervention `{name}`: the {kind} of `{from}` → `{to}`");
        let label = format!("intervention.{name}.relative_risk.{from}.{to}");
        let targets = vec![Target::Effect {
            intervention: self.intervention,
            effect,
        }];
        let Some(rr) = self.number(v, rr, loc, &what, label, targets) else {
            return;
        };
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
    }

    /// Adds a multiplier on the quality weight of the people reached.
    fn add_utility(&mut self, v: &mut Validator, span: &Span, has_outcomes: bool, m: &RawNumber) {
        if !has_outcomes {
            self.fail(v, span, "it multiplies quality of life (`utility`), but the file has no `[outcomes]` table of quality weights to multiply; add one, or remove the effect".into());
            return;
        }
        let effect = self.effects.len();
        let loc = v.loc(span);
        let what = format!("intervention `{}`: the multiplier on quality of life", self.name);
        let label = format!("intervention.{}.utility", self.name);
        let targets = vec![Target::Effect {
            intervention: self.intervention,
            effect,
        }];
        let Some(m) = self.number(v, m, loc, &what, label, targets) else {
            return;
        };
        if self.effects.iter().any(|x| matches!(x, Effect::Utility { .. })) {
            self.fail(v, span, "quality of life has two effects; give one".into());
        }
        self.effects.push(Effect::Utility { multiplier: m });
    }

    /// Adds a multiplier on the use of `service` (index `s`).
    fn add_service(&mut self, v: &mut Validator, span: &Span, service: &str, s: usize, m: &RawNumber) {
        let name = self.name;
        let effect = self.effects.len();
        let loc = v.loc(span);
        let what = format!("intervention `{name}`: the multiplier on `{service}`");
        let label = format!("intervention.{name}.multiplier.{service}");
        let targets = vec![Target::Effect {
            intervention: self.intervention,
            effect,
        }];
        let Some(m) = self.number(v, m, loc, &what, label, targets) else {
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
