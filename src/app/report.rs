//! The shareable report: `report.html` made by the engine (`perturb_check::report`) from the run as the page
//! shows it, with each input file's SHA-256 computed when it is exported (8 MB reads); and a report dropped
//! back on the page restores its settings.

use super::download::download_text;
use super::files::file_handles;
use super::results::leaderboard_table;
use super::state::{use_state, AppState};
use leptos::prelude::*;
use perturb_check::report::{html, settings_of, BuildInfo, FileHash, FileProvenance, ReportInputs};
use perturb_check::results_table::write_results_csv;
use wasm_bindgen_futures::JsFuture;

/// How much of a file is read at a time for its hash.
const HASH_CHUNK: f64 = 8.0 * 1024.0 * 1024.0;

/// The SHA-256 of `file`, read in 8 MB slices.
async fn sha256(file: &web_sys::File) -> Result<String, String> {
    let mut hash = FileHash::default();
    let size = file.size();
    let mut start = 0.0;
    while start < size {
        let end = (start + HASH_CHUNK).min(size);
        let slice = file.slice_with_f64_and_f64(start, end).map_err(|_| format!("{}: cannot be read", file.name()))?;
        let buffer =
            JsFuture::from(slice.array_buffer()).await.map_err(|_| format!("{}: cannot be read", file.name()))?;
        hash.update(&js_sys::Uint8Array::new(&buffer).to_vec());
        start = end;
    }
    Ok(hash.hex())
}

/// Makes report.html from the current run and offers it as a download.
async fn export(state: AppState, include_results: bool, status: RwSignal<Option<String>>) -> Result<(), String> {
    let ids = state.files.with_untracked(|files| files.ids());
    let mut provenance = Vec::new();
    for (position, id) in ids.iter().enumerate() {
        let Some((name, handle)) = state
            .files
            .with_untracked(|files| files.get(*id).map(|entry| entry.name.clone()))
            .zip(file_handles(&[*id]).pop())
        else {
            continue;
        };
        status.set(Some(format!("Hashing {name} ({} of {})…", position + 1, ids.len())));
        provenance.push(FileProvenance { name, size: handle.size() as u64, sha256: sha256(&handle).await? });
    }
    let report = state.report.get_untracked().ok_or("no run to report")?;
    let comparison = state.comparison.get_untracked();
    let table = untrack(|| leaderboard_table(state)).ok_or("no leaderboard to report")?;
    let results_csv = include_results.then(|| write_results_csv(&report.rows));
    let date = String::from(js_sys::Date::new_0().to_iso_string());
    let conventions = state.conventions.get_untracked();
    let settings = state.settings.get_untracked();
    let styles = state.styles.get_untracked();
    let text = html(&ReportInputs {
        report: &report,
        leaderboard: &table,
        comparison,
        conventions: conventions.as_ref(),
        styles: &styles,
        settings: &settings,
        files: &provenance,
        build: BuildInfo { version: env!("CARGO_PKG_VERSION"), commit: env!("PERTURB_CHECK_COMMIT") },
        date: &date,
        results_csv: results_csv.as_deref(),
    });
    download_text("report.html", &text, "text/html");
    Ok(())
}

/// The report's download button and its one option.
#[component]
pub fn ReportExport() -> impl IntoView {
    let state = use_state();
    let include_results = RwSignal::new(false);
    let status = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    view! {
        <div class="report-export">
            <button data-testid="export-report" disabled=move || status.get().is_some() on:click=move |_| {
                let include = include_results.get_untracked();
                leptos::task::spawn_local(async move {
                    error.set(export(state, include, status).await.err());
                    status.set(None);
                });
            }>"Download report.html"</button>
            <label class="check">
                <input type="checkbox" data-testid="report-include-results" prop:checked=move || include_results.get()
                    on:change=move |event| include_results.set(event_target_checked(&event)) />
                "include results.csv"
            </label>
            <span class="hint" aria-live="polite">{move || status.get().unwrap_or_default()}</span>
            <Show when=move || error.get().is_some()>
                <p role="alert" class="error">{move || error.get().unwrap_or_default()}</p>
            </Show>
        </div>
    }
}

/// Whether `name` is a report, read as one: its settings restored. `false` for any other file.
pub fn import_if_report(state: AppState, name: &str, file: &web_sys::File) -> bool {
    if !name.to_ascii_lowercase().ends_with(".html") && !name.to_ascii_lowercase().ends_with(".htm") {
        return false;
    }
    let (name, file) = (name.to_string(), file.clone());
    leptos::task::spawn_local(async move {
        let text = JsFuture::from(file.text()).await.ok().and_then(|text| text.as_string()).unwrap_or_default();
        match settings_of(&text) {
            Some(Ok(settings)) => {
                state.settings.set(settings);
                state.page_error.set(None);
                state.page_notice.set(Some(format!("{name}: settings restored from the report.")));
            }
            Some(Err(error)) => state.page_error.set(Some(format!("{name}: the report's settings cannot be read ({error}).",))),
            None => state.page_error.set(Some(format!(
                "{name}: an HTML file that is not a Perturb Check report. Drop data, predictions, a split or embeddings \
                 (CSV, TSV, JSON, h5ad), or a report.html made by this page."
            ))),
        }
    });
    true
}
