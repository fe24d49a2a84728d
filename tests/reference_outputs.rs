//! The whole benchmark against an independent numpy implementation of METHODS.md
//! (tests/fixtures/reference/make_reference.py): the simulated double screen with a paper-format prediction,
//! and Papalexi 2021 unseen singles with the linear model.

mod common;

use common::{load_data, optional_number, read, read_records};
use perturb_check::baselines::linear_model::UploadedEmbeddings;
use perturb_check::benchmark::{run_benchmark, BenchmarkInputs, BenchmarkKind, BenchmarkResult, BenchmarkSettings};
use perturb_check::conditions::ConditionRules;
use perturb_check::expression::ExpressionMatrix;
use perturb_check::interactions::{interaction_report, ObservedClass, PredictedClass, ThresholdSource};
use perturb_check::predictions::{method_name_from_file, read_paper_prediction, Prediction};

fn run(dataset: &str, data: &ExpressionMatrix, predictions: &[Prediction]) -> BenchmarkResult {
    let inputs = BenchmarkInputs {
        dataset,
        data,
        predictions,
        uploaded_split: None,
        embeddings: UploadedEmbeddings::default(),
        reference: None,
    };
    run_benchmark(&inputs, &BenchmarkSettings::default(), &mut |_| {}).unwrap()
}

fn assert_matches_reference(result: &BenchmarkResult, reference: &str, tolerance: f64) {
    let expected = read_records(reference);
    assert_eq!(result.rows.len(), expected.len(), "number of rows");
    for record in expected {
        let seed: u32 = record["seed"].parse().unwrap();
        let row = result
            .rows
            .iter()
            .find(|row| {
                row.seed == Some(seed) && row.method == record["method"] && row.perturbation == record["perturbation"]
            })
            .unwrap_or_else(|| panic!("missing row {record:?}"));
        assert_eq!(row.split.as_str(), record["split"]);
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= tolerance,
            (None, None) => true,
            _ => false,
        };
        assert!(close(Some(row.l2), optional_number(&record["l2"])), "{record:?} vs {row:?}");
        assert!(close(row.pearson_delta, optional_number(&record["pearson_delta"])), "{record:?} vs {row:?}");
        assert!(close(row.pearson, optional_number(&record["pearson"])), "{record:?} vs {row:?}");
    }
}

fn simulated_double_result() -> BenchmarkResult {
    let folder = "public/demo/simulated";
    let data = load_data(&format!("{folder}/sim_double_pseudobulk.csv"));
    let predictions_file = format!("{folder}/shrunk_additive_model_all_predictions.json");
    let genes_file = format!("{folder}/shrunk_additive_model_gene_names.json");
    let name = method_name_from_file(&predictions_file, None, &[]);
    assert_eq!(name.method, "shrunk_additive_model");
    let prediction = read_paper_prediction(
        &predictions_file,
        &perturb_check::load::JsonFile::new(read(&predictions_file)),
        &genes_file,
        &read(&genes_file),
        name,
        &ConditionRules::default(),
        &data,
    )
    .unwrap();
    run("sim_double_pseudobulk", &data, &[prediction])
}

#[test]
fn simulated_double_benchmark_matches_numpy_reference() {
    let result = simulated_double_result();
    assert_eq!(result.kind, BenchmarkKind::Double);
    assert_eq!(result.methods, ["no_change", "additive", "mean", "shrunk_additive_model"]);
    assert_eq!(result.gene_set.len(), 1000);
    assert_matches_reference(&result, "tests/fixtures/reference/demo_simulated_results.csv", 1e-9);
}

