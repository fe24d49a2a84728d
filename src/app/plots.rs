//! Plots drawn with plotters: the distribution of a metric per method (points over a box). The same
//! drawing code renders to the canvas and to SVG for export.

use super::canvas::DotCanvas;
use super::download::{download_text, download_url};
use super::state::use_state;
use super::worker_client::ask;
use leptos::html::Canvas;
use leptos::prelude::*;
use perturb_check::benchmark::{ConditionDetail, ErrorCurve};
use perturb_check::conventions::celleval_de::Volcano;
use perturb_check::conventions::{MetricValues, METRICS};
use perturb_check::interactions::{ScoreHistogram, TprFdpCurve};
use perturb_check::protocol::{Query, Reply};
use perturb_check::quantile::summary_quantile as quantile;
use perturb_check::results_table::ResultRow;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
    axis: &str,
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
        .y_desc(axis)
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

/// What a plot panel draws.
#[derive(Clone, PartialEq)]
pub enum Chart {
    /// Values per method, and the value axis' title.
    Distribution {
        methods: Vec<String>,
        values: Vec<Vec<f64>>,
        axis: String,
    },
    ErrorCurves(Vec<ErrorCurve>),
    /// Predicted against observed change per gene, one colour per method.
    Scatter(ConditionDetail),
    /// The interaction scores' histogram with locfdr's fitted mixture and null, and the thresholds.
    ScoreHistogram {
        histogram: ScoreHistogram,
        upper: Option<f64>,
        lower: Option<f64>,
    },
    /// TPR against FDP per method, log TPR axis.
    TprFdp(Vec<TprFdpCurve>),
    /// One perturbation's DE: log2 fold change against −log10 fdr, a method's DE genes marked.
    Volcano(Volcano),
}

/// A drawn point that hovering can name: its pixel position on the canvas, its gene and method (indices
/// into the chart's data; the label is made only when the point is hovered).
#[derive(Clone, Copy, PartialEq)]
struct HoverPoint {
    x: i32,
    y: i32,
    gene: usize,
    method: usize,
}

impl Chart {
    fn hover_label(&self, point: HoverPoint) -> Option<String> {
        if let Chart::Volcano(volcano) = self {
            let gene = volcano.genes.get(point.gene)?;
            let (lfc, fdr) = (volcano.log2_fold_change[point.gene], volcano.fdr[point.gene]);
            let marks = [
                (volcano.significant.contains(&point.gene), "significant in the data"),
                (volcano.predicted_significant.contains(&point.gene), "predicted significant"),
            ];
            let said: Vec<&str> = marks.iter().filter(|(yes, _)| *yes).map(|(_, text)| *text).collect();
            return Some(format!(
                "{gene}: log2FC {lfc:.3}, fdr {fdr:.2e}{}",
                if said.is_empty() { String::new() } else { format!(" ({})", said.join(", ")) }
            ));
        }
        let Chart::Scatter(detail) = self else { return None };
        let (method, changes) = detail.predicted_change.get(point.method)?;
        let (observed, predicted) =
            (detail.observed_change.get(point.gene)?, changes.get(point.gene).copied().flatten()?);
        Some(format!("{}: observed {observed:.3}, {method} {predicted:.3}", detail.genes.get(point.gene)?))
    }
}

fn draw_scatter<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    detail: &ConditionDetail,
) -> Result<Vec<HoverPoint>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let values = detail
        .observed_change
        .iter()
        .copied()
        .chain(detail.predicted_change.iter().flat_map(|(_, v)| v.iter().flatten().copied()));
    let extent = values.fold(0.0f64, |m, v| m.max(v.abs())).max(1e-6) * 1.05;
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(-extent..extent, -extent..extent)?;
    chart
        .configure_mesh()
        .x_desc(format!("Observed change of {} (vs control)", detail.perturbation))
        .y_desc("Predicted change")
        .label_style(("sans-serif", 13))
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(vec![(-extent, -extent), (extent, extent)], BLACK.mix(0.4))))?;
    let mut hover = Vec::new();
    let mut legend = Vec::new();
    for (index, (method, changes)) in detail.predicted_change.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let points: Vec<(f64, f64, usize)> = detail
            .observed_change
            .iter()
            .zip(changes)
            .enumerate()
            .filter_map(|(gene, (&observed, predicted))| predicted.map(|predicted| (observed, predicted, gene)))
            .collect();
        chart.draw_series(points.iter().map(|&(x, y, _)| Circle::new((x, y), 2, colour.mix(0.55).filled())))?;
        legend.push((method.clone(), colour, Key::Dot));
        for &(x, y, gene) in &points {
            let (px, py) = chart.backend_coord(&(x, y));
            hover.push(HoverPoint { x: px, y: py, gene, method: index });
        }
    }
    draw_legend(&chart.plotting_area().strip_coord_spec(), Corner::UpperLeft, &legend)?;
    root.present()?;
    Ok(hover)
}

