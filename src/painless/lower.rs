//! pest pairs → the owned AST (`ast.rs`). Precedence of the binary operators is applied here with
//! a Pratt parser (`climb`); literal errors that ES reports at compile time (`Invalid int constant`)
//! are raised here; recursion is bounded by `max_depth` so a deep tree cannot overflow the stack.

use std::cell::Cell;
use std::iter::Peekable;

use pest::iterators::{Pair, Pairs};

use super::ast::*;
use super::diag::Diagnostic;
use super::errors;
use super::grammar::Rule;
use super::span::Span;

/// Binding power of the binary operators and `instanceof`, loosest first. This is painless-facts
/// §3 / `noncondexpression` in PainlessParser.g4 read bottom-up: elvis, `||`, `&&`, `|`, `^`, `&`,
/// equality, `instanceof`, relational, shifts, regex, additive, multiplicative. Unary operators,
/// casts and postfix forms are structural in the grammar (tighter than all of these); the
/// conditional and assignments are structural too (looser, right-associative).
const PREC_ELVIS: u8 = 1;
const PREC_INSTANCEOF: u8 = 8;

/// An infix operator's text → what it builds, its binding power and whether it is right-associative.
fn infix(text: &str) -> Option<(Option<BinaryOp>, u8, bool)> {
    let (op, prec) = match text {
        "?:" => return Some((None, PREC_ELVIS, true)),
        "||" => (BinaryOp::Or, 2),
        "&&" => (BinaryOp::And, 3),
        "|" => (BinaryOp::BitOr, 4),
        "^" => (BinaryOp::BitXor, 5),
        "&" => (BinaryOp::BitAnd, 6),
        "==" => (BinaryOp::Eq, 7),
        "!=" => (BinaryOp::Ne, 7),
        "===" => (BinaryOp::RefEq, 7),
        "!==" => (BinaryOp::RefNe, 7),
        "<" => (BinaryOp::Lt, 9),
        "<=" => (BinaryOp::Le, 9),
        ">" => (BinaryOp::Gt, 9),
        ">=" => (BinaryOp::Ge, 9),
        "<<" => (BinaryOp::Shl, 10),
        ">>" => (BinaryOp::Shr, 10),
        ">>>" => (BinaryOp::UShr, 10),
        "=~" => (BinaryOp::RegexFind, 11),
        "==~" => (BinaryOp::RegexMatch, 11),
        "+" => (BinaryOp::Add, 12),
        "-" => (BinaryOp::Sub, 12),
        "*" => (BinaryOp::Mul, 13),
        "/" => (BinaryOp::Div, 13),
        "%" => (BinaryOp::Rem, 13),
        _ => return None,
    };
    Some((Some(op), prec, false))
}

type LResult<T> = Result<T, Diagnostic>;

const STACK_RED_ZONE: usize = 256 * 1024;
const STACK_GROWTH: usize = 4 * 1024 * 1024;

pub(crate) struct Lowerer {
    depth: Cell<usize>,
    max_depth: usize,
}

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

fn compound_op(text: &str) -> Option<BinaryOp> {
    Some(match text {
        "+=" => BinaryOp::Add,
        "-=" => BinaryOp::Sub,
        "*=" => BinaryOp::Mul,
        "/=" => BinaryOp::Div,
        "%=" => BinaryOp::Rem,
        "&=" => BinaryOp::BitAnd,
        "^=" => BinaryOp::BitXor,
        "|=" => BinaryOp::BitOr,
        "<<=" => BinaryOp::Shl,
        ">>=" => BinaryOp::Shr,
        ">>>=" => BinaryOp::UShr,
        _ => return None,
    })
}

/// `Map.Entry[][]` → base "Map.Entry", dims 2. The grammar allows whitespace (and comments,
/// which pest sees blanked to spaces) before each `.` and around each bracket
/// (`Map /*c*/ .Entry [ ]`); it is dropped here.
fn type_from_text(text: &str, span: Span) -> TypeName {
    if text.bytes().any(|b| b.is_ascii_whitespace()) {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        return type_from_text(&compact, span);
    }
    let base_end = text.find('[').unwrap_or(text.len());
    let dims = text.bytes().filter(|&b| b == b'[').count();
    TypeName { base: text[..base_end].to_string(), dims: dims.min(u8::MAX as usize) as u8, span }
}

