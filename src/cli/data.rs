//! `scorelab import` and `scorelab data info`.

use super::terminal;
use anyhow::Context;
use scorelab::data::{Dataset, DatasetFiles, FieldKind, SettingsOverrides, read_dataset_files};
use scorelab::store::Store;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
#[command(after_help = "The exchange format (each file, each key, dataset.json and every default) is described in \
    README.md, section \"Your own data\".\n\nExamples:\n  \
    scorelab import --dataset .scorelab/datasets/synthetic --store stores/synthetic\n  \
    scorelab import --dataset my-export/ --store stores/shop --threshold 4 --diversity-field category --json\n  \
    scorelab import --dataset default --store stores/loans   # the files DEFAULT_LOANS_PATH etc. name (.env)")]
pub struct ImportArgs {
    /// Exchange-format directory (items.jsonl or loans.jsonl, users.jsonl, interactions.csv, ...), or
    /// `default`: the original harness's files, named by DEFAULT_LOANS_PATH, DEFAULT_USERS_PATH and
    /// DEFAULT_INTERACTIONS_PATH in the environment or the nearest .env (pass ./default for a directory
    /// of that name).
    #[arg(long)]
    pub dataset: PathBuf,
    /// Store directory to create (replaced atomically if it exists).
    #[arg(long)]
    pub store: PathBuf,
    /// Relevance threshold: an interaction is relevant when its weight >= T (overrides dataset.json).
    /// Required for graded weights when dataset.json does not set it.
    #[arg(long, value_name = "T")]
    pub threshold: Option<f64>,
    /// An attribute ILD compares items on (repeatable; overrides dataset.json). Default: every keyword
    /// attribute, announced.
    #[arg(long = "diversity-field", value_name = "FIELD")]
    pub diversity_fields: Vec<String>,
    /// The items' vector attribute (overrides dataset.json). Default: the one attribute holding a
    /// fixed-length list of numbers in every item, announced.
    #[arg(long, value_name = "FIELD")]
    pub vector_field: Option<String>,
    /// The dataset's name, stored with it (overrides dataset.json; default: the directory's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Import an attribute as an Elasticsearch date (repeatable): its numbers are epoch milliseconds,
    /// or epoch seconds with `FIELD:epoch_second`; ISO-8601 strings are read as dates anyway.
    /// Fields whose every value is an ISO-8601 date are detected without it, announced.
    #[arg(long = "date-field", value_name = "FIELD[:epoch_millis|epoch_second]")]
    pub date_fields: Vec<scorelab::data::DateFieldFlag>,
    /// Print what was imported as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum DataCommand {
    /// Print counts, dims, fields, checksums; verifies every file's checksum (exit 1 if corrupt).
    #[command(
        after_help = "Examples:\n  scorelab data info .scorelab/stores/movielens\n  scorelab data info stores/synthetic --json"
    )]
    Info {
        /// Store directory.
        store: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub fn run_import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let files = if args.dataset.as_os_str() == "default" {
        super::common::note_shadowed_dir("default");
        super::common::harness_env_files()?
    } else {
        DatasetFiles::in_dir(&args.dataset).with_context(|| format!("reading dataset {}", args.dataset.display()))?
    };
    let bar = terminal::bytes_bar(files.bytes(), &format!("reading {}", args.dataset.display()));
    let overrides = SettingsOverrides {
        name: args.name.clone(),
        relevance_threshold: args.threshold,
        diversity_fields: (!args.diversity_fields.is_empty()).then(|| args.diversity_fields.clone()),
        item_vector_field: args.vector_field.clone(),
        date_fields: args.date_fields.clone(),
    };
    let read = read_dataset_files(&files, &overrides, &|n| bar.inc(n))
        .with_context(|| format!("reading dataset {}", args.dataset.display()));
    bar.finish_and_clear();
    let read = read?;
    for note in &read.defaults_applied {
        eprintln!("note: {note}");
    }
    let store = import_dataset(&read.dataset, &args.store)?;
    if args.json {
        let mut out = store_json(&store, &args.store);
        out["defaults_applied"] = read.defaults_applied.clone().into();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "imported {} items, {} users, {} dims into {} (checksum {})",
        store.num_items(),
        store.num_users(),
        store.dims(),
        args.store.display(),
        store.checksum()
    );
    Ok(ExitCode::SUCCESS)
}

/// Builds the store from `dataset` and saves it to `dir` (atomically), with a spinner per step; the
/// ground-truth report goes to stderr (what was kept and dropped, and why).
pub(super) fn import_dataset(dataset: &Dataset, dir: &Path) -> anyhow::Result<Store> {
    let spinner = terminal::spinner("building the store");
    let store = Store::from_dataset(dataset).context("building the store");
    spinner.finish_and_clear();
    let store = store?;
    let spinner = terminal::spinner(&format!("writing store {}", dir.display()));
    let saved = store.save(dir).with_context(|| format!("writing store {}", dir.display()));
    spinner.finish_and_clear();
    saved?;
    eprintln!("{}", ground_truth_line(&store));
    Ok(store)
}

