//! The money charts: spend, cumulative net saving, the chance of breaking
//! even, and who pays and who saves.

use super::common::{
    Area, Key, band_polygon, bold, draws_note, entry, header, line, money_axis, muted, note, panels, plot, span, text,
    tick, uncertain_values, year_range, years_f64, zero_line,
};
use crate::charts::style::{self, INK, MUTED};
use crate::charts::{Chart, DrawResult, Figures};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Do-nothing's acute and preventative spend each year, then each
/// scenario's change in both against do-nothing (on one scale for every
/// scenario, so that the differences show).
pub fn spend<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let legend = vec![
        entry("acute", style::ACUTE, Key::Line),
        entry("preventative (incl. interventions)", style::PREVENTATIVE, Key::Line),
    ];
    let mut subtitle = vec![format!(
        "{} (not discounted); preventative = primary, secondary and tertiary prevention",
        money_axis(figures, " a year")
    )];
    if figures.futures.len() > 1 {
        subtitle.push(
            "Do-nothing: spend each year. Each scenario: its change against do-nothing (below zero: less spent)"
                .to_string(),
        );
    }
    subtitle.extend(draws_note(figures, "Shaded", false));
    let body = header(root, Chart::Spend.title(), &subtitle, &legend)?;
    let xs = years_f64(figures);
    let baseline = figures.baseline();
    let areas = panels(&body, figures.futures.len());
    let level = span(
        uncertain_values(&baseline.spend_acute)
            .chain(uncertain_values(&baseline.spend_preventative))
            .map(|v| v / 1e6),
        false,
    );
    let mut chart = plot(
        &areas[0],
        &baseline.name,
        year_range(figures),
        level,
        &money_axis(figures, " a year"),
    )?;
    for (u, colour) in [
        (&baseline.spend_acute, style::ACUTE),
        (&baseline.spend_preventative, style::PREVENTATIVE),
    ] {
        if let Some(outer) = &u.outer {
            band_polygon(&mut chart, &xs, outer, 1e-6, colour.mix(0.18).filled())?;
        }
        line(&mut chart, &xs, &u.value, 1e-6, colour.stroke_width(4))?;
    }
    fn changes(f: &crate::charts::data::FutureFigures) -> Option<[(&crate::charts::data::Uncertain, RGBColor); 2]> {
        f.comparison.as_ref().map(|c| {
            [
                (&c.diff_acute, style::ACUTE),
                (&c.diff_preventative, style::PREVENTATIVE),
            ]
        })
    }
    let y = span(
        figures
            .futures
            .iter()
            .filter_map(changes)
            .flat_map(|pair| {
                pair.into_iter()
                    .flat_map(|(u, _)| uncertain_values(u).collect::<Vec<_>>())
            })
            .map(|v| v / 1e6)
            .chain([0.0]),
        false,
    );
    let axis = format!("change, {}", money_axis(figures, " a year"));
    for (area, future) in areas.iter().zip(&figures.futures).skip(1) {
        let mut chart = plot(area, &future.name, year_range(figures), y.clone(), &axis)?;
        zero_line(&mut chart)?;
        for (u, colour) in changes(future).into_iter().flatten() {
            if let Some(outer) = &u.outer {
                band_polygon(&mut chart, &xs, outer, 1e-6, colour.mix(0.18).filled())?;
            }
            line(&mut chart, &xs, &u.value, 1e-6, colour.stroke_width(4))?;
        }
    }
    Ok(())
}

pub fn net_saving<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let mut legend = vec![entry("at the inputs' means", MUTED, Key::Line)];
    if let Some(inner) = figures.inner_label() {
        legend.push(entry(inner, MUTED, Key::Band));
    }
    if let Some(outer) = figures.outer_label() {
        legend.push(entry(outer, style::FAINT, Key::Band));
    }
    legend.push(entry("break-even year", INK, Key::Dashed));
    let mut subtitle = vec![format!(
        "Running total of net saving (spend avoided minus investment), {}, discounted at {}% a year",
        money_axis(figures, ""),
        crate::format::percent(figures.discount_rate)
    )];
    subtitle.extend(draws_note(figures, "Shaded", true));
    let body = header(root, Chart::NetSaving.title(), &subtitle, &legend)?;
    let scenarios: Vec<(usize, &crate::charts::data::FutureFigures)> = figures
        .futures
        .iter()
        .enumerate()
        .filter(|(_, f)| f.comparison.is_some())
        .collect();
    if scenarios.is_empty() {
        return note(&body, "No scenarios to compare with do-nothing");
    }
    let xs = years_f64(figures);
    let y = span(
        scenarios
            .iter()
            .filter_map(|(_, f)| f.comparison.as_ref())
            .flat_map(|c| uncertain_values(&c.net_cumulative_discounted))
            .map(|v| v / 1e6),
        true,
    );
    let axis = money_axis(figures, "");
    for (area, (f, future)) in panels(&body, scenarios.len()).iter().zip(&scenarios) {
        let Some(c) = &future.comparison else { continue };
        let colour = figures.colour(*f);
        let mut chart = plot(area, &future.name, year_range(figures), y.clone(), &axis)?;
        let u = &c.net_cumulative_discounted;
        if let Some(outer) = &u.outer {
            band_polygon(&mut chart, &xs, outer, 1e-6, colour.mix(0.18).filled())?;
        }
        if let Some(inner) = &u.inner {
            band_polygon(&mut chart, &xs, inner, 1e-6, colour.mix(0.32).filled())?;
        }
        zero_line(&mut chart)?;
        line(&mut chart, &xs, &u.value, 1e-6, colour.stroke_width(4))?;
        let label = match c.break_even_year {
            Some(year) => {
                let x = f64::from(year);
                chart.draw_series(std::iter::once(DashedPathElement::new(
                    vec![(x, y.start), (x, y.end)],
                    10,
                    6,
                    INK.stroke_width(2),
                )))?;
                format!("breaks even {year}")
            }
            None => format!("no break-even by {}", figures.last_year()),
        };
        let x = chart.x_range();
        chart.draw_series(std::iter::once(Text::new(
            label,
            (x.end - 0.1, y.end),
            text(style::TICK).pos(Pos::new(HPos::Right, VPos::Top)),
        )))?;
    }
    Ok(())
}

