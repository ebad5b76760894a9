//! (being written: placeholder until its owner lands it)
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct EvalArgs {}

pub fn run_eval(_args: EvalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

#[derive(Debug, clap::Args)]
pub struct BaselineArgs {}

pub fn run_baseline(_args: BaselineArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
