//! Efron's local false discovery rate as R's `locfdr` 1.1-8 computes it with `nulltype = 1` (the maximum
//! likelihood null) and its defaults `bre = 120, df = 7, pct = 0` — the paper's interaction thresholds come
//! from it (METHODS §5). Steps 1–5 of METHODS §5 are ported; locfdr's standard errors, plots and central
//! matching estimate are not (the fdr does not use them).
//!
//! 1. a 119-bin histogram with R `hist` semantics (right-closed bins, the first closed on both sides, R's
//!    break fuzz);
//! 2. the mixture density `f`: a Poisson GLM of the counts on a natural cubic spline of the bin centres
//!    (7 degrees of freedom), fitted by IRLS exactly as R's `glm.fit` (same start, same stopping rule);
//! 3. the null `N(δ, σ²)` and its share `p0` by the two-pass truncated-normal maximum likelihood of `locmle`;
//! 4. the fdr per bin, `min(p0 f0 / f, 1)`, raised to 1 around δ;
//! 5. the fdr per value by linear interpolation between bin centres (`approx(rule = 2)`).
//!
//! A fit that cannot be made is an [`LocfdrError`], never a made-up number.
//!
//! ```
//! use perturb_check::locfdr::{locfdr, thresholds};
//! // A standard normal null (a deterministic grid of its quantiles) with 10% of values shifted far out.
//! let n = 5000;
//! let mut z: Vec<f64> = (0..n).map(|i| perturb_check::locfdr::normal_quantile((i as f64 + 0.5) / n as f64)).collect();
//! z.iter_mut().step_by(10).for_each(|value| *value += if *value > 0.0 { 4.0 } else { -4.0 });
//! let fit = locfdr(&z).unwrap();
//! assert!(fit.delta.abs() < 0.1 && (fit.sigma - 1.0).abs() < 0.1 && fit.p0 > 0.8);
//! let (upper, lower) = thresholds(&z, &fit.fdr);
//! assert!(upper.unwrap() > 2.0 && lower.unwrap() < -2.0);
//! ```

use crate::linalg::least_squares;
use crate::quantile::{r_type7, r_type7_unsorted};
use faer::Mat;
use serde::{Deserialize, Serialize};

/// Number of histogram breaks (`bre`).
const BREAKS: usize = 120;
/// Degrees of freedom of the natural spline (`df`).
const SPLINE_DF: usize = 7;
/// R `glm.control()`: relative deviance change and iteration limit.
const GLM_EPSILON: f64 = 1e-8;
const GLM_MAX_ITERATIONS: usize = 25;
/// `locmle`'s iteration limit and step tolerance.
const MLE_ITERATIONS: usize = 35;
const MLE_EPSILON: f64 = 1e-5;
/// Above this many values locfdr estimates the null on a wider window (and says so).
const WIDE_WINDOW_ABOVE: usize = 500_000;
/// The fdr the thresholds aim at.
pub const TARGET_FDR: f64 = 0.05;

/// Why a fit could not be made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LocfdrError {
    /// Fewer values than bins make a histogram of noise.
    TooFewValues { n: usize },
    /// A value is NaN or infinite.
    NotFinite { index: usize },
    /// All values are equal: there is no histogram.
    AllEqual,
    /// The Poisson GLM for `f` did not converge in R's 25 iterations, or its deviance was not finite.
    GlmNotConverged { iterations: usize },
    /// No value lies in the window the null is estimated on.
    EmptyWindow { lower: f64, upper: f64 },
    /// The Newton iteration of the null left the valid region (a non-negative second natural parameter).
    NewtonLeftValidRegion { pass: usize, iteration: usize },
}

impl std::fmt::Display for LocfdrError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocfdrError::TooFewValues { n } => write!(f, "only {n} scores; the fit needs at least {BREAKS}"),
            LocfdrError::NotFinite { index } => write!(f, "score {} is not a finite number", index + 1),
            LocfdrError::AllEqual => f.write_str("all scores are equal"),
            LocfdrError::GlmNotConverged { iterations } => {
                write!(f, "the Poisson fit of the histogram did not converge in {iterations} iterations")
            }
            LocfdrError::EmptyWindow { lower, upper } => {
                write!(f, "no score lies in the window [{lower:.4}, {upper:.4}] the null is estimated on")
            }
            LocfdrError::NewtonLeftValidRegion { pass, iteration } => write!(
                f,
                "the maximum-likelihood estimate of the null left the valid region (pass {pass}, iteration \
                 {iteration}): the middle of the histogram does not look normal"
            ),
        }
    }
}

