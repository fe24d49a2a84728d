//! Genetic interactions of double perturbations (METHODS §5): the interaction score of every double × gene
//! pair, thresholds from the local fdr ([`crate::locfdr`]) or set by hand, the observed classes (synergy,
//! buffering, other, additive), and how well each method finds the interactions: the TPR-vs-FDP curve,
//! AUPRC and AUROC per seed (mean ± standard error over seeds), and the predicted class of each method's
//! top 500 pairs against the observed class.
//!
//! A pair is one double and one gene of the gene set. Pairs are numbered double-major: the doubles in data
//! order, each with its genes most expressed first (the order of R's reference scores).
//!
//! ```
//! use perturb_check::interactions::{observed_class, predicted_class, ObservedClass, PredictedClass};
//! // c = 1, A = 2, B = 2: additive expectation 3. AB = 5 goes beyond the upper threshold 0.5, away from c.
//! assert_eq!(observed_class(1.0, 2.0, 2.0, 5.0, 0.5, -0.5), ObservedClass::Synergy);
//! assert_eq!(observed_class(1.0, 2.0, 2.0, 2.0, 0.5, -0.5), ObservedClass::Buffering);
//! assert_eq!(observed_class(1.0, 2.0, 2.0, 3.2, 0.5, -0.5), ObservedClass::Additive);
//! // A prediction between the control and the additive expectation buffers.
//! assert_eq!(predicted_class(1.0, 3.0, 2.0), PredictedClass::Buffering);
//! ```

use crate::conditions::Condition;
use crate::error::ThresholdError;
use crate::expression::ExpressionMatrix;
use crate::locfdr::{histogram as locfdr_histogram, locfdr, thresholds, LocfdrError, LocfdrFit};
use crate::results_table::write_csv;
use serde::{Deserialize, Serialize};

/// The grid of false discovery proportions the TPR curve is read at: 0, 0.01, …, 1.
pub const FDP_GRID_POINTS: usize = 101;
/// How many of a method's pairs (pooled over seeds) the predicted-class table looks at.
pub const TOP_PAIRS: usize = 500;

/// Every double × gene pair of the data: the measured values the score and the classes need.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MeasuredPairs {
    /// The doubles with both singles measured, in data order.
    pub doubles: Vec<Condition>,
    /// Doubles left out because a single is not measured.
    pub skipped: Vec<Condition>,
    /// The gene set (indices into the data's genes), most expressed first.
    pub genes: Vec<usize>,
    /// The control per gene of the set.
    pub control: Vec<f64>,
    /// Per pair (double-major): the first single `A`, the second `B` and the double `AB`.
    pub first: Vec<f64>,
    pub second: Vec<f64>,
    pub double: Vec<f64>,
}

impl MeasuredPairs {
    /// The pairs of `data` over `gene_set`. `None` without a control.
    pub fn new(data: &ExpressionMatrix, gene_set: &[usize]) -> Option<MeasuredPairs> {
        let control = data.control()?;
        let mut pairs = MeasuredPairs {
            genes: gene_set.to_vec(),
            control: gene_set.iter().map(|&gene| control[gene]).collect(),
            ..Default::default()
        };
        for condition in data.conditions() {
            let Some((a, b)) = condition.singles() else { continue };
            let (Some(a), Some(b), Some(ab)) = (data.column_of(&a), data.column_of(&b), data.column_of(condition))
            else {
                pairs.skipped.push(condition.clone());
                continue;
            };
            pairs.doubles.push(condition.clone());
            for &gene in gene_set {
                pairs.first.push(a[gene]);
                pairs.second.push(b[gene]);
                pairs.double.push(ab[gene]);
            }
        }
        Some(pairs)
    }

    pub fn n_pairs(&self) -> usize {
        self.double.len()
    }

    /// The control of pair `pair`.
    pub fn control_of(&self, pair: usize) -> f64 {
        self.control[pair % self.genes.len()]
    }

    /// The additive expectation `A + B − c` of pair `pair`.
    pub fn additive(&self, pair: usize) -> f64 {
        self.first[pair] + self.second[pair] - self.control_of(pair)
    }

    /// The interaction score `AB − (A + B − c)` of every pair.
    pub fn interaction_scores(&self) -> Vec<f64> {
        (0..self.n_pairs()).map(|pair| self.double[pair] - self.additive(pair)).collect()
    }

    /// The observed class of pair `pair` under the thresholds.
    pub fn class_of(&self, pair: usize, upper: f64, lower: f64) -> ObservedClass {
        observed_class(self.control_of(pair), self.first[pair], self.second[pair], self.double[pair], upper, lower)
    }

    /// The pair of `double` (a position in [`Self::doubles`]) and the gene at `position` of the set.
    pub fn pair(&self, double: usize, position: usize) -> usize {
        double * self.genes.len() + position
    }

    /// The position of `condition` among the scored doubles.
    pub fn double_position(&self, condition: &Condition) -> Option<usize> {
        self.doubles.iter().position(|double| double.same_as(condition))
    }
}

