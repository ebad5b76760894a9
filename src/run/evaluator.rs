//! `Evaluator`: everything fixed for a run (store, ground truth, cohort, k, harness params) and the
//! one operation the CLI and the loop need: score a candidate script set.

use crate::metrics::{Cohort, CohortError, EvalContext, Evaluation, GroundTruth, Metric, MetricSet, MetricsError};
use crate::rank::{
    CompileFailure, CompiledSet, Dialect, LocalEngine, LocalEngineError, Params, RandomScorer, RankEngine, RankError,
    RankOutcome, RankRequest, RuntimeFailure, ScriptSet,
};
use crate::store::Store;
use serde_json::Value;
use std::time::Instant;

/// Settings that define what a figure means; recorded in meta.json.
#[derive(Debug, Clone)]
pub struct EvalSettings {
    pub k: usize,
    /// None = the dataset's relevance threshold.
    pub threshold: Option<f64>,
    pub cohort_size: usize,
    pub seed: u64,
    /// None = the dataset's diversity fields.
    pub diversity_fields: Option<Vec<String>>,
    /// Besides `user_vector`; `now` is filled from the store when absent (see [`default_now`]).
    pub harness_params: Params,
    /// Worker threads for the local engine (0 = one per core).
    pub threads: usize,
}

impl Default for EvalSettings {
    fn default() -> Self {
        EvalSettings {
            k: 10,
            threshold: None,
            cohort_size: 1000,
            seed: 42,
            diversity_fields: None,
            harness_params: Params::new(),
            threads: 0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvaluatorError {
    #[error(transparent)]
    Cohort(#[from] CohortError),
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error(transparent)]
    Rank(#[from] RankError),
    #[error("k must be at least 1")]
    ZeroK,
    #[error(
        "ILD@k is unavailable: the store has no diversity fields (it has no keyword attribute and none was \
         given), so it cannot be the {role}; re-import the data with --diversity-field FIELD (repeatable), or \
         pass --diversity-field FIELD here"
    )]
    IldUnavailable { role: &'static str },
}

impl From<LocalEngineError> for EvaluatorError {
    fn from(e: LocalEngineError) -> Self {
        EvaluatorError::Rank(RankError::Local(e))
    }
}

/// What happened to one candidate.
#[derive(Debug, Clone)]
pub enum CandidateOutcome {
    Scored(Evaluation),
    CompileErrors(Vec<CompileFailure>),
    /// At least one user failed; `failures` holds each failed user's first failure, in cohort order.
    /// Users are ranked in growing waves and ranking stops after the first wave with a failure
    /// (ES fails the whole search at the first script error), so `reached` may be below `users`.
    RuntimeErrors {
        failures: Vec<RuntimeFailure>,
        users: usize,
        reached: usize,
    },
    /// The candidate's time budget (`Evaluator::candidate_timeout`) ran out.
    TimedOut {
        budget_ms: f64,
        users_reached: usize,
        users: usize,
    },
}

#[derive(Debug, Clone)]
pub struct CandidateResult {
    pub outcome: CandidateOutcome,
    pub compile_ms: f64,
    pub eval_ms: f64,
    /// Script evaluations (query + sorts) performed.
    pub evaluations: u64,
}

impl CandidateResult {
    pub fn metrics(&self) -> Option<MetricSet> {
        match &self.outcome {
            CandidateOutcome::Scored(e) => Some(e.metrics),
            _ => None,
        }
    }

    /// ES-shaped error bodies (at most `limit` runtime failures; compile errors all).
    pub fn es_errors(&self, set: &ScriptSet, limit: usize) -> Vec<Value> {
        match &self.outcome {
            CandidateOutcome::Scored(_) => Vec::new(),
            CandidateOutcome::CompileErrors(failures) => failures
                .iter()
                .flat_map(|f| {
                    f.diagnostics.iter().filter(|d| d.is_error()).map(|d| crate::rank::es_error_json(d, &f.source))
                })
                .collect(),
            CandidateOutcome::RuntimeErrors { failures, .. } => {
                failures.iter().take(limit).map(|f| crate::rank::runtime_failure_json(f, set)).collect()
            }
            CandidateOutcome::TimedOut { budget_ms, users_reached, users } => {
                vec![timeout_json(*budget_ms, *users_reached, *users)]
            }
        }
    }
}

/// The error body recorded for a candidate whose time budget ran out: not an Elasticsearch error
/// (ES has no such budget), shaped like the harness errors around it.
pub fn timeout_json(budget_ms: f64, users_reached: usize, users: usize) -> Value {
    serde_json::json!({
        "type": "scorelab_timeout",
        "reason": format!(
            "the candidate's time budget of {:.1} s (--candidate-timeout) ran out with {users_reached} of {users} users reached",
            budget_ms / 1e3
        ),
        "budget_ms": budget_ms,
        "users_reached": users_reached,
        "users": users,
    })
}

/// The default candidate time budget when the baseline took `baseline_ms` to evaluate: 20× it,
/// at least `MIN_CANDIDATE_TIMEOUT` (a candidate may legitimately be several times slower than the
/// baseline; one 20× slower is stalling the loop).
pub fn default_candidate_timeout(baseline_ms: f64) -> std::time::Duration {
    let scaled = std::time::Duration::from_secs_f64((baseline_ms.max(0.0) * 20.0) / 1e3);
    scaled.max(MIN_CANDIDATE_TIMEOUT)
}

/// The floor of the default candidate time budget.
pub const MIN_CANDIDATE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub struct Evaluator<'s> {
    pub store: &'s Store,
    pub context: EvalContext<'s>,
    pub cohort: Cohort,
    pub settings: EvalSettings,
    /// The dataset's threshold or the override: what meta.json records.
    pub threshold: f64,
    pub diversity_fields: Vec<String>,
    /// Time budget of one candidate evaluation (None: unbounded): past it the candidate is
    /// `CandidateOutcome::TimedOut`.
    pub candidate_timeout: Option<std::time::Duration>,
    /// The sandbox limits candidates run under (`--memory-budget` sets `max_alloc_bytes`).
    pub limits: crate::interp::Limits,
    /// The vector arithmetic local ranking reproduces (calibrated on an engine, or the default).
    pub arithmetic: crate::engine::calibrate::ArithmeticProfile,
}

impl<'s> Evaluator<'s> {
    /// Ranks locally in `profile`'s vector arithmetic (the engine's, after calibration).
    pub fn with_arithmetic(mut self, profile: crate::engine::calibrate::ArithmeticProfile) -> Self {
        self.arithmetic = profile;
        self
    }

    /// Samples the cohort from the settings (a new run).
    pub fn new(store: &'s Store, settings: EvalSettings) -> Result<Self, EvaluatorError> {
        Self::build(store, settings, None)
    }

    /// Uses a recorded cohort (resuming or re-scoring a run).
    pub fn with_cohort(store: &'s Store, settings: EvalSettings, user_ids: &[String]) -> Result<Self, EvaluatorError> {
        Self::build(store, settings, Some(user_ids))
    }

    fn build(
        store: &'s Store,
        mut settings: EvalSettings,
        user_ids: Option<&[String]>,
    ) -> Result<Self, EvaluatorError> {
        if settings.k == 0 {
            return Err(EvaluatorError::ZeroK);
        }
        let threshold = settings.threshold.unwrap_or(store.settings().relevance_threshold);
        let diversity_fields =
            settings.diversity_fields.clone().unwrap_or_else(|| store.settings().diversity_fields.clone());
        if !settings.harness_params.contains_key("now")
            && let Some(now) = default_now(store)
        {
            settings.harness_params.insert("now".into(), Value::from(now));
        }
        let truth = GroundTruth::from_store(store, threshold);
        let cohort = match user_ids {
            Some(ids) => Cohort::from_ids(store, &truth, ids)?,
            None => Cohort::sample(store, &truth, settings.cohort_size, settings.seed)?,
        };
        let context = EvalContext::new(store, truth, &diversity_fields, settings.k)?;
        let arithmetic = crate::engine::calibrate::ArithmeticProfile::default_profile();
        Ok(Evaluator {
            store,
            context,
            cohort,
            settings,
            threshold,
            diversity_fields,
            candidate_timeout: None,
            limits: Default::default(),
            arithmetic,
        })
    }

    /// Refuses an objective whose primary or guardrail metric is ILD when there are no diversity fields
    /// (ILD would read 0 for every candidate, and an ILD guardrail would hold vacuously).
    pub fn require_objective(&self, primary: Metric) -> Result<(), EvaluatorError> {
        if !self.diversity_fields.is_empty() {
            return Ok(());
        }
        if primary == Metric::Ild {
            return Err(EvaluatorError::IldUnavailable { role: "objective" });
        }
        if Metric::guardrail_for(primary) == Metric::Ild {
            return Err(EvaluatorError::IldUnavailable { role: "guardrail" });
        }
        Ok(())
    }

    pub fn request(&self) -> RankRequest {
        RankRequest {
            users: self.cohort.users.clone(),
            k: self.settings.k,
            harness_params: self.settings.harness_params.clone(),
            ablate_sorts: true,
            deadline: self.candidate_timeout.map(|t| Instant::now() + t),
            stop_at_first_failure: true,
            vectors: self.arithmetic.arithmetic,
        }
    }

    pub fn local_engine(&self) -> LocalEngine<'s> {
        LocalEngine::new(self.store).with_threads(self.settings.threads).with_limits(self.limits.clone())
    }

    /// Scores a candidate with the local engine (the interpreter).
    pub fn evaluate(&self, set: &ScriptSet) -> Result<CandidateResult, EvaluatorError> {
        self.evaluate_with(&self.local_engine(), set)
    }

    /// Scores a candidate with any rank engine.
    pub fn evaluate_with(&self, engine: &dyn RankEngine, set: &ScriptSet) -> Result<CandidateResult, EvaluatorError> {
        let started = Instant::now();
        let outcome = match engine.rank(set, &self.request()) {
            Ok(outcome) => outcome,
            Err(RankError::Local(LocalEngineError::TimedOut { elapsed_ms, users_reached, users })) => {
                let budget_ms = self.candidate_timeout.map_or(elapsed_ms, |t| t.as_secs_f64() * 1e3);
                return Ok(CandidateResult {
                    outcome: CandidateOutcome::TimedOut { budget_ms, users_reached, users },
                    compile_ms: 0.0,
                    eval_ms: started.elapsed().as_secs_f64() * 1e3,
                    evaluations: 0,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let sort_files: Vec<String> = set.sorts.iter().map(|s| s.script.file_name.clone()).collect();
        Ok(self.score_outcome(outcome, &sort_files))
    }

    /// The seeded random ranking's figures on the same cohort: the scale a candidate is judged at.
    pub fn random_control(&self, seed: u64) -> Result<Evaluation, EvaluatorError> {
        let set = CompiledSet { query: Box::new(RandomScorer { seed }), query_file: "random".into(), sorts: vec![] };
        let outcome = self.local_engine().rank_compiled(&set, &self.request())?;
        let rankings = outcome.rankings().unwrap_or_default();
        Ok(self.context.evaluate(&rankings, &[]))
    }

    fn score_outcome(&self, outcome: RankOutcome, sort_files: &[String]) -> CandidateResult {
        let (compile_ms, rank_ms, evaluations) = (outcome.compile_ms, outcome.rank_ms, outcome.evaluations);
        if !outcome.compile_failures.is_empty() {
            return CandidateResult {
                outcome: CandidateOutcome::CompileErrors(outcome.compile_failures),
                compile_ms,
                eval_ms: 0.0,
                evaluations,
            };
        }
        let metrics_start = Instant::now();
        let result = match outcome.rankings() {
            Some(rankings) => CandidateOutcome::Scored(self.context.evaluate(&rankings, sort_files)),
            None => CandidateOutcome::RuntimeErrors {
                failures: outcome.runtime_failures().cloned().collect(),
                users: self.cohort.users.len(),
                reached: outcome.users.len(),
            },
        };
        CandidateResult {
            outcome: result,
            compile_ms,
            eval_ms: rank_ms + metrics_start.elapsed().as_secs_f64() * 1e3,
            evaluations,
        }
    }
}

impl super::RunMeta {
    /// The meta.json of a new run scored by `evaluator`: store, settings and cohort come from it;
    /// the baseline and summary start empty (the caller fills them once iteration 0 is scored).
    pub fn for_evaluator(
        evaluator: &Evaluator<'_>,
        objective: Metric,
        dialect: Dialect,
        max_sort_scripts: usize,
    ) -> super::RunMeta {
        let store = evaluator.store;
        super::RunMeta {
            schema_version: super::SCHEMA_VERSION,
            scorelab_version: env!("CARGO_PKG_VERSION").to_string(),
            created: super::now_rfc3339(),
            store: super::StoreRef {
                path: store.dir().map(|d| d.display().to_string()).unwrap_or_default(),
                checksum: store.checksum().to_string(),
                dataset: store.settings().name.clone(),
            },
            settings: super::RunSettings {
                k: evaluator.settings.k,
                threshold: evaluator.threshold as f32,
                cohort_size: evaluator.settings.cohort_size,
                diversity_fields: evaluator.diversity_fields.clone(),
                objective,
                guardrail: Metric::guardrail_for(objective),
                engine: "local".into(),
                dialect,
                seed: evaluator.settings.seed,
                max_sort_scripts,
                harness_params: evaluator.settings.harness_params.clone(),
            },
            cohort: super::CohortRef {
                user_ids: evaluator.cohort.user_ids.clone(),
                checksum: evaluator.cohort.checksum.clone(),
            },
            split: None,
            users_from: None,
            baseline: super::BaselineRef::default(),
            summary: super::Summary::default(),
            vector_arithmetic: Some(evaluator.arithmetic.clone()),
        }
    }
}

/// The newest timestamp in the store, in epoch seconds, the default `params.now`: recency scripts are
/// scored against the data's own present, never the wall clock. A timestamp is any numeric field whose
/// statistics read as epoch seconds or milliseconds (`FieldStats::epoch_unit`), whatever its name, and
/// every `date` field (epoch milliseconds).
pub fn default_now(store: &Store) -> Option<i64> {
    store
        .field_stats()
        .iter()
        .filter_map(|s| {
            let is_date = store.schema().field(&s.name).is_some_and(|f| f.kind == crate::data::FieldKind::Date);
            let seconds_per_unit = if is_date { 0.001 } else { s.epoch_unit()?.seconds() };
            Some(s.numeric.as_ref()?.max * seconds_per_unit)
        })
        .map(|seconds| seconds.floor() as i64)
        .max()
}
