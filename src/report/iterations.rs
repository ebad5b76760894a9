//! Per-iteration sections (rationale, metrics against parent and baseline, errors, diagnostics and
//! the unified diff of the scripts against the parent) and the lineage tree.

use super::analysis::{Analysis, flatten_json, format_metric, format_scalar, iteration_errors};
use super::html::{drift_cell, esc, parent_link, signed_delta, status_badge};
use super::model::{Iteration, MetricName, ScriptFile, script_order};
use serde_json::Value;
use similar::TextDiff;
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub fn lineage_section(analysis: &Analysis) -> String {
    let mut out = String::from("<section id=\"lineage\">\n<h2>Lineage</h2>\n");
    if !analysis.is_evolutionary() {
        out.push_str("<p class=\"muted\">Linear lineage: every iteration edits the one before it.</p>\n</section>\n");
        return out;
    }
    out.push_str("<p class=\"muted\">Each candidate under the parent it was derived from; a chain of single children is shown on one line (→).</p>\n<div class=\"card\">\n");
    let (roots, children) = analysis.lineage();
    out.push_str("<ul class=\"tree\">\n");
    for root in roots {
        write_lineage_node(analysis, root, &children, &mut out);
    }
    out.push_str("</ul>\n</div>\n</section>\n");
    out
}

