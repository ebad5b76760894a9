//! The checker: resolves names to slots, types every expression with Painless's rules, resolves
//! members through the whitelist registry, and lowers the AST to the IR. It stops at the first
//! error of a script (as ES does) but keeps warnings.
//!
//! Codes (stable): C201 unknown symbol, C202 illegal cast, C203 not a statement, C204 invalid
//! assignment, C205 unknown method/field/function, C206 elvis misuse, C207 null-safe misuse,
//! C208 control flow (extraneous/unreachable/missing return), C209 duplicate variable,
//! C210 unknown type, C211 other compile errors; warnings C250 unknown doc field, C251 unknown
//! param, C252 Elasticsearch vector call site with a changing query (`binding_lint.rs`); L401 lambda, L402 method reference, L403 regex, L404 try/catch/throw, L405 class not in
//! the local subset, L406 member not in the local subset, L407 non-reproducible (randomScore).
//!
//! **Word for word with ES.** Control flow is analysed as ES's `DefaultSemanticAnalysisPhase` does,
//! with `Escape` flags per statement: unreachable statements (located at their block), extraneous
//! `if`/`else`/loops/`continue`, loops without a way out (checked on the embedded node:
//! tests/error_positions/control_flow.jsonl). Messages name types as ES's `typeToCanonicalTypeName`
//! does (Java canonical names such as `java.lang.String`, `java.util.Map.Entry`; `types.rs`),
//! promotion follows `AnalyzerCaster` (`cast.rs`: either side decides, then the other operand's cast
//! fails), and run-time `def` casts use `Def.castException`'s wording (`runtime/ops.rs`). The message
//! shapes are pinned against the node in tests/error_positions/messages.jsonl.

mod binding_lint;
mod cast;
mod expr;
mod member;

pub use cast::{legal_cast, promote_numeric};

use crate::interp::ir::{self, Const, Slot, StmtKind};
use crate::interp::runtime::types::{Dialect, ScriptContext, Ty};
use crate::interp::runtime::value::DocFieldKind;
use crate::interp::stdlib::registry::{Registry, registry};
use crate::painless::ast;
use crate::painless::code;
use crate::painless::{Diagnostic, Phase, Severity, Span};

/// What the checker needs to know about the environment.
pub struct CheckEnv<'a> {
    pub context: ScriptContext,
    pub dialect: Dialect,
    /// Known doc fields (None: no schema, `doc['f']` is not checked).
    pub fields: Option<&'a [(String, DocFieldKind)]>,
    /// Params the harness supplies (None: not checked).
    pub param_names: Option<&'a [String]>,
}

/// The checker's output: IR functions (index 0 is the script body) and the constant pool.
pub struct Checked {
    pub main: ir::Function,
    pub functions: Vec<ir::Function>,
    pub consts: Vec<Const>,
    pub binding_sites: u32,
}

pub(crate) type CResult<T> = Result<T, Box<Diagnostic>>;

pub(crate) fn diag(
    code: &str,
    severity: Severity,
    span: Span,
    es_type: &str,
    message: impl Into<String>,
) -> Box<Diagnostic> {
    Box::new(Diagnostic {
        code: code.to_string(),
        severity,
        phase: Phase::Compile,
        span,
        statement: None,
        es_type: es_type.to_string(),
        message: message.into(),
        help: None,
        java_frames: Vec::new(),
    })
}

pub(crate) fn error(code: &str, span: Span, message: impl Into<String>) -> Box<Diagnostic> {
    diag(code, Severity::Error, span, "illegal_argument_exception", message)
}

pub(crate) fn cast_error(span: Span, message: impl Into<String>) -> Box<Diagnostic> {
    diag(code::check::ILLEGAL_CAST, Severity::Error, span, "class_cast_exception", message)
}

pub(crate) fn unsupported(code: &str, span: Span, what: &str) -> Box<Diagnostic> {
    let mut d = diag(
        code,
        Severity::UnsupportedLocally,
        span,
        "unsupported_locally",
        format!("{what} is valid Painless but unsupported in the local subset"),
    );
    d.help = Some("the search engine may run it; rewrite it with the supported subset to evaluate it locally".into());
    d
}

/// [`unsupported`], with the registry's reason in place of the generic help.
pub(crate) fn unsupported_because(code: &str, span: Span, what: &str, reason: &str) -> Box<Diagnostic> {
    let mut d = unsupported(code, span, what);
    d.help = Some(reason.to_string());
    d
}

