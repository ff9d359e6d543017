//! Decision uncertainty under Monte Carlo draws: the cost-effectiveness
//! plane, the cost-effectiveness acceptability curves (CEAC) and frontier
//! (CEAF), and the expected value of perfect information (EVPI).

use super::incremental::best;
use super::{EconomicsError, Psa};

/// One strategy's cloud on the cost-effectiveness plane: each draw's
/// incremental QALYs and cost against the comparator in the same draw.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanePoints {
    pub strategy: usize,
    /// `(ΔE, ΔC)` per draw: QALYs across, money up.
    pub points: Vec<(f64, f64)>,
    /// The mean of `points`.
    pub mean: (f64, f64),
}

/// Every strategy but the comparator on the cost-effectiveness plane.
pub fn ce_plane(psa: &Psa) -> Vec<PlanePoints> {
    let n = psa.draws() as f64;
    (1..psa.strategies())
        .map(|s| {
            let points: Vec<(f64, f64)> = (0..psa.draws())
                .map(|d| (psa.effect(d, s) - psa.effect(d, 0), psa.cost(d, s) - psa.cost(d, 0)))
                .collect();
            let sum = points.iter().fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
            PlanePoints {
                strategy: s,
                points,
                mean: (sum.0 / n, sum.1 / n),
            }
        })
        .collect()
}

/// The acceptability curves, the frontier and EVPI over a grid of
/// willingness to pay. Every table is indexed `[..][k]` by the grid's
/// point `wtp[k]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Acceptability {
    /// The grid (money per QALY), as given.
    pub wtp: Vec<f64>,
    /// CEAC, `[strategy][k]`: the share of draws in which the strategy has
    /// the highest NMB (of equal NMBs, the first strategy listed counts),
    /// so that each point's shares sum to 1.
    pub probability: Vec<Vec<f64>>,
    /// `[strategy][k]`: the strategy's mean NMB over the draws.
    pub expected_nmb: Vec<Vec<f64>>,
    /// CEAF, `[k]`: the strategy with the highest expected NMB (the
    /// decision under current information; of equals, the first listed).
    pub optimal: Vec<usize>,
    /// CEAF, `[k]`: the probability that `optimal[k]` is cost-effective,
    /// `probability[optimal[k]][k]`.
    pub frontier_probability: Vec<f64>,
    /// EVPI per person, `[k]` (money): `E[max_s NMB] − max_s E[NMB]`, the
    /// expected loss from deciding now rather than with perfect
    /// information; 0 or more.
    pub evpi: Vec<f64>,
}

/// The CEAC, CEAF and EVPI of `psa` at each willingness to pay in `wtps`.
/// Each draw's NMB is taken against the comparator's in the same draw
/// (`λ·ΔE − ΔC`), which changes no decision and no difference of means but
/// keeps the large common part out of the sums.
pub fn acceptability(psa: &Psa, wtps: &[f64]) -> Acceptability {
    let (n, strategies) = (psa.draws(), psa.strategies());
    let mut probability = vec![vec![0.0; wtps.len()]; strategies];
    let mut expected_nmb = vec![vec![0.0; wtps.len()]; strategies];
    let (mut optimal, mut frontier_probability, mut evpi) = (Vec::new(), Vec::new(), Vec::new());
    let mut nmb = vec![0.0; strategies];
    for (k, &wtp) in wtps.iter().enumerate() {
        let mut wins = vec![0usize; strategies];
        let mut sum = vec![0.0; strategies];
        let mut sum_best = 0.0;
        for d in 0..n {
            for (s, v) in nmb.iter_mut().enumerate() {
                *v = wtp * (psa.effect(d, s) - psa.effect(d, 0)) - (psa.cost(d, s) - psa.cost(d, 0));
                sum[s] += *v;
            }
            let b = best(&nmb);
            wins[b] += 1;
            sum_best += nmb[b];
        }
        let means: Vec<f64> = sum.iter().map(|v| v / n as f64).collect();
        let chosen = best(&means);
        // Back to each strategy's own NMB: add the comparator's mean.
        let comparator = comparator_nmb(psa, wtp);
        for s in 0..strategies {
            probability[s][k] = wins[s] as f64 / n as f64;
            expected_nmb[s][k] = means[s] + comparator;
        }
        optimal.push(chosen);
        frontier_probability.push(probability[chosen][k]);
        evpi.push((sum_best / n as f64 - means[chosen]).max(0.0));
    }
    Acceptability {
        wtp: wtps.to_vec(),
        probability,
        expected_nmb,
        optimal,
        frontier_probability,
        evpi,
    }
}

/// The comparator's mean NMB at `wtp`.
fn comparator_nmb(psa: &Psa, wtp: f64) -> f64 {
    let n = psa.draws() as f64;
    (0..psa.draws())
        .map(|d| wtp * psa.effect(d, 0) - psa.cost(d, 0))
        .sum::<f64>()
        / n
}

/// EVPI per person at each willingness to pay (see
/// [`Acceptability::evpi`]).
pub fn evpi(psa: &Psa, wtps: &[f64]) -> Vec<f64> {
    acceptability(psa, wtps).evpi
}

/// The effective population a decision affects, for population EVPI (and
/// EVPPI): `per_year` people a year for `years` years, year `t` (0-based)
/// discounted by `(1 + rate)^−t`, so that the first year counts in full.
/// With `years` 1 it is `per_year`. A caller with its own figure (an
/// incidence projection, say) passes that to [`population_evpi`] instead.
pub fn population_multiplier(per_year: f64, years: u32, rate: f64) -> Result<f64, EconomicsError> {
    if !(per_year >= 0.0 && per_year.is_finite() && rate > -1.0 && rate.is_finite()) {
        return Err(EconomicsError::Population { per_year, rate });
    }
    Ok((0..years).map(|t| per_year / (1.0 + rate).powi(t as i32)).sum())
}

