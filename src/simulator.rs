//! A combinatorial screen with known truth, for teaching (issue 17): the control of real genes, singles that
//! move gene programs, doubles that add up or interact in a planted way, pseudobulk noise that shrinks with
//! the cells per condition, and four teaching models with known behaviour.
//!
//! The model, on the log-normalised scale of the data (docs/METHODS.md, "The simulator"):
//! - **Control** `c`: the real K562 control profile of the simulated demo ([`CONTROL_PROFILE`]): for up to
//!   2,000 genes a seeded choice of its genes (in profile order), beyond that every gene plus named copies
//!   whose control is drawn from the profile.
//! - **Programs**: every gene belongs to one of [`PROGRAMS`] programs, with a direction `d` (±1).
//! - **Singles** `X` (a CRISPRa of gene `t_X`): two programs, a sign `s` each; on a program's genes the
//!   change is `e_X = effect size · s · d · m`, `m` uniform in [0.5, 1.5); a fall on a gene whose control
//!   `c` is below `5 × effect size` is scaled by `c / (5 × effect size)`, so no truth is negative; the target
//!   itself rises by `2 × effect size`.
//! - **Doubles** `A+B`: additive (`c + e_A + e_B`), or with probability `interaction share` a planted kind
//!   drawn with the kinds' weights, acting on the genes both singles move:
//!   *synergy* `+ 0.5 (e_A + e_B)` and *buffering* `− 0.5 (e_A + e_B)` on the genes both move the same way
//!   (the double is chosen among pairs with such a gene among the 1,000 most expressed); *dominant* (`A`
//!   masks `B`): the double moves as `A` alone on the genes both move (pairs whose common genes all move the
//!   same way, or all opposite, with one among the 1,000 most expressed).
//! - **Noise**: each pseudobulk value is the truth plus a normal draw of standard deviation
//!   `noise / √cells` (the control has ten times the cells).
//!
//! Everything comes from one [`LegacyRandomState`] seeded with `seed`, drawn in a fixed order: the same
//! settings give the same bytes on every machine.

use crate::conditions::{canonicalize, Canonical, Condition, ConditionRules};
use crate::expression::ExpressionMatrix;
use crate::interactions::sign;
use crate::metrics::top_expressed_genes;
use crate::number_text::round_half_away;
use crate::numpy_random::LegacyRandomState;
use crate::pseudobulk::matrix_csv;
use crate::readers::prediction_json::{paper_format_vectors, write_paper_format};
use crate::readers::table::RawTable;
use crate::truth::PlantedKind;
use serde::{Deserialize, Serialize};

/// The real control the simulated genes start from: `gene,ctrl`, after two comment lines.
const CONTROL_PROFILE: &str = include_str!("simulator/control_profile.csv");
/// Gene programs (each gene in one).
pub const PROGRAMS: usize = 20;
/// Programs each single moves.
const PROGRAMS_PER_SINGLE: usize = 2;
/// The share of `e_A + e_B` a synergy adds or a buffering removes.
const INTERACTION_STRENGTH: f64 = 0.5;
/// The control has this many times the cells of a perturbation.
const CONTROL_CELLS_FACTOR: f64 = 10.0;
/// The genes the interaction analysis looks at (the paper's 1,000 most expressed).
const ANALYSED_GENES: usize = 1000;
/// Tries to find a pair of singles a planted kind can act on, per double.
const PAIR_TRIES: usize = 20_000;

/// The name of the simulated screen's data file.
pub const PSEUDOBULK_FILE: &str = "pseudobulk.csv";

/// The names the teaching models' files carry (none is a built-in baseline's).
pub const TEACHING_MODELS: [&str; 4] = ["noisy_additive", "shrunk_additive", "average_change", "learnt_interactions"];

/// What the simulator is asked for (the page's simulator panel; defaults: a screen like the simulated demo).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimulatorSettings {
    pub genes: usize,
    pub singles: usize,
    pub doubles: usize,
    /// The share of doubles with a planted interaction.
    pub interaction_share: f64,
    /// Relative weights of the interacting kinds.
    pub buffering: f64,
    pub synergy: f64,
    pub dominant: f64,
    /// The typical change of a single on the genes it moves (log-normalised units).
    pub effect_size: f64,
    /// The standard deviation of one cell's value around its condition's truth.
    pub noise: f64,
    pub cells: usize,
    pub seed: u32,
}

