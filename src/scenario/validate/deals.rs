//! `[[contracts]]` and `[[pooled_budgets]]`: outcomes contracts and pooled
//! budgets (README, "Paying for the shift"). Their terms are plain numbers
//! (a deal is agreed, not uncertain); every name is resolved against the
//! model's levels, services, interventions and funders, every share is in
//! [0, 1] and each set of shares sums to 1, and every payment falls within
//! the model's years.

use super::names::{Names, list};
use crate::contracts::terms::{Claim, Deals, Outcome, OutcomesContract, Payer, PooledBudget, SavingsRule, Tariff};
use crate::model::{Intervention, Service};
use crate::scenario::checks::{Span, Validator, non_negative_problem, probability_problem};
use crate::scenario::file::{RawContract, RawPooledBudget, RawTariff};
use std::collections::BTreeMap;
use toml::Spanned;

/// What a contract's and a pool's names are checked against.
pub(super) struct Parts<'a> {
    pub(super) names: &'a Names,
    pub(super) services: &'a [Service],
    pub(super) interventions: &'a [Intervention],
    pub(super) funders: &'a [String],
    pub(super) start_year: i32,
    pub(super) end_year: i32,
}

/// Shares within 1e-6 of summing to 1 are taken as summing to 1.
const SHARE_TOLERANCE: f64 = 1e-6;

pub(super) fn deals_from(
    v: &mut Validator,
    contracts: &[Spanned<RawContract>],
    pools: &[Spanned<RawPooledBudget>],
    parts: &Parts,
) -> Deals {
    let mut seen: Vec<String> = Vec::new();
    let mut unique = |v: &mut Validator, name: &Spanned<String>, kind: &str| {
        let n = name.get_ref();
        if n.trim().is_empty() {
            v.err(&name.span(), format!("a {kind} needs a name"));
        } else if seen.contains(n) {
            v.err(
                &name.span(),
                format!("`{n}` names two contracts or pooled budgets; give each its own name"),
            );
        }
        seen.push(n.clone());
    };
    let mut deals = Deals::default();
    for c in contracts {
        unique(v, &c.get_ref().name, "contract");
        if let Some(contract) = contract_from(v, c, parts) {
            deals.contracts.push(contract);
        }
    }
    for p in pools {
        unique(v, &p.get_ref().name, "pooled budget");
        if let Some(pool) = pool_from(v, p, parts) {
            deals.pools.push(pool);
        }
    }
    deals
}

fn intervention(v: &mut Validator, name: &Spanned<String>, parts: &Parts, whose: &str) -> Option<usize> {
    let n = name.get_ref();
    let found = parts.interventions.iter().position(|i| i.name == *n);
    if found.is_none() {
        let names: Vec<String> = parts.interventions.iter().map(|i| i.name.clone()).collect();
        let known = if names.is_empty() {
            "the file has no interventions".to_string()
        } else {
            format!("the interventions are {}", list(&names))
        };
        v.err(
            &name.span(),
            format!("{whose} names unknown intervention `{n}`; {known}"),
        );
    }
    found
}

/// A plain number ≥ 0 (money, a count), or `None` after a message.
fn non_negative(v: &mut Validator, x: &Spanned<f64>, what: &str) -> Option<f64> {
    match non_negative_problem(*x.get_ref(), what) {
        Some(problem) => {
            v.err(&x.span(), problem);
            None
        }
        None => Some(*x.get_ref()),
    }
}

/// A whole number of years in `range`, or `None` after a message.
fn whole_years(v: &mut Validator, x: &Spanned<i64>, what: &str, least: i64) -> Option<u32> {
    let n = *x.get_ref();
    if n < least || n > 100 {
        v.err(
            &x.span(),
            format!("{what} is {n}; give a whole number of years from {least} to 100"),
        );
        return None;
    }
    Some(n as u32)
}

