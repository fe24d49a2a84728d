//! The page: a component per thing the user sees, state in signals shared through context.

mod audits;
mod canvas;
mod cells;
mod conventions;
mod de;
mod demos;
mod download;
mod file_cards;
mod files;
mod interactions;
mod internal_error;
mod offline;
mod plots;
mod report;
mod results;
mod sections;
mod settings;
mod simulator;
mod state;
mod tour;
mod worker_client;

use leptos::prelude::*;
use perturb_check::plots::Metric;
use plots::{ConventionDistributionPlot, DetailPlot, DistributionPlot, ErrorCurvePlot, ForestPlot};
use state::{AppState, Demo};

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    if let Some(saved) = settings::settings_from_hash() {
        state.settings.set(saved);
    }
    worker_client::start(state);
    // Every reading uses the condition rules in force: when they change (typed, imported, from a link), the
    // files are read again.
    Effect::new(move |previous: Option<perturb_check::conditions::ConditionRules>| {
        let rules = state.settings.with(|settings| settings.rules.clone());
        if previous.is_some_and(|previous| previous != rules) {
            worker_client::read_all_again(state);
        }
        rules
    });
    internal_error::expose_debug_hook();
    offline::register_service_worker();
    // `?demo=simulated|papalexi|norman` runs a demo directly.
    let search = window().location().search().unwrap_or_default();
    let demo =
        search.trim_start_matches('?').split('&').find_map(|pair| pair.strip_prefix("demo=")).and_then(Demo::from_key);
    if let Some(demo) = demo {
        demos::load_demo(state, demo);
    }
    // `?tour=1` opens the guided tour as the page first renders.
    let tour = tour::Tour::new();
    if search.trim_start_matches('?').split('&').any(|pair| pair == "tour=1") {
        tour.begin(state);
    }
    let has_report = move || state.report.with(Option::is_some);
    // Plots and the long table render one task after the leaderboard, so no single task blocks the page.
    let show_details = RwSignal::new(false);
    // The Conventions panel renders in a task of its own after that.
    let show_conventions = RwSignal::new(false);
    Effect::new(move |_| {
        if has_report() {
            set_timeout(
                move || {
                    show_details.set(true);
                    set_timeout(move || show_conventions.set(true), std::time::Duration::ZERO);
                },
                std::time::Duration::ZERO,
            );
        } else {
            show_details.set(false);
            show_conventions.set(false);
        }
    });
    // After a run the verdict comes into view (or the section the URL names, once).
    let wanted_section = RwSignal::new(settings::section_from_hash());
    Effect::new(move |_| {
        if show_conventions.get() {
            set_timeout(
                move || match wanted_section.get_untracked() {
                    Some(section) => {
                        wanted_section.set(None);
                        sections::go_to(state, &section);
                    }
                    None => sections::go_to(state, "verdict"),
                },
                std::time::Duration::ZERO,
            );
        }
    });
    view! {
        <header class="page-header">
            <h1>"Perturb Check"</h1>
            <p class="lead">
                "Does your model of genetic perturbation effects beat deliberately simple baselines? "
                "Drop Perturb-seq pseudobulk data and a model's predictions to score them against \"no change\", "
                "the additive model, the training mean and a linear model, exactly as Ahlmann-Eltze, Huber & Anders (Nature Methods 2025) did."
            </p>
            <p class="privacy">"Private by design: your files are read in this browser tab and never uploaded; the page makes no network requests after it has loaded, and works offline once opened."</p>
        </header>
        <main>
            <tour::TourPanel tour />
            <Show when=move || state.page_error.get().is_some()>
                <p role="alert" class="error">{move || state.page_error.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || state.page_notice.get().is_some()>
                <p class="notice" role="status" data-testid="page-notice">{move || state.page_notice.get().unwrap_or_default()}</p>
            </Show>
            <internal_error::InternalError />
            <div class="inputs" class:compact=has_report>
                <file_cards::DropZone />
                <demos::DemoCards />
                <simulator::SimulatorPanel />
                <file_cards::FileList />
                <settings::SettingsPanel />
                <results::RunBar />
            </div>
            <div class="results-layout" class:with-results=has_report>
                <Show when=has_report>
                    <sections::Toc />
                </Show>
                <div class="sections">
                    <Show when=has_report>
                        <sections::Verdict>
                            <report::ReportExport />
                        </sections::Verdict>
                        <section id="leaderboard" class="leaderboard" aria-label="Leaderboard">
                            <results::Leaderboard />
                        </section>
                    </Show>
                    <Show when=move || has_report() && show_details.get()>
                        <section id="conventions" aria-label="Conventions">
                            <Show when=move || show_conventions.get() fallback=|| view! { <h2>"Conventions"</h2><p class="hint">"Scoring under every convention…"</p> }>
                                <conventions::ConventionsPanel />
                            </Show>
                            <de::DePanel />
                        </section>
                        <section id="plots" class="plots" aria-label="Plots">
                            <div class="section-head">
                                <h2>"Distributions"</h2>
                                <results::MainMetricChooser testid="plot-convention" label="Metric: " paper="the paper's L2 and Pearson delta" />
                            </div>
                            <Show when=move || state.score_by.get().is_some()
                                fallback=|| view! { <DistributionPlot metric=Metric::L2 /> <DistributionPlot metric=Metric::PearsonDelta /> }>
                                <ConventionDistributionPlot />
                            </Show>
                            <ForestPlot />
                            <h2>"Error against the number of genes"</h2>
                            <ErrorCurvePlot />
                            <h2>"Observed against predicted change"</h2>
                            <DetailPlot />
                        </section>
                        <section id="interactions" aria-label="Genetic interactions">
                            <interactions::InteractionsPanel />
                        </section>
                        <section id="per-perturbation" aria-label="Per perturbation">
                            <results::ResultsTable />
                        </section>
                        <section id="checks" aria-label="Checks">
                            <audits::AuditsPanel />
                            <results::RunNotices />
                        </section>
                    </Show>
                    <sections::MethodsSection />
                </div>
            </div>
        </main>
        <footer>
            <p>"Splits, baselines and metrics follow the paper's published code (const-ae/linear_perturbation_prediction-Paper, commit f5b6679); "
                <sections::SectionLink id="methods">"Methods"</sections::SectionLink>
                " explains each number. Perturb Check " {env!("CARGO_PKG_VERSION")} ", commit " {env!("PERTURB_CHECK_COMMIT")} "."</p>
        </footer>
    }
}
