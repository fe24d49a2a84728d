//! The Web Worker: reads dropped files and runs the engine off the page's thread. It speaks the messages of
//! `perturb_check::protocol`; a run cannot be interrupted from inside, so the page cancels by terminating
//! the worker and starting a new one.

use perturb_check::analysis::{run_analysis, ExportedFile, InputFile, KeptRun};
use perturb_check::benchmark::Progress;
use perturb_check::conditions::ConditionRules;
use perturb_check::error::RunError;
use perturb_check::inspect::inspect;
use perturb_check::inspect::FileRole;
use perturb_check::load::{load_cells, load_file, needing_de_pass, DeState, JsonFile, LoadedFile, HDF5_SIGNATURE};
use perturb_check::protocol::{Query, Reply, Request, Response};
use perturb_check::pseudobulk::{n_cells_csv, pseudobulk_csv, PseudobulkOptions};
use perturb_check::readers::check_text_size;
use perturb_check::readers::h5ad::H5ad;
use perturb_check::simulator::{simulate, PSEUDOBULK_FILE};
use perturb_check::truth::detection_by_cells;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DedicatedWorkerGlobalScope, File, FileReaderSync, MessageEvent};

thread_local! {
    /// Files already read, by the page's file id.
    static CACHE: RefCell<HashMap<u32, Cached>> = RefCell::new(HashMap::new());
    /// Files being read on demand (h5ad), by file id, with the last blocks read from each.
    static OPEN_FILES: RefCell<HashMap<u32, OpenFile>> = RefCell::new(HashMap::new());
    /// The latest finished runs by run id, the newest last: queries are answered from them.
    static RUNS: RefCell<Vec<(u32, KeptRun)>> = const { RefCell::new(Vec::new()) };
    /// The files of the latest simulated screen, read already, until the page asks for them by handle.
    static MADE: RefCell<Vec<Made>> = const { RefCell::new(Vec::new()) };
    /// The `lastModified` of the latest handles made here (each batch gets a new one).
    static LAST_STAMP: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// A file the worker made (a simulated screen's) and has read: claimed by the first reading of a handle with
/// its name, size and time.
struct Made {
    name: String,
    size: f64,
    time: f64,
    loaded: LoadedFile,
}

/// Runs kept: the page shows one, and a query about the one before may still be on its way. Each holds its
/// data and predictions (a Norman-scale run about 40 MB), so no more.
const KEPT_RUNS: usize = 2;

/// A file read, with what identifies that reading: the file's size and time (a replaced file re-reads); an
/// h5ad file's pseudobulk also records the choices and condition rules it was made with.
struct Cached {
    size: f64,
    time: f64,
    loaded: LoadedFile,
}

/// A file read on demand and the blocks last read from it (offset and bytes), the most recent first.
type OpenFile = (File, Vec<(u64, Vec<u8>)>);

/// Blocks kept per open file: a CSR window reads `data` and `indices`, which lie apart in the file, so one
/// block would be read again and again.
const KEPT_BLOCKS: usize = 4;

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(response: &Response) {
    post_with_files(response, Vec::new());
}

/// Posts `response` with `files` beside it (as its `files` property).
fn post_with_files(response: &Response, files: Vec<File>) {
    match serde_wasm_bindgen::to_value(response) {
        Ok(value) => {
            if !files.is_empty() {
                let array: js_sys::Array = files.into_iter().collect();
                let _ = js_sys::Reflect::set(&value, &"files".into(), &array);
            }
            let _ = scope().post_message(&value);
        }
        Err(error) => web_sys::console::error_1(&format!("cannot send a message: {error}").into()),
    }
}

/// The simulator's files for `settings` as handles, each read at once and kept in [`MADE`] (replacing the
/// previous screen's) so that the page's reading of the handle takes it instead of reading the text again.
fn simulate_as_handles(settings: &perturb_check::simulator::SimulatorSettings) -> Result<Vec<File>, String> {
    let screen = simulate(settings)?;
    let stamp = LAST_STAMP.with(|last| {
        let stamp = js_sys::Date::now().floor().max(last.get() + 1.0);
        last.set(stamp);
        stamp
    });
    let options = web_sys::FilePropertyBag::new();
    options.set_last_modified(stamp);
    let mut made = Vec::new();
    let mut handles = Vec::new();
    for (name, text) in screen.files() {
        // The bytes go to the file as they are (no JS string made of them and encoded again).
        let parts: js_sys::Array = std::iter::once(js_sys::Uint8Array::from(text.as_bytes())).collect();
        let file = File::new_with_u8_array_sequence_and_options(&parts, &name, &options)
            .map_err(|_| format!("{name}: this browser cannot make a file in a worker"))?;
        let loaded = if name == PSEUDOBULK_FILE {
            LoadedFile::Table(screen.pseudobulk_table())
        } else if let Some(vectors) = screen.prediction_vectors(&name) {
            LoadedFile::Json(JsonFile::with_vectors(text.into_bytes(), vectors))
        } else {
            load_file(&name, text.as_bytes(), &ConditionRules::default()).map_err(|error| error.to_string())?
        };
        made.push(Made { name, size: file.size(), time: file.last_modified(), loaded });
        handles.push(file);
    }
    MADE.with(|slot| *slot.borrow_mut() = made);
    Ok(handles)
}

/// The bytes of `blob` (the file itself or a slice of it), named after `file` in errors.
fn read_blob(file: &File, blob: &Blob) -> Result<Vec<u8>, String> {
    let reader = FileReaderSync::new().map_err(|_| "this browser cannot read files in a worker".to_string())?;
    let buffer = reader
        .read_as_array_buffer(blob)
        .map_err(|_| format!("{}: the file could not be read (was it moved or deleted?)", file.name()))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

fn read_bytes(file: &File) -> Result<Vec<u8>, String> {
    read_blob(file, file)
}

/// Bytes `[start, end)` of a file, through `Blob.slice` (the rest of the file is not read).
fn read_range(file: &File, start: u64, end: u64) -> Result<Vec<u8>, String> {
    let blob =
        file.slice_with_f64_and_f64(start as f64, end as f64).map_err(|_| "the file cannot be sliced".to_string())?;
    read_blob(file, &blob)
}

/// Reads of at least this many bytes: HDF5 asks for chunks a few hundred KB at a time, and each
/// `FileReaderSync` call has a fixed cost, so neighbouring chunks are read in one go and served from memory.
const READ_BLOCK: u64 = 8 << 20;

/// An h5ad file in the worker, read on demand: the handle stays in `OPEN_FILES` (it cannot cross threads, so
/// the source holds only its id).
struct BlobSource {
    id: u32,
    len: u64,
}

impl hdf5_pure::Source for BlobSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), hdf5_pure::FormatError> {
        let end = offset + buf.len() as u64;
        if end > self.len {
            return Err(hdf5_pure::FormatError::Source(format!(
                "read past the end of the file ({end} > {})",
                self.len
            )));
        }
        OPEN_FILES.with(|open| {
            let mut open = open.borrow_mut();
            let (file, blocks) = open
                .get_mut(&self.id)
                .ok_or_else(|| hdf5_pure::FormatError::Source("the file is no longer open".into()))?;
            let found = blocks.iter().position(|(start, bytes)| offset >= *start && end <= start + bytes.len() as u64);
            let block = match found {
                Some(position) => blocks.remove(position),
                None => {
                    let block_end = (offset + READ_BLOCK.max(buf.len() as u64)).min(self.len);
                    (offset, read_range(file, offset, block_end).map_err(hdf5_pure::FormatError::Source)?)
                }
            };
            let from = (offset - block.0) as usize;
            buf.copy_from_slice(&block.1[from..from + buf.len()]);
            blocks.insert(0, block);
            blocks.truncate(KEPT_BLOCKS);
            Ok(())
        })
    }
}

