//! `scorelab loop` (alias `rl-loop`): the optimisation loop. A fresh run scores the baseline, starts a
//! run directory and iterates; `--resume runs/<ts>` continues a run with its recorded store, cohort,
//! seed and loop settings.

use anyhow::{Context, Result, bail};
use scorelab::optimise::builtin::BuiltinProposer;
use scorelab::optimise::contract::{LoopGuards, LoopSettings, Objective};
use scorelab::optimise::controls::{RandomProposer, WeightsProposer};
use scorelab::optimise::judge::{EngineDriftChecker, LocalJudge};
use scorelab::optimise::llm::{LlmProposer, LlmSettings, ProviderKind, StructuredOutput, redact_url};
use scorelab::optimise::r#loop::OptimisationLoop;
use scorelab::optimise::prompt::EditFormat;
use scorelab::optimise::proposer::{FieldInfo, Proposer, ScriptContract};
use scorelab::optimise::record::DirRecorder;
use scorelab::optimise::session::{
    FreshSplit, LOOP_FILE, LoopConfig, RunUsers, ScoredBaseline, SessionError, default_edit_format,
    open_recorded_store, recorded_baseline_eval_ms, run_users, start_run,
};
use scorelab::rank::ScriptSet;
use scorelab::run::{DEFAULT_HOLDOUT, IterationRecord, Summary};
use scorelab::store::Store;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  scorelab loop --iters 20\n  scorelab loop --iters 50 --lineage evolutionary --seed 7\n  \
    scorelab loop --provider anthropic --iters 10 --hint \"favour recent films\"\n  \
    scorelab loop --provider openai-compatible --base-url http://localhost:11434/v1 --model qwen2.5-coder\n  \
    scorelab loop --provider random --iters 50 --seed 1      # control arm: random search\n  \
    scorelab loop --accept significant --alpha 0.05 --holdout 0.3\n  \
    scorelab loop --dataset my-export/ --iters 20      # your own files (README \"Your own data\")\n  \
    scorelab loop --resume runs/20260101-120000 --iters 10"
)]
pub struct LoopArgs {
    /// Iterations to run (in addition to those already in a resumed run).
    #[arg(long, default_value_t = 20)]
    pub iters: u32,
    /// Who writes candidates: the built-in optimiser (no network), an LLM, or a control arm at the
    /// same budget: `random` (random search over the optimiser's building blocks) or `weights` (the
    /// baseline's structure with coordinate ascent on signal weights).
    #[arg(long, env = "LLM_PROVIDER", default_value = "builtin",
          value_parser = ["builtin", "random", "weights", "anthropic", "openai", "openai-compatible"])]
    pub provider: String,
    /// Model name (default: ANTHROPIC_MODEL / OPENAI_MODEL from the environment or .env).
    #[arg(long)]
    pub model: Option<String>,
    /// Base URL of an OpenAI-compatible server (llama.cpp, Ollama, vLLM); default OPENAI_BASE_URL.
    #[arg(long)]
    pub base_url: Option<String>,
    /// The primary metric; the other of ndcg/ild is the guardrail (never below the baseline's).
    #[arg(long, default_value = "ndcg", value_parser = ["ndcg", "ild"], conflicts_with = "resume")]
    pub objective: String,
    /// linear: edit the previous iteration (or its parent after a regression); evolutionary: pick
    /// parents from the whole history with a penalty on repeated picks.
    #[arg(long, default_value = "linear", value_parser = ["linear", "evolutionary"], conflicts_with = "resume")]
    pub lineage: String,
    /// Most `_script` sort scripts a candidate may have.
    #[arg(long, default_value_t = scorelab::run::DEFAULT_MAX_SORT_SCRIPTS, conflicts_with = "resume")]
    pub max_sort_scripts: usize,
    /// The script set iteration 0 scores and the first candidates edit (`--set`, as `baseline` and
    /// `eval` call it, is the same flag).
    #[arg(
        long,
        visible_alias = "set",
        value_name = "DIR",
        default_value = "scripts/baseline",
        conflicts_with = "resume"
    )]
    pub baseline_dir: PathBuf,
    /// Free text passed to the proposer. The built-in optimiser reads only field names from it, to
    /// favour or avoid ("favour popularity, avoid year"), and says so when it names none.
    #[arg(long, conflicts_with = "resume")]
    pub hint: Option<String>,
    /// Seed of the cohort sample and of the built-in optimiser.
    #[arg(long, default_value_t = 42, conflicts_with = "resume")]
    pub seed: u64,
    #[command(flatten)]
    pub stores: super::common::StoreArgs,
    /// Most users in the selection set (what the loop ranks, accepts and picks parents on).
    #[arg(long, default_value_t = 1000, conflicts_with = "resume")]
    pub cohort_size: usize,
    /// Share of eligible users held out (seeded, stratified by activity tercile): scored for the
    /// baseline, accepted candidates and the best, never seen by the proposer or the acceptance rule.
    /// 0 = no held-out set (every figure is in-sample).
    #[arg(long, default_value_t = DEFAULT_HOLDOUT, value_name = "FRACTION", conflicts_with = "resume")]
    pub holdout: f64,
    /// strict: any mean improvement of the primary with the guardrail at or above the baseline's;
    /// significant: the primary beats the best so far with paired p < --alpha and the guardrail is
    /// not significantly below the baseline's.
    #[arg(long, default_value = "strict", value_parser = ["strict", "significant"], conflicts_with = "resume")]
    pub accept: String,
    /// Significance level of --accept significant.
    #[arg(long, default_value_t = 0.05, conflicts_with = "resume")]
    pub alpha: f64,
    /// Re-score leaderboard candidates on the search engine (--engine-url) and refuse drifting ones.
    #[arg(long)]
    pub engine_check: bool,
    /// The engine --engine-check uses.
    #[command(flatten)]
    pub target: super::engine::EngineArgs,
    /// Continue the run in this directory, with the settings it started with (loop.json, meta.json):
    /// the flags that define a run (--objective, --lineage, --seed, --cohort-size, --holdout, --hint,
    /// --accept, --alpha, --baseline-dir, --max-sort-scripts, --store, --dataset) are refused with it.
    /// A run `scorelab baseline` started is continued with its recorded settings and the provider
    /// flags given now (its loop.json is written then).
    #[arg(long, value_name = "RUN_DIR")]
    pub resume: Option<PathBuf>,
    /// Where new run directories are created.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// Print one JSON document at the end (run directory, summary, this invocation's iterations)
    /// instead of the live table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sandbox: super::eval::SandboxArgs,
    /// Prompt size in tokens (estimated) for LLM proposals: history and diagnostics are trimmed to fit,
    /// the parent is always whole. The default fits an 8k context with room for the reply.
    #[arg(long, value_name = "TOKENS", default_value_t = scorelab::optimise::prompt::DEFAULT_PROMPT_BUDGET)]
    pub prompt_budget: usize,
    /// Most tokens one model reply may have.
    #[arg(long, value_name = "TOKENS", default_value_t = scorelab::optimise::llm::DEFAULT_REPLY_MAX_TOKENS)]
    pub reply_max_tokens: u32,
    /// Sampling temperature sent to the model (default: the server's own).
    #[arg(long)]
    pub temperature: Option<f64>,
    /// Seconds one model request may take before it is retried.
    #[arg(long, value_name = "SECONDS", default_value_t = scorelab::optimise::llm::DEFAULT_REQUEST_TIMEOUT_S)]
    pub request_timeout: u64,
    /// Seconds one model request may keep being retried (waits included) before the iteration is
    /// recorded as proposer_error.
    #[arg(long, value_name = "SECONDS", default_value_t = scorelab::optimise::llm::DEFAULT_MAX_RETRY_TIME_S)]
    pub max_retry_time: u64,
    /// How the reply format is enforced: auto (json-schema for OpenAI, json-object with a schema for
    /// OpenAI-compatible servers such as llama.cpp, a forced tool call for Anthropic), or off.
    #[arg(long, default_value = "auto", value_parser = ["auto", "json-schema", "json-object", "tool", "off"])]
    pub structured_output: String,
    /// How the model changes a script set: edits (SEARCH/REPLACE against the numbered parent, or whole
    /// scripts) or whole (the complete new scripts every time; for small models, whose SEARCH text often
    /// misses). Kept by the run: a resumed run uses the one it started with unless given again.
    #[arg(long, value_parser = ["edits", "whole"])]
    pub edit_format: Option<String>,
    /// Suggest one concrete change per LLM proposal (on by default), taken in turn from the store's
    /// field signals (the expressions the built-in optimiser uses) and the user's best-matching rows;
    /// the model may take another. Kept by the run like --edit-format.
    #[arg(long, value_parser = ["on", "off"])]
    pub directions: Option<String>,
    /// When a candidate fails on an undeclared variable whose declaration (and the opening lines
    /// that fill it) the reply dropped from the script it edited, put those lines back as a fix
    /// attempt that costs no model call, kept only if it compiles (on by default). Kept by the run
    /// like --edit-format.
    #[arg(long, value_parser = ["on", "off"])]
    pub restore_dropped_lines: Option<String>,
    /// Fix attempts per iteration after a compile error, a runtime error or a repeated candidate.
    #[arg(long, default_value_t = scorelab::optimise::contract::MAX_FIX_ATTEMPTS)]
    pub max_fix_attempts: u32,
    /// Stop after this many iterations in a row whose proposer produced nothing usable.
    #[arg(long, default_value_t = scorelab::optimise::contract::MAX_CONSECUTIVE_FAILURES)]
    pub max_consecutive_failures: u32,
    /// Stop (cleanly, before the next iteration) once the run has cost this much.
    #[arg(long, value_name = "USD")]
    pub max_cost_usd: Option<f64>,
    /// Stop once the run has used this many tokens (input + output, every call).
    #[arg(long, value_name = "TOKENS")]
    pub max_total_tokens: Option<u64>,
    /// Stop once this invocation has run this long.
    #[arg(long, value_name = "MINUTES")]
    pub max_minutes: Option<f64>,
    /// Local evaluations spent tuning the numeric constants of each LLM candidate that runs, before it
    /// is judged (0: off; the built-in optimiser tunes constants itself and ignores this).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TUNE_CONSTANTS)]
    pub tune_constants: u32,
    /// Print the system and user prompt of the next iteration (with their estimated tokens) and exit
    /// without calling the model.
    #[arg(long)]
    pub print_prompt: bool,
}

