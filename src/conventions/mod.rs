//! The convention lens: every point of the benchmark (seed, method, perturbation) scored the way the paper,
//! GEARS, Systema, cell-eval and PerturBench score it, and ladders that change one choice at a time from the
//! paper's number to each tool's, so that a user sees why the numbers differ.
//!
//! - [`METRICS`] lists every metric: convention id, name, formula, direction, source. Per-perturbation
//!   metrics are [`Choices`] scored by [`choices::evaluate`]; the ones that compare a method's points with one
//!   another are in [`pairwise`].
//! - [`score_conventions`] scores a run's points; [`ladder`] builds the ladders; [`celleval`] writes
//!   cell-eval's own files and its baseline-relative score.
//!
//! Which points are compared together: under a seeded split a method's points of that seed (its test ∪ val
//! perturbations); under `all` or an uploaded split every evaluated perturbation. Systema's centroids are every
//! non-control condition of the data; its μ is the mean of the observed pseudobulks of the non-control
//! conditions labelled `train` (undefined under `all`). The paper's numbers are the results table's.

pub mod celleval;
pub mod celleval_de;
pub mod choices;
pub mod ladder;
pub mod pairwise;

use crate::baselines::Baseline;
use crate::benchmark::MethodPredictions;
use crate::conditions::Condition;
use crate::de::DeGenes;
use crate::error::{Notice, RunError};
use crate::expression::ExpressionMatrix;
use crate::results_table::{write_csv, ResultRow};
use crate::splits::{Split, SplitLabel};
use celleval_de::{point_metrics, spearman_sig, DeResults, DE_METRICS, NSIG_PRED, NSIG_REAL, SPEARMAN_SIG};
use choices::{
    log2_shifted, log2_shifted_all, mean_of, Choices, Control, Genes, LogVectors, NanRule, PointScorer, PointVectors,
    Precision, Reference, Statistic,
};
use ladder::{LadderRow, LADDERS};
use pairwise::{first_identical, identical, score_group, Distances, Group, Observations, Predicted, Truth};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::rc::Rc;

/// How a metric is computed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MetricKind {
    /// The paper's metric as the results table holds it (`l2`, `pearson_delta`, `pearson`).
    Paper(Choices),
    /// A per-perturbation metric.
    Point(Choices),
    DiscriminationL1,
    DiscriminationL2,
    DiscriminationCosine,
    RankRmse,
    RankCosineLogFoldChange,
    CentroidAccuracy,
    /// cell-eval's DE metric at this position of [`celleval_de::DE_METRICS`] (data and prediction as cells).
    CellEvalDe(usize),
}

impl MetricKind {
    /// Whether it compares a method's points with one another (O(points²)).
    pub fn is_pairwise(self) -> bool {
        !matches!(self, MetricKind::Paper(_) | MetricKind::Point(_) | MetricKind::CellEvalDe(_))
    }

    /// Whether it needs cells: the data's (GEARS' and Systema's DE genes) or the data's and the prediction's
    /// (cell-eval's DE metrics).
    pub fn needs_cells(self) -> bool {
        match self {
            MetricKind::Point(choices) => matches!(choices.genes, Genes::TopDe | Genes::NonDropoutDe),
            MetricKind::CellEvalDe(_) => true,
            _ => false,
        }
    }

    /// How undefined values enter the method's mean.
    pub fn nan_rule(self) -> NanRule {
        match self {
            MetricKind::Paper(choices) | MetricKind::Point(choices) => choices.nan,
            MetricKind::DiscriminationL1 | MetricKind::DiscriminationL2 | MetricKind::DiscriminationCosine => {
                NanRule::Propagate
            }
            MetricKind::RankRmse | MetricKind::RankCosineLogFoldChange | MetricKind::CentroidAccuracy => NanRule::Skip,
            // Empty values (cell-eval's nulls) are skipped; its NaN values are kept as NaN and so propagate.
            MetricKind::CellEvalDe(_) => NanRule::Skip,
        }
    }
}

/// One metric of one convention.
#[derive(Clone, Copy, Debug)]
pub struct MetricSpec {
    pub convention: &'static str,
    pub metric: &'static str,
    pub kind: MetricKind,
    pub higher_is_better: bool,
    /// The formula in one line.
    pub formula: &'static str,
}

/// A convention: its id, the tool and version it reproduces, and where its formulas are.
#[derive(Clone, Copy, Debug)]
pub struct ConventionSpec {
    pub id: &'static str,
    pub tool: &'static str,
    pub version: &'static str,
    pub source: &'static str,
    /// The metric the leaderboard shows when this convention is chosen.
    pub main_metric: &'static str,
}

pub const CONVENTIONS: [ConventionSpec; 5] = [
    ConventionSpec {
        id: "paper",
        tool: "Ahlmann-Eltze, Huber & Anders",
        version: "Nature Methods 2025",
        source: "benchmark code and METHODS §4",
        main_metric: "l2",
    },
    ConventionSpec {
        id: "gears",
        tool: "GEARS",
        version: "0.1.2",
        source: "gears/inference.py (evaluate, compute_metrics, deeper_analysis)",
        main_metric: "pearson_delta",
    },
    ConventionSpec {
        id: "systema",
        tool: "Systema",
        version: "main (mlbio-epfl/systema)",
        source: "evaluation/ (corr_all, corr_all_allpert, mse_all, centroid accuracy)",
        main_metric: "corr_all_allpert",
    },
    ConventionSpec {
        id: "cell-eval",
        tool: "cell-eval",
        version: "0.8.2",
        source: "cell_eval/metrics/_anndata.py, _de.py, _types/_anndata.py, _types/_de.py, _score.py; pdex 0.3",
        main_metric: "pearson_delta",
    },
    ConventionSpec {
        id: "perturbench",
        tool: "PerturBench",
        version: "main (altoslabs/perturbench)",
        source: "src/perturbench/analysis/benchmarks/metrics.py",
        main_metric: "rmse_average",
    },
];