#[derive(Clone)]
struct Local {
    name: String,
    slot: Slot,
    ty: Ty,
}

struct FnDecl {
    name: String,
    params: Vec<Ty>,
    ret: Ty,
}

pub(crate) struct Checker<'a> {
    env: &'a CheckEnv<'a>,
    reg: &'static Registry,
    pub(crate) warnings: Vec<Diagnostic>,
    consts: Vec<Const>,
    scopes: Vec<Vec<Local>>,
    next_slot: Slot,
    max_slot: Slot,
    fns: Vec<FnDecl>,
    ret_ty: Ty,
    loop_depth: u32,
    binding_sites: u32,
    in_main: bool,
}

/// Check a parsed script. Err holds the first error; warnings ride along either way.
pub fn check(script: &ast::Script, env: &CheckEnv<'_>) -> (Result<Checked, Box<Diagnostic>>, Vec<Diagnostic>) {
    let mut c = Checker {
        env,
        reg: registry(),
        warnings: Vec::new(),
        consts: Vec::new(),
        scopes: Vec::new(),
        next_slot: 0,
        max_slot: 0,
        fns: Vec::new(),
        ret_ty: Ty::Def,
        loop_depth: 0,
        binding_sites: 0,
        in_main: false,
    };
    let result = c.check_script(script);
    if env.dialect == Dialect::Elasticsearch {
        c.warnings.extend(binding_lint::call_site_binding_warnings(script));
    }
    (result, std::mem::take(&mut c.warnings))
}

impl<'a> Checker<'a> {
    fn check_script(&mut self, script: &ast::Script) -> CResult<Checked> {
        for f in &script.functions {
            let ret = self.resolve_type(&f.return_type)?;
            let params = f.params.iter().map(|p| self.resolve_type(&p.ty)).collect::<CResult<Vec<_>>>()?;
            if self.fns.iter().any(|d| d.name == f.name.name && d.params.len() == params.len()) {
                return Err(error(
                    code::check::ILLEGAL_TREE,
                    f.name.span,
                    format!("Illegal duplicate functions [{}/{}].", f.name.name, params.len()),
                ));
            }
            self.fns.push(FnDecl { name: f.name.name.clone(), params, ret });
        }
        let mut functions = Vec::new();
        for (i, f) in script.functions.iter().enumerate() {
            functions.push(self.check_function(f, i)?);
        }
        self.in_main = true;
        let ret = match self.env.context {
            ScriptContext::Score | ScriptContext::Sort => Ty::DOUBLE,
            ScriptContext::Test => Ty::Object,
        };
        self.ret_ty = ret.clone();
        self.begin_function();
        // ES locates the script's block at its first token (functions included), past comments.
        let first_token =
            script.functions.first().map(|f| f.span.start).or(script.statements.first().map(|s| s.span.start));
        let main_block = Span { start: first_token.unwrap_or(script.span.start), end: script.span.end };
        let (body, _) = self.check_block_stmts(&script.statements, true, false, main_block)?;
        let main = ir::Function {
            name: "execute".into(),
            params: Vec::new(),
            ret,
            n_slots: self.max_slot as usize,
            body,
            stack: 0,
        };
        Ok(Checked { main, functions, consts: std::mem::take(&mut self.consts), binding_sites: self.binding_sites })
    }

    fn begin_function(&mut self) {
        self.scopes = vec![Vec::new()];
        self.next_slot = 0;
        self.max_slot = 0;
        self.loop_depth = 0;
    }

    fn check_function(&mut self, f: &ast::Function, index: usize) -> CResult<ir::Function> {
        self.in_main = false;
        self.begin_function();
        let (params, ret) = (self.fns[index].params.clone(), self.fns[index].ret.clone());
        self.ret_ty = ret.clone();
        for (p, ty) in f.params.iter().zip(&params) {
            self.declare(&p.name, ty.clone())?;
        }
        if f.body.statements.is_empty() {
            return Err(error(
                code::check::INVALID_STRUCTURE,
                f.span,
                format!(
                    "invalid function definition: found no statements for function [{}] with [{}] parameters",
                    f.name.name,
                    params.len()
                ),
            ));
        }
        let (body, escape) = self.check_block_stmts(&f.body.statements, false, false, f.body.span)?;
        if ret != Ty::Void && !escape.method {
            return Err(error(
                code::check::INVALID_STRUCTURE,
                f.span,
                format!(
                    "invalid function definition: not all paths provide a return value for function [{}] with [{}] parameters",
                    f.name.name,
                    params.len()
                ),
            ));
        }
        Ok(ir::Function { name: f.name.name.clone(), params, ret, n_slots: self.max_slot as usize, body, stack: 0 })
    }

