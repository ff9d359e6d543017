//! The expected value of partial perfect information (EVPPI) of a
//! parameter or a group of parameters, by the regression method of Strong,
//! Oakley & Brennan (2014), "Estimating multiparameter partial expected
//! value of perfect information from a probabilistic sensitivity analysis
//! sample: a nonparametric regression approach", Medical Decision Making
//! 34(3):311–326.

use super::smoother::{Projection, Smoother, margin_size};
use super::{EconomicsError, Parameters, Psa};

/// The fit behind one strategy's EVPPI at one willingness to pay.
#[derive(Debug, Clone, PartialEq)]
pub struct EvppiFit {
    /// The strategy whose incremental NMB against the comparator was fitted.
    pub strategy: usize,
    /// The smoothing parameter GCV chose (not a willingness to pay).
    pub lambda: f64,
    /// The fit's effective degrees of freedom.
    pub df: f64,
    /// The share of the incremental NMB's variance the parameters explain.
    pub r_squared: f64,
}

/// EVPPI of one group of parameters at each willingness to pay.
#[derive(Debug, Clone, PartialEq)]
pub struct Evppi {
    /// The parameters learnt together, as named.
    pub parameters: Vec<String>,
    /// The willingness to pay (money per QALY), as given.
    pub wtp: Vec<f64>,
    /// EVPPI per person (money) at each willingness to pay: the regression
    /// estimate, held within [0, EVPI], which the true value always is.
    pub evppi: Vec<f64>,
    /// The regression estimate before it is held within [0, EVPI]; it is 0
    /// or more by construction and exceeds EVPI only through the fit's
    /// error, by little in practice.
    pub estimate: Vec<f64>,
    /// EVPI per person over the same draws, for scale.
    pub evpi: Vec<f64>,
    /// `[k][s − 1]`: each strategy's fit at `wtp[k]`.
    pub fits: Vec<Vec<EvppiFit>>,
    /// Functions in the regression's basis.
    pub basis: usize,
}

impl Evppi {
    /// Population EVPPI at each willingness to pay: per person times the
    /// effective population `multiplier` (see
    /// [`super::population_multiplier`]).
    pub fn population(&self, multiplier: f64) -> Vec<f64> {
        super::population_evpi(&self.evppi, multiplier)
    }
}

