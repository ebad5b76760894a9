//! The selection / held-out split of a run's users (issue 20): the loop ranks, accepts and chooses
//! parents on the **selection** set only; the **held-out** set is scored for the baseline, accepted
//! candidates and the final best, so every reported gain has an out-of-sample twin.
//!
//! The split is seeded and stratified by activity tercile (users sorted by interaction count, then
//! ordinal, cut as in the NDCG-by-activity diagnostic): each tercile contributes
//! `round(fraction * size)` users to the held-out set, so light and heavy users are represented in
//! both halves. `--cohort-size` then caps the selection set, again tercile by tercile in proportion.
//! A fraction of 0 reproduces the pre-split cohort exactly (`Cohort::sample`).

use crate::metrics::{Cohort, CohortError, GroundTruth};
use crate::store::{Store, UserIdx};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// The default share of eligible users held out.
pub const DEFAULT_HOLDOUT: f64 = 0.3;

/// Random stream of the split's shuffles (distinct from the cohort sample and the optimiser's).
const SPLIT_STREAM: u64 = 0x5_9117;

#[derive(Debug, Clone, PartialEq)]
pub struct UserSplit {
    pub holdout_fraction: f64,
    /// What the loop ranks on (meta.json `cohort`).
    pub selection: Cohort,
    /// Scored only for reporting; empty when the fraction is 0.
    pub holdout: Cohort,
}

#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    #[error("--holdout {0}: the held-out fraction must be at least 0 and below 1")]
    Fraction(f64),
    #[error("--holdout {fraction}: {eligible} eligible users leave no held-out user; use more users or --holdout 0")]
    EmptyHoldout { fraction: f64, eligible: usize },
    #[error("--cohort-size 0: the selection set would be empty")]
    EmptySelection,
    #[error(transparent)]
    Cohort(#[from] CohortError),
    #[error("{run}: the run holds no users out (a run from before the split, or --holdout 0); use --users selection")]
    NoHoldout { run: String },
}

/// Which of a run's users a figure is computed on (`eval`/`baseline --users ... --run`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSet {
    /// The users the loop ranked on (meta.json `cohort`).
    Selection,
    /// The held-out users (meta.json `split.holdout`).
    Holdout,
    /// Both.
    All,
}

/// The user ids of `set` as a run recorded them (selection first, then held out, for `All`).
pub fn recorded_users(meta: &super::RunMeta, set: UserSet, run: &std::path::Path) -> Result<Vec<String>, SplitError> {
    let holdout = || -> Result<Vec<String>, SplitError> {
        match &meta.split {
            Some(split) if !split.holdout.user_ids.is_empty() => Ok(split.holdout.user_ids.clone()),
            _ => Err(SplitError::NoHoldout { run: run.display().to_string() }),
        }
    };
    Ok(match set {
        UserSet::Selection => meta.cohort.user_ids.clone(),
        UserSet::Holdout => holdout()?,
        UserSet::All => {
            let mut ids = meta.cohort.user_ids.clone();
            ids.extend(holdout()?);
            ids
        }
    })
}

/// Eligible users in activity terciles: sorted by interaction count then ordinal, cut at
/// `[0, ceil(n/3), n - floor(n/3), n]` (the bounds of the NDCG-by-activity diagnostic).
pub fn activity_terciles(store: &Store, users: &[UserIdx]) -> [Vec<UserIdx>; 3] {
    let mut sorted: Vec<(usize, UserIdx)> = users.iter().map(|&u| (store.interactions(u).len(), u)).collect();
    sorted.sort_unstable();
    let n = sorted.len();
    let bounds = [0, n.div_ceil(3), n - n / 3, n];
    std::array::from_fn(|t| sorted[bounds[t]..bounds[t + 1]].iter().map(|&(_, u)| u).collect())
}

