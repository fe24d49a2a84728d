//! Dense linear algebra for the linear model: the truncated SVD that gives PCA scores, and small solves.
//! Matrices are f64 in faer's `Mat`, like the values they are made from; the arithmetic is the engine's own
//! ([`kernels`]' products and [`decompositions`]), in one fixed order of operations without fused
//! multiply-adds, so the command line and the page give the same bits.
//!
//! The truncated SVD is exact where that is cheap (few columns) and otherwise a randomized block Krylov
//! method (block Lanczos) with a Rayleigh–Ritz step that stops only when every wanted singular triplet has a
//! residual `‖A v − σ u‖ ≤ 1e-10 σ₁`; if it does not get there, the exact SVD is computed instead. Either
//! way the result is the exact top-K subspace to rounding, which is what the prediction depends on.
//! [`truncated_svds`] gives the SVDs of several matrices that differ from one by a low-rank change (a matrix
//! centred by rows and by columns) from one Krylov space.
//!
//! ```
//! use faer::Mat;
//! use perturb_check::linalg::truncated_svd;
//! let a = Mat::from_fn(4, 3, |i, j| if i == j { [3.0, 2.0, 1.0][j] } else { 0.0 });
//! let svd = truncated_svd(a.as_ref(), 2);
//! assert!((svd.singular_values[0] - 3.0).abs() < 1e-12 && (svd.singular_values[1] - 2.0).abs() < 1e-12);
//! ```

pub mod decompositions;
pub mod kernels;

use crate::numpy_random::LegacyRandomState;
pub use decompositions::{least_squares, solve};
use decompositions::{orthonormal_basis, symmetric_eigen};
use faer::{Mat, MatRef};
pub use kernels::product;

/// The top-K singular triplets of a matrix: `u` (rows × K), `singular_values`, `v` (columns × K).
#[derive(Clone, Debug)]
pub struct TruncatedSvd {
    pub u: Mat<f64>,
    pub singular_values: Vec<f64>,
    pub v: Mat<f64>,
    /// How it was computed, for the record.
    pub method: SvdMethod,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SvdMethod {
    Exact,
    /// Randomized block Krylov that converged after this many block steps.
    BlockKrylov {
        steps: usize,
    },
}

impl TruncatedSvd {
    /// PCA scores `U_K D_K` (rows × K): the rows are the observations.
    pub fn scores(&self) -> Mat<f64> {
        Mat::from_fn(self.u.nrows(), self.u.ncols(), |i, j| self.u[(i, j)] * self.singular_values[j])
    }

    /// PCA scores of the transposed matrix, `V_K D_K` (columns × K): the columns are the observations.
    pub fn column_scores(&self) -> Mat<f64> {
        Mat::from_fn(self.v.nrows(), self.v.ncols(), |i, j| self.v[(i, j)] * self.singular_values[j])
    }
}

/// Centres each column of `m` on its mean over the rows (in row order: the sum that pins the PCA to R).
pub fn centre_columns(m: &mut Mat<f64>) {
    let n = m.nrows();
    for j in 0..m.ncols() {
        let column = m.col_as_slice_mut(j);
        let mean = column.iter().sum::<f64>() / n.max(1) as f64;
        column.iter_mut().for_each(|value| *value -= mean);
    }
}

/// Centres each row of `m` on its mean over the columns, summed in column order: the same bits as
/// [`centre_columns`] of the transpose, without making it. Returns the means.
pub fn centre_rows(m: &mut Mat<f64>) -> Vec<f64> {
    let n = m.ncols();
    let mut sums = vec![0.0; m.nrows()];
    for j in 0..n {
        sums.iter_mut().zip(m.col_as_slice(j)).for_each(|(sum, value)| *sum += value);
    }
    let means: Vec<f64> = sums.iter().map(|sum| sum / n.max(1) as f64).collect();
    for j in 0..n {
        m.col_as_slice_mut(j).iter_mut().zip(&means).for_each(|(value, mean)| *value -= mean);
    }
    means
}

/// Singular values below this share of the largest are zero in the Rayleigh–Ritz step: from `WᵀW` they are
/// known only to about `√ε σ₁`.
const GRAM_RESOLUTION: f64 = 1e-6;

/// The SVD of a matrix `W` with at least as many rows as columns, from the eigendecomposition of `WᵀW`:
/// singular values largest first and the right vectors (all of them), for the Rayleigh–Ritz step of the
/// iteration. Squaring costs accuracy only for singular values far below the largest (about `ε σ₁² / σ`), not
/// for the leading ones the PCA keeps; the residual test that ends the iteration is computed without it.
struct GramSvd {
    singular_values: Vec<f64>,
    right: Mat<f64>,
}

impl GramSvd {
    fn of(w: MatRef<'_, f64>) -> Option<GramSvd> {
        let gram = product(w.transpose(), w);
        let (values, right) = symmetric_eigen(gram.as_ref())?;
        let largest = values.first().copied().unwrap_or(0.0).max(0.0);
        // Below GRAM_RESOLUTION σ₁ the squared values are rounding, not signal: zero.
        let singular_values = values
            .iter()
            .map(|&value| if value > GRAM_RESOLUTION * GRAM_RESOLUTION * largest { value.sqrt() } else { 0.0 })
            .collect();
        Some(GramSvd { singular_values, right })
    }

