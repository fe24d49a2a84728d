//! Paired comparisons of two methods over the (seed, perturbation) points both predict: how often one has
//! the lower L2, by how much on average (with a paired bootstrap interval), and R's Wilcoxon signed-rank test
//! `wilcox.test(method, reference, paired = TRUE, exact = FALSE, correct = TRUE)`.

use crate::bootstrap::{mean_interval, mean_intervals};
use crate::results_table::{write_csv, ResultRow};
use crate::summary::BootstrapSettings;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairedComparison {
    pub method: String,
    pub reference: String,
    /// Points both predict, pooled over seeds.
    pub n: usize,
    /// Share of those points where the method's L2 is strictly lower.
    pub win_rate: f64,
    /// mean(L2_method − L2_reference): negative when the method is better.
    pub mean_difference: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// `None` when every difference is zero (R stops there) or there is no point.
    pub wilcoxon_p: Option<f64>,
}

impl PairedComparison {
    /// The mean difference and its interval, three decimals and a true minus sign: `−0.039 [−0.081, 0.005]`.
    pub fn difference_text(&self) -> String {
        let signed = |value: f64| {
            if value.is_finite() {
                format!("{value:.3}").replace('-', "−")
            } else {
                "–".into()
            }
        };
        format!("{} [{}, {}]", signed(self.mean_difference), signed(self.ci_low), signed(self.ci_high))
    }

    /// The Wilcoxon p-value as the tables show it: four decimals, or two significant digits below 1e-4.
    pub fn p_text(&self) -> String {
        match self.wilcoxon_p {
            Some(p) if p < 1e-4 => format!("{p:.1e}"),
            Some(p) => format!("{p:.4}"),
            None => "–".into(),
        }
    }

    /// The win rate as a whole percentage.
    pub fn win_rate_text(&self) -> String {
        format!("{:.0}%", 100.0 * self.win_rate)
    }
}

/// The L2 differences `method − reference` at the points both predict, in the order of `rows`.
fn differences(rows: &[ResultRow], method: &str, reference: &str) -> Vec<f64> {
    let reference_l2: HashMap<(Option<u32>, &str), f64> = rows
        .iter()
        .filter(|row| row.method == reference)
        .map(|row| ((row.seed, row.perturbation.as_str()), row.l2))
        .collect();
    rows.iter()
        .filter(|row| row.method == method)
        .filter_map(|row| Some(row.l2 - reference_l2.get(&(row.seed, row.perturbation.as_str()))?))
        .collect()
}

/// `method` against `reference`; `None` when they share no point.
pub fn compare(
    rows: &[ResultRow],
    method: &str,
    reference: &str,
    bootstrap: BootstrapSettings,
) -> Option<PairedComparison> {
    let d = differences(rows, method, reference);
    let interval = mean_interval(&d, bootstrap.draws, bootstrap.seed);
    (!d.is_empty()).then(|| comparison(method, reference, &d, interval))
}

/// Every method of `methods` against `reference` (the reference itself left out, and methods that share no
/// point with it).
pub fn against_reference(
    rows: &[ResultRow],
    methods: &[String],
    reference: &str,
    bootstrap: BootstrapSettings,
) -> Vec<PairedComparison> {
    let compared: Vec<(&String, Vec<f64>)> = methods
        .iter()
        .filter(|method| *method != reference)
        .map(|method| (method, differences(rows, method, reference)))
        .filter(|(_, d)| !d.is_empty())
        .collect();
    // Every interval from one stream of draws per number of points (most of the time of the comparisons).
    let columns: Vec<&[f64]> = compared.iter().map(|(_, d)| d.as_slice()).collect();
    let intervals = mean_intervals(&columns, bootstrap.draws, bootstrap.seed);
    compared.iter().zip(intervals).map(|((method, d), interval)| comparison(method, reference, d, interval)).collect()
}

/// The comparison of the differences `d` (not empty) with their bootstrap interval.
fn comparison(method: &str, reference: &str, d: &[f64], (ci_low, ci_high): (f64, f64)) -> PairedComparison {
    let n = d.len();
    PairedComparison {
        method: method.to_string(),
        reference: reference.to_string(),
        n,
        win_rate: d.iter().filter(|&&x| x < 0.0).count() as f64 / n as f64,
        mean_difference: d.iter().sum::<f64>() / n as f64,
        ci_low,
        ci_high,
        wilcoxon_p: wilcoxon_signed_rank_p(d),
    }
}

