//! `setup-indices`, `parity`, and the engine side of `eval` (`--engine search|both`, `--explain`).
//!
//! `--explain` is a dry run: it builds the first cohort user's `_msearch` request from the store alone
//! and contacts the engine only to learn what it is (and so the vector dialect), assuming
//! Elasticsearch 8.x when nothing answers in time.
use super::terminal::{self, ProgressEngine};
use anyhow::Context;
use scorelab::engine::drift::{self, Tolerances};
use scorelab::engine::index::{self, LoadOptions};
use scorelab::engine::search::{ExplainTarget, SearchEngine, SearchOptions};
use scorelab::engine::{EngineClient, EngineError, Flavor};
use scorelab::rank::{Dialect, RankEngine, ScriptSet};
use scorelab::run::Evaluator;
use scorelab::store::Store;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Where the engine is: `--engine-url`, else `ES_URL`, else the docker-compose default.
#[derive(Debug, Clone, clap::Args)]
pub struct EngineArgs {
    /// Search engine base URL (Elasticsearch 8.x or OpenSearch 2.x).
    #[arg(long, env = "ES_URL", default_value = "http://localhost:9200", alias = "es-url")]
    pub engine_url: String,
    /// Name of the items index.
    #[arg(long, default_value = index::DEFAULT_INDEX)]
    pub index: String,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  docker compose up -d && scorelab setup-indices   # the demo store, localhost:9200\n  \
    scorelab setup-indices --store stores/synthetic --engine-url http://es:9200 --json\n  \
    scorelab setup-indices --dataset my-export/      # the store `eval --dataset my-export/` uses"
)]
pub struct SetupIndicesArgs {
    #[command(flatten)]
    pub stores: super::common::StoreArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Documents per bulk request.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Print the load report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Connects to the engine and checks that its index was loaded from `store`.
pub fn connect<'s>(target: &EngineArgs, store: &'s Store, options: SearchOptions) -> anyhow::Result<SearchEngine<'s>> {
    search_engine(EngineClient::connect(&target.engine_url)?, target, store, options)
}

/// `connect` for a client made earlier (to fail on an unreachable engine before opening a store).
pub fn search_engine<'s>(
    client: EngineClient,
    target: &EngineArgs,
    store: &'s Store,
    options: SearchOptions,
) -> anyhow::Result<SearchEngine<'s>> {
    let options = SearchOptions { index: target.index.clone(), ..options };
    Ok(SearchEngine::new(client, store, options)?)
}

