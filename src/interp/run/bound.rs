//! Per-user state and per-document evaluation: `Program::bind` (once per user) and
//! `Program::eval` (once per document). The hot path allocates nothing for scripts whose
//! per-user work was hoisted: constants and doc-field handles are materialised at bind time, the
//! main frame is reused, class bindings (`cosineSimilarity`...) are cached per call site.
//!
//! A class binding is built once per call site and user, as ES builds it once per script instance;
//! later calls skip its constructor arguments, as ES's `ifNonNull` jump does (`run/walk/mod.rs`). Other
//! ways the hot path avoids allocation: dynamic members resolve without allocating, arguments of
//! small calls stay on the stack, and ES cosine divides the Lucene-order dot product by the store's
//! precomputed document magnitude (`Store::vector_magnitudes`: ES 8.13's `(float) sqrt(double Σ v²)`
//! of the same row, so the result is bit-identical).

use super::params::json_params;
use crate::data::FieldKind;
use crate::interp::ir::{Stmt, StmtKind};
use crate::interp::program::{Program, is_invalid_score};
use crate::interp::run::batch::{BatchState, BatchStats};
use crate::interp::run::walk::{DocResolver, Fail, Frame, Interp, UserState};
use crate::interp::runtime::error::RuntimeError;
use crate::interp::runtime::types::ScriptContext;
use crate::interp::runtime::value::{DocFieldKind, DocFieldRef, Value};
use crate::interp::runtime::{javafmt, ops};
use crate::interp::stdlib::registry::{DocCtx, FunctionBinding};
use crate::painless::code;
use crate::painless::{Diagnostic, Phase, Severity, Span};
use crate::store::{ItemIdx, Schema, Store};
use std::rc::Rc;

/// One user's bound script: params converted, hoisted prefix evaluated, caches warm.
pub struct Bound {
    pub(crate) params: Value,
    pub(crate) consts: Vec<Value>,
    pub(crate) frame: Frame,
    /// The loop counter left after the hoisted prefix, or the prefix's error (re-raised per eval).
    pub(crate) prefix: Result<i64, Box<Fail>>,
    pub(crate) bindings: Vec<Option<Box<dyn FunctionBinding>>>,
    /// Values of the per-user invariant expressions, filled as they are first reached.
    pub(crate) cache: Vec<Option<Value>>,
    pub(crate) doc_fields: DocFields,
    /// Column buffers and counters of `Program::eval_batch` (see `run/batch`).
    pub(crate) batch: BatchState,
}

impl Bound {
    /// This user's part of an evaluation, and the main frame beside it (borrowed apart).
    pub(crate) fn user_state(&mut self) -> (UserState<'_>, &mut Frame) {
        let user = UserState {
            consts: &self.consts,
            params: &self.params,
            bindings: &mut self.bindings,
            cache: &mut self.cache,
            doc: &self.doc_fields,
        };
        (user, &mut self.frame)
    }

    /// How this user's documents were evaluated by `eval_batch` so far.
    pub fn batch_stats(&self) -> BatchStats {
        self.batch.stats
    }
}

/// `doc['f']` handles for every field of the store, created once per user.
pub(crate) struct DocFields(Vec<(String, Value)>);

impl DocResolver for DocFields {
    fn field(&self, name: &str) -> Result<Value, RuntimeError> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| RuntimeError::illegal_argument(format!("No field found for [{name}] in mapping")))
    }
    fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }
}

/// The checker's view of a store schema.
pub fn schema_fields(schema: &Schema) -> Vec<(String, DocFieldKind)> {
    schema.fields().iter().map(|f| (f.name.clone(), field_kind(&f.kind))).collect()
}

fn field_kind(k: &FieldKind) -> DocFieldKind {
    match k {
        FieldKind::Keyword => DocFieldKind::Keyword,
        FieldKind::Long => DocFieldKind::Long,
        FieldKind::Double => DocFieldKind::Double,
        FieldKind::Date => DocFieldKind::Date,
        FieldKind::Vector { .. } => DocFieldKind::Vector,
    }
}

