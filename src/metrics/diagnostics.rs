//! Diagnostics: figures that explain *why* a candidate scores as it does, for the proposer (as
//! JSON in the run log and the next prompt) and for the human (a table in `eval`).
//!
//! The figures: catalogue coverage at k, short lists, popularity bias (recommended vs relevant
//! popularity percentile), concentration per diversity field, identical lists, ties at the cut-off,
//! NDCG by user-activity tercile, and the effect of each sort script.

use super::MetricSet;
use super::evaluate::{EvalContext, diversity_label};
use crate::rank::UserRanking;
use crate::store::{Column, ItemIdx, Store, UserIdx};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// Distinct items recommended to anyone / catalogue size.
    pub coverage_at_k: f64,
    pub distinct_items: usize,
    /// Users whose list is shorter than k (exclusions or a tiny catalogue).
    pub short_lists: usize,
    pub popularity: PopularityBias,
    /// One entry per diversity field.
    pub concentration: Vec<FieldConcentration>,
    pub identical_lists: IdenticalLists,
    /// Share of users whose k-th and (k+1)-th items tie on every key but the ordinal, so the
    /// catalogue order, not the script, decided the last slot.
    pub ties_at_cutoff: f64,
    pub ndcg_by_activity: Vec<ActivityTercile>,
    /// One entry per sort script (empty when the set has none).
    pub sort_effects: Vec<SortEffect>,
}

/// Mean popularity percentile (0 = least popular item, 100 = most) of recommended vs relevant items.
/// Recommended far above relevant means the candidate leans on popularity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PopularityBias {
    /// `popularity` column, or `interaction count` when the store has no such column.
    pub source: String,
    pub recommended_percentile: f64,
    pub relevant_percentile: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldConcentration {
    pub field: String,
    /// The most recommended value and its share of all value occurrences in the lists.
    pub top_value: Option<String>,
    pub top_share: f64,
    /// Shannon entropy of the value distribution / ln(distinct values); 1 = even spread, 0 = one value.
    pub normalized_entropy: f64,
    pub distinct_values: usize,
    /// Share of recommended slots whose item has no value for the field.
    pub missing_share: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdenticalLists {
    /// Share of users receiving the single most common list (1/users when all lists differ).
    pub largest_group_share: f64,
    /// Share of users whose list is identical to at least one other user's.
    pub shared_share: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivityTercile {
    /// `low`, `mid`, `high`: users split in three by interaction count.
    pub tercile: String,
    pub users: usize,
    pub min_interactions: usize,
    pub max_interactions: usize,
    pub ndcg: f64,
}

/// What one sort script changed: the set ranked with and without it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SortEffect {
    pub script: String,
    /// Mean share of the top-k that differs from the list ranked without this script.
    pub top_k_changed_share: f64,
    /// Mean over list items of |rank with − rank without| (an item absent without counts as k+1).
    pub mean_rank_displacement: f64,
    /// Share of the cohort's top-k lists that differ at all (items or order) from the list ranked
    /// without this script. Absent from records written before it existed.
    #[serde(default)]
    pub lists_changed_share: f64,
}

/// Per-item popularity percentiles, computed once per run.
#[derive(Debug, Clone, Default)]
pub struct Popularity {
    pub source: String,
    percentile: Vec<f64>,
}

impl Popularity {
    /// From the `popularity` column (first value, missing = 0) when present, else the number of
    /// users with an interaction on the item.
    pub fn from_store(store: &Store) -> Popularity {
        let n = store.num_items();
        let (source, raw): (&str, Vec<f64>) = match store.column("popularity") {
            Some(Column::Long(c)) => {
                ("popularity", (0..n as u32).map(|i| c.values(ItemIdx(i)).first().map_or(0.0, |&v| v as f64)).collect())
            }
            Some(Column::Double(c)) => {
                ("popularity", (0..n as u32).map(|i| c.values(ItemIdx(i)).first().copied().unwrap_or(0.0)).collect())
            }
            _ => {
                let mut counts = vec![0.0; n];
                for u in 0..store.num_users() as u32 {
                    for (item, _) in store.interactions(UserIdx(u)) {
                        counts[item.0 as usize] += 1.0;
                    }
                }
                ("interaction count", counts)
            }
        };
        Popularity { source: source.to_string(), percentile: mid_rank_percentiles(&raw) }
    }

    pub fn percentile(&self, item: ItemIdx) -> f64 {
        self.percentile.get(item.0 as usize).copied().unwrap_or(0.0)
    }
}

/// Percentile of each value: `100 * (below + equal / 2) / n`, so ties share one percentile.
pub fn mid_rank_percentiles(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; n];
    let mut start = 0;
    while start < n {
        let mut end = start;
        while end + 1 < n && values[order[end + 1]].total_cmp(&values[order[start]]).is_eq() {
            end += 1;
        }
        let equal = (end - start + 1) as f64;
        let pct = 100.0 * (start as f64 + equal / 2.0) / n as f64;
        for &i in &order[start..=end] {
            out[i] = pct;
        }
        start = end + 1;
    }
    out
}

