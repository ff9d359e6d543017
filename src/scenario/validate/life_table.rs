//! `[life_table]`: mortality by single year of age. Its ages become the
//! model's bands, one year wide (the last open-ended), and its
//! probabilities the exit of its levels in each, so that with one step a
//! year a one-age cohort moves on a year of age together at each year's
//! end, the year's rates those of its age at the year's start (README,
//! "Mortality from a life table").

use super::cells::cell_number;
use super::names::Names;
use crate::error::Location;
use crate::model::{AgeBand, Series, Target, TransitionMode};
use crate::scenario::checks::{Validator, plain_problem};
use crate::scenario::file::{RawLifeTable, ScenarioFile};
use crate::uncertainty::Support;
use crate::units::AnnualProbability;
use toml::Spanned;

/// The ages read, in order, each with its probability of dying in the year.
pub(super) struct LifeTable {
    ages: Vec<(i64, f64)>,
}

/// The model's bands: a life table's ages (and the table), else the
/// file's `[[bands]]` (with a life table too, refused).
pub(super) fn bands_of(
    v: &mut Validator,
    file: &ScenarioFile,
    steps_per_year: u32,
) -> (Vec<AgeBand>, Option<LifeTable>) {
    let given = !file.bands.is_empty();
    let table = (file.life_table.as_ref()).and_then(|raw| life_table_from(v, raw, given, steps_per_year));
    match (table, given) {
        (Some(t), false) => (t.bands(), Some(t)),
        (None, false) if file.life_table.is_some() => (Vec::new(), None),
        _ => (super::model_table::bands_from(v, &file.bands, steps_per_year), None),
    }
}

/// The life table as bands and probabilities, or `None` after recording
/// what is wrong (bands given too, a step shorter than a year, a row at fault).
fn life_table_from(
    v: &mut Validator,
    raw: &Spanned<RawLifeTable>,
    bands_given: bool,
    steps_per_year: u32,
) -> Option<LifeTable> {
    if bands_given {
        v.err(
            &raw.span(),
            "[life_table] makes the bands (one per age in its table); leave out the [[bands]]",
        );
    }
    if steps_per_year != 1 {
        v.err(
            &raw.span(),
            format!("[life_table] needs steps_per_year = 1 (it is {steps_per_year}): its bands are a year wide and a cohort moves on a year of age together only at a yearly step (a finer step would move a share of a band on each step, spreading the cohort across ages)"),
        );
    }
    let table = v.table(&raw.get_ref().csv, &["age", "probability"], &[])?;
    let errors_before = v.errors.count();
    let mut ages: Vec<(i64, f64)> = Vec::new();
    let mut previous: Option<i64> = None;
    for row in &table.rows {
        let (Some(age), Some(p)) = (
            cell_number(v, &table, row, "age"),
            cell_number(v, &table, row, "probability"),
        ) else {
            continue;
        };
        if let Some(problem) = plain_problem(p, Support::Probability, "the probability of dying") {
            v.errors.at(table.location(row, "probability"), problem);
        }
        let whole = age.fract() == 0.0 && (0.0..=200.0).contains(&age);
        if !whole || previous.is_some_and(|a| a + 1 != age as i64) {
            let before = previous.map_or(String::new(), |a| format!(" (the row before is age {a})"));
            v.errors.at(
                table.location(row, "age"),
                format!(
                    "age is {age}; give whole ages from 0 to 200, one a row, each a year above the one before{before}"
                ),
            );
        } else if ages.last().is_none_or(|a| a.0 + 1 == age as i64) {
            ages.push((age as i64, p));
        }
        previous = whole.then_some(age as i64);
    }
    if ages.is_empty() && v.errors.count() == errors_before {
        v.errors.at(
            Location::File(table.path.clone()),
            "the life table has no rows; give one row per single year of age: age,probability",
        );
    }
    // With problems, the first ages read well still name the bands, so
    // that later sections' problems are about them, not missing bands.
    (!ages.is_empty()).then_some(LifeTable { ages })
}

impl LifeTable {
    /// A band a year wide per age, named by it; the last (`N+`) open-ended.
    pub(super) fn bands(&self) -> Vec<AgeBand> {
        let last = self.ages.len() - 1;
        (self.ages.iter().enumerate())
            .map(|(i, &(age, _))| AgeBand {
                name: if i == last { format!("{age}+") } else { age.to_string() },
                lower: age as f64,
                upper: (i < last).then_some(age as f64 + 1.0),
            })
            .collect()
    }

    /// Adds the table's probability to the exit of each of `levels` in each
    /// band: in `annual_matrix` mode the probabilities add (a spreadsheet's
    /// row); in `rates` mode the hazards do (1 − (1 − p)(1 − q)). An exit
    /// also given as a distribution is refused (a draw would replace the sum).
    pub(super) fn add_exits(
        &self,
        v: &mut Validator,
        file: &ScenarioFile,
        names: &Names,
        exits: &mut [Series<AnnualProbability>],
    ) {
        let Some(raw) = &file.life_table else { return };
        let mode = file.model.transition_mode.unwrap_or(TransitionMode::Rates);
        let levels = match names.levels_or_all(&raw.get_ref().levels) {
            Ok(l) => l,
            Err(e) => return v.err(&raw.span(), format!("[life_table] levels: {e}")),
        };
        let nl = names.levels.len();
        let uncertain = |b: usize, l: usize| {
            (v.uncertain.iter())
                .flat_map(|u| &u.targets)
                .any(|t| matches!(t, Target::Exit { band, level, .. } if *band == b && *level == l))
        };
        let mut refused = None;
        let mut above_one = None;
        for (b, &(_, q)) in self.ages.iter().enumerate() {
            for &l in &levels {
                if uncertain(b, l) {
                    refused.get_or_insert(l);
                    continue;
                }
                let sum = |p: f64| match mode {
                    TransitionMode::AnnualMatrix => p + q,
                    TransitionMode::Rates => p + q - p * q,
                };
                let cell = &mut exits[b * nl + l];
                if cell.points().iter().any(|x| sum(x.1.value()) > 1.0 + 1e-12) {
                    above_one.get_or_insert((b, l));
                }
                *cell = cell.map(|p| AnnualProbability::new(sum(p.value()).min(1.0)).unwrap_or_default());
            }
        }
        if let Some((b, l)) = above_one {
            v.err(
                &raw.span(),
                format!("[life_table]: the exit of `{}` at age {} is the life table's probability plus its [[exits]], which is above 1; lower them", names.display(l), self.ages[b].0),
            );
        }
        if let Some(l) = refused {
            v.err(
                &raw.span(),
                format!("[life_table]: the exit of `{}` is also given as a distribution in [[exits]]; the life table adds to plain numbers only (give it a plain number)", names.display(l)),
            );
        }
    }
}
