//! Expression checking: typing, member resolution and lowering (ES DefaultSemanticAnalysisPhase).

use super::cast::{self, legal_cast, promote_conditional, promote_equality, promote_numeric, promote_unary};
use super::member::java_class_name;
use super::{CResult, Checker, cast_error, error, unsupported};
use crate::interp::ir::{self, Back, BinOp, EqMode, Expr, ExprKind, Target, UnOp};
use crate::interp::runtime::types::{Prim, ScriptContext, Ty};
use crate::painless::ast::{self, BinaryOp, Literal, UnaryOp};
use crate::painless::code;
use crate::painless::{Severity, Span};

/// A checked expression: its IR, static type, and whether it is a literal (elvis checks).
pub(crate) struct Typed {
    pub ir: Expr,
    pub ty: Ty,
    pub literal: bool,
    pub null: bool,
}

impl Typed {
    pub(super) fn new(kind: ExprKind, span: Span, ty: Ty) -> Typed {
        Typed { ir: Expr::new(kind, span), ty, literal: false, null: false }
    }
}

/// ES's operation names, used in its messages.
fn op_name(op: BinaryOp) -> &'static str {
    use BinaryOp::*;
    match op {
        Mul => "multiplication",
        Div => "division",
        Rem => "remainder",
        Add => "addition",
        Sub => "subtraction",
        RegexFind => "find",
        RegexMatch => "match",
        Shl => "left shift",
        Shr => "right shift",
        UShr => "unsigned shift",
        Lt => "less than",
        Le => "less than or equals",
        Gt => "greater than",
        Ge => "greater than or equals",
        Eq => "equals",
        Ne => "not equals",
        RefEq => "reference equals",
        RefNe => "reference not equals",
        BitAnd => "bitwise and",
        BitXor => "bitwise xor",
        BitOr => "bitwise or",
        And => "boolean and",
        Or => "boolean or",
    }
}

fn unary_name(op: UnaryOp) -> (&'static str, &'static str) {
    match op {
        UnaryOp::Plus => ("addition", "+"),
        UnaryOp::Neg => ("subtraction", "-"),
        UnaryOp::Not => ("boolean not", "!"),
        UnaryOp::BitNot => ("bitwise not", "~"),
    }
}

fn literal_text(l: &Literal) -> String {
    match l {
        Literal::Int(v) => v.to_string(),
        Literal::Long(v) => v.to_string(),
        Literal::Float(v) => v.to_string(),
        Literal::Double(v) => v.to_string(),
        Literal::String(s) => s.clone(),
        Literal::Bool(b) => b.to_string(),
        Literal::Null => "null".into(),
    }
}

/// The "not a statement" message ES gives for an expression statement whose value is unused.
pub(crate) fn not_a_statement(e: &ast::Expr) -> Option<String> {
    use ast::ExprKind as K;
    Some(match &e.kind {
        K::Binary { op, .. } => {
            format!("not a statement: result not used from {} operation [{}]", op_name(*op), op.symbol())
        }
        K::Unary { op, .. } => {
            let (name, sym) = unary_name(*op);
            format!("not a statement: result not used from {name} operation [{sym}]")
        }
        K::Literal(Literal::String(s)) => format!("not a statement: string constant [{s}] not used"),
        K::Literal(Literal::Null) => "not a statement: null constant not used".into(),
        K::Literal(Literal::Bool(b)) => format!("not a statement: boolean constant [{b}] not used"),
        K::Literal(l @ (Literal::Float(_) | Literal::Double(_))) => {
            format!("not a statement: decimal constant [{}] not used", literal_text(l))
        }
        K::Literal(l) => format!("not a statement: numeric constant [{}] not used", literal_text(l)),
        K::Var(name) => format!("not a statement: variable [{name}] not used"),
        K::Field { .. } => "not a statement: result of dot operator [.] not used".into(),
        K::Index { .. } => "not a statement: result of brace operator not used".into(),
        K::Conditional { .. } => "not a statement: result not used from conditional operation [?:]".into(),
        K::Elvis { .. } => "not a statement: result not used from elvis operation [?:]".into(),
        K::Cast { ty, .. } => {
            format!("not a statement: result not used from explicit cast with target type [{}]", ty.base)
        }
        K::Instanceof { ty, .. } => {
            format!("not a statement: result not used from instanceof with target type [{}]", ty.base)
        }
        // Checked on the embedded OpenSearch node: both `new int[2];` and `new int[] {1, 2};`.
        K::NewArray { .. } | K::NewArrayInit { .. } => "not a statement: result not used from new array".into(),
        K::ListInit(_) => "not a statement: result not used from list initializer".into(),
        K::MapInit(_) => "not a statement: result not used from map initializer".into(),
        K::Lambda { .. } => "not a statement: lambda not used".into(),
        _ => return None,
    })
}