/// EVPPI of the parameters named in `group` (1 to 4; learnt together) at
/// each willingness to pay in `wtps`, from `psa` and the `parameters` drawn
/// with it.
///
/// The method: for each strategy `s` after the comparator and each λ, the
/// incremental NMB `INB_s = λ·ΔE_s − ΔC_s` of each draw is regressed on the
/// group's values in that draw with the penalised regression spline of
/// [`super::smoother`] (one input: a cubic B-spline with 20 interior knots
/// at quantiles; 2–4 inputs: the tensor product of cubic B-splines of 10,
/// 6 or 4 functions per input; integrated squared second derivative
/// penalty, its smoothing parameter chosen by GCV for each strategy and
/// willingness to pay). The fitted values
/// `ĝ_s(d)` estimate `E[INB_s | θ_d]` (θ_d the group's values in draw d), and
///
/// EVPPI = mean over d of max(0, max_s ĝ_s(d)) − max(0, max_s mean ĝ_s)
///
/// (the comparator's INB being 0; the mean of the fitted values is the
/// mean INB). The fits are linear in the response, so each strategy's
/// costs and QALYs are projected once and every λ's response is combined
/// from the two projections.
pub fn evppi(psa: &Psa, parameters: &Parameters, group: &[&str], wtps: &[f64]) -> Result<Evppi, EconomicsError> {
    if group.is_empty() || group.len() > 4 {
        return Err(EconomicsError::Inputs { count: group.len() });
    }
    if let Some(twice) = (1..group.len()).find(|&i| group[..i].contains(&group[i])) {
        return Err(EconomicsError::Name {
            name: group[twice].to_string(),
        });
    }
    if parameters.draws() != psa.draws() {
        return Err(EconomicsError::Draws {
            parameters: parameters.draws(),
            psa: psa.draws(),
        });
    }
    let (n, strategies) = (psa.draws(), psa.strategies());
    let needed = 2 * margin_size(group.len()).pow(group.len() as u32) + 20;
    if n < needed {
        return Err(EconomicsError::TooFewDraws {
            draws: n,
            inputs: group.len(),
            needed,
        });
    }
    let columns: Vec<Vec<f64>> = group
        .iter()
        .map(|name| {
            let p = parameters.index(name)?;
            Ok((0..n).map(|d| parameters.value(d, p)).collect())
        })
        .collect::<Result<_, EconomicsError>>()?;
    let inputs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let smoother = Smoother::new(&inputs)?;
    // Each strategy's incremental QALYs and costs, and their projections.
    let increments: Vec<(Vec<f64>, Vec<f64>)> = (1..strategies)
        .map(|s| {
            let effect = (0..n).map(|d| psa.effect(d, s) - psa.effect(d, 0)).collect();
            let cost = (0..n).map(|d| psa.cost(d, s) - psa.cost(d, 0)).collect();
            (effect, cost)
        })
        .collect();
    let projections: Vec<_> = (increments.iter())
        .map(|(e, c)| (smoother.project(e), smoother.project(c)))
        .collect();
    let mut result = Evppi {
        parameters: group.iter().map(|g| g.to_string()).collect(),
        wtp: wtps.to_vec(),
        evppi: Vec::new(),
        estimate: Vec::new(),
        evpi: Vec::new(),
        fits: Vec::new(),
        basis: smoother.size(),
    };
    for &wtp in wtps {
        let mut best_draw = vec![0.0f64; n];
        let mut best_mean = 0.0f64;
        let mut fits = Vec::with_capacity(strategies - 1);
        for (i, ((effect, cost), (pe, pc))) in increments.iter().zip(&projections).enumerate() {
            let mean = wtp * pe.mean - pc.mean;
            let projection = Projection {
                mean,
                squares: (effect.iter().zip(cost))
                    .map(|(e, c)| (wtp * e - c - mean).powi(2))
                    .sum(),
                z: pe.z.iter().zip(&pc.z).map(|(e, c)| wtp * e - c).collect(),
            };
            let fit = smoother.fit(&projection);
            for (b, &g) in best_draw.iter_mut().zip(&fit.fitted) {
                *b = b.max(g);
            }
            best_mean = best_mean.max(mean);
            fits.push(EvppiFit {
                strategy: i + 1,
                lambda: fit.lambda,
                df: fit.df,
                r_squared: fit.r_squared,
            });
        }
        let estimate = (best_draw.iter().sum::<f64>() / n as f64 - best_mean).max(0.0);
        let evpi = evpi_of(&increments, wtp, best_mean);
        result.estimate.push(estimate);
        result.evppi.push(estimate.min(evpi));
        result.evpi.push(evpi);
        result.fits.push(fits);
    }
    Ok(result)
}

