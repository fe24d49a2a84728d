//! The integrity checks of each uploaded prediction, under the leaderboard: a failed check says why the
//! prediction's numbers may mislead (see `perturb_check::audits`).

use super::state::use_state;
use leptos::prelude::*;

#[component]
pub fn AuditsPanel() -> impl IntoView {
    let state = use_state();
    let audits = move || state.report.with(|report| report.as_ref().map(|r| r.audits.clone()).unwrap_or_default());
    let failed = move || audits().iter().filter(|audit| !audit.passed).count();
    view! {
        <Show when=move || !audits().is_empty() fallback=|| view! {
            <h2>"Integrity checks"</h2>
            <p class="hint">"No uploaded prediction to check: the checks read each uploaded model's predictions."</p>
        }>
            <div class="audits" data-testid="audits">
                <h2>"Integrity checks of the predictions"</h2>
                <p class="hint">{move || match failed() {
                    0 => "Every check passed.".to_string(),
                    n => format!("{n} check(s) failed: read them before trusting those methods' numbers."),
                }}</p>
                <div class="table-scroll"><table>
                    <thead><tr><th>"Method"</th><th>"Check"</th><th>"Result"</th><th>"Details"</th></tr></thead>
                    <tbody>
                        {move || audits().into_iter().map(|audit| {
                            let method = match audit.seed {
                                Some(seed) => format!("{} (seed {seed})", audit.method),
                                None => audit.method.clone(),
                            };
                            view! {
                                <tr class:failed=!audit.passed data-check=audit.check.clone() data-passed=audit.passed.to_string()>
                                    <td>{method}</td>
                                    <td>{audit.check.clone()}</td>
                                    <td>{if audit.passed { "✓ passed" } else { "⚠ failed" }}</td>
                                    <td>{audit.message.clone()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table></div>
            </div>
        </Show>
    }
}
