//! The leaderboard as a table of text cells: its columns, rounding and best-value marks decided once, for
//! the page and the report alike.

use crate::conventions::MetricSpec;
use crate::summary::MethodSummary;
use serde::{Deserialize, Serialize};

/// A published value of the paper for a method of a demo (shown beside the computed one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublishedMetric {
    pub method: String,
    pub l2: f64,
    pub pearson_delta: Option<f64>,
}

/// A value with three decimals, or "–".
pub fn format_number(value: Option<f64>) -> String {
    match value {
        Some(value) if value.is_finite() => format!("{value:.3}"),
        _ => "–".to_string(),
    }
}

/// The best finite value, the highest or the lowest.
pub fn best_value(values: impl Iterator<Item = f64>, highest: bool) -> Option<f64> {
    values
        .filter(|value| value.is_finite())
        .reduce(|best, value| if highest { best.max(value) } else { best.min(value) })
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Cell {
    pub text: String,
    /// The best value of its column.
    pub best: bool,
    /// A published value (not computed here).
    pub published: bool,
    /// The convention's column.
    pub convention: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub method: String,
    pub is_reference: bool,
    pub cells: Vec<Cell>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Column headers after "Method".
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

/// A convention's main metric beside the paper's: its spec and each method's mean.
pub struct ConventionColumn<'a> {
    pub spec: &'a MetricSpec,
    pub mean_of: &'a dyn Fn(&str) -> Option<f64>,
}

/// The leaderboard of `summaries` (one row each, in their order) against `reference`.
pub fn table(
    summaries: &[MethodSummary],
    reference: Option<&str>,
    convention: Option<ConventionColumn<'_>>,
    published: Option<&[PublishedMetric]>,
) -> Table {
    let mut columns: Vec<String> =
        ["n", "Mean L2", "Median L2", "Mean Pearson delta", "L2 ratio to reference [95% CI]"]
            .iter()
            .map(|c| c.to_string())
            .collect();
    if let Some(c) = &convention {
        let direction = if c.spec.higher_is_better { "higher is better" } else { "lower is better" };
        columns.push(format!("{} {} (mean; {direction})", c.spec.convention, c.spec.metric));
    }
    if published.is_some() {
        columns.push("Published L2".into());
        columns.push("Published Pearson delta".into());
    }
    let best = |pick: &dyn Fn(&MethodSummary) -> Option<f64>, lowest: bool| {
        best_value(summaries.iter().filter_map(pick), !lowest)
    };
    let best_mean = best(&|s| Some(s.mean_l2), true);
    let best_median = best(&|s| Some(s.median_l2), true);
    let best_delta = best(&|s| s.mean_pearson_delta, false);
    let best_ratio = best(&|s| s.ratio.as_ref().filter(|_| Some(s.method.as_str()) != reference).map(|r| r.mean), true);
    let convention_best = convention
        .as_ref()
        .and_then(|c| best_value(summaries.iter().filter_map(|s| (c.mean_of)(&s.method)), c.spec.higher_is_better));
    let rows = summaries
        .iter()
        .map(|summary| {
            let is = |value: Option<f64>, best: Option<f64>| value.is_some() && value == best;
            let is_reference = reference == Some(summary.method.as_str());
            let number = |value: Option<f64>, best: bool| Cell { text: format_number(value), best, ..Cell::default() };
            let ratio_text = summary
                .ratio
                .as_ref()
                .map(|ratio| format!("{:.3} [{:.3}, {:.3}]", ratio.mean, ratio.lower, ratio.upper))
                .unwrap_or_else(|| "–".into());
            let mut cells = vec![
                Cell { text: summary.n.to_string(), ..Cell::default() },
                number(Some(summary.mean_l2), is(Some(summary.mean_l2), best_mean)),
                number(Some(summary.median_l2), is(Some(summary.median_l2), best_median)),
                number(summary.mean_pearson_delta, is(summary.mean_pearson_delta, best_delta)),
                Cell {
                    text: ratio_text,
                    best: !is_reference && is(summary.ratio.as_ref().map(|r| r.mean), best_ratio),
                    ..Cell::default()
                },
            ];
            if let Some(c) = &convention {
                let value = (c.mean_of)(&summary.method);
                cells.push(Cell { convention: true, ..number(value, is(value, convention_best)) });
            }
            if let Some(published) = published {
                let found = published.iter().find(|p| p.method == summary.method);
                cells.push(Cell { published: true, ..number(found.map(|p| p.l2), false) });
                cells.push(Cell { published: true, ..number(found.and_then(|p| p.pearson_delta), false) });
            }
            Row { method: summary.method.clone(), is_reference, cells }
        })
        .collect();
    Table { columns, rows }
}
