//! The page's side of the worker: start it, queue messages until it is ready, apply its answers to the
//! state, and cancel a run by terminating it and starting a fresh one.

use super::download::download_text;
use super::files::file_handles;
use super::state::{AppState, RunState};
use futures_channel::oneshot;
use leptos::prelude::*;
use perturb_check::analysis::{InputFile, RunReport};
use perturb_check::baselines::linear_model::EmbeddingSource;
use perturb_check::inspect::FileRole;
use perturb_check::interactions::ManualThresholds;
use perturb_check::plots::MethodStyles;
use perturb_check::protocol::{Query, Reply, Request, Response};
use perturb_check::pseudobulk::PseudobulkOptions;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{File, MessageEvent, Worker};

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
    /// Counts the workers started: answers and errors of a worker already replaced are ignored.
    static GENERATION: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// Messages sent before the worker said it was ready (they would be lost).
    static QUEUE: RefCell<Vec<JsValue>> = const { RefCell::new(Vec::new()) };
    /// Queries sent and not yet answered, by request id. A restarted worker drops them: each asker then hears
    /// that the worker restarted.
    static PENDING: RefCell<HashMap<u32, oneshot::Sender<Answer>>> = RefCell::new(HashMap::new());
    static NEXT_REQUEST: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A worker's answer, with the file handles that came beside it.
type Answer = (Result<Reply, String>, Vec<File>);

/// Asks the worker about something it kept (the current run, a file read) and waits for the answer.
pub async fn ask(state: AppState, query: Query) -> Result<Reply, String> {
    ask_with_handles(state, query).await.0
}

/// [`ask`], also returning the file handles that came beside the answer.
pub async fn ask_with_handles(state: AppState, query: Query) -> Answer {
    let request_id = NEXT_REQUEST.with(|next| {
        next.set(next.get() + 1);
        next.get()
    });
    let (sender, receiver) = oneshot::channel();
    PENDING.with(|pending| pending.borrow_mut().insert(request_id, sender));
    send(state, &Request::Query { request_id, query }, vec![]);
    receiver.await.unwrap_or_else(|_| (Err("the worker restarted before it answered: ask again".into()), Vec::new()))
}

/// Asks for files to download and downloads them; the error, if any, is the asker's to show.
pub async fn ask_download(state: AppState, query: Query) -> Result<(), String> {
    match ask(state, query).await? {
        Reply::Files(files) => {
            for file in files {
                let mime = if file.name.ends_with(".csv") { "text/csv" } else { "application/json" };
                download_text(&file.name, &file.text, mime);
            }
            Ok(())
        }
        _ => Err("the worker answered with something else than files".into()),
    }
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
        let data = event.data();
        let files: Vec<File> = js_sys::Reflect::get(&data, &"files".into())
            .ok()
            .and_then(|files| files.dyn_into::<js_sys::Array>().ok())
            .map(|files| files.iter().filter_map(|file| file.dyn_into::<File>().ok()).collect())
            .unwrap_or_default();
        match serde_wasm_bindgen::from_value::<Response>(data) {
            Ok(response) => receive(state, response, files),
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
        for id in files.unfinished() {
            files.stop_reading(
                id,
                "the reading stopped on an internal error (see above); remove the file and add it again to retry",
            );
        }
    });
}

/// Asks the (new) worker again for every file whose reading had not finished, except `except`.
pub fn read_again(state: AppState, except: Option<u32>) {
    let unfinished = state.files.with_untracked(|files| files.unfinished());
    for id in unfinished.into_iter().filter(|id| Some(*id) != except) {
        let pseudobulk = state.files.with_untracked(|files| files.get(id).and_then(|entry| entry.pseudobulk.clone()));
        inspect(state, id, pseudobulk);
    }
}

/// Asks the worker to read file `id` under the condition rules in force, an h5ad file with `cells` (`None`:
/// the choices it was read with, or the detected ones); the card shows a progress bar at once when `cells`
/// are new choices.
pub fn inspect(state: AppState, id: u32, pseudobulk: Option<PseudobulkOptions>) {
    let Some(name) = state.files.with_untracked(|files| files.get(id).map(|entry| entry.name.clone())) else { return };
    let show_progress = pseudobulk.is_some();
    state.files.update(|files| files.start_reading(id, pseudobulk, show_progress));
    let pseudobulk = state.files.with_untracked(|files| files.get(id).and_then(|entry| entry.pseudobulk.clone()));
    let rules = state.settings.with_untracked(|settings| settings.rules.clone());
    send(state, &Request::Inspect { id, name, pseudobulk, rules }, file_handles(&[id]));
}

/// Reads every file again under new condition rules: each role the user did not choose is guessed again, and
/// h5ad files are pseudobulked again with their choices (tables and JSON come from the worker's cache).
pub fn read_all_again(state: AppState) {
    for id in state.files.with_untracked(|files| files.ids()) {
        inspect(state, id, None);
    }
}

/// Drops a removed file from the worker's cache.
pub fn forget(state: AppState, id: u32) {
    send(state, &Request::Forget { id }, vec![]);
}

