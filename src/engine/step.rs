//! The band steps, unrolled for the number of levels: one step of every
//! band, a year band by band, a year's flows summed over bands, and the
//! services' activity summed over cells. Every version does the same
//! operations in the same order as the plain loop beside it.

// Index loops over lanes, levels and cells are the plainest form of these
// kernels, and the form the compiler vectorises.
#![allow(clippy::needless_range_loop)]

/// `$f::<W, NL>` for `$nl` levels from 1 to 8 (the versions unrolled for
/// the number of levels), else `$beyond`.
macro_rules! by_levels {
    ($nl:expr, $f:ident, $beyond:expr) => {
        match $nl {
            1 => $f::<W, 1>,
            2 => $f::<W, 2>,
            3 => $f::<W, 3>,
            4 => $f::<W, 4>,
            5 => $f::<W, 5>,
            6 => $f::<W, 6>,
            7 => $f::<W, 7>,
            8 => $f::<W, 8>,
            _ => $beyond,
        }
    };
}

/// One step of every band, youngest first (`carry` passes each band's
/// ageing to the next): `matrices[b]`, stocks `x` → `next`, step-start sums
/// `x_sum`, ageing out `aged`, each band's ageing share.
pub(super) type BandsStep<const W: usize> = fn(
    matrices: &[Vec<[f64; W]>],
    x: &[[f64; W]],
    next: &mut [[f64; W]],
    x_sum: &mut [[f64; W]],
    carry: &mut [[f64; W]],
    aged: &mut [[f64; W]],
    ageing_share: &[f64],
);

/// The step for `nl` levels: unrolled for 1–8 levels (the loop
/// bookkeeping otherwise costs as much as the arithmetic), a loop beyond.
/// Every version does the same operations in the same order.
pub(super) fn bands_step_for<const W: usize>(nl: usize) -> BandsStep<W> {
    by_levels!(nl, bands_step, bands_step_any::<W>)
}

fn bands_step<const W: usize, const NL: usize>(
    matrices: &[Vec<[f64; W]>],
    x: &[[f64; W]],
    next: &mut [[f64; W]],
    x_sum: &mut [[f64; W]],
    carry: &mut [[f64; W]],
    aged: &mut [[f64; W]],
    ageing_share: &[f64],
) {
    // What ages from one band into the next stays in registers.
    let mut moving: [[f64; W]; NL] = std::array::from_fn(|l| carry[l]);
    for (b, (((m, band_next), band_x), band_sum)) in matrices
        .iter()
        .zip(next.chunks_exact_mut(NL))
        .zip(x.chunks_exact(NL))
        .zip(x_sum.chunks_exact_mut(NL))
        .enumerate()
    {
        let band_aged = &mut aged[b * NL..(b + 1) * NL];
        band_step::<W, NL>(m, band_x, band_next, &mut moving, band_aged, band_sum, ageing_share[b]);
    }
    carry[..NL].copy_from_slice(&moving);
}

fn bands_step_any<const W: usize>(
    matrices: &[Vec<[f64; W]>],
    x: &[[f64; W]],
    next: &mut [[f64; W]],
    x_sum: &mut [[f64; W]],
    carry: &mut [[f64; W]],
    aged: &mut [[f64; W]],
    ageing_share: &[f64],
) {
    let nl = carry.len();
    for (b, (((m, band_next), band_x), band_sum)) in matrices
        .iter()
        .zip(next.chunks_exact_mut(nl))
        .zip(x.chunks_exact(nl))
        .zip(x_sum.chunks_exact_mut(nl))
        .enumerate()
    {
        let band_aged = &mut aged[b * nl..(b + 1) * nl];
        band_step_any::<W>(m, band_x, band_next, carry, band_aged, band_sum, ageing_share[b]);
    }
}

/// A year of `carries.len() / levels` steps, band by band (see
/// [`year_band_major_for`]): stocks `x` (updated in place), step-start sums
/// `x_sum` and ageing out `aged` (both written whole), each band's ageing
/// share, the entries per step into the first band and their year sum
/// `entries` (the first band's cells, written); `carries` is room for what
/// ages out of a band at each step. The recording version also writes the
/// stocks at each step's start and at the year's end into `stocks` (step
/// `t`'s from `t × cells`); the other leaves it alone.
pub(super) type YearBandMajor<const W: usize> = fn(
    matrices: &[Vec<[f64; W]>],
    x: &mut [[f64; W]],
    x_sum: &mut [[f64; W]],
    aged: &mut [[f64; W]],
    ageing_share: &[f64],
    entries_per_step: &[[f64; W]],
    entries: &mut [[f64; W]],
    carries: &mut [[f64; W]],
    stocks: &mut [[f64; W]],
);

