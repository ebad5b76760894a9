//! The team's real-world Painless corpus (`../shared/painless-realworld.jsonl`), read at test time and
//! never copied into the repository. Outside CI a missing corpus skips the test with a message (a clone
//! without `../shared` can still run the suite); under CI (`CI` set) it fails, so a CI run can never pass
//! these tests vacuously.
#![allow(dead_code)]

use std::path::PathBuf;

pub const CORPUS_FILE: &str = "painless-realworld.jsonl";

/// Where the corpus is looked for: `SCORELAB_SHARED_DIR`, else `../shared` beside the crate, else one
/// level further up (a git worktree under the checkout).
pub fn candidates() -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os("SCORELAB_SHARED_DIR") {
        return vec![PathBuf::from(dir).join(CORPUS_FILE)];
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    vec![root.join("../shared").join(CORPUS_FILE), root.join("../../shared").join(CORPUS_FILE)]
}

/// The corpus text, or None (skip) when it is absent outside CI. Panics under CI when it is absent.
pub fn corpus_text() -> Option<String> {
    let paths = candidates();
    if let Some(text) = paths.iter().find_map(|p| std::fs::read_to_string(p).ok()) {
        return Some(text);
    }
    let tried: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    assert!(
        !in_ci,
        "the real-world corpus is required under CI but was not found (tried {}); set SCORELAB_SHARED_DIR",
        tried.join(", ")
    );
    eprintln!("skipped: {CORPUS_FILE} not found (tried {}); set SCORELAB_SHARED_DIR", tried.join(", "));
    None
}

/// The corpus's records, one JSON value per non-empty line; a malformed line is a test failure that
/// names its line number.
pub fn corpus_records() -> Option<Vec<serde_json::Value>> {
    let text = corpus_text()?;
    Some(
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{CORPUS_FILE} line {}: not JSON: {e}", n + 1))
            })
            .collect(),
    )
}