/// The call site of a `def` call, field load or brace load whose result is still `def` (not yet
/// typed to a target); null-safe accesses keep their explicit conversion.
fn def_site_mut(e: &mut Expr) -> Option<&mut ir::DefSite> {
    match &mut e.kind {
        ExprKind::DynMethod { site, null_safe: false, .. } => Some(site.as_mut()),
        ExprKind::DynField { site: Some(site), null_safe: false, .. } | ExprKind::Index(_, _, Some(site)) => {
            Some(site.as_mut())
        }
        _ => None,
    }
    .filter(|s| s.ret.is_def())
}

/// A `def`-typed arithmetic, bitwise or shift operator (comparisons and `!` are typed boolean):
/// Painless types its call site to the target (`DefaultSemanticAnalysisPhase.visitBinary`/`visitUnary`).
fn is_def_operator(kind: &ExprKind) -> bool {
    use ir::BinOp::{Ge, Gt, Le, Lt};
    match kind {
        ExprKind::Binary(op, ..) => !matches!(op, Lt | Le | Gt | Ge),
        ExprKind::Unary(op, _) => !matches!(op, ir::UnOp::Not),
        ExprKind::DefAdd(..) => true,
        _ => false,
    }
}

/// An int literal that fits `ty` (byte, short or char): Painless narrows such a constant implicitly.
fn narrowable_int_literal(e: &ast::Expr, ty: &Ty) -> bool {
    match (&e.kind, ty) {
        (ast::ExprKind::Literal(Literal::Int(v)), Ty::Prim(Prim::Byte)) => i8::try_from(*v).is_ok(),
        (ast::ExprKind::Literal(Literal::Int(v)), Ty::Prim(Prim::Short)) => i16::try_from(*v).is_ok(),
        (ast::ExprKind::Literal(Literal::Int(v)), Ty::Prim(Prim::Char)) => u16::try_from(*v).is_ok(),
        _ => false,
    }
}

impl<'a> Checker<'a> {
    /// `c ? a : b`: the branches take the target type when there is one (and the explicitness of an
    /// enclosing cast); otherwise Painless's `promoteConditional`, where a byte/short/char branch and
    /// an int constant that fits it give that small type (`x ? (byte) y : 7` is a byte).
    fn conditional(
        &mut self,
        cond: &ast::Expr,
        then: &ast::Expr,
        otherwise: &ast::Expr,
        span: Span,
        target: Option<&Ty>,
        explicit: bool,
    ) -> CResult<Typed> {
        let c = self.check_condition(cond)?;
        let a = self.check_expr(then, target)?;
        let b = self.check_expr(otherwise, target)?;
        let ty = match target {
            Some(t) => t.clone(),
            None if narrowable_int_literal(otherwise, &a.ty) => a.ty.clone(),
            None if narrowable_int_literal(then, &b.ty) => b.ty.clone(),
            None => promote_conditional(&a.ty, &b.ty),
        };
        let branch = |this: &mut Self, e: &ast::Expr, v: Typed| {
            if narrowable_int_literal(e, &ty) {
                this.check_assign_value(e, &ty)
            } else {
                this.convert(v, &ty, explicit, false, e.span)
            }
        };
        let a = branch(self, then, a)?;
        let b = branch(self, otherwise, b)?;
        Ok(Typed::new(ExprKind::Conditional(Box::new(c), Box::new(a), Box::new(b)), span, ty))
    }

    /// An expression in statement position (its value is discarded).
    pub(crate) fn check_statement_expr(&mut self, e: &ast::Expr) -> CResult<Typed> {
        self.check_expr(e, None)
    }

    pub(crate) fn check_condition(&mut self, e: &ast::Expr) -> CResult<Expr> {
        let v = self.check_expr(e, Some(&Ty::BOOLEAN))?;
        self.convert(v, &Ty::BOOLEAN, false, false, e.span)
    }

    /// A value assigned to a slot, field, parameter or return of type `ty`.
    pub(crate) fn check_assign_value(&mut self, e: &ast::Expr, ty: &Ty) -> CResult<Expr> {
        if let (ast::ExprKind::Literal(Literal::Int(v)), Ty::Prim(p @ (Prim::Byte | Prim::Short | Prim::Char))) =
            (&e.kind, ty)
        {
            let c = match p {
                Prim::Byte if i8::try_from(*v).is_ok() => Some(ir::Const::Byte(*v as i8)),
                Prim::Short if i16::try_from(*v).is_ok() => Some(ir::Const::Short(*v as i16)),
                Prim::Char if u16::try_from(*v).is_ok() => Some(ir::Const::Char(*v as u16)),
                _ => None,
            };
            if let Some(c) = c {
                let idx = self.add_const(c);
                return Ok(Expr::new(ExprKind::Const(idx), e.span));
            }
        }
        let v = self.check_expr(e, Some(ty))?;
        self.convert(v, ty, false, false, e.span)
    }

