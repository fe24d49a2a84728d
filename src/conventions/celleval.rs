//! cell-eval's own files from a run's convention scores, and its score against a baseline.
//!
//! `celleval_<method>_results.csv` has cell-eval's layout: `perturbation` (the data file's labels, sorted as
//! numpy's `unique` sorts them), then its pseudobulk metric columns. `celleval_<method>_agg_results.csv` is
//! polars' `describe()` of those columns: `count` (non-null values), `null_count`, `mean` (NaN when any value
//! is NaN), `std` (n − 1), `min` and `max` (NaN ignored), and the 25/50/75% percentiles by nearest rank, at
//! position ⌊p·(n − 1) + 0.5⌋ of the sorted non-null values with NaN sorted last.
//!
//! The score against a baseline (`cell-eval score`): per metric, from the means, `1 − user/base` for errors
//! (`mae`), `(user − base)/(1 − base)` for scores (`discrimination_score_l1`); not finite → 0, then at least 0;
//! `avg_score` their mean. The Virtual Cell Challenge adds `overlap_at_N`, which needs cells.

use super::{metric_index, ConventionReport, MethodMeans};
use crate::baselines::Baseline;
use crate::results_table::write_csv;
use serde::{Deserialize, Serialize};

/// cell-eval's pseudobulk columns, in its order.
pub const CELLEVAL_COLUMNS: [&str; 8] = [
    "pearson_delta",
    "mse",
    "mae",
    "mse_delta",
    "mae_delta",
    "discrimination_score_l1",
    "discrimination_score_l2",
    "discrimination_score_cosine",
];

/// The metrics of the baseline-relative score available from pseudobulks (the VCC's three minus
/// `overlap_at_N`).
pub const SCORED_METRICS: [&str; 2] = ["mae", "discrimination_score_l1"];

/// A method's score against cell-eval's baseline, cell-eval's way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineScore {
    pub method: String,
    /// The method scored against: `celleval_baseline` under split `all`, `mean` under a seeded split (where
    /// the two are the same).
    pub baseline: String,
    /// Per metric of [`SCORED_METRICS`], the scaled score.
    pub scores: Vec<f64>,
    /// Their mean.
    pub avg_score: f64,
    /// What the score includes, for its label.
    pub includes: String,
}

/// `cell-eval score`'s scaling of one metric: errors against 0, scores against 1; not finite → 0; ≥ 0.
pub fn scaled(user: f64, base: f64, lower_is_better: bool) -> f64 {
    let score = if lower_is_better { 1.0 - user / base } else { (user - base) / (1.0 - base) };
    if score.is_finite() {
        score.max(0.0)
    } else {
        0.0
    }
}

/// Every other method's score against the baseline, when the run has one.
pub fn baseline_scores(means: &[MethodMeans]) -> Vec<BaselineScore> {
    let indices: Vec<usize> = SCORED_METRICS.iter().filter_map(|metric| metric_index("cell-eval", metric)).collect();
    let baseline = [Baseline::CellEvalBaseline, Baseline::Mean]
        .into_iter()
        .find_map(|baseline| means.iter().find(|means| means.method == baseline.method_name()));
    let Some(baseline) = baseline else { return Vec::new() };
    means
        .iter()
        .filter(|means| means.method != baseline.method)
        .map(|means| {
            let scores: Vec<f64> = indices
                .iter()
                .zip(SCORED_METRICS)
                .map(|(&index, metric)| {
                    let value = |of: &MethodMeans| of.values[index].unwrap_or(f64::NAN);
                    scaled(value(means), value(baseline), metric == "mae")
                })
                .collect();
            let avg_score = scores.iter().sum::<f64>() / scores.len() as f64;
            BaselineScore {
                method: means.method.clone(),
                baseline: baseline.method.clone(),
                scores,
                avg_score,
                includes: format!(
                    "mean of {} against {} (the Virtual Cell Challenge's overlap_at_N needs cells: not included)",
                    SCORED_METRICS.join(" and "),
                    baseline.method
                ),
            }
        })
        .collect()
}

/// A number as Python prints a float (`5.0`, `NaN`).
fn python_float(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let text = value.to_string();
    if text.contains('.') || text.contains('e') {
        text
    } else {
        format!("{text}.0")
    }
}

