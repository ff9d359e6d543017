//! `summary.csv` (tidy: scenario, year, metric, stat, value) and `detail.csv`
//! (band × level stocks and flows). Column and metric names are stable and
//! documented in the README.

use super::{AreaResults, RunOutput};
use crate::model::{Model, OutputLevel};
use crate::results::rows::visit_summary;
use crate::results::{Accounts, Comparison};
use crate::run::Future;
use std::io;
use std::path::Path;

pub const SUMMARY_HEADER: [&str; 5] = ["scenario", "year", "metric", "stat", "value"];

pub const DETAIL_HEADER: [&str; 15] = [
    "scenario",
    "year",
    "band",
    "level",
    "people_start",
    "people_end",
    "person_years",
    "entries",
    "exits",
    "aged_out",
    "ageing_in",
    "ageing_out",
    "moved_in",
    "moved_out",
    "migration",
];

/// One row of `summary.csv`. `year` is `None` for whole-horizon metrics
/// (written `all`); `value` is `None` when there is no value (written empty),
/// e.g. a break-even year that never comes.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub scenario: String,
    pub year: Option<i32>,
    pub metric: String,
    pub value: Option<f64>,
}

/// Every summary row of a set of futures, in a fixed order: by future, then
/// year, then metric.
pub fn summary_rows_of(model: &Model, accounts: &[Accounts], comparisons: &[Comparison]) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    visit_summary(model, accounts, comparisons, &mut |future, year, name, value| {
        rows.push(SummaryRow {
            scenario: accounts[future].scenario.clone(),
            year,
            metric: name(),
            value,
        })
    });
    rows
}

/// `x` rounded to `digits` significant digits.
pub(crate) fn significant(x: f64, digits: usize) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{:.*e}", digits - 1, x).parse().unwrap_or(x)
}

/// `number(significant(x, digits))`, written straight from the rounded
/// digits (`digits` ≤ 15): distinct decimals of 15 or fewer significant
/// digits are distinct doubles, so the shortest text of the rounded number is
/// its digits without trailing zeros, placed by the exponent. Numbers near
/// the ends of the double range (where that may not hold) take the long way.
pub(crate) fn significant_text(x: f64, digits: usize) -> String {
    if x == 0.0 || !x.is_finite() || !(1e-290..1e290).contains(&x.abs()) || !(1..=15).contains(&digits) {
        return number(significant(x, digits));
    }
    let scientific = format!("{:.*e}", digits - 1, x);
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return number(significant(x, digits));
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return number(significant(x, digits));
    };
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let all: String = mantissa.chars().filter(|c| *c != '.').collect();
    let figures = all.trim_end_matches('0');
    let mut text = String::with_capacity(figures.len() + 24);
    text.push_str(sign);
    if exponent >= 0 {
        // The whole part has `exponent + 1` digits.
        let whole = exponent as usize + 1;
        if figures.len() <= whole {
            text.push_str(figures);
            text.extend(std::iter::repeat_n('0', whole - figures.len()));
        } else {
            text.push_str(&figures[..whole]);
            text.push('.');
            text.push_str(&figures[whole..]);
        }
    } else {
        text.push_str("0.");
        text.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
        text.push_str(figures);
    }
    text
}

/// Shortest text that reads back as the same number (deterministic).
pub(crate) fn number(x: f64) -> String {
    if x == 0.0 { "0".into() } else { format!("{x}") }
}

/// Every summary row of a run (the whole model's).
pub fn summary_rows(output: &RunOutput) -> Vec<SummaryRow> {
    summary_rows_of(output.model, &output.accounts, &output.comparisons)
}

/// Writes `summary.csv`: one `value` row per scenario × year × metric; a run
/// with draws adds `mean`, `sd` and the percentiles (`p5`, …) of each metric
/// over the draws, and the probability metrics. A model with areas has an
/// `area` column first and the rows of every area, parent and `all`.
pub fn write_summary(path: &Path, output: &RunOutput) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    if output.areas.is_empty() {
        w.write_record(SUMMARY_HEADER)?;
        summary_block(
            &mut w,
            None,
            output.model,
            &output.accounts,
            &output.comparisons,
            output.monte_carlo.as_ref(),
        )?;
    } else {
        let mut header = vec!["area"];
        header.extend(SUMMARY_HEADER);
        w.write_record(&header)?;
        for a in &output.areas {
            summary_block(
                &mut w,
                Some(&a.label),
                output.model,
                &a.accounts,
                &a.comparisons,
                a.monte_carlo.as_ref(),
            )?;
        }
    }
    w.flush()
}