    /// Apply Painless's cast from `v.ty` to `to`.
    pub(crate) fn convert(
        &mut self,
        mut v: Typed,
        to: &Ty,
        explicit: bool,
        internal: bool,
        span: Span,
    ) -> CResult<Expr> {
        if v.null {
            if let Ty::Prim(_) = to {
                return Err(error(
                    code::check::ILLEGAL_CAST,
                    span,
                    format!("Cannot cast null to a primitive type [{}].", to.painless_name()),
                ));
            }
            return Ok(v.ir);
        }
        if v.ty == Ty::Void {
            return Err(cast_error(span, cast::cannot_cast(&v.ty, to)));
        }
        match legal_cast(&v.ty, to, explicit, internal) {
            Ok(None) => Ok(v.ir),
            // Painless types a `def` call, load or brace load to its implicit target: the
            // conversion happens inside the call site (painless-facts §4), with its rules.
            Ok(Some(ir::Conv::DefImplicit(t))) if def_site_mut(&mut v.ir).is_some() => {
                let mut ir = v.ir;
                if let Some(site) = def_site_mut(&mut ir) {
                    site.ret = t;
                }
                Ok(ir)
            }
            Ok(Some(conv)) => {
                let conv = match (conv, &v.ir.kind) {
                    (ir::Conv::DefImplicit(Ty::Prim(p)), kind) if is_def_operator(kind) => ir::Conv::DefOpResult(p),
                    (conv, _) => conv,
                };
                let sp = v.ir.span;
                Ok(Expr::new(ExprKind::Convert(Box::new(v.ir), conv), sp))
            }
            Err(msg) => Err(cast_error(span, msg)),
        }
    }

