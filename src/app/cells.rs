//! The h5ad part of a file card: the pseudobulk's choices (matrix, scale, condition and gene columns, the
//! cells kept, the minimum of cells), the conditions found with their cells, and the progress of a reading
//! with its cancel button. A changed choice pseudobulks the file again in the worker.

use super::state::{use_state, AppState, RunState};
use super::worker_client::{ask_download, inspect, read_again, restart};
use leptos::prelude::*;
use perturb_check::inspect::CellsSummary;
use perturb_check::protocol::Query;
use perturb_check::pseudobulk::{PseudobulkOptions, Scale};
use perturb_check::readers::h5ad::MatrixEncoding;

/// Pseudobulks file `id` again with `options`; the card shows the progress until the worker answers.
pub fn repseudobulk(state: AppState, id: u32, options: PseudobulkOptions) {
    inspect(state, id, Some(options));
}

/// Stops the reading of file `id` by restarting the worker. A file read before keeps its last pseudobulk
/// (the worker reads it again, with those choices, when a run needs it); other files being read are asked
/// for again; a run in progress stops.
pub fn cancel_reading(state: AppState, id: u32) {
    restart(state);
    if matches!(state.run_state.get_untracked(), RunState::Running { .. }) {
        state.run_state.set(RunState::Idle);
    }
    state.files.update(|files| files.stop_reading(id, "Reading cancelled. Remove the file and add it again to retry."));
    read_again(state, Some(id));
}

/// The progress of reading an h5ad file, with a cancel button.
#[component]
pub fn ReadingProgress(id: u32) -> impl IntoView {
    let state = use_state();
    let reading = move || state.files.with(|files| files.get(id).and_then(|e| e.progress()));
    view! {
        <Show when=move || reading().is_some()>
            <div class="reading" data-testid="reading-progress">
                <progress max=move || reading().map_or(1, |(_, total)| total.max(1)) value=move || reading().map_or(0, |(done, _)| done)></progress>
                <span class="hint">{move || reading().map(|(done, total)| format!("Pseudobulking: {} of {total}", done.min(total))).unwrap_or_default()}</span>
                <button class="secondary small" data-testid="cancel-reading" on:click=move |_| cancel_reading(state, id)>"Cancel"</button>
            </div>
        </Show>
    }
}

fn encoding_name(encoding: MatrixEncoding) -> &'static str {
    match encoding {
        MatrixEncoding::Dense => "dense",
        MatrixEncoding::Csr => "sparse CSR",
        MatrixEncoding::Csc => "sparse CSC",
    }
}

fn scale_value(scale: Scale) -> &'static str {
    match scale {
        Scale::AsIs => "as-is",
        Scale::NormalizeCounts => "counts",
        Scale::NormalizeCountsMedian => "counts-median",
    }
}

/// A select over `choices` (value, label) whose current value is `current`; `on_pick` gets the value chosen.
fn choice_select(
    testid: &'static str,
    choices: Vec<(String, String)>,
    current: String,
    on_pick: impl Fn(String) + 'static,
) -> impl IntoView {
    view! {
        <select data-testid=testid on:change=move |event| on_pick(event_target_value(&event))>
            {choices
                .into_iter()
                .map(|(value, label)| {
                    let selected = value == current;
                    view! { <option value=value selected=selected>{label}</option> }
                })
                .collect_view()}
        </select>
    }
}

