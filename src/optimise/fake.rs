//! A scripted proposer for tests and demos: it replays a fixed queue of proposals (and fixes) in order,
//! recording every context it was given so tests can check what a proposer is allowed to see.

use super::proposer::{
    Failure, ParentChoice, ParentChoiceContext, Proposal, ProposalContext, Proposed, Proposer, ProposerError, Usage,
};
use std::collections::VecDeque;

#[derive(Debug, Default)]
pub struct ScriptedProposer {
    replies: VecDeque<Proposal>,
    /// Every context passed to `propose`/`fix`, in call order.
    pub seen: Vec<ProposalContext>,
    /// Every (attempt, failure) passed to `fix`.
    pub fixes: Vec<(u32, Failure)>,
    /// Usage reported per reply.
    pub usage: Usage,
    /// Parents to pick under the evolutionary lineage, in order (empty: leave it to the loop).
    pub parent_picks: VecDeque<u32>,
    /// Every parent-choice context, in call order.
    pub parent_contexts: Vec<ParentChoiceContext>,
    /// Calls (0-based over `propose` and `fix`) that fail as an unusable reply would, consuming no reply.
    pub failing_calls: Vec<usize>,
    calls: usize,
}

impl ScriptedProposer {
    pub fn new(replies: impl IntoIterator<Item = Proposal>) -> Self {
        ScriptedProposer { replies: replies.into_iter().collect(), ..Default::default() }
    }

    /// Makes the given calls (0-based over `propose` and `fix`) fail.
    pub fn failing_at(mut self, calls: &[usize]) -> Self {
        self.failing_calls = calls.to_vec();
        self
    }

    fn next(&mut self, ctx: &ProposalContext) -> Result<Proposed, ProposerError> {
        self.seen.push(ctx.clone());
        let call = self.calls;
        self.calls += 1;
        if self.failing_calls.contains(&call) {
            return Err(ProposerError::Unparseable {
                provider: "scripted".into(),
                attempts: 3,
                problem: format!("scripted failure of call {call}"),
            });
        }
        let proposal = self
            .replies
            .pop_front()
            .ok_or_else(|| ProposerError::Builtin("scripted proposer ran out of replies".into()))?;
        Ok(Proposed { proposal, usage: self.usage })
    }
}

impl Proposer for ScriptedProposer {
    fn name(&self) -> String {
        "scripted".into()
    }

    fn propose(&mut self, ctx: &ProposalContext) -> Result<Proposed, ProposerError> {
        self.next(ctx)
    }

    fn fix(
        &mut self,
        ctx: &ProposalContext,
        _broken: &Proposal,
        failure: &Failure,
        attempt: u32,
    ) -> Result<Proposed, ProposerError> {
        self.fixes.push((attempt, failure.clone()));
        self.next(ctx)
    }

    fn choose_parent(&mut self, ctx: &ParentChoiceContext) -> Result<Option<ParentChoice>, ProposerError> {
        self.parent_contexts.push(ctx.clone());
        Ok(self.parent_picks.pop_front().map(|iteration| ParentChoice {
            iteration,
            reason: format!("scripted pick of {iteration}"),
            usage: self.usage,
        }))
    }
}
