//! Writing the evidence views: the pathway gap map (`pathways.csv` and its
//! chart) and the intervention cost table (`interventions.csv`).

use crate::charts::PathwayChart;
use crate::evidence::costs::CostTable;
use crate::evidence::pathways::{PathwayMap, domain_name, labelled};
use crate::model::Model;
use std::io;
use std::path::Path;

/// One row per domain × band × level.
pub fn write_pathways_csv(path: &Path, model: &Model, map: &PathwayMap) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "scope",
        "domain",
        "band",
        "level",
        "people",
        "coverage",
        "interventions",
        "best_rating",
        "reached_by",
    ])?;
    for grid in &map.grids {
        for c in &grid.cells {
            let reached: Vec<String> = c.reached_by.iter().map(|&i| labelled(model, i)).collect();
            w.write_record([
                map.scope.clone(),
                domain_name(model, grid.domain).to_string(),
                model.bands[c.band].name.clone(),
                model.output_levels[c.level].name.clone(),
                crate::output::csv_files::number(c.people),
                c.coverage.name().to_string(),
                c.reached_by.len().to_string(),
                c.best_rating.map_or(String::new(), |r| r.to_string()),
                reached.join("; "),
            ])?;
        }
    }
    w.flush()
}

/// `pathways.csv`, `pathways.png` and `pathways.svg` in a folder replaced whole.
pub fn write_pathways(dir: &Path, model: &Model, map: &PathwayMap) -> io::Result<()> {
    super::replace_dir(dir, |staging| {
        write_pathways_csv(&staging.join("pathways.csv"), model, map)?;
        let chart = PathwayChart { map, model };
        let svg = chart.svg().map_err(io::Error::other)?;
        std::fs::write(staging.join("pathways.svg"), svg)?;
        chart.write_png(&staging.join("pathways.png")).map_err(io::Error::other)
    })
}

/// The map as a plain text grid for the terminal.
pub fn pathways_text(model: &Model, map: &PathwayMap) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let [strong, weak, gaps] = map.counts();
    let _ = writeln!(
        out,
        "Pathway map of {} ({} intervention{}): {strong} cells with strong evidence (rating {}+), {weak} weak only, {gaps} gaps.",
        map.scope,
        map.interventions.len(),
        if map.interventions.len() == 1 { "" } else { "s" },
        map.strong_from
    );
    for grid in &map.grids {
        if map.grids.len() > 1 {
            let _ = writeln!(out, "\n{}:", domain_name(model, grid.domain));
        }
        let mut rows = vec![
            std::iter::once("band".to_string())
                .chain(model.output_levels.iter().map(|l| l.name.clone()))
                .collect::<Vec<_>>(),
        ];
        for (b, band) in model.bands.iter().enumerate() {
            let mut row = vec![band.name.clone()];
            for l in 0..model.output_levels.len() {
                let c = &grid.cells[b * model.output_levels.len() + l];
                row.push(match (c.reached_by.len(), c.best_rating) {
                    (0, _) => "GAP".to_string(),
                    (n, Some(r)) => format!("{} {n}·{r}", c.coverage.name()),
                    (n, None) => format!("weak {n}·–"),
                });
            }
            rows.push(row);
        }
        out.push_str(&crate::output::table::plain(&rows));
    }
    let _ = writeln!(out, "\n(cell: coverage, interventions reaching it · best rating)");
    for &i in &map.interventions {
        let iv = &model.interventions[i];
        let bands: Vec<&str> = iv.target_bands.iter().map(|&b| model.bands[b].name.as_str()).collect();
        let levels: Vec<&str> = model.shown_levels(&iv.target_levels);
        let _ = writeln!(
            out,
            "  {}: {} × {}",
            labelled(model, i),
            bands.join(", "),
            levels.join(", ")
        );
    }
    out
}

/// Where an intervention sits on the pathway, for tables: "2-3, 3-5 × Specialist".
pub fn position(model: &Model, intervention: usize) -> String {
    let iv = &model.interventions[intervention];
    let bands: Vec<&str> = iv.target_bands.iter().map(|&b| model.bands[b].name.as_str()).collect();
    let levels: Vec<&str> = model.shown_levels(&iv.target_levels);
    let bands = if bands.len() == model.bands.len() {
        "all ages".to_string()
    } else {
        bands.join(", ")
    };
    format!("{bands} × {}", levels.join(", "))
}

