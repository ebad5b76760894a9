//! Run directories (`runs/<YYYYMMDD-HHMMSS>/`, schema_version 1): meta.json, run.jsonl and the
//! write-once `iter_NNN/` snapshots. A library API for `baseline` and the optimisation loop:
//! [`RunDir`], [`RunMeta`], [`IterationRecord`], [`Summary`].

pub mod dir;
pub mod evaluator;
pub mod format;
pub mod split;

pub use dir::{IncompleteSnapshot, RunDir, RunError, RunLog, atomic_write, list_runs, now_rfc3339};
pub use evaluator::{
    CandidateOutcome, CandidateResult, EvalSettings, Evaluator, EvaluatorError, MIN_CANDIDATE_TIMEOUT,
    default_candidate_timeout, default_now, timeout_json,
};
pub use format::{
    BaselineRef, CohortRef, HoldoutRecord, IterationRecord, IterationStatus, PairedRecord, RunMeta, RunSettings,
    SCHEMA_VERSION, SplitRef, StoreRef, Summary, Timings, Tokens, TuningRecord, UsersFromRef, parse_snapshot_name,
    snapshot_name,
};
pub use split::{DEFAULT_HOLDOUT, SplitError, UserSet, UserSplit, recorded_users, split_users};

use crate::metrics::MetricSet;
use std::path::{Path, PathBuf};

/// Most `_script` sort scripts a candidate may have unless the run says otherwise (`baseline` and `loop`).
pub const DEFAULT_MAX_SORT_SCRIPTS: usize = 5;

/// The most recent run under `runs_dir` whose baseline was scored on the same store (checksum) and
/// cohort (checksum) with the same k and threshold. Unreadable runs are skipped: they cannot serve
/// as a reference, and one broken directory must not block a new baseline.
pub fn last_comparable_baseline(runs_dir: &Path, meta: &RunMeta) -> Result<Option<(PathBuf, MetricSet)>, RunError> {
    for path in list_runs(runs_dir)?.into_iter().rev() {
        let Ok(run) = RunDir::open(&path) else { continue };
        let other = run.meta();
        let comparable = other.store.checksum == meta.store.checksum
            && other.cohort.checksum == meta.cohort.checksum
            && other.settings.k == meta.settings.k
            && other.settings.threshold == meta.settings.threshold
            && other.settings.harness_params == meta.settings.harness_params;
        if let (true, Some(metrics)) = (comparable, other.baseline.metrics) {
            return Ok(Some((path, metrics)));
        }
    }
    Ok(None)
}
