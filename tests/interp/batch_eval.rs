//! `Program::eval_batch` against per-item `Program::eval`: for every script and every document the
//! same f64 bits and the same diagnostic (message, position, statement), errors in the middle of a
//! chunk included. Scripts: the example sets in scripts/, the engine parity sets in tests/parity/,
//! hand-written error cases, and random expression trees (proptest). Also pins that the shapes we
//! rely on for speed (the baseline script) really run column-wise.

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scorelab::data::{AttrValue, Dataset, DatasetSettings, Exclusion, FieldKind, FieldSpec, Item, User};
use scorelab::interp::{BatchScores, CompileEnv, Dialect, Program, ScriptContext, compile, schema_fields};
use scorelab::painless::Diagnostic;
use scorelab::rank::{
    BoundScorer, CompiledSet, CompiledSort, LocalEngine, Params, RankRequest, ScriptSet, SortOrder, UserScorer,
    compile_set,
};
use scorelab::store::{ItemIdx, Store, UserIdx};
use std::path::Path;
use std::sync::OnceLock;

/// A store like the parity store (same fields; popularity and rating sometimes missing, so
/// `.value` raises mid-chunk), with `dims`-long vectors.
fn dataset(dims: u32, n_items: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let user_rows = 3u32;
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
    let items: Vec<Item> = (0..n_items)
        .map(|i| {
            // Some zero vectors (magnitude 0: cosine gives NaN, an invalid score).
            let zero = i >= 100 && rng.gen_range(0..40) == 0;
            let vector: Vec<f32> = (0..dims).map(|_| if zero { 0.0 } else { rng.gen_range(-1.0f32..1.0) }).collect();
            let popularity = (rng.gen_range(0..10) != 0).then(|| AttrValue::Long(vec![rng.gen_range(0..500)]));
            let price = AttrValue::Double(vec![f64::from(rng.gen_range(100..20_000)) / 100.0]);
            let rating =
                (rng.gen_range(0..5) != 0).then(|| AttrValue::Double(vec![f64::from(rng.gen_range(0..50)) / 10.0]));
            let year = AttrValue::Long(vec![rng.gen_range(1995..2025)]);
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
                id: format!("item-{i:04}"),
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
    let users: Vec<User> = (0..4)
        .map(|u| User {
            id: format!("user-{u}"),
            matrix: (0..dims * user_rows).map(|_| rng.gen_range(-1.0f32..1.0)).collect(),
        })
        .collect();
    let settings = DatasetSettings {
        name: "batch".into(),
        relevance_threshold: 2.0,
        diversity_fields: vec!["category".into()],
        item_vector_field: "item_vector".into(),
        user_vector_field: "user_vector".into(),
        user_rows,
    };
    // A few exclusions per user, so rank chunks have gaps.
    let exclusions = (0..users.len())
        .flat_map(|u| (0..6).map(move |k| (u, (u * 37 + k * 101) % n_items)))
        .map(|(u, i)| Exclusion { user_id: format!("user-{u}"), item_id: format!("item-{i:04}") })
        .collect();
    Dataset { settings, dims, fields, items, users, interactions: Vec::new(), exclusions }
}

/// Stores with 8-, 32- and 40-dimensional vectors (the batch dot kernel interleaves up to 32
/// dimensions; longer vectors take Lucene's blocked order).
fn stores() -> &'static [Store] {
    static STORES: OnceLock<Vec<Store>> = OnceLock::new();
    STORES.get_or_init(|| {
        [(8, 700, 1), (32, 300, 2), (40, 200, 3)]
            .into_iter()
            .map(|(dims, n, seed)| Store::from_dataset(&dataset(dims, n, seed)).expect("valid dataset"))
            .collect()
    })
}

fn params(store: &Store, user: u32) -> serde_json::Map<String, serde_json::Value> {
    let mut p = serde_json::json!({
        "k": 100,
        "now": 2024,
        "threshold": 3.5,
        "weights": [0.5, 1.5, 2.5],
        "boosts": {"books": 2.0, "games": 0.5, "music": 1.25}
    })
    .as_object()
    .cloned()
    .expect("object");
    let m = store.user_matrix(UserIdx(user));
    let rows: Vec<serde_json::Value> =
        m.rows().into_iter().map(|r| serde_json::json!(r.iter().map(|x| f64::from(*x)).collect::<Vec<_>>())).collect();
    p.insert("user_vector".into(), serde_json::Value::Array(rows));
    p
}

fn compile_for(store: &Store, source: &str, context: ScriptContext) -> Option<Program> {
    compile_dialect(store, source, context, Dialect::Elasticsearch)
}

fn compile_dialect(store: &Store, source: &str, context: ScriptContext, dialect: Dialect) -> Option<Program> {
    let env = CompileEnv { fields: Some(schema_fields(store.schema())), ..CompileEnv::new(context, dialect) };
    compile(source, &env).program
}

/// A sort script's `_score`: varied, f32-exact, sometimes negative or zero.
fn sort_score(item: ItemIdx) -> f64 {
    f64::from((item.0 % 17) as f32 * 0.375 - 1.5)
}

type Outcome = Result<u64, Diagnostic>;

/// Per item, in order, continuing after errors.
fn per_item(program: &Program, store: &Store, user: u32, items: &[ItemIdx], scores: &[f64]) -> Vec<Outcome> {
    let Ok(mut bound) = program.bind(&params(store, user), store) else { return Vec::new() };
    items.iter().zip(scores).map(|(&i, &s)| program.eval(&mut bound, store, i, s).map(f64::to_bits)).collect()
}

/// Through `eval_batch` in chunks of `chunk`, resuming after each failure.
fn batched(
    program: &Program,
    store: &Store,
    user: u32,
    items: &[ItemIdx],
    scores: &[f64],
    same: bool,
    chunk: usize,
) -> (Vec<Outcome>, u64) {
    let Ok(mut bound) = program.bind(&params(store, user), store) else { return (Vec::new(), 0) };
    let mut results = Vec::with_capacity(items.len());
    let mut start = 0;
    while start < items.len() {
        let end = (start + chunk).min(items.len());
        let mut out = vec![f64::NAN; end - start];
        let s = if same { BatchScores::Same(scores[start]) } else { BatchScores::PerItem(&scores[start..end]) };
        match program.eval_batch(&mut bound, store, &items[start..end], s, &mut out) {
            Ok(()) => {
                results.extend(out.iter().map(|v| Ok(v.to_bits())));
                start = end;
            }
            Err(f) => {
                results.extend(out[..f.index].iter().map(|v| Ok(v.to_bits())));
                results.push(Err(f.diagnostic));
                start += f.index + 1;
            }
        }
    }
    (results, bound.batch_stats().batched)
}

/// Batch and per-item agree for `source` on every store, user and chunk size; returns how many
/// documents were batched.
fn check_script(name: &str, source: &str, context: ScriptContext) -> u64 {
    check_script_in(name, source, context, Dialect::Elasticsearch)
}

fn check_script_in(name: &str, source: &str, context: ScriptContext, dialect: Dialect) -> u64 {
    let mut total_batched = 0;
    for store in stores() {
        let Some(program) = compile_dialect(store, source, context, dialect) else { continue };
        // Items in a shuffled-but-fixed order with gaps, as exclusions leave them.
        let items: Vec<ItemIdx> = (0..store.num_items() as u32).filter(|i| i % 11 != 5).map(ItemIdx).collect();
        let (scores, same) = match context {
            ScriptContext::Sort => (items.iter().map(|&i| sort_score(i)).collect::<Vec<_>>(), false),
            _ => (vec![1.0; items.len()], true),
        };
        for user in 0..store.num_users() as u32 {
            let expected = per_item(&program, store, user, &items, &scores);
            for chunk in [1, 7, 64, 1000] {
                let (got, batched_docs) = batched(&program, store, user, &items, &scores, same, chunk);
                total_batched += batched_docs;
                assert_eq!(
                    got.len(),
                    expected.len(),
                    "{name}: result count (dims {}, user {user}, chunk {chunk})",
                    store.dims()
                );
                for (j, (g, e)) in got.iter().zip(&expected).enumerate() {
                    assert_eq!(
                        g,
                        e,
                        "{name}: item {:?} (dims {}, user {user}, chunk {chunk}) differs\n{source}",
                        items[j],
                        store.dims()
                    );
                }
            }
        }
    }
    total_batched
}

fn script_files(dir: &Path) -> Vec<(String, String, ScriptContext)> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> =
        std::fs::read_dir(dir).expect("dir").filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    for d in dirs {
        let mut files: Vec<_> = std::fs::read_dir(&d).expect("dir").filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if !name.ends_with(".painless") {
                continue;
            }
            let context = if name.starts_with("sort") { ScriptContext::Sort } else { ScriptContext::Score };
            let source = std::fs::read_to_string(&f).expect("read script");
            out.push((f.display().to_string(), source, context));
        }
    }
    out
}

