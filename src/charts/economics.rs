//! The decision-analysis charts of issue 25 (see `crate::economics`): the
//! cost-effectiveness plane, the acceptability curves with their frontier,
//! and EVPPI. Standalone pictures, not yet among a run's [`super::Chart`]s:
//! a caller builds one from the analysis and asks for its SVG or PNG.
//! Strategies take the futures' colours by name (`style::future_colours`),
//! the comparator do-nothing's grey.

use super::{ChartError, DrawResult, Picture, png_of, svg_of};
use crate::economics::{Acceptability, Evppi, PlanePoints, Psa, ce_plane};
use crate::format::currency_prefix;
use plotters::prelude::*;
use std::path::Path;

/// How many draws of each strategy the plane shows at most (every k-th),
/// so that its SVG stays small; the means use every draw.
pub const PLANE_POINTS: usize = 2_000;

/// The cost-effectiveness plane: each draw's incremental QALYs (across)
/// and cost (up) against the comparator, each strategy's mean, and a
/// willingness-to-pay line through the origin.
#[derive(Debug, Clone, PartialEq)]
pub struct CePlaneChart {
    pub title: String,
    pub subtitle: Vec<String>,
    /// The currency's sign (`£`).
    pub currency: String,
    /// Every strategy, the comparator first.
    pub strategies: Vec<String>,
    /// How the legend names each strategy (its title); the colours go by
    /// `strategies`' names, as on every other chart.
    pub labels: Vec<String>,
    /// Each strategy after the comparator, as `economics::ce_plane` gives.
    pub clouds: Vec<PlanePoints>,
    /// The line's slope: willingness to pay, money per QALY.
    pub threshold: f64,
}

impl CePlaneChart {
    /// The same chart with the legend naming the strategies `labels`.
    pub fn titled(self, labels: &[String]) -> CePlaneChart {
        CePlaneChart {
            labels: labels.to_vec(),
            ..self
        }
    }

    pub const TITLE: &str = "Cost-effectiveness plane";

    /// The plane of `psa` with a line at `threshold` per QALY; `currency`
    /// as a code (`GBP`) or sign.
    pub fn of(psa: &Psa, threshold: f64, currency: &str) -> CePlaneChart {
        let currency = currency_prefix(currency).trim().to_string();
        CePlaneChart {
            title: Self::TITLE.into(),
            subtitle: vec![
                format!(
                    "Each dot a draw: a strategy's QALYs and cost less {}'s in the same draw ({} draws); crosses: the means",
                    psa.names()[0],
                    super::draw::thousands(psa.draws() as f64)
                ),
                format!(
                    "Below the dashed line, a strategy is cost-effective against {} at {currency}{} per QALY",
                    psa.names()[0],
                    super::draw::thousands(threshold)
                ),
            ],
            currency,
            strategies: psa.names().to_vec(),
            labels: psa.names().to_vec(),
            clouds: ce_plane(psa),
            threshold,
        }
    }
}

/// Cost-effectiveness acceptability curves (each strategy's chance of the
/// highest net benefit at each willingness to pay) with the frontier (the
/// strategy with the highest expected net benefit) marked.
#[derive(Debug, Clone, PartialEq)]
pub struct CeacChart {
    pub title: String,
    pub subtitle: Vec<String>,
    pub currency: String,
    /// Every strategy, the comparator first.
    pub strategies: Vec<String>,
    /// How the legend names each strategy (its title); the colours go by
    /// `strategies`' names, as on every other chart.
    pub labels: Vec<String>,
    pub acceptability: Acceptability,
    /// Willingness to pay marked by a vertical line (money per QALY).
    pub thresholds: Vec<f64>,
}

impl CeacChart {
    /// The same chart with the legend naming the strategies `labels`.
    pub fn titled(self, labels: &[String]) -> CeacChart {
        CeacChart {
            labels: labels.to_vec(),
            ..self
        }
    }

    pub const TITLE: &str = "Cost-effectiveness acceptability curves";

