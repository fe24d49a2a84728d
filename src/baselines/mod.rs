//! The deliberately simple baselines (METHODS §3), all on the log-normalised pseudobulk scale:
//! `no_change`, `additive` (doubles), `mean` and the `linear` model ([`linear_model`]).
//!
//! ```
//! use perturb_check::baselines::additive;
//! use perturb_check::conditions::Condition;
//! use perturb_check::expression::ExpressionMatrix;
//! let single = |gene: &str| Condition::Single(gene.into());
//! let double = Condition::Double("A".into(), "B".into());
//! let data = ExpressionMatrix::new(vec!["G".into()],
//!     vec![Condition::Control, single("A"), single("B"), double.clone()], vec![1.0, 3.0, 0.5, 9.0]);
//! let predicted = additive(&data, &[&double]);
//! assert_eq!(predicted.column(&double), Some(&[2.5][..])); // c + (A − c) + (B − c)
//! ```

pub mod linear_model;
pub mod reference;

use crate::conditions::{Condition, ConditionKind};
use crate::error::LinearModelError;
use crate::expression::ExpressionMatrix;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

/// A built-in baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Baseline {
    NoChange,
    Additive,
    Mean,
    Linear,
    /// cell-eval's baseline (`cell-eval baseline`): every perturbation predicted as the unweighted mean of all
    /// the data's pseudobulks, the control included. Run under split `all` only, where `mean` is the control
    /// alone (under a seeded split it would equal `mean`).
    CellEvalBaseline,
    /// The linear model with its perturbation embedding `P` from a reference dataset's PCA (the paper's
    /// K562 → RPE1 model); joins every run that has a reference file.
    LinearReference,
    /// The same with the gene embedding `G` from the reference's PCA too, over the shared genes.
    LinearReferenceGenes,
}

impl Baseline {
    pub const ALL: [Baseline; 7] = [
        Baseline::NoChange,
        Baseline::Additive,
        Baseline::Mean,
        Baseline::Linear,
        Baseline::CellEvalBaseline,
        Baseline::LinearReference,
        Baseline::LinearReferenceGenes,
    ];

    /// The baseline a result's method name denotes (a variant of the linear model, `linear(gene=…)`, is the
    /// linear model); `None` for an uploaded method.
    pub fn of_method(method: &str) -> Option<Baseline> {
        if method.starts_with("linear(") {
            return Some(Baseline::Linear);
        }
        Baseline::ALL.into_iter().find(|baseline| baseline.method_name() == method)
    }

    /// The method name in results (`no_change`, `additive`, `mean`, `linear`).
    pub fn method_name(self) -> &'static str {
        match self {
            Baseline::NoChange => "no_change",
            Baseline::Additive => "additive",
            Baseline::Mean => "mean",
            Baseline::Linear => "linear",
            Baseline::CellEvalBaseline => "celleval_baseline",
            Baseline::LinearReference => "linear_reference",
            Baseline::LinearReferenceGenes => "linear_reference_genes",
        }
    }
}

/// A baseline's predictions over all the data's genes, in f64. A NaN value marks a gene the method does not
/// predict (the linear model with an embedding that lacks the gene); such genes are left out of the metrics.
#[derive(Clone, Debug, Default)]
pub struct BaselinePredictions {
    pub predicted: Vec<(Condition, Vec<f64>)>,
    /// Conditions the method cannot predict, with the reason.
    pub not_predicted: Vec<(Condition, String)>,
}

impl BaselinePredictions {
    pub fn column(&self, condition: &Condition) -> Option<&[f64]> {
        self.predicted.iter().find(|(other, _)| other.same_as(condition)).map(|(_, values)| values.as_slice())
    }
}

fn control_f64(data: &ExpressionMatrix) -> Vec<f64> {
    data.control().map(|control| control.to_vec()).unwrap_or_default()
}

/// Predicts the control for every condition.
pub fn no_change(data: &ExpressionMatrix, targets: &[&Condition]) -> BaselinePredictions {
    let control = control_f64(data);
    BaselinePredictions {
        predicted: targets.iter().map(|&condition| (condition.clone(), control.clone())).collect(),
        not_predicted: vec![],
    }
}