/// The values of `method` under the split with `seed`, per perturbation label (sorted) and cell-eval column;
/// an undefined value is NaN, as cell-eval writes it, and a value not computed (a deferred pairwise metric)
/// `None`.
pub fn results(report: &ConventionReport, method: &str, seed: Option<u32>) -> Vec<(String, Vec<Option<f64>>)> {
    let indices: Vec<usize> = CELLEVAL_COLUMNS.iter().filter_map(|metric| metric_index("cell-eval", metric)).collect();
    let mut rows: Vec<(String, Vec<Option<f64>>)> = report
        .points
        .iter()
        .filter(|point| point.method == method && point.seed == seed)
        .map(|point| {
            let values = indices
                .iter()
                .map(|&index| {
                    let deferred = report.pairwise_deferred && super::METRICS[index].kind.is_pairwise();
                    (!deferred).then(|| point.values[index].unwrap_or(f64::NAN))
                })
                .collect();
            (point.label.clone(), values)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

/// `celleval_<method>_results.csv`.
pub fn write_results_csv(rows: &[(String, Vec<Option<f64>>)]) -> String {
    let mut header = vec!["perturbation"];
    header.extend(CELLEVAL_COLUMNS);
    write_csv(
        &header,
        rows.iter().map(|(label, values)| {
            let mut record = vec![label.clone()];
            record.extend(values.iter().map(|value| value.map(python_float).unwrap_or_default()));
            record
        }),
    )
}

/// polars' `describe()` of one column (see the module documentation), in its row order.
pub fn describe(values: &[Option<f64>]) -> [f64; 9] {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let count = present.len() as f64;
    let null_count = (values.len() - present.len()) as f64;
    let mean = present.iter().sum::<f64>() / count;
    let std = (present.iter().map(|value| (value - mean) * (value - mean)).sum::<f64>() / (count - 1.0)).sqrt();
    let numbers: Vec<f64> = present.iter().copied().filter(|value| !value.is_nan()).collect();
    let min = numbers.iter().copied().fold(f64::NAN, f64::min);
    let max = numbers.iter().copied().fold(f64::NAN, f64::max);
    let mut sorted = present.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    // total_cmp puts a negative NaN first: NaN always last here.
    sorted.sort_by_key(|value| value.is_nan());
    let percentile = |p: f64| match sorted.len() {
        0 => f64::NAN,
        n => sorted[((p * (n - 1) as f64 + 0.5).floor() as usize).min(n - 1)],
    };
    [count, null_count, mean, std, min, percentile(0.25), percentile(0.5), percentile(0.75), max]
}

/// The row names of `agg_results.csv`.
pub const AGG_STATISTICS: [&str; 9] = ["count", "null_count", "mean", "std", "min", "25%", "50%", "75%", "max"];

/// `celleval_<method>_agg_results.csv`.
pub fn write_agg_results_csv(rows: &[(String, Vec<Option<f64>>)]) -> String {
    let columns: Vec<[f64; 9]> = (0..CELLEVAL_COLUMNS.len())
        .map(|column| describe(&rows.iter().map(|(_, values)| values[column]).collect::<Vec<_>>()))
        .collect();
    let mut header = vec!["statistic"];
    header.extend(CELLEVAL_COLUMNS);
    write_csv(
        &header,
        AGG_STATISTICS.iter().enumerate().map(|(statistic, name)| {
            let mut record = vec![name.to_string()];
            record.extend(columns.iter().map(|column| python_float(column[statistic])));
            record
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_is_polars_describe() {
        // polars 1.x / 2.1: pl.DataFrame({'a': [0.3, nan, 0.1, 0.2, 0.5]}).describe() and with a null.
        let a = describe(&[Some(0.3), Some(f64::NAN), Some(0.1), Some(0.2), Some(0.5)]);
        assert_eq!(a[..2], [5.0, 0.0]);
        assert!(a[2].is_nan() && a[3].is_nan());
        assert_eq!(a[4..], [0.1, 0.2, 0.3, 0.5, 0.5]);
        let b = describe(&[Some(1.0), None, Some(2.0), Some(3.0), Some(4.0)]);
        assert_eq!(b, [4.0, 1.0, 2.5, 1.2909944487358056, 1.0, 2.0, 3.0, 3.0, 4.0]);
        assert_eq!(python_float(5.0), "5.0");
        assert_eq!(python_float(f64::NAN), "NaN");
    }

    #[test]
    fn scaling_follows_cell_eval_score() {
        // mae: 1 − user/base; a worse model is clipped to 0.
        assert_eq!(scaled(0.5, 1.0, true), 0.5);
        assert_eq!(scaled(2.0, 1.0, true), 0.0);
        // A score metric: (user − base)/(1 − base); a baseline at 1 gives 0 (not finite → 0).
        assert_eq!(scaled(0.75, 0.5, false), 0.5);
        assert_eq!(scaled(1.0, 1.0, false), 0.0);
    }
}
