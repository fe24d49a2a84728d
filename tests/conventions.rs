//! The convention lens against the tools themselves: cell-eval 0.8.2's own `results.csv`, `agg_results.csv`
//! and `score` on committed h5ad pairs (tests/fixtures/celleval, made by its script), and GEARS, Systema and
//! PerturBench against a small independent numpy implementation of their formulas (tests/fixtures/conventions).

mod common;

use common::{read, read_records};
use perturb_check::analysis::{AnalysisSettings, KeptRun, RunReport};
use perturb_check::benchmark::SplitChoice;
use perturb_check::conventions::celleval::{self, CELLEVAL_COLUMNS};
use perturb_check::conventions::celleval_de::DE_METRICS;
use perturb_check::conventions::ladder::LADDERS;
use perturb_check::conventions::{metric_index, ConventionReport, METRICS};
use perturb_check::inspect::FileRole;

fn run(folder: &str, files: &[(&str, FileRole)], split_all: bool) -> (RunReport, KeptRun) {
    let mut settings = AnalysisSettings::default();
    if split_all {
        settings.benchmark.split = Some(SplitChoice::All);
    }
    common::run_files(folder, files, &settings)
}

/// cell-eval's fixture whose perturbation labels are gene names.
const GENES: &str = "tests/fixtures/celleval/genes";

/// Its data and both predictions under split `all` (cell-eval compares every perturbation).
fn genes_fixture() -> (RunReport, KeptRun) {
    let files = [
        ("real.h5ad", FileRole::Data),
        ("model_a.h5ad", FileRole::Predictions),
        ("model_b.h5ad", FileRole::Predictions),
    ];
    run(GENES, &files, true)
}

fn close(actual: f64, expected: f64, relative: bool) -> bool {
    if expected.is_nan() {
        return actual.is_nan();
    }
    let scale = if relative { expected.abs().max(1e-12) } else { 1.0 };
    (actual - expected).abs() <= 1e-5 * scale
}

/// Our cell-eval files for `method` against cell-eval's `results.csv` and `agg_results.csv`: every column,
/// the DE metrics included when the prediction is cells (sets and counts exactly, correlations and AUCs within
/// 1e-6).
fn assert_matches_celleval(report: &ConventionReport, method: &str, expected_prefix: &str) {
    let ours = celleval::results(report, method, None);
    let expected = read_records(&format!("{expected_prefix}_results.csv"));
    assert_eq!(ours.rows.len(), expected.len(), "{method}: perturbations");
    assert_eq!(ours.columns.len(), DE_METRICS.len() + CELLEVAL_COLUMNS.len(), "{method}: every column but two");
    for ((label, values), row) in ours.rows.iter().zip(&expected) {
        assert_eq!(label, &row["perturbation"], "{method}: cell-eval's order");
        for (column, value) in ours.columns.iter().zip(values) {
            let what = format!("{method} {label} {column}: {value:?} vs cell-eval '{}'", row[*column]);
            if DE_METRICS.contains(column) {
                match (value, row[*column].as_str()) {
                    (None, "") => {}
                    (Some(value), "NaN") => assert!(value.is_nan(), "{what}"),
                    (Some(value), theirs) if !theirs.is_empty() => {
                        let theirs: f64 = theirs.parse().unwrap();
                        let exact = column.starts_with("overlap")
                            || column.starts_with("precision")
                            || column.contains("counts")
                            || column.contains("recall")
                            || column.contains("direction");
                        let tolerance = if exact { 1e-15 } else { 1e-6 };
                        assert!((value - theirs).abs() <= tolerance, "{what}");
                    }
                    _ => panic!("{what}"),
                }
                continue;
            }
            let theirs: f64 = row[*column].parse().unwrap();
            let relative = column.starts_with("ms") || column.starts_with("ma");
            assert!(close(value.unwrap(), theirs, relative), "{what}");
        }
    }
    let agg_text = celleval::write_agg_results_csv(&ours);
    let mut ours_agg = csv::Reader::from_reader(agg_text.as_bytes());
    let header: Vec<String> = ours_agg.headers().unwrap().iter().map(str::to_string).collect();
    let expected_agg = read_records(&format!("{expected_prefix}_agg_results.csv"));
    for (record, theirs) in ours_agg.records().map(Result::unwrap).zip(&expected_agg) {
        assert_eq!(&record[0], theirs["statistic"].as_str());
        for (column, value) in header.iter().zip(record.iter()).skip(1) {
            let (value, expected): (f64, f64) = (value.parse().unwrap(), theirs[column].parse().unwrap());
            assert!(close(value, expected, true), "{method} agg {} {column}: {value} vs {expected}", &record[0]);
        }
    }
}

