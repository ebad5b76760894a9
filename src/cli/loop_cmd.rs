//! (being written: placeholder until its owner lands it)
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct LoopArgs {}

pub fn run(_args: LoopArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
