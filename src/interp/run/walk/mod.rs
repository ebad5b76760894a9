//! The tree-walking evaluator over the slot-resolved IR.
//!
//! One `Interp` per evaluation; `Frame`s hold slots and the function's loop counter (ES keeps one
//! counter per function invocation, shared by every `while`/`for`/`do` loop in it, painless-facts §9).

mod access;
mod callsite;
mod locate;

use crate::interp::ir::{Back, EqMode, Expr, ExprKind, Function, Stmt, StmtKind, Target};
use crate::interp::program::Program;
use crate::interp::runtime::error::{RuntimeError, es_type};
use crate::interp::runtime::limits::Limits;
use crate::interp::runtime::ops;
use crate::interp::runtime::types::{Prim, Ty};
use crate::interp::runtime::value::Value;
use crate::interp::stdlib::registry::{CallCtx, DocCtx, FunctionBinding, FunctionImp};
use crate::painless::Span;
use std::rc::Rc;

/// A runtime failure: the position ES reports and, once known, the enclosing statement.
///
/// Until `locate` settles it, `span` is the throwing node's own location and `node`/`point` name
/// the instruction that threw; ES reports the last line-number mark before that instruction
/// (see `locate.rs`), which the enclosing block works out on the error path.
#[derive(Debug)]
pub struct Fail {
    pub err: RuntimeError,
    pub span: Span,
    pub stmt: Option<Span>,
    /// Address of the IR node whose instruction threw; 0 once the position is settled.
    node: usize,
    point: locate::Point,
    /// The snippet ends at the next statement in source order, found by the innermost block
    /// that has one after the failing statement.
    end_final: bool,
}

pub(crate) type EResult<T> = Result<T, Box<Fail>>;

/// A failure whose position is final (loop counter, or no IR node to replay).
#[cold]
#[inline(never)]
pub(crate) fn fail(err: RuntimeError, span: Span) -> Box<Fail> {
    Box::new(Fail { err, span, stmt: None, node: 0, point: locate::Point::After, end_final: false })
}

/// A failure of node `e`'s instruction `point`; `span` is the fallback position.
#[cold]
#[inline(never)]
pub(crate) fn fail_at(err: RuntimeError, span: Span, e: &Expr, point: locate::Point) -> Box<Fail> {
    Box::new(Fail { err, span, stmt: None, node: e as *const Expr as usize, point, end_final: false })
}

trait At<T> {
    /// The failure of `e`'s own instruction (after its children), at ES's location for `e`.
    fn at(self, e: &Expr) -> EResult<T>;
    fn at_point(self, e: &Expr, span: Span, point: locate::Point) -> EResult<T>;
}

impl<T> At<T> for Result<T, RuntimeError> {
    #[inline(always)]
    fn at(self, e: &Expr) -> EResult<T> {
        // An explicit match: `map_err` over this large error type was not inlined in profiles.
        match self {
            Ok(v) => Ok(v),
            Err(err) => Err(fail_at(err, locate::own_span(e), e, locate::Point::After)),
        }
    }

    #[inline(always)]
    fn at_point(self, e: &Expr, span: Span, point: locate::Point) -> EResult<T> {
        match self {
            Ok(v) => Ok(v),
            Err(err) => Err(fail_at(err, span, e, point)),
        }
    }
}

pub(crate) enum Flow {
    Normal,
    Break,
    Continue,
    Return(Value),
}

pub struct Frame {
    pub slots: Vec<Value>,
    /// Remaining loop iterations for this function invocation.
    pub counter: i64,
}

impl Frame {
    pub fn new(n_slots: usize, limits: &Limits) -> Frame {
        Frame { slots: vec![Value::Null; n_slots], counter: limits.max_loop_counter as i64 }
    }
}

