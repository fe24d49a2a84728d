//! The choices that make one tool's per-perturbation number differ from another's, and the one function that
//! scores a point under any combination of them ([`evaluate`]). Every per-perturbation metric of every
//! convention is a [`Choices`] value, and each rung of a ladder changes one field, so a ladder's last rung is
//! the target metric by construction of the same code, never a second copy of its formula.
//!
//! ```
//! use perturb_check::conventions::choices::{evaluate, Choices, PointVectors, Statistic};
//! let (p, t, c) = ([1.0, 2.0, 4.0], [1.0, 3.0, 3.0], [1.0, 1.0, 1.0]);
//! let point = PointVectors { predicted: &p, observed: &t, control: &c, own_control: &c, training_mean: None,
//!     top_genes: &[0, 1], all_genes: &[0, 1, 2], de_genes: None, non_dropout_genes: None };
//! assert_eq!(evaluate(&Choices::PAPER_L2, &point), Some(1.0));
//! let mse = Choices { statistic: Statistic::MeanSquared, ..Choices::ALL_GENES_L2 };
//! assert_eq!(evaluate(&mse, &point), Some(2.0 / 3.0));
//! ```

use crate::metrics::pearson;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Which genes a metric is computed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Genes {
    /// The paper's N genes most expressed in the control.
    TopExpressed,
    /// Every gene the prediction and the data share.
    All,
    /// GEARS' 20 genes most differentially expressed in the condition's cells against the control cells
    /// (Welch's t, by |t|), in their ranking order; needs the data's cells.
    TopDe,
    /// GEARS' non-dropout top 20 (Systema's `*_20de`); needs the data's cells.
    NonDropoutDe,
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
    /// The observed condition's GEARS top DE genes and non-dropout top DE genes, when the data are cells.
    pub de_genes: Option<&'a [usize]>,
    pub non_dropout_genes: Option<&'a [usize]>,
}

impl PointVectors<'_> {
    /// The genes of a gene set; `None` when it needs the data's cells and they were not given.
    fn genes(&self, genes: Genes) -> Option<&[usize]> {
        match genes {
            Genes::TopExpressed => Some(self.top_genes),
            Genes::All => Some(self.all_genes),
            Genes::TopDe => self.de_genes,
            Genes::NonDropoutDe => self.non_dropout_genes,
        }
    }
}

/// Rounds to float32 when the tool computes in float32.
fn at(precision: Precision, value: f64) -> f64 {
    match precision {
        Precision::F64 => value,
        Precision::F32 => value as f32 as f64,
    }
}

/// PerturBench's log fold-change term, `log2(x + 0.1)`. By the `libm` crate's log2 (musl's, < 1 ulp), which
/// is the code the browser's build runs for `f64::log2`, so the page and the command line compute the same
/// bits; natively it is also several times faster here than the C library's `log2` called between the
/// vectorised kernels (1.6–1.9 s → 1.2 s for the conventions, BENCHMARKS.md).
pub(crate) fn log2_shifted(value: f64) -> f64 {
    libm::log2(value + 0.1)
}

/// `x·y / (‖x‖‖y‖)`; `None` when either is zero.
pub fn cosine(x: &[f64], y: &[f64]) -> Option<f64> {
    let [xy, xx, yy] = sums(x, y, |a, b| [a * b, a * a, b * b]);
    (xx > 0.0 && yy > 0.0).then(|| xy / (xx.sqrt() * yy.sqrt()))
}

/// Sums of `K` terms of each gene pair, in four interleaved partial sums per term (so the compiler can keep
/// them in vector registers; the order differs from a sequential sum in the last bits only). Used for the
/// other tools' metrics over all genes, which no reference pins to a summation order; the paper's metrics
/// keep the sequential order that pins them to R ([`crate::metrics`]).
pub(crate) fn sums<const K: usize>(x: &[f64], y: &[f64], terms: impl Fn(f64, f64) -> [f64; K]) -> [f64; K] {
    let mut partial = [[0.0f64; K]; 4];
    let (chunks_x, chunks_y) = (x.chunks_exact(4), y.chunks_exact(4));
    let (rest_x, rest_y) = (chunks_x.remainder(), chunks_y.remainder());
    for (cx, cy) in chunks_x.zip(chunks_y) {
        for lane in 0..4 {
            let values = terms(cx[lane], cy[lane]);
            for k in 0..K {
                partial[lane][k] += values[k];
            }
        }
    }
    let mut total = [0.0f64; K];
    for (&a, &b) in rest_x.iter().zip(rest_y) {
        let values = terms(a, b);
        for k in 0..K {
            total[k] += values[k];
        }
    }
    for k in 0..K {
        total[k] += (partial[0][k] + partial[1][k]) + (partial[2][k] + partial[3][k]);
    }
    total
}

