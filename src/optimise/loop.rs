//! The optimisation loop (its settings, judge and recorder are in `contract.rs`): choose a parent, ask the proposer, snapshot the proposal (before anything
//! runs), check it locally with up to three fix attempts, evaluate it on the cohort, apply the
//! objective + guardrail rule, re-score leaderboard candidates on the search engine when one is
//! configured, append one self-contained line to the run log and rewrite the summary.
//!
//! Everything the loop decides is derived from the run log itself (best so far, parents, last error),
//! so a resumed run needs no state beyond the run directory, and the built-in optimiser's per-iteration
//! random streams make a resumed run identical to an uninterrupted one. A snapshot found on disk
//! without its log line (the process died between the two) is finished, never re-proposed.

use super::contract::{
    Acceptance, AttemptLog, CandidateJudge, EvalOutcome, LoopError, LoopSettings, PARENT_OPTIONS, RunRecorder,
    SnapshotProposal,
};
use super::lineage::{Ancestor, Lineage, choose_parent, parent_options};
use super::proposer::{
    CallJournal, Failure, FailureDetail, FailureKind, FailureNote, HistoryEntry, MetricSet, ParentChoice,
    ParentChoiceContext, ParentOption, Proposal, ProposalContext, Proposed, Proposer, ProposerError, ScriptTexts,
    Usage,
};
use super::tune::{TuningRecord, coordinate_search};
use crate::metrics::PairedMetrics;
use crate::run::{IterationRecord, IterationStatus, PairedRecord, SCHEMA_VERSION, Summary, Timings, Tokens};
use std::collections::HashMap;
use std::time::Instant;

pub fn snapshot_name(iteration: u32, attempt: u32) -> String {
    if attempt == 0 { format!("iter_{iteration:03}") } else { format!("iter_{iteration:03}_fix{attempt}") }
}

pub struct OptimisationLoop<'a> {
    pub settings: LoopSettings,
    pub proposer: &'a mut dyn Proposer,
    pub judge: &'a dyn CandidateJudge,
    pub recorder: &'a mut dyn RunRecorder,
    /// What the loop has learnt about earlier candidates (`OptimisationLoop::new` starts it empty).
    pub memo: LoopMemo,
}

impl<'a> OptimisationLoop<'a> {
    /// A loop over a run, with nothing yet learnt about earlier candidates (the memo fills itself from
    /// the run's records, so this is also how a resumed run starts).
    pub fn new(
        settings: LoopSettings,
        proposer: &'a mut dyn Proposer,
        judge: &'a dyn CandidateJudge,
        recorder: &'a mut dyn RunRecorder,
    ) -> Self {
        OptimisationLoop { settings, proposer, judge, recorder, memo: LoopMemo::default() }
    }
}

/// Earlier candidates, indexed for duplicate detection; filled lazily from the run's records, so a
/// resumed run rebuilds it.
#[derive(Debug, Default)]
pub struct LoopMemo {
    /// Normalised script text -> the first iteration that had it.
    texts: HashMap<String, u32>,
    /// Probe fingerprint -> the first evaluated iteration with it.
    probes: HashMap<u64, u32>,
    /// Iterations whose text is indexed, and those whose probe fingerprint is.
    indexed: std::collections::HashSet<u32>,
    probed: std::collections::HashSet<u32>,
    /// The calls of the last parent choice (charged to the iteration it chose for).
    parent_choice_calls: CallJournal,
}

/// A script set with whitespace runs collapsed and comments removed: two candidates equal under it
/// are the same program.
pub fn normalised(scripts: &ScriptTexts) -> String {
    let mut out = String::new();
    for s in std::iter::once(&scripts.query).chain(&scripts.sort) {
        out.push_str(&normalise_source(s));
        out.push('\u{1}');
    }
    out
}

