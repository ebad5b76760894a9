//! `scorelab eval` (score a script set on the cohort, print metrics and diagnostics, write nothing)
//! and `scorelab baseline` (score the baseline and start a run directory).

use super::EXIT_PROBLEMS;
use super::common::{DatasetArg, OpenedStore, open_store};
use super::terminal::{self, ProgressEngine};
use anyhow::{Context, Result, bail};
use scorelab::metrics::{Evaluation, Metric, MetricSet};
use scorelab::optimise::Objective;
use scorelab::rank::{Params, ScriptSet};
use scorelab::run::{
    BaselineRef, CandidateOutcome, CandidateResult, EvalSettings, Evaluator, IterationRecord, IterationStatus, RunDir,
    RunMeta, SCHEMA_VERSION, Summary, Timings, Tokens, last_comparable_baseline, now_rfc3339, snapshot_name,
};
use scorelab::store::Store;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// How many runtime failures are printed in full.
const SHOWN_FAILURES: usize = 5;

/// Options shared by `eval` and `baseline`: what the figures are computed on.
#[derive(Debug, Clone, clap::Args)]
pub struct CohortArgs {
    /// Store directory (default: the MovieLens demo store, built on first use).
    #[arg(long, conflicts_with = "run")]
    pub store: Option<PathBuf>,
    /// A dataset instead of --store: `movielens` (the demo store), `synthetic` (generated on first use),
    /// `default` (the files .env names: DEFAULT_LOANS_PATH, DEFAULT_USERS_PATH,
    /// DEFAULT_INTERACTIONS_PATH) or an exchange-format directory. Files are imported on first use into
    /// .scorelab/stores/NAME-CHECKSUM, keyed by their content and --threshold/--diversity-field; a
    /// changed file makes a new store. See README "Your own data".
    #[arg(long, value_name = "NAME|DIR", value_parser = super::common::parse_dataset, conflicts_with_all = ["store", "run"])]
    pub dataset: Option<DatasetArg>,
    /// List length: metrics are @k.
    #[arg(long, default_value_t = 10, conflicts_with = "run")]
    pub k: usize,
    /// At most this many eligible users (users with a relevant item), sampled with --seed.
    #[arg(long, default_value_t = 1000, conflicts_with = "run")]
    pub cohort_size: usize,
    /// Relevance threshold on interaction weights (default: the dataset's).
    #[arg(long, conflicts_with = "run")]
    pub threshold: Option<f64>,
    /// Seed of the cohort sample and of the random control.
    #[arg(long, default_value_t = 42, conflicts_with = "run")]
    pub seed: u64,
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// A harness param every script receives, KEY=VALUE (VALUE parsed as JSON, else a string).
    /// `now` defaults to the store's newest `last_rated`.
    #[arg(long = "param", value_name = "KEY=VALUE", conflicts_with = "run")]
    pub params: Vec<String>,
    /// A diversity field for ILD (repeatable; default: the dataset's).
    #[arg(long = "diversity-field", value_name = "FIELD", conflicts_with = "run")]
    pub diversity_fields: Vec<String>,
    /// Score on a loop run's users instead of a fresh sample: its store, k, threshold, diversity
    /// fields and params come from its meta.json (the flags above are refused with it, never ignored).
    #[arg(long, value_name = "RUN_DIR")]
    pub run: Option<PathBuf>,
    /// Which of --run's users: the selection set the loop ranked on, the held-out set, or all.
    #[arg(long, value_enum, requires = "run")]
    pub users: Option<UserChoice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UserChoice {
    Selection,
    Holdout,
    All,
}

/// The store and evaluator `eval`/`baseline` score on: a fresh seeded cohort, or a run's users (and
/// then where they came from, for the new run's meta.json).
fn cohort_evaluator(
    args: &CohortArgs,
) -> Result<(OpenedStore, EvalSettings, Vec<String>, Option<scorelab::run::UsersFromRef>)> {
    let Some(run_dir) = &args.run else {
        // --threshold and --diversity-field hold for a dataset imported here as well as for the evaluation.
        let import = scorelab::data::SettingsOverrides {
            relevance_threshold: args.threshold,
            diversity_fields: (!args.diversity_fields.is_empty()).then(|| args.diversity_fields.clone()),
            ..Default::default()
        };
        let opened = open_store(args.store.as_deref(), args.dataset.as_ref(), Some(&import))?;
        return Ok((opened, settings(args)?, Vec::new(), None));
    };
    let run = RunDir::open(run_dir).with_context(|| format!("reading run {}", run_dir.display()))?;
    let meta = run.meta();
    let set = match args.users.unwrap_or(UserChoice::Selection) {
        UserChoice::Selection => scorelab::run::UserSet::Selection,
        UserChoice::Holdout => scorelab::run::UserSet::Holdout,
        UserChoice::All => scorelab::run::UserSet::All,
    };
    let ids = scorelab::run::recorded_users(meta, set, run_dir)?;
    let path = PathBuf::from(&meta.store.path);
    let store =
        Store::open(&path).with_context(|| format!("opening store {} (from {})", path.display(), run_dir.display()))?;
    if store.checksum() != meta.store.checksum {
        bail!(
            "{}: the store changed since run {} (checksum {} vs recorded {})",
            path.display(),
            run_dir.display(),
            store.checksum(),
            meta.store.checksum
        );
    }
    let settings = EvalSettings {
        k: meta.settings.k,
        threshold: Some(f64::from(meta.settings.threshold)),
        cohort_size: ids.len(),
        seed: meta.settings.seed,
        diversity_fields: Some(meta.settings.diversity_fields.clone()),
        harness_params: meta.settings.harness_params.clone(),
        threads: args.threads,
    };
    let users_from = scorelab::run::UsersFromRef {
        run: run_dir.display().to_string(),
        set: user_set_name(args.users.unwrap_or(UserChoice::Selection)).into(),
        split: meta.split.clone(),
    };
    Ok((OpenedStore { store, path, imported: None }, settings, ids, Some(users_from)))
}

fn build_evaluator<'s>(store: &'s Store, settings: EvalSettings, ids: &[String]) -> Result<Evaluator<'s>> {
    Ok(if ids.is_empty() { Evaluator::new(store, settings)? } else { Evaluator::with_cohort(store, settings, ids)? })
}

