//! `scorelab eval` and `scorelab baseline` through the real binary, in temp directories.
//! Tests marked "needs the interpreter" run real Painless through `interp`; the others fail before
//! any script is compiled.

use assert_cmd::Command;
use predicates::prelude::*;
use scorelab::data::{AttrValue, Dataset, DatasetSettings, Exclusion, FieldKind, FieldSpec, Interaction, Item, User};
use scorelab::store::Store;
use std::path::{Path, PathBuf};

const DIMS: usize = 4;

fn scorelab() -> Command {
    Command::cargo_bin("scorelab").unwrap()
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn write_set(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// A small store with the MovieLens field names: 60 items, 12 users, 2 × 4 user matrices.
fn small_store(dir: &Path) -> PathBuf {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 / (1u64 << 53) as f64) as f32 * 2.0 - 1.0
    };
    let genre_names = ["Comedy", "Drama", "Horror", "Sci-Fi"];
    let items = (0..60)
        .map(|i| Item {
            id: format!("m{i}"),
            vector: (0..DIMS).map(|_| next()).collect(),
            attributes: vec![
                Some(AttrValue::Keyword(vec![genre_names[i % 4].to_string(), genre_names[(i / 4) % 4].to_string()])),
                Some(AttrValue::Keyword(vec![format!("{}0s", 197 + i % 4)])),
                Some(AttrValue::Long(vec![(i * 7 % 23) as i64])),
                // Epoch seconds in 2014: the default `params.now` is the newest value of a field that
                // reads as a timestamp (1973-2100), whatever its name.
                Some(AttrValue::Long(vec![1_400_000_000 + (i as i64) * 86_400])),
            ],
        })
        .collect();
    let users: Vec<User> =
        (0..12).map(|u| User { id: format!("{u}"), matrix: (0..2 * DIMS).map(|_| next()).collect() }).collect();
    let interactions = (0..12)
        .flat_map(|u| (0..4).map(move |j| (u, (u * 5 + j * 11) % 60, if j % 2 == 0 { 5.0 } else { 3.0 })))
        .map(|(u, i, w)| Interaction { user_id: format!("{u}"), item_id: format!("m{i}"), weight: w })
        .collect();
    let exclusions =
        (0..12).map(|u| Exclusion { user_id: format!("{u}"), item_id: format!("m{}", (u * 3 + 1) % 60) }).collect();
    let dataset = Dataset {
        settings: DatasetSettings {
            name: "small".into(),
            relevance_threshold: 4.0,
            diversity_fields: vec!["genres".into(), "decade".into()],
            user_rows: 2,
            ..Default::default()
        },
        dims: DIMS as u32,
        fields: vec![
            FieldSpec { name: "genres".into(), kind: FieldKind::Keyword, multi_valued: true },
            FieldSpec { name: "decade".into(), kind: FieldKind::Keyword, multi_valued: false },
            FieldSpec { name: "popularity".into(), kind: FieldKind::Long, multi_valued: false },
            FieldSpec { name: "last_rated".into(), kind: FieldKind::Long, multi_valued: false },
        ],
        items,
        users,
        interactions,
        exclusions,
    };
    let path = dir.join("store");
    Store::from_dataset(&dataset).unwrap().save(&path).unwrap();
    path
}

#[test]
fn missing_query_painless_is_a_usage_error_naming_the_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let set = tmp.path().join("set");
    write_set(&set, &[("sort_01.painless", "return 1.0;")]);
    scorelab()
        .args(["eval", "--set"])
        .arg(&set)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no query.painless").and(predicate::str::contains("set")));
}

#[test]
fn bad_sort_file_names_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in ["sort_1.painless", "sort_ab.painless"] {
        let set = tmp.path().join(bad);
        write_set(&set, &[("query.painless", "return 1.0;"), (bad, "return 1.0;")]);
        scorelab()
            .args(["eval", "--set"])
            .arg(&set)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(bad).and(predicate::str::contains("two-digit")));
    }
}

