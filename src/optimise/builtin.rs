//! The built-in optimiser: a seeded evolutionary search over [`Genome`]s. No network, no replay: each
//! iteration mutates the parent genome (perturb weights, add/remove/swap a signal, change pooling, add
//! or drop a sort script) and renders it to Painless. Each iteration's random stream is derived from
//! `(seed, iteration)` alone, so a resumed run reproduces the uninterrupted one exactly.
//!
//! - **Randomness**: ChaCha8 seeded with the run seed, on a stream per `(iteration, attempt)`
//!   (`iteration_rng`); everything adaptive is derived from the proposal context.
//! - **Weights** are chosen for their effect: a log-uniform fraction of the similarity term's typical
//!   spread (0.2 for cosine, 0.05 for a dot product against the mean-pooled vector), divided by the
//!   signal's own spread, with sign priors and hard bounds; switching the similarity rescales the
//!   existing weights.
//! - **Step sizes** follow a stateless 1/5th-success rule: the iterations since the parent (under the
//!   linear lineage, the failures in a row) shrink the log-weight step and the size of new terms.
//! - **Mutations** favour weight perturbation and signal additions over pooling changes; one that
//!   would give back the parent is replaced by another. Small weights render in exponent form
//!   (`genome.rs`).
//! - **Fixes**: after a local compile error, `fix` retreats towards simpler building blocks, one step
//!   per attempt.

use super::genome::{
    Genome, Pooling, RenderEnv, Signal, SignalKind, Similarity, SortKey, pooling_name, show_weight, signal_name,
};
use super::proposer::{
    Failure, FailureKind, FieldInfo, Proposal, ProposalContext, Proposed, Proposer, ProposerError, Usage,
};
use super::signals::{RECENCY_DAYS, derive_signals, read_hint};
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

/// The signals this store's fields can feed, from their statistics (`signals.rs`).
pub fn available_signals(fields: &[FieldInfo], has_now: bool) -> Vec<SignalKind> {
    derive_signals(fields, has_now)
}

/// The signals a search may add, and the fields `--hint` asked to favour.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignalPool {
    pub kinds: Vec<SignalKind>,
    /// Field names; a missing favoured signal is picked first three times in four and starts positive.
    pub favoured: Vec<String>,
}

impl SignalPool {
    /// Every signal, nothing favoured (the control arms).
    pub fn plain(kinds: Vec<SignalKind>) -> SignalPool {
        SignalPool { kinds, favoured: Vec::new() }
    }

    /// The built-in optimiser's pool: the derived signals less those on fields the hint avoids.
    pub fn for_context(ctx: &ProposalContext, has_now: bool) -> SignalPool {
        let mut kinds = available_signals(&ctx.fields, has_now);
        let hint = ctx.hint.as_deref().map(|h| read_hint(h, &ctx.fields)).unwrap_or_default();
        kinds.retain(|k| !hint.avoid.iter().any(|f| f == k.field()));
        SignalPool { kinds, favoured: hint.favour }
    }

    fn favours(&self, kind: &SignalKind) -> bool {
        self.favoured.iter().any(|f| f == kind.field())
    }

    /// One of `candidates` (non-empty): a favoured one three times in four when there is one.
    fn pick<'k>(&self, candidates: &[&'k SignalKind], rng: &mut ChaCha8Rng) -> &'k SignalKind {
        let favoured: Vec<&SignalKind> = candidates.iter().copied().filter(|k| self.favours(k)).collect();
        // No draw at all without a favoured candidate, so a run without a hint keeps its random stream.
        if !favoured.is_empty() && rng.gen_bool(0.75) {
            return favoured[rng.gen_range(0..favoured.len())];
        }
        candidates[rng.gen_range(0..candidates.len())]
    }
}

/// One signal per field: a genome never carries two signals reading the same field.
fn same_signal(a: &SignalKind, b: &SignalKind) -> bool {
    a.field() == b.field()
}

fn gauss(rng: &mut ChaCha8Rng, sd: f64) -> f64 {
    Normal::new(0.0, sd).map(|n| n.sample(rng)).unwrap_or(0.0)
}

/// The typical spread (about one standard deviation over the items) of each rendered signal, so
/// weights can be drawn for a comparable effect whatever the signal's units. Derived signals are
/// standardised to about one spread (`signals.rs`); a recency decay lies in [0, 1]. The pre-issue-21
/// kinds keep the figures they were proposed with: `log(1 + popularity)` spans a few units, a rating
/// offset within a point or so, `(year - c) / 10` a couple of decades.
fn signal_spread(kind: &SignalKind) -> f64 {
    match kind {
        SignalKind::Numeric { .. } | SignalKind::Breadth { .. } => 1.0,
        SignalKind::Recency { .. } => 0.3,
        SignalKind::LogPopularity { .. } => 1.5,
        SignalKind::MeanRating { .. } => 0.8,
        SignalKind::Year { .. } => 1.5,
    }
}

