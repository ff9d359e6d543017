//! One-way sensitivity (each uncertain input moved to a low and a high
//! percentile with the others at their central values) and probabilistic
//! sensitivity (rank correlation of each sampled input with the output over
//! the Monte Carlo draws).

use super::{AnalysisError, Metric, comparable, resolve, run_for};
use crate::model::Model;
use crate::montecarlo;

/// One input's swing.
#[derive(Debug, Clone, PartialEq)]
pub struct OneWayRow {
    /// Index into the model's uncertain numbers.
    pub parameter: usize,
    pub label: String,
    pub distribution: String,
    pub source: String,
    pub input_low: f64,
    pub input_high: f64,
    /// The output with this input at its low / high percentile.
    pub output_low: Option<f64>,
    pub output_high: Option<f64>,
    /// |output_high − output_low| (a break-even year that never comes counts
    /// as the year after the horizon); NaN when either has no value.
    pub swing: f64,
}

/// A one-way sensitivity analysis, rows ranked by swing (largest first).
#[derive(Debug, Clone, PartialEq)]
pub struct OneWay {
    pub scenario: String,
    /// The area or roll-up analysed (`None`: the whole model).
    pub area: Option<String>,
    pub metric: Metric,
    /// The percentiles each input was moved to, e.g. (10, 90).
    pub percentiles: (f64, f64),
    /// The output with every input at its central value (the run at the means).
    pub central: Option<f64>,
    pub rows: Vec<OneWayRow>,
}

/// Moves each uncertain number of `model` to its `percentiles` (e.g. 10
/// and 90) with the others at their means, and ranks the numbers by the
/// swing they cause in `metric` of `scenario`, in `area` (an area's code, a
/// parent's name or `all`; the whole model when `None`).
pub fn one_way(
    model: &Model,
    scenario: &str,
    area: Option<&str>,
    metric: &Metric,
    percentiles: (f64, f64),
) -> Result<OneWay, AnalysisError> {
    let (lo, hi) = percentiles;
    if !(lo > 0.0 && lo < hi && hi < 100.0) {
        return Err(AnalysisError::Invalid(format!(
            "the range {lo},{hi} is not two percentiles with 0 < low < high < 100 (e.g. 10,90)"
        )));
    }
    let run = run_for(model, scenario, None)?;
    let unit = run.unit(area).map_err(AnalysisError::Invalid)?;
    let key = resolve(model, &run.unit_rows(unit), metric)?;
    let means: Vec<f64> = model.uncertain.iter().map(|u| u.distribution.mean()).collect();
    let mut points = vec![means.clone()];
    for (k, u) in model.uncertain.iter().enumerate() {
        for p in [lo, hi] {
            let mut point = means.clone();
            point[k] = u.distribution.quantile(p / 100.0);
            points.push(point);
        }
    }
    let values = run.unit_kept(unit, std::slice::from_ref(&key), Some(&points), &|_| {})?;
    let value = |i: usize| Some(values[i].kept[0]).filter(|v| !v.is_nan());
    let mut out: Vec<OneWayRow> = model
        .uncertain
        .iter()
        .enumerate()
        .map(|(k, u)| {
            let (low, high) = (value(1 + 2 * k), value(2 + 2 * k));
            let swing = (comparable(model, metric, high) - comparable(model, metric, low)).abs();
            OneWayRow {
                parameter: k,
                label: u.label.clone(),
                distribution: u.distribution.to_string(),
                source: u.source.clone(),
                input_low: points[1 + 2 * k][k],
                input_high: points[2 + 2 * k][k],
                output_low: low,
                output_high: high,
                swing,
            }
        })
        .collect();
    // Largest swing first; inputs without a swing last; ties in file order.
    out.sort_by(|a, b| {
        let key = |r: &OneWayRow| if r.swing.is_nan() { f64::NEG_INFINITY } else { r.swing };
        key(b).total_cmp(&key(a)).then(a.parameter.cmp(&b.parameter))
    });
    Ok(OneWay {
        scenario: scenario.to_string(),
        area: area.map(str::to_string),
        metric: metric.clone(),
        percentiles,
        central: value(0),
        rows: out,
    })
}

