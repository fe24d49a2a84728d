//! The metrics that compare a method's points with one another: cell-eval's discrimination scores (PDS),
//! PerturBench's rank metrics and Systema's centroid accuracy. Each needs the distance of every prediction
//! to every observation of the points scored together, O(points² × genes): the dot products come from one
//! matrix product per kind (`‖a − b‖² = ‖a‖² + ‖b‖² − 2a·b`, in f64), only the L1 distances are summed
//! gene by gene. Identical predictions (the `mean` and `no_change` baselines predict one vector for every
//! perturbation) are computed once, so that their distances, and so their ties, are exactly equal.
//!
//! Ties count half in ranks (cell-eval's `argsort` and PerturBench's shuffle break them arbitrarily).

use crate::expression::ExpressionMatrix;
use ndarray::{Array2, ArrayView2};
use std::collections::HashMap;

/// One method's points of one split, scored together.
pub struct Group<'a> {
    /// Per point, the prediction over all the data's genes.
    pub predicted: Vec<&'a [f64]>,
    /// Per point, the data's position of the observed condition.
    pub observed: Vec<usize>,
    /// Per point, the data's gene named exactly like the point's label (cell-eval leaves it out of PDS).
    pub dropped_gene: Vec<Option<usize>>,
    /// The prediction's own control (the observed control when it has none).
    pub own_control: &'a [f64],
    /// The genes every point predicts (the data's indices, in order).
    pub genes: &'a [usize],
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

/// Rows `rows` of a vector function over `genes`, as a matrix.
fn matrix(rows: usize, genes: &[usize], value: impl Fn(usize, usize) -> f64) -> Array2<f64> {
    Array2::from_shape_fn((rows, genes.len()), |(row, at)| value(row, genes[at]))
}

fn dots(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    a.dot(&b.t())
}

fn squared_norms(a: ArrayView2<'_, f64>) -> Vec<f64> {
    a.rows().into_iter().map(|row| row.iter().map(|v| v * v).sum()).collect()
}