#[test]
fn cell_eval_columns_equal_cell_evals_own_on_labels_that_are_gene_names() {
    let (report, kept) = genes_fixture();
    assert!(report.methods.contains(&"celleval_baseline".to_string()), "{:?}", report.methods);
    let conventions = kept.conventions(false).unwrap();
    // model_a has a shifted control of its own, model_b the observed control cells.
    assert_matches_celleval(&conventions, "model_a", &format!("{GENES}/model_a"));
    assert_matches_celleval(&conventions, "model_b", &format!("{GENES}/model_b"));
    // `cell-eval baseline` built from the same file, scored by cell-eval.
    assert_matches_celleval(&conventions, "celleval_baseline", &format!("{GENES}/baseline"));
    // `cell-eval score` of model_a against the baseline: every metric of the full profile computed here, and
    // the Virtual Cell Challenge's score (`--profile vcc`, made by make_vcc.py).
    let score = conventions.celleval_scores.iter().find(|score| score.method == "model_a").unwrap();
    assert_eq!(score.baseline, "celleval_baseline");
    let from_baseline = |file: &str, metric: &str| -> f64 {
        let rows = read_records(&format!("{GENES}/{file}"));
        rows.iter().find(|row| row["metric"] == metric).unwrap()["from_baseline"].parse().unwrap()
    };
    assert_eq!(score.all_metrics.len(), 24);
    assert_eq!(score.all_metrics.iter().map(|(metric, _)| metric.as_str()).collect::<Vec<_>>(), celleval::scored_all());
    for (metric, ours) in &score.all_metrics {
        let theirs = from_baseline("model_a_score.csv", metric);
        assert!((ours - theirs).abs() <= 1e-6, "score {metric}: {ours} vs cell-eval {theirs}");
    }
    assert!(score.vcc);
    assert_eq!(score.metrics, celleval::VCC_METRICS);
    let theirs = from_baseline("model_a_vcc_score.csv", "avg_score");
    assert!((score.avg_score - theirs).abs() <= 1e-6, "VCC score {} vs cell-eval {theirs}", score.avg_score);
    let exported = celleval::write_score_csv(score);
    let committed = std::fs::read_to_string(common::path(&format!("{GENES}/model_a_vcc_score.csv"))).unwrap();
    let rows = |text: &str| text.lines().map(|line| line.split(',').next().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(rows(&exported), rows(&committed), "cell-eval score's layout");
}

#[test]
fn cell_eval_drops_no_gene_for_gears_style_labels() {
    let folder = "tests/fixtures/celleval/gears";
    let (_, kept) = run(folder, &[("real.h5ad", FileRole::Data), ("model_a.h5ad", FileRole::Predictions)], true);
    let conventions = kept.conventions(false).unwrap();
    assert_matches_celleval(&conventions, "model_a", &format!("{folder}/model_a"));
    let labels: Vec<&str> = conventions.points.iter().map(|point| point.label.as_str()).collect();
    assert!(labels.contains(&"GN0010+ctrl") && labels.contains(&"GN0011+GN0012"), "{labels:?}");
}

#[test]
fn cell_eval_de_metrics_on_sparse_cells_leave_undefined_values_as_cell_eval_does() {
    // CSR data, a CSC prediction, and GN0017 without a significant gene in the data.
    let folder = "tests/fixtures/celleval/sparse";
    let (_, kept) = run(folder, &[("real.h5ad", FileRole::Data), ("model_a.h5ad", FileRole::Predictions)], true);
    let conventions = kept.conventions(false).unwrap();
    assert_matches_celleval(&conventions, "model_a", &format!("{folder}/model_a"));
    let point = conventions.points.iter().find(|p| p.method == "model_a" && p.label == "GN0017").unwrap();
    let value = |metric: &str| point.values[metric_index("cell-eval", metric).unwrap()];
    assert_eq!(value("de_nsig_counts_real"), Some(0.0));
    assert_eq!(value("overlap_at_N"), Some(0.0));
    assert_eq!(value("de_sig_genes_recall"), None, "cell-eval's null");
    assert!(value("roc_auc").unwrap().is_nan(), "one class only: NaN");
}

#[test]
fn every_ladder_starts_at_the_papers_value_and_ends_at_the_targets() {
    let folder = "public/demo/simulated";
    let files = [
        ("sim_double_pseudobulk.csv", FileRole::Data),
        ("shrunk_additive_model_all_predictions.json", FileRole::Predictions),
        ("shrunk_additive_model_gene_names.json", FileRole::GeneNames),
    ];
    let (report, kept) = run(folder, &files, false);
    let conventions = kept.conventions(false).unwrap();
    for means in &conventions.means {
        let rows: Vec<_> = report.rows.iter().filter(|row| row.method == means.method).collect();
        for spec in &LADDERS {
            let rungs: Vec<_> = conventions
                .ladders
                .iter()
                .filter(|row| {
                    row.method == means.method
                        && row.target_convention == spec.target_convention
                        && row.target_metric == spec.target_metric
                })
                .collect();
            assert_eq!(rungs.len(), spec.steps.len() + 1);
            let paper: Vec<f64> = rows
                .iter()
                .filter_map(|row| match spec.paper_metric {
                    "l2" => Some(row.l2),
                    "pearson" => row.pearson,
                    _ => row.pearson_delta,
                })
                .collect();
            let paper_mean = (!paper.is_empty()).then(|| paper.iter().sum::<f64>() / paper.len() as f64);
            assert_eq!(rungs[0].value_mean, paper_mean, "{} rung 0", means.method);
            let target = metric_index(spec.target_convention, spec.target_metric).unwrap();
            assert_eq!(
                rungs.last().unwrap().value_mean,
                means.values[target],
                "{} → {}",
                means.method,
                spec.target_convention
            );
        }
    }
    // Every point has every metric's value or a reason: here every pairwise metric is computed.
    assert!(!conventions.pairwise_deferred);
    assert_eq!(conventions.points.len(), report.rows.len());
    assert!(conventions.points.iter().all(|point| point.values.len() == METRICS.len()));
}

#[test]
fn gears_systema_and_perturbench_equal_an_independent_numpy_implementation() {
    let folder = "tests/fixtures/conventions";
    let files =
        [("pseudobulk.csv", FileRole::Data), ("model.csv", FileRole::Predictions), ("split.json", FileRole::Split)];
    let (_, kept) = run(folder, &files, false);
    let conventions = kept.conventions(false).unwrap();
    let expected = read_records(&format!("{folder}/expected.csv"));
    assert_eq!(expected.len(), 7 * 13, "7 points × 13 metrics");
    for row in &expected {
        let point = conventions
            .points
            .iter()
            .find(|point| point.method == "model" && point.perturbation == row["perturbation"])
            .unwrap_or_else(|| panic!("no point {}", row["perturbation"]));
        assert_eq!(point.seed, None, "an uploaded split has no seed");
        assert_eq!(point.split.as_str(), row["split"]);
        let index = metric_index(&row["convention"], &row["metric"]).unwrap();
        let ours = point.values[index];
        let what = format!("{} {} {}", row["perturbation"], row["convention"], row["metric"]);
        match (ours, row["value"].as_str()) {
            (None, "") => {}
            (Some(ours), theirs) if !theirs.is_empty() => {
                let theirs: f64 = theirs.parse().unwrap();
                // f64 formulas to the last bits; cell-eval's float32 to its precision.
                let tolerance = if row["convention"] == "cell-eval" { 1e-6 * theirs.abs() } else { 1e-12 };
                assert!((ours - theirs).abs() <= tolerance, "{what}: {ours} vs numpy {theirs}");
            }
            (ours, theirs) => panic!("{what}: {ours:?} vs numpy '{theirs}'"),
        }
    }
}

/// The native `conventions.csv` of the genes fixture (data and both predictions, split `all`), which the page's
/// export must equal (tests/e2e). `UPDATE_FIXTURES=1` writes it after a deliberate change.
#[test]
fn the_native_conventions_csv_of_the_fixture_is_the_committed_one() {
    let (_, kept) = genes_fixture();
    let text = perturb_check::conventions::write_conventions_csv(&kept.conventions(false).unwrap());
    let path = common::path(&format!("{GENES}/conventions_native.csv"));
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{} differs from the engine's output: rerun with UPDATE_FIXTURES=1 if the change is meant",
        path.display()
    );
    // no_change, mean, linear, celleval_baseline and the two predictions.
    assert!(text.lines().count() == 1 + 6 * 8 * METRICS.len(), "6 methods × 8 perturbations × every metric");
}

