//! Health outcomes (`[outcomes]`): each cell's quality weight rides as one
//! more row after the services' use rates (so that an intervention's
//! `utility` effect folds in as a multiplier on use does), and each year
//! its person-years are summed into the figures the accounts read
//! ([`Outcome`]). A model without outcomes has no such row and no figures.

use crate::model::Model;
use crate::params::Layout;

/// A year's health figures, per lane, in this order (`[year * width + at]`,
/// width [`width`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Person-years lived (life-years).
    LifeYears,
    /// Person-years × quality weight.
    Qalys,
    /// Person-years in each level (`levels` figures).
    LevelYears,
    /// Person-years in each band (`bands` figures).
    BandYears,
    /// Exits from each band (`bands` figures), read as deaths.
    BandExits,
    /// Person-years in each band spent in the healthy levels (`bands` figures).
    BandHealthyYears,
}

impl Outcome {
    /// Where the figure (its first, for one per level or band) starts.
    pub fn at(self, model: &Model) -> usize {
        let (nl, nb) = (model.levels.len(), model.bands.len());
        match self {
            Outcome::LifeYears => 0,
            Outcome::Qalys => 1,
            Outcome::LevelYears => 2,
            Outcome::BandYears => 2 + nl,
            Outcome::BandExits => 2 + nl + nb,
            Outcome::BandHealthyYears => 2 + nl + 2 * nb,
        }
    }
}

/// The health figures a year: none without `[outcomes]`.
pub fn width(model: &Model) -> usize {
    if model.outcomes.is_some() {
        2 + model.levels.len() + 3 * model.bands.len()
    } else {
        0
    }
}

/// The rows of quality weights after the services' use rates: one with
/// outcomes, else none.
pub(super) fn weight_rows(model: &Model) -> usize {
    usize::from(model.outcomes.is_some())
}

/// Marks the years in which some quality weight takes a new value.
pub(super) fn mark_changes(model: &Model, year_of: &dyn Fn(i32) -> Option<usize>, changes: &mut [bool]) {
    let Some(o) = &model.outcomes else { return };
    for series in o.utility.iter().filter(|s| !s.is_constant()) {
        for k in series.points().iter().filter_map(|p| year_of(p.0)) {
            changes[k] = true;
        }
    }
}

/// Year `k`'s quality weight of each cell, for every lane, into `weights`
/// (the row after the services' use rates).
pub(super) fn read_weights<const W: usize>(layout: &Layout, params: &[[f64; W]], k: usize, weights: &mut [[f64; W]]) {
    for (c, w) in weights.iter_mut().enumerate() {
        *w = params[layout.utility(k, c)];
    }
}

/// Sums a year's person-years (`person_years`, exits `exits`, per cell) and
/// quality weights into its figures `out` (`width` of them).
pub(super) fn year_figures<const W: usize>(
    model: &Model,
    person_years: &[[f64; W]],
    exits: &[[f64; W]],
    weights: &[[f64; W]],
    out: &mut [[f64; W]],
) {
    let Some(outcomes) = &model.outcomes else { return };
    let (nl, nb) = (model.levels.len(), model.bands.len());
    let zero = [0.0; W];
    out.fill(zero);
    let at = |o: Outcome| o.at(model);
    let add = |total: &mut [f64; W], x: [f64; W]| {
        for lane in 0..W {
            total[lane] += x[lane];
        }
    };
    for b in 0..nb {
        for l in 0..nl {
            let c = b * nl + l;
            let py = person_years[c];
            add(&mut out[at(Outcome::LifeYears)], py);
            add(
                &mut out[at(Outcome::Qalys)],
                std::array::from_fn(|lane| py[lane] * weights[c][lane]),
            );
            add(&mut out[at(Outcome::LevelYears) + l], py);
            add(&mut out[at(Outcome::BandYears) + b], py);
            add(&mut out[at(Outcome::BandExits) + b], exits[c]);
            if outcomes.healthy_levels.contains(&l) {
                add(&mut out[at(Outcome::BandHealthyYears) + b], py);
            }
        }
    }
}
