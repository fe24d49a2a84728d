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
    /// `log2(x + 0.1)` of each point's prediction and of the own control.
    pub log_predicted: Vec<&'a [f64]>,
    pub log_own: &'a [f64],
    /// Per point, its centroid accuracy when already known (the same prediction under another split).
    pub known_centroid: Vec<Option<Option<f64>>>,
}

/// The observation side of a group: the observed profiles of its points, their float32 effects and log2 fold
/// changes, and their squared norms. The same for every method of a split that is scored on the same points
/// over the same genes (kept by the caller).
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
        let profiles_of = data.by_condition();
        let n = observed.len();
        let profiles = matrix(n, genes, |row, gene| profiles_of[[observed[row], gene]]);
        let effects = matrix(n, genes, |row, gene| f32_delta(profiles_of[[observed[row], gene]], control[gene]));
        let fold_changes = matrix(n, genes, |row, gene| log_observed[[observed[row], gene]] - log_control[gene]);
        Observations {
            observed: observed.to_vec(),
            genes: genes.to_vec(),
            profile_norms: squared_norms(profiles.view()),
            profiles,
            effect_norms: squared_norms(effects.view()),
            effects_f32: effects.mapv(|v| v as f32),
            effects,
            fold_change_norms: squared_norms(fold_changes.view()),
            fold_changes,
        }
    }

    /// Whether it is of these points over these genes.
    pub fn covers(&self, observed: &[usize], genes: &[usize]) -> bool {
        self.observed == observed && self.genes == genes
    }
}

/// Every non-control observed profile over a gene set, with squared norms: Systema's centroids, the same for
/// every group over the same genes (kept by the caller).
pub struct Truth {
    genes: Vec<usize>,
    matrix: Array2<f64>,
    norms: Vec<f64>,
    position: HashMap<usize, usize>,
}

