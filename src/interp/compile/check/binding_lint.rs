//! Warning C252: an Elasticsearch vector function whose query vector can change between calls at one
//! call site.
//!
//! Elasticsearch 8.x compiles `cosineSimilarity(q, 'f')`, `dotProduct`, `l1norm` and `l2norm` to class
//! bindings: the first call at a call site builds the function object from its arguments (the query
//! vector is converted and, for cosine, normalised once) and every later call at that site reuses it.
//! A site inside a loop over the user's rows, or fed a per-document value, therefore silently scores
//! every call with its *first* query vector. OpenSearch's k-NN functions are plain static calls, so
//! the same script means something else there. The local interpreter reproduces the binding; this
//! lint says so, because a script written that way almost never means it.
//!
//! The analysis is syntactic and deliberately simple: a name is *variable* when it is a function
//! parameter, declared or assigned inside a loop (loop variables included), or assigned from a
//! document value (`doc`, `_score`) or another variable name; a call site is flagged when its query
//! argument mentions a variable name or a document value.

use crate::painless::ast::{self, Expr, ExprKind, ForInit, Stmt, StmtKind};
use crate::painless::code;
use crate::painless::{Diagnostic, Phase, Severity};
use std::collections::HashSet;

/// The Elasticsearch 8 vector functions bound per call site.
const BOUND_FUNCTIONS: [&str; 4] = ["cosineSimilarity", "dotProduct", "l1norm", "l2norm"];

/// C252 warnings for `script` (Elasticsearch dialect).
pub fn call_site_binding_warnings(script: &ast::Script) -> Vec<Diagnostic> {
    let mut names = Names::default();
    for f in &script.functions {
        for p in &f.params {
            names.variable.insert(p.name.name.clone());
        }
        names.block(&f.body.statements, false);
    }
    names.block(&script.statements, false);
    // Propagate through plain assignments until nothing changes (`def q = row; ... dotProduct(q, ..)`).
    loop {
        let before = names.variable.len();
        for (name, value) in &names.assignments {
            if !names.variable.contains(name) && mentions_variable(value, &names.variable) {
                names.variable.insert(name.clone());
            }
        }
        if names.variable.len() == before {
            break;
        }
    }
    let mut out = Vec::new();
    let mut visit = |e: &Expr| {
        if let ExprKind::Call { recv: None, name, args, .. } = &e.kind
            && BOUND_FUNCTIONS.contains(&name.name.as_str())
            && let Some(query) = args.first()
            && mentions_variable(query, &names.variable)
        {
            out.push(warning(&name.name, e));
        }
    };
    for f in &script.functions {
        walk_block(&f.body.statements, &mut visit);
    }
    walk_block(&script.statements, &mut visit);
    out
}

fn warning(function: &str, call: &Expr) -> Diagnostic {
    Diagnostic {
        code: code::warning::QUERY_VECTOR_BOUND_ONCE.into(),
        severity: Severity::Warning,
        phase: Phase::Compile,
        span: call.span,
        statement: None,
        es_type: "call_site_binding".into(),
        message: format!(
            "Elasticsearch binds this call to its first query vector: `{function}` is built once per call site, \
             so every later call here reuses the query of the first call although the argument changes \
             between calls (a loop variable or a per-document value)"
        ),
        help: Some(
            "use one call site per query row (e.g. `dotProduct(params.rows[0], 'vector')`, \
             `dotProduct(params.rows[1], 'vector')`, ...), or pass each row as its own param; \
             OpenSearch's k-NN functions are plain calls and would use every row"
                .into(),
        ),
        java_frames: Vec::new(),
    }
}

#[derive(Default)]
struct Names {
    /// Names whose value can differ between two calls at one site.
    variable: HashSet<String>,
    /// Every `name = value` / declaration with its value, for propagation.
    assignments: Vec<(String, Expr)>,
}

impl Names {
    fn block(&mut self, stmts: &[Stmt], in_loop: bool) {
        for s in stmts {
            self.stmt(s, in_loop);
        }
    }

    fn declare(&mut self, name: &str, value: Option<&Expr>, in_loop: bool) {
        if in_loop {
            self.variable.insert(name.to_string());
        }
        if let Some(v) = value {
            self.assignments.push((name.to_string(), v.clone()));
        }
    }

