//! Settings, with the paper's defaults. They live in the URL hash (never data) and can be exported and
//! re-imported as `settings.json`.

use super::download::download_text;
use super::state::use_state;
use leptos::prelude::*;
use perturb_check::analysis::AnalysisSettings;
use perturb_check::baselines::linear_model::EmbeddingSource;
use perturb_check::baselines::Baseline;
use perturb_check::benchmark::{BenchmarkKind, SplitChoice};
use wasm_bindgen_futures::JsFuture;

const HASH_KEY: &str = "#settings=";
/// The results section the page is at, beside the settings in the hash: `#settings=…&section=…`.
const SECTION_KEY: &str = "section=";

/// The hash's parts: the settings (encoded) and the section, either may be missing.
fn hash_parts() -> (Option<String>, Option<String>) {
    let hash = window().location().hash().unwrap_or_default();
    let (mut settings, mut section) = (None, None);
    // The settings JSON is URI-encoded, so `&` only ever separates the parts.
    for part in hash.trim_start_matches('#').split('&') {
        if let Some(encoded) = part.strip_prefix(&HASH_KEY[1..]) {
            settings = Some(encoded.to_string());
        } else if let Some(name) = part.strip_prefix(SECTION_KEY) {
            section = Some(name.to_string());
        }
    }
    (settings, section)
}

/// Settings from the URL hash, if it holds valid ones.
pub fn settings_from_hash() -> Option<AnalysisSettings> {
    let encoded = hash_parts().0?;
    let json = js_sys::decode_uri_component(&encoded).ok()?.as_string()?;
    serde_json::from_str(&json).ok()
}

/// The section named in the URL hash.
pub fn section_from_hash() -> Option<String> {
    hash_parts().1.filter(|name| !name.is_empty())
}

/// Writes the settings and the section into the hash (replacing the history entry: no scroll, no new entry).
pub fn write_hash(settings: &AnalysisSettings, section: Option<&str>) {
    let Ok(json) = serde_json::to_string(settings) else { return };
    let encoded: String = js_sys::encode_uri_component(&json).into();
    let mut hash = format!("{HASH_KEY}{encoded}");
    if let Some(section) = section {
        hash.push_str(&format!("&{SECTION_KEY}{section}"));
    }
    if window().location().hash().ok().as_deref() != Some(hash.as_str()) {
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&hash));
        }
    }
}

fn source_value(source: EmbeddingSource) -> String {
    match source {
        EmbeddingSource::TrainingPca => "pca".into(),
        EmbeddingSource::Uploaded => "uploaded".into(),
        EmbeddingSource::Random { seed } => format!("random-{seed}"),
    }
}

fn source_from_value(value: &str) -> EmbeddingSource {
    match value {
        "uploaded" => EmbeddingSource::Uploaded,
        other => other
            .strip_prefix("random-")
            .and_then(|seed| seed.parse().ok())
            .map_or(EmbeddingSource::TrainingPca, |seed| EmbeddingSource::Random { seed }),
    }
}

/// A selector for one of the linear model's embeddings.
fn embedding_select(
    settings: RwSignal<AnalysisSettings>,
    label: &'static str,
    testid: &'static str,
    read: fn(&AnalysisSettings) -> EmbeddingSource,
    write: fn(&mut AnalysisSettings, EmbeddingSource),
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <select data-testid=testid prop:value=move || settings.with(|s| source_value(read(s)))
                on:change=move |event| {
                    let source = source_from_value(&event_target_value(&event));
                    settings.update(|s| write(s, source));
                }>
                <option value="pca">"PCA of the training data (the paper)"</option>
                <option value="uploaded">"The uploaded embedding file"</option>
                <option value="random-1">"Random N(0,1), seed 1 (a control)"</option>
                <option value="random-2">"Random N(0,1), seed 2 (a control)"</option>
            </select>
        </label>
    }
}

/// Seeds from a comma-separated list; what is not a number is ignored.
fn parse_seeds(text: &str) -> Vec<u32> {
    text.split(',').filter_map(|seed| seed.trim().parse().ok()).collect()
}

