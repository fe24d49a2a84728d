//! The plot panels: a canvas drawn by the engine's plots (`perturb_check::plots`), hovering, and PNG / SVG
//! export of the same drawing. Every plot takes its method colours from the run's `MethodStyles`.

use super::canvas::DotCanvas;
use super::download::{download_text, download_url};
use super::state::use_state;
use super::worker_client::ask;
use leptos::html::Canvas;
use leptos::prelude::*;
use perturb_check::conventions::celleval_de::Volcano;
use perturb_check::conventions::{MetricValues, METRICS};
use perturb_check::plots::{self, distribution, Chart, Distribution, HoverPoint, Metric, HEIGHT, WIDTH};
use perturb_check::protocol::{Query, Reply};
use plotters::prelude::*;

/// The DE of one perturbation as a volcano plot, a method's significant genes marked; hovering names the gene.
#[component]
pub fn VolcanoPlot(volcano: Memo<Option<Volcano>>) -> impl IntoView {
    let chart = Memo::new(move |_| volcano.get().map(Chart::Volcano));
    let file_name = Signal::derive(move || {
        volcano
            .with(|v| v.as_ref().map(|v| format!("volcano_{}", v.perturbation.replace('+', "_"))).unwrap_or_default())
    });
    view! {
        <PlotPanel chart file_stem="volcano" file_name label="Volcano plot: log2 fold change against −log10 fdr per gene"
            caption="Each dot is a gene: the data's cells against the control cells (Mann–Whitney U, Benjamini–Hochberg, as pdex for cell-eval); the line is fdr 0.05." />
    }
}

/// A plot on a canvas, with PNG and SVG export of the same drawing.
#[component]
fn PlotPanel(
    chart: Memo<Option<Chart>>,
    /// Names the export buttons (`export-{file_stem}-png`) and, without `file_name`, the exported files.
    file_stem: &'static str,
    #[prop(into)] label: Signal<String>,
    #[prop(into)] caption: Signal<String>,
    /// The exported files' name without extension, when it depends on what is shown.
    #[prop(optional, into)]
    file_name: Option<Signal<String>>,
    /// What the hover line says before a point is hovered.
    #[prop(optional, into)]
    hover_hint: Option<Signal<String>>,
) -> impl IntoView {
    let hover_hint = hover_hint.unwrap_or_else(|| Signal::derive(|| "Point at a dot to see its gene.".to_string()));
    let file_name = move || file_name.map(|name| name.get_untracked()).unwrap_or_else(|| file_stem.to_string());
    let canvas = NodeRef::<Canvas>::new();
    let hover_points = RwSignal::new(Vec::<HoverPoint>::new());
    let hovered = RwSignal::new(None::<String>);
    // How many drawings have finished (`data-drawn`, which the page benchmark waits for).
    let drawn = RwSignal::new(0u32);
    let state = use_state();
    // Drawn at the screen's pixel ratio (crisp on high-DPI screens). The drawing is WIDTH × HEIGHT, or as
    // wide as the figure on a narrower screen (down to MIN_WIDTH), so that its text stays legible on a phone.
    let ratio = window().device_pixel_ratio().clamp(1.0, 3.0);
    let drawing_width = RwSignal::new(WIDTH);
    Effect::new(move |_| {
        let (Some(element), Some(chart)) = (canvas.get(), chart.get()) else { return };
        let styles = state.styles.get();
        // Drawn in a task of its own, so that the page never blocks for long when results arrive.
        set_timeout(
            move || {
                let available = element.parent_element().map(|figure| figure.client_width()).unwrap_or(0);
                let width = if available > 0 { (available as u32).clamp(MIN_WIDTH, WIDTH) } else { WIDTH };
                drawing_width.set(width);
                element.set_width((f64::from(width) * ratio).round() as u32);
                element.set_height((f64::from(HEIGHT) * ratio).round() as u32);
                if let Some(backend) = DotCanvas::new(element, (width, HEIGHT), ratio) {
                    let drawing = backend.into_drawing_area();
                    hover_points.set(plots::draw_chart(&drawing, &chart, &styles).unwrap_or_default());
                    drawn.update(|count| *count += 1);
                }
            },
            std::time::Duration::ZERO,
        );
    });
    // The canvas is scaled by CSS: map the pointer back to drawing pixels, then name the nearest point.
    let on_move = move |event: leptos::ev::MouseEvent| {
        let Some(element) = canvas.get_untracked() else { return };
        let scale = f64::from(drawing_width.get_untracked()) / element.client_width().max(1) as f64;
        let (x, y) = (event.offset_x() as f64 * scale, event.offset_y() as f64 * scale);
        let nearest = hover_points.with_untracked(|points| {
            points
                .iter()
                .map(|point| ((point.x as f64 - x).powi(2) + (point.y as f64 - y).powi(2), *point))
                .filter(|(distance, _)| *distance <= 64.0)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, point)| point)
        });
        hovered.set(nearest.and_then(|point| chart.with_untracked(|chart| chart.as_ref()?.hover_label(point))));
    };
    let export_svg = move |_| {
        let Some(chart) = chart.get_untracked() else { return };
        let svg = plots::svg(&chart, &state.styles.get_untracked());
        download_text(&format!("{}.svg", file_name()), &svg, "image/svg+xml");
    };
    let export_png = move |_| {
        if let Some(url) = canvas.get_untracked().and_then(|element| element.to_data_url().ok()) {
            download_url(&format!("{}.png", file_name()), &url);
        }
    };
    view! {
        <figure class="plot" data-drawn=move || drawn.get()>
            <canvas node_ref=canvas width=WIDTH height=HEIGHT role="img" aria-label=move || label.get() on:mousemove=on_move
                on:mouseleave=move |_| hovered.set(None)></canvas>
            <Show when=move || hover_points.with(|points| !points.is_empty())>
                <p class="hover-info" data-testid="hover-info" aria-live="polite">
                    {move || hovered.get().unwrap_or_else(|| hover_hint.get())}
                </p>
            </Show>
            <figcaption>
                {move || caption.get()}
                <span class="plot-actions">
                    <button class="secondary small" data-testid=format!("export-{file_stem}-png") on:click=export_png>"PNG"</button>
                    <button class="secondary small" data-testid=format!("export-{file_stem}-svg") on:click=export_svg>"SVG"</button>
                </span>
            </figcaption>
        </figure>
    }
}

