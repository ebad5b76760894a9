//! `scorelab report`, `runs` and `show` on a recorded run fixture (tests/fixtures/report_run: ten
//! iterations covering every status, an evolutionary lineage, ES-shaped compile and runtime
//! errors, sort scripts and a drift check). Each test copies the fixture into a temp dir.

use assert_cmd::Command;
use predicates::prelude::*;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/report_run");
const RUN_NAME: &str = "20261125-101502";

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() != "report.png" {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A temp dir holding `runs/<RUN_NAME>/`, a copy of the fixture.
fn fixture_run() -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let run = temp.path().join("runs").join(RUN_NAME);
    copy_dir(Path::new(FIXTURE), &run);
    (temp, run)
}

fn scorelab() -> Command {
    let mut cmd = Command::cargo_bin("scorelab").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn render(run: &Path) -> String {
    scorelab().arg("report").arg(run).assert().success().stdout(predicate::str::contains("report.html"));
    fs::read_to_string(run.join("report.html")).unwrap()
}

/// Values of every `name="..."` attribute in the document.
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let needle = format!(" {name}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest[..rest.find('"').expect("closed attribute")].to_string()
        })
        .collect()
}

#[test]
fn report_has_a_chart_per_metric_and_one_for_compile_errors() {
    let (_temp, run) = fixture_run();
    let html = render(&run);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<svg class=\"chart").count(), 5, "four metric charts and the compile-error chart");
    for id in ["chart-ndcg", "chart-recall", "chart-precision", "chart-ild", "chart-compile-errors"] {
        assert!(
            html.contains(&format!("<svg class=\"chart primary\" id=\"{id}\""))
                || html.contains(&format!("<svg class=\"chart\" id=\"{id}\"")),
            "{id}"
        );
    }
    // The primary (ndcg) is the highlighted chart; the guardrail chart draws the baseline line.
    assert!(html.contains("<svg class=\"chart primary\" id=\"chart-ndcg\""));
    let ild_chart = &html[html.find("id=\"chart-ild\"").unwrap()..];
    let ild_chart = &ild_chart[..ild_chart.find("</svg>").unwrap()];
    assert!(ild_chart.contains("class=\"hline\""), "guardrail baseline line");
    assert!(ild_chart.contains(">guardrail: baseline ild@10 = 0.7130</text>"));
    // Every status has its own marker in the legend.
    for status in ["baseline", "accepted", "rejected", "guardrail violation", "compile error", "runtime error", "drift"]
    {
        assert!(ild_chart.contains(&format!(">{status}</text>")), "legend entry {status}");
    }
}

#[test]
fn leaderboard_has_one_row_per_iteration_and_marks_the_best() {
    let (_temp, run) = fixture_run();
    let html = render(&run);
    let rows: Vec<String> = attribute_values(&html, "id").into_iter().filter(|id| id.starts_with("lb-")).collect();
    let expected: Vec<String> = (0..10).map(|n| format!("lb-{n}")).collect();
    let mut sorted = rows.clone();
    sorted.sort_by_key(|id| id[3..].parse::<u32>().unwrap());
    assert_eq!(sorted, expected);
    // Ranked by ndcg: the drifting iteration 8 scores highest locally, the best is 7.
    assert_eq!(&rows[..2], ["lb-8", "lb-7"]);
    assert!(html.contains("<tr id=\"lb-7\" class=\"best\">"));
    assert!(html.contains("<section class=\"iteration best\" id=\"iter-7\">"));
}

#[test]
fn every_internal_link_resolves_and_nothing_is_loaded_from_outside() {
    let (_temp, run) = fixture_run();
    let html = render(&run);
    let ids: BTreeSet<String> = attribute_values(&html, "id").into_iter().collect();
    let hrefs = attribute_values(&html, "href");
    assert!(hrefs.len() > 40, "links to iterations from charts, leaderboard, lineage: {}", hrefs.len());
    for href in &hrefs {
        let target = href.strip_prefix('#').unwrap_or_else(|| panic!("external link {href}"));
        assert!(ids.contains(target), "href=\"{href}\" has no matching id");
    }
    for value in hrefs.iter().chain(&attribute_values(&html, "src")) {
        assert!(!value.contains("http://") && !value.contains("https://"), "{value}");
    }
    let lower = html.to_ascii_lowercase();
    for forbidden in ["<script", "<link", "@import", "url(", "<iframe", "<img"] {
        assert!(!lower.contains(forbidden), "the report must be self-contained: found {forbidden}");
    }
}

