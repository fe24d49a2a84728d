//! An uploaded split: `{"train": [...], "test": [...], "val": [...]}` with condition names in any spelling
//! (canonicalised by the caller). `val` may be missing or empty.
//!
//! ```
//! use perturb_check::readers::split_json::read_split;
//! let split = read_split("split.json", br#"{"train": ["ctrl", "A+ctrl"], "test": ["A+B"]}"#).unwrap();
//! assert_eq!(split.test, ["A+B"]);
//! assert!(split.val.is_empty());
//! ```

use super::prediction_json::json_error;
use super::{decompress, strip_bom};
use crate::error::{ErrorKind, InputError, Location};
use serde::Deserialize;

/// The condition names of an uploaded split, as written in the file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct UploadedSplit {
    #[serde(default)]
    pub train: Vec<String>,
    #[serde(default)]
    pub test: Vec<String>,
    #[serde(default)]
    pub val: Vec<String>,
}

pub fn read_split(file: &str, bytes: &[u8]) -> Result<UploadedSplit, InputError> {
    let decompressed = decompress(file, bytes)?;
    let split: UploadedSplit = serde_json::from_slice(strip_bom(&decompressed))
        .map_err(|error| json_error(file, &error, r#"a split ({"train": [...], "test": [...], "val": [...]})"#))?;
    if split.test.is_empty() && split.val.is_empty() {
        return Err(InputError::new(
            file,
            Location::File,
            ErrorKind::Empty,
            "the split has no test or val conditions, so there is nothing to evaluate",
        ));
    }
    Ok(split)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_splits_are_reported() {
        let error = read_split("s.json", br#"{"train": "A"}"#).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Json);
        assert!(error.to_string().starts_with("s.json, line 1"), "{error}");
        let error = read_split("s.json", br#"{"train": ["A"]}"#).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Empty);
    }
}
