//! The `scorelab` binary. `mod cli` is declared here and not in `lib.rs`, so `anyhow` never reaches
//! the library.
//!
//! The allocator is mimalloc (also set in the parse, eval, rank and store benches, so their figures
//! are the binary's): the AST and IR are many small boxes freed together, and glibc's malloc cost
//! about 6-10% of parse+check time (Cargo.toml). The library sets no allocator.

use std::process::ExitCode;

mod cli;

// See Cargo.toml: many small AST/IR nodes allocated and freed together.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // `scorelab eval ... | head`: once the reader has gone, `println!` panics with EPIPE (Rust ignores
    // SIGPIPE). End quietly with success, as other Unix tools do, instead of printing a panic.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to std") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info)
    }));
    // Library warnings (an LLM provider's retries and unusable replies) go to stderr; SCORELAB_LOG
    // (e.g. `info`, `debug`) shows more.
    let filter = tracing_subscriber::EnvFilter::try_from_env("SCORELAB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .try_init();
    cli::main()
}