/// The band-by-band year for `nl` levels (1–8; none beyond, where the
/// step-by-step loop serves), recording each step's stocks or not.
pub(super) fn year_band_major_for<const W: usize>(nl: usize, recording: bool) -> Option<YearBandMajor<W>> {
    if recording {
        return Some(by_levels!(nl, year_band_major_recording, return None));
    }
    Some(by_levels!(nl, year_band_major, return None))
}

#[allow(clippy::too_many_arguments)]
fn year_band_major_recording<const W: usize, const NL: usize>(
    matrices: &[Vec<[f64; W]>],
    x: &mut [[f64; W]],
    x_sum: &mut [[f64; W]],
    aged: &mut [[f64; W]],
    ageing_share: &[f64],
    entries_per_step: &[[f64; W]],
    entries: &mut [[f64; W]],
    carries: &mut [[f64; W]],
    stocks: &mut [[f64; W]],
) {
    year_band_major_of::<W, NL, true>(
        matrices,
        x,
        x_sum,
        aged,
        ageing_share,
        entries_per_step,
        entries,
        carries,
        stocks,
    );
}

#[allow(clippy::too_many_arguments)]
fn year_band_major<const W: usize, const NL: usize>(
    matrices: &[Vec<[f64; W]>],
    x: &mut [[f64; W]],
    x_sum: &mut [[f64; W]],
    aged: &mut [[f64; W]],
    ageing_share: &[f64],
    entries_per_step: &[[f64; W]],
    entries: &mut [[f64; W]],
    carries: &mut [[f64; W]],
    stocks: &mut [[f64; W]],
) {
    year_band_major_of::<W, NL, false>(
        matrices,
        x,
        x_sum,
        aged,
        ageing_share,
        entries_per_step,
        entries,
        carries,
        stocks,
    );
}

/// The band-by-band year, recording each step's stocks in `stocks` when
/// `RECORD` (a version each, so that the year without records is the code
/// it always was).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn year_band_major_of<const W: usize, const NL: usize, const RECORD: bool>(
    matrices: &[Vec<[f64; W]>],
    x: &mut [[f64; W]],
    x_sum: &mut [[f64; W]],
    aged: &mut [[f64; W]],
    ageing_share: &[f64],
    entries_per_step: &[[f64; W]],
    entries: &mut [[f64; W]],
    carries: &mut [[f64; W]],
    stocks: &mut [[f64; W]],
) {
    // Nothing ages into the first band.
    carries.fill([0.0; W]);
    let entering: [[f64; W]; NL] = std::array::from_fn(|l| entries_per_step[l]);
    let mut added = [[0.0; W]; NL];
    // Bands go two at a time, their steps taken in turn: the second band's
    // step needs only what the first's same step moved up, so the two
    // chains of steps overlap in the processor (each band's operations are
    // those, in the order, of running it alone). Two measured best: three
    // or four bands at a time run out of registers. An odd last band goes
    // alone. (`bands!(P, first)`: `bands_year` with this year's arguments.)
    macro_rules! bands {
        ($p:literal, $first:expr) => {
            bands_year::<W, NL, $p, RECORD>(
                $first,
                matrices,
                x,
                x_sum,
                aged,
                ageing_share,
                &entering,
                &mut added,
                carries,
                stocks,
            )
        };
    }
    let nb = matrices.len();
    for pair in 0..nb / 2 {
        bands!(2, 2 * pair);
    }
    if nb % 2 == 1 {
        bands!(1, nb - 1);
    }
    entries[..NL].copy_from_slice(&added);
}

