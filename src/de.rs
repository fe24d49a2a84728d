//! Differential expression of one condition's cells against the control cells, per gene, as pdex 0.3
//! (`mode="ref"`) computes it for cell-eval: the two-sided Mann–Whitney U test with scipy's normal
//! approximation (continuity correction 0.5, tie correction), Benjamini–Hochberg over a condition's genes, and
//! the fold change of the means of the stored (log1p) values.
//!
//! A gene's values in a group of cells are held as [`SortedValues`]: the non-zero values sorted and a count of
//! zeros, so that the zeros of sparse data are one tied block whatever their number and the control's values
//! are sorted once for every condition compared with it. Ranks are sums of halves, exact in f64 (as numpy's sum
//! of scipy's ranks).

pub mod pass;

/// One gene's values in a group of cells: the non-zero values in ascending order and how many are zero.
#[derive(Clone, Debug, PartialEq)]
pub struct SortedValues {
    nonzero: Vec<f64>,
    zeros: usize,
}

impl SortedValues {
    /// From every cell's value (zeros included); `None` when a value is NaN (no test is defined).
    pub fn new(values: &[f64]) -> Option<Self> {
        Self::from_sparse(values, values.len())
    }

    /// From a sparse column: the stored non-zero values (explicit zeros allowed) and the number of cells.
    pub fn from_sparse(stored: &[f64], n_cells: usize) -> Option<Self> {
        if stored.len() > n_cells || stored.iter().any(|value| value.is_nan()) {
            return None;
        }
        // -0.0 equals 0.0, so it is counted as a zero (it would sort apart from 0.0 under total_cmp).
        let mut nonzero: Vec<f64> = stored.iter().copied().filter(|&value| value != 0.0).collect();
        nonzero.sort_unstable_by(f64::total_cmp);
        Some(SortedValues { zeros: n_cells - nonzero.len(), nonzero })
    }

    /// The number of cells.
    pub fn len(&self) -> usize {
        self.nonzero.len() + self.zeros
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values as runs `(value, count)` of equal values, ascending, the zeros in their place.
    fn runs(&self) -> Runs<'_, f64> {
        Runs::new(&self.nonzero, self.zeros)
    }
}

/// One gene's values in a group of cells as the DE pass holds them: the non-zero values, sorted, as the
/// float32 the tools rank (cell-eval reads matrices as float32), borrowed from the pass's buffer, and how
/// many cells are zero.
#[derive(Clone, Copy, Debug)]
pub struct SortedSlice<'a> {
    pub nonzero: &'a [f32],
    pub zeros: usize,
}

impl SortedSlice<'_> {
    pub fn len(&self) -> usize {
        self.nonzero.len() + self.zeros
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Runs `(value, count)` of equal values of sorted non-zero values with a block of zeros in its place.
struct Runs<'a, T> {
    nonzero: &'a [T],
    zeros: usize,
    at: usize,
    negative: usize,
    zeros_done: bool,
}

impl<'a, T: Copy + Into<f64>> Runs<'a, T> {
    fn new(nonzero: &'a [T], zeros: usize) -> Self {
        let negative = nonzero.partition_point(|&value| value.into() < 0.0);
        Runs { nonzero, zeros, at: 0, negative, zeros_done: zeros == 0 }
    }
}

impl<T: Copy + Into<f64>> Iterator for Runs<'_, T> {
    type Item = (f64, usize);

    fn next(&mut self) -> Option<(f64, usize)> {
        if !self.zeros_done && self.at == self.negative {
            self.zeros_done = true;
            return Some((0.0, self.zeros));
        }
        let value: f64 = (*self.nonzero.get(self.at)?).into();
        let start = self.at;
        while self.at < self.nonzero.len() && self.nonzero[self.at].into() == value {
            self.at += 1;
        }
        Some((value, self.at - start))
    }
}

/// The result of [`mann_whitney`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MannWhitney {
    /// U of the first group (scipy's `statistic`).
    pub statistic: f64,
    /// Two-sided, from the normal approximation; 1 when every value is tied.
    pub p_value: f64,
}

