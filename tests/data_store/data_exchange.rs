//! The exchange-format reader and writer: every bad-input case names file, line (and column or
//! field); a good directory round-trips through the writer unchanged.

use crate::data_fixture;

use scorelab::data::{
    AttrValue, DataError, FieldKind, dataset_bytes, read_dataset, read_dataset_with_progress, write_dataset,
};
use scorelab::store::Store;
use std::path::{Path, PathBuf};

/// The small fixture with one file replaced.
fn fixture_with(file: &str, content: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ds");
    data_fixture::write_small(&dir);
    std::fs::write(dir.join(file), content).unwrap();
    (tmp, dir)
}

fn read_err(file: &str, content: &str) -> DataError {
    let (_tmp, dir) = fixture_with(file, content);
    read_dataset(&dir).expect_err("bad input must be refused")
}

fn ends_with(p: &Path, name: &str) -> bool {
    p.file_name().is_some_and(|n| n == name)
}

const V: &str = "\"item_vector\":[1,2,3]";

#[test]
fn nan_token_in_a_vector_is_named() {
    let err = read_err("items.jsonl", &format!("{{\"id\":1,{V}}}\n{{\"id\":2,\"item_vector\":[1,NaN,3]}}\n"));
    assert!(matches!(err, DataError::Json { ref path, line: 2, .. } if ends_with(path, "items.jsonl")), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("items.jsonl:2:") && msg.contains("`NaN` is not a JSON number"), "{msg}");
}

