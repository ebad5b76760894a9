//! What the terminal gets besides results: progress bars (stderr, only when it is a terminal, so pipes,
//! CI logs and tests stay clean) and the colour decision (https://no-color.org: a non-empty `NO_COLOR`
//! turns colour off; a non-empty `CLICOLOR_FORCE` other than `0` turns it on for pipes; otherwise
//! colour only for a terminal).
//!
//! `ProgressEngine` wraps any `RankEngine` to show a bar over the cohort: it ranks the users in chunks
//! and puts the chunks' outcomes back together in cohort order, so the rankings are the ones an
//! unwrapped call returns (each user's ranking depends only on that user).

use indicatif::{ProgressBar, ProgressStyle};
use scorelab::rank::{RankEngine, RankError, RankOutcome, RankRequest, ScriptSet};
use std::io::IsTerminal;
use std::time::Duration;

/// Which stream a colour decision is for.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// True when output to `stream` should carry ANSI colour.
pub fn colour(stream: Stream) -> bool {
    colour_from_env(
        |name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()),
        || match stream {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
        },
    )
}

fn colour_from_env(var: impl Fn(&str) -> Option<String>, is_terminal: impl Fn() -> bool) -> bool {
    if var("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if var("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    is_terminal()
}

/// `text` in an SGR style (`"1;31"` bold red, `"32"` green) when `enabled`.
pub fn paint(enabled: bool, code: &str, text: &str) -> String {
    if enabled { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
}

/// True when progress bars are drawn: stderr is a terminal.
pub fn progress_visible() -> bool {
    std::io::stderr().is_terminal()
}

/// A bar with a count and an ETA on stderr; hidden (every call a no-op) when stderr is not a terminal.
pub fn bar(len: u64, unit: &str, message: &str) -> ProgressBar {
    styled_bar(len, &format!("{{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{elapsed}}, ETA {{eta}})"), message)
}

/// A bar over bytes (with rate and ETA), hidden when stderr is not a terminal.
pub fn bytes_bar(len: u64, message: &str) -> ProgressBar {
    styled_bar(len, "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, ETA {eta})", message)
}

fn styled_bar(len: u64, template: &str, message: &str) -> ProgressBar {
    if !progress_visible() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message.to_string());
    bar
}

/// A spinner for a step whose length is unknown in advance (reading a dataset, writing a store).
pub fn spinner(message: &str) -> ProgressBar {
    if !progress_visible() {
        return ProgressBar::hidden();
    }
    let spinner = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        spinner.set_style(style);
    }
    spinner.set_message(message.to_string());
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner
}

/// Cohorts smaller than this are ranked in one call: the bar would flash by.
const MIN_CHUNK_USERS: usize = 64;
/// At most this many chunks, so per-chunk overhead (compiling the set, a thread pool) stays small.
const MAX_CHUNKS: usize = 25;

/// A `RankEngine` that ranks in chunks of the cohort and advances a bar after each.
pub struct ProgressEngine<'e> {
    inner: &'e dyn RankEngine,
    label: String,
}

impl<'e> ProgressEngine<'e> {
    pub fn new(inner: &'e dyn RankEngine, label: impl Into<String>) -> Self {
        ProgressEngine { inner, label: label.into() }
    }
}

/// The chunk size for `users` users: one chunk when small, else about `MAX_CHUNKS` of them.
fn chunk_users(users: usize) -> usize {
    if users < 2 * MIN_CHUNK_USERS { users.max(1) } else { users.div_ceil(MAX_CHUNKS).max(MIN_CHUNK_USERS) }
}

