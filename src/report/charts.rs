//! The report's charts: one trajectory per metric (the primary first and highlighted, the guardrail
//! with its baseline line) and the compile-error rate over time.

use super::analysis::{Analysis, compile_attempts};
use super::model::{MetricName, Status};
use super::svg::{Bar, Chart, HLine, LegendEntry, Line, Marker, Shape};
use crate::run::IterationStatus;

const PRIMARY_COLOUR: &str = "#0a3069";
const METRIC_COLOUR: &str = "#57606a";
const BEST_COLOUR: &str = "#1a7f37";
const GUARDRAIL_COLOUR: &str = "#cf222e";
const HOLDOUT_COLOUR: &str = "#bc4c00";
const FULL_WIDTH: f64 = 1120.0;
const HALF_WIDTH: f64 = 550.0;

/// How each status is drawn, in charts, badges and the legend.
pub fn status_style(status: &Status) -> (Shape, &'static str) {
    let Status::Known(known) = status else { return (Shape::HollowCircle, "#24292f") };
    match known {
        IterationStatus::Baseline => (Shape::Diamond, "#0969da"),
        IterationStatus::Accepted => (Shape::Circle, "#1a7f37"),
        IterationStatus::Rejected => (Shape::HollowCircle, "#6e7781"),
        IterationStatus::GuardrailViolation => (Shape::Triangle, "#bc4c00"),
        IterationStatus::CompileError => (Shape::Cross, "#cf222e"),
        IterationStatus::RuntimeError => (Shape::Square, "#8250df"),
        IterationStatus::Drift => (Shape::HollowDiamond, "#bf3989"),
        IterationStatus::Timeout => (Shape::Square, "#953800"),
        IterationStatus::ProposerError => (Shape::Cross, "#57606a"),
        IterationStatus::Duplicate => (Shape::HollowCircle, "#8c959f"),
    }
}

/// The metric charts in display order: primary, guardrail, then the other two.
pub fn metric_charts(analysis: &Analysis) -> Vec<Chart> {
    let mut order = vec![analysis.primary];
    if analysis.guardrail != analysis.primary {
        order.push(analysis.guardrail);
    }
    let rest: Vec<MetricName> = MetricName::ALL.into_iter().filter(|m| !order.contains(m)).collect();
    order.extend(rest);
    order
        .into_iter()
        .enumerate()
        .map(|(index, metric)| metric_chart(analysis, metric, if index < 2 { FULL_WIDTH } else { HALF_WIDTH }))
        .collect()
}

