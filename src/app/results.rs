//! Running and the results: the run bar (progress, cancel, status), the leaderboard, the per-perturbation
//! table, notices, and the results export.

use super::download::download_text;
use super::state::{use_state, AppState, RunState};
use super::worker_client::{ask_download, cancel, run_when_read};
use leptos::prelude::*;
use perturb_check::benchmark::BenchmarkKind;
use perturb_check::conventions::{CONVENTIONS, METRICS};
use perturb_check::error::Severity;
use perturb_check::leaderboard::{self, ConventionColumn, Table};
use perturb_check::paired::{self, PairedComparison};
use perturb_check::protocol::Query;
use perturb_check::results_table::{write_results_csv, ResultRow};
use perturb_check::summary::{summary_csv, Comparison};

pub use perturb_check::leaderboard::{best_value, format_number};

/// The run button, progress bar, cancel button and status.
#[component]
pub fn RunBar() -> impl IntoView {
    let state = use_state();
    let has_data = move || state.files.with(|files| files.has_data());
    let running = move || matches!(state.run_state.get(), RunState::Running { .. });
    let fraction = move || match state.run_state.get() {
        RunState::Running { done, total, .. } if total > 0 => done as f64 / total as f64,
        RunState::Done => 1.0,
        _ => 0.0,
    };
    view! {
        <section class="run-bar" aria-label="Run">
            <button data-testid="run" class="primary" disabled=move || running() || !has_data()
                on:click=move |_| { state.published.set(None); run_when_read(state) }>"Run benchmark"</button>
            <Show when=running>
                <button data-testid="cancel" class="secondary" on:click=move |_| cancel(state)>"Cancel"</button>
            </Show>
            <div class="status" data-testid="status" data-state=move || state.run_state.get().name() aria-live="polite"
                data-wasm-memory=move || state.peak_memory.get().to_string()>
                {move || match state.run_state.get() {
                    RunState::Idle if !has_data() => "Add expression data (or pick a demo) to start.".to_string(),
                    RunState::Idle => "Ready to run.".to_string(),
                    RunState::Running { step, done, total } => format!("Running: {step} ({done}/{total})"),
                    RunState::Done => "Done.".to_string(),
                    RunState::Error(_) => "The run stopped.".to_string(),
                }}
                <Show when=running>
                    <progress max="1" prop:value=fraction aria-label="Progress"></progress>
                </Show>
            </div>
            <Show when=move || matches!(state.run_state.get(), RunState::Error(_))>
                <p role="alert" class="error" data-testid="run-error">{move || match state.run_state.get() { RunState::Error(message) => message, _ => String::new() }}</p>
            </Show>
        </section>
    }
}

fn kind_text(kind: BenchmarkKind) -> &'static str {
    match kind {
        BenchmarkKind::Double => "double perturbations, the paper's split",
        BenchmarkKind::UnseenSingle => "unseen single perturbations, GEARS' simulation split",
        BenchmarkKind::All => "every condition (no split)",
    }
}

