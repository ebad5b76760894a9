//! Everyday-use polish through the real binary: an example in every subcommand's `--help`, the formats in
//! `--version`, `--json` on the commands that write data, and NO_COLOR.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn scorelab() -> Command {
    Command::cargo_bin("scorelab").expect("the scorelab binary")
}

fn stdout_of(args: &[&str]) -> String {
    let output = scorelab().args(args).output().expect("run scorelab");
    assert!(output.status.success(), "scorelab {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The subcommand names listed under "Commands:" in a help text (clap's layout), minus `help`.
fn subcommands(help: &str) -> Vec<String> {
    let Some(at) = help.find("Commands:\n") else { return Vec::new() };
    help[at + "Commands:\n".len()..]
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .map(|name| name.trim_end_matches(',').to_string())
        .filter(|name| name != "help")
        .collect()
}

#[test]
fn every_subcommand_help_has_an_example() {
    let top = stdout_of(&["--help"]);
    let mut pending: Vec<Vec<String>> = subcommands(&top).into_iter().map(|c| vec![c]).collect();
    assert!(pending.len() >= 13, "expected every command listed: {top}");
    let mut checked = Vec::new();
    let mut missing = Vec::new();
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = stdout_of(&args);
        if !help.contains("Example") {
            missing.push(path.join(" "));
        }
        for child in subcommands(&help) {
            let mut deeper = path.clone();
            deeper.push(child);
            pending.push(deeper);
        }
        checked.push(path.join(" "));
    }
    for nested in ["prepare movielens", "prepare synthetic", "data info"] {
        assert!(checked.iter().any(|c| c == nested), "{nested} was not reached: {checked:?}");
    }
    assert!(missing.is_empty(), "--help without an example: {missing:?}");
}

#[test]
fn version_names_the_run_and_store_formats() {
    let text = stdout_of(&["--version"]);
    assert_eq!(
        text.trim(),
        format!(
            "scorelab {} (run format v{}, store format v{})",
            env!("CARGO_PKG_VERSION"),
            scorelab::run::SCHEMA_VERSION,
            scorelab::store::FORMAT_VERSION
        )
    );
}

fn json_of(args: &[&str], dir: &Path) -> Value {
    let output = scorelab().current_dir(dir).args(args).output().expect("run scorelab");
    assert!(output.status.success(), "scorelab {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("scorelab {args:?} --json is not JSON ({e}): {}", String::from_utf8_lossy(&output.stdout))
    })
}

#[test]
fn prepare_and_import_print_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prepared = json_of(
        &[
            "prepare",
            "synthetic",
            "--items",
            "200",
            "--users",
            "30",
            "--dims",
            "4",
            "--topics",
            "3",
            "--out",
            "ds",
            "--json",
        ],
        dir.path(),
    );
    assert_eq!(prepared["dataset"], "ds");
    assert_eq!(prepared["items"], 200);
    assert_eq!(prepared["users"], 30);
    assert_eq!(prepared["dims"], 4);
    assert!(prepared["interactions"].as_u64().is_some_and(|n| n > 0), "{prepared}");
    assert!(prepared["store"].is_null(), "no --store, no store: {prepared}");

    let imported = json_of(&["import", "--dataset", "ds", "--store", "st", "--json"], dir.path());
    assert_eq!(imported["path"], "st");
    assert_eq!(imported["num_items"], 200);
    assert_eq!(imported["num_users"], 30);
    assert_eq!(imported["dims"], 4);
    let checksum = imported["checksum"].as_str().expect("checksum");
    assert!(!checksum.is_empty());
    assert!(imported["ground_truth"].is_object(), "{imported}");

    // prepare --store imports in the same step and reports the same store.
    let both = json_of(
        &[
            "prepare",
            "synthetic",
            "--items",
            "200",
            "--users",
            "30",
            "--dims",
            "4",
            "--topics",
            "3",
            "--out",
            "ds2",
            "--store",
            "st2",
            "--json",
        ],
        dir.path(),
    );
    assert_eq!(both["store"]["path"], "st2");
    assert_eq!(both["store"]["checksum"], checksum, "same seed and sizes: the same store");
}