fn summary_block(
    w: &mut csv::Writer<std::fs::File>,
    area: Option<&str>,
    model: &Model,
    accounts: &[Accounts],
    comparisons: &[Comparison],
    mc: Option<&crate::montecarlo::Summary>,
) -> io::Result<()> {
    let rows = summary_rows_of(model, accounts, comparisons);
    let optional = |v: Option<f64>| v.map(number).unwrap_or_default();
    // Per-draw values are kept in single precision: say no more than that.
    let statistic = |v: Option<f64>| v.map(|x| significant_text(x, 7)).unwrap_or_default();
    let stat_names: Vec<String> = mc
        .map(|mc| mc.percentiles.iter().map(|p| format!("p{}", number(*p))).collect())
        .unwrap_or_default();
    let mut record = |fields: [&str; 5]| -> io::Result<()> {
        match area {
            None => w.write_record(fields),
            Some(a) => w.write_record(std::iter::once(a).chain(fields)),
        }
        .map_err(io::Error::from)
    };
    for (r, row) in rows.iter().enumerate() {
        let year = row.year.map_or_else(|| "all".to_string(), |y| y.to_string());
        record([row.scenario.as_str(), &year, &row.metric, "value", &optional(row.value)])?;
        if let Some(mc) = mc {
            let stats = &mc.rows[r];
            record([
                row.scenario.as_str(),
                &year,
                &row.metric,
                "mean",
                &statistic(stats.mean),
            ])?;
            record([row.scenario.as_str(), &year, &row.metric, "sd", &statistic(stats.sd)])?;
            for (name, value) in stat_names.iter().zip(&stats.percentiles) {
                record([row.scenario.as_str(), &year, &row.metric, name, &statistic(*value)])?;
            }
        }
    }
    if let Some(mc) = mc {
        for p in &mc.probabilities {
            let scenario = &accounts[p.future].scenario;
            record([scenario, &p.year.to_string(), &p.metric, "value", &number(p.value)])?;
        }
    }
    Ok(())
}

/// `areas.csv`: per area and roll-up, the pressure (do-nothing acute spend
/// in the first and last year, and its growth) and each scenario's NPV,
/// with ranks among the areas.
pub fn write_areas(path: &Path, output: &RunOutput) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    let scenarios: Vec<&str> = output.accounts[1..].iter().map(|a| a.scenario.as_str()).collect();
    let mut header: Vec<String> = [
        "area",
        "name",
        "parent",
        "kind",
        "people_start",
        "people_end",
        "acute_spend_first_year",
        "acute_spend_last_year",
        "acute_spend_growth",
        "pressure_rank",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for s in &scenarios {
        header.push(format!("npv:{s}"));
        header.push(format!("npv_rank:{s}"));
    }
    w.write_record(&header)?;
    let growth = |a: &AreaResults| {
        let b = &a.accounts[0];
        let first = b.spend_acute[0];
        let last = b.spend_acute[b.spend_acute.len() - 1];
        if first > 0.0 { last / first - 1.0 } else { f64::NAN }
    };
    let areas: Vec<&AreaResults> = output.areas.iter().filter(|a| a.is_area).collect();
    // Rank 1 = most pressure, or the largest NPV.
    let rank = |value: &dyn Fn(&AreaResults) -> f64, a: &AreaResults| -> usize {
        1 + areas.iter().filter(|b| value(b) > value(a)).count()
    };
    for a in &output.areas {
        let b = &a.accounts[0];
        let mut record = vec![
            a.label.clone(),
            a.name.clone(),
            a.parent.clone().unwrap_or_default(),
            if a.is_area {
                "area"
            } else if a.label == crate::results::ALL_AREAS {
                "all"
            } else {
                "parent"
            }
            .to_string(),
            number(a.people_start),
            number(*b.people_total.last().unwrap_or(&0.0)),
            number(b.spend_acute[0]),
            number(*b.spend_acute.last().unwrap_or(&0.0)),
            number(growth(a)),
            if a.is_area {
                rank(&growth, a).to_string()
            } else {
                String::new()
            },
        ];
        for (k, _) in scenarios.iter().enumerate() {
            let npv = |x: &AreaResults| x.comparisons[k].total.npv;
            record.push(number(npv(a)));
            record.push(if a.is_area {
                rank(&npv, a).to_string()
            } else {
                String::new()
            });
        }
        w.write_record(&record)?;
    }
    w.flush()
}

