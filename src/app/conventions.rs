//! The Conventions panel: every method under the paper's, GEARS', Systema's, cell-eval's and PerturBench's
//! metrics, the ladders that explain the differences, cell-eval's baseline-relative score, and the exports.

use super::results::{best_value, format_number};
use super::state::use_state;
use super::worker_client::{ask_download, load_conventions};
use leptos::prelude::*;
use perturb_check::analysis::ConventionExport;
use perturb_check::conventions::celleval::VCC_METRICS;
use perturb_check::conventions::ladder::LADDERS;
use perturb_check::conventions::{ConventionReport, MetricKind, CONVENTIONS, METRICS};
use perturb_check::inspect::FileRole;
use perturb_check::plots::MethodStyles;
use perturb_check::protocol::Query;

/// The best value of each metric column over methods (by its direction).
fn best_values(report: &ConventionReport) -> Vec<Option<f64>> {
    METRICS
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            best_value(report.means.iter().filter_map(|means| means.values[index]), spec.higher_is_better)
        })
        .collect()
}

/// One ladder as a step chart: x the rung, y each method's mean after it.
fn ladder_chart(report: &ConventionReport, ladder: usize, styles: &MethodStyles) -> impl IntoView {
    let spec = LADDERS[ladder];
    let rows: Vec<_> = report
        .ladders
        .iter()
        .filter(|row| row.target_convention == spec.target_convention && row.target_metric == spec.target_metric)
        .collect();
    let values: Vec<f64> = rows.iter().filter_map(|row| row.value_mean).filter(|v| v.is_finite()).collect();
    let (low, high) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    // No value at all (nothing scored on this ladder) or a single one: a unit range, never a NaN coordinate.
    let (low, high) = match (low.is_finite(), high > low) {
        (false, _) => (0.0, 1.0),
        (true, false) => (low - 0.5, low + 0.5),
        (true, true) => (low, high),
    };
    let rungs = spec.steps.len() + 1;
    let (width, height, left, bottom) = (560.0, 200.0, 56.0, 24.0);
    let x = move |rung: usize| left + (width - left - 16.0) * rung as f64 / (rungs.max(2) - 1) as f64;
    let y = move |value: f64| 10.0 + (height - bottom - 10.0) * (1.0 - (value - low) / (high - low));
    let methods: Vec<String> = report.means.iter().map(|means| means.method.clone()).collect();
    let lines = methods
        .iter()
        .map(|method| {
            let colour = styles.of(method).css();
            // A step line: across to the next rung, then up or down to its value.
            let mut path = String::new();
            for row in rows.iter().filter(|row| &row.method == method) {
                if let Some(value) = row.value_mean.filter(|v| v.is_finite()) {
                    if path.is_empty() {
                        path = format!("M{:.1},{:.1}", x(row.rung), y(value));
                    } else {
                        path.push_str(&format!(" H{:.1} V{:.1}", x(row.rung), y(value)));
                    }
                }
            }
            view! { <path d=path fill="none" stroke=colour.clone() stroke-width="2"><title>{method.clone()}</title></path> }
        })
        .collect_view();
    let ticks = (0..rungs)
        .map(
            |rung| view! { <text x=x(rung) y=height - 6.0 text-anchor="middle" class="tick">{rung.to_string()}</text> },
        )
        .collect_view();
    let steps = rows
        .iter()
        // The changes as the last method (an uploaded prediction, when there is one) reads them.
        .filter(|row| row.method == methods.last().cloned().unwrap_or_default())
        .map(|row| view! { <li value=row.rung.to_string()>{row.change.clone()}</li> })
        .collect_view();
    let legend = methods
        .iter()
        .map(|method| {
            let swatch = styles.of(method).swatch_svg();
            view! { <span class="key"><span inner_html=swatch></span>{method.clone()}</span> }
        })
        .collect_view();
    let table = methods
        .iter()
        .map(|method| {
            let cells = rows
                .iter()
                .filter(|row| &row.method == method)
                .map(|row| view! { <td class="number">{format_number(row.value_mean)}</td> })
                .collect_view();
            view! { <tr><th scope="row">{method.clone()}</th>{cells}</tr> }
        })
        .collect_view();
    let header = (0..rungs).map(|rung| view! { <th scope="col">{format!("rung {rung}")}</th> }).collect_view();
    view! {
        <figure class="ladder" data-testid="ladder-chart">
            <svg viewBox=format!("0 0 {width} {height}") role="img"
                aria-label=format!("{} from the paper's to {} {}", spec.family, spec.target_convention, spec.target_metric)>
                <text x="4" y=y(high) class="tick">{format_number(Some(high))}</text>
                <text x="4" y=y(low) class="tick">{format_number(Some(low))}</text>
                {ticks}
                {lines}
            </svg>
            <figcaption>
                <div class="legend">{legend}</div>
                <ol start="0" class="rungs">{steps}</ol>
            </figcaption>
            <div class="table-scroll">
                <table data-testid="ladder-table"><thead><tr><th scope="col">"Method"</th>{header}</tr></thead><tbody>{table}</tbody></table>
            </div>
        </figure>
    }
}