/// A fitted local fdr.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocfdrFit {
    /// The 120 histogram breaks, from the smallest to the largest value.
    pub breaks: Vec<f64>,
    /// The 119 bin centres.
    pub centres: Vec<f64>,
    pub counts: Vec<u32>,
    /// Fitted mixture density `f`, in counts per bin.
    pub mixture: Vec<f64>,
    /// The null part `p0 f0`, in counts per bin.
    pub null: Vec<f64>,
    /// The fdr per bin, after the raises to 1.
    pub bin_fdr: Vec<f64>,
    /// The fdr of each value, in input order.
    pub fdr: Vec<f64>,
    pub delta: f64,
    pub sigma: f64,
    pub p0: f64,
    /// locfdr's misfit statistic of `f` (it warns above 1.5: the spline is too stiff for the histogram).
    pub misfit: f64,
    /// True when there were more than 500,000 values and, as locfdr does, the null was estimated on a wider
    /// window than optimal.
    pub wide_window: bool,
}

/// Fits the local fdr of `z` (R: `locfdr(z, nulltype = 1)`).
pub fn locfdr(z: &[f64]) -> Result<LocfdrFit, LocfdrError> {
    if let Some(index) = z.iter().position(|value| !value.is_finite()) {
        return Err(LocfdrError::NotFinite { index });
    }
    if z.len() < BREAKS {
        return Err(LocfdrError::TooFewValues { n: z.len() });
    }
    let mut values = z.to_vec();
    let (breaks, counts) = histogram(z).ok_or(LocfdrError::AllEqual)?;
    let centres: Vec<f64> = breaks.windows(2).map(|pair| (pair[0] + pair[1]) / 2.0).collect();
    let mixture = poisson_spline_fit(&centres, &counts)?;

    let n = z.len();
    let wide_window = n > WIDE_WINDOW_ABOVE;
    let b = if wide_window { 1.0 } else { 4.3 * libm::exp(-0.26 * libm::log10(n as f64)) };
    let median = r_type7_unsorted(&mut values, 0.5);
    let scale = (r_type7_unsorted(&mut values, 0.75) - r_type7_unsorted(&mut values, 0.25)) / (2.0 * QNORM_075);
    let first = truncated_normal_mle(z, median, b * scale, 0.0, 1.0, 1)?;
    let second = truncated_normal_mle(z, first.delta, b * first.sigma, first.delta, first.sigma, 2)?;
    let NullEstimate { delta, sigma, p0 } = second;

    let density: Vec<f64> = centres.iter().map(|&x| normal_density((x - delta) / sigma) / sigma).collect();
    let (mixture_total, density_total) = (mixture.iter().sum::<f64>(), density.iter().sum::<f64>());
    let f0: Vec<f64> = density.iter().map(|value| mixture_total * value / density_total).collect();
    let mut bin_fdr: Vec<f64> = f0.iter().zip(&mixture).map(|(null, f)| (p0 * null / f).min(1.0)).collect();
    raise_to_one(&centres, &mut bin_fdr, delta, sigma);
    let fdr = z.iter().map(|&value| interpolate(&centres, &bin_fdr, value)).collect();
    let misfit = misfit(&counts, &mixture);
    Ok(LocfdrFit {
        null: f0.iter().map(|value| p0 * value).collect(),
        breaks,
        centres,
        counts,
        mixture,
        bin_fdr,
        fdr,
        delta,
        sigma,
        p0,
        misfit,
        wide_window,
    })
}

