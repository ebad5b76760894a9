//! (being written: placeholder until its owner lands it)
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum PrepareCommand {
    /// MovieLens ml-latest-small.
    Movielens {},
}

pub fn run(_cmd: PrepareCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
