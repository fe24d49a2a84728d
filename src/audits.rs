//! Integrity audits of uploaded predictions, shown with the results: checks that catch a prediction whose
//! numbers would mislead (another control, the same answer for every perturbation, only the average shift)
//! and say how much of it was used (genes matched, conditions scored or skipped and why).
//!
//! Each audit is computed over the genes the metrics use (the gene set) and the prediction's conditions that
//! are perturbations of the data. A failed check is a warning, not an error: the metrics are still shown.

use crate::benchmark::NotPredicted;
use crate::conditions::Condition;
use crate::expression::ExpressionMatrix;
use crate::metrics::pearson;
use crate::predictions::Prediction;
use crate::quantile::summary_quantile;
use crate::results_table::ResultRow;
use serde::{Deserialize, Serialize};

/// Mean |predicted − observed| control expression (log units) above which the controls differ.
pub const CONTROL_TOLERANCE: f64 = 0.05;
/// Spread of the predictions across perturbations, as a share of the observed spread, below which they are
/// "nearly constant".
pub const CONSTANT_SHARE: f64 = 0.1;
/// Median correlation with the mean shift above which (with a distance below [`MEAN_SHIFT_DISTANCE`]) a
/// prediction is "nearly the mean shift".
pub const MEAN_SHIFT_CORRELATION: f64 = 0.98;
/// Median ‖predicted change − mean shift‖ / ‖mean shift‖ below which the changes are that shift.
pub const MEAN_SHIFT_DISTANCE: f64 = 0.2;

/// One check of one prediction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Audit {
    pub method: String,
    pub seed: Option<u32>,
    /// `control`, `spread`, `mean shift`, `genes` or `conditions`.
    pub check: String,
    pub passed: bool,
    pub message: String,
}

