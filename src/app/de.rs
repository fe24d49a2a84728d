//! The differential-expression panel, shown when the data are cells: one perturbation's volcano plot with a
//! method's significant genes marked, and the DEG overlap of every perturbation as a sortable table (both
//! answered by the worker from the run it kept).

use super::plots::VolcanoPlot;
use super::results::format_number;
use super::state::use_state;
use super::worker_client::ask;
use leptos::prelude::*;
use perturb_check::conventions::celleval_de::{DegRow, Volcano, DEG_TABLE_METRICS};
use perturb_check::protocol::{Query, Reply};

/// The table's column headers, in the order of [`DEG_TABLE_METRICS`].
const HEADERS: [&str; 6] =
    ["significant (data)", "significant (method)", "overlap_at_N", "precision_at_N", "recall", "direction"];

#[component]
pub fn DePanel() -> impl IntoView {
    let state = use_state();
    let has_de = move || state.report.with(|report| report.as_ref().is_some_and(|r| r.has_de));
    let methods =
        Memo::new(move |_| state.report.with(|r| r.as_ref().map(|r| r.de_methods.clone()).unwrap_or_default()));
    let perturbations = Memo::new(move |_| {
        state.report.with(|report| {
            let mut names: Vec<String> = report
                .as_ref()
                .map(|r| r.rows.iter().map(|row| row.perturbation.clone()).collect())
                .unwrap_or_default();
            names.sort();
            names.dedup();
            names
        })
    });
    let method = RwSignal::new(String::new());
    let perturbation = RwSignal::new(String::new());
    Effect::new(move |_| {
        let methods = methods.get();
        if !methods.contains(&method.get_untracked()) {
            method.set(methods.first().cloned().unwrap_or_default());
        }
    });
    Effect::new(move |_| {
        let names = perturbations.get();
        if !names.contains(&perturbation.get_untracked()) {
            perturbation.set(names.first().cloned().unwrap_or_default());
        }
    });
    let volcano = RwSignal::new(None::<Volcano>);
    let rows = RwSignal::new(Vec::<DegRow>::new());
    let error = RwSignal::new(None::<String>);
    // The chosen perturbation's volcano, and the chosen method's table, asked of the worker.
    Effect::new(move |_| {
        let (chosen, chosen_method) = (perturbation.get(), method.get());
        if chosen.is_empty() || !has_de() {
            return;
        }
        let run_id = state.run_id.get_untracked();
        let method = (!chosen_method.is_empty()).then_some(chosen_method.clone());
        leptos::task::spawn_local(async move {
            match ask(state, Query::Volcano { run_id, perturbation: chosen.clone(), method }).await {
                Ok(Reply::Volcano(answer)) if perturbation.get_untracked() == chosen => {
                    error.set(None);
                    volcano.set(Some(*answer));
                }
                Ok(_) => {}
                Err(message) => error.set(Some(message)),
            }
        });
    });
    Effect::new(move |_| {
        let chosen_method = method.get();
        if chosen_method.is_empty() || !has_de() {
            rows.set(Vec::new());
            return;
        }
        let run_id = state.run_id.get_untracked();
        leptos::task::spawn_local(async move {
            match ask(state, Query::DegTable { run_id, method: chosen_method.clone() }).await {
                Ok(Reply::DegTable(answer)) if method.get_untracked() == chosen_method => rows.set(answer),
                Ok(_) => {}
                Err(message) => error.set(Some(message)),
            }
        });
    });
    let shown = Memo::new(move |_| volcano.get());
    // Sorting: a column (`None`: the perturbation) and its direction.
    let sort_by = RwSignal::new(None::<usize>);
    let descending = RwSignal::new(false);
    let sorted = move || {
        let mut rows = rows.get();
        let by = sort_by.get();
        rows.sort_by(|a, b| {
            let order = match by {
                None => a.perturbation.cmp(&b.perturbation),
                Some(column) => {
                    let value = |row: &DegRow| row.values[column].unwrap_or(f64::NEG_INFINITY);
                    value(a).total_cmp(&value(b))
                }
            };
            if descending.get() {
                order.reverse()
            } else {
                order
            }
        });
        rows
    };
    let sort = move |column: Option<usize>| {
        if sort_by.get_untracked() == column {
            descending.update(|d| *d = !*d);
        } else {
            sort_by.set(column);
            descending.set(column.is_some());
        }
    };
    let aria_sort = move |column: Option<usize>| {
        if sort_by.get() != column {
            "none"
        } else if descending.get() {
            "descending"
        } else {
            "ascending"
        }
    };
    view! {
        <Show when=has_de>
            <section class="de-panel" aria-label="Differential expression" data-testid="de-panel">
                <h2>"Differential expression"</h2>
                <p class="hint">"Each perturbation's cells against the control cells, per gene: Mann–Whitney U, \
                    Benjamini–Hochberg over the genes (as pdex computes it for cell-eval). Rings mark the genes the \
                    chosen method's own cells find significant."</p>
                <div class="detail-controls">
                    <label class="field inline">
                        <span>"Perturbation"</span>
                        <select data-testid="volcano-perturbation" prop:value=move || perturbation.get()
                            on:change=move |event| perturbation.set(event_target_value(&event))>
                            {move || perturbations.get().into_iter().map(|name| view! { <option value=name.clone()>{name.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="field inline">
                        <span>"Method"</span>
                        <select data-testid="de-method" prop:value=move || method.get()
                            on:change=move |event| method.set(event_target_value(&event))>
                            {move || methods.get().into_iter().map(|name| view! { <option value=name.clone()>{name.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                </div>
                <Show when=move || error.get().is_some()>
                    <p role="alert" class="error">{move || error.get().unwrap_or_default()}</p>
                </Show>
                <div data-testid="volcano" data-shown=move || volcano.with(|v| v.as_ref().map(|v| v.perturbation.clone()).unwrap_or_default())>
                    <VolcanoPlot volcano=shown />
                </div>
                <Show when=move || !methods.get().is_empty()
                    fallback=|| view! { <p class="hint">"No method was given as cells: the DEG overlap needs a prediction's own cells."</p> }>
                    <h3>"DEG overlap per perturbation"</h3>
                    <div class="table-scroll">
                        <table data-testid="deg-table">
                            <thead><tr>
                                <th scope="col" aria-sort=move || aria_sort(None)>
                                    <button class="sort" on:click=move |_| sort(None)>"Perturbation"</button>
                                </th>
                                {HEADERS.iter().enumerate().map(|(column, header)| view! {
                                    <th scope="col" aria-sort=move || aria_sort(Some(column)) data-metric=DEG_TABLE_METRICS[column]>
                                        <button class="sort" on:click=move |_| sort(Some(column))>{*header}</button>
                                    </th>
                                }).collect_view()}
                            </tr></thead>
                            <tbody>
                                {move || sorted().into_iter().map(|row| {
                                    let label = match row.seed { Some(seed) => format!("{} (seed {seed})", row.perturbation), None => row.perturbation.clone() };
                                    view! {
                                        <tr>
                                            <th scope="row">{label}</th>
                                            {row.values.iter().enumerate().map(|(column, value)| {
                                                // The numbers of significant genes are counts.
                                                let text = if column < 2 { value.map(|v| format!("{v:.0}")).unwrap_or_default() } else { format_number(*value) };
                                                view! { <td class="number">{text}</td> }
                                            }).collect_view()}
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </Show>
            </section>
        </Show>
    }
}