#[test]
fn untrusted_text_is_escaped() {
    let (_temp, run) = fixture_run();
    let html = render(&run);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"));
    assert!(!html.contains("<script>alert(1)"));
    // Scripts are escaped too: `doc['popularity']` keeps its quotes as entities, `<` in code is text.
    assert!(html.contains("doc[&#39;popularity&#39;]"));
    assert!(html.contains("i &lt; params.user_items.size()"));
}

#[test]
fn report_shows_lineage_diffs_errors_and_diagnostics() {
    let (_temp, run) = fixture_run();
    let html = render(&run);
    let lineage =
        &html[html.find("<section id=\"lineage\">").unwrap()..html.find("<section id=\"compile-errors\">").unwrap()];
    assert!(lineage.contains("<ul class=\"tree\">"));
    for n in 0..10 {
        assert!(lineage.contains(&format!("href=\"#iter-{n}\"")), "iteration {n} in the lineage tree");
    }
    // Iteration 7 (parent 5) adds a popularity prior and a sort script.
    let iter7 = &html[html.find("id=\"iter-7\"").unwrap()..html.find("id=\"iter-8\"").unwrap()];
    assert!(iter7.contains("Diff against iteration 5"));
    assert!(
        iter7.contains("<span class=\"d-add\">+double pop = Math.log(1 + doc[&#39;popularity&#39;].value);</span>")
    );
    assert!(iter7.contains("<span class=\"d-file\">+++ b/sort_01.painless</span>"));
    assert!(iter7.contains("<span class=\"d-file\">--- /dev/null</span>"));
    assert!(
        iter7.contains("Parent chosen by the proposer: Iteration 5 is the strongest line &amp; has only been edited once &lt;b&gt;so far&lt;/b&gt;."),
        "the proposer's parent choice, escaped"
    );
    assert!(!html[html.find("id=\"iter-6\"").unwrap()..html.find("id=\"iter-7\"").unwrap()].contains("Parent chosen"));
    let iter3 = &html[html.find("id=\"iter-3\"").unwrap()..html.find("id=\"iter-4\"").unwrap()];
    assert!(iter3.contains("<strong>illegal_argument_exception</strong>: cannot resolve symbol [popularty]"));
    assert!(iter3.contains("^---- HERE"));
    let iter6 = &html[html.find("id=\"iter-6\"").unwrap()..html.find("id=\"iter-7\"").unwrap()];
    assert!(iter6.contains("<strong>illegal_state_exception</strong>"), "error found inside the search envelope");
    let diagnostics =
        &html[html.find("<section id=\"diagnostics\">").unwrap()..html.find("<section id=\"iterations\">").unwrap()];
    assert!(diagnostics.contains("<td>coverage_at_k</td><td class=\"num\">0.1187</td><td class=\"num\">0.1288</td>"));
    assert!(
        diagnostics
            .contains("<td>ndcg_by_activity[high].ndcg</td><td class=\"num\">0.3847</td><td class=\"num\">0.4299</td>")
    );
    assert!(diagnostics.contains("<td>concentration[genres].top_share</td>"));
}

#[test]
fn report_out_writes_where_asked_only() {
    let (temp, run) = fixture_run();
    let out = temp.path().join("elsewhere.html");
    scorelab().arg("report").arg(&run).arg("--out").arg(&out).assert().success();
    assert!(fs::read_to_string(&out).unwrap().contains("scorelab run 20261125-101502"));
    assert!(!run.join("report.html").exists());
    let leftovers: Vec<_> = fs::read_dir(temp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temp file left behind");
}

#[test]
fn report_tolerates_unknown_and_missing_fields() {
    let (_temp, run) = fixture_run();
    let mut meta: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(run.join("meta.json")).unwrap()).unwrap();
    meta["schema_version"] = 2.into();
    meta["a_future_field"] = serde_json::json!({"nested": true});
    meta.as_object_mut().unwrap().remove("summary");
    fs::write(run.join("meta.json"), meta.to_string()).unwrap();
    let log = fs::read_to_string(run.join("run.jsonl")).unwrap();
    let trimmed: Vec<String> = log
        .lines()
        .map(|line| {
            let mut record: serde_json::Value = serde_json::from_str(line).unwrap();
            let object = record.as_object_mut().unwrap();
            object.remove("diagnostics");
            object.remove("tokens");
            object.insert("novelty".into(), serde_json::json!([1, 2, 3]));
            record.to_string()
        })
        .collect();
    fs::write(run.join("run.jsonl"), trimmed.join("\n") + "\n").unwrap();
    let html = render(&run);
    // Without a summary the best is worked out from the log: iteration 8 drifted, so 7 is best.
    assert!(html.contains("<tr id=\"lb-7\" class=\"best\">"));
    assert_eq!(html.matches("<tr id=\"lb-").count(), 10);
}