    /// The curves of `acceptability` for the strategies named `strategies`,
    /// the thresholds marked.
    pub fn of(strategies: &[String], acceptability: Acceptability, thresholds: &[f64], currency: &str) -> CeacChart {
        CeacChart {
            title: Self::TITLE.into(),
            subtitle: vec![
                "Each strategy's chance of the highest net monetary benefit (λ·QALYs − cost) at each willingness to pay λ".into(),
                "Grey band: the acceptability frontier, the strategy with the highest expected net benefit and its chance".into(),
            ],
            currency: currency_prefix(currency).trim().to_string(),
            strategies: strategies.to_vec(),
            labels: strategies.to_vec(),
            acceptability,
            thresholds: thresholds.to_vec(),
        }
    }
}

/// EVPPI of parameters or groups of them at one willingness to pay, largest
/// first, against EVPI.
#[derive(Debug, Clone, PartialEq)]
pub struct EvppiChart {
    pub title: String,
    pub subtitle: Vec<String>,
    /// The value axis's label.
    pub axis: String,
    /// The currency's sign (`£`).
    pub currency: String,
    /// Per group: its label and its EVPPI, largest first.
    pub rows: Vec<(String, f64)>,
    /// EVPI on the same scale.
    pub evpi: f64,
}

impl EvppiChart {
    pub const TITLE: &str = "Expected value of partial perfect information";
    /// At most this many bars, the largest (a model may have hundreds of
    /// uncertain inputs; `cost-effectiveness.csv` has every one).
    pub const MOST_ROWS: usize = 25;

    /// The chart of `results` (one per group, each computed on the same
    /// draws and grid) at grid point `k`, per person times `multiplier`
    /// (1 for per person; an effective population for the population's,
    /// which `what` then names, e.g. "for 12,000 people over 5 years").
    pub fn of(results: &[Evppi], k: usize, multiplier: f64, what: &str, currency: &str) -> EvppiChart {
        let currency = currency_prefix(currency).trim().to_string();
        let mut rows: Vec<(String, f64)> = (results.iter())
            .filter_map(|e| Some((e.parameters.join(" + "), e.evppi.get(k)? * multiplier)))
            .collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
        let all = rows.len();
        rows.truncate(Self::MOST_ROWS);
        let wtp = results.first().and_then(|e| e.wtp.get(k)).copied().unwrap_or_default();
        let evpi = results.first().and_then(|e| e.evpi.get(k)).copied().unwrap_or_default() * multiplier;
        EvppiChart {
            title: Self::TITLE.into(),
            subtitle: vec![
                format!(
                    "What learning each parameter (or group, joined by +) for certain would be worth at {currency}{} per QALY",
                    super::draw::thousands(wtp)
                ),
                "Regression estimates (Strong, Oakley & Brennan 2014); dashed line: EVPI, the value of learning everything"
                    .into(),
            ]
            .into_iter()
            .chain((all > Self::MOST_ROWS).then(|| {
                format!(
                    "The {} largest of {all}; cost-effectiveness.csv has every one",
                    Self::MOST_ROWS
                )
            }))
            .collect(),
            axis: format!("EVPPI, {currency} {what}").trim_end().to_string(),
            currency,
            rows,
            evpi,
        }
    }
}

macro_rules! picture {
    ($type:ty, $draw:path, $name:literal) => {
        impl Picture for $type {
            fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, plotters::coord::Shift>) -> DrawResult<DB> {
                $draw(root, self)
            }

            fn name(&self) -> String {
                $name.into()
            }
        }

        impl $type {
            pub fn svg(&self) -> Result<String, ChartError> {
                svg_of(self)
            }

            pub fn write_png(&self, path: &Path) -> Result<(), ChartError> {
                png_of(self, path)
            }
        }
    };
}