/// Each scenario's chance of having broken even by each year, its name
/// and final chance at the line's end (labels spread so that lines at the
/// same value, such as several at 0%, are each named).
pub fn break_even<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let deterministic = figures.draws == 0;
    let scenarios: Vec<(usize, &crate::charts::data::FutureFigures)> = figures
        .futures
        .iter()
        .enumerate()
        .filter(|(_, f)| f.comparison.is_some())
        .collect();
    let subtitle = if deterministic {
        vec![
            "A run at the inputs' means: 0% before the break-even year and 100% from it.".to_string(),
            "Run with --draws N for the probability over the uncertain inputs.".to_string(),
        ]
    } else {
        vec![format!(
            "Share of {} draws{} in which the scenario has broken even by the end of each year",
            figures.draws,
            figures.seed.map(|s| format!(" (seed {s})")).unwrap_or_default()
        )]
    };
    let body = header(root, Chart::BreakEven.title(), &subtitle, &[])?;
    if scenarios.is_empty() {
        return note(&body, "No scenarios to compare with do-nothing");
    }
    let label = |future: &crate::charts::data::FutureFigures, last: f64| {
        let year = future.comparison.as_ref().and_then(|c| c.break_even_year);
        match (deterministic, year) {
            (true, Some(y)) => format!("{} (breaks even {y})", future.name),
            (true, None) => format!("{} (does not break even)", future.name),
            (false, _) => format!("{} {last:.0}%", future.name),
        }
    };
    let widest = scenarios
        .iter()
        .map(|(_, f)| {
            body.estimate_text_size(&label(f, 100.0), &text(style::LEGEND))
                .map_or(300, |(w, _)| w as i32)
        })
        .max()
        .unwrap_or(300);
    let (w, _) = body.dim_in_pixel();
    let (plot_area, labels) = body.split_horizontally((w as i32 - widest - 40).max(w as i32 / 2));
    let xs = years_f64(figures);
    let mut chart = plot(
        &plot_area,
        "",
        year_range(figures),
        -3.0..103.0,
        "% chance of having broken even",
    )?;
    let mut ends = Vec::new();
    // The first scenario is drawn last, on top.
    for (f, future) in scenarios.iter().rev() {
        let Some(c) = &future.comparison else { continue };
        let values: Vec<f64> = match &c.prob_break_even {
            Some(p) => p.iter().map(|v| v * 100.0).collect(),
            None => figures
                .years
                .iter()
                .map(|&y| {
                    if c.break_even_year.is_some_and(|b| y >= b) {
                        100.0
                    } else {
                        0.0
                    }
                })
                .collect(),
        };
        let colour = figures.colour(*f);
        line(&mut chart, &xs, &values, 1.0, colour.stroke_width(4))?;
        chart.draw_series(
            xs.iter()
                .zip(&values)
                .map(|(&x, &v)| Circle::new((x, v), 6, colour.filled())),
        )?;
        let last = values.last().copied().unwrap_or(0.0);
        let (_, y) = chart.backend_coord(&(xs.last().copied().unwrap_or_default(), last));
        ends.push((y - labels.get_base_pixel().1, label(future, last), colour));
    }
    end_labels(&labels, ends)
}

