//! The short summary printed in the terminal after a run.

use super::RunOutput;
use crate::format::{MoneyUnit, currency_prefix, people, percent};
use std::fmt::Write;

/// The widest line the summary prints: a terminal of 100 columns shows it
/// unwrapped.
pub const WIDTH: usize = 100;

/// A column of the summary table: its header (lines split at `\n`, set
/// at the bottom of the header) and one cell per future.
struct Column {
    header: String,
    cells: Vec<String>,
}

impl Column {
    fn new(header: impl Into<String>) -> Column {
        Column {
            header: header.into(),
            cells: Vec::new(),
        }
    }

    fn width(&self) -> usize {
        let header = self.header.split('\n').map(|l| l.chars().count());
        let cells = self.cells.iter().map(|c| c.chars().count());
        header.chain(cells).max().unwrap_or(0)
    }
}

/// The table: per future, people in each need level at the horizon, acute
/// and preventative spend over the horizon, and for scenarios the discounted
/// net saving (NPV), return per £1 and break-even year; with draws, the NPV's
/// P5 to P95 and the chance of breaking even; for a model with capacities,
/// the first year some service's demand exceeds its capacity, and with
/// places the first year a level is full. Money is in millions, or in
/// billions in a column where a figure reaches one. The groups of columns
/// (people, money, ranges, supply) share a table while it fits in
/// [`WIDTH`] characters; the next group starts a table of its own, the
/// scenario column repeated.
pub fn summary_table(output: &RunOutput) -> String {
    let model = output.model;
    let last = model.end_year();
    let mut out = String::new();
    let draws = output.monte_carlo.as_ref().map_or(String::new(), |mc| {
        format!(
            " The ranges and chances are over {} draws (seed {}).",
            mc.draws, mc.seed
        )
    });
    let run = format!(
        "{}–{last}, {} steps a year; {} prices, discounted at {}% a year.",
        model.start_year,
        model.steps_per_year,
        model.price_base_year,
        percent(model.discount_rate)
    );
    // The model's name and the run on one line when they fit, else the
    // name on a line of its own.
    let titled = format!("{}: {run}", model.name);
    let mut intro = if titled.chars().count() <= WIDTH {
        vec![titled]
    } else {
        vec![format!("{}:", model.name), run]
    };
    intro.push(format!(
        "People by need level at the end of {last}; spend summed over {}–{last}, undiscounted; \
             net saving is against do-nothing, discounted.{}",
        model.start_year,
        if output.monte_carlo.is_some() {
            format!(" Figures are the run at the inputs' means.{draws}")
        } else {
            String::new()
        }
    ));
    if let Some(o) = &model.outcomes {
        intro.push(format!(
            "QALYs gained against do-nothing are discounted at {}% a year; the ICER is the extra discounted cost per QALY gained (\"dominant\": less cost, more health).",
            percent(o.discount_rate)
        ));
    }
    if let Some(people) = per_person(output) {
        intro.push(format!(
            "Money and QALYs per person: divided by the {} people at the start of {}.",
            crate::format::people(people),
            model.start_year
        ));
    }
    for paragraph in intro {
        for line in wrap(&paragraph, WIDTH) {
            let _ = writeln!(out, "{line}");
        }
    }
    let scenarios = Column {
        header: "scenario".into(),
        cells: output
            .accounts
            .iter()
            .map(|a| {
                // The scenario's title where the file gives one.
                let title = model.scenarios.iter().find(|s| s.name == a.scenario).map(|s| &s.title);
                title.unwrap_or(&a.scenario).clone()
            })
            .collect(),
    };
    let groups = [
        people_columns(output),
        money_columns(output),
        range_columns(output),
        supply_columns(output),
        health_columns(output),
    ];
    out.push_str(&fit(&scenarios, &groups, WIDTH));
    out
}

