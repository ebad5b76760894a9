//! Accuracy metrics over one user's ranked list, exactly as `metrics.md` defines them.
//!
//! `list` is the ranked list, best first; only its first `k` entries count. `relevant` is the
//! user's relevant set as a sorted, deduplicated slice. Gain is binary: relevance is membership.

fn is_relevant<T: Ord>(relevant: &[T], item: &T) -> bool {
    relevant.binary_search(item).is_ok()
}

/// `1 / log2(i + 1)` for 1-based rank `i`.
fn discount(rank: usize) -> f64 {
    1.0 / ((rank + 1) as f64).log2()
}

/// Number of relevant items among the first `k` of `list`.
pub fn hits_at<T: Ord>(k: usize, list: &[T], relevant: &[T]) -> usize {
    list.iter().take(k).filter(|item| is_relevant(relevant, item)).count()
}

/// NDCG@k with binary gain and log2 discount: `DCG / IDCG`, `DCG = sum_{i<=n} rel_i / log2(i+1)`,
/// `IDCG = sum_{i <= min(|R|, k)} 1 / log2(i+1)` (the ideal list is as long as the relevant set
/// allows, capped at k, never at n). 0 when `R` is empty (such users are excluded from cohorts).
pub fn ndcg_at<T: Ord>(k: usize, list: &[T], relevant: &[T]) -> f64 {
    let ideal_len = relevant.len().min(k);
    if ideal_len == 0 {
        return 0.0;
    }
    let dcg: f64 = list
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, item)| is_relevant(relevant, item))
        .map(|(i, _)| discount(i + 1))
        // Not `.sum()`: f64's Sum starts at -0.0, and a user without hits must score +0.0.
        .fold(0.0, |acc, d| acc + d);
    let idcg: f64 = (1..=ideal_len).map(discount).sum();
    dcg / idcg
}

/// Recall@k: `hits / |R|` (not `min(|R|, k)`: a user with more relevant items than k cannot reach 1).
/// 0 when `R` is empty.
pub fn recall_at<T: Ord>(k: usize, list: &[T], relevant: &[T]) -> f64 {
    if relevant.is_empty() {
        return 0.0;
    }
    hits_at(k, list, relevant) as f64 / relevant.len() as f64
}

/// Precision@k: `hits / k`; a list shorter than k still divides by k. 0 when k is 0.
pub fn precision_at<T: Ord>(k: usize, list: &[T], relevant: &[T]) -> f64 {
    if k == 0 {
        return 0.0;
    }
    hits_at(k, list, relevant) as f64 / k as f64
}
