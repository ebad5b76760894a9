//! Reading `_msearch` answers: per user either the ranked hits or the script failure, the latter turned
//! into the same `Diagnostic` shape the local interpreter produces (painless-facts §14): phase from
//! `compile error`/`runtime error`, `es_type`/`message` from `caused_by`, the span from `position.offset`
//! (UTF-16 units in the engine's text, mapped back through the dialect rewrite to the user's bytes), the
//! statement from `position.start..end`, Java frames from the head of `script_stack`.

use super::dialect::Rewritten;
use crate::painless::diag::{Diagnostic, Phase, Severity};
use crate::painless::span::Span;
use serde_json::Value;

/// Diagnostic codes for findings reported by a search engine (the local ones are P1xx/C2xx/R3xx/L4xx).
/// Drift compares phase, `es_type` and position, not codes.
pub const CODE_ENGINE_COMPILE: &str = "E501";
pub const CODE_ENGINE_RUNTIME: &str = "E502";
/// The engine refused the score itself (negative or NaN), outside any script frame.
pub const CODE_ENGINE_INVALID_SCORE: &str = "E503";

/// One ranked hit as the engine returned it.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineHit {
    /// The item ordinal (`ord`, the last sort value).
    pub ord: u32,
    pub item_id: String,
    /// `_score` as sent by the engine (a float widened to f64).
    pub score: f64,
    /// The `_script` sort values in manifest order (excludes the `_score`/`ord` tie-breaks).
    pub sort_values: Vec<f64>,
}

/// Which script of a set a failure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScriptRole {
    Query,
    /// 0-based position in the sort list (file `sort_{n+1:02}.painless`).
    Sort(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScriptFailure {
    pub role: ScriptRole,
    pub diagnostic: Diagnostic,
    /// The engine's error object, kept verbatim for the run log (`errors`).
    pub raw: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UserAnswer {
    Hits(Vec<EngineHit>),
    Failed(Box<ScriptFailure>),
    /// 429 or 5xx for this one search: retry it.
    Transient {
        status: u16,
        reason: String,
    },
    /// Anything else (bad request unrelated to the scripts, unknown shape).
    Error {
        status: u16,
        error_type: String,
        reason: String,
    },
}

/// The scripts as sent, so that an error can be traced back to its script and source position.
pub struct SentScripts<'a> {
    pub query: &'a Rewritten,
    pub sorts: &'a [Rewritten],
}

/// Parses one element of `_msearch`'s `responses` (or a plain `_search` answer).
pub fn parse_answer(item: &Value, sent: &SentScripts<'_>, n_sorts: usize) -> UserAnswer {
    let status = item["status"].as_u64().unwrap_or(200) as u16;
    if item.get("error").is_some_and(|e| !e.is_null()) {
        return parse_error(item, status, sent);
    }
    // Partial shard failures come back as 200 with `_shards.failures`.
    if item["_shards"]["failed"].as_u64().unwrap_or(0) > 0
        && let Some(failure) = item["_shards"]["failures"].get(0)
    {
        let wrapped = serde_json::json!({"error": {"type": "search_phase_execution_exception",
                "failed_shards": [failure], "root_cause": [failure["reason"].clone()]}});
        return parse_error(&wrapped, 400, sent);
    }
    let Some(hits) = item["hits"]["hits"].as_array() else {
        return UserAnswer::Error {
            status,
            error_type: "bad_response".into(),
            reason: format!("no hits.hits in {}", super::error::truncate(&item.to_string(), 300)),
        };
    };
    let mut out = Vec::with_capacity(hits.len());
    for hit in hits {
        match parse_hit(hit, n_sorts) {
            Ok(h) => out.push(h),
            Err(bad) => {
                return UserAnswer::Error { status, error_type: "bad_response".into(), reason: bad.to_string() };
            }
        }
    }
    UserAnswer::Hits(out)
}

/// Why a hit of an answer cannot be read (the answer becomes a `bad_response` error naming it).
#[derive(Debug, thiserror::Error)]
enum BadHit {
    #[error("hit without sort values: {0}")]
    NoSort(String),
    #[error("expected {expected} sort values, got {got}: {hit}")]
    SortCount { expected: usize, got: usize, hit: String },
    #[error("ord sort value is not an integer: {0}")]
    Ord(String),
    #[error("ord {0} out of range")]
    OrdRange(u64),
    #[error("hit without _score (track_scores?): {0}")]
    NoScore(String),
    #[error("non-numeric sort value {0}")]
    SortValue(String),
}

fn parse_hit(hit: &Value, n_sorts: usize) -> Result<EngineHit, BadHit> {
    let sort = hit["sort"].as_array().ok_or_else(|| BadHit::NoSort(hit.to_string()))?;
    if sort.len() != n_sorts + 2 {
        return Err(BadHit::SortCount { expected: n_sorts + 2, got: sort.len(), hit: hit.to_string() });
    }
    let ord = sort[n_sorts + 1].as_u64().ok_or_else(|| BadHit::Ord(hit.to_string()))?;
    let score = number(&hit["_score"]).ok_or_else(|| BadHit::NoScore(hit.to_string()))?;
    let sort_values = sort[..n_sorts]
        .iter()
        .map(|v| number(v).ok_or_else(|| BadHit::SortValue(v.to_string())))
        .collect::<Result<Vec<f64>, BadHit>>()?;
    Ok(EngineHit {
        ord: u32::try_from(ord).map_err(|_| BadHit::OrdRange(ord))?,
        item_id: hit["_id"].as_str().unwrap_or_default().to_string(),
        score,
        sort_values,
    })
}

/// JSON numbers, plus the strings engines use for non-finite doubles.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.parse().ok(),
        },
        _ => None,
    }
}

