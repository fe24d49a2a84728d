//! Runs the benchmark: chooses it from the data, draws the splits, runs the baselines, scores them and the
//! uploaded predictions on the most expressed genes, and returns the results table with everything that
//! was skipped and why. The page's worker calls [`run_benchmark`] with a progress callback that can cancel.
//!
//! **Which benchmark** (unless the settings say): the double benchmark with the paper's split (seeds 1–5)
//! when the data hold at least 2 doubles; the unseen-single benchmark with GEARS' split (seeds 1–2) when
//! there are no doubles and at least 4 singles; otherwise every non-control condition is evaluated as `all`.

use crate::baselines::linear_model::{LinearModelSettings, UploadedEmbeddings};
use crate::baselines::reference::reference_embeddings;
use crate::baselines::{Baseline, BaselinePredictions, FittedBaseline};
use crate::conditions::{Condition, ConditionKind};
use crate::error::{Notice, RunError};
use crate::expression::{preview, ExpressionMatrix};
use crate::interactions::{InteractionInputs, MeasuredPairs, MethodPairs};
use crate::metrics::{cumulative_l2, score, top_expressed_genes, PerturbationMetrics};
use crate::predictions::Prediction;
use crate::results_table::ResultRow;
use crate::splits::{all_split, double_split, unseen_single_split, Split, SplitLabel};
use serde::{Deserialize, Serialize};

/// The kind of benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BenchmarkKind {
    /// Double perturbations (Norman 2019 style): the paper's split, seeds 1–5.
    Double,
    /// Unseen single perturbations (Adamson / Replogle style): GEARS' simulation split, seeds 1–2.
    UnseenSingle,
    /// No split: every non-control condition is evaluated.
    All,
}

impl BenchmarkKind {
    /// The benchmark the data call for (see the module documentation).
    pub fn detect(data: &ExpressionMatrix) -> BenchmarkKind {
        let count = |kind| data.conditions().iter().filter(|condition| condition.kind() == kind).count();
        let (singles, doubles) = (count(ConditionKind::Single), count(ConditionKind::Double));
        if doubles >= 2 {
            BenchmarkKind::Double
        } else if doubles == 0 && singles >= 4 {
            BenchmarkKind::UnseenSingle
        } else {
            BenchmarkKind::All
        }
    }

    /// The paper's seeds for this benchmark.
    pub fn paper_seeds(self) -> Vec<u32> {
        match self {
            BenchmarkKind::Double => (1..=5).collect(),
            BenchmarkKind::UnseenSingle => vec![1, 2],
            BenchmarkKind::All => vec![],
        }
    }

    /// The baselines run by default.
    pub fn default_baselines(self) -> Vec<Baseline> {
        match self {
            BenchmarkKind::Double => vec![Baseline::NoChange, Baseline::Additive, Baseline::Mean],
            BenchmarkKind::UnseenSingle => vec![Baseline::NoChange, Baseline::Mean, Baseline::Linear],
            BenchmarkKind::All => vec![Baseline::NoChange, Baseline::Additive],
        }
    }

    /// The baseline the L2 ratio is taken against: `additive` for doubles, `mean` for singles (no change
    /// when that one predicts nothing).
    pub fn reference_baseline(self) -> Baseline {
        match self {
            BenchmarkKind::Double | BenchmarkKind::All => Baseline::Additive,
            BenchmarkKind::UnseenSingle => Baseline::Mean,
        }
    }
}

/// Which split to evaluate on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SplitChoice {
    /// The benchmark's random split with these seeds.
    Seeds(Vec<u32>),
    /// The uploaded split (given in [`BenchmarkInputs::uploaded_split`]).
    Uploaded,
    /// No split: every non-control condition as `all`.
    All,
}

/// Everything a user can set. `None` means "the paper's default for this data".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkSettings {
    pub kind: Option<BenchmarkKind>,
    pub split: Option<SplitChoice>,
    /// N, the number of most expressed genes the metrics use.
    pub n_genes: usize,
    pub baselines: Option<Vec<Baseline>>,
    pub linear: LinearModelSettings,
}

impl Default for BenchmarkSettings {
    fn default() -> Self {
        BenchmarkSettings {
            kind: None,
            split: None,
            n_genes: 1000,
            baselines: None,
            linear: LinearModelSettings::default(),
        }
    }
}

