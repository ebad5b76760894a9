//! What the optimisation loop is told and whom it talks to: its settings (objective, acceptance
//! rule, guards), the judge that checks and scores candidates, the recorder that keeps the run
//! directory, and the shapes they exchange. `super::r#loop` is the loop itself; `judge.rs` and
//! `record.rs` are the real judge and recorder, `loop_tests.rs` has in-memory ones.

use super::lineage::Lineage;
use super::proposer::{
    FailureDetail, FailureKind, FieldInfo, MetricSet, Proposal, ProposerError, ScriptContract, ScriptTexts, Usage,
};
use crate::metrics::{Metric, PairedMetrics};
use crate::run::{HoldoutRecord, IterationRecord, Summary, Tokens};
use serde::{Deserialize, Serialize};

/// Fix attempts after a failed check, a runtime error or a repeated candidate, per iteration (default).
pub const MAX_FIX_ATTEMPTS: u32 = 3;

/// The default `--max-consecutive-failures`: iterations in a row whose proposer failed before the run stops.
pub const MAX_CONSECUTIVE_FAILURES: u32 = 3;

/// How many candidate parents a proposer that picks its own parents is offered.
pub const PARENT_OPTIONS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    Ndcg,
    Ild,
}

impl Objective {
    pub fn parse(s: &str) -> Option<Objective> {
        match s {
            "ndcg" => Some(Objective::Ndcg),
            "ild" => Some(Objective::Ild),
            _ => None,
        }
    }
    pub fn primary_name(self) -> &'static str {
        match self {
            Objective::Ndcg => "ndcg",
            Objective::Ild => "ild",
        }
    }
    pub fn guardrail_name(self) -> &'static str {
        match self {
            Objective::Ndcg => "ild",
            Objective::Ild => "ndcg",
        }
    }
    pub fn primary(self, m: &MetricSet) -> f64 {
        match self {
            Objective::Ndcg => m.ndcg,
            Objective::Ild => m.ild,
        }
    }
    pub fn guardrail(self, m: &MetricSet) -> f64 {
        match self {
            Objective::Ndcg => m.ild,
            Objective::Ild => m.ndcg,
        }
    }
    pub fn primary_metric(self) -> Metric {
        match self {
            Objective::Ndcg => Metric::Ndcg,
            Objective::Ild => Metric::Ild,
        }
    }
    pub fn guardrail_metric(self) -> Metric {
        Metric::guardrail_for(self.primary_metric())
    }
}

/// When a candidate becomes the new best (`--accept`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Acceptance {
    /// Its mean primary beats the best so far and its mean guardrail is not below the baseline's.
    Strict,
    /// Its primary beats the best so far with paired p < alpha, and its guardrail is not significantly
    /// (p < alpha) below the baseline's. A judge without per-user figures never accepts.
    Significant { alpha: f64 },
}

/// The result of the local compile check of a whole script set.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// The first error, ES-shaped (the `error` envelope a search would return); None = compiles.
    pub error: Option<serde_json::Value>,
    /// Every finding, warnings included.
    pub diagnostics: serde_json::Value,
    pub compile_ms: f64,
}

/// The result of evaluating a compiled script set on the cohort.
#[derive(Debug, Clone)]
pub enum EvalOutcome {
    Metrics {
        metrics: MetricSet,
        diagnostics: serde_json::Value,
        eval_ms: f64,
    },
    /// Any runtime error fails the candidate, as Elasticsearch fails the whole search.
    RuntimeError {
        error: serde_json::Value,
        eval_ms: f64,
    },
    /// The candidate's time budget ran out (`--candidate-timeout`).
    Timeout {
        error: serde_json::Value,
        eval_ms: f64,
    },
}

/// The search engine's verdict on a candidate's local figures.
#[derive(Debug, Clone)]
pub struct DriftOutcome {
    pub drifted: bool,
    pub report: serde_json::Value,
    pub engine_ms: f64,
}

/// Checks and evaluates candidates on the run's fixed cohort. The loop only ever hands it scripts:
/// cohort, params and metrics stay on this side of the boundary.
pub trait CandidateJudge {
    fn check(&self, scripts: &ScriptTexts) -> CheckOutcome;
    fn evaluate(&self, scripts: &ScriptTexts) -> EvalOutcome;
    /// Re-score on the configured search engine; None when no engine is configured.
    fn drift(&self, _scripts: &ScriptTexts) -> Option<DriftOutcome> {
        None
    }
    /// Paired comparison of two evaluated script sets on the run's (selection) users; None when the
    /// judge keeps no per-user figures.
    fn paired(&self, _candidate: &ScriptTexts, _reference: &ScriptTexts) -> Option<PairedMetrics> {
        None
    }
    /// The candidate's figures on the held-out users, paired with `baseline` there; None when nothing
    /// is held out. The loop only ever writes the answer to the log: it never decides anything on it.
    fn holdout(&self, _candidate: &ScriptTexts, _baseline: &ScriptTexts) -> Option<HoldoutRecord> {
        None
    }
    /// What the proposer should be told about the failure of `scripts` (failing script and position,
    /// the checker's help and warnings, the item and field values of a runtime failure); None when
    /// the judge has nothing beyond the ES-shaped error.
    fn failure_detail(&self, _scripts: &ScriptTexts) -> Option<FailureDetail> {
        None
    }
    /// A fingerprint of the top-k lists `scripts` gives a small fixed probe slice of the cohort
    /// (None: no probe). Candidates with equal fingerprints rank the probe users identically.
    fn probe(&self, _scripts: &ScriptTexts) -> Option<u64> {
        None
    }
}

