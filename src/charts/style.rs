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
/// The workshop page's presenter mode: a canvas shown about 1,230 pixels
/// wide on a 1280-pixel screen, so that its smallest text ([`TICK`], 22,
/// which an SVG writes as 17.7 pixels) is at least 18 pixels there.
pub const PRESENTER_SIZE: (u32, u32) = (1200, 760);

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
/// A service's tier on the map of the system: the three preventative tiers
/// in greens from light to dark (preventative spend's colour is the
/// middle one), acute in acute spend's colour.
pub fn tier(t: crate::model::Tier) -> RGBColor {
    use crate::model::Tier;
    match t {
        Tier::Primary => RGBColor(0x7F, 0xCE, 0xB4),
        Tier::Secondary => GREEN,
        Tier::Tertiary => TEAL,
        Tier::Acute => ACUTE,
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

const SCENARIOS: [RGBColor; 10] = [BLUE, ORANGE, GREEN, PINK, SKY, VERMILLION, WINE, OLIVE, TEAL, PURPLE];

/// Do-nothing's colour.
pub const BASELINE: RGBColor = RGBColor(0x3A, 0x3A, 0x3A);

/// Series that are not scenarios but sit beside them (areas, maturity
/// ratings): do-nothing's grey first, then the palette in order.
pub fn future(f: usize) -> RGBColor {
    if f == 0 {
        BASELINE
    } else {
        SCENARIOS[(f - 1) % SCENARIOS.len()]
    }
}

/// The suffix the workshop page gives a "What if…" copy: `NAME (what if N)`.
pub fn copy_of(name: &str) -> Option<(&str, u32)> {
    let rest = name.strip_suffix(')')?;
    let at = rest.rfind(" (what if ")?;
    let n = rest[at + " (what if ".len()..].parse().ok()?;
    Some((&rest[..at], n))
}

/// Each future's colour (`names[0]` is do-nothing, dark grey), chosen by
/// the scenario's name so that it stays when futures are added, removed or
/// reordered: the palette colour the name hashes to (FNV-1a), or the next
/// one free if an earlier scenario has it; a "What if…" copy
/// (`NAME (what if N)`) takes a shade of NAME's colour, lighter or darker
/// by N.
pub fn future_colours(names: &[&str]) -> Vec<RGBColor> {
    let hash = |name: &str| {
        name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let mut taken = [false; SCENARIOS.len()];
    let mut colours = vec![BASELINE; names.len()];
    let own = |name: &str, taken: &mut [bool; SCENARIOS.len()]| {
        let mut k = (hash(name) % SCENARIOS.len() as u64) as usize;
        for _ in 0..SCENARIOS.len() {
            if !taken[k] {
                break;
            }
            k = (k + 1) % SCENARIOS.len();
        }
        taken[k] = true;
        SCENARIOS[k]
    };
    for (f, name) in names.iter().enumerate().skip(1) {
        if copy_of(name).is_none() {
            colours[f] = own(name, &mut taken);
        }
    }
    for (f, name) in names.iter().enumerate().skip(1) {
        if let Some((base, n)) = copy_of(name) {
            let original = names.iter().skip(1).position(|x| *x == base);
            let colour = match original {
                Some(o) => colours[o + 1],
                None => SCENARIOS[(hash(base) % SCENARIOS.len() as u64) as usize],
            };
            colours[f] = shade(colour, n);
        }
    }
    colours
}

/// The `n`-th shade of `colour` (n = 2, 3, … as the page numbers copies):
/// lighter, darker, much lighter, much darker, then round again.
fn shade(colour: RGBColor, n: u32) -> RGBColor {
    let (towards, by) = match n.saturating_sub(2) % 4 {
        0 => (255.0, 0.45),
        1 => (0.0, 0.4),
        2 => (255.0, 0.65),
        _ => (0.0, 0.6),
    };
    let mix = |c: u8| (f64::from(c) + (towards - f64::from(c)) * by).round() as u8;
    RGBColor(mix(colour.0), mix(colour.1), mix(colour.2))
}

/// A colour as the page and the report write it, `#rrggbb`.
pub fn hex(colour: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", colour.0, colour.1, colour.2)
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
    fn a_scenario_keeps_its_colour_when_copies_and_others_come_and_go() {
        let file = [
            "do-nothing",
            "falls-and-reablement",
            "community-navigators",
            "whole-system",
        ];
        let before = future_colours(&file);
        // Distinct, and do-nothing grey.
        assert_eq!(before[0], BASELINE);
        for a in 1..file.len() {
            for b in a + 1..file.len() {
                assert_ne!(before[a], before[b]);
            }
        }
        // A copy inserted after its original, and the order changed.
        let page = [
            "do-nothing",
            "whole-system",
            "falls-and-reablement",
            "falls-and-reablement (what if 2)",
            "community-navigators",
            "falls-and-reablement (what if 3)",
        ];
        let after = future_colours(&page);
        assert_eq!(after[1], before[3]);
        assert_eq!(after[2], before[1]);
        assert_eq!(after[4], before[2]);
        // The copies: shades of the original, different from it and each other.
        assert_eq!(after[3], shade(before[1], 2));
        assert_eq!(after[5], shade(before[1], 3));
        assert!(after[3] != after[2] && after[5] != after[2] && after[3] != after[5]);
        assert_eq!(copy_of("x (what if 12)"), Some(("x", 12)));
        assert_eq!(copy_of("x (what if)"), None);
    }

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
