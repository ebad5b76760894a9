//! Errors of the data adapters. Every variant names the file and, where it applies, the line
//! (1-based), the column (1-based: a character column for JSON, a field number for CSV) and the field.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: malformed JSON: {message}")]
    Json { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}:{line}:{column}: not valid UTF-8 (byte 0x{byte:02X}); save the file as UTF-8")]
    NotUtf8 { path: PathBuf, line: usize, column: usize, byte: u8 },
    #[error("{path}:{line}:{column}: malformed CSV: {message}")]
    Csv { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}:{line}: missing required field `{field}`")]
    MissingField { path: PathBuf, line: usize, field: String },
    #[error("{path}:{line}: field `{field}`: {message}")]
    BadField { path: PathBuf, line: usize, field: String, message: String },
    #[error("{path}:{line}: field `{field}` has {got} dims, expected {expected}{why}")]
    WrongDims { path: PathBuf, line: usize, field: String, expected: usize, got: usize, why: String },
    #[error("{path}:{line}: field `{field}` holds a non-finite value ({value}) at position {index}")]
    NonFinite { path: PathBuf, line: usize, field: String, index: usize, value: String },
    #[error("{path}:{line}: field `{field}` must be a {expected_rows} x {expected_dims} matrix, got {got}")]
    BadMatrix { path: PathBuf, line: usize, field: String, expected_rows: usize, expected_dims: usize, got: String },
    #[error("{path}:{line}: duplicate {what} id \"{id}\" (first seen at line {first_line})")]
    DuplicateId { path: PathBuf, line: usize, what: &'static str, id: String, first_line: usize },
    #[error("{path}: empty file: {what}")]
    Empty { path: PathBuf, what: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "{path}: interaction weights are {why} ({distribution}) and no relevance threshold is set: pass \
         --threshold T to import (or set relevance_threshold in dataset.json); an interaction is relevant \
         when its weight >= T"
    )]
    NoThreshold { path: PathBuf, why: String, distribution: String },
    /// A setting given on the command line is unusable.
    #[error("{setting}: {message}")]
    Setting { setting: String, message: String },
    /// A dataset built in code (not read from files) is inconsistent.
    #[error("dataset: {0}")]
    Dataset(String),
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io { path: path.into(), source }
    }
}
