//! The choices that make one tool's per-perturbation number differ from another's, and the one function that
//! scores a point under any combination of them ([`evaluate`]). Every per-perturbation metric of every
//! convention is a [`Choices`] value, and each rung of a ladder changes one field, so a ladder's last rung is
//! the target metric by construction of the same code, never a second copy of its formula.
//!
//! ```
//! use perturb_check::conventions::choices::{evaluate, Choices, PointVectors, Statistic};
//! let (p, t, c) = ([1.0, 2.0, 4.0], [1.0, 3.0, 3.0], [1.0, 1.0, 1.0]);
//! let point = PointVectors { predicted: &p, observed: &t, control: &c, own_control: &c, training_mean: None,
//!     top_genes: &[0, 1], all_genes: &[0, 1, 2] };
//! assert_eq!(evaluate(&Choices::PAPER_L2, &point), Some(1.0));
//! let mse = Choices { statistic: Statistic::MeanSquared, ..Choices::ALL_GENES_L2 };
//! assert_eq!(evaluate(&mse, &point), Some(2.0 / 3.0));
//! ```

use crate::metrics::pearson;
use serde::{Deserialize, Serialize};

/// Which genes a metric is computed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Genes {
    /// The paper's N genes most expressed in the control.
    TopExpressed,
    /// Every gene the prediction and the data share.
    All,
}

/// Which control a prediction's change is taken from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Control {
    /// The observed control (the paper, GEARS, Systema).
    Observed,
    /// The prediction file's own control when it has one (cell-eval, PerturBench); the observed one otherwise.
    Own,
}

/// What changes are measured from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reference {
    Control,
    /// Systema's μ: the unweighted mean of the training perturbations' observed pseudobulks.
    TrainingMean,
}

/// The number computed from a prediction `P` and observation `T` (and references `r_P`, `r_T`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Statistic {
    /// `√Σ(P − T)²`, a sum over genes.
    L2,
    MeanSquared,
    RootMeanSquared,
    MeanAbsolute,
    /// `mean(((P − r_P) − (T − r_T))²)`.
    MeanSquaredDelta,
    MeanAbsoluteDelta,
    /// `cor(P, T)`.
    Pearson,
    /// `cor(P − r_P, T − r_T)`.
    PearsonDelta,
    /// `cos(log2(P + 0.1) − log2(r_P + 0.1), log2(T + 0.1) − log2(r_T + 0.1))`.
    CosineLogFoldChange,
}

/// What happens to an undefined value (a correlation of a constant vector).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NanRule {
    /// Left out of means (the paper, PerturBench).
    Skip,
    /// Replaced by 0 (GEARS).
    Zero,
    /// Kept: a mean over points with one is undefined too (cell-eval's NaN mean, Systema).
    Propagate,
}

/// The arithmetic the tool does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Precision {
    F64,
    /// cell-eval: pseudobulks and their differences in float32, the result a float32 widened to f64.
    F32,
}

/// One way of scoring a point: every choice that differs between tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choices {
    pub genes: Genes,
    pub control: Control,
    pub reference: Reference,
    pub statistic: Statistic,
    pub nan: NanRule,
    pub precision: Precision,
}

impl Choices {
    /// The paper's L2 (METHODS §4): top N genes, observed control, f64, undefined values left out.
    pub const PAPER_L2: Choices = Choices {
        genes: Genes::TopExpressed,
        control: Control::Observed,
        reference: Reference::Control,
        statistic: Statistic::L2,
        nan: NanRule::Skip,
        precision: Precision::F64,
    };
    pub const PAPER_PEARSON_DELTA: Choices = Choices { statistic: Statistic::PearsonDelta, ..Choices::PAPER_L2 };
    pub const PAPER_PEARSON: Choices = Choices { statistic: Statistic::Pearson, ..Choices::PAPER_L2 };
    /// The paper's L2 over all genes (a base for the others).
    pub const ALL_GENES_L2: Choices = Choices { genes: Genes::All, ..Choices::PAPER_L2 };
}

/// The vectors of one point, over all the data's genes (index = the data's gene index).
pub struct PointVectors<'a> {
    /// NaN where the method lacks the gene (such genes are left out, as in the paper's metrics).
    pub predicted: &'a [f64],
    pub observed: &'a [f64],
    pub control: &'a [f64],
    /// The prediction's own control (the observed control when it has none).
    pub own_control: &'a [f64],
    /// Systema's μ for the point's split, when it has training perturbations.
    pub training_mean: Option<&'a [f64]>,
    /// The paper's gene set, most expressed first.
    pub top_genes: &'a [usize],
    /// Every gene the method predicts, in the data's order.
    pub all_genes: &'a [usize],
}

/// Rounds to float32 when the tool computes in float32.
fn at(precision: Precision, value: f64) -> f64 {
    match precision {
        Precision::F64 => value,
        Precision::F32 => value as f32 as f64,
    }
}

