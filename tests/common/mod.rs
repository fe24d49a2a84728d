//! Helpers shared by the integration tests: fixture paths and loading.
#![allow(dead_code)]

use perturb_check::analysis::{run_analysis, AnalysisSettings, InputFile, KeptRun, RunReport};
use perturb_check::conditions::ConditionRules;
use perturb_check::expression::{read_expression_data, ExpressionMatrix, Orientation};
use perturb_check::inspect::FileRole;
use perturb_check::load::{load_file, LoadedFile};
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

/// Runs the benchmark on files of a fixture folder with the given roles, as the page would with `settings`.
pub fn run_files(folder: &str, files: &[(&str, FileRole)], settings: &AnalysisSettings) -> (RunReport, KeptRun) {
    let loaded: Vec<(InputFile, LoadedFile)> = files
        .iter()
        .enumerate()
        .map(|(index, (name, role))| {
            let bytes = read(&format!("{folder}/{name}"));
            let file = InputFile {
                id: index as u32,
                name: name.to_string(),
                role: *role,
                method: None,
                seed: None,
                pseudobulk: None,
            };
            (file, load_file(name, &bytes, &Default::default()).unwrap_or_else(|error| panic!("{error}")))
        })
        .collect();
    let pairs: Vec<(InputFile, &LoadedFile)> = loaded.iter().map(|(file, loaded)| (file.clone(), loaded)).collect();
    run_analysis(&pairs, settings, &mut |_| {}).unwrap_or_else(|error| panic!("{error}"))
}
