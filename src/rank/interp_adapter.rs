//! The interpreter behind the scorer seam: compiles a `ScriptSet` with `interp::compile` against
//! the store's schema, and makes `LocalEngine` a `RankEngine`.

use super::local::{CompiledSet, CompiledSort, LocalEngine};
use super::outcome::{CompileFailure, RankOutcome, RankRequest};
use super::scorer::{BatchFailure, BatchScores, BoundScorer, Params, UserScorer};
use super::{Dialect, RankEngine, RankError, ScriptSet};
use crate::interp::run::bound::schema_fields;
use crate::interp::{self, Bound, CompileEnv, Program, ScriptContext};
use crate::painless::Diagnostic;
use crate::store::{ItemIdx, Store, UserIdx};
use std::time::Instant;

/// A compiled Painless script.
pub struct InterpScorer {
    program: Program,
}

struct InterpBound<'a> {
    program: &'a Program,
    bound: Bound,
    store: &'a Store,
}

impl UserScorer for InterpScorer {
    fn bind<'a>(
        &'a self,
        _user: UserIdx,
        params: &Params,
        store: &'a Store,
    ) -> Result<Box<dyn BoundScorer + 'a>, Diagnostic> {
        let bound = self.program.bind(params, store)?;
        Ok(Box::new(InterpBound { program: &self.program, bound, store }))
    }
}

impl BoundScorer for InterpBound<'_> {
    fn eval(&mut self, item: ItemIdx, score: f64) -> Result<f64, Diagnostic> {
        self.program.eval(&mut self.bound, self.store, item, score)
    }

    fn eval_batch(&mut self, items: &[ItemIdx], scores: BatchScores<'_>, out: &mut [f64]) -> Result<(), BatchFailure> {
        self.program.eval_batch(&mut self.bound, self.store, items, scores, out)
    }
}

/// The compile environment for one script of a set: the store's fields (so unknown `doc` fields
/// are reported) and the params the harness supplies (`user_vector` + the harness params).
pub fn compile_env(store: &Store, context: ScriptContext, dialect: Dialect, harness: &Params) -> CompileEnv {
    let mut param_names: Vec<String> = harness.keys().cloned().collect();
    param_names.push("user_vector".to_string());
    CompileEnv {
        fields: Some(schema_fields(store.schema())),
        param_names: Some(param_names),
        ..CompileEnv::new(context, dialect)
    }
}

/// Every script's findings, failing or not (warnings included), in set order.
pub struct SetCompilation {
    pub compiled: Option<CompiledSet<'static>>,
    /// One entry per script that failed to compile.
    pub failures: Vec<CompileFailure>,
    /// Warnings of scripts that compiled, as (file name, diagnostic).
    pub warnings: Vec<(String, Diagnostic)>,
}

/// Compiles every script of the set; the set runs only when all of them compile.
pub fn compile_set(set: &ScriptSet, store: &Store, harness: &Params) -> SetCompilation {
    compile_set_with(set, store, harness, &interp::Limits::default(), Default::default())
}

/// `compile_set` with the sandbox limits the programs run under (memory budget, depth budget) and
/// vector functions computed in the given Lucene arithmetic.
pub fn compile_set_with(
    set: &ScriptSet,
    store: &Store,
    harness: &Params,
    limits: &interp::Limits,
    vectors: crate::interp::stdlib::vectors::VectorArithmetic,
) -> SetCompilation {
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    let mut compile = |script: &super::Script, context: ScriptContext| -> Option<Box<dyn UserScorer>> {
        let env = CompileEnv { limits: limits.clone(), vectors, ..compile_env(store, context, set.dialect, harness) };
        let compiled = interp::compile(&script.source, &env);
        match compiled.program {
            Some(program) => {
                warnings.extend(compiled.diagnostics.into_iter().map(|d| (script.file_name.clone(), d)));
                Some(Box::new(InterpScorer { program }))
            }
            None => {
                failures.push(CompileFailure {
                    script: script.file_name.clone(),
                    source: script.source.clone(),
                    diagnostics: compiled.diagnostics,
                });
                None
            }
        }
    };
    let query = compile(&set.query, ScriptContext::Score);
    let sorts: Vec<Option<CompiledSort<'static>>> = set
        .sorts
        .iter()
        .map(|s| {
            compile(&s.script, ScriptContext::Sort).map(|scorer| CompiledSort {
                scorer,
                order: s.order,
                file: s.script.file_name.clone(),
            })
        })
        .collect();
    let compiled = match (query, sorts.into_iter().collect::<Option<Vec<_>>>()) {
        (Some(query), Some(sorts)) if failures.is_empty() => {
            Some(CompiledSet { query, query_file: set.query.file_name.clone(), sorts })
        }
        _ => None,
    };
    SetCompilation { compiled, failures, warnings }
}

impl RankEngine for LocalEngine<'_> {
    fn name(&self) -> &str {
        "local"
    }

    fn rank(&self, set: &ScriptSet, request: &RankRequest) -> Result<RankOutcome, RankError> {
        let start = Instant::now();
        let compilation = compile_set_with(set, self.store(), &request.harness_params, &self.limits(), request.vectors);
        let compile_ms = start.elapsed().as_secs_f64() * 1e3;
        match compilation.compiled {
            Some(compiled) => {
                let mut outcome = self.rank_compiled(&compiled, request)?;
                outcome.compile_ms = compile_ms;
                Ok(outcome)
            }
            None => Ok(RankOutcome { compile_failures: compilation.failures, compile_ms, ..Default::default() }),
        }
    }
}
