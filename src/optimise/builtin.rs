//! The built-in optimiser: a seeded evolutionary search over [`Genome`]s. No network, no replay: each
//! iteration mutates the parent genome (perturb weights, add/remove/swap a signal, change pooling, add
//! or drop a sort script) and renders it to Painless. Each iteration's random stream is derived from
//! `(seed, iteration)` alone, so a resumed run reproduces the uninterrupted one exactly.

use super::genome::{Genome, Pooling, RenderEnv, Signal, SignalKind, Similarity, SortKey, pooling_name, signal_name};
use super::proposer::{FieldInfo, Proposal, ProposalContext, Proposed, Proposer, ProposerError, Usage};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// The random stream of one iteration (and fix attempt): ChaCha8 seeded with the run seed, on a stream
/// numbered by the iteration, so no state has to be carried between iterations.
pub fn iteration_rng(seed: u64, iteration: u32, attempt: u32) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((iteration as u64) << 8) | attempt as u64);
    rng
}

#[derive(Debug, Default)]
pub struct BuiltinProposer;

impl BuiltinProposer {
    pub fn new() -> Self {
        BuiltinProposer
    }
}

/// The signals this dataset can feed, found by field name and type.
pub fn available_signals(fields: &[FieldInfo], has_now: bool) -> Vec<SignalKind> {
    let numeric = |f: &&FieldInfo| f.kind == "long" || f.kind == "double";
    let find = |names: &[&str]| -> Option<String> {
        names.iter().find_map(|n| fields.iter().filter(numeric).find(|f| f.name == *n).map(|f| f.name.clone()))
    };
    let mut out = Vec::new();
    if let Some(field) = find(&["popularity", "num_ratings", "rating_count", "views"]) {
        out.push(SignalKind::LogPopularity { field });
    }
    if has_now {
        if let Some(field) = find(&["last_rated", "last_interaction", "updated_at", "published_at"]) {
            out.push(SignalKind::Recency { field, half_life_days: 365.0 });
        }
    }
    if let Some(field) = find(&["mean_rating", "avg_rating", "rating_mean", "rating"]) {
        out.push(SignalKind::MeanRating { field, center: 3.5 });
    }
    if let Some(field) = find(&["year", "release_year"]) {
        out.push(SignalKind::Year { field, center: 1995.0 });
    }
    if let Some(f) = fields.iter().find(|f| f.kind == "keyword" && f.multi_valued) {
        out.push(SignalKind::Breadth { field: f.name.clone() });
    }
    out
}

fn same_signal(a: &SignalKind, b: &SignalKind) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn gauss(rng: &mut ChaCha8Rng, sd: f64) -> f64 {
    Normal::new(0.0, sd).map(|n| n.sample(rng)).unwrap_or(0.0)
}

fn initial_weight(kind: &SignalKind, rng: &mut ChaCha8Rng) -> f64 {
    // Starting scales chosen so each signal moves scores by roughly a tenth of the similarity term.
    let scale = match kind {
        SignalKind::LogPopularity { .. } => 0.03,
        SignalKind::Recency { .. } => 0.1,
        SignalKind::MeanRating { .. } => 0.05,
        SignalKind::Year { .. } => 0.03,
        SignalKind::Breadth { .. } => 0.02,
    };
    let sign = if rng.gen_bool(0.75) { 1.0 } else { -1.0 };
    sign * scale * rng.gen_range(0.3..2.0)
}

fn perturb_kind(kind: &mut SignalKind, rng: &mut ChaCha8Rng) -> String {
    match kind {
        SignalKind::Recency { half_life_days, .. } => {
            let old = *half_life_days;
            *half_life_days = (old * (gauss(rng, 0.5)).exp()).clamp(7.0, 3650.0);
            format!("recency half-life {old:.0}d -> {:.0}d", half_life_days)
        }
        SignalKind::MeanRating { center, .. } => {
            let old = *center;
            *center = (old + gauss(rng, 0.3)).clamp(1.0, 5.0);
            format!("rating center {old:.2} -> {center:.2}")
        }
        SignalKind::Year { center, .. } => {
            let old = *center;
            *center = (old + gauss(rng, 5.0)).clamp(1900.0, 2030.0).round();
            format!("year center {old:.0} -> {center:.0}")
        }
        _ => String::new(),
    }
}

