//! Drift: the local interpreter and a real engine ranking the same set for the same cohort must agree.
//!
//! The local side runs what the engine runs: the script as translated for the engine's vector dialect
//! (an Elasticsearch-dialect set sent to OpenSearch is evaluated locally as the k-NN calls it becomes),
//! and vector functions in the engine's calibrated Lucene arithmetic ([`EngineTarget`]).
//!
//! Per user the verdict is one of
//! - `exact`: the same top-k items in the same order, `_score` and `_script` sort values within a relative
//!   tolerance (or the same failure: script, phase, exception type, position);
//! - `tie-equivalent`: the lists differ only by the order of items whose keys (sort values, then `_score`)
//!   are within that tolerance of each other on both sides, including a near-tie across the k-th rank;
//! - `drift`: anything else, reported with the items and values involved and the first differing rank.
//!
//! Only drift fails; the cohort metrics must also agree within 1e-6.

use super::calibrate::ArithmeticProfile;
use super::dialect::Rewritten;
use super::transport::Flavor;
use crate::metrics::{EvalContext, MetricSet};
use crate::painless::diag::Diagnostic;
use crate::rank::{
    FailureKind, RankEngine, RankError, RankOutcome, RankRequest, RankedItem, RuntimeFailure, ScriptSet, UserRanking,
    UserResult,
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

/// A user's comparison result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Exact,
    TieEquivalent,
    Drift,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Exact => "exact",
            Verdict::TieEquivalent => "tie-equivalent",
            Verdict::Drift => "drift",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserVerdict {
    pub user_id: String,
    pub verdict: Verdict,
}

/// A tie-equivalent user: where the lists first differ (both sides' hits from there).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TieSwap {
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
    /// Users whose lists differ only inside near-ties (not drift).
    pub tie_equivalent: Vec<TieSwap>,
    /// Every user's verdict, in cohort order.
    pub verdicts: Vec<UserVerdict>,
    /// Users whose runs failed identically on both sides.
    pub same_runtime_failures: usize,
    pub local_metrics: Option<MetricSet>,
    pub engine_metrics: Option<MetricSet>,
    pub metric_drift: Vec<MetricDrift>,
    pub local_ms: f64,
    pub engine_ms: f64,
    pub tolerances: Tolerances,
    /// The vector arithmetic the local side ran (calibrated on the engine, or the default).
    pub arithmetic: Option<ArithmeticProfile>,
}

impl DriftReport {
    pub fn has_drift(&self) -> bool {
        self.compile.is_some() || !self.drifted.is_empty() || !self.metric_drift.is_empty()
    }

