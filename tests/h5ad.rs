//! The h5ad reader and its streaming pseudobulk on real files (tests/fixtures/h5ad, copied from
//! shared/data with provenance): Papalexi 2021 (CSR, gzip, 20,729 cells) and the GEARS Norman slice.

mod common;

use common::{load_data, read, read_records};
use perturb_check::conditions::{Condition, ConditionRules};
use perturb_check::expression::ExpressionMatrix;
use perturb_check::pseudobulk::{pseudobulk, Pseudobulk, PseudobulkOptions, Scale};
use perturb_check::readers::h5ad::{H5ad, MatrixEncoding};

fn open(name: &str) -> H5ad {
    let path = format!("tests/fixtures/h5ad/{name}");
    H5ad::from_bytes(name, read(&path)).unwrap_or_else(|error| panic!("{error}"))
}

/// Every value of `expected` (genes × conditions, any condition spelling) equals `actual` within `tolerance`.
fn assert_same_matrix(actual: &ExpressionMatrix, expected: &ExpressionMatrix, tolerance: f64) {
    assert_eq!(
        actual.n_conditions(),
        expected.n_conditions(),
        "{:?} vs {:?}",
        actual.condition_names(),
        expected.condition_names()
    );
    assert_eq!(actual.genes(), expected.genes());
    for condition in expected.conditions() {
        let (ours, theirs) = (actual.column_of(condition).unwrap(), expected.column_of(condition).unwrap());
        for (gene, (a, b)) in ours.iter().zip(theirs).enumerate() {
            assert!((a - b).abs() <= tolerance, "{condition} {}: {a} vs {b}", expected.genes()[gene]);
        }
    }
}

fn assert_cell_counts(result: &Pseudobulk, n_cells_csv: &str) {
    let expected = read_records(n_cells_csv);
    assert_eq!(expected.len(), result.n_cells.len() + result.excluded.len());
    for record in expected {
        // Excluded labels (`unassigned`) are listed with their cells.
        if let Some((_, n)) = result.excluded.iter().find(|(label, _)| *label == record["condition"]) {
            assert_eq!(n.to_string(), record["n_cells"], "{}", record["condition"]);
            continue;
        }
        let condition = match record["condition"].as_str() {
            "ctrl" => Condition::Control,
            name => {
                let genes: Vec<&str> = name.split('+').filter(|g| *g != "ctrl").collect();
                match genes[..] {
                    [a] => Condition::Single(a.into()),
                    [a, b] => Condition::Double(a.into(), b.into()),
                    _ => unreachable!("{name}"),
                }
            }
        };
        let position = result.matrix.condition_position(&condition).unwrap_or_else(|| panic!("{condition}"));
        assert_eq!(result.n_cells[position].to_string(), record["n_cells"], "{condition}");
    }
}

#[test]
fn papalexi_x_is_averaged_as_is_and_matches_the_shipped_pseudobulk() {
    let h5ad = open("papalexi2021_thp1_lowmoi.h5ad");
    let summary = h5ad.contents().unwrap();
    assert_eq!((summary.n_cells, summary.n_genes), (20_729, 299));
    assert_eq!(summary.condition_column.as_deref(), Some("condition"));
    assert_eq!(summary.gene_column, "index");
    let paths: Vec<(&str, MatrixEncoding, bool)> =
        summary.matrices.iter().map(|m| (m.path.as_str(), m.encoding, m.looks_like_counts)).collect();
    assert_eq!(paths, [("X", MatrixEncoding::Csr, false), ("layers/counts", MatrixEncoding::Csr, true)]);

    let options = PseudobulkOptions::detected(&summary);
    assert_eq!((options.matrix.as_str(), options.scale), ("X", Scale::AsIs), "X is log-normalised already");
    let mut calls = 0;
    let result = pseudobulk(&h5ad, &options, &ConditionRules::default(), &mut |_, _| {
        calls += 1;
    })
    .unwrap();
    assert!(calls >= 2, "progress is reported");
    let expected = load_data("public/demo/papalexi/papalexi2021_thp1_lowmoi_pseudobulk.csv");
    assert_same_matrix(&result.matrix, &expected, 1e-5);
    assert_cell_counts(&result, "tests/fixtures/h5ad/papalexi_n_cells.csv");
    let excluded: Vec<&str> = result.excluded.iter().map(|(label, _)| label.as_str()).collect();
    assert_eq!(excluded, ["unassigned"]);
    assert!(result.notices.iter().any(|notice| notice.message.contains("unassigned (")), "{:?}", result.notices);
}

