//! The linear model on embeddings (METHODS §3), as the paper's code computes it:
//!
//! 1. `Y = X − c` over the training conditions that have an embedding (ctrl's column is 0), `b` = row means
//!    of `Y`, `Yc = Y − b 1ᵀ`.
//! 2. `G` (genes × K) = PCA scores of the training pseudobulk (genes are observations, conditions variables,
//!    each column centred over genes, no scaling), or an uploaded / random gene embedding.
//! 3. `P` (conditions × K): the row of `G` of each condition's target gene (ctrl: zeros), or an uploaded /
//!    random perturbation embedding. No embedding → left out of `Y`, and no prediction.
//! 4. `W = (GᵀG + λI)⁻¹ Gᵀ Yc P (PᵀP + λI)⁻¹` — this two-sided formula exactly; NaN entries → 0.
//! 5. `ŷ_q = G W p_q + b + c`.
//!
//! ```
//! use perturb_check::baselines::linear_model::linear_weights;
//! use faer::mat;
//! // With λ = 0 and invertible embeddings, W solves Yc = G W Pᵀ exactly.
//! let g = mat![[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]];
//! let p = mat![[1.0, 0.0], [0.0, 1.0]];
//! let w_true = mat![[0.5, -1.0], [2.0, 0.25]];
//! let yc = &g * &w_true * p.transpose();
//! let w = linear_weights(g.as_ref(), yc.as_ref(), p.as_ref(), 0.0);
//! assert!((&w - &w_true).norm_max() < 1e-12);
//! ```

use super::BaselinePredictions;
use crate::conditions::{canonicalize, Canonical, Condition, ConditionKey, ConditionRules};
use crate::error::LinearModelError;
use crate::expression::ExpressionMatrix;
use crate::linalg::{centre_columns, product, solve, truncated_svd};
use crate::numpy_random::LegacyRandomState;
use crate::readers::embedding::Embedding;
use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Where an embedding comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmbeddingSource {
    /// From the training data: PCA scores for genes; the target gene's row of `G` for perturbations.
    TrainingPca,
    /// From an uploaded table.
    Uploaded,
    /// N(0, 1) values from numpy's legacy generator with this seed (a control for the embeddings' value).
    Random { seed: u32 },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearModelSettings {
    /// K, the number of principal components (also the size of random embeddings).
    pub components: usize,
    /// λ, the ridge penalty.
    pub ridge: f64,
    pub gene_embedding: EmbeddingSource,
    pub perturbation_embedding: EmbeddingSource,
}

impl Default for LinearModelSettings {
    fn default() -> Self {
        LinearModelSettings {
            components: 10,
            ridge: 0.1,
            gene_embedding: EmbeddingSource::TrainingPca,
            perturbation_embedding: EmbeddingSource::TrainingPca,
        }
    }
}

impl LinearModelSettings {
    /// `linear` for the paper's default; otherwise the variant is spelled out, e.g.
    /// `linear(gene=uploaded;perturbation=random)`.
    pub fn method_name(&self) -> String {
        let describe = |source: EmbeddingSource| match source {
            EmbeddingSource::TrainingPca => "pca".to_string(),
            EmbeddingSource::Uploaded => "uploaded".to_string(),
            EmbeddingSource::Random { seed } => format!("random{seed}"),
        };
        if self.gene_embedding == EmbeddingSource::TrainingPca
            && self.perturbation_embedding == EmbeddingSource::TrainingPca
        {
            "linear".to_string()
        } else {
            format!(
                "linear(gene={};perturbation={})",
                describe(self.gene_embedding),
                describe(self.perturbation_embedding)
            )
        }
    }
}

/// `W = (GᵀG + λI)⁻¹ Gᵀ Yc P (PᵀP + λI)⁻¹`, with non-finite entries set to 0 (as the published code does).
/// Shapes: `g` genes × K, `yc` genes × conditions, `p` conditions × L; `W` is K × L.
pub fn linear_weights(g: MatRef<'_, f64>, yc: MatRef<'_, f64>, p: MatRef<'_, f64>, ridge: f64) -> Mat<f64> {
    let regularised = |gram: Mat<f64>| {
        Mat::from_fn(gram.nrows(), gram.ncols(), |i, j| gram[(i, j)] + if i == j { ridge } else { 0.0 })
    };
    let gene_gram = regularised(product(g.transpose(), g));
    let perturbation_gram = regularised(product(p.transpose(), p));
    let middle = product(product(g.transpose(), yc).as_ref(), p); // K × L
    let left = solve(gene_gram.as_ref(), middle.as_ref()); // (GᵀG + λI)⁻¹ Gᵀ Yc P
                                                           // left · (PᵀP + λI)⁻¹ = ((PᵀP + λI)⁻¹ leftᵀ)ᵀ, the Gram matrix being symmetric.
    let weights = solve(perturbation_gram.as_ref(), left.transpose()).transpose().to_owned();
    Mat::from_fn(
        weights.nrows(),
        weights.ncols(),
        |i, j| if weights[(i, j)].is_finite() { weights[(i, j)] } else { 0.0 },
    )
}

/// An uploaded perturbation embedding keyed by canonical condition.
pub fn perturbation_embedding_by_condition(
    embedding: &Embedding,
    rules: &ConditionRules,
) -> HashMap<ConditionKey, Vec<f64>> {
    let mut by_condition = HashMap::new();
    for (index, name) in embedding.names.iter().enumerate() {
        if let Canonical::Condition(condition) = canonicalize(name, rules) {
            by_condition.entry(condition.key()).or_insert_with(|| embedding.vector(index).to_vec());
        }
    }
    by_condition
}

/// What the linear model needs besides the data and the split.
#[derive(Clone, Copy, Default)]
pub struct UploadedEmbeddings<'a> {
    pub genes: Option<&'a Embedding>,
    pub perturbations: Option<&'a HashMap<ConditionKey, Vec<f64>>>,
}

