//! A service's `capacity` and what happens to the demand beyond it
//! (`when_full`, `divert_to`, `divert_ratio`, `renege`,
//! `target_wait_weeks`; README, "The supply side"): read and checked into
//! a [`Capacity`], which the engine simulates as README "The supply side"
//! describes.

use super::names::list;
use super::values::{SeriesBuilder, by_year_points};
use crate::model::{Capacity, Series};
use crate::scenario::checks::{LARGEST, Span, Validator, non_negative_problem, probability_problem};
use crate::scenario::file::{ByYear, RawNumber, RawService, RawWhenFull};
use crate::units::AnnualProbability;
use toml::Spanned;

/// How far the `when_full` shares may sum from 1.
const SHARES_TOLERANCE: f64 = 1e-9;

/// The capacity of service `raw` (number `service`), if it gives one; `None` also after
/// recording a problem. `services` are the names of every service in the
/// file, for `divert_to`.
pub(super) fn capacity_from(
    v: &mut Validator,
    raw: &RawService,
    service: usize,
    services: &[String],
) -> Option<Capacity> {
    let Some(capacity) = &raw.capacity else {
        refuse_without_capacity(v, raw);
        return None;
    };
    let per_year = per_year(v, raw, capacity);
    let (wait, divert, lost) = match &raw.when_full {
        None => Some((1.0, 0.0, 0.0)),
        Some(when_full) => shares(v, raw, when_full),
    }?;
    let divert_to = divert_to(v, raw, service, services, divert);
    let divert_ratio = match &raw.divert_ratio {
        None => Some(1.0),
        Some(_) if divert == 0.0 => {
            needs_divert(v, raw, "divert_ratio");
            None
        }
        Some(ratio) => positive(
            v,
            ratio,
            &format!("the `divert_ratio` of `{}`", raw.name),
            "e.g. 0.002 residential place-years per home care hour",
        ),
    };
    let renege = match &raw.renege {
        None => Some(AnnualProbability::default()),
        Some(_) if wait == 0.0 => {
            needs_wait(v, raw, "renege");
            None
        }
        Some(renege) => renege_from(v, renege, &raw.name),
    };
    let target_wait_weeks = match &raw.target_wait_weeks {
        None => Some(None),
        Some(_) if wait == 0.0 => {
            needs_wait(v, raw, "target_wait_weeks");
            None
        }
        Some(weeks) => positive(
            v,
            weeks,
            &format!("the `target_wait_weeks` of `{}`", raw.name),
            "e.g. 18",
        )
        .map(Some),
    };
    Some(Capacity {
        per_year: per_year?,
        wait,
        divert,
        lost,
        divert_to: divert_to?,
        divert_ratio: divert_ratio?,
        renege: renege?,
        target_wait_weeks: target_wait_weeks?,
        while_unmet: Vec::new(),
    })
}

/// The capacity by year: each value a plain number ≥ 0 and within 10^12.
fn per_year(v: &mut Validator, raw: &RawService, capacity: &Spanned<ByYear>) -> Option<Series<f64>> {
    let mut builder = SeriesBuilder::<()>::new();
    let mut ok = true;
    let loc = v.loc(&capacity.span());
    for (year, number) in by_year_points(v, &capacity.span(), capacity.get_ref()) {
        let what = match year {
            Some(y) => format!("the capacity of `{}` in {y}", raw.name),
            None => format!("the capacity of `{}`", raw.name),
        };
        let x = match number {
            RawNumber::Value(x) => *x,
            RawNumber::Distribution(_) => {
                v.err(
                    &capacity.span(),
                    format!(
                        "{what} is given as a distribution, which this build does not read yet; give a number of activity units a year, or values by year such as {{ 2025 = 900, 2030 = 1200 }}"
                    ),
                );
                ok = false;
                continue;
            }
        };
        if let Some(problem) = non_negative_problem(x, &what) {
            v.err(&capacity.span(), problem);
            ok = false;
            continue;
        }
        builder.add(&mut v.errors, (), year, x, loc.clone(), &what);
    }
    let series = builder.build().remove(&());
    if ok { series } else { None }
}