#[test]
fn papalexi_counts_are_normalised_per_cell_before_averaging() {
    let h5ad = open("papalexi2021_thp1_lowmoi.h5ad");
    let summary = h5ad.contents().unwrap();
    let options = PseudobulkOptions {
        matrix: "layers/counts".into(),
        scale: Scale::NormalizeCounts,
        ..PseudobulkOptions::detected(&summary)
    };
    let result = pseudobulk(&h5ad, &options, &ConditionRules::default(), &mut |_, _| {}).unwrap();
    let expected = load_data("tests/fixtures/h5ad/papalexi_counts_pseudobulk.csv");
    assert_same_matrix(&result.matrix, &expected, 1e-9);
}

#[test]
fn norman_slice_matches_its_pseudobulk_once_names_are_canonical() {
    let h5ad = open("norman_subset.h5ad");
    let summary = h5ad.contents().unwrap();
    assert_eq!(summary.gene_column, "feature_name", "the index holds Ensembl ids");
    assert_eq!(summary.cell_type_column, None, "one cell type only");
    let options = PseudobulkOptions::detected(&summary);
    assert_eq!(options.scale, Scale::AsIs);
    let result = pseudobulk(&h5ad, &options, &ConditionRules::default(), &mut |_, _| {}).unwrap();
    // The CSV spells conditions ctrl+X and X+ctrl; the engine reads both as the single X.
    let expected = load_data("tests/fixtures/h5ad/norman_gears_fixture_50x50_pseudobulk.csv");
    assert_same_matrix(&result.matrix, &expected, 1e-5);
    assert_cell_counts(&result, "tests/fixtures/h5ad/norman_n_cells.csv");

    // The card flags conditions with fewer cells than the chosen minimum.
    use perturb_check::inspect::inspect;
    use perturb_check::load::load_cells;
    let loaded = load_cells(&h5ad, None, &Default::default(), &mut |_, _| {}).unwrap();
    let cells = inspect("norman_subset.h5ad", &loaded, &Default::default()).cells.unwrap();
    let expected_few: Vec<(String, usize)> = result
        .matrix
        .condition_names()
        .into_iter()
        .zip(result.n_cells.iter().copied())
        .filter(|(_, n)| *n < 10)
        .collect();
    assert!(!expected_few.is_empty(), "the slice has small conditions");
    assert_eq!(cells.few_cells(10).into_iter().cloned().collect::<Vec<_>>(), expected_few);
    assert!(cells.few_cells(1).is_empty());
}

#[test]
fn broken_inputs_say_what_is_wrong() {
    let bytes = read("tests/fixtures/h5ad/norman_subset.h5ad");
    let error = H5ad::from_bytes("cut.h5ad", bytes[..bytes.len() / 2].to_vec()).err().unwrap();
    assert_eq!(
        error.to_string(),
        format!(
            "cut.h5ad: the file is cut short: it holds {} bytes of the {} its header announces; was the download \
             or copy interrupted?",
            bytes.len() / 2,
            bytes.len()
        )
    );
    let error = H5ad::from_bytes("table.h5ad", b"gene,ctrl\nA,1\n".to_vec()).err().unwrap();
    assert!(error.to_string().contains("not a readable HDF5"), "{error}");

    let h5ad = open("norman_subset.h5ad");
    let summary = h5ad.contents().unwrap();
    let elsewhere = PseudobulkOptions {
        cell_type: Some(("condition".into(), "HeLa".into())),
        ..PseudobulkOptions::detected(&summary)
    };
    let error = pseudobulk(&h5ad, &elsewhere, &ConditionRules::default(), &mut |_, _| {}).unwrap_err();
    assert_eq!(error.to_string(), "norman_subset.h5ad, key 'obs/condition': no cell has the value 'HeLa'");
    let missing_column =
        PseudobulkOptions { condition_column: "guide".into(), ..PseudobulkOptions::detected(&summary) };
    let error = pseudobulk(&h5ad, &missing_column, &ConditionRules::default(), &mut |_, _| {}).unwrap_err();
    assert_eq!(error.to_string(), "norman_subset.h5ad, key 'obs/guide': no such column");
    let records = open("formats/records_anndata06.h5ad");
    let error = records.contents().unwrap_err().to_string();
    assert!(error.starts_with("formats/records_anndata06.h5ad, key 'obs': is a table of records"), "{error}");
    assert!(error.contains("write_h5ad"), "{error}");

    let error = open("formats/no_x.h5ad").contents().unwrap_err().to_string();
    assert_eq!(error, "formats/no_x.h5ad, key 'X': is missing: the file has no such matrix");

    let missing_layer = PseudobulkOptions { matrix: "layers/spliced".into(), ..PseudobulkOptions::detected(&summary) };
    let error = pseudobulk(&h5ad, &missing_layer, &ConditionRules::default(), &mut |_, _| {}).unwrap_err();
    assert!(error.to_string().contains("layers/spliced"), "{error}");
}

