//! The paper's prediction exchange format: `all_predictions.json` (`{condition key: [value per gene]}`) with
//! `gene_names.json` (the genes, in the order of every vector). Keys are GEARS-style (`A`, `A_B`, `""`) and
//! are canonicalised by the caller.
//!
//! ```
//! use perturb_check::readers::prediction_json::{read_all_predictions, read_gene_names};
//! let vectors = read_all_predictions("m_all_predictions.json", br#"{"KLF1": [1, 2.5], "": [0, 0]}"#).unwrap();
//! assert_eq!(vectors[0], ("KLF1".to_string(), vec![1.0, 2.5]));
//! assert_eq!(read_gene_names("m_gene_names.json", br#"["A", "B"]"#).unwrap(), ["A", "B"]);
//! ```

use super::{decompress, strip_bom};
use crate::conditions::Condition;
use crate::error::{ErrorKind, InputError, Location};
use serde::de::{Deserializer, MapAccess, Visitor};
use std::fmt;

/// Turns a serde_json error into one that names the file and the line and column.
pub(crate) fn json_error(file: &str, error: &serde_json::Error, what: &str) -> InputError {
    let location = match (error.line(), error.column()) {
        (0, _) => Location::File,
        // serde_json says column 0 for errors about a whole value (wrong type, end of file).
        (line, 0) => Location::Line(line),
        (line, column) => Location::JsonPosition { line, column },
    };
    let detail = error.to_string();
    // serde_json appends " at line L column C", which the location already says.
    let detail = detail.split(" at line ").next().unwrap_or(&detail).to_string();
    let hint = if detail.contains("expected value") {
        " (NaN and Infinity are not valid JSON: every gene needs a finite predicted value)"
    } else {
        ""
    };
    InputError::new(file, location, ErrorKind::Json, format!("this is not {what}: {detail}{hint}"))
}

/// A prediction vector per key, in file order.
struct OrderedVectors {
    file: String,
    entries: Vec<(String, Vec<f64>)>,
    problem: Option<InputError>,
}

impl<'de> Visitor<'de> for &mut OrderedVectors {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object mapping condition names to lists of numbers")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some((key, values)) = map.next_entry::<String, Vec<Option<f64>>>()? {
            if self.problem.is_some() {
                continue;
            }
            let mut vector = Vec::with_capacity(values.len());
            for (index, value) in values.into_iter().enumerate() {
                match value {
                    Some(value) if value.is_finite() => vector.push(value),
                    Some(value) => {
                        self.problem = Some(InputError::new(
                            &self.file,
                            Location::Key(key.clone()),
                            ErrorKind::NotFinite,
                            format!("value {} is {value:e}, which is not a finite number", index + 1),
                        ));
                        break;
                    }
                    None => {
                        self.problem = Some(InputError::new(
                            &self.file,
                            Location::Key(key.clone()),
                            ErrorKind::MissingValue,
                            format!("value {} is null; every gene needs a predicted value", index + 1),
                        ));
                        break;
                    }
                }
            }
            self.entries.push((key, vector));
        }
        Ok(())
    }
}

/// Reads `all_predictions.json`: an object of equally long number lists, in file order.
pub fn read_all_predictions(file: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<f64>)>, InputError> {
    let decompressed = decompress(file, bytes)?;
    let text = strip_bom(&decompressed);
    let mut vectors = OrderedVectors { file: file.to_string(), entries: Vec::new(), problem: None };
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    (&mut deserializer)
        .deserialize_map(&mut vectors)
        .and_then(|()| deserializer.end())
        .map_err(|error| json_error(file, &error, "a prediction file (an object of number lists)"))?;
    if let Some(problem) = vectors.problem {
        return Err(problem);
    }
    if vectors.entries.is_empty() {
        return Err(InputError::new(file, Location::File, ErrorKind::Empty, "the prediction file has no conditions"));
    }
    let first_length = vectors.entries[0].1.len();
    if let Some((key, vector)) = vectors.entries.iter().find(|(_, vector)| vector.len() != first_length) {
        return Err(InputError::new(
            file,
            Location::Key(key.clone()),
            ErrorKind::WrongLength,
            format!(
                "this vector has {} values but '{}' has {first_length}; all must have one value per gene",
                vector.len(),
                vectors.entries[0].0
            ),
        ));
    }
    Ok(vectors.entries)
}

/// Reads `gene_names.json`: a list of gene symbols.
pub fn read_gene_names(file: &str, bytes: &[u8]) -> Result<Vec<String>, InputError> {
    let decompressed = decompress(file, bytes)?;
    let names: Vec<String> = serde_json::from_slice(strip_bom(&decompressed))
        .map_err(|error| json_error(file, &error, "a list of gene names"))?;
    if names.is_empty() {
        return Err(InputError::new(file, Location::File, ErrorKind::Empty, "the list of gene names is empty"));
    }
    Ok(names)
}

/// The exchange format's key of a condition: `""` for control, `A` for a single, `A_B` for a double.
pub fn exchange_key(condition: &Condition) -> String {
    match condition {
        Condition::Control => String::new(),
        Condition::Single(gene) => gene.clone(),
        Condition::Double(first, second) => format!("{first}_{second}"),
    }
}