fn parse_error(item: &Value, status: u16, sent: &SentScripts<'_>) -> UserAnswer {
    let error = &item["error"];
    if let Some(script_exception) = find_script_exception(error) {
        return UserAnswer::Failed(Box::new(script_failure(script_exception, error, sent)));
    }
    let (error_type, reason) = super::error::error_type_and_reason(item);
    if matches!(status, 429 | 502 | 503 | 504) || error_type == "es_rejected_execution_exception" {
        return UserAnswer::Transient { status, reason };
    }
    // The score check sits outside the script: a plain illegal_argument_exception.
    let deepest = deepest_reason(error);
    if deepest.contains("invalid score") || deepest.contains("must not produce negative scores") {
        let diagnostic = Diagnostic {
            code: CODE_ENGINE_INVALID_SCORE.into(),
            severity: Severity::Error,
            phase: Phase::Runtime,
            span: Span::new(0, sent.query.source.len()),
            statement: None,
            es_type: "illegal_argument_exception".into(),
            message: deepest,
            help: None,
            java_frames: Vec::new(),
        };
        return UserAnswer::Failed(Box::new(ScriptFailure { role: ScriptRole::Query, diagnostic, raw: error.clone() }));
    }
    UserAnswer::Error { status, error_type, reason }
}

/// The most informative `script_exception` object: one carrying `caused_by` (shard-level), else any.
fn find_script_exception(error: &Value) -> Option<&Value> {
    let mut best: Option<&Value> = None;
    let mut stack = vec![error];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("script_exception") {
                    if map.contains_key("caused_by") {
                        return Some(v);
                    }
                    best.get_or_insert(v);
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    best
}

fn deepest_reason(error: &Value) -> String {
    let mut current = error;
    let mut reason = error["reason"].as_str().unwrap_or("").to_string();
    // failed_shards[0].reason is the shard-level error; follow caused_by down from there.
    if let Some(shard) = error["failed_shards"].get(0) {
        current = &shard["reason"];
        reason = current["reason"].as_str().unwrap_or(&reason).to_string();
    }
    while let Some(cause) = current.get("caused_by") {
        if let Some(r) = cause["reason"].as_str() {
            reason = r.to_string();
        }
        current = cause;
    }
    reason
}

fn script_failure(exception: &Value, envelope: &Value, sent: &SentScripts<'_>) -> ScriptFailure {
    let (role, rewritten) = failing_script(exception, sent);
    let phase = if exception["reason"].as_str() == Some("compile error") { Phase::Compile } else { Phase::Runtime };
    let cause = &exception["caused_by"];
    let es_type = cause["type"].as_str().unwrap_or("script_exception").to_string();
    let message = match cause["reason"].as_str() {
        Some(r) => r.to_string(),
        // Lexer/parser errors nest one more level with a null reason; name the inner type then.
        None => cause["caused_by"]["type"].as_str().map_or_else(|| es_type.clone(), str::to_string),
    };
    let source = rewritten.source.as_str();
    let position = &exception["position"];
    let to_bytes =
        |key: &str| position[key].as_u64().map(|units| rewritten.to_original(utf16_to_byte(source, units as usize)));
    let offset = to_bytes("offset").unwrap_or(0);
    let span_end = next_char_end(&rewritten.original, offset);
    let statement = match (phase, to_bytes("start"), to_bytes("end")) {
        (Phase::Runtime, Some(start), Some(end)) if end >= start => Some(Span::new(start, end)),
        _ => None,
    };
    let stack: Vec<String> = exception["script_stack"]
        .as_array()
        .map_or_else(Vec::new, |s| s.iter().filter_map(|v| v.as_str().map(str::to_string)).collect());
    let java_frames =
        if phase == Phase::Runtime && stack.len() > 2 { stack[..stack.len() - 2].to_vec() } else { Vec::new() };
    let diagnostic = Diagnostic {
        code: if phase == Phase::Compile { CODE_ENGINE_COMPILE } else { CODE_ENGINE_RUNTIME }.into(),
        severity: Severity::Error,
        phase,
        span: Span::new(offset, span_end),
        statement,
        es_type,
        message,
        help: None,
        java_frames,
    };
    ScriptFailure { role, diagnostic, raw: envelope.clone() }
}

/// Which script failed. Compile errors echo the whole source; runtime errors only its first statement
/// followed by ` ...`, so the echo is matched as a prefix and, when several scripts share it, the
/// statement snippet of `script_stack` must also sit at `position.start` in the candidate.
fn failing_script<'a>(exception: &Value, sent: &SentScripts<'a>) -> (ScriptRole, &'a Rewritten) {
    let echoed = exception["script"].as_str().unwrap_or("");
    let candidates = std::iter::once((ScriptRole::Query, sent.query))
        .chain(sent.sorts.iter().enumerate().map(|(n, s)| (ScriptRole::Sort(n), s)));
    let all: Vec<(ScriptRole, &Rewritten)> = candidates.collect();
    if let Some(&exact) = all.iter().find(|(_, s)| s.source == echoed) {
        return exact;
    }
    let prefix = echoed.strip_suffix(" ...").unwrap_or(echoed);
    let matching: Vec<(ScriptRole, &Rewritten)> =
        all.iter().copied().filter(|(_, s)| !prefix.is_empty() && s.source.starts_with(prefix)).collect();
    if matching.len() > 1 {
        let snippet_fits = |source: &str| {
            let stack = exception["script_stack"].as_array();
            let snippet = stack.and_then(|s| s.len().checked_sub(2).and_then(|i| s[i].as_str())).unwrap_or("");
            let start = exception["position"]["start"].as_u64().map(|u| utf16_to_byte(source, u as usize));
            start.is_some_and(|b| source[b..].starts_with(snippet.trim_start_matches("... ")))
        };
        if let Some(&hit) = matching.iter().find(|(_, s)| snippet_fits(&s.source)) {
            return hit;
        }
    }
    matching.first().copied().unwrap_or((ScriptRole::Query, sent.query))
}

