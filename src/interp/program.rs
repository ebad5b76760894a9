//! The public face of the interpreter: `compile` (parse + check + lower), `Program` (Send + Sync,
//! shared by every worker), `Bound` (one user's params and per-user state, single-threaded) and
//! `exec_test` (the `_execute` test context).

use super::check::{self, CheckEnv, Checked};
use super::error::{RuntimeError, RuntimeErrorKind, es_type};
use super::eval::{self, Frame, Interp};
use super::hoist;
use super::ir::{Const, Function};
use super::lib::hashmap::JavaHashMap;
use super::limits::Limits;
use super::registry::{CallCtx, FunctionBinding};
use super::types::{Dialect, ScriptContext};
use super::value::{DocFieldKind, Value};
use crate::painless::{self, Diagnostic, Phase, Severity, Span};

/// What a script is compiled against.
#[derive(Clone, Default)]
pub struct CompileEnv {
    pub context: ScriptContextOpt,
    pub dialect: Dialect,
    /// Doc fields the store has, with their kinds (None: `doc` accesses are not checked).
    pub fields: Option<Vec<(String, DocFieldKind)>>,
    /// Params the harness supplies (None: `params.x` is not checked).
    pub param_names: Option<Vec<String>>,
    pub limits: Limits,
    /// The Lucene vector arithmetic vector functions reproduce (the target engine's, once probed).
    pub vectors: super::lib::vectors::VectorArithmetic,
}

/// `ScriptContext` with a default (score) so `CompileEnv` can derive `Default`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ScriptContextOpt(pub ScriptContext);

impl Default for ScriptContextOpt {
    fn default() -> Self {
        ScriptContextOpt(ScriptContext::Score)
    }
}

impl CompileEnv {
    pub fn new(context: ScriptContext, dialect: Dialect) -> Self {
        CompileEnv { context: ScriptContextOpt(context), dialect, ..Default::default() }
    }
}