/// Splits the eligible users of `truth` (see the module comment).
pub fn split_users(
    store: &Store,
    truth: &GroundTruth,
    holdout_fraction: f64,
    selection_cap: usize,
    seed: u64,
) -> Result<UserSplit, SplitError> {
    if !(0.0..1.0).contains(&holdout_fraction) {
        return Err(SplitError::Fraction(holdout_fraction));
    }
    if selection_cap == 0 {
        return Err(SplitError::EmptySelection);
    }
    if holdout_fraction == 0.0 {
        let selection = Cohort::sample(store, truth, selection_cap, seed)?;
        return Ok(UserSplit { holdout_fraction, selection, holdout: Cohort::from_users(store, Vec::new()) });
    }
    let eligible = truth.eligible_users();
    if eligible.is_empty() {
        return Err(CohortError::Empty { threshold: truth.threshold }.into());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(SPLIT_STREAM);
    let mut held = Vec::new();
    let mut pools: Vec<Vec<UserIdx>> = Vec::new();
    for mut tercile in activity_terciles(store, &eligible) {
        tercile.shuffle(&mut rng);
        let k = (holdout_fraction * tercile.len() as f64).round() as usize;
        held.extend_from_slice(&tercile[..k]);
        pools.push(tercile[k..].to_vec());
    }
    if held.is_empty() {
        return Err(SplitError::EmptyHoldout { fraction: holdout_fraction, eligible: eligible.len() });
    }
    let mut selection: Vec<UserIdx> = Vec::new();
    for (pool, take) in
        pools.iter().zip(proportional_caps(&pools.iter().map(Vec::len).collect::<Vec<_>>(), selection_cap))
    {
        selection.extend_from_slice(&pool[..take]);
    }
    if selection.is_empty() {
        return Err(SplitError::EmptySelection);
    }
    selection.sort_unstable();
    held.sort_unstable();
    Ok(UserSplit {
        holdout_fraction,
        selection: Cohort::from_users(store, selection),
        holdout: Cohort::from_users(store, held),
    })
}

/// How many of each group to keep so the total is at most `cap`, proportionally (largest remainder,
/// ties to the earlier group).
fn proportional_caps(sizes: &[usize], cap: usize) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    if total <= cap {
        return sizes.to_vec();
    }
    let exact: Vec<f64> = sizes.iter().map(|&s| s as f64 * cap as f64 / total as f64).collect();
    let mut take: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    let mut left = cap - take.iter().sum::<usize>();
    for i in order {
        if left == 0 {
            break;
        }
        if take[i] < sizes[i] {
            take[i] += 1;
            left -= 1;
        }
    }
    take
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SyntheticOptions;
    use crate::store::synthetic_store;

    fn store() -> Store {
        synthetic_store(&SyntheticOptions { items: 300, users: 200, dims: 4, ..Default::default() }).unwrap()
    }

    #[test]
    fn the_split_is_seeded_disjoint_and_stratified() {
        let store = store();
        let truth = GroundTruth::from_store(&store, store.settings().relevance_threshold);
        let eligible = truth.eligible_users();
        assert!(eligible.len() >= 150, "{}", eligible.len());
        let split = split_users(&store, &truth, 0.3, 10_000, 7).unwrap();
        assert_eq!(split, split_users(&store, &truth, 0.3, 10_000, 7).unwrap(), "same seed, same split");
        assert_ne!(split.holdout, split_users(&store, &truth, 0.3, 10_000, 8).unwrap().holdout);
        // Disjoint, and together every eligible user.
        let mut all: Vec<UserIdx> = split.selection.users.iter().chain(&split.holdout.users).copied().collect();
        all.sort_unstable();
        assert_eq!(all, eligible);
        // Each activity tercile holds out round(0.3 * its size).
        for tercile in activity_terciles(&store, &eligible) {
            let held = tercile.iter().filter(|u| split.holdout.users.contains(u)).count();
            assert_eq!(held, (0.3 * tercile.len() as f64).round() as usize);
        }
        assert_eq!(split.holdout.checksum, crate::metrics::cohort_checksum(&split.holdout.user_ids));
    }

    #[test]
    fn the_cap_limits_the_selection_per_tercile() {
        let store = store();
        let truth = GroundTruth::from_store(&store, store.settings().relevance_threshold);
        let full = split_users(&store, &truth, 0.3, 10_000, 3).unwrap();
        let capped = split_users(&store, &truth, 0.3, 30, 3).unwrap();
        assert_eq!(capped.holdout, full.holdout, "the cap never moves the held-out users");
        assert_eq!(capped.selection.len(), 30);
        assert!(capped.selection.users.iter().all(|u| full.selection.users.contains(u)));
        for tercile in activity_terciles(&store, &truth.eligible_users()) {
            let kept = tercile.iter().filter(|u| capped.selection.users.contains(u)).count();
            assert!((9..=11).contains(&kept), "{kept} of a tercile kept");
        }
    }

    #[test]
    fn no_holdout_is_the_old_cohort_and_bad_fractions_are_refused() {
        let store = store();
        let truth = GroundTruth::from_store(&store, store.settings().relevance_threshold);
        let split = split_users(&store, &truth, 0.0, 50, 42).unwrap();
        assert_eq!(split.selection, Cohort::sample(&store, &truth, 50, 42).unwrap());
        assert!(split.holdout.is_empty());
        for bad in [1.0, -0.1, f64::NAN] {
            assert!(matches!(split_users(&store, &truth, bad, 50, 42), Err(SplitError::Fraction(_))));
        }
        assert!(matches!(split_users(&store, &truth, 0.3, 0, 42), Err(SplitError::EmptySelection)));
    }

    #[test]
    fn proportional_caps_sum_to_the_cap() {
        assert_eq!(proportional_caps(&[10, 10, 10], 100), vec![10, 10, 10]);
        assert_eq!(proportional_caps(&[10, 10, 10], 10), vec![4, 3, 3]);
        assert_eq!(proportional_caps(&[1, 2, 7], 5), vec![1, 1, 3]);
    }
}
