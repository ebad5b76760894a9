//! Reading run directories back for people: the self-contained HTML report (`scorelab report`),
//! the run list (`scorelab runs`) and one iteration in a terminal (`scorelab show`).
//!
//! The reader (`model`) is deliberately lenient: it accepts any `schema_version`, ignores unknown
//! fields and tolerates missing ones, so old and new runs keep rendering. Everything taken from a
//! run (rationales and scripts are untrusted LLM output) is HTML-escaped before it reaches the page,
//! and the page references nothing outside itself: no scripts, no network, no external fonts.

mod analysis;
mod charts;
pub mod compare;
mod html;
mod iterations;
mod listing;
pub mod model;
mod show;
mod svg;

pub use analysis::{Analysis, DriftState, distinct_pair, drift_state};
pub use listing::{RunOverview, list_runs};
pub use model::{Iteration, MetricName, Metrics, Run, RunMeta, ScriptFile, Status};
pub use show::{Palette, render_iteration_text, render_runs_table};

use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{} line {line}, column {column}: not valid JSON: {message}", path.display())]
    Json { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{}{}: field `{field}`: {message}", path.display(), line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Field { path: PathBuf, line: Option<usize>, field: String, message: String },
    #[error("{}: no iteration {iteration} in run.jsonl (recorded: {available})", dir.display())]
    UnknownIteration { dir: PathBuf, iteration: u64, available: String },
    #[error("writing {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

impl ReportError {
    /// `serde_json` appends "at line L column C" to its messages; `line` here is the file's line
    /// (for run.jsonl each record is parsed on its own, so serde's line would always be 1).
    fn json(path: &Path, line: usize, err: &serde_json::Error) -> ReportError {
        let text = err.to_string();
        let message = match text.rfind(" at line ") {
            Some(cut) => text[..cut].to_string(),
            None => text,
        };
        ReportError::Json { path: path.to_path_buf(), line, column: err.column(), message }
    }
}

/// The report as one HTML document.
pub fn render_report(run: &Run) -> String {
    html::render_page(&Analysis::new(run))
}

/// Writes the report to `out` atomically (a temp file in the same directory, fsynced, renamed), so
/// a reader never sees half a report and an old report survives a failed write.
pub fn write_report(run: &Run, out: &Path) -> Result<(), ReportError> {
    write_page(&render_report(run), out)
}

/// Writes an HTML page to `out` atomically (see [`write_report`]).
pub fn write_page(page: &str, out: &Path) -> Result<(), ReportError> {
    let dir = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let write_error = |source| ReportError::Write { path: out.to_path_buf(), source };
    let mut temp =
        tempfile::Builder::new().prefix(".report-").suffix(".html.tmp").tempfile_in(&dir).map_err(write_error)?;
    temp.write_all(page.as_bytes()).map_err(write_error)?;
    // tempfile creates 0600 files; a report is meant to be shared like any other output file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(write_error)?;
    }
    temp.as_file().sync_all().map_err(write_error)?;
    temp.persist(out).map_err(|err| write_error(err.error))?;
    Ok(())
}
