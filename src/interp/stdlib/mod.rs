//! The standard library: the whitelist [`registry`] (the calling convention between the checker,
//! both evaluators and library members) and every class registered in it: `Math`/`Integer`/`Long`/
//! `Double`/`Float` statics, `String`/`List`/`Map` methods, score functions, vector functions for
//! both dialects, doc values and `java.time`. Everything a script can call is registered in
//! [`register`]; the evaluators never implement library members themselves.
//!
//! The pure modules (`math`, `score`, `vectors`, `docvalues`) work on plain Rust values and are
//! unit-tested on their own; the `reg_*` modules adapt them (and the Java semantics in
//! `crate::interp::runtime`) to `Value`s.
//!
//! Whitelisted ES members that are not implemented here are registered as unsupported locally
//! (L406), so valid Painless is never reported as invalid.

mod args;
pub mod docvalues;
pub mod math;
mod reg_collections;
mod reg_doc;
mod reg_functions;
mod reg_numbers;
mod reg_strings;
pub(crate) mod reg_time;
pub mod registry;
pub use reg_collections::collection_items;
pub mod score;
/// `java.time` values and text (kept with the data layer, which reads date fields with the same rules).
pub use crate::data::dates as time;
pub mod vectors;

use registry::Registry;

/// Fill the whitelist tables. Called once per process by `registry::registry()`.
pub fn register(reg: &mut Registry) {
    reg_numbers::register(reg);
    reg_collections::register(reg);
    reg_doc::register(reg);
    reg_functions::register(reg);
    reg_strings::register(reg);
    reg_time::register(reg);
    register_unimplemented(reg);
}

/// Members Elasticsearch whitelists that the local library does not implement: the checker
/// reports them as unsupported locally (L406) instead of "not found", which would wrongly call
/// valid Painless invalid. Lambda-taking augmentations are among them.
fn register_unimplemented(reg: &mut Registry) {
    const WHY: &str = "not implemented in the local runtime library";
    let string_members = [
        "codePointAt",
        "codePointBefore",
        "codePointCount",
        "contentEquals",
        "copyValueOf",
        "getChars",
        "offsetByCodePoints",
        "regionMatches",
        "subSequence",
        "toCharArray",
        "chars",
        "codePoints",
        "strip",
        "stripLeading",
        "stripTrailing",
        "isBlank",
        "lines",
        "indent",
        "encodeBase64",
        "decodeBase64",
        "sha1",
        "sha256",
        "sha512",
        "matches",
        "split",
        "replaceAll",
        "replaceFirst",
        "intern",
        "getBytes",
        "hashCode",
    ];
    for m in string_members {
        reg.add_unsupported_member("String", m, WHY);
    }
    let collection_members = [
        "iterator",
        "stream",
        "parallelStream",
        "spliterator",
        "toArray",
        "removeIf",
        "forEach",
        "any",
        "asCollection",
        "asList",
        "each",
        "eachWithIndex",
        "every",
        "findResults",
        "groupBy",
        "join",
        "sum",
        "collect",
        "find",
        "findAll",
        "split",
        "listIterator",
        "replaceAll",
        "ensureCapacity",
        "trimToSize",
        "clone",
        "removeRange",
        "sort",
        "subList",
        "addAll",
        "remove",
    ];
    for owner in ["Collection", "List", "ArrayList", "Set", "HashSet"] {
        for m in collection_members {
            reg.add_unsupported_member(owner, m, WHY);
        }
    }
    let map_members = [
        "compute",
        "computeIfAbsent",
        "computeIfPresent",
        "forEach",
        "merge",
        "replace",
        "replaceAll",
        "remove",
        "collect",
        "count",
        "each",
        "every",
        "find",
        "findAll",
        "findResult",
        "findResults",
        "groupBy",
        "clone",
        "entry",
        "getOrDefault",
        "putIfAbsent",
    ];
    for owner in ["Map", "HashMap"] {
        for m in map_members {
            reg.add_unsupported_member(owner, m, WHY);
        }
    }
}
