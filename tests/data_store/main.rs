//! Data in and out: the CLI's prepare/import/export, the exchange format, MovieLens and synthetic data, and the
//! memory-mapped store.
//!
//! One test binary (one link, one process) for what used to be 5; run one part with
//! `cargo test --profile ci --test data_store MODULE::`.

#[path = "../common/data_fixture.rs"]
mod data_fixture;

mod data_cli;
mod data_exchange;
mod data_movielens;
mod data_synthetic;
mod store;
