//! The optimisation loop over a real run directory: a scripted fake provider (compile error then fix,
//! runtime error, guardrail violation, improvement), the run.jsonl schema, write-once snapshots,
//! resumption after a simulated crash, and API keys that never reach the run directory.
//!
//! These tests drive the library with a judge that derives metrics from the script text, so they pin
//! the loop's own behaviour; `cli_*` tests further down run the real binary on the demo store.

use scorelab::metrics::{Metric, MetricSet};
use scorelab::optimise::contract::{Acceptance, CandidateJudge, CheckOutcome, EvalOutcome, LoopSettings, Objective};
use scorelab::optimise::fake::ScriptedProposer;
use scorelab::optimise::lineage::Lineage;
use scorelab::optimise::llm::{ApiKey, LlmProposer, LlmSettings, ProviderKind};
use scorelab::optimise::r#loop::OptimisationLoop;
use scorelab::optimise::proposer::{FieldInfo, ParamInfo, Proposal, Proposer, ScriptContract, ScriptTexts};
use scorelab::optimise::record::{DirRecorder, start_run};
use scorelab::optimise::{BuiltinProposer, RunRecorder};
use scorelab::run::{CohortRef, IterationRecord, IterationStatus, RunDir, RunMeta, RunSettings, StoreRef};
use std::path::{Path, PathBuf};

use crate::loop_http;

/// `BROKEN` fails the compile check, `RUNTIME` fails evaluation, `// ndcg=.. ild=..` sets metrics,
/// anything else scores by a hash of its text (so different candidates differ, deterministically).
struct TextJudge;

fn value_of(src: &str, key: &str) -> Option<f64> {
    src.split_whitespace().find_map(|w| w.strip_prefix(&format!("{key}=")).and_then(|v| v.parse().ok()))
}

impl CandidateJudge for TextJudge {
    fn check(&self, s: &ScriptTexts) -> CheckOutcome {
        let error = s.query.contains("BROKEN").then(|| {
            serde_json::json!({"type": "script_exception", "reason": "compile error", "script_stack": ["BROKEN", "^---- HERE"],
                "caused_by": {"type": "illegal_argument_exception", "reason": "cannot resolve symbol [BROKEN]"}})
        });
        CheckOutcome { error, diagnostics: serde_json::json!([]), compile_ms: 0.1 }
    }
    fn evaluate(&self, s: &ScriptTexts) -> EvalOutcome {
        if s.query.contains("SLOW") {
            return EvalOutcome::Timeout {
                error: serde_json::json!({"type": "scorelab_timeout", "reason": "time budget ran out"}),
                eval_ms: 1000.0,
            };
        }
        if s.query.contains("RUNTIME") {
            return EvalOutcome::RuntimeError {
                error: serde_json::json!({"type": "script_exception", "reason": "runtime error"}),
                eval_ms: 0.1,
            };
        }
        use sha2::Digest;
        let h = sha2::Sha256::digest(format!("{}{:?}", s.query, s.sort).as_bytes());
        let ndcg = value_of(&s.query, "ndcg").unwrap_or(0.2 + f64::from(h[0]) / 2550.0);
        let ild = value_of(&s.query, "ild").unwrap_or(0.4 + f64::from(h[1]) / 2550.0);
        EvalOutcome::Metrics {
            metrics: MetricSet { ndcg, recall: ndcg / 2.0, precision: ndcg / 4.0, ild },
            diagnostics: serde_json::json!({"coverage_at_k": 0.1}),
            eval_ms: 0.1,
        }
    }
}

fn meta() -> RunMeta {
    RunMeta {
        schema_version: 1,
        scorelab_version: "test".into(),
        created: "2026-01-02T03:04:05Z".into(),
        store: StoreRef { path: "store".into(), checksum: "abc".into(), dataset: "test".into() },
        settings: RunSettings {
            k: 10,
            threshold: 1.0,
            cohort_size: 3,
            diversity_fields: vec!["genres".into()],
            objective: Metric::Ndcg,
            guardrail: Metric::Ild,
            engine: "local".into(),
            dialect: Default::default(),
            seed: 7,
            max_sort_scripts: 5,
            harness_params: Default::default(),
        },
        cohort: CohortRef { user_ids: vec!["1".into(), "2".into(), "3".into()], checksum: "c".into() },
        split: None,
        users_from: None,
        baseline: Default::default(),
        summary: Default::default(),
        vector_arithmetic: None,
    }
}