/// Shares by name, each in [0, 1], summing to 1; `known` checks a name
/// (returning its index when it must be one of a list). `None` after a message.
fn shares<T>(
    v: &mut Validator,
    raw: &Spanned<BTreeMap<String, Spanned<f64>>>,
    what: &str,
    known: &mut dyn FnMut(&mut Validator, &str, &Span) -> Option<T>,
) -> Option<Vec<(T, f64)>> {
    let mut out = Vec::new();
    let mut ok = true;
    for (name, share) in raw.get_ref() {
        let describe = format!("the share of `{name}` in {what}");
        if let Some(problem) = probability_problem(*share.get_ref(), &describe) {
            v.err(&share.span(), problem);
            ok = false;
            continue;
        }
        match known(v, name, &share.span()) {
            Some(t) => out.push((t, *share.get_ref())),
            None => ok = false,
        }
    }
    if raw.get_ref().is_empty() {
        v.err(
            &raw.span(),
            format!("{what}: no one is named; give each a share, e.g. {{ Council = 0.6, NHS = 0.4 }}"),
        );
        return None;
    }
    let sum: f64 = out.iter().map(|(_, s)| s).sum();
    if ok && (sum - 1.0).abs() > SHARE_TOLERANCE {
        v.err(
            &raw.span(),
            format!("the shares in {what} sum to {sum}, not 1; give each a share of the whole, e.g. 0.4 for 40%"),
        );
        ok = false;
    }
    ok.then_some(out)
}

fn contract_from(v: &mut Validator, raw: &Spanned<RawContract>, parts: &Parts) -> Option<OutcomesContract> {
    let c = raw.get_ref();
    let name = c.name.get_ref().clone();
    let whose = format!("contract `{name}`");
    let mut ok = true;
    if c.tariffs.is_empty() {
        v.err(
            &c.name.span(),
            format!("{whose} has no tariffs; add a `[[contracts.tariffs]]` with an `outcome` and a `price`"),
        );
        ok = false;
    }
    let intervention = intervention(v, &c.intervention, parts, &whose);
    let start = *c.start_year.get_ref();
    if start < i64::from(parts.start_year) || start > i64::from(parts.end_year) {
        v.err(
            &c.start_year.span(),
            format!(
                "{whose} starts in {start}, outside the model's years {}–{}",
                parts.start_year, parts.end_year
            ),
        );
        ok = false;
    }
    let years = whole_years(v, &c.years, &format!("the years of {whose}"), 1);
    let lag = match &c.payment_lag_years {
        Some(lag) => whole_years(v, lag, &format!("the payment lag of {whose}"), 0),
        None => Some(0),
    };
    if ok && let (Some(years), Some(lag)) = (years, lag) {
        let last = start + i64::from(years) - 1 + i64::from(lag);
        if last > i64::from(parts.end_year) {
            v.err(
                &c.years.span(),
                format!(
                    "{whose}'s last payment falls in {last}, after the model's last year {}; shorten its years or its payment lag, or lengthen the horizon",
                    parts.end_year
                ),
            );
            ok = false;
        }
    }
    let cap = c
        .cap
        .as_ref()
        .map(|x| non_negative(v, x, &format!("the cap of {whose}")));
    let per =
        (c.cap_per_participant.as_ref()).map(|x| non_negative(v, x, &format!("the cap per participant of {whose}")));
    let fee = match &c.delivery_fee_share {
        None => Some(0.0),
        Some(x) => {
            match probability_problem(*x.get_ref(), &format!("the delivery fee share of {whose}")) {
                Some(problem) => {
                    v.err(&x.span(), problem);
                    None
                }
                None if c.cap.is_none() && *x.get_ref() > 0.0 => {
                    v.err(
                    &x.span(),
                    format!("{whose} has a delivery fee share but no `cap`; the fee is that share of the cap, so give a cap"),
                );
                    None
                }
                None => Some(*x.get_ref()),
            }
        }
    };
    let payers = shares(v, &c.payers, &format!("the payers of {whose}"), &mut |_, payer, _| {
        Some(Payer {
            name: payer.to_string(),
            share: 0.0,
            funder: parts.funders.iter().position(|f| f == payer),
        })
    });
    let tariffs: Vec<Option<Tariff>> = c.tariffs.iter().map(|t| tariff_from(v, t, parts, &whose)).collect();
    let tariffs: Option<Vec<Tariff>> = tariffs.into_iter().collect();
    // Outer `None`: given but invalid; `Some(None)`: not given.
    let valid = |x: Option<Option<f64>>| match x {
        None => Some(None),
        Some(x) => x.map(Some),
    };
    let (cap, per) = (valid(cap), valid(per));
    match (ok, intervention, years, lag, cap, per, fee, payers, tariffs) {
        (
            true,
            Some(intervention),
            Some(years),
            Some(lag),
            Some(cap),
            Some(per),
            Some(fee),
            Some(payers),
            Some(tariffs),
        ) => Some(OutcomesContract {
            name,
            intervention,
            start_year: start as i32,
            years,
            payment_lag_years: lag,
            cap,
            cap_per_participant: per,
            delivery_fee_share: fee,
            payers: payers.into_iter().map(|(p, share)| Payer { share, ..p }).collect(),
            tariffs,
        }),
        _ => None,
    }
}

