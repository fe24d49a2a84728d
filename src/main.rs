//! The Perturb Check page: a thin Leptos layer over the engine, which runs in a Web Worker
//! (`src/bin/worker.rs`).

mod app;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
