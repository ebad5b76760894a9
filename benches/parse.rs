//! Throughput of the Painless front-end on typical ~30-line scoring scripts, in two groups:
//! `parse` (`painless::parse`: token pre-scan, pest, lowering to the AST) and `parse_check`
//! (parse + the checker that resolves names, types every expression and lowers to the IR, i.e.
//! what `scorelab check` does per script). Throughput is reported per script, so criterion's
//! "elem/s" is scripts per second on one core. The corpus: three hand-written scoring and sort
//! scripts in the shape of real ones (typed locals, doc/params access, Math, vector functions,
//! if/else, a loop), plus every `scripts/**/*.painless` file when the directory exists.
//!
//! Criterion reports means and medians; the target (>= 10,000 scripts/s per core, p99 <= 1 ms) also
//! needs a tail, so before the criterion groups the bench times every single parse+check call of
//! a fixed number of rounds over the corpus and prints p50/p99/max per script and overall.
//!
//! Run: `cargo bench --bench parse -- --warm-up-time 1 --measurement-time 3`

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use scorelab::interp::compile::check::{CheckEnv, check};
use scorelab::interp::{Dialect, ScriptContext};
use scorelab::painless::parse;

// The scorelab binary's allocator (src/main.rs), so figures are what the binary does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RECENCY_POPULARITY: &str = r#"// Blend of text score, popularity and recency, with business boosts.
double score = _score;
if (doc['price'].size() == 0) {
    return score * 0.5;
}
long nowMs = params.now;
long createdMs = doc['created'].value.toInstant().toEpochMilli();
double ageDays = (nowMs - createdMs) / 86400000.0;
double recency = Math.exp(-params.decay * ageDays);
double views = doc['views'].size() == 0 ? 0 : doc['views'].value;
double popularity = Math.log1p(views) / Math.log1p(params.max_views);
double boost = 1.0;
if (doc['category'].size() > 0) {
    String category = doc['category'].value;
    if (params.boosted.contains(category)) {
        boost += params.category_boost;
    } else if (category == 'clearance') {
        boost -= 0.2;
    }
}
int stock = (int) doc['stock'].value;
if (stock <= 0) {
    boost *= 0.1;
}
double similarity = cosineSimilarity(params.user_vector, 'item_vector') + 1.0;
double blended = params.w_text * score
    + params.w_sim * similarity
    + params.w_pop * popularity
    + params.w_recency * recency;
return Math.max(0, blended * boost);
"#;

const DIVERSITY_SORT: &str = r#"/* Sort script: penalise items from over-represented brands. */
def counts = params.brand_counts;
String brand = doc['brand.keyword'].size() == 0 ? 'none' : doc['brand.keyword'].value;
int seen = counts.containsKey(brand) ? (int) counts.get(brand) : 0;
double penalty = 1.0 / (1 + seen * params.brand_penalty);
double base = dotProduct(params.query_vector, 'item_vector');
double[] weights = new double[] {0.5, 0.3, 0.2};
double acc = 0;
for (int i = 0; i < weights.length; ++i) {
    String field = params.signals[i];
    if (doc[field].size() > 0) {
        acc += weights[i] * doc[field].value;
    }
}
for (def tag : doc['tags']) {
    if (params.avoid_tags.contains(tag)) {
        acc -= 0.25;
        break;
    }
}
def margin = params.margins?.get(brand) ?: 0.0;
double result = base * penalty + acc + margin * params.w_margin;
if (result != result) {
    result = 0;
}
return result;
"#;

const SATURATED_SIGNALS: &str = r#"double text = saturation(_score, params.k_text);
double clicks = doc['clicks_30d'].size() == 0 ? 0.0 : doc['clicks_30d'].value;
double ctr = sigmoid(clicks, params.k_clicks, params.a_clicks);
long rank = doc['editorial_rank'].size() == 0 ? 1000L : doc['editorial_rank'].value;
double editorial = rank < 10 ? 1.0 : rank < 100 ? 0.5 : 0.0;
double dist = l2norm(params.anchor, 'item_vector');
double closeness = 1 / (1 + dist);
double fresh = decayNumericExp(params.origin, params.scale, 0, 0.5, doc['age_hours'].value);
Map w = params.weights;
double s = 0;
s += (double) w.text * text;
s += (double) w.ctr * ctr;
s += (double) w.editorial * editorial;
s += (double) w.closeness * closeness;
s += (double) w.fresh * fresh;
if (params.user_segment == 'new' && rank > 500) {
    s *= 0.8;
}
List penalties = params.penalties;
for (int i = 0; i < penalties.size(); i++) {
    def p = penalties[i];
    if (doc[p.field].size() > 0 && doc[p.field].value == p.value) {
        s -= p.amount;
    }
}
return s < 0 ? 0 : s;
"#;

