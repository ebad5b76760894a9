//! The optimisation loop: choose a parent, ask the proposer, snapshot the proposal (before anything
//! runs), check it locally with up to three fix attempts, evaluate it on the cohort, apply the
//! objective + guardrail rule, re-score leaderboard candidates on the search engine when one is
//! configured, append one self-contained line to the run log and rewrite the summary.
//!
//! Everything the loop decides is derived from the run log itself (best so far, parents, last error),
//! so a resumed run needs no state beyond the run directory, and the built-in optimiser's per-iteration
//! random streams make a resumed run identical to an uninterrupted one. A snapshot found on disk
//! without its log line (the process died between the two) is finished, never re-proposed.

use super::lineage::{Ancestor, Lineage, choose_parent, parent_options};
use super::proposer::{
    FieldInfo, HistoryEntry, MetricValues, ParentChoice, ParentChoiceContext, ParentOption, Proposal, ProposalContext,
    Proposed, Proposer, ProposerError, ScriptContract, ScriptTexts, Usage,
};
use crate::metrics::{Metric, PairedMetrics};
use crate::run::{
    HoldoutRecord, IterationRecord, IterationStatus, PairedRecord, SCHEMA_VERSION, Summary, Timings, Tokens,
};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Fix attempts after a compile error, per iteration.
pub const MAX_FIX_ATTEMPTS: u32 = 3;

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
    pub fn primary(self, m: &MetricValues) -> f64 {
        match self {
            Objective::Ndcg => m.ndcg,
            Objective::Ild => m.ild,
        }
    }
    pub fn guardrail(self, m: &MetricValues) -> f64 {
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
        metrics: MetricValues,
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
}

pub fn snapshot_name(iteration: u32, attempt: u32) -> String {
    if attempt == 0 { format!("iter_{iteration:03}") } else { format!("iter_{iteration:03}_fix{attempt}") }
}

pub fn status_name(status: IterationStatus) -> &'static str {
    match status {
        IterationStatus::Baseline => "baseline",
        IterationStatus::Accepted => "accepted",
        IterationStatus::Rejected => "rejected",
        IterationStatus::GuardrailViolation => "guardrail_violation",
        IterationStatus::CompileError => "compile_error",
        IterationStatus::RuntimeError => "runtime_error",
        IterationStatus::Drift => "drift",
        IterationStatus::Timeout => "timeout",
    }
}

pub struct OptimisationLoop<'a> {
    pub settings: LoopSettings,
    pub proposer: &'a mut dyn Proposer,
    pub judge: &'a dyn CandidateJudge,
    pub recorder: &'a mut dyn RunRecorder,
}

