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
    pub objective: String,
    pub guardrail: String,
    pub iterations: usize,
    pub best_iteration: Option<u64>,
    pub best_primary: Option<f64>,
    pub guardrail_held: Option<bool>,
    pub final_message: Option<String>,
}

impl RunOverview {
    pub fn from_run(run: &Run) -> RunOverview {
        let analysis = Analysis::new(run);
        RunOverview {
            name: run.name.clone(),
            path: run.dir.clone(),
            started: run.meta.created.clone(),
            objective: analysis.metric_label(analysis.primary),
            guardrail: analysis.metric_label(analysis.guardrail),
            iterations: run.iterations.len(),
            best_iteration: analysis.best,
            best_primary: analysis.best_primary(),
            guardrail_held: analysis.guardrail_held(),
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
