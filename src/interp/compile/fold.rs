//! Constant folding over the checked IR (run by `compile` before hoisting).
//!
//! A node whose operands are all primitive constants is replaced by its value, computed by the
//! very functions the evaluator runs (`ops::binary`, `ops::unary`, `ops::prim_cast`, the `Math`
//! library), so Java's semantics (int/long wrap, float rounding at each step, NaN rules) carry
//! over exactly. What is folded: arithmetic, shifts, bitwise and comparison operators, unary
//! operators, primitive conversions, primitive `==`/`!=`, `&&`/`||`, a conditional with a
//! constant condition, and `Math`/`StrictMath` calls returning a primitive.
//!
//! What is never folded:
//! - anything whose evaluation raises (integer division or remainder by zero, a failing
//!   conversion): the node stays, so the error is raised at run time at the same position, as
//!   in ES;
//! - strings (`"a" + "b"`): a folded string would be a different object than the one the
//!   script builds, which `===` could observe;
//! - anything reading params, doc, `_score`, locals, or calling user functions.

use crate::interp::ir::{Const, EqMode, Expr, ExprKind, Function, PartMut, Stmt};
use crate::interp::runtime::limits::Limits;
use crate::interp::runtime::ops;
use crate::interp::runtime::types::{Dialect, ScriptContext, Ty};
use crate::interp::runtime::value::Value;
use crate::interp::stdlib::registry::CallCtx;

/// Folds every function body in place, appending new constants to `consts`.
pub fn fold_program(
    main: &mut Function,
    functions: &mut [Function],
    consts: &mut Vec<Const>,
    dialect: Dialect,
    context: ScriptContext,
    limits: &Limits,
) {
    let mut folder = Folder { consts, ctx: CallCtx::detached(dialect, context, limits) };
    for s in main.body.iter_mut() {
        folder.stmt(s);
    }
    for f in functions.iter_mut() {
        for s in f.body.iter_mut() {
            folder.stmt(s);
        }
    }
}

struct Folder<'a> {
    consts: &'a mut Vec<Const>,
    ctx: CallCtx<'a>,
}

