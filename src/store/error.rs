//! Errors of the binary store. Each variant names the store directory or file it concerns.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a scorelab store: {message}")]
    NotAStore { path: PathBuf, message: String },
    #[error(
        "{path}: store format version {found} is not supported (this scorelab reads version {expected}); re-run `scorelab import`"
    )]
    FormatVersion { path: PathBuf, found: u32, expected: u32 },
    #[error(
        "{path}: checksum mismatch: expected {expected}, found {found}; the store is corrupt, re-run `scorelab import`"
    )]
    Checksum { path: PathBuf, expected: String, found: String },
    #[error("{path}: {message}; the store is corrupt, re-run `scorelab import`")]
    Corrupt { path: PathBuf, message: String },
    /// The dataset handed to `Store::from_dataset` is inconsistent.
    #[error("invalid dataset: {0}")]
    InvalidDataset(String),
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io { path: path.into(), source }
    }
}