#[test]
fn unknown_store_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    scorelab()
        .args(["eval", "--set"])
        .arg(repo("scripts/baseline"))
        .arg("--store")
        .arg(tmp.path().join("no-such-store"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-store"));
}

#[test]
fn set_and_query_are_exclusive() {
    scorelab()
        .args(["eval", "--set", "a", "--query", "b.painless"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}

// needs the interpreter
#[test]
fn compile_error_exits_1_with_file_and_es_json() {
    let tmp = tempfile::tempdir().unwrap();
    let store = small_store(tmp.path());
    let set = tmp.path().join("set");
    write_set(&set, &[("query.painless", "return undefinedVariable + 1.0;")]);
    scorelab().args(["eval", "--set"]).arg(&set).arg("--store").arg(&store).assert().code(1).stdout(
        predicate::str::contains("query.painless")
            .and(predicate::str::contains("script_exception"))
            .and(predicate::str::contains("compile error")),
    );
}

// needs the interpreter
#[test]
fn negative_score_exits_1_with_the_es_message() {
    let tmp = tempfile::tempdir().unwrap();
    let store = small_store(tmp.path());
    let set = tmp.path().join("set");
    write_set(&set, &[("query.painless", "return -1.0;")]);
    scorelab().args(["eval", "--set"]).arg(&set).arg("--store").arg(&store).assert().code(1).stdout(
        predicate::str::contains("Must be a non-negative score!")
            .and(predicate::str::contains("illegal_argument_exception")),
    );
}

// needs the interpreter
#[test]
fn runtime_error_exits_1_and_names_users() {
    let tmp = tempfile::tempdir().unwrap();
    let store = small_store(tmp.path());
    let set = tmp.path().join("set");
    write_set(&set, &[("query.painless", "int zero = params.user_vector.size() - 2;\nreturn 1 / zero;")]);
    scorelab()
        .args(["eval", "--set"])
        .arg(&set)
        .arg("--store")
        .arg(&store)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("runtime errors").and(predicate::str::contains("arithmetic_exception")));
}

// needs the interpreter
#[test]
fn example_sets_run_on_a_small_store() {
    let tmp = tempfile::tempdir().unwrap();
    let store = small_store(tmp.path());
    for set in ["baseline", "max-similarity", "log-popularity", "recency", "genre-diversity"] {
        let out = scorelab()
            .args(["eval", "--json", "--random-control", "--set"])
            .arg(repo(&format!("scripts/{set}")))
            .arg("--store")
            .arg(&store)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{set}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let ndcg = body["result"]["metrics"]["ndcg"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&ndcg), "{set}: {ndcg}");
        assert!(body["random_control"]["metrics"]["ndcg"].is_number());
        if set == "genre-diversity" {
            assert_eq!(body["result"]["diagnostics"]["sort_effects"].as_array().unwrap().len(), 1);
        }
    }
}

// needs the interpreter
#[test]
fn same_figures_at_one_and_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let store = small_store(tmp.path());
    let run = |threads: &str| {
        let out = scorelab()
            .args(["eval", "--json", "--threads", threads, "--set"])
            .arg(repo("scripts/genre-diversity"))
            .arg("--store")
            .arg(&store)
            .output()
            .unwrap();
        assert!(out.status.success());
        let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        body["result"].clone()
    };
    assert_eq!(run("1"), run("2"));
}

