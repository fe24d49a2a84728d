//! The integrity audits on a small real-shaped dataset (tests/fixtures/bad/good_data.csv): an honest
//! prediction passes every check; one that is the average change everywhere, or whose control is another,
//! fails the check that says so.

mod common;

use common::read;
use perturb_check::analysis::{analyze, AnalysisSettings, InputFile};
use perturb_check::audits::Audit;
use perturb_check::expression::{read_expression_data, ExpressionMatrix, Orientation};
use perturb_check::inspect::FileRole;
use perturb_check::load::load_file;

fn good_data() -> ExpressionMatrix {
    let bytes = read("tests/fixtures/bad/good_data.csv");
    read_expression_data("good_data.csv", &bytes, &Default::default(), Orientation::Detect).unwrap().matrix
}

/// A prediction table: each perturbation column from `value(gene, condition column of the data)`.
fn prediction_csv(value: impl Fn(usize, usize) -> f64) -> String {
    let data = good_data();
    let names = data.condition_names();
    let mut text = format!("gene,{}\n", names.join(","));
    for (g, gene) in data.genes().iter().enumerate() {
        let values: Vec<String> = (0..names.len()).map(|c| format!("{:.6}", value(g, c))).collect();
        text.push_str(&format!("{gene},{}\n", values.join(",")));
    }
    text
}

fn audits(name: &str, csv: &str) -> Vec<Audit> {
    let data = load_file("good_data.csv", &read("tests/fixtures/bad/good_data.csv"), &Default::default()).unwrap();
    let prediction = load_file(name, csv.as_bytes(), &Default::default()).unwrap();
    let input =
        |id, name: &str, role| InputFile { id, name: name.into(), role, method: None, seed: None, pseudobulk: None };
    let files =
        [(input(1, "good_data.csv", FileRole::Data), &data), (input(2, name, FileRole::Predictions), &prediction)];
    let report = analyze(&files, &AnalysisSettings::default(), &mut |_| {}).unwrap();
    report.audits
}

fn passed(audits: &[Audit], check: &str) -> bool {
    audits.iter().find(|a| a.check == check).unwrap_or_else(|| panic!("no {check} audit in {audits:?}")).passed
}

#[test]
fn audits_tell_an_honest_prediction_from_a_misleading_one() {
    let data = good_data();
    let control = data.control().unwrap().to_vec();
    let observed = |g: usize, c: usize| data.column(c)[g];
    let noise = |g: usize, c: usize| ((g * 7 + c * 13) % 11) as f64 * 0.01 - 0.05;

    let honest = audits("honest.csv", &prediction_csv(|g, c| observed(g, c) + noise(g, c)));
    for check in ["control", "spread", "mean shift", "genes", "conditions"] {
        assert!(passed(&honest, check), "{check}: {honest:?}");
    }
    assert_eq!(honest[0].method, "honest");

    // The average change of every perturbation, predicted for each: constant, and the mean shift.
    let n = data.n_conditions() as f64 - 1.0;
    let shift: Vec<f64> = (0..data.n_genes())
        .map(|g| (0..data.n_conditions()).map(|c| observed(g, c) - control[g]).sum::<f64>() / n)
        .collect();
    let average = audits(
        "average.csv",
        &prediction_csv(|g, c| if c == 0 { control[g] } else { control[g] + shift[g] + noise(g, c) * 0.01 }),
    );
    assert!(!passed(&average, "spread"), "{average:?}");
    assert!(!passed(&average, "mean shift"), "{average:?}");
    let message = &average.iter().find(|a| a.check == "mean shift").unwrap().message;
    assert!(message.starts_with("its changes are nearly the average change of all perturbations"), "{message}");

    // Another control: every value 0.5 higher, the control too.
    let shifted = audits("shifted.csv", &prediction_csv(|g, c| observed(g, c) + 0.5));
    assert!(!passed(&shifted, "control"), "{shifted:?}");
    let message = &shifted.iter().find(|a| a.check == "control").unwrap().message;
    assert!(message.starts_with("its control differs from the observed one by 0.500"), "{message}");
}

#[test]
fn genes_and_conditions_not_used_are_counted() {
    // Only the first 20 genes and two conditions predicted.
    let full = prediction_csv(|g, c| g as f64 * 0.1 + c as f64 * 0.01);
    let mut lines: Vec<&str> = full.lines().take(21).collect();
    let header = "gene,ctrl,A+B";
    let rows: Vec<String> = lines
        .drain(1..)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            format!("{},{},{}", fields[0], fields[1], fields[4])
        })
        .collect();
    let csv = format!("{header}\n{}\n", rows.join("\n"));
    let audits = audits("partial.csv", &csv);
    let genes = audits.iter().find(|a| a.check == "genes").unwrap();
    assert!(!genes.passed);
    assert_eq!(
        genes.message,
        "20 of the data's 30 genes matched; 10 missing (left out of its metrics), 0 extra ignored"
    );
    let conditions = audits.iter().find(|a| a.check == "conditions").unwrap();
    assert!(!conditions.passed, "{conditions:?}");
    assert!(conditions.message.contains("skipped") && conditions.message.contains("not in the prediction file"));
}
