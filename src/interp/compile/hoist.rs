//! Per-user hoisting, in two parts.
//!
//! **Invariant prefix.** The leading statements of a score/sort script that read only params and
//! constants (typically: mean-pool `params.user_vector` into a local) give the same result for
//! every document of a user, so `Program::bind` runs them once and `Program::eval` resumes after
//! them with the saved slots and the saved loop counter. Observable behaviour is unchanged:
//! - the prefix may not touch `doc`, `_score`, context functions or user functions, may not
//!   `return`, and may mutate only collections it created itself;
//! - the rest of the script may only *read* the hoisted locals (no writes, no mutating calls, no
//!   aliasing into other variables or collections), so every document sees the same values;
//! - the loop counter the prefix consumed is carried over, and an error raised by the prefix is
//!   re-raised by every `eval`, exactly where ES would raise it (before anything else happens).
//! - only the slots still in scope after the prefix (its top-level declarations) are protected:
//!   the checker reuses the slots of variables whose scope ended (a loop's `sum`, `d`), and a
//!   later declaration in the rest of the script may take them over.
//!
//! **Invariant expressions** (`cache_invariants`). In the rest of the script, a maximal
//! subexpression whose value depends only on params, constants and hoisted locals (e.g.
//! `params.user_vector[3]`, `u.size() > 3`, `Math.log(params.w)`) is wrapped in
//! `ExprKind::Cached`: the first time it is *reached* for a user it is evaluated as usual, and
//! when that succeeds its value is kept for the user's later documents. Soundness:
//! - it is evaluated at the same program point as before, so an error (e.g. `u[5]` on a user with
//!   three rows) is raised exactly where and when ES raises it; an error is never cached, so the
//!   next document evaluates (and raises) again;
//! - it is only done when the rest of the script can mutate nothing reachable from params or the
//!   hoisted locals (no writes through a collection, no mutating or unknown methods, no user
//!   functions, no `Collections` statics), so re-evaluating would give the same value;
//! - the expressions are side-effect free (no assignment, no allocation of a collection or string
//!   that escapes: cached results are primitives, or elements read out of existing collections,
//!   which re-evaluation would return as the very same object), and expressions never consume
//!   the loop counter (only loop statements do), so the counter is unchanged;
//! - `cosineSimilarity(pooled, 'f')`-style class bindings do not evaluate their constructor
//!   arguments after the first call (as ES, which jumps over them once the instance exists).

use crate::interp::ir::{Expr, ExprKind, Part, PartMut, Slot, Stmt, StmtKind, Target};
use std::collections::HashSet;

/// Methods that never mutate their receiver or arguments.
pub(crate) const READ_ONLY_METHODS: &[&str] = &[
    "size",
    "get",
    "getLength",
    "length",
    "isEmpty",
    "getEmpty",
    "containsKey",
    "containsValue",
    "contains",
    "indexOf",
    "lastIndexOf",
    "equals",
    "hashCode",
    "toString",
    "compareTo",
    "substring",
    "charAt",
    "startsWith",
    "endsWith",
    "toLowerCase",
    "toUpperCase",
    "trim",
    "intValue",
    "longValue",
    "doubleValue",
    "floatValue",
    "getKey",
    "getValue",
    "keySet",
    "values",
    "entrySet",
    "getOrDefault",
    "sum",
    "splitOnToken",
];

/// Methods that mutate their receiver (allowed in the prefix on collections it created).
const MUTATING_METHODS: &[&str] = &["add", "put", "set", "remove", "clear", "addAll", "putAll", "removeIf", "sort"];