/// The pseudobulk's choices and the conditions found, for the h5ad file `id`.
#[component]
pub fn CellsPanel(id: u32) -> impl IntoView {
    let state = use_state();
    let entry = Memo::new(move |_| state.files.with(|files| files.get(id).cloned()));
    let cells = move || entry.with(|entry| entry.as_ref().and_then(|e| e.summary()?.cells.clone()));
    let busy = move || entry.with(|entry| entry.as_ref().is_some_and(|e| e.progress().is_some()));
    let export_error = RwSignal::new(None::<String>);
    let export = move |n_cells: bool| {
        leptos::task::spawn_local(async move {
            export_error.set(ask_download(state, Query::ExportPseudobulk { id, n_cells }).await.err());
        });
    };
    // While a reading runs the progress shows instead; the choices are then built afresh, so a cancelled
    // choice does not linger in a select.
    move || {
        if busy() {
            return None;
        }
        let cells: CellsSummary = cells()?;
        let options = cells.options.clone();
        let file = cells.file.clone();
        let change = move |edit: Box<dyn Fn(&mut PseudobulkOptions)>| {
            let mut options = options.clone();
            edit(&mut options);
            repseudobulk(state, id, options);
        };

        let matrices: Vec<(String, String)> = file
            .matrices
            .iter()
            .map(|m| {
                let kind = if m.looks_like_counts { "integer counts" } else { "not counts" };
                (m.path.clone(), format!("{} ({}, {kind})", m.path, encoding_name(m.encoding)))
            })
            .collect();
        let detected_counts = file.matrices.iter().any(|m| m.path == cells.options.matrix && m.looks_like_counts);
        let pick_matrix = {
            let change = change.clone();
            let contents = file.clone();
            move |path: String| {
                let contents = contents.clone();
                change(Box::new(move |o| o.choose_matrix(&contents, &path)))
            }
        };
        let scales = vec![
            ("as-is".to_string(), "Log-normalised: averaged as stored".to_string()),
            ("counts".to_string(), "Counts: ln(1 + 1e4·counts/total) per cell, then averaged".to_string()),
            (
                "counts-median".to_string(),
                "Counts: ln(1 + m·counts/total), m the median total (scanpy's and cell-eval's default)".to_string(),
            ),
        ];
        let pick_scale = {
            let change = change.clone();
            move |value: String| {
                let scale = match value.as_str() {
                    "counts" => Scale::NormalizeCounts,
                    "counts-median" => Scale::NormalizeCountsMedian,
                    _ => Scale::AsIs,
                };
                change(Box::new(move |o| o.scale = scale))
            }
        };
        let detected_scale =
            if detected_counts { "detected: integer counts" } else { "detected: not integer counts (log-normalised)" };
        let obs_choices: Vec<(String, String)> =
            file.obs_columns.iter().map(|c| (c.name.clone(), format!("{} ({} values)", c.name, c.n_values))).collect();
        let pick_condition = {
            let change = change.clone();
            move |column: String| change(Box::new(move |o| o.condition_column = column.clone()))
        };
        let gene_choices: Vec<(String, String)> = file.gene_columns.iter().map(|c| (c.clone(), c.clone())).collect();
        let pick_genes = {
            let change = change.clone();
            move |column: String| change(Box::new(move |o| o.gene_column = column.clone()))
        };
        // Cells kept: all, or those of one value of a cell-type / cell-line column.
        let type_column = cells.options.cell_type.as_ref().map(|(c, _)| c.clone()).or(file.cell_type_column.clone());
        let type_choices: Option<Vec<(String, String)>> = type_column.as_ref().and_then(|column| {
            let info = file.obs_columns.iter().find(|c| c.name == *column)?;
            let mut choices = vec![(String::new(), format!("all cells, pooled ({} values)", info.n_values))];
            choices.extend(info.values.iter().zip(&info.counts).map(|(v, n)| (v.clone(), format!("{v} ({n} cells)"))));
            Some(choices)
        });
        let current_type = cells.options.cell_type.as_ref().map(|(_, v)| v.clone()).unwrap_or_default();
        let pick_type = {
            let change = change.clone();
            let column = type_column.clone().unwrap_or_default();
            move |value: String| {
                let column = column.clone();
                change(Box::new(move |o| {
                    o.cell_type = (!value.is_empty()).then(|| (column.clone(), value.clone()));
                }))
            }
        };
        let min_cells = cells.options.min_cells;
        let set_min_cells = move |event: leptos::ev::Event| {
            // Only the flags change: no new reading.
            let Ok(value) = event_target_value(&event).trim().parse::<usize>() else { return };
            state.files.update(|files| files.set_min_cells(id, value));
        };
        let few: Vec<String> = cells.few_cells(min_cells).iter().map(|(c, _)| c.clone()).collect();
        let summary_line = format!(
            "{} conditions · {} with fewer than {min_cells} cells · {} label(s) left out",
            cells.conditions.len(),
            few.len(),
            cells.excluded.len()
        );
        let condition_items = cells
            .conditions
            .iter()
            .map(|(name, n)| {
                let flagged = few.contains(name);
                let text =
                    if flagged { format!("{name}: {n} ⚠ fewer than {min_cells}") } else { format!("{name}: {n}") };
                view! { <li class:few=flagged data-few=flagged.to_string()>{text}</li> }
            })
            .collect_view();
        let excluded_items = cells
            .excluded
            .iter()
            .map(|(name, n)| view! { <li class="excluded">{format!("{name}: {n} (left out)")}</li> })
            .collect_view();
        let cell_type_label = format!("Cells (obs '{}')", type_column.clone().unwrap_or_default());
        Some(view! {
            <fieldset class="cells-options" data-testid="cells-options">
                <label class="field">
                    <span>"Matrix"</span>
                    {choice_select("cells-matrix", matrices, cells.options.matrix.clone(), pick_matrix)}
                </label>
                <label class="field">
                    <span>"Scale " <small class="hint">"(" {detected_scale} ")"</small></span>
                    {choice_select("cells-scale", scales, scale_value(cells.options.scale).to_string(), pick_scale)}
                </label>
                <label class="field">
                    <span>"Conditions from obs"</span>
                    {choice_select("cells-condition-column", obs_choices, cells.options.condition_column.clone(), pick_condition)}
                </label>
                <label class="field">
                    <span>"Gene names from var"</span>
                    {choice_select("cells-gene-column", gene_choices, cells.options.gene_column.clone(), pick_genes)}
                </label>
                {type_choices.map(|choices| view! {
                    <label class="field">
                        <span>{cell_type_label.clone()}</span>
                        {choice_select("cells-cell-type", choices, current_type.clone(), pick_type.clone())}
                    </label>
                })}
                <label class="field">
                    <span>"Flag conditions with fewer cells than"</span>
                    <input type="number" min="1" data-testid="cells-min-cells" prop:value=min_cells.to_string() on:change=set_min_cells />
                </label>
            </fieldset>
            <details class="cells-conditions" data-testid="cells-conditions">
                <summary>{summary_line}</summary>
                <ul>{condition_items}{excluded_items}</ul>
            </details>
            <div class="exports">
                <button class="secondary small" data-testid="export-pseudobulk"
                    on:click=move |_| export(false)>"pseudobulk.csv"</button>
                <button class="secondary small" data-testid="export-n-cells"
                    on:click=move |_| export(true)>"n_cells.csv"</button>
            </div>
            <Show when=move || export_error.get().is_some()>
                <p role="alert" class="error">{move || export_error.get().unwrap_or_default()}</p>
            </Show>
        })
    }
}
