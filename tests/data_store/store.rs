//! The binary store: mmap vs in-memory twin, columns, lookups, ground truth, corruption checks.

use crate::data_fixture;

use scorelab::data::{FieldKind, read_dataset};
use scorelab::store::{Column, ItemIdx, Store, StoreError, UserIdx};

fn small_store() -> (tempfile::TempDir, Store, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let ds_dir = tmp.path().join("ds");
    data_fixture::write_small(&ds_dir);
    let ds = read_dataset(&ds_dir).unwrap();
    let mem = Store::from_dataset(&ds).unwrap();
    mem.save(tmp.path().join("store")).unwrap();
    let mapped = Store::open(tmp.path().join("store")).unwrap();
    (tmp, mem, mapped)
}

fn assert_same(a: &Store, b: &Store) {
    assert_eq!(a.checksum(), b.checksum());
    assert_eq!(a.schema(), b.schema());
    assert_eq!(a.settings(), b.settings());
    assert_eq!(a.num_items(), b.num_items());
    assert_eq!(a.vectors(), b.vectors());
    for i in 0..a.num_items() as u32 {
        let i = ItemIdx(i);
        assert_eq!(a.item_id(i), b.item_id(i));
        assert_eq!(b.item_index(a.item_id(i)), Some(i));
        assert_eq!(a.vector(i), b.vector(i));
        for f in a.schema().fields() {
            match (a.column(&f.name), b.column(&f.name)) {
                (Some(Column::Long(x)), Some(Column::Long(y))) => assert_eq!(x.values(i), y.values(i)),
                (Some(Column::Double(x)), Some(Column::Double(y))) => assert_eq!(x.values(i), y.values(i)),
                (Some(Column::Keyword(x)), Some(Column::Keyword(y))) => {
                    assert_eq!(x.values(i), y.values(i));
                    assert!(x.terms(i).eq(y.terms(i)));
                }
                (None, None) => assert!(matches!(f.kind, FieldKind::Vector { .. })),
                _ => panic!("column {} differs", f.name),
            }
        }
    }
    assert_eq!(a.num_users(), b.num_users());
    for u in 0..a.num_users() as u32 {
        let u = UserIdx(u);
        assert_eq!(a.user_id(u), b.user_id(u));
        assert_eq!(b.user_index(a.user_id(u)), Some(u));
        assert_eq!(a.user_matrix(u), b.user_matrix(u));
        assert_eq!(a.interactions(u), b.interactions(u));
        assert_eq!(a.exclusions(u), b.exclusions(u));
    }
}

#[test]
fn mmap_and_in_memory_twin_are_identical() {
    let (_tmp, mem, mapped) = small_store();
    assert!(mapped.is_mapped());
    assert!(!mem.is_mapped());
    assert_same(&mem, &mapped);
    mapped.verify().unwrap();
    mem.verify().unwrap();
}

#[test]
fn schema_types_are_inferred() {
    let (_tmp, store, _) = small_store();
    let kinds: Vec<(String, FieldKind, bool)> =
        store.schema().fields().iter().map(|f| (f.name.clone(), f.kind, f.multi_valued)).collect();
    assert_eq!(
        kinds,
        vec![
            ("item_vector".to_string(), FieldKind::Vector { dims: 3 }, false),
            ("genres".to_string(), FieldKind::Keyword, true),
            ("year".to_string(), FieldKind::Long, false),
            ("score".to_string(), FieldKind::Double, true),
            ("brand".to_string(), FieldKind::Keyword, false),
        ]
    );
    assert_eq!(store.settings().relevance_threshold, 4.0);
    assert_eq!(store.user_rows(), 2);
    assert_eq!(store.dims(), 3);
}

#[test]
fn columns_are_sorted_and_keywords_use_byte_order_codes() {
    let (_tmp, _, store) = small_store();
    let Some(Column::Keyword(genres)) = store.column("genres") else { panic!("genres") };
    let terms: Vec<&str> = (0..genres.num_terms() as u32).map(|c| genres.term(c)).collect();
    assert_eq!(terms, ["Action", "Comedy", "Drama", "Zany", "Ãction"]);
    let b = store.item_index("b").unwrap();
    assert_eq!(genres.values(b), [1, 2], "deduplicated, ascending");
    assert_eq!(genres.terms(store.item_index("c").unwrap()).collect::<Vec<_>>(), ["Action", "Zany"]);
    assert!(genres.values(store.item_index("a").unwrap()).is_empty(), "an empty list is absent");
    assert_eq!(genres.code("Drama"), Some(2));
    assert_eq!(genres.code("Horror"), None);
    let Some(Column::Double(score)) = store.column("score") else { panic!("score") };
    assert_eq!(score.values(store.item_index("10").unwrap()), [1.5, 3.0, 3.0], "duplicates kept");
    assert_eq!(score.values(b), [1.0, 2.5]);
    let Some(Column::Long(year)) = store.column("year") else { panic!("year") };
    assert_eq!(year.values(b), [1995]);
    assert!(year.values(store.item_index("c").unwrap()).is_empty(), "null is absent");
    assert!(store.column("nope").is_none());
}