/// Fits the linear model on `train` and predicts `targets` ([`fit_linear`], then [`FittedLinear::predict`]).
pub fn linear_model(
    data: &ExpressionMatrix,
    train: &[&Condition],
    targets: &[&Condition],
    settings: &LinearModelSettings,
    uploaded: UploadedEmbeddings<'_>,
) -> Result<BaselinePredictions, LinearModelError> {
    Ok(fit_linear(data, train, settings, uploaded)?.predict(data, targets))
}

/// The linear model fitted on one split's training conditions: `G`, `W`, the offsets `b`, and the
/// perturbation embedding of every condition of the data (or why it has none), so that any condition is
/// predicted later without fitting again.
#[derive(Clone, Debug)]
pub struct FittedLinear {
    /// The data's genes that have a gene embedding (rows of `g`).
    model_genes: Vec<usize>,
    g: Mat<f64>,
    weights: Mat<f64>,
    offsets: Vec<f64>,
    control: Vec<f64>,
    perturbation_dimensions: usize,
    /// Per condition key of the data: its embedding, or why it has none.
    embeddings: HashMap<ConditionKey, Result<Vec<f64>, String>>,
}

/// Fits the linear model on `train`. Errors say why the model cannot be fitted at all (e.g. an uploaded
/// embedding is required but missing).
pub fn fit_linear(
    data: &ExpressionMatrix,
    train: &[&Condition],
    settings: &LinearModelSettings,
    uploaded: UploadedEmbeddings<'_>,
) -> Result<FittedLinear, LinearModelError> {
    let control: Vec<f64> = data.control().ok_or(LinearModelError::NoControl)?.to_vec();
    let train_columns: Vec<(&Condition, &[f64])> =
        train.iter().filter_map(|&condition| data.column_of(condition).map(|column| (condition, column))).collect();

    // G, over the genes that have a gene embedding (all genes unless an uploaded table lacks some).
    let (model_genes, g): (Vec<usize>, Mat<f64>) = match settings.gene_embedding {
        EmbeddingSource::TrainingPca => {
            let n_genes = data.n_genes();
            let mut centred = Mat::from_fn(n_genes, train_columns.len(), |i, j| train_columns[j].1[i]);
            centre_columns(&mut centred);
            ((0..n_genes).collect(), truncated_svd(centred.as_ref(), settings.components).scores())
        }
        EmbeddingSource::Uploaded => {
            let embedding = uploaded.genes.ok_or(LinearModelError::NoGeneEmbedding)?;
            let positions: HashMap<&str, usize> =
                embedding.names.iter().enumerate().rev().map(|(index, name)| (name.as_str(), index)).collect();
            let rows: Vec<(usize, usize)> = data
                .genes()
                .iter()
                .enumerate()
                .filter_map(|(gene, name)| positions.get(name.as_str()).map(|&row| (gene, row)))
                .collect();
            if rows.is_empty() {
                return Err(LinearModelError::GeneEmbeddingSharesNoGene);
            }
            let g = Mat::from_fn(rows.len(), embedding.dimensions, |i, k| embedding.vector(rows[i].1)[k]);
            (rows.into_iter().map(|(gene, _)| gene).collect(), g)
        }
        EmbeddingSource::Random { seed } => {
            let mut random = LegacyRandomState::new(seed);
            // Row by row, like numpy's C-order `standard_normal((n_genes, K))`.
            let values: Vec<f64> =
                (0..data.n_genes() * settings.components).map(|_| random.standard_normal()).collect();
            let k = settings.components;
            ((0..data.n_genes()).collect(), Mat::from_fn(data.n_genes(), k, |i, j| values[i * k + j]))
        }
    };
    let model_row: HashMap<usize, usize> = model_genes.iter().enumerate().map(|(row, &gene)| (gene, row)).collect();

    // P: one embedding per condition, or none.
    let random_perturbations = match settings.perturbation_embedding {
        EmbeddingSource::Random { seed } => {
            let mut random = LegacyRandomState::new(seed);
            // Drawn in the order of the data's conditions, so every condition's vector is fixed by the seed.
            data.conditions()
                .iter()
                .map(|condition| {
                    (condition.key(), (0..settings.components).map(|_| random.standard_normal()).collect())
                })
                .collect::<HashMap<ConditionKey, Vec<f64>>>()
        }
        _ => HashMap::new(),
    };
    let perturbation_dimensions = match settings.perturbation_embedding {
        EmbeddingSource::TrainingPca => g.ncols(),
        EmbeddingSource::Random { .. } => settings.components,
        EmbeddingSource::Uploaded => {
            uploaded.perturbations.ok_or(LinearModelError::NoPerturbationEmbedding)?.values().next().map_or(0, Vec::len)
        }
    };
    let embed = |condition: &Condition| -> Result<Vec<f64>, String> {
        match settings.perturbation_embedding {
            EmbeddingSource::TrainingPca => match condition {
                Condition::Control => Ok(vec![0.0; g.ncols()]),
                Condition::Single(gene) => data
                    .gene_position(gene)
                    .and_then(|position| model_row.get(&position))
                    .map(|&row| (0..g.ncols()).map(|k| g[(row, k)]).collect())
                    .ok_or_else(|| format!("its target {gene} is not a measured gene (no embedding)")),
                Condition::Double(..) => Err("the linear model on PCA embeddings predicts single perturbations".into()),
            },
            EmbeddingSource::Uploaded => {
                let table = uploaded.perturbations.ok_or("no perturbation embedding was uploaded")?;
                match table.get(&condition.key()) {
                    Some(vector) => Ok(vector.clone()),
                    None if *condition == Condition::Control => Ok(vec![0.0; perturbation_dimensions]),
                    None => Err("it is not in the perturbation embedding (uploaded, or the reference's)".into()),
                }
            }
            EmbeddingSource::Random { .. } => match condition {
                Condition::Control => Ok(vec![0.0; perturbation_dimensions]),
                _ => {
                    random_perturbations.get(&condition.key()).cloned().ok_or_else(|| "no random embedding".to_string())
                }
            },
        }
    };

    // Y over the training conditions that have an embedding.
    let mut fitted: Vec<(&[f64], Vec<f64>)> = Vec::new();
    for &(condition, column) in &train_columns {
        if let Ok(vector) = embed(condition) {
            fitted.push((column, vector));
        }
    }
    let n_model_genes = model_genes.len();
    let mut y = Mat::from_fn(n_model_genes, fitted.len(), |i, j| {
        let gene = model_genes[i];
        fitted[j].0[gene] - control[gene]
    });
    let offsets: Vec<f64> =
        (0..n_model_genes).map(|i| (0..y.ncols()).map(|j| y[(i, j)]).sum::<f64>() / y.ncols().max(1) as f64).collect();
    for j in 0..y.ncols() {
        for (i, offset) in offsets.iter().enumerate() {
            y[(i, j)] -= offset;
        }
    }
    let p = Mat::from_fn(fitted.len(), perturbation_dimensions, |i, k| fitted[i].1.get(k).copied().unwrap_or(0.0));
    let weights = linear_weights(g.as_ref(), y.as_ref(), p.as_ref(), settings.ridge);

    let embeddings = data.conditions().iter().map(|condition| (condition.key(), embed(condition))).collect();
    Ok(FittedLinear { model_genes, g, weights, offsets, control, perturbation_dimensions, embeddings })
}