/// Default `--tune-constants` for LLM proposers: about 10-40 s of local evaluation on MovieLens, next
/// to minutes per call of a small local model.
const DEFAULT_TUNE_CONSTANTS: u32 = 12;

fn proposer(cfg: &LoopConfig, args: &LoopArgs) -> Result<Box<dyn Proposer>> {
    match cfg.provider.as_str() {
        "builtin" => return Ok(Box::new(BuiltinProposer::new())),
        "random" => return Ok(Box::new(RandomProposer)),
        "weights" => return Ok(Box::new(WeightsProposer)),
        _ => {}
    }
    let kind = ProviderKind::parse(&cfg.provider).with_context(|| format!("unknown provider {}", cfg.provider))?;
    // The URL given now wins (it may carry credentials the run directory does not keep).
    let base_url = args.base_url.clone().or_else(|| cfg.base_url.clone());
    if base_url.as_deref().is_some_and(|u| u.contains("[redacted]@")) {
        bail!("this run's --base-url had credentials, which are not stored: pass --base-url again to resume");
    }
    let mut settings = LlmSettings::from_env(kind, cfg.model.clone(), base_url, |name| std::env::var(name).ok())?;
    settings.max_tokens = args.reply_max_tokens;
    settings.temperature = args.temperature;
    settings.timeout = std::time::Duration::from_secs(args.request_timeout.max(1));
    settings.max_retry_time = std::time::Duration::from_secs(args.max_retry_time);
    settings.prompt_budget = args.prompt_budget;
    settings.edit_format = EditFormat::parse(&cfg.edit_format)
        .with_context(|| format!("edit format {:?}: expected edits or whole", cfg.edit_format))?;
    settings.directions = cfg.directions;
    settings.seed = Some(cfg.seed);
    settings.structured = StructuredOutput::parse(&args.structured_output, kind).with_context(|| {
        format!("--structured-output {} is not available for {}", args.structured_output, kind.as_str())
    })?;
    Ok(Box::new(LlmProposer::new(settings)?))
}

