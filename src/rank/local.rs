//! The local rank engine: every non-excluded item of the catalogue is scored for every cohort user,
//! in-process, in parallel over users.
//!
//! Ordering (metrics.md): sort values in script order (each descending unless the set says asc),
//! then `_score` descending, then item ordinal ascending. Comparisons use `total_cmp` on validated
//! values, so the order is total and the top k unique.
//!
//! Sort keys dominate `_score`, so an item's sort values are needed even when its score is low: with
//! sort scripts every item is evaluated by every script (no pruning is sound), and the keys are kept
//! in a per-thread buffer so the sort-effect ablations can re-select without re-evaluating. With no
//! sort scripts a streaming top-k over `(score, ordinal)` keeps nothing per item.
//!
//! Determinism: each user is ranked sequentially by one thread, and results are collected by index
//! (rayon's indexed `collect`), so output is bit-identical at any thread count.
//!
//! Chunks: per user the scripts are bound once, then the non-excluded items are scored in chunks of
//! 512 through `BoundScorer::eval_batch`, the query over the chunk first, then each sort script over
//! the items before the query's first failure. The user's failure is the earliest by item, then by
//! script order (per item: query, then each sort script).

use super::SortOrder;
use super::outcome::{FailureKind, RankOutcome, RankRequest, RankedItem, RuntimeFailure, UserRanking, UserResult};
use super::scorer::{BatchScores, BoundScorer, UserScorer, user_params};
use super::topk::{ScoreKey, TopK, compare_score_keys};
use crate::interp::run::deadline::{self, Deadline};
use crate::painless::Diagnostic;
use crate::painless::code;
use crate::store::{ItemIdx, Store, UserIdx};
use rayon::prelude::*;
use std::cmp::Ordering;

/// A set whose scripts are compiled and ready to bind.
pub struct CompiledSet<'a> {
    pub query: Box<dyn UserScorer + 'a>,
    pub query_file: String,
    pub sorts: Vec<CompiledSort<'a>>,
}

pub struct CompiledSort<'a> {
    pub scorer: Box<dyn UserScorer + 'a>,
    pub order: SortOrder,
    pub file: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LocalEngineError {
    #[error("cannot start {threads} worker threads: {message}")]
    ThreadPool { threads: usize, message: String },
    #[error("user ordinal {0} is not in the store")]
    UnknownUser(u32),
    /// The request's deadline passed (`RankRequest::deadline`): `users_reached` users had been
    /// ranked or started when the engine stopped.
    #[error("the candidate's time budget ran out after {elapsed_ms:.0} ms ({users_reached} of {users} users reached)")]
    TimedOut { elapsed_ms: f64, users_reached: usize, users: usize },
}

/// The first wave of users when `RankRequest::stop_at_first_failure` is set (then 16, 32, ...).
const FIRST_WAVE: usize = 8;

/// Ranks on this machine over a store.
pub struct LocalEngine<'s> {
    store: &'s Store,
    /// 0 = rayon's default (one per core).
    threads: usize,
    /// The sandbox limits scripts compile and run under.
    limits: crate::interp::Limits,
}

/// Items per `eval_batch` call: long enough to amortise dispatch, short enough to stay in cache.
const RANK_CHUNK: usize = 512;

/// Per-thread buffers reused across users.
#[derive(Default)]
struct Workspace {
    /// The current chunk of items, their query values, the `_score`s sorts see, and the sort
    /// scripts' values (`num_sorts × RANK_CHUNK`).
    chunk: Vec<ItemIdx>,
    values: Vec<f64>,
    sort_scores: Vec<f64>,
    sort_chunk: Vec<f64>,
    scores: Vec<f32>,
    /// `num_items × num_sorts`, row-major by item.
    sort_values: Vec<f64>,
    candidates: Vec<u32>,
}

impl<'s> LocalEngine<'s> {
    pub fn new(store: &'s Store) -> Self {
        LocalEngine { store, threads: 0, limits: crate::interp::Limits::default() }
    }

    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Scripts compiled by this engine run under `limits` (memory budget, depth budget, ...).
    pub fn with_limits(mut self, limits: crate::interp::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits each evaluation runs under: the memory budget is the engine's, shared by its
    /// worker threads (each evaluates one script at a time), so the process stays under the budget
    /// rather than reaching threads × budget. A script's outcome can therefore depend on the thread
    /// count, but only past `budget / threads` bytes in one evaluation (32 MiB per thread at the
    /// defaults on 4 cores), which no ranking script comes near.
    pub fn limits(&self) -> crate::interp::Limits {
        let workers = if self.threads == 0 { rayon::current_num_threads() } else { self.threads };
        self.limits.shared_by(workers)
    }

    pub fn store(&self) -> &'s Store {
        self.store
    }

