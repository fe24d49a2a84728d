//! One run as the page makes it: files with their roles, settings in, a serialisable report out, and the run
//! kept for follow-ups ([`KeptRun`]). The Web Worker calls [`run_analysis`]; native tests call it (or
//! [`analyze`]) on the same files, so page and tests agree.
//!
//! Paper-format predictions (`X_all_predictions.json`) are paired with their gene names here:
//! `X_gene_names.json` beside it, else a `gene_names.json` in the same folder, else the only gene-names
//! file when there is one prediction JSON.

use crate::audits::{audit_predictions, Audit};
use crate::baselines::linear_model::{perturbation_embedding_by_condition, UploadedEmbeddings};
use crate::benchmark::{
    baseline_predictions, condition_detail, method_predictions, run_benchmark, BenchmarkInputs, BenchmarkKind,
    BenchmarkSettings, ConditionDetail, ErrorCurve, FittedRun, NotPredicted, Progress,
};
use crate::conditions::{canonicalize, Canonical, Condition, ConditionKey, ConditionRules};
use crate::conventions::celleval_de::{DeResults, DegRow, Volcano, DEG_TABLE_METRICS};
use crate::conventions::ladder::write_ladder_csv;
use crate::conventions::metric_index;
use crate::conventions::{
    celleval, score_conventions, write_conventions_csv, ConventionInputs, ConventionReport, MetricValues,
};
use crate::de::pass::DeTable;
use crate::de::DeGenes;
use crate::error::{ErrorKind, InputError, Location, Notice, RunError};
use crate::expression::{data_from_table, preview, require_control, ExpressionMatrix, Orientation};
use crate::inspect::{resolve_roles, FileRole, RoleChoice};
use crate::interactions::{interaction_report, InteractionInputs, InteractionReport, ManualThresholds};
use crate::load::{CellData, DeState, LoadedFile};
use crate::paired::{self, PairedComparison};
use crate::predictions::{
    method_names, prediction_from_table, read_paper_prediction, GeneAlignment, MethodName, NameRequest, Prediction,
};
use crate::pseudobulk::PseudobulkOptions;
use crate::readers::embedding::Embedding;
use crate::readers::prediction_json::write_paper_format;
use crate::readers::split_json::read_split;
use crate::readers::truth_json::read_truth;
use crate::readers::{base_name, folder_of};
use crate::results_table::ResultRow;
use crate::splits::{uploaded_split, Split, SplitLabel};
use crate::summary::{every_point_common, summarize, BootstrapSettings, Comparison, MethodSummary};
use crate::truth::{compare, PlantedKind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A file as the page describes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    pub id: u32,
    /// The file's name, with its folder path when a folder was dropped (`gears/all_predictions.json`).
    pub name: String,
    pub role: FileRole,
    /// For predictions: the method name (chosen by the user); `None` derives it from the file name.
    pub method: Option<String>,
    /// For predictions: the seed the file belongs to; `None` scores it under every seed.
    pub seed: Option<u32>,
    /// For cells (h5ad): the choices its pseudobulk is made with; `None` takes those detected.
    #[serde(default)]
    pub pseudobulk: Option<PseudobulkOptions>,
}

/// A file as the user added it (to the page, or on the command line), before roles are resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct AddedFile {
    pub id: u32,
    /// With the folder path when a folder was added.
    pub name: String,
    /// The role guessed from its content (`None`: not read, or it could not be).
    pub guessed: Option<FileRole>,
    pub chosen_role: Option<FileRole>,
    pub chosen_method: Option<String>,
    pub chosen_seed: Option<u32>,
    /// For h5ad: the pseudobulk choices (`None`: the detected ones).
    pub pseudobulk: Option<PseudobulkOptions>,
    /// Whether it was read (a file that could not be read takes no part in a run).
    pub read: bool,
}

/// The roles of `files` in their order ([`resolve_roles`]) and the method names of those that are predictions
/// ([`method_names`]), by position: what the page shows and a run uses.
pub fn roles_and_names(files: &[AddedFile]) -> (Vec<Option<FileRole>>, Vec<(usize, MethodName)>) {
    let choices: Vec<RoleChoice> =
        files.iter().map(|file| RoleChoice { guessed: file.guessed, chosen: file.chosen_role }).collect();
    let roles = resolve_roles(&choices);
    let predictions: Vec<usize> = (0..files.len()).filter(|&i| roles[i] == Some(FileRole::Predictions)).collect();
    let requests: Vec<NameRequest<'_>> = predictions
        .iter()
        .map(|&i| NameRequest {
            file: &files[i].name,
            method: files[i].chosen_method.as_deref(),
            seed: files[i].chosen_seed,
        })
        .collect();
    let names = predictions.into_iter().zip(method_names(&requests)).collect();
    (roles, names)
}

