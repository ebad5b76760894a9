//! `scorelab exec`: a local `_scripts/painless/_execute`. Test context by default (prints
//! `{"result": ..., "type": ...}`), or one document of a store in the score/sort context, or a
//! JSONL batch (one result line per input line; a bad line gives an error line).

use super::check::{ContextArg, DialectArg};
use anyhow::Context;
use scorelab::interp::{
    CompileEnv, ScriptContext, Value, compile, exec_test, runtime::output::value_to_json, schema_fields,
};
use scorelab::painless::{Diagnostic, render_es};
use scorelab::store::Store;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  scorelab exec --source 'params.x * 2' --params '{\"x\": 21}'\n  \
    scorelab exec --context score --store .scorelab/stores/movielens --item 1 --user 7 \\\n      \
    --source \"Math.log(1 + doc['popularity'].value)\"\n  \
    scorelab exec --batch cases.jsonl")]
pub struct ExecArgs {
    /// The script source.
    #[arg(long, conflicts_with = "batch")]
    pub source: Option<String>,
    /// Params as a JSON object.
    #[arg(long)]
    pub params: Option<String>,
    /// JSONL file of {"source": ..., "params": {...}} lines (test context).
    #[arg(long)]
    pub batch: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "test")]
    pub context: ContextArg,
    /// Store directory (score/sort context).
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// Item id to score (score/sort context).
    #[arg(long)]
    pub item: Option<String>,
    /// User id whose matrix becomes params.user_vector (score/sort context).
    #[arg(long)]
    pub user: Option<String>,
    /// The subquery score `_score` (1.0 under match_all).
    #[arg(long, default_value_t = 1.0)]
    pub score: f64,
    #[arg(long, value_enum, default_value = "elasticsearch")]
    pub dialect: DialectArg,
    /// Time budget of one script run, in seconds: past it the run stops with an
    /// unsupported_locally error (L491). The loop counter alone allows hours (recursion).
    #[arg(long, value_name = "SECS", default_value_t = 4.0)]
    pub timeout: f64,
}

/// The deadline of one run under `--timeout` (non-positive or not finite: none).
fn deadline(timeout: f64) -> scorelab::interp::run::deadline::Deadline {
    let at = (timeout.is_finite() && timeout > 0.0)
        .then(|| std::time::Instant::now() + std::time::Duration::from_secs_f64(timeout));
    scorelab::interp::run::deadline::Deadline::enter(at)
}

/// `{"error": {"type": <es exception>, "reason": ..., <script_exception fields>}}`.
pub fn error_json(diags: &[Diagnostic], source: &str) -> serde_json::Value {
    let Some(d) = diags.iter().find(|d| d.is_error()).or(diags.first()) else {
        return serde_json::json!({"error": {"type": "unknown", "reason": null}});
    };
    let mut obj = serde_json::Map::new();
    obj.insert("type".into(), serde_json::json!(d.es_type));
    obj.insert(
        "reason".into(),
        if d.message.is_empty() { serde_json::Value::Null } else { serde_json::json!(d.message) },
    );
    obj.insert("code".into(), serde_json::json!(d.code));
    obj.insert("severity".into(), serde_json::json!(d.severity));
    if let serde_json::Value::Object(es) = render_es(d, source) {
        obj.insert("script_exception".into(), serde_json::Value::Object(es));
    }
    serde_json::json!({ "error": obj })
}

/// The result line, or the reason `v` has no JSON form (`exec_test` already refuses such results,
/// and a score is a double, so this is never expected to fail; if it does, it is an error, not a result).
fn result_line(v: &Value) -> Result<String, String> {
    let json = value_to_json(v).map_err(|e| e.message)?;
    Ok(format!("{{\"result\":{json},\"type\":{}}}", serde_json::json!(v.type_name())))
}

