//! The decompositions the linear model needs, in plain loops with a fixed order of operations (sums by
//! [`dot`] or in index order, no fused multiply-add, square roots and divisions only — no `hypot` or other
//! library function whose last bit may differ between platforms), so native and wasm builds agree bit for bit:
//! a Householder QR (its thin Q), the thin SVD (QR and one-sided Jacobi), the symmetric eigendecomposition (Householder tridiagonalisation and the
//! implicit QL iteration, as EISPACK's `tred2` and `tql2`), and LU with partial pivoting.

use super::kernels::dot;
use faer::{Mat, MatRef};

/// `I − β v vᵀ` acting on rows `c..` as `(v, β)`, or `None` for the identity.
type Reflector = Option<(Vec<f64>, f64)>;

/// `part ← (I − β v vᵀ) part`: the reflector's factor from one [`dot`], then `part − factor · v`.
fn reflect(part: &mut [f64], v: &[f64], beta: f64) {
    let factor = beta * dot(v, part);
    part.iter_mut().zip(v).for_each(|(value, v)| *value -= factor * v);
}

/// A Householder QR of the first `reduce` columns of `a` (n × w), the reflectors applied to every later column
/// too: the reflectors (`I − β v vᵀ` on rows `c..`; `None` for the identity) and the columns of `Qᵀ a` (R in the
/// upper triangle of the reduced ones).
fn householder(a: MatRef<'_, f64>, reduce: usize) -> (Vec<Reflector>, Vec<Vec<f64>>) {
    let (n, w) = (a.nrows(), a.ncols());
    let k = reduce.min(w).min(n);
    let mut columns: Vec<Vec<f64>> = (0..w).map(|j| (0..n).map(|i| a[(i, j)]).collect()).collect();
    let mut reflectors: Vec<Reflector> = Vec::with_capacity(k);
    for c in 0..k {
        let (done, rest) = columns.split_at_mut(c + 1);
        let x = &mut done[c][c..];
        let norm = dot(x, x).sqrt();
        if norm == 0.0 {
            reflectors.push(None);
            continue;
        }
        let alpha = if x[0] > 0.0 { -norm } else { norm };
        let mut v = x.to_vec();
        v[0] -= alpha;
        let squared = dot(&v, &v);
        if squared == 0.0 {
            reflectors.push(None);
            continue;
        }
        x[0] = alpha;
        x[1..].iter_mut().for_each(|value| *value = 0.0);
        let beta = 2.0 / squared;
        for column in rest.iter_mut() {
            reflect(&mut column[c..], &v, beta);
        }
        reflectors.push(Some((v, beta)));
    }
    (reflectors, columns)
}

/// The first `k` columns of `Q = H₀ H₁ …` (n rows), each applied from the last reflector.
fn thin_q(reflectors: &[Reflector], n: usize, k: usize) -> Mat<f64> {
    let mut q = Mat::<f64>::zeros(n, k);
    for j in 0..k {
        let mut y = vec![0.0; n];
        y[j] = 1.0;
        for (c, reflector) in reflectors.iter().enumerate().rev() {
            if let Some((v, beta)) = reflector {
                reflect(&mut y[c..], v, *beta);
            }
        }
        q.col_as_slice_mut(j).copy_from_slice(&y);
    }
    q
}

/// An orthonormal basis of the columns of `a` (n × w): the first `min(n, w)` columns of the Q of its
/// Householder QR. Columns that are zero or dependent still get orthonormal columns (the reflectors' own).
pub fn orthonormal_basis(a: MatRef<'_, f64>) -> Mat<f64> {
    let (reflectors, _) = householder(a, a.ncols());
    thin_q(&reflectors, a.nrows(), a.ncols().min(a.nrows()))
}

