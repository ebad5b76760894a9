//! `scorelab compare RUN RUN...`: control arms side by side (issue 20). Every run must share the
//! store and the held-out users; for each run the comparison gives its best-so-far held-out primary
//! per iteration (with the recorded 95 % interval of the gain over the baseline), the final selection
//! and held-out gains, and whether the first run's best beats each other run's best on the held-out
//! users (both bests re-scored there, paired per user).

use super::html::{STYLE, esc};
use super::svg::{Chart, LegendEntry, Line};
use crate::metrics::paired::DEFAULT_RESAMPLES;
use crate::metrics::{Metric, MetricSet, PairedMetrics, PairedStat, compare_metrics};
use crate::optimise::session::LoopConfig;
use crate::rank::ScriptSet;
use crate::run::{CandidateOutcome, EvalSettings, Evaluator, IterationRecord, IterationStatus, RunDir, RunMeta};
use crate::store::Store;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("compare needs at least two runs (got {0})")]
    TooFew(usize),
    #[error("{run}: {message}")]
    Run { run: String, message: String },
    #[error("{run}: {field} differs from {first}'s ({theirs} vs {ours}); runs compared must share it")]
    Mismatch { run: String, first: String, field: String, theirs: String, ours: String },
    #[error("{run}: the run holds no users out (--holdout 0 or a run from before the split): nothing to compare on")]
    NoHoldout { run: String },
}

/// One point of an arm's curve: after `iteration`, the best so far (by selection primary) and its
/// held-out figures.
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    pub iteration: u32,
    pub best_iteration: u32,
    pub selection_primary: f64,
    pub holdout_primary: Option<f64>,
    /// The held-out primary's 95 % interval (baseline + the recorded interval of the gain).
    pub holdout_ci: Option<(f64, f64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Arm {
    pub run: String,
    pub provider: String,
    pub seed: u64,
    pub iterations: u32,
    pub best_iteration: u32,
    pub selection_gain: Option<PairedStat>,
    pub holdout_gain: Option<PairedStat>,
    pub curve: Vec<CurvePoint>,
}

/// The first run's best against another's, paired on the held-out users.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub other: String,
    pub difference: PairedStat,
    /// `better`, `worse` (both at p < alpha) or `no significant difference`.
    pub verdict: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub primary: String,
    pub dataset: String,
    pub holdout_users: usize,
    pub holdout_checksum: String,
    pub selection_users: usize,
    pub alpha: f64,
    pub baseline_holdout_primary: Option<f64>,
    pub arms: Vec<Arm>,
    pub verdicts: Vec<Verdict>,
    /// Per held-out user, each arm's best primary (arm order), so a verdict can be checked by hand.
    pub per_user: PerUser,
}

#[derive(Debug, Clone, Serialize)]
pub struct PerUser {
    pub user_ids: Vec<String>,
    pub primary_by_arm: Vec<Vec<f64>>,
}

struct Loaded {
    dir: PathBuf,
    name: String,
    meta: RunMeta,
    records: Vec<IterationRecord>,
    provider: String,
}

fn load(dir: &Path) -> Result<Loaded, CompareError> {
    let name = dir.display().to_string();
    let err = |message: String| CompareError::Run { run: name.clone(), message };
    let run = RunDir::open(dir).map_err(|e| err(e.to_string()))?;
    let records = run.read_log().map_err(|e| err(e.to_string()))?.records;
    // A run `baseline` started has no loop settings: its only arm is the baseline.
    let provider = LoopConfig::read(dir).ok().flatten().map_or_else(|| "baseline".into(), |c| c.provider);
    Ok(Loaded { dir: dir.to_path_buf(), name: name.clone(), meta: run.meta().clone(), records, provider })
}