/// `scipy.stats.mannwhitneyu(x, y, use_continuity=True, alternative="two-sided", method="asymptotic")`;
/// `None` when a group has no cell.
pub fn mann_whitney(x: &SortedValues, y: &SortedValues) -> Option<MannWhitney> {
    mann_whitney_of_runs(x.runs(), y.runs(), x.len(), y.len())
}

/// [`mann_whitney`] of the DE pass's float32 values.
pub fn mann_whitney_sorted(x: SortedSlice<'_>, y: SortedSlice<'_>) -> Option<MannWhitney> {
    mann_whitney_of_runs(Runs::new(x.nonzero, x.zeros), Runs::new(y.nonzero, y.zeros), x.len(), y.len())
}

fn mann_whitney_of_runs(
    runs_x: impl Iterator<Item = (f64, usize)>,
    runs_y: impl Iterator<Item = (f64, usize)>,
    n1: usize,
    n2: usize,
) -> Option<MannWhitney> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    // Walk both groups' runs in ascending order: each value's tied block gets the mean of its ranks.
    let (mut runs_x, mut runs_y) = (runs_x.peekable(), runs_y.peekable());
    let (mut below, mut rank_sum_x, mut tie_term) = (0usize, 0.0f64, 0.0f64);
    loop {
        let value = match (runs_x.peek(), runs_y.peek()) {
            (Some(&(a, _)), Some(&(b, _))) => a.min(b),
            (Some(&(a, _)), None) => a,
            (None, Some(&(b, _))) => b,
            (None, None) => break,
        };
        let from_x = runs_x.next_if(|&(a, _)| a == value).map_or(0, |(_, count)| count);
        let from_y = runs_y.next_if(|&(b, _)| b == value).map_or(0, |(_, count)| count);
        let tied = from_x + from_y;
        let mean_rank = below as f64 + (tied as f64 + 1.0) / 2.0;
        rank_sum_x += from_x as f64 * mean_rank;
        let t = tied as f64;
        tie_term += t * t * t - t;
        below += tied;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let u1 = rank_sum_x - n1f * (n1f + 1.0) / 2.0;
    let u2 = n1f * n2f - u1;
    let u = u1.max(u2);
    let mu = n1f * n2f / 2.0;
    let n = n1f + n2f;
    let s = (n1f * n2f / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
    let z = (u - mu - 0.5) / s;
    let p_value = (2.0 * normal_sf(z)).clamp(0.0, 1.0);
    Some(MannWhitney { statistic: u1, p_value })
}

/// The standard normal's survival function `P(Z > z)`, as scipy's `norm.sf` (cephes `ndtr(−z)`: erf near 0,
/// erfc in the tails). `z = −∞` (every value tied) gives 1.
fn normal_sf(z: f64) -> f64 {
    let x = -z * std::f64::consts::FRAC_1_SQRT_2;
    if z.is_nan() {
        return f64::NAN;
    }
    if x.abs() < std::f64::consts::FRAC_1_SQRT_2 {
        0.5 + 0.5 * libm::erf(x)
    } else {
        let tail = 0.5 * libm::erfc(x.abs());
        if x > 0.0 {
            1.0 - tail
        } else {
            tail
        }
    }
}

/// `scipy.stats.false_discovery_control(p, method="bh")`: `p_(i) · m / i` over the sorted p-values, made
/// monotone from the largest down, at most 1, in the input's order. NaN p-values stay NaN and do not count.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p_values.len()).filter(|&at| !p_values[at].is_nan()).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let m = order.len() as f64;
    let mut adjusted = vec![f64::NAN; p_values.len()];
    let mut smallest = f64::INFINITY;
    for (rank, &at) in order.iter().enumerate().rev() {
        smallest = smallest.min(p_values[at] * (m / (rank + 1) as f64));
        adjusted[at] = smallest.clamp(0.0, 1.0);
    }
    adjusted
}

