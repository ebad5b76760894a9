//! What it measures: one script_score evaluation per (user, item) for the baseline script
//! (mean-pool params.user_vector, cosineSimilarity against the item vector, + 1.0) through the
//! interpreter, against a hand-written native Rust version of the same formula in the same run;
//! all parallelised with rayon over users. `interpreter` is the path the ranker runs:
//! `Program::eval_batch` over chunks of 512 items (column-wise evaluation); `interpreter_per_item`
//! is `Program::eval` once per item, for comparison. `native` computes what ES computes (float dot
//! product in Lucene's order divided by the document magnitude, + 1.0, rounded to float) the best
//! way we know by hand: it reads the same precomputed document magnitudes
//! (`Store::vector_magnitudes`) the interpreter reads, and runs eight documents' dot products side
//! by side. Also parse + check + compile throughput.
//! Corpus: a synthetic in-memory store from a seeded StdRng: 100,000 items × 32 dims, 8 users with
//! 10 × 32 matrices. Run: cargo bench --bench eval -- --warm-up-time 1 --measurement-time 3

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use scorelab::data::{Dataset, DatasetSettings, Item, User};
use scorelab::interp::{BatchScores, CompileEnv, Dialect, ScriptContext, compile, schema_fields};
use scorelab::store::{ItemIdx, Store, UserIdx};
use std::hint::black_box;

// The scorelab binary's allocator (src/main.rs), so figures are what the binary does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ITEMS: usize = 100_000;
const DIMS: usize = 32;
const USERS: usize = 8;
const ROWS: usize = 10;
/// Items per `eval_batch` call, as the local ranker uses.
const CHUNK: usize = 512;

fn synthetic_store() -> Store {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let items = (0..ITEMS)
        .map(|i| Item {
            id: format!("item{i}"),
            vector: (0..DIMS).map(|_| rng.gen_range(-1.0f32..1.0)).collect(),
            attributes: Vec::new(),
        })
        .collect();
    let users = (0..USERS)
        .map(|u| User {
            id: format!("user{u}"),
            matrix: (0..ROWS * DIMS).map(|_| rng.gen_range(-1.0f32..1.0)).collect(),
        })
        .collect();
    let dataset = Dataset {
        settings: DatasetSettings { user_rows: ROWS as u32, ..DatasetSettings::default() },
        dims: DIMS as u32,
        fields: Vec::new(),
        items,
        users,
        interactions: Vec::new(),
        exclusions: Vec::new(),
    };
    Store::from_dataset(&dataset).expect("synthetic store")
}

fn user_params(store: &Store, user: usize) -> serde_json::Map<String, serde_json::Value> {
    let m = store.user_matrix(UserIdx(user as u32));
    let rows: Vec<serde_json::Value> =
        m.rows().into_iter().map(|r| serde_json::json!(r.iter().map(|x| *x as f64).collect::<Vec<_>>())).collect();
    let mut p = serde_json::Map::new();
    p.insert("user_vector".into(), serde_json::Value::Array(rows));
    p
}

/// The baseline formula by hand: pool once per user, then ES's float cosine per item, eight
/// items at a time (independent dependency chains), with the precomputed document magnitudes.
fn native_user(store: &Store, user: usize) -> f64 {
    let m = store.user_matrix(UserIdx(user as u32));
    let pooled: Vec<f32> =
        (0..DIMS).map(|d| ((0..ROWS).map(|r| m[[r, d]] as f64).sum::<f64>() / ROWS as f64) as f32).collect();
    let qmag = (pooled.iter().map(|&x| f64::from(x * x)).sum::<f64>()).sqrt() as f32;
    let q: Vec<f32> = pooled.iter().map(|x| x / qmag).collect();
    let mags = store.vector_magnitudes();
    let all = store.vectors();
    let data = all.to_slice().expect("contiguous rows");
    let row = |i: usize| &data[i * DIMS..(i + 1) * DIMS];
    let mut total = 0.0;
    const LANES: usize = 8;
    let score = |dot: f32, mag: f32| ((f64::from(dot) / f64::from(mag)) + 1.0) as f32;
    let full = ITEMS / LANES * LANES;
    for base in (0..full).step_by(LANES) {
        let rows: [&[f32]; LANES] = std::array::from_fn(|l| row(base + l));
        let mut acc = [0f32; LANES];
        for k in 0..DIMS {
            for l in 0..LANES {
                acc[l] += rows[l][k] * q[k];
            }
        }
        for l in 0..LANES {
            total += f64::from(score(acc[l], mags[base + l]));
        }
    }
    for (i, &mag) in mags.iter().enumerate().take(ITEMS).skip(full) {
        let dot = row(i).iter().zip(&q).fold(0f32, |acc, (a, b)| acc + a * b);
        total += f64::from(score(dot, mag));
    }
    total
}

fn bench(c: &mut Criterion) {
    let store = synthetic_store();
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/baseline/query.painless"))
        .expect("scripts/baseline/query.painless");
    let env = CompileEnv {
        fields: Some(schema_fields(store.schema())),
        ..CompileEnv::new(ScriptContext::Score, Dialect::Elasticsearch)
    };
    let program = compile(&source, &env).program.expect("baseline compiles");
    let params: Vec<_> = (0..USERS).map(|u| user_params(&store, u)).collect();

    let mut g = c.benchmark_group("baseline_item_scores");
    g.throughput(Throughput::Elements((ITEMS * USERS) as u64));
    g.sample_size(10);
    let items: Vec<ItemIdx> = (0..ITEMS as u32).map(ItemIdx).collect();
    store.vector_magnitudes();
    // Both sides compute the same scores: check once, outside the timing.
    let check_user = |u: usize| {
        let mut bound = program.bind(&params[u], &store).expect("bind");
        let mut out = vec![0.0; ITEMS];
        program.eval_batch(&mut bound, &store, &items, BatchScores::Same(1.0), &mut out).expect("eval");
        out.iter().sum::<f64>()
    };
    assert_eq!(check_user(0).to_bits(), native_user(&store, 0).to_bits(), "native and interpreter disagree");
    g.bench_function("interpreter", |b| {
        b.iter(|| {
            let total: f64 = (0..USERS)
                .into_par_iter()
                .map(|u| {
                    let mut bound = program.bind(&params[u], &store).expect("bind");
                    let mut out = vec![0.0; CHUNK];
                    let mut sum = 0.0;
                    for chunk in items.chunks(CHUNK) {
                        let out = &mut out[..chunk.len()];
                        program.eval_batch(&mut bound, &store, chunk, BatchScores::Same(1.0), out).expect("eval");
                        sum += out.iter().sum::<f64>();
                    }
                    sum
                })
                .sum();
            black_box(total)
        })
    });
    g.bench_function("interpreter_per_item", |b| {
        b.iter(|| {
            let total: f64 = (0..USERS)
                .into_par_iter()
                .map(|u| {
                    let mut bound = program.bind(&params[u], &store).expect("bind");
                    (0..ITEMS)
                        .map(|i| program.eval(&mut bound, &store, ItemIdx(i as u32), 1.0).expect("eval"))
                        .sum::<f64>()
                })
                .sum();
            black_box(total)
        })
    });
    g.bench_function("native", |b| {
        b.iter(|| black_box((0..USERS).into_par_iter().map(|u| native_user(&store, u)).sum::<f64>()))
    });
    g.finish();

    let mut g = c.benchmark_group("compile");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse_check_lower_baseline", |b| b.iter(|| black_box(compile(&source, &env).program.is_some())));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