/// The bytes of wasm memory the worker holds (it grows and never shrinks: this is the peak).
fn memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|memory| memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64)
        .unwrap_or(0.0)
}

/// Opens an h5ad file for reading on demand and pseudobulks it with `pseudobulk` (`None`: the detected choices),
/// reporting progress; only the parts it needs are read.
fn load_h5ad(
    id: u32,
    name: &str,
    file: &File,
    pseudobulk: Option<&PseudobulkOptions>,
    rules: &ConditionRules,
) -> Result<LoadedFile, String> {
    OPEN_FILES.with(|open| open.borrow_mut().insert(id, (file.clone(), Vec::new())));
    let mut on_progress = |done: usize, total: usize| {
        post(&Response::Reading { id, done, total, memory_bytes: memory_bytes() });
    };
    let outcome = H5ad::from_source(name, BlobSource { id, len: file.size() as u64 })
        .and_then(|h5ad| load_cells(&h5ad, pseudobulk, rules, &mut on_progress))
        .map_err(|error| error.to_string());
    OPEN_FILES.with(|open| open.borrow_mut().remove(&id));
    outcome
}

/// The loaded file for `id`, read now unless the cache holds this very file read the same way: tables and JSON
/// whatever the rules (they are applied when a run reads them), cells only when pseudobulked with the same
/// choices (`None`: whatever they were) under the same condition rules.
fn loaded(
    id: u32,
    name: &str,
    file: &File,
    pseudobulk: Option<&PseudobulkOptions>,
    rules: &ConditionRules,
) -> Result<(), String> {
    let (size, time) = (file.size(), file.last_modified());
    let cached = CACHE.with(|cache| {
        cache.borrow().get(&id).is_some_and(|c| {
            let same_reading = match &c.loaded {
                LoadedFile::Cells(data) => data.made_as(pseudobulk, rules),
                LoadedFile::Table(_) | LoadedFile::Json(_) => true,
            };
            (c.size, c.time) == (size, time) && same_reading
        })
    });
    let made = (!cached)
        .then(|| {
            MADE.with(|made| {
                let mut made = made.borrow_mut();
                let position = made.iter().position(|m| (m.name.as_str(), m.size, m.time) == (name, size, time))?;
                Some(made.swap_remove(position).loaded)
            })
        })
        .flatten();
    if let Some(loaded) = made {
        CACHE.with(|cache| cache.borrow_mut().insert(id, Cached { size, time, loaded }));
    } else if !cached {
        let loaded = if read_range(file, 0, HDF5_SIGNATURE.len().min(file.size() as usize) as u64)? == HDF5_SIGNATURE {
            load_h5ad(id, name, file, pseudobulk, rules)?
        } else {
            // Checked before reading: a file too large to hold is refused, not a dead tab.
            check_text_size(name, file.size() as u64).map_err(|error| error.to_string())?;
            load_file(name, &read_bytes(file)?, rules).map_err(|error| error.to_string())?
        };
        CACHE.with(|cache| cache.borrow_mut().insert(id, Cached { size, time, loaded }));
    }
    Ok(())
}

