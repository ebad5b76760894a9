//! Loop unit tests against an in-memory recorder and a judge that reads metrics from script comments.

use super::*;
use crate::optimise::builtin::BuiltinProposer;
use crate::optimise::contract::{CheckOutcome, Objective};
use crate::optimise::fake::ScriptedProposer;
use crate::optimise::proposer::{FailureKind, FieldInfo, ParamInfo, Proposal, ScriptContract};
use crate::run::HoldoutRecord;
use std::collections::BTreeMap;

#[derive(Default)]
struct MemoryRecorder {
    lines: Vec<IterationRecord>,
    attempt_logs: Vec<Vec<AttemptLog>>,
    snapshots: BTreeMap<String, SnapshotProposal>,
    summaries: Vec<Summary>,
}

impl MemoryRecorder {
    fn with_baseline(ndcg: f64, ild: f64) -> Self {
        let mut r = MemoryRecorder::default();
        r.snapshots.insert(
            "iter_000".into(),
            SnapshotProposal {
                iteration: 0,
                parent: 0,
                attempt: 0,
                proposer: "baseline".into(),
                parent_reason: None,
                proposal: Proposal {
                    rationale: "baseline".into(),
                    query: "return 1.0;".into(),
                    sort: vec![],
                    genome: None,
                },
                usage: Usage::default(),
                raw_replies: vec![],
            },
        );
        r.lines.push(IterationRecord {
            schema_version: 1,
            iteration: 0,
            parent: None,
            status: IterationStatus::Baseline,
            rationale: Some("baseline".into()),
            snapshot: "iter_000".into(),
            metrics: Some(MetricSet { ndcg, recall: 0.1, precision: 0.1, ild }),
            diagnostics: serde_json::json!({"coverage": 0.1}),
            errors: vec![],
            attempts: 1,
            timings: Timings::default(),
            tokens: Tokens::default(),
            cost_usd: 0.0,
            drift: None,
            paired: None,
            holdout: None,
            timestamp: "t".into(),
            tuning: None,
        });
        r
    }
}

impl RunRecorder for MemoryRecorder {
    fn history(&self) -> &[IterationRecord] {
        &self.lines
    }
    fn load_scripts(&self, snapshot: &str) -> Result<(ScriptTexts, Option<SnapshotProposal>), LoopError> {
        let s = self.snapshots.get(snapshot).ok_or_else(|| LoopError::Run(format!("no {snapshot}")))?;
        Ok((s.proposal.scripts(), Some(s.clone())))
    }
    fn existing_snapshot(&self, snapshot: &str) -> Result<Option<SnapshotProposal>, LoopError> {
        Ok(self.snapshots.get(snapshot).cloned())
    }
    fn snapshot(&mut self, snapshot: &str, proposal: &SnapshotProposal) -> Result<(), LoopError> {
        if self.snapshots.insert(snapshot.into(), proposal.clone()).is_some() {
            return Err(LoopError::Run(format!("{snapshot} written twice")));
        }
        Ok(())
    }
    fn append(&mut self, line: IterationRecord, attempts: &[AttemptLog]) -> Result<(), LoopError> {
        self.lines.push(line);
        self.attempt_logs.push(attempts.to_vec());
        Ok(())
    }
    fn write_summary(&mut self, summary: &Summary) -> Result<(), LoopError> {
        self.summaries.push(summary.clone());
        Ok(())
    }
}

/// Reads `// ndcg=0.3 ild=0.5` from the query; `BROKEN` fails the check, `RUNTIME` fails evaluation.
struct CommentJudge;

fn value_of(src: &str, key: &str) -> f64 {
    src.split_whitespace().find_map(|w| w.strip_prefix(&format!("{key}=")).and_then(|v| v.parse().ok())).unwrap_or(0.0)
}

impl CandidateJudge for CommentJudge {
    fn check(&self, scripts: &ScriptTexts) -> CheckOutcome {
        let error = scripts.query.contains("BROKEN").then(|| {
            serde_json::json!({"type": "script_exception", "reason": "compile error",
                "caused_by": {"type": "illegal_argument_exception", "reason": "cannot resolve symbol [BROKEN]"}})
        });
        CheckOutcome { error, diagnostics: serde_json::json!([]), compile_ms: 0.5 }
    }
    fn evaluate(&self, scripts: &ScriptTexts) -> EvalOutcome {
        if scripts.query.contains("RUNTIME") {
            return EvalOutcome::RuntimeError {
                error: serde_json::json!({"type": "script_exception", "reason": "runtime error"}),
                eval_ms: 1.0,
            };
        }
        let q = &scripts.query;
        EvalOutcome::Metrics {
            metrics: MetricSet { ndcg: value_of(q, "ndcg"), recall: 0.2, precision: 0.1, ild: value_of(q, "ild") },
            diagnostics: serde_json::json!({"coverage": 0.2}),
            eval_ms: 2.0,
        }
    }
}

