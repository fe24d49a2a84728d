//! Matrix products in one fixed order of operations, the same on every processor: each entry of `A B` is
//! `((0 + a₁b₁) + a₂b₂) + …`, a multiply and then an add per term in the order of the inner index — never a
//! fused multiply-add, never re-associated. So the command line (x86-64, aarch64) and the page (wasm32 with
//! simd128) give the same bits, which faer's kernels do not (they fuse multiply-adds where the processor can
//! and block the sums by its vector width).
//!
//! Two layouts cover every product of the linear model: `A B` with `A` column-major (vectors down `A`'s
//! columns) and `Aᵀ B` (vectors across the columns of `B`, copied row-major). Both keep a tile of the result
//! in registers over a block of the inner index and add blocks in order, so the blocking changes no bit.
//! Two-lane vectors are SSE2 on x86-64 and simd128 in wasm: each lane is one IEEE operation, as in scalar code.

use faer::{Mat, MatRef};

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;
    #[derive(Clone, Copy)]
    pub struct F64x2(v128);
    impl F64x2 {
        #[inline(always)]
        pub fn splat(value: f64) -> F64x2 {
            F64x2(f64x2_splat(value))
        }
        /// Two values from `values[at..at + 2]`.
        #[inline(always)]
        pub fn load(values: &[f64], at: usize) -> F64x2 {
            let pair = &values[at..at + 2];
            // SAFETY: `pair` holds two f64 (16 bytes); v128_load has no alignment requirement.
            F64x2(unsafe { v128_load(pair.as_ptr() as *const v128) })
        }
        #[inline(always)]
        pub fn store(self, values: &mut [f64], at: usize) {
            let pair = &mut values[at..at + 2];
            // SAFETY: as in `load`.
            unsafe { v128_store(pair.as_mut_ptr() as *mut v128, self.0) }
        }
        /// `self + a · b`, rounded twice (multiply, then add).
        #[inline(always)]
        pub fn add_product(self, a: F64x2, b: F64x2) -> F64x2 {
            F64x2(f64x2_add(self.0, f64x2_mul(a.0, b.0)))
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod lanes {
    use core::arch::x86_64::*;
    #[derive(Clone, Copy)]
    pub struct F64x2(__m128d);
    impl F64x2 {
        #[inline(always)]
        pub fn splat(value: f64) -> F64x2 {
            // SAFETY: SSE2 is part of x86-64.
            F64x2(unsafe { _mm_set1_pd(value) })
        }
        #[inline(always)]
        pub fn load(values: &[f64], at: usize) -> F64x2 {
            let pair = &values[at..at + 2];
            // SAFETY: `pair` holds two f64; an unaligned load.
            F64x2(unsafe { _mm_loadu_pd(pair.as_ptr()) })
        }
        #[inline(always)]
        pub fn store(self, values: &mut [f64], at: usize) {
            let pair = &mut values[at..at + 2];
            // SAFETY: as in `load`.
            unsafe { _mm_storeu_pd(pair.as_mut_ptr(), self.0) }
        }
        #[inline(always)]
        pub fn add_product(self, a: F64x2, b: F64x2) -> F64x2 {
            // SAFETY: SSE2 is part of x86-64. Separate multiply and add (no FMA).
            F64x2(unsafe { _mm_add_pd(self.0, _mm_mul_pd(a.0, b.0)) })
        }
    }
}

#[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
mod lanes {
    #[derive(Clone, Copy)]
    pub struct F64x2([f64; 2]);
    impl F64x2 {
        #[inline(always)]
        pub fn splat(value: f64) -> F64x2 {
            F64x2([value; 2])
        }
        #[inline(always)]
        pub fn load(values: &[f64], at: usize) -> F64x2 {
            F64x2([values[at], values[at + 1]])
        }
        #[inline(always)]
        pub fn store(self, values: &mut [f64], at: usize) {
            values[at..at + 2].copy_from_slice(&self.0);
        }
        #[inline(always)]
        pub fn add_product(self, a: F64x2, b: F64x2) -> F64x2 {
            F64x2([self.0[0] + a.0[0] * b.0[0], self.0[1] + a.0[1] * b.0[1]])
        }
    }
}

use lanes::F64x2;

/// `values` column-major (`n_rows` per column), or the columns of `a` copied so.
fn column_major(a: MatRef<'_, f64>) -> std::borrow::Cow<'_, [f64]> {
    let (n_rows, n_columns) = (a.nrows(), a.ncols());
    if let Some(contiguous) = a.try_as_col_major() {
        if n_columns <= 1 || contiguous.col_stride() == n_rows as isize {
            if n_rows * n_columns == 0 {
                return std::borrow::Cow::Borrowed(&[]);
            }
            // SAFETY: rows are contiguous and columns follow each other without a gap: one slice.
            return std::borrow::Cow::Borrowed(unsafe { std::slice::from_raw_parts(a.as_ptr(), n_rows * n_columns) });
        }
    }
    std::borrow::Cow::Owned((0..n_columns).flat_map(|j| (0..n_rows).map(move |i| a[(i, j)])).collect())
}

/// The entries of `a` row by row (row-major).
fn row_major(a: MatRef<'_, f64>) -> Vec<f64> {
    (0..a.nrows()).flat_map(|i| (0..a.ncols()).map(move |j| a[(i, j)])).collect()
}

/// Rows per block of `A B`: the tile of `A` (rows × INNER) stays in the first cache.
const ROWS: usize = 64;
/// Inner indices per block: few enough columns of `A` (each on its own page) for the TLB.
const INNER: usize = 32;
/// Rows of the inner index per block of `Aᵀ B` (the rows of `B` reused across `A`'s columns).
const DEPTH: usize = 512;

/// `a · b` (rows × inner, inner × columns), each entry summed in the order of the inner index.
pub fn product(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    assert_eq!(a.ncols(), b.nrows(), "product of matrices whose shapes do not match");
    if a.nrows() == 0 || b.ncols() == 0 {
        return Mat::zeros(a.nrows(), b.ncols());
    }
    // A transposed view of a column-major matrix: its rows are contiguous, so use Aᵀ B's layout.
    let transposed = a.try_as_col_major().is_none() && a.transpose().try_as_col_major().is_some();
    if transposed {
        transposed_product(a.transpose(), b)
    } else {
        plain_product(a, b)
    }
}

/// `A B` with vectors down the columns of `A`: `Z[i, l] += A[i, j] Y[j, l]`, j in order.
fn plain_product(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let (n, m, width) = (a.nrows(), a.ncols(), b.ncols());
    let a_values = column_major(a);
    let y = row_major(b); // y[j * width + l]
    let mut z = vec![0.0; n * width]; // column-major n × width
    for i0 in (0..n).step_by(ROWS) {
        let i1 = (i0 + ROWS).min(n);
        for j0 in (0..m).step_by(INNER) {
            let j1 = (j0 + INNER).min(m);
            let mut l = 0;
            while l < width {
                let pair = width - l >= 2;
                let mut i = i0;
                while i + 8 <= i1 {
                    if pair {
                        tile_down::<4, 2>(&a_values, n, &y, width, &mut z, i, j0, j1, l);
                    } else {
                        tile_down::<4, 1>(&a_values, n, &y, width, &mut z, i, j0, j1, l);
                    }
                    i += 8;
                }
                while i + 2 <= i1 {
                    if pair {
                        tile_down::<1, 2>(&a_values, n, &y, width, &mut z, i, j0, j1, l);
                    } else {
                        tile_down::<1, 1>(&a_values, n, &y, width, &mut z, i, j0, j1, l);
                    }
                    i += 2;
                }
                for row in i..i1 {
                    for column in l..l + if pair { 2 } else { 1 } {
                        let mut sum = z[column * n + row];
                        for j in j0..j1 {
                            sum += a_values[j * n + row] * y[j * width + column];
                        }
                        z[column * n + row] = sum;
                    }
                }
                l += if pair { 2 } else { 1 };
            }
        }
    }
    Mat::from_fn(n, width, |i, l| z[l * n + i])
}

/// Rows `i..i + 2V` and columns `l..l + C` of `Z`, over the inner indices `j0..j1`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn tile_down<const V: usize, const C: usize>(
    a: &[f64],
    n: usize,
    y: &[f64],
    width: usize,
    z: &mut [f64],
    i: usize,
    j0: usize,
    j1: usize,
    l: usize,
) {
    let mut sums = [[F64x2::splat(0.0); V]; C];
    for (c, column) in sums.iter_mut().enumerate() {
        for (v, sum) in column.iter_mut().enumerate() {
            *sum = F64x2::load(z, (l + c) * n + i + 2 * v);
        }
    }
    for j in j0..j1 {
        let column = &a[j * n + i..j * n + i + 2 * V];
        let values: [F64x2; V] = std::array::from_fn(|v| F64x2::load(column, 2 * v));
        for (c, sums) in sums.iter_mut().enumerate() {
            let factor = F64x2::splat(y[j * width + l + c]);
            for (sum, value) in sums.iter_mut().zip(&values) {
                *sum = sum.add_product(*value, factor);
            }
        }
    }
    for (c, column) in sums.iter().enumerate() {
        for (v, sum) in column.iter().enumerate() {
            sum.store(z, (l + c) * n + i + 2 * v);
        }
    }
}

/// `Aᵀ B` (A: inner × rows, column-major): `C[j, l] += A[i, j] B[i, l]`, i in order, vectors across `l`.
fn transposed_product(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let (depth, m, width) = (a.nrows(), a.ncols(), b.ncols());
    let a_values = column_major(a);
    let bt = row_major(b); // bt[i * width + l]
    let mut c = vec![0.0; m * width]; // row-major m × width
    for i0 in (0..depth).step_by(DEPTH) {
        let i1 = (i0 + DEPTH).min(depth);
        let mut j = 0;
        while j < m {
            let rows = if m - j >= 2 { 2 } else { 1 };
            let mut l = 0;
            while l < width {
                let left = width - l;
                match (rows, left) {
                    (2, 8..) => tile_across::<2, 4>(&a_values, depth, &bt, width, &mut c, j, i0, i1, l),
                    (1, 8..) => tile_across::<1, 4>(&a_values, depth, &bt, width, &mut c, j, i0, i1, l),
                    (2, 4..) => tile_across::<2, 2>(&a_values, depth, &bt, width, &mut c, j, i0, i1, l),
                    (1, 4..) => tile_across::<1, 2>(&a_values, depth, &bt, width, &mut c, j, i0, i1, l),
                    (2, 2..) => tile_across::<2, 1>(&a_values, depth, &bt, width, &mut c, j, i0, i1, l),
                    (1, 2..) => tile_across::<1, 1>(&a_values, depth, &bt, width, &mut c, j, i0, i1, l),
                    _ => {
                        for row in j..j + rows {
                            let mut sum = c[row * width + l];
                            for i in i0..i1 {
                                sum += a_values[row * depth + i] * bt[i * width + l];
                            }
                            c[row * width + l] = sum;
                        }
                    }
                }
                l += match left {
                    8.. => 8,
                    4.. => 4,
                    2.. => 2,
                    _ => 1,
                };
            }
            j += rows;
        }
    }
    Mat::from_fn(m, width, |j, l| c[j * width + l])
}

/// Rows `j..j + R` and columns `l..l + 2V` of `C = Aᵀ B`, over the inner indices `i0..i1`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn tile_across<const R: usize, const V: usize>(
    a: &[f64],
    depth: usize,
    bt: &[f64],
    width: usize,
    c: &mut [f64],
    j: usize,
    i0: usize,
    i1: usize,
    l: usize,
) {
    let mut sums = [[F64x2::splat(0.0); V]; R];
    for (r, row) in sums.iter_mut().enumerate() {
        for (v, sum) in row.iter_mut().enumerate() {
            *sum = F64x2::load(c, (j + r) * width + l + 2 * v);
        }
    }
    let columns: [&[f64]; R] = std::array::from_fn(|r| &a[(j + r) * depth + i0..(j + r) * depth + i1]);
    for i in i0..i1 {
        let row = &bt[i * width + l..i * width + l + 2 * V];
        let values: [F64x2; V] = std::array::from_fn(|v| F64x2::load(row, 2 * v));
        for (r, sums) in sums.iter_mut().enumerate() {
            let factor = F64x2::splat(columns[r][i - i0]);
            for (sum, value) in sums.iter_mut().zip(&values) {
                *sum = sum.add_product(factor, *value);
            }
        }
    }
    for (r, row) in sums.iter().enumerate() {
        for (v, sum) in row.iter().enumerate() {
            sum.store(c, (j + r) * width + l + 2 * v);
        }
    }
}

/// `Σ aᵢ bᵢ` in four interleaved running sums (i mod 4), added as `(s₀ + s₁) + (s₂ + s₃)`: a fixed order
/// that keeps four additions in flight.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut sums = [0.0; 4];
    let (a_blocks, b_blocks) = (a.chunks_exact(4), b.chunks_exact(4));
    let (a_rest, b_rest) = (a_blocks.remainder(), b_blocks.remainder());
    for (x, y) in a_blocks.zip(b_blocks) {
        for lane in 0..4 {
            sums[lane] += x[lane] * y[lane];
        }
    }
    for (lane, (x, y)) in a_rest.iter().zip(b_rest).enumerate() {
        sums[lane] += x * y;
    }
    (sums[0] + sums[1]) + (sums[2] + sums[3])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numpy_random::LegacyRandomState;

    /// The order every product promises, as plain loops.
    fn sequential(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
        Mat::from_fn(a.nrows(), b.ncols(), |i, j| {
            let mut sum = 0.0;
            for k in 0..a.ncols() {
                sum += a[(i, k)] * b[(k, j)];
            }
            sum
        })
    }

    fn random(n_rows: usize, n_columns: usize, seed: u32) -> Mat<f64> {
        let mut random = LegacyRandomState::new(seed);
        Mat::from_fn(n_rows, n_columns, |_, _| random.standard_normal() * 1e3)
    }

    fn assert_bits(got: &Mat<f64>, want: &Mat<f64>) {
        assert_eq!((got.nrows(), got.ncols()), (want.nrows(), want.ncols()));
        for j in 0..want.ncols() {
            for i in 0..want.nrows() {
                assert_eq!(got[(i, j)].to_bits(), want[(i, j)].to_bits(), "({i}, {j})");
            }
        }
    }

    #[test]
    fn products_have_the_bits_of_the_sequential_sum_for_every_shape() {
        // Shapes around every tile and block edge: rows 1, 7, 8, 9, 65, 130; inner 1, 33, 600; widths 1–21.
        for &(n, m, width) in
            &[(1, 1, 1), (7, 33, 3), (8, 32, 2), (9, 31, 5), (65, 600, 16), (130, 70, 21), (64, 1, 20), (3, 5, 0)]
        {
            let a = random(n, m, (n * 1000 + m) as u32);
            let b = random(m, width, (m * 100 + width) as u32);
            assert_bits(&product(a.as_ref(), b.as_ref()), &sequential(a.as_ref(), b.as_ref()));
            // Aᵀ B through the transposed layout: A stored inner × rows.
            let at = a.transpose().to_owned();
            assert_bits(&product(at.transpose(), b.as_ref()), &sequential(a.as_ref(), b.as_ref()));
            // Views into a larger matrix (column stride past the rows).
            let big = random(n + 3, m + 2, 5);
            let view = big.get(1..n + 1, 2..m + 2);
            assert_bits(&product(view, b.as_ref()), &sequential(view, b.as_ref()));
        }
        // A deep Aᵀ B (past the DEPTH block).
        let a = random(1500, 9, 1);
        let b = random(1500, 10, 2);
        assert_bits(&product(a.transpose(), b.as_ref()), &sequential(a.transpose(), b.as_ref()));
    }

    #[test]
    fn dot_sums_four_ways_in_a_fixed_order() {
        let a = [1e16, 1.0, -1e16, 1.0, 3.0];
        let b = [1.0; 5];
        // (1e16 + 3) + 1 + (-1e16) + 1, lane by lane: lanes are (1e16+3, 1, -1e16, 1).
        assert_eq!(dot(&a, &b), ((1e16 + 3.0) + 1.0) + (-1e16 + 1.0));
        assert_eq!(dot(&[], &[]), 0.0);
    }
}