/// People in each need level at the end of the horizon; a level with
/// yearly tunnels in one column, its tunnels summed.
fn people_columns(output: &RunOutput) -> Vec<Column> {
    let model = &output.model;
    let mut columns = Vec::new();
    let mut l = 0;
    while l < model.levels.len() {
        let (header, span) = match model.tunnels.iter().find(|t| t.first == l) {
            Some(t) => (t.name.clone(), t.levels().len()),
            None => (model.levels[l].clone(), 1),
        };
        let at_end = |a: &crate::results::Accounts| {
            let last = &a.people_level[a.years.len() - 1];
            if span == 1 {
                last[l]
            } else {
                last[l..l + span].iter().sum()
            }
        };
        columns.push(Column {
            header,
            cells: output.accounts.iter().map(|a| people(at_end(a))).collect(),
        });
        l += span;
    }
    columns
}

/// Spend over the horizon, and each scenario's NPV, return and break-even year.
fn money_columns(output: &RunOutput) -> Vec<Column> {
    let prefix = currency_prefix(&output.model.currency);
    let acute: Vec<f64> = output.accounts.iter().map(|a| a.spend_acute.iter().sum()).collect();
    let preventative: Vec<f64> = (output.accounts.iter())
        .map(|a| a.spend_preventative.iter().sum())
        .collect();
    let totals: Vec<_> = output.comparisons.iter().map(|c| &c.total).collect();
    let per = per_person(output);
    let money = |header: &str, figures: &[f64]| match per {
        Some(people) => Column {
            header: format!("{header}\nper person"),
            cells: figures.iter().map(|&x| pounds(&prefix, x / people)).collect(),
        },
        None => {
            let unit = MoneyUnit::for_figures(figures.iter().copied());
            Column {
                header: header.into(),
                cells: figures.iter().map(|&x| unit.show(&prefix, x)).collect(),
            }
        }
    };
    let none = || "–".to_string();
    // The NPV in the unit of its range (with draws), so the two read alike.
    let npvs: Vec<f64> = totals.iter().map(|s| s.npv).collect();
    let unit = npv_unit(output);
    let mut npv = Column::new("net saving\n(NPV)");
    npv.cells.push(none());
    match per {
        Some(people) => {
            npv.header.push_str(" per person");
            npv.cells.extend(npvs.iter().map(|&x| pounds(&prefix, x / people)));
        }
        None => npv.cells.extend(npvs.iter().map(|&x| unit.show(&prefix, x))),
    }
    let mut returns = Column::new(format!("return\nper {}1", prefix.trim()));
    let mut break_even = Column::new("break-even");
    returns.cells.push(none());
    break_even.cells.push(none());
    for s in &totals {
        returns
            .cells
            .push(s.return_per_pound().map_or_else(none, |r| format!("{prefix}{r:.2}")));
        break_even
            .cells
            .push(s.break_even_year.map_or("none".into(), |y| y.to_string()));
    }
    vec![
        money("acute\nspend", &acute),
        money("preventative\nspend", &preventative),
        npv,
        returns,
        break_even,
    ]
}

/// With draws, each scenario's NPV at P5 and P95 (none without draws, or
/// where a percentile is missing).
fn npv_ranges(output: &RunOutput) -> Vec<Option<(f64, f64)>> {
    let Some(mc) = &output.monte_carlo else {
        return vec![None; output.comparisons.len()];
    };
    let names = super::csv_files::summary_rows(output);
    (output.accounts.iter().skip(1))
        .map(|a| {
            let i = names
                .iter()
                .position(|r| r.scenario == a.scenario && r.year.is_none() && r.metric == "npv")?;
            let at = |p: f64| {
                let k = mc.percentiles.iter().position(|&q| q == p)?;
                mc.rows[i].percentiles[k]
            };
            Some((at(5.0)?, at(95.0)?))
        })
        .collect()
}

/// The unit of the NPV and of its range: one for both.
fn npv_unit(output: &RunOutput) -> MoneyUnit {
    let ends = npv_ranges(output).into_iter().flatten().flat_map(|(lo, hi)| [lo, hi]);
    MoneyUnit::for_figures(output.comparisons.iter().map(|c| c.total.npv).chain(ends))
}

