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
//! - only a straight-line subset is planned (at compile time, [`plan`]): stores to locals,
//!   expression statements, `if` (merged per document, or ending in `return` on one side),
//!   `return`, and expressions made of constants, locals, `params`, `_score`, `doc['f']` handles,
//!   conversions, operators, conditionals, doc-value getters on a handle, numeric statics,
//!   context functions and filled `Cached` nodes. None of them has an effect a later document
//!   could see: no assignment through references, no allocation that escapes, no loop counter;
//! - every element is computed by the interpreter's own functions (`ops::binary`, `convert`, the
//!   registered `imp`s, `FunctionBinding::call`), or by a fast path documented to give the same
//!   bits (`Double` arithmetic, `call_batch`);
//! - per-user state the per-item path would create on the fly (a `Cached` value filled when first
//!   reached, a class binding built on its first call) must already exist: until it does
//!   ([`Plan::ready`]), documents go through `eval` one by one, which fills it exactly as before;
//! - a document whose batch computation raised anything (an operator error, a missing doc value,
//!   a negative or NaN score, a condition that is not a boolean) is marked, and is re-evaluated by
//!   `eval` in its turn, so its error (message, position, statement) is the per-item one; errors in
//!   a branch the document did not take are discarded with the branch.

use super::bound::Bound;
use super::error::RuntimeError;
use super::eval::{convert_value, ops};
use super::eval::Interp;
use super::ir::{Back, BinOp, EqMode, Expr, ExprKind, Function, Slot, Stmt, StmtKind, Target, UnOp};
use super::program::Program;
use super::registry::{CallCtx, DocCtx, FunctionImp};
use super::types::ScriptContext;
use super::value::Value;
use crate::painless::Diagnostic;
use crate::store::{ItemIdx, Store};
use super::hoist::READ_ONLY_METHODS;
use std::collections::HashSet;

/// The most documents one column holds; longer batches are cut into chunks of this size.
pub const CHUNK: usize = 512;

/// `_score` as each document of a batch sees it.
#[derive(Clone, Copy, Debug)]
pub enum BatchScores<'a> {
    /// The same `_score` for every document (the query script: 1.0).
    Same(f64),
    /// One `_score` per document, aligned with the items (sort scripts).
    PerItem(&'a [f64]),
}

impl<'a> BatchScores<'a> {
    fn at(&self, j: usize) -> f64 {
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
    f64_pool: Vec<Vec<f64>>,
    val_pool: Vec<Vec<Value>>,
    bool_pool: Vec<Vec<bool>>,
}

// ---------------------------------------------------------------------------------------------
// Planning (compile time)
// ---------------------------------------------------------------------------------------------

/// The per-document part of a script in plannable form.
#[derive(Debug)]
pub(crate) struct Plan {
    root: Node,
    n_slots: usize,
    /// `Cached` indexes and binding call sites the plan reads: all must be filled before a chunk
    /// runs column-wise.
    caches: Vec<u32>,
    sites: Vec<u32>,
}

#[derive(Debug)]
enum Node {
    /// `slot = expr`, then `next`.
    Let(Slot, Expr, Box<Node>),
    /// Evaluate for its errors, then `next`.
    Eval(Expr, Box<Node>),
    /// `slot op= value` (numeric), then `next`.
    Update { slot: Slot, op: BinOp, back: Back, value: Expr, next: Box<Node> },
    /// `if` without `return` in either branch: run both, merge the slots they assign per
    /// document, continue with `next`.
    Merge { cond: Expr, then: Box<Node>, other: Box<Node>, next: Box<Node> },
    /// `if` where the branches end the script differently: per document, one or the other.
    Branch(Expr, Box<Node>, Box<Node>),
    Return(Expr),
    /// `return;` (null, which scores 0.0).
    ReturnNull,
    /// Falling off the end (the score script's default, `0.0`).
    End,
}

/// Classes whose statics are pure functions of their arguments.
const PURE_STATIC_CLASSES: &[&str] = &["Math", "StrictMath", "Integer", "Long", "Float", "Double", "Boolean"];

struct Planner<'a> {
    hoisted: &'a HashSet<Slot>,
    caches: Vec<u32>,
    sites: Vec<u32>,
}

/// Plans `main.body[prefix_len..]`, or None when it has a shape batch evaluation does not cover.
pub(crate) fn plan(main: &Function, prefix_len: usize, hoisted: &HashSet<Slot>, context: ScriptContext) -> Option<Plan> {
    if context == ScriptContext::Test {
        return None;
    }
    let mut planner = Planner { hoisted, caches: Vec::new(), sites: Vec::new() };
    let stmts = flatten(&main.body[prefix_len..]);
    let mut defined = HashSet::new();
    let root = planner.seq(&stmts, &mut defined)?;
    planner.caches.sort_unstable();
    planner.caches.dedup();
    planner.sites.sort_unstable();
    planner.sites.dedup();
    Some(Plan { root, n_slots: main.n_slots, caches: planner.caches, sites: planner.sites })
}

