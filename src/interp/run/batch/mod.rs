//! Batch (column-at-a-time) evaluation of the per-document part of a script.
//!
//! `Program::eval` walks the IR once per document; for a score script such as the baseline
//! (`return cosineSimilarity(pooled, 'item_vector') + 1.0;` after hoisting) the walk costs as much
//! as the arithmetic and stops the CPU from overlapping consecutive documents. `eval_batch`
//! evaluates each node once per *chunk* of documents instead: every node yields a column (one value
//! per document, or one value shared by all), so dispatch is paid per chunk and the vector
//! functions run their own tight loops over many rows (`FunctionBinding::call_batch`).
//!
//! **Equivalence.** `eval_batch(items)` returns exactly what calling `eval` on each item in order
//! returns, stopping at the first error: same f64 bits, same diagnostic. It holds because:
//! - only a straight-line subset is planned (at compile time, `plan`): stores to locals,
//!   expression statements, `if` (merged per document, or ending in `return` on one side),
//!   `return`, and expressions made of constants, locals, `params`, `_score`, `doc['f']` handles,
//!   conversions, operators, conditionals, doc-value getters on a handle, numeric statics,
//!   context functions and filled `Cached` nodes. None of them has an effect a later document
//!   could see: no assignment through references, no allocation that escapes, no loop counter;
//! - every element is computed by the interpreter's own functions (`ops::binary`, `convert`, the
//!   registered `imp`s, `FunctionBinding::call`), or by a fast path documented to give the same
//!   bits (`Double` arithmetic, `call_batch`);
//! - per-user state the per-item path creates on the fly (a `Cached` value filled when first
//!   reached, a class binding built on its first call, with its constructor arguments) is only
//!   ever created by `eval`: the first documents of a user go through `eval` until it exists
//!   (`Plan::ready`, at most `WARMUP` documents), and in a chunk a document that reaches a
//!   missing one is marked, so `eval` creates it for the first such document, in order;
//! - a document whose batch computation raised anything (an operator error, a missing doc value,
//!   a negative or NaN score, a condition that is not a boolean) is marked, and is re-evaluated by
//!   `eval` in its turn, so its error (message, position, statement) is the per-item one; errors in
//!   a branch the document did not take are discarded with the branch.
//!
//! **Shape.** A chunk holds up to [`CHUNK`] (512) documents; a column is one shared value, a run of
//! f64s or a run of `Value`s. The vector bindings' `call_batch` kernels interleave 8 documents'
//! Lucene-order dot products (`stdlib/vectors.rs`), each keeping its own summation order. The local
//! ranker calls this through `BoundScorer::eval_batch`; tests/interp/batch_eval.rs checks batch against
//! per-item evaluation bit for bit.

mod exec;

use crate::interp::compile::plan::Plan;
use crate::interp::program::Program;
use crate::interp::run::bound::Bound;
use crate::interp::runtime::value::Value;
use crate::painless::Diagnostic;
use crate::store::{ItemIdx, Store};
use exec::{Col, ColId, Exec, NotBatchable, Reader, take_bools};

/// The most documents one column holds; longer batches are cut into chunks of this size.
pub const CHUNK: usize = 512;

/// How many documents per user go through `eval` waiting for the plan's caches and bindings
/// before chunks run anyway (marking the documents that reach a missing one).
const WARMUP: u32 = 8;

/// `_score` as each document of a batch sees it.
#[derive(Clone, Copy, Debug)]
pub enum BatchScores<'a> {
    /// The same `_score` for every document (the query script: 1.0).
    Same(f64),
    /// One `_score` per document, aligned with the items (sort scripts).
    PerItem(&'a [f64]),
}

impl<'a> BatchScores<'a> {
    pub(super) fn at(&self, j: usize) -> f64 {
        match self {
            BatchScores::Same(s) => *s,
            BatchScores::PerItem(s) => s[j],
        }
    }

    fn slice(&self, from: usize, to: usize) -> BatchScores<'a> {
        match self {
            BatchScores::Same(s) => BatchScores::Same(*s),
            BatchScores::PerItem(s) => BatchScores::PerItem(&s[from..to]),
        }
    }
}

/// The first document of a batch whose evaluation failed: `index` into the batch's items, and
/// the diagnostic `eval` gives for it.
#[derive(Debug, Clone)]
pub struct BatchFailure {
    pub index: usize,
    pub diagnostic: Diagnostic,
}

/// How a `Bound`'s documents were evaluated (tests check the batch path is really taken).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchStats {
    /// Documents whose value came from a column.
    pub batched: u64,
    /// Documents evaluated by `eval`: before the plan was ready, marked ones, unplanned scripts.
    pub per_item: u64,
}

