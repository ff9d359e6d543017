//! The supply side's charts, drawn only for a model with capacities or
//! places: demand against capacity, the waiting lists, and the need for
//! places against them. Each service or level has a panel on its own
//! scale, since services count activity in their own units (placements,
//! hours, contacts).

use super::common::{
    Area, Entry, Key, Plot, band_polygon, bold, draws_note, entry, header, line, muted, panels, plot, span, text,
    uncertain_values, year_range, years_f64,
};
use crate::charts::data::{ServiceFuture, ServiceSupply};
use crate::charts::style::{self, INK, MUTED};
use crate::charts::{Chart, DrawResult, Figures};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Activity axes in thousands or millions when the numbers are large, so
/// tick labels stay short: (multiplier, axis label).
fn activity_scale(largest: f64, what: &str) -> (f64, String) {
    if largest >= 2e6 {
        (1e-6, format!("{what} (millions)"))
    } else if largest >= 2e5 {
        (1e-3, format!("{what} (thousands)"))
    } else {
        (1.0, what.to_string())
    }
}

/// Each future in its colour, and the outer range with draws.
fn futures_legend(figures: &Figures, range_of: &str) -> Vec<Entry> {
    let mut legend: Vec<Entry> = figures
        .futures
        .iter()
        .enumerate()
        .map(|(f, future)| entry(&future.name, figures.colour(f), Key::Line))
        .collect();
    if let Some(outer) = figures.outer_label() {
        legend.push(entry(format!("{range_of} {outer}"), MUTED, Key::Band));
    }
    legend
}

/// Whether a scenario's capacity differs from do-nothing's in some year
/// (a scenario override, or an intervention that adds to it).
fn own_capacity(service: &ServiceSupply, f: usize) -> bool {
    differs(&service.futures[f].capacity, &service.futures[0].capacity)
}

/// Whether `series` differs from `baseline` in some year.
fn differs(series: &[f64], baseline: &[f64]) -> bool {
    series
        .iter()
        .zip(baseline)
        .any(|(a, b)| (a - b).abs() > 1e-9 * b.abs().max(1.0))
}

/// Each future's limit (capacity, places) as a dashed line: do-nothing's
/// in ink, a scenario's in its colour only where it differs from
/// do-nothing's; the last future first, so do-nothing's is on top.
fn limit_lines<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    xs: &[f64],
    limits: &[&[f64]],
    scale: f64,
    colour_of: &dyn Fn(usize) -> plotters::style::RGBColor,
) -> DrawResult<DB> {
    for (f, limit) in limits.iter().enumerate().rev() {
        let (colour, width) = match f {
            0 => (INK, 4),
            f if differs(limit, limits[0]) => (colour_of(f), 3),
            _ => continue,
        };
        chart.draw_series(std::iter::once(DashedPathElement::new(
            xs.iter().zip(*limit).map(|(&x, &v)| (x, v * scale)).collect::<Vec<_>>(),
            14,
            8,
            colour.stroke_width(width),
        )))?;
    }
    Ok(())
}

/// A dot per (future, year, height) in the future's colour, the first
/// future's on top.
fn dots<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    dots: &[(usize, i32, f64)],
    colour_of: &dyn Fn(usize) -> plotters::style::RGBColor,
) -> DrawResult<DB> {
    chart.draw_series(dots.iter().rev().map(|&(f, year, y)| {
        EmptyElement::at((f64::from(year), y))
            + Circle::new((0, 0), 11, colour_of(f).filled())
            + Circle::new((0, 0), 11, WHITE.stroke_width(3))
    }))?;
    Ok(())
}