/// Writes predictions in the paper's format: `all_predictions.json` (a value per gene, in the order of
/// `gene_names.json`; `null` for a gene the method does not predict) and `gene_names.json`.
///
/// ```
/// use perturb_check::conditions::Condition;
/// use perturb_check::readers::prediction_json::write_paper_format;
/// let (predictions, genes) = write_paper_format(&["G1".into(), "G2".into()],
///     &[(Condition::Double("A".into(), "B".into()), vec![1.5, f64::NAN])]);
/// assert_eq!(predictions, r#"{"A_B":[1.5,null]}"#);
/// assert_eq!(genes, r#"["G1","G2"]"#);
/// ```
pub fn write_paper_format(genes: &[String], predicted: &[(Condition, Vec<f64>)]) -> (String, String) {
    // serde_json's compact text, written as it goes (no value tree of the numbers): keys as serde_json
    // escapes them, numbers as it writes an f64 (`number_text`, `null` when not finite).
    let entries = paper_entries(predicted);
    let mut text: Vec<u8> = Vec::with_capacity(entries.iter().map(|(_, values)| values.len() * 10 + 16).sum());
    text.push(b'{');
    for (index, (key, values)) in entries.iter().enumerate() {
        if index > 0 {
            text.push(b',');
        }
        text.extend_from_slice(serde_json::to_string(key).unwrap_or_default().as_bytes());
        text.extend_from_slice(b":[");
        for (position, &value) in values.iter().enumerate() {
            if position > 0 {
                text.push(b',');
            }
            crate::number_text::write_json(&mut text, value);
        }
        text.push(b']');
    }
    text.push(b'}');
    // Keys are strings and the rest ASCII.
    let predictions = String::from_utf8(text).unwrap_or_default();
    // Writing strings into a Vec cannot fail.
    let names = serde_json::to_string(genes).unwrap_or_default();
    (predictions, names)
}

/// The entries of `all_predictions.json` for `predicted`, in the order written: one per key, a repeated key's
/// last vector in its first place.
fn paper_entries(predicted: &[(Condition, Vec<f64>)]) -> Vec<(String, &[f64])> {
    super::json_object_entries(predicted.iter().map(|(condition, values)| (exchange_key(condition), values.as_slice())))
}

/// What [`read_all_predictions`] reads back of the `all_predictions.json` [`write_paper_format`] writes for
/// `predicted` when every value is finite (numbers are written as the shortest text of the same f64).
pub fn paper_format_vectors(predicted: &[(Condition, Vec<f64>)]) -> Vec<(String, Vec<f64>)> {
    paper_entries(predicted).into_iter().map(|(key, values)| (key, values.to_vec())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paper_format_is_serde_jsons_text() {
        let predicted = vec![
            (Condition::Double("A".into(), "B\"q".into()), vec![1.5, f64::NAN, -0.0, 2.0, 1e-6, 0.123456, -3.25e-5]),
            (Condition::Single("C".into()), vec![0.0, 1e20, f64::INFINITY, 7.0, 8.0, 9.0, 10.0]),
            (Condition::Double("A".into(), "B\"q".into()), vec![4.0; 7]),
        ];
        let mut map = serde_json::Map::new();
        for (condition, values) in &predicted {
            let vector = values.iter().map(|&value| {
                serde_json::Number::from_f64(value).map_or(serde_json::Value::Null, serde_json::Value::Number)
            });
            map.insert(exchange_key(condition), serde_json::Value::Array(vector.collect()));
        }
        let (text, _) = write_paper_format(&[], &predicted);
        assert_eq!(text, serde_json::Value::Object(map).to_string());
    }

    #[test]
    fn keys_keep_file_order() {
        let vectors = read_all_predictions("p.json", br#"{"B": [1], "A": [2], "": [3]}"#).unwrap();
        let keys: Vec<&str> = vectors.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(keys, ["B", "A", ""]);
    }

    #[test]
    fn malformed_prediction_files_say_where() {
        let cases: [(&[u8], ErrorKind, &str); 6] = [
            (b"", ErrorKind::Json, "p.json, line 1: this is not a prediction file"),
            (b"{}", ErrorKind::Empty, "p.json: the prediction file has no conditions"),
            (b"[1, 2]", ErrorKind::Json, "p.json, line 1"),
            (b"{\"A\": [1, 2],\n \"B\": [1]}", ErrorKind::WrongLength, "p.json, key 'B': this vector has 1 values"),
            (b"{\"A\": [1, null]}", ErrorKind::MissingValue, "p.json, key 'A': value 2 is null"),
            (b"{\"A\": [1, NaN]}", ErrorKind::Json, "p.json, line 1, column 11: this is not a prediction file"),
        ];
        for (bytes, kind, start) in cases {
            let error = read_all_predictions("p.json", bytes).unwrap_err();
            assert_eq!(error.kind, kind, "{error}");
            assert!(error.to_string().starts_with(start), "{error}");
        }
    }

    #[test]
    fn gene_names_must_be_a_list_of_strings() {
        let error = read_gene_names("g.json", br#"{"A": 1}"#).unwrap_err();
        assert!(error.to_string().starts_with("g.json, line 1: this is not a list of gene names"), "{error}");
        assert_eq!(read_gene_names("g.json", b"[]").unwrap_err().kind, ErrorKind::Empty);
    }
}
