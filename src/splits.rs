//! Train / test / val splits (METHODS §2): the paper's double-perturbation split (seeds 1–5), GEARS'
//! `simulation` split for unseen singles (seeds 1–2), an uploaded split, or every condition as `all`.
//! The random draws are numpy's legacy generator, so the same sorted condition list and seed give the same
//! split as the paper's Python code.
//!
//! ```
//! use perturb_check::conditions::Condition;
//! use perturb_check::splits::{double_split, SplitLabel};
//! let double = |a: &str, b: &str| Condition::Double(a.into(), b.into());
//! let conditions = [Condition::Control, double("A", "B"), double("C", "D"), double("E", "F"), double("G", "H")];
//! let split = double_split(&conditions, 1);
//! assert_eq!(split.count(SplitLabel::Train), 3); // ctrl and 2 of the 4 doubles
//! assert_eq!(split.evaluated().len(), 2);          // test ∪ val
//! ```

use crate::conditions::{canonicalize, Canonical, Condition, ConditionKind, ConditionRules};
use crate::error::{ErrorKind, InputError, Location, Notice};
use crate::expression::{preview, ExpressionMatrix};
use crate::numpy_random::LegacyRandomState;
use crate::readers::split_json::UploadedSplit;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Which part of a split a condition is in. `All` is used when there is no split (every condition evaluated).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SplitLabel {
    Train,
    Test,
    Val,
    All,
}

impl SplitLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            SplitLabel::Train => "train",
            SplitLabel::Test => "test",
            SplitLabel::Val => "val",
            SplitLabel::All => "all",
        }
    }

    /// The label written `name` (as [`SplitLabel::as_str`] writes it).
    pub fn parse(name: &str) -> Option<SplitLabel> {
        [SplitLabel::Train, SplitLabel::Test, SplitLabel::Val, SplitLabel::All]
            .into_iter()
            .find(|label| label.as_str() == name)
    }
}

/// One split of the data's conditions.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// The seed that drew it; `None` for an uploaded split or `all`.
    pub seed: Option<u32>,
    /// Every condition with its label, sorted by label (train, test, val, all) and then by name.
    pub assignments: Vec<(Condition, SplitLabel)>,
}

impl Split {
    fn from_parts(seed: Option<u32>, parts: [(Vec<Condition>, SplitLabel); 3]) -> Split {
        let mut assignments: Vec<(Condition, SplitLabel)> = parts
            .into_iter()
            .flat_map(|(conditions, label)| conditions.into_iter().map(move |condition| (condition, label)))
            .collect();
        assignments.sort_by(|(a, label_a), (b, label_b)| label_a.cmp(label_b).then_with(|| a.name().cmp(&b.name())));
        Split { seed, assignments }
    }

    /// The training conditions (`ctrl` included), sorted by name.
    pub fn train(&self) -> Vec<&Condition> {
        self.with_label(SplitLabel::Train)
    }

    pub fn with_label(&self, label: SplitLabel) -> Vec<&Condition> {
        self.assignments.iter().filter(|(_, other)| *other == label).map(|(condition, _)| condition).collect()
    }

    pub fn count(&self, label: SplitLabel) -> usize {
        self.assignments.iter().filter(|(_, other)| *other == label).count()
    }

    /// The conditions that are evaluated, in the paper's order: test (sorted by name), then val (sorted by
    /// name), or `all`. Control is never evaluated.
    pub fn evaluated(&self) -> Vec<(&Condition, SplitLabel)> {
        self.assignments
            .iter()
            .filter(|(condition, label)| *label != SplitLabel::Train && *condition != Condition::Control)
            .map(|(condition, label)| (condition, *label))
            .collect()
    }
}

fn sorted_by_name<'a>(conditions: impl IntoIterator<Item = &'a Condition>) -> Vec<Condition> {
    let mut named: Vec<(String, Condition)> =
        conditions.into_iter().map(|condition| (condition.name(), condition.clone())).collect();
    named.sort();
    named.dedup_by(|a, b| a.0 == b.0);
    named.into_iter().map(|(_, condition)| condition).collect()
}

/// The paper's split for double perturbations: half of the doubles (sorted by name) train, a quarter test,
/// the rest val; all singles and `ctrl` train.
pub fn double_split(conditions: &[Condition], seed: u32) -> Split {
    let mut random = LegacyRandomState::new(seed);
    let doubles = sorted_by_name(conditions.iter().filter(|condition| condition.kind() == ConditionKind::Double));
    let train_doubles = random.choice(&doubles, doubles.len() / 2);
    let rest = sorted_by_name(doubles.iter().filter(|condition| !train_doubles.contains(condition)));
    let test = random.choice(&rest, rest.len() / 2);
    let val: Vec<Condition> = rest.iter().filter(|condition| !test.contains(condition)).cloned().collect();
    let mut train: Vec<Condition> =
        conditions.iter().filter(|condition| condition.kind() != ConditionKind::Double).cloned().collect();
    train.extend(train_doubles);
    Split::from_parts(Some(seed), [(train, SplitLabel::Train), (test, SplitLabel::Test), (val, SplitLabel::Val)])
}

/// GEARS `get_simulation_split_single`: draws `floor(n_genes × fraction)` training genes from the sorted
/// unique perturbed genes; returns the singles of the drawn genes and of the others.
fn simulation_split_single(singles: &[Condition], fraction: f64, seed: u32) -> (Vec<Condition>, Vec<Condition>) {
    let genes: Vec<String> = singles
        .iter()
        .flat_map(|condition| condition.genes().into_iter().map(str::to_string))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut random = LegacyRandomState::new(seed);
    // Python's int(len * fraction): a double product truncated, as here.
    let n_train = (genes.len() as f64 * fraction) as usize;
    let train_genes: BTreeSet<String> = random.choice(&genes, n_train).into_iter().collect();
    singles.iter().cloned().partition(|condition| condition.genes().iter().any(|gene| train_genes.contains(*gene)))
}