/// The observed class of a pair (METHODS §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ObservedClass {
    Additive,
    Buffering,
    Synergy,
    Other,
}

impl ObservedClass {
    pub const ALL: [ObservedClass; 4] =
        [ObservedClass::Additive, ObservedClass::Buffering, ObservedClass::Synergy, ObservedClass::Other];

    pub fn name(self) -> &'static str {
        match self {
            ObservedClass::Additive => "Additive",
            ObservedClass::Buffering => "Buffering",
            ObservedClass::Synergy => "Synergy",
            ObservedClass::Other => "Other",
        }
    }

    /// Its position in [`ObservedClass::ALL`] (the order of every table's columns).
    pub fn index(self) -> usize {
        ObservedClass::ALL.iter().position(|&class| class == self).expect("every class is in ALL")
    }
}

/// The predicted class of a pair from the prediction alone (METHODS §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PredictedClass {
    Buffering,
    Synergy,
    Opposite,
    Other,
}

impl PredictedClass {
    pub const ALL: [PredictedClass; 4] =
        [PredictedClass::Buffering, PredictedClass::Synergy, PredictedClass::Opposite, PredictedClass::Other];

    pub fn name(self) -> &'static str {
        match self {
            PredictedClass::Buffering => "Buffering",
            PredictedClass::Synergy => "Synergy",
            PredictedClass::Opposite => "Opposite",
            PredictedClass::Other => "Other",
        }
    }

    /// Its position in [`PredictedClass::ALL`].
    pub fn index(self) -> usize {
        PredictedClass::ALL.iter().position(|&class| class == self).expect("every class is in ALL")
    }
}

/// R's `sign`: −1, 0 or 1.
pub(crate) fn sign(value: f64) -> i8 {
    if value > 0.0 {
        1
    } else if value < 0.0 {
        -1
    } else {
        0
    }
}

/// The observed class of a pair with control `c`, singles `a`, `b` and double `ab`, under the thresholds
/// (the first rule that matches): synergy when both singles and the double move the same way and the
/// double goes further from the control than additive; buffering when it stays closer; other for any other
/// score beyond a threshold; else additive.
pub fn observed_class(c: f64, a: f64, b: f64, ab: f64, upper: f64, lower: f64) -> ObservedClass {
    let add = a + b - c;
    let deviation = ab - add;
    let same = sign(a - c) == sign(b - c) && sign(ab - c) == sign(a - c);
    let (above, below) = (deviation > upper, deviation < lower);
    if same && ((c < add && above) || (c > add && below)) {
        ObservedClass::Synergy
    } else if same && ((c < add && below) || (c > add && above)) {
        ObservedClass::Buffering
    } else if above || below {
        ObservedClass::Other
    } else {
        ObservedClass::Additive
    }
}

/// The predicted class of a prediction `v` given the control `c` and the additive expectation `a`.
pub fn predicted_class(c: f64, a: f64, v: f64) -> PredictedClass {
    if (c < a && a > v && v >= c) || (c > a && a < v && v <= c) {
        PredictedClass::Buffering
    } else if (c < a && a < v) || (c > a && a > v) {
        PredictedClass::Synergy
    } else if (c < a && c > v) || (c > a && c < v) {
        PredictedClass::Opposite
    } else {
        PredictedClass::Other
    }
}

/// One method's predictions for one seed: for each scored pair (test doubles by name, then validation
/// doubles by name, each with its genes in rank order), the pair and the predicted value.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MethodPairs {
    pub method: String,
    pub seed: Option<u32>,
    pub pairs: Vec<u32>,
    pub predicted: Vec<f64>,
}

/// Thresholds set by the user.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManualThresholds {
    pub upper: f64,
    pub lower: f64,
}

/// Where the thresholds in use come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThresholdSource {
    Locfdr,
    Manual,
}

/// The thresholds in use, with the fitted null when the fit was made (the `thresholds` object of
/// `interactions.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub upper: f64,
    pub lower: f64,
    pub source: ThresholdSource,
    pub delta: Option<f64>,
    pub sigma: Option<f64>,
    pub p0: Option<f64>,
}

/// Everything the interaction analysis needs, kept by the worker after a run so that new thresholds are
/// scored without running again.
#[derive(Clone, Debug, PartialEq)]
pub struct InteractionInputs {
    pub pairs: MeasuredPairs,
    pub fit: Result<LocfdrFit, LocfdrError>,
    pub methods: Vec<MethodPairs>,
}

impl InteractionInputs {
    /// Fits the local fdr of the pairs' interaction scores.
    pub fn new(pairs: MeasuredPairs, methods: Vec<MethodPairs>) -> InteractionInputs {
        let fit = locfdr(&pairs.interaction_scores());
        InteractionInputs { pairs, fit, methods }
    }
}