    /// The first `k` left vectors, `W v / σ` (zero where σ is zero: no direction is defined there).
    fn left(&self, w: MatRef<'_, f64>, k: usize) -> Mat<f64> {
        let w_v = product(w, self.right.get(.., 0..k));
        Mat::from_fn(w.nrows(), k, |i, j| {
            let sigma = self.singular_values[j];
            if sigma > 0.0 {
                w_v[(i, j)] / sigma
            } else {
                0.0
            }
        })
    }
}

/// The thin SVD, truncated to `k` triplets (Householder QR and one-sided Jacobi, in fixed order). `None`
/// only if the rotations do not settle.
pub fn exact_truncated_svd(a: MatRef<'_, f64>, k: usize) -> Option<TruncatedSvd> {
    let transposed = a.nrows() < a.ncols();
    let tall = if transposed { a.transpose() } else { a };
    let (singular_values, left, right) = decompositions::thin_svd(tall)?;
    let k = k.min(a.nrows()).min(a.ncols());
    let (left, right) = (left.get(.., 0..k).to_owned(), right.get(.., 0..k).to_owned());
    let (u, v) = if transposed { (right, left) } else { (left, right) };
    Some(TruncatedSvd { u, singular_values: singular_values[..k].to_vec(), v, method: SvdMethod::Exact })
}

/// Relative residual below which a singular triplet counts as converged.
const RESIDUAL_TOLERANCE: f64 = 1e-10;

/// A low-rank change `X Yᵀ` of a matrix (`x`: rows × r, `y`: columns × r), for the SVDs of several matrices
/// that differ from one by little — such as one matrix centred by rows and by columns.
#[derive(Clone, Debug)]
pub struct Correction {
    pub x: Mat<f64>,
    pub y: Mat<f64>,
}

impl Correction {
    /// No change: the matrix itself.
    pub fn none(n_rows: usize, n_columns: usize) -> Correction {
        Correction { x: Mat::zeros(n_rows, 0), y: Mat::zeros(n_columns, 0) }
    }

    /// From a matrix centred by rows to the same matrix centred by columns:
    /// `A − 1μᵀ = (A − ν1ᵀ) + ν1ᵀ − 1μᵀ`, with `ν` the row means and `μ` the column means of `A`.
    pub fn row_to_column_centring(row_means: &[f64], column_means: &[f64]) -> Correction {
        Correction {
            x: Mat::from_fn(row_means.len(), 2, |i, c| if c == 0 { row_means[i] } else { 1.0 }),
            y: Mat::from_fn(column_means.len(), 2, |j, c| if c == 0 { 1.0 } else { -column_means[j] }),
        }
    }

    fn rank(&self) -> usize {
        self.x.ncols()
    }

