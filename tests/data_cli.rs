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
