//! The real binary: `import`, `data info` (text and JSON), exit codes for bad input and corrupt stores.

use crate::data_fixture;

use assert_cmd::Command;

fn scorelab() -> Command {
    Command::cargo_bin("scorelab").unwrap()
}

#[test]
fn import_then_info() {
    let tmp = tempfile::tempdir().unwrap();
    data_fixture::write_small(&tmp.path().join("ds"));
    let out = scorelab().current_dir(tmp.path()).args(["import", "--dataset", "ds", "--store", "st"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ground truth: kept 2/3 users, dropped 1 interactions to unknown items"), "{stderr}");
    let out = scorelab().current_dir(tmp.path()).args(["data", "info", "st"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("items      4") && text.contains("users      3") && text.contains("dims       3"), "{text}");
    // The same count of users with a relevant item as `eval` on the same store.
    let eval = scorelab()
        .current_dir(tmp.path())
        .args(["eval", "--set", concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/baseline"), "--store", "st", "--json"])
        .output()
        .unwrap();
    let e: serde_json::Value = serde_json::from_slice(&eval.stdout).expect("eval --json");
    let line = e["ground_truth"].as_str().expect("eval's ground-truth line");
    assert!(text.contains(line), "data info:\n{text}\neval: {line}");
    let out = scorelab().current_dir(tmp.path()).args(["data", "info", "st", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["at_threshold"]["users_with_relevant_items"], e["cohort"]["users"], "{v}");
    assert_eq!(v["num_items"], 4);
    assert_eq!(v["verified"], true);
    assert_eq!(v["fields"][1]["name"], "genres");
    assert_eq!(v["fields"][1]["multi_valued"], true);
}

#[test]
fn bad_input_exits_2_naming_file_and_line_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    data_fixture::write_small(&ds);
    std::fs::write(ds.join("items.jsonl"), "{\"id\":1,\"item_vector\":[1,2,3]}\n{\"id\":2,\"item_vector\":[1,2]}\n")
        .unwrap();
    let out = scorelab().current_dir(tmp.path()).args(["import", "--dataset", "ds", "--store", "st"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("items.jsonl:2: field `item_vector` has 2 dims, expected 3"), "{stderr}");
    assert!(!tmp.path().join("st").exists());
}

#[test]
fn corrupt_store_info_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    data_fixture::write_small(&tmp.path().join("ds"));
    scorelab().current_dir(tmp.path()).args(["import", "--dataset", "ds", "--store", "st"]).assert().success();
    let f = tmp.path().join("st/columns.bin");
    let mut bytes = std::fs::read(&f).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&f, bytes).unwrap();
    let out = scorelab().current_dir(tmp.path()).args(["data", "info", "st"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("columns.bin: checksum mismatch"));
    let out = scorelab().current_dir(tmp.path()).args(["data", "info", "nowhere"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A dataset directory from its files' texts (no dataset.json unless given).
fn write_files(dir: &std::path::Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

const SHOP_ITEMS: &str = concat!(
    "{\"id\":\"a\",\"embedding\":[0.1,0.9],\"category\":\"shoes\",\"price\":49.5,\"sizes\":[40]}\n",
    "{\"id\":\"b\",\"embedding\":[0.8,0.2],\"category\":\"hats\",\"price\":12.0,\"sizes\":[1,2]}\n",
    "{\"id\":\"c\",\"embedding\":[0.5,0.5],\"category\":\"shoes\",\"price\":80.0}\n",
);
const SHOP_USERS: &str = "{\"id\":\"u1\",\"user_vector\":[[0.2,0.8]]}\n{\"id\":\"u2\",\"user_vector\":[[0.9,0.1]]}\n";

fn import(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["import", "--dataset", "ds", "--store", "st", "--json"];
    args.extend_from_slice(extra);
    scorelab().current_dir(dir).args(&args).output().unwrap()
}

#[test]
fn graded_weights_without_a_threshold_are_an_error_showing_their_distribution() {
    let tmp = tempfile::tempdir().unwrap();
    write_files(
        &tmp.path().join("ds"),
        &[
            ("items.jsonl", SHOP_ITEMS),
            ("users.jsonl", SHOP_USERS),
            ("interactions.csv", "item_id,user_id,weight\na,u1,5\nb,u2,3\nc,u1,4\nc,u2,4\n"),
            ("exclusions.csv", "user_id,item_id\nu1,b\n"),
            ("dataset.json", "{\"user_rows\":1}"),
        ],
    );
    let out = import(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("interactions.csv: interaction weights are graded (3: 1, 4: 2, 5: 1)"), "{stderr}");
    assert!(stderr.contains("pass --threshold T to import"), "{stderr}");
    assert!(!tmp.path().join("st").exists());

    let out = import(tmp.path(), &["--threshold", "4", "--name", "shop"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["relevance_threshold"], 4.0);
    assert_eq!(v["dataset"], "shop");
    assert_eq!(v["item_vector_field"], "embedding");
    assert_eq!(v["diversity_fields"], serde_json::json!(["category"]));
    let notes: Vec<String> =
        v["defaults_applied"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].starts_with("item vector field `embedding` (2 dims, detected"), "{notes:?}");
    assert!(notes[1].starts_with("diversity fields category (default: every keyword attribute)"), "{notes:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("note: item vector field `embedding`"), "{stderr}");
}

#[test]
fn binary_weights_default_to_threshold_one_and_a_missing_exclusions_file_is_announced() {
    let tmp = tempfile::tempdir().unwrap();
    write_files(
        &tmp.path().join("ds"),
        &[
            ("items.jsonl", SHOP_ITEMS),
            ("users.jsonl", SHOP_USERS),
            ("interactions.csv", "item_id,user_id\na,u1\nc,u2\n"),
            (
                "dataset.json",
                "{\"user_rows\":1,\"diversity_fields\":[\"category\"],\"item_vector_field\":\"embedding\"}",
            ),
        ],
    );
    let out = import(tmp.path(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["relevance_threshold"], 1.0);
    let notes = v["defaults_applied"].to_string();
    assert!(notes.contains("relevance threshold 1 (default): interaction weights take 1 value(s) (1: 2)"), "{notes}");
    assert!(notes.contains("no exclusions.csv: nothing is excluded"), "{notes}");
    assert!(!notes.contains("diversity fields") && !notes.contains("item vector field"), "{notes}");
}

#[test]
fn without_keyword_attributes_ild_is_unavailable_and_an_ild_guardrail_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let items =
        "{\"id\":\"a\",\"item_vector\":[1,0],\"price\":1.5}\n{\"id\":\"b\",\"item_vector\":[0,1],\"price\":2}\n";
    write_files(
        &tmp.path().join("ds"),
        &[
            ("items.jsonl", items),
            ("users.jsonl", SHOP_USERS),
            ("interactions.csv", "item_id,user_id,weight\na,u1,1\nb,u2,1\n"),
            ("exclusions.csv", "user_id,item_id\n"),
            ("dataset.json", "{\"user_rows\":1}"),
        ],
    );
    let out = import(tmp.path(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["diversity_fields"], serde_json::json!([]));
    assert!(v["defaults_applied"].to_string().contains("ILD@10 unavailable"), "{v}");
    let baseline = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/baseline");
    let out =
        scorelab().current_dir(tmp.path()).args(["baseline", "--set", baseline, "--store", "st"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ILD@k is unavailable") && stderr.contains("cannot be the guardrail"), "{stderr}");
    assert!(!tmp.path().join("runs").exists(), "a refused baseline starts no run");
}

#[test]
fn several_vector_candidates_need_the_flag_and_io_causes_print_once() {
    let tmp = tempfile::tempdir().unwrap();
    let items = "{\"id\":\"a\",\"v1\":[1,0],\"v2\":[0,1,2]}\n{\"id\":\"b\",\"v1\":[0,1],\"v2\":[1,1,1]}\n";
    write_files(
        &tmp.path().join("ds"),
        &[
            ("items.jsonl", items),
            ("users.jsonl", SHOP_USERS),
            ("interactions.csv", "item_id,user_id\na,u1\n"),
            ("dataset.json", "{\"user_rows\":1}"),
        ],
    );
    let out = import(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("several attributes could be the item vector (v1, v2): pass --vector-field"), "{stderr}");
    let out = import(tmp.path(), &["--vector-field", "v1", "--diversity-field", "nope"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--diversity-field: `nope` is not an item attribute (attributes: v2)"), "{stderr}");

    let out = scorelab().current_dir(tmp.path()).args(["import", "--dataset", "missing", "--store", "st"]).output();
    let stderr = String::from_utf8_lossy(&out.unwrap().stderr).to_string();
    assert_eq!(stderr.matches("(os error 2)").count(), 1, "{stderr}");
}

/// The original harness's catalogue: `loans.jsonl`, its vector under the name scripts use.
const LOANS: &str = concat!(
    "{\"id\":\"l1\",\"item_vector\":[0.1,0.9],\"sector\":\"food\",\"amount\":500}\n",
    "{\"id\":\"l2\",\"item_vector\":[0.8,0.2],\"sector\":\"retail\",\"amount\":1200}\n",
    "{\"id\":\"l3\",\"item_vector\":[0.5,0.5],\"sector\":\"food\",\"amount\":250}\n",
    "{\"id\":\"l4\",\"item_vector\":[0.9,0.1],\"sector\":\"housing\",\"amount\":800}\n",
);
const LENDERS: &str = concat!(
    "{\"id\":\"u1\",\"user_vector\":[[0.2,0.8]]}\n",
    "{\"id\":\"u2\",\"user_vector\":[[0.9,0.1]]}\n",
    "{\"id\":\"u3\",\"user_vector\":[[0.5,0.4]]}\n",
);
/// Graded weights, with the original harness's name for the item column.
const LENDS: &str = "loan_id,user_id,weight\nl1,u1,5\nl3,u1,4\nl2,u2,3\nl4,u2,5\nl2,u3,4\n";

fn write_loans(dir: &std::path::Path) {
    write_files(
        dir,
        &[
            ("loans.jsonl", LOANS),
            ("users.jsonl", LENDERS),
            ("interactions.csv", LENDS),
            ("exclusions.csv", "user_id,item_id\nu3,l1\n"),
            ("dataset.json", "{\"user_rows\":1}"),
        ],
    );
}

const BASELINE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/baseline");

/// `scorelab` in `dir`, with no `.env` key of the `default` adapter inherited from the test's environment.
fn scorelab_in(dir: &std::path::Path) -> Command {
    let mut cmd = scorelab();
    cmd.current_dir(dir);
    for key in ["DEFAULT_LOANS_PATH", "DEFAULT_USERS_PATH", "DEFAULT_INTERACTIONS_PATH"] {
        cmd.env_remove(key);
    }
    cmd
}

fn json_ok(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("--json prints JSON")
}

fn eval_json(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["eval", "--set", BASELINE, "--json"];
    args.extend_from_slice(extra);
    scorelab_in(dir).args(&args).output().unwrap()
}

/// The entries of `.scorelab/stores` (a temporary directory left by an import included; none: empty).
fn store_dirs(dir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join(".scorelab/stores")) else { return Vec::new() };
    let mut names: Vec<String> = entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn loans_jsonl_and_a_loan_id_column_import_as_the_items() {
    let tmp = tempfile::tempdir().unwrap();
    write_loans(&tmp.path().join("ds"));
    let v = json_ok(&import(tmp.path(), &["--threshold", "4"]));
    assert_eq!(v["num_items"], 4);
    assert_eq!(v["ground_truth"]["interactions_kept"], 5, "{v}");
    // Both names at once: which is the catalogue would be a guess.
    std::fs::write(tmp.path().join("ds/items.jsonl"), LOANS).unwrap();
    let out = import(tmp.path(), &["--threshold", "4"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("both items.jsonl and loans.jsonl: either is the items file"), "{stderr}");
    // A header naming neither id column is said to be one.
    std::fs::remove_file(tmp.path().join("ds/items.jsonl")).unwrap();
    std::fs::write(tmp.path().join("ds/interactions.csv"), "loan,lender,amount\nl1,u1,5\n").unwrap();
    let out = import(tmp.path(), &["--threshold", "4"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "interactions.csv:1:3: malformed CSV: weight `amount` is not a finite number: if this row \
             (loan,lender,amount) is a header, it must name the columns item_id,user_id,weight"
        ),
        "{stderr}"
    );
}

#[test]
fn eval_dataset_dir_imports_once_per_content_and_reports_its_defaults_every_time() {
    let tmp = tempfile::tempdir().unwrap();
    write_loans(&tmp.path().join("ds"));
    let first = eval_json(tmp.path(), &["--dataset", "ds", "--threshold", "4"]);
    let v = json_ok(&first);
    let checksum = v["store"]["content_checksum"].as_str().unwrap().to_string();
    let digest = checksum.strip_prefix("sha256:").expect("a sha256 checksum");
    assert_eq!(digest.len(), 64, "{checksum}");
    let dir_name = format!("ds-{}", &digest[..16]);
    assert_eq!(v["store"]["path"], format!("./.scorelab/stores/{dir_name}"));
    assert_eq!(v["store"]["imported_now"], true);
    assert_eq!(v["store"]["dataset"], "ds");
    assert_eq!(v["result"]["status"], "ok", "{v}");
    let notes = v["defaults_applied"].to_string();
    assert!(notes.contains("diversity fields sector (default: every keyword attribute)"), "{notes}");
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains("importing ds into ./.scorelab/stores/ds-"), "{stderr}");
    assert!(stderr.contains("note: diversity fields sector"), "{stderr}");
    assert!(tmp.path().join(".scorelab/stores").join(&dir_name).join("import.json").is_file());

    // Unchanged files: the same store, not imported again, its defaults reported again.
    let again = eval_json(tmp.path(), &["--dataset", "ds", "--threshold", "4"]);
    let w = json_ok(&again);
    assert_eq!(w["store"]["path"], v["store"]["path"]);
    assert_eq!(w["store"]["imported_now"], false);
    assert_eq!(w["store"]["checksum"], v["store"]["checksum"]);
    assert_eq!(w["defaults_applied"], v["defaults_applied"]);
    assert_eq!(w["result"]["metrics"], v["result"]["metrics"]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(!stderr.contains("importing"), "{stderr}");
    assert!(stderr.contains("note: diversity fields sector"), "{stderr}");

    // The same figures as an explicit import into a store of the same name.
    scorelab_in(tmp.path()).args(["import", "--dataset", "ds", "--store", "st", "--threshold", "4"]).assert().success();
    let explicit = json_ok(&eval_json(tmp.path(), &["--store", "st", "--threshold", "4"]));
    assert_eq!(explicit["result"]["metrics"], v["result"]["metrics"]);

    // A changed file (one byte of the users) makes a new store; the old one stays as it was.
    std::fs::write(tmp.path().join("ds/users.jsonl"), LENDERS.replace("0.4", "0.3")).unwrap();
    let changed = json_ok(&eval_json(tmp.path(), &["--dataset", "ds", "--threshold", "4"]));
    assert_eq!(changed["store"]["imported_now"], true);
    assert_ne!(changed["store"]["path"], v["store"]["path"]);
    assert_ne!(changed["store"]["content_checksum"], v["store"]["content_checksum"]);
    // Another threshold is another store too (the store records it).
    let other = json_ok(&eval_json(tmp.path(), &["--dataset", "ds", "--threshold", "5"]));
    assert_eq!(other["store"]["imported_now"], true);
    let dirs = store_dirs(tmp.path());
    assert_eq!(dirs.len(), 3, "three stores and no temporary directory left: {dirs:?}");
    assert!(dirs.contains(&dir_name), "{dirs:?}");
}

#[test]
fn dataset_dir_errors_say_what_to_add() {
    let tmp = tempfile::tempdir().unwrap();
    write_loans(&tmp.path().join("ds"));
    // Graded weights: eval takes --threshold for the import; loop has none, so dataset.json.
    let out = eval_json(tmp.path(), &["--dataset", "ds"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("importing ds (--dataset): ds/interactions.csv: interaction weights are graded"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "with --dataset, pass --threshold T to this command or set relevance_threshold in ds/dataset.json"
        ),
        "{stderr}"
    );
    let out = scorelab_in(tmp.path())
        .args(["loop", "--dataset", "ds", "--iters", "1", "--baseline-dir", BASELINE])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("this command has no --threshold: set relevance_threshold in ds/dataset.json"), "{stderr}");
    assert!(!tmp.path().join("runs").exists(), "a refused import starts no run");
    assert_eq!(store_dirs(tmp.path()), Vec::<String>::new(), "a failed import leaves nothing behind");

    // A bad line names its file, line and field, through --dataset as through import.
    std::fs::write(tmp.path().join("ds/loans.jsonl"), LOANS.replace("[0.5,0.5]", "[0.5]")).unwrap();
    let out = eval_json(tmp.path(), &["--dataset", "ds", "--threshold", "4"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ds/loans.jsonl:3: field `item_vector` has 1 dims, expected 2"), "{stderr}");

    // What --dataset accepts, and what it does not go with.
    let out = eval_json(tmp.path(), &["--dataset", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a named dataset (movielens, default, synthetic) and not a directory"), "{stderr}");
    std::fs::create_dir_all(tmp.path().join("st")).unwrap();
    let out = eval_json(tmp.path(), &["--dataset", "ds", "--store", "st"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("'--dataset <NAME|DIR>' cannot be used with '--store <STORE>'"), "{stderr}");
    for command in
        [&["loop", "--dataset", "ds", "--store", "st"][..], &["setup-indices", "--dataset", "ds", "--store", "st"]]
    {
        let out = scorelab_in(tmp.path()).args(command).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{command:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"), "{command:?}");
    }
    data_fixture::write_small(&tmp.path().join("small"));
    scorelab_in(tmp.path()).args(["import", "--dataset", "small", "--store", "st"]).assert().success();
    let out = eval_json(tmp.path(), &["--dataset", "st"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--dataset st: this directory is a store; pass it with --store"), "{stderr}");
}

#[test]
fn dataset_default_reads_the_env_paths_of_the_original_harness() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    write_loans(&project.join("data"));
    std::fs::create_dir_all(project.join("work")).unwrap();
    // Two keys only: the missing one is named.
    std::fs::write(project.join(".env"), "DEFAULT_LOANS_PATH=data/loans.jsonl\nDEFAULT_USERS_PATH=data/users.jsonl\n")
        .unwrap();
    let out = eval_json(&project.join("work"), &["--dataset", "default", "--threshold", "4"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--dataset default (read "), "{stderr}");
    assert!(stderr.contains("DEFAULT_INTERACTIONS_PATH: not set: the `default` adapter reads"), "{stderr}");

    // Relative paths in .env are taken from the .env file's directory (here the parent of the working one).
    std::fs::write(
        project.join(".env"),
        "# the original harness's layout\nDEFAULT_LOANS_PATH=data/loans.jsonl\nDEFAULT_USERS_PATH=data/users.jsonl\n\
         DEFAULT_INTERACTIONS_PATH=\"data/interactions.csv\"\n",
    )
    .unwrap();
    let v = json_ok(&eval_json(&project.join("work"), &["--dataset", "default", "--threshold", "4"]));
    assert!(v["store"]["path"].as_str().unwrap().starts_with("./.scorelab/stores/data-"), "{v}");
    assert_eq!(v["store"]["dataset"], "data", "named after the items file's directory");
    assert_eq!(v["result"]["status"], "ok");
    // The same files as --dataset DIR: the same store, imported once.
    let work = project.join("work");
    let dir = json_ok(&eval_json(&work, &["--dataset", "../data", "--threshold", "4"]));
    assert_eq!(dir["store"]["content_checksum"], v["store"]["content_checksum"]);
    assert_eq!(dir["store"]["path"], v["store"]["path"]);
    assert_eq!(dir["store"]["imported_now"], false);
    assert_eq!(dir["result"]["metrics"], v["result"]["metrics"]);

    // The environment wins over .env (relative to the working directory), and a path naming no file is refused.
    std::fs::write(project.join("work/lenders.jsonl"), LENDERS.replace("0.4", "0.3")).unwrap();
    let out = scorelab_in(&project.join("work"))
        .env("DEFAULT_USERS_PATH", "lenders.jsonl")
        .args(["eval", "--set", BASELINE, "--json", "--dataset", "default", "--threshold", "4"])
        .output()
        .unwrap();
    let w = json_ok(&out);
    assert_ne!(w["store"]["content_checksum"], v["store"]["content_checksum"]);
    let out = scorelab_in(&project.join("work"))
        .env("DEFAULT_USERS_PATH", "missing.jsonl")
        .args(["eval", "--set", BASELINE, "--dataset", "default", "--threshold", "4"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DEFAULT_USERS_PATH: missing.jsonl is not a file"), "{stderr}");

    // `import --dataset default` reads the same files into a store of the same content.
    let out = scorelab_in(&work)
        .args(["import", "--dataset", "default", "--store", "imported", "--threshold", "4", "--json"])
        .output()
        .unwrap();
    let i = json_ok(&out);
    assert_eq!(i["checksum"], v["store"]["checksum"], "{i}");
    assert_eq!(i["num_items"], 4, "{i}");
}

/// `import --dataset ds --store STORE --threshold 4` in `dir`.
fn import_ds(dir: &std::path::Path, store: &std::path::Path) -> std::process::Output {
    scorelab_in(dir)
        .args(["import", "--dataset", "ds", "--store", store.to_str().unwrap(), "--threshold", "4"])
        .output()
        .unwrap()
}

/// A UTF-8 byte-order mark is dropped in JSONL as in CSV; bytes that are not UTF-8 are named by line
/// and column.
#[test]
fn a_byte_order_mark_is_accepted_and_bad_utf8_is_located() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    write_loans(&ds);
    let loans = std::fs::read(ds.join("loans.jsonl")).unwrap();
    std::fs::write(ds.join("loans.jsonl"), [b"\xEF\xBB\xBF".as_slice(), &loans].concat()).unwrap();
    let store = tmp.path().join("store");
    let out = import_ds(tmp.path(), &store);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(loans).unwrap();
    let second = text.find('\n').unwrap() + 1;
    let mut bad = text.into_bytes();
    let quote = bad[second..].iter().position(|&b| b == b'"').unwrap() + second;
    bad.insert(quote + 1, 0xFF);
    std::fs::write(ds.join("loans.jsonl"), bad).unwrap();
    let out = import_ds(tmp.path(), &store);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("loans.jsonl:2:3: not valid UTF-8 (byte 0xFF)"), "{stderr}");
}

/// A vector function naming a field the store does not have: `check --store` warns as for
/// `doc['nope']`, and `eval` reports Elasticsearch's error for it (not a local limitation).
#[test]
fn an_unknown_vector_field_is_a_mapping_error() {
    let tmp = tempfile::tempdir().unwrap();
    write_loans(&tmp.path().join("ds"));
    let set = tmp.path().join("set");
    std::fs::create_dir_all(&set).unwrap();
    std::fs::write(set.join("query.painless"), "return cosineSimilarity(params.user_vector[0], 'embedding') + 1.0;\n")
        .unwrap();
    let store = tmp.path().join("store");
    let out = import_ds(tmp.path(), &store);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = scorelab_in(tmp.path())
        .args(["check", set.join("query.painless").to_str().unwrap(), "--store", store.to_str().unwrap()])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("warning[C250]: No field found for [embedding] in mapping"), "{report}");
    let out = scorelab_in(tmp.path())
        .args(["eval", "--set", set.to_str().unwrap(), "--store", store.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("No field found for [embedding] in mapping"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("illegal_argument_exception") && !text.contains("L490"), "{text}");
}

/// `parity --dataset` opens the store `eval --dataset` and `setup-indices --dataset` use (imported once),
/// and conflicts with --store.
#[test]
fn parity_takes_a_dataset_like_setup_indices() {
    let tmp = tempfile::tempdir().unwrap();
    write_loans(&tmp.path().join("ds"));
    std::fs::write(tmp.path().join("ds/dataset.json"), "{\"user_rows\":1,\"relevance_threshold\":4}").unwrap();
    // A port nothing listens on: parity fails at the engine, after opening the store.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let url = format!("http://{dead}");
    let parity = |extra: &[&str]| {
        let mut args = vec!["parity", "--set", BASELINE, "--engine-url", url.as_str()];
        args.extend_from_slice(extra);
        scorelab_in(tmp.path()).args(&args).output().unwrap()
    };
    let first = parity(&["--dataset", "ds"]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(!first.status.success());
    assert!(stderr.contains("(first use of these files)"), "the dataset is imported: {stderr}");
    assert_eq!(store_dirs(tmp.path()).len(), 1, "{:?}", store_dirs(tmp.path()));
    let again = parity(&["--dataset", "ds"]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(!stderr.contains("first use"), "imported once: {stderr}");
    assert!(stderr.contains(&dead.to_string()), "the error names the engine: {stderr}");
    let both = parity(&["--dataset", "ds", "--store", "x"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"));
}

#[test]
fn named_datasets_open_their_stores() {
    let tmp = tempfile::tempdir().unwrap();
    // A store where the demo store lives is what --dataset movielens opens (it is built only when missing).
    data_fixture::write_small(&tmp.path().join("small"));
    scorelab_in(tmp.path())
        .args(["import", "--dataset", "small", "--store", ".scorelab/stores/movielens"])
        .assert()
        .success();
    // A directory of the same name does not change what the name means, but is mentioned.
    std::fs::create_dir(tmp.path().join("movielens")).unwrap();
    let out = eval_json(tmp.path(), &["--dataset", "movielens"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("note: --dataset movielens is the named dataset; for the directory ./movielens"),
        "{stderr}"
    );
    let v = json_ok(&out);
    assert_eq!(v["store"]["path"], "./.scorelab/stores/movielens");
    assert_eq!(v["store"]["dataset"], "small");
    assert_eq!(v["defaults_applied"], serde_json::json!([]));
    let out = scorelab_in(tmp.path())
        .args(["baseline", "--set", BASELINE, "--dataset", "synthetic", "--cohort-size", "50", "--json"])
        .output()
        .unwrap();
    let v = json_ok(&out);
    assert_eq!(v["store"]["path"], "./.scorelab/stores/synthetic");
    assert_eq!(v["store"]["dataset"], "synthetic");
    assert_eq!(v["cohort"]["users"], 50);
    assert!(String::from_utf8_lossy(&out.stderr).contains("generating the synthetic store"));
}

#[test]
fn loop_takes_a_dataset_dir_and_its_resume_refuses_another_store() {
    let tmp = tempfile::tempdir().unwrap();
    write_loans(&tmp.path().join("ds"));
    std::fs::write(tmp.path().join("ds/dataset.json"), "{\"user_rows\":1,\"relevance_threshold\":4}").unwrap();
    let out = scorelab_in(tmp.path())
        .args(["loop", "--dataset", "ds", "--iters", "1", "--holdout", "0", "--baseline-dir", BASELINE, "--json"])
        .output()
        .unwrap();
    let v = json_ok(&out);
    let notes = v["defaults_applied"].to_string();
    assert!(notes.contains("diversity fields sector"), "{notes}");
    let run = v["run"].as_str().unwrap().to_string();
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join(&run).join("meta.json")).unwrap()).unwrap();
    assert!(meta["store"]["path"].as_str().unwrap().starts_with("./.scorelab/stores/ds-"), "{meta}");
    for (flag, value) in [("--store", "elsewhere"), ("--dataset", "ds")] {
        let out =
            scorelab_in(tmp.path()).args(["loop", "--resume", &run, "--iters", "1", flag, value]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "{flag} conflicts with --resume: a resumed run keeps the store it started on (./.scorelab/stores/ds-"
            )),
            "{stderr}"
        );
    }
    // Every other flag that defines a run is refused too, naming the conflict (issue 21).
    for (flag, value) in [
        ("--seed", "3"),
        ("--lineage", "evolutionary"),
        ("--objective", "ild"),
        ("--cohort-size", "5"),
        ("--holdout", "0.5"),
        ("--hint", "favour sector"),
        ("--accept", "significant"),
        ("--baseline-dir", BASELINE),
    ] {
        let out =
            scorelab_in(tmp.path()).args(["loop", "--resume", &run, "--iters", "1", flag, value]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(flag) && stderr.contains("--resume") && stderr.contains("cannot be used with"),
            "{stderr}"
        );
    }
    // Without them, the run goes on, on its own store.
    scorelab_in(tmp.path()).args(["loop", "--resume", &run, "--iters", "1"]).assert().success();
}

/// What the stand-in engine of `fake_engine` saw: the store checksum the index was created with and
/// the documents bulk-loaded into it.
#[derive(Default)]
struct Loaded {
    store_checksum: Option<String>,
    documents: u64,
}

/// A stand-in OpenSearch node answering the requests of `setup-indices` (banner, delete, create, bulk,
/// settings, refresh, count), one request per connection.
fn fake_engine() -> (String, std::sync::Arc<std::sync::Mutex<Loaded>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let loaded = std::sync::Arc::new(std::sync::Mutex::new(Loaded::default()));
    let seen = loaded.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let mut parts = request_line.split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let mut state = seen.lock().unwrap();
            let (status, reply) = match (method, path) {
                ("GET", "/") => {
                    (200, serde_json::json!({"version": {"distribution": "opensearch", "number": "2.19.1"}}))
                }
                ("DELETE", _) => (404, serde_json::json!({"error": {"type": "index_not_found_exception"}})),
                ("PUT", p) if !p.contains("_settings") => {
                    let created: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                    state.store_checksum =
                        created["mappings"]["_meta"]["scorelab_store_checksum"].as_str().map(str::to_string);
                    (200, serde_json::json!({"acknowledged": true}))
                }
                ("POST", p) if p.ends_with("_bulk") => {
                    state.documents += body.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count() as u64 / 2;
                    (200, serde_json::json!({"errors": false, "items": []}))
                }
                ("GET", p) if p.ends_with("_count") => (200, serde_json::json!({"count": state.documents})),
                _ => (200, serde_json::json!({"acknowledged": true})),
            };
            drop(state);
            let text = reply.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    (url, loaded)
}

#[test]
fn setup_indices_loads_the_store_eval_dataset_ranks_on() {
    let tmp = tempfile::tempdir().unwrap();
    write_loans(&tmp.path().join("ds"));
    // setup-indices has no --threshold: the dataset's own settings are what every command imports with.
    std::fs::write(tmp.path().join("ds/dataset.json"), "{\"user_rows\":1,\"relevance_threshold\":4}").unwrap();
    let (url, loaded) = fake_engine();
    let out = scorelab_in(tmp.path())
        .args(["setup-indices", "--dataset", "ds", "--engine-url", &url, "--json"])
        .output()
        .unwrap();
    let v = json_ok(&out);
    assert_eq!(v["documents"], 4, "{v}");
    assert_eq!(v["store"]["imported_now"], true);
    assert!(v["defaults_applied"].to_string().contains("diversity fields sector"), "{v}");
    let e = json_ok(&eval_json(tmp.path(), &["--dataset", "ds"]));
    assert_eq!(e["store"]["imported_now"], false, "eval reuses the store setup-indices imported");
    assert_eq!(e["store"]["path"], v["store"]["path"]);
    let loaded = loaded.lock().unwrap();
    assert_eq!(loaded.store_checksum.as_deref(), e["store"]["checksum"].as_str(), "the index is that store's");
    assert_eq!(loaded.documents, 4);
}