#[test]
fn example_sets_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, source, context) in script_files(&root.join("scripts")) {
        check_script(&name, &source, context);
    }
}

#[test]
fn parity_sets_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, source, context) in script_files(&root.join("tests/parity")) {
        check_script(&name, &source, context);
    }
}

/// Scripts whose errors land in the middle of chunks, and shapes at the edge of the subset.
const CASES: &[&str] = &[
    // Missing values raise IllegalStateException on some items only.
    "return doc['rating'].value + 1;",
    "double r = doc['rating'].value; return r * 2;",
    "return doc['popularity'].size() == 0 ? 0.5 : doc['popularity'].value;",
    "return doc['popularity'].empty ? 1 : 2.0 / doc['popularity'].value;",
    // Integer division by zero on some items.
    "return 100 / (doc['year'].value - 2010) + 1000;",
    "long y = doc['year'].value; return (y % (y - 2000)) + 5;",
    "int d = (int) (doc['price'].value / 10); return 1000 / (d - 50) + 2000;",
    // Negative and NaN scores (R310), and zero-magnitude documents.
    "return doc['price'].value - 50;",
    "return cosineSimilarity(params.user_vector[0], 'item_vector') + 1.0;",
    "return cosineSimilarity(params.user_vector[1], 'item_vector');",
    "return Math.sqrt(doc['price'].value - 100);",
    "return dotProduct(params.user_vector[0], 'item_vector') + 2;",
    "return l2norm(params.user_vector[2], 'item_vector') + l1norm(params.user_vector[0], 'item_vector');",
    // Errors only in the branch a document does not take are not raised.
    "return doc['rating'].size() > 0 ? doc['rating'].value : 1 / 0.0 + 1;",
    "if (doc['rating'].size() == 0) { return 1.0; } return doc['rating'].value + 0.5;",
    "double s = 1; if (doc['popularity'].size() > 0) { s = doc['popularity'].value; } return s;",
    "double s = 2; if (doc['popularity'].size() > 0) { s += doc['popularity'].value / 100.0; } else { s *= 0.5; } return s;",
    "if (doc['price'].value > 100) { return 2; } else { return doc['rating'].value; }",
    "boolean cheap = doc['price'].value < 60 && doc['rating'].value > 2; return cheap ? 3 : 1;",
    "boolean ok = doc['rating'].empty || doc['rating'].value > 2; return ok ? 3 : 1;",
    // Types: float, long, int arithmetic, casts, statics, params.
    "float f = (float) doc['price'].value; return f * 1.5f + (float) params.threshold;",
    "long p = doc['year'].value * 1000000000L; return (double) (p % 7) + 1;",
    "int i = (int) doc['price'].value; return (i << 2) + (i >> 1) + (i & 7);",
    "return Math.max(0, Math.log(doc['price'].value) - params.threshold) + Math.abs(-_score);",
    "def x = doc['price'].value; return x * 2;",
    "return params.boosts.getOrDefault(doc['category'].value, 1.0) * 2;",
    "return doc['category'].value == 'books' ? 2 : 1;",
    "return doc['weights'].get(0) + doc['counts'].size();",
    "return doc['counts'].get(1) + 1;",
    "return saturation(doc['price'].value, 10) + sigmoid(doc['price'].value, 5, 2);",
    "return decayNumericLinear(100, 50, 10, 0.5, doc['price'].value) + 0.1;",
    "return cosineSimilarity(params.user_vector[0], 'item_vector') + cosineSimilarity(params.user_vector[1], 'item_vector') + 2;",
    "double best = cosineSimilarity(params.user_vector[0], 'item_vector'); if (params.user_vector.size() > 1) { best = Math.max(best, cosineSimilarity(params.user_vector[1], 'item_vector')); } return best + 1;",
    // Per-user state first reached mid-chunk: a binding built, a cache filled, by a later item.
    "return doc['price'].value > 150 ? cosineSimilarity(params.user_vector[0], 'item_vector') + 1 : 0.5;",
    "return doc['price'].value > 180 ? params.threshold * 2 : 1;",
    "return cosineSimilarity(params.user_vector[doc['year'].value > 2015 ? 0 : 7], 'item_vector') + 1;",
    "if (doc['year'].value > 2020) { return dotProduct(params.weights, 'item_vector') + 9; } return 1;",
    "return _score * 2;",
    "return -(doc['price'].value - 200);",
    "return;",
    "double x = 3;",
    "return doc['nope'].value;",
    "return params.missing.size();",
    "return params.weights[5];",
    "return cosineSimilarity(params.weights, 'item_vector');",
];

