//! The report page: skeleton and stylesheet, the run header, the leaderboard and the diagnostics
//! comparison. Per-iteration sections and the lineage tree live in `iterations.rs`, charts in
//! `charts.rs`. The page carries no script and loads nothing: it opens from disk, offline.

use super::analysis::{Analysis, drift_state, flatten_json, format_metric, format_scalar};
use super::charts::{compile_error_chart, metric_charts, status_style};
use super::iterations::{iteration_sections, lineage_section};
use super::model::{Iteration, MetricName, Status};
use super::svg::shape_markup;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

pub(super) const STYLE: &str = r#"
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1f2328; background: #f6f8fa; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 48px; }
header.run { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 14px 18px; margin: 12px 0; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 15px; margin: 0 0 8px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 2px 14px; margin: 8px 0 0; }
dl.facts dt { color: #57606a; } dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
nav.toc { margin: 8px 0; } nav.toc a { margin-right: 14px; }
a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
.warning { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 6px 10px; margin: 6px 0; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 14px; margin: 12px 0; }
.charts { display: flex; flex-wrap: wrap; gap: 10px; }
svg.chart { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; max-width: 100%; height: auto; }
svg.chart.primary { border: 2px solid #0a3069; }
svg .plot-bg { fill: #fbfcfd; } svg .grid { stroke: #eaeef2; } svg .axis { stroke: #8c959f; }
svg .tick { font-size: 11px; fill: #57606a; } svg .axis-label { font-size: 12px; fill: #57606a; }
svg .chart-title { font-size: 14px; font-weight: 600; fill: #1f2328; }
svg .series { fill: none; stroke-linejoin: round; } svg .hline { stroke-width: 1.5; stroke-dasharray: 5 3; }
svg .legend-label { font-size: 12px; fill: #1f2328; }
table { border-collapse: collapse; background: #fff; width: 100%; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; }
tr.best td { background: #dafbe1; } tr:target td { outline: 2px solid #0969da; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; color: #fff; white-space: nowrap; }
.badge svg { vertical-align: -2px; margin-right: 3px; }
.drift-drift { color: #bf3989; font-weight: 600; } .drift-ok { color: #1a7f37; } .drift-none { color: #8c959f; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 18px; }
ul.tree { padding-left: 0; } ul.tree li { position: relative; padding-left: 12px; border-left: 1px solid #d0d7de; }
ul.tree li::before { content: ""; position: absolute; left: 0; top: 11px; width: 9px; border-top: 1px solid #d0d7de; }
ul.tree li:last-child { border-left-color: transparent; }
ul.tree li:last-child::before { border-left: 1px solid #d0d7de; height: 11px; top: 0; }
ul.tree > li { border-left: none; padding-left: 0; } ul.tree > li::before { display: none; }
section.iteration { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 14px; margin: 12px 0; }
section.iteration.best { border: 2px solid #1a7f37; }
.rationale { white-space: pre-wrap; background: #f6f8fa; border-left: 3px solid #0969da; padding: 6px 10px; margin: 6px 0; }
pre { background: #f6f8fa; border: 1px solid #eaeef2; border-radius: 6px; padding: 8px; overflow-x: auto;
  font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; margin: 6px 0; }
pre.diff span { display: block; } .d-add { background: #dafbe1; } .d-del { background: #ffebe9; }
.d-hunk { color: #8250df; } .d-file { color: #57606a; font-weight: 600; }
.error { border-left: 3px solid #cf222e; padding-left: 8px; margin: 8px 0; }
.muted { color: #57606a; } .delta-up { color: #1a7f37; } .delta-down { color: #cf222e; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
"#;

pub fn render_page(analysis: &Analysis) -> String {
    let run = analysis.run;
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>scorelab run {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        esc(&run.name)
    );
    out.push_str(&header(analysis));
    out.push_str(&trajectories_section(analysis));
    out.push_str(&leaderboard_section(analysis));
    out.push_str(&lineage_section(analysis));
    out.push_str(&compile_errors_section(analysis));
    out.push_str(&diagnostics_section(analysis));
    out.push_str(&iteration_sections(analysis));
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn header(analysis: &Analysis) -> String {
    let run = analysis.run;
    let meta = &run.meta;
    let settings = &meta.settings;
    let mut facts: Vec<(&str, String)> = vec![
        ("started", meta.created.clone().unwrap_or_else(|| run.name.clone())),
        ("dataset", meta.store.dataset.clone().unwrap_or_else(|| "—".into())),
        ("objective", analysis.metric_label(analysis.primary)),
        ("guardrail", format!("{} ≥ baseline", analysis.metric_label(analysis.guardrail))),
        (
            "cohort",
            meta.cohort_size
                .or(settings.cohort_size.map(|n| n as usize))
                .map_or("—".into(), |n| format!("{n} users")),
        ),
        (
            "held-out",
            match meta.holdout_users {
                Some(n) if n > 0 => format!("{n} users"),
                _ => "none (in-sample)".into(),
            },
        ),
        ("engine", settings.engine.clone().unwrap_or_else(|| "—".into())),
        ("lineage", if analysis.is_evolutionary() { "evolutionary".into() } else { "linear".into() }),
        ("seed", settings.seed.map_or("—".into(), |s| s.to_string())),
        ("iterations", run.iterations.len().to_string()),
        ("best primary", format_metric(analysis.best_primary())),
        (
            "guardrail held",
            analysis.guardrail_held().map_or("—".into(), |held| if held { "yes".into() } else { "no".into() }),
        ),
        ("scorelab", meta.scorelab_version.clone().unwrap_or_else(|| "—".into())),
    ];
    let (tokens_in, tokens_out) = analysis.total_tokens();
    if tokens_in + tokens_out > 0 {
        facts.push(("tokens", format!("{tokens_in} in / {tokens_out} out")));
        facts.push(("cost", format!("${:.4}", analysis.total_cost())));
    }
    let mut out = String::from("<header class=\"run\">\n");
    let _ = writeln!(out, "<h1>scorelab run {}</h1>", esc(&run.name));
    if let Some(best) = analysis.best {
        let _ = writeln!(out, "<p>Best candidate: <a href=\"#iter-{best}\">iteration {best}</a>.</p>");
    }
    if let Some(message) = meta.summary.as_ref().and_then(|s| s.final_message.as_deref()) {
        let _ = writeln!(out, "<p class=\"muted\">{}</p>", esc(message));
    }
    if meta.holdout_users.unwrap_or(0) == 0 {
        out.push_str(
            "<p class=\"warning\">Nothing was held out: every figure in this report is in-sample, measured on the \
             users the loop selected candidates on, so gains are optimistic.</p>\n",
        );
    }
    out.push_str("<dl class=\"facts\">");
    for (name, value) in facts {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(name), esc(&value));
    }
    out.push_str("</dl>\n");
    for warning in &run.warnings {
        let _ = writeln!(out, "<p class=\"warning\">{}</p>", esc(warning));
    }
    out.push_str(concat!(
        "<nav class=\"toc\"><a href=\"#trajectories\">Trajectories</a><a href=\"#leaderboard\">Leaderboard</a>",
        "<a href=\"#lineage\">Lineage</a><a href=\"#compile-errors\">Compile errors</a>",
        "<a href=\"#diagnostics\">Diagnostics</a><a href=\"#iterations\">Iterations</a></nav>\n</header>\n"
    ));
    out
}

fn trajectories_section(analysis: &Analysis) -> String {
    let mut out = String::from("<section id=\"trajectories\">\n<h2>Metric trajectories</h2>\n");
    out.push_str("<p class=\"muted\">Every iteration is a point; click one to jump to it. Iterations without metrics (compile or runtime errors) sit in the strip under the axis.</p>\n<div class=\"charts\">\n");
    for chart in metric_charts(analysis) {
        out.push_str(&chart.render());
        out.push('\n');
    }
    out.push_str("</div>\n</section>\n");
    out
}

fn compile_errors_section(analysis: &Analysis) -> String {
    let mut out = String::from("<section id=\"compile-errors\">\n<h2>Compile errors over time</h2>\n");
    out.push_str(&compile_error_chart(analysis).render());
    out.push_str("\n</section>\n");
    out
}

/// A coloured status pill with the same shape as the chart marker.
pub fn status_badge(status: &Status) -> String {
    let (shape, colour) = status_style(status);
    let icon = shape_markup(shape, 7.0, 7.0, 4.0, "#ffffff");
    format!(
        "<span class=\"badge\" style=\"background:{colour}\"><svg width=\"14\" height=\"14\" viewBox=\"0 0 14 14\" aria-hidden=\"true\">{icon}</svg>{}</span>",
        esc(&status.as_str().replace('_', " "))
    )
}

pub fn drift_cell(iteration: &Iteration) -> String {
    let state = drift_state(iteration);
    let class = match state {
        super::analysis::DriftState::Drifted => "drift-drift",
        super::analysis::DriftState::Agrees => "drift-ok",
        _ => "drift-none",
    };
    format!("<span class=\"{class}\">{}</span>", esc(state.label()))
}

/// Iterations with metrics by primary (best first), then those without, by number.
fn leaderboard_order<'a>(analysis: &Analysis<'a>) -> Vec<&'a Iteration> {
    let mut rows: Vec<&Iteration> = analysis.run.iterations.iter().collect();
    let primary = |it: &Iteration| it.metrics.and_then(|m| m.get(analysis.primary));
    rows.sort_by(|a, b| match (primary(a), primary(b)) {
        (Some(x), Some(y)) => y.total_cmp(&x).then(a.iteration.cmp(&b.iteration)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.iteration.cmp(&b.iteration),
    });
    rows
}

fn leaderboard_section(analysis: &Analysis) -> String {
    let mut out = String::from(
        "<section id=\"leaderboard\">\n<h2>Leaderboard</h2>\n<table>\n<thead><tr><th>rank</th><th>iteration</th><th>parent</th>",
    );
    for metric in MetricName::ALL {
        let mut label = esc(&analysis.metric_label(metric));
        if metric == analysis.primary {
            label = format!("<strong>{label}</strong> (primary)");
        } else if metric == analysis.guardrail {
            label.push_str(" (guardrail)");
        }
        let _ = write!(out, "<th>{label}</th>");
    }
    out.push_str("<th>status</th><th>drift</th></tr></thead>\n<tbody>\n");
    let guardrail_base = analysis.baseline_guardrail();
    for (rank, it) in leaderboard_order(analysis).into_iter().enumerate() {
        let best = analysis.best == Some(it.iteration);
        let _ = write!(out, "<tr id=\"lb-{n}\"{}>", if best { " class=\"best\"" } else { "" }, n = it.iteration);
        let rank_text = if it.metrics.is_some() { (rank + 1).to_string() } else { "—".into() };
        let _ = write!(
            out,
            "<td class=\"num\">{rank_text}</td><td><a href=\"#iter-{n}\">{n}</a>{}</td>",
            if best { " ★" } else { "" },
            n = it.iteration
        );
        let _ = write!(out, "<td>{}</td>", parent_link(analysis, it));
        for metric in MetricName::ALL {
            let value = it.metrics.and_then(|m| m.get(metric));
            let below = metric == analysis.guardrail && matches!((value, guardrail_base), (Some(v), Some(b)) if v < b);
            let class = if below { "num delta-down" } else { "num" };
            let shown = match (below, value, guardrail_base) {
                // Enough digits that a value below the baseline never reads as equal to it.
                (true, Some(v), Some(b)) => {
                    let (v, b) = super::analysis::distinct_pair(v, b);
                    format!("{v} &lt; {b}")
                }
                _ => format_metric(value),
            };
            let _ = write!(out, "<td class=\"{class}\">{shown}</td>");
        }
        let _ = writeln!(out, "<td>{}</td><td>{}</td></tr>", status_badge(&it.status), drift_cell(it));
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}

pub fn parent_link(analysis: &Analysis, iteration: &Iteration) -> String {
    match (iteration.parent, analysis.parent_of(iteration)) {
        (Some(p), Some(_)) => format!("<a href=\"#iter-{p}\">{p}</a>"),
        (Some(p), None) => format!("{p} <span class=\"muted\">(not in log)</span>"),
        (None, _) => "—".into(),
    }
}

fn diagnostics_section(analysis: &Analysis) -> String {
    let mut out = String::from("<section id=\"diagnostics\">\n<h2>Diagnostics: best candidate vs baseline</h2>\n");
    let (Some(baseline), Some(best)) = (analysis.baseline_iteration(), analysis.best_iteration()) else {
        out.push_str("<p class=\"muted\">No baseline or best candidate recorded.</p>\n</section>\n");
        return out;
    };
    let _ = writeln!(
        out,
        "<p>Baseline: <a href=\"#iter-{}\">iteration {}</a>; best: <a href=\"#iter-{}\">iteration {}</a>.</p>",
        baseline.iteration, baseline.iteration, best.iteration, best.iteration
    );
    out.push_str(
        "<table>\n<thead><tr><th>diagnostic</th><th>baseline</th><th>best</th><th>change</th></tr></thead>\n<tbody>\n",
    );
    let rows = merge_rows(
        &metric_rows(baseline),
        &metric_rows(best),
        &flatten_json(&baseline.diagnostics),
        &flatten_json(&best.diagnostics),
    );
    if rows.is_empty() {
        out.push_str("<tr><td colspan=\"4\" class=\"muted\">no diagnostics recorded</td></tr>\n");
    }
    for (name, base, candidate) in rows {
        let change = match (base.as_ref().and_then(Value::as_f64), candidate.as_ref().and_then(Value::as_f64)) {
            // Neutral: for diagnostics (popularity bias, concentration...) higher is not better.
            (Some(b), Some(c)) => format!("{:+.4}", c - b),
            _ => String::new(),
        };
        let cell = |v: &Option<Value>| v.as_ref().map_or("—".to_string(), format_scalar);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{change}</td></tr>",
            esc(&name),
            esc(&cell(&base)),
            esc(&cell(&candidate))
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}

fn metric_rows(iteration: &Iteration) -> Vec<(String, Value)> {
    MetricName::ALL
        .into_iter()
        .filter_map(|m| {
            let value = iteration.metrics?.get(m)?;
            Some((format!("metrics.{}", m.key()), serde_json::Number::from_f64(value).map(Value::Number)?))
        })
        .collect()
}

/// Rows present in either side, in first-seen order (baseline first).
fn merge_rows(
    base_metrics: &[(String, Value)],
    best_metrics: &[(String, Value)],
    base_diag: &[(String, Value)],
    best_diag: &[(String, Value)],
) -> Vec<(String, Option<Value>, Option<Value>)> {
    let mut order: Vec<String> = Vec::new();
    let mut base: BTreeMap<String, Value> = BTreeMap::new();
    let mut best: BTreeMap<String, Value> = BTreeMap::new();
    for (name, value) in base_metrics.iter().chain(base_diag) {
        if !order.contains(name) {
            order.push(name.clone());
        }
        base.insert(name.clone(), value.clone());
    }
    for (name, value) in best_metrics.iter().chain(best_diag) {
        if !order.contains(name) {
            order.push(name.clone());
        }
        best.insert(name.clone(), value.clone());
    }
    order.into_iter().map(|name| (name.clone(), base.remove(&name), best.remove(&name))).collect()
}

pub fn signed_delta(delta: f64) -> String {
    let class = if delta > 0.0 {
        "delta-up"
    } else if delta < 0.0 {
        "delta-down"
    } else {
        "muted"
    };
    format!("<span class=\"{class}\">{delta:+.4}</span>")
}