/// Per-`Bound` batch state: buffers reused across chunks, and the counters.
#[derive(Default)]
pub(crate) struct BatchState {
    pub stats: BatchStats,
    /// Set when a chunk met a shape the plan cannot run column-wise for this user (e.g. a getter on
    /// something that is not a doc handle); the user's later documents go one by one.
    pub disabled: bool,
    /// Documents evaluated one by one while the plan was not ready.
    warmup: u32,
    pub(super) f64_pool: Vec<Vec<f64>>,
    pub(super) val_pool: Vec<Vec<Value>>,
    pub(super) bool_pool: Vec<Vec<bool>>,
}

enum ChunkError {
    /// `eval` failed on the chunk's document `.0`.
    Failed(usize, Box<Diagnostic>),
    /// See [`NotBatchable`].
    NotBatchable,
}

/// [`Program::eval_batch`].
pub(crate) fn eval_batch(
    program: &Program,
    bound: &mut Bound,
    store: &Store,
    items: &[ItemIdx],
    scores: BatchScores<'_>,
    out: &mut [f64],
) -> Result<(), BatchFailure> {
    assert_eq!(items.len(), out.len(), "eval_batch: one output per item");
    if let BatchScores::PerItem(s) = scores {
        assert_eq!(items.len(), s.len(), "eval_batch: one _score per item");
    }
    let mut j = 0;
    while j < items.len() {
        // Column-wise once the plan's per-user state exists; until then (and for scripts
        // without a plan) one document at a time, which creates that state as `eval` does.
        let warm = |bound: &Bound, p: &Plan| plan_ready(p, bound) || bound.batch.warmup >= WARMUP;
        if let Some(plan) =
            program.batch.as_ref().filter(|p| !bound.batch.disabled && bound.prefix.is_ok() && warm(bound, p))
        {
            let end = (j + CHUNK).min(items.len());
            let chunk = crate::interp::stack::with_stack(program.main.stack, || {
                run_chunk(program, plan, bound, store, &items[j..end], scores.slice(j, end), &mut out[j..end])
            });
            match chunk {
                Ok(()) => {
                    j = end;
                    continue;
                }
                Err(ChunkError::Failed(k, diagnostic)) => {
                    return Err(BatchFailure { index: j + k, diagnostic: *diagnostic });
                }
                Err(ChunkError::NotBatchable) => bound.batch.disabled = true,
            }
        }
        bound.batch.stats.per_item += 1;
        bound.batch.warmup += 1;
        out[j] = super::bound::eval(program, bound, store, items[j], scores.at(j))
            .map_err(|diagnostic| BatchFailure { index: j, diagnostic })?;
        j += 1;
    }
    Ok(())
}

/// One chunk column-wise, then the marked documents one by one in their turn.
fn run_chunk(
    program: &Program,
    plan: &Plan,
    bound: &mut Bound,
    store: &Store,
    items: &[ItemIdx],
    scores: BatchScores<'_>,
    out: &mut [f64],
) -> Result<(), ChunkError> {
    let n = items.len();
    let mut state = std::mem::take(&mut bound.batch);
    let mut bad = take_bools(&mut state.bool_pool, n);
    let result = {
        let mut ex = Exec { rd: Reader { program, bound, store, items, scores }, cols: Vec::new(), state: &mut state };
        let mut env: Vec<Option<ColId>> = vec![None; plan.n_slots];
        match ex.run(&plan.root, &mut env, &mut bad) {
            Ok(col) => {
                let col = col.unwrap_or_else(|| ex.push(Col::Uniform(Value::Double(0.0))));
                ex.finish(col, &mut bad, out);
                ex.release();
                Ok(())
            }
            Err(NotBatchable) => {
                ex.release();
                Err(ChunkError::NotBatchable)
            }
        }
    };
    if let Err(e) = result {
        state.bool_pool.push(bad);
        bound.batch = state;
        return Err(e);
    }
    bound.batch = state;
    let mut marked = 0u64;
    for j in 0..n {
        if bad[j] {
            marked += 1;
            match super::bound::eval(program, bound, store, items[j], scores.at(j)) {
                Ok(v) => out[j] = v,
                Err(d) => {
                    bound.batch.stats.per_item += marked;
                    bound.batch.stats.batched += (j + 1) as u64 - marked;
                    bound.batch.bool_pool.push(bad);
                    return Err(ChunkError::Failed(j, Box::new(d)));
                }
            }
        }
    }
    bound.batch.stats.per_item += marked;
    bound.batch.stats.batched += n as u64 - marked;
    bound.batch.bool_pool.push(bad);
    Ok(())
}

/// Every cache the plan reads is filled and every binding it calls exists.
fn plan_ready(plan: &Plan, bound: &Bound) -> bool {
    plan.caches.iter().all(|&i| matches!(bound.cache.get(i as usize), Some(Some(_))))
        && plan.sites.iter().all(|&s| matches!(bound.bindings.get(s as usize), Some(Some(_))))
}
