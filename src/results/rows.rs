//! The rows of a run's summary: which metrics, in which order, with which
//! names. Shared by the deterministic summary and the Monte Carlo layer
//! (which collects only the values, draw by draw).

use super::{Accounts, Comparison, Savings};
use crate::model::{Model, Tier};

/// A visitor of summary rows: `(future, year (None = whole horizon), name, value)`.
pub type Visit<'a> = dyn FnMut(usize, Option<i32>, &dyn Fn() -> String, Option<f64>) + 'a;

/// Calls `visit(future, year, metric name, value)` for every summary row, in
/// the fixed order of `summary_rows`. The name is built only when asked for,
/// so a Monte Carlo draw can collect values without formatting names; the
/// rows depend only on the model and the futures, never on the numbers.
/// Generic over the visitor so that a Monte Carlo draw's value collection
/// compiles to a plain loop (a `&mut Visit` works too).
pub fn visit_summary<V>(model: &Model, accounts: &[Accounts], comparisons: &[Comparison], visit: &mut V)
where
    V: FnMut(usize, Option<i32>, &dyn Fn() -> String, Option<f64>) + ?Sized,
{
    let baseline = &accounts[0];
    for (f, a) in accounts.iter().enumerate() {
        let comparison = f.checked_sub(1).map(|i| &comparisons[i]);
        for (t, &year) in a.years.iter().enumerate() {
            year_metrics(model, a, t, &mut |name: &dyn Fn() -> String, value: f64| {
                visit(f, Some(year), name, Some(value))
            });
            super::supply::year_rows(model, &a.supply, t, &mut |name: &dyn Fn() -> String, value| {
                visit(f, Some(year), name, value)
            });
            super::supply::budget_rows(model, a, t, &mut |name: &dyn Fn() -> String, value| {
                visit(f, Some(year), name, value)
            });
            super::outcomes::year_rows(model, a, t, &mut |name: &dyn Fn() -> String, value| {
                visit(f, Some(year), name, value)
            });
            let mut push = |name: &dyn Fn() -> String, value: f64| visit(f, Some(year), name, Some(value));
            if let Some(c) = comparison {
                for level in &model.output_levels {
                    push(
                        &|| format!("diff_people_level:{}", level.name),
                        level.sum(&a.people_level[t]) - level.sum(&baseline.people_level[t]),
                    );
                }
                push(
                    &|| "diff_people_total".into(),
                    a.people_total[t] - baseline.people_total[t],
                );
                push(
                    &|| "diff_spend_acute".into(),
                    a.spend_acute[t] - baseline.spend_acute[t],
                );
                push(
                    &|| "diff_spend_preventative".into(),
                    a.spend_preventative[t] - baseline.spend_preventative[t],
                );
                saving_metrics(&c.total, t, None, &mut push);
                for (fi, funder) in model.funders.iter().enumerate() {
                    saving_metrics(&c.by_funder[fi], t, Some(funder), &mut push);
                }
            }
        }
        let mut push = |name: &dyn Fn() -> String, value: Option<f64>| visit(f, None, name, value);
        super::supply::horizon_rows(model, &a.supply, &a.years, &mut push);
        super::outcomes::horizon_rows(model, a, comparison.map(|c| (baseline, c.total.npv)), &mut push);
        if let Some(c) = comparison {
            let invested = c.total.discounted_investment;
            horizon_metrics(&c.total, invested, None, &mut push);
            for (fi, funder) in model.funders.iter().enumerate() {
                horizon_metrics(&c.by_funder[fi], invested, Some(funder), &mut push);
            }
        }
    }
}

