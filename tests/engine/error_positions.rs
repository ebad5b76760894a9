//! Runtime-error positions against the engine: every script of tests/error_positions/cases.jsonl runs
//! through the embedded OpenSearch 2.19 node's `_scripts/painless/_execute` and through the local
//! interpreter's test context, and the `script_exception` parts that the position model decides must
//! agree: the exception type, `position` (offset, start, end) and the snippet and `^---- HERE` lines
//! of `script_stack` (the Java frames above them are the library's business, not compared).
//!
//! The model (src/interp/run/walk/locate.rs): ES reports the last line-number mark emitted before the
//! throwing bytecode instruction in code order. A case may carry `"drift": "<why>"`: it must then
//! disagree, and the test fails when it starts agreeing (remove the note), as KNOWN_DRIFT does.
//!
//! The score context (tests/error_positions/score_cases.jsonl) runs the same way over one document
//! with a missing `rating`, through `_execute`'s `score` context and a one-item local store. String
//! identity (tests/error_positions/identity.jsonl): `===` must give the engine's answer, or be refused
//! locally where the fixture says so; so must the results of tests/error_positions/values.jsonl.
//!
//! Class bindings (`decayNumericLinear`...): ES builds the instance on the first call and jumps over
//! the constructor arguments afterwards; checked on two documents, locally and on the node.
//!
//! Run: `cargo test --test engine error_positions::` (starts the node; skips with a message without java/mvn).

use crate::engine_node;

use serde_json::{Value, json};
use std::path::Path;

#[derive(Debug, PartialEq)]
struct Outcome {
    es_type: Option<String>,
    position: Value,
    snippet: Vec<Value>,
}

fn fixture(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/error_positions").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {name}: {e}"));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}:{}: {e}", i + 1)))
        .collect()
}

/// The compared parts of a `script_exception` with its cause type.
fn outcome(exception: &Value, cause_type: Option<&str>) -> Outcome {
    let stack = exception["script_stack"].as_array().cloned().unwrap_or_default();
    let snippet = stack[stack.len().saturating_sub(2)..].to_vec();
    Outcome { es_type: cause_type.map(String::from), position: exception["position"].clone(), snippet }
}

fn engine_outcome(url: &str, source: &str) -> Outcome {
    engine_answer(url, json!({"script": {"source": source, "params": {}}}))
}

