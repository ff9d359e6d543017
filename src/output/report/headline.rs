//! The report's headline: the results in plain words, and the tables of
//! money, demand at the horizon and funders (shared with the workshop
//! page), with each caution on the rows it affects.

use super::RunOutput;
use super::escape;
use crate::charts::Figures;
use crate::format::{money_millions, people};
use std::fmt::Write;

pub(super) fn signed_class(x: f64) -> &'static str {
    if x > 0.0 {
        "num pos"
    } else if x < 0.0 {
        "num neg"
    } else {
        "num"
    }
}

pub(super) fn headline(h: &mut String, _output: &RunOutput, figures: &Figures, cur: &str) {
    let _ = writeln!(h, "<section id=\"headline\">\n<h2>Headline</h2>");
    for paragraph in in_words(figures, cur) {
        let _ = writeln!(h, "<p class=\"lede\">{}</p>", escape(&paragraph));
    }
    h.push_str(&headline_tables(figures, cur));
    let _ = writeln!(h, "</section>");
}

/// The headline in plain words, from the results: which scenarios pay back,
/// when and how surely; which do not; and, for the best, who gains and who
/// pays.
pub fn in_words(figures: &Figures, cur: &str) -> Vec<String> {
    let last = figures.last_year();
    let mut scenarios: Vec<_> = figures
        .futures
        .iter()
        .filter_map(|f| f.comparison.as_ref().map(|c| (f, c)))
        .collect();
    if scenarios.is_empty() {
        return vec!["The file has no scenarios: the figures below are do-nothing's alone.".to_string()];
    }
    scenarios.sort_by(|a, b| b.1.npv.total_cmp(&a.1.npv));
    let sure = |c: &crate::charts::data::ScenarioFigures| {
        c.prob_break_even
            .as_ref()
            .and_then(|p| p.last())
            .map_or(String::new(), |p| format!(", in {:.0}% of draws", p * 100.0))
    };
    let (pay, not): (Vec<_>, Vec<_>) = scenarios.iter().partition(|(_, c)| c.npv > 0.0);
    let count = |n: usize| match n {
        1 => "one".to_string(),
        n => n.to_string(),
    };
    let mut words = Vec::new();
    if pay.is_empty() {
        words.push(format!(
            "None of the {} scenarios pays back by {last} on these figures.",
            count(scenarios.len())
        ));
    } else {
        let list: Vec<String> = pay
            .iter()
            .map(|(f, c)| {
                let when = c
                    .break_even_year
                    .map_or(String::new(), |y| format!(", breaking even in {y}"));
                format!(
                    "{} ({} net saving{when}{})",
                    f.name,
                    money_millions(cur, c.npv),
                    sure(c)
                )
            })
            .collect();
        words.push(format!(
            "{} of the {} scenarios {} back by {last}: {}.",
            capital(&count(pay.len())),
            count(scenarios.len()),
            if pay.len() == 1 { "pays" } else { "pay" },
            list.join("; ")
        ));
    }
    let doubtful: Vec<&str> = pay
        .iter()
        .filter(|(f, _)| !f.cautions.is_empty())
        .map(|(f, _)| f.name.as_str())
        .collect();
    if !doubtful.is_empty() {
        words.push(format!(
            "But {} {} on effects beyond the ages the evidence covers (⚠ under the table).",
            doubtful.join(" and "),
            if doubtful.len() == 1 { "rests" } else { "rest" }
        ));
    }
    if !not.is_empty() {
        let list: Vec<String> = not
            .iter()
            .map(|(f, c)| format!("{} ({})", f.name, money_millions(cur, c.npv)))
            .collect();
        words.push(format!(
            "{} not pay back within the horizon: {}.",
            if not.len() == 1 { "One does" } else { "These do" },
            list.join("; ")
        ));
    }
    // Who gains and who pays: the best scenario that leaves some partner
    // out of pocket (the wrong-pocket problem), else the best.
    let (best, c) = pay
        .iter()
        .find(|(_, c)| c.funders.iter().any(|f| f.npv <= -50_000.0))
        .copied()
        .unwrap_or(scenarios[0]);
    let gains: Vec<String> = c
        .funders
        .iter()
        .filter(|f| f.npv >= 50_000.0)
        .map(|f| format!("{} gains {}", f.name, money_millions(cur, f.npv)))
        .collect();
    let pays: Vec<String> = c
        .funders
        .iter()
        .filter(|f| f.npv <= -50_000.0)
        .map(|f| format!("{} pays {} more than it saves", f.name, money_millions(cur, -f.npv)))
        .collect();
    if !gains.is_empty() || !pays.is_empty() {
        let split = gains
            .into_iter()
            .chain(pays.iter().cloned())
            .collect::<Vec<_>>()
            .join(", while ");
        let pocket = if pays.is_empty() {
            ""
        } else {
            ": the savings land in another partner's budget, which a deal between them would have to settle"
        };
        words.push(format!("In {}, {split}{pocket}.", best.name));
    }
    words
}