/// The thresholds of METHODS §5: the positive value whose fdr is closest to [`TARGET_FDR`] and the same among
/// negative values (the first in input order on ties). `None` when there is no positive (negative) value.
pub fn thresholds(z: &[f64], fdr: &[f64]) -> (Option<f64>, Option<f64>) {
    let closest = |keep: &dyn Fn(f64) -> bool| {
        let mut best: Option<(f64, f64)> = None;
        for (&value, &rate) in z.iter().zip(fdr) {
            let distance = (rate - TARGET_FDR).abs();
            if keep(value) && best.is_none_or(|(_, best_distance)| distance < best_distance) {
                best = Some((value, distance));
            }
        }
        best.map(|(value, _)| value)
    };
    (closest(&|value| value > 0.0), closest(&|value| value < 0.0))
}

/// locfdr's histogram of `z`: its 120 breaks from the smallest to the largest value and the 119 bin counts.
/// `None` when the values are all equal or not all finite.
pub fn histogram(z: &[f64]) -> Option<(Vec<f64>, Vec<u32>)> {
    let lowest = z.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(lowest.is_finite() && highest.is_finite() && lowest < highest) {
        return None;
    }
    let breaks = r_seq(lowest, highest, BREAKS);
    let counts = histogram_counts(z, &breaks);
    Some((breaks, counts))
}

/// R's `seq(from, to, length.out = n)`: `from + i · (to − from)/(n − 1)`, the last point exactly `to`.
fn r_seq(from: f64, to: f64, n: usize) -> Vec<f64> {
    let by = (to - from) / (n - 1) as f64;
    (0..n).map(|i| if i == n - 1 { to } else { from + i as f64 * by }).collect()
}

/// Bin counts as R's `hist(z, breaks, right = TRUE, include.lowest = TRUE)`: bins `(b_i, b_{i+1}]`, the
/// first `[b_0, b_1]`, on breaks moved by R's fuzz of 1e-7 times the median bin width (down for the first,
/// up for the others) so that values within rounding of a break fall in the bin to its left.
fn histogram_counts(z: &[f64], breaks: &[f64]) -> Vec<u32> {
    let mut widths: Vec<f64> = breaks.windows(2).map(|pair| pair[1] - pair[0]).collect();
    widths.sort_by(f64::total_cmp);
    let fuzz = 1e-7 * r_type7(&widths, 0.5);
    let inner: Vec<f64> = breaks[1..breaks.len() - 1].iter().map(|b| b + fuzz).collect();
    let mut counts = vec![0u32; breaks.len() - 1];
    for &value in z {
        counts[inner.partition_point(|&b| b < value)] += 1;
    }
    counts
}

/// The fitted values of R's `glm(counts ~ ns(x, df = 7), poisson)`.
///
/// The natural cubic spline space has the boundary knots at the ends of `x` and 6 interior knots at its
/// type-7 quantiles 1/7, …, 6/7; with the intercept it has dimension 8. Any basis of that space gives the
/// same IRLS iterates, so the truncated-power basis of natural splines (Hastie, Tibshirani & Friedman §5.2.1)
/// is used on `x` rescaled to [0, 1]. IRLS follows `glm.fit`: start at `μ = y + 0.1`, weighted least squares
/// on the working response, stop when `|dev − dev_old| / (|dev| + 0.1) < 1e-8`, at most 25 iterations.
fn poisson_spline_fit(x: &[f64], counts: &[u32]) -> Result<Vec<f64>, LocfdrError> {
    let basis = natural_spline_basis(x);
    let y: Vec<f64> = counts.iter().map(|&count| f64::from(count)).collect();
    let deviance = |mu: &[f64]| -> f64 {
        y.iter().zip(mu).map(|(&y, &mu)| 2.0 * if y > 0.0 { y * libm::log(y / mu) - (y - mu) } else { mu }).sum()
    };
    let mut mu: Vec<f64> = y.iter().map(|y| y + 0.1).collect();
    let mut eta: Vec<f64> = mu.iter().map(|&mu| libm::log(mu)).collect();
    let mut previous_deviance = deviance(&mu);
    for iteration in 1..=GLM_MAX_ITERATIONS {
        let weights: Vec<f64> = mu.iter().map(|mu| mu.sqrt()).collect();
        let weighted_basis = Mat::from_fn(x.len(), basis.ncols(), |i, j| basis[(i, j)] * weights[i]);
        let weighted_response = Mat::from_fn(x.len(), 1, |i, _| (eta[i] + (y[i] - mu[i]) / mu[i]) * weights[i]);
        let coefficients = least_squares(weighted_basis.as_ref(), weighted_response.as_ref());
        eta = (0..x.len()).map(|i| (0..basis.ncols()).map(|j| basis[(i, j)] * coefficients[(j, 0)]).sum()).collect();
        mu = eta.iter().map(|&eta| libm::exp(eta).max(f64::EPSILON)).collect();
        let current_deviance = deviance(&mu);
        if !current_deviance.is_finite() {
            return Err(LocfdrError::GlmNotConverged { iterations: iteration });
        }
        if (current_deviance - previous_deviance).abs() / (current_deviance.abs() + 0.1) < GLM_EPSILON {
            return Ok(mu);
        }
        previous_deviance = current_deviance;
    }
    Err(LocfdrError::GlmNotConverged { iterations: GLM_MAX_ITERATIONS })
}