/// The probability that a freshly added signal gets a positive weight. Heavy-tailed counts (views,
/// sales, ratings given) and recency usually help a collaborative ranking; a field on a linear scale
/// or a breadth has no sign the distribution can tell. A field the hint favours starts positive.
fn positive_prior(kind: &SignalKind, favoured: bool) -> f64 {
    if favoured {
        return 0.9;
    }
    match kind {
        SignalKind::Numeric { log: true, .. } | SignalKind::LogPopularity { .. } => 0.8,
        SignalKind::Recency { .. } | SignalKind::MeanRating { .. } => 0.7,
        SignalKind::Numeric { log: false, .. } | SignalKind::Year { .. } | SignalKind::Breadth { .. } => 0.5,
    }
}

/// The spread assumed for the similarity term over a user's candidate items; signal effects are drawn
/// relative to it. Cosine against the pooled rows spreads over a few tenths; a dot product against the
/// mean-pooled vector (whose norm shrinks with the number of rows) over a few hundredths, as measured
/// on MovieLens, where a log-popularity weight of 5e-4 already moves NDCG@10 and a year weight of 2e-3
/// improves it.
fn similarity_spread(similarity: Similarity) -> f64 {
    match similarity {
        Similarity::Cosine => 0.2,
        Similarity::DotProduct => 0.05,
    }
}
/// Largest absolute weight a signal may carry, in units of the similarity spread per signal spread.
const MAX_EFFECT: f64 = 1.0;
const MIN_EFFECT: f64 = 1e-4;

/// Step size of this iteration: the number of iterations since the parent was accepted (under the
/// linear lineage, the failures in a row) shrinks steps geometrically, the 1/5th-success rule without
/// carried state, so a resumed run derives exactly the same value from its own records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepSize {
    /// Standard deviation of a log-weight perturbation.
    pub log_sd: f64,
    /// Decimal exponent range of a new signal's effect, relative to the similarity spread.
    pub effect_exp: (f64, f64),
}

impl StepSize {
    pub fn after_failures(failures: u32) -> StepSize {
        let shrink = 0.85f64.powi(failures.min(40) as i32);
        let log_sd = (0.7 * shrink).max(0.08);
        // Fresh signals start between 10^-2.5 and 10^-0.5 of the similarity spread; after failures the
        // upper end comes down (large effects have been tried and wrecked the ranking).
        let hi = (-0.5 - 0.03 * failures.min(30) as f64).max(-1.5);
        StepSize { log_sd, effect_exp: (hi - 2.0, hi) }
    }
}

/// Keeps a weight's effect within [MIN_EFFECT, MAX_EFFECT] similarity spreads (sign kept).
pub fn clamp_weight(kind: &SignalKind, similarity: Similarity, w: f64) -> f64 {
    let bound = MAX_EFFECT * similarity_spread(similarity) / signal_spread(kind);
    let floor = MIN_EFFECT * similarity_spread(similarity) / signal_spread(kind);
    let m = w.abs().clamp(floor, bound);
    if w < 0.0 { -m } else { m }
}

fn initial_weight(
    kind: &SignalKind,
    pool: &SignalPool,
    similarity: Similarity,
    step: &StepSize,
    rng: &mut ChaCha8Rng,
) -> f64 {
    // Log-uniform effect size relative to the similarity term, divided by the signal's own spread.
    let (lo, hi) = step.effect_exp;
    let effect = 10f64.powf(rng.gen_range(lo..hi)) * similarity_spread(similarity);
    let sign = if rng.gen_bool(positive_prior(kind, pool.favours(kind))) { 1.0 } else { -1.0 };
    clamp_weight(kind, similarity, sign * effect / signal_spread(kind))
}

fn perturb_kind(kind: &mut SignalKind, rng: &mut ChaCha8Rng) -> String {
    match kind {
        SignalKind::Recency { half_life_days, .. } => {
            let old = *half_life_days;
            *half_life_days = (old * (gauss(rng, 0.5)).exp()).clamp(RECENCY_DAYS.0, RECENCY_DAYS.1);
            format!("recency half-life {old:.0}d -> {:.0}d", half_life_days)
        }
        // Moving the centre of a linear signal only adds a constant to every score: not a change.
        _ => String::new(),
    }
}