/// GEARS' `simulation` split for unseen single perturbations: 75% of the perturbed genes train, the rest
/// test; then 90% of the training genes stay train (seed reset) and the rest are val. `ctrl` is train.
pub fn unseen_single_split(conditions: &[Condition], seed: u32) -> Split {
    let singles = sorted_by_name(conditions.iter().filter(|condition| condition.kind() == ConditionKind::Single));
    let (train, test) = simulation_split_single(&singles, 0.75, seed);
    let (mut train, val) = simulation_split_single(&train, 0.9, seed);
    if conditions.contains(&Condition::Control) {
        train.push(Condition::Control);
    }
    Split::from_parts(Some(seed), [(train, SplitLabel::Train), (test, SplitLabel::Test), (val, SplitLabel::Val)])
}

/// No split: `ctrl` is the only training condition and every other condition is evaluated as `all`.
pub fn all_split(conditions: &[Condition]) -> Split {
    let (train, all): (Vec<Condition>, Vec<Condition>) =
        conditions.iter().cloned().partition(|condition| *condition == Condition::Control);
    Split::from_parts(None, [(train, SplitLabel::Train), (vec![], SplitLabel::Test), (all, SplitLabel::All)])
}

/// Matches an uploaded split's names to the data's conditions (in any spelling). Names that are not in the
/// data are reported; a split that evaluates none of the data's conditions is an error.
pub fn uploaded_split(
    file: &str,
    uploaded: &UploadedSplit,
    data: &ExpressionMatrix,
    rules: &ConditionRules,
) -> Result<(Split, Vec<Notice>), InputError> {
    let mut unknown = Vec::new();
    let mut seen = BTreeSet::new();
    let mut duplicated = Vec::new();
    let mut resolve = |names: &[String]| -> Vec<Condition> {
        let mut found = Vec::new();
        for name in names {
            let condition = match canonicalize(name, rules) {
                Canonical::Condition(condition) => condition,
                _ => {
                    unknown.push(name.clone());
                    continue;
                }
            };
            match data.condition_position(&condition) {
                Some(position) if seen.insert(position) => found.push(data.conditions()[position].clone()),
                Some(_) => duplicated.push(name.clone()),
                None => unknown.push(name.clone()),
            }
        }
        found
    };
    let mut train = resolve(&uploaded.train);
    let test = resolve(&uploaded.test);
    let val = resolve(&uploaded.val);
    if test.is_empty() && val.is_empty() {
        return Err(InputError::new(
            file,
            Location::File,
            ErrorKind::UnknownCondition,
            format!(
                "none of the split's test or val conditions is in the data (first unknown: {}); check that the split \
                 belongs to this data file",
                preview(&unknown)
            ),
        ));
    }
    let mut notices = Vec::new();
    if !unknown.is_empty() {
        notices.push(Notice::warning(
            Some(file),
            format!(
                "{} condition(s) of the split are not in the data and were ignored: {}",
                unknown.len(),
                preview(&unknown)
            ),
        ));
    }
    if !duplicated.is_empty() {
        notices.push(Notice::warning(
            Some(file),
            format!(
                "{} condition(s) are listed more than once; the first listing counts: {}",
                duplicated.len(),
                preview(&duplicated)
            ),
        ));
    }
    if !train.contains(&Condition::Control) && !test.contains(&Condition::Control) && !val.contains(&Condition::Control)
    {
        train.push(Condition::Control);
    }
    Ok((
        Split::from_parts(None, [(train, SplitLabel::Train), (test, SplitLabel::Test), (val, SplitLabel::Val)]),
        notices,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_split_evaluates_everything_but_control() {
        let split = all_split(&[Condition::Control, Condition::Double("B".into(), "A".into())]);
        assert_eq!(split.train(), [&Condition::Control]);
        assert_eq!(split.evaluated(), [(&Condition::Double("B".into(), "A".into()), SplitLabel::All)]);
    }

    #[test]
    fn uploaded_split_matches_any_spelling_and_reports_unknown_names() {
        let data = ExpressionMatrix::new(
            vec!["G".into()],
            vec![Condition::Control, Condition::Single("A".into()), Condition::Double("A".into(), "B".into())],
            vec![1.0, 2.0, 3.0],
        );
        let uploaded =
            UploadedSplit { train: vec!["ctrl+A".into()], test: vec!["B_A".into(), "ZZZ+ctrl".into()], val: vec![] };
        let (split, notices) = uploaded_split("s.json", &uploaded, &data, &ConditionRules::default()).unwrap();
        assert_eq!(split.seed, None);
        assert_eq!(split.evaluated(), [(&Condition::Double("A".into(), "B".into()), SplitLabel::Test)]);
        assert_eq!(split.train().len(), 2, "ctrl is added to train");
        assert_eq!(notices.len(), 1);
        assert!(notices[0].message.contains("ZZZ+ctrl"));

        let unknown = UploadedSplit { train: vec![], test: vec!["X+Y".into()], val: vec![] };
        let error = uploaded_split("s.json", &unknown, &data, &ConditionRules::default()).unwrap_err();
        assert_eq!(error.kind, ErrorKind::UnknownCondition);
    }
}
