//! The command line (`perturb-check`), run as a user runs it: its files equal the engine's native results for
//! the same inputs byte for byte (the e2e suite compares them with the page's downloads), bad inputs exit 2 with
//! the page's message, and `--help` documents every option.

mod common;

use common::{path, read};
use perturb_check::analysis::{analyze, run_analysis, AnalysisSettings, ConventionExport, InputFile};
use perturb_check::conditions::ConditionRules;
use perturb_check::inspect::FileRole;
use perturb_check::interactions::{interactions_csv, interactions_json};
use perturb_check::load::{load_cells, load_file, LoadedFile};
use perturb_check::paired::paired_csv;
use perturb_check::pseudobulk::{n_cells_csv, pseudobulk_csv};
use perturb_check::readers::h5ad::H5ad;
use perturb_check::results_table::write_results_csv;
use perturb_check::summary::summary_csv;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_perturb-check"))
}

fn run(arguments: &[&str]) -> Output {
    binary().args(arguments).current_dir(env!("CARGO_MANIFEST_DIR")).output().expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A new empty folder under the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn input(id: u32, name: &str, role: FileRole) -> InputFile {
    InputFile { id, name: name.into(), role, method: None, seed: None, pseudobulk: None }
}

#[test]
fn run_writes_the_engines_files_byte_for_byte() {
    // The simulated demo: doubles with interactions, a paper-format model, every convention.
    let folder = "public/demo/simulated";
    let names = [
        "sim_double_pseudobulk.csv",
        "shrunk_additive_model_all_predictions.json",
        "shrunk_additive_model_gene_names.json",
    ];
    let out = scratch("simulated");
    let arguments: Vec<String> = names.iter().map(|name| format!("{folder}/{name}")).collect();
    let mut command: Vec<&str> = vec!["--quiet", "run"];
    command.extend(arguments.iter().map(String::as_str));
    command.extend(["--out", out.to_str().unwrap(), "--date", "2026-01-01T00:00:00.000Z"]);
    let output = run(&command);
    assert!(output.status.success(), "exit {:?}: {}", output.status, stderr(&output));
    assert!(output.stderr.is_empty(), "--quiet printed: {}", stderr(&output));

    let loaded: Vec<LoadedFile> = names
        .iter()
        .map(|name| load_file(name, &read(&format!("{folder}/{name}")), &Default::default()).unwrap())
        .collect();
    let roles = [FileRole::Data, FileRole::Predictions, FileRole::GeneNames];
    let pairs: Vec<(InputFile, &LoadedFile)> =
        (0..3).map(|i| (input(i as u32 + 1, names[i], roles[i]), &loaded[i])).collect();
    let (report, kept) = run_analysis(&pairs, &AnalysisSettings::default(), &mut |_| {}).unwrap();
    assert_eq!(report.methods.iter().filter(|m| *m == "shrunk_additive_model").count(), 1);
    assert_eq!(text(&out.join("results.csv")), write_results_csv(&report.rows));
    assert_eq!(text(&out.join("summary.csv")), summary_csv(&report.summary_common));
    assert!(!report.paired.is_empty());
    assert_eq!(text(&out.join("paired.csv")), paired_csv(&report.paired));
    let interactions = report.interactions.as_ref().expect("the demo has interactions");
    assert_eq!(text(&out.join("interactions.json")), interactions_json(interactions));
    for (name, csv) in interactions_csv(interactions) {
        assert_eq!(text(&out.join(&name)), csv, "{name}");
    }
    assert_eq!(text(&out.join("conventions.csv")), kept.export_conventions(&ConventionExport::Points).unwrap().text);
    let html = text(&out.join("report.html"));
    assert!(html.contains("2026-01-01T00:00:00.000Z"));
    // The same command again: the same bytes (nothing depends on the time with --date, or on threads).
    let again = scratch("simulated-again");
    let mut second = command.clone();
    let position = second.iter().position(|a| *a == out.to_str().unwrap()).unwrap();
    second[position] = again.to_str().unwrap();
    assert!(run(&second).status.success());
    for name in ["results.csv", "conventions.csv", "report.html"] {
        assert_eq!(text(&out.join(name)), text(&again.join(name)), "{name}");
    }
}

#[test]
fn run_detects_roles_and_names_as_the_page_and_honours_the_options() {
    // The Norman demo's data and two of its models; `--seeds 1`, `--conventions paper` (no conventions.csv),
    // a method renamed.
    let out = scratch("norman");
    let output = run(&[
        "run",
        "public/demo/norman/pseudobulk.csv",
        "public/demo/norman/predictions/gears.csv",
        "public/demo/norman/predictions/cpa.csv",
        "--seeds",
        "1",
        "--conventions",
        "paper",
        "--method",
        "cpa.csv=my_cpa",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!out.join("conventions.csv").exists(), "--conventions paper scores no other convention");
    let folder = "public/demo/norman";
    let files = ["pseudobulk.csv", "predictions/gears.csv", "predictions/cpa.csv"];
    let loaded: Vec<LoadedFile> = files
        .iter()
        .map(|name| load_file(name, &read(&format!("{folder}/{name}")), &Default::default()).unwrap())
        .collect();
    let mut inputs = vec![input(1, "pseudobulk.csv", FileRole::Data), input(2, "gears.csv", FileRole::Predictions)];
    inputs.push(InputFile { method: Some("my_cpa".into()), ..input(3, "cpa.csv", FileRole::Predictions) });
    let pairs: Vec<(InputFile, &LoadedFile)> = inputs.into_iter().zip(&loaded).collect();
    let mut settings = AnalysisSettings::default();
    settings.benchmark.split = Some(perturb_check::benchmark::SplitChoice::Seeds(vec![1]));
    let report = analyze(&pairs, &settings, &mut |_| {}).unwrap();
    assert!(report.methods.contains(&"my_cpa".to_string()) && report.methods.contains(&"gears".to_string()));
    assert_eq!(text(&out.join("results.csv")), write_results_csv(&report.rows));
    // Progress went to standard error as plain lines (not a terminal), and a line per file written.
    let said = stderr(&output);
    assert!(said.contains("wrote ") && said.contains("results.csv"), "{said}");

    // --json: every line of standard error is a JSON object.
    let out = scratch("norman-json");
    let output = run(&[
        "--json",
        "run",
        "public/demo/norman/pseudobulk.csv",
        "--conventions",
        "paper",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    for line in stderr(&output).lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(value["event"].is_string(), "{line}");
    }
}

#[test]
fn a_reference_role_and_an_h5ad_data_file_run() {
    // A reference chosen with --role (never guessed): linear_reference joins the run.
    let out = scratch("papalexi-reference");
    let output = run(&[
        "--quiet",
        "run",
        "public/demo/papalexi/papalexi2021_thp1_lowmoi_pseudobulk.csv",
        "public/demo/papalexi/papalexi_simulated_reference.csv",
        "--role",
        "papalexi_simulated_reference.csv=reference",
        "--seeds",
        "1",
        "--conventions",
        "paper",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(text(&out.join("results.csv")).contains(",linear_reference,"));

    // Cells as the data: pseudobulked (and their DE made) as the worker does.
    let out = scratch("h5ad-data");
    let output = run(&[
        "--quiet",
        "run",
        "tests/fixtures/h5ad/norman_subset.h5ad",
        "--split",
        "all",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let bytes = read("tests/fixtures/h5ad/norman_subset.h5ad");
    let h5ad = H5ad::from_bytes("norman_subset.h5ad", bytes.clone()).unwrap();
    let mut loaded = load_cells(&h5ad, None, &ConditionRules::default(), &mut |_, _| {}).unwrap();
    if let LoadedFile::Cells(cells) = &mut loaded {
        cells.run_de(&h5ad, &mut |_, _| {});
    }
    let mut settings = AnalysisSettings::default();
    settings.benchmark.split = Some(perturb_check::benchmark::SplitChoice::All);
    let (report, kept) =
        run_analysis(&[(input(1, "norman_subset.h5ad", FileRole::Data), &loaded)], &settings, &mut |_| {}).unwrap();
    assert_eq!(text(&out.join("results.csv")), write_results_csv(&report.rows));
    assert_eq!(text(&out.join("conventions.csv")), kept.export_conventions(&ConventionExport::Points).unwrap().text);
}

#[test]
fn pseudobulk_writes_the_pages_files() {
    let out = scratch("pseudobulk");
    let target = out.join("pb.csv");
    let output = run(&[
        "--quiet",
        "pseudobulk",
        "tests/fixtures/h5ad/papalexi2021_thp1_lowmoi.h5ad",
        "--out",
        target.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let h5ad =
        H5ad::from_bytes("papalexi2021_thp1_lowmoi.h5ad", read("tests/fixtures/h5ad/papalexi2021_thp1_lowmoi.h5ad"))
            .unwrap();
    let LoadedFile::Cells(cells) = load_cells(&h5ad, None, &ConditionRules::default(), &mut |_, _| {}).unwrap() else {
        panic!("not cells")
    };
    assert_eq!(text(&target), pseudobulk_csv(&cells.pseudobulk));
    assert_eq!(text(&out.join("n_cells.csv")), n_cells_csv(&cells.pseudobulk));
    // The cells per condition are those of the committed reference (tests/fixtures/h5ad, made with scanpy; it
    // also lists the unassigned cells, which are no condition).
    let counts = |text: String| -> std::collections::BTreeSet<String> {
        text.lines().skip(1).filter(|line| !line.starts_with("unassigned,")).map(str::to_string).collect()
    };
    assert_eq!(counts(text(&out.join("n_cells.csv"))), counts(text(&path("tests/fixtures/h5ad/papalexi_n_cells.csv"))));
    // One thread, or three, write the same bytes.
    for threads in ["1", "3"] {
        let other = out.join(format!("pb_{threads}.csv"));
        let output = run(&[
            "--quiet",
            "--threads",
            threads,
            "pseudobulk",
            "tests/fixtures/h5ad/papalexi2021_thp1_lowmoi.h5ad",
            "--out",
            other.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(text(&other) == text(&target), "--threads {threads}");
    }

    // A matrix the file does not have, or a column obs lacks: exit 2, naming the file.
    let output = run(&[
        "pseudobulk",
        "tests/fixtures/h5ad/papalexi2021_thp1_lowmoi.h5ad",
        "--matrix",
        "layers/none",
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("papalexi2021_thp1_lowmoi.h5ad: --matrix layers/none"), "{}", stderr(&output));
    let output = run(&["pseudobulk", "public/demo/norman/pseudobulk.csv", "--out", target.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("pseudobulk.csv: this is not an h5ad"), "{}", stderr(&output));
}

#[test]
fn inspect_describes_files_and_their_roles() {
    let output =
        run(&["inspect", "--json", "public/demo/norman/pseudobulk.csv", "public/demo/norman/predictions/gears.csv"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let cards: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(cards[0]["role"], "data");
    assert_eq!(cards[1]["role"], "predictions");
    assert_eq!(cards[1]["method"], "gears");
    assert_eq!(cards[0]["summary"]["control_label"], "ctrl");
    let output = run(&["inspect", "public/demo/simulated"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("simulated/sim_double_pseudobulk.csv\n  role: Expression data (data)"), "{said}");
}

/// Every error of the bad-input corpus (tests/fixtures/bad/expected.tsv: the page's messages) exits 2 with
/// that message on standard error.
#[test]
fn bad_inputs_exit_2_with_the_pages_message() {
    let corpus = String::from_utf8(read("tests/fixtures/bad/expected.tsv")).unwrap();
    let mut checked = 0;
    for line in corpus.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let (file, role, companion, kind, message) = (fields[0], fields[1], fields[2], fields[3], fields[4]);
        if kind != "error" || !companion.is_empty() {
            continue;
        }
        let out = scratch(&format!("bad-{file}"));
        let bad = format!("tests/fixtures/bad/{file}");
        let mut arguments = vec!["run".to_string()];
        match role {
            "data" => arguments.push(bad.clone()),
            _ => arguments.extend([
                "tests/fixtures/bad/good_data.csv".into(),
                bad.clone(),
                "--role".into(),
                format!("{file}={role}"),
            ]),
        }
        arguments.extend(["--out".into(), out.display().to_string()]);
        let output = binary().args(&arguments).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{file}: {}", stderr(&output));
        assert!(stderr(&output).contains(message), "{file}: expected {message:?}, got {:?}", stderr(&output));
        assert!(std::fs::read_dir(&out).unwrap().next().is_none(), "{file}: files were written");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} error cases");

    let out = scratch("bad-arguments");
    let out = out.to_str().unwrap();
    let data = "tests/fixtures/bad/good_data.csv";
    for (arguments, expected) in [
        (vec!["run", data, "--out", out, "--no-such-option"], "--no-such-option"),
        (vec!["run", "missing.csv", "--out", out], "missing.csv: no such file or folder"),
        (vec!["run", data, "--role", "other.csv=data", "--out", out], "--role: other.csv is not one of the files"),
        (vec!["run", data, "--role", "good_data.csv=model", "--out", out], "unknown role 'model'"),
        (vec!["run", data, "--conventions", "paper,scib", "--out", out], "unknown convention 'scib'"),
        (vec!["run", data, "--split", "all", "--seeds", "1", "--out", out], "cannot be combined"),
        (
            vec!["run", data, "--settings", "tests/fixtures/bad/good_data.csv", "--out", out],
            "good_data.csv: not a Perturb Check settings file",
        ),
        (vec!["run", data, "--seeds", "99", "--out", out], ""),
    ] {
        let output = run(&arguments);
        if expected.is_empty() {
            // A seed the data has no split for is still a valid run.
            assert!(output.status.code().is_some());
            continue;
        }
        assert_eq!(output.status.code(), Some(2), "{arguments:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(expected), "{arguments:?}: {}", stderr(&output));
    }
}

#[test]
fn help_documents_every_option() {
    for (command, options) in [
        (
            "run",
            &[
                "--out",
                "--role",
                "--method",
                "--split",
                "--seeds",
                "--settings",
                "--conventions",
                "--all-pairwise",
                "--date",
                "--quiet",
                "--json",
            ][..],
        ),
        ("pseudobulk", &["--matrix", "--scale", "--condition-column", "--out", "--n-cells"][..]),
        ("inspect", &["--json", "--quiet"][..]),
    ] {
        let output = run(&[command, "--help"]);
        assert!(output.status.success());
        let help = String::from_utf8_lossy(&output.stdout);
        for option in options {
            let line = help
                .lines()
                .find(|line| line.trim_start().starts_with(option) || line.contains(&format!(", {option}")));
            let line = line.unwrap_or_else(|| panic!("{command} --help does not list {option}:\n{help}"));
            // Documented: the option's line, or the one after it, says something beyond its name.
            assert!(
                line.trim().len() > option.len() + 12 || help.contains(&format!("{option} ")),
                "{command}: {option} undocumented"
            );
        }
    }
    let output = run(&["--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("Exit codes"));
    for command in ["run", "pseudobulk", "inspect"] {
        assert!(help.contains(command));
    }
}
