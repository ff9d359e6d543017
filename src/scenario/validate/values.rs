//! Numbers as the file writes them beyond a single value: by-year points,
//! series built from them with the place each point came from, shares by
//! level that sum to 1, and calendar years.

use super::names::Names;
use crate::error::{ErrorSink, Location};
use crate::model::{Series, Target};
use crate::scenario::checks::{Span, Validator, non_negative_problem};
use crate::scenario::file::{ByYear, RawNumber};
use crate::uncertainty::Support;
use std::collections::BTreeMap;
use toml::Spanned;

/// Points of a by-year value, one entry per (key, optional year), with the
/// place each came from, so that duplicates can be named.
pub(super) struct SeriesBuilder<K: Ord> {
    entries: BTreeMap<K, Vec<(Option<i32>, f64, Location)>>,
}

impl<K: Ord + Clone> SeriesBuilder<K> {
    pub(super) fn new() -> Self {
        Self {
            entries: BTreeMap::new(),
        }
    }

    pub(super) fn add(
        &mut self,
        errors: &mut ErrorSink,
        key: K,
        year: Option<i32>,
        value: f64,
        loc: Location,
        what: &str,
    ) {
        let points = self.entries.entry(key).or_default();
        if let Some(previous) = points.iter().find(|p| p.0 == year || p.0.is_none() || year.is_none()) {
            let detail = if previous.0 == year {
                String::new()
            } else {
                " (a value without a year covers every year, so it cannot be mixed with values by year)".into()
            };
            errors.at(
                loc,
                format!("{what} is given twice; it was already given at {}{detail}", previous.2),
            );
            return;
        }
        points.push((year, value, loc));
    }

    /// Where each key's points came from, by year (`None`: every year).
    pub(super) fn places(&self) -> BTreeMap<K, Vec<(Option<i32>, Location)>> {
        self.entries
            .iter()
            .map(|(k, points)| (k.clone(), points.iter().map(|(y, _, l)| (*y, l.clone())).collect()))
            .collect()
    }

    pub(super) fn build(self) -> BTreeMap<K, Series<f64>> {
        self.entries
            .into_iter()
            .map(|(k, points)| {
                let series = match points.as_slice() {
                    [(None, v, _)] => Series::constant(*v),
                    _ => Series::by_year(points.into_iter().map(|(y, v, _)| (y.unwrap_or(i32::MIN), v)).collect()),
                };
                (k, series)
            })
            .collect()
    }
}

/// Expands a by-year TOML value into (year, value) points, checking each.
pub(super) fn by_year_points<'r>(
    v: &mut Validator,
    span: &Span,
    value: &'r ByYear,
) -> Vec<(Option<i32>, &'r RawNumber)> {
    match value {
        ByYear::Constant(x) => vec![(None, x)],
        ByYear::Years(points) if points.is_empty() => {
            v.err(
                span,
                "the table of values by year is empty; give a number or { 2025 = value, ... }",
            );
            vec![]
        }
        ByYear::Years(points) => points
            .iter()
            .filter_map(|(year, x)| match year.trim().parse::<i32>() {
                Ok(y) => Some((Some(y), x)),
                Err(_) => {
                    v.err(
                        span,
                        format!(
                            "`{year}` is not a calendar year; by-year values are written {{ 2025 = 0.1, 2030 = 0.2 }}"
                        ),
                    );
                    None
                }
            })
            .collect(),
    }
}

