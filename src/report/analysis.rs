//! Facts derived from a loaded run that several views need: objective and guardrail, the baseline,
//! the best iteration, drift state, compile attempts and the lineage tree.

use super::model::{Iteration, MetricName, Metrics, Run, Status};
use crate::run::IterationStatus;
use serde_json::Value;
use std::collections::BTreeMap;

/// Whether an iteration was re-scored on the search engine and how it came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftState {
    NotChecked,
    Agrees,
    Drifted,
    /// A state the writer named that this reader does not know.
    Other(String),
}

impl DriftState {
    pub fn label(&self) -> &str {
        match self {
            DriftState::NotChecked => "not checked",
            DriftState::Agrees => "no drift",
            DriftState::Drifted => "drift",
            DriftState::Other(text) => text,
        }
    }
}

pub struct Analysis<'a> {
    pub run: &'a Run,
    pub k: Option<u64>,
    pub primary: MetricName,
    pub guardrail: MetricName,
    /// meta.json's baseline metrics, else iteration 0's.
    pub baseline: Option<Metrics>,
    pub best: Option<u64>,
}

impl<'a> Analysis<'a> {
    pub fn new(run: &'a Run) -> Analysis<'a> {
        let settings = &run.meta.settings;
        let primary = settings.objective.as_deref().and_then(MetricName::parse).unwrap_or(MetricName::Ndcg);
        let guardrail = settings
            .guardrail
            .as_deref()
            .and_then(MetricName::parse)
            .unwrap_or(if primary == MetricName::Ild { MetricName::Ndcg } else { MetricName::Ild });
        let baseline = run
            .meta
            .baseline_metrics
            .or_else(|| run.iterations.iter().find(|it| it.status == Status::BASELINE).and_then(|it| it.metrics));
        let mut analysis = Analysis { run, k: settings.k, primary, guardrail, baseline, best: None };
        analysis.best = run
            .meta
            .summary
            .as_ref()
            .and_then(|s| s.best_iteration)
            .filter(|n| run.iteration(*n).is_some())
            .or_else(|| analysis.computed_best());
        analysis
    }

    /// The best by the objective rule (metrics.md): the highest primary among the baseline and the
    /// accepted iterations. Used only when meta.json has no summary (a run still being written).
    fn computed_best(&self) -> Option<u64> {
        self.run
            .iterations
            .iter()
            .filter(|it| matches!(it.status, Status::BASELINE | Status::ACCEPTED))
            .filter_map(|it| Some((it.iteration, it.metrics?.get(self.primary)?)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(iteration, _)| iteration)
    }

    pub fn best_iteration(&self) -> Option<&'a Iteration> {
        self.best.and_then(|n| self.run.iteration(n))
    }

    pub fn baseline_iteration(&self) -> Option<&'a Iteration> {
        let iterations = &self.run.iterations;
        iterations.iter().find(|it| it.status == Status::BASELINE).or_else(|| iterations.first())
    }

    pub fn best_primary(&self) -> Option<f64> {
        let summary = self.run.meta.summary.as_ref().and_then(|s| s.best_primary);
        summary.or_else(|| self.best_iteration()?.metrics?.get(self.primary))
    }

    pub fn baseline_guardrail(&self) -> Option<f64> {
        self.baseline?.get(self.guardrail)
    }

    pub fn guardrail_held(&self) -> Option<bool> {
        let summary = self.run.meta.summary.as_ref().and_then(|s| s.guardrail_held);
        summary.or_else(|| {
            let best = self.best_iteration()?.metrics?.get(self.guardrail)?;
            Some(best >= self.baseline_guardrail()?)
        })
    }

    pub fn metric_label(&self, metric: MetricName) -> String {
        metric.label(self.k)
    }

    /// True when some iteration's parent is not its predecessor: the run branched.
    pub fn is_evolutionary(&self) -> bool {
        if let Some(lineage) = &self.run.meta.settings.lineage {
            return lineage == "evolutionary";
        }
        self.run.iterations.iter().any(|it| matches!(it.parent, Some(p) if p + 1 != it.iteration))
    }