const fn point(genes: Genes, control: Control, reference: Reference, statistic: Statistic, nan: NanRule) -> Choices {
    Choices { genes, control, reference, statistic, nan, precision: Precision::F64 }
}

const fn celleval(control: Control, statistic: Statistic) -> Choices {
    Choices {
        genes: Genes::All,
        control,
        reference: Reference::Control,
        statistic,
        nan: NanRule::Propagate,
        precision: Precision::F32,
    }
}

/// cell-eval's `mse` (no control enters it, and it is never undefined).
const CELLEVAL_ERROR: Choices = Choices {
    genes: Genes::All,
    control: Control::Observed,
    reference: Reference::Control,
    statistic: Statistic::MeanSquared,
    nan: NanRule::Skip,
    precision: Precision::F32,
};

use Control::{Observed, Own};
use Genes::{All, NonDropoutDe, TopDe};
use Reference::{Control as FromControl, TrainingMean};

/// Every metric, in the order of the conventions table and of each point's values.
pub const METRICS: [MetricSpec; 45] = [
    MetricSpec {
        convention: "paper",
        metric: "l2",
        kind: MetricKind::Paper(Choices::PAPER_L2),
        higher_is_better: false,
        formula: "√Σ(P − T)² over the N genes most expressed in the control",
    },
    MetricSpec {
        convention: "paper",
        metric: "pearson_delta",
        kind: MetricKind::Paper(Choices::PAPER_PEARSON_DELTA),
        higher_is_better: true,
        formula: "cor(P − c, T − c) over the top N genes, c the observed control",
    },
    MetricSpec {
        convention: "paper",
        metric: "pearson",
        kind: MetricKind::Paper(Choices::PAPER_PEARSON),
        higher_is_better: true,
        formula: "cor(P, T) over the top N genes",
    },
    MetricSpec {
        convention: "gears",
        metric: "mse",
        kind: MetricKind::Point(point(All, Observed, FromControl, Statistic::MeanSquared, NanRule::Skip)),
        higher_is_better: false,
        formula: "mean((P − T)²) over all genes",
    },
    MetricSpec {
        convention: "gears",
        metric: "pearson",
        kind: MetricKind::Point(point(All, Observed, FromControl, Statistic::Pearson, NanRule::Zero)),
        higher_is_better: true,
        formula: "cor(P, T) over all genes, NaN → 0",
    },
    MetricSpec {
        convention: "gears",
        metric: "pearson_delta",
        kind: MetricKind::Point(point(All, Observed, FromControl, Statistic::PearsonDelta, NanRule::Zero)),
        higher_is_better: true,
        formula: "cor(P − c, T − c) over all genes, c the observed control, NaN → 0",
    },
    MetricSpec {
        convention: "gears",
        metric: "mse_de",
        kind: MetricKind::Point(point(TopDe, Observed, FromControl, Statistic::MeanSquared, NanRule::Skip)),
        higher_is_better: false,
        formula: "mean((P − T)²) over the 20 genes with the largest |t| of the condition's cells against control",
    },
    MetricSpec {
        convention: "gears",
        metric: "pearson_de",
        kind: MetricKind::Point(point(TopDe, Observed, FromControl, Statistic::Pearson, NanRule::Zero)),
        higher_is_better: true,
        formula: "cor(P, T) over the top 20 DE genes, NaN → 0",
    },
    MetricSpec {
        convention: "gears",
        metric: "pearson_delta_de",
        kind: MetricKind::Point(point(TopDe, Observed, FromControl, Statistic::PearsonDelta, NanRule::Zero)),
        higher_is_better: true,
        formula: "cor(P − c, T − c) over the top 20 DE genes, NaN → 0",
    },
    MetricSpec {
        convention: "systema",
        metric: "corr_all",
        kind: MetricKind::Point(point(All, Observed, FromControl, Statistic::PearsonDelta, NanRule::Propagate)),
        higher_is_better: true,
        formula: "cor(T − c, P − c) over all genes, NaN kept",
    },
    MetricSpec {
        convention: "systema",
        metric: "corr_all_allpert",
        kind: MetricKind::Point(point(All, Observed, TrainingMean, Statistic::PearsonDelta, NanRule::Propagate)),
        higher_is_better: true,
        formula: "cor(T − μ, P − μ), μ the mean of the training perturbations' observed pseudobulks",
    },
    MetricSpec {
        convention: "systema",
        metric: "mse_all",
        kind: MetricKind::Point(point(All, Observed, FromControl, Statistic::MeanSquared, NanRule::Skip)),
        higher_is_better: false,
        formula: "mean((P − T)²) over all genes",
    },
    MetricSpec {
        convention: "systema",
        metric: "corr_20de",
        kind: MetricKind::Point(point(
            NonDropoutDe,
            Observed,
            FromControl,
            Statistic::PearsonDelta,
            NanRule::Propagate,
        )),
        higher_is_better: true,
        formula: "cor(T − c, P − c) over GEARS' non-dropout top 20 DE genes",
    },
    MetricSpec {
        convention: "systema",
        metric: "corr_20de_allpert",
        kind: MetricKind::Point(point(
            NonDropoutDe,
            Observed,
            TrainingMean,
            Statistic::PearsonDelta,
            NanRule::Propagate,
        )),
        higher_is_better: true,
        formula: "cor(T − μ, P − μ) over the non-dropout top 20 DE genes",
    },
    MetricSpec {
        convention: "systema",
        metric: "centroid_accuracy",
        kind: MetricKind::CentroidAccuracy,
        higher_is_better: true,
        formula: "share of the other non-control conditions q with ‖P − T_q‖ > ‖P − T_p‖ (all genes)",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: "pearson_delta",
        kind: MetricKind::Point(celleval(Own, Statistic::PearsonDelta)),
        higher_is_better: true,
        formula: "cor(P − ĉ, T − c) over all genes, ĉ the prediction's own control, float32",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: "mse",
        kind: MetricKind::Point(CELLEVAL_ERROR),
        higher_is_better: false,
        formula: "mean((P − T)²) over all genes, float32",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: "mae",
        kind: MetricKind::Point(Choices { statistic: Statistic::MeanAbsolute, ..CELLEVAL_ERROR }),
        higher_is_better: false,
        formula: "mean(|P − T|) over all genes, float32",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: "mse_delta",
        kind: MetricKind::Point(celleval(Own, Statistic::MeanSquaredDelta)),
        higher_is_better: false,
        formula: "mean(((P − ĉ) − (T − c))²), float32",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: "mae_delta",
        kind: MetricKind::Point(celleval(Own, Statistic::MeanAbsoluteDelta)),
        higher_is_better: false,
        formula: "mean(|(P − ĉ) − (T − c)|), float32",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: "discrimination_score_l1",
        kind: MetricKind::DiscriminationL1,
        higher_is_better: true,
        formula: "1 − rank/N of the true perturbation among all by Σ|(P − ĉ) − (T_q − c)|, the target gene left out",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: "discrimination_score_l2",
        kind: MetricKind::DiscriminationL2,
        higher_is_better: true,
        formula: "as discrimination_score_l1 with the Euclidean distance",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: "discrimination_score_cosine",
        kind: MetricKind::DiscriminationCosine,
        higher_is_better: true,
        formula: "as discrimination_score_l1 with the cosine distance 1 − u·v/(‖u‖‖v‖)",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[0],
        kind: MetricKind::CellEvalDe(0),
        higher_is_better: true,
        formula: "|L_real ∩ L_pred[:k]| / k, k = |L_real|: L = significant genes (fdr < 0.05) by |log2FC|, from each file's cells (VCC's DES)",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[1],
        kind: MetricKind::CellEvalDe(1),
        higher_is_better: true,
        formula: "as overlap_at_N with k = min(50, |L_real|)",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[2],
        kind: MetricKind::CellEvalDe(2),
        higher_is_better: true,
        formula: "as overlap_at_N with k = min(100, |L_real|)",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[3],
        kind: MetricKind::CellEvalDe(3),
        higher_is_better: true,
        formula: "as overlap_at_N with k = min(200, |L_real|)",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[4],
        kind: MetricKind::CellEvalDe(4),
        higher_is_better: true,
        formula: "as overlap_at_N with k = min(500, |L_real|)",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[5],
        kind: MetricKind::CellEvalDe(5),
        higher_is_better: true,
        formula: "|L_real[:k] ∩ L_pred[:k]| / k, k = |L_pred|",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[6],
        kind: MetricKind::CellEvalDe(6),
        higher_is_better: true,
        formula: "as precision_at_N with k = min(50, |L_pred|)",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[7],
        kind: MetricKind::CellEvalDe(7),
        higher_is_better: true,
        formula: "as precision_at_N with k = min(100, |L_pred|)",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[8],
        kind: MetricKind::CellEvalDe(8),
        higher_is_better: true,
        formula: "as precision_at_N with k = min(200, |L_pred|)",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[9],
        kind: MetricKind::CellEvalDe(9),
        higher_is_better: true,
        formula: "as precision_at_N with k = min(500, |L_pred|)",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[10],
        kind: MetricKind::CellEvalDe(10),
        higher_is_better: true,
        formula: "Spearman of the numbers of significant genes, data vs prediction, over the points scored together (one value)",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[11],
        kind: MetricKind::CellEvalDe(11),
        higher_is_better: true,
        formula: "share of the data's significant genes whose log2FC has the predicted sign",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[12],
        kind: MetricKind::CellEvalDe(12),
        higher_is_better: true,
        formula: "Spearman of log2FC, data vs prediction, over the data's significant genes",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[13],
        kind: MetricKind::CellEvalDe(13),
        higher_is_better: true,
        formula: "|Sig_real ∩ Sig_pred| / |Sig_real|",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[14],
        kind: MetricKind::CellEvalDe(14),
        higher_is_better: true,
        formula: "number of significant genes in the data (not a score)",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[15],
        kind: MetricKind::CellEvalDe(15),
        higher_is_better: true,
        formula: "number of significant genes in the prediction (not a score)",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[16],
        kind: MetricKind::CellEvalDe(16),
        higher_is_better: true,
        formula: "average precision of −log10(fdr_pred) for the data's significant genes",
    },
    MetricSpec {
        convention: "cell-eval",
        metric: DE_METRICS[17],
        kind: MetricKind::CellEvalDe(17),
        higher_is_better: true,
        formula: "ROC AUC of −log10(fdr_pred) for the data's significant genes",
    },
    MetricSpec {
        convention: "perturbench",
        metric: "rmse_average",
        kind: MetricKind::Point(point(All, Observed, FromControl, Statistic::RootMeanSquared, NanRule::Skip)),
        higher_is_better: false,
        formula: "√mean((P − T)²) over all genes",
    },
    MetricSpec {
        convention: "perturbench",
        metric: "cosine_logfc",
        kind: MetricKind::Point(point(All, Own, FromControl, Statistic::CosineLogFoldChange, NanRule::Skip)),
        higher_is_better: true,
        formula: "cos(log2(P + 0.1) − log2(ĉ + 0.1), log2(T + 0.1) − log2(c + 0.1))",
    },
    MetricSpec {
        convention: "perturbench",
        metric: "rmse_rank_average",
        kind: MetricKind::RankRmse,
        higher_is_better: false,
        formula: "rank of P_q among the predictions by RMSE to T_q, / (n − 1); 0 best, 0.5 random",
    },
    MetricSpec {
        convention: "perturbench",
        metric: "cosine_rank_logfc",
        kind: MetricKind::RankCosineLogFoldChange,
        higher_is_better: false,
        formula: "rank of P_q among the predictions by cosine_logfc to T_q (descending), / (n − 1)",
    },
];