#[test]
fn above_a_thousand_points_in_a_seed_the_pairwise_metrics_wait_for_a_request() {
    use perturb_check::baselines::linear_model::UploadedEmbeddings;
    use perturb_check::benchmark::{method_predictions, run_benchmark, BenchmarkInputs, BenchmarkSettings};
    use perturb_check::conditions::Condition;
    use perturb_check::conventions::{score_conventions, ConventionInputs};
    use perturb_check::expression::ExpressionMatrix;
    // 1,001 single perturbations of 3 genes, every one evaluated under `all`.
    let mut conditions = vec![Condition::Control];
    conditions.extend((0..1001).map(|i| Condition::Single(format!("P{i}"))));
    let values: Vec<f64> = (0..3 * conditions.len()).map(|v| 1.0 + ((v * 7919) % 101) as f64 / 50.0).collect();
    let data = ExpressionMatrix::new(vec!["G1".into(), "G2".into(), "G3".into()], conditions, values);
    let inputs = BenchmarkInputs {
        dataset: "big",
        data: &data,
        predictions: &[],
        uploaded_split: None,
        embeddings: UploadedEmbeddings::default(),
        reference: None,
    };
    let settings = BenchmarkSettings { split: Some(SplitChoice::All), ..Default::default() };
    let result = run_benchmark(&inputs, &settings, &mut |_| {}).unwrap();
    let score = |pairwise_always| {
        let convention_inputs = ConventionInputs {
            dataset: "big",
            data: &data,
            gene_set: result.fitted.gene_set(),
            splits: result.fitted.splits(),
            rows: &result.rows,
            pairwise_always,
            de_genes: None,
            data_de: None,
            prediction_de: &Default::default(),
            baseline_de: None,
        };
        score_conventions(&convention_inputs, &mut |seed| method_predictions(&inputs, &result.fitted, seed)).unwrap()
    };
    let deferred = score(false);
    let pds = metric_index("cell-eval", "discrimination_score_l1").unwrap();
    let mae = metric_index("cell-eval", "mae").unwrap();
    assert!(deferred.pairwise_deferred);
    assert!(deferred.notices.iter().any(|notice| notice.message.contains("computed on request")));
    assert!(deferred.points.iter().all(|point| point.values[pds].is_none() && point.values[mae].is_some()));
    let asked = score(true);
    assert!(!asked.pairwise_deferred);
    assert!(asked.points.iter().all(|point| point.values[pds].is_some()));
}