impl Default for SimulatorSettings {
    fn default() -> Self {
        SimulatorSettings {
            genes: 2000,
            singles: 100,
            doubles: 124,
            interaction_share: 0.5,
            buffering: 1.0,
            synergy: 1.0,
            dominant: 1.0,
            effect_size: 0.3,
            noise: 0.5,
            cells: 50,
            seed: 1,
        }
    }
}

impl SimulatorSettings {
    /// Why these settings cannot make a screen, naming the setting, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        let pairs = self.singles.saturating_mul(self.singles.saturating_sub(1)) / 2;
        let weights = [self.buffering, self.synergy, self.dominant];
        let problem = if !(20..=20_000).contains(&self.genes) {
            format!("genes is {}: choose between 20 and 20000", self.genes)
        } else if !(2..=2000.min(self.genes)).contains(&self.singles) {
            format!("singles is {}: choose between 2 and {}", self.singles, 2000.min(self.genes))
        } else if self.doubles > pairs.min(5000) {
            format!("doubles is {}: {} singles make at most {} (and at most 5000)", self.doubles, self.singles, pairs)
        } else if !(0.0..=1.0).contains(&self.interaction_share) {
            format!("the interaction share is {}: choose between 0 and 1", self.interaction_share)
        } else if weights.iter().any(|weight| !(weight.is_finite() && *weight >= 0.0)) {
            "the weights of buffering, synergy and dominant must be 0 or more".to_string()
        } else if self.interaction_share > 0.0 && weights.iter().sum::<f64>() <= 0.0 {
            "every kind has weight 0: give one kind a weight, or set the interaction share to 0".to_string()
        } else if !(self.effect_size > 0.0 && self.effect_size <= 5.0) {
            format!("the effect size is {}: choose above 0 and up to 5", self.effect_size)
        } else if !(0.0..=20.0).contains(&self.noise) {
            format!("the noise is {}: choose between 0 and 20", self.noise)
        } else if !(1..=100_000).contains(&self.cells) {
            format!("cells per condition is {}: choose between 1 and 100000", self.cells)
        } else {
            return Ok(());
        };
        Err(problem)
    }

    /// The standard deviation of a perturbation's pseudobulk value around its truth.
    pub fn pseudobulk_sd(&self) -> f64 {
        self.noise / (self.cells as f64).sqrt()
    }
}

/// A teaching model's name and its prediction of every condition.
pub type TeachingModel = (String, Vec<(Condition, Vec<f64>)>);

/// A generated screen: what was measured, the truth behind it, and the teaching models' predictions.
#[derive(Clone, Debug)]
pub struct SimulatedScreen {
    pub settings: SimulatorSettings,
    /// The pseudobulk as measured (with noise): ctrl, the singles, the doubles.
    pub observed: ExpressionMatrix,
    /// The same without noise.
    pub expected: ExpressionMatrix,
    /// Every double's planted kind, in the doubles' order.
    pub truth: Vec<(Condition, PlantedKind)>,
    /// Per double (same order), the planted deviation from additive per gene.
    pub deviations: Vec<Vec<f64>>,
    /// Per teaching model ([`TEACHING_MODELS`] order): a prediction of every condition.
    pub models: Vec<TeachingModel>,
}

/// One single: its target, its change per gene.
struct Single {
    condition: Condition,
    change: Vec<f64>,
}

impl SimulatedScreen {
    /// The smallest planted deviation from additive on a gene a planted kind acts on (`None` without one).
    pub fn smallest_planted_effect(&self) -> Option<f64> {
        self.deviations.iter().flatten().map(|d| d.abs()).filter(|&d| d > 0.0).reduce(f64::min)
    }

    /// [`PSEUDOBULK_FILE`] as the table reader reads its text: the same table, without writing and parsing
    /// 2 million numbers.
    pub fn pseudobulk_table(&self) -> RawTable {
        let matrix = &self.observed;
        let columns: Vec<&[f64]> = (0..matrix.n_conditions()).map(|c| matrix.column(c)).collect();
        let values = (0..matrix.n_genes()).flat_map(|gene| columns.iter().map(move |column| column[gene])).collect();
        RawTable {
            corner: "gene".into(),
            column_names: matrix.condition_names(),
            row_names: matrix.genes().to_vec(),
            values,
            delimiter: b',',
            notices: Vec::new(),
        }
    }