/// The position of a metric in [`METRICS`].
pub fn metric_index(convention: &str, metric: &str) -> Option<usize> {
    METRICS.iter().position(|spec| spec.convention == convention && spec.metric == metric)
}

/// Above this many points in one seed, the pairwise metrics wait for a request.
pub const PAIRWISE_POINTS_LIMIT: usize = 1000;

/// A metric as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricInfo {
    pub convention: String,
    pub metric: String,
    pub formula: String,
    pub higher_is_better: bool,
    /// Tool, version and file.
    pub source: String,
}

/// One point's values, in the order of [`METRICS`] (`None`: undefined, or not computed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConventionPoint {
    pub seed: Option<u32>,
    pub method: String,
    pub perturbation: String,
    /// The perturbation's label as the data file writes it (cell-eval's `perturbation` column).
    pub label: String,
    pub split: SplitLabel,
    pub values: Vec<Option<f64>>,
}

/// A method's mean of each metric over its points (all seeds), by each metric's NaN rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MethodMeans {
    pub method: String,
    pub values: Vec<Option<f64>>,
    pub n: Vec<usize>,
}

/// Everything the Conventions panel shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConventionReport {
    pub dataset: String,
    pub metrics: Vec<MetricInfo>,
    pub points: Vec<ConventionPoint>,
    pub means: Vec<MethodMeans>,
    pub ladders: Vec<LadderRow>,
    pub celleval_scores: Vec<celleval::BaselineScore>,
    pub notices: Vec<Notice>,
    /// Whether the pairwise metrics were left for a request (more than [`PAIRWISE_POINTS_LIMIT`] points in
    /// a seed).
    pub pairwise_deferred: bool,
}

