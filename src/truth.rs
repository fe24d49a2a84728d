//! Planted kinds beside what the interaction analysis finds (issue 17): for data with a known truth (the
//! simulator's, or a dropped `truth.json`), each double's observed class under the thresholds in use against
//! the class its planted kind should show, their confusion, and precision and recall of "interaction".
//!
//! A double's **observed class** is the most frequent class among its pairs (genes of the analysed set) that
//! are beyond the thresholds (ties in the order buffering, synergy, other), and additive when none is. Its
//! **expected class** maps the planted kind: additive → additive, synergy → synergy, buffering → buffering,
//! dominant → buffering when both singles move the same way, else other. The singles **move the same way**
//! when their changes from the control agree over the analysed genes: `Σ (A − c)(B − c) > 0` (genes both move
//! the same way add to it, genes they move apart take from it, genes only one moves add only noise).

use crate::conditions::Condition;
use crate::interactions::{interaction_report, InteractionInputs, ManualThresholds, MeasuredPairs, ObservedClass};
use crate::metrics::top_expressed_genes;
use crate::simulator::{simulate, SimulatorSettings};
use serde::{Deserialize, Serialize};

/// A planted kind of double, as the shipped demo's `truth.json` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlantedKind {
    Additive,
    Buffering,
    Synergy,
    Dominant,
}

impl PlantedKind {
    pub const ALL: [PlantedKind; 4] =
        [PlantedKind::Additive, PlantedKind::Buffering, PlantedKind::Synergy, PlantedKind::Dominant];

    pub fn name(self) -> &'static str {
        match self {
            PlantedKind::Additive => "additive",
            PlantedKind::Buffering => "buffering",
            PlantedKind::Synergy => "synergy",
            PlantedKind::Dominant => "dominant",
        }
    }

    pub fn from_name(name: &str) -> Option<PlantedKind> {
        PlantedKind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The observed class this kind should show (see the module's documentation).
    pub fn expected_class(self, singles_same_way: bool) -> ObservedClass {
        match self {
            PlantedKind::Additive => ObservedClass::Additive,
            PlantedKind::Buffering => ObservedClass::Buffering,
            PlantedKind::Synergy => ObservedClass::Synergy,
            PlantedKind::Dominant if singles_same_way => ObservedClass::Buffering,
            PlantedKind::Dominant => ObservedClass::Other,
        }
    }
}

/// One double of the truth, as planted and as found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DoubleTruth {
    pub double: String,
    pub planted: PlantedKind,
    pub expected: ObservedClass,
    pub observed: ObservedClass,
}

/// The truth panel's numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TruthComparison {
    pub upper: f64,
    pub lower: f64,
    pub doubles: Vec<DoubleTruth>,
    /// `confusion[expected][observed]`, both in the order of [`ObservedClass::ALL`].
    pub confusion: Vec<Vec<usize>>,
    /// Of the doubles found interacting (observed not additive), the share planted with an interaction.
    pub precision: Option<f64>,
    /// Of the doubles planted with an interaction, the share found interacting.
    pub recall: Option<f64>,
    /// Doubles of the truth that were not scored (not in the data, or a single missing).
    pub unscored: Vec<String>,
    /// Scored doubles the truth does not name.
    pub without_truth: Vec<String>,
}

/// The observed class of scored double `double` (a position in `pairs.doubles`).
pub fn double_class(pairs: &MeasuredPairs, double: usize, upper: f64, lower: f64) -> ObservedClass {
    let mut counts = [0usize; 4];
    for position in 0..pairs.genes.len() {
        let class = pairs.class_of(pairs.pair(double, position), upper, lower);
        counts[class.index()] += 1;
    }
    // The first of the most frequent beyond the thresholds (ALL's order after additive), or additive.
    let (best, &count) = counts[1..].iter().enumerate().rev().max_by_key(|&(_, count)| count).expect("three classes");
    if count == 0 {
        ObservedClass::Additive
    } else {
        ObservedClass::ALL[1 + best]
    }
}

