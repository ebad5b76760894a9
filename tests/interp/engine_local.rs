//! The local rank engine with native scorers (no interpreter needed): ordering and tie-break,
//! bit-identical results at 1 and N threads, exclusions, runtime errors as data, NaN/negative scores.

use scorelab::data::{Dataset, DatasetSettings, Exclusion, FieldKind, FieldSpec, Interaction, Item, User};
use scorelab::painless::{Diagnostic, Phase, Severity, Span};
use scorelab::rank::{
    CompiledSet, CompiledSort, FailureKind, LocalEngine, NativeScorer, Params, RankOutcome, RankRequest, SortOrder,
    UserResult, UserScorer,
};
use scorelab::store::{ItemIdx, Store, UserIdx};

const DIMS: usize = 4;

/// `items` items with pseudo-random vectors, `users` users, user u excludes items `u % 7` and `3 + u % 5`.
fn dataset(items: usize, users: usize) -> Dataset {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 / (1u64 << 53) as f64) as f32 * 2.0 - 1.0
    };
    Dataset {
        settings: DatasetSettings { user_rows: 2, ..Default::default() },
        dims: DIMS as u32,
        fields: vec![FieldSpec { name: "bucket".into(), kind: FieldKind::Long, multi_valued: false }],
        items: (0..items)
            .map(|i| Item {
                id: format!("i{i}"),
                vector: (0..DIMS).map(|_| next()).collect(),
                attributes: vec![Some(scorelab::data::AttrValue::Long(vec![(i % 3) as i64]))],
            })
            .collect(),
        users: (0..users)
            .map(|u| User { id: format!("u{u}"), matrix: (0..2 * DIMS).map(|_| next()).collect() })
            .collect(),
        interactions: (0..users)
            .map(|u| Interaction { item_id: format!("i{}", (u * 7) % items), user_id: format!("u{u}"), weight: 5.0 })
            .collect(),
        exclusions: (0..users)
            .flat_map(|u| [u % 7, 3 + u % 5].map(|i| Exclusion { user_id: format!("u{u}"), item_id: format!("i{i}") }))
            .collect(),
    }
}

fn store(items: usize, users: usize) -> Store {
    Store::from_dataset(&dataset(items, users)).expect("valid test dataset")
}

fn all_users(store: &Store) -> Vec<UserIdx> {
    (0..store.num_users() as u32).map(UserIdx).collect()
}

fn native<F>(f: F) -> Box<dyn UserScorer>
where
    F: Fn(&Params, &Store, ItemIdx, f64) -> Result<f64, Diagnostic> + Sync + 'static,
{
    Box::new(NativeScorer::new(f))
}

fn query_only(scorer: Box<dyn UserScorer>) -> CompiledSet<'static> {
    CompiledSet { query: scorer, query_file: "query.painless".into(), sorts: vec![] }
}

/// Mean-pooled user vector · item vector, shifted to be non-negative.
fn dot_scorer() -> Box<dyn UserScorer> {
    native(|params, store, item, _| {
        let rows = params["user_vector"].as_array().unwrap();
        let v = store.vector(item);
        let mut s = 0.0;
        for row in rows {
            for (x, y) in row.as_array().unwrap().iter().zip(v) {
                s += x.as_f64().unwrap() * *y as f64;
            }
        }
        Ok(s / rows.len() as f64 + 10.0)
    })
}

fn runtime_error(message: &str) -> Diagnostic {
    Diagnostic {
        code: "R301".into(),
        severity: Severity::Error,
        phase: Phase::Runtime,
        span: Span::new(0, 1),
        statement: Some(Span::new(0, 1)),
        es_type: "illegal_state_exception".into(),
        message: message.into(),
        help: None,
        java_frames: vec![],
    }
}

fn lists(outcome: &RankOutcome) -> Vec<Vec<u32>> {
    outcome.rankings().expect("no failures").iter().map(|r| r.items.iter().map(|i| i.item.0).collect()).collect()
}

