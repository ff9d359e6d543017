//! The pathway gap map.

use super::common::{Area, Key, bold, entry, header, panels, text};
use crate::charts::DrawResult;
use crate::charts::style::{self, INK};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The pathway gap map: one grid of age bands × need levels per panel (the
/// whole map, then each outcome domain), each cell coloured by how well it
/// is covered and labelled with how many interventions reach it and their
/// best rating.
pub fn pathway_map<DB: DrawingBackend>(
    root: &Area<DB>,
    map: &crate::evidence::pathways::PathwayMap,
    model: &crate::model::Model,
) -> DrawResult<DB> {
    use crate::evidence::pathways::{Coverage, domain_name};
    let [strong, weak, gaps] = map.counts();
    let subtitle = vec![
        format!(
            "{}: {strong} cells with strong evidence (rating {} or more), {weak} with weak evidence only, {gaps} gaps",
            map.scope, map.strong_from
        ),
        "In each cell: interventions reaching it · their best evidence rating".to_string(),
    ];
    let legend = vec![
        entry("strong evidence", style::coverage(Coverage::Strong), Key::Swatch),
        entry(
            "weak or unrated evidence only",
            style::coverage(Coverage::Weak),
            Key::Swatch,
        ),
        entry("gap: no intervention", style::coverage(Coverage::Gap), Key::Swatch),
    ];
    let body = header(root, "Pathway map", &subtitle, &legend)?;
    let levels = model.output_levels.len();
    let bands = model.bands.len();
    for (panel, grid) in panels(&body, map.grids.len()).iter().zip(&map.grids) {
        let (w, h) = panel.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        let title = if map.grids.len() > 1 {
            domain_name(model, grid.domain).to_string()
        } else {
            String::new()
        };
        let small = if map.grids.len() > 2 {
            style::TICK - 4
        } else {
            style::TICK
        };
        let label_width = model
            .bands
            .iter()
            .map(|b| {
                panel
                    .estimate_text_size(&b.name, &text(small))
                    .map_or(80, |(w, _)| w as i32)
            })
            .max()
            .unwrap_or(80)
            + 16;
        let top = if title.is_empty() {
            0
        } else {
            style::PANEL_TITLE as i32 + 14
        } + small as i32
            + 16;
        panel.draw(&Text::new(title, (label_width, 0), bold(style::PANEL_TITLE)))?;
        let cell_w = ((w - label_width - 12) / levels as i32).max(1);
        let cell_h = ((h - top - 8) / bands as i32).clamp(1, 140);
        for (l, level) in model.output_levels.iter().enumerate() {
            let x = label_width + l as i32 * cell_w + cell_w / 2;
            panel.draw(&Text::new(
                level.name.clone(),
                (x, top - 8),
                text(small).pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))?;
        }
        for (b, band) in model.bands.iter().enumerate() {
            let y = top + b as i32 * cell_h;
            panel.draw(&Text::new(
                band.name.clone(),
                (label_width - 12, y + cell_h / 2),
                text(small).pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
        }
        for cell in &grid.cells {
            let x0 = label_width + cell.level as i32 * cell_w;
            let y0 = top + cell.band as i32 * cell_h;
            let colour = style::coverage(cell.coverage);
            panel.draw(&Rectangle::new(
                [(x0 + 2, y0 + 2), (x0 + cell_w - 2, y0 + cell_h - 2)],
                colour.mix(0.75).filled(),
            ))?;
            let label = match (cell.reached_by.len(), cell.best_rating) {
                (0, _) => "gap".to_string(),
                (n, Some(r)) => format!("{n} · {r}"),
                (n, None) => format!("{n} · not rated"),
            };
            let ink = if cell.coverage == Coverage::Strong { WHITE } else { INK };
            panel.draw(&Text::new(
                label,
                (x0 + cell_w / 2, y0 + cell_h / 2),
                (style::FAMILY, small, FontStyle::Bold)
                    .into_font()
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
        }
    }
    Ok(())
}
