//! The file area: the drop zone and pickers, one card per file (what was detected, and the controls to change
//! its role, method and seed), and the prompt for a control no rule recognised.

use super::cells::{CellsPanel, ReadingProgress};
use super::state::{use_state, AppState};
use super::worker_client::inspect;
use leptos::prelude::*;
use perturb_check::inspect::FileRole;
use wasm_bindgen::JsCast;
use web_sys::File;

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
// Every file of a drop, folders walked to any depth, as [file, path] pairs. The entries are taken before the
// first await: a drop's items are readable only during the event.
export async function droppedFiles(transfer) {
  const entries = [...transfer.items]
    .filter((item) => item.kind === "file")
    .map((item) => ({ entry: item.webkitGetAsEntry ? item.webkitGetAsEntry() : null, file: item.getAsFile() }));
  const found = [];
  async function walk(entry, file) {
    if (!entry) {
      // No entry (a synthetic drop, an older browser): the item's file as it is.
      if (file) found.push([file, file.name]);
      return;
    }
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      found.push([file, entry.fullPath.replace(/^\//, "")]);
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, null);
      }
    }
  }
  for (const { entry, file } of entries) await walk(entry, file);
  return found;
}
"#)]
extern "C" {
    #[wasm_bindgen::prelude::wasm_bindgen(js_name = droppedFiles)]
    async fn dropped_files(transfer: &web_sys::DataTransfer) -> wasm_bindgen::JsValue;
}

/// The files of a drop with their paths (a dropped folder in the paper's layout keeps `<method>/...`).
async fn files_of_drop(transfer: web_sys::DataTransfer) -> Vec<(File, String)> {
    let pairs: js_sys::Array = dropped_files(&transfer).await.unchecked_into();
    pairs
        .iter()
        .filter_map(|pair| {
            let pair: js_sys::Array = pair.dyn_into().ok()?;
            Some((pair.get(0).dyn_into::<File>().ok()?, pair.get(1).as_string()?))
        })
        .collect()
}

/// The name a file is known by: its path inside a chosen folder, else its name.
fn display_name(file: &File) -> String {
    let relative = js_sys::Reflect::get(file, &"webkitRelativePath".into()).ok().and_then(|path| path.as_string());
    relative.filter(|path| !path.is_empty()).unwrap_or_else(|| file.name())
}

/// Adds files from a picker.
pub fn add_files(state: AppState, files: Vec<File>) {
    add_named_files(state, files.into_iter().map(|file| (display_name(&file), file)).collect());
}

/// Adds files under the given names (a file with the same name as one already there replaces it) and asks the
/// worker to read each.
fn add_named_files(state: AppState, files: Vec<(String, File)>) {
    for (name, file) in files {
        if super::report::import_if_report(state, &name, &file) {
            continue;
        }
        let mut id = 0;
        state.files.update(|entries| id = entries.add(name, file));
        inspect(state, id, None);
    }
}

pub fn remove_file(state: AppState, id: u32) {
    state.files.update(|entries| entries.remove(id));
    super::worker_client::forget(state, id);
}

pub fn clear_files(state: AppState) {
    state.simulated.set(None);
    state.simulation.update(|count| *count += 1);
    for id in state.files.with_untracked(|entries| entries.ids()) {
        remove_file(state, id);
    }
}

/// Adds the files chosen in a picker, then clears it so the same file can be chosen again.
fn add_picked_files(state: AppState, event: &leptos::ev::Event) {
    let input: web_sys::HtmlInputElement = event_target(event);
    add_files(state, files_of(input.files()));
    input.set_value("");
}

fn files_of(list: Option<web_sys::FileList>) -> Vec<File> {
    let Some(list) = list else { return vec![] };
    (0..list.length()).filter_map(|index| list.get(index)).collect()
}

fn human_size(bytes: f64) -> String {
    match bytes {
        b if b >= 1e9 => format!("{:.1} GB", b / 1e9),
        b if b >= 1e6 => format!("{:.1} MB", b / 1e6),
        b if b >= 1e3 => format!("{:.0} kB", b / 1e3),
        b => format!("{b:.0} B"),
    }
}

