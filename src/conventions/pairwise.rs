//! The metrics that compare a method's points with one another: cell-eval's discrimination scores (PDS),
//! PerturBench's rank metrics and Systema's centroid accuracy. Each needs the distance of every prediction
//! to every observation of the points scored together, O(points² × genes): the dot products come from one
//! matrix product per kind (`‖a − b‖² = ‖a‖² + ‖b‖² − 2a·b`, in f64), only the L1 distances are summed
//! gene by gene. That part, [`Distances`], is computed once for distinct predictions against a set of
//! observations and can serve several groups: a method whose predictions are the same under every split is
//! measured once over all its points and each split's group ranks from it ([`score_group`]). Identical
//! predictions (the `mean` and `no_change` baselines predict one vector for every perturbation) are one row,
//! so that their distances, and so their ties, are exactly equal.
//!
//! Ties count half in ranks (cell-eval's `argsort` and PerturBench's shuffle break them arbitrarily).

use super::choices::sums;
use crate::expression::ExpressionMatrix;
use ndarray::{Array2, ArrayView2, Axis, CowArray, Ix2};
use std::collections::HashMap;

/// Distinct predictions of one method, over all the data's genes, as [`Distances::new`] takes them.
pub struct Predicted<'a> {
    pub vectors: Vec<&'a [f64]>,
    /// `log2(x + 0.1)` of each vector.
    pub logs: Vec<&'a [f64]>,
    /// The prediction's own control (the observed control when it has none), and its `log2(x + 0.1)`.
    pub own_control: &'a [f64],
    pub log_own: &'a [f64],
    /// The genes every vector predicts (the data's indices, in order).
    pub genes: &'a [usize],
    /// Per vector, whether Systema's centroid accuracy needs it (its distances to every condition).
    pub needs_centroid: Vec<bool>,
}

/// One method's points of one split, scored together: each point's row of the [`Distances`] and column of
/// the [`Observations`] they were measured against.
pub struct Group {
    pub row: Vec<usize>,
    pub column: Vec<usize>,
    /// Per point, the data's position of the observed condition.
    pub observed: Vec<usize>,
    /// Per point, the data's gene named exactly like the point's label (cell-eval leaves it out of PDS).
    pub dropped_gene: Vec<Option<usize>>,
}

/// The observation side: the observed profiles of some points, their float32 effects and log2 fold changes,
/// and their squared norms. The same for every method scored on the same points over the same genes (kept by
/// the caller).
pub struct Observations {
    observed: Vec<usize>,
    genes: Vec<usize>,
    profiles: Array2<f64>,
    profile_norms: Vec<f64>,
    effects: Array2<f64>,
    effects_f32: Array2<f32>,
    effect_norms: Vec<f64>,
    fold_changes: Array2<f64>,
    fold_change_norms: Vec<f64>,
}

impl Observations {
    /// For the points observed at `observed` (the data's positions), over `genes`; `log_observed` and
    /// `log_control` are log2(x + 0.1) of every observed profile and of the control.
    pub fn new(
        data: &ExpressionMatrix,
        control: &[f64],
        log_observed: ArrayView2<'_, f64>,
        log_control: &[f64],
        observed: &[usize],
        genes: &[usize],
    ) -> Observations {
        let profiles_of = || observed.iter().map(|&position| data.column(position));
        let profiles = rows(profiles_of(), genes, control, |value, _| value);
        let effects = rows(profiles_of(), genes, control, f32_delta);
        let log_profiles = observed.iter().map(|&position| log_observed.row(position).to_slice().unwrap_or(&[]));
        let fold_changes = rows(log_profiles, genes, log_control, |value, reference| value - reference);
        Observations {
            observed: observed.to_vec(),
            genes: genes.to_vec(),
            profile_norms: squared_norms(&profiles),
            profiles,
            effect_norms: squared_norms(&effects),
            effects_f32: effects.mapv(|v| v as f32),
            effects,
            fold_change_norms: squared_norms(&fold_changes),
            fold_changes,
        }
    }

