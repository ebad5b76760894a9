//! A loop run's life outside its iterations: the settings a resume must reuse (`loop.json`),
//! reopening a run with the checks that keep its figures comparable (store, cohort and held-out
//! checksums), the selection and held-out evaluators, and starting a fresh run (scoring the baseline
//! on both user sets, writing meta.json, run.jsonl and loop.json). `scorelab loop` parses flags,
//! calls these in order and renders what they return; `report` and `compare` read `loop.json` back
//! through [`LoopConfig`].

use super::contract::{Acceptance, LoopError, Objective, RunRecorder};
use super::judge::LocalJudge;
use super::lineage::Lineage;
use super::prompt::EditFormat;
use super::proposer::ScriptTexts;
use super::record::{DirRecorder, start_run_with_holdout};
use crate::metrics::{GroundTruth, Metric};
use crate::rank::ScriptSet;
use crate::run::{
    CandidateOutcome, CandidateResult, CohortRef, EvalSettings, Evaluator, EvaluatorError, HoldoutRecord,
    IterationStatus, RunError, RunMeta, SplitError, SplitRef, Timings, split_users,
};
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// File in the run directory holding the loop's own settings (read back by `--resume`).
pub const LOOP_FILE: &str = "loop.json";

/// What `--resume` must reuse: written once when the run starts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoopConfig {
    pub provider: String,
    pub model: Option<String>,
    /// Credentials in the URL are never written (`http://[redacted]@host/v1`): a resumed run needs
    /// `--base-url` again.
    pub base_url: Option<String>,
    pub objective: String,
    pub lineage: String,
    pub max_sort_scripts: usize,
    pub hint: Option<String>,
    pub seed: u64,
    pub baseline_dir: String,
    /// Absent in runs from before --accept: strict.
    #[serde(default = "strict")]
    pub accept: String,
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Absent in runs from before --edit-format: edits.
    #[serde(default = "default_edit_format")]
    pub edit_format: String,
    /// Absent in runs from before --directions, which had none.
    #[serde(default)]
    pub directions: bool,
    /// Absent in runs from before --restore-dropped-lines, which asked the model every time.
    #[serde(default)]
    pub restore_dropped_lines: bool,
}

fn strict() -> String {
    "strict".into()
}

fn default_alpha() -> f64 {
    0.05
}