/// `Σ|a − b|`, with four partial sums (vectorisable; the order differs from scipy's, which only ranks see).
fn l1(a: &[f64], b: &[f64]) -> f64 {
    let mut partial = [0.0f64; 4];
    let (chunks_a, chunks_b) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = chunks_a.remainder().iter().zip(chunks_b.remainder()).map(|(x, y)| (x - y).abs()).sum();
    for (x, y) in chunks_a.zip(chunks_b) {
        for lane in 0..4 {
            partial[lane] += (x[lane] - y[lane]).abs();
        }
    }
    partial.iter().sum::<f64>() + tail
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

/// Each point's first identical prediction (by value over the group's genes).
fn first_identical(group: &Group<'_>) -> Vec<usize> {
    let mut by_hash: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut first = Vec::with_capacity(group.predicted.len());
    for (point, predicted) in group.predicted.iter().enumerate() {
        let hash = group
            .genes
            .iter()
            .fold(0xcbf29ce484222325u64, |hash, &gene| (hash ^ predicted[gene].to_bits()).wrapping_mul(0x100000001b3));
        let candidates = by_hash.entry(hash).or_default();
        let same = candidates.iter().copied().find(|&other| {
            group.genes.iter().all(|&gene| group.predicted[other][gene].to_bits() == predicted[gene].to_bits())
        });
        match same {
            Some(other) => first.push(other),
            None => {
                candidates.push(point);
                first.push(point);
            }
        }
    }
    first
}

/// Scores a group. `ground_truth` are the data's positions of every non-control condition (Systema's
/// centroids); every point's observed condition is among them.
pub fn score_group(
    data: &ExpressionMatrix,
    control: &[f64],
    ground_truth: &[usize],
    group: &Group<'_>,
) -> PairwiseScores {
    let n = group.predicted.len();
    let genes = group.genes;
    let n_genes = genes.len() as f64;
    let first = first_identical(group);
    let unique: Vec<usize> = (0..n).filter(|&point| first[point] == point).collect();
    let slot: HashMap<usize, usize> = unique.iter().enumerate().map(|(at, &point)| (point, at)).collect();
    let unique_of = |point: usize| slot[&first[point]];
    let own = group.own_control;
    let observed = data.by_condition();

    // Raw profiles (PerturBench's RMSE, Systema's centroids).
    let predicted = matrix(unique.len(), genes, |row, gene| group.predicted[unique[row]][gene]);
    let truth = matrix(ground_truth.len(), genes, |row, gene| observed[[ground_truth[row], gene]]);
    let raw_dots = dots(&predicted, &truth);
    let (predicted_norms, truth_norms) = (squared_norms(predicted.view()), squared_norms(truth.view()));
    let truth_position: HashMap<usize, usize> =
        ground_truth.iter().enumerate().map(|(at, &position)| (position, at)).collect();
    let truth_of = |point: usize| truth_position[&group.observed[point]];
    let squared_distance = |u: usize, t: usize| predicted_norms[u] + truth_norms[t] - 2.0 * raw_dots[[u, t]];

    // Effects in float32 (cell-eval), and log2 fold changes (PerturBench), of predictions and observations.
    let effects = matrix(unique.len(), genes, |row, gene| f32_delta(group.predicted[unique[row]][gene], own[gene]));
    let real_effects = matrix(n, genes, |row, gene| f32_delta(observed[[group.observed[row], gene]], control[gene]));
    let effect_dots = dots(&effects, &real_effects);
    let (effect_norms, real_effect_norms) = (squared_norms(effects.view()), squared_norms(real_effects.view()));
    let lfc = |value: f64, reference: f64| (value + 0.1).log2() - (reference + 0.1).log2();
    let fold_changes = matrix(unique.len(), genes, |row, gene| lfc(group.predicted[unique[row]][gene], own[gene]));
    let real_fold_changes = matrix(n, genes, |row, gene| lfc(observed[[group.observed[row], gene]], control[gene]));
    let fold_change_dots = dots(&fold_changes, &real_fold_changes);
    let (fold_change_norms, real_fold_change_norms) =
        (squared_norms(fold_changes.view()), squared_norms(real_fold_changes.view()));
    let l1_distances = Array2::from_shape_fn((unique.len(), n), |(u, q)| {
        l1(effects.row(u).as_slice().unwrap_or(&[]), real_effects.row(q).as_slice().unwrap_or(&[]))
    });
    let gene_at: HashMap<usize, usize> = genes.iter().enumerate().map(|(at, &gene)| (gene, at)).collect();

    let mut scores = PairwiseScores::default();
    for p in 0..n {
        let u = unique_of(p);
        // cell-eval's PDS: distances of this prediction's effect to every real effect, the target gene left out.
        let dropped = group.dropped_gene[p].and_then(|gene| gene_at.get(&gene).copied());
        let (mut l1s, mut l2s, mut cosines) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for q in 0..n {
            let (e, r) = dropped.map_or((0.0, 0.0), |at| (effects[[u, at]], real_effects[[q, at]]));
            let dot = effect_dots[[u, q]] - e * r;
            let (ee, rr) = (effect_norms[u] - e * e, real_effect_norms[q] - r * r);
            l1s.push(l1_distances[[u, q]] - (e - r).abs());
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
        let q = p;
        let rank = |value: &dyn Fn(usize) -> f64| -> Option<f64> {
            (n > 1).then(|| rank_ascending((0..n).map(|other| (other == q, value(other))), value(q)) / (n - 1) as f64)
        };
        let t = truth_of(q);
        scores.rank_rmse.push(rank(&|other| (squared_distance(unique_of(other), t).max(0.0) / n_genes).sqrt()));
        let similarity = |other: usize| {
            let u = unique_of(other);
            let norms = fold_change_norms[u] * real_fold_change_norms[q];
            // Descending similarity is ascending negated similarity; a zero vector has similarity 0.
            -(if norms > 0.0 { fold_change_dots[[u, q]] / norms.sqrt() } else { 0.0 })
        };
        scores.rank_cosine_logfc.push(rank(&similarity));

        // Systema: is this prediction closer to its own observation than to the other conditions'?
        let own_distance = squared_distance(u, t);
        let farther = (0..ground_truth.len()).filter(|&other| other != t && squared_distance(u, other) > own_distance);
        scores
            .centroid_accuracy
            .push((ground_truth.len() > 1).then(|| farther.count() as f64 / (ground_truth.len() - 1) as f64));
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conditions::Condition;

    fn data() -> ExpressionMatrix {
        let single = |gene: &str| Condition::Single(gene.into());
        // Genes A, B, C; conditions ctrl, A, B, C (each knocks its gene down).
        ExpressionMatrix::new(
            vec!["A".into(), "B".into(), "C".into()],
            vec![Condition::Control, single("A"), single("B"), single("C")],
            vec![1.0, 1.0, 1.0, 0.0, 1.2, 1.0, 1.0, 0.0, 1.1, 1.3, 1.0, 0.0],
        )
    }

    #[test]
    fn a_perfect_prediction_ranks_first_and_identical_ones_tie() {
        let data = data();
        let control = data.control().unwrap().to_vec();
        let genes = [0, 1, 2];
        let (a, b, c) = (data.column(1), data.column(2), data.column(3));
        let perfect = Group {
            predicted: vec![a, b, c],
            observed: vec![1, 2, 3],
            dropped_gene: vec![Some(0), Some(1), Some(2)],
            own_control: &control,
            genes: &genes,
        };
        let scores = score_group(&data, &control, &[1, 2, 3], &perfect);
        assert_eq!(scores.discrimination_l1, [Some(1.0); 3]);
        assert_eq!(scores.rank_rmse, [Some(0.0); 3]);
        assert_eq!(scores.centroid_accuracy, [Some(1.0); 3]);
        // One vector for every perturbation (the mean baseline): every rank ties with all the others.
        let same = Group { predicted: vec![a, a, a], ..perfect };
        let scores = score_group(&data, &control, &[1, 2, 3], &same);
        assert_eq!(scores.rank_rmse, [Some(0.5); 3]);
        assert_eq!(scores.rank_cosine_logfc, [Some(0.5); 3]);
        // The prediction A is exactly condition A's profile: farther from B and C than from A only for A.
        assert_eq!(scores.centroid_accuracy, [Some(1.0), Some(0.0), Some(0.0)]);
    }

    #[test]
    fn the_target_gene_is_left_out_of_the_discrimination_distances() {
        let single = |gene: &str| Condition::Single(gene.into());
        // Real effects: A (−1, 0), B (0, 0.3).
        let data = ExpressionMatrix::new(
            vec!["A".into(), "B".into()],
            vec![Condition::Control, single("A"), single("B")],
            vec![1.0, 1.0, 0.0, 1.0, 1.0, 1.3],
        );
        let control = data.control().unwrap().to_vec();
        let genes = [0, 1];
        // A's prediction has effect (−1, 0.3): with gene A, L1 0.3 to A and 1.0 to B (first); without it,
        // 0.3 to A and 0 to B (second of 2: score 1 − 1/2).
        let pa = [0.0, 1.3];
        let group = Group {
            predicted: vec![&pa, data.column(2)],
            observed: vec![1, 2],
            dropped_gene: vec![Some(0), Some(1)],
            own_control: &control,
            genes: &genes,
        };
        let dropped = score_group(&data, &control, &[1, 2], &group);
        assert_eq!(dropped.discrimination_l1, [Some(0.5), Some(1.0)]);
        assert_eq!(dropped.discrimination_l2, [Some(0.5), Some(1.0)]);
        // A label that is not a gene name (`A+ctrl`) leaves every gene in.
        let kept = score_group(&data, &control, &[1, 2], &Group { dropped_gene: vec![None, None], ..group });
        assert_eq!(kept.discrimination_l1, [Some(1.0), Some(1.0)]);
    }

    #[test]
    fn l1_with_partial_sums_adds_every_gene() {
        let a: Vec<f64> = (0..11).map(|i| i as f64).collect();
        let b = vec![0.5; 11];
        let expected: f64 = a.iter().map(|x| (x - 0.5f64).abs()).sum();
        assert_eq!(l1(&a, &b), expected);
    }
}
