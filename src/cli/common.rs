//! What the commands share: which store `eval`, `baseline`, `loop`, `setup-indices` and `parity` open
//! (`--store DIR`, `--dataset NAME|DIR`, or by default the MovieLens demo store; [`StoreArgs`] is the
//! pair of flags). Here the command line is parsed and `.env` is read for the
//! `default` adapter; the library imports (`scorelab::store::ensure_imported_store`).

use super::terminal;
use anyhow::{Context, Result};
use scorelab::data::{DataError, DatasetFiles, SettingsOverrides};
use scorelab::store::{DatasetStoreError, ImportProgress, ImportedStore, Store};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What `--dataset` names: a named adapter, or an exchange-format directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatasetArg {
    /// The MovieLens demo store (prepared on first use).
    Movielens,
    /// The original harness's layout: the files named by the `.env` keys.
    Default,
    /// The synthetic dataset with `prepare synthetic`'s defaults (generated on first use).
    Synthetic,
    /// An exchange-format directory (imported on first use).
    Dir(PathBuf),
}

/// The named adapters, as `--dataset` spells them.
const NAMED: [&str; 3] = ["movielens", "default", "synthetic"];

/// clap's value parser of `--dataset`: a name, else a directory that exists.
pub fn parse_dataset(value: &str) -> Result<DatasetArg, String> {
    match value {
        "movielens" => Ok(DatasetArg::Movielens),
        "default" => Ok(DatasetArg::Default),
        "synthetic" => Ok(DatasetArg::Synthetic),
        _ if Path::new(value).is_dir() => Ok(DatasetArg::Dir(PathBuf::from(value))),
        _ => Err(format!("not a named dataset ({}) and not a directory", NAMED.join(", "))),
    }
}

/// A store opened for a command, and where it came from.
pub struct OpenedStore {
    pub store: Store,
    pub path: PathBuf,
    /// Set when the store was imported from a dataset's files (`--dataset DIR` or `default`).
    pub imported: Option<ImportedStore>,
}

impl OpenedStore {
    /// The defaults the store's import applied (empty for `--store` and the built-in datasets, whose
    /// settings are given).
    pub fn defaults_applied(&self) -> Vec<String> {
        self.imported.as_ref().map(|i| i.defaults_applied.clone()).unwrap_or_default()
    }

    /// The `store` object of a command's `--json` output.
    pub fn json(&self) -> Value {
        let mut out = json!({
            "path": self.path.display().to_string(),
            "checksum": self.store.checksum(),
            "dataset": self.store.settings().name,
        });
        if let Some(imported) = &self.imported {
            out["content_checksum"] = imported.content_checksum.clone().into();
            out["imported_now"] = imported.imported_now.into();
        }
        out
    }
}

/// `--store DIR` or `--dataset NAME|DIR`; neither: the MovieLens demo store, built on first use.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Store directory (default: the MovieLens demo store, built on first use; the one `eval` uses).
    #[arg(long, conflicts_with = "dataset")]
    pub store: Option<PathBuf>,
    /// A dataset instead of --store, as `eval --dataset` takes it: movielens, synthetic, default (the
    /// files .env names) or an exchange-format directory (imported on first use with the settings of
    /// its dataset.json; give the settings `eval` used so both open the same store).
    #[arg(long, value_name = "NAME|DIR", value_parser = parse_dataset)]
    pub dataset: Option<DatasetArg>,
}

impl StoreArgs {
    pub fn open(&self) -> Result<OpenedStore> {
        open_store(self.store.as_deref(), self.dataset.as_ref(), None)
    }
}

/// Opens `--store`, else `--dataset`, else the demo store (built on first use). `import` holds the
/// command's settings that also apply when a directory is imported (`None`: the command has no such
/// flags, so an import takes its settings from `dataset.json` alone). Every default an import applied
/// is printed as a `note:` on stderr, also when an earlier import is reused.
pub fn open_store(
    store: Option<&Path>,
    dataset: Option<&DatasetArg>,
    import: Option<&SettingsOverrides>,
) -> Result<OpenedStore> {
    let (path, imported) = match (store, dataset) {
        (Some(path), _) => (path.to_path_buf(), None),
        (None, None) => (demo_store()?, None),
        (None, Some(DatasetArg::Movielens)) => {
            note_shadowed_dir("movielens");
            (demo_store()?, None)
        }
        (None, Some(DatasetArg::Synthetic)) => {
            note_shadowed_dir("synthetic");
            let path = Path::new(scorelab::store::SYNTHETIC_STORE_DIR);
            if Store::open(path).is_err() {
                eprintln!("generating the synthetic store at {} (first use)...", path.display());
            }
            let spinner = terminal::spinner("generating the synthetic dataset");
            let built = scorelab::store::ensure_synthetic_store(Path::new("."));
            spinner.finish_and_clear();
            (built.context("building the synthetic store")?, None)
        }
        (None, Some(DatasetArg::Default)) => {
            note_shadowed_dir("default");
            let files = harness_env_files()?;
            let imported = import_files(&files, import)?;
            (imported.path.clone(), Some(imported))
        }
        (None, Some(DatasetArg::Dir(dir))) => {
            if dir.join(scorelab::store::MANIFEST_FILE).is_file() {
                anyhow::bail!("--dataset {}: this directory is a store; pass it with --store", dir.display());
            }
            let files = DatasetFiles::in_dir(dir)
                .with_context(|| format!("--dataset {}: reading the dataset", dir.display()))?;
            let imported = import_files(&files, import)?;
            (imported.path.clone(), Some(imported))
        }
    };
    let store = Store::open(&path).with_context(|| format!("opening store {}", path.display()))?;
    for note in imported.iter().flat_map(|i| &i.defaults_applied) {
        eprintln!("note: {note}");
    }
    Ok(OpenedStore { store, path, imported })
}

