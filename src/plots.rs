//! The plots, drawn with plotters on any backend: the page's canvas, the SVG export and the report. One
//! colour and marker per method ([`MethodStyles`], assigned once per run) for every plot and table legend.
//!
//! Text in SVG is sized by [`TextSized`], a fixed table of Helvetica's advance widths, so an SVG (the
//! export, the report) is the same on every machine and never asks a browser to lay out text: plotters' own
//! estimate in wasm adds a `<span>` with an inline `style` attribute to the page, which the page's
//! Content-Security-Policy refuses.

use crate::baselines::Baseline;
use crate::benchmark::{ConditionDetail, ErrorCurve};
use crate::conventions::celleval_de::Volcano;
use crate::interactions::{ScoreHistogram, TprFdpCurve};
use crate::quantile::summary_quantile as quantile;
use crate::results_table::ResultRow;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{BackendColor, BackendCoord, DrawingErrorKind};

/// The size every plot is drawn at (CSS pixels; the canvas multiplies by the screen's pixel ratio).
pub const WIDTH: u32 = 900;
pub const HEIGHT: u32 = 380;

/// Uploaded methods' colours: Okabe–Ito without its black and yellow, then Tol's wine and olive — told
/// apart with the common colour-vision deficiencies.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(136, 34, 85),
    RGBColor(153, 153, 51),
];

/// The shape a method's points and legend key take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Triangle,
    Square,
    Diamond,
    Cross,
}

const MARKERS: [Marker; 4] = [Marker::Circle, Marker::Triangle, Marker::Square, Marker::Diamond];

/// How one method is drawn everywhere.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MethodStyle {
    pub colour: RGBColor,
    pub marker: Marker,
    /// Lines of this method are dashed (the ninth method on, whose colours repeat).
    pub dashed: bool,
}

impl MethodStyle {
    /// The colour as CSS / SVG (`rgb(r,g,b)`).
    pub fn css(&self) -> String {
        let RGBColor(r, g, b) = self.colour;
        format!("rgb({r},{g},{b})")
    }

    /// A 14 × 14 SVG of the legend key (marker in colour), for table legends.
    pub fn swatch_svg(&self) -> String {
        format!(
            r#"<svg class="swatch" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">{}</svg>"#,
            self.marker_svg(7.0, 7.0, 5.0)
        )
    }

