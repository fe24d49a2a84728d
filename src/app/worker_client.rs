//! The page's side of the worker: start it, queue messages until it is ready, apply its answers to the
//! state, and cancel a run by terminating it and starting a fresh one.

use super::download::download_text;
use super::files::{assign_role, file_handles};
use super::state::{AppState, RunState};
use leptos::prelude::*;
use perturb_check::analysis::{InputFile, RunReport};
use perturb_check::baselines::linear_model::EmbeddingSource;
use perturb_check::conditions::ConditionRules;
use perturb_check::inspect::FileRole;
use perturb_check::interactions::ManualThresholds;
use perturb_check::protocol::{Request, Response};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{File, MessageEvent, Worker};

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
    /// Counts the workers started: answers and errors of a worker already replaced are ignored.
    static GENERATION: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// Messages sent before the worker said it was ready (they would be lost).
    static QUEUE: RefCell<Vec<JsValue>> = const { RefCell::new(Vec::new()) };
}

pub fn start(state: AppState) {
    let worker = match Worker::new("./worker_loader.js") {
        Ok(worker) => worker,
        Err(_) => {
            state.page_error.set(Some("this browser could not start a Web Worker, which the analysis needs".into()));
            return;
        }
    };
    let generation = GENERATION.with(|g| {
        g.set(g.get() + 1);
        g.get()
    });
    let current = move || GENERATION.with(|g| g.get()) == generation;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if !current() {
            return;
        }
        match serde_wasm_bindgen::from_value::<Response>(event.data()) {
            Ok(response) => receive(state, response),
            Err(error) => web_sys::console::error_1(&format!("unexpected message from the worker: {error}").into()),
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // An error no panic hook saw (memory exhausted, a trap): the worker is as good as dead.
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |event: web_sys::ErrorEvent| {
        if current() {
            crashed(state, format!("the worker stopped: {}", event.message()));
        }
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    state.worker_ready.set(false);
    WORKER.with(|slot| *slot.borrow_mut() = Some(worker));
}

/// After a crash of the worker (a defect): keeps what the page shows, starts a new worker and offers the
/// details to report. Files being read are not asked for again (one of them may be what crashed it): a file
/// read before keeps its last summary, a new one says to add it again.
fn crashed(state: AppState, details: String) {
    let browser = window().navigator().user_agent().unwrap_or_default();
    state
        .internal_error
        .set(Some(format!("{details}\nPerturb Check {}\nBrowser: {browser}", env!("CARGO_PKG_VERSION"))));
    restart(state);
    if matches!(state.run_state.get_untracked(), RunState::Running { .. }) {
        state.run_state.set(RunState::Error(
            "the analysis stopped on an internal error (see above); your files and settings are kept: run again".into(),
        ));
    }
    state.files.update(|files| {
        for entry in files.iter_mut() {
            if entry.reading.is_some() || (entry.summary.is_none() && entry.error.is_none()) {
                entry.stop_reading(
                    "the reading stopped on an internal error (see above); remove the file and add it again to retry",
                );
            }
        }
    });
}

/// Asks the (new) worker again for every file whose reading had not finished, except `except`.
pub fn read_again(state: AppState, except: Option<u32>) {
    let mut again = Vec::new();
    state.files.update(|files| {
        for entry in files.iter_mut().filter(|entry| Some(entry.id) != except) {
            if entry.reading.is_some() || (entry.summary.is_none() && entry.error.is_none()) {
                entry.reading = None;
                again.push((entry.id, entry.name.clone(), entry.cells.clone()));
            }
        }
    });
    for (id, name, cells) in again {
        send(state, &Request::Inspect { id, name, cells, rules: rules(state) }, file_handles(&[id]));
    }
}

/// The condition rules in force (the Settings' control labels among them): every reading uses them.
pub fn rules(state: AppState) -> ConditionRules {
    state.settings.with_untracked(|settings| settings.rules.clone())
}

/// Reads every file again under new condition rules: roles the user did not choose are guessed again, and h5ad
/// files are pseudobulked again with their choices (tables and JSON come from the worker's cache).
pub fn read_all_again(state: AppState) {
    let mut again = Vec::new();
    state.files.update(|files| {
        for entry in files.iter_mut() {
            if !entry.role_chosen {
                entry.role = None;
            }
            entry.error = None;
            entry.summary = None;
            again.push((entry.id, entry.name.clone(), entry.cells.clone()));
        }
    });
    for (id, name, cells) in again {
        send(state, &Request::Inspect { id, name, cells, rules: rules(state) }, file_handles(&[id]));
    }
}

/// Stops whatever the worker is doing and starts a new one; files are re-read on the next run.
pub fn restart(state: AppState) {
    WORKER.with(|slot| {
        if let Some(worker) = slot.borrow_mut().take() {
            worker.terminate();
        }
    });
    QUEUE.with(|queue| queue.borrow_mut().clear());
    start(state);
}

fn post(message: JsValue) {
    WORKER.with(|slot| {
        if let Some(worker) = slot.borrow().as_ref() {
            let _ = worker.post_message(&message);
        }
    });
}

pub fn send(state: AppState, request: &Request, files: Vec<File>) {
    let message = js_sys::Object::new();
    let Ok(request) = serde_wasm_bindgen::to_value(request) else { return };
    let _ = js_sys::Reflect::set(&message, &"request".into(), &request);
    let array: js_sys::Array = files.into_iter().collect();
    let _ = js_sys::Reflect::set(&message, &"files".into(), &array);
    if state.worker_ready.get_untracked() {
        post(message.into());
    } else {
        QUEUE.with(|queue| queue.borrow_mut().push(message.into()));
    }
}

/// The files that take part in a run, as the worker wants them, with their handles in the same order.
fn current_inputs(state: AppState) -> (Vec<InputFile>, Vec<File>) {
    let entries = state.files.get_untracked();
    let usable: Vec<_> = entries.iter().filter(|entry| entry.error.is_none() && entry.role.is_some()).collect();
    let handles = file_handles(&usable.iter().map(|entry| entry.id).collect::<Vec<_>>());
    let inputs: Vec<InputFile> = usable
        .iter()
        .filter_map(|entry| {
            Some(InputFile {
                id: entry.id,
                name: entry.name.clone(),
                role: entry.role?,
                method: (!entry.method.trim().is_empty()).then(|| entry.method.trim().to_string()),
                seed: entry.seed,
                cells: entry.cells.clone(),
            })
        })
        .collect();
    (inputs, handles)
}

/// Starts a run with the current files and settings.
pub fn run(state: AppState) {
    let (inputs, handles) = current_inputs(state);
    let run_id = state.run_id.get_untracked() + 1;
    state.run_id.set(run_id);
    state.report.set(None);
    state.detail.set(None);
    state.run_state.set(RunState::Running { step: "reading files".into(), done: 0, total: 1 });
    let request = Request::Run { run_id, files: inputs, settings: state.settings.get_untracked() };
    send(state, &request, handles);
}

/// Asks for every method's predicted change for one condition of the split with `seed`.
pub fn request_detail(state: AppState, seed: Option<u32>, perturbation: String) {
    let (files, handles) = current_inputs(state);
    let settings = state.settings.get_untracked();
    state.request_error.set(None);
    send(state, &Request::Detail { files, settings, seed, perturbation }, handles);
}

/// Asks for the baselines' predictions of the split with `seed`, in the paper's format.
pub fn request_baseline_export(state: AppState, seed: Option<u32>) {
    let (files, handles) = current_inputs(state);
    let settings = state.settings.get_untracked();
    state.request_error.set(None);
    send(state, &Request::ExportBaselines { files, settings, seed }, handles);
}

/// Scores the interactions of the current run under `thresholds` (`None`: the fitted ones) and records the
/// choice in the settings.
pub fn request_interactions(state: AppState, thresholds: Option<ManualThresholds>) {
    state.settings.update(|settings| settings.interaction_thresholds = thresholds);
    state.request_error.set(None);
    send(state, &Request::Interactions { run_id: state.run_id.get_untracked(), thresholds }, vec![]);
}

/// Makes the worker panic (for the end-to-end test of the recovery; the page offers it only with `?debug`).
pub fn request_debug_panic(state: AppState) {
    send(state, &Request::DebugPanic, vec![]);
}

/// Asks for the pseudobulk (or, with `n_cells`, the cells per condition) of the h5ad file with `id`.
pub fn request_pseudobulk_export(state: AppState, id: u32, n_cells: bool) {
    state.request_error.set(None);
    send(state, &Request::ExportPseudobulk { id, n_cells }, vec![]);
}

pub fn cancel(state: AppState) {
    restart(state);
    state.run_state.set(RunState::Idle);
    read_again(state, None);
}

fn receive(state: AppState, response: Response) {
    match response {
        Response::Ready => {
            state.worker_ready.set(true);
            let queued = QUEUE.with(|queue| std::mem::take(&mut *queue.borrow_mut()));
            for message in queued {
                post(message);
            }
        }
        Response::Inspected { id, summary } => {
            // An embedding file is dropped to be used: switch the linear model to it.
            match summary.role {
                FileRole::GeneEmbedding => {
                    state.settings.update(|s| s.benchmark.linear.gene_embedding = EmbeddingSource::Uploaded)
                }
                FileRole::PerturbationEmbedding => {
                    state.settings.update(|s| s.benchmark.linear.perturbation_embedding = EmbeddingSource::Uploaded)
                }
                _ => {}
            }
            state.files.update(|files| assign_role(files, id, Ok(*summary)));
            maybe_run(state);
        }
        Response::Reading { id, done, total, memory_bytes } => state.files.update(|files| {
            if let Some(entry) = files.iter_mut().find(|entry| entry.id == id) {
                // The last report (all read) ends the bar; a run reading the file gets no other answer.
                entry.reading = (done < total).then_some((done, total));
                entry.peak_memory = entry.peak_memory.max(memory_bytes);
            }
        }),
        Response::InspectFailed { id, error } => {
            state.files.update(|files| assign_role(files, id, Err(error)));
            maybe_run(state);
        }
        Response::Progress { run_id, progress } if run_id == state.run_id.get_untracked() => {
            state.run_state.set(RunState::Running { step: progress.step, done: progress.done, total: progress.total });
        }
        Response::Finished { run_id, report_json } if run_id == state.run_id.get_untracked() => {
            match serde_json::from_str::<RunReport>(&report_json) {
                Ok(report) => {
                    state.report.set(Some(report));
                    state.run_state.set(RunState::Done);
                }
                Err(error) => {
                    state.run_state.set(RunState::Error(format!("the worker's report could not be read: {error}")))
                }
            }
        }
        Response::Failed { run_id, error } if run_id == state.run_id.get_untracked() => {
            state.run_state.set(RunState::Error(error));
        }
        Response::Detail { detail } => state.detail.set(Some(*detail)),
        Response::Interactions { run_id, report } if run_id == state.run_id.get_untracked() => {
            state.report.update(|current| {
                if let Some(current) = current {
                    current.interactions = Some(*report);
                }
            });
        }
        Response::Exported { files } => {
            for file in files {
                let mime = if file.name.ends_with(".csv") { "text/csv" } else { "application/json" };
                download_text(&file.name, &file.text, mime);
            }
        }
        Response::RequestFailed { error } => state.request_error.set(Some(error)),
        Response::Crashed { details } => crashed(state, details),
        _ => {}
    }
}

/// Runs a demo once all of its files have been read.
fn maybe_run(state: AppState) {
    let all_read =
        state.files.with_untracked(|files| files.iter().all(|file| file.role.is_some() || file.error.is_some()));
    if state.run_when_read.get_untracked() && all_read {
        state.run_when_read.set(false);
        run(state);
    }
}
