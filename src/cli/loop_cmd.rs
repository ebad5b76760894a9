//! `scorelab loop` (alias `rl-loop`): the optimisation loop. A fresh run scores the baseline, starts a
//! run directory and iterates; `--resume runs/<ts>` continues a run with its recorded store, cohort,
//! seed and loop settings.

use anyhow::{Context, Result, bail};
use scorelab::metrics::Metric;
use scorelab::optimise::builtin::BuiltinProposer;
use scorelab::optimise::judge::{EngineDriftChecker, LocalJudge};
use scorelab::optimise::lineage::Lineage;
use scorelab::optimise::llm::{LlmProposer, LlmSettings, ProviderKind, StructuredOutput, redact_url};
use scorelab::optimise::r#loop::{LoopGuards, LoopSettings, Objective, OptimisationLoop, status_name};
use scorelab::optimise::proposer::{FieldInfo, Proposer, ScriptContract, ScriptTexts};
use scorelab::optimise::record::{DirRecorder, start_run};
use scorelab::rank::ScriptSet;
use scorelab::run::{CandidateOutcome, EvalSettings, Evaluator, IterationRecord, RunMeta, Summary, Timings};
use scorelab::store::Store;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// File in the run directory holding the loop's own settings (read back by `--resume`).
const LOOP_FILE: &str = "loop.json";

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  scorelab loop --iters 20\n  scorelab loop --iters 50 --lineage evolutionary --seed 7\n  \
    scorelab loop --provider anthropic --iters 10 --hint \"favour recent films\"\n  \
    scorelab loop --provider openai-compatible --base-url http://localhost:11434/v1 --model qwen2.5-coder\n  \
    scorelab loop --resume runs/20260101-120000 --iters 10"
)]
pub struct LoopArgs {
    /// Iterations to run (in addition to those already in a resumed run).
    #[arg(long, default_value_t = 20)]
    pub iters: u32,
    /// Who writes candidates: the built-in optimiser (no network) or an LLM.
    #[arg(long, env = "LLM_PROVIDER", default_value = "builtin",
          value_parser = ["builtin", "anthropic", "openai", "openai-compatible"])]
    pub provider: String,
    /// Model name (default: ANTHROPIC_MODEL / OPENAI_MODEL from the environment or .env).
    #[arg(long)]
    pub model: Option<String>,
    /// Base URL of an OpenAI-compatible server (llama.cpp, Ollama, vLLM); default OPENAI_BASE_URL.
    #[arg(long)]
    pub base_url: Option<String>,
    /// The primary metric; the other of ndcg/ild is the guardrail (never below the baseline's).
    #[arg(long, default_value = "ndcg", value_parser = ["ndcg", "ild"])]
    pub objective: String,
    /// linear: edit the previous iteration (or its parent after a regression); evolutionary: pick
    /// parents from the whole history with a penalty on repeated picks.
    #[arg(long, default_value = "linear", value_parser = ["linear", "evolutionary"])]
    pub lineage: String,
    /// Most `_script` sort scripts a candidate may have.
    #[arg(long, default_value_t = 5)]
    pub max_sort_scripts: usize,
    /// The script set iteration 0 scores and the first candidates edit.
    #[arg(long, value_name = "DIR", default_value = "scripts/baseline")]
    pub baseline_dir: PathBuf,
    /// Free text passed to the proposer.
    #[arg(long)]
    pub hint: Option<String>,
    /// Seed of the cohort sample and of the built-in optimiser.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Store directory (default: the MovieLens demo store, built on first use).
    #[arg(long, conflicts_with = "dataset")]
    pub store: Option<PathBuf>,
    /// A named demo dataset instead of --store (movielens).
    #[arg(long, value_parser = ["movielens"])]
    pub dataset: Option<String>,
    /// Cohort size (users sampled with --seed).
    #[arg(long, default_value_t = 1000)]
    pub cohort_size: usize,
    /// Re-score leaderboard candidates on the search engine (--engine-url) and refuse drifting ones.
    #[arg(long)]
    pub engine_check: bool,
    /// The engine --engine-check uses.
    #[command(flatten)]
    pub target: super::engine::EngineArgs,
    /// Continue the run in this directory.
    #[arg(long, value_name = "RUN_DIR")]
    pub resume: Option<PathBuf>,
    /// Where new run directories are created.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// Print one JSON document at the end (run directory, summary, this invocation's iterations)
    /// instead of the live table.
    #[arg(long)]
    pub json: bool,
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
    /// Fix attempts per iteration after a compile error, a runtime error or a repeated candidate.
    #[arg(long, default_value_t = scorelab::optimise::r#loop::MAX_FIX_ATTEMPTS)]
    pub max_fix_attempts: u32,
    /// Stop after this many iterations in a row whose proposer produced nothing usable.
    #[arg(long, default_value_t = scorelab::optimise::r#loop::MAX_CONSECUTIVE_FAILURES)]
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