/// The keys each kind of outcome takes.
const OUTCOMES: &str = "`moved` (with `from` and `to`), `entries_avoided` (with `level`), `activity_avoided` (with `service`) or `sustained` (with `level`)";

fn tariff_from(v: &mut Validator, raw: &Spanned<RawTariff>, parts: &Parts, whose: &str) -> Option<Tariff> {
    let t = raw.get_ref();
    let kind = t.outcome.get_ref().as_str();
    let given: [(&str, &Option<Spanned<String>>); 4] = [
        ("from", &t.from),
        ("to", &t.to),
        ("level", &t.level),
        ("service", &t.service),
    ];
    let wanted: &[&str] = match kind {
        "moved" => &["from", "to"],
        "entries_avoided" | "sustained" => &["level"],
        "activity_avoided" => &["service"],
        _ => {
            v.err(
                &t.outcome.span(),
                format!("{whose} has a tariff on unknown outcome `{kind}`; an outcome is {OUTCOMES}"),
            );
            return None;
        }
    };
    let mut ok = true;
    for (key, value) in given {
        match (wanted.contains(&key), value) {
            (true, None) => {
                v.err(
                    &t.outcome.span(),
                    format!("{whose}: a tariff on `{kind}` needs `{key}`; an outcome is {OUTCOMES}"),
                );
                ok = false;
            }
            (false, Some(x)) => {
                v.err(
                    &x.span(),
                    format!("{whose}: a tariff on `{kind}` takes no `{key}`; an outcome is {OUTCOMES}"),
                );
                ok = false;
            }
            _ => {}
        }
    }
    if !ok {
        return None;
    }
    let level = |v: &mut Validator, x: &Option<Spanned<String>>| -> Option<usize> {
        let x = x.as_ref()?;
        parts
            .names
            .level(x.get_ref())
            .map_err(|e| v.err(&x.span(), format!("{whose}: a tariff on {e}")))
            .ok()
    };
    let outcome = match kind {
        "moved" => {
            let (from, to) = (level(v, &t.from)?, level(v, &t.to)?);
            if from == to {
                let span = t.to.as_ref().map_or(t.outcome.span(), |x| x.span());
                v.err(
                    &span,
                    format!("{whose}: a tariff on `moved` needs two different levels"),
                );
                return None;
            }
            Outcome::Moved { from, to }
        }
        "entries_avoided" => Outcome::EntriesAvoided {
            level: level(v, &t.level)?,
        },
        "sustained" => Outcome::Sustained {
            level: level(v, &t.level)?,
        },
        _ => {
            let service = t.service.as_ref()?;
            let Some(s) = parts.services.iter().position(|x| x.name == *service.get_ref()) else {
                let names: Vec<String> = parts.services.iter().map(|s| s.name.clone()).collect();
                v.err(
                    &service.span(),
                    format!(
                        "{whose}: a tariff on unknown service `{}`; the services are {}",
                        service.get_ref(),
                        list(&names)
                    ),
                );
                return None;
            };
            Outcome::ActivityAvoided { service: s }
        }
    };
    let price = non_negative(v, &t.price, &format!("{whose}: the price of a tariff"))?;
    let against = match &t.baseline {
        None => None,
        Some(b) => Some(non_negative(
            v,
            b,
            &format!("{whose}: the baseline of a tariff (a count a year)"),
        )?),
    };
    let claim = match t.claim.as_ref().map(|c| (c.get_ref().as_str(), c.span())) {
        None | Some(("once", _)) => Claim::Once,
        Some(("repeated", _)) => Claim::Repeated,
        Some((other, span)) => {
            v.err(
                &span,
                format!("{whose}: a tariff's claim is `once` or `repeated`, not `{other}`"),
            );
            return None;
        }
    };
    let label = match outcome {
        Outcome::Moved { from, to } => format!("moved:{}->{}", parts.names.levels[from], parts.names.levels[to]),
        Outcome::EntriesAvoided { level } => format!("entries_avoided:{}", parts.names.levels[level]),
        Outcome::Sustained { level } => format!("sustained:{}", parts.names.levels[level]),
        Outcome::ActivityAvoided { service } => format!("activity_avoided:{}", parts.services[service].name),
    };
    Some(Tariff {
        label,
        outcome,
        price,
        claim,
        against,
    })
}