#[test]
fn error_cases_agree() {
    for (i, source) in CASES.iter().enumerate() {
        let a = check_script(&format!("case {i}"), source, ScriptContext::Score);
        check_script(&format!("case {i} (sort)"), source, ScriptContext::Sort);
        // Errors everywhere, or a cache that never fills: these legitimately go one by one.
        let per_item_only = source.contains("'nope'")
            || source.contains("params.missing")
            || source.contains("weights[5]")
            || source.contains("cosineSimilarity(params.weights");
        assert!(per_item_only || a > 0, "case {i} never ran column-wise: {source}");
    }
}

/// OpenSearch k-NN functions (plain functions over `doc['f']` handles, float results).
#[test]
fn opensearch_dialect_agrees() {
    for source in [
        "return cosineSimilarity(params.user_vector[0], doc['item_vector']) + 1.0;",
        "return 1.0 / (1 + l2Squared(params.user_vector[1], doc['item_vector']));",
        "return l1Norm(params.user_vector[0], doc['item_vector']) + lInfNorm(params.user_vector[2], doc['item_vector']);",
        "float s = innerProduct(params.user_vector[0], doc['item_vector']); return s > 0 ? s : 0;",
        "return cosineSimilarity(params.user_vector[0], doc['item_vector'], 2.0) + 1;",
        "return cosineSimilarity(params.weights, doc['item_vector']) + 1.0;",
    ] {
        let batched = check_script_in(source, source, ScriptContext::Score, Dialect::OpenSearch);
        if !source.contains("params.weights") {
            assert!(batched > 0, "{source} never ran column-wise");
        }
    }
}