    /// Whether it is of these points over these genes.
    pub fn covers(&self, observed: &[usize], genes: &[usize]) -> bool {
        self.observed == observed && self.genes == genes
    }

    /// Whether it has every one of these points, over these genes.
    pub fn contains(&self, observed: &[usize], genes: &[usize]) -> bool {
        self.genes == genes && observed.iter().all(|position| self.observed.contains(position))
    }

    /// The observations of some of its points (each among them), copied rather than computed again.
    pub fn select(&self, observed: &[usize]) -> Observations {
        let rows = self.columns(observed);
        let pick = |values: &[f64]| rows.iter().map(|&row| values[row]).collect::<Vec<f64>>();
        Observations {
            observed: observed.to_vec(),
            genes: self.genes.clone(),
            profiles: self.profiles.select(Axis(0), &rows),
            profile_norms: pick(&self.profile_norms),
            effects: self.effects.select(Axis(0), &rows),
            effects_f32: self.effects_f32.select(Axis(0), &rows),
            effect_norms: pick(&self.effect_norms),
            fold_changes: self.fold_changes.select(Axis(0), &rows),
            fold_change_norms: pick(&self.fold_change_norms),
        }
    }

    /// The column of each observed position (every one of them is among its points).
    pub fn columns(&self, observed: &[usize]) -> Vec<usize> {
        let column: HashMap<usize, usize> = self.observed.iter().enumerate().map(|(at, &p)| (p, at)).collect();
        observed.iter().map(|position| column[position]).collect()
    }
}

/// Every non-control observed profile over a gene set, with squared norms: Systema's centroids, the same for
/// every group over the same genes (kept by the caller). Over every gene, the data's own matrix (control row
/// included, never counted), not a copy.
pub struct Truth<'a> {
    genes: Vec<usize>,
    matrix: CowArray<'a, f64, Ix2>,
    /// Per matrix row, its squared norm.
    norms: Vec<f64>,
    /// The matrix rows of the non-control conditions.
    centroids: Vec<usize>,
    /// The matrix row of each non-control condition's data position.
    row_of: HashMap<usize, usize>,
}

impl<'a> Truth<'a> {
    /// `ground_truth` are the data's positions of every non-control condition.
    pub fn new(data: &'a ExpressionMatrix, ground_truth: &[usize], genes: &[usize]) -> Truth<'a> {
        let (matrix, centroids): (CowArray<'a, f64, Ix2>, Vec<usize>) = if genes.len() == data.n_genes() {
            (data.by_condition().into(), ground_truth.to_vec())
        } else {
            let profiles = ground_truth.iter().map(|&position| data.column(position));
            (rows(profiles, genes, data.column(0), |value, _| value).into(), (0..ground_truth.len()).collect())
        };
        let norms = matrix.rows().into_iter().map(|row| sum_of_squares(row.as_slice().unwrap_or(&[]))).collect();
        let row_of = ground_truth.iter().zip(&centroids).map(|(&position, &row)| (position, row)).collect();
        Truth { genes: genes.to_vec(), matrix, norms, centroids, row_of }
    }

    /// Whether it is over these genes.
    pub fn covers(&self, genes: &[usize]) -> bool {
        self.genes == genes
    }
}

/// Per point of a [`Group`], in its order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PairwiseScores {
    pub discrimination_l1: Vec<Option<f64>>,
    pub discrimination_l2: Vec<Option<f64>>,
    pub discrimination_cosine: Vec<Option<f64>>,
    pub rank_rmse: Vec<Option<f64>>,
    pub rank_cosine_logfc: Vec<Option<f64>>,
    pub centroid_accuracy: Vec<Option<f64>>,
}

fn f32_delta(a: f64, b: f64) -> f64 {
    (a as f32 - b as f32) as f64
}