fn settings(lineage: Lineage) -> LoopSettings {
    LoopSettings {
        objective: Objective::Ndcg,
        lineage,
        acceptance: Acceptance::Strict,
        seed: 42,
        hint: Some("try popularity".into()),
        contract: ScriptContract {
            params: vec![ParamInfo { name: "user_vector".into(), description: "rows".into() }],
            vector_field: "item_vector".into(),
            user_rows: 2,
            dims: 4,
            max_sort_scripts: 5,
            dialect: "es8".into(),
        },
        fields: vec![FieldInfo {
            name: "popularity".into(),
            kind: "long".into(),
            multi_valued: false,
            may_be_missing: false,
            examples: vec![],
            stats: None,
        }],
        history_shown: 5,
        guards: Default::default(),
    }
}

/// A proposal; a query that is only a comment (the `CommentJudge`'s figures) gets the comment repeated
/// as a string statement, so different figures are different programs to the duplicate check.
fn p(rationale: &str, query: &str) -> Proposal {
    let query = if normalise_source(query).is_empty() { format!("{query}\n'{}';", query.trim()) } else { query.into() };
    Proposal { rationale: rationale.into(), query, sort: vec![], genome: None }
}

#[test]
fn scripted_run_covers_fix_runtime_guardrail_and_improvement() {
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    let mut proposer = ScriptedProposer::new([
        p("typo", "BROKEN // ndcg=0.9 ild=0.9"),
        p("fixed", "// ndcg=0.32 ild=0.55"),
        p("crash", "RUNTIME"),
        p("crash fixed", "// ndcg=0.31 ild=0.52"),
        p("collapse diversity", "// ndcg=0.40 ild=0.30"),
        p("small gain", "// ndcg=0.31 ild=0.60"),
        p("worse", "// ndcg=0.20 ild=0.60"),
    ]);
    let judge = CommentJudge;
    let mut lp = OptimisationLoop::new(settings(Lineage::Linear), &mut proposer, &judge, &mut recorder);
    let summary = lp.run(5, |_, _| {}).unwrap();
    let statuses: Vec<&str> = recorder.lines.iter().map(|l| l.status.as_str()).collect();
    assert_eq!(statuses, ["baseline", "accepted", "rejected", "guardrail_violation", "rejected", "rejected"]);
    let first = &recorder.lines[1];
    assert_eq!(first.attempts, 2);
    let log = &recorder.attempt_logs[0];
    assert_eq!(log[0].snapshot, "iter_001");
    assert!(log[0].error.is_some());
    assert_eq!(log[0].failure, Some(FailureKind::Compile));
    assert!(log[1].error.is_none());
    assert_eq!(first.snapshot, "iter_001_fix1");
    assert!(recorder.snapshots.contains_key("iter_001") && recorder.snapshots.contains_key("iter_001_fix1"));
    // A runtime error gets a fix attempt like a compile error, with its own error.
    let second = &recorder.lines[2];
    assert_eq!((second.attempts, second.snapshot.as_str()), (2, "iter_002_fix1"));
    assert_eq!(recorder.attempt_logs[1][0].failure, Some(FailureKind::Runtime));
    assert_eq!(summary.best_iteration, Some(1));
    assert!((summary.best_primary.unwrap() - 0.32).abs() < 1e-12);
    assert_eq!(summary.guardrail_held, Some(true));
    assert_eq!(summary.iterations_attempted, 5);
    assert_eq!(proposer.fixes.len(), 2);
    assert!(proposer.fixes[0].1.error.to_string().contains("cannot resolve symbol [BROKEN]"));
    assert_eq!(proposer.fixes[1].0, 1);
    assert!(proposer.fixes[1].1.error.to_string().contains("runtime error"));
    // The proposer saw the hint; iteration 2 edits the accepted iteration 1.
    let ctx2 = &proposer.seen[2];
    assert_eq!((ctx2.iteration, ctx2.parent_iteration), (2, 1));
    assert_eq!(ctx2.hint.as_deref(), Some("try popularity"));
    assert!(ctx2.recent_failures.is_empty(), "iteration 1 ended compiling");
    assert_eq!(ctx2.baseline_scripts.as_ref().map(|s| s.query.as_str()), Some("return 1.0;"));
    // Linear lineage never edits the rejected or the guardrail violation.
    assert_eq!(recorder.lines[4].parent, Some(1));
    assert_eq!(recorder.lines[5].parent, Some(1));
}