    /// The prediction vectors of file `name` if it is a teaching model's `all_predictions.json`: what reading
    /// its text gives, without reading it.
    pub fn prediction_vectors(&self, name: &str) -> Option<Vec<(String, Vec<f64>)>> {
        let (_, predicted) = self.models.iter().find(|(model, _)| format!("{model}_all_predictions.json") == name)?;
        Some(paper_format_vectors(predicted))
    }

    /// The files a user can download and drop back: `pseudobulk.csv`, each teaching model in the paper's
    /// format (`<model>_all_predictions.json`, `<model>_gene_names.json`) and `truth.json`. Values have six
    /// decimals, as the shipped pseudobulks do, and are written as the shortest text that reads back to the
    /// same f64, so the files re-run to the same bits.
    pub fn files(&self) -> Vec<(String, String)> {
        let mut files = vec![(PSEUDOBULK_FILE.to_string(), matrix_csv(&self.observed))];
        for (model, predicted) in &self.models {
            let (predictions, names) = write_paper_format(self.observed.genes(), predicted);
            files.push((format!("{model}_all_predictions.json"), predictions));
            files.push((format!("{model}_gene_names.json"), names));
        }
        files.push(("truth.json".to_string(), truth_json(&self.truth)));
        files
    }
}

/// The shipped demo's truth format: `{"A+B": "additive" | "buffering" | "synergy" | "dominant"}`.
pub fn truth_json(truth: &[(Condition, PlantedKind)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> =
        truth.iter().map(|(double, kind)| (double.name(), serde_json::Value::String(kind.name().into()))).collect();
    serde_json::to_string_pretty(&serde_json::Value::Object(map)).expect("a map of strings") + "\n"
}

fn condition(name: &str) -> Condition {
    match canonicalize(name, &ConditionRules::default()) {
        Canonical::Condition(condition) => condition,
        other => unreachable!("a simulated name is a condition: {name} gave {other:?}"),
    }
}

/// −1 or 1 with equal chance.
fn random_sign(random: &mut LegacyRandomState) -> f64 {
    if random.random_f64() < 0.5 {
        -1.0
    } else {
        1.0
    }
}

/// Generates the screen of `settings` (checked first).
pub fn simulate(settings: &SimulatorSettings) -> Result<SimulatedScreen, String> {
    settings.check()?;
    let mut random = LegacyRandomState::new(settings.seed);
    let size = settings.effect_size;

    // Genes and their control.
    let profile: Vec<(&str, f64)> = CONTROL_PROFILE
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once(','))
        .map(|(gene, value)| (gene, value.parse().expect("the committed profile holds numbers")))
        .collect();
    let (mut genes, mut control): (Vec<String>, Vec<f64>) = if settings.genes <= profile.len() {
        let mut chosen = random.choice(&(0..profile.len()).collect::<Vec<_>>(), settings.genes);
        chosen.sort_unstable();
        chosen.iter().map(|&gene| (profile[gene].0.to_string(), profile[gene].1)).unzip()
    } else {
        profile.iter().map(|&(gene, value)| (gene.to_string(), value)).unzip()
    };
    for extra in genes.len()..settings.genes {
        genes.push(format!("SIM{:05}", extra + 1));
        control.push(profile[random.below(profile.len())].1);
    }
    let n = genes.len();

    // Programs and directions.
    let program: Vec<usize> = (0..n).map(|_| random.below(PROGRAMS)).collect();
    let direction: Vec<f64> = (0..n).map(|_| random_sign(&mut random)).collect();

    // Singles, named after their targets (in gene order).
    let mut targets = random.choice(&(0..n).collect::<Vec<_>>(), settings.singles);
    targets.sort_unstable();
    let singles: Vec<Single> = targets
        .iter()
        .map(|&target| {
            let programs = random.choice(&(0..PROGRAMS).collect::<Vec<_>>(), PROGRAMS_PER_SINGLE);
            let signs: Vec<f64> = programs.iter().map(|_| random_sign(&mut random)).collect();
            let mut change = vec![0.0; n];
            for gene in 0..n {
                if let Some(k) = programs.iter().position(|&p| p == program[gene]) {
                    // A fall is at most 30% of the control, so two singles and a synergy keep it positive.
                    let way = signs[k] * direction[gene];
                    let scale = if way < 0.0 { (control[gene] / (5.0 * size)).min(1.0) } else { 1.0 };
                    change[gene] = size * way * scale * (0.5 + random.random_f64());
                }
            }
            change[target] = 2.0 * size;
            Single { condition: condition(&format!("{}+ctrl", genes[target])), change }
        })
        .collect();

    // Doubles: a kind, then a pair of singles it can act on.
    let analysed = top_expressed_genes(&control, ANALYSED_GENES);
    let weights = [settings.buffering, settings.synergy, settings.dominant];
    let total_weight: f64 = weights.iter().sum();
    let mut used = std::collections::HashSet::new();
    let mut doubles: Vec<(usize, usize, PlantedKind, Condition)> = Vec::with_capacity(settings.doubles);
    for k in 0..settings.doubles {
        let kind = if random.random_f64() < settings.interaction_share {
            let mut u = random.random_f64() * total_weight;
            let mut kind = PlantedKind::Dominant;
            for (candidate, weight) in
                [PlantedKind::Buffering, PlantedKind::Synergy, PlantedKind::Dominant].iter().zip(weights)
            {
                if u < weight {
                    kind = *candidate;
                    break;
                }
                u -= weight;
            }
            kind
        } else {
            PlantedKind::Additive
        };
        let pair = (0..PAIR_TRIES).find_map(|_| {
            let (a, b) = (random.below(singles.len()), random.below(singles.len()));
            let key = (a.min(b), a.max(b));
            (a != b && !used.contains(&key) && acts_on(kind, &singles[a].change, &singles[b].change, &analysed))
                .then_some((a, b))
        });
        let Some((a, b)) = pair else {
            return Err(format!(
                "no pair of singles left for double {} ({}): use more singles or fewer doubles",
                k + 1,
                kind.name()
            ));
        };
        used.insert((a.min(b), a.max(b)));
        let double = condition(&format!("{}+{}", genes[targets[a]], genes[targets[b]]));
        doubles.push((a, b, kind, double));
    }
    doubles.sort_by_cached_key(|(_, _, _, double)| double.name());

    // Truth per condition: ctrl, singles, doubles.
    let mut conditions = vec![Condition::Control];
    let mut columns = vec![control.clone()];
    for single in &singles {
        conditions.push(single.condition.clone());
        columns.push(control.iter().zip(&single.change).map(|(c, e)| c + e).collect());
    }
    let mut truth = Vec::with_capacity(doubles.len());
    let mut deviations = Vec::with_capacity(doubles.len());
    for (a, b, kind, double) in doubles {
        let (ea, eb) = (&singles[a].change, &singles[b].change);
        let deviation: Vec<f64> = (0..n).map(|gene| planted_deviation(kind, ea[gene], eb[gene])).collect();
        columns.push((0..n).map(|gene| control[gene] + ea[gene] + eb[gene] + deviation[gene]).collect());
        conditions.push(double.clone());
        truth.push((double, kind));
        deviations.push(deviation);
    }
    let expected = ExpressionMatrix::new(genes.clone(), conditions.clone(), columns.concat());

    // Measured: the truth plus pseudobulk noise, condition by condition.
    let sd = settings.pseudobulk_sd();
    let control_sd = settings.noise / (settings.cells as f64 * CONTROL_CELLS_FACTOR).sqrt();
    let observed_columns: Vec<Vec<f64>> = columns
        .iter()
        .enumerate()
        .map(|(k, column)| {
            let sd = if k == 0 { control_sd } else { sd };
            column
                .iter()
                .map(|&value| six_decimals(if sd > 0.0 { value + sd * random.standard_normal() } else { value }))
                .collect()
        })
        .collect();
    let observed = ExpressionMatrix::new(genes, conditions.clone(), observed_columns.concat());

    let models = teaching_models(&observed_columns, &conditions, 1 + singles.len(), &deviations, size, &mut random);
    Ok(SimulatedScreen { settings: settings.clone(), observed, expected, truth, deviations, models })
}