/// Labels at the right of a chart, each as near the height of its line's
/// end as the others allow (at least a line apart), joined to it.
fn end_labels<DB: DrawingBackend>(area: &Area<DB>, mut ends: Vec<(i32, String, RGBColor)>) -> DrawResult<DB> {
    let gap = style::LEGEND as i32 + 8;
    let (_, h) = area.dim_in_pixel();
    ends.sort_by_key(|e| e.0);
    let mut placed: Vec<i32> = Vec::with_capacity(ends.len());
    for e in &ends {
        let y = placed.last().map_or(e.0, |&p| e.0.max(p + gap));
        placed.push(y);
    }
    // Pushed past the bottom: shift the whole column up.
    let over = placed.last().map_or(0, |&y| y - (h as i32 - gap / 2));
    if over > 0 {
        for (k, y) in placed.iter_mut().enumerate().rev() {
            let floor = h as i32 - gap / 2 - (ends.len() - 1 - k) as i32 * gap;
            *y = (*y).min(floor);
        }
    }
    for ((target, name, colour), y) in ends.iter().zip(placed) {
        area.draw(&PathElement::new(vec![(0, *target), (14, y)], colour.stroke_width(2)))?;
        area.draw(&Text::new(
            name.clone(),
            (20, y),
            (style::FAMILY, style::LEGEND, FontStyle::Bold)
                .into_font()
                .color(colour)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

pub fn who_pays_who_saves<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let mut legend = vec![
        entry("invested (below zero)", style::INVESTMENT, Key::Swatch),
        entry("spend avoided", style::SAVING, Key::Swatch),
        entry("net saving", style::NET, Key::Swatch),
    ];
    if let Some(outer) = figures.outer_label() {
        legend.push(entry(format!("net saving {outer} (whisker)"), INK, Key::Line));
    }
    let first = figures.years.first().copied().unwrap_or_default();
    let subtitle = vec![format!(
        "Each funder's discounted totals over {first}–{}, {}: investment drawn below zero, spend avoided above",
        figures.last_year(),
        money_axis(figures, "")
    )];
    let body = header(root, Chart::WhoPaysWhoSaves.title(), &subtitle, &legend)?;
    let scenarios: Vec<_> = figures.futures.iter().filter(|f| f.comparison.is_some()).collect();
    if scenarios.is_empty() {
        return note(&body, "No scenarios to compare with do-nothing");
    }
    let values = scenarios.iter().filter_map(|f| f.comparison.as_ref()).flat_map(|c| {
        c.funders.iter().flat_map(|fu| {
            let (lo, hi) = fu.npv_range.unwrap_or((fu.npv, fu.npv));
            [-fu.investment, fu.gross_saving, fu.npv, lo, hi]
        })
    });
    let y = span(values.map(|v| v / 1e6), true);
    // Room beyond the longest bars for their labels.
    let pad = (y.end - y.start) * 0.08;
    let y = (y.start - if y.start < 0.0 { pad } else { 0.0 })..(y.end + if y.end > 0.0 { pad } else { 0.0 });
    let nf = figures.funders.len();
    let names = figures.funders.clone();
    let axis = money_axis(figures, "");
    for (area, future) in panels(&body, scenarios.len()).iter().zip(&scenarios) {
        let Some(c) = &future.comparison else { continue };
        let mut chart = ChartBuilder::on(area)
            .caption(&future.name, bold(style::PANEL_TITLE))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(118)
            .build_cartesian_2d(-0.5..nf as f64 - 0.5, y.clone())?;
        let label = |v: &f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                names[i as usize].clone()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_labels(2 * nf + 1)
            .y_labels(7)
            .x_label_formatter(&label)
            .y_label_formatter(&|v| tick(*v))
            .y_desc(axis.as_str())
            .label_style(text(style::TICK))
            .axis_desc_style(muted(style::AXIS))
            .axis_style(MUTED.stroke_width(1))
            .bold_line_style(style::GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .disable_x_mesh()
            .draw()?;
        // Per funder three bars side by side: invested, spend avoided and
        // the net saving (with its range over the draws), each labelled.
        for (i, fu) in c.funders.iter().enumerate() {
            let x = i as f64;
            let bars = [
                (x - 0.29, -fu.investment, style::INVESTMENT),
                (x, fu.gross_saving, style::SAVING),
                (x + 0.29, fu.npv, style::NET),
            ];
            for (at, v, colour) in bars {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(at - 0.13, 0.0), (at + 0.13, v / 1e6)],
                    colour.filled(),
                )))?;
            }
            if let Some((lo, hi)) = fu.npv_range {
                let at = x + 0.29;
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(at, lo / 1e6), (at, hi / 1e6)],
                    INK.stroke_width(3),
                )))?;
                for v in [lo, hi] {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(at - 0.06, v / 1e6), (at + 0.06, v / 1e6)],
                        INK.stroke_width(3),
                    )))?;
                }
            }
            for (at, v, _) in bars {
                // The value beyond the bar's end (past the whisker for the net).
                let end = if at > x + 0.1 {
                    fu.npv_range
                        .map_or(v, |(lo, hi)| if v >= 0.0 { hi.max(v) } else { lo.min(v) })
                } else {
                    v
                };
                let (px, py) = chart.backend_coord(&(at, end / 1e6));
                let base = area.get_base_pixel();
                let (vpos, dy) = if v >= 0.0 { (VPos::Bottom, -8) } else { (VPos::Top, 10) };
                area.draw(&Text::new(
                    tick((v / 1e6 * 10.0).round() / 10.0),
                    (px - base.0, py - base.1 + dy),
                    bold(style::TICK - 2).pos(Pos::new(HPos::Center, vpos)),
                ))?;
            }
        }
        zero_line(&mut chart)?;
    }
    Ok(())
}