/// What [`score_conventions`] needs of a finished run.
pub struct ConventionInputs<'a> {
    pub dataset: &'a str,
    pub data: &'a ExpressionMatrix,
    /// The paper's gene set, most expressed first.
    pub gene_set: &'a [usize],
    pub splits: &'a [Split],
    /// The results table: the points, and the paper's values.
    pub rows: &'a [ResultRow],
    /// Compute the pairwise metrics whatever the number of points.
    pub pairwise_always: bool,
    /// GEARS' DE genes of each observed condition, when the data are cells (GEARS' `*_de`, Systema's `*_20de`).
    pub de_genes: Option<&'a DeGenes>,
    /// The data's DE (cells against control cells), when the data are cells and the pass ran.
    pub data_de: Option<&'a DeResults>,
    /// The DE of each prediction given as cells, by its file.
    pub prediction_de: &'a HashMap<String, DeResults>,
    /// The DE of `cell-eval baseline`'s cells (the `celleval_baseline` method).
    pub baseline_de: Option<&'a DeResults>,
}

/// Systema's μ for a split: the mean of the observed pseudobulks of its non-control training conditions,
/// condition after condition in the split's order; `None` without any (split `all`).
pub fn training_mean(data: &ExpressionMatrix, split: &Split) -> Option<Vec<f64>> {
    let perturbations: Vec<&Condition> = split
        .train()
        .into_iter()
        .filter(|&condition| *condition != Condition::Control && data.condition_position(condition).is_some())
        .collect();
    (!perturbations.is_empty()).then(|| crate::baselines::training_mean(data, &perturbations))
}