/// Blocks inlined (their scopes only matter to the checker, which already resolved slots).
fn flatten(stmts: &[Stmt]) -> Vec<&Stmt> {
    let mut out = Vec::new();
    for s in stmts {
        match &s.kind {
            StmtKind::Block(b) => out.extend(flatten(b)),
            _ => out.push(s),
        }
    }
    out
}

fn has_return(stmts: &[Stmt]) -> bool {
    stmts.iter().any(|s| match &s.kind {
        StmtKind::Return(_) => true,
        StmtKind::If(_, t, o) => has_return(t) || has_return(o),
        StmtKind::Block(b) => has_return(b),
        StmtKind::Loop { body, .. } | StmtKind::ForEach { body, .. } => has_return(body),
        _ => false,
    })
}

/// True when every path through `n` returns.
fn always_returns(n: &Node) -> bool {
    match n {
        Node::Let(_, _, next) | Node::Eval(_, next) | Node::Update { next, .. } => always_returns(next),
        Node::Merge { next, .. } => always_returns(next),
        Node::Branch(_, a, b) => always_returns(a) && always_returns(b),
        Node::Return(_) | Node::ReturnNull => true,
        Node::End => false,
    }
}

impl Planner<'_> {
    fn seq(&mut self, stmts: &[&Stmt], defined: &mut HashSet<Slot>) -> Option<Node> {
        let Some((first, rest)) = stmts.split_first() else { return Some(Node::End) };
        match &first.kind {
            StmtKind::Store(slot, e) => {
                if self.hoisted.contains(slot) {
                    return None;
                }
                self.expr(e, defined)?;
                defined.insert(*slot);
                Some(Node::Let(*slot, e.clone(), Box::new(self.seq(rest, defined)?)))
            }
            // `x = v;` and `x op= v;` on a local, as statements (their value is discarded).
            StmtKind::Expr(Expr { kind: ExprKind::Assign { target: Target::Local { slot, .. }, value }, .. }) => {
                if self.hoisted.contains(slot) {
                    return None;
                }
                self.expr(value, defined)?;
                defined.insert(*slot);
                Some(Node::Let(*slot, (**value).clone(), Box::new(self.seq(rest, defined)?)))
            }
            StmtKind::Expr(Expr {
                kind: ExprKind::Compound { target: Target::Local { slot, .. }, op, concat: false, value, back }, ..
            }) => {
                if self.hoisted.contains(slot) || !defined.contains(slot) {
                    return None;
                }
                self.expr(value, defined)?;
                let next = Box::new(self.seq(rest, defined)?);
                Some(Node::Update { slot: *slot, op: *op, back: back.clone(), value: (**value).clone(), next })
            }
            StmtKind::Expr(e) => {
                self.expr(e, defined)?;
                Some(Node::Eval(e.clone(), Box::new(self.seq(rest, defined)?)))
            }
            StmtKind::Return(Some(e)) => {
                self.expr(e, defined)?;
                Some(Node::Return(e.clone()))
            }
            StmtKind::Return(None) => Some(Node::ReturnNull),
            StmtKind::If(c, t, o) => {
                self.expr(c, defined)?;
                let (rt, ro) = (has_return(t), has_return(o));
                if !rt && !ro {
                    let (mut dt, mut d_o) = (defined.clone(), defined.clone());
                    let then = self.seq(&flatten(t), &mut dt)?;
                    let other = self.seq(&flatten(o), &mut d_o)?;
                    // Defined afterwards: what was defined before, or by both branches.
                    let both: HashSet<Slot> = dt.intersection(&d_o).copied().collect();
                    defined.extend(both);
                    let next = self.seq(rest, defined)?;
                    return Some(Node::Merge { cond: c.clone(), then: Box::new(then), other: Box::new(other), next: Box::new(next) });
                }
                fn with_rest<'s>(branch: &'s [Stmt], rest: &[&'s Stmt]) -> Vec<&'s Stmt> {
                    let mut v = flatten(branch);
                    v.extend_from_slice(rest);
                    v
                }
                let then_alone = self.seq(&flatten(t), &mut defined.clone())?;
                let other_alone = self.seq(&flatten(o), &mut defined.clone())?;
                let (then, other) = match (always_returns(&then_alone), always_returns(&other_alone)) {
                    (true, true) => (then_alone, other_alone),
                    (true, false) if !ro => (then_alone, self.seq(&with_rest(o, rest), &mut defined.clone())?),
                    (false, true) if !rt => (self.seq(&with_rest(t, rest), &mut defined.clone())?, other_alone),
                    _ => return None,
                };
                Some(Node::Branch(c.clone(), Box::new(then), Box::new(other)))
            }
            StmtKind::Block(_) | StmtKind::Loop { .. } | StmtKind::ForEach { .. } | StmtKind::Break | StmtKind::Continue => None,
        }
    }

    fn exprs(&mut self, es: &[Expr], defined: &HashSet<Slot>) -> Option<()> {
        es.iter().try_for_each(|e| self.expr(e, defined))
    }

    /// Checks that `e` is in the batch subset, collecting its caches and binding sites.
    fn expr(&mut self, e: &Expr, defined: &HashSet<Slot>) -> Option<()> {
        use ExprKind as K;
        match &e.kind {
            K::Const(_) | K::Params | K::Doc | K::Score | K::StaticField(_) => Some(()),
            K::Local(s) => (defined.contains(s) || self.hoisted.contains(s)).then_some(()),
            K::Convert(x, _) | K::Unary(_, x) | K::Instanceof(x, _) => self.expr(x, defined),
            K::Binary(_, a, b) | K::DefAdd(a, b) | K::And(a, b) | K::Or(a, b) | K::Elvis(a, b) | K::Index(a, b) => {
                self.expr(a, defined)?;
                self.expr(b, defined)
            }
            K::Eq { lhs, rhs, .. } => {
                self.expr(lhs, defined)?;
                self.expr(rhs, defined)
            }
            K::Conditional(c, a, b) => {
                self.expr(c, defined)?;
                self.expr(a, defined)?;
                self.expr(b, defined)
            }
            // Reads: element access, getters, and methods that never mutate anything.
            K::DynField { recv, .. } | K::Field { recv, .. } => self.expr(recv, defined),
            K::Method { recv, args, sig, .. } => {
                if !READ_ONLY_METHODS.contains(&sig.name) {
                    return None;
                }
                self.expr(recv, defined)?;
                self.exprs(args, defined)
            }
            K::DynMethod { recv, args, name, .. } => {
                if !READ_ONLY_METHODS.contains(&name.as_str()) {
                    return None;
                }
                self.expr(recv, defined)?;
                self.exprs(args, defined)
            }
            K::Static { sig, args } => {
                if !PURE_STATIC_CLASSES.contains(&sig.class) {
                    return None;
                }
                self.exprs(args, defined)
            }
            K::Function { sig, args, site } => {
                if matches!(sig.imp, FunctionImp::Binding { .. }) {
                    self.sites.push(*site);
                }
                self.exprs(args, defined)
            }
            K::Cached { index, .. } => {
                self.caches.push(*index);
                Some(())
            }
            K::Concat(..)
            | K::Assign { .. }
            | K::Compound { .. }
            | K::IncDec { .. }
            | K::User { .. }
            | K::NewList(_)
            | K::NewMap(_)
            | K::NewSet
            | K::NewArray { .. }
            | K::NewArrayInit { .. } => None,
        }
    }
}

