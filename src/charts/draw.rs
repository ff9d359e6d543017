//! The drawing of each chart, for any plotters backend.

use super::data::{Figures, Interval, Uncertain};
use super::style::{self, INK, MUTED};
use super::{Chart, DrawResult};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

type Area<DB> = DrawingArea<DB, Shift>;
type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
type Error<DB> = DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>;

fn text(size: u32) -> TextStyle<'static> {
    (style::FAMILY, size).into_font().color(&INK)
}

fn muted(size: u32) -> TextStyle<'static> {
    (style::FAMILY, size).into_font().color(&MUTED)
}

fn bold(size: u32) -> TextStyle<'static> {
    (style::FAMILY, size, FontStyle::Bold).into_font().color(&INK)
}

/// How a legend entry is keyed.
#[derive(Clone, Copy)]
enum Key {
    Swatch,
    Line,
    Dashed,
    Band,
}

struct Entry {
    label: String,
    colour: RGBColor,
    key: Key,
}

fn entry(label: impl Into<String>, colour: RGBColor, key: Key) -> Entry {
    Entry {
        label: label.into(),
        colour,
        key,
    }
}

const MARGIN: i32 = 36;
const KEY_WIDTH: i32 = 46;

/// Draws the white page, the title, the subtitle lines and the legend
/// (wrapped over as many rows as it needs); returns the area left below.
fn header<DB: DrawingBackend>(
    root: &Area<DB>,
    title: &str,
    subtitle: &[String],
    legend: &[Entry],
) -> Result<Area<DB>, Error<DB>> {
    root.fill(&WHITE)?;
    let (width, _) = root.dim_in_pixel();
    let width = width as i32;
    root.draw(&Text::new(title.to_string(), (MARGIN, 22), bold(style::TITLE)))?;
    let mut y = 22 + style::TITLE as i32 + 12;
    for line in subtitle {
        root.draw(&Text::new(line.clone(), (MARGIN, y), muted(style::SUBTITLE)))?;
        y += style::SUBTITLE as i32 + 10;
    }
    y += 8;
    let row_height = style::LEGEND as i32 + 16;
    let mut x = MARGIN;
    let mut rows = 0;
    for (i, e) in legend.iter().enumerate() {
        let (w, _) = root.estimate_text_size(&e.label, &text(style::LEGEND))?;
        let item = KEY_WIDTH + 12 + w as i32;
        if i > 0 && x + item > width - MARGIN {
            x = MARGIN;
            y += row_height;
        }
        if i == 0 || x == MARGIN {
            rows += 1;
        }
        let mid = y + style::LEGEND as i32 / 2;
        draw_key(root, e, (x, mid))?;
        root.draw(&Text::new(
            e.label.clone(),
            (x + KEY_WIDTH + 12, mid),
            text(style::LEGEND).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += item + 40;
    }
    if rows > 0 {
        y += row_height;
    }
    let (_, body) = root.split_vertically(y + 6);
    Ok(body.margin(0, 10, 16, 24))
}

fn draw_key<DB: DrawingBackend>(root: &Area<DB>, e: &Entry, (x, mid): (i32, i32)) -> Result<(), Error<DB>> {
    let half = style::LEGEND as i32 / 2;
    match e.key {
        Key::Swatch => root.draw(&Rectangle::new(
            [(x + 6, mid - half), (x + KEY_WIDTH - 6, mid + half)],
            e.colour.filled(),
        )),
        Key::Band => root.draw(&Rectangle::new(
            [(x, mid - half), (x + KEY_WIDTH, mid + half)],
            e.colour.mix(0.3).filled(),
        )),
        Key::Line => root.draw(&PathElement::new(
            vec![(x, mid), (x + KEY_WIDTH, mid)],
            e.colour.stroke_width(5),
        )),
        Key::Dashed => root.draw(&DashedPathElement::new(
            vec![(x, mid), (x + KEY_WIDTH, mid)],
            10,
            6,
            e.colour.stroke_width(3),
        )),
    }
}

/// `n` panels in a grid of about the page's shape, row by row.
fn panels<DB: DrawingBackend>(body: &Area<DB>, n: usize) -> Vec<Area<DB>> {
    let (rows, cols) = match n {
        0 | 1 => (1, 1),
        2 => (1, 2),
        3 => (1, 3),
        4 => (2, 2),
        5 | 6 => (2, 3),
        7 | 8 => (2, 4),
        9 => (3, 3),
        _ => {
            let cols = ((n as f64 * 1.6).sqrt()).ceil() as usize;
            (n.div_ceil(cols), cols)
        }
    };
    body.split_evenly((rows, cols)).into_iter().take(n).collect()
}

/// A value range that holds `values` with a little room, from zero when
/// `from_zero`.
fn span(values: impl IntoIterator<Item = f64>, from_zero: bool) -> Range<f64> {
    let (mut lo, mut hi) = if from_zero {
        (0.0, 0.0)
    } else {
        (f64::INFINITY, f64::NEG_INFINITY)
    };
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    if hi - lo <= 1e-9 * hi.abs().max(lo.abs()).max(1.0) {
        let room = (hi.abs() * 0.1).max(1.0);
        return if lo == 0.0 { 0.0..room } else { lo - room..hi + room };
    }
    let pad = (hi - lo) * 0.06;
    let lo = if lo == 0.0 { 0.0 } else { lo - pad };
    let hi = if hi == 0.0 { 0.0 } else { hi + pad };
    lo..hi
}

/// People axes in thousands or millions when the numbers are large, so tick
/// labels stay short: (multiplier, axis label).
fn people_scale(largest: f64) -> (f64, &'static str) {
    if largest >= 2e6 {
        (1e-6, "People (millions)")
    } else if largest >= 2e5 {
        (1e-3, "People (thousands)")
    } else {
        (1.0, "People")
    }
}

fn uncertain_values(u: &Uncertain) -> impl Iterator<Item = f64> + '_ {
    let intervals = [&u.outer, &u.inner]
        .into_iter()
        .flatten()
        .flat_map(|i| i.low.iter().chain(&i.high));
    u.value.iter().chain(intervals).copied()
}

/// A tick label: at most four decimals, no trailing zeros, thousands separated.
pub(super) fn tick(v: f64) -> String {
    let rounded = (v * 1e4).round() / 1e4;
    let text = format!("{:.4}", rounded.abs());
    let text = text.trim_end_matches('0').trim_end_matches('.');
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut out = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    if rounded < 0.0 && out != "0" {
        format!("−{out}")
    } else {
        out
    }
}

fn year_tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        format!("{:.0}", v)
    } else {
        String::new()
    }
}

