//! The front-end's diagnostics: stable codes and ES's wording, in one place.
//!
//! Lexer and parser errors are compile errors that ES wraps as `script_exception` →
//! `illegal_argument_exception` (PainlessScriptEngine.convertToScriptException; the lexer and the
//! parser error strategy both throw `IllegalArgumentException`). The nested ANTLR exception ES
//! prints one level deeper is derived from the code by `nested_cause`.

use super::diag::{Diagnostic, Phase, Severity};
use super::span::Span;

/// Stable front-end codes (never renumbered; they appear in goldens and run logs).
pub mod code {
    /// Lexer: a character no token can start with (`#`, `@`, a space right after `.`).
    pub const UNEXPECTED_CHARACTER: &str = "P100";
    /// Lexer: a backslash sequence other than `\\` and the delimiting quote.
    pub const INVALID_ESCAPE: &str = "P101";
    /// Lexer: `//` comment without a final newline, or an unclosed `/*`.
    pub const UNTERMINATED_COMMENT: &str = "P102";
    /// Lexer: a string or regex literal that never closes.
    pub const UNTERMINATED_LITERAL: &str = "P103";
    /// Parser: `unexpected token [X] was expecting one of [...]`.
    pub const UNEXPECTED_TOKEN: &str = "P110";
    /// Parser: `invalid sequence of tokens near [X]`.
    pub const INVALID_SEQUENCE: &str = "P111";
    /// Parser: `unexpected end of script`.
    pub const UNEXPECTED_END: &str = "P112";
    /// `Invalid int constant [...]`.
    pub const INVALID_INT: &str = "P120";
    /// `Invalid long constant [...]`.
    pub const INVALID_LONG: &str = "P121";
    /// `Invalid float/double constant [...]`.
    pub const INVALID_FLOAT: &str = "P122";
    /// scorelab limit: nesting deeper than `ParseLimits::max_nesting`.
    pub const TOO_DEEP: &str = "P190";
    /// scorelab limit: source larger than `ParseLimits::max_source_bytes`.
    pub const TOO_LARGE: &str = "P191";
    /// scorelab limit: the parser's work budget (`ParseLimits::max_parser_calls_per_byte`) ran out.
    pub const TOO_COMPLEX: &str = "P192";
    /// A front-end bug: the grammar accepted something the lowering did not expect.
    pub const INTERNAL: &str = "P199";
}

/// The ANTLR exception ES nests under `caused_by` for this code, if any. Lexer errors:
/// `lexer_no_viable_alt_exception` (seen in a real response, painless-facts §14). Parser errors
/// raised through `ParserErrorStrategy.recover` carry the ANTLR exception too
/// (`no_viable_alt_exception`, `input_mismatch_exception`) **\[unverified\]**; `recoverInline`
/// (our P110) passes no cause.
pub fn nested_cause(code: &str) -> Option<&'static str> {
    match code {
        code::UNEXPECTED_CHARACTER | code::INVALID_ESCAPE | code::UNTERMINATED_COMMENT | code::UNTERMINATED_LITERAL => {
            Some("lexer_no_viable_alt_exception")
        }
        code::INVALID_SEQUENCE | code::UNEXPECTED_END => Some("no_viable_alt_exception"),
        _ => None,
    }
}

pub(crate) fn compile_error(code: &str, message: String, span: Span, help: Option<String>) -> Diagnostic {
    Diagnostic {
        code: code.to_string(),
        severity: Severity::Error,
        phase: Phase::Compile,
        span,
        statement: None,
        es_type: "illegal_argument_exception".to_string(),
        message,
        help,
        java_frames: Vec::new(),
    }
}

pub(crate) fn invalid_constant(kind: &str, value: &str, long_hint: Option<&str>, span: Span) -> Diagnostic {
    let code = match kind {
        "int" => code::INVALID_INT,
        "long" => code::INVALID_LONG,
        _ => code::INVALID_FLOAT,
    };
    let mut message = format!("Invalid {kind} constant [{value}].");
    if let Some(hint) = long_hint {
        message.push_str(&format!(" If you want a long constant then change it to [{hint}]."));
    }
    compile_error(code, message, span, None)
}

pub(crate) fn too_deep(max: usize, span: Span) -> Diagnostic {
    compile_error(
        code::TOO_DEEP,
        format!("script nesting is too deep (more than {max} levels)"),
        Span { start: span.start, end: span.start.saturating_add(1).min(span.end.max(span.start + 1)) },
        Some(
            "this is a scorelab limit (ParseLimits::max_nesting), not an Elasticsearch one; flatten the expression"
                .into(),
        ),
    )
}

pub(crate) fn too_complex(span: Span) -> Diagnostic {
    compile_error(
        code::TOO_COMPLEX,
        "script is too complex to parse (parser work budget exhausted)".into(),
        span,
        Some("a scorelab limit (ParseLimits::max_parser_calls_per_byte), not an Elasticsearch one".into()),
    )
}

pub(crate) fn too_large(len: usize, max: usize) -> Diagnostic {
    compile_error(
        code::TOO_LARGE,
        format!("script is too large: {len} bytes (the limit is {max})"),
        Span::new(0, 0),
        Some("a scorelab limit (ParseLimits::max_source_bytes); Elasticsearch itself refuses inline scripts over script.max_size_in_bytes (65535 by default)".into()),
    )
}

pub(crate) fn internal(what: &str) -> Diagnostic {
    let mut d = compile_error(code::INTERNAL, format!("internal front-end error: {what}"), Span::default(), None);
    d.help = Some("please report this script: the grammar accepted it but the lowering did not".into());
    d
}
