//! The demos: files shipped with the page (`public/demo`), loaded as if dropped, then run.

use super::file_cards::{add_files, clear_files};
use super::state::{use_state, AppState, Demo};
use leptos::prelude::*;
use perturb_check::analysis::AnalysisSettings;
use perturb_check::inspect::FileRole;
use perturb_check::leaderboard::PublishedMetric;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

const NORMAN_METHODS: [&str; 9] =
    ["additive_model", "cpa", "gears", "geneformer", "no_change", "scbert", "scfoundation", "scgpt", "uce"];

/// The Papalexi demo's simulated reference (scripts/make-papalexi-reference.py).
const REFERENCE_FILE: &str = "demo/papalexi/papalexi_simulated_reference.csv";

fn demo_files(demo: Demo) -> Vec<String> {
    match demo {
        Demo::Simulated => vec![
            "demo/simulated/sim_double_pseudobulk.csv".into(),
            "demo/simulated/shrunk_additive_model_all_predictions.json".into(),
            "demo/simulated/shrunk_additive_model_gene_names.json".into(),
        ],
        Demo::Papalexi => vec!["demo/papalexi/papalexi2021_thp1_lowmoi_pseudobulk.csv".into()],
        Demo::PapalexiReference => {
            vec!["demo/papalexi/papalexi2021_thp1_lowmoi_pseudobulk.csv".into(), REFERENCE_FILE.into()]
        }
        Demo::Norman => std::iter::once("demo/norman/pseudobulk.csv".to_string())
            .chain(NORMAN_METHODS.iter().map(|method| format!("demo/norman/predictions/{method}.csv")))
            .collect(),
    }
}

/// A file shipped with the page, as text.
pub async fn fetch_text(path: &str) -> Result<String, String> {
    let buffer = fetch_bytes(path).await?;
    String::from_utf8(js_sys::Uint8Array::new(&buffer).to_vec()).map_err(|_| format!("{path}: not UTF-8 text"))
}

async fn fetch_bytes(path: &str) -> Result<js_sys::ArrayBuffer, String> {
    let response =
        JsFuture::from(window().fetch_with_str(path)).await.map_err(|_| format!("{path} could not be loaded"))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| format!("{path}: unexpected answer"))?;
    if !response.ok() {
        return Err(format!("{path} could not be loaded (HTTP {})", response.status()));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(|_| format!("{path}: no body"))?)
        .await
        .map_err(|_| format!("{path}: the download broke off"))?;
    Ok(buffer.unchecked_into())
}

async fn fetch_file(path: &str) -> Result<web_sys::File, String> {
    let buffer = fetch_bytes(path).await?;
    let parts: js_sys::Array = std::iter::once(wasm_bindgen::JsValue::from(buffer)).collect();
    let name = path.rsplit('/').next().unwrap_or(path);
    web_sys::File::new_with_buffer_source_sequence(&parts, name).map_err(|_| format!("{path}: cannot make a file"))
}

fn parse_published(text: &str) -> Vec<PublishedMetric> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().cloned().unwrap_or_default();
    let column = |name: &str| header.iter().position(|field| field == name);
    let (Some(method), Some(l2), Some(delta)) = (column("method"), column("l2"), column("pearson_delta")) else {
        return vec![];
    };
    reader
        .records()
        .filter_map(Result::ok)
        .filter_map(|record| {
            let name = record.get(method)?.to_string();
            // The uploaded no_change file is renamed so as not to clash with the built-in baseline.
            let name = if name == "no_change" { "no_change_uploaded".to_string() } else { name };
            Some(PublishedMetric {
                method: name,
                l2: record.get(l2)?.parse().ok()?,
                pearson_delta: record.get(delta).and_then(|value| value.parse().ok()),
            })
        })
        .collect()
}

/// Replaces the files with a demo's and runs it.
pub fn load_demo(state: AppState, demo: Demo) {
    clear_files(state);
    state.report.set(None);
    state.published.set(None);
    state.page_error.set(None);
    state.settings.set(AnalysisSettings::default());
    leptos::task::spawn_local(async move {
        let mut files = Vec::new();
        for path in demo_files(demo) {
            match fetch_file(&path).await {
                Ok(file) => files.push(file),
                Err(error) => {
                    state.page_error.set(Some(error));
                    return;
                }
            }
        }
        if demo == Demo::Norman {
            if let Ok(buffer) = fetch_bytes("demo/norman/published_metrics.csv").await {
                let text = String::from_utf8_lossy(&js_sys::Uint8Array::new(&buffer).to_vec()).to_string();
                state.published.set(Some(parse_published(&text)));
            }
        }
        state.run_when_read.set(true);
        add_files(state, files);
        // A reference is never guessed: the demo says which file is one, as a user would on its card.
        if demo == Demo::PapalexiReference {
            let name = REFERENCE_FILE.rsplit('/').next().unwrap_or_default();
            state.files.update(|files| {
                let ids: Vec<u32> = files
                    .ids()
                    .into_iter()
                    .filter(|&id| files.get(id).is_some_and(|entry| entry.name == name))
                    .collect();
                for id in ids {
                    files.choose_role(id, Some(FileRole::Reference));
                }
            });
        }
    });
}

#[component]
fn DemoCard(demo: Demo, title: &'static str, badge: &'static str, children: Children) -> impl IntoView {
    let state = use_state();
    view! {
        <article class="demo-card" data-testid=format!("demo-{}", demo.key())>
            <button on:click=move |_| load_demo(state, demo)>"Run this demo"</button>
            <h3>{title} " " <span class="badge">{badge}</span></h3>
            <p>{children()}</p>
        </article>
    }
}

#[component]
pub fn DemoCards() -> impl IntoView {
    view! {
        <section class="demos" aria-label="Demos">
            <h2>"Try a demo"</h2>
            <div class="demo-grid">
                <DemoCard demo=Demo::Simulated title="Simulated combinatorial screen" badge="simulated">
                    "2000 genes, 100 single and 124 double CRISPRa perturbations with planted buffering, synergy and masking. "
                    "No change, additive and a shipped model (0.7 × the additive effect plus noise) over the paper's 5 splits."
                </DemoCard>
                <DemoCard demo=Demo::Papalexi title="Papalexi 2021, THP-1 knockouts" badge="real data">
                    "25 single CRISPR knockouts in THP-1 cells (ECCITE-seq). Unseen single perturbations: "
                    "the mean baseline against the linear model on GEARS' split, seeds 1–2."
                </DemoCard>
                <DemoCard demo=Demo::PapalexiReference title="Papalexi 2021 with a reference" badge="reference simulated">
                    "The same knockouts with linear_reference: the linear model whose perturbation embedding comes from a second screen. "
                    "Papalexi has no second context (its replicates are the same cells), so the reference here is simulated from "
                    "this screen (other response strengths, a new control, noise, 4 perturbations left out): it shows how the method "
                    "works, not how much another real cell line would help."
                </DemoCard>
                <DemoCard demo=Demo::Norman title="Norman 2019, CEBPE+CEBPB" badge="real data">
                    "The 9 published models' predictions for one double perturbation, scored here and shown beside the "
                    "published values."
                </DemoCard>
            </div>
        </section>
    }
}
