//! `report.html`: one self-contained file to share a run — no external reference of any kind (styles in
//! the file, plots as inline SVG), in this order: the verdict, the leaderboard as the page shows it, the
//! convention table, the plots, the interaction summary, the integrity checks, the notices, the settings
//! (also as JSON the page reads back when the report is dropped on it) and the provenance of every input.

use crate::analysis::{AnalysisSettings, RunReport};
use crate::conventions::ConventionReport;
use crate::leaderboard::{format_number, Table};
use crate::plots::{self, Chart, MethodStyles, Metric};
use crate::summary::Comparison;
use crate::verdict::verdict;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// An input file as the report names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileProvenance {
    pub name: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
}

/// The SHA-256 of a file fed in pieces (the page reads 8 MB at a time).
#[derive(Default)]
pub struct FileHash(Sha256);

impl FileHash {
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn hex(self) -> String {
        self.0.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

/// Where the build comes from.
pub struct BuildInfo<'a> {
    pub version: &'a str,
    /// A git commit, or "unknown" (a tree without `.git`).
    pub commit: &'a str,
}

pub struct ReportInputs<'a> {
    pub report: &'a RunReport,
    pub leaderboard: &'a Table,
    /// How the leaderboard's points were chosen.
    pub comparison: Comparison,
    pub conventions: Option<&'a ConventionReport>,
    pub styles: &'a MethodStyles,
    pub settings: &'a AnalysisSettings,
    pub files: &'a [FileProvenance],
    pub build: BuildInfo<'a>,
    /// The date line (ISO 8601).
    pub date: &'a str,
    /// results.csv, only when the user asked for it (it holds per-perturbation results).
    pub results_csv: Option<&'a str>,
}

