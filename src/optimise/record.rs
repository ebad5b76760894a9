//! The loop's records in a real run directory (`run::RunDir`): snapshots written once under a temp
//! name and renamed into place (fix attempts get their own `iter_NNN_fixK/`), one fsynced run.jsonl
//! line per iteration (the `IterationRecord` plus an `attempt_log` array), the summary rewritten
//! atomically in meta.json.
//!
//! Opening a run for resumption repairs what a `kill -9` can leave behind: a torn last log line is
//! moved to `torn-lines.txt` and cut off (otherwise the next append would glue onto it), abandoned
//! temp snapshot directories and snapshots without their scripts are moved under `discarded/`. A
//! complete snapshot without its log line is left in place; the loop finishes it.

use super::contract::{AttemptLog, LoopError, RunRecorder, SnapshotProposal};
use super::proposer::ScriptTexts;
use crate::rank::{ScriptSet, SortOrder};
use crate::run::dir::{LOG_FILE, PROPOSAL_FILE};
use crate::run::{IterationRecord, RunDir, Summary};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

const TEMP_PREFIX: &str = ".tmp-";
const DISCARDED_DIR: &str = "discarded";

pub struct DirRecorder {
    run: RunDir,
    /// Held for the recorder's lifetime: one loop per run directory at a time.
    _lock: File,
    history: Vec<IterationRecord>,
    /// What opening had to repair, for the CLI to print.
    pub repairs: Vec<String>,
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> LoopError {
    LoopError::Run(format!("{}: {e}", path.display()))
}

impl DirRecorder {
    /// Opens a run directory, repairing the traces of an interrupted run.
    pub fn open(path: &Path) -> Result<DirRecorder, LoopError> {
        let run = RunDir::open(path).map_err(|e| LoopError::Run(e.to_string()))?;
        // Before any repair: a second `--resume` of a live run must not touch its files.
        let lock = lock_run(run.path())?;
        let mut repairs = Vec::new();
        let log = run.read_log().map_err(|e| LoopError::Run(e.to_string()))?;
        if let Some(torn) = &log.torn_tail {
            cut_torn_tail(run.path(), torn)?;
            repairs.push(format!(
                "run.jsonl: removed a half-written last line (kept in torn-lines.txt, {} bytes)",
                torn.len()
            ));
        }
        repairs.extend(discard_incomplete(run.path())?);
        Ok(DirRecorder { run, _lock: lock, history: log.records, repairs })
    }

    /// Wraps a freshly created run (its baseline line already appended).
    pub fn from_run(run: RunDir) -> Result<DirRecorder, LoopError> {
        let lock = lock_run(run.path())?;
        let log = run.read_log().map_err(|e| LoopError::Run(e.to_string()))?;
        Ok(DirRecorder { run, _lock: lock, history: log.records, repairs: Vec::new() })
    }

    pub fn run(&self) -> &RunDir {
        &self.run
    }