/// One row per vector: `value(x[g], reference[g])` at each of `genes` (a whole row at a time, vectorised,
/// when `genes` is every gene).
fn rows<'v>(
    vectors: impl ExactSizeIterator<Item = &'v [f64]>,
    genes: &[usize],
    reference: &[f64],
    value: impl Fn(f64, f64) -> f64,
) -> Array2<f64> {
    let n = vectors.len();
    let mut out = Vec::with_capacity(n * genes.len());
    for vector in vectors {
        if genes.len() == vector.len() {
            out.extend(vector.iter().zip(reference).map(|(&x, &r)| value(x, r)));
        } else {
            out.extend(genes.iter().map(|&gene| value(vector[gene], reference[gene])));
        }
    }
    Array2::from_shape_vec((n, genes.len()), out).expect("one row of the genes per vector")
}

/// `a·bᵀ`, rows against rows: each a dot product in [`sums`]' four interleaved partial sums, an order the code
/// fixes (not the processor's vector width), so the page and the command line give the same bits.
fn dots(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Array2<f64> {
    let rows_b: Vec<&[f64]> = b.outer_iter().map(|row| row.to_slice().expect("built in standard layout")).collect();
    let mut out = Array2::zeros((a.nrows(), b.nrows()));
    for (row_a, mut products) in a.outer_iter().zip(out.outer_iter_mut()) {
        let row_a = row_a.to_slice().expect("built in standard layout");
        for (row_b, product) in rows_b.iter().zip(products.iter_mut()) {
            *product = sums(row_a, row_b, |x, y| [x * y])[0];
        }
    }
    out
}

/// `Σx²` in [`sums`]' four interleaved partial sums (vectorised).
fn sum_of_squares(values: &[f64]) -> f64 {
    sums(values, values, |x, _| [x * x])[0]
}

fn squared_norms(a: &Array2<f64>) -> Vec<f64> {
    a.rows().into_iter().map(|row| sum_of_squares(row.as_slice().unwrap_or(&[]))).collect()
}

/// Genes per block of the L1 distances: a block of every row stays in cache while all pairs use it.
const L1_BLOCK: usize = 512;

/// Partial sums per block of the L1 distances: enough independent additions to keep the adder busy.
const L1_LANES: usize = 32;

/// `Σ|a − b|` over one block of float32 values: [`L1_LANES`] float32 partial sums and the tail, widened to
/// f64.
#[inline(always)]
fn l1_block(a: &[f32], b: &[f32]) -> f64 {
    // Four accumulators of eight lanes (partial sum `8k + i` is lane `i` of accumulator `k`), so that they
    // stay in registers.
    let mut partial = [[0.0f32; 8]; L1_LANES / 8];
    let (chunks_a, chunks_b) = (a.chunks_exact(L1_LANES), b.chunks_exact(L1_LANES));
    let tail: f32 = chunks_a.remainder().iter().zip(chunks_b.remainder()).map(|(x, y)| (x - y).abs()).sum();
    for (x, y) in chunks_a.zip(chunks_b) {
        for (k, accumulator) in partial.iter_mut().enumerate() {
            let (x, y): (&[f32; 8], &[f32; 8]) = (
                x[8 * k..8 * k + 8].try_into().expect("eight lanes"),
                y[8 * k..8 * k + 8].try_into().expect("eight lanes"),
            );
            for lane in 0..8 {
                accumulator[lane] += (x[lane] - y[lane]).abs();
            }
        }
    }
    partial.iter().flatten().map(|&v| v as f64).sum::<f64>() + tail as f64
}

/// The L1 distances of every row of `a` against every row of `b`, block by block (see [`l1_distances`]).
struct L1Distances<'r> {
    a: Vec<&'r [f32]>,
    b: Vec<&'r [f32]>,
    n_genes: usize,
}

impl pulp::WithSimd for L1Distances<'_> {
    type Output = Vec<f64>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> Vec<f64> {
        let mut total = vec![0.0f64; self.a.len() * self.b.len()];
        for start in (0..self.n_genes).step_by(L1_BLOCK) {
            let end = (start + L1_BLOCK).min(self.n_genes);
            for (row_a, totals) in self.a.iter().zip(total.chunks_mut(self.b.len().max(1))) {
                let block_a = &row_a[start..end];
                for (row_b, sum) in self.b.iter().zip(totals.iter_mut()) {
                    *sum += l1_block(block_a, &row_b[start..end]);
                }
            }
        }
        total
    }
}