/// Scores every point of a run under every convention. `predictions_of(seed)` gives every method's
/// predictions for the split with `seed` (one split at a time is held).
pub fn score_conventions(
    inputs: &ConventionInputs<'_>,
    predictions_of: &mut dyn FnMut(Option<u32>) -> Result<Vec<MethodPredictions>, RunError>,
) -> Result<ConventionReport, RunError> {
    let data = inputs.data;
    let control = data.control().ok_or(RunError::NoControl)?;
    let mut notices = Vec::new();
    let ground_truth: Vec<usize> =
        (0..data.n_conditions()).filter(|&position| data.conditions()[position] != Condition::Control).collect();
    let position_of: HashMap<String, usize> =
        data.conditions().iter().enumerate().map(|(position, condition)| (condition.name(), position)).collect();
    // PerturBench's log2(x + 0.1) of every observed profile, once.
    let log_observed = data.by_condition().mapv(log2_shifted);
    let log_control = log2_shifted_all(control);
    let mut points: Vec<ConventionPoint> = Vec::with_capacity(inputs.rows.len());
    let mut ladder_values: HashMap<(String, usize, usize), Vec<Option<f64>>> = HashMap::new();
    let mut control_shift: HashMap<String, f64> = HashMap::new();
    let mut pairwise_deferred = false;
    let mut without_own_control: Vec<String> = Vec::new();
    let mut without_training_mean = false;
    // The methods given as cells (with a DE of their own), and the data's DE of each observed condition.
    let mut with_cells: Vec<String> = Vec::new();
    let data_de_of = |position: usize| inputs.data_de.and_then(|de| de.conditions.get(position)?.as_ref());
    let index_of = |name: &str| metric_index("cell-eval", name).expect("a cell-eval DE metric");
    if inputs.de_genes.is_none() {
        notices.push(Notice::info(
            None,
            "gears: mse_de, pearson_de, pearson_delta_de and systema: corr_20de, corr_20de_allpert need the data's \
             cells (the 20 genes most differentially expressed against the control cells): give the data as an \
             h5ad file of cells for them",
        ));
    }
    // Systema's centroids over the genes of the last group (every gene, unless a prediction lacks some).
    let mut truth: Option<Truth> = None;
    // The observation side of the last group (the same for every method scored on the same points).
    let mut real: Option<Rc<Observations>> = None;
    let defer_of = |split: &Split| {
        !inputs.pairwise_always
            && split.evaluated().len() > PAIRWISE_POINTS_LIMIT
            && METRICS.iter().any(|spec| spec.kind.is_pairwise())
    };
    let shared = shared_distances(
        inputs,
        &defer_of,
        &position_of,
        &ground_truth,
        &log_observed,
        &log_control,
        predictions_of,
        &mut truth,
        &mut real,
    )?;
    // For predictions that are the same under every split: per (method, observed condition), the values
    // computed under an earlier split (all but those with Systema's μ).
    type Known = Vec<(Choices, Option<f64>)>;
    let mut known: HashMap<(String, usize), Known> = HashMap::new();
    // Every ladder's rungs after the first (the first is the paper's value, from the results table).
    let ladder_rungs: Vec<(usize, usize, Choices)> = LADDERS
        .iter()
        .enumerate()
        .flat_map(|(ladder, definition)| {
            definition
                .rung_choices()
                .into_iter()
                .enumerate()
                .skip(1)
                .map(move |(rung, choices)| (ladder, rung, choices))
        })
        .collect();

    for split in inputs.splits {
        let seed = split.seed;
        let mu = training_mean(data, split);
        if mu.is_none() && !without_training_mean {
            without_training_mean = true;
            notices.push(Notice::info(
                None,
                "systema: corr_all_allpert is undefined under split `all`: μ is the mean of the training \
                 perturbations, and there are none",
            ));
        }
        let rows_here: Vec<&ResultRow> = inputs.rows.iter().filter(|row| row.seed == seed).collect();
        if rows_here.is_empty() {
            continue;
        }
        let defer = defer_of(split);
        pairwise_deferred |= defer;
        for method in predictions_of(seed)? {
            let rows: Vec<&ResultRow> = rows_here.iter().copied().filter(|row| row.method == method.method).collect();
            if rows.is_empty() {
                continue;
            }
            if method.file.is_some() && method.own_control.is_none() && !without_own_control.contains(&method.method) {
                without_own_control.push(method.method.clone());
            }
            let own = method.own_control.as_deref().unwrap_or(control);
            let method_de = match &method.file {
                Some(file) => inputs.prediction_de.get(file),
                None if method.method == Baseline::CellEvalBaseline.method_name() => inputs.baseline_de,
                None => None,
            };
            if method_de.is_some() && !with_cells.contains(&method.method) {
                with_cells.push(method.method.clone());
            }
            let columns: HashMap<String, &[f64]> =
                method.predicted.iter().map(|(condition, values)| (condition.name(), values.as_slice())).collect();
            let mut predicted = Vec::with_capacity(rows.len());
            let mut observed = Vec::with_capacity(rows.len());
            for row in &rows {
                let (Some(&column), Some(&position)) =
                    (columns.get(&row.perturbation), position_of.get(&row.perturbation))
                else {
                    return Err(RunError::NotInData(row.perturbation.clone()));
                };
                predicted.push(column);
                observed.push(position);
            }
            let genes = genes_predicted(own, &predicted);
            control_shift.entry(method.method.clone()).or_insert_with(|| {
                genes.iter().map(|&gene| (own[gene] - control[gene]).abs()).sum::<f64>() / genes.len().max(1) as f64
            });
            let log_own = log2_shifted_all(own);
            let known_of =
                |position: usize| known.get(&(method.method.clone(), position)).filter(|_| method.same_in_every_split);
            // This method's distances measured once for every split, when over the same genes.
            let measured = shared.get(&method.method).filter(|measured| measured.genes == genes);
            // log2(P + 0.1) of the points that need it (the pairwise metrics when not measured yet, the
            // per-point values not known yet): those taken for the measurement shared by every split, or
            // computed here; a prediction equal to the one before (`mean` and `no_change` predict one vector
            // for every perturbation) shares its logs.
            let shared_logs: Vec<Option<&[f64]>> = observed
                .iter()
                .map(|position| {
                    measured
                        .and_then(|measured| measured.row_of.get(position).map(|&row| measured.logs[row].as_slice()))
                })
                .collect();
            let mut first_of_logs: Vec<usize> = Vec::new();
            let mut log_of_point: Vec<Option<usize>> = Vec::with_capacity(predicted.len());
            for (at, column) in predicted.iter().enumerate() {
                let needed =
                    ((!defer && measured.is_none()) || known_of(observed[at]).is_none()) && shared_logs[at].is_none();
                let same_as_before = at > 0 && log_of_point[at - 1].is_some() && identical(predicted[at - 1], column);
                if needed && !same_as_before {
                    first_of_logs.push(at);
                }
                log_of_point.push((needed || same_as_before).then(|| first_of_logs.len() - 1));
            }
            let distinct_logs = crate::parallel::map(&first_of_logs, |&at| log2_shifted_all(predicted[at]));
            let log_predicted: Vec<Option<&[f64]>> = log_of_point
                .iter()
                .zip(&shared_logs)
                .map(|(index, shared)| shared.or(index.map(|index| distinct_logs[index].as_slice())))
                .collect();
            let pairwise = (!defer).then(|| {
                let dropped_gene: Vec<Option<usize>> =
                    observed.iter().map(|&position| data.gene_position(&data.label(position))).collect();
                if !truth.as_ref().is_some_and(|truth| truth.covers(&genes)) {
                    truth = Some(Truth::new(data, &ground_truth, &genes));
                }
                let truth = truth.as_ref().expect("just made");
                if let Some(measured) = measured {
                    let group = Group {
                        row: observed.iter().map(|position| measured.row_of[position]).collect(),
                        column: measured.real.columns(&observed),
                        observed: observed.clone(),
                        dropped_gene,
                    };
                    return score_group(truth, &measured.real, &measured.distances, &group);
                }
                if !real.as_ref().is_some_and(|real| real.covers(&observed, &genes)) {
                    let mut kept = real.iter().chain(shared.values().map(|measured| &measured.real));
                    real = Some(Rc::new(match kept.find(|real| real.contains(&observed, &genes)) {
                        Some(all) => all.select(&observed),
                        None => Observations::new(data, control, log_observed.view(), &log_control, &observed, &genes),
                    }));
                }
                let real = real.as_ref().expect("just made");
                let first = first_identical(&predicted, &genes);
                let distinct: Vec<usize> = (0..predicted.len()).filter(|&at| first[at] == at).collect();
                let row: HashMap<usize, usize> = distinct.iter().enumerate().map(|(row, &at)| (at, row)).collect();
                let to_measure = Predicted {
                    vectors: distinct.iter().map(|&at| predicted[at]).collect(),
                    logs: distinct.iter().map(|&at| log_predicted[at].expect("computed for every point")).collect(),
                    own_control: own,
                    log_own: &log_own,
                    genes: &genes,
                    needs_centroid: vec![true; distinct.len()],
                };
                let dropped: Vec<usize> = dropped_gene.iter().flatten().copied().collect();
                let distances = Distances::new(truth, real, &dropped, &to_measure);
                let group = Group {
                    row: first.iter().map(|at| row[at]).collect(),
                    column: real.columns(&observed),
                    observed: observed.clone(),
                    dropped_gene,
                };
                score_group(truth, real, &distances, &group)
            });
            // Each point alone (at once on every core natively): its values, its ladder rungs and, for a
            // prediction the same under every split, what it learned for the next splits.
            let score_point = |&at: &usize| {
                let row = rows[at];
                let vectors = PointVectors {
                    predicted: predicted[at],
                    observed: data.column(observed[at]),
                    control,
                    own_control: own,
                    training_mean: mu.as_deref(),
                    top_genes: inputs.gene_set,
                    all_genes: &genes,
                    de_genes: inputs.de_genes.map(|de| de.top[observed[at]].as_slice()),
                    non_dropout_genes: inputs.de_genes.map(|de| de.non_dropout[observed[at]].as_slice()),
                };
                let logs = log_predicted[at].map(|predicted| LogVectors {
                    predicted,
                    observed: log_observed.row(observed[at]).to_slice().unwrap_or(&[]),
                    control: &log_control,
                    own_control: &log_own,
                });
                let mut scorer = match known_of(observed[at]) {
                    Some(values) => PointScorer::with_known(&vectors, logs.as_ref(), values),
                    None => PointScorer::new(&vectors, logs.as_ref()),
                };
                let de_values =
                    match (data_de_of(observed[at]), method_de.and_then(|de| de.conditions[observed[at]].as_ref())) {
                        (Some(real), Some(pred)) => Some(point_metrics(real, pred)),
                        _ => None,
                    };
                let values: Vec<Option<f64>> = METRICS
                    .iter()
                    .map(|spec| match spec.kind {
                        MetricKind::Paper(_) => match spec.metric {
                            "l2" => Some(row.l2),
                            "pearson_delta" => row.pearson_delta,
                            _ => row.pearson,
                        },
                        MetricKind::Point(choices) => scorer.evaluate(&choices),
                        MetricKind::CellEvalDe(index) => de_values.and_then(|values| values[index]),
                        kind => pairwise.as_ref().and_then(|scores| {
                            let column = match kind {
                                MetricKind::DiscriminationL1 => &scores.discrimination_l1,
                                MetricKind::DiscriminationL2 => &scores.discrimination_l2,
                                MetricKind::DiscriminationCosine => &scores.discrimination_cosine,
                                MetricKind::RankRmse => &scores.rank_rmse,
                                MetricKind::RankCosineLogFoldChange => &scores.rank_cosine_logfc,
                                _ => &scores.centroid_accuracy,
                            };
                            column[at]
                        }),
                    })
                    .collect();
                let rungs: Vec<Option<f64>> =
                    ladder_rungs.iter().map(|(_, _, choices)| scorer.evaluate(choices)).collect();
                let learned =
                    (method.same_in_every_split && known_of(observed[at]).is_none()).then(|| scorer.known().to_vec());
                (values, rungs, learned)
            };
            let at: Vec<usize> = (0..rows.len()).collect();
            let first_point = points.len();
            for (at, (values, rungs, learned)) in crate::parallel::map(&at, score_point).into_iter().enumerate() {
                for (&(ladder, rung, _), value) in ladder_rungs.iter().zip(rungs) {
                    ladder_values.entry((method.method.clone(), ladder, rung)).or_default().push(value);
                }
                if let Some(learned) = learned {
                    known.insert((method.method.clone(), observed[at]), learned);
                }
                points.push(ConventionPoint {
                    seed,
                    method: method.method.clone(),
                    perturbation: rows[at].perturbation.clone(),
                    label: data.label(observed[at]),
                    split: rows[at].split,
                    values,
                });
            }
            // cell-eval's `de_spearman_sig`: one value for the points scored together, on each of them.
            if method_de.is_some() && inputs.data_de.is_some() {
                let [real, pred, spearman] = [NSIG_REAL, NSIG_PRED, SPEARMAN_SIG].map(|at| index_of(DE_METRICS[at]));
                let counts: Vec<(f64, f64)> = points[first_point..]
                    .iter()
                    .filter_map(|point| Some((point.values[real]?, point.values[pred]?)))
                    .collect();
                let value = spearman_sig(&counts);
                for point in &mut points[first_point..] {
                    if point.values[real].is_some() {
                        point.values[spearman] = Some(value);
                    }
                }
            }
        }
    }
    if inputs.data_de.is_some() {
        let without: Vec<String> =
            method_order(inputs.rows).into_iter().filter(|method| !with_cells.contains(method)).collect();
        if !without.is_empty() {
            notices.push(Notice::info(
                None,
                format!(
                    "cell-eval's DE metrics (overlap_at_N, precision_at_N, de_*, pr_auc, roc_auc) need a prediction \
                     given as cells with its own control cells: not computed for {}",
                    without.join(", ")
                ),
            ));
        }
    }
    if pairwise_deferred {
        notices.push(Notice::info(
            None,
            format!(
                "more than {PAIRWISE_POINTS_LIMIT} points in a seed: the discrimination scores, PerturBench's ranks \
                 and Systema's centroid accuracy (O(points²)) are computed on request"
            ),
        ));
    }
    for method in &without_own_control {
        notices.push(Notice::warning(
            None,
            format!(
                "{method}: the prediction has no control condition of its own, so cell-eval's and PerturBench's \
                 changes are taken from the observed control: these numbers are then not cell-eval's"
            ),
        ));
    }
    let methods = method_order(inputs.rows);
    let means = methods
        .iter()
        .map(|method| {
            let mine: Vec<&ConventionPoint> = points.iter().filter(|point| &point.method == method).collect();
            let (values, n) = METRICS
                .iter()
                .enumerate()
                .map(|(index, spec)| mean_of(mine.iter().map(|point| point.values[index]), spec.kind.nan_rule()))
                .unzip();
            MethodMeans { method: method.clone(), values, n }
        })
        .collect::<Vec<_>>();
    let ladders = ladder::ladder_rows(inputs, &methods, &means, &ladder_values, &control_shift);
    let celleval_scores = celleval::baseline_scores(&means);
    Ok(ConventionReport {
        dataset: inputs.dataset.to_string(),
        metrics: metric_infos(),
        points,
        means,
        ladders,
        celleval_scores,
        notices,
        pairwise_deferred,
    })
}

