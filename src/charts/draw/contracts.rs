//! The deals' cash-flow chart: a line per party of its cumulative cash
//! position, with the zero line (a party above it is ahead).

use super::common::{Area, Entry, Key, entry, header, line, note, plot, span, zero_line};
use crate::charts::DrawResult;
use crate::charts::deals::CashFlowChart;
use crate::charts::style;
use plotters::prelude::*;

pub fn cash_flows<DB: DrawingBackend>(root: &Area<DB>, chart: &CashFlowChart) -> DrawResult<DB> {
    let legend: Vec<Entry> = (chart.parties.iter().enumerate())
        .map(|(k, (party, _))| entry(party.clone(), style::series(k), Key::Line))
        .collect();
    let body = header(root, &chart.title, &chart.subtitle, &legend)?;
    if chart.years.is_empty() {
        return note(&body, "No cash flows");
    }
    let xs: Vec<f64> = chart.years.iter().map(|&y| f64::from(y)).collect();
    let scale = 1e-3;
    let y = span(
        chart.parties.iter().flat_map(|(_, v)| v.iter().map(|x| x * scale)),
        true,
    );
    let x = xs[0] - 0.3..xs[xs.len() - 1] + 0.3;
    let mut plot = plot(&body, "", x, y, &chart.axis)?;
    zero_line(&mut plot)?;
    for (k, (_, values)) in chart.parties.iter().enumerate() {
        line(&mut plot, &xs, values, scale, style::series(k).stroke_width(4))?;
    }
    Ok(())
}