/// An intervention's rating and its label, e.g. "4 strong", or "not rated".
pub fn rating_text(model: &Model, intervention: usize) -> String {
    match model.interventions[intervention].rating {
        Some(r) => format!("{r} {}", model.evidence_scale.rating(r).label),
        None => "not rated".into(),
    }
}

/// `interventions.csv`: the cost table, ranked by return per £1, with
/// evidence and pathway position beside cost and effect.
pub fn write_costs(path: &Path, model: &Model, table: &CostTable) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    let mut header: Vec<String> = [
        "rank",
        "scenario",
        "intervention",
        "against",
        "evidence_rating",
        "evidence",
        "ages",
        "levels",
        "domains",
        "funder",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(table.names.iter().cloned());
    let drawn = table.rows.iter().any(|r| r.stats.is_some());
    if drawn {
        header.push("prob_net_harm".into());
        for name in &table.names {
            header.push(format!("{name}_mean"));
            for p in &table.percentiles {
                header.push(format!("{name}_p{}", crate::output::csv_files::number(*p)));
            }
        }
    }
    w.write_record(&header)?;
    let n = |x: f64| {
        if x.is_nan() {
            String::new()
        } else {
            crate::output::csv_files::number(x)
        }
    };
    let o = |x: Option<f64>| x.map_or(String::new(), n);
    for (rank, row) in table.ranked().into_iter().enumerate() {
        let iv = &model.interventions[row.intervention];
        let bands: Vec<&str> = iv.target_bands.iter().map(|&b| model.bands[b].name.as_str()).collect();
        let levels: Vec<&str> = model.shown_levels(&iv.target_levels);
        let domains: Vec<&str> = iv.domains.iter().map(|&d| model.domains[d].as_str()).collect();
        let mut record = vec![
            (rank + 1).to_string(),
            row.scenario.clone(),
            iv.name.clone(),
            row.against.clone(),
            iv.rating.map_or(String::new(), |r| r.to_string()),
            iv.rating
                .map_or(String::new(), |r| model.evidence_scale.rating(r).label.clone()),
            bands.join("; "),
            levels.join("; "),
            domains.join("; "),
            model.funders[iv.funder].clone(),
        ];
        record.extend(row.central.iter().map(|&x| n(x)));
        if drawn {
            record.push(o(row.prob_net_harm));
            for j in 0..table.names.len() {
                match &row.stats {
                    Some(stats) => {
                        record.push(o(stats[j].mean));
                        record.extend(stats[j].percentiles.iter().map(|&p| o(p)));
                    }
                    None => record.extend(std::iter::repeat_n(String::new(), 1 + table.percentiles.len())),
                }
            }
        }
        w.write_record(&record)?;
    }
    w.flush()
}

/// A statistic's range for a table: "P5–P95" figures, or empty.
fn range_text(row: &crate::evidence::costs::Row, table: &CostTable, j: usize, show: &dyn Fn(f64) -> String) -> String {
    let Some(stats) = &row.stats else {
        return String::new();
    };
    let p = &stats[j].percentiles;
    match (p.first().copied().flatten(), p.last().copied().flatten()) {
        (Some(lo), Some(hi)) if table.percentiles.len() >= 2 => {
            format!("<br><span class=\"range\">{} to {}</span>", show(lo), show(hi))
        }
        _ => String::new(),
    }
}

/// The report's evidence sections: the intervention cost table, the
/// evidence behind each effect, the pathway map and the warnings.
pub fn report_sections(
    model: &Model,
    warnings: &[crate::error::InputError],
    table: &CostTable,
) -> Result<String, crate::charts::ChartError> {
    let mut h = String::new();
    push_cost_table(&mut h, model, table);
    push_effects(&mut h, model, warnings);
    push_pathway_map(&mut h, model)?;
    Ok(h)
}

