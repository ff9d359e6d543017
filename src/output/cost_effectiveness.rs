//! The cost-effectiveness outputs, written only for a file with
//! `[outcomes]`: `cost-effectiveness.csv` (tidy: section, item, wtp,
//! metric, value; documented in the README, "Cost-effectiveness"), with
//! draws the `savi/` folder (the three files the SAVI tool reads) and the
//! charts `ce-plane`, `ceac` and `evppi`; the report's section and the
//! workbook's sheet.

use super::RunOutput;
use super::csv_files::number;
use super::html::escape;
use crate::charts::ChartError;
use crate::charts::economics::{CePlaneChart, CeacChart, EvppiChart};
use crate::economics::{self, Status};
use crate::results::cost_effectiveness::CostEffectiveness;
use rust_xlsxwriter::{Format, Worksheet, XlsxError};
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

pub const HEADER: [&str; 5] = ["section", "item", "wtp", "metric", "value"];

/// Writes `cost-effectiveness.csv` and, with draws of uncertain inputs,
/// `savi/` (with none, SAVI has nothing to learn about).
pub fn write_files(dir: &Path, ce: &CostEffectiveness) -> io::Result<()> {
    write_csv(&dir.join("cost-effectiveness.csv"), ce)?;
    if let Some(d) = ce.savi_draws() {
        let files = economics::savi_files(&d.psa, &d.parameters).map_err(io::Error::other)?;
        let savi = dir.join("savi");
        fs::create_dir_all(&savi)?;
        fs::write(savi.join("parameters.csv"), files.parameters)?;
        fs::write(savi.join("costs.csv"), files.costs)?;
        fs::write(savi.join("effects.csv"), files.effects)?;
    }
    Ok(())
}

fn write_csv(path: &Path, ce: &CostEffectiveness) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(HEADER)?;
    let mut row = |section: &str, item: &str, wtp: Option<f64>, metric: &str, value: f64| {
        let wtp = wtp.map(number).unwrap_or_default();
        w.write_record([section, item, wtp.as_str(), metric, number(value).as_str()])
    };
    let outcomes = ce.means.outcomes();
    for (s, name) in ce.names.iter().enumerate() {
        let o = outcomes[s];
        row("strategy", name, None, "cost", o.cost)?;
        row("strategy", name, None, "qalys", o.effect)?;
        let (on, dominated, extended) = match ce.frontier.status[s] {
            Status::Frontier { .. } => (1.0, 0.0, 0.0),
            Status::Dominated { .. } => (0.0, 1.0, 0.0),
            Status::ExtendedlyDominated { .. } => (0.0, 0.0, 1.0),
        };
        row("strategy", name, None, "on_frontier", on)?;
        row("strategy", name, None, "dominated", dominated)?;
        row("strategy", name, None, "extendedly_dominated", extended)?;
        if let Status::Frontier { icer: Some(icer), .. } = ce.frontier.status[s] {
            row("strategy", name, None, "frontier_icer", icer)?;
        }
        for &wtp in &ce.thresholds {
            row("strategy", name, Some(wtp), "net_monetary_benefit", o.nmb(wtp))?;
        }
    }
    for &wtp in &ce.thresholds {
        let best = ce.frontier.best_at(wtp);
        row("decision", &ce.names[best], Some(wtp), "cost_effective", 1.0)?;
    }
    let Some(d) = &ce.draws else { return w.flush() };
    let a = &d.acceptability;
    let per_person = |x: f64| if ce.people > 0.0 { x / ce.people } else { f64::NAN };
    for (k, &wtp) in a.wtp.iter().enumerate() {
        for (s, name) in ce.names.iter().enumerate() {
            row(
                "ceac",
                name,
                Some(wtp),
                "probability_cost_effective",
                a.probability[s][k],
            )?;
        }
        row(
            "ceaf",
            &ce.names[a.optimal[k]],
            Some(wtp),
            "probability_cost_effective",
            a.frontier_probability[k],
        )?;
        row("evpi", "all", Some(wtp), "evpi", a.evpi[k])?;
        row("evpi", "all", Some(wtp), "evpi_per_person", per_person(a.evpi[k]))?;
    }
    for (e, name) in d.evppi.iter().zip(&d.evppi_names) {
        for (k, &wtp) in e.wtp.iter().enumerate() {
            row("evppi", name, Some(wtp), "evppi", e.evppi[k])?;
            row("evppi", name, Some(wtp), "evppi_per_person", per_person(e.evppi[k]))?;
        }
    }
    w.flush()
}