    /// Users per verdict: (exact, tie-equivalent, drift).
    pub fn verdict_counts(&self) -> (usize, usize, usize) {
        let count = |v: Verdict| self.verdicts.iter().filter(|u| u.verdict == v).count();
        (count(Verdict::Exact), count(Verdict::TieEquivalent), count(Verdict::Drift))
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
        if let Some(profile) = &self.arithmetic {
            let _ = writeln!(out, "  {}", profile.describe());
        }
        if let (Some(l), Some(e)) = (&self.local_metrics, &self.engine_metrics) {
            let _ = writeln!(out, "  metrics local : {}\n  metrics engine: {}", metrics_line(l), metrics_line(e));
        }
        if !self.verdicts.is_empty() {
            let (exact, ties, drift) = self.verdict_counts();
            let _ = writeln!(
                out,
                "  users: {exact} exact, {ties} tie-equivalent, {drift} drift (ties: keys within {:e} relative)",
                self.tolerances.score_rel
            );
            for tie in self.tie_equivalent.iter().take(10) {
                let _ = writeln!(out, "    tie-equivalent {}: {}", tie.user_id, describe(&tie.difference));
            }
            if self.tie_equivalent.len() > 10 {
                let _ = writeln!(out, "    ... and {} more tie-equivalent users", self.tie_equivalent.len() - 10);
            }
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
        tie_equivalent: Vec::new(),
        verdicts: Vec::new(),
        same_runtime_failures: 0,
        local_metrics: None,
        engine_metrics: None,
        metric_drift: Vec::new(),
        local_ms: local.compile_ms + local.rank_ms,
        engine_ms: engine.compile_ms + engine.rank_ms,
        tolerances,
        arithmetic: None,
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
                match compare_lists(store, l, e, tolerances) {
                    ListComparison::Exact => None,
                    ListComparison::TieEquivalent(difference) => {
                        report.tie_equivalent.push(TieSwap { user_id: user_id.clone(), difference });
                        report.verdicts.push(UserVerdict { user_id, verdict: Verdict::TieEquivalent });
                        continue;
                    }
                    ListComparison::Drift(difference) => Some(difference),
                }
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
        let verdict = if difference.is_some() { Verdict::Drift } else { Verdict::Exact };
        report.verdicts.push(UserVerdict { user_id: user_id.clone(), verdict });
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

/// How one user's two ranked lists compare.
enum ListComparison {
    Exact,
    /// Different only inside near-ties; the first differing rank.
    TieEquivalent(Difference),
    Drift(Difference),
}

/// Whether two hits have the same ranking key (sort values, then `_score`) within the tolerance.
fn keys_close(a: &RankedItem, b: &RankedItem, tol: Tolerances) -> bool {
    close(f64::from(a.score), f64::from(b.score), tol.score_rel)
        && a.sort_values.len() == b.sort_values.len()
        && a.sort_values.iter().zip(&b.sort_values).all(|(x, y)| close(*x, *y, tol.score_rel))
}

/// The first value that differs beyond the tolerance at the same rank (same item on both sides).
fn value_difference(store: &Store, rank: usize, l: &RankedItem, e: &RankedItem, tol: Tolerances) -> Option<Difference> {
    let item_id = store.item_id(l.item).to_string();
    if !close(f64::from(l.score), f64::from(e.score), tol.score_rel) {
        return Some(Difference::Score { rank, item_id, local: l.score, engine: e.score });
    }
    for (sort, (a, b)) in l.sort_values.iter().zip(&e.sort_values).enumerate() {
        if !close(*a, *b, tol.score_rel) {
            return Some(Difference::SortValue { rank, item_id, sort, local: *a, engine: *b });
        }
    }
    None
}

fn compare_lists(store: &Store, local: &UserRanking, engine: &UserRanking, tol: Tolerances) -> ListComparison {
    let (l, e) = (&local.items, &engine.items);
    let items_difference = |rank: usize| {
        // Show the differing tail, at most five positions.
        let longest = l.len().max(e.len());
        let end = (rank + 5).min(longest);
        let slice = |v: &[RankedItem]| view(store, &v[rank.min(v.len())..end.min(v.len())]);
        Difference::Items { rank, local: slice(l), engine: slice(e) }
    };
    let first_item_difference = (0..l.len().max(e.len())).find(|&r| match (l.get(r), e.get(r)) {
        (Some(a), Some(b)) => a.item != b.item,
        _ => true,
    });
    let Some(first) = first_item_difference else {
        // Same items in the same order: every value must agree.
        for (rank, (a, b)) in l.iter().zip(e).enumerate() {
            if let Some(d) = value_difference(store, rank, a, b, tol) {
                return ListComparison::Drift(d);
            }
        }
        return ListComparison::Exact;
    };
    if l.len() != e.len() {
        return ListComparison::Drift(items_difference(first));
    }
    // Both lists are sorted by the same key, so near-tie swaps keep the keys rank by rank.
    for (rank, (a, b)) in l.iter().zip(e).enumerate() {
        if !keys_close(a, b, tol) {
            return ListComparison::Drift(items_difference(first.min(rank)));
        }
    }
    fn find(list: &[RankedItem], item: crate::store::ItemIdx) -> Option<&RankedItem> {
        list.iter().find(|h| h.item == item)
    }
    for (rank, (a, b)) in l.iter().zip(e).enumerate() {
        // An item on both sides must have the same key on both; one the other side cut off must tie
        // with that side's last ranked hit (a near-tie across the k-th rank).
        for (hit, other, other_ranking) in [(a, e, engine), (b, l, local)] {
            let counterpart = find(other, hit.item).or(other_ranking.next.as_ref().filter(|n| n.item == hit.item));
            let ok = match counterpart {
                Some(c) => keys_close(hit, c, tol),
                None => other.last().is_some_and(|last| keys_close(hit, last, tol)),
            };
            if !ok {
                return ListComparison::Drift(items_difference(first.min(rank)));
            }
        }
    }
    ListComparison::TieEquivalent(items_difference(first))
}

/// What the local side must reproduce of the engine it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineTarget {
    /// With OpenSearch, an Elasticsearch-dialect set runs locally as the k-NN script it is sent as.
    pub flavor: Option<Flavor>,
    /// The Lucene vector arithmetic (calibrated on the engine, or the default).
    pub arithmetic: ArithmeticProfile,
}

impl EngineTarget {
    /// A target of `flavor` with the default arithmetic (no calibration).
    pub fn uncalibrated(flavor: Option<Flavor>) -> EngineTarget {
        EngineTarget { flavor, arithmetic: ArithmeticProfile::default_profile() }
    }
}

/// The translated scripts of a set (query, then sorts) with their edit lists.
struct Translation {
    query: Rewritten,
    sorts: Vec<Rewritten>,
}

/// `set` as `flavor` runs it: an Elasticsearch-dialect set becomes the OpenSearch-dialect set the
/// k-NN plugin is sent (vector calls evaluated per call in k-NN arithmetic and types). None when the
/// set runs unchanged, or cannot be translated (the engine side then reports why).
fn engine_view(set: &ScriptSet, flavor: Option<Flavor>) -> Option<(ScriptSet, Translation)> {
    if flavor != Some(Flavor::OpenSearch) || set.dialect != crate::rank::Dialect::Elasticsearch {
        return None;
    }
    let prepared = super::search::prepare_set(set, Flavor::OpenSearch, "opensearch").ok()?;
    let mut local = set.clone().with_dialect(crate::rank::Dialect::OpenSearch);
    local.query.source = prepared.query.source.clone();
    for (sort, rewritten) in local.sorts.iter_mut().zip(&prepared.sorts) {
        sort.script.source = rewritten.source.clone();
    }
    Some((local, Translation { query: prepared.query, sorts: prepared.sorts }))
}

/// Maps the positions of a translated set's diagnostics back to the scripts the user wrote.
fn map_back(outcome: &mut RankOutcome, set: &ScriptSet, translation: &Translation) {
    let rewritten_of = |file: &str| {
        if file == set.query.file_name {
            Some(&translation.query)
        } else {
            set.sorts.iter().position(|s| s.script.file_name == file).and_then(|i| translation.sorts.get(i))
        }
    };
    let fix = |d: &mut Diagnostic, r: &Rewritten| {
        let map = |x: u32| r.to_original(x as usize) as u32;
        d.span.start = map(d.span.start);
        d.span.end = map(d.span.end).max(d.span.start);
        if let Some(stmt) = d.statement.as_mut() {
            stmt.start = map(stmt.start);
            stmt.end = map(stmt.end).max(stmt.start);
        }
    };
    for failure in &mut outcome.compile_failures {
        if let Some(r) = rewritten_of(&failure.script) {
            failure.diagnostics.iter_mut().for_each(|d| fix(d, r));
            failure.source = r.original.clone();
        }
    }
    for user in &mut outcome.users {
        if let UserResult::Failed(RuntimeFailure { script, kind: FailureKind::Script { diagnostic }, .. }) = user
            && let Some(r) = rewritten_of(script)
        {
            fix(diagnostic, r);
        }
    }
}

/// Both engines on one set: what `scorelab parity`, `eval --engine both` and the loop's engine check run.
pub struct ParityRun {
    pub local: RankOutcome,
    pub engine: RankOutcome,
    pub report: DriftReport,
}

/// Ranks `set` locally (as `target` runs it) and on the engine, timing both (wall time, so the ratio is
/// what a user waits). `engine` is normally a `SearchEngine`; any `RankEngine` serves (e.g. one wrapped
/// to report progress).
#[allow(clippy::too_many_arguments)]
pub fn run_parity(
    store: &Store,
    local: &dyn RankEngine,
    engine: &dyn RankEngine,
    target: &EngineTarget,
    set: &ScriptSet,
    request: &RankRequest,
    eval: Option<&EvalContext<'_>>,
    tolerances: Tolerances,
) -> Result<ParityRun, RankError> {
    // Parity compares user by user: both sides rank every user, even after a failure.
    let request = &RankRequest { stop_at_first_failure: false, ..request.clone() };
    let local_request = RankRequest { vectors: target.arithmetic.arithmetic, ..request.clone() };
    let view = engine_view(set, target.flavor);
    let started = Instant::now();
    let mut local_outcome = match &view {
        Some((translated, _)) => local.rank(translated, &local_request)?,
        None => local.rank(set, &local_request)?,
    };
    let local_ms = started.elapsed().as_secs_f64() * 1e3;
    if let Some((_, translation)) = &view {
        map_back(&mut local_outcome, set, translation);
    }
    let started = Instant::now();
    let engine_outcome = engine.rank(set, request)?;
    let engine_ms = started.elapsed().as_secs_f64() * 1e3;
    let sort_files: Vec<String> = set.sorts.iter().map(|s| s.script.file_name.clone()).collect();
    let mut report =
        compare(store, engine.name(), request, &local_outcome, &engine_outcome, eval, &sort_files, tolerances);
    report.local_ms = local_ms;
    report.engine_ms = engine_ms;
    report.arithmetic = Some(target.arithmetic.clone());
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
