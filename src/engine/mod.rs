//! The search-engine side: ranking a script set on a real Elasticsearch 8.x or OpenSearch 2.x node,
//! loading the items index, and comparing engine results with the local interpreter (drift).
//!
//! - `transport`: one HTTP channel; `GET /` picks the engine (official `elasticsearch` crate for ES 8,
//!   reqwest for OpenSearch), retries 429/5xx with backoff.
//! - `calibrate`: which Lucene vector arithmetic the engine runs (probed once), so the local side runs it too.
//! - `dialect`: the vector dialect follows the engine (ES 8.13 script text → OpenSearch k-NN calls).
//! - `request` / `response`: the per-user `script_score` + `_script` sort request and its answer; script
//!   failures become the same `Diagnostic` the local interpreter produces.
//! - `error`: `EngineError`, with the engine's error types recognised (disk watermark, circuit breaker...).

pub mod calibrate;
pub mod dialect;
pub mod drift;
pub mod embedded;
pub mod error;
pub mod index;
pub mod request;
pub mod response;
pub mod search;
pub mod transport;

pub use error::EngineError;
pub use transport::{EngineClient, EngineInfo, Flavor};