fn type_of(pair: Pair<'_, Rule>) -> TypeName {
    type_from_text(pair.as_str(), span_of(&pair))
}

fn ident_of(pair: &Pair<'_, Rule>) -> Ident {
    Ident { name: pair.as_str().to_string(), span: span_of(pair) }
}

/// Contents of a string literal: only `\\` and the delimiting quote are escapes (grammar-checked).
fn unescape(body: &str, quote: char) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n) if n == quote || n == '\\' => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The literal's text with its folded `-`; borrowed when there is none (most literals).
fn with_sign<'t>(sign: &str, body: &'t str) -> std::borrow::Cow<'t, str> {
    if sign.is_empty() { std::borrow::Cow::Borrowed(body) } else { std::borrow::Cow::Owned(format!("{sign}{body}")) }
}

/// One numeric token (with a folded leading `-`) → a literal, with ES's compile errors.
/// ES parses ints with `Integer.parseInt(digits, radix)` (so `0xFFFFFFFF` is out of range, unlike
/// Java source) and reports the digits it tried.
pub(crate) fn numeric_literal(rule: Rule, text: &str, negate: bool, span: Span) -> LResult<Literal> {
    let sign = if negate { "-" } else { "" };
    let last = text.chars().last().unwrap_or('0');
    let (radix, digits) = match rule {
        Rule::hex => (16, &text[2..]),
        Rule::octal => (8, &text[1..]),
        _ => (10, text),
    };
    let is_long_suffix = matches!(last, 'l' | 'L');
    if rule == Rule::decimal || (rule == Rule::integer && matches!(last, 'f' | 'F' | 'd' | 'D')) {
        let is_float = matches!(last, 'f' | 'F');
        let body = if matches!(last, 'f' | 'F' | 'd' | 'D') { &text[..text.len() - 1] } else { text };
        let full = with_sign(sign, body);
        return if is_float {
            full.parse::<f32>().map(Literal::Float).map_err(|_| errors::invalid_constant("float", &full, None, span))
        } else {
            full.parse::<f64>().map(Literal::Double).map_err(|_| errors::invalid_constant("double", &full, None, span))
        };
    }
    if is_long_suffix {
        let body = &digits[..digits.len() - 1];
        let full = with_sign(sign, body);
        return i64::from_str_radix(&full, radix)
            .map(Literal::Long)
            .map_err(|_| errors::invalid_constant("long", &format!("{sign}{digits}"), None, span));
    }
    let full = with_sign(sign, digits);
    match i32::from_str_radix(&full, radix) {
        Ok(v) => Ok(Literal::Int(v)),
        Err(_) => {
            let hint = i64::from_str_radix(&full, radix).is_ok().then(|| format!("{full}L"));
            Err(errors::invalid_constant("int", &full, hint.as_deref(), span))
        }
    }
}

impl Lowerer {
    pub(crate) fn new(max_depth: usize) -> Self {
        Lowerer { depth: Cell::new(0), max_depth }
    }