    pub(crate) fn resolve_type(&self, t: &ast::TypeName) -> CResult<Ty> {
        match Ty::from_name(&t.base) {
            Some(ty) => Ok(ty.array_of(t.dims)),
            None => Err(self.unknown_class(&t.base, t.span, format!("cannot resolve type [{}]", t.base))),
        }
    }

    /// A class name the local subset does not know: unsupported-locally when ES has it.
    pub(crate) fn unknown_class(&self, name: &str, span: Span, es_message: String) -> Box<Diagnostic> {
        if let Some(reason) = self.reg.unsupported_class(name) {
            return unsupported_because(code::unsupported::UNSUPPORTED_CLASS, span, &format!("class [{name}]"), reason);
        }
        if es_class_outside_subset(name) {
            return unsupported(code::unsupported::UNSUPPORTED_CLASS, span, &format!("class [{name}]"));
        }
        error(code::check::UNKNOWN_TYPE, span, es_message)
    }

    fn declare(&mut self, name: &ast::Ident, ty: Ty) -> CResult<Slot> {
        if self.lookup_local(&name.name).is_some() || is_context_var(&name.name, self.env.context) {
            return Err(error(
                code::check::DUPLICATE_VARIABLE,
                name.span,
                format!("variable [{}] is already defined", name.name),
            ));
        }
        let slot = self.next_slot;
        self.next_slot += 1;
        self.max_slot = self.max_slot.max(self.next_slot);
        self.scopes.last_mut().expect("invariant: a scope is open").push(Local { name: name.name.clone(), slot, ty });
        Ok(slot)
    }

    fn lookup_local(&self, name: &str) -> Option<&Local> {
        self.scopes.iter().rev().flat_map(|s| s.iter().rev()).find(|l| l.name == name)
    }

    fn push_scope(&mut self) {
        self.scopes.push(Vec::new());
    }

    fn pop_scope(&mut self) {
        if let Some(scope) = self.scopes.pop() {
            self.next_slot -= scope.len() as Slot;
        }
    }

    pub(crate) fn add_const(&mut self, c: Const) -> u32 {
        self.consts.push(c);
        (self.consts.len() - 1) as u32
    }

    /// Statements of a block (ES's `visitBlock`). `last_source`: the block ends the script body
    /// (implicit return); `last_loop`: it begins or ends a loop body (a final `continue` is
    /// extraneous). A statement after one that always escapes is an error at the block's location.
    fn check_block_stmts(
        &mut self,
        stmts: &[ast::Stmt],
        last_source: bool,
        last_loop: bool,
        block_span: Span,
    ) -> CResult<(Vec<ir::Stmt>, Escape)> {
        let mut out = Vec::with_capacity(stmts.len());
        let mut escape = Escape::default();
        for (i, s) in stmts.iter().enumerate() {
            let is_last = i + 1 == stmts.len();
            let window_end = stmts.get(i + 1).map(|n| n.span.start).unwrap_or(block_span.end.max(s.span.end));
            let window = Span { start: stmt_start(s), end: window_end };
            let (st, e) = self.check_stmt(s, last_source && is_last, last_loop && is_last, window)?;
            if is_last {
                escape = Escape { any_continue: escape.any_continue, any_break: escape.any_break, ..e };
            } else if e.all {
                let mut d =
                    error(code::check::INVALID_STRUCTURE, at_start(block_span), "invalid block: unreachable statement");
                d.help = Some(
                    "ES points at the start of the block: a statement in it follows one that always leaves the \
                     block (return, break, continue or a loop without a way out), so it can never run"
                        .into(),
                );
                return Err(d);
            }
            escape.any_continue |= e.any_continue;
            escape.any_break |= e.any_break;
            out.push(st);
        }
        Ok((out, escape))
    }

    /// A loop body (ES gives it `BeginLoop`), in its own scope.
    fn check_body(&mut self, s: &ast::Stmt, window: Span) -> CResult<(Vec<ir::Stmt>, Escape)> {
        self.loop_depth += 1;
        let r = self.check_branch(s, false, true, window);
        self.loop_depth -= 1;
        r
    }

