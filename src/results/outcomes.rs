//! Health outcomes of a future (`[outcomes]`; README, "Health outcomes"):
//! life-years and QALYs year by year and discounted at health's own rate,
//! years lived in each level, life expectancy and healthy life expectancy
//! by the Sullivan method, and against do-nothing the incremental cost and
//! QALYs, the ICER and the net monetary benefit. Empty without outcomes.

use super::{Accounts, Grid};
use crate::engine::{LaneTrajectory, Outcome, outcome_figures};
use crate::model::Model;

/// A future's health figures by year (the engine's [`Outcome`]s) and
/// health's discount factors.
#[derive(Debug, Clone, Default)]
pub struct OutcomeAccounts {
    /// Each year's figures (`Outcome::at` within a row); no rows without
    /// outcomes.
    pub figures: Grid,
    pub discount_factor: Vec<f64>,
    /// With `discount_timing = "per_time_point"`, each year's figures
    /// discounted point by point at health's rate (no rows otherwise).
    pub discounted: Grid,
}

impl OutcomeAccounts {
    /// Fills these figures from lane `lane` of `trajectory`.
    pub fn compute<const W: usize>(&mut self, model: &Model, trajectory: &LaneTrajectory<W>, lane: usize) {
        let width = outcome_figures(model);
        self.figures.reset(width);
        self.discounted.reset(width);
        self.discount_factor.clear();
        let Some(o) = &model.outcomes else { return };
        for t in 0..model.horizon_years as usize {
            let row = self.figures.push_zeros();
            for (x, f) in row.iter_mut().zip(&trajectory.outcomes[t * width..(t + 1) * width]) {
                *x = f[lane];
            }
            self.discount_factor
                .push(model.discount_timing.factor(o.discount_rate, t as u32 + 1));
        }
    }

    /// Appends year `t`'s figures discounted within it (`block`, from the
    /// year's start), × the year's start factor at health's rate.
    pub(super) fn push_discounted(&mut self, model: &Model, block: &[f64], t: usize) {
        let Some(o) = &model.outcomes else { return };
        let start = (1.0 + o.discount_rate).powf(-(t as f64));
        let row = self.discounted.push_zeros();
        for (x, b) in row.iter_mut().zip(block) {
            *x = b * start;
        }
    }

