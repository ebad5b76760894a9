//! Paired statistics of one candidate against a reference (the baseline, its parent, the best so far)
//! on the same users: per-user differences of each metric give the mean difference, the relative
//! change, a 95 % confidence interval by paired bootstrap and a two-sided p-value by paired
//! randomisation (sign-flip) test.
//!
//! Written here rather than taken from a crate: `elinor` 0.4 (the candidate the issue names) offers a
//! studentised bootstrap *test* (a p-value, no interval), errors out when every difference is zero (an
//! unchanged candidate, which the loop meets often), draws from `StdRng` (whose stream rand does not
//! promise to keep across versions, so recorded intervals would not reproduce) and pulls in statrs and
//! regex. The two procedures below are twenty lines each, seeded with ChaCha8 like the rest of
//! scorelab, and pinned against hand-computed cases in the tests.
//!
//! Definitions (documented in README "Statistics"):
//! - `d_u = candidate_u - reference_u` per user; `mean_diff = mean(d)`;
//!   `relative = mean_diff / mean(reference)` (None when the reference mean is 0).
//! - CI: `resamples` bootstrap samples of n users drawn with replacement; the 2.5th and 97.5th
//!   percentiles of their mean differences (linear interpolation between order statistics).
//! - p-value: the share of sign assignments `s_u in {-1, +1}` with `|mean(s * d)| >= |mean(d)|`. Exact
//!   (all 2^n assignments) when n <= [`EXACT_MAX_USERS`], otherwise `resamples` random assignments with
//!   the usual `(count + 1) / (resamples + 1)` so a p-value is never 0.

use super::MetricSet;
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Bootstrap and randomisation draws per comparison (the issue asks for at least 1,000).
pub const DEFAULT_RESAMPLES: usize = 2000;

/// Up to this many users the randomisation test enumerates every sign assignment.
pub const EXACT_MAX_USERS: usize = 12;

/// Relative tolerance when comparing a permuted mean with the observed one, so floating-point
/// rounding of equal sums never decides a count.
const TIE_TOLERANCE: f64 = 1e-12;

/// One metric's paired comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedStat {
    /// Mean over users of candidate minus reference.
    pub mean_diff: f64,
    /// `mean_diff / mean(reference)`; None when the reference mean is 0.
    pub relative: Option<f64>,
    /// 95 % paired bootstrap interval of `mean_diff`.
    pub ci_low: f64,
    pub ci_high: f64,
    /// Two-sided paired randomisation p-value.
    pub p_value: f64,
}

impl PairedStat {
    /// Below the reference with p < alpha.
    pub fn significantly_below(&self, alpha: f64) -> bool {
        self.mean_diff < 0.0 && self.p_value < alpha
    }

    /// Above the reference with p < alpha.
    pub fn significantly_above(&self, alpha: f64) -> bool {
        self.mean_diff > 0.0 && self.p_value < alpha
    }

    /// `+0.0123 (+4.12 %, 95 % CI [+0.0050, +0.0190], p 0.0020)`: signed, so a loss never reads as a tie.
    pub fn describe(&self) -> String {
        let relative = self.relative.map_or_else(String::new, |r| format!("{:+.2} %, ", 100.0 * r));
        format!(
            "{:+.4} ({relative}95 % CI [{:+.4}, {:+.4}], p {:.4})",
            self.mean_diff, self.ci_low, self.ci_high, self.p_value
        )
    }
}

/// The four metrics compared on the same users.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedMetrics {
    pub users: usize,
    pub resamples: usize,
    pub ndcg: PairedStat,
    pub recall: PairedStat,
    pub precision: PairedStat,
    pub ild: PairedStat,
}

