//! The real `CandidateJudge`: the run's `Evaluator` (fixed store, cohort, k, harness params) with a
//! rank engine (the local interpreter in practice), plus an optional search-engine drift check for
//! leaderboard candidates.
//!
//! The engine compiles and ranks in one call, so `check` evaluates the candidate and keeps the
//! result; the `evaluate` that follows for the same scripts reuses it instead of ranking twice.

use super::contract::{CandidateJudge, CheckOutcome, DriftOutcome, EvalOutcome};
use super::proposer::{FailureDetail, FailureKind, ScriptTexts, field_values};
use crate::metrics::{MetricSet, PairedMetrics, compare_metrics, paired::DEFAULT_RESAMPLES};
use crate::painless::diag::{Diagnostic, Severity};
use crate::rank::{Dialect, RankEngine, RankRequest, ScriptSet, ScriptSetError, SortOrder};
use crate::run::{CandidateOutcome, CandidateResult, Evaluator, HoldoutRecord};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

/// Re-scores a candidate on a search engine and compares it with the local figures.
pub trait DriftChecker {
    /// `Err` when the engine could not be asked (unreachable, bad request); the loop then records the
    /// error and does not crown the candidate on local figures alone.
    fn check(&self, set: &ScriptSet, local: &CandidateResult) -> Result<(bool, serde_json::Value), DriftCheckError>;
}

