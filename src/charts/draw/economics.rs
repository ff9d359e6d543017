//! The decision-analysis charts: the cost-effectiveness plane, the
//! acceptability curves with their frontier, and EVPPI's bars.

use super::common::{Area, Entry, Key, bar_rows, bold, entry, header, muted, note, span, text, tick};
use crate::charts::DrawResult;
use crate::charts::economics::{CePlaneChart, CeacChart, EvppiChart, PLANE_POINTS};
use crate::charts::style::{self, INK, MUTED};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

type Plane<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A number with thousands separated, as ticks show it (`20,000`).
pub fn thousands(v: f64) -> String {
    tick(v)
}

/// Money as a bar's label: whole units from 100, else to the penny.
fn money(currency: &str, v: f64) -> String {
    let rounded = if v.abs() >= 100.0 {
        v.round()
    } else {
        (v * 100.0).round() / 100.0
    };
    format!("{currency}{}", tick(rounded))
}

/// Axes with a light grid on both ways, ticks as [`tick`] writes them.
fn axes<'a, DB: DrawingBackend>(
    body: &'a Area<DB>,
    x: Range<f64>,
    y: Range<f64>,
    x_desc: &str,
    y_desc: &str,
) -> Result<Plane<'a, DB>, super::common::Error<DB>> {
    let mut chart = ChartBuilder::on(body)
        .margin(12)
        .x_label_area_size(64)
        .y_label_area_size(130)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .x_labels(9)
        .y_labels(8)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(text(style::TICK))
        .axis_desc_style(muted(style::AXIS))
        .axis_style(MUTED.stroke_width(1))
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .draw()?;
    Ok(chart)
}

/// The plane: every strategy's cloud of draws in its colour, its mean as a
/// cross, the comparator at the origin, the axes through it, and the
/// willingness-to-pay line `ΔC = λ·ΔE` dashed.
pub fn ce_plane<DB: DrawingBackend>(root: &Area<DB>, chart: &CePlaneChart) -> DrawResult<DB> {
    let names: Vec<&str> = chart.strategies.iter().map(String::as_str).collect();
    let colours = style::future_colours(&names);
    let mut legend: Vec<Entry> = (chart.labels.iter().enumerate())
        .map(|(s, name)| entry(name.clone(), colours[s], Key::Marker))
        .collect();
    let line_label = format!("{}{} per QALY", chart.currency, tick(chart.threshold));
    legend.push(entry(line_label, INK, Key::Dashed));
    let body = header(root, &chart.title, &chart.subtitle, &legend)?;
    if chart.clouds.is_empty() {
        return note(&body, "Only the comparator: nothing to compare");
    }
    let points = || chart.clouds.iter().flat_map(|c| c.points.iter());
    let x = span(points().map(|p| p.0).chain([0.0]), false);
    let y = span(points().map(|p| p.1).chain([0.0]), false);
    let money = format!("Incremental cost ({})", chart.currency);
    let mut plane = axes(&body, x.clone(), y.clone(), "Incremental QALYs", &money)?;
    for (from, to) in [((x.start, 0.0), (x.end, 0.0)), ((0.0, y.start), (0.0, y.end))] {
        plane.draw_series(std::iter::once(PathElement::new(vec![from, to], MUTED.stroke_width(2))))?;
    }
    for cloud in &chart.clouds {
        let colour = colours[cloud.strategy];
        let every = cloud.points.len().div_ceil(PLANE_POINTS).max(1);
        plane
            .draw_series((cloud.points.iter().step_by(every)).map(|&p| Circle::new(p, 4, colour.mix(0.45).filled())))?;
    }
    // The means on top, each a cross in its colour outlined in white.
    for cloud in &chart.clouds {
        let colour = colours[cloud.strategy];
        plane.draw_series(std::iter::once(
            EmptyElement::at(cloud.mean)
                + Cross::new((0, 0), 14, WHITE.stroke_width(9))
                + Cross::new((0, 0), 14, colour.stroke_width(5)),
        ))?;
    }
    plane.draw_series(std::iter::once(
        EmptyElement::at((0.0, 0.0))
            + Circle::new((0, 0), 11, colours[0].filled())
            + Circle::new((0, 0), 11, WHITE.stroke_width(3)),
    ))?;
    // ΔC = λ·ΔE, clipped to the plot.
    let lambda = chart.threshold;
    let (mut from, mut to) = (x.start, x.end);
    if lambda > 0.0 {
        from = from.max(y.start / lambda);
        to = to.min(y.end / lambda);
    }
    if from < to {
        plane.draw_series(std::iter::once(DashedPathElement::new(
            vec![(from, lambda * from), (to, lambda * to)],
            14,
            8,
            INK.stroke_width(3),
        )))?;
    }
    Ok(())
}

