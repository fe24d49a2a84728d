//! Seeded bootstrap intervals of a mean (METHODS §4): the 2.5% and 97.5% quantiles of `draws` means of
//! resamples drawn with numpy's legacy generator, so an interval is reproducible.
//!
//! The draws depend only on the number of values, the number of draws and the seed, so the columns of equal
//! length of one summary (every method's ratios, every paired difference) share one stream of draws: each
//! resample is drawn once and summed for all of them. A column's mean is the sum of its resampled values in
//! draw order, from −0.0 as Rust's `sum` starts, divided by n: the same bits as one column alone.
//!
//! ```
//! use perturb_check::bootstrap::{mean_interval, mean_intervals};
//! assert_eq!(mean_interval(&[1.0, 1.0, 1.0], 100, 1), (1.0, 1.0));
//! let columns: [&[f64]; 2] = [&[1.0, 2.0, 3.0], &[5.0]];
//! let intervals = mean_intervals(&columns, 1000, 1);
//! assert_eq!(intervals[0], mean_interval(columns[0], 1000, 1));
//! assert_eq!(intervals[1], (5.0, 5.0));
//! ```

use crate::numpy_random::{Interval, LegacyRandomState};
use crate::quantile::summary_quantile;

/// The interval of one column ([`mean_intervals`] of it alone).
pub fn mean_interval(values: &[f64], draws: usize, seed: u32) -> (f64, f64) {
    mean_intervals(&[values], draws, seed)[0]
}

/// The interval of each column, in order; `(NaN, NaN)` for an empty column or no draws. Columns of equal
/// length are drawn together.
pub fn mean_intervals(columns: &[&[f64]], draws: usize, seed: u32) -> Vec<(f64, f64)> {
    let mut intervals = vec![(f64::NAN, f64::NAN); columns.len()];
    if draws == 0 {
        return intervals;
    }
    let mut lengths: Vec<usize> = columns.iter().map(|column| column.len()).filter(|&n| n > 0).collect();
    lengths.sort_unstable();
    lengths.dedup();
    for n in lengths {
        let members: Vec<usize> = (0..columns.len()).filter(|&index| columns[index].len() == n).collect();
        let found =
            same_length_intervals(&members.iter().map(|&index| columns[index]).collect::<Vec<_>>(), draws, seed);
        for (index, interval) in members.into_iter().zip(found) {
            intervals[index] = interval;
        }
    }
    intervals
}

/// [`mean_intervals`] of non-empty columns of one length.
fn same_length_intervals(columns: &[&[f64]], draws: usize, seed: u32) -> Vec<(f64, f64)> {
    let (k, n) = (columns.len(), columns[0].len());
    // Value i of every column side by side, so each draw reads one short row.
    let mut rows = vec![0.0; n * k];
    for (c, column) in columns.iter().enumerate() {
        for (i, &value) in column.iter().enumerate() {
            rows[i * k + c] = value;
        }
    }
    let mut random = LegacyRandomState::new(seed);
    let interval = Interval::below(n);
    let mut picks = vec![0u64; n];
    let mut sums = vec![0.0; k];
    // means[c * draws + d]: column c's mean of draw d.
    let mut means = vec![0.0; k * draws];
    for draw in 0..draws {
        random.draws(&interval, &mut picks);
        sums.fill(-0.0);
        for &pick in &picks {
            let row = &rows[pick as usize * k..][..k];
            for (sum, &value) in sums.iter_mut().zip(row) {
                *sum += value;
            }
        }
        for (c, &sum) in sums.iter().enumerate() {
            means[c * draws + draw] = sum / n as f64;
        }
    }
    means
        .chunks_mut(draws)
        .map(|column| {
            let lower = summary_quantile(column, 0.025);
            let upper = summary_quantile(column, 0.975);
            (lower, upper)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The interval as first written: one column, its draws summed with `sum`.
    fn one_column(values: &[f64], draws: usize, seed: u32) -> (f64, f64) {
        let mut random = LegacyRandomState::new(seed);
        let n = values.len();
        let interval = Interval::below(n);
        let mut picks = vec![0u64; n];
        let mut means: Vec<f64> = (0..draws)
            .map(|_| {
                random.draws(&interval, &mut picks);
                picks.iter().map(|&pick| values[pick as usize]).sum::<f64>() / n as f64
            })
            .collect();
        (summary_quantile(&mut means, 0.025), summary_quantile(&mut means, 0.975))
    }

    #[test]
    fn columns_drawn_together_have_the_bits_of_each_alone() {
        let mut random = LegacyRandomState::new(3);
        let columns: Vec<Vec<f64>> = [7, 62, 1, 62, 310, 7, 62, 2]
            .iter()
            .map(|&n| (0..n).map(|_| random.standard_normal() * 10.0 + 1.0).collect())
            .collect();
        let borrowed: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let together = mean_intervals(&borrowed, 2_000, 11);
        for (column, interval) in columns.iter().zip(&together) {
            let alone = one_column(column, 2_000, 11);
            assert_eq!(interval.0.to_bits(), alone.0.to_bits(), "n = {}", column.len());
            assert_eq!(interval.1.to_bits(), alone.1.to_bits(), "n = {}", column.len());
        }
    }

    #[test]
    fn empty_columns_and_no_draws_are_undefined() {
        let (a, b) = mean_intervals(&[&[], &[1.0]], 10, 1).into_iter().fold((0, 0), |(nan, fine), (l, u)| {
            if l.is_nan() && u.is_nan() {
                (nan + 1, fine)
            } else {
                (nan, fine + 1)
            }
        });
        assert_eq!((a, b), (1, 1));
        assert!(mean_interval(&[1.0, 2.0], 0, 1).0.is_nan());
    }

    #[test]
    fn the_interval_brackets_the_mean_and_is_reproducible() {
        let values: Vec<f64> = (0..50).map(|i| 0.5 + (i as f64) / 50.0).collect();
        let (lower, upper) = mean_interval(&values, 10_000, 7);
        let centre = values.iter().sum::<f64>() / 50.0;
        assert!(lower < centre && centre < upper);
        // A 95% interval spans about ±1.96 standard errors (population sd/√n).
        let sd = (values.iter().map(|v| (v - centre).powi(2)).sum::<f64>() / 50.0).sqrt();
        let standard_error = sd / 50f64.sqrt();
        assert!(((upper - lower) / 2.0 / standard_error - 1.96).abs() < 0.1, "{lower} {upper}");
        assert_eq!(mean_interval(&values, 10_000, 7), (lower, upper));
    }
}