/// Proposers that call no model: the LLM settings line is not printed for them.
const NETWORK_FREE_PROVIDERS: [&str; 3] = ["builtin", "random", "weights"];

/// The loop settings the flags give (a fresh run writes them as loop.json).
fn config_from_flags(args: &LoopArgs) -> LoopConfig {
    LoopConfig {
        provider: args.provider.clone(),
        model: args.model.clone(),
        base_url: args.base_url.as_deref().map(redact_url),
        objective: args.objective.clone(),
        lineage: args.lineage.clone(),
        max_sort_scripts: args.max_sort_scripts,
        hint: args.hint.clone(),
        seed: args.seed,
        baseline_dir: args.baseline_dir.display().to_string(),
        accept: args.accept.clone(),
        alpha: args.alpha,
        edit_format: args.edit_format.clone().unwrap_or_else(default_edit_format),
        directions: args.directions.as_deref() != Some("off"),
        restore_dropped_lines: args.restore_dropped_lines.as_deref() != Some("off"),
    }
}

/// A run to continue: its recorder, its loop settings (with the proposer flags a resume may switch)
/// and its store, unchanged since it started.
fn resumed(dir: &Path, args: &LoopArgs) -> Result<(DirRecorder, LoopConfig, Store)> {
    let recorder = DirRecorder::open(dir).with_context(|| format!("resuming {}", dir.display()))?;
    let recorded = &recorder.run().meta().store;
    let conflict = match (&args.stores.store, &args.stores.dataset) {
        (Some(_), _) => Some("--store"),
        (None, Some(_)) => Some("--dataset"),
        (None, None) => None,
    };
    if let Some(flag) = conflict {
        bail!(
            "{flag} conflicts with --resume: a resumed run keeps the store it started on ({}, checksum {}); \
             drop {flag}, or start a new run without --resume",
            recorded.path,
            recorded.checksum
        );
    }
    for repair in &recorder.repairs {
        eprintln!("resume: {repair}");
    }
    let cfg = match LoopConfig::read(dir)? {
        Some(cfg) => cfg,
        None => {
            let cfg = LoopConfig::continuing_baseline(&recorder, config_from_flags(args))?;
            eprintln!(
                "note: {} was started by `baseline`: the loop continues it with the provider given now ({}), the run's \
                 objective ({}), seed ({}) and sort-script limit ({}), and its baseline snapshot {}; {LOOP_FILE} is written",
                dir.display(),
                cfg.provider,
                cfg.objective,
                cfg.seed,
                cfg.max_sort_scripts,
                cfg.baseline_dir
            );
            cfg.write(dir)?;
            cfg
        }
    };
    // A proposer setting, not a figure's: a resumed run may switch it.
    let cfg = LoopConfig {
        edit_format: args.edit_format.clone().unwrap_or(cfg.edit_format),
        directions: args.directions.as_deref().map_or(cfg.directions, |d| d == "on"),
        restore_dropped_lines: args.restore_dropped_lines.as_deref().map_or(cfg.restore_dropped_lines, |r| r == "on"),
        ..cfg
    };
    let store = open_recorded_store(recorder.run().meta())?;
    Ok((recorder, cfg, store))
}

