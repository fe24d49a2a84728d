//! Why numbers differ, measured: for each metric family, a ladder from the paper's convention to another
//! tool's that changes one choice per rung, with each method's mean after every rung. Rung 0 is the paper's
//! value (the results table's), the last rung the target metric's: its [`Choices`] are the target's
//! (checked by a test), scored by the same [`super::choices::evaluate`].

use super::choices::{mean_of, Choices, Control, Genes, NanRule, Precision, Reference, Statistic};
use super::{metric_index, ConventionInputs, MethodMeans};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One changed choice.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    Genes(Genes),
    Control(Control),
    Reference(Reference),
    Statistic(Statistic),
    Nan(NanRule),
    Precision(Precision),
}

impl Step {
    fn apply(self, choices: Choices) -> Choices {
        match self {
            Step::Genes(genes) => Choices { genes, ..choices },
            Step::Control(control) => Choices { control, ..choices },
            Step::Reference(reference) => Choices { reference, ..choices },
            Step::Statistic(statistic) => Choices { statistic, ..choices },
            Step::Nan(nan) => Choices { nan, ..choices },
            Step::Precision(precision) => Choices { precision, ..choices },
        }
    }
}

/// A ladder: from a paper metric to a target metric.
#[derive(Clone, Copy, Debug)]
pub struct LadderSpec {
    pub family: &'static str,
    /// The paper's metric it starts from.
    pub paper_metric: &'static str,
    pub target_convention: &'static str,
    pub target_metric: &'static str,
    pub steps: &'static [Step],
}

impl LadderSpec {
    /// The choices of every rung, rung 0 the paper's.
    pub fn rung_choices(&self) -> Vec<Choices> {
        let start = match self.paper_metric {
            "l2" => Choices::PAPER_L2,
            "pearson" => Choices::PAPER_PEARSON,
            _ => Choices::PAPER_PEARSON_DELTA,
        };
        let mut rungs = vec![start];
        for step in self.steps {
            let next = step.apply(*rungs.last().unwrap_or(&start));
            rungs.push(next);
        }
        rungs
    }
}

const ALL_GENES: Step = Step::Genes(Genes::All);

pub const LADDERS: [LadderSpec; 9] = [
    LadderSpec {
        family: "pearson_delta",
        paper_metric: "pearson_delta",
        target_convention: "gears",
        target_metric: "pearson_delta",
        steps: &[ALL_GENES, Step::Nan(NanRule::Zero)],
    },
    LadderSpec {
        family: "pearson_delta",
        paper_metric: "pearson_delta",
        target_convention: "systema",
        target_metric: "corr_all_allpert",
        steps: &[ALL_GENES, Step::Nan(NanRule::Propagate), Step::Reference(Reference::TrainingMean)],
    },
    LadderSpec {
        family: "pearson_delta",
        paper_metric: "pearson_delta",
        target_convention: "cell-eval",
        target_metric: "pearson_delta",
        steps: &[
            ALL_GENES,
            Step::Control(Control::Own),
            Step::Nan(NanRule::Propagate),
            Step::Precision(Precision::F32),
        ],
    },
    LadderSpec {
        family: "pearson_delta",
        paper_metric: "pearson_delta",
        target_convention: "perturbench",
        target_metric: "cosine_logfc",
        steps: &[ALL_GENES, Step::Control(Control::Own), Step::Statistic(Statistic::CosineLogFoldChange)],
    },
    LadderSpec {
        family: "pearson",
        paper_metric: "pearson",
        target_convention: "gears",
        target_metric: "pearson",
        steps: &[ALL_GENES, Step::Nan(NanRule::Zero)],
    },
    LadderSpec {
        family: "error",
        paper_metric: "l2",
        target_convention: "gears",
        target_metric: "mse",
        steps: &[ALL_GENES, Step::Statistic(Statistic::MeanSquared)],
    },
    LadderSpec {
        family: "error",
        paper_metric: "l2",
        target_convention: "systema",
        target_metric: "mse_all",
        steps: &[ALL_GENES, Step::Statistic(Statistic::MeanSquared)],
    },
    LadderSpec {
        family: "error",
        paper_metric: "l2",
        target_convention: "cell-eval",
        target_metric: "mae",
        steps: &[ALL_GENES, Step::Statistic(Statistic::MeanAbsolute), Step::Precision(Precision::F32)],
    },
    LadderSpec {
        family: "error",
        paper_metric: "l2",
        target_convention: "perturbench",
        target_metric: "rmse_average",
        steps: &[ALL_GENES, Step::Statistic(Statistic::MeanSquared), Step::Statistic(Statistic::RootMeanSquared)],
    },
];

/// One rung of one method's ladder (a row of `conventions_ladder.csv`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LadderRow {
    pub method: String,
    pub family: String,
    pub target_convention: String,
    pub target_metric: String,
    pub rung: usize,
    pub change: String,
    pub value_mean: Option<f64>,
    pub n: usize,
}

