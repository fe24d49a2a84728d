//! The page's state: files, settings, the run, its report. Signals are created once in `App` and shared
//! through context.

use leptos::prelude::*;
use perturb_check::analysis::{AnalysisSettings, RunReport};
use perturb_check::benchmark::ConditionDetail;
use perturb_check::inspect::{FileRole, FileSummary};
use perturb_check::readers::h5ad::PseudobulkOptions;
use perturb_check::summary::Comparison;

/// A file the user added, as its card shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct FileEntry {
    pub id: u32,
    /// With the folder path when a folder was chosen.
    pub name: String,
    pub size: f64,
    pub summary: Option<FileSummary>,
    /// Why the file could not be read.
    pub error: Option<String>,
    /// `None` until the worker has read the file.
    pub role: Option<FileRole>,
    /// Whether the user chose the role (a guessed one is guessed again when the file is read again).
    pub role_chosen: bool,
    /// For predictions: the method name shown in results.
    pub method: String,
    pub seed: Option<u32>,
    /// For h5ad: the pseudobulk choices asked for (`None`: the detected ones, until the worker says which).
    pub cells: Option<PseudobulkOptions>,
    /// For h5ad: how far its reading has come (done, total), while the worker reads it.
    pub reading: Option<(usize, usize)>,
    /// The largest wasm memory of the worker seen while this file was read, in bytes.
    pub peak_memory: f64,
}

impl FileEntry {
    /// Ends a reading that will not finish: a file read before keeps its last summary (and the choices it
    /// was made with); a new one gets `why` as its error.
    pub fn stop_reading(&mut self, why: &str) {
        self.reading = None;
        match &self.summary {
            Some(summary) => self.cells = summary.cells.as_ref().map(|cells| cells.options.clone()),
            None => self.error = Some(why.to_string()),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum RunState {
    Idle,
    Running { step: String, done: usize, total: usize },
    Done,
    Error(String),
}

impl RunState {
    /// The value of `data-state` on the status element.
    pub fn name(&self) -> &'static str {
        match self {
            RunState::Idle => "idle",
            RunState::Running { .. } => "running",
            RunState::Done => "done",
            RunState::Error(_) => "error",
        }
    }
}

/// A published metric shown beside a computed one (the Norman demo).
#[derive(Clone, Debug, PartialEq)]
pub struct PublishedMetric {
    pub method: String,
    pub l2: f64,
    pub pearson_delta: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demo {
    Simulated,
    Papalexi,
    Norman,
}

impl Demo {
    pub fn key(self) -> &'static str {
        match self {
            Demo::Simulated => "simulated",
            Demo::Papalexi => "papalexi",
            Demo::Norman => "norman",
        }
    }

    pub fn from_key(key: &str) -> Option<Demo> {
        [Demo::Simulated, Demo::Papalexi, Demo::Norman].into_iter().find(|demo| demo.key() == key)
    }
}

#[derive(Clone, Copy)]
pub struct AppState {
    pub files: RwSignal<Vec<FileEntry>>,
    pub settings: RwSignal<AnalysisSettings>,
    pub comparison: RwSignal<Comparison>,
    pub run_state: RwSignal<RunState>,
    pub report: RwSignal<Option<RunReport>>,
    pub published: RwSignal<Option<Vec<PublishedMetric>>>,
    pub demo: RwSignal<Option<Demo>>,
    pub worker_ready: RwSignal<bool>,
    pub run_id: RwSignal<u32>,
    /// Start a run as soon as every file has been read (demos).
    pub run_when_read: RwSignal<bool>,
    /// A problem that is not about one file (e.g. a demo file could not be fetched).
    pub page_error: RwSignal<Option<String>>,
    pub next_file_id: RwSignal<u32>,
    /// The observed-vs-predicted data of the chosen condition.
    pub detail: RwSignal<Option<ConditionDetail>>,
    /// Why a detail or export request failed.
    pub request_error: RwSignal<Option<String>>,
    /// What to report after the worker crashed (a defect): its panic message, the version, the browser.
    pub internal_error: RwSignal<Option<String>>,
}

impl AppState {
    pub fn new() -> Self {
        AppState {
            files: RwSignal::new(vec![]),
            settings: RwSignal::new(AnalysisSettings::default()),
            comparison: RwSignal::new(Comparison::Common),
            run_state: RwSignal::new(RunState::Idle),
            report: RwSignal::new(None),
            published: RwSignal::new(None),
            demo: RwSignal::new(None),
            worker_ready: RwSignal::new(false),
            run_id: RwSignal::new(0),
            run_when_read: RwSignal::new(false),
            page_error: RwSignal::new(None),
            next_file_id: RwSignal::new(1),
            detail: RwSignal::new(None),
            request_error: RwSignal::new(None),
            internal_error: RwSignal::new(None),
        }
    }
}

pub fn use_state() -> AppState {
    expect_context::<AppState>()
}