/// Everything one evaluation reads.
pub(crate) struct Interp<'a> {
    pub functions: &'a [Function],
    pub consts: &'a [Value],
    pub params: &'a Value,
    pub score: f64,
    pub ctx: CallCtx<'a>,
    pub limits: &'a Limits,
    pub bindings: &'a mut Vec<Option<Box<dyn FunctionBinding>>>,
    /// Per-user values of `ExprKind::Cached` nodes (empty where there are none).
    pub cache: &'a mut Vec<Option<Value>>,
    pub depth: u32,
    pub doc: &'a dyn access::DocResolver,
}

/// What an evaluation reads that belongs to one user (or to the single run of the test context):
/// converted params and constants, class bindings and per-user caches as they fill, doc handles.
pub(crate) struct UserState<'a> {
    pub consts: &'a [Value],
    pub params: &'a Value,
    pub bindings: &'a mut Vec<Option<Box<dyn FunctionBinding>>>,
    pub cache: &'a mut Vec<Option<Value>>,
    pub doc: &'a dyn access::DocResolver,
}

impl<'a> Interp<'a> {
    /// The one way an interpreter is assembled: a program's code, dialect and limits, one user's
    /// state, the document it scores (None: no document, as in the hoisted prefix or the test
    /// context) and that document's `_score`.
    pub(crate) fn new(program: &'a Program, user: UserState<'a>, document: Option<DocCtx<'a>>, score: f64) -> Self {
        let ctx = program.call_ctx(document);
        Interp {
            functions: &program.functions,
            consts: user.consts,
            params: user.params,
            score,
            ctx,
            limits: &program.limits,
            bindings: user.bindings,
            cache: user.cache,
            depth: 0,
            doc: user.doc,
        }
    }
}

pub(crate) use access::{DocResolver, NoDoc};

impl<'a> Interp<'a> {
    /// Run a function body; a missing `return` yields `fallback` (the return type's default).
    pub fn run_body(&mut self, frame: &mut Frame, body: &[Stmt], fallback: Value) -> EResult<Value> {
        match self.exec_block(frame, body)? {
            Flow::Return(v) => Ok(v),
            _ => Ok(fallback),
        }
    }

    pub(crate) fn exec_block(&mut self, frame: &mut Frame, stmts: &[Stmt]) -> EResult<Flow> {
        for (i, s) in stmts.iter().enumerate() {
            match self.exec(frame, s) {
                Ok(Flow::Normal) => {}
                Ok(flow) => return Ok(flow),
                Err(mut f) => {
                    if f.node != 0 {
                        f.locate_in(&stmts[..=i], self.consts, self.limits.max_loop_counter > 0);
                    }
                    if f.stmt.is_none() && !matches!(s.kind, StmtKind::Block(_)) {
                        f.stmt = Some(s.span);
                    }
                    if !f.end_final
                        && let Some(w) = f.stmt
                        && let Some(end) = locate::next_statement_start(stmts, w.start)
                    {
                        f.stmt = Some(Span { start: w.start, end });
                        f.end_final = true;
                    }
                    return Err(f);
                }
            }
        }
        Ok(Flow::Normal)
    }

    fn tick(&self, frame: &mut Frame, span: Span) -> EResult<()> {
        if self.limits.max_loop_counter == 0 {
            return Ok(());
        }
        frame.counter -= 1;
        if frame.counter % (1 << 14) == 0 {
            // The candidate's time budget: a clock read every 16,384 iterations.
            crate::interp::run::deadline::check().map_err(|e| fail(e, span))?;
        }
        if frame.counter <= 0 {
            return Err(fail(
                RuntimeError::new(
                    es_type::PAINLESS_ERROR,
                    "The maximum number of statements that can be executed in a loop has been reached.",
                ),
                span,
            ));
        }
        Ok(())
    }

