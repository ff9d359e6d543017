//! Goal seeking: the value of one input (a scenario-file path, as in
//! overrides) at which a target on an output is met, found by bracketing
//! and a safeguarded root-finder; with draws, the value at which the target
//! is met with a chosen probability. And the threshold table: each
//! intervention's highest cost per participant that still breaks even.

use super::{AnalysisError, Metric, comparable, resolve, run_for, vary};
use crate::model::Model;
use crate::montecarlo;
use crate::scenario::overrides;
use crate::scenario::path::{InterventionField, ParamPath};

/// How a target compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    AtLeast,
    AtMost,
    Above,
    Below,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::AtLeast => ">=",
            Op::AtMost => "<=",
            Op::Above => ">",
            Op::Below => "<",
        }
    }

    fn holds(self, x: f64, value: f64) -> bool {
        match self {
            Op::AtLeast => x >= value,
            Op::AtMost => x <= value,
            Op::Above => x > value,
            Op::Below => x < value,
        }
    }
}

/// `METRIC OP VALUE [by YEAR]`, e.g. `npv >= 0`, `break_even_year <= 2030`,
/// `spend_acute <= 95m by 2035`.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub metric: Metric,
    pub op: Op,
    pub value: f64,
}

impl std::fmt::Display for Goal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.metric.name, self.op.symbol(), self.value)?;
        if let Some(y) = self.metric.year {
            write!(f, " by {y}")?;
        }
        Ok(())
    }
}

const TARGET_FORM: &str = "write a target as METRIC OP VALUE [by YEAR], e.g. \"npv >= 0\", \"break_even_year <= 2030\" or \"spend_acute <= 95m by 2035\"; OP is one of >= <= > <";

/// A number with an optional currency sign, thousands separators and a
/// k / m / bn suffix (`£95m`, `1,200`, `2.5bn`).
fn amount(text: &str) -> Option<f64> {
    let t = text.trim().trim_start_matches(['£', '$', '€']).replace(',', "");
    let lower = t.to_lowercase();
    let (digits, scale) = if let Some(d) = lower.strip_suffix("bn") {
        (d.to_string(), 1e9)
    } else if let Some(d) = lower.strip_suffix('m') {
        (d.to_string(), 1e6)
    } else if let Some(d) = lower.strip_suffix('k') {
        (d.to_string(), 1e3)
    } else {
        (lower, 1.0)
    };
    digits
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| v * scale)
}