pub(super) fn compute(
    ctx: &EvalContext<'_>,
    rankings: &[&UserRanking],
    lists: &[Vec<ItemIdx>],
    per_user: &[MetricSet],
    sort_files: &[String],
) -> Diagnostics {
    let k = ctx.k;
    let users = rankings.len().max(1) as f64;
    let mut distinct: Vec<ItemIdx> = lists.iter().flatten().copied().collect();
    distinct.sort_unstable();
    distinct.dedup();

    Diagnostics {
        coverage_at_k: distinct.len() as f64 / ctx.store.num_items().max(1) as f64,
        distinct_items: distinct.len(),
        short_lists: lists.iter().filter(|l| l.len() < k).count(),
        popularity: popularity_bias(ctx, rankings, lists),
        concentration: (0..ctx.diversity.field_names.len()).map(|f| concentration(ctx, lists, f)).collect(),
        identical_lists: identical_lists(lists),
        ties_at_cutoff: rankings.iter().filter(|r| r.tie_at_cutoff()).count() as f64 / users,
        ndcg_by_activity: activity_terciles(ctx.store, rankings, per_user),
        sort_effects: sort_effects(k, rankings, lists, sort_files),
    }
}

fn mean(sum: f64, count: usize) -> f64 {
    // `+ 0.0` turns the -0.0 that f64's `Sum` yields for all-zero terms into 0.0 (printed "-0.0000").
    if count == 0 { 0.0 } else { sum / count as f64 + 0.0 }
}

fn popularity_bias(ctx: &EvalContext<'_>, rankings: &[&UserRanking], lists: &[Vec<ItemIdx>]) -> PopularityBias {
    let recommended: Vec<f64> = lists.iter().flatten().map(|&i| ctx.popularity.percentile(i)).collect();
    let relevant: Vec<f64> =
        rankings.iter().flat_map(|r| ctx.truth.relevant(r.user)).map(|&i| ctx.popularity.percentile(i)).collect();
    PopularityBias {
        source: ctx.popularity.source.clone(),
        recommended_percentile: mean(recommended.iter().sum(), recommended.len()),
        relevant_percentile: mean(relevant.iter().sum(), relevant.len()),
    }
}

