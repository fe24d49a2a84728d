//! A truth file: each double's planted kind, `{"A+B": "additive" | "buffering" | "synergy" | "dominant"}`
//! (the shipped simulated demo's `sim_double_truth_kind.json`, the simulator's `truth.json`). Names in any
//! spelling the condition rules accept (canonicalised by the caller).
//!
//! ```
//! use perturb_check::readers::truth_json::read_truth;
//! use perturb_check::truth::PlantedKind;
//! let truth = read_truth("truth.json", br#"{"A+B": "synergy", "A+C": "additive"}"#).unwrap();
//! assert_eq!(truth, [("A+B".to_string(), PlantedKind::Synergy), ("A+C".to_string(), PlantedKind::Additive)]);
//! ```

use super::prediction_json::json_error;
use super::{decompress, strip_bom};
use crate::error::{ErrorKind, InputError, Location};
use crate::truth::PlantedKind;

/// What a truth file looks like, for messages.
const SHAPE: &str = r#"a truth file ({"A+B": "additive" | "buffering" | "synergy" | "dominant"})"#;

/// The doubles and their planted kinds, in file order.
pub fn read_truth(file: &str, bytes: &[u8]) -> Result<Vec<(String, PlantedKind)>, InputError> {
    let decompressed = decompress(file, bytes)?;
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(strip_bom(&decompressed)).map_err(|error| json_error(file, &error, SHAPE))?;
    if map.is_empty() {
        return Err(InputError::new(file, Location::File, ErrorKind::Empty, "the truth file names no double"));
    }
    map.into_iter()
        .map(|(double, kind)| {
            let planted = kind.as_str().and_then(PlantedKind::from_name).ok_or_else(|| {
                InputError::new(
                    file,
                    Location::Key(double.clone()),
                    ErrorKind::Json,
                    format!("the kind {kind} is not one of additive, buffering, synergy, dominant"),
                )
            })?;
            Ok((double, planted))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_truth_files_say_where() {
        let error = read_truth("t.json", br#"{"A+B": "epistatic"}"#).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"t.json, key 'A+B': the kind "epistatic" is not one of additive, buffering, synergy, dominant"#
        );
        let error = read_truth("t.json", br#"["A+B"]"#).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Json);
        assert!(error.to_string().starts_with("t.json, line 1"), "{error}");
        assert_eq!(read_truth("t.json", b"{}").unwrap_err().kind, ErrorKind::Empty);
    }
}
