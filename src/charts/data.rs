//! `Figures`: the numbers the charts, the report and the workbook show, taken
//! once from a run's accounts, comparisons and (when there were draws) its
//! Monte Carlo statistics. Series are per simulated year.

use crate::engine::{Figure, PlaceFigure};
use crate::format::currency_prefix;
use crate::model::Model;
use crate::montecarlo;
use crate::results::rows::visit_summary;
use crate::results::{Accounts, Comparison};
use std::collections::HashMap;

/// A range over the draws, per year (or a single value for whole-horizon figures).
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    pub low: Vec<f64>,
    pub high: Vec<f64>,
}

/// A series at the inputs' means with, when the run had draws, its outer
/// (e.g. P5–P95) and inner (P25–P75) ranges.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Uncertain {
    pub value: Vec<f64>,
    pub outer: Option<Interval>,
    pub inner: Option<Interval>,
}

/// One funder's discounted totals over the horizon in one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct FunderFigures {
    pub name: String,
    pub investment: f64,
    pub gross_saving: f64,
    pub npv: f64,
    /// The NPV's outer range over the draws.
    pub npv_range: Option<(f64, f64)>,
    /// Discounted capacity released at its services (valued at unit cost,
    /// not cash); `None` without capacities.
    pub capacity_released: Option<f64>,
}

/// A scenario against the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioFigures {
    /// People in each level minus the baseline's, per level.
    pub diff_level: Vec<Uncertain>,
    /// Acute and preventative spend minus the baseline's, per year.
    pub diff_acute: Uncertain,
    pub diff_preventative: Uncertain,
    pub net_cumulative_discounted: Uncertain,
    pub npv: f64,
    pub npv_range: Option<(f64, f64)>,
    pub discounted_investment: f64,
    /// The cashable saving: spend that falls, discounted.
    pub discounted_gross_saving: f64,
    /// Discounted capacity released: the fall in demand a full service
    /// could not have served, at unit cost; `None` without capacities.
    pub discounted_capacity_released: Option<f64>,
    pub return_per_pound: Option<f64>,
    pub break_even_year: Option<i32>,
    /// Share of draws that have broken even by each year.
    pub prob_break_even: Option<Vec<f64>>,
    pub funders: Vec<FunderFigures>,
}

/// One future (the baseline or a scenario).
#[derive(Debug, Clone, PartialEq)]
pub struct FutureFigures {
    /// What it is called (the scenario's title).
    pub name: String,
    /// The scenario's name in the file (its colour is chosen by it).
    pub key: String,
    /// People at the end of each year, `[level][year]`.
    pub people_level: Vec<Vec<f64>>,
    /// People at the end of each year, `[band][year]`.
    pub people_band: Vec<Vec<f64>>,
    pub spend_acute: Uncertain,
    pub spend_preventative: Uncertain,
    /// What a reader must know before trusting this future's figures: each
    /// intervention of its plan applied to a band beyond the ages its
    /// evidence covers (empty for most).
    pub cautions: Vec<String>,
    /// `None` for the baseline.
    pub comparison: Option<ScenarioFigures>,
}

/// Everything the charts and the report draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub model_name: String,
    /// The currency's sign (`£`) or code and a space.
    pub currency: String,
    pub price_base_year: i32,
    pub discount_rate: f64,
    pub years: Vec<i32>,
    pub levels: Vec<String>,
    pub bands: Vec<String>,
    pub funders: Vec<String>,
    /// `futures[0]` is the baseline.
    pub futures: Vec<FutureFigures>,
    pub draws: u32,
    pub seed: Option<u64>,
    /// The percentiles of the outer and inner ranges, e.g. `(5, 95)`.
    pub outer_percentiles: Option<(f64, f64)>,
    pub inner_percentiles: Option<(f64, f64)>,
    /// The services with a capacity, in the model's order (empty without
    /// capacities: then no supply chart, sheet or section is made).
    pub supply: Vec<ServiceSupply>,
    /// The levels with places, in the file's order (empty without).
    pub places: Vec<LevelSupply>,
}

