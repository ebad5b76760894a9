//! The run directory format (schema_version 1): write-once snapshots, atomic meta.json, append-only
//! run.jsonl, detection of half-written snapshots, and reading a checked-in v1 fixture.

use scorelab::metrics::{Metric, MetricSet};
use scorelab::rank::{Dialect, ScriptSet, SortOrder};
use scorelab::run::{
    CohortRef, IterationRecord, IterationStatus, RunDir, RunError, RunMeta, RunSettings, SCHEMA_VERSION, StoreRef,
    Summary, Timings, Tokens, last_comparable_baseline,
};
use std::path::Path;

fn meta(created: &str) -> RunMeta {
    RunMeta {
        schema_version: SCHEMA_VERSION,
        scorelab_version: "test".into(),
        created: created.into(),
        store: StoreRef { path: "stores/x".into(), checksum: "sha256:abc".into(), dataset: "x".into() },
        settings: RunSettings {
            k: 10,
            threshold: 4.0,
            cohort_size: 2,
            diversity_fields: vec!["genres".into()],
            objective: Metric::Ndcg,
            guardrail: Metric::Ild,
            engine: "local".into(),
            dialect: Dialect::Elasticsearch,
            seed: 1,
            max_sort_scripts: 3,
            harness_params: Default::default(),
        },
        cohort: CohortRef { user_ids: vec!["1".into(), "2".into()], checksum: "sha256:c0".into() },
        split: None,
        users_from: None,
        baseline: Default::default(),
        summary: Default::default(),
        vector_arithmetic: None,
    }
}

fn record(iteration: u32, status: IterationStatus, metrics: Option<MetricSet>) -> IterationRecord {
    IterationRecord {
        schema_version: SCHEMA_VERSION,
        iteration,
        parent: iteration.checked_sub(1),
        status,
        rationale: Some("because".into()),
        snapshot: scorelab::run::snapshot_name(iteration),
        metrics,
        diagnostics: serde_json::json!({"coverage_at_k": 0.1}),
        errors: vec![],
        attempts: 1,
        timings: Timings { compile_ms: 1.0, eval_ms: 2.0, engine_ms: None, llm_ms: None },
        tokens: Tokens::default(),
        cost_usd: 0.0,
        drift: None,
        paired: None,
        holdout: None,
        timestamp: "2026-11-25T14:00:00Z".into(),
        tuning: None,
    }
}

fn no_temp_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().all(|e| {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        !name.starts_with(".tmp")
    })
}

#[test]
fn create_names_dir_by_timestamp_and_never_reuses_it() {
    let runs = tempfile::tempdir().unwrap();
    let a = RunDir::create(runs.path(), meta("2026-11-25T14:03:09Z")).unwrap();
    let b = RunDir::create(runs.path(), meta("2026-11-25T14:03:09Z")).unwrap();
    assert_eq!(a.path().file_name().unwrap(), "20261125-140309");
    assert_eq!(b.path().file_name().unwrap(), "20261125-140309-2");
    assert!(a.path().join("run.jsonl").is_file());
}

#[test]
fn log_appends_and_reads_back_in_order() {
    let runs = tempfile::tempdir().unwrap();
    let run = RunDir::create(runs.path(), meta("2026-11-25T14:03:09Z")).unwrap();
    let m = MetricSet { ndcg: 0.5, recall: 0.25, precision: 0.1, ild: 0.9 };
    run.append(&record(0, IterationStatus::Baseline, Some(m))).unwrap();
    run.append(&record(1, IterationStatus::CompileError, None)).unwrap();
    let log = run.read_log().unwrap();
    assert_eq!(log.records.len(), 2);
    assert_eq!(log.records[0].metrics, Some(m));
    assert_eq!(log.records[1].status, IterationStatus::CompileError);
    assert!(log.torn_tail.is_none());
    let text = std::fs::read_to_string(run.path().join("run.jsonl")).unwrap();
    assert_eq!(text.lines().count(), 2, "one line per record");
}

#[test]
fn torn_last_line_is_reported_not_fatal_but_bad_middle_line_is_an_error() {
    let runs = tempfile::tempdir().unwrap();
    let run = RunDir::create(runs.path(), meta("2026-11-25T14:03:09Z")).unwrap();
    run.append(&record(0, IterationStatus::Baseline, None)).unwrap();
    let log_path = run.path().join("run.jsonl");
    let mut text = std::fs::read_to_string(&log_path).unwrap();
    text.push_str("{\"schema_version\":1,\"itera");
    std::fs::write(&log_path, &text).unwrap();
    let log = run.read_log().unwrap();
    assert_eq!(log.records.len(), 1);
    assert!(log.torn_tail.is_some());

    text.push('\n');
    text.push_str(&serde_json::to_string(&record(1, IterationStatus::Rejected, None)).unwrap());
    text.push('\n');
    std::fs::write(&log_path, &text).unwrap();
    let err = run.read_log().unwrap_err();
    assert!(matches!(err, RunError::BadLogLine { line: 2, .. }), "{err}");
}

