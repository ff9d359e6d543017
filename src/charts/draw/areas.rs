//! Net saving by area, a model's areas side by side.

use super::common::{Area, Entry, Key, entry, header, line, note, panels, plot, span, zero_line};
use crate::charts::DrawResult;
use crate::charts::style;
use plotters::prelude::*;

/// Small multiples of a model's areas: each scenario's cumulative
/// discounted net saving in each area shown, on one scale.
pub fn areas<DB: DrawingBackend>(root: &Area<DB>, chart: &crate::charts::AreasChart) -> DrawResult<DB> {
    // Each scenario in its colour on every other chart (chosen by its name).
    let names: Vec<&str> = std::iter::once("do-nothing")
        .chain(chart.scenarios.iter().map(String::as_str))
        .collect();
    let colours = style::future_colours(&names);
    let legend: Vec<Entry> = chart
        .scenarios
        .iter()
        .enumerate()
        .map(|(k, name)| entry(name.clone(), colours[k + 1], Key::Line))
        .collect();
    let body = header(root, "Net saving by area", &chart.subtitle, &legend)?;
    if chart.areas.is_empty() || chart.years.is_empty() {
        return note(&body, "No areas to show");
    }
    let xs: Vec<f64> = chart.years.iter().map(|&y| f64::from(y)).collect();
    let x = xs[0] - 0.3..xs[xs.len() - 1] + 0.3;
    let y = span(
        chart
            .areas
            .iter()
            .flat_map(|(_, series)| series.iter().flatten())
            .map(|v| v / 1e6),
        true,
    );
    for (area, (name, series)) in panels(&body, chart.areas.len()).iter().zip(&chart.areas) {
        let mut plot = plot(area, name, x.clone(), y.clone(), &chart.axis)?;
        zero_line(&mut plot)?;
        for (k, values) in series.iter().enumerate() {
            line(&mut plot, &xs, values, 1e-6, colours[k + 1].stroke_width(3))?;
        }
    }
    Ok(())
}