/// Population EVPI: per-person EVPI times the effective population
/// `multiplier` (people, discounted as the caller wants; see
/// [`population_multiplier`]). The most it could be worth, at each
/// willingness to pay, to remove all the uncertainty before deciding.
pub fn population_evpi(per_person: &[f64], multiplier: f64) -> Vec<f64> {
    per_person.iter().map(|v| v * multiplier).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    use statrs::distribution::{Continuous, ContinuousCDF};

    /// Two strategies: do nothing (cost and QALYs 0) and one whose QALYs
    /// and cost are independent normals, so that its incremental NMB at λ
    /// is Normal(λ·μE − μC, λ²σE² + σC²).
    fn normal_psa(draws: usize, seed: u64) -> Psa {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        let effect = Normal::new(0.1, 0.08).unwrap();
        let cost = Normal::new(2_500.0, 1_000.0).unwrap();
        let (mut costs, mut effects) = (Vec::new(), Vec::new());
        for _ in 0..draws {
            costs.push(vec![0.0, cost.sample(&mut rng)]);
            effects.push(vec![0.0, effect.sample(&mut rng)]);
        }
        Psa::new(vec!["do nothing".into(), "treat".into()], &costs, &effects).unwrap()
    }

    /// EVPI of two strategies with incremental NMB ~ Normal(μ, σ²):
    /// E[max(0, X)] − max(0, μ) = σφ(μ/σ) − |μ|Φ(−|μ|/σ).
    fn closed_form(mu: f64, sigma: f64) -> f64 {
        let z = statrs::distribution::Normal::standard();
        sigma * z.pdf(mu / sigma) - mu.abs() * z.cdf(-mu.abs() / sigma)
    }

    #[test]
    fn evpi_of_a_normal_incremental_nmb_matches_its_closed_form() {
        let draws = 200_000;
        let psa = normal_psa(draws, 7);
        let wtps = [10_000.0, 25_000.0, 40_000.0];
        let a = acceptability(&psa, &wtps);
        for (k, &wtp) in wtps.iter().enumerate() {
            let mu = wtp * 0.1 - 2_500.0;
            let sigma = ((wtp * 0.08).powi(2) + 1_000f64.powi(2)).sqrt();
            let exact = closed_form(mu, sigma);
            // Monte Carlo error of a mean of max(0, X) − max(0, μ): at most σ/√n.
            let tolerance = 4.0 * sigma / (draws as f64).sqrt();
            assert!(
                (a.evpi[k] - exact).abs() < tolerance,
                "at {wtp}: {} against {exact} ± {tolerance}",
                a.evpi[k]
            );
            // The CEAC: P(X > 0) = Φ(μ/σ).
            let p = statrs::distribution::Normal::standard().cdf(mu / sigma);
            assert!(
                (a.probability[1][k] - p).abs() < 0.005,
                "{} against {p}",
                a.probability[1][k]
            );
        }
    }

    #[test]
    fn acceptability_curves_and_frontier_add_up() {
        let psa = normal_psa(2_000, 11);
        let wtps = crate::economics::default_grid();
        let a = acceptability(&psa, &wtps);
        for k in 0..wtps.len() {
            let total: f64 = a.probability.iter().map(|p| p[k]).sum();
            assert!((total - 1.0).abs() < 1e-12);
            assert_eq!(a.frontier_probability[k], a.probability[a.optimal[k]][k]);
            assert!(a.evpi[k] >= 0.0);
        }
        // Below £25,000 per QALY (the ICER of the means, near enough) do
        // nothing is optimal, above it "treat".
        assert_eq!(a.optimal[10], 0);
        assert_eq!(a.optimal[40], 1);
        // At λ = 0 the NMB is −cost: do nothing, for certain here.
        assert_eq!(a.expected_nmb[0][0], 0.0);
        let means = psa.means();
        assert!((a.expected_nmb[1][0] + means.outcomes()[1].cost).abs() < 1e-6);
    }

    #[test]
    fn the_plane_holds_each_draw_against_the_comparator() {
        let psa = Psa::new(
            vec!["a".into(), "b".into()],
            &[vec![10.0, 15.0], vec![20.0, 21.0]],
            &[vec![1.0, 1.5], vec![2.0, 2.0]],
        )
        .unwrap();
        let plane = ce_plane(&psa);
        assert_eq!(plane.len(), 1);
        assert_eq!(plane[0].points, vec![(0.5, 5.0), (0.0, 1.0)]);
        assert_eq!(plane[0].mean, (0.25, 3.0));
    }

    #[test]
    fn population_evpi_is_per_person_times_the_effective_population() {
        assert_eq!(population_multiplier(1_000.0, 1, 0.035).unwrap(), 1_000.0);
        let m = population_multiplier(1_000.0, 3, 0.035).unwrap();
        assert!((m - (1_000.0 + 1_000.0 / 1.035 + 1_000.0 / 1.035f64.powi(2))).abs() < 1e-9);
        assert_eq!(population_evpi(&[2.0, 0.5], 1_000.0), vec![2_000.0, 500.0]);
        assert!(population_multiplier(-1.0, 3, 0.035).is_err());
    }
}