/// The `when_full` shares (wait, divert, lost): each in [0, 1], at least
/// one given, summing to 1.
fn shares(v: &mut Validator, raw: &RawService, when_full: &Spanned<RawWhenFull>) -> Option<(f64, f64, f64)> {
    let w = when_full.get_ref();
    if w.wait.is_none() && w.divert.is_none() && w.lost.is_none() {
        v.err(
            &when_full.span(),
            format!(
                "the `when_full` of `{}` gives no share; give at least one of `wait`, `divert` and `lost`, shares of the demand it cannot serve that sum to 1, e.g. {{ wait = 0.6, divert = 0.4, lost = 0 }}",
                raw.name
            ),
        );
        return None;
    }
    let mut ok = true;
    let mut share = |v: &mut Validator, key: &str, value: &Option<Spanned<f64>>| -> f64 {
        let Some(x) = value else { return 0.0 };
        let what = format!("the `{key}` share in the `when_full` of `{}`", raw.name);
        match share_problem(*x.get_ref(), &what) {
            Some(problem) => {
                v.err(&x.span(), problem);
                ok = false;
                0.0
            }
            None => *x.get_ref(),
        }
    };
    let wait = share(v, "wait", &w.wait);
    let divert = share(v, "divert", &w.divert);
    let lost = share(v, "lost", &w.lost);
    if !ok {
        return None;
    }
    let sum = wait + divert + lost;
    if (sum - 1.0).abs() > SHARES_TOLERANCE {
        // 0.6 + 0.3 is 0.8999999999999999 in binary: say 0.9 (a sum off
        // by more than the tolerance still shows how far).
        let sum = (sum * 1e12).round() / 1e12;
        v.err(
            &when_full.span(),
            format!(
                "the shares in the `when_full` of `{}` (wait, divert, lost) sum to {sum}, not 1; each is a share of the demand it cannot serve, e.g. {{ wait = 0.6, divert = 0.4, lost = 0 }}",
                raw.name
            ),
        );
        return None;
    }
    Some((wait, divert, lost))
}

/// What is wrong with a `when_full` share, if anything: it must be in [0, 1].
fn share_problem(x: f64, what: &str) -> Option<String> {
    if x.is_finite() && (0.0..=1.0).contains(&x) {
        return None;
    }
    let hint = if x > 1.0 && x <= 100.0 {
        format!("; if it is a percentage, write it as a decimal: {} for {x}%", x / 100.0)
    } else {
        String::new()
    };
    Some(format!(
        "{what} is {x}; give a share between 0 and 1 of the demand the service cannot serve, e.g. 0.6 for 60%{hint}"
    ))
}

/// The service that takes the diverted share: required when `divert > 0`,
/// refused otherwise; another service of the file. `Some(None)`: none.
fn divert_to(
    v: &mut Validator,
    raw: &RawService,
    service: usize,
    services: &[String],
    divert: f64,
) -> Option<Option<usize>> {
    match &raw.divert_to {
        None if divert > 0.0 => {
            let span = raw.when_full.as_ref().map(|w| w.span()).unwrap_or_default();
            v.err(
                &span,
                format!(
                    "the `when_full` of `{}` diverts {divert} of the demand it cannot serve, but no service takes it; add `divert_to = \"NAME\"`, one of {}",
                    raw.name,
                    list(&others(services, service))
                ),
            );
            None
        }
        None => Some(None),
        Some(_) if divert == 0.0 => {
            needs_divert(v, raw, "divert_to");
            None
        }
        Some(to) => match services.iter().position(|n| n == to.get_ref()) {
            Some(t) if t == service => {
                v.err(
                    &to.span(),
                    format!(
                        "service `{}` diverts to itself; name another service in `divert_to`, or make that share `wait` or `lost`",
                        raw.name
                    ),
                );
                None
            }
            Some(t) => Some(Some(t)),
            None => {
                v.err(
                    &to.span(),
                    format!(
                        "service `{}` diverts to unknown service `{}`; the other services are {}",
                        raw.name,
                        to.get_ref(),
                        list(&others(services, service))
                    ),
                );
                None
            }
        },
    }
}

/// Every service's name but `service`'s.
fn others(services: &[String], service: usize) -> Vec<String> {
    services
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != service)
        .map(|(_, n)| n.clone())
        .collect()
}