/// The sandbox budgets of `eval` and `loop`.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// Time budget of one candidate's evaluation, in seconds: past it the candidate ends with the
    /// `timeout` status (0 = no budget). Default: `eval` 600 s; `loop` 20x the baseline's evaluation
    /// time, at least 30 s.
    #[arg(long, value_name = "SECS")]
    pub candidate_timeout: Option<f64>,
    /// Memory budget of script evaluations, in MiB: strings, arrays, lists and maps scripts allocate,
    /// counted as allocated and shared by the worker threads (each evaluation may use budget /
    /// threads); past its share an evaluation fails as unsupported locally.
    #[arg(long, value_name = "MIB", default_value_t = SandboxArgs::DEFAULT_MEMORY_BUDGET_MIB)]
    pub memory_budget: usize,
}

impl SandboxArgs {
    pub const DEFAULT_MEMORY_BUDGET_MIB: usize = scorelab::interp::Limits::DEFAULT_MAX_ALLOC_BYTES >> 20;
    /// `eval`'s default budget (no baseline to size it from).
    pub const DEFAULT_EVAL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

    /// The candidate time budget: the flag (0 = none), else `default`.
    pub fn timeout(&self, default: std::time::Duration) -> Result<Option<std::time::Duration>> {
        match self.candidate_timeout {
            None => Ok(Some(default)),
            Some(0.0) => Ok(None),
            Some(s) if s.is_finite() && s > 0.0 => Ok(Some(std::time::Duration::from_secs_f64(s))),
            Some(s) => anyhow::bail!("--candidate-timeout must be a positive number of seconds (or 0), not {s}"),
        }
    }