    fn exec(&mut self, frame: &mut Frame, s: &Stmt) -> EResult<Flow> {
        match &s.kind {
            StmtKind::Expr(e) => {
                self.ev(frame, e)?;
                Ok(Flow::Normal)
            }
            StmtKind::Store(slot, e) => {
                let v = self.ev(frame, e)?;
                frame.slots[*slot as usize] = v;
                Ok(Flow::Normal)
            }
            StmtKind::If(c, t, o) => {
                if self.truthy(frame, c)? {
                    self.exec_block(frame, t)
                } else {
                    self.exec_block(frame, o)
                }
            }
            StmtKind::Loop { cond, update, body, is_do } => {
                if *is_do {
                    loop {
                        match self.exec_block(frame, body)? {
                            Flow::Break => break,
                            Flow::Return(v) => return Ok(Flow::Return(v)),
                            Flow::Normal | Flow::Continue => {}
                        }
                        let go = match cond {
                            Some(c) => self.truthy(frame, c)?,
                            None => true,
                        };
                        if !go {
                            break;
                        }
                        self.tick(frame, s.span)?;
                    }
                } else {
                    loop {
                        if let Some(c) = cond
                            && !self.truthy(frame, c)?
                        {
                            break;
                        }
                        self.tick(frame, s.span)?;
                        match self.exec_block(frame, body)? {
                            Flow::Break => break,
                            Flow::Return(v) => return Ok(Flow::Return(v)),
                            Flow::Normal | Flow::Continue => {}
                        }
                        for u in update {
                            self.ev(frame, u)?;
                        }
                    }
                }
                Ok(Flow::Normal)
            }
            StmtKind::ForEach { slot, conv, iterable, body } => {
                let it = self.ev(frame, iterable)?;
                self.for_each(frame, *slot, conv.as_ref(), it, body, iterable)
            }
            StmtKind::Break => Ok(Flow::Break),
            StmtKind::Continue => Ok(Flow::Continue),
            StmtKind::Return(v) => Ok(Flow::Return(match v {
                Some(e) => self.ev(frame, e)?,
                None => Value::Null,
            })),
            StmtKind::Block(b) => self.exec_block(frame, b),
        }
    }

    fn truthy(&mut self, frame: &mut Frame, e: &Expr) -> EResult<bool> {
        match self.ev(frame, e)? {
            Value::Bool(b) => Ok(b),
            // ES casts a `def` condition (a `CastNode`, marked at the operand).
            other => Err(fail(ops::def_cast_error(&other, Prim::Boolean, None), locate::own_span(e))),
        }
    }

    /// Evaluate a lone expression (outside any statement): a failure's position is settled
    /// within `e`.
    pub(crate) fn eval(&mut self, frame: &mut Frame, e: &Expr) -> EResult<Value> {
        match self.ev(frame, e) {
            Ok(v) => Ok(v),
            Err(mut f) => {
                if f.node != 0 {
                    f.locate_in_expr(e, self.consts);
                }
                Err(f)
            }
        }
    }

