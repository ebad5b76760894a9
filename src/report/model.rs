//! A lenient reader for run directories (ARCHITECTURE.md, "run format", schema_version 1).
//!
//! The report reads runs written by any scorelab version, so every field is optional and unknown
//! fields are ignored: a run from an older or newer writer still renders, with whatever it recorded.
//! Only what makes a run unreadable is an error: a missing `meta.json`/`run.jsonl` or a line that is
//! not JSON. Each such error names the file and, for `run.jsonl`, the line.

use super::ReportError;
use crate::run::IterationStatus;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;
use std::path::{Path, PathBuf};

/// The four metrics every iteration logs (metrics.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricName {
    Ndcg,
    Recall,
    Precision,
    Ild,
}

impl MetricName {
    pub const ALL: [MetricName; 4] = [MetricName::Ndcg, MetricName::Recall, MetricName::Precision, MetricName::Ild];

    /// The key used in `run.jsonl` (`metrics.ndcg`...).
    pub fn key(self) -> &'static str {
        match self {
            MetricName::Ndcg => "ndcg",
            MetricName::Recall => "recall",
            MetricName::Precision => "precision",
            MetricName::Ild => "ild",
        }
    }

    /// Accepts `ndcg`, `ndcg@10`, `NDCG_at_k` and the like: writers have spelled objectives both ways.
    pub fn parse(text: &str) -> Option<MetricName> {
        let lower = text.trim().to_ascii_lowercase();
        let stem = lower.split(['@', '_']).next().unwrap_or("");
        MetricName::ALL.into_iter().find(|m| m.key() == stem)
    }

    /// The name with its cut-off, as users read it: `ndcg@10`.
    pub fn label(self, k: Option<u64>) -> String {
        match k {
            Some(k) => format!("{}@{k}", self.key()),
            None => format!("{}@k", self.key()),
        }
    }
}