impl PairedMetrics {
    pub fn get(&self, metric: super::Metric) -> &PairedStat {
        match metric {
            super::Metric::Ndcg => &self.ndcg,
            super::Metric::Recall => &self.recall,
            super::Metric::Precision => &self.precision,
            super::Metric::Ild => &self.ild,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PairedError {
    #[error(
        "paired comparison over different users: {candidate} candidate values against {reference} reference values"
    )]
    LengthMismatch { candidate: usize, reference: usize },
    #[error("paired comparison over no users")]
    Empty,
    #[error("a paired comparison needs at least 1 resample")]
    NoResamples,
}

/// Compares per-user values of all four metrics (same users, same order). Each metric gets its own
/// random stream derived from `seed`, so adding a metric never moves another's interval.
pub fn compare_metrics(
    candidate: &[MetricSet],
    reference: &[MetricSet],
    seed: u64,
    resamples: usize,
) -> Result<PairedMetrics, PairedError> {
    let column = |ms: &[MetricSet], f: fn(&MetricSet) -> f64| ms.iter().map(f).collect::<Vec<f64>>();
    let stat = |f: fn(&MetricSet) -> f64, stream: u64| {
        paired_stat(&column(candidate, f), &column(reference, f), seed, stream, resamples)
    };
    Ok(PairedMetrics {
        users: candidate.len(),
        resamples,
        ndcg: stat(|m| m.ndcg, 1)?,
        recall: stat(|m| m.recall, 2)?,
        precision: stat(|m| m.precision, 3)?,
        ild: stat(|m| m.ild, 4)?,
    })
}

/// The paired comparison of one metric (`stream` separates the random streams of several metrics
/// under one seed).
pub fn paired_stat(
    candidate: &[f64],
    reference: &[f64],
    seed: u64,
    stream: u64,
    resamples: usize,
) -> Result<PairedStat, PairedError> {
    if candidate.len() != reference.len() {
        return Err(PairedError::LengthMismatch { candidate: candidate.len(), reference: reference.len() });
    }
    if candidate.is_empty() {
        return Err(PairedError::Empty);
    }
    if resamples == 0 {
        return Err(PairedError::NoResamples);
    }
    let diffs: Vec<f64> = candidate.iter().zip(reference).map(|(c, r)| c - r).collect();
    let mean_diff = mean(&diffs);
    let reference_mean = mean(reference);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    let (ci_low, ci_high) = bootstrap_interval(&diffs, resamples, &mut rng);
    let p_value = randomisation_p_value(&diffs, resamples, &mut rng);
    Ok(PairedStat {
        mean_diff,
        relative: (reference_mean != 0.0).then(|| mean_diff / reference_mean),
        ci_low,
        ci_high,
        p_value,
    })
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The 2.5th and 97.5th percentiles of `resamples` bootstrap means of `diffs`.
fn bootstrap_interval(diffs: &[f64], resamples: usize, rng: &mut ChaCha8Rng) -> (f64, f64) {
    let n = diffs.len();
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| {
            let sum: f64 = (0..n).map(|_| diffs[rng.gen_range(0..n)]).sum();
            sum / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    (quantile(&means, 0.025), quantile(&means, 0.975))
}

/// Quantile of sorted values with linear interpolation between order statistics (`q (len - 1)`).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Two-sided paired randomisation test of `mean(diffs) = 0`.
fn randomisation_p_value(diffs: &[f64], resamples: usize, rng: &mut ChaCha8Rng) -> f64 {
    let n = diffs.len();
    let observed = diffs.iter().sum::<f64>().abs();
    let scale: f64 = diffs.iter().map(|d| d.abs()).sum();
    if scale == 0.0 {
        // Every difference is zero: every assignment ties the observed 0.
        return 1.0;
    }
    let at_least = |sum: f64| sum.abs() >= observed - TIE_TOLERANCE * scale;
    if n <= EXACT_MAX_USERS {
        let total = 1u64 << n;
        let count = (0..total)
            .filter(|mask| {
                at_least(diffs.iter().enumerate().map(|(i, d)| if mask >> i & 1 == 1 { -d } else { *d }).sum())
            })
            .count();
        return count as f64 / total as f64;
    }
    let count = (0..resamples)
        .filter(|_| at_least(diffs.iter().map(|d| if rng.r#gen::<bool>() { -d } else { *d }).sum()))
        .count();
    (count + 1) as f64 / (resamples + 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_randomisation_matches_a_hand_count() {
        // d = (1, 2, 3): the 8 signed sums are ±6, ±4, ±2, 0, 0; |sum| >= 6 for 2 of them.
        let s = paired_stat(&[2.0, 4.0, 6.0], &[1.0, 2.0, 3.0], 7, 1, 1000).unwrap();
        assert_eq!(s.mean_diff, 2.0);
        assert_eq!(s.relative, Some(1.0));
        assert_eq!(s.p_value, 0.25);
        // d = (1, -1, 2): signed sums 4, 2, 0, -2, 2, 0, -2, -4 (abs >= 2 for 6 of 8).
        let s = paired_stat(&[1.0, 0.0, 2.0], &[0.0, 1.0, 0.0], 7, 1, 1000).unwrap();
        assert_eq!(s.p_value, 0.75);
    }

    #[test]
    fn zero_differences_give_a_point_interval_and_p_one() {
        let s = paired_stat(&[0.3; 40], &[0.3; 40], 1, 1, 1000).unwrap();
        assert_eq!((s.mean_diff, s.ci_low, s.ci_high, s.p_value), (0.0, 0.0, 0.0, 1.0));
    }

    #[test]
    fn constant_differences_give_a_point_interval() {
        let reference: Vec<f64> = (0..50).map(|i| i as f64 / 100.0).collect();
        let candidate: Vec<f64> = reference.iter().map(|r| r + 0.25).collect();
        let s = paired_stat(&candidate, &reference, 3, 1, 1000).unwrap();
        assert!((s.ci_low - 0.25).abs() < 1e-12 && (s.ci_high - 0.25).abs() < 1e-12);
        // No sign assignment but the observed one (and its mirror) reaches |sum| = 12.5: p = 1/1001 at most
        // a handful of draws (2 of 2^50), so (0 + 1) / 1001.
        assert_eq!(s.p_value, 1.0 / 1001.0);
    }

    #[test]
    fn two_user_bootstrap_covers_both_extremes() {
        // d = (0, 1): bootstrap means are 0, 0.5, 1 with probabilities 1/4, 1/2, 1/4, so with 1000 draws
        // the 2.5th percentile is 0 and the 97.5th is 1.
        let s = paired_stat(&[0.0, 1.0], &[0.0, 0.0], 11, 1, 1000).unwrap();
        assert_eq!((s.ci_low, s.ci_high), (0.0, 1.0));
        assert_eq!(s.mean_diff, 0.5);
        // Exact sign flips of (0, 1): sums 1, 1, -1, -1: every one reaches |1|.
        assert_eq!(s.p_value, 1.0);
    }

    #[test]
    fn descriptions_are_signed() {
        let s = PairedStat {
            mean_diff: -0.000025,
            relative: Some(-0.0000454),
            ci_low: -0.0001,
            ci_high: 0.00005,
            p_value: 0.5,
        };
        assert_eq!(s.describe(), "-0.0000 (-0.00 %, 95 % CI [-0.0001, +0.0001], p 0.5000)");
        let s = PairedStat { mean_diff: 0.0123, relative: None, ci_low: 0.005, ci_high: 0.019, p_value: 0.002 };
        assert_eq!(s.describe(), "+0.0123 (95 % CI [+0.0050, +0.0190], p 0.0020)");
    }

    #[test]
    fn quantile_interpolates_between_order_statistics() {
        assert_eq!(quantile(&[0.0, 10.0], 0.25), 2.5);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.5), 3.0);
    }

    #[test]
    fn seeded_and_repeatable() {
        let a: Vec<f64> = (0..100).map(|i| ((i * 37) % 11) as f64 / 10.0).collect();
        let b: Vec<f64> = (0..100).map(|i| ((i * 13) % 7) as f64 / 10.0).collect();
        let x = paired_stat(&a, &b, 5, 1, 1000).unwrap();
        assert_eq!(x, paired_stat(&a, &b, 5, 1, 1000).unwrap());
        assert!(x.ci_low <= x.mean_diff && x.mean_diff <= x.ci_high);
        assert!(x.p_value > 0.0 && x.p_value <= 1.0);
    }

    #[test]
    fn a_clear_gain_is_significant_and_noise_is_not() {
        // 200 users, each gains 0.1 ± 0.05: the interval excludes 0 and p is tiny.
        let reference: Vec<f64> = (0..200).map(|i| (i % 10) as f64 / 10.0).collect();
        let candidate: Vec<f64> =
            reference.iter().enumerate().map(|(i, r)| r + 0.1 + if i % 2 == 0 { 0.05 } else { -0.05 }).collect();
        let s = paired_stat(&candidate, &reference, 1, 1, 1000).unwrap();
        assert!(s.ci_low > 0.0 && s.significantly_above(0.05));
        // Alternating ±0.1: mean 0, not significant.
        let noisy: Vec<f64> =
            reference.iter().enumerate().map(|(i, r)| r + if i % 2 == 0 { 0.1 } else { -0.1 }).collect();
        let s = paired_stat(&noisy, &reference, 1, 1, 1000).unwrap();
        assert!(s.ci_low < 0.0 && s.ci_high > 0.0 && s.p_value > 0.5);
    }

    #[test]
    fn mismatched_or_empty_inputs_are_errors() {
        assert_eq!(
            paired_stat(&[1.0], &[1.0, 2.0], 1, 1, 10).unwrap_err(),
            PairedError::LengthMismatch { candidate: 1, reference: 2 }
        );
        assert_eq!(paired_stat(&[], &[], 1, 1, 10).unwrap_err(), PairedError::Empty);
    }
}