/// The MovieLens demo store under the working directory, prepared and imported on first use.
fn demo_store() -> Result<PathBuf> {
    let default = Path::new(scorelab::store::DEFAULT_STORE_DIR);
    let bar = if Store::open(default).is_err() {
        eprintln!("building the MovieLens demo store at {} (first use)...", default.display());
        let iterations = scorelab::data::MovielensOptions::default().iterations as u64;
        terminal::bar(iterations, "ALS iterations", "factorising ratings")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let built = scorelab::store::ensure_demo_store(Path::new("."), &mut |done| bar.set_position(done));
    bar.finish_and_clear();
    built.context("building the MovieLens demo store")
}

/// A named dataset wins over a directory of the same name in the working directory; said so, since
/// the user may have meant the directory.
pub(super) fn note_shadowed_dir(name: &str) {
    if Path::new(name).is_dir() {
        eprintln!("note: --dataset {name} is the named dataset; for the directory ./{name}, pass --dataset ./{name}");
    }
}

/// Imports `files` on first use (keyed by their content checksum), with a progress bar while it reads.
fn import_files(files: &DatasetFiles, import: Option<&SettingsOverrides>) -> Result<ImportedStore> {
    let overrides = import.cloned().unwrap_or_default();
    let bar: RefCell<Option<indicatif::ProgressBar>> = RefCell::new(None);
    let progress = |step: ImportProgress<'_>| match step {
        ImportProgress::Importing { target, bytes } => {
            eprintln!("importing {} into {} (first use of these files)...", source_text(files), target.display());
            *bar.borrow_mut() = Some(terminal::bytes_bar(bytes, "reading the dataset"));
        }
        ImportProgress::Read(n) => {
            if let Some(b) = bar.borrow().as_ref() {
                b.inc(n);
            }
        }
        ImportProgress::Writing => {
            if let Some(b) = bar.borrow().as_ref() {
                b.set_message("building and writing the store");
            }
        }
    };
    let result = scorelab::store::ensure_imported_store(Path::new("."), files, &overrides, &progress);
    if let Some(b) = bar.borrow_mut().take() {
        b.finish_and_clear();
    }
    result.map_err(|e| explain_import_error(e, files, import.is_some()))
}

/// The import's error, with what to add when a setting is missing: commands with `--threshold` take it
/// for the import too; the others need `dataset.json`.
fn explain_import_error(err: DatasetStoreError, files: &DatasetFiles, has_flags: bool) -> anyhow::Error {
    let settings = files.settings.display();
    let hint = match &err {
        DatasetStoreError::Data(DataError::NoThreshold { .. }) if has_flags => {
            format!("with --dataset, pass --threshold T to this command or set relevance_threshold in {settings}")
        }
        DatasetStoreError::Data(DataError::NoThreshold { .. }) => format!(
            "this command has no --threshold: set relevance_threshold in {settings} (e.g. {{\"relevance_threshold\": 4}})"
        ),
        DatasetStoreError::Data(DataError::Invalid { message, .. }) if message.contains("--vector-field") => {
            format!("with --dataset, set item_vector_field in {settings}")
        }
        _ => String::new(),
    };
    let context = format!("importing {} (--dataset)", source_text(files));
    if hint.is_empty() {
        anyhow::Error::new(err).context(context)
    } else {
        anyhow::anyhow!("{context}: {err}\n  {hint}")
    }
}

/// The dataset's files as one line: the directory, or the three files when they are in different places.
fn source_text(files: &DatasetFiles) -> String {
    let dir = files.items.parent().unwrap_or(Path::new(""));
    let same_dir = [&files.users, &files.interactions].iter().all(|p| p.parent() == Some(dir));
    if same_dir && !dir.as_os_str().is_empty() {
        dir.display().to_string()
    } else {
        format!("{}, {}, {}", files.items.display(), files.users.display(), files.interactions.display())
    }
}

/// The files of the `default` adapter: the `.env` keys of the original harness. A key set in the
/// environment (the shell) wins over `.env`, as for every other setting; a relative path is taken from
/// the directory of the `.env` file that gave it, or from the working directory when the environment did.
pub(super) fn harness_env_files() -> Result<DatasetFiles> {
    let env_file = nearest_env_file();
    let mut from_file: HashMap<String, String> = HashMap::new();
    if let Some(path) = &env_file {
        let entries = dotenvy::from_path_iter(path).with_context(|| format!("reading {}", path.display()))?;
        for entry in entries {
            let (key, value) = entry.with_context(|| format!("{}: malformed .env", path.display()))?;
            from_file.entry(key).or_insert(value);
        }
    }
    let env_dir = env_file.as_deref().and_then(Path::parent).map(Path::to_path_buf);
    let lookup = |key: &str| -> Option<PathBuf> {
        let value = std::env::var(key).ok().or_else(|| from_file.get(key).cloned()).filter(|v| !v.trim().is_empty())?;
        let path = PathBuf::from(value.trim());
        match &env_dir {
            Some(dir) if path.is_relative() && from_file.get(key).map(|v| v.trim()) == Some(value.trim()) => {
                Some(dir.join(path))
            }
            _ => Some(path),
        }
    };
    let where_ = match &env_file {
        Some(path) => format!("read {}", path.display()),
        None => "no .env in the working directory or its parents".into(),
    };
    DatasetFiles::from_env(&lookup).with_context(|| format!("--dataset default ({where_})"))
}

/// The `.env` file dotenvy loads at start: the nearest one in the working directory or its parents.
fn nearest_env_file() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors().map(|dir| dir.join(".env")).find(|candidate| candidate.is_file())
}