    /// The marker at (x, y) with half-size `r`, as an SVG element.
    pub fn marker_svg(&self, x: f64, y: f64, r: f64) -> String {
        let fill = self.css();
        match self.marker {
            Marker::Circle => format!(r#"<circle cx="{x}" cy="{y}" r="{r}" fill="{fill}"/>"#),
            Marker::Square => {
                format!(r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}"/>"#, x - r, y - r, 2.0 * r, 2.0 * r)
            }
            Marker::Triangle => {
                format!(r#"<polygon points="{x},{} {},{} {},{}" fill="{fill}"/>"#, y - r, x + r, y + r, x - r, y + r)
            }
            Marker::Diamond => {
                format!(r#"<polygon points="{x},{} {},{y} {x},{} {},{y}" fill="{fill}"/>"#, y - r, x + r, y + r, x - r)
            }
            Marker::Cross => format!(
                r#"<path d="M{} {}L{} {}M{} {}L{} {}" stroke="{fill}" stroke-width="2"/>"#,
                x - r,
                y - r,
                x + r,
                y + r,
                x - r,
                y + r,
                x + r,
                y - r
            ),
        }
    }
}

/// The built-in baselines' fixed neutral styles: the same in every run, whatever else is there.
fn baseline_style(method: &str) -> Option<MethodStyle> {
    let ((r, g, b), marker) = match Baseline::of_method(method)? {
        Baseline::NoChange => ((72, 72, 72), Marker::Circle),
        Baseline::Additive => ((138, 138, 138), Marker::Triangle),
        Baseline::Mean => ((107, 123, 140), Marker::Square),
        Baseline::Linear => ((150, 125, 80), Marker::Diamond),
        Baseline::CellEvalBaseline => ((105, 105, 105), Marker::Cross),
        Baseline::LinearReference => ((120, 95, 55), Marker::Triangle),
        Baseline::LinearReferenceGenes => ((185, 160, 110), Marker::Square),
    };
    Some(MethodStyle { colour: RGBColor(r, g, b), marker, dashed: false })
}

/// Each method's style for one run: baselines their fixed neutral hue, other methods the palette in the
/// order the run names them (colours repeat after 8, with another marker and dashed lines).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MethodStyles {
    styles: Vec<(String, MethodStyle)>,
}

impl MethodStyles {
    pub fn for_methods<S: AsRef<str>>(methods: &[S]) -> Self {
        let mut styles = MethodStyles::default();
        for method in methods {
            styles.add(method.as_ref());
        }
        styles
    }

    fn add(&mut self, method: &str) {
        if !self.styles.iter().any(|(name, _)| name == method) {
            let style = self.of(method);
            self.styles.push((method.to_string(), style));
        }
    }

    /// The method's style; a method the run did not name (it should not happen) gets the style the next
    /// method would.
    pub fn of(&self, method: &str) -> MethodStyle {
        if let Some((_, style)) = self.styles.iter().find(|(name, _)| name == method) {
            return *style;
        }
        baseline_style(method).unwrap_or_else(|| {
            let index = self.styles.iter().filter(|(name, _)| baseline_style(name).is_none()).count();
            MethodStyle {
                colour: PALETTE[index % PALETTE.len()],
                marker: MARKERS[(index / PALETTE.len()) % MARKERS.len()],
                dashed: index >= PALETTE.len(),
            }
        })
    }
}

/// A point's name (hovering, labels): its perturbation and seed.
pub fn point_label(perturbation: &str, seed: Option<u32>) -> String {
    match seed {
        Some(seed) => format!("{perturbation}, seed {seed}"),
        None => perturbation.to_string(),
    }
}

/// A metric's values per method, with a label per point (perturbation and seed) for hovering.
#[derive(Clone, Debug, PartialEq)]
pub struct Distribution {
    pub methods: Vec<String>,
    pub values: Vec<Vec<f64>>,
    /// `labels[m][i]` names `values[m][i]`; empty when the points are not named.
    pub labels: Vec<Vec<String>>,
    pub axis: String,
}

/// The paper's two metrics as their distribution plots show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    L2,
    PearsonDelta,
}

impl Metric {
    pub fn label(self) -> &'static str {
        match self {
            Metric::L2 => "L2 distance to the observation (lower is better)",
            Metric::PearsonDelta => "Pearson delta (higher is better)",
        }
    }

    /// The exported files' name without extension.
    pub fn file_stem(self) -> &'static str {
        match self {
            Metric::L2 => "l2_by_method",
            Metric::PearsonDelta => "pearson_delta_by_method",
        }
    }

    /// What the plot's caption says.
    pub fn caption(self) -> &'static str {
        match self {
            Metric::L2 => {
                "L2 per (seed, perturbation), one column per method; the box spans the quartiles, the bar is the median."
            }
            Metric::PearsonDelta => "Pearson delta per (seed, perturbation); undefined for no change, which is left out.",
        }
    }

    fn value(self, row: &ResultRow) -> Option<f64> {
        match self {
            Metric::L2 => Some(row.l2),
            Metric::PearsonDelta => row.pearson_delta,
        }
    }
}