/// With draws: each scenario's NPV from P5 to P95 and its chance of having
/// broken even by the last year.
fn range_columns(output: &RunOutput) -> Vec<Column> {
    let Some(mc) = &output.monte_carlo else {
        return Vec::new();
    };
    let last = output.model.end_year();
    let prefix = currency_prefix(&output.model.currency);
    let ranges = npv_ranges(output);
    let unit = npv_unit(output);
    let mut range = Column::new("NPV P5 to P95");
    let mut chance = Column::new(format!("P(break-even\nby {last})"));
    range.cells.push("–".into());
    chance.cells.push("–".into());
    for (k, r) in ranges.iter().enumerate() {
        range
            .cells
            .push(r.map_or("–".into(), |(lo, hi)| match per_person(output) {
                Some(people) => format!("{} to {}", pounds(&prefix, lo / people), pounds(&prefix, hi / people)),
                None => format!("{} to {}", unit.show(&prefix, lo), unit.show(&prefix, hi)),
            }));
        let p = (mc.probabilities.iter())
            .find(|p| p.future == k + 1 && p.year == last && p.metric == "prob_break_even_by_year")
            .map_or("–".into(), |p| format!("{:.0}%", p.value * 100.0));
        chance.cells.push(p);
    }
    vec![range, chance]
}

/// For a model with capacities, each future's first year over capacity;
/// with places, its first year full.
fn supply_columns(output: &RunOutput) -> Vec<Column> {
    let mut columns = Vec::new();
    if output.accounts[0].supply.is_on() {
        columns.push(Column {
            header: "first over capacity".into(),
            cells: output.accounts.iter().map(|a| first_over_capacity(output, a)).collect(),
        });
    }
    if output.accounts[0].supply.places_on() {
        columns.push(Column {
            header: "first full".into(),
            cells: output.accounts.iter().map(|a| first_full(output, a)).collect(),
        });
    }
    columns
}

/// With `--per-person`, the people at the start of the horizon that money
/// and QALYs are divided by (`None` without it, or with no one at the start).
fn per_person(output: &RunOutput) -> Option<f64> {
    let a = output.accounts.first()?;
    let start = crate::results::outcomes::people_at_start(a);
    (output.per_person && start > 0.0).then_some(start)
}

/// Money per person: whole pounds, with thousands separators.
fn pounds(prefix: &str, x: f64) -> String {
    let whole = people(x.abs());
    if x < 0.0 && whole != "0" {
        format!("-{prefix}{whole}")
    } else {
        format!("{prefix}{whole}")
    }
}

/// With `[outcomes]`: each scenario's discounted QALYs gained against
/// do-nothing (per person with `--per-person`) and its ICER, or whether it
/// dominates (costs less, gains health) or is dominated.
fn health_columns(output: &RunOutput) -> Vec<Column> {
    let Some(ce) = &output.cost_effectiveness else {
        return Vec::new();
    };
    let prefix = currency_prefix(&output.model.currency);
    let per = per_person(output);
    let o = ce.means.outcomes();
    let mut gained = Column::new(if per.is_some() {
        "QALYs gained\nper person"
    } else {
        "QALYs\ngained"
    });
    let mut icer = Column::new("ICER\n(per QALY)");
    gained.cells.push("–".into());
    icer.cells.push("–".into());
    for s in 1..o.len() {
        let (cost, qalys) = (o[s].cost - o[0].cost, o[s].effect - o[0].effect);
        gained.cells.push(match per {
            Some(people) => format!("{:.4}", qalys / people),
            None => people(qalys),
        });
        icer.cells.push(match (cost > 0.0, qalys > 0.0) {
            (true, true) | (false, false) if qalys != 0.0 => format!("{prefix}{}", people(cost / qalys)),
            (false, true) => "dominant".into(),
            _ => "dominated".into(),
        });
    }
    vec![gained, icer]
}