#[test]
fn baseline_runs_column_wise() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("scripts/baseline/query.painless")).expect("baseline");
    let store = &stores()[1];
    let program = compile_for(store, &source, ScriptContext::Score).expect("compiles");
    assert!(program.is_batchable(), "the baseline script must have a batch plan");
    let mut bound = program.bind(&params(store, 0), store).expect("bind");
    let items: Vec<ItemIdx> = (0..store.num_items() as u32).map(ItemIdx).collect();
    let mut out = vec![0.0; items.len()];
    // Zero-vector documents score NaN (invalid) and stop the batch: score up to the first one.
    let first_bad = match program.eval_batch(&mut bound, store, &items, BatchScores::Same(1.0), &mut out) {
        Ok(()) => items.len(),
        Err(f) => f.index,
    };
    assert!(first_bad > 40, "the fixture should have a run of valid documents first");
    let stats = bound.batch_stats();
    // One document goes through `eval` to build the cosine binding, the rest column-wise.
    assert!(stats.per_item <= 2, "{stats:?}");
    assert!(stats.batched as usize >= first_bad - 1, "{stats:?}");

    for set in ["log-popularity", "recency", "max-similarity", "genre-diversity"] {
        let source = std::fs::read_to_string(root.join(format!("scripts/{set}/query.painless"))).expect("script");
        let program = compile_for(store, &source, ScriptContext::Score).expect("compiles");
        assert!(program.is_batchable(), "{set}/query.painless should have a batch plan");
    }

    // Users of this store have 3 rows, so 7 of max-similarity's call sites are never reached and
    // their bindings never built: after a few documents the chunks run anyway.
    let source = std::fs::read_to_string(root.join("scripts/max-similarity/query.painless")).expect("script");
    let program = compile_for(store, &source, ScriptContext::Score).expect("compiles");
    let mut bound = program.bind(&params(store, 1), store).expect("bind");
    let items: Vec<ItemIdx> = (0..100).map(ItemIdx).collect();
    let mut out = vec![0.0; items.len()];
    program
        .eval_batch(&mut bound, store, &items, BatchScores::Same(1.0), &mut out)
        .expect("no zero vectors among the first items");
    let stats = bound.batch_stats();
    assert!(stats.per_item <= 10 && stats.batched >= 90, "{stats:?}");
}

