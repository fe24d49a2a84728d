//! The guided tour through the paper's two findings (issue 17): its steps (what each says, which part of
//! the page it points at, what it loads) and the printable one-page handout made from them. The page's tour
//! panel (`?tour=1`) shows the same steps.

/// What a step loads when it is entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TourAction {
    /// Nothing: the page stays as it is.
    None,
    /// A shipped demo, by its key (`norman`, `simulated`, ...), unless it is already loaded.
    Demo(&'static str),
    /// The simulator's screen with its default settings but this many cells per condition.
    Simulate { cells: usize },
}

/// One step of the tour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TourStep {
    pub title: &'static str,
    pub body: &'static str,
    /// The id of the part of the page the step talks about (highlighted while it is shown).
    pub target: &'static str,
    pub action: TourAction,
}

/// The steps, in order.
pub const STEPS: [TourStep; 7] = [
    TourStep {
        title: "What a pseudobulk is",
        body: "A Perturb-seq screen measures thousands of single cells, each with one or two genes perturbed by \
               CRISPR. Averaging the log-normalised expression of all cells that share a perturbation gives one \
               profile per condition: the pseudobulk, a table of genes × conditions with the unperturbed control \
               (ctrl) beside them. Models are judged on how well they predict the pseudobulk of perturbations \
               they have not seen.",
        target: "drop-zone",
        action: TourAction::None,
    },
    TourStep {
        title: "What \"no change\" and \"additive\" predict",
        body: "The Norman 2019 demo is loading: one double perturbation, CEBPE+CEBPB, and nine published models. \
               \"No change\" predicts the control: the perturbation does nothing. \"Additive\" predicts the control \
               plus the change of each single: A + B − ctrl. Neither learns anything, so a model that does not beat \
               them has not learnt what it claims.",
        target: "leaderboard",
        action: TourAction::Demo("norman"),
    },
    TourStep {
        title: "L2 distance and Pearson delta, and why both",
        body: "Over the 1,000 most expressed genes, the L2 distance measures how far the predicted expression is \
               from the observed one (lower is better); Pearson delta correlates the predicted change from the \
               control with the observed change (higher is better). L2 rewards getting the size right, Pearson \
               delta the direction: a model can shrink every change to zero and keep a good correlation, or get \
               the size right with the wrong genes, so the leaderboard shows both.",
        target: "leaderboard",
        action: TourAction::Demo("norman"),
    },
    TourStep {
        title: "The result of the paper",
        body: "Ahlmann-Eltze, Huber & Anders (Nature Methods 2025) found that none of the deep-learning and \
               foundation models (GEARS, scGPT, scFoundation, UCE, scBERT, Geneformer, CPA) predicted double \
               perturbations better than the additive model, and none predicted unseen single perturbations \
               better than the training mean or a simple linear model. The verdict states how the models here \
               compare with the baselines, in words.",
        target: "verdict",
        action: TourAction::Demo("norman"),
    },
    TourStep {
        title: "What a genetic interaction is",
        body: "A simulated screen is loading, with interactions planted in half of its doubles. A double interacts \
               when it differs from the additive expectation: buffering (less change than A + B), synergy (more), or \
               one single masking the other. The interaction analysis scores AB − (A + B − c) for every gene and \
               double, sets thresholds with the local false discovery rate, and asks whether each model ranks the \
               true interactions first. In the paper no model found them better than \"no change\".",
        target: "interactions",
        action: TourAction::Simulate { cells: 50 },
    },
    TourStep {
        title: "Planted against found",
        body: "Here the truth is known. The table counts each double's planted kind against the class the analysis \
               found, with precision and recall of \"interaction\"; below it, the same screen made again with other \
               numbers of cells per condition. Detection depends on noise: with few cells many planted \
               interactions are not found at all.",
        target: "truth",
        action: TourAction::Simulate { cells: 50 },
    },
    TourStep {
        title: "What changes when noise or cells change",
        body: "The simulator now makes the same screen with 250 cells per condition: the pseudobulk is less noisy, \
               the thresholds come closer to zero and most planted interactions are found. Change the cells, the \
               noise or the effect size in the simulator panel and run it again to see what each method can and \
               cannot find.",
        target: "simulator",
        action: TourAction::Simulate { cells: 250 },
    },
];

/// The handout: the steps on one printable page (A4 or Letter), self-contained, with `date` in its footer.
pub fn handout_html(date: &str) -> String {
    let escape = |text: &str| text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let steps: String = STEPS
        .iter()
        .map(|step| format!("<li><h2>{}</h2><p>{}</p></li>\n", escape(step.title), escape(step.body)))
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Perturb Check: guided tour handout</title>\n\
         <style>@page {{ size: auto; margin: 12mm; }} body {{ font: 9.5pt/1.35 system-ui, sans-serif; color: #1b2430; \
         max-width: 48rem; margin: 0 auto; }} h1 {{ font-size: 14pt; margin: 0 0 .3rem; }} ol {{ padding-left: 1.2rem; \
         margin: .4rem 0; }} li {{ margin-bottom: .35rem; }} h2 {{ font-size: 10.5pt; margin: 0; }} p {{ margin: .1rem 0; }} \
         footer {{ color: #5b6675; font-size: 8pt; margin-top: .5rem; }}</style></head>\n<body>\n\
         <h1>Does the model beat the baseline? A guided tour of Perturb Check</h1>\n\
         <p>Seven steps through the two findings of Ahlmann-Eltze, Huber &amp; Anders (Nature Methods 2025), as the \
         page shows them with <code>?tour=1</code>.</p>\n<ol>\n{steps}</ol>\n\
         <footer>Perturb Check {}, {}. Everything is computed in the browser; nothing leaves the machine.</footer>\n\
         </body></html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(date)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tour_has_six_to_eight_steps_over_the_norman_demo_and_a_simulated_screen() {
        assert!((6..=8).contains(&STEPS.len()));
        assert!(STEPS.iter().any(|step| step.action == TourAction::Demo("norman")));
        assert!(STEPS.iter().any(|step| matches!(step.action, TourAction::Simulate { .. })));
        // The last step drives the simulator with other cells than the step before.
        let cells: Vec<usize> = STEPS
            .iter()
            .filter_map(|step| match step.action {
                TourAction::Simulate { cells } => Some(cells),
                _ => None,
            })
            .collect();
        assert!(cells.windows(2).any(|pair| pair[0] != pair[1]));
    }

    #[test]
    fn the_handout_holds_every_step_escaped() {
        let html = handout_html("2026-12-04");
        for step in STEPS {
            assert!(html.contains(&step.title.replace('&', "&amp;")), "{}", step.title);
        }
        assert!(html.contains("A + B − ctrl") && html.contains("2026-12-04"));
        assert!(!html.contains("<script"));
    }
}