/// How a legend entry shows its series.
#[derive(Clone, Copy)]
enum Key {
    Dot,
    Line,
}

#[derive(Clone, Copy)]
enum Corner {
    UpperLeft,
    LowerRight,
}

/// A legend of `(label, colour, key)` entries in a corner of `area` (a chart's plotting area). Not plotters'
/// series labels: those measure each line of text by adding an element to the page and reading its size
/// back, a layout of the whole page per label (10 ms for five labels on a page of results); this measures
/// through the backend (on the page, the canvas's own text measure).
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    corner: Corner,
    entries: &[(String, RGBColor, Key)],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    if entries.is_empty() {
        return Ok(());
    }
    let font = ("sans-serif", 13).into_font().color(&BLACK);
    let mut text_width = 0;
    for (label, _, _) in entries {
        text_width = text_width.max(area.estimate_text_size(label, &font)?.0 as i32);
    }
    let (row, key_width, padding, margin) = (20, 28, 6, 10);
    let (width, height) = (key_width + text_width + 2 * padding, row * entries.len() as i32 + 2 * padding);
    let (area_width, area_height) = area.dim_in_pixel();
    let (left, top) = match corner {
        Corner::UpperLeft => (margin, margin),
        Corner::LowerRight => (area_width as i32 - width - margin, area_height as i32 - height - margin),
    };
    let corners = [(left, top), (left + width, top + height)];
    area.draw(&Rectangle::new(corners, WHITE.mix(0.85).filled()))?;
    area.draw(&Rectangle::new(corners, BLACK.mix(0.3)))?;
    let label_font = font.pos(Pos::new(HPos::Left, VPos::Center));
    for (index, (label, colour, key)) in entries.iter().enumerate() {
        let (x, y) = (left + padding, top + padding + row * index as i32 + row / 2);
        match key {
            Key::Dot => area.draw(&Circle::new((x + 9, y), 4, colour.filled()))?,
            Key::Line => area.draw(&PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3)))?,
        }
        area.draw(&Text::new(label.as_str(), (x + key_width, y), &label_font))?;
    }
    Ok(())
}

fn draw_error_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    curves: &[ErrorCurve],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let n_genes = curves.iter().map(|curve| curve.mean_cumulative_l2.len()).max().unwrap_or(1);
    let top = curves.iter().flat_map(|curve| curve.mean_cumulative_l2.iter().copied()).fold(0.0, f64::max).max(1e-6);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(1f64..n_genes as f64, 0f64..top * 1.05)?;
    chart
        .configure_mesh()
        .x_desc("Number of genes (most expressed in the control first)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc("Mean L2 over these genes")
        .label_style(("sans-serif", 13))
        .draw()?;
    let mut legend = Vec::new();
    for (index, curve) in curves.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let points = curve.mean_cumulative_l2.iter().enumerate().map(|(i, &value)| ((i + 1) as f64, value));
        chart.draw_series(LineSeries::new(points, colour.stroke_width(2)))?;
        legend.push((curve.method.clone(), colour, Key::Line));
    }
    draw_legend(&chart.plotting_area().strip_coord_spec(), Corner::UpperLeft, &legend)?;
    root.present()
}

/// The lowest TPR the log axis shows; smaller values (0 included) are drawn on it.
const TPR_FLOOR: f64 = 1e-3;