    /// `a + X Yᵀ`, made.
    fn applied(&self, a: MatRef<'_, f64>) -> Mat<f64> {
        sum(a, product(self.x.as_ref(), self.y.transpose()).as_ref())
    }
}

/// The top-`k` singular triplets of `a` (see the module documentation for how).
pub fn truncated_svd(a: MatRef<'_, f64>, k: usize) -> TruncatedSvd {
    truncated_svds(a, &[Correction::none(a.nrows(), a.ncols())], k).remove(0)
}

/// The top-`k` singular triplets of each `a + X Yᵀ` of `corrections`, all from one Krylov space of `a` (see
/// [`block_krylov_svds`]): for two targets it costs about one truncated SVD, not two. Each target's result is
/// its own exact top-K subspace to rounding, as from [`truncated_svd`] of the matrix made.
pub fn truncated_svds(a: MatRef<'_, f64>, corrections: &[Correction], k: usize) -> Vec<TruncatedSvd> {
    let (n_rows, n_columns) = (a.nrows(), a.ncols());
    let k = k.min(n_rows).min(n_columns);
    // The exact SVD of one target, made when it has a correction.
    let exact = |correction: &Correction| {
        let svd = if correction.rank() == 0 {
            exact_truncated_svd(a, k)
        } else {
            exact_truncated_svd(correction.applied(a).as_ref(), k)
        };
        svd.unwrap_or_else(|| TruncatedSvd {
            // The Jacobi rotations not settling on finite input is not expected; degrade to no components.
            u: Mat::zeros(n_rows, 0),
            singular_values: vec![],
            v: Mat::zeros(n_columns, 0),
            method: SvdMethod::Exact,
        })
    };
    // With few columns the exact SVD costs about as much as a few passes of the iteration.
    if n_columns.min(n_rows) <= 2 * (2 * k).max(k + 10) {
        return corrections.iter().map(exact).collect();
    }
    // Block width: past K by half of K, at least 6 (for K = 10 on 8,000 × 2,001, 16 converged in as many
    // steps as 20 with a fifth fewer products; BENCHMARKS.md).
    let block = k + (k / 2).max(6);
    let found = block_krylov_svds(a, corrections, k, block);
    found.into_iter().zip(corrections).map(|(svd, correction)| svd.unwrap_or_else(|| exact(correction))).collect()
}

/// `z ← z − q (qᵀ z)`: removes from the columns of `z` their components in the span of orthonormal `q`.
fn project_out(z: &mut Mat<f64>, q: MatRef<'_, f64>) {
    if q.ncols() == 0 {
        return;
    }
    let coefficients = product(q.transpose(), z.as_ref());
    let along = product(q, coefficients.as_ref());
    for j in 0..z.ncols() {
        z.col_as_slice_mut(j).iter_mut().zip(along.col_as_slice(j)).for_each(|(value, part)| *value -= part);
    }
}

/// Whether every wanted Ritz triplet has `‖A v − σ u‖ ≤ tolerance · σ₁`, given the columns `A v`.
fn residuals_converged(av: &Mat<f64>, u: &Mat<f64>, singular_values: &[f64]) -> bool {
    let largest = singular_values.first().copied().unwrap_or(0.0);
    largest == 0.0
        || (0..av.ncols()).all(|j| {
            let residual: f64 =
                (0..av.nrows()).map(|i| (av[(i, j)] - singular_values[j] * u[(i, j)]).powi(2)).sum::<f64>().sqrt();
            residual <= RESIDUAL_TOLERANCE * largest
        })
}

/// The columns of `first` followed by those of each of `more`.
fn side_by_side(first: Mat<f64>, more: &[MatRef<'_, f64>]) -> Mat<f64> {
    if more.is_empty() {
        return first;
    }
    let width = first.ncols() + more.iter().map(|m| m.ncols()).sum::<usize>();
    let mut out = Mat::zeros(first.nrows(), width);
    let mut at = 0;
    for part in std::iter::once(first.as_ref()).chain(more.iter().copied()) {
        out.get_mut(.., at..at + part.ncols()).copy_from(part);
        at += part.ncols();
    }
    out
}

/// `a + b` of two matrices of one shape.
fn sum(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)] + b[(i, j)])
}

