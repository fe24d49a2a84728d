//! The Interactions panel (shown when the data hold doubles with both singles): the thresholds and their
//! override, the score histogram, observed class counts, TPR-vs-FDP curves, AUPRC / AUROC and the
//! predicted-vs-observed classes of each method's top pairs, with their exports.

use super::download::download_text;
use super::plots::{ScoreHistogramPlot, TprFdpPlot};
use super::results::format_number;
use super::state::use_state;
use super::worker_client::rescore_interactions;
use leptos::prelude::*;
use perturb_check::interactions::{
    interactions_csv, interactions_json, InteractionReport, ManualThresholds, ObservedClass, PredictedClass,
    ThresholdSource, TOP_PAIRS,
};

/// A value with three significant decimals and a true minus sign.
fn signed(value: f64) -> String {
    format!("{value:.4}").replace('-', "−")
}

#[component]
pub fn InteractionsPanel() -> impl IntoView {
    let state = use_state();
    let report = Memo::new(move |_| state.report.with(|report| report.as_ref()?.interactions.clone()));
    let has = move |pick: fn(&InteractionReport) -> bool| report.with(|report| report.as_ref().is_some_and(pick));
    view! {
        <Show when=move || report.with(Option::is_some) fallback=|| view! {
            <h2>"Genetic interactions"</h2>
            <p class="hint" data-testid="no-interactions">"No interaction analysis for this run: it needs double perturbations whose two singles are measured."</p>
        }>
            <div class="interactions" data-testid="interactions">
                <h2>"Genetic interactions"</h2>
                <p class="hint">{move || report.with(|report| report.as_ref().map(|r| format!(
                    "Interaction score AB − (A + B − c) of each of {} doubles on each of the {} most expressed genes ({} scores). \
                     Thresholds come from the local false discovery rate (Efron's locfdr, as the paper): the positive and negative \
                     scores whose local fdr is closest to 0.05.",
                    r.n_doubles, r.n_genes, r.n_doubles * r.n_genes)).unwrap_or_default())}</p>
                <Show when=move || has(|r| !r.skipped_doubles.is_empty())>
                    <p class="hint">{move || report.with(|report| report.as_ref().map(|r| format!(
                        "{} double(s) have no score because a single is not measured: {}.",
                        r.skipped_doubles.len(), r.skipped_doubles.join(", "))).unwrap_or_default())}</p>
                </Show>
                <Show when=move || has(|r| r.fit_error.is_some())>
                    <p role="alert" class="error" data-testid="interaction-fit-error">{move || report.with(|report| report.as_ref().and_then(|r| r.fit_error.clone()).map(|error| format!(
                        "The local fdr could not be fitted: {error}. No threshold is made up: set both thresholds below to classify the pairs."
                    )).unwrap_or_default())}</p>
                </Show>
                <ThresholdForm report />
                <Show when=move || has(|r| r.misfit.is_some_and(|misfit| misfit > 1.5))>
                    <p class="hint">{move || report.with(|report| report.as_ref().and_then(|r| r.misfit).map(|misfit| format!(
                        "locfdr would warn: the spline fits the histogram loosely (misfit {misfit:.1} > 1.5); the thresholds may be rough."
                    )).unwrap_or_default())}</p>
                </Show>
                <ScoreHistogramPlot />
                <Show when=move || has(|r| r.thresholds.is_some())>
                    <ClassCounts report />
                    <Show when=move || has(|r| r.truth.is_some())>
                        <TruthPanel report />
                    </Show>
                    <h3>"Finding the interactions"</h3>
                    <p class="hint">"Each method ranks the pairs of its test and validation doubles by |prediction − additive expectation|; a good method ranks the true interactions first. The additive model is left out (its score is always 0); no change is kept, as in the paper."</p>
                    <TprFdpPlot />
                    <AucTable report />
                    <TopPairsTable report />
                    <For each=move || report.with(|report| report.as_ref().map(|r| r.notes.clone()).unwrap_or_default())
                        key=|note| note.clone() let:note>
                        <p class="hint">{note}</p>
                    </For>
                    <InteractionExports report />
                </Show>
            </div>
        </Show>
    }
}

