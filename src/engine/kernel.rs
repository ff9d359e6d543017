//! The stepping loop.

use super::compile::StepMatrices;
use super::{Calibration, EngineError, Trajectory, YearResult};
use crate::model::{Effect, Model, Occupancy, Reach};

/// Simulates `model` from its start year over its horizon with the
/// interventions `plan` (indices into `model.interventions`) switched on.
pub fn simulate(model: &Model, plan: &[usize], calibration: Calibration) -> Result<Trajectory, EngineError> {
    let nl = model.levels.len();
    let nb = model.bands.len();
    let cells = nb * nl;
    let w = nl + 1;
    let steps = model.steps_per_year as usize;
    let dt = 1.0 / steps as f64;
    let ageing_share: Vec<f64> = model.bands.iter().map(|b| b.width().map_or(0.0, |w| dt / w)).collect();
    let last_band_closed = model.bands.last().is_some_and(|b| b.upper.is_some());

    let mut matrices = StepMatrices::new(model);
    let mut x = model.population.clone();
    let mut next = vec![0.0; cells];
    let mut migration_by_step = Vec::new();
    // Share of each intervention's target population reached, per year so far
    // (for lagged effects).
    let mut delivered: Vec<Vec<f64>> = vec![Vec::new(); model.interventions.len()];
    let mut years = Vec::with_capacity(model.horizon_years as usize);

    for (k, year) in model.years().enumerate() {
        // --- how much of each intervention is delivered this year
        for &i in plan {
            let iv = &model.interventions[i];
            let scale = iv.scale_in(year);
            let share = match iv.reach {
                Reach::Share(r) => r * scale,
                Reach::Places(places) => {
                    let stocks = &x;
                    let target: f64 = iv
                        .target_bands
                        .iter()
                        .flat_map(|&b| iv.target_levels.iter().map(move |&l| stocks[b * nl + l]))
                        .sum();
                    if target > 0.0 {
                        (places * scale / target).min(1.0)
                    } else {
                        0.0
                    }
                }
            };
            delivered[i].push(share);
        }
        let effect_share = |i: usize| -> f64 {
            let lag = model.interventions[i].lag_years as usize;
            if k >= lag { delivered[i][k - lag] } else { 0.0 }
        };

        // --- per-step matrices with effects folded in
        for b in 0..nb {
            let mut band_factors = vec![1.0; nl * w];
            for &i in plan {
                let iv = &model.interventions[i];
                let e = effect_share(i) * iv.fidelity;
                if e == 0.0 || !iv.target_bands.contains(&b) {
                    continue;
                }
                for effect in &iv.effects {
                    if let Effect::Transition {
                        from,
                        to,
                        relative_risk,
                    } = *effect
                        && iv.target_levels.contains(&from)
                    {
                        band_factors[from * w + to.unwrap_or(nl)] *= 1.0 - e * (1.0 - relative_risk);
                    }
                }
            }
            matrices.update(model, b, year, &band_factors)?;
        }

        // --- use rates with effects folded in
        let mut use_rate: Vec<Vec<f64>> = model
            .services
            .iter()
            .map(|s| s.use_rate.iter().map(|r| r.at(year)).collect())
            .collect();
        for &i in plan {
            let iv = &model.interventions[i];
            let e = effect_share(i) * iv.fidelity;
            if e == 0.0 {
                continue;
            }
            for effect in &iv.effects {
                if let Effect::Service { service, multiplier } = *effect {
                    for &b in &iv.target_bands {
                        for &l in &iv.target_levels {
                            use_rate[service][b * nl + l] *= 1.0 - e * (1.0 - multiplier);
                        }
                    }
                }
            }
        }

        let entries_per_step: Vec<f64> = match &model.entries {
            Some(e) => e.mix.iter().map(|m| e.people.at(year) * dt * m).collect(),
            None => vec![0.0; nl],
        };

        let mut r = YearResult {
            year,
            people_start: x.clone(),
            people_end: vec![],
            person_years: vec![0.0; cells],
            entries: vec![0.0; cells],
            exits: vec![0.0; cells],
            aged_out: vec![0.0; cells],
            ageing_in: vec![0.0; cells],
            ageing_out: vec![0.0; cells],
            moved_in: vec![0.0; cells],
            moved_out: vec![0.0; cells],
            migration: vec![0.0; cells],
            flows: vec![0.0; nb * nl * nl],
            activity: vec![0.0; model.services.len()],
            participants: vec![0.0; model.interventions.len()],
            intervention_cost: vec![0.0; model.interventions.len()],
        };

        for step in 0..steps {
            next.fill(0.0);
            // Need transitions and exits.
            for b in 0..nb {
                for from in 0..nl {
                    let people = x[b * nl + from];
                    if people == 0.0 {
                        continue;
                    }
                    let row = matrices.row(b, from);
                    for to in 0..nl {
                        let moved = people * row[to];
                        next[b * nl + to] += moved;
                        if to != from {
                            r.flows[(b * nl + from) * nl + to] += moved;
                        }
                    }
                    r.exits[b * nl + from] += people * row[nl];
                }
            }
            // Ageing, oldest band first so that nobody moves two bands in a step.
            for b in (0..nb).rev() {
                let share = ageing_share[b];
                if share == 0.0 {
                    continue;
                }
                for l in 0..nl {
                    let moved = next[b * nl + l] * share;
                    next[b * nl + l] -= moved;
                    r.ageing_out[b * nl + l] += moved;
                    if b + 1 < nb {
                        next[(b + 1) * nl + l] += moved;
                        r.ageing_in[(b + 1) * nl + l] += moved;
                    } else if last_band_closed {
                        r.aged_out[b * nl + l] += moved;
                    }
                }
            }
            // Entries into the first band.
            for l in 0..nl {
                next[l] += entries_per_step[l];
                r.entries[l] += entries_per_step[l];
            }
            // Net migration to or from the projection.
            let time_end = f64::from(year) + (step + 1) as f64 * dt;
            let step_index = k * steps + step;
            for b in 0..nb {
                let band = &mut next[b * nl..(b + 1) * nl];
                let total: f64 = band.iter().sum();
                let net = match calibration {
                    Calibration::None => continue,
                    Calibration::ToProjection => match &model.projection {
                        Some(p) => p.band_total(b, time_end) - total,
                        None => continue,
                    },
                    Calibration::Replay(recorded) => recorded.get(step_index * nb + b).copied().unwrap_or(0.0),
                };
                if matches!(calibration, Calibration::ToProjection) {
                    migration_by_step.push(net);
                }
                if net == 0.0 {
                    continue;
                }
                // Spread over levels in proportion to the band's people (or
                // evenly across the band's starting mix if it is empty).
                let weights: Vec<f64> = if total > 0.0 {
                    band.iter().map(|p| p / total).collect()
                } else {
                    let start: f64 = model.population[b * nl..(b + 1) * nl].iter().sum();
                    if start > 0.0 {
                        model.population[b * nl..(b + 1) * nl]
                            .iter()
                            .map(|p| p / start)
                            .collect()
                    } else {
                        vec![1.0 / nl as f64; nl]
                    }
                };
                for l in 0..nl {
                    let add = net * weights[l];
                    band[l] += add;
                    r.migration[b * nl + l] += add;
                }
            }
            // Guard: nothing negative, nothing non-finite.
            for c in 0..cells {
                let v = next[c];
                let (b, l) = (c / nl, c % nl);
                if !v.is_finite() {
                    return Err(EngineError::NotFinite {
                        band: model.bands[b].name.clone(),
                        level: model.levels[l].clone(),
                        year,
                        value: v,
                        cause: "check the populations, entries and projection for huge values".into(),
                    });
                }
                if v < 0.0 {
                    let tolerance = 1e-9 * (1.0 + x[c].abs());
                    if v < -tolerance {
                        return Err(EngineError::NegativeStock {
                            band: model.bands[b].name.clone(),
                            level: model.levels[l].clone(),
                            year,
                            value: v,
                            cause: "the population projection removes more people than the band holds; check projection_csv".into(),
                        });
                    }
                    next[c] = 0.0;
                }
            }
            for c in 0..cells {
                let counted = match model.occupancy {
                    Occupancy::Start => x[c],
                    Occupancy::End => next[c],
                    Occupancy::HalfCycle => 0.5 * (x[c] + next[c]),
                };
                r.person_years[c] += counted * dt;
            }
            std::mem::swap(&mut x, &mut next);
        }
        r.people_end = x.clone();

        for b in 0..nb {
            for from in 0..nl {
                for to in 0..nl {
                    let f = r.flows[(b * nl + from) * nl + to];
                    r.moved_out[b * nl + from] += f;
                    r.moved_in[b * nl + to] += f;
                }
            }
        }
        for (s, rates) in use_rate.iter().enumerate() {
            r.activity[s] = rates.iter().zip(&r.person_years).map(|(u, py)| u * py).sum();
        }
        for &i in plan {
            let iv = &model.interventions[i];
            let target_py: f64 = iv
                .target_bands
                .iter()
                .flat_map(|&b| iv.target_levels.iter().map(move |&l| b * nl + l))
                .map(|c| r.person_years[c])
                .sum();
            let participants = delivered[i][k] * target_py;
            let running = iv.scale_in(year) > 0.0;
            r.participants[i] = participants;
            r.intervention_cost[i] = participants * iv.cost_per_participant + if running { iv.fixed_cost } else { 0.0 };
        }
        years.push(r);
    }
    Ok(Trajectory {
        years,
        migration_by_step,
    })
}
