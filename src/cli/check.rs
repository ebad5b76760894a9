//! `scorelab check PATH...`: compile-check scripts or script-set directories. A directory's
//! `query.painless` is checked in the score context and each `sort_NN.painless` in the sort
//! context; every file is reported in one run. Exit 0 when clean (warnings allowed), 1 when any
//! script has an error or uses something the local subset does not support.

use super::terminal;
use anyhow::Context;
use clap::ValueEnum;
use scorelab::interp::{CompileEnv, Dialect, ScriptContext, compile, schema_fields};
use scorelab::painless::render::render_human_styled;
use scorelab::painless::{Severity, render_es};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ContextArg {
    Score,
    Sort,
    Test,
}

impl From<ContextArg> for ScriptContext {
    fn from(c: ContextArg) -> Self {
        match c {
            ContextArg::Score => ScriptContext::Score,
            ContextArg::Sort => ScriptContext::Sort,
            ContextArg::Test => ScriptContext::Test,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DialectArg {
    Elasticsearch,
    Opensearch,
}

impl From<DialectArg> for Dialect {
    fn from(d: DialectArg) -> Self {
        match d {
            DialectArg::Elasticsearch => Dialect::Elasticsearch,
            DialectArg::Opensearch => Dialect::OpenSearch,
        }
    }
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  scorelab check scripts/baseline                # query.painless + sort_NN.painless\n  \
    scorelab check my_score.painless --store .scorelab/stores/movielens --params now\n  \
    scorelab check scripts/baseline --json"
)]
pub struct CheckArgs {
    /// Script files or script-set directories (query.painless + sort_NN.painless).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print Elasticsearch-shaped JSON (script_exception objects) instead of human diagnostics.
    #[arg(long)]
    pub json: bool,
    /// Context for single files (default: sort for sort_*.painless, else score).
    #[arg(long, value_enum)]
    pub context: Option<ContextArg>,
    /// Check `doc['field']` against this store's schema (unknown fields are warnings).
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// Target engine dialect (vector functions differ). Default: a set directory's `scriptset.json`
    /// dialect, else elasticsearch.
    #[arg(long, value_enum)]
    pub dialect: Option<DialectArg>,
    /// Params the harness supplies (comma-separated); `params.x` outside them is a warning.
    #[arg(long, value_delimiter = ',')]
    pub params: Option<Vec<String>>,
}

/// The dialect a set directory declares in its `scriptset.json` (None for a plain file).
fn declared_dialect(path: &Path) -> anyhow::Result<Option<Dialect>> {
    if !path.is_dir() {
        return Ok(None);
    }
    let set =
        scorelab::rank::ScriptSet::open(path).with_context(|| format!("reading script set {}", path.display()))?;
    Ok(Some(match set.dialect {
        scorelab::rank::Dialect::Elasticsearch => Dialect::Elasticsearch,
        scorelab::rank::Dialect::OpenSearch => Dialect::OpenSearch,
    }))
}

/// The scripts a path stands for, each with its context.
fn expand(path: &Path, context: Option<ContextArg>) -> anyhow::Result<Vec<(PathBuf, ScriptContext)>> {
    if path.is_dir() {
        let mut out = Vec::new();
        let query = path.join("query.painless");
        if query.is_file() {
            out.push((query, ScriptContext::Score));
        }
        let mut sorts: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("reading script-set directory {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("sort_") && n.ends_with(".painless"))
            })
            .collect();
        sorts.sort();
        out.extend(sorts.into_iter().map(|p| (p, ScriptContext::Sort)));
        if out.is_empty() {
            anyhow::bail!("{}: no query.painless or sort_NN.painless in this directory", path.display());
        }
        return Ok(out);
    }
    let ctx = match context {
        Some(c) => c.into(),
        None if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("sort_")) => {
            ScriptContext::Sort
        }
        None => ScriptContext::Score,
    };
    Ok(vec![(path.to_path_buf(), ctx)])
}

fn dialect_name(d: Dialect) -> &'static str {
    match d {
        Dialect::Elasticsearch => "elasticsearch",
        Dialect::OpenSearch => "opensearch",
    }
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let fields = match &args.store {
        Some(dir) => {
            let store =
                scorelab::store::Store::open(dir).with_context(|| format!("opening store {}", dir.display()))?;
            Some(schema_fields(store.schema()))
        }
        None => None,
    };
    let mut files = Vec::new();
    for p in &args.paths {
        let declared = declared_dialect(p)?;
        let dialect = match (args.dialect.map(Dialect::from), declared) {
            (Some(flag), Some(set)) if flag != set => {
                eprintln!(
                    "note: {} declares the {} dialect; checking as {} (--dialect)",
                    p.display(),
                    dialect_name(set),
                    dialect_name(flag)
                );
                flag
            }
            (Some(flag), _) => flag,
            (None, Some(set)) => set,
            (None, None) => Dialect::Elasticsearch,
        };
        files.extend(expand(p, args.context)?.into_iter().map(|(path, ctx)| (path, ctx, dialect)));
    }
    let mut problems = false;
    let mut json_out = Vec::new();
    let colour = terminal::colour(terminal::Stream::Stdout);
    for (path, context, dialect) in files {
        // An unreadable file (not UTF-8, permissions) is that file's problem: report it and go on
        // with the others, as for a file that does not compile.
        let source = match std::fs::read_to_string(&path) {
            Ok(source) => source,
            Err(e) => {
                problems = true;
                let reason = match e.kind() {
                    std::io::ErrorKind::InvalidData => "not valid UTF-8 (Painless scripts are UTF-8 text)".to_string(),
                    _ => e.to_string(),
                };
                if args.json {
                    json_out.push(serde_json::json!({
                        "path": path.display().to_string(),
                        "context": context.name(),
                        "ok": false,
                        "error": format!("cannot read the file: {reason}"),
                        "diagnostics": [],
                    }));
                } else {
                    println!(
                        "{}: {}: cannot read the file: {reason}",
                        path.display(),
                        terminal::paint(colour, "31", "error")
                    );
                }
                continue;
            }
        };
        let env = CompileEnv {
            fields: fields.clone(),
            param_names: args.params.clone(),
            ..CompileEnv::new(context, dialect)
        };
        let compiled = compile(&source, &env);
        let blocking = compiled.diagnostics.iter().any(|d| d.severity != Severity::Warning);
        problems |= blocking;
        let shown = path.display().to_string();
        if args.json {
            json_out.push(serde_json::json!({
                "path": shown,
                "context": context.name(),
                "ok": !blocking,
                "diagnostics": compiled.diagnostics.iter().map(|d| {
                    let mut v = render_es(d, &source);
                    if let serde_json::Value::Object(m) = &mut v {
                        m.insert("code".into(), serde_json::json!(d.code));
                        m.insert("severity".into(), serde_json::json!(d.severity));
                    }
                    v
                }).collect::<Vec<_>>(),
            }));
        } else if compiled.diagnostics.is_empty() {
            println!("{shown}: {} ({} context)", terminal::paint(colour, "32", "ok"), context.name());
        } else {
            print!("{}", render_human_styled(&compiled.diagnostics, &shown, &source, colour));
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json_out)?);
    }
    Ok(if problems { ExitCode::from(super::EXIT_PROBLEMS) } else { ExitCode::SUCCESS })
}
