//! `[[interventions]]`: each intervention's targets, delivery, costs,
//! evidence and effects.

use super::names::{Names, check_names, list};
use super::services::funder_index;
use super::settings::{domains_from, evidence_scale_from};
use super::values::to_year;
use crate::error::InputError;
use crate::evidence::EvidenceScale;
use crate::model::*;
use crate::scenario::checks::{Span, Validator, non_negative_problem};
use crate::scenario::file::*;
use crate::uncertainty::Support;
use effects::{Effects, effects_from};
use profile::Years;
use toml::Spanned;

mod effects;
mod profile;

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
    // (A first year or horizon out of range is reported with `[model]`.)
    let model_years = (
        i32::try_from(*file.model.start_year.get_ref()).unwrap_or(0),
        usize::try_from(*file.model.horizon_years.get_ref()).map_or(0, |h| h.min(200)),
    );
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
            model_years,
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
    /// The model's first year and how many years it runs.
    model_years: (i32, usize),
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
    let delivery = delivery_from(v, raw, &span, (intervention, context.model_years), only_capacity);
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
        profiles: Vec::new(),
        years: Years {
            model_start: context.model_years.0,
            horizon: context.model_years.1,
            intervention_start: delivery.start_year,
        },
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
    let Effects {
        effects,
        stated,
        profiles,
        ..
    } = effects;
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
        cost_at_start: cost_at_start(v, raw, intervention),
        lag_years: delivery.lag_years,
        effects,
        profiles: Profiles {
            effects: profiles,
            cost_per_participant: delivery.cost_profile,
            fixed_cost: delivery.fixed_cost_profile,
        },
    }
}

/// An intervention's money per person reached when it starts (0 without
/// `cost_at_start`): a number of 0 or more, or a distribution of one.
fn cost_at_start(v: &mut Validator, raw: &RawIntervention, intervention: usize) -> f64 {
    optional(
        v,
        &raw.name,
        &raw.cost_at_start,
        "cost_at_start",
        Support::NonNegative,
        Target::CostAtStart { intervention },
        0.0,
    )
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

/// An intervention whose effects all add capacity reaches no one: each key
/// about the people it would reach is refused rather than ignored.
fn refuse_keys_about_people(v: &mut Validator, raw: &RawIntervention) {
    let keys: [(&str, Option<Span>); 11] = [
        ("target_bands", raw.target_bands.as_ref().map(|x| x.span())),
        ("target_levels", raw.target_levels.as_ref().map(|x| x.span())),
        ("reach", raw.reach.as_ref().map(|x| x.span())),
        ("places", raw.places.as_ref().map(|x| x.span())),
        (
            "cost_per_participant",
            raw.cost_per_participant.as_ref().map(|x| x.span()),
        ),
        ("fidelity", raw.fidelity.as_ref().map(|x| x.span())),
        ("cost_at_start", raw.cost_at_start.as_ref().map(|x| x.span())),
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
    /// Their factors by model year, when they change over the years.
    cost_profile: Option<Vec<f64>>,
    fixed_cost_profile: Option<Vec<f64>>,
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
/// `model_years`: the model's first year and how many it runs.
fn delivery_from(
    v: &mut Validator,
    raw: &RawIntervention,
    span: &Span,
    (intervention, model_years): (usize, (i32, usize)),
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
    let years = Years {
        model_start: model_years.0,
        horizon: model_years.1,
        intervention_start: start_year,
    };
    let (cost_per_participant, cost_profile) = profiled_cost(
        v,
        name,
        &raw.cost_per_participant,
        "cost_per_participant",
        Target::CostPerParticipant { intervention },
        years,
    );
    let (fixed_cost, fixed_cost_profile) = profiled_cost(
        v,
        name,
        &raw.fixed_cost,
        "fixed_cost",
        Target::FixedCost { intervention },
        years,
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
        cost_profile,
        fixed_cost_profile,
        fidelity,
        lag_years,
    }
}

/// A cost of intervention `name` that may change over the years (0 when
/// left out, and after a problem), and its factors by model year.
fn profiled_cost(
    v: &mut Validator,
    name: &str,
    field: &Option<Spanned<RawProfile>>,
    key: &str,
    target: Target,
    years: Years,
) -> (f64, Option<Vec<f64>>) {
    let Some(field) = field else {
        return (0.0, None);
    };
    let span = field.span();
    let what = format!("intervention `{name}`: {key}");
    let Some(first) = field.get_ref().first() else {
        v.err(&span, format!("{what}: no value; give a number, e.g. {key} = 1200"));
        return (0.0, None);
    };
    let label = format!("intervention.{name}.{key}");
    let Some(x) = v.resolve(first, v.loc(&span), Support::NonNegative, &what, label, vec![target]) else {
        return (0.0, None);
    };
    (x, profile::factors(v, &span, &what, field.get_ref(), x, years))
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
