//! `[model] occupancy` beyond start, end and half-cycle: Simpson's 1/3 rule
//! (`"simpson"`) or a weight per time point (`occupancy_weights = [...]` or
//! `occupancy_weights_csv`, a table with a `weight` column), one per step
//! boundary of the horizon.

use super::model_table::ModelTable;
use crate::error::{InputError, Location};
use crate::model::{DiscountTiming, Occupancy, PointWeights};
use crate::scenario::checks::Validator;
use crate::scenario::file::{RawModel, ScenarioFile};

/// `[model] discount_timing` (default `"end"`). Discounting each time
/// point at its own time needs every year's money to be linear in its
/// person-years, so it is refused beside capacities and places (whose
/// served activity and held moves are not).
pub(super) fn discount_timing_from(v: &mut Validator, file: &ScenarioFile) -> DiscountTiming {
    let Some(timing) = &file.model.discount_timing else {
        return DiscountTiming::End;
    };
    if *timing.get_ref() == DiscountTiming::PerPoint {
        let capacity = file
            .services
            .iter()
            .find(|s| {
                let s = s.get_ref();
                s.capacity.is_some() || s.capacity_csv.is_some() || s.capacity_budget.is_some()
            })
            .map(|s| format!("service `{}` has a capacity", s.get_ref().name));
        let places = (file.places.first()).map(|p| format!("level `{}` has places", p.get_ref().level.get_ref()));
        if let Some(what) = capacity.or(places) {
            v.err(
                &timing.span(),
                format!(
                    "discount_timing = \"per_time_point\" discounts each time point's person-years at its own time, which needs every figure to follow from them; {what}, whose served activity does not: use \"end\", \"start\" or \"mid\" with the supply side"
                ),
            );
        }
    }
    *timing.get_ref()
}

/// The occupancy convention and, for Simpson's rule or the user's weights,
/// the weight of each time point. A problem is reported and the default
/// (half-cycle) stands in.
pub(super) fn occupancy_from(v: &mut Validator, m: &RawModel, table: &ModelTable) -> (Occupancy, Option<PointWeights>) {
    let points = table.horizon_years as usize * table.steps_per_year as usize + 1;
    let count_rule = format!(
        "horizon_years × steps_per_year + 1 = {} × {} + 1 = {points}: one per step boundary, the start first and the horizon's end last",
        table.horizon_years, table.steps_per_year
    );
    let given = match (&m.occupancy_weights, &m.occupancy_weights_csv) {
        (Some(_), Some(csv)) => {
            v.err(
                &csv.span(),
                "occupancy_weights and occupancy_weights_csv are both given; give the weights one way",
            );
            return (Occupancy::HalfCycle, None);
        }
        (Some(inline), None) => Some(inline_weights(v, inline, points, &count_rule)),
        (None, Some(csv)) => Some(csv_weights(v, csv, points, &count_rule)),
        (None, None) => None,
    };
    let occupancy = m.occupancy.as_ref().map(|o| *o.get_ref());
    let occupancy_span = m.occupancy.as_ref().map(|o| o.span()).unwrap_or_default();
    match (occupancy, given) {
        (Some(Occupancy::Simpson), None) => (Occupancy::Simpson, Some(PointWeights::simpson(points - 1))),
        (Some(Occupancy::Weights), None) => {
            v.err(
                &occupancy_span,
                format!(
                    "[model] occupancy = \"weights\" needs the weights: occupancy_weights = [...] or occupancy_weights_csv = \"FILE\" (a `weight` column), {count_rule}"
                ),
            );
            (Occupancy::HalfCycle, None)
        }
        (None | Some(Occupancy::Weights), Some(weights)) => match weights {
            Some(w) => (Occupancy::Weights, Some(PointWeights::given(w))),
            None => (Occupancy::HalfCycle, None),
        },
        (Some(other), Some(_)) => {
            let span = (m.occupancy_weights.as_ref().map(|w| w.span()))
                .or_else(|| m.occupancy_weights_csv.as_ref().map(|c| c.span()))
                .unwrap_or_default();
            v.err(
                &span,
                format!(
                    "weights per time point are given but [model] occupancy is \"{}\"; leave occupancy out (or write occupancy = \"weights\") to count by the weights, or drop the weights",
                    name(other)
                ),
            );
            (Occupancy::HalfCycle, None)
        }
        (occupancy, None) => (occupancy.unwrap_or(Occupancy::HalfCycle), None),
    }
}

fn name(o: Occupancy) -> &'static str {
    match o {
        Occupancy::Start => "start",
        Occupancy::End => "end",
        Occupancy::HalfCycle => "half_cycle",
        Occupancy::Simpson => "simpson",
        Occupancy::Weights => "weights",
    }
}

/// What is wrong with one weight, if anything.
fn weight_problem(w: f64) -> Option<String> {
    if !w.is_finite() {
        Some(format!("the weight {w} is not a finite number"))
    } else if w < 0.0 {
        Some(format!(
            "the weight {w} is negative; a weight per time point is ≥ 0 (in steps: the half-cycle correction is 0.5 at the ends and 1 between)"
        ))
    } else {
        None
    }
}

type Spanned<T> = toml::Spanned<T>;

/// `occupancy_weights = [...]`: `None` when something is wrong (reported).
fn inline_weights(
    v: &mut Validator,
    raw: &Spanned<Vec<Spanned<f64>>>,
    points: usize,
    count_rule: &str,
) -> Option<Vec<f64>> {
    let mut ok = true;
    for w in raw.get_ref() {
        if let Some(problem) = weight_problem(*w.get_ref()) {
            v.err(&w.span(), format!("occupancy_weights: {problem}"));
            ok = false;
        }
    }
    let n = raw.get_ref().len();
    if n != points {
        v.err(
            &raw.span(),
            format!("occupancy_weights has {n} weights; it needs {count_rule}"),
        );
        ok = false;
    }
    ok.then(|| raw.get_ref().iter().map(|w| *w.get_ref()).collect())
}

/// `occupancy_weights_csv`: a table with a `weight` column (and optionally
/// `point`, 0 first, checked against the row's place), a row per point.
fn csv_weights(v: &mut Validator, csv: &Spanned<String>, points: usize, count_rule: &str) -> Option<Vec<f64>> {
    let table = v.table(csv, &["weight"], &["point"])?;
    let mut weights = Vec::with_capacity(points);
    let mut ok = true;
    for (i, row) in table.rows.iter().enumerate() {
        if table.has_column("point") && table.text(row, "point") != i.to_string() {
            v.errors.push(InputError::new(
                table.location(row, "point"),
                format!(
                    "point `{}` is out of order; the rows are the time points in order, 0 (the start) first, so this row is point {i}",
                    table.text(row, "point")
                ),
            ));
            ok = false;
        }
        match table.number(row, "weight") {
            Ok(w) => match weight_problem(w) {
                Some(problem) => {
                    v.errors.push(InputError::new(table.location(row, "weight"), problem));
                    ok = false;
                }
                None => weights.push(w),
            },
            Err(e) => {
                v.errors.push(e);
                ok = false;
            }
        }
    }
    let n = table.rows.len();
    if n != points {
        let line = table.rows.last().map_or(1, |r| r.line);
        v.errors.push(InputError::new(
            Location::Row(table.path.clone(), line, None),
            format!("the table has {n} weights; it needs {count_rule}"),
        ));
        ok = false;
    }
    ok.then_some(weights)
}