/// The drop zone with the file and folder pickers.
#[component]
pub fn DropZone() -> impl IntoView {
    let state = use_state();
    let dragging = RwSignal::new(false);
    // `webkitdirectory` (choose a whole folder) is not an attribute the view macro knows.
    let folder_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = folder_input.get() {
            let _ = input.set_attribute("webkitdirectory", "");
        }
    });
    let on_drop = move |event: web_sys::DragEvent| {
        event.prevent_default();
        dragging.set(false);
        if let Some(transfer) = event.data_transfer() {
            leptos::task::spawn_local(async move {
                let files = files_of_drop(transfer).await;
                add_named_files(state, files.into_iter().map(|(file, path)| (path, file)).collect());
            });
        }
    };
    view! {
        <section
            id="drop-zone"
            class="drop-zone"
            class:dragging=move || dragging.get()
            on:dragover=move |event: web_sys::DragEvent| {
                event.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
            aria-label="Add files"
        >
            <p class="drop-title">"Drop your files here"</p>
            <p class="hint">
                "A pseudobulk table (genes × conditions, log-normalised, with a control), predictions as tables or in the paper's "
                <code>"all_predictions.json"</code> " + " <code>"gene_names.json"</code>
                " format, optionally a split or embeddings. CSV, TSV, gzip, or AnnData .h5ad cells (pseudobulked here)."
            </p>
            <div class="pickers">
                <label class="button">
                    "Choose files"
                    <input
                        type="file"
                        multiple
                        data-testid="file-input"
                        class="visually-hidden"
                        on:change=move |event| add_picked_files(state, &event)
                    />
                </label>
                <label class="button secondary">
                    "Choose a folder"
                    <input
                        type="file"
                        multiple
                        node_ref=folder_input
                        data-testid="folder-input"
                        class="visually-hidden"
                        on:change=move |event| add_picked_files(state, &event)
                    />
                </label>
            </div>
        </section>
    }
}

