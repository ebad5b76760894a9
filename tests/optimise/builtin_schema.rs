//! Issue 21: the built-in optimiser works from the schema's statistics, not its field names. The real
//! binary runs `loop --provider builtin` on a small synthetic dataset and on a copy with every
//! attribute renamed, both imported with `--dataset DIR`: same seed, so the same proposals (names
//! swapped) and identical metrics, selection and held-out, iteration by iteration.

use scorelab::data::{Dataset, SyntheticOptions, synthetic_dataset, write_dataset};
use std::path::{Path, PathBuf};

fn renamed(ds: &Dataset) -> (Dataset, Vec<(String, String)>) {
    let mut out = ds.clone();
    let names: Vec<(String, String)> =
        ds.fields.iter().enumerate().map(|(i, f)| (f.name.clone(), format!("attr_{i}_z"))).collect();
    for (f, (_, new)) in out.fields.iter_mut().zip(&names) {
        f.name = new.clone();
    }
    for d in &mut out.settings.diversity_fields {
        if let Some((_, new)) = names.iter().find(|(old, _)| old == d) {
            *d = new.clone();
        }
    }
    (out, names)
}

fn loop_on(root: &Path, dataset: &str, runs: &str) -> (PathBuf, String) {
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/baseline");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scorelab"))
        .current_dir(root)
        .env_remove("LLM_PROVIDER")
        .env_remove("ES_URL")
        .args(["loop", "--provider", "builtin", "--iters", "12", "--seed", "3", "--cohort-size", "60"])
        .args(["--dataset", dataset, "--runs-dir", runs, "--hint", "favour recent films"])
        .arg("--baseline-dir")
        .arg(&baseline)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(root.join(runs)).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    assert_eq!(dirs.len(), 1);
    (dirs.remove(0), stderr)
}

fn lines(run: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run.join("run.jsonl")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn issue_21_renamed_attributes_give_the_same_run() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = synthetic_dataset(&SyntheticOptions { items: 400, users: 90, dims: 8, seed: 11, ..Default::default() });
    let (other, names) = renamed(&ds);
    write_dataset(&ds, &tmp.path().join("original")).unwrap();
    write_dataset(&other, &tmp.path().join("renamed")).unwrap();
    let (a, a_err) = loop_on(tmp.path(), "original", "runs-a");
    let (b, b_err) = loop_on(tmp.path(), "renamed", "runs-b");
    // A hint that names no field is ignored, and the built-in optimiser says so.
    assert!(a_err.contains("the built-in optimiser ignores free-text hints"), "{a_err}");
    assert!(b_err.contains("fields: attr_0_z, attr_1_z"), "{b_err}");

    let (la, lb) = (lines(&a), lines(&b));
    assert_eq!(la.len(), 13);
    assert_eq!(la.len(), lb.len());
    let mut with_signals = 0;
    for (x, y) in la.iter().zip(&lb) {
        for key in ["iteration", "parent", "status", "metrics"] {
            assert_eq!(x[key], y[key], "{key} of iteration {}", x["iteration"]);
        }
        assert_eq!(x["holdout"]["metrics"], y["holdout"]["metrics"], "iteration {}", x["iteration"]);
        // The same scripts once the names are swapped back.
        let snapshot = x["snapshot"].as_str().unwrap();
        let query = |run: &Path| std::fs::read_to_string(run.join(snapshot).join("query.painless")).unwrap();
        let back = names.iter().fold(query(&b), |t, (old, new)| t.replace(&format!("'{new}'"), &format!("'{old}'")));
        assert_eq!(query(&a), back, "iteration {}", x["iteration"]);
        with_signals += usize::from(query(&a).contains("doc['"));
    }
    assert!(with_signals > 0, "no candidate read an item field, so renaming was not exercised");
    assert!(la.iter().any(|l| l["holdout"]["metrics"].is_object()), "nothing held out");
}

/// The prompt an LLM sees names the store's timestamp fields as its statistics find them, whatever
/// they are called, and `--edit-format whole` shows the parent without line numbers.
#[test]
fn the_llm_prompt_names_the_timestamp_fields_the_statistics_find() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = synthetic_dataset(&SyntheticOptions { items: 200, users: 40, dims: 8, seed: 5, ..Default::default() });
    let (other, names) = renamed(&ds);
    write_dataset(&other, &tmp.path().join("renamed")).unwrap();
    let timestamp = &names.iter().find(|(old, _)| old == "last_rated").expect("synthetic data has last_rated").1;
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/baseline");
    let prompt = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_scorelab"))
            .current_dir(tmp.path())
            .env_remove("OPENAI_API_KEY")
            .args(["loop", "--provider", "openai-compatible", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"])
            .args(["--dataset", "renamed", "--print-prompt", "--edit-format", format, "--baseline-dir"])
            .arg(&baseline)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let whole = prompt("whole");
    assert!(!tmp.path().join("runs").exists(), "--print-prompt keeps no run");
    assert!(whole.contains(&format!("compare with the timestamp fields: {timestamp} (epoch seconds)")), "{whole}");
    assert!(!whole.contains("last_rated"), "{whole}");
    assert!(whole.contains("query:\n// Mean-pool"), "{whole}");
    assert!(prompt("edits").contains("query:\n 1| // Mean-pool"));
}