    /// Children per parent, each list in iteration order; roots are iterations without a parent
    /// (or whose parent is not in the log).
    pub fn lineage(&self) -> (Vec<u64>, BTreeMap<u64, Vec<u64>>) {
        let mut roots = Vec::new();
        let mut children: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for it in &self.run.iterations {
            match it.parent.filter(|p| *p != it.iteration && self.run.iteration(*p).is_some()) {
                Some(parent) => children.entry(parent).or_default().push(it.iteration),
                None => roots.push(it.iteration),
            }
        }
        (roots, children)
    }

    pub fn parent_of(&self, iteration: &Iteration) -> Option<&'a Iteration> {
        iteration.parent.filter(|p| *p != iteration.iteration).and_then(|p| self.run.iteration(p))
    }

    pub fn total_tokens(&self) -> (u64, u64) {
        self.run.iterations.iter().fold((0, 0), |(input, output), it| {
            let field = |name: &str| it.tokens.get(name).and_then(Value::as_u64).unwrap_or(0);
            (input + field("input"), output + field("output"))
        })
    }

    pub fn total_cost(&self) -> f64 {
        self.run.iterations.iter().filter_map(|it| it.cost_usd).sum()
    }
}

/// Reads the `drift` field in the shapes writers use: null (not checked), a bool (drifted?), a
/// string, or an object with `status`, `drifted` or `ok`. An iteration whose status is `drift` has
/// drifted whatever the field says.
pub fn drift_state(iteration: &Iteration) -> DriftState {
    if iteration.status.is(IterationStatus::Drift) {
        return DriftState::Drifted;
    }
    let from_bool = |drifted: bool| {
        if drifted { DriftState::Drifted } else { DriftState::Agrees }
    };
    match &iteration.drift {
        Value::Null => DriftState::NotChecked,
        Value::Bool(drifted) => from_bool(*drifted),
        Value::String(text) => drift_from_text(text),
        Value::Object(object) => {
            if let Some(text) = object.get("status").and_then(Value::as_str) {
                drift_from_text(text)
            } else if let Some(drifted) = object.get("drifted").or_else(|| object.get("drift")).and_then(Value::as_bool)
            {
                from_bool(drifted)
            } else if let Some(ok) = object.get("ok").and_then(Value::as_bool) {
                from_bool(!ok)
            } else {
                // A report without a verdict field: the loop marks a drifting candidate with the
                // `drift` status (handled above), so a checked candidate without it agreed.
                DriftState::Agrees
            }
        }
        other => DriftState::Other(other.to_string()),
    }
}

fn drift_from_text(text: &str) -> DriftState {
    match text {
        "ok" | "none" | "agree" | "agrees" | "no_drift" | "match" | "clean" => DriftState::Agrees,
        "drift" | "drifted" => DriftState::Drifted,
        "not_checked" | "unchecked" | "skipped" => DriftState::NotChecked,
        other => DriftState::Other(other.to_string()),
    }
}

/// (attempts made, attempts that failed to compile) within one iteration. `attempts` is a count
/// or a list of attempt records; the final attempt failed only if the iteration ended in a compile
/// error.
pub fn compile_attempts(iteration: &Iteration) -> (u64, u64) {
    let failed_last = u64::from(iteration.status.is(IterationStatus::CompileError));
    match &iteration.attempts {
        Value::Number(n) => {
            let total = n.as_u64().unwrap_or(1).max(1);
            (total, total - 1 + failed_last)
        }
        Value::Array(records) if !records.is_empty() => {
            let failed = records.iter().filter(|r| attempt_failed(r)).count() as u64;
            let total = records.len() as u64;
            // Records that do not say whether they failed: assume all but the last did.
            let failed = if records.iter().any(has_outcome) { failed } else { total - 1 + failed_last };
            (total, failed)
        }
        _ => (1, failed_last),
    }
}

fn has_outcome(record: &Value) -> bool {
    ["errors", "error", "ok", "status"].iter().any(|k| record.get(k).is_some())
}

