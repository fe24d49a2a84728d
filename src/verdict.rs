//! The verdict: two to four plain sentences computed from a run, each backed by its interval and pointing
//! at the section that shows it. The numbers are the leaderboard's, rounded as it rounds them.

use crate::analysis::RunReport;
use crate::baselines::Baseline;
use crate::benchmark::BenchmarkKind;
use crate::leaderboard::format_number;
use crate::summary::{Comparison, MethodSummary};
use serde::{Deserialize, Serialize};

/// The section of the results a statement rests on (its anchor on the page and in the report).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Section {
    Leaderboard,
    Interactions,
}

impl Section {
    pub fn anchor(self) -> &'static str {
        match self {
            Section::Leaderboard => "leaderboard",
            Section::Interactions => "interactions",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub text: String,
    pub section: Section,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The method with the lowest mean L2.
    pub best: Option<String>,
    pub statements: Vec<Statement>,
}

/// The leaderboard's rounding.
fn three(value: f64) -> String {
    format_number(Some(value))
}

fn perturbations(kind: BenchmarkKind) -> &'static str {
    match kind {
        BenchmarkKind::Double => "double perturbations",
        BenchmarkKind::UnseenSingle => "unseen single perturbations",
        BenchmarkKind::All => "the perturbations",
    }
}

/// How `summary` compares with the reference, from its ratio's interval.
fn comparison_sentence(summary: &MethodSummary, kind: BenchmarkKind) -> Option<String> {
    let ratio = summary.ratio.as_ref()?;
    let how = if ratio.lower > 1.0 {
        "worse than"
    } else if ratio.upper < 1.0 {
        "better than"
    } else {
        "about as well as"
    };
    Some(format!(
        "{} predicts {} {how} the {} baseline: L2 {}× the {}'s [{}, {}], worse on {:.0}% of them.",
        summary.method,
        perturbations(kind),
        ratio.reference,
        three(ratio.mean),
        ratio.reference,
        three(ratio.lower),
        three(ratio.upper),
        100.0 * ratio.worse
    ))
}

/// The verdict on `report` over the leaderboard's rows as shown (the points `comparison` chooses).
pub fn verdict(report: &RunReport, comparison: Comparison) -> Verdict {
    let summaries = report.summaries(comparison);
    let mut statements = Vec::new();
    let best = summaries.iter().filter(|s| s.mean_l2.is_finite()).min_by(|a, b| a.mean_l2.total_cmp(&b.mean_l2));
    if let Some(best) = best {
        let reference = report.reference.as_deref();
        let text = match (reference, summaries.iter().find(|s| Some(s.method.as_str()) == reference)) {
            (Some(reference), Some(_)) if reference == best.method => format!(
                "No method beats the {reference} baseline on {}: it has the lowest mean L2 ({}).",
                perturbations(report.kind),
                three(best.mean_l2)
            ),
            (Some(reference), Some(r)) => format!(
                "{} has the lowest mean L2 on {} ({}; the {reference} baseline {}).",
                best.method,
                perturbations(report.kind),
                three(best.mean_l2),
                three(r.mean_l2)
            ),
            _ => format!(
                "{} has the lowest mean L2 on {} ({}).",
                best.method,
                perturbations(report.kind),
                three(best.mean_l2)
            ),
        };
        statements.push(Statement { text, section: Section::Leaderboard });
    }
    // The uploaded methods against the reference (the two best), else the other baselines.
    let mut ranked: Vec<&MethodSummary> = summaries
        .iter()
        .filter(|s| s.ratio.is_some() && Some(s.method.as_str()) != report.reference.as_deref())
        .collect();
    ranked.sort_by(|a, b| a.mean_l2.total_cmp(&b.mean_l2));
    let uploaded: Vec<&MethodSummary> =
        ranked.iter().copied().filter(|s| Baseline::of_method(&s.method).is_none()).collect();
    let chosen = if uploaded.is_empty() { ranked } else { uploaded };
    for summary in chosen.into_iter().take(2) {
        if let Some(text) = comparison_sentence(summary, report.kind) {
            statements.push(Statement { text, section: Section::Leaderboard });
        }
    }
    if let Some(text) = interaction_sentence(report) {
        statements.push(Statement { text, section: Section::Interactions });
    }
    Verdict { best: best.map(|s| s.method.clone()), statements }
}