/// `Σ|a − b|` of every row of `a` against every row of `b`, float32 values (cell-eval's effects are float32):
/// per block of [`L1_BLOCK`] genes, [`L1_LANES`] float32 partial sums, each block added to an f64 total in gene
/// order. Blocks are taken for all pairs at once (cache), with the widest vectors the processor has (`pulp`
/// dispatches at run time; the sums are the same at every width). Only ranks see the last bits.
fn l1_distances(a: &Array2<f32>, b: &Array2<f32>) -> Array2<f64> {
    fn rows_of(m: &Array2<f32>) -> Vec<&[f32]> {
        m.outer_iter().map(|row| row.to_slice().expect("standard layout")).collect()
    }
    let (rows_a, rows_b) = (rows_of(a), rows_of(b));
    let total = pulp::Arch::new().dispatch(L1Distances { a: rows_a, b: rows_b, n_genes: a.ncols() });
    Array2::from_shape_vec((a.nrows(), b.nrows()), total).expect("one total per pair")
}

/// Rank of `own` among `others` (ascending: how many are smaller, ties half), `own` itself left out.
fn rank_ascending(values: impl Iterator<Item = (bool, f64)>, own: f64) -> f64 {
    let mut rank = 0.0;
    for (is_own, value) in values {
        if is_own {
            continue;
        }
        if value < own {
            rank += 1.0;
        } else if value == own {
            rank += 0.5;
        }
    }
    rank
}

