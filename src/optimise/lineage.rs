//! Which earlier iteration the next candidate edits.
//!
//! - `linear`: the previous iteration, unless it failed or scored worse than its own parent, in which
//!   case its parent again (a hill climber that never edits a known regression or a broken script).
//! - `evolutionary`: a size-3 tournament over every evaluated candidate that held the guardrail, on
//!   the primary metric discounted by how often the candidate was already picked, so the search keeps
//!   branching instead of hammering one parent. A proposer that can reason about parents (the LLM
//!   providers) is instead offered the strongest few after the same discount (`parent_options`) and
//!   picks one itself; the tournament is its fallback.
//!
//! The LLM proposers are offered `loop::PARENT_OPTIONS` (5) candidates; their pick, reason and cost are
//! recorded in the iteration's `proposal.json` (`parent_reason`, `usage`).

use super::builtin::iteration_rng;
use rand::Rng;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lineage {
    Linear,
    Evolutionary,
}

impl Lineage {
    pub fn parse(s: &str) -> Option<Lineage> {
        match s {
            "linear" => Some(Lineage::Linear),
            "evolutionary" => Some(Lineage::Evolutionary),
            _ => None,
        }
    }
}

/// The facts about one past iteration that parent choice needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Ancestor {
    pub iteration: u32,
    pub parent: Option<u32>,
    /// The primary metric, when the candidate was evaluated.
    pub primary: Option<f64>,
    /// Evaluated, guardrail held, no drift.
    pub eligible: bool,
}

/// Share of the primary metric lost per earlier pick in the evolutionary tournament.
const PICK_PENALTY: f64 = 0.03;

/// One candidate parent with its primary metric discounted by how often it was already picked.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedParent {
    pub iteration: u32,
    pub primary: f64,
    pub picks: u32,
    pub weighted: f64,
}

/// Every eligible candidate parent, in history order, with its pick-discounted primary.
pub fn weighted_pool(history: &[Ancestor]) -> Vec<WeightedParent> {
    history
        .iter()
        .filter(|a| a.eligible)
        .filter_map(|a| {
            let picks = history.iter().filter(|h| h.parent == Some(a.iteration)).count() as u32;
            a.primary.map(|p| WeightedParent {
                iteration: a.iteration,
                primary: p,
                picks,
                weighted: p * (1.0 - PICK_PENALTY * picks as f64).max(0.0),
            })
        })
        .collect()
}

/// The `limit` strongest parents after the pick penalty (ties: earlier iteration first): what a
/// proposer that picks its own parents is offered, so a parent picked over and over drops out.
pub fn parent_options(history: &[Ancestor], limit: usize) -> Vec<WeightedParent> {
    let mut pool = weighted_pool(history);
    pool.sort_by(|a, b| {
        b.weighted.partial_cmp(&a.weighted).unwrap_or(std::cmp::Ordering::Equal).then(a.iteration.cmp(&b.iteration))
    });
    pool.truncate(limit);
    pool
}

/// The parent of iteration `next` given the history (iteration 0, the baseline, always first).
pub fn choose_parent(lineage: Lineage, history: &[Ancestor], seed: u64, next: u32) -> u32 {
    let by_iter = |i: u32| history.iter().find(|a| a.iteration == i);
    match lineage {
        Lineage::Linear => {
            let Some(prev) = history.last() else { return 0 };
            let Some(parent) = prev.parent else { return prev.iteration };
            let parent_primary = by_iter(parent).and_then(|p| p.primary);
            let improved = match (prev.primary, parent_primary) {
                (Some(a), Some(b)) => a >= b,
                (Some(_), None) => true,
                _ => false,
            };
            if prev.eligible && improved { prev.iteration } else { parent }
        }
        Lineage::Evolutionary => {
            let pool: Vec<(u32, f64)> = weighted_pool(history).into_iter().map(|w| (w.iteration, w.weighted)).collect();
            if pool.is_empty() {
                return 0;
            }
            // Stream 255 of the iteration is reserved for parent choice (the proposer uses 0..=3).
            let mut rng = iteration_rng(seed, next, 255);
            let mut best: Option<(u32, f64)> = None;
            for _ in 0..3 {
                let c = pool[rng.gen_range(0..pool.len())];
                if best.is_none_or(|b| c.1 > b.1 || (c.1 == b.1 && c.0 < b.0)) {
                    best = Some(c);
                }
            }
            best.map_or(0, |b| b.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(iteration: u32, parent: Option<u32>, primary: Option<f64>, eligible: bool) -> Ancestor {
        Ancestor { iteration, parent, primary, eligible }
    }

    #[test]
    fn linear_follows_improvements_and_reverts_regressions() {
        let mut h = vec![a(0, None, Some(0.30), true)];
        assert_eq!(choose_parent(Lineage::Linear, &h, 1, 1), 0);
        h.push(a(1, Some(0), Some(0.31), true));
        assert_eq!(choose_parent(Lineage::Linear, &h, 1, 2), 1);
        h.push(a(2, Some(1), Some(0.29), true));
        assert_eq!(choose_parent(Lineage::Linear, &h, 1, 3), 1);
        h.push(a(3, Some(1), None, false));
        assert_eq!(choose_parent(Lineage::Linear, &h, 1, 4), 1);
        h.push(a(4, Some(1), Some(0.40), false));
        assert_eq!(choose_parent(Lineage::Linear, &h, 1, 5), 1, "a guardrail violation is never edited");
    }

    #[test]
    fn evolutionary_prefers_strong_parents_but_spreads_picks() {
        let mut h = vec![a(0, None, Some(0.30), true), a(1, Some(0), Some(0.35), true), a(2, Some(0), None, false)];
        let picks: Vec<u32> = (3..40).map(|n| choose_parent(Lineage::Evolutionary, &h, 9, n)).collect();
        assert!(picks.iter().all(|p| *p == 0 || *p == 1));
        assert!(picks.contains(&1));
        // After many picks of iteration 1 its discounted score falls below the baseline's.
        for i in 0..10 {
            h.push(a(10 + i, Some(1), None, false));
        }
        let later: Vec<u32> = (50..80).map(|n| choose_parent(Lineage::Evolutionary, &h, 9, n)).collect();
        assert!(later.contains(&0));
        assert_eq!(choose_parent(Lineage::Evolutionary, &h, 9, 50), choose_parent(Lineage::Evolutionary, &h, 9, 50));
    }

    #[test]
    fn parent_options_rank_by_discounted_primary_and_drop_overpicked() {
        let mut h =
            vec![a(0, None, Some(0.30), true), a(1, Some(0), Some(0.35), true), a(2, Some(1), Some(0.33), true)];
        h.push(a(3, Some(0), None, false));
        let opts = parent_options(&h, 2);
        assert_eq!(opts.iter().map(|o| o.iteration).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(opts[0].picks, 1);
        // Six more picks of iteration 1 (7 in all: 0.35 * 0.79 = 0.2765) put it below 2 (0.33) and
        // 0 (two picks: 0.30 * 0.94 = 0.282).
        for i in 0..6 {
            h.push(a(10 + i, Some(1), None, false));
        }
        let opts = parent_options(&h, 2);
        assert_eq!(opts.iter().map(|o| o.iteration).collect::<Vec<_>>(), vec![2, 0]);
        assert!(opts.iter().all(|o| o.weighted <= o.primary));
    }
}