fn attempt_failed(record: &Value) -> bool {
    if let Some(ok) = record.get("ok").and_then(Value::as_bool) {
        return !ok;
    }
    if let Some(status) = record.get("status").and_then(Value::as_str) {
        return status.contains("error");
    }
    let non_empty = |v: &Value| !(v.is_null() || v.as_array().is_some_and(Vec::is_empty));
    record.get("errors").is_some_and(non_empty) || record.get("error").is_some_and(non_empty)
}

/// One error from the `errors` field, reduced to what a reader needs. `errors` holds ES-shaped
/// JSON: bare `script_exception` objects, search envelopes (`{"error": {...}, "status": 400}`), or
/// wrappers naming the file (`{"file": "sort_00.painless", "error": {...}}`).
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorSummary {
    pub file: Option<String>,
    /// `caused_by.type` when present (the informative one), else `type`.
    pub kind: String,
    pub reason: String,
    pub script_stack: Vec<String>,
    /// The failing script's full source, as ES echoes it in `script`.
    pub script: Option<String>,
    pub raw: Value,
}

/// The iteration's errors; an error that does not name its file gets the name of the snapshot
/// script whose source ES echoed back.
pub fn iteration_errors(iteration: &Iteration) -> Vec<ErrorSummary> {
    let mut errors = error_summaries(&iteration.errors);
    for error in &mut errors {
        if error.file.is_none() {
            let source = error.script.as_deref();
            error.file = iteration.scripts.iter().find(|s| Some(s.source.as_str()) == source).map(|s| s.name.clone());
        }
    }
    errors
}

pub fn error_summaries(errors: &Value) -> Vec<ErrorSummary> {
    let items: Vec<&Value> = match errors {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    items.into_iter().map(summarise_error).collect()
}

fn summarise_error(raw: &Value) -> ErrorSummary {
    let file = ["file", "script_file", "script_name", "path"]
        .iter()
        .find_map(|k| raw.get(*k).and_then(Value::as_str))
        .map(str::to_string);
    let exception = find_exception(raw).unwrap_or(raw);
    let text = |v: Option<&Value>, key: &str| v.and_then(|v| v.get(key)).and_then(Value::as_str).map(str::to_string);
    let caused_by = exception.get("caused_by");
    let kind = text(caused_by, "type").or_else(|| text(Some(exception), "type")).unwrap_or_else(|| "error".into());
    let reason = text(caused_by, "reason")
        .or_else(|| text(Some(exception), "reason"))
        .or_else(|| raw.as_str().map(str::to_string))
        .unwrap_or_default();
    let script_stack = exception
        .get("script_stack")
        .and_then(Value::as_array)
        .map(|lines| lines.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let script = exception.get("script").and_then(Value::as_str).map(str::to_string);
    ErrorSummary { file, kind, reason, script_stack, script, raw: raw.clone() }
}

/// The innermost object that carries a `script_stack`, preferring the shard failure (which has
/// `caused_by`) over the root cause (which omits it).
fn find_exception(value: &Value) -> Option<&Value> {
    let failures = value.pointer("/error/failed_shards").and_then(Value::as_array);
    if let Some(reason) = failures.and_then(|f| f.iter().find_map(|f| f.get("reason"))) {
        return Some(reason);
    }
    if value.get("script_stack").is_some() || value.get("caused_by").is_some() {
        return Some(value);
    }
    ["error", "reason", "exception"]
        .iter()
        .filter_map(|k| value.get(*k))
        .filter(|v| v.is_object())
        .find_map(find_exception)
}

/// Flattens a diagnostics object into `(dotted.path, value)` rows, in the writer's order.
pub fn flatten_json(value: &Value) -> Vec<(String, Value)> {
    let mut rows = Vec::new();
    flatten_into(String::new(), value, &mut rows);
    rows
}

fn flatten_into(prefix: String, value: &Value, rows: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(object) if !object.is_empty() => {
            for (key, child) in object {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                flatten_into(path, child, rows);
            }
        }
        Value::Array(items) if !items.is_empty() && items.len() <= 50 => {
            for (index, child) in items.iter().enumerate() {
                // Entries that name themselves (`{"field": "genres", ...}`) are keyed by that name,
                // so the baseline and the best line up even when their lists differ in order.
                match entry_label(child) {
                    Some((key, label)) => {
                        let mut rest = child.as_object().cloned().unwrap_or_default();
                        rest.remove(key);
                        flatten_into(format!("{prefix}[{label}]"), &Value::Object(rest), rows);
                    }
                    None => flatten_into(format!("{prefix}[{index}]"), child, rows),
                }
            }
        }
        Value::Null if prefix.is_empty() => {}
        other => rows.push((if prefix.is_empty() { "value".into() } else { prefix }, other.clone())),
    }
}

fn entry_label(entry: &Value) -> Option<(&'static str, &str)> {
    let object = entry.as_object().filter(|o| o.len() > 1)?;
    ["field", "tercile", "script", "name", "metric", "code"]
        .into_iter()
        .find_map(|key| Some((key, object.get(key)?.as_str()?)))
}

/// A JSON scalar as a short cell: numbers to 4 significant decimals, strings bare.
pub fn format_scalar(value: &Value) -> String {
    match value {
        Value::Null => "—".into(),
        Value::String(text) => text.clone(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => format_number(f),
            _ => n.to_string(),
        },
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Object(object) if object.is_empty() => "{}".into(),
        other => other.to_string(),
    }
}

pub fn format_number(value: f64) -> String {
    if value != 0.0 && value.abs() < 0.001 {
        format!("{value:.2e}")
    } else if value.abs() >= 1000.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.4}")
    }
}