pub struct Compiled {
    /// None when any diagnostic is an error or unsupported-locally.
    pub program: Option<Program>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A compiled script: immutable, `Send + Sync`.
#[derive(Debug)]
pub struct Program {
    pub(crate) source: String,
    pub(crate) context: ScriptContext,
    pub(crate) dialect: Dialect,
    pub(crate) main: Function,
    pub(crate) functions: Vec<Function>,
    pub(crate) consts: Vec<Const>,
    pub(crate) limits: Limits,
    pub(crate) vectors: super::lib::vectors::VectorArithmetic,
    /// Statements `main.body[..prefix_len]` depend only on params and constants: `bind` runs them
    /// once per user (see `hoist.rs`).
    pub(crate) prefix_len: usize,
    /// How many `ExprKind::Cached` nodes the rest of `main` has (per-user caches in `Bound`).
    pub(crate) caches: u32,
    /// The per-document part in column-wise form, when it has one (`batch.rs`).
    pub(crate) batch: Option<super::batch::Plan>,
}

/// Native stack per level of syntax-tree depth that checking, folding, hoisting, planning and
/// evaluating may use. Measured in gdb (stack pointer one level apart) on the deep-chain cases of
/// `tests/limits.rs` with the release-optimised `ci` profile: the checker is the deepest stage,
/// 2.9 KiB per level on an operator chain (`check_expr` + `binary`) and 3.2 KiB on a call chain
/// (`check_expr` + `call`); this is 2.5 times the worst. Debug frames are several times larger.
pub(crate) const STACK_PER_LEVEL: usize = if cfg!(debug_assertions) { 64 << 10 } else { 8 << 10 };

/// Stack every thread that compiles or evaluates is assumed to have spare: scripts whose need is
/// below it run where they are, without the check `stacker` makes.
const SMALL_STACK: usize = 128 << 10;

/// Runs `f` with `needed` bytes of native stack, growing it on the heap (stacker) when the
/// current one is shorter: deep trees are walked recursively by every stage, on a stack sized
/// from their measured depth instead of risking an abort on a fixed one.
pub(crate) fn with_stack<T>(needed: usize, f: impl FnOnce() -> T) -> T {
    if needed <= SMALL_STACK {
        f()
    } else {
        let size = needed.saturating_add(SMALL_STACK);
        stacker::maybe_grow(size, size, f)
    }
}

/// The stack a tree `depth` levels deep needs (with a constant for the frames around it).
pub(crate) fn stack_for_depth(depth: usize) -> usize {
    depth.saturating_add(32).saturating_mul(STACK_PER_LEVEL)
}

/// L420: a syntax tree deeper than `Limits::max_tree_depth`, at its deepest node.
fn tree_too_deep(depth: usize, max: usize, span: Span) -> Diagnostic {
    Diagnostic {
        code: "L420".into(),
        severity: Severity::UnsupportedLocally,
        phase: Phase::Compile,
        span: Span { start: span.start, end: span.start.saturating_add(1).min(span.end.max(span.start + 1)) },
        statement: None,
        es_type: "unsupported_locally".into(),
        message: format!(
            "the script's syntax tree is {depth} levels deep, over the local depth budget of {max} \
             (Limits::max_tree_depth); it is valid Painless but unsupported in the local subset"
        ),
        help: Some(
            "a long operator or call chain nests one level per operator; split it into several \
             statements (Elasticsearch's own bound is its JVM stack)"
                .into(),
        ),
        java_frames: Vec::new(),
    }
}

/// Parse, check and lower a script.
pub fn compile(source: &str, env: &CompileEnv) -> Compiled {
    let script = match painless::parse(source) {
        Ok(s) => s,
        Err(diagnostics) => return Compiled { program: None, diagnostics },
    };
    // Long chains nest without brackets, so the parser's nesting limit does not bound the tree:
    // measure it (without recursion) and run the recursive stages on a stack that deep.
    let (depth, deepest) = painless::depth::max_depth(&script);
    if depth > env.limits.max_tree_depth {
        return Compiled { program: None, diagnostics: vec![tree_too_deep(depth, env.limits.max_tree_depth, deepest)] };
    }
    let stack = stack_for_depth(depth);
    with_stack(stack, move || compile_tree(script, source, env, stack))
}

fn compile_tree(script: painless::ast::Script, source: &str, env: &CompileEnv, stack: usize) -> Compiled {
    let context = env.context.0;
    let cenv = CheckEnv {
        context,
        dialect: env.dialect,
        fields: env.fields.as_deref(),
        param_names: env.param_names.as_deref(),
    };
    let (result, mut diagnostics) = check::check(&script, &cenv);
    drop(script);
    match result {
        Err(d) => {
            diagnostics.insert(0, *d);
            Compiled { program: None, diagnostics }
        }
        Ok(Checked { mut main, mut functions, mut consts, binding_sites: _ }) => {
            super::fold::fold_program(&mut main, &mut functions, &mut consts, env.dialect, context, &env.limits);
            // Every function gets the whole tree's budget: an upper bound on its own depth.
            main.stack = stack;
            for f in &mut functions {
                f.stack = stack;
            }
            let (prefix_len, caches, batch) = if context == ScriptContext::Test {
                (0, 0, None)
            } else {
                let prefix_len = hoist::invariant_prefix(&main.body);
                let hoisted = hoist::live_slots(&main.body[..prefix_len]);
                let caches = hoist::cache_invariants(&mut main.body[prefix_len..], &hoisted);
                let batch = super::batch::plan(&main, prefix_len, &hoisted, context);
                (prefix_len, caches, batch)
            };
            let program = Program {
                source: source.to_string(),
                context,
                dialect: env.dialect,
                main,
                functions,
                consts,
                limits: env.limits.clone(),
                vectors: env.vectors,
                prefix_len,
                caches,
                batch,
            };
            Compiled { program: Some(program), diagnostics }
        }
    }
}

/// The IR is as deep as the tree it came from, and its derived drop recurses: a deep program is
/// dropped on a stack as deep as the one it was compiled on.
impl Drop for Program {
    fn drop(&mut self) {
        if self.main.stack > SMALL_STACK {
            let parts = (std::mem::take(&mut self.main.body), std::mem::take(&mut self.functions), self.batch.take());
            with_stack(self.main.stack, move || drop(parts));
        }
    }
}

/// The result of running a script in the test context.
#[derive(Debug, Clone)]
pub struct ExecResult {
    /// The returned value, or the diagnostics (compile or runtime) that stopped it.
    pub outcome: Result<Value, Vec<Diagnostic>>,
}

impl ExecResult {
    /// `scorelab exec`'s `"type"`: the runtime type name of the result.
    pub fn type_name(&self) -> Option<String> {
        self.outcome.as_ref().ok().map(Value::type_name)
    }
}

/// Run `source` in the test context (`_scripts/painless/_execute`, return type Object).
pub fn exec_test(source: &str, params: &serde_json::Map<String, serde_json::Value>) -> ExecResult {
    exec_test_with(source, params, &Limits::default())
}

pub fn exec_test_with(
    source: &str,
    params: &serde_json::Map<String, serde_json::Value>,
    limits: &Limits,
) -> ExecResult {
    let env = CompileEnv { limits: limits.clone(), ..CompileEnv::new(ScriptContext::Test, Dialect::Elasticsearch) };
    let compiled = compile(source, &env);
    let Some(program) = compiled.program else {
        return ExecResult { outcome: Err(compiled.diagnostics) };
    };
    let params = match json_params(params, limits) {
        Ok(p) => p,
        Err(e) => return ExecResult { outcome: Err(vec![program.runtime_diag(e, Span::default(), None)]) },
    };
    let consts: Vec<Value> = program.consts.iter().map(eval::const_value).collect();
    let mut bindings: Vec<Option<Box<dyn FunctionBinding>>> = Vec::new();
    let ctx = CallCtx::detached(program.dialect, program.context, &program.limits).with_vectors(program.vectors);
    let mut interp = Interp {
        functions: &program.functions,
        consts: &consts,
        params: &params,
        score: 0.0,
        ctx,
        limits: &program.limits,
        bindings: &mut bindings,
        cache: &mut Vec::new(),
        depth: 0,
        doc: &eval::NoDoc,
    };
    let mut frame = Frame::new(program.main.n_slots, &program.limits);
    let result = with_stack(program.main.stack, || interp.run_body(&mut frame, &program.main.body, Value::Null));
    match result {
        Ok(v) => ExecResult { outcome: Ok(v) },
        Err(f) => ExecResult { outcome: Err(vec![program.runtime_diag(f.err, f.span, f.stmt)]) },
    }
}

/// JSON params → Painless values (integers → Integer, or Long when too big; decimals → Double;
/// arrays → ArrayList; objects → HashMap), as ES's script params parser produces them.
pub fn json_params(
    params: &serde_json::Map<String, serde_json::Value>,
    limits: &Limits,
) -> Result<Value, RuntimeError> {
    let mut m = JavaHashMap::new();
    for (k, v) in params {
        m.put(Value::str(k), json_value(v, limits)?);
    }
    Ok(Value::new_map(m))
}

pub fn json_value(v: &serde_json::Value, limits: &Limits) -> Result<Value, RuntimeError> {
    Ok(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                match i32::try_from(i) {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::Long(i),
                }
            } else if let Some(u) = n.as_u64() {
                // Beyond i64: ES parses it as a BigInteger, which Painless cannot do arithmetic on.
                return Err(RuntimeError::unsupported_locally(format!("integer parameter {u} exceeds the long range")));
            } else {
                Value::Double(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => Value::str(s),
        serde_json::Value::Array(a) => {
            if a.len() > limits.max_collection_len {
                return Err(RuntimeError::unsupported_locally("parameter list exceeds the local collection limit"));
            }
            Value::new_list(a.iter().map(|x| json_value(x, limits)).collect::<Result<_, _>>()?)
        }
        serde_json::Value::Object(o) => {
            let mut m = JavaHashMap::new();
            for (k, x) in o {
                m.put(Value::str(k), json_value(x, limits)?);
            }
            Value::new_map(m)
        }
    })
}

impl Program {
    pub fn context(&self) -> ScriptContext {
        self.context
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// How many leading statements `bind` runs once per user (0: nothing hoisted).
    pub fn hoisted_statements(&self) -> usize {
        self.prefix_len
    }

    /// How many per-user invariant expressions the per-document part caches (see `hoist.rs`).
    pub fn cached_expressions(&self) -> usize {
        self.caches as usize
    }

    /// A runtime error as ES reports it: `runtime error`, the statement window and the node offset.
    pub(crate) fn runtime_diag(&self, err: RuntimeError, span: Span, stmt: Option<Span>) -> Diagnostic {
        let (code, severity) = match err.kind {
            RuntimeErrorKind::Java => (runtime_code(err.es_type), Severity::Error),
            RuntimeErrorKind::UnsupportedLocally => ("L490", Severity::UnsupportedLocally),
            RuntimeErrorKind::Interrupted => (TIMED_OUT_CODE, Severity::UnsupportedLocally),
        };
        Diagnostic {
            code: code.to_string(),
            severity,
            phase: Phase::Runtime,
            span,
            statement: stmt,
            es_type: err.es_type.to_string(),
            message: err.message,
            help: None,
            java_frames: err.java_frames,
        }
    }
}

/// The code of a diagnostic raised because the evaluation's deadline passed (`interp::deadline`).
pub const TIMED_OUT_CODE: &str = "L491";

/// Stable runtime codes by exception class.
fn runtime_code(es: &str) -> &'static str {
    match es {
        es_type::NULL_POINTER => "R301",
        es_type::CLASS_CAST => "R302",
        es_type::ARITHMETIC => "R303",
        es_type::INDEX_OUT_OF_BOUNDS | es_type::ARRAY_INDEX_OUT_OF_BOUNDS | es_type::STRING_INDEX_OUT_OF_BOUNDS => {
            "R304"
        }
        es_type::PAINLESS_ERROR => "R305",
        es_type::STACK_OVERFLOW => "R306",
        es_type::ILLEGAL_ARGUMENT => "R307",
        es_type::ILLEGAL_STATE => "R308",
        es_type::UNSUPPORTED_OPERATION => "R309",
        // R310 is an invalid score (`rank::outcome::INVALID_SCORE_CODE`).
        es_type::WRONG_METHOD_TYPE => "R311",
        _ => "R399",
    }
}
