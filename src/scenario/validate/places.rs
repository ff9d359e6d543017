//! `[[places]]`: need levels that hold a limited number of people (README,
//! "Levels with a limited number of places"), read and checked into
//! [`LevelPlaces`].

use super::names::{Names, list};
use super::values::uncertain_by_year;
use crate::error::Location;
use crate::model::{LevelPlaces, Service, Target, WaitingUse};
use crate::scenario::checks::Validator;
use crate::scenario::file::{RawNumber, RawPlaces};
use toml::Spanned;

/// The largest use multiplier `while_waiting` takes: far beyond any
/// published excess use while waiting, so a larger one is surely a typo.
const LARGEST_MULTIPLIER: f64 = 1000.0;

/// Every `[[places]]` of the file: each names a level (at most once), its
/// places (a number, a distribution or by year; each ≥ 0 and within
/// 10^12) and optionally `while_waiting` multipliers on `services`' use.
pub(super) fn places_from(
    v: &mut Validator,
    raw_places: &[Spanned<RawPlaces>],
    names: &Names,
    services: &[Service],
) -> Vec<LevelPlaces> {
    let mut found: Vec<LevelPlaces> = Vec::new();
    // Where each level's places were first given, for a second.
    let mut first: Vec<(usize, Location)> = Vec::new();
    for p in raw_places {
        let raw = p.get_ref();
        let name = raw.level.get_ref();
        let level = match names.level(name) {
            Ok(l) => l,
            Err(message) => {
                v.err(&raw.level.span(), format!("[[places]]: {message}"));
                continue;
            }
        };
        if let Some((_, at)) = first.iter().find(|(l, _)| *l == level) {
            v.err(
                &raw.level.span(),
                format!(
                    "level `{name}` is given places twice; it was already given them at {at}; give one `[[places]]` per level, with values by year if they change"
                ),
            );
            continue;
        }
        first.push((level, v.loc(&raw.level.span())));
        let index = found.len();
        let what = |year: Option<i32>| match year {
            Some(y) => format!("the places of `{name}` in {y}"),
            None => format!("the places of `{name}`"),
        };
        let label = format!("places.{name}");
        let per_year = uncertain_by_year(v, &raw.places, what, &label, |point| Target::Places { index, point });
        let while_waiting = match &raw.while_waiting {
            None => Some(Vec::new()),
            Some(given) => while_waiting_from(v, name, services, given),
        };
        if let (Some(per_year), Some(while_waiting)) = (per_year, while_waiting) {
            found.push(LevelPlaces {
                level,
                per_year,
                while_waiting,
            });
        }
    }
    found
}

/// `while_waiting`: each service named once and without a capacity, its
/// multiplier a plain number in [0, 1000].
fn while_waiting_from(
    v: &mut Validator,
    level: &str,
    services: &[Service],
    given: &Spanned<Vec<Spanned<crate::scenario::file::RawWaitingUse>>>,
) -> Option<Vec<WaitingUse>> {
    let mut uses: Vec<WaitingUse> = Vec::new();
    let mut ok = true;
    for u in given.get_ref() {
        let span = u.span();
        let raw = u.get_ref();
        let mut fail = |v: &mut Validator, message: String| {
            v.err(&span, format!("[[places]] `{level}`, while_waiting: {message}"));
            ok = false;
        };
        let Some(service) = services.iter().position(|s| s.name == raw.service) else {
            let names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
            fail(
                v,
                format!("unknown service `{}`; the services are {}", raw.service, list(&names)),
            );
            continue;
        };
        if services[service].capacity.is_some() {
            fail(
                v,
                format!(
                    "service `{}` has a capacity, and extra use while waiting for a place is not built for a service with a capacity yet; name a service without one",
                    raw.service
                ),
            );
            continue;
        }
        if uses.iter().any(|u| u.service == service) {
            fail(
                v,
                format!(
                    "service `{}` is named twice; give one multiplier per service",
                    raw.service
                ),
            );
            continue;
        }
        let what = format!("the multiplier on `{}` while waiting", raw.service);
        let multiplier = match raw.multiplier {
            RawNumber::Distribution(_) => {
                fail(
                    v,
                    format!(
                        "{what} is given as a distribution, which this build does not take here; give one number, e.g. 1.5 for half as much use again"
                    ),
                );
                continue;
            }
            RawNumber::Value(x) if x.is_finite() && (0.0..=LARGEST_MULTIPLIER).contains(&x) => x,
            RawNumber::Value(x) => {
                fail(
                    v,
                    format!(
                        "{what} is {x}; give a number from 0 (no use while waiting) to {LARGEST_MULTIPLIER} (1 is the use of anyone else in the cell)"
                    ),
                );
                continue;
            }
        };
        uses.push(WaitingUse { service, multiplier });
    }
    if ok { Some(uses) } else { None }
}
