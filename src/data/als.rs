//! Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren, Volinsky 2008,
//! "Collaborative Filtering for Implicit Feedback Datasets").
//!
//! Every observed (user, item, strength) pair has preference 1 and confidence `1 + alpha * strength`;
//! unobserved pairs have preference 0 and confidence 1. Each half-step solves, per row,
//! `(YᵀY + Yᵤᵀ(Cᵤ − I)Yᵤ + λI) x = Yᵤᵀ Cᵤ pᵤ` with a Cholesky factorisation. Rows are solved in parallel
//! but each row's arithmetic is sequential and collected in row order, so the result is bit-identical
//! at any thread count.

use crate::progress::Progress;
use ndarray::{Array1, Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

#[derive(Debug, Clone)]
pub struct AlsParams {
    pub dims: usize,
    pub iterations: usize,
    /// Confidence slope: c = 1 + alpha * strength.
    pub alpha: f64,
    /// L2 regularisation.
    pub lambda: f64,
    pub seed: u64,
}

impl Default for AlsParams {
    fn default() -> Self {
        AlsParams { dims: 32, iterations: 10, alpha: 2.0, lambda: 0.1, seed: 42 }
    }
}

/// Observations as compressed rows: for row r, `cols[offsets[r]..offsets[r+1]]` with `strengths`.
#[derive(Debug, Clone)]
pub struct Sparse {
    pub rows: usize,
    pub cols: usize,
    pub offsets: Vec<usize>,
    pub indices: Vec<u32>,
    pub strengths: Vec<f64>,
}

impl Sparse {
    /// Builds both orientations from (row, col, strength) triples; triples are sorted first so the
    /// summation order inside each row is fixed.
    pub fn from_triples(rows: usize, cols: usize, mut triples: Vec<(u32, u32, f64)>) -> Sparse {
        triples.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
        let mut offsets = vec![0usize; rows + 1];
        for t in &triples {
            offsets[t.0 as usize + 1] += 1;
        }
        for r in 0..rows {
            offsets[r + 1] += offsets[r];
        }
        Sparse {
            rows,
            cols,
            offsets,
            indices: triples.iter().map(|t| t.1).collect(),
            strengths: triples.iter().map(|t| t.2).collect(),
        }
    }

    pub fn transpose(&self) -> Sparse {
        let mut triples = Vec::with_capacity(self.indices.len());
        for r in 0..self.rows {
            for k in self.offsets[r]..self.offsets[r + 1] {
                triples.push((self.indices[k], r as u32, self.strengths[k]));
            }
        }
        Sparse::from_triples(self.cols, self.rows, triples)
    }

    pub fn row_len(&self, r: usize) -> usize {
        self.offsets[r + 1] - self.offsets[r]
    }
}

/// Trains the factors, telling `progress` the iterations completed after each one (of
/// `params.iterations`).
pub fn train(user_items: &Sparse, params: &AlsParams, progress: &mut dyn Progress) -> (Array2<f64>, Array2<f64>) {
    let item_users = user_items.transpose();
    let d = params.dims;
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let scale = 0.1 / (d as f64).sqrt();
    let mut items = Array2::from_shape_fn((user_items.cols, d), |_| rng.gen_range(-1.0..1.0) * scale);
    let mut users = Array2::zeros((user_items.rows, d));
    for iteration in 0..params.iterations {
        users = half_step(user_items, items.view(), params);
        items = half_step(&item_users, users.view(), params);
        progress.advanced(iteration as u64 + 1);
    }
    (users, items)
}

/// Solves every row of `obs` against the fixed factors `other`.
///
/// The two O(n·d²) products go through ndarray's `dot` (matrixmultiply, optimised even in debug
/// builds); the rest works on flat slices so tests stay fast without optimisation.
fn half_step(obs: &Sparse, other: ArrayView2<f64>, params: &AlsParams) -> Array2<f64> {
    let d = params.dims;
    let gram = other.t().dot(&other);
    let gram = gram.as_slice().map(<[f64]>::to_vec).unwrap_or_else(|| gram.iter().copied().collect());
    let rows: Vec<Vec<f64>> = (0..obs.rows)
        .into_par_iter()
        .map(|r| {
            let (start, end) = (obs.offsets[r], obs.offsets[r + 1]);
            if start == end {
                return vec![0.0; d];
            }
            let n = end - start;
            let mut gathered = Vec::with_capacity(n * d);
            let mut scaled = Vec::with_capacity(n * d);
            let mut b = vec![0.0f64; d];
            for idx in start..end {
                let y = other.row(obs.indices[idx] as usize);
                let c = 1.0 + params.alpha * obs.strengths[idx];
                for (bk, &yk) in b.iter_mut().zip(y.iter()) {
                    *bk += c * yk;
                }
                gathered.extend(y.iter().copied());
                scaled.extend(y.iter().map(|&yk| (c - 1.0) * yk));
            }
            let gathered = Array2::from_shape_vec((n, d), gathered).expect("invariant: n x d values");
            let scaled = Array2::from_shape_vec((n, d), scaled).expect("invariant: n x d values");
            let update = scaled.t().dot(&gathered);
            let mut a = gram.clone();
            for (ak, uk) in a.iter_mut().zip(update.iter()) {
                *ak += uk;
            }
            for i in 0..d {
                a[i * d + i] += params.lambda;
            }
            cholesky_solve(&mut a, &mut b, d);
            b
        })
        .collect();
    let mut out = Array2::zeros((obs.rows, d));
    for (r, row) in rows.into_iter().enumerate() {
        out.row_mut(r).assign(&ndarray::ArrayView1::from(&row[..]));
    }
    out
}

/// Solves `a x = b` in place (`a` is d × d row-major, symmetric positive-definite; `b` becomes x)
/// with a lower Cholesky factor stored in `a`. The regulariser keeps `a` positive definite; a
/// non-positive pivot (impossible in exact arithmetic) is clamped rather than producing NaN.
fn cholesky_solve(a: &mut [f64], b: &mut [f64], d: usize) {
    for j in 0..d {
        let s = dot(&a[j * d..j * d + j], &a[j * d..j * d + j]);
        let diag = (a[j * d + j] - s).max(1e-12).sqrt();
        a[j * d + j] = diag;
        for i in (j + 1)..d {
            let s = dot(&a[i * d..i * d + j], &a[j * d..j * d + j]);
            a[i * d + j] = (a[i * d + j] - s) / diag;
        }
    }
    for i in 0..d {
        let row = &a[i * d..i * d + d];
        b[i] = (b[i] - dot(&row[..i], &b[..i])) / row[i];
    }
    for i in (0..d).rev() {
        let mut v = b[i];
        for k in (i + 1)..d {
            v -= a[k * d + i] * b[k];
        }
        b[i] = v / a[i * d + i];
    }
}

fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// Mean of the given rows (zeros when there are none).
pub fn mean_rows(m: ArrayView2<f64>, rows: impl Iterator<Item = usize>) -> Array1<f64> {
    let mut sum = Array1::zeros(m.ncols());
    let mut n = 0usize;
    for r in rows {
        sum += &m.row(r);
        n += 1;
    }
    if n > 0 {
        sum /= n as f64;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    #[test]
    fn cholesky_solves_a_known_system() {
        let a = ndarray::arr2(&[[4.0, 2.0, 0.6], [2.0, 5.0, 1.0], [0.6, 1.0, 3.0]]);
        let x = ndarray::arr1(&[1.0, -2.0, 0.5]);
        let b = a.dot(&x);
        let mut a = a.into_raw_vec_and_offset().0;
        let mut got = b.to_vec();
        cholesky_solve(&mut a, &mut got, 3);
        for (g, w) in got.iter().zip(x.iter()) {
            assert!((g - w).abs() < 1e-12, "{got:?} vs {x}");
        }
    }

    #[test]
    fn factors_reconstruct_observed_pairs_better_than_unobserved() {
        // Two blocks: users 0-3 like items 0-3, users 4-7 like items 4-7.
        let mut triples = Vec::new();
        for u in 0..8u32 {
            for i in 0..8u32 {
                if (u < 4) == (i < 4) && (u + i) % 3 != 0 {
                    triples.push((u, i, 1.0));
                }
            }
        }
        let m = Sparse::from_triples(8, 8, triples);
        // Two dimensions force the model to find the two blocks rather than memorise pairs.
        let params = AlsParams { dims: 2, iterations: 8, ..Default::default() };
        let (users, items) = train(&m, &params, &mut NoProgress);
        let scores = users.dot(&items.t());
        let (mut same, mut cross) = (Vec::new(), Vec::new());
        for u in 0..8 {
            for i in 0..8 {
                if (u < 4) == (i < 4) { same.push(scores[[u, i]]) } else { cross.push(scores[[u, i]]) }
            }
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(mean(&same) > mean(&cross) + 0.3, "in-block {} vs cross-block {}", mean(&same), mean(&cross));
    }

    #[test]
    fn training_is_deterministic() {
        let triples = (0..50u32).map(|k| (k % 7, (k * 13) % 11, 1.0 + (k % 5) as f64)).collect();
        let m = Sparse::from_triples(7, 11, triples);
        let p = AlsParams { dims: 5, iterations: 3, ..Default::default() };
        assert_eq!(train(&m, &p, &mut NoProgress), train(&m, &p, &mut NoProgress));
    }
}