#[test]
fn an_interrupted_last_line_is_skipped_with_a_warning() {
    let (_temp, run) = fixture_run();
    let mut log = fs::read_to_string(run.join("run.jsonl")).unwrap();
    log.push_str("{\"schema_version\": 1, \"iteration\": 10, \"par");
    fs::write(run.join("run.jsonl"), log).unwrap();
    scorelab()
        .arg("report")
        .arg(&run)
        .assert()
        .success()
        .stderr(predicate::str::contains("run.jsonl line 11: incomplete last line ignored"));
    let html = fs::read_to_string(run.join("report.html")).unwrap();
    assert_eq!(html.matches("<tr id=\"lb-").count(), 10);
    assert!(html.contains("class=\"warning\""));
}

#[test]
fn a_corrupt_line_is_an_error_naming_file_and_line() {
    let (_temp, run) = fixture_run();
    let log = fs::read_to_string(run.join("run.jsonl")).unwrap();
    let mut lines: Vec<&str> = log.lines().collect();
    lines[4] = "{\"iteration\": 4, \"status\": oops}";
    fs::write(run.join("run.jsonl"), lines.join("\n") + "\n").unwrap();
    for command in ["report", "show"] {
        scorelab()
            .arg(command)
            .arg(&run)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("run.jsonl line 5, column"))
            .stderr(predicate::str::contains("not valid JSON"));
    }
    assert!(!run.join("report.html").exists(), "nothing written for a run that cannot be read");
}

#[test]
fn a_line_without_an_iteration_number_names_the_field() {
    let (_temp, run) = fixture_run();
    let log = fs::read_to_string(run.join("run.jsonl")).unwrap();
    let mut lines: Vec<&str> = log.lines().collect();
    lines[2] = "{\"status\": \"rejected\"}";
    fs::write(run.join("run.jsonl"), lines.join("\n") + "\n").unwrap();
    scorelab()
        .arg("report")
        .arg(&run)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("run.jsonl line 3: field `iteration`"));
}

#[test]
fn a_missing_meta_json_is_an_error_naming_it() {
    let (_temp, run) = fixture_run();
    fs::remove_file(run.join("meta.json")).unwrap();
    for command in ["report", "show"] {
        scorelab().arg(command).arg(&run).assert().code(2).stderr(predicate::str::contains("meta.json"));
    }
}

