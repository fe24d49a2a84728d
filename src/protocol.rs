//! The messages between the page and its Web Worker: plain data, serialised with serde. File handles travel
//! beside a message (as a JS array, `files`, in either direction), never inside it.

use crate::analysis::{AnalysisSettings, ConventionExport, ExportedFile, InputFile};
use crate::benchmark::ConditionDetail;
use crate::benchmark::Progress;
use crate::conditions::ConditionRules;
use crate::conventions::celleval_de::{DegRow, Volcano};
use crate::conventions::{ConventionReport, MetricValues};
use crate::inspect::FileSummary;
use crate::interactions::{InteractionReport, ManualThresholds};
use crate::pseudobulk::PseudobulkOptions;
use crate::simulator::SimulatorSettings;
use crate::truth::Detection;
use serde::{Deserialize, Serialize};

/// Page → worker.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Request {
    /// Read and describe a file (the file handle is the first of the message's files) under the user's
    /// condition rules; an h5ad file is pseudobulked with `pseudobulk` (`None`: the detected choices).
    Inspect {
        id: u32,
        name: String,
        #[serde(default)]
        pseudobulk: Option<PseudobulkOptions>,
        rules: ConditionRules,
    },
    /// Run the benchmark; the message's files are in the order of `files`. The worker keeps the finished run
    /// under `run_id` for the queries that follow.
    Run { run_id: u32, files: Vec<InputFile>, settings: AnalysisSettings },
    /// Drop a removed file from the worker's cache.
    Forget { id: u32 },
    /// A question about something the worker kept (a run, a file read); answered by a
    /// [`Response::Reply`] with the same `request_id`.
    Query { request_id: u32, query: Query },
    /// Panics on purpose, so the end-to-end tests can check that the page recovers (sent only when the page
    /// was opened with `?debug`).
    DebugPanic,
}

/// Worker → page.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Response {
    /// The worker's wasm is loaded; messages sent before this are lost.
    Ready,
    Inspected {
        id: u32,
        summary: Box<FileSummary>,
    },
    InspectFailed {
        id: u32,
        error: String,
    },
    /// How far the reading of an h5ad file has come: `done` of `total` cells (genes for CSC matrices), and
    /// the size of the worker's wasm memory.
    Reading {
        id: u32,
        done: usize,
        total: usize,
        memory_bytes: f64,
    },
    /// How far run `run_id` has come, and the size of the worker's wasm memory then.
    Progress {
        run_id: u32,
        progress: Progress,
        memory_bytes: f64,
    },
    /// The report as JSON text: one string crosses into the page far faster than a structure of thousands of
    /// values converted one by one.
    Finished {
        run_id: u32,
        report_json: String,
    },
    Failed {
        run_id: u32,
        error: String,
    },
    /// The answer to the [`Request::Query`] with `request_id`, or why there is none (the kept run is
    /// unchanged either way): a `Result<Reply, String>` as JSON text, which crosses into the page far faster
    /// than thousands of values converted one by one (a detail holds about 7,000).
    Reply {
        request_id: u32,
        reply_json: String,
    },
    /// The worker panicked (a defect of Perturb Check, not of the files): it is unusable from now on, and the
    /// page starts a new one. `details` is the panic message and place.
    Crashed {
        details: String,
    },
}

/// What a [`Request::Query`] asks, of a kept run (by its id) or of a file the worker has read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Query {
    /// Every method's predicted change for one condition of the split with `seed`.
    Detail { run_id: u32, seed: Option<u32>, perturbation: String },
    /// The built-in baselines' predictions for the split with `seed`, in the paper's format.
    ExportBaselines { run_id: u32, seed: Option<u32> },
    /// The interaction report under other thresholds (`None`: the fitted ones).
    Interactions { run_id: u32, thresholds: Option<ManualThresholds> },
    /// Every point of the run scored under every convention; the pairwise metrics of a seed with more than
    /// 1,000 points only with `pairwise_always`.
    Conventions { run_id: u32, pairwise_always: bool },
    /// One convention metric's value at every point, per method (for the plots).
    MetricValues { run_id: u32, convention: String, metric: String },
    /// One of the conventions' files (from the scores the worker kept).
    ExportConventions { run_id: u32, export: ConventionExport },
    /// `pseudobulk.csv` (or, with `n_cells`, `n_cells.csv`) of an h5ad file the worker has read.
    ExportPseudobulk { id: u32, n_cells: bool },
    /// The DE table (pdex's columns) of an h5ad file whose DE pass a run made, downloaded as `file_name`.
    ExportDe { id: u32, file_name: String },
    /// The data's DE of one perturbation with a method's significant genes marked (a volcano plot).
    Volcano { run_id: u32, perturbation: String, method: Option<String> },
    /// A method's DEG overlap per point.
    DegTable { run_id: u32, method: String },
    /// The simulator's files for `settings` as text, to download (answered with [`Reply::Files`]; nothing is
    /// kept).
    Simulate { settings: SimulatorSettings },
    /// The simulator's files for `settings` as file handles made in the worker, to add to the page as dropped
    /// files are (answered with [`Reply::Handles`], the handles beside the message). The worker keeps what it
    /// read of them, so adding them reads nothing again.
    SimulateAsHandles { settings: SimulatorSettings },
    /// Precision and recall of the simulator's screen made again with each number of cells.
    Detection { settings: SimulatorSettings, cells: Vec<usize>, n_genes: usize, thresholds: Option<ManualThresholds> },
}

/// The answer to a [`Query`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Reply {
    Detail(Box<ConditionDetail>),
    /// Files to download.
    Files(Vec<ExportedFile>),
    /// This many file handles travel beside the message.
    Handles(usize),
    Interactions(Box<InteractionReport>),
    /// The conventions without their points (those stay in the worker; see [`Query::ExportConventions`]).
    Conventions(Box<ConventionReport>),
    MetricValues(Box<MetricValues>),
    Volcano(Box<Volcano>),
    DegTable(Vec<DegRow>),
    Detection(Vec<Detection>),
}