#[test]
fn no_color_is_honoured() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("ok.painless");
    std::fs::write(&script, "return 1.0;").expect("write script");
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = scorelab();
        cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let output = cmd.arg("check").arg(&script).output().expect("run scorelab check");
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let forced = run(&[("CLICOLOR_FORCE", "1")]);
    assert!(forced.contains("\x1b[32mok\x1b[0m"), "CLICOLOR_FORCE colours a pipe: {forced:?}");
    let plain = run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!plain.contains('\x1b'), "NO_COLOR wins: {plain:?}");
    assert!(plain.contains(": ok (score context)"), "{plain:?}");
    let piped = run(&[]);
    assert!(!piped.contains('\x1b'), "no colour into a pipe: {piped:?}");
}

#[test]
fn baseline_loop_and_report_print_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let baseline_set = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/baseline");
    let baseline_set = baseline_set.to_str().expect("utf-8 path");
    json_of(
        &[
            "prepare",
            "synthetic",
            "--items",
            "300",
            "--users",
            "60",
            "--dims",
            "4",
            "--topics",
            "3",
            "--out",
            "ds",
            "--store",
            "st",
            "--json",
        ],
        dir.path(),
    );
    let cohort = ["--store", "st", "--cohort-size", "30"];
    let baseline = json_of(
        &[&["baseline", "--set", baseline_set, "--runs-dir", "runs", "--json"][..], &cohort].concat(),
        dir.path(),
    );
    assert_eq!(baseline["result"]["status"], "ok", "{baseline}");
    assert!(baseline["result"]["metrics"]["ndcg"].is_number(), "{baseline}");
    assert_eq!(baseline["cohort"]["users"], 30);
    assert!(baseline["previous_baseline"].is_null(), "the first baseline has none: {baseline}");
    let run = baseline["run"].as_str().expect("run path");
    assert!(dir.path().join(run).join("meta.json").is_file(), "{run}");
    let meta: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join(run).join("meta.json")).unwrap())
        .expect("meta.json");
    assert_eq!(meta["settings"]["max_sort_scripts"], 5, "baseline and loop share the default");

    // One name for the set across commands: `baseline --baseline-dir` and `loop --set` are the same flags.
    let again = json_of(
        &[&["baseline", "--baseline-dir", baseline_set, "--runs-dir", "runs", "--json"][..], &cohort].concat(),
        dir.path(),
    );
    assert_eq!(again["result"]["metrics"], baseline["result"]["metrics"]);
    // `loop --resume` continues a run `baseline` started (it has no loop.json yet), then resumes as usual.
    let continued = json_of(&["loop", "--resume", run, "--iters", "1", "--json"], dir.path());
    assert_eq!(continued["iterations"].as_array().map(Vec::len), Some(2), "{continued}");
    assert!(dir.path().join(run).join("loop.json").is_file());
    let resumed = json_of(&["loop", "--resume", run, "--iters", "2", "--json"], dir.path());
    assert_eq!(resumed["iterations"].as_array().map(Vec::len), Some(3), "{resumed}");
    let looped = json_of(
        &[&["loop", "--iters", "2", "--set", baseline_set, "--runs-dir", "loops", "--json"][..], &cohort].concat(),
        dir.path(),
    );
    let iterations = looped["iterations"].as_array().expect("iterations");
    assert_eq!(iterations.len(), 3, "the baseline and two iterations: {looped}");
    assert_eq!(iterations[0]["iteration"], 0);
    assert_eq!(iterations[2]["iteration"], 2);
    assert!(looped["summary"]["best_iteration"].is_number(), "{looped}");
    let loop_run = looped["run"].as_str().expect("run path").to_string();

    let report = json_of(&["report", &loop_run, "--out", "r.html", "--json"], dir.path());
    assert_eq!(report["report"], "r.html");
    assert_eq!(report["iterations"], 3);
    assert!(dir.path().join("r.html").is_file());
}

/// Progress bars (with an ETA) are drawn on a terminal and never into a pipe. The terminal is a
/// pseudo-terminal from util-linux `script` (Debian: bsdutils, an essential package).
#[test]
fn progress_bars_only_on_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    json_of(
        &[
            "prepare",
            "synthetic",
            "--items",
            "1000",
            "--users",
            "300",
            "--dims",
            "4",
            "--topics",
            "3",
            "--out",
            "ds",
            "--store",
            "st",
            "--json",
        ],
        dir.path(),
    );
    let set = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity/22_score_in_sort");
    let binary = assert_cmd::cargo::cargo_bin("scorelab");
    let eval = format!("{} eval --store st --cohort-size 256 --set {}", binary.display(), set.display());

    let piped = scorelab().current_dir(dir.path()).args(eval.split_whitespace().skip(1)).output().expect("run eval");
    assert!(piped.status.success(), "{}", String::from_utf8_lossy(&piped.stderr));
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(!stderr.contains("ETA") && !stderr.contains('\r'), "no bar into a pipe: {stderr:?}");

    let text = on_a_terminal(dir.path(), &eval);
    assert!(text.contains("ranking on local ["), "a bar on a terminal: {text:?}");
    assert!(text.contains("/256 users") && text.contains("ETA"), "count and ETA: {text:?}");
    assert!(text.contains("ndcg@10"), "the results as usual: {text:?}");

    // `import` reads the dataset behind a byte bar with an ETA.
    let import = format!("{} import --dataset ds --store st2", binary.display());
    let text = on_a_terminal(dir.path(), &import);
    assert!(text.contains("reading ds [") && text.contains("ETA"), "a byte bar while reading: {text:?}");
    assert!(text.contains("imported 1000 items"), "{text:?}");
}

