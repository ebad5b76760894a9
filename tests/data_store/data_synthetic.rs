//! `prepare synthetic`: planted structure is recoverable, output is deterministic, the store imports.

use scorelab::data::{SyntheticOptions, synthetic_dataset};
use scorelab::store::synthetic_store;
use scorelab::store::{Column, ItemIdx, UserIdx};

fn small() -> SyntheticOptions {
    SyntheticOptions { items: 3_000, users: 60, dims: 16, seed: 5, topics: 8, ..SyntheticOptions::default() }
}

#[test]
fn same_seed_same_store_at_any_thread_count() {
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let a = one.install(|| synthetic_store(&small()).unwrap());
    let b = synthetic_store(&small()).unwrap();
    assert_eq!(a.checksum(), b.checksum());
    let c = synthetic_store(&SyntheticOptions { seed: 6, ..small() }).unwrap();
    assert_ne!(a.checksum(), c.checksum());
}

#[test]
fn shapes_fields_and_ground_truth() {
    let s = synthetic_store(&small()).unwrap();
    assert_eq!((s.num_items(), s.num_users(), s.dims(), s.user_rows()), (3_000, 60, 16, 10));
    let names: Vec<&str> = s.schema().fields().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["item_vector", "category", "tags", "brand", "year", "price", "popularity", "last_rated"]);
    let r = s.ground_truth_report();
    assert_eq!((r.users_kept, r.users_in_file, r.dropped_unknown_items), (60, 60, 0));
    for u in 0..60 {
        let u = UserIdx(u);
        assert!(!s.interactions(u).is_empty());
        for (i, w) in s.interactions(u) {
            assert!((1.0..=5.0).contains(w));
            assert!(s.exclusions(u).binary_search(i).is_err(), "ground truth overlaps the history");
        }
    }
    let Some(Column::Double(price)) = s.column("price") else { panic!() };
    assert!((0..3_000).all(|i| price.values(ItemIdx(i))[0] > 0.0));
}

#[test]
fn popularity_is_heavy_tailed() {
    let s = synthetic_store(&small()).unwrap();
    let Some(Column::Long(pop)) = s.column("popularity") else { panic!() };
    let mut p: Vec<i64> = (0..3_000).map(|i| pop.values(ItemIdx(i))[0]).collect();
    p.sort_unstable_by(|a, b| b.cmp(a));
    let top: i64 = p[..30].iter().sum();
    let total: i64 = p.iter().sum();
    assert!(top as f64 > 0.1 * total as f64, "top 1% hold {top} of {total}");
}

#[test]
fn items_of_a_category_are_closer_to_each_other_than_to_others() {
    let ds = synthetic_dataset(&small());
    let s = scorelab::store::Store::from_dataset(&ds).unwrap();
    let Some(Column::Keyword(cat)) = s.column("category") else { panic!() };
    let cos = |a: &[f32], b: &[f32]| {
        let d: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        d / (a.iter().map(|x| x * x).sum::<f32>().sqrt() * b.iter().map(|x| x * x).sum::<f32>().sqrt())
    };
    let (mut same, mut ns, mut diff, mut nd) = (0.0f32, 0, 0.0f32, 0);
    for i in 0..300u32 {
        for j in (i + 1)..300 {
            let c = cos(s.vector(ItemIdx(i)), s.vector(ItemIdx(j)));
            if cat.values(ItemIdx(i)) == cat.values(ItemIdx(j)) {
                same += c;
                ns += 1;
            } else {
                diff += c;
                nd += 1;
            }
        }
    }
    let (same, diff) = (same / ns as f32, diff / nd as f32);
    assert!(same > diff + 0.3, "same-category cosine {same} vs different {diff}");
}

#[test]
fn users_prefer_their_history_topics() {
    // Mean-pooled user matrices rank held-out items above random, as on MovieLens.
    let s = synthetic_store(&small()).unwrap();
    let (mut hits, mut n) = (0usize, 0usize);
    for u in 0..60 {
        let u = UserIdx(u);
        let pooled = s.user_matrix(u).mean_axis(ndarray::Axis(0)).unwrap();
        let mut scored: Vec<(f32, u32)> =
            (0..3_000u32).map(|i| (s.vectors().row(i as usize).dot(&pooled), i)).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let truth: Vec<u32> = s.interactions(u).iter().map(|(i, _)| i.0).collect();
        hits += scored.iter().take(100).filter(|(_, i)| truth.contains(i)).count();
        n += truth.len();
    }
    let recall = hits as f64 / n as f64;
    assert!(recall > 3.0 * 100.0 / 3_000.0, "recall@100 {recall}");
}
