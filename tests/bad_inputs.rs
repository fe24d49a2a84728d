//! The corpus of malformed and awkward inputs (tests/fixtures/bad, made by make_bad.py): each file, dropped
//! as `expected.tsv` says (alone, or beside `good_data.csv`), gives the message listed there — an error naming
//! the file and the place, or a notice when the input is repaired or partly used. Never a panic.

mod common;

use common::read;
use perturb_check::analysis::{analyze, AnalysisSettings, InputFile};
use perturb_check::inspect::{inspect, FileRole};
use perturb_check::load::load_file;

/// What happens to a file dropped as `role` (beside `good_data.csv` unless it is the data): the error of
/// reading or running, or the notices of a run that completes.
fn outcome(file: &str, role: &str, companion: Option<&str>) -> Result<Vec<String>, String> {
    let path = |name: &str| format!("tests/fixtures/bad/{name}");
    let loaded = load_file(file, &read(&path(file)), &Default::default()).map_err(|error| error.to_string())?;
    let summary = inspect(file, &loaded, &Default::default());
    let said = |notice: &perturb_check::error::Notice| match &notice.file {
        Some(file) => format!("{file}: {}", notice.message),
        None => notice.message.clone(),
    };
    let mut notices: Vec<String> = summary.notices.iter().map(said).collect();
    let role = match role {
        "data" => FileRole::Data,
        "predictions" => FileRole::Predictions,
        "split" => FileRole::Split,
        "detected" => summary.role,
        other => panic!("unknown role {other}"),
    };
    let good = load_file("good_data.csv", &read(&path("good_data.csv")), &Default::default()).unwrap();
    let extra = companion.map(|name| (name, load_file(name, &read(&path(name)), &Default::default()).unwrap()));
    let input =
        |id, name: &str, role| InputFile { id, name: name.into(), role, method: None, seed: None, pseudobulk: None };
    let mut files = vec![(input(1, file, role), &loaded)];
    if role != FileRole::Data {
        files.push((input(2, "good_data.csv", FileRole::Data), &good));
    }
    if let Some((name, loaded)) = &extra {
        files.push((input(3, name, FileRole::GeneNames), loaded));
    }
    let report = analyze(&files, &AnalysisSettings::default(), &mut |_| {}).map_err(|error| error.to_string())?;
    notices.extend(report.notices.iter().map(said));
    Ok(notices)
}

/// One line of `expected.tsv`.
struct Case {
    file: String,
    role: String,
    companion: Option<String>,
    /// `error` (reading or running fails with the message) or `notice` (the run completes and says it).
    kind: String,
    message: String,
}

fn cases() -> Vec<Case> {
    let text = String::from_utf8(read("tests/fixtures/bad/expected.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 5, "{line}");
            Case {
                file: fields[0].into(),
                role: fields[1].into(),
                companion: (!fields[2].is_empty()).then(|| fields[2].to_string()),
                kind: fields[3].into(),
                message: fields[4].into(),
            }
        })
        .collect()
}

#[test]
fn every_corpus_file_gives_its_message() {
    let cases = cases();
    let listed: std::collections::HashSet<&str> =
        cases.iter().flat_map(|case| std::iter::once(case.file.as_str()).chain(case.companion.as_deref())).collect();
    // Every file of the corpus is a case (or the good data, or the script).
    for entry in std::fs::read_dir("tests/fixtures/bad").unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let support = ["good_data.csv", "make_bad.py", "expected.tsv"].contains(&name.as_str());
        assert!(support || listed.contains(name.as_str()), "{name} has no line in expected.tsv");
    }
    for case in &cases {
        match (outcome(&case.file, &case.role, case.companion.as_deref()), case.kind.as_str()) {
            (Err(error), "error") => assert!(error.starts_with(&case.message), "{}: {error}", case.file),
            (Ok(notices), "notice") => {
                assert!(notices.iter().any(|n| n.starts_with(&case.message)), "{}: {notices:?}", case.file)
            }
            (outcome, kind) => panic!("{}: expected {kind}, got {outcome:?}", case.file),
        }
    }
}
