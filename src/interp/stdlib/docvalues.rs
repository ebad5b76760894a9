//! Doc-values semantics (painless-facts §12) over the store's per-item slices, which arrive sorted
//! ascending (numerics keep duplicates; keywords are deduplicated dictionary codes in UTF-8 byte
//! order): `.value` ≡ `get(0)` (the minimum), `.size()`, `.empty`, `.length`, `[i]`.
//!
//! ES 8.13 `ScriptDocValues.Longs.get(i)` is `throwIfEmpty(); supplier.getInternal(i)`, and the
//! supplier reads a reused array whose length is its capacity, not the document's value count:
//! an index at or past `size()` returns a stale value from an earlier document or throws with the
//! capacity in the message. Neither is reproducible, so such reads are refused locally.
//!
//! The Java frames ES prints above the script for a missing value are taken from a 9.0.0 error
//! sample (`throwIfEmpty:93`, `get:117`, `getValue:112`); 8.13's line numbers are unverified.

use crate::interp::runtime::error::RuntimeError;

/// The ES build the frames name (docker-compose.yml runs 8.13.4).
pub const ES_SERVER_MODULE: &str = "org.elasticsearch.server@8.13.4";

/// The doc-values class of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocValuesClass {
    Longs,
    Doubles,
    Strings,
    Dates,
}

impl DocValuesClass {
    fn java_name(self) -> &'static str {
        match self {
            DocValuesClass::Longs => "Longs",
            DocValuesClass::Doubles => "Doubles",
            DocValuesClass::Strings => "Strings",
            DocValuesClass::Dates => "Dates",
        }
    }
}

/// How the script reached the value: `.value` goes through `getValue()`, `[i]`/`get(i)` do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Value,
    Get,
}

/// `IllegalStateException` for a missing value, with ES's frames (innermost first).
pub fn missing_value(class: DocValuesClass, access: Access) -> RuntimeError {
    let m = ES_SERVER_MODULE;
    let c = class.java_name();
    let mut err = RuntimeError::illegal_state(
        "A document doesn't have a value for a field! Use doc[<field>].size()==0 to check if a document is missing a field!",
    )
    .with_frame(format!("{m}/org.elasticsearch.index.fielddata.ScriptDocValues.throwIfEmpty(ScriptDocValues.java:93)"))
    .with_frame(format!("{m}/org.elasticsearch.index.fielddata.ScriptDocValues${c}.get(ScriptDocValues.java:117)"));
    if access == Access::Value {
        err = err.with_frame(format!(
            "{m}/org.elasticsearch.index.fielddata.ScriptDocValues${c}.getValue(ScriptDocValues.java:112)"
        ));
    }
    err
}

/// `doc['nope']` for a field outside the mapping.
pub fn unmapped_field(name: &str) -> RuntimeError {
    RuntimeError::illegal_argument(format!("No field found for [{name}] in mapping"))
}

/// `doc['v'].value` / `doc['v'].get(0)` / `doc['v'][0]` on a dense_vector field.
pub fn vector_value_access() -> RuntimeError {
    RuntimeError::unsupported_operation(
        "accessing a vector field's value through 'get' or 'value' is not supported, use 'vectorValue' or 'magnitude' instead.",
    )
}

/// Doc values are read-only (`add`, `set`, `remove`, `sort` on `doc['f']`).
pub fn unmodifiable() -> RuntimeError {
    RuntimeError::unsupported_operation("doc values are unmodifiable")
}

/// The position `get(index)` reads, or the error ES raises (or the local refusal).
pub fn checked_index(len: usize, index: i32, class: DocValuesClass, access: Access) -> Result<usize, RuntimeError> {
    if len == 0 {
        return Err(missing_value(class, access));
    }
    if index < 0 || index as usize >= len {
        return Err(RuntimeError::unsupported_locally(format!(
            "doc values get({index}) on a field with {len} value(s): Elasticsearch reads a reused buffer there (a stale value or an error naming its capacity), which is not reproducible locally"
        )));
    }
    Ok(index as usize)
}

/// `ScriptDocValues.Longs.get(index)`.
pub fn long_at(values: &[i64], index: i32, access: Access) -> Result<i64, RuntimeError> {
    Ok(values[checked_index(values.len(), index, DocValuesClass::Longs, access)?])
}

/// `ScriptDocValues.Doubles.get(index)`.
pub fn double_at(values: &[f64], index: i32, access: Access) -> Result<f64, RuntimeError> {
    Ok(values[checked_index(values.len(), index, DocValuesClass::Doubles, access)?])
}

/// `ScriptDocValues.Dates.get(index)`: epoch milliseconds. `Dates` checks its own bounds (unlike
/// `Longs`): an index past the values is ES's `IndexOutOfBoundsException`; a missing value is the
/// `IllegalStateException` of the other classes, raised in `get` itself (the frames name `Dates.get`
/// and, through `.value`, `Dates.getValue`; ES 8.13's line numbers are unverified).
pub fn date_at(values: &[i64], index: i32, access: Access) -> Result<i64, RuntimeError> {
    let m = ES_SERVER_MODULE;
    if values.is_empty() {
        let mut err = RuntimeError::illegal_state(
            "A document doesn't have a value for a field! Use doc[<field>].size()==0 to check if a document is missing a field!",
        )
        .with_frame(format!("{m}/org.elasticsearch.index.fielddata.ScriptDocValues$Dates.get(ScriptDocValues.java)"));
        if access == Access::Value {
            err = err.with_frame(format!(
                "{m}/org.elasticsearch.index.fielddata.ScriptDocValues$Dates.getValue(ScriptDocValues.java)"
            ));
        }
        return Err(err);
    }
    if index < 0 {
        return Err(RuntimeError::unsupported_locally(format!(
            "doc values get({index}) on a date field: Elasticsearch reads its reused array there, which is not reproducible locally"
        )));
    }
    values.get(index as usize).copied().ok_or_else(|| {
        RuntimeError::new(
            crate::interp::runtime::error::es_type::INDEX_OUT_OF_BOUNDS,
            format!("attempted to fetch the [{index}] date when there are only [{}] dates.", values.len()),
        )
    })
}

/// `ScriptDocValues.Strings.get(index)`: the code's term.
pub fn keyword_at<'a>(
    codes: &[u32],
    term: impl Fn(u32) -> &'a str,
    index: i32,
    access: Access,
) -> Result<&'a str, RuntimeError> {
    Ok(term(codes[checked_index(codes.len(), index, DocValuesClass::Strings, access)?]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_the_minimum_and_missing_raises_es_message() {
        assert_eq!(long_at(&[3, 5, 5], 0, Access::Value).ok(), Some(3));
        let err = double_at(&[], 0, Access::Value).unwrap_err();
        assert_eq!(err.es_type, "illegal_state_exception");
        assert!(err.message.starts_with("A document doesn't have a value for a field!"));
        assert_eq!(err.java_frames.len(), 3);
        assert!(err.java_frames[2].contains("ScriptDocValues$Doubles.getValue"));
        assert_eq!(double_at(&[], 0, Access::Get).unwrap_err().java_frames.len(), 2);
        assert_eq!(
            long_at(&[1], 1, Access::Get).unwrap_err().kind,
            crate::interp::runtime::error::RuntimeErrorKind::UnsupportedLocally
        );
    }
}