fn normalise_source(source: &str) -> String {
    let b = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let mut pending_space = false;
    while i < b.len() {
        if source[i..].starts_with("//") {
            i = source[i..].find('\n').map_or(b.len(), |n| i + n);
            continue;
        }
        if source[i..].starts_with("/*") {
            i = source[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            continue;
        }
        let c = source[i..].chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            pending_space = true;
        } else {
            if c == '"' || c == '\'' {
                // Copy string literals verbatim (whitespace inside them matters).
                let end = source[i + 1..].find(c).map_or(b.len(), |n| i + 1 + n + 1);
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&source[i..end]);
                pending_space = false;
                i = end;
                continue;
            }
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
        i += c.len_utf8();
    }
    out
}

/// How one attempt ended.
enum Judged {
    Ran {
        metrics: MetricSet,
        diagnostics: serde_json::Value,
    },
    Failed(Failure),
    /// The candidate's time budget ran out: recorded as `timeout`, with no fix attempt (another run of
    /// a candidate that slow costs as much again).
    TimedOut {
        error: serde_json::Value,
    },
}

/// A duplicate, as the model is told (it gets a fix attempt) and as the record keeps it.
fn duplicate_failure(of: u32, reason: String) -> Failure {
    Failure {
        kind: FailureKind::Duplicate,
        error: serde_json::json!({"type": "duplicate_candidate", "reason": reason, "iteration": of}),
        detail: Some(FailureDetail {
            kind: FailureKind::Duplicate,
            script: "query".into(),
            span: None,
            message: reason,
            help: None,
            item: None,
            field_values: Vec::new(),
            warnings: Vec::new(),
        }),
    }
}

