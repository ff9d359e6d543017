//! What every chart shares: text styles, the header with its legend, panels,
//! value ranges, tick labels, axes and the few ways a series is drawn.

use crate::charts::DrawResult;
use crate::charts::data::{Figures, Interval, Uncertain};
use crate::charts::style::{self, INK, MUTED};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

pub(super) type Area<DB> = DrawingArea<DB, Shift>;
pub(super) type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<YearAxis, RangedCoordf64>>;

/// A time axis whose ticks are chosen years, the last always among them.
pub(super) struct YearAxis {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for YearAxis {
    type ValueType = f64;
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, _: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn axis_pixel_range(&self, limit: (i32, i32)) -> Range<i32> {
        self.inner.axis_pixel_range(limit)
    }
}
pub(super) type Error<DB> = DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>;

pub(super) fn text(size: u32) -> TextStyle<'static> {
    (style::FAMILY, size).into_font().color(&INK)
}

pub(super) fn muted(size: u32) -> TextStyle<'static> {
    (style::FAMILY, size).into_font().color(&MUTED)
}

pub(super) fn bold(size: u32) -> TextStyle<'static> {
    (style::FAMILY, size, FontStyle::Bold).into_font().color(&INK)
}

/// How a legend entry is keyed.
#[derive(Clone, Copy)]
pub(super) enum Key {
    Swatch,
    Line,
    Dashed,
    Band,
    /// A dot, for a marked point such as the first year over capacity.
    Marker,
}

pub(super) struct Entry {
    label: String,
    colour: RGBColor,
    key: Key,
}

pub(super) fn entry(label: impl Into<String>, colour: RGBColor, key: Key) -> Entry {
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
pub(super) fn header<DB: DrawingBackend>(
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
        // A line wider than the canvas wraps at a space.
        let mut rest = line.as_str();
        while !rest.is_empty() {
            let mut cut = rest.len();
            while root.estimate_text_size(&rest[..cut], &muted(style::SUBTITLE))?.0 as i32 > width - 2 * MARGIN {
                match rest[..cut].rfind(' ') {
                    Some(space) if space > 0 => cut = space,
                    _ => break,
                }
            }
            root.draw(&Text::new(rest[..cut].to_string(), (MARGIN, y), muted(style::SUBTITLE)))?;
            y += style::SUBTITLE as i32 + 10;
            rest = rest[cut..].trim_start();
        }
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
        Key::Marker => root.draw(&Circle::new((x + KEY_WIDTH / 2, mid), half, e.colour.filled())),
    }
}

/// `n` panels in a grid of about the page's shape, row by row.
pub(super) fn panels<DB: DrawingBackend>(body: &Area<DB>, n: usize) -> Vec<Area<DB>> {
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
pub(super) fn span(values: impl IntoIterator<Item = f64>, from_zero: bool) -> Range<f64> {
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
pub(super) fn people_scale(largest: f64) -> (f64, &'static str) {
    if largest >= 2e6 {
        (1e-6, "People (millions)")
    } else if largest >= 2e5 {
        (1e-3, "People (thousands)")
    } else {
        (1.0, "People")
    }
}

pub(super) fn uncertain_values(u: &Uncertain) -> impl Iterator<Item = f64> + '_ {
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

/// The years ticked on a time axis from `first` to `last`: every 1, 2, 5,
/// 10… years from `first` so that at most `most` fit, and always the last
/// year (a step's tick less than half a step before it gives way).
pub(super) fn year_ticks(first: i32, last: i32, most: usize) -> Vec<f64> {
    let span = (last - first).max(0);
    let step = [1, 2, 5, 10, 20, 25, 50, 100]
        .into_iter()
        .find(|&s| ((span / s) as usize) < most.max(2))
        .unwrap_or(100);
    let mut ticks: Vec<i32> = (0..)
        .map(|k| first + k * step)
        .take_while(|&y| y <= last)
        .filter(|&y| y == last || 2 * (last - y) >= step)
        .collect();
    if ticks.last() != Some(&last) {
        ticks.push(last);
    }
    ticks.into_iter().map(f64::from).collect()
}

pub(super) fn year_range(figures: &Figures) -> Range<f64> {
    let first = f64::from(figures.years.first().copied().unwrap_or_default());
    let last = f64::from(figures.last_year());
    first - 0.3..last + 0.3
}

/// A panel with its caption, axes and light grid.
pub(super) fn plot<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    caption: &str,
    x: Range<f64>,
    y: Range<f64>,
    y_desc: &str,
) -> Result<Plot<'a, DB>, Error<DB>> {
    let fit = (area.dim_in_pixel().0 as usize / 120).clamp(2, 8);
    let ticks = year_ticks(x.start.ceil() as i32, x.end.floor() as i32, fit);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, bold(style::PANEL_TITLE))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(if y_desc.is_empty() { 86 } else { 118 })
        .build_cartesian_2d(YearAxis { inner: x.into(), ticks }, y)?;
    chart
        .configure_mesh()
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

pub(super) fn zero_line<DB: DrawingBackend, X: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, RangedCoordf64>>,
) -> Result<(), Error<DB>> {
    let x = chart.x_range();
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x.start, 0.0), (x.end, 0.0)],
        INK.stroke_width(2),
    )))?;
    Ok(())
}

pub(super) fn years_f64(figures: &Figures) -> Vec<f64> {
    figures.years.iter().map(|&y| f64::from(y)).collect()
}

pub(super) fn band_polygon<DB: DrawingBackend>(
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

pub(super) fn line<DB: DrawingBackend>(
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
pub(super) fn note<DB: DrawingBackend>(body: &Area<DB>, message: &str) -> DrawResult<DB> {
    let (w, h) = body.dim_in_pixel();
    body.draw(&Text::new(
        message.to_string(),
        (w as i32 / 2, h as i32 / 2),
        muted(style::PANEL_TITLE).pos(Pos::new(HPos::Center, VPos::Center)),
    ))
}

pub(super) fn money_axis(figures: &Figures, what: &str) -> String {
    format!(
        "{} million{what}, {} prices",
        figures.currency.trim(),
        figures.price_base_year
    )
}

pub(super) fn draws_note(figures: &Figures, shaded: &str, with_inner: bool) -> Option<String> {
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

pub(super) fn stack<DB: DrawingBackend>(
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

/// A chart of horizontal bars, one row per label (the first at the top),
/// values across `x`: its label area sized to the longest label, the rows
/// named on the left, the value axis (`axis`) ticked below.
pub(super) fn bar_rows<'a, DB: DrawingBackend>(
    body: &'a Area<DB>,
    labels: &[String],
    x: Range<f64>,
    x_label_area: u32,
    axis: &str,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, Error<DB>> {
    let k = labels.len();
    let label_width = labels
        .iter()
        .map(|l| body.estimate_text_size(l, &text(style::TICK)).map_or(300, |(w, _)| w))
        .max()
        .unwrap_or(300)
        .clamp(120, 820);
    let mut chart = ChartBuilder::on(body)
        .margin(12)
        .x_label_area_size(x_label_area)
        .y_label_area_size(label_width + 24)
        .build_cartesian_2d(x, -0.5..k as f64 - 0.5)?;
    let label = |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < k {
            labels[k - 1 - i as usize].clone()
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
        .x_desc(axis)
        .label_style(text(style::TICK))
        .axis_desc_style(muted(style::AXIS))
        .axis_style(MUTED.stroke_width(1))
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .disable_y_mesh()
        .draw()?;
    Ok(chart)
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
