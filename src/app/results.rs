//! Running and the results: the run bar (progress, cancel, status), the leaderboard, the per-perturbation
//! table, notices, and the results export.

use super::download::download_text;
use super::state::{use_state, RunState};
use super::worker_client::{ask_download, cancel, run_when_read};
use leptos::prelude::*;
use perturb_check::benchmark::BenchmarkKind;
use perturb_check::conventions::{CONVENTIONS, METRICS};
use perturb_check::error::Severity;
use perturb_check::protocol::Query;
use perturb_check::results_table::{write_results_csv, ResultRow};
use perturb_check::summary::{Comparison, MethodSummary};

pub fn format_number(value: Option<f64>) -> String {
    match value {
        Some(value) if value.is_finite() => format!("{value:.3}"),
        _ => "–".to_string(),
    }
}

/// The best finite value, the highest or the lowest.
pub fn best_value(values: impl Iterator<Item = f64>, highest: bool) -> Option<f64> {
    values
        .filter(|value| value.is_finite())
        .reduce(|best, value| if highest { best.max(value) } else { best.min(value) })
}

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

/// The leaderboard: one row per method, best values marked.
#[component]
pub fn Leaderboard() -> impl IntoView {
    let state = use_state();
    let summaries = move || {
        state.report.with(|report| {
            report.as_ref().map(|report| match state.comparison.get() {
                Comparison::Common => report.summary_common.clone(),
                Comparison::Own => report.summary_own.clone(),
            })
        })
    };
    let reference = move || state.report.with(|report| report.as_ref().and_then(|r| r.reference.clone()));
    let has_published = move || state.published.with(Option::is_some);
    let published = move |method: &str| {
        state
            .published
            .with(|published| published.as_ref().and_then(|list| list.iter().find(|p| p.method == method).cloned()))
    };
    // A convention's main metric beside the paper's, from the Conventions panel's scores.
    let score_by = move || state.score_by.get().map(|index| &METRICS[index]);
    let convention_mean = move |method: &str| -> Option<f64> {
        let index = state.score_by.get()?;
        state.conventions.with(|report| {
            report.as_ref()?.means.iter().find(|means| means.method == method).and_then(|means| means.values[index])
        })
    };
    let rows = move || {
        let summaries = summaries().unwrap_or_default();
        let reference = reference();
        let convention_best = score_by().and_then(|spec| {
            best_value(summaries.iter().filter_map(|s| convention_mean(&s.method)), spec.higher_is_better)
        });
        let best = |pick: &dyn Fn(&MethodSummary) -> Option<f64>, lowest: bool| {
            best_value(summaries.iter().filter_map(pick), !lowest)
        };
        let best_mean = best(&|s| Some(s.mean_l2), true);
        let best_median = best(&|s| Some(s.median_l2), true);
        let best_delta = best(&|s| s.mean_pearson_delta, false);
        let best_ratio =
            best(&|s| s.ratio.as_ref().filter(|_| Some(&s.method) != reference.as_ref()).map(|r| r.mean), true);
        summaries
            .into_iter()
            .map(|summary| {
                let is = |value: Option<f64>, best: Option<f64>| value.is_some() && value == best;
                let ratio_text = summary.ratio.as_ref().map(|ratio| {
                    format!("{:.3} [{:.3}, {:.3}]", ratio.mean, ratio.lower, ratio.upper)
                }).unwrap_or_else(|| "–".into());
                let is_reference = reference.as_deref() == Some(summary.method.as_str());
                let published = published(&summary.method);
                let convention_value = convention_mean(&summary.method);
                view! {
                    <tr data-method=summary.method.clone()>
                        <th scope="row">{summary.method.clone()}{is_reference.then_some(" (reference)")}</th>
                        <td class="number">{summary.n}</td>
                        <td class="number" class:best=is(Some(summary.mean_l2), best_mean)>{format_number(Some(summary.mean_l2))}</td>
                        <td class="number" class:best=is(Some(summary.median_l2), best_median)>{format_number(Some(summary.median_l2))}</td>
                        <td class="number" class:best=is(summary.mean_pearson_delta, best_delta)>{format_number(summary.mean_pearson_delta)}</td>
                        <td class="number" class:best=!is_reference && is(summary.ratio.as_ref().map(|r| r.mean), best_ratio)>{ratio_text}</td>
                        <Show when=move || score_by().is_some()>
                            <td class="number convention" class:best=is(convention_value, convention_best)>{format_number(convention_value)}</td>
                        </Show>
                        <Show when=has_published>
                            <td class="number published">{published.as_ref().map(|p| format_number(Some(p.l2))).unwrap_or_else(|| "–".into())}</td>
                            <td class="number published">{published.as_ref().map(|p| format_number(p.pearson_delta)).unwrap_or_else(|| "–".into())}</td>
                        </Show>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section class="leaderboard" aria-label="Leaderboard">
            <div class="section-head">
                <h2>"Leaderboard"</h2>
                <label class="check">
                    <input type="checkbox" data-testid="common-points" prop:checked=move || state.comparison.get() == Comparison::Common
                        on:change=move |event| state.comparison.set(if event_target_checked(&event) { Comparison::Common } else { Comparison::Own }) />
                    "Only perturbations every method predicts (as the paper)"
                </label>
                <MainMetricChooser testid="leaderboard-convention" label="Also show " paper="the paper's metrics only" />
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
                            <th scope="col" title="Number of (seed, perturbation) points">"n"</th>
                            <th scope="col">"Mean L2"</th>
                            <th scope="col">"Median L2"</th>
                            <th scope="col">"Mean Pearson delta"</th>
                            <th scope="col">"L2 ratio to reference [95% CI]"</th>
                            <Show when=move || score_by().is_some()>
                                <th scope="col" data-testid="leaderboard-convention-column">{move || score_by().map(|spec| format!("{} {} (mean; {})", spec.convention, spec.metric, if spec.higher_is_better { "higher is better" } else { "lower is better" })).unwrap_or_default()}</th>
                            </Show>
                            <Show when=has_published>
                                <th scope="col">"Published L2"</th>
                                <th scope="col">"Published Pearson delta"</th>
                            </Show>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
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
        <section class="results" aria-label="Per-perturbation results">
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
        </section>
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