/// The inputs of a run.
pub struct BenchmarkInputs<'a> {
    /// The data file's name without extensions (the `dataset` column).
    pub dataset: &'a str,
    pub data: &'a ExpressionMatrix,
    pub predictions: &'a [Prediction],
    pub uploaded_split: Option<&'a Split>,
    pub embeddings: UploadedEmbeddings<'a>,
    /// A reference dataset (the same kind of screen in another context): `linear_reference` joins the run.
    pub reference: Option<&'a ExpressionMatrix>,
}

/// A condition a method did not predict, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotPredicted {
    pub method: String,
    pub seed: Option<u32>,
    pub perturbation: String,
    pub reason: String,
}

/// The error as a function of the number of genes, for one method: the mean over its scored points of
/// `sqrt(cumsum((p − o)²))` with genes in order of control expression (METHODS §4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorCurve {
    pub method: String,
    /// Entry `i` is the mean error over the `i + 1` most expressed genes.
    pub mean_cumulative_l2: Vec<f64>,
    /// The points averaged (those predicted on every gene of the set).
    pub n: usize,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct BenchmarkResult {
    pub kind: BenchmarkKind,
    pub splits: Vec<Split>,
    /// Indices (into the data's genes) of the genes the metrics use, most expressed first.
    pub gene_set: Vec<usize>,
    /// Method names in the order they were run: baselines, then uploads.
    pub methods: Vec<String>,
    /// The method the L2 ratio is taken against, when it was run.
    pub reference: Option<String>,
    pub rows: Vec<ResultRow>,
    /// One per method that has points predicted on the whole gene set, in method order.
    pub error_curves: Vec<ErrorCurve>,
    pub not_predicted: Vec<NotPredicted>,
    pub notices: Vec<Notice>,
    /// The interaction scores and every method's predictions of them (not the additive model's), when the
    /// data hold doubles with both singles measured.
    pub interactions: Option<InteractionInputs>,
    /// The baselines as fitted, for follow-ups ([`condition_detail`], [`baseline_predictions`]).
    pub fitted: FittedRun,
}

/// A baseline's method name and its fit.
type NamedFit = (String, FittedBaseline);

/// What a run fitted: its splits and, per split, each of its baselines fitted on that split's training
/// conditions. Follow-ups predict from these and fit nothing.
#[derive(Clone, Debug)]
pub struct FittedRun {
    splits: Vec<Split>,
    /// Per split, in the order of `splits`: each baseline's method name and fit, in the plan's order.
    baselines: Vec<Vec<NamedFit>>,
    /// Indices (into the data's genes) of the genes the metrics use, most expressed first.
    gene_set: Vec<usize>,
}

impl FittedRun {
    /// The run's splits.
    pub fn splits(&self) -> &[Split] {
        &self.splits
    }

    /// The paper's gene set: indices of the data's genes, most expressed first.
    pub fn gene_set(&self) -> &[usize] {
        &self.gene_set
    }

    /// The split with `seed` and its fitted baselines.
    fn split(&self, seed: Option<u32>) -> Result<(&Split, &[NamedFit]), RunError> {
        let position =
            self.splits.iter().position(|split| split.seed == seed).ok_or(RunError::NoSplitWithSeed(seed))?;
        Ok((&self.splits[position], &self.baselines[position]))
    }
}

/// Where a run is, for a progress bar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub step: String,
    pub done: usize,
    pub total: usize,
}

/// The predictions of one method for one seed, whatever their source.
enum Source<'a> {
    Baseline(BaselinePredictions),
    Uploaded(&'a Prediction, &'a [Option<usize>]),
}

/// Scores one source on the evaluated conditions and appends rows.
struct Scorer<'a> {
    dataset: &'a str,
    data: &'a ExpressionMatrix,
    gene_set: &'a [usize],
    control: Vec<f64>,
    /// The double × gene pairs whose predictions are gathered for the interaction analysis.
    interactions: Option<&'a MeasuredPairs>,
}

/// What scoring produces, gathered over methods and seeds.
#[derive(Default)]
struct Scored {
    rows: Vec<ResultRow>,
    not_predicted: Vec<NotPredicted>,
    error_curves: Vec<ErrorCurve>,
    interaction_pairs: Vec<MethodPairs>,
}

