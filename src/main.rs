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

/// `mi_option_purge_delay` in mimalloc v2's `mi_option_e` (the mimalloc.h libmimalloc-sys 0.1.49 builds;
/// the crate does not name it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// The process's peak RSS follows what the interpreter's memory budget lets scripts hold: measured
/// on the hostile cases of docs/sandbox.md, mimalloc's defaults reached 1.3-1.6x the budget, from two
/// causes. Huge pages: mimalloc advises them on its arenas, so one touched byte made 2 MiB resident.
/// Purge delay: memory an evaluation freed stayed resident for 10-100 ms while the next evaluation
/// allocated. Neither costs measurable speed on ranking scripts, which allocate little.
fn configure_memory() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::debug!("cannot turn transparent huge pages off: {e}");
    }
    // SAFETY: `mi_option_set` stores an option value, which mimalloc reads again at every purge; it
    // may be called at any time. The option's number is checked against the bundled header above.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}

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
    configure_memory();
    cli::main()
}
