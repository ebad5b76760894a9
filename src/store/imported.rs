//! Stores imported on first use from a dataset's files (`--dataset DIR`, or the `.env` paths of the
//! `default` adapter), as the demo store is prepared on first use.
//!
//! Each lives at `<root>/.scorelab/stores/<name>-<checksum prefix>` (the name is the dataset's default
//! name, its directory's), keyed by the checksum of the
//! files' content and the settings given with them (`DatasetFiles::content_checksum`): a changed file
//! makes a new store, an unchanged one reuses the store it made, and no command reads a store that no
//! longer matches its files. The store is built in a temporary directory and renamed into place.
//!
//! Beside the store's own files, `import.json` records the files, the checksum and the defaults the
//! reader applied, so that a command reusing the store reports those defaults again (they change
//! metrics, so they are never silent).

use super::{DatasetStoreError, Store};
use crate::data::{DataError, DatasetFiles, SettingsOverrides, read_dataset_files};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where imported stores live, relative to the working directory (beside the demo store).
pub const IMPORTED_STORES_DIR: &str = ".scorelab/stores";
/// The record of an import, inside the store directory.
pub const IMPORT_RECORD_FILE: &str = "import.json";
/// Hex digits of the content checksum in a store's directory name: enough that two versions of one
/// dataset never share a directory by chance.
const KEY_DIGITS: usize = 16;

/// A store imported from a dataset's files.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedStore {
    pub path: PathBuf,
    /// `DatasetFiles::content_checksum` of the files and settings it was imported from.
    pub content_checksum: String,
    /// True when this call imported it; false when an earlier import was reused.
    pub imported_now: bool,
    /// The defaults the reader applied when the store was imported, one sentence each.
    pub defaults_applied: Vec<String>,
}

/// What `ensure_imported_store` reports while it works, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportProgress<'a> {
    /// No store matches the files: importing `bytes` bytes into `target`.
    Importing { target: &'a Path, bytes: u64 },
    /// Bytes read since the last report.
    Read(u64),
    /// The files are read; building and writing the store.
    Writing,
}

#[derive(Debug, Serialize, Deserialize)]
struct ImportRecord {
    content_checksum: String,
    items: PathBuf,
    users: PathBuf,
    interactions: PathBuf,
    exclusions: Option<PathBuf>,
    settings: Option<PathBuf>,
    defaults_applied: Vec<String>,
}

/// The directory of the store imported from files with this content checksum: `label`, for people to
/// read (reduced to file-name-safe characters), and the checksum's first hex digits.
pub fn imported_store_dir(root: &Path, label: &str, content_checksum: &str) -> PathBuf {
    let safe: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect();
    let safe = safe.trim_start_matches('.');
    let digest = content_checksum.strip_prefix("sha256:").unwrap_or(content_checksum);
    let key = &digest[..digest.len().min(KEY_DIGITS)];
    let label = if safe.is_empty() { "dataset" } else { safe };
    root.join(IMPORTED_STORES_DIR).join(format!("{label}-{key}"))
}

/// Returns the store imported from `files` with `overrides`, importing it under `root` when no store
/// matches their content checksum (or the matching one does not open).
pub fn ensure_imported_store(
    root: &Path,
    files: &DatasetFiles,
    overrides: &SettingsOverrides,
    progress: &dyn Fn(ImportProgress<'_>),
) -> Result<ImportedStore, DatasetStoreError> {
    let content_checksum = files.content_checksum(overrides)?;
    let dir = imported_store_dir(root, files.default_name.as_deref().unwrap_or(""), &content_checksum);
    if let Some(record) = reusable(&dir, &content_checksum) {
        return Ok(ImportedStore {
            path: dir,
            content_checksum,
            imported_now: false,
            defaults_applied: record.defaults_applied,
        });
    }
    progress(ImportProgress::Importing { target: &dir, bytes: files.bytes() });
    let read = read_dataset_files(files, overrides, &|n| progress(ImportProgress::Read(n)))?;
    // A file rewritten while it was read would leave a store under a key its content does not have.
    if files.content_checksum(overrides)? != content_checksum {
        return Err(DataError::Invalid {
            path: files.items.parent().unwrap_or(Path::new(".")).to_path_buf(),
            message: "the dataset's files changed while they were imported; run the command again".into(),
        }
        .into());
    }
    progress(ImportProgress::Writing);
    let store = Store::from_dataset(&read.dataset)?;
    let present = |p: &Path| p.exists().then(|| p.to_path_buf());
    let record = ImportRecord {
        content_checksum: content_checksum.clone(),
        items: files.items.clone(),
        users: files.users.clone(),
        interactions: files.interactions.clone(),
        exclusions: present(&files.exclusions),
        settings: present(&files.settings),
        defaults_applied: read.defaults_applied,
    };
    let record_path = dir.join(IMPORT_RECORD_FILE);
    let mut json = serde_json::to_vec_pretty(&record)
        .map_err(|e| DataError::Invalid { path: record_path, message: e.to_string() })?;
    json.push(b'\n');
    store.save_with(&dir, &[(IMPORT_RECORD_FILE, &json)])?;
    Ok(ImportedStore { path: dir, content_checksum, imported_now: true, defaults_applied: record.defaults_applied })
}

/// The record of the store in `dir` when that store opens and was imported from this content.
fn reusable(dir: &Path, content_checksum: &str) -> Option<ImportRecord> {
    Store::open(dir).ok()?;
    let text = std::fs::read(dir.join(IMPORT_RECORD_FILE)).ok()?;
    let record: ImportRecord = serde_json::from_slice(&text).ok()?;
    (record.content_checksum == content_checksum).then_some(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_names_are_file_name_safe_and_keyed_by_the_checksum() {
        let root = Path::new("r");
        let dir = imported_store_dir(root, "my shop/2024", "sha256:0123456789abcdef0123");
        assert_eq!(dir, Path::new("r/.scorelab/stores/my_shop_2024-0123456789abcdef"));
        assert_eq!(imported_store_dir(root, "..", "sha256:ab"), Path::new("r/.scorelab/stores/dataset-ab"));
    }
}