/// Pearson's correlation with [`sums`] (the sums of each side from the first pass, then centred products);
/// `None` when either side is constant or empty.
fn pearson_over_all(x: &[f64], y: &[f64], sum_x: f64, sum_y: f64) -> Option<f64> {
    let is_constant = |values: &[f64]| values.iter().all(|&value| value == values[0]);
    if x.is_empty() || is_constant(x) || is_constant(y) {
        return None;
    }
    let n = x.len() as f64;
    let (mean_x, mean_y) = (sum_x / n, sum_y / n);
    let [sxy, sxx, syy] = sums(x, y, |a, b| {
        let (dx, dy) = (a - mean_x, b - mean_y);
        [dx * dy, dx * dx, dy * dy]
    });
    Some(sxy / (sxx * syy).sqrt())
}

/// `log2(x + 0.1)` of the vectors of a point, computed once per run (observed, control), method (its own
/// control) or point (its prediction) and shared by every convention that takes PerturBench's fold changes.
pub struct LogVectors<'a> {
    pub predicted: &'a [f64],
    pub observed: &'a [f64],
    pub control: &'a [f64],
    pub own_control: &'a [f64],
}

/// `log2(x + 0.1)` of each value.
pub fn log2_shifted_all(values: &[f64]) -> Vec<f64> {
    values.iter().map(|&value| log2_shifted(value)).collect()
}

/// Which pairs `(x, y)` over genes a statistic is computed from; statistics of the same pairs share them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pairs {
    /// `(P, T)`.
    Raw,
    /// `(P − r_P, T − r_T)`.
    Delta(Control, Reference),
    /// `(log2(P + 0.1) − log2(r_P + 0.1), log2(T + 0.1) − log2(r_T + 0.1))`.
    LogFoldChange(Control, Reference),
}

/// `f` of each value.
fn map(values: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
    values.iter().map(|&value| f(value)).collect()
}

/// `f` of each pair of values.
fn map2(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    a.iter().zip(b).map(|(&a, &b)| f(a, b)).collect()
}

/// The pairs `pair(g)` of the genes `indices` the prediction has (not NaN).
fn collect(indices: &[usize], predicted: &[f64], pair: impl Fn(usize) -> (f64, f64)) -> (Vec<f64>, Vec<f64>) {
    let (mut x, mut y) = (Vec::with_capacity(indices.len()), Vec::with_capacity(indices.len()));
    for &gene in indices {
        if !predicted[gene].is_nan() {
            let (a, b) = pair(gene);
            x.push(a);
            y.push(b);
        }
    }
    (x, y)
}

/// Gene pairs of one kind, over one gene set, at one precision: the key and the two sides.
/// With it, once computed, `[Σ(x − y)², Σ|x − y|, Σx, Σy]` over all genes (one pass serves every error
/// statistic and the correlation's means).
type Gathered<'a> = ((Genes, Pairs, Precision), Cow<'a, [f64]>, Cow<'a, [f64]>, Option<[f64; 4]>);

/// Scores one point under many [`Choices`], gathering each kind of gene pairs once.
pub struct PointScorer<'a> {
    vectors: &'a PointVectors<'a>,
    logs: Option<&'a LogVectors<'a>>,
    gathered: Vec<Gathered<'a>>,
    /// Whether the prediction lacks a gene (found at first need).
    has_nan: Option<bool>,
    /// Values computed so far, before the NaN rule (which does not change the computation).
    values: Vec<(Choices, Option<f64>)>,
}

impl<'a> PointScorer<'a> {
    pub fn new(vectors: &'a PointVectors<'a>, logs: Option<&'a LogVectors<'a>>) -> Self {
        PointScorer { vectors, logs, gathered: Vec::new(), has_nan: None, values: Vec::new() }
    }

    /// A scorer that starts from values already computed for the same prediction and observation (under
    /// another split): every choice but Systema's training mean gives the same value.
    pub fn with_known(
        vectors: &'a PointVectors<'a>,
        logs: Option<&'a LogVectors<'a>>,
        known: &[(Choices, Option<f64>)],
    ) -> Self {
        let values =
            known.iter().filter(|(choices, _)| choices.reference != Reference::TrainingMean).copied().collect();
        PointScorer { vectors, logs, gathered: Vec::new(), has_nan: None, values }
    }

