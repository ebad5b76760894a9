//! The depth of a syntax tree, measured without recursion.
//!
//! The nesting limit (`ParseLimits::max_nesting`) bounds brackets and right-recursive constructs,
//! but a left-associative operator chain (`1+1+...+1`) or a call chain (`x.toString().toString()...`)
//! nests the tree once per operator without opening anything: 3,000 terms are a tree 3,000 deep.
//! Every later stage (checking, folding, hoisting, evaluation, printing) walks the tree
//! recursively, so `interp::compile` measures the tree here, refuses trees deeper than its budget,
//! and runs those stages on a stack sized from the measure.

use super::ast::{Expr, ExprKind, ForInit, LambdaBody, Script, Stmt, StmtKind};
use super::span::Span;

enum Node<'a> {
    Stmt(&'a Stmt),
    Expr(&'a Expr),
}

/// The deepest node of `script` (statements and expressions both count one level) and its span.
pub fn max_depth(script: &Script) -> (usize, Span) {
    let mut work: Vec<(Node<'_>, usize)> = Vec::new();
    for f in &script.functions {
        work.extend(f.body.statements.iter().map(|s| (Node::Stmt(s), 1)));
    }
    work.extend(script.statements.iter().map(|s| (Node::Stmt(s), 1)));
    let mut deepest = (0, script.span);
    while let Some((node, depth)) = work.pop() {
        let span = match node {
            Node::Stmt(s) => s.span,
            Node::Expr(e) => e.span,
        };
        // The leftmost of the deepest nodes: where a reader looks first.
        if depth > deepest.0 || (depth == deepest.0 && span.start < deepest.1.start) {
            deepest = (depth, span);
        }
        let next = depth + 1;
        match node {
            Node::Stmt(s) => push_stmt_children(s, next, &mut work),
            Node::Expr(e) => push_expr_children(e, next, &mut work),
        }
    }
    deepest
}

fn push_stmt_children<'a>(s: &'a Stmt, d: usize, work: &mut Vec<(Node<'a>, usize)>) {
    let expr = |e: &'a Expr, work: &mut Vec<(Node<'a>, usize)>| work.push((Node::Expr(e), d));
    match &s.kind {
        StmtKind::Decl { vars, .. } => vars.iter().filter_map(|v| v.init.as_ref()).for_each(|e| expr(e, work)),
        StmtKind::Expr(e) | StmtKind::Throw(e) | StmtKind::Return(Some(e)) => expr(e, work),
        StmtKind::Block(b) => work.extend(b.statements.iter().map(|s| (Node::Stmt(s), d))),
        StmtKind::If { cond, then, otherwise } => {
            expr(cond, work);
            work.push((Node::Stmt(then), d));
            if let Some(o) = otherwise {
                work.push((Node::Stmt(o), d));
            }
        }
        StmtKind::While { cond, body } => {
            expr(cond, work);
            if let Some(b) = body {
                work.push((Node::Stmt(b), d));
            }
        }
        StmtKind::DoWhile { body, cond } => {
            expr(cond, work);
            work.extend(body.statements.iter().map(|s| (Node::Stmt(s), d)));
        }
        StmtKind::For { init, cond, update, body } => {
            match init {
                Some(ForInit::Decl { vars, .. }) => {
                    vars.iter().filter_map(|v| v.init.as_ref()).for_each(|e| expr(e, work))
                }
                Some(ForInit::Exprs(es)) => es.iter().for_each(|e| expr(e, work)),
                None => {}
            }
            if let Some(c) = cond {
                expr(c, work);
            }
            update.iter().for_each(|e| expr(e, work));
            if let Some(b) = body {
                work.push((Node::Stmt(b), d));
            }
        }
        StmtKind::ForEach { iterable, body, .. } => {
            expr(iterable, work);
            work.push((Node::Stmt(body), d));
        }
        StmtKind::Try { body, catches } => {
            work.extend(body.statements.iter().map(|s| (Node::Stmt(s), d)));
            for c in catches {
                work.extend(c.body.statements.iter().map(|s| (Node::Stmt(s), d)));
            }
        }
        StmtKind::Break | StmtKind::Continue | StmtKind::Return(None) | StmtKind::Empty => {}
    }
}

fn push_expr_children<'a>(e: &'a Expr, d: usize, work: &mut Vec<(Node<'a>, usize)>) {
    let mut push = |e: &'a Expr| work.push((Node::Expr(e), d));
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Var(_) | ExprKind::MethodRef { .. } | ExprKind::Regex { .. } => {}
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Elvis { lhs, rhs } => {
            push(lhs);
            push(rhs);
        }
        ExprKind::Unary { operand: x, .. }
        | ExprKind::IncDec { target: x, .. }
        | ExprKind::Instanceof { expr: x, .. }
        | ExprKind::Cast { expr: x, .. }
        | ExprKind::Field { recv: x, .. } => push(x),
        ExprKind::Assign { target, value, .. } => {
            push(target);
            push(value);
        }
        ExprKind::Conditional { cond, then, otherwise } => {
            push(cond);
            push(then);
            push(otherwise);
        }
        ExprKind::Call { recv, args, .. } => {
            if let Some(r) = recv {
                push(r);
            }
            args.iter().for_each(push);
        }
        ExprKind::Index { recv, index } => {
            push(recv);
            push(index);
        }
        ExprKind::NewObject { args: xs, .. }
        | ExprKind::NewArray { dims: xs, .. }
        | ExprKind::NewArrayInit { values: xs, .. }
        | ExprKind::ListInit(xs) => xs.iter().for_each(push),
        ExprKind::MapInit(pairs) => {
            for (k, v) in pairs {
                push(k);
                push(v);
            }
        }
        ExprKind::Lambda { body, .. } => match body {
            LambdaBody::Expr(x) => push(x),
            LambdaBody::Block(b) => work.extend(b.statements.iter().map(|s| (Node::Stmt(s), d))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(src: &str) -> usize {
        max_depth(&crate::painless::parse(src).expect("parses")).0
    }

    #[test]
    fn chains_count_one_level_per_operator() {
        assert_eq!(depth("return 1;"), 2);
        // return → + → + → literal
        assert_eq!(depth("return 1 + 1 + 1;"), 4);
        assert_eq!(depth("return x.a().b().c();"), 5);
        assert_eq!(depth("if (a) { if (b) { return 1 } }"), 6);
        let long = format!("return 1{};", "+1".repeat(3000));
        assert_eq!(depth(&long), 3002);
    }
}