/// With draws: the cost-effectiveness plane (at the first willingness to
/// pay), the acceptability curves and frontier, and EVPPI (at the first
/// willingness to pay, or where EVPI is greatest when it is 0 there),
/// each as SVG and PNG.
pub fn write_charts(dir: &Path, ce: &CostEffectiveness, currency: &str) -> io::Result<()> {
    let Some(d) = &ce.draws else { return Ok(()) };
    let threshold = ce
        .thresholds
        .first()
        .copied()
        .unwrap_or(economics::DEFAULT_THRESHOLDS[0]);
    let save = |name: &str,
                svg: Result<String, crate::charts::ChartError>,
                png: &dyn Fn(&Path) -> Result<(), crate::charts::ChartError>| {
        fs::write(dir.join(format!("{name}.svg")), svg.map_err(io::Error::other)?)?;
        png(&dir.join(format!("{name}.png"))).map_err(io::Error::other)
    };
    let plane = CePlaneChart::of(&d.psa, threshold, currency).titled(&ce.titles);
    save("ce-plane", plane.svg(), &|p| plane.write_png(p))?;
    let ceac = CeacChart::of(&ce.names, d.acceptability.clone(), &ce.thresholds, currency).titled(&ce.titles);
    save("ceac", ceac.svg(), &|p| ceac.write_png(p))?;
    if !d.evppi.is_empty() {
        let named: Vec<economics::Evppi> = d
            .evppi
            .iter()
            .zip(&d.evppi_names)
            .map(|(e, name)| economics::Evppi {
                parameters: vec![name.clone()],
                ..e.clone()
            })
            .collect();
        // At the first threshold, or where information is worth most when
        // it is worth nothing there.
        let first = &d.evppi[0];
        let k = if first.evpi[0] > 0.0 { 0 } else { first.wtp.len() - 1 };
        let bars = EvppiChart::of(&named, k, 1.0, "for the modelled population", currency);
        save("evppi", bars.svg(), &|p| bars.write_png(p))?;
    }
    Ok(())
}