#[test]
fn equal_scores_fall_back_to_ordinal_and_exclusions_are_honoured() {
    let store = store(50, 6);
    let engine = LocalEngine::new(&store).with_threads(1);
    let set = query_only(native(|_, _, _, _| Ok(1.0)));
    let outcome = engine.rank_compiled(&set, &RankRequest::new(all_users(&store), 5)).unwrap();
    for (u, list) in lists(&outcome).iter().enumerate() {
        let excluded = [(u % 7) as u32, (3 + u % 5) as u32];
        let expected: Vec<u32> = (0..50u32).filter(|i| !excluded.contains(i)).take(5).collect();
        assert_eq!(list, &expected, "user {u}");
    }
    // Every user's cut-off falls inside the all-equal tie.
    assert!(outcome.rankings().unwrap().iter().all(|r| r.tie_at_cutoff()));
}

#[test]
fn higher_score_first_then_ordinal() {
    let store = store(20, 1);
    let engine = LocalEngine::new(&store).with_threads(1);
    // Scores: item 9 → 5, items 2 and 12 → 3 (tie), others 1.  User 0 excludes items 0 and 3.
    let set = query_only(native(|_, _, item, _| {
        Ok(match item.0 {
            9 => 5.0,
            2 | 12 => 3.0,
            _ => 1.0,
        })
    }));
    let outcome = engine.rank_compiled(&set, &RankRequest::new(vec![UserIdx(0)], 4)).unwrap();
    assert_eq!(lists(&outcome), vec![vec![9, 2, 12, 1]]);
    let r = &outcome.rankings().unwrap()[0];
    assert_eq!(r.items[0].score, 5.0);
    assert_eq!(r.next.as_ref().unwrap().item, ItemIdx(4));
}

#[test]
fn bit_identical_at_one_and_many_threads() {
    let store = store(3000, 64);
    let users = all_users(&store);
    let mut request = RankRequest::new(users, 10);
    request.ablate_sorts = true;
    let make = || CompiledSet {
        query: dot_scorer(),
        query_file: "query.painless".into(),
        sorts: vec![CompiledSort {
            scorer: native(|_, store, item, score| {
                let bucket = store.vector(item)[0] > 0.0;
                Ok(if bucket { score } else { score * 0.5 })
            }),
            order: SortOrder::Desc,
            file: "sort_01.painless".into(),
        }],
    };
    let one = LocalEngine::new(&store).with_threads(1).rank_compiled(&make(), &request).unwrap();
    let many = LocalEngine::new(&store).with_threads(4).rank_compiled(&make(), &request).unwrap();
    // Timings differ; everything else must be bit-identical (f32/f64 PartialEq on exact values).
    assert!(one.users == many.users && one.evaluations == many.evaluations, "1 vs 4 threads differ");
    let pure_one = LocalEngine::new(&store).with_threads(1).rank_compiled(&query_only(dot_scorer()), &request).unwrap();
    let pure_many =
        LocalEngine::new(&store).with_threads(3).rank_compiled(&query_only(dot_scorer()), &request).unwrap();
    assert!(pure_one.users == pure_many.users, "1 vs 3 threads differ");
    for r in pure_one.rankings().unwrap() {
        let bits: Vec<u32> = r.items.iter().map(|i| i.score.to_bits()).collect();
        assert!(bits.windows(2).all(|w| f32::from_bits(w[0]) >= f32::from_bits(w[1])), "scores descend");
    }
}

#[test]
fn sort_scripts_dominate_score_and_respect_direction() {
    let store = store(12, 1);
    let engine = LocalEngine::new(&store).with_threads(1);
    // _score rises with the ordinal; the sort key is ordinal % 3, ascending.
    let set = CompiledSet {
        query: native(|_, _, item, _| Ok(item.0 as f64)),
        query_file: "query.painless".into(),
        sorts: vec![CompiledSort {
            scorer: native(|_, _, item, _| Ok((item.0 % 3) as f64)),
            order: SortOrder::Asc,
            file: "sort_01.painless".into(),
        }],
    };
    let mut request = RankRequest::new(vec![UserIdx(0)], 4);
    request.ablate_sorts = true;
    let outcome = engine.rank_compiled(&set, &request).unwrap();
    // User 0 excludes items 0 and 3. Key 0: items 6, 9 (score desc: 9, 6); then key 1: 10, 7, 4, 1.
    assert_eq!(lists(&outcome), vec![vec![9, 6, 10, 7]]);
    let r = &outcome.rankings().unwrap()[0];
    assert_eq!(r.items[0].sort_values, vec![0.0]);
    // Without the sort script: plain score order.
    assert_eq!(r.ablations[0].iter().map(|i| i.0).collect::<Vec<_>>(), vec![11, 10, 9, 8]);
}

