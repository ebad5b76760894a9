//! The slot-resolved IR the checker emits and the evaluator walks. Names are gone (locals are slot
//! numbers, members are `&'static` registry entries), implicit conversions are explicit `Convert`
//! nodes, and every node keeps the span ES would point at.
//!
//! Runtime values carry their Java class, and the checker guarantees that a statically typed
//! expression evaluates to a value of exactly that class, so arithmetic dispatches on the value
//! variants and still follows Java's static promotion rules.

use super::runtime::types::{Prim, Ty};
use super::stdlib::registry::{FieldSig, FunctionSig, MethodSig, StaticFieldSig, StaticSig};
use crate::painless::Span;

pub type Slot = u32;

/// A constant in the program (Send + Sync); `Bound` materialises one `Value` per entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    Null,
    Bool(bool),
    Byte(i8),
    Short(i16),
    Char(u16),
    Int(i32),
    Long(i64),
    Float(f32),
    Double(f64),
    Str(String),
}

#[derive(Debug, Clone)]
pub struct Function {
    pub name: String,
    pub params: Vec<Ty>,
    pub ret: Ty,
    pub n_slots: usize,
    pub body: Vec<Stmt>,
    /// Native stack one invocation may need (its tree depth times `stack::STACK_PER_LEVEL`);
    /// `compile` fills it in, the evaluator grows the stack to it before running the body.
    pub stack: usize,
}

#[derive(Debug, Clone)]
pub struct Stmt {
    pub kind: StmtKind,
    /// ES's statement window for runtime errors: this statement's start up to the next one's.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum StmtKind {
    /// Evaluate and discard.
    Expr(Expr),
    /// `slot = value` for declarations (value already converted to the slot's type).
    Store(Slot, Expr),
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    /// `while`, `for` (with `update`), `do-while` (`is_do`). `cond: None` loops forever.
    Loop {
        cond: Option<Expr>,
        update: Vec<Expr>,
        body: Vec<Stmt>,
        is_do: bool,
    },
    /// for-each: each element converted with `conv` into `slot`. Not counted by the loop counter.
    ForEach {
        slot: Slot,
        conv: Option<Conv>,
        iterable: Expr,
        body: Vec<Stmt>,
    },
    Break,
    Continue,
    Return(Option<Expr>),
    Block(Vec<Stmt>),
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// Java conversions the checker inserts (assignment, argument, return, cast).
#[derive(Debug, Clone, PartialEq)]
pub enum Conv {
    /// Primitive-to-primitive Java cast (widening or explicit narrowing); the value is a primitive.
    Prim(Prim),
    /// `def` (or Object/Number) to a type, with Painless's run-time *implicit* rules.
    DefImplicit(Ty),
    /// `def` to a type under an explicit cast `(T) x`.
    DefExplicit(Ty),
    /// A `def` operator's result typed to its primitive target: the conversion happens inside the
    /// operator's call site (`DefBootstrap.MIC`, `MethodHandle.asType`), identity or widening only.
    DefOpResult(Prim),
    /// Boxed static type to primitive: NullPointerException on null, then the primitive cast.
    Unbox(Prim),
    /// Reference downcast checked at run time (`(List) obj`).
    CheckRef(Ty),
    /// `(char) someString`: one-character strings only.
    StringToChar,
    /// `(String) someChar`: the one-character string (Painless's explicit char-to-String cast).
    CharToString,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Shl,
    Shr,
    UShr,
    BitAnd,
    BitXor,
    BitOr,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Plus,
    Neg,
    BitNot,
    Not,
}

/// How `==` compares, decided from the static types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EqMode {
    /// Both primitive: numeric (after promotion) or boolean comparison.
    Primitive,
    /// Painless `==` on references/def: null-safe equals, numbers of different box classes numerically.
    Equals,
    /// `===`: identity.
    Identity,
}

/// The type of a `def` call site (painless-facts §4, "`def` call sites"): Painless compiles a
/// call, field load or brace access on a `def` receiver to an `invokedynamic` whose argument
/// types are the static types of the argument expressions (`def` and `null` are Object) and whose
/// return type is the expression's implicit target type (`def` without one). Linking it to the
/// receiver's method checks these against the method's own types.
#[derive(Debug, Clone, PartialEq)]
pub struct DefSite {
    /// Argument types after the receiver: a call's arguments; a brace access's index (a store's
    /// index, then its value).
    pub args: Vec<Ty>,
    /// `Ty::Def` unless a checker-inserted implicit conversion was folded into the site.
    pub ret: Ty,
}

