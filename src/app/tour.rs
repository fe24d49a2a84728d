//! The guided tour (`?tour=1`): the steps of `perturb_check::tour`, one at a time in a panel above the page,
//! each loading what it needs (a demo, the simulator's screen) and highlighting the part of the page it
//! talks about. Keyboard: Back / Next buttons, Escape leaves; a left tour can be resumed; finishing it puts
//! the page back as it was when the tour began.

use super::demos::load_demo;
use super::download::download_text;
use super::file_cards::{add_files, clear_files};
use super::files::file_handles;
use super::simulator::generate_and_run;
use super::state::{use_state, AppState, Demo, RunState};
use leptos::prelude::*;
use perturb_check::analysis::AnalysisSettings;
use perturb_check::simulator::SimulatorSettings;
use perturb_check::tour::{handout_html, TourAction, STEPS};

/// What the page held when the tour began.
#[derive(Clone)]
struct Before {
    files: Vec<web_sys::File>,
    settings: AnalysisSettings,
    simulator: SimulatorSettings,
    had_report: bool,
}

/// The tour's own state: the step shown (`None`: closed), the step to resume, what it last loaded.
#[derive(Clone, Copy)]
pub struct Tour {
    pub step: RwSignal<Option<usize>>,
    left_at: RwSignal<Option<usize>>,
    loaded: RwSignal<Option<TourAction>>,
    before: StoredValue<Option<Before>, LocalStorage>,
}

impl Tour {
    pub fn new() -> Self {
        Tour {
            step: RwSignal::new(None),
            left_at: RwSignal::new(None),
            loaded: RwSignal::new(None),
            before: StoredValue::new_local(None),
        }
    }

    /// Opens the tour at its first step (the page as it is now is what finishing returns to).
    pub fn begin(self, state: AppState) {
        let files = file_handles(&state.files.with_untracked(|files| files.ids()));
        self.before.set_value(Some(Before {
            files,
            settings: state.settings.get_untracked(),
            simulator: state.simulator.get_untracked(),
            had_report: state.report.with_untracked(Option::is_some),
        }));
        self.loaded.set(None);
        self.left_at.set(None);
        self.step.set(Some(0));
    }

    fn leave(self) {
        self.left_at.set(self.step.get_untracked());
        self.step.set(None);
    }

    /// Closes the tour and puts back the files and settings the page had when it began.
    fn finish(self, state: AppState) {
        self.step.set(None);
        self.left_at.set(None);
        if self.loaded.get_untracked().is_none() {
            return;
        }
        self.loaded.set(None);
        if let Some(before) = self.before.get_value() {
            clear_files(state);
            state.report.set(None);
            state.published.set(None);
            state.run_state.set(RunState::Idle);
            state.settings.set(before.settings);
            state.simulator.set(before.simulator);
            state.run_when_read.set(before.had_report && !before.files.is_empty());
            add_files(state, before.files);
        }
    }
}

/// Loads what step `step` needs, unless the tour loaded it already.
fn enter(state: AppState, tour: Tour, step: usize) {
    let action = STEPS[step].action;
    if action == TourAction::None || tour.loaded.get_untracked() == Some(action) {
        return;
    }
    tour.loaded.set(Some(action));
    match action {
        TourAction::None => {}
        TourAction::Demo(key) => {
            if let Some(demo) = Demo::from_key(key) {
                load_demo(state, demo);
            }
        }
        TourAction::Simulate { cells } => {
            state.simulator.set(SimulatorSettings { cells, ..SimulatorSettings::default() });
            generate_and_run(state);
        }
    }
}

/// Marks the step's target on `<body>` (the stylesheet outlines it, whenever it appears) and scrolls to it
/// once it exists.
fn highlight(target: Option<&'static str>) {
    let Some(body) = document().body() else { return };
    match target {
        Some(id) => {
            let _ = body.set_attribute("data-tour-target", id);
            scroll_when_there(id, 40);
        }
        None => {
            let _ = body.remove_attribute("data-tour-target");
        }
    }
}

fn scroll_when_there(id: &'static str, tries: u32) {
    match document().get_element_by_id(id) {
        Some(element) => element.scroll_into_view(),
        None if tries > 0 => {
            set_timeout(move || scroll_when_there(id, tries - 1), std::time::Duration::from_millis(150))
        }
        None => {}
    }
}

#[component]
pub fn TourPanel(tour: Tour) -> impl IntoView {
    let state = use_state();
    let heading = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        let step = tour.step.get();
        highlight(step.map(|step| STEPS[step].target));
        if let Some(step) = step {
            enter(state, tour, step);
            if let Some(heading) = heading.get_untracked() {
                let _ = heading.focus();
            }
        }
    });
    let count = STEPS.len();
    let current = move || tour.step.get().unwrap_or(0);
    let go = move |delta: isize| {
        let next = current() as isize + delta;
        if next >= count as isize {
            tour.finish(state);
        } else if next >= 0 {
            tour.step.set(Some(next as usize));
        }
    };
    let handout = move |_| {
        let date = js_sys::Date::new_0().to_iso_string().as_string().unwrap_or_default();
        download_text("perturb-check-tour.html", &handout_html(&date[..10.min(date.len())]), "text/html");
    };
    view! {
        <Show when=move || tour.step.get().is_some()>
            <section class="tour" data-testid="tour" role="region" aria-label="Guided tour"
                on:keydown=move |event: web_sys::KeyboardEvent| if event.key() == "Escape" { tour.leave() }>
                <h2 tabindex="-1" node_ref=heading data-testid="tour-heading">
                    {move || format!("Guided tour: step {} of {count}", current() + 1)}
                </h2>
                <div aria-live="polite">
                    <h3 data-testid="tour-title">{move || STEPS[current()].title}</h3>
                    <p>{move || STEPS[current()].body}</p>
                </div>
                <div class="tour-actions">
                    <button class="secondary" data-testid="tour-back" disabled=move || current() == 0
                        on:click=move |_| go(-1)>"Back"</button>
                    <button data-testid="tour-next" on:click=move |_| go(1)>
                        {move || if current() + 1 == count { "Finish" } else { "Next" }}
                    </button>
                    <button class="secondary" data-testid="tour-handout" on:click=handout>"Handout (printable)"</button>
                    <button class="secondary" data-testid="tour-leave" on:click=move |_| tour.leave()>"Leave the tour"</button>
                </div>
            </section>
        </Show>
        <Show when=move || tour.step.get().is_none()>
            {move || match tour.left_at.get() {
                Some(step) => view! {
                    <button class="secondary tour-resume" data-testid="tour-resume" on:click=move |_| tour.step.set(Some(step))>
                        {format!("Resume the guided tour (step {} of {count})", step + 1)}
                    </button>
                }.into_any(),
                None => view! {
                    <button class="secondary tour-resume" data-testid="tour-start" on:click=move |_| tour.begin(state)>
                        "Take the guided tour"
                    </button>
                }.into_any(),
            }}
        </Show>
    }
}
