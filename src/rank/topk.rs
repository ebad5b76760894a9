//! Bounded top-k selection (tantivy's `TopNComputer` shape).
//!
//! Candidates go into a buffer of `2k`; when it fills, `select_nth_unstable_by` moves the best `k` to
//! the front, the rest is dropped and the k-th key becomes a pruning threshold: a later candidate
//! that does not rank strictly before it can never enter the top k. Cost is O(n) amortised per user
//! instead of the O(n log n) of sorting the whole catalogue.
//!
//! The comparator must be a total order in which `Less` means "ranks first", with the item ordinal
//! as the last key (metrics.md), so no two candidates compare equal and the result is unique.

use std::cmp::Ordering;

pub struct TopK<T, F> {
    k: usize,
    buffer: Vec<T>,
    threshold: Option<T>,
    compare: F,
}

impl<T: Copy, F: Fn(&T, &T) -> Ordering> TopK<T, F> {
    pub fn new(k: usize, compare: F) -> Self {
        TopK { k, buffer: Vec::with_capacity(2 * k.max(1)), threshold: None, compare }
    }

    /// Clears the collector for the next user, keeping its allocation.
    pub fn reset(&mut self) {
        self.buffer.clear();
        self.threshold = None;
    }

    pub fn push(&mut self, candidate: T) {
        if self.k == 0 {
            return;
        }
        if let Some(threshold) = &self.threshold
            && (self.compare)(&candidate, threshold) != Ordering::Less
        {
            return;
        }
        self.buffer.push(candidate);
        if self.buffer.len() >= 2 * self.k {
            self.shrink();
        }
    }

    fn shrink(&mut self) {
        let k = self.k;
        let compare = &self.compare;
        self.buffer.select_nth_unstable_by(k - 1, compare);
        self.buffer.truncate(k);
        // After select_nth, index k-1 holds the k-th best and everything before it ranks earlier.
        self.threshold = Some(self.buffer[k - 1]);
    }

    /// The best `min(k, pushed)` candidates, best first.
    pub fn sorted(&mut self) -> &[T] {
        let compare = &self.compare;
        self.buffer.sort_unstable_by(compare);
        self.buffer.truncate(self.k);
        &self.buffer
    }
}

/// The pure-score ordering: `_score` descending, then ordinal ascending. Scores are validated
/// (not NaN, not negative, `-0.0` folded into `0.0`) before they get here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreKey {
    pub score: f32,
    pub ordinal: u32,
}

pub fn compare_score_keys(a: &ScoreKey, b: &ScoreKey) -> Ordering {
    b.score.total_cmp(&a.score).then(a.ordinal.cmp(&b.ordinal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn matches_a_full_sort_with_ties() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for k in [1usize, 2, 3, 10, 50] {
            let keys: Vec<ScoreKey> =
                (0..1000).map(|i| ScoreKey { score: rng.gen_range(0..20) as f32, ordinal: i }).collect();
            let mut top = TopK::new(k, compare_score_keys);
            for key in &keys {
                top.push(*key);
            }
            let mut expected = keys.clone();
            expected.sort_by(compare_score_keys);
            expected.truncate(k);
            assert_eq!(top.sorted(), &expected[..], "k={k}");
        }
    }

    #[test]
    fn fewer_candidates_than_k() {
        let mut top = TopK::new(10, compare_score_keys);
        top.push(ScoreKey { score: 1.0, ordinal: 0 });
        top.push(ScoreKey { score: 2.0, ordinal: 1 });
        let got: Vec<u32> = top.sorted().iter().map(|k| k.ordinal).collect();
        assert_eq!(got, vec![1, 0]);
    }

    #[test]
    fn zero_k_keeps_nothing() {
        let mut top = TopK::new(0, compare_score_keys);
        top.push(ScoreKey { score: 1.0, ordinal: 0 });
        assert!(top.sorted().is_empty());
    }
}