    fn stmt(&mut self, s: &Stmt, in_loop: bool) {
        match &s.kind {
            StmtKind::Decl { vars, .. } => {
                for d in vars {
                    self.declare(&d.name.name, d.init.as_ref(), in_loop);
                    if let Some(init) = &d.init {
                        self.expr(init, in_loop);
                    }
                }
            }
            StmtKind::Expr(e) | StmtKind::Throw(e) | StmtKind::Return(Some(e)) => self.expr(e, in_loop),
            StmtKind::Block(b) => self.block(&b.statements, in_loop),
            StmtKind::If { cond, then, otherwise } => {
                self.expr(cond, in_loop);
                self.stmt(then, in_loop);
                if let Some(o) = otherwise {
                    self.stmt(o, in_loop);
                }
            }
            StmtKind::While { cond, body } => {
                self.expr(cond, true);
                if let Some(b) = body {
                    self.stmt(b, true);
                }
            }
            StmtKind::DoWhile { body, cond } => {
                self.block(&body.statements, true);
                self.expr(cond, true);
            }
            StmtKind::For { init, cond, update, body } => {
                match init {
                    Some(ForInit::Decl { vars, .. }) => {
                        for d in vars {
                            // The loop variable changes on every iteration.
                            self.declare(&d.name.name, d.init.as_ref(), true);
                        }
                    }
                    Some(ForInit::Exprs(es)) => es.iter().for_each(|e| self.expr(e, true)),
                    None => {}
                }
                if let Some(c) = cond {
                    self.expr(c, true);
                }
                update.iter().for_each(|e| self.expr(e, true));
                if let Some(b) = body {
                    self.stmt(b, true);
                }
            }
            StmtKind::ForEach { var, iterable, body, .. } => {
                self.expr(iterable, in_loop);
                self.variable.insert(var.name.clone());
                self.stmt(body, true);
            }
            StmtKind::Try { body, catches } => {
                self.block(&body.statements, in_loop);
                for c in catches {
                    self.block(&c.body.statements, in_loop);
                }
            }
            StmtKind::Break | StmtKind::Continue | StmtKind::Return(None) | StmtKind::Empty => {}
        }
    }

    /// Records assignments inside an expression (`x = ...`, `x += ...`, `x++`).
    fn expr(&mut self, e: &Expr, in_loop: bool) {
        walk_expr(e, &mut |sub: &Expr| match &sub.kind {
            ExprKind::Assign { target, value, .. } => {
                if let ExprKind::Var(name) = &target.kind {
                    self.declare(name, Some(value), in_loop);
                }
            }
            ExprKind::IncDec { target, .. } => {
                if let ExprKind::Var(name) = &target.kind {
                    // A counter: a different value after each step.
                    self.variable.insert(name.clone());
                }
            }
            _ => {}
        });
    }
}

/// Whether `e` reads a variable name or a per-document value.
fn mentions_variable(e: &Expr, variable: &HashSet<String>) -> bool {
    let mut found = false;
    walk_expr(e, &mut |sub: &Expr| {
        if let ExprKind::Var(name) = &sub.kind
            && (variable.contains(name) || name == "doc" || name == "_score")
        {
            found = true;
        }
    });
    found
}

fn walk_block(stmts: &[Stmt], f: &mut impl FnMut(&Expr)) {
    for s in stmts {
        walk_stmt(s, f);
    }
}

fn walk_stmt(s: &Stmt, f: &mut impl FnMut(&Expr)) {
    match &s.kind {
        StmtKind::Decl { vars, .. } => vars.iter().filter_map(|d| d.init.as_ref()).for_each(|e| walk_expr(e, f)),
        StmtKind::Expr(e) | StmtKind::Throw(e) | StmtKind::Return(Some(e)) => walk_expr(e, f),
        StmtKind::Block(b) => walk_block(&b.statements, f),
        StmtKind::If { cond, then, otherwise } => {
            walk_expr(cond, f);
            walk_stmt(then, f);
            if let Some(o) = otherwise {
                walk_stmt(o, f);
            }
        }
        StmtKind::While { cond, body } => {
            walk_expr(cond, f);
            if let Some(b) = body {
                walk_stmt(b, f);
            }
        }
        StmtKind::DoWhile { body, cond } => {
            walk_block(&body.statements, f);
            walk_expr(cond, f);
        }
        StmtKind::For { init, cond, update, body } => {
            match init {
                Some(ForInit::Decl { vars, .. }) => {
                    vars.iter().filter_map(|d| d.init.as_ref()).for_each(|e| walk_expr(e, f))
                }
                Some(ForInit::Exprs(es)) => es.iter().for_each(|e| walk_expr(e, f)),
                None => {}
            }
            if let Some(c) = cond {
                walk_expr(c, f);
            }
            update.iter().for_each(|e| walk_expr(e, f));
            if let Some(b) = body {
                walk_stmt(b, f);
            }
        }
        StmtKind::ForEach { iterable, body, .. } => {
            walk_expr(iterable, f);
            walk_stmt(body, f);
        }
        StmtKind::Try { body, catches } => {
            walk_block(&body.statements, f);
            for c in catches {
                walk_block(&c.body.statements, f);
            }
        }
        StmtKind::Break | StmtKind::Continue | StmtKind::Return(None) | StmtKind::Empty => {}
    }
}