/// The report's section on health and cost-effectiveness (empty without
/// `[outcomes]`): each future's discounted cost and QALYs against
/// do-nothing and its place on the frontier, life expectancy, and with
/// draws EVPI and the three charts.
pub fn report_section(output: &RunOutput) -> Result<String, ChartError> {
    let (Some(ce), Some(outcomes)) = (&output.cost_effectiveness, &output.model.outcomes) else {
        return Ok(String::new());
    };
    let model = output.model;
    let cur = crate::format::currency_prefix(&model.currency);
    let money = |x: f64| crate::format::money_millions(&cur, x);
    // Futures by their titles, as the report's other tables name them.
    let titles: Vec<&str> = ce.titles.iter().map(String::as_str).collect();
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<section id=\"health\">\n<h2>Health and cost-effectiveness</h2>\n<p class=\"caption\">Each future's total spend over the horizon (discounted at {}) and QALYs (discounted at {}), against do-nothing. A future on the efficient frontier is not beaten by another or by a mix of two; its ICER is from the next less costly future on the frontier. Every figure is in <code>cost-effectiveness.csv</code> and <code>summary.csv</code>.</p>",
        crate::format::percent(model.discount_rate) + "%",
        crate::format::percent(outcomes.discount_rate) + "%",
    );
    let wtp_heads: String = ce
        .thresholds
        .iter()
        .map(|w| format!("<th>Net benefit at {}{}</th>", cur, crate::format::people(*w)))
        .collect();
    let _ = writeln!(
        h,
        "<table>\n<thead><tr><th>Future</th><th>Cost</th><th>QALYs</th><th>Extra cost</th><th>QALYs gained</th><th>On the frontier</th><th>ICER</th>{wtp_heads}</tr></thead>\n<tbody>"
    );
    let o = ce.means.outcomes();
    for s in 0..ce.names.len() {
        let (status, icer) = match ce.frontier.status[s] {
            Status::Frontier { icer, .. } => ("yes", icer.map(|x| format!("{cur}{}", crate::format::people(x)))),
            Status::Dominated { by } => ("dominated", Some(format!("by {}", titles[by]))),
            Status::ExtendedlyDominated { .. } => ("extendedly dominated", None),
        };
        let nmb: String = ce
            .thresholds
            .iter()
            .map(|&w| format!("<td>{}</td>", escape(&money(o[s].nmb(w) - o[0].nmb(w)))))
            .collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{status}</td><td>{}</td>{nmb}</tr>",
            escape(titles[s]),
            escape(&money(o[s].cost)),
            crate::format::people(o[s].effect),
            escape(&money(o[s].cost - o[0].cost)),
            crate::format::people(o[s].effect - o[0].effect),
            escape(&icer.unwrap_or_else(|| "–".into())),
        );
    }
    let _ = writeln!(h, "</tbody>\n</table>");
    let decisions: Vec<String> = ce
        .thresholds
        .iter()
        .map(|&w| {
            format!(
                "{} at {cur}{} a QALY",
                ce.names[ce.frontier.best_at(w)],
                crate::format::people(w)
            )
        })
        .collect();
    let _ = writeln!(h, "<p>Cost-effective: {}.</p>", escape(&decisions.join("; ")));
    let last = model.horizon_years as usize - 1;
    if let Some((le, hle)) = output.accounts[0].outcomes.life_expectancy(model, last) {
        let age = model.bands[outcomes.life_expectancy_band].lower;
        let _ = writeln!(
            h,
            "<p>Do-nothing in {}: life expectancy at {age} is {le:.1} years, {hle:.1} of them healthy (Sullivan method on the year's period life table).</p>",
            model.start_year + last as i32
        );
    }
    if let Some(d) = &ce.draws {
        let evpi: Vec<String> = ce
            .thresholds
            .iter()
            .filter_map(|&w| {
                let k = d.acceptability.wtp.iter().position(|&x| x == w)?;
                Some(format!(
                    "{} at {cur}{}",
                    money(d.acceptability.evpi[k]),
                    crate::format::people(w)
                ))
            })
            .collect();
        if !evpi.is_empty() {
            let _ = writeln!(
                h,
                "<p>Expected value of perfect information for the modelled population over the horizon (what removing all uncertainty would be worth): {}.</p>",
                escape(&evpi.join("; "))
            );
        }
        let threshold = ce
            .thresholds
            .first()
            .copied()
            .unwrap_or(economics::DEFAULT_THRESHOLDS[0]);
        let plane = CePlaneChart::of(&d.psa, threshold, &model.currency).titled(&ce.titles);
        let ceac =
            CeacChart::of(&ce.names, d.acceptability.clone(), &ce.thresholds, &model.currency).titled(&ce.titles);
        for (id, title, svg) in [
            ("ce-plane", CePlaneChart::TITLE, plane.svg()?),
            ("ceac", CeacChart::TITLE, ceac.svg()?),
        ] {
            let _ = writeln!(
                h,
                "<section class=\"chart\" id=\"{id}\">\n<h3 class=\"drawn\">{title}</h3>\n<figure>\n{}</figure>\n</section>",
                super::report::inline(&svg, title)
            );
        }
    }
    let _ = writeln!(h, "</section>");
    Ok(h)
}

