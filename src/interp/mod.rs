//! The Painless interpreter: checker (names → slots, static types, whitelist), a slot-resolved IR
//! with per-user hoisting, and a tree-walking evaluator with Painless's exact semantics.
//! `lib/` (the runtime library) fills the whitelist registry.

pub mod batch;
pub mod bound;
pub mod check;
pub mod deadline;
pub mod error;
pub mod eval;
pub mod fold;
pub mod hoist;
pub mod ir;
pub mod lib;
pub mod limits;
pub mod output;
pub mod program;
pub mod registry;
pub mod types;
pub mod value;

pub use batch::{BatchFailure, BatchScores, BatchStats};
pub use bound::{Bound, schema_fields};
pub use error::{RuntimeError, RuntimeErrorKind};
pub use limits::Limits;
pub use program::{CompileEnv, Compiled, ExecResult, Program, TIMED_OUT_CODE, compile, exec_test, exec_test_with};
pub use registry::{CallCtx, Registry, registry};
pub use types::{Dialect, Prim, ScriptContext, Ty};
pub use value::Value;
