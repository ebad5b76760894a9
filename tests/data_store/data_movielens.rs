//! `prepare movielens` on the committed ml-latest-small: counts, attributes, determinism (also across
//! thread counts) and the signal test (mean-pooled user vectors vs a seeded random ranking).
//! Run with `cargo test --profile ci --test data_store data_movielens:: -- --nocapture` to see the NDCG figures.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use scorelab::data::{Dataset, MovielensOptions, prepare_movielens, write_dataset};
use scorelab::progress::NoProgress;
use scorelab::store::{Column, ItemIdx, Store, UserIdx};
use std::path::PathBuf;
use std::sync::OnceLock;

fn input() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/ml-latest-small")
}

fn dataset() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| prepare_movielens(&input(), &MovielensOptions::default(), &mut NoProgress).unwrap())
}

fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| Store::from_dataset(dataset()).unwrap())
}

#[test]
fn counts_match_the_2016_snapshot() {
    let s = store();
    assert_eq!(s.num_items(), 9066, "rated movies");
    assert_eq!(s.num_users(), 671);
    assert_eq!(s.dims(), 32);
    assert_eq!(s.user_rows(), 10);
    assert_eq!(s.settings().relevance_threshold, 4.0);
    assert_eq!(s.settings().diversity_fields, ["genres", "decade"]);
    let ds = dataset();
    assert_eq!(ds.interactions.len() + ds.exclusions.len(), 100_004, "every rating is test or training");
    let r = s.ground_truth_report();
    assert_eq!((r.users_kept, r.users_in_file, r.dropped_unknown_items), (671, 671, 0));
}

#[test]
fn split_is_temporal_and_exclusions_are_the_training_items() {
    let ds = dataset();
    let s = store();
    // User 1 has 20 ratings: the 4 most recent are the test split.
    let u1 = s.user_index("1").unwrap();
    assert_eq!(s.interactions(u1).len(), 4);
    assert_eq!(s.exclusions(u1).len(), 16);
    let mut ts = std::collections::HashMap::new();
    let text = std::fs::read_to_string(input().join("ratings.csv")).unwrap();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        ts.insert((f[0].to_string(), f[1].to_string()), f[3].parse::<i64>().unwrap());
    }
    for u in 0..s.num_users() as u32 {
        let u = UserIdx(u);
        let uid = s.user_id(u);
        let latest_train = s.exclusions(u).iter().map(|&i| ts[&(uid.to_string(), s.item_id(i).to_string())]).max();
        let earliest_test =
            s.interactions(u).iter().map(|&(i, _)| ts[&(uid.to_string(), s.item_id(i).to_string())]).min();
        if let (Some(a), Some(b)) = (latest_train, earliest_test) {
            assert!(a <= b, "user {uid}: training rating at {a} after test rating at {b}");
        }
        for &(i, _) in s.interactions(u) {
            assert!(s.exclusions(u).binary_search(&i).is_err(), "test item excluded for user {uid}");
        }
    }
    assert!(ds.items.iter().all(|i| i.vector.iter().all(|v| v.is_finite())));
}

#[test]
fn attributes_are_derived_from_titles_genres_and_training() {
    let s = store();
    let toy = s.item_index("1").unwrap();
    let Some(Column::Keyword(genres)) = s.column("genres") else { panic!() };
    assert_eq!(genres.terms(toy).collect::<Vec<_>>(), ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]);
    assert!(genres.code("(no genres listed)").is_none());
    let Some(Column::Long(year)) = s.column("year") else { panic!() };
    assert_eq!(year.values(toy), [1995]);
    let Some(Column::Keyword(decade)) = s.column("decade") else { panic!() };
    assert_eq!(decade.terms(toy).collect::<Vec<_>>(), ["1990s"]);
    let Some(Column::Long(pop)) = s.column("popularity") else { panic!() };
    let Some(Column::Double(mean)) = s.column("mean_rating") else { panic!() };
    let Some(Column::Long(last)) = s.column("last_rated") else { panic!() };
    let total: i64 = (0..s.num_items() as u32).map(|i| pop.values(ItemIdx(i))[0]).sum();
    let excluded: usize = (0..s.num_users() as u32).map(|u| s.exclusions(UserIdx(u)).len()).sum();
    assert_eq!(total as usize, excluded, "popularity counts training ratings");
    for i in 0..s.num_items() as u32 {
        let i = ItemIdx(i);
        let trained = pop.values(i)[0] > 0;
        assert_eq!(mean.values(i).len(), trained as usize);
        assert_eq!(last.values(i).len(), trained as usize);
        if trained {
            assert!((0.5..=5.0).contains(&mean.values(i)[0]));
            assert!(last.values(i)[0] > 800_000_000, "epoch seconds");
        }
    }
}