#[test]
fn a_failing_proposer_is_recorded_and_the_loop_goes_on_until_too_many_in_a_row() {
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    // Call 0 fails (iteration 1), call 1 succeeds (iteration 2), calls 2-4 fail (iterations 3-5).
    let mut proposer = ScriptedProposer::new([p("ok", "// ndcg=0.31 ild=0.6"), p("never used", "// ndcg=0.5 ild=0.6")])
        .failing_at(&[0, 2, 3, 4]);
    proposer.usage = Usage { input_tokens: 7, output_tokens: 3, cost_usd: Some(0.5) };
    let judge = CommentJudge;
    let mut lp = OptimisationLoop::new(settings(Lineage::Linear), &mut proposer, &judge, &mut recorder);
    let summary = lp.run(10, |_, _| {}).unwrap();
    let statuses: Vec<&str> = recorder.lines.iter().map(|l| l.status.as_str()).collect();
    assert_eq!(
        statuses,
        ["baseline", "proposer_error", "accepted", "proposer_error", "proposer_error", "proposer_error"]
    );
    let failed = &recorder.lines[1];
    assert!(failed.errors[0]["reason"].as_str().unwrap().contains("scripted failure of call 0"), "{:?}", failed.errors);
    assert!(failed.rationale.as_deref().unwrap().starts_with("proposer failed"));
    let message = summary.final_message.unwrap();
    assert!(message.starts_with("stopped: 3 iterations in a row"), "{message}");
}

#[test]
fn a_fix_call_that_fails_keeps_the_failure_it_was_fixing() {
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    let mut proposer = ScriptedProposer::new([p("typo", "BROKEN")]).failing_at(&[1]);
    let judge = CommentJudge;
    let mut lp = OptimisationLoop::new(settings(Lineage::Linear), &mut proposer, &judge, &mut recorder);
    let (line, log) = lp.run_iteration().unwrap();
    assert_eq!(line.status, IterationStatus::CompileError);
    assert_eq!(line.snapshot, "iter_001");
    assert_eq!(log.len(), 2);
    assert_eq!(line.errors.len(), 2, "the compile error, then the proposer's failure");
    assert_eq!(line.errors[1]["type"], "proposer_error");
}

#[test]
fn a_repeated_candidate_is_named_and_not_evaluated_again() {
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    let mut proposer = ScriptedProposer::new([
        p("gain", "// ndcg=0.35 ild=0.6\nreturn 1;"),
        // The same program, re-indented and re-commented: told which iteration it repeats.
        p("again", "// other words\n  return   1;"),
        p("real change", "// ndcg=0.36 ild=0.6\nreturn 2;"),
    ]);
    let judge = CommentJudge;
    let mut lp = OptimisationLoop::new(settings(Lineage::Linear), &mut proposer, &judge, &mut recorder);
    lp.run(2, |_, _| {}).unwrap();
    let second = &recorder.lines[2];
    assert_eq!(second.status, IterationStatus::Accepted);
    assert_eq!(recorder.attempt_logs[1][0].failure, Some(FailureKind::Duplicate));
    let (attempt, failure) = &proposer.fixes[0];
    assert_eq!(*attempt, 1);
    assert!(failure.detail.as_ref().unwrap().message.contains("identical to iteration 1"), "{failure:?}");
    assert_eq!(normalised(&p("", "a  b // c\n").scripts()), normalised(&p("", "a b").scripts()));
    assert_ne!(normalised(&p("", "s = 'a  b'").scripts()), normalised(&p("", "s = 'a b'").scripts()));
}

