//! The two renderers of `Diagnostic`: a rustc-like human form (codespan-reporting) and the
//! `script_exception` JSON Elasticsearch returns (painless-facts §14), built by ES's own formula
//! so the optimiser and the drift check see exactly what a real node would say.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::termcolor::{Ansi, NoColor};
use codespan_reporting::term::{self, Config};
use serde_json::{Value, json};

use super::diag::{Diagnostic, Phase, Severity};
use super::errors::nested_cause;
use super::span::utf16_offset;

/// rustc-style rendering without colour (stable text for golden files and logs).
pub fn render_human(diags: &[Diagnostic], path: &str, source: &str) -> String {
    render_human_styled(diags, path, source, false)
}

/// rustc-style rendering; `color` adds ANSI escapes for terminals.
pub fn render_human_styled(diags: &[Diagnostic], path: &str, source: &str, color: bool) -> String {
    let file = SimpleFile::new(path, source);
    let config = Config::default();
    let mut out = Vec::new();
    for d in diags {
        let cs = to_codespan(d, source.len());
        // A write into a Vec cannot fail; a span outside the file is clamped by to_codespan.
        let result = if color {
            term::emit(&mut Ansi::new(&mut out), &config, &file, &cs)
        } else {
            term::emit(&mut NoColor::new(&mut out), &config, &file, &cs)
        };
        if let Err(e) = result {
            out.extend_from_slice(format!("{path}: {} [{}] (could not render: {e})\n", d.message, d.code).as_bytes());
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn to_codespan(d: &Diagnostic, len: usize) -> CsDiagnostic<()> {
    let severity = match d.severity {
        Severity::Error => CsSeverity::Error,
        Severity::UnsupportedLocally | Severity::Warning => CsSeverity::Warning,
    };
    let start = (d.span.start as usize).min(len);
    let end = (d.span.end as usize).clamp(start, len);
    let mut notes = Vec::new();
    if d.severity == Severity::UnsupportedLocally {
        notes.push(
            "note: valid Painless that the local interpreter does not run; Elasticsearch may accept it".to_string(),
        );
    }
    if let Some(help) = &d.help {
        notes.push(format!("help: {help}"));
    }
    let phase = match d.phase {
        Phase::Compile => "compile error",
        Phase::Runtime => "runtime error",
    };
    if d.severity != Severity::Warning {
        notes.push(format!("elasticsearch: {phase}, {}", d.es_type));
    }
    CsDiagnostic::new(severity)
        .with_code(d.code.clone())
        .with_message(d.message.clone())
        .with_labels(vec![Label::primary((), start..end)])
        .with_notes(notes)
}

fn utf16_slice(units: &[u16], from: usize, to: usize) -> String {
    String::from_utf16_lossy(&units[from.min(units.len())..to.min(units.len())])
}

/// The `script_exception` object ES returns for this diagnostic (with `caused_by`).
///
/// Compile errors (PainlessScriptEngine.convertToScriptException): `offset` is the failing
/// token's start in UTF-16 units, the stack shows `src[offset-25 .. offset+25]` with `... `
/// markers where cut, and a pointer line. Runtime errors (PainlessScript.convertToScriptException):
/// the non-Painless Java frames, then the whole enclosing statement `src[stmtStart..nextStmtStart]`
/// and a pointer at the failing node.
pub fn render_es(diag: &Diagnostic, source: &str) -> Value {
    let mut value = script_exception(diag, source);
    let mut cause = serde_json::Map::new();
    cause.insert("type".into(), json!(diag.es_type));
    cause.insert("reason".into(), if diag.message.is_empty() { Value::Null } else { json!(diag.message) });
    if let Some(nested) = nested_cause(&diag.code)
        && diag.phase == Phase::Compile
    {
        cause.insert("caused_by".into(), json!({"type": nested, "reason": null}));
    }
    if let Value::Object(map) = &mut value {
        map.insert("caused_by".into(), Value::Object(cause));
    }
    value
}

/// `script_exception` without `caused_by` (what ES puts in `root_cause`).
fn script_exception(diag: &Diagnostic, source: &str) -> Value {
    let units: Vec<u16> = source.encode_utf16().collect();
    let len = units.len();
    let offset = utf16_offset(source, diag.span.start as usize).min(len);
    match (diag.phase, diag.statement) {
        (Phase::Runtime, Some(stmt)) => {
            let start = utf16_offset(source, stmt.start as usize).min(offset);
            let end = utf16_offset(source, stmt.end as usize).max(start);
            let mut stack: Vec<Value> = diag.java_frames.iter().map(|f| json!(f)).collect();
            stack.push(json!(utf16_slice(&units, start, end)));
            stack.push(json!(format!("{}^---- HERE", " ".repeat(offset - start))));
            json!({
                "type": "script_exception",
                "reason": "runtime error",
                "script_stack": stack,
                "script": source,
                "lang": "painless",
                "position": {"offset": offset, "start": start, "end": end},
            })
        }
        _ => {
            let start = offset.saturating_sub(25);
            let end = (offset + 25).min(len);
            let head = if start > 0 { "... " } else { "" };
            let tail = if end < len { " ..." } else { "" };
            let pad = if start > 0 { "    " } else { "" };
            let reason = if diag.phase == Phase::Runtime { "runtime error" } else { "compile error" };
            json!({
                "type": "script_exception",
                "reason": reason,
                "script_stack": [
                    format!("{head}{}{tail}", utf16_slice(&units, start, end)),
                    format!("{pad}{}^---- HERE", " ".repeat(offset - start)),
                ],
                "script": source,
                "lang": "painless",
                "position": {"offset": offset, "start": start, "end": end},
            })
        }
    }
}

/// The HTTP 400 body of a `_search` whose script failed on one shard (painless-facts §14).
/// ES fills `node` with the node's random id; scorelab writes `scorelab-local`.
pub fn render_es_search_envelope(diag: &Diagnostic, source: &str, index: &str) -> Value {
    json!({
        "error": {
            "root_cause": [script_exception(diag, source)],
            "type": "search_phase_execution_exception",
            "reason": "all shards failed",
            "phase": "query",
            "grouped": true,
            "failed_shards": [{
                "shard": 0,
                "index": index,
                "node": "scorelab-local",
                "reason": render_es(diag, source),
            }],
        },
        "status": 400,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::painless::diag::Phase;
    use crate::painless::errors::compile_error;
    use crate::painless::span::Span;

    #[test]
    fn compile_window_matches_the_es_example() {
        // painless-facts §14: 88 chars, stray `)` at 87.
        let prefix = "x".repeat(62);
        let source = format!("{prefix}Style.FULL, Locale.ROOT)))");
        assert_eq!(source.len(), 88);
        let d = compile_error("P110", "unexpected token".into(), Span::new(87, 88), None);
        let v = render_es(&d, &source);
        assert_eq!(v["script_stack"][0], "... Style.FULL, Locale.ROOT)))");
        assert_eq!(v["script_stack"][1], format!("{}^---- HERE", " ".repeat(29)));
        assert_eq!(v["position"], json!({"offset": 87, "start": 62, "end": 88}));
        assert_eq!(v["reason"], "compile error");
        assert_eq!(v["caused_by"]["type"], "illegal_argument_exception");
    }

    #[test]
    fn short_scripts_have_no_ellipsis_and_utf16_offsets() {
        // `λ` is 2 UTF-8 bytes but 1 UTF-16 unit.
        let source = "'λ' + #";
        let d = compile_error("P100", "unexpected character [#].".into(), Span::new(7, 8), None);
        let v = render_es(&d, source);
        assert_eq!(v["script_stack"][0], source);
        assert_eq!(v["script_stack"][1], "      ^---- HERE");
        assert_eq!(v["position"], json!({"offset": 6, "start": 0, "end": 7}));
        assert_eq!(v["caused_by"]["caused_by"], json!({"type": "lexer_no_viable_alt_exception", "reason": null}));
    }

    #[test]
    fn runtime_formula_uses_the_statement() {
        let source = "def x = null;\ny = x.isEmpty();\nreturn y";
        let mut d = compile_error("R300", "cannot access method".into(), Span::new(19, 20), None);
        d.phase = Phase::Runtime;
        d.es_type = "null_pointer_exception".into();
        d.statement = Some(Span::new(14, 31));
        d.java_frames = vec!["frame".into()];
        let v = render_es(&d, source);
        assert_eq!(v["reason"], "runtime error");
        assert_eq!(v["script_stack"], json!(["frame", "y = x.isEmpty();\n", "     ^---- HERE"]));
        assert_eq!(v["position"], json!({"offset": 19, "start": 14, "end": 31}));
        assert!(v["caused_by"].get("caused_by").is_none());
    }

    #[test]
    fn envelope_has_root_cause_without_caused_by() {
        let d = compile_error("P110", "m".into(), Span::new(0, 1), None);
        let v = render_es_search_envelope(&d, "x", "items");
        assert!(v["error"]["root_cause"][0].get("caused_by").is_none());
        assert_eq!(v["error"]["failed_shards"][0]["reason"]["caused_by"]["reason"], "m");
        assert_eq!(v["status"], 400);
    }
}