/// An intercept plus a basis of the natural cubic splines with knots at the ends of `x` and its type-7
/// quantiles 1/7, …, 6/7 (R's `ns(x, df = 7)` spans the same space): `x.len() × 8`.
fn natural_spline_basis(x: &[f64]) -> Mat<f64> {
    let (low, high) = (x[0], x[x.len() - 1]);
    let scaled: Vec<f64> = x.iter().map(|value| (value - low) / (high - low)).collect();
    let mut knots = vec![0.0];
    knots.extend((1..SPLINE_DF).map(|k| r_type7(&scaled, k as f64 / SPLINE_DF as f64)));
    knots.push(1.0);
    let last = knots.len() - 1;
    let cube = |value: f64| value.max(0.0).powi(3);
    let d = |k: usize, t: f64| (cube(t - knots[k]) - cube(t - knots[last])) / (knots[last] - knots[k]);
    Mat::from_fn(x.len(), knots.len(), |i, j| {
        let t = scaled[i];
        match j {
            0 => 1.0,
            1 => t,
            _ => d(j - 2, t) - d(last - 1, t),
        }
    })
}

/// locfdr's misfit statistic `Σ ((y − f)/√(f + 1))² / (K − 2 − df)` over the inner bins.
fn misfit(counts: &[u32], mixture: &[f64]) -> f64 {
    let k = counts.len();
    let sum: f64 = (1..k - 1)
        .map(|i| {
            let residual = (f64::from(counts[i]) - mixture[i]) / (mixture[i] + 1.0).sqrt();
            residual * residual
        })
        .sum();
    sum / (k - 2 - SPLINE_DF) as f64
}

struct NullEstimate {
    delta: f64,
    sigma: f64,
    p0: f64,
}

/// One pass of locfdr's `locmle`: the normal `N(d, s²)` whose truncation to `[centre − half, centre + half]`
/// matches the first two moments of the values there, by Newton steps on the natural parameters
/// `β = (d/s², −1/(2s²))` damped by `1/(1 + 1/j²)` (a tenth of the step when a full one leaves the valid
/// region), and `p0 = (N0/N) / P(window)`.
fn truncated_normal_mle(
    z: &[f64],
    centre: f64,
    half_width: f64,
    start_delta: f64,
    start_sigma: f64,
    pass: usize,
) -> Result<NullEstimate, LocfdrError> {
    let (lower, upper) = (centre - half_width, centre + half_width);
    let window: Vec<f64> = z.iter().copied().filter(|&value| value >= lower && value <= upper).collect();
    if window.is_empty() {
        return Err(LocfdrError::EmptyWindow { lower, upper });
    }
    let observed = [r_mean(window.iter().copied()), r_mean(window.iter().map(|value| value * value))];
    let (mut d, mut s) = (start_delta, start_sigma);
    for j in 1..=MLE_ITERATIONS {
        let beta = [d / (s * s), -1.0 / (2.0 * s * s)];
        let (mean, covariance) = truncated_normal_moments(lower, upper, d, s);
        let step = solve_2x2(covariance, [observed[0] - mean[0], observed[1] - mean[1]]);
        let damping = 1.0 + 1.0 / (j * j) as f64;
        let mut next = [beta[0] + step[0] / damping, beta[1] + step[1] / damping];
        if next[1] > 0.0 {
            next = [beta[0] + 0.1 * step[0] / damping, beta[1] + 0.1 * step[1] / damping];
        }
        if next[1].is_nan() || next[1] >= 0.0 {
            return Err(LocfdrError::NewtonLeftValidRegion { pass, iteration: j });
        }
        d = -next[0] / (2.0 * next[1]);
        s = 1.0 / (-2.0 * next[1]).sqrt();
        if ((next[0] - beta[0]).powi(2) + (next[1] - beta[1]).powi(2)).sqrt() < MLE_EPSILON {
            break;
        }
    }
    let probability = normal_cdf((upper - d) / s) - normal_cdf((lower - d) / s);
    let p0 = (window.len() as f64 / z.len() as f64) / probability;
    Ok(NullEstimate { delta: d, sigma: s, p0 })
}

