//! (being written: placeholder until its owner lands it)
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {}

#[derive(Debug, clap::Subcommand)]
pub enum DataCommand {
    /// Print counts, dims, fields, checksums.
    Info {},
}

pub fn run_import(_args: ImportArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

pub fn run(_cmd: DataCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