/// `P` bands from `first`, a year of steps with the bands' steps in turn
/// (see [`year_band_major`]), the stocks after each step recorded when
/// `RECORD`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn bands_year<const W: usize, const NL: usize, const P: usize, const RECORD: bool>(
    first: usize,
    matrices: &[Vec<[f64; W]>],
    x: &mut [[f64; W]],
    x_sum: &mut [[f64; W]],
    aged: &mut [[f64; W]],
    ageing_share: &[f64],
    entering: &[[f64; W]; NL],
    added: &mut [[f64; W]; NL],
    carries: &mut [[f64; W]],
    stocks: &mut [[f64; W]],
) {
    let mut people: [[[f64; W]; NL]; P] = std::array::from_fn(|j| std::array::from_fn(|l| x[(first + j) * NL + l]));
    if RECORD {
        stocks[first * NL..(first + P) * NL].copy_from_slice(&x[first * NL..(first + P) * NL]);
    }
    let mut sum = [[[0.0; W]; NL]; P];
    let mut out = [[[0.0; W]; NL]; P];
    let m: [&[[f64; W]]; P] = std::array::from_fn(|j| &matrices[first + j][..]);
    let share: [f64; P] = std::array::from_fn(|j| ageing_share[first + j]);
    // A step of the bands in turn, the stocks after it written to `record`
    // when there is one.
    let mut step = |carry: &mut [[f64; W]], record: Option<&mut [[f64; W]]>| {
        let carry: &mut [[f64; W]; NL] = carry.try_into().expect("a step's carry is one band's levels");
        let mut record = record;
        for j in 0..P {
            let mut next = [[0.0; W]; NL];
            band_step::<W, NL>(m[j], &people[j], &mut next, carry, &mut out[j], &mut sum[j], share[j]);
            if first + j == 0 {
                for l in 0..NL {
                    add_lanes(&mut next[l], entering[l]);
                    add_lanes(&mut added[l], entering[l]);
                }
            }
            if let Some(record) = record.as_deref_mut() {
                record[j * NL..(j + 1) * NL].copy_from_slice(&next);
            }
            people[j] = next;
        }
    };
    if RECORD {
        let rows = stocks.chunks_exact_mut(x.len()).skip(1);
        for (carry, row) in carries.chunks_exact_mut(NL).zip(rows) {
            step(carry, Some(&mut row[first * NL..(first + P) * NL]));
        }
    } else {
        for carry in carries.chunks_exact_mut(NL) {
            step(carry, None);
        }
    }
    for j in 0..P {
        let cells = (first + j) * NL..(first + j + 1) * NL;
        x[cells.clone()].copy_from_slice(&people[j]);
        x_sum[cells.clone()].copy_from_slice(&sum[j]);
        aged[cells].copy_from_slice(&out[j]);
    }
}

/// A year's exits per cell and flows summed over bands (`level_flows`,
/// from × to, added to), from the step-start sums `x_sum` and each band's
/// matrix: what the kernel's flows phase (`Work::flows`) works out when
/// per-band flows are not kept, in the same order.
pub(super) type YearFlows<const W: usize> =
    fn(matrices: &[Vec<[f64; W]>], x_sum: &[[f64; W]], exits: &mut [[f64; W]], level_flows: &mut [[f64; W]]);

pub(super) fn year_flows_for<const W: usize>(nl: usize) -> Option<YearFlows<W>> {
    Some(by_levels!(nl, year_flows, return None))
}

fn year_flows<const W: usize, const NL: usize>(
    matrices: &[Vec<[f64; W]>],
    x_sum: &[[f64; W]],
    exits: &mut [[f64; W]],
    level_flows: &mut [[f64; W]],
) {
    let w = NL + 1;
    let mut totals: [[[f64; W]; NL]; NL] =
        std::array::from_fn(|from| std::array::from_fn(|to| level_flows[from * NL + to]));
    for ((m, sums), band_exits) in matrices
        .iter()
        .zip(x_sum.chunks_exact(NL))
        .zip(exits.chunks_exact_mut(NL))
    {
        let m = &m[..NL * w];
        for from in 0..NL {
            let sum = sums[from];
            let row = &m[from * w..(from + 1) * w];
            band_exits[from] = std::array::from_fn(|lane| sum[lane] * row[NL][lane]);
            for to in 0..NL {
                if to != from {
                    let f: [f64; W] = std::array::from_fn(|lane| sum[lane] * row[to][lane]);
                    add_lanes(&mut totals[from][to], f);
                }
            }
        }
    }
    for from in 0..NL {
        level_flows[from * NL..(from + 1) * NL].copy_from_slice(&totals[from]);
    }
}

