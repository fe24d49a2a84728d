//! Summaries of the results table (METHODS §4): per method (or per method and seed) the mean and median
//! L2, Pearson delta and Pearson, and the L2 ratio to a reference baseline with a seeded bootstrap interval.
//! By default methods are compared on the (seed, perturbation) points that every method predicts.
//!
//! ```
//! use perturb_check::quantile::summary_quantile;
//! assert_eq!(summary_quantile(&mut vec![4.0, 1.0, 3.0, 2.0], 0.5), 2.5);
//! ```

use crate::bootstrap::mean_intervals;
use crate::quantile::summary_quantile;
use crate::results_table::ResultRow;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Which points each method is summarised over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Comparison {
    /// The (seed, perturbation) points every method predicts (the paper's choice).
    #[default]
    Common,
    /// Each method's own points.
    Own,
}

/// How the bootstrap interval of the L2 ratio is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BootstrapSettings {
    pub draws: usize,
    pub seed: u32,
}

impl Default for BootstrapSettings {
    fn default() -> Self {
        BootstrapSettings { draws: 10_000, seed: 1 }
    }
}

/// The L2 ratio of a method to the reference baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatioToReference {
    pub reference: String,
    /// Mean over points of `l2_method / l2_reference`.
    pub mean: f64,
    /// 2.5% and 97.5% quantiles of the bootstrap means.
    pub lower: f64,
    pub upper: f64,
    pub n: usize,
    /// The share of those points where the method's L2 is larger than the reference's.
    #[serde(default)]
    pub worse: f64,
}

/// One method's summary (over all seeds, or for one seed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MethodSummary {
    pub method: String,
    /// `Some` for a per-seed summary.
    pub seed: Option<u32>,
    pub n: usize,
    pub mean_l2: f64,
    pub median_l2: f64,
    /// Over the points where Pearson delta is defined (`None` when it never is, e.g. `no_change`).
    pub mean_pearson_delta: Option<f64>,
    pub median_pearson_delta: Option<f64>,
    pub mean_pearson: Option<f64>,
    pub ratio: Option<RatioToReference>,
}

/// The header of `summary.csv` (the leaderboard).
pub const SUMMARY_HEADER: [&str; 8] =
    ["method", "n", "mean_l2", "median_l2", "mean_pearson_delta", "l2_ratio", "ci_low", "ci_high"];