fn prepare_bytes(threads: usize, opts: &MovielensOptions) -> (Vec<(String, Vec<u8>)>, String) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let ds = pool.install(|| prepare_movielens(&input(), opts, &mut NoProgress).unwrap());
    let tmp = tempfile::tempdir().unwrap();
    write_dataset(&ds, &tmp.path().join("out")).unwrap();
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    (files, Store::from_dataset(&ds).unwrap().checksum().to_string())
}

#[test]
fn prepare_is_byte_identical_across_runs_and_thread_counts() {
    // Fewer ALS iterations keep the debug-build test short; the code path is the same.
    let opts = MovielensOptions { iterations: 3, ..MovielensOptions::default() };
    let (a, ca) = prepare_bytes(1, &opts);
    let (b, cb) = prepare_bytes(3, &opts);
    assert_eq!(a.len(), 5, "dataset.json, items, users, interactions, exclusions");
    for ((na, ba), (nb, bb)) in a.iter().zip(&b) {
        assert_eq!(na, nb);
        assert!(ba == bb, "{na} differs between runs");
    }
    assert_eq!(ca, cb);
}

/// NDCG@10 with binary gain (metrics.md): DCG over the list, IDCG over min(|R|, 10) ideal hits.
fn ndcg_at_10(list: &[u32], relevant: &[u32]) -> f64 {
    let dcg: f64 = list
        .iter()
        .take(10)
        .enumerate()
        .filter(|(_, i)| relevant.contains(i))
        .map(|(r, _)| 1.0 / ((r + 2) as f64).log2())
        .sum();
    let idcg: f64 = (0..relevant.len().min(10)).map(|r| 1.0 / ((r + 2) as f64).log2()).sum();
    dcg / idcg
}

#[test]
fn mean_pooled_user_vectors_rank_held_out_items_far_above_random() {
    let s = store();
    let threshold = s.settings().relevance_threshold as f32;
    let vectors = s.vectors();
    let norms: Vec<f32> = vectors.rows().into_iter().map(|r| r.dot(&r).sqrt()).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let (mut cos_sum, mut rand_sum, mut expected_sum, mut n) = (0.0, 0.0, 0.0, 0usize);
    for u in 0..s.num_users() as u32 {
        let u = UserIdx(u);
        let relevant: Vec<u32> = s.interactions(u).iter().filter(|(_, w)| *w >= threshold).map(|(i, _)| i.0).collect();
        if relevant.is_empty() {
            continue;
        }
        let excluded = s.exclusions(u);
        let candidates: Vec<u32> =
            (0..s.num_items() as u32).filter(|&i| excluded.binary_search(&ItemIdx(i)).is_err()).collect();
        let pooled = s.user_matrix(u).mean_axis(ndarray::Axis(0)).unwrap();
        let pn = pooled.dot(&pooled).sqrt().max(1e-12);
        let mut scored: Vec<(f32, u32)> = candidates
            .iter()
            .map(|&i| (vectors.row(i as usize).dot(&pooled) / (norms[i as usize].max(1e-12) * pn), i))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let top: Vec<u32> = scored.iter().take(10).map(|x| x.1).collect();
        let mut shuffled = candidates.clone();
        shuffled.shuffle(&mut rng);
        cos_sum += ndcg_at_10(&top, &relevant);
        rand_sum += ndcg_at_10(&shuffled[..10], &relevant);
        // Expected NDCG@10 of a uniformly random ranking: each rank holds a relevant item with p = |R| / |C|.
        let p = relevant.len() as f64 / candidates.len() as f64;
        let idcg: f64 = (0..relevant.len().min(10)).map(|r| 1.0 / ((r + 2) as f64).log2()).sum();
        expected_sum += (0..10).map(|r| p / ((r + 2) as f64).log2()).sum::<f64>() / idcg;
        n += 1;
    }
    let (cosine, random, expected) = (cos_sum / n as f64, rand_sum / n as f64, expected_sum / n as f64);
    let baseline = random.max(expected);
    println!(
        "signal test on {n} users with a relevant held-out item: NDCG@10 cosine {cosine:.4}, seeded random {random:.4}, \
         expected random {expected:.4}, ratio {:.1}x",
        cosine / baseline
    );
    assert!(n > 500, "cohort {n}");
    assert!(expected > 0.0);
    assert!(cosine >= 3.0 * baseline, "cosine {cosine} vs random {baseline}");
}