/// The thresholds in use, where they come from, and the fields to set them by hand.
#[component]
fn ThresholdForm(report: Memo<Option<InteractionReport>>) -> impl IntoView {
    let state = use_state();
    let upper = RwSignal::new(String::new());
    let lower = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    // Rescored in the worker from the kept run; a failure shows under the form.
    let rescore = move |thresholds: Option<ManualThresholds>| {
        leptos::task::spawn_local(async move {
            if let Err(message) = rescore_interactions(state, thresholds).await {
                problem.set(Some(message));
            }
        });
    };
    // New thresholds in the report (a run, an override) refill the fields.
    Effect::new(move |_| {
        let thresholds = report.with(|report| report.as_ref().and_then(|r| r.thresholds.clone()));
        // Six decimals: what the eye needs (the exact values are in the exports).
        upper.set(thresholds.as_ref().map(|t| format!("{:.6}", t.upper)).unwrap_or_default());
        lower.set(thresholds.as_ref().map(|t| format!("{:.6}", t.lower)).unwrap_or_default());
    });
    let apply = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let parse = |text: String| text.trim().replace('−', "-").replace(',', ".").parse::<f64>().ok();
        match (parse(upper.get_untracked()), parse(lower.get_untracked())) {
            (Some(upper), Some(lower)) if upper.is_finite() && lower.is_finite() && lower < upper => {
                problem.set(None);
                rescore(Some(ManualThresholds { upper, lower }));
            }
            (Some(_), Some(_)) => problem.set(Some("the lower threshold must be below the upper one".into())),
            _ => problem.set(Some("enter two numbers, e.g. 0.2 and −0.2".into())),
        }
    };
    let source_text = move || {
        report.with(|report| {
            let report = report.as_ref()?;
            let thresholds = report.thresholds.as_ref()?;
            let fit = match (thresholds.delta, thresholds.sigma, thresholds.p0) {
                (Some(delta), Some(sigma), Some(p0)) => {
                    format!("null N(δ = {}, σ = {}), p0 = {:.4}", signed(delta), signed(sigma), p0)
                }
                _ => "no fitted null".into(),
            };
            Some(match thresholds.source {
                ThresholdSource::Locfdr => format!(
                    "Upper {} and lower {}, from locfdr ({fit}).",
                    signed(thresholds.upper),
                    signed(thresholds.lower)
                ),
                ThresholdSource::Manual => format!(
                    "Upper {} and lower {}, set by hand ({fit}).",
                    signed(thresholds.upper),
                    signed(thresholds.lower)
                ),
            })
        })
    };
    let manual = move || {
        report.with(|report| {
            report.as_ref().and_then(|r| r.thresholds.as_ref()).is_some_and(|t| t.source == ThresholdSource::Manual)
        })
    };
    view! {
        <p data-testid="interaction-thresholds">{source_text}</p>
        <form class="threshold-form" on:submit=apply>
            <label class="field inline">
                <span>"Upper threshold"</span>
                <input type="text" inputmode="decimal" data-testid="threshold-upper" prop:value=move || upper.get()
                    on:input=move |event| upper.set(event_target_value(&event)) />
            </label>
            <label class="field inline">
                <span>"Lower threshold"</span>
                <input type="text" inputmode="decimal" data-testid="threshold-lower" prop:value=move || lower.get()
                    on:input=move |event| lower.set(event_target_value(&event)) />
            </label>
            <button type="submit" class="secondary" data-testid="apply-thresholds">"Apply thresholds"</button>
            <Show when=manual>
                <button type="button" class="secondary" data-testid="reset-thresholds"
                    on:click=move |_| { problem.set(None); rescore(None) }>"Use locfdr's"</button>
            </Show>
        </form>
        <Show when=move || problem.get().is_some()>
            <p role="alert" class="error">{move || problem.get().unwrap_or_default()}</p>
        </Show>
    }
}