#[test]
fn runtime_errors_are_reported_per_user_and_block_metrics() {
    let store = store(30, 5);
    let engine = LocalEngine::new(&store).with_threads(2);
    let set = query_only(native(|params, _, item, _| {
        let first = params["user_vector"][0][0].as_f64().unwrap();
        if item.0 == 17 && first > 0.0 { Err(runtime_error("boom")) } else { Ok(1.0) }
    }));
    let outcome = engine.rank_compiled(&set, &RankRequest::new(all_users(&store), 3)).unwrap();
    assert!(outcome.rankings().is_none(), "any runtime error means no metrics");
    let failures: Vec<_> = outcome.runtime_failures().collect();
    assert!(!failures.is_empty());
    for f in &failures {
        assert_eq!(f.item, Some(ItemIdx(17)));
        assert_eq!(f.script, "query.painless");
        assert!(matches!(&f.kind, FailureKind::Script { diagnostic } if diagnostic.message == "boom"));
        assert!(store.user_matrix(f.user)[[0, 0]] > 0.0);
    }
    let ranked = outcome.users.iter().filter(|u| matches!(u, UserResult::Ranked(_))).count();
    assert_eq!(ranked + failures.len(), 5, "every user is accounted for, in order");
}

#[test]
fn negative_and_nan_scores_are_rejected_like_elasticsearch() {
    let store = store(10, 1);
    let engine = LocalEngine::new(&store).with_threads(1);
    for (bad, expected) in [(-1.0f64, "-1.0"), (f64::NAN, "NaN")] {
        let set = query_only(native(move |_, _, item, _| Ok(if item.0 == 4 { bad } else { 1.0 })));
        let outcome = engine.rank_compiled(&set, &RankRequest::new(vec![UserIdx(0)], 3)).unwrap();
        let failure = outcome.runtime_failures().next().expect("rejected");
        assert_eq!(failure.item, Some(ItemIdx(4)));
        let FailureKind::InvalidScore { value } = failure.kind else { panic!("{failure:?}") };
        let reason = scorelab::rank::outcome::invalid_score_reason(value, failure.item);
        assert_eq!(
            reason,
            format!(
                "script_score script returned an invalid score [{expected}] for doc [4]. Must be a non-negative score!"
            )
        );
    }
    // -1e-50 becomes -0.0f, which Elasticsearch accepts.
    let set = query_only(native(|_, _, _, _| Ok(-1e-50)));
    let outcome = engine.rank_compiled(&set, &RankRequest::new(vec![UserIdx(0)], 3)).unwrap();
    assert_eq!(outcome.rankings().unwrap()[0].items[0].score.to_bits(), 0.0f32.to_bits());
}

#[test]
fn sort_script_errors_name_the_sort_file() {
    let store = store(10, 1);
    let engine = LocalEngine::new(&store).with_threads(1);
    let set = CompiledSet {
        query: native(|_, _, _, _| Ok(1.0)),
        query_file: "query.painless".into(),
        sorts: vec![CompiledSort {
            scorer: native(|_, _, item, _| if item.0 == 2 { Err(runtime_error("bad sort")) } else { Ok(0.0) }),
            order: SortOrder::Desc,
            file: "sort_01.painless".into(),
        }],
    };
    let outcome = engine.rank_compiled(&set, &RankRequest::new(vec![UserIdx(0)], 3)).unwrap();
    let failure = outcome.runtime_failures().next().unwrap();
    assert_eq!(failure.script, "sort_01.painless");
    assert_eq!(failure.item, Some(ItemIdx(2)));
}

#[test]
fn unknown_user_is_an_engine_error() {
    let store = store(10, 1);
    let engine = LocalEngine::new(&store);
    let set = query_only(native(|_, _, _, _| Ok(1.0)));
    assert!(engine.rank_compiled(&set, &RankRequest::new(vec![UserIdx(5)], 3)).is_err());
}