    pub(crate) fn check_expr(&mut self, e: &ast::Expr, target: Option<&Ty>) -> CResult<Typed> {
        use ast::ExprKind as K;
        let span = e.span;
        match &e.kind {
            K::Literal(l) => Ok(self.literal(l, span, target)),
            K::Var(name) => self.var(name, span),
            K::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, span),
            K::Unary { op, operand } => self.unary(*op, operand, span),
            K::Assign { op, target: t, value } => self.assign(*op, t, value, span),
            K::IncDec { increment, prefix, target: t } => {
                let (tgt, ty) = self.target(t, "increment")?;
                let back = match &ty {
                    Ty::Prim(p) if p.is_numeric() => Back::Prim(*p),
                    Ty::Def => Back::RuntimeClass,
                    other => {
                        let sym = if *increment { "++" } else { "--" };
                        let name = if *increment { "increment" } else { "decrement" };
                        return Err(cast_error(
                            span,
                            format!("cannot apply the {name} operator [{sym}] to the type [{}]", other.painless_name()),
                        ));
                    }
                };
                Ok(Typed::new(ExprKind::IncDec { target: tgt, increment: *increment, prefix: *prefix, back }, span, ty))
            }
            K::Conditional { cond, then, otherwise } => self.conditional(cond, then, otherwise, span, target, false),
            K::Elvis { lhs, rhs } => self.elvis(lhs, rhs, span, target),
            K::Instanceof { expr, ty } => {
                let v = self.check_expr(expr, None)?;
                let t = match Ty::from_name(&ty.base) {
                    Some(t) => t.array_of(ty.dims),
                    None => return Err(self.unknown_class(&ty.base, ty.span, format!("Not a type [{}].", ty.base))),
                };
                // A primitive on the left is boxed first (`int x; x instanceof Integer`).
                let t = match t {
                    Ty::Prim(p) if !v.ty.is_primitive() => Ty::Boxed(p),
                    t => t,
                };
                Ok(Typed::new(ExprKind::Instanceof(Box::new(v.ir), t), span, Ty::BOOLEAN))
            }
            K::Cast { ty, expr } => {
                let to = self.resolve_type(ty)?;
                if let ast::ExprKind::Conditional { cond, then, otherwise } = &expr.kind {
                    // Painless passes the cast's type and its explicitness down to both branches:
                    // `(byte)(x ? y : 7)` casts each branch to byte.
                    let v = self.conditional(cond, then, otherwise, expr.span, Some(&to), true)?;
                    return Ok(Typed::new(v.ir.kind, span, to));
                }
                let v = self.check_expr(expr, Some(&to))?;
                if let (Ty::Prim(Prim::Char), ast::ExprKind::Literal(Literal::String(s))) = (&to, &expr.kind) {
                    let mut units = s.encode_utf16();
                    return match (units.next(), units.next()) {
                        (Some(c), None) => {
                            let idx = self.add_const(ir::Const::Char(c));
                            Ok(Typed::new(ExprKind::Const(idx), span, to))
                        }
                        _ => Err(cast_error(span, "Cannot cast [String] with length greater than one to [char].")),
                    };
                }
                // ES reports an illegal explicit cast at its operand (checked on the engine).
                let ir = self.convert(v, &to, true, false, expr.span)?;
                Ok(Typed::new(ir.kind, span, to))
            }
            K::Field { recv, name, null_safe } => self.field(recv, name, *null_safe, span),
            K::Call { recv, name, args, null_safe } => self.call(recv.as_deref(), name, args, *null_safe, span),
            K::Index { recv, index } => self.index(recv, index, span),
            K::NewObject { ty, args } => {
                let t = self.resolve_type(ty)?;
                let kind = match (&t, args.len()) {
                    (Ty::ArrayList, 0) => ExprKind::NewList(Vec::new()),
                    (Ty::HashMap, 0) => ExprKind::NewMap(Vec::new()),
                    (Ty::HashSet, 0) => ExprKind::NewSet,
                    // The whitelist's only String constructor: the empty string.
                    (Ty::String, 0) => ExprKind::Const(self.add_const(ir::Const::Str("".into()))),
                    (Ty::ArrayList | Ty::HashMap | Ty::HashSet, n) => {
                        return Err(unsupported(
                            code::unsupported::UNSUPPORTED_MEMBER,
                            span,
                            &format!("constructor [{}, <init>/{n}]", t.short_name()),
                        ));
                    }
                    (_, n) => {
                        return Err(error(
                            code::check::MEMBER_NOT_FOUND,
                            span,
                            format!("constructor [{}, <init>/{n}] not found", t.short_name()),
                        ));
                    }
                };
                Ok(Typed::new(kind, span, t))
            }
            K::NewArray { ty, dims } => {
                let elem = self.resolve_type(&ast::TypeName { base: ty.base.clone(), dims: 0, span: ty.span })?;
                let mut ds = Vec::new();
                for d in dims {
                    let v = self.check_expr(d, Some(&Ty::INT))?;
                    ds.push(self.convert(v, &Ty::INT, false, false, d.span)?);
                }
                let total = ty.dims.saturating_add(dims.len() as u8);
                let t = elem.clone().array_of(total);
                Ok(Typed::new(ExprKind::NewArray { elem, dims: ds, total_dims: total }, span, t))
            }
            K::NewArrayInit { ty, values } => {
                let t = self.resolve_type(ty)?;
                let elem = match &t {
                    Ty::Array(e) => (**e).clone(),
                    _ => return Err(error(code::check::ILLEGAL_TREE, span, "invalid array initializer")),
                };
                let mut vs = Vec::new();
                for v in values {
                    let x = self.check_expr(v, Some(&elem))?;
                    vs.push(self.convert(x, &elem, false, true, v.span)?);
                }
                Ok(Typed::new(ExprKind::NewArrayInit { elem, values: vs }, span, t))
            }
            K::ListInit(values) => {
                let mut vs = Vec::new();
                for v in values {
                    let x = self.check_expr(v, None)?;
                    vs.push(self.convert(x, &Ty::Def, false, true, v.span)?);
                }
                Ok(Typed::new(ExprKind::NewList(vs), span, Ty::ArrayList))
            }
            K::MapInit(entries) => {
                let mut es = Vec::new();
                for (k, v) in entries {
                    let kx = self.check_expr(k, None)?;
                    let kx = self.convert(kx, &Ty::Def, false, true, k.span)?;
                    let vx = self.check_expr(v, None)?;
                    let vx = self.convert(vx, &Ty::Def, false, true, v.span)?;
                    es.push((kx, vx));
                }
                Ok(Typed::new(ExprKind::NewMap(es), span, Ty::HashMap))
            }
            K::Lambda { .. } => Err(unsupported(code::unsupported::UNSUPPORTED_LAMBDA, span, "a lambda")),
            K::MethodRef { target, method } => Err(unsupported(
                code::unsupported::UNSUPPORTED_METHOD_REFERENCE,
                span,
                &format!("the method reference [{target}::{method}]"),
            )),
            K::Regex { .. } => Err(unsupported(code::unsupported::UNSUPPORTED_REGEX, span, "a regex")),
        }
    }

    pub(super) fn literal(&mut self, l: &Literal, span: Span, target: Option<&Ty>) -> Typed {
        let (c, ty) = match l {
            Literal::Int(v) => (ir::Const::Int(*v), Ty::INT),
            Literal::Long(v) => (ir::Const::Long(*v), Ty::LONG),
            Literal::Float(v) => (ir::Const::Float(*v), Ty::FLOAT),
            Literal::Double(v) => (ir::Const::Double(*v), Ty::DOUBLE),
            Literal::String(s) => (ir::Const::Str(s.clone()), Ty::String),
            Literal::Bool(b) => (ir::Const::Bool(*b), Ty::BOOLEAN),
            Literal::Null => {
                let idx = self.add_const(ir::Const::Null);
                let ty = match target {
                    Some(t) if t.is_reference() => t.clone(),
                    _ => Ty::Object,
                };
                return Typed { ir: Expr::new(ExprKind::Const(idx), span), ty, literal: true, null: true };
            }
        };
        let idx = self.add_const(c);
        Typed { ir: Expr::new(ExprKind::Const(idx), span), ty, literal: true, null: false }
    }

    pub(super) fn var(&mut self, name: &str, span: Span) -> CResult<Typed> {
        if let Some(l) = self.lookup_local(name) {
            let (slot, ty) = (l.slot, l.ty.clone());
            return Ok(Typed::new(ExprKind::Local(slot), span, ty));
        }
        let ctx = self.env.context;
        match name {
            "params" => return Ok(Typed::new(ExprKind::Params, span, Ty::Map)),
            "doc" if ctx != ScriptContext::Test => return Ok(Typed::new(ExprKind::Doc, span, Ty::DocMap)),
            "_score" if ctx != ScriptContext::Test => return Ok(Typed::new(ExprKind::Score, span, Ty::DOUBLE)),
            // ScoreScript's explanation holder: null except in `explain` requests.
            "explanation" if ctx == ScriptContext::Score => {
                let idx = self.add_const(ir::Const::Null);
                return Ok(Typed::new(ExprKind::Const(idx), span, Ty::Def));
            }
            _ => {}
        }
        if Ty::from_name(name).is_some() || self.reg.is_static_class(name) {
            return Err(error(
                code::check::ILLEGAL_TREE,
                span,
                format!("value required: instead found unexpected type [{name}]"),
            ));
        }
        Err(error(code::check::UNKNOWN_SYMBOL, span, format!("cannot resolve symbol [{name}]")))
    }

    /// A bare name that is a static class (`Math`, `Integer`) rather than a variable.
    pub(super) fn static_class<'e>(&self, e: &'e ast::Expr) -> Option<&'e str> {
        match &e.kind {
            ast::ExprKind::Var(n)
                if self.lookup_local(n).is_none()
                    && !matches!(n.as_str(), "params" | "doc" | "_score" | "explanation") =>
            {
                Some(n.as_str())
            }
            _ => None,
        }
    }

    pub(super) fn binary(&mut self, op: BinaryOp, lhs: &ast::Expr, rhs: &ast::Expr, span: Span) -> CResult<Typed> {
        use BinaryOp as B;
        if matches!(op, B::RegexFind | B::RegexMatch) {
            return Err(unsupported(
                code::unsupported::UNSUPPORTED_REGEX,
                span,
                &format!("the regex operator [{}]", op.symbol()),
            ));
        }
        if matches!(op, B::And | B::Or) {
            let a = self.check_condition(lhs)?;
            let b = self.check_condition(rhs)?;
            let kind = if op == B::And {
                ExprKind::And(Box::new(a), Box::new(b))
            } else {
                ExprKind::Or(Box::new(a), Box::new(b))
            };
            return Ok(Typed::new(kind, span, Ty::BOOLEAN));
        }
        let a = self.check_expr(lhs, None)?;
        let b = self.check_expr(rhs, None)?;
        let cannot = |a: &Ty, b: &Ty| {
            cast_error(
                span,
                format!(
                    "cannot apply the {} operator [{}] to the types [{}] and [{}]",
                    op_name(op),
                    op.symbol(),
                    a.painless_name(),
                    b.painless_name()
                ),
            )
        };
        match op {
            B::Eq | B::Ne | B::RefEq | B::RefNe => {
                if a.null && b.null {
                    return Err(error(code::check::ILLEGAL_TREE, span, "extraneous comparison of [null] constants"));
                }
                let promoted = promote_equality(&a.ty, &b.ty).ok_or_else(|| cannot(&a.ty, &b.ty))?;
                let identity = matches!(op, B::RefEq | B::RefNe);
                let negate = matches!(op, B::Ne | B::RefNe);
                let (mode, l, r) = if promoted.is_primitive() {
                    let l = self.convert(a, &promoted, false, false, lhs.span)?;
                    let r = self.convert(b, &promoted, false, false, rhs.span)?;
                    (EqMode::Primitive, l, r)
                } else {
                    (if identity { EqMode::Identity } else { EqMode::Equals }, a.ir, b.ir)
                };
                Ok(Typed::new(ExprKind::Eq { lhs: Box::new(l), rhs: Box::new(r), mode, negate }, span, Ty::BOOLEAN))
            }
            B::Lt | B::Le | B::Gt | B::Ge => {
                let p = promote_numeric(&a.ty, &b.ty, true).ok_or_else(|| cannot(&a.ty, &b.ty))?;
                let bop = match op {
                    B::Lt => BinOp::Lt,
                    B::Le => BinOp::Le,
                    B::Gt => BinOp::Gt,
                    _ => BinOp::Ge,
                };
                let (l, r) = self.both(a, b, &p, lhs.span, rhs.span)?;
                Ok(Typed::new(ExprKind::Binary(bop, Box::new(l), Box::new(r)), span, Ty::BOOLEAN))
            }
            B::Add => {
                let p = cast::promote_add(&a.ty, &b.ty).ok_or_else(|| cannot(&a.ty, &b.ty))?;
                if p == Ty::String {
                    return Ok(Typed::new(ExprKind::Concat(Box::new(a.ir), Box::new(b.ir)), span, Ty::String));
                }
                if p.is_def() {
                    return Ok(Typed::new(ExprKind::DefAdd(Box::new(a.ir), Box::new(b.ir)), span, Ty::Def));
                }
                let (l, r) = self.both(a, b, &p, lhs.span, rhs.span)?;
                Ok(Typed::new(ExprKind::Binary(BinOp::Add, Box::new(l), Box::new(r)), span, p))
            }
            B::Shl | B::Shr | B::UShr => {
                let lp = promote_unary(&a.ty, false);
                let rp = promote_unary(&b.ty, false);
                let (Some(lp), Some(rp)) = (lp, rp) else { return Err(cannot(&a.ty, &b.ty)) };
                let bop = match op {
                    B::Shl => BinOp::Shl,
                    B::Shr => BinOp::Shr,
                    _ => BinOp::UShr,
                };
                if lp.is_def() || rp.is_def() {
                    return Ok(Typed::new(ExprKind::Binary(bop, Box::new(a.ir), Box::new(b.ir)), span, Ty::Def));
                }
                let l = self.convert(a, &lp, false, false, lhs.span)?;
                let r = if rp == Ty::LONG {
                    self.convert(b, &Ty::INT, true, false, rhs.span)?
                } else {
                    self.convert(b, &rp, false, false, rhs.span)?
                };
                Ok(Typed::new(ExprKind::Binary(bop, Box::new(l), Box::new(r)), span, lp))
            }
            _ => {
                let (bop, p) = match op {
                    B::Mul => (BinOp::Mul, promote_numeric(&a.ty, &b.ty, true)),
                    B::Div => (BinOp::Div, promote_numeric(&a.ty, &b.ty, true)),
                    B::Rem => (BinOp::Rem, promote_numeric(&a.ty, &b.ty, true)),
                    B::Sub => (BinOp::Sub, promote_numeric(&a.ty, &b.ty, true)),
                    B::BitAnd => (BinOp::BitAnd, promote_numeric(&a.ty, &b.ty, false)),
                    B::BitOr => (BinOp::BitOr, promote_numeric(&a.ty, &b.ty, false)),
                    _ => (BinOp::BitXor, cast::promote_xor(&a.ty, &b.ty)),
                };
                let p = p.ok_or_else(|| cannot(&a.ty, &b.ty))?;
                let (l, r) = self.both(a, b, &p, lhs.span, rhs.span)?;
                Ok(Typed::new(ExprKind::Binary(bop, Box::new(l), Box::new(r)), span, p))
            }
        }
    }

    /// Convert both operands to the promoted type (no-op for def).
    pub(super) fn both(&mut self, a: Typed, b: Typed, p: &Ty, ls: Span, rs: Span) -> CResult<(Expr, Expr)> {
        if p.is_def() {
            return Ok((a.ir, b.ir));
        }
        Ok((self.convert(a, p, false, false, ls)?, self.convert(b, p, false, false, rs)?))
    }

    pub(super) fn unary(&mut self, op: UnaryOp, operand: &ast::Expr, span: Span) -> CResult<Typed> {
        if op == UnaryOp::Not {
            let v = self.check_condition(operand)?;
            return Ok(Typed::new(ExprKind::Unary(UnOp::Not, Box::new(v)), span, Ty::BOOLEAN));
        }
        let v = self.check_expr(operand, None)?;
        let p = promote_unary(&v.ty, op != UnaryOp::BitNot).ok_or_else(|| {
            let (name, sym) = unary_name(op);
            cast_error(span, format!("cannot apply the {name} operator [{sym}] to the type [{}]", v.ty.painless_name()))
        })?;
        let uop = match op {
            UnaryOp::Plus => UnOp::Plus,
            UnaryOp::Neg => UnOp::Neg,
            _ => UnOp::BitNot,
        };
        let x = if p.is_def() { v.ir } else { self.convert(v, &p, false, false, operand.span)? };
        Ok(Typed::new(ExprKind::Unary(uop, Box::new(x)), span, p))
    }

    pub(super) fn elvis(
        &mut self,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
        target: Option<&Ty>,
    ) -> CResult<Typed> {
        let bad = |m: &str| {
            super::diag(code::check::ELVIS_ON_PRIMITIVE, Severity::Error, span, "illegal_argument_exception", m)
        };
        if target.is_some_and(|t| t.is_primitive()) {
            return Err(bad("Elvis operator cannot return primitives"));
        }
        let a = self.check_expr(lhs, target)?;
        let b = self.check_expr(rhs, target)?;
        if a.null {
            return Err(bad("Extraneous elvis operator. LHS is null."));
        }
        if a.literal {
            return Err(bad("Extraneous elvis operator. LHS is a constant."));
        }
        if a.ty.is_primitive() {
            return Err(bad("Extraneous elvis operator. LHS is a primitive."));
        }
        if b.null {
            return Err(bad("Extraneous elvis operator. RHS is null."));
        }
        let ty = match target {
            Some(t) => t.clone(),
            None => promote_conditional(&a.ty, &b.ty),
        };
        let l = self.convert(a, &ty, false, false, lhs.span)?;
        let r = self.convert(b, &ty, false, false, rhs.span)?;
        Ok(Typed::new(ExprKind::Elvis(Box::new(l), Box::new(r)), span, ty))
    }

    /// The target of an assignment or `++`, with its static type.
    pub(super) fn target(&mut self, t: &ast::Expr, _what: &str) -> CResult<(Target, Ty)> {
        use ast::ExprKind as K;
        match &t.kind {
            K::Var(name) => {
                if let Some(l) = self.lookup_local(name) {
                    return Ok((Target::Local { slot: l.slot, ty: l.ty.clone() }, l.ty.clone()));
                }
                if matches!(name.as_str(), "params" | "doc" | "_score") {
                    return Err(error(
                        code::check::INVALID_ASSIGNMENT,
                        t.span,
                        format!("Variable [{name}] is read-only."),
                    ));
                }
                Err(error(code::check::UNKNOWN_SYMBOL, t.span, format!("cannot resolve symbol [{name}]")))
            }
            K::Field { recv, name, null_safe } => {
                if *null_safe {
                    return Err(error(
                        code::check::INVALID_NULL_SAFE,
                        t.span,
                        "invalid assignment: cannot assign a value to a null safe operation [?.]",
                    ));
                }
                if self.static_class(recv).is_some_and(|c| self.reg.is_static_class(c)) {
                    return Err(error(
                        code::check::INVALID_ASSIGNMENT,
                        t.span,
                        format!("invalid assignment: cannot assign a value to read-only field [{}]", name.name),
                    ));
                }
                let r = self.check_expr(recv, None)?;
                match &r.ty {
                    Ty::Array(_) if name.name == "length" => Err(error(
                        code::check::INVALID_ASSIGNMENT,
                        t.span,
                        "invalid assignment: cannot assign a value write to read-only field [length] for an array.",
                    )),
                    Ty::Def | Ty::Map | Ty::HashMap | Ty::List | Ty::ArrayList => {
                        if matches!(r.ty, Ty::List | Ty::ArrayList) && name.name.parse::<i32>().is_err() {
                            return Err(error(
                                code::check::ILLEGAL_TREE,
                                super::member::dot_span(recv, name),
                                format!("invalid list index [{}]", name.name),
                            ));
                        }
                        Ok((Target::Field { recv: Box::new(r.ir), name: name.name.clone() }, Ty::Def))
                    }
                    Ty::DocMap => {
                        Err(unsupported(code::unsupported::UNSUPPORTED_MEMBER, t.span, "writing to doc values"))
                    }
                    other => Err(unsupported(
                        code::unsupported::UNSUPPORTED_MEMBER,
                        t.span,
                        &format!("assigning field [{}] of [{}]", name.name, other.short_name()),
                    )),
                }
            }
            K::Index { recv, index } => {
                let r = self.check_expr(recv, None)?;
                let brace = Span { start: recv.span.end, end: t.span.end };
                let (idx, ty, mut site) = self.index_parts(&r.ty, index, brace)?;
                if r.ty == Ty::DocMap {
                    return Err(unsupported(code::unsupported::UNSUPPORTED_MEMBER, t.span, "writing to doc values"));
                }
                // The stored value's type: `def` for compound assignments and `++` (their result
                // is computed in `def`); a plain assignment puts its value's own type here.
                if let Some(site) = site.as_mut() {
                    site.args.push(Ty::Def);
                }
                Ok((Target::Index { recv: Box::new(r.ir), index: Box::new(idx), site }, ty))
            }
            K::Binary { op, .. } => Err(error(
                code::check::INVALID_ASSIGNMENT,
                t.span,
                format!("invalid assignment: cannot assign a value to {} operation [{}]", op_name(*op), op.symbol()),
            )),
            K::Unary { op, .. } => {
                let (name, sym) = unary_name(*op);
                Err(error(
                    code::check::INVALID_ASSIGNMENT,
                    t.span,
                    format!("invalid assignment: cannot assign a value to {name} operation [{sym}]"),
                ))
            }
            K::Call { recv, name, args, .. } => Err(error(
                code::check::INVALID_ASSIGNMENT,
                recv.as_deref().map(|r| super::member::dot_span(r, name)).unwrap_or(t.span),
                format!("invalid assignment: cannot assign a value to method call [{}/{}]", name.name, args.len()),
            )),
            K::Literal(Literal::Null) => Err(error(
                code::check::INVALID_ASSIGNMENT,
                t.span,
                "invalid assignment: cannot assign a value to null constant",
            )),
            K::Literal(Literal::String(s)) => Err(error(
                code::check::INVALID_ASSIGNMENT,
                t.span,
                format!("invalid assignment: cannot assign a value to string constant [{s}]"),
            )),
            K::Literal(l @ (Literal::Float(_) | Literal::Double(_))) => Err(error(
                code::check::INVALID_ASSIGNMENT,
                t.span,
                format!("invalid assignment: cannot assign a value to decimal constant [{}]", literal_text(l)),
            )),
            K::Literal(l) => Err(error(
                code::check::INVALID_ASSIGNMENT,
                t.span,
                format!("invalid assignment: cannot assign a value to numeric constant [{}]", literal_text(l)),
            )),
            K::Conditional { .. } => Err(error(
                code::check::INVALID_ASSIGNMENT,
                t.span,
                "invalid assignment: cannot assign a value to conditional operation [?:]",
            )),
            K::Elvis { .. } => Err(error(
                code::check::INVALID_ASSIGNMENT,
                t.span,
                "invalid assignment: cannot assign a value to elvis operation [?:]",
            )),
            K::Cast { ty, .. } => Err(error(
                code::check::INVALID_ASSIGNMENT,
                t.span,
                format!("invalid assignment: cannot assign a value to an explicit cast with target type [{}]", ty.base),
            )),
            _ => Err(error(
                code::check::INVALID_ASSIGNMENT,
                t.span,
                "invalid assignment: cannot assign a value to this expression",
            )),
        }
    }

    pub(super) fn assign(
        &mut self,
        op: Option<BinaryOp>,
        t: &ast::Expr,
        value: &ast::Expr,
        span: Span,
    ) -> CResult<Typed> {
        let (mut tgt, ty) = self.target(t, "assignment")?;
        let Some(op) = op else {
            if let Target::Index { site: Some(site), .. } = &mut tgt {
                let v = self.check_expr(value, Some(&ty))?;
                site.args[1] = v.ty.clone();
                let v = self.convert(v, &ty, false, false, value.span)?;
                return Ok(Typed::new(ExprKind::Assign { target: tgt, value: Box::new(v) }, span, ty));
            }
            let v = self.check_assign_value(value, &ty)?;
            return Ok(Typed::new(ExprKind::Assign { target: tgt, value: Box::new(v) }, span, ty));
        };
        let r = self.check_expr(value, None)?;
        use BinaryOp as B;
        let (bop, compound) = match op {
            B::Mul => (BinOp::Mul, promote_numeric(&ty, &r.ty, true)),
            B::Div => (BinOp::Div, promote_numeric(&ty, &r.ty, true)),
            B::Rem => (BinOp::Rem, promote_numeric(&ty, &r.ty, true)),
            B::Add => (BinOp::Add, cast::promote_add(&ty, &r.ty)),
            B::Sub => (BinOp::Sub, promote_numeric(&ty, &r.ty, true)),
            B::Shl => (BinOp::Shl, promote_unary(&ty, false).filter(|_| promote_unary(&r.ty, false).is_some())),
            B::Shr => (BinOp::Shr, promote_unary(&ty, false).filter(|_| promote_unary(&r.ty, false).is_some())),
            B::UShr => (BinOp::UShr, promote_unary(&ty, false).filter(|_| promote_unary(&r.ty, false).is_some())),
            B::BitAnd => (BinOp::BitAnd, cast::promote_xor(&ty, &r.ty)),
            B::BitXor => (BinOp::BitXor, cast::promote_xor(&ty, &r.ty)),
            B::BitOr => (BinOp::BitOr, cast::promote_xor(&ty, &r.ty)),
            _ => return Err(error(code::check::ILLEGAL_TREE, span, "illegal tree structure")),
        };
        let Some(compound) = compound else {
            return Err(cast_error(
                span,
                format!(
                    "invalid compound assignment: cannot apply [{}=] to types [{}] and [{}]",
                    op.symbol(),
                    java_class_name(&ty),
                    java_class_name(&r.ty)
                ),
            ));
        };
        let concat = compound == Ty::String;
        let is_shift = matches!(bop, BinOp::Shl | BinOp::Shr | BinOp::UShr);
        let v = if concat || compound.is_def() {
            r.ir
        } else if is_shift {
            let rp = promote_unary(&r.ty, false).unwrap_or(Ty::INT);
            if rp == Ty::LONG {
                self.convert(r, &Ty::INT, true, false, value.span)?
            } else {
                self.convert(r, &rp, false, false, value.span)?
            }
        } else {
            self.convert(r, &compound, false, false, value.span)?
        };
        let back = match &ty {
            Ty::Def => Back::RuntimeClass,
            Ty::Prim(p) => Back::Prim(*p),
            _ => Back::None,
        };
        if !concat && !ty.is_def() && !compound.is_def() {
            // ES's up-cast of the target to the compound type, then the explicit down-cast back.
            legal_cast(&ty, &compound, false, false).map_err(|m| cast_error(span, m))?;
            legal_cast(&compound, &ty, true, false).map_err(|m| cast_error(span, m))?;
        }
        Ok(Typed::new(ExprKind::Compound { target: tgt, op: bop, concat, value: Box::new(v), back }, span, ty))
    }
}
