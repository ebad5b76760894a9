//! What both evaluators share at run time: [`value::Value`] and the Java semantics of its
//! operations (number conversions and formatting, string rules, `HashMap` iteration order), the
//! static types the checker assigns, runtime errors as Elasticsearch names them, and the limits a
//! script runs under. The pure modules (`javafmt`, `hashmap`, `numbers`, `strings`) work on plain
//! Rust values and are checked against a JDK's output (tests/interp/runtime_lib.rs).

pub mod error;
pub mod hashmap;
pub mod javafmt;
pub mod limits;
pub mod numbers;
pub mod ops;
pub mod output;
pub mod strings;
pub mod types;
pub mod value;
