//! Where ES says a run-time exception happened.
//!
//! Painless compiles a script to JVM bytecode and records source offsets as JVM line numbers:
//! `MethodWriter.writeDebugInfo(location)` emits a label and `visitLineNumber(offset + 1, label)`
//! (ES `modules/lang-painless/.../MethodWriter.java`; OpenSearch 2.x does the same from each
//! `ir/*Node.write`). `PainlessScript.convertToScriptException` reads the line number of the
//! innermost script frame of the exception's stack trace, so the reported offset is the **last
//! debug-info mark placed before the throwing instruction in code order** (the JVM looks up the
//! line-number entry with the greatest start pc not after the instruction), not the node that threw.
//! Code order differs from execution order at branches: in `l.get(c ? 1 : m.size())` with `c` true
//! the engine still points at `.size`, the last mark laid out before the `get` call.
//!
//! Marks, from `phase/DefaultIRTreeToASMBytesPhase.java` (ES 8.x) and `ir/*Node.java` (OpenSearch):
//! - *before* evaluating children, at the node's start: binary math, string concatenation, `&&`/`||`,
//!   comparisons, unary math, `?:`, `?:` elvis, list/map initialisers, `new` objects and arrays,
//!   calls (`InvokeCall`: the `.`; `InvokeCallDef`: the `.`; local and imported functions: the
//!   name), null-safe `?.`;
//! - *after* the receiver/index, right before the instruction: field and shortcut loads
//!   (`LoadDot*`, `LoadListShortcut`, `LoadMapShortcut`, `LoadBrace*`: the `.` or `[`), and every
//!   store (`Store*`: after the value);
//! - casts (`CastNode`) mark *after* their child, at the child's location. Casts ES folds into a
//!   `def` operation emit none: `def` binary/unary results are typed to their target, and `def`
//!   calls, loads and brace loads too unless the cast is explicit;
//! - loops mark their own start with the loop counter check (`writeLoopCounter`). Statements only
//!   record their start for the snippet window (`writeStatementOffset`): no mark.
//!
//! Locations follow the parser: a binary/ternary/cast expression starts at its first token, a call
//! or field access at its `.`, a brace access at its `[`.
//!
//! Marks that land on one bytecode offset (nothing emitted between them) are all in the table, and
//! when the throwing instruction sits exactly there HotSpot's `line_number_from_bci` returns the
//! *first* of them. A reference cast to `def`/Object emits a mark and no instruction, so in
//! `m['a']` on a null map (the String key cast to `def`, then the load's mark and the call) the
//! engine points at the key, and in `l[5] = 'x'` at the value; an int key or value is boxed by an
//! instruction and the `[` wins. The IR has no such cast nodes: map brace loads are placed at the
//! key for receivers known to be maps (`doc`, `params`, map literals).
//!
//! The snippet (`position.start`/`end`) runs from the statement holding the mark to the next
//! statement start in source order (`getNextStatement`), which may be nested (an `if`'s body).
//!
//! The evaluator records, for each failure, the IR node whose instruction threw and which of that
//! node's instructions it was ([`Point`]); `locate` replays the emission order over the enclosing
//! statements (or expression) on the error path only, so evaluation pays nothing for it.
//! Checked on the embedded OpenSearch node by tests/engine/error_positions.rs (its fixtures list the known
//! gaps): locals carry no static type in the IR, so a `def` local used as a compound assignment's
//! value, or a `Map` local's brace load, is placed as a typed / `def` one would be; when no mark
//! precedes the instruction in the whole method ES prints `<<< unknown portion of script >>>`,
//! locally the node's own position stays.

use super::Fail;
use crate::interp::ir::{Back, Conv, Expr, ExprKind, Part, Stmt, StmtKind, Target};
use crate::interp::runtime::types::Ty;
use crate::interp::runtime::value::Value;
use crate::painless::Span;

/// Which instruction of a node threw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Point {
    /// The node's own instruction, after all its children (calls, loads, operators, casts).
    After,
    /// Compound assignment / `++`: reading the target.
    Load,
    /// Compound assignment / `++`: the operator.
    Op,
    /// Compound assignment / `++`: the conversion back to the target's type.
    Back,
    /// Assignment: writing the target.
    Store,
    /// A `def` brace access (load, store or compound): the index normalisation, after the receiver
    /// and index and before any value (`callsite.rs`).
    Normalize,
    /// Class binding: the constructor, after the constructor arguments.
    Ctor,
    /// for-each: `iterator()`/element casts after the iterable expression (no mark of their own).
    Iterate,
}

/// Replays ES's emission order until the failing instruction.
struct Locator<'c> {
    consts: &'c [Value],
    node: usize,
    point: Point,
    loop_counter: bool,
    /// The innermost statement being walked (its window).
    stmt: Option<Span>,
    /// The last mark: its offset and the statement it belongs to.
    last: Option<(u32, Option<Span>)>,
}

