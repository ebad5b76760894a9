//! Where one dataset's files are, and the checksum of their content.
//!
//! Two layouts name the same exchange format: a directory (`items.jsonl`, or `loans.jsonl` as the
//! original harness names its catalogue, with `users.jsonl`, `interactions.csv` and the optional
//! `exclusions.csv` and `dataset.json`), and the original harness's `.env` keys, which give the three
//! required files' paths one by one (the optional files are then looked for beside the items file).
//!
//! `DatasetFiles::content_checksum` keys a store imported from the files: it covers every byte of
//! every file the reader would read, whether each optional file is there, and the settings given on
//! the command line, so equal checksums mean equal stores.

use super::error::DataError;
use super::read::{EXCLUSIONS_FILE, INTERACTIONS_FILE, ITEMS_FILE, SETTINGS_FILE, SettingsOverrides, USERS_FILE};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The original harness's name for the items file.
pub const LOANS_FILE: &str = "loans.jsonl";
/// `.env` key of the items file in the original harness's layout.
pub const ENV_ITEMS_PATH: &str = "DEFAULT_LOANS_PATH";
/// `.env` key of the users file.
pub const ENV_USERS_PATH: &str = "DEFAULT_USERS_PATH";
/// `.env` key of the interactions file.
pub const ENV_INTERACTIONS_PATH: &str = "DEFAULT_INTERACTIONS_PATH";

/// The files of one exchange-format dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetFiles {
    pub items: PathBuf,
    pub users: PathBuf,
    pub interactions: PathBuf,
    /// Read when it exists; its absence is announced by the reader.
    pub exclusions: PathBuf,
    /// `dataset.json`, read when it exists.
    pub settings: PathBuf,
    /// The dataset's name when neither the command line nor `dataset.json` gives one.
    pub default_name: Option<String>,
}

