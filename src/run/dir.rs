//! `RunDir`: one run directory on disk. Nothing written here is ever lost or half-visible:
//! meta.json is replaced by rename, run.jsonl only grows (each line fsynced), and `iter_NNN/`
//! snapshots appear whole (built under a temp name, then renamed) and are never rewritten.

use super::format::{IterationRecord, RunMeta, SCHEMA_VERSION, Summary, parse_snapshot_name, snapshot_name};
use crate::rank::{ScriptSet, ScriptSetError};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const META_FILE: &str = "meta.json";
pub const LOG_FILE: &str = "run.jsonl";
pub const PROPOSAL_FILE: &str = "proposal.json";
/// Prefix of snapshot directories still being written (or abandoned by a crash).
const TEMP_PREFIX: &str = ".tmp-";
/// Prefix of run directories still being created (`RunDir::create`), followed by the pid.
const RUN_TEMP_PREFIX: &str = ".tmp-run-";

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: invalid JSON: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}:{line}: invalid run.jsonl line: {source}")]
    BadLogLine {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: schema_version {found} was written by a newer scorelab (this one reads up to {supported})")]
    NewerSchema { path: PathBuf, found: u32, supported: u32 },
    #[error("{path}: not a run directory (no meta.json)")]
    NotARun { path: PathBuf },
    #[error("{path}: snapshot already exists; snapshots are write-once")]
    SnapshotExists { path: PathBuf },
    #[error("{path}: {source}")]
    Snapshot {
        path: PathBuf,
        #[source]
        source: ScriptSetError,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Io { path: path.to_path_buf(), source }
}

/// The lines of run.jsonl. A last line without its newline that does not parse is a torn append
/// (the process died mid-write): it is reported, not fatal.
#[derive(Debug, Clone, Default)]
pub struct RunLog {
    pub records: Vec<IterationRecord>,
    pub torn_tail: Option<String>,
}

/// A snapshot directory that was never completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteSnapshot {
    pub path: PathBuf,
    pub reason: &'static str,
}

#[derive(Debug, Clone)]
pub struct RunDir {
    path: PathBuf,
    meta: RunMeta,
}