/// Each intervention of `plan` that reaches a band beyond the ages its
/// evidence covers, in words.
fn cautions(model: &Model, plan: &[usize]) -> Vec<String> {
    plan.iter()
        .filter_map(|&i| {
            let intervention = &model.interventions[i];
            let window = intervention.evidence_ages?;
            let beyond: Vec<String> = intervention
                .target_bands
                .iter()
                .filter_map(|&b| {
                    let band = &model.bands[b];
                    window.beyond(band).map(|p| format!("band {}, which {p}", band.name))
                })
                .collect();
            (!beyond.is_empty()).then(|| {
                format!(
                    "{} is applied to {} its evidence covers: its effect there is an assumption the evidence does not support",
                    intervention.name,
                    beyond.join(" and ")
                )
            })
        })
        .collect()
}

/// A level with places, in each future.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelSupply {
    pub name: String,
    /// Per future, in the order of `Figures::futures`.
    pub futures: Vec<LevelFuture>,
}

/// One level with places in one future, per year.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelFuture {
    pub places: Vec<f64>,
    /// People in the level at the year end.
    pub occupied: Vec<f64>,
    /// People waiting for a place at the year end.
    pub waiting: Vec<f64>,
    /// By Little's law (none when nobody joined the queue but some wait).
    pub mean_wait_weeks: Vec<Option<f64>>,
    /// The first year it is full, at the inputs' means.
    pub first_full: Option<i32>,
    /// With draws: the share of draws in which it has been full by each year.
    pub prob_full_by: Option<Vec<f64>>,
}

/// A service with a capacity, in each future. Activity is in the
/// service's own unit (placements, hours, contacts) a year.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSupply {
    pub name: String,
    /// Whether some of its unmet demand waits (it keeps a waiting list).
    pub waits: bool,
    pub target_wait_weeks: Option<f64>,
    /// Per future, in the order of `Figures::futures`.
    pub futures: Vec<ServiceFuture>,
}

/// One service in one future, per year.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceFuture {
    pub capacity: Vec<f64>,
    /// New demand, diversions to it included, with its ranges over the draws.
    pub demand: Uncertain,
    /// On the waiting list at the end of the year (zeros when it does not wait).
    pub waiting_list: Uncertain,
    /// By Little's law (none when nothing was served).
    pub mean_wait_weeks: Vec<Option<f64>>,
    /// Of the list at the end of the year, the share waiting longer than the target.
    pub share_over_target: Vec<f64>,
    /// The first year demand exceeds capacity, at the inputs' means.
    pub first_over_capacity: Option<i32>,
    /// With draws: the share of draws in which demand has exceeded
    /// capacity by each year.
    pub prob_over_capacity_by: Option<Vec<f64>>,
}

/// A summary row: (future, year (None = whole horizon), metric).
type RowName<'a> = (usize, Option<i32>, &'a str);

/// Where each summary row's statistics sit.
struct Stats<'a> {
    summary: &'a montecarlo::Summary,
    index: HashMap<(usize, Option<i32>, String), usize>,
    outer: Option<(usize, usize)>,
    inner: Option<(usize, usize)>,
}

impl Stats<'_> {
    fn percentile(&self, key: RowName, k: usize) -> Option<f64> {
        let r = *self.index.get(&(key.0, key.1, key.2.to_string()))?;
        self.summary.rows[r].percentiles[k]
    }

    fn interval(&self, future: usize, years: &[i32], metric: &str, ks: Option<(usize, usize)>) -> Option<Interval> {
        let (lo, hi) = ks?;
        let mut interval = Interval {
            low: Vec::with_capacity(years.len()),
            high: Vec::with_capacity(years.len()),
        };
        for &y in years {
            interval.low.push(self.percentile((future, Some(y), metric), lo)?);
            interval.high.push(self.percentile((future, Some(y), metric), hi)?);
        }
        Some(interval)
    }

    fn mean(&self, key: RowName) -> Option<f64> {
        let r = *self.index.get(&(key.0, key.1, key.2.to_string()))?;
        self.summary.rows[r].mean
    }

    fn horizon_range(&self, future: usize, metric: &str) -> Option<(f64, f64)> {
        let (lo, hi) = self.outer?;
        Some((
            self.percentile((future, None, metric), lo)?,
            self.percentile((future, None, metric), hi)?,
        ))
    }
}

/// The outer range: P5–P95 when both were asked for, else the widest pair
/// around the median; the inner: P25–P75 when asked for.
/// Indices of a low and a high percentile.
type Pair = Option<(usize, usize)>;

