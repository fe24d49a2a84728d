//! Embeddings learnt from a reference dataset (the same kind of screen in another context), as the paper's
//! code makes them for its "linear model with a perturbation embedding from another dataset":
//!
//! - `P`: the PCA of the reference's pseudobulk with its **conditions as observations** (ctrl included,
//!   keeping its own score) over its own genes, each gene centred over the conditions, no scaling: the scores
//!   `U_K D_K` (conditions × K), one row per reference condition.
//! - `G` (the `linear_reference_genes` variant): the PCA of the reference with its genes as observations over
//!   the genes it shares with the training data, each condition centred over those genes: `U_K D_K`
//!   (genes × K).
//!
//! Signs and rotations of the components cancel in the linear model's prediction.

use crate::conditions::ConditionKey;
use crate::expression::ExpressionMatrix;
use crate::linalg::{centre_columns, centre_rows, matrix_from_values, truncated_svd, truncated_svds, Correction};
use crate::readers::embedding::Embedding;
use faer::Mat;
use std::collections::HashMap;

/// The reference's embeddings for one K.
#[derive(Clone, Debug)]
pub struct ReferenceEmbeddings {
    /// Each reference condition's row of `P`.
    pub perturbations: HashMap<ConditionKey, Vec<f64>>,
    /// `G` over the genes the reference shares with the data (`None` when it shares none).
    pub genes: Option<Embedding>,
}

/// `P` and `G` of `reference` with `k` components; `data_genes` are the training data's genes.
///
/// When every reference gene is among the data's (the same gene panel), `G`'s matrix is `P`'s centred the
/// other way — `A − 1μᵀ = (A − ν1ᵀ) + ν1ᵀ − 1μᵀ`, a rank-2 change — and both truncated SVDs come from one
/// Krylov space ([`truncated_svds`]) for about the price of one.
pub fn reference_embeddings(reference: &ExpressionMatrix, data_genes: &[String], k: usize) -> ReferenceEmbeddings {
    let (n_genes, conditions) = (reference.n_genes(), reference.conditions());
    let n_conditions = conditions.len();
    // Conditions × genes, each gene centred over the conditions: kept as its transpose (genes × conditions,
    // a copy of the columns, rows centred), whose column scores are the conditions' scores.
    let mut by_gene_all = matrix_from_values(reference.values(), n_genes, n_conditions);
    let gene_means = centre_rows(&mut by_gene_all);

    // Genes shared with the data (in the reference's order) × reference conditions, each condition centred.
    let wanted: std::collections::HashSet<&str> = data_genes.iter().map(String::as_str).collect();
    let shared: Vec<(usize, &String)> =
        reference.genes().iter().enumerate().filter(|(_, name)| wanted.contains(name.as_str())).collect();
    let (p, g) = if !shared.is_empty() && shared.len() == n_genes {
        // Each condition's mean over the genes, summed in gene order (the bits of `centre_columns`).
        let condition_means: Vec<f64> =
            (0..n_conditions).map(|j| reference.column(j).iter().sum::<f64>() / n_genes as f64).collect();
        let by_condition = Correction::row_to_column_centring(&gene_means, &condition_means);
        let mut svds =
            truncated_svds(by_gene_all.as_ref(), &[Correction::none(n_genes, n_conditions), by_condition], k);
        let g = svds.pop().map(|svd| svd.scores());
        (svds.remove(0).column_scores(), g)
    } else {
        let p = truncated_svd(by_gene_all.as_ref(), k).column_scores();
        drop(by_gene_all);
        let g = (!shared.is_empty()).then(|| {
            let mut by_gene = Mat::<f64>::zeros(shared.len(), n_conditions);
            for j in 0..n_conditions {
                let column = reference.column(j);
                by_gene.col_as_slice_mut(j).iter_mut().zip(&shared).for_each(|(value, (i, _))| *value = column[*i]);
            }
            centre_columns(&mut by_gene);
            truncated_svd(by_gene.as_ref(), k).scores()
        });
        (p, g)
    };
    let perturbations = conditions
        .iter()
        .enumerate()
        .map(|(i, condition)| (condition.key(), (0..p.ncols()).map(|c| p[(i, c)]).collect()))
        .collect();
    let genes = g.map(|g| {
        let values: Vec<f64> =
            (0..g.nrows()).flat_map(|i| (0..g.ncols()).map(move |c| (i, c))).map(|at| g[at]).collect();
        Embedding::new(shared.iter().map(|(_, name)| (*name).clone()).collect(), g.ncols(), values)
    });
    ReferenceEmbeddings { perturbations, genes }
}
