//! Readers: bytes in, plain data out. They know nothing of the page, so the worker and the native tests share
//! them. Each returns an [`InputError`](crate::error::InputError) naming the file and the place, never panics.

pub mod embedding;
pub mod h5ad;
pub mod prediction_json;
pub mod split_json;
pub mod table;
pub mod truth_json;

use crate::error::{ErrorKind, InputError, Location};
use std::borrow::Cow;
use std::io::Read;

/// The largest table or JSON file (after decompression) read: its text and its numbers (f64) must both fit in
/// the browser tab's memory. A pseudobulk is far smaller (19,264 genes × 225 conditions is 40 MB); larger
/// files are cell-level matrices, which belong in an `.h5ad` (read in pieces).
pub const MAX_TEXT_BYTES: u64 = 768 << 20;

/// The error for a text file larger than [`MAX_TEXT_BYTES`], raised before it is read (or, compressed, as soon
/// as its decompressed size passes the limit), so the tab never runs out of memory.
pub fn too_large(file: &str, bytes: Option<u64>) -> InputError {
    let size = match bytes {
        Some(bytes) => format!("the file is {:.1} GB,", bytes as f64 / 1e9),
        None => "decompressed, the file is".to_string(),
    };
    InputError::new(
        file,
        Location::File,
        ErrorKind::TooLarge,
        format!(
            "{size} larger than the {} MB a table can have here (the browser could not hold it with its numbers); \
             a pseudobulk (genes × conditions) is far smaller: is this a matrix of cells? Drop the cells as .h5ad, \
             which is read in pieces, or pseudobulk them first",
            MAX_TEXT_BYTES >> 20
        ),
    )
}

/// Checks a text file's size before it is read.
pub fn check_text_size(file: &str, bytes: u64) -> Result<(), InputError> {
    if bytes > MAX_TEXT_BYTES {
        return Err(too_large(file, Some(bytes)));
    }
    Ok(())
}

/// Returns the file's bytes, gunzipped when they start with the gzip magic bytes (whatever the file is called).
pub fn decompress<'a>(file: &str, bytes: &'a [u8]) -> Result<Cow<'a, [u8]>, InputError> {
    decompress_within(file, bytes, MAX_TEXT_BYTES)
}

/// [`decompress`] with the largest decompressed size accepted.
pub fn decompress_within<'a>(file: &str, bytes: &'a [u8], limit: u64) -> Result<Cow<'a, [u8]>, InputError> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(Cow::Borrowed(bytes));
    }
    let mut decoder = flate2::read::MultiGzDecoder::new(bytes).take(limit + 1);
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(limit as usize));
    decoder.read_to_end(&mut out).map_err(|error| {
        let message = if error.kind() == std::io::ErrorKind::UnexpectedEof {
            "the gzip data end early: the file is truncated (download or copy it again)".to_string()
        } else {
            format!("the gzip data are corrupt ({error}); download or copy the file again")
        };
        InputError::new(file, Location::File, ErrorKind::Compression, message)
    })?;
    if out.len() as u64 > limit {
        return Err(too_large(file, None));
    }
    Ok(Cow::Owned(out))
}

/// The entries of a JSON object as serde_json's ordered map keeps them: in first-seen order, a repeated key in
/// its first place with its last value.
pub fn json_object_entries<T>(entries: impl IntoIterator<Item = (String, T)>) -> Vec<(String, T)> {
    let mut kept: Vec<(String, T)> = Vec::new();
    let mut places: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (key, value) in entries {
        match places.get(&key) {
            Some(&place) => kept[place].1 = value,
            None => {
                places.insert(key.clone(), kept.len());
                kept.push((key, value));
            }
        }
    }
    kept
}

/// Drops a UTF-8 byte-order mark, as spreadsheet programs write one.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(bytes)
}