/// The workbook's sheet of the cost-effectiveness analysis.
pub const SHEET: &str = "Cost-effectiveness";

/// Each future's cost, QALYs, increments, frontier status and net benefit;
/// with draws, EVPI and each input's EVPPI at the thresholds.
pub fn sheet(sheet: &mut Worksheet, ce: &CostEffectiveness) -> Result<(), XlsxError> {
    let header = Format::new().set_bold().set_text_wrap().set_background_color(0xE8EEF4);
    let money = Format::new().set_num_format("#,##0;-#,##0");
    let decimal = Format::new().set_num_format("#,##0.0;-#,##0.0");
    let mut columns: Vec<String> = [
        "Future",
        "Cost (£, discounted)",
        "QALYs (discounted)",
        "Extra cost (£, discounted)",
        "QALYs gained",
        "Frontier",
        "ICER per QALY (£, discounted)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    columns.extend(
        ce.thresholds
            .iter()
            .map(|w| format!("Net benefit at £{w} a QALY (£, discounted)")),
    );
    for (c, name) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, name, &header)?;
        sheet.set_column_width(c as u16, if c == 0 { 30 } else { 16 })?;
    }
    let o = ce.means.outcomes();
    for (s, name) in ce.names.iter().enumerate() {
        let r = s as u32 + 1;
        sheet.write_string(r, 0, name)?;
        sheet.write_number_with_format(r, 1, o[s].cost, &money)?;
        sheet.write_number_with_format(r, 2, o[s].effect, &decimal)?;
        sheet.write_number_with_format(r, 3, o[s].cost - o[0].cost, &money)?;
        sheet.write_number_with_format(r, 4, o[s].effect - o[0].effect, &decimal)?;
        let (status, icer) = match ce.frontier.status[s] {
            Status::Frontier { icer, .. } => ("on the frontier", icer),
            Status::Dominated { .. } => ("dominated", None),
            Status::ExtendedlyDominated { .. } => ("extendedly dominated", None),
        };
        sheet.write_string(r, 5, status)?;
        if let Some(icer) = icer {
            sheet.write_number_with_format(r, 6, icer, &money)?;
        }
        for (k, &w) in ce.thresholds.iter().enumerate() {
            sheet.write_number_with_format(r, 7 + k as u16, o[s].nmb(w) - o[0].nmb(w), &money)?;
        }
    }
    let Some(d) = &ce.draws else { return Ok(()) };
    let mut r = ce.names.len() as u32 + 2;
    sheet.write_string_with_format(r, 0, "Value of information (£, the modelled population)", &header)?;
    for (k, w) in ce.thresholds.iter().enumerate() {
        sheet.write_string_with_format(r, 1 + k as u16, format!("At £{w} a QALY"), &header)?;
    }
    r += 1;
    let at = |values: &[f64], wtps: &[f64], w: f64| wtps.iter().position(|&x| x == w).map(|k| values[k]);
    sheet.write_string(r, 0, "EVPI: all uncertainty")?;
    for (k, &w) in ce.thresholds.iter().enumerate() {
        if let Some(x) = at(&d.acceptability.evpi, &d.acceptability.wtp, w) {
            sheet.write_number_with_format(r, 1 + k as u16, x, &money)?;
        }
    }
    for (e, name) in d.evppi.iter().zip(&d.evppi_names) {
        r += 1;
        sheet.write_string(r, 0, format!("EVPPI: {name}"))?;
        for (k, &w) in ce.thresholds.iter().enumerate() {
            if let Some(x) = at(&e.evppi, &e.wtp, w) {
                sheet.write_number_with_format(r, 1 + k as u16, x, &money)?;
            }
        }
    }
    Ok(())
}