/// One mutation of `genome`; returns a description of what changed.
fn mutate(genome: &mut Genome, signals: &[SignalKind], max_sorts: usize, rng: &mut ChaCha8Rng) -> String {
    for _ in 0..16 {
        let choice = rng.gen_range(0..100);
        let done = match choice {
            0..=29 if !genome.signals.is_empty() => {
                let i = rng.gen_range(0..genome.signals.len());
                let s = &mut genome.signals[i];
                let old = s.weight;
                if rng.gen_bool(0.25) {
                    let what = perturb_kind(&mut s.kind, rng);
                    if !what.is_empty() {
                        return what;
                    }
                }
                s.weight = old * (gauss(rng, 0.35)).exp() + gauss(rng, 0.01);
                Some(format!("{} weight {old:.4} -> {:.4}", signal_name(&s.kind), s.weight))
            }
            30..=49 => {
                let missing: Vec<&SignalKind> =
                    signals.iter().filter(|k| !genome.signals.iter().any(|s| same_signal(&s.kind, k))).collect();
                if missing.is_empty() {
                    None
                } else {
                    let kind = missing[rng.gen_range(0..missing.len())].clone();
                    let weight = initial_weight(&kind, rng);
                    let what = format!("add {} x{weight:.4}", signal_name(&kind));
                    genome.signals.push(Signal { kind, weight });
                    Some(what)
                }
            }
            50..=57 if !genome.signals.is_empty() => {
                let i = rng.gen_range(0..genome.signals.len());
                let removed = genome.signals.remove(i);
                Some(format!("remove {}", signal_name(&removed.kind)))
            }
            58..=63 if !genome.signals.is_empty() => {
                let missing: Vec<&SignalKind> =
                    signals.iter().filter(|k| !genome.signals.iter().any(|s| same_signal(&s.kind, k))).collect();
                if missing.is_empty() {
                    None
                } else {
                    let i = rng.gen_range(0..genome.signals.len());
                    let kind = missing[rng.gen_range(0..missing.len())].clone();
                    let old = std::mem::replace(&mut genome.signals[i].kind, kind);
                    Some(format!("swap {} for {}", signal_name(&old), signal_name(&genome.signals[i].kind)))
                }
            }
            64..=77 => {
                let old = pooling_name(&genome.pooling);
                genome.pooling = match rng.gen_range(0..5) {
                    0 => Pooling::MeanVector,
                    1 => Pooling::MeanSimilarity,
                    2 => Pooling::MaxSimilarity,
                    3 => Pooling::Softmax { temperature: (0.2 * gauss(rng, 0.7).exp()).clamp(0.02, 2.0) },
                    _ => Pooling::TopM { m: rng.gen_range(2..=4) },
                };
                if genome.pooling != Pooling::MeanVector {
                    genome.similarity = Similarity::Cosine;
                }
                let new = pooling_name(&genome.pooling);
                (old != new).then(|| format!("pooling {old} -> {new}"))
            }
            78..=83 => match &mut genome.pooling {
                Pooling::Softmax { temperature } => {
                    let old = *temperature;
                    *temperature = (old * gauss(rng, 0.4).exp()).clamp(0.02, 2.0);
                    Some(format!("softmax temperature {old:.3} -> {temperature:.3}"))
                }
                Pooling::TopM { m } => {
                    let old = *m;
                    *m = if old <= 2 || rng.gen_bool(0.5) { old + 1 } else { old - 1 };
                    Some(format!("top-m {old} -> {m}"))
                }
                Pooling::MeanVector if rng.gen_bool(0.2) => {
                    let old = genome.similarity;
                    genome.similarity =
                        if old == Similarity::Cosine { Similarity::DotProduct } else { Similarity::Cosine };
                    Some(format!("similarity {old:?} -> {:?}", genome.similarity))
                }
                _ => None,
            },
            84..=91 if genome.sorts.len() < max_sorts && !signals.is_empty() => {
                let key = if genome.sorts.is_empty() && rng.gen_bool(0.5) {
                    SortKey::ScoreBand { bucket: 0.05 * gauss(rng, 0.5).exp() }
                } else {
                    let kind = signals[rng.gen_range(0..signals.len())].clone();
                    let weight = initial_weight(&kind, rng);
                    SortKey::ScorePlus { signal: Signal { kind, weight } }
                };
                let what = match &key {
                    SortKey::ScoreBand { bucket } => format!("add sort script: score band {bucket:.3}"),
                    SortKey::ScorePlus { signal } => {
                        format!("add sort script: score + {} x{:.4}", signal_name(&signal.kind), signal.weight)
                    }
                };
                genome.sorts.push(key);
                Some(what)
            }
            92..=95 if !genome.sorts.is_empty() => {
                let i = rng.gen_range(0..genome.sorts.len());
                genome.sorts.remove(i);
                Some(format!("drop sort script {}", i + 1))
            }
            96..=99 if !genome.sorts.is_empty() => {
                let i = rng.gen_range(0..genome.sorts.len());
                match &mut genome.sorts[i] {
                    SortKey::ScoreBand { bucket } => {
                        let old = *bucket;
                        *bucket = (old * gauss(rng, 0.4).exp()).clamp(0.001, 1.0);
                        Some(format!("sort {} band {old:.3} -> {bucket:.3}", i + 1))
                    }
                    SortKey::ScorePlus { signal } => {
                        let old = signal.weight;
                        signal.weight = old * gauss(rng, 0.35).exp();
                        Some(format!("sort {} weight {old:.4} -> {:.4}", i + 1, signal.weight))
                    }
                }
            }
            _ => None,
        };
        if let Some(what) = done {
            return what;
        }
    }
    // Every branch was inapplicable 16 times in a row (a bare genome on a dataset with no signals):
    // nudge the only continuous knob there is.
    let old = genome.similarity_weight;
    genome.similarity_weight = old * gauss(rng, 0.1).exp();
    format!("similarity weight {old:.4} -> {:.4}", genome.similarity_weight)
}

