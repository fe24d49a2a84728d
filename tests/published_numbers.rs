//! The engine against the paper's published numbers.

mod common;

use common::{load_data, optional_number, read, read_records};
use perturb_check::baselines::linear_model::UploadedEmbeddings;
use perturb_check::benchmark::{run_benchmark, BenchmarkInputs, BenchmarkKind, BenchmarkSettings};
use perturb_check::conditions::ConditionRules;
use perturb_check::expression::Orientation;
use perturb_check::predictions::{method_name_from_file, read_prediction_table, MethodName, Prediction};
use perturb_check::results_table::{read_results_csv, ResultRow};
use perturb_check::splits::SplitLabel;
use perturb_check::summary::{summarize, BootstrapSettings, Comparison};

const METHODS: [&str; 9] =
    ["additive_model", "cpa", "gears", "geneformer", "no_change", "scbert", "scfoundation", "scgpt", "uce"];

/// Norman 2019, CEBPE+CEBPB: the 9 methods' predictions, uploaded one file each, scored as published.
#[test]
fn l2_and_pearson_delta_match_published_cebpe_cebpb() {
    let folder = "tests/fixtures/norman2019_cebpe_cebpb";
    let data = load_data(&format!("{folder}/pseudobulk.csv"));
    let mut names: Vec<MethodName> = Vec::new();
    let mut predictions: Vec<Prediction> = Vec::new();
    for method in METHODS {
        let file = format!("{folder}/predictions/{method}.csv");
        let name = method_name_from_file(&file, None, &names);
        names.push(name.clone());
        let prediction =
            read_prediction_table(&file, &read(&file), name, &ConditionRules::default(), Orientation::Detect, &data)
                .unwrap_or_else(|error| panic!("{error}"));
        predictions.push(prediction);
    }
    let inputs = BenchmarkInputs {
        dataset: "pseudobulk",
        data: &data,
        predictions: &predictions,
        uploaded_split: None,
        embeddings: UploadedEmbeddings::default(),
        reference: None,
    };
    let result = run_benchmark(&inputs, &BenchmarkSettings::default(), &mut |_| {}).unwrap();
    assert_eq!(result.kind, BenchmarkKind::All, "one double: every condition is evaluated");
    let published = read_records(&format!("{folder}/published_metrics.csv"));
    assert_eq!(published.len(), 9);
    for record in published {
        // The uploaded `no_change` is renamed so as not to clash with the built-in.
        let method =
            if record["method"] == "no_change" { "no_change_uploaded".to_string() } else { record["method"].clone() };
        let row = result
            .rows
            .iter()
            .find(|row| row.method == method && row.perturbation == "CEBPE+CEBPB")
            .unwrap_or_else(|| panic!("no row for {method}"));
        assert_eq!((row.split, row.seed, row.n_genes), (SplitLabel::All, None, 1000));
        let l2: f64 = record["l2"].parse().unwrap();
        assert!((row.l2 - l2).abs() < 1e-5, "{method}: l2 {} vs published {l2}", row.l2);
        match optional_number(&record["pearson_delta"]) {
            Some(expected) => {
                let computed = row.pearson_delta.unwrap();
                assert!((computed - expected).abs() < 1e-6, "{method}: pearson_delta {computed} vs {expected}");
            }
            None => assert_eq!(row.pearson_delta, None, "{method}: undefined when the change is constant"),
        }
        let pearson: f64 = record["pearson"].parse().unwrap();
        assert!((row.pearson.unwrap() - pearson).abs() < 1e-6, "{method}: pearson");
    }
    // The built-in no-change baseline scores exactly as the paper's no_change.
    let built_in = result.rows.iter().find(|row| row.method == "no_change").unwrap();
    let uploaded = result.rows.iter().find(|row| row.method == "no_change_uploaded").unwrap();
    assert!((built_in.l2 - uploaded.l2).abs() < 1e-5);
}

/// The published per-perturbation table of Norman 2019 doubles, summarised, gives the paper's means
/// (METHODS §6: n = 310 per method; mean L2 additive 2.766, no change 5.616, GEARS 4.096, ...).
#[test]
fn summaries_of_the_published_norman_table_give_the_published_means() {
    let text =
        String::from_utf8(read("tests/fixtures/paper_tables/norman_doubles_metrics_by_method_seed.csv")).unwrap();
    let rows: Vec<ResultRow> = read_results_csv(&text).unwrap();
    assert!(rows.iter().all(|row| row.split != SplitLabel::Train), "test and val rows only");
    let summaries = summarize(&rows, Comparison::Common, Some("additive_model"), false, BootstrapSettings::default());
    let expected = [
        ("additive_model", 2.766, Some(0.892)),
        ("no_change", 5.616, None),
        ("gears", 4.096, Some(0.631)),
        ("scgpt", 4.616, Some(0.527)),
        ("scfoundation", 4.722, None),
        ("geneformer", 3.478, None),
        ("cpa", 12.205, None),
    ];
    for (method, mean_l2, mean_delta) in expected {
        let summary = summaries.iter().find(|summary| summary.method == method).unwrap();
        assert_eq!(summary.n, 310, "{method}");
        assert!((summary.mean_l2 - mean_l2).abs() < 5e-4, "{method}: {}", summary.mean_l2);
        if let Some(delta) = mean_delta {
            assert!((summary.mean_pearson_delta.unwrap() - delta).abs() < 5e-4, "{method}");
        }
        let ratio = summary.ratio.as_ref().unwrap();
        assert!(ratio.lower <= ratio.mean && ratio.mean <= ratio.upper, "{method}: {ratio:?}");
    }
    let additive = summaries.iter().find(|summary| summary.method == "additive_model").unwrap();
    let ratio = additive.ratio.as_ref().unwrap();
    assert_eq!((ratio.mean, ratio.lower, ratio.upper), (1.0, 1.0, 1.0));
    // Every model is worse than the additive baseline: its whole interval lies above 1.
    for summary in summaries.iter().filter(|summary| summary.method != "additive_model") {
        assert!(summary.ratio.as_ref().unwrap().lower > 1.0, "{}", summary.method);
    }
}