/// The genes (the data's indices, in order) every vector predicts and the own control has (not NaN), read
/// vector by vector in order rather than gene by gene across them.
fn genes_predicted(own: &[f64], vectors: &[impl AsRef<[f64]>]) -> Vec<usize> {
    let mut has_gene: Vec<bool> = own.iter().map(|value| !value.is_nan()).collect();
    for vector in vectors {
        has_gene.iter_mut().zip(vector.as_ref()).for_each(|(has, value)| *has &= !value.is_nan());
    }
    (0..has_gene.len()).filter(|&gene| has_gene[gene]).collect()
}

/// One method's distances measured once for every split (its predictions are the same under each).
struct Measured {
    /// The genes every one of its predictions has.
    genes: Vec<usize>,
    /// The row of the [`Distances`] of each observed position it predicts.
    row_of: HashMap<usize, usize>,
    /// log2(P + 0.1) of each row's prediction.
    logs: Vec<Vec<f64>>,
    real: Rc<Observations>,
    distances: Distances,
}

/// The distances of the methods whose predictions are the same under every split, each measured once over
/// all the points it has in the splits whose pairwise metrics are computed now (a split's group ranks from
/// them, rather than measuring its points again: every pair of points shares most of its work across
/// splits). Reads every split's predictions once, keeping only those methods' distinct vectors.
#[allow(clippy::too_many_arguments)]
fn shared_distances<'a>(
    inputs: &ConventionInputs<'a>,
    defer_of: &dyn Fn(&Split) -> bool,
    position_of: &HashMap<String, usize>,
    ground_truth: &[usize],
    log_observed: &ndarray::Array2<f64>,
    log_control: &[f64],
    predictions_of: &mut dyn FnMut(Option<u32>) -> Result<Vec<MethodPredictions>, RunError>,
    truth: &mut Option<Truth<'a>>,
    real: &mut Option<Rc<Observations>>,
) -> Result<HashMap<String, Measured>, RunError> {
    let data = inputs.data;
    let control = data.control().ok_or(RunError::NoControl)?;
    // Per method: its own control, its distinct vectors, and the vector of each observed position.
    type Collected = (Option<Vec<f64>>, Vec<Vec<f64>>, HashMap<usize, usize>);
    let mut collected: Vec<(String, Collected)> = Vec::new();
    let splits: Vec<&Split> = inputs.splits.iter().filter(|split| !defer_of(split)).collect();
    if splits.len() < 2 {
        // One split: nothing to share.
        return Ok(HashMap::new());
    }
    for split in splits {
        let rows: Vec<&ResultRow> = inputs.rows.iter().filter(|row| row.seed == split.seed).collect();
        if rows.is_empty() {
            continue;
        }
        for method in predictions_of(split.seed)?.into_iter().filter(|method| method.same_in_every_split) {
            let at = match collected.iter().position(|(name, _)| *name == method.method) {
                Some(at) => at,
                None => {
                    collected.push((method.method.clone(), (method.own_control.clone(), Vec::new(), HashMap::new())));
                    collected.len() - 1
                }
            };
            let (_, vectors, vector_of) = &mut collected[at].1;
            let columns: HashMap<String, &Vec<f64>> =
                method.predicted.iter().map(|(condition, values)| (condition.name(), values)).collect();
            for row in rows.iter().filter(|row| row.method == method.method) {
                let (Some(column), Some(&position)) =
                    (columns.get(&row.perturbation), position_of.get(&row.perturbation))
                else {
                    return Err(RunError::NotInData(row.perturbation.clone()));
                };
                if vector_of.contains_key(&position) {
                    continue;
                }
                let same = vectors.iter().position(|vector| identical(vector, column));
                let index = same.unwrap_or_else(|| {
                    vectors.push(column.to_vec());
                    vectors.len() - 1
                });
                vector_of.insert(position, index);
            }
        }
    }
    let mut measured = HashMap::new();
    for (method, (own_control, vectors, vector_of)) in collected {
        let own = own_control.as_deref().unwrap_or(control);
        let genes = genes_predicted(own, &vectors);
        let mut positions: Vec<usize> = vector_of.keys().copied().collect();
        positions.sort_unstable();
        if !truth.as_ref().is_some_and(|truth| truth.covers(&genes)) {
            *truth = Some(Truth::new(data, ground_truth, &genes));
        }
        if !real.as_ref().is_some_and(|real| real.covers(&positions, &genes)) {
            *real =
                Some(Rc::new(Observations::new(data, control, log_observed.view(), log_control, &positions, &genes)));
        }
        let logs: Vec<Vec<f64>> = crate::parallel::map(&vectors, |vector| log2_shifted_all(vector));
        let log_own = log2_shifted_all(own);
        let dropped: Vec<usize> =
            positions.iter().filter_map(|&position| data.gene_position(&data.label(position))).collect();
        let to_measure = Predicted {
            vectors: vectors.iter().map(Vec::as_slice).collect(),
            logs: logs.iter().map(Vec::as_slice).collect(),
            own_control: own,
            log_own: &log_own,
            genes: &genes,
            needs_centroid: vec![true; vectors.len()],
        };
        let real = real.clone().expect("just made");
        let distances = Distances::new(truth.as_ref().expect("just made"), &real, &dropped, &to_measure);
        measured.insert(method, Measured { genes, row_of: vector_of, logs, real, distances });
    }
    Ok(measured)
}