/// The histogram of the scores with the fitted mixture and null (counts per bin).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreHistogram {
    pub breaks: Vec<f64>,
    pub counts: Vec<u32>,
    /// Empty when the fit failed.
    pub mixture: Vec<f64>,
    pub null: Vec<f64>,
}

/// One method's TPR at each point of the FDP grid, averaged over its seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TprFdpCurve {
    pub method: String,
    pub fdp: Vec<f64>,
    pub tpr: Vec<f64>,
    pub n_seeds: usize,
}

/// AUPRC or AUROC of one method over its seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AucSummary {
    pub method: String,
    /// `auprc` or `auroc`.
    pub metric: String,
    pub mean: f64,
    /// Standard error over seeds (`sd / √n`); `None` with one seed.
    pub se: Option<f64>,
    pub n_seeds: usize,
}

/// How many of a method's top pairs fall in each predicted × observed class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassTable {
    pub method: String,
    /// `counts[p][o]`: predicted class `PredictedClass::ALL[p]`, observed class `ObservedClass::ALL[o]`.
    pub counts: Vec<Vec<usize>>,
    /// The pairs looked at (at most [`TOP_PAIRS`]).
    pub n: usize,
}

/// The interaction part of a run's report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InteractionReport {
    pub n_doubles: usize,
    pub n_genes: usize,
    /// Doubles without both singles measured (no score).
    pub skipped_doubles: Vec<String>,
    /// Why the local fdr could not be fitted.
    pub fit_error: Option<String>,
    /// locfdr's misfit statistic (it warns above 1.5).
    pub misfit: Option<f64>,
    /// `None` when the fit failed and no thresholds were set by hand.
    pub thresholds: Option<Thresholds>,
    pub histogram: Option<ScoreHistogram>,
    /// Count per class, in the order of [`ObservedClass::ALL`].
    pub classes: Option<Vec<(ObservedClass, usize)>>,
    pub tpr_fdp: Vec<TprFdpCurve>,
    pub auc: Vec<AucSummary>,
    pub class_tables: Vec<ClassTable>,
    /// Methods (and seeds) that could not be scored, and why.
    pub notes: Vec<String>,
    /// The planted kinds beside the classes found, when the run has a truth file (set by the analysis).
    #[serde(default)]
    pub truth: Option<crate::truth::TruthComparison>,
}

/// One method and seed scored under the thresholds.
struct SeedScore {
    tpr: Vec<f64>,
    auprc: f64,
    auroc: f64,
}

/// Scores one method and seed: the steps of METHODS §5 "Scoring a method's interaction predictions".
/// `None` when no pair is a true interaction or none is not (recall or the false-positive rate undefined).
///
/// The stable sorts of METHODS are LSD radix sorts of the keys' bits (stable by construction, and several
/// times faster than comparison sorts; the keys are never negative, so an f64 key's bits order like it).
fn score_seed(pairs: &MeasuredPairs, method: &MethodPairs, upper: f64, lower: f64) -> Option<SeedScore> {
    // Step 1, then step 2's stable sort by |p − add| descending: ascending by the complemented key.
    let (truths, descending): (Vec<bool>, Vec<u64>) = method
        .pairs
        .iter()
        .zip(&method.predicted)
        .map(|(&pair, &predicted)| {
            let pair = pair as usize;
            let additive = pairs.additive(pair);
            let observed_minus_additive = pairs.double[pair] - additive;
            let truth = observed_minus_additive > upper || observed_minus_additive < lower;
            (truth, !(predicted - additive).abs().to_bits())
        })
        .unzip();
    let order = stable_order(&descending);
    let n_true = truths.iter().filter(|&&truth| truth).count();
    let n_false = truths.len() - n_true;
    if n_true == 0 || n_false == 0 {
        return None;
    }
    let (mut tp, mut fp) = (0u32, 0u32);
    let steps: Vec<Step> = order
        .iter()
        .map(|&position| {
            if truths[position as usize] {
                tp += 1;
            } else {
                fp += 1;
            }
            Step { tp, fp }
        })
        .collect();
    let by_fdp = order_by_fdp(&steps);
    Some(SeedScore {
        tpr: tpr_at_fdp_grid(&steps, &by_fdp, n_true),
        auprc: auprc(&steps, &by_fdp, n_true),
        auroc: auroc(&steps, n_true, n_false),
    })
}