impl fmt::Display for MetricName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The four metric values of one evaluation; a metric a writer did not record is `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    pub ndcg: Option<f64>,
    pub recall: Option<f64>,
    pub precision: Option<f64>,
    pub ild: Option<f64>,
}

impl Metrics {
    pub fn get(&self, metric: MetricName) -> Option<f64> {
        match metric {
            MetricName::Ndcg => self.ndcg,
            MetricName::Recall => self.recall,
            MetricName::Precision => self.precision,
            MetricName::Ild => self.ild,
        }
    }

    /// Reads `{ndcg, recall, precision, ild}`, also under `ndcg@10`-style keys; None for null/absent.
    fn from_value(value: &Value) -> Option<Metrics> {
        let object = value.as_object()?;
        let mut metrics = Metrics::default();
        for (key, value) in object {
            let Some(number) = value.as_f64() else {
                continue;
            };
            match MetricName::parse(key) {
                Some(MetricName::Ndcg) => metrics.ndcg = Some(number),
                Some(MetricName::Recall) => metrics.recall = Some(number),
                Some(MetricName::Precision) => metrics.precision = Some(number),
                Some(MetricName::Ild) => metrics.ild = Some(number),
                None => {}
            }
        }
        Some(metrics)
    }
}

/// An iteration's outcome as the loop recorded it; a status this build does not know (a run written by a
/// newer one) is kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    Known(IterationStatus),
    Other(String),
}

impl Status {
    pub const BASELINE: Status = Status::Known(IterationStatus::Baseline);
    pub const ACCEPTED: Status = Status::Known(IterationStatus::Accepted);

    pub fn parse(text: &str) -> Status {
        IterationStatus::parse(text).map_or_else(|| Status::Other(text.to_string()), Status::Known)
    }

    pub fn as_str(&self) -> &str {
        match self {
            Status::Known(status) => status.as_str(),
            Status::Other(text) => text,
        }
    }

    pub fn is(&self, status: IterationStatus) -> bool {
        *self == Status::Known(status)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StoreInfo {
    pub path: Option<String>,
    pub checksum: Option<String>,
    pub dataset: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub k: Option<u64>,
    pub threshold: Option<f64>,
    pub cohort_size: Option<u64>,
    pub diversity_fields: Option<Vec<String>>,
    pub objective: Option<String>,
    pub guardrail: Option<String>,
    pub engine: Option<String>,
    pub dialect: Option<String>,
    pub seed: Option<u64>,
    pub max_sort_scripts: Option<u64>,
    /// Not in schema 1's meta.json: read from the loop's `loop.json` when meta.json lacks it.
    pub lineage: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Summary {
    pub best_iteration: Option<u64>,
    pub best_primary: Option<f64>,
    pub guardrail_held: Option<bool>,
    pub iterations_attempted: Option<u64>,
    pub final_message: Option<String>,
}

/// `meta.json`, read leniently.
#[derive(Debug, Clone, Default)]
pub struct RunMeta {
    pub schema_version: Option<u64>,
    pub scorelab_version: Option<String>,
    pub created: Option<String>,
    pub store: StoreInfo,
    pub settings: Settings,
    pub cohort_size: Option<usize>,
    /// Held-out users in meta.json `split` (None: a run from before the split; Some(0): `--holdout 0`).
    pub holdout_users: Option<usize>,
    pub baseline_metrics: Option<Metrics>,
    pub summary: Option<Summary>,
}

/// One `run.jsonl` line, read leniently; `raw` keeps the line as written for `--json` output.
#[derive(Debug, Clone)]
pub struct Iteration {
    pub iteration: u64,
    pub parent: Option<u64>,
    pub status: Status,
    pub rationale: Option<String>,
    pub snapshot: Option<String>,
    pub metrics: Option<Metrics>,
    /// Figures on the held-out users (baseline and accepted candidates of runs with a split).
    pub holdout: Option<Metrics>,
    pub diagnostics: Value,
    pub errors: Value,
    pub attempts: Value,
    pub timings: Value,
    pub tokens: Value,
    pub cost_usd: Option<f64>,
    pub drift: Value,
    pub timestamp: Option<String>,
    /// 1-based line in run.jsonl.
    pub line: usize,
    pub raw: Value,
    /// The snapshot's script files, `query.painless` first, then sort scripts, then `scriptset.json`.
    pub scripts: Vec<ScriptFile>,
    /// Why the proposer picked this parent (evolutionary runs with an LLM), from the first
    /// attempt's `proposal.json`.
    pub parent_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptFile {
    pub name: String,
    pub source: String,
}

/// A whole run directory, loaded.
#[derive(Debug, Clone)]
pub struct Run {
    pub dir: PathBuf,
    /// The directory name, normally the start time `YYYYMMDD-HHMMSS`.
    pub name: String,
    pub meta: RunMeta,
    pub iterations: Vec<Iteration>,
    /// Problems that did not stop the run from loading (a torn last line, a missing snapshot).
    pub warnings: Vec<String>,
}

impl Run {
    /// Loads `meta.json`, every `run.jsonl` line and every iteration's snapshot scripts.
    pub fn open(dir: &Path) -> Result<Run, ReportError> {
        let meta_path = dir.join("meta.json");
        let meta_text = read_text(&meta_path)?;
        let meta_value: Value =
            serde_json::from_str(&meta_text).map_err(|err| ReportError::json(&meta_path, err.line(), &err))?;
        let mut meta = parse_meta(&meta_value, &meta_path)?;
        if meta.settings.lineage.is_none() {
            meta.settings.lineage = crate::optimise::session::LoopConfig::recorded_lineage(dir);
        }

        let log_path = dir.join("run.jsonl");
        let log_text = read_text(&log_path)?;
        let mut warnings = Vec::new();
        let mut iterations = read_iterations(&log_text, &log_path, &mut warnings)?;
        iterations.sort_by_key(|it| it.iteration);
        for iteration in &mut iterations {
            iteration.scripts = read_snapshot(dir, iteration, &mut warnings)?;
            iteration.parent_reason = read_parent_reason(dir, iteration.iteration);
        }
        // `scorelab report .` from inside the run: name it after the real directory.
        let name = std::fs::canonicalize(dir)
            .unwrap_or_else(|_| dir.to_path_buf())
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| dir.display().to_string());
        Ok(Run { dir: dir.to_path_buf(), name, meta, iterations, warnings })
    }

    pub fn iteration(&self, number: u64) -> Option<&Iteration> {
        self.iterations.iter().find(|it| it.iteration == number)
    }
}

fn read_text(path: &Path) -> Result<String, ReportError> {
    std::fs::read_to_string(path).map_err(|source| ReportError::Io { path: path.to_path_buf(), source })
}

fn parse_meta(value: &Value, path: &Path) -> Result<RunMeta, ReportError> {
    let object = value.as_object().ok_or_else(|| ReportError::Field {
        path: path.to_path_buf(),
        line: None,
        field: "(top level)".into(),
        message: "expected a JSON object".into(),
    })?;
    let field_error = |field: &str, err: serde_json::Error| ReportError::Field {
        path: path.to_path_buf(),
        line: None,
        field: field.to_string(),
        message: err.to_string(),
    };
    let section = |name: &str| object.get(name).filter(|v| !v.is_null()).cloned();
    let store = match section("store") {
        Some(v) => serde_json::from_value(v).map_err(|e| field_error("store", e))?,
        None => StoreInfo::default(),
    };
    let settings = match section("settings") {
        Some(v) => serde_json::from_value(v).map_err(|e| field_error("settings", e))?,
        None => Settings::default(),
    };
    let summary = match section("summary") {
        Some(v) => Some(serde_json::from_value(v).map_err(|e| field_error("summary", e))?),
        None => None,
    };
    let baseline_metrics = object.get("baseline").and_then(|b| b.get("metrics")).and_then(Metrics::from_value);
    let cohort_size = object.get("cohort").and_then(|c| c.get("user_ids")).and_then(Value::as_array).map(Vec::len);
    Ok(RunMeta {
        schema_version: object.get("schema_version").and_then(Value::as_u64),
        scorelab_version: string_field(object, "scorelab_version"),
        created: string_field(object, "created"),
        store,
        settings,
        cohort_size,
        holdout_users: object
            .get("split")
            .and_then(|s| s.get("holdout"))
            .and_then(|h| h.get("user_ids"))
            .and_then(Value::as_array)
            .map(Vec::len),
        baseline_metrics,
        summary,
    })
}

fn string_field(object: &Map<String, Value>, key: &str) -> Option<String> {
    object.get(key).and_then(Value::as_str).map(str::to_string)
}

fn read_iterations(text: &str, path: &Path, warnings: &mut Vec<String>) -> Result<Vec<Iteration>, ReportError> {
    let mut iterations = Vec::new();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (index, raw_line) in lines.iter().enumerate() {
        let line_number = index + 1;
        let line = raw_line.trim();
        if line.is_empty() {
            continue;
        }
        let value: Value = match serde_json::from_str(line) {
            Ok(value) => value,
            // The loop appends whole lines and fsyncs; a last line without its newline is a write
            // that a crash cut short, not corruption: the iteration never completed.
            Err(_) if index + 1 == lines.len() && !raw_line.ends_with('\n') => {
                warnings.push(format!(
                    "{} line {line_number}: incomplete last line ignored (an interrupted write)",
                    path.display()
                ));
                continue;
            }
            Err(err) => return Err(ReportError::json(path, line_number, &err)),
        };
        iterations.push(parse_iteration(value, path, line_number)?);
    }
    Ok(iterations)
}

fn parse_iteration(raw: Value, path: &Path, line: usize) -> Result<Iteration, ReportError> {
    let field_error = |field: &str, message: &str| ReportError::Field {
        path: path.to_path_buf(),
        line: Some(line),
        field: field.to_string(),
        message: message.to_string(),
    };
    let object = raw.as_object().ok_or_else(|| field_error("(line)", "expected a JSON object"))?;
    let iteration = object
        .get("iteration")
        .and_then(Value::as_u64)
        .ok_or_else(|| field_error("iteration", "missing or not a non-negative integer"))?;
    let status = match object.get("status") {
        Some(Value::String(text)) => Status::parse(text),
        Some(_) => return Err(field_error("status", "expected a string")),
        None if iteration == 0 => Status::BASELINE,
        None => Status::Other("unknown".into()),
    };
    let take = |key: &str| object.get(key).cloned().unwrap_or(Value::Null);
    Ok(Iteration {
        iteration,
        parent: object.get("parent").and_then(Value::as_u64),
        status,
        rationale: string_field(object, "rationale"),
        snapshot: string_field(object, "snapshot"),
        metrics: object.get("metrics").and_then(Metrics::from_value),
        holdout: object.get("holdout").and_then(|h| h.get("metrics")).and_then(Metrics::from_value),
        diagnostics: take("diagnostics"),
        errors: take("errors"),
        attempts: take("attempts"),
        timings: take("timings"),
        tokens: take("tokens"),
        cost_usd: object.get("cost_usd").and_then(Value::as_f64),
        drift: take("drift"),
        timestamp: string_field(object, "timestamp"),
        line,
        raw,
        scripts: Vec::new(),
        parent_reason: None,
    })
}

/// The `parent_reason` of the iteration's first proposal, if it recorded one. Lenient: an older
/// run, a missing or unreadable file simply has none.
fn read_parent_reason(dir: &Path, iteration: u64) -> Option<String> {
    let path = dir.join(format!("iter_{iteration:03}")).join("proposal.json");
    let value: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    value.get("parent_reason")?.as_str().map(str::to_string).filter(|r| !r.trim().is_empty())
}

/// Reads the snapshot's scripts. The snapshot name comes from the log, so only its last path
/// component is used: a log line cannot make the report read outside the run directory.
fn read_snapshot(
    dir: &Path,
    iteration: &Iteration,
    warnings: &mut Vec<String>,
) -> Result<Vec<ScriptFile>, ReportError> {
    let default_name = format!("iter_{:03}", iteration.iteration);
    let name = iteration
        .snapshot
        .as_deref()
        .and_then(|s| Path::new(s).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(default_name);
    let snapshot_dir = dir.join(&name);
    let entries = match std::fs::read_dir(&snapshot_dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            warnings.push(format!("iteration {}: snapshot {} is missing", iteration.iteration, snapshot_dir.display()));
            return Ok(Vec::new());
        }
        Err(source) => {
            return Err(ReportError::Io { path: snapshot_dir, source });
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ReportError::Io { path: snapshot_dir.clone(), source })?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name.ends_with(".painless") || file_name == "scriptset.json" {
            names.push(file_name);
        }
    }
    names.sort_by_key(|n| (script_order(n), n.clone()));
    names
        .into_iter()
        .map(|name| {
            let source = read_text(&snapshot_dir.join(&name))?;
            Ok(ScriptFile { name, source })
        })
        .collect()
}

/// Display order of a snapshot's files: the query script, the sort scripts, then `scriptset.json`.
pub(crate) fn script_order(name: &str) -> u8 {
    match name {
        "query.painless" => 0,
        "scriptset.json" => 2,
        _ => 1,
    }
}