/// What `--resume` must reuse: written once when the run starts.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LoopFile {
    provider: String,
    model: Option<String>,
    /// Credentials in the URL are never written (`http://[redacted]@host/v1`): a resumed run needs
    /// `--base-url` again.
    base_url: Option<String>,
    objective: String,
    lineage: String,
    max_sort_scripts: usize,
    hint: Option<String>,
    seed: u64,
    baseline_dir: String,
}

fn proposer(cfg: &LoopFile, args: &LoopArgs) -> Result<Box<dyn Proposer>> {
    if cfg.provider == "builtin" {
        return Ok(Box::new(BuiltinProposer::new()));
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
    settings.structured = StructuredOutput::parse(&args.structured_output, kind).with_context(|| {
        format!("--structured-output {} is not available for {}", args.structured_output, kind.as_str())
    })?;
    Ok(Box::new(LlmProposer::new(settings)?))
}

fn texts(set: &ScriptSet) -> ScriptTexts {
    ScriptTexts { query: set.query.source.clone(), sort: set.sorts.iter().map(|s| s.script.source.clone()).collect() }
}

pub fn run(args: LoopArgs) -> Result<ExitCode> {
    let (mut recorder, cfg, store) = match &args.resume {
        Some(dir) => {
            let recorder = DirRecorder::open(dir).with_context(|| format!("resuming {}", dir.display()))?;
            for repair in &recorder.repairs {
                eprintln!("resume: {repair}");
            }
            let cfg_path = dir.join(LOOP_FILE);
            let cfg: LoopFile = serde_json::from_str(
                &std::fs::read_to_string(&cfg_path).with_context(|| format!("reading {}", cfg_path.display()))?,
            )
            .with_context(|| format!("{}: invalid loop settings", cfg_path.display()))?;
            let meta = recorder.run().meta();
            let store = Store::open(&meta.store.path).with_context(|| format!("opening store {}", meta.store.path))?;
            if store.checksum() != meta.store.checksum {
                bail!(
                    "{}: the store changed since the run started (checksum {} vs recorded {}); figures would not be comparable",
                    meta.store.path,
                    store.checksum(),
                    meta.store.checksum
                );
            }
            (Some(recorder), cfg, store)
        }
        None => {
            let cfg = LoopFile {
                provider: args.provider.clone(),
                model: args.model.clone(),
                base_url: args.base_url.as_deref().map(redact_url),
                objective: args.objective.clone(),
                lineage: args.lineage.clone(),
                max_sort_scripts: args.max_sort_scripts,
                hint: args.hint.clone(),
                seed: args.seed,
                baseline_dir: args.baseline_dir.display().to_string(),
            };
            let (store, _) = super::eval::open_store(args.store.as_deref())?;
            (None, cfg, store)
        }
    };
    // Build the proposer before anything is written, so a missing API key fails fast.
    let mut proposer = proposer(&cfg, &args)?;
    let objective = Objective::parse(&cfg.objective).with_context(|| format!("unknown objective {}", cfg.objective))?;
    let lineage = Lineage::parse(&cfg.lineage).with_context(|| format!("unknown lineage {}", cfg.lineage))?;

    let evaluator = match &recorder {
        Some(rec) => {
            let meta = rec.run().meta();
            let settings = EvalSettings {
                k: meta.settings.k,
                threshold: Some(f64::from(meta.settings.threshold)),
                cohort_size: meta.settings.cohort_size,
                seed: meta.settings.seed,
                diversity_fields: Some(meta.settings.diversity_fields.clone()),
                harness_params: meta.settings.harness_params.clone(),
                threads: 0,
            };
            let evaluator = Evaluator::with_cohort(&store, settings, &meta.cohort.user_ids)?;
            if evaluator.cohort.checksum != meta.cohort.checksum {
                bail!(
                    "the recorded cohort no longer matches the store (checksum {} vs {})",
                    evaluator.cohort.checksum,
                    meta.cohort.checksum
                );
            }
            evaluator
        }
        None => Evaluator::new(
            &store,
            EvalSettings { cohort_size: args.cohort_size, seed: cfg.seed, ..EvalSettings::default() },
        )?,
    };

    let local = evaluator.local_engine();
    let baseline_set = ScriptSet::open(Path::new(&cfg.baseline_dir))
        .with_context(|| format!("reading the baseline script set {}", cfg.baseline_dir))?;
    if recorder.is_none() {
        let result = evaluator.evaluate_with(&local, &baseline_set)?;
        let evaluation = match &result.outcome {
            CandidateOutcome::Scored(e) => e.clone(),
            _ => {
                for e in result.es_errors(&baseline_set, 3) {
                    eprintln!("{}", serde_json::to_string_pretty(&e)?);
                }
                bail!(
                    "the baseline {} does not score; fix it first (`scorelab eval --set {}`)",
                    cfg.baseline_dir,
                    cfg.baseline_dir
                );
            }
        };
        let primary = match objective {
            Objective::Ndcg => Metric::Ndcg,
            Objective::Ild => Metric::Ild,
        };
        let meta = RunMeta::for_evaluator(&evaluator, primary, baseline_set.dialect, cfg.max_sort_scripts);
        let diagnostics = serde_json::to_value(&evaluation.diagnostics)?;
        let timings = Timings { compile_ms: result.compile_ms, eval_ms: result.eval_ms, engine_ms: None, llm_ms: None };
        let rec = start_run(
            &args.runs_dir,
            meta,
            &texts(&baseline_set),
            &cfg.baseline_dir,
            evaluation.metrics,
            diagnostics,
            timings,
        )?;
        scorelab::run::atomic_write(&rec.run().path().join(LOOP_FILE), &serde_json::to_vec_pretty(&cfg)?)?;
        recorder = Some(rec);
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
        guards: LoopGuards {
            max_fix_attempts: args.max_fix_attempts,
            max_consecutive_failures: args.max_consecutive_failures,
            max_cost_usd: args.max_cost_usd,
            max_total_tokens: args.max_total_tokens,
            max_minutes: args.max_minutes,
            tune_constants: args.tune_constants,
        },
    };
    let mut judge = LocalJudge::new(&evaluator, &local, meta.settings.dialect);
    if args.engine_check {
        let search = super::engine::connect(&args.target, &store, Default::default()).context("--engine-check")?;
        judge = judge.with_drift_checker(Box::new(EngineDriftChecker { evaluator: &evaluator, local: &local, search }));
    }

    let heading = format!(
        "run {}  provider {}  objective {} (guardrail {} >= {:.4})  lineage {}  cohort {} users",
        run_path.display(),
        proposer.name(),
        objective.primary_name(),
        objective.guardrail_name(),
        meta.baseline.metrics.map(|m| objective.guardrail(&m)).unwrap_or(0.0),
        cfg.lineage,
        meta.cohort.user_ids.len()
    );
    if args.json {
        eprintln!("{heading}");
    } else {
        println!("{heading}");
    }
    if cfg.provider != "builtin" {
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
            "llm: prompt budget {} tokens, replies up to {} tokens, {} fix attempts, request timeout {} s, retries up to {} s; {tuning}",
            args.prompt_budget, args.reply_max_tokens, args.max_fix_attempts, args.request_timeout, args.max_retry_time
        );
        if args.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    let mut table = Table::new(args.iters, args.json);
    if let Some(base) = recorder_history_first(&recorder) {
        table.row(&base, &Summary::default(), objective);
    }
    let mut lp = OptimisationLoop {
        settings,
        proposer: proposer.as_mut(),
        judge: &judge,
        recorder: &mut recorder,
        memo: Default::default(),
    };
    if args.print_prompt {
        let ctx = lp.preview_context()?;
        let system = scorelab::optimise::prompt::system_prompt(&ctx);
        let user = scorelab::optimise::prompt::user_prompt(&ctx, args.prompt_budget);
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
            "summary": summary,
            "iterations": table.records,
        });
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}", summary.final_message.clone().unwrap_or_default());
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
}

impl Table {
    fn new(iters: u32, json: bool) -> Table {
        if !json {
            println!(
                "{:>5} {:>6}  {:<19} {:>7} {:>7} {:>7} {:>7} {:>7}  {:>7} {:>7}  rationale",
                "iter", "parent", "status", "ndcg", "recall", "prec", "ild", "best", "ms", "tokens"
            );
        }
        let bar =
            super::terminal::progress_visible().then(|| super::terminal::bar(u64::from(iters), "iterations", "loop"));
        Table { bar, json, records: Vec::new() }
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
        let line = format!(
            "{:>5} {:>6}  {:<19} {:>7} {:>7} {:>7} {:>7} {:>7}  {:>7.0} {:>7}  {}",
            r.iteration,
            r.parent.map_or("-".to_string(), |p| p.to_string()),
            status_name(r.status),
            m(|x| x.ndcg),
            m(|x| x.recall),
            m(|x| x.precision),
            m(|x| x.ild),
            best,
            // Wall time of the iteration as the user waited for it: the model's time included.
            r.timings.compile_ms
                + r.timings.eval_ms
                + r.timings.engine_ms.unwrap_or(0.0)
                + r.timings.llm_ms.unwrap_or(0.0),
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
