//! Store benches: opening a store from disk (manifest + meta JSON + mmap; O(1) in the payload) and a
//! full scan over every item vector (dot product with a query, GB/s of f32 payload), memory-mapped
//! vs the in-memory twin.
//!
//! Corpus: `prepare synthetic` data built in memory from a fixed seed (`SCORELAB_BENCH_ITEMS` items,
//! default 200,000, 32 dims, 100 users), saved once to a temporary directory.
//!
//! Run: `cargo bench --bench store -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use scorelab::data::SyntheticOptions;
use scorelab::store::Store;
use scorelab::store::synthetic_store;

// The scorelab binary's allocator (src/main.rs), so figures are what the binary does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn items() -> usize {
    std::env::var("SCORELAB_BENCH_ITEMS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000)
}

fn scan(store: &Store, query: &[f32]) -> f32 {
    let d = store.dims();
    let flat = store.vectors();
    let flat = flat.as_slice().expect("vectors are contiguous");
    let mut best = f32::MIN;
    for row in flat.chunks_exact(d) {
        let s: f32 = row.iter().zip(query).map(|(a, b)| a * b).sum();
        best = best.max(s);
    }
    best
}

fn benches(c: &mut Criterion) {
    let opts = SyntheticOptions { items: items(), users: 100, dims: 32, seed: 7, ..SyntheticOptions::default() };
    let mem = synthetic_store(&opts).expect("synthetic store");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    mem.save(&dir).expect("save");
    let mapped = Store::open(&dir).expect("open");
    let bytes = (mem.num_items() * mem.dims() * 4) as u64;
    let query: Vec<f32> = mem.vector(scorelab::store::ItemIdx(0)).to_vec();

    let mut g = c.benchmark_group("store_open");
    g.bench_function(format!("open_{}_items", mem.num_items()), |b| {
        b.iter(|| Store::open(black_box(&dir)).expect("open"))
    });
    g.finish();

    let mut g = c.benchmark_group("vector_scan");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("in_memory", |b| b.iter(|| scan(black_box(&mem), black_box(&query))));
    g.bench_function("mmap", |b| b.iter(|| scan(black_box(&mapped), black_box(&query))));
    g.finish();
}

criterion_group!(store_benches, benches);
criterion_main!(store_benches);