/// A number that must be finite, > 0 and within 10^12.
fn positive(v: &mut Validator, x: &Spanned<f64>, what: &str, example: &str) -> Option<f64> {
    let value = *x.get_ref();
    if value.is_finite() && value > 0.0 && value <= LARGEST {
        return Some(value);
    }
    let problem = if value > LARGEST && value.is_finite() {
        format!("{what} is {value:e}, more than 10^12; is it a typo?")
    } else {
        format!("{what} is {value}; give a finite number above 0, {example}")
    };
    v.err(&x.span(), problem);
    None
}

/// `renege`: an annual probability below 1.
fn renege_from(v: &mut Validator, x: &Spanned<f64>, name: &str) -> Option<AnnualProbability> {
    let value = *x.get_ref();
    let what = format!("the `renege` of `{name}`");
    let problem = match probability_problem(value, &what) {
        Some(p) => Some(p),
        None if value == 1.0 => Some(format!(
            "{what} is 1: everyone would leave the waiting list every step; give an annual probability below 1, e.g. 0.1 for 10% leaving the list unserved a year"
        )),
        None => None,
    };
    if let Some(problem) = problem {
        v.err(&x.span(), problem);
        return None;
    }
    AnnualProbability::new(value)
}

/// `key` converts or goes with diverted demand, but nothing is diverted.
fn needs_divert(v: &mut Validator, raw: &RawService, key: &str) {
    let span = key_span(raw, key);
    v.err(
        &span,
        format!(
            "service `{}` gives `{key}`, but its `when_full` diverts none of the demand it cannot serve; give `when_full` a `divert` share, or remove `{key}`",
            raw.name
        ),
    );
}

/// `key` is about the waiting list, but nothing waits.
fn needs_wait(v: &mut Validator, raw: &RawService, key: &str) {
    let span = key_span(raw, key);
    v.err(
        &span,
        format!(
            "service `{}` gives `{key}`, but its `when_full` puts none of the demand it cannot serve on a waiting list; give `when_full` a `wait` share, or remove `{key}`",
            raw.name
        ),
    );
}

/// The keys that only mean something for a service with a capacity, with
/// their places.
fn capacity_keys(raw: &RawService) -> [(&'static str, Option<Span>); 5] {
    [
        ("when_full", raw.when_full.as_ref().map(|x| x.span())),
        ("divert_to", raw.divert_to.as_ref().map(|x| x.span())),
        ("divert_ratio", raw.divert_ratio.as_ref().map(|x| x.span())),
        ("renege", raw.renege.as_ref().map(|x| x.span())),
        ("target_wait_weeks", raw.target_wait_weeks.as_ref().map(|x| x.span())),
    ]
}

fn key_span(raw: &RawService, key: &str) -> Span {
    capacity_keys(raw)
        .into_iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, span)| span)
        .unwrap_or_default()
}

/// Every capacity key given without a `capacity` is a problem.
fn refuse_without_capacity(v: &mut Validator, raw: &RawService) {
    for (key, span) in capacity_keys(raw) {
        if let Some(span) = span {
            v.err(
                &span,
                format!(
                    "service `{}` gives `{key}` but no `capacity`; `{key}` is about the demand a service cannot serve, so give `capacity` (activity a year, e.g. capacity = 900) or remove `{key}`",
                    raw.name
                ),
            );
        }
    }
}

/// The services' diversions must not form a cycle (demand no service can
/// serve would be passed round for ever): the first found is named, in
/// order, at the `divert_to` of its first service.
pub(super) fn check_diversion_cycles(
    v: &mut Validator,
    raw_services: &[Spanned<RawService>],
    divert_to: &[Option<usize>],
) {
    if let Err(cycle) = crate::supply::diversion_order(divert_to) {
        let names: Vec<String> = cycle
            .iter()
            .map(|&s| format!("`{}`", raw_services[s].get_ref().name))
            .collect();
        let span = raw_services[cycle[0]]
            .get_ref()
            .divert_to
            .as_ref()
            .map(|d| d.span())
            .unwrap_or_default();
        v.err(
            &span,
            format!(
                "the services divert in a cycle: {}; demand none of them can serve would be passed round for ever; make one of them `wait` or `lost` instead of diverting",
                names.join(" → ")
            ),
        );
    }
}
