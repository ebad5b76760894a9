//! The Painless front-end: grammar (pest), lowering to an owned AST, diagnostics and their renderers.
//! pest types never leave `grammar.rs` / `lower.rs`.
//!
//! `parse` runs three steps: a token pre-scan (`lex.rs`: ES's lexer errors, nesting estimate,
//! comments), the pest parser (`grammar.rs`, `grammar/painless.pest`) on the source with its
//! comments blanked to spaces (offsets unchanged) and the lowering to `ast::Script` (`lower.rs`). Every step is bounded by `ParseLimits`, so hostile input fails with a diagnostic.
//!
//! **Stack.** pest is held at 2.7 (see Cargo.toml): from 2.8 it probes the native stack on every
//! combinator call, which was 28% of parse+check instructions on the bench scripts. Instead the
//! pre-scan bounds pest's recursion (`Lexed::parser_depth_bound`) and `parse` runs pest through
//! `stacker::maybe_grow` on a stack that deep, allocated only when the current one is too short;
//! `PEST_STACK_PER_LEVEL` is twice the worst case measured per level.

pub mod ast;
pub mod code;
pub mod depth;
pub mod diag;
pub mod errors;
pub mod grammar;
pub(crate) mod lex;
pub(crate) mod lower;
pub mod print;
pub mod render;
pub mod span;

pub use diag::{Diagnostic, Phase, Severity};
pub use render::{render_es, render_es_search_envelope, render_human, render_human_styled};
pub use span::Span;

use std::num::NonZeroUsize;

/// Bounds on what `parse` accepts (rhai's `Limits` shape: one plain struct with named defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest source accepted, in bytes. ES's own default for inline scripts is 65,535 bytes
    /// (`script.max_size_in_bytes`); ours is larger so that long generated scripts still get
    /// a syntax check.
    pub max_source_bytes: usize,
    /// Deepest nesting accepted: brackets plus chains of prefix operators, assignments,
    /// conditionals and nested statements (see `lex.rs`). The AST lowering is bounded by a
    /// multiple of it.
    pub max_nesting: usize,
    /// Budget of pest rule calls per source byte (`pest::set_call_limit` gets this times the
    /// source length, at least `MIN_BUDGETED_BYTES` worth), against pathological backtracking.
    /// Measured: every real-world, golden and shipped script parses within 100 per byte (the
    /// largest need is ~47; tests/frontend/realworld_parse.rs keeps it so).
    pub max_parser_calls_per_byte: usize,
}

impl ParseLimits {
    pub const DEFAULT_MAX_SOURCE_BYTES: usize = 256 * 1024;
    pub const DEFAULT_MAX_NESTING: usize = 128;
    pub const DEFAULT_MAX_PARSER_CALLS_PER_BYTE: usize = 400;
    /// Scripts shorter than this are budgeted as if this long (the tiniest scripts need up to ~500
    /// calls in all). It was 4 KiB: then a 170-byte garbage input found by the fuzzer spent 1.6 M
    /// parser calls before the refusal, ~200 ms in the instrumented fuzz build, and fuzzing crawled.
    pub const MIN_BUDGETED_BYTES: usize = 256;
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_source_bytes: Self::DEFAULT_MAX_SOURCE_BYTES,
            max_nesting: Self::DEFAULT_MAX_NESTING,
            max_parser_calls_per_byte: Self::DEFAULT_MAX_PARSER_CALLS_PER_BYTE,
        }
    }
}

/// Native stack pest may use per level of `Lexed::parser_depth_bound`: twice the worst case
/// measured (nested method calls, `Math.abs(Math.abs(...))`: 1.4 KiB per level in release
/// builds, 11.4 KiB in debug builds, where the generated parser is not optimised).
const PEST_STACK_PER_LEVEL: usize = if cfg!(debug_assertions) { 24 << 10 } else { 3 << 10 };

/// Held from setting pest's process-wide call limit until the parse that uses it is done.
static PEST_CALL_LIMIT: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Parses a Painless script with the default limits.
pub fn parse(source: &str) -> Result<ast::Script, Vec<Diagnostic>> {
    parse_with_limits(source, &ParseLimits::default())
}

/// Parses a Painless script. Errors are ES's compile errors (same class and message where ES's
/// wording is known) plus scorelab's own limits (P19x).
pub fn parse_with_limits(source: &str, limits: &ParseLimits) -> Result<ast::Script, Vec<Diagnostic>> {
    if source.len() > limits.max_source_bytes {
        return Err(vec![errors::too_large(source.len(), limits.max_source_bytes)]);
    }
    let lexed = lex::lex(source);
    let (nesting, at) = lexed.max_nesting;
    if nesting > limits.max_nesting {
        return Err(vec![errors::too_deep(limits.max_nesting, Span::new(at, at + 1))]);
    }
    let budget = limits.max_parser_calls_per_byte.saturating_mul(source.len().max(ParseLimits::MIN_BUDGETED_BYTES));
    let text = lex::blank_comments(source, &lexed.comments);
    // pest 2.7 does not check its own stack: it runs on one sized for the deepest recursion the
    // pre-scan allows for, grown on the heap only when the current stack is too short. pest
    // never gets past a lexer error other than a control character, which the pre-scan steps
    // over as pest does.
    let stack_needed = lexed.parser_depth_bound.saturating_add(16).saturating_mul(PEST_STACK_PER_LEVEL);
    let parsed = {
        // pest's call limit is one process-wide value, read when a parse starts: without the lock a
        // short script parsed on another thread could hand this parse its own smaller budget (a
        // valid script refused as too complex, seen in CI) or a larger one. Parses take
        // milliseconds; nothing else waits on this lock.
        let _budget_owner = PEST_CALL_LIMIT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pest::set_call_limit(NonZeroUsize::new(budget));
        stacker::maybe_grow(stack_needed, stack_needed, || grammar::parse_script(&text))
    };
    let pair = match parsed {
        Ok(pair) => pair,
        Err(failure) => return Err(vec![grammar::diagnose(source, &lexed, failure, limits)]),
    };
    if let Some(lex_error) = &lexed.error {
        // The grammar and the pre-scan disagree about a token: trust ES's lexer.
        return Err(vec![grammar::lex_diagnostic(source, lex_error)]);
    }
    let lowerer = lower::Lowerer::new(limits.max_nesting.saturating_mul(4).saturating_add(16));
    lowerer.script(pair).map_err(|d| vec![d])
}