/// The narrowest drawing on the page (a phone); the exports are always WIDTH × HEIGHT.
const MIN_WIDTH: u32 = 440;

/// The hover line of the distribution plots before a point is hovered.
const POINT_HINT: &str = "Point at a dot to see its perturbation and seed.";

/// The paper's Fig. 2c: each method's mean L2 ratio to the reference with its 95% interval (log2 axis),
/// from the leaderboard's summaries as shown.
#[component]
pub fn ForestPlot() -> impl IntoView {
    let state = use_state();
    let chart = Memo::new(move |_| {
        state.report.with(|report| {
            let report = report.as_ref()?;
            let summaries = report.summaries(state.comparison.get());
            let forest = plots::Forest::from_summaries(summaries, report.reference.as_deref()?);
            (!forest.rows.is_empty()).then_some(Chart::Forest(forest))
        })
    });
    // The paper's published methods on one of its single-perturbation datasets, as a second panel.
    let published = RwSignal::new(String::new());
    let published_chart = RwSignal::new(None::<Chart>);
    let published_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let dataset = published.get();
        if dataset.is_empty() {
            published_chart.set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            match super::demos::fetch_text(PUBLISHED_FOREST).await {
                Ok(text) if published.get_untracked() == dataset => {
                    published_error.set(None);
                    published_chart.set(Some(Chart::Forest(plots::Forest::published(&text, &dataset))));
                }
                Ok(_) => {}
                Err(error) => published_error.set(Some(error)),
            }
        });
    });
    let published_memo = Memo::new(move |_| published_chart.get());
    view! {
        <Show when=move || chart.with(Option::is_some)>
            <div class="section-head">
                <h2>"L2 relative to the reference"</h2>
                <label class="field inline"><span>"Beside it:"</span>
                    <select data-testid="forest-published" on:change=move |event| published.set(event_target_value(&event))>
                        <option value="">"only this run"</option>
                        <option value="adamson">"published, other data: Adamson"</option>
                        <option value="replogle_k562_essential">"published, other data: Replogle K562"</option>
                        <option value="replogle_rpe1_essential">"published, other data: Replogle RPE1"</option>
                    </select>
                </label>
            </div>
            <div data-testid="forest">
                <PlotPanel chart file_stem="forest" label="Each method's L2 relative to the reference baseline, with 95% intervals"
                    caption="Mean over points of the method's L2 divided by the reference's, with the 95% bootstrap interval (the leaderboard's ratio column); the line is the reference; best at the top." />
            </div>
            <Show when=move || published_error.get().is_some()>
                <p role="alert" class="error">{move || published_error.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || published_memo.with(Option::is_some)>
                <div data-testid="forest-published-panel">
                    <PlotPanel chart=published_memo file_stem="forest_published" label="Published methods of the paper on another dataset, L2 relative to mean"
                        caption="Published, other data: the paper's methods on the chosen dataset (its source data, test ∪ val of seeds 1–2), L2 relative to its mean baseline with the 95% bootstrap interval, computed here from the published per-perturbation values." />
                </div>
            </Show>
        </Show>
    }
}

/// The published methods' forest values (examples/published_forest.rs).
const PUBLISHED_FOREST: &str = "demo/published/single_perturbation_forest.csv";

