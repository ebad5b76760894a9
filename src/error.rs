//! The crate error: one variant per area, each area's enum defined in its own module.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    #[error("{0}")]
    Other(String),
}