/// The intervention cost table, ranked by return per pound, in its own section.
fn push_cost_table(h: &mut String, model: &Model, table: &CostTable) {
    use crate::format::{currency_prefix, money_exact, money_millions, people, percent};
    use crate::output::html::escape;
    use std::fmt::Write;
    let cur = currency_prefix(&model.currency);
    let _ = writeln!(
        h,
        "<section id=\"interventions\">\n<h2>Interventions: cost, effect and evidence</h2>\n<p class=\"caption\">Each intervention in each scenario, ranked by return per {cur}1. Alone in a scenario it is measured against do-nothing; in a package, against the same package without it (what would be lost by dropping it), so increments need not add up to the package's total. Money discounted; moves are to a higher need level, all ages; cost per move avoided is discounted cost over discounted moves avoided.{}</p>",
        if table.draws > 0 {
            format!(
                " Ranges are P{}–P{} over {} draws; the chance of net harm is the share of draws in which it raised service spend.",
                crate::output::csv_files::number(*table.percentiles.first().unwrap_or(&5.0)),
                crate::output::csv_files::number(*table.percentiles.last().unwrap_or(&95.0)),
                table.draws
            )
        } else {
            String::new()
        }
    );
    if table.rows.is_empty() {
        let _ = writeln!(h, "<p>No scenario funds an intervention.</p>");
    } else {
        let _ = writeln!(
            h,
            "<table class=\"wide\"><thead><tr><th>#</th><th>intervention</th><th>scenario</th><th>evidence</th><th>reaches</th><th class=\"num\">cost</th><th class=\"num\">participant-years</th><th class=\"num\">per participant</th><th class=\"num\">moves avoided</th><th class=\"num\">per move avoided</th><th class=\"num\">acute spend avoided</th><th class=\"num\">net saving</th><th class=\"num\">return per {cur}1</th><th class=\"num\">chance of net harm</th></tr></thead><tbody>"
        );
        let ix = |n: &str| table.index(n);
        let m = |x: f64| money_millions(&cur, x);
        let e = |x: f64| {
            if x.is_nan() {
                "–".to_string()
            } else {
                money_exact(&cur, x.round()).trim_end_matches(".00").to_string()
            }
        };
        let r = |x: f64| {
            if x.is_nan() {
                "–".to_string()
            } else {
                format!("{cur}{x:.2}")
            }
        };
        for (rank, row) in table.ranked().into_iter().enumerate() {
            let c = &row.central;
            let against = if row.against == crate::model::BASELINE {
                String::new()
            } else {
                " (package without it)".to_string()
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}{}</td><td class=\"num\">{}{}</td><td class=\"num\">{}</td></tr>",
                rank + 1,
                escape(&model.interventions[row.intervention].name),
                escape(&row.scenario),
                escape(&against),
                escape(&rating_text(model, row.intervention)),
                escape(&position(model, row.intervention)),
                m(c[ix("cost_discounted")]),
                people(c[ix("participants")]),
                e(c[ix("cost_per_participant")]),
                people(c[ix("moves_avoided")]),
                range_text(row, table, ix("moves_avoided"), &people),
                e(c[ix("cost_per_move_avoided")]),
                m(c[ix("acute_spend_avoided")]),
                m(c[ix("net_saving")]),
                range_text(row, table, ix("net_saving"), &m),
                r(c[ix("return_per_pound")]),
                range_text(row, table, ix("return_per_pound"), &r),
                row.prob_net_harm.map_or("–".into(), |p| format!("{}%", percent(p))),
            );
        }
        let _ = writeln!(h, "</tbody></table>");
        let _ = writeln!(
            h,
            "<p class=\"note\">Every figure, by funder and with every percentile: <code>interventions.csv</code>.</p>"
        );
    }
    let _ = writeln!(h, "</section>");
}