/// Whether both singles of scored double `double` move the same way (see the module's documentation).
pub fn singles_same_way(pairs: &MeasuredPairs, double: usize) -> bool {
    let agreement: f64 = (0..pairs.genes.len())
        .map(|position| {
            let pair = pairs.pair(double, position);
            let c = pairs.control_of(pair);
            (pairs.first[pair] - c) * (pairs.second[pair] - c)
        })
        .sum();
    agreement > 0.0
}

/// Compares the scored doubles of `pairs` under thresholds `upper`, `lower` with `truth`.
pub fn compare(pairs: &MeasuredPairs, upper: f64, lower: f64, truth: &[(Condition, PlantedKind)]) -> TruthComparison {
    let mut confusion = vec![vec![0usize; 4]; 4];
    let mut doubles = Vec::new();
    let mut without_truth = Vec::new();
    for (position, double) in pairs.doubles.iter().enumerate() {
        let Some((_, planted)) = truth.iter().find(|(planted, _)| planted.same_as(double)) else {
            without_truth.push(double.name());
            continue;
        };
        let expected = planted.expected_class(singles_same_way(pairs, position));
        let observed = double_class(pairs, position, upper, lower);
        confusion[expected.index()][observed.index()] += 1;
        doubles.push(DoubleTruth { double: double.name(), planted: *planted, expected, observed });
    }
    let unscored = truth
        .iter()
        .filter(|(double, _)| pairs.double_position(double).is_none())
        .map(|(double, _)| double.name())
        .collect();
    let found = doubles.iter().filter(|d| d.observed != ObservedClass::Additive);
    let planted = doubles.iter().filter(|d| d.planted != PlantedKind::Additive);
    let share = |hits: usize, of: usize| (of > 0).then(|| hits as f64 / of as f64);
    let precision = share(found.clone().filter(|d| d.planted != PlantedKind::Additive).count(), found.count());
    let recall = share(planted.clone().filter(|d| d.observed != ObservedClass::Additive).count(), planted.count());
    TruthComparison { upper, lower, doubles, confusion, precision, recall, unscored, without_truth }
}

/// Detection at one number of cells per condition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub cells: usize,
    /// Why nothing was compared (the local fdr could not be fitted and no thresholds were set).
    pub error: Option<String>,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

/// The cells per condition [`detection_by_cells`] looks at by default.
pub const CELL_STEPS: [usize; 6] = [5, 10, 25, 50, 100, 250];

/// The simulator's screen made again with each of `cells` (the rest of `settings`, the seed included, kept)
/// and analysed as a run analyses it (the `n_genes` most expressed, the local fdr's thresholds or `manual`):
/// how precision and recall of "interaction" change with the noise of the pseudobulk.
pub fn detection_by_cells(
    settings: &SimulatorSettings,
    cells: &[usize],
    n_genes: usize,
    manual: Option<ManualThresholds>,
) -> Vec<Detection> {
    cells
        .iter()
        .map(|&cells| {
            let failed = |error: String| Detection { cells, error: Some(error), precision: None, recall: None };
            let screen = match simulate(&SimulatorSettings { cells, ..settings.clone() }) {
                Ok(screen) => screen,
                Err(error) => return failed(error),
            };
            let control = screen.observed.control().expect("the simulator makes a control");
            let genes = top_expressed_genes(control, n_genes);
            let pairs = MeasuredPairs::new(&screen.observed, &genes).expect("the simulator makes a control");
            let inputs = InteractionInputs::new(pairs, Vec::new());
            let report = interaction_report(&inputs, manual);
            let Some(thresholds) = report.thresholds else {
                return failed(report.fit_error.unwrap_or_else(|| "no thresholds".into()));
            };
            let comparison = compare(&inputs.pairs, thresholds.upper, thresholds.lower, &screen.truth);
            Detection { cells, error: None, precision: comparison.precision, recall: comparison.recall }
        })
        .collect()
}