impl Plan {
    /// Every cache the plan reads is filled and every binding it calls exists.
    fn ready(&self, bound: &Bound) -> bool {
        self.caches.iter().all(|&i| matches!(bound.cache.get(i as usize), Some(Some(_))))
            && self.sites.iter().all(|&s| matches!(bound.bindings.get(s as usize), Some(Some(_))))
    }
}

// ---------------------------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------------------------

impl Program {
    /// True when the per-document part of the script runs column-wise in `eval_batch`.
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
        assert_eq!(items.len(), out.len(), "eval_batch: one output per item");
        if let BatchScores::PerItem(s) = scores {
            assert_eq!(items.len(), s.len(), "eval_batch: one _score per item");
        }
        let mut j = 0;
        while j < items.len() {
            if let Some(plan) = &self.batch {
                if !bound.batch.disabled && bound.prefix.is_ok() && plan.ready(bound) {
                    let end = (j + CHUNK).min(items.len());
                    match self.run_chunk(plan, bound, store, &items[j..end], scores.slice(j, end), &mut out[j..end]) {
                        Ok(()) => {
                            j = end;
                            continue;
                        }
                        Err(ChunkError::Failed(k, diagnostic)) => return Err(BatchFailure { index: j + k, diagnostic }),
                        Err(ChunkError::NotBatchable) => bound.batch.disabled = true,
                    }
                }
            }
            bound.batch.stats.per_item += 1;
            out[j] = self
                .eval(bound, store, items[j], scores.at(j))
                .map_err(|diagnostic| BatchFailure { index: j, diagnostic })?;
            j += 1;
        }
        Ok(())
    }

    /// One chunk column-wise, then the marked documents one by one in their turn.
    fn run_chunk(
        &self,
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
            let mut ex = Exec {
                rd: Reader { program: self, bound, store, items, scores },
                cols: Vec::new(),
                state: &mut state,
            };
            let mut env: Vec<Option<ColId>> = vec![None; plan.n_slots];
            match ex.run(&plan.root, &mut env, &mut bad) {
                Ok(col) => {
                    let col = col.unwrap_or_else(|| ex.push(Col::Uniform(Value::Double(0.0))));
                    ex.finish(col, &mut bad, out);
                    ex.release();
                    Ok(())
                }
                Err(e) => {
                    ex.release();
                    Err(e)
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
                match self.eval(bound, store, items[j], scores.at(j)) {
                    Ok(v) => out[j] = v,
                    Err(d) => {
                        bound.batch.stats.per_item += marked;
                        bound.batch.stats.batched += (j + 1) as u64 - marked;
                        bound.batch.bool_pool.push(bad);
                        return Err(ChunkError::Failed(j, d));
                    }
                }
            }
        }
        bound.batch.stats.per_item += marked;
        bound.batch.stats.batched += n as u64 - marked;
        bound.batch.bool_pool.push(bad);
        Ok(())
    }
}

