//! Plots drawn with plotters: the distribution of a metric per method (points over a box). The same
//! drawing code renders to the canvas and to SVG for export.

use super::download::{download_text, download_url};
use super::state::use_state;
use leptos::html::Canvas;
use leptos::prelude::*;
use perturb_check::results_table::ResultRow;
use perturb_check::summary::quantile;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Okabe–Ito: distinguishable with the common colour-vision deficiencies.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

const WIDTH: u32 = 900;
const HEIGHT: u32 = 380;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    L2,
    PearsonDelta,
}

impl Metric {
    fn label(self) -> &'static str {
        match self {
            Metric::L2 => "L2 distance to the observation (lower is better)",
            Metric::PearsonDelta => "Pearson delta (higher is better)",
        }
    }

    fn file_stem(self) -> &'static str {
        match self {
            Metric::L2 => "l2_by_method",
            Metric::PearsonDelta => "pearson_delta_by_method",
        }
    }

    fn value(self, row: &ResultRow) -> Option<f64> {
        match self {
            Metric::L2 => Some(row.l2),
            Metric::PearsonDelta => row.pearson_delta,
        }
    }
}

/// Values of `metric` per method, in the order of `methods`.
fn values_by_method(rows: &[ResultRow], methods: &[String], metric: Metric) -> Vec<Vec<f64>> {
    methods
        .iter()
        .map(|method| {
            rows.iter()
                .filter(|row| &row.method == method)
                .filter_map(|row| metric.value(row))
                .filter(|v| v.is_finite())
                .collect()
        })
        .collect()
}

/// A deterministic jitter in [-0.5, 0.5) for point `index`.
fn jitter(index: usize) -> f64 {
    ((index as u64).wrapping_mul(2654435761) % 1000) as f64 / 1000.0 - 0.5
}

fn draw_distribution<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    methods: &[String],
    values: &[Vec<f64>],
    metric: Metric,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let all: Vec<f64> = values.iter().flatten().copied().collect();
    let (low, high) = all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let (low, high) = if low.is_finite() { (low, high) } else { (0.0, 1.0) };
    let pad = ((high - low) * 0.05).max(1e-6);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(70)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5f64..(methods.len() as f64 - 0.5), (low - pad)..(high + pad))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(methods.len().max(1))
        .x_label_formatter(&|x| {
            let index = x.round();
            if (x - index).abs() < 1e-9 && index >= 0.0 {
                methods.get(index as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc(metric.label())
        .label_style(("sans-serif", 13))
        .draw()?;
    for (index, method_values) in values.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let x = index as f64;
        if method_values.is_empty() {
            continue;
        }
        let mut sorted = method_values.clone();
        let (q1, median, q3) = (quantile(&mut sorted, 0.25), quantile(&mut sorted, 0.5), quantile(&mut sorted, 0.75));
        chart
            .draw_series(std::iter::once(Rectangle::new([(x - 0.3, q1), (x + 0.3, q3)], colour.mix(0.15).filled())))?;
        chart.draw_series(std::iter::once(Rectangle::new([(x - 0.3, q1), (x + 0.3, q3)], colour.stroke_width(1))))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x - 0.3, median), (x + 0.3, median)],
            colour.stroke_width(3),
        )))?;
        chart.draw_series(
            method_values
                .iter()
                .enumerate()
                .map(|(i, &v)| Circle::new((x + 0.5 * jitter(i), v), 2, colour.mix(0.6).filled())),
        )?;
    }
    root.present()
}

/// A metric's distribution per method, with PNG and SVG export.
#[component]
pub fn DistributionPlot(metric: Metric) -> impl IntoView {
    let state = use_state();
    let canvas = NodeRef::<Canvas>::new();
    let data = Memo::new(move |_| {
        state.report.with(|report| {
            report
                .as_ref()
                .map(|report| (report.methods.clone(), values_by_method(&report.rows, &report.methods, metric)))
        })
    });
    Effect::new(move |_| {
        let (Some(element), Some((methods, values))) = (canvas.get(), data.get()) else { return };
        // Drawn in a task of its own, so that the page never blocks for long when results arrive.
        set_timeout(
            move || {
                if let Some(backend) = plotters_canvas::CanvasBackend::with_canvas_object(element) {
                    let root = backend.into_drawing_area();
                    let _ = draw_distribution(&root, &methods, &values, metric);
                }
            },
            std::time::Duration::ZERO,
        );
    });
    let export_svg = move |_| {
        let Some((methods, values)) = data.get_untracked() else { return };
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
            let _ = draw_distribution(&root, &methods, &values, metric);
        }
        download_text(&format!("{}.svg", metric.file_stem()), &svg, "image/svg+xml");
    };
    let export_png = move |_| {
        if let Some(element) = canvas.get_untracked() {
            if let Ok(url) = element.to_data_url() {
                download_url(&format!("{}.png", metric.file_stem()), &url);
            }
        }
    };
    view! {
        <figure class="plot">
            <canvas node_ref=canvas width=WIDTH height=HEIGHT role="img" aria-label=metric.label()></canvas>
            <figcaption>
                {metric.label()} " per (seed, perturbation), one column per method; the box spans the quartiles, the bar is the median."
                <span class="plot-actions">
                    <button class="secondary small" on:click=export_png>"PNG"</button>
                    <button class="secondary small" on:click=export_svg>"SVG"</button>
                </span>
            </figcaption>
        </figure>
    }
}
