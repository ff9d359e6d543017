//! A service's capacity (`capacity`, `capacity_csv` or `capacity_budget`)
//! and what happens to the demand beyond it (`when_full`, `divert_to`,
//! `divert_ratio`, `renege`, `target_wait_weeks`, `while_unmet`; README,
//! "The supply side"): read and checked into a [`Capacity`], which the
//! engine simulates as README "The supply side" describes.

use super::cells::{cell_value, row_location};
use super::names::{Names, list};
use super::values::{SeriesBuilder, money_by_year, uncertain_by_year};
use crate::model::{Capacity, Series, Target, UnmetEffect};
use crate::scenario::checks::{LARGEST, Span, Validator, non_negative_problem, probability_problem};
use crate::scenario::file::{ByYear, RawNumber, RawService, RawUnmetEffect, RawWhenFull};
use crate::uncertainty::Support;
use crate::units::AnnualProbability;
use toml::Spanned;

/// How far the `when_full` shares may sum from 1.
const SHARES_TOLERANCE: f64 = 1e-9;

/// The largest relative risk `while_unmet` takes: far beyond any
/// published effect of waiting, so a larger one is surely a typo.
const LARGEST_UNMET_RISK: f64 = 100.0;

/// What a service with a capacity is checked against besides its own keys.
pub(super) struct CapacityContext<'a> {
    /// Its number among the services.
    pub(super) service: usize,
    /// Every service's name, for `divert_to`.
    pub(super) services: &'a [String],
    /// The file's bands and levels, for `while_unmet`.
    pub(super) names: &'a Names,
    /// Its unit cost (the mean when uncertain), for `capacity_budget`;
    /// `None` after a problem with it.
    pub(super) unit_cost: Option<f64>,
}

/// The capacity of service `raw`, if it gives one; `None` also after
/// recording a problem.
pub(super) fn capacity_from(v: &mut Validator, raw: &RawService, context: &CapacityContext) -> Option<Capacity> {
    let service = context.service;
    let per_year = match capacity_source(v, raw)? {
        Source::Capacity(capacity) => per_year(v, raw, service, capacity),
        Source::Csv(csv) => per_year_csv(v, raw, service, csv),
        Source::Budget(budget) => per_year_from_budget(v, raw, budget, context.unit_cost),
    };
    let (wait, divert, lost) = match &raw.when_full {
        None => Some((1.0, 0.0, 0.0)),
        Some(when_full) => shares(v, raw, when_full),
    }?;
    let divert_to = divert_to(v, raw, service, context.services, divert);
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
    let while_unmet = match &raw.while_unmet {
        None => Some(Vec::new()),
        Some(given) => while_unmet_from(v, raw, context.names, given),
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
        while_unmet: while_unmet?,
    })
}

/// Where a service's capacity comes from: exactly one of its three keys.
enum Source<'r> {
    /// `capacity`: activity a year, a number (or distribution) or by year.
    Capacity(&'r Spanned<ByYear>),
    /// `capacity_csv`: a table of `year,capacity[,rel_sd]`.
    Csv(&'r Spanned<String>),
    /// `capacity_budget`: money a year, bought at the unit cost.
    Budget(&'r Spanned<ByYear>),
}

/// The service's one source of capacity; `None` when it gives none (its
/// other capacity keys are then refused) or more than one (refused).
fn capacity_source<'r>(v: &mut Validator, raw: &'r RawService) -> Option<Source<'r>> {
    let given: Vec<(&str, Span, Source)> = [
        raw.capacity
            .as_ref()
            .map(|c| ("capacity", c.span(), Source::Capacity(c))),
        raw.capacity_csv
            .as_ref()
            .map(|c| ("capacity_csv", c.span(), Source::Csv(c))),
        raw.capacity_budget
            .as_ref()
            .map(|c| ("capacity_budget", c.span(), Source::Budget(c))),
    ]
    .into_iter()
    .flatten()
    .collect();
    match given.len() {
        0 => {
            refuse_without_capacity(v, raw);
            None
        }
        1 => given.into_iter().next().map(|(_, _, source)| source),
        _ => {
            let keys: Vec<String> = given.iter().map(|(k, _, _)| format!("`{k}`")).collect();
            let (last, rest) = keys.split_last().expect("two or more keys");
            v.err(
                &given[1].1,
                format!(
                    "service `{}` gives {} and {last}; give one of `capacity` (activity a year), `capacity_csv` (a table of year,capacity) or `capacity_budget` (money a year, bought at the unit cost)",
                    raw.name,
                    rest.join(", ")
                ),
            );
            None
        }
    }
}