fn draw_score_histogram<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    histogram: &ScoreHistogram,
    upper: Option<f64>,
    lower: Option<f64>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (Some(&first), Some(&last)) = (histogram.breaks.first(), histogram.breaks.last()) else {
        return root.present();
    };
    let top = histogram
        .counts
        .iter()
        .map(|&count| f64::from(count))
        .chain(histogram.mixture.iter().copied())
        .fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(first..last, 0f64..top * 1.05)?;
    chart
        .configure_mesh()
        .x_desc("Interaction score AB − (A + B − c)")
        .y_desc("Pairs per bin")
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style(("sans-serif", 13))
        .draw()?;
    let bar = RGBColor(150, 150, 150);
    chart.draw_series(histogram.counts.iter().zip(histogram.breaks.windows(2)).map(|(&count, edges)| {
        Rectangle::new([(edges[0], 0.0), (edges[1], f64::from(count))], bar.mix(0.5).filled())
    }))?;
    let mut legend = Vec::new();
    let centres: Vec<f64> = histogram.breaks.windows(2).map(|edges| (edges[0] + edges[1]) / 2.0).collect();
    if !histogram.mixture.is_empty() {
        let (mixture_colour, null_colour) = (PALETTE[2], PALETTE[0]);
        chart.draw_series(LineSeries::new(
            centres.iter().copied().zip(histogram.mixture.iter().copied()),
            mixture_colour.stroke_width(2),
        ))?;
        chart.draw_series(LineSeries::new(
            centres.iter().copied().zip(histogram.null.iter().copied()),
            null_colour.stroke_width(2),
        ))?;
        legend.push(("fitted mixture f".to_string(), mixture_colour, Key::Line));
        legend.push(("null p0·f0".to_string(), null_colour, Key::Line));
    }
    let threshold_colour = PALETTE[5];
    for (index, threshold) in [upper, lower].into_iter().flatten().enumerate() {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(threshold, 0.0), (threshold, top * 1.05)],
            threshold_colour.stroke_width(2),
        )))?;
        if index == 0 {
            legend.push(("thresholds".to_string(), threshold_colour, Key::Line));
        }
    }
    draw_legend(&chart.plotting_area().strip_coord_spec(), Corner::UpperLeft, &legend)?;
    root.present()
}

fn draw_tpr_fdp<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    curves: &[TprFdpCurve],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..1f64, (TPR_FLOOR..1f64).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("False discovery proportion")
        .y_desc("True positive rate (log)")
        .label_style(("sans-serif", 13))
        .draw()?;
    let mut legend = Vec::new();
    for (index, curve) in curves.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let points = curve.fdp.iter().zip(&curve.tpr).map(|(&fdp, &tpr)| (fdp, tpr.max(TPR_FLOOR)));
        chart.draw_series(LineSeries::new(points, colour.stroke_width(2)))?;
        legend.push((curve.method.clone(), colour, Key::Line));
    }
    draw_legend(&chart.plotting_area().strip_coord_spec(), Corner::LowerRight, &legend)?;
    root.present()
}

fn draw_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
) -> Result<Vec<HoverPoint>, DrawingAreaErrorKind<DB::ErrorType>> {
    match chart {
        Chart::Distribution { methods, values, axis } => {
            draw_distribution(root, methods, values, axis).map(|()| vec![])
        }
        Chart::ErrorCurves(curves) => draw_error_curves(root, curves).map(|()| vec![]),
        Chart::Scatter(detail) => draw_scatter(root, detail),
        Chart::ScoreHistogram { histogram, upper, lower } => {
            draw_score_histogram(root, histogram, *upper, *lower).map(|()| vec![])
        }
        Chart::TprFdp(curves) => draw_tpr_fdp(root, curves).map(|()| vec![]),
        Chart::Volcano(volcano) => draw_volcano(root, volcano),
    }
}

/// The smallest fdr drawn (smaller ones sit on the top edge).
const FDR_FLOOR: f64 = 1e-300;

