//! (being written: placeholder until its owner lands it)
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {}

pub fn run_report(_args: ReportArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

#[derive(Debug, clap::Args)]
pub struct RunsArgs {}

pub fn run_runs(_args: RunsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {}

pub fn run_show(_args: ShowArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
