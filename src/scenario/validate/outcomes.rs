//! `[outcomes]`: each cell's quality weight (`utility` by level, or
//! `utility_csv` by band and level), health's own discount rate, the age
//! life expectancy is reported at, the levels counted as healthy and the
//! willingness to pay a QALY.

use super::cells::{PerCell, values_by_level, values_by_row};
use super::names::Names;
use super::values::SeriesBuilder;
use crate::model::{AgeBand, Outcomes, Series, Target};
use crate::scenario::checks::Validator;
use crate::scenario::file::{RawOutcomes, ScenarioFile};
use crate::uncertainty::Support;
use toml::Spanned;

/// Money a QALY is worth when the file names none: the two ends of NICE's
/// usual range.
pub const DEFAULT_WILLINGNESS_TO_PAY: [f64; 2] = [20_000.0, 30_000.0];

/// The model's `Outcomes`, or `None` without an `[outcomes]` table (or
/// after recording what is wrong with it).
pub(super) fn outcomes_from(
    v: &mut Validator,
    file: &ScenarioFile,
    names: &Names,
    bands: &[AgeBand],
    cost_rate: f64,
) -> Option<Outcomes> {
    let spanned = file.outcomes.as_ref()?;
    let closed = file.entries.is_none() && file.projection_csv.is_none() && file.areas.is_none();
    let raw = spanned.get_ref();
    let errors_before = v.errors.count();
    let cohort_life_expectancy = match &raw.cohort_life_expectancy {
        Some(c) if *c.get_ref() && !closed => {
            v.err(
                &c.span(),
                "outcomes: cohort_life_expectancy is for a closed cohort, but the model has [entries] or a projection (people join it); leave it out, or remove them",
            );
            false
        }
        c => c.as_ref().is_some_and(|c| *c.get_ref()),
    };
    let utility = utilities(v, spanned, names);
    let discount_rate = match &raw.discount_rate {
        None => cost_rate,
        Some(rate) => {
            let r = *rate.get_ref();
            if !(r.is_finite() && (0.0..1.0).contains(&r)) {
                v.err(
                    &rate.span(),
                    format!(
                        "outcomes: discount_rate is {r}; give a rate in [0, 1) as a decimal, e.g. 0.035 for 3.5% (or leave it out to discount health as costs are)"
                    ),
                );
            }
            r
        }
    };
    let life_expectancy_band = match &raw.life_expectancy_age {
        None => 0,
        Some(age) => {
            let a = *age.get_ref();
            match bands.iter().position(|b| b.lower == a) {
                Some(b) => b,
                None => {
                    let lowers: Vec<String> = bands.iter().map(|b| b.lower.to_string()).collect();
                    v.err(
                        &age.span(),
                        format!(
                            "outcomes: life_expectancy_age is {a}, which no band starts at; give one of {} (the model knows ages only by band)",
                            lowers.join(", ")
                        ),
                    );
                    0
                }
            }
        }
    };
    let healthy_levels = match &raw.healthy_levels {
        None => vec![0],
        Some(list) => {
            if list.get_ref().is_empty() {
                v.err(
                    &list.span(),
                    format!(
                        "outcomes: healthy_levels is empty; name the levels counted as healthy, e.g. [\"{}\"]",
                        names.display(0)
                    ),
                );
            }
            let mut found = Vec::new();
            for name in list.get_ref() {
                match names.level_all(name) {
                    Ok(ls) if !ls.iter().any(|l| found.contains(l)) => found.extend(ls),
                    Ok(_) => v.err(
                        &list.span(),
                        format!("outcomes: healthy_levels names `{name}` twice; give each level once"),
                    ),
                    Err(e) => v.err(&list.span(), format!("outcomes: healthy_levels: {e}")),
                }
            }
            found
        }
    };
    let willingness_to_pay = match &raw.willingness_to_pay {
        None => DEFAULT_WILLINGNESS_TO_PAY.to_vec(),
        Some(list) => {
            let values = list.get_ref().clone();
            if values.is_empty() || values.iter().any(|x| !(x.is_finite() && *x >= 0.0)) {
                v.err(
                    &list.span(),
                    format!(
                        "outcomes: willingness_to_pay is {values:?}; give one or more amounts of money a QALY is worth, each ≥ 0, e.g. [20000, 30000]"
                    ),
                );
            }
            values
        }
    };
    let evppi_groups = raw
        .evppi
        .as_ref()
        .map_or_else(Vec::new, |groups| evppi_groups(v, groups));
    (v.errors.count() == errors_before).then_some(Outcomes {
        utility,
        discount_rate,
        life_expectancy_band,
        healthy_levels,
        willingness_to_pay,
        evppi_groups,
        utility_outside_range: raw.allow_utility_outside_range.unwrap_or(false),
        cohort_life_expectancy,
    })
}