fn write_lineage_node(analysis: &Analysis, node: u64, children: &BTreeMap<u64, Vec<u64>>, out: &mut String) {
    out.push_str("<li>");
    let mut current = node;
    out.push_str(&lineage_label(analysis, current));
    // Follow single-child chains on one line; nest only where the lineage branches.
    while let Some([only]) = children.get(&current).map(Vec::as_slice) {
        current = *only;
        out.push_str(" → ");
        out.push_str(&lineage_label(analysis, current));
    }
    if let Some(kids) = children.get(&current).filter(|k| !k.is_empty()) {
        out.push_str("\n<ul>\n");
        for kid in kids {
            write_lineage_node(analysis, *kid, children, out);
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</li>\n");
}

fn lineage_label(analysis: &Analysis, number: u64) -> String {
    let Some(it) = analysis.run.iteration(number) else {
        return number.to_string();
    };
    let value = it.metrics.and_then(|m| m.get(analysis.primary)).map(|v| format!(" {v:.4}")).unwrap_or_default();
    let star = if analysis.best == Some(number) { " ★" } else { "" };
    format!(
        "<a href=\"#iter-{number}\">#{number}</a>{star} {}<span class=\"muted\">{value}</span>",
        status_badge(&it.status)
    )
}

pub fn iteration_sections(analysis: &Analysis) -> String {
    let mut out = String::from("<section id=\"iterations\">\n<h2>Iterations</h2>\n");
    for it in &analysis.run.iterations {
        out.push_str(&iteration_section(analysis, it));
    }
    out.push_str("</section>\n");
    out
}

fn iteration_section(analysis: &Analysis, it: &Iteration) -> String {
    let best = analysis.best == Some(it.iteration);
    let mut out = format!(
        "<section class=\"iteration{}\" id=\"iter-{}\">\n<h3>Iteration {}{} {}</h3>\n",
        if best { " best" } else { "" },
        it.iteration,
        it.iteration,
        if best { " ★ best" } else { "" },
        status_badge(&it.status)
    );
    out.push_str(&facts_line(analysis, it));
    if let Some(reason) = &it.parent_reason {
        let _ = writeln!(out, "<p class=\"parent-reason\">Parent chosen by the proposer: {}</p>", esc(reason));
    }
    match it.rationale.as_deref().filter(|r| !r.trim().is_empty()) {
        Some(rationale) => {
            let _ = writeln!(out, "<div class=\"rationale\">{}</div>", esc(rationale));
        }
        None => out.push_str("<p class=\"muted\">No rationale recorded.</p>\n"),
    }
    out.push_str(&metrics_table(analysis, it));
    out.push_str(&errors_block(it));
    out.push_str(&json_details("diagnostics", &it.diagnostics));
    if it.drift.is_object() {
        out.push_str(&json_details("drift check", &it.drift));
    }
    out.push_str(&scripts_block(analysis, it));
    out.push_str("</section>\n");
    out
}

fn facts_line(analysis: &Analysis, it: &Iteration) -> String {
    let mut parts = vec![
        format!("parent {}", parent_link(analysis, it)),
        format!("leaderboard <a href=\"#lb-{0}\">row</a>", it.iteration),
    ];
    if let Some(snapshot) = &it.snapshot {
        parts.push(format!("snapshot <code>{}</code>", esc(snapshot)));
    }
    if let Some(attempts) = it.attempts.as_u64().or_else(|| it.attempts.as_array().map(|a| a.len() as u64)) {
        parts.push(format!("{attempts} attempt{}", if attempts == 1 { "" } else { "s" }));
    }
    if let Some(timings) = it.timings.as_object() {
        let shown: Vec<String> = timings
            .iter()
            .filter_map(|(k, v)| Some(format!("{} {}", k.trim_end_matches("_ms"), format_ms(v.as_f64()?))))
            .collect();
        if !shown.is_empty() {
            parts.push(esc(&shown.join(", ")));
        }
    }
    let tokens = |key: &str| it.tokens.get(key).and_then(Value::as_u64);
    if let (Some(input), Some(output)) = (tokens("input"), tokens("output")) {
        parts.push(format!("tokens {input}/{output}"));
    }
    if let Some(cost) = it.cost_usd {
        parts.push(format!("${cost:.4}"));
    }
    parts.push(format!("drift {}", drift_cell(it)));
    if let Some(timestamp) = &it.timestamp {
        parts.push(esc(timestamp));
    }
    format!("<p class=\"muted\">{}</p>\n", parts.join(" · "))
}

fn format_ms(ms: f64) -> String {
    if ms >= 1000.0 { format!("{:.2} s", ms / 1000.0) } else { format!("{ms:.0} ms") }
}

fn metrics_table(analysis: &Analysis, it: &Iteration) -> String {
    let Some(metrics) = it.metrics else {
        return "<p class=\"muted\">No metrics: the candidate did not produce a ranking.</p>\n".into();
    };
    let parent = analysis.parent_of(it).and_then(|p| p.metrics);
    let mut out = String::from(
        "<table class=\"metrics\">\n<thead><tr><th>metric</th><th>value</th><th>vs parent</th><th>vs baseline</th></tr></thead>\n<tbody>\n",
    );
    for metric in MetricName::ALL {
        let value = metrics.get(metric);
        let delta = |other: Option<f64>| match (value, other) {
            (Some(v), Some(o)) => signed_delta(v - o),
            _ => "—".into(),
        };
        let mut name = esc(&analysis.metric_label(metric));
        if metric == analysis.primary {
            name = format!("<strong>{name}</strong>");
        }
        let _ = writeln!(
            out,
            "<tr><td>{name}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            format_metric(value),
            delta(parent.and_then(|m| m.get(metric))),
            delta(analysis.baseline.and_then(|m| m.get(metric)))
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn errors_block(it: &Iteration) -> String {
    let errors = iteration_errors(it);
    if errors.is_empty() {
        return String::new();
    }
    let mut out = String::from("<h4>Errors</h4>\n");
    for error in errors {
        let file = error.file.as_deref().map(|f| format!("<code>{}</code>: ", esc(f))).unwrap_or_default();
        let _ = write!(
            out,
            "<div class=\"error\"><p>{file}<strong>{}</strong>: {}</p>",
            esc(&error.kind),
            esc(&error.reason)
        );
        if !error.script_stack.is_empty() {
            // ES's statement snippet keeps the statement's trailing newline; it is not a line of its own.
            let stack: Vec<&str> = error.script_stack.iter().map(|l| l.trim_end_matches(['\n', '\r'])).collect();
            let _ = write!(out, "<pre>{}</pre>", esc(&stack.join("\n")));
        }
        out.push_str(&json_details("Elasticsearch-shaped error JSON", &error.raw));
        out.push_str("</div>\n");
    }
    out
}

fn json_details(summary: &str, value: &Value) -> String {
    if value.is_null() || value.as_object().is_some_and(|o| o.is_empty()) {
        return String::new();
    }
    let rows = flatten_json(value);
    let body = if !rows.is_empty()
        && rows.len() <= 60
        && rows.iter().all(|(_, v)| !v.is_string() || v.as_str().is_some_and(|s| s.len() < 120))
    {
        let mut table = String::from("<table>\n<tbody>\n");
        for (name, v) in rows {
            let _ =
                writeln!(table, "<tr><td>{}</td><td class=\"num\">{}</td></tr>", esc(&name), esc(&format_scalar(&v)));
        }
        table.push_str("</tbody>\n</table>\n");
        table
    } else {
        let pretty = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
        format!("<pre>{}</pre>\n", esc(&pretty))
    };
    format!("<details><summary>{}</summary>\n{body}</details>\n", esc(summary))
}

fn scripts_block(analysis: &Analysis, it: &Iteration) -> String {
    if it.scripts.is_empty() {
        return "<p class=\"muted\">No snapshot scripts found.</p>\n".into();
    }
    let Some(parent) = analysis.parent_of(it) else {
        let mut out = String::from("<details open><summary>Scripts</summary>\n");
        for script in &it.scripts {
            let _ = writeln!(out, "<p><code>{}</code></p><pre>{}</pre>", esc(&script.name), esc(&script.source));
        }
        out.push_str("</details>\n");
        return out;
    };
    let diffs = script_diffs(&parent.scripts, &it.scripts);
    let mut out = format!("<details open><summary>Diff against iteration {}</summary>\n", parent.iteration);
    if diffs.is_empty() {
        out.push_str("<p class=\"muted\">Scripts identical to the parent's.</p>\n");
    } else {
        out.push_str("<pre class=\"diff\">");
        for line in diffs.lines() {
            let class = diff_line_class(line);
            let text = if line.is_empty() { " ".to_string() } else { esc(line) };
            let _ = write!(out, "<span class=\"{class}\">{text}</span>");
        }
        out.push_str("</pre>\n");
    }
    out.push_str("</details>\n");
    out
}

fn diff_line_class(line: &str) -> &'static str {
    if line.starts_with("+++") || line.starts_with("---") {
        "d-file"
    } else if line.starts_with("@@") {
        "d-hunk"
    } else if line.starts_with('+') {
        "d-add"
    } else if line.starts_with('-') {
        "d-del"
    } else {
        "d-ctx"
    }
}

/// A unified diff of every script file that differs, files added or removed included (diffed
/// against nothing, with `/dev/null` as the missing side, as `diff -u` shows them).
pub fn script_diffs(parent: &[ScriptFile], child: &[ScriptFile]) -> String {
    let mut names: Vec<&str> = parent.iter().chain(child).map(|s| s.name.as_str()).collect();
    names.sort_by_key(|n| (script_order(n), *n));
    names.dedup();
    let mut out = String::new();
    for name in names {
        let old = parent.iter().find(|s| s.name == name);
        let new = child.iter().find(|s| s.name == name);
        let (old_text, new_text) = (old.map_or("", |s| s.source.as_str()), new.map_or("", |s| s.source.as_str()));
        if old.is_some() && new.is_some() && old_text == new_text {
            continue;
        }
        let old_header = if old.is_some() { format!("a/{name}") } else { "/dev/null".into() };
        let new_header = if new.is_some() { format!("b/{name}") } else { "/dev/null".into() };
        let diff = TextDiff::from_lines(old_text, new_text);
        let _ = write!(out, "{}", diff.unified_diff().context_radius(3).header(&old_header, &new_header));
    }
    out
}
