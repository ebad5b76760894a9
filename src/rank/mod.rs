//! Ranking: script sets, the scorer seam, bounded top-k selection and the local rank engine.
//! `RankEngine` is the contract the search-engine backends implement too.

pub mod interp_adapter;
pub mod local;
pub mod outcome;
pub mod scorer;
pub mod script_set;
pub mod topk;

pub use interp_adapter::{InterpScorer, SetCompilation, compile_env, compile_set, compile_set_with};
pub use local::{CompiledSet, CompiledSort, LocalEngine, LocalEngineError, to_es_score};
pub use outcome::{
    CompileFailure, FailureKind, RankOutcome, RankRequest, RankedItem, RuntimeFailure, UserRanking, UserResult,
    es_error_json, invalid_score_es_json, runtime_failure_json,
};
pub use scorer::{BoundScorer, NativeScorer, Params, RandomScorer, UserScorer, user_params};
pub use script_set::{Dialect, Manifest, Script, ScriptSet, ScriptSetError, SortOrder, SortScript};
pub use topk::TopK;

/// Ranks a script set for a cohort. Implemented by the local engine (in-process interpreter) and
/// by the search-engine backends (`engine::SearchEngine`); both must return the same lists
/// whenever the scores agree (the ordinal tie-break is part of the contract).
pub trait RankEngine {
    /// `local`, `elasticsearch`, `opensearch`: recorded as the run's engine.
    fn name(&self) -> &str;

    /// Compile errors and runtime errors are reported inside the outcome; `Err` is for failures of
    /// the engine itself (unreachable node, bad request, unknown user).
    fn rank(&self, set: &ScriptSet, request: &RankRequest) -> Result<RankOutcome, RankError>;
}

#[derive(Debug, thiserror::Error)]
pub enum RankError {
    #[error(transparent)]
    Local(#[from] LocalEngineError),
    #[error("{engine}: {source}")]
    Backend {
        engine: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