impl BuiltinProposer {
    fn render(&self, genome: Genome, ctx: &ProposalContext, rationale: String) -> Proposed {
        let env = render_env(ctx);
        let mut sort = genome.render_sorts(&env);
        sort.truncate(ctx.contract.max_sort_scripts);
        Proposed {
            proposal: Proposal {
                rationale,
                query: genome.render_query(&env),
                sort,
                genome: Some(genome.to_json()),
            },
            usage: Usage::default(),
        }
    }
}

pub fn render_env(ctx: &ProposalContext) -> RenderEnv {
    RenderEnv {
        vector_field: ctx.contract.vector_field.clone(),
        user_rows: ctx.contract.user_rows,
        has_now: ctx.contract.params.iter().any(|p| p.name == "now"),
    }
}

impl Proposer for BuiltinProposer {
    fn name(&self) -> String {
        "builtin".into()
    }

    fn propose(&mut self, ctx: &ProposalContext) -> Result<Proposed, ProposerError> {
        let env = render_env(ctx);
        let mut rng = iteration_rng(ctx.seed, ctx.iteration, 0);
        let signals = available_signals(&ctx.fields, env.has_now);
        let mut genome = ctx.parent_genome.as_ref().and_then(Genome::from_json).unwrap_or_else(Genome::baseline);
        genome.sorts.truncate(ctx.contract.max_sort_scripts);
        // Mostly one mutation, sometimes two or three: small steps climb, larger ones escape plateaus.
        let steps = match rng.gen_range(0..10) {
            0..=5 => 1,
            6..=8 => 2,
            _ => 3,
        };
        let changes: Vec<String> =
            (0..steps).map(|_| mutate(&mut genome, &signals, ctx.contract.max_sort_scripts, &mut rng)).collect();
        let rationale = format!(
            "from iteration {}: {}. Candidate: {}.",
            ctx.parent_iteration,
            changes.join("; "),
            genome.describe()
        );
        Ok(self.render(genome, ctx, rationale))
    }