#[test]
fn infinity_token_and_f32_overflow_are_refused() {
    let err = read_err("items.jsonl", &format!("{{\"id\":1,{V}}}\n{{\"id\":2,\"item_vector\":[1,-Infinity,3]}}\n"));
    assert!(err.to_string().contains("`-Infinity`"), "{err}");
    let err = read_err("items.jsonl", &format!("{{\"id\":1,{V}}}\n{{\"id\":2,\"item_vector\":[1,2,1e39]}}\n"));
    assert!(
        matches!(err, DataError::NonFinite { line: 2, index: 2, ref field, .. } if field == "item_vector"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("items.jsonl:2: field `item_vector` holds a non-finite value (1e+39) at position 2"),
        "{err}"
    );
}

#[test]
fn wrong_dims_say_line_expected_and_got() {
    let err = read_err("items.jsonl", &format!("{{\"id\":1,{V}}}\n\n{{\"id\":2,\"item_vector\":[1,2]}}\n"));
    assert!(matches!(err, DataError::WrongDims { line: 3, expected: 3, got: 2, .. }), "{err:?}");
    assert!(
        err.to_string().contains("items.jsonl:3: field `item_vector` has 2 dims, expected 3 (as on line 1"),
        "{err}"
    );
}

#[test]
fn dims_declared_in_dataset_json_win() {
    let (_tmp, dir) = fixture_with("dataset.json", r#"{"user_rows":2,"dims":4}"#);
    let err = read_dataset(&dir).unwrap_err();
    assert!(matches!(err, DataError::WrongDims { line: 1, expected: 4, got: 3, .. }), "{err:?}");
    assert!(err.to_string().contains("(set by dataset.json)"));
}

#[test]
fn user_matrix_must_be_rows_by_dims() {
    let cases = [
        ("{\"id\":1,\"user_vector\":[[1,0,0]]}\n", "1 rows"),
        ("{\"id\":1,\"user_vector\":[[1,0,0],[1,0]]}\n", "row 2 with 2 values"),
        ("{\"id\":1,\"user_vector\":[1,0,0,1]}\n", "a flat list of 4 numbers"),
        ("{\"id\":1,\"user_vector\":\"x\"}\n", "a string"),
    ];
    for (content, got) in cases {
        let err = read_err("users.jsonl", content);
        assert!(
            matches!(err, DataError::BadMatrix { line: 1, expected_rows: 2, expected_dims: 3, got: ref g, .. } if g == got),
            "{err:?}"
        );
        assert!(err.to_string().contains("users.jsonl:1: field `user_vector` must be a 2 x 3 matrix"), "{err}");
    }
    let err = read_err("users.jsonl", "{\"id\":1,\"user_vector\":[[1,0,0],[1,0,1e40]]}\n");
    assert!(matches!(err, DataError::NonFinite { line: 1, index: 5, .. }), "{err:?}");
}

#[test]
fn duplicate_ids_name_both_lines() {
    let err = read_err("items.jsonl", &format!("{{\"id\":\"7\",{V}}}\n{{\"id\":8,{V}}}\n{{\"id\":7,{V}}}\n"));
    assert!(matches!(err, DataError::DuplicateId { line: 3, first_line: 1, what: "item", .. }), "{err:?}");
    assert!(err.to_string().contains("items.jsonl:3: duplicate item id \"7\" (first seen at line 1)"), "{err}");
    let m = "\"user_vector\":[[1,0,0],[0,1,0]]";
    let err = read_err("users.jsonl", &format!("{{\"id\":\"a\",{m}}}\n{{\"id\":\"a\",{m}}}\n"));
    assert!(matches!(err, DataError::DuplicateId { line: 2, first_line: 1, what: "user", .. }), "{err:?}");
}

#[test]
fn unknown_items_and_users_in_interactions_are_dropped_and_counted() {
    let (_tmp, dir) =
        fixture_with("interactions.csv", "item_id,user_id,weight\nb,u1,5\nx1,u1,5\nx2,2,1\nb,nobody,4\nc,u3,4\n");
    let store = Store::from_dataset(&read_dataset(&dir).unwrap()).unwrap();
    assert_eq!(
        store.ground_truth_report().to_string(),
        "ground truth: kept 2/4 users, dropped 2 interactions to unknown items and 1 of unknown users"
    );
}

#[test]
fn malformed_json_reports_file_line_column() {
    let err = read_err("items.jsonl", &format!("{{\"id\":1,{V}}}\n{{\"id\":2,\"item_vector\":[1,2,3]\n"));
    assert!(matches!(err, DataError::Json { line: 2, column, .. } if column > 1), "{err:?}");
    assert!(err.to_string().starts_with(&dir_file(&err).to_string()), "{err}");
    let err = read_err("users.jsonl", "[1,2]\n");
    assert!(err.to_string().contains("users.jsonl:1:1: malformed JSON: expected a JSON object, found a list"), "{err}");
    let err = read_err("dataset.json", "{\"user_rows\": 2,\n \"bogus\": 1}");
    assert!(matches!(err, DataError::Json { line: 2, .. }), "{err:?}");
    assert!(err.to_string().contains("unknown field `bogus`"), "{err}");
}

fn dir_file(err: &DataError) -> String {
    match err {
        DataError::Json { path, .. } => path.display().to_string(),
        _ => String::new(),
    }
}

#[test]
fn malformed_csv_reports_file_line_column() {
    let err = read_err("interactions.csv", "item_id,user_id,weight\nb,u1,5\nb,u1\n");
    assert!(matches!(err, DataError::Csv { line: 3, .. }), "{err:?}");
    assert!(err.to_string().contains("interactions.csv:3:2: malformed CSV: expected 3 fields, found 2"), "{err}");
    let err = read_err("interactions.csv", "item_id,user_id,weight\nb,u1,5\nb,u1,high\n");
    assert!(
        err.to_string().contains("interactions.csv:3:3: malformed CSV: weight `high` is not a finite number"),
        "{err}"
    );
    let err = read_err("interactions.csv", "user_id,weight\nu1,5\n");
    assert!(err.to_string().contains("interactions.csv:1:1: malformed CSV: header has no `item_id` column"), "{err}");
    let err = read_err("exclusions.csv", "user_id,item_id\nu1,\n");
    assert!(err.to_string().contains("exclusions.csv:2:2: malformed CSV: empty `item_id`"), "{err}");
}

#[test]
fn missing_required_fields_are_named() {
    let err = read_err("items.jsonl", "{\"item_vector\":[1,2,3]}\n");
    assert!(err.to_string().contains("items.jsonl:1: missing required field `id`"), "{err}");
    let err = read_err("items.jsonl", "{\"id\":1,\"item_vector\":[1,2,3]}\n{\"id\":2,\"vec\":[1,2,3]}\n");
    assert!(err.to_string().contains("items.jsonl:2: missing required field `item_vector`"), "{err}");
    let err = read_err("users.jsonl", "{\"id\":1}\n");
    assert!(err.to_string().contains("users.jsonl:1: missing required field `user_vector`"), "{err}");
    let err = read_err("items.jsonl", "{\"id\":1.5,\"item_vector\":[1,2,3]}\n");
    assert!(err.to_string().contains("field `id`: id must be a string or an integer"), "{err}");
}

#[test]
fn empty_files_are_refused() {
    for (file, content, what) in [
        ("items.jsonl", "", "no items"),
        ("users.jsonl", "\n\n", "no users"),
        ("interactions.csv", "item_id,user_id,weight\n", "no interactions"),
        ("interactions.csv", "", "no interactions"),
    ] {
        let err = read_err(file, content);
        assert!(matches!(err, DataError::Empty { ref path, .. } if ends_with(path, file)), "{err:?}");
        assert_eq!(err.to_string(), format!("{}: empty file: {what}", dir_file_of(&err)));
    }
}

fn dir_file_of(err: &DataError) -> String {
    match err {
        DataError::Empty { path, .. } => path.display().to_string(),
        _ => String::new(),
    }
}

#[test]
fn a_missing_file_names_its_path() {
    let tmp = tempfile::tempdir().unwrap();
    let err = read_dataset(tmp.path()).unwrap_err();
    assert!(matches!(err, DataError::Io { ref path, .. } if ends_with(path, "items.jsonl")), "{err:?}");
}

#[test]
fn conflicting_attribute_types_need_a_declaration() {
    let items = format!("{{\"id\":1,{V},\"size\":\"L\"}}\n{{\"id\":2,{V},\"size\":42}}\n");
    let err = read_err("items.jsonl", &items);
    assert!(err.to_string().contains("field `size` is a string on line 1 but a number on line 2"), "{err}");
    let (_tmp, dir) = fixture_with("items.jsonl", &items);
    std::fs::write(dir.join("dataset.json"), r#"{"user_rows":2,"fields":[{"name":"size","type":"keyword"}]}"#).unwrap();
    std::fs::write(dir.join("interactions.csv"), "1,u1,1\n").unwrap();
    std::fs::write(dir.join("exclusions.csv"), "").unwrap();
    let ds = read_dataset(&dir).unwrap();
    assert_eq!(ds.fields[0].kind, FieldKind::Keyword);
    assert_eq!(ds.items[1].attributes[0], Some(AttrValue::Keyword(vec!["42".into()])));
    assert_eq!(ds.interactions.len(), 1, "a headerless CSV uses the default column order");
}

#[test]
fn booleans_and_objects_are_refused_unless_declared() {
    let err = read_err("items.jsonl", &format!("{{\"id\":1,{V},\"meta\":{{\"a\":1}}}}\n"));
    assert!(err.to_string().contains("items.jsonl:1: field `meta`: unsupported value (an object)"), "{err}");
}

#[test]
fn writer_round_trips_the_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ds");
    data_fixture::write_small(&dir);
    let ds = read_dataset(&dir).unwrap();
    write_dataset(&ds, &tmp.path().join("copy")).unwrap();
    let mut again = read_dataset(&tmp.path().join("copy")).unwrap();
    again.settings.name = ds.settings.name.clone();
    assert_eq!(again, ds);
    write_dataset(&again, &tmp.path().join("copy2")).unwrap();
    for f in ["items.jsonl", "users.jsonl", "interactions.csv", "exclusions.csv"] {
        assert_eq!(
            std::fs::read(tmp.path().join("copy").join(f)).unwrap(),
            std::fs::read(tmp.path().join("copy2").join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn progress_reports_every_byte_read() {
    let ds = scorelab::data::synthetic_dataset(&scorelab::data::SyntheticOptions {
        items: 9000,
        users: 40,
        dims: 4,
        ..Default::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ds");
    write_dataset(&ds, &dir).unwrap();
    let seen = std::cell::Cell::new(0u64);
    let calls = std::cell::Cell::new(0u32);
    let read = read_dataset_with_progress(&dir, &|n| {
        seen.set(seen.get() + n);
        calls.set(calls.get() + 1);
    })
    .unwrap();
    assert_eq!(read.items.len(), 9000);
    assert_eq!(seen.get(), dataset_bytes(&dir), "the bar ends exactly full");
    assert!(calls.get() > 3, "items.jsonl is reported as it is parsed, not in one step: {} calls", calls.get());
}
