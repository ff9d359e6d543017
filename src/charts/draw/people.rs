//! The people charts: by need level with the change against do-nothing,
//! and by age band.

use super::common::{
    Area, Entry, Key, band_polygon, draws_note, entry, header, line, panels, people_scale, plot, span, stack, tick,
    uncertain_values, year_range, years_f64, zero_line,
};
use crate::charts::style::{self, MUTED};
use crate::charts::{Chart, DrawResult, Figures};
use plotters::prelude::*;

/// The demand shift: do-nothing's people by need level (stacked), then each
/// scenario's change in each level against do-nothing, on one scale.
pub fn demand_difference<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let nl = figures.levels.len();
    let legend: Vec<Entry> = (0..nl)
        .rev()
        .map(|l| entry(&figures.levels[l], style::level(l, nl), Key::Line))
        .collect();
    let mut subtitle = vec![
        "People in each need level at the end of each year: do-nothing's, then each scenario's minus do-nothing's"
            .to_string(),
    ];
    subtitle.extend(draws_note(figures, "Shaded", false));
    let body = header(root, Chart::DemandDifference.title(), &subtitle, &legend)?;
    let xs = years_f64(figures);
    let areas = panels(&body, figures.futures.len());
    let baseline = figures.baseline();
    let totals: Vec<f64> = (0..xs.len())
        .map(|t| baseline.people_level.iter().map(|l| l[t]).sum::<f64>())
        .collect();
    let (scale, axis) = people_scale(totals.iter().copied().fold(0.0, f64::max));
    let y = span(totals.iter().map(|v| v * scale), true);
    let mut chart = plot(&areas[0], &baseline.name, year_range(figures), y, axis)?;
    stack(&mut chart, &xs, &baseline.people_level, scale, |l| style::level(l, nl))?;
    let scenarios: Vec<_> = figures.futures.iter().filter(|f| f.comparison.is_some()).collect();
    let y = span(
        scenarios.iter().flat_map(|f| {
            f.comparison
                .iter()
                .flat_map(|c| c.diff_level.iter().flat_map(uncertain_values))
        }),
        true,
    );
    for (area, future) in areas.iter().skip(1).zip(&scenarios) {
        let Some(c) = &future.comparison else { continue };
        let mut chart = plot(area, &future.name, year_range(figures), y.clone(), "Change in people")?;
        for (l, diff) in c.diff_level.iter().enumerate() {
            if let Some(outer) = &diff.outer {
                band_polygon(&mut chart, &xs, outer, 1.0, style::level(l, nl).mix(0.15).filled())?;
            }
        }
        zero_line(&mut chart)?;
        for (l, diff) in c.diff_level.iter().enumerate() {
            line(&mut chart, &xs, &diff.value, 1.0, style::level(l, nl).stroke_width(4))?;
        }
    }
    Ok(())
}

pub fn people_by_age<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let nb = figures.bands.len();
    let legend: Vec<Entry> = (0..nb)
        .map(|b| entry(&figures.bands[b], style::band(b, nb), Key::Swatch))
        .collect();
    let first = figures.years.first().copied().unwrap_or_default();
    let body = header(
        root,
        Chart::PeopleByAge.title(),
        &[format!(
            "The demographic pressure behind the demand: people at the end of each year, and growth against the end of {first}"
        )],
        &legend,
    )?;
    let xs = years_f64(figures);
    let baseline = figures.baseline();
    let (left, right) = body.split_horizontally(body.dim_in_pixel().0 / 2);
    let totals: Vec<f64> = (0..xs.len())
        .map(|t| baseline.people_band.iter().map(|b| b[t]).sum::<f64>())
        .collect();
    let (scale, axis) = people_scale(totals.iter().copied().fold(0.0, f64::max));
    let y = span(totals.iter().map(|v| v * scale), true);
    let mut chart = plot(&left, "People by age band", year_range(figures), y, axis)?;
    stack(&mut chart, &xs, &baseline.people_band, scale, |b| style::band(b, nb))?;
    let index: Vec<Vec<f64>> = baseline
        .people_band
        .iter()
        .map(|series| {
            let base = series.first().copied().unwrap_or(0.0);
            series
                .iter()
                .map(|&v| if base > 0.0 { 100.0 * v / base } else { f64::NAN })
                .collect()
        })
        .collect();
    // At least 90–110, so that a change of a few per cent looks like one;
    // the axis says where it starts, since it is not at zero.
    let y = span(index.iter().flatten().copied().chain([90.0, 110.0]), false);
    let y = (y.start / 5.0).floor() * 5.0..(y.end / 5.0).ceil() * 5.0;
    let axis = format!("Index (axis from {}, not zero)", tick(y.start));
    let mut chart = plot(
        &right,
        &format!("Growth by age band (end of {first} = 100)"),
        year_range(figures),
        y,
        &axis,
    )?;
    let x = chart.x_range();
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x.start, 100.0), (x.end, 100.0)],
        MUTED.stroke_width(1),
    )))?;
    for (b, series) in index.iter().enumerate() {
        let points: Vec<(f64, f64)> = xs
            .iter()
            .zip(series)
            .filter(|(_, v)| v.is_finite())
            .map(|(&x, &v)| (x, v))
            .collect();
        chart.draw_series(LineSeries::new(points, style::band(b, nb).stroke_width(4)))?;
    }
    Ok(())
}