fn ranges(percentiles: &[f64]) -> (Pair, Pair) {
    let at = |p: f64| percentiles.iter().position(|&q| q == p);
    let outer = match (at(5.0), at(95.0)) {
        (Some(lo), Some(hi)) => Some((lo, hi)),
        _ => {
            let lo = percentiles.iter().position(|&p| p < 50.0);
            let hi = percentiles.iter().rposition(|&p| p > 50.0);
            lo.zip(hi)
        }
    };
    let inner = at(25.0).zip(at(75.0)).filter(|&inner| Some(inner) != outer);
    (outer, inner)
}

impl Figures {
    /// Future `f`'s colour on every chart (see [`super::style::future_colours`]).
    pub fn colour(&self, f: usize) -> plotters::style::RGBColor {
        let names: Vec<&str> = self.futures.iter().map(|x| x.key.as_str()).collect();
        super::style::future_colours(&names)[f]
    }

    /// Whether `Figures::new` reads the Monte Carlo statistics of `metric`
    /// (so a run for figures alone may skip the others': see
    /// `montecarlo::Rows::Chosen`).
    pub fn reads(metric: &str) -> bool {
        matches!(
            metric,
            "spend_acute"
                | "spend_preventative"
                | "diff_spend_acute"
                | "diff_spend_preventative"
                | "npv"
                | "break_even_year"
                | "net_saving_cumulative_discounted"
        ) || metric.starts_with("diff_people_level:")
            || metric.starts_with("npv_funder:")
    }

    /// How many of the summary rows of a run of `model` with `scenarios`
    /// scenarios (and the baseline) [`Figures::reads`] accepts, without
    /// running it: each future's acute and preventative spend per year;
    /// each scenario's difference in people per need level, in acute and
    /// in preventative spend, and its cumulative discounted net saving per
    /// year; and each scenario's NPV,
    /// its NPV per funder and its break-even year. (A server sizes a run's
    /// memory by it before admitting the run.)
    pub fn rows_read(model: &Model, scenarios: usize) -> usize {
        let years = model.years().count();
        let futures = scenarios + 1;
        years * (2 * futures + scenarios * (model.levels.len() + 3)) + scenarios * (2 + model.funders.len())
    }

