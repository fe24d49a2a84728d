//! Makes `public/demo/published/single_perturbation_forest.csv`: the paper's published methods on its
//! single-perturbation datasets (Adamson, Replogle K562, Replogle RPE1; the paper's source data,
//! `single_pert_metrics_by_method_seed.csv`) as the forest plot's second panel shows them — per method the
//! mean ratio of its L2 to the `mean` baseline's over test ∪ val points of seeds 1–2, with the 95% interval of
//! 10,000 bootstrap means, computed by this engine's own summary (the page's ratio column).
//!
//! `cargo run --release --example published_forest -- PATH/single_pert_metrics_by_method_seed.csv`
//! (the output is committed; the page and the report only read it).

use perturb_check::results_table::{read_results_csv, ResultRow};
use perturb_check::splits::SplitLabel;
use perturb_check::summary::{summarize, BootstrapSettings, Comparison};

fn main() {
    let path = std::env::args().nth(1).expect("the path of single_pert_metrics_by_method_seed.csv");
    let text = std::fs::read_to_string(&path).expect("readable");
    // test ∪ val, as the paper evaluates.
    let rows: Vec<ResultRow> = read_results_csv(&text)
        .unwrap_or_else(|error| panic!("{path}: {error}"))
        .into_iter()
        .filter(|row| row.split != SplitLabel::Train)
        .collect();
    let mut datasets: Vec<String> = rows.iter().map(|row| row.dataset.clone()).collect();
    datasets.dedup();
    let mut out = String::from("dataset,method,n,mean_ratio,ci_low,ci_high\n");
    for name in datasets {
        let subset: Vec<ResultRow> = rows.iter().filter(|row| row.dataset == name).cloned().collect();
        let summaries = summarize(&subset, Comparison::Common, Some("mean"), false, BootstrapSettings::default());
        for summary in summaries.iter().filter(|s| s.method != "mean") {
            if let Some(ratio) = &summary.ratio {
                out.push_str(&format!(
                    "{name},{},{},{},{},{}\n",
                    summary.method, ratio.n, ratio.mean, ratio.lower, ratio.upper
                ));
            }
        }
    }
    std::fs::write("public/demo/published/single_perturbation_forest.csv", out).expect("written");
}