picture!(CePlaneChart, super::draw::ce_plane, "the cost-effectiveness plane");
picture!(CeacChart, super::draw::ceac, "the acceptability curves");
picture!(EvppiChart, super::draw::evppi, "the EVPPI chart");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::style;
    use crate::economics::{DEFAULT_THRESHOLDS, Parameters, acceptability, default_grid, evppi};

    fn psa() -> (Psa, Parameters) {
        // Two parameters on a fixed low-discrepancy sequence.
        let n = 400;
        let theta: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                vec![
                    (i as f64 * 0.618_034).fract() - 0.5,
                    (i as f64 * 0.754_878).fract() - 0.5,
                ]
            })
            .collect();
        let costs: Vec<Vec<f64>> = (theta.iter())
            .map(|t| vec![0.0, 2_000.0 + 1_000.0 * t[1], 4_500.0 + 800.0 * t[0]])
            .collect();
        let effects: Vec<Vec<f64>> = (theta.iter())
            .map(|t| vec![0.0, 0.1 + 0.1 * t[0], 0.16 + 0.05 * t[1]])
            .collect();
        let names = vec![
            "do-nothing".into(),
            "falls-and-reablement".into(),
            "community-navigators".into(),
        ];
        (
            Psa::new(names, &costs, &effects).unwrap(),
            Parameters::new(vec!["relative risk".into(), "unit cost".into()], &theta).unwrap(),
        )
    }

    fn has_colour(svg: &str, colour: RGBColor) -> bool {
        svg.to_lowercase().contains(&style::hex(colour))
    }

    #[test]
    fn each_chart_renders_to_svg_with_its_titles_and_the_strategies_colours() {
        let (psa, parameters) = psa();
        let colours = style::future_colours(&["do-nothing", "falls-and-reablement", "community-navigators"]);
        let plane = CePlaneChart::of(&psa, 20_000.0, "GBP").svg().unwrap();
        assert!(plane.contains(CePlaneChart::TITLE) && plane.contains("Incremental QALYs"));
        assert!(plane.contains("£20,000 per QALY") && plane.contains("falls-and-reablement"));
        assert!(colours.iter().all(|&c| has_colour(&plane, c)));
        let a = acceptability(&psa, &default_grid());
        let ceac = CeacChart::of(psa.names(), a, &DEFAULT_THRESHOLDS, "GBP").svg().unwrap();
        assert!(ceac.contains(CeacChart::TITLE) && ceac.contains("Willingness to pay"));
        assert!(ceac.contains("community-navigators") && ceac.contains("frontier"));
        assert!(colours.iter().all(|&c| has_colour(&ceac, c)));
        let results: Vec<Evppi> = [&["relative risk"][..], &["unit cost"], &["relative risk", "unit cost"]]
            .iter()
            .map(|g| evppi(&psa, &parameters, g, &DEFAULT_THRESHOLDS).unwrap())
            .collect();
        let chart = EvppiChart::of(&results, 0, 1.0, "per person", "GBP");
        assert_eq!(chart.rows[0].0, "relative risk + unit cost");
        let bars = chart.svg().unwrap();
        assert!(bars.contains(EvppiChart::TITLE) && bars.contains("EVPPI, £ per person"));
        assert!(bars.contains("relative risk + unit cost") && bars.contains("EVPI: £"));
        assert!(has_colour(&bars, style::series(0)));
    }

    #[test]
    fn charts_with_nothing_to_show_still_render() {
        let one = Psa::new(vec!["do-nothing".into()], &[vec![1.0]], &[vec![0.5]]).unwrap();
        assert!(CePlaneChart::of(&one, 30_000.0, "£").svg().is_ok());
        let a = acceptability(&one, &[0.0, 10_000.0]);
        assert!(CeacChart::of(one.names(), a, &[], "£").svg().is_ok());
        assert!(EvppiChart::of(&[], 0, 1.0, "per person", "£").svg().is_ok());
    }

    #[test]
    fn the_evppi_chart_shows_the_largest_and_says_how_many_it_leaves_out() {
        let input = |n: usize| Evppi {
            parameters: vec![format!("input {n}")],
            wtp: vec![20_000.0],
            evppi: vec![n as f64],
            estimate: vec![n as f64],
            evpi: vec![100.0],
            fits: Vec::new(),
            basis: 0,
        };
        let many: Vec<Evppi> = (0..40).map(input).collect();
        let chart = EvppiChart::of(&many, 0, 1.0, "per person", "£");
        assert_eq!(chart.rows.len(), EvppiChart::MOST_ROWS);
        assert_eq!(chart.rows[0], ("input 39".to_string(), 39.0));
        assert_eq!(chart.rows[EvppiChart::MOST_ROWS - 1].1, 15.0);
        assert!(chart.subtitle.iter().any(|l| l.contains("The 25 largest of 40")));
        assert!(chart.svg().unwrap().contains("The 25 largest of 40"));
        let few = EvppiChart::of(&many[..3], 0, 1.0, "per person", "£");
        assert_eq!(few.rows.len(), 3);
        assert_eq!(few.subtitle.len(), 2);
    }
}
