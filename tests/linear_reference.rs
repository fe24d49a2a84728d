//! `linear_reference` and `linear_reference_genes` — the linear model with the embeddings of a reference
//! dataset — against an independent numpy implementation (tests/fixtures/reference_screens/make_reference.py)
//! on a generated pair of screens that share most perturbations: within 1e-8, conditions missing from the
//! reference left unpredicted, invariant to the sign of each reference component; and a run with a reference
//! file scores both methods.

mod common;

use common::{load_data, read_records, run_files};
use perturb_check::analysis::AnalysisSettings;
use perturb_check::baselines::linear_model::{LinearModelSettings, UploadedEmbeddings};
use perturb_check::baselines::reference::reference_embeddings;
use perturb_check::baselines::{Baseline, FittedBaseline};
use perturb_check::conditions::Condition;
use perturb_check::expression::ExpressionMatrix;
use perturb_check::inspect::FileRole;

const FOLDER: &str = "tests/fixtures/reference_screens";

fn conditions_named(data: &ExpressionMatrix, names: &[String]) -> Vec<Condition> {
    names
        .iter()
        .map(|name| data.conditions().iter().find(|c| &c.name() == name).unwrap_or_else(|| panic!("{name}")).clone())
        .collect()
}

/// The pair of screens in `folder` (FOLDER, or its `panel/`: larger, every reference gene among the data's).
fn check(folder: &str, baseline: Baseline, expected_file: &str, flip: bool) {
    let data = load_data(&format!("{folder}/data.csv"));
    let reference = load_data(&format!("{folder}/reference.csv"));
    let train_names: Vec<String> = std::fs::read_to_string(common::path(&format!("{folder}/train.txt")))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let train = conditions_named(&data, &train_names);
    let train: Vec<&Condition> = train.iter().collect();
    // The evaluated conditions, and two training conditions absent from the reference (as the numpy script).
    let targets: Vec<Condition> = data
        .conditions()
        .iter()
        .filter(|c| !train.contains(c) || ["G0+ctrl", "G3+ctrl"].contains(&c.name().as_str()))
        .cloned()
        .collect();
    let targets: Vec<&Condition> = targets.iter().collect();
    let mut embeddings = reference_embeddings(&reference, data.genes(), 10);
    if flip {
        // The sign of a principal component is arbitrary: flipping some must not change any prediction.
        for vector in embeddings.perturbations.values_mut() {
            vector[0] = -vector[0];
            vector[3] = -vector[3];
        }
    }
    let fit = FittedBaseline::fit(
        baseline,
        &data,
        &train,
        &LinearModelSettings::default(),
        UploadedEmbeddings::default(),
        Some(&embeddings),
    )
    .unwrap();
    let predicted = fit.predict(&data, &targets);
    let expected = read_records(&format!("{folder}/{expected_file}"));
    let expected_conditions: Vec<String> = {
        let mut reader = csv::Reader::from_path(common::path(&format!("{folder}/{expected_file}"))).unwrap();
        reader.headers().unwrap().iter().skip(1).map(String::from).collect()
    };
    // Exactly the targets the reference embeds are predicted; G0 and G3 (not in the reference) are not.
    let mut names: Vec<String> = predicted.predicted.iter().map(|(c, _)| c.name()).collect();
    names.sort();
    let mut wanted = expected_conditions.clone();
    wanted.sort();
    assert_eq!(names, wanted);
    let missing: Vec<String> = predicted.not_predicted.iter().map(|(c, _)| c.name()).collect();
    assert_eq!(missing, ["G0+ctrl", "G3+ctrl"]);
    let mut worst: f64 = 0.0;
    for (condition, values) in &predicted.predicted {
        for (gene, record) in expected.iter().enumerate() {
            let want: f64 = record[&condition.name()].parse().unwrap();
            let got = values[data.gene_position(&record["gene"]).unwrap()];
            if want.is_nan() {
                assert!(got.is_nan(), "{} {}: predicted {got} for a gene the reference lacks", condition.name(), gene);
            } else {
                worst = worst.max((got - want).abs());
            }
        }
    }
    assert!(worst < 1e-8, "{baseline:?}: largest difference from numpy {worst}");
}

#[test]
fn linear_reference_equals_numpy() {
    check(FOLDER, Baseline::LinearReference, "expected_linear_reference.csv", false);
}

#[test]
fn linear_reference_genes_equals_numpy() {
    check(FOLDER, Baseline::LinearReferenceGenes, "expected_linear_reference_genes.csv", false);
}

/// One gene panel: the reference's two PCAs come from one Krylov space (the iterative SVD, 120 × 86).
#[test]
fn on_one_gene_panel_both_variants_equal_numpy() {
    let panel = format!("{FOLDER}/panel");
    check(&panel, Baseline::LinearReference, "expected_linear_reference.csv", false);
    check(&panel, Baseline::LinearReferenceGenes, "expected_linear_reference_genes.csv", false);
}

#[test]
fn predictions_do_not_depend_on_the_sign_of_a_reference_component() {
    check(FOLDER, Baseline::LinearReference, "expected_linear_reference.csv", true);
    check(&format!("{FOLDER}/panel"), Baseline::LinearReference, "expected_linear_reference.csv", true);
}

#[test]
fn a_reference_file_brings_both_methods_into_the_run() {
    let (report, _) = run_files(
        FOLDER,
        &[("data.csv", FileRole::Data), ("reference.csv", FileRole::Reference)],
        &AnalysisSettings::default(),
    );
    for method in ["linear_reference", "linear_reference_genes"] {
        assert!(report.methods.iter().any(|m| m == method), "{:?}", report.methods);
        assert!(report.rows.iter().any(|row| row.method == method), "{method} scored");
    }
    assert!(
        report.not_predicted.iter().any(|n| n.method == "linear_reference"),
        "targets outside the reference are reported"
    );
}
