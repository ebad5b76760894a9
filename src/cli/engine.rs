//! (being written: placeholder until its owner lands it)
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct SetupIndicesArgs {}

pub fn run_setup_indices(_args: SetupIndicesArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

#[derive(Debug, clap::Args)]
pub struct ParityArgs {}

pub fn run_parity(_args: ParityArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