    /// The values computed so far (before their NaN rule), for [`Self::with_known`].
    pub fn known(&self) -> &[(Choices, Option<f64>)] {
        &self.values
    }

    /// The pairs of a kind over a gene set, gathered at first use; `None` when the reference is undefined.
    fn pairs(&mut self, genes: Genes, pairs: Pairs, precision: Precision) -> Option<usize> {
        let key = (genes, pairs, precision);
        if let Some(found) = self.gathered.iter().position(|(other, ..)| *other == key) {
            return Some(found);
        }
        let point = self.vectors;
        let training_mean = match pairs {
            Pairs::Delta(_, Reference::TrainingMean) | Pairs::LogFoldChange(_, Reference::TrainingMean) => {
                Some(point.training_mean?)
            }
            _ => None,
        };
        let indices = point.genes(genes)?;
        // The references as the tool takes them: r_P (the mean, the observed or the own control) and r_T.
        let (reference_p, reference_t): (&[f64], &[f64]) = match (pairs, training_mean) {
            (_, Some(mean)) => (mean, mean),
            (Pairs::Delta(Control::Own, _) | Pairs::LogFoldChange(Control::Own, _), None) => {
                (point.own_control, point.control)
            }
            _ => (point.control, point.control),
        };
        let (predicted, observed) = (point.predicted, point.observed);
        let single = |value: f64| value as f32;
        // Every gene (the usual case): the pairs are whole vectors, mapped without indices (vectorised) or
        // borrowed; the values and their order are those of the gene-by-gene case below.
        if genes == Genes::All
            && indices.len() == predicted.len()
            && !*self.has_nan.get_or_insert_with(|| predicted.iter().any(|v| v.is_nan()))
        {
            let logs = self.logs;
            let (x, y): (Cow<'a, [f64]>, Cow<'a, [f64]>) = match (pairs, precision, logs) {
                (Pairs::Raw, Precision::F64, _) => (Cow::Borrowed(predicted), Cow::Borrowed(observed)),
                (Pairs::Raw, Precision::F32, _) => {
                    (map(predicted, |p| single(p) as f64).into(), map(observed, |t| single(t) as f64).into())
                }
                (Pairs::Delta(..), Precision::F64, _) => (
                    map2(predicted, reference_p, |p, r| p - r).into(),
                    map2(observed, reference_t, |t, r| t - r).into(),
                ),
                (Pairs::Delta(..), Precision::F32, _) => (
                    map2(predicted, reference_p, |p, r| (single(p) - single(r)) as f64).into(),
                    map2(observed, reference_t, |t, r| (single(t) - single(r)) as f64).into(),
                ),
                (Pairs::LogFoldChange(control, Reference::Control), Precision::F64, Some(logs)) => {
                    let log_reference = match control {
                        Control::Observed => logs.control,
                        Control::Own => logs.own_control,
                    };
                    (
                        map2(logs.predicted, log_reference, |p, r| p - r).into(),
                        map2(logs.observed, logs.control, |t, r| t - r).into(),
                    )
                }
                (Pairs::LogFoldChange(..), ..) => {
                    let fold_change = |value: &[f64], reference: &[f64]| {
                        map2(value, reference, |v, r| log2_shifted(at(precision, v)) - log2_shifted(at(precision, r)))
                    };
                    (fold_change(predicted, reference_p).into(), fold_change(observed, reference_t).into())
                }
            };
            self.gathered.push((key, x, y, None));
            return Some(self.gathered.len() - 1);
        }
        // One loop per case, so that each is a tight loop without branches on the choices.
        let (x, y) = match (pairs, precision) {
            (Pairs::Raw, Precision::F64) => collect(indices, predicted, |g| (predicted[g], observed[g])),
            (Pairs::Raw, Precision::F32) => {
                collect(indices, predicted, |g| (single(predicted[g]) as f64, single(observed[g]) as f64))
            }
            (Pairs::Delta(..), Precision::F64) => {
                collect(indices, predicted, |g| (predicted[g] - reference_p[g], observed[g] - reference_t[g]))
            }
            (Pairs::Delta(..), Precision::F32) => collect(indices, predicted, |g| {
                (
                    (single(predicted[g]) - single(reference_p[g])) as f64,
                    (single(observed[g]) - single(reference_t[g])) as f64,
                )
            }),
            (Pairs::LogFoldChange(control, Reference::Control), Precision::F64) if self.logs.is_some() => {
                let logs = self.logs.expect("checked");
                let log_reference = match control {
                    Control::Observed => logs.control,
                    Control::Own => logs.own_control,
                };
                collect(indices, predicted, |g| {
                    (logs.predicted[g] - log_reference[g], logs.observed[g] - logs.control[g])
                })
            }
            (Pairs::LogFoldChange(..), _) => collect(indices, predicted, |g| {
                let (p, t) = (at(precision, predicted[g]), at(precision, observed[g]));
                let (r_p, r_t) = (at(precision, reference_p[g]), at(precision, reference_t[g]));
                (log2_shifted(p) - log2_shifted(r_p), log2_shifted(t) - log2_shifted(r_t))
            }),
        };
        self.gathered.push((key, x.into(), y.into(), None));
        Some(self.gathered.len() - 1)
    }

