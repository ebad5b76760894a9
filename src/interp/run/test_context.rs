//! The `_execute` test context: compile and run a script once, with no document, as
//! `_scripts/painless/_execute` does (`scorelab exec`).

use super::params::json_params;
use super::walk::{self, Frame, Interp, UserState};
use crate::interp::compile::{CompileEnv, compile};
use crate::interp::runtime::limits::Limits;
use crate::interp::runtime::ops;
use crate::interp::runtime::output::value_to_json;
use crate::interp::runtime::types::{Dialect, ScriptContext};
use crate::interp::runtime::value::Value;
use crate::interp::stack::with_stack;
use crate::interp::stdlib::registry::FunctionBinding;
use crate::painless::{Diagnostic, Span};

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
    let consts: Vec<Value> = program.consts.iter().map(ops::const_value).collect();
    let mut bindings: Vec<Option<Box<dyn FunctionBinding>>> = Vec::new();
    let user = UserState {
        consts: &consts,
        params: &params,
        bindings: &mut bindings,
        cache: &mut Vec::new(),
        doc: &walk::NoDoc,
    };
    let mut interp = Interp::new(&program, user, None, 0.0);
    let mut frame = Frame::new(program.main.n_slots, &program.limits);
    let result = with_stack(program.main.stack, || interp.run_body(&mut frame, &program.main.body, Value::Null));
    match result {
        // `_execute` answers with the result's string form: a result whose Java string form is not
        // reproduced locally (an array's identity hash, a map in unreproduced order) is refused here.
        Ok(v) => match value_to_json(&v) {
            Ok(_) => ExecResult { outcome: Ok(v) },
            Err(e) => ExecResult { outcome: Err(vec![program.runtime_diag(e, Span::default(), None)]) },
        },
        Err(f) => ExecResult { outcome: Err(vec![program.runtime_diag(f.err, f.span, f.stmt)]) },
    }
}
