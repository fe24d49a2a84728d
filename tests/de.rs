//! The differential-expression engine against scipy itself (tests/fixtures/de, made by `make_de.py`):
//! `mannwhitneyu(..., method="asymptotic")`, `false_discovery_control(method="bh")` and pdex's fold change;
//! Welch's t and the top genes against scanpy (`make_ttest.py`); GEARS' and Systema's DE-gene metrics against
//! scanpy's ranking and numpy (`make_de_metrics.py`, in `screen/`).

mod common;

use perturb_check::analysis::{AnalysisSettings, KeptRun};
use perturb_check::conditions::ConditionRules;
use perturb_check::conventions::metric_index;
use perturb_check::de::{
    benjamini_hochberg, log2_fold_change, mann_whitney, top_by_abs_t, top_non_dropout, welch_t, Moments, SortedValues,
};
use perturb_check::inspect::FileRole;
use perturb_check::pseudobulk::{pseudobulk, PseudobulkOptions, Scale};
use perturb_check::readers::h5ad::H5ad;
use serde_json::Value;

fn expected() -> Value {
    serde_json::from_slice(&common::read("tests/fixtures/de/expected.json")).unwrap()
}

fn numbers(value: &Value) -> Vec<f64> {
    value.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

#[test]
fn mann_whitney_equals_scipys_asymptotic_test() {
    let expected = expected();
    let cases = expected["mann_whitney"].as_array().unwrap();
    assert_eq!(cases.len(), 11);
    for case in cases {
        let name = case["case"].as_str().unwrap();
        let (x, y) = (numbers(&case["x"]), numbers(&case["y"]));
        let result = mann_whitney(&SortedValues::new(&x).unwrap(), &SortedValues::new(&y).unwrap()).unwrap();
        // U is a sum of half ranks: exact.
        assert_eq!(result.statistic, case["statistic"].as_f64().unwrap(), "{name}: U");
        let p = case["p_value"].as_f64().unwrap();
        assert!(
            (result.p_value - p).abs() <= 1e-12 * p.max(1e-300) + 1e-15,
            "{name}: p {} vs scipy {p}",
            result.p_value
        );
        // The same from a sparse column (its stored values, zeros implied).
        let stored: Vec<f64> = x.iter().copied().filter(|&v| v != 0.0).collect();
        let sparse =
            mann_whitney(&SortedValues::from_sparse(&stored, x.len()).unwrap(), &SortedValues::new(&y).unwrap());
        assert_eq!(sparse, Some(result), "{name}: sparse");
    }
}

#[test]
fn benjamini_hochberg_equals_scipys_false_discovery_control() {
    for case in expected()["benjamini_hochberg"].as_array().unwrap() {
        let (p, fdr) = (numbers(&case["p"]), numbers(&case["fdr"]));
        let ours = benjamini_hochberg(&p);
        for (at, (ours, theirs)) in ours.iter().zip(&fdr).enumerate() {
            assert!(
                (ours - theirs).abs() <= 1e-15 * theirs.max(1e-300),
                "p {} at {at}: {ours} vs scipy {theirs}",
                p[at]
            );
        }
    }
}

#[test]
fn fold_changes_follow_pdex() {
    for case in expected()["log2_fold_change"].as_array().unwrap() {
        let (x, y) = (case["mean_x"].as_f64().unwrap(), case["mean_y"].as_f64().unwrap());
        let ours = log2_fold_change(x, y);
        match &case["lfc"] {
            Value::String(text) if text == "inf" => assert_eq!(ours, f64::INFINITY),
            Value::String(text) if text == "-inf" => assert_eq!(ours, f64::NEG_INFINITY),
            value => {
                let theirs = value.as_f64().unwrap();
                assert!((ours - theirs).abs() <= 1e-14 * theirs.abs().max(1.0), "{x} {y}: {ours} vs {theirs}");
            }
        }
    }
}

/// GEARS' top-20 DE genes: scanpy's t-test scores (from one pass of sums over the cells) and its |t| ranking.
#[test]
fn welch_t_and_the_top_genes_equal_scanpys_rank_genes_groups() {
    let fixture: Value = serde_json::from_slice(&common::read("tests/fixtures/de/ttest.json")).unwrap();
    let n_genes = fixture["genes"].as_array().unwrap().len();
    let moments_of = |condition: &str| -> Vec<Moments> {
        let cells: Vec<Vec<f64>> = fixture["cells"][condition].as_array().unwrap().iter().map(numbers).collect();
        (0..n_genes).map(|gene| Moments::of(cells.iter().map(|cell| cell[gene]))).collect()
    };
    let control = moments_of("ctrl");
    let conditions = fixture["scanpy"].as_object().unwrap();
    assert_eq!(conditions.len(), 3);
    for (condition, expected) in conditions {
        let moments = moments_of(condition);
        let t: Vec<f64> = moments.iter().zip(&control).map(|(group, reference)| welch_t(group, reference)).collect();
        for (gene, (ours, theirs)) in t.iter().zip(numbers(&expected["scores"])).enumerate() {
            // scanpy keeps its scores in float32.
            assert!(
                (ours - theirs).abs() <= 1e-6 * theirs.abs().max(1.0),
                "{condition} gene {gene}: {ours} vs scanpy {theirs}"
            );
        }
        assert_eq!(t[7], 0.0, "zero in every cell: scanpy's 0");
        let ranking: Vec<usize> =
            expected["ranking"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        // Equal |t| (the genes scanpy scores 0) are in gene order here and in numpy's unstable order there.
        let defined = ranking.iter().take_while(|&&gene| t[gene] != 0.0).count();
        assert!(defined >= 20, "{condition}: the top 20 have no ties");
        assert_eq!(top_by_abs_t(&t, defined), ranking[..defined], "{condition}");
        // GEARS' non-dropout top 20, as its own code picks them (in the fixture's script).
        let means: Vec<f64> = moments.iter().map(|m| m.mean).collect();
        let control_means: Vec<f64> = control.iter().map(|m| m.mean).collect();
        let non_dropout: Vec<usize> =
            expected["top_non_dropout_20"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        assert_eq!(top_non_dropout(&t, &means, &control_means, 20), non_dropout, "{condition}");
        if condition == "A+ctrl" {
            assert!(ranking[..20].contains(&3) && !non_dropout.contains(&3), "the knocked-out gene is a dropout");
        }
    }
}

/// The pseudobulk pass keeps what Welch's t needs: the same cells as an h5ad file give scanpy's scores from
/// the pass's moments, and the non-zero counts of the cells.
#[test]
fn the_pseudobulk_pass_gives_scanpys_t_from_its_moments() {
    let fixture: Value = serde_json::from_slice(&common::read("tests/fixtures/de/ttest.json")).unwrap();
    let h5ad = H5ad::from_bytes("ttest.h5ad", common::read("tests/fixtures/de/ttest.h5ad")).unwrap();
    let options = PseudobulkOptions::detected(&h5ad.contents().unwrap());
    assert_eq!((options.condition_column.as_str(), options.scale), ("condition", Scale::AsIs));
    let result = pseudobulk(&h5ad, &options, &ConditionRules::default(), &mut |_, _| {}).unwrap();
    let position = |label: &str| result.matrix.condition_names().iter().position(|name| name == label).unwrap();
    let control = position("ctrl");
    for (condition, expected) in fixture["scanpy"].as_object().unwrap() {
        let at = position(condition);
        let cells: Vec<Vec<f64>> = fixture["cells"][condition].as_array().unwrap().iter().map(numbers).collect();
        for (gene, theirs) in numbers(&expected["scores"]).into_iter().enumerate() {
            let ours = welch_t(&result.moments(at, gene), &result.moments(control, gene));
            assert!(
                (ours - theirs).abs() <= 1e-6 * theirs.abs().max(1.0),
                "{condition} gene {gene}: {ours} vs {theirs}"
            );
            let nonzero = cells.iter().filter(|cell| cell[gene] != 0.0).count() as u32;
            assert_eq!(result.cell_statistics.nonzero[[at, gene]], nonzero, "{condition} gene {gene}");
        }
    }
}

fn run(folder: &str, files: &[(&str, FileRole)]) -> KeptRun {
    common::run_files(folder, files, &AnalysisSettings::default()).1
}

const DE_METRICS: [(&str, &str); 5] = [
    ("gears", "mse_de"),
    ("gears", "pearson_de"),
    ("gears", "pearson_delta_de"),
    ("systema", "corr_20de"),
    ("systema", "corr_20de_allpert"),
];

#[test]
fn gears_and_systema_de_metrics_from_cells_equal_numpy_on_scanpys_top_genes() {
    // Counts in CSC, normalised by the app; a prediction table and an uploaded split.
    let folder = "tests/fixtures/de/screen";
    let files =
        [("screen.h5ad", FileRole::Data), ("model.csv", FileRole::Predictions), ("split.json", FileRole::Split)];
    let kept = run(folder, &files);
    let conventions = kept.conventions(false).unwrap();
    let expected = common::read_records(&format!("{folder}/expected.csv"));
    assert_eq!(expected.len(), 2 * 3 * 5, "2 methods × 3 points × 5 metrics");
    for row in &expected {
        let point = conventions
            .points
            .iter()
            .find(|point| point.method == row["method"] && point.perturbation == row["perturbation"])
            .unwrap_or_else(|| panic!("no point {} {}", row["method"], row["perturbation"]));
        assert_eq!(point.split.as_str(), row["split"]);
        let ours = point.values[metric_index(&row["convention"], &row["metric"]).unwrap()];
        let what = format!("{} {} {} {}", row["method"], row["perturbation"], row["convention"], row["metric"]);
        match (ours, row["value"].as_str()) {
            (None, "") => {}
            (Some(ours), theirs) if !theirs.is_empty() => {
                let theirs: f64 = theirs.parse().unwrap();
                assert!((ours - theirs).abs() <= 1e-9, "{what}: {ours} vs numpy {theirs}");
            }
            (ours, theirs) => panic!("{what}: {ours:?} vs numpy '{theirs}'"),
        }
    }
    // Every method gets them from the data's cells: baselines too.
    for (convention, metric) in DE_METRICS {
        let index = metric_index(convention, metric).unwrap();
        let methods: Vec<&str> = conventions.means.iter().map(|means| means.method.as_str()).collect();
        assert_eq!(methods, ["no_change", "additive", "mean", "model"]);
        for method in methods {
            let values: Vec<Option<f64>> =
                conventions.points.iter().filter(|point| point.method == method).map(|p| p.values[index]).collect();
            assert!(!values.is_empty(), "{method} has points");
            // Defined wherever the change is not constant (no_change, and model on G21+ctrl, predict none).
            let no_change = method == "no_change" && metric == "corr_20de";
            assert!(values.iter().any(Option::is_some) != no_change, "{method} {convention} {metric}: {values:?}");
            if metric == "mse_de" || convention == "gears" {
                assert!(values.iter().all(Option::is_some), "{method} {convention} {metric}: {values:?}");
            }
        }
    }
    assert!(!conventions.notices.iter().any(|notice| notice.message.contains("need the data's cells")));
}

#[test]
fn without_cells_the_de_metrics_are_not_computed_and_the_page_says_why() {
    let folder = "tests/fixtures/conventions";
    let files =
        [("pseudobulk.csv", FileRole::Data), ("model.csv", FileRole::Predictions), ("split.json", FileRole::Split)];
    let conventions = run(folder, &files).conventions(false).unwrap();
    for (convention, metric) in DE_METRICS {
        let index = metric_index(convention, metric).unwrap();
        // Not even GEARS' NaN → 0: there is nothing to compute.
        assert!(conventions.points.iter().all(|point| point.values[index].is_none()), "{convention} {metric}");
        assert!(conventions.means.iter().all(|means| means.values[index].is_none()));
    }
    assert!(conventions.notices.iter().any(|notice| notice.message.contains("need the data's cells")));
}

/// Reads an h5ad fixture as the app does (pseudobulk, then the DE pass).
fn cells_of(relative: &str) -> Box<perturb_check::load::CellData> {
    let name = relative.rsplit('/').next().unwrap();
    match perturb_check::load::load_file(name, &common::read(relative), &ConditionRules::default()).unwrap() {
        perturb_check::load::LoadedFile::Cells(cells) => cells,
        _ => panic!("{relative} is not read as cells"),
    }
}

#[test]
fn the_de_pass_equals_pdex_as_cell_eval_runs_it() {
    // Dense, CSR and CSC files; `sparse/` has half its values zero and a perturbation with no significant gene.
    let cases = [
        ("genes", "real"),
        ("genes", "model_a"),
        ("genes", "model_b"),
        ("genes", "baseline"),
        ("gears", "real"),
        ("gears", "model_a"),
        ("sparse", "real"),
        ("sparse", "model_a"),
    ];
    let mut without_significant_gene = 0;
    for (folder, name) in cases {
        let folder = format!("tests/fixtures/celleval/{folder}");
        let cells = cells_of(&format!("{folder}/{name}.h5ad"));
        let table = cells.de_table().unwrap_or_else(|| panic!("{folder}/{name}: {:?}", cells.de));
        let pseudobulk = &cells.pseudobulk;
        let matrix = &pseudobulk.matrix;
        let expected = common::read_records(&format!("{folder}/{name}_de.csv"));
        assert_eq!(expected.len(), (matrix.n_conditions() - 1) * matrix.n_genes(), "{folder}/{name}");
        let mut significant: std::collections::HashMap<String, usize> = Default::default();
        for row in &expected {
            let what = format!("{folder}/{name} {} {}", row["target"], row["feature"]);
            let condition = (0..matrix.n_conditions()).find(|&c| matrix.label(c) == row["target"]).unwrap();
            let gene = matrix.gene_position(&row["feature"]).unwrap();
            let ours = table.row(matrix, condition, gene).unwrap();
            let number = |column: &str| row[column].parse::<f64>().unwrap();
            // U is a sum of half ranks: exact. p and fdr as scipy's (pdex's numba port of it).
            assert_eq!(ours.statistic, number("statistic"), "{what}: U");
            for (column, value) in [("p_value", ours.p_value), ("fdr", ours.fdr)] {
                assert!((value - number(column)).abs() <= 1e-6, "{what}: {column} {value} vs pdex {}", number(column));
            }
            // Means: pdex averages float32 values in float32, the app in f64.
            for (column, value) in [
                ("target_mean", ours.target_mean),
                ("ref_mean", ours.ref_mean),
                ("log2_fold_change", ours.log2_fold_change),
            ] {
                let theirs = number(column);
                assert!(
                    (value - theirs).abs() <= 1e-5 * theirs.abs().max(1.0),
                    "{what}: {column} {value} vs pdex {theirs}"
                );
            }
            *significant.entry(row["target"].clone()).or_default() += usize::from((ours.fdr as f32) < 0.05);
        }
        without_significant_gene += significant.values().filter(|&&n| n == 0).count();
        // The export is pdex's table, row for row.
        let csv = table.csv(pseudobulk);
        let exported: Vec<Vec<String>> =
            csv.lines().skip(1).map(|line| line.split(',').take(2).map(str::to_string).collect()).collect();
        let pdex_order: Vec<Vec<String>> =
            expected.iter().map(|row| vec![row["target"].clone(), row["feature"].clone()]).collect();
        assert_eq!(exported, pdex_order, "{folder}/{name}: rows in pdex's order");
        assert!(csv.starts_with("target,feature,target_mean,ref_mean,log2_fold_change,p_value,statistic,fdr\n"));
    }
    assert!(without_significant_gene >= 1, "a perturbation without a significant gene is among the cases");
}

#[test]
fn the_de_pass_gives_the_same_table_in_small_batches() {
    // A budget of one value: every condition has a batch (a pass over the file) of its own.
    let relative = "tests/fixtures/celleval/sparse/real.h5ad";
    let cells = cells_of(relative);
    let h5ad = H5ad::from_bytes("real.h5ad", common::read(relative)).unwrap();
    let small = perturb_check::de::pass::differential_expression(
        &h5ad,
        &cells.options,
        &cells.rules,
        &cells.pseudobulk,
        4,
        &mut |_, _| {},
    )
    .unwrap();
    let whole = cells.de_table().unwrap();
    assert_eq!(whole.batches, 1);
    assert_eq!(small.batches, cells.pseudobulk.matrix.n_conditions() - 1);
    assert_eq!(small.conditions, whole.conditions);
}

#[test]
fn counts_normalised_to_the_median_total_equal_scanpys_normalize_total_and_log1p() {
    let relative = "tests/fixtures/de/screen/screen.h5ad";
    let h5ad = H5ad::from_bytes("screen.h5ad", common::read(relative)).unwrap();
    let mut options = PseudobulkOptions::detected(&h5ad.contents().unwrap());
    assert_eq!(options.scale, Scale::NormalizeCounts, "integer counts are detected");
    options.scale = Scale::NormalizeCountsMedian;
    let ours = pseudobulk(&h5ad, &options, &ConditionRules::default(), &mut |_, _| {}).unwrap().matrix;
    let expected = common::load_data("tests/fixtures/de/screen/median_pseudobulk.csv");
    assert_eq!(ours.n_conditions(), expected.n_conditions());
    for (position, condition) in expected.conditions().iter().enumerate() {
        let column = ours.column_of(condition).unwrap();
        for (gene, (&a, &b)) in column.iter().zip(expected.column(position)).enumerate() {
            assert!((a - b).abs() <= 1e-9, "{} {}: {a} vs scanpy {b}", condition.name(), ours.genes()[gene]);
        }
    }
    // Not the 1e4 scale: the median total of these cells is far from it.
    options.scale = Scale::NormalizeCounts;
    let other = pseudobulk(&h5ad, &options, &ConditionRules::default(), &mut |_, _| {}).unwrap().matrix;
    assert!((other.column(0)[0] - ours.column(0)[0]).abs() > 0.1);
}