    fn check_stmt(
        &mut self,
        s: &ast::Stmt,
        last_source: bool,
        last_loop: bool,
        window: Span,
    ) -> CResult<(ir::Stmt, Escape)> {
        let span = window;
        let mut escape = Escape::default();
        let kind = match &s.kind {
            ast::StmtKind::Decl { ty, vars } => {
                let ty = self.resolve_type(ty)?;
                let mut stores = Vec::new();
                for v in vars {
                    let value = match &v.init {
                        Some(init) => self.check_assign_value(init, &ty)?,
                        None => ir::Expr::new(ir::ExprKind::Const(self.default_const(&ty)), v.name.span),
                    };
                    let slot = self.declare(&v.name, ty.clone())?;
                    stores.push(ir::Stmt { kind: StmtKind::Store(slot, value), span });
                }
                if stores.len() == 1 {
                    return Ok((stores.pop().expect("invariant: one store"), escape));
                }
                StmtKind::Block(stores)
            }
            ast::StmtKind::Expr(e) => {
                if last_source && self.ret_ty != Ty::Void {
                    let v = self.check_expr(e, None)?;
                    if v.ty == Ty::Void {
                        StmtKind::Expr(v.ir)
                    } else {
                        let ret = self.ret_ty.clone();
                        let conv = self.convert(v, &ret, false, true, e.span)?;
                        escape = Escape::RETURN;
                        StmtKind::Return(Some(conv))
                    }
                } else {
                    if let Some(msg) = expr::not_a_statement(e) {
                        return Err(error(code::check::NOT_A_STATEMENT, e.span, msg));
                    }
                    StmtKind::Expr(self.check_statement_expr(e)?.ir)
                }
            }
            ast::StmtKind::Block(b) => {
                self.push_scope();
                let r = self.check_block_stmts(&b.statements, last_source, last_loop, b.span);
                self.pop_scope();
                let (b, e) = r?;
                escape = e;
                StmtKind::Block(b)
            }
            ast::StmtKind::If { cond, then, otherwise } => {
                let c = self.check_condition(cond)?;
                if matches!(cond.kind, ast::ExprKind::Literal(ast::Literal::Bool(_))) || is_null_block(Some(then)) {
                    return Err(error(code::check::INVALID_STRUCTURE, s.span, "extraneous if block"));
                }
                let (t, te) = self.check_branch(then, last_source, last_loop, window)?;
                let o = match otherwise {
                    None => {
                        escape = Escape { any_continue: te.any_continue, any_break: te.any_break, ..Escape::default() };
                        Vec::new()
                    }
                    Some(o) => {
                        if is_null_block(Some(o)) {
                            return Err(error(code::check::INVALID_STRUCTURE, s.span, "extraneous else block."));
                        }
                        let (o, oe) = self.check_branch(o, last_source, last_loop, window)?;
                        escape = te.both(oe);
                        o
                    }
                };
                StmtKind::If(c, t, o)
            }
            ast::StmtKind::While { cond, body } => {
                let c = self.check_condition(cond)?;
                let const_true = matches!(cond.kind, ast::ExprKind::Literal(ast::Literal::Bool(true)));
                if matches!(cond.kind, ast::ExprKind::Literal(ast::Literal::Bool(false))) {
                    return Err(error(code::check::INVALID_STRUCTURE, s.span, "extraneous while loop"));
                }
                if const_true && is_null_block(body.as_deref()) {
                    return Err(error(code::check::INVALID_STRUCTURE, s.span, "no paths escape from while loop"));
                }
                let b =
                    self.check_loop(s, body.as_deref(), const_true, "extraneous while loop", window, &mut escape)?;
                StmtKind::Loop {
                    cond: if const_true { None } else { Some(c) },
                    update: Vec::new(),
                    body: b,
                    is_do: false,
                }
            }
            ast::StmtKind::DoWhile { body, cond } => {
                if body.statements.is_empty() {
                    return Err(error(code::check::INVALID_STRUCTURE, s.span, "extraneous do-while loop"));
                }
                self.loop_depth += 1;
                self.push_scope();
                let b = self.check_block_stmts(&body.statements, false, true, body.span);
                self.pop_scope();
                self.loop_depth -= 1;
                let (b, be) = b?;
                if be.loop_ && !be.any_continue {
                    return Err(error(code::check::INVALID_STRUCTURE, s.span, "extraneous do-while loop"));
                }
                let c = self.check_condition(cond)?;
                if matches!(cond.kind, ast::ExprKind::Literal(ast::Literal::Bool(false))) {
                    return Err(error(code::check::INVALID_STRUCTURE, s.span, "extraneous do-while loop"));
                }
                if matches!(cond.kind, ast::ExprKind::Literal(ast::Literal::Bool(true))) && !be.any_break {
                    escape = Escape::ENDLESS;
                }
                StmtKind::Loop { cond: Some(c), update: Vec::new(), body: b, is_do: true }
            }
            ast::StmtKind::For { init, cond, update, body } => {
                self.push_scope();
                let r = self.check_for(s, init.as_ref(), cond.as_ref(), update, body.as_deref(), window, &mut escape);
                self.pop_scope();
                r?
            }
            ast::StmtKind::ForEach { ty, var, iterable, body } => {
                let it = self.check_expr(iterable, None)?;
                let var_ty = match ty {
                    Some(t) => self.resolve_type(t)?,
                    None => Ty::Def,
                };
                let elem_ty = match &it.ty {
                    Ty::Array(e) => Some((**e).clone()),
                    Ty::Def | Ty::List | Ty::ArrayList | Ty::Set | Ty::HashSet | Ty::Collection => Some(Ty::Def),
                    Ty::DocLongs | Ty::DocDoubles | Ty::DocStrings | Ty::DocBooleans => Some(Ty::Def),
                    _ => None,
                };
                self.push_scope();
                let slot = self.declare(var, var_ty.clone());
                // ES visits the body before it looks at the iterable's type.
                let r = slot.and_then(|slot| {
                    if is_null_block(Some(body)) {
                        return Err(error(code::check::INVALID_STRUCTURE, s.span, "extraneous foreach loop"));
                    }
                    let (b, be) = self.check_body(body, window)?;
                    if be.loop_ && !be.any_continue {
                        return Err(error(code::check::INVALID_STRUCTURE, s.span, "extraneous foreach loop"));
                    }
                    Ok((slot, b))
                });
                self.pop_scope();
                let (slot, b) = r?;
                let Some(elem_ty) = elem_ty else {
                    return Err(error(
                        code::check::ILLEGAL_TREE,
                        s.span,
                        format!("invalid foreach loop: cannot iterate over type [{}].", it.ty.painless_name()),
                    ));
                };
                let conv = cast::legal_cast(&elem_ty, &var_ty, true, true).map_err(|m| cast_error(var.span, m))?;
                StmtKind::ForEach { slot, conv, iterable: it.ir, body: b }
            }
            ast::StmtKind::Break => {
                if self.loop_depth == 0 {
                    return Err(error(
                        code::check::INVALID_STRUCTURE,
                        s.span,
                        "invalid break statement: not inside loop",
                    ));
                }
                escape = Escape::BREAK;
                StmtKind::Break
            }
            ast::StmtKind::Continue => {
                if self.loop_depth == 0 {
                    return Err(error(
                        code::check::INVALID_STRUCTURE,
                        s.span,
                        "invalid continue statement: not inside loop",
                    ));
                }
                if last_loop {
                    return Err(error(code::check::INVALID_STRUCTURE, s.span, "extraneous continue statement"));
                }
                escape = Escape::CONTINUE;
                StmtKind::Continue
            }
            ast::StmtKind::Return(value) => match value {
                None if self.ret_ty != Ty::Void && !self.in_main => {
                    return Err(cast_error(
                        s.span,
                        format!("cannot cast from [{}] to [void]", self.ret_ty.painless_name()),
                    ));
                }
                None => {
                    escape = Escape::RETURN;
                    StmtKind::Return(None)
                }
                Some(v) => {
                    let ret = self.ret_ty.clone();
                    escape = Escape::RETURN;
                    StmtKind::Return(Some(self.check_assign_value(v, &ret)?))
                }
            },
            ast::StmtKind::Throw(_) => {
                return Err(unsupported(code::unsupported::UNSUPPORTED_EXCEPTIONS, s.span, "throw"));
            }
            ast::StmtKind::Try { .. } => {
                return Err(unsupported(code::unsupported::UNSUPPORTED_EXCEPTIONS, s.span, "try/catch"));
            }
            ast::StmtKind::Empty => StmtKind::Block(Vec::new()),
        };
        Ok((ir::Stmt { kind, span }, escape))
    }