/// `c + (m_A − c) + (m_B − c)` for each double whose two singles were measured.
pub fn additive(data: &ExpressionMatrix, targets: &[&Condition]) -> BaselinePredictions {
    let control = control_f64(data);
    let mut output = BaselinePredictions::default();
    for &condition in targets {
        let Some((first, second)) = condition.singles() else {
            output
                .not_predicted
                .push((condition.clone(), "the additive model predicts double perturbations only".into()));
            continue;
        };
        match (data.column_of(&first), data.column_of(&second)) {
            (Some(a), Some(b)) => {
                let values = control.iter().zip(a.iter().zip(b)).map(|(c, (&a, &b))| a + b - c).collect();
                output.predicted.push((condition.clone(), values));
            }
            (a, b) => {
                let missing: Vec<String> = [(a, first), (b, second)]
                    .into_iter()
                    .filter(|(column, _)| column.is_none())
                    .map(|(_, single)| single.name())
                    .collect();
                output
                    .not_predicted
                    .push((condition.clone(), format!("single(s) not measured: {}", missing.join(", "))));
            }
        }
    }
    output
}

/// The unweighted mean of the training pseudobulks (`ctrl` included) for every condition.
pub fn mean(data: &ExpressionMatrix, train: &[&Condition], targets: &[&Condition]) -> BaselinePredictions {
    FittedBaseline::Mean(training_mean(data, train)).predict(data, targets)
}

/// Per gene, the mean of the training pseudobulks. Each gene's sum adds the conditions one after another in
/// training order (as numpy's reference does; ndarray's `sum`/`mean_axis` may reorder and move the last bits).
/// Also Systema's μ ([`crate::conventions::training_mean`]).
pub(crate) fn training_mean(data: &ExpressionMatrix, train: &[&Condition]) -> Vec<f64> {
    let by_condition = data.by_condition();
    let rows: Vec<usize> = train.iter().filter_map(|condition| data.condition_position(condition)).collect();
    let mut sums = Array1::<f64>::zeros(data.n_genes());
    for &row in &rows {
        sums += &by_condition.row(row);
    }
    (sums / rows.len().max(1) as f64).to_vec()
}

/// A baseline fitted on one split's training conditions, ready to predict any condition of the data: a run
/// keeps these, so that a later detail or export predicts again without fitting again.
#[derive(Clone, Debug)]
pub enum FittedBaseline {
    NoChange,
    Additive,
    /// The mean of the training pseudobulks, per gene.
    Mean(Vec<f64>),
    Linear(Box<linear_model::FittedLinear>),
}