/// The files that take part in a run, as [`run_analysis`] wants them: those read, with a role, named. The page
/// and the command line both make their runs' files here.
pub fn input_files(files: &[AddedFile]) -> Vec<InputFile> {
    let (roles, names) = roles_and_names(files);
    files
        .iter()
        .zip(roles)
        .enumerate()
        .filter(|(_, (file, _))| file.read)
        .filter_map(|(i, (file, role))| {
            let name = names.iter().find(|(position, _)| *position == i).map(|(_, name)| name);
            Some(InputFile {
                id: file.id,
                name: file.name.clone(),
                role: role?,
                method: name.map(|name| name.method.clone()),
                seed: name.and_then(|name| name.seed),
                pseudobulk: file.pseudobulk.clone(),
            })
        })
        .collect()
}

/// Settings of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisSettings {
    pub benchmark: BenchmarkSettings,
    pub rules: ConditionRules,
    /// How the data table is laid out (detected by default).
    pub orientation: Orientation,
    pub bootstrap: BootstrapSettings,
    /// Interaction thresholds set by hand; `None` takes them from the local fdr.
    #[serde(default)]
    pub interaction_thresholds: Option<ManualThresholds>,
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        AnalysisSettings {
            benchmark: BenchmarkSettings::default(),
            rules: ConditionRules::default(),
            orientation: Orientation::Detect,
            bootstrap: BootstrapSettings::default(),
            interaction_thresholds: None,
        }
    }
}

/// The sizes of one split, for the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitSizes {
    pub seed: Option<u32>,
    pub train: usize,
    pub test: usize,
    pub val: usize,
    pub all: usize,
}

/// How one uploaded prediction met the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PredictionReport {
    pub file: String,
    pub method: String,
    pub seed: Option<u32>,
    pub genes: GeneAlignment,
}

/// Everything the page shows after a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub dataset: String,
    pub kind: BenchmarkKind,
    pub methods: Vec<String>,
    pub reference: Option<String>,
    /// How many genes the metrics use (N, or all genes when there are fewer).
    pub n_genes_used: usize,
    pub n_genes: usize,
    pub splits: Vec<SplitSizes>,
    pub rows: Vec<ResultRow>,
    /// Per method over the points every method predicts, and over each method's own points.
    pub summary_common: Vec<MethodSummary>,
    pub summary_own: Vec<MethodSummary>,
    /// Per method and seed, over the common points.
    pub summary_by_seed: Vec<MethodSummary>,
    /// Each method against the reference baseline over the points both predict (pooled over seeds).
    #[serde(default)]
    pub paired: Vec<PairedComparison>,
    pub predictions: Vec<PredictionReport>,
    /// Error vs number of genes, per method.
    pub error_curves: Vec<ErrorCurve>,
    pub not_predicted: Vec<NotPredicted>,
    pub notices: Vec<Notice>,
    /// Genetic interactions, when the data hold doubles with both singles measured.
    pub interactions: Option<InteractionReport>,
    /// Integrity checks of each uploaded prediction.
    #[serde(default)]
    pub audits: Vec<Audit>,
    /// Whether the data's DE was computed (the data are cells), and the methods with a DE of their own
    /// (predictions given as cells, cell-eval's baseline): what the DE panel offers.
    #[serde(default)]
    pub has_de: bool,
    #[serde(default)]
    pub de_methods: Vec<String>,
}

impl RunReport {
    /// The leaderboard's summaries over the points `comparison` chooses.
    pub fn summaries(&self, comparison: Comparison) -> &[MethodSummary] {
        match comparison {
            Comparison::Common => &self.summary_common,
            Comparison::Own => &self.summary_own,
        }
    }
}

/// A finished run as the worker keeps it: the prepared inputs (data, predictions read and named, split,
/// embeddings), the settings, the baselines as fitted and the interaction scores. Every follow-up (one
/// condition's detail, the baselines' export, new interaction thresholds) is answered from it: no file is read,
/// nothing is prepared, planned or fitted again.
pub struct KeptRun {
    prepared: Prepared,
    /// The condition rules the run read its files with (a follow-up names a condition in any spelling).
    rules: ConditionRules,
    fitted: FittedRun,
    interactions: Option<InteractionInputs>,
    /// The results table (the points every convention scores).
    rows: Vec<ResultRow>,
    /// The conventions once scored (a follow-up exports from them).
    conventions: std::cell::RefCell<Option<ConventionReport>>,
}