/// A method's prediction for one condition, by the gene set's positions.
#[derive(Clone, Copy)]
enum PredictedColumn<'a> {
    /// A baseline's column, by the data's genes.
    Baseline(&'a [f64]),
    /// An uploaded column, by its own rows: the row of each gene-set position, if the file has that gene.
    Uploaded(&'a [f64], &'a [Option<usize>]),
}

impl PredictedColumn<'_> {
    /// The prediction for the gene at `position` of the gene set (data index `gene`).
    #[inline]
    fn at(self, position: usize, gene: usize) -> Option<f64> {
        match self {
            PredictedColumn::Baseline(column) => Some(column[gene]),
            PredictedColumn::Uploaded(column, rows_of_gene_set) => rows_of_gene_set[position].map(|row| column[row]),
        }
    }
}

impl Scorer<'_> {
    /// Scores `condition`; `predicted.at(position, gene)` gives the prediction for the gene at `position` of the
    /// gene set (data index `gene`), `None` or NaN when the method lacks it.
    fn score_condition(
        &self,
        condition: &Condition,
        predicted: PredictedColumn<'_>,
    ) -> Option<(PerturbationMetrics, Option<Vec<f64>>)> {
        let observed = self.data.column_of(condition)?;
        let n = self.gene_set.len();
        let (mut p, mut o, mut c) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for (position, &gene) in self.gene_set.iter().enumerate() {
            if let Some(value) = predicted.at(position, gene).filter(|value| !value.is_nan()) {
                p.push(value);
                o.push(observed[gene]);
                c.push(self.control[position]);
            }
        }
        if p.is_empty() {
            return None;
        }
        let metrics = score(&p, &o, &c);
        let curve = (p.len() == self.gene_set.len()).then(|| cumulative_l2(&p, &o));
        Some((metrics, curve))
    }

    fn score(
        &self,
        method: &str,
        seed: Option<u32>,
        source: &Source<'_>,
        evaluated: &[(&Condition, SplitLabel)],
        scored_so_far: &mut Scored,
    ) {
        // The additive model's interaction score is 0 by construction: it is not scored on interactions.
        let mut pairs = self.interactions.filter(|_| method != Baseline::Additive.method_name()).map(|_| MethodPairs {
            method: method.to_string(),
            seed,
            ..Default::default()
        });
        for &(condition, split) in evaluated {
            let predicted: Option<PredictedColumn<'_>> = match source {
                Source::Baseline(predictions) => predictions.column(condition).map(PredictedColumn::Baseline),
                Source::Uploaded(prediction, rows_of_gene_set) => prediction
                    .matrix
                    .condition_position(condition)
                    .map(|position| PredictedColumn::Uploaded(prediction.matrix.column(position), rows_of_gene_set)),
            };
            if let (Some(predicted), Some(pairs), Some(scores)) = (&predicted, pairs.as_mut(), self.interactions) {
                if let Some(double) = scores.double_position(condition) {
                    for (position, &gene) in self.gene_set.iter().enumerate() {
                        if let Some(value) = predicted.at(position, gene).filter(|value| !value.is_nan()) {
                            pairs.pairs.push(scores.pair(double, position) as u32);
                            pairs.predicted.push(value);
                        }
                    }
                }
            }
            match predicted.and_then(|predicted| self.score_condition(condition, predicted)) {
                Some((metrics, curve)) => {
                    scored_so_far.rows.push(ResultRow {
                        dataset: self.dataset.to_string(),
                        seed,
                        method: method.to_string(),
                        perturbation: condition.name(),
                        split,
                        l2: metrics.l2,
                        pearson_delta: metrics.pearson_delta,
                        pearson: metrics.pearson,
                        n_genes: metrics.n_genes,
                    });
                    if let Some(curve) = curve {
                        add_to_curve(&mut scored_so_far.error_curves, method, &curve);
                    }
                }
                None => {
                    let reason = match source {
                        Source::Baseline(predictions) => predictions
                            .not_predicted
                            .iter()
                            .find(|(other, _)| other == condition)
                            .map(|(_, reason)| reason.clone())
                            .unwrap_or_else(|| "not predicted".into()),
                        Source::Uploaded(..) => "not in the prediction file".into(),
                    };
                    scored_so_far.not_predicted.push(NotPredicted {
                        method: method.to_string(),
                        seed,
                        perturbation: condition.name(),
                        reason,
                    });
                }
            }
        }
        if let Some(pairs) = pairs.filter(|pairs| !pairs.pairs.is_empty()) {
            scored_so_far.interaction_pairs.push(pairs);
        }
    }
}

