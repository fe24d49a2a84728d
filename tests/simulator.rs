//! The teaching simulator (issue 17): deterministic per seed, effects and noise as set, and with no noise
//! the interaction classes recover every planted kind.

use perturb_check::interactions::{MeasuredPairs, ObservedClass};
use perturb_check::metrics::top_expressed_genes;
use perturb_check::readers::truth_json::read_truth;
use perturb_check::simulator::{simulate, SimulatedScreen, SimulatorSettings, TEACHING_MODELS};
use perturb_check::truth::{compare, detection_by_cells, PlantedKind};
use sha2::{Digest, Sha256};

fn screen(settings: SimulatorSettings) -> SimulatedScreen {
    simulate(&settings).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The files of the default screen, hashed: a change of any draw, or of their order, changes it. (The hash
/// was recorded from this implementation; a deliberate change of the simulator records a new one.)
#[test]
fn the_default_screen_is_the_same_for_a_seed() {
    let files = screen(SimulatorSettings::default()).files();
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    let mut expected = vec!["pseudobulk.csv".to_string()];
    for model in TEACHING_MODELS {
        expected.push(format!("{model}_all_predictions.json"));
        expected.push(format!("{model}_gene_names.json"));
    }
    expected.push("truth.json".into());
    assert_eq!(names, expected);
    let mut hasher = Sha256::new();
    for (name, bytes) in &files {
        hasher.update(name.as_bytes());
        hasher.update(bytes);
    }
    let golden = "977c18bd24efd51f7098500401f8b186a29e83e671b3a2e7d06688ce5486f4b3";
    assert_eq!(hex(&hasher.finalize()), golden);
    // Again: the same bytes; another seed: others.
    assert_eq!(screen(SimulatorSettings::default()).files(), files);
    assert_ne!(screen(SimulatorSettings { seed: 2, ..Default::default() }).files()[0], files[0]);
}

#[test]
fn the_default_screen_has_the_demo_shape_and_reads_back() {
    let screen = screen(SimulatorSettings::default());
    let data = &screen.observed;
    assert_eq!((data.n_genes(), data.n_conditions()), (2000, 1 + 100 + 124));
    let files = screen.files();
    let truth = read_truth("truth.json", files.last().unwrap().1.as_bytes()).unwrap();
    assert_eq!(truth.len(), 124);
    let names: Vec<String> = screen.truth.iter().map(|(double, _)| double.name()).collect();
    assert_eq!(truth.iter().map(|(name, _)| name.clone()).collect::<Vec<_>>(), names);
    // The pseudobulk reads back to the same bits.
    let table = perturb_check::expression::read_expression_data(
        "pseudobulk.csv",
        files[0].1.as_bytes(),
        &perturb_check::conditions::ConditionRules::default(),
        perturb_check::expression::Orientation::Detect,
    )
    .unwrap();
    assert_eq!(table.matrix.values(), data.values());
    assert_eq!(table.matrix.condition_names(), data.condition_names());
}

/// Planted kinds follow the share and weights: on 4,000 doubles each kind's count is within four binomial
/// standard deviations of its expectation.
#[test]
fn planted_kinds_follow_the_settings() {
    let settings = SimulatorSettings {
        genes: 1000,
        singles: 600,
        doubles: 4000,
        interaction_share: 0.6,
        buffering: 1.0,
        synergy: 2.0,
        dominant: 1.0,
        ..Default::default()
    };
    let screen = screen(settings.clone());
    let n = screen.truth.len() as f64;
    for (kind, p) in [
        (PlantedKind::Additive, 0.4),
        (PlantedKind::Buffering, 0.6 * 0.25),
        (PlantedKind::Synergy, 0.6 * 0.5),
        (PlantedKind::Dominant, 0.6 * 0.25),
    ] {
        let count = screen.truth.iter().filter(|(_, planted)| *planted == kind).count() as f64;
        let sd = (n * p * (1.0 - p)).sqrt();
        assert!((count - n * p).abs() < 4.0 * sd, "{kind:?}: {count} of {n}, expected {}", n * p);
    }
}

/// The noise of a perturbation's pseudobulk has variance `noise² / cells` (within 5%), the control's a tenth
/// of it; the singles' changes on the genes they move average the effect size.
#[test]
fn noise_and_effects_follow_the_settings() {
    let settings = SimulatorSettings { noise: 2.0, cells: 16, seed: 7, ..Default::default() };
    let screen = screen(settings.clone());
    let (observed, expected) = (&screen.observed, &screen.expected);
    let residual_variance = |columns: std::ops::Range<usize>| {
        let residuals: Vec<f64> = columns
            .flat_map(|c| observed.column(c).iter().zip(expected.column(c)).map(|(o, e)| o - e).collect::<Vec<_>>())
            .collect();
        residuals.iter().map(|r| r * r).sum::<f64>() / residuals.len() as f64
    };
    let variance = residual_variance(1..observed.n_conditions());
    let wanted = 2.0f64.powi(2) / 16.0;
    assert!((variance / wanted - 1.0).abs() < 0.05, "variance {variance}, wanted {wanted}");
    assert!((residual_variance(0..1) / (wanted / 10.0) - 1.0).abs() < 0.1);

    let control = expected.control().unwrap();
    let mut changes = Vec::new();
    for (k, condition) in expected.conditions().iter().enumerate().skip(1).take(100) {
        let target = expected.gene_position(condition.genes()[0]).unwrap();
        for (gene, (value, c)) in expected.column(k).iter().zip(control).enumerate() {
            // Rises are effect size × U(0.5, 1.5); falls are scaled down on genes of little expression.
            if gene != target && value > c {
                changes.push(value - c);
            }
        }
        assert!((expected.column(k)[target] - control[target] - 2.0 * settings.effect_size).abs() < 1e-12);
    }
    let mean = changes.iter().sum::<f64>() / changes.len() as f64;
    assert!((mean / settings.effect_size - 1.0).abs() < 0.02, "mean change {mean}");
    // Every truth is a non-negative expression.
    assert!(expected.values().iter().all(|&value| value >= 0.0));
}

/// With no noise and thresholds ±t below the smallest planted effect, every double's observed class is its
/// planted kind's, for several seeds and kinds' mixes; and the per-pair classes agree with the deviations.
#[test]
fn without_noise_every_planted_kind_is_found() {
    for (seed, settings) in [
        (1, SimulatorSettings::default()),
        (5, SimulatorSettings { interaction_share: 0.9, buffering: 0.0, ..Default::default() }),
        (9, SimulatorSettings { genes: 600, singles: 60, doubles: 200, interaction_share: 0.8, ..Default::default() }),
    ] {
        let screen = screen(SimulatorSettings { noise: 0.0, seed, ..settings });
        let t = 0.9 * screen.smallest_planted_effect().unwrap();
        let data = &screen.observed;
        let genes = top_expressed_genes(data.control().unwrap(), 1000);
        let pairs = MeasuredPairs::new(data, &genes).unwrap();
        assert_eq!(pairs.doubles.len(), screen.truth.len());
        let comparison = compare(&pairs, t, -t, &screen.truth);
        assert!(comparison.unscored.is_empty() && comparison.without_truth.is_empty());
        for double in &comparison.doubles {
            assert_eq!(double.observed, double.expected, "seed {seed}: {double:?}");
        }
        assert_eq!(comparison.precision, Some(1.0));
        assert_eq!(comparison.recall, Some(1.0));
        // Every kind occurs, and dominant doubles show both ways (as buffering and as other).
        for kind in PlantedKind::ALL {
            if kind != PlantedKind::Buffering || seed != 5 {
                assert!(comparison.doubles.iter().any(|d| d.planted == kind), "seed {seed}: no {kind:?}");
            }
        }
        for expected in [ObservedClass::Buffering, ObservedClass::Other] {
            let dominant = comparison.doubles.iter().filter(|d| d.planted == PlantedKind::Dominant);
            assert!(dominant.clone().any(|d| d.expected == expected), "seed {seed}: no dominant as {expected:?}");
        }
        // A pair beyond the thresholds is one the simulator planted a deviation on.
        for (k, deviation) in screen.deviations.iter().enumerate() {
            for (position, &gene) in genes.iter().enumerate() {
                let pair = pairs.pair(k, position);
                let class = pairs.class_of(pair, t, -t);
                assert_eq!(class == ObservedClass::Additive, deviation[gene] == 0.0, "seed {seed}, double {k}");
            }
        }
    }
}

/// Detection depends on noise: recall of "interaction" at 250 cells per condition is above recall at 5.
#[test]
fn detection_improves_with_cells() {
    let detections = detection_by_cells(&SimulatorSettings::default(), &perturb_check::truth::CELL_STEPS, 1000, None);
    let recall: Vec<f64> = detections.iter().map(|d| d.recall.unwrap_or(0.0)).collect();
    assert!(recall[5] > recall[0] + 0.2, "{detections:?}");
}

#[test]
fn settings_out_of_range_say_which() {
    let error = simulate(&SimulatorSettings { genes: 5, ..Default::default() }).unwrap_err();
    assert_eq!(error, "genes is 5: choose between 20 and 20000");
    let error = simulate(&SimulatorSettings { singles: 4, doubles: 7, ..Default::default() }).unwrap_err();
    assert!(error.starts_with("doubles is 7: 4 singles make at most 6"), "{error}");
    let error =
        simulate(&SimulatorSettings { buffering: 0.0, synergy: 0.0, dominant: 0.0, ..Default::default() }).unwrap_err();
    assert!(error.starts_with("every kind has weight 0"), "{error}");
}

/// Runs `files` as dropped (roles guessed, as the page and the command line guess them).
fn run_dropped(
    files: &[(String, String)],
) -> Result<perturb_check::analysis::RunReport, perturb_check::error::RunError> {
    use perturb_check::analysis::{analyze, AnalysisSettings, InputFile};
    use perturb_check::inspect::{inspect, resolve_roles, RoleChoice};
    use perturb_check::load::load_file;
    let settings = AnalysisSettings::default();
    let loaded: Vec<_> =
        files.iter().map(|(name, text)| load_file(name, text.as_bytes(), &settings.rules).unwrap()).collect();
    let choices: Vec<RoleChoice> = files
        .iter()
        .zip(&loaded)
        .map(|((name, _), loaded)| RoleChoice {
            guessed: Some(inspect(name, loaded, &settings.rules).role),
            chosen: None,
        })
        .collect();
    let roles = resolve_roles(&choices);
    let inputs: Vec<(InputFile, &_)> = files
        .iter()
        .zip(&loaded)
        .zip(&roles)
        .enumerate()
        .map(|(id, (((name, _), loaded), role))| {
            let file = InputFile {
                id: id as u32,
                name: name.clone(),
                role: role.unwrap(),
                method: None,
                seed: None,
                pseudobulk: None,
            };
            (file, loaded)
        })
        .collect();
    analyze(&inputs, &settings, &mut |_| {})
}

/// The simulator's files, dropped as a user would (roles guessed), run the double benchmark with the four
/// teaching models under their names, and the truth file puts the planted kinds beside the classes found.
#[test]
fn the_files_run_with_their_truth() {
    let mut files = screen(SimulatorSettings::default()).files();
    let report = run_dropped(&files).unwrap();
    for model in TEACHING_MODELS {
        assert!(report.methods.iter().any(|method| method == model), "{model} in {:?}", report.methods);
    }
    let truth = report.interactions.unwrap().truth.expect("the truth file is used");
    assert_eq!(truth.doubles.len(), 124);
    assert_eq!(truth.confusion.iter().flatten().sum::<usize>(), 124);
    // A truth file naming something that is not a double is refused, naming the file and the key.
    files.last_mut().unwrap().1 = r#"{"ACER3": "synergy"}"#.into();
    let error = run_dropped(&files).unwrap_err().to_string();
    assert_eq!(error, "truth.json, key 'ACER3': is not a double (two genes, as in A+B): a truth file names doubles");
}

/// The worker adds the screen's data without writing and parsing its text: that table is the one the reader
/// makes of `pseudobulk.csv`, value for value.
#[test]
fn the_pseudobulk_table_is_the_text_read_back() {
    use perturb_check::load::{load_file, LoadedFile};
    let screen = screen(SimulatorSettings { genes: 300, singles: 20, doubles: 30, ..Default::default() });
    let files = screen.files();
    let (name, text) = &files[0];
    assert_eq!(name, perturb_check::simulator::PSEUDOBULK_FILE);
    let LoadedFile::Table(read) = load_file(name, text.as_bytes(), &Default::default()).unwrap() else {
        panic!("pseudobulk.csv reads as a table")
    };
    let made = screen.pseudobulk_table();
    assert_eq!(made, read);
    assert!(made.values.iter().zip(&read.values).all(|(a, b)| a.to_bits() == b.to_bits()));
}

/// The worker keeps the teaching models' vectors as it made them: they are what reading the files gives.
#[test]
fn the_prediction_vectors_are_the_files_read_back() {
    use perturb_check::readers::prediction_json::read_all_predictions;
    let screen = screen(SimulatorSettings { genes: 300, singles: 20, doubles: 30, ..Default::default() });
    let mut checked = 0;
    for (name, text) in screen.files() {
        match screen.prediction_vectors(&name) {
            Some(vectors) => {
                let read = read_all_predictions(&name, text.as_bytes()).unwrap();
                assert_eq!(read.len(), vectors.len());
                for ((key, values), (read_key, read_values)) in vectors.iter().zip(&read) {
                    assert_eq!(key, read_key);
                    assert!(values.iter().zip(read_values).all(|(a, b)| a.to_bits() == b.to_bits()), "{name} {key}");
                    assert_eq!(values.len(), read_values.len());
                }
                checked += 1;
            }
            None => assert!(!name.ends_with("_all_predictions.json"), "{name} has vectors"),
        }
    }
    assert_eq!(checked, perturb_check::simulator::TEACHING_MODELS.len());
}

/// A JSON file whose vectors are known is inspected from them, with the summary scanning its text gives; a
/// run reads the vectors once and keeps them.
#[test]
fn known_vectors_inspect_as_the_text_and_are_read_once() {
    use perturb_check::inspect::inspect;
    use perturb_check::load::{load_file, JsonFile, LoadedFile};
    let screen = screen(SimulatorSettings { genes: 300, singles: 20, doubles: 30, ..Default::default() });
    let rules = Default::default();
    let (name, text) = screen.files().into_iter().find(|(name, _)| name.ends_with("_all_predictions.json")).unwrap();
    let known =
        LoadedFile::Json(JsonFile::with_vectors(text.as_bytes().to_vec(), screen.prediction_vectors(&name).unwrap()));
    let read = load_file(&name, text.as_bytes(), &rules).unwrap();
    assert_eq!(inspect(&name, &known, &rules), inspect(&name, &read, &rules));
    let LoadedFile::Json(json) = &read else { panic!("JSON reads as JSON") };
    assert!(json.known_vectors().is_none());
    let first = json.prediction_vectors(&name).unwrap().as_ptr();
    assert_eq!(json.prediction_vectors(&name).unwrap().as_ptr(), first, "read once, then kept");
    assert_eq!(inspect(&name, &read, &rules), inspect(&name, &known, &rules), "inspected from the kept vectors");
}
