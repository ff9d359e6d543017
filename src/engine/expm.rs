//! The matrix exponential of `W` small matrices at once, stored lane-last
//! (`m[i * n + j][lane]`) so that every operation vectorises across lanes.
//! Scaling and squaring with a Taylor series run until its terms vanish
//! (below 1e-18 of the identity), which for the small per-step generators of
//! this model takes a handful of terms and no squaring.

// Index loops over lanes, levels and cells are the plainest form of these
// kernels, and the form the compiler vectorises.
#![allow(clippy::needless_range_loop)]

/// The most Taylor terms: with the scaled norm at most ½ the first
/// neglected term is below 0.5^19 / 19! ≈ 2e-23.
const TERMS: usize = 18;

/// Terms needed for a scaled norm: until the next term's bound
/// `norm^(k+1) / (k+1)!` is below 1e-18 (depends on the lane alone).
fn terms_for(norm: f64) -> usize {
    let mut bound = 1.0;
    for k in 1..=TERMS {
        bound *= norm / k as f64;
        if bound < 1e-18 {
            return k;
        }
    }
    TERMS
}

/// `out = expm(q)` for each lane; `q` and `out` are `n × n`, lane-last.
/// `scratch` is resized as needed and reused between calls. Every lane is
/// computed exactly as it would be alone (its own scaling, the same number of
/// terms), so a draw's result does not depend on the draws beside it.
pub fn expm_lanes<const W: usize>(q: &[[f64; W]], n: usize, out: &mut Vec<[f64; W]>, scratch: &mut Scratch<W>) {
    // Infinity norm per lane, and the squarings that bring it to ½ or below.
    let mut norm = [0.0f64; W];
    for i in 0..n {
        let mut row = [0.0; W];
        for j in 0..n {
            for (r, x) in row.iter_mut().zip(q[i * n + j]) {
                *r += x.abs();
            }
        }
        for l in 0..W {
            norm[l] = norm[l].max(row[l]);
        }
    }
    let squarings: [u32; W] = norm.map(|v| if v > 0.5 { (v / 0.5).log2().ceil() as u32 } else { 0 });
    let most = squarings.iter().copied().max().unwrap_or(0);

    let Scratch { a, term, next } = scratch;
    a.clear();
    a.extend(q.iter().map(|x| {
        let mut y = *x;
        for l in 0..W {
            y[l] *= 0.5f64.powi(squarings[l] as i32);
        }
        y
    }));
    // Each lane sums only the terms its own norm needs, so its result is
    // what it would be alone.
    let terms: [usize; W] = std::array::from_fn(|l| terms_for(norm[l] * 0.5f64.powi(squarings[l] as i32)));
    let most_terms = terms.iter().copied().max().unwrap_or(0);
    // A last row of zeros (an absorbing state, as the exit is) stays zeros
    // in every power of `a` and the identity's row in the result and its
    // squares, exactly: those rows are set once and not recomputed.
    let absorbing = n > 1 && q[(n - 1) * n..].iter().all(|x| x.iter().all(|&v| v == 0.0));
    let rows = if absorbing { n - 1 } else { n };
    identity(n, out);
    identity(n, term);
    next.clear();
    next.resize(n * n, [0.0; W]);
    for k in 1..=most_terms {
        matmul(term, a, n, rows, next);
        let inv_k = 1.0 / k as f64;
        let take: [f64; W] = std::array::from_fn(|l| if k <= terms[l] { 1.0 } else { 0.0 });
        for ((t, x), o) in term.iter_mut().zip(next.iter()).zip(out.iter_mut()) {
            for l in 0..W {
                t[l] = x[l] * inv_k;
                o[l] += t[l] * take[l];
            }
        }
    }
    if absorbing {
        next[(n - 1) * n..].copy_from_slice(&out[(n - 1) * n..]);
    }
    for round in 0..most {
        matmul(out, out, n, rows, next);
        for (o, x) in out.iter_mut().zip(next.iter()) {
            for l in 0..W {
                if round < squarings[l] {
                    o[l] = x[l];
                }
            }
        }
    }
}

