//! Ranking: script sets, bounded top-k selection and the local rank engine.

pub mod script_set;
pub mod topk;

pub use script_set::{Dialect, Manifest, Script, ScriptSet, ScriptSetError, SortOrder, SortScript};
pub use topk::TopK;
