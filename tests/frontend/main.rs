//! The Painless front end and checker: parser goldens and limits, the pest grammar, the checker's goldens,
//! the conformance corpus, and the real-world scripts of ../shared (which must be present in CI).
//!
//! One test binary (one link, one process) for what used to be 7; run one part with
//! `cargo test --profile ci --test frontend MODULE::`.

#[path = "../common/golden.rs"]
mod golden;
#[path = "../common/shared_corpus.rs"]
mod shared_corpus;

mod check;
mod conformance;
mod grammar;
mod limits;
mod parse;
mod realworld_check;
mod realworld_parse;