impl OptimisationLoop<'_> {
    fn baseline(&self) -> Result<&IterationRecord, LoopError> {
        self.recorder.history().iter().find(|l| l.iteration == 0).ok_or(LoopError::NoBaseline)
    }

    fn baseline_metrics(&self) -> Result<MetricSet, LoopError> {
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
                status: l.status.as_str().into(),
                rationale: l.rationale.clone().unwrap_or_default(),
                metrics: l.metrics,
            })
            .collect();
        let last_error = history.iter().rev().find_map(|l| l.errors.first().cloned());
        let recent_failures = history
            .iter()
            .filter(|l| {
                matches!(
                    l.status,
                    IterationStatus::CompileError
                        | IterationStatus::RuntimeError
                        | IterationStatus::ProposerError
                        | IterationStatus::Duplicate
                )
            })
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .take(3)
            .rev()
            .map(|l| FailureNote {
                iteration: l.iteration,
                status: l.status.as_str().into(),
                reason: format!(
                    "{} (edited iteration {}): {}",
                    l.rationale.as_deref().map_or(String::new(), |r| super::prompt::truncate(r, 100)),
                    l.parent.unwrap_or(0),
                    l.errors.first().map_or("no error recorded".into(), super::prompt::one_line_error)
                ),
            })
            .collect();
        let baseline_scripts = history
            .iter()
            .find(|l| l.iteration == 0)
            .and_then(|l| self.recorder.load_scripts(&l.snapshot).ok())
            .map(|(s, _)| s);
        Ok(ProposalContext {
            recent_failures,
            baseline_scripts,
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

    /// What the proposer would be given for the next iteration, with the lineage rule's parent (no
    /// model is asked): for `loop --print-prompt`.
    pub fn preview_context(&self) -> Result<ProposalContext, LoopError> {
        let iteration = self.next_iteration();
        let parent = choose_parent(self.settings.lineage, &self.ancestors(), self.settings.seed, iteration);
        self.context(iteration, parent)
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
                        status: line.status.as_str().into(),
                        rationale: line.rationale.clone().unwrap_or_default(),
                        metrics: line.metrics,
                        picks: o.picks,
                        weighted_primary: o.weighted,
                    })
                })
                .collect(),
            hint: self.settings.hint.clone(),
        };
        let asked = self.proposer.choose_parent(&ctx);
        let spent = self.proposer.drain_journal();
        let spent_usage = spent.usage;
        self.memo.parent_choice_calls = spent;
        let asked = match asked {
            Ok(a) => a,
            Err(e) => {
                // Picking a parent is advice: a failed pick costs the tournament's choice, not the iteration.
                tracing::warn!("iteration {iteration}: the parent choice failed ({e}); using the tournament's {rule}");
                let reason = format!("the proposer's parent choice failed ({e}); the tournament chose {rule}");
                return Ok((rule, Some(ParentChoice { iteration: rule, reason, usage: spent_usage })));
            }
        };
        match asked {
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

    /// A snapshot left on disk by an interrupted run, or a fresh proposal snapshotted now (with the
    /// raw replies behind it). Every call's cost lands in `journal`, whether it succeeded or not.
    fn proposal_for(
        &mut self,
        iteration: u32,
        parent: u32,
        attempt: u32,
        choice: Option<&ParentChoice>,
        journal: &mut CallJournal,
        make: impl FnOnce(&mut dyn Proposer) -> Result<Proposed, ProposerError>,
    ) -> Result<Result<SnapshotProposal, ProposerError>, LoopError> {
        let name = snapshot_name(iteration, attempt);
        if let Some(existing) = self.recorder.existing_snapshot(&name)? {
            tracing::info!("{name}: finishing the snapshot an interrupted run left behind");
            return Ok(Ok(existing));
        }
        let made = make(&mut *self.proposer);
        journal.absorb(self.proposer.drain_journal());
        let raw_replies = journal.replies.clone();
        let proposed = match made {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let mut usage = proposed.usage;
        if let Some(c) = choice {
            usage.add(c.usage);
        }
        let mut proposal = proposed.proposal;
        // Scripts are sent with a final newline: a `//` comment on the last line is otherwise a lexer error.
        proposal.query = super::reply::with_final_newline(&proposal.query);
        proposal.sort = proposal.sort.iter().map(|s| super::reply::with_final_newline(s)).collect();
        let stored = SnapshotProposal {
            iteration,
            parent,
            attempt,
            proposer: self.proposer.name(),
            parent_reason: choice.map(|c| c.reason.clone()),
            proposal,
            usage,
            raw_replies,
        };
        self.recorder.snapshot(&name, &stored)?;
        Ok(Ok(stored))
    }

    /// Indexes every recorded candidate not indexed yet (texts always; probe fingerprints when the
    /// judge probes and `probe` is set).
    fn index_history(&mut self, probe: bool) {
        let memo = &self.memo;
        let lines: Vec<(u32, String, bool)> = self
            .recorder
            .history()
            .iter()
            .filter(|l| !l.snapshot.is_empty())
            .filter(|l| {
                !memo.indexed.contains(&l.iteration)
                    || (probe && l.metrics.is_some() && !memo.probed.contains(&l.iteration))
            })
            .map(|l| (l.iteration, l.snapshot.clone(), l.metrics.is_some()))
            .collect();
        for (iteration, snapshot, evaluated) in lines {
            let Ok((scripts, _)) = self.recorder.load_scripts(&snapshot) else { continue };
            self.memo.texts.entry(normalised(&scripts)).or_insert(iteration);
            self.memo.indexed.insert(iteration);
            if probe && evaluated {
                if let Some(fp) = self.judge.probe(&scripts) {
                    self.memo.probes.entry(fp).or_insert(iteration);
                }
                self.memo.probed.insert(iteration);
            }
        }
    }

    /// `broken` with the opening lines it dropped from `parent` put back (see `restore`), when that
    /// applies and compiles; the rationale says which lines came back. Costs no model call.
    fn restored(&self, parent: &ScriptTexts, broken: &Proposal, failure: &Failure) -> Option<Proposal> {
        if !self.settings.guards.restore_dropped_lines {
            return None;
        }
        let restored = super::restore::restore_dropped_prefix(parent, &broken.scripts(), failure)?;
        if self.judge.check(&restored.scripts).error.is_some() {
            return None;
        }
        Some(Proposal {
            rationale: format!("{} [{}]", broken.rationale, restored.note),
            query: restored.scripts.query,
            sort: restored.scripts.sort,
            genome: None,
        })
    }

    /// Checks, de-duplicates and evaluates one attempt's scripts.
    fn judge_attempt(&mut self, scripts: &ScriptTexts, timings: &mut Timings) -> Judged {
        self.index_history(false);
        if let Some(&of) = self.memo.texts.get(&normalised(scripts)) {
            let reason = format!(
                "this script set is identical to iteration {of} (ignoring whitespace and comments), which was \
                 already tried; make a real change"
            );
            return Judged::Failed(duplicate_failure(of, reason));
        }
        let started = Instant::now();
        let check = self.judge.check(scripts);
        timings.compile_ms += if check.compile_ms > 0.0 { check.compile_ms } else { ms(started) };
        if let Some(error) = check.error {
            let detail = self.judge.failure_detail(scripts);
            let kind = detail.as_ref().map_or(FailureKind::Compile, |d| d.kind);
            return Judged::Failed(Failure { kind, error, detail });
        }
        self.index_history(true);
        if let Some(fp) = self.judge.probe(scripts)
            && let Some(&of) = self.memo.probes.get(&fp)
        {
            let reason = format!(
                "this script set ranks the probe users' top 10 exactly like iteration {of}, so it cannot change \
                 the metrics (scaling or shifting the whole score keeps the order); change what is ranked higher"
            );
            return Judged::Failed(duplicate_failure(of, reason));
        }
        let started = Instant::now();
        match self.judge.evaluate(scripts) {
            EvalOutcome::RuntimeError { error, eval_ms } => {
                timings.eval_ms += if eval_ms > 0.0 { eval_ms } else { ms(started) };
                let detail = self.judge.failure_detail(scripts);
                let kind = match detail.as_ref().map(|d| d.kind) {
                    Some(FailureKind::UnsupportedLocally) => FailureKind::UnsupportedLocally,
                    _ => FailureKind::Runtime,
                };
                Judged::Failed(Failure { kind, error, detail })
            }
            EvalOutcome::Timeout { error, eval_ms } => {
                timings.eval_ms += if eval_ms > 0.0 { eval_ms } else { ms(started) };
                Judged::TimedOut { error }
            }
            EvalOutcome::Metrics { metrics, diagnostics, eval_ms } => {
                timings.eval_ms += if eval_ms > 0.0 { eval_ms } else { ms(started) };
                Judged::Ran { metrics, diagnostics }
            }
        }
    }

    /// `--tune-constants`: the candidate's literals tuned on local evaluations; returns the tuned
    /// proposal (snapshotted as `iter_NNN_tuned`), its metrics and the tuning record, or None when no
    /// literal moved.
    fn tune(
        &mut self,
        iteration: u32,
        current: &SnapshotProposal,
        metrics: MetricSet,
        timings: &mut Timings,
    ) -> Result<Option<(SnapshotProposal, MetricSet, serde_json::Value, TuningRecord)>, LoopError> {
        let budget = self.settings.guards.tune_constants;
        if budget == 0 || !self.proposer.wants_constant_tuning() {
            return Ok(None);
        }
        let obj = self.settings.objective;
        let base_guard = obj.guardrail(&self.baseline_metrics()?);
        let name = format!("{}_tuned", snapshot_name(iteration, current.attempt));
        let started = Instant::now();
        let judge = self.judge;
        let (tuned, tuned_primary, evaluations, changes) = match self.recorder.existing_snapshot(&name)? {
            // An interrupted run already tuned this candidate (tuning is deterministic).
            Some(existing) => (existing.proposal.scripts(), f64::NAN, 0, vec!["(resumed)".to_string()]),
            None => coordinate_search(&current.proposal.scripts(), obj.primary(&metrics), budget, |s| {
                match judge.evaluate(s) {
                    EvalOutcome::Metrics { metrics, .. } => {
                        Some((obj.primary(&metrics), obj.guardrail(&metrics) >= base_guard))
                    }
                    EvalOutcome::RuntimeError { .. } | EvalOutcome::Timeout { .. } => None,
                }
            }),
        };
        timings.eval_ms += ms(started);
        if changes.is_empty() {
            return Ok(None);
        }
        let EvalOutcome::Metrics { metrics: tuned_metrics, diagnostics, .. } = self.judge.evaluate(&tuned) else {
            return Ok(None);
        };
        let mut stored = current.clone();
        stored.proposal.query = tuned.query.clone();
        stored.proposal.sort = tuned.sort.clone();
        stored.proposal.rationale = format!("{} [constants tuned: {}]", current.proposal.rationale, changes.join(", "));
        stored.usage = Usage::default();
        stored.raw_replies = Vec::new();
        if self.recorder.existing_snapshot(&name)?.is_none() {
            self.recorder.snapshot(&name, &stored)?;
        }
        let record = TuningRecord {
            evaluations,
            untuned_primary: obj.primary(&metrics),
            tuned_primary: if tuned_primary.is_nan() { obj.primary(&tuned_metrics) } else { tuned_primary },
            untuned_metrics: metrics,
            changes,
        };
        Ok(Some((stored, tuned_metrics, diagnostics, record)))
    }

    /// Runs one iteration end to end and logs it; returns its record and attempt log. A proposer that
    /// fails is recorded as `proposer_error` (or, in a fix, the failure it was fixing), never an `Err`.
    pub fn run_iteration(&mut self) -> Result<(IterationRecord, Vec<AttemptLog>), LoopError> {
        let iteration = self.next_iteration();
        let mut journal = CallJournal::default();
        // An interrupted run may already have snapshotted this iteration against its parent: it is
        // re-checked before anything else (no parent choice, no model call).
        let (parent, choice) = match self.recorder.existing_snapshot(&snapshot_name(iteration, 0))? {
            Some(s) => (s.parent, None),
            None => self.pick_parent(iteration)?,
        };
        // The parent choice's calls are charged to attempt 0 (its replies are stored with its snapshot).
        let mut parent_calls = std::mem::take(&mut self.memo.parent_choice_calls);
        // What the snapshots say was spent: the only account for proposers that keep no journal (the
        // built-in optimiser, scripted proposers) and for proposals resumed from disk.
        let mut snapshot_usage = Usage::default();
        let ctx = self.context(iteration, parent)?;
        let obj = self.settings.objective;
        let max_fix = self.settings.guards.max_fix_attempts;

        let mut attempts: Vec<AttemptLog> = Vec::new();
        let mut timings = Timings::default();
        let mut previous: Option<(SnapshotProposal, Failure)> = None;
        let mut proposer_failure: Option<ProposerError> = None;
        let mut outcome: Option<(SnapshotProposal, Judged)> = None;
        for attempt in 0..=max_fix {
            let mut spent = if attempt == 0 { std::mem::take(&mut parent_calls) } else { CallJournal::default() };
            let made = match &previous {
                None => self.proposal_for(iteration, parent, 0, choice.as_ref(), &mut spent, |p| p.propose(&ctx))?,
                Some((broken, failure)) => match self.restored(&ctx.parent, &broken.proposal, failure) {
                    Some(proposal) => self.proposal_for(iteration, parent, attempt, None, &mut spent, |_| {
                        Ok(Proposed { proposal, usage: Usage::default() })
                    })?,
                    None => {
                        let (broken, failure) = (broken.proposal.clone(), failure.clone());
                        self.proposal_for(iteration, parent, attempt, None, &mut spent, |p| {
                            p.fix(&ctx, &broken, &failure, attempt)
                        })?
                    }
                },
            };
            let current = match made {
                Ok(c) => c,
                Err(e) => {
                    attempts.push(AttemptLog {
                        attempt,
                        snapshot: String::new(),
                        rationale: String::new(),
                        error: Some(proposer_error_json(&e, &spent.replies)),
                        tokens: Tokens { input: spent.usage.input_tokens, output: spent.usage.output_tokens },
                        cost_usd: spent.usage.cost_usd,
                        failure: None,
                        calls: spent.calls,
                        llm_ms: spent.llm_ms,
                        warnings: spent.warnings.clone(),
                    });
                    journal.absorb(spent);
                    proposer_failure = Some(e);
                    break;
                }
            };
            let judged = self.judge_attempt(&current.proposal.scripts(), &mut timings);
            let failure = match &judged {
                Judged::Failed(f) => Some(f.clone()),
                _ => None,
            };
            attempts.push(AttemptLog {
                attempt,
                snapshot: snapshot_name(iteration, attempt),
                rationale: current.proposal.rationale.clone(),
                error: failure.as_ref().map(|f| f.error.clone()),
                tokens: Tokens { input: spent.usage.input_tokens, output: spent.usage.output_tokens },
                cost_usd: if spent.calls > 0 { spent.usage.cost_usd } else { current.usage.cost_usd },
                failure: failure.as_ref().map(|f| f.kind),
                calls: spent.calls,
                llm_ms: spent.llm_ms,
                warnings: spent.warnings.clone(),
            });
            snapshot_usage.add(current.usage);
            journal.absorb(spent);
            match (failure, attempt < max_fix) {
                (Some(f), true) => previous = Some((current, f)),
                _ => {
                    outcome = Some((current, judged));
                    break;
                }
            }
        }

        let base_guard = obj.guardrail(&self.baseline_metrics()?);
        let (best_iteration, best_primary) = self.best()?;
        let mut record = IterationRecord {
            schema_version: SCHEMA_VERSION,
            iteration,
            parent: Some(parent),
            status: IterationStatus::ProposerError,
            rationale: None,
            snapshot: String::new(),
            metrics: None,
            diagnostics: serde_json::Value::Null,
            errors: Vec::new(),
            attempts: attempts.len() as u32,
            timings,
            tokens: Tokens::default(),
            cost_usd: 0.0,
            drift: None,
            paired: None,
            holdout: None,
            timestamp: String::new(),
            tuning: None,
        };
        // A fix call that failed leaves the failure it was fixing as the iteration's outcome.
        if outcome.is_none()
            && let Some((last, failure)) = previous.take()
        {
            outcome = Some((last, Judged::Failed(failure)));
        }
        match outcome {
            None => {
                let e = proposer_failure.as_ref().map_or("no proposal".to_string(), |e| e.to_string());
                record.rationale = Some(format!("proposer failed: {}", super::prompt::truncate(&e, 300)));
                record.errors.push(attempts.last().and_then(|a| a.error.clone()).unwrap_or_default());
            }
            Some((current, judged)) => {
                record.rationale = Some(current.proposal.rationale.clone());
                record.snapshot = snapshot_name(iteration, current.attempt);
                match judged {
                    Judged::Failed(failure) => {
                        record.status = match failure.kind {
                            FailureKind::Runtime => IterationStatus::RuntimeError,
                            FailureKind::Duplicate => IterationStatus::Duplicate,
                            // Unsupported-locally findings are counted apart in the attempt log.
                            FailureKind::Compile | FailureKind::UnsupportedLocally | FailureKind::Reply => {
                                IterationStatus::CompileError
                            }
                        };
                        record.errors.push(failure.error);
                        if let Some(e) = &proposer_failure {
                            record.errors.push(serde_json::json!({"type": "proposer_error", "reason": e.to_string()}));
                        }
                    }
                    Judged::TimedOut { error } => {
                        record.status = IterationStatus::Timeout;
                        record.errors.push(error);
                    }
                    Judged::Ran { mut metrics, mut diagnostics } => {
                        let mut scripts = current.proposal.scripts();
                        if let Some((tuned, tuned_metrics, tuned_diagnostics, tuning)) =
                            self.tune(iteration, &current, metrics, &mut record.timings)?
                        {
                            record.snapshot = format!("{}_tuned", snapshot_name(iteration, current.attempt));
                            record.rationale = Some(tuned.proposal.rationale.clone());
                            scripts = tuned.proposal.scripts();
                            metrics = tuned_metrics;
                            diagnostics = tuned_diagnostics;
                            record.tuning = Some(tuning);
                        }
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
        }
        record.timings.compile_ms = record.timings.compile_ms.max(timings.compile_ms);
        if journal.calls > 0 {
            record.timings.llm_ms = Some(journal.llm_ms);
        }
        let usage = if journal.calls > 0 { journal.usage } else { snapshot_usage };
        record.tokens = Tokens { input: usage.input_tokens, output: usage.output_tokens };
        // An unknown price is written as null by the recorder (any attempt with cost None).
        record.cost_usd = usage.cost_usd.unwrap_or(0.0);
        record.timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
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
        metrics: &MetricSet,
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

    /// Why the run must stop before another iteration: a budget is spent or the proposer failed too
    /// often in a row. None: go on.
    pub fn stop_reason(&self, started: Instant) -> Option<String> {
        let g = &self.settings.guards;
        let history = self.recorder.history();
        let tokens: u64 = history.iter().map(|l| l.tokens.input + l.tokens.output).sum();
        let cost: f64 = history.iter().map(|l| l.cost_usd).sum();
        let failing = history.iter().rev().take_while(|l| l.status == IterationStatus::ProposerError).count() as u32;
        if g.max_consecutive_failures > 0 && failing >= g.max_consecutive_failures {
            let last = history.last().and_then(|l| l.rationale.clone()).unwrap_or_default();
            return Some(format!(
                "{failing} iterations in a row got no usable proposal (--max-consecutive-failures {}); last: {last}",
                g.max_consecutive_failures
            ));
        }
        if let Some(max) = g.max_total_tokens
            && tokens >= max
        {
            return Some(format!("token budget spent: {tokens} tokens >= --max-total-tokens {max}"));
        }
        if let Some(max) = g.max_cost_usd
            && cost >= max
        {
            return Some(format!("cost budget spent: ${cost:.4} >= --max-cost-usd {max}"));
        }
        if let Some(max) = g.max_minutes {
            let minutes = started.elapsed().as_secs_f64() / 60.0;
            if minutes >= max {
                return Some(format!("time budget spent: {minutes:.1} min >= --max-minutes {max}"));
            }
        }
        None
    }

    /// Runs `iters` more iterations, rewriting the summary after each; `observe` sees every record.
    pub fn run(
        &mut self,
        iters: u32,
        mut observe: impl FnMut(&IterationRecord, &Summary),
    ) -> Result<Summary, LoopError> {
        let started = Instant::now();
        for _ in 0..iters {
            if let Some(reason) = self.stop_reason(started) {
                let summary = self.summary(&format!("stopped: {reason}"))?;
                self.recorder.write_summary(&summary)?;
                return Ok(summary);
            }
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

/// A proposer failure as recorded in an attempt log and in `errors`: the reason and the raw replies
/// (each cut to 4 KB) that could not be used.
fn proposer_error_json(e: &ProposerError, replies: &[String]) -> serde_json::Value {
    let replies: Vec<String> = replies.iter().map(|r| super::prompt::truncate(r, 4096)).collect();
    serde_json::json!({"type": "proposer_error", "reason": e.to_string(), "replies": replies})
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

#[cfg(test)]
#[path = "loop_tests.rs"]
mod tests;