/// The edit format a run uses when none is given (and runs from before the setting used).
pub fn default_edit_format() -> String {
    EditFormat::default().as_str().into()
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("reading {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: invalid loop settings: {source}")]
    InvalidLoopFile { path: PathBuf, source: serde_json::Error },
    #[error(
        "reading {path}: no such file: the run was started by `loop` and its loop settings are lost; start a new run"
    )]
    LoopSettingsLost { path: PathBuf },
    #[error("{dir}: its baseline did not score; fix the set and run `scorelab baseline` again")]
    BaselineNotScored { dir: PathBuf },
    #[error("{dir}: objective {objective} is not one the loop optimises")]
    ObjectiveNotOptimised { dir: PathBuf, objective: &'static str },
    #[error("{setting} {value}: {expected}")]
    Setting { setting: &'static str, value: String, expected: &'static str },
    #[error("opening store {path}: {source}")]
    OpenStore { path: String, source: StoreError },
    #[error(
        "{path}: the store changed since the run started (checksum {now} vs recorded {recorded}); figures would not be comparable"
    )]
    StoreChanged { path: String, now: String, recorded: String },
    #[error("the recorded {what} the store (checksum {now} vs {recorded})")]
    CohortChanged { what: &'static str, now: String, recorded: String },
    #[error("the baseline {dir} does not score; fix it first (`scorelab eval --set {dir}`)")]
    BaselineFails { dir: String, errors: Vec<serde_json::Value> },
    #[error("the baseline does not score on the held-out users")]
    BaselineFailsHeldOut,
    #[error("reading the baseline script set {dir}: {message}")]
    BaselineSet { dir: String, message: String },
    #[error(transparent)]
    Split(#[from] SplitError),
    #[error(transparent)]
    Evaluator(#[from] EvaluatorError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Loop(#[from] LoopError),
    #[error("writing {LOOP_FILE}: {0}")]
    Encode(serde_json::Error),
}

impl LoopConfig {
    /// The settings of the run in `dir` (None when it has no loop.json: a `baseline` run).
    pub fn read(dir: &Path) -> Result<Option<LoopConfig>, SessionError> {
        let path = dir.join(LOOP_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|source| SessionError::Io { path: path.clone(), source })?;
        serde_json::from_str(&text).map(Some).map_err(|source| SessionError::InvalidLoopFile { path, source })
    }

    /// Written once (atomically) when the run starts, or when a `baseline` run is continued.
    pub fn write(&self, dir: &Path) -> Result<(), SessionError> {
        let bytes = serde_json::to_vec_pretty(self).map_err(SessionError::Encode)?;
        Ok(crate::run::atomic_write(&dir.join(LOOP_FILE), &bytes)?)
    }

    pub fn objective(&self) -> Result<Objective, SessionError> {
        Objective::parse(&self.objective).ok_or_else(|| SessionError::Setting {
            setting: "objective",
            value: self.objective.clone(),
            expected: "expected ndcg or ild",
        })
    }

    pub fn lineage(&self) -> Result<Lineage, SessionError> {
        Lineage::parse(&self.lineage).ok_or_else(|| SessionError::Setting {
            setting: "lineage",
            value: self.lineage.clone(),
            expected: "expected linear or evolutionary",
        })
    }

    pub fn acceptance(&self) -> Result<Acceptance, SessionError> {
        match self.accept.as_str() {
            "strict" => Ok(Acceptance::Strict),
            "significant" if self.alpha > 0.0 && self.alpha < 1.0 => Ok(Acceptance::Significant { alpha: self.alpha }),
            "significant" => Err(SessionError::Setting {
                setting: "--alpha",
                value: self.alpha.to_string(),
                expected: "a significance level must lie strictly between 0 and 1",
            }),
            other => Err(SessionError::Setting {
                setting: "--accept",
                value: other.to_string(),
                expected: "expected strict or significant",
            }),
        }
    }

    /// The settings that continue a run `scorelab baseline` started (it has no loop.json): the
    /// recorded objective, seed and sort-script limit and its baseline snapshot, with the proposer
    /// settings of `proposer_flags` (everything else in it is ignored).
    pub fn continuing_baseline(recorder: &DirRecorder, proposer_flags: LoopConfig) -> Result<LoopConfig, SessionError> {
        let dir = recorder.run().path();
        let history = recorder.history();
        let meta = recorder.run().meta();
        // `baseline` never splits the users; a loop run always records its split (and writes loop.json
        // right after its baseline, so a run killed in between is not mistaken for a `baseline` run).
        if meta.split.is_some() || history.iter().any(|r| r.iteration > 0) {
            return Err(SessionError::LoopSettingsLost { path: dir.join(LOOP_FILE) });
        }
        if !history.iter().any(|r| r.iteration == 0 && r.status == IterationStatus::Baseline) {
            return Err(SessionError::BaselineNotScored { dir: dir.to_path_buf() });
        }
        let objective = match meta.settings.objective {
            Metric::Ndcg => "ndcg",
            Metric::Ild => "ild",
            other => {
                return Err(SessionError::ObjectiveNotOptimised { dir: dir.to_path_buf(), objective: other.name() });
            }
        };
        Ok(LoopConfig {
            objective: objective.into(),
            max_sort_scripts: meta.settings.max_sort_scripts,
            hint: None,
            seed: meta.settings.seed,
            baseline_dir: dir.join(crate::run::snapshot_name(0)).display().to_string(),
            ..proposer_flags
        })
    }

    /// The lineage a run directory's loop ran with (lenient: None for a `baseline`-only run or an
    /// unreadable file, which the report then leaves out).
    pub fn recorded_lineage(dir: &Path) -> Option<String> {
        LoopConfig::read(dir).ok().flatten().map(|c| c.lineage)
    }
}

/// Reopens the store a run recorded, refusing one whose content changed since.
pub fn open_recorded_store(meta: &RunMeta) -> Result<Store, SessionError> {
    let path = &meta.store.path;
    let store = Store::open(path).map_err(|source| SessionError::OpenStore { path: path.clone(), source })?;
    if store.checksum() != meta.store.checksum {
        return Err(SessionError::StoreChanged {
            path: path.clone(),
            now: store.checksum().to_string(),
            recorded: meta.store.checksum.clone(),
        });
    }
    Ok(store)
}

/// How a fresh run draws its users.
#[derive(Debug, Clone, Copy)]
pub struct FreshSplit {
    /// Share of the eligible users held out (0: none, every figure in-sample).
    pub holdout: f64,
    /// Cap on the selection users (as `EvalSettings::cohort_size`).
    pub cohort_size: usize,
    pub seed: u64,
}

/// The users a run ranks on and the ones it holds out, each with its evaluator.
pub struct RunUsers<'s> {
    pub selection: Evaluator<'s>,
    pub holdout: Option<Evaluator<'s>>,
    pub holdout_fraction: f64,
}

/// A resumed run's users, read back from its meta.json and checked against the store; or a fresh
/// run's, drawn by the seeded stratified split.
pub fn run_users<'s>(
    store: &'s Store,
    recorded: Option<&RunMeta>,
    fresh: FreshSplit,
) -> Result<RunUsers<'s>, SessionError> {
    let Some(meta) = recorded else {
        let truth = GroundTruth::from_store(store, store.settings().relevance_threshold);
        let split = split_users(store, &truth, fresh.holdout, fresh.cohort_size, fresh.seed)?;
        let settings = EvalSettings { cohort_size: fresh.cohort_size, seed: fresh.seed, ..EvalSettings::default() };
        let selection = Evaluator::with_cohort(store, settings, &split.selection.user_ids)?;
        let holdout = if split.holdout.user_ids.is_empty() {
            None
        } else {
            Some(Evaluator::with_cohort(store, selection.settings.clone(), &split.holdout.user_ids)?)
        };
        return Ok(RunUsers { selection, holdout, holdout_fraction: fresh.holdout });
    };
    let settings = EvalSettings {
        k: meta.settings.k,
        threshold: Some(f64::from(meta.settings.threshold)),
        cohort_size: meta.settings.cohort_size,
        seed: meta.settings.seed,
        diversity_fields: Some(meta.settings.diversity_fields.clone()),
        harness_params: meta.settings.harness_params.clone(),
        threads: 0,
    };
    let selection = Evaluator::with_cohort(store, settings, &meta.cohort.user_ids)?;
    check_cohort("cohort no longer matches", &selection, &meta.cohort)?;
    let holdout = match meta.split.as_ref().filter(|s| !s.holdout.user_ids.is_empty()) {
        None => None,
        Some(split) => {
            let held = Evaluator::with_cohort(store, selection.settings.clone(), &split.holdout.user_ids)?;
            check_cohort("held-out users no longer match", &held, &split.holdout)?;
            Some(held)
        }
    };
    let holdout_fraction = meta.split.as_ref().map_or(0.0, |s| s.holdout_fraction);
    Ok(RunUsers { selection, holdout, holdout_fraction })
}

