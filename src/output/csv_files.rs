//! `summary.csv` (tidy: scenario, year, metric, stat, value) and `detail.csv`
//! (band × level stocks and flows). Column and metric names are stable and
//! documented in the README.

use super::RunOutput;
use crate::model::{Model, Tier};
use crate::results::{Accounts, Savings};
use crate::run::Future;
use std::io;
use std::path::Path;

pub const SUMMARY_HEADER: [&str; 5] = ["scenario", "year", "metric", "stat", "value"];

pub const DETAIL_HEADER: [&str; 15] = [
    "scenario",
    "year",
    "band",
    "level",
    "people_start",
    "people_end",
    "person_years",
    "entries",
    "exits",
    "aged_out",
    "ageing_in",
    "ageing_out",
    "moved_in",
    "moved_out",
    "migration",
];

/// One row of `summary.csv`. `year` is `None` for whole-horizon metrics
/// (written `all`); `value` is `None` when there is no value (written empty),
/// e.g. a break-even year that never comes.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub scenario: String,
    pub year: Option<i32>,
    pub metric: String,
    pub value: Option<f64>,
}

/// Every summary row of a run, in a fixed order: by future, then year, then metric.
pub fn summary_rows(output: &RunOutput) -> Vec<SummaryRow> {
    let model = output.model;
    let mut rows = Vec::new();
    for (f, a) in output.accounts.iter().enumerate() {
        let comparison = f.checked_sub(1).map(|i| &output.comparisons[i]);
        let baseline = &output.accounts[0];
        for (t, &year) in a.years.iter().enumerate() {
            let mut push = |metric: String, value: f64| {
                rows.push(SummaryRow {
                    scenario: a.scenario.clone(),
                    year: Some(year),
                    metric,
                    value: Some(value),
                })
            };
            year_metrics(model, a, t, &mut push);
            if let Some(c) = comparison {
                for (l, level) in model.levels.iter().enumerate() {
                    push(
                        format!("diff_people_level:{level}"),
                        a.people_level[t][l] - baseline.people_level[t][l],
                    );
                }
                push("diff_people_total".into(), a.people_total[t] - baseline.people_total[t]);
                push("diff_spend_acute".into(), a.spend_acute[t] - baseline.spend_acute[t]);
                push(
                    "diff_spend_preventative".into(),
                    a.spend_preventative[t] - baseline.spend_preventative[t],
                );
                saving_metrics(&c.total, t, "", &mut push);
                for (fi, funder) in model.funders.iter().enumerate() {
                    saving_metrics(&c.by_funder[fi], t, &format!("_funder:{funder}"), &mut push);
                }
            }
        }
        if let Some(c) = comparison {
            let mut push = |metric: String, value: Option<f64>| {
                rows.push(SummaryRow {
                    scenario: a.scenario.clone(),
                    year: None,
                    metric,
                    value,
                })
            };
            let invested = c.total.discounted_investment;
            horizon_metrics(&c.total, invested, "", &mut push);
            for (fi, funder) in model.funders.iter().enumerate() {
                horizon_metrics(&c.by_funder[fi], invested, &format!("_funder:{funder}"), &mut push);
            }
        }
    }
    rows
}

