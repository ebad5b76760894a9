//! [`Program`]: a compiled script (the product of `compile/`), immutable, `Send + Sync` and shared
//! by every worker, with everything it offers in one place: per-user binding ([`Program::bind`]),
//! per-document evaluation ([`Program::eval`], [`Program::eval_batch`]) and the mapping of runtime
//! errors to Elasticsearch-shaped diagnostics. The bodies of the run-time entry points live in
//! `run/` (the bound state, the tree-walker, the batch executor).

use crate::interp::compile::plan::Plan;
use crate::interp::ir::{Const, Function};
use crate::interp::run::batch::{self, BatchFailure, BatchScores};
use crate::interp::run::bound::{self, Bound};
use crate::interp::runtime::error::{RuntimeError, RuntimeErrorKind, es_type};
use crate::interp::runtime::limits::Limits;
use crate::interp::runtime::types::{Dialect, ScriptContext};
use crate::interp::stack::{SMALL_STACK, with_stack};
use crate::interp::stdlib::registry::{CallCtx, DocCtx};
use crate::interp::stdlib::vectors::VectorArithmetic;
use crate::painless::code;
use crate::painless::{Diagnostic, Phase, Severity, Span};
use crate::store::{ItemIdx, Store};

/// A compiled script: immutable, `Send + Sync`.
#[derive(Debug)]
pub struct Program {
    pub(crate) source: String,
    pub(crate) context: ScriptContext,
    pub(crate) dialect: Dialect,
    pub(crate) main: Function,
    pub(crate) functions: Vec<Function>,
    pub(crate) consts: Vec<Const>,
    pub(crate) limits: Limits,
    pub(crate) vectors: VectorArithmetic,
    /// Statements `main.body[..prefix_len]` depend only on params and constants: `bind` runs them
    /// once per user (see `compile/hoist.rs`).
    pub(crate) prefix_len: usize,
    /// How many `ExprKind::Cached` nodes the rest of `main` has (per-user caches in `Bound`).
    pub(crate) caches: u32,
    /// The per-document part in column-wise form, when it has one (`run/batch`).
    pub(crate) batch: Option<Plan>,
}

/// The IR is as deep as the tree it came from, and its derived drop recurses: a deep program is
/// dropped on a stack as deep as the one it was compiled on.
impl Drop for Program {
    fn drop(&mut self) {
        if self.main.stack > SMALL_STACK {
            let parts = (std::mem::take(&mut self.main.body), std::mem::take(&mut self.functions), self.batch.take());
            with_stack(self.main.stack, move || drop(parts));
        }
    }
}

/// Whether `script_score` refuses this score (ES's `ScriptScoreQuery`: negative or NaN, after the
/// script's double is narrowed to the float Lucene keeps). Both evaluators apply it.
pub(crate) fn is_invalid_score(score: f32) -> bool {
    score < 0.0 || score.is_nan()
}

impl Program {
    /// Convert one user's params and run the per-user invariant prefix.
    pub fn bind(
        &self,
        params: &serde_json::Map<String, serde_json::Value>,
        store: &Store,
    ) -> Result<Bound, Diagnostic> {
        bound::bind(self, params, store)
    }

    /// Score one document: the script's value as ES uses it (score context: checked and rounded
    /// to float; sort context: the double).
    pub fn eval(&self, bound: &mut Bound, store: &Store, item: ItemIdx, score: f64) -> Result<f64, Diagnostic> {
        bound::eval(self, bound, store, item, score)
    }

    /// True when the per-document part of the script runs column-wise in [`Program::eval_batch`].
    pub fn is_batchable(&self) -> bool {
        self.batch.is_some()
    }

    /// Scores `items` in order, as calling [`Program::eval`] on each would, stopping at the first
    /// error: on `Ok`, `out[j]` is item `j`'s value; on `Err(f)`, `out[..f.index]` are filled and
    /// `f.diagnostic` is what `eval` returns for `items[f.index]`. `out` must be as long as `items`
    /// (and `scores`, when per item).
    pub fn eval_batch(
        &self,
        bound: &mut Bound,
        store: &Store,
        items: &[ItemIdx],
        scores: BatchScores<'_>,
        out: &mut [f64],
    ) -> Result<(), BatchFailure> {
        batch::eval_batch(self, bound, store, items, scores, out)
    }

    /// The call context library members see: this program's dialect, script context, limits and
    /// vector arithmetic, on `document` (None: no document, as in the hoisted prefix).
    pub(crate) fn call_ctx<'a>(&'a self, document: Option<DocCtx<'a>>) -> CallCtx<'a> {
        match document {
            Some(doc) => CallCtx::for_document(self.dialect, self.context, &self.limits, doc),
            None => CallCtx::detached(self.dialect, self.context, &self.limits),
        }
        .with_vectors(self.vectors)
    }

    pub fn context(&self) -> ScriptContext {
        self.context
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// How many leading statements `bind` runs once per user (0: nothing hoisted).
    pub fn hoisted_statements(&self) -> usize {
        self.prefix_len
    }

    /// How many per-user invariant expressions the per-document part caches (see `compile/hoist.rs`).
    pub fn cached_expressions(&self) -> usize {
        self.caches as usize
    }

    /// A runtime error as ES reports it: `runtime error`, the statement window and the node offset.
    pub(crate) fn runtime_diag(&self, err: RuntimeError, span: Span, stmt: Option<Span>) -> Diagnostic {
        let (code, severity) = match err.kind {
            RuntimeErrorKind::Java => (runtime_code(err.es_type), Severity::Error),
            RuntimeErrorKind::UnsupportedLocally => {
                (code::unsupported::UNSUPPORTED_AT_RUNTIME, Severity::UnsupportedLocally)
            }
            RuntimeErrorKind::Interrupted => (code::unsupported::TIMED_OUT, Severity::UnsupportedLocally),
        };
        Diagnostic {
            code: code.to_string(),
            severity,
            phase: Phase::Runtime,
            span,
            statement: stmt,
            es_type: err.es_type.to_string(),
            message: err.message,
            help: None,
            java_frames: err.java_frames,
        }
    }
}

/// Stable runtime codes by exception class.
fn runtime_code(es: &str) -> &'static str {
    match es {
        es_type::NULL_POINTER => code::runtime::NULL_POINTER,
        es_type::CLASS_CAST => code::runtime::CLASS_CAST,
        es_type::ARITHMETIC => code::runtime::ARITHMETIC,
        es_type::INDEX_OUT_OF_BOUNDS | es_type::ARRAY_INDEX_OUT_OF_BOUNDS | es_type::STRING_INDEX_OUT_OF_BOUNDS => {
            code::runtime::INDEX_OUT_OF_BOUNDS
        }
        es_type::PAINLESS_ERROR => code::runtime::PAINLESS_ERROR,
        es_type::STACK_OVERFLOW => code::runtime::STACK_OVERFLOW,
        es_type::ILLEGAL_ARGUMENT => code::runtime::ILLEGAL_ARGUMENT,
        es_type::ILLEGAL_STATE => code::runtime::ILLEGAL_STATE,
        es_type::UNSUPPORTED_OPERATION => code::runtime::UNSUPPORTED_OPERATION,
        // R310 (`code::runtime::INVALID_SCORE`) is the score check's, not an exception's.
        es_type::WRONG_METHOD_TYPE => code::runtime::WRONG_METHOD_TYPE,
        _ => code::runtime::OTHER_RUNTIME,
    }
}