/// pdex's fold change `log2(expm1(mean_x) / expm1(mean_y))` of means of log1p values: 0 when both are 0, ±∞
/// when one is. (How pdex sums its means, in the file's float32 or in f64, is for the DE pass to pin against
/// cell-eval's outputs; this is the formula on given means.)
pub fn log2_fold_change(mean_x: f64, mean_y: f64) -> f64 {
    let (x, y) = (libm::expm1(mean_x), libm::expm1(mean_y));
    if x == 0.0 && y == 0.0 {
        return 0.0;
    }
    libm::log2(x / y)
}

/// A gene's sufficient statistics in a group of cells, from one pass over the cells (the pseudobulk's): the
/// number of cells and the means of the values and of their squares.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    pub cells: usize,
    pub mean: f64,
    pub mean_of_squares: f64,
}

impl Moments {
    /// Of the values of every cell, summed in order in f64.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Moments {
        let (mut cells, mut sum, mut sum_of_squares) = (0usize, 0.0f64, 0.0f64);
        for value in values {
            cells += 1;
            sum += value;
            sum_of_squares += value * value;
        }
        Moments { cells, mean: sum / cells as f64, mean_of_squares: sum_of_squares / cells as f64 }
    }

    /// scanpy's variance (`_get_mean_var`): `(mean(x²) − mean(x)²) · n / (n − 1)`.
    pub fn variance(&self) -> f64 {
        let n = self.cells as f64;
        (self.mean_of_squares - self.mean * self.mean) * (n / (n - 1.0))
    }
}

/// scanpy `rank_genes_groups(method="t-test")`'s score of a group against the reference: Welch's
/// `t = (m_g − m_r) / √(v_g/n_g + v_r/n_r)`, variances with ddof 1; an undefined score (no variance, one cell)
/// is 0, as scanpy sets it.
pub fn welch_t(group: &Moments, reference: &Moments) -> f64 {
    let t = (group.mean - reference.mean)
        / (group.variance() / group.cells as f64 + reference.variance() / reference.cells as f64).sqrt();
    if t.is_nan() {
        0.0
    } else {
        t
    }
}

/// The first `k` genes by |t| descending (scanpy's `rankby_abs=True`), equal |t| in gene order (scanpy's order
/// among ties is numpy's unstable sort, not reproducible).
pub fn top_by_abs_t(t: &[f64], k: usize) -> Vec<usize> {
    let mut genes: Vec<usize> = (0..t.len()).collect();
    genes.sort_by(|&a, &b| t[b].abs().total_cmp(&t[a].abs()).then(a.cmp(&b)));
    genes.truncate(k);
    genes
}

/// GEARS' non-dropout top `k` (the genes Systema's `*_20de` use): the first `k` of the |t| ranking among the
/// genes expressed in the condition (`mean_group ≠ 0`) or unexpressed in both (`mean_group = mean_control = 0`).
pub fn top_non_dropout(t: &[f64], mean_group: &[f64], mean_control: &[f64], k: usize) -> Vec<usize> {
    non_dropout_of(&top_by_abs_t(t, t.len()), mean_group, mean_control, k)
}

/// The first `k` genes of a ranking that GEARS counts as non-dropouts (`get_dropout_non_zero_genes`): expressed
/// in the condition, or in neither it nor the control.
fn non_dropout_of(ranking: &[usize], mean_group: &[f64], mean_control: &[f64], k: usize) -> Vec<usize> {
    ranking.iter().copied().filter(|&gene| mean_group[gene] != 0.0 || mean_control[gene] == 0.0).take(k).collect()
}

/// How many DE genes GEARS' `*_de` and Systema's `*_20de` metrics use.
pub const GEARS_DE_GENES: usize = 20;

/// The genes GEARS and Systema score each condition on, ranked from the data's cells against the control
/// cells by Welch's t (from the pseudobulk pass's moments, no second read): per condition position of the
/// data, GEARS' top [`GEARS_DE_GENES`] by |t| and its non-dropout top 20 (Systema's); empty for the control.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeGenes {
    pub top: Vec<Vec<usize>>,
    pub non_dropout: Vec<Vec<usize>>,
}