/// The positions of `keys` in ascending key order, ties in position order: a least-significant-digit radix
/// sort by 11-bit digits (all digit histograms in one pass; digits all keys share are skipped).
fn stable_order(keys: &[u64]) -> Vec<u32> {
    const BITS: usize = 11;
    const BUCKETS: usize = 1 << BITS;
    const PASSES: usize = 64usize.div_ceil(BITS);
    let digit = |key: u64, pass: usize| ((key >> (BITS * pass)) as usize) & (BUCKETS - 1);
    let mut items: Vec<(u64, u32)> = keys.iter().enumerate().map(|(position, &key)| (key, position as u32)).collect();
    let mut scratch = items.clone();
    let mut counts = vec![[0u32; BUCKETS]; PASSES];
    for &key in keys {
        for (pass, histogram) in counts.iter_mut().enumerate() {
            histogram[digit(key, pass)] += 1;
        }
    }
    for (pass, histogram) in counts.iter().enumerate() {
        if histogram.iter().any(|&count| count as usize == keys.len()) {
            continue;
        }
        let mut starts = vec![0u32; BUCKETS];
        for bucket in 1..BUCKETS {
            starts[bucket] = starts[bucket - 1] + histogram[bucket - 1];
        }
        for &item in &items {
            let bucket = digit(item.0, pass);
            scratch[starts[bucket] as usize] = item;
            starts[bucket] += 1;
        }
        std::mem::swap(&mut items, &mut scratch);
    }
    items.into_iter().map(|(_, position)| position).collect()
}

/// The running counts after each row of step 2 (fdp, fpr, precision and recall follow from them).
#[derive(Clone, Copy, Debug)]
struct Step {
    tp: u32,
    fp: u32,
}

impl Step {
    fn fdp(self) -> f64 {
        f64::from(self.fp) / f64::from((self.tp + self.fp).max(1))
    }

    fn precision(self) -> f64 {
        f64::from(self.tp) / f64::from(self.tp + self.fp)
    }
}

/// Positions of `steps` in the order of a stable sort by fdp ascending.
fn order_by_fdp(steps: &[Step]) -> Vec<usize> {
    let keys: Vec<u64> = steps.iter().map(|step| step.fdp().to_bits()).collect();
    stable_order(&keys).into_iter().map(|position| position as usize).collect()
}

/// Step 3: stably re-sort by fdp (`by_fdp`), take the running maximum of tp, average the TPR over tied fdp
/// values and interpolate it on the grid (0 left of the data, 1 right of it).
fn tpr_at_fdp_grid(steps: &[Step], by_fdp: &[usize], n_true: usize) -> Vec<f64> {
    let mut points: Vec<(f64, f64)> = Vec::new();
    let mut group: Option<(f64, f64, usize)> = None;
    let mut running_max = 0;
    for &i in by_fdp {
        let step = steps[i];
        let fdp = step.fdp();
        running_max = running_max.max(step.tp);
        let tpr = f64::from(running_max) / n_true as f64;
        group = match group {
            Some((x, sum, count)) if x == fdp => Some((x, sum + tpr, count + 1)),
            Some((x, sum, count)) => {
                points.push((x, sum / count as f64));
                Some((fdp, tpr, 1))
            }
            None => Some((fdp, tpr, 1)),
        };
    }
    if let Some((x, sum, count)) = group {
        points.push((x, sum / count as f64));
    }
    fdp_grid().map(|fdp| approx_outside(&points, fdp, 0.0, 1.0)).collect()
}

/// The FDP grid: 0, 0.01, …, 1.
fn fdp_grid() -> impl Iterator<Item = f64> {
    (0..FDP_GRID_POINTS).map(|i| i as f64 / (FDP_GRID_POINTS - 1) as f64)
}

/// R's `approx(x, y, value, yleft, yright)` over points with distinct increasing `x`.
fn approx_outside(points: &[(f64, f64)], value: f64, left: f64, right: f64) -> f64 {
    let (first, last) = (points[0], points[points.len() - 1]);
    if value < first.0 {
        return left;
    }
    if value > last.0 {
        return right;
    }
    let upper = points.partition_point(|point| point.0 < value);
    let (x1, y1) = points[upper];
    if x1 == value || upper == 0 {
        return y1;
    }
    let (x0, y0) = points[upper - 1];
    y0 + (y1 - y0) * ((value - x0) / (x1 - x0))
}

/// Step 4: `−Σ (precision_i + precision_{i+1})/2 · (recall_{i+1} − recall_i)` with rows stably sorted by
/// precision ascending.
///
/// fdp = fp/k and precision = tp/k with tp + fp = k, so precision ascending is fdp descending and the two
/// tie exactly together (distinct fractions with denominators below 2²⁶ never round to the same f64). The
/// stable precision order is therefore the fdp order's groups of equal fdp, last group first, each group
/// in its own order.
fn auprc(steps: &[Step], by_fdp: &[usize], n_true: usize) -> f64 {
    let mut by_precision: Vec<usize> = Vec::with_capacity(by_fdp.len());
    let mut end = by_fdp.len();
    while end > 0 {
        let fdp = steps[by_fdp[end - 1]].fdp();
        let mut start = end - 1;
        while start > 0 && steps[by_fdp[start - 1]].fdp() == fdp {
            start -= 1;
        }
        by_precision.extend_from_slice(&by_fdp[start..end]);
        end = start;
    }
    let precision = |i: usize| steps[i].precision();
    let recall = |i: usize| f64::from(steps[i].tp) / n_true as f64;
    -by_precision
        .windows(2)
        .map(|pair| (precision(pair[0]) + precision(pair[1])) / 2.0 * (recall(pair[1]) - recall(pair[0])))
        .sum::<f64>()
}