    /// The interpreter's limits with this memory budget.
    pub fn limits(&self) -> Result<scorelab::interp::Limits> {
        if self.memory_budget == 0 {
            anyhow::bail!("--memory-budget must be at least 1 MiB");
        }
        Ok(scorelab::interp::Limits {
            max_alloc_bytes: self.memory_budget.saturating_mul(1 << 20),
            ..Default::default()
        })
    }
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  scorelab eval --set scripts/baseline\n  \
    scorelab eval --set scripts/baseline --random-control --json\n  \
    scorelab eval --query my_score.painless --sort sort_01.painless --cohort-size 200\n  \
    scorelab eval --set scripts/baseline --dataset my-export/ --threshold 4   # your own files\n  \
    scorelab eval --set scripts/baseline --dataset default  # the files .env names\n  \
    scorelab eval --set scripts/baseline --engine search    # on --engine-url / ES_URL\n  \
    scorelab eval --set scripts/baseline --engine both      # drift report, exit 1 on drift\n  \
    scorelab eval --set scripts/baseline --explain          # the request; no engine needed")]
pub struct EvalArgs {
    /// Script-set directory: query.painless, sort_NN.painless, optional scriptset.json.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["query", "sort"], required_unless_present = "query")]
    pub set: Option<PathBuf>,
    /// A query script file (instead of --set).
    #[arg(long, value_name = "FILE")]
    pub query: Option<PathBuf>,
    /// A sort script file, descending (repeatable, in order; with --query).
    #[arg(long = "sort", value_name = "FILE", requires = "query")]
    pub sort: Vec<PathBuf>,
    #[command(flatten)]
    pub cohort: CohortArgs,
    /// Also score a seeded random ranking on the same cohort, for scale.
    #[arg(long)]
    pub random_control: bool,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Where the set is ranked: `local` (the interpreter), `search` (the engine at --engine-url, index
    /// loaded by `setup-indices`; the same metrics and error shapes as local), or `both` (local and engine,
    /// then the drift report; exit 1 on drift).
    #[arg(long, value_enum, default_value_t = EngineChoice::Local)]
    pub engine: EngineChoice,
    #[command(flatten)]
    pub target: super::engine::EngineArgs,
    /// Print the search request of the first cohort user (the _msearch header line and body) and exit
    /// without ranking. Needs no engine: when one answers at --engine-url the request is built for it,
    /// otherwise for Elasticsearch 8.x (what docker-compose.yml runs), and the output says which.
    #[arg(long)]
    pub explain: bool,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// Where `eval` ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineChoice {
    Local,
    Search,
    Both,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  scorelab baseline\n  scorelab baseline --objective ild --store stores/synthetic --json\n  \
    scorelab baseline --dataset my-export/ --threshold 4"
)]
pub struct BaselineArgs {
    /// The primary metric; the other of ndcg/ild is the guardrail.
    #[arg(long, default_value = "ndcg", value_parser = super::parse_objective)]
    pub objective: Objective,
    /// The baseline script set (`--baseline-dir`, as `loop` calls it, is the same flag).
    #[arg(long, visible_alias = "baseline-dir", value_name = "DIR", default_value = "scripts/baseline")]
    pub set: PathBuf,
    /// Where run directories are created.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// Most sort scripts a candidate of this run may have (recorded for the loop; as `loop`'s default).
    #[arg(long, default_value_t = scorelab::run::DEFAULT_MAX_SORT_SCRIPTS)]
    pub max_sort_scripts: usize,
    #[command(flatten)]
    pub cohort: CohortArgs,
    /// Print JSON (the run directory, the baseline's metrics, the comparison with the last baseline).
    #[arg(long)]
    pub json: bool,
}

fn parse_params(raw: &[String]) -> Result<Params> {
    let mut params = Params::new();
    for kv in raw {
        let (key, value) = kv.split_once('=').with_context(|| format!("--param {kv:?}: expected KEY=VALUE"))?;
        if key.is_empty() || key == "user_vector" {
            bail!("--param {kv:?}: the key must be non-empty and not user_vector (the harness sets it)");
        }
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
        params.insert(key.to_string(), value);
    }
    Ok(params)
}

fn settings(args: &CohortArgs) -> Result<EvalSettings> {
    Ok(EvalSettings {
        k: args.k,
        threshold: args.threshold,
        cohort_size: args.cohort_size,
        seed: args.seed,
        diversity_fields: (!args.diversity_fields.is_empty()).then(|| args.diversity_fields.clone()),
        harness_params: parse_params(&args.params)?,
        threads: args.threads,
    })
}

pub fn run_eval(args: EvalArgs) -> Result<ExitCode> {
    let set = match (&args.set, &args.query) {
        (Some(dir), _) => ScriptSet::open(dir)?,
        (None, Some(query)) => ScriptSet::from_files(query, &args.sort)?,
        (None, None) => bail!("give --set DIR or --query FILE"),
    };
    if args.engine == EngineChoice::Both && args.random_control {
        bail!("--random-control goes with --engine local or search (--engine both prints the drift report)");
    }
    // The engine first: an unreachable one fails before a demo store is built (--explain needs none).
    let client = match args.engine {
        EngineChoice::Search | EngineChoice::Both if !args.explain => {
            Some(scorelab::engine::EngineClient::connect(&args.target.engine_url)?)
        }
        _ => None,
    };
    let (opened, eval_settings, ids, _) = cohort_evaluator(&args.cohort)?;
    let (store, store_path) = (&opened.store, &opened.path);
    let mut evaluator = build_evaluator(store, eval_settings, &ids)?;
    evaluator.candidate_timeout = args.sandbox.timeout(SandboxArgs::DEFAULT_EVAL_TIMEOUT)?;
    evaluator.limits = args.sandbox.limits()?;
    if args.explain {
        return super::engine::explain_first_user(&args.target, &evaluator, &set, args.json);
    }
    let local = evaluator.local_engine();
    let search = match client {
        Some(client) => {
            let mut search = super::engine::search_engine(client, &args.target, store, Default::default())?;
            super::engine::calibrate(&mut search)?;
            Some(search)
        }
        None => None,
    };
    let engine_json = match &search {
        Some(s) => json!({"name": s.client().info().to_string(), "url": s.client().url(), "index": s.options().index}),
        None => json!({"name": "local"}),
    };
    // What every `eval --json` document starts with, whichever engine ranked.
    let mut body = json!({
        "engine": engine_json,
        "store": opened.json(),
        "defaults_applied": opened.defaults_applied(),
        "ground_truth": evaluator.context.truth.summary_line(),
        "cohort": {"users": evaluator.cohort.len(), "checksum": evaluator.cohort.checksum, "seed": evaluator.settings.seed},
        "k": evaluator.settings.k,
        "harness_params": evaluator.settings.harness_params,
    });
    // The checker's warnings (unknown doc field, unknown param): ES would only fail at run time, or
    // never, so they do not stop the evaluation, but they are the first thing to read when it fails.
    let warnings = compile_warnings(&set, store, &evaluator.settings.harness_params);
    if args.json {
        body["warnings"] = Value::Array(
            warnings
                .iter()
                .map(|(file, d)| json!({"script": file, "code": d.code, "message": d.message, "help": d.help}))
                .collect(),
        );
    } else {
        print_warnings(&set, &warnings);
    }
    if let (EngineChoice::Both, Some(search)) = (args.engine, &search) {
        let (report, failed) = super::engine::eval_both(&evaluator, &local, search, &set)?;
        if args.json {
            body["drift"] = serde_json::to_value(&report)?;
            println!("{}", serde_json::to_string_pretty(&body)?);
        } else {
            print_header(&evaluator, store, store_path, &set);
            super::engine::print_drift(&report, false)?;
        }
        return Ok(if report.has_drift() || failed { ExitCode::from(EXIT_PROBLEMS) } else { ExitCode::SUCCESS });
    }
    let engine: &dyn scorelab::rank::RankEngine = match &search {
        Some(search) => search,
        None => &local,
    };
    let label = format!("ranking on {}", engine.name());
    let result = evaluator.evaluate_with(&ProgressEngine::new(engine, label), &set)?;
    let control = if args.random_control { Some(evaluator.random_control(evaluator.settings.seed)?) } else { None };

    if args.json {
        body["result"] = result_json(&result, &set);
        if let Some(users) = users_json(&args.cohort) {
            body["users"] = users;
        }
        body["random_control"] = json!(control.as_ref().map(|c| json!({"metrics": c.metrics})));
        // The engine does not report script evaluations.
        let evaluations = search.is_none().then_some(result.evaluations);
        body["timings"] =
            json!({"compile_ms": result.compile_ms, "eval_ms": result.eval_ms, "evaluations": evaluations});
        println!("{}", serde_json::to_string_pretty(&body)?);
    } else {
        print_header(&evaluator, store, store_path, &set);
        print_users(&args.cohort);
        if let Some(s) = &search {
            println!("engine: {} at {} [{}]", s.client().info(), s.client().url(), s.options().index);
        }
        print_result(&evaluator, &result, &set, control.as_ref(), search.is_some());
    }
    Ok(match result.outcome {
        CandidateOutcome::Scored(_) => ExitCode::SUCCESS,
        _ => ExitCode::from(EXIT_PROBLEMS),
    })
}

/// Warnings of the scripts that compile locally, as (file name, diagnostic).
fn compile_warnings(set: &ScriptSet, store: &Store, harness: &Params) -> Vec<(String, scorelab::painless::Diagnostic)> {
    let compilation = scorelab::rank::compile_set(set, store, harness);
    compilation.warnings.into_iter().filter(|(_, d)| d.severity == scorelab::painless::Severity::Warning).collect()
}

fn print_warnings(set: &ScriptSet, warnings: &[(String, scorelab::painless::Diagnostic)]) {
    let colour = terminal::colour(terminal::Stream::Stderr);
    for (file, d) in warnings {
        let source =
            std::iter::once(&set.query).chain(set.sorts.iter().map(|s| &s.script)).find(|s| &s.file_name == file);
        let source = source.map_or("", |s| s.source.as_str());
        eprint!("{}", scorelab::painless::render_human_styled(std::slice::from_ref(d), file, source, colour));
    }
}

fn result_json(result: &CandidateResult, set: &ScriptSet) -> Value {
    match &result.outcome {
        CandidateOutcome::Scored(e) => {
            json!({"status": "ok", "metrics": e.metrics, "diagnostics": e.diagnostics, "per_user": e.per_user})
        }
        CandidateOutcome::CompileErrors(_) => {
            json!({"status": "compile_error", "errors": result.es_errors(set, usize::MAX)})
        }
        CandidateOutcome::RuntimeErrors { failures, users, reached } => json!({
            "status": "runtime_error",
            "failed_users": failures.len(),
            "users": users,
            "users_reached": reached,
            "errors": result.es_errors(set, SHOWN_FAILURES),
        }),
        CandidateOutcome::TimedOut { users, users_reached, .. } => json!({
            "status": "timeout",
            "users": users,
            "users_reached": users_reached,
            "errors": result.es_errors(set, 1),
        }),
    }
}

/// Which recorded users `--run` scored, for the text output.
fn print_users(args: &CohortArgs) {
    if let Some(run) = &args.run {
        let set = args.users.unwrap_or(UserChoice::Selection);
        println!("users: the {} set of run {}", user_set_name(set), run.display());
    }
}

fn users_json(args: &CohortArgs) -> Option<Value> {
    let run = args.run.as_ref()?;
    Some(json!({"run": run.display().to_string(), "set": user_set_name(args.users.unwrap_or(UserChoice::Selection))}))
}

fn user_set_name(set: UserChoice) -> &'static str {
    match set {
        UserChoice::Selection => "selection",
        UserChoice::Holdout => "holdout",
        UserChoice::All => "all",
    }
}

