//! Paired comparisons against R's own `wilcox.test(paired = TRUE, exact = FALSE, correct = TRUE)`
//! (tests/fixtures/paired: make_paired.R, R 4.2.2): the p-values within 1e-9 (relative), the win rates and
//! mean differences exactly, on the simulated demo's results and on hand-made pairs with ties and zeros.

mod common;

use common::read_records;
use perturb_check::paired::{compare, paired_csv, wilcoxon_signed_rank_p};
use perturb_check::results_table::{read_results_csv, ResultRow};
use perturb_check::summary::BootstrapSettings;

fn demo_rows() -> Vec<ResultRow> {
    let text = String::from_utf8(common::read("tests/fixtures/reference/demo_simulated_results.csv")).unwrap();
    read_results_csv(&text).unwrap()
}

fn close(a: f64, b: f64, relative: f64, what: &str) {
    assert!((a - b).abs() <= relative * b.abs().max(1e-300), "{what}: {a} vs R's {b}");
}

#[test]
fn equal_to_r_on_the_simulated_demo() {
    let rows = demo_rows();
    let bootstrap = BootstrapSettings { draws: 2000, seed: 1 };
    let expected = read_records("tests/fixtures/paired/expected.csv");
    let mut seen = 0;
    for record in expected.iter().filter(|r| r["case"] == "demo_simulated") {
        let c = compare(&rows, &record["method"], &record["reference"], bootstrap).expect("points in common");
        assert_eq!(c.n.to_string(), record["n"]);
        // Exactly: a count over n, and a mean of the same differences (R sums in order too, in long double:
        // equal to the last bit or one ulp).
        assert_eq!(c.win_rate, record["win_rate"].parse::<f64>().unwrap(), "{}", record["method"]);
        close(c.mean_difference, record["mean_difference"].parse().unwrap(), 1e-14, "mean difference");
        close(c.wilcoxon_p.unwrap(), record["wilcoxon_p"].parse().unwrap(), 1e-9, &record["method"]);
        assert!(c.ci_low <= c.mean_difference && c.mean_difference <= c.ci_high);
        seen += 1;
    }
    assert_eq!(seen, 6);
}

#[test]
fn ties_and_zeros_as_r_treats_them() {
    let ties = read_records("tests/fixtures/paired/ties.csv");
    for record in read_records("tests/fixtures/paired/expected.csv").iter().filter(|r| r["case"] != "demo_simulated") {
        let pairs: Vec<(f64, f64)> = ties
            .iter()
            .filter(|t| t["case"] == record["case"])
            .map(|t| (t["x"].parse().unwrap(), t["y"].parse().unwrap()))
            .collect();
        let d: Vec<f64> = pairs.iter().map(|(x, y)| x - y).collect();
        close(wilcoxon_signed_rank_p(&d).unwrap(), record["wilcoxon_p"].parse().unwrap(), 1e-9, &record["case"]);
        let wins = pairs.iter().filter(|(x, y)| x < y).count() as f64 / pairs.len() as f64;
        assert_eq!(wins, record["win_rate"].parse::<f64>().unwrap());
    }
}

#[test]
fn the_csv_has_the_columns_the_page_promises() {
    let rows = demo_rows();
    let c = compare(&rows, "mean", "additive", BootstrapSettings { draws: 100, seed: 1 }).unwrap();
    let csv = paired_csv(&[c]);
    assert!(
        csv.starts_with("method,reference,n,win_rate,mean_difference,ci_low,ci_high,wilcoxon_p\nmean,additive,310,")
    );
    assert!(compare(&rows, "mean", "not_a_method", BootstrapSettings::default()).is_none());
}