/// How many leading statements of `body` are per-user invariant and safe to hoist.
pub fn invariant_prefix(body: &[Stmt]) -> usize {
    let mut fresh: HashSet<Slot> = HashSet::new();
    let mut written: HashSet<Slot> = HashSet::new();
    let mut n = 0;
    for s in body {
        if !stmt_ok(s, &mut fresh, &mut written) {
            break;
        }
        n += 1;
    }
    if n == 0 || n == body.len() {
        return 0;
    }
    // The longest invariant prefix whose locals the rest only reads. A common pattern declares an
    // accumulator (`double score = 0.0;`, invariant on its own) right after the pooling and assigns
    // it per document: all-or-nothing gave up the whole prefix for it (a real script ran 31× slower
    // locally). Any shorter prefix is as sound as the longest: its statements are the same ones,
    // checked in the same order, and the statements it leaves out are checked as part of the rest.
    (1..=n).rev().find(|&k| body[k..].iter().all(|s| suffix_stmt_ok(s, &live_slots(&body[..k])))).unwrap_or(0)
}

/// The slots declared at the top level of `prefix`: still in scope after it. A multi-variable
/// declaration lowers to a block of stores, which opens no scope; any other block (`{ }`, a
/// `for` with its initialiser) does, so its slots are dead afterwards. Counting a block of
/// stores as live is conservative when it was a `{ int x = 1; }` block statement.
pub fn live_slots(prefix: &[Stmt]) -> HashSet<Slot> {
    let mut live = HashSet::new();
    for s in prefix {
        match &s.kind {
            StmtKind::Store(slot, _) => {
                live.insert(*slot);
            }
            StmtKind::Block(b) if b.iter().all(|x| matches!(x.kind, StmtKind::Store(..))) => {
                live.extend(b.iter().filter_map(|x| match x.kind {
                    StmtKind::Store(slot, _) => Some(slot),
                    _ => None,
                }));
            }
            _ => {}
        }
    }
    live
}

fn stmt_ok(s: &Stmt, fresh: &mut HashSet<Slot>, written: &mut HashSet<Slot>) -> bool {
    match &s.kind {
        StmtKind::Expr(e) => expr_ok(e, fresh, written),
        StmtKind::Store(slot, e) => {
            if !expr_ok(e, fresh, written) {
                return false;
            }
            if matches!(
                e.kind,
                ExprKind::NewList(_)
                    | ExprKind::NewMap(_)
                    | ExprKind::NewArray { .. }
                    | ExprKind::NewArrayInit { .. }
                    | ExprKind::NewSet
            ) {
                fresh.insert(*slot);
            } else {
                fresh.remove(slot);
            }
            written.insert(*slot);
            true
        }
        StmtKind::If(c, t, o) => {
            expr_ok(c, fresh, written) && block_ok(t, fresh, written) && block_ok(o, fresh, written)
        }
        StmtKind::Loop { cond, update, body, .. } => {
            cond.as_ref().is_none_or(|c| expr_ok(c, fresh, written))
                && update.iter().all(|u| expr_ok(u, fresh, written))
                && block_ok(body, fresh, written)
        }
        StmtKind::ForEach { slot, iterable, body, .. } => {
            written.insert(*slot);
            fresh.remove(slot);
            expr_ok(iterable, fresh, written) && block_ok(body, fresh, written)
        }
        StmtKind::Break | StmtKind::Continue => true,
        StmtKind::Return(_) => false,
        StmtKind::Block(b) => block_ok(b, fresh, written),
    }
}

fn block_ok(b: &[Stmt], fresh: &mut HashSet<Slot>, written: &mut HashSet<Slot>) -> bool {
    b.iter().all(|s| stmt_ok(s, fresh, written))
}

fn target_ok(t: &Target, fresh: &mut HashSet<Slot>, written: &mut HashSet<Slot>) -> bool {
    match t {
        Target::Local { slot, .. } => {
            written.insert(*slot);
            fresh.remove(slot);
            true
        }
        Target::Index { recv, index, .. } => is_fresh_local(recv, fresh) && expr_ok(index, fresh, written),
        Target::Field { recv, .. } => is_fresh_local(recv, fresh),
    }
}