/// AUPRC against predicting no change, with ±1.96 standard errors over seeds.
fn interaction_sentence(report: &RunReport) -> Option<String> {
    let interactions = report.interactions.as_ref()?;
    let auprc: Vec<_> = interactions.auc.iter().filter(|a| a.metric == "auprc" && a.mean.is_finite()).collect();
    let no_change = auprc.iter().find(|a| a.method == Baseline::NoChange.method_name())?;
    let best = auprc.iter().filter(|a| a.method != no_change.method).max_by(|a, b| a.mean.total_cmp(&b.mean))?;
    let interval = |a: &crate::interactions::AucSummary| match a.se {
        Some(se) => (a.mean - 1.96 * se, a.mean + 1.96 * se),
        None => (a.mean, a.mean),
    };
    let ((best_low, best_high), (none_low, none_high)) = (interval(best), interval(no_change));
    let numbers = format!(
        "AUPRC {} [{}, {}] for {}, {} [{}, {}] for no change",
        three(best.mean),
        three(best_low),
        three(best_high),
        best.method,
        three(no_change.mean),
        three(none_low),
        three(none_high)
    );
    Some(if best_low > none_high {
        format!("{} finds genetic interactions better than predicting no change ({numbers}).", best.method)
    } else {
        format!("For finding genetic interactions, no method beats predicting no change ({numbers}).")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::RatioToReference;

    fn summary(method: &str, l2: f64, ratio: Option<(f64, f64, f64, f64)>) -> MethodSummary {
        MethodSummary {
            method: method.into(),
            seed: None,
            n: 10,
            mean_l2: l2,
            median_l2: l2,
            mean_pearson_delta: None,
            median_pearson_delta: None,
            mean_pearson: None,
            ratio: ratio.map(|(mean, lower, upper, worse)| RatioToReference {
                reference: "additive".into(),
                mean,
                lower,
                upper,
                n: 10,
                worse,
            }),
        }
    }

    /// A minimal report whose leaderboard (common points) is `summaries`.
    fn report_of(summaries: Vec<MethodSummary>) -> RunReport {
        let mut report: RunReport = serde_json::from_value(serde_json::json!({
            "dataset": "d", "kind": "Double", "methods": [], "reference": "additive", "n_genes_used": 1, "n_genes": 1,
            "splits": [], "rows": [], "summary_common": [], "summary_own": [], "summary_by_seed": [], "predictions": [],
            "error_curves": [], "not_predicted": [], "notices": [], "interactions": null
        }))
        .expect("a minimal report");
        report.summary_common = summaries;
        report
    }

    #[test]
    fn names_the_best_and_compares_uploaded_methods_with_the_reference() {
        let summaries = vec![
            summary("no_change", 3.0, Some((1.5, 1.4, 1.6, 0.9))),
            summary("additive", 2.0, Some((1.0, 1.0, 1.0, 0.0))),
            summary("scgpt", 3.3, Some((1.6712, 1.6101, 1.7349, 0.98))),
        ];
        let verdict = verdict(&report_of(summaries), Comparison::Common);
        assert_eq!(verdict.best.as_deref(), Some("additive"));
        assert_eq!(
            verdict.statements[0].text,
            "No method beats the additive baseline on double perturbations: it has the lowest mean L2 (2.000)."
        );
        assert_eq!(
            verdict.statements[1].text,
            "scgpt predicts double perturbations worse than the additive baseline: L2 1.671× the additive's \
             [1.610, 1.735], worse on 98% of them."
        );
        assert_eq!(verdict.statements.len(), 2, "baselines are compared only without an uploaded method");
    }

    #[test]
    fn an_interval_across_one_is_about_as_well() {
        let summaries = vec![summary("additive", 2.0, None), summary("model", 1.9, Some((0.97, 0.9, 1.05, 0.4)))];
        let verdict = verdict(&report_of(summaries), Comparison::Common);
        assert_eq!(verdict.best.as_deref(), Some("model"));
        assert!(verdict.statements[0].text.starts_with("model has the lowest mean L2 on double perturbations (1.900;"));
        assert!(verdict.statements[1].text.contains("about as well as the additive baseline"));
    }
}