fn settings(lineage: Lineage) -> LoopSettings {
    LoopSettings {
        objective: Objective::Ndcg,
        lineage,
        acceptance: Acceptance::Strict,
        seed: 7,
        hint: None,
        contract: ScriptContract {
            params: vec![
                ParamInfo { name: "user_vector".into(), description: "rows".into() },
                ParamInfo { name: "now".into(), description: "epoch seconds".into() },
            ],
            vector_field: "item_vector".into(),
            user_rows: 4,
            dims: 8,
            max_sort_scripts: 5,
            dialect: "elasticsearch".into(),
        },
        fields: vec![
            FieldInfo {
                name: "popularity".into(),
                kind: "long".into(),
                multi_valued: false,
                may_be_missing: false,
                examples: vec![],
                stats: None,
            },
            FieldInfo {
                name: "last_rated".into(),
                kind: "long".into(),
                multi_valued: false,
                may_be_missing: true,
                examples: vec![],
                stats: None,
            },
            FieldInfo {
                name: "genres".into(),
                kind: "keyword".into(),
                multi_valued: true,
                may_be_missing: true,
                examples: vec![],
                stats: None,
            },
        ],
        history_shown: 5,
        guards: Default::default(),
    }
}

fn new_run(dir: &Path) -> PathBuf {
    let base = ScriptTexts { query: "return 1.0; // ndcg=0.25 ild=0.45".into(), sort: vec![] };
    let rec = start_run(
        dir,
        meta(),
        &base,
        "scripts/baseline",
        MetricSet { ndcg: 0.25, recall: 0.1, precision: 0.05, ild: 0.45 },
        serde_json::json!({"coverage_at_k": 0.05}),
        Default::default(),
    )
    .unwrap();
    rec.run().path().to_path_buf()
}

fn run_more(path: &Path, proposer: &mut dyn Proposer, lineage: Lineage, iters: u32) -> DirRecorder {
    let mut rec = DirRecorder::open(path).unwrap();
    let judge = TextJudge;
    let mut lp = OptimisationLoop::new(settings(lineage), proposer, &judge, &mut rec);
    lp.run(iters, |_, _| {}).unwrap();
    rec
}

fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path.join("run.jsonl")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn p(rationale: &str, query: &str) -> Proposal {
    Proposal { rationale: rationale.into(), query: query.into(), sort: vec![], genome: None }
}

#[test]
fn scripted_provider_run_records_every_outcome() {
    let tmp = tempfile::tempdir().unwrap();
    let path = new_run(tmp.path());
    let mut proposer = ScriptedProposer::new([
        p("typo", "BROKEN"),
        p("fixed it", "return 2.0; // ndcg=0.30 ild=0.50"),
        p("crash", "RUNTIME"),
        p("crash fixed, no gain", "return 5.0; // ndcg=0.20 ild=0.60"),
        p("collapse diversity", "return 3.0; // ndcg=0.50 ild=0.10"),
        p("real gain", "return 4.0; // ndcg=0.33 ild=0.46"),
    ]);
    let rec = run_more(&path, &mut proposer, Lineage::Linear, 4);
    let statuses: Vec<IterationStatus> = rec.history().iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            IterationStatus::Baseline,
            IterationStatus::Accepted,
            IterationStatus::Rejected,
            IterationStatus::GuardrailViolation,
            IterationStatus::Accepted
        ]
    );
    // The compile error, the runtime error and their fixes each have a write-once snapshot; the line
    // points at the fix.
    for name in ["iter_000", "iter_001", "iter_001_fix1", "iter_002", "iter_002_fix1", "iter_003", "iter_004"] {
        assert!(path.join(name).join("query.painless").is_file(), "{name}");
        assert!(path.join(name).join("proposal.json").is_file(), "{name}");
    }
    assert_eq!(std::fs::read_to_string(path.join("iter_001/query.painless")).unwrap(), "BROKEN\n");
    let log = lines(&path);
    assert_eq!(log[1]["snapshot"], "iter_001_fix1");
    assert_eq!(log[1]["attempts"], 2);
    assert_eq!(log[1]["attempt_log"][0]["error"]["caused_by"]["reason"], "cannot resolve symbol [BROKEN]");
    assert!(log[1]["attempt_log"][1]["error"].is_null());
    assert_eq!(log[2]["attempt_log"][0]["error"]["reason"], "runtime error");
    assert_eq!(log[2]["attempt_log"][0]["failure"], "runtime");
    assert_eq!(log[2]["snapshot"], "iter_002_fix1");
    assert!(log[2]["metrics"].is_object());
    // meta.json's summary names the best candidate that held the guardrail.
    let run = RunDir::open(&path).unwrap();
    let summary = &run.meta().summary;
    assert_eq!(summary.best_iteration, Some(4));
    assert_eq!(summary.guardrail_held, Some(true));
    assert_eq!(summary.iterations_attempted, 4);
    assert!(summary.final_message.as_deref().unwrap().contains("best iteration 4"));
}