/// `a − b` as the tool subtracts (float32 operands give a float32 difference).
fn minus(precision: Precision, a: f64, b: f64) -> f64 {
    match precision {
        Precision::F64 => a - b,
        Precision::F32 => (a as f32 - b as f32) as f64,
    }
}

/// PerturBench's log fold-change term, `log2(x + 0.1)`.
fn log2_shifted(value: f64) -> f64 {
    (value + 0.1).log2()
}

/// `x·y / (‖x‖‖y‖)`; `None` when either is zero.
pub fn cosine(x: &[f64], y: &[f64]) -> Option<f64> {
    let (mut xy, mut xx, mut yy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        xy += a * b;
        xx += a * a;
        yy += b * b;
    }
    (xx > 0.0 && yy > 0.0).then(|| xy / (xx.sqrt() * yy.sqrt()))
}

/// Scores one point under `choices`. `None` when the value is undefined and the NaN rule keeps it so (a
/// correlation or cosine of a constant vector, a Systema reference under `all`, no gene in common).
pub fn evaluate(choices: &Choices, point: &PointVectors<'_>) -> Option<f64> {
    let genes = match choices.genes {
        Genes::TopExpressed => point.top_genes,
        Genes::All => point.all_genes,
    };
    let precision = choices.precision;
    let training_mean = match choices.reference {
        Reference::TrainingMean => Some(point.training_mean?),
        Reference::Control => None,
    };
    let (mut x, mut y) = (Vec::with_capacity(genes.len()), Vec::with_capacity(genes.len()));
    for &gene in genes {
        let predicted = point.predicted[gene];
        if predicted.is_nan() {
            continue;
        }
        let (p, t) = (at(precision, predicted), at(precision, point.observed[gene]));
        let (reference_p, reference_t) = match training_mean {
            Some(mean) => (at(precision, mean[gene]), at(precision, mean[gene])),
            None => {
                let control = at(precision, point.control[gene]);
                let own = match choices.control {
                    Control::Observed => control,
                    Control::Own => at(precision, point.own_control[gene]),
                };
                (own, control)
            }
        };
        let pair = match choices.statistic {
            Statistic::L2
            | Statistic::MeanSquared
            | Statistic::RootMeanSquared
            | Statistic::MeanAbsolute
            | Statistic::Pearson => (p, t),
            Statistic::MeanSquaredDelta | Statistic::MeanAbsoluteDelta | Statistic::PearsonDelta => {
                (minus(precision, p, reference_p), minus(precision, t, reference_t))
            }
            Statistic::CosineLogFoldChange => {
                (log2_shifted(p) - log2_shifted(reference_p), log2_shifted(t) - log2_shifted(reference_t))
            }
        };
        x.push(pair.0);
        y.push(pair.1);
    }
    let n = x.len() as f64;
    let squared = || x.iter().zip(&y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
    let absolute = || x.iter().zip(&y).map(|(a, b)| (a - b).abs()).sum::<f64>();
    let value = if x.is_empty() {
        None
    } else {
        match choices.statistic {
            Statistic::L2 => Some(squared().sqrt()),
            Statistic::MeanSquared | Statistic::MeanSquaredDelta => Some(squared() / n),
            Statistic::RootMeanSquared => Some((squared() / n).sqrt()),
            Statistic::MeanAbsolute | Statistic::MeanAbsoluteDelta => Some(absolute() / n),
            Statistic::Pearson | Statistic::PearsonDelta => pearson(&x, &y),
            Statistic::CosineLogFoldChange => cosine(&x, &y),
        }
    };
    match (value, choices.nan) {
        (None, NanRule::Zero) => Some(0.0),
        (value, _) => value.map(|value| at(precision, value)),
    }
}

/// The mean of points' values under a NaN rule: undefined values are skipped (`Skip`; `Zero` has none left)
/// or make the mean undefined (`Propagate`). `None` when no value is left. Returns the mean and how many
/// values it averaged.
pub fn mean_of(values: impl IntoIterator<Item = Option<f64>>, rule: NanRule) -> (Option<f64>, usize) {
    let (mut sum, mut n, mut undefined) = (0.0, 0usize, false);
    for value in values {
        match value {
            Some(value) => {
                sum += value;
                n += 1;
            }
            None => undefined = true,
        }
    }
    let mean = (n > 0 && !(undefined && rule == NanRule::Propagate)).then(|| sum / n as f64);
    (mean, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::score;

    fn point<'a>(p: &'a [f64], t: &'a [f64], c: &'a [f64], own: &'a [f64], genes: &'a [usize]) -> PointVectors<'a> {
        PointVectors {
            predicted: p,
            observed: t,
            control: c,
            own_control: own,
            training_mean: None,
            top_genes: genes,
            all_genes: genes,
        }
    }

    #[test]
    fn the_papers_choices_give_the_papers_metrics_to_the_bit() {
        let (p, t, c) = ([0.3, 1.7, 2.25, 0.1], [0.5, 1.1, 2.0, 0.0], [0.4, 1.5, 2.1, 0.05]);
        let top = [2, 1, 0, 3];
        let expected = score(&[2.25, 1.7, 0.3, 0.1], &[2.0, 1.1, 0.5, 0.0], &[2.1, 1.5, 0.4, 0.05]);
        let at_top = point(&p, &t, &c, &c, &top);
        assert_eq!(evaluate(&Choices::PAPER_L2, &at_top), Some(expected.l2));
        assert_eq!(evaluate(&Choices::PAPER_PEARSON_DELTA, &at_top), expected.pearson_delta);
        assert_eq!(evaluate(&Choices::PAPER_PEARSON, &at_top), expected.pearson);
    }

    #[test]
    fn nan_rules_and_missing_genes() {
        let (p, t, c) = ([1.0, 1.0, f64::NAN], [0.0, 2.0, 5.0], [1.0, 1.0, 1.0]);
        let genes = [0, 1, 2];
        let no_change = point(&p, &t, &c, &c, &genes);
        // The change predicted is constant: the correlation is undefined, and GEARS makes it 0.
        assert_eq!(evaluate(&Choices::PAPER_PEARSON_DELTA, &no_change), None);
        let gears = Choices { nan: NanRule::Zero, ..Choices::PAPER_PEARSON_DELTA };
        assert_eq!(evaluate(&gears, &no_change), Some(0.0));
        // The NaN gene is left out: mean((1 − 0)², (1 − 2)²) over 2 genes.
        let mse = Choices { statistic: Statistic::MeanSquared, ..Choices::ALL_GENES_L2 };
        assert_eq!(evaluate(&mse, &no_change), Some(1.0));
        let rmse = Choices { statistic: Statistic::RootMeanSquared, ..mse };
        assert_eq!(evaluate(&rmse, &no_change), Some(1.0));
        assert_eq!(mean_of([Some(1.0), None, Some(2.0)], NanRule::Skip), (Some(1.5), 2));
        assert_eq!(mean_of([Some(1.0), None], NanRule::Propagate), (None, 1));
        assert_eq!(mean_of([None], NanRule::Skip), (None, 0));
    }

    #[test]
    fn own_control_and_training_mean_change_the_reference() {
        let (p, t, c, own) = ([2.0, 3.0, 1.0], [2.5, 3.5, 0.5], [1.0, 1.0, 1.0], [2.0, 2.0, 2.0]);
        let genes = [0, 1, 2];
        let vectors = point(&p, &t, &c, &own, &genes);
        let delta_mae =
            Choices { statistic: Statistic::MeanAbsoluteDelta, control: Control::Own, ..Choices::ALL_GENES_L2 };
        // (P − ĉ) − (T − c) = (−1.5, −1.5, −0.5).
        assert_eq!(evaluate(&delta_mae, &vectors), Some(3.5 / 3.0));
        let mean = [2.0, 2.0, 2.0];
        let centred = PointVectors { training_mean: Some(&mean), ..vectors };
        let systema =
            Choices { statistic: Statistic::PearsonDelta, reference: Reference::TrainingMean, ..Choices::ALL_GENES_L2 };
        assert_eq!(evaluate(&systema, &centred), crate::metrics::pearson(&[0.0, 1.0, -1.0], &[0.5, 1.5, -1.5]));
        let without_mean = point(&p, &t, &c, &own, &genes);
        assert_eq!(evaluate(&systema, &without_mean), None);
    }

    #[test]
    fn cosine_of_log_fold_changes_and_float32() {
        let (p, t, c) = ([0.9, 0.1], [1.9, 0.1], [0.9, 0.9]);
        let genes = [0, 1];
        let vectors = point(&p, &t, &c, &c, &genes);
        let cosine_lfc = Choices { statistic: Statistic::CosineLogFoldChange, ..Choices::ALL_GENES_L2 };
        // Fold changes (0, l) predicted and (1, l) observed, l = log2(0.2).
        let l = 0.2f64.log2();
        let expected = l * l / (l.abs() * (1.0 + l * l).sqrt());
        assert!((evaluate(&cosine_lfc, &vectors).unwrap() - expected).abs() < 1e-15);
        // No predicted change: the cosine is undefined.
        assert_eq!(evaluate(&cosine_lfc, &point(&c, &t, &c, &c, &genes)), None);
        let f32_mae =
            Choices { statistic: Statistic::MeanAbsolute, precision: Precision::F32, ..Choices::ALL_GENES_L2 };
        let value = evaluate(&f32_mae, &vectors).unwrap();
        assert_eq!(value, value as f32 as f64, "a float32 result");
        assert!((value - 0.5).abs() < 1e-7);
    }
}