pub fn demand_capacity<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let mut legend = futures_legend(figures, "demand");
    legend.insert(figures.futures.len(), entry("capacity", INK, Key::Dashed));
    legend.insert(
        figures.futures.len() + 1,
        entry("first year demand exceeds capacity", INK, Key::Marker),
    );
    let mut subtitle = vec![
        "Demand each year (new demand, diversions from other services included) against the most each service can deliver, in its own unit".to_string(),
    ];
    let own = figures
        .supply
        .iter()
        .any(|s| (1..s.futures.len()).any(|f| own_capacity(s, f)));
    if own {
        subtitle
            .push("A scenario whose capacity differs from do-nothing's has its own dashed line, in its colour".into());
    }
    subtitle.extend(draws_note(figures, "Shaded", false));
    let body = header(root, Chart::DemandCapacity.title(), &subtitle, &legend)?;
    let xs = years_f64(figures);
    for (area, service) in panels(&body, figures.supply.len()).iter().zip(&figures.supply) {
        let values = || {
            service
                .futures
                .iter()
                .flat_map(|f| uncertain_values(&f.demand).chain(f.capacity.iter().copied()))
        };
        let (scale, axis) = activity_scale(values().fold(0.0, f64::max), "Activity a year");
        let y = span(values().map(|v| v * scale), false);
        let mut chart = plot(area, &service.name, year_range(figures), y, &axis)?;
        for (f, future) in service.futures.iter().enumerate() {
            if let Some(outer) = &future.demand.outer {
                band_polygon(&mut chart, &xs, outer, scale, figures.colour(f).mix(0.15).filled())?;
            }
        }
        let capacities: Vec<&[f64]> = service.futures.iter().map(|f| f.capacity.as_slice()).collect();
        limit_lines(&mut chart, &xs, &capacities, scale, &|f| figures.colour(f))?;
        // The first future (do-nothing) is drawn last, on top.
        for (f, future) in service.futures.iter().enumerate().rev() {
            line(
                &mut chart,
                &xs,
                &future.demand.value,
                scale,
                figures.colour(f).stroke_width(4),
            )?;
        }
        first_years(&mut chart, figures, service, scale)?;
    }
    Ok(())
}

/// A dot on each future's demand in the first year it exceeds capacity
/// (do-nothing's on top, as its line is), and each such year written once,
/// above the highest of its dots.
fn first_years<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    figures: &Figures,
    service: &ServiceSupply,
    scale: f64,
) -> DrawResult<DB> {
    let first = figures.years.first().copied().unwrap_or_default();
    let dots: Vec<(usize, i32, f64)> = service
        .futures
        .iter()
        .enumerate()
        .filter_map(|(f, future)| {
            let year = future.first_over_capacity?;
            let demand = future.demand.value.get(usize::try_from(year - first).ok()?)?;
            Some((f, year, demand * scale))
        })
        .collect();
    self::dots(chart, &dots, &|f| figures.colour(f))?;
    let mut years: Vec<i32> = dots.iter().map(|&(_, year, _)| year).collect();
    years.sort_unstable();
    years.dedup();
    chart.draw_series(years.into_iter().map(|year| {
        let top = dots
            .iter()
            .filter(|d| d.1 == year)
            .map(|d| d.2)
            .fold(f64::NEG_INFINITY, f64::max);
        EmptyElement::at((f64::from(year), top))
            + Text::new(
                year.to_string(),
                (0, -18),
                bold(style::TICK).pos(Pos::new(HPos::Center, VPos::Bottom)),
            )
    }))?;
    Ok(())
}

