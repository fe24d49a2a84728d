//! Condition names: canonicalisation into the GEARS grammar (`ctrl`, `A+ctrl`, `A+B`) and order-insensitive
//! matching (METHODS §1).
//!
//! Tools spell the same condition differently: GEARS writes `A+ctrl` or `ctrl+A`, GEARS/scGPT prediction files
//! write `A`, `A_B` and `""`, scPerturb writes `control`, cell-eval `non-targeting`. Every key is canonicalised
//! before anything is joined.
//!
//! ```
//! use perturb_check::conditions::{canonicalize, Canonical, Condition, ConditionRules};
//! let rules = ConditionRules::default();
//! let Canonical::Condition(single) = canonicalize("ctrl+KLF1", &rules) else { panic!() };
//! assert_eq!(single.name(), "KLF1+ctrl");
//! let Canonical::Condition(double) = canonicalize("CEBPB_CEBPE", &rules) else { panic!() };
//! assert_eq!(double.name(), "CEBPB+CEBPE");
//! // Two names denote the same condition when their parts are equal as sets.
//! let Canonical::Condition(reversed) = canonicalize("CEBPE+CEBPB", &rules) else { panic!() };
//! assert_eq!(double.key(), reversed.key());
//! assert_eq!(canonicalize("", &rules), Canonical::Condition(Condition::Control));
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;

/// How condition names are read. The defaults follow METHODS §1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionRules {
    /// Characters that separate the genes of a condition. A few gene symbols contain `_`: remove it then.
    pub separators: Vec<char>,
    /// Labels of the control condition, matched without regard to case, as a whole name or as a part.
    pub control_labels: Vec<String>,
    /// Labels that are not perturbations (`unassigned`, `multiplet`, ...), matched without regard to case.
    pub excluded_labels: Vec<String>,
}

impl Default for ConditionRules {
    fn default() -> Self {
        ConditionRules {
            separators: vec!['+', '_'],
            control_labels: ["ctrl", "control", "non-targeting"].map(String::from).to_vec(),
            excluded_labels: ["unassigned", "multiplet", "doublet", "NA", ""].map(String::from).to_vec(),
        }
    }
}

impl ConditionRules {
    fn is_control_label(&self, part: &str) -> bool {
        self.control_labels.iter().any(|label| label.eq_ignore_ascii_case(part))
    }

    fn is_excluded_label(&self, name: &str) -> bool {
        self.excluded_labels.iter().any(|label| label.eq_ignore_ascii_case(name))
    }
}

/// A canonical condition: the control, one perturbed gene, or two.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Condition {
    Control,
    Single(String),
    /// The genes in the order the name gave them.
    Double(String, String),
}

/// What a condition is, without its genes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConditionKind {
    Control,
    Single,
    Double,
}

/// An order-insensitive identity of a condition: `A+B` and `B+A` have the same key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConditionKey(String);

impl Condition {
    /// The GEARS name: `ctrl`, `A+ctrl`, `A+B`.
    pub fn name(&self) -> String {
        match self {
            Condition::Control => "ctrl".to_string(),
            Condition::Single(gene) => format!("{gene}+ctrl"),
            Condition::Double(first, second) => format!("{first}+{second}"),
        }
    }

    pub fn kind(&self) -> ConditionKind {
        match self {
            Condition::Control => ConditionKind::Control,
            Condition::Single(_) => ConditionKind::Single,
            Condition::Double(..) => ConditionKind::Double,
        }
    }

    /// The perturbed genes, in the order of the name.
    pub fn genes(&self) -> Vec<&str> {
        match self {
            Condition::Control => vec![],
            Condition::Single(gene) => vec![gene],
            Condition::Double(first, second) => vec![first, second],
        }
    }

    /// The key under which equal conditions meet, whatever order their genes were written in.
    pub fn key(&self) -> ConditionKey {
        // A control character cannot occur in a gene symbol, so the joined key is unambiguous even when `+` is
        // not a separator.
        match self {
            Condition::Control => ConditionKey(String::new()),
            Condition::Single(gene) => ConditionKey(gene.clone()),
            Condition::Double(first, second) => {
                let (low, high) = if first.as_bytes() <= second.as_bytes() { (first, second) } else { (second, first) };
                ConditionKey(format!("{low}\u{1}{high}"))
            }
        }
    }

