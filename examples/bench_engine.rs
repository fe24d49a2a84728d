//! Engine benchmarks on generated data (BENCHMARKS.md records the results):
//! - CSV parsing throughput on a 19,264 genes × 225 conditions pseudobulk (≈ 40 MB);
//! - the full double benchmark on it: 5 seeds, 3 baselines + 2 uploaded predictions, metrics (parsing
//!   excluded);
//! - the genetic-interaction analysis of that run: locfdr thresholds, classes, TPR-vs-FDP curves, AUCs and
//!   top-pair tables for 124 doubles × 1000 genes × 5 seeds × 3 methods;
//! - the linear model on 8,000 genes × 2,000 training conditions;
//! - the reference PCA of linear_reference on another 8,000 × 2,000 screen.
//!
//! Native: `cargo run --release --example bench_engine` (`-- --write DIR` writes the double benchmark's
//! files instead, to time `perturb-check run` on them). WebAssembly: `scripts/bench-wasm.sh` builds this
//! for wasm32-wasip1 with simd128 and runs it in Node. Each timing is the best of `REPEATS` runs.

use perturb_check::baselines::linear_model::{linear_model, LinearModelSettings, UploadedEmbeddings};
use perturb_check::benchmark::{
    baseline_predictions, condition_detail, method_predictions, run_benchmark, BenchmarkInputs, BenchmarkSettings,
};
use perturb_check::conditions::{Condition, ConditionRules};
use perturb_check::conventions::{score_conventions, ConventionInputs};
use perturb_check::expression::{read_expression_data, ExpressionMatrix, Orientation};
use perturb_check::interactions::{interaction_report, InteractionInputs, MethodPairs};
use perturb_check::numpy_random::LegacyRandomState;
use perturb_check::predictions::Prediction;
use std::time::Instant;

const REPEATS: usize = 3;

fn best_of<T>(mut run: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..REPEATS {
        let start = Instant::now();
        let value = run();
        best = best.min(start.elapsed().as_secs_f64());
        last = Some(value);
    }
    (best, last.unwrap())
}

/// A pseudobulk like Norman 2019's: ctrl, `n_singles` singles, `n_doubles` doubles; effects act on a gene
/// program each, doubles are additive plus noise, except one in five buffering (half the summed effect) and
/// one in five synergistic (1.6 times it).
fn generate(n_genes: usize, n_singles: usize, n_doubles: usize, seed: u32) -> ExpressionMatrix {
    let mut random = LegacyRandomState::new(seed);
    let genes: Vec<String> = (0..n_genes).map(|i| format!("GENE{i}")).collect();
    let control: Vec<f64> = (0..n_genes).map(|_| (random.standard_normal() * 1.2 - 1.0).exp().ln_1p()).collect();
    // Perturbations act through shared gene programs (as in real screens), plus their own small noise.
    let programs: Vec<Vec<f64>> = (0..40)
        .map(|_| {
            let start = random.below(n_genes);
            (0..n_genes)
                .map(|g| if (g + n_genes - start) % n_genes < 300 { random.standard_normal() } else { 0.0 })
                .collect()
        })
        .collect();
    let effects: Vec<Vec<f64>> = (0..n_singles)
        .map(|_| {
            let weights: Vec<(usize, f64)> =
                (0..3).map(|_| (random.below(programs.len()), 0.4 * random.standard_normal())).collect();
            (0..n_genes)
                .map(|g| {
                    weights.iter().map(|&(p, w)| w * programs[p][g]).sum::<f64>() + 0.02 * random.standard_normal()
                })
                .collect()
        })
        .collect();
    let mut conditions = vec![Condition::Control];
    let mut values: Vec<f64> = control.to_vec();
    for (index, effect) in effects.iter().enumerate() {
        conditions.push(Condition::Single(format!("GENE{index}")));
        values.extend(control.iter().zip(effect).map(|(c, e)| c + e + 0.01 * random.standard_normal()));
    }
    for index in 0..n_doubles {
        // Distinct unordered pairs: (a, a + 1), then (a, a + 18), ...
        let a = index % n_singles;
        let b = (a + 1 + 17 * (index / n_singles)) % n_singles;
        conditions.push(Condition::Double(format!("GENE{a}"), format!("GENE{b}")));
        let factor = [0.7, 1.3, 1.0, 1.0, 1.0][index % 5];
        values.extend(
            (0..n_genes)
                .map(|g| control[g] + factor * (effects[a][g] + effects[b][g]) + 0.1 * random.standard_normal()),
        );
    }
    ExpressionMatrix::new(genes, conditions, values)
}