/// Whether two vectors hold the same values, bit for bit.
pub fn identical(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Each vector's first identical one (by value over `genes`). Hashing a sample of the genes finds the
/// candidates; equality is checked on every gene.
pub fn first_identical(vectors: &[&[f64]], genes: &[usize]) -> Vec<usize> {
    let sample = &genes[..genes.len().min(256)];
    let mut by_hash: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut first = Vec::with_capacity(vectors.len());
    for (at, vector) in vectors.iter().enumerate() {
        let hash = sample
            .iter()
            .fold(0xcbf29ce484222325u64, |hash, &gene| (hash ^ vector[gene].to_bits()).wrapping_mul(0x100000001b3));
        let candidates = by_hash.entry(hash).or_default();
        let same = candidates
            .iter()
            .copied()
            .find(|&other| genes.iter().all(|&gene| vectors[other][gene].to_bits() == vector[gene].to_bits()));
        match same {
            Some(other) => first.push(other),
            None => {
                candidates.push(at);
                first.push(at);
            }
        }
    }
    first
}

/// Every distance the pairwise metrics rank, of distinct predictions (rows) against [`Observations`]
/// (columns), over the observations' genes.
pub struct Distances {
    predicted_norms: Vec<f64>,
    effect_norms: Vec<f64>,
    fold_change_norms: Vec<f64>,
    raw_dots: Array2<f64>,
    effect_dots: Array2<f64>,
    fold_change_dots: Array2<f64>,
    l1: Array2<f64>,
    /// Per row, its dot products with every row of the [`Truth`] matrix, when its centroid accuracy is needed.
    centroid_dots: Vec<Option<Vec<f64>>>,
    /// Each row's float32 effect at the genes some observation's label names (its PDS leaves that gene out).
    effect_at: HashMap<(usize, usize), f64>,
}

impl Distances {
    /// Measures `predicted` against `real` (over the same genes) and, where asked, against `truth`.
    pub fn new(truth: &Truth<'_>, real: &Observations, dropped_genes: &[usize], predicted: &Predicted<'_>) -> Self {
        let genes = predicted.genes;
        let own = predicted.own_control;
        let vectors = || predicted.vectors.iter().copied();
        // Two halves of about the same work, at once where there are two cores.
        let raw_and_fold_changes = || {
            // Raw profiles: PerturBench's RMSE against the observations, Systema's centroids against every
            // condition (only for the rows that need them).
            let profiles = rows(vectors(), genes, own, |value, _| value);
            let predicted_norms = squared_norms(&profiles);
            let needing: Vec<usize> =
                (0..predicted.vectors.len()).filter(|&row| predicted.needs_centroid[row]).collect();
            let mut centroid_dots = vec![None; predicted.vectors.len()];
            let every_row = needing.len() == predicted.vectors.len();
            let truth_rows = || real.observed.iter().map(|position| truth.row_of.get(position).copied()).collect();
            let truth_rows: Option<Vec<usize>> = (every_row && truth.genes == real.genes).then(truth_rows).flatten();
            let raw_dots = match truth_rows {
                // Every row against every condition: the observations are among those columns.
                Some(truth_rows) => {
                    let products = dots(profiles.view(), truth.matrix.view());
                    let raw = products.select(Axis(1), &truth_rows);
                    for (slot, dots) in centroid_dots.iter_mut().zip(products.outer_iter()) {
                        *slot = Some(dots.to_vec());
                    }
                    raw
                }
                None => {
                    if !needing.is_empty() {
                        let products = dots(profiles.select(Axis(0), &needing).view(), truth.matrix.view());
                        for (at, &row) in needing.iter().enumerate() {
                            centroid_dots[row] = Some(products.row(at).to_vec());
                        }
                    }
                    dots(profiles.view(), real.profiles.view())
                }
            };
            drop(profiles);
            // Log2 fold changes (PerturBench).
            let fold_changes =
                rows(predicted.logs.iter().copied(), genes, predicted.log_own, |value, reference| value - reference);
            let fold_change_dots = dots(fold_changes.view(), real.fold_changes.view());
            (predicted_norms, centroid_dots, raw_dots, fold_change_dots, squared_norms(&fold_changes))
        };
        // Effects in float32 (cell-eval).
        let effects = || {
            let effects = rows(vectors(), genes, own, f32_delta);
            let effect_dots = dots(effects.view(), real.effects.view());
            let mut effect_at = HashMap::new();
            for &gene in dropped_genes {
                if let Ok(at) = genes.binary_search(&gene) {
                    for row in 0..effects.nrows() {
                        effect_at.insert((row, gene), effects[[row, at]]);
                    }
                }
            }
            let l1 = l1_distances(&effects.mapv(|v| v as f32), &real.effects_f32);
            (squared_norms(&effects), effect_dots, effect_at, l1)
        };
        let ((predicted_norms, centroid_dots, raw_dots, fold_change_dots, fold_change_norms), effects) =
            crate::parallel::join(raw_and_fold_changes, effects);
        let (effect_norms, effect_dots, effect_at, l1) = effects;
        Distances {
            predicted_norms,
            effect_norms,
            fold_change_norms,
            raw_dots,
            effect_dots,
            fold_change_dots,
            l1,
            centroid_dots,
            effect_at,
        }
    }
}

/// Scores a group from its distances. Every point's observed condition is among the `truth`'s centroids.
pub fn score_group(truth: &Truth<'_>, real: &Observations, distances: &Distances, group: &Group) -> PairwiseScores {
    let n = group.row.len();
    let n_genes = real.genes.len() as f64;
    let d = distances;
    let mut scores = PairwiseScores::default();
    for p in 0..n {
        let u = group.row[p];
        // cell-eval's PDS: distances of this prediction's effect to every real effect, the target gene left out.
        // (`genes` are the data's indices in order.)
        let dropped = group.dropped_gene[p].and_then(|gene| real.genes.binary_search(&gene).ok().map(|at| (gene, at)));
        let (mut l1s, mut l2s, mut cosines) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for &q in &group.column {
            let (e, r) = dropped.map_or((0.0, 0.0), |(gene, at)| (d.effect_at[&(u, gene)], real.effects[[q, at]]));
            let dot = d.effect_dots[[u, q]] - e * r;
            let (ee, rr) = (d.effect_norms[u] - e * e, real.effect_norms[q] - r * r);
            l1s.push(d.l1[[u, q]] - (e - r).abs());
            l2s.push((ee + rr - 2.0 * dot).max(0.0).sqrt());
            cosines.push(if ee > 0.0 && rr > 0.0 { 1.0 - dot / (ee.sqrt() * rr.sqrt()) } else { 1.0 });
        }
        let discrimination = |distances: &[f64]| {
            let rank = rank_ascending(distances.iter().enumerate().map(|(q, &d)| (q == p, d)), distances[p]);
            Some(1.0 - rank / n as f64)
        };
        scores.discrimination_l1.push(discrimination(&l1s));
        scores.discrimination_l2.push(discrimination(&l2s));
        scores.discrimination_cosine.push(discrimination(&cosines));

        // PerturBench: this observation against every prediction of the group.
        let q = group.column[p];
        let rank = |value: &dyn Fn(usize) -> f64| -> Option<f64> {
            (n > 1).then(|| rank_ascending((0..n).map(|other| (other == p, value(other))), value(p)) / (n - 1) as f64)
        };
        let squared_distance = |u: usize| d.predicted_norms[u] + real.profile_norms[q] - 2.0 * d.raw_dots[[u, q]];
        scores.rank_rmse.push(rank(&|other| (squared_distance(group.row[other]).max(0.0) / n_genes).sqrt()));
        let similarity = |other: usize| {
            let u = group.row[other];
            let norms = d.fold_change_norms[u] * real.fold_change_norms[q];
            // Descending similarity is ascending negated similarity; a zero vector has similarity 0.
            -(if norms > 0.0 { d.fold_change_dots[[u, q]] / norms.sqrt() } else { 0.0 })
        };
        scores.rank_cosine_logfc.push(rank(&similarity));

        // Systema: is this prediction closer to its own observation than to the other conditions'?
        let centroid = d.centroid_dots[u].as_ref().and_then(|dots| {
            let distance = |t: usize| d.predicted_norms[u] + truth.norms[t] - 2.0 * dots[t];
            let own = truth.row_of[&group.observed[p]];
            let own_distance = distance(own);
            let total = truth.centroids.len();
            let farther =
                truth.centroids.iter().filter(|&&other| other != own && distance(other) > own_distance).count();
            (total > 1).then(|| farther as f64 / (total - 1) as f64)
        });
        scores.centroid_accuracy.push(centroid);
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conditions::Condition;
    use crate::conventions::choices::log2_shifted;

    /// Scores predictions of the data's conditions at `observed`, with the observed control as their own.
    fn scores(
        data: &ExpressionMatrix,
        predicted: Vec<&[f64]>,
        observed: Vec<usize>,
        dropped_gene: Vec<Option<usize>>,
    ) -> PairwiseScores {
        let control = data.control().unwrap().to_vec();
        let genes: Vec<usize> = (0..data.n_genes()).collect();
        let log = |values: &[f64]| values.iter().map(|&v| log2_shifted(v)).collect::<Vec<f64>>();
        let log_predicted: Vec<Vec<f64>> = predicted.iter().map(|p| log(p)).collect();
        let log_control = log(&control);
        let log_observed = data.by_condition().mapv(log2_shifted);
        let ground_truth: Vec<usize> = (1..data.n_conditions()).collect();
        let first = first_identical(&predicted, &genes);
        let distinct: Vec<usize> = (0..predicted.len()).filter(|&point| first[point] == point).collect();
        let row_of = |point: usize| distinct.iter().position(|&d| d == first[point]).unwrap();
        let log_predicted: Vec<&[f64]> = log_predicted.iter().map(Vec::as_slice).collect();
        let to_score = Predicted {
            vectors: distinct.iter().map(|&point| predicted[point]).collect(),
            logs: distinct.iter().map(|&point| log_predicted[point]).collect(),
            own_control: &control,
            log_own: &log_control,
            genes: &genes,
            needs_centroid: vec![true; distinct.len()],
        };
        let real = Observations::new(data, &control, log_observed.view(), &log_control, &observed, &genes);
        let truth = Truth::new(data, &ground_truth, &genes);
        let dropped: Vec<usize> = dropped_gene.iter().flatten().copied().collect();
        let distances = Distances::new(&truth, &real, &dropped, &to_score);
        let group = Group {
            row: (0..predicted.len()).map(row_of).collect(),
            column: real.columns(&observed),
            observed,
            dropped_gene,
        };
        score_group(&truth, &real, &distances, &group)
    }

    fn single(gene: &str) -> Condition {
        Condition::Single(gene.into())
    }

    #[test]
    fn a_perfect_prediction_ranks_first_and_identical_ones_tie() {
        // Genes A, B, C; conditions ctrl, A, B, C (each knocks its gene down).
        let data = ExpressionMatrix::new(
            vec!["A".into(), "B".into(), "C".into()],
            vec![Condition::Control, single("A"), single("B"), single("C")],
            vec![1.0, 1.0, 1.0, 0.0, 1.2, 1.0, 1.0, 0.0, 1.1, 1.3, 1.0, 0.0],
        );
        let (a, b, c) = (data.column(1), data.column(2), data.column(3));
        let dropped = vec![Some(0), Some(1), Some(2)];
        let perfect = scores(&data, vec![a, b, c], vec![1, 2, 3], dropped.clone());
        assert_eq!(perfect.discrimination_l1, [Some(1.0); 3]);
        assert_eq!(perfect.rank_rmse, [Some(0.0); 3]);
        assert_eq!(perfect.centroid_accuracy, [Some(1.0); 3]);
        // One vector for every perturbation (the mean baseline): every rank ties with all the others.
        let same = scores(&data, vec![a, a, a], vec![1, 2, 3], dropped);
        assert_eq!(same.rank_rmse, [Some(0.5); 3]);
        assert_eq!(same.rank_cosine_logfc, [Some(0.5); 3]);
        // The prediction is condition A's profile, at squared distance 0 from A, 2.45 from B and 2.73 from C:
        // for A both others are farther, for B only C, for C none (numpy gives the same).
        assert_eq!(same.centroid_accuracy, [Some(1.0), Some(0.5), Some(0.0)]);
    }

    #[test]
    fn the_target_gene_is_left_out_of_the_discrimination_distances() {
        // Real effects: A (−1, 0), B (0, 0.3).
        let data = ExpressionMatrix::new(
            vec!["A".into(), "B".into()],
            vec![Condition::Control, single("A"), single("B")],
            vec![1.0, 1.0, 0.0, 1.0, 1.0, 1.3],
        );
        // A's prediction has effect (−1, 0.3): with gene A, L1 0.3 to A and 1.0 to B (first); without it,
        // 0.3 to A and 0 to B (second of 2: score 1 − 1/2).
        let pa = [0.0, 1.3];
        let dropped = scores(&data, vec![&pa, data.column(2)], vec![1, 2], vec![Some(0), Some(1)]);
        assert_eq!(dropped.discrimination_l1, [Some(0.5), Some(1.0)]);
        assert_eq!(dropped.discrimination_l2, [Some(0.5), Some(1.0)]);
        // A label that is not a gene name (`A+ctrl`) leaves every gene in.
        let kept = scores(&data, vec![&pa, data.column(2)], vec![1, 2], vec![None, None]);
        assert_eq!(kept.discrimination_l1, [Some(1.0), Some(1.0)]);
    }

    #[test]
    fn l1_with_partial_sums_adds_every_gene() {
        let a: Vec<f32> = (0..1100).map(|i| (i % 7) as f32).collect();
        let b = vec![0.5f32; 1100];
        let expected: f64 = a.iter().map(|x| (x - 0.5f32).abs() as f64).sum();
        let rows = |values: &[f32]| Array2::from_shape_vec((1, values.len()), values.to_vec()).unwrap();
        assert_eq!(l1_distances(&rows(&a), &rows(&b))[[0, 0]], expected);
    }
}