/// Mean vector and covariance matrix of `(z, z²)` for `z ~ N(d, s²)` truncated to `[lower, upper]`, from the
/// moments of the truncated standard normal (`E[t^k] = H_k / H_0`) and the binomial expansion of
/// `z = s (t + d/s)`.
fn truncated_normal_moments(lower: f64, upper: f64, d: f64, s: f64) -> ([f64; 2], [[f64; 2]; 2]) {
    let (a, b) = ((lower - d) / s, (upper - d) / s);
    let (fa, fb) = (normal_density(a), normal_density(b));
    let h0 = normal_cdf(b) - normal_cdf(a);
    let h = [
        h0,
        fa - fb,
        h0 + a * fa - b * fb,
        (2.0 + a * a) * fa - (2.0 + b * b) * fb,
        3.0 * h0 + (3.0 * a + a.powi(3)) * fa - (3.0 * b + b.powi(3)) * fb,
    ];
    let r = d / s;
    let binomial = [
        [1.0, 0.0, 0.0, 0.0, 0.0],
        [1.0, 1.0, 0.0, 0.0, 0.0],
        [1.0, 2.0, 1.0, 0.0, 0.0],
        [1.0, 3.0, 3.0, 1.0, 0.0],
        [1.0, 4.0, 6.0, 4.0, 1.0],
    ];
    let moment = |i: usize| -> f64 {
        let sum: f64 = (0..=i).map(|k| binomial[i][k] * r.powi((i - k) as i32) * h[k]).sum();
        s.powi(i as i32) * sum / h0
    };
    let (e1, e2, e3, e4) = (moment(1), moment(2), moment(3), moment(4));
    ([e1, e2], [[e2 - e1 * e1, e3 - e1 * e2], [e3 - e1 * e2, e4 - e2 * e2]])
}

/// Solves a 2 × 2 system (NaN when it is singular, which ends the Newton iteration as R's would fail).
fn solve_2x2(m: [[f64; 2]; 2], rhs: [f64; 2]) -> [f64; 2] {
    let determinant = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    if determinant == 0.0 {
        return [f64::NAN, f64::NAN];
    }
    [(rhs[0] * m[1][1] - m[0][1] * rhs[1]) / determinant, (m[0][0] * rhs[1] - m[1][0] * rhs[0]) / determinant]
}

/// R's `mean`: the sum divided by n, refined by the mean of the residuals.
fn r_mean(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = values.clone().count() as f64;
    let first = values.clone().sum::<f64>() / n;
    first + values.map(|value| value - first).sum::<f64>() / n
}

/// The two raises of the bin fdr to 1: every bin from the lowest centre ≤ δ to the highest centre ≥ δ whose
/// fdr is 1, and every bin within one σ of δ.
fn raise_to_one(centres: &[f64], bin_fdr: &mut [f64], delta: f64, sigma: f64) {
    let ones = || centres.iter().zip(bin_fdr.iter()).filter(|(_, &fdr)| fdr == 1.0).map(|(&x, _)| x);
    let low = ones().filter(|&x| x <= delta).fold(f64::INFINITY, f64::min);
    let high = ones().filter(|&x| x >= delta).fold(f64::NEG_INFINITY, f64::max);
    let (low, high) = (if low.is_finite() { low } else { delta }, if high.is_finite() { high } else { delta });
    for (&x, fdr) in centres.iter().zip(bin_fdr.iter_mut()) {
        if (x >= low && x <= high) || (x >= delta - sigma && x <= delta + sigma) {
            *fdr = 1.0;
        }
    }
}