fn draw_volcano<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    volcano: &Volcano,
) -> Result<Vec<HoverPoint>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let finite = |value: f32| value.is_finite().then_some(value as f64);
    let extent =
        volcano.log2_fold_change.iter().filter_map(|&v| finite(v)).fold(0.0f64, |m, v| m.max(v.abs())).max(0.5) * 1.1;
    // A fold change from or to zero (±∞) is drawn at the edge.
    let x_of = |value: f32| if value.is_nan() { 0.0 } else { (value as f64).clamp(-extent, extent) };
    let y_of = |fdr: f32| -(fdr as f64).max(FDR_FLOOR).log10();
    // Room above the highest point for the legend.
    let top = volcano.fdr.iter().filter(|q| !q.is_nan()).map(|&q| y_of(q)).fold(0.0f64, f64::max).max(2.0) * 1.3;
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(-extent..extent, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc(format!("log2 fold change of {} (vs control cells)", volcano.perturbation))
        .y_desc("−log10 fdr")
        .label_style(("sans-serif", 13))
        .draw()?;
    let threshold = -(0.05f64.log10());
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(-extent, threshold), (extent, threshold)],
        BLACK.mix(0.3),
    )))?;
    let (grey, data, predicted) = (RGBColor(170, 170, 170), PALETTE[0], PALETTE[1]);
    let marked = |genes: &[usize]| {
        let mut marked = vec![false; volcano.genes.len()];
        genes.iter().for_each(|&gene| marked[gene] = true);
        marked
    };
    let (significant, predicted_significant) = (marked(&volcano.significant), marked(&volcano.predicted_significant));
    let points: Vec<(f64, f64, usize)> = (0..volcano.genes.len())
        .filter(|&gene| !volcano.fdr[gene].is_nan())
        .map(|gene| (x_of(volcano.log2_fold_change[gene]), y_of(volcano.fdr[gene]), gene))
        .collect();
    // The data's significant genes over the others, the prediction's rings on top.
    chart.draw_series(
        points.iter().filter(|p| !significant[p.2]).map(|&(x, y, _)| Circle::new((x, y), 2, grey.mix(0.7).filled())),
    )?;
    chart.draw_series(
        points.iter().filter(|p| significant[p.2]).map(|&(x, y, _)| Circle::new((x, y), 2, data.mix(0.8).filled())),
    )?;
    chart.draw_series(
        points
            .iter()
            .filter(|p| predicted_significant[p.2])
            .map(|&(x, y, _)| Circle::new((x, y), 5, predicted.stroke_width(1))),
    )?;
    let hover = points
        .iter()
        .map(|&(x, y, gene)| {
            let (px, py) = chart.backend_coord(&(x, y));
            HoverPoint { x: px, y: py, gene, method: 0 }
        })
        .collect();
    let mut legend = vec![("significant in the data (fdr < 0.05)".to_string(), data, Key::Dot)];
    if let Some(method) = &volcano.method {
        legend.push((format!("significant in {method}'s cells (ring)"), predicted, Key::Dot));
    }
    draw_legend(&chart.plotting_area().strip_coord_spec(), Corner::UpperLeft, &legend)?;
    root.present()?;
    Ok(hover)
}

/// The DE of one perturbation as a volcano plot, a method's significant genes marked; hovering names the gene.
#[component]
pub fn VolcanoPlot(volcano: Memo<Option<Volcano>>) -> impl IntoView {
    let chart = Memo::new(move |_| volcano.get().map(Chart::Volcano));
    let file_name = Signal::derive(move || {
        volcano
            .with(|v| v.as_ref().map(|v| format!("volcano_{}", v.perturbation.replace('+', "_"))).unwrap_or_default())
    });
    view! {
        <PlotPanel chart file_stem="volcano" file_name label="Volcano plot: log2 fold change against −log10 fdr per gene"
            caption="Each dot is a gene: the data's cells against the control cells (Mann–Whitney U, Benjamini–Hochberg, as pdex for cell-eval); the line is fdr 0.05." />
    }
}

