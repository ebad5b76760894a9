//! The run list behind `scorelab runs`: one overview per run directory, newest first.

use super::ReportError;
use super::analysis::Analysis;
use super::model::Run;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What `scorelab runs` shows about one run (also its `--json` shape).
#[derive(Debug, Clone, Serialize)]
pub struct RunOverview {
    pub name: String,
    pub path: PathBuf,
    pub started: Option<String>,
    /// The dataset the store was made from (its name in meta.json).
    pub store: Option<String>,
    /// `linear` or `evolutionary` (None: a run `baseline` started, or from before lineages).
    pub lineage: Option<String>,
    pub objective: String,
    pub guardrail: String,
    pub iterations: usize,
    pub best_iteration: Option<u64>,
    pub best_primary: Option<f64>,
    pub guardrail_held: Option<bool>,
    /// The best iteration's primary relative to the baseline's, on the selection users (0.05 = +5 %).
    pub gain: Option<f64>,
    /// The same on the held-out users, when the run holds some out and the best was scored on them.
    pub held_out_gain: Option<f64>,
    pub final_message: Option<String>,
}

/// `best / baseline - 1`, when both exist and the baseline is not zero.
fn relative(best: Option<f64>, baseline: Option<f64>) -> Option<f64> {
    let (best, baseline) = (best?, baseline?);
    (baseline != 0.0).then(|| best / baseline - 1.0)
}

impl RunOverview {
    pub fn from_run(run: &Run) -> RunOverview {
        let analysis = Analysis::new(run);
        let baseline = analysis.baseline_iteration();
        let best = analysis.best_iteration();
        let held_out = |it: Option<&super::model::Iteration>| it?.holdout?.get(analysis.primary);
        RunOverview {
            name: run.name.clone(),
            path: run.dir.clone(),
            started: run.meta.created.clone(),
            store: run.meta.store.dataset.clone(),
            lineage: run.meta.settings.lineage.clone(),
            objective: analysis.metric_label(analysis.primary),
            guardrail: analysis.metric_label(analysis.guardrail),
            iterations: run.iterations.len(),
            best_iteration: analysis.best,
            best_primary: analysis.best_primary(),
            guardrail_held: analysis.guardrail_held(),
            gain: relative(analysis.best_primary(), baseline.and_then(|b| b.metrics?.get(analysis.primary))),
            held_out_gain: relative(held_out(best), held_out(baseline)),
            final_message: run.meta.summary.as_ref().and_then(|s| s.final_message.clone()),
        }
    }
}

/// Every subdirectory of `runs_dir` holding a `meta.json`, newest first (run directories are named
/// by their start time, `YYYYMMDD-HHMMSS`, so name order is time order). A run that cannot be read
/// is returned as its error, so one broken run does not hide the others.
pub fn list_runs(runs_dir: &Path) -> Result<Vec<Result<RunOverview, ReportError>>, ReportError> {
    let entries =
        std::fs::read_dir(runs_dir).map_err(|source| ReportError::Io { path: runs_dir.to_path_buf(), source })?;
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ReportError::Io { path: runs_dir.to_path_buf(), source })?;
        let path = entry.path();
        if path.is_dir() && path.join("meta.json").is_file() {
            dirs.push(path);
        }
    }
    dirs.sort_by(|a, b| b.file_name().cmp(&a.file_name()));
    Ok(dirs.iter().map(|dir| Run::open(dir).map(|run| RunOverview::from_run(&run))).collect())
}