/// The capacity by year from `capacity`: each value a number or a
/// distribution, ≥ 0 and within 10^12; a distribution is one uncertain
/// number per year given (`service.NAME.capacity`, `@YEAR` when by year).
fn per_year(v: &mut Validator, raw: &RawService, service: usize, capacity: &Spanned<ByYear>) -> Option<Series<f64>> {
    let what = |year: Option<i32>| match year {
        Some(y) => format!("the capacity of `{}` in {y}", raw.name),
        None => format!("the capacity of `{}`", raw.name),
    };
    let label = format!("service.{}.capacity", raw.name);
    uncertain_by_year(v, capacity, what, &label, |point| Target::Capacity { service, point })
}

/// The capacity by year from `capacity_csv` (`year,capacity`, optionally
/// `rel_sd`): one row per year, each capacity ≥ 0 and within 10^12, and
/// made uncertain (gamma) by a `rel_sd` as in the other tables.
fn per_year_csv(v: &mut Validator, raw: &RawService, service: usize, csv: &Spanned<String>) -> Option<Series<f64>> {
    let table = v.table(csv, &["year", "capacity"], &["rel_sd"])?;
    let mut builder = SeriesBuilder::<()>::new();
    let mut ok = true;
    for row in &table.rows {
        let year = match table.year(row, "year") {
            Ok(y) => y,
            Err(e) => {
                v.errors.push(e);
                ok = false;
                continue;
            }
        };
        let what = format!("the capacity of `{}` in {year}", raw.name);
        let label = format!("service.{}.capacity@{year}", raw.name);
        let targets = vec![Target::Capacity { service, point: year }];
        let Some(x) = cell_value(v, &table, row, "capacity", Support::NonNegative, &what, label, targets) else {
            ok = false;
            continue;
        };
        builder.add(&mut v.errors, (), Some(year), x, row_location(&table, row), &what);
    }
    let series = builder.build().remove(&());
    if ok { series } else { None }
}

/// The capacity by year that `capacity_budget` (money a year, plain
/// numbers) buys at the service's unit cost (its mean, when uncertain).
fn per_year_from_budget(
    v: &mut Validator,
    raw: &RawService,
    budget: &Spanned<ByYear>,
    unit_cost: Option<f64>,
) -> Option<Series<f64>> {
    let span = budget.span();
    let what = |year: Option<i32>| match year {
        Some(y) => format!("the `capacity_budget` of `{}` in {y}", raw.name),
        None => format!("the `capacity_budget` of `{}`", raw.name),
    };
    let budget = money_by_year(v, budget, what, "{ 2025 = 4000000, 2030 = 4500000 }");
    let unit_cost = unit_cost?;
    if unit_cost <= 0.0 {
        v.err(
            &span,
            format!(
                "service `{}` takes its capacity from `capacity_budget`, but its unit cost is 0, so the budget buys no number of units; give a unit cost above 0, or give `capacity` (activity a year) instead",
                raw.name
            ),
        );
        return None;
    }
    let capacity = budget?.map(|money| money / unit_cost);
    for &(year, x) in capacity.points() {
        let in_year = if year == i32::MIN {
            String::new()
        } else {
            format!(" in {year}")
        };
        let what = format!(
            "the capacity that the `capacity_budget` of `{}` buys{in_year} (budget ÷ unit cost {unit_cost})",
            raw.name
        );
        if let Some(problem) = non_negative_problem(x, &what) {
            v.err(&span, problem);
            return None;
        }
    }
    Some(capacity)
}

