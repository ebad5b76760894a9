//! Datasets before they become stores: the in-memory exchange format (`Dataset`), its reader and
//! writer (the `default` adapter: `items.jsonl`, `users.jsonl`, `interactions.csv`, optional
//! `exclusions.csv` and `dataset.json`), and adapters that produce it. Adding a dataset means adding
//! one adapter module that returns a `Dataset`.

mod dataset;
mod error;
pub mod fsio;
mod read;
mod write;

pub use dataset::{AttrValue, Dataset, DatasetSettings, Exclusion, FieldKind, FieldSpec, Interaction, Item, User};
pub use error::DataError;
pub use read::{read_dataset, EXCLUSIONS_FILE, INTERACTIONS_FILE, ITEMS_FILE, SETTINGS_FILE, USERS_FILE};
pub use write::write_dataset;
