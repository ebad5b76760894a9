//! The four metrics of `metrics.md` (NDCG, Recall, Precision, ILD at k), per user and as the plain
//! mean over the cohort, plus the diagnostics that explain a candidate's figures.
//!
//! The metric functions are pure: a ranked list, a relevant set, a diversity lookup. Means are summed
//! sequentially in cohort order, so they are bit-identical whatever thread count produced the lists.

pub mod diagnostics;
pub mod evaluate;
pub mod ground_truth;
pub mod ild;
pub mod paired;
pub mod ranking;

pub use diagnostics::{Diagnostics, Popularity};
pub use evaluate::{EvalContext, Evaluation, MetricsError, UserMetrics, diversity_table};
pub use ground_truth::{Cohort, CohortError, GroundTruth, cohort_checksum};

pub use ild::{DiversityLookup, DiversityTable, ild_at, item_distance, jaccard_distance};
pub use paired::{PairedError, PairedMetrics, PairedStat, compare_metrics};
pub use ranking::{hits_at, ndcg_at, precision_at, recall_at};

use serde::{Deserialize, Serialize};
use std::fmt;

/// The four figures logged for every candidate, whatever the objective.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MetricSet {
    pub ndcg: f64,
    pub recall: f64,
    pub precision: f64,
    pub ild: f64,
}

/// A metric a run can optimise or guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    Ndcg,
    Recall,
    Precision,
    Ild,
}

impl Metric {
    /// The guardrail paired with a primary objective (metrics.md: ndcg and ild guard each other).
    pub fn guardrail_for(primary: Metric) -> Metric {
        match primary {
            Metric::Ild => Metric::Ndcg,
            _ => Metric::Ild,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::Ndcg => "ndcg",
            Metric::Recall => "recall",
            Metric::Precision => "precision",
            Metric::Ild => "ild",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl MetricSet {
    pub fn get(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Ndcg => self.ndcg,
            Metric::Recall => self.recall,
            Metric::Precision => self.precision,
            Metric::Ild => self.ild,
        }
    }

    /// All four metrics of one user's list.
    pub fn for_user<T: Ord + Copy>(
        k: usize,
        list: &[T],
        relevant: &[T],
        diversity: &impl DiversityLookup<T>,
    ) -> MetricSet {
        MetricSet {
            ndcg: ndcg_at(k, list, relevant),
            recall: recall_at(k, list, relevant),
            precision: precision_at(k, list, relevant),
            ild: ild_at(k, list, diversity),
        }
    }

    /// The plain mean, summed in the given order (0 for an empty slice).
    pub fn mean(per_user: &[MetricSet]) -> MetricSet {
        if per_user.is_empty() {
            return MetricSet::default();
        }
        let mut sum = MetricSet::default();
        for m in per_user {
            sum.ndcg += m.ndcg;
            sum.recall += m.recall;
            sum.precision += m.precision;
            sum.ild += m.ild;
        }
        let n = per_user.len() as f64;
        MetricSet { ndcg: sum.ndcg / n, recall: sum.recall / n, precision: sum.precision / n, ild: sum.ild / n }
    }
}