/// Runs the DE pass (a new reading of the file, in batches) of the files of the run that need one
/// ([`needing_de_pass`]), reporting it as a step of the run. A failure is kept with the file and told by the
/// run, which goes on without the DE metrics.
fn de_passes(run_id: u32, inputs: &[InputFile], files: &[File]) {
    let needing = CACHE.with(|cache| {
        let cache = cache.borrow();
        let pairs: Option<Vec<(FileRole, &LoadedFile)>> =
            inputs.iter().map(|input| cache.get(&input.id).map(|c| (input.role, &c.loaded))).collect();
        pairs.map(|pairs| needing_de_pass(&pairs)).unwrap_or_default()
    });
    for position in needing {
        let (input, file) = (&inputs[position], &files[position]);
        OPEN_FILES.with(|open| open.borrow_mut().insert(input.id, (file.clone(), Vec::new())));
        let h5ad = H5ad::from_source(&input.name, BlobSource { id: input.id, len: file.size() as u64 });
        let step = format!("differential expression of {}", input.name);
        CACHE.with(|cache| {
            if let Some(Cached { loaded: LoadedFile::Cells(cells), .. }) = cache.borrow_mut().get_mut(&input.id) {
                match &h5ad {
                    Ok(h5ad) => cells.run_de(h5ad, &mut |done, total| {
                        let progress = Progress { step: step.clone(), done, total };
                        post(&Response::Progress { run_id, progress, memory_bytes: memory_bytes() });
                    }),
                    Err(error) => cells.de = DeState::Failed(error.to_string()),
                }
            }
        });
        OPEN_FILES.with(|open| open.borrow_mut().remove(&input.id));
    }
}