/// The thin SVD of a tall `a` (n × w, n ≥ w): Householder QR, then one-sided Jacobi rotations of R's columns
/// until every pair is orthogonal to rounding (accurate for small singular values too). Singular values
/// largest first, left vectors (n × w; zero for a zero singular value), right vectors (w × w). `None` if the
/// rotations do not settle.
pub fn thin_svd(a: MatRef<'_, f64>) -> Option<(Vec<f64>, Mat<f64>, Mat<f64>)> {
    let (n, w) = (a.nrows(), a.ncols());
    debug_assert!(n >= w);
    let (reflectors, columns) = householder(a, w);
    let mut r: Vec<Vec<f64>> = columns.iter().map(|column| column[..w].to_vec()).collect();
    let mut v: Vec<Vec<f64>> = (0..w).map(|j| (0..w).map(|i| if i == j { 1.0 } else { 0.0 }).collect()).collect();
    let mut settled = false;
    for _sweep in 0..80 {
        let mut rotated = false;
        for i in 0..w {
            for j in i + 1..w {
                let alpha = dot(&r[i], &r[i]);
                let beta = dot(&r[j], &r[j]);
                let gamma = dot(&r[i], &r[j]);
                if gamma == 0.0 || gamma.abs() <= f64::EPSILON * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                for pair in [&mut r, &mut v] {
                    let (low, high) = pair.split_at_mut(j);
                    for (x, y) in low[i].iter_mut().zip(high[0].iter_mut()) {
                        let (a, b) = (*x, *y);
                        *x = c * a - s * b;
                        *y = s * a + c * b;
                    }
                }
            }
        }
        if !rotated {
            settled = true;
            break;
        }
    }
    if !settled {
        return None;
    }
    let norms: Vec<f64> = r.iter().map(|column| dot(column, column).sqrt()).collect();
    if norms.iter().any(|value| !value.is_finite()) {
        return None;
    }
    let mut order: Vec<usize> = (0..w).collect();
    order.sort_by(|&x, &y| norms[y].total_cmp(&norms[x]));
    // U = Q U_R, with U_R's columns r / σ.
    let q = thin_q(&reflectors, n, w);
    let u_r = Mat::from_fn(w, w, |i, j| {
        let column = order[j];
        if norms[column] > 0.0 {
            r[column][i] / norms[column]
        } else {
            0.0
        }
    });
    let u = super::kernels::product(q.as_ref(), u_r.as_ref());
    let right = Mat::from_fn(w, w, |i, j| v[order[j]][i]);
    Some((order.iter().map(|&index| norms[index]).collect(), u, right))
}

/// The least-squares solution of `a x ≈ b` for a tall `a` (m × n) of full column rank: the Householder QR of
/// `[a b]` reduced over `a`'s columns, then back-substitution in index order.
pub fn least_squares(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let n = a.ncols();
    let both = Mat::from_fn(a.nrows(), n + b.ncols(), |i, j| if j < n { a[(i, j)] } else { b[(i, j - n)] });
    let (_, columns) = householder(both.as_ref(), n);
    let (r, y) = columns.split_at(n);
    let mut x = Mat::zeros(n, y.len());
    for (c, column) in y.iter().enumerate() {
        for i in (0..n).rev() {
            let mut known = 0.0;
            for j in i + 1..n {
                known += r[j][i] * x[(j, c)];
            }
            x[(i, c)] = (column[i] - known) / r[i][i];
        }
    }
    x
}

/// `√(a² + b²)` without overflow, from multiplications, divisions and one square root.
fn hypotenuse(a: f64, b: f64) -> f64 {
    let (large, small) = if a.abs() >= b.abs() { (a.abs(), b.abs()) } else { (b.abs(), a.abs()) };
    if large == 0.0 {
        return 0.0;
    }
    let ratio = small / large;
    large * (1.0 + ratio * ratio).sqrt()
}