pub fn run(args: LoopArgs) -> Result<ExitCode> {
    let (mut recorder, cfg, store, defaults_applied) = match &args.resume {
        Some(dir) => {
            let (recorder, cfg, store) = resumed(dir, &args)?;
            (Some(recorder), cfg, store, Vec::new())
        }
        None => {
            let opened = args.stores.open()?;
            let defaults_applied = opened.defaults_applied();
            (None, config_from_flags(&args), opened.store, defaults_applied)
        }
    };
    // Build the proposer before anything is written, so a missing API key fails fast.
    let mut proposer = proposer(&cfg, &args)?;
    let objective = cfg.objective()?;
    let lineage = cfg.lineage()?;
    let acceptance = cfg.acceptance()?;

    let fresh = FreshSplit { holdout: args.holdout, cohort_size: args.cohort_size, seed: cfg.seed };
    let RunUsers { selection: mut evaluator, holdout: holdout_evaluator, holdout_fraction } =
        run_users(&store, recorder.as_ref().map(|r| r.run().meta()), fresh)?;
    evaluator.limits = args.sandbox.limits()?;
    // Connect (and calibrate) before anything is written: an unreachable engine must not leave a new
    // run behind, and the calibrated vector arithmetic is what every local figure of the run (and
    // meta.json) uses, so local and engine rankings are compared on the same floats.
    let (mut evaluator, search) = if args.engine_check {
        let mut search = super::engine::connect(&args.target, &store, Default::default()).context("--engine-check")?;
        super::engine::calibrate(&mut search).context("--engine-check")?;
        let profile = search.target().arithmetic.clone();
        (evaluator.with_arithmetic(profile), Some(search))
    } else {
        (evaluator, None)
    };
    // The held-out users are scored under the same sandbox limits and vector arithmetic.
    let holdout_evaluator = holdout_evaluator.map(|mut held| {
        held.limits = evaluator.limits.clone();
        held.with_arithmetic(evaluator.arithmetic.clone())
    });
    // --print-prompt needs the baseline's figures but must leave no run behind: a fresh run goes to a
    // temporary directory that lives until the prompt is printed.
    let preview_dir = if args.print_prompt && recorder.is_none() { Some(tempfile::tempdir()?) } else { None };
    let local = evaluator.local_engine();
    let baseline_set = ScriptSet::open(Path::new(&cfg.baseline_dir))
        .with_context(|| format!("reading the baseline script set {}", cfg.baseline_dir))?;
    let dialect = recorder.as_ref().map_or(baseline_set.dialect, |r| r.run().meta().settings.dialect);
    // A fresh run scores its baseline first: the candidate time budget is sized from that evaluation
    // (a resumed run reads it from its log), and it must be set before the judge borrows the evaluator.
    let fresh_baseline = match &recorder {
        None => Some(evaluator.evaluate_with(&local, &baseline_set)?),
        Some(_) => None,
    };
    let baseline_ms = match (&fresh_baseline, &recorder) {
        (Some(result), _) => Some(result.eval_ms),
        (None, Some(rec)) => recorded_baseline_eval_ms(rec),
        (None, None) => None,
    };
    evaluator.candidate_timeout =
        args.sandbox.timeout(scorelab::run::default_candidate_timeout(baseline_ms.unwrap_or(0.0)))?;
    let users = RunUsers { selection: evaluator, holdout: holdout_evaluator, holdout_fraction };
    let evaluator = &users.selection;
    let mut judge = LocalJudge::new(evaluator, &local, dialect);
    if let Some(held) = &users.holdout {
        judge = judge.with_holdout(held);
    }
    if let Some(result) = fresh_baseline {
        let runs_dir = preview_dir.as_ref().map_or(args.runs_dir.as_path(), |d| d.path());
        let started = start_run(runs_dir, &cfg, ScoredBaseline { set: &baseline_set, result }, &users, &judge);
        if let Err(SessionError::BaselineFails { errors, .. }) = &started {
            for e in errors {
                eprintln!("{}", serde_json::to_string_pretty(e)?);
            }
        }
        recorder = Some(started?);
    }
    let Some(mut recorder) = recorder else { bail!("internal: no run directory") };
    let run_path = recorder.run().path().to_path_buf();
    let meta = recorder.run().meta().clone();

    let dialect = meta.settings.dialect.to_string();
    let settings = LoopSettings {
        objective,
        lineage,
        seed: cfg.seed,
        hint: cfg.hint.clone(),
        contract: ScriptContract::for_store(&store, &meta.settings.harness_params, cfg.max_sort_scripts, &dialect),
        fields: FieldInfo::of_store(&store),
        history_shown: 6,
        acceptance,
        guards: LoopGuards {
            max_fix_attempts: args.max_fix_attempts,
            max_consecutive_failures: args.max_consecutive_failures,
            max_cost_usd: args.max_cost_usd,
            max_total_tokens: args.max_total_tokens,
            max_minutes: args.max_minutes,
            tune_constants: args.tune_constants,
            restore_dropped_lines: cfg.restore_dropped_lines,
        },
    };
    if let Some(hint) = &cfg.hint
        && NETWORK_FREE_PROVIDERS.contains(&cfg.provider.as_str())
    {
        eprintln!("{}", scorelab::optimise::signals::hint_note(&cfg.provider, hint, &settings.fields));
    }
    if let Some(search) = search {
        // The baseline is checked before any candidate: if it already drifts, no candidate's engine
        // check could mean anything.
        let started = std::time::Instant::now();
        let mut request = evaluator.request();
        request.ablate_sorts = false;
        let baseline = scorelab::engine::drift::run_parity(
            &store,
            &local,
            &search,
            search.target(),
            &baseline_set,
            &request,
            Some(&evaluator.context),
            scorelab::engine::drift::Tolerances::default(),
        )
        .context("--engine-check: checking the baseline on the engine")?;
        let (exact, ties, drift) = baseline.report.verdict_counts();
        eprintln!(
            "baseline engine check: {exact} exact, {ties} tie-equivalent, {drift} drift ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
        if baseline.report.has_drift() {
            super::engine::print_drift(&baseline.report, args.json)?;
            bail!("the baseline {} drifts on the engine; fix that before optimising against it", cfg.baseline_dir);
        }
        judge = judge.with_drift_checker(Box::new(EngineDriftChecker { evaluator, local: &local, search }));
    }

    let held_out = match meta.split.as_ref().map(|s| s.holdout.user_ids.len()) {
        Some(n) if n > 0 => format!("{n} held-out users"),
        _ => "nothing held out (in-sample)".into(),
    };
    let heading = format!(
        "run {}  provider {}  objective {} (guardrail {} >= {:.6})  lineage {}  accept {}  selection {} users, {held_out}  candidate timeout {}",
        if preview_dir.is_some() {
            "preview (--print-prompt keeps no run)".to_string()
        } else {
            run_path.display().to_string()
        },
        proposer.name(),
        objective.primary_name(),
        objective.guardrail_name(),
        meta.baseline.metrics.map(|m| objective.guardrail(&m)).unwrap_or(0.0),
        cfg.lineage,
        cfg.accept,
        meta.cohort.user_ids.len(),
        evaluator.candidate_timeout.map_or("none".to_string(), |t| format!("{:.0} s", t.as_secs_f64()))
    );
    if args.json {
        eprintln!("{heading}");
    } else {
        println!("{heading}");
    }
    if !NETWORK_FREE_PROVIDERS.contains(&cfg.provider.as_str()) {
        // Defaults that change a metric are never silent.
        let tuning = if args.tune_constants > 0 {
            format!(
                "constants tuned on up to {} local evaluations per candidate (--tune-constants)",
                args.tune_constants
            )
        } else {
            "no constant tuning".into()
        };
        let line = format!(
            "llm: {} replies, {}, prompt budget {} tokens, replies up to {} tokens, {} fix attempts{}, request timeout {} s, retries up to {} s, {}; {tuning}",
            cfg.edit_format,
            if cfg.directions { "a suggested change per proposal (--directions)" } else { "no suggested changes" },
            args.prompt_budget,
            args.reply_max_tokens,
            args.max_fix_attempts,
            if cfg.restore_dropped_lines {
                " (opening lines a reply dropped are put back first, --restore-dropped-lines)"
            } else {
                ""
            },
            args.request_timeout,
            args.max_retry_time,
            if cfg.provider == "anthropic" {
                "no sampling seed (the API takes none)".to_string()
            } else {
                format!("sampling seed {} (--seed)", cfg.seed)
            }
        );
        if args.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    let base_guard = meta.baseline.metrics.map(|m| objective.guardrail(&m));
    let mut table = Table::new(args.iters, args.json, base_guard);
    if let Some(base) = recorder_history_first(&recorder) {
        table.row(&base, &Summary::default(), objective);
    }
    let mut lp = OptimisationLoop::new(settings, proposer.as_mut(), &judge, &mut recorder);
    if args.print_prompt {
        let ctx = lp.preview_context()?;
        let format = EditFormat::parse(&cfg.edit_format).unwrap_or_default();
        let (system, user) =
            scorelab::optimise::prompt::proposal_prompts(&ctx, args.prompt_budget, format, cfg.directions);
        let tokens = |t: &str| scorelab::optimise::prompt::estimate_tokens(t);
        println!(
            "=== system (~{} tokens) ===\n{system}\n=== user (~{} tokens) ===\n{user}",
            tokens(&system),
            tokens(&user)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let outcome = lp.run(args.iters, |record, summary| table.row(record, summary, objective));
    table.finish();
    let summary = outcome
        .with_context(|| format!("run {} stopped (resume with --resume {})", run_path.display(), run_path.display()))?;
    if args.json {
        let body = serde_json::json!({
            "run": run_path.display().to_string(),
            "provider": proposer.name(),
            "objective": objective.primary_name(),
            "defaults_applied": defaults_applied,
            "summary": summary,
            "iterations": table.records,
        });
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}", summary.final_message.clone().unwrap_or_default());
    if summary.holdout.is_none() {
        println!(
            "nothing is held out (--holdout 0 or a run from before the split): every figure above is in-sample, \
             measured on the users the loop selected on"
        );
    }
    println!("run written to {}", run_path.display());
    Ok(ExitCode::SUCCESS)
}

fn recorder_history_first(recorder: &DirRecorder) -> Option<IterationRecord> {
    use scorelab::optimise::RunRecorder;
    // On a fresh run the history is just the baseline; on resume, show where the run stands.
    recorder
        .history()
        .iter()
        .rev()
        .find(|r| r.iteration == 0 || r.status == scorelab::run::IterationStatus::Accepted)
        .cloned()
}

/// The live table: one line per iteration on stdout, a progress bar with ETA on stderr when it is a
/// terminal (plain lines otherwise, e.g. under CI or a pipe).
struct Table {
    bar: Option<indicatif::ProgressBar>,
    /// `--json`: the records are kept for the final document instead of printed.
    json: bool,
    records: Vec<IterationRecord>,
    /// The baseline's guardrail, for the signed margin printed on a violation.
    base_guard: Option<f64>,
}

impl Table {
    fn new(iters: u32, json: bool, base_guard: Option<f64>) -> Table {
        if !json {
            println!(
                "{:>5} {:>6}  {:<19} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8}  {:>7} {:>9} {:>7}  rationale",
                "iter",
                "parent",
                "status",
                "ndcg",
                "recall",
                "prec",
                "ild",
                "best",
                "held-out",
                "ms",
                "engine_ms",
                "tokens"
            );
        }
        let bar =
            super::terminal::progress_visible().then(|| super::terminal::bar(u64::from(iters), "iterations", "loop"));
        Table { bar, json, records: Vec::new(), base_guard }
    }

    fn row(&mut self, r: &IterationRecord, summary: &Summary, objective: Objective) {
        if self.json {
            self.records.push(r.clone());
            if let Some(bar) = &self.bar
                && r.iteration > 0
            {
                bar.inc(1);
            }
            return;
        }
        let m = |f: fn(&scorelab::metrics::MetricSet) -> f64| {
            r.metrics.as_ref().map_or("-".to_string(), |x| format!("{:.4}", f(x)))
        };
        let best = summary.best_primary.map_or_else(
            || r.metrics.map_or("-".into(), |x| format!("{:.4}", objective.primary(&x))),
            |b| format!("{b:.4}"),
        );
        let mut rationale = r.rationale.clone().unwrap_or_default().replace('\n', " ");
        if rationale.chars().count() > 90 {
            rationale = rationale.chars().take(87).collect::<String>() + "...";
        }
        if let (scorelab::run::IterationStatus::GuardrailViolation, Some(m), Some(base)) =
            (r.status, r.metrics, self.base_guard)
        {
            let (got, floor) = scorelab::report::distinct_pair(objective.guardrail(&m), base);
            rationale = format!("[{} {got} < baseline {floor}] {rationale}", objective.guardrail_name());
        }
        let held_out = r.holdout.map_or("-".to_string(), |h| format!("{:.4}", objective.primary(&h.metrics)));
        let line = format!(
            "{:>5} {:>6}  {:<19} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8}  {:>7.0} {:>9} {:>7}  {}",
            r.iteration,
            r.parent.map_or("-".to_string(), |p| p.to_string()),
            r.status.as_str(),
            m(|x| x.ndcg),
            m(|x| x.recall),
            m(|x| x.precision),
            m(|x| x.ild),
            best,
            held_out,
            // The iteration's own time, the model's included; the engine check has its own column (it is
            // most of the wall time when it runs).
            r.timings.compile_ms + r.timings.eval_ms + r.timings.llm_ms.unwrap_or(0.0),
            r.timings.engine_ms.map_or("-".to_string(), |ms| format!("{ms:.0}")),
            r.tokens.input + r.tokens.output,
            rationale
        );
        match &self.bar {
            Some(bar) => {
                bar.suspend(|| println!("{line}"));
                if r.iteration > 0 {
                    bar.inc(1);
                }
            }
            None => println!("{line}"),
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