/// `value` to six decimals: the f64 nearest to the six-decimal number, which its text reads back to.
fn six_decimals(value: f64) -> f64 {
    round_half_away(value * 1e6) / 1e6
}

/// The deviation from additive a planted kind puts on a gene the singles change by `ea` and `eb`.
fn planted_deviation(kind: PlantedKind, ea: f64, eb: f64) -> f64 {
    let same_way = sign(ea) != 0 && sign(ea) == sign(eb);
    match kind {
        PlantedKind::Additive => 0.0,
        PlantedKind::Synergy if same_way => INTERACTION_STRENGTH * (ea + eb),
        PlantedKind::Buffering if same_way => -INTERACTION_STRENGTH * (ea + eb),
        // A masks B where both act: the double moves as A alone.
        PlantedKind::Dominant if ea != 0.0 && eb != 0.0 => -eb,
        _ => 0.0,
    }
}

/// Whether `kind` planted on singles changing genes by `ea` and `eb` shows among the `analysed` genes, in a
/// way the classes can name: synergy and buffering need a gene both move the same way; dominant needs common
/// genes that all move the same way, or all the opposite way (so the double is buffering or other, not a
/// mixture), one of them analysed.
fn acts_on(kind: PlantedKind, ea: &[f64], eb: &[f64], analysed: &[usize]) -> bool {
    let same_way = |gene: usize| sign(ea[gene]) != 0 && sign(ea[gene]) == sign(eb[gene]);
    let common = |gene: usize| ea[gene] != 0.0 && eb[gene] != 0.0;
    match kind {
        PlantedKind::Additive => true,
        PlantedKind::Synergy | PlantedKind::Buffering => analysed.iter().any(|&gene| same_way(gene)),
        PlantedKind::Dominant => {
            let common_genes: Vec<usize> = (0..ea.len()).filter(|&gene| common(gene)).collect();
            let all_same = common_genes.iter().all(|&gene| same_way(gene));
            let all_opposite = common_genes.iter().all(|&gene| !same_way(gene));
            analysed.iter().any(|&gene| common(gene)) && (all_same || all_opposite)
        }
    }
}

