//! The command line: clap definitions and dispatch. `anyhow` lives here (and only here); the library
//! below returns typed errors. Exit codes: 0 ok, 1 ran but the candidate/data has problems,
//! 2 usage/IO/internal (clap's own usage errors exit 2 too); a broken pipe exits 0.
//!
//! Every command that prints results takes `--json` and shows examples in its `--help`.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub mod check;
pub mod common;
pub mod compare;
pub mod data;
pub mod engine;
pub mod eval;
pub mod exec;
pub mod loop_cmd;
pub mod prepare;
pub mod report;
pub mod terminal;

/// Exit code: the command ran, but the candidate or the data has problems.
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit code: usage, I/O or internal error.
pub const EXIT_ERROR: u8 = 2;

/// `scorelab --version`: the binary's version and the on-disk formats it writes and reads, so a
/// bug report names everything that decides whether a run directory or a store is readable.
fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        format!(
            "{} (run format v{}, store format v{})",
            env!("CARGO_PKG_VERSION"),
            scorelab::run::SCHEMA_VERSION,
            scorelab::store::FORMAT_VERSION
        )
    })
}

#[derive(Debug, Parser)]
#[command(name = "scorelab", version = version(), about = "Optimise Painless scoring scripts offline, verify them on a real search engine")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
// One value per process, parsed once: boxing the large `loop` arguments would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Turn a public dataset (or a synthetic one) into a scorelab exchange-format directory.
    #[command(
        subcommand,
        after_help = "Examples:\n  scorelab prepare movielens --store .scorelab/stores/movielens\n  \
        scorelab prepare synthetic --items 100000 --store stores/synthetic"
    )]
    Prepare(prepare::PrepareCommand),
    /// Import an exchange-format directory into a binary store.
    Import(data::ImportArgs),
    /// Inspect a store.
    #[command(subcommand, after_help = "Example:\n  scorelab data info .scorelab/stores/movielens")]
    Data(data::DataCommand),
    /// Compile-check Painless scripts or script sets; exit 1 on errors.
    Check(check::CheckArgs),
    /// Run a script like `_scripts/painless/_execute`.
    Exec(exec::ExecArgs),
    /// Evaluate a script set on the cohort and print metrics and diagnostics.
    Eval(eval::EvalArgs),
    /// Evaluate the baseline and start a run directory.
    Baseline(eval::BaselineArgs),
    /// Create the items index on a search engine and load the store into it.
    SetupIndices(engine::SetupIndicesArgs),
    /// Compare the local interpreter with the search engine on the cohort; exit 1 on drift.
    Parity(engine::ParityArgs),
    /// The optimisation loop.
    #[command(visible_alias = "rl-loop")]
    Loop(loop_cmd::LoopArgs),
    /// Render a run as one self-contained HTML file.
    Report(report::ReportArgs),
    /// List runs.
    Runs(report::RunsArgs),
    /// Print one iteration of a run.
    Show(report::ShowArgs),
    /// Compare runs on the same store and held-out users (control arms): curves, gains, verdicts.
    Compare(compare::CompareArgs),
}

/// Entry point used by `main.rs`.
pub fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if err.chain().any(is_broken_pipe) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", error_chain_text(&err));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The error and its causes joined by ": ", leaving out a cause whose text the message before it
/// already ends with (library errors often carry their I/O cause both in their message and as their
/// `source`, which `{:#}` would print twice: `... (os error 2): No such file or directory (os error 2)`).
pub fn error_chain_text(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.is_empty() {
            text = part;
        } else if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
    }
    text
}

fn is_broken_pipe(cause: &(dyn std::error::Error + 'static)) -> bool {
    cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Prepare(c) => prepare::run(c),
        Command::Import(a) => data::run_import(a),
        Command::Data(c) => data::run(c),
        Command::Check(a) => check::run(a),
        Command::Exec(a) => exec::run(a),
        Command::Eval(a) => eval::run_eval(a),
        Command::Baseline(a) => eval::run_baseline(a),
        Command::SetupIndices(a) => engine::run_setup_indices(a),
        Command::Parity(a) => engine::run_parity(a),
        Command::Loop(a) => loop_cmd::run(a),
        Command::Report(a) => report::run_report(a),
        Command::Runs(a) => report::run_runs(a),
        Command::Show(a) => report::run_show(a),
        Command::Compare(a) => compare::run(a),
    }
}

/// `--objective`: the optimisation objective (its guardrail follows from it).
pub fn parse_objective(s: &str) -> Result<scorelab::optimise::Objective, String> {
    scorelab::optimise::Objective::parse(s).ok_or_else(|| format!("unknown objective {s:?} (expected ndcg or ild)"))
}