#[test]
fn runs_lists_newest_first_with_summary() {
    let (temp, run) = fixture_run();
    let older = temp.path().join("runs").join("20261101-090000");
    copy_dir(&run, &older);
    let mut meta: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(older.join("meta.json")).unwrap()).unwrap();
    meta["summary"]["guardrail_held"] = false.into();
    meta["settings"]["objective"] = "ild".into();
    meta["settings"]["guardrail"] = "ndcg".into();
    fs::write(older.join("meta.json"), meta.to_string()).unwrap();
    fs::create_dir_all(temp.path().join("runs").join("not-a-run")).unwrap();

    let output = scorelab().current_dir(temp.path()).arg("runs").assert().success().get_output().stdout.clone();
    let text = String::from_utf8(output).unwrap();
    assert!(!text.contains('\x1b'), "no colour when stdout is not a terminal");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("run "));
    assert!(lines[1].contains(" 2026-11-25 10:15:02 "), "{}", lines[1]);
    assert!(
        lines[1].starts_with(RUN_NAME)
            && lines[1].contains("ndcg@10 / ild@10")
            && lines[1].contains("0.3269")
            && lines[1].ends_with("yes"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("20261101-090000") && lines[2].contains("ild@10 / ndcg@10") && lines[2].ends_with("no"),
        "{}",
        lines[2]
    );

    let output = scorelab()
        .arg("runs")
        .arg("--runs-dir")
        .arg(temp.path().join("runs"))
        .arg("--json")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let listed: serde_json::Value = serde_json::from_slice(&output).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["name"], RUN_NAME);
    assert_eq!(listed[0]["iterations"], 10);
    assert_eq!(listed[0]["best_iteration"], 7);
    assert_eq!(listed[0]["best_primary"], 0.3269);
    assert_eq!(listed[0]["guardrail_held"], true);
    assert_eq!(listed[1]["guardrail_held"], false);
    // Store, lineage and gain are listed (the gain of the best over the baseline, on the selection users).
    let baseline = listed[0]["best_primary"].as_f64().unwrap() / (1.0 + listed[0]["gain"].as_f64().unwrap());
    let first_line = fs::read_to_string(temp.path().join("runs").join(RUN_NAME).join("run.jsonl")).unwrap();
    let record: serde_json::Value = serde_json::from_str(first_line.lines().next().unwrap()).unwrap();
    assert!((baseline - record["metrics"]["ndcg"].as_f64().unwrap()).abs() < 1e-9, "{}", listed[0]);
    assert!(listed[0].get("store").is_some() && listed[0].get("lineage").is_some(), "{}", listed[0]);
    assert!(
        lines[0].contains(" store ") && lines[0].contains(" lineage ") && lines[0].contains(" gain "),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains(&format!("{:+.1} %", 100.0 * listed[0]["gain"].as_f64().unwrap())), "{}", lines[1]);

    // `show` and `report` take the bare name `runs` prints.
    scorelab()
        .current_dir(temp.path())
        .args(["show", RUN_NAME])
        .assert()
        .success()
        .stdout(predicate::str::contains("iteration 7 · accepted"));
    scorelab().current_dir(temp.path()).args(["report", RUN_NAME, "--out", "bare.html"]).assert().success();
    assert!(temp.path().join("bare.html").is_file());
}

#[test]
fn runs_reports_an_unreadable_run_and_exits_1() {
    let (temp, run) = fixture_run();
    let broken = temp.path().join("runs").join("20261120-000000");
    fs::create_dir_all(&broken).unwrap();
    fs::write(broken.join("meta.json"), "{ not json").unwrap();
    scorelab()
        .current_dir(temp.path())
        .arg("runs")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(RUN_NAME))
        .stdout(predicate::str::contains("unreadable run").and(predicate::str::contains("meta.json line 1")));
    drop(run);
}

#[test]
fn runs_without_a_runs_dir_is_a_usage_error() {
    let temp = tempfile::tempdir().unwrap();
    scorelab().current_dir(temp.path()).arg("runs").assert().code(2).stderr(predicate::str::contains("runs"));
}

#[test]
fn show_prints_one_iteration() {
    let (_temp, run) = fixture_run();
    let output = scorelab().arg("show").arg(&run).arg("7").assert().success().get_output().stdout.clone();
    let text = String::from_utf8(output).unwrap();
    assert!(!text.contains('\x1b'));
    assert!(text.starts_with(&format!("run {RUN_NAME} · iteration 7 · accepted ★ best")), "{text}");
    assert!(text.contains("parent: 5"));
    assert!(
        text.contains(
            "parent chosen because\n  Iteration 5 is the strongest line & has only been edited once <b>so far</b>."
        ),
        "{text}"
    );
    assert!(text.contains("ndcg@10 (primary)        0.3269   +0.0147    +0.0428"), "{text}");
    assert!(text.contains("coverage_at_k"));
    assert!(text.contains("── sort_01.painless ──"));
    assert!(text.contains("return _score - penalty;"));

    // Without ITER: the best iteration.
    scorelab().arg("show").arg(&run).assert().success().stdout(predicate::str::contains("iteration 7 · accepted"));

    scorelab()
        .arg("show")
        .arg(&run)
        .arg("3")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "query.painless: illegal_argument_exception: cannot resolve symbol [popularty]",
        ))
        .stdout(predicate::str::contains("^---- HERE"))
        .stdout(predicate::str::contains("(none: the candidate did not produce a ranking)"));
}