/// A metric's distribution per method (points over a box).
#[component]
pub fn DistributionPlot(metric: Metric) -> impl IntoView {
    let state = use_state();
    let chart = Memo::new(move |_| {
        state.report.with(|report| {
            report.as_ref().map(|report| Chart::Distribution(distribution(&report.rows, &report.methods, metric)))
        })
    });
    view! { <PlotPanel chart file_stem=metric.file_stem() label=metric.label() caption=metric.caption() hover_hint=POINT_HINT.to_string() /> }
}

/// The chosen convention's main metric (`state.score_by`) per method, its values from the run the worker kept.
#[component]
pub fn ConventionDistributionPlot() -> impl IntoView {
    let state = use_state();
    let values = RwSignal::new(None::<MetricValues>);
    let error = RwSignal::new(None::<String>);
    // Asked again for a new run, another metric, or the conventions scored again (pairwise metrics on request).
    Effect::new(move |_| {
        state.conventions.track();
        let Some(index) = state.score_by.get() else { return };
        if !state.report.with(Option::is_some) {
            return;
        }
        let run_id = state.run_id.get_untracked();
        let (convention, metric) = (METRICS[index].convention.to_string(), METRICS[index].metric.to_string());
        leptos::task::spawn_local(async move {
            let answer = ask(state, Query::MetricValues { run_id, convention, metric }).await;
            if state.score_by.get_untracked() != Some(index) || state.run_id.get_untracked() != run_id {
                return;
            }
            match answer {
                Ok(Reply::MetricValues(answer)) => {
                    error.set(None);
                    values.set(Some(*answer));
                }
                Ok(_) => error.set(Some("the worker answered with something else than a metric's values".into())),
                Err(message) => error.set(Some(message)),
            }
        });
    });
    let shown =
        move || values.with(|values| values.as_ref().map(|v| format!("{}:{}", v.info.convention, v.info.metric)));
    let axis = move || {
        values.with(|values| {
            values.as_ref().map(|v| {
                let direction = if v.info.higher_is_better { "higher is better" } else { "lower is better" };
                format!("{} {} ({direction})", v.info.convention, v.info.metric)
            })
        })
    };
    let chart = Memo::new(move |_| {
        values.with(|values| {
            values.as_ref().map(|v| {
                Chart::Distribution(Distribution {
                    methods: v.methods.clone(),
                    values: v.values.clone(),
                    labels: v.labels.clone(),
                    axis: axis().unwrap_or_default(),
                })
            })
        })
    });
    let caption = Signal::derive(move || {
        values.with(|values| {
            let Some(v) = values.as_ref() else { return "Scoring the run under this convention…".to_string() };
            let undefined: usize = v.undefined.iter().sum();
            let left_out = if undefined == 0 {
                String::new()
            } else {
                format!(" {undefined} points without a value (undefined there, or not computed) are left out.")
            };
            format!(
                "{} {} per (seed, perturbation), one column per method: {}. Source: {}.{left_out}",
                v.info.convention, v.info.metric, v.info.formula, v.info.source
            )
        })
    });
    let file_name = Signal::derive(move || {
        shown().map(|shown| format!("{}_by_method", shown.replace(':', "_"))).unwrap_or_default()
    });
    view! {
        <Show when=move || error.get().is_some()>
            <p role="alert" class="error" data-testid="plot-convention-error">{move || error.get().unwrap_or_default()}</p>
        </Show>
        <div data-testid="convention-plot" data-shown=move || shown().unwrap_or_default()>
            <PlotPanel chart file_stem="convention_by_method" label=Signal::derive(move || axis().unwrap_or_default())
                caption file_name hover_hint=POINT_HINT.to_string() />
        </div>
    }
}

/// The error as a function of the number of genes, per method.
#[component]
pub fn ErrorCurvePlot() -> impl IntoView {
    let state = use_state();
    let chart = Memo::new(move |_| {
        state.report.with(|report| report.as_ref().map(|report| Chart::ErrorCurves(report.error_curves.clone())))
    });
    view! {
        <PlotPanel chart file_stem="error_vs_genes" label="Mean L2 against the number of genes"
            caption="sqrt(cumsum((prediction − observation)²)) over genes ordered by control expression, averaged over each method's points." />
    }
}