/// Writes `draws.csv`: one row per draw with the sampled value of every
/// uncertain parameter and each scenario's NPV, return per £1 and
/// break-even year (empty when it never breaks even).
pub fn write_draws(path: &Path, output: &RunOutput, mc: &crate::montecarlo::Summary) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    let mut header = vec!["draw".to_string()];
    header.extend(output.parameter_labels.iter().map(|l| format!("param:{l}")));
    for a in &output.accounts[1..] {
        for metric in ["npv", "return_per_pound", "break_even_year"] {
            header.push(format!("{}:{metric}", a.scenario));
        }
    }
    w.write_record(&header)?;
    let cell = |x: f64| if x.is_nan() { String::new() } else { number(x) };
    for (d, record) in mc.records.iter().enumerate() {
        let mut row = vec![d.to_string()];
        row.extend(record.parameters.iter().map(|&x| cell(x)));
        for h in &record.headline {
            row.extend(h.iter().map(|&x| cell(x)));
        }
        w.write_record(&row)?;
    }
    w.flush()
}

/// `detail.csv`; with areas, an `area` column first and every area's rows.
pub fn write_detail(path: &Path, model: &Model, detail: &[(Option<&str>, &[Future])]) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    let with_area = detail.iter().any(|(a, _)| a.is_some());
    if with_area {
        w.write_record(std::iter::once("area").chain(DETAIL_HEADER))?;
    } else {
        w.write_record(DETAIL_HEADER)?;
    }
    for (area, futures) in detail {
        for f in futures.iter() {
            for y in &f.trajectory.years {
                let year = y.year.to_string();
                for b in 0..model.bands.len() {
                    for level in &model.output_levels {
                        let values = detail_values(model, y, b, level);
                        let mut record = Vec::with_capacity(16);
                        if let Some(a) = area {
                            record.push(a.to_string());
                        }
                        record.extend([
                            f.name.clone(),
                            year.clone(),
                            model.bands[b].name.clone(),
                            level.name.clone(),
                        ]);
                        record.extend(values.into_iter().map(number));
                        w.write_record(&record)?;
                    }
                }
            }
        }
    }
    w.flush()
}

/// A `detail.csv` row's figures of band `b` and `level` as the outputs show
/// it: a level with tunnels as a whole, its tunnels' figures summed and its
/// people moving on from one tunnel to the next not counted as moves in or
/// out of it.
fn detail_values(model: &Model, y: &crate::engine::YearResult, b: usize, level: &OutputLevel) -> [f64; 11] {
    let nl = model.levels.len();
    let of = |field: &[f64]| level.sum(&field[b * nl..(b + 1) * nl]);
    let within = if level.levels.len() == 1 {
        0.0
    } else {
        let tunnels = level.levels.clone();
        (tunnels.clone())
            .flat_map(|f| tunnels.clone().filter(move |&t| t != f).map(move |t| (f, t)))
            .map(|(f, t)| y.flows[(b * nl + f) * nl + t])
            .sum()
    };
    let moved = |field: &[f64]| {
        if level.levels.len() == 1 {
            of(field)
        } else {
            of(field) - within
        }
    };
    [
        of(&y.people_start),
        of(&y.people_end),
        of(&y.person_years),
        of(&y.entries),
        of(&y.exits),
        of(&y.aged_out),
        of(&y.ageing_in),
        of(&y.ageing_out),
        moved(&y.moved_in),
        moved(&y.moved_out),
        of(&y.migration),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slow(x: f64, digits: usize) -> String {
        number(significant(x, digits))
    }

    #[test]
    fn significant_text_is_the_rounded_numbers_shortest_text() {
        for x in [
            1.0,
            -1.0,
            0.5,
            12345678.9,
            9999999.6,
            99999995.0,
            0.000123456789,
            -0.000999999951,
            1e-7,
            1.5e20,
            123.0,
            1e15,
            7.0e-290,
            3.0e289,
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            1e300,
            5e-324,
        ] {
            for digits in [1, 3, 7, 15] {
                assert_eq!(significant_text(x, digits), slow(x, digits), "{x:e} to {digits} digits");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn significant_text_agrees_with_the_long_way(bits in proptest::num::u64::ANY, digits in 1usize..=15) {
            let x = f64::from_bits(bits);
            proptest::prop_assert_eq!(significant_text(x, digits), slow(x, digits));
        }

        #[test]
        fn significant_text_agrees_for_everyday_sizes(x in -1.0e13f64..1.0e13, scale in -12i32..12) {
            let x = x * 10f64.powi(scale);
            proptest::prop_assert_eq!(significant_text(x, 7), slow(x, 7));
        }
    }
}