/// R's `approx(x, y, value, rule = 2)` for increasing `x`: linear between neighbours, constant beyond the ends.
fn interpolate(x: &[f64], y: &[f64], value: f64) -> f64 {
    let last = x.len() - 1;
    if value <= x[0] {
        return y[0];
    }
    if value >= x[last] {
        return y[last];
    }
    let (mut i, mut j) = (0, last);
    while i + 1 < j {
        let middle = (i + j) / 2;
        if value < x[middle] {
            j = middle;
        } else {
            i = middle;
        }
    }
    if value == x[j] {
        return y[j];
    }
    if value == x[i] {
        return y[i];
    }
    y[i] + (y[j] - y[i]) * ((value - x[i]) / (x[j] - x[i]))
}

/// `qnorm(0.75)`.
const QNORM_075: f64 = 0.674_489_750_196_081_7;

/// The standard normal density.
pub fn normal_density(x: f64) -> f64 {
    libm::exp(-0.5 * x * x) / (2.0 * std::f64::consts::PI).sqrt()
}

/// The standard normal distribution function, from the complementary error function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// The standard normal quantile (Acklam's approximation refined by one Halley step; about 1e-15 relative).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] =
        [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * libm::log(p)).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * libm::log(1.0 - p)).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    let error = normal_cdf(x) - p;
    let u = error * (2.0 * std::f64::consts::PI).sqrt() * libm::exp(x * x / 2.0);
    x - u / (1.0 + x * u / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_functions_match_r() {
        // pnorm(1.5), dnorm(0.3), qnorm(0.975) in R, printed with 17 digits.
        assert!((normal_cdf(1.5) - 0.933_192_798_731_141_9).abs() < 1e-15);
        assert!((normal_density(0.3) - 0.381_387_815_460_524_1).abs() < 1e-15);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-13);
        assert!((normal_quantile(0.75) - QNORM_075).abs() < 1e-14);
    }

    #[test]
    fn histogram_uses_right_closed_bins_with_r_fuzz() {
        let breaks = r_seq(0.0, 3.0, 4);
        // 0 falls in the first bin (closed on the left), 1 and 2 on a break fall to the left bin, 1 + 1e-9
        // is within the fuzz of break 1 and still counts left; 1.01 is right of it.
        assert_eq!(histogram_counts(&[0.0, 1.0, 1.0 + 1e-9, 1.01, 2.0, 3.0], &breaks), vec![3, 2, 1]);
    }

    #[test]
    fn quantiles_without_sorting_equal_those_of_sorted_values() {
        let values: Vec<f64> = (0..1001).map(|i| ((i * 7919) % 1009) as f64 / 7.0).collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for probability in [0.0, 0.25, 0.5, 0.75, 1.0, 0.333] {
            let mut scratch = values.clone();
            assert_eq!(r_type7_unsorted(&mut scratch, probability), r_type7(&sorted, probability));
        }
    }

    #[test]
    fn interpolation_is_r_approx_with_rule_2() {
        let (x, y) = ([0.0, 1.0, 2.0], [1.0, 0.5, 0.0]);
        assert_eq!(interpolate(&x, &y, -5.0), 1.0);
        assert_eq!(interpolate(&x, &y, 0.5), 0.75);
        assert_eq!(interpolate(&x, &y, 1.0), 0.5);
        assert_eq!(interpolate(&x, &y, 1.75), 0.125);
        assert_eq!(interpolate(&x, &y, 9.0), 0.0);
    }

    #[test]
    fn raising_to_one_fills_the_run_around_delta_and_one_sigma() {
        let centres = [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0];
        let mut fdr = [0.1, 1.0, 0.9, 0.95, 0.8, 1.0, 0.2];
        raise_to_one(&centres, &mut fdr, 0.0, 0.5);
        assert_eq!(fdr, [0.1, 1.0, 1.0, 1.0, 1.0, 1.0, 0.2]);
        let mut fdr = [0.1, 0.2, 0.9, 0.95, 0.8, 0.3, 0.2];
        raise_to_one(&centres, &mut fdr, 0.1, 1.0);
        assert_eq!(fdr, [0.1, 0.2, 0.9, 1.0, 1.0, 0.3, 0.2], "only the bins within one σ of δ");
    }

    #[test]
    fn thresholds_take_the_first_closest_value_on_each_side() {
        let z = [0.5, -0.5, 0.7, 0.6, -0.8, -0.9, 0.0];
        let fdr = [0.2, 0.3, 0.07, 0.07, 0.06, 0.01, 0.05];
        assert_eq!(thresholds(&z, &fdr), (Some(0.7), Some(-0.8)), "0.7 and 0.6 tie: the first in input order");
        assert_eq!(thresholds(&[1.0, 2.0], &[0.5, 0.5]), (Some(1.0), None));
    }

    #[test]
    fn degenerate_inputs_are_errors() {
        assert_eq!(locfdr(&[1.0; 10]), Err(LocfdrError::TooFewValues { n: 10 }));
        assert_eq!(locfdr(&[2.0; 500]), Err(LocfdrError::AllEqual));
        let mut z: Vec<f64> = (0..500).map(|i| i as f64).collect();
        z[7] = f64::NAN;
        assert_eq!(locfdr(&z), Err(LocfdrError::NotFinite { index: 7 }));
    }

    #[test]
    fn an_empty_window_is_a_failed_fit() {
        // Half the values at −1, half at +1, and a window of width zero around 0 (the first pass always holds
        // the median, so only a pass centred elsewhere can be empty).
        let z: Vec<f64> = (0..400).map(|i| if i % 2 == 0 { -1.0 } else { 1.0 }).collect();
        let error = truncated_normal_mle(&z, 0.0, 0.0, 0.0, 1.0, 1).err().unwrap();
        assert_eq!(error, LocfdrError::EmptyWindow { lower: 0.0, upper: 0.0 });
    }

    #[test]
    fn a_bimodal_window_leaves_the_valid_region() {
        // Values piled at both ends of the window: their spread exceeds any truncated normal's, so the
        // natural parameter −1/(2s²) is pushed to zero and beyond.
        let z: Vec<f64> = (0..1000).map(|i| if i % 2 == 0 { -0.999 } else { 0.999 }).collect();
        let error = truncated_normal_mle(&z, 0.0, 1.0, 0.0, 1.0, 1).err().unwrap();
        assert!(matches!(error, LocfdrError::NewtonLeftValidRegion { pass: 1, .. }), "{error:?}");
    }

    #[test]
    fn a_histogram_the_glm_cannot_fit_is_a_failed_fit() {
        // Two spikes at the ends and nothing between: the fitted log-rate of the empty bins runs off to −∞ and
        // the deviance still changes after R's 25 iterations.
        let z: Vec<f64> = (0..400).map(|i| if i % 2 == 0 { -1.0 } else { 1.0 }).collect();
        assert_eq!(locfdr(&z), Err(LocfdrError::GlmNotConverged { iterations: 25 }));
        // Four billion values in the last bin and none elsewhere: the rates overflow, the deviance is not
        // finite.
        let x = r_seq(0.0, 1.0, 119);
        let counts: Vec<u32> = (0..119).map(|i| if i == 118 { u32::MAX } else { 0 }).collect();
        assert!(matches!(poisson_spline_fit(&x, &counts), Err(LocfdrError::GlmNotConverged { .. })));
    }

    #[test]
    fn the_poisson_fit_recovers_a_log_cubic_exactly() {
        // Counts that follow exp(linear) lie in the model space (to their rounding): IRLS must return them.
        let x = r_seq(-2.0, 2.0, 119);
        let counts: Vec<u32> = x.iter().map(|x| (1000.0 * (-x).exp()).round() as u32).collect();
        let fitted = poisson_spline_fit(&x, &counts).unwrap();
        for (count, fit) in counts.iter().zip(&fitted) {
            assert!((f64::from(*count) - fit).abs() < 1.0, "{count} vs {fit}");
        }
    }
}