fn to_csv(matrix: &ExpressionMatrix) -> String {
    let mut out = String::from("gene");
    for name in matrix.condition_names() {
        out.push(',');
        out.push_str(&name);
    }
    out.push('\n');
    for (g, gene) in matrix.genes().iter().enumerate() {
        out.push_str(gene);
        for c in 0..matrix.n_conditions() {
            out.push(',');
            out.push_str(&format!("{:.6}", matrix.column(c)[g]));
        }
        out.push('\n');
    }
    out
}

/// The data plus Gaussian noise of standard deviation `scale`: a model's prediction.
fn noisy(data: &ExpressionMatrix, scale: f64, seed: u32) -> ExpressionMatrix {
    let mut random = LegacyRandomState::new(seed);
    let values = data.values().iter().map(|&v| v + scale * random.standard_normal()).collect();
    ExpressionMatrix::new(data.genes().to_vec(), data.conditions().to_vec(), values)
}

fn noisy_prediction(data: &ExpressionMatrix, method: &str, scale: f64, seed: u32) -> Prediction {
    Prediction::new(method.into(), None, format!("{method}.csv"), noisy(data, scale, seed), data)
}

/// The two models' noise: (name, scale, seed).
const MODELS: [(&str, f64, u32); 2] = [("model_a", 0.1, 2), ("model_b", 0.2, 3)];