/// One input's (or one group's) rank correlation with the output.
#[derive(Debug, Clone, PartialEq)]
pub struct RankRow {
    /// The input's label, or `group NAME (k numbers)` for inputs that share a draw.
    pub label: String,
    /// Indices into the model's uncertain numbers.
    pub parameters: Vec<usize>,
    /// Spearman's rank correlation with the output.
    pub spearman: f64,
    /// Partial rank correlation (the others' ranks held fixed), when the
    /// draws are enough to estimate it.
    pub prcc: Option<f64>,
}

/// Probabilistic sensitivity from the draws.
#[derive(Debug, Clone, PartialEq)]
pub struct RankCorrelation {
    pub scenario: String,
    /// The area or roll-up analysed (`None`: the whole model).
    pub area: Option<String>,
    pub metric: Metric,
    pub draws: u32,
    pub seed: u64,
    /// Ranked by |Spearman| (largest first).
    pub rows: Vec<RankRow>,
    /// Why the partial rank correlations are missing, if they are.
    pub prcc_note: Option<String>,
}

/// The most inputs (after merging groups) for which partial rank
/// correlations are computed: beyond this the correlation matrix costs more
/// than the draws.
pub const PRCC_MAX_INPUTS: usize = 250;

/// Ranks of `xs` (1-based, ties averaged; NaN ranks last, as the largest).
pub fn ranks(xs: &[f64]) -> Vec<f64> {
    let key = |x: f64| if x.is_nan() { f64::INFINITY } else { x };
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| key(xs[a]).total_cmp(&key(xs[b])));
    let mut out = vec![0.0; xs.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && key(xs[order[j + 1]]) == key(xs[order[i]]) {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[k] = rank;
        }
        i = j + 1;
    }
    out
}

/// Pearson correlation; 0 when either side does not vary.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa <= 0.0 || sbb <= 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// Rank correlations of each sampled input (`inputs[draw][parameter]`) with
/// `output[draw]`. Inputs with identical ranks in every draw (a group's
/// shared draw) are reported once. A draw with no output value (never breaks
/// even) ranks as the largest.
pub fn rank_correlation(model: &Model, inputs: &[Vec<f64>], output: &[f64]) -> (Vec<RankRow>, Option<String>) {
    let n = output.len();
    let np = model.uncertain.len();
    let y = ranks(output);
    // Merge inputs that move together.
    let mut variables: Vec<(Vec<usize>, Vec<f64>)> = Vec::new();
    for k in 0..np {
        let column: Vec<f64> = inputs.iter().map(|p| p[k]).collect();
        let r = ranks(&column);
        match variables.iter_mut().find(|(_, existing)| *existing == r) {
            Some((members, _)) => members.push(k),
            None => variables.push((vec![k], r)),
        }
    }
    let label = |members: &[usize]| -> String {
        let first = &model.uncertain[members[0]];
        match (&first.group, members.len()) {
            (_, 1) => first.label.clone(),
            (Some(g), k) => format!("group {g} ({k} numbers)"),
            (None, k) => format!("{} and {} more moving with it", first.label, k - 1),
        }
    };
    let mut rows: Vec<RankRow> = variables
        .iter()
        .map(|(members, r)| RankRow {
            label: label(members),
            parameters: members.clone(),
            spearman: pearson(r, &y),
            prcc: None,
        })
        .collect();
    let m = variables.len();
    let note = if m > PRCC_MAX_INPUTS {
        Some(format!(
            "partial rank correlations are computed for up to {PRCC_MAX_INPUTS} inputs; this model has {m}"
        ))
    } else if n < m + 10 {
        Some(format!(
            "partial rank correlations need more draws than inputs ({n} draws, {m} inputs); run more draws"
        ))
    } else {
        match prcc(&variables.iter().map(|(_, r)| r.as_slice()).collect::<Vec<_>>(), &y) {
            Some(values) => {
                for (row, v) in rows.iter_mut().zip(values) {
                    row.prcc = Some(v);
                }
                None
            }
            None => Some("the inputs' ranks are collinear, so partial rank correlations are undefined".into()),
        }
    };
    rows.sort_by(|a, b| b.spearman.abs().total_cmp(&a.spearman.abs()));
    (rows, note)
}