    fn snapshot_path(&self, name: &str) -> PathBuf {
        self.run.path().join(name)
    }
}

/// The lock file a running loop holds (an advisory `flock`, released when the process ends,
/// however it ends).
pub const LOCK_FILE: &str = ".lock";

/// Takes the run directory's lock, or says which run is busy: two loops appending to one run
/// would race for the same snapshot names.
fn lock_run(dir: &Path) -> Result<File, LoopError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(|e| io_err(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(LoopError::Run(format!(
            "{} is in use by another `scorelab loop` (it holds {LOCK_FILE}); wait for it to finish or stop it, then resume",
            dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(io_err(&path, e)),
    }
}

/// Moves the unterminated last line of run.jsonl to torn-lines.txt and truncates the log after the
/// last complete line.
fn cut_torn_tail(dir: &Path, torn: &str) -> Result<(), LoopError> {
    let log_path = dir.join(LOG_FILE);
    let text = fs::read(&log_path).map_err(|e| io_err(&log_path, e))?;
    let keep = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let side = dir.join("torn-lines.txt");
    let mut f = OpenOptions::new().create(true).append(true).open(&side).map_err(|e| io_err(&side, e))?;
    writeln!(f, "{torn}").and_then(|_| f.sync_all()).map_err(|e| io_err(&side, e))?;
    let log = OpenOptions::new().write(true).open(&log_path).map_err(|e| io_err(&log_path, e))?;
    log.set_len(keep as u64).and_then(|_| log.sync_all()).map_err(|e| io_err(&log_path, e))
}

/// Temp snapshot directories (a write interrupted before its rename) and `iter_*` directories without
/// a query script are moved to `discarded/`, never reused.
fn discard_incomplete(dir: &Path) -> Result<Vec<String>, LoopError> {
    let mut repairs = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| io_err(dir, e))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let incomplete = name.starts_with(TEMP_PREFIX)
            || (name.starts_with("iter_") && !path.join(crate::rank::script_set::QUERY_FILE).is_file());
        if !incomplete {
            continue;
        }
        let target_dir = dir.join(DISCARDED_DIR);
        fs::create_dir_all(&target_dir).map_err(|e| io_err(&target_dir, e))?;
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        let target = target_dir.join(format!("{}-{stamp}", name.trim_start_matches('.')));
        fs::rename(&path, &target).map_err(|e| io_err(&path, e))?;
        repairs.push(format!("{name}: incomplete snapshot moved to {DISCARDED_DIR}/"));
    }
    Ok(repairs)
}

fn set_of(texts: &ScriptTexts) -> Result<ScriptSet, LoopError> {
    let mut set = ScriptSet::new(texts.query.clone());
    for sort in &texts.sort {
        set = set.with_sort(sort.clone(), SortOrder::Desc).map_err(|e| LoopError::Run(e.to_string()))?;
    }
    Ok(set)
}

fn sync_dir(dir: &Path) {
    // Some filesystems refuse fsync on directories; the rename is atomic regardless.
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

impl RunRecorder for DirRecorder {
    fn history(&self) -> &[IterationRecord] {
        &self.history
    }

    fn load_scripts(&self, snapshot: &str) -> Result<(ScriptTexts, Option<SnapshotProposal>), LoopError> {
        let path = self.snapshot_path(snapshot);
        let set = ScriptSet::open(&path).map_err(|e| LoopError::Run(e.to_string()))?;
        let stored = fs::read_to_string(path.join(PROPOSAL_FILE))
            .ok()
            .and_then(|t| serde_json::from_str::<SnapshotProposal>(&t).ok());
        Ok((ScriptTexts::of_set(&set), stored))
    }

    fn existing_snapshot(&self, snapshot: &str) -> Result<Option<SnapshotProposal>, LoopError> {
        let path = self.snapshot_path(snapshot);
        if !path.exists() {
            return Ok(None);
        }
        let proposal_path = path.join(PROPOSAL_FILE);
        let text = fs::read_to_string(&proposal_path).map_err(|e| io_err(&proposal_path, e))?;
        let stored: SnapshotProposal = serde_json::from_str(&text).map_err(|e| {
            LoopError::Run(format!("{}: not a loop snapshot ({e}); move it away to continue", proposal_path.display()))
        })?;
        Ok(Some(stored))
    }

    fn snapshot(&mut self, snapshot: &str, proposal: &SnapshotProposal) -> Result<(), LoopError> {
        let target = self.snapshot_path(snapshot);
        if target.exists() {
            return Err(LoopError::Run(format!(
                "{}: snapshot already exists; snapshots are write-once",
                target.display()
            )));
        }
        let temp = self.run.path().join(format!("{TEMP_PREFIX}{snapshot}-{}", std::process::id()));
        if temp.exists() {
            fs::remove_dir_all(&temp).map_err(|e| io_err(&temp, e))?;
        }
        fs::create_dir(&temp).map_err(|e| io_err(&temp, e))?;
        set_of(&proposal.proposal.scripts())?.write_to(&temp).map_err(|e| LoopError::Run(e.to_string()))?;
        let json = serde_json::to_vec_pretty(proposal).map_err(|e| io_err(&temp, e))?;
        let proposal_path = temp.join(PROPOSAL_FILE);
        let mut f = File::create(&proposal_path).map_err(|e| io_err(&proposal_path, e))?;
        f.write_all(&json).and_then(|_| f.sync_all()).map_err(|e| io_err(&proposal_path, e))?;
        sync_dir(&temp);
        fs::rename(&temp, &target).map_err(|e| {
            let _ = fs::remove_dir_all(&temp);
            io_err(&target, e)
        })?;
        sync_dir(self.run.path());
        Ok(())
    }

    fn append(&mut self, record: IterationRecord, attempt_log: &[AttemptLog]) -> Result<(), LoopError> {
        let path = self.run.path().join(LOG_FILE);
        let mut value = serde_json::to_value(&record).map_err(|e| io_err(&path, e))?;
        if let serde_json::Value::Object(map) = &mut value {
            if attempt_log.iter().any(|a| a.cost_usd.is_none()) {
                map.insert("cost_usd".into(), serde_json::Value::Null);
            }
            map.insert("attempt_log".into(), serde_json::to_value(attempt_log).map_err(|e| io_err(&path, e))?);
        }
        let mut line = serde_json::to_vec(&value).map_err(|e| io_err(&path, e))?;
        line.push(b'\n');
        let mut file = OpenOptions::new().append(true).create(true).open(&path).map_err(|e| io_err(&path, e))?;
        file.write_all(&line).and_then(|_| file.sync_data()).map_err(|e| io_err(&path, e))?;
        self.history.push(record);
        Ok(())
    }

    fn write_summary(&mut self, summary: &Summary) -> Result<(), LoopError> {
        self.run.update_summary(summary.clone()).map_err(|e| LoopError::Run(e.to_string()))
    }
}

/// Starts a run directory for the loop: meta.json (with the baseline's metrics), the baseline's
/// snapshot `iter_000/` and its run.jsonl line.
pub fn start_run(
    runs_dir: &Path,
    meta: crate::run::RunMeta,
    baseline: &ScriptTexts,
    baseline_source: &str,
    metrics: crate::metrics::MetricSet,
    diagnostics: serde_json::Value,
    timings: crate::run::Timings,
) -> Result<DirRecorder, LoopError> {
    start_run_with_holdout(runs_dir, meta, baseline, baseline_source, metrics, diagnostics, timings, None)
}

/// [`start_run`] with the baseline's held-out figures on its run.jsonl line.
#[allow(clippy::too_many_arguments)]
pub fn start_run_with_holdout(
    runs_dir: &Path,
    mut meta: crate::run::RunMeta,
    baseline: &ScriptTexts,
    baseline_source: &str,
    metrics: crate::metrics::MetricSet,
    diagnostics: serde_json::Value,
    timings: crate::run::Timings,
    holdout: Option<crate::run::HoldoutRecord>,
) -> Result<DirRecorder, LoopError> {
    meta.baseline.metrics = Some(metrics);
    meta.summary.holdout = holdout;
    let run = RunDir::create(runs_dir, meta).map_err(|e| LoopError::Run(e.to_string()))?;
    let stored = SnapshotProposal {
        iteration: 0,
        parent: 0,
        attempt: 0,
        proposer: "baseline".into(),
        parent_reason: None,
        proposal: super::proposer::Proposal {
            rationale: format!("baseline from {baseline_source}"),
            query: baseline.query.clone(),
            sort: baseline.sort.clone(),
            genome: None,
        },
        usage: super::proposer::Usage::default(),
        raw_replies: Vec::new(),
    };
    let proposal_json = serde_json::to_value(&stored).map_err(|e| LoopError::Run(e.to_string()))?;
    run.write_snapshot(0, &set_of(baseline)?, &proposal_json).map_err(|e| LoopError::Run(e.to_string()))?;
    let record = IterationRecord {
        schema_version: crate::run::SCHEMA_VERSION,
        iteration: 0,
        parent: None,
        status: crate::run::IterationStatus::Baseline,
        rationale: Some(stored.proposal.rationale.clone()),
        snapshot: crate::run::snapshot_name(0),
        metrics: Some(metrics),
        diagnostics,
        errors: Vec::new(),
        attempts: 1,
        timings,
        tokens: crate::run::Tokens::default(),
        cost_usd: 0.0,
        drift: None,
        paired: None,
        holdout,
        timestamp: crate::run::now_rfc3339(),
        tuning: None,
    };
    run.append(&record).map_err(|e| LoopError::Run(e.to_string()))?;
    DirRecorder::from_run(run)
}