impl ConventionReport {
    /// The report without its points, as the page shows it (the points stay with the kept run, which
    /// exports them).
    pub fn without_points(&self) -> ConventionReport {
        ConventionReport { points: Vec::new(), ..self.clone() }
    }

    /// One metric's value at every point, per method in the order of [`ConventionReport::means`] (`None`: no
    /// such metric).
    pub fn metric_values(&self, convention: &str, metric: &str) -> Option<MetricValues> {
        let index = metric_index(convention, metric)?;
        let methods: Vec<String> = self.means.iter().map(|means| means.method.clone()).collect();
        let mut values = vec![Vec::new(); methods.len()];
        let mut labels = vec![Vec::new(); methods.len()];
        let mut undefined = vec![0; methods.len()];
        for point in &self.points {
            let Some(at) = methods.iter().position(|method| method == &point.method) else { continue };
            match point.values[index] {
                Some(value) if value.is_finite() => {
                    values[at].push(value);
                    labels[at].push(crate::plots::point_label(&point.perturbation, point.seed));
                }
                _ => undefined[at] += 1,
            }
        }
        Some(MetricValues { info: self.metrics[index].clone(), methods, values, labels, undefined })
    }
}

/// One metric's values at every point of each method, for a plot of their distributions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricValues {
    pub info: MetricInfo,
    pub methods: Vec<String>,
    /// Each method's finite values, in the order of its points (seed, then perturbation).
    pub values: Vec<Vec<f64>>,
    /// Each value's point, named for hovering (`A+B, seed 1`).
    #[serde(default)]
    pub labels: Vec<Vec<String>>,
    /// How many of each method's points have no finite value (undefined there, or not computed).
    pub undefined: Vec<usize>,
}