/// Partial rank correlation coefficients from the inverse of the
/// correlation matrix of the ranks (inputs and output): PRCC_i =
/// −P_iy / √(P_ii P_yy).
fn prcc(inputs: &[&[f64]], y: &[f64]) -> Option<Vec<f64>> {
    let m = inputs.len();
    let n = y.len();
    let mut columns: Vec<Vec<f64>> = inputs.iter().map(|c| c.to_vec()).collect();
    columns.push(y.to_vec());
    // Standardise each column, then C = ZᵀZ / (n − 1).
    for c in &mut columns {
        let mean = c.iter().sum::<f64>() / n as f64;
        let sd = (c.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
        if sd <= 0.0 {
            return None;
        }
        for x in c.iter_mut() {
            *x = (*x - mean) / sd;
        }
    }
    let z = nalgebra::DMatrix::from_fn(n, m + 1, |i, j| columns[j][i]);
    let c = (z.transpose() * &z) / (n as f64 - 1.0);
    let p = c.try_inverse()?;
    (0..m)
        .map(|i| {
            let d = p[(i, i)] * p[(m, m)];
            (d > 0.0).then(|| -p[(i, m)] / d.sqrt())
        })
        .collect()
}

/// Runs the draws and ranks the inputs by their rank correlation with
/// `metric` of `scenario` in `area` (the whole model when `None`).
pub fn probabilistic(
    model: &Model,
    scenario: &str,
    area: Option<&str>,
    metric: &Metric,
    options: &montecarlo::Options,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RankCorrelation, AnalysisError> {
    if options.draws < 3 {
        return Err(AnalysisError::Invalid(
            "rank correlations need at least 3 draws (hundreds for a stable ranking)".into(),
        ));
    }
    let run = run_for(model, scenario, Some(options))?;
    let unit = run.unit(area).map_err(AnalysisError::Invalid)?;
    let key = resolve(model, &run.unit_rows(unit), metric)?;
    let records = run.unit_kept(unit, std::slice::from_ref(&key), None, progress)?;
    let inputs: Vec<Vec<f64>> = records.iter().map(|r| r.parameters.clone()).collect();
    let output: Vec<f64> = records
        .iter()
        .map(|r| comparable(model, metric, Some(r.kept[0]).filter(|v| !v.is_nan())))
        .collect();
    let (rows, prcc_note) = rank_correlation(model, &inputs, &output);
    Ok(RankCorrelation {
        scenario: scenario.to_string(),
        area: area.map(str::to_string),
        metric: metric.clone(),
        draws: options.draws,
        seed: options.seed,
        rows,
        prcc_note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_average_ties() {
        assert_eq!(ranks(&[3.0, 1.0, 2.0]), [3.0, 1.0, 2.0]);
        assert_eq!(ranks(&[1.0, 2.0, 2.0, 5.0]), [1.0, 2.5, 2.5, 4.0]);
        assert_eq!(ranks(&[f64::NAN, 0.0]), [2.0, 1.0]);
    }

    #[test]
    fn pearson_of_known_series() {
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-15);
        assert!((pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-15);
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), 0.0);
    }

    #[test]
    fn prcc_separates_a_driver_from_a_bystander() {
        // y = x1 + noise, x2 independent of both: PRCC(x1) high, PRCC(x2) near 0.
        let n = 400;
        let x1: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let x2: Vec<f64> = (0..n).map(|i| ((i * 7919) % n) as f64).collect();
        let noise: Vec<f64> = (0..n).map(|i| ((i * 104_729 + 13) % 397) as f64).collect();
        // Identical input and output: the matrix is singular.
        assert!(prcc(&[&x1, &x2], &x1).is_none());
        let y: Vec<f64> = (0..n).map(|i| x1[i] + noise[i]).collect();
        let p = prcc(&[&ranks(&x1), &ranks(&x2)], &ranks(&y)).unwrap();
        assert!(p[0] > 0.6, "{p:?}");
        assert!(p[1].abs() < 0.15, "{p:?}");
    }
}
