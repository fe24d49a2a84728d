//! AnnData files: opened, summarised and pseudobulked with the detected choices (as when dropped).
#![no_main]
use libfuzzer_sys::fuzz_target;
use perturb_check::conditions::ConditionRules;
use perturb_check::pseudobulk::{pseudobulk, PseudobulkOptions};
use perturb_check::readers::h5ad::H5ad;

fuzz_target!(|bytes: &[u8]| {
    let Ok(h5ad) = H5ad::from_bytes("fuzz.h5ad", bytes.to_vec()) else { return };
    let Ok(summary) = h5ad.contents() else { return };
    let _ = pseudobulk(&h5ad, &PseudobulkOptions::detected(&summary), &ConditionRules::default(), &mut |_, _| {});
});