fn year_range(figures: &Figures) -> Range<f64> {
    let first = f64::from(figures.years.first().copied().unwrap_or_default());
    let last = f64::from(figures.last_year());
    first - 0.3..last + 0.3
}

/// A panel with its caption, axes and light grid.
fn plot<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    caption: &str,
    x: Range<f64>,
    y: Range<f64>,
    y_desc: &str,
) -> Result<Plot<'a, DB>, Error<DB>> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, bold(style::PANEL_TITLE))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(if y_desc.is_empty() { 86 } else { 118 })
        .build_cartesian_2d(x, y)?;
    let years = (chart.x_range().end - chart.x_range().start).round() as usize;
    let fit = area.dim_in_pixel().0 as usize / 120;
    chart
        .configure_mesh()
        .x_labels(years.min(fit).clamp(2, 8))
        .y_labels(7)
        .x_label_formatter(&|v| year_tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .y_desc(y_desc)
        .label_style(text(style::TICK))
        .axis_desc_style(muted(style::AXIS))
        .axis_style(MUTED.stroke_width(1))
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .disable_x_mesh()
        .draw()?;
    Ok(chart)
}

fn zero_line<DB: DrawingBackend>(chart: &mut Plot<'_, DB>) -> Result<(), Error<DB>> {
    let x = chart.x_range();
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x.start, 0.0), (x.end, 0.0)],
        INK.stroke_width(2),
    )))?;
    Ok(())
}

fn years_f64(figures: &Figures) -> Vec<f64> {
    figures.years.iter().map(|&y| f64::from(y)).collect()
}

fn band_polygon<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    xs: &[f64],
    interval: &Interval,
    scale: f64,
    colour: ShapeStyle,
) -> Result<(), Error<DB>> {
    let mut points: Vec<(f64, f64)> = xs.iter().zip(&interval.low).map(|(&x, &v)| (x, v * scale)).collect();
    points.extend(xs.iter().zip(&interval.high).rev().map(|(&x, &v)| (x, v * scale)));
    chart.draw_series(std::iter::once(Polygon::new(points, colour)))?;
    Ok(())
}

fn line<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    xs: &[f64],
    values: &[f64],
    scale: f64,
    style: ShapeStyle,
) -> Result<(), Error<DB>> {
    chart.draw_series(LineSeries::new(
        xs.iter().zip(values).map(|(&x, &v)| (x, v * scale)),
        style,
    ))?;
    Ok(())
}