/// Which convention's main metric the leaderboard adds and the distribution plots show (`state.score_by`,
/// shared: choosing it in one place switches both).
#[component]
pub fn MainMetricChooser(testid: &'static str, label: &'static str, paper: &'static str) -> impl IntoView {
    let state = use_state();
    let value_of = |index: usize| format!("{}:{}", METRICS[index].convention, METRICS[index].metric);
    view! {
        <label>{label}
            <select data-testid=testid
                prop:value=move || state.score_by.get().map(value_of).unwrap_or_else(|| "paper".into())
                on:change=move |event| {
                    let value = event_target_value(&event);
                    state.score_by.set((0..METRICS.len()).find(|&index| value_of(index) == value));
                }>
                <option value="paper">{paper}</option>
                {CONVENTIONS.iter().filter(|c| c.id != "paper").map(|c| {
                    let value = format!("{}:{}", c.id, c.main_metric);
                    view! { <option value=value>{format!("{} {}", c.id, c.main_metric)}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

/// The leaderboard's rows as shown: the chosen points, the convention column chosen, the published values.
pub fn leaderboard_table(state: AppState) -> Option<Table> {
    let reference = state.report.with(|report| report.as_ref().and_then(|r| r.reference.clone()));
    let summaries =
        state.report.with(|report| report.as_ref().map(|r| r.summaries(state.comparison.get()).to_vec()))?;
    let conventions = state.conventions.get();
    let mean_of = |method: &str| -> Option<f64> {
        let index = state.score_by.get()?;
        conventions.as_ref()?.means.iter().find(|means| means.method == method).and_then(|means| means.values[index])
    };
    let convention = state.score_by.get().map(|index| ConventionColumn { spec: &METRICS[index], mean_of: &mean_of });
    let published = state.published.get();
    Some(leaderboard::table(&summaries, reference.as_deref(), convention, published.as_deref()))
}

/// The leaderboard: one row per method, best values marked.
#[component]
pub fn Leaderboard() -> impl IntoView {
    let state = use_state();
    let table = Memo::new(move |_| leaderboard_table(state));
    let rows = move || {
        let styles = state.styles.get();
        table.get().map(|table| {
            table
                .rows
                .into_iter()
                .map(|row| {
                    let swatch = styles.of(&row.method).swatch_svg();
                    let cells = row
                        .cells
                        .into_iter()
                        .map(|cell| view! {
                            <td class="number" class:best=cell.best class:convention=cell.convention class:published=cell.published>{cell.text}</td>
                        })
                        .collect_view();
                    view! {
                        <tr data-method=row.method.clone()>
                            <th scope="row"><span class="method-key" inner_html=swatch></span>{row.method.clone()}{row.is_reference.then_some(" (reference)")}</th>
                            {cells}
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    let columns = move || table.with(|table| table.as_ref().map(|t| t.columns.clone()).unwrap_or_default());
    view! {
        <div class="leaderboard">
            <div class="section-head">
                <h2>"Leaderboard"</h2>
                <label class="check">
                    <input type="checkbox" data-testid="common-points" prop:checked=move || state.comparison.get() == Comparison::Common
                        on:change=move |event| state.comparison.set(if event_target_checked(&event) { Comparison::Common } else { Comparison::Own }) />
                    "Only perturbations every method predicts (as the paper)"
                </label>
                <MainMetricChooser testid="leaderboard-convention" label="Also show " paper="the paper's metrics only" />
                <button class="secondary small" data-testid="export-summary" on:click=move |_| {
                    let summaries = state.report.with_untracked(|report| {
                        report.as_ref().map(|r| r.summaries(state.comparison.get_untracked()).to_vec())
                    });
                    if let Some(summaries) = summaries {
                        download_text("summary.csv", &summary_csv(&summaries), "text/csv");
                    }
                }>"summary.csv"</button>
            </div>
            <p class="hint">{move || state.report.with(|report| report.as_ref().map(|r| format!(
                "{}: {}; metrics over the {} most expressed of {} genes. Lower L2 is better, higher Pearson delta is better; \
                 the ratio is the L2 relative to {} with a 95% bootstrap interval. ★ marks the best value per column.",
                r.dataset, kind_text(r.kind), r.n_genes_used, r.n_genes, r.reference.clone().unwrap_or_else(|| "the reference".into()))).unwrap_or_default())}</p>
            <div class="table-scroll">
                <table data-testid="leaderboard">
                    <thead>
                        <tr>
                            <th scope="col">"Method"</th>
                            {move || columns().into_iter().enumerate().map(|(index, column)| {
                                let convention = index == 5 && state.score_by.get().is_some();
                                view! {
                                    <th scope="col" data-testid=convention.then_some("leaderboard-convention-column")
                                        title=(index == 0).then_some("Number of (seed, perturbation) points")>{column}</th>
                                }
                            }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <PairedComparisons />
        </div>
    }
}

/// Paired comparisons: each method against the reference baseline (from the run), and any pair the user
/// adds, over the points both predict; `paired.csv`.
#[component]
fn PairedComparisons() -> impl IntoView {
    let state = use_state();
    let added = RwSignal::new(Vec::<PairedComparison>::new());
    // A new run starts from its own comparisons.
    Effect::new(move |_| {
        state.report.track();
        added.set(Vec::new());
    });
    let shown = Memo::new(move |_| {
        let mut list = state.report.with(|report| report.as_ref().map(|r| r.paired.clone()).unwrap_or_default());
        list.extend(added.get());
        list
    });
    let methods = move || state.report.with(|report| report.as_ref().map(|r| r.methods.clone()).unwrap_or_default());
    let first = RwSignal::new(String::new());
    let second = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let add = move |_| {
        let (method, reference) = (first.get_untracked(), second.get_untracked());
        let methods = methods();
        let method = if method.is_empty() { methods.first().cloned().unwrap_or_default() } else { method };
        let reference = if reference.is_empty() { methods.get(1).cloned().unwrap_or_default() } else { reference };
        if method == reference {
            problem.set(Some("Pick two different methods.".into()));
            return;
        }
        let bootstrap = state.settings.with_untracked(|settings| settings.bootstrap);
        let found = state.report.with_untracked(|report| {
            report.as_ref().and_then(|r| paired::compare(&r.rows, &method, &reference, bootstrap))
        });
        match found {
            Some(comparison) => {
                problem.set(None);
                added.update(|list| {
                    list.retain(|c| !(c.method == method && c.reference == reference));
                    list.push(comparison);
                });
            }
            None => problem.set(Some(format!("{method} and {reference} predict no perturbation in common."))),
        }
    };
    let options =
        move || methods().into_iter().map(|m| view! { <option value=m.clone()>{m.clone()}</option> }).collect_view();
    view! {
        <h3 class="paired-title">"Paired comparisons"</h3>
        <p class="hint">"Each pair over the (seed, perturbation) points both methods predict, pooled over seeds: how often "
            "the method's L2 is lower, the mean L2 difference (negative: the method is better) with a paired bootstrap "
            "95% interval, and the Wilcoxon signed-rank p-value (R's wilcox.test, paired, normal approximation with "
            "continuity and tie correction)."</p>
        <div class="table-scroll">
            <table data-testid="paired">
                <thead><tr>
                    <th scope="col">"Method"</th><th scope="col">"Against"</th><th scope="col">"n"</th>
                    <th scope="col">"Win rate"</th><th scope="col">"Mean L2 difference [95% CI]"</th><th scope="col">"Wilcoxon p"</th>
                </tr></thead>
                <tbody>
                    {move || shown.get().into_iter().map(|c| view! {
                        <tr data-method=c.method.clone() data-reference=c.reference.clone()>
                            <th scope="row">{c.method.clone()}</th>
                            <td>{c.reference.clone()}</td>
                            <td class="number">{c.n}</td>
                            <td class="number">{c.win_rate_text()}</td>
                            <td class="number">{c.difference_text()}</td>
                            <td class="number">{c.p_text()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <Show when=move || paired::multiple_comparison_note(shown.with(Vec::len)).is_some()>
            <p class="hint" data-testid="paired-note">{move || paired::multiple_comparison_note(shown.with(Vec::len)).unwrap_or_default()}</p>
        </Show>
        <div class="paired-actions">
            <label class="field inline"><span>"Compare"</span>
                <select data-testid="paired-method" on:change=move |event| first.set(event_target_value(&event))>{options}</select>
            </label>
            <label class="field inline"><span>"against"</span>
                <select data-testid="paired-reference" prop:value=move || { let m = methods(); if second.get().is_empty() { m.get(1).cloned().unwrap_or_default() } else { second.get() } }
                    on:change=move |event| second.set(event_target_value(&event))>{options}</select>
            </label>
            <button class="secondary" data-testid="paired-add" on:click=add>"Add"</button>
            <button class="secondary" data-testid="export-paired" on:click=move |_| {
                download_text("paired.csv", &paired::paired_csv(&shown.get_untracked()), "text/csv");
            }>"Download paired.csv"</button>
        </div>
        <Show when=move || problem.get().is_some()>
            <p role="alert" class="error">{move || problem.get().unwrap_or_default()}</p>
        </Show>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SortColumn {
    Seed,
    Method,
    Perturbation,
    Split,
    L2,
    PearsonDelta,
    Pearson,
}

fn compare(a: &ResultRow, b: &ResultRow, column: SortColumn) -> std::cmp::Ordering {
    let number = |value: Option<f64>| value.unwrap_or(f64::NEG_INFINITY);
    match column {
        SortColumn::Seed => a.seed.cmp(&b.seed),
        SortColumn::Method => a.method.cmp(&b.method),
        SortColumn::Perturbation => a.perturbation.cmp(&b.perturbation),
        SortColumn::Split => a.split.cmp(&b.split),
        SortColumn::L2 => a.l2.total_cmp(&b.l2),
        SortColumn::PearsonDelta => number(a.pearson_delta).total_cmp(&number(b.pearson_delta)),
        SortColumn::Pearson => number(a.pearson).total_cmp(&number(b.pearson)),
    }
}

/// Rows rendered at first (more on request): a long table would block the page when results arrive.
const SHOWN_ROWS: usize = 100;

/// Every (seed, method, perturbation) row, sortable and filterable.
#[component]
pub fn ResultsTable() -> impl IntoView {
    let state = use_state();
    let filter = RwSignal::new(String::new());
    let shown = RwSignal::new(SHOWN_ROWS);
    let sort = RwSignal::new((SortColumn::Seed, true));
    let rows = Memo::new(move |_| {
        let needle = filter.get().to_lowercase();
        let (column, ascending) = sort.get();
        let mut rows: Vec<ResultRow> = state.report.with(|report| {
            report
                .as_ref()
                .map(|report| {
                    report
                        .rows
                        .iter()
                        .filter(|row| {
                            needle.is_empty()
                                || row.method.to_lowercase().contains(&needle)
                                || row.perturbation.to_lowercase().contains(&needle)
                        })
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        });
        rows.sort_by(|a, b| if ascending { compare(a, b, column) } else { compare(b, a, column) });
        rows
    });
    let header = move |column: SortColumn, label: &'static str| {
        view! {
            <th scope="col" aria-sort=move || match sort.get() { (c, true) if c == column => "ascending", (c, false) if c == column => "descending", _ => "none" }>
                <button class="sort" on:click=move |_| sort.update(|(current, ascending)| {
                    if *current == column { *ascending = !*ascending } else { *current = column; *ascending = true }
                })>{label}</button>
            </th>
        }
    };
    view! {
        <div class="results">
            <div class="section-head">
                <h2>"Per perturbation"</h2>
                <label class="field inline">
                    <span>"Filter"</span>
                    <input type="search" placeholder="method or perturbation" data-testid="results-filter"
                        on:input=move |event| filter.set(event_target_value(&event)) />
                </label>
                <button data-testid="export-results" on:click=move |_| {
                    if let Some(report) = state.report.get_untracked() {
                        download_text("results.csv", &write_results_csv(&report.rows), "text/csv");
                    }
                }>"Download results.csv"</button>
            </div>
            <BaselineExport />
            <p class="hint">{move || {
                let (total, limit) = (rows.with(Vec::len), shown.get());
                if total > limit { format!("Showing {limit} of {total} rows; results.csv has all of them.") } else { format!("{total} rows.") }
            }}
                <Show when=move || shown.get() < rows.with(Vec::len)>
                    " " <button class="secondary small" on:click=move |_| shown.update(|n| *n += 500)>"Show 500 more"</button>
                </Show>
            </p>
            <div class="table-scroll tall">
                <table data-testid="results-table">
                    <thead><tr>
                        {header(SortColumn::Seed, "Seed")}
                        {header(SortColumn::Method, "Method")}
                        {header(SortColumn::Perturbation, "Perturbation")}
                        {header(SortColumn::Split, "Split")}
                        {header(SortColumn::L2, "L2")}
                        {header(SortColumn::PearsonDelta, "Pearson delta")}
                        {header(SortColumn::Pearson, "Pearson")}
                    </tr></thead>
                    <tbody>
                        {move || rows.with(|rows| rows.iter().take(shown.get()).map(|row| view! {
                            <tr>
                                <td>{row.seed.map(|s| s.to_string()).unwrap_or_default()}</td>
                                <td>{row.method.clone()}</td>
                                <td>{row.perturbation.clone()}</td>
                                <td>{row.split.as_str()}</td>
                                <td class="number">{format_number(Some(row.l2))}</td>
                                <td class="number">{format_number(row.pearson_delta)}</td>
                                <td class="number">{format_number(row.pearson)}</td>
                            </tr>
                        }).collect_view())}
                    </tbody>
                </table>
            </div>
        </div>
    }
}

/// What the run noticed: skipped conditions, genes missing, repairs.
#[component]
pub fn RunNotices() -> impl IntoView {
    let state = use_state();
    let notices = move || state.report.with(|report| report.as_ref().map(|r| r.notices.clone()).unwrap_or_default());
    view! {
        <Show when=move || !notices().is_empty()>
            <section class="notices-panel" aria-label="Notices">
                <h2>"Notices"</h2>
                <ul>
                    {move || notices().into_iter().map(|notice| view! {
                        <li class:warning=notice.severity == Severity::Warning>{notice.to_string()}</li>
                    }).collect_view()}
                </ul>
            </section>
        </Show>
    }
}

/// Downloads the built-in baselines' predictions of one split in the paper's exchange format.
#[component]
fn BaselineExport() -> impl IntoView {
    let state = use_state();
    let seeds = move || {
        state.report.with(|report| {
            report.as_ref().map(|r| r.splits.iter().map(|s| s.seed).collect::<Vec<_>>()).unwrap_or_default()
        })
    };
    let chosen = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    view! {
        <div class="baseline-export">
            <span>"Baselines' predictions in the paper's format (all_predictions.json + gene_names.json), for other tools:"</span>
            <select aria-label="Split seed of the export" data-testid="export-baselines-seed" on:change=move |event| chosen.set(event_target_value(&event))>
                {move || seeds().into_iter().map(|seed| {
                    let value = seed.map(|s| s.to_string()).unwrap_or_default();
                    let label = seed.map(|s| format!("seed {s}")).unwrap_or_else(|| "no seed".into());
                    view! { <option value=value>{label}</option> }
                }).collect_view()}
            </select>
            <button class="secondary" data-testid="export-baselines" on:click=move |_| {
                let seed = chosen.get_untracked().parse().ok().or_else(|| seeds().first().copied().flatten());
                let run_id = state.run_id.get_untracked();
                leptos::task::spawn_local(async move {
                    error.set(ask_download(state, Query::ExportBaselines { run_id, seed }).await.err());
                });
            }>"Download"</button>
            <Show when=move || error.get().is_some()>
                <p role="alert" class="error">{move || error.get().unwrap_or_default()}</p>
            </Show>
        </div>
    }
}