/// Which file of the conventions to export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ConventionExport {
    /// `conventions.csv`: every point, convention and metric.
    Points,
    /// `conventions_ladder.csv`.
    Ladder,
    /// `celleval_<method>_results.csv` (or, with `aggregate`, `..._agg_results.csv`) of the method's first
    /// split.
    CellEval { method: String, aggregate: bool },
    /// `celleval_<method>_score.csv`: the method's score against cell-eval's baseline (`cell-eval score`).
    CellEvalScore { method: String },
}

thread_local! {
    /// Runs prepared from files on this thread (read by tests that check a follow-up prepares nothing).
    static PREPARATIONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many times files have been prepared into a run's inputs on this thread so far.
pub fn preparations_so_far() -> usize {
    PREPARATIONS.with(std::cell::Cell::get)
}

fn expect_table<'a>(
    file: &InputFile,
    loaded: &'a LoadedFile,
) -> Result<&'a crate::readers::table::RawTable, InputError> {
    match loaded {
        LoadedFile::Table(table) => Ok(table),
        LoadedFile::Json(_) | LoadedFile::Cells(_) => Err(InputError::new(
            &file.name,
            Location::File,
            ErrorKind::Unsupported,
            format!("this file cannot be used as {}: choose another role", file.role.label().to_lowercase()),
        )),
    }
}

fn expect_json<'a>(file: &InputFile, loaded: &'a LoadedFile) -> Result<&'a [u8], InputError> {
    match loaded {
        LoadedFile::Json(json) => Ok(&json.text),
        LoadedFile::Table(_) | LoadedFile::Cells(_) => Err(InputError::new(
            &file.name,
            Location::File,
            ErrorKind::Unsupported,
            format!("this file is not JSON, so it cannot be used as {}", file.role.label().to_lowercase()),
        )),
    }
}

/// The pseudobulk of an h5ad file, which must have been made under the run's condition rules (the worker
/// reads a file again when they change).
fn cells_pseudobulk<'a>(
    file: &InputFile,
    cells: &'a CellData,
    rules: &ConditionRules,
) -> Result<&'a ExpressionMatrix, InputError> {
    if cells.rules != *rules {
        return Err(InputError::new(
            &file.name,
            Location::File,
            ErrorKind::Unsupported,
            "this file was pseudobulked under other condition rules (control labels): read it again with the \
             current ones",
        ));
    }
    Ok(&cells.pseudobulk.matrix)
}

/// A file's DE over the data's conditions and genes, when its DE pass ran; why not, as a notice, when it
/// failed.
fn cell_de(
    file: &InputFile,
    cells: &CellData,
    data: &ExpressionMatrix,
    notices: &mut Vec<Notice>,
) -> Option<DeResults> {
    match &cells.de {
        DeState::Done(table) => Some(DeResults::new(&cells.pseudobulk.matrix, table, data)),
        DeState::Failed(reason) => {
            notices.push(Notice::warning(Some(&file.name), format!("no differential expression: {reason}")));
            None
        }
        DeState::NotYet => None,
    }
}

/// The DE `cell-eval baseline`'s file would give: every perturbation's cells (as many as the data's) equal to
/// the unweighted mean of all the data's pseudobulks, the control cells the data's.
fn celleval_baseline_de(pseudobulk: &crate::pseudobulk::Pseudobulk, table: &DeTable) -> DeResults {
    let data = &pseudobulk.matrix;
    let all: Vec<&crate::conditions::Condition> = data.conditions().iter().collect();
    let profile = crate::baselines::training_mean(data, &all);
    let constant = table.of_constant_cells(&profile, &pseudobulk.n_cells);
    let control = data.control().map(<[f64]>::to_vec).unwrap_or_default();
    let columns: Vec<Vec<f64>> = data
        .conditions()
        .iter()
        .map(
            |condition| {
                if *condition == crate::conditions::Condition::Control {
                    control.clone()
                } else {
                    profile.clone()
                }
            },
        )
        .collect();
    let means = ExpressionMatrix::new(data.genes().to_vec(), data.conditions().to_vec(), columns.concat());
    DeResults::new(&means, &constant, data)
}