/// One band's step: need transitions and exits (`m`, from × (to, exit)),
/// then ageing: a `share` of each level's people after the step moves up
/// (`carry`, into the next band; `carry` holds what came up from the band
/// below), keeping its level. `sum` gathers the step-start stocks.
#[inline(always)]
fn band_step<const W: usize, const NL: usize>(
    m: &[[f64; W]],
    x: &[[f64; W]],
    next: &mut [[f64; W]],
    carry: &mut [[f64; W]; NL],
    aged: &mut [[f64; W]],
    sum: &mut [[f64; W]],
    share: f64,
) {
    let w = NL + 1;
    let m = &m[..NL * w];
    let x: [[f64; W]; NL] = std::array::from_fn(|l| x[l]);
    let (next, aged, sum) = (&mut next[..NL], &mut aged[..NL], &mut sum[..NL]);
    for l in 0..NL {
        add_lanes(&mut sum[l], x[l]);
    }
    // Each level's people after the step, summed over the levels they came
    // from in level order: row by row of the matrix (contiguous in memory).
    let mut acc = [[0.0; W]; NL];
    for from in 0..NL {
        let row = &m[from * w..from * w + NL];
        for to in 0..NL {
            for lane in 0..W {
                acc[to][lane] += x[from][lane] * row[to][lane];
            }
        }
    }
    for to in 0..NL {
        let moved: [f64; W] = acc[to].map(|p| p * share);
        let mut stock = [0.0; W];
        for lane in 0..W {
            stock[lane] = (acc[to][lane] - moved[lane]) + carry[to][lane];
        }
        next[to] = stock;
        add_lanes(&mut aged[to], moved);
        carry[to] = moved;
    }
}

fn band_step_any<const W: usize>(
    m: &[[f64; W]],
    x: &[[f64; W]],
    next: &mut [[f64; W]],
    carry: &mut [[f64; W]],
    aged: &mut [[f64; W]],
    sum: &mut [[f64; W]],
    share: f64,
) {
    let nl = x.len();
    let w = nl + 1;
    for (s, &people) in sum.iter_mut().zip(x) {
        add_lanes(s, people);
    }
    for to in 0..nl {
        let mut acc = [0.0; W];
        for (&people, row) in x.iter().zip(m.chunks_exact(w)) {
            let s = row[to];
            for lane in 0..W {
                acc[lane] += people[lane] * s[lane];
            }
        }
        let moved: [f64; W] = acc.map(|p| p * share);
        let mut stock = [0.0; W];
        for lane in 0..W {
            stock[lane] = (acc[lane] - moved[lane]) + carry[to][lane];
        }
        next[to] = stock;
        add_lanes(&mut aged[to], moved);
        carry[to] = moved;
    }
}

/// `sum += value`, lane by lane. Taking the operands by value tells the
/// compiler they cannot alias the destination, so this vectorises.
#[inline(always)]
pub(super) fn add_lanes<const W: usize>(sum: &mut [f64; W], value: [f64; W]) {
    let mut out = *sum;
    for lane in 0..W {
        out[lane] += value[lane];
    }
    *sum = out;
}

/// Each service's Σ over cells (in cell order) of use rate × person-years,
/// `G` services at a time: `rates` holds the services' use rates one after
/// another (`person_years.len()` cells each), `activity` their sums.
pub(super) fn activity_sums<const W: usize, const G: usize>(
    rates: &[[f64; W]],
    person_years: &[[f64; W]],
    activity: &mut [[f64; W]],
) {
    let cells = person_years.len();
    for (rates, out) in rates.chunks_exact(G * cells).zip(activity.chunks_exact_mut(G)) {
        let rates: [&[[f64; W]]; G] = std::array::from_fn(|j| &rates[j * cells..(j + 1) * cells]);
        let mut sums = [[0.0; W]; G];
        for (c, py) in person_years.iter().enumerate() {
            for j in 0..G {
                let u = rates[j][c];
                for lane in 0..W {
                    sums[j][lane] += u[lane] * py[lane];
                }
            }
        }
        out.copy_from_slice(&sums);
    }
}