impl FittedLinear {
    /// Predicts `targets` (conditions of the data the model was fitted on).
    pub fn predict(&self, data: &ExpressionMatrix, targets: &[&Condition]) -> BaselinePredictions {
        let mut output = BaselinePredictions::default();
        for &condition in targets {
            let embedded = self.embeddings.get(&condition.key()).cloned().unwrap_or_else(|| {
                Err(format!("{} is not a condition of the data the model was fitted on", condition.name()))
            });
            match embedded {
                Ok(vector) if vector.len() == self.perturbation_dimensions => {
                    let embedding = Mat::from_fn(self.perturbation_dimensions, 1, |k, _| vector[k]);
                    let change = product(self.g.as_ref(), product(self.weights.as_ref(), embedding.as_ref()).as_ref());
                    let mut values = vec![f64::NAN; data.n_genes()];
                    for (row, &gene) in self.model_genes.iter().enumerate() {
                        values[gene] = change[(row, 0)] + self.offsets[row] + self.control[gene];
                    }
                    output.predicted.push((condition.clone(), values));
                }
                Ok(_) => output.not_predicted.push((condition.clone(), "its embedding has the wrong length".into())),
                Err(reason) => output.not_predicted.push((condition.clone(), reason)),
            }
        }
        output
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small dataset: 60 genes, ctrl + 12 singles whose targets are measured, + 1 unmeasured target.
    fn dataset() -> ExpressionMatrix {
        let mut random = LegacyRandomState::new(5);
        let genes: Vec<String> = (0..60).map(|i| format!("G{i}")).collect();
        let mut conditions = vec![Condition::Control];
        conditions.extend((0..12).map(|i| Condition::Single(format!("G{i}"))));
        conditions.push(Condition::Single("NOT_MEASURED".into()));
        let control: Vec<f64> = (0..60).map(|i| 1.0 + (i % 7) as f64).collect();
        let mut values = Vec::new();
        for (index, _) in conditions.iter().enumerate() {
            for level in &control {
                let effect = if index == 0 { 0.0 } else { 0.3 * random.standard_normal() };
                values.push(level + effect);
            }
        }
        ExpressionMatrix::new(genes, conditions, values)
    }

    fn split(data: &ExpressionMatrix) -> (Vec<&Condition>, Vec<&Condition>) {
        let train = data.conditions()[..10].iter().collect();
        let targets = data.conditions()[10..].iter().collect();
        (train, targets)
    }

    /// Least squares `min ‖Yc − G W Pᵀ‖` solved a second way: the Kronecker system `(P ⊗ G) vec(W) = vec(Yc)`
    /// by QR.
    fn least_squares_by_kronecker(g: &Mat<f64>, yc: &Mat<f64>, p: &Mat<f64>) -> Mat<f64> {
        use faer::linalg::solvers::SolveLstsq;
        let (n, k, m, l) = (g.nrows(), g.ncols(), p.nrows(), p.ncols());
        let design = Mat::from_fn(n * m, k * l, |row, column| {
            let (gene, condition) = (row % n, row / n);
            let (gk, pl) = (column % k, column / k);
            g[(gene, gk)] * p[(condition, pl)]
        });
        let target = Mat::from_fn(n * m, 1, |row, _| yc[(row % n, row / n)]);
        let solution = design.qr().solve_lstsq(target);
        Mat::from_fn(k, l, |i, j| solution[(j * k + i, 0)])
    }

    #[test]
    fn weights_at_vanishing_ridge_are_the_least_squares_solution() {
        let mut random = LegacyRandomState::new(11);
        let g = Mat::from_fn(40, 4, |_, _| random.standard_normal());
        let p = Mat::from_fn(9, 3, |_, _| random.standard_normal());
        let yc = Mat::from_fn(40, 9, |_, _| random.standard_normal());
        let expected = least_squares_by_kronecker(&g, &yc, &p);
        let weights = linear_weights(g.as_ref(), yc.as_ref(), p.as_ref(), 1e-12);
        assert!((&weights - &expected).norm_max() < 1e-9, "{:?}", (&weights - &expected).norm_max());
    }

    #[test]
    fn predictions_do_not_depend_on_the_sign_of_a_component() {
        let mut random = LegacyRandomState::new(2);
        let g = Mat::from_fn(30, 3, |_, _| random.standard_normal());
        let yc = Mat::from_fn(30, 8, |_, _| random.standard_normal());
        let p = Mat::from_fn(8, 3, |i, k| g[(i, k)]);
        let predict = |g: &Mat<f64>, p: &Mat<f64>| {
            let w = linear_weights(g.as_ref(), yc.as_ref(), p.as_ref(), 0.1);
            product(product(g.as_ref(), w.as_ref()).as_ref(), p.transpose())
        };
        let mut flipped_g = g.clone();
        let mut flipped_p = p.clone();
        for i in 0..30 {
            flipped_g[(i, 1)] *= -1.0;
        }
        for i in 0..8 {
            flipped_p[(i, 1)] *= -1.0;
        }
        assert!((&predict(&g, &p) - &predict(&flipped_g, &flipped_p)).norm_max() < 1e-12);
    }

    #[test]
    fn unmeasured_targets_are_not_predicted() {
        let data = dataset();
        let (train, targets) = split(&data);
        let output =
            linear_model(&data, &train, &targets, &LinearModelSettings::default(), UploadedEmbeddings::default())
                .unwrap();
        assert_eq!(output.predicted.len(), 3);
        assert_eq!(output.not_predicted.len(), 1);
        assert!(output.not_predicted[0].1.contains("NOT_MEASURED is not a measured gene"));
    }

    #[test]
    fn uploaded_gene_embedding_equal_to_pca_gives_the_same_prediction() {
        let data = dataset();
        let (train, targets) = split(&data);
        let settings = LinearModelSettings { components: 4, ..LinearModelSettings::default() };
        let from_pca = linear_model(&data, &train, &targets, &settings, UploadedEmbeddings::default()).unwrap();
        // Rebuild G independently (exact SVD of the column-centred training matrix) and upload it.
        let n = data.n_genes();
        let mut centred = Mat::from_fn(n, train.len(), |i, j| data.column_of(train[j]).unwrap()[i]);
        for j in 0..train.len() {
            let mean = (0..n).map(|i| centred[(i, j)]).sum::<f64>() / n as f64;
            for i in 0..n {
                centred[(i, j)] -= mean;
            }
        }
        let scores = crate::linalg::exact_truncated_svd(centred.as_ref(), 4).unwrap().scores();
        let mut values = vec![0f64; n * 4];
        for i in 0..n {
            for k in 0..4 {
                // Flip one component's sign on the way: it must not matter.
                values[i * 4 + k] = scores[(i, k)] * if k == 2 { -1.0 } else { 1.0 };
            }
        }
        let mut tsv = data.genes().join("\t");
        tsv.push('\n');
        for k in 0..4 {
            let row: Vec<String> = (0..n).map(|i| format!("{}", values[i * 4 + k])).collect();
            tsv.push_str(&row.join("\t"));
            tsv.push('\n');
        }
        let embedding = crate::readers::embedding::read_embedding("g.tsv", tsv.as_bytes()).unwrap();
        let uploaded_settings = LinearModelSettings { gene_embedding: EmbeddingSource::Uploaded, ..settings.clone() };
        let from_upload = linear_model(
            &data,
            &train,
            &targets,
            &uploaded_settings,
            UploadedEmbeddings { genes: Some(&embedding), perturbations: None },
        )
        .unwrap();
        for ((_, a), (_, b)) in from_pca.predicted.iter().zip(&from_upload.predicted) {
            for (x, y) in a.iter().zip(b) {
                assert!((x - y).abs() < 1e-5, "{x} vs {y}");
            }
        }
    }

    #[test]
    fn random_embeddings_are_reproducible() {
        let data = dataset();
        let (train, targets) = split(&data);
        let settings = LinearModelSettings {
            gene_embedding: EmbeddingSource::Random { seed: 1 },
            perturbation_embedding: EmbeddingSource::Random { seed: 2 },
            ..LinearModelSettings::default()
        };
        let first = linear_model(&data, &train, &targets, &settings, UploadedEmbeddings::default()).unwrap();
        let second = linear_model(&data, &train, &targets, &settings, UploadedEmbeddings::default()).unwrap();
        assert_eq!(first.predicted, second.predicted);
        assert_eq!(first.predicted.len(), 4, "random embeddings exist for every condition");
        assert_eq!(settings.method_name(), "linear(gene=random1;perturbation=random2)");
    }
}