fn parse_params(text: Option<&str>) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    match text {
        None => Ok(serde_json::Map::new()),
        Some(t) => match serde_json::from_str::<serde_json::Value>(t).context("--params is not valid JSON")? {
            serde_json::Value::Object(m) => Ok(m),
            _ => anyhow::bail!("--params must be a JSON object"),
        },
    }
}

/// One test-context run: (output line, ok).
fn run_test(source: &str, params: &serde_json::Map<String, serde_json::Value>) -> (String, bool) {
    let r = exec_test(source, params);
    match &r.outcome {
        Ok(v) => match result_line(v) {
            Ok(line) => (line, true),
            Err(why) => (serde_json::json!({ "error": { "message": why } }).to_string(), false),
        },
        Err(diags) => (error_json(diags, source).to_string(), false),
    }
}

pub fn run(args: ExecArgs) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if let Some(batch) = &args.batch {
        let file = std::fs::File::open(batch).with_context(|| format!("opening {}", batch.display()))?;
        let mut all_ok = true;
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.with_context(|| format!("reading {} line {}", batch.display(), n + 1))?;
            if line.trim().is_empty() {
                continue;
            }
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(&line);
            let (text, ok) = match parsed {
                Ok(serde_json::Value::Object(obj)) => match obj.get("source").and_then(|s| s.as_str()) {
                    Some(src) => {
                        let params = obj.get("params").and_then(|p| p.as_object()).cloned().unwrap_or_default();
                        let _deadline = deadline(args.timeout);
                        run_test(src, &params)
                    }
                    None => (bad_line(n + 1, "missing \"source\" string"), false),
                },
                Ok(_) => (bad_line(n + 1, "not a JSON object"), false),
                Err(e) => (bad_line(n + 1, &format!("invalid JSON: {e}")), false),
            };
            all_ok &= ok;
            writeln!(out, "{text}")?;
        }
        return Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::from(super::EXIT_PROBLEMS) });
    }
    let source = args.source.clone().context("--source (or --batch) is required")?;
    let mut params = parse_params(args.params.as_deref())?;
    let context: ScriptContext = args.context.into();
    let _deadline = deadline(args.timeout);
    if context == ScriptContext::Test {
        let (text, ok) = run_test(&source, &params);
        writeln!(out, "{text}")?;
        return Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(super::EXIT_PROBLEMS) });
    }
    let store_dir = args.store.as_ref().context("--store is required in the score/sort context")?;
    let store = Store::open(store_dir).with_context(|| format!("opening store {}", store_dir.display()))?;
    let item_id = args.item.as_ref().context("--item is required in the score/sort context")?;
    let item = store.item_index(item_id).with_context(|| format!("item {item_id} is not in the store"))?;
    if let Some(user_id) = &args.user {
        let user = store.user_index(user_id).with_context(|| format!("user {user_id} is not in the store"))?;
        // Exactly the params `eval` and the engine harness pass (`rank::user_params`).
        params = scorelab::rank::user_params(&store, user, &params);
    }
    let env = CompileEnv {
        fields: Some(schema_fields(store.schema())),
        param_names: Some(params.keys().cloned().collect()),
        ..CompileEnv::new(context, args.dialect.into())
    };
    let compiled = compile(&source, &env);
    let Some(program) = compiled.program else {
        writeln!(out, "{}", error_json(&compiled.diagnostics, &source))?;
        return Ok(ExitCode::from(super::EXIT_PROBLEMS));
    };
    let outcome = program.bind(&params, &store).and_then(|mut b| program.eval(&mut b, &store, item, args.score));
    match outcome {
        Ok(v) => {
            writeln!(out, "{}", result_line(&Value::Double(v)).map_err(anyhow::Error::msg)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(d) => {
            writeln!(out, "{}", error_json(&[d], &source))?;
            Ok(ExitCode::from(super::EXIT_PROBLEMS))
        }
    }
}

fn bad_line(n: usize, why: &str) -> String {
    serde_json::json!({"error": {"type": "bad_request", "reason": format!("batch line {n}: {why}")}}).to_string()
}