impl RunDir {
    /// Creates `runs_dir/<YYYYMMDD-HHMMSS>/` (suffixed `-2`, `-3`... when that second is taken) with
    /// meta.json and an empty run.jsonl.
    ///
    /// The directory appears whole: meta.json and run.jsonl are written into a hidden
    /// `.tmp-run-<pid>-...` directory that is then renamed into place, so a process killed while
    /// creating a run leaves no run directory that `--resume` cannot open. Temp directories of
    /// killed processes are removed by the next `create`.
    pub fn create(runs_dir: &Path, meta: RunMeta) -> Result<RunDir, RunError> {
        fs::create_dir_all(runs_dir).map_err(io(runs_dir))?;
        crate::data::fsio::remove_abandoned(runs_dir, RUN_TEMP_PREFIX);
        let temp = tempfile::Builder::new()
            .prefix(&format!("{RUN_TEMP_PREFIX}{}-", std::process::id()))
            .tempdir_in(runs_dir)
            .map_err(io(runs_dir))?;
        let building = RunDir { path: temp.path().to_path_buf(), meta };
        building.write_meta_file()?;
        let log = building.path.join(LOG_FILE);
        File::create(&log).and_then(|f| f.sync_all()).map_err(io(&log))?;
        sync_dir(&building.path)?;
        let stem = run_dir_stem(&building.meta.created);
        let mut attempt = 1;
        let path = loop {
            let name = if attempt == 1 { stem.clone() } else { format!("{stem}-{attempt}") };
            let candidate = runs_dir.join(name);
            // rename(2) would replace an empty directory: only free names are tried, and a name
            // taken between the check and the rename fails with "not empty" or "exists".
            if candidate.exists() && attempt < 1000 {
                attempt += 1;
                continue;
            }
            match fs::rename(temp.path(), &candidate) {
                Ok(()) => break candidate,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::DirectoryNotEmpty
                    ) && attempt < 1000 =>
                {
                    attempt += 1
                }
                Err(e) => return Err(RunError::Io { path: candidate, source: e }),
            }
        };
        // Renamed away: nothing left for the guard to remove.
        let _ = temp.keep();
        sync_dir(runs_dir)?;
        Ok(RunDir { path, meta: building.meta })
    }

    /// Opens an existing run, upgrading older schema versions in memory (files are not rewritten).
    pub fn open(path: &Path) -> Result<RunDir, RunError> {
        let meta_path = path.join(META_FILE);
        if !meta_path.exists() {
            return Err(RunError::NotARun { path: path.to_path_buf() });
        }
        let text = fs::read_to_string(&meta_path).map_err(io(&meta_path))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| RunError::Json { path: meta_path.clone(), source })?;
        let found = value.get("schema_version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
        if found > SCHEMA_VERSION {
            return Err(RunError::NewerSchema { path: meta_path, found, supported: SCHEMA_VERSION });
        }
        // Version 1 is the first published schema; later versions add their upgrade steps here.
        let meta: RunMeta =
            serde_json::from_value(value).map_err(|source| RunError::Json { path: meta_path, source })?;
        Ok(RunDir { path: path.to_path_buf(), meta })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn meta(&self) -> &RunMeta {
        &self.meta
    }

    /// Replaces meta.json atomically.
    pub fn set_meta(&mut self, meta: RunMeta) -> Result<(), RunError> {
        self.meta = meta;
        self.write_meta_file()
    }

    /// Replaces the summary block of meta.json atomically.
    pub fn update_summary(&mut self, summary: Summary) -> Result<(), RunError> {
        self.meta.summary = summary;
        self.write_meta_file()
    }

    fn write_meta_file(&self) -> Result<(), RunError> {
        let path = self.path.join(META_FILE);
        let json =
            serde_json::to_vec_pretty(&self.meta).map_err(|source| RunError::Json { path: path.clone(), source })?;
        atomic_write(&path, &json)
    }

    /// Appends one line to run.jsonl and fsyncs it before returning.
    pub fn append(&self, record: &IterationRecord) -> Result<(), RunError> {
        let path = self.path.join(LOG_FILE);
        let mut line = serde_json::to_vec(record).map_err(|source| RunError::Json { path: path.clone(), source })?;
        line.push(b'\n');
        let mut file = OpenOptions::new().append(true).create(true).open(&path).map_err(io(&path))?;
        file.write_all(&line).map_err(io(&path))?;
        file.sync_data().map_err(io(&path))
    }

    /// Every record of run.jsonl, in order.
    pub fn read_log(&self) -> Result<RunLog, RunError> {
        let path = self.path.join(LOG_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(RunLog::default()),
            Err(e) => return Err(RunError::Io { path, source: e }),
        };
        let ends_cleanly = text.ends_with('\n');
        let lines: Vec<&str> = text.lines().collect();
        let mut log = RunLog::default();
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<IterationRecord>(line) {
                Ok(record) => log.records.push(record),
                Err(_) if i + 1 == lines.len() && !ends_cleanly => log.torn_tail = Some(line.to_string()),
                Err(source) => return Err(RunError::BadLogLine { path, line: i + 1, source }),
            }
        }
        Ok(log)
    }

    /// Writes `iter_NNN/` (scripts, scriptset.json, proposal.json) once: built in a temp directory,
    /// fsynced, then renamed into place. Fails if the snapshot already exists.
    pub fn write_snapshot(
        &self,
        iteration: u32,
        set: &ScriptSet,
        proposal: &serde_json::Value,
    ) -> Result<PathBuf, RunError> {
        let name = snapshot_name(iteration);
        let target = self.path.join(&name);
        if target.exists() {
            return Err(RunError::SnapshotExists { path: target });
        }
        let temp = self.path.join(format!("{TEMP_PREFIX}{name}-{}", std::process::id()));
        if temp.exists() {
            fs::remove_dir_all(&temp).map_err(io(&temp))?;
        }
        fs::create_dir(&temp).map_err(io(&temp))?;
        set.write_to(&temp).map_err(|source| RunError::Snapshot { path: temp.clone(), source })?;
        let proposal_path = temp.join(PROPOSAL_FILE);
        let json = serde_json::to_vec_pretty(proposal)
            .map_err(|source| RunError::Json { path: proposal_path.clone(), source })?;
        write_synced(&proposal_path, &json)?;
        sync_dir(&temp)?;
        // rename(2) onto an existing non-empty directory fails, so a racing writer cannot clobber it.
        fs::rename(&temp, &target).map_err(|e| {
            let _ = fs::remove_dir_all(&temp);
            if target.exists() {
                RunError::SnapshotExists { path: target.clone() }
            } else {
                RunError::Io { path: target.clone(), source: e }
            }
        })?;
        sync_dir(&self.path)?;
        Ok(target)
    }

    /// Reads back the script set of `iter_NNN/`.
    pub fn read_snapshot(&self, iteration: u32) -> Result<ScriptSet, RunError> {
        let path = self.path.join(snapshot_name(iteration));
        ScriptSet::open(&path).map_err(|source| RunError::Snapshot { path, source })
    }

    /// Snapshot directories that were never completed: leftover temp directories, and `iter_NNN/`
    /// directories missing their query script (e.g. copied by hand, or written by a crashed tool
    /// that did not use the temp + rename protocol).
    pub fn incomplete_snapshots(&self) -> Result<Vec<IncompleteSnapshot>, RunError> {
        let mut found = Vec::new();
        for entry in fs::read_dir(&self.path).map_err(io(&self.path))? {
            let entry = entry.map_err(io(&self.path))?;
            let name = entry.file_name().to_string_lossy().to_string();
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            if name.starts_with(TEMP_PREFIX) {
                found.push(IncompleteSnapshot {
                    path,
                    reason: "temporary snapshot directory left by an interrupted write",
                });
            } else if parse_snapshot_name(&name).is_some() && !path.join(crate::rank::script_set::QUERY_FILE).exists() {
                found.push(IncompleteSnapshot { path, reason: "snapshot without query.painless" });
            }
        }
        found.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(found)
    }
}

