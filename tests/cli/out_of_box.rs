//! The README's first command on a fresh clone: no store, no run directory, no API key, no engine.
//! The binary runs in a temp directory that holds only what a clone has (the MovieLens CSVs and the
//! script sets, linked from the repository), so the demo store is built from scratch exactly as on
//! a user's first `cargo run --release -- loop`.
//!
//! Building the store runs the ALS factorisation: seconds in the release build CI uses, minutes in
//! a debug build.

use assert_cmd::Command;
use std::path::Path;

fn link(from_repo: &str, into: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(from_repo);
    let dst = into.join(from_repo);
    std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(src, dst).unwrap();
}

fn fresh_clone() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    link("data/ml-latest-small", dir.path());
    link("scripts", dir.path());
    dir
}

fn scorelab(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("scorelab").unwrap();
    cmd.current_dir(cwd)
        .env_remove("ES_URL")
        .env_remove("LLM_PROVIDER")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY");
    cmd
}

#[test]
fn the_loop_builds_the_demo_store_and_improves_on_a_fresh_clone() {
    let clone = fresh_clone();
    let root = clone.path();
    let out = scorelab(root).args(["loop", "--iters", "2", "--cohort-size", "120", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let store = root.join(".scorelab/stores/movielens");
    assert!(store.is_dir(), "the demo store is built under .scorelab/ on first use");
    let runs: Vec<_> = std::fs::read_dir(root.join("runs")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(runs.len(), 1, "one run directory: {runs:?}");
    let run = &runs[0];
    let lines = std::fs::read_to_string(run.join("run.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 3, "baseline + 2 iterations");
    assert_eq!(records[0]["status"], "baseline");
    let baseline_ndcg = records[0]["metrics"]["ndcg"].as_f64().unwrap();
    assert!(baseline_ndcg > 0.02, "the baseline ranks far above random on MovieLens: {baseline_ndcg}");
    for r in &records[1..] {
        assert_ne!(r["status"], "compile_error", "the built-in optimiser writes valid Painless: {r}");
        assert!(run.join(r["snapshot"].as_str().unwrap()).join("query.painless").is_file());
    }
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(run.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["summary"]["iterations_attempted"], 2);

    // A second command reuses the store instead of rebuilding it.
    let stamp = std::fs::metadata(&store).unwrap().modified().unwrap();
    let out =
        scorelab(root).args(["eval", "--set", "scripts/baseline", "--cohort-size", "50", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["store"]["dataset"], "movielens");
    assert_eq!(std::fs::metadata(&store).unwrap().modified().unwrap(), stamp);

    // The store built here, the cohort and the interpreter still give exactly the figures of the
    // recorded 50-iteration run (tests/fixtures/movielens_run, the README's numbers).
    let recorded = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/movielens_run");
    let log = std::fs::read_to_string(recorded.join("run.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(recorded.join("meta.json")).unwrap()).unwrap();
    let best = meta["summary"]["best_iteration"].as_u64().unwrap() as usize;
    assert!(best > 0);
    for iteration in [0, best] {
        let set = recorded.join(format!("iter_{iteration:03}"));
        let out = scorelab(root).args(["eval", "--json", "--set"]).arg(&set).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            body["result"]["metrics"], records[iteration]["metrics"],
            "iteration {iteration} of the recorded run re-evaluated on a fresh store"
        );
    }
}