/// The gene-names file for a paper-format prediction (see the module documentation).
fn gene_names_for<'a>(
    prediction: &InputFile,
    files: &'a [(InputFile, &'a LoadedFile)],
) -> Option<&'a (InputFile, &'a LoadedFile)> {
    let gene_files: Vec<&(InputFile, &LoadedFile)> =
        files.iter().filter(|(file, _)| file.role == FileRole::GeneNames).collect();
    let stem = base_name(&prediction.name);
    if let Some(prefix) = stem.strip_suffix("all_predictions") {
        let wanted = format!("{prefix}gene_names");
        let same_folder = |file: &InputFile| folder_of(&file.name) == folder_of(&prediction.name);
        if let Some(found) = gene_files.iter().find(|(file, _)| base_name(&file.name) == wanted && same_folder(file)) {
            return Some(found);
        }
        if let Some(found) = gene_files.iter().find(|(file, _)| base_name(&file.name) == wanted) {
            return Some(found);
        }
    }
    let json_predictions = files
        .iter()
        .filter(|(file, loaded)| file.role == FileRole::Predictions && matches!(loaded, LoadedFile::Json(_)))
        .count();
    (json_predictions == 1 && gene_files.len() == 1).then(|| gene_files[0])
}

/// The inputs of a run, read from the files.
struct Prepared {
    dataset: String,
    data: ExpressionMatrix,
    predictions: Vec<Prediction>,
    split: Option<Split>,
    gene_embedding: Option<Embedding>,
    perturbation_embedding: Option<HashMap<ConditionKey, Vec<f64>>>,
    /// A reference dataset's pseudobulk (role `reference`).
    reference: Option<ExpressionMatrix>,
    /// Each double's planted kind (role `truth`).
    truth: Option<Vec<(Condition, PlantedKind)>>,
    /// GEARS' DE genes of each condition, when the data are cells.
    de_genes: Option<DeGenes>,
    /// The data's DE (its cells against its control cells), when the data are cells and the pass ran.
    data_de: Option<DeResults>,
    /// The DE of each prediction given as cells, by its file, over the data's conditions and genes.
    prediction_de: HashMap<String, DeResults>,
    /// The DE of `cell-eval baseline`'s cells, when the data's DE ran.
    baseline_de: Option<DeResults>,
    notices: Vec<Notice>,
}

impl Prepared {
    /// The methods with a DE of their own, in the order of the predictions (cell-eval's baseline last).
    fn de_methods(&self) -> Vec<String> {
        let mut methods: Vec<String> = Vec::new();
        for prediction in &self.predictions {
            if self.prediction_de.contains_key(&prediction.file) && !methods.contains(&prediction.method) {
                methods.push(prediction.method.clone());
            }
        }
        if self.baseline_de.is_some() {
            methods.push(crate::baselines::Baseline::CellEvalBaseline.method_name().to_string());
        }
        methods
    }

    /// A method's DE over the data's conditions: its file's (the first of its seeds), or cell-eval's baseline.
    fn method_de(&self, method: &str) -> Option<&DeResults> {
        if method == crate::baselines::Baseline::CellEvalBaseline.method_name() {
            return self.baseline_de.as_ref();
        }
        let prediction =
            self.predictions.iter().find(|p| p.method == method && self.prediction_de.contains_key(&p.file))?;
        self.prediction_de.get(&prediction.file)
    }

    fn inputs(&self) -> BenchmarkInputs<'_> {
        BenchmarkInputs {
            dataset: &self.dataset,
            data: &self.data,
            predictions: &self.predictions,
            uploaded_split: self.split.as_ref(),
            embeddings: UploadedEmbeddings {
                genes: self.gene_embedding.as_ref(),
                perturbations: self.perturbation_embedding.as_ref(),
            },
            reference: self.reference.as_ref(),
        }
    }
}

