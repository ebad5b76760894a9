//! scorelab: an optimiser in the driver's seat of a recommender's Painless scoring layer.
//!
//! Data flows one way: `data` (adapters → exchange format) → `store` (binary, memory-mapped) →
//! `painless` (front-end) → `interp` (compile + evaluate) → `rank` (local and search-engine ranking)
//! → `metrics` → `run` (run directories) → `optimise` (the loop) → `report`. `progress` (the hook long
//! operations report through) names nothing and any layer may use it.
//! See ARCHITECTURE.md for the module map and the contracts between modules, and docs/ for the
//! definitions the code cites (`painless-facts §N`, `metrics.md`, `engines.md`).

pub mod data;
pub mod engine;
pub mod interp;
pub mod metrics;
pub mod optimise;
pub mod painless;
pub mod progress;
pub mod rank;
pub mod report;
pub mod run;
pub mod store;

/// The one-way data flow, checked: a top-level module may name (`crate::x`) only the modules before it
/// in `LAYERS`. Read from the source tree so that a new import against the flow fails `cargo test`.
#[cfg(test)]
mod layering {
    const LAYERS: [&str; 10] =
        ["data", "store", "painless", "interp", "rank", "metrics", "engine", "run", "optimise", "report"];

    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable src directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The top-level modules a source names through `crate::x` or `crate::{x, y::z}`.
    fn named_modules(text: &str) -> Vec<&str> {
        let ident = |s: &str| -> usize { s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len()) };
        let mut names = Vec::new();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let mut depth = 0usize;
                let mut start = 0usize;
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            let item = group[start..i].trim_start();
                            names.push(&item[..ident(item)]);
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            let item = group[start..i].trim_start();
                            names.push(&item[..ident(item)]);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
            } else {
                names.push(&rest[..ident(rest)]);
            }
        }
        names
    }

    #[test]
    fn the_module_name_scanner_sees_grouped_imports() {
        assert_eq!(
            named_modules("use crate::{run::X, metrics::{A, B}};\nuse crate::store::Store;"),
            ["run", "metrics", "store"]
        );
    }

    #[test]
    fn modules_import_only_earlier_layers() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut against_the_flow = Vec::new();
        for (layer, module) in LAYERS.iter().enumerate() {
            let mut files = Vec::new();
            sources(&src.join(module), &mut files);
            assert!(!files.is_empty(), "src/{module} has no sources");
            for file in files {
                let text = std::fs::read_to_string(&file).expect("readable source");
                for name in named_modules(&text) {
                    if LAYERS[layer + 1..].contains(&name) {
                        against_the_flow.push(format!("{} names crate::{name}", file.display()));
                    }
                }
            }
        }
        assert!(against_the_flow.is_empty(), "imports against the data flow:\n{}", against_the_flow.join("\n"));
    }
}