fn metric_chart(analysis: &Analysis, metric: MetricName, width: f64) -> Chart {
    let label = analysis.metric_label(metric);
    let is_primary = metric == analysis.primary;
    let is_guardrail = metric == analysis.guardrail && !is_primary;
    let title = if is_primary {
        format!("{label} per iteration: primary objective")
    } else if is_guardrail {
        format!("{label} per iteration: guardrail (must stay at or above the baseline)")
    } else {
        format!("{label} per iteration")
    };
    let iterations = &analysis.run.iterations;
    let points: Vec<(f64, f64)> =
        iterations.iter().filter_map(|it| Some((it.iteration as f64, it.metrics?.get(metric)?))).collect();
    let (colour, line_width) = if is_primary { (PRIMARY_COLOUR, 2.5) } else { (METRIC_COLOUR, 1.5) };
    let mut lines = vec![Line { label: label.clone(), points, colour, width: line_width, dash: None, step: false }];
    let mut legend = vec![LegendEntry::Line { label: label.clone(), colour, width: line_width, dash: None }];
    if is_primary {
        // The held-out curve beside the selection curve: the best so far (chosen on the selection
        // users) scored on the held-out users.
        let held = held_out_best_so_far(analysis, metric);
        if !held.is_empty() {
            lines.push(Line {
                label: "best so far, held-out users".into(),
                points: held,
                colour: HOLDOUT_COLOUR,
                width: 2.0,
                dash: Some("2 3"),
                step: true,
            });
            legend.push(LegendEntry::Line {
                label: "best so far, held-out users".into(),
                colour: HOLDOUT_COLOUR,
                width: 2.0,
                dash: Some("2 3"),
            });
        }
        let best = best_so_far(analysis, metric);
        if !best.is_empty() {
            lines.push(Line {
                label: "best so far".into(),
                points: best,
                colour: BEST_COLOUR,
                width: 1.5,
                dash: Some("6 4"),
                step: true,
            });
            legend.push(LegendEntry::Line {
                label: "best so far".into(),
                colour: BEST_COLOUR,
                width: 1.5,
                dash: Some("6 4"),
            });
        }
    }
    let mut hlines = Vec::new();
    if let Some(base) = analysis.baseline_guardrail().filter(|_| is_guardrail) {
        // Labelled in the legend, not on the plot, where it would cover points near the line.
        let text = format!("guardrail: baseline {label} = {base:.4}");
        hlines.push(HLine { y: base, label: text.clone(), colour: GUARDRAIL_COLOUR });
        legend.push(LegendEntry::Line { label: text, colour: GUARDRAIL_COLOUR, width: 1.5, dash: Some("5 3") });
    }
    let markers = iterations
        .iter()
        .map(|it| {
            let (shape, colour) = status_style(&it.status);
            let value = it.metrics.and_then(|m| m.get(metric));
            let shown = value.map_or_else(|| "no value".to_string(), |v| format!("{v:.4}"));
            Marker {
                x: it.iteration as f64,
                y: value,
                shape,
                colour,
                title: format!("iteration {}: {} ({label} {shown})", it.iteration, it.status.as_str()),
                href: Some(format!("#iter-{}", it.iteration)),
            }
        })
        .collect();
    legend.extend(status_legend(analysis));
    Chart {
        id: format!("chart-{}", metric.key()),
        title,
        x_label: "iteration".into(),
        y_label: label,
        width,
        height: if width == FULL_WIDTH { 330.0 } else { 300.0 },
        x_range: x_range(analysis),
        y_range: None,
        lines,
        markers,
        hlines,
        bars: Vec::new(),
        legend,
        highlighted: is_primary,
    }
}

/// The best primary so far after each iteration that could become best (baseline, accepted).
fn best_so_far(analysis: &Analysis, metric: MetricName) -> Vec<(f64, f64)> {
    let mut best: Option<f64> = None;
    let mut points = Vec::new();
    for it in &analysis.run.iterations {
        if !matches!(it.status, Status::BASELINE | Status::ACCEPTED) {
            continue;
        }
        let Some(value) = it.metrics.and_then(|m| m.get(metric)) else {
            continue;
        };
        if best.is_none_or(|b| value > b) {
            best = Some(value);
            points.push((it.iteration as f64, value));
        }
    }
    points
}

/// The held-out figure of the best so far (by the selection figure) after each candidate that became
/// best; empty for runs without held-out users.
fn held_out_best_so_far(analysis: &Analysis, metric: MetricName) -> Vec<(f64, f64)> {
    let mut best: Option<f64> = None;
    let mut points = Vec::new();
    for it in &analysis.run.iterations {
        if !matches!(it.status, Status::BASELINE | Status::ACCEPTED) {
            continue;
        }
        let Some(value) = it.metrics.and_then(|m| m.get(metric)) else {
            continue;
        };
        if best.is_none_or(|b| value > b) {
            best = Some(value);
            if let Some(held) = it.holdout.and_then(|h| h.get(metric)) {
                points.push((it.iteration as f64, held));
            }
        }
    }
    points
}

/// One legend entry per status that occurs in the run, in a fixed order.
fn status_legend(analysis: &Analysis) -> Vec<LegendEntry> {
    let mut seen: Vec<Status> = Vec::new();
    for it in &analysis.run.iterations {
        if !seen.contains(&it.status) {
            seen.push(it.status.clone());
        }
    }
    seen.sort_by_key(status_rank);
    seen.iter()
        .map(|status| {
            let (shape, colour) = status_style(status);
            LegendEntry::Marker { label: status.as_str().replace('_', " "), shape, colour }
        })
        .collect()
}

