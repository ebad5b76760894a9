//! A candidate: one `script_score` query script plus zero or more `_script` sort scripts.
//!
//! On disk a script set is a directory holding exactly one `query.painless`, zero or more
//! `sort_NN.painless` (a two-digit index `00`..`99`; ascending index = sort order) and an optional
//! `scriptset.json` manifest giving each sort script's direction and the script dialect. Other
//! `.painless` files are rejected by name so a typo (`sort_1.painless`) never silently drops a script;
//! files with other extensions (a README, `proposal.json`) are ignored.
//!
//! The optimiser proposes sets as strings, so a set is also built from in-memory sources
//! ([`ScriptSet::new`] + [`ScriptSet::with_sort`]) and written out as a snapshot ([`ScriptSet::write_to`]).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// File name of the query script inside a script-set directory.
pub const QUERY_FILE: &str = "query.painless";
/// File name of the optional manifest inside a script-set directory.
pub const MANIFEST_FILE: &str = "scriptset.json";

/// Direction of one sort script, as in the `_script` sort's `order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

/// Which engine's Painless the set is written for (the interpreter's `Dialect`: one name per concept).
pub use crate::interp::Dialect;

/// One script of a set: its file name (used in every diagnostic) and its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    pub file_name: String,
    pub source: String,
}

/// A sort script with its position index (`NN` in `sort_NN.painless`) and direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortScript {
    pub index: u8,
    pub order: SortOrder,
    pub script: Script,
}

/// The `scriptset.json` manifest. Every field is optional; unknown fields are refused so a
/// misspelt key (`"sort"` for `"sorts"`) is an error, not a silent default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default)]
    pub dialect: Dialect,
    /// Keyed by the sort script's stem (`"sort_01"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sorts: BTreeMap<String, SortEntry>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SortEntry {
    #[serde(default)]
    pub order: SortOrder,
}

#[derive(Debug, thiserror::Error)]
pub enum ScriptSetError {
    #[error("{dir}: not a directory")]
    NotADirectory { dir: PathBuf },
    #[error("{dir}: no query.painless (a script set needs exactly one query script)")]
    MissingQuery { dir: PathBuf },
    #[error(
        "{path}: bad script file name; a script set holds query.painless and sort_NN.painless \
         with a two-digit index (sort_01.painless)"
    )]
    BadFileName { path: PathBuf },
    #[error("{path}: invalid manifest: {message}")]
    BadManifest { path: PathBuf, message: String },
    #[error("{path}: manifest names {stem}, but there is no {stem}.painless")]
    ManifestUnknownSort { path: PathBuf, stem: String },
    #[error("sort script index {index:02} is used twice")]
    DuplicateSortIndex { index: u8 },
    #[error("{count} sort scripts given; at most 100 (sort_00..sort_99) fit a set")]
    TooManySorts { count: usize },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ScriptSetError + '_ {
    move |source| ScriptSetError::Io { path: path.to_path_buf(), source }
}

/// A script set: the unit the optimiser proposes and the engines rank with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptSet {
    pub query: Script,
    /// Ascending by `index`: sort values compare in this order.
    pub sorts: Vec<SortScript>,
    pub dialect: Dialect,
}

impl ScriptSet {
    /// A set with only a query script (dialect Elasticsearch).
    pub fn new(query_source: impl Into<String>) -> Self {
        ScriptSet {
            query: Script { file_name: QUERY_FILE.to_string(), source: query_source.into() },
            sorts: Vec::new(),
            dialect: Dialect::default(),
        }
    }

    /// Appends a sort script after the existing ones, numbered from `sort_01`.
    pub fn with_sort(mut self, source: impl Into<String>, order: SortOrder) -> Result<Self, ScriptSetError> {
        let index = match self.sorts.last() {
            Some(last) => last.index + 1,
            None => 1,
        };
        if index > 99 {
            return Err(ScriptSetError::TooManySorts { count: self.sorts.len() + 1 });
        }
        self.sorts.push(SortScript {
            index,
            order,
            script: Script { file_name: sort_file_name(index), source: source.into() },
        });
        Ok(self)
    }