/// After the similarity changed from `old`, scale signal weights so their effect relative to the new
/// similarity term stays what it was.
fn rescale_signals(genome: &mut Genome, old: Similarity) {
    let ratio = similarity_spread(genome.similarity) / similarity_spread(old);
    let sim = genome.similarity;
    for s in &mut genome.signals {
        s.weight = clamp_weight(&s.kind, sim, s.weight * ratio);
    }
    for k in &mut genome.sorts {
        if let SortKey::ScorePlus { signal } = k {
            signal.weight = clamp_weight(&signal.kind, sim, signal.weight * ratio);
        }
    }
}

/// One mutation of `genome`; returns a description of what changed. Also the random-search control
/// arm's building block (`controls`).
pub(crate) fn mutate(
    genome: &mut Genome,
    pool: &SignalPool,
    max_sorts: usize,
    step: &StepSize,
    rng: &mut ChaCha8Rng,
) -> String {
    for _ in 0..16 {
        let choice = rng.gen_range(0..100);
        let done = match choice {
            0..=34 if !genome.signals.is_empty() => {
                let i = rng.gen_range(0..genome.signals.len());
                let s = &mut genome.signals[i];
                let old = s.weight;
                if rng.gen_bool(0.25) {
                    let what = perturb_kind(&mut s.kind, rng);
                    if !what.is_empty() {
                        return what;
                    }
                }
                // Mostly a log-normal step keeping the sign; rarely a sign flip at a small magnitude.
                s.weight = if rng.gen_bool(0.05) { -old * 0.3 } else { old * gauss(rng, step.log_sd).exp() };
                s.weight = clamp_weight(&s.kind, genome.similarity, s.weight);
                Some(format!("{} weight {} -> {}", signal_name(&s.kind), show_weight(old), show_weight(s.weight)))
            }
            35..=59 => {
                let missing: Vec<&SignalKind> =
                    pool.kinds.iter().filter(|k| !genome.signals.iter().any(|s| same_signal(&s.kind, k))).collect();
                if missing.is_empty() {
                    None
                } else {
                    let kind = pool.pick(&missing, rng).clone();
                    let weight = initial_weight(&kind, pool, genome.similarity, step, rng);
                    let what = format!("add {} x{}", signal_name(&kind), show_weight(weight));
                    genome.signals.push(Signal { kind, weight });
                    Some(what)
                }
            }
            60..=65 if !genome.signals.is_empty() => {
                let i = rng.gen_range(0..genome.signals.len());
                let removed = genome.signals.remove(i);
                Some(format!("remove {}", signal_name(&removed.kind)))
            }
            66..=69 if !genome.signals.is_empty() => {
                let missing: Vec<&SignalKind> =
                    pool.kinds.iter().filter(|k| !genome.signals.iter().any(|s| same_signal(&s.kind, k))).collect();
                if missing.is_empty() {
                    None
                } else {
                    let i = rng.gen_range(0..genome.signals.len());
                    let kind = pool.pick(&missing, rng).clone();
                    let old = std::mem::replace(&mut genome.signals[i].kind, kind);
                    Some(format!("swap {} for {}", signal_name(&old), signal_name(&genome.signals[i].kind)))
                }
            }
            70..=75 => {
                let old = pooling_name(&genome.pooling);
                genome.pooling = match rng.gen_range(0..5) {
                    0 => Pooling::MeanVector,
                    1 => Pooling::MeanSimilarity,
                    2 => Pooling::MaxSimilarity,
                    3 => Pooling::Softmax { temperature: (0.2 * gauss(rng, 0.7).exp()).clamp(0.02, 2.0) },
                    _ => Pooling::TopM { m: rng.gen_range(2..=4) },
                };
                if genome.pooling != Pooling::MeanVector && genome.similarity != Similarity::Cosine {
                    let old = genome.similarity;
                    genome.similarity = Similarity::Cosine;
                    rescale_signals(genome, old);
                }
                let new = pooling_name(&genome.pooling);
                (old != new).then(|| format!("pooling {old} -> {new}"))
            }
            76..=83 => match &mut genome.pooling {
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
                Pooling::MeanVector if rng.gen_bool(0.5) => {
                    let old = genome.similarity;
                    genome.similarity =
                        if old == Similarity::Cosine { Similarity::DotProduct } else { Similarity::Cosine };
                    rescale_signals(genome, old);
                    Some(format!("similarity {old:?} -> {:?}", genome.similarity))
                }
                _ => None,
            },
            84..=89 if genome.sorts.len() < max_sorts && !pool.kinds.is_empty() => {
                // A score band alone only reproduces the query order, so it goes in front of an
                // existing re-ranking key.
                let band = !genome.sorts.is_empty()
                    && !matches!(genome.sorts[0], SortKey::ScoreBand { .. })
                    && rng.gen_bool(0.3);
                let key = if band {
                    SortKey::ScoreBand { bucket: 0.05 * gauss(rng, 0.5).exp() }
                } else {
                    let all: Vec<&SignalKind> = pool.kinds.iter().collect();
                    let kind = pool.pick(&all, rng).clone();
                    let weight = initial_weight(&kind, pool, genome.similarity, step, rng);
                    SortKey::ScorePlus { signal: Signal { kind, weight } }
                };
                let what = match &key {
                    SortKey::ScoreBand { bucket } => format!("add sort script: score band {bucket:.3}"),
                    SortKey::ScorePlus { signal } => {
                        format!(
                            "add sort script: score + {} x{}",
                            signal_name(&signal.kind),
                            show_weight(signal.weight)
                        )
                    }
                };
                if band {
                    genome.sorts.insert(0, key);
                } else {
                    genome.sorts.push(key);
                }
                Some(what)
            }
            90..=93 if !genome.sorts.is_empty() => {
                let i = rng.gen_range(0..genome.sorts.len());
                genome.sorts.remove(i);
                Some(format!("drop sort script {}", i + 1))
            }
            94..=99 if !genome.sorts.is_empty() => {
                let i = rng.gen_range(0..genome.sorts.len());
                match &mut genome.sorts[i] {
                    SortKey::ScoreBand { bucket } => {
                        let old = *bucket;
                        *bucket = (old * gauss(rng, 0.4).exp()).clamp(0.001, 1.0);
                        Some(format!("sort {} band {old:.3} -> {bucket:.3}", i + 1))
                    }
                    SortKey::ScorePlus { signal } => {
                        let old = signal.weight;
                        signal.weight =
                            clamp_weight(&signal.kind, genome.similarity, old * gauss(rng, step.log_sd).exp());
                        Some(format!("sort {} weight {} -> {}", i + 1, show_weight(old), show_weight(signal.weight)))
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
    format!("similarity weight {} -> {}", show_weight(old), show_weight(genome.similarity_weight))
}

/// A signal weight for an effect of `effect` similarity spreads (the unit `clamp_weight` bounds).
pub(crate) fn weight_for_effect(kind: &SignalKind, similarity: Similarity, effect: f64) -> f64 {
    effect * similarity_spread(similarity) / signal_spread(kind)
}

/// The effect, in similarity spreads, of a signal weight (inverse of [`weight_for_effect`]).
pub(crate) fn effect_of_weight(kind: &SignalKind, similarity: Similarity, weight: f64) -> f64 {
    weight * signal_spread(kind) / similarity_spread(similarity)
}

/// A genome rendered for the run's contract (sort scripts cut to its budget), as a proposal.
pub(crate) fn render_genome(genome: Genome, ctx: &ProposalContext, rationale: String) -> Proposed {
    let env = render_env(ctx);
    let mut sort = genome.render_sorts(&env);
    sort.truncate(ctx.contract.max_sort_scripts);
    Proposed {
        proposal: Proposal { rationale, query: genome.render_query(&env), sort, genome: Some(genome.to_json()) },
        usage: Usage::default(),
    }
}

/// Iterations since the parent was evaluated: under the linear lineage the parent is the best so far,
/// so this counts the failures in a row. Derived from the context alone, so resume is exact.
pub fn failures_since_parent(ctx: &ProposalContext) -> u32 {
    ctx.iteration.saturating_sub(ctx.parent_iteration).saturating_sub(1)
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
        Ok(self.mutate_parent(ctx, 0, None))
    }

    fn fix(
        &mut self,
        ctx: &ProposalContext,
        broken: &Proposal,
        failure: &Failure,
        attempt: u32,
    ) -> Result<Proposed, ProposerError> {
        if failure.kind == FailureKind::Duplicate {
            // The loop never ranks a script set twice; a repeat is answered with a fresh mutation of
            // the same parent on this attempt's own random stream, so the iteration is not spent.
            return Ok(self.mutate_parent(ctx, attempt, Some(failure)));
        }
        Ok(retreat(ctx, broken, attempt))
    }
}

impl BuiltinProposer {
    /// One to three mutations of the parent genome on the random stream of `(iteration, attempt)`, after
    /// pruning the parent's idle sort scripts.
    fn mutate_parent(&self, ctx: &ProposalContext, attempt: u32, repeat: Option<&Failure>) -> Proposed {
        let env = render_env(ctx);
        let mut rng = iteration_rng(ctx.seed, ctx.iteration, attempt);
        let pool = SignalPool::for_context(ctx, env.has_now);
        let mut genome = ctx.parent_genome.as_ref().and_then(Genome::from_json).unwrap_or_else(Genome::baseline);
        genome.sorts.truncate(ctx.contract.max_sort_scripts);
        let mut changes: Vec<String> = prune_idle_sorts(&mut genome, &ctx.parent_diagnostics, &env);
        // Mostly one mutation, sometimes two or three: small steps climb, larger ones escape plateaus.
        let steps = match rng.gen_range(0..10) {
            0..=5 => 1,
            6..=8 => 2,
            _ => 3,
        };
        let step = StepSize::after_failures(failures_since_parent(ctx));
        // Compared with the pruned parent: pruning alone leaves the ranking as it was.
        let parent = genome.clone();
        let max_sorts = ctx.contract.max_sort_scripts;
        changes.extend((0..steps).map(|_| mutate(&mut genome, &pool, max_sorts, &step, &mut rng)));
        // A mutation that undoes another (or a no-op) would re-evaluate the parent: mutate again.
        for _ in 0..8 {
            if genome != parent {
                break;
            }
            changes.push(mutate(&mut genome, &pool, max_sorts, &step, &mut rng));
        }
        let again = match repeat.and_then(|f| f.error.get("iteration")).and_then(|v| v.as_u64()) {
            Some(of) => format!(" (attempt {attempt}: the last one repeated iteration {of})"),
            None => String::new(),
        };
        let rationale = format!(
            "from iteration {}{again}: {}. Candidate: {}.",
            ctx.parent_iteration,
            changes.join("; "),
            genome.describe()
        );
        render_genome(genome, ctx, rationale)
    }
}

/// A sort script that changes fewer lists than this share of the cohort's top-k lists (its ablation in
/// the parent's diagnostics, `sort_effects`) costs a sort key and buys nothing measurable: it is dropped.
pub const IDLE_SORT_SHARE: f64 = 0.005;

/// Drops the sort keys whose scripts changed fewer than `IDLE_SORT_SHARE` of the parent's top-k lists;
/// returns what it did. Does nothing when the recorded ablations cannot be matched to the keys (no
/// ablation recorded, a run from before `lists_changed_share`, or a key that did not render).
pub fn prune_idle_sorts(genome: &mut Genome, diagnostics: &serde_json::Value, env: &RenderEnv) -> Vec<String> {
    let Some(effects) = diagnostics.get("sort_effects").and_then(|v| v.as_array()) else { return Vec::new() };
    if effects.len() != genome.sorts.len() || genome.render_sorts(env).len() != genome.sorts.len() {
        return Vec::new();
    }
    let shares: Vec<Option<f64>> =
        effects.iter().map(|e| e.get("lists_changed_share").and_then(serde_json::Value::as_f64)).collect();
    let mut out = Vec::new();
    for (i, share) in shares.iter().enumerate().rev() {
        if let Some(share) = share
            && *share < IDLE_SORT_SHARE
        {
            genome.sorts.remove(i);
            out.push(format!("prune sort script {} (it changed {:.2} % of the top-k lists)", i + 1, 100.0 * share));
        }
    }
    out.reverse();
    out
}

/// After a local compile or runtime error: rendered genomes are valid Painless by construction, so a
/// failure means the local subset refused a construct; retreat towards simpler building blocks, one
/// step per attempt. Also the control arms' answer to every failure.
pub(crate) fn retreat(ctx: &ProposalContext, broken: &Proposal, attempt: u32) -> Proposed {
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
    render_genome(genome, ctx, rationale)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::data::{Dataset, SyntheticOptions, synthetic_dataset};
    use crate::optimise::proposer::{ParamInfo, ScriptContract, ScriptTexts};
    use crate::store::Store;

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

    fn small_dataset() -> Dataset {
        synthetic_dataset(&SyntheticOptions { items: 300, users: 20, dims: 4, ..Default::default() })
    }

    /// The dataset with every attribute renamed `attr_<i>_z` (diversity fields too).
    pub(super) fn renamed(ds: &Dataset) -> (Dataset, Vec<(String, String)>) {
        let mut out = ds.clone();
        let names: Vec<(String, String)> =
            ds.fields.iter().enumerate().map(|(i, f)| (f.name.clone(), format!("attr_{i}_z"))).collect();
        for (f, (_, new)) in out.fields.iter_mut().zip(&names) {
            f.name = new.clone();
        }
        for d in &mut out.settings.diversity_fields {
            if let Some((_, new)) = names.iter().find(|(old, _)| old == d) {
                *d = new.clone();
            }
        }
        (out, names)
    }

    fn fields_of(ds: &Dataset) -> Vec<FieldInfo> {
        FieldInfo::of_store(&Store::from_dataset(ds).unwrap())
    }

    /// A proposal context over `fields` (3 user rows, `now` passed, seed 42); other tests reuse it.
    pub(crate) fn ctx(
        fields: &[FieldInfo],
        iteration: u32,
        parent_genome: Option<serde_json::Value>,
    ) -> ProposalContext {
        ProposalContext {
            iteration,
            contract: ScriptContract {
                params: vec![
                    ParamInfo { name: "user_vector".into(), description: String::new() },
                    ParamInfo { name: "now".into(), description: String::new() },
                ],
                vector_field: "item_vector".into(),
                user_rows: 3,
                dims: 4,
                max_sort_scripts: 2,
                dialect: "es8".into(),
            },
            fields: fields.to_vec(),
            objective: "ndcg".into(),
            guardrail: "ild".into(),
            baseline: Default::default(),
            parent_iteration: iteration.saturating_sub(3),
            parent: ScriptTexts { query: String::new(), sort: vec![] },
            parent_genome,
            parent_metrics: None,
            parent_diagnostics: serde_json::Value::Null,
            best: vec![],
            last_error: None,
            recent_failures: Vec::new(),
            baseline_scripts: None,
            hint: None,
            seed: 42,
        }
    }

    /// The derived signals of the synthetic store, plus the pre-issue-21 kinds a resumed run may carry.
    fn all_signals() -> Vec<SignalKind> {
        let mut out = available_signals(&fields_of(&small_dataset()), true);
        out.extend([
            SignalKind::LogPopularity { field: "old_popularity".into() },
            SignalKind::MeanRating { field: "old_rating".into(), center: 3.5 },
            SignalKind::Year { field: "old_year".into(), center: 1995.0 },
        ]);
        out
    }

    #[test]
    fn the_synthetic_schema_yields_one_signal_per_usable_field() {
        let signals = available_signals(&fields_of(&small_dataset()), true);
        let kinds: Vec<String> = signals.iter().map(signal_name).collect();
        // tags (multi-valued keyword), year (linear), price (log-normal: log), popularity (log),
        // last_rated (epoch seconds: recency); single-valued keywords give none.
        assert_eq!(signals.len(), 5, "{kinds:?}");
        assert!(matches!(&signals[0], SignalKind::Breadth { field, .. } if field == "tags"), "{kinds:?}");
        assert!(matches!(&signals[1], SignalKind::Numeric { field, log: false, .. } if field == "year"));
        assert!(matches!(&signals[3], SignalKind::Numeric { field, log: true, .. } if field == "popularity"));
        assert!(matches!(&signals[4], SignalKind::Recency { field, .. } if field == "last_rated"));
    }

    #[test]
    fn weights_stay_within_their_effect_bounds() {
        let pool = SignalPool::plain(all_signals());
        for seed in 0..3u64 {
            let mut genome = Genome::baseline();
            for i in 0..200 {
                let mut rng = iteration_rng(seed, i, 0);
                mutate(&mut genome, &pool, 3, &StepSize::after_failures(i % 25), &mut rng);
                let sim = genome.similarity;
                let sort_signals = genome.sorts.iter().filter_map(|k| match k {
                    SortKey::ScorePlus { signal } => Some(signal),
                    SortKey::ScoreBand { .. } => None,
                });
                for s in genome.signals.iter().chain(sort_signals) {
                    let bound = MAX_EFFECT * similarity_spread(sim) / signal_spread(&s.kind);
                    let floor = MIN_EFFECT * similarity_spread(sim) / signal_spread(&s.kind);
                    assert!(s.weight.is_finite(), "{}", genome.describe());
                    assert!(s.weight.abs() <= bound * (1.0 + 1e-9), "{} > {bound}", s.weight);
                    assert!(s.weight.abs() >= floor * (1.0 - 1e-9), "{} < {floor}", s.weight);
                }
                let fields: Vec<&str> = genome.signals.iter().map(|s| s.kind.field()).collect();
                assert!(fields.iter().enumerate().all(|(j, f)| !fields[..j].contains(f)), "one signal per field");
            }
        }
    }

    #[test]
    fn steps_shrink_with_failures_and_stay_positive() {
        let mut last = StepSize::after_failures(0);
        for f in 1..60 {
            let s = StepSize::after_failures(f);
            assert!(s.log_sd <= last.log_sd && s.log_sd >= 0.08);
            assert!(s.effect_exp.1 <= last.effect_exp.1 && s.effect_exp.0 < s.effect_exp.1);
            last = s;
        }
    }

    #[test]
    fn switching_similarity_keeps_signal_effects() {
        let mut g = Genome::baseline();
        let kind = SignalKind::Numeric { field: "f".into(), log: true, center: 1.0, scale: 2.0 };
        g.signals.push(Signal { kind, weight: 0.02 });
        g.similarity = Similarity::DotProduct;
        rescale_signals(&mut g, Similarity::Cosine);
        let expected = 0.02 * similarity_spread(Similarity::DotProduct) / similarity_spread(Similarity::Cosine);
        assert!((g.signals[0].weight - expected).abs() < 1e-12);
    }

    #[test]
    fn proposals_never_repeat_the_parent() {
        let fields = fields_of(&small_dataset());
        let mut parent = Genome::baseline().to_json();
        let mut p = BuiltinProposer::new();
        for i in 1..80 {
            let c = ctx(&fields, i, Some(parent.clone()));
            let a = p.propose(&c).unwrap().proposal;
            // Deterministic from the context alone (what makes resume exact).
            assert_eq!(a, p.propose(&c).unwrap().proposal);
            let g = a.genome.clone().unwrap();
            assert_ne!(Genome::from_json(&g), Genome::from_json(&parent), "iteration {i}: {}", a.rationale);
            parent = g;
        }
    }

    /// Issue 21: the optimiser reads the schema's statistics, not its names, so a store with every
    /// attribute renamed gets the same proposals with the names swapped.
    #[test]
    fn issue_21_renamed_fields_give_the_same_proposals() {
        let ds = small_dataset();
        let (other, names) = renamed(&ds);
        let (a_fields, b_fields) = (fields_of(&ds), fields_of(&other));
        let back = |text: &str| {
            names.iter().fold(text.to_string(), |t, (old, new)| {
                t.replace(&format!("'{new}'"), &format!("'{old}'"))
                    .replace(&format!("\"{new}\""), &format!("\"{old}\""))
            })
        };
        let (mut pa, mut pb) = (Genome::baseline().to_json(), Genome::baseline().to_json());
        let mut p = BuiltinProposer::new();
        let mut signals_seen = 0;
        for i in 1..60 {
            let a = p.propose(&ctx(&a_fields, i, Some(pa.clone()))).unwrap().proposal;
            let b = p.propose(&ctx(&b_fields, i, Some(pb.clone()))).unwrap().proposal;
            assert_eq!(a.query, back(&b.query), "iteration {i}");
            assert_eq!(a.sort, b.sort.iter().map(|s| back(s)).collect::<Vec<_>>(), "iteration {i}");
            let (ga, gb) = (a.genome.clone().unwrap(), b.genome.clone().unwrap());
            assert_eq!(ga.to_string(), back(&gb.to_string()));
            signals_seen += Genome::from_json(&ga).unwrap().signals.len();
            (pa, pb) = (ga, gb);
        }
        assert!(signals_seen > 0, "the walk used item signals");
    }

    #[test]
    fn a_repeat_gets_a_fresh_mutation_and_a_compile_error_a_retreat() {
        let fields = fields_of(&small_dataset());
        let mut p = BuiltinProposer::new();
        let c = ctx(&fields, 5, Some(Genome::baseline().to_json()));
        let first = p.propose(&c).unwrap().proposal;
        let duplicate = Failure {
            kind: FailureKind::Duplicate,
            error: serde_json::json!({"type": "duplicate_candidate", "iteration": 3}),
            detail: None,
        };
        let again = p.fix(&c, &first, &duplicate, 1).unwrap().proposal;
        assert_ne!(again.scripts(), first.scripts());
        assert!(again.rationale.contains("repeated iteration 3"), "{}", again.rationale);
        assert_ne!(Genome::from_json(again.genome.as_ref().unwrap()), Some(Genome::baseline()));
        // Deterministic per attempt, and each attempt draws from its own stream.
        assert_eq!(again, p.fix(&c, &first, &duplicate, 1).unwrap().proposal);
        assert_ne!(again.scripts(), p.fix(&c, &first, &duplicate, 2).unwrap().proposal.scripts());
        let compile = Failure { kind: FailureKind::Compile, ..duplicate };
        assert!(p.fix(&c, &first, &compile, 3).unwrap().proposal.rationale.contains("baseline shape"));
    }

    #[test]
    fn sort_scripts_that_change_almost_no_list_are_pruned() {
        let env = RenderEnv { vector_field: "item_vector".into(), user_rows: 3, has_now: true };
        let signal =
            Signal { kind: SignalKind::Breadth { field: "tags".into(), center: 2.0, scale: 1.0 }, weight: 0.1 };
        let mut g = Genome::baseline();
        g.sorts = vec![SortKey::ScoreBand { bucket: 0.05 }, SortKey::ScorePlus { signal }];
        let effects = |a: f64, b: f64| {
            serde_json::json!({"sort_effects": [
                {"script": "sort_00.painless", "top_k_changed_share": 0.0, "lists_changed_share": a},
                {"script": "sort_01.painless", "top_k_changed_share": 0.1, "lists_changed_share": b}]})
        };
        let mut pruned = g.clone();
        let what = prune_idle_sorts(&mut pruned, &effects(0.004, 0.3), &env);
        assert_eq!(pruned.sorts, g.sorts[1..]);
        assert_eq!(what, ["prune sort script 1 (it changed 0.40 % of the top-k lists)"]);
        let mut kept = g.clone();
        assert!(prune_idle_sorts(&mut kept, &effects(0.005, 0.3), &env).is_empty());
        assert_eq!(kept, g);
        // No ablation, or ablations from before the share was recorded: nothing is pruned.
        let old = serde_json::json!({"sort_effects": [{"top_k_changed_share": 0.0}, {"top_k_changed_share": 0.0}]});
        assert!(prune_idle_sorts(&mut kept, &old, &env).is_empty());
        assert!(prune_idle_sorts(&mut kept, &serde_json::Value::Null, &env).is_empty());
        // The proposer prunes before it mutates.
        let fields = fields_of(&small_dataset());
        let mut c = ctx(&fields, 2, Some(g.to_json()));
        c.parent_diagnostics = effects(0.0, 0.0);
        let proposal = BuiltinProposer::new().propose(&c).unwrap().proposal;
        assert!(proposal.rationale.contains("prune sort script 1 (it changed 0.00 %"), "{}", proposal.rationale);
        assert!(proposal.rationale.contains("prune sort script 2 ("), "{}", proposal.rationale);
    }

    #[test]
    fn hints_steer_the_signals() {
        let fields = fields_of(&small_dataset());
        let walk = |hint: Option<&str>| -> Vec<Genome> {
            let mut parent = Genome::baseline().to_json();
            let mut out = Vec::new();
            for i in 1..120 {
                let mut c = ctx(&fields, i, Some(parent.clone()));
                c.hint = hint.map(str::to_string);
                parent = BuiltinProposer::new().propose(&c).unwrap().proposal.genome.unwrap();
                out.push(Genome::from_json(&parent).unwrap());
            }
            out
        };
        let reads = |g: &Genome, field: &str| {
            g.signals.iter().any(|s| s.kind.field() == field)
                || g.sorts.iter().any(|k| matches!(k, SortKey::ScorePlus { signal } if signal.kind.field() == field))
        };
        assert!(walk(None).iter().any(|g| reads(g, "popularity")));
        assert!(!walk(Some("avoid popularity")).iter().any(|g| reads(g, "popularity")));
        let count = |walk: &[Genome]| walk.iter().filter(|g| reads(g, "year")).count();
        assert!(count(&walk(Some("favour year"))) > count(&walk(None)));
    }

    #[test]
    fn mutations_stay_within_the_sort_budget() {
        let pool = SignalPool::plain(vec![SignalKind::LogPopularity { field: "popularity".into() }]);
        let mut genome = Genome::baseline();
        for i in 0..300 {
            let mut rng = iteration_rng(1, i, 0);
            mutate(&mut genome, &pool, 2, &StepSize::after_failures(i % 20), &mut rng);
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
        let pool = SignalPool::plain(vec![
            SignalKind::Numeric { field: "popularity".into(), log: true, center: 1.6, scale: 1.2 },
            SignalKind::Numeric { field: "score".into(), log: false, center: -0.5, scale: 2.0e-5 },
            SignalKind::Recency {
                field: "last_rated".into(),
                half_life_days: 365.0,
                seconds_per_unit: 1.0,
                date: false,
            },
            SignalKind::Recency {
                field: "updated_ms".into(),
                half_life_days: 30.0,
                seconds_per_unit: 1e-3,
                date: false,
            },
            SignalKind::Breadth { field: "genres".into(), center: 2.1, scale: 0.9 },
            SignalKind::LogPopularity { field: "old_popularity".into() },
            SignalKind::MeanRating { field: "mean_rating".into(), center: 3.5 },
            SignalKind::Year { field: "year".into(), center: 1995.0 },
        ]);
        let env = RenderEnv { vector_field: "item_vector".into(), user_rows: 10, has_now: true };
        for seed in 0..4u64 {
            let mut genome = Genome::baseline();
            for i in 0..60 {
                let mut rng = iteration_rng(seed, i, 0);
                mutate(&mut genome, &pool, 3, &StepSize::after_failures(i % 20), &mut rng);
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