#[component]
pub fn ConventionsPanel() -> impl IntoView {
    let state = use_state();
    // Asked of the worker once the page has drawn the results (the panel mounts after the plots), so that the
    // worker's work does not compete with that drawing for the CPU.
    if state.conventions.with_untracked(Option::is_none) {
        leptos::task::spawn_local(load_conventions(state, state.run_id.get_untracked(), false));
    }
    let shown = RwSignal::new(CONVENTIONS.iter().map(|c| c.id.to_string()).collect::<Vec<_>>());
    let ladder = RwSignal::new(2usize);
    let celleval_method = RwSignal::new(String::new());
    let computing = RwSignal::new(false);
    let chooser = CONVENTIONS
        .iter()
        .map(|convention| {
            let id = convention.id;
            view! {
                <label class="check">
                    <input type="checkbox" data-testid=format!("convention-{id}")
                        prop:checked=move || shown.with(|shown| shown.iter().any(|s| s == id))
                        on:change=move |event| {
                            let on = event_target_checked(&event);
                            shown.update(|shown| {
                                shown.retain(|s| s != id);
                                if on { shown.push(id.to_string()) }
                            });
                        } />
                    {format!("{} ({} {})", id, convention.tool, convention.version)}
                </label>
            }
        })
        .collect_view();
    let table = move || {
        state.conventions.with(|report| {
            let report = report.as_ref()?;
            let best = best_values(report);
            // A metric that needs cells and has no value at any point (the data or every prediction are
            // pseudobulks) is left out, and the hint below says so.
            let data_are_cells = state.report.with(|report| report.as_ref().is_some_and(|r| r.has_de));
            let computed = |index: usize| match METRICS[index].kind {
                MetricKind::CellEvalDe(_) => report.means.iter().any(|means| means.n[index] > 0),
                kind => !kind.needs_cells() || data_are_cells,
            };
            let visible: Vec<usize> = (0..METRICS.len())
                .filter(|&index| shown.with(|shown| shown.iter().any(|s| s == METRICS[index].convention)))
                .filter(|&index| computed(index))
                .collect();
            let hidden = (0..METRICS.len()).filter(|&index| !computed(index)).count();
            let groups = CONVENTIONS
                .iter()
                .filter_map(|convention| {
                    let span = visible.iter().filter(|&&index| METRICS[index].convention == convention.id).count();
                    (span > 0).then(|| view! { <th scope="colgroup" colspan=span.to_string()>{convention.id}</th> })
                })
                .collect_view();
            let headers = visible
                .iter()
                .map(|&index| {
                    let (spec, info) = (&METRICS[index], &report.metrics[index]);
                    let direction = if spec.higher_is_better { "higher is better" } else { "lower is better" };
                    let tip = format!("{}: {} ({direction}). {}", spec.metric, spec.formula, info.source);
                    view! {
                        <th scope="col" tabindex="0" class="has-tip"
                            data-metric=format!("{}:{}", spec.convention, spec.metric)>
                            {spec.metric}<span class="tip" role="tooltip">{tip}</span>
                        </th>
                    }
                })
                .collect_view();
            let rows = report
                .means
                .iter()
                .map(|means| {
                    let cells = visible
                        .iter()
                        .map(|&index| {
                            let value = means.values[index];
                            let is_best = value.is_some() && value == best[index];
                            view! { <td class="number" class:best=is_best>{format_number(value)}</td> }
                        })
                        .collect_view();
                    view! { <tr data-method=means.method.clone()><th scope="row">{means.method.clone()}</th>{cells}</tr> }
                })
                .collect_view();
            let hidden_note = (hidden > 0).then(|| view! {
                <p class="hint" data-testid="conventions-hidden">{format!("{} not shown (GEARS' and Systema's DE genes \
                    need the data as an h5ad file of cells; cell-eval's DE metrics also a prediction given as cells).",
                    if hidden == 1 { "1 metric that needs cells is".to_string() } else { format!("{hidden} metrics that need cells are") })}</p>
            });
            Some(view! {
                {hidden_note}
                <div class="table-scroll">
                    <table data-testid="conventions-table" class="conventions">
                        <thead>
                            <tr><th></th>{groups}</tr>
                            <tr><th scope="col">"Method"</th>{headers}</tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            })
        })
    };
    let scores = move || {
        state.conventions.with(|report| {
            let report = report.as_ref()?;
            let first = report.celleval_scores.first()?;
            // The Virtual Cell Challenge's metrics any method has (overlap_at_N only for methods given as cells).
            let shown: Vec<&str> = VCC_METRICS
                .iter()
                .copied()
                .filter(|metric| report.celleval_scores.iter().any(|score| score.metrics.iter().any(|m| m == metric)))
                .collect();
            let headers = shown.iter().map(|metric| view! { <th scope="col">{*metric}</th> }).collect_view();
            let rows = report
                .celleval_scores
                .iter()
                .map(|score| {
                    let cells = shown
                        .iter()
                        .map(|metric| {
                            let value = score.metrics.iter().position(|m| m == metric).map(|at| score.scores[at]);
                            view! { <td class="number">{value.map(|s| format!("{s:.3}")).unwrap_or_else(|| "–".into())}</td> }
                        })
                        .collect_view();
                    let total = if score.vcc {
                        format!("{:.1}", 100.0 * score.avg_score)
                    } else {
                        format!("{:.1} (not the VCC's: no overlap_at_N)", 100.0 * score.avg_score)
                    };
                    let all = format!("{:.1} ({} metrics)", 100.0 * score.all_metrics_score, score.all_metrics.len());
                    view! {
                        <tr data-vcc=score.vcc.to_string()>
                            <th scope="row">{score.method.clone()}</th>
                            {cells}
                            <td class="number">{total}</td>
                            <td class="number">{all}</td>
                        </tr>
                    }
                })
                .collect_view();
            Some(view! {
                <h3>"Score against cell-eval's baseline"</h3>
                <p class="hint">{format!("cell-eval score's scaling against {}: 1 − user/base for errors, (user − base)/(1 − base) \
                    for scores, not finite → 0, at least 0. The Virtual Cell Challenge's score is the mean of the scaled mae, \
                    overlap_at_N and discrimination_score_l1 (× 100 as its leaderboard shows it); overlap_at_N needs the \
                    prediction and the data as cells, so a method without cells is scored on the other two, which is not the \
                    VCC's score. The last column averages every cell-eval metric computed here the same way (its full \
                    profile without pearson_edistance and clustering_agreement).", first.baseline)}</p>
                <div class="table-scroll">
                    <table data-testid="celleval-scores"><thead><tr><th scope="col">"Method"</th>{headers}<th scope="col">"Score × 100"</th><th scope="col">"All metrics × 100"</th></tr></thead><tbody>{rows}</tbody></table>
                </div>
            })
        })
    };
    let notices = move || {
        state.conventions.with(|report| {
            report.as_ref().map(|report| {
                report.notices.iter().map(|notice| view! { <li>{notice.message.clone()}</li> }).collect_view()
            })
        })
    };
    // The methods text: every metric's formula, direction and source, and what makes the numbers differ.
    let methods_text = CONVENTIONS
        .iter()
        .map(|convention| {
            let items = METRICS
                .iter()
                .filter(|spec| spec.convention == convention.id)
                .map(|spec| {
                    let direction = if spec.higher_is_better { "higher is better" } else { "lower is better" };
                    view! { <li><code>{spec.metric}</code>": "{spec.formula}" ("{direction}")"</li> }
                })
                .collect_view();
            view! {
                <li><strong>{convention.id}</strong>{format!(" — {} {}, {}", convention.tool, convention.version, convention.source)}
                    <ul>{items}</ul></li>
            }
        })
        .collect_view();
    let ladder_options = LADDERS
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            view! { <option value=index.to_string() selected=index == 2>{format!("{}: paper → {} {}", spec.family, spec.target_convention, spec.target_metric)}</option> }
        })
        .collect_view();
    let methods = move || {
        state
            .conventions
            .with(|report| report.as_ref().map(|r| r.means.iter().map(|m| m.method.clone()).collect::<Vec<_>>()))
            .unwrap_or_default()
    };
    let chosen_method = move || {
        let chosen = celleval_method.get();
        let methods = methods();
        if methods.contains(&chosen) {
            chosen
        } else {
            methods.last().cloned().unwrap_or_default()
        }
    };
    // The files of the run whose DE a run computes: the data and each prediction given as cells, with the name
    // of their DE table.
    let de_files = move || {
        state.files.with(|files| {
            files
                .roles()
                .into_iter()
                .filter_map(|(id, role)| {
                    files.get(id)?.summary()?.cells.as_ref()?;
                    match role? {
                        FileRole::Data => Some((id, "the data".to_string(), "de_data.csv".to_string())),
                        FileRole::Predictions => {
                            let method = files.method_name(id)?.method;
                            Some((id, method.clone(), format!("de_{method}.csv")))
                        }
                        _ => None,
                    }
                })
                .collect::<Vec<_>>()
        })
    };
    let de_choice = RwSignal::new(None::<u32>);
    let chosen_de = move || {
        let files = de_files();
        de_choice.get().and_then(|id| files.iter().find(|(other, ..)| *other == id).cloned()).or(files.first().cloned())
    };
    let export_de = move |_| {
        let Some((id, _, file_name)) = chosen_de() else { return };
        leptos::task::spawn_local(async move {
            if let Err(error) = ask_download(state, Query::ExportDe { id, file_name }).await {
                state.page_error.set(Some(format!("the export failed: {error}")));
            }
        });
    };
    // Every file is written by the worker from the scores it kept (the page holds only the means).
    let export = move |export: ConventionExport| {
        let run_id = state.run_id.get_untracked();
        leptos::task::spawn_local(async move {
            if let Err(error) = ask_download(state, Query::ExportConventions { run_id, export }).await {
                state.page_error.set(Some(format!("the export failed: {error}")));
            }
        });
    };
    view! {
        <div class="conventions-panel" data-testid="conventions">
            <div class="section-head">
                <h2>"Conventions: what every evaluator would say"</h2>
            </div>
            <p class="hint">"The same points (seed, method, perturbation) scored as each tool scores them. The paper \
                uses the 1,000 most expressed genes and the observed control; GEARS, Systema, cell-eval and PerturBench \
                use all genes; cell-eval and PerturBench take changes from the prediction's own control; Systema \
                centres on the mean of the training perturbations. Hover or focus a column for its formula; ★ marks the \
                best value. Means are over all seeds. The leaderboard's \"Also show\" and the distributions' \"Metric\" \
                switch both to one convention's main metric."</p>
            <fieldset class="chooser" data-testid="convention-chooser"><legend>"Show"</legend>{chooser}</fieldset>
            <details class="methods-text" data-testid="conventions-methods">
                <summary>"How each tool scores, and why the numbers differ"</summary>
                <p class="hint">"P prediction, T observation, c observed control, ĉ the prediction file's own control \
                    (the observed one for built-in baselines and files without one, with a notice), μ the mean of the \
                    observed non-control training pseudobulks of the split. Points scored together: a seed's test ∪ val, \
                    or every evaluated perturbation under all or an uploaded split; ties in ranks count half."</p>
                <ul>{methods_text}</ul>
                <p>"What changes the numbers:"</p>
                <ul>
                    <li>"Genes: the paper uses the 1,000 most expressed; the others all genes (PDS leaves out the gene named \
                        exactly like the perturbation's label, so GEARS-style labels such as A+ctrl drop nothing)."</li>
                    <li>"Control: cell-eval and PerturBench take changes from the prediction's own control: an off control \
                        moves pearson_delta and the discrimination scores, not mae."</li>
                    <li>"Reference: Systema's centred correlation subtracts the mean of the training perturbations."</li>
                    <li>"Error form: L2 is summed over genes; mse, mae and rmse are averaged."</li>
                    <li>"NaN: GEARS makes an undefined correlation 0, cell-eval and Systema keep it, PerturBench skips it."</li>
                    <li>"Precision: cell-eval keeps pseudobulks and their differences in float32."</li>
                </ul>
            </details>
            <Show when=move || state.conventions.with(Option::is_none)
                fallback=move || view! { {table} }>
                <p class="hint" data-testid="conventions-pending">"Scoring under every convention…"</p>
            </Show>
            <Show when=move || state.conventions.with(|r| r.as_ref().is_some_and(|r| r.pairwise_deferred))>
                <button class="secondary" data-testid="conventions-pairwise" disabled=move || computing.get()
                    on:click=move |_| {
                        computing.set(true);
                        let run_id = state.run_id.get_untracked();
                        leptos::task::spawn_local(async move {
                            load_conventions(state, run_id, true).await;
                            computing.set(false);
                        });
                    }>"Compute the pairwise metrics (slow for many points)"</button>
            </Show>
            <ul class="notices" data-testid="conventions-notices">{notices}</ul>
            <h3>"Why the numbers differ"</h3>
            <p class="hint">"Each rung changes one choice, from the paper's number (rung 0) to the tool's (last rung); \
                the values are each method's mean after the change."</p>
            <label>"Ladder "
                <select data-testid="ladder-choice" on:change=move |event| {
                    if let Ok(index) = event_target_value(&event).parse() { ladder.set(index) }
                }>{ladder_options}</select>
            </label>
            {move || state.conventions.with(|report| report.as_ref().map(|report| ladder_chart(report, ladder.get(), &state.styles.get())))}
            {scores}
            <h3>"Export"</h3>
            <div class="exports">
                <button data-testid="export-conventions" disabled=move || state.conventions.with(Option::is_none)
                    on:click=move |_| export(ConventionExport::Points)>"conventions.csv"</button>
                <button data-testid="export-conventions-ladder" disabled=move || state.conventions.with(Option::is_none)
                    on:click=move |_| export(ConventionExport::Ladder)>"conventions_ladder.csv"</button>
                <label>"cell-eval files of "
                    <select data-testid="celleval-method" on:change=move |event| celleval_method.set(event_target_value(&event))>
                        {move || {
                            let chosen = chosen_method();
                            methods().into_iter().map(|method| {
                                let selected = method == chosen;
                                view! { <option value=method.clone() selected=selected>{method.clone()}</option> }
                            }).collect_view()
                        }}
                    </select>
                </label>
                <button data-testid="export-celleval" disabled=move || state.conventions.with(Option::is_none)
                    on:click=move |_| export(ConventionExport::CellEval { method: chosen_method(), aggregate: false })>"results.csv"</button>
                <button data-testid="export-celleval-agg" disabled=move || state.conventions.with(Option::is_none)
                    on:click=move |_| export(ConventionExport::CellEval { method: chosen_method(), aggregate: true })>"agg_results.csv"</button>
                <button data-testid="export-celleval-score"
                    disabled=move || state.conventions.with(|report| !report.as_ref().is_some_and(|report| report.celleval_scores.iter().any(|score| score.method == chosen_method())))
                    on:click=move |_| export(ConventionExport::CellEvalScore { method: chosen_method() })>"score.csv"</button>
                <label>"DE table of "
                    <select data-testid="de-file" on:change=move |event| de_choice.set(event_target_value(&event).parse().ok())>
                        {move || {
                            let chosen = chosen_de().map(|(id, ..)| id);
                            de_files().into_iter().map(|(id, label, _)| {
                                view! { <option value=id.to_string() selected=Some(id) == chosen>{label}</option> }
                            }).collect_view()
                        }}
                    </select>
                </label>
                <button data-testid="export-de" disabled=move || state.conventions.with(Option::is_none) || chosen_de().is_none()
                    on:click=export_de>{move || chosen_de().map(|(_, _, name)| name).unwrap_or_else(|| "de.csv (cells only)".into())}</button>
            </div>
            <p class="hint">"cell-eval's files hold one split: the method's first seed under a seeded split."</p>
        </div>
    }
}
