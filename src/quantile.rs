//! Quantiles, one function per reference whose numbers it must reproduce. All are type 7 (R's default, numpy's
//! `linear`): the order statistics `x_lo`, `x_hi` around position `h = (n − 1)·p` interpolated linearly. They
//! differ in how the interpolation is written, which decides the last bits:
//!
//! - [`summary_quantile`] — medians, quartiles and bootstrap intervals that the page and its exports show (the
//!   leaderboard, the box plots, the audits): `x_lo + h·(x_hi − x_lo)`. No other tool's last bits are pinned
//!   there; the published and reference values they are compared with agree to far fewer digits.
//! - [`r_type7`] and [`r_type7_unsorted`] — R's own `quantile()` / `median()` arithmetic,
//!   `(1 − h)·x_lo + h·x_hi`, for the locfdr port, whose break points and thresholds must equal R's exactly.
//!
//! ```
//! use perturb_check::quantile::{r_type7, summary_quantile};
//! let mut values = vec![1.0, 2.0, 3.0, 4.0, 10.0];
//! assert!((summary_quantile(&mut values, 0.975) - 9.4).abs() < 1e-12);
//! assert!((r_type7(&values, 0.025) - 1.1).abs() < 1e-12);
//! ```

/// Type-7 quantile for what the page shows (see the module documentation). Sorts `values`; NaN when empty.
pub fn summary_quantile(values: &mut [f64], probability: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let position = (values.len() - 1) as f64 * probability;
    let lower = position.floor() as usize;
    let upper = (lower + 1).min(values.len() - 1);
    values[lower] + (position - lower as f64) * (values[upper] - values[lower])
}

/// R's type-7 quantile of sorted values, as R computes it (`quantile(x, p)`, also `median` to rounding).
pub fn r_type7(sorted: &[f64], probability: f64) -> f64 {
    let index = (sorted.len() - 1) as f64 * probability;
    let lower = index.floor() as usize;
    interpolate_order_statistics(sorted[lower], sorted[index.ceil() as usize], index - lower as f64)
}

/// [`r_type7`] without sorting: the two order statistics it needs are selected in linear time (`values` is
/// reordered).
pub fn r_type7_unsorted(values: &mut [f64], probability: f64) -> f64 {
    let index = (values.len() - 1) as f64 * probability;
    let lower = index.floor() as usize;
    let (_, &mut at_lower, above) = values.select_nth_unstable_by(lower, f64::total_cmp);
    let at_upper = if index > lower as f64 { above.iter().copied().fold(f64::INFINITY, f64::min) } else { at_lower };
    interpolate_order_statistics(at_lower, at_upper, index - lower as f64)
}

/// R's type-7 step between neighbouring order statistics: `(1 − h) x_lo + h x_hi` unless they are equal.
fn interpolate_order_statistics(lower: f64, upper: f64, h: f64) -> f64 {
    if h > 0.0 && upper != lower {
        (1.0 - h) * lower + h * upper
    } else {
        lower
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_quantile_is_type_seven() {
        let mut values = vec![1.0, 2.0, 3.0, 4.0, 10.0];
        assert!((summary_quantile(&mut values, 0.025) - 1.1).abs() < 1e-12);
        assert!((summary_quantile(&mut values, 0.975) - 9.4).abs() < 1e-12);
    }
}