fn print_header(evaluator: &Evaluator<'_>, store: &Store, store_path: &Path, set: &ScriptSet) {
    println!("store: {} ({}, {})", store_path.display(), store.settings().name, store.checksum());
    println!("{}", evaluator.context.truth.summary_line());
    println!(
        "cohort: {} users (seed {}, {}), k = {}",
        evaluator.cohort.len(),
        evaluator.settings.seed,
        evaluator.cohort.checksum,
        evaluator.settings.k
    );
    if !evaluator.settings.harness_params.is_empty() {
        println!("harness params: {}", Value::Object(evaluator.settings.harness_params.clone()));
    }
    let sorts: Vec<String> =
        set.sorts.iter().map(|s| format!("{} ({:?})", s.script.file_name, s.order).to_lowercase()).collect();
    println!(
        "script set: {}{}",
        set.query.file_name,
        if sorts.is_empty() { String::new() } else { format!(" + {}", sorts.join(", ")) }
    );
}

fn print_result(
    evaluator: &Evaluator<'_>,
    result: &CandidateResult,
    set: &ScriptSet,
    control: Option<&Evaluation>,
    on_engine: bool,
) {
    let k = evaluator.settings.k;
    match &result.outcome {
        CandidateOutcome::Scored(e) => {
            println!();
            print_metrics(k, &e.metrics, control.map(|c| &c.metrics));
            println!();
            print_diagnostics(k, e);
        }
        CandidateOutcome::CompileErrors(failures) => {
            println!("\ncompile errors: the candidate was not run");
            for f in failures {
                let colour = terminal::colour(terminal::Stream::Stderr);
                eprintln!(
                    "{}",
                    scorelab::painless::render::render_human_styled(&f.diagnostics, &f.script, &f.source, colour)
                );
                for d in f.diagnostics.iter().filter(|d| d.is_error()) {
                    let es = scorelab::rank::es_error_json(d, &f.source);
                    println!("{}: {}", f.script, serde_json::to_string_pretty(&es).unwrap_or_default());
                }
            }
        }
        CandidateOutcome::RuntimeErrors { failures, users, reached } => {
            println!(
                "\nruntime errors: {} of {} users failed; no metrics (Elasticsearch fails the whole search)",
                failures.len(),
                reached
            );
            if reached < users {
                println!("  stopped early: {reached} of the cohort's {users} users reached");
            }
            for f in failures.iter().take(SHOWN_FAILURES) {
                println!("  {}", f.summary(evaluator.store));
            }
            if failures.len() > SHOWN_FAILURES {
                println!("  ... and {} more", failures.len() - SHOWN_FAILURES);
            }
            if let Some(first) = result.es_errors(set, 1).first() {
                println!(
                    "first error as Elasticsearch returns it:\n{}",
                    serde_json::to_string_pretty(first).unwrap_or_default()
                );
            }
        }
        CandidateOutcome::TimedOut { budget_ms, users_reached, users } => {
            println!(
                "\ntimeout: the candidate's time budget of {:.1} s (--candidate-timeout) ran out; \
                 {users_reached} of {users} users reached; no metrics",
                budget_ms / 1e3
            );
        }
    }
    let secs = (result.compile_ms + result.eval_ms) / 1e3;
    if on_engine {
        // The engine does not say how many script evaluations it ran.
        println!("\nranked {} users on the engine in {secs:.3} s", evaluator.cohort.len());
        return;
    }
    println!(
        "\nscored {} users with {} script evaluations in {:.3} s ({:.1} M evaluations/s; compile {:.1} ms)",
        evaluator.cohort.len(),
        result.evaluations,
        secs,
        result.evaluations as f64 / (result.eval_ms / 1e3).max(1e-9) / 1e6,
        result.compile_ms
    );
}

