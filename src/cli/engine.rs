//! `setup-indices` and `parity`: the search-engine side of the CLI.
use anyhow::Context;
use crate::engine::EngineClient;
use crate::engine::index::{self, LoadOptions};
use crate::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the engine is: `--engine-url`, else `ES_URL`, else the docker-compose default.
#[derive(Debug, Clone, clap::Args)]
pub struct EngineArgs {
    /// Search engine base URL (Elasticsearch 8.x or OpenSearch 2.x).
    #[arg(long, env = "ES_URL", default_value = "http://localhost:9200")]
    pub engine_url: String,
    /// Name of the items index.
    #[arg(long, default_value = index::DEFAULT_INDEX)]
    pub index: String,
}

#[derive(Debug, clap::Args)]
pub struct SetupIndicesArgs {
    /// The store to index.
    #[arg(long, default_value = "stores/default")]
    pub store: PathBuf,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Documents per bulk request.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run_setup_indices(args: SetupIndicesArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.store).with_context(|| format!("opening store {}", args.store.display()))?;
    let client = EngineClient::connect(&args.engine.engine_url)?;
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
        progress: !args.quiet,
        ..LoadOptions::default()
    };
    let report = index::setup_index(&client, &store, &options)?;
    println!(
        "indexed {} documents into [{}] on {} in {:.1}s ({} batches, vector field as {}{})",
        report.documents,
        report.index,
        report.engine,
        report.seconds,
        report.batches,
        report.vector_mapping,
        if report.retried_documents > 0 { format!(", {} documents retried", report.retried_documents) } else { String::new() }
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct ParityArgs {
    /// The script set directory (query.painless, sort_NN.painless, scriptset.json).
    #[arg(long)]
    pub set: PathBuf,
    #[arg(long, default_value = "stores/default")]
    pub store: PathBuf,
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
    /// Print the request sent for the first cohort user, then run.
    #[arg(long)]
    pub explain: bool,
    /// Print the drift report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run_parity(args: ParityArgs) -> anyhow::Result<ExitCode> {
    use crate::engine::drift::{self, Tolerances};
    use crate::engine::search::{SearchEngine, SearchOptions};
    use crate::rank::ScriptSet;
    use crate::run::{EvalSettings, Evaluator};

    let store = Store::open(&args.store).with_context(|| format!("opening store {}", args.store.display()))?;
    let set = ScriptSet::open(&args.set).with_context(|| format!("reading script set {}", args.set.display()))?;
    let harness_params = match &args.params {
        None => serde_json::Map::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            match serde_json::from_str::<serde_json::Value>(&text).with_context(|| format!("parsing {}", path.display()))? {
                serde_json::Value::Object(map) => map,
                _ => anyhow::bail!("{}: harness params must be a JSON object", path.display()),
            }
        }
    };
    let settings = EvalSettings { k: args.k, cohort_size: args.cohort_size, seed: args.seed, harness_params, ..EvalSettings::default() };
    let evaluator = Evaluator::new(&store, settings).context("building the cohort")?;
    let mut request = evaluator.request();
    // The sort-ablation diagnostic is local-only; leaving it on would distort the wall-time ratio.
    request.ablate_sorts = false;

    let client = EngineClient::connect(&args.engine.engine_url)?;
    let options = SearchOptions {
        index: args.engine.index.clone(),
        users_per_request: args.users_per_request.max(1),
        concurrency: args.concurrency.max(1),
    };
    let engine = SearchEngine::new(client, &store, options)?;
    if args.explain {
        if let Some(&first) = request.users.first() {
            print!("{}", engine.explain(&set, &request, first)?);
        }
    }
    let local = evaluator.local_engine();
    let tolerances = Tolerances { score_rel: args.rel_tol, ..Tolerances::default() };
    let run = drift::run_parity(&store, &local, &engine, &set, &request, Some(&evaluator.context), tolerances)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&run.report)?);
    } else {
        print!("{}", run.report.render());
    }
    Ok(if run.report.has_drift() { ExitCode::from(super::EXIT_PROBLEMS) } else { ExitCode::SUCCESS })
}
