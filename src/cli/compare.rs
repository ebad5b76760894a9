//! `scorelab compare RUN RUN...`: runs on the same store and split side by side (control arms).

use anyhow::{Context, Result};
use scorelab::report::compare::{compare_runs, render_html, render_text};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  scorelab compare runs/20261207-050000 runs/20261207-051000 runs/20261207-052000\n  \
    scorelab compare runs/a runs/b --json\n  scorelab compare runs/a runs/b runs/c --html /tmp/arms.html\n\n\
    The first run is the one judged: its best is compared with every other run's best on the held-out users."
)]
pub struct CompareArgs {
    /// Run directories sharing a store and held-out users (the first is compared with each other).
    #[arg(required = true, num_args = 2.., value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    /// Significance level of the verdicts.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Also write one self-contained HTML page with the arms' curves overlaid.
    #[arg(long, value_name = "FILE.html")]
    pub html: Option<PathBuf>,
    /// Print the comparison as JSON (with every held-out user's figures) instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: CompareArgs) -> Result<ExitCode> {
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        anyhow::bail!("--alpha {}: a significance level must lie strictly between 0 and 1", args.alpha);
    }
    let comparison = compare_runs(&args.runs, args.alpha)?;
    if let Some(out) = &args.html {
        scorelab::report::write_page(&render_html(&comparison), out)
            .with_context(|| format!("writing {}", out.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&comparison)?);
    } else {
        print!("{}", render_text(&comparison));
        if let Some(out) = &args.html {
            println!("wrote {}", out.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