impl DeGenes {
    /// From a pseudobulk of cells; `None` without a control condition.
    pub fn from_cells(pseudobulk: &crate::pseudobulk::Pseudobulk) -> Option<DeGenes> {
        let matrix = &pseudobulk.matrix;
        let control = matrix.condition_position(&crate::conditions::Condition::Control)?;
        let n_genes = matrix.n_genes();
        let control_moments: Vec<Moments> = (0..n_genes).map(|gene| pseudobulk.moments(control, gene)).collect();
        let mean_control = matrix.column(control);
        let (mut top, mut non_dropout) = (Vec::new(), Vec::new());
        for condition in 0..matrix.n_conditions() {
            if condition == control {
                top.push(Vec::new());
                non_dropout.push(Vec::new());
                continue;
            }
            let t: Vec<f64> = (0..n_genes)
                .map(|gene| welch_t(&pseudobulk.moments(condition, gene), &control_moments[gene]))
                .collect();
            let ranking = top_by_abs_t(&t, n_genes);
            non_dropout.push(non_dropout_of(&ranking, matrix.column(condition), mean_control, GEARS_DE_GENES));
            top.push(ranking.into_iter().take(GEARS_DE_GENES).collect());
        }
        Some(DeGenes { top, non_dropout })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(values: &[f64]) -> SortedValues {
        SortedValues::new(values).unwrap()
    }

    #[test]
    fn runs_put_the_zeros_between_the_negative_and_positive_values() {
        let values = sorted(&[2.0, 0.0, -1.0, 2.0, 0.0, -1.0, 3.0, -0.0]);
        assert_eq!(values.runs().collect::<Vec<_>>(), vec![(-1.0, 2), (0.0, 3), (2.0, 2), (3.0, 1)]);
        assert_eq!(sorted(&[1.0, 1.0]).runs().collect::<Vec<_>>(), vec![(1.0, 2)]);
        assert_eq!(
            SortedValues::from_sparse(&[1.5, 0.0], 4).unwrap().runs().collect::<Vec<_>>(),
            vec![(0.0, 3), (1.5, 1)]
        );
        assert!(SortedValues::new(&[1.0, f64::NAN]).is_none());
    }

    #[test]
    fn a_hand_counted_case() {
        // x = [1, 2, 3], y = [2, 4]: ranks 1, 2.5, 4 | 2.5, 5; R1 = 7.5, U1 = 1.5, U2 = 4.5.
        let result = mann_whitney(&sorted(&[1.0, 2.0, 3.0]), &sorted(&[2.0, 4.0])).unwrap();
        assert_eq!(result.statistic, 1.5);
        // mu = 3, tie term 6, s = sqrt(6/12 · (6 − 6/20)) = sqrt(2.85); z = (4.5 − 3 − 0.5)/s.
        let z: f64 = 1.0 / 2.85f64.sqrt();
        let expected = 2.0 * 0.5 * libm::erfc(z / std::f64::consts::SQRT_2);
        assert!((result.p_value - expected).abs() < 1e-15, "{} vs {expected}", result.p_value);
        assert!(mann_whitney(&sorted(&[]), &sorted(&[1.0])).is_none());
    }

    #[test]
    fn fdr_is_monotone_in_the_p_values_and_at_most_one() {
        let fdr = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.2, f64::NAN]);
        assert_eq!(fdr[0], 0.04);
        assert_eq!(fdr[1], 0.04 * (4.0 / 3.0));
        assert_eq!(fdr[2], 0.04 * (4.0 / 3.0));
        assert_eq!(fdr[3], 0.2);
        assert!(fdr[4].is_nan());
        assert_eq!(log2_fold_change(0.0, 0.0), 0.0);
        assert_eq!(log2_fold_change(0.5, 0.0), f64::INFINITY);
        assert_eq!(log2_fold_change(0.0, 0.5), f64::NEG_INFINITY);
    }
}