#[test]
fn simulated_double_interactions_match_numpy_reference() {
    let result = simulated_double_result();
    let inputs = result.interactions.as_ref().expect("the demo has doubles with singles");
    assert_eq!(inputs.pairs.doubles.len(), 124);
    assert!(inputs.pairs.skipped.is_empty());
    // The engine's own locfdr thresholds: R's (tests/fixtures/locfdr/summary.csv), which the reference uses.
    let report = interaction_report(inputs, None);
    let thresholds = report.thresholds.as_ref().unwrap();
    assert_eq!(thresholds.source, ThresholdSource::Locfdr);
    assert!((thresholds.upper - 0.209152).abs() < 1e-12 && (thresholds.lower + 0.22966).abs() < 1e-12);

    let classes = report.classes.as_ref().unwrap();
    for record in read_records("tests/fixtures/reference/demo_simulated_interactions_classes.csv") {
        let n = classes.iter().find(|(class, _)| class.name() == record["class"]).unwrap().1;
        assert_eq!(n.to_string(), record["n"], "{}", record["class"]);
    }

    let methods: Vec<&str> = report.tpr_fdp.iter().map(|curve| curve.method.as_str()).collect();
    assert_eq!(methods, ["no_change", "mean", "shrunk_additive_model"], "every method but the additive model");
    let curves = read_records("tests/fixtures/reference/demo_simulated_interactions_tpr_fdp.csv");
    for curve in &report.tpr_fdp {
        assert_eq!(curve.n_seeds, 5);
        let expected: Vec<&std::collections::HashMap<String, String>> =
            curves.iter().filter(|record| record["method"] == curve.method).collect();
        assert_eq!(expected.len(), 101);
        for ((fdp, tpr), record) in curve.fdp.iter().zip(&curve.tpr).zip(expected) {
            assert_eq!(*fdp, record["fdp"].parse::<f64>().unwrap());
            let reference: f64 = record["tpr"].parse().unwrap();
            assert!((tpr - reference).abs() < 1e-12, "{} at fdp {fdp}: {tpr} vs {reference}", curve.method);
        }
    }

    let aucs = read_records("tests/fixtures/reference/demo_simulated_interactions_auc.csv");
    assert_eq!(report.auc.len(), aucs.len());
    for record in aucs {
        let auc =
            report.auc.iter().find(|auc| auc.method == record["method"] && auc.metric == record["metric"]).unwrap();
        let (mean, se): (f64, f64) = (record["mean"].parse().unwrap(), record["se"].parse().unwrap());
        assert!((auc.mean - mean).abs() < 1e-12, "{record:?} vs {auc:?}");
        assert!((auc.se.unwrap() - se).abs() < 1e-12, "{record:?} vs {auc:?}");
    }

    let tables = read_records("tests/fixtures/reference/demo_simulated_interactions_top_pairs.csv");
    for table in &report.class_tables {
        assert_eq!(table.n, 500);
        for (p, predicted) in PredictedClass::ALL.iter().enumerate() {
            for (o, observed) in ObservedClass::ALL.iter().enumerate() {
                let record = tables
                    .iter()
                    .find(|r| {
                        r["method"] == table.method
                            && r["predicted"] == predicted.name()
                            && r["observed"] == observed.name()
                    })
                    .unwrap();
                assert_eq!(table.counts[p][o].to_string(), record["n"], "{record:?}");
            }
        }
    }
}

#[test]
fn papalexi_unseen_single_benchmark_with_linear_model_matches_numpy_reference() {
    let data = load_data("public/demo/papalexi/papalexi2021_thp1_lowmoi_pseudobulk.csv");
    let result = run("papalexi2021_thp1_lowmoi_pseudobulk", &data, &[]);
    assert_eq!(result.kind, BenchmarkKind::UnseenSingle);
    assert_eq!(result.methods, ["no_change", "mean", "linear"]);
    assert_eq!(result.gene_set.len(), 299, "fewer genes than N: all are used");
    assert_matches_reference(&result, "tests/fixtures/reference/papalexi_results.csv", 1e-8);
    // Targets that are not measured genes are reported, not invented.
    let skipped: Vec<&str> = result
        .not_predicted
        .iter()
        .filter(|skip| skip.method == "linear")
        .map(|skip| skip.perturbation.as_str())
        .collect();
    assert!(skipped.contains(&"CUL3+ctrl") || skipped.contains(&"IRF1+ctrl"), "{skipped:?}");
    assert!(skipped.iter().all(|perturbation| !perturbation.starts_with("JAK2")));
}

#[test]
fn error_curves_end_at_the_mean_l2_of_each_method() {
    let data = load_data("public/demo/papalexi/papalexi2021_thp1_lowmoi_pseudobulk.csv");
    let result = run("papalexi", &data, &[]);
    assert_eq!(result.error_curves.len(), 3);
    for curve in &result.error_curves {
        let rows: Vec<f64> = result.rows.iter().filter(|row| row.method == curve.method).map(|row| row.l2).collect();
        assert_eq!(curve.n, rows.len(), "{}", curve.method);
        assert_eq!(curve.mean_cumulative_l2.len(), 299);
        let mean = rows.iter().sum::<f64>() / rows.len() as f64;
        assert!((curve.mean_cumulative_l2[298] - mean).abs() < 1e-12, "{}", curve.method);
        assert!(curve.mean_cumulative_l2.windows(2).all(|pair| pair[0] <= pair[1]), "a cumulative error never falls");
    }
}
