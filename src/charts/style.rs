//! The look shared by every chart: the bundled font, sizes readable on a
//! projector, and colour-blind-safe colours that stay the same for the same
//! level, scenario or band in every chart.

use plotters::style::{FontStyle, RGBColor};
use std::sync::OnceLock;

/// The family name the charts ask for; the bundled DejaVu Sans is registered
/// under it, and SVG readers fall back to their own sans-serif.
pub const FAMILY: &str = "sans-serif";

/// What SVG files ask for (plotters writes `FAMILY`), so that a browser uses
/// DejaVu Sans where installed and a close sans-serif elsewhere.
pub const SVG_FAMILY: &str = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif";

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// Registers the bundled font with plotters (once per process).
pub fn register_fonts() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, REGULAR)
            .and_then(|()| plotters::style::register_font(FAMILY, FontStyle::Bold, BOLD))
            .map_err(|_| "the bundled chart font could not be read".to_string())
    })
    .clone()
}

/// Canvas of every chart, in pixels (16:10, sharp on a 1080p projector).
pub const SIZE: (u32, u32) = (1800, 1125);

pub const TITLE: u32 = 46;
pub const SUBTITLE: u32 = 27;
pub const LEGEND: u32 = 27;
pub const PANEL_TITLE: u32 = 28;
pub const TICK: u32 = 22;
pub const AXIS: u32 = 23;

pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);

/// Okabe–Ito and Tol colours, which stay apart under the common colour
/// vision deficiencies.
const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
const PINK: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const WINE: RGBColor = RGBColor(0x88, 0x22, 0x55);
const OLIVE: RGBColor = RGBColor(0x99, 0x99, 0x33);
const TEAL: RGBColor = RGBColor(0x11, 0x77, 0x33);
const PURPLE: RGBColor = RGBColor(0xAA, 0x44, 0x99);
const INDIGO: RGBColor = RGBColor(0x33, 0x22, 0x88);

/// Preventative spend and savings.
pub const PREVENTATIVE: RGBColor = GREEN;
/// Acute spend and investment (money going out).
pub const ACUTE: RGBColor = VERMILLION;
pub const SAVING: RGBColor = BLUE;
pub const INVESTMENT: RGBColor = VERMILLION;
/// Pathway map cells: strong evidence, weak evidence only, gap.
pub fn coverage(c: crate::evidence::pathways::Coverage) -> RGBColor {
    use crate::evidence::pathways::Coverage;
    match c {
        Coverage::Strong => GREEN,
        Coverage::Weak => ORANGE,
        Coverage::Gap => WINE,
    }
}
/// An input at its high value, in sensitivity charts.
pub const ORANGE_KEY: RGBColor = ORANGE;

/// Need levels, from the lowest need to the highest: green, orange,
/// vermillion, wine (three levels skip vermillion; five add indigo at the
/// top, six and more blues at the bottom), so that more need reads warmer
/// and then darker.
pub fn level(l: usize, levels: usize) -> RGBColor {
    const ALL: [RGBColor; 7] = [SKY, BLUE, GREEN, ORANGE, VERMILLION, WINE, INDIGO];
    match levels {
        0..=2 => [GREEN, WINE][l.min(1)],
        3 => [GREEN, ORANGE, WINE][l],
        4 => [GREEN, ORANGE, VERMILLION, WINE][l],
        5 => [GREEN, ORANGE, VERMILLION, WINE, INDIGO][l],
        6 => ALL[l + 1],
        _ => ALL[l % 7],
    }
}

/// Futures: the baseline is dark grey, scenarios take the palette in order.
pub fn future(f: usize) -> RGBColor {
    const SCENARIOS: [RGBColor; 10] = [BLUE, ORANGE, GREEN, PINK, SKY, VERMILLION, WINE, OLIVE, TEAL, PURPLE];
    if f == 0 {
        RGBColor(0x3A, 0x3A, 0x3A)
    } else {
        SCENARIOS[(f - 1) % SCENARIOS.len()]
    }
}

/// Age bands, youngest to oldest, along the viridis scale (perceptually
/// even and colour-blind safe), stopping short of its palest yellow.
pub fn band(b: usize, bands: usize) -> RGBColor {
    const VIRIDIS: [(f64, [f64; 3]); 5] = [
        (0.0, [68.0, 1.0, 84.0]),
        (0.25, [59.0, 82.0, 139.0]),
        (0.5, [33.0, 145.0, 140.0]),
        (0.75, [94.0, 201.0, 98.0]),
        (1.0, [253.0, 231.0, 37.0]),
    ];
    let t = if bands <= 1 {
        0.4
    } else {
        0.85 * b as f64 / (bands - 1) as f64
    };
    let i = VIRIDIS.iter().rposition(|(at, _)| *at <= t).unwrap_or(0).min(3);
    let (t0, c0) = VIRIDIS[i];
    let (t1, c1) = VIRIDIS[i + 1];
    let u = (t - t0) / (t1 - t0);
    let mix = |k: usize| (c0[k] + (c1[k] - c0[k]) * u).round() as u8;
    RGBColor(mix(0), mix(1), mix(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_distinct_where_they_share_a_chart() {
        for n in 1..=8 {
            let colours: Vec<_> = (0..n).map(|l| level(l, n)).collect();
            for (i, a) in colours.iter().enumerate() {
                assert!(
                    !colours[..i].contains(a) || n > 7,
                    "level colours repeat for {n} levels"
                );
            }
        }
        let futures: Vec<_> = (0..11).map(future).collect();
        for (i, a) in futures.iter().enumerate() {
            assert!(!futures[..i].contains(a));
        }
        assert_eq!(band(0, 5), RGBColor(68, 1, 84));
        assert_ne!(band(3, 5), band(4, 5));
    }

    #[test]
    fn the_bundled_font_registers() {
        assert_eq!(register_fonts(), Ok(()));
    }
}
