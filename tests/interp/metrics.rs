//! Hand-computed metric fixtures (metrics.md). Every expected value is worked out in the comment
//! above it, not produced by the code under test.

use approx::assert_abs_diff_eq;
use scorelab::metrics::{DiversityTable, MetricSet, ild_at, ndcg_at, precision_at, recall_at};

const LOG2_3: f64 = 1.584_962_500_721_156_2; // log2(3)

#[test]
fn relevant_set_larger_than_k() {
    // k = 3, list [1, 2, 3], R = {1, 3, 5, 7, 9}: hits at ranks 1 and 3.
    // DCG = 1/log2(2) + 1/log2(4) = 1 + 0.5 = 1.5
    // IDCG over min(|R|, k) = 3 ranks = 1 + 1/log2(3) + 1/2
    let (list, rel) = ([1u32, 2, 3], [1u32, 3, 5, 7, 9]);
    let idcg = 1.0 + 1.0 / LOG2_3 + 0.5;
    assert_abs_diff_eq!(ndcg_at(3, &list, &rel), 1.5 / idcg, epsilon = 1e-12);
    assert_abs_diff_eq!(ndcg_at(3, &list, &rel), 0.703_918_089_034_134_7, epsilon = 1e-12);
    // Recall divides by |R| = 5, not by k.
    assert_abs_diff_eq!(recall_at(3, &list, &rel), 0.4, epsilon = 1e-15);
    assert_abs_diff_eq!(precision_at(3, &list, &rel), 2.0 / 3.0, epsilon = 1e-15);
}

#[test]
fn short_list_still_divides_precision_by_k() {
    // k = 5, list [4, 2] (only two items could be ranked), R = {2}: hit at rank 2.
    // DCG = 1/log2(3); IDCG = 1 (|R| = 1); precision = 1/5; recall = 1/1.
    let (list, rel) = ([4u32, 2], [2u32]);
    assert_abs_diff_eq!(ndcg_at(5, &list, &rel), 1.0 / LOG2_3, epsilon = 1e-12);
    assert_abs_diff_eq!(precision_at(5, &list, &rel), 0.2, epsilon = 1e-15);
    assert_abs_diff_eq!(recall_at(5, &list, &rel), 1.0, epsilon = 1e-15);
}

#[test]
fn items_past_the_cut_off_do_not_count() {
    // A list of k+1 (the engine keeps one extra to detect ties at the cut-off): the relevant item
    // sits at rank k+1 = 3, so nothing counts at k = 2.
    let (list, rel) = ([9u32, 1, 2], [2u32]);
    assert_eq!(ndcg_at(2, &list, &rel), 0.0);
    assert_eq!(recall_at(2, &list, &rel), 0.0);
    assert_eq!(precision_at(2, &list, &rel), 0.0);
}

#[test]
fn perfect_list_scores_one_and_idcg_is_capped_at_k() {
    // R = {1..=20}, k = 10, list = the first ten relevant items: DCG = IDCG (10 ranks) → 1.
    let rel: Vec<u32> = (1..=20).collect();
    let list: Vec<u32> = (1..=10).collect();
    assert_abs_diff_eq!(ndcg_at(10, &list, &rel), 1.0, epsilon = 1e-12);
    assert_abs_diff_eq!(recall_at(10, &list, &rel), 0.5, epsilon = 1e-15);
}

#[test]
fn empty_relevant_set_gives_zero_not_nan() {
    let list = [1u32, 2];
    let rel: [u32; 0] = [];
    assert_eq!(ndcg_at(10, &list, &rel), 0.0);
    assert_eq!(recall_at(10, &list, &rel), 0.0);
}

fn table() -> DiversityTable {
    // field 0 "genres" (multi-valued), field 1 "country" (single-valued)
    // item 0: genres {a=1, b=2}, country X=10
    // item 1: genres {b=2},      country X=10
    // item 2: genres {},         country {}      (missing on both fields)
    // item 3: genres {},         country {}
    let mut t = DiversityTable::new(vec!["genres".into(), "country".into()]);
    t.push_item(&mut [vec![2, 1, 2], vec![10]]);
    t.push_item(&mut [vec![2], vec![10]]);
    t.push_item(&mut [vec![], vec![]]);
    t.push_item(&mut [vec![], vec![]]);
    t
}

