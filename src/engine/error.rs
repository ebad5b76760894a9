//! Engine errors: what can go wrong talking to Elasticsearch/OpenSearch, with the engine's own error
//! `type` recognised where it tells the user what to do (disk watermark, circuit breaker, mapping
//! conflicts). Script failures are not errors here: they become `Diagnostic`s (see `response.rs`).

use serde_json::Value;

/// Printed with every "cannot reach the engine" error.
pub const DOCKER_HINT: &str = "start Elasticsearch 8.13 with `docker compose up -d` (docker-compose.yml at the repository \
     root), or pass --engine-url / set ES_URL";

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot reach the search engine at {url}: {reason}; {hint}", hint = DOCKER_HINT)]
    Unreachable { url: String, reason: String },

    #[error("invalid engine URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },

    #[error("{url} is {found}; scorelab needs Elasticsearch 8.x or OpenSearch 2.x/3.x")]
    WrongVersion { url: String, found: String },

    #[error("{url} answered GET / with something that is not Elasticsearch or OpenSearch: {body}")]
    NotAnEngine { url: String, body: String },

    #[error(
        "the engine at {url} refuses writes because a disk watermark was exceeded ({reason}); free disk space or set \
         cluster.routing.allocation.disk.threshold_enabled=false, then clear the block with \
         PUT {index}/_settings {{\"index.blocks.read_only_allow_delete\": null}}"
    )]
    DiskWatermark { url: String, index: String, reason: String },

    #[error(
        "the engine at {url} tripped a circuit breaker ({reason}); give it more heap (ES_JAVA_OPTS in \
         docker-compose.yml) or lower --batch-size / --concurrency"
    )]
    CircuitBreaker { url: String, reason: String },

    #[error("mapping conflict on index [{index}] at {url}: {reason}")]
    MappingConflict { url: String, index: String, reason: String },

    #[error("index [{index}] does not exist at {url}; run `scorelab setup-indices` first")]
    NoIndex { url: String, index: String },

    #[error(
        "index [{index}] at {url} holds {found} documents but the store has {expected} items; rerun `scorelab \
         setup-indices`"
    )]
    CountMismatch { url: String, index: String, expected: u64, found: u64 },

    #[error(
        "index [{index}] at {url} was loaded from a different store (checksum {found}, this store {expected}); rerun `scorelab setup-indices`"
    )]
    StaleIndex { url: String, index: String, expected: String, found: String },

    #[error("{what} at {url} failed with HTTP {status}: {error_type}: {reason}")]
    Http { url: String, what: String, status: u16, error_type: String, reason: String },

    #[error("{what} at {url} still failing after {attempts} attempts: {last}")]
    RetriesExhausted { url: String, what: String, attempts: u32, last: String },

    #[error("bulk load into [{index}] at {url}: {failed} documents rejected, first: {first}")]
    BulkRejected { url: String, index: String, failed: usize, first: String },

    #[error("unexpected response to {what} from {url}: {detail}")]
    BadResponse { url: String, what: String, detail: String },

    #[error("the store cannot be indexed: {0}")]
    Store(String),

    #[error("embedded OpenSearch node: {0}")]
    Embedded(String),

    #[error("the vector dialect of {engine} cannot express {construct} (at byte {offset} of the {script} script)")]
    Dialect { engine: String, construct: String, offset: usize, script: String },

    #[error("calibrating the engine's vector arithmetic failed: {0}")]
    Calibration(String),

    #[error("the local ranking failed: {0}")]
    Local(String),
}

/// The `type` and `reason` of an engine error body (`{"error": {"type", "reason", "root_cause": [..]}}`),
/// falling back to the raw text when the body is not the usual shape.
pub fn error_type_and_reason(body: &Value) -> (String, String) {
    let error = &body["error"];
    if let Some(kind) = error["type"].as_str() {
        // root_cause is usually more specific than the envelope (search_phase_execution_exception).
        let root = &error["root_cause"][0];
        let (kind, reason) = match root["type"].as_str() {
            Some(root_kind) if kind.ends_with("phase_execution_exception") => (root_kind, &root["reason"]),
            _ => (kind, &error["reason"]),
        };
        return (kind.to_string(), reason.as_str().unwrap_or("").to_string());
    }
    match error.as_str() {
        Some(text) => ("error".to_string(), text.to_string()),
        None => ("unknown".to_string(), truncate(&body.to_string(), 500)),
    }
}

/// Turns an engine error response into the most specific `EngineError` it matches.
pub fn classify(url: &str, index: &str, what: &str, status: u16, body: &Value) -> EngineError {
    let (error_type, reason) = error_type_and_reason(body);
    let lower = reason.to_ascii_lowercase();
    match error_type.as_str() {
        "circuit_breaking_exception" => EngineError::CircuitBreaker { url: url.into(), reason },
        "cluster_block_exception"
            if lower.contains("disk") || lower.contains("read-only-allow-delete") || lower.contains("flood") =>
        {
            EngineError::DiskWatermark { url: url.into(), index: index.into(), reason }
        }
        "index_not_found_exception" => EngineError::NoIndex { url: url.into(), index: index.into() },
        "mapper_parsing_exception" | "illegal_argument_exception" | "strict_dynamic_mapping_exception"
            if what.contains("mapping") || what.contains("create index") || lower.contains("mapper") =>
        {
            EngineError::MappingConflict { url: url.into(), index: index.into(), reason }
        }
        _ => EngineError::Http { url: url.into(), what: what.into(), status, error_type, reason },
    }
}

pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognises_circuit_breaker() {
        let body = json!({"error": {"type": "circuit_breaking_exception", "reason": "[parent] Data too large"}, "status": 429});
        assert!(matches!(classify("u", "items", "bulk", 429, &body), EngineError::CircuitBreaker { .. }));
    }

    #[test]
    fn recognises_flood_stage_block() {
        let body = json!({"error": {"type": "cluster_block_exception",
            "reason": "index [items] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];"}});
        assert!(matches!(classify("u", "items", "bulk", 429, &body), EngineError::DiskWatermark { .. }));
    }

    #[test]
    fn recognises_mapping_conflict() {
        let body = json!({"error": {"type": "mapper_parsing_exception", "reason": "failed to parse field [price] of type [long]"}});
        assert!(matches!(classify("u", "items", "create index", 400, &body), EngineError::MappingConflict { .. }));
    }

    #[test]
    fn search_phase_errors_report_the_root_cause() {
        let body = json!({"error": {"type": "search_phase_execution_exception", "reason": "all shards failed",
            "root_cause": [{"type": "script_exception", "reason": "compile error"}]}});
        assert_eq!(error_type_and_reason(&body), ("script_exception".into(), "compile error".into()));
    }
}
