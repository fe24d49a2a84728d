//! The Web Worker: reads dropped files and runs the engine off the page's thread. It speaks the messages of
//! `perturb_check::protocol`; a run cannot be interrupted from inside, so the page cancels by terminating
//! the worker and starting a new one.

use perturb_check::analysis::{detail, export_baselines, run_analysis, AnalysisError, InputFile};
use perturb_check::inspect::{inspect, load_file, LoadedFile};
use perturb_check::interactions::{interaction_report, InteractionInputs};
use perturb_check::protocol::{Request, Response};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, File, FileReaderSync, MessageEvent};

thread_local! {
    /// Files already read, by the page's file id, with the size and time they had (a replaced file re-reads).
    static CACHE: RefCell<HashMap<u32, (f64, f64, LoadedFile)>> = RefCell::new(HashMap::new());
    /// The last finished run's interaction inputs, by run id: new thresholds are scored from them.
    static INTERACTIONS: RefCell<Option<(u32, InteractionInputs)>> = const { RefCell::new(None) };
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(response: &Response) {
    match serde_wasm_bindgen::to_value(response) {
        Ok(value) => {
            let _ = scope().post_message(&value);
        }
        Err(error) => web_sys::console::error_1(&format!("cannot send a message: {error}").into()),
    }
}

fn read_bytes(file: &File) -> Result<Vec<u8>, String> {
    let reader = FileReaderSync::new().map_err(|_| "this browser cannot read files in a worker".to_string())?;
    let buffer = reader
        .read_as_array_buffer(file)
        .map_err(|_| format!("{}: the file could not be read (was it moved or deleted?)", file.name()))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The loaded file for `id`, read now unless the cache holds this very file.
fn loaded(id: u32, name: &str, file: &File) -> Result<(), String> {
    let stamp = (file.size(), file.last_modified());
    let cached = CACHE.with(|cache| cache.borrow().get(&id).is_some_and(|(size, time, _)| (*size, *time) == stamp));
    if !cached {
        let bytes = read_bytes(file)?;
        let loaded = load_file(name, &bytes).map_err(|error| error.to_string())?;
        CACHE.with(|cache| cache.borrow_mut().insert(id, (stamp.0, stamp.1, loaded)));
    }
    Ok(())
}

/// Reads (or takes from the cache) every file of a request, then runs `work` on them.
fn with_files<T>(
    inputs: &[InputFile],
    files: &[File],
    work: impl FnOnce(&[(InputFile, &LoadedFile)]) -> Result<T, AnalysisError>,
) -> Result<T, String> {
    if inputs.len() != files.len() {
        return Err("the page sent a request without its files".into());
    }
    for (input, file) in inputs.iter().zip(files) {
        loaded(input.id, &input.name, file)?;
    }
    CACHE.with(|cache| {
        let cache = cache.borrow();
        let pairs: Vec<_> = inputs.iter().map(|input| (input.clone(), &cache[&input.id].2)).collect();
        work(&pairs).map_err(|error| error.to_string())
    })
}

fn handle(request: Request, files: Vec<File>) {
    match request {
        Request::Inspect { id, name } => {
            let outcome = files.first().ok_or("no file was sent".to_string()).and_then(|file| loaded(id, &name, file));
            let response = match outcome {
                Ok(()) => CACHE.with(|cache| {
                    let cache = cache.borrow();
                    let loaded = &cache[&id].2;
                    Response::Inspected { id, summary: inspect(&name, loaded, &Default::default()) }
                }),
                Err(error) => Response::InspectFailed { id, error },
            };
            post(&response);
        }
        Request::Forget { id } => {
            CACHE.with(|cache| cache.borrow_mut().remove(&id));
        }
        Request::Run { run_id, files: inputs, settings } => {
            INTERACTIONS.with(|kept| *kept.borrow_mut() = None);
            let outcome = with_files(&inputs, &files, |pairs| {
                run_analysis(pairs, &settings, &mut |progress| {
                    post(&Response::Progress { run_id, progress: progress.clone() });
                    true
                })
            });
            let outcome = outcome.map(|outcome| {
                if let Some(interactions) = outcome.interactions {
                    INTERACTIONS.with(|kept| *kept.borrow_mut() = Some((run_id, interactions)));
                }
                outcome.report
            });
            post(&match outcome {
                Ok(report) => match serde_json::to_string(&report) {
                    Ok(report_json) => Response::Finished { run_id, report_json },
                    Err(error) => {
                        Response::Failed { run_id, error: format!("the report could not be written: {error}") }
                    }
                },
                Err(error) => Response::Failed { run_id, error },
            });
        }
        Request::Detail { files: inputs, settings, seed, perturbation } => {
            post(&match with_files(&inputs, &files, |pairs| detail(pairs, &settings, seed, &perturbation)) {
                Ok(detail) => Response::Detail { detail: Box::new(detail) },
                Err(error) => Response::RequestFailed { error },
            });
        }
        Request::Interactions { run_id, thresholds } => {
            let report = INTERACTIONS.with(|kept| {
                kept.borrow()
                    .as_ref()
                    .filter(|(kept_run, _)| *kept_run == run_id)
                    .map(|(_, inputs)| interaction_report(inputs, thresholds))
            });
            post(&match report {
                Some(report) => Response::Interactions { run_id, report: Box::new(report) },
                None => Response::RequestFailed {
                    error: "the scores of this run are no longer in memory (the run was cancelled or replaced); \
                            run the benchmark again"
                        .into(),
                },
            });
        }
        Request::ExportBaselines { files: inputs, settings, seed } => {
            post(&match with_files(&inputs, &files, |pairs| export_baselines(pairs, &settings, seed)) {
                Ok(files) => Response::Exported { files },
                Err(error) => Response::RequestFailed { error },
            });
        }
    }
}

fn main() {
    console_error_panic_hook::set_once();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let data = event.data();
        let request = js_sys::Reflect::get(&data, &"request".into()).ok();
        let files: Vec<File> = js_sys::Reflect::get(&data, &"files".into())
            .ok()
            .and_then(|files| files.dyn_into::<js_sys::Array>().ok())
            .map(|files| files.iter().filter_map(|file| file.dyn_into::<File>().ok()).collect())
            .unwrap_or_default();
        match request.map(serde_wasm_bindgen::from_value::<Request>) {
            Some(Ok(request)) => handle(request, files),
            _ => web_sys::console::error_1(&"the worker received a message it does not understand".into()),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&Response::Ready);
}