    /// An `if`/`else` branch: a block, or one statement that ES wraps in a block of its own.
    fn check_branch(
        &mut self,
        s: &ast::Stmt,
        last_source: bool,
        last_loop: bool,
        window: Span,
    ) -> CResult<(Vec<ir::Stmt>, Escape)> {
        self.push_scope();
        let r = match &s.kind {
            ast::StmtKind::Block(b) => self.check_block_stmts(&b.statements, last_source, last_loop, b.span),
            _ => self.check_stmt(s, last_source, last_loop, window).map(|(st, e)| (vec![st], e)),
        };
        self.pop_scope();
        r
    }

    /// The body of a `while`/`for` (none: `while (c);` or `{}`). A body that always leaves the loop
    /// without a `continue` makes the loop `extraneous`; an endless loop (`continuous`) without a
    /// `break` escapes the method, so nothing may follow it.
    fn check_loop(
        &mut self,
        s: &ast::Stmt,
        body: Option<&ast::Stmt>,
        continuous: bool,
        extraneous: &str,
        window: Span,
        escape: &mut Escape,
    ) -> CResult<Vec<ir::Stmt>> {
        let Some(body) = body.filter(|b| !is_null_block(Some(b))) else { return Ok(Vec::new()) };
        let (b, be) = self.check_body(body, window)?;
        if be.loop_ && !be.any_continue {
            return Err(error(code::check::INVALID_STRUCTURE, s.span, extraneous.to_string()));
        }
        if continuous && !be.any_break {
            *escape = Escape::ENDLESS;
        }
        Ok(b)
    }