/// Work space for [`expm_lanes`].
#[derive(Debug, Default)]
pub struct Scratch<const W: usize> {
    a: Vec<[f64; W]>,
    term: Vec<[f64; W]>,
    next: Vec<[f64; W]>,
}

fn identity<const W: usize>(n: usize, m: &mut Vec<[f64; W]>) {
    m.clear();
    m.resize(n * n, [0.0; W]);
    for i in 0..n {
        m[i * n + i] = [1.0; W];
    }
}

/// The first `rows` rows of `c = a · b` per lane (`c`'s other rows are left
/// as they are). Each entry is summed over `k` in order. Unrolled for the
/// sizes the model uses (2 to 9: levels plus the exit), where the loop
/// bookkeeping would otherwise cost as much as the arithmetic; the same
/// operations in the same order either way.
fn matmul<const W: usize>(a: &[[f64; W]], b: &[[f64; W]], n: usize, rows: usize, c: &mut Vec<[f64; W]>) {
    c.resize(n * n, [0.0; W]);
    match n {
        2 => matmul_n::<W, 2>(a, b, rows, c),
        3 => matmul_n::<W, 3>(a, b, rows, c),
        4 => matmul_n::<W, 4>(a, b, rows, c),
        5 => matmul_n::<W, 5>(a, b, rows, c),
        6 => matmul_n::<W, 6>(a, b, rows, c),
        7 => matmul_n::<W, 7>(a, b, rows, c),
        8 => matmul_n::<W, 8>(a, b, rows, c),
        9 => matmul_n::<W, 9>(a, b, rows, c),
        _ => matmul_any(a, b, n, rows, c),
    }
}

fn matmul_n<const W: usize, const N: usize>(a: &[[f64; W]], b: &[[f64; W]], rows: usize, c: &mut [[f64; W]]) {
    let (a, b) = (&a[..N * N], &b[..N * N]);
    for i in 0..rows.min(N) {
        // Row i of the product, one `k` at a time (b's rows are contiguous).
        let mut acc = [[0.0; W]; N];
        for k in 0..N {
            let aik = a[i * N + k];
            let row = &b[k * N..k * N + N];
            for j in 0..N {
                for l in 0..W {
                    acc[j][l] += aik[l] * row[j][l];
                }
            }
        }
        c[i * N..i * N + N].copy_from_slice(&acc);
    }
}

fn matmul_any<const W: usize>(a: &[[f64; W]], b: &[[f64; W]], n: usize, rows: usize, c: &mut [[f64; W]]) {
    for (a_row, c_row) in a.chunks_exact(n).zip(c.chunks_exact_mut(n)).take(rows) {
        for (j, cij) in c_row.iter_mut().enumerate() {
            let mut acc = [0.0; W];
            for (k, &aik) in a_row.iter().enumerate() {
                let bkj = b[k * n + j];
                for l in 0..W {
                    acc[l] += aik[l] * bkj[l];
                }
            }
            *cij = acc;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DMatrix;

    #[test]
    fn agrees_with_nalgebra_for_small_and_large_norms() {
        let base = [-0.3, 0.2, 0.1, 0.05, -0.15, 0.1, 0.0, 0.0, 0.0];
        for factor in [1.0 / 52.0, 1.0 / 12.0, 1.0, 7.0, 40.0] {
            let q: Vec<[f64; 2]> = base.iter().map(|&x| [x * factor, x * factor * 0.5]).collect();
            let mut out = Vec::new();
            expm_lanes(&q, 3, &mut out, &mut Scratch::default());
            for (lane, f) in [factor, factor * 0.5].into_iter().enumerate() {
                let m = DMatrix::from_row_slice(3, 3, &base.map(|x| x * f)).exp();
                for i in 0..3 {
                    for j in 0..3 {
                        let d = (out[i * 3 + j][lane] - m[(i, j)]).abs();
                        assert!(d < 1e-13, "factor {f}: ({i},{j}) differs by {d}");
                    }
                }
            }
        }
    }
}