/// What a run will do: the benchmark, its splits and the baselines that apply.
struct Plan {
    kind: BenchmarkKind,
    splits: Vec<Split>,
    baselines: Vec<Baseline>,
}

fn plan(inputs: &BenchmarkInputs<'_>, settings: &BenchmarkSettings) -> Result<Plan, RunError> {
    let data = inputs.data;
    let kind = settings.kind.unwrap_or_else(|| BenchmarkKind::detect(data));
    let split_choice = split_choice(settings, data, inputs.uploaded_split.is_some());
    let splits: Vec<Split> = match &split_choice {
        SplitChoice::All => vec![all_split(data.conditions())],
        SplitChoice::Uploaded => vec![inputs.uploaded_split.cloned().ok_or(RunError::NoUploadedSplit)?],
        SplitChoice::Seeds(seeds) if seeds.is_empty() => {
            return Err(RunError::NoSeeds);
        }
        SplitChoice::Seeds(seeds) => seeds
            .iter()
            .map(|&seed| match kind {
                BenchmarkKind::Double => double_split(data.conditions(), seed),
                BenchmarkKind::UnseenSingle => unseen_single_split(data.conditions(), seed),
                BenchmarkKind::All => all_split(data.conditions()),
            })
            .collect(),
    };
    if splits.iter().all(|split| split.evaluated().is_empty()) {
        return Err(RunError::NothingToEvaluate);
    }
    let mut baselines = settings.baselines.clone().unwrap_or_else(|| kind.default_baselines());
    // Under `all` the app's `mean` is the control alone; cell-eval's baseline is the mean of every condition.
    if split_choice == SplitChoice::All && !baselines.contains(&Baseline::CellEvalBaseline) {
        baselines.push(Baseline::CellEvalBaseline);
    }
    // A reference file brings the linear model with the reference's embeddings (no setting needed).
    if inputs.reference.is_some() {
        for baseline in [Baseline::LinearReference, Baseline::LinearReferenceGenes] {
            if !baselines.contains(&baseline) {
                baselines.push(baseline);
            }
        }
    }
    let has_doubles = data.conditions().iter().any(|condition| condition.kind() == ConditionKind::Double);
    if !has_doubles {
        baselines.retain(|&baseline| baseline != Baseline::Additive);
    }
    Ok(Plan { kind, splits, baselines })
}

/// A baseline's method name (the linear model's spells out a non-default variant).
fn baseline_name(baseline: Baseline, settings: &BenchmarkSettings) -> String {
    match baseline {
        Baseline::Linear => settings.linear.method_name(),
        other => other.method_name().to_string(),
    }
}

