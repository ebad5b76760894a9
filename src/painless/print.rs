//! AST → Painless source. Every compound operand is parenthesised, so the output shows how the
//! parser grouped the input (golden files use it) and re-parses to the same tree modulo spans
//! (`tests/frontend/parse.rs` checks `parse(print(parse(s))) == parse(s)`). Used by the loop and reports
//! to show a normalised script.

use std::fmt::Write;

use super::ast::*;

/// The whole script, one statement per line.
pub fn print_script(script: &Script) -> String {
    let mut p = Printer { out: String::new(), indent: 0 };
    for f in &script.functions {
        p.function(f);
    }
    for s in &script.statements {
        p.line_start();
        p.stmt(s);
        p.out.push('\n');
    }
    p.out
}

/// One expression, parenthesised as the parser grouped it.
pub fn print_expr(expr: &Expr) -> String {
    let mut p = Printer { out: String::new(), indent: 0 };
    p.expr(expr);
    p.out
}

pub fn print_type(ty: &TypeName) -> String {
    format!("{}{}", ty.base, "[]".repeat(ty.dims as usize))
}

struct Printer {
    out: String,
    indent: usize,
}

impl Printer {
    fn line_start(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
    }

    fn function(&mut self, f: &Function) {
        let params: Vec<String> = f.params.iter().map(|p| format!("{} {}", print_type(&p.ty), p.name.name)).collect();
        let _ = write!(self.out, "{} {}({}) ", print_type(&f.return_type), f.name.name, params.join(", "));
        self.block(&f.body);
        self.out.push('\n');
    }

    fn block(&mut self, b: &Block) {
        self.out.push_str("{\n");
        self.indent += 1;
        for s in &b.statements {
            self.line_start();
            self.stmt(s);
            self.out.push('\n');
        }
        self.indent -= 1;
        self.line_start();
        self.out.push('}');
    }

