//! The supported Painless subset in a few lines, for the system prompt: generated from the
//! interpreter's registry, so a member the interpreter drops disappears from the prompt too.

use crate::interp::runtime::types::{Dialect, ScriptContext, Ty};
use crate::interp::stdlib::registry::registry;
use std::fmt::Write as _;

fn interp_dialect(name: &str) -> Dialect {
    if name.eq_ignore_ascii_case("opensearch") { Dialect::OpenSearch } else { Dialect::Elasticsearch }
}

/// Members worth a ranking script's while, in the order shown; the cheat-sheet lists those the
/// registry has (so a member the interpreter drops disappears from the prompt too). Everything else
/// the registry holds (bit twiddling, string formatting) only costs a small model's context.
const USEFUL_STATICS: &[(&str, &[&str])] = &[
    (
        "Math",
        &[
            "abs", "min", "max", "log", "log10", "log1p", "exp", "pow", "sqrt", "signum", "floor", "ceil", "round",
            "E", "PI",
        ],
    ),
    ("Double", &["parseDouble", "isNaN", "isFinite", "MAX_VALUE"]),
    ("Integer", &["parseInt", "MAX_VALUE"]),
    ("Long", &["parseLong"]),
];
const USEFUL_DOC_MEMBERS: &[&str] = &["value", "size", "empty", "isEmpty", "get", "contains", "getValue"];
const USEFUL_LIST_MEMBERS: &[&str] = &["size", "get", "add", "contains", "indexOf", "isEmpty"];
const USEFUL_STRING_MEMBERS: &[&str] =
    &["equals", "length", "contains", "startsWith", "endsWith", "substring", "compareTo"];

/// The supported Painless subset in a few lines, generated from the interpreter's registry.
pub fn cheat_sheet(dialect: &str) -> String {
    let reg = registry();
    let statics = reg.static_members();
    let mut s = String::from("Supported Painless (the local checker refuses anything else):\n");
    s.push_str(
        "- types: int long double boolean String def List ArrayList Map; if/else, for, while, ternary, (double) casts; \
         declare variables before use; end statements with ;\n",
    );
    for (class, wanted) in USEFUL_STATICS {
        let members: Vec<&str> =
            wanted.iter().copied().filter(|m| statics.iter().any(|(c, n)| c == class && n == m)).collect();
        if !members.is_empty() {
            let _ = writeln!(s, "- {class}.{{{}}}", members.join(", "));
        }
    }
    let functions = reg.functions_in(interp_dialect(dialect), ScriptContext::Score);
    let fns: Vec<String> = functions.iter().map(|(n, p)| format!("{n}({})", p.join(", "))).collect();
    let _ = writeln!(s, "- functions: {}", fns.join("; "));
    for (label, tys, wanted) in [
        (
            "doc['f'] (numbers; keyword values are Strings)",
            vec![Ty::DocLongs, Ty::DocStrings, Ty::List],
            USEFUL_DOC_MEMBERS,
        ),
        ("List", vec![Ty::List, Ty::ArrayList, Ty::Collection], USEFUL_LIST_MEMBERS),
        ("String", vec![Ty::String, Ty::Object], USEFUL_STRING_MEMBERS),
    ] {
        let known = |m: &str| {
            tys.iter().any(|ty| {
                reg.field_names(ty).contains(&m) || reg.method_names(ty).contains(&m) || {
                    // Getters read as fields (`.value` is `getValue()`, `.empty` is `isEmpty()`).
                    let cap = m[..1].to_uppercase() + &m[1..];
                    reg.method_names(ty).iter().any(|n| *n == format!("get{cap}") || *n == format!("is{cap}"))
                }
            })
        };
        let members: Vec<String> = wanted
            .iter()
            .filter(|m| known(m))
            .map(|m| {
                if reg.field_names(&tys[0]).contains(m) || matches!(*m, "value" | "empty") {
                    format!(".{m}")
                } else {
                    format!(".{m}()")
                }
            })
            .collect();
        if !members.is_empty() {
            let _ = writeln!(s, "- {label}: {}", members.join(" "));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimise::prompt::estimate_tokens;

    #[test]
    fn the_cheat_sheet_comes_from_the_registry() {
        let sheet = cheat_sheet("elasticsearch");
        let statics = registry().static_members();
        for (class, wanted) in USEFUL_STATICS {
            for member in *wanted {
                let listed = sheet.contains(&format!(", {member}")) || sheet.contains(&format!("{{{member}"));
                assert_eq!(listed, statics.contains(&(class, member)), "{class}.{member} in:\n{sheet}");
            }
        }
        for (name, _) in registry().functions_in(Dialect::Elasticsearch, ScriptContext::Score) {
            assert!(sheet.contains(&format!("{name}(")), "{name} missing from:\n{sheet}");
        }
        assert!(sheet.contains(".value") && sheet.contains(".size()"), "{sheet}");
        assert!(estimate_tokens(&sheet) < 400, "the cheat-sheet stays small: {sheet}");
    }
}