/// The eigenvalues (largest first) and eigenvectors (columns, in the same order) of the symmetric matrix `m`
/// (only its lower triangle is read). `None` if the QL iteration does not converge.
pub fn symmetric_eigen(m: MatRef<'_, f64>) -> Option<(Vec<f64>, Mat<f64>)> {
    let n = m.nrows();
    if n == 0 {
        return Some((vec![], Mat::zeros(0, 0)));
    }
    // v[i][j] row by row, d the diagonal, e the subdiagonal (tred2 then tql2, after EISPACK / JAMA).
    let mut v: Vec<Vec<f64>> =
        (0..n).map(|i| (0..n).map(|j| if j <= i { m[(i, j)] } else { m[(j, i)] }).collect()).collect();
    let mut d: Vec<f64> = v[n - 1].clone();
    let mut e = vec![0.0; n];
    for i in (1..n).rev() {
        let mut scale = 0.0;
        let mut h = 0.0;
        for value in &d[..i] {
            scale += value.abs();
        }
        if scale == 0.0 {
            e[i] = d[i - 1];
            for j in 0..i {
                d[j] = v[i - 1][j];
                v[i][j] = 0.0;
                v[j][i] = 0.0;
            }
        } else {
            for value in &mut d[..i] {
                *value /= scale;
                h += *value * *value;
            }
            let mut f = d[i - 1];
            let mut g = h.sqrt();
            if f > 0.0 {
                g = -g;
            }
            e[i] = scale * g;
            h -= f * g;
            d[i - 1] = f - g;
            e[..i].iter_mut().for_each(|value| *value = 0.0);
            for j in 0..i {
                f = d[j];
                v[j][i] = f;
                g = e[j] + v[j][j] * f;
                for k in j + 1..i {
                    g += v[k][j] * d[k];
                    e[k] += v[k][j] * f;
                }
                e[j] = g;
            }
            f = 0.0;
            for j in 0..i {
                e[j] /= h;
                f += e[j] * d[j];
            }
            let hh = f / (h + h);
            for j in 0..i {
                e[j] -= hh * d[j];
            }
            for j in 0..i {
                f = d[j];
                g = e[j];
                for k in j..i {
                    v[k][j] -= f * e[k] + g * d[k];
                }
                d[j] = v[i - 1][j];
                v[i][j] = 0.0;
            }
        }
        d[i] = h;
    }
    for i in 0..n - 1 {
        v[n - 1][i] = v[i][i];
        v[i][i] = 1.0;
        let h = d[i + 1];
        if h != 0.0 {
            for k in 0..=i {
                d[k] = v[k][i + 1] / h;
            }
            for j in 0..=i {
                let mut g = 0.0;
                for row in &v[..=i] {
                    g += row[i + 1] * row[j];
                }
                for k in 0..=i {
                    v[k][j] -= g * d[k];
                }
            }
        }
        for row in v.iter_mut().take(i + 1) {
            row[i + 1] = 0.0;
        }
    }
    for j in 0..n {
        d[j] = v[n - 1][j];
        v[n - 1][j] = 0.0;
    }
    v[n - 1][n - 1] = 1.0;
    e[0] = 0.0;

    // Implicit QL.
    for i in 1..n {
        e[i - 1] = e[i];
    }
    e[n - 1] = 0.0;
    let mut f = 0.0;
    let mut largest: f64 = 0.0;
    let epsilon = f64::EPSILON;
    for l in 0..n {
        largest = largest.max(d[l].abs() + e[l].abs());
        let mut m_index = l;
        while m_index < n {
            if e[m_index].abs() <= epsilon * largest {
                break;
            }
            m_index += 1;
        }
        if m_index == n {
            m_index = n - 1;
        }
        if m_index > l {
            let mut iterations = 0;
            loop {
                iterations += 1;
                if iterations > 60 {
                    return None;
                }
                let mut g = d[l];
                let mut p = (d[l + 1] - g) / (2.0 * e[l]);
                let mut r = hypotenuse(p, 1.0);
                if p < 0.0 {
                    r = -r;
                }
                d[l] = e[l] / (p + r);
                d[l + 1] = e[l] * (p + r);
                let dl1 = d[l + 1];
                let mut h = g - d[l];
                for value in &mut d[l + 2..] {
                    *value -= h;
                }
                f += h;
                p = d[m_index];
                let (mut c, mut c2, mut c3) = (1.0, 1.0, 1.0);
                let el1 = e[l + 1];
                let (mut s, mut s2) = (0.0, 0.0);
                for i in (l..m_index).rev() {
                    c3 = c2;
                    c2 = c;
                    s2 = s;
                    g = c * e[i];
                    h = c * p;
                    r = hypotenuse(p, e[i]);
                    e[i + 1] = s * r;
                    s = e[i] / r;
                    c = p / r;
                    p = c * d[i] - s * g;
                    d[i + 1] = h + s * (c * g + s * d[i]);
                    for row in v.iter_mut() {
                        h = row[i + 1];
                        row[i + 1] = s * row[i] + c * h;
                        row[i] = c * row[i] - s * h;
                    }
                }
                p = -s * s2 * c3 * el1 * e[l] / dl1;
                e[l] = s * p;
                d[l] = c * p;
                if e[l].abs() <= epsilon * largest {
                    break;
                }
            }
        }
        d[l] += f;
        e[l] = 0.0;
    }
    if d.iter().any(|value| !value.is_finite()) {
        return None;
    }
    // Largest first; ties keep their order.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| d[y].total_cmp(&d[x]));
    let values = order.iter().map(|&index| d[index]).collect();
    let vectors = Mat::from_fn(n, n, |i, j| v[i][order[j]]);
    Some((values, vectors))
}

