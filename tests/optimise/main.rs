//! The optimisation loop: run records and their format, LLM providers against scripted servers, replays of
//! real model runs, the built-in optimiser's schema, and the report.
//!
//! One test binary (one link, one process) for what used to be 6; run one part with
//! `cargo test --profile ci --test optimise MODULE::`.

#[path = "../loop_http/mod.rs"]
mod loop_http;

mod builtin_schema;
mod llm_providers;
mod llm_replay;
mod report;
mod run_format;
mod run_loop;