/// Reads the files by their roles into the inputs of a run.
fn prepare(files: &[(InputFile, &LoadedFile)], settings: &AnalysisSettings) -> Result<Prepared, RunError> {
    PREPARATIONS.with(|count| count.set(count.get() + 1));
    let rules = &settings.rules;
    let data_files: Vec<&(InputFile, &LoadedFile)> =
        files.iter().filter(|(file, _)| file.role == FileRole::Data).collect();
    let (data_file, data_loaded) = match data_files.as_slice() {
        [] => return Err(RunError::NoData),
        [one] => *one,
        more => return Err(RunError::SeveralDataFiles(more.iter().map(|(file, _)| file.name.clone()).collect())),
    };
    let (data, de_genes, mut notices) = match data_loaded {
        // Cells were pseudobulked when the file was read.
        LoadedFile::Cells(cells) => {
            let matrix = cells_pseudobulk(data_file, cells, rules)?;
            require_control(&data_file.name, matrix, &cells.condition_labels(), rules)?;
            (matrix.clone(), DeGenes::from_cells(&cells.pseudobulk), cells.pseudobulk.notices.clone())
        }
        _ => {
            let loaded =
                data_from_table(&data_file.name, expect_table(data_file, data_loaded)?, rules, settings.orientation)?;
            (loaded.matrix, None, loaded.notices)
        }
    };

    let mut data_de = None;
    if let LoadedFile::Cells(cells) = data_loaded {
        data_de = cell_de(data_file, cells, &data, &mut notices);
    }
    let mut prediction_de = HashMap::new();
    let mut predictions: Vec<Prediction> = Vec::new();
    let prediction_files: Vec<&(InputFile, &LoadedFile)> =
        files.iter().filter(|(file, _)| file.role == FileRole::Predictions).collect();
    let requests: Vec<NameRequest<'_>> = prediction_files
        .iter()
        .map(|(file, _)| NameRequest { file: &file.name, method: file.method.as_deref(), seed: file.seed })
        .collect();
    for ((file, loaded_file), name) in prediction_files.into_iter().zip(method_names(&requests)) {
        let prediction = match loaded_file {
            // Predicted cells (cell-eval style), pseudobulked the same way as data.
            LoadedFile::Cells(cells) => {
                if data_de.is_some() {
                    if let Some(de) = cell_de(file, cells, &data, &mut notices) {
                        prediction_de.insert(file.name.clone(), de);
                    }
                }
                Prediction::new(
                    name.method,
                    name.seed,
                    file.name.clone(),
                    cells_pseudobulk(file, cells, rules)?.clone(),
                    &data,
                )
            }
            LoadedFile::Table(table) => {
                prediction_from_table(&file.name, table, name, rules, Orientation::Detect, &data)?
            }
            LoadedFile::Json(json) => {
                let (genes_file, genes_loaded) = gene_names_for(file, files).ok_or_else(|| {
                    InputError::new(
                        &file.name,
                        Location::File,
                        ErrorKind::Unsupported,
                        "a paper-format prediction needs its gene names: add the matching gene_names.json",
                    )
                })?;
                let genes_text = expect_json(genes_file, genes_loaded)?;
                read_paper_prediction(&file.name, json, &genes_file.name, genes_text, name, rules, &data)?
            }
        };
        notices.extend(prediction.notices.iter().cloned());
        predictions.push(prediction);
    }

    let mut split = None;
    for (file, loaded_file) in files.iter().filter(|(file, _)| file.role == FileRole::Split) {
        if split.is_some() {
            return Err(RunError::SeveralSplitFiles);
        }
        let uploaded = read_split(&file.name, expect_json(file, loaded_file)?)?;
        let (resolved, split_notices) = uploaded_split(&file.name, &uploaded, &data, rules)?;
        notices.extend(split_notices);
        split = Some(resolved);
    }

    let mut gene_embedding = None;
    let mut perturbation_embedding = None;
    for (file, loaded_file) in files {
        match file.role {
            FileRole::GeneEmbedding => {
                gene_embedding = Some(Embedding::from_table(&file.name, expect_table(file, loaded_file)?)?)
            }
            FileRole::PerturbationEmbedding => {
                let embedding = Embedding::from_table(&file.name, expect_table(file, loaded_file)?)?;
                perturbation_embedding = Some(perturbation_embedding_by_condition(&embedding, rules));
            }
            _ => {}
        }
    }

    // A reference dataset: a pseudobulk table, or cells pseudobulked as the data are.
    let mut reference = None;
    for (file, loaded_file) in files.iter().filter(|(file, _)| file.role == FileRole::Reference) {
        if reference.is_some() {
            return Err(RunError::SeveralReferenceFiles);
        }
        reference = Some(match loaded_file {
            LoadedFile::Cells(cells) => cells_pseudobulk(file, cells, rules)?.clone(),
            _ => {
                let loaded =
                    data_from_table(&file.name, expect_table(file, loaded_file)?, rules, settings.orientation)?;
                notices.extend(loaded.notices);
                loaded.matrix
            }
        });
    }

    // A truth file: each double's planted kind, by canonical name (names that are no double are refused).
    let mut truth: Option<Vec<(Condition, PlantedKind)>> = None;
    for (file, loaded_file) in files.iter().filter(|(file, _)| file.role == FileRole::Truth) {
        if truth.is_some() {
            return Err(InputError::new(
                &file.name,
                Location::File,
                ErrorKind::Unsupported,
                "a second truth file: a run takes one (remove this one, or give it another role)",
            )
            .into());
        }
        let planted = read_truth(&file.name, expect_json(file, loaded_file)?)?;
        let mut doubles = Vec::with_capacity(planted.len());
        for (name, kind) in planted {
            match canonicalize(&name, rules) {
                Canonical::Condition(double @ Condition::Double(..)) => doubles.push((double, kind)),
                _ => {
                    return Err(InputError::new(
                        &file.name,
                        Location::Key(name),
                        ErrorKind::Unsupported,
                        "is not a double (two genes, as in A+B): a truth file names doubles",
                    )
                    .into())
                }
            }
        }
        truth = Some(doubles);
    }

    // cell-eval's baseline joins runs under split `all` only (benchmark::run_benchmark): its DE then too.
    let mut baseline_de = None;
    if let LoadedFile::Cells(cells) = data_loaded {
        if crate::benchmark::split_choice(&settings.benchmark, &data, split.is_some())
            == crate::benchmark::SplitChoice::All
        {
            baseline_de = cells.de_table().map(|table| celleval_baseline_de(&cells.pseudobulk, table));
        }
    }
    Ok(Prepared {
        dataset: base_name(&data_file.name).to_string(),
        data,
        predictions,
        split,
        gene_embedding,
        perturbation_embedding,
        reference,
        truth,
        de_genes,
        data_de,
        prediction_de,
        baseline_de,
        notices,
    })
}

