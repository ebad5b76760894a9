//! The Painless abstract syntax tree: owned (no pest lifetimes), every node carries a byte [`Span`].
//!
//! The tree covers the whole Painless 8.x syntax, including constructs the local interpreter refuses
//! (lambdas, method references, regexes, try/catch...): the checker, not the parser, decides what is
//! "unsupported locally", so a valid script is never reported as invalid Painless.

use super::span::Span;

/// A whole script: user functions first (Painless requires it), then the statements.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub functions: Vec<Function>,
    pub statements: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A type as written: `int`, `def`, `String`, `List`, `Map.Entry`, `double[][]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeName {
    /// The dotted base name without array brackets.
    pub base: String,
    /// Number of `[]` suffixes.
    pub dims: u8,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub return_type: TypeName,
    pub name: Ident,
    pub params: Vec<Param>,
    pub body: Block,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub ty: TypeName,
    pub name: Ident,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub statements: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    /// The statement's own text (without a trailing `;`).
    pub span: Span,
}

/// One declarator of `Type a = 1, b;`.
#[derive(Debug, Clone, PartialEq)]
pub struct Declarator {
    pub name: Ident,
    pub init: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ForInit {
    Decl { ty: TypeName, vars: Vec<Declarator> },
    Exprs(Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Catch {
    pub ty: TypeName,
    pub var: Ident,
    pub body: Block,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    Decl {
        ty: TypeName,
        vars: Vec<Declarator>,
    },
    Expr(Expr),
    Block(Block),
    If {
        cond: Expr,
        then: Box<Stmt>,
        otherwise: Option<Box<Stmt>>,
    },
    /// `body: None` is the empty-statement form `while (c);`.
    While {
        cond: Expr,
        body: Option<Box<Stmt>>,
    },
    DoWhile {
        body: Block,
        cond: Expr,
    },
    For {
        init: Option<ForInit>,
        cond: Option<Expr>,
        update: Vec<Expr>,
        body: Option<Box<Stmt>>,
    },
    /// `for (T x : e)` (ty = Some) or `for (x in e)` (ty = None, the variable is `def`).
    ForEach {
        ty: Option<TypeName>,
        var: Ident,
        iterable: Expr,
        body: Box<Stmt>,
    },
    Break,
    Continue,
    Return(Option<Expr>),
    Throw(Expr),
    Try {
        body: Block,
        catches: Vec<Catch>,
    },
    /// A lone `;`.
    Empty,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    /// A leaf left behind where `Drop` moved a child out.
    fn placeholder() -> Expr {
        Expr { kind: ExprKind::Literal(Literal::Null), span: Span::default() }
    }
}

/// A left-associative operator chain or a call chain is a tree as deep as it is long (3,000
/// terms: 3,000 levels), and the derived drop would recurse once per level. The children are moved
/// to a work list instead, so each node is dropped with its children already gone.
impl Drop for Expr {
    fn drop(&mut self) {
        let mut pending: Vec<Expr> = Vec::new();
        self.kind.take_children(&mut pending);
        while let Some(mut e) = pending.pop() {
            e.kind.take_children(&mut pending);
        }
    }
}

impl ExprKind {
    /// Moves every child expression to `out`, leaving placeholders (lambda bodies stay: their
    /// statements are bounded by the nesting limit).
    fn take_children(&mut self, out: &mut Vec<Expr>) {
        let mut take = |b: &mut Box<Expr>| {
            if !matches!(b.kind, ExprKind::Literal(_) | ExprKind::Var(_)) {
                out.push(std::mem::replace(&mut **b, Expr::placeholder()));
            }
        };
        match self {
            ExprKind::Literal(_)
            | ExprKind::Var(_)
            | ExprKind::MethodRef { .. }
            | ExprKind::Regex { .. }
            | ExprKind::NewObject { .. }
            | ExprKind::NewArray { .. }
            | ExprKind::NewArrayInit { .. }
            | ExprKind::ListInit(_)
            | ExprKind::MapInit(_) => {}
            ExprKind::Binary { lhs, rhs, .. } | ExprKind::Elvis { lhs, rhs } => {
                take(lhs);
                take(rhs);
            }
            ExprKind::Assign { target: lhs, value: rhs, .. } | ExprKind::Index { recv: lhs, index: rhs } => {
                take(lhs);
                take(rhs);
            }
            ExprKind::Unary { operand: x, .. }
            | ExprKind::IncDec { target: x, .. }
            | ExprKind::Instanceof { expr: x, .. }
            | ExprKind::Cast { expr: x, .. }
            | ExprKind::Field { recv: x, .. }
            | ExprKind::Call { recv: Some(x), .. } => take(x),
            ExprKind::Conditional { cond, then, otherwise } => {
                take(cond);
                take(then);
                take(otherwise);
            }
            ExprKind::Call { recv: None, .. } => {}
            ExprKind::Lambda { body, .. } => {
                if let LambdaBody::Expr(x) = body {
                    take(x);
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Int(i32),
    Long(i64),
    Float(f32),
    Double(f64),
    String(String),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    /// `=~`
    RegexFind,
    /// `==~`
    RegexMatch,
    Shl,
    Shr,
    UShr,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    /// `===`
    RefEq,
    /// `!==`
    RefNe,
    BitAnd,
    BitXor,
    BitOr,
    And,
    Or,
}

impl BinaryOp {
    /// The operator as written in source.
    pub fn symbol(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Mul => "*",
            Div => "/",
            Rem => "%",
            Add => "+",
            Sub => "-",
            RegexFind => "=~",
            RegexMatch => "==~",
            Shl => "<<",
            Shr => ">>",
            UShr => ">>>",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Eq => "==",
            Ne => "!=",
            RefEq => "===",
            RefNe => "!==",
            BitAnd => "&",
            BitXor => "^",
            BitOr => "|",
            And => "&&",
            Or => "||",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `+x`
    Plus,
    /// `-x`
    Neg,
    /// `!x`
    Not,
    /// `~x`
    BitNot,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LambdaBody {
    Expr(Box<Expr>),
    Block(Block),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LambdaParam {
    pub ty: Option<TypeName>,
    pub name: Ident,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A bare name: a local, `params`, `doc`, `_score`, or a class name such as `Math` used as a
    /// receiver (the checker decides which).
    Var(String),
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    /// `target = value` (op None) or compound `target op= value`.
    Assign {
        op: Option<BinaryOp>,
        target: Box<Expr>,
        value: Box<Expr>,
    },
    /// `++x` / `--x` (prefix = true) and `x++` / `x--`.
    IncDec {
        increment: bool,
        prefix: bool,
        target: Box<Expr>,
    },
    Conditional {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `lhs ?: rhs`
    Elvis {
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Instanceof {
        expr: Box<Expr>,
        ty: TypeName,
    },
    Cast {
        ty: TypeName,
        expr: Box<Expr>,
    },
    /// `recv.name`, `recv?.name`; a dot-integer shortcut `list.0` has name "0".
    Field {
        recv: Box<Expr>,
        name: Ident,
        null_safe: bool,
    },
    /// `recv.name(args)` / `recv?.name(args)`; `recv: None` is a bare call `f(args)` (user function or
    /// a context function such as `cosineSimilarity`, `saturation`).
    Call {
        recv: Option<Box<Expr>>,
        name: Ident,
        args: Vec<Expr>,
        null_safe: bool,
    },
    /// `recv[index]`
    Index {
        recv: Box<Expr>,
        index: Box<Expr>,
    },
    /// `new T(args)`
    NewObject {
        ty: TypeName,
        args: Vec<Expr>,
    },
    /// `new T[a][b]`: `ty` is the element type, `dims` the given sizes (extra `[]` counted in ty.dims).
    NewArray {
        ty: TypeName,
        dims: Vec<Expr>,
    },
    /// `new T[] {a, b}`: ty.dims includes the `[]`.
    NewArrayInit {
        ty: TypeName,
        values: Vec<Expr>,
    },
    /// `[a, b]` (ArrayList)
    ListInit(Vec<Expr>),
    /// `[k: v, ...]`, `[:]` (HashMap)
    MapInit(Vec<(Expr, Expr)>),
    Lambda {
        params: Vec<LambdaParam>,
        body: LambdaBody,
    },
    /// `Type::method`, `this::method`
    MethodRef {
        target: String,
        method: String,
    },
    /// `/pattern/flags`
    Regex {
        pattern: String,
        flags: String,
    },
}
