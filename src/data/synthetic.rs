//! A synthetic dataset with planted structure, for scale tests and benches.
//!
//! - `topics` latent topics, each a random unit vector; an item belongs to one topic (topic sizes
//!   are uneven: topic t has weight 1/(t+1)^0.5) and its vector is its topic vector plus Gaussian
//!   noise (σ = 0.6/√dims per coordinate).
//! - Popularity is a power law: item i has weight 1/(r+1)^0.8 where r is a seeded random rank;
//!   the `popularity` attribute is that weight scaled to an interaction count.
//! - Attributes correlated with the topic: `category` (the topic's category 90 % of the time),
//!   `tags` (1-3 tags from the topic's pool of 6, out of 60), `brand` (one of the topic's 4 brands
//!   80 % of the time, else any of 200); plus `year` (1980-2024), `price` (log-normal, 2 decimals)
//!   and `last_rated` (epoch seconds in 2015-2024).
//! - Each user prefers 1-3 topics; history (the exclusions, and the user matrix = the `user_rows`
//!   most recent history items) and ground truth (`test_per_user` interactions, weight 1-5 with
//!   preferred-topic items rated higher) are drawn from those topics, popularity-weighted, with 10 %
//!   of draws from anywhere.
//!
//! Every item and user draws from its own ChaCha stream (seed, stream = index), so generation runs in
//! parallel and is identical at any thread count.

use super::dataset::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

#[derive(Debug, Clone)]
pub struct SyntheticOptions {
    pub items: usize,
    pub users: usize,
    pub dims: usize,
    pub seed: u64,
    pub topics: usize,
    pub user_rows: usize,
    pub history_per_user: usize,
    pub test_per_user: usize,
}

impl Default for SyntheticOptions {
    fn default() -> Self {
        SyntheticOptions {
            items: 10_000,
            users: 1_000,
            dims: 32,
            seed: 42,
            topics: 20,
            user_rows: 10,
            history_per_user: 30,
            test_per_user: 20,
        }
    }
}

const TAG_POOL: usize = 60;
const BRANDS: usize = 200;
const STREAM_TOPICS: u64 = u64::MAX;
const STREAM_RANKS: u64 = u64::MAX - 1;
const USER_STREAMS: u64 = 1 << 40;

fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

fn unit_gaussian(rng: &mut ChaCha8Rng, dims: usize) -> Vec<f64> {
    let v: Vec<f64> = (0..dims).map(|_| StandardNormal.sample(rng)).collect();
    let n = v.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
    v.into_iter().map(|x| x / n).collect()
}

/// Draws an index from a cumulative weight table.
fn draw(cdf: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let total = cdf.last().copied().unwrap_or(0.0);
    let x = rng.gen_range(0.0..total.max(f64::MIN_POSITIVE));
    cdf.partition_point(|&c| c <= x).min(cdf.len().saturating_sub(1))
}

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    weights
        .map(|w| {
            acc += w;
            acc
        })
        .collect()
}