    /// Adds another area's figures of the same future.
    pub fn add(&mut self, other: &OutcomeAccounts) {
        if self.figures.rows() == 0 {
            self.clone_from(other);
        } else {
            self.figures.add(&other.figures);
            self.discounted.add(&other.discounted);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.figures.rows() == 0
    }

    fn figure(&self, model: &Model, t: usize, o: Outcome) -> f64 {
        self.figures[t][o.at(model)]
    }

    /// A figure summed over the horizon, discounted at health's rate.
    fn discounted(&self, model: &Model, o: Outcome) -> f64 {
        (0..self.figures.rows()).map(|t| self.discounted_in(model, t, o)).sum()
    }

    /// Year `t`'s figure discounted at health's rate: point by point where
    /// the accounts have it so, else the year's figure × its factor.
    fn discounted_in(&self, model: &Model, t: usize, o: Outcome) -> f64 {
        if self.discounted.rows() > 0 {
            self.discounted[t][o.at(model)]
        } else {
            self.figure(model, t, o) * self.discount_factor[t]
        }
    }

    /// QALYs over the horizon, discounted.
    pub fn discounted_qalys(&self, model: &Model) -> f64 {
        self.discounted(model, Outcome::Qalys)
    }

    /// Life expectancy and healthy life expectancy in year `t` at the lower
    /// age of the outcomes' band, by the Sullivan method on the period life
    /// table the year's exits imply (see [`sullivan`]).
    pub fn life_expectancy(&self, model: &Model, t: usize) -> Option<(f64, f64)> {
        let o = model.outcomes.as_ref()?;
        let nb = model.bands.len();
        let row = &self.figures[t];
        let band = |o: Outcome, b: usize| row[o.at(model) + b];
        let bands: Vec<LifeTableBand> = (o.life_expectancy_band..nb)
            .map(|b| LifeTableBand {
                width: model.bands[b].width(),
                person_years: band(Outcome::BandYears, b),
                deaths: band(Outcome::BandExits, b),
                healthy_years: band(Outcome::BandHealthyYears, b),
            })
            .collect();
        sullivan(&bands)
    }
}

/// One age band of a period life table: its width (`None`: open-ended),
/// and the year's person-years, deaths and person-years in good health.
#[derive(Debug, Clone, Copy)]
pub struct LifeTableBand {
    pub width: Option<f64>,
    pub person_years: f64,
    pub deaths: f64,
    pub healthy_years: f64,
}

/// Life expectancy and healthy life expectancy at the lower age of the
/// first band, from an abridged period life table (Chiang's, deaths at
/// mid-interval): each band's death rate m = deaths ÷ person-years, its
/// probability of dying q = n·m ÷ (1 + n·m/2) (at most 1), years lived
/// L = n·(l − d/2); an open last band lives l ÷ m. Healthy life expectancy
/// weights each band's L by its share of person-years in good health
/// (Sullivan). `None` when the last band has no deaths (the table never
/// closes) or no bands are given.
pub fn sullivan(bands: &[LifeTableBand]) -> Option<(f64, f64)> {
    let (mut alive, mut expectancy, mut healthy) = (1.0_f64, 0.0, 0.0);
    for (i, b) in bands.iter().enumerate() {
        let rate = if b.person_years > 0.0 {
            b.deaths / b.person_years
        } else {
            0.0
        };
        let lived = match b.width {
            Some(n) if i + 1 < bands.len() => {
                let q = (n * rate / (1.0 + n * rate / 2.0)).min(1.0);
                let dying = alive * q;
                let lived = n * (alive - dying / 2.0);
                alive -= dying;
                lived
            }
            // The last band closes the table, open-ended or not.
            _ => {
                if rate <= 0.0 {
                    return None;
                }
                let lived = alive / rate;
                alive = 0.0;
                lived
            }
        };
        let share_healthy = if b.person_years > 0.0 {
            b.healthy_years / b.person_years
        } else {
            0.0
        };
        expectancy += lived;
        healthy += lived * share_healthy;
    }
    (!bands.is_empty() && alive == 0.0).then_some((expectancy, healthy))
}

/// The people at the start of the horizon: the first year's end less what
/// flowed in and plus what flowed out.
pub(crate) fn people_at_start(a: &Accounts) -> f64 {
    a.people_total[0] - a.entries[0] + a.exits[0] + a.aged_out[0] - a.migration[0]
}

/// A future's yearly health rows (none without outcomes).
pub(super) fn year_rows(
    model: &Model,
    a: &Accounts,
    t: usize,
    push: &mut impl FnMut(&dyn Fn() -> String, Option<f64>),
) {
    let Some(o) = &model.outcomes else { return };
    let h = &a.outcomes;
    push(&|| "life_years".into(), Some(h.figure(model, t, Outcome::LifeYears)));
    push(&|| "qalys".into(), Some(h.figure(model, t, Outcome::Qalys)));
    // By the levels the outputs show (a level's tunnels summed).
    let years = &h.figures[t][Outcome::LevelYears.at(model)..Outcome::LevelYears.at(model) + model.levels.len()];
    for level in &model.output_levels {
        push(&|| format!("years_in_level:{}", level.name), Some(level.sum(years)));
    }
    let age = model.bands[o.life_expectancy_band].lower;
    let expectancy = h.life_expectancy(model, t);
    push(&|| format!("life_expectancy_at:{age}"), expectancy.map(|e| e.0));
    push(&|| format!("healthy_life_expectancy_at:{age}"), expectancy.map(|e| e.1));
    push(&|| "outcome_discount_factor".into(), Some(h.discount_factor[t]));
}

/// A future's health over the horizon: discounted life-years and QALYs,
/// in all and per person (of the people at the start; of everyone the
/// model counts, the start plus entries); against do-nothing, the
/// incremental discounted cost (its spend less do-nothing's: −NPV) and
/// QALYs, the ICER (none where one future dominates: less cost and more
/// health, or the reverse) and the net monetary
/// benefit at each willingness to pay.
pub(super) fn horizon_rows(
    model: &Model,
    a: &Accounts,
    against: Option<(&Accounts, f64)>,
    push: &mut impl FnMut(&dyn Fn() -> String, Option<f64>),
) {
    let Some(o) = &model.outcomes else { return };
    let h = &a.outcomes;
    let qalys = h.discounted(model, Outcome::Qalys);
    push(
        &|| "life_years_discounted".into(),
        Some(h.discounted(model, Outcome::LifeYears)),
    );
    push(&|| "qalys_discounted".into(), Some(qalys));
    let start = people_at_start(a);
    let ever = start + a.entries.iter().sum::<f64>();
    push(
        &|| "qalys_per_person_at_start".into(),
        (start > 0.0).then(|| qalys / start),
    );
    push(
        &|| "qalys_per_person_counted".into(),
        (ever > 0.0).then(|| qalys / ever),
    );
    if o.cohort_life_expectancy {
        // The closed cohort's own: every life-year it lives, undiscounted,
        // per person at the start (to the horizon).
        let years: f64 = (0..h.figures.rows())
            .map(|t| h.figure(model, t, Outcome::LifeYears))
            .sum();
        push(
            &|| "cohort_life_expectancy".into(),
            (start > 0.0).then(|| years / start),
        );
    }
    let Some((baseline, npv)) = against else { return };
    let cost = -npv;
    let gained = qalys - baseline.outcomes.discounted(model, Outcome::Qalys);
    push(&|| "incremental_cost".into(), Some(cost));
    push(&|| "incremental_qalys".into(), Some(gained));
    // An ICER only where cost and health move the same way: a future that
    // costs less and gains health dominates (none), as does the reverse.
    let comparable = (cost > 0.0 && gained > 0.0) || (cost < 0.0 && gained < 0.0);
    push(&|| "icer".into(), comparable.then(|| cost / gained));
    for &wtp in &o.willingness_to_pay {
        push(&|| format!("net_monetary_benefit_at:{wtp}"), Some(wtp * gained - cost));
    }
}

/// A future's total spend over the horizon, discounted at the costs' rate
/// (the cost of a cost-effectiveness analysis).
pub fn discounted_cost(a: &Accounts) -> f64 {
    (0..a.spend_total.len())
        .map(|t| a.discounted(t, |m, t| m.spend_total[t]))
        .sum()
}

/// Each future's discounted cost and QALYs, in turn, for a Monte Carlo
/// draw's record (none without outcomes).
pub fn draw_figures(model: &Model, accounts: &[Accounts]) -> Vec<f64> {
    if model.outcomes.is_none() {
        return Vec::new();
    }
    accounts
        .iter()
        .flat_map(|a| [discounted_cost(a), a.outcomes.discounted_qalys(model)])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_mortality_gives_the_closed_form_life_expectancy() {
        // One open band with death rate m: life expectancy 1/m.
        let one = [LifeTableBand {
            width: None,
            person_years: 1000.0,
            deaths: 50.0,
            healthy_years: 600.0,
        }];
        let (le, hle) = sullivan(&one).unwrap();
        assert!((le - 20.0).abs() < 1e-12);
        assert!((hle - 12.0).abs() < 1e-12);
    }

    #[test]
    fn an_abridged_table_is_worked_by_hand() {
        // Band of 10 years at m = 0.02: q = 0.2 / 1.1, L = 10 (1 − q/2);
        // then an open band at m = 0.1: L = (1 − q) / 0.1.
        let bands = [
            LifeTableBand {
                width: Some(10.0),
                person_years: 500.0,
                deaths: 10.0,
                healthy_years: 400.0,
            },
            LifeTableBand {
                width: None,
                person_years: 200.0,
                deaths: 20.0,
                healthy_years: 50.0,
            },
        ];
        let q = 0.2 / 1.1;
        let first = 10.0 * (1.0 - q / 2.0);
        let second = (1.0 - q) / 0.1;
        let (le, hle) = sullivan(&bands).unwrap();
        assert!((le - (first + second)).abs() < 1e-12);
        assert!((hle - (first * 0.8 + second * 0.25)).abs() < 1e-12);
    }

    #[test]
    fn a_table_without_deaths_at_the_end_has_no_expectancy() {
        let none = [LifeTableBand {
            width: None,
            person_years: 10.0,
            deaths: 0.0,
            healthy_years: 10.0,
        }];
        assert_eq!(sullivan(&none), None);
        assert_eq!(sullivan(&[]), None);
    }
}