/// Step 4: `Σ (recall_i + recall_{i+1})/2 · (fpr_{i+1} − fpr_i)` with rows stably sorted by fpr ascending.
/// fp never falls along the rows of step 2, so they are already in that order.
fn auroc(steps: &[Step], n_true: usize, n_false: usize) -> f64 {
    let recall = |step: &Step| f64::from(step.tp) / n_true as f64;
    let fpr = |step: &Step| f64::from(step.fp) / n_false as f64;
    steps.windows(2).map(|pair| (recall(&pair[0]) + recall(&pair[1])) / 2.0 * (fpr(&pair[1]) - fpr(&pair[0]))).sum()
}

/// Mean and standard error (`sd / √n`, `None` for one value).
fn mean_and_se(values: &[f64]) -> (f64, Option<f64>) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let se = (values.len() > 1).then(|| {
        let variance = values.iter().map(|value| (value - mean).powi(2)).sum::<f64>() / (n - 1.0);
        variance.sqrt() / n.sqrt()
    });
    (mean, se)
}

/// The thresholds in use: the user's, else the fit's.
fn choose_thresholds(
    inputs: &InteractionInputs,
    manual: Option<ManualThresholds>,
) -> Result<Thresholds, ThresholdError> {
    let (delta, sigma, p0) = match &inputs.fit {
        Ok(fit) => (Some(fit.delta), Some(fit.sigma), Some(fit.p0)),
        Err(_) => (None, None, None),
    };
    if let Some(ManualThresholds { upper, lower }) = manual {
        return Ok(Thresholds { upper, lower, source: ThresholdSource::Manual, delta, sigma, p0 });
    }
    let fit = inputs.fit.as_ref().map_err(|error| ThresholdError::NoFit(error.clone()))?;
    let interaction_scores = inputs.pairs.interaction_scores();
    match thresholds(&interaction_scores, &fit.fdr) {
        (Some(upper), Some(lower)) => {
            Ok(Thresholds { upper, lower, source: ThresholdSource::Locfdr, delta, sigma, p0 })
        }
        _ => Err(ThresholdError::OneSided),
    }
}

/// The interaction report under `manual` thresholds (or the fitted ones when `None`).
pub fn interaction_report(inputs: &InteractionInputs, manual: Option<ManualThresholds>) -> InteractionReport {
    let pairs = &inputs.pairs;
    let mut report = InteractionReport {
        n_doubles: pairs.doubles.len(),
        n_genes: pairs.genes.len(),
        skipped_doubles: pairs.skipped.iter().map(Condition::name).collect(),
        fit_error: inputs.fit.as_ref().err().map(ToString::to_string),
        misfit: inputs.fit.as_ref().ok().map(|fit| fit.misfit),
        thresholds: None,
        histogram: histogram(inputs),
        classes: None,
        tpr_fdp: Vec::new(),
        auc: Vec::new(),
        class_tables: Vec::new(),
        notes: Vec::new(),
        truth: None,
    };
    let thresholds = match choose_thresholds(inputs, manual) {
        Ok(thresholds) => thresholds,
        Err(reason) => {
            report.fit_error.get_or_insert(reason.to_string());
            return report;
        }
    };
    let (upper, lower) = (thresholds.upper, thresholds.lower);
    report.thresholds = Some(thresholds);

    let observed: Vec<ObservedClass> = (0..pairs.n_pairs()).map(|pair| pairs.class_of(pair, upper, lower)).collect();
    report.classes = Some(
        ObservedClass::ALL.iter().map(|&class| (class, observed.iter().filter(|&&o| o == class).count())).collect(),
    );

    let mut methods: Vec<&str> = Vec::new();
    for method in &inputs.methods {
        if !methods.contains(&method.method.as_str()) {
            methods.push(&method.method);
        }
    }
    for name in methods {
        let seeds: Vec<&MethodPairs> = inputs.methods.iter().filter(|method| method.method == name).collect();
        let scored: Vec<SeedScore> = seeds
            .iter()
            .filter_map(|&method| {
                let score = score_seed(pairs, method, upper, lower);
                if score.is_none() && !method.pairs.is_empty() {
                    let seed = method.seed.map(|seed| format!(" (seed {seed})")).unwrap_or_default();
                    report.notes.push(format!(
                        "{name}{seed}: its pairs are all interactions or all not under these thresholds; no curve"
                    ));
                }
                score
            })
            .collect();
        if !scored.is_empty() {
            let n = scored.len();
            let tpr =
                (0..FDP_GRID_POINTS).map(|i| scored.iter().map(|seed| seed.tpr[i]).sum::<f64>() / n as f64).collect();
            let fdp = fdp_grid().collect();
            report.tpr_fdp.push(TprFdpCurve { method: name.to_string(), fdp, tpr, n_seeds: n });
            for (metric, values) in [
                ("auprc", scored.iter().map(|seed| seed.auprc).collect::<Vec<_>>()),
                ("auroc", scored.iter().map(|seed| seed.auroc).collect()),
            ] {
                let (mean, se) = mean_and_se(&values);
                report.auc.push(AucSummary { method: name.to_string(), metric: metric.into(), mean, se, n_seeds: n });
            }
        }
        report.class_tables.push(class_table(pairs, &observed, name, &seeds));
    }
    report
}

