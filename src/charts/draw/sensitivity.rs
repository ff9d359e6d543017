//! The sensitivity chart: a tornado or rank correlations.

use super::common::{Area, Entry, Key, bar_rows, entry, header, note, span};
use crate::charts::DrawResult;
use crate::charts::style::{self, INK};
use plotters::prelude::*;

/// Horizontal bars, one per input, largest first at the top: a tornado
/// (low and high input around the central output) or rank correlations.
pub fn bars<DB: DrawingBackend>(root: &Area<DB>, bars: &crate::charts::Bars) -> DrawResult<DB> {
    use crate::charts::BarKind;
    let legend: Vec<Entry> = match bars.kind {
        BarKind::Tornado { .. } => vec![
            entry(bars.low_label.clone(), style::LOW_KEY, Key::Swatch),
            entry(bars.high_label.clone(), style::HIGH_KEY, Key::Swatch),
            entry("central (all inputs at their means)", INK, Key::Line),
        ],
        BarKind::Correlation => {
            let mut l = vec![entry(bars.low_label.clone(), style::LOW_KEY, Key::Swatch)];
            if bars.rows.iter().any(|r| r.second.is_some()) {
                l.push(entry(bars.high_label.clone(), INK, Key::Swatch));
            }
            l
        }
    };
    let body = header(root, &bars.title, &bars.subtitle, &legend)?;
    if bars.rows.is_empty() {
        return note(&body, "The file has no uncertain numbers to vary");
    }
    let k = bars.rows.len();
    let (x, central) = match bars.kind {
        BarKind::Tornado { central } => {
            let values = bars
                .rows
                .iter()
                .flat_map(|r| [Some(r.first), r.second])
                .flatten()
                .chain([central]);
            (span(values, false), Some(central))
        }
        BarKind::Correlation => (-1.05..1.05, Some(0.0)),
    };
    let labels: Vec<String> = bars
        .rows
        .iter()
        .map(|r| {
            if r.label.chars().count() > 62 {
                format!(
                    "…{}",
                    r.label
                        .chars()
                        .rev()
                        .take(61)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<String>()
                )
            } else {
                r.label.clone()
            }
        })
        .collect();
    let mut chart = bar_rows(&body, &labels, x.clone(), 60, &bars.axis)?;
    for (i, row) in bars.rows.iter().enumerate() {
        let y = (k - 1 - i) as f64;
        match (bars.kind, central) {
            (BarKind::Tornado { central }, _) => {
                chart.draw_series([
                    Rectangle::new([(central, y - 0.36), (row.first, y)], style::LOW_KEY.filled()),
                    Rectangle::new(
                        [(central, y), (row.second.unwrap_or(central), y + 0.36)],
                        style::HIGH_KEY.filled(),
                    ),
                ])?;
            }
            (BarKind::Correlation, _) => {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y - 0.34), (row.first, y + 0.34)],
                    style::LOW_KEY.filled(),
                )))?;
                if let Some(p) = row.second {
                    chart.draw_series(std::iter::once(Circle::new((p, y), 9, INK.filled())))?;
                }
            }
        }
    }
    if let Some(c) = central {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(c, -0.5), (c, k as f64 - 0.5)],
            INK.stroke_width(3),
        )))?;
    }
    Ok(())
}