/// Builds the synthetic dataset in memory.
pub fn synthetic_dataset(opts: &SyntheticOptions) -> Dataset {
    let (n, d, t) = (opts.items.max(1), opts.dims.max(1), opts.topics.max(1));
    let mut trng = rng_for(opts.seed, STREAM_TOPICS);
    let topic_vecs: Vec<Vec<f64>> = (0..t).map(|_| unit_gaussian(&mut trng, d)).collect();
    let topic_tags: Vec<Vec<usize>> = (0..t).map(|_| (0..6).map(|_| trng.gen_range(0..TAG_POOL)).collect()).collect();
    let topic_brands: Vec<Vec<usize>> = (0..t).map(|_| (0..4).map(|_| trng.gen_range(0..BRANDS)).collect()).collect();
    let topic_cdf = cumulative((0..t).map(|k| 1.0 / ((k + 1) as f64).sqrt()));

    // Popularity ranks: a seeded permutation.
    let mut ranks: Vec<u32> = (0..n as u32).collect();
    let mut rrng = rng_for(opts.seed, STREAM_RANKS);
    for i in (1..n).rev() {
        ranks.swap(i, rrng.gen_range(0..=i));
    }
    let pop_weight: Vec<f64> = ranks.iter().map(|&r| 1.0 / ((r + 1) as f64).powf(0.8)).collect();

    let noise = 0.6 / (d as f64).sqrt();
    let generated: Vec<(usize, Item)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut rng = rng_for(opts.seed, i as u64);
            let topic = draw(&topic_cdf, &mut rng);
            let vector: Vec<f32> = topic_vecs[topic]
                .iter()
                .map(|&c| {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    (c + noise * z) as f32
                })
                .collect();
            let category = if rng.gen_bool(0.9) { topic } else { rng.gen_range(0..t) };
            let n_tags = rng.gen_range(1..=3);
            let tags: Vec<String> =
                (0..n_tags).map(|_| format!("tag-{:02}", topic_tags[topic][rng.gen_range(0..6)])).collect();
            let brand =
                if rng.gen_bool(0.8) { topic_brands[topic][rng.gen_range(0..4)] } else { rng.gen_range(0..BRANDS) };
            let year: i64 = rng.gen_range(1980..=2024);
            let z: f64 = StandardNormal.sample(&mut rng);
            let price = ((3.0 + 0.8 * z).exp() * 100.0).round() / 100.0;
            let last_rated: i64 = rng.gen_range(1_420_070_400..1_735_689_600);
            let popularity = (pop_weight[i] * 100_000.0).round() as i64;
            let item = Item {
                id: format!("item-{i}"),
                vector,
                attributes: vec![
                    Some(AttrValue::Keyword(vec![format!("cat-{category:02}")])),
                    Some(AttrValue::Keyword(tags)),
                    Some(AttrValue::Keyword(vec![format!("brand-{brand:03}")])),
                    Some(AttrValue::Long(vec![year])),
                    Some(AttrValue::Double(vec![price])),
                    Some(AttrValue::Long(vec![popularity])),
                    Some(AttrValue::Long(vec![last_rated])),
                ],
            };
            (topic, item)
        })
        .collect();
    let mut by_topic: Vec<Vec<usize>> = vec![Vec::new(); t];
    for (i, (topic, _)) in generated.iter().enumerate() {
        by_topic[*topic].push(i);
    }
    let topic_item_cdf: Vec<Vec<f64>> =
        by_topic.iter().map(|members| cumulative(members.iter().map(|&i| pop_weight[i]))).collect();
    let all_cdf = cumulative(pop_weight.iter().copied());
    let item_topic: Vec<usize> = generated.iter().map(|(t, _)| *t).collect();
    let items: Vec<Item> = generated.into_iter().map(|(_, it)| it).collect();

    let rows = opts.user_rows.max(1);
    let per_user: Vec<(User, Vec<Interaction>, Vec<Exclusion>)> = (0..opts.users)
        .into_par_iter()
        .map(|u| {
            let mut rng = rng_for(opts.seed, USER_STREAMS + u as u64);
            let n_pref = rng.gen_range(1..=3);
            let prefs: Vec<usize> = (0..n_pref).map(|_| draw(&topic_cdf, &mut rng)).collect();
            let pick = |rng: &mut ChaCha8Rng| -> usize {
                if rng.gen_bool(0.1) {
                    return draw(&all_cdf, rng);
                }
                let topic = prefs[rng.gen_range(0..prefs.len())];
                match by_topic[topic].len() {
                    0 => draw(&all_cdf, rng),
                    _ => by_topic[topic][draw(&topic_item_cdf[topic], rng)],
                }
            };
            let uid = format!("user-{u}");
            let history: Vec<usize> = (0..opts.history_per_user.max(1)).map(|_| pick(&mut rng)).collect();
            let mut matrix = Vec::with_capacity(rows * d);
            for r in 0..rows {
                // history[last] is the most recent; fewer items than rows repeat cyclically.
                let i = history[history.len() - 1 - (r % history.len())];
                matrix.extend_from_slice(&items[i].vector);
            }
            let mut seen: Vec<usize> = history.clone();
            seen.sort_unstable();
            seen.dedup();
            let mut truth = Vec::with_capacity(opts.test_per_user);
            let mut taken = std::collections::BTreeSet::new();
            for _ in 0..opts.test_per_user * 4 {
                if truth.len() == opts.test_per_user {
                    break;
                }
                let i = pick(&mut rng);
                if seen.binary_search(&i).is_ok() || !taken.insert(i) {
                    continue;
                }
                let liked = prefs.contains(&item_topic[i]);
                let weight = if liked { rng.gen_range(3..=5) } else { rng.gen_range(1..=3) } as f32;
                truth.push(Interaction { item_id: items[i].id.clone(), user_id: uid.clone(), weight });
            }
            let exclusions =
                seen.iter().map(|&i| Exclusion { user_id: uid.clone(), item_id: items[i].id.clone() }).collect();
            (User { id: uid, matrix }, truth, exclusions)
        })
        .collect();
    let mut users = Vec::with_capacity(per_user.len());
    let mut interactions = Vec::new();
    let mut exclusions = Vec::new();
    for (user, truth, excl) in per_user {
        users.push(user);
        interactions.extend(truth);
        exclusions.extend(excl);
    }
    let keyword = |name: &str, multi| FieldSpec { name: name.into(), kind: FieldKind::Keyword, multi_valued: multi };
    let long = |name: &str| FieldSpec { name: name.into(), kind: FieldKind::Long, multi_valued: false };
    Dataset {
        settings: DatasetSettings {
            name: "synthetic".into(),
            relevance_threshold: 4.0,
            diversity_fields: vec!["category".into(), "tags".into()],
            user_rows: rows as u32,
            ..DatasetSettings::default()
        },
        dims: d as u32,
        fields: vec![
            keyword("category", false),
            keyword("tags", true),
            keyword("brand", false),
            long("year"),
            FieldSpec { name: "price".into(), kind: FieldKind::Double, multi_valued: false },
            long("popularity"),
            long("last_rated"),
        ],
        items,
        users,
        interactions,
        exclusions,
    }
}