/// How many pairs fall in each observed class.
#[component]
fn ClassCounts(report: Memo<Option<InteractionReport>>) -> impl IntoView {
    let rows = move || {
        let classes = report.with(|report| report.as_ref().and_then(|r| r.classes.clone())).unwrap_or_default();
        let total: usize = classes.iter().map(|(_, n)| n).sum();
        classes
            .into_iter()
            .map(|(class, n)| {
                let share = if total > 0 { 100.0 * n as f64 / total as f64 } else { 0.0 };
                view! {
                    <tr data-class=class.name()>
                        <th scope="row">{class.name()}</th>
                        <td class="number">{n}</td>
                        <td class="number">{format!("{share:.2}%")}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <h3>"Observed classes"</h3>
        <p class="hint">"Synergy: singles and double move the same way and the double goes further than additive; buffering: it stays closer to the control; other: any other score beyond a threshold; additive: within the thresholds."</p>
        <div class="table-scroll">
            <table data-testid="interaction-classes">
                <thead><tr><th scope="col">"Class"</th><th scope="col">"Pairs"</th><th scope="col">"Share"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// AUPRC and AUROC per method, mean ± standard error over seeds.
#[component]
fn AucTable(report: Memo<Option<InteractionReport>>) -> impl IntoView {
    let rows = move || {
        let report = report.get().unwrap_or_default();
        let best = |metric: &str| {
            report.auc.iter().filter(|a| a.metric == metric).map(|a| a.mean).fold(f64::NEG_INFINITY, f64::max)
        };
        let (best_auprc, best_auroc) = (best("auprc"), best("auroc"));
        // One curve per scored method, in method order; its areas are in `auc`.
        report
            .tpr_fdp
            .iter()
            .map(|curve| {
                let method = &curve.method;
                let cell = |metric: &str, best: f64| {
                    let auc = report.auc.iter().find(|a| &a.method == method && a.metric == metric);
                    let text = auc
                        .map(|a| match a.se {
                            Some(se) => format!("{:.3} ± {:.3}", a.mean, se),
                            None => format!("{:.3}", a.mean),
                        })
                        .unwrap_or_else(|| "–".into());
                    let is_best = auc.is_some_and(|a| a.mean == best);
                    view! { <td class="number" class:best=is_best>{text}</td> }
                };
                view! {
                    <tr data-method=method.clone()>
                        <th scope="row">{method.clone()}</th>
                        {cell("auprc", best_auprc)}
                        {cell("auroc", best_auroc)}
                        <td class="number">{format_number(curve.tpr.get(50).copied())}</td>
                        <td class="number">{curve.n_seeds}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <div class="table-scroll">
            <table data-testid="interaction-auc">
                <thead>
                    <tr>
                        <th scope="col">"Method"</th>
                        <th scope="col">"AUPRC (mean ± SE)"</th>
                        <th scope="col">"AUROC (mean ± SE)"</th>
                        <th scope="col">"TPR at FDP 0.5"</th>
                        <th scope="col">"Seeds"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The predicted class of each method's top pairs against their observed class.
#[component]
fn TopPairsTable(report: Memo<Option<InteractionReport>>) -> impl IntoView {
    let rows = move || {
        let report = report.get().unwrap_or_default();
        report
            .class_tables
            .into_iter()
            .flat_map(|table| {
                PredictedClass::ALL
                    .iter()
                    .enumerate()
                    .map(|(p, predicted)| {
                        let counts = table.counts[p].clone();
                        view! {
                            <tr data-method=table.method.clone() data-predicted=predicted.name()>
                                <th scope="row">{(p == 0).then(|| format!("{} (top {})", table.method, table.n))}</th>
                                <th scope="row">{predicted.name()}</th>
                                {counts.into_iter().map(|n| view! { <td class="number">{n}</td> }).collect_view()}
                            </tr>
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .collect_view()
    };
    view! {
        <h3>{format!("Predicted against observed class of each method's top {TOP_PAIRS} pairs")}</h3>
        <p class="hint">"Top pairs by |prediction − additive expectation| over all seeds. Predicted buffering: between the control and the additive expectation; synergy: beyond the additive expectation; opposite: past the control."</p>
        <div class="table-scroll">
            <table data-testid="interaction-top-pairs">
                <thead>
                    <tr>
                        <th scope="col">"Method"</th>
                        <th scope="col">"Predicted"</th>
                        {ObservedClass::ALL.iter().map(|class| view! { <th scope="col">{format!("Observed {}", class.name())}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The planted kinds beside the classes found (a truth file, or the simulator's), and for the simulator's
/// screens how detection changes with the cells per condition.
#[component]
fn TruthPanel(report: Memo<Option<InteractionReport>>) -> impl IntoView {
    let state = use_state();
    let truth = Memo::new(move |_| report.with(|report| report.as_ref().and_then(|r| r.truth.clone())));
    let percent = |value: Option<f64>| value.map_or("–".to_string(), |value| format!("{:.0}%", 100.0 * value));
    let rows = move || {
        let Some(truth) = truth.get() else { return Vec::new() };
        ObservedClass::ALL
            .iter()
            .zip(truth.confusion)
            .map(|(expected, counts)| {
                view! {
                    <tr data-expected=expected.name()>
                        <th scope="row">{expected.name()}</th>
                        {counts.into_iter().map(|n| view! { <td class="number">{n}</td> }).collect_view()}
                    </tr>
                }
            })
            .collect::<Vec<_>>()
    };
    let summary = move || {
        truth.get().map(|truth| {
            format!(
                "Under the thresholds in use ({} and {}), precision of \"interaction\" {} (of the doubles found interacting, the share planted so) and recall {} (of the doubles planted with an interaction, the share found).{}",
                signed(truth.upper),
                signed(truth.lower),
                percent(truth.precision),
                percent(truth.recall),
                if truth.unscored.is_empty() { String::new() } else { format!(" {} double(s) of the truth file have no score: {}.", truth.unscored.len(), truth.unscored.join(", ")) }
            )
        })
    };
    // For the simulator's screens: the same screen with other numbers of cells.
    let detection = RwSignal::new(None::<Result<Vec<perturb_check::truth::Detection>, String>>);
    Effect::new(move |_| {
        let (Some(settings), Some(thresholds)) = (state.simulated.get(), truth.get().map(|t| (t.upper, t.lower)))
        else {
            detection.set(None);
            return;
        };
        let manual = report.with_untracked(|r| {
            r.as_ref()
                .and_then(|r| r.thresholds.as_ref())
                .filter(|t| t.source == ThresholdSource::Manual)
                .map(|_| ManualThresholds { upper: thresholds.0, lower: thresholds.1 })
        });
        let n_genes = state.settings.with_untracked(|s| s.benchmark.n_genes);
        let query = perturb_check::protocol::Query::Detection {
            settings,
            cells: perturb_check::truth::CELL_STEPS.to_vec(),
            n_genes,
            thresholds: manual,
        };
        leptos::task::spawn_local(async move {
            let answer = match super::worker_client::ask(state, query).await {
                Ok(perturb_check::protocol::Reply::Detection(rows)) => Ok(rows),
                Ok(_) => Err("the worker answered with something else".to_string()),
                Err(error) => Err(error),
            };
            detection.set(Some(answer));
        });
    });
    let detection_rows = move || {
        let current = state.simulated.with(|s| s.as_ref().map(|s| s.cells));
        match detection.get() {
            Some(Ok(rows)) => rows
                .into_iter()
                .map(|row| {
                    let is_current = Some(row.cells) == current;
                    view! {
                        <tr class:best=is_current data-cells=row.cells.to_string()>
                            <th scope="row">{row.cells}{is_current.then_some(" (this screen)")}</th>
                            <td class="number">{percent(row.precision)}</td>
                            <td class="number">{percent(row.recall)}</td>
                            <td>{row.error.unwrap_or_default()}</td>
                        </tr>
                    }
                })
                .collect_view()
                .into_any(),
            Some(Err(error)) => view! { <tr><td colspan="4" class="error">{error}</td></tr> }.into_any(),
            None => view! { <tr><td colspan="4" class="hint">"Simulating…"</td></tr> }.into_any(),
        }
    };
    view! {
        <div class="truth" id="truth" data-testid="truth">
            <h3>"Planted against found"</h3>
            <p class="hint">"Each double's observed class (the most frequent class among its genes beyond the thresholds; additive when none is) against the class its planted kind should show: additive, synergy and buffering as planted; dominant (one single masking the other) as buffering when both singles move the genes the same way (Σ (A − c)(B − c) > 0 over the genes), else other."</p>
            <p data-testid="truth-summary">{summary}</p>
            <div class="table-scroll">
                <table data-testid="truth-confusion">
                    <thead>
                        <tr>
                            <th scope="col">"Planted (as expected)"</th>
                            {ObservedClass::ALL.iter().map(|class| view! { <th scope="col">{format!("Found {}", class.name())}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <Show when=move || state.simulated.with(Option::is_some)>
                <h3>"Detection depends on noise"</h3>
                <p class="hint">"The same simulated screen (same seed) made again with other numbers of cells per condition, each analysed as this run was: with fewer cells the pseudobulk is noisier, the thresholds move out and fewer planted interactions are found."</p>
                <div class="table-scroll">
                    <table data-testid="truth-by-cells">
                        <thead><tr><th scope="col">"Cells per condition"</th><th scope="col">"Precision"</th><th scope="col">"Recall"</th><th scope="col"></th></tr></thead>
                        <tbody>{detection_rows}</tbody>
                    </table>
                </div>
            </Show>
        </div>
    }
}

/// interactions.json and one CSV per table.
#[component]
fn InteractionExports(report: Memo<Option<InteractionReport>>) -> impl IntoView {
    let export_json = move |_| {
        if let Some(report) = report.get_untracked() {
            download_text("interactions.json", &interactions_json(&report), "application/json");
        }
    };
    let csv_button = move |index: usize, label: &'static str, testid: &'static str| {
        let download = move |_| {
            if let Some(report) = report.get_untracked() {
                if let Some((name, text)) = interactions_csv(&report).into_iter().nth(index) {
                    download_text(&name, &text, "text/csv");
                }
            }
        };
        view! { <button class="secondary small" data-testid=testid on:click=download>{label}</button> }
    };
    view! {
        <div class="exports">
            <button class="secondary" data-testid="export-interactions" on:click=export_json>"interactions.json"</button>
            {csv_button(0, "classes.csv", "export-interaction-classes")}
            {csv_button(1, "tpr_fdp.csv", "export-interaction-tpr-fdp")}
            {csv_button(2, "auc.csv", "export-interaction-auc")}
            {csv_button(3, "top_pairs.csv", "export-interaction-top-pairs")}
        </div>
    }
}