/// Observed against predicted change for one chosen perturbation, every method; hovering names the gene.
#[component]
pub fn DetailPlot() -> impl IntoView {
    let state = use_state();
    let seeds = Memo::new(move |_| {
        state.report.with(|report| {
            report.as_ref().map(|r| r.splits.iter().map(|s| s.seed).collect::<Vec<_>>()).unwrap_or_default()
        })
    });
    let seed = RwSignal::new(None::<u32>);
    let perturbation = RwSignal::new(String::new());
    let perturbations = Memo::new(move |_| {
        let chosen = seed.get();
        state.report.with(|report| {
            let mut names: Vec<String> = report
                .as_ref()
                .map(|r| r.rows.iter().filter(|row| row.seed == chosen).map(|row| row.perturbation.clone()).collect())
                .unwrap_or_default();
            names.sort();
            names.dedup();
            names
        })
    });
    // A new report: the first seed and its first perturbation.
    Effect::new(move |_| {
        let first_seed = seeds.get().first().copied().flatten();
        seed.set(first_seed);
    });
    Effect::new(move |_| {
        let names = perturbations.get();
        if !names.contains(&perturbation.get_untracked()) {
            perturbation.set(names.first().cloned().unwrap_or_default());
        }
    });
    // The chosen condition's detail, from the run the worker kept; a failure shows under these controls.
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let (chosen_seed, chosen) = (seed.get(), perturbation.get());
        if chosen.is_empty() || !state.report.with(Option::is_some) {
            return;
        }
        let run_id = state.run_id.get_untracked();
        leptos::task::spawn_local(async move {
            let query = Query::Detail { run_id, seed: chosen_seed, perturbation: chosen.clone() };
            let answer = ask(state, query).await;
            // Only the answer for what is still chosen is shown.
            if (seed.get_untracked(), perturbation.get_untracked()) != (chosen_seed, chosen) {
                return;
            }
            match answer {
                Ok(Reply::Detail(detail)) => {
                    error.set(None);
                    state.detail.set(Some(*detail));
                }
                Ok(_) => error.set(Some("the worker answered with something else than a detail".into())),
                Err(message) => error.set(Some(message)),
            }
        });
    });
    let chart = Memo::new(move |_| state.detail.get().map(Chart::Scatter));
    let shown = move || state.detail.with(|detail| detail.as_ref().map(|d| d.perturbation.clone()).unwrap_or_default());
    view! {
        <div class="detail-controls" data-testid="detail-controls" data-shown=shown>
            <label class="field inline">
                <span>"Seed"</span>
                <select data-testid="detail-seed" prop:value=move || seed.get().map(|s| s.to_string()).unwrap_or_default()
                    on:change=move |event| seed.set(event_target_value(&event).parse().ok())>
                    {move || seeds.get().into_iter().map(|s| {
                        let value = s.map(|s| s.to_string()).unwrap_or_default();
                        let label = s.map(|s| format!("seed {s}")).unwrap_or_else(|| "no seed".into());
                        view! { <option value=value>{label}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class="field inline">
                <span>"Perturbation"</span>
                <select data-testid="detail-perturbation" prop:value=move || perturbation.get()
                    on:change=move |event| perturbation.set(event_target_value(&event))>
                    {move || perturbations.get().into_iter().map(|name| view! { <option value=name.clone()>{name.clone()}</option> }).collect_view()}
                </select>
            </label>
        </div>
        <Show when=move || error.get().is_some()>
            <p role="alert" class="error" data-testid="detail-error">{move || error.get().unwrap_or_default()}</p>
        </Show>
        <PlotPanel chart file_stem="observed_vs_predicted" label="Predicted against observed change per gene"
            caption="Each dot is a gene of the metrics' gene set; the diagonal is a perfect prediction." />
    }
}

/// The interaction scores' histogram with the fitted densities and the thresholds in use.
#[component]
pub fn ScoreHistogramPlot() -> impl IntoView {
    let state = use_state();
    let chart = Memo::new(move |_| {
        state.report.with(|report| {
            let interactions = report.as_ref()?.interactions.as_ref()?;
            let thresholds = interactions.thresholds.as_ref();
            Some(Chart::ScoreHistogram {
                histogram: interactions.histogram.clone()?,
                upper: thresholds.map(|t| t.upper),
                lower: thresholds.map(|t| t.lower),
            })
        })
    });
    view! {
        <PlotPanel chart file_stem="interaction_scores" label="Histogram of interaction scores with the fitted null"
            caption="locfdr's 119 bins of all double × gene scores, its fitted mixture density and the null part p0·f0 (in pairs per bin); pairs outside the thresholds are interactions." />
    }
}

/// TPR against FDP per method, as in the paper's figure (log TPR).
#[component]
pub fn TprFdpPlot() -> impl IntoView {
    let state = use_state();
    let chart = Memo::new(move |_| {
        state.report.with(|report| Some(Chart::TprFdp(report.as_ref()?.interactions.as_ref()?.tpr_fdp.clone())))
    });
    view! {
        <PlotPanel chart file_stem="interaction_tpr_fdp" label="True positive rate against false discovery proportion per method"
            caption="Pairs ranked by |prediction − additive expectation|; TPR at each FDP, averaged over seeds. TPR below 0.001 (including 0) is drawn at 0.001." />
    }
}
