//! `SearchEngine`: the `RankEngine` that ranks on a real Elasticsearch 8.x / OpenSearch 2.x node.
//!
//! One search per cohort user (see `request.rs` for its shape), `users_per_request` of them per
//! `_msearch`, `concurrency` msearches in flight. HTTP-level 429/5xx are retried by the transport;
//! per-search 429s inside an msearch answer are resent. The script set's dialect is translated for the
//! engine once (`dialect.rs`), so every user shares one compiled script per source.
//!
//! Results come back in `RankOutcome`, like the local engine's: engine compile errors as
//! `CompileFailure`s, runtime errors and invalid scores as per-user `RuntimeFailure`s. The engine cannot
//! say which item failed (its doc id is segment-local), so `RuntimeFailure::item` is None here.

use super::dialect::{self, Rewritten};
use super::error::{EngineError, truncate};
use super::index;
use super::request::{self, EngineScripts, UserQuery};
use super::response::{self, ScriptRole, SentScripts, UserAnswer};
use super::transport::{EngineClient, Flavor, Method, Payload};
use crate::painless::diag::Phase;
use crate::rank::{
    CompileFailure, Dialect, FailureKind, RankEngine, RankError, RankOutcome, RankRequest, RankedItem, RuntimeFailure,
    ScriptSet, UserRanking, UserResult, user_params,
};
use crate::store::{ItemIdx, Store, UserIdx};
use serde_json::Value;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub index: String,
    /// Users per `_msearch` request.
    pub users_per_request: usize,
    /// `_msearch` requests in flight.
    pub concurrency: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions { index: index::DEFAULT_INDEX.into(), users_per_request: 16, concurrency: 2 }
    }
}

/// A script set translated for one engine.
#[derive(Debug, Clone)]
pub struct PreparedSet {
    pub query: Rewritten,
    pub sorts: Vec<Rewritten>,
    pub scripts: EngineScripts,
}

pub struct SearchEngine<'s> {
    client: EngineClient,
    store: &'s Store,
    options: SearchOptions,
    name: String,
    /// What the local side must reproduce: the flavor, and the arithmetic once calibrated.
    target: super::drift::EngineTarget,
}

impl<'s> SearchEngine<'s> {
    /// Checks that the index exists and was loaded from `store` (rerun `setup-indices` otherwise).
    pub fn new(client: EngineClient, store: &'s Store, options: SearchOptions) -> Result<Self, EngineError> {
        index::check_index_matches(&client, store, &options.index)?;
        let name = match client.info().flavor {
            Flavor::Elasticsearch => "elasticsearch",
            Flavor::OpenSearch => "opensearch",
        }
        .to_string();
        let target = super::drift::EngineTarget::uncalibrated(Some(client.info().flavor));
        Ok(SearchEngine { client, store, options, name, target })
    }

    /// Probes the engine's Lucene vector arithmetic (a few `script_fields` searches) and keeps it:
    /// parity runs then reproduce it locally.
    pub fn calibrate(&mut self) -> Result<&super::calibrate::ArithmeticProfile, EngineError> {
        let profile = super::calibrate::calibrate(&self.client, self.store, &self.options.index)?;
        self.target.arithmetic = profile;
        Ok(&self.target.arithmetic)
    }

    /// The flavor and arithmetic a local comparison must reproduce.
    pub fn target(&self) -> &super::drift::EngineTarget {
        &self.target
    }

    pub fn client(&self) -> &EngineClient {
        &self.client
    }

    pub fn options(&self) -> &SearchOptions {
        &self.options
    }

    /// Translates the set's vector dialect for this engine.
    pub fn prepare(&self, set: &ScriptSet) -> Result<PreparedSet, EngineError> {
        prepare_set(set, self.client.info().flavor, &self.client.info().to_string())
    }

    /// The `_search` body for one user (size k+1: the extra hit fills `UserRanking::next`).
    pub fn search_body(&self, prepared: &PreparedSet, request: &RankRequest, user: UserIdx) -> Value {
        user_search_body(self.store, prepared, request, user)
    }

    /// The `--explain` text for one user: the exact request this engine is sent.
    pub fn explain(&self, set: &ScriptSet, request: &RankRequest, user: UserIdx) -> Result<String, EngineError> {
        let target = ExplainTarget {
            engine: self.client.info().to_string(),
            flavor: self.client.info().flavor,
            url: self.client.url().to_string(),
            index: self.options.index.clone(),
        };
        explain_offline(self.store, set, request, user, &target)
    }