#[test]
fn equal_top_k_on_the_probe_users_is_a_duplicate() {
    /// Probes by the ndcg in the comment: equal figures stand for equal rankings.
    struct ProbeJudge;
    impl CandidateJudge for ProbeJudge {
        fn check(&self, s: &ScriptTexts) -> CheckOutcome {
            CommentJudge.check(s)
        }
        fn evaluate(&self, s: &ScriptTexts) -> EvalOutcome {
            CommentJudge.evaluate(s)
        }
        fn probe(&self, s: &ScriptTexts) -> Option<u64> {
            Some((value_of(&s.query, "ndcg") * 1e6) as u64)
        }
    }
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    let mut proposer = ScriptedProposer::new([
        p("gain", "// ndcg=0.35 ild=0.6"),
        p("same ranking, other text", "// ndcg=0.35 ild=0.6 x"),
        p("same ranking, fix 1", "// ndcg=0.35 ild=0.6 y"),
        p("same ranking, fix 2", "// ndcg=0.35 ild=0.6 z"),
        p("same ranking, fix 3", "// ndcg=0.35 ild=0.6 w"),
    ]);
    let mut lp = OptimisationLoop::new(settings(Lineage::Linear), &mut proposer, &ProbeJudge, &mut recorder);
    lp.run(2, |_, _| {}).unwrap();
    // Each fix repeats the ranking too: the iteration ends as a duplicate, never evaluated in full.
    assert_eq!(recorder.lines[2].status, IterationStatus::Duplicate);
    assert!(recorder.lines[2].metrics.is_none());
    assert_eq!(recorder.lines[2].errors[0]["iteration"], 1);
    assert_eq!(recorder.lines[2].attempts, 4);
    assert!(proposer.fixes[0].1.detail.as_ref().unwrap().message.contains("exactly like iteration 1"));
}

#[test]
fn budgets_stop_the_run_cleanly_with_the_reason() {
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    let mut proposer = ScriptedProposer::new((0..10).map(|i| p("x", &format!("// ndcg=0.{} ild=0.6 v{i}", 31 + i))));
    proposer.usage = Usage { input_tokens: 600, output_tokens: 100, cost_usd: Some(0.01) };
    let judge = CommentJudge;
    let mut s = settings(Lineage::Linear);
    s.guards.max_total_tokens = Some(2000);
    let mut lp = OptimisationLoop::new(s, &mut proposer, &judge, &mut recorder);
    let summary = lp.run(10, |_, _| {}).unwrap();
    assert_eq!(recorder.lines.len(), 4, "700 tokens per iteration: stops after 3 (2,100 >= 2,000)");
    assert!(summary.final_message.unwrap().contains("--max-total-tokens 2000"));

    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    let mut s = settings(Lineage::Linear);
    s.guards.max_cost_usd = Some(0.015);
    let mut lp = OptimisationLoop::new(s, &mut proposer, &judge, &mut recorder);
    let summary = lp.run(10, |_, _| {}).unwrap();
    assert_eq!(recorder.lines.len(), 3);
    assert!(summary.final_message.unwrap().contains("--max-cost-usd"));

    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    let mut s = settings(Lineage::Linear);
    s.guards.max_minutes = Some(0.0);
    let mut lp = OptimisationLoop::new(s, &mut proposer, &judge, &mut recorder);
    let summary = lp.run(10, |_, _| {}).unwrap();
    assert_eq!(recorder.lines.len(), 1);
    assert!(summary.final_message.unwrap().contains("--max-minutes"));
}

#[test]
fn constants_are_tuned_for_proposers_that_want_it_and_the_untuned_figure_is_kept() {
    /// ndcg peaks when the weight literal is 0.8 (the model wrote 0.2).
    struct WeightJudge;
    impl CandidateJudge for WeightJudge {
        fn check(&self, s: &ScriptTexts) -> CheckOutcome {
            CommentJudge.check(s)
        }
        fn evaluate(&self, s: &ScriptTexts) -> EvalOutcome {
            let w = crate::optimise::tune::literals(&s.query, 0).first().map_or(0.0, |l| l.value);
            EvalOutcome::Metrics {
                metrics: MetricSet { ndcg: 0.4 - (w - 0.8).abs() * 0.1, recall: 0.2, precision: 0.1, ild: 0.6 },
                diagnostics: serde_json::json!({}),
                eval_ms: 1.0,
            }
        }
    }
    struct Tuned(ScriptedProposer);
    impl Proposer for Tuned {
        fn name(&self) -> String {
            "tuned".into()
        }
        fn propose(&mut self, ctx: &ProposalContext) -> Result<Proposed, ProposerError> {
            self.0.propose(ctx)
        }
        fn fix(&mut self, c: &ProposalContext, b: &Proposal, f: &Failure, a: u32) -> Result<Proposed, ProposerError> {
            self.0.fix(c, b, f, a)
        }
        fn wants_constant_tuning(&self) -> bool {
            true
        }
    }
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    let mut proposer = Tuned(ScriptedProposer::new([p("weight", "return 0.2 * x;")]));
    let mut s = settings(Lineage::Linear);
    s.guards.tune_constants = 6;
    let mut lp = OptimisationLoop::new(s, &mut proposer, &WeightJudge, &mut recorder);
    let (line, _) = lp.run_iteration().unwrap();
    let tuning = line.tuning.clone().unwrap();
    assert_eq!(tuning.changes, vec!["query:0.2->0.8"]);
    assert!((tuning.untuned_primary - 0.34).abs() < 1e-9 && (tuning.tuned_primary - 0.4).abs() < 1e-9);
    assert_eq!(line.snapshot, "iter_001_tuned");
    assert_eq!(recorder.snapshots["iter_001_tuned"].proposal.query, "return 0.8 * x;\n");
    assert!((line.metrics.unwrap().ndcg - 0.4).abs() < 1e-9);
    // The built-in optimiser (no tuning wanted) is left alone.
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    let mut plain = ScriptedProposer::new([p("weight", "return 0.2 * x;")]);
    let mut s = settings(Lineage::Linear);
    s.guards.tune_constants = 6;
    let mut lp = OptimisationLoop::new(s, &mut plain, &WeightJudge, &mut recorder);
    assert!(lp.run_iteration().unwrap().0.tuning.is_none());
}