    pub fn new(
        model: &Model,
        accounts: &[Accounts],
        comparisons: &[Comparison],
        monte_carlo: Option<&montecarlo::Summary>,
    ) -> Figures {
        let stats = monte_carlo.map(|summary| {
            let mut index = HashMap::new();
            let mut r = 0;
            visit_summary(model, accounts, comparisons, &mut |future, year, name, _| {
                index.insert((future, year, name()), r);
                r += 1;
            });
            let (outer, inner) = ranges(&summary.percentiles);
            Stats {
                summary,
                index,
                outer,
                inner,
            }
        });
        let years = accounts[0].years.clone();
        let uncertain = |f: usize, value: Vec<f64>, metric: &str| Uncertain {
            outer: stats.as_ref().and_then(|s| s.interval(f, &years, metric, s.outer)),
            inner: stats.as_ref().and_then(|s| s.interval(f, &years, metric, s.inner)),
            value,
        };
        let columns = |rows: usize, width: usize, cell: &dyn Fn(usize, usize) -> f64| -> Vec<Vec<f64>> {
            (0..width).map(|c| (0..rows).map(|t| cell(t, c)).collect()).collect()
        };
        let nt = years.len();
        let released =
            |s: &crate::results::Savings| (!s.capacity_released.is_empty()).then_some(s.discounted_capacity_released);
        let futures = accounts
            .iter()
            .enumerate()
            .map(|(f, a)| {
                let comparison = f.checked_sub(1).map(|i| {
                    let c = &comparisons[i];
                    let diff_level = (model.output_levels.iter())
                        .map(|level| {
                            let value = (0..nt)
                                .map(|t| level.sum(&a.people_level[t]) - level.sum(&accounts[0].people_level[t]))
                                .collect();
                            uncertain(f, value, &format!("diff_people_level:{}", level.name))
                        })
                        .collect();
                    let prob_break_even = monte_carlo.map(|mc| {
                        years
                            .iter()
                            .map(|&y| {
                                mc.probabilities
                                    .iter()
                                    .find(|p| p.future == f && p.year == y && p.metric == "prob_break_even_by_year")
                                    .map_or(0.0, |p| p.value)
                            })
                            .collect()
                    });
                    let range = |metric: &str| stats.as_ref().and_then(|s| s.horizon_range(f, metric));
                    let funders = model
                        .funders
                        .iter()
                        .zip(&c.by_funder)
                        .map(|(name, s)| FunderFigures {
                            name: name.clone(),
                            investment: s.discounted_investment,
                            gross_saving: s.discounted_gross_saving,
                            npv: s.npv,
                            npv_range: range(&format!("npv_funder:{name}")),
                            capacity_released: released(s),
                        })
                        .collect();
                    let diff = |mine: &[f64], theirs: &[f64], metric: &str| {
                        uncertain(f, mine.iter().zip(theirs).map(|(a, b)| a - b).collect(), metric)
                    };
                    ScenarioFigures {
                        diff_level,
                        diff_acute: diff(&a.spend_acute, &accounts[0].spend_acute, "diff_spend_acute"),
                        diff_preventative: diff(
                            &a.spend_preventative,
                            &accounts[0].spend_preventative,
                            "diff_spend_preventative",
                        ),
                        net_cumulative_discounted: uncertain(
                            f,
                            c.total.net_saving_cumulative_discounted.clone(),
                            "net_saving_cumulative_discounted",
                        ),
                        npv: c.total.npv,
                        npv_range: range("npv"),
                        discounted_investment: c.total.discounted_investment,
                        discounted_gross_saving: c.total.discounted_gross_saving,
                        discounted_capacity_released: released(&c.total),
                        return_per_pound: c.total.return_per_pound(),
                        break_even_year: c.total.break_even_year,
                        prob_break_even,
                        funders,
                    }
                });
                FutureFigures {
                    // Its title, where the file gives one.
                    name: model
                        .scenarios
                        .iter()
                        .find(|s| s.name == a.scenario)
                        .map_or_else(|| a.scenario.clone(), |s| s.title.clone()),
                    key: a.scenario.clone(),
                    people_level: columns(nt, model.output_levels.len(), &|t, l| {
                        model.output_levels[l].sum(&a.people_level[t])
                    }),
                    people_band: columns(nt, model.bands.len(), &|t, b| a.people_band[t][b]),
                    spend_acute: uncertain(f, a.spend_acute.clone(), "spend_acute"),
                    spend_preventative: uncertain(f, a.spend_preventative.clone(), "spend_preventative"),
                    cautions: cautions(model, &a.plan),
                    comparison,
                }
            })
            .collect();
        let supply = supply(model, accounts, &uncertain, &|key| {
            stats.as_ref().and_then(|s| s.mean(key))
        });
        let places = places(model, accounts, &|key| stats.as_ref().and_then(|s| s.mean(key)));
        let percentile_pair = |ks: Option<(usize, usize)>| {
            let mc = monte_carlo?;
            ks.map(|(lo, hi)| (mc.percentiles[lo], mc.percentiles[hi]))
        };
        Figures {
            model_name: model.name.clone(),
            currency: currency_prefix(&model.currency),
            price_base_year: model.price_base_year,
            discount_rate: model.discount_rate,
            years,
            levels: model.output_levels.iter().map(|l| l.name.clone()).collect(),
            bands: model.bands.iter().map(|b| b.name.clone()).collect(),
            funders: model.funders.clone(),
            futures,
            draws: monte_carlo.map_or(0, |mc| mc.draws),
            seed: monte_carlo.map(|mc| mc.seed),
            outer_percentiles: percentile_pair(stats.as_ref().and_then(|s| s.outer)),
            inner_percentiles: percentile_pair(stats.as_ref().and_then(|s| s.inner)),
            supply,
            places,
        }
    }

    /// The title of the future named `key` in the file (`key` itself when
    /// no future has that name).
    pub fn title<'a>(&'a self, key: &'a str) -> &'a str {
        self.futures
            .iter()
            .find(|x| x.key == key)
            .map_or(key, |x| x.name.as_str())
    }

    pub fn baseline(&self) -> &FutureFigures {
        &self.futures[0]
    }

    pub fn last_year(&self) -> i32 {
        self.years.last().copied().unwrap_or_default()
    }

    /// `P5–P95`, or whichever outer range the run reported.
    pub fn outer_label(&self) -> Option<String> {
        self.outer_percentiles.map(|(lo, hi)| format!("P{lo}–P{hi}"))
    }

