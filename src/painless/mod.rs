//! The Painless front-end: grammar (pest), lowering to an owned AST, diagnostics and their renderers.
//! pest types never leave `grammar.rs` / `lower.rs`.

pub mod ast;
pub mod diag;
pub mod span;

pub use diag::{Diagnostic, Phase, Severity};
pub use span::Span;