/// A method whose predictions are the same under every split is measured once over all its points; each
/// split's discrimination scores, ranks and centroid accuracies must be those of measuring that split's
/// points alone.
#[test]
fn measuring_once_for_every_split_gives_each_splits_own_pairwise_values() {
    use perturb_check::baselines::linear_model::UploadedEmbeddings;
    use perturb_check::benchmark::{method_predictions, run_benchmark, BenchmarkInputs, BenchmarkSettings};
    use perturb_check::conditions::ConditionRules;
    use perturb_check::conventions::{score_conventions, ConventionInputs};
    use perturb_check::expression::{read_expression_data, Orientation};
    use perturb_check::predictions::Prediction;
    let folder = "tests/fixtures/conventions";
    let table = |name: &str| {
        let bytes = read(&format!("{folder}/{name}"));
        read_expression_data(name, &bytes, &ConditionRules::default(), Orientation::Detect).unwrap().matrix
    };
    let data = table("pseudobulk.csv");
    let predictions = [Prediction::new("model".into(), None, "model.csv".into(), table("model.csv"), &data)];
    let inputs = BenchmarkInputs {
        dataset: "fixture",
        data: &data,
        predictions: &predictions,
        uploaded_split: None,
        embeddings: UploadedEmbeddings::default(),
        reference: None,
    };
    let result = run_benchmark(&inputs, &BenchmarkSettings::default(), &mut |_| {}).unwrap();
    assert!(result.fitted.splits().len() > 1, "seeded splits");
    let convention_inputs = ConventionInputs {
        dataset: "fixture",
        data: &data,
        gene_set: result.fitted.gene_set(),
        splits: result.fitted.splits(),
        rows: &result.rows,
        pairwise_always: false,
        de_genes: None,
        data_de: None,
        prediction_de: &Default::default(),
        baseline_de: None,
    };
    let shared = score_conventions(&convention_inputs, &mut |seed| method_predictions(&inputs, &result.fitted, seed));
    let each_split_alone = score_conventions(&convention_inputs, &mut |seed| {
        let mut methods = method_predictions(&inputs, &result.fitted, seed)?;
        methods.iter_mut().for_each(|method| method.same_in_every_split = false);
        Ok(methods)
    });
    let (shared, alone) = (shared.unwrap(), each_split_alone.unwrap());
    assert_eq!(shared.points.len(), alone.points.len());
    let pairwise: Vec<usize> =
        METRICS.iter().enumerate().filter(|(_, spec)| spec.kind.is_pairwise()).map(|(index, _)| index).collect();
    assert_eq!(pairwise.len(), 6);
    let mut checked = 0;
    for (a, b) in shared.points.iter().zip(&alone.points) {
        assert_eq!((&a.method, &a.perturbation, a.seed), (&b.method, &b.perturbation, b.seed));
        for (index, (x, y)) in a.values.iter().zip(&b.values).enumerate() {
            let what = format!("{} {} seed {:?}: {}", a.method, a.perturbation, a.seed, METRICS[index].metric);
            match (x, y) {
                (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-12, "{what}: {x} vs {y}"),
                _ => assert_eq!(x, y, "{what}"),
            }
        }
        checked += pairwise.iter().filter(|&&index| a.values[index].is_some()).count();
    }
    // The prediction, no_change and additive are each measured once, over every seed's doubles.
    assert!(shared.points.iter().any(|point| point.method == "model" && point.seed == Some(5)));
    assert!(checked > 0);
}