    /// Ranks every requested user with an already compiled set.
    pub fn rank_compiled(&self, set: &CompiledSet<'_>, request: &RankRequest) -> Result<RankOutcome, LocalEngineError> {
        if let Some(bad) = request.users.iter().find(|u| u.0 as usize >= self.store.num_users()) {
            return Err(LocalEngineError::UnknownUser(bad.0));
        }
        let start = std::time::Instant::now();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| LocalEngineError::ThreadPool { threads: self.threads, message: e.to_string() })?;
        let rank_wave = |users: &[UserIdx]| -> Vec<(UserResult, u64)> {
            pool.install(|| {
                users
                    .par_iter()
                    .map_init(Workspace::default, |ws, &user| {
                        // The deadline is per thread: each worker sets it for the users it ranks.
                        let _deadline = Deadline::enter(request.deadline);
                        if request.deadline.is_some() && deadline::expired() {
                            return (timed_out_user(set, user), 0);
                        }
                        self.rank_user(set, request, user, ws)
                    })
                    .collect()
            })
        };
        let mut results: Vec<(UserResult, u64)> = Vec::with_capacity(request.users.len());
        let mut wave = FIRST_WAVE;
        while results.len() < request.users.len() {
            let from = results.len();
            let to = if request.stop_at_first_failure {
                (from + wave).min(request.users.len())
            } else {
                request.users.len()
            };
            results.extend(rank_wave(&request.users[from..to]));
            wave = wave.saturating_mul(2);
            if results[from..].iter().any(|(r, _)| is_timeout(r)) {
                return Err(LocalEngineError::TimedOut {
                    elapsed_ms: start.elapsed().as_secs_f64() * 1e3,
                    users_reached: results.iter().filter(|(r, _)| !is_timeout(r)).count(),
                    users: request.users.len(),
                });
            }
            if request.stop_at_first_failure && results[from..].iter().any(|(r, _)| matches!(r, UserResult::Failed(_)))
            {
                break;
            }
        }
        let evaluations = results.iter().map(|(_, n)| n).sum();
        Ok(RankOutcome {
            users: results.into_iter().map(|(r, _)| r).collect(),
            compile_failures: Vec::new(),
            evaluations,
            compile_ms: 0.0,
            rank_ms: start.elapsed().as_secs_f64() * 1e3,
        })
    }

    fn rank_user(
        &self,
        set: &CompiledSet<'_>,
        request: &RankRequest,
        user: UserIdx,
        ws: &mut Workspace,
    ) -> (UserResult, u64) {
        let store = self.store;
        let params = user_params(store, user, &request.harness_params);
        let fail = |script: &str, item: Option<ItemIdx>, kind: FailureKind| {
            UserResult::Failed(RuntimeFailure { user, item, script: script.to_string(), kind })
        };
        let mut query = match set.query.bind(user, &params, store) {
            Ok(b) => b,
            Err(diagnostic) => return (fail(&set.query_file, None, FailureKind::Script { diagnostic }), 0),
        };
        let mut sorts: Vec<Box<dyn BoundScorer + '_>> = Vec::with_capacity(set.sorts.len());
        for sort in &set.sorts {
            match sort.scorer.bind(user, &params, store) {
                Ok(b) => sorts.push(b),
                Err(diagnostic) => return (fail(&sort.file, None, FailureKind::Script { diagnostic }), 0),
            }
        }
        let exclusions = store.exclusions(user);
        let num_items = store.num_items();
        let mut excluded = exclusions.iter().peekable();
        let mut evaluations = 0u64;
        // Keep k+1 so the diagnostics can see whether the cut-off fell inside a tie.
        let keep = request.k + 1;
        // The next chunk of non-excluded items, in ordinal order.
        let mut next_ordinal = 0u32;
        let mut next_chunk = |chunk: &mut Vec<ItemIdx>| {
            chunk.clear();
            while chunk.len() < RANK_CHUNK && (next_ordinal as usize) < num_items {
                let item = ItemIdx(next_ordinal);
                next_ordinal += 1;
                if excluded.next_if(|e| **e == item).is_none() {
                    chunk.push(item);
                }
            }
            !chunk.is_empty()
        };

        if sorts.is_empty() {
            let mut top = TopK::new(keep, compare_score_keys);
            while next_chunk(&mut ws.chunk) {
                if request.deadline.is_some() && deadline::expired() {
                    return (timed_out_user(set, user), evaluations);
                }
                let (scored, failure) = query_scores(&mut *query, &ws.chunk, &mut ws.values);
                evaluations += scored as u64;
                for (j, &value) in ws.values[..scored].iter().enumerate() {
                    top.push(ScoreKey { score: value as f32, ordinal: ws.chunk[j].0 });
                }
                if let Some((j, kind)) = failure {
                    evaluations += 1;
                    return (fail(&set.query_file, Some(ws.chunk[j]), kind), evaluations);
                }
            }
            let ranked: Vec<RankedItem> = top
                .sorted()
                .iter()
                .map(|k| RankedItem { item: ItemIdx(k.ordinal), score: k.score, sort_values: Vec::new() })
                .collect();
            return (UserResult::Ranked(split_next(user, ranked, request.k, Vec::new())), evaluations);
        }

        let num_sorts = sorts.len();
        ws.scores.clear();
        ws.scores.resize(num_items, 0.0);
        ws.sort_values.clear();
        ws.sort_values.resize(num_items * num_sorts, 0.0);
        ws.candidates.clear();
        while next_chunk(&mut ws.chunk) {
            if request.deadline.is_some() && deadline::expired() {
                return (timed_out_user(set, user), evaluations);
            }
            // Per item the order is: query, then each sort script; the first failure in that
            // order is the user's failure. Column-wise: the query over the chunk, then each sort
            // over the items before the query's first failure, then the earliest failure wins.
            let (scored, query_failure) = query_scores(&mut *query, &ws.chunk, &mut ws.values);
            // A sort script sees `_score` as the item's f32 score widened (painless-facts §13).
            ws.sort_scores.clear();
            ws.sort_scores.extend_from_slice(&ws.values[..scored]);
            ws.sort_chunk.resize(num_sorts * RANK_CHUNK, 0.0);
            // (index in chunk, script: 0 query, s + 1 sort s)
            let mut first_failure: Option<(usize, usize)> = query_failure.as_ref().map(|(j, _)| (*j, 0));
            let mut sort_failure: Option<(usize, usize, Diagnostic)> = None;
            for (s, sort) in sorts.iter_mut().enumerate() {
                let out = &mut ws.sort_chunk[s * RANK_CHUNK..s * RANK_CHUNK + scored];
                if let Err(f) = sort.eval_batch(&ws.chunk[..scored], BatchScores::PerItem(&ws.sort_scores), out) {
                    let at = (f.index, s + 1);
                    if first_failure.is_none_or(|cur| at < cur) {
                        first_failure = Some(at);
                        sort_failure = Some((f.index, s, f.diagnostic));
                    }
                }
            }
            let done = first_failure.map_or(ws.chunk.len(), |(j, _)| j);
            for j in 0..done {
                let ordinal = ws.chunk[j].0;
                ws.scores[ordinal as usize] = ws.values[j] as f32;
                for s in 0..num_sorts {
                    ws.sort_values[ordinal as usize * num_sorts + s] =
                        canonical_sort_value(ws.sort_chunk[s * RANK_CHUNK + j]);
                }
                ws.candidates.push(ordinal);
            }
            evaluations += (done * (1 + num_sorts)) as u64;
            if let Some((j, script)) = first_failure {
                evaluations += script as u64 + 1;
                let item = ws.chunk[j];
                return match (script, query_failure, sort_failure) {
                    (0, Some((_, kind)), _) => (fail(&set.query_file, Some(item), kind), evaluations),
                    (_, _, Some((_, s, diagnostic))) => {
                        (fail(&set.sorts[s].file, Some(item), FailureKind::Script { diagnostic }), evaluations)
                    }
                    _ => unreachable!("a failure was recorded with its script"),
                };
            }
        }
        let orders: Vec<SortOrder> = set.sorts.iter().map(|s| s.order).collect();
        let ranked: Vec<RankedItem> = select(ws, &orders, None, keep)
            .into_iter()
            .map(|ordinal| RankedItem {
                item: ItemIdx(ordinal),
                score: ws.scores[ordinal as usize],
                sort_values: ws.sort_values[ordinal as usize * num_sorts..(ordinal as usize + 1) * num_sorts].to_vec(),
            })
            .collect();
        let ablations = if request.ablate_sorts {
            (0..num_sorts)
                .map(|skip| select(ws, &orders, Some(skip), request.k).into_iter().map(ItemIdx).collect())
                .collect()
        } else {
            Vec::new()
        };
        (UserResult::Ranked(split_next(user, ranked, request.k, ablations)), evaluations)
    }
}

