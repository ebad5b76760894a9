//! Real and recorded model replies, replayed.
//!
//! `the_recorded_run_replays_to_the_same_outcome`: `tests/fixtures/llm_replay/` is a run directory
//! written by `scorelab loop --provider openai-compatible` whose every reply is stored in it
//! (`raw_replies` of each snapshot's proposal.json, the `replies` of a proposer error). The run in it
//! is a real one: Qwen2.5-Coder-1.5B-Instruct served by ../shared/tools/local-llm.sh, 10 linear
//! iterations with the suggested change of `--directions` (two accepted improvements, guardrail
//! violations, a probe duplicate, compile errors and their fix attempts, SEARCH misses retried as whole
//! scripts, replies refused as unchanged or cut off; see `replay.json` and the README's real-model
//! table). The test serves the stored replies in call order from a fake OpenAI-compatible
//! server, runs the same loop on a freshly built demo store, and checks the harness reaches the same
//! outcome for every iteration: parsing, edits, retry rounds, fix attempts, statuses, parents,
//! snapshots, tuned constants, metrics.
//!
//! `captured_real_model_replies_are_read_as_the_loop_reads_them`: the first replies the real model
//! (Qwen2.5-Coder-1.5B-Instruct) wrote to this harness, read as the loop reads them today.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::loop_http;
use loop_http::{Server, reply};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/llm_replay")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn records(run: &Path) -> Vec<Value> {
    std::fs::read_to_string(run.join("run.jsonl")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Every reply of the recorded run, in the order the model sent them.
fn recorded_replies(run: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for record in records(run).iter().skip(1) {
        for attempt in record["attempt_log"].as_array().expect("attempt_log") {
            let snapshot = attempt["snapshot"].as_str().unwrap_or("");
            let replies = if snapshot.is_empty() {
                attempt["error"]["replies"].clone()
            } else {
                read_json(&run.join(snapshot).join("proposal.json"))["raw_replies"].clone()
            };
            out.extend(replies.as_array().into_iter().flatten().map(|r| r.as_str().unwrap().to_string()));
        }
    }
    out
}

fn openai_body(text: &str) -> String {
    serde_json::json!({
        "id": "chatcmpl-replay", "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100}
    })
    .to_string()
}

fn link(from_repo: &str, into: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(from_repo);
    let dst = into.join(from_repo);
    std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(src, dst).unwrap();
}

#[test]
fn the_recorded_run_replays_to_the_same_outcome() {
    let recorded = fixture();
    let expected = records(&recorded);
    let replies = recorded_replies(&recorded);
    assert!(replies.len() >= expected.len() - 1, "the fixture holds every reply ({} replies)", replies.len());
    let settings = read_json(&recorded.join("loop.json"));
    let cli = read_json(&recorded.join("replay.json"));

    let clone = tempfile::tempdir().unwrap();
    link("data/ml-latest-small", clone.path());
    link("scripts", clone.path());
    let mut server =
        Server::start_for(replies.iter().map(|r| reply(200, openai_body(r))).collect(), Duration::from_secs(900));
    let iters = (expected.len() - 1).to_string();
    let mut args: Vec<String> = vec![
        "loop".into(),
        "--provider".into(),
        "openai-compatible".into(),
        "--model".into(),
        settings["model"].as_str().unwrap().into(),
        "--base-url".into(),
        format!("{}/v1", server.base),
        "--lineage".into(),
        settings["lineage"].as_str().unwrap().into(),
        "--seed".into(),
        settings["seed"].to_string(),
        "--iters".into(),
        iters,
        "--json".into(),
    ];
    // The proposer settings the run kept (runs from before they existed had edits, no directions and no
    // restored lines).
    args.extend(["--edit-format".into(), settings["edit_format"].as_str().unwrap_or("edits").to_string()]);
    let directions = if settings["directions"].as_bool().unwrap_or(false) { "on" } else { "off" };
    args.extend(["--directions".into(), directions.to_string()]);
    let restore = if settings["restore_dropped_lines"].as_bool().unwrap_or(false) { "on" } else { "off" };
    args.extend(["--restore-dropped-lines".into(), restore.to_string()]);
    args.extend(cli["extra_args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()));
    let out = Command::cargo_bin("scorelab")
        .unwrap()
        .current_dir(clone.path())
        .env_remove("LLM_PROVIDER")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .args(&args)
        .timeout(Duration::from_secs(900))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let requests = server.requests();
    assert_eq!(requests.len(), replies.len(), "every recorded reply was asked for, no more");

    let runs: Vec<PathBuf> = std::fs::read_dir(clone.path().join("runs")).unwrap().map(|e| e.unwrap().path()).collect();
    let replayed = records(&runs[0]);
    assert_eq!(replayed.len(), expected.len());
    for (got, want) in replayed.iter().zip(&expected) {
        let it = &want["iteration"];
        for key in ["status", "parent", "snapshot", "attempts"] {
            assert_eq!(got[key], want[key], "iteration {it}: {key}");
        }
        for metric in ["ndcg", "ild"] {
            let (g, w) = (got["metrics"][metric].as_f64(), want["metrics"][metric].as_f64());
            match (g, w) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "iteration {it}: {metric} {g} vs {w}"),
                _ => assert_eq!(g, w, "iteration {it}: {metric}"),
            }
        }
        assert_eq!(got["tuning"]["changes"], want["tuning"]["changes"], "iteration {it}: tuned constants");
        let failures = |r: &Value| -> Vec<Value> {
            r["attempt_log"].as_array().map_or(vec![], |a| a.iter().map(|x| x["failure"].clone()).collect())
        };
        assert_eq!(failures(got), failures(want), "iteration {it}: what each attempt failed on");
        if let Some(snapshot) = want["snapshot"].as_str().filter(|s| !s.is_empty()) {
            let query = |run: &Path| std::fs::read_to_string(run.join(snapshot).join("query.painless")).unwrap();
            assert_eq!(query(&runs[0]), query(&recorded), "iteration {it}: the script set");
        }
    }
}

/// The first replies Qwen2.5-Coder-1.5B-Instruct wrote to this harness's prompt (captured from a real
/// run, `tests/fixtures/llm_real_replies/replies.json`), read the way the loop reads them today: the
/// copied example edit is named for the retry, the whole-script replies parse into script sets with
/// their final newline.
#[test]
fn captured_real_model_replies_are_read_as_the_loop_reads_them() {
    use scorelab::optimise::prompt::{EXAMPLE_RATIONALE, example_edit_parts};
    use scorelab::optimise::proposer::ScriptTexts;
    use scorelab::optimise::reply::{ReplyRules, read_reply};
    let fixture =
        read_json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/llm_real_replies/replies.json"));
    let parent = ScriptTexts { query: fixture["parent_query"].as_str().unwrap().into(), sort: vec![] };
    let (_, example_replace) = example_edit_parts(&parent).unwrap();
    let rules = ReplyRules {
        max_sort_scripts: 5,
        example_rationale: Some(EXAMPLE_RATIONALE),
        example_replace: Some(&example_replace),
    };
    let replies: Vec<&str> = fixture["replies"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert_eq!(replies.len(), 3);
    let copied = read_reply(replies[0], &parent, rules).unwrap_err();
    assert!(copied.message.contains("copied the example edit"), "{}", copied.message);
    for reply in &replies[1..] {
        let proposal = read_reply(reply, &parent, rules).unwrap();
        assert!(proposal.query.contains("decayNumericGauss(") && proposal.query.ends_with(";\n"), "{}", proposal.query);
        assert!(proposal.query.starts_with("List rows = params.user_vector;"));
        assert!(proposal.sort.is_empty());
    }
}

/// A real reply that kept only its `return` line (iteration 4 of the recorded run: the model dropped
/// the ten lines that pool the user's rows, and `pooled` was undeclared) is completed from the script
/// it edited as a fix attempt of its own, with no model call: the model is asked once, the candidate
/// is evaluated, and its rationale says which lines came back.
#[test]
fn a_real_reply_that_dropped_the_pooling_lines_gets_them_back_without_a_model_call() {
    let recorded = read_json(&fixture().join("iter_004/proposal.json"));
    let whole_reply = recorded["raw_replies"][1].as_str().unwrap();
    let reply_query = serde_json::from_str::<Value>(whole_reply).unwrap()["query"].as_str().unwrap().to_string();
    assert!(!reply_query.contains("List pooled"), "the captured reply is the one without its opening lines");

    let clone = tempfile::tempdir().unwrap();
    link("data/ml-latest-small", clone.path());
    link("scripts", clone.path());
    let mut server = Server::start_for(vec![reply(200, openai_body(whole_reply))], Duration::from_secs(300));
    let out = Command::cargo_bin("scorelab")
        .unwrap()
        .current_dir(clone.path())
        .env_remove("LLM_PROVIDER")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .args(["loop", "--provider", "openai-compatible", "--model", "qwen2.5-coder-1.5b", "--base-url"])
        .arg(format!("{}/v1", server.base))
        .args(["--iters", "1", "--seed", "42", "--cohort-size", "60", "--tune-constants", "0", "--json"])
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(server.requests().len(), 1, "the model was asked once");

    let runs: Vec<PathBuf> = std::fs::read_dir(clone.path().join("runs")).unwrap().map(|e| e.unwrap().path()).collect();
    let lines = records(&runs[0]);
    let it = &lines[1];
    let log = it["attempt_log"].as_array().unwrap();
    assert_eq!(log.len(), 2, "{it}");
    assert_eq!(log[0]["failure"], "compile", "{it}");
    assert_eq!(log[1]["calls"], 0, "the restore called no model: {it}");
    assert_eq!(log[1]["failure"], Value::Null, "{it}");
    assert!(it["metrics"]["ndcg"].as_f64().is_some(), "the restored candidate was evaluated: {it}");
    assert!(
        log[1]["rationale"].as_str().unwrap().contains("dropped lines 1-"),
        "the rationale says what came back: {}",
        log[1]["rationale"]
    );
    let baseline =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/baseline/query.painless")).unwrap();
    let opening = &baseline[..baseline.find("\n// cosineSimilarity").unwrap() + 1];
    let restored = std::fs::read_to_string(runs[0].join("iter_001_fix1/query.painless")).unwrap();
    assert_eq!(restored, format!("{opening}{}", reply_query.trim_end().to_string() + "\n"));
}