fn concentration(ctx: &EvalContext<'_>, lists: &[Vec<ItemIdx>], field: usize) -> FieldConcentration {
    let name = &ctx.diversity.field_names[field];
    // BTreeMap-free counting, then a deterministic pick (count desc, code asc) for the top value.
    let mut counts: HashMap<u64, usize> = HashMap::new();
    let (mut slots, mut missing) = (0usize, 0usize);
    for &item in lists.iter().flatten() {
        slots += 1;
        let values = ctx.diversity.values_of(field, item.0 as usize);
        if values.is_empty() {
            missing += 1;
        }
        for &v in values {
            *counts.entry(v).or_default() += 1;
        }
    }
    let total: usize = counts.values().sum();
    let mut entries: Vec<(u64, usize)> = counts.into_iter().collect();
    entries.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let entropy: f64 = entries
        .iter()
        .map(|&(_, c)| {
            let p = c as f64 / total as f64;
            -p * p.ln()
        })
        .sum();
    FieldConcentration {
        field: name.clone(),
        top_value: entries.first().map(|&(code, _)| diversity_label(ctx.store, name, code)),
        top_share: entries.first().map_or(0.0, |&(_, c)| c as f64 / total as f64),
        normalized_entropy: if entries.len() > 1 { entropy / (entries.len() as f64).ln() } else { 0.0 },
        distinct_values: entries.len(),
        missing_share: mean(missing as f64, slots),
    }
}

fn identical_lists(lists: &[Vec<ItemIdx>]) -> IdenticalLists {
    let mut groups: HashMap<&[ItemIdx], usize> = HashMap::new();
    for list in lists {
        *groups.entry(list.as_slice()).or_default() += 1;
    }
    let users = lists.len().max(1) as f64;
    IdenticalLists {
        largest_group_share: groups.values().copied().max().unwrap_or(0) as f64 / users,
        shared_share: groups.values().filter(|&&c| c > 1).sum::<usize>() as f64 / users,
    }
}

fn activity_terciles(store: &Store, rankings: &[&UserRanking], per_user: &[MetricSet]) -> Vec<ActivityTercile> {
    let mut users: Vec<(usize, u32, f64)> =
        rankings.iter().zip(per_user).map(|(r, m)| (store.interactions(r.user).len(), r.user.0, m.ndcg)).collect();
    users.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let n = users.len();
    let bounds = [0, n.div_ceil(3), n - n / 3, n];
    ["low", "mid", "high"]
        .iter()
        .enumerate()
        .map(|(t, name)| {
            let group = &users[bounds[t]..bounds[t + 1].max(bounds[t])];
            ActivityTercile {
                tercile: name.to_string(),
                users: group.len(),
                min_interactions: group.first().map_or(0, |u| u.0),
                max_interactions: group.last().map_or(0, |u| u.0),
                ndcg: mean(group.iter().map(|u| u.2).sum(), group.len()),
            }
        })
        .collect()
}

fn sort_effects(k: usize, rankings: &[&UserRanking], lists: &[Vec<ItemIdx>], sort_files: &[String]) -> Vec<SortEffect> {
    if rankings.iter().any(|r| r.ablations.len() != sort_files.len()) {
        return Vec::new();
    }
    sort_files
        .iter()
        .enumerate()
        .map(|(s, file)| {
            let (mut changed, mut displacement, mut lists_changed) = (0.0, 0.0, 0usize);
            for (r, list) in rankings.iter().zip(lists) {
                let without = &r.ablations[s];
                if list.is_empty() {
                    continue;
                }
                lists_changed += usize::from(without.iter().take(k).ne(list.iter()));
                let mut moved = 0usize;
                let mut shift = 0usize;
                for (rank, item) in list.iter().enumerate() {
                    let other = without.iter().position(|i| i == item).unwrap_or(k);
                    if other >= k {
                        moved += 1;
                    }
                    shift += rank.abs_diff(other);
                }
                changed += moved as f64 / list.len() as f64;
                displacement += shift as f64 / list.len() as f64;
            }
            let n = rankings.len();
            SortEffect {
                script: file.clone(),
                top_k_changed_share: mean(changed, n),
                mean_rank_displacement: mean(displacement, n),
                lists_changed_share: mean(lists_changed as f64, n),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_share_ties() {
        assert_eq!(mid_rank_percentiles(&[1.0, 2.0, 2.0, 3.0]), vec![12.5, 50.0, 50.0, 87.5]);
    }
}
