//! The Painless runtime library (temporary module list until interp's contract lands).
pub mod hashmap;
pub mod javafmt;
pub mod math;
pub mod numbers;
pub mod score;
pub mod strings;
pub mod vectors;

/// A failure inside a library function.
#[derive(Debug, Clone, PartialEq)]
pub enum LibError {
    /// A Java exception Elasticsearch throws too (`es_type` in snake case, message verbatim).
    Thrown { es_type: &'static str, message: String, java_frames: Vec<String> },
    /// Valid Painless whose result the local library cannot reproduce exactly.
    Unsupported(String),
}

impl LibError {
    pub fn thrown(es_type: &'static str, message: impl Into<String>) -> Self {
        LibError::Thrown { es_type, message: message.into(), java_frames: Vec::new() }
    }

    pub fn unsupported(reason: impl Into<String>) -> Self {
        LibError::Unsupported(reason.into())
    }
}
