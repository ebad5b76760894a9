//! What a rank engine returns: per-user top-k lists, or the failures that stop a candidate.
//! Script failures are data (the optimiser reads them), never an `Err`.

use crate::painless::Diagnostic;
use crate::painless::code;
use crate::store::{ItemIdx, UserIdx};
use serde::Serialize;
use serde_json::{Value, json};

/// What to rank.
#[derive(Debug, Clone)]
pub struct RankRequest {
    /// Cohort users, in cohort order; results come back in the same order.
    pub users: Vec<UserIdx>,
    pub k: usize,
    /// Params every script receives besides `user_vector` (e.g. `now`).
    pub harness_params: super::Params,
    /// Also rank once without each sort script (for the sort-effect diagnostic). Local engine only.
    pub ablate_sorts: bool,
    /// The candidate's time budget (`--candidate-timeout`): past it the local engine stops and
    /// reports `LocalEngineError::TimedOut`. Local engine only.
    pub deadline: Option<std::time::Instant>,
    /// Rank users in growing waves (8, 16, 32, ...) in cohort order and stop after the first wave
    /// in which a user failed: Elasticsearch fails the whole search at the first script error, so
    /// a candidate that fails on its first users is not run on all the others. The outcome then
    /// holds the users reached. Deterministic at any thread count. Local engine only.
    pub stop_at_first_failure: bool,
    /// The Lucene vector arithmetic the local engine reproduces (the target engine's, once
    /// calibrated; the documented default otherwise). Search engines ignore it.
    pub vectors: crate::interp::stdlib::vectors::VectorArithmetic,
}

impl RankRequest {
    pub fn new(users: Vec<UserIdx>, k: usize) -> Self {
        RankRequest {
            users,
            k,
            harness_params: Default::default(),
            ablate_sorts: false,
            deadline: None,
            stop_at_first_failure: false,
            vectors: Default::default(),
        }
    }
}

/// One ranked item.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedItem {
    pub item: ItemIdx,
    /// The query script's value converted like Elasticsearch does (f32, validated, -0 folded to 0).
    pub score: f32,
    /// One value per sort script, in sort order (NaN canonicalised).
    pub sort_values: Vec<f64>,
}

/// One user's result.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRanking {
    pub user: UserIdx,
    /// The top `k`, best first (shorter when fewer items could be ranked).
    pub items: Vec<RankedItem>,
    /// The item ranked `k+1`, kept to tell whether the cut-off fell inside a tie.
    pub next: Option<RankedItem>,
    /// With `ablate_sorts`: for each sort script, the top-k ranked without it.
    pub ablations: Vec<Vec<ItemIdx>>,
}

impl UserRanking {
    pub fn item_list(&self) -> Vec<ItemIdx> {
        self.items.iter().map(|r| r.item).collect()
    }

    /// True when the k-th and (k+1)-th items agree on every sort value and on `_score`, so only the
    /// ordinal tie-break decided who made the list.
    pub fn tie_at_cutoff(&self) -> bool {
        match (self.items.last(), &self.next) {
            (Some(last), Some(next)) => {
                last.score == next.score
                    && last.sort_values.len() == next.sort_values.len()
                    && last.sort_values.iter().zip(&next.sort_values).all(|(a, b)| a.total_cmp(b).is_eq())
            }
            _ => false,
        }
    }
}

/// Why a user's ranking failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FailureKind {
    /// The script raised a runtime error (or failed to bind the user's params).
    Script { diagnostic: Diagnostic },
    /// The query script returned NaN or a negative value (after the f32 cast), which ES rejects.
    InvalidScore { value: f32 },
}

/// A runtime failure of one user's ranking. ES fails the whole search at the first one, so each
/// failed user reports its first failure only.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeFailure {
    pub user: UserIdx,
    /// None when the failure happened while binding the user's params.
    pub item: Option<ItemIdx>,
    /// File name of the failing script (`query.painless`, `sort_01.painless`).
    pub script: String,
    pub kind: FailureKind,
}

impl RuntimeFailure {
    /// One-line human summary.
    pub fn summary(&self, store: &crate::store::Store) -> String {
        let user = store.user_id(self.user);
        let item = self.item.map(|i| format!(", item {}", store.item_id(i))).unwrap_or_default();
        match &self.kind {
            FailureKind::Script { diagnostic } => format!(
                "{}: user {user}{item}: {} [{}] {}",
                self.script, diagnostic.es_type, diagnostic.code, diagnostic.message
            ),
            FailureKind::InvalidScore { value } => {
                format!("{}: user {user}{item}: {}", self.script, invalid_score_reason(*value, self.item))
            }
        }
    }
}

