//! What of a candidate's diagnostics a proposer may see. The loop ranks on the selection users only,
//! but two diagnostics are aggregates of ground truth itself rather than of the ranking: the mean
//! popularity percentile of the *relevant* items and the interaction-count bounds of the activity
//! terciles. Both describe the users' held answers (and the tercile bounds, computed from interaction
//! counts, would move with the split), so they are removed before a diagnostic reaches a proposer.
//! The run log keeps the full diagnostics for people.

use serde_json::Value;

/// The diagnostics with the ground-truth aggregates removed (anything else passes unchanged).
pub fn proposer_diagnostics(diagnostics: &Value) -> Value {
    let mut visible = diagnostics.clone();
    if let Some(popularity) = visible.get_mut("popularity").and_then(Value::as_object_mut) {
        popularity.remove("relevant_percentile");
    }
    if let Some(terciles) = visible.get_mut("ndcg_by_activity").and_then(Value::as_array_mut) {
        for tercile in terciles.iter_mut().filter_map(Value::as_object_mut) {
            tercile.remove("min_interactions");
            tercile.remove("max_interactions");
        }
    }
    visible
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ground_truth_aggregates_are_removed() {
        let full = serde_json::json!({
            "coverage_at_k": 0.1,
            "popularity": {"source": "popularity", "recommended_percentile": 90.0, "relevant_percentile": 70.0},
            "ndcg_by_activity": [{"tercile": "low", "users": 3, "min_interactions": 1, "max_interactions": 9, "ndcg": 0.2}]
        });
        let seen = proposer_diagnostics(&full);
        assert_eq!(
            seen,
            serde_json::json!({
                "coverage_at_k": 0.1,
                "popularity": {"source": "popularity", "recommended_percentile": 90.0},
                "ndcg_by_activity": [{"tercile": "low", "users": 3, "ndcg": 0.2}]
            })
        );
        assert_eq!(proposer_diagnostics(&Value::Null), Value::Null);
    }
}
