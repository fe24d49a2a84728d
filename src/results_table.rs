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

#[cfg(test)]
mod tests {
    use super::*;

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
