//! An intervention's numbers that change over the years it runs (an
//! effect's relative risk, hazard ratio or multiplier, its cost per
//! participant or fixed cost), given by calendar year or by years since it
//! started: the first value is resolved as any number (it may be a
//! distribution, and is what a draw or an override changes); each model
//! year's value is the first × the year's factor, the later values as
//! written over the first.

use crate::scenario::checks::{Span, Validator, non_negative_problem};
use crate::scenario::file::{RawNumber, RawProfile};

/// The years a profile is laid over: the model's first year and how many
/// it runs, and the intervention's first.
#[derive(Debug, Clone, Copy)]
pub(super) struct Years {
    pub(super) model_start: i32,
    pub(super) horizon: usize,
    pub(super) intervention_start: i32,
}

/// The factor on the first value in each model year, for a number that
/// changes (`None` for one number, or values that never change), after
/// recording any problem at `span` (`what` names the number). `central` is
/// the first value as resolved: the factors are the later values over the
/// first as written (over `central` for a distribution).
pub(super) fn factors(
    v: &mut Validator,
    span: &Span,
    what: &str,
    raw: &RawProfile,
    central: f64,
    years: Years,
) -> Option<Vec<f64>> {
    let fail = |v: &mut Validator, message: String| {
        v.err(span, format!("{what}: {message}"));
        None
    };
    // (From the first year it applies, value by value.)
    let points: Vec<(i32, &RawNumber)> = match raw {
        RawProfile::Number(_) => return None,
        RawProfile::SinceStart(values) => {
            if values.is_empty() || values.len() > 200 {
                return fail(
                    v,
                    "`since_start` needs 1 to 200 values, the intervention's first year's first".into(),
                );
            }
            (values.iter().enumerate())
                .map(|(k, n)| (years.intervention_start + k as i32, n))
                .collect()
        }
        RawProfile::Years(written) => {
            let mut points = Vec::new();
            for (year, n) in written {
                match year.trim().parse::<i32>() {
                    Ok(y) => points.push((y, n)),
                    Err(_) => {
                        return fail(
                            v,
                            format!(
                                "`{year}` is not a year; give whole calendar years, e.g. {{ 2026 = 0.6, 2028 = 0.8 }}"
                            ),
                        );
                    }
                }
            }
            points.sort_by_key(|(y, _)| *y);
            if points.is_empty() {
                return fail(v, "the table of years is empty; give at least one year's value".into());
            }
            points
        }
    };
    let first = match points[0].1 {
        RawNumber::Value(x) => *x,
        RawNumber::Distribution(_) => central,
    };
    let mut values = Vec::with_capacity(points.len());
    for (k, (year, n)) in points.iter().enumerate() {
        let x = match n {
            _ if k == 0 => first,
            RawNumber::Value(x) => *x,
            RawNumber::Distribution(_) => {
                return fail(
                    v,
                    format!(
                        "the value for {} is a distribution; only the first value may be one (the later values follow its draw in proportion), so give a number",
                        year_name(raw, k, *year)
                    ),
                );
            }
        };
        if let Some(problem) = non_negative_problem(x, &format!("the value for {}", year_name(raw, k, *year))) {
            return fail(v, problem);
        }
        values.push((*year, x));
    }
    if first == 0.0 {
        if values.iter().any(|(_, x)| *x != 0.0) {
            return fail(
                v,
                "the first value is 0 and a later one is not; the later values are kept in proportion to the first, so start from the first year with a value above 0 (the intervention's `start_year`, or the table's first year)".into(),
            );
        }
        return None;
    }
    let factors: Vec<f64> = (0..years.horizon)
        .map(|k| {
            let year = years.model_start + k as i32;
            // The latest value given at or before the year; before the
            // first, the first.
            let x = values.iter().rev().find(|(y, _)| *y <= year).unwrap_or(&values[0]).1;
            x / first
        })
        .collect();
    factors.iter().any(|&f| f != 1.0).then_some(factors)
}

/// How a value's year is written: "year 2 since the start" or "2028".
fn year_name(raw: &RawProfile, k: usize, year: i32) -> String {
    match raw {
        RawProfile::SinceStart(_) => format!("year {} since the start", k + 1),
        _ => year.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorSink;
    use crate::scenario::checks::Lines;
    use crate::scenario::file::RawProfile;
    use std::path::Path;

    fn years() -> Years {
        Years {
            model_start: 2025,
            horizon: 6,
            intervention_start: 2026,
        }
    }

    fn profile(text: &str) -> RawProfile {
        #[derive(serde::Deserialize)]
        struct One {
            x: RawProfile,
        }
        toml::from_str::<One>(&format!("x = {text}")).unwrap().x
    }

    fn run(text: &str, central: f64) -> (Option<Vec<f64>>, Vec<String>) {
        let mut v = Validator {
            path: Path::new("model.toml"),
            dir: Default::default(),
            lines: Lines::new(""),
            errors: ErrorSink::default(),
            sources: Vec::new(),
            uncertain: Vec::new(),
        };
        let f = factors(&mut v, &(0..0), "the effect", &profile(text), central, years());
        let errors = match v.errors.finish(()) {
            Ok(()) => Vec::new(),
            Err(e) => e.errors.into_iter().map(|e| e.message).collect(),
        };
        (f, errors)
    }

    #[test]
    fn values_since_the_start_and_by_calendar_year_become_factors_on_the_first() {
        // 2025 is before the start: the first value holds.
        let (f, errors) = run("{ since_start = [0.5, 0.75, 1.0] }", 0.5);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(f.unwrap(), vec![1.0, 1.0, 1.5, 2.0, 2.0, 2.0]);
        let (f, _) = run("{ 2028 = 1.0, 2026 = 0.5, 2027 = 0.75 }", 0.5);
        assert_eq!(f.unwrap(), vec![1.0, 1.0, 1.5, 2.0, 2.0, 2.0]);
        // A distribution first: the later values over its mean.
        let (f, errors) = run(
            "{ since_start = [{ dist = \"lognormal\", mean = 0.8, sd = 0.1 }, 0.4] }",
            0.8,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(f.unwrap(), vec![1.0, 1.0, 0.5, 0.5, 0.5, 0.5]);
        // One value, or values that never change: no factors.
        assert_eq!(run("0.7", 0.7).0, None);
        assert_eq!(run("{ since_start = [0.7, 0.7] }", 0.7).0, None);
    }

    #[test]
    fn bad_profiles_are_refused_with_what_would_be_valid() {
        let (_, errors) = run(
            "{ since_start = [0.5, { dist = \"beta\", mean = 0.5, sd = 0.1 }] }",
            0.5,
        );
        assert!(
            errors[0].contains("year 2 since the start is a distribution; only the first"),
            "{errors:?}"
        );
        let (_, errors) = run("{ since_start = [0.5, -1.0] }", 0.5);
        assert!(errors[0].contains("the value for year 2 since the start"), "{errors:?}");
        let (_, errors) = run("{ soon = 0.5 }", 0.5);
        assert!(errors[0].contains("`soon` is not a year"), "{errors:?}");
        let (_, errors) = run("{ since_start = [0.0, 0.5] }", 0.0);
        assert!(errors[0].contains("the first value is 0"), "{errors:?}");
        let (_, errors) = run("{ since_start = [] }", 0.0);
        assert!(errors[0].contains("1 to 200 values"), "{errors:?}");
    }
}