    pub fn inner_label(&self) -> Option<String> {
        self.inner_percentiles.map(|(lo, hi)| format!("P{lo}–P{hi}"))
    }
}

/// Each level with places in each future (none without); `mean` reads a
/// row's mean over the draws.
fn places(model: &Model, accounts: &[Accounts], mean: &dyn Fn(RowName) -> Option<f64>) -> Vec<LevelSupply> {
    if !accounts[0].supply.places_on() {
        return Vec::new();
    }
    let years = &accounts[0].years;
    let nt = years.len();
    (model.places.iter().enumerate())
        .map(|(i, limit)| {
            let name = &model.levels[limit.level];
            let futures = (accounts.iter().enumerate())
                .map(|(f, a)| {
                    let a = &a.supply;
                    let series = |which: PlaceFigure| (0..nt).map(|t| a.place(t, i, which)).collect::<Vec<f64>>();
                    let by_year = format!("full_by:{name}");
                    LevelFuture {
                        places: series(PlaceFigure::Places),
                        occupied: series(PlaceFigure::Occupied),
                        waiting: series(PlaceFigure::WaitingEnd),
                        mean_wait_weeks: (0..nt).map(|t| a.place_mean_wait_weeks(t, i)).collect(),
                        first_full: a.first_full(i).map(|t| years[t]),
                        prob_full_by: years.iter().map(|&y| mean((f, Some(y), by_year.as_str()))).collect(),
                    }
                })
                .collect();
            LevelSupply {
                name: name.clone(),
                futures,
            }
        })
        .collect()
}

/// Each service with a capacity in each future (none when the accounts
/// have no supply figures); `uncertain` adds a row's ranges over the
/// draws, `mean` reads a row's mean over the draws.
fn supply(
    model: &Model,
    accounts: &[Accounts],
    uncertain: &dyn Fn(usize, Vec<f64>, &str) -> Uncertain,
    mean: &dyn Fn(RowName) -> Option<f64>,
) -> Vec<ServiceSupply> {
    if !accounts[0].supply.is_on() {
        return Vec::new();
    }
    let years = &accounts[0].years;
    let nt = years.len();
    model
        .services
        .iter()
        .enumerate()
        .filter_map(|(s, service)| {
            let capacity = service.capacity.as_ref()?;
            let name = &service.name;
            let waits = capacity.wait > 0.0;
            let futures = accounts
                .iter()
                .enumerate()
                .map(|(f, a)| {
                    let a = &a.supply;
                    let series = |which: Figure| (0..nt).map(|t| a.figure(t, s, which)).collect::<Vec<f64>>();
                    let waiting_list = if waits {
                        uncertain(f, series(Figure::ListEnd), &format!("waiting_list:{name}"))
                    } else {
                        Uncertain {
                            value: vec![0.0; nt],
                            ..Uncertain::default()
                        }
                    };
                    let by_year = format!("over_capacity_by:{name}");
                    let prob_over_capacity_by: Option<Vec<f64>> =
                        years.iter().map(|&y| mean((f, Some(y), by_year.as_str()))).collect();
                    ServiceFuture {
                        capacity: series(Figure::Capacity),
                        demand: uncertain(f, series(Figure::Demand), &format!("demand:{name}")),
                        waiting_list,
                        mean_wait_weeks: (0..nt).map(|t| a.mean_wait_weeks(t, s)).collect(),
                        share_over_target: (0..nt).map(|t| a.share_over_target(t, s)).collect(),
                        first_over_capacity: a.first_over_capacity(s).map(|t| years[t]),
                        prob_over_capacity_by,
                    }
                })
                .collect();
            Some(ServiceSupply {
                name: name.clone(),
                waits,
                target_wait_weeks: capacity.target_wait_weeks,
                futures,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_prefer_p5_p95_and_p25_p75() {
        assert_eq!(ranges(&[5.0, 25.0, 50.0, 75.0, 95.0]), (Some((0, 4)), Some((1, 3))));
        assert_eq!(ranges(&[10.0, 50.0, 90.0]), (Some((0, 2)), None));
        assert_eq!(ranges(&[25.0, 75.0]), (Some((0, 1)), None));
        assert_eq!(ranges(&[50.0]), (None, None));
        assert_eq!(ranges(&[2.5, 5.0, 95.0, 97.5]), (Some((1, 2)), None));
    }
}