/// A plot on a canvas, with PNG and SVG export of the same drawing.
#[component]
fn PlotPanel(
    chart: Memo<Option<Chart>>,
    /// Names the export buttons (`export-{file_stem}-png`) and, without `file_name`, the exported files.
    file_stem: &'static str,
    #[prop(into)] label: Signal<String>,
    #[prop(into)] caption: Signal<String>,
    /// The exported files' name without extension, when it depends on what is shown.
    #[prop(optional, into)]
    file_name: Option<Signal<String>>,
) -> impl IntoView {
    let file_name = move || file_name.map(|name| name.get_untracked()).unwrap_or_else(|| file_stem.to_string());
    let canvas = NodeRef::<Canvas>::new();
    let hover_points = RwSignal::new(Vec::<HoverPoint>::new());
    let hovered = RwSignal::new(None::<String>);
    // How many drawings have finished (`data-drawn`, which the page benchmark waits for).
    let drawn = RwSignal::new(0u32);
    Effect::new(move |_| {
        let (Some(element), Some(chart)) = (canvas.get(), chart.get()) else { return };
        // Drawn in a task of its own, so that the page never blocks for long when results arrive.
        set_timeout(
            move || {
                if let Some(backend) = DotCanvas::new(element) {
                    hover_points.set(draw_chart(&backend.into_drawing_area(), &chart).unwrap_or_default());
                    drawn.update(|count| *count += 1);
                }
            },
            std::time::Duration::ZERO,
        );
    });
    // The canvas is scaled by CSS: map the pointer back to canvas pixels, then name the nearest point.
    let on_move = move |event: leptos::ev::MouseEvent| {
        let Some(element) = canvas.get_untracked() else { return };
        let scale = element.width() as f64 / element.client_width().max(1) as f64;
        let (x, y) = (event.offset_x() as f64 * scale, event.offset_y() as f64 * scale);
        let nearest = hover_points.with_untracked(|points| {
            points
                .iter()
                .map(|point| ((point.x as f64 - x).powi(2) + (point.y as f64 - y).powi(2), *point))
                .filter(|(distance, _)| *distance <= 64.0)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, point)| point)
        });
        hovered.set(nearest.and_then(|point| chart.with_untracked(|chart| chart.as_ref()?.hover_label(point))));
    };
    let export_svg = move |_| {
        let Some(chart) = chart.get_untracked() else { return };
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
            let _ = draw_chart(&root, &chart);
        }
        download_text(&format!("{}.svg", file_name()), &svg, "image/svg+xml");
    };
    let export_png = move |_| {
        if let Some(url) = canvas.get_untracked().and_then(|element| element.to_data_url().ok()) {
            download_url(&format!("{}.png", file_name()), &url);
        }
    };
    view! {
        <figure class="plot" data-drawn=move || drawn.get()>
            <canvas node_ref=canvas width=WIDTH height=HEIGHT role="img" aria-label=move || label.get() on:mousemove=on_move
                on:mouseleave=move |_| hovered.set(None)></canvas>
            <Show when=move || hover_points.with(|points| !points.is_empty())>
                <p class="hover-info" data-testid="hover-info" aria-live="polite">
                    {move || hovered.get().unwrap_or_else(|| "Point at a dot to see its gene.".into())}
                </p>
            </Show>
            <figcaption>
                {move || caption.get()}
                <span class="plot-actions">
                    <button class="secondary small" data-testid=format!("export-{file_stem}-png") on:click=export_png>"PNG"</button>
                    <button class="secondary small" data-testid=format!("export-{file_stem}-svg") on:click=export_svg>"SVG"</button>
                </span>
            </figcaption>
        </figure>
    }
}

/// A metric's distribution per method (points over a box).
#[component]
pub fn DistributionPlot(metric: Metric) -> impl IntoView {
    let state = use_state();
    let chart = Memo::new(move |_| {
        state.report.with(|report| {
            report.as_ref().map(|report| Chart::Distribution {
                methods: report.methods.clone(),
                values: values_by_method(&report.rows, &report.methods, metric),
                axis: metric.label().to_string(),
            })
        })
    });
    let caption = match metric {
        Metric::L2 => {
            "L2 per (seed, perturbation), one column per method; the box spans the quartiles, the bar is the median."
        }
        Metric::PearsonDelta => "Pearson delta per (seed, perturbation); undefined for no change, which is left out.",
    };
    view! { <PlotPanel chart file_stem=metric.file_stem() label=metric.label() caption /> }
}