fn capital(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The headline tables (money, demand at the horizon, funders), shared by
/// the report and the workshop page.
pub fn headline_tables(figures: &Figures, cur: &str) -> String {
    let mut text = String::new();
    let h = &mut text;
    let first = figures.years.first().copied().unwrap_or_default();
    let last = figures.last_year();
    let mc = figures.draws > 0;
    let _ = writeln!(
        h,
        "<p class=\"caption\">Net saving is spend avoided minus the cost of the interventions, discounted, over {first}–{last}.{}</p>",
        if mc {
            " Figures are the run at the inputs' means; ranges and chances are over the draws."
        } else {
            ""
        }
    );
    let _ = write!(
        h,
        "<table class=\"headline\">\n<thead><tr><th>Scenario</th><th class=\"num\">Net saving (NPV)</th>"
    );
    if let Some(outer) = figures.outer_label() {
        let _ = write!(h, "<th class=\"num\">NPV {outer}</th>");
    }
    let _ = write!(
        h,
        "<th class=\"num\">Return per {}1</th><th class=\"num\">Break-even</th>",
        cur.trim()
    );
    if mc {
        let _ = write!(h, "<th class=\"num\">Chance of break-even by {last}</th>");
    }
    let _ = writeln!(h, "</tr></thead>\n<tbody>");
    let notes = money_rows(h, figures, cur);
    if !notes.is_empty() {
        let _ = writeln!(h, "<ol class=\"cautions\">");
        for note in notes {
            let _ = writeln!(h, "<li>⚠ {}</li>", escape(note));
        }
        let _ = writeln!(h, "</ol>");
    }
    // The demand shift at the horizon.
    if figures.futures.len() > 1 {
        let _ = write!(
            h,
            "<h3>Demand at the end of {last}: people in each need level against do-nothing</h3>\n<table class=\"headline\"><thead><tr><th>Scenario</th>"
        );
        for level in &figures.levels {
            let _ = write!(h, "<th class=\"num\">{}</th>", escape(level));
        }
        let _ = writeln!(h, "</tr></thead><tbody>");
        let baseline = figures.baseline();
        let _ = write!(h, "<tr><td>do-nothing (people)</td>");
        for level in &baseline.people_level {
            let _ = write!(
                h,
                "<td class=\"num\">{}</td>",
                people(level.last().copied().unwrap_or(0.0))
            );
        }
        let _ = writeln!(h, "</tr>");
        for future in figures.futures.iter().skip(1) {
            let Some(c) = &future.comparison else { continue };
            let _ = write!(h, "<tr><td><strong>{}</strong></td>", escape(&future.name));
            for diff in &c.diff_level {
                let change = diff.value.last().copied().unwrap_or(0.0);
                let sign = if change.round() > 0.0 { "+" } else { "" };
                let _ = write!(h, "<td class=\"num\">{sign}{}</td>", people(change));
            }
            let _ = writeln!(h, "</tr>");
        }
        let _ = writeln!(h, "</tbody></table>");
    }
    if figures.futures.len() == 1 {
        let _ = writeln!(
            h,
            "<p class=\"note\">This run has no scenarios, only do-nothing; add <code>[[scenarios]]</code> to the file to compare futures.</p>"
        );
    }
    // Who pays, who saves, in numbers.
    if figures.futures.len() > 1 && !figures.funders.is_empty() {
        let _ = write!(
            h,
            "<h3>Net saving by funder (NPV)</h3>\n<table class=\"headline\"><thead><tr><th>Scenario</th>"
        );
        for funder in &figures.funders {
            let _ = write!(
                h,
                "<th class=\"num\">{} invests</th><th class=\"num\">{} saves</th><th class=\"num\">{} net</th>",
                escape(funder),
                escape(funder),
                escape(funder)
            );
        }
        let _ = writeln!(h, "</tr></thead><tbody>");
        for future in figures.futures.iter().skip(1) {
            let Some(c) = &future.comparison else { continue };
            let _ = write!(h, "<tr><td><strong>{}</strong></td>", escape(&future.name));
            for fu in &c.funders {
                let _ = write!(
                    h,
                    "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"{}\">{}</td>",
                    money_millions(cur, fu.investment),
                    money_millions(cur, fu.gross_saving),
                    signed_class(fu.npv),
                    money_millions(cur, fu.npv)
                );
            }
            let _ = writeln!(h, "</tr>");
        }
        let _ = writeln!(h, "</tbody></table>");
    }
    text
}

/// The money table's rows, one per scenario, each with a numbered caution
/// mark per caution of its future; returns the cautions in their numbers'
/// order.
fn money_rows<'a>(h: &mut String, figures: &'a Figures, cur: &str) -> Vec<&'a String> {
    let last = figures.last_year();
    let mc = figures.draws > 0;
    let mut notes: Vec<&String> = Vec::new();
    for (f, future) in figures.futures.iter().enumerate().skip(1) {
        let Some(c) = &future.comparison else { continue };
        // A caution's number beside the name of each row it affects.
        let marks: String = future
            .cautions
            .iter()
            .map(|caution| {
                let n = notes.iter().position(|x| *x == caution).unwrap_or_else(|| {
                    notes.push(caution);
                    notes.len() - 1
                }) + 1;
                format!(" <sup class=\"caution\" title=\"{}\">⚠{n}</sup>", escape(caution))
            })
            .collect();
        // The scenario's colour on the charts beside its name.
        let _ = write!(
            h,
            "<tr><td><span class=\"swatch\" style=\"background:{}\" aria-hidden=\"true\"></span><strong>{}</strong>{marks}</td><td class=\"{}\">{}</td>",
            crate::charts::style::hex(figures.colour(f)),
            escape(&future.name),
            signed_class(c.npv),
            money_millions(cur, c.npv)
        );
        if figures.outer_label().is_some() {
            let range = c.npv_range.map_or("–".to_string(), |(lo, hi)| {
                format!("{} to {}", money_millions(cur, lo), money_millions(cur, hi))
            });
            let _ = write!(h, "<td class=\"num\">{range}</td>");
        }
        let _ = write!(
            h,
            "<td class=\"num\">{}</td><td class=\"num\">{}</td>",
            c.return_per_pound.map_or("–".to_string(), |r| format!("{cur}{r:.2}")),
            c.break_even_year.map_or(format!("not by {last}"), |y| y.to_string())
        );
        if mc {
            let p = c
                .prob_break_even
                .as_ref()
                .and_then(|p| p.last().copied())
                .unwrap_or(0.0);
            let _ = write!(h, "<td class=\"num\">{:.0}%</td>", p * 100.0);
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</tbody></table>");
    notes
}