fn pool_from(v: &mut Validator, raw: &Spanned<RawPooledBudget>, parts: &Parts) -> Option<PooledBudget> {
    let p = raw.get_ref();
    let whose = format!("pooled budget `{}`", p.name.get_ref());
    let interventions: Vec<Option<usize>> = (p.interventions.get_ref().iter())
        .map(|i| intervention(v, i, parts, &whose))
        .collect();
    if p.interventions.get_ref().is_empty() {
        v.err(
            &p.interventions.span(),
            format!("{whose} pays for no interventions; name at least one"),
        );
    }
    let funder = |v: &mut Validator, name: &str, span: &Span| -> Option<usize> {
        let found = parts.funders.iter().position(|f| f == name);
        if found.is_none() {
            v.err(
                span,
                format!(
                    "{whose} names unknown partner `{name}`; a partner is a funder, and the funders are {}",
                    list(parts.funders)
                ),
            );
        }
        found
    };
    let contributions = shares(
        v,
        &p.contributions,
        &format!("the contributions to {whose}"),
        &mut |v, n, s| funder(v, n, s),
    );
    let rule = match (
        p.share_savings.as_ref().map(|s| (s.get_ref().as_str(), s.span())),
        &p.savings_shares,
    ) {
        (None | Some(("pro_rata", _)), None) => Some(None),
        (None | Some(("pro_rata", _)), Some(given)) => {
            v.err(
                &given.span(),
                format!("{whose} shares savings pro rata to contributions, so it takes no `savings_shares`; write `share_savings = \"fixed\"` to use them"),
            );
            None
        }
        (Some(("fixed", span)), None) => {
            v.err(
                &span,
                format!("{whose} shares savings in fixed shares but gives no `savings_shares`"),
            );
            None
        }
        (Some(("fixed", _)), Some(given)) => {
            shares(v, given, &format!("the savings shares of {whose}"), &mut |v, n, s| {
                funder(v, n, s)
            })
            .map(Some)
        }
        (Some((other, span)), _) => {
            v.err(
                &span,
                format!("{whose}: `share_savings` is `pro_rata` or `fixed`, not `{other}`"),
            );
            None
        }
    };
    let (contributions, rule) = (contributions?, rule?);
    let partners: Vec<usize> = contributions.iter().map(|(f, _)| *f).collect();
    let rule = match rule {
        None => SavingsRule::ProRata,
        Some(fixed) => {
            let mut by_partner = vec![0.0; partners.len()];
            for (f, share) in fixed {
                match partners.iter().position(|&x| x == f) {
                    Some(k) => by_partner[k] = share,
                    None => {
                        v.err(
                            &p.savings_shares.as_ref().map_or(raw.span(), |s| s.span()),
                            format!(
                                "{whose} shares savings with `{}`, who contributes nothing; give savings shares to contributing partners only",
                                parts.funders[f]
                            ),
                        );
                        return None;
                    }
                }
            }
            SavingsRule::Fixed(by_partner)
        }
    };
    let interventions: Option<Vec<usize>> = interventions.into_iter().collect();
    let interventions = interventions.filter(|i| !i.is_empty())?;
    Some(PooledBudget {
        name: p.name.get_ref().clone(),
        interventions,
        partners,
        contributions: contributions.iter().map(|(_, s)| *s).collect(),
        rule,
    })
}