/// Runs the benchmark on `files`, reporting each step to `on_progress`.
pub fn analyze(
    files: &[(InputFile, &LoadedFile)],
    settings: &AnalysisSettings,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<RunReport, RunError> {
    run_analysis(files, settings, on_progress).map(|(report, _)| report)
}

/// [`analyze`], also returning the run to keep for follow-ups ([`KeptRun`]).
pub fn run_analysis(
    files: &[(InputFile, &LoadedFile)],
    settings: &AnalysisSettings,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<(RunReport, KeptRun), RunError> {
    let prepared = prepare(files, settings)?;
    let mut notices = prepared.notices.clone();
    let (data, predictions) = (&prepared.data, &prepared.predictions);
    let dataset = prepared.dataset.clone();
    let inputs = prepared.inputs();
    let result = run_benchmark(&inputs, &settings.benchmark, on_progress)?;
    notices.extend(result.notices.iter().cloned());

    let reference = result.reference.as_deref();
    // Four independent summaries (their bootstrap draws are most of the time), two at a time natively; each
    // method's own points are the common ones when every method predicts every point, and so is the summary.
    let own_is_common = every_point_common(&result.rows);
    let ((summary_common, summary_own), (summary_by_seed, paired)) = crate::parallel::join(
        || {
            crate::parallel::join(
                || summarize(&result.rows, Comparison::Common, reference, false, settings.bootstrap),
                || {
                    (!own_is_common)
                        .then(|| summarize(&result.rows, Comparison::Own, reference, false, settings.bootstrap))
                },
            )
        },
        || {
            crate::parallel::join(
                || summarize(&result.rows, Comparison::Common, reference, true, settings.bootstrap),
                || {
                    reference
                        .map(|reference| {
                            paired::against_reference(&result.rows, &result.methods, reference, settings.bootstrap)
                        })
                        .unwrap_or_default()
                },
            )
        },
    );
    let summary_own = summary_own.unwrap_or_else(|| summary_common.clone());
    let splits = result
        .splits
        .iter()
        .map(|split| SplitSizes {
            seed: split.seed,
            train: split.count(SplitLabel::Train),
            test: split.count(SplitLabel::Test),
            val: split.count(SplitLabel::Val),
            all: split.count(SplitLabel::All),
        })
        .collect();
    let prediction_reports = predictions
        .iter()
        .map(|prediction| PredictionReport {
            file: prediction.file.clone(),
            method: prediction.method.clone(),
            seed: prediction.seed,
            genes: prediction.genes.counts,
        })
        .collect::<Vec<_>>();
    let audits = audit_predictions(data, &result.gene_set, predictions, &result.rows, &result.not_predicted);
    let interactions = result.interactions;
    if let Some(inputs) = &interactions {
        let skipped: Vec<String> = inputs.pairs.skipped.iter().map(|double| double.name()).collect();
        if !skipped.is_empty() {
            notices.push(Notice::info(
                None,
                format!(
                    "{} double(s) lack a measured single, so they have no interaction score: {}",
                    skipped.len(),
                    preview(&skipped)
                ),
            ));
        }
    }
    let interaction_report = interactions
        .as_ref()
        .map(|inputs| interactions_with_truth(inputs, settings.interaction_thresholds, prepared.truth.as_deref()));
    let report = RunReport {
        dataset,
        kind: result.kind,
        methods: result.methods,
        reference: result.reference,
        n_genes_used: result.gene_set.len(),
        n_genes: data.n_genes(),
        splits,
        rows: result.rows,
        summary_common,
        summary_own,
        summary_by_seed,
        paired,
        predictions: prediction_reports,
        error_curves: result.error_curves,
        not_predicted: result.not_predicted,
        notices,
        interactions: interaction_report,
        audits,
        has_de: prepared.data_de.is_some(),
        de_methods: prepared.de_methods(),
    };
    let kept = KeptRun {
        prepared,
        rules: settings.rules.clone(),
        fitted: result.fitted,
        interactions,
        rows: report.rows.clone(),
        conventions: std::cell::RefCell::new(None),
    };
    Ok((report, kept))
}

impl KeptRun {
    /// The data's DE of one perturbation (any spelling) with `method`'s significant genes marked, when the data
    /// are cells.
    pub fn volcano(&self, perturbation: &str, method: Option<&str>) -> Result<Volcano, RunError> {
        let data = &self.prepared.data;
        let real = self.prepared.data_de.as_ref().ok_or_else(|| {
            RunError::Input(InputError::new(
                &self.prepared.dataset,
                Location::File,
                ErrorKind::Unsupported,
                "the DE needs the data as an h5ad file of cells",
            ))
        })?;
        let condition = match canonicalize(perturbation, &self.rules) {
            Canonical::Condition(condition) => condition,
            _ => return Err(RunError::NotAConditionName(perturbation.to_string())),
        };
        let position =
            data.condition_position(&condition).ok_or_else(|| RunError::NotInData(perturbation.to_string()))?;
        let real = real.conditions[position].as_ref().ok_or_else(|| RunError::NotInData(perturbation.to_string()))?;
        let method = method.and_then(|name| {
            let de = self.prepared.method_de(name)?.conditions[position].as_ref()?;
            Some((name, de))
        });
        Ok(Volcano::new(data, position, real, method))
    }

    /// The DEG overlap table of `method`: per point, the data's and the method's numbers of significant genes
    /// and their overlaps (from the conventions, scored first if they are not yet).
    pub fn deg_table(&self, method: &str) -> Result<Vec<DegRow>, RunError> {
        self.with_conventions(|report| {
            let indices: Vec<usize> =
                DEG_TABLE_METRICS.iter().filter_map(|metric| metric_index("cell-eval", metric)).collect();
            report
                .points
                .iter()
                .filter(|point| point.method == method)
                .map(|point| DegRow {
                    seed: point.seed,
                    perturbation: point.perturbation.clone(),
                    values: indices.iter().map(|&index| point.values[index]).collect(),
                })
                .collect()
        })
    }

    /// Every method's predicted change against the observed change for one condition (any spelling) of the
    /// split with `seed`.
    pub fn detail(&self, seed: Option<u32>, perturbation: &str) -> Result<ConditionDetail, RunError> {
        let condition = match canonicalize(perturbation, &self.rules) {
            Canonical::Condition(condition) => condition,
            _ => return Err(RunError::NotAConditionName(perturbation.to_string())),
        };
        condition_detail(&self.prepared.inputs(), &self.fitted, seed, &condition)
    }

    /// The built-in baselines' predictions for the split with `seed`, in the paper's exchange format:
    /// `<method>_seed<N>_all_predictions.json` and `<method>_seed<N>_gene_names.json` per baseline, so that
    /// other tools (and this one) can score them.
    pub fn export_baselines(&self, seed: Option<u32>) -> Result<Vec<ExportedFile>, RunError> {
        let suffix = seed.map(|seed| format!("_seed{seed}")).unwrap_or_default();
        let mut exported = Vec::new();
        for (method, predictions) in baseline_predictions(&self.prepared.inputs(), &self.fitted, seed)? {
            let stem: String =
                method.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect();
            let (all_predictions, gene_names) = write_paper_format(self.prepared.data.genes(), &predictions.predicted);
            exported.push(ExportedFile { name: format!("{stem}{suffix}_all_predictions.json"), text: all_predictions });
            exported.push(ExportedFile { name: format!("{stem}{suffix}_gene_names.json"), text: gene_names });
        }
        Ok(exported)
    }

    /// Every point scored under every convention (the pairwise metrics of seeds with more than
    /// [`crate::conventions::PAIRWISE_POINTS_LIMIT`] points only with `pairwise_always`).
    pub fn conventions(&self, pairwise_always: bool) -> Result<ConventionReport, RunError> {
        if let Some(report) = self.conventions.borrow().as_ref() {
            if !pairwise_always || !report.pairwise_deferred {
                return Ok(report.clone());
            }
        }
        let report = self.score_conventions(pairwise_always)?;
        *self.conventions.borrow_mut() = Some(report.clone());
        Ok(report)
    }

    /// One convention metric's values per method, from the scores kept (scored first if they are not yet);
    /// `None`: the convention has no such metric.
    pub fn metric_values(&self, convention: &str, metric: &str) -> Result<Option<MetricValues>, RunError> {
        self.with_conventions(|report| report.metric_values(convention, metric))
    }

    /// `read` of the scores kept, scored first if they are not yet.
    fn with_conventions<R>(&self, read: impl FnOnce(&ConventionReport) -> R) -> Result<R, RunError> {
        if self.conventions.borrow().is_none() {
            self.conventions(false)?;
        }
        Ok(read(self.conventions.borrow().as_ref().expect("scored just above")))
    }

    /// One of the conventions' files, from the scores kept (scored first if they are not yet).
    pub fn export_conventions(&self, export: &ConventionExport) -> Result<ExportedFile, RunError> {
        self.with_conventions(|report| match export {
            ConventionExport::Points => {
                ExportedFile { name: "conventions.csv".into(), text: write_conventions_csv(report) }
            }
            ConventionExport::Ladder => {
                ExportedFile { name: "conventions_ladder.csv".into(), text: write_ladder_csv(&report.ladders) }
            }
            ConventionExport::CellEval { method, aggregate } => {
                let seed = report.points.iter().find(|point| &point.method == method).and_then(|point| point.seed);
                let rows = celleval::results(report, method, seed);
                if *aggregate {
                    ExportedFile {
                        name: format!("celleval_{method}_agg_results.csv"),
                        text: celleval::write_agg_results_csv(&rows),
                    }
                } else {
                    ExportedFile {
                        name: format!("celleval_{method}_results.csv"),
                        text: celleval::write_results_csv(&rows),
                    }
                }
            }
            ConventionExport::CellEvalScore { method } => {
                let score = report.celleval_scores.iter().find(|score| &score.method == method);
                ExportedFile {
                    name: format!("celleval_{method}_score.csv"),
                    text: score.map(celleval::write_score_csv).unwrap_or_else(|| {
                        format!("no score: {method} is the baseline, or the run has none (split `all`, or a seeded split's mean)\n")
                    }),
                }
            }
        })
    }

    fn score_conventions(&self, pairwise_always: bool) -> Result<ConventionReport, RunError> {
        let inputs = self.prepared.inputs();
        let convention_inputs = ConventionInputs {
            dataset: &self.prepared.dataset,
            data: &self.prepared.data,
            gene_set: self.fitted.gene_set(),
            splits: self.fitted.splits(),
            rows: &self.rows,
            pairwise_always,
            de_genes: self.prepared.de_genes.as_ref(),
            data_de: self.prepared.data_de.as_ref(),
            prediction_de: &self.prepared.prediction_de,
            baseline_de: self.prepared.baseline_de.as_ref(),
        };
        score_conventions(&convention_inputs, &mut |seed| method_predictions(&inputs, &self.fitted, seed))
    }

    /// The interaction report under `thresholds` (`None`: the fitted ones), when the run has interactions.
    pub fn interactions(&self, thresholds: Option<ManualThresholds>) -> Option<InteractionReport> {
        let truth = self.prepared.truth.as_deref();
        self.interactions.as_ref().map(|inputs| interactions_with_truth(inputs, thresholds, truth))
    }
}

/// The interaction report under `thresholds`, with the planted kinds beside the classes found when the run
/// has a truth file.
fn interactions_with_truth(
    inputs: &InteractionInputs,
    thresholds: Option<ManualThresholds>,
    truth: Option<&[(Condition, PlantedKind)]>,
) -> InteractionReport {
    let mut report = interaction_report(inputs, thresholds);
    if let (Some(truth), Some(thresholds)) = (truth, &report.thresholds) {
        report.truth = Some(compare(&inputs.pairs, thresholds.upper, thresholds.lower, truth));
    }
    report
}

/// A file the page offers for download.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportedFile {
    pub name: String,
    pub text: String,
}