fn engine_answer(url: &str, body: Value) -> Outcome {
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

/// Compares every case; returns (agreed, known drift) or panics with the mismatches.
fn compare(cases: &[Value], engine: impl Fn(&str) -> Outcome, local: impl Fn(&str) -> Outcome) -> (usize, usize) {
    let (mut agreed, mut drift, mut failures) = (0, 0, Vec::new());
    for c in cases {
        let source = c["source"].as_str().expect("source");
        let (engine, local) = (engine(source), local(source));
        match (c.get("drift").and_then(Value::as_str), engine == local) {
            (None, true) => agreed += 1,
            (Some(_), false) => drift += 1,
            (None, false) => {
                failures.push(format!("{source}\n  ({})\n  engine {engine:?}\n  local  {local:?}", c["note"]))
            }
            (Some(why), true) => {
                failures.push(format!("{source}: listed as drift ({why}) but agrees now: remove the note"))
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    (agreed, drift)
}

#[test]
fn runtime_error_positions_match_the_engine() {
    let cases = fixture("cases.jsonl");
    assert!(cases.len() >= 40, "the fixture keeps at least 40 shapes");
    // The local side alone: every case is a runtime error (not a compile error) locally.
    for c in &cases {
        let source = c["source"].as_str().expect("source");
        let local = local_outcome(source);
        assert!(local.position.get("offset").is_some(), "not a positioned runtime error locally: {source}\n{local:?}");
    }
    let Some(node) = engine_node::shared_node("error_positions") else { return };
    let (agreed, drift) = compare(&cases, |s| engine_outcome(node.url(), s), local_outcome);
    eprintln!(
        "error positions (test context): {agreed}/{} shapes agree with the engine, {drift} known drift",
        cases.len()
    );
}

/// The score-context document: `rating` is missing, `tags` has a duplicate (doc values dedupe it).
const SCORE_INDEX: &str = "error_positions";

fn score_store() -> scorelab::store::Store {
    use scorelab::data::AttrValue;
    store_of(&[vec![
        Some(AttrValue::Long(vec![1999])),
        None,
        Some(AttrValue::Keyword(vec!["b".into(), "a".into(), "b".into()])),
    ]])
}

/// A store of items with the attributes `year` (long), `rating` (double), `tags` (keyword, multi).
fn store_of(attributes: &[Vec<Option<scorelab::data::AttrValue>>]) -> scorelab::store::Store {
    use scorelab::data::{Dataset, DatasetSettings, FieldKind, FieldSpec, Item, User};
    let spec = |name: &str, kind: FieldKind, multi: bool| FieldSpec { name: name.into(), kind, multi_valued: multi };
    let items = attributes
        .iter()
        .enumerate()
        .map(|(i, a)| Item { id: format!("doc-{}", i + 1), vector: vec![0.5, 0.5], attributes: a.clone() })
        .collect();
    let settings = DatasetSettings {
        name: "error_positions".into(),
        relevance_threshold: 1.0,
        diversity_fields: vec![],
        item_vector_field: "item_vector".into(),
        user_vector_field: "user_vector".into(),
        user_rows: 1,
    };
    let dataset = Dataset {
        settings,
        dims: 2,
        fields: vec![
            spec("year", FieldKind::Long, false),
            spec("rating", FieldKind::Double, false),
            spec("tags", FieldKind::Keyword, true),
        ],
        items,
        users: vec![User { id: "u".into(), matrix: vec![1.0, 0.0] }],
        interactions: vec![],
        exclusions: vec![],
    };
    scorelab::store::Store::from_dataset(&dataset).expect("a valid small dataset")
}

fn local_score_outcome(store: &scorelab::store::Store, source: &str) -> Outcome {
    use scorelab::interp::{CompileEnv, Dialect, ScriptContext, compile, schema_fields};
    let env = CompileEnv {
        fields: Some(schema_fields(store.schema())),
        ..CompileEnv::new(ScriptContext::Score, Dialect::OpenSearch)
    };
    let compiled = compile(source, &env);
    let Some(program) = compiled.program else {
        let d = &compiled.diagnostics[0];
        return outcome(&scorelab::painless::render_es(d, source), Some(&d.es_type));
    };
    let item = scorelab::store::ItemIdx(0);
    match program.bind(&serde_json::Map::new(), store).and_then(|mut b| program.eval(&mut b, store, item, 1.0)) {
        Ok(v) => Outcome { es_type: None, position: Value::Null, snippet: vec![json!(v)] },
        Err(d) => outcome(&scorelab::painless::render_es(&d, source), Some(&d.es_type)),
    }
}

#[test]
fn score_context_positions_match_the_engine() {
    let cases = fixture("score_cases.jsonl");
    let store = score_store();
    let Some(node) = engine_node::shared_node("error_positions") else { return };
    let client = reqwest::blocking::Client::new();
    let index_url = format!("{}/{SCORE_INDEX}", node.url());
    let _ = client.delete(&index_url).send();
    let mapping = json!({"mappings": {"properties": {
        "year": {"type": "long"}, "rating": {"type": "double"}, "tags": {"type": "keyword"}}}});
    let created = client.put(&index_url).json(&mapping).send().expect("create the index");
    assert!(created.status().is_success(), "{:?}", created.text());
    let document = json!({"year": 1999, "tags": ["b", "a", "b"]});
    let engine = |source: &str| {
        let body = json!({"script": {"source": source, "params": {}}, "context": "score",
            "context_setup": {"index": SCORE_INDEX, "document": document}});
        let mut o = engine_answer(node.url(), body);
        // `_execute` answers a score as a JSON number; the local score is the f32 widened to f64.
        if let [v] = o.snippet.as_mut_slice()
            && let Some(x) = v.as_f64()
        {
            *v = json!(f64::from(x as f32));
        }
        o
    };
    let (agreed, drift) = compare(&cases, engine, |s| local_score_outcome(&store, s));
    eprintln!(
        "error positions (score context): {agreed}/{} shapes agree with the engine, {drift} known drift",
        cases.len()
    );
}

#[test]
fn values_agree_with_the_engine_or_are_refused() {
    let mut cases = fixture("identity.jsonl");
    cases.extend(fixture("values.jsonl"));
    let Some(node) = engine_node::shared_node("error_positions") else { return };
    let mut failures = Vec::new();
    for c in &cases {
        let source = c["source"].as_str().expect("source");
        let body = json!({"script": {"source": source, "params": {}}});
        let engine: Value = reqwest::blocking::Client::new()
            .post(format!("{}/_scripts/painless/_execute", node.url()))
            .json(&body)
            .send()
            .and_then(|r| r.json())
            .expect("engine answers");
        let local = scorelab::interp::exec_test(source, &serde_json::Map::new()).outcome;
        let refused = c.get("refused").and_then(Value::as_bool).unwrap_or(false);
        match (&local, refused) {
            // `_execute` answers the test context's result as its `toString()`.
            (Ok(v), false) if engine["result"] == json!(scorelab::interp::runtime::ops::to_java_string(v).ok()) => {}
            (Err(d), true) if d[0].es_type == "unsupported_locally" && engine["result"].is_string() => {}
            _ => failures.push(format!("{source} ({}): engine {engine}, local {local:?}", c["note"])),
        }
    }
    assert!(failures.is_empty(), "{} identity mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// Scores every item in order with one bound script (one script instance, as ES per segment).
fn local_scores(store: &scorelab::store::Store, source: &str) -> Result<Vec<f64>, String> {
    use scorelab::interp::{CompileEnv, Dialect, ScriptContext, compile, schema_fields};
    let env = CompileEnv {
        fields: Some(schema_fields(store.schema())),
        ..CompileEnv::new(ScriptContext::Score, Dialect::OpenSearch)
    };
    let program = compile(source, &env).program.expect("compiles");
    let mut bound = program.bind(&serde_json::Map::new(), store).map_err(|d| d.es_type.clone())?;
    (0..store.num_items())
        .map(|i| {
            program.eval(&mut bound, store, scorelab::store::ItemIdx(i as u32), 1.0).map_err(|d| d.es_type.clone())
        })
        .collect()
}

#[test]
fn class_binding_constructor_arguments_run_on_the_first_call_only() {
    use scorelab::data::AttrValue;
    // Documents in index order: year 2000, then 1999.
    let store = store_of(&[
        vec![Some(AttrValue::Long(vec![2000])), None, None],
        vec![Some(AttrValue::Long(vec![1999])), None, None],
    ]);
    // The constructor argument divides by zero on the second document only: never run there.
    let later = "decayNumericLinear(10 / (doc['year'].value - 1999), 1, 0, 0.5, doc['year'].value)";
    // ... and on the first document: the instance is built then, so the error is raised.
    let first = "decayNumericLinear(10 / (doc['year'].value - 2000), 1, 0, 0.5, doc['year'].value)";
    assert!(local_scores(&store, later).is_ok(), "{:?}", local_scores(&store, later));
    assert_eq!(local_scores(&store, first), Err("arithmetic_exception".to_string()));
    // The batch evaluator agrees (it re-runs a failing document through `eval`).
    {
        use scorelab::interp::{BatchScores, CompileEnv, Dialect, ScriptContext, compile, schema_fields};
        let env = CompileEnv {
            fields: Some(schema_fields(store.schema())),
            ..CompileEnv::new(ScriptContext::Score, Dialect::OpenSearch)
        };
        let program = compile(later, &env).program.expect("compiles");
        let mut bound = program.bind(&serde_json::Map::new(), &store).expect("binds");
        let items: Vec<_> = (0..4).map(|i| scorelab::store::ItemIdx(i % 2)).collect();
        let mut out = vec![0.0; items.len()];
        let batch = program.eval_batch(&mut bound, &store, &items, BatchScores::Same(1.0), &mut out);
        assert!(batch.is_ok(), "{:?}", batch.err().map(|f| f.diagnostic));
    }

    let Some(node) = engine_node::shared_node("error_positions") else { return };
    let client = reqwest::blocking::Client::new();
    let index_url = format!("{}/class_binding_docs", node.url());
    let _ = client.delete(&index_url).send();
    let mapping = json!({"settings": {"number_of_shards": 1}, "mappings": {"properties": {"year": {"type": "long"}}}});
    assert!(client.put(&index_url).json(&mapping).send().expect("create").status().is_success());
    let bulk = "{\"index\":{\"_id\":\"1\"}}\n{\"year\":2000}\n{\"index\":{\"_id\":\"2\"}}\n{\"year\":1999}\n";
    let loaded = client
        .post(format!("{index_url}/_bulk?refresh=true"))
        .header("content-type", "application/x-ndjson")
        .body(bulk)
        .send()
        .expect("bulk");
    assert!(loaded.status().is_success());
    let search = |source: &str| -> Value {
        let body = json!({"query": {"script_score": {"query": {"match_all": {}}, "script": {"source": source}}}});
        client.post(format!("{index_url}/_search")).json(&body).send().and_then(|r| r.json()).expect("search answers")
    };
    let ok = search(later);
    assert_eq!(ok["hits"]["total"]["value"], 2, "the engine skips the constructor arguments later: {ok}");
    let failed = search(first);
    assert_eq!(failed["error"]["root_cause"][0]["type"], "script_exception", "{failed}");
}

/// Control-flow compile errors (tests/error_positions/control_flow.jsonl): ES's semantic pass rejects
/// empty bodies, loops whose body always leaves them without a `continue`, a `continue` that ends a
/// loop body, and statements after one that always escapes (an endless loop included); the checker
/// must give the same error at the same position, or accept what the engine runs.
#[test]
fn control_flow_errors_match_the_engine() {
    agree_word_for_word("control_flow.jsonl");
}

/// Messages that name types or casts (tests/error_positions/messages.jsonl): Java canonical type
/// names, ES's numeric promotion (either side decides, then the other side's cast fails), compound
/// assignment casts, `def` casts at run time (`Def.castException`), String-to-char.
#[test]
fn type_and_cast_messages_match_the_engine() {
    agree_word_for_word("messages.jsonl");
}

/// Every case of `name` gives the engine's outcome: the same error type, position, snippet and
/// message word for word, or no error on both sides.
fn agree_word_for_word(name: &str) {
    let cases = fixture(name);
    let Some(node) = engine_node::shared_node("error_positions") else { return };
    // Scripts both sides run are compared by their outcome only (no error), not by value formatting.
    let no_value = |o: Outcome| if o.es_type.is_none() { Outcome { snippet: Vec::new(), ..o } } else { o };
    let (agreed, drift) = compare(&cases, |s| no_value(engine_outcome(node.url(), s)), |s| no_value(local_outcome(s)));
    eprintln!("{name}: {agreed}/{} cases agree with the engine, {drift} known drift", cases.len());
    for c in &cases {
        let source = c["source"].as_str().expect("source");
        let engine: Value = reqwest::blocking::Client::new()
            .post(format!("{}/_scripts/painless/_execute", node.url()))
            .json(&json!({"script": {"source": source, "params": {}}}))
            .send()
            .and_then(|r| r.json())
            .expect("engine answers JSON");
        let local = match scorelab::interp::exec_test(source, &serde_json::Map::new()).outcome {
            Err(diags) => Value::String(diags[0].message.clone()),
            Ok(_) => Value::Null,
        };
        assert_eq!(engine["error"]["caused_by"]["reason"], local, "{source}");
    }
}
