//! Scoring ranked lists: the four metrics per user and their mean, plus the diagnostics.
//! An [`EvalContext`] is built once per run (ground truth, diversity table, popularity) and reused
//! for every candidate.

use super::MetricSet;
use super::diagnostics::{self, Diagnostics, Popularity};
use super::ground_truth::GroundTruth;
use super::ild::{DiversityLookup, DiversityTable};
use crate::rank::UserRanking;
use crate::store::{Column, ItemIdx, Store};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("diversity field {name:?} is not an item field of the store (fields: {known})")]
    UnknownDiversityField { name: String, known: String },
}

impl DiversityLookup<ItemIdx> for DiversityTable {
    fn num_fields(&self) -> usize {
        DiversityLookup::<usize>::num_fields(self)
    }
    fn values(&self, field: usize, item: ItemIdx) -> &[u64] {
        self.values_of(field, item.0 as usize)
    }
}

/// A diversity table over the store's columns. Values become equality codes: keyword dictionary
/// codes, longs' two's complement bits, doubles' bits (with -0.0 folded into 0.0).
pub fn diversity_table(store: &Store, fields: &[String]) -> Result<DiversityTable, MetricsError> {
    let columns: Vec<Column<'_>> = fields
        .iter()
        .map(|name| {
            store.column(name).ok_or_else(|| MetricsError::UnknownDiversityField {
                name: name.clone(),
                known: store.schema().fields().iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "),
            })
        })
        .collect::<Result<_, _>>()?;
    let mut table = DiversityTable::new(fields.to_vec());
    let mut scratch: Vec<Vec<u64>> = vec![Vec::new(); columns.len()];
    for i in 0..store.num_items() as u32 {
        let item = ItemIdx(i);
        for (values, column) in scratch.iter_mut().zip(&columns) {
            values.clear();
            match column {
                Column::Keyword(c) => values.extend(c.values(item).iter().map(|&v| v as u64)),
                Column::Long(c) | Column::Date(c) => values.extend(c.values(item).iter().map(|&v| v as u64)),
                Column::Double(c) => values.extend(c.values(item).iter().map(|&v| (v + 0.0).to_bits())),
            }
        }
        table.push_item(&mut scratch);
    }
    Ok(table)
}

/// Human label of a diversity code on `field`.
pub fn diversity_label(store: &Store, field: &str, code: u64) -> String {
    match store.column(field) {
        Some(Column::Keyword(c)) if (code as usize) < c.num_terms() => c.term(code as u32).to_string(),
        Some(Column::Long(_)) => (code as i64).to_string(),
        Some(Column::Date(_)) => {
            crate::data::dates::instant_to_string(crate::data::dates::Instant::of_epoch_milli(code as i64))
                .unwrap_or_else(|| (code as i64).to_string())
        }
        Some(Column::Double(_)) => f64::from_bits(code).to_string(),
        _ => code.to_string(),
    }
}

/// Everything needed to score any candidate of one run.
pub struct EvalContext<'s> {
    pub store: &'s Store,
    pub truth: GroundTruth,
    pub diversity: DiversityTable,
    pub popularity: Popularity,
    pub k: usize,
}

/// One user's figures, for drill-down and the local-vs-engine comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserMetrics {
    pub user_id: String,
    #[serde(flatten)]
    pub metrics: MetricSet,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub metrics: MetricSet,
    pub per_user: Vec<UserMetrics>,
    pub diagnostics: Diagnostics,
}

impl<'s> EvalContext<'s> {
    pub fn new(
        store: &'s Store,
        truth: GroundTruth,
        diversity_fields: &[String],
        k: usize,
    ) -> Result<Self, MetricsError> {
        let diversity = diversity_table(store, diversity_fields)?;
        let popularity = Popularity::from_store(store);
        Ok(EvalContext { store, truth, diversity, popularity, k })
    }

    /// Metrics and diagnostics of complete rankings (one per cohort user, in cohort order).
    /// `sort_files` names the sort scripts, for the sort-effect diagnostic.
    pub fn evaluate(&self, rankings: &[&UserRanking], sort_files: &[String]) -> Evaluation {
        let lists: Vec<Vec<ItemIdx>> = rankings.iter().map(|r| r.item_list()).collect();
        let per_user: Vec<UserMetrics> = rankings
            .iter()
            .zip(&lists)
            .map(|(r, list)| UserMetrics {
                user_id: self.store.user_id(r.user).to_string(),
                metrics: MetricSet::for_user(self.k, list, self.truth.relevant(r.user), &self.diversity),
            })
            .collect();
        let metric_sets: Vec<MetricSet> = per_user.iter().map(|u| u.metrics).collect();
        let metrics = MetricSet::mean(&metric_sets);
        let diagnostics = diagnostics::compute(self, rankings, &lists, &metric_sets, sort_files);
        Evaluation { metrics, per_user, diagnostics }
    }
}