fn kind_value(kind: Option<BenchmarkKind>) -> &'static str {
    match kind {
        None => "auto",
        Some(BenchmarkKind::Double) => "double",
        Some(BenchmarkKind::UnseenSingle) => "unseen-single",
        Some(BenchmarkKind::All) => "all",
    }
}

fn split_value(split: &Option<SplitChoice>) -> &'static str {
    match split {
        None => "paper",
        Some(SplitChoice::Seeds(_)) => "seeds",
        Some(SplitChoice::Uploaded) => "uploaded",
        Some(SplitChoice::All) => "all",
    }
}

#[component]
pub fn SettingsPanel() -> impl IntoView {
    let state = use_state();
    let settings = state.settings;
    Effect::new(move |_| {
        let section = state.section.get();
        settings.with(|settings| write_hash(settings, section.as_deref()));
    });
    let import_error = RwSignal::new(None::<String>);
    let seeds_text = RwSignal::new(String::from("1,2,3,4,5"));
    let number = |event: &leptos::ev::Event| event_target_value(event).trim().parse::<f64>().ok();
    let baseline_box = move |baseline: Baseline, label: &'static str| {
        view! {
            <label class="check">
                <input type="checkbox"
                    prop:checked=move || settings.with(|s| s.benchmark.baselines.as_ref().is_some_and(|list| list.contains(&baseline)))
                    on:change=move |event| {
                        let checked = event_target_checked(&event);
                        settings.update(|s| {
                            let list = s.benchmark.baselines.get_or_insert_with(Vec::new);
                            list.retain(|other| *other != baseline);
                            if checked { list.push(baseline); }
                            if list.is_empty() { s.benchmark.baselines = None; }
                        });
                    } />
                {label}
            </label>
        }
    };
    view! {
        <details class="settings">
            <summary>"Settings"</summary>
            <div class="settings-grid">
                <label class="field">
                    <span>"Benchmark"</span>
                    <select data-testid="setting-benchmark" prop:value=move || settings.with(|s| kind_value(s.benchmark.kind))
                        on:change=move |event| {
                            let kind = match event_target_value(&event).as_str() {
                                "double" => Some(BenchmarkKind::Double),
                                "unseen-single" => Some(BenchmarkKind::UnseenSingle),
                                "all" => Some(BenchmarkKind::All),
                                _ => None,
                            };
                            settings.update(move |s| s.benchmark.kind = kind);
                        }>
                        <option value="auto">"Chosen from the data"</option>
                        <option value="double">"Double perturbations (paper split)"</option>
                        <option value="unseen-single">"Unseen single perturbations (GEARS split)"</option>
                        <option value="all">"Every condition, no split"</option>
                    </select>
                </label>
                <label class="field">
                    <span>"Split"</span>
                    <select data-testid="setting-split" prop:value=move || settings.with(|s| split_value(&s.benchmark.split))
                        on:change=move |event| {
                            let seeds = parse_seeds(&seeds_text.get_untracked());
                            let split = match event_target_value(&event).as_str() {
                                "seeds" => Some(SplitChoice::Seeds(seeds)),
                                "uploaded" => Some(SplitChoice::Uploaded),
                                "all" => Some(SplitChoice::All),
                                _ => None,
                            };
                            settings.update(move |s| s.benchmark.split = split);
                        }>
                        <option value="paper">"The paper's seeds (1–5 doubles, 1–2 singles)"</option>
                        <option value="seeds">"These seeds:"</option>
                        <option value="uploaded">"The uploaded split"</option>
                        <option value="all">"No split (every condition)"</option>
                    </select>
                </label>
                <label class="field">
                    <span>"Seeds"</span>
                    <input type="text" data-testid="setting-seeds" prop:value=move || seeds_text.get()
                        on:change=move |event| {
                            let text = event_target_value(&event);
                            seeds_text.set(text.clone());
                            let seeds = parse_seeds(&text);
                            settings.update(move |s| s.benchmark.split = Some(SplitChoice::Seeds(seeds)));
                        } />
                </label>
                <label class="field">
                    <span>"Genes for metrics (N most expressed)"</span>
                    <input type="number" min="1" data-testid="setting-n-genes" prop:value=move || settings.with(|s| s.benchmark.n_genes.to_string())
                        on:change=move |event| if let Some(n) = number(&event).filter(|n| *n >= 1.0) { settings.update(move |s| s.benchmark.n_genes = n as usize) } />
                </label>
                <label class="field">
                    <span>"Linear model: components K"</span>
                    <input type="number" min="1" max="200" prop:value=move || settings.with(|s| s.benchmark.linear.components.to_string())
                        on:change=move |event| if let Some(k) = number(&event).filter(|k| *k >= 1.0) { settings.update(move |s| s.benchmark.linear.components = k as usize) } />
                </label>
                <label class="field">
                    <span>"Linear model: ridge λ"</span>
                    <input type="number" min="0" step="0.01" prop:value=move || settings.with(|s| s.benchmark.linear.ridge.to_string())
                        on:change=move |event| if let Some(lambda) = number(&event).filter(|l| *l >= 0.0) { settings.update(move |s| s.benchmark.linear.ridge = lambda) } />
                </label>
                {embedding_select(settings, "Linear model: gene embedding G", "setting-gene-embedding",
                    |s| s.benchmark.linear.gene_embedding, |s, source| s.benchmark.linear.gene_embedding = source)}
                {embedding_select(settings, "Linear model: perturbation embedding P", "setting-perturbation-embedding",
                    |s| s.benchmark.linear.perturbation_embedding, |s, source| s.benchmark.linear.perturbation_embedding = source)}
                <label class="field">
                    <span>"Control labels (comma-separated)"</span>
                    <input type="text" data-testid="setting-control-labels" prop:value=move || settings.with(|s| s.rules.control_labels.join(", "))
                        on:change=move |event| {
                            let labels: Vec<String> = event_target_value(&event).split(',').map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
                            if !labels.is_empty() { settings.update(move |s| s.rules.control_labels = labels); }
                        } />
                </label>
                <fieldset class="field">
                    <legend>"Baselines (none ticked: the paper's for the benchmark)"</legend>
                    {baseline_box(Baseline::NoChange, "no change")}
                    {baseline_box(Baseline::Additive, "additive")}
                    {baseline_box(Baseline::Mean, "mean")}
                    {baseline_box(Baseline::Linear, "linear model")}
                </fieldset>
            </div>
            <div class="settings-actions">
                <button class="secondary" data-testid="export-settings" on:click=move |_| {
                    if let Ok(json) = serde_json::to_string_pretty(&settings.get_untracked()) {
                        download_text("settings.json", &json, "application/json");
                    }
                }>"Export settings.json"</button>
                <label class="button secondary">
                    "Import settings.json"
                    <input type="file" accept=".json,application/json" class="visually-hidden" data-testid="import-settings"
                        on:change=move |event| {
                            let Some(file) = first_file(&event) else { return };
                            leptos::task::spawn_local(async move {
                                let text = JsFuture::from(file.text()).await.ok().and_then(|text| text.as_string()).unwrap_or_default();
                                match serde_json::from_str::<AnalysisSettings>(&text) {
                                    Ok(imported) => { settings.set(imported); import_error.set(None); }
                                    Err(error) => import_error.set(Some(format!("{}: not a Perturb Check settings file ({error})", file.name()))),
                                }
                            });
                        } />
                </label>
                <button class="secondary" on:click=move |_| settings.set(AnalysisSettings::default())>"Paper defaults"</button>
            </div>
            <Show when=move || import_error.get().is_some()>
                <p role="alert" class="error">{move || import_error.get().unwrap_or_default()}</p>
            </Show>
        </details>
    }
}

/// The file chosen in a file input (`settings.json`).
fn first_file(event: &leptos::ev::Event) -> Option<web_sys::File> {
    use wasm_bindgen::JsCast;
    let input: web_sys::HtmlInputElement = event.target()?.dyn_into().ok()?;
    input.files()?.get(0)
}