    /// The point's value under `choices`. `None` when the value is undefined and the NaN rule keeps it so (a
    /// correlation or cosine of a constant vector, a Systema reference under `all`, no gene in common), or
    /// when it cannot be computed whatever the rule (DE genes without the data's cells).
    pub fn evaluate(&mut self, choices: &Choices) -> Option<f64> {
        self.vectors.genes(choices.genes)?;
        let key = Choices { nan: NanRule::Skip, ..*choices };
        let value = match self.values.iter().find(|(other, _)| *other == key) {
            Some((_, value)) => *value,
            None => {
                let value = self.compute(choices);
                self.values.push((key, value));
                value
            }
        };
        match (value, choices.nan) {
            (None, NanRule::Zero) => Some(0.0),
            (value, _) => value.map(|value| at(choices.precision, value)),
        }
    }

    fn compute(&mut self, choices: &Choices) -> Option<f64> {
        let pairs = match choices.statistic {
            Statistic::L2
            | Statistic::MeanSquared
            | Statistic::RootMeanSquared
            | Statistic::MeanAbsolute
            | Statistic::Pearson => Pairs::Raw,
            Statistic::MeanSquaredDelta | Statistic::MeanAbsoluteDelta | Statistic::PearsonDelta => {
                Pairs::Delta(choices.control, choices.reference)
            }
            Statistic::CosineLogFoldChange => Pairs::LogFoldChange(choices.control, choices.reference),
        };
        self.pairs(choices.genes, pairs, choices.precision).and_then(|index| {
            let (_, x, y, errors) = &mut self.gathered[index];
            let n = x.len() as f64;
            // The paper's gene set keeps the paper's sequential sums (pinned to R); all genes use partial sums,
            // both error sums in one pass, kept for the other error statistics of the same pairs.
            let paper = choices.genes == Genes::TopExpressed;
            // `[Σ(x − y)², Σ|x − y|, Σx, Σy]` in one pass, at first need, for every error statistic and the
            // correlation of the same pairs.
            let mut moments =
                || *errors.get_or_insert_with(|| sums(x, y, |a, b| [(a - b) * (a - b), (a - b).abs(), a, b]));
            let (x, y) = (&*x, &*y);
            if x.is_empty() {
                return None;
            }
            let mut squared = || {
                if paper {
                    x.iter().zip(y.iter()).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()
                } else {
                    moments()[0]
                }
            };
            match choices.statistic {
                Statistic::L2 => Some(squared().sqrt()),
                Statistic::MeanSquared | Statistic::MeanSquaredDelta => Some(squared() / n),
                Statistic::RootMeanSquared => Some((squared() / n).sqrt()),
                Statistic::MeanAbsolute | Statistic::MeanAbsoluteDelta => Some(moments()[1] / n),
                Statistic::Pearson | Statistic::PearsonDelta if paper => pearson(x, y),
                Statistic::Pearson | Statistic::PearsonDelta => {
                    let [_, _, sum_x, sum_y] = moments();
                    pearson_over_all(x, y, sum_x, sum_y)
                }
                Statistic::CosineLogFoldChange => cosine(x, y),
            }
        })
    }
}

/// Scores one point under `choices` (see [`PointScorer::evaluate`]).
pub fn evaluate(choices: &Choices, point: &PointVectors<'_>) -> Option<f64> {
    PointScorer::new(point, None).evaluate(choices)
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
            de_genes: None,
            non_dropout_genes: None,
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
        let l = libm::log2(0.2);
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
