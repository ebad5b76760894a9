//! The real binary: `import`, `data info` (text and JSON), exit codes for bad input and corrupt stores.

#[path = "common/data_fixture.rs"]
mod data_fixture;

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
    let out = scorelab().current_dir(tmp.path()).args(["data", "info", "st", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
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