/// `metric` per method (finite values, in the order of `methods`), each point named.
pub fn distribution(rows: &[ResultRow], methods: &[String], metric: Metric) -> Distribution {
    let (mut values, mut labels) = (Vec::new(), Vec::new());
    for method in methods {
        let points: Vec<(f64, String)> = rows
            .iter()
            .filter(|row| &row.method == method)
            .filter_map(|row| Some((metric.value(row)?, point_label(&row.perturbation, row.seed))))
            .filter(|(value, _)| value.is_finite())
            .collect();
        let (v, l): (Vec<f64>, Vec<String>) = points.into_iter().unzip();
        values.push(v);
        labels.push(l);
    }
    Distribution { methods: methods.to_vec(), values, labels, axis: metric.label().to_string() }
}

/// What a plot draws.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    Distribution(Distribution),
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
    /// The paper's Fig. 2c: each method's mean L2 ratio to the reference with its 95% interval, log2 axis.
    Forest(Forest),
}

/// A forest plot's rows: `(method, mean ratio, lower, upper)`, and the reference (drawn at 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Forest {
    pub reference: String,
    pub rows: Vec<(String, f64, f64, f64)>,
    /// Where the values come from, when not from this run ("published, other data: adamson").
    pub source: Option<String>,
}

impl Forest {
    /// The methods' ratios from the leaderboard's summaries, sorted from best to worst, the reference left
    /// out (it is the line at 1).
    pub fn from_summaries(summaries: &[crate::summary::MethodSummary], reference: &str) -> Forest {
        let mut rows: Vec<(String, f64, f64, f64)> = summaries
            .iter()
            .filter(|s| s.method != reference)
            .filter_map(|s| s.ratio.as_ref().map(|r| (s.method.clone(), r.mean, r.lower, r.upper)))
            .filter(|(_, mean, _, _)| mean.is_finite() && *mean > 0.0)
            .collect();
        rows.sort_by(|a, b| a.1.total_cmp(&b.1));
        Forest { reference: reference.to_string(), rows, source: None }
    }

    /// The published methods of one of the paper's single-perturbation datasets, from
    /// `single_perturbation_forest.csv` (`dataset,method,n,mean_ratio,ci_low,ci_high`, made from the paper's
    /// source data by `examples/published_forest.rs`), against `mean`.
    pub fn published(csv_text: &str, dataset: &str) -> Forest {
        let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
        let mut rows: Vec<(String, f64, f64, f64)> = reader
            .records()
            .filter_map(Result::ok)
            .filter(|record| record.get(0) == Some(dataset))
            .filter_map(|record| {
                let number = |i: usize| record.get(i)?.parse::<f64>().ok();
                Some((record.get(1)?.to_string(), number(3)?, number(4)?, number(5)?))
            })
            .collect();
        rows.sort_by(|a, b| a.1.total_cmp(&b.1));
        Forest { reference: "mean".into(), rows, source: Some(format!("published, other data: {dataset}")) }
    }
}

fn draw_forest<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    forest: &Forest,
    styles: &MethodStyles,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let log2 = |v: f64| if v > 0.0 { v.log2() } else { f64::NAN };
    let (low, high) =
        padded_range(forest.rows.iter().flat_map(|&(_, m, l, u)| [log2(m), log2(l), log2(u)]).chain([0.0]));
    let n = forest.rows.len().max(1);
    let names: Vec<String> = forest.rows.iter().map(|row| row.0.clone()).collect();
    let label_width = names.iter().map(|name| text_size(name, 13.0).0).max().unwrap_or(40).clamp(40, 260) + 16;
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(label_width)
        .build_cartesian_2d(low..high, -0.5f64..(n as f64 - 0.5))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|y| {
            let index = y.round();
            if (y - index).abs() < 1e-9 && index >= 0.0 {
                names.get(n - 1 - index as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_label_formatter(&|x| format!("{:.2}×", 2f64.powf(*x)))
        .x_desc(match &forest.source {
            Some(source) => format!("L2 relative to {} (log2 scale; 95% interval) — {source}", forest.reference),
            None => format!("L2 relative to {} (log2 scale; 95% bootstrap interval)", forest.reference),
        })
        .label_style(("sans-serif", 13))
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(vec![(0.0, -0.5), (0.0, n as f64 - 0.5)], BLACK.mix(0.5))))?;
    for (index, (method, mean, lower, upper)) in forest.rows.iter().enumerate() {
        // The best at the top.
        let y = (n - 1 - index) as f64;
        let style = styles.of(method);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(log2(*lower), y), (log2(*upper), y)],
            style.colour.stroke_width(2),
        )))?;
        draw_markers(&mut chart, &[(log2(*mean), y)], style, 5, 1.0)?;
    }
    root.present()
}