/// The groups of columns after `first`, as few tables as fit in `width`
/// characters: a group joins the table before it when the whole group
/// fits, else starts the next; a group too wide alone is split column by
/// column. Tables are separated by a blank line.
fn fit(first: &Column, groups: &[Vec<Column>], width: usize) -> String {
    let mut tables: Vec<Vec<&Column>> = vec![Vec::new()];
    let used = |table: &Vec<&Column>| first.width() + table.iter().map(|c| 2 + c.width()).sum::<usize>();
    for group in groups.iter().filter(|g| !g.is_empty()) {
        let extra: usize = group.iter().map(|c| 2 + c.width()).sum();
        let current = tables.len() - 1;
        if !tables[current].is_empty() && used(&tables[current]) + extra > width {
            tables.push(Vec::new());
        }
        for column in group {
            let current = tables.len() - 1;
            if !tables[current].is_empty() && used(&tables[current]) + 2 + column.width() > width {
                tables.push(Vec::new());
            }
            if let Some(table) = tables.last_mut() {
                table.push(column);
            }
        }
    }
    let blocks: Vec<String> = tables
        .iter()
        .map(|table| {
            let columns: Vec<&Column> = std::iter::once(first).chain(table.iter().copied()).collect();
            stacked(&columns)
        })
        .collect();
    blocks.join("\n")
}

/// A table whose headers may take several lines, set at the bottom: first
/// column left-aligned, the others right-aligned, a rule under the header.
fn stacked(columns: &[&Column]) -> String {
    let lines = columns.iter().map(|c| c.header.split('\n').count()).max().unwrap_or(1);
    let mut rows: Vec<Vec<String>> = (0..lines)
        .map(|k| {
            columns
                .iter()
                .map(|c| {
                    let header: Vec<&str> = c.header.split('\n').collect();
                    let skip = lines - header.len();
                    k.checked_sub(skip).map_or(String::new(), |i| header[i].to_string())
                })
                .collect()
        })
        .collect();
    let futures = columns[0].cells.len();
    rows.extend((0..futures).map(|f| columns.iter().map(|c| c.cells[f].clone()).collect()));
    plain_with_header(&rows, lines)
}

/// Words of `text` in lines of at most `width` characters (a longer word
/// alone on its line).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().map_or(0, |l| l.chars().count());
        if line > 0 && line + 1 + word.chars().count() > width {
            lines.push(String::new());
        }
        if let Some(l) = lines.last_mut() {
            if !l.is_empty() {
                l.push(' ');
            }
            l.push_str(word);
        }
    }
    lines
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
    plain_with_header(rows, 1)
}

/// [`plain`] with a header of `lines` rows.
fn plain_with_header(rows: &[Vec<String>], lines: usize) -> String {
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
        if i + 1 == lines {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            let _ = writeln!(out, "{}", rule.join("  "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(header: &str, cells: &[&str]) -> Column {
        Column {
            header: header.into(),
            cells: cells.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn words_wrap_within_the_width() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("unbreakable word", 5), ["unbreakable", "word"]);
        assert_eq!(wrap("", 5), [""]);
    }

    #[test]
    fn groups_share_a_table_while_they_fit_and_headers_stack() {
        let first = column("scenario", &["do-nothing", "a"]);
        let groups = vec![
            vec![column("Well", &["1", "2"]), column("Unwell", &["3", "4"])],
            vec![column("net\nsaving", &["–", "£1.0m"])],
            vec![column("first over capacity", &["none", "2028 Home care"])],
        ];
        let text = fit(&first, &groups, 40);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "                             net",
                "scenario    Well  Unwell  saving",
                "----------  ----  ------  ------",
                "do-nothing     1       3       –",
                "a              2       4   £1.0m",
                "",
                "scenario    first over capacity",
                "----------  -------------------",
                "do-nothing                 none",
                "a                2028 Home care",
            ]
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 40));
    }
}
