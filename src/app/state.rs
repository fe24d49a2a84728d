//! The page's state: files, settings, the run, its report. Signals are created once in `App` and shared
//! through context.

use super::files::Files;
use leptos::prelude::*;
use perturb_check::analysis::{AnalysisSettings, RunReport};
use perturb_check::benchmark::ConditionDetail;
use perturb_check::conventions::ConventionReport;
use perturb_check::leaderboard::PublishedMetric;
use perturb_check::plots::MethodStyles;
use perturb_check::simulator::SimulatorSettings;
use perturb_check::summary::Comparison;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demo {
    Simulated,
    Papalexi,
    /// Papalexi with a simulated reference screen (linear_reference).
    PapalexiReference,
    Norman,
}

impl Demo {
    pub fn key(self) -> &'static str {
        match self {
            Demo::Simulated => "simulated",
            Demo::Papalexi => "papalexi",
            Demo::PapalexiReference => "papalexi-reference",
            Demo::Norman => "norman",
        }
    }

    pub fn from_key(key: &str) -> Option<Demo> {
        [Demo::Simulated, Demo::Papalexi, Demo::PapalexiReference, Demo::Norman]
            .into_iter()
            .find(|demo| demo.key() == key)
    }
}

#[derive(Clone, Copy)]
pub struct AppState {
    pub files: RwSignal<Files>,
    pub settings: RwSignal<AnalysisSettings>,
    pub comparison: RwSignal<Comparison>,
    pub run_state: RwSignal<RunState>,
    pub report: RwSignal<Option<RunReport>>,
    pub published: RwSignal<Option<Vec<PublishedMetric>>>,
    pub worker_ready: RwSignal<bool>,
    pub run_id: RwSignal<u32>,
    /// Start a run as soon as every file has been read (a demo, or Run pressed while files were being read).
    pub run_when_read: RwSignal<bool>,
    /// A problem that is not about one file (e.g. a demo file could not be fetched).
    pub page_error: RwSignal<Option<String>>,
    /// The observed-vs-predicted data of the chosen condition.
    pub detail: RwSignal<Option<ConditionDetail>>,
    /// The run's conventions as the panel shows them (means, ladders, scores; the points stay in the worker).
    pub conventions: RwSignal<Option<ConventionReport>>,
    /// The convention metric the leaderboard adds (an index into `conventions::METRICS`); `None`: the paper's.
    pub score_by: RwSignal<Option<usize>>,
    /// What to report after the worker crashed (a defect): its panic message, the version, the browser.
    pub internal_error: RwSignal<Option<String>>,
    /// The largest wasm memory of the worker reported so far (while reading files and running), in bytes.
    pub peak_memory: RwSignal<f64>,
    /// Each method's colour and marker, assigned once per run (every plot and legend uses them).
    pub styles: RwSignal<MethodStyles>,
    /// The results section last navigated to (kept in the URL hash).
    pub section: RwSignal<Option<String>>,
    /// A note for the whole page (a report's settings restored).
    pub page_notice: RwSignal<Option<String>>,
    /// The simulator panel's settings.
    pub simulator: RwSignal<SimulatorSettings>,
    /// The settings the current files were simulated with, while they are the simulator's.
    pub simulated: RwSignal<Option<SimulatorSettings>>,
    /// Counts the simulator's requests and what supersedes them (files cleared: a demo, the tour's end): a
    /// screen arriving after that is dropped.
    pub simulation: RwSignal<u32>,
}

impl AppState {
    pub fn new() -> Self {
        AppState {
            files: RwSignal::new(Files::default()),
            settings: RwSignal::new(AnalysisSettings::default()),
            comparison: RwSignal::new(Comparison::Common),
            run_state: RwSignal::new(RunState::Idle),
            report: RwSignal::new(None),
            published: RwSignal::new(None),
            worker_ready: RwSignal::new(false),
            run_id: RwSignal::new(0),
            run_when_read: RwSignal::new(false),
            page_error: RwSignal::new(None),
            detail: RwSignal::new(None),
            internal_error: RwSignal::new(None),
            conventions: RwSignal::new(None),
            score_by: RwSignal::new(None),
            peak_memory: RwSignal::new(0.0),
            styles: RwSignal::new(MethodStyles::default()),
            section: RwSignal::new(None),
            page_notice: RwSignal::new(None),
            simulator: RwSignal::new(SimulatorSettings::default()),
            simulated: RwSignal::new(None),
            simulation: RwSignal::new(0),
        }
    }
}

pub fn use_state() -> AppState {
    expect_context::<AppState>()
}
