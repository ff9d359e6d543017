//! The cost-effectiveness outputs, written only for a file with
//! `[outcomes]`: `cost-effectiveness.csv` (tidy: section, item, wtp,
//! metric, value; documented in the README, "Cost-effectiveness"), with
//! draws the `savi/` folder (the three files the SAVI tool reads) and the
//! charts `ce-plane`, `ceac` and `evppi`.

use super::csv_files::number;
use crate::charts::economics::{CePlaneChart, CeacChart, EvppiChart};
use crate::economics::{self, Status};
use crate::results::cost_effectiveness::CostEffectiveness;
use std::fs;
use std::io;
use std::path::Path;

pub const HEADER: [&str; 5] = ["section", "item", "wtp", "metric", "value"];

/// Writes `cost-effectiveness.csv` and, with draws, `savi/`.
pub fn write_files(dir: &Path, ce: &CostEffectiveness) -> io::Result<()> {
    write_csv(&dir.join("cost-effectiveness.csv"), ce)?;
    if let Some(d) = &ce.draws {
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
    let plane = CePlaneChart::of(&d.psa, threshold, currency);
    save("ce-plane", plane.svg(), &|p| plane.write_png(p))?;
    let ceac = CeacChart::of(&ce.names, d.acceptability.clone(), &ce.thresholds, currency);
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