#[test]
fn snapshot_is_write_once_and_round_trips() {
    let runs = tempfile::tempdir().unwrap();
    let run = RunDir::create(runs.path(), meta("2026-11-25T14:03:09Z")).unwrap();
    let set = ScriptSet::new("return 1.0;").with_sort("return doc['x'].value;", SortOrder::Asc).unwrap();
    let path = run.write_snapshot(0, &set, &serde_json::json!({"why": "baseline"})).unwrap();
    assert_eq!(path.file_name().unwrap(), "iter_000");
    assert!(path.join("proposal.json").is_file());
    assert_eq!(run.read_snapshot(0).unwrap(), set);

    let other = ScriptSet::new("return 2.0;");
    let err = run.write_snapshot(0, &other, &serde_json::json!({})).unwrap_err();
    assert!(matches!(err, RunError::SnapshotExists { .. }), "{err}");
    assert_eq!(run.read_snapshot(0).unwrap(), set, "the first snapshot is untouched");
    assert!(no_temp_files(run.path()));
    assert!(run.incomplete_snapshots().unwrap().is_empty());
}

#[test]
fn half_written_snapshots_are_detected() {
    let runs = tempfile::tempdir().unwrap();
    let run = RunDir::create(runs.path(), meta("2026-11-25T14:03:09Z")).unwrap();
    std::fs::create_dir(run.path().join(".tmp-iter_001-999")).unwrap();
    std::fs::create_dir(run.path().join("iter_002")).unwrap();
    let found = run.incomplete_snapshots().unwrap();
    let names: Vec<String> = found.iter().map(|s| s.path.file_name().unwrap().to_string_lossy().to_string()).collect();
    assert_eq!(names, vec![".tmp-iter_001-999", "iter_002"]);
}

#[test]
fn meta_rewrite_is_atomic_and_persisted() {
    let runs = tempfile::tempdir().unwrap();
    let mut run = RunDir::create(runs.path(), meta("2026-11-25T14:03:09Z")).unwrap();
    let summary = Summary {
        best_iteration: Some(3),
        best_primary: Some(0.41),
        guardrail_held: Some(true),
        iterations_attempted: 4,
        final_message: Some("done".into()),
        ..Default::default()
    };
    run.update_summary(summary.clone()).unwrap();
    assert!(no_temp_files(run.path()));
    let reopened = RunDir::open(run.path()).unwrap();
    assert_eq!(reopened.meta().summary, summary);
    assert_eq!(reopened.meta(), run.meta());
}

#[test]
fn newer_schema_is_refused_with_the_path() {
    let runs = tempfile::tempdir().unwrap();
    let run = RunDir::create(runs.path(), meta("2026-11-25T14:03:09Z")).unwrap();
    let meta_path = run.path().join("meta.json");
    let text = std::fs::read_to_string(&meta_path).unwrap().replace("\"schema_version\": 1", "\"schema_version\": 99");
    std::fs::write(&meta_path, text).unwrap();
    let err = RunDir::open(run.path()).unwrap_err();
    assert!(matches!(err, RunError::NewerSchema { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("meta.json"));
}

#[test]
fn checked_in_v1_fixture_still_reads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run_v1");
    let run = RunDir::open(&dir).unwrap();
    let meta = run.meta();
    assert_eq!(meta.schema_version, 1);
    assert_eq!(meta.settings.k, 10);
    assert_eq!(meta.settings.objective, Metric::Ndcg);
    assert_eq!(meta.cohort.user_ids, vec!["1", "7", "42"]);
    assert_eq!(meta.baseline.metrics.unwrap().ild, 0.75);
    let log = run.read_log().unwrap();
    assert_eq!(log.records.len(), 2);
    assert_eq!(log.records[1].status, IterationStatus::CompileError);
    assert_eq!(log.records[1].tokens.input, 1200);
    let set = run.read_snapshot(0).unwrap();
    assert!(set.query.source.contains("cosineSimilarity"));
    assert!(set.sorts.is_empty());
}

#[test]
fn last_comparable_baseline_matches_store_and_cohort() {
    let runs = tempfile::tempdir().unwrap();
    let mut first = RunDir::create(runs.path(), meta("2026-11-25T14:00:00Z")).unwrap();
    let mut m = first.meta().clone();
    m.baseline.metrics = Some(MetricSet { ndcg: 0.3, recall: 0.2, precision: 0.1, ild: 0.5 });
    first.set_meta(m).unwrap();
    let mut other_store = meta("2026-11-25T14:01:00Z");
    other_store.store.checksum = "sha256:other".into();
    other_store.baseline.metrics = Some(MetricSet::default());
    RunDir::create(runs.path(), other_store).unwrap();

    let (path, found) = last_comparable_baseline(runs.path(), &meta("2026-11-25T15:00:00Z")).unwrap().unwrap();
    assert_eq!(path, first.path());
    assert_eq!(found.ndcg, 0.3);
}