    /// Runs `f` with at least `STACK_RED_ZONE` bytes of stack, growing it on the heap if needed,
    /// so the depth limit (not the thread's stack size) bounds recursion.
    fn guarded<T>(&self, f: impl FnOnce() -> T) -> T {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, f)
    }

    fn enter(&self, span: Span) -> LResult<()> {
        let d = self.depth.get() + 1;
        if d > self.max_depth {
            return Err(errors::too_deep(self.max_depth, span));
        }
        self.depth.set(d);
        Ok(())
    }

    fn leave(&self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }

    pub(crate) fn script(&self, pair: Pair<'_, Rule>) -> LResult<Script> {
        let span = span_of(&pair);
        let mut functions = Vec::new();
        let mut statements = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::function => functions.push(self.function(p)?),
                Rule::statement => statements.push(self.statement(p)?),
                _ => {}
            }
        }
        Ok(Script { functions, statements, span })
    }

    fn function(&self, pair: Pair<'_, Rule>) -> LResult<Function> {
        let span = span_of(&pair);
        let mut it = pair.into_inner();
        let return_type = type_of(next(&mut it));
        let name = ident_of(&next(&mut it));
        let params = next(&mut it)
            .into_inner()
            .map(|p| {
                let mut pi = p.into_inner();
                let ty = type_of(next(&mut pi));
                let name = ident_of(&next(&mut pi));
                Param { ty, name }
            })
            .collect();
        let body = self.block(next(&mut it))?;
        Ok(Function { return_type, name, params, body, span })
    }

    fn block(&self, pair: Pair<'_, Rule>) -> LResult<Block> {
        let span = span_of(&pair);
        let mut statements = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::statement => statements.push(self.statement(p)?),
                Rule::last_statement => {
                    let inner = first(p);
                    statements.push(self.stmt_kind(inner)?)
                }
                _ => {}
            }
        }
        Ok(Block { statements, span })
    }

    /// `statement` (a statement plus its `;`) or a trailer's block.
    fn statement(&self, pair: Pair<'_, Rule>) -> LResult<Stmt> {
        if pair.as_rule() == Rule::block {
            let block = self.block(pair)?;
            let span = block.span;
            return Ok(Stmt { kind: StmtKind::Block(block), span });
        }
        let inner = first(pair);
        self.stmt_kind(inner)
    }

    fn body(&self, pair: Pair<'_, Rule>) -> LResult<Option<Box<Stmt>>> {
        if pair.as_rule() == Rule::empty {
            return Ok(None);
        }
        Ok(Some(Box::new(self.statement(pair)?)))
    }

    fn stmt_kind(&self, pair: Pair<'_, Rule>) -> LResult<Stmt> {
        let span = span_of(&pair);
        self.enter(span)?;
        let result = self.guarded(|| self.stmt_kind_inner(pair));
        self.leave();
        Ok(Stmt { kind: result?, span })
    }

    fn stmt_kind_inner(&self, pair: Pair<'_, Rule>) -> LResult<StmtKind> {
        let rule = pair.as_rule();
        let mut it = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
        Ok(match rule {
            Rule::if_stmt => {
                let cond = self.expr(next(&mut it))?;
                let then = Box::new(self.statement(next(&mut it))?);
                let otherwise = match it.next() {
                    Some(p) => Some(Box::new(self.statement(p)?)),
                    None => None,
                };
                StmtKind::If { cond, then, otherwise }
            }
            Rule::while_stmt => {
                let cond = self.expr(next(&mut it))?;
                StmtKind::While { cond, body: self.body(next(&mut it))? }
            }
            Rule::do_stmt => {
                let body = self.block(next(&mut it))?;
                let cond = self.expr(next(&mut it))?;
                StmtKind::DoWhile { body, cond }
            }
            Rule::for_stmt => {
                let (mut init, mut cond, mut update, mut body) = (None, None, Vec::new(), None);
                for p in it {
                    match p.as_rule() {
                        Rule::for_init => {
                            let inner = first(p);
                            init = Some(if inner.as_rule() == Rule::declaration {
                                let (ty, vars) = self.declaration(inner)?;
                                ForInit::Decl { ty, vars }
                            } else {
                                ForInit::Exprs(vec![self.expr(inner)?])
                            });
                        }
                        Rule::for_cond => cond = Some(self.expr(first(p))?),
                        Rule::for_update => update.push(self.expr(first(p))?),
                        _ => body = self.body(p)?,
                    }
                }
                StmtKind::For { init, cond, update, body }
            }
            Rule::each_stmt => {
                let ty = type_of(next(&mut it));
                let var = ident_of(&next(&mut it));
                let iterable = self.expr(next(&mut it))?;
                let body = Box::new(self.statement(next(&mut it))?);
                StmtKind::ForEach { ty: Some(ty), var, iterable, body }
            }
            Rule::ineach_stmt => {
                let var = ident_of(&next(&mut it));
                let iterable = self.expr(next(&mut it))?;
                let body = Box::new(self.statement(next(&mut it))?);
                StmtKind::ForEach { ty: None, var, iterable, body }
            }
            Rule::try_stmt => {
                let body = self.block(next(&mut it))?;
                let mut catches = Vec::new();
                for trap in it {
                    let span = span_of(&trap);
                    let mut ti = trap.into_inner().filter(|p| !is_keyword(p.as_rule()));
                    let ty = type_of(next(&mut ti));
                    let var = ident_of(&next(&mut ti));
                    let body = self.block(next(&mut ti))?;
                    catches.push(Catch { ty, var, body, span });
                }
                StmtKind::Try { body, catches }
            }
            Rule::declaration => {
                let (ty, vars) = self.declaration_parts(it)?;
                StmtKind::Decl { ty, vars }
            }
            Rule::continue_stmt => StmtKind::Continue,
            Rule::break_stmt => StmtKind::Break,
            Rule::return_stmt => match it.next() {
                Some(e) => StmtKind::Return(Some(self.expr(e)?)),
                None => StmtKind::Return(None),
            },
            Rule::throw_stmt => StmtKind::Throw(self.expr(next(&mut it))?),
            Rule::expr_stmt => StmtKind::Expr(self.expr(next(&mut it))?),
            other => return Err(errors::internal(&format!("unexpected statement rule {other:?}"))),
        })
    }

    fn declaration(&self, pair: Pair<'_, Rule>) -> LResult<(TypeName, Vec<Declarator>)> {
        self.declaration_parts(pair.into_inner().filter(|p| !is_keyword(p.as_rule())))
    }

    fn declaration_parts<'i>(
        &self,
        mut it: impl Iterator<Item = Pair<'i, Rule>>,
    ) -> LResult<(TypeName, Vec<Declarator>)> {
        let ty = type_of(next(&mut it));
        let mut vars = Vec::new();
        for var in it {
            let mut vi = var.into_inner();
            let name = ident_of(&next(&mut vi));
            let init = match vi.find(|p| p.as_rule() == Rule::expression) {
                Some(e) => Some(self.expr(e)?),
                None => None,
            };
            vars.push(Declarator { name, init });
        }
        Ok((ty, vars))
    }

    /// An `expression` pair (or any pair that wraps one).
    pub(crate) fn expr(&self, pair: Pair<'_, Rule>) -> LResult<Expr> {
        let span = span_of(&pair);
        self.enter(span)?;
        let result = self.guarded(|| self.expr_inner(pair));
        self.leave();
        result
    }

    fn expr_inner(&self, pair: Pair<'_, Rule>) -> LResult<Expr> {
        match pair.as_rule() {
            Rule::expression => {}
            Rule::noncond => return self.noncond(pair.into_inner()),
            Rule::unary => return self.unary(pair),
            other => return Err(errors::internal(&format!("expected an expression, got {other:?}"))),
        }
        let span = span_of(&pair);
        let mut it = pair.into_inner();
        let lhs = self.noncond(next(&mut it).into_inner())?;
        let Some(tail) = it.next() else { return Ok(lhs) };
        let mut ti = tail.clone().into_inner();
        match tail.as_rule() {
            Rule::conditional_tail => {
                let _q = next(&mut ti);
                let then = self.expr(next(&mut ti))?;
                let otherwise = self.expr(next(&mut ti))?;
                Ok(Expr {
                    kind: ExprKind::Conditional {
                        cond: Box::new(lhs),
                        then: Box::new(then),
                        otherwise: Box::new(otherwise),
                    },
                    span,
                })
            }
            Rule::assignment_tail => {
                let op = compound_op(next(&mut ti).as_str());
                let value = self.expr(next(&mut ti))?;
                Ok(Expr { kind: ExprKind::Assign { op, target: Box::new(lhs), value: Box::new(value) }, span })
            }
            other => Err(errors::internal(&format!("unexpected expression tail {other:?}"))),
        }
    }

    fn noncond(&self, pairs: Pairs<'_, Rule>) -> LResult<Expr> {
        self.climb(&mut pairs.peekable(), 0)
    }

    /// Pratt (precedence climbing) over the flat `unary (binary_op unary | instanceof_tail)*` list:
    /// folds every operator that binds at least as tightly as `min_prec`. Left-associative
    /// operators loop; only right-associative ones and tighter operators recurse, and the token
    /// pre-scan bounds how deep that can go.
    fn climb<'i>(&self, items: &mut Peekable<Pairs<'i, Rule>>, min_prec: u8) -> LResult<Expr> {
        let mut lhs = self.unary(next(items))?;
        while let Some(op) = items.peek() {
            if op.as_rule() == Rule::instanceof_tail {
                if PREC_INSTANCEOF < min_prec {
                    break;
                }
                let op = next(items);
                let ty_pair = op.into_inner().find(|p| p.as_rule() == Rule::decl_type);
                let ty = ty_pair.map(type_of).ok_or_else(|| errors::internal("instanceof without a type"))?;
                let span = lhs.span.merge(ty.span);
                lhs = Expr { kind: ExprKind::Instanceof { expr: Box::new(lhs), ty }, span };
                continue;
            }
            let (binary, prec, right_assoc) =
                infix(op.as_str()).ok_or_else(|| errors::internal("unknown binary operator"))?;
            if prec < min_prec {
                break;
            }
            let _op = next(items);
            let rhs = self.guarded(|| self.climb(items, if right_assoc { prec } else { prec + 1 }))?;
            let span = lhs.span.merge(rhs.span);
            let kind = match binary {
                Some(op) => ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) },
                None => ExprKind::Elvis { lhs: Box::new(lhs), rhs: Box::new(rhs) },
            };
            lhs = Expr { kind, span };
        }
        Ok(lhs)
    }

    fn unary(&self, pair: Pair<'_, Rule>) -> LResult<Expr> {
        let span = span_of(&pair);
        self.enter(span)?;
        let result = self.guarded(|| self.unary_inner(pair));
        self.leave();
        result
    }

    fn unary_inner(&self, pair: Pair<'_, Rule>) -> LResult<Expr> {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        let mut it = pair.into_inner();
        let head = next(&mut it);
        match (rule, head.as_rule()) {
            (Rule::unary, Rule::pre_incdec) => {
                let target = self.chain(next(&mut it))?;
                Ok(Expr {
                    kind: ExprKind::IncDec { increment: head.as_str() == "++", prefix: true, target: Box::new(target) },
                    span,
                })
            }
            (Rule::unary, Rule::sign_op) => {
                let operand = next(&mut it);
                if head.as_str() == "-"
                    && let Some((rule, text)) = bare_numeric(&operand)
                {
                    let lit = numeric_literal(rule, text, true, span)?;
                    return Ok(Expr { kind: ExprKind::Literal(lit), span });
                }
                let op = if head.as_str() == "-" { UnaryOp::Neg } else { UnaryOp::Plus };
                Ok(Expr { kind: ExprKind::Unary { op, operand: Box::new(self.unary(operand)?) }, span })
            }
            (Rule::unary, Rule::unary_not_addsub) => self.unary(head),
            (Rule::unary_not_addsub, Rule::not_op) => {
                let op = if head.as_str() == "!" { UnaryOp::Not } else { UnaryOp::BitNot };
                Ok(Expr { kind: ExprKind::Unary { op, operand: Box::new(self.unary(next(&mut it))?) }, span })
            }
            (Rule::unary_not_addsub, Rule::cast) => {
                let mut ci = head.into_inner();
                let ty = type_of(next(&mut ci));
                let expr = self.unary(next(&mut ci))?;
                Ok(Expr { kind: ExprKind::Cast { ty, expr: Box::new(expr) }, span })
            }
            (Rule::unary_not_addsub, Rule::chain) => {
                let target = self.chain(head)?;
                match it.next() {
                    Some(post) => Ok(Expr {
                        kind: ExprKind::IncDec {
                            increment: post.as_str() == "++",
                            prefix: false,
                            target: Box::new(target),
                        },
                        span,
                    }),
                    None => Ok(target),
                }
            }
            (r, h) => Err(errors::internal(&format!("unexpected unary shape {r:?}/{h:?}"))),
        }
    }

    fn chain(&self, pair: Pair<'_, Rule>) -> LResult<Expr> {
        let mut it = pair.into_inner();
        let head = next(&mut it);
        let mut expr = if head.as_rule() == Rule::new_array { self.new_array(head)? } else { self.primary(head)? };
        for post in it {
            expr = self.postfix(expr, post)?;
        }
        Ok(expr)
    }

    fn postfix(&self, recv: Expr, post: Pair<'_, Rule>) -> LResult<Expr> {
        let span = recv.span.merge(span_of(&post));
        let rule = post.as_rule();
        let mut it = post.into_inner();
        Ok(match rule {
            Rule::call_invoke => {
                let (name, null_safe) = dot_name(next(&mut it));
                let args = self.arguments(next(&mut it))?;
                Expr { kind: ExprKind::Call { recv: Some(Box::new(recv)), name, args, null_safe }, span }
            }
            Rule::field_access => {
                let (name, null_safe) = dot_name(next(&mut it));
                Expr { kind: ExprKind::Field { recv: Box::new(recv), name, null_safe }, span }
            }
            Rule::brace_access => {
                let index = self.expr(next(&mut it))?;
                Expr { kind: ExprKind::Index { recv: Box::new(recv), index: Box::new(index) }, span }
            }
            other => return Err(errors::internal(&format!("unexpected postfix {other:?}"))),
        })
    }

    fn new_array(&self, pair: Pair<'_, Rule>) -> LResult<Expr> {
        let start = span_of(&pair);
        let mut it = pair.into_inner().filter(|p| p.as_rule() != Rule::kw_new).peekable();
        let ty_pair = next(&mut it);
        let mut ty = type_of(ty_pair);
        let mut expr;
        if it.peek().is_some_and(|p| p.as_rule() == Rule::array_values) {
            let values_pair = next(&mut it);
            let vspan = span_of(&values_pair);
            let values = values_pair.into_inner().map(|e| self.expr(e)).collect::<LResult<Vec<_>>>()?;
            ty.dims = ty.dims.saturating_add(1);
            expr =
                Expr { kind: ExprKind::NewArrayInit { ty, values }, span: Span { start: start.start, end: vspan.end } };
        } else {
            let mut dims = Vec::new();
            while it.peek().is_some_and(|p| p.as_rule() == Rule::expression) {
                dims.push(self.expr(next(&mut it))?);
            }
            // The array creation ends where its first postfix (`.length`...) starts.
            let end = it.peek().map_or(start.end, |p| p.as_span().start() as u32);
            expr = Expr { kind: ExprKind::NewArray { ty, dims }, span: Span { start: start.start, end } };
        }
        for post in it {
            expr = self.postfix(expr, post)?;
        }
        Ok(expr)
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> LResult<Expr> {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        let kind = match rule {
            Rule::paren => return self.expr(first(pair)),
            Rule::hex | Rule::octal | Rule::decimal | Rule::integer => {
                ExprKind::Literal(numeric_literal(rule, pair.as_str(), false, span)?)
            }
            Rule::kw_true => ExprKind::Literal(Literal::Bool(true)),
            Rule::kw_false => ExprKind::Literal(Literal::Bool(false)),
            Rule::kw_null => ExprKind::Literal(Literal::Null),
            Rule::string => {
                let text = pair.as_str();
                let quote = text.chars().next().unwrap_or('"');
                ExprKind::Literal(Literal::String(unescape(&text[1..text.len() - 1], quote)))
            }
            Rule::regex => {
                let mut it = pair.into_inner();
                let pattern = next(&mut it).as_str().to_string();
                let flags = it.next().map(|p| p.as_str().to_string()).unwrap_or_default();
                ExprKind::Regex { pattern, flags }
            }
            Rule::list_or_map => {
                let mut it = pair.into_inner();
                match it.next() {
                    None => ExprKind::ListInit(Vec::new()),
                    Some(p) if p.as_rule() == Rule::empty_map => ExprKind::MapInit(Vec::new()),
                    Some(first_expr) => {
                        let head = self.expr(first_expr)?;
                        let tail = next(&mut it);
                        if tail.as_rule() == Rule::map_tail {
                            let mut ti = tail.into_inner();
                            let value = self.expr(next(&mut ti))?;
                            let mut entries = vec![(head, value)];
                            for entry in ti {
                                let mut ei = entry.into_inner();
                                let k = self.expr(next(&mut ei))?;
                                let v = self.expr(next(&mut ei))?;
                                entries.push((k, v));
                            }
                            ExprKind::MapInit(entries)
                        } else {
                            let mut items = vec![head];
                            for e in tail.into_inner() {
                                items.push(self.expr(e)?);
                            }
                            ExprKind::ListInit(items)
                        }
                    }
                }
            }
            Rule::new_object => {
                let mut it = pair.into_inner().filter(|p| p.as_rule() != Rule::kw_new);
                let ty = type_of(next(&mut it));
                let args = self.arguments(next(&mut it))?;
                ExprKind::NewObject { ty, args }
            }
            Rule::call_or_variable => {
                let mut it = pair.into_inner();
                let name = ident_of(&next(&mut it));
                match it.next() {
                    Some(arguments) => {
                        let args = self.arguments(arguments)?;
                        ExprKind::Call { recv: None, name, args, null_safe: false }
                    }
                    // Not the pair's span: the rule's implicit skip before the absent
                    // arguments may have run past trailing whitespace.
                    None => return Ok(Expr { kind: ExprKind::Var(name.name), span: name.span }),
                }
            }
            other => return Err(errors::internal(&format!("unexpected primary {other:?}"))),
        };
        Ok(Expr { kind, span })
    }

    fn arguments(&self, pair: Pair<'_, Rule>) -> LResult<Vec<Expr>> {
        pair.into_inner().map(|a| self.argument(a)).collect()
    }

    fn argument(&self, pair: Pair<'_, Rule>) -> LResult<Expr> {
        let span = span_of(&pair);
        match pair.as_rule() {
            Rule::lambda => {
                let mut it = pair.into_inner();
                let params = next(&mut it)
                    .into_inner()
                    .map(|lp| {
                        let mut parts: Vec<Pair<'_, Rule>> = lp.into_inner().collect();
                        let name = parts.pop().map(|p| ident_of(&p));
                        let ty = parts.pop().map(type_of);
                        name.map(|name| LambdaParam { ty, name }).ok_or_else(|| errors::internal("lambda parameter"))
                    })
                    .collect::<LResult<Vec<_>>>()?;
                let body_pair =
                    it.find(|p| p.as_rule() != Rule::arrow).ok_or_else(|| errors::internal("lambda body"))?;
                let body = if body_pair.as_rule() == Rule::block {
                    LambdaBody::Block(self.block(body_pair)?)
                } else {
                    LambdaBody::Expr(Box::new(self.expr(body_pair)?))
                };
                Ok(Expr { kind: ExprKind::Lambda { params, body }, span })
            }
            Rule::funcref => {
                let mut it = pair.into_inner();
                let target_pair = next(&mut it);
                // A type is written out normalised (`int /*c*/ []` → `int[]`); `this` as is.
                let target = if target_pair.as_rule() == Rule::decl_type {
                    super::print::print_type(&type_of(target_pair))
                } else {
                    target_pair.as_str().to_string()
                };
                let method = next(&mut it).as_str().to_string();
                Ok(Expr { kind: ExprKind::MethodRef { target, method }, span })
            }
            _ => self.expr(pair),
        }
    }
}