/// Opens the evidence section: the scale, the model's warnings and the
/// evidence behind each effect. `push_pathway_map` closes it.
fn push_effects(h: &mut String, model: &Model, warnings: &[crate::error::InputError]) {
    use crate::evidence::harm_probability;
    use crate::format::percent;
    use crate::output::html::escape;
    use std::fmt::Write;
    let scale = &model.evidence_scale;
    let _ = writeln!(
        h,
        "<section id=\"evidence\">\n<h2>Evidence</h2>\n<p class=\"caption\">The evidence scale{}: {}. An effect written as one number by a rated intervention follows the rating's distribution (centred closer to no effect and wider as evidence weakens); one written as a distribution is used as given. The chance of harm is the share of an effect's distribution on the wrong side of no effect.</p>",
        scale.path.as_ref().map_or(" (bundled)".to_string(), |p| format!(
            " ({})",
            escape(&p.display().to_string())
        )),
        escape(
            &scale
                .ratings
                .iter()
                .rev()
                .map(|r| format!("{} {} ({})", r.rating, r.label, r.meaning))
                .collect::<Vec<_>>()
                .join("; ")
        )
    );
    if !warnings.is_empty() {
        let _ = writeln!(h, "<div class=\"warnings\"><strong>Warnings</strong><ul>");
        for w in warnings {
            let _ = writeln!(h, "<li>{}</li>", escape(&w.to_string()));
        }
        let _ = writeln!(h, "</ul></div>");
    }
    let _ = writeln!(
        h,
        "<table class=\"wide\"><thead><tr><th>intervention</th><th>evidence</th><th>fidelity as delivered</th><th>effect</th><th>as written</th><th>used</th><th>mean</th><th>chance of harm</th></tr></thead><tbody>"
    );
    for (n, iv) in model.interventions.iter().enumerate() {
        // (An effect on the moves out of every tunnel of a level is one
        // row, for the level as a whole.)
        for group in model.effect_groups(n) {
            let (k, effect) = (group.first, &iv.effects[group.first]);
            let (suffix, label) = (&group.path, &group.label);
            let path = format!("intervention.{}.{suffix}", iv.name);
            let uncertain = model.uncertain.iter().find(|u| u.label == path);
            let stated = iv.stated_effects.get(k).copied().flatten();
            let written = match (stated, uncertain) {
                (Some(x), _) => crate::format::short(x),
                (None, Some(_)) => "a distribution".into(),
                (None, None) => crate::format::short(effect.value()),
            };
            let used = match (stated, uncertain) {
                (Some(_), Some(u)) => format!("rating: {}", u.distribution),
                (Some(_), None) => "no effect (1)".into(),
                (None, Some(u)) => format!("as written: {}", u.distribution),
                (None, None) => "as written (fixed)".into(),
            };
            let harm = uncertain
                .and_then(|u| harm_probability(stated.unwrap_or(effect.value()), &u.distribution))
                .map_or("–".into(), |p| format!("{}%", percent((p * 1000.0).round() / 1000.0)));
            let fidelity = if iv.workforce.is_some() {
                format!(
                    "{} × {} (workforce)",
                    crate::format::short(iv.fidelity),
                    crate::format::short(iv.workforce_factor())
                )
            } else {
                crate::format::short(iv.fidelity)
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&iv.name),
                escape(&rating_text(model, model.intervention_index(&iv.name).unwrap_or(0))),
                if iv.optimism_bias > 0.0 {
                    format!(", optimism bias {}%", percent(iv.optimism_bias))
                } else {
                    String::new()
                },
                escape(&fidelity),
                escape(label),
                escape(&written),
                escape(&used),
                crate::format::short(effect.value()),
                harm
            );
        }
    }
    let _ = writeln!(h, "</tbody></table>");
}

/// The pathway map of every intervention in the file, and per scenario;
/// closes the evidence section.
fn push_pathway_map(h: &mut String, model: &Model) -> Result<(), crate::charts::ChartError> {
    use crate::output::html::escape;
    use std::fmt::Write;
    let map = crate::evidence::pathways::PathwayMap::of_file(model);
    let svg = PathwayChart { map: &map, model }.svg()?;
    let start = svg.find("<svg").unwrap_or(0);
    let svg = svg[start..].replacen(
        &format!(
            "<svg width=\"{}\" height=\"{}\"",
            crate::charts::style::SIZE.0,
            crate::charts::style::SIZE.1
        ),
        "<svg role=\"img\" aria-label=\"Pathway map\"",
        1,
    );
    let _ = writeln!(
        h,
        "<section class=\"chart\" id=\"pathways\">\n<h3>Pathway map</h3>\n<p class=\"caption\">Which interventions reach each age band and need level{}; cells reached by nothing are gaps, cells reached only by interventions rated below {} are weak. <code>upstream pathways</code> writes it with a CSV, for the whole file or one scenario.</p>\n<figure>\n{svg}</figure>",
        if model.domains.is_empty() {
            String::new()
        } else {
            ", in all and per outcome domain".to_string()
        },
        map.strong_from
    );
    let _ = writeln!(
        h,
        "<table><thead><tr><th>Scenario</th><th class=\"num\">Cells with strong evidence</th><th class=\"num\">Weak only</th><th class=\"num\">Gaps</th></tr></thead><tbody>"
    );
    for s in &model.scenarios {
        let [strong, weak, gaps] =
            crate::evidence::pathways::PathwayMap::new(model, &s.interventions, &s.name).counts();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{strong}</td><td class=\"num\">{weak}</td><td class=\"num\">{gaps}</td></tr>",
            escape(&s.title)
        );
    }
    let _ = writeln!(h, "</tbody></table>\n</section>\n</section>");
    Ok(())
}