#[test]
fn unplannable_shapes_fall_back() {
    let store = &stores()[0];
    for source in [
        "double s = 0; for (int i = 0; i < 3; ++i) { s += i; } return s;",
        "String s = 'a' + doc['price'].value; return s.length();",
    ] {
        let program = compile_for(store, source, ScriptContext::Score).expect("compiles");
        assert!(!program.is_batchable(), "{source}");
        check_script(source, source, ScriptContext::Score);
    }
}

/// Random expression trees over the batch subset (and a little beyond it).
fn expr_strategy() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0i32..20).prop_map(|i| i.to_string()),
        (-3i32..3).prop_map(|i| format!("({i})")),
        (0u32..100).prop_map(|i| format!("{}.{}", i / 10, i % 10)),
        (0u32..50).prop_map(|i| format!("{}f", f64::from(i) / 4.0)),
        (0u32..50).prop_map(|i| format!("{i}L")),
        Just("_score".to_string()),
        Just("doc['price'].value".to_string()),
        Just("doc['popularity'].value".to_string()),
        Just("doc['year'].value".to_string()),
        Just("doc['rating'].size()".to_string()),
        Just("doc['counts'].size()".to_string()),
        Just("params.threshold".to_string()),
        Just("params.k".to_string()),
        Just("params.weights[1]".to_string()),
        Just("cosineSimilarity(params.user_vector[0], 'item_vector')".to_string()),
        Just("dotProduct(params.user_vector[1], 'item_vector')".to_string()),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), prop::sample::select(vec!["+", "-", "*", "/", "%"]), inner.clone())
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (inner.clone(), prop::sample::select(vec!["<", ">=", "=="]), inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, op, b, t, e)| format!("({a} {op} {b} ? {t} : {e})")),
            inner.clone().prop_map(|a| format!("(-{a})")),
            (prop::sample::select(vec!["int", "long", "float", "double"]), inner.clone())
                .prop_map(|(t, a)| format!("(({t}) {a})")),
            (prop::sample::select(vec!["Math.abs", "Math.log", "Math.sqrt", "Math.floor"]), inner.clone())
                .prop_map(|(f, a)| format!("{f}({a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("Math.max({a}, {b})")),
        ]
    })
}

/// Forces the per-item path (the trait's default `eval_batch`).
struct PerItem(Box<dyn UserScorer>);

struct PerItemBound<'a>(Box<dyn BoundScorer + 'a>);

impl UserScorer for PerItem {
    fn bind<'a>(
        &'a self,
        user: UserIdx,
        params: &Params,
        store: &'a Store,
    ) -> Result<Box<dyn BoundScorer + 'a>, Diagnostic> {
        Ok(Box::new(PerItemBound(self.0.bind(user, params, store)?)))
    }
}

impl BoundScorer for PerItemBound<'_> {
    fn eval(&mut self, item: ItemIdx, score: f64) -> Result<f64, Diagnostic> {
        self.0.eval(item, score)
    }
}