impl DatasetFiles {
    /// The files of an exchange-format directory. The items file is `items.jsonl` or `loans.jsonl`;
    /// both at once is an error (which one is the catalogue would be a guess).
    pub fn in_dir(dir: &Path) -> Result<DatasetFiles, DataError> {
        let meta = std::fs::metadata(dir).map_err(|e| DataError::io(dir, e))?;
        if !meta.is_dir() {
            return Err(DataError::Invalid { path: dir.to_path_buf(), message: "not a directory".into() });
        }
        let (items, loans) = (dir.join(ITEMS_FILE), dir.join(LOANS_FILE));
        let items = match (items.exists(), loans.exists()) {
            (true, true) => {
                return Err(DataError::Invalid {
                    path: dir.to_path_buf(),
                    message: format!(
                        "both {ITEMS_FILE} and {LOANS_FILE}: either is the items file, so keep only one of them"
                    ),
                });
            }
            (false, true) => loans,
            (true, false) => items,
            (false, false) => {
                let source = std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("no such file (nor {LOANS_FILE}, the original harness's name for the items file)"),
                );
                return Err(DataError::io(items, source));
            }
        };
        Ok(DatasetFiles {
            items,
            users: dir.join(USERS_FILE),
            interactions: dir.join(INTERACTIONS_FILE),
            exclusions: dir.join(EXCLUSIONS_FILE),
            settings: dir.join(SETTINGS_FILE),
            default_name: dir_name(dir),
        })
    }

    /// The three required files named one by one; `exclusions.csv` and `dataset.json` are looked for
    /// beside the items file, and the dataset is named after that file's directory.
    pub fn beside_items(items: PathBuf, users: PathBuf, interactions: PathBuf) -> DatasetFiles {
        let dir = match items.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let default_name = dir_name(&dir);
        DatasetFiles {
            items,
            users,
            interactions,
            exclusions: dir.join(EXCLUSIONS_FILE),
            settings: dir.join(SETTINGS_FILE),
            default_name,
        }
    }

    /// The original harness's layout: the paths under `ENV_ITEMS_PATH`, `ENV_USERS_PATH` and
    /// `ENV_INTERACTIONS_PATH` as `lookup` resolves them (the caller reads `.env` and the environment,
    /// and resolves relative paths). A key that is not set, or names no file, is an error naming it.
    pub fn from_env(lookup: &dyn Fn(&str) -> Option<PathBuf>) -> Result<DatasetFiles, DataError> {
        let keys = [ENV_ITEMS_PATH, ENV_USERS_PATH, ENV_INTERACTIONS_PATH];
        let missing: Vec<&str> = keys.iter().copied().filter(|k| lookup(k).is_none()).collect();
        if !missing.is_empty() {
            return Err(DataError::Setting {
                setting: missing.join(", "),
                message: format!(
                    "not set: the `default` adapter reads the original harness's layout, {ENV_ITEMS_PATH} (the \
                     items, e.g. data/loans.jsonl), {ENV_USERS_PATH} (users.jsonl) and {ENV_INTERACTIONS_PATH} \
                     (interactions.csv), from .env or the environment; add {}",
                    if missing.len() == 1 { "it" } else { "them" }
                ),
            });
        }
        let file = |key: &str| -> Result<PathBuf, DataError> {
            let path = lookup(key).unwrap_or_default();
            if path.is_file() {
                return Ok(path);
            }
            Err(DataError::Setting { setting: key.into(), message: format!("{} is not a file", path.display()) })
        };
        Ok(DatasetFiles::beside_items(file(ENV_ITEMS_PATH)?, file(ENV_USERS_PATH)?, file(ENV_INTERACTIONS_PATH)?))
    }

    /// The files in the order the reader reads them, each with its role and whether it is required.
    fn roles(&self) -> [(&'static str, &Path, bool); 5] {
        [
            ("settings", &self.settings, false),
            ("items", &self.items, true),
            ("users", &self.users, true),
            ("interactions", &self.interactions, true),
            ("exclusions", &self.exclusions, false),
        ]
    }

    /// The bytes the reader reads (missing files count 0), for a progress bar's length.
    pub fn bytes(&self) -> u64 {
        self.roles().iter().filter_map(|(_, p, _)| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
    }

    /// `sha256:<hex>` over each file's role, size and bytes (or its absence, for an optional file), the
    /// default name and the command-line settings: what a store imported from these files with these
    /// settings is keyed by. A required file that cannot be read is an error naming it.
    pub fn content_checksum(&self, overrides: &SettingsOverrides) -> Result<String, DataError> {
        let mut hasher = Sha256::new();
        hasher.update(b"scorelab dataset files v1\n");
        let mut buf = vec![0u8; 1 << 16];
        for (role, path, required) in self.roles() {
            let file = match std::fs::File::open(path) {
                Ok(f) => f,
                Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                    hasher.update(format!("{role} absent\n").as_bytes());
                    continue;
                }
                Err(e) => return Err(DataError::io(path, e)),
            };
            let len = file.metadata().map_err(|e| DataError::io(path, e))?.len();
            hasher.update(format!("{role} {len}\n").as_bytes());
            let mut reader = std::io::BufReader::new(file);
            loop {
                let n = reader.read(&mut buf).map_err(|e| DataError::io(path, e))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
        }
        hasher.update(b"\n");
        // The default name is stored in the dataset's settings, so it is part of what the files make.
        hasher.update(format!("default_name {:?}\n", self.default_name).as_bytes());
        hasher.update(format!("name {:?}\n", overrides.name).as_bytes());
        hasher.update(format!("relevance_threshold {:?}\n", overrides.relevance_threshold).as_bytes());
        hasher.update(format!("diversity_fields {:?}\n", overrides.diversity_fields).as_bytes());
        hasher.update(format!("item_vector_field {:?}\n", overrides.item_vector_field).as_bytes());
        // Added after stores were first keyed: absent when unused, so those keys stay valid.
        if !overrides.date_fields.is_empty() {
            hasher.update(format!("date_fields {:?}\n", overrides.date_fields).as_bytes());
        }
        Ok(format!("sha256:{}", hex::encode(hasher.finalize())))
    }
}

/// The directory's own name, also for `.` or `..` (then the name of the directory they stand for).
fn dir_name(dir: &Path) -> Option<String> {
    let named = match dir.file_name() {
        Some(_) => dir.to_path_buf(),
        None => dir.canonicalize().ok()?,
    };
    named.file_name().map(|n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, files: &[(&str, &str)]) {
        std::fs::create_dir_all(dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }

    #[test]
    fn loans_jsonl_is_the_items_file_and_both_names_at_once_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), &[(LOANS_FILE, "{}\n")]);
        let files = DatasetFiles::in_dir(tmp.path()).unwrap();
        assert_eq!(files.items, tmp.path().join(LOANS_FILE));
        write(tmp.path(), &[(ITEMS_FILE, "{}\n")]);
        let err = DatasetFiles::in_dir(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("both items.jsonl and loans.jsonl"), "{err}");
    }

    #[test]
    fn the_checksum_follows_every_byte_the_optional_files_and_the_settings() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), &[(ITEMS_FILE, "a\n"), (USERS_FILE, "b\n"), (INTERACTIONS_FILE, "c\n")]);
        let files = DatasetFiles::in_dir(tmp.path()).unwrap();
        let none = SettingsOverrides::default();
        let first = files.content_checksum(&none).unwrap();
        assert_eq!(first, files.content_checksum(&none).unwrap(), "deterministic");
        let threshold = SettingsOverrides { relevance_threshold: Some(4.0), ..Default::default() };
        assert_ne!(first, files.content_checksum(&threshold).unwrap());
        write(tmp.path(), &[(EXCLUSIONS_FILE, "")]);
        let with_empty_exclusions = files.content_checksum(&none).unwrap();
        assert_ne!(first, with_empty_exclusions, "an empty optional file is not an absent one");
        write(tmp.path(), &[(USERS_FILE, "B\n")]);
        assert_ne!(with_empty_exclusions, files.content_checksum(&none).unwrap());
    }

    #[test]
    fn env_keys_not_set_or_naming_no_file_are_errors_naming_them() {
        let err = DatasetFiles::from_env(&|k| (k == ENV_ITEMS_PATH).then(|| PathBuf::from("x"))).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("DEFAULT_USERS_PATH, DEFAULT_INTERACTIONS_PATH: not set: the `default` adapter"),
            "{text}"
        );
        let err = DatasetFiles::from_env(&|_| Some(PathBuf::from("/nonexistent/loans.jsonl"))).unwrap_err();
        assert_eq!(err.to_string(), "DEFAULT_LOANS_PATH: /nonexistent/loans.jsonl is not a file");
    }
}
