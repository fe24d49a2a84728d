//! The results table: one row per (seed, method, perturbation), written as CSV by the engine so that the
//! page's export and the tests share one writer.
//!
//! Columns: `dataset,seed,method,perturbation,split,l2,pearson_delta,pearson,n_genes`. `seed` is empty for an
//! uploaded split or `all`; an undefined value (e.g. `pearson_delta` of `no_change`) is an empty field;
//! numbers are written with the fewest digits that read back to the same f64.
//!
//! ```
//! use perturb_check::results_table::{write_results_csv, ResultRow};
//! use perturb_check::splits::SplitLabel;
//! let row = ResultRow { dataset: "norman".into(), seed: Some(1), method: "no_change".into(),
//!     perturbation: "A+B".into(), split: SplitLabel::Test, l2: 2.5, pearson_delta: None, pearson: Some(0.9),
//!     n_genes: 1000 };
//! assert_eq!(write_results_csv(&[row]).lines().nth(1), Some("norman,1,no_change,A+B,test,2.5,,0.9,1000"));
//! ```

use crate::splits::SplitLabel;
use serde::{Deserialize, Serialize};

/// The header of `results.csv`.
pub const RESULTS_HEADER: [&str; 9] =
    ["dataset", "seed", "method", "perturbation", "split", "l2", "pearson_delta", "pearson", "n_genes"];

/// One scored (seed, method, perturbation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    /// The data file's name without extensions.
    pub dataset: String,
    /// The split seed; `None` for an uploaded split or `all`.
    pub seed: Option<u32>,
    pub method: String,
    /// The canonical condition name (`A+B`, `A+ctrl`).
    pub perturbation: String,
    pub split: SplitLabel,
    pub l2: f64,
    pub pearson_delta: Option<f64>,
    pub pearson: Option<f64>,
    /// The genes the metrics were computed over (fewer than N when the prediction lacks some).
    pub n_genes: usize,
}

fn format_optional(value: Option<f64>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

/// Writes a header and records as CSV, quoting fields where CSV needs it.
pub fn write_csv(header: &[&str], records: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(header);
    for record in records {
        let _ = writer.write_record(&record);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// Writes rows as CSV (with header), quoting names where CSV needs it.
pub fn write_results_csv(rows: &[ResultRow]) -> String {
    write_csv(
        &RESULTS_HEADER,
        rows.iter().map(|row| {
            vec![
                row.dataset.clone(),
                row.seed.map(|seed| seed.to_string()).unwrap_or_default(),
                row.method.clone(),
                row.perturbation.clone(),
                row.split.as_str().to_string(),
                row.l2.to_string(),
                format_optional(row.pearson_delta),
                format_optional(row.pearson),
                row.n_genes.to_string(),
            ]
        }),
    )
}

/// Reads rows back from `results.csv`, or from the paper's published per-perturbation tables, which name the
/// dataset column `dataset_name` and have no `n_genes` (read as the paper's 1000). An undefined value is an
/// empty field. Errors name the line and the column.
pub fn read_results_csv(text: &str) -> Result<Vec<ResultRow>, String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().map_err(|e| e.to_string())?.iter().map(String::from).collect();
    let column = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let required = |name: &str| column(&[name]).ok_or_else(|| format!("no column {name}"));
    let dataset = column(&["dataset", "dataset_name"]).ok_or("no column dataset")?;
    let (seed, method, perturbation, split, l2) =
        (required("seed")?, required("method")?, required("perturbation")?, required("split")?, required("l2")?);
    let (pearson_delta, pearson, n_genes) = (column(&["pearson_delta"]), column(&["pearson"]), column(&["n_genes"]));
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|e| format!("line {line}: {e}"))?;
        let field = |at: usize| record.get(at).unwrap_or("");
        let optional = |at: Option<usize>, name: &str| -> Result<Option<f64>, String> {
            match at.map(field).filter(|text| !text.is_empty()) {
                None => Ok(None),
                Some(text) => {
                    text.parse().map(Some).map_err(|_| format!("line {line}: {name} {text:?} is not a number"))
                }
            }
        };
        rows.push(ResultRow {
            dataset: field(dataset).to_string(),
            seed: match field(seed) {
                "" => None,
                text => Some(text.parse().map_err(|_| format!("line {line}: seed {text:?} is not a whole number"))?),
            },
            method: field(method).to_string(),
            perturbation: field(perturbation).to_string(),
            split: SplitLabel::parse(field(split)).ok_or_else(|| format!("line {line}: split {:?}", field(split)))?,
            l2: optional(Some(l2), "l2")?.ok_or_else(|| format!("line {line}: no l2"))?,
            pearson_delta: optional(pearson_delta, "pearson_delta")?,
            pearson: optional(pearson, "pearson")?,
            n_genes: match n_genes.map(field) {
                None | Some("") => 1000,
                Some(text) => text.parse().map_err(|_| format!("line {line}: n_genes {text:?}"))?,
            },
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_back_as_written() {
        let row = ResultRow {
            dataset: "my, data".into(),
            seed: Some(2),
            method: "m".into(),
            perturbation: "A+B".into(),
            split: SplitLabel::Val,
            l2: 0.1 + 0.2,
            pearson_delta: None,
            pearson: Some(-1e-300),
            n_genes: 7,
        };
        assert_eq!(read_results_csv(&write_results_csv(std::slice::from_ref(&row))), Ok(vec![row]));
        assert!(read_results_csv("dataset,seed\n").unwrap_err().contains("no column method"));
    }

    #[test]
    fn names_with_commas_are_quoted_and_numbers_round_trip() {
        let row = ResultRow {
            dataset: "my, data".into(),
            seed: None,
            method: "linear(gene=uploaded;perturbation=pca)".into(),
            perturbation: "A+B".into(),
            split: SplitLabel::All,
            l2: 0.1 + 0.2,
            pearson_delta: Some(-1e-300),
            pearson: None,
            n_genes: 3,
        };
        let text = write_results_csv(&[row]);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[0], "my, data");
        assert_eq!(&record[1], "");
        assert_eq!(record[5].parse::<f64>().unwrap(), 0.1 + 0.2);
        assert_eq!(record[6].parse::<f64>().unwrap(), -1e-300);
        assert_eq!(&record[7], "");
    }
}