fn year_metrics(model: &Model, a: &Accounts, t: usize, push: &mut impl FnMut(String, f64)) {
    push("people_total".into(), a.people_total[t]);
    for (l, level) in model.levels.iter().enumerate() {
        push(format!("people_level:{level}"), a.people_level[t][l]);
    }
    for (b, band) in model.bands.iter().enumerate() {
        push(format!("people_band:{}", band.name), a.people_band[t][b]);
    }
    push("entries".into(), a.entries[t]);
    push("exits".into(), a.exits[t]);
    push("aged_out".into(), a.aged_out[t]);
    push("migration".into(), a.migration[t]);
    let nl = model.levels.len();
    for (from, from_name) in model.levels.iter().enumerate() {
        for (to, to_name) in model.levels.iter().enumerate() {
            if from != to {
                push(format!("flow:{from_name}->{to_name}"), a.flows[t][from * nl + to]);
            }
        }
    }
    for (s, service) in model.services.iter().enumerate() {
        push(format!("activity:{}", service.name), a.activity[t][s]);
        push(format!("spend_service:{}", service.name), a.spend_service[t][s]);
    }
    for tier in Tier::ALL {
        push(format!("spend_tier:{}", tier.name()), a.spend_tier[t][tier.index()]);
    }
    push("spend_preventative".into(), a.spend_preventative[t]);
    push("spend_acute".into(), a.spend_acute[t]);
    push("spend_services".into(), a.spend_services_total[t]);
    push("intervention_cost".into(), a.intervention_cost_total[t]);
    push("spend_total".into(), a.spend_total[t]);
    for (f, funder) in model.funders.iter().enumerate() {
        push(format!("spend_funder:{funder}"), a.spend_funder[t][f]);
    }
    for (i, iv) in model.interventions.iter().enumerate() {
        if a.intervention_cost.iter().any(|c| c[i] != 0.0) || a.participants.iter().any(|p| p[i] != 0.0) {
            push(format!("participants:{}", iv.name), a.participants[t][i]);
            push(format!("intervention_cost:{}", iv.name), a.intervention_cost[t][i]);
        }
    }
    push("discount_factor".into(), a.discount_factor[t]);
}

fn saving_metrics(s: &Savings, t: usize, suffix: &str, push: &mut impl FnMut(String, f64)) {
    push(format!("gross_saving{suffix}"), s.gross_saving[t]);
    push(format!("investment{suffix}"), s.investment[t]);
    push(format!("net_saving{suffix}"), s.net_saving[t]);
    push(format!("net_saving_discounted{suffix}"), s.net_saving_discounted[t]);
    push(format!("net_saving_cumulative{suffix}"), s.net_saving_cumulative[t]);
    push(
        format!("net_saving_cumulative_discounted{suffix}"),
        s.net_saving_cumulative_discounted[t],
    );
}

/// `invested`: the scenario's whole discounted investment, the denominator of
/// every return per £1 (so the funders' returns add up to the total).
fn horizon_metrics(s: &Savings, invested: f64, suffix: &str, push: &mut impl FnMut(String, Option<f64>)) {
    push(format!("npv{suffix}"), Some(s.npv));
    push(
        format!("discounted_gross_saving{suffix}"),
        Some(s.discounted_gross_saving),
    );
    push(format!("discounted_investment{suffix}"), Some(s.discounted_investment));
    push(format!("return_per_pound{suffix}"), s.return_per_pound_of(invested));
    push(format!("break_even_year{suffix}"), s.break_even_year.map(f64::from));
}

/// Shortest text that reads back as the same number (deterministic).
fn number(x: f64) -> String {
    if x == 0.0 { "0".into() } else { format!("{x}") }
}

pub fn write_summary(path: &Path, output: &RunOutput) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(SUMMARY_HEADER)?;
    for row in summary_rows(output) {
        let year = row.year.map_or_else(|| "all".to_string(), |y| y.to_string());
        let value = row.value.map(number).unwrap_or_default();
        w.write_record([row.scenario.as_str(), &year, &row.metric, "value", &value])?;
    }
    w.flush()
}

pub fn write_detail(path: &Path, model: &Model, futures: &[Future]) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(DETAIL_HEADER)?;
    let nl = model.levels.len();
    for f in futures {
        for y in &f.trajectory.years {
            let year = y.year.to_string();
            for (c, _) in y.people_end.iter().enumerate() {
                let (b, l) = (c / nl, c % nl);
                let values = [
                    y.people_start[c],
                    y.people_end[c],
                    y.person_years[c],
                    y.entries[c],
                    y.exits[c],
                    y.aged_out[c],
                    y.ageing_in[c],
                    y.ageing_out[c],
                    y.moved_in[c],
                    y.moved_out[c],
                    y.migration[c],
                ];
                let mut record = vec![
                    f.name.clone(),
                    year.clone(),
                    model.bands[b].name.clone(),
                    model.levels[l].clone(),
                ];
                record.extend(values.into_iter().map(number));
                w.write_record(&record)?;
            }
        }
    }
    w.flush()
}