fn year_metrics(model: &Model, a: &Accounts, t: usize, push: &mut impl FnMut(&dyn Fn() -> String, f64)) {
    push(&|| "people_total".into(), a.people_total[t]);
    for level in &model.output_levels {
        push(
            &|| format!("people_level:{}", level.name),
            level.sum(&a.people_level[t]),
        );
    }
    for (b, band) in model.bands.iter().enumerate() {
        push(&|| format!("people_band:{}", band.name), a.people_band[t][b]);
    }
    push(&|| "entries".into(), a.entries[t]);
    push(&|| "exits".into(), a.exits[t]);
    push(&|| "aged_out".into(), a.aged_out[t]);
    push(&|| "migration".into(), a.migration[t]);
    let nl = model.levels.len();
    for (o, from) in model.output_levels.iter().enumerate() {
        for (p, to) in model.output_levels.iter().enumerate() {
            if o != p {
                let flow = from.flow_to(to, &a.flows[t], nl);
                push(&|| format!("flow:{}->{}", from.name, to.name), flow);
            }
        }
    }
    for (s, service) in model.services.iter().enumerate() {
        push(&|| format!("activity:{}", service.name), a.activity[t][s]);
        push(&|| format!("spend_service:{}", service.name), a.spend_service[t][s]);
    }
    for tier in Tier::ALL {
        push(&|| format!("spend_tier:{}", tier.name()), a.spend_tier[t][tier.index()]);
    }
    push(&|| "spend_preventative".into(), a.spend_preventative[t]);
    push(&|| "spend_acute".into(), a.spend_acute[t]);
    push(&|| "spend_services".into(), a.spend_services_total[t]);
    push(&|| "intervention_cost".into(), a.intervention_cost_total[t]);
    push(&|| "spend_total".into(), a.spend_total[t]);
    for (f, funder) in model.funders.iter().enumerate() {
        push(&|| format!("spend_funder:{funder}"), a.spend_funder[t][f]);
    }
    for &i in &a.plan {
        let name = &model.interventions[i].name;
        push(&|| format!("participants:{name}"), a.participants[t][i]);
        push(&|| format!("intervention_cost:{name}"), a.intervention_cost[t][i]);
    }
    push(&|| "discount_factor".into(), a.discount_factor[t]);
}

/// A metric's name for the whole scenario (`funder` none) or one funder's
/// share (`name_funder:NAME`). Built only when a name is asked for.
fn named(metric: &str, funder: Option<&str>) -> String {
    match funder {
        None => metric.to_string(),
        Some(f) => format!("{metric}_funder:{f}"),
    }
}

fn saving_metrics(s: &Savings, t: usize, funder: Option<&str>, push: &mut impl FnMut(&dyn Fn() -> String, f64)) {
    push(&|| named("gross_saving", funder), s.gross_saving[t]);
    push(&|| named("investment", funder), s.investment[t]);
    push(&|| named("net_saving", funder), s.net_saving[t]);
    push(&|| named("net_saving_discounted", funder), s.net_saving_discounted[t]);
    push(&|| named("net_saving_cumulative", funder), s.net_saving_cumulative[t]);
    push(
        &|| named("net_saving_cumulative_discounted", funder),
        s.net_saving_cumulative_discounted[t],
    );
    if let Some(&released) = s.capacity_released.get(t) {
        push(&|| named("capacity_released", funder), released);
    }
}

/// `invested`: the scenario's whole discounted investment, the denominator of
/// every return per £1 (so the funders' returns add up to the total).
fn horizon_metrics(
    s: &Savings,
    invested: f64,
    funder: Option<&str>,
    push: &mut impl FnMut(&dyn Fn() -> String, Option<f64>),
) {
    push(&|| named("npv", funder), Some(s.npv));
    push(
        &|| named("discounted_gross_saving", funder),
        Some(s.discounted_gross_saving),
    );
    push(
        &|| named("discounted_investment", funder),
        Some(s.discounted_investment),
    );
    push(&|| named("return_per_pound", funder), s.return_per_pound_of(invested));
    push(&|| named("break_even_year", funder), s.break_even_year.map(f64::from));
    if !s.capacity_released.is_empty() {
        push(
            &|| named("discounted_capacity_released", funder),
            Some(s.discounted_capacity_released),
        );
    }
}
