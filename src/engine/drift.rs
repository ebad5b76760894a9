//! Drift: the local interpreter and a real engine ranking the same set for the same cohort must agree.
//! Per user: the same top-k items in the same order, `_score` and `_script` sort values within a relative
//! tolerance (vector sums may differ in the last bits: the engine may use SIMD lanes), the same failure
//! (script, phase, exception type, position) when a script fails; and the metrics within 1e-6. Anything
//! else is drift, reported with the users, items and values involved and the first differing rank.

use crate::metrics::{EvalContext, MetricSet};
use crate::painless::diag::Diagnostic;
use crate::rank::{
    FailureKind, RankEngine, RankError, RankOutcome, RankRequest, RankedItem, RuntimeFailure, ScriptSet, UserResult,
};
use crate::store::Store;
use serde::Serialize;
use std::fmt::Write as _;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerances {
    /// Relative tolerance on `_score` and sort values (magnitudes below 1e-6 compare absolutely).
    pub score_rel: f64,
    /// Absolute tolerance on each cohort-mean metric.
    pub metric_abs: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances { score_rel: 1e-5, metric_abs: 1e-6 }
    }
}

/// One ranked position as shown in a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HitView {
    pub item_id: String,
    pub score: f32,
    pub sort_values: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Difference {
    /// Different items (or list lengths) from this 0-based rank on.
    Items {
        rank: usize,
        local: Vec<HitView>,
        engine: Vec<HitView>,
    },
    Score {
        rank: usize,
        item_id: String,
        local: f32,
        engine: f32,
    },
    SortValue {
        rank: usize,
        item_id: String,
        sort: usize,
        local: f64,
        engine: f64,
    },
    /// One side failed and the other did not, or they failed differently.
    Failure {
        local: String,
        engine: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserDrift {
    pub user_id: String,
    pub difference: Difference,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricDrift {
    pub metric: String,
    pub local: f64,
    pub engine: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    pub engine: String,
    pub users: usize,
    pub k: usize,
    /// Compile outcomes disagree (one compiled, or they failed differently).
    pub compile: Option<Difference>,
    /// Both failed to compile the same way.
    pub same_compile_failure: bool,
    pub drifted: Vec<UserDrift>,
    /// Users whose runs failed identically on both sides.
    pub same_runtime_failures: usize,
    pub local_metrics: Option<MetricSet>,
    pub engine_metrics: Option<MetricSet>,
    pub metric_drift: Vec<MetricDrift>,
    pub local_ms: f64,
    pub engine_ms: f64,
    pub tolerances: Tolerances,
}

impl DriftReport {
    pub fn has_drift(&self) -> bool {
        self.compile.is_some() || !self.drifted.is_empty() || !self.metric_drift.is_empty()
    }

    /// Engine wall time over local wall time for the same cohort.
    pub fn time_ratio(&self) -> f64 {
        if self.local_ms > 0.0 { self.engine_ms / self.local_ms } else { f64::INFINITY }
    }

    /// The human report (`scorelab parity`).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "parity vs {}: {} users, k={}, local {:.1} ms, engine {:.1} ms (engine/local {:.1}x)",
            self.engine,
            self.users,
            self.k,
            self.local_ms,
            self.engine_ms,
            self.time_ratio()
        );
        if let (Some(l), Some(e)) = (&self.local_metrics, &self.engine_metrics) {
            let _ = writeln!(out, "  metrics local : {}\n  metrics engine: {}", metrics_line(l), metrics_line(e));
        }
        if self.same_compile_failure {
            let _ = writeln!(out, "  both sides refuse the set with the same compile error");
        }
        if self.same_runtime_failures > 0 {
            let _ = writeln!(out, "  {} users fail the same way on both sides", self.same_runtime_failures);
        }
        if !self.has_drift() {
            let _ = writeln!(
                out,
                "  no drift (scores within {:e} relative, metrics within {:e})",
                self.tolerances.score_rel, self.tolerances.metric_abs
            );
            return out;
        }
        if let Some(diff) = &self.compile {
            let _ = writeln!(out, "  DRIFT compile: {}", describe(diff));
        }
        for m in &self.metric_drift {
            let _ = writeln!(out, "  DRIFT metric {}: local {:.9} engine {:.9}", m.metric, m.local, m.engine);
        }
        if !self.drifted.is_empty() {
            let _ = writeln!(out, "  DRIFT in {} of {} users:", self.drifted.len(), self.users);
            for user in self.drifted.iter().take(20) {
                let _ = writeln!(out, "    {}: {}", user.user_id, describe(&user.difference));
            }
            if self.drifted.len() > 20 {
                let _ = writeln!(out, "    ... and {} more", self.drifted.len() - 20);
            }
        }
        out
    }
}

fn metrics_line(m: &MetricSet) -> String {
    format!("ndcg {:.6}  recall {:.6}  precision {:.6}  ild {:.6}", m.ndcg, m.recall, m.precision, m.ild)
}

fn describe(diff: &Difference) -> String {
    let hits = |list: &[HitView]| {
        list.iter()
            .map(|h| {
                let sorts = if h.sort_values.is_empty() { String::new() } else { format!(" sort {:?}", h.sort_values) };
                format!("{} ({}{sorts})", h.item_id, h.score)
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match diff {
        Difference::Items { rank, local, engine } => {
            format!("first difference at rank {}: local [{}] vs engine [{}]", rank + 1, hits(local), hits(engine))
        }
        Difference::Score { rank, item_id, local, engine } => {
            format!("rank {} {item_id}: _score local {local} vs engine {engine}", rank + 1)
        }
        Difference::SortValue { rank, item_id, sort, local, engine } => {
            format!("rank {} {item_id}: sort_{:02} local {local} vs engine {engine}", rank + 1, sort + 1)
        }
        Difference::Failure { local, engine } => format!("local: {local}; engine: {engine}"),
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    if a == b || (a.is_nan() && b.is_nan()) {
        return true;
    }
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-6)
}

fn view(store: &Store, items: &[RankedItem]) -> Vec<HitView> {
    items
        .iter()
        .map(|r| HitView {
            item_id: store.item_id(r.item).to_string(),
            score: r.score,
            sort_values: r.sort_values.clone(),
        })
        .collect()
}

/// The part of a diagnostic both engines must agree on.
fn error_key(d: &Diagnostic) -> String {
    format!("{:?} {} at {}", d.phase, d.es_type, d.span.start)
}

/// A NaN/negative `script_score` value, whichever way a side reports it (the interpreter raises it as
/// an `illegal_argument_exception` diagnostic, the engine answer maps to `FailureKind::InvalidScore`).
pub fn is_invalid_score(f: &RuntimeFailure) -> bool {
    match &f.kind {
        FailureKind::InvalidScore { .. } => true,
        FailureKind::Script { diagnostic } => {
            diagnostic.es_type == "illegal_argument_exception"
                && diagnostic.message.contains("returned an invalid score")
        }
    }
}

fn failure_key(f: &RuntimeFailure) -> String {
    if is_invalid_score(f) {
        // The engine names a segment-local doc id and stops at its first bad doc: only the class matters.
        return format!("{}: invalid score", f.script);
    }
    match &f.kind {
        FailureKind::Script { diagnostic } => format!("{}: {}", f.script, error_key(diagnostic)),
        FailureKind::InvalidScore { .. } => format!("{}: invalid score", f.script),
    }
}

fn failure_text(f: &RuntimeFailure) -> String {
    match &f.kind {
        FailureKind::Script { diagnostic } => format!("{} [{}]", failure_key(f), diagnostic.message),
        FailureKind::InvalidScore { value } => format!("{}: invalid score {value}", f.script),
    }
}

/// Compares two outcomes of the same set and request. Metrics are compared when `eval` is given and
/// both sides ranked every user.
#[allow(clippy::too_many_arguments)] // every argument is a distinct input of the comparison
pub fn compare(
    store: &Store,
    engine_name: &str,
    request: &RankRequest,
    local: &RankOutcome,
    engine: &RankOutcome,
    eval: Option<&EvalContext<'_>>,
    sort_files: &[String],
    tolerances: Tolerances,
) -> DriftReport {
    let mut report = DriftReport {
        engine: engine_name.to_string(),
        users: request.users.len(),
        k: request.k,
        compile: None,
        same_compile_failure: false,
        drifted: Vec::new(),
        same_runtime_failures: 0,
        local_metrics: None,
        engine_metrics: None,
        metric_drift: Vec::new(),
        local_ms: local.compile_ms + local.rank_ms,
        engine_ms: engine.compile_ms + engine.rank_ms,
        tolerances,
    };
    let first_error = |o: &RankOutcome| {
        o.compile_failures.iter().find_map(|f| {
            f.diagnostics.iter().find(|d| d.is_error()).map(|d| format!("{}: {}", f.script, error_key(d)))
        })
    };
    match (first_error(local), first_error(engine)) {
        (None, None) => {}
        (Some(l), Some(e)) if l == e => {
            report.same_compile_failure = true;
            return report;
        }
        (l, e) => {
            let text = |side: Option<String>, o: &RankOutcome| match side {
                Some(key) => {
                    let message = o.compile_failures.iter().flat_map(|f| &f.diagnostics).find(|d| d.is_error());
                    format!("compile error {key} [{}]", message.map_or("", |d| d.message.as_str()))
                }
                None => "compiles".to_string(),
            };
            report.compile = Some(Difference::Failure { local: text(l, local), engine: text(e, engine) });
            return report;
        }
    }

    for (i, &user) in request.users.iter().enumerate() {
        let user_id = store.user_id(user).to_string();
        let difference = match (local.users.get(i), engine.users.get(i)) {
            (Some(UserResult::Ranked(l)), Some(UserResult::Ranked(e))) => {
                compare_lists(store, &l.items, &e.items, tolerances)
            }
            (Some(UserResult::Failed(l)), Some(UserResult::Failed(e))) => {
                if failure_key(l) == failure_key(e) {
                    report.same_runtime_failures += 1;
                    None
                } else {
                    Some(Difference::Failure { local: failure_text(l), engine: failure_text(e) })
                }
            }
            (l, e) => {
                let text = |r: Option<&UserResult>| match r {
                    Some(UserResult::Failed(f)) => failure_text(f),
                    Some(UserResult::Ranked(r)) => format!("ranked {} items", r.items.len()),
                    None => "no result".to_string(),
                };
                Some(Difference::Failure { local: text(l), engine: text(e) })
            }
        };
        if let Some(difference) = difference {
            report.drifted.push(UserDrift { user_id, difference });
        }
    }

    if let (Some(eval), Some(l), Some(e)) = (eval, local.rankings(), engine.rankings()) {
        let lm = eval.evaluate(&l, sort_files).metrics;
        let em = eval.evaluate(&e, sort_files).metrics;
        for metric in [
            crate::metrics::Metric::Ndcg,
            crate::metrics::Metric::Recall,
            crate::metrics::Metric::Precision,
            crate::metrics::Metric::Ild,
        ] {
            let (a, b) = (lm.get(metric), em.get(metric));
            if (a - b).abs() > tolerances.metric_abs {
                report.metric_drift.push(MetricDrift { metric: metric.name().into(), local: a, engine: b });
            }
        }
        report.local_metrics = Some(lm);
        report.engine_metrics = Some(em);
    }
    report
}

fn compare_lists(store: &Store, local: &[RankedItem], engine: &[RankedItem], tol: Tolerances) -> Option<Difference> {
    let longest = local.len().max(engine.len());
    for rank in 0..longest {
        match (local.get(rank), engine.get(rank)) {
            (Some(l), Some(e)) if l.item == e.item => {}
            _ => {
                // Show the differing tail, at most five positions.
                let end = (rank + 5).min(longest);
                let slice = |v: &[RankedItem]| view(store, &v[rank.min(v.len())..end.min(v.len())]);
                return Some(Difference::Items { rank, local: slice(local), engine: slice(engine) });
            }
        }
    }
    for (rank, (l, e)) in local.iter().zip(engine).enumerate() {
        let item_id = store.item_id(l.item).to_string();
        if !close(f64::from(l.score), f64::from(e.score), tol.score_rel) {
            return Some(Difference::Score { rank, item_id, local: l.score, engine: e.score });
        }
        for (sort, (a, b)) in l.sort_values.iter().zip(&e.sort_values).enumerate() {
            if !close(*a, *b, tol.score_rel) {
                return Some(Difference::SortValue { rank, item_id, sort, local: *a, engine: *b });
            }
        }
    }
    None
}

/// Both engines on one set: what `scorelab parity`, `eval --engine both` and the loop's engine check run.
pub struct ParityRun {
    pub local: RankOutcome,
    pub engine: RankOutcome,
    pub report: DriftReport,
}

/// Ranks `set` locally and on the engine, timing both (wall time, so the ratio is what a user waits).
/// `engine` is normally a `SearchEngine`; any `RankEngine` serves (e.g. one wrapped to report progress).
pub fn run_parity(
    store: &Store,
    local: &dyn RankEngine,
    engine: &dyn RankEngine,
    set: &ScriptSet,
    request: &RankRequest,
    eval: Option<&EvalContext<'_>>,
    tolerances: Tolerances,
) -> Result<ParityRun, RankError> {
    // Parity compares user by user: both sides rank every user, even after a failure.
    let request = &RankRequest { stop_at_first_failure: false, ..request.clone() };
    let started = Instant::now();
    let local_outcome = local.rank(set, request)?;
    let local_ms = started.elapsed().as_secs_f64() * 1e3;
    let started = Instant::now();
    let engine_outcome = engine.rank(set, request)?;
    let engine_ms = started.elapsed().as_secs_f64() * 1e3;
    let sort_files: Vec<String> = set.sorts.iter().map(|s| s.script.file_name.clone()).collect();
    let mut report =
        compare(store, engine.name(), request, &local_outcome, &engine_outcome, eval, &sort_files, tolerances);
    report.local_ms = local_ms;
    report.engine_ms = engine_ms;
    Ok(ParityRun { local: local_outcome, engine: engine_outcome, report })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_is_relative_with_an_absolute_floor() {
        assert!(close(1.0, 1.0 + 5e-6, 1e-5));
        assert!(!close(1.0, 1.0 + 5e-5, 1e-5));
        assert!(close(1e6, 1e6 + 5.0, 1e-5));
        assert!(close(0.0, 1e-12, 1e-5));
        assert!(!close(0.0, 1e-3, 1e-5));
        assert!(close(f64::NAN, f64::NAN, 1e-5));
    }
}
