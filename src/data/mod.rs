//! Datasets before they become stores: the in-memory exchange format (`Dataset`), its reader and
//! writer (the `default` adapter: `items.jsonl`, `users.jsonl`, `interactions.csv`, optional
//! `exclusions.csv` and `dataset.json`), and adapters that produce it (`movielens`, `synthetic`). Adding a
//! dataset means adding one adapter module that returns a `Dataset`.

pub mod als;
mod dataset;
mod error;
pub mod fsio;
pub mod movielens;
mod read;
pub mod synthetic;
mod write;

pub use dataset::{AttrValue, Dataset, DatasetSettings, Exclusion, FieldKind, FieldSpec, Interaction, Item, User};
pub use error::DataError;
pub use movielens::{MovielensOptions, prepare_movielens, prepare_movielens_with_progress};
pub use read::{
    EXCLUSIONS_FILE, INTERACTIONS_FILE, ITEMS_FILE, SETTINGS_FILE, USERS_FILE, dataset_bytes, read_dataset,
    read_dataset_with_progress,
};
pub use synthetic::{SyntheticOptions, synthetic_dataset, synthetic_store};
pub use write::write_dataset;

use std::path::{Path, PathBuf};

/// Where the MovieLens CSVs live, relative to the repository root.
pub const MOVIELENS_INPUT_DIR: &str = "data/ml-latest-small";
/// Default exchange-format output of `scorelab prepare movielens`, relative to the working directory.
pub const MOVIELENS_DATASET_DIR: &str = ".scorelab/datasets/movielens";
/// Default store of the MovieLens demo, relative to the working directory.
pub const DEFAULT_STORE_DIR: &str = ".scorelab/stores/movielens";

/// Returns `root/.scorelab/stores/movielens`, preparing and importing it from
/// `root/data/ml-latest-small` (default options) when it is missing or does not open.
pub fn ensure_demo_store(root: &Path) -> Result<PathBuf, crate::Error> {
    ensure_demo_store_with_progress(root, &mut |_| {})
}

/// `ensure_demo_store`, calling `als_done(iterations_completed)` after each of the
/// `MovielensOptions::default().iterations` ALS iterations when the store has to be built.
pub fn ensure_demo_store_with_progress(root: &Path, als_done: &mut dyn FnMut(usize)) -> Result<PathBuf, crate::Error> {
    let store_dir = root.join(DEFAULT_STORE_DIR);
    if crate::store::Store::open(&store_dir).is_ok() {
        return Ok(store_dir);
    }
    let dataset =
        prepare_movielens_with_progress(&root.join(MOVIELENS_INPUT_DIR), &MovielensOptions::default(), als_done)?;
    write_dataset(&dataset, &root.join(MOVIELENS_DATASET_DIR))?;
    crate::store::Store::from_dataset(&dataset)?.save(&store_dir)?;
    Ok(store_dir)
}