#[test]
fn three_failed_fixes_end_as_compile_error() {
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    let mut proposer = ScriptedProposer::new((0..4).map(|i| p(&format!("try {i}"), "BROKEN")));
    let judge = CommentJudge;
    let mut lp = OptimisationLoop::new(settings(Lineage::Linear), &mut proposer, &judge, &mut recorder);
    let (line, log) = lp.run_iteration().unwrap();
    assert_eq!(line.status, IterationStatus::CompileError);
    assert_eq!(line.attempts, 4);
    assert_eq!(log.len(), 4);
    assert_eq!(line.errors.len(), 1);
    assert_eq!(line.snapshot, "iter_001_fix3");
    assert!(line.metrics.is_none());
}

#[test]
fn an_unlogged_snapshot_is_finished_not_reproposed() {
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    recorder.snapshots.insert(
        "iter_001".into(),
        SnapshotProposal {
            iteration: 1,
            parent: 0,
            attempt: 0,
            proposer: "scripted".into(),
            parent_reason: None,
            proposal: p("left behind", "// ndcg=0.35 ild=0.6"),
            usage: Usage { input_tokens: 10, output_tokens: 5, cost_usd: Some(0.001) },
            raw_replies: vec![],
        },
    );
    let mut proposer = ScriptedProposer::new([]);
    let judge = CommentJudge;
    let mut lp = OptimisationLoop::new(settings(Lineage::Linear), &mut proposer, &judge, &mut recorder);
    let (line, _) = lp.run_iteration().unwrap();
    assert_eq!(line.status, IterationStatus::Accepted);
    assert_eq!(line.tokens, Tokens { input: 10, output: 5 });
    assert!(proposer.seen.is_empty());
}

#[test]
fn builtin_runs_are_reproducible_and_resumable() {
    // A judge whose metrics depend on the script text, so different candidates score differently.
    struct HashJudge;
    impl CandidateJudge for HashJudge {
        fn check(&self, _: &ScriptTexts) -> CheckOutcome {
            CheckOutcome { error: None, diagnostics: serde_json::Value::Null, compile_ms: 0.1 }
        }
        fn evaluate(&self, s: &ScriptTexts) -> EvalOutcome {
            use sha2::Digest;
            let h = sha2::Sha256::digest(format!("{}{:?}", s.query, s.sort).as_bytes());
            let ndcg = 0.2 + f64::from(h[0]) / 2550.0;
            let ild = 0.4 + f64::from(h[1]) / 2550.0;
            EvalOutcome::Metrics {
                metrics: MetricSet { ndcg, recall: 0.1, precision: 0.1, ild },
                diagnostics: serde_json::Value::Null,
                eval_ms: 0.1,
            }
        }
    }
    let run = |splits: &[u32], lineage: Lineage| {
        let mut recorder = MemoryRecorder::with_baseline(0.25, 0.45);
        for &n in splits {
            // A fresh proposer per leg, as after a restart.
            let mut proposer = BuiltinProposer::new();
            let judge = HashJudge;
            let mut lp = OptimisationLoop::new(settings(lineage), &mut proposer, &judge, &mut recorder);
            lp.run(n, |_, _| {}).unwrap();
        }
        recorder
            .lines
            .iter()
            .map(|l| (l.iteration, l.parent, l.status, l.rationale.clone(), l.metrics))
            .collect::<Vec<_>>()
    };
    for lineage in [Lineage::Linear, Lineage::Evolutionary] {
        let whole = run(&[12], lineage);
        assert_eq!(whole.len(), 13);
        assert_eq!(whole, run(&[5, 3, 4], lineage), "{lineage:?}");
        assert!(whole.iter().any(|l| l.2 == IterationStatus::Accepted));
    }
}