/// The end of the character starting at `offset` (a one-character span), or `offset` at the end.
fn next_char_end(text: &str, offset: usize) -> usize {
    text.get(offset..).and_then(|rest| rest.chars().next()).map_or(offset, |c| offset + c.len_utf8())
}

/// Java string index (UTF-16 code units) → byte offset in `text`, clamped to its length.
pub fn utf16_to_byte(text: &str, units: usize) -> usize {
    let mut seen = 0;
    for (byte, ch) in text.char_indices() {
        if seen >= units {
            return byte;
        }
        seen += ch.len_utf16();
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sent(q: &Rewritten) -> SentScripts<'_> {
        SentScripts { query: q, sorts: &[] }
    }

    #[test]
    fn parses_hits_with_script_sorts_score_and_ord() {
        let q = Rewritten::unchanged("1");
        let item = json!({"status": 200, "hits": {"hits": [
            {"_id": "i7", "_score": 2.5, "sort": [0.25, 2.5, 7]},
            {"_id": "i3", "_score": 2.5, "sort": [0.5, 2.5, 3]}]}});
        let UserAnswer::Hits(hits) = parse_answer(&item, &sent(&q), 1) else { panic!("hits expected") };
        assert_eq!(hits[0], EngineHit { ord: 7, item_id: "i7".into(), score: 2.5, sort_values: vec![0.25] });
        assert_eq!(hits[1].ord, 3);
    }

    #[test]
    fn compile_error_becomes_a_diagnostic() {
        // Shape from OpenSearch 2.19 (query_shard_exception wrapping the script_exception).
        let q = Rewritten::unchanged("return x + 1;");
        let item = json!({"status": 400, "error": {"type": "search_phase_execution_exception", "reason": "all shards failed",
            "root_cause": [{"type": "script_exception", "reason": "compile error", "script": "return x + 1;",
                "position": {"offset": 7, "start": 0, "end": 13}}],
            "failed_shards": [{"shard": 0, "reason": {"type": "query_shard_exception", "reason": "failed to create query: compile error",
                "caused_by": {"type": "script_exception", "reason": "compile error", "script_stack": ["return x + 1;", "       ^---- HERE"],
                    "script": "return x + 1;", "lang": "painless", "position": {"offset": 7, "start": 0, "end": 13},
                    "caused_by": {"type": "illegal_argument_exception", "reason": "cannot resolve symbol [x]"}}}}]}});
        let UserAnswer::Failed(failure) = parse_answer(&item, &sent(&q), 0) else { panic!("failure expected") };
        let d = &failure.diagnostic;
        assert_eq!(
            (d.phase, d.es_type.as_str(), d.message.as_str()),
            (Phase::Compile, "illegal_argument_exception", "cannot resolve symbol [x]")
        );
        assert_eq!(d.span.start, 7);
        assert_eq!(d.statement, None);
        assert_eq!(failure.role, ScriptRole::Query);
    }

    #[test]
    fn runtime_error_keeps_statement_and_frames_and_maps_utf16() {
        let src = "String s = 'é😀'; return doc['missing'].value;";
        let q = Rewritten::unchanged(src);
        // 😀 is two UTF-16 units and four bytes; é is one unit and two bytes.
        let offset_units = src.encode_utf16().count() - ".value;".len();
        let item = json!({"status": 400, "error": {"type": "search_phase_execution_exception",
            "failed_shards": [{"reason": {"type": "script_exception", "reason": "runtime error",
                "script_stack": ["org.opensearch.index.fielddata.ScriptDocValues$Longs.get(ScriptDocValues.java:94)",
                                 "return doc['missing'].value;", "                   ^---- HERE"],
                "script": src, "position": {"offset": offset_units, "start": 18, "end": 46},
                "caused_by": {"type": "illegal_state_exception", "reason": "A document doesn't have a value for a field!"}}}]}});
        let UserAnswer::Failed(failure) = parse_answer(&item, &sent(&q), 0) else { panic!("failure expected") };
        let d = &failure.diagnostic;
        assert_eq!(d.phase, Phase::Runtime);
        assert_eq!(&src[d.span.start as usize..], ".value;");
        assert_eq!(d.java_frames.len(), 1);
        assert_eq!(d.statement.map(|s| s.start), Some(utf16_to_byte(src, 18) as u32));
    }

    #[test]
    fn runtime_errors_echo_a_truncated_script_and_are_traced_to_the_sort() {
        // OpenSearch 2.19's answer for an IndexOutOfBounds in a sort script.
        let q = Rewritten::unchanged("return 1;\n");
        let sort = Rewritten::unchanged("List l = new ArrayList();\nreturn l.get((int) (doc['year'].value % 3));\n");
        let sorts = [sort];
        let sent = SentScripts { query: &q, sorts: &sorts };
        let item = json!({"status": 400, "error": {"failed_shards": [{"reason": {"type": "script_exception", "reason": "runtime error",
            "script_stack": ["java.base/java.util.ArrayList.get(ArrayList.java:427)", "return l.get((int) (doc['year'].value % 3));\n",
                             "                               ^---- HERE"],
            "script": "List l = new ArrayList(); ...", "lang": "painless", "position": {"offset": 57, "start": 26, "end": 71},
            "caused_by": {"type": "index_out_of_bounds_exception", "reason": "Index 0 out of bounds for length 0"}}}]}});
        let UserAnswer::Failed(failure) = parse_answer(&item, &sent, 1) else { panic!("failure expected") };
        assert_eq!(failure.role, ScriptRole::Sort(0));
        assert_eq!(failure.diagnostic.span.start, 57);
        assert_eq!(failure.diagnostic.statement, Some(Span::new(26, 71)));
    }

    #[test]
    fn negative_score_is_an_engine_score_error() {
        let q = Rewritten::unchanged("-1");
        let item = json!({"status": 400, "error": {"type": "search_phase_execution_exception", "root_cause": [
            {"type": "illegal_argument_exception", "reason": "script_score script returned an invalid score [-1.0] for doc [0]. Must be a non-negative score!"}],
            "failed_shards": [{"reason": {"type": "illegal_argument_exception",
                "reason": "script_score script returned an invalid score [-1.0] for doc [0]. Must be a non-negative score!"}}]}});
        let UserAnswer::Failed(failure) = parse_answer(&item, &sent(&q), 0) else { panic!("failure expected") };
        assert_eq!(failure.diagnostic.code, CODE_ENGINE_INVALID_SCORE);
        assert!(failure.diagnostic.message.contains("invalid score [-1.0]"));
    }

    #[test]
    fn rejected_execution_is_transient() {
        let q = Rewritten::unchanged("1");
        let item = json!({"status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "queue full"}});
        assert!(matches!(parse_answer(&item, &sent(&q), 0), UserAnswer::Transient { status: 429, .. }));
    }

    #[test]
    fn utf16_offsets() {
        assert_eq!(utf16_to_byte("a😀b", 0), 0);
        assert_eq!(utf16_to_byte("a😀b", 1), 1);
        assert_eq!(utf16_to_byte("a😀b", 3), 5);
        assert_eq!(utf16_to_byte("a😀b", 99), 6);
    }
}