/// EVPI from the increments: mean of max(0, max_s INB_s) − `best_mean`
/// (max(0, max_s mean INB_s)).
fn evpi_of(increments: &[(Vec<f64>, Vec<f64>)], wtp: f64, best_mean: f64) -> f64 {
    let n = increments.first().map_or(0, |(e, _)| e.len());
    let mut sum = 0.0;
    for d in 0..n {
        let best = (increments.iter())
            .map(|(e, c)| wtp * e[d] - c[d])
            .fold(0.0f64, f64::max);
        sum += best;
    }
    if n == 0 {
        0.0
    } else {
        (sum / n as f64 - best_mean).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    /// `draws` draws of `inputs` standard normal parameters (named p0, p1,
    /// …) and of strategies whose incremental QALYs and costs are
    /// `outcome(s, θ, rng)` (the comparator's 0).
    fn sample(
        draws: usize,
        inputs: usize,
        strategies: usize,
        seed: u64,
        outcome: impl Fn(usize, &[f64], &mut rand_xoshiro::Xoshiro256PlusPlus) -> (f64, f64),
    ) -> (Psa, Parameters) {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        let z = Normal::new(0.0, 1.0).unwrap();
        let (mut costs, mut effects, mut values) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..draws {
            let theta: Vec<f64> = (0..inputs).map(|_| z.sample(&mut rng)).collect();
            let (mut c, mut e) = (vec![0.0], vec![0.0]);
            for s in 1..strategies {
                let (effect, cost) = outcome(s, &theta, &mut rng);
                e.push(effect);
                c.push(cost);
            }
            costs.push(c);
            effects.push(e);
            values.push(theta);
        }
        let names = (0..strategies).map(|s| format!("strategy {s}")).collect();
        let psa = Psa::new(names, &costs, &effects).unwrap();
        let parameters = Parameters::new((0..inputs).map(|p| format!("p{p}")).collect(), &values).unwrap();
        (psa, parameters)
    }

    const WTPS: [f64; 3] = [20_000.0, 30_000.0, 50_000.0];

    #[test]
    fn evppi_is_evpi_when_the_parameters_are_all_the_uncertainty() {
        // One parameter; three strategies, each an exact smooth function of it.
        let (psa, parameters) = sample(5_000, 1, 3, 1, |s, t, _| match s {
            1 => (
                0.05 + 0.04 * t[0] + 0.01 * (2.0 * t[0]).sin(),
                1_500.0 + 300.0 * t[0] * t[0],
            ),
            _ => (0.08 + 0.02 * t[0], 2_000.0 + 500.0 * t[0].tanh()),
        });
        let e = evppi(&psa, &parameters, &["p0"], &WTPS).unwrap();
        for (k, wtp) in WTPS.iter().enumerate() {
            assert!(e.evpi[k] > 10.0, "{:?}", e.evpi);
            let gap = (e.estimate[k] - e.evpi[k]).abs() / e.evpi[k];
            assert!(
                gap < 0.005,
                "at {}: EVPPI {} against EVPI {}",
                wtp,
                e.estimate[k],
                e.evpi[k]
            );
            assert!(e.fits[k].iter().all(|f| f.r_squared > 0.9999));
        }
        // Two, three and four parameters: costs on some, QALYs on others.
        type Outcome = fn(usize, &[f64], &mut rand_xoshiro::Xoshiro256PlusPlus) -> (f64, f64);
        let cases: [(usize, Outcome, f64); 3] = [
            (
                2,
                |_, t, _| {
                    (
                        0.1 + 0.05 * t[0] + 0.01 * t[0].sin(),
                        2_500.0 + 800.0 * (0.5 * t[1]).tanh(),
                    )
                },
                0.01,
            ),
            (
                3,
                |_, t, _| (0.1 + 0.05 * t[0] * (1.0 + 0.1 * t[2]), 2_500.0 + 800.0 * t[1]),
                0.01,
            ),
            (
                4,
                |_, t, _| (0.1 + 0.03 * t[0] + 0.03 * t[1], 2_500.0 + 500.0 * t[2] - 300.0 * t[3]),
                0.01,
            ),
        ];
        for (inputs, outcome, tolerance) in cases {
            let (psa, parameters) = sample(5_000, inputs, 2, 2, outcome);
            let names: Vec<String> = (0..inputs).map(|p| format!("p{p}")).collect();
            let group: Vec<&str> = names.iter().map(String::as_str).collect();
            let e = evppi(&psa, &parameters, &group, &WTPS).unwrap();
            for (k, wtp) in WTPS.iter().enumerate() {
                let gap = (e.estimate[k] - e.evpi[k]).abs() / e.evpi[k];
                assert!(
                    gap < tolerance,
                    "{inputs} inputs at {}: {} against {}",
                    wtp,
                    e.estimate[k],
                    e.evpi[k]
                );
            }
        }
    }

    /// INB = a + b·θ + ε with θ and ε independent normals: learning θ
    /// leaves INB ~ Normal(a + bθ, s²), so EVPPI(θ) is EVPI's closed form
    /// for Normal(a, b²): |b|φ(a/b) − |a|Φ(−|a|/|b|), whatever the noise.
    #[test]
    fn evppi_of_a_parameter_with_noise_besides_matches_its_closed_form() {
        use statrs::distribution::{Continuous, ContinuousCDF};
        let noise = Normal::new(0.0, 1.0).unwrap();
        // ΔE = 0.1 + 0.05θ + 0.03ε₁, ΔC = 2,000 + 600ε₂: at λ, a = 0.1λ −
        // 2,000 and b = 0.05λ.
        let (psa, parameters) = sample(20_000, 1, 2, 21, |_, t, rng| {
            (
                0.1 + 0.05 * t[0] + 0.03 * noise.sample(rng),
                2_000.0 + 600.0 * noise.sample(rng),
            )
        });
        let e = evppi(&psa, &parameters, &["p0"], &WTPS).unwrap();
        let z = statrs::distribution::Normal::standard();
        for (k, wtp) in WTPS.iter().enumerate() {
            let (a, b) = (0.1 * wtp - 2_000.0, 0.05 * wtp);
            let exact = b * z.pdf(a / b) - a.abs() * z.cdf(-a.abs() / b);
            // Monte Carlo error of the mean of max(0, ·) over 20,000 draws
            // is at most b/√n; allow four of those and the fit's error.
            let tolerance = 4.0 * b / (20_000f64).sqrt() + 0.02 * exact;
            assert!(
                (e.evppi[k] - exact).abs() < tolerance,
                "at {wtp}: {} against {exact} ± {tolerance}",
                e.evppi[k]
            );
            assert!(e.evppi[k] < e.evpi[k]);
        }
    }

    /// A parameter of two values (an event that happens or not) and one with
    /// a long tail: no NaN, and the two-valued one's EVPPI is what knowing
    /// the event gives, E over the event of max(0, E[INB | event]) − max(0,
    /// E[INB]), within Monte Carlo error.
    #[test]
    fn discrete_and_long_tailed_parameters() {
        let noise = Normal::new(0.0, 1.0).unwrap();
        let (psa, parameters) = sample(10_000, 2, 2, 31, |_, t, rng| {
            let event = if t[0] > 0.0 { 1.0 } else { 0.0 };
            let tail = t[1].exp();
            (0.1 + 0.1 * event, 2_500.0 + 300.0 * tail + 500.0 * noise.sample(rng))
        });
        let event: Vec<Vec<f64>> = (0..10_000)
            .map(|d| {
                vec![
                    if parameters.value(d, 0) > 0.0 { 1.0 } else { 0.0 },
                    parameters.value(d, 1).exp(),
                ]
            })
            .collect();
        let parameters = Parameters::new(vec!["event".into(), "tail".into()], &event).unwrap();
        let e = evppi(&psa, &parameters, &["event"], &WTPS).unwrap();
        // E[ΔC] = 2,500 + 300·e^{1/2}; with the event INB's mean is 0.2λ − E[ΔC], without it 0.1λ − E[ΔC].
        let cost = 2_500.0 + 300.0 * 0.5f64.exp();
        for (k, wtp) in WTPS.iter().enumerate() {
            let (with, without) = (0.2 * wtp - cost, 0.1 * wtp - cost);
            let exact = 0.5 * with.max(0.0) + 0.5 * without.max(0.0) - (0.5 * (with + without)).max(0.0);
            assert!(
                (e.evppi[k] - exact).abs() < 0.02 * exact + 60.0,
                "at {wtp}: {} against {exact}",
                e.evppi[k]
            );
        }
        let e = evppi(&psa, &parameters, &["tail"], &WTPS).unwrap();
        assert!(e.evppi.iter().chain(&e.estimate).all(|v| v.is_finite() && *v >= 0.0));
        let e = evppi(&psa, &parameters, &["event", "tail"], &WTPS).unwrap();
        assert!(e.evppi.iter().zip(&e.evpi).all(|(v, evpi)| v.is_finite() && v <= evpi));
    }

    #[test]
    fn a_parameter_that_changes_nothing_is_worth_nothing() {
        // p0 drives the QALYs; p1 is drawn but used nowhere. At £25,000
        // the mean INB is 0, where a fit that followed the noise would
        // count most.
        let (psa, parameters) = sample(10_000, 2, 2, 3, |_, t, _| (0.1 + 0.08 * t[0], 2_500.0));
        let e = evppi(&psa, &parameters, &["p1"], &[20_000.0, 25_000.0, 30_000.0, 50_000.0]).unwrap();
        for (evppi, evpi) in e.evppi.iter().zip(&e.evpi) {
            assert!(*evpi > 200.0);
            assert!(*evppi < 0.01 * evpi, "{evppi} against EVPI {evpi}");
        }
    }

    #[test]
    fn evppi_lies_between_zero_and_evpi() {
        // Noisy outcomes, partly explained by each parameter, over seeds,
        // groups and thresholds.
        let noise = Normal::new(0.0, 1.0).unwrap();
        for seed in 0..6 {
            let (psa, parameters) = sample(2_000, 3, 3, 100 + seed, |s, t, rng| {
                let e = 0.05 * s as f64 + 0.03 * t[0] + 0.02 * noise.sample(rng);
                let c = 1_000.0 * s as f64 + 400.0 * t[1] * t[1] + 300.0 * noise.sample(rng);
                (e, c)
            });
            let grid: Vec<f64> = (0..=10).map(|k| f64::from(k) * 10_000.0).collect();
            for group in [&["p0"][..], &["p1"], &["p2"], &["p0", "p1"], &["p0", "p1", "p2"]] {
                let e = evppi(&psa, &parameters, group, &grid).unwrap();
                for (k, wtp) in grid.iter().enumerate() {
                    assert!(e.evppi[k] >= 0.0 && e.evppi[k] <= e.evpi[k]);
                    assert!(e.estimate[k] >= 0.0);
                    // The raw estimate too, within a little of the fit's error.
                    assert!(
                        e.estimate[k] <= e.evpi[k] * 1.02 + 1e-9,
                        "{group:?} at {}: {} against {}",
                        wtp,
                        e.estimate[k],
                        e.evpi[k]
                    );
                }
            }
        }
    }

    #[test]
    fn evpi_here_is_acceptability_s_and_the_combined_fit_is_the_direct_one() {
        let (psa, parameters) = sample(3_000, 2, 3, 9, |s, t, _| {
            (0.04 * s as f64 + 0.05 * t[0], 1_000.0 * t[1].exp())
        });
        let e = evppi(&psa, &parameters, &["p0"], &WTPS).unwrap();
        let a = crate::economics::acceptability(&psa, &WTPS);
        for (ours, theirs) in e.evpi.iter().zip(&a.evpi) {
            assert!((ours - theirs).abs() < 1e-6 * theirs.max(1.0));
        }
        // Strategy 1's INB at £30,000 fitted directly.
        let column: Vec<f64> = (0..3_000).map(|d| parameters.value(d, 0)).collect();
        let smoother = Smoother::new(&[&column]).unwrap();
        let inb: Vec<f64> = (0..3_000)
            .map(|d| 30_000.0 * (psa.effect(d, 1) - psa.effect(d, 0)) - (psa.cost(d, 1) - psa.cost(d, 0)))
            .collect();
        let direct = smoother.fit(&smoother.project(&inb));
        let fit = &e.fits[1][0];
        assert!((direct.lambda / fit.lambda - 1.0).abs() < 1e-6);
        assert!((direct.df - fit.df).abs() < 1e-6);
    }

    #[test]
    fn groups_are_checked() {
        let (psa, parameters) = sample(50, 5, 2, 4, |_, t, _| (t[0], 0.0));
        assert_eq!(
            evppi(&psa, &parameters, &["p0", "p1", "p2", "p3", "p4"], &WTPS),
            Err(EconomicsError::Inputs { count: 5 })
        );
        assert!(matches!(
            evppi(&psa, &parameters, &["p0"], &WTPS),
            Err(EconomicsError::TooFewDraws { .. })
        ));
        let (psa, parameters) = sample(1_000, 1, 2, 4, |_, t, _| (t[0], 0.0));
        // A parameter that never changes is worth nothing.
        let fixed = Parameters::new(vec!["fixed".into()], &vec![vec![0.3]; 1_000]).unwrap();
        let e = evppi(&psa, &fixed, &["fixed"], &WTPS).unwrap();
        assert!(e.evppi.iter().all(|&v| v == 0.0) && e.evpi.iter().all(|&v| v > 0.0));
        assert!(matches!(
            evppi(&psa, &parameters, &["p0", "p0"], &WTPS),
            Err(EconomicsError::Name { .. })
        ));
        assert!(matches!(
            evppi(&psa, &parameters, &["q"], &WTPS),
            Err(EconomicsError::UnknownParameter { .. })
        ));
    }

    /// Timings on 10,000 draws, 1 to 4 parameters, at the default
    /// thresholds and on the default grid; run with `cargo test --release
    /// --lib economics::evppi -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn timings() {
        let (psa, parameters) = sample(10_000, 4, 3, 5, |s, t, _| {
            (
                0.05 * s as f64 + 0.03 * t[0] - 0.01 * t[1],
                1_000.0 * s as f64 + 300.0 * t[2] + 200.0 * t[3],
            )
        });
        let grid = crate::economics::default_grid();
        for group in [
            &["p0"][..],
            &["p0", "p1"],
            &["p0", "p1", "p2"],
            &["p0", "p1", "p2", "p3"],
        ] {
            for wtps in [&crate::economics::DEFAULT_THRESHOLDS[..], &grid[..]] {
                let start = std::time::Instant::now();
                let e = evppi(&psa, &parameters, group, wtps).unwrap();
                eprintln!(
                    "EVPPI of {} parameter(s), basis {}, 10,000 draws, 3 strategies, {} WTP: {:.1} ms",
                    group.len(),
                    e.basis,
                    wtps.len(),
                    start.elapsed().as_secs_f64() * 1e3
                );
            }
        }
    }
}
