//! The matrix exponential of `W` small matrices at once, stored lane-last
//! (`m[i * n + j][lane]`) so that every operation vectorises across lanes.
//! Scaling and squaring with the degree-12 Taylor polynomial, evaluated the
//! Paterson–Stockmeyer way (five matrix products instead of eleven): with
//! the scaled norm at most 1/8, the first neglected term is below
//! (1/8)^13 / 13! ≈ 3e-22 of the identity. The per-step generators of this
//! model are that small at monthly and weekly steps, so they need no squaring.

// Index loops over lanes, levels and cells are the plainest form of these
// kernels, and the form the compiler vectorises.
#![allow(clippy::needless_range_loop)]

/// The Taylor degree.
const DEGREE: usize = 12;
/// Powers of the scaled matrix in a block of the Paterson–Stockmeyer
/// evaluation: `p(A) = B0 + A⁴(B1 + A⁴(B2 + A⁴·B3))`, each `Bi` a
/// combination of `I, A, A², A³`.
const BLOCK: usize = 4;
/// The largest scaled infinity norm.
const THETA: f64 = 0.125;
/// 1/k! for k = 0..=DEGREE, each by k divisions from 1 (worked out once, when
/// the program is built).
const COEFFICIENT: [f64; DEGREE + 1] = {
    let mut coefficient = [1.0; DEGREE + 1];
    let mut k = 1;
    while k <= DEGREE {
        let mut c = 1.0;
        let mut j = 1;
        while j <= k {
            c /= j as f64;
            j += 1;
        }
        coefficient[k] = c;
        k += 1;
    }
    coefficient
};

/// `out = expm(q)` for each lane; `q` and `out` are `n × n`, lane-last.
/// `scratch` is resized as needed and reused between calls. Every lane is
/// computed exactly as it would be alone (its own scaling, the same
/// polynomial), so a draw's result does not depend on the draws beside it.
pub fn expm_lanes<const W: usize>(q: &[[f64; W]], n: usize, out: &mut Vec<[f64; W]>, scratch: &mut Scratch<W>) {
    // Infinity norm per lane, and the squarings that bring it to THETA or below.
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
    let squarings: [u32; W] = norm.map(|v| if v > THETA { (v / THETA).log2().ceil() as u32 } else { 0 });
    let most = squarings.iter().copied().max().unwrap_or(0);

    let Scratch { powers, next } = scratch;
    // A last row of zeros (an absorbing state, as the exit is) stays zeros
    // in every power of `a` and the identity's row in the result and its
    // squares, exactly: those rows are set once and not recomputed.
    let absorbing = n > 1 && q[(n - 1) * n..].iter().all(|x| x.iter().all(|&v| v == 0.0));
    let rows = if absorbing { n - 1 } else { n };
    // powers[j] = a^j for j in 0..=BLOCK, a = q scaled by 2^-squarings.
    powers.resize_with(BLOCK + 1, Vec::new);
    identity(n, &mut powers[0]);
    let scaled = &mut powers[1];
    scaled.clear();
    let scale: [f64; W] = squarings.map(|s| 0.5f64.powi(s as i32));
    scaled.extend(q.iter().map(|x| std::array::from_fn(|l| x[l] * scale[l])));
    for j in 2..=BLOCK {
        let (done, rest) = powers.split_at_mut(j);
        let power = &mut rest[0];
        power.clear();
        power.resize(n * n, [0.0; W]);
        matmul(&done[j - 1], &done[1], n, rows, power);
    }
    // Horner over the blocks, highest first: out = B3, then
    // out = out·A⁴ + Bi for i = 2, 1, 0 (B3 = c12·I, so its product is c12·A⁴).
    let blocks = DEGREE / BLOCK;
    out.clear();
    out.extend(powers[BLOCK].iter().map(|x| x.map(|v| v * COEFFICIENT[DEGREE])));
    next.clear();
    next.resize(n * n, [0.0; W]);
    for block in (0..blocks).rev() {
        if block + 1 < blocks {
            matmul(out, &powers[BLOCK], n, rows, next);
            if absorbing {
                // The last row of out·A⁴ is out's last row times A⁴'s: zeros.
                next[(n - 1) * n..].fill([0.0; W]);
            }
            std::mem::swap(out, next);
        }
        for j in 0..BLOCK {
            let c = COEFFICIENT[block * BLOCK + j];
            for (o, p) in out.iter_mut().zip(&powers[j]) {
                for l in 0..W {
                    o[l] += c * p[l];
                }
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
    powers: Vec<Vec<[f64; W]>>,
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

    #[test]
    fn a_lane_is_computed_as_it_would_be_alone() {
        // Four lanes of different sizes (so different squarings), each
        // against the same matrix computed alone.
        let base = [-0.3, 0.2, 0.1, 0.05, -0.15, 0.1, 0.0, 0.0, 0.0];
        let factors = [1.0 / 12.0, 0.9, 7.0, 1.0 / 52.0];
        let q: Vec<[f64; 4]> = base.iter().map(|&x| factors.map(|f| x * f)).collect();
        let mut together = Vec::new();
        expm_lanes(&q, 3, &mut together, &mut Scratch::default());
        for (lane, f) in factors.into_iter().enumerate() {
            let alone: Vec<[f64; 1]> = base.iter().map(|&x| [x * f]).collect();
            let mut out = Vec::new();
            expm_lanes(&alone, 3, &mut out, &mut Scratch::default());
            for (a, t) in out.iter().zip(&together) {
                assert_eq!(a[0].to_bits(), t[lane].to_bits(), "lane {lane}");
            }
        }
    }
}