/// A drawn point that hovering can name: its pixel position and indices into the chart's data (the series —
/// a method — and the item in it: a gene or a point); the label is made only when the point is hovered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HoverPoint {
    pub x: i32,
    pub y: i32,
    pub item: usize,
    pub series: usize,
}

impl Chart {
    /// What hovering `point` shows.
    pub fn hover_label(&self, point: HoverPoint) -> Option<String> {
        match self {
            Chart::Volcano(volcano) => {
                let gene = volcano.genes.get(point.item)?;
                let (lfc, fdr) = (volcano.log2_fold_change[point.item], volcano.fdr[point.item]);
                let marks = [
                    (volcano.significant.contains(&point.item), "significant in the data"),
                    (volcano.predicted_significant.contains(&point.item), "predicted significant"),
                ];
                let said: Vec<&str> = marks.iter().filter(|(yes, _)| *yes).map(|(_, text)| *text).collect();
                Some(format!(
                    "{gene}: log2FC {lfc:.3}, fdr {fdr:.2e}{}",
                    if said.is_empty() { String::new() } else { format!(" ({})", said.join(", ")) }
                ))
            }
            Chart::Scatter(detail) => {
                let (method, changes) = detail.predicted_change.get(point.series)?;
                let (observed, predicted) =
                    (detail.observed_change.get(point.item)?, changes.get(point.item).copied().flatten()?);
                Some(format!("{}: observed {observed:.3}, {method} {predicted:.3}", detail.genes.get(point.item)?))
            }
            Chart::Distribution(d) => {
                let label = d.labels.get(point.series)?.get(point.item)?;
                let value = d.values.get(point.series)?.get(point.item)?;
                Some(format!("{}, {label}: {value:.3}", d.methods.get(point.series)?))
            }
            _ => None,
        }
    }
}

/// A deterministic jitter in [-0.5, 0.5) for point `index`.
fn jitter(index: usize) -> f64 {
    ((index as u64).wrapping_mul(2654435761) % 1000) as f64 / 1000.0 - 0.5
}

/// `(low, high)` of the finite values, padded by 5% (a single value or none: a unit range around it).
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) =
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((high - low) * 0.05).max(if high > low { 0.0 } else { 0.5 });
    (low - pad, high + pad)
}

/// Draws `marker` at each point of an already-mapped chart.
fn draw_markers<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'_, DB, CT>,
    points: &[(f64, f64)],
    style: MethodStyle,
    size: i32,
    alpha: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let fill = style.colour.mix(alpha).filled();
    match style.marker {
        Marker::Circle => {
            chart.draw_series(points.iter().map(|&p| Circle::new(p, size as u32, fill)))?;
        }
        Marker::Triangle => {
            chart.draw_series(points.iter().map(|&p| TriangleMarker::new(p, size + 1, fill)))?;
        }
        Marker::Square => {
            chart.draw_series(
                points.iter().map(|&p| EmptyElement::at(p) + Rectangle::new([(-size, -size), (size, size)], fill)),
            )?;
        }
        Marker::Diamond => {
            let s = size + 1;
            chart.draw_series(
                points
                    .iter()
                    .map(|&p| EmptyElement::at(p) + Polygon::new(vec![(0, -s), (s, 0), (0, s), (-s, 0)], fill)),
            )?;
        }
        Marker::Cross => {
            chart.draw_series(
                points.iter().map(|&p| Cross::new(p, size + 1, style.colour.mix(alpha).stroke_width(2))),
            )?;
        }
    }
    Ok(())
}