fn dot_name(pair: Pair<'_, Rule>) -> (Ident, bool) {
    let mut it = pair.into_inner();
    let op = it.next();
    let null_safe = op.as_ref().is_some_and(|p| p.as_str() == "?.");
    let name = it.next().map(|p| ident_of(&p)).unwrap_or(Ident { name: String::new(), span: Span::default() });
    (name, null_safe)
}

/// When a `unary` is nothing but a numeric literal (no postfix), its rule, text and span: the
/// operand of a `-` that ES folds into the constant.
fn bare_numeric<'i>(unary: &Pair<'i, Rule>) -> Option<(Rule, &'i str)> {
    if unary.as_rule() != Rule::unary {
        return None;
    }
    let una = single(unary.clone())?;
    if una.as_rule() != Rule::unary_not_addsub {
        return None;
    }
    let chain = single(una)?;
    if chain.as_rule() != Rule::chain {
        return None;
    }
    let lit = single(chain)?;
    matches!(lit.as_rule(), Rule::hex | Rule::octal | Rule::decimal | Rule::integer)
        .then(|| (lit.as_rule(), lit.as_str()))
}

fn single(pair: Pair<'_, Rule>) -> Option<Pair<'_, Rule>> {
    let mut it = pair.into_inner();
    let one = it.next()?;
    it.next().is_none().then_some(one)
}

fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_if
            | Rule::kw_in
            | Rule::kw_else
            | Rule::kw_while
            | Rule::kw_do
            | Rule::kw_for
            | Rule::kw_try
            | Rule::kw_catch
            | Rule::kw_return
            | Rule::kw_throw
            | Rule::kw_continue
            | Rule::kw_break
            | Rule::semicolon
            | Rule::assign
    )
}

/// The next child; the grammar guarantees it exists, so a missing one is an internal error that
/// surfaces later as a failed lowering rather than a panic.
fn next<'i>(it: &mut impl Iterator<Item = Pair<'i, Rule>>) -> Pair<'i, Rule> {
    it.next().expect("invariant: the grammar guarantees this child")
}

fn first(pair: Pair<'_, Rule>) -> Pair<'_, Rule> {
    let mut it = pair.into_inner();
    next(&mut it)
}
