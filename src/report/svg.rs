//! A small line/bar chart written directly as SVG markup: linear axes with "nice" ticks, polylines
//! (optionally stepped), status markers (points without a value sit in a strip under the axis),
//! horizontal reference lines and a legend. Every text that reaches the markup is escaped by the
//! caller-independent `esc`, and markers link to in-page anchors only.

use super::html::esc;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Circle,
    HollowCircle,
    Triangle,
    Cross,
    Square,
    Diamond,
    HollowDiamond,
}

pub struct Line {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub colour: &'static str,
    pub width: f64,
    pub dash: Option<&'static str>,
    /// Draw as a step function (value holds until the next point): for best-so-far series.
    pub step: bool,
}

pub struct Marker {
    pub x: f64,
    /// None: the iteration has no value (compile error...); drawn in the strip under the axis.
    pub y: Option<f64>,
    pub shape: Shape,
    pub colour: &'static str,
    pub title: String,
    /// An in-page anchor such as `#iter-3`.
    pub href: Option<String>,
}

pub struct HLine {
    pub y: f64,
    pub label: String,
    pub colour: &'static str,
}

pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub colour: &'static str,
    pub title: String,
}

pub enum LegendEntry {
    Line { label: String, colour: &'static str, width: f64, dash: Option<&'static str> },
    Marker { label: String, shape: Shape, colour: &'static str },
    Bar { label: String, colour: &'static str },
}

pub struct Chart {
    pub id: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub width: f64,
    pub height: f64,
    pub x_range: (f64, f64),
    /// Fixed y range (e.g. 0..1 for rates); otherwise fitted to the data with a margin.
    pub y_range: Option<(f64, f64)>,
    pub lines: Vec<Line>,
    pub markers: Vec<Marker>,
    pub hlines: Vec<HLine>,
    pub bars: Vec<Bar>,
    pub legend: Vec<LegendEntry>,
    /// Adds a thicker frame: the chart of the run's primary metric.
    pub highlighted: bool,
}

const MARGIN_LEFT: f64 = 64.0;
const MARGIN_RIGHT: f64 = 24.0;
const MARGIN_TOP: f64 = 34.0;
const AXIS_SPACE: f64 = 44.0;
const STRIP_SPACE: f64 = 22.0;
const LEGEND_ROW: f64 = 20.0;
const CHAR_WIDTH: f64 = 7.0;

struct Frame {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    x_min: f64,
    x_max: f64,
    y_min: f64,
    y_max: f64,
}

impl Frame {
    fn x(&self, value: f64) -> f64 {
        let span = (self.x_max - self.x_min).max(f64::EPSILON);
        self.left + (value - self.x_min) / span * (self.right - self.left)
    }

    fn y(&self, value: f64) -> f64 {
        let span = (self.y_max - self.y_min).max(f64::EPSILON);
        self.bottom - (value - self.y_min) / span * (self.bottom - self.top)
    }
}

impl Chart {
    pub fn render(&self) -> String {
        let legend_rows = self.legend_layout().last().map_or(0, |(row, _, _)| row + 1);
        let has_strip = self.markers.iter().any(|m| m.y.is_none());
        let bottom_space =
            AXIS_SPACE + if has_strip { STRIP_SPACE } else { 0.0 } + legend_rows as f64 * LEGEND_ROW + 8.0;
        let (y_min, y_max) = self.y_bounds();
        let (x_min, x_max) =
            if self.x_range.1 > self.x_range.0 { self.x_range } else { (self.x_range.0 - 0.5, self.x_range.0 + 0.5) };
        let x_pad = ((x_max - x_min) * 0.03).max(0.4);
        let frame = Frame {
            left: MARGIN_LEFT,
            right: self.width - MARGIN_RIGHT,
            top: MARGIN_TOP,
            bottom: self.height - bottom_space,
            x_min: x_min - x_pad,
            x_max: x_max + x_pad,
            y_min,
            y_max,
        };
        let mut out = String::new();
        let class = if self.highlighted { "chart primary" } else { "chart" };
        let _ = write!(
            out,
            r#"<svg class="{class}" id="{id}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="{id}-title">"#,
            id = esc(&self.id),
            w = self.width,
            h = self.height
        );
        let _ = write!(out, r#"<title id="{}-title">{}</title>"#, esc(&self.id), esc(&self.title));
        let _ = write!(out, r#"<text class="chart-title" x="{}" y="20">{}</text>"#, MARGIN_LEFT, esc(&self.title));
        self.write_axes(&mut out, &frame);
        self.write_bars(&mut out, &frame);
        self.write_hlines(&mut out, &frame);
        self.write_lines(&mut out, &frame);
        self.write_markers(&mut out, &frame, has_strip);
        self.write_legend(&mut out, self.height - legend_rows as f64 * LEGEND_ROW - 4.0);
        out.push_str("</svg>");
        out
    }

    fn y_bounds(&self) -> (f64, f64) {
        if let Some(range) = self.y_range {
            return range;
        }
        let values = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .chain(self.markers.iter().filter_map(|m| m.y))
            .chain(self.hlines.iter().map(|h| h.y))
            .chain(self.bars.iter().map(|b| b.y))
            .filter(|v| v.is_finite());
        let (mut low, mut high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if !low.is_finite() {
            return (0.0, 1.0);
        }
        if high - low < 1e-9 {
            low -= 0.05;
            high += 0.05;
        }
        let pad = (high - low) * 0.08;
        let (tick_low, tick_high, _) = nice_ticks(low - pad, high + pad, 5);
        (tick_low, tick_high)
    }

    fn write_axes(&self, out: &mut String, frame: &Frame) {
        let _ = write!(
            out,
            r#"<rect class="plot-bg" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"/>"#,
            frame.left,
            frame.top,
            frame.right - frame.left,
            frame.bottom - frame.top
        );
        let (_, _, y_step) = nice_ticks(frame.y_min, frame.y_max, 5);
        let decimals = decimals_for(y_step);
        for tick in tick_values(frame.y_min, frame.y_max, y_step) {
            let y = frame.y(tick);
            let _ = write!(
                out,
                r#"<line class="grid" x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{tick:.decimals$}</text>"#,
                frame.left,
                frame.right,
                frame.left - 6.0,
                y + 4.0
            );
        }
        let (x_low, x_high) = (self.x_range.0, self.x_range.1.max(self.x_range.0));
        let x_step = nice_ticks(x_low, x_high, 10).2.max(1.0).round();
        for tick in tick_values(x_low, x_high, x_step) {
            let x = frame.x(tick);
            let _ = write!(
                out,
                r#"<line class="axis" x1="{x:.1}" y1="{b:.1}" x2="{x:.1}" y2="{:.1}"/><text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{tick}</text>"#,
                frame.bottom + 5.0,
                frame.bottom + 18.0,
                b = frame.bottom
            );
        }
        let _ = write!(
            out,
            r#"<line class="axis" x1="{l:.1}" y1="{t:.1}" x2="{l:.1}" y2="{b:.1}"/><line class="axis" x1="{l:.1}" y1="{b:.1}" x2="{r:.1}" y2="{b:.1}"/>"#,
            l = frame.left,
            t = frame.top,
            b = frame.bottom,
            r = frame.right
        );
        let _ = write!(
            out,
            r#"<text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            (frame.left + frame.right) / 2.0,
            frame.bottom + 36.0,
            esc(&self.x_label)
        );
        let mid = (frame.top + frame.bottom) / 2.0;
        let _ = write!(
            out,
            r#"<text class="axis-label" x="16" y="{mid:.1}" text-anchor="middle" transform="rotate(-90 16 {mid:.1})">{}</text>"#,
            esc(&self.y_label)
        );
    }

    fn write_bars(&self, out: &mut String, frame: &Frame) {
        let slot = (frame.x(1.0) - frame.x(0.0)).abs();
        let width = (slot * 0.6).clamp(2.0, 28.0);
        for bar in &self.bars {
            let top = frame.y(bar.y.max(frame.y_min));
            let base = frame.y(frame.y_min.max(0.0));
            let _ = write!(
                out,
                r#"<rect class="bar" x="{:.1}" y="{:.1}" width="{width:.1}" height="{:.1}" fill="{}"><title>{}</title></rect>"#,
                frame.x(bar.x) - width / 2.0,
                top.min(base),
                (base - top).abs(),
                bar.colour,
                esc(&bar.title)
            );
        }
    }

    fn write_hlines(&self, out: &mut String, frame: &Frame) {
        for hline in &self.hlines {
            let y = frame.y(hline.y);
            let _ = write!(
                out,
                r#"<line class="hline" x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{c}"><title>{}</title></line>"#,
                frame.left,
                frame.right,
                esc(&hline.label),
                c = hline.colour
            );
        }
    }

    fn write_lines(&self, out: &mut String, frame: &Frame) {
        for line in &self.lines {
            if line.points.is_empty() {
                continue;
            }
            let mut coords = Vec::new();
            for (index, &(x, y)) in line.points.iter().enumerate() {
                if line.step && index > 0 {
                    coords.push(format!("{:.1},{:.1}", frame.x(x), frame.y(line.points[index - 1].1)));
                }
                coords.push(format!("{:.1},{:.1}", frame.x(x), frame.y(y)));
            }
            if line.step {
                // Extend the last level to the end of the axis: it holds until something beats it.
                let last = line.points[line.points.len() - 1].1;
                coords.push(format!("{:.1},{:.1}", frame.x(self.x_range.1), frame.y(last)));
            }
            let dash = line.dash.map(|d| format!(r#" stroke-dasharray="{d}""#)).unwrap_or_default();
            let _ = write!(
                out,
                r#"<polyline class="series" points="{}" stroke="{}" stroke-width="{}"{dash}><title>{}</title></polyline>"#,
                coords.join(" "),
                line.colour,
                line.width,
                esc(&line.label)
            );
        }
    }

    fn write_markers(&self, out: &mut String, frame: &Frame, has_strip: bool) {
        let strip_y = frame.bottom + AXIS_SPACE + 4.0;
        if has_strip {
            let _ = write!(
                out,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">no value</text>"#,
                frame.left - 6.0,
                strip_y + 4.0
            );
        }
        // Shrink markers on long runs so neighbours stay apart (about 5 px at up to ~100 iterations).
        let radius = ((frame.x(1.0) - frame.x(0.0)).abs() * 0.45).clamp(2.5, 5.0);
        for marker in &self.markers {
            let (x, y) = (frame.x(marker.x), marker.y.map_or(strip_y, |v| frame.y(v)));
            let shape = shape_markup(marker.shape, x, y, radius, marker.colour);
            let title = format!("<title>{}</title>", esc(&marker.title));
            match &marker.href {
                Some(href) => {
                    let _ = write!(out, r#"<a href="{}">{shape}{title}</a>"#, esc(href));
                }
                None => {
                    let _ = write!(out, "<g>{shape}{title}</g>");
                }
            }
        }
    }

    /// (row, x offset, entry index) for each legend entry, wrapping at the chart width.
    fn legend_layout(&self) -> Vec<(usize, f64, usize)> {
        let mut layout = Vec::new();
        let (mut row, mut x) = (0usize, MARGIN_LEFT);
        for (index, entry) in self.legend.iter().enumerate() {
            let width = 30.0 + legend_label(entry).chars().count() as f64 * CHAR_WIDTH + 16.0;
            if x + width > self.width - MARGIN_RIGHT && x > MARGIN_LEFT {
                row += 1;
                x = MARGIN_LEFT;
            }
            layout.push((row, x, index));
            x += width;
        }
        layout
    }

    fn write_legend(&self, out: &mut String, top: f64) {
        out.push_str(r#"<g class="legend">"#);
        for (row, x, index) in self.legend_layout() {
            let y = top + row as f64 * LEGEND_ROW + 10.0;
            let entry = &self.legend[index];
            match entry {
                LegendEntry::Line { colour, width, dash, .. } => {
                    let dash = dash.map(|d| format!(r#" stroke-dasharray="{d}""#)).unwrap_or_default();
                    let _ = write!(
                        out,
                        r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="{width}"{dash}/>"#,
                        x + 24.0
                    );
                }
                LegendEntry::Marker { shape, colour, .. } => {
                    out.push_str(&shape_markup(*shape, x + 12.0, y, 5.0, colour))
                }
                LegendEntry::Bar { colour, .. } => {
                    let _ = write!(
                        out,
                        r#"<rect x="{:.1}" y="{:.1}" width="14" height="10" fill="{colour}"/>"#,
                        x + 5.0,
                        y - 5.0
                    );
                }
            }
            let _ = write!(
                out,
                r#"<text class="legend-label" x="{:.1}" y="{:.1}">{}</text>"#,
                x + 30.0,
                y + 4.0,
                esc(legend_label(entry))
            );
        }
        out.push_str("</g>");
    }
}

fn legend_label(entry: &LegendEntry) -> &str {
    match entry {
        LegendEntry::Line { label, .. } | LegendEntry::Marker { label, .. } | LegendEntry::Bar { label, .. } => label,
    }
}

pub fn shape_markup(shape: Shape, x: f64, y: f64, r: f64, colour: &str) -> String {
    match shape {
        Shape::Circle => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" fill="{colour}" stroke="{colour}"/>"#),
        Shape::HollowCircle => {
            format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" fill="white" stroke="{colour}" stroke-width="2"/>"#)
        }
        Shape::Triangle => format!(
            r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="{colour}"/>"#,
            x,
            y - r * 1.2,
            x - r * 1.1,
            y + r * 0.8,
            x + r * 1.1,
            y + r * 0.8
        ),
        Shape::Cross => format!(
            r#"<path d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke="{colour}" stroke-width="2.5" fill="none"/>"#,
            x - r,
            y - r,
            x + r,
            y + r,
            x - r,
            y + r,
            x + r,
            y - r
        ),
        Shape::Square => format!(
            r#"<rect x="{:.1}" y="{:.1}" width="{s:.1}" height="{s:.1}" fill="white" stroke="{colour}" stroke-width="2"/>"#,
            x - r * 0.9,
            y - r * 0.9,
            s = r * 1.8
        ),
        Shape::Diamond | Shape::HollowDiamond => {
            let fill = if shape == Shape::Diamond { colour } else { "white" };
            format!(
                r#"<polygon points="{x:.1},{:.1} {:.1},{y:.1} {x:.1},{:.1} {:.1},{y:.1}" fill="{fill}" stroke="{colour}" stroke-width="2"/>"#,
                y - r * 1.3,
                x + r * 1.3,
                y + r * 1.3,
                x - r * 1.3
            )
        }
    }
}

/// Heckbert's nice numbers: a tick step of 1, 2 or 5 × 10^n giving about `target` intervals, and
/// the range widened to whole steps.
pub fn nice_ticks(min: f64, max: f64, target: usize) -> (f64, f64, f64) {
    let span = (max - min).abs().max(1e-12);
    let raw = span / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let normalised = raw / magnitude;
    let step = magnitude
        * if normalised < 1.5 {
            1.0
        } else if normalised < 3.0 {
            2.0
        } else if normalised < 7.0 {
            5.0
        } else {
            10.0
        };
    ((min / step).floor() * step, (max / step).ceil() * step, step)
}

fn tick_values(min: f64, max: f64, step: f64) -> Vec<f64> {
    let first = (min / step - 1e-9).ceil() as i64;
    let last = (max / step + 1e-9).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

fn decimals_for(step: f64) -> usize {
    if step >= 1.0 { 0 } else { (-step.log10().floor()).clamp(0.0, 6.0) as usize }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_pick_round_steps() {
        assert_eq!(nice_ticks(0.0, 1.0, 5).2, 0.2);
        let (low, high, step) = nice_ticks(0.213, 0.347, 5);
        assert!((step - 0.02).abs() < 1e-12, "{step}");
        assert!(low <= 0.213 && high >= 0.347);
        assert_eq!(tick_values(0.0, 9.0, 2.0), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(decimals_for(0.02), 2);
    }
}