/// The best-so-far curve and the final best of one run, from its log alone.
fn arm_of(run: &Loaded, primary: Metric, baseline_holdout: Option<f64>) -> Arm {
    let mut curve = Vec::new();
    let mut best: Option<&IterationRecord> = None;
    for record in &run.records {
        let eligible = matches!(record.status, IterationStatus::Baseline | IterationStatus::Accepted);
        if let (true, Some(m)) = (eligible, record.metrics)
            && best.and_then(|b| b.metrics).is_none_or(|b| m.get(primary) > b.get(primary))
        {
            best = Some(record);
        }
        let Some(b) = best else { continue };
        let holdout_primary = b.holdout.map(|h| h.metrics.get(primary));
        let holdout_ci = match (b.iteration, b.holdout.and_then(|h| h.vs_baseline), baseline_holdout) {
            (0, _, Some(base)) => Some((base, base)),
            (_, Some(vs), Some(base)) => Some((base + vs.get(primary).ci_low, base + vs.get(primary).ci_high)),
            _ => None,
        };
        curve.push(CurvePoint {
            iteration: record.iteration,
            best_iteration: b.iteration,
            selection_primary: b.metrics.map_or(0.0, |m| m.get(primary)),
            holdout_primary,
            holdout_ci,
        });
    }
    let best_iteration = best.map_or(0, |b| b.iteration);
    Arm {
        run: run.name.clone(),
        provider: run.provider.clone(),
        seed: run.meta.settings.seed,
        iterations: run.records.iter().filter(|r| r.iteration > 0).count() as u32,
        best_iteration,
        selection_gain: best.and_then(|b| b.paired).map(|p| *p.vs_baseline.get(primary)),
        holdout_gain: best.and_then(|b| b.holdout).and_then(|h| h.vs_baseline).map(|p| *p.get(primary)),
        curve,
    }
}

fn check_same(first: &Loaded, other: &Loaded, field: &str, ours: String, theirs: String) -> Result<(), CompareError> {
    if ours == theirs {
        return Ok(());
    }
    Err(CompareError::Mismatch {
        run: other.name.clone(),
        first: first.name.clone(),
        field: field.into(),
        theirs,
        ours,
    })
}

