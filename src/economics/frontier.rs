//! The efficient frontier (the cost-effectiveness frontier of the
//! deterministic results): the strategies a decision maker could prefer at
//! some willingness to pay, with the ICER of each step along it.

use super::Deterministic;

/// Where a strategy stands against the efficient frontier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Status {
    /// On the frontier. `previous` is the next less effective strategy on
    /// it and `icer` the ICER of the step from there (money per QALY); both
    /// `None` for the least costly strategy, where the frontier starts.
    Frontier { previous: Option<usize>, icer: Option<f64> },
    /// Strongly dominated: strategy `by` costs no more and gives no fewer
    /// QALYs, and is better in one of them (`by` is the least costly such
    /// strategy on the frontier). A strategy identical in cost and QALYs to
    /// one listed earlier is reported dominated by it, so that the frontier
    /// holds each point once.
    Dominated { by: usize },
    /// Extendedly dominated: a mix of the frontier strategies `between`
    /// (less and more effective) would give more QALYs for the same cost,
    /// which shows as its ICER from the previous one exceeding the next
    /// one's ICER from it.
    ExtendedlyDominated { between: (usize, usize) },
}

/// The efficient frontier of some strategies.
#[derive(Debug, Clone, PartialEq)]
pub struct Frontier {
    /// The strategies on the frontier, least costly (and least effective)
    /// first; costs and QALYs strictly increase along it, and so do its
    /// ICERs (equal ICERs are kept).
    pub order: Vec<usize>,
    /// Each strategy's status, in the strategies' order.
    pub status: Vec<Status>,
}

impl Frontier {
    /// The frontier's ICERs, step by step along it: `(from, to, icer)`.
    pub fn icers(&self) -> Vec<(usize, usize, f64)> {
        (self.order.iter())
            .filter_map(|&s| match self.status[s] {
                Status::Frontier {
                    previous: Some(p),
                    icer: Some(icer),
                } => Some((p, s, icer)),
                _ => None,
            })
            .collect()
    }

    /// The cost-effective strategy at willingness to pay `wtp`: the most
    /// effective frontier strategy whose ICER is at most `wtp`. It has the
    /// highest NMB of all the strategies at `wtp` (at an ICER exactly, the
    /// two ends of the step tie and this is the more effective).
    pub fn best_at(&self, wtp: f64) -> usize {
        let mut best = self.order[0];
        for &s in &self.order[1..] {
            match self.status[s] {
                Status::Frontier { icer: Some(icer), .. } if icer <= wtp => best = s,
                _ => break,
            }
        }
        best
    }
}