/// Runs `command` on a pseudo-terminal (util-linux `script`, in Debian's essential bsdutils) and
/// returns what the terminal showed; the command must succeed.
fn on_a_terminal(dir: &Path, command: &str) -> String {
    let tty = std::process::Command::new("script")
        .current_dir(dir)
        .args(["-q", "-e", "-c", command, "/dev/null"])
        .env_remove("NO_COLOR")
        .output()
        .expect("util-linux `script` runs the command on a pseudo-terminal");
    let text = String::from_utf8_lossy(&tty.stdout).into_owned();
    assert!(tty.status.success(), "{text}");
    text
}

/// `exec --user` passes the user's matrix exactly as `eval` and the engine harness do
/// (`rank::user_params`: each f32 widened to f64), so a score reproduced with `exec` is the one ranked.
#[test]
fn exec_passes_the_user_vector_as_eval_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    json_of(
        &[
            "prepare",
            "synthetic",
            "--items",
            "50",
            "--users",
            "10",
            "--dims",
            "4",
            "--topics",
            "2",
            "--out",
            "ds",
            "--store",
            "st",
            "--json",
        ],
        dir.path(),
    );
    let store = scorelab::store::Store::open(dir.path().join("st")).expect("open store");
    let user = scorelab::store::UserIdx(3);
    let item = store.item_id(scorelab::store::ItemIdx(0)).to_string();
    let expected = scorelab::rank::user_params(&store, user, &serde_json::Map::new())["user_vector"][0][1].clone();
    let out = json_of(
        &[
            "exec",
            "--context",
            "score",
            "--store",
            "st",
            "--item",
            &item,
            "--user",
            store.user_id(user),
            "--source",
            "return params.user_vector[0][1];",
        ],
        dir.path(),
    );
    assert_eq!(out["result"], expected, "{out}");
    assert_eq!(out["result"].as_f64(), Some(f64::from(store.user_matrix(user)[[0, 1]])));
}

/// `scorelab check ... | head -0`: the reader is gone before anything is printed. The process must end
/// quietly with success, not with a `println!` panic (Rust ignores SIGPIPE, so writes fail with EPIPE).
#[test]
fn a_closed_stdout_ends_quietly() {
    let bin = assert_cmd::cargo::cargo_bin("scorelab");
    let set = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/baseline");
    for _ in 0..3 {
        let mut child = std::process::Command::new(&bin)
            .args(["check", set])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(out.status.code(), Some(0), "{stderr}");
    }
}

#[test]
fn check_reports_an_unreadable_file_and_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("a_latin1.painless");
    std::fs::write(&bad, b"return 1.0; // caf\xe9\n").unwrap();
    let good = tmp.path().join("b_good.painless");
    std::fs::write(&good, "return 2.0;").unwrap();
    let output = scorelab().arg("check").arg(&bad).arg(&good).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("a_latin1.painless") && stdout.contains("not valid UTF-8"), "{stdout}");
    assert!(stdout.contains("b_good.painless: ok"), "the file after it is still checked: {stdout}");
    let output = scorelab().args(["check", "--json"]).arg(&bad).arg(&good).output().unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json.as_array().map(Vec::len), Some(2));
    assert_eq!(json[0]["ok"], false);
    assert_eq!(json[1]["ok"], true);
}

#[test]
fn exec_stops_a_run_at_its_time_budget() {
    let script = "int f(int n) { return n == 0 ? 1 : f(n - 1) + f(n - 1) } return f(60);";
    let output = scorelab().args(["exec", "--timeout", "0.5", "--source", script]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["error"]["code"], "L491");
    assert_eq!(json["error"]["type"], "unsupported_locally");
}