impl Locator<'_> {
    fn mark(&mut self, offset: u32) {
        self.last = Some((offset, self.stmt));
    }

    fn at(&self, e: &Expr, point: Point) -> bool {
        self.node == e as *const Expr as usize && self.point == point
    }

    fn stmts(&mut self, stmts: &[Stmt]) -> bool {
        stmts.iter().any(|s| self.stmt(s))
    }

    fn stmt(&mut self, s: &Stmt) -> bool {
        let saved = self.stmt;
        if !matches!(s.kind, StmtKind::Block(_)) {
            self.stmt = Some(s.span);
        }
        let found = match &s.kind {
            StmtKind::Expr(e) | StmtKind::Store(_, e) | StmtKind::Return(Some(e)) => self.expr(e),
            StmtKind::If(c, t, o) => self.expr(c) || self.stmts(t) || self.stmts(o),
            StmtKind::Loop { cond, update, body, is_do: false } => {
                cond.as_ref().is_some_and(|c| self.expr(c))
                    || {
                        self.counter(s);
                        false
                    }
                    || self.stmts(body)
                    || update.iter().any(|u| self.expr(u))
            }
            StmtKind::Loop { cond, body, is_do: true, .. } => {
                self.stmts(body) || cond.as_ref().is_some_and(|c| self.expr(c)) || {
                    self.counter(s);
                    false
                }
            }
            StmtKind::ForEach { iterable, body, .. } => {
                self.expr(iterable) || self.at(iterable, Point::Iterate) || self.stmts(body)
            }
            StmtKind::Block(b) => self.stmts(b),
            StmtKind::Break | StmtKind::Continue | StmtKind::Return(None) => false,
        };
        self.stmt = saved;
        found
    }

    /// `writeLoopCounter` marks the loop's own location before its check.
    fn counter(&mut self, s: &Stmt) {
        if self.loop_counter {
            self.mark(s.span.start);
        }
    }

    fn all(&mut self, es: &[Expr]) -> bool {
        es.iter().any(|e| self.expr(e))
    }

    fn expr(&mut self, e: &Expr) -> bool {
        let start = e.span.start;
        match &e.kind {
            ExprKind::Const(_) | ExprKind::Local(_) | ExprKind::Params | ExprKind::Doc | ExprKind::Score => false,
            ExprKind::StaticField(sig) => {
                self.mark(start + sig.class.len() as u32);
                false
            }
            ExprKind::Convert(x, conv) => {
                if self.expr(x) {
                    return true;
                }
                if cast_marks(x, conv) {
                    self.mark(location(x));
                }
                self.at(e, Point::After)
            }
            ExprKind::Binary(_, a, b) | ExprKind::Concat(a, b) | ExprKind::DefAdd(a, b) => {
                self.mark(start);
                self.expr(a) || self.expr(b) || self.at(e, Point::After)
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) | ExprKind::Elvis(a, b) => {
                self.mark(start);
                self.expr(a) || self.expr(b)
            }
            ExprKind::Eq { lhs, rhs, .. } => {
                self.mark(start);
                self.expr(lhs) || self.expr(rhs) || self.at(e, Point::After)
            }
            ExprKind::Unary(_, x) => {
                self.mark(start);
                self.expr(x) || self.at(e, Point::After)
            }
            ExprKind::Conditional(c, a, b) => {
                self.mark(start);
                self.expr(c) || self.expr(a) || self.expr(b)
            }
            ExprKind::Instanceof(x, _) => self.expr(x),
            ExprKind::Index(r, i, site) => {
                if self.expr(r) || self.expr(i) {
                    return true;
                }
                // A `def` brace access normalises its index first, with no mark of its own.
                if site.is_some() && self.at(e, Point::Normalize) {
                    return true;
                }
                // A map's key is cast to `def` (a mark, no instruction) right before the load's
                // mark and call: the engine reports the key (see the module comment).
                // A primitive key is boxed by an instruction: then the load's own `[` wins.
                let boxed_key = matches!(i.kind, ExprKind::Const(c) if self.consts.get(c as usize).is_some_and(|v| v.prim().is_some()));
                self.mark(if map_receiver(r) && !boxed_key { location(i) } else { r.span.end });
                self.at(e, Point::After)
            }
            ExprKind::DynField { recv, .. } | ExprKind::Field { recv, .. } => {
                if self.expr(recv) {
                    return true;
                }
                self.mark(recv.span.end);
                self.at(e, Point::After)
            }
            ExprKind::Method { recv, args, .. } | ExprKind::DynMethod { recv, args, .. } => {
                if self.expr(recv) {
                    return true;
                }
                self.mark(recv.span.end);
                self.all(args) || self.at(e, Point::After)
            }
            ExprKind::Static { sig, args } => {
                self.mark(start + sig.class.len() as u32);
                self.all(args) || self.at(e, Point::After)
            }
            ExprKind::Function { sig, args, .. } => {
                self.mark(start);
                let n = match sig.imp {
                    crate::interp::stdlib::registry::FunctionImp::Binding { ctor_args, .. } => {
                        ctor_args.min(args.len())
                    }
                    crate::interp::stdlib::registry::FunctionImp::Plain(_) => 0,
                };
                self.all(&args[..n]) || self.at(e, Point::Ctor) || self.all(&args[n..]) || self.at(e, Point::After)
            }
            ExprKind::User { args, .. } => {
                self.mark(start);
                self.all(args) || self.at(e, Point::After)
            }
            ExprKind::NewList(items) | ExprKind::NewArrayInit { values: items, .. } => {
                self.mark(start);
                self.all(items)
            }
            ExprKind::NewMap(entries) => {
                self.mark(start);
                entries.iter().any(|(k, v)| self.expr(k) || self.expr(v))
            }
            ExprKind::NewSet => {
                self.mark(start);
                false
            }
            ExprKind::NewArray { dims, .. } => {
                self.mark(start);
                self.all(dims) || self.at(e, Point::After)
            }
            ExprKind::Cached { expr, .. } => self.expr(expr),
            ExprKind::Assign { target, value } => match target {
                Target::Local { .. } => self.expr(value),
                Target::Index { recv, index, site } => {
                    if self.expr(recv) || self.expr(index) {
                        return true;
                    }
                    if site.is_some() && self.at(e, Point::Normalize) || self.expr(value) {
                        return true;
                    }
                    self.mark(recv.span.end);
                    self.at(e, Point::Store)
                }
                Target::Field { recv, .. } => {
                    if self.expr(recv) || self.expr(value) {
                        return true;
                    }
                    self.mark(recv.span.end);
                    self.at(e, Point::Store)
                }
            },
            ExprKind::Compound { target, value, back, .. } => {
                let boxed = *back == Back::RuntimeClass && !def_typed(value);
                self.compound(e, target, Some((value, boxed)))
            }
            // `x++` is `x += 1` with no value code of its own.
            ExprKind::IncDec { target, .. } => self.compound(e, target, None),
        }
    }

    /// ES builds `t op= v` (and `t++`, with the constant 1) as the store node of `t` whose value
    /// is a binary node at the store's location: the load of `t` (marked), `v` (cast to `def`,
    /// and so marked at `v`, when the target is `def` and `v` is not: `boxed`), the operator, an
    /// optional downcast (marked), then the store (marked).
    fn compound(&mut self, e: &Expr, target: &Target, value: Option<(&Expr, bool)>) -> bool {
        let loc = match target {
            Target::Local { .. } => e.span.start,
            Target::Index { recv, index, site } => {
                if self.expr(recv) || self.expr(index) || site.is_some() && self.at(e, Point::Normalize) {
                    return true;
                }
                recv.span.end
            }
            Target::Field { recv, .. } => {
                if self.expr(recv) {
                    return true;
                }
                recv.span.end
            }
        };
        let local = matches!(target, Target::Local { .. });
        self.mark(loc);
        if !local {
            self.mark(loc);
        }
        if self.at(e, Point::Load) {
            return true;
        }
        if let Some((v, boxed)) = value {
            if self.expr(v) {
                return true;
            }
            if boxed {
                self.mark(location(v));
            }
        }
        if self.at(e, Point::Op) {
            return true;
        }
        self.mark(loc);
        if self.at(e, Point::Back) {
            return true;
        }
        if !local {
            self.mark(loc);
        }
        self.at(e, Point::Store)
    }
}

