//! Terminal text for `scorelab runs` and `scorelab show`. Colour is decided by the caller (NO_COLOR,
//! whether stdout is a terminal) and passed in as a `Palette`, so the text itself is testable.

use super::ReportError;
use super::analysis::{Analysis, drift_state, flatten_json, format_metric, format_scalar, iteration_errors};
use super::listing::RunOverview;
use super::model::{Iteration, MetricName, Status};
use crate::run::IterationStatus;
use std::fmt::Write as _;

/// ANSI styling, or none at all.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub enabled: bool,
}

impl Palette {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.enabled { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }
    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
    fn green(&self, text: &str) -> String {
        self.paint("32", text)
    }
    fn red(&self, text: &str) -> String {
        self.paint("31", text)
    }
    fn yellow(&self, text: &str) -> String {
        self.paint("33", text)
    }

    fn status(&self, status: &Status) -> String {
        let text = status.as_str();
        match status {
            Status::Known(IterationStatus::Accepted | IterationStatus::Baseline) => self.green(text),
            Status::Known(IterationStatus::CompileError | IterationStatus::RuntimeError | IterationStatus::Timeout) => {
                self.red(text)
            }
            Status::Known(IterationStatus::GuardrailViolation | IterationStatus::Drift) => self.yellow(text),
            _ => text.to_string(),
        }
    }

    fn delta(&self, delta: f64, width: usize) -> String {
        let text = pad(&format!("{delta:+.4}"), width);
        if delta > 0.0 {
            self.green(&text)
        } else if delta < 0.0 {
            self.red(&text)
        } else {
            text
        }
    }
}

/// Pads to a display width, counting chars (the table holds ASCII plus a few symbols).
fn pad(text: &str, width: usize) -> String {
    let len = text.chars().count();
    if len >= width { text.to_string() } else { format!("{text}{}", " ".repeat(width - len)) }
}

/// `2026-11-25T10:15:02.411Z` as `2026-11-25 10:15:02` (UTC, as recorded): the table needs seconds,
/// not milliseconds or a zone suffix.
fn short_time(rfc3339: &str) -> String {
    match rfc3339.get(..19) {
        Some(head) if rfc3339.is_char_boundary(19) => head.replacen('T', " ", 1),
        _ => rfc3339.to_string(),
    }
}

/// The `scorelab runs` table; unreadable runs are listed with their error.
pub fn render_runs_table(runs: &[Result<RunOverview, ReportError>], palette: Palette) -> String {
    let header = [
        "run",
        "started",
        "store",
        "objective",
        "lineage",
        "iters",
        "best",
        "best primary",
        "gain",
        "held-out",
        "guardrail held",
    ];
    let widths = [18, 20, 12, 18, 12, 6, 5, 13, 9, 9, 14];
    let mut out = String::new();
    let cells: Vec<String> = header.iter().zip(widths).map(|(h, w)| pad(h, w)).collect();
    let _ = writeln!(out, "{}", palette.bold(cells.join(" ").trim_end()));
    for entry in runs {
        match entry {
            Ok(run) => {
                let held = match run.guardrail_held {
                    Some(true) => palette.green("yes"),
                    Some(false) => palette.red("no"),
                    None => "—".into(),
                };
                let percent = |g: Option<f64>| g.map_or_else(|| "—".into(), |g| format!("{:+.1} %", 100.0 * g));
                let row = [
                    run.name.clone(),
                    run.started.as_deref().map_or_else(|| "—".into(), short_time),
                    run.store.clone().unwrap_or_else(|| "—".into()),
                    format!("{} / {}", run.objective, run.guardrail),
                    run.lineage.clone().unwrap_or_else(|| "—".into()),
                    run.iterations.to_string(),
                    run.best_iteration.map_or("—".into(), |b| b.to_string()),
                    format_metric(run.best_primary),
                    percent(run.gain),
                    percent(run.held_out_gain),
                ];
                let mut line: String = row.iter().zip(widths).map(|(c, w)| pad(c, w)).collect::<Vec<_>>().join(" ");
                line.push(' ');
                line.push_str(&held);
                let _ = writeln!(out, "{line}");
            }
            Err(err) => {
                let _ = writeln!(out, "{}", palette.red(&format!("unreadable run: {err}")));
            }
        }
    }
    out
}