    fn ev(&mut self, frame: &mut Frame, e: &Expr) -> EResult<Value> {
        match &e.kind {
            ExprKind::Const(i) => Ok(self.consts[*i as usize].clone()),
            ExprKind::Local(s) => Ok(frame.slots[*s as usize].clone()),
            ExprKind::Params => Ok(self.params.clone()),
            ExprKind::Doc => Ok(Value::Doc),
            ExprKind::Score => Ok(Value::Double(self.score)),
            ExprKind::Convert(x, conv) => {
                let v = self.ev(frame, x)?;
                ops::convert(v, conv).at(e)
            }
            ExprKind::Binary(op, a, b) => {
                let x = self.ev(frame, a)?;
                let y = self.ev(frame, b)?;
                ops::binary(*op, &x, &y).at(e)
            }
            ExprKind::Concat(a, b) => {
                let x = self.ev(frame, a)?;
                let y = self.ev(frame, b)?;
                self.concat(&x, &y).at(e)
            }
            ExprKind::DefAdd(a, b) => {
                let x = self.ev(frame, a)?;
                let y = self.ev(frame, b)?;
                if ops::is_concatenation(&x, &y) {
                    self.concat(&x, &y).at(e)
                } else {
                    ops::binary(crate::interp::ir::BinOp::Add, &x, &y).at(e)
                }
            }
            ExprKind::And(a, b) => Ok(Value::Bool(self.truthy(frame, a)? && self.truthy(frame, b)?)),
            ExprKind::Or(a, b) => Ok(Value::Bool(self.truthy(frame, a)? || self.truthy(frame, b)?)),
            ExprKind::Eq { lhs, rhs, mode, negate } => {
                let x = self.ev(frame, lhs)?;
                let y = self.ev(frame, rhs)?;
                let eq = match mode {
                    EqMode::Primitive => ops::primitive_equals(&x, &y),
                    EqMode::Equals => ops::painless_equals(&x, &y),
                    EqMode::Identity => ops::identical_checked(&x, &y).at(e)?,
                };
                Ok(Value::Bool(eq != *negate))
            }
            ExprKind::Unary(op, x) => {
                let v = self.ev(frame, x)?;
                ops::unary(*op, &v).at(e)
            }
            ExprKind::Conditional(c, a, b) => {
                if self.truthy(frame, c)? {
                    self.ev(frame, a)
                } else {
                    self.ev(frame, b)
                }
            }
            ExprKind::Elvis(a, b) => {
                let v = self.ev(frame, a)?;
                if v.is_null() { self.ev(frame, b) } else { Ok(v) }
            }
            ExprKind::Instanceof(x, t) => {
                let v = self.ev(frame, x)?;
                Ok(Value::Bool(ops::instance_of(&v, t)))
            }
            ExprKind::Assign { target, value } => self.assign(frame, target, value, e),
            ExprKind::Compound { target, op, concat, value, back } => {
                self.compound(frame, target, *op, *concat, value, back, e)
            }
            ExprKind::IncDec { target, increment, prefix, back } => {
                self.inc_dec(frame, target, *increment, *prefix, back, e)
            }
            ExprKind::Index(r, i, site) => {
                let recv = self.ev(frame, r)?;
                let idx = self.ev(frame, i)?;
                match site {
                    None => self.index_get(&recv, &idx).at(e),
                    Some(site) => {
                        let index_ty = &site.args[0];
                        let n = self.def_index_normalize(&recv, idx, index_ty).at_point(
                            e,
                            locate::own_span(e),
                            locate::Point::Normalize,
                        )?;
                        self.def_index_load(&recv, n, index_ty, &site.ret).at(e)
                    }
                }
            }
            ExprKind::DynField { recv, name, null_safe, site } => {
                let r = self.ev(frame, recv)?;
                if r.is_null() && *null_safe {
                    return Ok(Value::Null);
                }
                match site {
                    None => self.field_get(&r, name).at(e),
                    Some(site) => self.def_field_get(&r, name, site).at(e),
                }
            }
            ExprKind::Field { recv, sig, null_safe } => {
                let r = self.ev(frame, recv)?;
                if r.is_null() {
                    if *null_safe {
                        return Ok(Value::Null);
                    }
                    return Err(fail_at(access::null_receiver(sig.name), dot(recv), e, locate::Point::After));
                }
                (sig.imp)(&self.ctx, &r).at(e)
            }
            ExprKind::StaticField(sig) => Ok((sig.value)()),
            // A null receiver fails at the call instruction, after the arguments (which may fail
            // first); `?.` skips the arguments.
            ExprKind::Method { recv, sig, args, null_safe } => {
                let r = self.ev(frame, recv)?;
                if r.is_null() && *null_safe {
                    return Ok(Value::Null);
                }
                let (imp, name) = (sig.imp, sig.name);
                self.with_args(frame, args, |ctx, a| {
                    if r.is_null() { Err(access::null_receiver(name)) } else { imp(ctx, &r, a) }
                })?
                .at(e)
            }
            ExprKind::DynMethod { recv, name, args, null_safe, site } => {
                let r = self.ev(frame, recv)?;
                if r.is_null() && *null_safe {
                    return Ok(Value::Null);
                }
                let a = self.eval_args(frame, args)?;
                if r.is_null() {
                    return Err(fail_at(access::null_def_call(), dot(recv), e, locate::Point::After));
                }
                self.def_call(&r, name, &a, site).at(e)
            }
            ExprKind::Static { sig, args } => {
                let imp = sig.imp;
                self.with_args(frame, args, |ctx, a| imp(ctx, a))?.at(e)
            }
            ExprKind::Cached { index, expr } => {
                let i = *index as usize;
                if let Some(Some(v)) = self.cache.get(i) {
                    return Ok(v.clone());
                }
                let v = self.ev(frame, expr)?;
                if i < self.cache.len() && cacheable(&v) {
                    self.cache[i] = Some(v.clone());
                }
                Ok(v)
            }
            ExprKind::Function { sig, args, site } => match sig.imp {
                FunctionImp::Plain(f) => {
                    let a = self.eval_args(frame, args)?;
                    f(&self.ctx, &a).at(e)
                }
                FunctionImp::Binding { ctor_args, new } => {
                    let site = *site as usize;
                    let n = ctor_args.min(args.len());
                    // ES keeps the instance in a field and jumps over the constructor and its
                    // arguments once it exists (`ifNonNull` in `visitInvokeCallMember`; checked on
                    // the engine: a constructor argument failing on a later document is never run).
                    if !matches!(self.bindings.get(site), Some(Some(_))) {
                        let c = self.eval_args(frame, &args[..n])?;
                        let b = new(&self.ctx, &c).at_point(e, e.span, locate::Point::Ctor)?;
                        if self.bindings.len() <= site {
                            self.bindings.resize_with(site + 1, || None);
                        }
                        self.bindings[site] = Some(b);
                    }
                    if n == args.len() {
                        let b = self.bindings[site].as_ref().expect("invariant: binding created above");
                        return b.call(&self.ctx, &[]).at(e);
                    }
                    let rest = self.eval_args(frame, &args[n..])?;
                    let b = self.bindings[site].as_ref().expect("invariant: binding created above");
                    b.call(&self.ctx, &rest).at(e)
                }
            },
            ExprKind::User { func, args } => {
                let a = self.eval_args(frame, args)?;
                self.call_user(*func as usize, a.to_vec(), e)
            }
            ExprKind::NewList(items) => {
                self.ctx.charge_elements(items.len()).at(e)?;
                let mut v = Vec::with_capacity(items.len());
                for x in items {
                    v.push(self.ev(frame, x)?);
                }
                Ok(Value::new_list(v))
            }
            ExprKind::NewMap(entries) => {
                self.ctx.charge_entries(entries.len()).at(e)?;
                let mut m = crate::interp::runtime::hashmap::JavaHashMap::new();
                for (k, v) in entries {
                    let key = self.ev(frame, k)?;
                    let val = self.ev(frame, v)?;
                    m.put(key, val);
                }
                Ok(Value::new_map(m))
            }
            ExprKind::NewSet => {
                Ok(Value::Set(Rc::new(std::cell::RefCell::new(crate::interp::runtime::hashmap::JavaHashMap::new()))))
            }
            ExprKind::NewArray { elem, dims, total_dims } => {
                let mut sizes = Vec::with_capacity(dims.len());
                for d in dims {
                    let n = match self.ev(frame, d)? {
                        Value::Int(n) => n,
                        other => {
                            return Err(fail_at(ops::class_cast(&other, &Ty::INT), d.span, e, locate::Point::After));
                        }
                    };
                    if n < 0 {
                        let err = RuntimeError::new(es_type::NEGATIVE_ARRAY_SIZE, format!("{n}"));
                        return Err(fail_at(err, e.span, e, locate::Point::After));
                    }
                    sizes.push(n as usize);
                }
                access::new_array(elem, &sizes, *total_dims, &self.ctx).at(e)
            }
            ExprKind::NewArrayInit { elem, values } => {
                self.ctx.charge_elements(values.len()).at(e)?;
                let mut v = Vec::with_capacity(values.len());
                for x in values {
                    v.push(self.ev(frame, x)?);
                }
                Ok(Value::new_array(elem.clone(), v))
            }
        }
    }