    fn fix(
        &mut self,
        ctx: &ProposalContext,
        broken: &Proposal,
        _error: &serde_json::Value,
        attempt: u32,
    ) -> Result<Proposed, ProposerError> {
        // Rendered genomes are valid Painless by construction, so a failure means the local subset
        // refused a construct: retreat towards simpler building blocks, one step per attempt.
        let mut genome = broken.genome.as_ref().and_then(Genome::from_json).unwrap_or_else(Genome::baseline);
        let what = match attempt {
            1 => {
                genome.sorts.clear();
                "dropped the sort scripts"
            }
            2 => {
                genome.sorts.clear();
                genome.pooling = Pooling::MeanVector;
                genome.similarity = Similarity::Cosine;
                "dropped the sort scripts and went back to mean-vector pooling"
            }
            _ => {
                genome = Genome::baseline();
                "went back to the baseline shape"
            }
        };
        let rationale = format!("fix {attempt} after a local compile error: {what}. Candidate: {}.", genome.describe());
        Ok(self.render(genome, ctx, rationale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iteration_streams_are_independent_and_repeatable() {
        let a: Vec<u32> = (0..4).map(|_| iteration_rng(7, 3, 0).r#gen()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let x: u64 = iteration_rng(7, 3, 0).r#gen();
        let y: u64 = iteration_rng(7, 4, 0).r#gen();
        let z: u64 = iteration_rng(8, 3, 0).r#gen();
        assert_ne!(x, y);
        assert_ne!(x, z);
    }

    #[test]
    fn mutations_stay_within_the_sort_budget() {
        let signals = vec![SignalKind::LogPopularity { field: "popularity".into() }];
        let mut genome = Genome::baseline();
        for i in 0..300 {
            let mut rng = iteration_rng(1, i, 0);
            mutate(&mut genome, &signals, 2, &mut rng);
            assert!(genome.sorts.len() <= 2);
            assert!(genome.signals.len() <= 1);
        }
    }
}

#[cfg(test)]
mod render_tests {
    use super::*;
    use crate::optimise::genome::RenderEnv;

    /// Every genome the search can reach renders to Painless that parses.
    #[test]
    fn reachable_genomes_render_to_parseable_painless() {
        let signals = vec![
            SignalKind::LogPopularity { field: "popularity".into() },
            SignalKind::Recency { field: "last_rated".into(), half_life_days: 365.0 },
            SignalKind::MeanRating { field: "mean_rating".into(), center: 3.5 },
            SignalKind::Year { field: "year".into(), center: 1995.0 },
            SignalKind::Breadth { field: "genres".into() },
        ];
        let env = RenderEnv { vector_field: "item_vector".into(), user_rows: 10, has_now: true };
        for seed in 0..4u64 {
            let mut genome = Genome::baseline();
            for i in 0..60 {
                let mut rng = iteration_rng(seed, i, 0);
                mutate(&mut genome, &signals, 3, &mut rng);
                let query = genome.render_query(&env);
                if let Err(d) = crate::painless::parse(&query) {
                    panic!("{}\n{query}\n{d:?}", genome.describe());
                }
                for sort in genome.render_sorts(&env) {
                    assert!(crate::painless::parse(&sort).is_ok(), "{sort}");
                }
            }
        }
    }
}
