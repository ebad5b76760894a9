//! Ground truth (relevant sets at a threshold) and the cohort (metrics.md "Ground truth and cohort").

use crate::store::{ItemIdx, Store, UserIdx};
use rand::SeedableRng;
use sha2::{Digest, Sha256};

/// Each user's relevant items: interactions with `weight >= threshold`. Interactions to items
/// missing from the catalogue were already dropped (and counted) when the store was built.
#[derive(Debug, Clone)]
pub struct GroundTruth {
    pub threshold: f64,
    /// Indexed by user ordinal; sorted ascending.
    relevant: Vec<Vec<ItemIdx>>,
    /// Users with at least one interaction in the store.
    pub users_with_interactions: usize,
    /// Users left with at least one relevant item.
    pub kept_users: usize,
    /// Interactions below the threshold (not relevant, not counted as dropped).
    pub below_threshold: usize,
    /// Interactions dropped at import because their item is not in the catalogue.
    pub dropped_unknown_items: u64,
    /// Users in the interactions file (the denominator users expect: "kept X/Y users").
    pub users_in_file: u64,
}

impl GroundTruth {
    pub fn from_store(store: &Store, threshold: f64) -> GroundTruth {
        let report = store.ground_truth_report();
        let mut relevant = Vec::with_capacity(store.num_users());
        let (mut users_with_interactions, mut kept_users, mut below_threshold) = (0, 0, 0);
        for u in 0..store.num_users() as u32 {
            let interactions = store.interactions(UserIdx(u));
            if !interactions.is_empty() {
                users_with_interactions += 1;
            }
            let mut rel: Vec<ItemIdx> =
                interactions.iter().filter(|(_, w)| *w as f64 >= threshold).map(|(i, _)| *i).collect();
            below_threshold += interactions.len() - rel.len();
            rel.sort_unstable();
            rel.dedup();
            if !rel.is_empty() {
                kept_users += 1;
            }
            relevant.push(rel);
        }
        let users_in_file = report.users_in_file.max(users_with_interactions as u64);
        GroundTruth {
            threshold,
            relevant,
            users_with_interactions,
            kept_users,
            below_threshold,
            dropped_unknown_items: report.dropped_unknown_items,
            users_in_file,
        }
    }

    /// The user's relevant items, sorted ascending (empty for unknown ordinals).
    pub fn relevant(&self, user: UserIdx) -> &[ItemIdx] {
        self.relevant.get(user.0 as usize).map_or(&[], |r| r.as_slice())
    }

    /// Users with at least one relevant item, ascending by ordinal.
    pub fn eligible_users(&self) -> Vec<UserIdx> {
        (0..self.relevant.len() as u32).filter(|&u| !self.relevant[u as usize].is_empty()).map(UserIdx).collect()
    }

    /// `ground truth: kept 812/943 users, dropped 57 interactions to unknown items (threshold 4, 9 below it)`.
    pub fn summary_line(&self) -> String {
        format!(
            "ground truth: kept {}/{} users, dropped {} interactions to unknown items \
             (threshold {}: {} interactions below it)",
            self.kept_users, self.users_in_file, self.dropped_unknown_items, self.threshold, self.below_threshold
        )
    }
}

/// The fixed, ordered list of users every candidate of a run is scored on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohort {
    pub users: Vec<UserIdx>,
    pub user_ids: Vec<String>,
    /// `sha256:` of the ids joined by newlines.
    pub checksum: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CohortError {
    #[error("cohort user {id:?} is not in the store")]
    UnknownUser { id: String },
    #[error("cohort user {id:?} has no relevant item at threshold {threshold}")]
    NotEligible { id: String, threshold: f64 },
    #[error("no user has a relevant item at threshold {threshold}: the cohort would be empty")]
    Empty { threshold: f64 },
}

impl Cohort {
    /// A seeded sample of at most `size` eligible users (ChaCha8 seeded with `seed`, so the same
    /// store, threshold, size and seed always give the same cohort), ordered by user ordinal.
    pub fn sample(store: &Store, truth: &GroundTruth, size: usize, seed: u64) -> Result<Cohort, CohortError> {
        let eligible = truth.eligible_users();
        if eligible.is_empty() {
            return Err(CohortError::Empty { threshold: truth.threshold });
        }
        let mut users: Vec<UserIdx> = if size >= eligible.len() {
            eligible
        } else {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            rand::seq::index::sample(&mut rng, eligible.len(), size).into_iter().map(|i| eligible[i]).collect()
        };
        users.sort_unstable();
        Ok(Cohort::from_users(store, users))
    }

    /// A cohort from recorded ids (a run's meta.json), checked against the store and ground truth.
    pub fn from_ids(store: &Store, truth: &GroundTruth, ids: &[String]) -> Result<Cohort, CohortError> {
        let mut users = Vec::with_capacity(ids.len());
        for id in ids {
            let user = store.user_index(id).ok_or_else(|| CohortError::UnknownUser { id: id.clone() })?;
            if truth.relevant(user).is_empty() {
                return Err(CohortError::NotEligible { id: id.clone(), threshold: truth.threshold });
            }
            users.push(user);
        }
        Ok(Cohort::from_users(store, users))
    }

    /// A cohort of these users, in this order.
    pub fn from_users(store: &Store, users: Vec<UserIdx>) -> Cohort {
        let user_ids: Vec<String> = users.iter().map(|&u| store.user_id(u).to_string()).collect();
        let checksum = cohort_checksum(&user_ids);
        Cohort { users, user_ids, checksum }
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

/// `sha256:<hex>` of the ids, each followed by a newline.
pub fn cohort_checksum(user_ids: &[String]) -> String {
    let mut hasher = Sha256::new();
    for id in user_ids {
        hasher.update(id.as_bytes());
        hasher.update(b"\n");
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}
