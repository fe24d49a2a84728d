//! Helpers shared by the integration tests: fixture paths and loading.
#![allow(dead_code)]

use perturb_check::conditions::ConditionRules;
use perturb_check::expression::{read_expression_data, ExpressionMatrix, Orientation};
use std::path::PathBuf;

/// A path below the crate root.
pub fn path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

pub fn read(relative: &str) -> Vec<u8> {
    std::fs::read(path(relative)).unwrap_or_else(|error| panic!("{relative}: {error}"))
}

pub fn load_data(relative: &str) -> ExpressionMatrix {
    read_expression_data(relative, &read(relative), &ConditionRules::default(), Orientation::Detect)
        .unwrap_or_else(|error| panic!("{error}"))
        .matrix
}

/// A CSV file as a list of records keyed by its header.
pub fn read_records(relative: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path(relative)).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    reader
        .records()
        .map(|record| header.iter().cloned().zip(record.unwrap().iter().map(str::to_string)).collect())
        .collect()
}

pub fn optional_number(text: &str) -> Option<f64> {
    (!text.is_empty()).then(|| text.parse().unwrap())
}
