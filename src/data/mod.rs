//! Datasets before they become stores: the in-memory exchange format (`Dataset`), its reader and
//! writer (the `default` adapter: `items.jsonl` or `loans.jsonl`, `users.jsonl`, `interactions.csv`,
//! optional `exclusions.csv` and `dataset.json`, in one directory or named by `.env` keys), and
//! adapters that produce it (`movielens`, `synthetic`). Adding a dataset means adding one adapter
//! module that returns a `Dataset`.

pub mod als;
mod attributes;
mod dataset;
pub mod dates;
mod error;
mod files;
pub mod fsio;
pub mod movielens;
mod read;
pub mod synthetic;
mod write;

pub use attributes::{DateFieldFlag, EpochUnit};
pub use dataset::{AttrValue, Dataset, DatasetSettings, Exclusion, FieldKind, FieldSpec, Interaction, Item, User};
pub use error::DataError;
pub use files::{DatasetFiles, ENV_INTERACTIONS_PATH, ENV_ITEMS_PATH, ENV_USERS_PATH, LOANS_FILE};
pub use movielens::{MovielensOptions, prepare_movielens};
pub use read::{
    DatasetRead, EXCLUSIONS_FILE, INTERACTIONS_FILE, ITEMS_FILE, SETTINGS_FILE, SettingsOverrides, USERS_FILE,
    dataset_bytes, read_dataset, read_dataset_files, read_dataset_with, read_dataset_with_progress,
};
pub use synthetic::{SyntheticOptions, synthetic_dataset};
pub use write::write_dataset;

/// Where the MovieLens CSVs live, relative to the repository root.
pub const MOVIELENS_INPUT_DIR: &str = "data/ml-latest-small";
/// Default exchange-format output of `scorelab prepare movielens`, relative to the working directory.
pub const MOVIELENS_DATASET_DIR: &str = ".scorelab/datasets/movielens";