thread_local! {
    /// Baselines fitted on this thread (read by tests that check a follow-up fits nothing).
    static FITS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many baselines have been fitted on this thread so far.
pub fn fits_so_far() -> usize {
    FITS.with(std::cell::Cell::get)
}

impl FittedBaseline {
    /// Fits `baseline` on `train`. Errors say why it cannot be fitted (only the linear model can fail).
    pub fn fit(
        baseline: Baseline,
        data: &ExpressionMatrix,
        train: &[&Condition],
        linear: &linear_model::LinearModelSettings,
        uploaded: linear_model::UploadedEmbeddings<'_>,
        reference: Option<&reference::ReferenceEmbeddings>,
    ) -> Result<FittedBaseline, LinearModelError> {
        FITS.with(|fits| fits.set(fits.get() + 1));
        Ok(match baseline {
            Baseline::NoChange => FittedBaseline::NoChange,
            Baseline::Additive => FittedBaseline::Additive,
            Baseline::Mean => FittedBaseline::Mean(training_mean(data, train)),
            // Every condition of the data, whatever the split: what `cell-eval baseline` builds from the file.
            Baseline::CellEvalBaseline => {
                let all: Vec<&Condition> = data.conditions().iter().collect();
                FittedBaseline::Mean(training_mean(data, &all))
            }
            Baseline::Linear => {
                FittedBaseline::Linear(Box::new(linear_model::fit_linear(data, train, linear, uploaded)?))
            }
            Baseline::LinearReference | Baseline::LinearReferenceGenes => {
                let reference = reference.ok_or(LinearModelError::NoReference)?;
                let with_genes = baseline == Baseline::LinearReferenceGenes;
                let settings = linear_model::LinearModelSettings {
                    gene_embedding: if with_genes {
                        linear_model::EmbeddingSource::Uploaded
                    } else {
                        linear_model::EmbeddingSource::TrainingPca
                    },
                    perturbation_embedding: linear_model::EmbeddingSource::Uploaded,
                    ..linear.clone()
                };
                let embeddings = linear_model::UploadedEmbeddings {
                    genes: if with_genes {
                        Some(reference.genes.as_ref().ok_or(LinearModelError::GeneEmbeddingSharesNoGene)?)
                    } else {
                        None
                    },
                    perturbations: Some(&reference.perturbations),
                };
                FittedBaseline::Linear(Box::new(linear_model::fit_linear(data, train, &settings, embeddings)?))
            }
        })
    }

    /// Predicts `targets`, conditions of the data it was fitted on.
    pub fn predict(&self, data: &ExpressionMatrix, targets: &[&Condition]) -> BaselinePredictions {
        match self {
            FittedBaseline::NoChange => no_change(data, targets),
            FittedBaseline::Additive => additive(data, targets),
            FittedBaseline::Mean(means) => BaselinePredictions {
                predicted: targets.iter().map(|&condition| (condition.clone(), means.clone())).collect(),
                not_predicted: vec![],
            },
            FittedBaseline::Linear(fitted) => fitted.predict(data, targets),
        }
    }
}

/// Whether a baseline applies to a condition kind at all (the additive model to doubles only).
pub fn applies_to(baseline: Baseline, kind: ConditionKind) -> bool {
    !(baseline == Baseline::Additive && kind != ConditionKind::Double)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> ExpressionMatrix {
        let single = |gene: &str| Condition::Single(gene.into());
        ExpressionMatrix::new(
            vec!["G1".into(), "G2".into()],
            vec![Condition::Control, single("A"), single("B"), Condition::Double("B".into(), "A".into())],
            vec![1.0, 2.0, 2.0, 2.0, 0.0, 4.0, 9.0, 9.0],
        )
    }

    #[test]
    fn additive_uses_both_singles_in_any_order_and_reports_missing_ones() {
        let double = Condition::Double("B".into(), "A".into());
        let unknown = Condition::Double("A".into(), "Z".into());
        let predicted = additive(&data(), &[&double, &unknown]);
        assert_eq!(predicted.column(&double), Some(&[1.0, 4.0][..]));
        assert_eq!(predicted.not_predicted, [(unknown, "single(s) not measured: Z+ctrl".to_string())]);
    }

    #[test]
    fn mean_includes_the_control_column() {
        let data = data();
        let train = [&Condition::Control, &Condition::Single("A".into())];
        let target = Condition::Single("B".into());
        let predicted = mean(&data, &train, &[&target]);
        assert_eq!(predicted.column(&target), Some(&[1.5, 2.0][..]));
    }

    #[test]
    fn celleval_baseline_is_the_mean_of_every_condition_whatever_the_training_set() {
        let data = data();
        let target = Condition::Single("B".into());
        let fit = FittedBaseline::fit(
            Baseline::CellEvalBaseline,
            &data,
            &[&Condition::Control],
            &linear_model::LinearModelSettings::default(),
            linear_model::UploadedEmbeddings::default(),
            None,
        )
        .unwrap();
        // (1 + 2 + 0 + 9) / 4 and (2 + 2 + 4 + 9) / 4.
        assert_eq!(fit.predict(&data, &[&target]).column(&target), Some(&[3.0, 4.25][..]));
    }

    #[test]
    fn no_change_predicts_the_control() {
        let target = Condition::Single("B".into());
        assert_eq!(no_change(&data(), &[&target]).column(&target), Some(&[1.0, 2.0][..]));
    }
}