fn print_metrics(k: usize, m: &MetricSet, control: Option<&MetricSet>) {
    match control {
        Some(c) => {
            println!("{:<14} {:>10} {:>16}", "metric", "candidate", "random control");
            for metric in [Metric::Ndcg, Metric::Recall, Metric::Precision, Metric::Ild] {
                println!("{:<14} {:>10.4} {:>16.4}", format!("{metric}@{k}"), m.get(metric), c.get(metric));
            }
        }
        None => {
            println!("{:<14} {:>10}", "metric", "candidate");
            for metric in [Metric::Ndcg, Metric::Recall, Metric::Precision, Metric::Ild] {
                println!("{:<14} {:>10.4}", format!("{metric}@{k}"), m.get(metric));
            }
        }
    }
}

fn print_diagnostics(k: usize, e: &Evaluation) {
    let d = &e.diagnostics;
    println!("diagnostics");
    println!("  coverage@{k}: {:.4} ({} distinct items recommended)", d.coverage_at_k, d.distinct_items);
    println!(
        "  popularity percentile ({}): recommended {:.1}, relevant {:.1}",
        d.popularity.source, d.popularity.recommended_percentile, d.popularity.relevant_percentile
    );
    for c in &d.concentration {
        println!(
            "  {}: top value {} ({:.1}% of values), normalised entropy {:.3}, {} distinct, {:.1}% missing",
            c.field,
            c.top_value.as_deref().unwrap_or("-"),
            100.0 * c.top_share,
            c.normalized_entropy,
            c.distinct_values,
            100.0 * c.missing_share
        );
    }
    println!(
        "  identical lists: largest group {:.1}% of users, {:.1}% share a list with someone",
        100.0 * d.identical_lists.largest_group_share,
        100.0 * d.identical_lists.shared_share
    );
    println!("  ties at the k-th position: {:.1}% of users", 100.0 * d.ties_at_cutoff);
    let terciles: Vec<String> = d
        .ndcg_by_activity
        .iter()
        .map(|t| {
            format!(
                "{} ({}-{} interactions, {} users) {:.4}",
                t.tercile, t.min_interactions, t.max_interactions, t.users, t.ndcg
            )
        })
        .collect();
    println!("  ndcg@{k} by activity: {}", terciles.join("; "));
    for s in &d.sort_effects {
        println!(
            "  {}: changes {:.1}% of the top-{k}, mean rank displacement {:.2}",
            s.script,
            100.0 * s.top_k_changed_share,
            s.mean_rank_displacement
        );
    }
    if d.short_lists > 0 {
        println!("  {} users got fewer than {k} items", d.short_lists);
    }
}