/// A note in the middle of an empty body (e.g. no scenarios to compare).
fn note<DB: DrawingBackend>(body: &Area<DB>, message: &str) -> DrawResult<DB> {
    let (w, h) = body.dim_in_pixel();
    body.draw(&Text::new(
        message.to_string(),
        (w as i32 / 2, h as i32 / 2),
        muted(style::PANEL_TITLE).pos(Pos::new(HPos::Center, VPos::Center)),
    ))
}

fn money_axis(figures: &Figures, what: &str) -> String {
    format!(
        "{} million{what}, {} prices",
        figures.currency.trim(),
        figures.price_base_year
    )
}

fn draws_note(figures: &Figures, shaded: &str, with_inner: bool) -> Option<String> {
    let outer = figures.outer_label()?;
    let seed = figures.seed.map(|s| format!(", seed {s}")).unwrap_or_default();
    let inner = match figures.inner_label() {
        Some(i) if with_inner => format!(" (darker: {i})"),
        _ => String::new(),
    };
    Some(format!(
        "{shaded}: {outer}{inner} over {} draws{seed}; lines: the run at the inputs' means",
        figures.draws
    ))
}

fn stack<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    xs: &[f64],
    layers: &[Vec<f64>],
    scale: f64,
    colour: impl Fn(usize) -> RGBColor,
) -> Result<(), Error<DB>> {
    let mut lower = vec![0.0; xs.len()];
    for (k, layer) in layers.iter().enumerate() {
        let upper: Vec<f64> = lower.iter().zip(layer).map(|(a, b)| a + b).collect();
        let interval = Interval {
            low: lower,
            high: upper.clone(),
        };
        band_polygon(chart, xs, &interval, scale, colour(k).filled())?;
        line(chart, xs, &upper, scale, WHITE.stroke_width(1))?;
        lower = upper;
    }
    Ok(())
}

pub fn demand_by_level<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let nl = figures.levels.len();
    let legend: Vec<Entry> = (0..nl)
        .rev()
        .map(|l| entry(&figures.levels[l], style::level(l, nl), Key::Swatch))
        .collect();
    let body = header(
        root,
        Chart::DemandByLevel.title(),
        &[format!(
            "People at the end of each year by need level, in each future, on the same scale · {}",
            figures.model_name
        )],
        &legend,
    )?;
    let xs = years_f64(figures);
    let totals = figures
        .futures
        .iter()
        .flat_map(|f| (0..xs.len()).map(move |t| f.people_level.iter().map(|l| l[t]).sum::<f64>()));
    let totals: Vec<f64> = totals.collect();
    let (scale, axis) = people_scale(totals.iter().copied().fold(0.0, f64::max));
    let y = span(totals.iter().map(|v| v * scale), true);
    for (area, future) in panels(&body, figures.futures.len()).iter().zip(&figures.futures) {
        let mut chart = plot(area, &future.name, year_range(figures), y.clone(), axis)?;
        stack(&mut chart, &xs, &future.people_level, scale, |l| style::level(l, nl))?;
    }
    Ok(())
}