#[test]
fn show_json_carries_the_record_and_scripts() {
    let (_temp, run) = fixture_run();
    let output = scorelab().arg("show").arg(&run).arg("4").arg("--json").assert().success().get_output().stdout.clone();
    let shown: serde_json::Value = serde_json::from_slice(&output).unwrap();
    assert_eq!(shown["run"], RUN_NAME);
    assert_eq!(shown["best"], false);
    assert_eq!(shown["record"]["status"], "guardrail_violation");
    assert_eq!(shown["record"]["metrics"]["ild"], 0.6604);
    assert!(shown["scripts"]["query.painless"].as_str().unwrap().contains("0.3 * pop"));
    assert!(shown["scripts"]["sort_01.painless"].as_str().unwrap().contains("doc['popularity'].value"));
}

#[test]
fn show_an_unknown_iteration_lists_the_recorded_ones() {
    let (_temp, run) = fixture_run();
    scorelab()
        .arg("show")
        .arg(&run)
        .arg("42")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no iteration 42 in run.jsonl (recorded: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)"));
}

#[test]
fn every_subcommand_help_has_an_example() {
    for command in ["report", "runs", "show"] {
        scorelab().arg(command).arg("--help").assert().success().stdout(predicate::str::contains("Example:"));
    }
}

/// The reader is lenient on purpose, but it must read what `src/run` actually writes.
#[test]
fn renders_a_run_written_by_the_run_library() {
    use scorelab::metrics::{Metric, MetricSet};
    use scorelab::rank::{ScriptSet, SortOrder};
    use scorelab::run::{
        BaselineRef, CohortRef, IterationRecord, IterationStatus, RunDir, RunMeta, RunSettings, SCHEMA_VERSION,
        StoreRef, Summary, Timings, Tokens, now_rfc3339, snapshot_name,
    };
    use serde_json::json;

    let temp = tempfile::tempdir().unwrap();
    let runs = temp.path().join("runs");
    let metrics = |ndcg: f64, ild: f64| MetricSet { ndcg, recall: 0.1, precision: 0.05, ild };
    let meta = RunMeta {
        schema_version: SCHEMA_VERSION,
        scorelab_version: "0.1.0".into(),
        created: now_rfc3339(),
        store: StoreRef { path: "store".into(), checksum: "c0ffee".into(), dataset: "synthetic".into() },
        settings: RunSettings {
            k: 10,
            threshold: 1.0,
            cohort_size: 3,
            diversity_fields: vec!["genres".into()],
            objective: Metric::Ndcg,
            guardrail: Metric::Ild,
            engine: "local".into(),
            dialect: Default::default(),
            seed: 1,
            max_sort_scripts: 5,
            harness_params: Default::default(),
        },
        vector_arithmetic: None,
        cohort: CohortRef { user_ids: vec!["a".into(), "b".into(), "c".into()], checksum: "abc".into() },
        split: None,
        users_from: None,
        baseline: BaselineRef { metrics: Some(metrics(0.2, 0.7)) },
        summary: Summary::default(),
    };
    let mut dir = RunDir::create(&runs, meta).unwrap();
    let record =
        |iteration: u32, parent: Option<u32>, status: IterationStatus, metrics: Option<MetricSet>| IterationRecord {
            schema_version: SCHEMA_VERSION,
            iteration,
            parent,
            status,
            rationale: Some(format!("rationale {iteration}")),
            snapshot: snapshot_name(iteration),
            metrics,
            diagnostics: json!({"coverage_at_k": 0.1 + iteration as f64 / 100.0}),
            errors: vec![],
            attempts: 1,
            timings: Timings::default(),
            tokens: Tokens::default(),
            cost_usd: 0.0,
            drift: None,
            paired: None,
            holdout: None,
            timestamp: now_rfc3339(),
            tuning: None,
        };
    dir.write_snapshot(0, &ScriptSet::new("return 1.0;\n"), &json!({})).unwrap();
    dir.append(&record(0, None, IterationStatus::Baseline, Some(metrics(0.2, 0.7)))).unwrap();
    let child = ScriptSet::new("return 2.0;\n").with_sort("return doc['year'].value;\n", SortOrder::Desc).unwrap();
    dir.write_snapshot(1, &child, &json!({"rationale": "rationale 1"})).unwrap();
    dir.append(&record(1, Some(0), IterationStatus::Accepted, Some(metrics(0.25, 0.71)))).unwrap();
    dir.write_snapshot(2, &ScriptSet::new("return 3.0;\n"), &json!({})).unwrap();
    dir.append(&record(2, Some(1), IterationStatus::GuardrailViolation, Some(metrics(0.3, 0.6)))).unwrap();
    dir.update_summary(Summary {
        best_iteration: Some(1),
        best_primary: Some(0.25),
        guardrail_held: Some(true),
        iterations_attempted: 2,
        final_message: None,
        ..Default::default()
    })
    .unwrap();

    let html = render(dir.path());
    assert_eq!(html.matches("<tr id=\"lb-").count(), 3);
    assert!(html.contains("<tr id=\"lb-1\" class=\"best\">"));
    let iter1 = &html[html.find("id=\"iter-1\"").unwrap()..html.find("id=\"iter-2\"").unwrap()];
    assert!(iter1.contains("<span class=\"d-add\">+return 2.0;</span>"));
    assert!(iter1.contains("<span class=\"d-file\">+++ b/sort_01.painless</span>"));
    assert!(html.contains("<td>coverage_at_k</td><td class=\"num\">0.1000</td><td class=\"num\">0.1100</td>"));

    let output = scorelab()
        .arg("runs")
        .arg("--runs-dir")
        .arg(&runs)
        .arg("--json")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let listed: serde_json::Value = serde_json::from_slice(&output).unwrap();
    assert_eq!(listed[0]["objective"], "ndcg@10");
    assert_eq!(listed[0]["best_primary"], 0.25);
    assert_eq!(listed[0]["iterations"], 3);
}