#[test]
fn evolutionary_proposer_picks_its_parent_among_the_offered_options() {
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    let mut proposer = ScriptedProposer::new([
        p("a", "// ndcg=0.35 ild=0.6"),
        p("b", "// ndcg=0.33 ild=0.6"),
        p("c", "// ndcg=0.31 ild=0.6"),
        p("d", "// ndcg=0.36 ild=0.6"),
    ]);
    proposer.usage = Usage { input_tokens: 7, output_tokens: 3, cost_usd: Some(0.0) };
    // Iteration 1 has one option (the baseline): nobody is asked. Iteration 2: the proposer picks 0.
    // Iteration 3: it picks 9, which was not offered, so the tournament's choice stands.
    // Iteration 4: it picks 2.
    proposer.parent_picks = [0, 9, 2].into_iter().collect();
    let judge = CommentJudge;
    let mut lp = OptimisationLoop::new(settings(Lineage::Evolutionary), &mut proposer, &judge, &mut recorder);
    lp.run(4, |_, _| {}).unwrap();
    let parents: Vec<Option<u32>> = recorder.lines.iter().map(|l| l.parent).collect();
    assert_eq!(parents[1], Some(0));
    assert_eq!(parents[2], Some(0), "the proposer's pick");
    assert_eq!(parents[4], Some(2), "the proposer's pick");
    assert_eq!(proposer.parent_contexts.len(), 3, "asked for iterations 2, 3 and 4 only");
    let ctx2 = &proposer.parent_contexts[0];
    assert_eq!(ctx2.options.iter().map(|o| o.iteration).collect::<Vec<_>>(), vec![1, 0], "strongest first");
    assert_eq!(ctx2.options[1].picks, 1);
    assert!(ctx2.options.iter().all(|o| o.weighted_primary <= o.metrics.unwrap().ndcg));
    let s2 = &recorder.snapshots["iter_002"];
    assert_eq!(s2.parent_reason.as_deref(), Some("scripted pick of 0"));
    assert_eq!(s2.usage.input_tokens, 14, "the choice's tokens are charged to the iteration");
    assert_eq!(recorder.lines[2].tokens.input, 14);
    let s3 = &recorder.snapshots["iter_003"];
    assert!(s3.parent_reason.as_deref().unwrap().contains("picked iteration 9, which was not offered"));
    assert!(proposer.parent_contexts[1].options.iter().all(|o| o.iteration != 9));
    assert!([0, 1, 2].contains(&s3.parent));
}

/// Scores a candidate by a hash of its text on the selection users; on the held-out users by another
/// function of the text shifted by `holdout_shift`, so two judges differ only in held-out figures.
struct SplitJudge {
    holdout_shift: f64,
}

fn text_score(q: &str) -> f64 {
    let h = q.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    (h % 1000) as f64 / 1000.0
}

fn flat_paired(d: f64, p_value: f64) -> PairedMetrics {
    let stat =
        crate::metrics::PairedStat { mean_diff: d, relative: None, ci_low: d - 0.01, ci_high: d + 0.01, p_value };
    PairedMetrics { users: 3, resamples: 1000, ndcg: stat, recall: stat, precision: stat, ild: stat }
}

impl CandidateJudge for SplitJudge {
    fn check(&self, _scripts: &ScriptTexts) -> CheckOutcome {
        CheckOutcome { error: None, diagnostics: serde_json::json!([]), compile_ms: 0.1 }
    }
    fn evaluate(&self, s: &ScriptTexts) -> EvalOutcome {
        EvalOutcome::Metrics {
            metrics: MetricSet { ndcg: text_score(&s.query), recall: 0.2, precision: 0.1, ild: 0.6 },
            diagnostics: serde_json::json!({"popularity": {"recommended_percentile": 50.0, "relevant_percentile": 40.0}}),
            eval_ms: 1.0,
        }
    }
    fn paired(&self, c: &ScriptTexts, r: &ScriptTexts) -> Option<PairedMetrics> {
        Some(flat_paired(text_score(&c.query) - text_score(&r.query), 0.5))
    }
    fn holdout(&self, c: &ScriptTexts, b: &ScriptTexts) -> Option<HoldoutRecord> {
        let held = |q: &str| (text_score(q) * 7.0 + self.holdout_shift).fract();
        Some(HoldoutRecord {
            users: 3,
            metrics: MetricSet { ndcg: held(&c.query), recall: 0.0, precision: 0.0, ild: held(&c.query) },
            vs_baseline: Some(flat_paired(held(&c.query) - held(&b.query), 0.01)),
            eval_ms: 1.0,
        })
    }
}