/// The acceptability curves: a line per strategy from 0 to 1 across the
/// willingness to pay, over a wide grey band along the frontier (the
/// strategy with the highest expected net benefit, broken where it
/// changes), and the thresholds as vertical lines.
pub fn ceac<DB: DrawingBackend>(root: &Area<DB>, chart: &CeacChart) -> DrawResult<DB> {
    let names: Vec<&str> = chart.strategies.iter().map(String::as_str).collect();
    let colours = style::future_colours(&names);
    let mut legend: Vec<Entry> = (chart.labels.iter().enumerate())
        .map(|(s, name)| entry(name.clone(), colours[s], Key::Line))
        .collect();
    legend.push(entry("acceptability frontier", style::FAINT, Key::Swatch));
    let body = header(root, &chart.title, &chart.subtitle, &legend)?;
    let a = &chart.acceptability;
    if a.wtp.is_empty() {
        return note(&body, "No willingness to pay to show");
    }
    let x = span(a.wtp.iter().copied(), true);
    let axis = format!("Willingness to pay ({} per QALY)", chart.currency);
    let mut plot = axes(&body, x.clone(), 0.0..1.04, &axis, "Probability cost-effective")?;
    // The frontier, a segment per run of one optimal strategy.
    let mut start = 0;
    for k in 1..=a.wtp.len() {
        if k == a.wtp.len() || a.optimal[k] != a.optimal[start] {
            let run: Vec<(f64, f64)> = (start..k).map(|i| (a.wtp[i], a.frontier_probability[i])).collect();
            let band = style::FAINT.stroke_width(22);
            if run.len() == 1 {
                plot.draw_series(std::iter::once(Circle::new(run[0], 11, style::FAINT.filled())))?;
            } else {
                plot.draw_series(std::iter::once(PathElement::new(run, band)))?;
            }
            start = k;
        }
    }
    for &wtp in chart.thresholds.iter().filter(|w| x.contains(w)) {
        plot.draw_series(std::iter::once(DashedPathElement::new(
            vec![(wtp, 0.0), (wtp, 1.04)],
            10,
            6,
            MUTED.stroke_width(2),
        )))?;
        plot.draw_series(std::iter::once(Text::new(
            format!(" {}{}", chart.currency, tick(wtp)),
            (wtp, 1.02),
            muted(style::TICK).pos(Pos::new(HPos::Left, VPos::Top)),
        )))?;
    }
    for (s, curve) in a.probability.iter().enumerate() {
        plot.draw_series(LineSeries::new(
            a.wtp.iter().copied().zip(curve.iter().copied()),
            colours[s].stroke_width(4),
        ))?;
    }
    Ok(())
}

/// EVPPI's bars, one per parameter or group, largest at the top, with EVPI
/// as a dashed line (no bar should pass it).
pub fn evppi<DB: DrawingBackend>(root: &Area<DB>, chart: &EvppiChart) -> DrawResult<DB> {
    let bar = style::series(0);
    let legend = vec![
        entry("EVPPI of the parameter or group", bar, Key::Swatch),
        entry(
            format!("EVPI: {}", money(&chart.currency, chart.evpi)),
            INK,
            Key::Dashed,
        ),
    ];
    let body = header(root, &chart.title, &chart.subtitle, &legend)?;
    if chart.rows.is_empty() {
        return note(&body, "No parameters to show");
    }
    let k = chart.rows.len();
    let x = span(chart.rows.iter().map(|r| r.1).chain([chart.evpi]), true);
    let labels: Vec<String> = chart.rows.iter().map(|r| r.0.clone()).collect();
    let mut plot = bar_rows(&body, &labels, x, 64, &chart.axis)?;
    for (i, (_, value)) in chart.rows.iter().enumerate() {
        let y = (k - 1 - i) as f64;
        plot.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y - 0.34), (*value, y + 0.34)],
            bar.filled(),
        )))?;
        plot.draw_series(std::iter::once(Text::new(
            format!(" {}", money(&chart.currency, *value)),
            (*value, y),
            bold(style::TICK).pos(Pos::new(HPos::Left, VPos::Center)),
        )))?;
    }
    plot.draw_series(std::iter::once(DashedPathElement::new(
        vec![(chart.evpi, -0.5), (chart.evpi, k as f64 - 0.5)],
        12,
        7,
        INK.stroke_width(3),
    )))?;
    Ok(())
}