/// Dropping the h5ad gives the same benchmark as dropping its pseudobulk CSV.
#[test]
fn a_run_on_cells_equals_the_run_on_their_pseudobulk() {
    use perturb_check::analysis::{analyze, AnalysisSettings, InputFile};
    use perturb_check::inspect::{inspect, FileRole};
    use perturb_check::load::load_file;
    let run = |name: &str, path: &str| {
        let loaded = load_file(name, &read(path), &Default::default()).unwrap();
        let summary = inspect(name, &loaded, &Default::default());
        assert_eq!(summary.role, FileRole::Data, "{name}");
        let file =
            InputFile { id: 1, name: name.into(), role: FileRole::Data, method: None, seed: None, pseudobulk: None };
        (summary, analyze(&[(file, &loaded)], &AnalysisSettings::default(), &mut |_| {}).unwrap())
    };
    let (summary, cells) = run("papalexi.h5ad", "tests/fixtures/h5ad/papalexi2021_thp1_lowmoi.h5ad");
    assert_eq!(summary.shape, "20729 cells × 299 genes → 26 conditions (h5ad)");
    assert_eq!(summary.control_label.as_deref(), Some("ctrl"));
    let (_, table) = run("papalexi.csv", "public/demo/papalexi/papalexi2021_thp1_lowmoi_pseudobulk.csv");
    assert_eq!(cells.rows.len(), table.rows.len());
    for (a, b) in cells.rows.iter().zip(&table.rows) {
        assert_eq!((&a.method, &a.perturbation, a.seed), (&b.method, &b.perturbation, b.seed));
        assert!((a.l2 - b.l2).abs() < 1e-4, "{a:?} vs {b:?}");
    }
}

/// Files written by Python anndata with every pair of storage choices (dense / CSR / CSC, float32 / int32,
/// gzip / lzf, categorical / plain-string obs) and one in the anndata 0.7 layout: all read identically, equal
/// to numpy's pseudobulk of the same cells (tests/fixtures/h5ad/formats/make_formats.py).
#[test]
fn every_storage_choice_anndata_writes_reads_identically() {
    let counts = load_data("tests/fixtures/h5ad/formats/expected_counts.csv");
    let as_is = load_data("tests/fixtures/h5ad/formats/expected_as_is.csv");
    let counts_k562 = load_data("tests/fixtures/h5ad/formats/expected_counts_k562.csv");
    let names = [
        "dense_float32_gzip_categorical.h5ad",
        "dense_int32_lzf_string.h5ad",
        "csr_float32_lzf_string.h5ad",
        "csr_int32_gzip_categorical.h5ad",
        "csc_float32_gzip_string.h5ad",
        "csc_int32_lzf_categorical.h5ad",
        "legacy_anndata07.h5ad",
    ];
    for name in names {
        let h5ad = open(&format!("formats/{name}"));
        let summary = h5ad.contents().unwrap_or_else(|error| panic!("{error}"));
        assert_eq!((summary.n_cells, summary.n_genes), (64, 24), "{name}");
        assert_eq!(summary.condition_column.as_deref(), Some("perturbation"), "{name}");
        let encoding = summary.matrices[0].encoding;
        let expected_encoding = match &name[..3] {
            "den" => MatrixEncoding::Dense,
            "csc" => MatrixEncoding::Csc,
            _ => MatrixEncoding::Csr,
        };
        assert_eq!(encoding, expected_encoding, "{name}");
        let column = summary.obs_columns.iter().find(|c| c.name == "perturbation").unwrap();
        assert_eq!(column.counts.iter().sum::<usize>(), 64, "{name}");
        let detected = PseudobulkOptions::detected(&summary);
        assert_eq!(detected.scale, Scale::NormalizeCounts, "{name}: integers are counts");
        // Two cell lines: by default the cells of the more common one.
        assert_eq!(summary.cell_type_column.as_deref(), Some("cell_line"), "{name}");
        assert_eq!(detected.cell_type, Some(("cell_line".into(), "K562".into())), "{name}");
        let result = pseudobulk(&h5ad, &detected, &ConditionRules::default(), &mut |_, _| {}).unwrap();
        assert_same_matrix(&result.matrix, &counts_k562, 1e-12);
        let detected = PseudobulkOptions { cell_type: None, ..detected };
        let result = pseudobulk(&h5ad, &detected, &ConditionRules::default(), &mut |_, _| {}).unwrap();
        assert_same_matrix(&result.matrix, &counts, 1e-12);
        assert_cell_counts(&result, "tests/fixtures/h5ad/formats/expected_n_cells.csv");
        let result = pseudobulk(
            &h5ad,
            &PseudobulkOptions { scale: Scale::AsIs, ..detected },
            &ConditionRules::default(),
            &mut |_, _| {},
        )
        .unwrap();
        assert_same_matrix(&result.matrix, &as_is, 1e-12);
    }
}

