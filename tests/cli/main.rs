//! The command line as a user meets it: messages and flags, eval from the CLI, and the out-of-box demo.
//!
//! One test binary (one link, one process) for what used to be 3; run one part with
//! `cargo test --profile ci --test cli MODULE::`.

mod cli_polish;
mod eval_cli;
mod out_of_box;
