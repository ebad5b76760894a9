//! The Painless interpreter: checker (names → slots, static types, whitelist), a slot-resolved IR
//! with constant folding and per-user hoisting, and a tree-walking evaluator with Painless's exact
//! semantics. `lib/` (the runtime library) fills the whitelist registry.

pub mod error;
pub mod lib;
pub mod limits;
pub mod registry;
pub mod types;
pub mod value;

pub use error::{RuntimeError, RuntimeErrorKind};
pub use limits::Limits;
pub use registry::{registry, CallCtx, Registry};
pub use types::{Dialect, Prim, ScriptContext, Ty};
pub use value::Value;