#[test]
fn every_line_follows_the_run_format() {
    let tmp = tempfile::tempdir().unwrap();
    let path = new_run(tmp.path());
    run_more(&path, &mut BuiltinProposer::new(), Lineage::Evolutionary, 6);
    let required = [
        "schema_version",
        "iteration",
        "parent",
        "status",
        "rationale",
        "snapshot",
        "metrics",
        "diagnostics",
        "errors",
        "attempts",
        "timings",
        "tokens",
        "cost_usd",
        "drift",
        "timestamp",
    ];
    let log = lines(&path);
    assert_eq!(log.len(), 7);
    for (i, line) in log.iter().enumerate() {
        for key in required {
            assert!(line.get(key).is_some(), "line {i} lacks {key}: {line}");
        }
        assert_eq!(line["schema_version"], 1);
        assert_eq!(line["iteration"], i as u64);
        let record: IterationRecord = serde_json::from_value(line.clone()).unwrap();
        assert_eq!(record.snapshot, line["snapshot"].as_str().unwrap());
        if i > 0 {
            for m in ["ndcg", "recall", "precision", "ild"] {
                assert!(line["metrics"][m].is_f64(), "line {i} metric {m}");
            }
            for t in ["compile_ms", "eval_ms"] {
                assert!(line["timings"][t].is_f64(), "line {i} timing {t}");
            }
            // The built-in optimiser stores its genome next to the scripts.
            let proposal: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(path.join(line["snapshot"].as_str().unwrap()).join("proposal.json")).unwrap(),
            )
            .unwrap();
            assert!(proposal["genome"]["pooling"]["kind"].is_string(), "{proposal}");
            assert_eq!(proposal["iteration"], i as u64);
        }
    }
}

#[test]
fn snapshots_are_write_once() {
    let tmp = tempfile::tempdir().unwrap();
    let path = new_run(tmp.path());
    run_more(&path, &mut BuiltinProposer::new(), Lineage::Linear, 2);
    let before = std::fs::read_to_string(path.join("iter_001/query.painless")).unwrap();
    let stamp = std::fs::metadata(path.join("iter_001/query.painless")).unwrap().modified().unwrap();
    let mut rec = DirRecorder::open(&path).unwrap();
    let stored = scorelab::optimise::contract::SnapshotProposal {
        iteration: 1,
        parent: 0,
        attempt: 0,
        proposer: "x".into(),
        parent_reason: None,
        proposal: p("overwrite", "return 0.0;"),
        usage: Default::default(),
        raw_replies: vec![],
    };
    let err = rec.snapshot("iter_001", &stored).unwrap_err();
    assert!(err.to_string().contains("write-once"), "{err}");
    // One recorder per run at a time (it holds the run's lock).
    drop(rec);
    run_more(&path, &mut BuiltinProposer::new(), Lineage::Linear, 2);
    assert_eq!(std::fs::read_to_string(path.join("iter_001/query.painless")).unwrap(), before);
    assert_eq!(std::fs::metadata(path.join("iter_001/query.painless")).unwrap().modified().unwrap(), stamp);
}

