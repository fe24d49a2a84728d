//! The canvas the plots draw on: plotters' canvas backend, except that runs of filled dots of one colour
//! (a scatter's thousands of points) are added to one path and filled once. plotters-canvas formats a CSS
//! colour, sets it and fills once per dot, which made the observed-vs-predicted plot (5 methods × 1,000
//! genes) take 20–35 ms to draw in Chromium; batched, 5–7 ms. (One `Path2D` per colour made from an SVG
//! path string was slower again: 25–55 ms.) Where dots of one series overlap, the union is filled once
//! instead of darkening, which only makes dense regions read the same as sparse ones. Text is measured
//! by the canvas too (see [`DotCanvas::estimate_text_size`]).

use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

type CanvasError = <CanvasBackend as DrawingBackend>::ErrorType;

/// plotters' canvas backend with filled dots batched per colour (see the module's note).
pub struct DotCanvas {
    inner: CanvasBackend,
    context: CanvasRenderingContext2d,
    /// The colour (red, green, blue, alpha) of the dots added to the open path since the last fill.
    open: Option<((u8, u8, u8), f64)>,
    /// The drawing's size in CSS pixels; the canvas has `ratio` times as many device pixels.
    size: (u32, u32),
}

impl DotCanvas {
    /// A drawing of `size` CSS pixels on `canvas`, whose pixels are `ratio` times as many (the screen's
    /// device pixel ratio: crisp on high-DPI screens). The context scales every drawing call.
    pub fn new(canvas: HtmlCanvasElement, size: (u32, u32), ratio: f64) -> Option<Self> {
        let context: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        context.set_transform(ratio, 0.0, 0.0, ratio, 0.0, 0.0).ok()?;
        Some(DotCanvas { inner: CanvasBackend::with_canvas_object(canvas)?, context, open: None, size })
    }

    /// Fills the dots gathered so far; every drawing call other than another dot of the same colour
    /// comes after this, so the drawing order stays plotters' order.
    fn fill_open(&mut self) {
        if self.open.take().is_some() {
            self.context.fill();
        }
    }
}

fn css(color: BackendColor) -> String {
    let (r, g, b) = color.rgb;
    format!("rgba({r},{g},{b},{})", color.alpha)
}

impl DrawingBackend for DotCanvas {
    type ErrorType = CanvasError;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.fill_open();
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.fill_open();
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.fill_open();
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.fill_open();
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.fill_open();
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        let color = style.color();
        if !fill || color.alpha == 0.0 {
            self.fill_open();
            return self.inner.draw_circle(center, radius, style, fill);
        }
        let key = Some((color.rgb, color.alpha));
        if self.open != key {
            self.fill_open();
            self.context.set_fill_style_str(&css(color));
            self.context.begin_path();
            self.open = key;
        }
        let (x, y, r) = (f64::from(center.0), f64::from(center.1), f64::from(radius));
        // A sub-path of its own: without the move, the path would join this circle to the last one.
        self.context.move_to(x + r, y);
        // arc throws only for a negative radius, which a u32 cannot be.
        let _ = self.context.arc(x, y, r, 0.0, std::f64::consts::TAU);
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.fill_open();
        self.inner.fill_polygon(vert, style)
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.fill_open();
        self.inner.draw_text(text, style, pos)
    }

    /// Measured by the canvas, in the font `draw_text` sets. (plotters' own estimate adds an element to
    /// the page and reads its size back: a layout of the whole page for every tick label.)
    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<CanvasError>> {
        self.context.set_font(&format!("{} {}px {}", style.style().as_str(), style.size(), style.family().as_str()));
        match self.context.measure_text(text) {
            Ok(metrics) => Ok((
                metrics.width().ceil() as u32,
                (metrics.font_bounding_box_ascent() + metrics.font_bounding_box_descent()).ceil() as u32,
            )),
            Err(_) => self.inner.estimate_text_size(text, style),
        }
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<CanvasError>> {
        self.fill_open();
        self.inner.blit_bitmap(pos, size, src)
    }
}
