//! The map of the system: the need levels as boxes from left to right,
//! moves to more need as arcs above them and to less need below, entries
//! in at each box's top left and exits out at its bottom right, and the
//! services in tiles under the level whose people use most of each. Every
//! arrow is as wide as the people it carries; against do-nothing, each
//! figure is followed by its change.

use super::common::{Area, Error, Key, bold, entry, header, muted, text};
use crate::charts::DrawResult;
use crate::charts::map::{MapLevel, SystemMap};
use crate::charts::style::{self, INK};
use crate::format::{people, short};
use crate::model::Tier;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Where each level's box sits, in the body's pixels.
struct Layout {
    left: Vec<i32>,
    width: i32,
    top: i32,
    bottom: i32,
    /// The tallest arc above and below the boxes, and the furthest move
    /// (in levels) each way.
    above: i32,
    below: i32,
    far: (usize, usize),
    /// Where the service tiles start, and the height they may take.
    services: i32,
    services_height: i32,
    /// People a year per pixel of an arrow's width above its thinnest.
    per_pixel: f64,
    /// The fewest people a drawn arrow carries.
    floor: f64,
}

const THINNEST: f64 = 2.0;
const WIDEST: f64 = 22.0;
/// How far an entry or exit arrow reaches from its box.
const STUB: i32 = 46;

pub fn system_map<DB: DrawingBackend>(root: &Area<DB>, map: &SystemMap) -> DrawResult<DB> {
    let band = map
        .band
        .as_ref()
        .map_or_else(|| "every age band".to_string(), |b| format!("age band {b}"));
    let against = if map.against.is_some() {
        " against do-nothing (change in brackets)"
    } else {
        ""
    };
    let mut subtitle = vec![
        format!(
            "{}{against}, {}, {band}: people in each level at the year's end; arrows in people a year, widths to scale",
            map.future, map.year
        ),
        "Arcs above: moves to more need; below: to less need. In (entries) at a box's top left; out (deaths, moves away, ageing out) at its bottom right".to_string(),
    ];
    if map.band.is_some() {
        subtitle.push("A band's service activity is its share of the use at the file's use rates; capacity and places are every band's".to_string());
    }
    let floor = floor(map);
    if map.flows.iter().any(|f| !drawn(floor, f.people)) {
        subtitle.push(
            "Moves of under one person a year, or under a thousandth of the largest arrow, are not drawn".to_string(),
        );
    }
    let legend: Vec<_> = Tier::ALL
        .iter()
        .map(|&t| entry(format!("{} services", tier_name(t)), style::tier(t), Key::Swatch))
        .collect();
    let body = header(root, &format!("Map of the system, {}", map.year), &subtitle, &legend)?;
    let layout = layout(&body, map, floor);
    arcs(&body, map, &layout)?;
    for (l, level) in map.levels.iter().enumerate() {
        ends(&body, map, l, &layout)?;
        stock(&body, map, (l, level), &layout)?;
    }
    services(&body, map, &layout)?;
    key(&body, map)
}

fn tier_name(t: Tier) -> &'static str {
    match t {
        Tier::Primary => "Primary prevention",
        Tier::Secondary => "Secondary prevention",
        Tier::Tertiary => "Tertiary prevention",
        Tier::Acute => "Acute",
    }
}