/// The predicted × observed classes of a method's top pairs by `|p − add|`, pooled over seeds (seeds in
/// order, ties in order).
fn class_table(pairs: &MeasuredPairs, observed: &[ObservedClass], name: &str, seeds: &[&MethodPairs]) -> ClassTable {
    // (|p − add| as ordered bits, position in the pooled order, pair, p); ranked by the first two.
    let mut pooled: Vec<(u64, u32, usize, f64)> = seeds
        .iter()
        .flat_map(|method| method.pairs.iter().zip(&method.predicted))
        .enumerate()
        .map(|(position, (&pair, &predicted))| {
            let pair = pair as usize;
            ((predicted - pairs.additive(pair)).abs().to_bits(), position as u32, pair, predicted)
        })
        .collect();
    let rank = |a: &(u64, u32, usize, f64), b: &(u64, u32, usize, f64)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
    if pooled.len() > TOP_PAIRS {
        pooled.select_nth_unstable_by(TOP_PAIRS, rank);
        pooled.truncate(TOP_PAIRS);
    }
    pooled.sort_unstable_by(rank);
    let mut counts = vec![vec![0; ObservedClass::ALL.len()]; PredictedClass::ALL.len()];
    for &(_, _, pair, predicted) in &pooled {
        let class = predicted_class(pairs.control_of(pair), pairs.additive(pair), predicted);
        counts[class.index()][observed[pair].index()] += 1;
    }
    ClassTable { method: name.to_string(), counts, n: pooled.len() }
}

/// The histogram to plot: the fit's, or R's histogram alone when the fit failed.
fn histogram(inputs: &InteractionInputs) -> Option<ScoreHistogram> {
    match &inputs.fit {
        Ok(fit) => Some(ScoreHistogram {
            breaks: fit.breaks.clone(),
            counts: fit.counts.clone(),
            mixture: fit.mixture.clone(),
            null: fit.null.clone(),
        }),
        Err(_) => locfdr_histogram(&inputs.pairs.interaction_scores()).map(|(breaks, counts)| ScoreHistogram {
            breaks,
            counts,
            mixture: vec![],
            null: vec![],
        }),
    }
}