fn run_with_holdout_shift(lineage: Lineage, shift: f64) -> MemoryRecorder {
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    recorder.lines[0].holdout = Some(HoldoutRecord {
        users: 3,
        metrics: MetricSet { ndcg: shift, recall: shift, precision: shift, ild: shift },
        vs_baseline: None,
        eval_ms: 1.0,
    });
    let mut proposer = BuiltinProposer::new();
    let judge = SplitJudge { holdout_shift: shift };
    let mut lp = OptimisationLoop::new(settings(lineage), &mut proposer, &judge, &mut recorder);
    lp.run(25, |_, _| {}).unwrap();
    recorder
}

#[test]
fn held_out_figures_never_change_a_choice() {
    for lineage in [Lineage::Linear, Lineage::Evolutionary] {
        let a = run_with_holdout_shift(lineage, 0.0);
        let b = run_with_holdout_shift(lineage, 0.37);
        let accepted: Vec<u32> =
            a.lines.iter().filter(|l| l.status == IterationStatus::Accepted).map(|l| l.iteration).collect();
        assert!(accepted.len() >= 2, "the run must accept something for the test to mean anything: {accepted:?}");
        // Held-out figures are recorded for accepted candidates only, and they differ between the runs...
        for (la, lb) in a.lines.iter().zip(&b.lines).skip(1) {
            assert_eq!(la.holdout.is_some(), la.status == IterationStatus::Accepted, "iteration {}", la.iteration);
            if la.holdout.is_some() {
                assert_ne!(la.holdout, lb.holdout);
            }
        }
        // ...yet every proposal, parent, status and selection figure is identical.
        assert_eq!(a.snapshots, b.snapshots);
        let strip = |r: &MemoryRecorder| -> Vec<IterationRecord> {
            r.lines.iter().map(|l| IterationRecord { holdout: None, timestamp: String::new(), ..l.clone() }).collect()
        };
        assert_eq!(strip(&a), strip(&b));
        let (sa, sb) = (a.summaries.last().unwrap(), b.summaries.last().unwrap());
        assert_eq!((sa.best_iteration, sa.best_primary), (sb.best_iteration, sb.best_primary));
        assert_ne!(sa.holdout, sb.holdout);
        assert!(sa.final_message.as_deref().unwrap().contains("held-out (3 users)"));
    }
}

#[test]
fn proposers_see_no_ground_truth_aggregates() {
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    recorder.lines[0].diagnostics = serde_json::json!({
        "popularity": {"recommended_percentile": 50.0, "relevant_percentile": 40.0},
        "ndcg_by_activity": [{"tercile": "low", "users": 2, "min_interactions": 1, "max_interactions": 4, "ndcg": 0.1}]
    });
    let mut proposer = ScriptedProposer::new([p("a", "// ndcg=0.31 ild=0.6")]);
    let judge = CommentJudge;
    let mut lp = OptimisationLoop::new(settings(Lineage::Linear), &mut proposer, &judge, &mut recorder);
    lp.run_iteration().unwrap();
    let seen = serde_json::to_string(&proposer.seen[0]).unwrap();
    assert!(seen.contains("recommended_percentile"), "{seen}");
    for hidden in ["relevant_percentile", "min_interactions", "max_interactions"] {
        assert!(!seen.contains(hidden), "{hidden} reached the proposer: {seen}");
    }
}

/// Paired statistics read from the query: `dn`/`pn` for the primary's mean difference and p-value,
/// `dg`/`pg` for the guardrail's.
struct SignificanceJudge;

impl CandidateJudge for SignificanceJudge {
    fn check(&self, s: &ScriptTexts) -> CheckOutcome {
        CommentJudge.check(s)
    }
    fn evaluate(&self, s: &ScriptTexts) -> EvalOutcome {
        CommentJudge.evaluate(s)
    }
    fn paired(&self, c: &ScriptTexts, _r: &ScriptTexts) -> Option<PairedMetrics> {
        let q = &c.query;
        let mut m = flat_paired(value_of(q, "dn"), value_of(q, "pn"));
        m.ild = crate::metrics::PairedStat { mean_diff: value_of(q, "dg"), p_value: value_of(q, "pg"), ..m.ild };
        Some(m)
    }
}