    #[allow(clippy::too_many_arguments)] // the parts of a `for` statement, as the AST holds them
    fn check_for(
        &mut self,
        s: &ast::Stmt,
        init: Option<&ast::ForInit>,
        cond: Option<&ast::Expr>,
        update: &[ast::Expr],
        body: Option<&ast::Stmt>,
        window: Span,
        escape: &mut Escape,
    ) -> CResult<StmtKind> {
        let mut block = Vec::new();
        match init {
            Some(ast::ForInit::Decl { ty, vars }) => {
                let decl = ast::Stmt { kind: ast::StmtKind::Decl { ty: ty.clone(), vars: vars.clone() }, span: s.span };
                block.push(self.check_stmt(&decl, false, false, window)?.0);
            }
            Some(ast::ForInit::Exprs(es)) => {
                for e in es {
                    let v = self.check_statement_expr(e)?;
                    block.push(ir::Stmt { kind: StmtKind::Expr(v.ir), span: window });
                }
            }
            None => {}
        }
        let c = match cond {
            Some(c) => {
                if matches!(c.kind, ast::ExprKind::Literal(ast::Literal::Bool(false))) {
                    return Err(error(code::check::INVALID_STRUCTURE, s.span, "extraneous for loop"));
                }
                if matches!(c.kind, ast::ExprKind::Literal(ast::Literal::Bool(true))) && is_null_block(body) {
                    return Err(error(code::check::INVALID_STRUCTURE, s.span, "no paths escape from for loop"));
                }
                Some(self.check_condition(c)?)
            }
            None => None,
        };
        let mut ups = Vec::new();
        for u in update {
            ups.push(self.check_statement_expr(u)?.ir);
        }
        let continuous = cond.is_none_or(|c| matches!(c.kind, ast::ExprKind::Literal(ast::Literal::Bool(true))));
        let b = self.check_loop(s, body, continuous, "extraneous for loop", window, escape)?;
        block.push(ir::Stmt { kind: StmtKind::Loop { cond: c, update: ups, body: b, is_do: false }, span: window });
        Ok(StmtKind::Block(block))
    }

    fn default_const(&mut self, ty: &Ty) -> u32 {
        let c = match ty {
            Ty::Prim(p) => match p {
                crate::interp::runtime::types::Prim::Boolean => Const::Bool(false),
                crate::interp::runtime::types::Prim::Byte => Const::Byte(0),
                crate::interp::runtime::types::Prim::Short => Const::Short(0),
                crate::interp::runtime::types::Prim::Char => Const::Char(0),
                crate::interp::runtime::types::Prim::Int => Const::Int(0),
                crate::interp::runtime::types::Prim::Long => Const::Long(0),
                crate::interp::runtime::types::Prim::Float => Const::Float(0.0),
                crate::interp::runtime::types::Prim::Double => Const::Double(0.0),
            },
            _ => Const::Null,
        };
        self.add_const(c)
    }
}