/// Solves `a x = b` for a square `a` by LU with partial pivoting (the first largest pivot of each column).
/// A singular `a` gives non-finite entries, as dividing by a zero pivot does.
#[allow(clippy::needless_range_loop)] // the back-substitution reads other rows of `x` by index
pub fn solve(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let n = a.nrows();
    let mut lu: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|j| a[(i, j)]).collect()).collect();
    let mut x: Vec<Vec<f64>> = (0..n).map(|i| (0..b.ncols()).map(|j| b[(i, j)]).collect()).collect();
    for c in 0..n {
        let mut pivot = c;
        for row in c + 1..n {
            if lu[row][c].abs() > lu[pivot][c].abs() {
                pivot = row;
            }
        }
        lu.swap(c, pivot);
        x.swap(c, pivot);
        let (upper, lower) = lu.split_at_mut(c + 1);
        let (x_upper, x_lower) = x.split_at_mut(c + 1);
        let (pivot_row, x_pivot) = (&upper[c], &x_upper[c]);
        for (row, x_row) in lower.iter_mut().zip(x_lower.iter_mut()) {
            let factor = row[c] / pivot_row[c];
            for (value, p) in row[c..].iter_mut().zip(&pivot_row[c..]) {
                *value -= factor * p;
            }
            for (value, p) in x_row.iter_mut().zip(x_pivot) {
                *value -= factor * p;
            }
        }
    }
    for c in (0..n).rev() {
        for j in 0..b.ncols() {
            let mut known = 0.0;
            for k in c + 1..n {
                known += lu[c][k] * x[k][j];
            }
            x[c][j] = (x[c][j] - known) / lu[c][c];
        }
    }
    Mat::from_fn(n, b.ncols(), |i, j| x[i][j])
}

#[cfg(test)]
mod tests {
    use super::super::kernels::product;
    use super::*;
    use crate::numpy_random::LegacyRandomState;

    fn random(n_rows: usize, n_columns: usize, seed: u32) -> Mat<f64> {
        let mut random = LegacyRandomState::new(seed);
        Mat::from_fn(n_rows, n_columns, |_, _| random.standard_normal())
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn householder_q_is_orthonormal_and_spans_the_columns() {
        let mut a = random(300, 12, 1);
        // A zero column and a repeated one: the basis stays orthonormal.
        for i in 0..300 {
            a[(i, 4)] = 0.0;
            a[(i, 7)] = a[(i, 2)];
        }
        let q = orthonormal_basis(a.as_ref());
        let gram = product(q.transpose(), q.as_ref());
        for i in 0..12 {
            for j in 0..12 {
                assert!(close(gram[(i, j)], if i == j { 1.0 } else { 0.0 }, 1e-13), "{i},{j}: {}", gram[(i, j)]);
            }
        }
        // Every column of a is in the span: a − Q Qᵀ a = 0.
        let back = product(q.as_ref(), product(q.transpose(), a.as_ref()).as_ref());
        for j in 0..12 {
            for i in 0..300 {
                assert!(close(back[(i, j)], a[(i, j)], 1e-12));
            }
        }
    }

    #[test]
    fn symmetric_eigen_reconstructs_the_matrix_largest_first() {
        for &n in &[1, 2, 5, 40, 121] {
            let b = random(n + 3, n, n as u32);
            let m = product(b.transpose(), b.as_ref());
            let (values, vectors) = symmetric_eigen(m.as_ref()).expect("converges");
            assert!(values.windows(2).all(|pair| pair[0] >= pair[1]));
            // V diag(λ) Vᵀ = M and VᵀV = I.
            let scaled = Mat::from_fn(n, n, |i, j| vectors[(i, j)] * values[j]);
            let back = product(scaled.as_ref(), vectors.transpose());
            let gram = product(vectors.transpose(), vectors.as_ref());
            let size = values[0].abs().max(1.0);
            for i in 0..n {
                for j in 0..n {
                    assert!(close(back[(i, j)], m[(i, j)], 1e-12 * size), "n={n} ({i},{j})");
                    assert!(close(gram[(i, j)], if i == j { 1.0 } else { 0.0 }, 1e-12));
                }
            }
        }
        // Repeated eigenvalues and a zero matrix.
        let identity = Mat::from_fn(6, 6, |i, j| if i == j { 2.0 } else { 0.0 });
        assert_eq!(symmetric_eigen(identity.as_ref()).unwrap().0, vec![2.0; 6]);
        assert_eq!(symmetric_eigen(Mat::<f64>::zeros(4, 4).as_ref()).unwrap().0, vec![0.0; 4]);
    }

    #[test]
    fn lu_solves_with_pivoting() {
        let a = random(10, 10, 3);
        let x = random(10, 3, 4);
        let b = product(a.as_ref(), x.as_ref());
        let solved = solve(a.as_ref(), b.as_ref());
        for j in 0..3 {
            for i in 0..10 {
                assert!(close(solved[(i, j)], x[(i, j)], 1e-11), "{i},{j}");
            }
        }
        // A zero leading entry needs the pivot.
        let a = Mat::from_fn(2, 2, |i, j| [[0.0, 1.0], [1.0, 0.0]][i][j]);
        let b = Mat::from_fn(2, 1, |i, _| [3.0, 5.0][i]);
        let solved = solve(a.as_ref(), b.as_ref());
        assert_eq!((solved[(0, 0)], solved[(1, 0)]), (5.0, 3.0));
    }
}