#[test]
fn significant_acceptance_needs_a_small_p_value() {
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    let mut proposer = ScriptedProposer::new([
        p("higher but noisy", "// ndcg=0.40 ild=0.6 dn=0.1 pn=0.2 dg=0 pg=1"),
        p("higher and clear", "// ndcg=0.41 ild=0.6 dn=0.1 pn=0.01 dg=0 pg=1"),
        p("guardrail clearly down", "// ndcg=0.50 ild=0.6 dn=0.1 pn=0.01 dg=-0.01 pg=0.01"),
        p("guardrail down, not significantly", "// ndcg=0.52 ild=0.6 dn=0.1 pn=0.01 dg=-0.01 pg=0.3"),
    ]);
    let judge = SignificanceJudge;
    let mut s = settings(Lineage::Linear);
    s.acceptance = Acceptance::Significant { alpha: 0.05 };
    let mut lp = OptimisationLoop::new(s, &mut proposer, &judge, &mut recorder);
    lp.run(4, |_, _| {}).unwrap();
    let statuses: Vec<&str> = recorder.lines.iter().map(|l| l.status.as_str()).collect();
    assert_eq!(statuses, ["baseline", "rejected", "accepted", "guardrail_violation", "accepted"]);
    let paired = recorder.lines[2].paired.unwrap();
    assert_eq!(paired.vs_best.unwrap().ndcg.p_value, 0.01);
    // Under the strict rule the first one would have been accepted.
    let mut recorder = MemoryRecorder::with_baseline(0.30, 0.50);
    let mut proposer = ScriptedProposer::new([p("higher but noisy", "// ndcg=0.40 ild=0.6 dn=0.1 pn=0.2 dg=0 pg=1")]);
    let mut lp = OptimisationLoop::new(settings(Lineage::Linear), &mut proposer, &judge, &mut recorder);
    assert_eq!(lp.run_iteration().unwrap().0.status, IterationStatus::Accepted);
}

/// Issue 21: the built-in optimiser never has a script set ranked twice. Every candidate here is
/// rejected, so every iteration mutates the baseline again and discrete moves (a pooling change on its
/// own) come back; each repeat is caught by the loop before ranking and answered with a fresh mutation.
#[test]
fn issue_21_builtin_never_ranks_a_script_set_twice() {
    struct CountingJudge(std::cell::RefCell<HashMap<String, u32>>);
    impl CandidateJudge for CountingJudge {
        fn check(&self, _: &ScriptTexts) -> CheckOutcome {
            CheckOutcome { error: None, diagnostics: serde_json::Value::Null, compile_ms: 0.1 }
        }
        fn evaluate(&self, s: &ScriptTexts) -> EvalOutcome {
            *self.0.borrow_mut().entry(normalised(s)).or_default() += 1;
            EvalOutcome::Metrics {
                metrics: MetricSet { ndcg: 0.1, recall: 0.1, precision: 0.1, ild: 0.5 },
                diagnostics: serde_json::Value::Null,
                eval_ms: 0.1,
            }
        }
    }
    let opts = crate::data::SyntheticOptions { items: 200, users: 10, dims: 4, ..Default::default() };
    let store = crate::store::synthetic_store(&opts).unwrap();
    let mut s = settings(Lineage::Linear);
    s.fields = FieldInfo::of_store(&store);
    s.hint = None;
    let mut recorder = MemoryRecorder::with_baseline(0.3, 0.5);
    let judge = CountingJudge(Default::default());
    let mut proposer = BuiltinProposer::new();
    OptimisationLoop::new(s, &mut proposer, &judge, &mut recorder).run(120, |_, _| {}).unwrap();
    let counts = judge.0.borrow();
    assert!(counts.values().all(|&n| n == 1), "a script set was ranked twice");
    let repeats = recorder.attempt_logs.iter().flatten().filter(|a| a.failure == Some(FailureKind::Duplicate)).count();
    assert!(repeats > 0, "the walk never repeated itself, so this test shows nothing");
    let spent = recorder.lines.iter().filter(|l| l.status == IterationStatus::Duplicate).count();
    assert!(spent * 10 < repeats, "{spent} iterations ended as duplicates out of {repeats} repeats");
    assert_eq!(counts.len() + spent, 120);
}
