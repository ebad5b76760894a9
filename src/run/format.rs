//! The run directory's file shapes (schema_version 1):
//! - `runs/<YYYYMMDD-HHMMSS>/meta.json`, rewritten atomically: `schema_version`, `scorelab_version`,
//!   `created` (RFC 3339, UTC), `store {path, checksum, dataset}`, `settings {k, threshold, cohort_size,
//!   diversity_fields, objective, guardrail, engine, dialect, seed, max_sort_scripts, harness_params}`,
//!   `cohort {user_ids, checksum}` (the selection set), `split {holdout_fraction, stratified_by, selection,
//!   holdout}` (absent in older runs), `baseline {metrics}`, `summary {best_iteration, best_primary,
//!   guardrail_held, iterations_attempted, final_message, selection_vs_baseline, holdout}`, `vector_arithmetic {arithmetic, source:
//!   probed|default, equivalent, probes, engine}` (absent in older runs).
//! - `runs/<ts>/run.jsonl`, one self-contained line per iteration, appended and fsynced: `schema_version`,
//!   `iteration`, `parent`, `status` ([`IterationStatus`]), `rationale`, `snapshot` (`iter_NNN`), `metrics {ndcg, recall, precision, ild}`
//!   or null, `diagnostics`, `errors` (ES-shaped JSON), `attempts`, `timings {compile_ms, eval_ms,
//!   engine_ms}`, `tokens {input, output}`, `cost_usd` (null when the price is unknown), `drift`, `paired
//!   {vs_baseline, vs_parent, vs_best}` (per metric `mean_diff, relative, ci_low, ci_high, p_value` on the
//!   selection users), `holdout {users, metrics, vs_baseline, eval_ms}` (baseline and accepted candidates
//!   only), `tuning` (LLM candidates whose constants were tuned), `timestamp`, `attempt_log` (every
//!   attempt's error, tokens, calls, LLM time and warnings).
//! - `runs/<ts>/iter_NNN/`, write-once (built under a temp name, renamed into place): the script set
//!   (`query.painless`, `sort_NN.painless`, `scriptset.json`) and `proposal.json` (`iteration`, `parent`,
//!   `attempt`, `proposer`, optional `parent_reason`, `rationale`, `query`, `sort`, optional `genome`,
//!   `usage {input_tokens, output_tokens, cost_usd}`).
//! - `runs/<ts>/loop.json`, written by `scorelab loop` and read by `--resume` and the report: `provider`,
//!   `model`, `base_url`, `objective`, `lineage`, `max_sort_scripts`, `hint`, `seed`, `baseline_dir`,
//!   `accept`, `alpha`, `edit_format`, `directions` (`optimise::session::LoopConfig`).
//!
//! Compatibility rule: fields are only ever added, each new one with a serde default, and unknown
//! fields are ignored, so every older file stays readable. A breaking change bumps
//! [`SCHEMA_VERSION`] and adds an upgrade step in `RunDir::open`.

use crate::metrics::{Metric, MetricSet, PairedMetrics};
use crate::rank::Dialect;
use serde::{Deserialize, Serialize};

/// The version written into meta.json and every run.jsonl line.
pub const SCHEMA_VERSION: u32 = 1;

/// `meta.json`: what a run is about. Rewritten atomically (temp file + rename) when the summary moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    pub schema_version: u32,
    pub scorelab_version: String,
    /// RFC 3339, UTC.
    pub created: String,
    pub store: StoreRef,
    pub settings: RunSettings,
    /// The selection set: every candidate's figures in run.jsonl `metrics` are computed on it.
    pub cohort: CohortRef,
    /// The selection / held-out split (absent in runs from before it, and equal to an in-sample run's
    /// cohort with an empty held-out set under `--holdout 0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<SplitRef>,
    /// Where the cohort came from when it is another run's recorded users (`baseline --run R --users
    /// holdout`): that run and which of its sets, with the checksums of its split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users_from: Option<UsersFromRef>,
    #[serde(default)]
    pub baseline: BaselineRef,
    #[serde(default)]
    pub summary: Summary,
    /// The Lucene vector arithmetic local scores were computed in: detected on the engine when one
    /// was probed, else the documented default (absent in runs written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector_arithmetic: Option<crate::engine::calibrate::ArithmeticProfile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreRef {
    pub path: String,
    pub checksum: String,
    /// The dataset's name (e.g. `movielens-100k`).
    #[serde(default)]
    pub dataset: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub k: usize,
    pub threshold: f32,
    pub cohort_size: usize,
    #[serde(default)]
    pub diversity_fields: Vec<String>,
    pub objective: Metric,
    pub guardrail: Metric,
    /// `local`, or the search engine that ranked (`elasticsearch`, `opensearch`).
    pub engine: String,
    #[serde(default)]
    pub dialect: Dialect,
    pub seed: u64,
    pub max_sort_scripts: usize,
    /// Extra params every script receives (e.g. `now`), exactly as passed.
    #[serde(default)]
    pub harness_params: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortRef {
    pub user_ids: Vec<String>,
    pub checksum: String,
}

/// `meta.json` `split`: which users the loop may look at and which are held out (`run::split`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitRef {
    /// The share of eligible users held out (0 = every figure is in-sample).
    pub holdout_fraction: f64,
    /// How the split was stratified (`activity_tercile`).
    pub stratified_by: String,
    pub selection: CohortRef,
    pub holdout: CohortRef,
}

/// `meta.json` `users_from`: the run whose recorded users this run scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsersFromRef {
    /// The source run's directory, as given.
    pub run: String,
    /// `selection`, `holdout` or `all`.
    pub set: String,
    /// The source run's split (absent when it predates splits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<SplitRef>,
}