fn draw_distribution<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    d: &Distribution,
    styles: &MethodStyles,
) -> Result<Vec<HoverPoint>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (low, high) = padded_range(d.values.iter().flatten().copied());
    let methods = &d.methods;
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5f64..(methods.len() as f64 - 0.5), low..high)?;
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
        .y_desc(d.axis.as_str())
        .label_style(("sans-serif", 13))
        .draw()?;
    let mut hover = Vec::new();
    for (index, method_values) in d.values.iter().enumerate() {
        let style = styles.of(&methods[index]);
        let colour = style.colour;
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
        // Dots: the column names the method, so markers would add nothing but clutter.
        let points: Vec<(f64, f64)> =
            method_values.iter().enumerate().map(|(i, &v)| (x + 0.5 * jitter(i), v)).collect();
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 2, colour.mix(0.6).filled())))?;
        if !d.labels.is_empty() {
            for (item, point) in points.iter().enumerate() {
                let (px, py) = chart.backend_coord(point);
                hover.push(HoverPoint { x: px, y: py, item, series: index });
            }
        }
    }
    root.present()?;
    Ok(hover)
}

fn draw_scatter<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    detail: &ConditionDetail,
    styles: &MethodStyles,
) -> Result<Vec<HoverPoint>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    // Zoomed to the data: each axis spans its own values.
    let (x_low, x_high) = padded_range(detail.observed_change.iter().copied());
    let (y_low, y_high) = padded_range(detail.predicted_change.iter().flat_map(|(_, v)| v.iter().flatten().copied()));
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(x_low..x_high, y_low..y_high)?;
    chart
        .configure_mesh()
        .x_desc(format!("Observed change of {} (vs control)", detail.perturbation))
        .y_desc("Predicted change")
        .label_style(("sans-serif", 13))
        .draw()?;
    // The diagonal where both ranges overlap.
    let (from, to) = (x_low.max(y_low), x_high.min(y_high));
    if from < to {
        chart.draw_series(std::iter::once(PathElement::new(vec![(from, from), (to, to)], BLACK.mix(0.4))))?;
    }
    let mut hover = Vec::new();
    let mut legend = Vec::new();
    for (index, (method, changes)) in detail.predicted_change.iter().enumerate() {
        let style = styles.of(method);
        let points: Vec<(f64, f64, usize)> = detail
            .observed_change
            .iter()
            .zip(changes)
            .enumerate()
            .filter_map(|(gene, (&observed, predicted))| predicted.map(|predicted| (observed, predicted, gene)))
            .collect();
        let xy: Vec<(f64, f64)> = points.iter().map(|&(x, y, _)| (x, y)).collect();
        draw_markers(&mut chart, &xy, style, 2, 0.55)?;
        legend.push((method.clone(), style, Key::Dot));
        for &(x, y, gene) in &points {
            let (px, py) = chart.backend_coord(&(x, y));
            hover.push(HoverPoint { x: px, y: py, item: gene, series: index });
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

/// A legend of `(label, style, key)` entries in a corner of `area` (a chart's plotting area). Not plotters'
/// series labels: those measure text through the font (in wasm, an element added to the page), this
/// measures through the backend.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    corner: Corner,
    entries: &[(String, MethodStyle, Key)],
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
    for (index, (label, style, key)) in entries.iter().enumerate() {
        let (x, y) = (left + padding, top + padding + row * index as i32 + row / 2);
        if let Key::Line = key {
            let line = style.colour.stroke_width(3);
            if style.dashed {
                area.draw(&PathElement::new(vec![(x, y), (x + 6, y)], line))?;
                area.draw(&PathElement::new(vec![(x + 12, y), (x + 18, y)], line))?;
            } else {
                area.draw(&PathElement::new(vec![(x, y), (x + 18, y)], line))?;
            }
        }
        let fill = style.colour.filled();
        let centre = (x + 9, y);
        match style.marker {
            Marker::Circle => area.draw(&Circle::new(centre, 4, fill))?,
            Marker::Triangle => area.draw(&TriangleMarker::new(centre, 5, fill))?,
            Marker::Square => area.draw(&Rectangle::new([(x + 5, y - 4), (x + 13, y + 4)], fill))?,
            Marker::Diamond => {
                area.draw(&Polygon::new(vec![(x + 9, y - 5), (x + 14, y), (x + 9, y + 5), (x + 4, y)], fill))?
            }
            Marker::Cross => area.draw(&Cross::new(centre, 5, style.colour.stroke_width(2)))?,
        }
        area.draw(&Text::new(label.as_str(), (x + key_width, y), &label_font))?;
    }
    Ok(())
}

/// A method's line, dashed when its style says so, with its marker every `every` points.
fn draw_method_line<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'_, DB, CT>,
    points: &[(f64, f64)],
    style: MethodStyle,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let line = style.colour.stroke_width(2);
    if style.dashed {
        chart.draw_series(DashedLineSeries::new(points.iter().copied(), 8, 5, line))?;
    } else {
        chart.draw_series(LineSeries::new(points.iter().copied(), line))?;
    }
    let every = (points.len() / 8).max(1);
    let marked: Vec<(f64, f64)> = points.iter().copied().step_by(every).collect();
    draw_markers(chart, &marked, style, 3, 1.0)
}