// needs the interpreter
#[test]
fn baseline_writes_a_run_and_compares_with_the_last_one() {
    let tmp = tempfile::tempdir().unwrap();
    let store = small_store(tmp.path());
    let runs = tmp.path().join("runs");
    let baseline = |extra: &[&str]| {
        let mut cmd = scorelab();
        cmd.args(["baseline", "--set"])
            .arg(repo("scripts/baseline"))
            .arg("--store")
            .arg(&store)
            .arg("--runs-dir")
            .arg(&runs);
        cmd.args(extra);
        cmd.assert()
    };
    baseline(&[]).success().stdout(predicate::str::contains("run written to"));
    let run_dirs = scorelab::run::list_runs(&runs).unwrap();
    assert_eq!(run_dirs.len(), 1);
    let run = scorelab::run::RunDir::open(&run_dirs[0]).unwrap();
    assert!(run.meta().baseline.metrics.is_some());
    assert_eq!(run.meta().settings.guardrail, scorelab::metrics::Metric::Ild);
    let log = run.read_log().unwrap();
    assert_eq!(log.records.len(), 1);
    assert_eq!(log.records[0].status, scorelab::run::IterationStatus::Baseline);
    assert_eq!(run.read_snapshot(0).unwrap(), scorelab::rank::ScriptSet::open(&repo("scripts/baseline")).unwrap());

    baseline(&[]).success().stdout(predicate::str::contains("baseline matches the last recorded one"));

    // Pretend the previous run recorded other figures: the harness "moved", which must be loud.
    let last = scorelab::run::list_runs(&runs).unwrap().pop().unwrap();
    let mut run = scorelab::run::RunDir::open(&last).unwrap();
    let mut meta = run.meta().clone();
    meta.baseline.metrics.as_mut().unwrap().ndcg += 0.01;
    run.set_meta(meta).unwrap();
    baseline(&[]).success().stderr(predicate::str::contains("WARNING: THE BASELINE MOVED"));
}

// needs the interpreter and the MovieLens data under data/ml-latest-small
#[test]
#[ignore = "builds the MovieLens demo store under .scorelab/ on first use (minutes in a debug build); run with --ignored"]
fn movielens_baseline_beats_the_random_control() {
    let out = scorelab()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["eval", "--json", "--random-control", "--set", "scripts/baseline"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["store"]["dataset"], "movielens");
    let ndcg = body["result"]["metrics"]["ndcg"].as_f64().unwrap();
    let random = body["random_control"]["metrics"]["ndcg"].as_f64().unwrap();
    assert!(ndcg > 3.0 * random, "baseline {ndcg} vs random {random}");
}