fn check_cohort(what: &'static str, evaluator: &Evaluator<'_>, recorded: &CohortRef) -> Result<(), SessionError> {
    if evaluator.cohort.checksum != recorded.checksum {
        return Err(SessionError::CohortChanged {
            what,
            now: evaluator.cohort.checksum.clone(),
            recorded: recorded.checksum.clone(),
        });
    }
    Ok(())
}

/// The baseline of a fresh run, scored before the run exists (the candidate time budget is sized
/// from this evaluation).
pub struct ScoredBaseline<'a> {
    pub set: &'a ScriptSet,
    pub result: CandidateResult,
}

/// Starts a fresh run in `runs_dir`: meta.json (settings, cohort, split), the baseline as iteration 0
/// with its held-out figures, and loop.json. The judge remembers the baseline's per-user figures, so
/// the first paired comparison does not rank the selection users again.
pub fn start_run(
    runs_dir: &Path,
    config: &LoopConfig,
    baseline: ScoredBaseline<'_>,
    users: &RunUsers<'_>,
    judge: &LocalJudge<'_, '_>,
) -> Result<DirRecorder, SessionError> {
    let ScoredBaseline { set, result } = baseline;
    let texts = ScriptTexts::of_set(set);
    judge.remember(&texts, &result);
    let evaluation = match &result.outcome {
        CandidateOutcome::Scored(e) => e,
        _ => {
            return Err(SessionError::BaselineFails {
                dir: config.baseline_dir.clone(),
                errors: result.es_errors(set, 3),
            });
        }
    };
    let primary = config.objective()?.primary_metric();
    users.selection.require_objective(primary)?;
    let mut meta = RunMeta::for_evaluator(&users.selection, primary, set.dialect, config.max_sort_scripts);
    meta.split = Some(SplitRef {
        holdout_fraction: users.holdout_fraction,
        stratified_by: "activity_tercile".into(),
        selection: meta.cohort.clone(),
        holdout: users.holdout.as_ref().map_or_else(
            || CohortRef { user_ids: Vec::new(), checksum: crate::metrics::cohort_checksum(&[]) },
            |h| CohortRef { user_ids: h.cohort.user_ids.clone(), checksum: h.cohort.checksum.clone() },
        ),
    });
    let diagnostics = serde_json::to_value(&evaluation.diagnostics).map_err(SessionError::Encode)?;
    let timings = Timings { compile_ms: result.compile_ms, eval_ms: result.eval_ms, engine_ms: None, llm_ms: None };
    let baseline_holdout = match &users.holdout {
        None => None,
        Some(_) => {
            let score = judge.holdout_score(&texts).ok_or(SessionError::BaselineFailsHeldOut)?;
            Some(HoldoutRecord {
                users: score.per_user.len(),
                metrics: score.metrics,
                vs_baseline: None,
                eval_ms: score.eval_ms,
            })
        }
    };
    let recorder = start_run_with_holdout(
        runs_dir,
        meta,
        &texts,
        &config.baseline_dir,
        evaluation.metrics,
        diagnostics,
        timings,
        baseline_holdout,
    )?;
    config.write(recorder.run().path())?;
    Ok(recorder)
}

