//! What: the four metrics (NDCG, Recall, Precision, ILD @10) over a full cohort of ranked lists,
//! the work `EvalContext::evaluate` does per candidate besides diagnostics.
//! Corpus: 1,000 users, 50,000 items, lists of 10, 20 relevant items per user, two diversity fields
//! (a multi-valued one with 1-3 of 20 values, a single-valued one with 10 values, 5% missing), all
//! from a seeded StdRng.
//! Run: `cargo bench --bench metrics -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng, rngs::StdRng};
use scorelab::metrics::{DiversityTable, MetricSet};
use std::hint::black_box;

// The scorelab binary's allocator (src/main.rs), so figures are what the binary does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USERS: usize = 1000;
const ITEMS: usize = 50_000;
const K: usize = 10;

fn corpus() -> (Vec<Vec<usize>>, Vec<Vec<usize>>, DiversityTable) {
    let mut rng = StdRng::seed_from_u64(11);
    let lists = (0..USERS).map(|_| (0..K).map(|_| rng.gen_range(0..ITEMS)).collect()).collect();
    let relevant = (0..USERS)
        .map(|_| {
            let mut r: Vec<usize> = (0..20).map(|_| rng.gen_range(0..ITEMS)).collect();
            r.sort_unstable();
            r.dedup();
            r
        })
        .collect();
    let mut table = DiversityTable::new(vec!["genres".into(), "country".into()]);
    for _ in 0..ITEMS {
        let genres: Vec<u64> = (0..rng.gen_range(1..=3)).map(|_| rng.gen_range(0..20)).collect();
        let country = if rng.gen_bool(0.05) { vec![] } else { vec![rng.gen_range(0..10)] };
        table.push_item(&mut [genres, country]);
    }
    (lists, relevant, table)
}

fn bench(c: &mut Criterion) {
    let (lists, relevant, table) = corpus();
    let mut group = c.benchmark_group("metrics");
    group.throughput(Throughput::Elements(USERS as u64));
    group.bench_function("all_four_at_10_per_cohort", |b| {
        b.iter(|| {
            let per_user: Vec<MetricSet> =
                lists.iter().zip(&relevant).map(|(l, r)| MetricSet::for_user(K, l, r, &table)).collect();
            black_box(MetricSet::mean(&per_user))
        })
    });
    group.bench_function("ild_at_10_per_cohort", |b| {
        b.iter(|| lists.iter().map(|l| scorelab::metrics::ild_at(K, l, &table)).sum::<f64>())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