#[test]
fn ordinals_follow_catalogue_order_and_ids_resolve() {
    let (_tmp, _, store) = small_store();
    let ids: Vec<&str> = (0..4).map(|i| store.item_id(ItemIdx(i))).collect();
    assert_eq!(ids, ["b", "10", "a", "c"]);
    assert_eq!(store.vector(ItemIdx(3)), [0.5, 0.5, 0.0]);
    assert_eq!(store.vectors().shape(), [4, 3]);
    assert_eq!(store.user_index("2"), Some(UserIdx(1)));
    assert_eq!(store.user_index("u4"), None);
    assert_eq!(store.user_matrix(UserIdx(1)).as_slice().unwrap(), [0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
    assert_eq!(store.user_matrix(UserIdx(2)).row(1).to_vec(), [0.0, 0.0, 0.75]);
}

#[test]
fn ground_truth_drops_unknown_ids_and_merges_duplicates() {
    let (_tmp, _, store) = small_store();
    let u1 = store.user_index("u1").unwrap();
    // b appears twice for u1 (5 and 2): the larger weight is kept; "nope" is unknown.
    assert_eq!(store.interactions(u1), [(ItemIdx(0), 5.0), (ItemIdx(1), 3.5), (ItemIdx(3), 4.0)]);
    assert_eq!(store.interactions(store.user_index("2").unwrap()), [(ItemIdx(2), 4.5)]);
    assert!(store.interactions(store.user_index("u3").unwrap()).is_empty());
    assert_eq!(store.exclusions(u1), [ItemIdx(2), ItemIdx(3)]);
    let r = store.ground_truth_report();
    assert_eq!((r.users_in_file, r.users_kept), (3, 2));
    assert_eq!((r.dropped_unknown_items, r.dropped_unknown_users, r.duplicates_merged), (1, 1, 1));
    assert_eq!(r.exclusions_dropped_unknown, 1);
    assert_eq!(
        r.to_string(),
        "ground truth: kept 2/3 users, dropped 1 interactions to unknown items and 1 of unknown users"
    );
}

#[test]
fn corrupt_payload_fails_verify_naming_the_file() {
    let (tmp, _, _) = small_store();
    let path = tmp.path().join("store/vectors.f32");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[5] ^= 0x40;
    std::fs::write(&path, bytes).unwrap();
    let store = Store::open(tmp.path().join("store")).unwrap();
    let err = store.verify().unwrap_err();
    assert!(matches!(err, StoreError::Checksum { ref path, .. } if path.ends_with("vectors.f32")), "{err}");
}

#[test]
fn tampered_manifest_or_meta_fails_open() {
    let (tmp, _, _) = small_store();
    let dir = tmp.path().join("store");
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let meta = std::fs::read_to_string(dir.join("meta.json")).unwrap();
    std::fs::write(dir.join("meta.json"), meta.replace("\"small\"", "\"smalL\"")).unwrap();
    let err = Store::open(&dir).unwrap_err();
    assert!(matches!(err, StoreError::Checksum { ref path, .. } if path.ends_with("meta.json")), "{err}");
    std::fs::write(dir.join("meta.json"), &meta).unwrap();
    let v: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let mut bad = v.clone();
    bad["checksum"] = "00".into();
    std::fs::write(dir.join("manifest.json"), bad.to_string()).unwrap();
    let err = Store::open(&dir).unwrap_err();
    assert!(matches!(err, StoreError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains("manifest.json"), "{err}");
    let mut truncated = v.clone();
    truncated["files"][1]["bytes"] = 1.into();
    std::fs::write(dir.join("manifest.json"), truncated.to_string()).unwrap();
    assert!(Store::open(&dir).is_err());
}

#[test]
fn other_format_version_is_refused() {
    let (tmp, _, _) = small_store();
    let dir = tmp.path().join("store");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    v["format_version"] = 99.into();
    std::fs::write(dir.join("manifest.json"), v.to_string()).unwrap();
    let err = Store::open(&dir).unwrap_err();
    assert!(matches!(err, StoreError::FormatVersion { found: 99, expected: 1, .. }), "{err}");
    assert!(err.to_string().contains("format version 99"));
}

#[test]
fn a_directory_without_manifest_is_not_a_store() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Store::open(tmp.path()).unwrap_err();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
}

#[test]
fn saving_again_replaces_the_store_atomically() {
    let (tmp, mem, _) = small_store();
    let dir = tmp.path().join("store");
    mem.save(&dir).unwrap();
    let reopened = Store::open(&dir).unwrap();
    assert_eq!(reopened.checksum(), mem.checksum());
    let leftovers: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