pub fn format_metric(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.4}")).unwrap_or_else(|| "—".into())
}

/// `a` and `b` with the fewest decimals (at least 4) at which they print differently, so a guardrail
/// violation never prints as a tie (`0.550578 < 0.550603`, not `0.5506 < 0.5506`).
pub fn distinct_pair(a: f64, b: f64) -> (String, String) {
    for digits in 4..=17 {
        let (x, y) = (format!("{a:.digits$}"), format!("{b:.digits$}"));
        if x != y {
            return (x, y);
        }
    }
    (format!("{a}"), format!("{b}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_are_found_in_every_shape_writers_use() {
        let exception = json!({"type": "script_exception", "reason": "compile error", "script_stack": ["x", "^---- HERE"],
            "caused_by": {"type": "illegal_argument_exception", "reason": "cannot resolve symbol [x]"}});
        let shapes = json!([
            exception.clone(),
            {"file": "sort_00.painless", "error": exception.clone()},
            {"error": {"root_cause": [{"type": "script_exception", "reason": "compile error"}],
                       "failed_shards": [{"shard": 0, "reason": exception.clone()}]}, "status": 400},
        ]);
        let summaries = error_summaries(&shapes);
        assert_eq!(summaries.len(), 3);
        for summary in &summaries {
            assert_eq!(summary.kind, "illegal_argument_exception");
            assert_eq!(summary.reason, "cannot resolve symbol [x]");
            assert_eq!(summary.script_stack, ["x", "^---- HERE"]);
        }
        assert_eq!(summaries[1].file.as_deref(), Some("sort_00.painless"));
        // A plain negative-score failure has no script_exception wrapper.
        let plain = error_summaries(
            &json!({"type": "illegal_argument_exception", "reason": "script score function must not produce negative scores, but got: [-1.0]"}),
        );
        assert_eq!(plain[0].kind, "illegal_argument_exception");
        assert!(plain[0].reason.contains("negative"));
    }

    #[test]
    fn named_list_entries_are_keyed_by_name() {
        let rows = flatten_json(
            &json!({"coverage_at_k": 0.1, "concentration": [{"field": "genres", "top_share": 0.4}], "sort_effects": [], "xs": [1, 2]}),
        );
        let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["coverage_at_k", "concentration[genres].top_share", "sort_effects", "xs[0]", "xs[1]"]);
    }
}