    /// Whether two conditions are the same whatever the order of their genes (`key()` equality, without
    /// allocating).
    pub fn same_as(&self, other: &Condition) -> bool {
        match (self, other) {
            (Condition::Double(a, b), Condition::Double(c, d)) => (a == c && b == d) || (a == d && b == c),
            _ => self == other,
        }
    }

    /// For a double, its two singles with the genes sorted in byte order (METHODS §1).
    pub fn singles(&self) -> Option<(Condition, Condition)> {
        match self {
            Condition::Double(first, second) => {
                let (low, high) = if first.as_bytes() <= second.as_bytes() { (first, second) } else { (second, first) };
                Some((Condition::Single(low.clone()), Condition::Single(high.clone())))
            }
            _ => None,
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The outcome of reading one condition name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Canonical {
    Condition(Condition),
    /// A label that is not a perturbation (`unassigned`, `multiplet`, ...): excluded by default and listed.
    NotAPerturbation,
    /// Three or more genes: not supported here; listed and skipped.
    TooManyGenes(usize),
}

/// Reads one condition name under `rules` (METHODS §1).
pub fn canonicalize(raw: &str, rules: &ConditionRules) -> Canonical {
    let name = raw.trim();
    // Whole-name checks come first, so that `non-targeting` or `non_targeting` is not split into genes.
    if rules.is_control_label(name) || rules.control_labels.iter().any(|label| label.replace('-', "_") == name) {
        return Canonical::Condition(Condition::Control);
    }
    if !name.is_empty() && rules.is_excluded_label(name) {
        return Canonical::NotAPerturbation;
    }
    let genes: Vec<&str> = name
        .split(|c| rules.separators.contains(&c))
        .map(str::trim)
        .filter(|part| !part.is_empty() && !rules.is_control_label(part))
        .collect();
    match genes.as_slice() {
        [] => Canonical::Condition(Condition::Control),
        [gene] => Canonical::Condition(Condition::Single(gene.to_string())),
        [first, second] => Canonical::Condition(Condition::Double(first.to_string(), second.to_string())),
        more => Canonical::TooManyGenes(more.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(raw: &str) -> Condition {
        match canonicalize(raw, &ConditionRules::default()) {
            Canonical::Condition(condition) => condition,
            other => panic!("{raw} gave {other:?}"),
        }
    }

    #[test]
    fn gears_and_exchange_spellings_agree() {
        assert_eq!(condition("A+ctrl"), Condition::Single("A".into()));
        assert_eq!(condition("ctrl+A"), Condition::Single("A".into()));
        assert_eq!(condition("A"), Condition::Single("A".into()));
        assert_eq!(condition("A_B"), Condition::Double("A".into(), "B".into()));
        assert_eq!(condition("B+A").key(), condition("A_B").key());
        assert!(condition("B+A").same_as(&condition("A_B")));
        assert!(!condition("A+ctrl").same_as(&condition("A+B")));
        assert_ne!(condition("A+ctrl").key(), condition("A+B").key());
        assert_eq!(condition("ctrl"), Condition::Control);
        assert_eq!(condition(""), Condition::Control);
        assert_eq!(condition("ctrl+ctrl"), Condition::Control);
    }

    #[test]
    fn control_labels_of_other_tools_are_controls() {
        for label in ["control", "Control", "non-targeting", "NON-TARGETING", "non_targeting", " ctrl "] {
            assert_eq!(condition(label), Condition::Control, "{label}");
        }
        assert_eq!(condition("non-targeting+TP53"), Condition::Single("TP53".into()));
    }

    #[test]
    fn labels_that_are_not_perturbations_are_excluded() {
        let rules = ConditionRules::default();
        for label in ["unassigned", "Multiplet", "doublet", "NA"] {
            assert_eq!(canonicalize(label, &rules), Canonical::NotAPerturbation, "{label}");
        }
    }

    #[test]
    fn three_genes_are_reported_not_guessed() {
        assert_eq!(canonicalize("A+B+C", &ConditionRules::default()), Canonical::TooManyGenes(3));
    }

    #[test]
    fn separators_can_be_changed_for_symbols_with_underscores() {
        let rules = ConditionRules { separators: vec!['+'], ..ConditionRules::default() };
        assert_eq!(canonicalize("HLA_A+ctrl", &rules), Canonical::Condition(Condition::Single("HLA_A".into())));
    }

    #[test]
    fn singles_of_a_double_are_in_byte_order() {
        let (first, second) = condition("b+A").singles().unwrap();
        assert_eq!((first.name(), second.name()), ("A+ctrl".to_string(), "b+ctrl".to_string()));
    }
}
