//! The front-end's diagnostics: stable codes and ES's wording, in one place.
//!
//! Lexer and parser errors are compile errors that ES wraps as `script_exception` →
//! `illegal_argument_exception` (PainlessScriptEngine.convertToScriptException; the lexer and the
//! parser error strategy both throw `IllegalArgumentException`). The nested ANTLR exception ES
//! prints one level deeper is derived from the code by `nested_cause`.

use super::code;
use super::diag::{Diagnostic, Phase, Severity};
use super::span::Span;

/// The ANTLR exception ES nests under `caused_by` for this code, if any. Lexer errors:
/// `lexer_no_viable_alt_exception` (seen in a real response, painless-facts §14). Parser errors
/// raised through `ParserErrorStrategy.recover` carry the ANTLR exception too
/// (`no_viable_alt_exception`, `input_mismatch_exception`) **\[unverified\]**; `recoverInline`
/// (our P110) passes no cause.
pub fn nested_cause(code: &str) -> Option<&'static str> {
    match code {
        code::parse::UNEXPECTED_CHARACTER
        | code::parse::INVALID_ESCAPE
        | code::parse::UNTERMINATED_COMMENT
        | code::parse::UNTERMINATED_LITERAL => Some("lexer_no_viable_alt_exception"),
        code::parse::INVALID_SEQUENCE | code::parse::UNEXPECTED_END => Some("no_viable_alt_exception"),
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
        "int" => code::parse::INVALID_INT,
        "long" => code::parse::INVALID_LONG,
        _ => code::parse::INVALID_FLOAT,
    };
    let mut message = format!("Invalid {kind} constant [{value}].");
    if let Some(hint) = long_hint {
        message.push_str(&format!(" If you want a long constant then change it to [{hint}]."));
    }
    compile_error(code, message, span, None)
}

pub(crate) fn too_deep(max: usize, span: Span) -> Diagnostic {
    compile_error(
        code::parse::TOO_DEEP,
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
        code::parse::TOO_COMPLEX,
        "script is too complex to parse (parser work budget exhausted)".into(),
        span,
        Some("a scorelab limit (ParseLimits::max_parser_calls_per_byte), not an Elasticsearch one".into()),
    )
}

pub(crate) fn too_large(len: usize, max: usize) -> Diagnostic {
    compile_error(
        code::parse::TOO_LARGE,
        format!("script is too large: {len} bytes (the limit is {max})"),
        Span::new(0, 0),
        Some("a scorelab limit (ParseLimits::max_source_bytes); Elasticsearch itself refuses inline scripts over script.max_size_in_bytes (65535 by default)".into()),
    )
}

pub(crate) fn internal(what: &str) -> Diagnostic {
    let mut d =
        compile_error(code::parse::INTERNAL, format!("internal front-end error: {what}"), Span::default(), None);
    d.help = Some("please report this script: the grammar accepted it but the lowering did not".into());
    d
}
