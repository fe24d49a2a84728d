//! The JSON readers: the paper's `all_predictions.json` and `gene_names.json`, and splits.
#![no_main]
use libfuzzer_sys::fuzz_target;
use perturb_check::readers::prediction_json::{read_all_predictions, read_gene_names};
use perturb_check::readers::split_json::read_split;

fuzz_target!(|bytes: &[u8]| {
    let _ = read_all_predictions("fuzz_all_predictions.json", bytes);
    let _ = read_gene_names("fuzz_gene_names.json", bytes);
    let _ = read_split("fuzz_split.json", bytes);
});
