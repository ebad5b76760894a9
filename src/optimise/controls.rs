//! Control arms for the built-in optimiser, at the same budget (issue 20): if the optimiser cannot
//! beat these, its gains are not the search's doing.
//!
//! - [`RandomProposer`] (`--provider random`): random search. Each iteration starts from the
//!   baseline's shape and applies one to six random building blocks of the built-in optimiser
//!   (`builtin::mutate` at its initial step size), ignoring the parent the loop offers.
//! - [`WeightsProposer`] (`--provider weights`): keeps the baseline's structure (mean-vector cosine,
//!   no sort scripts) and only tunes the weights of the item signals it adds, by coordinate ascent:
//!   iteration `i` moves coordinate `(i-1)/2 mod n` (in a seeded order) up on odd and down on even
//!   iterations, by a step that halves after every full sweep without an accepted move.
//!
//! Both are deterministic for a seed: every draw comes from `iteration_rng(seed, iteration, ..)` on
//! streams the built-in optimiser does not use, and everything else from the proposal context, so a
//! resumed run reproduces an uninterrupted one.

use super::builtin::{
    SignalPool, StepSize, available_signals, effect_of_weight, failures_since_parent, iteration_rng, mutate,
    render_env, render_genome, retreat, weight_for_effect,
};
use super::genome::{Genome, Signal, show_weight, signal_name};
use super::proposer::{Failure, Proposal, ProposalContext, Proposed, Proposer, ProposerError};
use rand::Rng;
use rand::seq::SliceRandom;

/// `attempt` slots of `iteration_rng` reserved for the control arms (the optimiser uses 0..=3).
const RANDOM_STREAM: u32 = 0x80;
const WEIGHTS_ORDER_STREAM: u32 = 0x81;

/// Most building blocks one random candidate is made of.
const MAX_RANDOM_BLOCKS: usize = 6;

/// The first coordinate step, in similarity spreads (the unit of `builtin::clamp_weight`).
const FIRST_STEP: f64 = 0.2;
/// Effects stay within ± this many similarity spreads (the built-in optimiser's bound).
const MAX_EFFECT: f64 = 1.0;

#[derive(Debug, Default)]
pub struct RandomProposer;

impl Proposer for RandomProposer {
    fn name(&self) -> String {
        "random".into()
    }

    fn propose(&mut self, ctx: &ProposalContext) -> Result<Proposed, ProposerError> {
        let env = render_env(ctx);
        let signals = SignalPool::plain(available_signals(&ctx.fields, env.has_now));
        let mut rng = iteration_rng(ctx.seed, ctx.iteration, RANDOM_STREAM);
        let step = StepSize::after_failures(0);
        let blocks = rng.gen_range(1..=MAX_RANDOM_BLOCKS);
        let mut genome = Genome::baseline();
        let mut changes: Vec<String> = (0..blocks)
            .map(|_| mutate(&mut genome, &signals, ctx.contract.max_sort_scripts, &step, &mut rng))
            .collect();
        for _ in 0..8 {
            if genome != Genome::baseline() {
                break;
            }
            changes.push(mutate(&mut genome, &signals, ctx.contract.max_sort_scripts, &step, &mut rng));
        }
        let rationale = format!(
            "random search (no parent): {} random building blocks from the baseline shape: {}. Candidate: {}.",
            changes.len(),
            changes.join("; "),
            genome.describe()
        );
        Ok(render_genome(genome, ctx, rationale))
    }

    fn fix(
        &mut self,
        ctx: &ProposalContext,
        broken: &Proposal,
        _failure: &Failure,
        attempt: u32,
    ) -> Result<Proposed, ProposerError> {
        Ok(retreat(ctx, broken, attempt))
    }
}

#[derive(Debug, Default)]
pub struct WeightsProposer;

/// The coordinate, direction and step of an iteration (see the module comment).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoordinateMove {
    pub coordinate: usize,
    pub up: bool,
    pub step: f64,
}