/// The teaching models, from the measured values (`columns`: ctrl, the singles, then the doubles starting at
/// `first_double`), each predicting every condition (ctrl and the singles as measured):
/// `noisy_additive` adds noise of `effect size / 2` to the additive expectation; `shrunk_additive` keeps
/// 70% of the additive change; `average_change` predicts every double as the control plus twice the singles'
/// average change; `learnt_interactions` adds 80% of the planted deviation to the additive expectation.
fn teaching_models(
    columns: &[Vec<f64>],
    conditions: &[Condition],
    first_double: usize,
    deviations: &[Vec<f64>],
    size: f64,
    random: &mut LegacyRandomState,
) -> Vec<TeachingModel> {
    let n = columns[0].len();
    let control = &columns[0];
    let singles = &columns[1..first_double];
    let single_of =
        |name: &str| conditions[1..first_double].iter().position(|c| c.genes()[0] == name).map(|k| &singles[k]);
    let average_change: Vec<f64> = (0..n)
        .map(|gene| singles.iter().map(|column| column[gene] - control[gene]).sum::<f64>() / singles.len() as f64)
        .collect();
    TEACHING_MODELS
        .iter()
        .map(|&model| {
            let mut predicted: Vec<(Condition, Vec<f64>)> =
                (0..first_double).map(|k| (conditions[k].clone(), columns[k].clone())).collect();
            for (k, double) in conditions[first_double..].iter().enumerate() {
                let genes = double.genes();
                let (a, b) = (
                    single_of(genes[0]).expect("a double's singles"),
                    single_of(genes[1]).expect("a double's singles"),
                );
                let values: Vec<f64> = (0..n)
                    .map(|gene| {
                        let additive = a[gene] + b[gene] - control[gene];
                        match model {
                            "noisy_additive" => additive + 0.5 * size * random.standard_normal(),
                            "shrunk_additive" => control[gene] + 0.7 * (additive - control[gene]),
                            "average_change" => control[gene] + 2.0 * average_change[gene],
                            _ => additive + 0.8 * deviations[k][gene],
                        }
                    })
                    .collect();
                predicted.push((double.clone(), values.into_iter().map(six_decimals).collect()));
            }
            (model.to_string(), predicted)
        })
        .collect()
}