/// `scorelab show`: one iteration's metrics, diagnostics, errors and scripts.
pub fn render_iteration_text(analysis: &Analysis, it: &Iteration, palette: Palette) -> String {
    let mut out = String::new();
    let best = if analysis.best == Some(it.iteration) { palette.green(" ★ best") } else { String::new() };
    let _ = writeln!(
        out,
        "{} · iteration {} · {}{best}",
        palette.bold(&format!("run {}", analysis.run.name)),
        palette.bold(&it.iteration.to_string()),
        palette.status(&it.status)
    );
    let mut facts = vec![format!("parent: {}", it.parent.map_or("—".into(), |p| p.to_string()))];
    if let Some(snapshot) = &it.snapshot {
        facts.push(format!("snapshot: {snapshot}"));
    }
    if !it.attempts.is_null() {
        facts.push(format!(
            "attempts: {}",
            it.attempts.as_array().map_or_else(|| format_scalar(&it.attempts), |a| a.len().to_string())
        ));
    }
    facts.push(format!("drift: {}", drift_state(it).label()));
    if let Some(timestamp) = &it.timestamp {
        facts.push(timestamp.clone());
    }
    let _ = writeln!(out, "{}", palette.dim(&facts.join("   ")));
    if let Some(reason) = &it.parent_reason {
        let _ = writeln!(out, "\n{}\n  {reason}", palette.bold("parent chosen because"));
    }
    if let Some(rationale) = it.rationale.as_deref().filter(|r| !r.trim().is_empty()) {
        let _ = writeln!(out, "\n{}", palette.bold("rationale"));
        for line in rationale.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    write_metrics(&mut out, analysis, it, palette);
    write_rows(&mut out, "diagnostics", &flatten_json(&it.diagnostics), palette);
    write_errors(&mut out, it, palette);
    let _ = writeln!(out, "\n{}", palette.bold("scripts"));
    if it.scripts.is_empty() {
        let _ = writeln!(out, "  (no snapshot scripts found)");
    }
    for script in &it.scripts {
        let _ = writeln!(out, "{}", palette.dim(&format!("── {} ──", script.name)));
        out.push_str(&script.source);
        if !script.source.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

fn write_metrics(out: &mut String, analysis: &Analysis, it: &Iteration, palette: Palette) {
    let _ = writeln!(out, "\n{}", palette.bold("metrics"));
    let Some(metrics) = it.metrics else {
        let _ = writeln!(out, "  (none: the candidate did not produce a ranking)");
        return;
    };
    let parent = analysis.parent_of(it).and_then(|p| p.metrics);
    let _ = writeln!(out, "  {} {} {} vs baseline", pad("", 24), pad("value", 8), pad("vs parent", 10));
    for metric in MetricName::ALL {
        let value = metrics.get(metric);
        let mut name = analysis.metric_label(metric);
        if metric == analysis.primary {
            name.push_str(" (primary)");
        } else if metric == analysis.guardrail {
            name.push_str(" (guardrail)");
        }
        // Pad before colouring: escape codes would count towards the width.
        let delta = |other: Option<f64>, width: usize| match (value, other) {
            (Some(v), Some(o)) => palette.delta(v - o, width),
            _ => pad("—", width),
        };
        let _ = writeln!(
            out,
            "  {} {} {} {}",
            pad(&name, 24),
            pad(&format_metric(value), 8),
            delta(parent.and_then(|m| m.get(metric)), 10),
            delta(analysis.baseline.and_then(|m| m.get(metric)), 0).trim_end()
        );
    }
}

fn write_rows(out: &mut String, title: &str, rows: &[(String, serde_json::Value)], palette: Palette) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", palette.bold(title));
    let width = rows.iter().map(|(name, _)| name.chars().count()).max().unwrap_or(0).min(48);
    for (name, value) in rows {
        let _ = writeln!(out, "  {} {}", pad(name, width), format_scalar(value));
    }
}

fn write_errors(out: &mut String, it: &Iteration, palette: Palette) {
    let errors = iteration_errors(it);
    if errors.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", palette.bold("errors"));
    for error in errors {
        let file = error.file.map(|f| format!("{f}: ")).unwrap_or_default();
        let _ = writeln!(out, "  {file}{}: {}", palette.red(&error.kind), error.reason);
        for line in &error.script_stack {
            let _ = writeln!(out, "    {}", line.trim_end_matches(['\n', '\r']));
        }
    }
}