fn per_item_set(set: CompiledSet<'static>) -> CompiledSet<'static> {
    CompiledSet {
        query: Box::new(PerItem(set.query)),
        query_file: set.query_file,
        sorts: set
            .sorts
            .into_iter()
            .map(|s| CompiledSort { scorer: Box::new(PerItem(s.scorer)), order: s.order, file: s.file })
            .collect(),
    }
}

/// The local engine ranks identically (results, failures, evaluation counts) with the batch path
/// and with per-item evaluation, including sort scripts failing before or after the query.
fn check_rank(set: &ScriptSet) -> usize {
    let mut failed_users = 0;
    let harness = params(&stores()[0], 0);
    let mut harness = harness;
    harness.remove("user_vector");
    for store in stores() {
        let engine = LocalEngine::new(store).with_threads(1);
        let mut request = RankRequest::new((0..store.num_users() as u32).map(UserIdx).collect(), 10);
        request.harness_params = harness.clone();
        request.ablate_sorts = true;
        let (Some(batch), Some(single)) =
            (compile_set(set, store, &harness).compiled, compile_set(set, store, &harness).compiled.map(per_item_set))
        else {
            continue;
        };
        let a = engine.rank_compiled(&batch, &request).expect("rank");
        let b = engine.rank_compiled(&single, &request).expect("rank");
        assert_eq!(a.users, b.users, "{}", set.query.source);
        assert_eq!(a.evaluations, b.evaluations, "{}", set.query.source);
        failed_users += a.users.iter().filter(|u| matches!(u, scorelab::rank::UserResult::Failed(_))).count();
    }
    failed_users
}

#[test]
fn ranking_is_the_same_batched() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["scripts", "tests/parity"] {
        let mut dirs: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for d in dirs {
            check_rank(&ScriptSet::open(&d).expect("script set"));
        }
    }
    // Sort failures at various items, before and after query failures.
    let query = "return doc['price'].value > 150 ? 1 / 0 : doc['price'].value;";
    let mut failed_users = 0;
    for sorts in [
        vec!["return doc['rating'].value;"],
        vec!["return _score;", "return doc['popularity'].value;"],
        vec!["return doc['popularity'].value;", "return doc['rating'].value;"],
    ] {
        for q in [query, "return doc['price'].value;", "return doc['price'].value - 40;"] {
            let mut set = ScriptSet::new(q);
            for s in &sorts {
                set = set.with_sort(*s, SortOrder::Desc).expect("sort");
            }
            failed_users += check_rank(&set);
        }
    }
    assert!(failed_users > 0, "the failing sets should fail some users");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn random_expressions_agree(e in expr_strategy(), cond in expr_strategy(), other in expr_strategy()) {
        let flat = format!("return {e};");
        check_script(&flat, &flat, ScriptContext::Score);
        let stmts = format!("double a = {e}; if ({cond} > 1) {{ a = {other}; }} return a + 1;");
        check_script(&stmts, &stmts, ScriptContext::Sort);
    }
}

/// The batch vector kernels give the per-document functions' bits for every length (Lucene's
/// order changes above 32 dimensions) and any item order with gaps.
#[test]
fn vector_kernels_match_per_document() {
    use scorelab::interp::stdlib::vectors::{
        EsQueryVector, es_cosine_indexed, es_cosine_indexed_batch, es_dot_batch, lucene_dot,
    };
    for dims in [1u32, 5, 8, 31, 32, 33, 64] {
        let store = Store::from_dataset(&dataset(dims, 61, u64::from(dims))).expect("dataset");
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let raw: Vec<f32> = (0..dims).map(|_| rng.gen_range(-2.0f32..2.0)).collect();
        let q = EsQueryVector::normalized(raw.clone(), dims as usize).expect("dims");
        let items: Vec<ItemIdx> = (0..61u32).filter(|i| i % 7 != 3).rev().map(ItemIdx).collect();
        let mut cos = vec![0.0; items.len()];
        es_cosine_indexed_batch(&q, &store, &items, &mut cos);
        let mut dot = vec![0.0; items.len()];
        es_dot_batch(&raw, &store, &items, &mut dot);
        for (j, &item) in items.iter().enumerate() {
            let doc = store.vector(item);
            assert_eq!(cos[j].to_bits(), es_cosine_indexed(&q, doc).to_bits(), "cosine, dims {dims}, item {item:?}");
            assert_eq!(dot[j].to_bits(), f64::from(lucene_dot(doc, &raw)).to_bits(), "dot, dims {dims}, item {item:?}");
        }
    }
}
