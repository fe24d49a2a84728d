//! The locfdr port against R's locfdr 1.1-8 (`nulltype = 1`) on the four reference cases of
//! `tests/fixtures/locfdr/` (copied from `shared/data/locfdr`, computed with R 4.2.2): per-value fdr, the
//! null's δ, σ and p0, and the thresholds chosen as in the paper.

mod common;

use flate2::read::GzDecoder;
use perturb_check::interactions::MeasuredPairs;
use perturb_check::locfdr::{locfdr, thresholds};
use perturb_check::metrics::top_expressed_genes;
use std::io::Read;

/// The `z` and R's `fdr` columns of a reference case.
fn reference_values(case: &str) -> (Vec<f64>, Vec<f64>) {
    let compressed = common::read(&format!("tests/fixtures/locfdr/{case}.csv.gz"));
    let mut text = String::new();
    GzDecoder::new(&compressed[..]).read_to_string(&mut text).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            (record[0].parse::<f64>().unwrap(), record[1].parse::<f64>().unwrap())
        })
        .unzip()
}

fn check_case(case: &str) {
    let summary = common::read_records("tests/fixtures/locfdr/summary.csv");
    let expected = summary.iter().find(|row| row["case"] == case).unwrap();
    let number = |column: &str| expected[column].parse::<f64>().unwrap();
    let (z, r_fdr) = reference_values(case);
    assert_eq!(z.len() as f64, number("n"));

    let fit = locfdr(&z).unwrap_or_else(|error| panic!("{case}: {error}"));
    assert!((fit.delta - number("delta")).abs() < 1e-6, "{case}: delta {} vs {}", fit.delta, number("delta"));
    assert!((fit.sigma - number("sigma")).abs() < 1e-6, "{case}: sigma {} vs {}", fit.sigma, number("sigma"));
    assert!((fit.p0 - number("p0")).abs() < 1e-6, "{case}: p0 {} vs {}", fit.p0, number("p0"));
    let worst = fit.fdr.iter().zip(&r_fdr).map(|(ours, theirs)| (ours - theirs).abs()).fold(0.0, f64::max);
    assert!(worst < 1e-6, "{case}: largest fdr difference {worst}");
    let (upper, lower) = thresholds(&z, &fit.fdr);
    assert_eq!(upper, Some(number("upper")), "{case}: upper threshold");
    assert_eq!(lower, Some(number("lower")), "{case}: lower threshold");
}

#[test]
fn locfdr_matches_r_on_a_normal_mixture() {
    check_case("mixture_20k");
}

#[test]
fn locfdr_matches_r_on_heavy_tails() {
    check_case("heavy_tails_5k");
}

#[test]
fn locfdr_matches_r_on_an_asymmetric_sample() {
    check_case("asymmetric_120k");
}

#[test]
fn locfdr_matches_r_on_the_demo_interaction_scores() {
    check_case("demo_sim_double");
}

/// The engine's own interaction scores of the demo (computed from the pseudobulk) are R's, and the fit on
/// them gives R's null and thresholds.
#[test]
fn the_demo_interaction_scores_and_their_fit_are_rs() {
    let data = common::load_data("public/demo/simulated/sim_double_pseudobulk.csv");
    let control = data.control().unwrap();
    let pairs = MeasuredPairs::new(&data, &top_expressed_genes(control, 1000)).unwrap();
    let errors = pairs.interaction_scores();
    let (z, _) = reference_values("demo_sim_double");
    assert_eq!(errors.len(), z.len());
    let worst = errors.iter().zip(&z).map(|(ours, theirs)| (ours - theirs).abs()).fold(0.0, f64::max);
    assert!(worst < 1e-12, "largest difference {worst}");

    let fit = locfdr(&errors).unwrap();
    let summary = common::read_records("tests/fixtures/locfdr/summary.csv");
    let expected = summary.iter().find(|row| row["case"] == "demo_sim_double").unwrap();
    let number = |column: &str| expected[column].parse::<f64>().unwrap();
    assert!((fit.delta - number("delta")).abs() < 1e-9);
    assert!((fit.sigma - number("sigma")).abs() < 1e-9);
    assert!((fit.p0 - number("p0")).abs() < 1e-9);
    let (upper, lower) = thresholds(&errors, &fit.fdr);
    assert!((upper.unwrap() - number("upper")).abs() < 1e-12, "{upper:?}");
    assert!((lower.unwrap() - number("lower")).abs() < 1e-12, "{lower:?}");
}