fn comparable(path: &Path) -> Vec<serde_json::Value> {
    lines(path)
        .into_iter()
        .map(|mut l| {
            let m = l.as_object_mut().unwrap();
            m.remove("timestamp");
            m.remove("timings");
            m.remove("attempt_log");
            if let Some(h) = m.get_mut("holdout").and_then(|h| h.as_object_mut()) {
                h.remove("eval_ms");
            }
            l
        })
        .collect()
}

#[test]
fn a_crashed_run_resumes_exactly_like_an_uninterrupted_one() {
    for lineage in [Lineage::Linear, Lineage::Evolutionary] {
        let tmp = tempfile::tempdir().unwrap();
        let whole = new_run(&tmp.path().join("a"));
        run_more(&whole, &mut BuiltinProposer::new(), lineage, 10);

        let split = new_run(&tmp.path().join("b"));
        run_more(&split, &mut BuiltinProposer::new(), lineage, 4);
        // What kill -9 can leave behind: iteration 5 snapshotted but not logged, iteration 6 half
        // written under its temp name, and a torn last line in run.jsonl.
        std::fs::rename(whole.join("iter_005"), tmp.path().join("iter_005_copy")).unwrap();
        copy_dir(&tmp.path().join("iter_005_copy"), &split.join("iter_005"));
        std::fs::rename(tmp.path().join("iter_005_copy"), whole.join("iter_005")).unwrap();
        std::fs::create_dir(split.join(".tmp-iter_006-4242")).unwrap();
        std::fs::write(split.join(".tmp-iter_006-4242/query.painless"), "return 0.0;").unwrap();
        let mut f = std::fs::OpenOptions::new().append(true).open(split.join("run.jsonl")).unwrap();
        std::io::Write::write_all(&mut f, br#"{"schema_version":1,"iteration":5,"par"#).unwrap();
        drop(f);

        let rec = DirRecorder::open(&split).unwrap();
        assert_eq!(rec.repairs.len(), 2, "{:?}", rec.repairs);
        drop(rec);
        run_more(&split, &mut BuiltinProposer::new(), lineage, 6);
        assert_eq!(comparable(&whole), comparable(&split), "{lineage:?}");
        assert!(split.join("discarded").is_dir());
        assert!(std::fs::read_to_string(split.join("torn-lines.txt")).unwrap().contains("\"par"));
        for i in 1..=10 {
            let name = format!("iter_{i:03}/query.painless");
            assert_eq!(std::fs::read(whole.join(&name)).unwrap(), std::fs::read(split.join(&name)).unwrap(), "{name}");
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// Every file under `dir`, recursively, as bytes.
fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_files(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

#[test]
fn the_api_key_never_reaches_the_run_directory() {
    const KEY: &str = "sk-ant-test-NEVER-WRITE-ME-0123456789";
    let good = |q: &str| {
        let text = serde_json::json!({"rationale": format!("try {q}"), "query": q, "sort": []}).to_string();
        serde_json::json!({"content": [{"type": "text", "text": text}], "usage": {"input_tokens": 100, "output_tokens": 50}})
            .to_string()
    };
    // A provider that echoes the key in an error body must not get it into the log either.
    let echo = format!(r#"{{"error":{{"message":"key {KEY} is rate limited"}}}}"#);
    let mut server = loop_http::Server::start(vec![
        loop_http::reply(200, good("BROKEN")),
        loop_http::reply(200, good("return 3.0; // ndcg=0.3 ild=0.5")),
        loop_http::reply(200, good("return 4.0;")),
        loop_http::reply(400, echo),
    ]);
    let settings_llm = LlmSettings {
        kind: ProviderKind::Anthropic,
        model: "claude-sonnet-4-5".into(),
        base_url: server.base.clone(),
        api_key: Some(ApiKey::new(KEY.into())),
        timeout: std::time::Duration::from_secs(5),
        max_retries: 0,
        backoff: std::time::Duration::from_millis(1),
        max_backoff: std::time::Duration::from_millis(1),
        max_reply_rounds: 1,
        max_tokens: 256,
        temperature: None,
        max_retry_time: std::time::Duration::from_secs(5),
        structured: scorelab::optimise::llm::StructuredOutput::Off,
        prompt_budget: 6144,
        edit_format: scorelab::optimise::prompt::EditFormat::Edits,
        directions: false,
        seed: None,
    };
    let tmp = tempfile::tempdir().unwrap();
    let path = new_run(tmp.path());
    let mut proposer = LlmProposer::new(settings_llm).unwrap();
    let mut rec = DirRecorder::open(&path).unwrap();
    let judge = TextJudge;
    let mut lp = OptimisationLoop::new(settings(Lineage::Linear), &mut proposer, &judge, &mut rec);
    // The provider's failure is recorded as the iteration's outcome; the loop goes on.
    lp.run(3, |_, _| {}).unwrap();
    server.requests();
    let log = lines(&path);
    assert_eq!(log.len(), 4, "baseline + three iterations, the last one a proposer error");
    assert_eq!(log[1]["tokens"]["input"], 200, "the fix attempt's tokens count too");
    assert!(log[1]["cost_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(log[3]["status"], "proposer_error");
    assert!(log[3]["errors"][0]["reason"].as_str().unwrap().contains("[redacted]"), "{}", log[3]);
    let files = all_files(&path);
    assert!(files.len() > 8);
    for (file, bytes) in files {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(KEY), "{} contains the API key", file.display());
        assert!(!text.contains("NEVER-WRITE-ME"), "{} contains part of the API key", file.display());
    }
}

// ---- The real binary on the demo store ----------------------------------------------------------

/// The crate root: the demo store and scripts/baseline live there.
fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn loop_cmd(runs: &Path, extra: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_scorelab"));
    cmd.current_dir(crate_root())
        .env_remove("LLM_PROVIDER")
        .env_remove("ES_URL")
        .args(["loop", "--runs-dir"])
        .arg(runs)
        .args(["--cohort-size", "10", "--seed", "5"])
        .args(extra);
    cmd
}

fn only_run(runs: &Path) -> PathBuf {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(runs).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.pop().unwrap()
}

fn completed_lines(run: &Path) -> usize {
    std::fs::read_to_string(run.join("run.jsonl")).map(|t| t.matches('\n').count()).unwrap_or(0)
}

#[test]
fn cli_survives_every_proposer_failure_and_never_writes_url_credentials() {
    const PASSWORD: &str = "pw-NEVER-WRITE-ME-42";
    let openai = |text: &str| {
        serde_json::json!({"choices": [{"message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5}})
        .to_string()
    };
    // HTTP 500s, a 200 that is not JSON, unusable replies, then a server that is gone (connection refused).
    let mut server = loop_http::Server::start(vec![
        loop_http::reply(500, format!(r#"{{"error":"boom for u:{PASSWORD}"}}"#)),
        loop_http::reply(500, r#"{"error":"boom"}"#.into()),
        loop_http::reply(200, "<html>gateway</html>".into()),
        loop_http::reply(200, openai("I would rather not.")),
        loop_http::reply(200, openai(r#"{"rationale": "x", "query": "<painless source>"}"#)),
        loop_http::reply(200, openai(r#"{"rationale": "no script"}"#)),
    ]);
    let base = server.base.replace("http://", &format!("http://u:{PASSWORD}@")) + "/v1";
    let tmp = tempfile::tempdir().unwrap();
    let out = loop_cmd(
        tmp.path(),
        &[
            "--provider",
            "openai-compatible",
            "--model",
            "m",
            "--base-url",
            &base,
            "--iters",
            "4",
            "--max-retry-time",
            "2",
            "--request-timeout",
            "2",
            "--max-consecutive-failures",
            "10",
        ],
    )
    .output()
    .unwrap();
    server.requests();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    let run = only_run(tmp.path());
    let log = lines(&run);
    let statuses: Vec<&str> = log.iter().map(|l| l["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["baseline", "proposer_error", "proposer_error", "proposer_error", "proposer_error"]);
    assert!(log.iter().skip(1).all(|l| l["errors"][0]["type"] == "proposer_error"));
    assert!(stdout.contains("proposer_error"), "the live table shows the failures: {stdout}");
    assert!(stderr.contains("unusable reply") && stderr.contains("HTTP 500"), "provider warnings on stderr: {stderr}");
    let warned = log.iter().flat_map(|l| l["attempt_log"].as_array().cloned().unwrap_or_default());
    assert!(warned.into_iter().any(|a| a["warnings"].to_string().contains("unusable reply")), "and in run.jsonl");
    assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD), "{stdout}\n{stderr}");
    for (file, bytes) in all_files(&run) {
        assert!(!String::from_utf8_lossy(&bytes).contains(PASSWORD), "{} holds the URL's password", file.display());
    }
    let loop_json: serde_json::Value = serde_json::from_slice(&std::fs::read(run.join("loop.json")).unwrap()).unwrap();
    assert!(loop_json["base_url"].as_str().unwrap().starts_with("http://[redacted]@127.0.0.1"), "{loop_json}");

    // Resuming needs the URL again (its credentials were not kept) and says so.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scorelab"))
        .current_dir(crate_root())
        .args(["loop", "--iters", "1", "--resume"])
        .arg(&run)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass --base-url again"));

    // Too many failures in a row end the run cleanly, with the reason.
    let tmp = tempfile::tempdir().unwrap();
    let out = loop_cmd(
        tmp.path(),
        &["--provider", "openai-compatible", "--model", "m", "--base-url", "http://127.0.0.1:9/v1", "--iters", "5"],
    )
    .args(["--max-retry-time", "1", "--max-consecutive-failures", "2"])
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("stopped: 2 iterations in a row got no usable proposal"), "{stdout}");
    assert_eq!(lines(&only_run(tmp.path())).len(), 3);
}

#[test]
fn cli_kill_and_resume_reproduces_an_uninterrupted_run() {
    const ITERS: usize = 6;
    let tmp = tempfile::tempdir().unwrap();
    let (runs_a, runs_b) = (tmp.path().join("a"), tmp.path().join("b"));

    let status =
        loop_cmd(&runs_a, &["--iters", &ITERS.to_string()]).stdout(std::process::Stdio::null()).status().unwrap();
    assert!(status.success());
    let whole = only_run(&runs_a);
    assert_eq!(completed_lines(&whole), ITERS + 1);

    let mut child =
        loop_cmd(&runs_b, &["--iters", &ITERS.to_string()]).stdout(std::process::Stdio::null()).spawn().unwrap();
    // Kill -9 once a few iterations are in (or when the run is over, which the test then notices).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    loop {
        let done =
            std::fs::read_dir(&runs_b).ok().and_then(|mut d| d.next()).map(|e| completed_lines(&e.unwrap().path()));
        if done.unwrap_or(0) >= 3 || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let split = only_run(&runs_b);
    let done = completed_lines(&split) - 1;
    assert!(done < ITERS, "the run finished before it could be killed; make it longer");
    let meta_of = |run: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(run.join("meta.json")).unwrap()).unwrap()
    };
    let split_before = meta_of(&split)["split"].clone();
    assert!(split_before["holdout"]["user_ids"].as_array().is_some_and(|ids| !ids.is_empty()), "{split_before}");

    // A resumed run keeps its own cohort size and seed (passing them again is refused).
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_scorelab"))
        .current_dir(crate_root())
        .env_remove("LLM_PROVIDER")
        .env_remove("ES_URL")
        .args(["loop", "--runs-dir"])
        .arg(&runs_b)
        .args(["--iters", &(ITERS - done).to_string(), "--resume"])
        .arg(&split)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(comparable(&whole), comparable(&split));
    for i in 1..=ITERS {
        let name = format!("iter_{i:03}/query.painless");
        assert_eq!(std::fs::read(whole.join(&name)).unwrap(), std::fs::read(split.join(&name)).unwrap(), "{name}");
    }
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(split.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["summary"]["iterations_attempted"], ITERS as u64);
    // Resuming kept the split (and the uninterrupted run drew the same one from the same seed).
    assert_eq!(meta["split"], split_before);
    assert_eq!(meta_of(&whole)["split"], split_before);
    // The baseline line carries its held-out figures; so does every accepted candidate, and only those.
    for line in lines(&split) {
        let accepted = matches!(line["status"].as_str(), Some("accepted" | "baseline"));
        assert_eq!(line.get("holdout").is_some(), accepted, "{line}");
        if line["metrics"].is_object() && line["iteration"] != 0 {
            assert!(line["paired"]["vs_baseline"]["ndcg"]["ci_low"].is_number(), "{line}");
        }
    }
}

#[test]
fn cli_holdout_zero_is_in_sample_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    let out = loop_cmd(&runs, &["--iters", "2", "--holdout", "0"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("every figure above is in-sample"), "{stdout}");
    let run = only_run(&runs);
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["split"]["holdout_fraction"], 0.0);
    assert_eq!(meta["split"]["holdout"]["user_ids"], serde_json::json!([]));
    // The cohort is the one a run drew before the split existed: a seeded sample of 10 users.
    assert_eq!(meta["cohort"]["user_ids"].as_array().unwrap().len(), 10);
    assert!(lines(&run).iter().all(|l| l.get("holdout").is_none()));
    let out = loop_cmd(&runs, &["--iters", "2", "--holdout", "1.5"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--holdout 1.5"));
}

#[test]
fn a_timed_out_candidate_is_recorded_and_the_loop_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let path = new_run(tmp.path());
    let mut proposer = ScriptedProposer::new([p("stall", "SLOW"), p("real gain", "// ndcg=0.33 ild=0.46")]);
    let rec = run_more(&path, &mut proposer, Lineage::Linear, 2);
    let statuses: Vec<IterationStatus> = rec.history().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [IterationStatus::Baseline, IterationStatus::Timeout, IterationStatus::Accepted]);
    let log = lines(&path);
    assert_eq!(log[1]["status"], "timeout");
    assert_eq!(log[1]["errors"][0]["type"], "scorelab_timeout");
}

#[test]
fn a_second_loop_on_the_same_run_is_refused_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let path = new_run(tmp.path());
    let first = DirRecorder::open(&path).unwrap();
    let second = DirRecorder::open(&path).err().expect("the run is in use");
    let message = second.to_string();
    assert!(message.contains("in use by another `scorelab loop`"), "{message}");
    assert!(!message.contains("os error"), "{message}");
    drop(first);
    assert!(DirRecorder::open(&path).is_ok(), "free again once the first loop ends");
}

/// A pid that no longer runs (a child that has exited and been reaped).
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn a_run_killed_while_being_created_leaves_nothing_to_resume() {
    let tmp = tempfile::tempdir().unwrap();
    // What a kill -9 during `RunDir::create` leaves: a hidden temp directory, possibly holding
    // meta.json's temp file.
    let abandoned = tmp.path().join(format!(".tmp-run-{}-abc123", dead_pid()));
    std::fs::create_dir_all(&abandoned).unwrap();
    std::fs::write(abandoned.join(".tmpXYZ"), b"{\"schema_ver").unwrap();
    assert!(scorelab::run::list_runs(tmp.path()).unwrap().is_empty(), "never listed as a run");
    let path = new_run(tmp.path());
    assert!(!abandoned.exists(), "the next run creation removes it");
    let entries: Vec<String> =
        std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(entries, [path.file_name().unwrap().to_string_lossy().into_owned()], "only the complete run");
    assert!(path.join("meta.json").is_file() && path.join("run.jsonl").is_file());
}

#[test]
fn an_import_killed_midway_is_cleaned_by_the_next_one() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("store");
    let abandoned = tmp.path().join(format!(".store.tmp-{}-q1w2e3", dead_pid()));
    std::fs::create_dir_all(&abandoned).unwrap();
    std::fs::write(abandoned.join("vectors.f32"), [0u8; 64]).unwrap();
    let live = tmp.path().join(format!(".store.tmp-{}-live", std::process::id()));
    std::fs::create_dir_all(&live).unwrap();
    scorelab::data::fsio::replace_dir_atomically(
        &target,
        |dir| std::fs::write(dir.join("manifest.json"), b"{}"),
        |_, e| e,
    )
    .unwrap();
    assert!(target.join("manifest.json").is_file());
    assert!(!abandoned.exists(), "a dead writer's temp directory is removed");
    assert!(live.exists(), "a running writer's temp directory is left alone");
}

#[test]
fn cli_engine_check_with_an_unreachable_engine_creates_no_run() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    let output =
        loop_cmd(&runs, &["--iters", "1", "--engine-check", "--engine-url", "http://127.0.0.1:9"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--engine-check"), "{stderr}");
    let runs_made = std::fs::read_dir(&runs).map(|d| d.count()).unwrap_or(0);
    assert_eq!(runs_made, 0, "no run directory for a loop that could not start");
}
