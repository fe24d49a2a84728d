//! cell-eval's differential-expression metrics (0.8.2, `metrics/_de.py` and `_types/_de.py`), from the DE
//! tables of the data's cells and of a prediction's cells, each against its own control cells ([`crate::de`]).
//!
//! cell-eval reads pdex's table as float32 (`p_value`, `fdr`, `log2_fold_change` and its absolute value are
//! cast before any threshold or sort). A gene is significant when `fdr < 0.05`; a perturbation's DEG list is its
//! significant genes by `|log2FC|` descending, ties in the file's gene order (polars' ordinal rank). The
//! metrics of one perturbation compare the data's list with the prediction's; `de_spearman_sig` compares the
//! numbers of significant genes over the perturbations scored together (one value, repeated on each of them).
//! Undefined values are left as cell-eval leaves them: `None` where it writes an empty field (no significant
//! gene in the data: direction, Spearman of fold changes, recall), NaN where it writes NaN (AUCs with one class
//! only, a Spearman correlation of fewer than two or of constant values), 0 for the overlaps.

use crate::de::pass::DeTable;
use crate::expression::ExpressionMatrix;
use serde::{Deserialize, Serialize};

/// cell-eval's significance threshold on the float32 fdr.
const FDR_THRESHOLD: f32 = 0.05;

/// One perturbation's DE as cell-eval reads it, over the data's genes.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionDe {
    /// Per data gene, the float32 fdr and fold change; `None` where the file lacks the gene.
    pub fdr: Vec<Option<f32>>,
    pub lfc: Vec<f32>,
    /// The significant genes (data gene indices) by |lfc| descending, ties in the file's gene order.
    pub significant: Vec<usize>,
}

/// A file's DE over the data's conditions and genes.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DeResults {
    /// Per condition position of the data: the file's DE of the same condition, when it has one.
    pub conditions: Vec<Option<ConditionDe>>,
}

impl DeResults {
    /// A file's DE table (with its pseudobulk's means, `own`) mapped onto the data's conditions and genes.
    pub fn new(own: &ExpressionMatrix, table: &DeTable, data: &ExpressionMatrix) -> DeResults {
        // The data's gene of each of the file's genes.
        let data_gene: Vec<Option<usize>> = own.genes().iter().map(|gene| data.gene_position(gene)).collect();
        let conditions = data
            .conditions()
            .iter()
            .map(|condition| {
                let position = own.condition_position(condition)?;
                table.conditions.get(position)?.as_ref()?;
                let (mut fdr, mut lfc) = (vec![None; data.n_genes()], vec![0f32; data.n_genes()]);
                let mut significant: Vec<(f32, usize, usize)> = Vec::new();
                for (own_gene, &gene) in data_gene.iter().enumerate() {
                    let (Some(gene), Some(row)) = (gene, table.row(own, position, own_gene)) else { continue };
                    let (q, change) = (row.fdr as f32, row.log2_fold_change as f32);
                    fdr[gene] = Some(q);
                    lfc[gene] = change;
                    if q < FDR_THRESHOLD {
                        significant.push((change.abs(), own_gene, gene));
                    }
                }
                significant.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                Some(ConditionDe { fdr, lfc, significant: significant.into_iter().map(|(_, _, gene)| gene).collect() })
            })
            .collect();
        DeResults { conditions }
    }
}

/// One perturbation's DE in the data, with a method's significant genes marked: what a volcano plot draws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Volcano {
    pub perturbation: String,
    /// The method whose significant genes are marked, when it has a DE of its own.
    pub method: Option<String>,
    pub genes: Vec<String>,
    /// Per gene of the data: the data's log2 fold change and fdr (float32 as cell-eval reads them).
    pub log2_fold_change: Vec<f32>,
    pub fdr: Vec<f32>,
    /// The data's DEG list (significant genes by |log2FC|) and the method's, as data gene indices.
    pub significant: Vec<usize>,
    pub predicted_significant: Vec<usize>,
}

impl Volcano {
    /// From the data's DE of the condition at `position` and the method's, when it has one.
    pub fn new(
        data: &ExpressionMatrix,
        position: usize,
        real: &ConditionDe,
        method: Option<(&str, &ConditionDe)>,
    ) -> Volcano {
        Volcano {
            perturbation: data.conditions()[position].name(),
            method: method.map(|(name, _)| name.to_string()),
            genes: data.genes().to_vec(),
            log2_fold_change: real.lfc.clone(),
            fdr: real.fdr.iter().map(|q| q.unwrap_or(f32::NAN)).collect(),
            significant: real.significant.clone(),
            predicted_significant: method.map(|(_, de)| de.significant.clone()).unwrap_or_default(),
        }
    }
}