/// The audits of every uploaded prediction. `gene_set` indexes the data's genes; `rows` and `not_predicted`
/// are the run's.
pub fn audit_predictions(
    data: &ExpressionMatrix,
    gene_set: &[usize],
    predictions: &[Prediction],
    rows: &[ResultRow],
    not_predicted: &[NotPredicted],
) -> Vec<Audit> {
    let Some(control) = data.control() else { return vec![] };
    // The observed mean shift: the average change over every perturbation of the data.
    let perturbations: Vec<usize> =
        (0..data.n_conditions()).filter(|&c| data.conditions()[c] != Condition::Control).collect();
    let mean_shift: Vec<f64> = gene_set
        .iter()
        .map(|&g| {
            let total: f64 = perturbations.iter().map(|&c| data.column(c)[g] - control[g]).sum();
            total / perturbations.len().max(1) as f64
        })
        .collect();
    let mut audits = Vec::new();
    for prediction in predictions {
        let alignment = &prediction.genes.counts;
        let matrix = &prediction.matrix;
        let audit = |check: &str, passed: bool, message: String| Audit {
            method: prediction.method.clone(),
            seed: prediction.seed,
            check: check.into(),
            passed,
            message,
        };
        // The prediction's row of each gene of the set (None when it lacks the gene).
        let rows_of: Vec<Option<usize>> = gene_set.iter().map(|&gene| prediction.genes.row(gene)).collect();

        if let Some(predicted_control) = matrix.control() {
            let differences: Vec<f64> = gene_set
                .iter()
                .zip(&rows_of)
                .filter_map(|(&g, row)| row.map(|row| (predicted_control[row] - control[g]).abs()))
                .filter(|d| d.is_finite())
                .collect();
            if !differences.is_empty() {
                let mean = differences.iter().sum::<f64>() / differences.len() as f64;
                let passed = mean <= CONTROL_TOLERANCE;
                audits.push(audit(
                    "control",
                    passed,
                    if passed {
                        format!("its control matches the observed one (mean |difference| {mean:.3})")
                    } else {
                        format!(
                            "its control differs from the observed one by {mean:.3} on average (log units): it may \
                             come from another normalisation or another control; changes are measured from the \
                             observed control"
                        )
                    },
                ));
            }
        }

        // The prediction's perturbations that the data hold: (prediction column, data column).
        let columns: Vec<(usize, usize)> = (0..matrix.n_conditions())
            .filter(|&c| matrix.conditions()[c] != Condition::Control)
            .filter_map(|c| data.condition_position(&matrix.conditions()[c]).map(|d| (c, d)))
            .collect();
        if columns.len() >= 2 {
            let predicted =
                mean_spread(rows_of.iter().flatten().map(|&row| {
                    columns.iter().map(|&(c, _)| matrix.column(c)[row]).filter(|v| v.is_finite()).collect()
                }));
            // Observed over the same genes and conditions.
            let observed = mean_spread(
                gene_set
                    .iter()
                    .zip(&rows_of)
                    .filter(|(_, row)| row.is_some())
                    .map(|(&g, _)| columns.iter().map(|&(_, d)| data.column(d)[g]).collect()),
            );
            if observed > 0.0 {
                let share = predicted / observed;
                let passed = share >= CONSTANT_SHARE;
                audits.push(audit(
                    "spread",
                    passed,
                    if passed {
                        format!(
                            "its predictions vary across perturbations ({:.0}% of the observed spread)",
                            share * 100.0
                        )
                    } else {
                        format!(
                            "it predicts nearly the same expression for every perturbation: its spread across \
                             perturbations is {:.1}% of the observed; a model that ignores the perturbation scores \
                             like \"no change\" or the mean",
                            share * 100.0
                        )
                    },
                ));
            }

            // Each predicted change against the mean shift.
            let mut correlations = Vec::new();
            let mut distances = Vec::new();
            let shift_norm = mean_shift.iter().map(|v| v * v).sum::<f64>().sqrt();
            for &(c, _) in &columns {
                let (mut p, mut m) = (Vec::new(), Vec::new());
                for (position, &g) in gene_set.iter().enumerate() {
                    if let Some(value) = rows_of[position].map(|row| matrix.column(c)[row]).filter(|v| v.is_finite()) {
                        p.push(value - control[g]);
                        m.push(mean_shift[position]);
                    }
                }
                if let Some(r) = pearson(&p, &m) {
                    correlations.push(r);
                    let distance = p.iter().zip(&m).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
                    distances.push(distance / shift_norm.max(f64::MIN_POSITIVE));
                }
            }
            if let (Some(r), Some(distance)) = (median(&mut correlations), median(&mut distances)) {
                let passed = !(r > MEAN_SHIFT_CORRELATION && distance < MEAN_SHIFT_DISTANCE);
                audits.push(audit(
                    "mean shift",
                    passed,
                    if passed {
                        format!("its changes are not just the average change (median r = {r:.2} with it)")
                    } else {
                        format!(
                            "its changes are nearly the average change of all perturbations (median r = {r:.3}, \
                             median distance {:.0}% of its size): it adds little beyond the training mean",
                            distance * 100.0
                        )
                    },
                ));
            }
        }

        let genes_passed = alignment.missing == 0;
        audits.push(audit(
            "genes",
            genes_passed,
            format!(
                "{} of the data's {} genes matched; {} missing (left out of its metrics), {} extra ignored",
                alignment.matched,
                data.n_genes(),
                alignment.missing,
                alignment.extra
            ),
        ));

        let scored =
            rows.iter().filter(|row| row.method == prediction.method && prediction.scored_under(row.seed)).count();
        let skipped: Vec<&NotPredicted> =
            not_predicted.iter().filter(|n| n.method == prediction.method && prediction.scored_under(n.seed)).collect();
        let mut reasons: Vec<(String, usize)> = Vec::new();
        for skip in &skipped {
            match reasons.iter_mut().find(|(reason, _)| *reason == skip.reason) {
                Some((_, n)) => *n += 1,
                None => reasons.push((skip.reason.clone(), 1)),
            }
        }
        let why: Vec<String> = reasons.iter().map(|(reason, n)| format!("{n} {reason}")).collect();
        audits.push(audit(
            "conditions",
            skipped.is_empty(),
            if skipped.is_empty() {
                format!("{scored} (seed, condition) points scored, none skipped")
            } else {
                format!("{scored} (seed, condition) points scored, {} skipped: {}", skipped.len(), why.join("; "))
            },
        ));
    }
    audits
}

/// The mean over genes (each a list of values across perturbations, two at least) of the standard deviation.
fn mean_spread(per_gene: impl Iterator<Item = Vec<f64>>) -> f64 {
    let (mut total, mut n) = (0.0, 0usize);
    for values in per_gene.filter(|values| values.len() >= 2) {
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
        total += variance.sqrt();
        n += 1;
    }
    total / n.max(1) as f64
}

/// The median (R's type-7 quantile at 0.5), `None` for no values.
fn median(values: &mut [f64]) -> Option<f64> {
    (!values.is_empty()).then(|| summary_quantile(values, 0.5))
}