/// ES's location for an expression: calls and field loads at their `.`, brace access at `[`,
/// static members after the class name, everything else at its first token.
fn location(e: &Expr) -> u32 {
    match &e.kind {
        ExprKind::DynField { recv, .. }
        | ExprKind::Field { recv, .. }
        | ExprKind::Method { recv, .. }
        | ExprKind::DynMethod { recv, .. }
        | ExprKind::Index(recv, ..) => recv.span.end,
        ExprKind::Static { sig, .. } => e.span.start + sig.class.len() as u32,
        ExprKind::StaticField(sig) => e.span.start + sig.class.len() as u32,
        ExprKind::Convert(x, _) | ExprKind::Cached { expr: x, .. } => location(x),
        _ => e.span.start,
    }
}

/// Receivers statically known to be a `Map` (locals carry no type in the IR: a `Map` local is taken
/// for a `def` one).
fn map_receiver(r: &Expr) -> bool {
    match &r.kind {
        ExprKind::Doc | ExprKind::Params | ExprKind::NewMap(_) => true,
        ExprKind::Cached { expr, .. } => map_receiver(expr),
        _ => false,
    }
}

/// Whether an expression is statically `def` (as far as the IR tells: locals carry no type here
/// and count as typed).
fn def_typed(e: &Expr) -> bool {
    match &e.kind {
        // A `def` site typed to its target (`callsite.rs`) is no longer `def`.
        ExprKind::DynField { site: Some(site), .. }
        | ExprKind::DynMethod { site, .. }
        | ExprKind::Index(_, _, Some(site)) => site.ret.is_def(),
        ExprKind::DynField { .. } | ExprKind::Index(..) | ExprKind::DefAdd(..) => true,
        ExprKind::Method { sig, .. } => sig.ret == Ty::Def,
        ExprKind::Field { sig, .. } => sig.ty == Ty::Def,
        ExprKind::Cached { expr, .. } => def_typed(expr),
        _ => false,
    }
}

