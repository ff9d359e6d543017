//! The look shared by every chart: the bundled font, sizes readable on a
//! projector, and one meaning per colour across every chart, the report and
//! the workshop page. Every colour drawn is taken from here.
//!
//! | family | colours | means, and only means |
//! |---|---|---|
//! | money | vermillion `ACUTE`, bluish green `PREVENTATIVE`, blue `SAVING`, reddish purple `INVESTMENT` (Okabe–Ito) | acute spend; preventative spend; spend avoided; money invested. A service's `tier` takes its spend's colour (prevention tiers in greens, light to dark) |
//! | futures | dark grey `BASELINE`; twelve `SCENARIOS` in golds and olives, teals, and maroon / dusky rose | do-nothing; each scenario, by its name (`future_colours`); a "What if…" copy in a shade of its original |
//! | need | violets, light to dark (`level`) | need levels, lowest need lightest |
//! | other series | the scenario palette in order (`series`) | a deal's parties, self-assessments: charts that show no scenario |
//! | neutrals | ink and greys; warm greys (`band`); greys (`coverage`, `LOW_KEY`, `HIGH_KEY`, `NET`) | text, axes, ranges; age bands, youngest lightest; evidence, strongest darkest; an input at its P10 and P90; net saving |
//!
//! The scenario hues sit between the money hues, at least 20° of hue and
//! ΔE 20 from each; the violets are 30° from both (the tests below check
//! it in CIE Lab). The report's and the page's tables write a gain and a
//! loss in dark shades of saving's and investment's colours (`GAIN_TEXT`,
//! `LOSS_TEXT`), and cautions in ink. Where lines must be told apart in
//! greyscale, dashes do it (do-nothing's reference lines, capacities).

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
/// A range's outer band in a legend, the lines that tie a service to its
/// level on the map, and the acceptability frontier's band behind the
/// acceptability curves.
pub const FAINT: RGBColor = RGBColor(0xBB, 0xBB, 0xBB);
/// The net saving's bars, and people entering or leaving on the map: a mid
/// grey, apart from every other meaning.
pub const NET: RGBColor = RGBColor(0x77, 0x77, 0x77);
/// On the map, moves to less need (moves to more need are in [`INK`]).
pub const EASING: RGBColor = RGBColor(0x8A, 0x8A, 0x8A);
/// An input at its low (P10) and high (P90) value, in sensitivity charts.
pub const LOW_KEY: RGBColor = RGBColor(0xB0, 0xB0, 0xB0);
pub const HIGH_KEY: RGBColor = RGBColor(0x5E, 0x5E, 0x5E);

/// Money, in Okabe–Ito colours, which stay apart under the common colour
/// vision deficiencies; no other meaning is drawn in their hues.
pub const ACUTE: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Preventative spend (interventions included).
pub const PREVENTATIVE: RGBColor = RGBColor(0x00, 0x9E, 0x73);
/// Spend avoided.
pub const SAVING: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Money invested (an intervention's cost, a deal's capital).
pub const INVESTMENT: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
/// Text of a money figure in the report's and the page's tables: a gain
/// (a positive net saving) in a dark [`SAVING`], a loss in a dark
/// [`INVESTMENT`], dark enough to read as text on white.
pub const GAIN_TEXT: RGBColor = RGBColor(0x00, 0x55, 0x85);
pub const LOSS_TEXT: RGBColor = RGBColor(0x85, 0x3A, 0x65);

/// A service's tier on the map of the system, in the colour of the spend it
/// counts in: the three preventative tiers in greens from light to dark
/// (preventative spend's colour is the middle one), acute in acute spend's.
pub fn tier(t: crate::model::Tier) -> RGBColor {
    use crate::model::Tier;
    match t {
        Tier::Primary => RGBColor(0x7F, 0xCE, 0xB4),
        Tier::Secondary => PREVENTATIVE,
        Tier::Tertiary => RGBColor(0x00, 0x5A, 0x40),
        Tier::Acute => ACUTE,
    }
}

/// Pathway map cells in greys, the more evidence the darker: strong
/// evidence, weak evidence only, gap (near white, a hole in the map). Not a
/// hue, so that no cell reads as money, a future or a need level.
pub fn coverage(c: crate::evidence::pathways::Coverage) -> RGBColor {
    use crate::evidence::pathways::Coverage;
    match c {
        Coverage::Strong => RGBColor(0x3C, 0x3C, 0x3C),
        Coverage::Weak => RGBColor(0x9C, 0x9C, 0x9C),
        Coverage::Gap => RGBColor(0xEC, 0xEC, 0xEC),
    }
}