pub fn run_baseline(args: BaselineArgs) -> Result<ExitCode> {
    let set = ScriptSet::open(&args.set)?;
    let (opened, eval_settings, ids, users_from) = cohort_evaluator(&args.cohort)?;
    let (store, store_path) = (&opened.store, &opened.path);
    let evaluator = build_evaluator(store, eval_settings, &ids)?;
    evaluator.require_objective(args.objective.primary_metric())?;
    let local = evaluator.local_engine();
    let result = evaluator.evaluate_with(&ProgressEngine::new(&local, "scoring the baseline"), &set)?;
    let objective = args.objective.primary_metric();
    let metrics = result.metrics();
    let mut meta = RunMeta::for_evaluator(&evaluator, objective, set.dialect, args.max_sort_scripts);
    meta.baseline = BaselineRef { metrics };
    meta.users_from = users_from;
    meta.summary = Summary {
        best_iteration: metrics.map(|_| 0),
        best_primary: metrics.map(|m| m.get(objective)),
        guardrail_held: metrics.map(|_| true),
        iterations_attempted: 1,
        final_message: None,
        ..Default::default()
    };
    // Look before creating the new run, so it cannot find itself.
    let previous = last_comparable_baseline(&args.runs_dir, &meta)?;
    let run = RunDir::create(&args.runs_dir, meta)?;
    run.write_snapshot(0, &set, &json!({"source": args.set.display().to_string(), "rationale": "baseline"}))?;
    let (status, diagnostics) = match &result.outcome {
        CandidateOutcome::Scored(e) => (IterationStatus::Baseline, serde_json::to_value(&e.diagnostics)?),
        CandidateOutcome::CompileErrors(_) => (IterationStatus::CompileError, Value::Null),
        CandidateOutcome::RuntimeErrors { .. } => (IterationStatus::RuntimeError, Value::Null),
        CandidateOutcome::TimedOut { .. } => (IterationStatus::Timeout, Value::Null),
    };
    run.append(&IterationRecord {
        schema_version: SCHEMA_VERSION,
        iteration: 0,
        parent: None,
        status,
        rationale: Some("baseline".into()),
        snapshot: snapshot_name(0),
        metrics,
        diagnostics,
        errors: result.es_errors(&set, SHOWN_FAILURES),
        attempts: 1,
        timings: Timings { compile_ms: result.compile_ms, eval_ms: result.eval_ms, engine_ms: None, llm_ms: None },
        tokens: Tokens::default(),
        cost_usd: 0.0,
        drift: None,
        paired: None,
        holdout: None,
        timestamp: now_rfc3339(),
        tuning: None,
    })?;

    let moved = matches!((&previous, metrics), (Some((_, before)), Some(now)) if before != &now);
    if args.json {
        let mut body = json!({
            "run": run.path().display().to_string(),
            "objective": objective.to_string(),
            "store": opened.json(),
            "defaults_applied": opened.defaults_applied(),
            "cohort": {"users": evaluator.cohort.len(), "checksum": evaluator.cohort.checksum, "seed": evaluator.settings.seed},
            "k": evaluator.settings.k,
            "result": result_json(&result, &set),
            "previous_baseline": previous.as_ref().map(|(path, m)| json!({"run": path.display().to_string(), "metrics": m, "moved": moved})),
        });
        if let Some(users) = users_json(&args.cohort) {
            body["users"] = users;
        }
        println!("{}", serde_json::to_string_pretty(&body)?);
    } else {
        print_header(&evaluator, store, store_path, &set);
        print_users(&args.cohort);
        print_result(&evaluator, &result, &set, None, false);
        println!("\nrun written to {}", run.path().display());
    }
    match (&previous, metrics) {
        (Some((path, before)), Some(now)) if moved => {
            eprintln!(
                "\nWARNING: THE BASELINE MOVED. {} recorded different figures on the same store and cohort:",
                path.display()
            );
            for metric in [Metric::Ndcg, Metric::Recall, Metric::Precision, Metric::Ild] {
                eprintln!("  {metric}: before {:.6}, now {:.6}", before.get(metric), now.get(metric));
            }
            eprintln!(
                "The harness itself changed (interpreter, metrics or data); figures across these runs are not comparable."
            );
        }
        (Some((path, _)), Some(_)) if !args.json => {
            println!("baseline matches the last recorded one ({})", path.display())
        }
        _ => {}
    }
    Ok(match result.outcome {
        CandidateOutcome::Scored(_) => ExitCode::SUCCESS,
        _ => ExitCode::from(EXIT_PROBLEMS),
    })
}
