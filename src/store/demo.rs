//! Stores built straight from a dataset adapter: the MovieLens demo store that the out-of-box commands
//! open (prepared and imported on first use), the synthetic store of `--dataset synthetic` (generated on
//! first use) and in-memory synthetic stores for benches and tests. They live here rather than in `data`
//! so that data flows one way: `data` produces datasets, `store` turns them into stores.

use super::{Store, StoreError};
use crate::data::{
    DataError, MOVIELENS_DATASET_DIR, MOVIELENS_INPUT_DIR, MovielensOptions, SyntheticOptions, prepare_movielens,
    synthetic_dataset, write_dataset,
};
use crate::progress::Progress;
use std::path::{Path, PathBuf};

/// Default store of the MovieLens demo, relative to the working directory.
pub const DEFAULT_STORE_DIR: &str = ".scorelab/stores/movielens";
/// Store of `--dataset synthetic` (`SyntheticOptions::default()`), relative to the working directory.
pub const SYNTHETIC_STORE_DIR: &str = ".scorelab/stores/synthetic";

/// Why a store built from a dataset adapter (demo, synthetic, or imported from files on first use)
/// could not be opened or built.
#[derive(Debug, thiserror::Error)]
pub enum DatasetStoreError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Returns `root/.scorelab/stores/movielens`, preparing and importing it from
/// `root/data/ml-latest-small` (default options) when it is missing or does not open; `progress` is
/// told the ALS iterations completed when the store has to be built.
pub fn ensure_demo_store(root: &Path, progress: &mut dyn Progress) -> Result<PathBuf, DatasetStoreError> {
    let store_dir = root.join(DEFAULT_STORE_DIR);
    if Store::open(&store_dir).is_ok() {
        return Ok(store_dir);
    }
    let dataset = prepare_movielens(&root.join(MOVIELENS_INPUT_DIR), &MovielensOptions::default(), progress)?;
    write_dataset(&dataset, &root.join(MOVIELENS_DATASET_DIR))?;
    Store::from_dataset(&dataset)?.save(&store_dir)?;
    Ok(store_dir)
}

/// Returns `root/.scorelab/stores/synthetic`, generating it with `SyntheticOptions::default()` (the
/// defaults of `scorelab prepare synthetic`) when it is missing or does not open.
pub fn ensure_synthetic_store(root: &Path) -> Result<PathBuf, DatasetStoreError> {
    let store_dir = root.join(SYNTHETIC_STORE_DIR);
    if Store::open(&store_dir).is_err() {
        synthetic_store(&SyntheticOptions::default())?.save(&store_dir)?;
    }
    Ok(store_dir)
}

/// The synthetic dataset as an in-memory store (for benches and tests).
pub fn synthetic_store(opts: &SyntheticOptions) -> Result<Store, StoreError> {
    Store::from_dataset(&synthetic_dataset(opts))
}