/// One card per file: what it is, what was detected, and the controls to change its role and method.
#[component]
pub fn FileCard(id: u32) -> impl IntoView {
    let state = use_state();
    let entry = Memo::new(move |_| state.files.with(|files| files.get(id).cloned()));
    let field = move |read: fn(&super::files::FileEntry) -> String| {
        move || entry.with(|entry| entry.as_ref().map(read).unwrap_or_default())
    };
    let role = Memo::new(move |_| state.files.with(|files| files.role(id)));
    let role_value = move || role.get().map(FileRole::as_str).unwrap_or("");
    let set_role = move |event: leptos::ev::Event| {
        let value = event_target_value(&event);
        state.files.update(|files| files.choose_role(id, FileRole::from_value(&value)));
    };
    let is_predictions = move || role.get() == Some(FileRole::Predictions);
    let method_name = Memo::new(move |_| state.files.with(|files| files.method_name(id)));
    let summary = move || entry.with(|entry| entry.as_ref().and_then(|e| e.summary().cloned()));
    let error = move || entry.with(|entry| entry.as_ref().and_then(|e| e.error().map(str::to_string)));
    let reading = move || entry.with(|entry| entry.as_ref().is_some_and(|e| e.progress().is_some()));
    // After a run: how this prediction's genes met the data's.
    let overlap = move || {
        let name = entry.with(|entry| entry.as_ref().map(|e| e.name.clone()))?;
        state.report.with(|report| {
            let found = report.as_ref()?.predictions.iter().find(|p| p.file == name)?;
            let genes = found.genes;
            Some(format!(
                "Genes: {} of the data's {} matched; {} missing, {} extra",
                genes.matched,
                genes.matched + genes.missing,
                genes.missing,
                genes.extra
            ))
        })
    };
    view! {
        <article class="file-card" data-testid="file-card" data-file-name=field(|e| e.name.clone())
            data-wasm-memory=field(|e| e.peak_memory.to_string())>
            <header>
                <h3 class="file-name">{field(|e| e.name.clone())}</h3>
                <span class="file-size">{field(|e| human_size(e.size))}</span>
                <button class="icon" title="Remove this file" aria-label=move || format!("Remove {}", field(|e| e.name.clone())())
                    on:click=move |_| remove_file(state, id)>"×"</button>
            </header>
            <Show when=move || error().is_some()>
                <p role="alert" class="error">{move || error().unwrap_or_default()}</p>
            </Show>
            <Show when=move || summary().is_none() && error().is_none() && !reading()>
                <p class="hint">"Reading…"</p>
            </Show>
            <ReadingProgress id=id />
            <Show when=move || summary().is_some()>
                <label class="field">
                    <span>"Role"</span>
                    <select data-testid="role" prop:value=role_value on:change=set_role>
                        {FileRole::ALL.into_iter().map(|role| view! { <option value=role.as_str()>{role.label()}</option> }).collect_view()}
                    </select>
                </label>
                <dl class="facts">
                    <dt>"Shape"</dt><dd>{move || summary().map(|s| s.shape).unwrap_or_default()}</dd>
                    <Show when=move || summary().and_then(|s| s.convention).is_some()>
                        <dt>"Naming"</dt><dd>{move || summary().and_then(|s| s.convention).unwrap_or_default()}</dd>
                    </Show>
                    <Show when=move || summary().and_then(|s| s.control_label).is_some()>
                        <dt>"Control"</dt><dd>{move || summary().and_then(|s| s.control_label).unwrap_or_default()}</dd>
                    </Show>
                </dl>
                <ControlPrompt id=id />
                <Show when=is_predictions>
                    <div class="prediction-fields">
                        <label class="field">
                            <span>"Method"</span>
                            <input type="text" data-testid="method-name" prop:value=move || method_name.get().map(|name| name.method).unwrap_or_default()
                                on:change=move |event| {
                                    let value = event_target_value(&event);
                                    state.files.update(|files| files.choose_method(id, value));
                                } />
                        </label>
                        <label class="field">
                            <span>"Seed"</span>
                            <input type="number" min="0" placeholder="all" data-testid="method-seed"
                                prop:value=move || method_name.get().and_then(|name| name.seed).map(|seed| seed.to_string()).unwrap_or_default()
                                on:change=move |event| {
                                    let value = event_target_value(&event).trim().parse::<u32>().ok();
                                    state.files.update(|files| files.choose_seed(id, value));
                                } />
                        </label>
                    </div>
                </Show>
                <Show when=move || overlap().is_some()>
                    <p class="overlap" data-testid="gene-overlap">{move || overlap().unwrap_or_default()}</p>
                </Show>
                <ul class="notices">
                    {move || summary().map(|s| s.notices).unwrap_or_default().into_iter().map(|notice| view! { <li>{notice.message}</li> }).collect_view()}
                </ul>
                <CellsPanel id=id />
            </Show>
        </article>
    }
}

/// On the card of a table or h5ad file whose conditions include no recognised control, while no other file is
/// the data: an alert listing its condition labels. Picking one adds it to the control labels (which reads
/// every file again) and makes this file the data.
#[component]
fn ControlPrompt(id: u32) -> impl IntoView {
    let state = use_state();
    let candidates = Memo::new(move |_| state.files.with(|files| files.control_to_pick(id)));
    let pick = move |label: String| {
        state.files.update(|files| files.choose_role(id, Some(FileRole::Data)));
        state.settings.update(|settings| settings.rules.control_labels.push(label));
    };
    move || {
        let missing = candidates.get()?;
        Some(view! {
            <div role="alert" class="control-prompt" data-testid="control-prompt">
                <p>{missing.message}</p>
                <p>"Which of these is the control?"</p>
                <div class="choices">
                    {missing.candidates.into_iter().map(|label| {
                        let chosen = label.clone();
                        view! { <button class="secondary small" data-testid="pick-control" on:click=move |_| pick(chosen.clone())>{label}</button> }
                    }).collect_view()}
                </div>
            </div>
        })
    }
}

/// All file cards.
#[component]
pub fn FileList() -> impl IntoView {
    let state = use_state();
    view! {
        <Show when=move || state.files.with(|files| !files.is_empty())>
            <section class="file-list" aria-label="Files">
                <div class="section-head">
                    <h2>"Files"</h2>
                    <button class="secondary" on:click=move |_| clear_files(state)>"Remove all"</button>
                </div>
                <div class="cards">
                    <For each=move || state.files.with(|files| files.ids()) key=|id| *id let(id)>
                        <FileCard id=id />
                    </For>
                </div>
            </section>
        </Show>
    }
}