/// Stops whatever the worker is doing and starts a new one; files are re-read on the next run.
pub fn restart(state: AppState) {
    WORKER.with(|slot| {
        if let Some(worker) = slot.borrow_mut().take() {
            worker.terminate();
        }
    });
    QUEUE.with(|queue| queue.borrow_mut().clear());
    PENDING.with(|pending| pending.borrow_mut().clear());
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
    let inputs = state.files.with_untracked(|files| files.inputs());
    let handles = file_handles(&inputs.iter().map(|input| input.id).collect::<Vec<_>>());
    (inputs, handles)
}

/// Starts a run with the current files and settings.
pub fn run(state: AppState) {
    let (inputs, handles) = current_inputs(state);
    let run_id = state.run_id.get_untracked() + 1;
    state.run_id.set(run_id);
    state.report.set(None);
    state.detail.set(None);
    state.conventions.set(None);
    state.run_state.set(RunState::Running { step: "reading files".into(), done: 0, total: 1 });
    let request = Request::Run { run_id, files: inputs, settings: state.settings.get_untracked() };
    send(state, &request, handles);
}

/// Scores the interactions of the current run under `thresholds` (`None`: the fitted ones), records the
/// choice in the settings and shows the new report.
pub async fn rescore_interactions(state: AppState, thresholds: Option<ManualThresholds>) -> Result<(), String> {
    state.settings.update(|settings| settings.interaction_thresholds = thresholds);
    let run_id = state.run_id.get_untracked();
    match ask(state, Query::Interactions { run_id, thresholds }).await? {
        Reply::Interactions(report) if run_id == state.run_id.get_untracked() => {
            state.report.update(|current| {
                if let Some(current) = current {
                    current.interactions = Some(*report);
                }
            });
            Ok(())
        }
        Reply::Interactions(_) => Ok(()),
        _ => Err("the worker answered with something else than interactions".into()),
    }
}

/// Asks for the run's points under every convention and shows them (`pairwise_always`: the pairwise metrics
/// of large seeds too); a failure is shown as the page's error.
pub async fn load_conventions(state: AppState, run_id: u32, pairwise_always: bool) {
    let reply = ask(state, Query::Conventions { run_id, pairwise_always }).await;
    if run_id != state.run_id.get_untracked() {
        return;
    }
    match reply {
        Ok(Reply::Conventions(report)) => state.conventions.set(Some(*report)),
        Ok(_) => state.page_error.set(Some("the worker answered with something else than conventions".into())),
        Err(error) => state.page_error.set(Some(format!("the conventions could not be computed: {error}"))),
    }
}

/// Makes the worker panic (for the end-to-end test of the recovery; the page offers it only with `?debug`).
pub fn request_debug_panic(state: AppState) {
    send(state, &Request::DebugPanic, vec![]);
}

/// Stops the run (or the wait for files being read before it) by restarting the worker; files still being read
/// are asked for again, and no run starts when they are.
pub fn cancel(state: AppState) {
    state.run_when_read.set(false);
    restart(state);
    state.run_state.set(RunState::Idle);
    read_again(state, None);
}

fn receive(state: AppState, response: Response, files: Vec<File>) {
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
            state.files.update(|files| files.record(id, Ok(*summary)));
            maybe_run(state);
        }
        Response::Reading { id, done, total, memory_bytes } => {
            state.peak_memory.update(|peak| *peak = peak.max(memory_bytes));
            state.files.update(|files| files.reading_progress(id, done, total, memory_bytes))
        }
        Response::InspectFailed { id, error } => {
            state.files.update(|files| files.record(id, Err(error)));
            maybe_run(state);
        }
        Response::Progress { run_id, progress, memory_bytes } if run_id == state.run_id.get_untracked() => {
            state.peak_memory.update(|peak| *peak = peak.max(memory_bytes));
            state.run_state.set(RunState::Running { step: progress.step, done: progress.done, total: progress.total });
        }
        Response::Finished { run_id, report_json } if run_id == state.run_id.get_untracked() => {
            match serde_json::from_str::<RunReport>(&report_json) {
                Ok(report) => {
                    state.styles.set(MethodStyles::for_methods(&report.methods));
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
        Response::Reply { request_id, reply_json } => {
            if let Some(sender) = PENDING.with(|pending| pending.borrow_mut().remove(&request_id)) {
                let reply = serde_json::from_str::<Result<Reply, String>>(&reply_json)
                    .unwrap_or_else(|error| Err(format!("the worker's answer could not be read: {error}")));
                let _ = sender.send((reply, files));
            }
        }
        Response::Crashed { details } => crashed(state, details),
        _ => {}
    }
}

/// Runs now, or once the files still being read are read (the status says so meanwhile).
pub fn run_when_read(state: AppState) {
    if state.files.with_untracked(|files| files.all_read()) {
        run(state);
    } else {
        state.run_when_read.set(true);
        state.run_state.set(RunState::Running { step: "waiting for files being read".into(), done: 0, total: 1 });
    }
}

/// Runs (a demo, or a run asked for while files were being read) once all files have been read.
fn maybe_run(state: AppState) {
    if state.run_when_read.get_untracked() && state.files.with_untracked(|files| files.all_read()) {
        state.run_when_read.set(false);
        run(state);
    }
}