#[test]
fn ild_with_multi_valued_and_missing_fields() {
    // d(0,1) = mean(jaccard({a,b},{b}) = 1 - 1/2, equal country 0) = 0.25
    // d(0,2) = d(1,2) = mean(1, 1) = 1 (missing is at distance 1 from everything)
    // ILD = 2 / (3*2) * (0.25 + 1 + 1) = 0.75
    let t = table();
    assert_abs_diff_eq!(ild_at(10, &[0usize, 1, 2], &t), 0.75, epsilon = 1e-15);
}

#[test]
fn two_missing_values_are_still_at_distance_one() {
    let t = table();
    assert_eq!(ild_at(10, &[2usize, 3], &t), 1.0);
}

#[test]
fn ild_is_zero_below_two_items_and_respects_k() {
    let t = table();
    assert_eq!(ild_at(10, &[0usize], &t), 0.0);
    assert_eq!(ild_at(10, &[] as &[usize], &t), 0.0);
    // k = 2 keeps items 0 and 1 only: d = 0.25.
    assert_abs_diff_eq!(ild_at(2, &[0usize, 1, 2], &t), 0.25, epsilon = 1e-15);
}

#[test]
fn mean_is_the_plain_average_over_users() {
    let a = MetricSet { ndcg: 1.0, recall: 0.5, precision: 0.1, ild: 0.0 };
    let b = MetricSet { ndcg: 0.0, recall: 0.5, precision: 0.3, ild: 1.0 };
    let m = MetricSet::mean(&[a, b]);
    assert_eq!(m, MetricSet { ndcg: 0.5, recall: 0.5, precision: 0.2, ild: 0.5 });
    assert_eq!(MetricSet::mean(&[]), MetricSet::default());
}

proptest::proptest! {
    #[test]
    fn ndcg_recall_precision_stay_in_unit_interval(
        list in proptest::collection::vec(0u32..50, 0..15),
        rel in proptest::collection::btree_set(0u32..50, 0..30),
        k in 1usize..12,
    ) {
        // A ranked list never repeats an item.
        let mut seen = std::collections::HashSet::new();
        let list: Vec<u32> = list.into_iter().filter(|i| seen.insert(*i)).collect();
        let rel: Vec<u32> = rel.into_iter().collect();
        for v in [ndcg_at(k, &list, &rel), recall_at(k, &list, &rel), precision_at(k, &list, &rel)] {
            proptest::prop_assert!((0.0..=1.0 + 1e-12).contains(&v), "value {v}");
        }
    }
}

mod with_store {
    //! Ground truth, cohort and diagnostics over a tiny in-memory store.
    use scorelab::data::{AttrValue, Dataset, DatasetSettings, FieldKind, FieldSpec, Interaction, Item, User};
    use scorelab::metrics::{Cohort, EvalContext, GroundTruth};
    use scorelab::rank::{RankedItem, UserRanking};
    use scorelab::store::{ItemIdx, Store, UserIdx};

    /// 6 items (genre: a,a,b,c,-,a; popularity 1..6), 4 users.
    /// Interactions: u0: i0=5, i1=2 · u1: i2=4 · u2: i3=1 (below 4) · u3: none.
    fn store() -> Store {
        let genre = |g: &[&str]| Some(AttrValue::Keyword(g.iter().map(|s| s.to_string()).collect()));
        let genres = [genre(&["a"]), genre(&["a"]), genre(&["b"]), genre(&["c"]), None, genre(&["a"])];
        let items = genres
            .into_iter()
            .enumerate()
            .map(|(i, g)| Item {
                id: format!("i{i}"),
                vector: vec![1.0, 0.0],
                attributes: vec![g, Some(AttrValue::Long(vec![i as i64 + 1]))],
            })
            .collect();
        let inter = |u: &str, i: &str, w: f32| Interaction { user_id: u.into(), item_id: i.into(), weight: w };
        let dataset = Dataset {
            settings: DatasetSettings {
                user_rows: 1,
                relevance_threshold: 4.0,
                diversity_fields: vec!["genre".into()],
                ..Default::default()
            },
            dims: 2,
            fields: vec![
                FieldSpec { name: "genre".into(), kind: FieldKind::Keyword, multi_valued: true },
                FieldSpec { name: "popularity".into(), kind: FieldKind::Long, multi_valued: false },
            ],
            items,
            users: (0..4).map(|u| User { id: format!("u{u}"), matrix: vec![1.0, 0.0] }).collect(),
            interactions: vec![
                inter("u0", "i0", 5.0),
                inter("u0", "i1", 2.0),
                inter("u1", "i2", 4.0),
                inter("u2", "i3", 1.0),
            ],
            exclusions: vec![],
        };
        Store::from_dataset(&dataset).unwrap()
    }