fn layout<DB: DrawingBackend>(body: &Area<DB>, map: &SystemMap, floor: f64) -> Layout {
    let (w, h) = body.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let n = map.levels.len().max(1) as i32;
    let margin = 30;
    let width = ((w - 2 * margin - (n - 1) * 90) / n).clamp(60, 300);
    let gap = if n > 1 {
        (w - 2 * margin - n * width) / (n - 1)
    } else {
        0
    };
    // The arcs' room grows with the furthest move drawn each way.
    let far = |up: bool| {
        map.flows
            .iter()
            .filter(|f| (f.to > f.from) == up && drawn(floor, f.people))
            .map(|f| f.from.abs_diff(f.to))
            .max()
            .unwrap_or(0)
    };
    let (far_up, far_down) = (far(true), far(false));
    let room = |k: usize, most: i32| h * (7 + most * k as i32 / (n - 1).max(1)) / 100;
    let (above, below) = (room(far_up, 21), room(far_down, 15));
    let top = above + 14;
    let bottom = top + h * 22 / 100;
    let services = bottom + below + style::TICK as i32 + 14;
    let largest = map.largest().max(f64::MIN_POSITIVE);
    Layout {
        left: (0..n).map(|l| margin + l * (width + gap)).collect(),
        width,
        top,
        bottom,
        above,
        below,
        far: (far_up, far_down),
        services,
        services_height: (h - services - (style::TICK as i32 + 10) * map.interventions.len() as i32 - 8).max(0),
        per_pixel: largest / (WIDEST - THINNEST),
        floor,
    }
}

impl Layout {
    fn centre(&self, l: usize) -> i32 {
        self.left[l] + self.width / 2
    }

    fn stroke(&self, people: f64) -> u32 {
        (THINNEST + people / self.per_pixel).round().clamp(THINNEST, WIDEST) as u32
    }
}

/// A count of people or activity as read on the map.
fn count(x: f64) -> String {
    if x.abs() >= 10.0 {
        people(x)
    } else {
        short((x * 10.0).round() / 10.0)
    }
}

/// `value` with, against do-nothing, its change in brackets.
fn with_change(value: f64, before: Option<f64>) -> String {
    match before {
        None => count(value),
        Some(b) => {
            let d = value - b;
            let change = if d.abs() < 0.5 {
                "no change".to_string()
            } else if d > 0.0 {
                format!("+{}", count(d))
            } else {
                format!("−{}", count(-d))
            };
            format!("{} ({change})", count(value))
        }
    }
}

/// The moves between levels: arcs above the boxes to more need, below to
/// less, each higher the further it goes, labelled at its top.
fn arcs<DB: DrawingBackend>(body: &Area<DB>, map: &SystemMap, at: &Layout) -> Result<(), Error<DB>> {
    // Draw the widest first so that the thin ones stay on top.
    let mut flows: Vec<_> = map.flows.iter().filter(|f| drawn(at.floor, f.people)).collect();
    flows.sort_by(|a, b| b.people.total_cmp(&a.people));
    for flow in flows {
        let up = flow.to > flow.from;
        let k = flow.from.abs_diff(flow.to) as f64;
        let (room, far) = if up { (at.above, at.far.0) } else { (at.below, at.far.1) };
        let height = room as f64 * (0.4 + 0.6 * (k - 1.0) / (far.max(2) - 1) as f64);
        let quarter = at.width / 5;
        let (x0, x1) = if up {
            (at.centre(flow.from) + quarter / 2, at.centre(flow.to) - quarter / 2)
        } else {
            (at.centre(flow.from) - quarter / 2, at.centre(flow.to) + quarter / 2)
        };
        let y = if up { at.top } else { at.bottom };
        let sign = if up { -1.0 } else { 1.0 };
        // A quadratic Bézier whose control point is twice the height.
        let control = ((x0 + x1) as f64 / 2.0, y as f64 + sign * 2.0 * height);
        let point = |t: f64| {
            let u = 1.0 - t;
            let x = u * u * x0 as f64 + 2.0 * u * t * control.0 + t * t * x1 as f64;
            let yy = u * u * y as f64 + 2.0 * u * t * control.1 + t * t * y as f64;
            (x.round() as i32, yy.round() as i32)
        };
        let stroke = at.stroke(flow.people);
        let colour = if up { INK } else { style::EASING };
        let head = head(stroke);
        // Stop the line short of the head's tip.
        let path: Vec<_> = (0..=40).map(|i| point(i as f64 / 40.0 * 0.96)).collect();
        body.draw(&PathElement::new(path, colour.mix(0.75).stroke_width(stroke)))?;
        arrow_head(body, point(0.93), (x1, y), head, colour)?;
        let (ax, ay) = point(0.5);
        let before = map
            .against
            .as_ref()
            .map(|a| a.flow(flow.from, flow.to).map_or(0.0, |f| f.people));
        let label = with_change(flow.people, before);
        let (pos, dy) = if up {
            (VPos::Bottom, -(stroke as i32) / 2 - 4)
        } else {
            (VPos::Top, stroke as i32 / 2 + 4)
        };
        body.draw(&Text::new(
            label.clone(),
            (ax, ay + dy),
            bold(style::TICK).pos(Pos::new(HPos::Center, pos)),
        ))?;
        if !flow.tags.is_empty() {
            let (w, _) = body.estimate_text_size(&label, &bold(style::TICK))?;
            let y = ay
                + dy
                + if up {
                    -(style::TICK as i32) / 2
                } else {
                    style::TICK as i32 / 2
                };
            markers(body, &flow.tags, (ax + w as i32 / 2 + 8 + MARKER, y))?;
        }
    }
    Ok(())
}