/// Methods in the order the results table first names them.
fn method_order(rows: &[ResultRow]) -> Vec<String> {
    let mut methods: Vec<String> = Vec::new();
    for row in rows {
        if !methods.contains(&row.method) {
            methods.push(row.method.clone());
        }
    }
    methods
}

/// [`METRICS`] as the page shows them.
pub fn metric_infos() -> Vec<MetricInfo> {
    METRICS
        .iter()
        .map(|spec| {
            let convention = CONVENTIONS.iter().find(|convention| convention.id == spec.convention);
            MetricInfo {
                convention: spec.convention.to_string(),
                metric: spec.metric.to_string(),
                formula: spec.formula.to_string(),
                higher_is_better: spec.higher_is_better,
                source: convention
                    .map(|convention| format!("{} {}, {}", convention.tool, convention.version, convention.source))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The header of `conventions.csv`.
pub const CONVENTIONS_HEADER: [&str; 8] =
    ["dataset", "seed", "method", "perturbation", "split", "convention", "metric", "value"];

/// `conventions.csv`: one row per point, convention and metric; an empty value when undefined.
pub fn write_conventions_csv(report: &ConventionReport) -> String {
    write_conventions_csv_of(report, &|_| true)
}

/// [`write_conventions_csv`] with the rows of the conventions `keep` accepts (by id) only.
pub fn write_conventions_csv_of(report: &ConventionReport, keep: &dyn Fn(&str) -> bool) -> String {
    write_csv(
        &CONVENTIONS_HEADER,
        report.points.iter().flat_map(|point| {
            METRICS.iter().zip(&point.values).filter(|(spec, _)| keep(spec.convention)).map(move |(spec, value)| {
                vec![
                    report.dataset.clone(),
                    point.seed.map(|seed| seed.to_string()).unwrap_or_default(),
                    point.method.clone(),
                    point.perturbation.clone(),
                    point.split.as_str().to_string(),
                    spec.convention.to_string(),
                    spec.metric.to_string(),
                    value.map(|value| value.to_string()).unwrap_or_default(),
                ]
            })
        }),
    )
}
