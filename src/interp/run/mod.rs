//! The run-time phase: a [`crate::interp::Program`] bound to one user ([`bound`]), evaluated per
//! document by the tree-walker ([`walk`]) or per chunk of documents by the batch executor
//! ([`batch`]), under a deadline ([`deadline`]); and the `_execute` test context.

pub mod batch;
pub mod bound;
pub mod deadline;
pub mod params;
pub mod test_context;
pub mod walk;