// needs the interpreter
#[test]
fn checker_warnings_are_printed_and_in_json() {
    let tmp = tempfile::tempdir().unwrap();
    let store = small_store(tmp.path());
    let set = tmp.path().join("set");
    write_set(&set, &[("query.painless", "return params.boost == null ? 1.0 : 2.0;")]);
    scorelab()
        .args(["eval", "--set"])
        .arg(&set)
        .arg("--store")
        .arg(&store)
        .assert()
        .success()
        .stderr(predicate::str::contains("warning[C251]").and(predicate::str::contains("available params")));
    let eval_json = |set: &Path| -> serde_json::Value {
        let out = scorelab().args(["eval", "--json", "--set"]).arg(set).arg("--store").arg(&store).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let body = eval_json(&set);
    assert_eq!(body["warnings"][0]["code"], "C251");
    assert_eq!(body["warnings"][0]["script"], "query.painless");
    // An item field read through params: the help says where the value is.
    let misread = tmp.path().join("misread");
    write_set(&misread, &[("query.painless", "return params.popularity == null ? 1.0 : 2.0;")]);
    let help = eval_json(&misread)["warnings"][0]["help"].as_str().unwrap().to_string();
    assert!(help.starts_with("popularity is an item field, not a param: read it as doc['popularity'].value"), "{help}");
    let clean = tmp.path().join("clean");
    write_set(&clean, &[("query.painless", "return 1.0;")]);
    assert_eq!(eval_json(&clean)["warnings"], serde_json::json!([]));
}

/// Runs a short loop on the small store and returns its run directory.
fn short_loop(store: &Path, runs: &Path, provider: &str, seed: &str) -> PathBuf {
    scorelab()
        .args(["loop", "--iters", "3", "--seed", seed, "--provider", provider, "--store"])
        .arg(store)
        .arg("--runs-dir")
        .arg(runs)
        .arg("--baseline-dir")
        .arg(repo("scripts/baseline"))
        .env_remove("LLM_PROVIDER")
        .assert()
        .success();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(runs).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(dirs.len(), 1);
    dirs.pop().unwrap()
}

fn json_of(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn first_line(run: &Path) -> serde_json::Value {
    serde_json::from_str(std::fs::read_to_string(run.join("run.jsonl")).unwrap().lines().next().unwrap()).unwrap()
}

#[test]
fn eval_users_and_compare_follow_the_runs_split() {
    // needs the interpreter
    let tmp = tempfile::tempdir().unwrap();
    let store = small_store(tmp.path());
    let arms: Vec<PathBuf> =
        ["builtin", "random", "weights"].iter().map(|p| short_loop(&store, &tmp.path().join(p), p, "4")).collect();
    let meta = json_of(&arms[0].join("meta.json"));
    let (selection, holdout) = (
        meta["cohort"]["user_ids"].as_array().unwrap().len(),
        meta["split"]["holdout"]["user_ids"].as_array().unwrap().len(),
    );
    assert!(holdout > 0 && selection > holdout, "{selection} / {holdout}");
    for other in &arms[1..] {
        assert_eq!(json_of(&other.join("meta.json"))["split"], meta["split"], "same seed, same split");
    }

    // `eval --users` re-scores the baseline on the run's users: the figures its log recorded.
    let eval = |users: &str| -> serde_json::Value {
        let out = scorelab()
            .args(["eval", "--set"])
            .arg(repo("scripts/baseline"))
            .arg("--run")
            .arg(&arms[0])
            .args(["--users", users, "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let baseline = first_line(&arms[0]);
    let held = eval("holdout");
    assert_eq!(held["cohort"]["users"], holdout);
    assert_eq!(held["result"]["metrics"], baseline["holdout"]["metrics"]);
    assert_eq!(held["users"]["set"], "holdout");
    assert_eq!(eval("selection")["result"]["metrics"], baseline["metrics"]);
    assert_eq!(eval("all")["cohort"]["users"], selection + holdout);
    // Flags the run's meta.json decides are refused with --run, never silently ignored.
    for (flag, value) in [("--seed", "3"), ("--k", "5"), ("--cohort-size", "9"), ("--threshold", "2"), ("--store", "x")]
    {
        let out = scorelab()
            .args(["eval", "--set"])
            .arg(repo("scripts/baseline"))
            .arg("--run")
            .arg(&arms[0])
            .args([flag, value])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(flag) && stderr.contains("--run") && stderr.contains("cannot be used with"),
            "{stderr}"
        );
    }

    // `baseline --users holdout` starts a run on those users and records where they came from.
    let baselines = tmp.path().join("baselines");
    let out = scorelab()
        .args(["baseline", "--set"])
        .arg(repo("scripts/baseline"))
        .arg("--run")
        .arg(&arms[0])
        .args(["--users", "holdout", "--json", "--runs-dir"])
        .arg(&baselines)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let made_meta = json_of(&PathBuf::from(made["run"].as_str().unwrap()).join("meta.json"));
    assert_eq!(made_meta["cohort"]["user_ids"], meta["split"]["holdout"]["user_ids"]);
    assert_eq!(made_meta["users_from"]["set"], "holdout");
    assert_eq!(made_meta["users_from"]["run"], arms[0].display().to_string());
    assert_eq!(made_meta["users_from"]["split"], meta["split"]);
    assert_eq!(made["result"]["metrics"], baseline["holdout"]["metrics"]);

    // compare: each verdict's mean difference is the mean of the per-user differences it reports.
    let html = tmp.path().join("arms.html");
    let out = scorelab().arg("compare").args(&arms).arg("--html").arg(&html).arg("--json").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(c["holdout_users"], holdout);
    let by_arm: Vec<Vec<f64>> = c["per_user"]["primary_by_arm"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect())
        .collect();
    assert_eq!(by_arm.len(), 3);
    for (i, verdict) in c["verdicts"].as_array().unwrap().iter().enumerate() {
        let other = &by_arm[i + 1];
        let by_hand = by_arm[0].iter().zip(other).map(|(a, b)| a - b).sum::<f64>() / other.len() as f64;
        let recorded = verdict["difference"]["mean_diff"].as_f64().unwrap();
        assert!((recorded - by_hand).abs() < 1e-12, "{recorded} vs {by_hand}");
        let p = verdict["difference"]["p_value"].as_f64().unwrap();
        let expected = if p < 0.05 && by_hand > 0.0 {
            "better"
        } else if p < 0.05 && by_hand < 0.0 {
            "worse"
        } else {
            "no significant difference"
        };
        assert_eq!(verdict["verdict"], expected);
    }
    // Each arm's best's held-out mean is what its log recorded.
    for (arm, values) in c["arms"].as_array().unwrap().iter().zip(&by_arm) {
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let curve = arm["curve"].as_array().unwrap();
        let last = curve.last().unwrap()["holdout_primary"].as_f64().unwrap();
        assert!((mean - last).abs() < 1e-12, "{mean} vs {last}");
    }
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("held-out"));

    // Runs on different held-out users are refused, naming the field.
    let other_seed = short_loop(&store, &tmp.path().join("other"), "builtin", "5");
    scorelab()
        .arg("compare")
        .arg(&arms[0])
        .arg(&other_seed)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("held-out users"));
    // Asking for the held-out users of a run without them is a clear error.
    let in_sample = tmp.path().join("in-sample");
    scorelab()
        .args(["loop", "--iters", "1", "--holdout", "0", "--store"])
        .arg(&store)
        .arg("--runs-dir")
        .arg(&in_sample)
        .arg("--baseline-dir")
        .arg(repo("scripts/baseline"))
        .env_remove("LLM_PROVIDER")
        .assert()
        .success()
        .stdout(predicate::str::contains("in-sample"));
    let run = std::fs::read_dir(&in_sample).unwrap().next().unwrap().unwrap().path();
    scorelab()
        .args(["eval", "--set"])
        .arg(repo("scripts/baseline"))
        .arg("--run")
        .arg(&run)
        .args(["--users", "holdout"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds no users out"));
}

/// The memory budget is shared by the worker threads: each evaluation gets `budget / threads`, so the
/// evaluations running at once stay under it together (issue 17). A script allocating ~1.5 MiB per
/// evaluation fits a 2 MiB budget on one thread and not its 1 MiB share on two, and the error says so.
#[test]
fn the_memory_budget_is_shared_by_the_worker_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let store = small_store(tmp.path());
    let query = tmp.path().join("q.painless");
    // 60,000 list elements of 24-32 bytes each: 1.4-1.9 MiB charged, whatever Value's exact size.
    std::fs::write(&query, "List l = new ArrayList(); for (int i = 0; i < 60000; ++i) { l.add(i) } return 1.0;\n")
        .unwrap();
    let eval = |threads: &str| -> serde_json::Value {
        let out = scorelab()
            .args(["eval", "--json", "--memory-budget", "2", "--threads", threads, "--store"])
            .arg(&store)
            .arg("--query")
            .arg(&query)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    assert_eq!(eval("1")["result"]["status"], "ok");
    let two = eval("2");
    assert_eq!(two["result"]["status"], "runtime_error", "{two}");
    let text = two["result"].to_string();
    assert!(
        text.contains("memory budget of 1048576 bytes in one evaluation (the memory budget of 2097152 bytes shared by 2 worker threads)"),
        "{text}"
    );
}
