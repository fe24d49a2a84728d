//! Per-perturbation metrics over the most expressed genes (METHODS §4): `l2`, `pearson_delta`, `pearson`.
//!
//! ```
//! use perturb_check::metrics::{score, top_expressed_genes};
//! assert_eq!(top_expressed_genes(&[5.0, 1.0, 3.0], 2), [0, 2]);
//! let control = [5.0, 1.0, 3.0];
//! let metrics = score(&[5.0, 2.0, 3.0], &[4.0, 2.0, 3.0], &control);
//! assert_eq!(metrics.l2, 1.0);
//! // Changes p − c = (0, 1, 0) and o − c = (−1, 1, 0) correlate with r = √3/2.
//! assert!((metrics.pearson_delta.unwrap() - 3f64.sqrt() / 2.0).abs() < 1e-15);
//! ```

/// The indices of the `n` genes with the highest control expression, highest first; ties keep the
/// dataset's gene order (R `rank(desc(c), ties = "first")`). All genes when there are fewer than `n`.
pub fn top_expressed_genes(control: &[f64], n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..control.len()).collect();
    // A stable sort keeps the gene order among equal values.
    order.sort_by(|&a, &b| control[b].total_cmp(&control[a]));
    order.truncate(n);
    order
}

/// The metrics of one prediction for one perturbation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerturbationMetrics {
    /// `sqrt(Σ (p − o)²)`, not divided by the number of genes.
    pub l2: f64,
    /// `cor(p − c, o − c)`; `None` when either change is constant (e.g. the no-change baseline).
    pub pearson_delta: Option<f64>,
    /// `cor(p, o)` (the published tables call it "r2"; it is not squared).
    pub pearson: Option<f64>,
    /// How many genes the metrics were computed over.
    pub n_genes: usize,
}

/// Pearson's correlation; `None` when either side is constant or empty.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    debug_assert_eq!(x.len(), y.len());
    let is_constant = |values: &[f64]| values.iter().all(|&value| value == values[0]);
    if x.is_empty() || is_constant(x) || is_constant(y) {
        return None;
    }
    let n = x.len() as f64;
    let mean_x = x.iter().sum::<f64>() / n;
    let mean_y = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let (dx, dy) = (a - mean_x, b - mean_y);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    Some(sxy / (sxx * syy).sqrt())
}

/// Scores a prediction `p` against the observation `o`, given the control `c`, all over the same genes.
pub fn score(prediction: &[f64], observation: &[f64], control: &[f64]) -> PerturbationMetrics {
    let l2 = prediction.iter().zip(observation).map(|(p, o)| (p - o) * (p - o)).sum::<f64>().sqrt();
    let predicted_change: Vec<f64> = prediction.iter().zip(control).map(|(p, c)| p - c).collect();
    let observed_change: Vec<f64> = observation.iter().zip(control).map(|(o, c)| o - c).collect();
    PerturbationMetrics {
        l2,
        pearson_delta: pearson(&predicted_change, &observed_change),
        pearson: pearson(prediction, observation),
        n_genes: prediction.len(),
    }
}

/// `sqrt(cumsum((p − o)²))` over genes in the given order: the error as a function of the number of genes
/// (METHODS §4). Order genes by control expression or by `|o − c|` before calling.
pub fn cumulative_l2(prediction: &[f64], observation: &[f64]) -> Vec<f64> {
    let mut total = 0.0;
    prediction
        .iter()
        .zip(observation)
        .map(|(p, o)| {
            total += (p - o) * (p - o);
            total.sqrt()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_in_control_keep_gene_order() {
        assert_eq!(top_expressed_genes(&[1.0, 3.0, 3.0, 2.0, 3.0], 4), [1, 2, 4, 3]);
        assert_eq!(top_expressed_genes(&[1.0, 2.0], 1000), [1, 0]);
    }

    #[test]
    fn pearson_is_undefined_for_constant_input() {
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(pearson(&[], &[]), None);
        let r = pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 7.0]).unwrap();
        assert!((r - 0.9933992677987828).abs() < 1e-15, "{r}");
    }

    #[test]
    fn no_change_has_no_pearson_delta() {
        let control = [1.0, 2.0, 3.0];
        let metrics = score(&control, &[1.5, 2.0, 2.0], &control);
        assert_eq!(metrics.pearson_delta, None);
        assert!((metrics.l2 - 1.25f64.sqrt()).abs() < 1e-15);
        assert_eq!(metrics.pearson, pearson(&control, &[1.5, 2.0, 2.0]));
    }

    #[test]
    fn cumulative_l2_ends_at_l2() {
        let curve = cumulative_l2(&[1.0, 2.0, 3.0], &[1.0, 0.0, 0.0]);
        assert_eq!(curve, [0.0, 2.0, 13f64.sqrt()]);
    }
}