fn main() {
    let data = generate(19_264, 100, 124, 1);
    let csv = to_csv(&data);
    // `--write DIR`: the double benchmark's files (bench.csv, model_a.csv, model_b.csv) for timing the
    // command line on them (BENCHMARKS.md), and nothing else.
    let arguments: Vec<String> = std::env::args().collect();
    if let [_, flag, folder] = &arguments[..] {
        if flag == "--write" {
            let folder = std::path::Path::new(folder);
            std::fs::create_dir_all(folder).expect("the folder can be made");
            std::fs::write(folder.join("bench.csv"), &csv).expect("bench.csv can be written");
            for (name, scale, seed) in MODELS {
                let text = to_csv(&noisy(&data, scale, seed));
                std::fs::write(folder.join(format!("{name}.csv")), text).expect("a model can be written");
            }
            return;
        }
    }
    println!("target: {}", std::env::consts::ARCH);
    let megabytes = csv.len() as f64 / 1e6;
    let (seconds, parsed) = best_of(|| {
        read_expression_data("bench.csv", csv.as_bytes(), &ConditionRules::default(), Orientation::Detect).unwrap()
    });
    assert_eq!(parsed.matrix.n_conditions(), 225);
    println!("csv parse: {megabytes:.1} MB in {seconds:.3} s = {:.0} MB/s", megabytes / seconds);

    let predictions = MODELS.map(|(name, scale, seed)| noisy_prediction(&data, name, scale, seed));
    let inputs = BenchmarkInputs {
        dataset: "bench",
        data: &data,
        predictions: &predictions,
        uploaded_split: None,
        embeddings: UploadedEmbeddings::default(),
        reference: None,
    };
    let (seconds, result) = best_of(|| run_benchmark(&inputs, &BenchmarkSettings::default(), &mut |_| {}).unwrap());
    println!(
        "double benchmark: 19264 genes x 225 conditions, 5 seeds, 3 baselines + 2 predictions, {} rows in {seconds:.3} s",
        result.rows.len()
    );

    // A follow-up on the run just made: one perturbation's detail (the observed-vs-predicted plot) and the
    // baselines' export, from the baselines it fitted.
    let evaluated = result.rows.iter().find(|row| row.seed == Some(3) && row.method == "additive").unwrap();
    let condition = data.conditions().iter().find(|c| c.name() == evaluated.perturbation).unwrap().clone();
    let (seconds, detail) = best_of(|| condition_detail(&inputs, &result.fitted, Some(3), &condition).unwrap());
    println!(
        "detail of one perturbation from the kept run: {} methods x {} genes in {:.2} ms",
        detail.predicted_change.len(),
        detail.genes.len(),
        seconds * 1e3
    );
    let (seconds, exported) = best_of(|| baseline_predictions(&inputs, &result.fitted, Some(3)).unwrap());
    println!(
        "baselines' predictions of one split from the kept run: {} baselines in {:.1} ms",
        exported.len(),
        seconds * 1e3
    );

    // Every convention on every point, from the kept run (as the page's Conventions panel asks after `done`).
    let convention_inputs = ConventionInputs {
        dataset: "bench",
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
    let (seconds, conventions) = best_of(|| {
        score_conventions(&convention_inputs, &mut |seed| method_predictions(&inputs, &result.fitted, seed)).unwrap()
    });
    println!(
        "conventions: {} points x {} metrics, {} ladder rungs, in {seconds:.3} s",
        conventions.points.len(),
        conventions.metrics.len(),
        conventions.ladders.len()
    );

    let interactions = result.interactions.expect("the generated data have doubles");
    let methods: Vec<MethodPairs> = interactions
        .methods
        .iter()
        .filter(|pairs| ["no_change", "mean", "model_a"].contains(&pairs.method.as_str()))
        .cloned()
        .collect();
    assert_eq!(methods.len(), 15, "3 methods x 5 seeds");
    let (seconds, report) = best_of(|| {
        let inputs = InteractionInputs::new(interactions.pairs.clone(), methods.clone());
        interaction_report(&inputs, None)
    });
    assert_eq!(report.tpr_fdp.len(), 3, "{:?} {:?}", report.fit_error, report.notes);
    let (fit_seconds, inputs) = best_of(|| InteractionInputs::new(interactions.pairs.clone(), methods.clone()));
    let (report_seconds, _) = best_of(|| interaction_report(&inputs, None));
    println!("  of which the locfdr fit {:.1} ms, the report {:.1} ms", fit_seconds * 1e3, report_seconds * 1e3);
    let thresholds = report.thresholds.expect("the fit succeeds on generated data");
    println!(
        "interactions: {} pairs, 3 methods x 5 seeds: thresholds ({:.4}, {:.4}), classes, curves, AUCs in {:.1} ms",
        interactions.pairs.n_pairs(),
        thresholds.upper,
        thresholds.lower,
        seconds * 1e3
    );

    let linear_data = generate(8_000, 2_000, 0, 4);
    let train: Vec<&Condition> = linear_data.conditions().iter().collect();
    let targets: Vec<&Condition> = linear_data.conditions()[1..11].iter().collect();
    let centred = {
        let n = linear_data.n_genes();
        let mut m = perturb_check::linalg::matrix_from_values(linear_data.values(), n, linear_data.n_conditions());
        perturb_check::linalg::centre_columns(&mut m);
        m
    };
    let start = Instant::now();
    let svd = perturb_check::linalg::truncated_svd(centred.as_ref(), 10);
    println!(
        "  truncated SVD alone: {:?} in {:.3} s; singular values {:.3?}",
        svd.method,
        start.elapsed().as_secs_f64(),
        svd.singular_values
    );
    let (seconds, output) = best_of(|| {
        linear_model(&linear_data, &train, &targets, &LinearModelSettings::default(), UploadedEmbeddings::default())
            .unwrap()
    });
    assert_eq!(output.predicted.len(), 10);
    println!("linear model: 8000 genes x 2001 training conditions (K = 10) in {seconds:.3} s");

    // linear_reference's extra work: the reference's PCA (conditions as observations, and over the shared genes
    // for the _genes variant), here of a second 8,000 × 2,001 screen.
    let reference = generate(8_000, 2_000, 0, 5);
    let (seconds, embeddings) =
        best_of(|| perturb_check::baselines::reference::reference_embeddings(&reference, linear_data.genes(), 10));
    assert_eq!(embeddings.perturbations.len(), 2_001);
    println!("reference PCA (P and G): 8000 genes x 2001 conditions (K = 10) in {seconds:.3} s");
    // Another gene panel: 1,000 of the reference's genes are not the data's, so P and G are two SVDs.
    let (seconds, embeddings) = best_of(|| {
        perturb_check::baselines::reference::reference_embeddings(&reference, &linear_data.genes()[1_000..], 10)
    });
    assert_eq!(embeddings.genes.as_ref().map(|g| g.names.len()), Some(7_000));
    println!("reference PCA, 7000 of its 8000 genes shared (two SVDs) in {seconds:.3} s");
}
