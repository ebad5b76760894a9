//! One `Diagnostic` type for every compile-time finding (parse, check, unsupported-locally) and every
//! runtime error. Two renderers read it: a rustc-like human form and the ES-shaped `script_exception`
//! JSON (painless-facts §14), which is what the optimiser and the drift check see.

use super::span::Span;
use serde::{Deserialize, Serialize};

/// How a finding affects the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Not valid Painless: Elasticsearch would also refuse it (compile error) or fail it (runtime error).
    Error,
    /// Valid Painless that the local interpreter refuses; the engine may still run it.
    UnsupportedLocally,
    /// Suspicious but runnable (an unknown `doc` field, a `params.x` the harness does not supply...).
    Warning,
}

/// When the finding happens in Elasticsearch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Compile,
    Runtime,
}

/// Stable diagnostic code: `P1xx` parse/lex, `C2xx` check, `R3xx` runtime, `L4xx` unsupported locally.
/// Codes appear in golden files and run logs and are never renumbered.
pub type Code = &'static str;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub code: String,
    pub severity: Severity,
    pub phase: Phase,
    /// The failing node or token (ES `position.offset` is its start, in UTF-16 units when rendered).
    pub span: Span,
    /// For runtime errors: the enclosing statement (ES `position.start..end` and the script_stack
    /// snippet). None for compile-time findings.
    pub statement: Option<Span>,
    /// ES's exception class in snake case: `illegal_argument_exception`, `class_cast_exception`...
    pub es_type: String,
    /// The message exactly as ES words it (`cannot resolve symbol [x]`).
    pub message: String,
    /// Extra guidance that ES does not give (known fields, the supported alternative...).
    pub help: Option<String>,
    /// Non-Painless Java frames ES prints above the script snippet in a runtime `script_stack`
    /// (e.g. the `ScriptDocValues$Longs.get` frame).
    pub java_frames: Vec<String>,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity != Severity::Warning
    }
}
