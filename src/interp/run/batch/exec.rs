//! Execution: columns for one chunk of documents, computed node by node over a [`Plan`]'s tree
//! with the interpreter's own functions (see the parent module for why this equals `eval`).

use super::{BatchScores, BatchState};
use crate::interp::compile::plan::Node;
use crate::interp::ir::{Back, BinOp, EqMode, Expr, ExprKind, UnOp};
use crate::interp::program::{Program, is_invalid_score};
use crate::interp::run::bound::Bound;
use crate::interp::run::walk::{Interp, UserState, back_convert};
use crate::interp::runtime::error::RuntimeError;
use crate::interp::runtime::ops;
use crate::interp::runtime::types::ScriptContext;
use crate::interp::runtime::value::Value;
use crate::interp::stdlib::registry::{CallCtx, DocCtx, FunctionImp};
use crate::store::{ItemIdx, Store};

/// The chunk has a shape the plan cannot run column-wise (e.g. a cache emptied under it).
pub(super) struct NotBatchable;

pub(super) type ColId = usize;

/// One node's values for the chunk.
pub(super) enum Col {
    /// The same value for every document.
    Uniform(Value),
    /// `Value::Double` per document (the fast representation).
    F64(Vec<f64>),
    /// Any value per document.
    Vals(Vec<Value>),
}

/// What a chunk reads (copied into closures).
#[derive(Clone, Copy)]
pub(super) struct Reader<'a> {
    pub program: &'a Program,
    pub bound: &'a Bound,
    pub store: &'a Store,
    pub items: &'a [ItemIdx],
    pub scores: BatchScores<'a>,
}

impl<'a> Reader<'a> {
    fn ctx(&self, j: usize) -> CallCtx<'a> {
        self.program.call_ctx(Some(DocCtx { store: self.store, item: self.items[j] }))
    }

    /// An interpreter positioned on document `j`, for its (read-only) access functions.
    fn with_interp<T>(&self, j: usize, f: impl FnOnce(&Interp<'_>) -> T) -> T {
        let (p, b) = (self.program, self.bound);
        // Reads never touch bindings or caches; empty ones keep `Bound` borrowed shared.
        let (mut bindings, mut cache) = (Vec::new(), Vec::new());
        let user = UserState {
            consts: &b.consts,
            params: &b.params,
            bindings: &mut bindings,
            cache: &mut cache,
            doc: &b.doc_fields,
        };
        let interp = Interp::new(p, user, Some(DocCtx { store: self.store, item: self.items[j] }), self.scores.at(j));
        f(&interp)
    }
}

pub(super) struct Exec<'a, 'b> {
    pub rd: Reader<'a>,
    pub cols: Vec<Col>,
    pub state: &'b mut BatchState,
}

pub(super) fn take_bools(pool: &mut Vec<Vec<bool>>, n: usize) -> Vec<bool> {
    let mut v = pool.pop().unwrap_or_default();
    v.clear();
    v.resize(n, false);
    v
}

type Step<T> = Result<T, NotBatchable>;

impl Exec<'_, '_> {
    fn n(&self) -> usize {
        self.rd.items.len()
    }