/// The baseline's evaluation time as iteration 0 recorded it (a resumed run sizes its candidate time
/// budget from it).
pub fn recorded_baseline_eval_ms(recorder: &DirRecorder) -> Option<f64> {
    recorder.history().iter().find(|r| r.iteration == 0).map(|r| r.timings.eval_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::Dialect;

    /// A resumed run gets back exactly the users it started with; a store or a user set that changed
    /// since is refused, naming what changed.
    #[test]
    fn resume_gets_the_recorded_users_and_refuses_a_changed_store_or_user_set() {
        let dir = tempfile::tempdir().unwrap();
        let opts = crate::data::SyntheticOptions { items: 300, users: 40, dims: 4, ..Default::default() };
        crate::store::synthetic_store(&opts).unwrap().save(dir.path()).unwrap();
        let store = Store::open(dir.path()).unwrap();
        let fresh = FreshSplit { holdout: 0.3, cohort_size: 1000, seed: 7 };
        let users = run_users(&store, None, fresh).unwrap();
        let held = users.holdout.as_ref().expect("30 % held out");
        let mut meta = RunMeta::for_evaluator(&users.selection, Metric::Ndcg, Dialect::Elasticsearch, 5);
        meta.split = Some(SplitRef {
            holdout_fraction: users.holdout_fraction,
            stratified_by: "activity_tercile".into(),
            selection: meta.cohort.clone(),
            holdout: CohortRef { user_ids: held.cohort.user_ids.clone(), checksum: held.cohort.checksum.clone() },
        });
        meta.store.path = dir.path().display().to_string();

        // A different split request does not matter on resume: the recorded users win.
        let other = FreshSplit { holdout: 0.5, cohort_size: 3, seed: 99 };
        let again = run_users(&store, Some(&meta), other).unwrap();
        assert_eq!(again.selection.cohort.user_ids, users.selection.cohort.user_ids);
        assert_eq!(again.holdout.as_ref().map(|h| h.cohort.user_ids.clone()), Some(held.cohort.user_ids.clone()));
        assert_eq!(again.holdout_fraction, 0.3);
        assert_eq!(open_recorded_store(&meta).unwrap().checksum(), store.checksum());

        let mut changed = meta.clone();
        changed.cohort.checksum = "0000".into();
        let Err(err) = run_users(&store, Some(&changed), fresh) else { panic!("cohort changed") };
        assert!(err.to_string().starts_with("the recorded cohort no longer matches the store"), "{err}");
        let mut changed = meta.clone();
        if let Some(split) = changed.split.as_mut() {
            split.holdout.checksum = "0000".into();
        }
        let Err(err) = run_users(&store, Some(&changed), fresh) else { panic!("held-out users changed") };
        assert!(err.to_string().starts_with("the recorded held-out users no longer match the store"), "{err}");
        let mut changed = meta.clone();
        changed.store.checksum = "0000".into();
        let Err(err) = open_recorded_store(&changed) else { panic!("store changed") };
        assert!(matches!(err, SessionError::StoreChanged { .. }), "{err}");
    }
}