/// The ground-truth line `eval` prints, at the store's threshold: users with a relevant item (the ones
/// a cohort is drawn from), so `import`, `data info` and `eval` give the same count for one store.
fn ground_truth_line(store: &Store) -> String {
    let truth = scorelab::metrics::GroundTruth::from_store(store, store.settings().relevance_threshold);
    let report = store.ground_truth_report();
    let unknown_users = if report.dropped_unknown_users > 0 {
        format!("; {} interactions of unknown users dropped", report.dropped_unknown_users)
    } else {
        String::new()
    };
    format!("{}{unknown_users}", truth.summary_line())
}

/// What `import --json` (and `prepare --store --json`) print about a store just written.
pub(super) fn store_json(store: &Store, dir: &Path) -> serde_json::Value {
    serde_json::json!({
        "path": dir.display().to_string(),
        "dataset": store.settings().name,
        "checksum": store.checksum(),
        "num_items": store.num_items(),
        "num_users": store.num_users(),
        "dims": store.dims(),
        "relevance_threshold": store.settings().relevance_threshold,
        "diversity_fields": store.settings().diversity_fields,
        "item_vector_field": store.settings().item_vector_field,
        "ground_truth": store.ground_truth_report(),
    })
}

pub fn run(cmd: DataCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DataCommand::Info { store, json } => info(store, json),
    }
}

fn info(dir: PathBuf, json: bool) -> anyhow::Result<ExitCode> {
    let store = Store::open(&dir).with_context(|| format!("opening store {}", dir.display()))?;
    let spinner = terminal::spinner("verifying checksums");
    let verified = store.verify();
    spinner.finish_and_clear();
    let fields: Vec<serde_json::Value> = store
        .schema()
        .fields()
        .iter()
        .map(|f| {
            let mut v = serde_json::json!({ "name": f.name, "type": f.kind.name(), "multi_valued": f.multi_valued });
            if let FieldKind::Vector { dims } = f.kind {
                v["dims"] = dims.into();
            }
            if let Some(col) = store.column(&f.name) {
                let present =
                    (0..store.num_items() as u32).filter(|&i| !col.is_empty(scorelab::store::ItemIdx(i))).count();
                v["items_with_value"] = present.into();
            }
            v
        })
        .collect();
    let report = store.ground_truth_report();
    let truth = scorelab::metrics::GroundTruth::from_store(&store, store.settings().relevance_threshold);
    if json {
        let out = serde_json::json!({
            "path": dir,
            "dataset": store.settings().name,
            "checksum": store.checksum(),
            "verified": verified.is_ok(),
            "num_items": store.num_items(),
            "num_users": store.num_users(),
            "dims": store.dims(),
            "user_rows": store.user_rows(),
            "settings": store.settings(),
            "fields": fields,
            "ground_truth": report,
            "at_threshold": {
                "threshold": store.settings().relevance_threshold,
                "users_with_relevant_items": truth.kept_users,
                "interactions_below_threshold": truth.below_threshold,
            },
            "files": store.files(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("store      {}", dir.display());
        println!("dataset    {}", store.settings().name);
        println!("checksum   {}", store.checksum());
        println!("items      {}", store.num_items());
        println!("users      {}", store.num_users());
        println!("dims       {}", store.dims());
        println!("user rows  {}", store.user_rows());
        println!("threshold  {}", store.settings().relevance_threshold);
        println!("diversity  {}", store.settings().diversity_fields.join(", "));
        println!("{}", ground_truth_line(&store));
        println!(
            "interactions kept {} of {}, exclusions kept {} of {}",
            report.interactions_kept, report.interactions_in_file, report.exclusions_kept, report.exclusions_in_file
        );
        println!("fields:");
        for f in &fields {
            let multi = if f["multi_valued"].as_bool() == Some(true) { " (multi-valued)" } else { "" };
            let extra = match (f.get("dims"), f.get("items_with_value")) {
                (Some(d), _) => format!(", {d} dims"),
                (_, Some(n)) => format!(", {n} items with a value"),
                _ => String::new(),
            };
            println!("  {:<16} {}{multi}{extra}", f["name"].as_str().unwrap_or(""), f["type"].as_str().unwrap_or(""));
        }
        println!("files:");
        for f in store.files() {
            println!("  {:<14} {:>12} bytes  sha256 {}", f.name, f.bytes, f.sha256);
        }
    }
    match verified {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(super::EXIT_PROBLEMS))
        }
    }
}