/// A file cut short anywhere says so, never panics.
#[test]
fn a_file_cut_anywhere_gives_a_message() {
    let bytes = read("tests/fixtures/h5ad/formats/csr_int32_gzip_categorical.h5ad");
    for length in (0..bytes.len()).step_by(977).chain([4096]) {
        let outcome = H5ad::from_bytes("cut.h5ad", bytes[..length].to_vec()).and_then(|h5ad| {
            let summary = h5ad.contents()?;
            pseudobulk(&h5ad, &PseudobulkOptions::detected(&summary), &ConditionRules::default(), &mut |_, _| {})
        });
        let error = outcome.expect_err("a cut file cannot be read whole").to_string();
        assert!(error.starts_with("cut.h5ad"), "{length}: {error}");
        assert!(error.contains("cut short"), "{length}: {error}");
    }
}

/// Inputs found by fuzzing (fuzz/ with scripts/fuzz.sh) that once crashed hdf5-pure: each gives a message or
/// reads what is intact, never a panic. `overflow_dataspace.h5ad` (a categorical `obs/cell_line` whose
/// dataspace claims 2.8e18 values) is pseudobulked with all cells pooled: the corrupt column is left out.
#[test]
fn inputs_found_by_fuzzing_give_messages() {
    // column_larger_than_file.h5ad: an obs column declaring 2^28 values in a file of a few kB, refused by
    // its declared size before anything is allocated for it (the fuzzer's out-of-memory: 2.4 GB were asked
    // for); the file then has no condition column. Every dataset's declared bytes are bounded so, windows of
    // the matrix included (data_declared_larger_than_file.h5ad: the fuzzer asked for 3 GB once).
    for entry in std::fs::read_dir("tests/fixtures/h5ad/fuzz").unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".h5ad") {
            continue;
        }
        let outcome = H5ad::from_bytes(&name, std::fs::read(&path).unwrap()).and_then(|h5ad| {
            let summary = h5ad.contents()?;
            pseudobulk(&h5ad, &PseudobulkOptions::detected(&summary), &ConditionRules::default(), &mut |_, _| {})
        });
        match outcome {
            Err(error) => {
                let error = error.to_string();
                assert!(error.starts_with(&name), "{error}");
                // make_bad_indices.py: an index outside the shape, as int32 (CSR), as int64 (CSC) and past 2^32 (int64).
                if name == "csr_gene_index_24.h5ad" {
                    assert_eq!(error, "csr_gene_index_24.h5ad, key 'X/indices': gene index 24 is out of range");
                }
                if name == "csc_cell_index_minus_1_int64.h5ad" {
                    assert_eq!(
                        error,
                        "csc_cell_index_minus_1_int64.h5ad, key 'X/indices': cell index -1 is out of range"
                    );
                }
                if name == "csr_gene_index_2_32_int64.h5ad" {
                    assert_eq!(
                        error,
                        "csr_gene_index_2_32_int64.h5ad, key 'X/indices': gene index 4294967297 is out of range"
                    );
                }
                // make_declared_larger.py: datasets declaring gigabytes over chunks never written.
                if name == "data_declared_larger_than_file.h5ad" {
                    assert!(error.starts_with(&format!("{name}, key 'X/data': declares 400000000 values")), "{error}");
                    assert!(error.contains("more than a file of"), "{error}");
                }
                if name == "gene_names_of_huge_size.h5ad" {
                    assert!(error.contains("key 'var/_index': declares 24 values of 16777216 bytes"), "{error}");
                }
                if name == "indptr_past_data.h5ad" {
                    assert!(
                        error.contains("but indptr points to") || error.contains("the matrix is corrupt"),
                        "{error}"
                    );
                }
            }
            // The fuzzer also changed some counts, so only the shape is known.
            Ok(result) => {
                assert_eq!(name, "overflow_dataspace.h5ad");
                assert_eq!((result.matrix.n_genes(), result.matrix.n_conditions()), (24, 4));
            }
        }
    }
}

