//! `[[places]]`: need levels that hold a limited number of people (README,
//! "Levels with a limited number of places"), read and checked into
//! [`LevelPlaces`].

use super::names::{Names, list};
use super::values::uncertain_by_year;
use crate::error::Location;
use crate::model::{LevelPlaces, Service, Target, WaitingMove, WaitingUse};
use crate::scenario::checks::Validator;
use crate::scenario::file::{RawNumber, RawPlaces, RawWaitingUse};
use toml::Spanned;

/// The largest use multiplier `while_waiting` takes: far beyond any
/// published excess use while waiting, so a larger one is surely a typo.
const LARGEST_MULTIPLIER: f64 = 1000.0;

/// The largest relative risk on a move while waiting (as `while_unmet`'s).
const LARGEST_WAITING_RISK: f64 = 100.0;

/// Every `[[places]]` of the file: each names a level (at most once), its
/// places (a number, a distribution or by year; each ≥ 0 and within
/// 10^12) and optionally `while_waiting` multipliers on `services`' use
/// and relative risks on the moves of the people waiting.
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
            None => Some((Vec::new(), Vec::new())),
            Some(given) => while_waiting_from(v, (name, level), names, services, given),
        };
        if let (Some(per_year), Some((while_waiting, waiting_moves))) = (per_year, while_waiting) {
            found.push(LevelPlaces {
                level,
                per_year,
                while_waiting,
                waiting_moves,
            });
        }
    }
    found
}

/// `while_waiting`: use multipliers, each service named once, its
/// multiplier a plain number in [0, 1000]; and relative
/// risks on moves between two other levels, each move once, the risk a
/// plain number in (0, 100].
fn while_waiting_from(
    v: &mut Validator,
    (level, limited): (&str, usize),
    names: &Names,
    services: &[Service],
    given: &Spanned<Vec<Spanned<RawWaitingUse>>>,
) -> Option<(Vec<WaitingUse>, Vec<WaitingMove>)> {
    let mut uses: Vec<WaitingUse> = Vec::new();
    let mut moves: Vec<WaitingMove> = Vec::new();
    let mut ok = true;
    for u in given.get_ref() {
        let span = u.span();
        let raw = u.get_ref();
        let mut fail = |v: &mut Validator, message: String| {
            v.err(&span, format!("[[places]] `{level}`, while_waiting: {message}"));
            ok = false;
        };
        let (service, multiplier) = match raw {
            RawWaitingUse {
                service: Some(service),
                multiplier: Some(multiplier),
                from: None,
                to: None,
                relative_risk: None,
            } => (service, multiplier),
            RawWaitingUse {
                service: None,
                multiplier: None,
                from: Some(from),
                to: Some(to),
                relative_risk: Some(rr),
            } => {
                match waiting_move(names, (level, limited), (from, to, rr), &moves) {
                    Ok(m) => moves.push(m),
                    Err(message) => fail(v, message),
                }
                continue;
            }
            _ => {
                fail(
                    v,
                    "each entry is a use multiplier, { service = \"...\", multiplier = 1.5 }, or a relative risk on a move of the people waiting, { from = \"...\", to = \"...\", relative_risk = 0.8 }; give the keys of one of the two".into(),
                );
                continue;
            }
        };
        let Some(s) = services.iter().position(|s| &s.name == service) else {
            let names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
            fail(
                v,
                format!("unknown service `{service}`; the services are {}", list(&names)),
            );
            continue;
        };
        let (service_name, service) = (service, s);
        if uses.iter().any(|u| u.service == service) {
            fail(
                v,
                format!("service `{service_name}` is named twice; give one multiplier per service"),
            );
            continue;
        }
        let what = format!("the multiplier on `{service_name}` while waiting");
        let multiplier = match *multiplier {
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
    ok.then_some((uses, moves))
}

/// A relative risk on the move `from → to` of the people waiting for a
/// place in `limited` (named `level`): two different levels, neither the
/// limited one, not given before (in `moves`).
fn waiting_move(
    names: &Names,
    (level, limited): (&str, usize),
    (from, to, rr): (&str, &str, &RawNumber),
    moves: &[WaitingMove],
) -> Result<WaitingMove, String> {
    let (f, t) = (names.level(from)?, names.level(to)?);
    if f == limited || t == limited {
        return Err(format!(
            "the move `{from}` → `{to}` involves `{level}` itself; a relative risk while waiting changes how the people waiting move between the other levels (their move into `{level}` is the one held)"
        ));
    }
    if f == t {
        return Err(format!(
            "a move from `{from}` to itself; `from` and `to` must be two different levels, of {}",
            list(&names.levels)
        ));
    }
    let what = format!("the relative risk of `{from}` → `{to}` while waiting");
    let relative_risk = match *rr {
        RawNumber::Distribution(_) => {
            return Err(format!(
                "{what} is given as a distribution, which this build does not take here; give one number, e.g. 0.8 for a fifth fewer of these moves"
            ));
        }
        RawNumber::Value(x) if x.is_finite() && x > 0.0 && x <= LARGEST_WAITING_RISK => x,
        RawNumber::Value(x) => {
            return Err(format!(
                "{what} is {x}; give a finite number above 0 and at most {LARGEST_WAITING_RISK}, e.g. 0.8 for a fifth fewer of these moves (1 is no change)"
            ));
        }
    };
    if moves.iter().any(|m| m.from == f && m.to == t) {
        return Err(format!("the move `{from}` → `{to}` is given twice; give it once"));
    }
    Ok(WaitingMove {
        from: f,
        to: t,
        relative_risk,
    })
}