/// Why a candidate could not be checked on the engine.
#[derive(Debug, thiserror::Error)]
pub enum DriftCheckError {
    #[error(transparent)]
    ScriptSet(#[from] ScriptSetError),
    #[error("the candidate does not evaluate locally: {0}")]
    Local(serde_json::Value),
    #[error(transparent)]
    Engine(#[from] crate::rank::RankError),
    #[error("the parity report does not serialise: {0}")]
    Report(#[from] serde_json::Error),
}

pub struct LocalJudge<'e, 's> {
    evaluator: &'e Evaluator<'s>,
    engine: &'e dyn RankEngine,
    dialect: Dialect,
    drift: Option<Box<dyn DriftChecker + 'e>>,
    last: RefCell<Option<(ScriptTexts, CandidateResult)>>,
    /// Per-user figures of every set scored on the selection users (the paired statistics' input).
    selection_users: RefCell<HashMap<SetKey, Rc<Vec<MetricSet>>>>,
    /// The held-out users' evaluator, when the run holds users out.
    holdout: Option<&'e Evaluator<'s>>,
    holdout_users: RefCell<HashMap<SetKey, Rc<Vec<MetricSet>>>>,
    /// Seed of the paired bootstrap and randomisation draws.
    stats_seed: u64,
}

/// A script set as a map key (the query, then the sort scripts in order).
type SetKey = (String, Vec<String>);

fn key(scripts: &ScriptTexts) -> SetKey {
    (scripts.query.clone(), scripts.sort.clone())
}

/// Figures of one script set on the held-out users.
#[derive(Debug, Clone)]
pub struct HoldoutScore {
    pub per_user: Rc<Vec<MetricSet>>,
    pub metrics: MetricSet,
    pub eval_ms: f64,
}

impl<'e, 's> LocalJudge<'e, 's> {
    pub fn new(evaluator: &'e Evaluator<'s>, engine: &'e dyn RankEngine, dialect: Dialect) -> Self {
        LocalJudge {
            evaluator,
            engine,
            dialect,
            drift: None,
            last: RefCell::new(None),
            selection_users: RefCell::new(HashMap::new()),
            holdout: None,
            holdout_users: RefCell::new(HashMap::new()),
            stats_seed: evaluator.settings.seed,
        }
    }

    /// Scores accepted candidates on these held-out users as well.
    pub fn with_holdout(mut self, holdout: &'e Evaluator<'s>) -> Self {
        self.holdout = Some(holdout);
        self
    }

    /// A script set's figures on the held-out users (None without a held-out set or when the set does
    /// not score there).
    pub fn holdout_score(&self, scripts: &ScriptTexts) -> Option<HoldoutScore> {
        let evaluator = self.holdout?;
        let started = Instant::now();
        let cached = self.holdout_users.borrow().get(&key(scripts)).cloned();
        let per_user = match cached {
            Some(p) => p,
            None => {
                let set = self.set_of(scripts).ok()?;
                let result = evaluator.evaluate_with(self.engine, &set).ok()?;
                let CandidateOutcome::Scored(evaluation) = result.outcome else { return None };
                let per_user = Rc::new(evaluation.per_user.iter().map(|u| u.metrics).collect::<Vec<_>>());
                self.holdout_users.borrow_mut().insert(key(scripts), per_user.clone());
                per_user
            }
        };
        Some(HoldoutScore { metrics: MetricSet::mean(&per_user), per_user, eval_ms: elapsed_ms(started) })
    }

    /// Keeps a result the caller already computed (the baseline, scored before the loop starts), so
    /// the first paired comparison against it does not rank the selection users again.
    pub fn remember(&self, scripts: &ScriptTexts, result: &CandidateResult) {
        if let CandidateOutcome::Scored(evaluation) = &result.outcome {
            let per_user = evaluation.per_user.iter().map(|u| u.metrics).collect();
            self.selection_users.borrow_mut().insert(key(scripts), Rc::new(per_user));
        }
    }

    /// Per-user selection figures of a set (evaluated once, then remembered).
    fn selection_per_user(&self, scripts: &ScriptTexts) -> Option<Rc<Vec<MetricSet>>> {
        if let Some(cached) = self.selection_users.borrow().get(&key(scripts)) {
            return Some(cached.clone());
        }
        // Evaluated here rather than through `result`, so the candidate kept for `drift` stays cached.
        let set = self.set_of(scripts).ok()?;
        let CandidateOutcome::Scored(evaluation) = self.evaluator.evaluate_with(self.engine, &set).ok()?.outcome else {
            return None;
        };
        let per_user = Rc::new(evaluation.per_user.iter().map(|u| u.metrics).collect::<Vec<_>>());
        self.selection_users.borrow_mut().insert(key(scripts), per_user.clone());
        Some(per_user)
    }

    pub fn with_drift_checker(mut self, checker: Box<dyn DriftChecker + 'e>) -> Self {
        self.drift = Some(checker);
        self
    }

    fn set_of(&self, scripts: &ScriptTexts) -> Result<ScriptSet, ScriptSetError> {
        let mut set = ScriptSet::new(scripts.query.clone()).with_dialect(self.dialect);
        for sort in &scripts.sort {
            set = set.with_sort(sort.clone(), SortOrder::Desc)?;
        }
        Ok(set)
    }

    /// Evaluates (or reuses the evaluation of) `scripts`.
    fn result(&self, scripts: &ScriptTexts) -> Result<CandidateResult, serde_json::Value> {
        if let Some((texts, result)) = self.last.borrow().as_ref()
            && texts == scripts
        {
            return Ok(result.clone());
        }
        let set = self.set_of(scripts).map_err(|e| harness_error(&e.to_string()))?;
        let result = self.evaluator.evaluate_with(self.engine, &set).map_err(|e| harness_error(&e.to_string()))?;
        if let CandidateOutcome::Scored(evaluation) = &result.outcome {
            let per_user = evaluation.per_user.iter().map(|u| u.metrics).collect();
            self.selection_users.borrow_mut().insert(key(scripts), Rc::new(per_user));
        }
        *self.last.borrow_mut() = Some((scripts.clone(), result.clone()));
        Ok(result)
    }
}

impl LocalJudge<'_, '_> {
    /// Adds the set's compile warnings (e.g. C252, an Elasticsearch vector call site whose query changes
    /// between calls) to a scored candidate's diagnostics as `compile_warnings`, so the record, and the
    /// proposer that reads its parent's diagnostics, see them.
    fn with_compile_warnings(&self, scripts: &ScriptTexts, mut diagnostics: serde_json::Value) -> serde_json::Value {
        let Ok(set) = self.set_of(scripts) else { return diagnostics };
        let compiled = crate::rank::compile_set(&set, self.evaluator.store, &self.evaluator.settings.harness_params);
        if compiled.warnings.is_empty() {
            return diagnostics;
        }
        let warnings: Vec<serde_json::Value> = compiled
            .warnings
            .iter()
            .map(|(file, d)| {
                serde_json::json!({"script": file, "code": d.code, "message": d.message, "help": d.help,
                    "offset": d.span.start})
            })
            .collect();
        if let serde_json::Value::Object(map) = &mut diagnostics {
            map.insert("compile_warnings".into(), serde_json::Value::Array(warnings));
        } else {
            diagnostics = serde_json::json!({"compile_warnings": warnings});
        }
        diagnostics
    }
}

/// A failure of the harness itself (not of the script), shaped like the errors around it.
fn harness_error(message: &str) -> serde_json::Value {
    serde_json::json!({"type": "scorelab_exception", "reason": message})
}

impl CandidateJudge for LocalJudge<'_, '_> {
    fn check(&self, scripts: &ScriptTexts) -> CheckOutcome {
        let started = Instant::now();
        match self.result(scripts) {
            Err(error) => CheckOutcome { error: Some(error), diagnostics: serde_json::Value::Null, compile_ms: 0.0 },
            Ok(result) => {
                let compile_ms = if result.compile_ms > 0.0 { result.compile_ms } else { elapsed_ms(started) };
                match &result.outcome {
                    CandidateOutcome::CompileErrors(failures) => {
                        let set = self.set_of(scripts).unwrap_or_else(|_| ScriptSet::new(scripts.query.clone()));
                        let errors = result.es_errors(&set, usize::MAX);
                        let diagnostics: Vec<serde_json::Value> = failures
                            .iter()
                            .flat_map(|f| f.diagnostics.iter())
                            .filter_map(|d| serde_json::to_value(d).ok())
                            .collect();
                        CheckOutcome {
                            error: errors.into_iter().next().or_else(|| Some(harness_error("compile error"))),
                            diagnostics: serde_json::Value::Array(diagnostics),
                            compile_ms,
                        }
                    }
                    _ => CheckOutcome { error: None, diagnostics: serde_json::Value::Null, compile_ms },
                }
            }
        }
    }

    fn evaluate(&self, scripts: &ScriptTexts) -> EvalOutcome {
        let started = Instant::now();
        let result = match self.result(scripts) {
            Ok(r) => r,
            Err(error) => return EvalOutcome::RuntimeError { error, eval_ms: elapsed_ms(started) },
        };
        match &result.outcome {
            CandidateOutcome::Scored(evaluation) => EvalOutcome::Metrics {
                metrics: evaluation.metrics,
                diagnostics: self.with_compile_warnings(
                    scripts,
                    serde_json::to_value(&evaluation.diagnostics).unwrap_or(serde_json::Value::Null),
                ),
                eval_ms: result.eval_ms,
            },
            CandidateOutcome::TimedOut { .. } => {
                let set = self.set_of(scripts).unwrap_or_else(|_| ScriptSet::new(scripts.query.clone()));
                let error = result.es_errors(&set, 1).into_iter().next().unwrap_or(serde_json::Value::Null);
                EvalOutcome::Timeout { error, eval_ms: result.eval_ms }
            }
            CandidateOutcome::RuntimeErrors { .. } | CandidateOutcome::CompileErrors(_) => {
                let set = self.set_of(scripts).unwrap_or_else(|_| ScriptSet::new(scripts.query.clone()));
                let error = result
                    .es_errors(&set, 1)
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| harness_error("the candidate failed without an error body"));
                EvalOutcome::RuntimeError { error, eval_ms: result.eval_ms }
            }
        }
    }

    fn paired(&self, candidate: &ScriptTexts, reference: &ScriptTexts) -> Option<PairedMetrics> {
        let (c, r) = (self.selection_per_user(candidate)?, self.selection_per_user(reference)?);
        compare_metrics(&c, &r, self.stats_seed, DEFAULT_RESAMPLES).ok()
    }

    fn holdout(&self, candidate: &ScriptTexts, baseline: &ScriptTexts) -> Option<HoldoutRecord> {
        let score = self.holdout_score(candidate)?;
        let base = self.holdout_score(baseline)?;
        Some(HoldoutRecord {
            users: score.per_user.len(),
            metrics: score.metrics,
            vs_baseline: compare_metrics(&score.per_user, &base.per_user, self.stats_seed, DEFAULT_RESAMPLES).ok(),
            eval_ms: score.eval_ms,
        })
    }

    fn failure_detail(&self, scripts: &ScriptTexts) -> Option<FailureDetail> {
        let result = self.result(scripts).ok()?;
        let set = self.set_of(scripts).ok()?;
        let store = self.evaluator.store;
        match &result.outcome {
            // A timeout gets no fix attempt: there is nothing to tell the model beyond the error.
            CandidateOutcome::Scored(_) | CandidateOutcome::TimedOut { .. } => None,
            CandidateOutcome::CompileErrors(failures) => {
                let warnings: Vec<String> = failures
                    .iter()
                    .flat_map(|f| f.diagnostics.iter().filter(|d| d.severity == Severity::Warning))
                    .map(|d| d.help.as_ref().map_or(d.message.clone(), |h| format!("{} ({h})", d.message)))
                    .collect();
                let (failure, diagnostic) =
                    failures.iter().find_map(|f| f.diagnostics.iter().find(|d| d.is_error()).map(|d| (f, d)))?;
                Some(FailureDetail {
                    kind: if diagnostic.severity == Severity::UnsupportedLocally {
                        FailureKind::UnsupportedLocally
                    } else {
                        FailureKind::Compile
                    },
                    script: script_label(&set, &failure.script),
                    span: Some((diagnostic.span.start as usize, diagnostic.span.end as usize)),
                    message: diagnostic_line(diagnostic),
                    help: diagnostic.help.clone(),
                    item: None,
                    field_values: Vec::new(),
                    warnings,
                })
            }
            CandidateOutcome::RuntimeErrors { failures, .. } => {
                let failure = failures.first()?;
                let (span, message, help, unsupported) = match &failure.kind {
                    crate::rank::FailureKind::Script { diagnostic } => (
                        Some((diagnostic.span.start as usize, diagnostic.span.end as usize)),
                        diagnostic_line(diagnostic),
                        diagnostic.help.clone(),
                        diagnostic.severity == Severity::UnsupportedLocally
                            || diagnostic.es_type == crate::interp::runtime::error::es_type::UNSUPPORTED_LOCALLY,
                    ),
                    crate::rank::FailureKind::InvalidScore { value } => (
                        None,
                        crate::rank::outcome::invalid_score_reason(*value, failure.item),
                        Some("wrap the query script's result in Math.max(0.0, ...) and guard divisions".into()),
                        false,
                    ),
                };
                let vector = &store.schema().vector_field().name;
                let field_values = failure
                    .item
                    .map(|item| {
                        store
                            .schema()
                            .fields()
                            .iter()
                            .filter(|f| &f.name != vector)
                            .map(|f| {
                                let values = field_values(store, &f.name, item);
                                let shown = match values.len() {
                                    0 => "(missing)".to_string(),
                                    1 => values[0].clone(),
                                    _ => format!("[{}]", values.join(", ")),
                                };
                                (f.name.clone(), shown)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                // The checker's warnings (unknown field or param, vector calls in loops) often explain a
                // runtime failure; the compiled set kept none, so compile once more for them.
                let harness = self.evaluator.request().harness_params;
                let warnings = crate::rank::compile_set(&set, store, &harness)
                    .warnings
                    .iter()
                    .filter(|(_, d)| d.severity == Severity::Warning)
                    .map(|(file, d)| {
                        let text = d.help.as_ref().map_or(d.message.clone(), |h| format!("{} ({h})", d.message));
                        format!("{}: {text}", script_label(&set, file))
                    })
                    .collect();
                Some(FailureDetail {
                    kind: if unsupported { FailureKind::UnsupportedLocally } else { FailureKind::Runtime },
                    script: script_label(&set, &failure.script),
                    span,
                    message,
                    help,
                    item: failure.item.map(|i| store.item_id(i).to_string()),
                    field_values,
                    warnings,
                })
            }
        }
    }

    fn probe(&self, scripts: &ScriptTexts) -> Option<u64> {
        use std::hash::{Hash, Hasher};
        let set = self.set_of(scripts).ok()?;
        let mut request = self.evaluator.request();
        request.users.truncate(PROBE_USERS);
        request.ablate_sorts = false;
        let outcome = self.engine.rank(&set, &RankRequest { ..request }).ok()?;
        let rankings = outcome.rankings()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for r in rankings {
            for item in &r.items {
                item.item.0.hash(&mut h);
            }
            u32::MAX.hash(&mut h);
        }
        Some(h.finish())
    }

    fn drift(&self, scripts: &ScriptTexts) -> Option<DriftOutcome> {
        let checker = self.drift.as_ref()?;
        let started = Instant::now();
        let verdict = match (self.set_of(scripts), self.result(scripts)) {
            (Ok(set), Ok(local)) => checker.check(&set, &local),
            (Err(e), _) => Err(e.into()),
            (_, Err(e)) => Err(DriftCheckError::Local(e)),
        };
        Some(match verdict {
            Ok((drifted, report)) => DriftOutcome { drifted, report, engine_ms: elapsed_ms(started) },
            // Unverifiable is treated like drift: a candidate is never crowned on local figures alone.
            Err(error) => DriftOutcome {
                drifted: true,
                report: serde_json::json!({"error": error.to_string()}),
                engine_ms: elapsed_ms(started),
            },
        })
    }
}

/// Users of the cohort (its first ones) whose top-k lists fingerprint a candidate for duplicate detection.
pub const PROBE_USERS: usize = 24;

/// `query` or `sort N` (1-based position in the set) for a script file name.
fn script_label(set: &ScriptSet, file_name: &str) -> String {
    match set.sorts.iter().position(|s| s.script.file_name == file_name) {
        Some(i) => format!("sort {}", i + 1),
        None => "query".into(),
    }
}

/// `es_type: message`, the way a Java stack trace's first line reads.
fn diagnostic_line(d: &Diagnostic) -> String {
    format!("{}: {}", d.es_type, d.message)
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// The drift check on a real search engine: the engine helper's parity run (local and engine ranking
/// of the same set for the run's cohort, compared per user and on the metrics).
pub struct EngineDriftChecker<'e, 's> {
    pub evaluator: &'e Evaluator<'s>,
    pub local: &'e dyn RankEngine,
    pub search: crate::engine::search::SearchEngine<'s>,
}

impl DriftChecker for EngineDriftChecker<'_, '_> {
    fn check(&self, set: &ScriptSet, _local: &CandidateResult) -> Result<(bool, serde_json::Value), DriftCheckError> {
        let parity = crate::engine::drift::run_parity(
            self.evaluator.store,
            self.local,
            &self.search,
            self.search.target(),
            set,
            &self.evaluator.request(),
            Some(&self.evaluator.context),
            crate::engine::drift::Tolerances::default(),
        )?;
        let report = serde_json::to_value(&parity.report)?;
        Ok((parity.report.has_drift(), report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SyntheticOptions;
    use crate::optimise::contract::CandidateJudge;
    use crate::run::EvalSettings;
    use crate::store::synthetic_store;

    fn texts(query: &str) -> ScriptTexts {
        ScriptTexts { query: query.into(), sort: vec![] }
    }

    #[test]
    fn a_runtime_failure_names_the_line_the_item_its_field_values_and_the_warnings() {
        let store =
            synthetic_store(&SyntheticOptions { items: 120, users: 30, dims: 4, ..Default::default() }).unwrap();
        let evaluator = Evaluator::new(&store, EvalSettings { cohort_size: 8, ..EvalSettings::default() }).unwrap();
        let engine = evaluator.local_engine();
        let judge = LocalJudge::new(&evaluator, &engine, Dialect::Elasticsearch);
        // A keyword read as a number: compiles, fails on the first item it scores.
        let failing = texts("double b = Double.parseDouble(doc['brand'].value);\nreturn params.weight + b;\n");
        assert!(judge.check(&failing).error.is_none());
        assert!(matches!(judge.evaluate(&failing), EvalOutcome::RuntimeError { .. }));
        let detail = judge.failure_detail(&failing).expect("a runtime failure is described");
        assert_eq!(detail.kind, FailureKind::Runtime);
        assert_eq!(detail.script, "query");
        assert!(detail.message.contains("number_format_exception"), "{}", detail.message);
        let (start, _) = detail.span.unwrap();
        assert_eq!(failing.query[..start].matches('\n').count(), 0, "the failing line is line 1");
        let item = detail.item.clone().unwrap();
        let brand = detail.field_values.iter().find(|(k, _)| k == "brand").map(|(_, v)| v.clone()).unwrap();
        let idx = store.item_index(&item).unwrap();
        assert_eq!(brand, crate::optimise::proposer::field_values(&store, "brand", idx)[0]);
        assert!(brand.starts_with("\"brand-"), "a keyword is shown as the String it is: {brand}");
        assert!(detail.warnings.iter().any(|w| w.contains("weight")), "unknown param warned: {:?}", detail.warnings);

        // A compile error: the kind, the script and the position of the offending token.
        let broken = texts("return doc['brand'].value + ;\n");
        assert!(judge.check(&broken).error.is_some());
        let detail = judge.failure_detail(&broken).unwrap();
        assert_eq!(detail.kind, FailureKind::Compile);
        assert!(detail.span.is_some());

        // Equal rankings on the probe users, equal fingerprints; a different ranking, another one.
        let a = judge.probe(&texts("return doc['popularity'].value;\n")).unwrap();
        let b = judge.probe(&texts("return 2.0 * doc['popularity'].value + 1;\n")).unwrap();
        let c = judge.probe(&texts("return 1.0 / (1 + doc['popularity'].value);\n")).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