/// The user's control labels reach h5ad files as they reach tables: an h5ad whose control is labelled `NT`
/// fails with the labels in force named, runs once `ctrl, NT` is set, and equals numpy's pseudobulk then
/// (tests/fixtures/h5ad/control_nt/make_control_nt.py).
#[test]
fn an_h5ad_control_labelled_nt_runs_once_the_user_names_it() {
    use perturb_check::analysis::{analyze, AnalysisSettings, InputFile};
    use perturb_check::inspect::{inspect, FileRole};
    use perturb_check::load::{load_file, LoadedFile};
    let name = "control_nt.h5ad";
    let bytes = read("tests/fixtures/h5ad/control_nt/control_nt.h5ad");
    let file = InputFile { id: 1, name: name.into(), role: FileRole::Data, method: None, seed: None, pseudobulk: None };

    let defaults = AnalysisSettings::default();
    let read_with_defaults = load_file(name, &bytes, &defaults.rules).unwrap();
    assert_eq!(inspect(name, &read_with_defaults, &defaults.rules).control_label, None);
    let error = analyze(&[(file.clone(), &read_with_defaults)], &defaults, &mut |_| {}).unwrap_err().to_string();
    assert!(
        error.starts_with(
            "control_nt.h5ad: no control condition: expected one named ctrl, control, non-targeting (found"
        ),
        "{error}"
    );
    assert!(
        error.contains("(found GENE0, GENE1, GENE2, GENE3, GENE4 and 1 more)"),
        "the labels found are listed: {error}"
    );

    let mut settings = AnalysisSettings::default();
    settings.rules.control_labels = vec!["ctrl".into(), "NT".into()];
    let read_with_nt = load_file(name, &bytes, &settings.rules).unwrap();
    let summary = inspect(name, &read_with_nt, &settings.rules);
    assert_eq!(summary.control_label.as_deref(), Some("NT"));
    let LoadedFile::Cells(cells) = &read_with_nt else { panic!("read as cells") };
    let expected = load_data("tests/fixtures/h5ad/control_nt/expected_nt.csv");
    assert_same_matrix(&cells.pseudobulk.matrix, &expected, 1e-9);
    let report = analyze(&[(file.clone(), &read_with_nt)], &settings, &mut |_| {}).unwrap();
    assert!(report.rows.iter().any(|row| row.method == "mean"), "the benchmark ran: {:?}", report.rows.first());

    // A pseudobulk made under other rules is not silently used.
    let error = analyze(&[(file, &read_with_defaults)], &settings, &mut |_| {}).unwrap_err().to_string();
    assert!(error.contains("other condition rules"), "{error}");
}

/// The pseudobulk does not depend on how the matrix is read: windows of any size, read ahead by 1, 2 or 3
/// threads, give the same bits (each sum adds its cells in file order), for CSR, CSC and dense storage.
#[test]
fn threads_and_windows_do_not_change_a_bit() {
    let bits = |result: &Pseudobulk| -> Vec<u64> {
        let statistics = &result.cell_statistics;
        (result.matrix.values().iter().chain(statistics.mean_of_squares.iter()).map(|v| v.to_bits()))
            .chain(statistics.nonzero.iter().map(|&n| u64::from(n)))
            .collect()
    };
    for name in
        ["papalexi2021_thp1_lowmoi.h5ad", "formats/csc_float32_gzip_string.h5ad", "formats/dense_int32_lzf_string.h5ad"]
    {
        let mut h5ad = open(name);
        let options = PseudobulkOptions::detected(&h5ad.contents().unwrap());
        let make = |h5ad: &H5ad| pseudobulk(h5ad, &options, &ConditionRules::default(), &mut |_, _| {}).unwrap();
        let whole = bits(&make(&h5ad));
        for (window, threads) in [(1, 2), (97, 1), (97, 2), (5_000, 3), (20_000, 2)] {
            h5ad.set_window_values(window);
            perturb_check::parallel::limit_threads(threads);
            assert!(bits(&make(&h5ad)) == whole, "{name}: {window} values a window, {threads} threads");
        }
        perturb_check::parallel::limit_threads(0);
    }
}
