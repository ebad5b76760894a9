//! OWNER: the "runtime" helper. The runtime library: Java number formatting, `Math`/`Integer`/
//! `Long`/`Double`/`Float` statics, `String`/`List`/`Map` methods, Java `HashMap` order, score
//! functions, vector functions for both dialects, doc-values semantics.
//!
//! Everything the interpreter can call is registered in [`register`] through the contract in
//! `src/interp/registry.rs` (read its module doc for the calling convention). The interpreter core
//! (interp helper) never implements library members itself; it only calls what is registered here.
//!
//! The pure modules (`javafmt`, `hashmap`, `math`, `numbers`, `strings`, `score`, `vectors`) work on
//! plain Rust values and are unit-tested on their own; the `reg_*` modules adapt them to `Value`s.

mod args;
pub mod docvalues;
pub mod hashmap;
pub mod javafmt;
pub mod math;
pub mod numbers;
mod reg_collections;
mod reg_doc;
mod reg_functions;
mod reg_numbers;
mod reg_strings;
pub use reg_collections::collection_items;
pub use reg_strings::to_java_string;
pub mod score;
pub mod strings;
pub mod vectors;

use super::registry::Registry;

/// Fill the whitelist tables. Called once per process by `registry::registry()`.
pub fn register(reg: &mut Registry) {
    reg_numbers::register(reg);
    reg_collections::register(reg);
    reg_doc::register(reg);
    reg_functions::register(reg);
    reg_strings::register(reg);
}
