//! Offline: registers the service worker (`sw.js`, written at build time by scripts/offline.mjs) that
//! precaches the page, both wasm binaries, the demos and the stylesheet. A browser without service workers
//! (or a page opened from a file) simply stays online-only: registration failures are silent by design.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

pub fn register_service_worker() {
    let navigator = leptos::prelude::window().navigator();
    // `navigator.serviceWorker` is missing outside secure contexts: calling it there would throw.
    if !js_sys::Reflect::has(&navigator, &JsValue::from_str("serviceWorker")).unwrap_or(false) {
        return;
    }
    let promise = navigator.service_worker().register("./sw.js");
    leptos::task::spawn_local(async move {
        // A rejected registration (no sw.js under `trunk serve` without hooks, a private window) leaves the
        // page as it is: online-only.
        let _ = JsFuture::from(promise).await;
    });
}