enum ChunkError {
    /// `eval` failed on the chunk's document `.0`.
    Failed(usize, Diagnostic),
    /// The chunk has a shape the plan cannot run column-wise.
    NotBatchable,
}

type ColId = usize;

/// One node's values for the chunk.
enum Col {
    /// The same value for every document.
    Uniform(Value),
    /// `Value::Double` per document (the fast representation).
    F64(Vec<f64>),
    /// Any value per document.
    Vals(Vec<Value>),
}

/// What a chunk reads (copied into closures).
#[derive(Clone, Copy)]
struct Reader<'a> {
    program: &'a Program,
    bound: &'a Bound,
    store: &'a Store,
    items: &'a [ItemIdx],
    scores: BatchScores<'a>,
}

impl<'a> Reader<'a> {
    fn ctx(&self, j: usize) -> CallCtx<'a> {
        let p = self.program;
        CallCtx::for_document(p.dialect, p.context, &p.limits, DocCtx { store: self.store, item: self.items[j] })
    }

    /// An interpreter positioned on document `j`, for its (read-only) access functions.
    fn with_interp<T>(&self, j: usize, f: impl FnOnce(&Interp<'_>) -> T) -> T {
        let (p, b) = (self.program, self.bound);
        // Reads never touch bindings or caches; empty ones keep `Bound` borrowed shared.
        let (mut bindings, mut cache) = (Vec::new(), Vec::new());
        let interp = Interp {
            functions: &p.functions,
            consts: &b.consts,
            params: &b.params,
            score: self.scores.at(j),
            ctx: self.ctx(j),
            limits: &p.limits,
            bindings: &mut bindings,
            cache: &mut cache,
            depth: 0,
            doc: &b.doc_fields,
        };
        f(&interp)
    }
}

struct Exec<'a, 'b> {
    rd: Reader<'a>,
    cols: Vec<Col>,
    state: &'b mut BatchState,
}

fn take_bools(pool: &mut Vec<Vec<bool>>, n: usize) -> Vec<bool> {
    let mut v = pool.pop().unwrap_or_default();
    v.clear();
    v.resize(n, false);
    v
}

type Step<T> = Result<T, ChunkError>;

impl Exec<'_, '_> {
    fn n(&self) -> usize {
        self.rd.items.len()
    }

    fn push(&mut self, c: Col) -> ColId {
        self.cols.push(c);
        self.cols.len() - 1
    }

    fn f64_buf(&mut self) -> Vec<f64> {
        let mut v = self.state.f64_pool.pop().unwrap_or_default();
        v.clear();
        v
    }

    fn val_buf(&mut self) -> Vec<Value> {
        let mut v = self.state.val_pool.pop().unwrap_or_default();
        v.clear();
        v
    }

    fn bools(&mut self) -> Vec<bool> {
        let n = self.n();
        take_bools(&mut self.state.bool_pool, n)
    }

    /// Returns the chunk's buffers to the pools.
    fn release(&mut self) {
        for c in self.cols.drain(..) {
            match c {
                Col::F64(v) => self.state.f64_pool.push(v),
                Col::Vals(mut v) => {
                    v.clear();
                    self.state.val_pool.push(v);
                }
                Col::Uniform(_) => {}
            }
        }
    }

    fn value(&self, c: ColId, j: usize) -> Value {
        match &self.cols[c] {
            Col::Uniform(v) => v.clone(),
            Col::F64(v) => Value::Double(v[j]),
            Col::Vals(v) => v[j].clone(),
        }
    }

    fn uniform(&self, c: ColId) -> Option<&Value> {
        match &self.cols[c] {
            Col::Uniform(v) => Some(v),
            _ => None,
        }
    }