/// What the distribution plot draws for a convention's metric: each method's finite values at its points, in
/// their order, and a count of the rest; the same numbers the conventions export holds.
#[test]
fn a_metrics_plot_values_are_each_methods_values_in_conventions_csv() {
    let (_, kept) = genes_fixture();
    let report = kept.conventions(false).unwrap();
    let csv = perturb_check::conventions::write_conventions_csv(&report);
    for (convention, metric) in [("cell-eval", "discrimination_score_l1"), ("systema", "corr_all_allpert")] {
        let plotted = kept.metric_values(convention, metric).unwrap().expect("a metric of the convention");
        assert_eq!((plotted.info.convention.as_str(), plotted.info.metric.as_str()), (convention, metric));
        assert_eq!(plotted.methods, report.means.iter().map(|m| m.method.clone()).collect::<Vec<_>>());
        for ((method, values), undefined) in plotted.methods.iter().zip(&plotted.values).zip(&plotted.undefined) {
            let exported: Vec<&str> = csv
                .lines()
                .filter_map(|line| {
                    let fields: Vec<&str> = line.split(',').collect();
                    (fields[2] == method && fields[5] == convention && fields[6] == metric).then_some(fields[7])
                })
                .collect();
            let finite: Vec<f64> =
                exported.iter().filter_map(|v| v.parse::<f64>().ok()).filter(|v| v.is_finite()).collect();
            assert_eq!(values, &finite, "{method} {convention} {metric}");
            assert_eq!(*undefined, exported.len() - finite.len(), "{method}: points without a value");
        }
    }
    // Under `all` Systema's reference is undefined: every point counted as without a value.
    let systema = kept.metric_values("systema", "corr_all_allpert").unwrap().unwrap();
    assert!(systema.values.iter().all(Vec::is_empty) && systema.undefined.iter().all(|&n| n == 8));
    assert!(kept.metric_values("gears", "no_such_metric").unwrap().is_none());
}
