//! Statistics of the draws: mean and sd in partial sums, exact percentiles
//! from order statistics found by bucketing, and probabilities counted in
//! the same pass.

use super::batches::{Core, give_back};
use super::{FutureSpec, Options, Probability, RowStats, Summary};
use crate::model::Model;
use rayon::prelude::*;

/// Rows whose values the statistics gather at a time. 256 rows read a
/// kilobyte of each draw's values at a visit (fewer page walks than 64 rows;
/// 512 and more overflow the caches): measured best on the reference run
/// and the workshop run.
pub(super) const BLOCK: usize = 256;

/// How many draws ahead the statistics' gather asks for its next values.
const AHEAD: usize = 16;

/// Asks for the cache lines holding the first `n` of `values` (a hint: the
/// gather's reads are a draw's width apart, a stride the processor does not
/// foresee on its own).
#[inline(always)]
fn prefetch(values: &[f32], n: usize) {
    #[cfg(target_arch = "x86_64")]
    for k in (0..n.min(values.len())).step_by(16) {
        // SAFETY: a prefetch never faults and reads nothing; the address
        // lies within `values`.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(values[k..].as_ptr().cast());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (values, n);
}

/// Statistics and probabilities of a run's draws.
pub(super) fn summarise(model: &Model, futures: &[FutureSpec], options: &Options, core: Core) -> Summary {
    let Core {
        names,
        slots,
        width,
        values,
        records,
    } = core;
    let kept_rows = slots.iter().flatten().count();
    let draws = options.draws as usize;
    // Rows by (future, year, metric), first occurrence kept.
    let mut index: std::collections::HashMap<(usize, Option<i32>, &str), usize> =
        std::collections::HashMap::with_capacity(names.len());
    for (r, (f, year, name)) in names.iter().enumerate() {
        index.entry((*f, *year, name.as_str())).or_insert(r);
    }
    let find = |f: usize, year: Option<i32>, metric: &str| index.get(&(f, year, metric)).copied();

    // The probabilities: which row each one counts in (counted below, with
    // the rows' statistics, while each row's values are at hand).
    enum Count {
        Positive,
        BrokenEvenBy(i32),
    }
    let mut wanted: Vec<(usize, i32, String, usize, Count)> = Vec::new();
    for f in 1..futures.len() {
        let break_even = find(f, None, "break_even_year").and_then(|r| slots[r]);
        for year in model.years() {
            let mut metrics = vec![(
                "prob_net_saving_positive".to_string(),
                "net_saving_cumulative_discounted".to_string(),
            )];
            for funder in &model.funders {
                metrics.push((
                    format!("prob_net_saving_positive_funder:{funder}"),
                    format!("net_saving_cumulative_discounted_funder:{funder}"),
                ));
            }
            for (metric, source) in metrics {
                if let Some(k) = find(f, Some(year), &source).and_then(|r| slots[r]) {
                    wanted.push((f, year, metric, k, Count::Positive));
                }
            }
            if let Some(k) = break_even {
                wanted.push((f, year, "prob_break_even_by_year".into(), k, Count::BrokenEvenBy(year)));
            }
        }
    }
    // Per kept row, the probabilities counted in it.
    let mut counted_in: Vec<Vec<usize>> = vec![Vec::new(); kept_rows];
    for (w, want) in wanted.iter().enumerate() {
        counted_in[want.3].push(w);
    }

    // Rows are gathered a block at a time (`BLOCK`): each draw's values for
    // a block of rows sit together, so the gather reads memory in order.
    // Per block: its rows' statistics, and (probability, count) pairs.
    type Block = (Vec<RowStats>, Vec<(usize, usize)>);
    let blocks: Vec<Block> = (0..kept_rows.div_ceil(BLOCK))
        .into_par_iter()
        .map_init(Vec::new, |columns: &mut Vec<f32>, block| {
            let first = block * BLOCK;
            let n = BLOCK.min(kept_rows - first);
            // Row j's values at `columns[j * draws..(j + 1) * draws]`. Each
            // read is independent of the last (no growing vector), so the
            // processor keeps many of these scattered reads in flight. The
            // room is reused from block to block (a fresh megabytes-large
            // allocation would fault its pages in again).
            columns.resize(n * draws, 0.0);
            for d in 0..draws {
                let at = d * width + first;
                prefetch(&values[(at + AHEAD * width).min(values.len() - 1)..], n);
                for (j, &v) in values[at..at + n].iter().enumerate() {
                    columns[j * draws + d] = v;
                }
            }
            let mut counts = Vec::new();
            let stats = (0..n)
                .map(|j| {
                    let column = &columns[j * draws..(j + 1) * draws];
                    for &w in &counted_in[first + j] {
                        let n = match wanted[w].4 {
                            Count::Positive => column.iter().filter(|&&v| f64::from(v) > 0.0).count(),
                            Count::BrokenEvenBy(year) => column
                                .iter()
                                .filter(|&&v| v.is_finite() && f64::from(v) <= f64::from(year))
                                .count(),
                        };
                        counts.push((w, n));
                    }
                    row_stats_f32(column, &options.percentiles)
                })
                .collect();
            (stats, counts)
        })
        .collect();
    // The draws' values are no longer needed: their room is kept for the
    // next run.
    give_back(values);
    let mut packed: Vec<Option<RowStats>> = Vec::with_capacity(kept_rows);
    let mut counts = vec![0; wanted.len()];
    for (stats, block_counts) in blocks {
        packed.extend(stats.into_iter().map(Some));
        for (w, n) in block_counts {
            counts[w] = n;
        }
    }
    let empty = RowStats {
        mean: None,
        sd: None,
        percentiles: vec![None; options.percentiles.len()],
    };
    let stats: Vec<RowStats> = slots
        .iter()
        .map(|slot| slot.and_then(|k| packed[k].take()).unwrap_or_else(|| empty.clone()))
        .collect();
    let probabilities = wanted
        .into_iter()
        .zip(counts)
        .map(|((future, year, metric, _, _), n)| Probability {
            future,
            year,
            metric,
            value: n as f64 / draws as f64,
        })
        .collect();

    Summary {
        draws: options.draws,
        seed: options.seed,
        percentiles: options.percentiles.clone(),
        rows: stats,
        probabilities,
        records,
    }
}

/// [`row_stats`] for values kept in single precision, as the draws' are:
/// the order statistics are found by bucketing (see [`order_statistics`]),
/// the moments are summed in double precision.
pub fn row_stats_f32(values: &[f32], percentiles: &[f64]) -> RowStats {
    let n = values.len();
    // A NaN anywhere makes the mean NaN, so only then are the values searched.
    let mean = if n == 0 { f64::NAN } else { mean_of(values) };
    if mean.is_nan() && (n == 0 || values.iter().any(|v| v.is_nan())) {
        let wide: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
        return row_stats(&wide, percentiles);
    }
    let sd = sd_about(values, mean);
    // The order statistics every percentile needs (the one at or below its
    // position, and the next when it falls between two), found together.
    let mut positions: Vec<usize> = Vec::with_capacity(2 * percentiles.len());
    for &p in percentiles {
        let h = (n - 1) as f64 * p / 100.0;
        positions.push(h.floor() as usize);
        positions.push((h.ceil() as usize).min(n - 1));
    }
    positions.sort_unstable();
    positions.dedup();
    let found = order_statistics_near(values, &positions, mean, sd);
    let at = |k: usize| f64::from(found[positions.binary_search(&k).unwrap_or(0)]);
    let percentiles = percentiles
        .iter()
        .map(|&p| {
            let h = (n - 1) as f64 * p / 100.0;
            let (lo, hi) = (h.floor() as usize, (h.ceil() as usize).min(n - 1));
            let (a, b) = (at(lo), at(hi));
            Some(a + (h - lo as f64) * (b - a))
        })
        .collect();
    RowStats {
        mean: Some(mean),
        sd: Some(sd),
        percentiles,
    }
}

/// Mean and sample standard deviation of the `n` values `value(i)`, each
/// sum kept in eight partial sums (so that it runs at the machine's vector
/// width rather than one addition's latency at a time) added at the end.
fn mean_sd<T: Copy + Into<f64>>(values: &[T]) -> (f64, f64) {
    let mean = mean_of(values);
    (mean, sd_about(values, mean))
}

/// The mean of [`mean_sd`].
fn mean_of<T: Copy + Into<f64>>(values: &[T]) -> f64 {
    sum_in_parts(values, |v| v) / values.len() as f64
}

/// The sample standard deviation of [`mean_sd`], about `mean`.
fn sd_about<T: Copy + Into<f64>>(values: &[T], mean: f64) -> f64 {
    let n = values.len();
    if n > 1 {
        (sum_in_parts(values, |v| (v - mean).powi(2)) / (n - 1) as f64).sqrt()
    } else {
        0.0
    }
}

/// `Σ term(v)` over `values`, in eight partial sums added at the end.
#[inline(always)]
fn sum_in_parts<T: Copy + Into<f64>>(values: &[T], term: impl Fn(f64) -> f64) -> f64 {
    const PARTS: usize = 8;
    let mut parts = [0.0; PARTS];
    let mut chunks = values.chunks_exact(PARTS);
    for chunk in &mut chunks {
        for k in 0..PARTS {
            parts[k] += term(chunk[k].into());
        }
    }
    for (part, &v) in parts.iter_mut().zip(chunks.remainder()) {
        *part += term(v.into());
    }
    parts.iter().sum::<f64>()
}

/// The values a full sort of `values` (all finite) would put at each of the
/// sorted `positions`, without sorting: every value is put in one of
/// up to a couple of thousand equal-width buckets between the least and the
/// greatest (an order-keeping map), the buckets are counted, and only the
/// few buckets that hold a wanted position are gathered and sorted. Ties
/// and -0.0/+0.0 order as `f32::total_cmp`, so the result is exactly the
/// sorted values'.
pub fn order_statistics(values: &[f32], positions: &[usize]) -> Vec<f32> {
    // Least and greatest, in sixteen running pairs (so the loop vectorises).
    let (mut low, mut high) = ([f32::INFINITY; 16], [f32::NEG_INFINITY; 16]);
    let mut chunks = values.chunks_exact(16);
    for chunk in &mut chunks {
        for k in 0..16 {
            low[k] = if chunk[k] < low[k] { chunk[k] } else { low[k] };
            high[k] = if chunk[k] > high[k] { chunk[k] } else { high[k] };
        }
    }
    for (k, &v) in chunks.remainder().iter().enumerate() {
        low[k] = low[k].min(v);
        high[k] = high[k].max(v);
    }
    let lo = low.iter().fold(f32::INFINITY, |a, &b| a.min(b));
    let hi = high.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    if lo == hi && lo != 0.0 {
        return vec![lo; positions.len()];
    }
    if lo == hi {
        // Only zeros (a supply row in the years nothing is short, say):
        // sorted, those of either sign in `total_cmp`'s order, −0 first.
        let negative = values.iter().filter(|v| v.is_sign_negative()).count();
        return positions
            .iter()
            .map(|&p| if p < negative { -0.0 } else { 0.0 })
            .collect();
    }
    bucketed(values, positions, lo, hi)
}

/// [`order_statistics`] of values (all finite) whose mean and standard
/// deviation are known: the buckets span five standard deviations either
/// side of the mean (at most 4% of any values lie beyond, by Chebyshev's
/// inequality), so the least and greatest need not be found first. Values
/// beyond fall in the end buckets, which keeps the order; a wanted position
/// in a crowded end bucket is found exactly all the same.
pub fn order_statistics_near(values: &[f32], positions: &[usize], mean: f64, sd: f64) -> Vec<f32> {
    let (lo, hi) = ((mean - 5.0 * sd) as f32, (mean + 5.0 * sd) as f32);
    if sd > 0.0 && lo.is_finite() && hi.is_finite() && lo < hi {
        bucketed(values, positions, lo, hi)
    } else {
        order_statistics(values, positions)
    }
}

/// The bucketing of [`order_statistics`] between `lo` and `hi` (`lo` ≤ `hi`;
/// values beyond go in the first or last bucket).
fn bucketed(values: &[f32], positions: &[usize], lo: f32, hi: f32) -> Vec<f32> {
    let n = values.len();
    // About four values a bucket, from 16 to 2048 buckets.
    let buckets = (n / 4).next_power_of_two().clamp(16, 2048);
    let scale = (buckets - 1) as f32 / (hi - lo);
    if !(scale.is_finite() && scale > 0.0 && (hi - lo).is_finite()) {
        // A range too narrow or too wide to bucket (or only zeros, which
        // may carry either sign): sort.
        let mut sorted = values.to_vec();
        sorted.sort_unstable_by(f32::total_cmp);
        return positions.iter().map(|&p| sorted[p]).collect();
    }
    // x = (v - lo) · scale, at least 0, never decreases as v grows; adding
    // 2^23 leaves x rounded to a whole number in the low bits of the sum (a
    // larger x gives larger bits still), an order-keeping bucket number
    // found without a conversion instruction.
    const SHIFT: f32 = 8_388_608.0;
    let bucket =
        |v: f32| (((((v - lo) * scale).max(0.0)) + SHIFT).to_bits() - SHIFT.to_bits()).min(buckets as u32 - 1) as u16;
    let index: Vec<u16> = values.iter().map(|&v| bucket(v)).collect();
    // Counted in four interleaved tallies, so that neighbours in the same
    // bucket do not wait on each other's count.
    let mut tallies = vec![[0u32; 4]; buckets];
    let mut quads = index.chunks_exact(4);
    for q in &mut quads {
        for k in 0..4 {
            tallies[usize::from(q[k])][k] += 1;
        }
    }
    for &b in quads.remainder() {
        tallies[usize::from(b)][0] += 1;
    }
    let counts: Vec<u32> = tallies.iter().map(|t| t.iter().sum()).collect();
    // Each wanted position's bucket, and the rank of that bucket's first value.
    let mut wanted: Vec<(usize, usize)> = Vec::with_capacity(positions.len());
    let (mut b, mut before) = (0, 0usize);
    for &p in positions {
        while before + counts[b] as usize <= p {
            before += counts[b] as usize;
            b += 1;
        }
        wanted.push((b, before));
    }
    const NONE: u16 = u16::MAX;
    let mut slot_of = vec![NONE; buckets];
    let mut gathered: Vec<Vec<f32>> = Vec::new();
    for &(b, _) in &wanted {
        if slot_of[b] == NONE {
            slot_of[b] = gathered.len() as u16;
            gathered.push(Vec::with_capacity(counts[b] as usize));
        }
    }
    // Few buckets are wanted: 32 values at a time are tested against each
    // (a test that vectorises), and only the values that hit are taken, in
    // order, one set bit at a time. The last, partial group is padded with
    // a bucket number no bucket has.
    let mut distinct: Vec<u16> = wanted.iter().map(|&(b, _)| b as u16).collect();
    distinct.dedup();
    const GROUP: usize = 32;
    let whole = n / GROUP * GROUP;
    let (mut last_index, mut last_values) = ([NONE; GROUP], [0.0; GROUP]);
    last_index[..n - whole].copy_from_slice(&index[whole..]);
    last_values[..n - whole].copy_from_slice(&values[whole..]);
    let groups = (index[..whole].chunks_exact(GROUP).zip(values.chunks_exact(GROUP)))
        .chain(std::iter::once((&last_index[..], &last_values[..])));
    for (group, vs) in groups {
        let mut hit = [false; GROUP];
        for &d in &distinct {
            for k in 0..GROUP {
                hit[k] |= group[k] == d;
            }
        }
        let mut bits = hit
            .iter()
            .enumerate()
            .fold(0u32, |bits, (k, &h)| bits | (u32::from(h) << k));
        while bits != 0 {
            let k = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            gathered[usize::from(slot_of[usize::from(group[k])])].push(vs[k]);
        }
    }
    // A crowded bucket (values bunched by a few far outliers) is bucketed
    // again over its own narrower range; a small one is sorted.
    let mut found = vec![0.0; positions.len()];
    let mut k = 0;
    while k < positions.len() {
        let (b, before) = wanted[k];
        let end = k + wanted[k..].iter().take_while(|w| w.0 == b).count();
        let g = &mut gathered[usize::from(slot_of[b])];
        let local: Vec<usize> = positions[k..end].iter().map(|&p| p - before).collect();
        if g.len() > 256 {
            found[k..end].copy_from_slice(&order_statistics(g, &local));
        } else {
            g.sort_unstable_by(f32::total_cmp);
            for (slot, &p) in found[k..end].iter_mut().zip(&local) {
                *slot = g[p];
            }
        }
        k = end;
    }
    found
}

/// Mean, sample standard deviation and percentiles (linear between order
/// statistics, as a spreadsheet's PERCENTILE.INC) of `values`, where NaN
/// means "none" and sorts above every number.
pub fn row_stats(values: &[f64], percentiles: &[f64]) -> RowStats {
    let n = values.len();
    let any_none = values.iter().any(|v| v.is_nan());
    let (mean, sd) = if any_none || n == 0 {
        (None, None)
    } else {
        let (mean, sd) = mean_sd(values);
        (Some(mean), Some(sd))
    };
    // NaN ("none") sorts above every number. Each percentile needs only the
    // two order statistics around it, found by selection, not a full sort.
    let order = |a: &f64, b: &f64| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        (false, false) => a.total_cmp(b),
    };
    let mut work = values.to_vec();
    let percentiles = percentiles
        .iter()
        .map(|&p| {
            if n == 0 {
                return None;
            }
            let h = (n - 1) as f64 * p / 100.0;
            let lo = h.floor() as usize;
            let (_, &mut a, above) = work.select_nth_unstable_by(lo, order);
            let b = if h > lo as f64 {
                above.iter().copied().min_by(order).unwrap_or(a)
            } else {
                a
            };
            if a.is_nan() || b.is_nan() {
                None
            } else {
                Some(a + (h - lo as f64) * (b - a))
            }
        })
        .collect();
    RowStats { mean, sd, percentiles }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_a_spreadsheet() {
        let s = row_stats(&[4.0, 1.0, 3.0, 2.0], &[0.0001, 50.0, 75.0]);
        assert_eq!(s.mean, Some(2.5));
        assert!((s.sd.unwrap() - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(s.percentiles[1], Some(2.5));
        assert_eq!(s.percentiles[2], Some(3.25));
    }

    #[test]
    fn none_sorts_last_and_blanks_the_mean() {
        let s = row_stats(&[2030.0, f64::NAN, 2028.0, f64::NAN], &[25.0, 75.0]);
        assert_eq!(s.mean, None);
        assert_eq!(s.percentiles[0], Some(2028.0 + 0.75 * 2.0));
        assert_eq!(s.percentiles[1], None);
    }

    #[test]
    fn single_precision_statistics_agree_with_double() {
        let values: Vec<f32> = [3.5f32, -2.0, 0.0, -0.5, 7.25, 1.0, -9.0, 4.0].to_vec();
        let wide: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
        let p = [1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0];
        assert_eq!(row_stats_f32(&values, &p), row_stats(&wide, &p));
    }

    #[test]
    fn many_percentiles_agree_with_a_full_sort() {
        let values: Vec<f32> = (0..1001).map(|i| ((i * 7919) % 1001) as f32 * 0.5 - 100.0).collect();
        let mut sorted: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
        sorted.sort_by(f64::total_cmp);
        let p = [
            0.1, 1.0, 2.5, 5.0, 10.0, 25.0, 33.3, 50.0, 66.6, 75.0, 90.0, 95.0, 97.5, 99.0, 99.9,
        ];
        let stats = row_stats_f32(&values, &p);
        for (q, got) in p.iter().zip(&stats.percentiles) {
            let h = 1000.0 * q / 100.0;
            let lo = h.floor() as usize;
            let expected = sorted[lo] + (h - lo as f64) * (sorted[(lo + 1).min(1000)] - sorted[lo]);
            assert!((got.unwrap() - expected).abs() < 1e-9, "p{q}: {got:?} vs {expected}");
        }
    }

    #[test]
    fn only_zeros_order_as_a_sort_does() {
        let values: Vec<f32> = (0..1000).map(|i| if i % 7 == 3 { -0.0 } else { 0.0 }).collect();
        let mut sorted = values.clone();
        sorted.sort_unstable_by(f32::total_cmp);
        let positions: Vec<usize> = (0..1000).step_by(13).chain([142, 143, 999]).collect();
        let mut positions = positions;
        positions.sort_unstable();
        positions.dedup();
        let found = order_statistics(&values, &positions);
        for (&p, v) in positions.iter().zip(found) {
            assert_eq!(v.to_bits(), sorted[p].to_bits(), "position {p}");
        }
    }

    proptest::proptest! {
        /// Bucketed order statistics are exactly a full sort's, for spread,
        /// clustered, tied and signed-zero values alike, whatever span the
        /// buckets are given.
        #[test]
        fn order_statistics_equal_a_full_sort(
            values in proptest::collection::vec(
                proptest::prop_oneof![
                    -1.0e6f32..1.0e6,
                    0.0f32..1.0e-3,
                    proptest::sample::select(vec![0.0f32, -0.0, 1.0, 1.0e-30, -7.5, 3.0e30]),
                ],
                1..3000,
            ),
            picks in proptest::collection::vec(0.0f64..1.0, 1..12),
            centre in -2.0e6f64..2.0e6,
            spread in proptest::prop_oneof![0.0f64..1.0e-3, 0.0f64..1.0e7],
        ) {
            let n = values.len();
            let mut positions: Vec<usize> = picks.iter().map(|p| (p * n as f64) as usize % n).collect();
            positions.sort_unstable();
            positions.dedup();
            let mut sorted = values.clone();
            sorted.sort_unstable_by(f32::total_cmp);
            let (mean, sd) = mean_sd(&values);
            // The buckets' span (the values' own, or any other, however
            // poor a guess) changes only the speed, never the answer.
            for found in [
                order_statistics(&values, &positions),
                order_statistics_near(&values, &positions, mean, sd),
                order_statistics_near(&values, &positions, centre, spread),
            ] {
                for (&p, got) in positions.iter().zip(&found) {
                    proptest::prop_assert_eq!(got.to_bits(), sorted[p].to_bits(), "position {}", p);
                }
            }
        }
    }
}