fn change_text(step: Step, inputs: &ConventionInputs<'_>, control_shift: f64) -> String {
    match step {
        Step::Genes(Genes::All) => {
            format!("gene set: the top {} genes → all {} genes", inputs.gene_set.len(), inputs.data.n_genes())
        }
        Step::Genes(Genes::TopExpressed) => "gene set: all genes → the top N".into(),
        Step::Genes(Genes::TopDe) => "gene set: → GEARS' top 20 DE genes of the condition".into(),
        Step::Genes(Genes::NonDropoutDe) => "gene set: → GEARS' non-dropout top 20 DE genes".into(),
        Step::Control(Control::Own) if control_shift > 0.0 => format!(
            "control: observed → the prediction's own (it differs from the observed one by {control_shift:.3} on \
             average over genes)"
        ),
        Step::Control(Control::Own) => "control: observed → the prediction's own (here the same)".into(),
        Step::Control(Control::Observed) => "control: the prediction's own → observed".into(),
        Step::Reference(Reference::TrainingMean) => {
            "reference: control → the mean of the training perturbations (Systema's μ)".into()
        }
        Step::Reference(Reference::Control) => "reference: → control".into(),
        Step::Statistic(Statistic::MeanSquared) => "error: √Σ(P − T)² → mean((P − T)²)".into(),
        Step::Statistic(Statistic::RootMeanSquared) => "error: mean((P − T)²) → √mean((P − T)²)".into(),
        Step::Statistic(Statistic::MeanAbsolute) => "error: √Σ(P − T)² → mean|P − T|".into(),
        Step::Statistic(Statistic::CosineLogFoldChange) => {
            "statistic: Pearson of changes → cosine of log2(x + 0.1) fold changes".into()
        }
        Step::Statistic(other) => format!("statistic: → {other:?}"),
        Step::Nan(NanRule::Zero) => "undefined correlations → 0".into(),
        Step::Nan(NanRule::Propagate) => "undefined values kept (a mean with one is undefined)".into(),
        Step::Nan(NanRule::Skip) => "undefined values left out".into(),
        Step::Precision(Precision::F32) => "precision: f64 → float32".into(),
        Step::Precision(Precision::F64) => "precision: → f64".into(),
    }
}

/// Every method's ladders. `values[(method, ladder, rung)]` are the rung's point values (rungs ≥ 1); rung 0
/// is the paper metric's mean from `means`.
pub(super) fn ladder_rows(
    inputs: &ConventionInputs<'_>,
    methods: &[String],
    means: &[MethodMeans],
    values: &HashMap<(String, usize, usize), Vec<Option<f64>>>,
    control_shift: &HashMap<String, f64>,
) -> Vec<LadderRow> {
    let mut rows = Vec::new();
    for method in methods {
        let Some(mine) = means.iter().find(|means| &means.method == method) else { continue };
        for (ladder, spec) in LADDERS.iter().enumerate() {
            let row = |rung: usize, change: String, (value_mean, n): (Option<f64>, usize)| LadderRow {
                method: method.clone(),
                family: spec.family.to_string(),
                target_convention: spec.target_convention.to_string(),
                target_metric: spec.target_metric.to_string(),
                rung,
                change,
                value_mean,
                n,
            };
            let paper = metric_index("paper", spec.paper_metric).unwrap_or(0);
            rows.push(row(0, format!("paper: {}", spec.paper_metric), (mine.values[paper], mine.n[paper])));
            let choices = spec.rung_choices();
            for (rung, step) in spec.steps.iter().enumerate().map(|(at, step)| (at + 1, *step)) {
                let points = values.get(&(method.clone(), ladder, rung)).map(Vec::as_slice).unwrap_or(&[]);
                let shift = control_shift.get(method).copied().unwrap_or(0.0);
                rows.push(row(
                    rung,
                    change_text(step, inputs, shift),
                    mean_of(points.iter().copied(), choices[rung].nan),
                ));
            }
        }
    }
    rows
}

/// The header of `conventions_ladder.csv`.
pub const LADDER_HEADER: [&str; 7] = ["method", "family", "target_convention", "rung", "change", "value_mean", "n"];

/// `conventions_ladder.csv`.
pub fn write_ladder_csv(rows: &[LadderRow]) -> String {
    crate::results_table::write_csv(
        &LADDER_HEADER,
        rows.iter().map(|row| {
            vec![
                row.method.clone(),
                row.family.clone(),
                row.target_convention.clone(),
                row.rung.to_string(),
                row.change.clone(),
                row.value_mean.map(|value| value.to_string()).unwrap_or_default(),
                row.n.to_string(),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::super::{MetricKind, METRICS};
    use super::*;

    #[test]
    fn every_ladder_ends_at_its_target_metric_and_changes_one_choice_per_rung() {
        for spec in &LADDERS {
            let rungs = spec.rung_choices();
            let target = METRICS
                .iter()
                .find(|metric| metric.convention == spec.target_convention && metric.metric == spec.target_metric)
                .unwrap();
            let MetricKind::Point(target_choices) = target.kind else {
                panic!("{} is not per point", spec.target_metric)
            };
            assert_eq!(*rungs.last().unwrap(), target_choices, "{} → {}", spec.family, spec.target_convention);
            for pair in rungs.windows(2) {
                assert_ne!(pair[0], pair[1], "a rung that changes nothing in {}", spec.target_convention);
            }
        }
    }
}
