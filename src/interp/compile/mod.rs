//! The compile-time phase: parse, check (names → slots, static types, the whitelist), lower to the
//! IR (`crate::interp::ir`), fold constants, hoist per-user invariants and plan the column-wise
//! evaluation. Its product is a [`Program`]; nothing here runs per document.

pub mod check;
pub mod fold;
pub mod hoist;
pub(crate) mod plan;

use crate::interp::program::Program;
use crate::interp::runtime::limits::Limits;
use crate::interp::runtime::types::{Dialect, ScriptContext};
use crate::interp::runtime::value::DocFieldKind;
use crate::interp::stack::{stack_for_depth, with_stack};
use crate::painless::code;
use crate::painless::{self, Diagnostic, Phase, Severity, Span};
use check::{CheckEnv, Checked};

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
    pub vectors: crate::interp::stdlib::vectors::VectorArithmetic,
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

/// L420: a syntax tree deeper than `Limits::max_tree_depth`, at its deepest node.
fn tree_too_deep(depth: usize, max: usize, span: Span) -> Diagnostic {
    Diagnostic {
        code: code::unsupported::TREE_TOO_DEEP.into(),
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
            crate::interp::compile::fold::fold_program(
                &mut main,
                &mut functions,
                &mut consts,
                env.dialect,
                context,
                &env.limits,
            );
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
                let batch = plan::plan(&main, prefix_len, &hoisted, context);
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