/// `evppi = [["a", "b"], ...]`: each group's inputs as labels of the
/// uncertain numbers read so far (the whole file's: `[outcomes]` is read
/// last), a `group` name, or any input of a group, standing for the
/// group's first input (its inputs share one quantile a draw).
fn evppi_groups(v: &mut Validator, groups: &Spanned<Vec<Vec<String>>>) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for group in groups.get_ref() {
        if group.is_empty() || group.len() > 4 {
            v.err(
                &groups.span(),
                format!(
                    "outcomes: evppi group {group:?} has {} inputs; give 1 to 4 (the regression takes at most four at once)",
                    group.len()
                ),
            );
            continue;
        }
        let mut labels = Vec::new();
        for name in group {
            let by_label = v.uncertain.iter().find(|u| &u.label == name);
            let by_group = v.uncertain.iter().find(|u| u.group.as_ref() == Some(name));
            // An input of a group stands for the group: its first input.
            let first = |u: &crate::model::UncertainParameter| match &u.group {
                Some(g) => v
                    .uncertain
                    .iter()
                    .find(|w| w.group.as_ref() == Some(g))
                    .map_or(u.label.clone(), |w| w.label.clone()),
                None => u.label.clone(),
            };
            match by_label.or(by_group).map(first) {
                Some(label) if labels.contains(&label) => {}
                Some(label) => labels.push(label),
                None => {
                    let known: Vec<&str> = v.uncertain.iter().map(|u| u.label.as_str()).take(8).collect();
                    v.err(
                        &groups.span(),
                        format!(
                            "outcomes: evppi names `{name}`, which is no uncertain input's label or group; give a label as in draws.csv (e.g. {}) or a `group` name",
                            known.join(", ")
                        ),
                    );
                }
            }
        }
        found.push(labels);
    }
    found
}

/// Each cell's quality weight, from `utility` or `utility_csv`; every
/// cell must have one.
fn utilities(v: &mut Validator, spanned: &Spanned<RawOutcomes>, names: &Names) -> Vec<Series<f64>> {
    let raw = spanned.get_ref();
    let errors_before = v.errors.count();
    let (nb, nl) = (names.bands.len(), names.levels.len());
    let mut builder = SeriesBuilder::<(usize, usize)>::new();
    let support = if raw.allow_utility_outside_range == Some(true) {
        Support::Finite
    } else {
        Support::Utility
    };
    let per = PerCell {
        column: "utility",
        support,
        stem: "outcomes.utility".into(),
        context: "outcomes: utility".into(),
        noun: "a utility",
        cell: "the utility",
        of_level: &|level| format!("the utility of `{level}`"),
        of_row: &|band, level| format!("the utility of band `{band}`, level `{level}`"),
        target: &|band, level, point| Target::Utility { band, level, point },
    };
    match (&raw.utility, &raw.utility_csv) {
        (Some(_), Some(_)) => v.err(
            &spanned.span(),
            "outcomes: both `utility` and `utility_csv` are given; give one of them".to_string(),
        ),
        (None, None) => v.err(
            &spanned.span(),
            "outcomes: no quality weights; give `utility = { level = weight, ... }` (a weight between 0, dead, and 1, full health, or down to −1 for a state worse than dead, for every level) or `utility_csv`".to_string(),
        ),
        (Some(weights), None) => values_by_level(v, names, weights, &per, &mut builder),
        (None, Some(csv)) => values_by_row(v, names, csv, &per, &mut builder),
    }
    let mut weights: Vec<Option<Series<f64>>> = vec![None; nb * nl];
    for ((b, l), series) in builder.build() {
        weights[b * nl + l] = Some(series);
    }
    let missing: Vec<String> = (0..nb * nl)
        .filter(|&c| weights[c].is_none())
        .map(|c| format!("{} {}", names.bands[c / nl], names.display(c % nl)))
        .collect();
    if !missing.is_empty() && v.errors.count() == errors_before {
        v.err(
            &spanned.span(),
            format!(
                "outcomes: no utility for {}; every band and level needs a quality weight (0 = dead, 1 = full health)",
                missing.join(", ")
            ),
        );
    }
    weights
        .into_iter()
        .map(|w| w.unwrap_or_else(|| Series::constant(0.0)))
        .collect()
}