    /// Ranks the cohort on the engine.
    pub fn rank_set(&self, set: &ScriptSet, request: &RankRequest) -> Result<RankOutcome, EngineError> {
        let started = Instant::now();
        let prepared = self.prepare(set)?;
        let chunks: Vec<&[UserIdx]> = request.users.chunks(self.options.users_per_request.max(1)).collect();
        type Slot = Mutex<Option<Result<Vec<UserAnswer>, EngineError>>>;
        let slots: Vec<Slot> = chunks.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let workers = self.options.concurrency.clamp(1, chunks.len().max(1));
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chunk) = chunks.get(i) else { break };
                        let result = self.search_chunk(&prepared, request, chunk);
                        let failed = result.is_err();
                        if let Ok(mut slot) = slots[i].lock() {
                            *slot = Some(result);
                        }
                        if failed {
                            // Stop handing out work: the first error is what the caller sees.
                            next.store(chunks.len(), Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        let mut answers = Vec::with_capacity(request.users.len());
        for slot in slots {
            match slot.into_inner().ok().flatten() {
                Some(Ok(chunk)) => answers.extend(chunk),
                Some(Err(err)) => return Err(err),
                // Skipped because another chunk failed; that chunk's error is returned when reached.
                None => {}
            }
        }
        if answers.len() != request.users.len() {
            return Err(EngineError::BadResponse {
                url: self.client.url().into(),
                what: "msearch".into(),
                detail: format!("{} answers for {} users", answers.len(), request.users.len()),
            });
        }
        let mut outcome = self.assemble(set, request, answers)?;
        outcome.rank_ms = started.elapsed().as_secs_f64() * 1e3;
        Ok(outcome)
    }

    fn search_chunk(
        &self,
        prepared: &PreparedSet,
        request: &RankRequest,
        users: &[UserIdx],
    ) -> Result<Vec<UserAnswer>, EngineError> {
        let index = &self.options.index;
        let path = format!("/{index}/_msearch");
        let sent = SentScripts { query: &prepared.query, sorts: &prepared.sorts };
        let n_sorts = prepared.sorts.len();
        let mut answers: Vec<Option<UserAnswer>> = vec![None; users.len()];
        let mut pending: Vec<usize> = (0..users.len()).collect();
        for attempt in 0..6u32 {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(200u64 << attempt.min(5)));
            }
            let bodies: Vec<Value> = pending.iter().map(|&i| self.search_body(prepared, request, users[i])).collect();
            let payload = request::msearch_body(index, &bodies);
            let reply = self.client.send("msearch", Method::Post, &path, Payload::NdJson(&payload))?;
            if !reply.is_success() {
                return Err(super::error::classify(self.client.url(), index, "msearch", reply.status, &reply.body));
            }
            let responses = reply.body["responses"].as_array().ok_or_else(|| EngineError::BadResponse {
                url: self.client.url().into(),
                what: "msearch".into(),
                detail: truncate(&reply.body.to_string(), 300),
            })?;
            if responses.len() != pending.len() {
                return Err(EngineError::BadResponse {
                    url: self.client.url().into(),
                    what: "msearch".into(),
                    detail: format!("{} responses for {} searches", responses.len(), pending.len()),
                });
            }
            let mut again = Vec::new();
            for (&i, item) in pending.iter().zip(responses) {
                match response::parse_answer(item, &sent, n_sorts) {
                    UserAnswer::Transient { .. } => again.push(i),
                    answer => answers[i] = Some(answer),
                }
            }
            if again.is_empty() {
                return Ok(answers.into_iter().map(|a| a.expect("invariant: every pending search answered")).collect());
            }
            pending = again;
        }
        Err(EngineError::RetriesExhausted {
            url: self.client.url().into(),
            what: "msearch".into(),
            attempts: 6,
            last: format!("{} searches still rejected (429/5xx)", pending.len()),
        })
    }

    fn assemble(
        &self,
        set: &ScriptSet,
        request: &RankRequest,
        answers: Vec<UserAnswer>,
    ) -> Result<RankOutcome, EngineError> {
        let script_of = |role: ScriptRole| match role {
            ScriptRole::Query => &set.query,
            ScriptRole::Sort(n) => set.sorts.get(n).map_or(&set.query, |s| &s.script),
        };
        // A compile error fails every search the same way; report it once, as the local engine does.
        for answer in &answers {
            if let UserAnswer::Failed(failure) = answer
                && failure.diagnostic.phase == Phase::Compile
            {
                let script = script_of(failure.role);
                return Ok(RankOutcome {
                    users: Vec::new(),
                    compile_failures: vec![CompileFailure {
                        script: script.file_name.clone(),
                        source: script.source.clone(),
                        diagnostics: vec![failure.diagnostic.clone()],
                    }],
                    ..RankOutcome::default()
                });
            }
        }
        let k = request.k;
        let mut users = Vec::with_capacity(answers.len());
        for (&user, answer) in request.users.iter().zip(answers) {
            let result = match answer {
                UserAnswer::Hits(hits) => {
                    let mut items: Vec<RankedItem> = hits
                        .into_iter()
                        .map(|h| RankedItem { item: ItemIdx(h.ord), score: h.score as f32, sort_values: h.sort_values })
                        .collect();
                    let next = if items.len() > k { items.drain(k..).next() } else { None };
                    UserResult::Ranked(UserRanking { user, items, next, ablations: Vec::new() })
                }
                UserAnswer::Failed(failure) => {
                    let kind = if failure.diagnostic.code == response::CODE_ENGINE_INVALID_SCORE {
                        FailureKind::InvalidScore { value: invalid_score_value(&failure.diagnostic.message) }
                    } else {
                        FailureKind::Script { diagnostic: failure.diagnostic }
                    };
                    UserResult::Failed(RuntimeFailure {
                        user,
                        item: None,
                        script: script_of(failure.role).file_name.clone(),
                        kind,
                    })
                }
                UserAnswer::Error { status, error_type, reason } => {
                    return Err(EngineError::Http {
                        url: self.client.url().into(),
                        what: format!("search for user {}", self.store.user_id(user)),
                        status,
                        error_type,
                        reason,
                    });
                }
                UserAnswer::Transient { status, reason } => {
                    return Err(EngineError::RetriesExhausted {
                        url: self.client.url().into(),
                        what: "search".into(),
                        attempts: 6,
                        last: format!("HTTP {status}: {reason}"),
                    });
                }
            };
            users.push(result);
        }
        Ok(RankOutcome { users, ..RankOutcome::default() })
    }
}