/// `YYYYMMDD-HHMMSS` from an RFC 3339 timestamp (falls back to the digits it can find).
fn run_dir_stem(created: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(created) {
        Ok(t) => t.with_timezone(&chrono::Utc).format("%Y%m%d-%H%M%S").to_string(),
        Err(_) => created.chars().filter(|c| c.is_ascii_digit()).take(14).collect(),
    }
}

/// The current time as RFC 3339 UTC, second precision (what `created` and `timestamp` hold).
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Run directories under `runs_dir`, oldest first (names sort by creation time).
pub fn list_runs(runs_dir: &Path) -> Result<Vec<PathBuf>, RunError> {
    let entries = match fs::read_dir(runs_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(RunError::Io { path: runs_dir.to_path_buf(), source: e }),
    };
    let mut runs = Vec::new();
    for entry in entries {
        let path = entry.map_err(io(runs_dir))?.path();
        if path.join(META_FILE).is_file() {
            runs.push(path);
        }
    }
    runs.sort();
    Ok(runs)
}

/// Writes a file whole or not at all: temp file in the same directory, fsync, rename, fsync dir.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    temp.write_all(bytes).map_err(io(path))?;
    temp.as_file().sync_all().map_err(io(path))?;
    temp.persist(path).map_err(|e| RunError::Io { path: path.to_path_buf(), source: e.error })?;
    sync_dir(dir)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    let mut file = File::create(path).map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

/// fsync a directory so a rename inside it survives a crash (a no-op where directories cannot be opened).
fn sync_dir(dir: &Path) -> Result<(), RunError> {
    match File::open(dir) {
        Ok(f) => match f.sync_all() {
            Ok(()) => Ok(()),
            // Some filesystems refuse fsync on directories; the rename is still atomic there.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput || e.raw_os_error() == Some(22) => Ok(()),
            Err(e) => Err(RunError::Io { path: dir.to_path_buf(), source: e }),
        },
        Err(_) => Ok(()),
    }
}