pub fn run_setup_indices(args: SetupIndicesArgs) -> anyhow::Result<ExitCode> {
    // The engine first: an unreachable one fails before the demo store is built.
    let client = EngineClient::connect(&args.engine.engine_url)?;
    let opened = args.stores.open()?;
    let store = &opened.store;
    eprintln!(
        "{} at {}: loading {} items ({} dims) into [{}]",
        client.info(),
        client.url(),
        store.num_items(),
        store.dims(),
        args.engine.index
    );
    let options = LoadOptions {
        index: args.engine.index.clone(),
        batch_docs: args.batch_size as usize,
        ..LoadOptions::default()
    };
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        super::terminal::bar(store.num_items() as u64, "items", "indexing")
    };
    let report = index::setup_index(&client, store, &options, &mut |sent| bar.set_position(sent));
    bar.finish_and_clear();
    let report = report?;
    if args.json {
        let body = json!({
            "engine": report.engine,
            "url": client.url(),
            "index": report.index,
            "store": opened.json(),
            "defaults_applied": opened.defaults_applied(),
            "documents": report.documents,
            "batches": report.batches,
            "retried_documents": report.retried_documents,
            "vector_mapping": report.vector_mapping,
            "seconds": report.seconds,
        });
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "indexed {} documents into [{}] on {} in {:.1}s ({} batches, vector field as {}{})",
        report.documents,
        report.index,
        report.engine,
        report.seconds,
        report.batches,
        report.vector_mapping,
        if report.retried_documents > 0 {
            format!(", {} documents retried", report.retried_documents)
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  scorelab parity --set scripts/baseline\n  \
    scorelab parity --set scripts/baseline --engine-url http://es:9200 --cohort-size 500 --json\n  \
    scorelab parity --set my-sets/recency --dataset my-export/   # after setup-indices --dataset my-export/")]
pub struct ParityArgs {
    /// The script set directory (query.painless, sort_NN.painless, scriptset.json).
    #[arg(long)]
    pub set: PathBuf,
    #[command(flatten)]
    pub stores: super::common::StoreArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Users in the cohort (sampled with --seed from users with relevant items).
    #[arg(long, default_value_t = 100)]
    pub cohort_size: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Relative tolerance on _score and sort values.
    #[arg(long, default_value_t = 1e-5)]
    pub rel_tol: f64,
    /// A JSON object of harness params every script receives besides user_vector.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Users per _msearch request, and requests in flight.
    #[arg(long, default_value_t = 16)]
    pub users_per_request: usize,
    #[arg(long, default_value_t = 2)]
    pub concurrency: usize,
    /// Print the request sent for the first cohort user, then run (to stderr with --json).
    #[arg(long)]
    pub explain: bool,
    /// Print the drift report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run_parity(args: ParityArgs) -> anyhow::Result<ExitCode> {
    use scorelab::run::EvalSettings;

    let store = args.stores.open()?.store;
    let set = ScriptSet::open(&args.set).with_context(|| format!("reading script set {}", args.set.display()))?;
    let harness_params = match &args.params {
        None => serde_json::Map::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            match serde_json::from_str::<serde_json::Value>(&text)
                .with_context(|| format!("parsing {}", path.display()))?
            {
                serde_json::Value::Object(map) => map,
                _ => anyhow::bail!("{}: harness params must be a JSON object", path.display()),
            }
        }
    };
    let settings = EvalSettings {
        k: args.k,
        cohort_size: args.cohort_size,
        seed: args.seed,
        harness_params,
        ..EvalSettings::default()
    };
    let evaluator = Evaluator::new(&store, settings).context("building the cohort")?;
    let mut request = evaluator.request();
    // The sort-ablation diagnostic is local-only; leaving it on would distort the wall-time ratio.
    request.ablate_sorts = false;

    let options = SearchOptions {
        users_per_request: args.users_per_request.max(1),
        concurrency: args.concurrency.max(1),
        ..SearchOptions::default()
    };
    let mut engine = connect(&args.engine, &store, options)?;
    calibrate(&mut engine)?;
    if args.explain
        && let Some(&first) = request.users.first()
    {
        let text = engine.explain(&set, &request, first)?;
        // With --json, stdout holds exactly one JSON document (the report).
        if args.json {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
    }
    let local = evaluator.local_engine();
    let tolerances = Tolerances { score_rel: args.rel_tol, ..Tolerances::default() };
    let report = parity_report(&evaluator, &local, &engine, &set, &request, tolerances)?.report;
    print_drift(&report, args.json)?;
    Ok(if report.has_drift() { ExitCode::from(super::EXIT_PROBLEMS) } else { ExitCode::SUCCESS })
}

/// Probes the engine's vector arithmetic (once per connection) and says what was found on stderr.
pub fn calibrate(engine: &mut SearchEngine<'_>) -> anyhow::Result<()> {
    let profile = engine.calibrate().context("calibrating the engine's vector arithmetic")?;
    eprintln!("{}", profile.describe());
    Ok(())
}

/// Both engines on the cohort, each behind a progress bar.
fn parity_report(
    evaluator: &Evaluator<'_>,
    local: &dyn RankEngine,
    engine: &SearchEngine<'_>,
    set: &ScriptSet,
    request: &scorelab::rank::RankRequest,
    tolerances: Tolerances,
) -> anyhow::Result<drift::ParityRun> {
    let target = engine.target().clone();
    let local = ProgressEngine::new(local, "ranking locally");
    let engine = ProgressEngine::new(engine, format!("ranking on {}", engine.name()));
    Ok(drift::run_parity(
        evaluator.store,
        &local,
        &engine,
        &target,
        set,
        request,
        Some(&evaluator.context),
        tolerances,
    )?)
}

pub fn print_drift(report: &drift::DriftReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        let text = report.render();
        let colour = terminal::colour(terminal::Stream::Stdout);
        for line in text.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("DRIFT") {
                println!("{}", terminal::paint(colour, "1;31", line));
            } else if trimmed.starts_with("no drift") {
                println!("{}", terminal::paint(colour, "32", line));
            } else {
                println!("{line}");
            }
        }
    }
    Ok(())
}

