//! Numbers written as text, fast, byte for byte as Rust's `{}` (CSV) or serde_json (JSON) write them.
//!
//! Most numbers the page writes have six decimals (pseudobulks are rounded so). For a value `v` that is the
//! f64 nearest to `m / 10⁶` (an integer `m`, |m| < 10¹⁵), the shortest text that reads back to `v` is `m / 10⁶`
//! in decimal with its trailing zeros dropped: any shorter decimal is a multiple of 10⁻⁶ too, hence at least
//! 10⁻⁶ away, far more than the half-ulp that would read back to `v`. So it is written from the integer `m`
//! directly; every other value goes to the general algorithm.
//!
//! ```
//! use perturb_check::number_text::{write_display, write_json};
//! let mut text = Vec::new();
//! write_display(&mut text, 2.5);
//! text.push(b' ');
//! write_json(&mut text, 2.0);
//! assert_eq!(text, b"2.5 2.0");
//! ```

/// `f64::round` (halves away from zero) from `trunc`, one instruction in wasm where `round` is a call: the
/// fraction `x − trunc(x)` is exact, so the comparison with one half decides as `round` does.
pub fn round_half_away(x: f64) -> f64 {
    let whole = x.trunc();
    if (x - whole).abs() >= 0.5 {
        whole + x.signum()
    } else {
        whole
    }
}

/// `v` as `m / 10⁶` when it is one: the sign, the whole part and the six fraction digits.
fn six_decimals(v: f64) -> Option<(bool, u64, u32)> {
    let scaled = v * 1e6;
    if !scaled.is_finite() || scaled.abs() >= 1e15 {
        return None;
    }
    let m = round_half_away(scaled);
    (m / 1e6 == v).then(|| {
        let magnitude = m.abs() as u64;
        (v.is_sign_negative(), magnitude / 1_000_000, (magnitude % 1_000_000) as u32)
    })
}

/// Appends the fraction digits of `fraction` (six places) without trailing zeros, after a point.
fn push_fraction(out: &mut Vec<u8>, fraction: u32) {
    let mut digits = [b'0'; 6];
    let mut rest = fraction;
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    let end = 6 - digits.iter().rev().take_while(|&&digit| digit == b'0').count();
    out.push(b'.');
    out.extend_from_slice(&digits[..end]);
}

fn push_whole(out: &mut Vec<u8>, negative: bool, whole: u64) {
    if negative {
        out.push(b'-');
    }
    let mut digits = [0u8; 20];
    let (mut start, mut rest) = (digits.len(), whole);
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// Appends `v` exactly as `format!("{v}")` writes it.
pub fn write_display(out: &mut Vec<u8>, v: f64) {
    match six_decimals(v) {
        Some((negative, whole, fraction)) => {
            push_whole(out, negative, whole);
            if fraction != 0 {
                push_fraction(out, fraction);
            }
        }
        None => out.extend_from_slice(format!("{v}").as_bytes()),
    }
}

/// Appends `v` exactly as serde_json writes an f64 (`null` when not finite).
pub fn write_json(out: &mut Vec<u8>, v: f64) {
    match six_decimals(v) {
        // serde_json writes 0 < |v| < 10⁻⁵ with an exponent: left to it.
        Some((negative, whole, fraction)) if whole > 0 || fraction >= 10 || fraction == 0 => {
            push_whole(out, negative, whole);
            if fraction == 0 {
                out.extend_from_slice(b".0");
            } else {
                push_fraction(out, fraction);
            }
        }
        _ => out.extend_from_slice(serde_json::to_string(&v).unwrap_or_else(|_| "null".into()).as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numpy_random::LegacyRandomState;

    fn values() -> Vec<f64> {
        let mut random = LegacyRandomState::new(9);
        let mut values: Vec<f64> = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            1e-5,
            1e-6,
            9e-6,
            1.1e-5,
            123456789.123456,
            1e9,
            1e15,
            1e16,
            0.1 + 0.2,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
        ];
        values.extend((0..3000).map(|m| m as f64 / 1e6));
        values.extend((0..3000).map(|m| -(m as f64) / 1e6));
        for _ in 0..200_000 {
            let x = (random.random_f64() - 0.5) * 10f64.powi((random.random_f64() * 24.0) as i32 - 8);
            values.push(x);
            values.push((x * 1e6).round() / 1e6);
        }
        values
    }

    #[test]
    fn rounding_from_trunc_is_round() {
        let mut random = LegacyRandomState::new(5);
        let halves = [0.5, -0.5, 1.5, -1.5, 2.5, 1e15 + 0.5, -0.0, 0.0, 0.49999999999999994, 4503599627370497.0];
        let drawn = (0..100_000).map(|_| (random.random_f64() - 0.5) * 2e7);
        for x in halves.into_iter().chain(drawn) {
            assert_eq!(round_half_away(x).to_bits(), x.round().to_bits(), "{x}");
        }
    }

    #[test]
    fn display_text_is_rusts() {
        for v in values() {
            let mut text = Vec::new();
            write_display(&mut text, v);
            assert_eq!(text, format!("{v}").as_bytes(), "{v:e}");
        }
    }

    #[test]
    fn json_text_is_serde_jsons() {
        for v in values() {
            let mut text = Vec::new();
            write_json(&mut text, v);
            assert_eq!(text, serde_json::to_string(&v).unwrap().as_bytes(), "{v:e}");
        }
    }
}
