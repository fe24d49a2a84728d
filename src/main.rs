//! The Perturb Check page: a thin Leptos layer over the engine, which runs in a Web Worker
//! (`src/bin/worker.rs`).

mod app;

fn main() {
    // A panic of the page itself (a defect) stops its wasm for good: say so on the page, with the details,
    // rather than leave a page that no longer answers. The worker's panics are recovered from (see
    // `app::internal_error`).
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_page_panic(&info.to_string());
    }));
    leptos::mount::mount_to_body(app::App);
}

fn show_page_panic(details: &str) {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else { return };
    let (Ok(panel), Some(body)) = (document.create_element("section"), document.body()) else { return };
    let _ = panel.set_attribute("class", "internal-error");
    let _ = panel.set_attribute("role", "alert");
    let _ = panel.set_attribute("data-testid", "page-panic");
    panel.set_text_content(Some(&format!(
        "Perturb Check stopped on an internal error (not in your files). Reload the page to go on; your files \
         never left this tab. Please report it with these details: {details} (Perturb Check {})",
        env!("CARGO_PKG_VERSION")
    )));
    let _ = body.prepend_with_node_1(&panel);
}