/// [`Program::bind`].
pub(crate) fn bind(
    program: &Program,
    params: &serde_json::Map<String, serde_json::Value>,
    store: &Store,
) -> Result<Bound, Diagnostic> {
    let params = json_params(params, &program.limits).map_err(|e| {
        let mut d = program.runtime_diag(e, Span::default(), None);
        d.message = format!("params: {}", d.message);
        d
    })?;
    let consts = program.consts.iter().map(ops::const_value).collect();
    let doc_fields = DocFields(
        store
            .schema()
            .fields()
            .iter()
            .map(|f| {
                let r = DocFieldRef { name: Rc::from(f.name.as_str()), kind: field_kind(&f.kind) };
                (f.name.clone(), Value::DocField(Rc::new(r)))
            })
            .collect(),
    );
    let mut bound = Bound {
        params,
        consts,
        frame: Frame::new(program.main.n_slots, &program.limits),
        prefix: Ok(program.limits.max_loop_counter as i64),
        bindings: Vec::new(),
        cache: vec![None; program.caches as usize],
        doc_fields,
        batch: BatchState::default(),
    };
    if program.prefix_len > 0 {
        let (user, frame) = bound.user_state();
        let mut interp = Interp::new(program, user, None, 0.0);
        let prefix = &program.main.body[..program.prefix_len];
        let ran = crate::interp::stack::with_stack(program.main.stack, || interp.exec_block(frame, prefix));
        bound.prefix = match ran {
            Ok(_) => Ok(bound.frame.counter),
            Err(f) => Err(f),
        };
    }
    Ok(bound)
}

/// [`Program::eval`].
pub(crate) fn eval(
    program: &Program,
    bound: &mut Bound,
    store: &Store,
    item: ItemIdx,
    score: f64,
) -> Result<f64, Diagnostic> {
    let counter = match &bound.prefix {
        Ok(c) => *c,
        Err(f) => return Err(program.runtime_diag(f.err.clone(), f.span, f.stmt)),
    };
    bound.frame.counter = counter;
    let (user, frame) = bound.user_state();
    let mut interp = Interp::new(program, user, Some(DocCtx { store, item }), score);
    let rest = &program.main.body[program.prefix_len..];
    let result = crate::interp::stack::with_stack(program.main.stack, || match rest {
        // The common shape after hoisting (`return cosineSimilarity(...) + 1.0;`): evaluate
        // the expression directly, attributing an error to the statement as `exec_block` does.
        [Stmt { kind: StmtKind::Return(Some(e)), span }] => interp.eval(frame, e).map_err(|mut f| {
            f.stmt.get_or_insert(*span);
            f
        }),
        _ => interp.run_body(frame, rest, Value::Double(0.0)),
    });
    let value = match result {
        Ok(v) => v,
        Err(f) => return Err(program.runtime_diag(f.err, f.span, f.stmt)),
    };
    let d = match value {
        Value::Double(d) => d,
        other => other.as_f64().unwrap_or(0.0),
    };
    match program.context {
        ScriptContext::Score => {
            let f = d as f32;
            if is_invalid_score(f) {
                return Err(Diagnostic {
                    code: code::runtime::INVALID_SCORE.into(),
                    severity: Severity::Error,
                    phase: Phase::Runtime,
                    span: Span::default(),
                    statement: None,
                    es_type: "illegal_argument_exception".into(),
                    message: format!(
                        "script_score script returned an invalid score [{}] for doc [{}]. Must be a non-negative score!",
                        javafmt::float_to_string(f),
                        item.0
                    ),
                    help: Some("the doc number is the local item ordinal; ES prints the Lucene doc id".into()),
                    java_frames: Vec::new(),
                });
            }
            Ok(f as f64)
        }
        _ => Ok(d),
    }
}