impl CoordinateMove {
    pub fn for_iteration(iteration: u32, coordinates: usize, failures_since_parent: u32) -> CoordinateMove {
        let i = iteration.saturating_sub(1) as usize;
        let sweeps_failed = failures_since_parent as usize / (2 * coordinates.max(1));
        CoordinateMove {
            coordinate: (i / 2) % coordinates.max(1),
            up: i.is_multiple_of(2),
            step: FIRST_STEP * 0.5f64.powi(sweeps_failed.min(30) as i32),
        }
    }
}

impl Proposer for WeightsProposer {
    fn name(&self) -> String {
        "weights".into()
    }

    fn propose(&mut self, ctx: &ProposalContext) -> Result<Proposed, ProposerError> {
        let env = render_env(ctx);
        let mut coordinates = available_signals(&ctx.fields, env.has_now);
        if coordinates.is_empty() {
            return Err(ProposerError::Builtin("weights-only control: the store has no item signal to weight".into()));
        }
        coordinates.shuffle(&mut iteration_rng(ctx.seed, 0, WEIGHTS_ORDER_STREAM));
        // The baseline's structure with the parent's signal weights (the parent is always this arm's).
        let parent = ctx.parent_genome.as_ref().and_then(Genome::from_json).unwrap_or_else(Genome::baseline);
        let mut genome = Genome { signals: parent.signals.clone(), ..Genome::baseline() };
        let mv = CoordinateMove::for_iteration(ctx.iteration, coordinates.len(), failures_since_parent(ctx));
        let kind = coordinates[mv.coordinate].clone();
        let index = genome.signals.iter().position(|s| s.kind == kind);
        let current = index.map_or(0.0, |i| effect_of_weight(&kind, genome.similarity, genome.signals[i].weight));
        let mut up = mv.up;
        let mut next = (current + if up { mv.step } else { -mv.step }).clamp(-MAX_EFFECT, MAX_EFFECT);
        if next == current {
            // At a bound: the only move left on this coordinate is back.
            up = !up;
            next = (current + if up { mv.step } else { -mv.step }).clamp(-MAX_EFFECT, MAX_EFFECT);
        }
        // Below half a step the signal is off (a weight that small only reorders exact ties).
        let weight = (next.abs() >= mv.step / 2.0).then(|| weight_for_effect(&kind, genome.similarity, next));
        match (index, weight) {
            (Some(i), Some(w)) => genome.signals[i].weight = w,
            (Some(i), None) => {
                genome.signals.remove(i);
            }
            (None, Some(w)) => genome.signals.push(Signal { kind: kind.clone(), weight: w }),
            (None, None) => {}
        }
        let rationale = format!(
            "coordinate ascent on signal weights (baseline structure kept), from iteration {}: {} effect {:+.3} -> {:+.3} \
             similarity spreads (step {}). Candidate: {}.",
            ctx.parent_iteration,
            signal_name(&kind),
            current,
            next,
            show_weight(mv.step),
            genome.describe()
        );
        Ok(render_genome(genome, ctx, rationale))
    }

    fn fix(
        &mut self,
        ctx: &ProposalContext,
        broken: &Proposal,
        _failure: &Failure,
        attempt: u32,
    ) -> Result<Proposed, ProposerError> {
        Ok(retreat(ctx, broken, attempt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinate_moves_sweep_then_halve() {
        let m = |i, f| CoordinateMove::for_iteration(i, 3, f);
        assert_eq!(m(1, 0), CoordinateMove { coordinate: 0, up: true, step: FIRST_STEP });
        assert_eq!(m(2, 1), CoordinateMove { coordinate: 0, up: false, step: FIRST_STEP });
        assert_eq!(m(3, 0).coordinate, 1);
        assert_eq!(m(7, 6), CoordinateMove { coordinate: 0, up: true, step: FIRST_STEP / 2.0 });
    }
}