#[test]
fn a_baseline_only_run_and_an_empty_log_still_render() {
    let (_temp, run) = fixture_run();
    let log = fs::read_to_string(run.join("run.jsonl")).unwrap();
    fs::write(run.join("run.jsonl"), format!("{}\n", log.lines().next().unwrap())).unwrap();
    let html = render(&run);
    assert_eq!(html.matches("<svg class=\"chart").count(), 5);
    assert_eq!(html.matches("<tr id=\"lb-").count(), 1);
    assert!(html.contains("Linear lineage"));
    assert!(!html.contains("NaN") && !html.contains("inf"), "finite coordinates for a single point");

    fs::write(run.join("run.jsonl"), "").unwrap();
    let html = render(&run);
    assert_eq!(html.matches("<tr id=\"lb-").count(), 0);
    assert!(!html.contains("NaN"), "no NaN coordinates in empty charts");
    scorelab()
        .arg("show")
        .arg(&run)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("run.jsonl: records no iterations"));
}

/// The report of a real run: `scorelab loop --iters 50` on the MovieLens demo store with the
/// built-in optimiser (tests/fixtures/movielens_run, recorded as is; the README's figure).
#[test]
fn report_of_the_recorded_movielens_loop_run() {
    let temp = tempfile::tempdir().unwrap();
    let run = temp.path().join("runs").join("20261125-181152");
    copy_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/movielens_run")), &run);
    // Rendered from inside the run directory, as `cd runs/<ts> && scorelab report .` does.
    scorelab().current_dir(&run).args(["report", "."]).assert().success();
    let html = fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("scorelab run 20261125-181152"), "named after the directory, not '.'");
    assert!(html.contains(">linear<"), "lineage read from loop.json");
    assert_eq!(html.matches("<section class=\"iteration").count(), 51, "baseline + 50 iterations");
    let svgs = html.matches("<svg").count();
    assert!(svgs >= 5, "four metric charts and the compile-error chart: {svgs}");
    let meta: serde_json::Value = serde_json::from_str(&fs::read_to_string(run.join("meta.json")).unwrap()).unwrap();
    let best = meta["summary"]["best_iteration"].as_u64().unwrap();
    assert!(html.contains(&format!("Best candidate: <a href=\"#iter-{best}\">iteration {best}</a>")));
    let log = fs::read_to_string(run.join("run.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let accepted = records.iter().filter(|r| r["status"] == "accepted").count();
    let leaderboard =
        &html[html.find("<section id=\"leaderboard\">").unwrap()..html.find("<section id=\"lineage\">").unwrap()];
    assert_eq!(leaderboard.matches("accepted</span>").count(), accepted, "one accepted badge per accepted iteration");
    let baseline = &records[0]["metrics"];
    let best = &records[best as usize]["metrics"];
    assert!(
        best["ndcg"].as_f64().unwrap() > 1.3 * baseline["ndcg"].as_f64().unwrap(),
        "the recorded run improved NDCG@10"
    );
    assert!(best["ild"].as_f64().unwrap() >= baseline["ild"].as_f64().unwrap(), "with the guardrail held");
}
