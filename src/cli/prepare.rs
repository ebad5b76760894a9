//! `scorelab prepare`: build an exchange-format dataset from a public dataset (or a synthetic one),
//! optionally importing it into a store in the same step.

use super::terminal;
use anyhow::Context;
use scorelab::data::{
    self, Dataset, MovielensOptions, SyntheticOptions, prepare_movielens, synthetic_dataset, write_dataset,
};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, clap::Subcommand)]
pub enum PrepareCommand {
    /// MovieLens ml-latest-small: temporal split, implicit-ALS item vectors, attributes, exclusions.
    #[command(after_help = "Examples:\n  scorelab prepare movielens              # reads data/ml-latest-small\n  \
        scorelab prepare movielens --store .scorelab/stores/movielens --dims 64\n  \
        scorelab prepare movielens --iterations 15 --json")]
    Movielens(MovielensArgs),
    /// Synthetic data with planted topics, power-law popularity and topic-correlated attributes.
    #[command(
        after_help = "Examples:\n  scorelab prepare synthetic --items 10000 --users 1000 --store stores/synthetic\n  \
        scorelab prepare synthetic --items 1000000 --dims 64 --out /data/syn-1m --json"
    )]
    Synthetic(SyntheticArgs),
}

#[derive(Debug, clap::Args)]
pub struct SyntheticArgs {
    #[arg(long, default_value_t = 10_000)]
    pub items: usize,
    #[arg(long, default_value_t = 1_000)]
    pub users: usize,
    #[arg(long, default_value_t = 32)]
    pub dims: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Latent topics.
    #[arg(long, default_value_t = 20)]
    pub topics: usize,
    /// Exchange-format output directory (replaced atomically).
    #[arg(long, default_value = ".scorelab/datasets/synthetic")]
    pub out: PathBuf,
    /// Also import the result into this store directory.
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct MovielensArgs {
    /// Directory holding ratings.csv and movies.csv.
    #[arg(long, default_value = data::MOVIELENS_INPUT_DIR)]
    pub input: PathBuf,
    /// Exchange-format output directory (replaced atomically).
    #[arg(long, default_value = data::MOVIELENS_DATASET_DIR)]
    pub out: PathBuf,
    /// Also import the result into this store directory (e.g. .scorelab/stores/movielens).
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// Share of each user's most recent ratings held out as ground truth.
    #[arg(long, default_value_t = 0.2)]
    pub test_fraction: f64,
    /// Item vector dimensions.
    #[arg(long, default_value_t = 32)]
    pub dims: usize,
    /// Seed of the factorisation.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Relevance threshold written to dataset.json (rating >= threshold is relevant).
    #[arg(long, default_value_t = 4.0)]
    pub threshold: f64,
    /// ALS iterations.
    #[arg(long, default_value_t = 10)]
    pub iterations: usize,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: PrepareCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        PrepareCommand::Movielens(a) => {
            let started = Instant::now();
            let opts = MovielensOptions {
                test_fraction: a.test_fraction,
                dims: a.dims,
                seed: a.seed,
                threshold: a.threshold,
                iterations: a.iterations,
                ..MovielensOptions::default()
            };
            let bar = terminal::bar(a.iterations as u64, "ALS iterations", "factorising ratings");
            let dataset = prepare_movielens(&a.input, &opts, &mut |done| bar.set_position(done))
                .with_context(|| format!("preparing MovieLens from {}", a.input.display()));
            bar.finish_and_clear();
            finish(dataset?, a.out, a.store, started, a.json)
        }
        PrepareCommand::Synthetic(a) => {
            let started = Instant::now();
            if a.items == 0 || a.users == 0 || a.dims == 0 || a.topics == 0 {
                anyhow::bail!("--items, --users, --dims and --topics must be at least 1");
            }
            let opts = SyntheticOptions {
                items: a.items,
                users: a.users,
                dims: a.dims,
                seed: a.seed,
                topics: a.topics,
                ..SyntheticOptions::default()
            };
            let spinner = terminal::spinner("generating the synthetic dataset");
            let dataset = synthetic_dataset(&opts);
            spinner.finish_and_clear();
            finish(dataset, a.out, a.store, started, a.json)
        }
    }
}

fn finish(
    dataset: Dataset,
    out: PathBuf,
    store: Option<PathBuf>,
    started: Instant,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let spinner = terminal::spinner(&format!("writing {}", out.display()));
    let written = write_dataset(&dataset, &out).with_context(|| format!("writing {}", out.display()));
    spinner.finish_and_clear();
    written?;
    let dataset_seconds = started.elapsed().as_secs_f64();
    let imported = match &store {
        Some(dir) => Some(super::data::import_dataset(&dataset, dir)?),
        None => None,
    };
    if json {
        let body = serde_json::json!({
            "dataset": out.display().to_string(),
            "name": dataset.settings.name,
            "items": dataset.items.len(),
            "users": dataset.users.len(),
            "interactions": dataset.interactions.len(),
            "exclusions": dataset.exclusions.len(),
            "dims": dataset.dims,
            "seconds": dataset_seconds,
            "store": imported.as_ref().map(|s| super::data::store_json(s, store.as_deref().unwrap_or(&out))),
        });
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "wrote {} items, {} users, {} interactions, {} exclusions to {} in {:.2}s",
        dataset.items.len(),
        dataset.users.len(),
        dataset.interactions.len(),
        dataset.exclusions.len(),
        out.display(),
        dataset_seconds
    );
    match (&imported, &store) {
        (Some(built), Some(dir)) => println!("imported into {} (checksum {})", dir.display(), built.checksum()),
        _ => {
            println!("next: scorelab import --dataset {} --store {}", out.display(), scorelab::store::DEFAULT_STORE_DIR)
        }
    }
    Ok(ExitCode::SUCCESS)
}