mod evaluator {
    //! `run::Evaluator` over a rank engine whose "scripts" are native closures chosen by source text.
    use super::*;
    use scorelab::rank::{RankEngine, RankError, ScriptSet};
    use scorelab::run::{CandidateOutcome, EvalSettings, Evaluator};

    struct NativeEngine<'s>(LocalEngine<'s>);

    impl RankEngine for NativeEngine<'_> {
        fn name(&self) -> &str {
            "native"
        }
        fn rank(&self, set: &ScriptSet, request: &RankRequest) -> Result<RankOutcome, RankError> {
            let query = match set.query.source.as_str() {
                "dot" => dot_scorer(),
                "fail" => native(|_, _, item, _| if item.0 == 3 { Err(runtime_error("x")) } else { Ok(1.0) }),
                other => panic!("unknown native script {other}"),
            };
            let sorts = set
                .sorts
                .iter()
                .map(|s| CompiledSort {
                    scorer: native(|_, _, item, _| Ok((item.0 % 2) as f64)),
                    order: s.order,
                    file: s.script.file_name.clone(),
                })
                .collect();
            let compiled = CompiledSet { query, query_file: set.query.file_name.clone(), sorts };
            Ok(self.0.rank_compiled(&compiled, request)?)
        }
    }

    #[test]
    fn scores_fails_and_controls() {
        let store = store(200, 10);
        let evaluator =
            Evaluator::new(&store, EvalSettings { k: 5, threshold: Some(1.0), ..Default::default() }).unwrap();
        assert_eq!(evaluator.cohort.len(), 10);
        let engine = NativeEngine(LocalEngine::new(&store).with_threads(2));

        let scored = evaluator.evaluate_with(&engine, &ScriptSet::new("dot")).unwrap();
        let CandidateOutcome::Scored(e) = &scored.outcome else { panic!("{:?}", scored.outcome) };
        assert_eq!(e.per_user.len(), 10);
        assert!(e.metrics.ndcg >= 0.0 && e.metrics.ndcg <= 1.0);
        assert!(e.diagnostics.sort_effects.is_empty());

        let with_sort = ScriptSet::new("dot").with_sort("parity", SortOrder::Desc).unwrap();
        let r = evaluator.evaluate_with(&engine, &with_sort).unwrap();
        let CandidateOutcome::Scored(e) = &r.outcome else { panic!() };
        assert_eq!(e.diagnostics.sort_effects.len(), 1);
        assert_eq!(e.diagnostics.sort_effects[0].script, "sort_01.painless");
        assert!(e.diagnostics.sort_effects[0].top_k_changed_share > 0.0, "the parity sort reorders lists");
        // A list with any slot changed is a changed list, so the list share bounds the slot share.
        let effect = &e.diagnostics.sort_effects[0];
        assert!(effect.lists_changed_share >= effect.top_k_changed_share && effect.lists_changed_share <= 1.0);

        let failed = evaluator.evaluate_with(&engine, &ScriptSet::new("fail")).unwrap();
        assert!(failed.metrics().is_none());
        let CandidateOutcome::RuntimeErrors { failures, users, reached } = &failed.outcome else { panic!() };
        assert_eq!(*users, 10);
        // Users are ranked in waves (8, then 16...) and ranking stops after the first wave with a
        // failure, as ES fails the whole search at the first error: 8 users reached.
        assert_eq!(*reached, 8);
        // Item 3 is excluded for users 3 (u % 7 == 3), 0 and 5 (3 + u % 5 == 3): they never reach it.
        let failing = evaluator.cohort.users[..8].iter().filter(|u| ![0, 3, 5].contains(&u.0)).count();
        assert_eq!(failures.len(), failing);
        assert!(failures.iter().all(|f| ![0, 3, 5].contains(&f.user.0)));

        let control = evaluator.random_control(1).unwrap();
        assert_eq!(control.per_user.len(), 10);
        assert_eq!(control.metrics, evaluator.random_control(1).unwrap().metrics, "seeded");
    }
}
