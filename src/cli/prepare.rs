//! `scorelab prepare`: build an exchange-format dataset from a public dataset (or a synthetic one),
//! optionally importing it into a store in the same step.

use anyhow::Context;
use crate::data::{self, prepare_movielens, synthetic_dataset, write_dataset, Dataset, MovielensOptions, SyntheticOptions};
use crate::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, clap::Subcommand)]
pub enum PrepareCommand {
    /// MovieLens ml-latest-small: temporal split, implicit-ALS item vectors, attributes, exclusions.
    Movielens(MovielensArgs),
    /// Synthetic data with planted topics, power-law popularity and topic-correlated attributes.
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
            let dataset = prepare_movielens(&a.input, &opts)
                .with_context(|| format!("preparing MovieLens from {}", a.input.display()))?;
            finish(dataset, a.out, a.store, started)
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
            finish(synthetic_dataset(&opts), a.out, a.store, started)
        }
    }
}

fn finish(dataset: Dataset, out: PathBuf, store: Option<PathBuf>, started: Instant) -> anyhow::Result<ExitCode> {
    write_dataset(&dataset, &out).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "wrote {} items, {} users, {} interactions, {} exclusions to {} in {:.2}s",
        dataset.items.len(),
        dataset.users.len(),
        dataset.interactions.len(),
        dataset.exclusions.len(),
        out.display(),
        started.elapsed().as_secs_f64()
    );
    if let Some(dir) = store {
        let built = Store::from_dataset(&dataset).context("building the store")?;
        built.save(&dir).with_context(|| format!("writing store {}", dir.display()))?;
        eprintln!("{}", built.ground_truth_report());
        println!("imported into {} (checksum {})", dir.display(), built.checksum());
    } else {
        println!("next: scorelab import --dataset {} --store {}", out.display(), data::DEFAULT_STORE_DIR);
    }
    Ok(ExitCode::SUCCESS)
}