    pub fn with_dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// Reads a script-set directory (see the module doc for the layout rules).
    pub fn open(dir: &Path) -> Result<Self, ScriptSetError> {
        if !dir.is_dir() {
            return Err(ScriptSetError::NotADirectory { dir: dir.to_path_buf() });
        }
        let mut query = None;
        let mut sort_files: BTreeMap<u8, PathBuf> = BTreeMap::new();
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io_err(dir))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(io_err(dir))?;
        // Directory order is filesystem-dependent; sort so the first reported error is stable.
        entries.sort();
        for path in entries {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
            if !name.ends_with(".painless") {
                continue;
            }
            if name == QUERY_FILE {
                query = Some(path.clone());
            } else if let Some(index) = parse_sort_file_name(name) {
                sort_files.insert(index, path.clone());
            } else {
                return Err(ScriptSetError::BadFileName { path });
            }
        }
        let query_path = query.ok_or_else(|| ScriptSetError::MissingQuery { dir: dir.to_path_buf() })?;
        let manifest_path = dir.join(MANIFEST_FILE);
        let manifest = if manifest_path.exists() {
            let text = std::fs::read_to_string(&manifest_path).map_err(io_err(&manifest_path))?;
            serde_json::from_str::<Manifest>(&text)
                .map_err(|e| ScriptSetError::BadManifest { path: manifest_path.clone(), message: e.to_string() })?
        } else {
            Manifest::default()
        };
        for stem in manifest.sorts.keys() {
            let known = parse_sort_stem(stem).is_some_and(|i| sort_files.contains_key(&i));
            if !known {
                return Err(ScriptSetError::ManifestUnknownSort { path: manifest_path, stem: stem.clone() });
            }
        }
        let mut set = ScriptSet {
            query: Script {
                file_name: QUERY_FILE.to_string(),
                source: std::fs::read_to_string(&query_path).map_err(io_err(&query_path))?,
            },
            sorts: Vec::with_capacity(sort_files.len()),
            dialect: manifest.dialect,
        };
        for (index, path) in sort_files {
            let order = manifest.sorts.get(&sort_stem(index)).map(|e| e.order).unwrap_or_default();
            set.sorts.push(SortScript {
                index,
                order,
                script: Script {
                    file_name: sort_file_name(index),
                    source: std::fs::read_to_string(&path).map_err(io_err(&path))?,
                },
            });
        }
        Ok(set)
    }

    /// Builds a set from loose files (`eval --query FILE --sort FILE...`): sorts are numbered in the
    /// order given, all descending. File names in diagnostics stay the user's own paths.
    pub fn from_files(query: &Path, sorts: &[PathBuf]) -> Result<Self, ScriptSetError> {
        if sorts.len() > 99 {
            return Err(ScriptSetError::TooManySorts { count: sorts.len() });
        }
        let mut set = ScriptSet::new(std::fs::read_to_string(query).map_err(io_err(query))?);
        set.query.file_name = query.display().to_string();
        for path in sorts {
            let source = std::fs::read_to_string(path).map_err(io_err(path))?;
            set = set.with_sort(source, SortOrder::Desc)?;
            if let Some(last) = set.sorts.last_mut() {
                last.script.file_name = path.display().to_string();
            }
        }
        Ok(set)
    }

    /// The manifest that reproduces this set's directions and dialect.
    pub fn manifest(&self) -> Manifest {
        Manifest {
            dialect: self.dialect,
            sorts: self.sorts.iter().map(|s| (sort_stem(s.index), SortEntry { order: s.order })).collect(),
        }
    }

    /// Writes `query.painless`, `sort_NN.painless` and `scriptset.json` into an existing directory.
    /// Callers wanting write-once snapshots write into a temp directory and rename it (see `run`).
    pub fn write_to(&self, dir: &Path) -> Result<(), ScriptSetError> {
        write_synced(&dir.join(QUERY_FILE), self.query.source.as_bytes())?;
        for sort in &self.sorts {
            write_synced(&dir.join(sort_file_name(sort.index)), sort.script.source.as_bytes())?;
        }
        let manifest_path = dir.join(MANIFEST_FILE);
        let json = serde_json::to_vec_pretty(&self.manifest())
            .map_err(|e| ScriptSetError::BadManifest { path: manifest_path.clone(), message: e.to_string() })?;
        write_synced(&manifest_path, &json)
    }

    /// All scripts, query first, then sorts in order.
    pub fn scripts(&self) -> impl Iterator<Item = &Script> {
        std::iter::once(&self.query).chain(self.sorts.iter().map(|s| &s.script))
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), ScriptSetError> {
    use std::io::Write;
    let mut file = std::fs::File::create(path).map_err(io_err(path))?;
    file.write_all(bytes).map_err(io_err(path))?;
    file.sync_all().map_err(io_err(path))
}

/// `sort_NN` for index NN.
pub fn sort_stem(index: u8) -> String {
    format!("sort_{index:02}")
}

/// `sort_NN.painless` for index NN.
pub fn sort_file_name(index: u8) -> String {
    format!("sort_{index:02}.painless")
}

/// `Some(NN)` for exactly `sort_` + two ASCII digits + `.painless`.
pub fn parse_sort_file_name(name: &str) -> Option<u8> {
    parse_sort_stem(name.strip_suffix(".painless")?)
}

fn parse_sort_stem(stem: &str) -> Option<u8> {
    let digits = stem.strip_prefix("sort_")?;
    if digits.len() != 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_names_need_two_digits() {
        assert_eq!(parse_sort_file_name("sort_01.painless"), Some(1));
        assert_eq!(parse_sort_file_name("sort_99.painless"), Some(99));
        assert_eq!(parse_sort_file_name("sort_1.painless"), None);
        assert_eq!(parse_sort_file_name("sort_ab.painless"), None);
        assert_eq!(parse_sort_file_name("sort_001.painless"), None);
        assert_eq!(parse_sort_file_name("sort_+1.painless"), None);
    }

    #[test]
    fn directory_round_trip_keeps_order_and_direction() {
        let dir = tempfile::tempdir().unwrap();
        let set = ScriptSet::new("return 1.0;")
            .with_sort("return doc['a'].value;", SortOrder::Asc)
            .unwrap()
            .with_sort("return 2.0;", SortOrder::Desc)
            .unwrap()
            .with_dialect(Dialect::OpenSearch);
        set.write_to(dir.path()).unwrap();
        std::fs::write(dir.path().join("README.md"), "ignored").unwrap();
        let back = ScriptSet::open(dir.path()).unwrap();
        assert_eq!(back, set);
    }

    #[test]
    fn manifest_must_name_existing_sorts() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(QUERY_FILE), "1.0").unwrap();
        std::fs::write(dir.path().join(MANIFEST_FILE), r#"{"sorts":{"sort_03":{"order":"asc"}}}"#).unwrap();
        let err = ScriptSet::open(dir.path()).unwrap_err();
        assert!(matches!(err, ScriptSetError::ManifestUnknownSort { ref stem, .. } if stem == "sort_03"));
    }

    #[test]
    fn manifest_refuses_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(QUERY_FILE), "1.0").unwrap();
        std::fs::write(dir.path().join(MANIFEST_FILE), r#"{"sort":{}}"#).unwrap();
        let err = ScriptSet::open(dir.path()).unwrap_err();
        assert!(matches!(err, ScriptSetError::BadManifest { .. }), "{err}");
    }
}