/// Randomized block Krylov (block Lanczos with full reorthogonalisation and restarts) for the top-`k` triplets
/// of every target `T = A + X Yᵀ`: the basis `Q = [Q₁, Q₂, …]` of `[A Ω, (A Aᵀ) A Ω, (A Aᵀ)² A Ω, …]`, a
/// Rayleigh–Ritz step per target after every block, stopping when each target's residuals are small (each
/// keeps the result of the step it converged at). `None` for a target that does not converge.
///
/// One space serves every target: `T Tᵀ = A Aᵀ + A Y Xᵀ + X Yᵀ Aᵀ + X YᵀY Xᵀ` moves any vector by `A Aᵀ`
/// plus something in the span of `X` and `A Y`, so with those columns in the first block the space holds
/// each target's own Krylov space `[T Ω, (T Tᵀ) T Ω, …]` (`T Ω = A Ω + X YᵀΩ`).
///
/// Each block costs two products with `A` and nothing more: the residuals come from products already made.
/// With `W = Tᵀ Q = Aᵀ Q + Y XᵀQ = U Σ Vᵀ` (the Rayleigh–Ritz SVD), the Ritz vectors are `v = U = W V Σ⁻¹`
/// and `u = Q V`, so `T v = (T W) V Σ⁻¹` with `T W = A AᵀQ + (A Y)(XᵀQ) + X (Yᵀ W)`; the columns of
/// `A Aᵀ Q` are kept as each block's next direction is made, and the residual `T v − σ u` is computed from
/// them (a true residual to rounding, not the Krylov estimate).
fn block_krylov_svds(
    a: MatRef<'_, f64>,
    corrections: &[Correction],
    k: usize,
    block: usize,
) -> Vec<Option<TruncatedSvd>> {
    let (n_rows, n_columns) = (a.nrows(), a.ncols());
    let block = block.min(n_columns).min(n_rows);
    let mut results: Vec<Option<TruncatedSvd>> = vec![None; corrections.len()];
    // The directions the corrections add to A's Krylov space: X and A Y.
    let a_y: Vec<Mat<f64>> = corrections.iter().map(|c| product(a, c.y.as_ref())).collect();
    let added: Vec<MatRef<'_, f64>> = corrections
        .iter()
        .zip(&a_y)
        .filter(|(c, _)| c.rank() > 0)
        .flat_map(|(c, ay)| [c.x.as_ref(), ay.as_ref()])
        .collect();
    let added_width: usize = added.iter().map(|m| m.ncols()).sum();
    // The basis grows by one block per step up to this many columns, then restarts from the best Ritz vectors.
    let capacity = ((block + added_width) * 12).max(4 * block).min(n_rows).min(n_columns);
    let mut random = LegacyRandomState::new(20250101);
    let start = Mat::from_fn(n_columns, block, |_, _| random.standard_normal());
    let mut current = orthonormal_basis(side_by_side(product(a, start.as_ref()), &added).as_ref());
    let mut steps = 0;
    for _restart in 0..8 {
        if current.ncols() > capacity {
            break;
        }
        // Columns of the basis Q (rows × used), of Aᵀ Q (columns × used) and of A Aᵀ Q (rows × used).
        let mut basis = Mat::<f64>::zeros(n_rows, capacity);
        let mut basis_t_a = Mat::<f64>::zeros(n_columns, capacity);
        let mut a_basis_t_a = Mat::<f64>::zeros(n_rows, capacity);
        let mut used = 0;
        loop {
            steps += 1;
            let width = current.ncols();
            basis.get_mut(.., used..used + width).copy_from(&current);
            let latest_t_a = product(a.transpose(), current.as_ref()); // Aᵀ Q_latest
            let next = product(a, latest_t_a.as_ref()); // A Aᵀ Q_latest
            basis_t_a.get_mut(.., used..used + width).copy_from(&latest_t_a);
            a_basis_t_a.get_mut(.., used..used + width).copy_from(&next);
            used += width;
            let q = basis.get(.., 0..used);
            // Each unconverged target's Rayleigh–Ritz right vectors, kept for a restart.
            let mut leading: Vec<Mat<f64>> = Vec::new();
            for ((correction, a_y), result) in corrections.iter().zip(&a_y).zip(results.iter_mut()) {
                if result.is_some() {
                    continue;
                }
                let (x, y) = (correction.x.as_ref(), correction.y.as_ref());
                // Wᵀ = Qᵀ T; W = Aᵀ Q + Y (Xᵀ Q).
                let x_t_q = product(x.transpose(), q);
                let w = if correction.rank() == 0 {
                    None
                } else {
                    Some(sum(basis_t_a.get(.., 0..used), product(y, x_t_q.as_ref()).as_ref()))
                };
                let w_ref = w.as_ref().map_or(basis_t_a.get(.., 0..used), |w| w.as_ref());
                let Some(small) = GramSvd::of(w_ref) else { continue };
                let wanted = k.min(used);
                let ritz = small.right.get(.., 0..wanted);
                let u = product(q, ritz);
                let singular_values: Vec<f64> = small.singular_values[..wanted].to_vec();
                if wanted == k {
                    let v = small.left(w_ref, k);
                    let v = v.as_ref();
                    let largest = singular_values.first().copied().unwrap_or(0.0);
                    let tv = if singular_values.iter().all(|&sigma| sigma > RESIDUAL_TOLERANCE * largest) {
                        // T v = (A Aᵀ Q V + (A Y)(Xᵀ Q V) + X (Yᵀ W V)) Σ⁻¹, from the kept columns.
                        let mut t_w_v = product(a_basis_t_a.get(.., 0..used), ritz);
                        if correction.rank() > 0 {
                            let x_t_q_v = product(x_t_q.as_ref(), ritz);
                            let y_t_w_v = product(y.transpose(), product(w_ref, ritz).as_ref());
                            t_w_v = sum(t_w_v.as_ref(), product(a_y.as_ref(), x_t_q_v.as_ref()).as_ref());
                            t_w_v = sum(t_w_v.as_ref(), product(x, y_t_w_v.as_ref()).as_ref());
                        }
                        Mat::from_fn(n_rows, k, |i, j| t_w_v[(i, j)] / singular_values[j])
                    } else {
                        // Zero (or vanishing) singular values: v is not W V Σ⁻¹ there, so multiply by T.
                        let y_t_v = product(y.transpose(), v);
                        sum(product(a, v).as_ref(), product(x, y_t_v.as_ref()).as_ref())
                    };
                    if residuals_converged(&tv, &u, &singular_values) {
                        let v = v.to_owned();
                        *result =
                            Some(TruncatedSvd { u, singular_values, v, method: SvdMethod::BlockKrylov { steps } });
                        continue;
                    }
                }
                leading.push(small.right.get(.., 0..block.min(used)).to_owned());
            }
            if results.iter().all(Option::is_some) {
                return results;
            }
            if used + width > capacity {
                // Restart from each unconverged target's leading Ritz vectors (and the corrections' directions).
                let kept: Vec<Mat<f64>> = leading.iter().map(|right| product(q, right.as_ref())).collect();
                let kept_refs: Vec<MatRef<'_, f64>> =
                    kept.iter().skip(1).map(|m| m.as_ref()).chain(added.iter().copied()).collect();
                let Some(first) = kept.first() else { return results };
                current = orthonormal_basis(side_by_side(first.clone(), &kept_refs).as_ref());
                break;
            }
            // Next block: A Aᵀ Q_latest, orthogonalised against the basis twice ("twice is enough").
            let mut next = next;
            project_out(&mut next, q);
            project_out(&mut next, q);
            let mut next = orthonormal_basis(next.as_ref());
            project_out(&mut next, q);
            current = orthonormal_basis(next.as_ref());
        }
    }
    results
}

