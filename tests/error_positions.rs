//! Runtime-error positions against the engine: every script of tests/error_positions/cases.jsonl runs
//! through the embedded OpenSearch 2.19 node's `_scripts/painless/_execute` and through the local
//! interpreter's test context, and the `script_exception` parts that the position model decides must
//! agree: the exception type, `position` (offset, start, end) and the snippet and `^---- HERE` lines
//! of `script_stack` (the Java frames above them are the library's business, not compared).
//!
//! The model (src/interp/eval/locate.rs): ES reports the last line-number mark emitted before the
//! throwing bytecode instruction in code order. A case may carry `"drift": "<why>"`: it must then
//! disagree, and the test fails when it starts agreeing (remove the note), as KNOWN_DRIFT does.
//!
//! Run: `cargo test --test error_positions` (starts the node; skips with a message without java/mvn).

#[path = "common/engine_node.rs"]
mod engine_node;

use serde_json::{json, Value};
use std::path::Path;

#[derive(Debug, PartialEq)]
struct Outcome {
    es_type: Option<String>,
    position: Value,
    snippet: Vec<Value>,
}

fn cases() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/error_positions/cases.jsonl");
    let text = std::fs::read_to_string(&path).expect("read cases.jsonl");
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("cases.jsonl:{}: {e}", i + 1)))
        .collect()
}

/// The compared parts of a `script_exception` with its cause type.
fn outcome(exception: &Value, cause_type: Option<&str>) -> Outcome {
    let stack = exception["script_stack"].as_array().cloned().unwrap_or_default();
    let snippet = stack[stack.len().saturating_sub(2)..].to_vec();
    Outcome { es_type: cause_type.map(String::from), position: exception["position"].clone(), snippet }
}

fn engine_outcome(url: &str, source: &str) -> Outcome {
    let body = json!({"script": {"source": source, "params": {}}});
    let response = reqwest::blocking::Client::new()
        .post(format!("{url}/_scripts/painless/_execute"))
        .json(&body)
        .send()
        .expect("engine reachable");
    let v: Value = response.json().expect("engine answers JSON");
    match v.get("error") {
        Some(err) => outcome(err, err["caused_by"]["type"].as_str()),
        None => Outcome { es_type: None, position: Value::Null, snippet: vec![v["result"].clone()] },
    }
}

fn local_outcome(source: &str) -> Outcome {
    let r = scorelab::interp::exec_test(source, &serde_json::Map::new());
    match r.outcome {
        Err(diags) => {
            let d = &diags[0];
            outcome(&scorelab::painless::render_es(d, source), Some(&d.es_type))
        }
        Ok(v) => Outcome { es_type: None, position: Value::Null, snippet: vec![json!(format!("{v:?}"))] },
    }
}

#[test]
fn runtime_error_positions_match_the_engine() {
    let cases = cases();
    assert!(cases.len() >= 40, "the fixture keeps at least 40 shapes");
    // The local side alone: every case is a runtime error (not a compile error) locally.
    for c in &cases {
        let source = c["source"].as_str().expect("source");
        let local = local_outcome(source);
        assert!(local.position.get("offset").is_some(), "not a positioned runtime error locally: {source}\n{local:?}");
    }
    let Some(node) = engine_node::shared_node("error_positions") else { return };
    let (mut agreed, mut drift, mut failures) = (0, 0, Vec::new());
    for c in &cases {
        let source = c["source"].as_str().expect("source");
        let engine = engine_outcome(node.url(), source);
        let local = local_outcome(source);
        match (c.get("drift").and_then(Value::as_str), engine == local) {
            (None, true) => agreed += 1,
            (Some(_), false) => drift += 1,
            (None, false) => failures.push(format!("{source}\n  ({})\n  engine {engine:?}\n  local  {local:?}", c["note"])),
            (Some(why), true) => failures.push(format!("{source}: listed as drift ({why}) but agrees now: remove the note")),
        }
    }
    eprintln!("error positions: {agreed}/{} shapes agree with the engine, {drift} known drift", cases.len());
    assert!(failures.is_empty(), "{} position mismatches:\n{}", failures.len(), failures.join("\n"));
}
