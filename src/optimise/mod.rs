//! The optimisation loop and its proposers.
//!
//! - [`proposer`]: the `Proposer` trait, what a proposer sees (`ProposalContext`) and returns (`Proposal`).
//! - [`genome`] + [`builtin`]: the built-in optimiser, a seeded search over typed genomes rendered to Painless,
//!   on item signals derived from the store's field statistics ([`signals`]).
//! - [`prompt`] + [`llm`]: LLM proposers (Anthropic, OpenAI, OpenAI-compatible) and reply parsing;
//!   [`directions`]: the concrete change suggested to an LLM each iteration.
//! - [`restore`]: the parent's opening lines a reply dropped, put back without a model call.
//! - [`lineage`]: parent choice (linear or evolutionary).
//! - `loop`: the iteration itself, written against the small `CandidateJudge` and `RunRecorder` traits.

pub mod builtin;
pub mod contract;
pub mod controls;
pub mod directions;
pub mod edits;
pub mod fake;
pub mod genome;
pub mod judge;
pub mod lineage;
pub mod llm;
pub mod r#loop;
pub mod prompt;
pub mod proposer;
pub mod record;
pub mod reply;
pub mod restore;
pub mod session;
pub mod signals;
pub mod tune;
pub mod visibility;

pub use builtin::BuiltinProposer;
pub use contract::{AttemptLog, CandidateJudge, LoopError, LoopSettings, Objective, RunRecorder};
pub use lineage::Lineage;
pub use llm::{LlmProposer, LlmSettings, ProviderKind};
pub use r#loop::OptimisationLoop;
pub use proposer::{Proposal, ProposalContext, Proposed, Proposer, ProposerError, Usage};