/// The efficient frontier, by the textbook rules (Drummond et al., *Methods
/// for the Economic Evaluation of Health Care Programmes*, ch. 4):
/// 1. sort the strategies by QALYs, then by cost, both ascending;
/// 2. remove every strongly dominated strategy (another costs no more and
///    gives no fewer QALYs, and is strictly better in one; of identical
///    ones the first listed is kept);
/// 3. along what is left (costs and QALYs now both strictly increasing),
///    compute each step's ICER; where a strategy's ICER from the one before
///    is higher than the next one's ICER from it, remove it as extendedly
///    dominated (the first such, least effective first), recompute the
///    ICERs and repeat until they increase (equal ICERs are kept).
///
/// Every comparison is exact, so a difference of 1e-12 in cost still
/// counts.
pub fn frontier(strategies: &Deterministic) -> Frontier {
    let outcomes = strategies.outcomes();
    let n = outcomes.len();
    let mut sorted: Vec<usize> = (0..n).collect();
    sorted.sort_by(|&a, &b| {
        (outcomes[a].effect.total_cmp(&outcomes[b].effect))
            .then(outcomes[a].cost.total_cmp(&outcomes[b].cost))
            .then(a.cmp(&b))
    });
    // Rule 2. `a` dominates `b` when no worse in both and better in one,
    // or identical and listed first.
    let dominates = |a: usize, b: usize| {
        let (x, y) = (outcomes[a], outcomes[b]);
        let no_worse = x.cost <= y.cost && x.effect >= y.effect;
        let better = x.cost < y.cost || x.effect > y.effect;
        no_worse && (better || a < b)
    };
    let dominated: Vec<bool> = (0..n).map(|b| (0..n).any(|a| a != b && dominates(a, b))).collect();
    let mut on: Vec<usize> = sorted.iter().copied().filter(|&s| !dominated[s]).collect();
    let icer = |a: usize, b: usize| (outcomes[b].cost - outcomes[a].cost) / (outcomes[b].effect - outcomes[a].effect);
    // Rule 3, until the ICERs increase.
    let mut extended = Vec::new();
    while let Some(k) = (1..on.len().saturating_sub(1)).find(|&k| icer(on[k - 1], on[k]) > icer(on[k], on[k + 1])) {
        extended.push(on.remove(k));
    }
    let mut status = vec![
        Status::Frontier {
            previous: None,
            icer: None
        };
        n
    ];
    for (k, &s) in on.iter().enumerate().skip(1) {
        status[s] = Status::Frontier {
            previous: Some(on[k - 1]),
            icer: Some(icer(on[k - 1], s)),
        };
    }
    for s in (0..n).filter(|&s| dominated[s]) {
        // The least costly frontier strategy dominating it (one always
        // does: dominance is transitive and the strategies are finite).
        let by = (on.iter().copied())
            .filter(|&a| dominates(a, s))
            .min_by(|&a, &b| outcomes[a].cost.total_cmp(&outcomes[b].cost))
            .unwrap_or(on[0]);
        status[s] = Status::Dominated { by };
    }
    for s in extended {
        // The frontier strategies either side of it in QALYs (the first and
        // last of the frontier are never removed, so both exist).
        let upper = on
            .iter()
            .position(|&f| outcomes[f].effect > outcomes[s].effect)
            .unwrap_or(on.len() - 1);
        status[s] = Status::ExtendedlyDominated {
            between: (on[upper.saturating_sub(1)], on[upper]),
        };
    }
    Frontier { order: on, status }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::economics::{Outcome, incremental::best};

    fn strategies(figures: &[(f64, f64)]) -> Deterministic {
        let names = (0..figures.len()).map(|k| format!("s{k}")).collect();
        let outcomes = figures.iter().map(|&(cost, effect)| Outcome { cost, effect }).collect();
        Deterministic::new(names, outcomes).unwrap()
    }

    /// Worked by hand (cost £, QALYs):
    ///
    /// | strategy | cost | QALYs | |
    /// |---|---|---|---|
    /// | A do nothing | 1,000 | 5.0 | frontier start |
    /// | B | 3,000 | 5.5 | frontier: (3,000 − 1,000) / 0.5 = £4,000 per QALY |
    /// | C | 5,000 | 5.4 | dominated by B (costs more, fewer QALYs) |
    /// | D | 12,000 | 5.7 | from B: 9,000 / 0.2 = £45,000; but E from D: 2,000 / 0.3 = £6,667 < £45,000, so extendedly dominated |
    /// | E | 14,000 | 6.0 | frontier: from B, 11,000 / 0.5 = £22,000 per QALY |
    #[test]
    fn a_textbook_example_with_one_of_each_kind() {
        let f = frontier(&strategies(&[
            (1_000.0, 5.0),
            (3_000.0, 5.5),
            (5_000.0, 5.4),
            (12_000.0, 5.7),
            (14_000.0, 6.0),
        ]));
        assert_eq!(f.order, vec![0, 1, 4]);
        assert_eq!(
            f.status[0],
            Status::Frontier {
                previous: None,
                icer: None
            }
        );
        assert_eq!(f.status[2], Status::Dominated { by: 1 });
        assert_eq!(f.status[3], Status::ExtendedlyDominated { between: (1, 4) });
        let icers = f.icers();
        assert_eq!((icers[0].0, icers[0].1), (0, 1));
        assert!((icers[0].2 - 4_000.0).abs() < 1e-6);
        assert_eq!((icers[1].0, icers[1].1), (1, 4));
        assert!((icers[1].2 - 22_000.0).abs() < 1e-6);
        // At £20,000 per QALY B is cost-effective; at £30,000, E.
        assert_eq!(f.best_at(20_000.0), 1);
        assert_eq!(f.best_at(30_000.0), 4);
        assert_eq!(f.best_at(0.0), 0);
    }

    /// Removing one extendedly dominated strategy can reveal another:
    /// ICERs 1,000 → 12,000 → 3,000 → 4,000 along A B C D E take out C,
    /// then D (from B, 7,500 against E's 4,000 from it).
    #[test]
    fn extended_dominance_is_iterated() {
        // Steps of 1 QALY: costs rise by 1,000, 10,000, 5,000, 20,000.
        let f = frontier(&strategies(&[
            (0.0, 0.0),
            (1_000.0, 1.0),
            (11_000.0, 2.0),
            (16_000.0, 3.0),
            (36_000.0, 4.0),
        ]));
        // C (10,000 then 5,000) goes first; then D from B is 15,000/2 =
        // 7,500 against E from D 20,000: kept.
        assert_eq!(f.order, vec![0, 1, 3, 4]);
        assert_eq!(f.status[2], Status::ExtendedlyDominated { between: (1, 3) });
        // Now ICERs 1,000 → 12,000 → 3,000 → 4,000: C and then D go.
        let f = frontier(&strategies(&[
            (0.0, 0.0),
            (1_000.0, 1.0),
            (13_000.0, 2.0),
            (16_000.0, 3.0),
            (20_000.0, 4.0),
        ]));
        assert_eq!(f.order, vec![0, 1, 4]);
        assert_eq!(f.status[2], Status::ExtendedlyDominated { between: (1, 4) });
        assert_eq!(f.status[3], Status::ExtendedlyDominated { between: (1, 4) });
    }

    #[test]
    fn ties_and_single_strategies() {
        let f = frontier(&strategies(&[(1.0, 1.0)]));
        assert_eq!(f.order, vec![0]);
        // Identical strategies: the first is kept. Same QALYs, dearer: dominated.
        let f = frontier(&strategies(&[(1.0, 1.0), (1.0, 1.0), (2.0, 1.0)]));
        assert_eq!(f.order, vec![0]);
        assert_eq!(f.status[1], Status::Dominated { by: 0 });
        assert_eq!(f.status[2], Status::Dominated { by: 0 });
        // Equal ICERs are kept.
        let f = frontier(&strategies(&[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]));
        assert_eq!(f.order, vec![0, 1, 2]);
    }

    #[test]
    fn the_frontier_holds_the_best_strategy_at_every_willingness_to_pay() {
        // A fixed pseudo-random set of strategies (a linear congruential
        // sequence), checked at many thresholds.
        let mut x: u64 = 12345;
        let mut next = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..200 {
            let figures: Vec<(f64, f64)> = (0..7).map(|_| (next() * 50_000.0, next() * 2.0)).collect();
            let s = strategies(&figures);
            let f = frontier(&s);
            for k in 0..=100 {
                let wtp = f64::from(k) * 1_000.0;
                let nmb: Vec<f64> = s.outcomes().iter().map(|o| o.nmb(wtp)).collect();
                let b = f.best_at(wtp);
                assert!((nmb[b] - nmb[best(&nmb)]).abs() < 1e-6, "{figures:?} at {wtp}");
            }
            for w in f.icers().windows(2) {
                assert!(w[0].2 <= w[1].2);
            }
        }
    }
}