    pub(super) fn push(&mut self, c: Col) -> ColId {
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
    pub(super) fn release(&mut self) {
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
    /// Follows `next` in a loop (a chain is as long as the script's straight-line run).
    pub(super) fn run(&mut self, mut node: &Node, env: &mut [Option<ColId>], bad: &mut [bool]) -> Step<Option<ColId>> {
        loop {
            node = match node {
                Node::Let(slot, e, next) => {
                    let c = self.expr(e, env, bad)?;
                    env[*slot as usize] = Some(c);
                    next
                }
                Node::Eval(e, next) => {
                    self.expr(e, env, bad)?;
                    next
                }
                Node::Update { slot, op, back, value, next } => {
                    let old = env[*slot as usize].ok_or(NotBatchable)?;
                    let rhs = self.expr(value, env, bad)?;
                    let c = match (back, self.double_binary(*op, old, rhs)) {
                        // A double target: `prim_cast` to double leaves a Double unchanged.
                        (Back::Prim(crate::interp::runtime::types::Prim::Double), Some(c)) => c,
                        _ => {
                            let op = *op;
                            self.map_pure(&[old, rhs], bad, |a| {
                                if *back == Back::RuntimeClass
                                    && op == BinOp::Add
                                    && ops::is_concatenation(&a[0], &a[1])
                                {
                                    // String concatenation: left to `eval`.
                                    return Err(RuntimeError::unsupported_locally("concatenation in a batch"));
                                }
                                let r = ops::binary(op, &a[0], &a[1])?;
                                back_convert(r, &a[0], back)
                            })
                        }
                    };
                    env[*slot as usize] = Some(c);
                    next
                }
                Node::Merge { cond, then, other, next } => {
                    let c = self.expr(cond, env, bad)?;
                    let take = self.truthy(c, bad);
                    let (mut bt, mut bo) = (self.bools(), self.bools());
                    let mut et = env.to_vec();
                    self.run(then, &mut et, &mut bt)?;
                    let mut eo = env.to_vec();
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
                    next
                }
                Node::Branch(cond, then, other) => {
                    let c = self.expr(cond, env, bad)?;
                    let take = self.truthy(c, bad);
                    let (mut bt, mut bo) = (self.bools(), self.bools());
                    let a = self.run(then, &mut env.to_vec(), &mut bt)?;
                    let b = self.run(other, &mut env.to_vec(), &mut bo)?;
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
                    return Ok(Some(r));
                }
                Node::Return(e) => return Ok(Some(self.expr(e, env, bad)?)),
                Node::ReturnNull => return Ok(Some(self.push(Col::Uniform(Value::Null)))),
                Node::End => return Ok(None),
            };
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
    pub(super) fn finish(&mut self, col: ColId, bad: &mut [bool], out: &mut [f64]) {
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
                *b |= is_invalid_score(f);
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
                // Not filled yet: the documents that reach it go through `eval`, in order, and
                // the first of them fills it exactly as it would have.
                _ => self.mark_all(bad),
            },
            K::Convert(x, conv) => {
                let c = self.expr(x, env, bad)?;
                if matches!(conv, crate::interp::ir::Conv::Prim(crate::interp::runtime::types::Prim::Double))
                    && matches!(self.cols[c], Col::F64(_))
                {
                    // `prim_cast` of a Double to double returns it unchanged.
                    return Ok(c);
                }
                self.map_pure(&[c], bad, |a| ops::convert(a[0].clone(), conv))
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
                if *op == UnOp::Neg && matches!(self.cols[c], Col::F64(_)) {
                    {
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
                        EqMode::Identity => ops::identical_checked(&a[0], &a[1])?,
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
                    if ops::is_concatenation(&a[0], &a[1]) {
                        // String concatenation: left to `eval`.
                        return Err(RuntimeError::unsupported_locally("concatenation in a batch"));
                    }
                    ops::binary(BinOp::Add, &a[0], &a[1])
                })
            }
            K::Index(r, i, site) => {
                let cols = [self.expr(r, env, bad)?, self.expr(i, env, bad)?];
                self.map_read(&cols, bad, |it, a| match site {
                    None => it.index_get(&a[0], &a[1]),
                    Some(site) => {
                        let n = it.def_index_normalize(&a[0], a[1].clone(), &site.args[0])?;
                        it.def_index_load(&a[0], n, &site.args[0], &site.ret)
                    }
                })
            }
            K::DynField { recv, name, null_safe, site } => {
                let cr = self.expr(recv, env, bad)?;
                let null_safe = *null_safe;
                self.map_read(&[cr], bad, |it, a| match site {
                    _ if a[0].is_null() && null_safe => Ok(Value::Null),
                    None => it.field_get(&a[0], name),
                    Some(site) => it.def_field_get(&a[0], name, site),
                })
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
            K::DynMethod { recv, name, args, null_safe, site } => {
                let mut cols = vec![self.expr(recv, env, bad)?];
                cols.extend(self.args(args, env, bad)?);
                let null_safe = *null_safe;
                self.map_read(&cols, bad, |it, a| match &a[0] {
                    Value::Null if null_safe => Ok(Value::Null),
                    Value::Null => Err(null_receiver(name)),
                    r => it.def_call(r, name, &a[1..], site),
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
                    self.map_doc(&cols, bad, f)
                }
                FunctionImp::Binding { ctor_args, .. } => {
                    let Some(Some(binding)) = b.bindings.get(*site as usize) else {
                        // Not built yet: the documents that reach this call go through `eval`,
                        // the first of them builds it (with its constructor's errors).
                        return Ok(self.mark_all(bad));
                    };
                    // ES (and `eval`) skip the constructor arguments once the instance exists.
                    let n = ctor_args.min(args.len());
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
            _ => return Err(NotBatchable),
        })
    }

    /// Marks every document evaluating this node (the caller's flags are branch-local, so only
    /// the documents that reach it); the placeholder value is never used for them.
    fn mark_all(&mut self, bad: &mut [bool]) -> ColId {
        bad.iter_mut().for_each(|b| *b = true);
        self.push(Col::Uniform(Value::Null))
    }

    fn args(&mut self, args: &[Expr], env: &[Option<ColId>], bad: &mut [bool]) -> Step<Vec<ColId>> {
        args.iter().map(|a| self.expr(a, env, bad)).collect()
    }

    /// A read through the interpreter's own access functions (`index_get`, `field_get`,
    /// `dyn_call`, registered getters and read-only methods), with the receiver in `cols[0]`.
    /// Computed once when every input is uniform and the receiver is not a doc handle (whose
    /// values differ per document); otherwise per document.
    fn map_read(
        &mut self,
        cols: &[ColId],
        bad: &mut [bool],
        f: impl Fn(&Interp<'_>, &[Value]) -> Result<Value, RuntimeError>,
    ) -> ColId {
        let rd = self.rd;
        let once = cols.iter().all(|&c| self.uniform(c).is_some())
            && !matches!(self.uniform(cols[0]), Some(Value::DocField(_)));
        if once {
            return self.map_pure(cols, bad, |a| rd.with_interp(0, |it| f(it, a)));
        }
        self.map_each(cols, bad, |j, a| rd.with_interp(j, |it| f(it, a)))
    }

    /// `f` over the arguments' values, per document; computed once when every argument is uniform
    /// (`f` must not read the document). An error marks the document (or all of them).
    fn map_pure(
        &mut self,
        cols: &[ColId],
        bad: &mut [bool],
        f: impl Fn(&[Value]) -> Result<Value, RuntimeError>,
    ) -> ColId {
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
    fn map_doc(
        &mut self,
        cols: &[ColId],
        bad: &mut [bool],
        f: impl Fn(&CallCtx<'_>, &[Value]) -> Result<Value, RuntimeError>,
    ) -> ColId {
        let rd = self.rd;
        self.map_each(cols, bad, |j, a| f(&rd.ctx(j), a))
    }

    fn map_each(
        &mut self,
        cols: &[ColId],
        bad: &mut [bool],
        f: impl Fn(usize, &[Value]) -> Result<Value, RuntimeError>,
    ) -> ColId {
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
        if let (F64View::One(_), F64View::One(_)) = (self.f64_view(a)?, self.f64_view(b)?) {
            return None;
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

/// A branch's errors count for the documents that took it.
fn merge_flags(bad: &mut [bool], take: &[bool], then: &[bool], other: &[bool]) {
    for j in 0..bad.len() {
        if if take[j] { then[j] } else { other[j] } {
            bad[j] = true;
        }
    }
}