/// Whether ES emits a `CastNode` (and so a mark) for this conversion. A `def` result of math is
/// typed to its target (`DefaultSemanticAnalysisPhase.visitBinary`/`visitUnary`), and so is a
/// `def` call unless the cast is explicit (`visitCall`, `visitDot`, `visitBrace`); the conversion
/// then happens inside the `invokedynamic` and there is no cast node.
fn cast_marks(x: &Expr, conv: &Conv) -> bool {
    match conv {
        Conv::DefOpResult(_) => false,
        Conv::DefImplicit(_) | Conv::DefExplicit(_) => match &x.kind {
            ExprKind::Binary(..) | ExprKind::Unary(..) | ExprKind::DefAdd(..) => false,
            ExprKind::DynMethod { .. } | ExprKind::DynField { .. } => matches!(conv, Conv::DefExplicit(_)),
            _ => true,
        },
        _ => true,
    }
}

impl Fail {
    /// Replace the throwing node's span by ES's position, replaying `root`: the statements of a
    /// block up to and including the failing one. Leaves the failure unresolved when no mark
    /// precedes the instruction within `root` (an enclosing block may still hold one).
    pub(crate) fn locate_in(&mut self, root: &[Stmt], consts: &[Value], loop_counter: bool) {
        let mut l = self.locator(consts, loop_counter);
        if l.stmts(root) {
            self.settle(&l);
        }
    }

    /// The same for a lone expression evaluated outside any statement.
    pub(crate) fn locate_in_expr(&mut self, root: &Expr, consts: &[Value]) {
        let mut l = self.locator(consts, false);
        if l.expr(root) {
            self.settle(&l);
        }
    }

    fn locator<'c>(&self, consts: &'c [Value], loop_counter: bool) -> Locator<'c> {
        Locator { consts, node: self.node, point: self.point, loop_counter, stmt: None, last: None }
    }

    fn settle(&mut self, l: &Locator<'_>) {
        if let Some((offset, stmt)) = l.last {
            // Keep the node's own span when the mark is its start (a wider underline for humans).
            if offset != self.span.start {
                self.span = Span { start: offset, end: offset + 1 };
            }
            if stmt.is_some() && stmt != self.stmt {
                self.stmt = stmt;
                self.end_final = false;
            }
            self.node = 0;
        }
    }
}

/// The throwing node's own position, used when no mark precedes it: member accesses at their
/// `.`, everything else at the node's span.
pub(crate) fn own_span(e: &Expr) -> Span {
    match &e.kind {
        ExprKind::DynField { recv, .. }
        | ExprKind::Field { recv, .. }
        | ExprKind::Method { recv, .. }
        | ExprKind::DynMethod { recv, .. } => Span { start: recv.span.end, end: recv.span.end + 1 },
        _ => e.span,
    }
}

/// The first statement start after `after` among `stmts` and everything nested in them: ES ends a
/// runtime error's snippet at the next statement in source order (`getNextStatement`), which may
/// be nested (an `if`'s body) or outside the failing statement's block.
pub(crate) fn next_statement_start(stmts: &[Stmt], after: u32) -> Option<u32> {
    let mut best: Option<u32> = None;
    let mut consider = |start: u32| {
        if start > after && best.is_none_or(|b| start < b) {
            best = Some(start);
        }
    };
    fn walk(stmts: &[Stmt], f: &mut dyn FnMut(u32)) {
        for s in stmts {
            if !matches!(s.kind, StmtKind::Block(_)) {
                f(s.span.start);
            }
            s.for_each_part(&mut |part| {
                if let Part::Stmt(nested) = part {
                    walk(std::slice::from_ref(nested), f);
                }
            });
        }
    }
    walk(stmts, &mut consider);
    best
}
