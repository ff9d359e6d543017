//! The short summary printed in the terminal after a run.

use super::RunOutput;
use crate::format::{currency_prefix, money_millions, people, percent};
use std::fmt::Write;

/// The table: per future, people in each need level at the horizon, acute
/// and preventative spend over the horizon, and for scenarios the discounted
/// net saving (NPV), return per £1 and break-even year; for a model with
/// capacities, the first year some service's demand exceeds its capacity.
pub fn summary_table(output: &RunOutput) -> String {
    let model = output.model;
    let prefix = currency_prefix(&model.currency);
    let last = model.end_year();
    let mut header: Vec<String> = vec!["scenario".into()];
    header.extend(model.levels.iter().cloned());
    header.extend([
        "acute spend".to_string(),
        "preventative spend".into(),
        "net saving (NPV)".into(),
        format!("return per {}1", prefix.trim()),
        "break-even".into(),
    ]);
    let supplied = output.accounts[0].supply.is_on();
    if supplied {
        header.push("first over capacity".into());
    }
    let limited = output.accounts[0].supply.places_on();
    if limited {
        header.push("first full".into());
    }
    if output.monte_carlo.is_some() {
        header.push("NPV P5 to P95".into());
        header.push(format!("P(break-even by {last})"));
    }
    let names = output
        .monte_carlo
        .as_ref()
        .map(|_| super::csv_files::summary_rows(output));
    let mut rows = vec![header];
    for (f, a) in output.accounts.iter().enumerate() {
        // The scenario's title where the file gives one.
        let title = model.scenarios.iter().find(|s| s.name == a.scenario).map(|s| &s.title);
        let mut row = vec![title.unwrap_or(&a.scenario).clone()];
        let t = a.years.len() - 1;
        row.extend(a.people_level[t].iter().map(|&p| people(p)));
        row.push(money_millions(&prefix, a.spend_acute.iter().sum()));
        row.push(money_millions(&prefix, a.spend_preventative.iter().sum()));
        match f.checked_sub(1).map(|i| &output.comparisons[i].total) {
            None => row.extend(["–".into(), "–".into(), "–".into()]),
            Some(s) => {
                row.push(money_millions(&prefix, s.npv));
                row.push(s.return_per_pound().map_or("–".into(), |r| format!("{prefix}{r:.2}")));
                row.push(s.break_even_year.map_or("none".into(), |y| y.to_string()));
            }
        }
        if supplied {
            row.push(first_over_capacity(output, a));
        }
        if limited {
            row.push(first_full(output, a));
        }
        if let (Some(mc), Some(names)) = (&output.monte_carlo, &names) {
            if f == 0 {
                row.extend(["–".into(), "–".into()]);
            } else {
                let npv = names
                    .iter()
                    .position(|r| r.scenario == a.scenario && r.year.is_none() && r.metric == "npv")
                    .map(|i| &mc.rows[i]);
                let at = |p: f64| {
                    let k = mc.percentiles.iter().position(|&q| q == p)?;
                    npv?.percentiles[k]
                };
                row.push(match (at(5.0), at(95.0)) {
                    (Some(lo), Some(hi)) => {
                        format!("{} to {}", money_millions(&prefix, lo), money_millions(&prefix, hi))
                    }
                    _ => "–".into(),
                });
                let p = mc
                    .probabilities
                    .iter()
                    .find(|p| p.future == f && p.year == last && p.metric == "prob_break_even_by_year")
                    .map_or("–".into(), |p| format!("{:.0}%", p.value * 100.0));
                row.push(p);
            }
        }
        rows.push(row);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {}–{last}, {} steps a year; {} prices, discounted at {}% a year",
        model.name,
        model.start_year,
        model.steps_per_year,
        model.price_base_year,
        percent(model.discount_rate)
    );
    let _ = writeln!(
        out,
        "People by need level at the end of {last}; spend summed over {}–{last}; net saving is against do-nothing.",
        model.start_year
    );
    if let Some(mc) = &output.monte_carlo {
        let _ = writeln!(
            out,
            "Figures are the run at the inputs' means; the last two columns are over {} draws (seed {}).",
            mc.draws, mc.seed
        );
    }
    out.push_str(&plain(&rows));
    out
}

/// The earliest year a service of this future runs over capacity, with the
/// service (the first in the file's order when several cross that year):
/// "2027 Home care", or "none".
fn first_over_capacity(output: &RunOutput, a: &crate::results::Accounts) -> String {
    output
        .model
        .services
        .iter()
        .enumerate()
        .filter(|(_, service)| service.capacity.is_some())
        .filter_map(|(s, service)| Some((a.supply.first_over_capacity(s)?, &service.name)))
        .min_by_key(|(t, _)| *t)
        .map_or("none".into(), |(t, name)| format!("{} {name}", a.years[t]))
}

/// The earliest year a level with places of this future is full, with the
/// level: "2026 Care home", or "none".
fn first_full(output: &RunOutput, a: &crate::results::Accounts) -> String {
    (output.model.places.iter().enumerate())
        .filter_map(|(i, limit)| Some((a.supply.first_full(i)?, &output.model.levels[limit.level])))
        .min_by_key(|(t, _)| *t)
        .map_or("none".into(), |(t, name)| format!("{} {name}", a.years[t]))
}

/// A plain text table, first column left-aligned, the others right-aligned, a rule under the header.
pub fn plain(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, t)| {
                let pad = " ".repeat(widths[c] - t.chars().count());
                if c == 0 {
                    format!("{t}{pad}")
                } else {
                    format!("{pad}{t}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            let _ = writeln!(out, "{}", rule.join("  "));
        }
    }
    out
}