fn draw_error_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    curves: &[ErrorCurve],
    styles: &MethodStyles,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let n_genes = curves.iter().map(|curve| curve.mean_cumulative_l2.len()).max().unwrap_or(1).max(2);
    let (low, high) = padded_range(curves.iter().flat_map(|curve| curve.mean_cumulative_l2.iter().copied()));
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(1f64..n_genes as f64, low.max(0.0)..high)?;
    chart
        .configure_mesh()
        .x_desc("Number of genes (most expressed in the control first)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc("Mean L2 over these genes")
        .label_style(("sans-serif", 13))
        .draw()?;
    let mut legend = Vec::new();
    for curve in curves {
        let style = styles.of(&curve.method);
        let points: Vec<(f64, f64)> =
            curve.mean_cumulative_l2.iter().enumerate().map(|(i, &value)| ((i + 1) as f64, value)).collect();
        draw_method_line(&mut chart, &points, style)?;
        legend.push((curve.method.clone(), style, Key::Line));
    }
    draw_legend(&chart.plotting_area().strip_coord_spec(), Corner::UpperLeft, &legend)?;
    root.present()
}

/// The lowest TPR the log axis shows; smaller values (0 included) are drawn on it.
pub const TPR_FLOOR: f64 = 1e-3;

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
    let solid = |colour| MethodStyle { colour, marker: Marker::Circle, dashed: false };
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
        legend.push(("fitted mixture f".to_string(), solid(mixture_colour), Key::Line));
        legend.push(("null p0·f0".to_string(), solid(null_colour), Key::Line));
    }
    let threshold_colour = PALETTE[3];
    for (index, threshold) in [upper, lower].into_iter().flatten().enumerate() {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(threshold, 0.0), (threshold, top * 1.05)],
            threshold_colour.stroke_width(2),
        )))?;
        if index == 0 {
            legend.push(("thresholds".to_string(), solid(threshold_colour), Key::Line));
        }
    }
    draw_legend(&chart.plotting_area().strip_coord_spec(), Corner::UpperLeft, &legend)?;
    root.present()
}