/// The colour `t` of the way (0 to 1) along `anchors`, mixed in RGB.
fn along(anchors: &[RGBColor], t: f64) -> RGBColor {
    let span = (anchors.len() - 1) as f64;
    let k = ((t * span).floor() as usize).min(anchors.len() - 2);
    let u = t * span - k as f64;
    let (a, b) = (anchors[k], anchors[k + 1]);
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * u).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Where `i` of `n` sits along a sequential scale (the middle for one).
fn step(i: usize, n: usize) -> f64 {
    if n <= 1 {
        0.5
    } else {
        i.min(n - 1) as f64 / (n - 1) as f64
    }
}

/// Need levels, from the lowest need to the highest: violets from light to
/// dark, so that more need reads darker, in colour and in greyscale. The
/// lightest is still a line on white.
pub fn level(l: usize, levels: usize) -> RGBColor {
    const VIOLETS: [RGBColor; 3] = [
        RGBColor(0xB4, 0xA5, 0xD8),
        RGBColor(0x7A, 0x5B, 0xAE),
        RGBColor(0x3A, 0x0F, 0x6E),
    ];
    along(&VIOLETS, step(l, levels))
}

/// Age bands, youngest to oldest, in warm greys from light to dark: a band
/// is neither money, a future nor a need level, so it takes no hue.
pub fn band(b: usize, bands: usize) -> RGBColor {
    const STONES: [RGBColor; 3] = [
        RGBColor(0xCF, 0xBF, 0xA0),
        RGBColor(0x8E, 0x7A, 0x62),
        RGBColor(0x50, 0x40, 0x30),
    ];
    along(&STONES, step(b, bands))
}

/// The scenarios' colours, in the hues between the money colours' (golds
/// and olives between acute and preventative, teals between preventative
/// and saving, maroon and dusky rose between investment and acute). The
/// first [`FIRST_CHOICE`] are the furthest apart (ΔE 35 or more) and are
/// used before the rest, so that a file of up to six scenarios never has
/// two alike.
const SCENARIOS: [RGBColor; 12] = [
    RGBColor(0xDD, 0xAA, 0x33), // gold
    RGBColor(0x00, 0x6D, 0x7F), // petrol
    RGBColor(0x7A, 0x1F, 0x2B), // maroon
    RGBColor(0x8D, 0xB3, 0x2B), // lime
    RGBColor(0x5F, 0x6B, 0x1E), // dark olive
    RGBColor(0x7C, 0xCB, 0xD6), // pale turquoise
    RGBColor(0x99, 0x99, 0x33), // olive
    RGBColor(0x2A, 0xA5, 0xB8), // turquoise
    RGBColor(0xA0, 0x50, 0x5C), // dusky rose
    RGBColor(0x9C, 0x6F, 0x00), // ochre
    RGBColor(0x00, 0x82, 0x7F), // teal
    RGBColor(0xC8, 0xBE, 0x6E), // khaki
];
/// How many of [`SCENARIOS`] are taken first.
const FIRST_CHOICE: usize = 6;

/// How many scenarios have colours of their own (the workshop page shows no
/// more at once).
pub const SCENARIO_COLOURS: usize = SCENARIOS.len();

/// Do-nothing's colour.
pub const BASELINE: RGBColor = RGBColor(0x3A, 0x3A, 0x3A);