/// Reads (or takes from the cache) every file of run `run_id`, runs the DE pass of its cells where it has not
/// run, then runs `work` on them.
fn with_files<T>(
    run_id: u32,
    inputs: &[InputFile],
    files: &[File],
    rules: &ConditionRules,
    work: impl FnOnce(&[(InputFile, &LoadedFile)]) -> Result<T, RunError>,
) -> Result<T, String> {
    if inputs.len() != files.len() {
        return Err("the page sent a request without its files".into());
    }
    for (input, file) in inputs.iter().zip(files) {
        loaded(input.id, &input.name, file, input.pseudobulk.as_ref(), rules)?;
    }
    de_passes(run_id, inputs, files);
    CACHE.with(|cache| {
        let cache = cache.borrow();
        let pairs: Vec<_> = inputs.iter().map(|input| (input.clone(), &cache[&input.id].loaded)).collect();
        work(&pairs).map_err(|error| error.to_string())
    })
}

fn handle(request: Request, files: Vec<File>) {
    match request {
        Request::Inspect { id, name, pseudobulk, rules } => {
            let outcome = files
                .first()
                .ok_or("no file was sent".to_string())
                .and_then(|file| loaded(id, &name, file, pseudobulk.as_ref(), &rules));
            let response = match outcome {
                Ok(()) => CACHE.with(|cache| {
                    let cache = cache.borrow();
                    let loaded = &cache[&id].loaded;
                    Response::Inspected { id, summary: Box::new(inspect(&name, loaded, &rules)) }
                }),
                Err(error) => Response::InspectFailed { id, error },
            };
            post(&response);
        }
        Request::Forget { id } => {
            CACHE.with(|cache| cache.borrow_mut().remove(&id));
        }
        Request::Run { run_id, files: inputs, settings } => {
            let outcome = with_files(run_id, &inputs, &files, &settings.rules, |pairs| {
                run_analysis(pairs, &settings, &mut |progress| {
                    post(&Response::Progress { run_id, progress: progress.clone(), memory_bytes: memory_bytes() });
                })
            });
            let outcome = outcome.map(|(report, kept)| {
                RUNS.with(|runs| {
                    let mut runs = runs.borrow_mut();
                    runs.push((run_id, kept));
                    let excess = runs.len().saturating_sub(KEPT_RUNS);
                    runs.drain(..excess);
                });
                report
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
        Request::Query { request_id, query: Query::SimulateAsHandles { settings } } => {
            let (outcome, handles) = match simulate_as_handles(&settings) {
                Ok(handles) => (Ok(Reply::Handles(handles.len())), handles),
                Err(error) => (Err(error), Vec::new()),
            };
            let reply_json = serde_json::to_string(&outcome)
                .unwrap_or_else(|error| format!(r#"{{"Err":"the answer could not be written: {error}"}}"#));
            post_with_files(&Response::Reply { request_id, reply_json }, handles);
        }
        Request::Query { request_id, query } => {
            let reply_json = serde_json::to_string(&answer(query))
                .unwrap_or_else(|error| format!(r#"{{"Err":"the answer could not be written: {error}"}}"#));
            post(&Response::Reply { request_id, reply_json })
        }
        Request::DebugPanic => panic!("a panic asked for by the page (?debug), to test the recovery"),
    }
}

/// Answers a query from the kept runs and files; nothing is read, prepared or fitted again.
fn answer(query: Query) -> Result<Reply, String> {
    let with_run =
        |run_id: u32, work: &dyn Fn(&KeptRun) -> Result<Reply, String>| {
            RUNS.with(|runs| match runs.borrow().iter().find(|(id, _)| *id == run_id) {
                Some((_, kept)) => work(kept),
                None => Err("this run is no longer in memory (it was cancelled or replaced): run the benchmark again"
                    .to_string()),
            })
        };
    match query {
        Query::Detail { run_id, seed, perturbation } => with_run(run_id, &|kept| {
            kept.detail(seed, &perturbation).map(|detail| Reply::Detail(Box::new(detail))).map_err(|e| e.to_string())
        }),
        Query::ExportBaselines { run_id, seed } => {
            with_run(run_id, &|kept| kept.export_baselines(seed).map(Reply::Files).map_err(|e| e.to_string()))
        }
        Query::Interactions { run_id, thresholds } => with_run(run_id, &|kept| {
            kept.interactions(thresholds)
                .map(|report| Reply::Interactions(Box::new(report)))
                .ok_or_else(|| "this run has no interaction scores".to_string())
        }),
        Query::Conventions { run_id, pairwise_always } => with_run(run_id, &|kept| {
            kept.conventions(pairwise_always)
                .map(|report| Reply::Conventions(Box::new(report.without_points())))
                .map_err(|e| e.to_string())
        }),
        Query::MetricValues { run_id, convention, metric } => {
            with_run(run_id, &|kept| match kept.metric_values(&convention, &metric) {
                Ok(Some(values)) => Ok(Reply::MetricValues(Box::new(values))),
                Ok(None) => Err(format!("there is no metric {metric} of convention {convention}")),
                Err(error) => Err(error.to_string()),
            })
        }
        Query::ExportConventions { run_id, export } => with_run(run_id, &|kept| {
            kept.export_conventions(&export).map(|file| Reply::Files(vec![file])).map_err(|e| e.to_string())
        }),
        Query::Volcano { run_id, perturbation, method } => with_run(run_id, &|kept| {
            kept.volcano(&perturbation, method.as_deref())
                .map(|volcano| Reply::Volcano(Box::new(volcano)))
                .map_err(|e| e.to_string())
        }),
        Query::DegTable { run_id, method } => {
            with_run(run_id, &|kept| kept.deg_table(&method).map(Reply::DegTable).map_err(|e| e.to_string()))
        }
        Query::ExportDe { id, file_name } => CACHE.with(|cache| match cache.borrow().get(&id) {
            Some(Cached { loaded: LoadedFile::Cells(cells), .. }) => match &cells.de {
                DeState::Done(table) => {
                    Ok(Reply::Files(vec![ExportedFile { name: file_name, text: table.csv(&cells.pseudobulk) }]))
                }
                DeState::Failed(reason) => Err(format!("no differential expression: {reason}")),
                DeState::NotYet => Err("the differential expression is computed by a run with this file as data or \
                    prediction (and the data as cells): run the benchmark first"
                    .into()),
            },
            _ => Err("this file is not cells read by the worker (it was removed, or the worker restarted): run the \
                benchmark again"
                .into()),
        }),
        Query::ExportPseudobulk { id, n_cells } => CACHE.with(|cache| match cache.borrow().get(&id) {
            Some(Cached { loaded: LoadedFile::Cells(cells), .. }) => {
                let (name, text) = if n_cells {
                    ("n_cells.csv", n_cells_csv(&cells.pseudobulk))
                } else {
                    ("pseudobulk.csv", pseudobulk_csv(&cells.pseudobulk))
                };
                Ok(Reply::Files(vec![ExportedFile { name: name.into(), text }]))
            }
            _ => Err("this file is not an h5ad file the worker has read".into()),
        }),
        Query::Simulate { settings } => simulate(&settings).map(|screen| {
            Reply::Files(screen.files().into_iter().map(|(name, text)| ExportedFile { name, text }).collect())
        }),
        Query::SimulateAsHandles { .. } => Err("file handles are answered beside the message".into()),
        Query::Detection { settings, cells, n_genes, thresholds } => {
            Ok(Reply::Detection(detection_by_cells(&settings, &cells, n_genes, thresholds)))
        }
    }
}

fn main() {
    // A panic is a defect: tell the page (which restarts the worker and offers the details to report), then
    // let it abort as usual.
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        post(&Response::Crashed { details: info.to_string() });
    }));
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
