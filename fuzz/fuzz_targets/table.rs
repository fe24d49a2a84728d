//! CSV / TSV tables (gzip too) read as expression data, then described as a dropped file would be: an error
//! or a matrix, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use perturb_check::conditions::ConditionRules;
use perturb_check::expression::{read_expression_data, Orientation};
use perturb_check::inspect::inspect;
use perturb_check::load::load_file;

fuzz_target!(|bytes: &[u8]| {
    let rules = ConditionRules::default();
    let _ = read_expression_data("fuzz.csv", bytes, &rules, Orientation::Detect);
    if let Ok(loaded) = load_file("fuzz.csv", bytes, &Default::default()) {
        let _ = inspect("fuzz.csv", &loaded, &rules);
    }
});