    fn ranking(user: u32, items: &[u32]) -> UserRanking {
        UserRanking {
            user: UserIdx(user),
            items: items.iter().map(|&i| RankedItem { item: ItemIdx(i), score: 1.0, sort_values: vec![] }).collect(),
            next: None,
            ablations: vec![],
        }
    }

    #[test]
    fn users_without_relevant_items_are_not_in_the_cohort() {
        let store = store();
        let truth = GroundTruth::from_store(&store, 4.0);
        // Threshold applied: u0 keeps i0 only (i1 = 2 < 4), u1 keeps i2, u2 (weight 1) and u3 drop out.
        assert_eq!(truth.relevant(UserIdx(0)), &[ItemIdx(0)]);
        assert_eq!(truth.kept_users, 2);
        assert!(truth.summary_line().starts_with("ground truth: kept 2/"), "{}", truth.summary_line());
        let cohort = Cohort::sample(&store, &truth, 100, 7).unwrap();
        assert_eq!(cohort.user_ids, vec!["u0", "u1"]);
        // The checksum depends on the ids only, and a smaller sample is a seeded subset.
        assert_eq!(cohort.checksum, scorelab::metrics::cohort_checksum(&["u0".into(), "u1".into()]));
        let one = Cohort::sample(&store, &truth, 1, 7).unwrap();
        assert_eq!(one, Cohort::sample(&store, &truth, 1, 7).unwrap());
        assert_eq!(one.len(), 1);
        assert!(Cohort::from_ids(&store, &truth, &["u2".into()]).is_err(), "u2 has no relevant item");
    }

    #[test]
    fn diagnostics_on_hand_made_lists() {
        let store = store();
        let truth = GroundTruth::from_store(&store, 4.0);
        let ctx = EvalContext::new(&store, truth, &["genre".to_string()], 3).unwrap();
        // u0 gets [i0, i1, i2] (hit at rank 1), u1 gets the same list (hit at rank 3).
        let (a, b) = (ranking(0, &[0, 1, 2]), ranking(1, &[0, 1, 2]));
        let e = ctx.evaluate(&[&a, &b], &[]);
        // ndcg: u0 = 1, u1 = (1/log2 4)/1 = 0.5 → mean 0.75; precision 1/3 each.
        assert!((e.metrics.ndcg - 0.75).abs() < 1e-12);
        assert!((e.metrics.precision - 1.0 / 3.0).abs() < 1e-12);
        // ILD of [a, a, b]: d = 0, 1, 1 → 2/3.
        assert!((e.metrics.ild - 2.0 / 3.0).abs() < 1e-12);
        let d = &e.diagnostics;
        assert_eq!(d.distinct_items, 3);
        assert!((d.coverage_at_k - 0.5).abs() < 1e-12);
        assert_eq!(d.identical_lists.largest_group_share, 1.0);
        assert_eq!(d.concentration[0].top_value.as_deref(), Some("a"));
        assert!((d.concentration[0].top_share - 4.0 / 6.0).abs() < 1e-12);
        // Popularity percentiles of 1..6 (mid-rank): i0 8.33, i1 25, i2 41.67; relevant i0, i2.
        assert!((d.popularity.recommended_percentile - 25.0).abs() < 1e-9);
        assert!((d.popularity.relevant_percentile - 25.0).abs() < 1e-9);
        assert_eq!(d.popularity.source, "popularity");
        assert_eq!(d.ndcg_by_activity.iter().map(|t| t.users).sum::<usize>(), 2);
    }

    #[test]
    fn unknown_diversity_field_is_named() {
        let store = store();
        let truth = GroundTruth::from_store(&store, 4.0);
        let err = EvalContext::new(&store, truth, &["nope".to_string()], 3).err().unwrap();
        assert!(err.to_string().contains("\"nope\""), "{err}");
    }
}

#[test]
fn a_user_without_hits_scores_positive_zero() {
    let v = ndcg_at(10, &[1u32, 2, 3], &[7, 8]);
    assert_eq!(v, 0.0);
    assert!(v.is_sign_positive(), "printed as 0.0000, not -0.0000");
}