/// Calls `f` on `e` and every sub-expression (lambda bodies included).
fn walk_expr(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Var(_) | ExprKind::MethodRef { .. } | ExprKind::Regex { .. } => {}
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Elvis { lhs, rhs } => {
            walk_expr(lhs, f);
            walk_expr(rhs, f);
        }
        ExprKind::Unary { operand, .. } => walk_expr(operand, f),
        ExprKind::Assign { target, value, .. } => {
            walk_expr(target, f);
            walk_expr(value, f);
        }
        ExprKind::IncDec { target, .. } => walk_expr(target, f),
        ExprKind::Conditional { cond, then, otherwise } => {
            walk_expr(cond, f);
            walk_expr(then, f);
            walk_expr(otherwise, f);
        }
        ExprKind::Instanceof { expr, .. } | ExprKind::Cast { expr, .. } => walk_expr(expr, f),
        ExprKind::Field { recv, .. } => walk_expr(recv, f),
        ExprKind::Call { recv, args, .. } => {
            if let Some(r) = recv {
                walk_expr(r, f);
            }
            args.iter().for_each(|a| walk_expr(a, f));
        }
        ExprKind::Index { recv, index } => {
            walk_expr(recv, f);
            walk_expr(index, f);
        }
        ExprKind::NewObject { args, .. } => args.iter().for_each(|a| walk_expr(a, f)),
        ExprKind::NewArray { dims, .. } => dims.iter().for_each(|a| walk_expr(a, f)),
        ExprKind::NewArrayInit { values, .. } | ExprKind::ListInit(values) => {
            values.iter().for_each(|a| walk_expr(a, f))
        }
        ExprKind::MapInit(pairs) => pairs.iter().for_each(|(k, v)| {
            walk_expr(k, f);
            walk_expr(v, f);
        }),
        ExprKind::Lambda { body, .. } => match body {
            ast::LambdaBody::Expr(e) => walk_expr(e, f),
            ast::LambdaBody::Block(b) => walk_block(&b.statements, f),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(src: &str) -> Vec<Diagnostic> {
        let script = crate::painless::parse(src).expect("parses");
        call_site_binding_warnings(&script)
    }

    #[test]
    fn flags_a_call_inside_a_loop_over_rows() {
        let src = "double best = 0; for (int i = 0; i < params.rows.size(); i++) { \
                   best = Math.max(best, dotProduct(params.rows[i], 'vector')); } return best;";
        let w = warnings(src);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].code, code::warning::QUERY_VECTOR_BOUND_ONCE);
        assert!(w[0].message.starts_with("Elasticsearch binds this call to its first query vector"));
        assert!(w[0].help.as_deref().unwrap_or("").contains("one call site per query row"));
        assert_eq!(&src[w[0].span.start as usize..w[0].span.end as usize], "dotProduct(params.rows[i], 'vector')");
    }

    #[test]
    fn flags_for_each_rows_and_per_document_queries_and_propagation() {
        assert_eq!(warnings("double s = 0; for (def r : params.rows) { s += cosineSimilarity(r, 'v'); } s").len(), 1);
        assert_eq!(warnings("def q = doc['v'].vectorValue; l2norm(q, 'v')").len(), 1);
        assert_eq!(warnings("def a = params.rows; for (def r : a) { def q = r; l1norm(q, 'v'); } 0").len(), 1);
        assert_eq!(warnings("double f(def q) { return dotProduct(q, 'v'); } f(params.a) + f(params.b)").len(), 1);
    }

    #[test]
    fn a_fixed_query_is_fine_even_inside_a_loop() {
        assert!(warnings("cosineSimilarity(params.user_vector, 'vector') + 1.0").is_empty());
        assert!(
            warnings(
                "def q = params.user_vector; double s = 0; for (int i = 0; i < 3; i++) { s += dotProduct(q, 'v'); } s"
            )
            .is_empty()
        );
        assert!(warnings("dotProduct(params.rows[0], 'v') + dotProduct(params.rows[1], 'v')").is_empty());
    }
}