/// Decodes a name. Text that is not UTF-8 is read as Latin-1 (what older spreadsheet exports write); the
/// caller reports that it did so.
pub fn decode_name(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.trim().to_string(), false),
        Err(_) => (bytes.iter().map(|&byte| byte as char).collect::<String>().trim().to_string(), true),
    }
}

/// The file's name without the extensions the readers understand (`.csv`, `.tsv`, `.txt`, `.json`, `.gz`,
/// `.h5ad`), and without any folder.
///
/// ```
/// assert_eq!(perturb_check::readers::base_name("runs/gears_seed1.csv.gz"), "gears_seed1");
/// ```
pub fn base_name(file_name: &str) -> &str {
    let mut name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    loop {
        let lower = name.to_ascii_lowercase();
        let stripped = [".gz", ".csv", ".tsv", ".txt", ".json", ".h5ad"]
            .iter()
            .find(|extension| lower.ends_with(*extension) && lower.len() > extension.len());
        match stripped {
            Some(extension) => name = &name[..name.len() - extension.len()],
            None => return name,
        }
    }
}

/// The folder a file was in, when a folder was dropped or chosen (its last directory, `/` or `\\`):
///
/// ```
/// use perturb_check::readers::folder_of;
/// assert_eq!(folder_of("runs/gears/all_predictions.json"), Some("gears"));
/// assert_eq!(folder_of("C:\\runs\\cpa\\all_predictions.json"), Some("cpa"));
/// assert_eq!(folder_of("all_predictions.json"), None);
/// ```
pub fn folder_of(file_name: &str) -> Option<&str> {
    let mut parts = file_name.rsplit(['/', '\\']);
    parts.next();
    parts.next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn gzip_is_detected_by_magic_bytes_not_name() {
        let packed = gzip(b"gene,ctrl\nA,1\n");
        assert_eq!(&*decompress("data.csv", &packed).unwrap(), b"gene,ctrl\nA,1\n");
        assert_eq!(&*decompress("data.csv.gz", b"gene,ctrl\n").unwrap(), b"gene,ctrl\n");
    }

    #[test]
    fn truncated_gzip_is_reported() {
        let packed = gzip(&b"gene,ctrl\nA,1\n".repeat(1000));
        let error = decompress("data.csv.gz", &packed[..packed.len() / 2]).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Compression);
        assert!(error.to_string().starts_with("data.csv.gz: the gzip data end early"), "{error}");
    }

    #[test]
    fn files_too_large_to_hold_are_refused_before_reading_or_while_decompressing() {
        // A gzip bomb: 1 MB of zeros packs into a kB; with a 100 kB limit it stops at the limit.
        let bomb = gzip(&vec![b'0'; 1 << 20]);
        let error = decompress_within("bomb.csv.gz", &bomb, 100_000).unwrap_err();
        assert_eq!(error.kind, ErrorKind::TooLarge);
        assert!(error.to_string().starts_with("bomb.csv.gz: decompressed, the file is larger than the 768 MB"));
        assert!(decompress_within("bomb.csv.gz", &bomb, 2 << 20).is_ok());
        let error = check_text_size("cells.csv", 3_000_000_000).unwrap_err();
        assert!(error.to_string().starts_with("cells.csv: the file is 3.0 GB, larger than the 768 MB"), "{error}");
        assert!(check_text_size("pseudobulk.csv", 40_000_000).is_ok());
    }

    #[test]
    fn base_name_strips_known_extensions_only() {
        assert_eq!(base_name("a/b/scgpt_all_predictions.json"), "scgpt_all_predictions");
        assert_eq!(base_name("PERT.TSV.GZ"), "PERT");
        assert_eq!(base_name("model.v2.csv"), "model.v2");
        assert_eq!(base_name(".csv"), ".csv");
    }

    #[test]
    fn latin1_names_are_decoded() {
        assert_eq!(decode_name(b"caf\xe9"), ("caf\u{e9}".to_string(), true));
        assert_eq!(decode_name(" KLF1 ".as_bytes()), ("KLF1".to_string(), false));
    }
}
