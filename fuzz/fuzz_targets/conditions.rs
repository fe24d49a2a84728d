//! The condition-name parser, with the default rules and with rules taken from the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use perturb_check::conditions::{canonicalize, ConditionRules};

fuzz_target!(|text: &str| {
    let _ = canonicalize(text, &ConditionRules::default());
    // The first line as a control label, the second as an excluded one, the rest as the name.
    let mut lines = text.splitn(3, '\n');
    let (control, excluded, name) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""), lines.next().unwrap_or(""));
    let rules = ConditionRules {
        control_labels: vec![control.to_string()],
        excluded_labels: vec![excluded.to_string()],
        ..ConditionRules::default()
    };
    let _ = canonicalize(name, &rules);
});
