//! Fuzz target: parse + check + compile any UTF-8 input, in every script context, with every
//! front-end limit in force (the defaults of `ParseLimits`, which `compile` uses). Nothing may
//! panic, overflow the stack or hang; a rejected script is a normal outcome. The rendered
//! diagnostics are produced too, since the renderers index into the source with the spans.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scorelab::interp::{CompileEnv, Dialect, ScriptContext, compile};
use scorelab::painless::{render_es, render_human};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    for context in [ScriptContext::Score, ScriptContext::Sort, ScriptContext::Test] {
        let env = CompileEnv {
            param_names: Some(vec!["user_vector".into(), "k".into()]),
            ..CompileEnv::new(context, Dialect::Elasticsearch)
        };
        let compiled = compile(source, &env);
        if compiled.program.is_none() {
            assert!(!compiled.diagnostics.is_empty(), "a rejected script must say why");
        }
        for d in &compiled.diagnostics {
            let _ = render_es(d, source);
        }
        let _ = render_human(&compiled.diagnostics, "fuzz.painless", source);
    }
});