/// `eval --engine both`: both engines on the cohort. Returns the drift report and whether the candidate
/// itself failed locally (to compile or to run), which `eval` also counts as a problem.
pub fn eval_both(
    evaluator: &Evaluator<'_>,
    local: &dyn RankEngine,
    engine: &SearchEngine<'_>,
    set: &ScriptSet,
) -> anyhow::Result<(drift::DriftReport, bool)> {
    let mut request = evaluator.request();
    // The sort-ablation diagnostic is local-only; leaving it on would distort the wall-time ratio.
    request.ablate_sorts = false;
    let run = parity_report(evaluator, local, engine, set, &request, Tolerances::default())?;
    let failed = !run.local.compile_failures.is_empty() || run.local.rankings().is_none();
    Ok((run.report, failed))
}

/// How long `--explain` waits for an engine to say what it is before assuming Elasticsearch 8.x.
const EXPLAIN_PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// `eval --explain`: the request of the first cohort user, built from the store alone. An engine that
/// answers at the URL decides the dialect translation; without one the request is the Elasticsearch 8.x
/// one (an OpenSearch-dialect set: the OpenSearch one), and the text says it was not contacted.
pub fn explain_first_user(
    target: &EngineArgs,
    evaluator: &Evaluator<'_>,
    set: &ScriptSet,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let request = evaluator.request();
    let first = *request.users.first().context("the cohort is empty: no request to explain")?;
    let (explained, contacted) = match EngineClient::connect_with(&target.engine_url, EXPLAIN_PROBE_TIMEOUT) {
        Ok(client) => (
            ExplainTarget {
                engine: client.info().to_string(),
                flavor: client.info().flavor,
                url: client.url().to_string(),
                index: target.index.clone(),
            },
            true,
        ),
        Err(err) => {
            let (flavor, name) = match set.dialect {
                Dialect::OpenSearch => (Flavor::OpenSearch, "OpenSearch 2.x"),
                Dialect::Elasticsearch => (Flavor::Elasticsearch, "Elasticsearch 8.x"),
            };
            let why = match &err {
                EngineError::Unreachable { reason, .. } => format!("no engine answered: {reason}"),
                other => other.to_string(),
            };
            eprintln!("note: {why}; showing the request as {name} would be sent it (nothing was sent)");
            let engine = format!("{name} (assumed; not contacted)");
            (ExplainTarget { engine, flavor, url: target.engine_url.clone(), index: target.index.clone() }, false)
        }
    };
    let store = evaluator.store;
    if json {
        let body = scorelab::engine::search::explain_body(store, set, &request, first, &explained)?;
        let out = json!({
            "engine": explained.engine,
            "engine_contacted": contacted,
            "url": explained.url,
            "index": explained.index,
            "user_id": store.user_id(first),
            "method": "POST",
            "path": format!("/{}/_msearch", explained.index),
            "header": scorelab::engine::request::msearch_header(&explained.index),
            "body": body,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", scorelab::engine::search::explain_offline(store, set, &request, first, &explained)?);
    }
    Ok(ExitCode::SUCCESS)
}