pub fn waiting_list<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let legend = futures_legend(figures, "waiting list");
    let last = figures.last_year();
    let mut subtitle = vec![
        "On the list at the end of each year, in each service's own unit; mean wait = list ÷ the year's served activity × 52 weeks".to_string(),
    ];
    subtitle.extend(draws_note(figures, "Shaded", false));
    let body = header(root, Chart::WaitingList.title(), &subtitle, &legend)?;
    let xs = years_f64(figures);
    let services: Vec<&ServiceSupply> = figures.supply.iter().filter(|s| s.waits).collect();
    for (area, service) in panels(&body, services.len()).iter().zip(&services) {
        let values = || service.futures.iter().flat_map(|f| uncertain_values(&f.waiting_list));
        let (scale, axis) = activity_scale(values().fold(0.0, f64::max), "Waiting");
        let y = span(values().map(|v| v * scale), true);
        // Room above the lines for a note per future and its heading.
        let notes = service.futures.len() as f64 + 1.0;
        let y = y.start..y.end * (1.0 + 0.09 * notes);
        let mut chart = plot(area, &service.name, year_range(figures), y.clone(), &axis)?;
        for (f, future) in service.futures.iter().enumerate() {
            if let Some(outer) = &future.waiting_list.outer {
                band_polygon(&mut chart, &xs, outer, scale, figures.colour(f).mix(0.15).filled())?;
            }
        }
        for (f, future) in service.futures.iter().enumerate().rev() {
            line(
                &mut chart,
                &xs,
                &future.waiting_list.value,
                scale,
                figures.colour(f).stroke_width(4),
            )?;
        }
        let x = chart.x_range();
        let mut lines = vec![(format!("Mean wait in {last}"), INK)];
        lines.extend(service.futures.iter().enumerate().map(|(f, future)| {
            let name = &figures.futures[f].name;
            (format!("{name}: {}", wait_note(service, future)), figures.colour(f))
        }));
        let step = style::TICK as i32 + 8;
        chart.draw_series(lines.into_iter().enumerate().map(|(k, (label, colour))| {
            let style = if k == 0 { muted(style::TICK) } else { text(style::TICK) };
            EmptyElement::at((x.start + 0.1, y.end))
                + Rectangle::new(
                    [(0, k as i32 * step + 6), (14, k as i32 * step + 20)],
                    if k == 0 { TRANSPARENT.filled() } else { colour.filled() },
                )
                + Text::new(
                    label,
                    (22, k as i32 * step + 2),
                    style.pos(Pos::new(HPos::Left, VPos::Top)),
                )
        }))?;
    }
    Ok(())
}

/// "1.5 weeks" (and the share over the target wait, when it has one) at
/// the horizon; "none served" when nothing was served to wait for.
fn wait_note(service: &ServiceSupply, future: &ServiceFuture) -> String {
    let weeks = match future.mean_wait_weeks.last().copied().flatten() {
        Some(w) => format!("{w:.1} weeks"),
        None => "none served".to_string(),
    };
    match service.target_wait_weeks {
        Some(target) => format!(
            "{weeks}, {:.0}% over {} weeks",
            future.share_over_target.last().copied().unwrap_or(0.0) * 100.0,
            crate::format::short(target)
        ),
        None => weeks,
    }
}

/// Per level with places: each future's need for places (the people in the
/// level and those waiting for a place) against the places, with a dot in
/// the first year the level is full. At the inputs' means.
pub fn places<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let mut legend: Vec<Entry> = (figures.futures.iter().enumerate())
        .map(|(f, future)| entry(&future.name, figures.colour(f), Key::Line))
        .collect();
    legend.push(entry("places", INK, Key::Dashed));
    legend.push(entry("first year full", INK, Key::Marker));
    let subtitle = vec![
        "The people each level holds plus those waiting for a place in it, at each year's end, against its places; the run at the inputs' means".to_string(),
    ];
    let body = header(root, Chart::Places.title(), &subtitle, &legend)?;
    let xs = years_f64(figures);
    for (area, level) in panels(&body, figures.places.len()).iter().zip(&figures.places) {
        let need: Vec<Vec<f64>> = level
            .futures
            .iter()
            .map(|f| f.occupied.iter().zip(&f.waiting).map(|(o, w)| o + w).collect())
            .collect();
        let values = || {
            need.iter()
                .flatten()
                .chain(level.futures.iter().flat_map(|f| &f.places))
                .copied()
        };
        let (scale, axis) = activity_scale(values().fold(0.0, f64::max), "People");
        let y = span(values().map(|v| v * scale), false);
        let mut chart = plot(area, &level.name, year_range(figures), y, &axis)?;
        let places: Vec<&[f64]> = level.futures.iter().map(|f| f.places.as_slice()).collect();
        limit_lines(&mut chart, &xs, &places, scale, &|f| figures.colour(f))?;
        for (f, series) in need.iter().enumerate().rev() {
            line(&mut chart, &xs, series, scale, figures.colour(f).stroke_width(4))?;
        }
        let first = figures.years.first().copied().unwrap_or_default();
        let full: Vec<(usize, i32, f64)> = (level.futures.iter().enumerate())
            .filter_map(|(f, future)| {
                let year = future.first_full?;
                let v = need[f].get(usize::try_from(year - first).ok()?)?;
                Some((f, year, v * scale))
            })
            .collect();
        dots(&mut chart, &full, &|f| figures.colour(f))?;
    }
    Ok(())
}
