//! The numpy legacy RandomState port and the splits, against vectors generated with numpy
//! (tests/fixtures/numpy/make_vectors.py).

mod common;

use common::{load_data, path};
use perturb_check::numpy_random::LegacyRandomState;
use perturb_check::splits::{double_split, unseen_single_split, Split, SplitLabel};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_slice(&std::fs::read(path("tests/fixtures/numpy/vectors.json")).unwrap()).unwrap()
}

fn numbers(value: &Value) -> Vec<u64> {
    value.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect()
}

#[test]
fn mt19937_outputs_match_numpy() {
    for (seed, expected) in vectors()["uint32"].as_object().unwrap() {
        let mut random = LegacyRandomState::new(seed.parse().unwrap());
        let drawn: Vec<u64> = (0..8).map(|_| u64::from(random.next_u32())).collect();
        assert_eq!(drawn, numbers(expected), "seed {seed}");
    }
}

#[test]
fn choice_without_replacement_matches_numpy() {
    for case in vectors()["choice"].as_array().unwrap() {
        let (n, k, seed) = (
            case["n"].as_u64().unwrap() as usize,
            case["k"].as_u64().unwrap() as usize,
            case["seed"].as_u64().unwrap() as u32,
        );
        let mut random = LegacyRandomState::new(seed);
        let items: Vec<u64> = (0..n as u64).collect();
        assert_eq!(random.choice(&items, k), numbers(&case["result"]), "n={n} k={k} seed={seed}");
    }
    let mut random = LegacyRandomState::new(11);
    let permutation: Vec<u64> = random.permutation(20).into_iter().map(|v| v as u64).collect();
    assert_eq!(permutation, numbers(&vectors()["permutation_11_20"]));
}

#[test]
fn doubles_normals_and_integers_match_numpy() {
    let all = vectors();
    let mut random = LegacyRandomState::new(3);
    for expected in all["random_sample_3"].as_array().unwrap() {
        assert_eq!(random.random_f64(), expected.as_f64().unwrap());
    }
    let mut random = LegacyRandomState::new(3);
    for expected in all["standard_normal_3"].as_array().unwrap() {
        let drawn = random.standard_normal();
        assert!((drawn - expected.as_f64().unwrap()).abs() < 1e-15, "{drawn} vs {expected}");
    }
    let mut random = LegacyRandomState::new(9);
    let drawn: Vec<u64> = (0..6).map(|_| random.below(310) as u64).collect();
    assert_eq!(drawn, numbers(&all["randint_9_below_310"]));
}

fn names(split: &Split, label: SplitLabel) -> Vec<String> {
    split.with_label(label).iter().map(|condition| condition.name()).collect()
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

#[test]
fn paper_double_split_matches_numpy_on_124_doubles() {
    let data = load_data("public/demo/simulated/sim_double_pseudobulk.csv");
    let all = vectors();
    for seed in 1..=5u32 {
        let expected = &all["double_split_demo"][seed.to_string()];
        let split = double_split(data.conditions(), seed);
        assert_eq!(names(&split, SplitLabel::Test), strings(&expected["test"]), "seed {seed} test");
        assert_eq!(names(&split, SplitLabel::Val), strings(&expected["val"]), "seed {seed} val");
        assert_eq!(names(&split, SplitLabel::Train), strings(&expected["train"]), "seed {seed} train");
        assert_eq!(split.count(SplitLabel::Test) + split.count(SplitLabel::Val), 62);
    }
}

#[test]
fn gears_simulation_split_matches_numpy_on_papalexi() {
    let data = load_data("public/demo/papalexi/papalexi2021_thp1_lowmoi_pseudobulk.csv");
    let all = vectors();
    for seed in [1u32, 2] {
        let expected = &all["single_split_papalexi"][seed.to_string()];
        let split = unseen_single_split(data.conditions(), seed);
        for (label, key) in [(SplitLabel::Train, "train"), (SplitLabel::Test, "test"), (SplitLabel::Val, "val")] {
            assert_eq!(names(&split, label), strings(&expected[key]), "seed {seed} {key}");
        }
    }
}