/// A count a year that may be uncertain (a capacity, places): one number
/// or values by year, each a number or a distribution, ≥ 0 and within
/// 10^12. A distribution is one uncertain number per year given, labelled
/// `label` (`@YEAR` added when by year) and setting `target(point year)`
/// (`i32::MIN` for a value that holds every year). `what` names the value
/// in a year (`None`: every year).
pub(super) fn uncertain_by_year(
    v: &mut Validator,
    value: &Spanned<ByYear>,
    what: impl Fn(Option<i32>) -> String,
    label: &str,
    target: impl Fn(i32) -> Target,
) -> Option<Series<f64>> {
    let mut builder = SeriesBuilder::<()>::new();
    let mut ok = true;
    let loc = v.loc(&value.span());
    for (year, number) in by_year_points(v, &value.span(), value.get_ref()) {
        let what = what(year);
        let label = format!("{label}{}", super::names::at_year(year));
        let targets = vec![target(year.unwrap_or(i32::MIN))];
        let Some(x) = v.resolve(number, loc.clone(), Support::NonNegative, &what, label, targets) else {
            ok = false;
            continue;
        };
        builder.add(&mut v.errors, (), year, x, loc.clone(), &what);
    }
    let series = builder.build().remove(&());
    if ok { series } else { None }
}

/// Money a year as decided (a budget): one plain number or values by year,
/// each ≥ 0 and within 10^12; a distribution is refused. `what` names the
/// value in a year (`None`: every year), `example` shows values by year.
pub(super) fn money_by_year(
    v: &mut Validator,
    value: &Spanned<ByYear>,
    what: impl Fn(Option<i32>) -> String,
    example: &str,
) -> Option<Series<f64>> {
    let span = value.span();
    let loc = v.loc(&span);
    let mut builder = SeriesBuilder::<()>::new();
    let mut ok = true;
    for (year, number) in by_year_points(v, &span, value.get_ref()) {
        let what = what(year);
        let x = match number {
            RawNumber::Value(x) => non_negative_problem(*x, &what).map_or(Ok(*x), Err),
            RawNumber::Distribution(_) => Err(format!(
                "{what} is given as a distribution; a budget is money a year as decided, so give a number, or values by year such as {example}"
            )),
        };
        match x {
            Ok(x) => builder.add(&mut v.errors, (), year, x, loc.clone(), &what),
            Err(problem) => {
                v.err(&span, problem);
                ok = false;
            }
        }
    }
    let series = builder.build().remove(&());
    if ok { series } else { None }
}

pub(super) fn to_year(v: &mut Validator, year: &Spanned<i64>, key: &str) -> i32 {
    match i32::try_from(*year.get_ref()) {
        Ok(y) if (1800..=2300).contains(&y) => y,
        _ => {
            v.err(
                &year.span(),
                format!(
                    "{key} is {}; give a calendar year between 1800 and 2300",
                    year.get_ref()
                ),
            );
            2000
        }
    }
}

/// Shares by level that must sum to 1 (their means, when uncertain; each
/// draw's shares are rescaled to sum to 1). `label` is the path prefix,
/// `target` names a level's share.
pub(super) fn shares(
    v: &mut Validator,
    names: &Names,
    raw: &BTreeMap<String, Spanned<RawNumber>>,
    span: &Span,
    what: &str,
    label: &str,
    target: impl Fn(usize) -> Target,
) -> Option<Vec<f64>> {
    let mut out = vec![0.0; names.levels.len()];
    let mut ok = true;
    for (level, share) in raw {
        match names.level(level) {
            Err(e) => {
                v.err(&share.span(), format!("{what}: {e}"));
                ok = false;
            }
            Ok(l) => {
                let loc = v.loc(&share.span());
                let describe = format!("the share of `{level}` in {what}");
                let path = format!("{label}.{level}");
                match v.resolve(
                    share.get_ref(),
                    loc,
                    Support::Probability,
                    &describe,
                    path,
                    vec![target(l)],
                ) {
                    Some(x) => out[l] = x,
                    None => ok = false,
                }
            }
        }
    }
    let sum: f64 = out.iter().sum();
    if ok && (sum - 1.0).abs() > 1e-6 {
        v.err(
            span,
            format!(
                "the shares in {what} sum to {sum}, not 1; they are each level's share of the people, e.g. 0.6 for 60%"
            ),
        );
        ok = false;
    }
    ok.then_some(out)
}