fn is_fresh_local(e: &Expr, fresh: &HashSet<Slot>) -> bool {
    matches!(e.kind, ExprKind::Local(s) if fresh.contains(&s))
}

fn expr_ok(e: &Expr, fresh: &mut HashSet<Slot>, written: &mut HashSet<Slot>) -> bool {
    use ExprKind as K;
    match &e.kind {
        K::Doc | K::Score | K::Function { .. } | K::User { .. } | K::Cached { .. } => false,
        K::Assign { target, value } => expr_ok(value, fresh, written) && target_ok(target, fresh, written),
        K::Compound { target, value, .. } => expr_ok(value, fresh, written) && target_ok(target, fresh, written),
        K::IncDec { target, .. } => target_ok(target, fresh, written),
        K::Method { recv, sig, args, .. } => call_ok(recv, sig.name, args, fresh, written),
        K::DynMethod { recv, name, args, .. } => call_ok(recv, name, args, fresh, written),
        // Everything else is fine when its parts are, in evaluation order.
        _ => {
            let mut ok = true;
            e.for_each_child(&mut |x| ok = ok && expr_ok(x, fresh, written));
            ok
        }
    }
}

fn call_ok(recv: &Expr, name: &str, args: &[Expr], fresh: &mut HashSet<Slot>, written: &mut HashSet<Slot>) -> bool {
    let receiver_ok = if READ_ONLY_METHODS.contains(&name) {
        expr_ok(recv, fresh, written)
    } else if MUTATING_METHODS.contains(&name) {
        is_fresh_local(recv, fresh)
    } else {
        false
    };
    receiver_ok && args.iter().all(|a| expr_ok(a, fresh, written))
}

/// In the rest of the script, hoisted slots may only be read.
fn suffix_stmt_ok(s: &Stmt, hoisted: &HashSet<Slot>) -> bool {
    match &s.kind {
        StmtKind::Expr(e) => suffix_expr_ok(e, hoisted, false),
        StmtKind::Store(slot, e) => !hoisted.contains(slot) && suffix_expr_ok(e, hoisted, true),
        StmtKind::If(c, t, o) => {
            suffix_expr_ok(c, hoisted, false) && t.iter().chain(o).all(|s| suffix_stmt_ok(s, hoisted))
        }
        StmtKind::Loop { cond, update, body, .. } => {
            cond.as_ref().is_none_or(|c| suffix_expr_ok(c, hoisted, false))
                && update.iter().all(|u| suffix_expr_ok(u, hoisted, false))
                && body.iter().all(|s| suffix_stmt_ok(s, hoisted))
        }
        StmtKind::ForEach { slot, iterable, body, .. } => {
            !hoisted.contains(slot)
                && suffix_expr_ok(iterable, hoisted, false)
                && body.iter().all(|s| suffix_stmt_ok(s, hoisted))
        }
        StmtKind::Break | StmtKind::Continue => true,
        StmtKind::Return(v) => v.as_ref().is_none_or(|e| suffix_expr_ok(e, hoisted, true)),
        StmtKind::Block(b) => b.iter().all(|s| suffix_stmt_ok(s, hoisted)),
    }
}

