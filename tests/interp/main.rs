//! The interpreter and evaluation over stores: runtime library semantics, dates, vector functions, the batch
//! executor against the tree-walker, the local engine, eval and the metrics.
//!
//! One test binary (one link, one process) for what used to be 7; run one part with
//! `cargo test --profile ci --test interp MODULE::`.

mod batch_eval;
mod dates;
mod engine_local;
mod eval;
mod metrics;
mod runtime_lib;
mod vectors;