/// Translates a set's vector dialect for an engine of `flavor` (`engine` names it in errors).
pub fn prepare_set(set: &ScriptSet, flavor: Flavor, engine: &str) -> Result<PreparedSet, EngineError> {
    let translate = |source: &str, name: &str| match (set.dialect, flavor) {
        (Dialect::Elasticsearch, _) => dialect::for_engine(source, flavor, name),
        (Dialect::OpenSearch, Flavor::OpenSearch) => Ok(Rewritten::unchanged(source)),
        (Dialect::OpenSearch, Flavor::Elasticsearch) => Err(EngineError::Dialect {
            engine: engine.into(),
            construct: "a script set written in the OpenSearch dialect".into(),
            offset: 0,
            script: name.into(),
        }),
    };
    let query = translate(&set.query.source, &set.query.file_name)?;
    let sorts =
        set.sorts.iter().map(|s| translate(&s.script.source, &s.script.file_name)).collect::<Result<Vec<_>, _>>()?;
    let scripts = EngineScripts {
        query: query.source.clone(),
        sorts: sorts.iter().zip(&set.sorts).map(|(r, s)| (r.source.clone(), s.order)).collect(),
    };
    Ok(PreparedSet { query, sorts, scripts })
}

/// The `_search` body one user's ranking becomes (size k+1: the extra hit fills `UserRanking::next`).
pub fn user_search_body(store: &Store, prepared: &PreparedSet, request: &RankRequest, user: UserIdx) -> Value {
    let params = user_params(store, user, &request.harness_params);
    let excluded: Vec<u32> = store.exclusions(user).iter().map(|i| i.0).collect();
    request::search_body(&prepared.scripts, UserQuery { params: &params, excluded_ords: &excluded }, request.k + 1)
}

/// Where an explained request would go. Built from a live client, or assumed when none is reachable
/// (`--explain` must work without a cluster).
#[derive(Debug, Clone)]
pub struct ExplainTarget {
    /// How the engine is named in the text (`opensearch 2.19.1`, or an assumption).
    pub engine: String,
    pub flavor: Flavor,
    pub url: String,
    pub index: String,
}

/// The request for one user as `SearchEngine` would send it: the set translated for the target's
/// flavor, the user's params and exclusions. Needs the store, never the engine.
pub fn explain_offline(
    store: &Store,
    set: &ScriptSet,
    request: &RankRequest,
    user: UserIdx,
    target: &ExplainTarget,
) -> Result<String, EngineError> {
    let body = explain_body(store, set, request, user, target)?;
    Ok(request::explain(&target.engine, &target.url, &target.index, store.user_id(user), &body))
}

/// The `_search` body `explain_offline` prints, for callers that want it as JSON.
pub fn explain_body(
    store: &Store,
    set: &ScriptSet,
    request: &RankRequest,
    user: UserIdx,
    target: &ExplainTarget,
) -> Result<Value, EngineError> {
    let prepared = prepare_set(set, target.flavor, &target.engine)?;
    Ok(user_search_body(store, &prepared, request, user))
}

impl RankEngine for SearchEngine<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn rank(&self, set: &ScriptSet, request: &RankRequest) -> Result<RankOutcome, RankError> {
        self.rank_set(set, request).map_err(|e| RankError::Backend { engine: self.name.clone(), source: Box::new(e) })
    }
}

/// `... returned an invalid score [-1.0] for doc ...` → -1.0 (NaN when unreadable).
fn invalid_score_value(message: &str) -> f32 {
    message
        .split_once("score [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .and_then(|(v, _)| v.parse::<f32>().ok())
        .unwrap_or(f32::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_invalid_score_value() {
        let msg = "script_score script returned an invalid score [-1.5] for doc [3]. Must be a non-negative score!";
        assert_eq!(invalid_score_value(msg), -1.5);
        assert!(invalid_score_value("script_score script returned an invalid score [NaN] for doc [0].").is_nan());
    }
}
