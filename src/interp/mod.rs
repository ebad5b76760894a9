//! The Painless interpreter, laid out by phase:
//! - [`compile`](mod@compile): parse, check (names → slots, static types, the whitelist), lower to the [`ir`],
//!   fold, hoist per-user invariants, plan the column-wise path. Its product is a [`Program`].
//! - [`run`]: per-user bound state, the tree-walking evaluator, the column-wise batch executor,
//!   deadlines and the `_execute` test context.
//! - [`runtime`]: values and the Java semantics both evaluators share (numbers, strings, `HashMap`
//!   order, number formatting, runtime errors, static types and limits).
//! - [`stdlib`]: the whitelist registry and the classes registered in it (doc values, score and
//!   vector functions, `Math`, collections, `java.time`).
//!
//! [`Program`] (`program.rs`) is the one type the phases hand over; [`ir`] is their contract.

pub mod compile;
pub mod ir;
mod program;
pub mod run;
pub mod runtime;
mod stack;
pub mod stdlib;

pub use compile::{CompileEnv, Compiled, compile};
pub use program::Program;
pub use run::batch::{BatchFailure, BatchScores, BatchStats};
pub use run::bound::{Bound, schema_fields};
pub use run::test_context::{ExecResult, exec_test, exec_test_with};
pub use runtime::error::{RuntimeError, RuntimeErrorKind};
pub use runtime::limits::Limits;
pub use runtime::types::{Dialect, Prim, ScriptContext, Ty};
pub use runtime::value::Value;
pub use stdlib::registry::{CallCtx, Registry, registry};
