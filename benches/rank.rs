//! What: full-cohort top-10 ranking with the local engine (score every non-excluded item for every
//! cohort user, bounded top-k selection), at 1 and 2 threads; throughput in item-scores/s.
//! Two scorers: a native Rust mean-pooled cosine (the engine's own overhead) and the real
//! `scripts/baseline/query.painless` through the interpreter (the ratio is the interpreter's cost).
//! The engine scores in chunks through `BoundScorer::eval_batch`: the interpreter evaluates each
//! chunk column-wise (`Program::eval_batch`), the native scorer keeps the default per-item loop.
//! Corpus: by default an in-memory store of 100,000 items × 32 dims, 20 users (10 × 32 matrices),
//! 50 exclusions per user, from a seeded StdRng. Set `SCORELAB_BENCH_STORE=stores/<synthetic-1m>` to
//! bench a store built by `scorelab prepare synthetic` + `import` instead (first 20 users).
//! Run: `cargo bench --bench rank -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng, rngs::StdRng};
use scorelab::data::{Dataset, DatasetSettings, Exclusion, Item, User};
use scorelab::painless::Diagnostic;
use scorelab::rank::{BoundScorer, CompiledSet, LocalEngine, Params, RankRequest, ScriptSet, UserScorer, compile_set};
use scorelab::store::{ItemIdx, Store, UserIdx};

// The scorelab binary's allocator (src/main.rs), so figures are what the binary does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ITEMS: usize = 100_000;
const USERS: usize = 20;
const DIMS: usize = 32;

fn synthetic() -> Store {
    let mut rng = StdRng::seed_from_u64(3);
    let mut vector = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.gen_range(-1.0f32..1.0)).collect() };
    let items: Vec<Item> =
        (0..ITEMS).map(|i| Item { id: format!("i{i}"), vector: vector(DIMS), attributes: vec![] }).collect();
    let users: Vec<User> = (0..USERS).map(|u| User { id: format!("u{u}"), matrix: vector(10 * DIMS) }).collect();
    let mut rng = StdRng::seed_from_u64(4);
    let exclusions = (0..USERS)
        .flat_map(|u| (0..50).map(move |_| u))
        .map(|u| Exclusion { user_id: format!("u{u}"), item_id: format!("i{}", rng.gen_range(0..ITEMS)) })
        .collect();
    let dataset = Dataset {
        settings: DatasetSettings { user_rows: 10, ..Default::default() },
        dims: DIMS as u32,
        fields: vec![],
        items,
        users,
        interactions: vec![],
        exclusions,
    };
    Store::from_dataset(&dataset).expect("valid synthetic dataset")
}

/// Mean-pooled cosine + 1, pooled once per user at bind time (what the interpreter hoists).
struct PooledCosine;

struct PooledBound<'a> {
    query: Vec<f32>,
    store: &'a Store,
}

impl UserScorer for PooledCosine {
    fn bind<'a>(
        &'a self,
        user: UserIdx,
        _: &Params,
        store: &'a Store,
    ) -> Result<Box<dyn BoundScorer + 'a>, Diagnostic> {
        let m = store.user_matrix(user);
        let mut query: Vec<f32> = m.mean_axis(ndarray::Axis(0)).expect("non-empty matrix").to_vec();
        let norm = query.iter().map(|x| x * x).sum::<f32>().sqrt();
        query.iter_mut().for_each(|x| *x /= norm);
        Ok(Box::new(PooledBound { query, store }))
    }
}

impl BoundScorer for PooledBound<'_> {
    fn eval(&mut self, item: ItemIdx, _: f64) -> Result<f64, Diagnostic> {
        let v = self.store.vector(item);
        let (mut dot, mut norm) = (0.0f32, 0.0f32);
        for (q, x) in self.query.iter().zip(v) {
            dot += q * x;
            norm += x * x;
        }
        Ok((dot / norm.sqrt()) as f64 + 1.0)
    }
}

fn bench(c: &mut Criterion) {
    let store = match std::env::var_os("SCORELAB_BENCH_STORE") {
        Some(path) => Store::open(&path).expect("SCORELAB_BENCH_STORE opens"),
        None => synthetic(),
    };
    let users: Vec<UserIdx> = (0..store.num_users().min(USERS) as u32).map(UserIdx).collect();
    let request = RankRequest::new(users.clone(), 10);
    let item_scores = (users.len() * store.num_items()) as u64;
    let mut group = c.benchmark_group("rank_top10");
    group.throughput(Throughput::Elements(item_scores));
    group.sample_size(10);
    let baseline = ScriptSet::open(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/baseline")))
        .expect("scripts/baseline");
    for threads in [1usize, 2] {
        let engine = LocalEngine::new(&store).with_threads(threads);
        let set = CompiledSet { query: Box::new(PooledCosine), query_file: "native".into(), sorts: vec![] };
        group.bench_function(format!("native_pooled_cosine/{threads}_threads"), |b| {
            b.iter(|| engine.rank_compiled(&set, &request).expect("ranks"))
        });
        let compiled = compile_set(&baseline, &store, &Params::new()).compiled.expect("baseline compiles");
        group.bench_function(format!("painless_baseline/{threads}_threads"), |b| {
            b.iter(|| {
                let outcome = engine.rank_compiled(&compiled, &request).expect("ranks");
                assert!(outcome.rankings().is_some(), "baseline runs without errors");
                outcome
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