impl Truth {
    /// `ground_truth` are the data's positions of every non-control condition.
    pub fn new(data: &ExpressionMatrix, ground_truth: &[usize], genes: &[usize]) -> Truth {
        let observed = data.by_condition();
        let matrix = matrix(ground_truth.len(), genes, |row, gene| observed[[ground_truth[row], gene]]);
        let norms = squared_norms(matrix.view());
        let position = ground_truth.iter().enumerate().map(|(at, &position)| (position, at)).collect();
        Truth { genes: genes.to_vec(), matrix, norms, position }
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

/// Rows `rows` of a vector function over `genes`, as a matrix.
fn matrix(rows: usize, genes: &[usize], value: impl Fn(usize, usize) -> f64) -> Array2<f64> {
    Array2::from_shape_fn((rows, genes.len()), |(row, at)| value(row, genes[at]))
}

/// `a·bᵀ`, rows against rows, by faer's matrix product (several times faster than ndarray's here).
fn dots(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    fn view(m: &Array2<f64>) -> faer::MatRef<'_, f64> {
        faer::MatRef::from_row_major_slice(m.as_slice().expect("built in standard layout"), m.nrows(), m.ncols())
    }
    let product = crate::linalg::product(view(a), view(b).transpose());
    Array2::from_shape_fn((a.nrows(), b.nrows()), |(i, j)| product[(i, j)])
}

fn squared_norms(a: ArrayView2<'_, f64>) -> Vec<f64> {
    a.rows().into_iter().map(|row| row.iter().map(|v| v * v).sum()).collect()
}

/// `Σ|a − b|` of float32 values (cell-eval's effects are float32): eight float32 partial sums over blocks
/// of 512 genes (vectorisable), each block added to an f64 total. Only ranks see the last bits.
fn l1(a: &[f32], b: &[f32]) -> f64 {
    let mut total = 0.0f64;
    for (block_a, block_b) in a.chunks(512).zip(b.chunks(512)) {
        let mut partial = [0.0f32; 8];
        let (chunks_a, chunks_b) = (block_a.chunks_exact(8), block_b.chunks_exact(8));
        let tail: f32 = chunks_a.remainder().iter().zip(chunks_b.remainder()).map(|(x, y)| (x - y).abs()).sum();
        for (x, y) in chunks_a.zip(chunks_b) {
            for lane in 0..8 {
                partial[lane] += (x[lane] - y[lane]).abs();
            }
        }
        total += partial.iter().map(|&v| v as f64).sum::<f64>() + tail as f64;
    }
    total
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
pub fn score_group(truth: &Truth, real: &Observations, group: &Group<'_>) -> PairwiseScores {
    let n = group.predicted.len();
    let genes = group.genes;
    let n_genes = genes.len() as f64;
    let first = first_identical(group);
    let unique: Vec<usize> = (0..n).filter(|&point| first[point] == point).collect();
    let slot: HashMap<usize, usize> = unique.iter().enumerate().map(|(at, &point)| (point, at)).collect();
    let unique_of = |point: usize| slot[&first[point]];
    let own = group.own_control;

    // Raw profiles: PerturBench's RMSE against the points' observations, Systema's centroids against every
    // condition (only for predictions whose centroid accuracy is not known yet).
    let predicted = matrix(unique.len(), genes, |row, gene| group.predicted[unique[row]][gene]);
    let predicted_norms = squared_norms(predicted.view());
    let (observations, observation_norms) = (&real.profiles, &real.profile_norms);
    let raw_dots = dots(&predicted, observations);
    let squared_distance = |u: usize, q: usize| predicted_norms[u] + observation_norms[q] - 2.0 * raw_dots[[u, q]];
    let needs_centroid: Vec<usize> =
        (0..unique.len()).filter(|&u| (0..n).any(|p| unique_of(p) == u && group.known_centroid[p].is_none())).collect();
    let centroid_row: HashMap<usize, usize> = needs_centroid.iter().enumerate().map(|(at, &u)| (u, at)).collect();
    let needing =
        Array2::from_shape_fn((needs_centroid.len(), genes.len()), |(row, at)| predicted[[needs_centroid[row], at]]);
    let centroid_dots = dots(&needing, &truth.matrix);

    // Effects in float32 (cell-eval), and log2 fold changes (PerturBench), of predictions and observations.
    let effects = matrix(unique.len(), genes, |row, gene| f32_delta(group.predicted[unique[row]][gene], own[gene]));
    let (real_effects, real_effect_norms) = (&real.effects, &real.effect_norms);
    let effect_dots = dots(&effects, real_effects);
    let effect_norms = squared_norms(effects.view());
    let fold_changes =
        matrix(unique.len(), genes, |row, gene| group.log_predicted[unique[row]][gene] - group.log_own[gene]);
    let (real_fold_changes, real_fold_change_norms) = (&real.fold_changes, &real.fold_change_norms);
    let fold_change_dots = dots(&fold_changes, real_fold_changes);
    let fold_change_norms = squared_norms(fold_changes.view());
    let (effects_f32, real_effects_f32) = (effects.mapv(|v| v as f32), &real.effects_f32);
    let l1_distances = Array2::from_shape_fn((unique.len(), n), |(u, q)| {
        l1(effects_f32.row(u).as_slice().unwrap_or(&[]), real_effects_f32.row(q).as_slice().unwrap_or(&[]))
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
        scores.rank_rmse.push(rank(&|other| (squared_distance(unique_of(other), q).max(0.0) / n_genes).sqrt()));
        let similarity = |other: usize| {
            let u = unique_of(other);
            let norms = fold_change_norms[u] * real_fold_change_norms[q];
            // Descending similarity is ascending negated similarity; a zero vector has similarity 0.
            -(if norms > 0.0 { fold_change_dots[[u, q]] / norms.sqrt() } else { 0.0 })
        };
        scores.rank_cosine_logfc.push(rank(&similarity));

        // Systema: is this prediction closer to its own observation than to the other conditions'?
        let centroid = group.known_centroid[p].unwrap_or_else(|| {
            let row = centroid_row[&u];
            let distance = |t: usize| predicted_norms[u] + truth.norms[t] - 2.0 * centroid_dots[[row, t]];
            let own = truth.position[&group.observed[p]];
            let own_distance = distance(own);
            let total = truth.norms.len();
            let farther = (0..total).filter(|&other| other != own && distance(other) > own_distance).count();
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

    /// Scores predictions of the data's conditions at `observed`, with the observed control as their own.
    fn scores(
        data: &ExpressionMatrix,
        predicted: Vec<&[f64]>,
        observed: Vec<usize>,
        dropped_gene: Vec<Option<usize>>,
    ) -> PairwiseScores {
        let control = data.control().unwrap().to_vec();
        let genes: Vec<usize> = (0..data.n_genes()).collect();
        let log = |values: &[f64]| values.iter().map(|v| (v + 0.1).log2()).collect::<Vec<f64>>();
        let log_predicted: Vec<Vec<f64>> = predicted.iter().map(|p| log(p)).collect();
        let log_control = log(&control);
        let log_observed = data.by_condition().mapv(|v| (v + 0.1).log2());
        let ground_truth: Vec<usize> = (1..data.n_conditions()).collect();
        let n = predicted.len();
        let group = Group {
            predicted,
            observed,
            dropped_gene,
            own_control: &control,
            genes: &genes,
            log_predicted: log_predicted.iter().map(Vec::as_slice).collect(),
            log_own: &log_control,
            known_centroid: vec![None; n],
        };
        let real = Observations::new(data, &control, log_observed.view(), &log_control, &group.observed, &genes);
        score_group(&Truth::new(data, &ground_truth, &genes), &real, &group)
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
        assert_eq!(l1(&a, &b), expected);
    }
}