/// Ranks `request` in chunks of `chunk` users, calling `done(users_ranked)` after each chunk. A compile
/// failure ends it at the first chunk, as a single call would report it. Evaluation counts add up; the
/// compile time is the first chunk's (the set's), and recompiling for later chunks counts as ranking
/// time, so the total stays the wall time spent.
pub fn rank_in_chunks(
    engine: &dyn RankEngine,
    set: &ScriptSet,
    request: &RankRequest,
    chunk: usize,
    mut done: impl FnMut(usize),
) -> Result<RankOutcome, RankError> {
    let mut merged = RankOutcome::default();
    for users in request.users.chunks(chunk.max(1)) {
        let part = RankRequest { users: users.to_vec(), ..request.clone() };
        let outcome = engine.rank(set, &part)?;
        if !outcome.compile_failures.is_empty() {
            return Ok(outcome);
        }
        let first = merged.users.is_empty();
        merged.users.extend(outcome.users);
        merged.evaluations += outcome.evaluations;
        if first {
            merged.compile_ms = outcome.compile_ms;
        } else {
            merged.rank_ms += outcome.compile_ms;
        }
        merged.rank_ms += outcome.rank_ms;
        done(users.len());
        // As one call would: the users reached so far already show the failure.
        if request.stop_at_first_failure && merged.runtime_failures().next().is_some() {
            break;
        }
    }
    Ok(merged)
}

impl RankEngine for ProgressEngine<'_> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn rank(&self, set: &ScriptSet, request: &RankRequest) -> Result<RankOutcome, RankError> {
        if !progress_visible() {
            return self.inner.rank(set, request);
        }
        let bar = bar(request.users.len() as u64, "users", &self.label);
        let result = rank_in_chunks(self.inner, set, request, chunk_users(request.users.len()), |n| bar.inc(n as u64));
        bar.finish_and_clear();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scorelab::data::{SyntheticOptions, synthetic_dataset};
    use scorelab::rank::LocalEngine;
    use scorelab::store::{Store, UserIdx};

    #[test]
    fn no_color_wins_and_clicolor_force_colours_pipes() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        assert!(!colour_from_env(env(&[("NO_COLOR", "1")]), || true));
        assert!(!colour_from_env(env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]), || true));
        assert!(colour_from_env(env(&[("NO_COLOR", "")]), || true), "an empty NO_COLOR is unset");
        assert!(colour_from_env(env(&[("CLICOLOR_FORCE", "1")]), || false));
        assert!(!colour_from_env(env(&[("CLICOLOR_FORCE", "0")]), || false));
        assert!(!colour_from_env(env(&[]), || false));
        assert!(colour_from_env(env(&[]), || true));
    }

    #[test]
    fn chunks_are_small_for_small_cohorts_and_bounded_in_number() {
        assert_eq!(chunk_users(10), 10);
        assert_eq!(chunk_users(0), 1);
        assert_eq!(chunk_users(1000), 64);
        assert_eq!(chunk_users(100_000), 4000);
        assert!(100_000usize.div_ceil(chunk_users(100_000)) <= MAX_CHUNKS);
    }

    #[test]
    fn chunked_ranking_equals_one_call() {
        let opts =
            SyntheticOptions { items: 300, users: 90, dims: 8, seed: 3, topics: 4, ..SyntheticOptions::default() };
        let store = Store::from_dataset(&synthetic_dataset(&opts)).expect("synthetic store");
        let set = ScriptSet::new(
            "Math.abs((double) params.user_vector[0][0]) * doc['popularity'].value + doc['price'].value",
        )
        .with_sort("doc['price'].value", scorelab::rank::SortOrder::Desc)
        .expect("set");
        let users: Vec<UserIdx> = (0..store.num_users() as u32).map(UserIdx).collect();
        let request = RankRequest::new(users, 10);
        let local = LocalEngine::new(&store);
        let whole = local.rank(&set, &request).expect("one call");
        assert!(whole.rankings().is_some(), "every user ranked: {:?}", whole.runtime_failures().next());
        let mut seen = 0;
        let chunked = rank_in_chunks(&local, &set, &request, 7, |n| seen += n).expect("chunks");
        assert_eq!(seen, request.users.len());
        assert_eq!(whole.users, chunked.users);
        assert_eq!(whole.evaluations, chunked.evaluations);
    }
}
