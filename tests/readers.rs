//! Readers on real files in every odd-but-valid form a user may have, and on garbage.

mod common;

use common::read;
use flate2::write::GzEncoder;
use perturb_check::conditions::ConditionRules;
use perturb_check::error::ErrorKind;
use perturb_check::expression::{read_expression_data, ExpressionMatrix, Orientation};
use perturb_check::load::JsonFile;
use perturb_check::predictions::{read_paper_prediction, read_prediction_table, MethodName};
use std::io::Write;

const NORMAN: &str = "tests/fixtures/norman2019_cebpe_cebpb/pseudobulk.csv";

fn load(name: &str, bytes: &[u8]) -> ExpressionMatrix {
    read_expression_data(name, bytes, &ConditionRules::default(), Orientation::Detect)
        .unwrap_or_else(|error| panic!("{error}"))
        .matrix
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The Norman table rewritten with another delimiter, quotes, BOM and CRLF.
fn rewritten(delimiter: &str, decimal: &str) -> Vec<u8> {
    let text = String::from_utf8(read(NORMAN)).unwrap();
    let mut out = String::from("\u{feff}");
    for line in text.lines() {
        let fields: Vec<String> = line
            .split(',')
            .enumerate()
            .map(|(index, field)| if index == 0 { format!("\"{field}\"") } else { field.replace('.', decimal) })
            .collect();
        out.push_str(&fields.join(delimiter));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn transposed(text: &str) -> String {
    let rows: Vec<Vec<&str>> = text.lines().map(|line| line.split(',').collect()).collect();
    (0..rows[0].len())
        .map(|column| rows.iter().map(|row| row[column]).collect::<Vec<_>>().join(","))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_layout_of_the_same_table_reads_the_same() {
    let reference = load("pseudobulk.csv", &read(NORMAN));
    assert_eq!((reference.n_genes(), reference.n_conditions()), (1000, 2));
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("pseudobulk.csv.gz", gzip(&read(NORMAN))),
        ("pseudobulk.tsv", rewritten("\t", ".")),
        ("pseudobulk.csv", rewritten(";", ",")),
        ("named.txt", gzip(&rewritten("\t", "."))),
        ("transposed.csv", transposed(&String::from_utf8(read(NORMAN)).unwrap()).into_bytes()),
    ];
    for (name, bytes) in variants {
        let matrix = load(name, &bytes);
        assert_eq!(matrix, reference, "{name}");
    }
}

#[test]
fn transposed_predictions_are_detected_by_the_data_genes() {
    let data = load("pseudobulk.csv", &read(NORMAN));
    let file = "tests/fixtures/norman2019_cebpe_cebpb/predictions/gears.csv";
    let text = String::from_utf8(read(file)).unwrap();
    let name = MethodName { method: "gears".into(), seed: None };
    let rules = ConditionRules::default();
    let straight =
        read_prediction_table(file, text.as_bytes(), name.clone(), &rules, Orientation::Detect, &data).unwrap();
    let flipped =
        read_prediction_table("t.csv", transposed(&text).as_bytes(), name, &rules, Orientation::Detect, &data).unwrap();
    assert_eq!(straight.matrix, flipped.matrix);
}

#[test]
fn gzipped_paper_format_reads_like_plain() {
    let folder = "public/demo/simulated";
    let data = load("d.csv", &read(&format!("{folder}/sim_double_pseudobulk.csv")));
    let predictions = read(&format!("{folder}/shrunk_additive_model_all_predictions.json"));
    let genes = read(&format!("{folder}/shrunk_additive_model_gene_names.json"));
    let name = MethodName { method: "m".into(), seed: None };
    let rules = ConditionRules::default();
    let plain = read_paper_prediction(
        "p.json",
        &JsonFile::new(predictions.clone()),
        "g.json",
        &genes,
        name.clone(),
        &rules,
        &data,
    )
    .unwrap();
    let packed = read_paper_prediction(
        "p.json.gz",
        &JsonFile::new(gzip(&predictions)),
        "g.json.gz",
        &gzip(&genes),
        name,
        &rules,
        &data,
    )
    .unwrap();
    assert_eq!(plain.matrix, packed.matrix);
    assert_eq!(plain.matrix.n_conditions(), 225, "ctrl + 100 singles + 124 doubles");
}

#[test]
fn garbage_is_refused_with_a_message_never_a_panic() {
    let packed = gzip(&read(NORMAN));
    let rules = ConditionRules::default();
    let cases: Vec<(&str, Vec<u8>, ErrorKind)> = vec![
        ("truncated.csv.gz", packed[..packed.len() / 3].to_vec(), ErrorKind::Compression),
        ("data.h5ad", b"\x89HDF\r\n\x1a\n\0\0\0\0".to_vec(), ErrorKind::Unsupported),
        ("binary.csv", (0..=255u8).cycle().take(5000).collect(), ErrorKind::Encoding),
        ("empty.csv", Vec::new(), ErrorKind::Empty),
        ("one_column.csv", b"gene\nA\nB\n".to_vec(), ErrorKind::NoDataRows),
    ];
    for (name, bytes, kind) in cases {
        let error = read_expression_data(name, &bytes, &rules, Orientation::Detect).unwrap_err();
        assert_eq!(error.kind, kind, "{name}: {error}");
        assert!(error.to_string().starts_with(name), "{error}");
    }
}