    /// Runs a plan node: `Some(column)` when it returns, None when it falls off the end.
    fn run(&mut self, node: &Node, env: &mut Vec<Option<ColId>>, bad: &mut [bool]) -> Step<Option<ColId>> {
        match node {
            Node::Let(slot, e, next) => {
                let c = self.expr(e, env, bad)?;
                env[*slot as usize] = Some(c);
                self.run(next, env, bad)
            }
            Node::Eval(e, next) => {
                self.expr(e, env, bad)?;
                self.run(next, env, bad)
            }
            Node::Update { slot, op, back, value, next } => {
                let old = env[*slot as usize].ok_or(ChunkError::NotBatchable)?;
                let rhs = self.expr(value, env, bad)?;
                let c = match (back, self.double_binary(*op, old, rhs)) {
                    // A double target: `prim_cast` to double leaves a Double unchanged.
                    (Back::Prim(super::types::Prim::Double), Some(c)) => c,
                    _ => {
                        let op = *op;
                        self.map_pure(&[old, rhs], bad, |a| {
                            if *back == Back::RuntimeClass && op == BinOp::Add && (matches!(a[0], Value::Str(_)) || matches!(a[1], Value::Str(_))) {
                                // String concatenation: left to `eval`.
                                return Err(RuntimeError::unsupported_locally("concatenation in a batch"));
                            }
                            let r = ops::binary(op, &a[0], &a[1])?;
                            back_convert(r, &a[0], back)
                        })
                    }
                };
                env[*slot as usize] = Some(c);
                self.run(next, env, bad)
            }
            Node::Merge { cond, then, other, next } => {
                let c = self.expr(cond, env, bad)?;
                let take = self.truthy(c, bad);
                let (mut bt, mut bo) = (self.bools(), self.bools());
                let mut et = env.clone();
                self.run(then, &mut et, &mut bt)?;
                let mut eo = env.clone();
                self.run(other, &mut eo, &mut bo)?;
                merge_flags(bad, &take, &bt, &bo);
                for s in 0..env.len() {
                    env[s] = match (et[s], eo[s]) {
                        (Some(a), Some(b)) if a == b => Some(a),
                        (Some(a), Some(b)) => Some(self.select(&take, a, b)),
                        _ => None,
                    };
                }
                self.state.bool_pool.extend([take, bt, bo]);
                self.run(next, env, bad)
            }
            Node::Branch(cond, then, other) => {
                let c = self.expr(cond, env, bad)?;
                let take = self.truthy(c, bad);
                let (mut bt, mut bo) = (self.bools(), self.bools());
                let a = self.run(then, &mut env.clone(), &mut bt)?;
                let b = self.run(other, &mut env.clone(), &mut bo)?;
                merge_flags(bad, &take, &bt, &bo);
                let zero = |ex: &mut Self| ex.push(Col::Uniform(Value::Double(0.0)));
                let a = match a {
                    Some(a) => a,
                    None => zero(self),
                };
                let b = match b {
                    Some(b) => b,
                    None => zero(self),
                };
                let r = self.select(&take, a, b);
                self.state.bool_pool.extend([take, bt, bo]);
                Ok(Some(r))
            }
            Node::Return(e) => Ok(Some(self.expr(e, env, bad)?)),
            Node::ReturnNull => Ok(Some(self.push(Col::Uniform(Value::Null)))),
            Node::End => Ok(None),
        }
    }

    /// The condition per document; a non-boolean marks the document (ClassCastException).
    fn truthy(&mut self, c: ColId, bad: &mut [bool]) -> Vec<bool> {
        let mut take = self.bools();
        for (j, t) in take.iter_mut().enumerate() {
            match self.value(c, j) {
                Value::Bool(b) => *t = b,
                _ => bad[j] = true,
            }
        }
        take
    }

    /// Per document, `a` where `take` else `b`.
    fn select(&mut self, take: &[bool], a: ColId, b: ColId) -> ColId {
        let n = self.n();
        if self.f64_view(a).is_some() && self.f64_view(b).is_some() {
            let mut out = self.f64_buf();
            let (x, y) = (self.f64_view(a).expect("checked"), self.f64_view(b).expect("checked"));
            out.extend((0..n).map(|j| if take[j] { x.get(j) } else { y.get(j) }));
            return self.push(Col::F64(out));
        }
        let mut out = self.val_buf();
        for (j, &t) in take.iter().enumerate().take(n) {
            out.push(self.value(if t { a } else { b }, j));
        }
        self.push(Col::Vals(out))
    }