/// `summary.csv`: one row per method as the leaderboard shows it (`l2_ratio` the mean ratio of its L2 to the
/// reference baseline's, `ci_low`, `ci_high` its bootstrap interval; empty where undefined), numbers written as
/// Rust writes f64 (shortest round trip). The page's export and the command line's share this writer.
///
/// ```
/// use perturb_check::summary::{summary_csv, MethodSummary};
/// let row = MethodSummary { method: "mean".into(), seed: None, n: 2, mean_l2: 1.5, median_l2: 1.5,
///     mean_pearson_delta: Some(0.25), median_pearson_delta: None, mean_pearson: None, ratio: None };
/// assert_eq!(summary_csv(&[row]).lines().nth(1), Some("mean,2,1.5,1.5,0.25,,,"));
/// ```
pub fn summary_csv(summaries: &[MethodSummary]) -> String {
    let number = |value: Option<f64>| value.filter(|v| v.is_finite()).map(|v| v.to_string()).unwrap_or_default();
    crate::results_table::write_csv(
        &SUMMARY_HEADER,
        summaries.iter().map(|summary| {
            let ratio = summary.ratio.as_ref();
            vec![
                summary.method.clone(),
                summary.n.to_string(),
                number(Some(summary.mean_l2)),
                number(Some(summary.median_l2)),
                number(summary.mean_pearson_delta),
                number(ratio.map(|r| r.mean)),
                number(ratio.map(|r| r.lower)),
                number(ratio.map(|r| r.upper)),
            ]
        }),
    )
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

type Point = (Option<u32>, String);

/// The methods of `rows` in the order they first appear, and the points each predicts.
fn points_by_method(rows: &[ResultRow]) -> (Vec<&str>, HashMap<&str, HashSet<Point>>) {
    let mut methods: Vec<&str> = Vec::new();
    let mut points_of: HashMap<&str, HashSet<Point>> = HashMap::new();
    for row in rows {
        if !points_of.contains_key(row.method.as_str()) {
            methods.push(&row.method);
        }
        points_of.entry(&row.method).or_default().insert((row.seed, row.perturbation.clone()));
    }
    (methods, points_of)
}

/// The points every method predicts (`None` without methods).
fn common_points(methods: &[&str], points_of: &HashMap<&str, HashSet<Point>>) -> Option<HashSet<Point>> {
    methods.iter().map(|method| points_of[method].clone()).reduce(|a, b| &a & &b)
}

/// Whether every method predicts every point any method predicts: then [`Comparison::Own`] and
/// [`Comparison::Common`] summarise the same rows, and their summaries are equal.
pub fn every_point_common(rows: &[ResultRow]) -> bool {
    let (methods, points_of) = points_by_method(rows);
    let common = common_points(&methods, &points_of).unwrap_or_default();
    points_of.values().all(|points| points.len() == common.len())
}

/// Summarises `rows` per method (and per seed when `per_seed`), in the order methods first appear.
pub fn summarize(
    rows: &[ResultRow],
    comparison: Comparison,
    reference: Option<&str>,
    per_seed: bool,
    bootstrap: BootstrapSettings,
) -> Vec<MethodSummary> {
    let (methods, points_of) = points_by_method(rows);
    let common: Option<HashSet<Point>> = match comparison {
        Comparison::Own => None,
        Comparison::Common => common_points(&methods, &points_of),
    };
    let included =
        |row: &ResultRow| common.as_ref().is_none_or(|common| common.contains(&(row.seed, row.perturbation.clone())));
    let reference_l2: HashMap<Point, f64> = reference
        .map(|reference| {
            rows.iter()
                .filter(|row| row.method == reference)
                .map(|row| ((row.seed, row.perturbation.clone()), row.l2))
                .collect()
        })
        .unwrap_or_default();

    // Group by (method, seed or none), keeping the order of first appearance.
    let mut groups: BTreeMap<(usize, Option<u32>), Vec<&ResultRow>> = BTreeMap::new();
    for row in rows.iter().filter(|row| included(row)) {
        let method_index = methods.iter().position(|method| *method == row.method).unwrap_or(0);
        groups.entry((method_index, if per_seed { row.seed } else { None })).or_default().push(row);
    }
    let groups: Vec<_> = groups.into_iter().collect();
    let ratios: Vec<Vec<f64>> = groups
        .iter()
        .map(|(_, group)| {
            group
                .iter()
                .filter_map(|row| {
                    let reference = reference_l2.get(&(row.seed, row.perturbation.clone()))?;
                    (*reference > 0.0).then(|| row.l2 / reference)
                })
                .collect()
        })
        .collect();
    // Every group's interval from one stream of draws per length (most of the time of a summary).
    let intervals = match reference {
        Some(_) => {
            mean_intervals(&ratios.iter().map(Vec::as_slice).collect::<Vec<_>>(), bootstrap.draws, bootstrap.seed)
        }
        None => Vec::new(),
    };
    groups
        .iter()
        .zip(ratios)
        .enumerate()
        .map(|(index, (((method_index, seed), group), ratios))| {
            let (method_index, seed) = (*method_index, *seed);
            let mut l2: Vec<f64> = group.iter().map(|row| row.l2).collect();
            let mut deltas: Vec<f64> = group.iter().filter_map(|row| row.pearson_delta).collect();
            let pearsons: Vec<f64> = group.iter().filter_map(|row| row.pearson).collect();
            let ratio = reference.filter(|_| !ratios.is_empty()).map(|reference| {
                let (lower, upper) = intervals[index];
                RatioToReference {
                    reference: reference.to_string(),
                    mean: mean(&ratios).unwrap_or(f64::NAN),
                    lower,
                    upper,
                    n: ratios.len(),
                    worse: ratios.iter().filter(|&&ratio| ratio > 1.0).count() as f64 / ratios.len() as f64,
                }
            });
            MethodSummary {
                method: methods[method_index].to_string(),
                seed,
                n: group.len(),
                mean_l2: mean(&l2).unwrap_or(f64::NAN),
                median_l2: summary_quantile(&mut l2, 0.5),
                mean_pearson_delta: mean(&deltas),
                median_pearson_delta: (!deltas.is_empty()).then(|| summary_quantile(&mut deltas, 0.5)),
                mean_pearson: mean(&pearsons),
                ratio,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::splits::SplitLabel;

    fn row(method: &str, seed: u32, perturbation: &str, l2: f64, delta: Option<f64>) -> ResultRow {
        ResultRow {
            dataset: "d".into(),
            seed: Some(seed),
            method: method.into(),
            perturbation: perturbation.into(),
            split: SplitLabel::Test,
            l2,
            pearson_delta: delta,
            pearson: Some(0.5),
            n_genes: 10,
        }
    }

    #[test]
    fn own_points_are_the_common_ones_only_when_every_method_predicts_every_point() {
        let mut rows = vec![
            row("mean", 1, "A+ctrl", 2.0, Some(0.5)),
            row("mean", 1, "B+ctrl", 4.0, Some(0.7)),
            row("linear", 1, "A+ctrl", 1.0, Some(0.9)),
        ];
        assert!(!every_point_common(&rows));
        rows.push(row("linear", 1, "B+ctrl", 3.0, Some(0.2)));
        assert!(every_point_common(&rows));
        let bootstrap = BootstrapSettings { draws: 200, seed: 1 };
        assert_eq!(
            summarize(&rows, Comparison::Own, Some("mean"), false, bootstrap),
            summarize(&rows, Comparison::Common, Some("mean"), false, bootstrap)
        );
        rows.push(row("linear", 2, "B+ctrl", 3.0, Some(0.2)));
        assert!(!every_point_common(&rows), "a seed only one method has");
    }

    #[test]
    fn common_points_restrict_every_method() {
        let rows = vec![
            row("mean", 1, "A+ctrl", 2.0, Some(0.5)),
            row("mean", 1, "B+ctrl", 4.0, Some(0.7)),
            row("linear", 1, "A+ctrl", 1.0, Some(0.9)),
        ];
        let common = summarize(&rows, Comparison::Common, Some("mean"), false, BootstrapSettings::default());
        assert_eq!(common.iter().map(|s| (s.method.as_str(), s.n)).collect::<Vec<_>>(), [("mean", 1), ("linear", 1)]);
        assert_eq!(common[0].mean_l2, 2.0);
        let ratio = common[1].ratio.as_ref().unwrap();
        assert_eq!((ratio.mean, ratio.lower, ratio.upper, ratio.n), (0.5, 0.5, 0.5, 1));
        let own = summarize(&rows, Comparison::Own, None, false, BootstrapSettings::default());
        assert_eq!(own[0].n, 2);
        assert_eq!(own[0].median_l2, 3.0);
        assert!((own[0].mean_pearson_delta.unwrap() - 0.6).abs() < 1e-15);
        assert!(own[0].ratio.is_none());
    }

    #[test]
    fn undefined_pearson_delta_is_left_out_not_zero() {
        let rows = vec![row("no_change", 1, "A+B", 3.0, None), row("no_change", 2, "A+B", 5.0, None)];
        let summary = summarize(&rows, Comparison::Common, None, true, BootstrapSettings::default());
        assert_eq!(summary.len(), 2, "one per seed");
        assert_eq!(summary[1].seed, Some(2));
        assert_eq!(summary[0].mean_pearson_delta, None);
    }
}