impl Goal {
    pub fn parse(text: &str) -> Result<Goal, String> {
        let (body, year) = match text.rsplit_once(" by ") {
            Some((body, year)) => {
                let year: i32 = year
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{}` after `by` is not a year; {TARGET_FORM}", year.trim()))?;
                (body, Some(year))
            }
            None => (text, None),
        };
        let ops = [
            (">=", Op::AtLeast),
            ("<=", Op::AtMost),
            ("≥", Op::AtLeast),
            ("≤", Op::AtMost),
            (">", Op::Above),
            ("<", Op::Below),
        ];
        let (at, symbol, op) = ops
            .iter()
            .filter_map(|(s, op)| body.find(s).map(|i| (i, *s, *op)))
            .min_by_key(|(i, s, _)| (*i, std::cmp::Reverse(s.len())))
            .ok_or_else(|| format!("no comparison in `{text}`; {TARGET_FORM}"))?;
        let name = body[..at].trim();
        let value_text = body[at + symbol.len()..].trim();
        if name.is_empty() {
            return Err(format!("`{name}` is not a metric name; {TARGET_FORM}"));
        }
        let value = amount(value_text).ok_or_else(|| format!("`{value_text}` is not a number; {TARGET_FORM}"))?;
        Ok(Goal {
            metric: Metric {
                name: name.to_string(),
                year,
            },
            op,
            value,
        })
    }
}

/// Which side of the threshold meets the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Met for values at or above the threshold.
    AtOrAbove,
    /// Met for values at or below the threshold.
    AtOrBelow,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The input's value where the target starts to be met.
    pub threshold: f64,
    pub side: Side,
    /// The output (or, with draws, the probability) at the threshold, on the meeting side.
    pub output_at_threshold: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GoalSeek {
    pub scenario: String,
    pub path: String,
    pub target: Goal,
    /// With draws: the probability wanted, the draws and the seed.
    pub probability: Option<(f64, u32, u64)>,
    /// The input's value in the file (in the scenario).
    pub current: f64,
    pub current_output: Option<f64>,
    pub met_now: bool,
    /// The range searched.
    pub range: (f64, f64),
    /// `None` when no value in the range meets the target.
    pub found: Option<Found>,
    /// The output at the two ends of the range, for the message when none is found.
    pub ends: (Option<f64>, Option<f64>),
    pub evaluations: usize,
}

/// The valid range of the number at `path`, found by asking the override
/// checks: [0, 1] for shares and probabilities, [0, 1) for the discount
/// rate, [0, ∞) for other numbers. Years are refused.
fn valid_range(model: &Model, scenario: &str, path: &ParamPath, current: f64) -> Result<(f64, Option<f64>), String> {
    let ok = |v: f64| vary(model, scenario, path, v).is_ok();
    if !ok(current) {
        return Err(vary(model, scenario, path, current).err().unwrap_or_default());
    }
    if !ok(current + 0.5) && !ok(current - 0.5) && current.fract() == 0.0 {
        return Err(format!(
            "{path} is a calendar year; goal seeking needs a number that can vary continuously (compare scenarios with different years instead)"
        ));
    }
    let lower = if ok(-1e-9) { f64::NEG_INFINITY } else { 0.0 };
    let upper = if ok(1.5) && ok(2.0) {
        None
    } else if ok(1.0) {
        Some(1.0)
    } else {
        Some(1.0 - 1e-9)
    };
    if lower == f64::NEG_INFINITY {
        return Err(format!("{path} has no lower bound to search from"));
    }
    Ok((lower, upper))
}

/// The value of `path` in the scenario's model.
fn current_value(model: &Model, scenario: &str, path: &ParamPath) -> Result<f64, String> {
    let m = model
        .scenarios
        .iter()
        .find(|s| s.name == scenario)
        .map_or(model, |s| &s.model);
    overrides::value(m, path)
}

/// Finds where `met` changes between `a` (not met) and `b` (met) to a
/// relative precision of 1e-10 of the range: a safeguarded regula falsi
/// (Illinois) on `gap` when the output is continuous, bisection otherwise.
fn refine(
    mut a: f64,
    mut b: f64,
    mut gap_a: f64,
    mut gap_b: f64,
    continuous: bool,
    eval: &mut dyn FnMut(f64) -> Result<(bool, f64), AnalysisError>,
) -> Result<f64, AnalysisError> {
    let tolerance = 1e-10 * (a.abs().max(b.abs()).max(1e-12));
    let mut side = 0i8;
    for _ in 0..300 {
        if (b - a).abs() <= tolerance {
            break;
        }
        let mid = (a + b) / 2.0;
        let x = if continuous && gap_a.is_finite() && gap_b.is_finite() && gap_a != gap_b {
            let x = b - gap_b * (b - a) / (gap_b - gap_a);
            // Stay well inside the bracket, else bisect.
            let lo = a.min(b) + 0.01 * (b - a).abs();
            let hi = a.max(b) - 0.01 * (b - a).abs();
            if x.is_finite() && x > lo && x < hi { x } else { mid }
        } else {
            mid
        };
        let (met, gap) = eval(x)?;
        if met {
            b = x;
            gap_b = gap;
            if side == 1 {
                gap_a /= 2.0;
            }
            side = 1;
        } else {
            a = x;
            gap_a = gap;
            if side == -1 {
                gap_b /= 2.0;
            }
            side = -1;
        }
    }
    Ok(b)
}

/// One evaluation: whether the target is met, by how much (negative when
/// not), and the output (or share of draws).
type Probe = (bool, f64, Option<f64>);

/// The value of `path` at which `target` is met for `scenario` in `area`
/// (an area's code, a parent's name or `all`; the whole model when
/// `None`): deterministically, or with `probability = Some((p, options))`
/// in a share `p` of the draws (the same draws at every value). With areas
/// the value is set in every area.
pub fn goal_seek(
    model: &Model,
    scenario: &str,
    area: Option<&str>,
    path: &str,
    target: &Goal,
    probability: Option<(f64, &montecarlo::Options)>,
) -> Result<GoalSeek, AnalysisError> {
    let path = overrides::parse(model, path).map_err(AnalysisError::Invalid)?;
    seek(model, scenario, area, &path, target, probability)
}

/// [`goal_seek`] for a path already read.
fn seek(
    model: &Model,
    scenario: &str,
    area: Option<&str>,
    path: &ParamPath,
    target: &Goal,
    probability: Option<(f64, &montecarlo::Options)>,
) -> Result<GoalSeek, AnalysisError> {
    let invalid = AnalysisError::Invalid;
    // The value now: an area's own when the target is one area's, else the file's.
    let own = match area {
        Some(code) => model.areas.iter().find(|a| a.code == code).map_or(model, |a| &a.model),
        None => model,
    };
    let current = current_value(own, scenario, path).map_err(invalid)?;
    let (lower, upper) = valid_range(model, scenario, path, current).map_err(invalid)?;
    if let Some((p, _)) = probability
        && !(p > 0.0 && p < 1.0)
    {
        return Err(AnalysisError::Invalid(format!(
            "the probability {p} is not between 0 and 1 (e.g. 0.8 for 80%)"
        )));
    }
    // The metric must exist for this scenario.
    let run = run_for(model, scenario, None)?;
    let unit = run.unit(area).map_err(invalid)?;
    let key = resolve(model, &run.unit_rows(unit), &target.metric)?;
    drop(run);
    if target.metric.name == "icer" {
        return Err(invalid(icer_refused(model)));
    }
    let continuous = !target.metric.name.starts_with("break_even_year") && probability.is_none();

    let mut evaluations = 0;
    // (met, gap): gap = how far the output is past the target (positive when met) or,
    // with draws, the share of draws meeting it minus the share wanted.
    let mut eval = |v: f64| -> Result<Probe, AnalysisError> {
        evaluations += 1;
        let varied = vary(model, scenario, path, v).map_err(invalid)?;
        match probability {
            None => {
                let rows = run_for(&varied, scenario, None)?.unit_rows(unit);
                let value = rows.iter().find(|(k, _)| *k == key).and_then(|(_, v)| *v);
                let x = comparable(&varied, &target.metric, value);
                let met = !x.is_nan() && target.op.holds(x, target.value);
                let gap = match target.op {
                    Op::AtLeast | Op::Above => x - target.value,
                    Op::AtMost | Op::Below => target.value - x,
                };
                Ok((met, gap, value))
            }
            Some((p, options)) => {
                let records = run_for(&varied, scenario, Some(options))?.unit_kept(
                    unit,
                    std::slice::from_ref(&key),
                    None,
                    &|_| {},
                )?;
                let share = records
                    .iter()
                    .filter(|r| {
                        let x = comparable(&varied, &target.metric, Some(r.kept[0]).filter(|v| !v.is_nan()));
                        !x.is_nan() && target.op.holds(x, target.value)
                    })
                    .count() as f64
                    / records.len().max(1) as f64;
                Ok((share >= p, share - p, Some(share)))
            }
        }
    };

    let (met_now, _, current_output) = eval(current)?;
    // Scan the range for where the target starts or stops being met.
    let top = match upper {
        Some(u) => u,
        None => (current.abs() * 4.0).max(1.0),
    };
    let mut grid: Vec<f64> = (0..=24).map(|i| lower + (top - lower) * i as f64 / 24.0).collect();
    let mut results = Vec::with_capacity(grid.len());
    for &v in &grid {
        results.push(eval(v).ok());
    }
    if upper.is_none() {
        // Unbounded above: widen until the target's status changes (or give up far out).
        let mut hi = top;
        for _ in 0..30 {
            let statuses: Vec<bool> = results.iter().flatten().map(|r| r.0).collect();
            if statuses.windows(2).any(|w| w[0] != w[1]) {
                break;
            }
            hi *= 2.0;
            grid.push(hi);
            results.push(eval(hi).ok());
        }
    }
    let points: Vec<(f64, Probe)> = grid
        .iter()
        .zip(results)
        .filter_map(|(&v, r)| r.map(|r| (v, r)))
        .collect();
    let range = (
        points.first().map_or(lower, |p| p.0),
        points.last().map_or(top, |p| p.0),
    );
    let ends = (points.first().and_then(|p| p.1.2), points.last().and_then(|p| p.1.2));
    // The change of status nearest the current value.
    let changes: Vec<usize> = (1..points.len())
        .filter(|&i| points[i - 1].1.0 != points[i].1.0)
        .collect();
    let nearest = changes.iter().copied().min_by(|&i, &j| {
        let d = |k: usize| ((points[k - 1].0 + points[k].0) / 2.0 - current).abs();
        d(i).total_cmp(&d(j))
    });
    let found = match nearest {
        None => None,
        Some(i) => {
            let (left, right) = (&points[i - 1], &points[i]);
            let (side, (a, gap_a), (b, gap_b)) = if right.1.0 {
                (Side::AtOrAbove, (left.0, left.1.1), (right.0, right.1.1))
            } else {
                (Side::AtOrBelow, (right.0, right.1.1), (left.0, left.1.1))
            };
            let mut two = |v: f64| eval(v).map(|(m, g, _)| (m, g));
            let threshold = refine(a, b, gap_a, gap_b, continuous, &mut two)?;
            let output_at_threshold = eval(threshold)?.2;
            Some(Found {
                threshold,
                side,
                output_at_threshold,
            })
        }
    };
    Ok(GoalSeek {
        scenario: scenario.to_string(),
        path: path.to_string(),
        target: target.clone(),
        probability: probability.map(|(p, o)| (p, o.draws, o.seed)),
        current,
        current_output,
        met_now,
        range,
        found,
        ends,
        evaluations,
    })
}

/// Why a goal on `icer` is refused, and the goal to ask instead: an ICER
/// has no value where a future dominates or is dominated, so a search over
/// an input would read those values as the target missed (a price below
/// which the new strategy saves money would read as "too cheap").
fn icer_refused(model: &Model) -> String {
    let wtp = (model.outcomes.as_ref())
        .and_then(|o| o.willingness_to_pay.first().copied())
        .unwrap_or(20_000.0);
    // (The metric as its row names it; the price as people read it.)
    let price = crate::format::short(wtp);
    format!(
        "a goal on `icer` would mislead: it has no value where the scenario dominates (costs less and gains health) or is dominated, and those values would count as missing the target; ask for net monetary benefit instead, e.g. --target \"net_monetary_benefit_at:{wtp} >= 0\": at least 0 exactly where the scenario is cost-effective at {price} a QALY (`willingness_to_pay` in [outcomes] sets the values that have one)"
    )
}

/// One intervention's break-even cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub intervention: String,
    pub cost_per_participant: f64,
    /// The highest cost per participant at which the scenario still breaks
    /// even by the horizon (NPV ≥ 0), the others as they are; `None` when it
    /// does not break even even at zero cost.
    pub break_even_cost: Option<f64>,
    /// Whether the scenario's NPV depends on this cost at all (no participants: no).
    pub matters: bool,
}

/// The threshold table of `scenario`: per intervention, the highest cost
/// per participant at which the scenario breaks even by the horizon.
pub fn thresholds(model: &Model, scenario: &str, area: Option<&str>) -> Result<Vec<Threshold>, AnalysisError> {
    let s = model.scenarios.iter().find(|s| s.name == scenario).ok_or_else(|| {
        AnalysisError::Invalid(format!(
            "no scenario `{scenario}`; the threshold table is for a scenario with interventions"
        ))
    })?;
    let target = Goal {
        metric: Metric {
            name: "npv".into(),
            year: None,
        },
        op: Op::AtLeast,
        value: 0.0,
    };
    let mut out = Vec::new();
    for &i in &s.interventions {
        let name = &s.model.interventions[i].name;
        let path = ParamPath::Intervention {
            name: name.clone(),
            field: InterventionField::CostPerParticipant,
        };
        let result = seek(model, scenario, area, &path, &target, None)?;
        let matters = result.ends.0 != result.ends.1;
        let break_even_cost = match (&result.found, result.met_now) {
            (Some(f), _) => Some(f.threshold),
            // Met over the whole range searched (far above today's cost).
            (None, true) => Some(f64::INFINITY),
            (None, false) => None,
        };
        out.push(Threshold {
            intervention: name.clone(),
            cost_per_participant: result.current,
            break_even_cost,
            matters,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_as_written() {
        let t = Goal::parse("npv >= 0").unwrap();
        assert_eq!(
            (t.metric.name.as_str(), t.op, t.value, t.metric.year),
            ("npv", Op::AtLeast, 0.0, None)
        );
        let t = Goal::parse("spend_acute <= £95m by 2035").unwrap();
        assert_eq!((t.op, t.value, t.metric.year), (Op::AtMost, 95e6, Some(2035)));
        let t = Goal::parse("break_even_year<2030").unwrap();
        assert_eq!((t.op, t.value), (Op::Below, 2030.0));
        let t = Goal::parse("people_level:At risk > 1,200 by 2030").unwrap();
        assert_eq!((t.metric.name.as_str(), t.value), ("people_level:At risk", 1200.0));
        assert!(Goal::parse(">= 3").unwrap_err().contains("not a metric name"));
        assert!(Goal::parse("npv = 0").unwrap_err().contains("no comparison"));
        assert!(Goal::parse("npv >= lots").unwrap_err().contains("not a number"));
        assert!(Goal::parse("npv >= 0 by soon").unwrap_err().contains("not a year"));
        assert_eq!(amount("2.5bn"), Some(2.5e9));
        assert_eq!(amount("1,200"), Some(1200.0));
    }

    #[test]
    fn refine_finds_a_root_and_a_jump() {
        // Continuous: x² ≥ 2 on [0, 2].
        let mut calls = 0;
        let mut f = |x: f64| {
            calls += 1;
            Ok((x * x >= 2.0, x * x - 2.0))
        };
        let r = refine(0.0, 2.0, -2.0, 2.0, true, &mut f).unwrap();
        assert!((r - 2f64.sqrt()).abs() < 1e-9, "{r}");
        assert!(calls < 60, "{calls} calls");
        // A step at 0.3 (as a break-even year jumps).
        let mut g = |x: f64| Ok((x >= 0.3, if x >= 0.3 { 1.0 } else { -1.0 }));
        let r = refine(0.0, 1.0, -1.0, 1.0, false, &mut g).unwrap();
        assert!((r - 0.3).abs() < 1e-9);
    }
}