/// The chosen convention's main metric (`state.score_by`) per method, its values from the run the worker kept.
#[component]
pub fn ConventionDistributionPlot() -> impl IntoView {
    let state = use_state();
    let values = RwSignal::new(None::<MetricValues>);
    let error = RwSignal::new(None::<String>);
    // Asked again for a new run, another metric, or the conventions scored again (pairwise metrics on request).
    Effect::new(move |_| {
        state.conventions.track();
        let Some(index) = state.score_by.get() else { return };
        if !state.report.with(Option::is_some) {
            return;
        }
        let run_id = state.run_id.get_untracked();
        let (convention, metric) = (METRICS[index].convention.to_string(), METRICS[index].metric.to_string());
        leptos::task::spawn_local(async move {
            let answer = ask(state, Query::MetricValues { run_id, convention, metric }).await;
            if state.score_by.get_untracked() != Some(index) || state.run_id.get_untracked() != run_id {
                return;
            }
            match answer {
                Ok(Reply::MetricValues(answer)) => {
                    error.set(None);
                    values.set(Some(*answer));
                }
                Ok(_) => error.set(Some("the worker answered with something else than a metric's values".into())),
                Err(message) => error.set(Some(message)),
            }
        });
    });
    let shown =
        move || values.with(|values| values.as_ref().map(|v| format!("{}:{}", v.info.convention, v.info.metric)));
    let axis = move || {
        values.with(|values| {
            values.as_ref().map(|v| {
                let direction = if v.info.higher_is_better { "higher is better" } else { "lower is better" };
                format!("{} {} ({direction})", v.info.convention, v.info.metric)
            })
        })
    };
    let chart = Memo::new(move |_| {
        values.with(|values| {
            values.as_ref().map(|v| Chart::Distribution {
                methods: v.methods.clone(),
                values: v.values.clone(),
                axis: axis().unwrap_or_default(),
            })
        })
    });
    let caption = Signal::derive(move || {
        values.with(|values| {
            let Some(v) = values.as_ref() else { return "Scoring the run under this convention…".to_string() };
            let undefined: usize = v.undefined.iter().sum();
            let left_out = if undefined == 0 {
                String::new()
            } else {
                format!(" {undefined} points without a value (undefined there, or not computed) are left out.")
            };
            format!(
                "{} {} per (seed, perturbation), one column per method: {}. Source: {}.{left_out}",
                v.info.convention, v.info.metric, v.info.formula, v.info.source
            )
        })
    });
    let file_name = Signal::derive(move || {
        shown().map(|shown| format!("{}_by_method", shown.replace(':', "_"))).unwrap_or_default()
    });
    view! {
        <Show when=move || error.get().is_some()>
            <p role="alert" class="error" data-testid="plot-convention-error">{move || error.get().unwrap_or_default()}</p>
        </Show>
        <div data-testid="convention-plot" data-shown=move || shown().unwrap_or_default()>
            <PlotPanel chart file_stem="convention_by_method" label=Signal::derive(move || axis().unwrap_or_default())
                caption file_name />
        </div>
    }
}

/// The error as a function of the number of genes, per method.
#[component]
pub fn ErrorCurvePlot() -> impl IntoView {
    let state = use_state();
    let chart = Memo::new(move |_| {
        state.report.with(|report| report.as_ref().map(|report| Chart::ErrorCurves(report.error_curves.clone())))
    });
    view! {
        <PlotPanel chart file_stem="error_vs_genes" label="Mean L2 against the number of genes"
            caption="sqrt(cumsum((prediction − observation)²)) over genes ordered by control expression, averaged over each method's points." />
    }
}

