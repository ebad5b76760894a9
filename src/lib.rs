//! scorelab: an optimiser in the driver's seat of a recommender's Painless scoring layer.
//!
//! Data flows one way: `data` (adapters → exchange format) → `store` (binary, memory-mapped) →
//! `painless` (front-end) → `interp` (compile + evaluate) → `rank` (local and search-engine ranking)
//! → `metrics` → `run` (run directories) → `optimise` (the loop) → `report`.
//! See ARCHITECTURE.md for the module map and the contracts between modules, and docs/ for the
//! definitions the code cites (`painless-facts §N`, `metrics.md`, `engines.md`).

pub mod data;
pub mod engine;
pub mod error;
pub mod interp;
pub mod metrics;
pub mod optimise;
pub mod painless;
pub mod rank;
pub mod report;
pub mod run;
pub mod store;

pub use error::Error;
