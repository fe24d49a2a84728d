//! What the page says when the worker crashed: a defect of Perturb Check, not of the user's files. The worker
//! has been restarted and nothing the page shows is lost; the details can be copied into a report.

use super::state::use_state;
use super::worker_client::request_debug_panic;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

#[component]
pub fn InternalError() -> impl IntoView {
    let state = use_state();
    let details = move || state.internal_error.get().unwrap_or_default();
    let copied = RwSignal::new(false);
    let copy = move |_| {
        let _ = window().navigator().clipboard().write_text(&details());
        copied.set(true);
    };
    view! {
        <Show when=move || state.internal_error.get().is_some()>
            <section class="internal-error" role="alert" data-testid="internal-error">
                <h2>"Internal error"</h2>
                <p>
                    "The analysis stopped on an error in Perturb Check itself, not in your files. It has been restarted: "
                    "your files, settings and results are kept, and you can run again. Please report it with these details:"
                </p>
                <pre data-testid="internal-error-details">{details}</pre>
                <div class="exports">
                    <button class="secondary small" data-testid="copy-internal-error" on:click=copy>
                        {move || if copied.get() { "Copied" } else { "Copy the details" }}
                    </button>
                    <button class="secondary small" on:click=move |_| { copied.set(false); state.internal_error.set(None) }>"Dismiss"</button>
                </div>
            </section>
        </Show>
    }
}

/// With `?debug` in the address, `window.perturbCheckDebugPanic()` makes the worker panic and
/// `window.perturbCheckDebugPagePanic()` the page itself, so the end-to-end tests can check what follows.
pub fn expose_debug_hook() {
    let state = use_state();
    let search = window().location().search().unwrap_or_default();
    if !search.trim_start_matches('?').split('&').any(|pair| pair == "debug") {
        return;
    }
    let hook = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || request_debug_panic(state));
    let _ = js_sys::Reflect::set(&window(), &"perturbCheckDebugPanic".into(), hook.as_ref().unchecked_ref());
    hook.forget();
    let page_hook = wasm_bindgen::closure::Closure::<dyn Fn()>::new(|| {
        panic!("a panic of the page asked for (?debug), to test the message");
    });
    let _ = js_sys::Reflect::set(&window(), &"perturbCheckDebugPagePanic".into(), page_hook.as_ref().unchecked_ref());
    page_hook.forget();
}