fn status_rank(status: &Status) -> usize {
    match status {
        Status::Known(known) => IterationStatus::ALL.iter().position(|s| s == known).unwrap_or(0),
        Status::Other(_) => IterationStatus::ALL.len(),
    }
}

fn x_range(analysis: &Analysis) -> (f64, f64) {
    let iterations = &analysis.run.iterations;
    let first = iterations.first().map_or(0.0, |it| it.iteration as f64);
    let last = iterations.last().map_or(1.0, |it| it.iteration as f64);
    (first, last.max(first))
}

/// Per iteration, the share of compile attempts that failed (bars), and the cumulative share of
/// iterations that ended in a compile error (line): is the proposer learning the dialect?
pub fn compile_error_chart(analysis: &Analysis) -> Chart {
    let mut bars = Vec::new();
    let mut cumulative = Vec::new();
    let mut markers = Vec::new();
    let (mut ended_in_error, mut proposals) = (0u64, 0u64);
    for it in &analysis.run.iterations {
        if it.status == Status::BASELINE {
            continue;
        }
        let (attempts, failed) = compile_attempts(it);
        let share = failed as f64 / attempts as f64;
        bars.push(Bar {
            x: it.iteration as f64,
            y: share,
            colour: "#ffb3b8",
            title: format!("iteration {}: {failed} of {attempts} compile attempts failed", it.iteration),
        });
        proposals += 1;
        if it.status.is(IterationStatus::CompileError) {
            ended_in_error += 1;
            let (shape, colour) = status_style(&it.status);
            markers.push(Marker {
                x: it.iteration as f64,
                y: Some(share),
                shape,
                colour,
                title: format!("iteration {}: compile error after {attempts} attempts", it.iteration),
                href: Some(format!("#iter-{}", it.iteration)),
            });
        }
        cumulative.push((it.iteration as f64, ended_in_error as f64 / proposals as f64));
    }
    let cumulative_label = "cumulative share of iterations ending in a compile error";
    let legend = vec![
        LegendEntry::Bar { label: "failed compile attempts / attempts in the iteration".into(), colour: "#ffb3b8" },
        LegendEntry::Line { label: cumulative_label.into(), colour: GUARDRAIL_COLOUR, width: 2.0, dash: None },
        LegendEntry::Marker { label: "compile error".into(), shape: Shape::Cross, colour: "#cf222e" },
    ];
    Chart {
        id: "chart-compile-errors".into(),
        title: "Compile-error rate over time".into(),
        x_label: "iteration".into(),
        y_label: "share".into(),
        width: FULL_WIDTH,
        height: 280.0,
        x_range: x_range(analysis),
        y_range: Some((0.0, 1.0)),
        lines: vec![Line {
            label: cumulative_label.into(),
            points: cumulative,
            colour: GUARDRAIL_COLOUR,
            width: 2.0,
            dash: None,
            step: false,
        }],
        markers,
        hlines: Vec::new(),
        bars,
        legend,
        highlighted: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every status the loop records reads back as itself and is drawn its own way: a new status
    /// that fell through to `Other` would be drawn like an unknown one.
    #[test]
    fn every_recorded_status_parses_back_and_has_its_own_style() {
        let mut styles = Vec::new();
        for status in IterationStatus::ALL {
            let parsed = Status::parse(status.as_str());
            assert_eq!(parsed, Status::Known(status));
            let json = serde_json::to_value(status).expect("serialise");
            assert_eq!(json.as_str(), Some(status.as_str()), "run.jsonl's name is the one parse reads");
            styles.push(status_style(&parsed));
        }
        styles.push(status_style(&Status::Other("from_a_newer_build".into())));
        let distinct: std::collections::HashSet<_> =
            styles.iter().map(|(shape, colour)| (format!("{shape:?}"), *colour)).collect();
        assert_eq!(distinct.len(), styles.len(), "{styles:?}");
    }
}