/// The top-`k` triplets of `a` by [`block_krylov_svds`] alone (for tests).
#[cfg(test)]
fn block_krylov_svd(a: MatRef<'_, f64>, k: usize, block: usize) -> Option<TruncatedSvd> {
    block_krylov_svds(a, &[Correction::none(a.nrows(), a.ncols())], k, block).remove(0)
}

/// Copies a column-major slice into a matrix.
pub fn matrix_from_values(values: &[f64], n_rows: usize, n_columns: usize) -> Mat<f64> {
    Mat::from_fn(n_rows, n_columns, |i, j| values[j * n_rows + i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::linalg::solvers::SolveLstsq;

    /// A genes × conditions-like matrix with a decaying spectrum and noise.
    fn test_matrix(n_rows: usize, n_columns: usize, seed: u32) -> Mat<f64> {
        let mut random = LegacyRandomState::new(seed);
        let rank = 30;
        let left = Mat::from_fn(n_rows, rank, |_, _| random.standard_normal());
        let right = Mat::from_fn(rank, n_columns, |i, _| random.standard_normal() * 0.8f64.powi(i as i32));
        let mut a = product(left.as_ref(), right.as_ref());
        for j in 0..n_columns {
            for i in 0..n_rows {
                a[(i, j)] += 0.05 * random.standard_normal();
            }
        }
        a
    }

    /// Distance between the subspaces spanned by two orthonormal bases (spectral norm of the difference of
    /// projections, bounded by the Frobenius norm).
    fn subspace_distance(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
        let pa = product(a.as_ref(), a.transpose());
        let pb = product(b.as_ref(), b.transpose());
        let mut total = 0.0;
        for j in 0..pa.ncols() {
            for i in 0..pa.nrows() {
                total += (pa[(i, j)] - pb[(i, j)]).powi(2);
            }
        }
        total.sqrt()
    }

    #[test]
    fn least_squares_equals_faers_qr_solution() {
        let a = test_matrix(120, 8, 3);
        let mut random = LegacyRandomState::new(4);
        let b = Mat::from_fn(120, 2, |_, _| random.standard_normal());
        let ours = least_squares(a.as_ref(), b.as_ref());
        let faer = a.qr().solve_lstsq(b.as_ref());
        for j in 0..2 {
            for i in 0..8 {
                assert!((ours[(i, j)] - faer[(i, j)]).abs() <= 1e-10 * faer[(i, j)].abs().max(1.0), "{i},{j}");
            }
        }
    }

    #[test]
    fn block_krylov_svd_matches_the_full_svd() {
        let a = test_matrix(600, 150, 7);
        let exact = exact_truncated_svd(a.as_ref(), 10).unwrap();
        let fast = block_krylov_svd(a.as_ref(), 10, 20).expect("converges");
        assert!(matches!(fast.method, SvdMethod::BlockKrylov { .. }));
        for (x, y) in exact.singular_values.iter().zip(&fast.singular_values) {
            assert!((x - y).abs() <= 1e-9 * exact.singular_values[0], "{x} vs {y}");
        }
        assert!(subspace_distance(&exact.u, &fast.u) < 1e-8);
        // Scores agree up to the sign of each component.
        let (exact_scores, fast_scores) = (exact.scores(), fast.scores());
        for j in 0..10 {
            let sign = (exact_scores[(0, j)] * fast_scores[(0, j)]).signum();
            for i in 0..600 {
                assert!((exact_scores[(i, j)] - sign * fast_scores[(i, j)]).abs() < 1e-7);
            }
        }
    }

    #[test]
    fn block_krylov_svd_of_a_matrix_of_lower_rank_than_k() {
        // Rank 3, five triplets wanted: the last two singular values vanish.
        let mut random = LegacyRandomState::new(11);
        let left = Mat::from_fn(600, 3, |_, _| random.standard_normal());
        let right = Mat::from_fn(3, 150, |_, _| random.standard_normal());
        let a = product(left.as_ref(), right.as_ref());
        let exact = exact_truncated_svd(a.as_ref(), 5).unwrap();
        let fast = block_krylov_svd(a.as_ref(), 5, 15).expect("converges");
        for (x, y) in exact.singular_values.iter().zip(&fast.singular_values) {
            assert!((x - y).abs() <= 1e-9 * exact.singular_values[0], "{x} vs {y}");
        }
        assert!(fast.singular_values[3] < 1e-9 * fast.singular_values[0]);
        assert!(subspace_distance(&exact.u.get(.., 0..3).to_owned(), &fast.u.get(.., 0..3).to_owned()) < 1e-8);
    }

    /// `truncated_svds` of a matrix and of it changed by low rank equal the exact SVDs of the matrices made.
    fn assert_same_svd(exact: &TruncatedSvd, fast: &TruncatedSvd) {
        assert!(matches!(fast.method, SvdMethod::BlockKrylov { .. }), "{:?}", fast.method);
        for (x, y) in exact.singular_values.iter().zip(&fast.singular_values) {
            assert!((x - y).abs() <= 1e-9 * exact.singular_values[0], "{x} vs {y}");
        }
        assert_eq!(exact.singular_values.len(), fast.singular_values.len());
        assert!(subspace_distance(&exact.u, &fast.u) < 1e-8);
        assert!(subspace_distance(&exact.v, &fast.v) < 1e-8);
    }

    /// `a` with its rows centred, with its columns centred, and the change from the first to the second.
    fn both_centrings(a: &Mat<f64>) -> (Mat<f64>, Mat<f64>, Correction) {
        let (n_rows, n_columns) = (a.nrows(), a.ncols());
        let mut rows_centred = a.clone();
        let row_means = centre_rows(&mut rows_centred);
        let mut columns_centred = a.clone();
        centre_columns(&mut columns_centred);
        let column_means: Vec<f64> =
            (0..n_columns).map(|j| a.col_as_slice(j).iter().sum::<f64>() / n_rows as f64).collect();
        (rows_centred, columns_centred, Correction::row_to_column_centring(&row_means, &column_means))
    }

    #[test]
    fn one_krylov_space_gives_the_svds_of_both_centrings() {
        let (rows_centred, columns_centred, by_column) = both_centrings(&test_matrix(500, 140, 9));
        let svds = truncated_svds(rows_centred.as_ref(), &[Correction::none(500, 140), by_column], 10);
        assert_same_svd(&exact_truncated_svd(rows_centred.as_ref(), 10).unwrap(), &svds[0]);
        assert_same_svd(&exact_truncated_svd(columns_centred.as_ref(), 10).unwrap(), &svds[1]);
    }

    #[test]
    fn one_krylov_space_for_both_centrings_through_restarts() {
        // Noise has no gap at K: the basis fills up (20-column blocks, 240 columns) and restarts twice.
        let mut random = LegacyRandomState::new(3);
        let a = Mat::from_fn(900, 420, |_, _| random.standard_normal());
        let (rows_centred, columns_centred, by_column) = both_centrings(&a);
        let svds = truncated_svds(rows_centred.as_ref(), &[Correction::none(900, 420), by_column], 10);
        for svd in &svds {
            assert!(matches!(svd.method, SvdMethod::BlockKrylov { steps } if steps > 24), "{:?}", svd.method);
        }
        assert_same_svd(&exact_truncated_svd(rows_centred.as_ref(), 10).unwrap(), &svds[0]);
        assert_same_svd(&exact_truncated_svd(columns_centred.as_ref(), 10).unwrap(), &svds[1]);
    }

    #[test]
    fn one_krylov_space_gives_the_svd_of_a_random_low_rank_change() {
        let a = test_matrix(400, 160, 12);
        let mut random = LegacyRandomState::new(13);
        let change = Correction {
            x: Mat::from_fn(400, 3, |_, _| 3.0 * random.standard_normal()),
            y: Mat::from_fn(160, 3, |_, _| random.standard_normal()),
        };
        let svds = truncated_svds(a.as_ref(), std::slice::from_ref(&change), 8);
        assert_same_svd(&exact_truncated_svd(change.applied(a.as_ref()).as_ref(), 8).unwrap(), &svds[0]);
    }

    #[test]
    fn wide_and_small_matrices_use_the_exact_svd() {
        let a = test_matrix(20, 40, 3);
        let svd = truncated_svd(a.as_ref(), 25);
        assert_eq!(svd.method, SvdMethod::Exact);
        assert_eq!(svd.singular_values.len(), 20);
        assert_eq!((svd.u.nrows(), svd.v.nrows()), (20, 40));
        // U D Vᵀ reconstructs A when all triplets are kept.
        let reconstructed = product(svd.scores().as_ref(), svd.v.transpose());
        for j in 0..40 {
            for i in 0..20 {
                assert!((reconstructed[(i, j)] - a[(i, j)]).abs() < 1e-10);
            }
        }
    }

    #[test]
    fn centring_rows_gives_the_bits_of_centring_the_transposes_columns() {
        let mut a = test_matrix(37, 23, 5);
        let mut transposed = a.transpose().to_owned();
        centre_rows(&mut a);
        centre_columns(&mut transposed);
        for j in 0..23 {
            for i in 0..37 {
                assert_eq!(a[(i, j)].to_bits(), transposed[(j, i)].to_bits());
            }
        }
    }

    #[test]
    fn zero_matrix_has_zero_singular_values() {
        let a = Mat::<f64>::zeros(200, 100);
        let svd = truncated_svd(a.as_ref(), 5);
        assert!(svd.singular_values.iter().all(|&value| value == 0.0));
    }
}