/// The id of the settings' JSON in the report.
pub const SETTINGS_ID: &str = "perturb-check-settings";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2330;max-width:1000px;\
margin:0 auto;padding:1.5rem}h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;\
border-bottom:1px solid #d8dce4;padding-bottom:.2rem}table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}\
th,td{border-bottom:1px solid #e3e6ec;padding:.25rem .6rem;text-align:left;vertical-align:top}td.number{text-align:right;\
font-variant-numeric:tabular-nums}td.best{font-weight:700}td.best::after{content:' ★'}.published{color:#5b6475}\
.scroll{overflow-x:auto}svg.plot{max-width:100%;height:auto;display:block;margin:.5rem 0}.swatch{vertical-align:-2px;\
margin-right:.35rem}.hint{color:#5b6475;font-size:.9rem}.verdict li{margin:.3rem 0}pre{background:#f4f6f9;padding:.6rem;\
overflow-x:auto;font-size:.8rem}code{font-size:.85rem}";

/// The report as one HTML document.
pub fn html(inputs: &ReportInputs<'_>) -> String {
    let r = inputs.report;
    let mut out = String::with_capacity(256 * 1024);
    let push = |out: &mut String, text: &str| out.push_str(text);
    push(
        &mut out,
        &format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"Perturb Check {}\">\n<link rel=\"icon\" href=\"data:,\">\n\
             <title>Perturb Check report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
            escape(inputs.build.version),
            escape(&r.dataset)
        ),
    );
    push(&mut out, &format!("<h1>Perturb Check report: {}</h1>\n", escape(&r.dataset)));
    push(
        &mut out,
        &format!(
            "<p class=\"hint\">{} methods; metrics over the {} most expressed of {} genes. Made {}.</p>\n",
            r.methods.len(),
            r.n_genes_used,
            r.n_genes,
            escape(inputs.date)
        ),
    );

    // The verdict.
    push(&mut out, "<section id=\"verdict\" class=\"verdict\"><h2>Verdict</h2><ul>\n");
    for statement in verdict(r, inputs.comparison).statements {
        push(
            &mut out,
            &format!(
                "<li>{} <a href=\"#{}\">See the {}.</a></li>\n",
                escape(&statement.text),
                statement.section.anchor(),
                statement.section.anchor()
            ),
        );
    }
    push(&mut out, "</ul></section>\n");

    // The leaderboard, as the page shows it.
    push(
        &mut out,
        &format!(
            "<section id=\"leaderboard\"><h2>Leaderboard</h2><p class=\"hint\">{}. Lower L2 is better, higher \
             Pearson delta is better; the ratio is the L2 relative to {} with a 95% bootstrap interval. ★ marks \
             the best value per column.</p>\n<div class=\"scroll\"><table data-testid=\"leaderboard\"><thead><tr>\
             <th>Method</th>",
            match inputs.comparison {
                Comparison::Common => "Only the perturbations every method predicts (as the paper)",
                Comparison::Own => "Each method over its own perturbations",
            },
            escape(r.reference.as_deref().unwrap_or("the reference"))
        ),
    );
    for column in &inputs.leaderboard.columns {
        push(&mut out, &format!("<th>{}</th>", escape(column)));
    }
    push(&mut out, "</tr></thead><tbody>\n");
    for row in &inputs.leaderboard.rows {
        push(
            &mut out,
            &format!(
                "<tr data-method=\"{}\"><th>{}{}{}</th>",
                escape(&row.method),
                inputs.styles.of(&row.method).swatch_svg(),
                escape(&row.method),
                if row.is_reference { " (reference)" } else { "" }
            ),
        );
        for cell in &row.cells {
            let mut classes = vec!["number"];
            if cell.best {
                classes.push("best");
            }
            if cell.published {
                classes.push("published");
            }
            push(&mut out, &format!("<td class=\"{}\">{}</td>", classes.join(" "), escape(&cell.text)));
        }
        push(&mut out, "</tr>\n");
    }
    push(&mut out, "</tbody></table></div>\n");
    if !r.paired.is_empty() {
        push(
            &mut out,
            "<h3>Paired comparisons</h3><p class=\"hint\">Over the points both methods predict: win rate, mean L2 \
             difference (negative: the method is better) with a paired bootstrap 95% interval, Wilcoxon signed-rank \
             p.</p><table><thead><tr><th>Method</th><th>Against</th><th>n</th><th>Win rate</th><th>Mean L2 \
             difference [95% CI]</th><th>Wilcoxon p</th></tr></thead><tbody>",
        );
        for c in &r.paired {
            push(
                &mut out,
                &format!(
                    "<tr><td>{}</td><td>{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td>\
                     <td class=\"number\">{}</td><td class=\"number\">{}</td></tr>",
                    escape(&c.method),
                    escape(&c.reference),
                    c.n,
                    c.win_rate_text(),
                    c.difference_text(),
                    c.p_text()
                ),
            );
        }
        push(&mut out, "</tbody></table>\n");
    }
    push(&mut out, "</section>\n");

    // Every convention's mean per method.
    if let Some(conventions) = inputs.conventions {
        push(
            &mut out,
            "<section id=\"conventions\"><h2>Conventions</h2><p class=\"hint\">Each method's mean of every \
             metric, computed as each tool computes it (metrics without any value are left out).</p>\n\
             <div class=\"scroll\"><table><thead><tr><th>Convention</th><th>Metric</th>",
        );
        for means in &conventions.means {
            push(&mut out, &format!("<th>{}</th>", escape(&means.method)));
        }
        push(&mut out, "</tr></thead><tbody>\n");
        for (index, info) in conventions.metrics.iter().enumerate() {
            // A non-finite mean is no value too: `format_number` shows none, and the page's copy of the report
            // came through JSON, where NaN and ±∞ are null.
            if conventions.means.iter().all(|means| means.values[index].is_none_or(|value| !value.is_finite())) {
                continue;
            }
            push(
                &mut out,
                &format!(
                    "<tr><td>{}</td><td title=\"{}\">{} ({})</td>",
                    escape(&info.convention),
                    escape(&info.formula),
                    escape(&info.metric),
                    if info.higher_is_better { "higher is better" } else { "lower is better" }
                ),
            );
            for means in &conventions.means {
                push(&mut out, &format!("<td class=\"number\">{}</td>", format_number(means.values[index])));
            }
            push(&mut out, "</tr>\n");
        }
        push(&mut out, "</tbody></table></div></section>\n");
    }

    // The plots.
    push(&mut out, "<section id=\"plots\"><h2>Plots</h2>\n");
    let figure =
        |out: &mut String, title: &str, chart: &Chart| {
            // Inline in HTML an SVG needs no namespace declaration (the report names no URL at all).
            let svg = plots::svg(chart, inputs.styles)
                .replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
                .replacen("<svg ", "<svg class=\"plot\" role=\"img\" ", 1);
            out.push_str(&format!("<figure><figcaption>{}</figcaption>\n{svg}\n</figure>\n", escape(title)));
        };
    for metric in [Metric::L2, Metric::PearsonDelta] {
        figure(&mut out, metric.caption(), &Chart::Distribution(plots::distribution(&r.rows, &r.methods, metric)));
    }
    if let Some(reference) = r.reference.as_deref() {
        let forest = plots::Forest::from_summaries(r.summaries(inputs.comparison), reference);
        if !forest.rows.is_empty() {
            figure(
                &mut out,
                "L2 relative to the reference with the 95% bootstrap interval (log2 scale).",
                &Chart::Forest(forest),
            );
        }
    }
    figure(&mut out, "Mean L2 against the number of genes.", &Chart::ErrorCurves(r.error_curves.clone()));
    if let Some(interactions) = &r.interactions {
        if let Some(histogram) = &interactions.histogram {
            let thresholds = interactions.thresholds.as_ref();
            figure(
                &mut out,
                "Interaction scores with locfdr's fitted mixture and null; pairs outside the thresholds are interactions.",
                &Chart::ScoreHistogram {
                    histogram: histogram.clone(),
                    upper: thresholds.map(|t| t.upper),
                    lower: thresholds.map(|t| t.lower),
                },
            );
        }
        if !interactions.tpr_fdp.is_empty() {
            figure(
                &mut out,
                "True positive rate against false discovery proportion per method (log TPR), averaged over seeds.",
                &Chart::TprFdp(interactions.tpr_fdp.clone()),
            );
        }
    }
    push(&mut out, "</section>\n");

    // The interaction summary.
    if let Some(interactions) = &r.interactions {
        push(
            &mut out,
            &format!(
                "<section id=\"interactions\"><h2>Genetic interactions</h2><p class=\"hint\">{} doubles × {} \
                 genes scored.</p>\n",
                interactions.n_doubles, interactions.n_genes
            ),
        );
        if let Some(t) = &interactions.thresholds {
            push(&mut out, &format!("<p>Thresholds: lower {:.4}, upper {:.4}.</p>\n", t.lower, t.upper));
        }
        if let Some(classes) = &interactions.classes {
            push(&mut out, "<table><thead><tr><th>Observed class</th><th>Pairs</th></tr></thead><tbody>");
            for (class, count) in classes {
                push(&mut out, &format!("<tr><td>{}</td><td class=\"number\">{count}</td></tr>", class.name()));
            }
            push(&mut out, "</tbody></table>\n");
        }
        if !interactions.auc.is_empty() {
            push(
                &mut out,
                "<table><thead><tr><th>Method</th><th>Metric</th><th>Mean</th><th>SE</th><th>Seeds</th></tr></thead><tbody>",
            );
            for auc in &interactions.auc {
                push(
                    &mut out,
                    &format!(
                        "<tr><td>{}</td><td>{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td>\
                         <td class=\"number\">{}</td></tr>",
                        escape(&auc.method),
                        escape(&auc.metric),
                        format_number(Some(auc.mean)),
                        format_number(auc.se),
                        auc.n_seeds
                    ),
                );
            }
            push(&mut out, "</tbody></table>\n");
        }
        for note in &interactions.notes {
            push(&mut out, &format!("<p class=\"hint\">{}</p>\n", escape(note)));
        }
        push(&mut out, "</section>\n");
    }

    // Integrity checks and notices.
    push(&mut out, "<section id=\"checks\"><h2>Integrity checks</h2>\n");
    if r.audits.is_empty() {
        push(&mut out, "<p class=\"hint\">No uploaded prediction to check.</p>\n");
    } else {
        push(
            &mut out,
            "<table><thead><tr><th>Method</th><th>Check</th><th>Result</th><th>Details</th></tr></thead><tbody>",
        );
        for audit in &r.audits {
            let method = match audit.seed {
                Some(seed) => format!("{} (seed {seed})", audit.method),
                None => audit.method.clone(),
            };
            push(
                &mut out,
                &format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&method),
                    escape(&audit.check),
                    if audit.passed { "passed" } else { "failed" },
                    escape(&audit.message)
                ),
            );
        }
        push(&mut out, "</tbody></table>\n");
    }
    push(&mut out, "<h2>Notices</h2>\n");
    if r.notices.is_empty() {
        push(&mut out, "<p class=\"hint\">None.</p>\n");
    } else {
        push(&mut out, "<ul>");
        for notice in &r.notices {
            push(&mut out, &format!("<li>{}</li>", escape(&notice.to_string())));
        }
        push(&mut out, "</ul>\n");
    }
    push(&mut out, "</section>\n");

    // Settings (read back when the report is dropped on the page) and provenance.
    let settings = serde_json::to_string_pretty(inputs.settings).unwrap_or_default();
    push(
        &mut out,
        &format!(
            "<section id=\"settings\"><h2>Settings</h2><p class=\"hint\">Drop this report on Perturb Check to \
             run again with these settings.</p><pre>{}</pre>\n<script type=\"application/json\" id=\"{SETTINGS_ID}\">{}</script>\n</section>\n",
            escape(&settings),
            settings.replace("</", "<\\/")
        ),
    );
    push(
        &mut out,
        "<section id=\"provenance\"><h2>Provenance</h2><table><thead><tr><th>File</th><th>Bytes</th>\
         <th>SHA-256</th></tr></thead><tbody>",
    );
    for file in inputs.files {
        push(
            &mut out,
            &format!(
                "<tr><td>{}</td><td class=\"number\">{}</td><td><code>{}</code></td></tr>",
                escape(&file.name),
                file.size,
                file.sha256
            ),
        );
    }
    let commit = if inputs.build.commit == "unknown" {
        "commit unknown".to_string()
    } else {
        format!("commit {}", inputs.build.commit)
    };
    push(
        &mut out,
        &format!(
            "</tbody></table>\n<p>Perturb Check {}, {}.</p>\n<p class=\"date\">Date: {}</p>\n",
            escape(inputs.build.version),
            escape(&commit),
            escape(inputs.date)
        ),
    );
    match inputs.results_csv {
        Some(csv) => push(
            &mut out,
            &format!(
                "<details><summary>results.csv</summary><pre id=\"results-csv\">{}</pre></details>\n",
                escape(csv)
            ),
        ),
        None => push(&mut out, "<p class=\"hint\">Per-perturbation results are not included.</p>\n"),
    }
    push(&mut out, "</section>\n</body>\n</html>\n");
    out
}

/// The settings of a Perturb Check report: `None` when `html` is not one, an error when its settings do not
/// read.
pub fn settings_of(html: &str) -> Option<Result<AnalysisSettings, String>> {
    let marker = format!("<script type=\"application/json\" id=\"{SETTINGS_ID}\">");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find("</script>")? + start;
    Some(serde_json::from_str(&html[start..end].replace("<\\/", "</")).map_err(|error| error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_pieces_is_the_sha256_of_the_whole() {
        let mut hash = FileHash::default();
        hash.update(b"ab");
        hash.update(b"c");
        assert_eq!(hash.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn settings_round_trip_through_the_report() {
        let mut settings = AnalysisSettings::default();
        settings.bootstrap.draws = 123;
        let json = serde_json::to_string_pretty(&settings).unwrap();
        let html = format!(
            "<p>x</p><script type=\"application/json\" id=\"{SETTINGS_ID}\">{}</script>",
            json.replace("</", "<\\/")
        );
        assert_eq!(settings_of(&html), Some(Ok(settings)));
        assert_eq!(settings_of("<html>not a report</html>"), None);
    }
}