/// `while_unmet`: relative risks on moves between two different levels
/// (not the exit), each finite, above 0 and at most 100, one per move.
fn while_unmet_from(
    v: &mut Validator,
    raw: &RawService,
    names: &Names,
    given: &Spanned<Vec<Spanned<RawUnmetEffect>>>,
) -> Option<Vec<UnmetEffect>> {
    let mut effects: Vec<UnmetEffect> = Vec::new();
    let mut ok = true;
    for e in given.get_ref() {
        let span = e.span();
        let RawUnmetEffect {
            from,
            to,
            relative_risk,
        } = e.get_ref();
        let mut fail = |v: &mut Validator, message: String| {
            v.err(&span, format!("service `{}`, while_unmet: {message}", raw.name));
            ok = false;
        };
        let level = |name: &str| {
            if name == "exit" {
                Err(format!(
                    "`exit` is not a level here: while_unmet changes moves between levels; the levels are {}",
                    list(&names.levels)
                ))
            } else {
                names.level(name)
            }
        };
        let (f, t) = match (level(from), level(to)) {
            (Ok(f), Ok(t)) => (f, t),
            (f, t) => {
                for m in [f.err(), t.err()].into_iter().flatten() {
                    fail(v, m);
                }
                continue;
            }
        };
        if f == t {
            fail(
                v,
                format!(
                    "a move from `{from}` to itself; `from` and `to` must be two different levels, of {}",
                    list(&names.levels)
                ),
            );
            continue;
        }
        let what = format!("the relative risk of `{from}` → `{to}` while demand is unmet");
        let rr = match relative_risk {
            RawNumber::Distribution(_) => {
                fail(
                    v,
                    format!(
                        "{what} is given as a distribution, which this build does not take here; give one number, e.g. 1.4 for 40% more of these moves"
                    ),
                );
                continue;
            }
            RawNumber::Value(x) if x.is_finite() && *x > 0.0 && *x <= LARGEST_UNMET_RISK => *x,
            RawNumber::Value(x) => {
                fail(
                    v,
                    format!(
                        "{what} is {x}; give a finite number above 0 and at most 100, e.g. 1.4 for 40% more of these moves (1 is no change)"
                    ),
                );
                continue;
            }
        };
        if effects.iter().any(|x| x.from == f && x.to == t) {
            fail(v, format!("the move `{from}` → `{to}` is given twice; give it once"));
            continue;
        }
        effects.push(UnmetEffect {
            from: f,
            to: t,
            relative_risk: rr,
        });
    }
    ok.then_some(effects)
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
fn capacity_keys(raw: &RawService) -> [(&'static str, Option<Span>); 6] {
    [
        ("when_full", raw.when_full.as_ref().map(|x| x.span())),
        ("divert_to", raw.divert_to.as_ref().map(|x| x.span())),
        ("divert_ratio", raw.divert_ratio.as_ref().map(|x| x.span())),
        ("renege", raw.renege.as_ref().map(|x| x.span())),
        ("target_wait_weeks", raw.target_wait_weeks.as_ref().map(|x| x.span())),
        ("while_unmet", raw.while_unmet.as_ref().map(|x| x.span())),
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

#[cfg(test)]
mod tests {
    use crate::model::{Effect, Model, Reach, Series, Target, UnmetEffect};
    use crate::params::Layout;
    use std::path::Path;

    /// `tests/fixtures/capacity-full.toml`: a capacity by year, one from a
    /// table, one from a budget, one uncertain, and an intervention that
    /// buys capacity.
    fn fixture() -> Model {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/capacity-full.toml");
        crate::scenario::load(&path).unwrap().model
    }

    #[test]
    fn while_unmet_reads_into_the_capacity() {
        let model = fixture();
        let s = model.service_index("Home care").unwrap();
        let capacity = model.services[s].capacity.as_ref().unwrap();
        let (well, unwell) = (model.level_index("Well").unwrap(), model.level_index("Unwell").unwrap());
        assert_eq!(
            capacity.while_unmet,
            vec![UnmetEffect {
                from: unwell,
                to: well,
                relative_risk: 0.8
            }]
        );
    }

    #[test]
    fn a_capacity_table_gives_the_capacity_by_year_and_rel_sd_makes_it_uncertain() {
        let model = fixture();
        let s = model.service_index("Day centre").unwrap();
        let capacity = model.services[s].capacity.as_ref().unwrap();
        assert_eq!(
            capacity.per_year,
            Series::by_year(vec![(2025, 5000.0), (2027, 5500.0), (2030, 6000.0)])
        );
        let labels: Vec<&str> = model
            .uncertain
            .iter()
            .filter(|u| u.label.starts_with("service.Day centre.capacity"))
            .map(|u| u.label.as_str())
            .collect();
        // 2027's `rel_sd` is empty: that year's capacity is fixed.
        assert_eq!(
            labels,
            ["service.Day centre.capacity@2025", "service.Day centre.capacity@2030"]
        );
        let u = model
            .uncertain
            .iter()
            .find(|u| u.label == "service.Day centre.capacity@2030")
            .unwrap();
        assert_eq!(
            u.targets,
            vec![Target::Capacity {
                service: s,
                point: 2030
            }]
        );
        assert!((u.distribution.mean() - 6000.0).abs() < 1e-9);
    }

    #[test]
    fn a_capacity_budget_buys_capacity_at_the_central_unit_cost() {
        let model = fixture();
        let s = model.service_index("Reablement").unwrap();
        // The unit cost is uncertain (mean 2000): the capacity is fixed at
        // the budget ÷ the mean unit cost.
        assert_eq!(model.services[s].unit_cost, 2000.0);
        let capacity = model.services[s].capacity.as_ref().unwrap();
        assert_eq!(capacity.per_year, Series::by_year(vec![(2025, 200.0), (2028, 250.0)]));
        assert!(!model.uncertain.iter().any(|u| {
            u.targets
                .iter()
                .any(|t| matches!(t, Target::Capacity { service, .. } if *service == s))
        }));
    }

    /// A capacity given as a distribution is one uncertain number written,
    /// draw by draw, into every year's capacity entry of the parameter
    /// vector, as `montecarlo`'s batches write every uncertain number (its
    /// value at each of `Layout::indices` of each target).
    #[test]
    fn an_uncertain_capacity_varies_from_draw_to_draw() {
        let model = fixture();
        let s = model.service_index("Clinic").unwrap();
        let u = model
            .uncertain
            .iter()
            .find(|u| u.label == "service.Clinic.capacity")
            .unwrap();
        assert_eq!(
            u.targets,
            vec![Target::Capacity {
                service: s,
                point: i32::MIN
            }]
        );
        let layout = Layout::new(&model);
        // Another service's capacity changes by year, so every capacity
        // has an entry per year; this one's value holds in all of them.
        let years = model.horizon_years as usize;
        let entries: Vec<usize> = (0..years).map(|y| layout.capacity(y, s)).collect();
        assert_eq!(layout.indices(&model, &u.targets[0]), entries);
        let central = layout.central(&model);
        assert!(entries.iter().all(|&i| (central[i] - 900.0).abs() < 1.0));
        let mut draws = Vec::new();
        for draw in 0..200 {
            let values = crate::montecarlo::sample(&model, 7, draw);
            let mut params = central.clone();
            for p in &model.uncertain {
                for t in &p.targets {
                    for i in layout.indices(&model, t) {
                        params[i] = values[p.id];
                    }
                }
            }
            let first = params[entries[0]];
            assert!(entries.iter().all(|&i| params[i] == first), "draw {draw}");
            draws.push(first);
        }
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let sd = (draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (draws.len() - 1) as f64).sqrt();
        assert!((mean - 900.0).abs() < 15.0, "mean {mean}");
        assert!((sd - 50.0).abs() < 10.0, "sd {sd}");
        assert!(draws.iter().all(|&x| x >= 0.0));
    }

    #[test]
    fn an_intervention_that_only_buys_capacity_reaches_no_one() {
        let model = fixture();
        let i = model.intervention_index("More reablement").unwrap();
        let iv = &model.interventions[i];
        let s = model.service_index("Reablement").unwrap();
        assert!(iv.only_adds_capacity());
        assert!(iv.target_bands.is_empty() && iv.target_levels.is_empty());
        assert_eq!(iv.reach, Reach::Share(0.0));
        assert_eq!(
            iv.effects,
            vec![Effect::Capacity {
                service: s,
                add: 40.0,
                cost_per_unit: 1800.0
            }]
        );
        assert_eq!(iv.stated_effects, vec![None]);
        // Its slot holds the capacity added; a draw varies it.
        let layout = Layout::new(&model);
        assert_eq!(layout.central(&model)[layout.effect(i, 0)], 40.0);
        let u = model
            .uncertain
            .iter()
            .find(|u| u.label == "intervention.More reablement.add_capacity.Reablement")
            .unwrap();
        assert_eq!(
            u.targets,
            vec![Target::Effect {
                intervention: i,
                effect: 0
            }]
        );
        // The scenario's override sets it and drops the distribution.
        let scenario = model.scenarios.iter().find(|s| s.name == "reablement").unwrap();
        assert_eq!(scenario.model.interventions[i].effects[0].value(), 60.0);
        assert!(!scenario.model.uncertain.iter().any(|x| x.label == u.label));
    }
}