fn corpus() -> Vec<(String, String)> {
    let mut scripts = vec![
        ("recency_popularity".to_string(), RECENCY_POPULARITY.to_string()),
        ("diversity_sort".to_string(), DIVERSITY_SORT.to_string()),
        ("saturated_signals".to_string(), SATURATED_SIGNALS.to_string()),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts");
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "painless")
                && let Ok(text) = std::fs::read_to_string(&p)
            {
                let name = p.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(&p).display().to_string();
                scripts.push((name, text));
            }
        }
    }
    scripts
}

/// As `scorelab check` does: `sort_*.painless` files in the sort context, everything else as a
/// score script.
fn context_of(name: &str) -> ScriptContext {
    let file = Path::new(name).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    if file.starts_with("sort_") { ScriptContext::Sort } else { ScriptContext::Score }
}

/// Parse + check one script; the checker's result is returned so nothing is optimised away.
fn parse_check(source: &str, context: ScriptContext) -> bool {
    let env = CheckEnv { context, dialect: Dialect::Elasticsearch, fields: None, param_names: None };
    match parse(source) {
        Ok(script) => check(&script, &env).0.is_ok(),
        Err(_) => false,
    }
}

/// CPU time this thread has run so far (Linux `/proc/thread-self/schedstat`), so the per-call
/// cost can be read on a loaded machine where wall-clock times include waiting for a core.
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok().map(Duration::from_nanos)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Times every single call (criterion only gives means), so the p99 target can be read off.
fn print_tail_latencies(scripts: &[(String, String)]) {
    const ROUNDS: usize = 2_000;
    let mut all = Vec::with_capacity(ROUNDS * scripts.len());
    let mut cpu_total = Duration::ZERO;
    println!("parse+check latency per call ({ROUNDS} calls per script, after 200 warm-up calls):");
    for (name, source) in scripts {
        let context = context_of(name);
        for _ in 0..200 {
            std::hint::black_box(parse_check(std::hint::black_box(source), context));
        }
        let mut times = Vec::with_capacity(ROUNDS);
        let cpu_start = thread_cpu_time();
        for _ in 0..ROUNDS {
            let start = Instant::now();
            std::hint::black_box(parse_check(std::hint::black_box(source), context));
            times.push(start.elapsed());
        }
        let cpu_per_call = match (cpu_start, thread_cpu_time()) {
            (Some(a), Some(b)) => format!("{:>9.1?}", (b - a) / ROUNDS as u32),
            _ => "        -".to_string(),
        };
        cpu_total += cpu_start.and_then(|a| Some(thread_cpu_time()? - a)).unwrap_or_default();
        times.sort_unstable();
        println!(
            "  {name:<45} {:>5} lines  p50 {:>9.1?}  p99 {:>9.1?}  max {:>9.1?}  cpu/call {cpu_per_call}",
            source.lines().count(),
            percentile(&times, 50.0),
            percentile(&times, 99.0),
            times[times.len() - 1]
        );
        all.extend(times);
    }
    all.sort_unstable();
    let total: Duration = all.iter().sum();
    println!(
        "  {:<45} {:>5}        p50 {:>9.1?}  p99 {:>9.1?}  max {:>9.1?}  => {:.0} scripts/s (wall)",
        "all scripts",
        "",
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        all[all.len() - 1],
        all.len() as f64 / total.as_secs_f64()
    );
    if !cpu_total.is_zero() {
        println!(
            "  {:<45} {:>5}        => {:.0} scripts/s per core (thread CPU time)",
            "",
            "",
            all.len() as f64 / cpu_total.as_secs_f64()
        );
    }
}

fn bench_parse(c: &mut Criterion) {
    let scripts = corpus();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(1));
    for (name, source) in &scripts {
        assert!(parse(source).is_ok(), "{name} must parse");
        group.bench_function(name.as_str(), |b| b.iter(|| parse(std::hint::black_box(source))));
    }
    group.finish();
}

fn bench_parse_check(c: &mut Criterion) {
    let scripts = corpus();
    for (name, source) in &scripts {
        assert!(parse_check(source, context_of(name)), "{name} must pass the checker");
    }
    print_tail_latencies(&scripts);
    let mut group = c.benchmark_group("parse_check");
    group.throughput(Throughput::Elements(1));
    for (name, source) in &scripts {
        let context = context_of(name);
        group.bench_function(name.as_str(), |b| b.iter(|| parse_check(std::hint::black_box(source), context)));
    }
    group.finish();
}

criterion_group!(benches, bench_parse, bench_parse_check);
criterion_main!(benches);
