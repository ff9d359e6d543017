//! Incremental analysis: one strategy against another (by default against
//! the comparator), its incremental cost, incremental QALYs, ICER and
//! incremental net monetary benefit, and every strategy's NMB at each
//! willingness to pay.

use super::{Deterministic, Outcome};

/// The incremental cost-effectiveness ratio of a move from one strategy to
/// another, named by the quadrant of the cost-effectiveness plane it lies
/// in (ΔE across, ΔC up); figures are compared exactly, so a difference of
/// 1e-12 still counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Icer {
    /// North-east (ΔC > 0, ΔE > 0): ΔC / ΔE, money per QALY gained.
    Ratio(f64),
    /// South-west (ΔC < 0, ΔE < 0): ΔC / ΔE, money saved per QALY lost;
    /// worth it when the saving per QALY lost exceeds the threshold.
    SavingPerQalyLost(f64),
    /// No more costly and more effective, or less costly and no less
    /// effective (south-east, or an axis towards it).
    Dominant,
    /// More costly and no more effective, or equally costly and less
    /// effective (north-west, or on an axis towards it).
    Dominated,
    /// The same cost and the same QALYs.
    Identical,
}

impl Icer {
    /// The ICER of a move that adds `cost` and `effect`.
    pub fn of(cost: f64, effect: f64) -> Icer {
        if effect > 0.0 && cost > 0.0 {
            Icer::Ratio(cost / effect)
        } else if effect < 0.0 && cost < 0.0 {
            Icer::SavingPerQalyLost(cost / effect)
        } else if cost < 0.0 || (cost == 0.0 && effect > 0.0) {
            Icer::Dominant
        } else if cost == 0.0 && effect == 0.0 {
            Icer::Identical
        } else {
            Icer::Dominated
        }
    }

    /// The ratio ΔC / ΔE where it is one (north-east or south-west).
    pub fn value(self) -> Option<f64> {
        match self {
            Icer::Ratio(r) | Icer::SavingPerQalyLost(r) => Some(r),
            _ => None,
        }
    }
}

/// A move from one strategy to another: `cost` and `effect` are the
/// second's less the first's (money, QALYs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Increment {
    pub cost: f64,
    pub effect: f64,
    pub icer: Icer,
}

impl Increment {
    /// The move from `from` to `to`.
    pub fn between(from: Outcome, to: Outcome) -> Increment {
        let (cost, effect) = (to.cost - from.cost, to.effect - from.effect);
        Increment {
            cost,
            effect,
            icer: Icer::of(cost, effect),
        }
    }

    /// Incremental net monetary benefit at willingness to pay `wtp`:
    /// `wtp·ΔE − ΔC`, positive when the move is worth making at `wtp`.
    pub fn nmb(&self, wtp: f64) -> f64 {
        wtp * self.effect - self.cost
    }
}

/// Each strategy against the comparator (the first; its own row is
/// `Identical`).
pub fn against_comparator(strategies: &Deterministic) -> Vec<Increment> {
    let outcomes = strategies.outcomes();
    outcomes.iter().map(|&o| Increment::between(outcomes[0], o)).collect()
}

/// Every strategy against every other: `[from][to]`.
pub fn pairwise(strategies: &Deterministic) -> Vec<Vec<Increment>> {
    let outcomes = strategies.outcomes();
    outcomes
        .iter()
        .map(|&from| outcomes.iter().map(|&to| Increment::between(from, to)).collect())
        .collect()
}

/// Each strategy's net monetary benefit `wtp·E − C` at each willingness to
/// pay: `[wtp][strategy]`.
pub fn net_monetary_benefit(strategies: &Deterministic, wtps: &[f64]) -> Vec<Vec<f64>> {
    wtps.iter()
        .map(|&wtp| strategies.outcomes().iter().map(|o| o.nmb(wtp)).collect())
        .collect()
}

/// The strategy with the highest of `nmb` (the first of equals).
pub fn best(nmb: &[f64]) -> usize {
    let mut at = 0;
    for (s, &v) in nmb.iter().enumerate().skip(1) {
        if v > nmb[at] {
            at = s;
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strategies() -> Deterministic {
        let outcome = |cost, effect| Outcome { cost, effect };
        Deterministic::new(
            vec!["do nothing".into(), "falls".into(), "navigators".into()],
            vec![outcome(1_000.0, 5.0), outcome(3_000.0, 5.1), outcome(500.0, 5.2)],
        )
        .unwrap()
    }

    #[test]
    fn increments_and_icers_against_the_comparator() {
        let inc = against_comparator(&strategies());
        assert_eq!(inc[0].icer, Icer::Identical);
        assert!((inc[1].cost - 2_000.0).abs() < 1e-9 && (inc[1].effect - 0.1).abs() < 1e-12);
        let Icer::Ratio(r) = inc[1].icer else {
            panic!("{:?}", inc[1].icer)
        };
        assert!((r - 20_000.0).abs() < 1e-6);
        assert_eq!(inc[2].icer, Icer::Dominant);
        // NMB at £20,000 and £30,000: 20,000·0.1 − 2,000 = 0; 30,000·0.1 − 2,000 = 1,000.
        assert!(inc[1].nmb(20_000.0).abs() < 1e-6);
        assert!((inc[1].nmb(30_000.0) - 1_000.0).abs() < 1e-6);
    }

    #[test]
    fn between_strategies_and_every_quadrant() {
        let all = pairwise(&strategies());
        assert_eq!(all[1][2].icer, Icer::Dominant);
        assert_eq!(all[2][1].icer, Icer::Dominated);
        let Icer::SavingPerQalyLost(r) = Icer::of(-100.0, -0.01) else {
            panic!()
        };
        assert!((r - 10_000.0).abs() < 1e-6);
        assert_eq!(Icer::of(0.0, 0.1), Icer::Dominant);
        assert_eq!(Icer::of(0.0, -0.1), Icer::Dominated);
        assert_eq!(Icer::of(5.0, 0.0), Icer::Dominated);
        assert_eq!(Icer::of(-5.0, 0.0), Icer::Dominant);
        assert_eq!(Icer::of(0.0, 0.0).value(), None);
    }

    #[test]
    fn nmb_at_each_threshold() {
        let nmb = net_monetary_benefit(&strategies(), &super::super::DEFAULT_THRESHOLDS);
        // 20,000·5 − 1,000; 20,000·5.1 − 3,000; 20,000·5.2 − 500.
        assert_eq!(nmb[0], vec![99_000.0, 99_000.0, 103_500.0]);
        assert_eq!(best(&nmb[0]), 2);
        assert_eq!(best(&[1.0, 1.0]), 0);
    }
}