/// Runs the benchmark. `on_progress` is called before each step. (A run is stopped by stopping its worker or
/// process: the page restarts the worker.)
pub fn run_benchmark(
    inputs: &BenchmarkInputs<'_>,
    settings: &BenchmarkSettings,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<BenchmarkResult, RunError> {
    let data = inputs.data;
    let control = data.control().ok_or(RunError::NoControl)?;
    let Plan { kind, splits, baselines } = plan(inputs, settings)?;
    let mut notices = Vec::new();
    let mut methods: Vec<String> = baselines.iter().map(|&baseline| baseline_name(baseline, settings)).collect();
    methods.extend(inputs.predictions.iter().map(|prediction| prediction.method.clone()));
    methods.dedup();

    let reference =
        inputs.reference.map(|reference| reference_embeddings(reference, data.genes(), settings.linear.components));
    let gene_set = top_expressed_genes(control, settings.n_genes);
    if gene_set.len() < settings.n_genes {
        notices.push(Notice::info(
            None,
            format!("the data have {} genes, fewer than N = {}: all genes are used", gene_set.len(), settings.n_genes),
        ));
    }
    let interaction_scores = MeasuredPairs::new(data, &gene_set).filter(|scores| !scores.doubles.is_empty());
    let scorer = Scorer {
        dataset: inputs.dataset,
        data,
        gene_set: &gene_set,
        control: gene_set.iter().map(|&gene| control[gene]).collect(),
        interactions: interaction_scores.as_ref(),
    };
    // Each uploaded prediction's rows for the gene set, computed once.
    let alignments: Vec<Vec<Option<usize>>> = inputs
        .predictions
        .iter()
        .map(|prediction| gene_set.iter().map(|&gene| prediction.genes.row(gene)).collect())
        .collect();
    for (prediction, alignment) in inputs.predictions.iter().zip(&alignments) {
        let missing = alignment.iter().filter(|row| row.is_none()).count();
        if missing > 0 {
            notices.push(Notice::warning(
                Some(&prediction.file),
                format!(
                    "{missing} of the {} genes used for the metrics are missing from this prediction; it is scored on \
                     the other {}",
                    gene_set.len(),
                    gene_set.len() - missing
                ),
            ));
        }
    }

    let total = splits.len() * (baselines.len() + inputs.predictions.len());
    let mut done = 0;
    let mut scored = Scored::default();
    let mut fitted = Vec::with_capacity(splits.len());
    for split in &splits {
        let seed = split.seed;
        let train = split.train();
        let evaluated = split.evaluated();
        let targets: Vec<&Condition> = evaluated.iter().map(|(condition, _)| *condition).collect();
        let seed_label = seed.map_or(String::new(), |seed| format!(" (seed {seed})"));
        let mut fitted_here = Vec::with_capacity(baselines.len());
        for &baseline in &baselines {
            let method = baseline_name(baseline, settings);
            on_progress(&Progress { step: format!("{method}{seed_label}"), done, total });
            let fit =
                FittedBaseline::fit(baseline, data, &train, &settings.linear, inputs.embeddings, reference.as_ref())?;
            let source = Source::Baseline(fit.predict(data, &targets));
            scorer.score(&method, seed, &source, &evaluated, &mut scored);
            fitted_here.push((method, fit));
            done += 1;
        }
        fitted.push(fitted_here);
        for (prediction, alignment) in inputs.predictions.iter().zip(&alignments) {
            on_progress(&Progress { step: format!("{}{seed_label}", prediction.method), done, total });
            if prediction.scored_under(seed) {
                let source = Source::Uploaded(prediction, alignment);
                scorer.score(&prediction.method, seed, &source, &evaluated, &mut scored);
            }
            done += 1;
        }
    }
    let Scored { rows, not_predicted, mut error_curves, interaction_pairs } = scored;
    let interactions = match interaction_scores {
        Some(scores) => {
            on_progress(&Progress { step: "interactions".into(), done, total });
            Some(InteractionInputs::new(scores, interaction_pairs))
        }
        None => None,
    };
    on_progress(&Progress { step: "done".into(), done, total });
    // The paper's reference baseline, or no change when that predicted nothing here (doubles without singles).
    let reference = [kind.reference_baseline(), Baseline::NoChange]
        .into_iter()
        .map(Baseline::method_name)
        .find(|name| baselines.iter().any(|b| b.method_name() == *name) && rows.iter().any(|row| row.method == *name))
        .map(str::to_string);
    summarize_skips(&not_predicted, &mut notices);
    for curve in &mut error_curves {
        let n = curve.n as f64;
        curve.mean_cumulative_l2.iter_mut().for_each(|sum| *sum /= n);
    }
    let fitted = FittedRun { splits: splits.clone(), baselines: fitted, gene_set: gene_set.clone() };
    Ok(BenchmarkResult {
        fitted,
        kind,
        splits,
        gene_set,
        methods,
        reference,
        rows,
        error_curves,
        not_predicted,
        notices,
        interactions,
    })
}

/// Adds one point's curve to the method's running sum (divided into a mean at the end of the run).
fn add_to_curve(curves: &mut Vec<ErrorCurve>, method: &str, curve: &[f64]) {
    match curves.iter_mut().find(|existing| existing.method == method) {
        Some(existing) => {
            existing.mean_cumulative_l2.iter_mut().zip(curve).for_each(|(sum, value)| *sum += value);
            existing.n += 1;
        }
        None => curves.push(ErrorCurve { method: method.to_string(), mean_cumulative_l2: curve.to_vec(), n: 1 }),
    }
}

/// One notice per method for the conditions it did not predict.
fn summarize_skips(not_predicted: &[NotPredicted], notices: &mut Vec<Notice>) {
    let mut methods: Vec<&str> = Vec::new();
    for skip in not_predicted {
        if !methods.contains(&skip.method.as_str()) {
            methods.push(&skip.method);
        }
    }
    for method in methods {
        let perturbations: Vec<String> = not_predicted
            .iter()
            .filter(|skip| skip.method == method)
            .map(|skip| format!("{} ({})", skip.perturbation, skip.reason))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        notices.push(Notice::info(
            None,
            format!(
                "{method}: {} evaluated condition(s) not predicted: {}",
                perturbations.len(),
                preview(&perturbations)
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(doubles: usize, singles: usize) -> ExpressionMatrix {
        let mut conditions = vec![Condition::Control];
        conditions.extend((0..singles).map(|i| Condition::Single(format!("S{i}"))));
        conditions.extend((0..doubles).map(|i| Condition::Double(format!("D{i}"), format!("E{i}"))));
        let n = conditions.len();
        ExpressionMatrix::new(vec!["G1".into(), "G2".into()], conditions, (0..2 * n).map(|v| v as f64).collect())
    }

    #[test]
    fn the_benchmark_follows_the_data() {
        assert_eq!(BenchmarkKind::detect(&data(2, 0)), BenchmarkKind::Double);
        assert_eq!(BenchmarkKind::detect(&data(0, 4)), BenchmarkKind::UnseenSingle);
        assert_eq!(BenchmarkKind::detect(&data(0, 3)), BenchmarkKind::All);
        assert_eq!(BenchmarkKind::detect(&data(1, 10)), BenchmarkKind::All);
    }

    #[test]
    fn doubles_without_singles_get_no_additive_prediction_but_a_notice() {
        let data = data(8, 0);
        let inputs = BenchmarkInputs {
            dataset: "d",
            data: &data,
            predictions: &[],
            uploaded_split: None,
            embeddings: UploadedEmbeddings::default(),
            reference: None,
        };
        let result = run_benchmark(&inputs, &BenchmarkSettings::default(), &mut |_| {}).unwrap();
        assert!(result.rows.iter().all(|row| row.method != "additive"));
        assert!(result.rows.iter().any(|row| row.method == "no_change"));
        let notice = result.notices.iter().find(|notice| notice.message.starts_with("additive: ")).unwrap();
        assert!(notice.message.contains("(single(s) not measured: "), "{notice}");
        assert_eq!(result.rows.len(), 5 * 4 * 2, "5 seeds × 4 evaluated doubles × (no_change, mean)");
    }
}

/// Every method's predicted change for one evaluated condition of one split, over the gene set: what the
/// observed-vs-predicted plot shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionDetail {
    pub seed: Option<u32>,
    pub perturbation: String,
    /// The genes of the metrics, most expressed in the control first.
    pub genes: Vec<String>,
    /// `o − c` per gene.
    pub observed_change: Vec<f64>,
    /// Per method, `p − c` per gene (`None` where the method lacks the gene).
    pub predicted_change: Vec<(String, Vec<Option<f64>>)>,
}

/// The predicted and observed changes for `perturbation` (any spelling) under the split with `seed`, from
/// the baselines the run fitted.
pub fn condition_detail(
    inputs: &BenchmarkInputs<'_>,
    fitted: &FittedRun,
    seed: Option<u32>,
    perturbation: &Condition,
) -> Result<ConditionDetail, RunError> {
    let data = inputs.data;
    let control = data.control().ok_or(RunError::NoControl)?;
    let (_, baselines) = fitted.split(seed)?;
    let position = data.condition_position(perturbation).ok_or_else(|| RunError::NotInData(perturbation.name()))?;
    let condition = &data.conditions()[position];
    let observed = data.column(position);
    let gene_set = &fitted.gene_set;
    let change = |values: &dyn Fn(usize) -> Option<f64>| -> Vec<Option<f64>> {
        gene_set.iter().map(|&gene| values(gene).filter(|v| !v.is_nan()).map(|v| v - control[gene])).collect()
    };
    let mut predicted_change = Vec::new();
    for (method, fit) in baselines {
        let predictions = fit.predict(data, &[condition]);
        if let Some(column) = predictions.column(condition) {
            predicted_change.push((method.clone(), change(&|gene| Some(column[gene]))));
        }
    }
    for prediction in inputs.predictions.iter().filter(|prediction| prediction.scored_under(seed)) {
        if let Some(column) = prediction.matrix.column_of(condition) {
            predicted_change
                .push((prediction.method.clone(), change(&|gene| prediction.genes.row(gene).map(|row| column[row]))));
        }
    }
    Ok(ConditionDetail {
        seed,
        perturbation: condition.name(),
        genes: gene_set.iter().map(|&gene| data.genes()[gene].clone()).collect(),
        observed_change: gene_set.iter().map(|&gene| observed[gene] - control[gene]).collect(),
        predicted_change,
    })
}

/// The built-in baselines' predictions for the evaluated conditions of the split with `seed`, over all the
/// data's genes, for export in the paper's format, from the baselines the run fitted.
pub fn baseline_predictions(
    inputs: &BenchmarkInputs<'_>,
    fitted: &FittedRun,
    seed: Option<u32>,
) -> Result<Vec<(String, BaselinePredictions)>, RunError> {
    let (split, baselines) = fitted.split(seed)?;
    let targets: Vec<&Condition> = split.evaluated().into_iter().map(|(condition, _)| condition).collect();
    Ok(baselines.iter().map(|(method, fit)| (method.clone(), fit.predict(inputs.data, &targets))).collect())
}

/// One method's predictions of the evaluated conditions of one split, over all the data's genes (NaN where
/// the method lacks a gene), for the other tools' conventions.
#[derive(Clone, Debug)]
pub struct MethodPredictions {
    pub method: String,
    pub predicted: Vec<(Condition, Vec<f64>)>,
    /// The uploaded file's own control over the data's genes (NaN where it lacks a gene), when it has one.
    pub own_control: Option<Vec<f64>>,
    /// The uploaded file; `None` for a built-in baseline (whose control is the observed one).
    pub file: Option<String>,
    /// Whether each condition's prediction is the same under every split (an uploaded file, `no_change`, the
    /// additive model), so that what depends on the prediction alone is computed once per run.
    pub same_in_every_split: bool,
}

/// The split a run uses: the settings' choice, or by default `all` for data without a benchmark's structure,
/// an uploaded split when there is one, and the paper's seeds otherwise.
pub fn split_choice(settings: &BenchmarkSettings, data: &ExpressionMatrix, uploaded: bool) -> SplitChoice {
    let kind = settings.kind.unwrap_or_else(|| BenchmarkKind::detect(data));
    settings.split.clone().unwrap_or(match kind {
        BenchmarkKind::All => SplitChoice::All,
        _ if uploaded => SplitChoice::Uploaded,
        _ => SplitChoice::Seeds(kind.paper_seeds()),
    })
}

/// Every method's predictions for the split with `seed`, from the baselines the run fitted and the uploaded
/// files scored under it.
pub fn method_predictions(
    inputs: &BenchmarkInputs<'_>,
    fitted: &FittedRun,
    seed: Option<u32>,
) -> Result<Vec<MethodPredictions>, RunError> {
    let (split, _) = fitted.split(seed)?;
    let targets: Vec<&Condition> = split.evaluated().into_iter().map(|(condition, _)| condition).collect();
    let (_, baselines) = fitted.split(seed)?;
    let mut methods: Vec<MethodPredictions> = baselines
        .iter()
        .map(|(method, fit)| MethodPredictions {
            method: method.clone(),
            predicted: fit.predict(inputs.data, &targets).predicted,
            own_control: None,
            file: None,
            same_in_every_split: matches!(fit, FittedBaseline::NoChange | FittedBaseline::Additive),
        })
        .collect();
    let n_genes = inputs.data.n_genes();
    for prediction in inputs.predictions.iter().filter(|prediction| prediction.scored_under(seed)) {
        let over_data_genes = |column: &[f64]| -> Vec<f64> {
            (0..n_genes).map(|gene| prediction.genes.row(gene).map_or(f64::NAN, |row| column[row])).collect()
        };
        let predicted = crate::parallel::map(&targets, |&condition| {
            prediction.matrix.column_of(condition).map(|column| (condition.clone(), over_data_genes(column)))
        })
        .into_iter()
        .flatten()
        .collect();
        methods.push(MethodPredictions {
            method: prediction.method.clone(),
            predicted,
            own_control: prediction.matrix.control().map(over_data_genes),
            file: Some(prediction.file.clone()),
            same_in_every_split: true,
        });
    }
    Ok(methods)
}