    /// Evaluates `args` left to right and calls `f` with them: one or two arguments (the common
    /// `Math.max(a, b)`, `list.get(i)`) go straight to the stack without the `Args` buffer.
    /// The outer result is the arguments' failure, the inner one the call's.
    #[inline(always)]
    fn with_args(
        &mut self,
        frame: &mut Frame,
        args: &[Expr],
        f: impl FnOnce(&CallCtx<'a>, &[Value]) -> Result<Value, RuntimeError>,
    ) -> EResult<Result<Value, RuntimeError>> {
        Ok(match args {
            [] => f(&self.ctx, &[]),
            [a] => {
                let x = self.ev(frame, a)?;
                f(&self.ctx, std::slice::from_ref(&x))
            }
            [a, b] => {
                let x = self.ev(frame, a)?;
                let y = self.ev(frame, b)?;
                f(&self.ctx, &[x, y])
            }
            _ => {
                let v = self.eval_args(frame, args)?;
                f(&self.ctx, &v)
            }
        })
    }

    /// Arguments evaluated left to right; up to four live on the stack (no allocation per call).
    fn eval_args(&mut self, frame: &mut Frame, args: &[Expr]) -> EResult<Args> {
        if args.len() <= INLINE_ARGS {
            let mut buf: [Value; INLINE_ARGS] = Default::default();
            for (slot, a) in buf.iter_mut().zip(args) {
                *slot = self.ev(frame, a)?;
            }
            return Ok(Args::Inline(buf, args.len()));
        }
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            out.push(self.ev(frame, a)?);
        }
        Ok(Args::Heap(out))
    }

