//! Per-user hoisting. The leading statements of a score/sort script that read only params and
//! constants (typically: mean-pool `params.user_vector` into a local) give the same result for
//! every document of a user, so `Program::bind` runs them once and `Program::eval` resumes after
//! them with the saved slots and the saved loop counter. Observable behaviour is unchanged:
//! - the prefix may not touch `doc`, `_score`, context functions or user functions, may not
//!   `return`, and may mutate only collections it created itself;
//! - the rest of the script may only *read* the hoisted locals (no writes, no mutating calls, no
//!   aliasing into other variables or collections), so every document sees the same values;
//! - the loop counter the prefix consumed is carried over, and an error raised by the prefix is
//!   re-raised by every `eval`, exactly where ES would raise it (before anything else happens).

use super::ir::{Expr, ExprKind, Slot, Stmt, StmtKind, Target};
use std::collections::HashSet;

/// Methods that never mutate their receiver or arguments.
const READ_ONLY_METHODS: &[&str] = &[
    "size", "get", "getLength", "length", "isEmpty", "getEmpty", "containsKey", "containsValue", "contains", "indexOf",
    "lastIndexOf", "equals", "hashCode", "toString", "compareTo", "substring", "charAt", "startsWith", "endsWith",
    "toLowerCase", "toUpperCase", "trim", "intValue", "longValue", "doubleValue", "floatValue", "getKey", "getValue",
    "keySet", "values", "entrySet", "getOrDefault", "sum", "splitOnToken",
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
    if body[n..].iter().all(|s| suffix_stmt_ok(s, &written)) { n } else { 0 }
}

fn stmt_ok(s: &Stmt, fresh: &mut HashSet<Slot>, written: &mut HashSet<Slot>) -> bool {
    match &s.kind {
        StmtKind::Expr(e) => expr_ok(e, fresh, written),
        StmtKind::Store(slot, e) => {
            if !expr_ok(e, fresh, written) {
                return false;
            }
            if matches!(e.kind, ExprKind::NewList(_) | ExprKind::NewMap(_) | ExprKind::NewArray { .. } | ExprKind::NewArrayInit { .. } | ExprKind::NewSet) {
                fresh.insert(*slot);
            } else {
                fresh.remove(slot);
            }
            written.insert(*slot);
            true
        }
        StmtKind::If(c, t, o) => expr_ok(c, fresh, written) && block_ok(t, fresh, written) && block_ok(o, fresh, written),
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
        Target::Index { recv, index } => is_fresh_local(recv, fresh) && expr_ok(index, fresh, written),
        Target::Field { recv, .. } => is_fresh_local(recv, fresh),
    }
}

fn is_fresh_local(e: &Expr, fresh: &HashSet<Slot>) -> bool {
    matches!(e.kind, ExprKind::Local(s) if fresh.contains(&s))
}

fn expr_ok(e: &Expr, fresh: &mut HashSet<Slot>, written: &mut HashSet<Slot>) -> bool {
    use ExprKind as K;
    match &e.kind {
        K::Const(_) | K::Local(_) | K::Params | K::StaticField(_) | K::NewSet => true,
        K::Doc | K::Score | K::Function { .. } | K::User { .. } => false,
        K::Convert(x, _) | K::Unary(_, x) | K::Instanceof(x, _) => expr_ok(x, fresh, written),
        K::Binary(_, a, b) | K::Concat(a, b) | K::DefAdd(a, b) | K::And(a, b) | K::Or(a, b) | K::Elvis(a, b) | K::Index(a, b) => {
            expr_ok(a, fresh, written) && expr_ok(b, fresh, written)
        }
        K::Eq { lhs, rhs, .. } => expr_ok(lhs, fresh, written) && expr_ok(rhs, fresh, written),
        K::Conditional(c, a, b) => expr_ok(c, fresh, written) && expr_ok(a, fresh, written) && expr_ok(b, fresh, written),
        K::Assign { target, value } => expr_ok(value, fresh, written) && target_ok(target, fresh, written),
        K::Compound { target, value, .. } => expr_ok(value, fresh, written) && target_ok(target, fresh, written),
        K::IncDec { target, .. } => target_ok(target, fresh, written),
        K::DynField { recv, .. } | K::Field { recv, .. } => expr_ok(recv, fresh, written),
        K::Method { recv, sig, args, .. } => call_ok(recv, sig.name, args, fresh, written),
        K::DynMethod { recv, name, args, .. } => call_ok(recv, name, args, fresh, written),
        K::Static { args, .. } | K::NewList(args) | K::NewArrayInit { values: args, .. } => {
            args.iter().all(|a| expr_ok(a, fresh, written))
        }
        K::NewArray { dims, .. } => dims.iter().all(|a| expr_ok(a, fresh, written)),
        K::NewMap(entries) => entries.iter().all(|(k, v)| expr_ok(k, fresh, written) && expr_ok(v, fresh, written)),
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
            !hoisted.contains(slot) && suffix_expr_ok(iterable, hoisted, false) && body.iter().all(|s| suffix_stmt_ok(s, hoisted))
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
        K::Convert(x, _) => ok(x, escapes),
        K::Unary(_, x) | K::Instanceof(x, _) => ok(x, false),
        K::Binary(_, a, b) | K::Concat(a, b) | K::DefAdd(a, b) | K::And(a, b) | K::Or(a, b) => ok(a, false) && ok(b, false),
        K::Index(a, b) => ok(a, false) && ok(b, false),
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
        K::User { args, .. } | K::NewList(args) | K::NewArrayInit { values: args, .. } => args.iter().all(|a| ok(a, true)),
        K::NewArray { dims, .. } => dims.iter().all(|a| ok(a, false)),
        K::NewMap(entries) => entries.iter().all(|(k, v)| ok(k, true) && ok(v, true)),
    }
}

fn suffix_target_ok(t: &Target, hoisted: &HashSet<Slot>) -> bool {
    match t {
        Target::Local { slot, .. } => !hoisted.contains(slot),
        Target::Index { recv, index } => suffix_expr_ok(recv, hoisted, true) && suffix_expr_ok(index, hoisted, false),
        Target::Field { recv, .. } => suffix_expr_ok(recv, hoisted, true),
    }
}

fn suffix_call_ok(recv: &Expr, name: &str, args: &[Expr], hoisted: &HashSet<Slot>) -> bool {
    let recv_escapes = !READ_ONLY_METHODS.contains(&name);
    suffix_expr_ok(recv, hoisted, recv_escapes) && args.iter().all(|a| suffix_expr_ok(a, hoisted, true))
}
