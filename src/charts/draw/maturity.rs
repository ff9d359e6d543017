//! Maturity levels per unit and assessment.

use super::common::{Area, Entry, Key, entry, header, muted, note, text};
use crate::charts::DrawResult;
use crate::charts::style::{self, INK};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Maturity levels per unit: a row per unit (grouped by dimension), a bar
/// per assessment, on a 0–4 scale of the matrix's levels.
pub fn maturity<DB: DrawingBackend>(root: &Area<DB>, chart: &crate::charts::MaturityChart) -> DrawResult<DB> {
    let legend: Vec<Entry> = chart
        .series
        .iter()
        .enumerate()
        .map(|(k, (name, _))| entry(name.clone(), style::series(k), Key::Swatch))
        .collect();
    let body = header(root, &chart.title, &chart.subtitle, &legend)?;
    if chart.units.is_empty() || chart.series.is_empty() {
        return note(&body, "Nothing to show");
    }
    let (w, h) = body.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let label_width = chart
        .units
        .iter()
        .map(|(l, _)| {
            body.estimate_text_size(l, &text(style::TICK))
                .map_or(300, |(w, _)| w as i32)
        })
        .max()
        .unwrap_or(300)
        .clamp(200, 760)
        + 20;
    let top = style::TICK as i32 + 20;
    let bottom = 10;
    let n = chart.units.len() as i32;
    let row = ((h - top - bottom) / n).max(4);
    let x0 = label_width;
    let x1 = w - 30;
    let scale = |level: f64| x0 + ((x1 - x0) as f64 * level / 4.0) as i32;
    // Level columns: light bands and the level names at the top.
    for l in 1..=4u8 {
        let (a, b) = (scale(f64::from(l - 1)), scale(f64::from(l)));
        if l % 2 == 0 {
            body.draw(&Rectangle::new(
                [(a, top), (b, top + row * n)],
                style::GRID.mix(0.35).filled(),
            ))?;
        }
        let name = chart.level_names.get(usize::from(l) - 1).cloned().unwrap_or_default();
        body.draw(&Text::new(
            name,
            ((a + b) / 2, top - 8),
            text(style::TICK).pos(Pos::new(HPos::Center, VPos::Bottom)),
        ))?;
    }
    let k = chart.series.len() as i32;
    let bar = ((row - 6) / k).clamp(2, 26);
    let mut last_dimension = "";
    for (u, (label, dimension)) in chart.units.iter().enumerate() {
        let y = top + u as i32 * row;
        if dimension != last_dimension {
            body.draw(&PathElement::new(vec![(0, y), (x1, y)], INK.stroke_width(1)))?;
            body.draw(&Text::new(
                dimension.to_uppercase(),
                (x1, y + 2),
                muted(style::TICK - 6).pos(Pos::new(HPos::Right, VPos::Top)),
            ))?;
            last_dimension = dimension;
        }
        body.draw(&Text::new(
            label.clone(),
            (label_width - 14, y + row / 2),
            text(style::TICK).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        for (s, (_, levels)) in chart.series.iter().enumerate() {
            let level = levels.get(u).copied().unwrap_or(0);
            let yb = y + 3 + s as i32 * bar;
            let colour = style::series(s);
            if level == 0 {
                body.draw(&PathElement::new(
                    vec![(x0, yb), (x0, yb + bar - 2)],
                    colour.stroke_width(3),
                ))?;
            } else {
                body.draw(&Rectangle::new(
                    [(x0, yb), (scale(f64::from(level)), yb + bar - 2)],
                    colour.filled(),
                ))?;
            }
        }
    }
    body.draw(&PathElement::new(
        vec![(x0, top), (x0, top + row * n)],
        INK.stroke_width(2),
    ))?;
    Ok(())
}