/// One proposal (or fix) as stored in an iteration snapshot's `proposal.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotProposal {
    pub iteration: u32,
    pub parent: u32,
    /// 0 for the proposal, 1..=3 for fix attempts.
    pub attempt: u32,
    pub proposer: String,
    /// Why the proposer picked this parent (evolutionary lineage, proposers that pick their own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_reason: Option<String>,
    #[serde(flatten)]
    pub proposal: Proposal,
    /// The proposal's cost, plus the parent choice's on attempt 0.
    pub usage: Usage,
    /// The model's raw replies that led to this proposal (unusable ones and retries included).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raw_replies: Vec<String>,
}

/// One attempt inside an iteration (the proposal and each fix), as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptLog {
    pub attempt: u32,
    pub snapshot: String,
    pub rationale: String,
    pub error: Option<serde_json::Value>,
    pub tokens: Tokens,
    pub cost_usd: Option<f64>,
    /// What failed: compile, unsupported_locally, runtime, duplicate (None: it ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureKind>,
    /// Model calls made for this attempt and the time spent waiting for them.
    #[serde(default)]
    pub calls: u32,
    #[serde(default)]
    pub llm_ms: f64,
    /// The provider layer's warnings (unusable replies, retried requests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoopError {
    #[error("run directory: {0}")]
    Run(String),
    #[error(transparent)]
    Proposer(#[from] ProposerError),
    #[error("run log has no baseline line (iteration 0)")]
    NoBaseline,
    #[error("iteration {iteration}: its parent's snapshot {snapshot} is unreadable: {message}")]
    Parent { iteration: u32, snapshot: String, message: String },
}

/// Where the loop keeps its records: the run directory (see `super::record` for the real one).
pub trait RunRecorder {
    /// Every logged record, iteration 0 (the baseline) first.
    fn history(&self) -> &[IterationRecord];
    /// The script set stored in a snapshot directory, with its stored proposal when there is one.
    fn load_scripts(&self, snapshot: &str) -> Result<(ScriptTexts, Option<SnapshotProposal>), LoopError>;
    /// A complete snapshot left by an interrupted run, if `snapshot` exists.
    fn existing_snapshot(&self, snapshot: &str) -> Result<Option<SnapshotProposal>, LoopError>;
    /// Write a snapshot directory once (temp name, then rename).
    fn snapshot(&mut self, snapshot: &str, proposal: &SnapshotProposal) -> Result<(), LoopError>;
    /// Append and fsync one log line: the record plus the per-attempt log (`attempt_log`).
    fn append(&mut self, record: IterationRecord, attempt_log: &[AttemptLog]) -> Result<(), LoopError>;
    /// Rewrite the summary atomically.
    fn write_summary(&mut self, summary: &Summary) -> Result<(), LoopError>;
}

/// What the loop is told about the run (fixed for its whole life).
#[derive(Debug, Clone)]
pub struct LoopSettings {
    pub objective: Objective,
    pub lineage: Lineage,
    pub seed: u64,
    pub hint: Option<String>,
    pub contract: ScriptContract,
    pub fields: Vec<FieldInfo>,
    /// How many of the best iterations the proposer sees.
    pub history_shown: usize,
    pub acceptance: Acceptance,
    /// Failure handling, budgets and constant tuning.
    pub guards: LoopGuards,
}

/// How the loop handles failures and spending.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopGuards {
    /// Fix attempts per iteration (compile, runtime, duplicate).
    pub max_fix_attempts: u32,
    /// Iterations in a row whose proposer failed before the run stops.
    pub max_consecutive_failures: u32,
    /// Stop before an iteration once the run has spent this much (all iterations, resumed ones too).
    pub max_cost_usd: Option<f64>,
    pub max_total_tokens: Option<u64>,
    /// Stop before an iteration once this invocation has run this long.
    pub max_minutes: Option<f64>,
    /// Local evaluations spent tuning the numeric literals of a candidate that runs (0: off).
    pub tune_constants: u32,
    /// Put back the parent's opening lines a reply dropped (see `restore`) before asking for a fix.
    pub restore_dropped_lines: bool,
}

impl Default for LoopGuards {
    fn default() -> Self {
        LoopGuards {
            max_fix_attempts: MAX_FIX_ATTEMPTS,
            max_consecutive_failures: MAX_CONSECUTIVE_FAILURES,
            max_cost_usd: None,
            max_total_tokens: None,
            max_minutes: None,
            tune_constants: 0,
            restore_dropped_lines: true,
        }
    }
}