fn draw_tpr_fdp<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    curves: &[TprFdpCurve],
    styles: &MethodStyles,
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
    for curve in curves {
        let style = styles.of(&curve.method);
        let points: Vec<(f64, f64)> =
            curve.fdp.iter().zip(&curve.tpr).map(|(&fdp, &tpr)| (fdp, tpr.max(TPR_FLOOR))).collect();
        draw_method_line(&mut chart, &points, style)?;
        legend.push((curve.method.clone(), style, Key::Line));
    }
    draw_legend(&chart.plotting_area().strip_coord_spec(), Corner::LowerRight, &legend)?;
    root.present()
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
            HoverPoint { x: px, y: py, item: gene, series: 0 }
        })
        .collect();
    let solid = |colour| MethodStyle { colour, marker: Marker::Circle, dashed: false };
    let mut legend = vec![("significant in the data (fdr < 0.05)".to_string(), solid(data), Key::Dot)];
    if let Some(method) = &volcano.method {
        legend.push((format!("significant in {method}'s cells (ring)"), solid(predicted), Key::Dot));
    }
    draw_legend(&chart.plotting_area().strip_coord_spec(), Corner::UpperLeft, &legend)?;
    root.present()?;
    Ok(hover)
}

/// Draws `chart` on `root`; the points hovering can name.
pub fn draw_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    styles: &MethodStyles,
) -> Result<Vec<HoverPoint>, DrawingAreaErrorKind<DB::ErrorType>> {
    match chart {
        Chart::Distribution(distribution) => draw_distribution(root, distribution, styles),
        Chart::ErrorCurves(curves) => draw_error_curves(root, curves, styles).map(|()| vec![]),
        Chart::Scatter(detail) => draw_scatter(root, detail, styles),
        Chart::ScoreHistogram { histogram, upper, lower } => {
            draw_score_histogram(root, histogram, *upper, *lower).map(|()| vec![])
        }
        Chart::TprFdp(curves) => draw_tpr_fdp(root, curves, styles).map(|()| vec![]),
        Chart::Volcano(volcano) => draw_volcano(root, volcano),
        Chart::Forest(forest) => draw_forest(root, forest, styles).map(|()| vec![]),
    }
}

/// `chart` as an SVG document (the export and the report): text sized by [`TextSized`], so the same on
/// every machine.
pub fn svg(chart: &Chart, styles: &MethodStyles) -> String {
    let mut svg = String::new();
    {
        let root = TextSized(SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT))).into_drawing_area();
        let _ = draw_chart(&root, chart, styles);
    }
    svg
}

/// Helvetica's advance widths (1/1000 em) for ASCII 32–126; other characters take the width of a digit.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
    556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
    260, 334, 584,
];

/// The width and height of `text` at `size` pixels in a Helvetica-like sans-serif.
pub fn text_size(text: &str, size: f64) -> (u32, u32) {
    let units: u32 = text
        .chars()
        .map(|c| {
            let code = c as u32;
            if (32..127).contains(&code) {
                u32::from(HELVETICA[(code - 32) as usize])
            } else {
                556
            }
        })
        .sum();
    ((f64::from(units) * size / 1000.0).ceil() as u32, (size * 1.15).ceil() as u32)
}

/// An SVG backend whose text is measured by [`text_size`] (everything else is the inner backend's).
pub struct TextSized<B>(pub B);