/// The radius of an intervention's numbered marker.
const MARKER: i32 = 15;

/// Numbered markers for the interventions `tags`, left to right from the
/// centre of the first at `(x, y)`.
fn markers<DB: DrawingBackend>(body: &Area<DB>, tags: &[usize], (x, y): (i32, i32)) -> Result<(), Error<DB>> {
    for (k, &i) in tags.iter().enumerate() {
        let cx = x + k as i32 * (2 * MARKER + 4);
        body.draw(&Circle::new((cx, y), MARKER, INK.filled()))?;
        body.draw(&Text::new(
            (i + 1).to_string(),
            (cx, y),
            (style::FAMILY, style::TICK - 4, FontStyle::Bold)
                .into_font()
                .color(&WHITE)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// How far the last of a row of markers sits from the first.
fn run(tags: &[usize]) -> i32 {
    tags.len().saturating_sub(1) as i32 * (2 * MARKER + 4)
}

/// The key to the markers, at the foot of the map: each intervention's
/// number, name and effects.
fn key<DB: DrawingBackend>(body: &Area<DB>, map: &SystemMap) -> Result<(), Error<DB>> {
    let (w, h) = body.dim_in_pixel();
    let line = style::TICK as i32 + 10;
    let mut y = h as i32 - line * map.interventions.len() as i32;
    for (i, intervention) in map.interventions.iter().enumerate() {
        markers(body, &[i], (30 + MARKER, y + line / 2))?;
        let words = format!("{}: {}", intervention.name, intervention.effects.join(", "));
        let font = text(style::TICK - 2);
        body.draw(&Text::new(
            fit(body, &words, &font, w as i32 - 100),
            (30 + 2 * MARKER + 12, y + line / 2),
            font.pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        y += line;
    }
    Ok(())
}

/// An arrow head's length for a line `stroke` pixels wide.
fn head(stroke: u32) -> i32 {
    (stroke as i32 * 3 / 2).clamp(12, 30)
}

/// Whether a move is drawn: moves that round to nobody, or are under a
/// thousandth of the largest arrow, would only clutter the map (they stay
/// in the figures and the CSV files).
fn drawn(floor: f64, people: f64) -> bool {
    people >= floor
}

/// The fewest people a drawn arrow carries (see [`drawn`]), worked out
/// once per map.
fn floor(map: &SystemMap) -> f64 {
    (map.largest() / 1000.0).max(0.5)
}

/// A filled arrow head from `from` towards its tip `tip`, `size` long.
fn arrow_head<DB: DrawingBackend>(
    body: &Area<DB>,
    from: (i32, i32),
    tip: (i32, i32),
    size: i32,
    colour: RGBColor,
) -> Result<(), Error<DB>> {
    let (dx, dy) = ((tip.0 - from.0) as f64, (tip.1 - from.1) as f64);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let (ux, uy) = (dx / len, dy / len);
    let s = size as f64;
    let base = (tip.0 as f64 - ux * s, tip.1 as f64 - uy * s);
    let corner = |side: f64| {
        (
            (base.0 - uy * s * 0.55 * side).round() as i32,
            (base.1 + ux * s * 0.55 * side).round() as i32,
        )
    };
    body.draw(&Polygon::new(vec![tip, corner(1.0), corner(-1.0)], colour.filled()))
}

/// A level's entries (an arrow in at the box's top left) and exits (out
/// at its bottom right); their numbers are written in the box.
fn ends<DB: DrawingBackend>(body: &Area<DB>, map: &SystemMap, l: usize, at: &Layout) -> Result<(), Error<DB>> {
    let level = &map.levels[l];
    let grey = style::NET;
    let x_in = at.left[l] + 22;
    if drawn(at.floor, level.into()) {
        let stroke = at.stroke(level.into());
        let head = head(stroke);
        body.draw(&PathElement::new(
            vec![(x_in, at.top - STUB), (x_in, at.top - head + 2)],
            grey.stroke_width(stroke),
        ))?;
        arrow_head(body, (x_in, at.top - STUB), (x_in, at.top), head, grey)?;
    }
    let x_out = at.left[l] + at.width - 22;
    if drawn(at.floor, level.out()) {
        let stroke = at.stroke(level.out());
        let head = head(stroke);
        body.draw(&PathElement::new(
            vec![(x_out, at.bottom), (x_out, at.bottom + STUB - head + 2)],
            grey.stroke_width(stroke),
        ))?;
        arrow_head(body, (x_out, at.bottom), (x_out, at.bottom + STUB), head, grey)?;
    }
    Ok(())
}

/// A level's box: its name, people, places and the interventions on it.
fn stock<DB: DrawingBackend>(
    body: &Area<DB>,
    map: &SystemMap,
    (l, level): (usize, &MapLevel),
    at: &Layout,
) -> Result<(), Error<DB>> {
    let colour = style::level(l, map.levels.len());
    let (x0, x1) = (at.left[l], at.left[l] + at.width);
    body.draw(&Rectangle::new(
        [(x0, at.top), (x1, at.bottom)],
        colour.mix(0.16).filled(),
    ))?;
    body.draw(&Rectangle::new([(x0, at.top), (x1, at.bottom)], colour.stroke_width(4)))?;
    let before = map.against.as_ref().map(|a| &a.levels[l]);
    let mut lines = vec![(level.name.clone(), bold(style::PANEL_TITLE))];
    lines.push((
        format!("{} people", with_change(level.people, before.map(|b| b.people))),
        text(style::TICK),
    ));
    if let Some(p) = level.places {
        let full = if p.places > 0.0 { p.occupied / p.places } else { 0.0 };
        lines.push((
            format!("{} places, {:.0}% full", count(p.places), full * 100.0),
            text(style::TICK - 2),
        ));
        lines.push((
            format!(
                "{} waiting",
                with_change(p.waiting, before.and_then(|b| b.places).map(|b| b.waiting))
            ),
            bold(style::TICK - 2),
        ));
    }
    let mut y = at.top + 12;
    for (line, font) in lines {
        let fitted = fit(body, &line, &font, at.width - 16);
        body.draw(&Text::new(fitted, (x0 + 10, y), font.clone()))?;
        y += font_size(&font) + 8;
    }
    let small = text(style::TICK - 3);
    let step = style::TICK as i32 + 4;
    let ends = [
        format!("out {} a year", with_change(level.out(), before.map(MapLevel::out))),
        format!("in {} a year", with_change(level.into(), before.map(MapLevel::into))),
    ];
    for (k, line) in ends.iter().enumerate() {
        body.draw(&Text::new(
            fit(body, line, &small, at.width - 16),
            (x0 + 10, at.bottom - 8 - k as i32 * step),
            small.pos(Pos::new(HPos::Left, VPos::Bottom)),
        ))?;
    }
    markers(
        body,
        &level.tags,
        (x1 - 10 - MARKER - run(&level.tags), at.top + 10 + MARKER),
    )
}

fn font_size(font: &TextStyle) -> i32 {
    match font.font.get_size() {
        s if s > 0.0 => s.round() as i32,
        _ => style::TICK as i32,
    }
}

/// `line` cut (with an ellipsis) to fit `width` pixels.
fn fit<DB: DrawingBackend>(body: &Area<DB>, line: &str, font: &TextStyle, width: i32) -> String {
    let fits = |s: &str| body.estimate_text_size(s, font).is_ok_and(|(w, _)| w as i32 <= width);
    if fits(line) {
        return line.to_string();
    }
    let chars: Vec<char> = line.chars().collect();
    for keep in (1..chars.len()).rev() {
        let cut: String = chars[..keep].iter().collect::<String>() + "…";
        if fits(&cut) {
            return cut;
        }
    }
    "…".into()
}

/// The service tiles, under the level whose people use most of each,
/// joined to it by a thin line.
fn services<DB: DrawingBackend>(body: &Area<DB>, map: &SystemMap, at: &Layout) -> Result<(), Error<DB>> {
    let n = map.levels.len();
    let mut under: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (s, service) in map.services.iter().enumerate() {
        if service.activity > 0.0 || service.capacity.is_some() {
            under[service.level.min(n.saturating_sub(1))].push(s);
        }
    }
    let tallest = under.iter().map(Vec::len).max().unwrap_or(0) as i32;
    if tallest == 0 {
        return Ok(());
    }
    let tile = ((at.services_height - 8) / tallest).clamp(20, 84);
    let small = if tile >= 60 { style::TICK - 3 } else { style::TICK - 6 };
    for (l, list) in under.iter().enumerate() {
        if list.is_empty() {
            continue;
        }
        let cx = at.centre(l);
        body.draw(&PathElement::new(
            vec![(cx, at.bottom), (cx, at.services)],
            style::FAINT.stroke_width(2),
        ))?;
        for (i, &s) in list.iter().enumerate() {
            let service = &map.services[s];
            let before = map.against.as_ref().map(|a| &a.services[s]);
            let y0 = at.services + i as i32 * tile;
            let (x0, x1) = (at.left[l], at.left[l] + at.width);
            let colour = style::tier(service.tier);
            body.draw(&Rectangle::new(
                [(x0, y0), (x1, y0 + tile - 6)],
                colour.mix(0.14).filled(),
            ))?;
            body.draw(&Rectangle::new([(x0, y0), (x0 + 10, y0 + tile - 6)], colour.filled()))?;
            let over = service.capacity.is_some_and(|(c, d)| d > c);
            if over {
                body.draw(&Rectangle::new([(x0, y0), (x1, y0 + tile - 6)], INK.stroke_width(3)))?;
            }
            let mut second = format!("{} a year", with_change(service.activity, before.map(|b| b.activity)));
            if let Some((capacity, demand)) = service.capacity
                && capacity > 0.0
            {
                second = format!("demand {:.0}% of capacity", demand / capacity * 100.0);
            }
            let name_font = bold(small);
            body.draw(&Text::new(
                fit(body, &service.name, &name_font, at.width - 24),
                (x0 + 16, y0 + 4),
                name_font,
            ))?;
            if tile >= 44 {
                let font = if over { bold(small - 2) } else { muted(small - 2) };
                body.draw(&Text::new(
                    fit(body, &second, &font, at.width - 24),
                    (x0 + 16, y0 + 8 + small as i32),
                    font.clone(),
                ))?;
            }
            markers(
                body,
                &service.tags,
                (x1 - 8 - MARKER - run(&service.tags), y0 + tile / 2 - 3),
            )?;
        }
    }
    Ok(())
}