pub fn demand_difference<DB: DrawingBackend>(root: &Area<DB>, figures: &Figures) -> DrawResult<DB> {
    let nl = figures.levels.len();
    let legend: Vec<Entry> = (0..nl)
        .rev()
        .map(|l| entry(&figures.levels[l], style::level(l, nl), Key::Line))
        .collect();
    let mut subtitle = vec!["People in each need level at the end of each year: scenario minus do-nothing".to_string()];
    subtitle.extend(draws_note(figures, "Shaded", false));
    let body = header(root, Chart::DemandDifference.title(), &subtitle, &legend)?;
    let scenarios: Vec<_> = figures.futures.iter().filter(|f| f.comparison.is_some()).collect();
    if scenarios.is_empty() {
        return note(&body, "No scenarios to compare with do-nothing");
    }
    let xs = years_f64(figures);
    let y = span(
        scenarios.iter().flat_map(|f| {
            f.comparison
                .iter()
                .flat_map(|c| c.diff_level.iter().flat_map(uncertain_values))
        }),
        true,
    );
    for (area, future) in panels(&body, scenarios.len()).iter().zip(&scenarios) {
        let Some(c) = &future.comparison else { continue };
        let mut chart = plot(area, &future.name, year_range(figures), y.clone(), "People")?;
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
    let scenarios: Vec<(usize, &super::data::FutureFigures)> = figures
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
        let colour = style::future(*f);
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
    let scenarios: Vec<(usize, &super::data::FutureFigures)> = figures
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
            entry(label, style::future(*f), Key::Line)
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
        let colour = style::future(*f);
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
    let y = span(index.iter().flatten().copied().chain([100.0]), false);
    let mut chart = plot(
        &right,
        &format!("Growth by age band (end of {first} = 100)"),
        year_range(figures),
        y,
        "Index",
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

/// Horizontal bars, one per input, largest first at the top: a tornado
/// (low and high input around the central output) or rank correlations.
pub fn bars<DB: DrawingBackend>(root: &Area<DB>, bars: &super::Bars) -> DrawResult<DB> {
    use super::BarKind;
    let legend: Vec<Entry> = match bars.kind {
        BarKind::Tornado { .. } => vec![
            entry(bars.low_label.clone(), style::SAVING, Key::Swatch),
            entry(bars.high_label.clone(), style::ORANGE_KEY, Key::Swatch),
            entry("central (all inputs at their means)", INK, Key::Line),
        ],
        BarKind::Correlation => {
            let mut l = vec![entry(bars.low_label.clone(), style::SAVING, Key::Swatch)];
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
    let label_width = labels
        .iter()
        .map(|l| body.estimate_text_size(l, &text(style::TICK)).map_or(300, |(w, _)| w))
        .max()
        .unwrap_or(300)
        .clamp(120, 820);
    let mut chart = ChartBuilder::on(&body)
        .margin(12)
        .x_label_area_size(60)
        .y_label_area_size(label_width + 24)
        .build_cartesian_2d(x.clone(), -0.5..k as f64 - 0.5)?;
    let names = labels.clone();
    let label = move |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
            names[names.len() - 1 - i as usize].clone()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .y_labels(2 * k + 1)
        .x_labels(9)
        .y_label_formatter(&label)
        .x_label_formatter(&|v| tick(*v))
        .x_desc(bars.axis.as_str())
        .label_style(text(style::TICK))
        .axis_desc_style(muted(style::AXIS))
        .axis_style(MUTED.stroke_width(1))
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .disable_y_mesh()
        .draw()?;
    for (i, row) in bars.rows.iter().enumerate() {
        let y = (k - 1 - i) as f64;
        match (bars.kind, central) {
            (BarKind::Tornado { central }, _) => {
                chart.draw_series([
                    Rectangle::new([(central, y - 0.36), (row.first, y)], style::SAVING.filled()),
                    Rectangle::new(
                        [(central, y), (row.second.unwrap_or(central), y + 0.36)],
                        style::ORANGE_KEY.filled(),
                    ),
                ])?;
            }
            (BarKind::Correlation, _) => {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y - 0.34), (row.first, y + 0.34)],
                    style::SAVING.filled(),
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
    let levels = model.levels.len();
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
        for (l, name) in model.levels.iter().enumerate() {
            let x = label_width + l as i32 * cell_w + cell_w / 2;
            panel.draw(&Text::new(
                name.clone(),
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
            let ink = if cell.coverage == Coverage::Weak { INK } else { WHITE };
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

/// Small multiples of a model's areas: each scenario's cumulative
/// discounted net saving in each area shown, on one scale.
pub fn areas<DB: DrawingBackend>(root: &Area<DB>, chart: &super::AreasChart) -> DrawResult<DB> {
    let legend: Vec<Entry> = chart
        .scenarios
        .iter()
        .enumerate()
        .map(|(k, name)| entry(name.clone(), style::future(k + 1), Key::Line))
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
            line(&mut plot, &xs, values, 1e-6, style::future(k + 1).stroke_width(3))?;
        }
    }
    Ok(())
}

/// Maturity levels per unit: a row per unit (grouped by dimension), a bar
/// per assessment, on a 0–4 scale of the matrix's levels.
pub fn maturity<DB: DrawingBackend>(root: &Area<DB>, chart: &super::MaturityChart) -> DrawResult<DB> {
    let legend: Vec<Entry> = chart
        .series
        .iter()
        .enumerate()
        .map(|(k, (name, _))| entry(name.clone(), style::future(k + 1), Key::Swatch))
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
            let colour = style::future(s + 1);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_read_as_people_expect() {
        assert_eq!(tick(140000.0), "140,000");
        assert_eq!(tick(-2.5), "−2.5");
        assert_eq!(tick(0.1 + 0.2), "0.3");
        assert_eq!(tick(-0.00001), "0");
        assert_eq!(tick(1234.5678), "1,234.5678");
        assert_eq!(year_tick(2030.0), "2030");
        assert_eq!(year_tick(2030.5), "");
    }

    #[test]
    fn spans_hold_their_values() {
        assert_eq!(span([], true), 0.0..1.0);
        let s = span([10.0, 20.0], true);
        assert_eq!(s.start, 0.0);
        assert!(s.end > 20.0);
        let s = span([-5.0, 5.0], false);
        assert!(s.start < -5.0 && s.end > 5.0);
        let s = span([100.0, 100.0], false);
        assert!(s.start < 100.0 && s.end > 100.0);
    }
}