/// ES's statement window starts at a declaration's variable name (painless-facts §14).
fn stmt_start(s: &ast::Stmt) -> u32 {
    match &s.kind {
        ast::StmtKind::Decl { vars, .. } => vars.first().map(|v| v.name.span.start).unwrap_or(s.span.start),
        _ => s.span.start,
    }
}

fn is_context_var(name: &str, context: ScriptContext) -> bool {
    match name {
        "params" => true,
        "doc" | "_score" => context.has_document(),
        _ => false,
    }
}

/// Classes ES 8.13 whitelists for score/sort scripts that the local subset does not implement, or
/// implements only in part (`Instant`, `Duration`, `ZonedDateTime`: their other members are ES's).
pub(crate) fn es_class_outside_subset(name: &str) -> bool {
    matches!(
        name,
        "ZonedDateTime"
            | "Instant"
            | "Duration"
            | "LocalDate"
            | "LocalDateTime"
            | "LocalTime"
            | "ZoneId"
            | "ZoneOffset"
            | "Period"
            | "ChronoUnit"
            | "ChronoField"
            | "DateTimeFormatter"
            | "DayOfWeek"
            | "Month"
            | "Collections"
            | "Arrays"
            | "Objects"
            | "Optional"
            | "Pattern"
            | "Matcher"
            | "BigDecimal"
            | "BigInteger"
            | "StringBuilder"
            | "StringBuffer"
            | "Character"
            | "Boolean"
            | "StrictMath"
            | "LinkedHashMap"
            | "TreeMap"
            | "TreeSet"
            | "LinkedList"
            | "LinkedHashSet"
            | "Locale"
            | "Base64"
            | "Random"
            | "GeoPoint"
            | "JodaCompatibleZonedDateTime"
            | "Debug"
            | "Exception"
            | "RuntimeException"
            | "IllegalArgumentException"
            | "IllegalStateException"
            | "StringTokenizer"
            | "UUID"
            | "Function"
            | "BiFunction"
            | "Supplier"
            | "Consumer"
            | "Predicate"
            | "Comparator"
            | "Stream"
            | "IntStream"
            | "DoubleStream"
            | "Collectors"
    )
}

/// ES's control-flow decorations of a statement (`DefaultSemanticAnalysisPhase`): whether every
/// path through it leaves the method (`method`), the enclosing loop (`loop_`) or the block
/// (`all`), and whether it contains a `continue`/`break` of the enclosing loop.
#[derive(Debug, Clone, Copy, Default)]
struct Escape {
    method: bool,
    loop_: bool,
    all: bool,
    any_continue: bool,
    any_break: bool,
}

impl Escape {
    /// `return`, `throw`, and the implicit return of the script's last expression.
    const RETURN: Escape = Escape { method: true, loop_: true, all: true, any_continue: false, any_break: false };
    const BREAK: Escape = Escape { method: false, loop_: true, all: true, any_continue: false, any_break: true };
    const CONTINUE: Escape = Escape { method: false, loop_: false, all: true, any_continue: true, any_break: false };
    /// A loop with a constant-true (or no) condition and no `break`.
    const ENDLESS: Escape = Escape { method: true, loop_: false, all: true, any_continue: false, any_break: false };

    /// `if`/`else`: escapes when both branches do; contains what either contains.
    fn both(self, other: Escape) -> Escape {
        Escape {
            method: self.method && other.method,
            loop_: self.loop_ && other.loop_,
            all: self.all && other.all,
            any_continue: self.any_continue || other.any_continue,
            any_break: self.any_break || other.any_break,
        }
    }
}

/// ES's parser turns `{}` and a lone `;` into no block at all (`extraneous ...` errors).
fn is_null_block(s: Option<&ast::Stmt>) -> bool {
    match s.map(|s| &s.kind) {
        None | Some(ast::StmtKind::Empty) => true,
        Some(ast::StmtKind::Block(b)) => b.statements.is_empty(),
        Some(_) => false,
    }
}

/// A one-character span at `span`'s start (ES locates a block's errors at the block).
fn at_start(span: Span) -> Span {
    Span { start: span.start, end: span.start + 1 }
}