    fn concat(&self, a: &Value, b: &Value) -> Result<Value, RuntimeError> {
        // Strings are borrowed, not copied, and the result is checked against the caps and the
        // memory budget before it is built: repeated doubling stops at the budget, not past it.
        fn text(v: &Value) -> Result<std::borrow::Cow<'_, str>, RuntimeError> {
            Ok(match v {
                Value::Str(s) => std::borrow::Cow::Borrowed(&**s),
                other => std::borrow::Cow::Owned(ops::to_java_string(other)?),
            })
        }
        let (x, y) = (text(a)?, text(b)?);
        self.ctx.check_string_len(x.len() + y.len())?;
        let mut s = String::with_capacity(x.len() + y.len());
        s.push_str(&x);
        s.push_str(&y);
        Ok(Value::Str(Rc::from(s)))
    }

    fn call_user(&mut self, func: usize, args: Vec<Value>, call: &Expr) -> EResult<Value> {
        if self.depth >= self.limits.max_call_depth {
            return Err(fail_at(RuntimeError::new(es_type::STACK_OVERFLOW, ""), call.span, call, locate::Point::After));
        }
        crate::interp::run::deadline::tick().map_err(|err| fail(err, call.span))?;
        let f = &self.functions[func];
        let mut frame = Frame::new(f.n_slots, self.limits);
        for (i, a) in args.into_iter().enumerate() {
            frame.slots[i] = a;
        }
        self.depth += 1;
        let fallback = default_value(&f.ret);
        let functions = self.functions;
        let body = &functions[func].body;
        // Each invocation gets its body's measured stack (recursion is bounded by max_call_depth).
        let r = crate::interp::stack::with_stack(functions[func].stack, || self.run_body(&mut frame, body, fallback));
        self.depth -= 1;
        // The callee's frame is the innermost script frame ES reads: its position is final.
        r.map_err(|mut f| {
            f.node = 0;
            f
        })
    }

    /// Reads an assignment target; `e` is the assignment (its `Load` instruction).
    fn read_target(&mut self, frame: &mut Frame, t: &Target, e: &Expr) -> EResult<(Value, Option<(Value, Value)>)> {
        use locate::Point::Load;
        match t {
            Target::Local { slot, .. } => Ok((frame.slots[*slot as usize].clone(), None)),
            Target::Index { recv, index, site } => {
                let r = self.ev(frame, recv)?;
                let i = self.ev(frame, index)?;
                let old = match site {
                    None => self.index_get(&r, &i).at_point(e, index.span, Load)?,
                    Some(site) => {
                        let i = self.def_index_normalize(&r, i, &site.args[0]).at_point(
                            e,
                            index.span,
                            locate::Point::Normalize,
                        )?;
                        let old = self
                            .def_index_load(&r, i.clone(), &site.args[0], &Ty::Def)
                            .at_point(e, index.span, Load)?;
                        return Ok((old, Some((r, i))));
                    }
                };
                Ok((old, Some((r, i))))
            }
            Target::Field { recv, name } => {
                let r = self.ev(frame, recv)?;
                let old = self.field_get(&r, name).at_point(e, recv.span, Load)?;
                Ok((old, Some((r, Value::str(name)))))
            }
        }
    }

    fn write_target(
        &mut self,
        frame: &mut Frame,
        t: &Target,
        place: Option<(Value, Value)>,
        v: Value,
        e: &Expr,
    ) -> EResult<()> {
        use locate::Point::Store;
        match (t, place) {
            (Target::Local { slot, .. }, _) => {
                frame.slots[*slot as usize] = v;
                Ok(())
            }
            (Target::Index { site: None, .. }, Some((r, i))) => self.index_set(&r, &i, v).at_point(e, e.span, Store),
            // The index is already normalised (`read_target`).
            (Target::Index { site: Some(site), .. }, Some((r, i))) => {
                self.def_index_store(&r, i, v, site).at_point(e, e.span, Store)
            }
            (Target::Field { name, .. }, Some((r, _))) => self.field_set(&r, name, v).at_point(e, e.span, Store),
            _ => Err(fail(RuntimeError::illegal_state("illegal tree structure"), e.span)),
        }
    }

    fn assign(&mut self, frame: &mut Frame, t: &Target, value: &Expr, e: &Expr) -> EResult<Value> {
        use locate::Point::Store;
        match t {
            Target::Local { slot, .. } => {
                let v = self.ev(frame, value)?;
                frame.slots[*slot as usize] = v.clone();
                Ok(v)
            }
            Target::Index { recv, index, site: None } => {
                let r = self.ev(frame, recv)?;
                let i = self.ev(frame, index)?;
                let v = self.ev(frame, value)?;
                self.index_set(&r, &i, v.clone()).at_point(e, e.span, Store)?;
                Ok(v)
            }
            Target::Index { recv, index, site: Some(site) } => {
                let r = self.ev(frame, recv)?;
                let i = self.ev(frame, index)?;
                // Normalised before the value is evaluated (`callsite.rs`).
                let i =
                    self.def_index_normalize(&r, i, &site.args[0]).at_point(e, index.span, locate::Point::Normalize)?;
                let v = self.ev(frame, value)?;
                self.def_index_store(&r, i, v.clone(), site).at_point(e, e.span, Store)?;
                Ok(v)
            }
            Target::Field { recv, name } => {
                let r = self.ev(frame, recv)?;
                let v = self.ev(frame, value)?;
                self.field_set(&r, name, v.clone()).at_point(e, e.span, Store)?;
                Ok(v)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn compound(
        &mut self,
        frame: &mut Frame,
        t: &Target,
        op: crate::interp::ir::BinOp,
        concat: bool,
        value: &Expr,
        back: &Back,
        e: &Expr,
    ) -> EResult<Value> {
        use locate::Point::{Back as BackPoint, Op};
        let (old, place) = self.read_target(frame, t, e)?;
        let rhs = self.ev(frame, value)?;
        let is_str = ops::is_concatenation(&old, &rhs);
        let result = if concat || (*back == Back::RuntimeClass && op == crate::interp::ir::BinOp::Add && is_str) {
            self.concat(&old, &rhs).at_point(e, e.span, Op)?
        } else {
            let r = ops::binary(op, &old, &rhs).at_point(e, e.span, Op)?;
            back_convert(r, &old, back).at_point(e, e.span, BackPoint)?
        };
        self.write_target(frame, t, place, result.clone(), e)?;
        Ok(result)
    }

    fn inc_dec(
        &mut self,
        frame: &mut Frame,
        t: &Target,
        inc: bool,
        prefix: bool,
        back: &Back,
        e: &Expr,
    ) -> EResult<Value> {
        use locate::Point::{Back as BackPoint, Op};
        let (old, place) = self.read_target(frame, t, e)?;
        let op = if inc { crate::interp::ir::BinOp::Add } else { crate::interp::ir::BinOp::Sub };
        // `x++` is `x += 1`: on a `def` String it concatenates (checked on the engine: 'a' → "a1").
        let new = if inc && *back == Back::RuntimeClass && matches!(old, Value::Str(_)) {
            self.concat(&old, &Value::Int(1)).at_point(e, e.span, Op)?
        } else {
            let r = ops::binary(op, &old, &Value::Int(1)).at_point(e, e.span, Op)?;
            back_convert(r, &old, back).at_point(e, e.span, BackPoint)?
        };
        self.write_target(frame, t, place, new.clone(), e)?;
        Ok(if prefix { new } else { old })
    }
}

/// A compound assignment's result converted back to the target's type (shared with the batch path).
pub(crate) fn back_convert(r: Value, old: &Value, back: &Back) -> Result<Value, RuntimeError> {
    match back {
        Back::Prim(p) => ops::prim_cast(&r, *p),
        Back::RuntimeClass => match old.prim() {
            Some(p) if p.is_numeric() => ops::prim_cast(&r, p),
            _ => Ok(r),
        },
        Back::None => Ok(r),
    }
}

/// ES points member-access errors at the `.` (or `?.`) after the receiver.
fn dot(recv: &Expr) -> Span {
    Span { start: recv.span.end, end: recv.span.end + 1 }
}

pub(crate) const INLINE_ARGS: usize = 4;

/// Evaluated call arguments.
enum Args {
    Inline([Value; INLINE_ARGS], usize),
    Heap(Vec<Value>),
}

impl std::ops::Deref for Args {
    type Target = [Value];
    fn deref(&self) -> &[Value] {
        match self {
            Args::Inline(buf, n) => &buf[..*n],
            Args::Heap(v) => v,
        }
    }
}

/// Values a `Cached` node may keep: primitives, and objects that re-evaluation would return
/// again (elements read out of params or hoisted collections); see `compile/hoist.rs`.
fn cacheable(v: &Value) -> bool {
    !matches!(v, Value::MapView(..) | Value::MapEntry(_) | Value::Set(_) | Value::Doc | Value::DocField(_))
}

/// The value a function returns when control falls off its end.
pub fn default_value(t: &Ty) -> Value {
    match t {
        Ty::Prim(p) => match p {
            crate::interp::runtime::types::Prim::Boolean => Value::Bool(false),
            crate::interp::runtime::types::Prim::Byte => Value::Byte(0),
            crate::interp::runtime::types::Prim::Short => Value::Short(0),
            crate::interp::runtime::types::Prim::Char => Value::Char(0),
            crate::interp::runtime::types::Prim::Int => Value::Int(0),
            crate::interp::runtime::types::Prim::Long => Value::Long(0),
            crate::interp::runtime::types::Prim::Float => Value::Float(0.0),
            crate::interp::runtime::types::Prim::Double => Value::Double(0.0),
        },
        _ => Value::Null,
    }
}