/// Paired intervals of a candidate on the selection users (`metrics::paired`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedRecord {
    pub vs_baseline: PairedMetrics,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_parent: Option<PairedMetrics>,
    /// Against the best candidate before this one (what `--accept significant` decides on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_best: Option<PairedMetrics>,
}

/// Figures on the held-out users: never shown to a proposer, never used to accept or pick parents.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HoldoutRecord {
    pub users: usize,
    pub metrics: MetricSet,
    /// None on the baseline's own line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_baseline: Option<PairedMetrics>,
    /// Time spent ranking and scoring the held-out users.
    #[serde(default)]
    pub eval_ms: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BaselineRef {
    /// None until iteration 0 has been scored (or when the baseline itself failed).
    pub metrics: Option<MetricSet>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub best_iteration: Option<u32>,
    pub best_primary: Option<f64>,
    pub guardrail_held: Option<bool>,
    #[serde(default)]
    pub iterations_attempted: u32,
    #[serde(default)]
    pub final_message: Option<String>,
    /// The best candidate against the baseline on the selection users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection_vs_baseline: Option<PairedMetrics>,
    /// The best candidate on the held-out users (None when nothing is held out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<HoldoutRecord>,
}

/// Outcome of one iteration, as recorded in run.jsonl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IterationStatus {
    Baseline,
    Accepted,
    Rejected,
    GuardrailViolation,
    CompileError,
    RuntimeError,
    Drift,
    /// The candidate's time budget (`--candidate-timeout`) ran out; the loop goes on.
    Timeout,
    /// The proposer produced nothing usable (unusable replies, HTTP errors, timeouts); the loop went on.
    ProposerError,
    /// The candidate repeats an earlier one (same text after normalisation, or the same top-k lists on
    /// the probe users), so it was not evaluated in full.
    Duplicate,
}

impl IterationStatus {
    pub const ALL: [IterationStatus; 10] = [
        IterationStatus::Baseline,
        IterationStatus::Accepted,
        IterationStatus::Rejected,
        IterationStatus::GuardrailViolation,
        IterationStatus::CompileError,
        IterationStatus::RuntimeError,
        IterationStatus::Drift,
        IterationStatus::Timeout,
        IterationStatus::ProposerError,
        IterationStatus::Duplicate,
    ];

    /// The name run.jsonl records (serde's snake_case).
    pub fn as_str(self) -> &'static str {
        match self {
            IterationStatus::Baseline => "baseline",
            IterationStatus::Accepted => "accepted",
            IterationStatus::Rejected => "rejected",
            IterationStatus::GuardrailViolation => "guardrail_violation",
            IterationStatus::CompileError => "compile_error",
            IterationStatus::RuntimeError => "runtime_error",
            IterationStatus::Drift => "drift",
            IterationStatus::Timeout => "timeout",
            IterationStatus::ProposerError => "proposer_error",
            IterationStatus::Duplicate => "duplicate",
        }
    }

    /// The status a recorded name stands for, if this build knows it.
    pub fn parse(name: &str) -> Option<IterationStatus> {
        IterationStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// One self-contained line of run.jsonl.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IterationRecord {
    pub schema_version: u32,
    pub iteration: u32,
    pub parent: Option<u32>,
    pub status: IterationStatus,
    #[serde(default)]
    pub rationale: Option<String>,
    /// Directory name of the write-once snapshot (`iter_000`).
    pub snapshot: String,
    pub metrics: Option<MetricSet>,
    /// `metrics::Diagnostics` as JSON (kept untyped here so records from older versions always load).
    #[serde(default)]
    pub diagnostics: serde_json::Value,
    /// ES-shaped error bodies (compile or runtime), one per failure reported.
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub timings: Timings,
    #[serde(default)]
    pub tokens: Tokens,
    /// Written as null when a model's price is unknown; read back as 0 here.
    #[serde(default, deserialize_with = "null_as_zero")]
    pub cost_usd: f64,
    #[serde(default)]
    pub drift: Option<serde_json::Value>,
    /// Paired intervals on the selection users (every evaluated candidate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired: Option<PairedRecord>,
    /// Held-out figures: the baseline, accepted candidates (and so the final best).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<HoldoutRecord>,
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// `--tune-constants`: the untuned figures beside the tuned ones this record carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuning: Option<TuningRecord>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    #[serde(default)]
    pub compile_ms: f64,
    #[serde(default)]
    pub eval_ms: f64,
    #[serde(default)]
    pub engine_ms: Option<f64>,
    /// Time spent waiting for the proposer's model (every call of the iteration, retries included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm_ms: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    #[serde(default)]
    pub input: u64,
    #[serde(default)]
    pub output: u64,
}

fn null_as_zero<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(0.0))
}

/// `iter_NNN` for an iteration number.
pub fn snapshot_name(iteration: u32) -> String {
    format!("iter_{iteration:03}")
}

/// `Some(N)` for a directory named `iter_` + at least three digits.
pub fn parse_snapshot_name(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("iter_")?;
    if digits.len() < 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// What tuning did to a candidate, as recorded in its iteration's `tuning` key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuningRecord {
    /// Local evaluations spent.
    pub evaluations: u32,
    /// The candidate's primary metric before and after tuning.
    pub untuned_primary: f64,
    pub tuned_primary: f64,
    /// The untuned candidate's metrics, beside the tuned ones the record carries.
    pub untuned_metrics: crate::metrics::MetricSet,
    /// `script:old->new` for every literal that moved.
    pub changes: Vec<String>,
}