    /// A column of doubles, if it is one.
    fn f64_view(&self, c: ColId) -> Option<F64View<'_>> {
        match &self.cols[c] {
            Col::F64(v) => Some(F64View::Many(v)),
            Col::Uniform(Value::Double(d)) => Some(F64View::One(*d)),
            _ => None,
        }
    }

    /// Each document's value converted as `eval` converts the script's result.
    fn finish(&mut self, col: ColId, bad: &mut [bool], out: &mut [f64]) {
        let to_f64 = |v: &Value| match v {
            Value::Double(d) => *d,
            other => other.as_f64().unwrap_or(0.0),
        };
        match &self.cols[col] {
            Col::F64(v) => out.copy_from_slice(v),
            Col::Uniform(v) => out.fill(to_f64(v)),
            Col::Vals(v) => out.iter_mut().zip(v).for_each(|(o, v)| *o = to_f64(v)),
        }
        if self.rd.program.context == ScriptContext::Score {
            for (o, b) in out.iter_mut().zip(bad.iter_mut()) {
                let f = *o as f32;
                // `eval` raises the invalid-score error for these.
                *b |= f < 0.0 || f.is_nan();
                *o = f64::from(f);
            }
        }
    }

    fn expr(&mut self, e: &Expr, env: &[Option<ColId>], bad: &mut [bool]) -> Step<ColId> {
        use ExprKind as K;
        let b = self.rd.bound;
        Ok(match &e.kind {
            K::Const(i) => self.push(Col::Uniform(b.consts[*i as usize].clone())),
            K::Local(s) => match env[*s as usize] {
                Some(c) => c,
                None => self.push(Col::Uniform(b.frame.slots[*s as usize].clone())),
            },
            K::Params => self.push(Col::Uniform(b.params.clone())),
            K::Doc => self.push(Col::Uniform(Value::Doc)),
            K::Score => match self.rd.scores {
                BatchScores::Same(s) => self.push(Col::Uniform(Value::Double(s))),
                BatchScores::PerItem(s) => {
                    let mut v = self.f64_buf();
                    v.extend_from_slice(s);
                    self.push(Col::F64(v))
                }
            },
            K::StaticField(sig) => self.push(Col::Uniform((sig.value)())),
            K::Cached { index, .. } => match b.cache.get(*index as usize) {
                Some(Some(v)) => self.push(Col::Uniform(v.clone())),
                // `ready` checked every cache of the plan.
                _ => return Err(ChunkError::NotBatchable),
            },
            K::Convert(x, conv) => {
                let c = self.expr(x, env, bad)?;
                if matches!(conv, super::ir::Conv::Prim(super::types::Prim::Double)) && matches!(self.cols[c], Col::F64(_)) {
                    // `prim_cast` of a Double to double returns it unchanged.
                    return Ok(c);
                }
                self.map_pure(&[c], bad, |a| convert_value(a[0].clone(), conv))
            }
            K::Binary(op, x, y) => {
                let (cx, cy) = (self.expr(x, env, bad)?, self.expr(y, env, bad)?);
                if let Some(c) = self.double_binary(*op, cx, cy) {
                    return Ok(c);
                }
                self.map_pure(&[cx, cy], bad, |a| ops::binary(*op, &a[0], &a[1]))
            }
            K::Unary(op, x) => {
                let c = self.expr(x, env, bad)?;
                if *op == UnOp::Neg {
                    if matches!(self.cols[c], Col::F64(_)) {
                        let mut out = self.f64_buf();
                        if let Col::F64(v) = &self.cols[c] {
                            out.extend(v.iter().map(|d| -d));
                        }
                        return Ok(self.push(Col::F64(out)));
                    }
                }
                self.map_pure(&[c], bad, |a| ops::unary(*op, &a[0]))
            }
            K::Eq { lhs, rhs, mode, negate } => {
                let (cx, cy) = (self.expr(lhs, env, bad)?, self.expr(rhs, env, bad)?);
                let (mode, negate) = (*mode, *negate);
                self.map_pure(&[cx, cy], bad, |a| {
                    let eq = match mode {
                        EqMode::Primitive => ops::primitive_equals(&a[0], &a[1]),
                        EqMode::Equals => ops::painless_equals(&a[0], &a[1]),
                        EqMode::Identity => ops::identical(&a[0], &a[1]),
                    };
                    Ok(Value::Bool(eq != negate))
                })
            }
            K::Instanceof(x, t) => {
                let c = self.expr(x, env, bad)?;
                self.map_pure(&[c], bad, |a| Ok(Value::Bool(ops::instance_of(&a[0], t))))
            }
            K::And(x, y) | K::Or(x, y) => {
                let is_and = matches!(e.kind, K::And(..));
                let cx = self.expr(x, env, bad)?;
                let first = self.truthy(cx, bad);
                // The right side runs only where the left did not decide.
                let mut by = self.bools();
                let cy = self.expr(y, env, &mut by)?;
                let second = self.truthy(cy, &mut by);
                let mut out = self.val_buf();
                for j in 0..self.n() {
                    let decided = first[j] != is_and;
                    if !decided && by[j] {
                        bad[j] = true;
                    }
                    out.push(Value::Bool(if decided { first[j] } else { second[j] }));
                }
                self.state.bool_pool.extend([first, by, second]);
                self.push(Col::Vals(out))
            }
            K::Conditional(c, x, y) => {
                let cc = self.expr(c, env, bad)?;
                let take = self.truthy(cc, bad);
                let (mut bx, mut by) = (self.bools(), self.bools());
                let a = self.expr(x, env, &mut bx)?;
                let b2 = self.expr(y, env, &mut by)?;
                merge_flags(bad, &take, &bx, &by);
                let r = self.select(&take, a, b2);
                self.state.bool_pool.extend([take, bx, by]);
                r
            }
            K::Elvis(x, y) => {
                let a = self.expr(x, env, bad)?;
                let mut by = self.bools();
                let b2 = self.expr(y, env, &mut by)?;
                let mut take = self.bools();
                for (j, t) in take.iter_mut().enumerate() {
                    *t = !self.value(a, j).is_null();
                    if !*t && by[j] {
                        bad[j] = true;
                    }
                }
                let r = self.select(&take, a, b2);
                self.state.bool_pool.extend([take, by]);
                r
            }
            K::DefAdd(x, y) => {
                let (cx, cy) = (self.expr(x, env, bad)?, self.expr(y, env, bad)?);
                if let Some(c) = self.double_binary(BinOp::Add, cx, cy) {
                    return Ok(c);
                }
                self.map_pure(&[cx, cy], bad, |a| {
                    if matches!(a[0], Value::Str(_)) || matches!(a[1], Value::Str(_)) {
                        // String concatenation: left to `eval`.
                        return Err(RuntimeError::unsupported_locally("concatenation in a batch"));
                    }
                    ops::binary(BinOp::Add, &a[0], &a[1])
                })
            }
            K::Index(r, i) => {
                let cols = [self.expr(r, env, bad)?, self.expr(i, env, bad)?];
                self.map_read(&cols, bad, |it, a| it.index_get(&a[0], &a[1]))
            }
            K::DynField { recv, name, null_safe } => {
                let cr = self.expr(recv, env, bad)?;
                let null_safe = *null_safe;
                self.map_read(&[cr], bad, |it, a| if a[0].is_null() && null_safe { Ok(Value::Null) } else { it.field_get(&a[0], name) })
            }
            K::Field { recv, sig, null_safe } => {
                let cr = self.expr(recv, env, bad)?;
                let (imp, null_safe, name) = (sig.imp, *null_safe, sig.name);
                self.map_read(&[cr], bad, |it, a| match &a[0] {
                    Value::Null if null_safe => Ok(Value::Null),
                    Value::Null => Err(null_receiver(name)),
                    r => imp(&it.ctx, r),
                })
            }
            K::Method { recv, sig, args, null_safe } => {
                let mut cols = vec![self.expr(recv, env, bad)?];
                cols.extend(self.args(args, env, bad)?);
                let (imp, null_safe, name) = (sig.imp, *null_safe, sig.name);
                self.map_read(&cols, bad, |it, a| match &a[0] {
                    Value::Null if null_safe => Ok(Value::Null),
                    Value::Null => Err(null_receiver(name)),
                    r => imp(&it.ctx, r, &a[1..]),
                })
            }
            K::DynMethod { recv, name, args, null_safe } => {
                let mut cols = vec![self.expr(recv, env, bad)?];
                cols.extend(self.args(args, env, bad)?);
                let null_safe = *null_safe;
                self.map_read(&cols, bad, |it, a| match &a[0] {
                    Value::Null if null_safe => Ok(Value::Null),
                    Value::Null => Err(null_receiver(name)),
                    r => it.dyn_call(r, name, &a[1..]),
                })
            }
            K::Static { sig, args } => {
                let cols = self.args(args, env, bad)?;
                let imp = sig.imp;
                let ctx = self.rd.ctx(0);
                self.map_pure(&cols, bad, |a| imp(&ctx, a))
            }
            K::Function { sig, args, site } => match sig.imp {
                FunctionImp::Plain(f) => {
                    let cols = self.args(args, env, bad)?;
                    self.map_doc(&cols, bad, |ctx, a| f(ctx, a))
                }
                FunctionImp::Binding { ctor_args, .. } => {
                    let Some(Some(binding)) = b.bindings.get(*site as usize) else {
                        return Err(ChunkError::NotBatchable);
                    };
                    // As `eval` does once the instance exists: constructor arguments are still
                    // evaluated (for their errors) unless they can neither fail nor have effects.
                    let n = ctor_args.min(args.len());
                    for a in &args[..n] {
                        if !quiet(a) {
                            self.expr(a, env, bad)?;
                        }
                    }
                    let rest = self.args(&args[n..], env, bad)?;
                    if rest.is_empty() {
                        let mut out = self.f64_buf();
                        out.resize(self.n(), 0.0);
                        if binding.call_batch(self.rd.store, self.rd.items, &mut out) {
                            return Ok(self.push(Col::F64(out)));
                        }
                        self.state.f64_pool.push(out);
                    }
                    self.map_doc(&rest, bad, |ctx, a| binding.call(ctx, a))
                }
            },
            _ => return Err(ChunkError::NotBatchable),
        })
    }

    fn args(&mut self, args: &[Expr], env: &[Option<ColId>], bad: &mut [bool]) -> Step<Vec<ColId>> {
        args.iter().map(|a| self.expr(a, env, bad)).collect()
    }

    /// A read through the interpreter's own access functions (`index_get`, `field_get`,
    /// `dyn_call`, registered getters and read-only methods), with the receiver in `cols[0]`.
    /// Computed once when every input is uniform and the receiver is not a doc handle (whose
    /// values differ per document); otherwise per document.
    fn map_read(&mut self, cols: &[ColId], bad: &mut [bool], f: impl Fn(&Interp<'_>, &[Value]) -> Result<Value, RuntimeError>) -> ColId {
        let rd = self.rd;
        let once = cols.iter().all(|&c| self.uniform(c).is_some()) && !matches!(self.uniform(cols[0]), Some(Value::DocField(_)));
        if once {
            return self.map_pure(cols, bad, |a| rd.with_interp(0, |it| f(it, a)));
        }
        self.map_each(cols, bad, |j, a| rd.with_interp(j, |it| f(it, a)))
    }

    /// `f` over the arguments' values, per document; computed once when every argument is uniform
    /// (`f` must not read the document). An error marks the document (or all of them).
    fn map_pure(&mut self, cols: &[ColId], bad: &mut [bool], f: impl Fn(&[Value]) -> Result<Value, RuntimeError>) -> ColId {
        if cols.iter().all(|&c| self.uniform(c).is_some()) {
            let a: Vec<Value> = cols.iter().map(|&c| self.value(c, 0)).collect();
            return match f(&a) {
                Ok(v) => self.push(Col::Uniform(v)),
                Err(_) => {
                    bad.iter_mut().for_each(|b| *b = true);
                    self.push(Col::Uniform(Value::Null))
                }
            };
        }
        self.map_each(cols, bad, |_, a| f(a))
    }

    /// `f` with each document's context and argument values.
    fn map_doc(&mut self, cols: &[ColId], bad: &mut [bool], f: impl Fn(&CallCtx<'_>, &[Value]) -> Result<Value, RuntimeError>) -> ColId {
        let rd = self.rd;
        self.map_each(cols, bad, |j, a| f(&rd.ctx(j), a))
    }

    fn map_each(&mut self, cols: &[ColId], bad: &mut [bool], f: impl Fn(usize, &[Value]) -> Result<Value, RuntimeError>) -> ColId {
        let n = self.n();
        let mut out = self.val_buf();
        let mut args: Vec<Value> = Vec::with_capacity(cols.len());
        let mut all_double = true;
        for (j, bad_j) in bad.iter_mut().enumerate().take(n) {
            args.clear();
            args.extend(cols.iter().map(|&c| self.value(c, j)));
            let v = match f(j, &args) {
                Ok(v) => v,
                Err(_) => {
                    *bad_j = true;
                    Value::Null
                }
            };
            all_double &= matches!(v, Value::Double(_));
            out.push(v);
        }
        if all_double {
            let mut d = self.f64_buf();
            d.extend(out.iter().map(|v| if let Value::Double(x) = v { *x } else { 0.0 }));
            out.clear();
            self.state.val_pool.push(out);
            return self.push(Col::F64(d));
        }
        self.push(Col::Vals(out))
    }

    /// `Double op Double` for `+ - * /`: the same IEEE operations `ops::binary` performs.
    fn double_binary(&mut self, op: BinOp, a: ColId, b: ColId) -> Option<ColId> {
        if !matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div) {
            return None;
        }
        match (self.f64_view(a)?, self.f64_view(b)?) {
            (F64View::One(_), F64View::One(_)) => return None,
            _ => {}
        }
        let n = self.n();
        let mut out = self.f64_buf();
        let (x, y) = (self.f64_view(a).expect("checked"), self.f64_view(b).expect("checked"));
        match op {
            BinOp::Add => out.extend((0..n).map(|j| x.get(j) + y.get(j))),
            BinOp::Sub => out.extend((0..n).map(|j| x.get(j) - y.get(j))),
            BinOp::Mul => out.extend((0..n).map(|j| x.get(j) * y.get(j))),
            _ => out.extend((0..n).map(|j| x.get(j) / y.get(j))),
        }
        Some(self.push(Col::F64(out)))
    }
}