/// `escapes`: the value of `e` flows somewhere it could be mutated later (a variable, a
/// collection, a user function); a bare hoisted reference may not appear there.
fn suffix_expr_ok(e: &Expr, hoisted: &HashSet<Slot>, escapes: bool) -> bool {
    use ExprKind as K;
    let ok = |x: &Expr, esc: bool| suffix_expr_ok(x, hoisted, esc);
    match &e.kind {
        K::Local(s) => !(escapes && hoisted.contains(s)),
        K::Const(_) | K::Params | K::Doc | K::Score | K::StaticField(_) | K::NewSet => true,
        K::Convert(x, _) | K::Cached { expr: x, .. } => ok(x, escapes),
        K::Unary(_, x) | K::Instanceof(x, _) => ok(x, false),
        K::Binary(_, a, b) | K::Concat(a, b) | K::DefAdd(a, b) | K::And(a, b) | K::Or(a, b) => {
            ok(a, false) && ok(b, false)
        }
        K::Index(a, b, _) => ok(a, false) && ok(b, false),
        K::Elvis(a, b) => ok(a, escapes) && ok(b, escapes),
        K::Eq { lhs, rhs, .. } => ok(lhs, false) && ok(rhs, false),
        K::Conditional(c, a, b) => ok(c, false) && ok(a, escapes) && ok(b, escapes),
        K::Assign { target, value } => suffix_target_ok(target, hoisted) && ok(value, true),
        K::Compound { target, value, .. } => suffix_target_ok(target, hoisted) && ok(value, false),
        K::IncDec { target, .. } => suffix_target_ok(target, hoisted),
        K::DynField { recv, .. } | K::Field { recv, .. } => ok(recv, false),
        K::Method { recv, sig, args, .. } => suffix_call_ok(recv, sig.name, args, hoisted),
        K::DynMethod { recv, name, args, .. } => suffix_call_ok(recv, name, args, hoisted),
        // Context functions (vector and score functions) read their arguments only.
        K::Static { args, .. } | K::Function { args, .. } => args.iter().all(|a| ok(a, false)),
        K::User { args, .. } | K::NewList(args) | K::NewArrayInit { values: args, .. } => {
            args.iter().all(|a| ok(a, true))
        }
        K::NewArray { dims, .. } => dims.iter().all(|a| ok(a, false)),
        K::NewMap(entries) => entries.iter().all(|(k, v)| ok(k, true) && ok(v, true)),
    }
}

fn suffix_target_ok(t: &Target, hoisted: &HashSet<Slot>) -> bool {
    match t {
        Target::Local { slot, .. } => !hoisted.contains(slot),
        Target::Index { recv, index, .. } => {
            suffix_expr_ok(recv, hoisted, true) && suffix_expr_ok(index, hoisted, false)
        }
        Target::Field { recv, .. } => suffix_expr_ok(recv, hoisted, true),
    }
}

fn suffix_call_ok(recv: &Expr, name: &str, args: &[Expr], hoisted: &HashSet<Slot>) -> bool {
    let recv_escapes = !READ_ONLY_METHODS.contains(&name);
    suffix_expr_ok(recv, hoisted, recv_escapes) && args.iter().all(|a| suffix_expr_ok(a, hoisted, true))
}

/// Wraps the maximal per-user invariant subexpressions of `suffix` (the statements `eval` runs
/// per document) in `ExprKind::Cached`, numbering the caches from 0; returns how many there are.
/// `hoisted`: the live slots of the hoisted prefix (read-only in the suffix). Does nothing when
/// the suffix could mutate state an invariant expression reads (see the module comment).
pub fn cache_invariants(suffix: &mut [Stmt], hoisted: &HashSet<Slot>) -> u32 {
    if !suffix.iter().all(stmt_mutates_nothing_shared) {
        return 0;
    }
    let mut next = 0u32;
    for s in suffix.iter_mut() {
        cache_stmt(s, hoisted, &mut next);
    }
    next
}

/// No write through a collection, no mutating or unknown method, no user function, no
/// `Collections` static anywhere in the statement: writes only go to locals.
fn stmt_mutates_nothing_shared(s: &Stmt) -> bool {
    let mut pure = true;
    s.for_each_part(&mut |part| {
        pure = pure
            && match part {
                Part::Expr(e) => expr_mutates_nothing_shared(e),
                Part::Stmt(s) => stmt_mutates_nothing_shared(s),
            }
    });
    pure
}