/// The two-sided p-value of R's `wilcox.test(x, paired = TRUE, exact = FALSE, correct = TRUE)` on the
/// differences `x`: zeros dropped, mid-ranks of |x|, V = the sum of the positive ranks, normal approximation
/// with the tie correction and a continuity correction of 0.5 towards the mean.
pub fn wilcoxon_signed_rank_p(x: &[f64]) -> Option<f64> {
    let mut nonzero: Vec<f64> = x.iter().copied().filter(|&v| v != 0.0 && !v.is_nan()).collect();
    let n = nonzero.len();
    if n == 0 {
        return None;
    }
    nonzero.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    // Mid-ranks over runs of equal |x| (R's rank, ties "average"), and the tie term Σ(t³ − t).
    let (mut v, mut ties) = (0.0, 0.0);
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && nonzero[end].abs() == nonzero[start].abs() {
            end += 1;
        }
        let rank = (start + 1 + end) as f64 / 2.0;
        v += rank * nonzero[start..end].iter().filter(|&&value| value > 0.0).count() as f64;
        let t = (end - start) as f64;
        ties += t * t * t - t;
        start = end;
    }
    let n = n as f64;
    let z = v - n * (n + 1.0) / 4.0;
    let sigma = (n * (n + 1.0) * (2.0 * n + 1.0) / 24.0 - ties / 48.0).sqrt();
    // R's sign(): 0 at 0 (Rust's signum would give 1 there).
    let correction = if z > 0.0 {
        0.5
    } else if z < 0.0 {
        -0.5
    } else {
        0.0
    };
    let z = (z - correction) / sigma;
    // 2 · min(Φ(z), 1 − Φ(z)), from erfc for precision in the tails.
    let lower = 0.5 * libm::erfc(z.abs() / std::f64::consts::SQRT_2);
    Some((2.0 * lower).min(1.0))
}

/// `paired.csv`: `method,reference,n,win_rate,mean_difference,ci_low,ci_high,wilcoxon_p` (an undefined value
/// empty), numbers written as Rust writes f64 (shortest round trip).
pub fn paired_csv(comparisons: &[PairedComparison]) -> String {
    let number = |value: f64| if value.is_finite() { value.to_string() } else { String::new() };
    write_csv(
        &["method", "reference", "n", "win_rate", "mean_difference", "ci_low", "ci_high", "wilcoxon_p"],
        comparisons.iter().map(|c| {
            vec![
                c.method.clone(),
                c.reference.clone(),
                c.n.to_string(),
                number(c.win_rate),
                number(c.mean_difference),
                number(c.ci_low),
                number(c.ci_high),
                c.wilcoxon_p.map(number).unwrap_or_default(),
            ]
        }),
    )
}

/// A note for many comparisons: the threshold that keeps the family-wise error at 5% (Bonferroni).
pub fn multiple_comparison_note(count: usize) -> Option<String> {
    (count > 2).then(|| {
        format!(
            "{count} comparisons: at a 5% family-wise error rate a p-value counts below {:.4} (Bonferroni, 0.05 / {count}).",
            0.05 / count as f64
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeros_are_dropped_and_ties_share_their_rank() {
        // By hand: |x| = 1, 2, 2, 3 → ranks 1, 2.5, 2.5, 4; V = 1 + 2.5 + 4 = 7.5 (the −2 is negative);
        // z = 7.5 − 5 = 2.5 → (2.5 − 0.5) / sqrt(7.5 − 6/48) = 2 / 2.7157.
        let p = wilcoxon_signed_rank_p(&[1.0, 0.0, 2.0, -2.0, 3.0]).unwrap();
        let z: f64 = 2.0 / (7.5f64 - 6.0 / 48.0).sqrt();
        assert!((p - libm::erfc(z / std::f64::consts::SQRT_2)).abs() < 1e-15);
        assert_eq!(wilcoxon_signed_rank_p(&[0.0, 0.0]), None);
        // V at its mean: no continuity correction (R's sign(0) = 0), p = 1.
        assert_eq!(wilcoxon_signed_rank_p(&[1.0, -1.0]), Some(1.0));
    }
}