/// True for a user whose ranking stopped because the deadline passed (`interp::deadline`).
fn is_timeout(result: &UserResult) -> bool {
    matches!(result, UserResult::Failed(RuntimeFailure { kind: FailureKind::Script { diagnostic }, .. })
        if diagnostic.code == code::unsupported::TIMED_OUT)
}

/// A user not started because the deadline had passed.
fn timed_out_user(set: &CompiledSet<'_>, user: UserIdx) -> UserResult {
    let err = crate::interp::RuntimeError::timed_out();
    let diagnostic = Diagnostic {
        code: code::unsupported::TIMED_OUT.into(),
        severity: crate::painless::Severity::UnsupportedLocally,
        phase: crate::painless::Phase::Runtime,
        span: crate::painless::Span::default(),
        statement: None,
        es_type: err.es_type.into(),
        message: err.message,
        help: None,
        java_frames: Vec::new(),
    };
    UserResult::Failed(RuntimeFailure {
        user,
        item: None,
        script: set.query_file.clone(),
        kind: FailureKind::Script { diagnostic },
    })
}

/// Top `keep` candidate ordinals under the set's ordering, optionally ignoring sort script `skip`.
fn select(ws: &Workspace, orders: &[SortOrder], skip: Option<usize>, keep: usize) -> Vec<u32> {
    let num_sorts = orders.len();
    let compare = |a: &u32, b: &u32| -> Ordering {
        let (ai, bi) = (*a as usize, *b as usize);
        for (s, order) in orders.iter().enumerate() {
            if Some(s) == skip {
                continue;
            }
            let (x, y) = (ws.sort_values[ai * num_sorts + s], ws.sort_values[bi * num_sorts + s]);
            let ord = match order {
                SortOrder::Desc => y.total_cmp(&x),
                SortOrder::Asc => x.total_cmp(&y),
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        ws.scores[bi].total_cmp(&ws.scores[ai]).then(a.cmp(b))
    };
    let mut top = TopK::new(keep, compare);
    for &c in &ws.candidates {
        top.push(c);
    }
    top.sorted().to_vec()
}

fn split_next(user: UserIdx, mut ranked: Vec<RankedItem>, k: usize, ablations: Vec<Vec<ItemIdx>>) -> UserRanking {
    let next = if ranked.len() > k { ranked.pop() } else { None };
    UserRanking { user, items: ranked, next, ablations }
}

/// Elasticsearch's `script_score` conversion: `(float) value`, rejected when NaN or `< 0`
/// (so `-1e-50` → `-0.0f` passes). `-0.0` is folded into `0.0` because ES compares scores as
/// primitive floats, where they are equal and the doc id decides.
pub fn to_es_score(value: f64) -> Result<f32, f32> {
    let f = value as f32;
    if f.is_nan() || f < 0.0 {
        return Err(f);
    }
    Ok(f + 0.0)
}

/// Java's `Double.compare` puts every NaN above +Infinity; `total_cmp` agrees for the positive
/// quiet NaN, so every NaN is mapped to it.
fn canonical_sort_value(v: f64) -> f64 {
    if v.is_nan() { f64::NAN } else { v }
}

/// The query script's `_score` for each item of `chunk` as ES keeps it (the f32, widened, in
/// `values`), up to the first item whose search fails: how many were scored, and that failure.
fn query_scores(
    query: &mut (dyn BoundScorer + '_),
    chunk: &[ItemIdx],
    values: &mut Vec<f64>,
) -> (usize, Option<(usize, FailureKind)>) {
    values.clear();
    values.resize(chunk.len(), 0.0);
    let (evaluated, error) = match query.eval_batch(chunk, BatchScores::Same(1.0), values) {
        Ok(()) => (chunk.len(), None),
        Err(f) => (f.index, Some(f)),
    };
    for (j, value) in values.iter_mut().enumerate().take(evaluated) {
        match to_es_score(*value) {
            Ok(score) => *value = f64::from(score),
            Err(value) => return (j, Some((j, FailureKind::InvalidScore { value }))),
        }
    }
    (evaluated, error.map(|f| (f.index, FailureKind::Script { diagnostic: f.diagnostic })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn es_score_conversion() {
        assert_eq!(to_es_score(1.5), Ok(1.5));
        assert_eq!(to_es_score(-1e-50).map(|f| f.to_bits()), Ok(0.0f32.to_bits()));
        assert!(to_es_score(-0.5).is_err());
        assert!(to_es_score(f64::NAN).is_err());
        assert_eq!(to_es_score(f64::INFINITY), Ok(f32::INFINITY));
        // Beyond f32 range the cast saturates to infinity, which ES accepts.
        assert_eq!(to_es_score(1e300), Ok(f32::INFINITY));
    }
}