fn expr_mutates_nothing_shared(e: &Expr) -> bool {
    use ExprKind as K;
    let own = match &e.kind {
        // Writes only to locals.
        K::Assign { target, .. } | K::Compound { target, .. } | K::IncDec { target, .. } => {
            matches!(target, Target::Local { .. })
        }
        K::Method { sig, .. } => READ_ONLY_METHODS.contains(&sig.name),
        K::DynMethod { name, .. } => READ_ONLY_METHODS.contains(&name.as_str()),
        K::Static { sig, .. } => sig.class != "Collections",
        K::User { .. } => false,
        _ => true,
    };
    let mut pure = own;
    e.for_each_child(&mut |x| pure = pure && expr_mutates_nothing_shared(x));
    pure
}

fn cache_stmt(s: &mut Stmt, hoisted: &HashSet<Slot>, next: &mut u32) {
    s.for_each_part_mut(&mut |part| match part {
        PartMut::Expr(e) => cache_expr(e, hoisted, next),
        PartMut::Stmt(s) => cache_stmt(s, hoisted, next),
    });
}

/// Wraps `e` if it is invariant and worth caching, else recurses into its children (a node
/// already cached is left as it is).
fn cache_expr(e: &mut Expr, hoisted: &HashSet<Slot>, next: &mut u32) {
    if is_invariant(e, hoisted) {
        if worth_caching(e) {
            let span = e.span;
            let inner = std::mem::replace(e, Expr::new(ExprKind::Params, span));
            *e = Expr::new(ExprKind::Cached { index: *next, expr: Box::new(inner) }, span);
            *next += 1;
        }
        return;
    }
    if !matches!(e.kind, ExprKind::Cached { .. }) {
        e.for_each_child_mut(&mut |x| cache_expr(x, hoisted, next));
    }
}

/// A bare constant, local or `params` costs nothing to evaluate.
fn worth_caching(e: &Expr) -> bool {
    !matches!(e.kind, ExprKind::Const(_) | ExprKind::Local(_) | ExprKind::Params | ExprKind::StaticField(_))
}

/// Depends only on params, constants and hoisted locals; no side effects; its result is a
/// primitive or an existing object read out of a collection (never a freshly allocated one).
fn is_invariant(e: &Expr, hoisted: &HashSet<Slot>) -> bool {
    use ExprKind as K;
    let inv = |x: &Expr| is_invariant(x, hoisted);
    match &e.kind {
        K::Const(_) | K::Params | K::StaticField(_) => true,
        K::Local(s) => hoisted.contains(s),
        // Conversions yield primitives or return the very object they checked.
        K::Convert(x, _) => inv(x),
        K::Unary(_, x) | K::Instanceof(x, _) => inv(x),
        K::Binary(_, a, b) | K::And(a, b) | K::Or(a, b) | K::Elvis(a, b) | K::Index(a, b, _) => inv(a) && inv(b),
        K::Eq { lhs, rhs, .. } => inv(lhs) && inv(rhs),
        K::Conditional(c, a, b) => inv(c) && inv(a) && inv(b),
        K::DynField { recv, .. } => inv(recv),
        K::Field { recv, sig, .. } => sig.ty.is_primitive() && inv(recv),
        K::Method { recv, sig, args, .. } => {
            READ_ONLY_METHODS.contains(&sig.name) && sig.ret.is_primitive() && inv(recv) && args.iter().all(inv)
        }
        K::Static { sig, args } => sig.class != "Collections" && sig.ret.is_primitive() && args.iter().all(inv),
        // Dynamic calls may return fresh objects (`substring`); strings and collections are built
        // fresh by these nodes; the document, `_score` and functions vary per document.
        K::DynMethod { .. }
        | K::Concat(..)
        | K::DefAdd(..)
        | K::Cached { .. }
        | K::Doc
        | K::Score
        | K::Function { .. }
        | K::User { .. }
        | K::Assign { .. }
        | K::Compound { .. }
        | K::IncDec { .. }
        | K::NewList(_)
        | K::NewMap(_)
        | K::NewSet
        | K::NewArray { .. }
        | K::NewArrayInit { .. } => false,
    }
}