impl Folder<'_> {
    fn stmt(&mut self, s: &mut Stmt) {
        s.for_each_part_mut(&mut |part| match part {
            PartMut::Expr(e) => self.expr(e),
            PartMut::Stmt(s) => self.stmt(s),
        });
    }

    fn is_str(&self, e: &Expr) -> bool {
        matches!(e.kind, ExprKind::Const(i) if matches!(self.consts.get(i as usize), Some(Const::Str(_))))
    }

    /// The primitive value of a constant node.
    fn prim(&self, e: &Expr) -> Option<Value> {
        match &e.kind {
            ExprKind::Const(i) => match self.consts.get(*i as usize)? {
                Const::Null | Const::Str(_) => None,
                c => Some(ops::const_value(c)),
            },
            _ => None,
        }
    }

    fn replace(&mut self, e: &mut Expr, v: Value) {
        let c = match v {
            Value::Bool(b) => Const::Bool(b),
            Value::Byte(x) => Const::Byte(x),
            Value::Short(x) => Const::Short(x),
            Value::Char(x) => Const::Char(x),
            Value::Int(x) => Const::Int(x),
            Value::Long(x) => Const::Long(x),
            Value::Float(x) => Const::Float(x),
            Value::Double(x) => Const::Double(x),
            _ => return,
        };
        self.consts.push(c);
        e.kind = ExprKind::Const((self.consts.len() - 1) as u32);
    }

    fn expr(&mut self, e: &mut Expr) {
        self.children(e);
        let folded = match &e.kind {
            ExprKind::Binary(op, a, b) => match (self.prim(a), self.prim(b)) {
                (Some(x), Some(y)) => ops::binary(*op, &x, &y).ok(),
                _ => None,
            },
            ExprKind::Unary(op, x) => self.prim(x).and_then(|v| ops::unary(*op, &v).ok()),
            ExprKind::Convert(x, conv) => match self.prim(x) {
                Some(v) => ops::convert(v, conv).ok(),
                None => None,
            },
            // ES folds `===` between two string constants with Java's `==` on its parser's distinct
            // String objects: never identical (checked on the engine).
            ExprKind::Eq { lhs, rhs, mode: EqMode::Identity, negate } if self.is_str(lhs) && self.is_str(rhs) => {
                Some(Value::Bool(*negate))
            }
            ExprKind::Eq { lhs, rhs, mode: EqMode::Primitive, negate } => match (self.prim(lhs), self.prim(rhs)) {
                (Some(x), Some(y)) => Some(Value::Bool(ops::primitive_equals(&x, &y) != *negate)),
                _ => None,
            },
            ExprKind::And(a, b) => match (self.prim(a), self.prim(b)) {
                (Some(Value::Bool(x)), Some(Value::Bool(y))) => Some(Value::Bool(x && y)),
                _ => None,
            },
            ExprKind::Or(a, b) => match (self.prim(a), self.prim(b)) {
                (Some(Value::Bool(x)), Some(Value::Bool(y))) => Some(Value::Bool(x || y)),
                _ => None,
            },
            ExprKind::Static { sig, args }
                if matches!(sig.class, "Math" | "StrictMath") && matches!(sig.ret, Ty::Prim(_)) =>
            {
                let values: Option<Vec<Value>> = args.iter().map(|a| self.prim(a)).collect();
                values.and_then(|v| (sig.imp)(&self.ctx, &v).ok())
            }
            _ => None,
        };
        if let Some(v) = folded {
            self.replace(e, v);
            return;
        }
        // `true ? a : b` is `a` (the other branch is never evaluated either way).
        if let ExprKind::Conditional(c, a, b) = &mut e.kind
            && let Some(Value::Bool(cond)) = self.prim(c)
        {
            let branch: &mut Expr = if cond { a } else { b };
            let span = branch.span;
            let taken = std::mem::replace(branch, Expr::new(ExprKind::Params, span));
            *e = taken;
        }
    }

    fn children(&mut self, e: &mut Expr) {
        e.for_each_child_mut(&mut |x| self.expr(x));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::ir::StmtKind;
    use crate::interp::{CompileEnv, compile, exec_test};

    fn returned(src: &str) -> (ExprKind, Vec<Const>) {
        let p = compile(src, &CompileEnv::new(ScriptContext::Test, Dialect::Elasticsearch)).program.expect("compiles");
        match &p.main.body.last().expect("a statement").kind {
            StmtKind::Return(Some(e)) => (e.kind.clone(), p.consts.clone()),
            other => panic!("{other:?}"),
        }
    }

    fn folded(src: &str) -> Const {
        match returned(src) {
            (ExprKind::Const(i), consts) => consts[i as usize].clone(),
            (other, _) => panic!("{src}: not folded: {other:?}"),
        }
    }

    #[test]
    fn folds_primitive_arithmetic_with_java_semantics() {
        assert_eq!(folded("return 2 * 3 + 1;"), Const::Int(7));
        assert_eq!(folded("return 2147483647 + 1;"), Const::Int(i32::MIN));
        assert_eq!(folded("return 7 / -2;"), Const::Int(-3));
        assert_eq!(folded("return 1L << 65;"), Const::Long(2));
        assert_eq!(folded("return 0.1f + 0.2f;"), Const::Float(0.1f32 + 0.2f32));
        assert_eq!(folded("return (int) 3.9;"), Const::Int(3));
        assert_eq!(folded("return 1 < 2 && 3 != 4;"), Const::Bool(true));
        assert_eq!(
            folded("return Math.log(2.0) / 365.0;"),
            Const::Double(crate::interp::stdlib::math::log(2.0) / 365.0)
        );
        assert_eq!(folded("return 1 > 2 ? 5 : 6;"), Const::Int(6));
    }

    #[test]
    fn never_folds_what_raises_or_builds_strings() {
        assert!(matches!(returned("return 1 / 0;").0, ExprKind::Binary(..)));
        assert!(matches!(returned("return 5L % 0L;").0, ExprKind::Binary(..)));
        assert!(matches!(returned("return 'a' + 'b';").0, ExprKind::Concat(..)));
        let err = exec_test("int x = 1; return x + 1 / 0;", &serde_json::Map::new()).outcome.expect_err("raises");
        assert_eq!(err[0].es_type, "arithmetic_exception");
        assert_eq!((err[0].span.start, err[0].span.end), (22, 27));
    }
}