impl<B: DrawingBackend> DrawingBackend for TextSized<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.present()
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.draw_pixel(point, color)
    }
    fn draw_line<S: plotters_backend::BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.draw_line(from, to, style)
    }
    fn draw_rect<S: plotters_backend::BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: plotters_backend::BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.draw_path(path, style)
    }
    fn draw_circle<S: plotters_backend::BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: plotters_backend::BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.fill_polygon(vert, style)
    }
    fn draw_text<S: plotters_backend::BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.draw_text(text, style, pos)
    }
    /// plotters' SVG backend writes `font-size` as the style's size / 1.24 (the canvas uses the size as
    /// is), so the text is measured at that size.
    fn estimate_text_size<S: plotters_backend::BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<B::ErrorType>> {
        Ok(text_size(text, style.size() / 1.24))
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.0.blit_bitmap(pos, size, src)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_keep_their_hue_and_methods_take_the_palette_in_order() {
        let a = MethodStyles::for_methods(&["no_change", "model_a", "additive", "model_b"]);
        let b = MethodStyles::for_methods(&["model_b", "additive"]);
        assert_eq!(a.of("additive"), b.of("additive"));
        assert_eq!(a.of("model_a").colour, PALETTE[0]);
        assert_eq!(a.of("model_b").colour, PALETTE[1]);
        assert_eq!(b.of("model_b").colour, PALETTE[0]);
        assert!(PALETTE.iter().all(|&colour| colour != a.of("no_change").colour));
    }

    #[test]
    fn beyond_eight_methods_colours_repeat_with_another_marker_and_dashes() {
        let names: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
        let styles = MethodStyles::for_methods(&names);
        let (first, ninth) = (styles.of("m0"), styles.of("m8"));
        assert_eq!(first.colour, ninth.colour);
        assert_ne!(first.marker, ninth.marker);
        assert!(!first.dashed && ninth.dashed);
    }

    #[test]
    fn svg_has_no_style_attribute_and_draws_each_method_in_its_colour() {
        let curves = vec![
            ErrorCurve { method: "additive".into(), mean_cumulative_l2: vec![0.5, 0.7, 0.9], n: 3 },
            ErrorCurve { method: "model".into(), mean_cumulative_l2: vec![0.4, 0.6, 1.0], n: 3 },
        ];
        let styles = MethodStyles::for_methods(&["additive", "model"]);
        let svg = svg(&Chart::ErrorCurves(curves), &styles);
        assert!(!svg.contains("style="), "{svg}");
        assert!(svg.contains(&format!("stroke=\"#{:02X}{:02X}{:02X}\"", 0, 114, 178)), "{svg}");
        assert!(svg.contains(">\nmodel\n</text>"), "{svg}");
    }

    #[test]
    fn the_forest_plot_sorts_from_best_and_leaves_the_reference_out() {
        use crate::summary::{MethodSummary, RatioToReference};
        let summary = |method: &str, mean: f64| MethodSummary {
            method: method.into(),
            seed: None,
            n: 3,
            mean_l2: mean,
            median_l2: mean,
            mean_pearson_delta: None,
            median_pearson_delta: None,
            mean_pearson: None,
            ratio: Some(RatioToReference {
                reference: "mean".into(),
                mean,
                lower: mean * 0.9,
                upper: mean * 1.1,
                n: 3,
                worse: 0.0,
            }),
        };
        let forest =
            Forest::from_summaries(&[summary("mean", 1.0), summary("gears", 1.2), summary("linear", 0.8)], "mean");
        assert_eq!(forest.rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["linear", "gears"]);
        let svg = svg(&Chart::Forest(forest), &MethodStyles::for_methods(&["mean", "gears", "linear"]));
        assert!(svg.contains("1.00×"), "the reference tick at 1: {svg}");
        assert!(svg.contains("gears") && svg.contains("linear") && !svg.contains("style="));
    }

    #[test]
    fn text_widths_follow_helvetica() {
        assert_eq!(text_size("0000", 10.0).0, 23); // 4 × 0.556 × 10 = 22.24, rounded up
        assert!(text_size("WWW", 13.0).0 > text_size("iii", 13.0).0);
    }

    #[test]
    fn distribution_hover_names_the_point() {
        let d = Distribution {
            methods: vec!["mean".into()],
            values: vec![vec![0.25, 0.5]],
            labels: vec![vec!["A+B, seed 1".into(), "C+D, seed 2".into()]],
            axis: "L2".into(),
        };
        let chart = Chart::Distribution(d);
        let label = chart.hover_label(HoverPoint { x: 0, y: 0, item: 1, series: 0 });
        assert_eq!(label.as_deref(), Some("mean, C+D, seed 2: 0.500"));
    }
}
