//! The money charts: spend, cumulative net saving, the chance of breaking
//! even, and who pays and who saves.

use super::common::{
    Area, Entry, Key, band_polygon, bold, draws_note, entry, header, line, money_axis, muted, note, panels, plot, span,
    text, tick, uncertain_values, year_range, years_f64, zero_line,
};
use crate::charts::style::{self, INK, MUTED};
use crate::charts::{Chart, DrawResult, Figures};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub fn spend<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let mut legend = vec![
        entry("acute", style::ACUTE, Key::Line),
        entry("preventative (incl. interventions)", style::PREVENTATIVE, Key::Line),
    ];
    if figures.futures.len() > 1 {
        legend.push(entry("do-nothing, for reference", MUTED, Key::Dashed));
    }
    let mut subtitle = vec![format!(
        "Spend each year, {} (not discounted); preventative = primary, secondary and tertiary prevention",
        money_axis(figures, "")
    )];
    subtitle.extend(draws_note(figures, "Shaded", false));
    let body = header(root, Chart::Spend.title(), &subtitle, &legend)?;
    let xs = years_f64(figures);
    let axis = money_axis(figures, " a year");
    // Lines, not bars: the axis need not start at zero, so the shift shows.
    let y = span(
        figures
            .futures
            .iter()
            .flat_map(|f| uncertain_values(&f.spend_acute).chain(uncertain_values(&f.spend_preventative)))
            .map(|v| v / 1e6),
        false,
    );
    let baseline = figures.baseline();
    for (f, (area, future)) in panels(&body, figures.futures.len())
        .iter()
        .zip(&figures.futures)
        .enumerate()
    {
        let mut chart = plot(area, &future.name, year_range(figures), y.clone(), &axis)?;
        for (u, colour) in [
            (&future.spend_acute, style::ACUTE),
            (&future.spend_preventative, style::PREVENTATIVE),
        ] {
            if let Some(outer) = &u.outer {
                band_polygon(&mut chart, &xs, outer, 1e-6, colour.mix(0.18).filled())?;
            }
        }
        if f > 0 {
            for u in [&baseline.spend_acute, &baseline.spend_preventative] {
                chart.draw_series(std::iter::once(DashedPathElement::new(
                    xs.iter()
                        .zip(&u.value)
                        .map(|(&x, &v)| (x, v * 1e-6))
                        .collect::<Vec<_>>(),
                    8,
                    6,
                    MUTED.stroke_width(2),
                )))?;
            }
        }
        line(
            &mut chart,
            &xs,
            &future.spend_acute.value,
            1e-6,
            style::ACUTE.stroke_width(4),
        )?;
        line(
            &mut chart,
            &xs,
            &future.spend_preventative.value,
            1e-6,
            style::PREVENTATIVE.stroke_width(4),
        )?;
    }
    Ok(())
}

pub fn net_saving<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let mut legend = vec![entry("at the inputs' means", MUTED, Key::Line)];
    if let Some(inner) = figures.inner_label() {
        legend.push(entry(inner, MUTED, Key::Band));
    }
    if let Some(outer) = figures.outer_label() {
        legend.push(entry(outer, RGBColor(0xBB, 0xBB, 0xBB), Key::Band));
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

pub fn break_even<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let deterministic = figures.draws == 0;
    let scenarios: Vec<(usize, &crate::charts::data::FutureFigures)> = figures
        .futures
        .iter()
        .enumerate()
        .filter(|(_, f)| f.comparison.is_some())
        .collect();
    let legend: Vec<Entry> = scenarios
        .iter()
        .map(|(f, future)| {
            let year = future.comparison.as_ref().and_then(|c| c.break_even_year);
            let label = match (deterministic, year) {
                (true, Some(y)) => format!("{} ({y})", future.name),
                (true, None) => format!("{} (none)", future.name),
                (false, _) => future.name.clone(),
            };
            entry(label, figures.colour(*f), Key::Line)
        })
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
    let body = header(root, Chart::BreakEven.title(), &subtitle, &legend)?;
    if scenarios.is_empty() {
        return note(&body, "No scenarios to compare with do-nothing");
    }
    let xs = years_f64(figures);
    let mut chart = plot(
        &body,
        "",
        year_range(figures),
        -3.0..103.0,
        "% chance of having broken even",
    )?;
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
    }
    Ok(())
}

pub fn who_pays_who_saves<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let mut legend = vec![
        entry("invested (below zero)", style::INVESTMENT, Key::Swatch),
        entry("spend avoided", style::SAVING, Key::Swatch),
        entry("net saving", INK, Key::Line),
    ];
    if let Some(outer) = figures.outer_label() {
        legend.push(entry(format!("net saving {outer}"), MUTED, Key::Dashed));
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
        for (i, fu) in c.funders.iter().enumerate() {
            let x = i as f64;
            chart.draw_series([
                Rectangle::new(
                    [(x - 0.34, 0.0), (x - 0.02, -fu.investment / 1e6)],
                    style::INVESTMENT.filled(),
                ),
                Rectangle::new(
                    [(x + 0.02, 0.0), (x + 0.34, fu.gross_saving / 1e6)],
                    style::SAVING.filled(),
                ),
            ])?;
            if let Some((lo, hi)) = fu.npv_range {
                chart.draw_series(std::iter::once(DashedPathElement::new(
                    vec![(x, lo / 1e6), (x, hi / 1e6)],
                    6,
                    4,
                    MUTED.stroke_width(3),
                )))?;
                for v in [lo, hi] {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(x - 0.08, v / 1e6), (x + 0.08, v / 1e6)],
                        MUTED.stroke_width(3),
                    )))?;
                }
            }
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x - 0.4, fu.npv / 1e6), (x + 0.4, fu.npv / 1e6)],
                INK.stroke_width(6),
            )))?;
        }
        zero_line(&mut chart)?;
    }
    Ok(())
}