/// Observed against predicted change for one chosen perturbation, every method; hovering names the gene.
#[component]
pub fn DetailPlot() -> impl IntoView {
    let state = use_state();
    let seeds = Memo::new(move |_| {
        state.report.with(|report| {
            report.as_ref().map(|r| r.splits.iter().map(|s| s.seed).collect::<Vec<_>>()).unwrap_or_default()
        })
    });
    let seed = RwSignal::new(None::<u32>);
    let perturbation = RwSignal::new(String::new());
    let perturbations = Memo::new(move |_| {
        let chosen = seed.get();
        state.report.with(|report| {
            let mut names: Vec<String> = report
                .as_ref()
                .map(|r| r.rows.iter().filter(|row| row.seed == chosen).map(|row| row.perturbation.clone()).collect())
                .unwrap_or_default();
            names.sort();
            names.dedup();
            names
        })
    });
    // A new report: the first seed and its first perturbation.
    Effect::new(move |_| {
        let first_seed = seeds.get().first().copied().flatten();
        seed.set(first_seed);
    });
    Effect::new(move |_| {
        let names = perturbations.get();
        if !names.contains(&perturbation.get_untracked()) {
            perturbation.set(names.first().cloned().unwrap_or_default());
        }
    });
    // The chosen condition's detail, from the run the worker kept; a failure shows under these controls.
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let (chosen_seed, chosen) = (seed.get(), perturbation.get());
        if chosen.is_empty() || !state.report.with(Option::is_some) {
            return;
        }
        let run_id = state.run_id.get_untracked();
        leptos::task::spawn_local(async move {
            let query = Query::Detail { run_id, seed: chosen_seed, perturbation: chosen.clone() };
            let answer = ask(state, query).await;
            // Only the answer for what is still chosen is shown.
            if (seed.get_untracked(), perturbation.get_untracked()) != (chosen_seed, chosen) {
                return;
            }
            match answer {
                Ok(Reply::Detail(detail)) => {
                    error.set(None);
                    state.detail.set(Some(*detail));
                }
                Ok(_) => error.set(Some("the worker answered with something else than a detail".into())),
                Err(message) => error.set(Some(message)),
            }
        });
    });
    let chart = Memo::new(move |_| state.detail.get().map(Chart::Scatter));
    let shown = move || state.detail.with(|detail| detail.as_ref().map(|d| d.perturbation.clone()).unwrap_or_default());
    view! {
        <div class="detail-controls" data-testid="detail-controls" data-shown=shown>
            <label class="field inline">
                <span>"Seed"</span>
                <select data-testid="detail-seed" prop:value=move || seed.get().map(|s| s.to_string()).unwrap_or_default()
                    on:change=move |event| seed.set(event_target_value(&event).parse().ok())>
                    {move || seeds.get().into_iter().map(|s| {
                        let value = s.map(|s| s.to_string()).unwrap_or_default();
                        let label = s.map(|s| format!("seed {s}")).unwrap_or_else(|| "no seed".into());
                        view! { <option value=value>{label}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class="field inline">
                <span>"Perturbation"</span>
                <select data-testid="detail-perturbation" prop:value=move || perturbation.get()
                    on:change=move |event| perturbation.set(event_target_value(&event))>
                    {move || perturbations.get().into_iter().map(|name| view! { <option value=name.clone()>{name.clone()}</option> }).collect_view()}
                </select>
            </label>
        </div>
        <Show when=move || error.get().is_some()>
            <p role="alert" class="error" data-testid="detail-error">{move || error.get().unwrap_or_default()}</p>
        </Show>
        <PlotPanel chart file_stem="observed_vs_predicted" label="Predicted against observed change per gene"
            caption="Each dot is a gene of the metrics' gene set; the diagonal is a perfect prediction." />
    }
}

/// The interaction scores' histogram with the fitted densities and the thresholds in use.
#[component]
pub fn ScoreHistogramPlot() -> impl IntoView {
    let state = use_state();
    let chart = Memo::new(move |_| {
        state.report.with(|report| {
            let interactions = report.as_ref()?.interactions.as_ref()?;
            let thresholds = interactions.thresholds.as_ref();
            Some(Chart::ScoreHistogram {
                histogram: interactions.histogram.clone()?,
                upper: thresholds.map(|t| t.upper),
                lower: thresholds.map(|t| t.lower),
            })
        })
    });
    view! {
        <PlotPanel chart file_stem="interaction_scores" label="Histogram of interaction scores with the fitted null"
            caption="locfdr's 119 bins of all double × gene scores, its fitted mixture density and the null part p0·f0 (in pairs per bin); pairs outside the thresholds are interactions." />
    }
}

/// TPR against FDP per method, as in the paper's figure (log TPR).
#[component]
pub fn TprFdpPlot() -> impl IntoView {
    let state = use_state();
    let chart = Memo::new(move |_| {
        state.report.with(|report| Some(Chart::TprFdp(report.as_ref()?.interactions.as_ref()?.tpr_fdp.clone())))
    });
    view! {
        <PlotPanel chart file_stem="interaction_tpr_fdp" label="True positive rate against false discovery proportion per method"
            caption="Pairs ranked by |prediction − additive expectation|; TPR at each FDP, averaged over seeds. TPR below 0.001 (including 0) is drawn at 0.001." />
    }
}
