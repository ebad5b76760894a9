//! Planning (compile time): the per-document part of a script as a tree of column-wise steps,
//! or None when it leaves the batch subset (see the parent module).

use crate::interp::compile::hoist::READ_ONLY_METHODS;
use crate::interp::ir::{Back, BinOp, Expr, ExprKind, Function, Slot, Stmt, StmtKind, Target};
use crate::interp::runtime::types::ScriptContext;
use crate::interp::stdlib::registry::FunctionImp;
use std::collections::HashSet;

/// The per-document part of a script in plannable form.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) root: Node,
    pub(crate) n_slots: usize,
    /// `Cached` indexes and binding call sites the plan reads. Until all exist (or a few documents
    /// have gone through `eval` without that happening, e.g. a call in a branch no document
    /// takes), documents go one by one; a chunk marks the documents reaching a missing one.
    pub(crate) caches: Vec<u32>,
    pub(crate) sites: Vec<u32>,
}

#[derive(Debug)]
pub(crate) enum Node {
    /// `slot = expr`, then `next`.
    Let(Slot, Expr, Box<Node>),
    /// Evaluate for its errors, then `next`.
    Eval(Expr, Box<Node>),
    /// `slot op= value` (numeric), then `next`.
    Update {
        slot: Slot,
        op: BinOp,
        back: Back,
        value: Expr,
        next: Box<Node>,
    },
    /// `if` without `return` in either branch: run both, merge the slots they assign per
    /// document, continue with `next`.
    Merge {
        cond: Expr,
        then: Box<Node>,
        other: Box<Node>,
        next: Box<Node>,
    },
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
    pub(crate) caches: Vec<u32>,
    pub(crate) sites: Vec<u32>,
}

/// Plans `main.body[prefix_len..]`, or None when it has a shape batch evaluation does not cover.
pub(crate) fn plan(
    main: &Function,
    prefix_len: usize,
    hoisted: &HashSet<Slot>,
    context: ScriptContext,
) -> Option<Plan> {
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

/// True when every path through `n` returns. Follows `next` in a loop: chains are as long as the script.
fn always_returns(mut n: &Node) -> bool {
    loop {
        match n {
            Node::Let(_, _, next) | Node::Eval(_, next) | Node::Update { next, .. } | Node::Merge { next, .. } => {
                n = next
            }
            Node::Branch(_, a, b) => return always_returns(a) && always_returns(b),
            Node::Return(_) | Node::ReturnNull => return true,
            Node::End => return false,
        }
    }
}

/// One planned statement of a straight-line run, waiting for the node that follows it.
enum Link {
    Let(Slot, Expr),
    Eval(Expr),
    Update { slot: Slot, op: BinOp, back: Back, value: Expr },
    Merge { cond: Expr, then: Box<Node>, other: Box<Node> },
}

impl Link {
    fn then(self, next: Node) -> Node {
        let next = Box::new(next);
        match self {
            Link::Let(slot, e) => Node::Let(slot, e, next),
            Link::Eval(e) => Node::Eval(e, next),
            Link::Update { slot, op, back, value } => Node::Update { slot, op, back, value, next },
            Link::Merge { cond, then, other } => Node::Merge { cond, then, other, next },
        }
    }
}

impl Planner<'_> {
    /// Plans a statement sequence. Straight-line statements (and `if`s without a `return`) are
    /// checked in order, moving `defined` forward, then linked through `next` from the end: a script
    /// of thousands of statements must not recurse once per statement (5,800 of them overflowed the
    /// main thread's stack here, though the tree is shallow).
    fn seq(&mut self, stmts: &[&Stmt], defined: &mut HashSet<Slot>) -> Option<Node> {
        let mut chain: Vec<Link> = Vec::new();
        let mut at = 0;
        let tail = loop {
            let Some(stmt) = stmts.get(at) else { break Node::End };
            let rest = &stmts[at + 1..];
            at += 1;
            match &stmt.kind {
                StmtKind::Store(slot, e) => {
                    if self.hoisted.contains(slot) {
                        return None;
                    }
                    self.expr(e, defined)?;
                    defined.insert(*slot);
                    chain.push(Link::Let(*slot, e.clone()));
                }
                // `x = v;` and `x op= v;` on a local, as statements (their value is discarded).
                StmtKind::Expr(Expr {
                    kind: ExprKind::Assign { target: Target::Local { slot, .. }, value }, ..
                }) => {
                    if self.hoisted.contains(slot) {
                        return None;
                    }
                    self.expr(value, defined)?;
                    defined.insert(*slot);
                    chain.push(Link::Let(*slot, (**value).clone()));
                }
                StmtKind::Expr(Expr {
                    kind: ExprKind::Compound { target: Target::Local { slot, .. }, op, concat: false, value, back },
                    ..
                }) => {
                    if self.hoisted.contains(slot) || !defined.contains(slot) {
                        return None;
                    }
                    self.expr(value, defined)?;
                    chain.push(Link::Update { slot: *slot, op: *op, back: back.clone(), value: (**value).clone() });
                }
                StmtKind::Expr(e) => {
                    self.expr(e, defined)?;
                    chain.push(Link::Eval(e.clone()));
                }
                StmtKind::Return(Some(e)) => {
                    self.expr(e, defined)?;
                    break Node::Return(e.clone());
                }
                StmtKind::Return(None) => break Node::ReturnNull,
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
                        chain.push(Link::Merge { cond: c.clone(), then: Box::new(then), other: Box::new(other) });
                        continue;
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
                    break Node::Branch(c.clone(), Box::new(then), Box::new(other));
                }
                StmtKind::Block(_)
                | StmtKind::Loop { .. }
                | StmtKind::ForEach { .. }
                | StmtKind::Break
                | StmtKind::Continue => return None,
            }
        };
        Some(chain.into_iter().rev().fold(tail, |next, link| link.then(next)))
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
            K::Binary(_, a, b) | K::DefAdd(a, b) | K::And(a, b) | K::Or(a, b) | K::Elvis(a, b) | K::Index(a, b, _) => {
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
            K::Function { sig, args, site } => match sig.imp {
                FunctionImp::Binding { ctor_args, .. } => {
                    // Constructor arguments run only when the instance is built, which `eval`
                    // does (for the first document reaching the call); batches never run them.
                    self.sites.push(*site);
                    self.exprs(&args[ctor_args.min(args.len())..], defined)
                }
                FunctionImp::Plain(_) => self.exprs(args, defined),
            },
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