impl OptimisationLoop<'_> {
    fn baseline(&self) -> Result<&IterationRecord, LoopError> {
        self.recorder.history().iter().find(|l| l.iteration == 0).ok_or(LoopError::NoBaseline)
    }

    fn baseline_metrics(&self) -> Result<MetricValues, LoopError> {
        self.baseline()?.metrics.ok_or(LoopError::NoBaseline)
    }

    /// The best record so far: the baseline or an accepted candidate with the highest primary.
    pub fn best(&self) -> Result<(u32, f64), LoopError> {
        let obj = self.settings.objective;
        let mut best = (0, obj.primary(&self.baseline_metrics()?));
        for line in self.recorder.history() {
            if let (IterationStatus::Accepted, Some(m)) = (line.status, line.metrics)
                && obj.primary(&m) > best.1
            {
                best = (line.iteration, obj.primary(&m));
            }
        }
        Ok(best)
    }

    pub fn summary(&self, final_message: &str) -> Result<Summary, LoopError> {
        let (best_iteration, best_primary) = self.best()?;
        let obj = self.settings.objective;
        let base_guard = obj.guardrail(&self.baseline_metrics()?);
        let best_line = self.recorder.history().iter().find(|l| l.iteration == best_iteration);
        let best_guard = best_line.and_then(|l| l.metrics).map(|m| obj.guardrail(&m)).unwrap_or(base_guard);
        Ok(Summary {
            best_iteration: Some(best_iteration),
            best_primary: Some(best_primary),
            guardrail_held: Some(best_guard >= base_guard),
            iterations_attempted: self.recorder.history().iter().filter(|l| l.iteration > 0).count() as u32,
            final_message: Some(final_message.to_string()),
            selection_vs_baseline: best_line.and_then(|l| l.paired).map(|p| p.vs_baseline),
            holdout: best_line.and_then(|l| l.holdout),
        })
    }

    /// The number the next iteration gets.
    pub fn next_iteration(&self) -> u32 {
        self.recorder.history().iter().map(|l| l.iteration).max().map_or(0, |m| m + 1)
    }

    fn ancestors(&self) -> Vec<Ancestor> {
        let obj = self.settings.objective;
        self.recorder
            .history()
            .iter()
            .map(|l| Ancestor {
                iteration: l.iteration,
                parent: l.parent,
                primary: l.metrics.map(|m| obj.primary(&m)),
                eligible: matches!(
                    l.status,
                    IterationStatus::Baseline | IterationStatus::Accepted | IterationStatus::Rejected
                ),
            })
            .collect()
    }

    fn context(&self, iteration: u32, parent: u32) -> Result<ProposalContext, LoopError> {
        let obj = self.settings.objective;
        let history = self.recorder.history();
        let parent_line = history.iter().find(|l| l.iteration == parent).ok_or(LoopError::NoBaseline)?;
        let (parent_scripts, parent_stored) = self.recorder.load_scripts(&parent_line.snapshot).map_err(|e| {
            LoopError::Parent { iteration, snapshot: parent_line.snapshot.clone(), message: e.to_string() }
        })?;
        let mut ranked: Vec<&IterationRecord> = history.iter().filter(|l| l.metrics.is_some()).collect();
        ranked.sort_by(|a, b| {
            let (pa, pb) = (a.metrics.map(|m| obj.primary(&m)), b.metrics.map(|m| obj.primary(&m)));
            pb.partial_cmp(&pa).unwrap_or(std::cmp::Ordering::Equal).then(a.iteration.cmp(&b.iteration))
        });
        let best = ranked
            .into_iter()
            .filter(|l| l.status != IterationStatus::GuardrailViolation)
            .take(self.settings.history_shown)
            .map(|l| HistoryEntry {
                iteration: l.iteration,
                parent: l.parent,
                status: status_name(l.status).into(),
                rationale: l.rationale.clone().unwrap_or_default(),
                metrics: l.metrics,
            })
            .collect();
        let last_error = history.iter().rev().find_map(|l| l.errors.first().cloned());
        Ok(ProposalContext {
            iteration,
            contract: self.settings.contract.clone(),
            fields: self.settings.fields.clone(),
            objective: obj.primary_name().into(),
            guardrail: obj.guardrail_name().into(),
            baseline: self.baseline_metrics()?,
            parent_iteration: parent,
            parent: parent_scripts,
            parent_genome: parent_stored.and_then(|s| s.proposal.genome),
            parent_metrics: parent_line.metrics,
            parent_diagnostics: super::visibility::proposer_diagnostics(&parent_line.diagnostics),
            best,
            last_error,
            hint: self.settings.hint.clone(),
            seed: self.settings.seed,
        })
    }

    /// The parent of `iteration` by the lineage rule, or, under the evolutionary lineage, the
    /// proposer's own pick among the strongest few candidates after the repeated-pick penalty (a
    /// proposer that declines, or picks something it was not offered, gets the tournament's choice).
    fn pick_parent(&mut self, iteration: u32) -> Result<(u32, Option<ParentChoice>), LoopError> {
        let ancestors = self.ancestors();
        let rule = choose_parent(self.settings.lineage, &ancestors, self.settings.seed, iteration);
        let options = parent_options(&ancestors, PARENT_OPTIONS);
        if self.settings.lineage != Lineage::Evolutionary || options.len() < 2 {
            return Ok((rule, None));
        }
        let history = self.recorder.history();
        let ctx = ParentChoiceContext {
            iteration,
            objective: self.settings.objective.primary_name().into(),
            guardrail: self.settings.objective.guardrail_name().into(),
            baseline: self.baseline_metrics()?,
            options: options
                .iter()
                .filter_map(|o| {
                    let line = history.iter().find(|l| l.iteration == o.iteration)?;
                    Some(ParentOption {
                        iteration: o.iteration,
                        status: status_name(line.status).into(),
                        rationale: line.rationale.clone().unwrap_or_default(),
                        metrics: line.metrics,
                        picks: o.picks,
                        weighted_primary: o.weighted,
                    })
                })
                .collect(),
            hint: self.settings.hint.clone(),
        };
        match self.proposer.choose_parent(&ctx)? {
            None => Ok((rule, None)),
            Some(choice) if ctx.options.iter().any(|o| o.iteration == choice.iteration) => {
                Ok((choice.iteration, Some(choice)))
            }
            Some(choice) => {
                tracing::warn!(
                    "iteration {iteration}: the proposer picked parent {} which was not offered; using {rule}",
                    choice.iteration
                );
                let reason = format!(
                    "the proposer picked iteration {}, which was not offered; the tournament chose {rule}",
                    choice.iteration
                );
                Ok((rule, Some(ParentChoice { iteration: rule, reason, usage: choice.usage })))
            }
        }
    }

    /// A snapshot left on disk by an interrupted run, or a fresh proposal snapshotted now.
    fn proposal_for(
        &mut self,
        iteration: u32,
        parent: u32,
        attempt: u32,
        choice: Option<&ParentChoice>,
        make: impl FnOnce(&mut dyn Proposer) -> Result<Proposed, ProposerError>,
    ) -> Result<SnapshotProposal, LoopError> {
        let name = snapshot_name(iteration, attempt);
        if let Some(existing) = self.recorder.existing_snapshot(&name)? {
            tracing::info!("{name}: finishing the snapshot an interrupted run left behind");
            return Ok(existing);
        }
        let proposed = make(&mut *self.proposer)?;
        let mut usage = proposed.usage;
        if let Some(c) = choice {
            usage.add(c.usage);
        }
        let stored = SnapshotProposal {
            iteration,
            parent,
            attempt,
            proposer: self.proposer.name(),
            parent_reason: choice.map(|c| c.reason.clone()),
            proposal: proposed.proposal,
            usage,
        };
        self.recorder.snapshot(&name, &stored)?;
        Ok(stored)
    }

    /// Runs one iteration end to end and logs it; returns its record and attempt log.
    pub fn run_iteration(&mut self) -> Result<(IterationRecord, Vec<AttemptLog>), LoopError> {
        let iteration = self.next_iteration();
        // An interrupted run may already have snapshotted this iteration against its parent.
        let (parent, choice) = match self.recorder.existing_snapshot(&snapshot_name(iteration, 0))? {
            Some(s) => (s.parent, None),
            None => self.pick_parent(iteration)?,
        };
        let ctx = self.context(iteration, parent)?;

        let mut usage = Usage::default();
        let mut attempts = Vec::new();
        let mut timings = Timings::default();
        let mut current = self.proposal_for(iteration, parent, 0, choice.as_ref(), |p| p.propose(&ctx))?;
        let mut check;
        loop {
            usage.add(current.usage);
            let scripts = current.proposal.scripts();
            let started = Instant::now();
            check = self.judge.check(&scripts);
            timings.compile_ms += if check.compile_ms > 0.0 { check.compile_ms } else { ms(started) };
            attempts.push(AttemptLog {
                attempt: current.attempt,
                snapshot: snapshot_name(iteration, current.attempt),
                rationale: current.proposal.rationale.clone(),
                error: check.error.clone(),
                tokens: Tokens { input: current.usage.input_tokens, output: current.usage.output_tokens },
                cost_usd: current.usage.cost_usd,
            });
            let Some(error) = check.error.clone() else { break };
            if current.attempt >= MAX_FIX_ATTEMPTS {
                break;
            }
            let attempt = current.attempt + 1;
            let broken = current.proposal.clone();
            current = self.proposal_for(iteration, parent, attempt, None, |p| p.fix(&ctx, &broken, &error, attempt))?;
        }

        let obj = self.settings.objective;
        let base_guard = obj.guardrail(&self.baseline_metrics()?);
        let (best_iteration, best_primary) = self.best()?;
        let scripts = current.proposal.scripts();
        let mut record = IterationRecord {
            schema_version: SCHEMA_VERSION,
            iteration,
            parent: Some(parent),
            status: IterationStatus::CompileError,
            rationale: Some(current.proposal.rationale.clone()),
            snapshot: snapshot_name(iteration, current.attempt),
            metrics: None,
            diagnostics: check.diagnostics.clone(),
            errors: Vec::new(),
            attempts: attempts.len() as u32,
            timings,
            tokens: Tokens { input: usage.input_tokens, output: usage.output_tokens },
            // An unknown price is written as null by the recorder (any attempt with cost None).
            cost_usd: usage.cost_usd.unwrap_or(0.0),
            drift: None,
            paired: None,
            holdout: None,
            timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        };
        if let Some(error) = check.error {
            record.errors.push(error);
        } else {
            let started = Instant::now();
            match self.judge.evaluate(&scripts) {
                EvalOutcome::RuntimeError { error, eval_ms } => {
                    record.timings.eval_ms = if eval_ms > 0.0 { eval_ms } else { ms(started) };
                    record.status = IterationStatus::RuntimeError;
                    record.errors.push(error);
                }
                EvalOutcome::Timeout { error, eval_ms } => {
                    record.timings.eval_ms = if eval_ms > 0.0 { eval_ms } else { ms(started) };
                    record.status = IterationStatus::Timeout;
                    record.errors.push(error);
                }
                EvalOutcome::Metrics { metrics, diagnostics, eval_ms } => {
                    record.timings.eval_ms = if eval_ms > 0.0 { eval_ms } else { ms(started) };
                    record.metrics = Some(metrics);
                    record.diagnostics = diagnostics;
                    record.paired = self.paired_record(&scripts, &ctx.parent, parent, best_iteration)?;
                    record.status = self.verdict(&metrics, base_guard, best_primary, record.paired.as_ref());
                    if record.status == IterationStatus::Accepted
                        && let Some(drift) = self.judge.drift(&scripts)
                    {
                        record.timings.engine_ms = Some(drift.engine_ms);
                        record.drift = Some(drift.report);
                        if drift.drifted {
                            record.status = IterationStatus::Drift;
                        }
                    }
                    if record.status == IterationStatus::Accepted {
                        // Written to the log only: nothing below reads `holdout` back.
                        let (baseline_scripts, _) = self.recorder.load_scripts(&self.baseline()?.snapshot)?;
                        record.holdout = self.judge.holdout(&scripts, &baseline_scripts);
                    }
                }
            }
        }
        self.recorder.append(record.clone(), &attempts)?;
        Ok((record, attempts))
    }

    /// Paired intervals of a candidate against the baseline, its parent and the best so far, on the
    /// selection users (None when the judge keeps no per-user figures).
    fn paired_record(
        &self,
        scripts: &ScriptTexts,
        parent_scripts: &ScriptTexts,
        parent: u32,
        best_iteration: u32,
    ) -> Result<Option<PairedRecord>, LoopError> {
        let snapshot_of = |iteration: u32| {
            self.recorder.history().iter().find(|l| l.iteration == iteration).map(|l| l.snapshot.clone())
        };
        let baseline_snapshot = self.baseline()?.snapshot.clone();
        let (baseline_scripts, _) = self.recorder.load_scripts(&baseline_snapshot)?;
        let Some(vs_baseline) = self.judge.paired(scripts, &baseline_scripts) else { return Ok(None) };
        let against = |iteration: u32, texts: Option<&ScriptTexts>| -> Result<Option<PairedMetrics>, LoopError> {
            if iteration == 0 {
                return Ok(Some(vs_baseline));
            }
            match texts {
                Some(t) => Ok(self.judge.paired(scripts, t)),
                None => match snapshot_of(iteration) {
                    Some(snapshot) => Ok(self.judge.paired(scripts, &self.recorder.load_scripts(&snapshot)?.0)),
                    None => Ok(None),
                },
            }
        };
        let vs_parent = against(parent, Some(parent_scripts))?;
        let vs_best = if best_iteration == parent { vs_parent } else { against(best_iteration, None)? };
        Ok(Some(PairedRecord { vs_baseline, vs_parent, vs_best }))
    }

    /// The acceptance rule (`LoopSettings::acceptance`) on the selection figures.
    fn verdict(
        &self,
        metrics: &MetricValues,
        base_guard: f64,
        best_primary: f64,
        paired: Option<&PairedRecord>,
    ) -> IterationStatus {
        let obj = self.settings.objective;
        match self.settings.acceptance {
            Acceptance::Strict => {
                if obj.guardrail(metrics) < base_guard {
                    IterationStatus::GuardrailViolation
                } else if obj.primary(metrics) > best_primary {
                    IterationStatus::Accepted
                } else {
                    IterationStatus::Rejected
                }
            }
            Acceptance::Significant { alpha } => {
                let Some(paired) = paired else { return IterationStatus::Rejected };
                if paired.vs_baseline.get(obj.guardrail_metric()).significantly_below(alpha) {
                    IterationStatus::GuardrailViolation
                } else if paired.vs_best.is_some_and(|b| b.get(obj.primary_metric()).significantly_above(alpha)) {
                    IterationStatus::Accepted
                } else {
                    IterationStatus::Rejected
                }
            }
        }
    }

    /// Runs `iters` more iterations, rewriting the summary after each; `observe` sees every record.
    pub fn run(
        &mut self,
        iters: u32,
        mut observe: impl FnMut(&IterationRecord, &Summary),
    ) -> Result<Summary, LoopError> {
        for _ in 0..iters {
            match self.run_iteration() {
                Ok((record, _)) => {
                    let summary = self.summary("running")?;
                    self.recorder.write_summary(&summary)?;
                    observe(&record, &summary);
                }
                Err(e) => {
                    let summary = self.summary(&format!("stopped: {e}"))?;
                    self.recorder.write_summary(&summary)?;
                    return Err(e);
                }
            }
        }
        let (best_iteration, best_primary) = self.best()?;
        let obj = self.settings.objective;
        let base = obj.primary(&self.baseline_metrics()?);
        let message = if best_iteration == 0 {
            format!("no candidate beat the baseline's {} {:.4}", obj.primary_name(), base)
        } else {
            format!(
                "best iteration {best_iteration}: {} {:.4} (baseline {:.4}, {:+.2}%)",
                obj.primary_name(),
                best_primary,
                base,
                if base > 0.0 { 100.0 * (best_primary - base) / base } else { 0.0 }
            )
        };
        let mut summary = self.summary(&message)?;
        let primary = obj.primary_metric();
        let mut message = message;
        if let Some(stat) = summary.selection_vs_baseline.as_ref().map(|p| p.get(primary)) {
            message.push_str(&format!("; selection gain {}", stat.describe()));
        }
        if let Some(holdout) = &summary.holdout {
            let base_holdout = self.baseline()?.holdout.map(|h| h.metrics.get(primary));
            message.push_str(&format!(
                "; held-out ({} users) {} {:.4}",
                holdout.users,
                obj.primary_name(),
                holdout.metrics.get(primary)
            ));
            if let Some(b) = base_holdout {
                message.push_str(&format!(" (baseline {b:.4})"));
            }
            if let Some(stat) = holdout.vs_baseline.as_ref().map(|p| p.get(primary)) {
                message.push_str(&format!(", gain {}", stat.describe()));
            }
        }
        summary.final_message = Some(message);
        self.recorder.write_summary(&summary)?;
        Ok(summary)
    }
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

#[cfg(test)]
#[path = "loop_tests.rs"]
mod tests;