/// Compares runs (see the module comment); `alpha` decides the verdict wording.
pub fn compare_runs(dirs: &[PathBuf], alpha: f64) -> Result<Comparison, CompareError> {
    if dirs.len() < 2 {
        return Err(CompareError::TooFew(dirs.len()));
    }
    let runs: Vec<Loaded> = dirs.iter().map(|d| load(d)).collect::<Result<_, _>>()?;
    let first = &runs[0];
    let split = first.meta.split.clone().filter(|s| !s.holdout.user_ids.is_empty());
    let Some(split) = split else { return Err(CompareError::NoHoldout { run: first.name.clone() }) };
    for other in &runs[1..] {
        let (a, b) = (&first.meta, &other.meta);
        check_same(first, other, "store checksum", a.store.checksum.clone(), b.store.checksum.clone())?;
        let held = |m: &RunMeta| m.split.as_ref().map_or_else(|| "none".to_string(), |s| s.holdout.checksum.clone());
        check_same(first, other, "held-out users (checksum)", held(a), held(b))?;
        check_same(first, other, "objective", a.settings.objective.to_string(), b.settings.objective.to_string())?;
        check_same(first, other, "k", a.settings.k.to_string(), b.settings.k.to_string())?;
        check_same(first, other, "threshold", a.settings.threshold.to_string(), b.settings.threshold.to_string())?;
    }
    let primary = first.meta.settings.objective;
    let baseline_holdout =
        first.records.iter().find(|r| r.iteration == 0).and_then(|r| r.holdout).map(|h| h.metrics.get(primary));
    let arms: Vec<Arm> = runs.iter().map(|r| arm_of(r, primary, baseline_holdout)).collect();

    // Re-score every arm's best on the held-out users, paired per user.
    let err = |run: &Loaded, message: String| CompareError::Run { run: run.name.clone(), message };
    let store = Store::open(&first.meta.store.path).map_err(|e| err(first, e.to_string()))?;
    let settings = EvalSettings {
        k: first.meta.settings.k,
        threshold: Some(f64::from(first.meta.settings.threshold)),
        cohort_size: split.holdout.user_ids.len(),
        seed: first.meta.settings.seed,
        diversity_fields: Some(first.meta.settings.diversity_fields.clone()),
        harness_params: first.meta.settings.harness_params.clone(),
        threads: 0,
    };
    let evaluator =
        Evaluator::with_cohort(&store, settings, &split.holdout.user_ids).map_err(|e| err(first, e.to_string()))?;
    let mut per_user: Vec<Vec<MetricSet>> = Vec::new();
    for (run, arm) in runs.iter().zip(&arms) {
        let snapshot = run
            .records
            .iter()
            .find(|r| r.iteration == arm.best_iteration)
            .map(|r| r.snapshot.clone())
            .unwrap_or_else(|| crate::run::snapshot_name(arm.best_iteration));
        let set = ScriptSet::open(&run.dir.join(&snapshot)).map_err(|e| err(run, e.to_string()))?;
        let result = evaluator.evaluate(&set).map_err(|e| err(run, e.to_string()))?;
        let CandidateOutcome::Scored(evaluation) = result.outcome else {
            return Err(err(run, format!("its best ({snapshot}) does not score on the held-out users")));
        };
        per_user.push(evaluation.per_user.iter().map(|u| u.metrics).collect());
    }
    let verdicts = runs[1..]
        .iter()
        .zip(&per_user[1..])
        .map(|(run, other)| {
            let paired: PairedMetrics =
                compare_metrics(&per_user[0], other, first.meta.settings.seed, DEFAULT_RESAMPLES)
                    .map_err(|e| err(run, e.to_string()))?;
            let difference = *paired.get(primary);
            let verdict = if difference.significantly_above(alpha) {
                "better"
            } else if difference.significantly_below(alpha) {
                "worse"
            } else {
                "no significant difference"
            };
            Ok(Verdict { other: run.name.clone(), difference, verdict: verdict.into() })
        })
        .collect::<Result<Vec<_>, CompareError>>()?;
    Ok(Comparison {
        primary: primary.name().into(),
        dataset: first.meta.store.dataset.clone(),
        holdout_users: split.holdout.user_ids.len(),
        holdout_checksum: split.holdout.checksum.clone(),
        selection_users: first.meta.cohort.user_ids.len(),
        alpha,
        baseline_holdout_primary: baseline_holdout,
        verdicts,
        per_user: PerUser {
            user_ids: evaluator.cohort.user_ids.clone(),
            primary_by_arm: per_user.iter().map(|u| u.iter().map(|m| m.get(primary)).collect()).collect(),
        },
        arms,
    })
}

fn gain_text(stat: Option<&PairedStat>) -> String {
    stat.map_or_else(|| "-".into(), PairedStat::describe)
}

