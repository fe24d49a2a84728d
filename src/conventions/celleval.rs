//! cell-eval's own files from a run's convention scores, and its score against a baseline.
//!
//! `celleval_<method>_results.csv` has cell-eval's layout: `perturbation` (the data file's labels, sorted as
//! numpy's `unique` sorts them), then its pseudobulk metric columns. `celleval_<method>_agg_results.csv` is
//! polars' `describe()` of those columns: `count` (non-null values), `null_count`, `mean` (NaN when any value
//! is NaN), `std` (n − 1), `min` and `max` (NaN ignored), and the 25/50/75% percentiles by nearest rank, at
//! position ⌊p·(n − 1) + 0.5⌋ of the sorted non-null values with NaN sorted last.
//!
//! The score against a baseline (`cell-eval score`): per metric, from the means, `1 − user/base` for errors
//! (`mse`, `mae`, `mse_delta`, `mae_delta`), `(user − base)/(1 − base)` for scores; not finite → 0, then at
//! least 0; `avg_score` their mean. The Virtual Cell Challenge's score is that of `mae`, `overlap_at_N` and
//! `discrimination_score_l1`; `overlap_at_N` needs the prediction and the data as cells.

use super::celleval_de::DE_METRICS;
use super::{metric_index, ConventionReport, MethodMeans, MetricKind};
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

/// The Virtual Cell Challenge's metrics (`cell-eval run --profile vcc`), in the order `cell-eval score` lists
/// them. `overlap_at_N` needs the method and the data as cells.
pub const VCC_METRICS: [&str; 3] = ["mae", "overlap_at_N", "discrimination_score_l1"];

/// The metrics `cell-eval score` scales as errors (`1 − user/base`); every other as a score.
const LOWER_IS_BETTER: [&str; 4] = ["mse", "mae", "mse_delta", "mae_delta"];

/// Every metric of cell-eval's full profile that `cell-eval score` scales and this app computes, in the order
/// of its score file: the errors, the DE metrics (not the numbers of significant genes, which are not
/// scored), then the rest of the pseudobulk ones (`pearson_edistance` and `clustering_agreement` are not
/// computed).
pub fn scored_all() -> Vec<&'static str> {
    let rest = CELLEVAL_COLUMNS.iter().filter(|metric| !LOWER_IS_BETTER.contains(metric));
    LOWER_IS_BETTER
        .iter()
        .chain(DE_METRICS.iter().filter(|metric| !metric.starts_with("de_nsig_counts")))
        .chain(rest)
        .copied()
        .collect()
}

/// A method's score against cell-eval's baseline, cell-eval's way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineScore {
    pub method: String,
    /// The method scored against: `celleval_baseline` under split `all`, `mean` under a seeded split (where
    /// the two are the same).
    pub baseline: String,
    /// The Virtual Cell Challenge's metrics that both have (all three when the method and the data are
    /// cells), and each one's scaled score.
    pub metrics: Vec<String>,
    pub scores: Vec<f64>,
    /// Their mean: the Virtual Cell Challenge's score when `vcc` holds.
    pub avg_score: f64,
    /// Whether the score has all three of the Virtual Cell Challenge's metrics (equal to `cell-eval score` on
    /// `--profile vcc` outputs).
    pub vcc: bool,
    /// Every metric of [`scored_all`] both have, scaled, and their mean (cell-eval's full-profile score
    /// without the two metrics not computed here).
    pub all_metrics: Vec<(String, f64)>,
    pub all_metrics_score: f64,
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
    let baseline = [Baseline::CellEvalBaseline, Baseline::Mean]
        .into_iter()
        .find_map(|baseline| means.iter().find(|means| means.method == baseline.method_name()));
    let Some(baseline) = baseline else { return Vec::new() };
    // A metric's scaled score when both means exist (a DE metric exists only for cells).
    let score_of = |of: &MethodMeans, metric: &str| {
        let index = metric_index("cell-eval", metric)?;
        let (user, base) = (of.values[index], baseline.values[index]);
        // Pseudobulk metrics are always computed (an undefined mean is NaN: scaled to 0); DE ones need cells.
        let is_de = matches!(super::METRICS[index].kind, MetricKind::CellEvalDe(_));
        if is_de && (user.is_none() || base.is_none()) {
            return None;
        }
        Some(scaled(user.unwrap_or(f64::NAN), base.unwrap_or(f64::NAN), LOWER_IS_BETTER.contains(&metric)))
    };
    let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len().max(1) as f64;
    means
        .iter()
        .filter(|means| means.method != baseline.method)
        .map(|means| {
            let (metrics, scores): (Vec<String>, Vec<f64>) = VCC_METRICS
                .iter()
                .filter_map(|metric| Some((metric.to_string(), score_of(means, metric)?)))
                .unzip();
            let all_metrics: Vec<(String, f64)> =
                scored_all().into_iter().filter_map(|metric| Some((metric.to_string(), score_of(means, metric)?))).collect();
            let vcc = metrics.len() == VCC_METRICS.len();
            let includes = if vcc {
                format!("mean of {} against {}: the Virtual Cell Challenge's score", metrics.join(", "), baseline.method)
            } else {
                format!(
                    "mean of {} against {} (the Virtual Cell Challenge's overlap_at_N needs the prediction and the data \
                     as cells: not included, so this is not its score)",
                    metrics.join(" and "),
                    baseline.method
                )
            };
            let all_values: Vec<f64> = all_metrics.iter().map(|(_, score)| *score).collect();
            BaselineScore {
                method: means.method.clone(),
                baseline: baseline.method.clone(),
                avg_score: mean(&scores),
                metrics,
                scores,
                vcc,
                all_metrics_score: mean(&all_values),
                all_metrics,
                includes,
            }
        })
        .collect()
}