/// One row of the DEG overlap table: a method's DE against the data's at one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DegRow {
    pub seed: Option<u32>,
    pub perturbation: String,
    /// The values of [`DEG_TABLE_METRICS`] at the point.
    pub values: Vec<Option<f64>>,
}

/// The columns of the DEG overlap table.
pub const DEG_TABLE_METRICS: [&str; 6] = [
    "de_nsig_counts_real",
    "de_nsig_counts_pred",
    "overlap_at_N",
    "precision_at_N",
    "de_sig_genes_recall",
    "de_direction_match",
];

/// The per-perturbation DE metrics, in the order of [`DE_METRICS`].
pub const DE_METRICS: [&str; 18] = [
    "overlap_at_N",
    "overlap_at_50",
    "overlap_at_100",
    "overlap_at_200",
    "overlap_at_500",
    "precision_at_N",
    "precision_at_50",
    "precision_at_100",
    "precision_at_200",
    "precision_at_500",
    "de_spearman_sig",
    "de_direction_match",
    "de_spearman_lfc_sig",
    "de_sig_genes_recall",
    "de_nsig_counts_real",
    "de_nsig_counts_pred",
    "pr_auc",
    "roc_auc",
];

/// Positions in [`DE_METRICS`]: `de_spearman_sig` (a value of the group of points, not of one) and the
/// numbers of significant genes it correlates.
pub const SPEARMAN_SIG: usize = 10;
pub const NSIG_REAL: usize = 14;
pub const NSIG_PRED: usize = 15;
const DIRECTION_MATCH: usize = 11;
const SPEARMAN_LFC: usize = 12;
const RECALL: usize = 13;
const PR_AUC: usize = 16;
const ROC_AUC: usize = 17;

/// `len(real[:k] ∩ pred[:k]) / k`, 0 when `k = 0`.
fn overlap(real: &[usize], pred: &[usize], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let real = &real[..k.min(real.len())];
    let shared = pred[..k.min(pred.len())].iter().filter(|gene| real.contains(gene)).count();
    shared as f64 / k as f64
}

/// One perturbation's metrics (`de_spearman_sig` is filled in by [`spearman_sig`] for the group).
pub fn point_metrics(real: &ConditionDe, pred: &ConditionDe) -> [Option<f64>; 18] {
    let (l_real, l_pred) = (&real.significant, &pred.significant);
    let mut values = [None; 18];
    for (at, k) in [None, Some(50), Some(100), Some(200), Some(500)].into_iter().enumerate() {
        let k_real = k.map_or(l_real.len(), |k| k.min(l_real.len()));
        let k_pred = k.map_or(l_pred.len(), |k| k.min(l_pred.len()));
        values[at] = Some(overlap(l_real, l_pred, k_real));
        values[5 + at] = Some(overlap(l_real, l_pred, k_pred));
    }
    // Over the data's significant genes (the prediction's value of each, when it has the gene).
    if !l_real.is_empty() {
        let in_pred: Vec<usize> = l_real.iter().copied().filter(|&gene| pred.fdr[gene].is_some()).collect();
        if !in_pred.is_empty() {
            let matches = in_pred.iter().filter(|&&gene| sign(real.lfc[gene]) == sign(pred.lfc[gene])).count();
            values[DIRECTION_MATCH] = Some(matches as f64 / in_pred.len() as f64);
        }
        let x: Vec<f64> = l_real.iter().map(|&gene| real.lfc[gene] as f64).collect();
        let y: Vec<f64> =
            l_real.iter().map(|&gene| if pred.fdr[gene].is_some() { pred.lfc[gene] as f64 } else { 0.0 }).collect();
        values[SPEARMAN_LFC] = Some(spearman(&x, &y));
        let recalled = l_real.iter().filter(|gene| l_pred.contains(gene)).count();
        values[RECALL] = Some(recalled as f64 / l_real.len() as f64);
    }
    values[NSIG_REAL] = Some(l_real.len() as f64);
    values[NSIG_PRED] = Some(l_pred.len() as f64);
    // Labels: the data's significance over its genes; scores: −log10 of the prediction's fdr (missing → 1),
    // clipped to [1e-10, 1], in float32 as polars computes them.
    let (mut labels, mut scores) = (Vec::new(), Vec::new());
    for (gene, q) in real.fdr.iter().enumerate() {
        let Some(q) = q else { continue };
        labels.push(*q < FDR_THRESHOLD);
        let predicted = pred.fdr[gene].unwrap_or(1.0).clamp(1e-10, 1.0);
        scores.push(-libm::log10f(predicted));
    }
    let positives = labels.iter().filter(|&&label| label).count();
    let (pr, roc) =
        if positives == 0 || positives == labels.len() { (f64::NAN, f64::NAN) } else { curves(&labels, &scores) };
    values[PR_AUC] = Some(pr);
    values[ROC_AUC] = Some(roc);
    values
}