enum F64View<'a> {
    One(f64),
    Many(&'a [f64]),
}

impl F64View<'_> {
    #[inline(always)]
    fn get(&self, j: usize) -> f64 {
        match self {
            F64View::One(d) => *d,
            F64View::Many(v) => v[j],
        }
    }
}

/// Marks the document; `eval` raises the exact NullPointerException (with its position).
fn null_receiver(member: &str) -> RuntimeError {
    RuntimeError::null_pointer(format!("[{member}] on a null reference"))
}

/// `eval`'s conversion of a compound assignment's result back to the target's type.
fn back_convert(r: Value, old: &Value, back: &Back) -> Result<Value, RuntimeError> {
    match back {
        Back::Prim(p) => ops::prim_cast(&r, *p),
        Back::RuntimeClass => match old.prim() {
            Some(p) if p.is_numeric() => ops::prim_cast(&r, p),
            _ => Ok(r),
        },
        Back::None => Ok(r),
    }
}

/// A branch's errors count for the documents that took it.
fn merge_flags(bad: &mut [bool], take: &[bool], then: &[bool], other: &[bool]) {
    for j in 0..bad.len() {
        if if take[j] { then[j] } else { other[j] } {
            bad[j] = true;
        }
    }
}

/// As `Interp::quiet` once every cache is filled: evaluating `e` can neither fail nor have an effect.
fn quiet(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Const(_) | ExprKind::Local(_) | ExprKind::Params | ExprKind::StaticField(_) | ExprKind::Cached { .. })
}