impl DefSite {
    pub fn new(args: Vec<Ty>) -> Box<DefSite> {
        Box::new(DefSite { args, ret: Ty::Def })
    }
}

/// What an assignment writes to.
#[derive(Debug, Clone)]
pub enum Target {
    Local {
        slot: Slot,
        ty: Ty,
    },
    /// `recv[index]` on an array, list, map or def (dispatched at run time).
    Index {
        recv: Box<Expr>,
        index: Box<Expr>,
        /// A `def` receiver's store site: `args` are the index's and the value's static types.
        site: Option<Box<DefSite>>,
    },
    /// `recv.name` shortcut on a map (`put`), list (`list.0`) or def.
    Field {
        recv: Box<Expr>,
        name: String,
    },
}

/// How a compound assignment or `++` converts its result back.
#[derive(Debug, Clone, PartialEq)]
pub enum Back {
    /// To the static type of the target (primitive cast).
    Prim(Prim),
    /// To the runtime class of the old value (def targets, DefBootstrap).
    RuntimeClass,
    /// No conversion (String concatenation, reference results).
    None,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Const(u32),
    Local(Slot),
    Params,
    Doc,
    Score,
    Convert(Box<Expr>, Conv),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// String concatenation where a side is statically String.
    Concat(Box<Expr>, Box<Expr>),
    /// `+` on def operands: concatenation if either value is a String, else numeric.
    DefAdd(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Eq {
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        mode: EqMode,
        negate: bool,
    },
    Unary(UnOp, Box<Expr>),
    Conditional(Box<Expr>, Box<Expr>, Box<Expr>),
    Elvis(Box<Expr>, Box<Expr>),
    Instanceof(Box<Expr>, Ty),
    Assign {
        target: Target,
        value: Box<Expr>,
    },
    Compound {
        target: Target,
        op: BinOp,
        concat: bool,
        value: Box<Expr>,
        back: Back,
    },
    IncDec {
        target: Target,
        increment: bool,
        prefix: bool,
        back: Back,
    },
    /// `recv[index]` read, dispatched on the receiver's runtime class; a `def` receiver has its
    /// load site (`args`: the index's static type).
    Index(Box<Expr>, Box<Expr>, Option<Box<DefSite>>),
    /// `recv.name` read: map key, list index, array length, getter... dispatched at run time; a
    /// `def` receiver has its load site (no `args`).
    DynField {
        recv: Box<Expr>,
        name: String,
        null_safe: bool,
        site: Option<Box<DefSite>>,
    },
    /// A statically resolved registry field.
    Field {
        recv: Box<Expr>,
        sig: &'static FieldSig,
        null_safe: bool,
    },
    StaticField(&'static StaticFieldSig),
    Method {
        recv: Box<Expr>,
        sig: &'static MethodSig,
        args: Vec<Expr>,
        null_safe: bool,
    },
    /// Method on a def receiver: looked up by the runtime class.
    DynMethod {
        recv: Box<Expr>,
        name: String,
        args: Vec<Expr>,
        null_safe: bool,
        site: Box<DefSite>,
    },
    Static {
        sig: &'static StaticSig,
        args: Vec<Expr>,
    },
    /// A context function; `site` indexes the per-`Bound` class-binding cache.
    Function {
        sig: &'static FunctionSig,
        args: Vec<Expr>,
        site: u32,
    },
    User {
        func: u32,
        args: Vec<Expr>,
    },
    NewList(Vec<Expr>),
    NewMap(Vec<(Expr, Expr)>),
    NewSet,
    /// `new T[a][b]...`: `elem` is the innermost element type, `total_dims` all dimensions.
    NewArray {
        elem: Ty,
        dims: Vec<Expr>,
        total_dims: u8,
    },
    NewArrayInit {
        elem: Ty,
        values: Vec<Expr>,
    },
    /// A per-user invariant expression (`hoist::cache_invariants`): evaluated when first reached,
    /// its value then kept in the `Bound`'s cache `index` for the user's later documents.
    Cached {
        index: u32,
        expr: Box<Expr>,
    },
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}

/// One direct part of a statement: an expression it evaluates or a statement nested in it.
pub enum Part<'a> {
    Expr(&'a Expr),
    Stmt(&'a Stmt),
}

/// [`Part`], mutable.
pub enum PartMut<'a> {
    Expr(&'a mut Expr),
    Stmt(&'a mut Stmt),
}

/// The one description of the IR's shape, for shared and mutable borrows alike: passes that only
/// recurse (fold, the per-user cache, purity checks, statement walks) go through the visitors
/// below instead of matching every variant themselves, so a new node kind is added here once.
macro_rules! ir_children {
    (expr $e:expr, $f:ident, $iter:ident) => {{
        use ExprKind as K;
        match $e {
            K::Const(_) | K::Local(_) | K::Params | K::Doc | K::Score | K::StaticField(_) | K::NewSet => {}
            K::Convert(x, _) | K::Unary(_, x) | K::Instanceof(x, _) | K::Cached { expr: x, .. } => $f(x),
            K::Binary(_, a, b)
            | K::Concat(a, b)
            | K::DefAdd(a, b)
            | K::And(a, b)
            | K::Or(a, b)
            | K::Elvis(a, b)
            | K::Index(a, b, _)
            | K::Eq { lhs: a, rhs: b, .. } => {
                $f(a);
                $f(b);
            }
            K::Conditional(c, a, b) => {
                $f(c);
                $f(a);
                $f(b);
            }
            K::Assign { target, value } | K::Compound { target, value, .. } => {
                ir_children!(target target, $f);
                $f(value);
            }
            K::IncDec { target, .. } => ir_children!(target target, $f),
            K::DynField { recv, .. } | K::Field { recv, .. } => $f(recv),
            K::Method { recv, args, .. } | K::DynMethod { recv, args, .. } => {
                $f(recv);
                args.$iter().for_each(|a| $f(a));
            }
            K::Static { args, .. }
            | K::Function { args, .. }
            | K::User { args, .. }
            | K::NewList(args)
            | K::NewArrayInit { values: args, .. }
            | K::NewArray { dims: args, .. } => args.$iter().for_each(|a| $f(a)),
            K::NewMap(entries) => entries.$iter().for_each(|(k, v)| {
                $f(k);
                $f(v);
            }),
        }
    }};
    (target $t:expr, $f:ident) => {
        match $t {
            Target::Local { .. } => {}
            Target::Index { recv, index, .. } => {
                $f(recv);
                $f(index);
            }
            Target::Field { recv, .. } => $f(recv),
        }
    };
    (stmt $s:expr, $f:ident, $iter:ident, $part:ident) => {
        match $s {
            StmtKind::Expr(e) | StmtKind::Store(_, e) => $f($part::Expr(e)),
            StmtKind::If(c, t, o) => {
                $f($part::Expr(c));
                t.$iter().chain(o.$iter()).for_each(|s| $f($part::Stmt(s)));
            }
            StmtKind::Loop { cond, update, body, .. } => {
                if let Some(c) = cond {
                    $f($part::Expr(c));
                }
                update.$iter().for_each(|u| $f($part::Expr(u)));
                body.$iter().for_each(|s| $f($part::Stmt(s)));
            }
            StmtKind::ForEach { iterable, body, .. } => {
                $f($part::Expr(iterable));
                body.$iter().for_each(|s| $f($part::Stmt(s)));
            }
            StmtKind::Break | StmtKind::Continue | StmtKind::Return(None) => {}
            StmtKind::Return(Some(e)) => $f($part::Expr(e)),
            StmtKind::Block(b) => b.$iter().for_each(|s| $f($part::Stmt(s))),
        }
    };
}

impl Expr {
    /// Calls `f` on each direct child expression in evaluation order (an assignment target's
    /// receiver and index before the value; the expression a `Cached` node wraps).
    pub fn for_each_child(&self, f: &mut dyn FnMut(&Expr)) {
        ir_children!(expr & self.kind, f, iter)
    }

    /// [`Expr::for_each_child`], mutable.
    pub fn for_each_child_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        ir_children!(expr &mut self.kind, f, iter_mut)
    }
}

impl Stmt {
    /// Calls `f` on each direct part of the statement in execution order: the expressions it
    /// evaluates and the statements nested in it (not their parts).
    pub fn for_each_part(&self, f: &mut dyn FnMut(Part<'_>)) {
        ir_children!(stmt & self.kind, f, iter, Part)
    }

    /// [`Stmt::for_each_part`], mutable.
    pub fn for_each_part_mut(&mut self, f: &mut dyn FnMut(PartMut<'_>)) {
        ir_children!(stmt &mut self.kind, f, iter_mut, PartMut)
    }
}