/// ES's message for a NaN/negative `script_score` value (painless-facts §12). The doc id ES prints
/// is segment-local; locally the item ordinal stands in for it.
pub fn invalid_score_reason(value: f32, item: Option<ItemIdx>) -> String {
    format!(
        "script_score script returned an invalid score [{}] for doc [{}]. Must be a non-negative score!",
        java_float_to_string(value),
        item.map_or(0, |i| i.0)
    )
}

/// The ES search error body for a NaN/negative score: a plain `illegal_argument_exception` shard
/// failure, without the `script_exception` wrapper.
pub fn invalid_score_es_json(value: f32, item: Option<ItemIdx>) -> Value {
    plain_illegal_argument_json(&invalid_score_reason(value, item))
}

fn plain_illegal_argument_json(reason: &str) -> Value {
    let cause = json!({"type": "illegal_argument_exception", "reason": reason});
    json!({
        "error": {
            "root_cause": [cause.clone()],
            "type": "search_phase_execution_exception",
            "reason": "all shards failed",
            "phase": "query",
            "grouped": true,
            "failed_shards": [{"shard": 0, "index": ITEMS_INDEX, "node": "scorelab-local", "reason": cause}]
        },
        "status": 400
    })
}

/// Java's `Float.toString` shape: `-1.0`, `NaN`, `-Infinity`, `1.0E-5`, `1.0E10`.
pub fn java_float_to_string(v: f32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let a = v.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{v:?}");
        return if s.contains('.') { s } else { format!("{s}.0") };
    }
    let s = format!("{v:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa = if mantissa.contains('.') { mantissa.to_string() } else { format!("{mantissa}.0") };
    format!("{mantissa}E{exp}")
}

/// The ES search error body (HTTP 400 envelope) for a compile or runtime diagnostic of a script
/// with `source`, as a `_search` on the items index would return it.
pub fn es_error_json(diagnostic: &Diagnostic, source: &str) -> Value {
    crate::painless::render::render_es_search_envelope(diagnostic, source, ITEMS_INDEX)
}

/// The index name used in ES-shaped error envelopes.
pub const ITEMS_INDEX: &str = "items";

/// The ES error body for a runtime failure of `set` (the script is found by its file name).
pub fn runtime_failure_json(failure: &RuntimeFailure, set: &super::ScriptSet) -> Value {
    match &failure.kind {
        FailureKind::InvalidScore { value } => invalid_score_es_json(*value, failure.item),
        // ES reports an invalid score as a bare shard failure, not as a script_exception.
        FailureKind::Script { diagnostic } if diagnostic.code == code::runtime::INVALID_SCORE => {
            plain_illegal_argument_json(&diagnostic.message)
        }
        FailureKind::Script { diagnostic } => {
            let source = set.scripts().find(|s| s.file_name == failure.script).map_or("", |s| s.source.as_str());
            es_error_json(diagnostic, source)
        }
    }
}

/// A script that did not compile: its file name and the diagnostics (errors and warnings).
#[derive(Debug, Clone, PartialEq)]
pub struct CompileFailure {
    pub script: String,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// Per-user result, in request order.
#[derive(Debug, Clone, PartialEq)]
pub enum UserResult {
    Ranked(UserRanking),
    Failed(RuntimeFailure),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RankOutcome {
    /// Empty when the set did not compile.
    pub users: Vec<UserResult>,
    pub compile_failures: Vec<CompileFailure>,
    /// Script evaluations performed (query + sort), for throughput figures.
    pub evaluations: u64,
    /// Wall time spent compiling the set and ranking the cohort.
    pub compile_ms: f64,
    pub rank_ms: f64,
}

impl RankOutcome {
    pub fn runtime_failures(&self) -> impl Iterator<Item = &RuntimeFailure> {
        self.users.iter().filter_map(|u| match u {
            UserResult::Failed(f) => Some(f),
            UserResult::Ranked(_) => None,
        })
    }

    /// All rankings, or None if the set failed to compile or any user failed (no metrics then).
    pub fn rankings(&self) -> Option<Vec<&UserRanking>> {
        if !self.compile_failures.is_empty() {
            return None;
        }
        self.users
            .iter()
            .map(|u| match u {
                UserResult::Ranked(r) => Some(r),
                UserResult::Failed(_) => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_float_formatting() {
        assert_eq!(java_float_to_string(-1.0), "-1.0");
        assert_eq!(java_float_to_string(f32::NAN), "NaN");
        assert_eq!(java_float_to_string(-0.5), "-0.5");
        assert_eq!(java_float_to_string(-1e-5), "-1.0E-5");
        assert_eq!(java_float_to_string(-2.5e10), "-2.5E10");
        assert_eq!(java_float_to_string(f32::NEG_INFINITY), "-Infinity");
    }
}