/// `interactions.json`: thresholds, class counts, the TPR-vs-FDP curves (one entry per point) and the
/// areas under the curves.
pub fn interactions_json(report: &InteractionReport) -> String {
    let classes: serde_json::Map<String, serde_json::Value> = report
        .classes
        .iter()
        .flatten()
        .map(|(class, n)| (class.name().to_string(), serde_json::Value::from(*n)))
        .collect();
    let tpr_fdp: Vec<serde_json::Value> = report
        .tpr_fdp
        .iter()
        .flat_map(|curve| {
            curve
                .fdp
                .iter()
                .zip(&curve.tpr)
                .map(|(fdp, tpr)| serde_json::json!({"method": curve.method, "fdp": fdp, "tpr": tpr}))
        })
        .collect();
    let auc: Vec<serde_json::Value> = report
        .auc
        .iter()
        .map(|auc| serde_json::json!({"method": auc.method, "metric": auc.metric, "mean": auc.mean, "se": auc.se}))
        .collect();
    let value = serde_json::json!({
        "thresholds": report.thresholds,
        "classes": classes,
        "tpr_fdp": tpr_fdp,
        "auc": auc,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// The same tables as CSV, one file each: `interaction_classes.csv`, `interaction_tpr_fdp.csv`,
/// `interaction_auc.csv` and `interaction_top_pairs.csv` (predicted × observed class of the top pairs).
pub fn interactions_csv(report: &InteractionReport) -> Vec<(String, String)> {
    let classes = write_csv(
        &["class", "n"],
        report.classes.iter().flatten().map(|(class, n)| vec![class.name().to_string(), n.to_string()]),
    );
    let curves = write_csv(
        &["method", "fdp", "tpr"],
        report.tpr_fdp.iter().flat_map(|curve| {
            curve
                .fdp
                .iter()
                .zip(&curve.tpr)
                .map(|(fdp, tpr)| vec![curve.method.clone(), fdp.to_string(), tpr.to_string()])
        }),
    );
    let auc = write_csv(
        &["method", "metric", "mean", "se", "n_seeds"],
        report.auc.iter().map(|row| {
            vec![
                row.method.clone(),
                row.metric.clone(),
                row.mean.to_string(),
                row.se.map(|se| se.to_string()).unwrap_or_default(),
                row.n_seeds.to_string(),
            ]
        }),
    );
    let top_pairs = write_csv(
        &["method", "predicted", "observed", "n"],
        report.class_tables.iter().flat_map(|table| {
            PredictedClass::ALL.iter().enumerate().flat_map(move |(p, predicted)| {
                ObservedClass::ALL.iter().enumerate().map(move |(o, observed)| {
                    vec![
                        table.method.clone(),
                        predicted.name().to_string(),
                        observed.name().to_string(),
                        table.counts[p][o].to_string(),
                    ]
                })
            })
        }),
    );
    vec![
        ("interaction_classes.csv".into(), classes),
        ("interaction_tpr_fdp.csv".into(), curves),
        ("interaction_auc.csv".into(), auc),
        ("interaction_top_pairs.csv".into(), top_pairs),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps_for(truths: &[bool]) -> (Vec<Step>, usize, usize) {
        let n_true = truths.iter().filter(|&&t| t).count();
        let (mut tp, mut fp) = (0, 0);
        let steps = truths
            .iter()
            .map(|&truth| {
                if truth {
                    tp += 1
                } else {
                    fp += 1
                }
                Step { tp, fp }
            })
            .collect();
        (steps, n_true, truths.len() - n_true)
    }

    #[test]
    fn a_perfect_ranking_has_unit_auroc_and_its_tpr_curve_starts_high() {
        let (steps, n_true, n_false) = steps_for(&[true, true, false, false]);
        assert_eq!(auroc(&steps, n_true, n_false), 1.0);
        // Rows stably sorted by precision ascending: 1/2 (recall 1), 2/3 (1), 1 (1/2), 1 (1). The paper's
        // formula on them gives −1/12: the two precision-1 rows keep their order, recall rising.
        let expected = -((0.5 + 2.0 / 3.0) / 2.0 * 0.0 + (2.0 / 3.0 + 1.0) / 2.0 * -0.5 + 1.0 * 0.5);
        let by_fdp = order_by_fdp(&steps);
        assert!((auprc(&steps, &by_fdp, n_true) - expected).abs() < 1e-15);
        let tpr = tpr_at_fdp_grid(&steps, &by_fdp, n_true);
        // fdp 0 twice (tp 1, 2: mean tpr 0.75), then 1/3 (tp 2 → 1), 1/2 (1).
        assert_eq!(tpr[0], 0.75);
        assert!((tpr[10] - (0.75 + 0.25 * 0.1 / (1.0 / 3.0))).abs() < 1e-12);
        assert_eq!(tpr[40], 1.0);
        assert_eq!(tpr[100], 1.0, "right of the data: 1");
    }

    #[test]
    fn the_tpr_curve_takes_the_running_maximum_after_sorting_by_fdp() {
        // Truths F T T F T: fdp 1, 1/2, 1/3, 1/2, 2/5 with tp 0, 1, 2, 2, 3.
        let (steps, n_true, n_false) = steps_for(&[false, true, true, false, true]);
        // Sorted by fdp (stable): 1/3 (tp 2), 2/5 (3), 1/2 (1), 1/2 (2), 1 (0); cummax 2, 3, 3, 3, 3.
        let tpr = tpr_at_fdp_grid(&steps, &order_by_fdp(&steps), n_true);
        assert_eq!(tpr[0], 0.0, "left of the smallest fdp: 0");
        assert_eq!(tpr[33], 0.0, "0.33 < 1/3");
        assert!((tpr[34] - (2.0 / 3.0 + (1.0 / 3.0) * (0.34 - 1.0 / 3.0) / (0.4 - 1.0 / 3.0))).abs() < 1e-12);
        assert_eq!(tpr[50], 1.0, "ties at 1/2 average cummax values 1 and 1");
        assert_eq!(tpr[100], 1.0);
        // AUROC: fpr 1/2, 1/2, 1/2, 1, 1 with recall 0, 1/3, 2/3, 2/3, 1.
        let expected_auroc = (0.0 + 1.0 / 3.0) / 2.0 * 0.0
            + (1.0 / 3.0 + 2.0 / 3.0) / 2.0 * 0.0
            + (2.0 / 3.0 + 2.0 / 3.0) / 2.0 * 0.5
            + (2.0 / 3.0 + 1.0) / 2.0 * 0.0;
        assert!((auroc(&steps, n_true, n_false) - expected_auroc).abs() < 1e-15);
    }

    #[test]
    fn ties_in_the_score_keep_input_order() {
        // Two pairs with the same |p − add|: the true one first in input order is ranked first.
        let scores = MeasuredPairs {
            doubles: vec![Condition::Double("A".into(), "B".into())],
            genes: vec![0, 1, 2],
            control: vec![0.0, 0.0, 0.0],
            first: vec![0.0; 3],
            second: vec![0.0; 3],
            double: vec![1.0, 0.0, 0.0],
            ..Default::default()
        };
        let method =
            MethodPairs { method: "m".into(), seed: Some(1), pairs: vec![0, 1, 2], predicted: vec![0.5, 0.5, 0.1] };
        let score = score_seed(&scores, &method, 0.5, -0.5).unwrap();
        assert_eq!(score.auroc, 1.0);
        let reversed = MethodPairs { pairs: vec![1, 0, 2], ..method };
        assert_eq!(score_seed(&scores, &reversed, 0.5, -0.5).unwrap().auroc, 0.5, "the false pair now first");
    }

    #[test]
    fn a_failed_fit_gives_no_thresholds_until_they_are_set_by_hand() {
        // Three pairs are too few for locfdr: the report says so and classifies nothing.
        let scores = MeasuredPairs {
            doubles: vec![Condition::Double("A".into(), "B".into())],
            genes: vec![0, 1, 2],
            control: vec![0.0; 3],
            first: vec![1.0, 1.0, -1.0],
            second: vec![1.0, 1.0, -1.0],
            double: vec![3.0, 2.05, -1.0],
            ..Default::default()
        };
        let method =
            MethodPairs { method: "m".into(), seed: Some(1), pairs: vec![0, 1, 2], predicted: vec![2.0, 2.0, -2.0] };
        let inputs = InteractionInputs::new(scores, vec![method]);
        let report = interaction_report(&inputs, None);
        assert_eq!(report.fit_error.as_deref(), Some("only 3 scores; the fit needs at least 120"));
        assert!(report.thresholds.is_none() && report.classes.is_none() && report.tpr_fdp.is_empty());
        assert_eq!(
            report.histogram.as_ref().map(|h| h.counts.iter().sum::<u32>()),
            Some(3),
            "the histogram is still drawn"
        );

        let manual = interaction_report(&inputs, Some(ManualThresholds { upper: 0.5, lower: -0.5 }));
        let thresholds = manual.thresholds.clone().unwrap();
        assert_eq!((thresholds.upper, thresholds.lower, thresholds.source), (0.5, -0.5, ThresholdSource::Manual));
        assert_eq!((thresholds.delta, thresholds.sigma, thresholds.p0), (None, None, None));
        // Scores 1 (synergy: both singles up, the double further), 0.05 (additive), 1 with singles down and
        // the double back at the control (buffering).
        let classes = manual.classes.clone().unwrap();
        assert_eq!(
            classes,
            vec![
                (ObservedClass::Additive, 1),
                (ObservedClass::Buffering, 1),
                (ObservedClass::Synergy, 1),
                (ObservedClass::Other, 0)
            ]
        );
        assert_eq!(manual.auc.len(), 2, "AUPRC and AUROC of the one method");
        let json: serde_json::Value = serde_json::from_str(&interactions_json(&manual)).unwrap();
        assert_eq!(json["thresholds"]["source"], "manual");
        assert_eq!(json["thresholds"]["delta"], serde_json::Value::Null);
        assert_eq!(json["auc"][0]["se"], serde_json::Value::Null, "one seed: no standard error");
        assert_eq!(json["classes"]["Buffering"], 1);
    }

    #[test]
    fn classes_follow_the_first_matching_rule() {
        // Both singles down, double further down: synergy (c > add, deviation below the lower threshold).
        assert_eq!(observed_class(5.0, 4.0, 4.0, 1.0, 0.5, -0.5), ObservedClass::Synergy);
        // Singles in opposite directions, double beyond a threshold: other.
        assert_eq!(observed_class(5.0, 6.0, 4.0, 7.0, 0.5, -0.5), ObservedClass::Other);
        // A single unchanged (sign 0) breaks `same`.
        assert_eq!(observed_class(5.0, 5.0, 6.0, 8.0, 0.5, -0.5), ObservedClass::Other);
        assert_eq!(predicted_class(1.0, 3.0, 4.0), PredictedClass::Synergy);
        assert_eq!(predicted_class(1.0, 3.0, 0.0), PredictedClass::Opposite);
        assert_eq!(predicted_class(1.0, 3.0, 1.0), PredictedClass::Buffering, "v = c buffers fully");
        assert_eq!(predicted_class(1.0, 1.0, 2.0), PredictedClass::Other, "no additive change");
    }

    #[test]
    fn the_radix_order_is_a_stable_sort() {
        let keys: Vec<u64> = (0..5000u64).map(|i| (i * 7919 % 613) << (i % 5 * 9)).collect();
        let mut expected: Vec<u32> = (0..keys.len() as u32).collect();
        expected.sort_by_key(|&i| keys[i as usize]);
        assert_eq!(stable_order(&keys), expected);
        assert_eq!(stable_order(&[3, 3, 3]), [0, 1, 2]);
        assert!(stable_order(&[]).is_empty());
    }

    #[test]
    fn standard_error_is_absent_for_one_seed() {
        assert_eq!(mean_and_se(&[0.5]), (0.5, None));
        let (mean, se) = mean_and_se(&[1.0, 3.0]);
        assert_eq!(mean, 2.0);
        assert!((se.unwrap() - 1.0).abs() < 1e-15, "sd √2 over √2");
    }
}
