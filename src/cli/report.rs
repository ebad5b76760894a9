//! `scorelab report`, `scorelab runs` and `scorelab show`: reading run directories back.

use anyhow::Context;
use scorelab::report::{
    Analysis, Palette, ReportError, Run, list_runs, render_iteration_text, render_runs_table, write_report,
};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  scorelab report runs/20261125-101502\n  scorelab report runs/20261125-101502 --out /tmp/run.html\n\nThe report is one HTML file with no external resources: open it straight from disk in any browser."
)]
pub struct ReportArgs {
    /// The run directory (`runs/<YYYYMMDD-HHMMSS>`), or its name as `runs` lists it.
    pub run: PathBuf,
    /// Where to write the HTML (default: `<run>/report.html`). Written atomically.
    #[arg(long, value_name = "FILE.html")]
    pub out: Option<PathBuf>,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A run as `runs` lists it: a run directory, or the bare name of one under the default `runs/`
/// (what the `runs` table prints). Anything else is returned as given, so the error names it.
pub(super) fn resolve_run(run: &Path) -> PathBuf {
    if run.join("meta.json").is_file() {
        return run.to_path_buf();
    }
    let in_default = Path::new("runs").join(run);
    if run.components().count() == 1 && in_default.join("meta.json").is_file() {
        return in_default;
    }
    run.to_path_buf()
}

pub fn run_report(mut args: ReportArgs) -> anyhow::Result<ExitCode> {
    args.run = resolve_run(&args.run);
    let run = Run::open(&args.run).with_context(|| format!("reading run {}", args.run.display()))?;
    let out = args.out.unwrap_or_else(|| args.run.join("report.html"));
    write_report(&run, &out)?;
    for warning in &run.warnings {
        eprintln!("warning: {warning}");
    }
    if args.json {
        let body = json!({
            "report": out.display().to_string(),
            "run": run.name,
            "iterations": run.iterations.len(),
            "warnings": run.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("wrote {} ({} iterations)", out.display(), run.iterations.len());
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  scorelab runs\n  scorelab runs --runs-dir /data/runs --json")]
pub struct RunsArgs {
    /// The directory holding run directories.
    #[arg(long, default_value = "runs", value_name = "DIR")]
    pub runs_dir: PathBuf,
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run_runs(args: RunsArgs) -> anyhow::Result<ExitCode> {
    let runs = list_runs(&args.runs_dir).with_context(|| format!("listing runs in {}", args.runs_dir.display()))?;
    let unreadable = runs.iter().filter(|r| r.is_err()).count();
    let text = if args.json {
        let entries: Vec<Value> = runs
            .iter()
            .map(|entry| match entry {
                Ok(run) => serde_json::to_value(run).unwrap_or(Value::Null),
                Err(err) => json!({ "error": err.to_string() }),
            })
            .collect();
        format!("{}\n", serde_json::to_string_pretty(&entries)?)
    } else if runs.is_empty() {
        format!("no runs in {}\n", args.runs_dir.display())
    } else {
        render_runs_table(&runs, palette())
    };
    print_stdout(&text)?;
    // Listed what could be read; an unreadable run is a data problem, not a usage error.
    Ok(if unreadable > 0 { ExitCode::from(super::EXIT_PROBLEMS) } else { ExitCode::SUCCESS })
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  scorelab show runs/20261125-101502        # the best iteration\n  scorelab show runs/20261125-101502 7 --json"
)]
pub struct ShowArgs {
    /// The run directory (`runs/<YYYYMMDD-HHMMSS>`), or its name as `runs` lists it.
    pub run: PathBuf,
    /// The iteration to print (default: the run's best, else the last).
    pub iteration: Option<u64>,
    /// Print the iteration's run.jsonl record plus its scripts as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run_show(mut args: ShowArgs) -> anyhow::Result<ExitCode> {
    args.run = resolve_run(&args.run);
    let run = Run::open(&args.run).with_context(|| format!("reading run {}", args.run.display()))?;
    for warning in &run.warnings {
        eprintln!("warning: {warning}");
    }
    let analysis = Analysis::new(&run);
    let number = match args.iteration {
        Some(number) => number,
        None => analysis
            .best
            .or_else(|| run.iterations.last().map(|it| it.iteration))
            .with_context(|| format!("{}: records no iterations", args.run.join("run.jsonl").display()))?,
    };
    let Some(iteration) = run.iteration(number) else {
        let available: Vec<String> = run.iterations.iter().map(|it| it.iteration.to_string()).collect();
        return Err(ReportError::UnknownIteration {
            dir: args.run.clone(),
            iteration: number,
            available: if available.is_empty() { "none".into() } else { available.join(", ") },
        }
        .into());
    };
    let text = if args.json {
        let scripts: serde_json::Map<String, Value> =
            iteration.scripts.iter().map(|s| (s.name.clone(), Value::String(s.source.clone()))).collect();
        let document = json!({
            "run": run.name,
            "best": analysis.best == Some(iteration.iteration),
            "record": iteration.raw,
            "scripts": scripts,
        });
        format!("{}\n", serde_json::to_string_pretty(&document)?)
    } else {
        render_iteration_text(&analysis, iteration, palette())
    };
    print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Colour as `terminal::colour` decides for stdout (NO_COLOR, CLICOLOR_FORCE, a terminal).
fn palette() -> Palette {
    Palette { enabled: super::terminal::colour(super::terminal::Stream::Stdout) }
}

fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}