/// `celleval_<method>_score.csv`: cell-eval score's layout (`metric,from_baseline`), the score's metrics then
/// `avg_score`.
pub fn write_score_csv(score: &BaselineScore) -> String {
    write_csv(
        &["metric", "from_baseline"],
        score
            .metrics
            .iter()
            .zip(&score.scores)
            .map(|(metric, value)| vec![metric.clone(), python_float(*value)])
            .chain(std::iter::once(vec!["avg_score".to_string(), python_float(score.avg_score)])),
    )
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

/// A method's rows of cell-eval's `results.csv`: its columns (the DE metrics first when the method was
/// given as cells, then the pseudobulk ones, in cell-eval's order) and per perturbation label (sorted) the
/// values.
#[derive(Clone, Debug, PartialEq)]
pub struct CellEvalResults {
    pub columns: Vec<&'static str>,
    pub rows: Vec<(String, Vec<Option<f64>>)>,
}

/// The values of `method` under the split with `seed`. An undefined pseudobulk metric is NaN, as cell-eval
/// writes it; a DE metric keeps cell-eval's null (`None`, an empty field) or NaN; a value not computed (a
/// deferred pairwise metric) is `None`.
pub fn results(report: &ConventionReport, method: &str, seed: Option<u32>) -> CellEvalResults {
    let points: Vec<&super::ConventionPoint> =
        report.points.iter().filter(|point| point.method == method && point.seed == seed).collect();
    let de_counts = metric_index("cell-eval", "de_nsig_counts_real");
    let with_de = points.iter().any(|point| de_counts.is_some_and(|index| point.values[index].is_some()));
    let mut columns: Vec<&'static str> = if with_de { DE_METRICS.to_vec() } else { Vec::new() };
    columns.extend(CELLEVAL_COLUMNS);
    let indices: Vec<usize> = columns.iter().filter_map(|metric| metric_index("cell-eval", metric)).collect();
    let mut rows: Vec<(String, Vec<Option<f64>>)> = points
        .iter()
        .map(|point| {
            let values = indices
                .iter()
                .map(|&index| {
                    let kind = super::METRICS[index].kind;
                    let deferred = report.pairwise_deferred && kind.is_pairwise();
                    match kind {
                        MetricKind::CellEvalDe(_) => point.values[index],
                        _ => (!deferred).then(|| point.values[index].unwrap_or(f64::NAN)),
                    }
                })
                .collect();
            (point.label.clone(), values)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    // cell-eval leaves out a DE metric that is null on every row (no perturbation with a significant gene).
    let keep: Vec<bool> = (0..columns.len())
        .map(|at| !DE_METRICS.contains(&columns[at]) || rows.iter().any(|(_, values)| values[at].is_some()))
        .collect();
    let columns = columns.iter().zip(&keep).filter(|(_, &kept)| kept).map(|(column, _)| *column).collect();
    for (_, values) in &mut rows {
        *values = values.iter().zip(&keep).filter(|(_, &kept)| kept).map(|(value, _)| *value).collect();
    }
    CellEvalResults { columns, rows }
}

/// `celleval_<method>_results.csv`.
pub fn write_results_csv(results: &CellEvalResults) -> String {
    let mut header = vec!["perturbation"];
    header.extend(&results.columns);
    write_csv(
        &header,
        results.rows.iter().map(|(label, values)| {
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
    // Welford's running variance, as polars computes it: exactly 0 for a constant column (cell-eval's
    // `de_spearman_sig`, one value repeated on every row).
    let (mut running_mean, mut m2) = (0.0f64, 0.0f64);
    for (k, &value) in present.iter().enumerate() {
        let delta = value - running_mean;
        running_mean += delta / (k + 1) as f64;
        m2 += delta * (value - running_mean);
    }
    let std = (m2 / (count - 1.0)).sqrt();
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
pub fn write_agg_results_csv(results: &CellEvalResults) -> String {
    let rows = &results.rows;
    let columns: Vec<[f64; 9]> = (0..results.columns.len())
        .map(|column| describe(&rows.iter().map(|(_, values)| values[column]).collect::<Vec<_>>()))
        .collect();
    let mut header = vec!["statistic"];
    header.extend(&results.columns);
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
