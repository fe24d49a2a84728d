//! The results as sections of one scrolling page: the sticky table of contents, the verdict at the top,
//! the Methods section (docs/METHODS.md, rendered at build time), and navigation that keeps the section in
//! the URL hash beside the settings.

use super::state::{use_state, AppState};
use leptos::prelude::*;
use perturb_check::verdict::verdict;

/// The sections in page order: anchor and table-of-contents label.
pub const SECTIONS: [(&str, &str); 8] = [
    ("verdict", "Verdict"),
    ("leaderboard", "Leaderboard"),
    ("conventions", "Conventions"),
    ("plots", "Plots"),
    ("interactions", "Interactions"),
    ("per-perturbation", "Per perturbation"),
    ("checks", "Checks"),
    ("methods", "Methods"),
];

/// docs/METHODS.md as HTML (build.rs).
const METHODS_HTML: &str = include_str!(concat!(env!("OUT_DIR"), "/methods.html"));

/// Scrolls section `id` into view and remembers it in the URL.
pub fn go_to(state: AppState, id: &str) {
    if let Some(element) = document().get_element_by_id(id) {
        // A collapsed section (Methods) opens when navigated to.
        if let Ok(Some(details)) = element.query_selector(":scope > details") {
            let _ = details.set_attribute("open", "");
        }
        element.scroll_into_view();
        state.section.set(Some(id.to_string()));
    }
}

/// A link to a section that scrolls to it (the URL hash keeps the settings: no plain `#id` navigation).
#[component]
pub fn SectionLink(id: &'static str, children: Children) -> impl IntoView {
    let state = use_state();
    view! {
        <a href=format!("#{id}") on:click=move |event| { event.prevent_default(); go_to(state, id); }>{children()}</a>
    }
}

/// The table of contents, sticky beside (or, on a phone, above) the results.
#[component]
pub fn Toc() -> impl IntoView {
    let state = use_state();
    view! {
        <nav class="toc" aria-label="Sections of the results" data-testid="toc">
            <ol>
                {SECTIONS.iter().map(|&(id, label)| view! {
                    <li><a href=format!("#{id}") data-section=id class:current=move || state.section.get().as_deref() == Some(id)
                        aria-current=move || (state.section.get().as_deref() == Some(id)).then_some("true")
                        on:click=move |event| { event.prevent_default(); go_to(state, id); }>{label}</a></li>
                }).collect_view()}
            </ol>
        </nav>
    }
}

/// Two to four sentences computed from the run, each linking to the section that shows it.
#[component]
pub fn Verdict(children: Children) -> impl IntoView {
    let state = use_state();
    let verdict =
        Memo::new(move |_| state.report.with(|report| Some(verdict(report.as_ref()?, state.comparison.get()))));
    view! {
        <section id="verdict" class="verdict" aria-labelledby="verdict-title" data-testid="verdict"
            data-best=move || verdict.with(|v| v.as_ref().and_then(|v| v.best.clone()).unwrap_or_default())>
            <div class="section-head">
                <h2 id="verdict-title">"Verdict"</h2>
                {children()}
            </div>
            <ul class="statements">
                {move || verdict.get().map(|verdict| verdict.statements.into_iter().map(|statement| {
                    let id = statement.section.anchor();
                    view! {
                        <li data-section=id>{statement.text}" "
                            <SectionLink id>{if id == "interactions" { "See the interactions." } else { "See the leaderboard." }}</SectionLink>
                        </li>
                    }
                }).collect_view())}
            </ul>
        </section>
    }
}

/// The methods: what each number means, under which convention, and where it comes from.
#[component]
pub fn MethodsSection() -> impl IntoView {
    view! {
        <section id="methods" class="methods" aria-labelledby="methods-title" data-testid="methods">
            <details>
                <summary><h2 id="methods-title">"Methods"</h2>" — what each number means, under which convention, and where it comes from"</summary>
                <div class="methods-text" inner_html=METHODS_HTML></div>
            </details>
        </section>
    }
}