    /// A statement including its terminator (`;` for the statements that need one).
    fn stmt(&mut self, s: &Stmt) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.stmt_inner(s))
    }

    fn stmt_inner(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Decl { ty, vars } => {
                self.decl(ty, vars);
                self.out.push(';');
            }
            StmtKind::Expr(e) => {
                self.top_expr(e);
                self.out.push(';');
            }
            StmtKind::Block(b) => self.block(b),
            StmtKind::If { cond, then, otherwise } => {
                self.out.push_str("if (");
                self.top_expr(cond);
                self.out.push_str(") ");
                self.stmt(then);
                if let Some(o) = otherwise {
                    self.out.push_str(" else ");
                    self.stmt(o);
                }
            }
            StmtKind::While { cond, body } => {
                self.out.push_str("while (");
                self.top_expr(cond);
                self.out.push_str(") ");
                self.opt_body(body.as_deref());
            }
            StmtKind::DoWhile { body, cond } => {
                self.out.push_str("do ");
                self.block(body);
                self.out.push_str(" while (");
                self.top_expr(cond);
                self.out.push_str(");");
            }
            StmtKind::For { init, cond, update, body } => {
                self.out.push_str("for (");
                match init {
                    Some(ForInit::Decl { ty, vars }) => self.decl(ty, vars),
                    Some(ForInit::Exprs(es)) => self.list(es, Self::top_expr),
                    None => {}
                }
                self.out.push_str("; ");
                if let Some(c) = cond {
                    self.top_expr(c);
                }
                self.out.push_str("; ");
                self.list(update, Self::top_expr);
                self.out.push_str(") ");
                self.opt_body(body.as_deref());
            }
            StmtKind::ForEach { ty, var, iterable, body } => {
                match ty {
                    Some(t) => {
                        let _ = write!(self.out, "for ({} {} : ", print_type(t), var.name);
                    }
                    None => {
                        let _ = write!(self.out, "for ({} in ", var.name);
                    }
                }
                self.top_expr(iterable);
                self.out.push_str(") ");
                self.stmt(body);
            }
            StmtKind::Break => self.out.push_str("break;"),
            StmtKind::Continue => self.out.push_str("continue;"),
            StmtKind::Return(e) => {
                self.out.push_str("return");
                if let Some(e) = e {
                    self.out.push(' ');
                    self.top_expr(e);
                }
                self.out.push(';');
            }
            StmtKind::Throw(e) => {
                self.out.push_str("throw ");
                self.top_expr(e);
                self.out.push(';');
            }
            StmtKind::Try { body, catches } => {
                self.out.push_str("try ");
                self.block(body);
                for c in catches {
                    let _ = write!(self.out, " catch ({} {}) ", print_type(&c.ty), c.var.name);
                    self.block(&c.body);
                }
            }
            StmtKind::Empty => self.out.push(';'),
        }
    }

    fn opt_body(&mut self, body: Option<&Stmt>) {
        match body {
            Some(b) => self.stmt(b),
            None => self.out.push(';'),
        }
    }

    fn decl(&mut self, ty: &TypeName, vars: &[Declarator]) {
        self.out.push_str(&print_type(ty));
        self.out.push(' ');
        for (i, v) in vars.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.out.push_str(&v.name.name);
            if let Some(init) = &v.init {
                self.out.push_str(" = ");
                self.top_expr(init);
            }
        }
    }

    fn list(&mut self, items: &[Expr], f: fn(&mut Self, &Expr)) {
        for (i, e) in items.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            f(self, e);
        }
    }

    /// An expression in a position that needs no parentheses (statement, argument, condition).
    fn top_expr(&mut self, e: &Expr) {
        self.bare(e);
    }

    /// An operand: compound expressions and negative numbers get parentheses.
    fn expr(&mut self, e: &Expr) {
        if is_atomic(e) {
            self.bare(e);
        } else {
            self.out.push('(');
            self.bare(e);
            self.out.push(')');
        }
    }

    /// A postfix receiver: like an operand, but numbers and array creations are wrapped too
    /// (`(2).toString()`, `(new int[2])[0]`).
    fn receiver(&mut self, e: &Expr) {
        let wrap = matches!(
            e.kind,
            ExprKind::Literal(Literal::Int(_) | Literal::Long(_) | Literal::Float(_) | Literal::Double(_))
                | ExprKind::NewArray { .. }
                | ExprKind::NewArrayInit { .. }
        );
        if wrap && is_atomic(e) {
            self.out.push('(');
            self.bare(e);
            self.out.push(')');
        } else {
            self.expr(e);
        }
    }

    fn args(&mut self, args: &[Expr]) {
        self.out.push('(');
        self.list(args, Self::top_expr);
        self.out.push(')');
    }

    fn bare(&mut self, e: &Expr) {
        // One call per tree level, and chains make trees thousands of levels deep: grow the
        // stack on the heap when it runs short (printing is never on a hot path).
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.bare_inner(e))
    }

    fn bare_inner(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Literal(l) => self.literal(l),
            ExprKind::Var(n) => self.out.push_str(n),
            ExprKind::Binary { op, lhs, rhs } => {
                self.expr(lhs);
                let _ = write!(self.out, " {} ", op.symbol());
                self.expr(rhs);
            }
            ExprKind::Unary { op, operand } => {
                self.out.push_str(match op {
                    UnaryOp::Plus => "+",
                    UnaryOp::Neg => "-",
                    UnaryOp::Not => "!",
                    UnaryOp::BitNot => "~",
                });
                // `-(5)` must not become the literal `-5`.
                if matches!(operand.kind, ExprKind::Literal(_)) {
                    self.out.push('(');
                    self.bare(operand);
                    self.out.push(')');
                } else {
                    self.expr(operand);
                }
            }
            ExprKind::Assign { op, target, value } => {
                self.expr(target);
                let _ = write!(self.out, " {}= ", op.map_or("", BinaryOp::symbol));
                self.expr(value);
            }
            ExprKind::IncDec { increment, prefix, target } => {
                let sym = if *increment { "++" } else { "--" };
                if *prefix {
                    self.out.push_str(sym);
                    self.expr(target);
                } else {
                    self.expr(target);
                    self.out.push_str(sym);
                }
            }
            ExprKind::Conditional { cond, then, otherwise } => {
                self.expr(cond);
                self.out.push_str(" ? ");
                self.expr(then);
                self.out.push_str(" : ");
                self.expr(otherwise);
            }
            ExprKind::Elvis { lhs, rhs } => {
                self.expr(lhs);
                self.out.push_str(" ?: ");
                self.expr(rhs);
            }
            ExprKind::Instanceof { expr, ty } => {
                self.expr(expr);
                let _ = write!(self.out, " instanceof {}", print_type(ty));
            }
            ExprKind::Cast { ty, expr } => {
                let _ = write!(self.out, "({}) ", print_type(ty));
                // A reference cast cannot take `+`/`-` operands unparenthesised.
                if matches!(expr.kind, ExprKind::Unary { .. } | ExprKind::Literal(_)) {
                    self.out.push('(');
                    self.bare(expr);
                    self.out.push(')');
                } else {
                    self.expr(expr);
                }
            }
            ExprKind::Field { recv, name, null_safe } => {
                self.receiver(recv);
                self.out.push_str(if *null_safe { "?." } else { "." });
                self.out.push_str(&name.name);
            }
            ExprKind::Call { recv, name, args, null_safe } => {
                if let Some(r) = recv {
                    self.receiver(r);
                    self.out.push_str(if *null_safe { "?." } else { "." });
                }
                self.out.push_str(&name.name);
                self.args(args);
            }
            ExprKind::Index { recv, index } => {
                self.receiver(recv);
                self.out.push('[');
                self.top_expr(index);
                self.out.push(']');
            }
            ExprKind::NewObject { ty, args } => {
                let _ = write!(self.out, "new {}", print_type(ty));
                self.args(args);
            }
            ExprKind::NewArray { ty, dims } => {
                let _ = write!(self.out, "new {}", print_type(ty));
                for d in dims {
                    self.out.push('[');
                    self.top_expr(d);
                    self.out.push(']');
                }
            }
            ExprKind::NewArrayInit { ty, values } => {
                let elem = TypeName { base: ty.base.clone(), dims: ty.dims.saturating_sub(1), span: ty.span };
                let _ = write!(self.out, "new {}[] {{", print_type(&elem));
                self.list(values, Self::top_expr);
                self.out.push('}');
            }
            ExprKind::ListInit(items) => {
                self.out.push('[');
                self.list(items, Self::top_expr);
                self.out.push(']');
            }
            ExprKind::MapInit(entries) => {
                if entries.is_empty() {
                    self.out.push_str("[:]");
                } else {
                    self.out.push('[');
                    for (i, (k, v)) in entries.iter().enumerate() {
                        if i > 0 {
                            self.out.push_str(", ");
                        }
                        self.top_expr(k);
                        self.out.push_str(": ");
                        self.top_expr(v);
                    }
                    self.out.push(']');
                }
            }
            ExprKind::Lambda { params, body } => {
                self.out.push('(');
                for (i, p) in params.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    if let Some(t) = &p.ty {
                        self.out.push_str(&print_type(t));
                        self.out.push(' ');
                    }
                    self.out.push_str(&p.name.name);
                }
                self.out.push_str(") -> ");
                match body {
                    LambdaBody::Expr(e) => self.top_expr(e),
                    LambdaBody::Block(b) => self.block(b),
                }
            }
            ExprKind::MethodRef { target, method } => {
                let _ = write!(self.out, "{target}::{method}");
            }
            ExprKind::Regex { pattern, flags } => {
                let _ = write!(self.out, "/{pattern}/{flags}");
            }
        }
    }

    fn literal(&mut self, l: &Literal) {
        match l {
            Literal::Int(v) => {
                let _ = write!(self.out, "{v}");
            }
            Literal::Long(v) => {
                let _ = write!(self.out, "{v}L");
            }
            Literal::Float(v) => {
                let _ = write!(self.out, "{}f", float_text(f64::from(*v), format!("{v:?}")));
            }
            Literal::Double(v) => {
                let _ = write!(self.out, "{}", float_text(*v, format!("{v:?}")));
            }
            Literal::String(s) => {
                self.out.push('"');
                for c in s.chars() {
                    if c == '"' || c == '\\' {
                        self.out.push('\\');
                    }
                    self.out.push(c);
                }
                self.out.push('"');
            }
            Literal::Bool(b) => {
                let _ = write!(self.out, "{b}");
            }
            Literal::Null => self.out.push_str("null"),
        }
    }
}

/// Rust's shortest round-trip text is valid Painless (`1.0`, `1e300`, `1.5e-7`) except for
/// infinities, which a literal can only reach by overflowing.
fn float_text(v: f64, debug: String) -> String {
    if v.is_infinite() { if v > 0.0 { "1e999".into() } else { "-1e999".into() } } else { debug }
}

/// Needs no parentheses as an operand.
fn is_atomic(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Literal(Literal::Int(v)) => *v >= 0,
        ExprKind::Literal(Literal::Long(v)) => *v >= 0,
        ExprKind::Literal(Literal::Float(v)) => v.is_sign_positive(),
        ExprKind::Literal(Literal::Double(v)) => v.is_sign_positive(),
        ExprKind::Literal(_)
        | ExprKind::Var(_)
        | ExprKind::Field { .. }
        | ExprKind::Call { .. }
        | ExprKind::Index { .. }
        | ExprKind::NewObject { .. }
        | ExprKind::ListInit(_)
        | ExprKind::MapInit(_)
        | ExprKind::Regex { .. }
        | ExprKind::NewArray { .. }
        | ExprKind::NewArrayInit { .. } => true,
        _ => false,
    }
}