/// Series that are neither futures, money nor need (a deal's parties,
/// self-assessments): the scenario palette in order. They are
/// drawn only on charts that show no scenario.
pub fn series(k: usize) -> RGBColor {
    SCENARIOS[k % SCENARIOS.len()]
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
/// reordered: the palette colour the name hashes to (FNV-1a) among the
/// first choices, or the next one free if a scenario earlier in
/// alphabetical order has it; a "What if…" copy
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
    // The first free colour from the hashed one on, among the first
    // choices, then among the rest; with more scenarios than colours, the
    // hashed one again.
    let own = |name: &str, taken: &mut [bool; SCENARIOS.len()]| {
        let h = hash(name);
        for (from, len) in [(0, FIRST_CHOICE), (FIRST_CHOICE, SCENARIOS.len() - FIRST_CHOICE)] {
            let start = (h % len as u64) as usize;
            if let Some(k) = (0..len).map(|i| from + (start + i) % len).find(|&k| !taken[k]) {
                taken[k] = true;
                return SCENARIOS[k];
            }
        }
        SCENARIOS[(h % SCENARIOS.len() as u64) as usize]
    };
    // In the order of their names, not the file's, so that reordering the
    // scenarios changes no colour.
    let mut own_names: Vec<usize> = (1..names.len()).filter(|&f| copy_of(names[f]).is_none()).collect();
    own_names.sort_by_key(|&f| names[f]);
    for f in own_names {
        colours[f] = own(names[f], &mut taken);
    }
    for (f, name) in names.iter().enumerate().skip(1) {
        if let Some((base, n)) = copy_of(name) {
            let original = names.iter().skip(1).position(|x| *x == base);
            let colour = match original {
                Some(o) => colours[o + 1],
                None => SCENARIOS[(hash(base) % FIRST_CHOICE as u64) as usize],
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

    /// CIE L*a*b* (D65) of an sRGB colour.
    fn lab(c: RGBColor) -> [f64; 3] {
        let linear = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        let (r, g, b) = (linear(c.0), linear(c.1), linear(c.2));
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
        let f = |t: f64| {
            if t > 216.0 / 24389.0 {
                t.cbrt()
            } else {
                (24389.0 / 27.0 * t + 16.0) / 116.0
            }
        };
        [116.0 * f(y) - 16.0, 500.0 * (f(x) - f(y)), 200.0 * (f(y) - f(z))]
    }

    /// ΔE (CIE 1976) between two colours.
    fn distance(a: RGBColor, b: RGBColor) -> f64 {
        let (a, b) = (lab(a), lab(b));
        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
    }

    /// Chroma and hue angle (degrees) in CIE LCh.
    fn chroma_hue(c: RGBColor) -> (f64, f64) {
        let [_, a, b] = lab(c);
        (a.hypot(b), b.atan2(a).to_degrees().rem_euclid(360.0))
    }

    /// The difference of two hue angles, 0 to 180 degrees.
    fn hue_apart(a: RGBColor, b: RGBColor) -> f64 {
        let d = (chroma_hue(a).1 - chroma_hue(b).1).abs();
        d.min(360.0 - d)
    }

    /// Every pair from `xs` × `ys` at least `delta` apart in Lab and, where
    /// both have a hue (chroma over 15), `degrees` apart in hue.
    fn apart(what: &str, xs: &[RGBColor], ys: &[RGBColor], delta: f64, degrees: f64) {
        for &x in xs {
            for &y in ys {
                let (d, h) = (distance(x, y), hue_apart(x, y));
                assert!(d >= delta, "{what}: {} and {} are ΔE {d:.1} apart", hex(x), hex(y));
                let hued = chroma_hue(x).0 > 15.0 && chroma_hue(y).0 > 15.0;
                assert!(
                    !hued || h >= degrees,
                    "{what}: {} and {} share a hue ({h:.0}°)",
                    hex(x),
                    hex(y)
                );
            }
        }
    }

    const MONEY: [RGBColor; 4] = [ACUTE, PREVENTATIVE, SAVING, INVESTMENT];

    fn levels() -> Vec<RGBColor> {
        (1..=10).flat_map(|n| (0..n).map(move |l| level(l, n))).collect()
    }

    fn bands() -> Vec<RGBColor> {
        (1..=10).flat_map(|n| (0..n).map(move |b| band(b, n))).collect()
    }

    #[test]
    fn each_family_keeps_to_its_own_colours() {
        use crate::model::Tier;
        // Money: four hues, far apart from each other.
        for (i, &a) in MONEY.iter().enumerate() {
            apart("money", &[a], &MONEY[i + 1..], 40.0, 60.0);
        }
        // At least as many scenario colours as the page shows scenarios,
        // all different, and none near money, need or do-nothing.
        let scenarios: Vec<_> = (0..SCENARIO_COLOURS).map(series).collect();
        const { assert!(SCENARIO_COLOURS >= 12) };
        for (i, &a) in scenarios.iter().enumerate() {
            apart("scenarios", &[a], &scenarios[i + 1..], 15.0, 0.0);
        }
        apart("scenario and money", &scenarios, &MONEY, 20.0, 20.0);
        apart("scenario and do-nothing", &scenarios, &[BASELINE], 25.0, 0.0);
        // Need levels: violets, apart from money and scenarios in hue too.
        let levels = levels();
        apart("level and money", &levels, &MONEY, 20.0, 30.0);
        apart("level and scenario", &levels, &scenarios, 30.0, 30.0);
        apart("level and do-nothing", &levels, &[BASELINE], 25.0, 0.0);
        // Tiers are money: each prevention tier in preventative spend's hue.
        let prevention = [Tier::Primary, Tier::Secondary, Tier::Tertiary].map(tier);
        assert_eq!(tier(Tier::Acute), ACUTE);
        for t in prevention {
            assert!(
                hue_apart(t, PREVENTATIVE) < 10.0,
                "{} is not preventative's green",
                hex(t)
            );
        }
        apart("tier and scenario", &prevention, &scenarios, 20.0, 20.0);
        apart("tier and level", &prevention, &levels, 30.0, 30.0);
        // Bands and every neutral: greys, with no hue to mistake.
        let neutrals = [INK, MUTED, GRID, FAINT, NET, EASING, LOW_KEY, HIGH_KEY, BASELINE];
        let coverage = [
            crate::evidence::pathways::Coverage::Strong,
            crate::evidence::pathways::Coverage::Weak,
            crate::evidence::pathways::Coverage::Gap,
        ]
        .map(coverage);
        for c in bands().into_iter().chain(neutrals).chain(coverage) {
            assert!(chroma_hue(c).0 < 20.0, "{} has a hue", hex(c));
        }
        apart("band and scenario", &bands(), &scenarios, 20.0, 0.0);
        apart("band and level", &bands(), &levels, 20.0, 0.0);
        // The figures' text colours are their money's, darkened.
        assert!(hue_apart(GAIN_TEXT, SAVING) < 10.0 && lab(GAIN_TEXT)[0] < 40.0);
        assert!(hue_apart(LOSS_TEXT, INVESTMENT) < 10.0 && lab(LOSS_TEXT)[0] < 40.0);
    }

    #[test]
    fn a_copy_keeps_away_from_money_and_need() {
        let scenarios: Vec<_> = (0..SCENARIOS.len()).map(series).collect();
        let shades: Vec<_> = scenarios
            .iter()
            .flat_map(|&c| (2..=5).map(move |n| shade(c, n)))
            .collect();
        apart("a copy and money", &shades, &MONEY, 10.0, 15.0);
        apart("a copy and a level", &shades, &levels(), 10.0, 15.0);
    }

    #[test]
    fn sequential_colours_step_apart_where_they_share_a_chart() {
        for n in 2..=10 {
            for (what, colour) in [("level", level as fn(usize, usize) -> RGBColor), ("band", band)] {
                let colours: Vec<_> = (0..n).map(|i| colour(i, n)).collect();
                for pair in colours.windows(2) {
                    assert!(distance(pair[0], pair[1]) >= 5.0, "{what} colours too close for {n}");
                    // Lighter first: more need, or more age, reads darker.
                    assert!(lab(pair[0])[0] > lab(pair[1])[0], "{what} colours not light to dark");
                }
            }
        }
        let futures: Vec<_> = std::iter::once(BASELINE)
            .chain((0..SCENARIO_COLOURS).map(series))
            .collect();
        for (i, a) in futures.iter().enumerate() {
            assert!(!futures[..i].contains(a));
        }
        assert_eq!(level(0, 5), RGBColor(0xB4, 0xA5, 0xD8));
        assert_eq!(band(4, 5), RGBColor(0x50, 0x40, 0x30));
    }

    #[test]
    fn up_to_six_scenarios_take_colours_far_apart() {
        let older_people = [
            "do-nothing",
            "falls-and-reablement",
            "community-navigators",
            "popp-cautious",
            "popp-as-claimed",
            "popp-nuffield",
            "whole-system",
        ];
        let made_up: Vec<String> = (0..6).map(|k| format!("scenario {k}")).collect();
        let made_up: Vec<&str> = std::iter::once("do-nothing")
            .chain(made_up.iter().map(String::as_str))
            .collect();
        for names in [&older_people[..], &made_up[..], &older_people[..4]] {
            let colours = future_colours(names);
            for (i, &a) in colours.iter().enumerate().skip(1) {
                apart("six scenarios", &[a], &colours[i + 1..], 35.0, 0.0);
            }
        }
        // Twelve take every colour once.
        let twelve: Vec<String> = (0..12).map(|k| format!("s{k}")).collect();
        let twelve: Vec<&str> = std::iter::once("do-nothing")
            .chain(twelve.iter().map(String::as_str))
            .collect();
        let mut colours = future_colours(&twelve)[1..].to_vec();
        colours.sort_by_key(|c| (c.0, c.1, c.2));
        colours.dedup();
        assert_eq!(colours.len(), 12);
    }

    #[test]
    fn the_bundled_font_registers() {
        assert_eq!(register_fonts(), Ok(()));
    }
}