/// polars' sign of a float32: −1, 0 or 1.
fn sign(value: f32) -> i8 {
    if value > 0.0 {
        1
    } else if value < 0.0 {
        -1
    } else {
        0
    }
}

/// Average ranks (1-based), ties sharing the mean of their ranks.
fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let rank = (start + end + 1) as f64 / 2.0;
        for &at in &order[start..end] {
            ranks[at] = rank;
        }
        start = end;
    }
    ranks
}

/// Spearman's correlation (Pearson's of average ranks), as polars' `corr(method="spearman")`: NaN with fewer
/// than two values or a constant side.
fn spearman(x: &[f64], y: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    crate::metrics::pearson(&average_ranks(x), &average_ranks(y)).unwrap_or(f64::NAN)
}

/// `de_spearman_sig` of a group of points: the Spearman correlation of the data's and the prediction's
/// numbers of significant genes over the points whose data have at least one; 1 when none has (cell-eval:
/// perfect agreement).
pub fn spearman_sig(counts: &[(f64, f64)]) -> f64 {
    let kept: Vec<&(f64, f64)> = counts.iter().filter(|(real, _)| *real > 0.0).collect();
    if kept.is_empty() {
        return 1.0;
    }
    let real: Vec<f64> = kept.iter().map(|(real, _)| *real).collect();
    let pred: Vec<f64> = kept.iter().map(|(_, pred)| *pred).collect();
    spearman(&real, &pred)
}

/// scikit-learn's `average_precision_score` and the area under `roc_curve` (trapezoids), with scores tied
/// at one threshold.
fn curves(labels: &[bool], scores: &[f32]) -> (f64, f64) {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let positives = labels.iter().filter(|&&label| label).count() as f64;
    let negatives = labels.len() as f64 - positives;
    let (mut tp, mut fp) = (0.0f64, 0.0f64);
    let (mut average_precision, mut last_recall) = (0.0f64, 0.0f64);
    let (mut area, mut last_fpr, mut last_tpr) = (0.0f64, 0.0f64, 0.0f64);
    let mut at = 0;
    while at < order.len() {
        let score = scores[order[at]];
        while at < order.len() && scores[order[at]] == score {
            if labels[order[at]] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            at += 1;
        }
        let recall = tp / positives;
        average_precision += (recall - last_recall) * (tp / (tp + fp));
        last_recall = recall;
        let (fpr, tpr) = (fp / negatives, tp / positives);
        area += (fpr - last_fpr) * (tpr + last_tpr) / 2.0;
        (last_fpr, last_tpr) = (fpr, tpr);
    }
    (average_precision, area)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_positions_name_their_metrics() {
        let named = [
            (SPEARMAN_SIG, "de_spearman_sig"),
            (DIRECTION_MATCH, "de_direction_match"),
            (SPEARMAN_LFC, "de_spearman_lfc_sig"),
            (RECALL, "de_sig_genes_recall"),
            (NSIG_REAL, "de_nsig_counts_real"),
            (NSIG_PRED, "de_nsig_counts_pred"),
            (PR_AUC, "pr_auc"),
            (ROC_AUC, "roc_auc"),
        ];
        for (at, name) in named {
            assert_eq!(DE_METRICS[at], name);
        }
    }

    #[test]
    fn overlaps_cut_both_lists() {
        assert_eq!(overlap(&[1, 2, 3], &[3, 9], 3), 1.0 / 3.0);
        assert_eq!(overlap(&[1, 2, 3], &[3, 9], 2), 0.0, "3 is beyond the real list's first 2");
        assert_eq!(overlap(&[], &[3], 0), 0.0);
    }

    #[test]
    fn curves_of_a_perfect_and_a_tied_ranking() {
        assert_eq!(curves(&[true, false], &[2.0, 1.0]), (1.0, 1.0));
        // All tied: one threshold; AP = prevalence, AUC = 1/2.
        assert_eq!(curves(&[true, false, false, false], &[1.0; 4]), (0.25, 0.5));
        assert!(spearman(&[1.0], &[2.0]).is_nan());
        assert_eq!(spearman_sig(&[(0.0, 3.0)]), 1.0);
    }
}