/// The comparison as plain text: arms, curve every `step` iterations, verdicts.
pub fn render_text(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} on {}: {} selection users, {} held-out users ({})",
        c.primary, c.dataset, c.selection_users, c.holdout_users, c.holdout_checksum
    );
    if let Some(base) = c.baseline_holdout_primary {
        let _ = writeln!(out, "baseline held-out {} {base:.4}", c.primary);
    }
    let _ = writeln!(out, "\nfinal gains of each run's best over the baseline (paired, 95 % CI):");
    for (i, arm) in c.arms.iter().enumerate() {
        let _ = writeln!(
            out,
            "  [{}] {}  provider {}  seed {}  {} iterations  best iteration {}\n      selection: {}\n      held-out:  {}",
            i + 1,
            arm.run,
            arm.provider,
            arm.seed,
            arm.iterations,
            arm.best_iteration,
            gain_text(arm.selection_gain.as_ref()),
            gain_text(arm.holdout_gain.as_ref())
        );
    }
    let _ = writeln!(out, "\nbest-so-far held-out {} per iteration:", c.primary);
    let _ = write!(out, "{:>6}", "iter");
    for i in 0..c.arms.len() {
        let _ = write!(out, " {:>24}", format!("[{}]", i + 1));
    }
    out.push('\n');
    let last = c.arms.iter().map(|a| a.curve.last().map_or(0, |p| p.iteration)).max().unwrap_or(0);
    let step = (last / 10).max(1);
    let mut shown: Vec<u32> = (0..=last).step_by(step as usize).collect();
    if shown.last() != Some(&last) {
        shown.push(last);
    }
    for it in shown {
        let _ = write!(out, "{it:>6}");
        for arm in &c.arms {
            let point = arm.curve.iter().rev().find(|p| p.iteration <= it);
            let cell = match point {
                Some(CurvePoint { holdout_primary: Some(v), holdout_ci: Some((lo, hi)), .. }) => {
                    format!("{v:.4} [{lo:.4},{hi:.4}]")
                }
                Some(CurvePoint { holdout_primary: Some(v), .. }) => format!("{v:.4}"),
                _ => "-".into(),
            };
            let _ = write!(out, " {cell:>24}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\n[1]'s best against each other run's best, paired on the {} held-out users (alpha {}):",
        c.holdout_users, c.alpha
    );
    for v in &c.verdicts {
        let _ = writeln!(out, "  vs {}: {} -> {}", v.other, v.difference.describe(), v.verdict);
    }
    out
}

const ARM_COLOURS: [&str; 9] =
    ["#0a3069", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#0969da", "#bf3989", "#6e7781", "#24292f"];

/// One self-contained HTML page: the arms' best-so-far held-out curves overlaid, the final gains and
/// the verdicts.
pub fn render_html(c: &Comparison) -> String {
    let mut lines = Vec::new();
    let mut legend = Vec::new();
    for (i, arm) in c.arms.iter().enumerate() {
        let colour = ARM_COLOURS[i % ARM_COLOURS.len()];
        let points: Vec<(f64, f64)> =
            arm.curve.iter().filter_map(|p| Some((f64::from(p.iteration), p.holdout_primary?))).collect();
        let label = format!("[{}] {} seed {}", i + 1, arm.provider, arm.seed);
        legend.push(LegendEntry::Line { label: label.clone(), colour, width: 2.0, dash: None });
        lines.push(Line { label, points, colour, width: 2.0, dash: None, step: true });
    }
    let last = c.arms.iter().filter_map(|a| a.curve.last()).map(|p| f64::from(p.iteration)).fold(1.0, f64::max);
    let chart = Chart {
        id: "compare".into(),
        title: format!("best-so-far {} on the {} held-out users", c.primary, c.holdout_users),
        x_label: "iteration".into(),
        y_label: format!("held-out {}", c.primary),
        width: 1120.0,
        height: 380.0,
        x_range: (0.0, last),
        y_range: None,
        lines,
        markers: Vec::new(),
        hlines: Vec::new(),
        bars: Vec::new(),
        legend,
        highlighted: true,
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>scorelab compare</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<header class=\"run\"><h1>scorelab compare: {} runs</h1>\n<p>{} on {}: {} selection users, {} held-out users. Curves show each run's best so far (chosen on the selection users) scored on the held-out users.</p></header>\n",
        c.arms.len(),
        esc(&c.primary),
        esc(&c.dataset),
        c.selection_users,
        c.holdout_users
    );
    out.push_str("<section>\n");
    out.push_str(&chart.render());
    out.push_str("\n</section>\n<section><h2>Final gains over the baseline (paired, 95 % CI)</h2>\n<table>\n<tr><th>#</th><th>run</th><th>provider</th><th>seed</th><th>iterations</th><th>best</th><th>selection gain</th><th>held-out gain</th></tr>\n");
    for (i, arm) in c.arms.iter().enumerate() {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            esc(&arm.run),
            esc(&arm.provider),
            arm.seed,
            arm.iterations,
            arm.best_iteration,
            esc(&gain_text(arm.selection_gain.as_ref())),
            esc(&gain_text(arm.holdout_gain.as_ref()))
        );
    }
    let _ = writeln!(
        out,
        "</table></section>\n<section><h2>[1] against each other run (held-out users, best vs best, alpha {})</h2>\n<table>\n<tr><th>other run</th><th>difference</th><th>verdict</th></tr>",
        c.alpha
    );
    for v in &c.verdicts {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&v.other),
            esc(&v.difference.describe()),
            esc(&v.verdict)
        );
    }
    out.push_str("</table></section>\n</main>\n</body>\n</html>\n");
    out
}
