//! Putting back the opening lines a reply dropped, without asking the model again.
//!
//! The most common compile error of a small model (Qwen2.5-Coder-1.5B in every real run so far) is a
//! reply that keeps only the line it changed: the parent's opening statements that build the user's
//! pooled vector are gone, and the script fails on `cannot resolve symbol [pooled]`. Asked to fix it,
//! the same model often rewrites the prefix wrongly again (`new ArrayList<>()`, a loop without its
//! declaration), and each fix costs minutes of generation. What it meant is plain: the parent's
//! statements that declare and fill that variable, followed by the line it wrote. The loop tries that
//! repair as a fix attempt of its own (no model call), keeps it only if it compiles, and says in the
//! candidate's rationale which lines it put back.
//!
//! The repair applies only when it cannot change what the model wrote: the reply has none of the
//! restored lines (so nothing is filled twice) and declares none of the restored names.

use super::proposer::{Failure, FailureKind, ScriptTexts};

/// A candidate with the parent's opening lines put back, and the sentence saying which.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    pub scripts: ScriptTexts,
    pub note: String,
}

/// The script (`query`, `sort N`) and the variable a failure says is undeclared, when the failure
/// is that compile error.
pub fn unresolved_symbol(failure: &Failure) -> Option<(&str, &str)> {
    if failure.kind != FailureKind::Compile {
        return None;
    }
    let detail = failure.detail.as_ref()?;
    // The judge words it as a Java stack trace's first line (`illegal_argument_exception: cannot
    // resolve symbol [x]`), ES's own reason is the part after the type.
    let message = detail.message.rsplit_once(": ").map_or(detail.message.as_str(), |(_, reason)| reason);
    let name = message.strip_prefix("cannot resolve symbol [")?.strip_suffix(']')?;
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    plain.then_some((detail.script.as_str(), name))
}

/// The script of a set a failure names: `query` or `sort N` (1-based).
pub fn script_source<'a>(scripts: &'a ScriptTexts, name: &str) -> Option<&'a str> {
    if name == "query" {
        return Some(&scripts.query);
    }
    let n: usize = name.strip_prefix("sort ")?.parse().ok()?;
    scripts.sort.get(n.checked_sub(1)?).map(String::as_str)
}

fn script_source_mut<'a>(scripts: &'a mut ScriptTexts, name: &str) -> Option<&'a mut String> {
    if name == "query" {
        return Some(&mut scripts.query);
    }
    let n: usize = name.strip_prefix("sort ")?.parse().ok()?;
    scripts.sort.get_mut(n.checked_sub(1)?)
}

/// Whether `text` holds `name` as a whole identifier.
fn mentions(text: &str, name: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// Lines of the prefix that say something (not blank, not a comment, not a lone brace): if the reply
/// has any of them, it kept part of the prefix and a restore could fill something twice.
fn telling_lines(prefix: &str) -> impl Iterator<Item = &str> {
    prefix
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//") && l.trim_matches(['{', '}', ';', ' ']).len() > 1)
}

/// The parent's opening lines that define `name` (its declaration, and every later top-level
/// statement before the first `return` that mentions it, with everything in between), the names they
/// declare, and the 1-based number of the last line; None when the parent does not declare `name` at
/// its top level before returning.
fn defining_prefix<'p>(parent: &'p str, name: &str) -> Option<(&'p str, Vec<String>, usize)> {
    use crate::painless::ast::StmtKind;
    let script = crate::painless::parse(parent).ok()?;
    let first_return =
        script.statements.iter().position(|s| matches!(s.kind, StmtKind::Return(_))).unwrap_or(script.statements.len());
    let opening = &script.statements[..first_return];
    let declared_at = opening
        .iter()
        .position(|s| matches!(&s.kind, StmtKind::Decl { vars, .. } if vars.iter().any(|v| v.name.name == name)))?;
    let last = (declared_at..opening.len())
        .rfind(|&i| mentions(&parent[opening[i].span.range()], name))
        .unwrap_or(declared_at);
    // Whole lines, through the end of the line holding the last statement, which must hold nothing
    // else (a `return` on the same line would be restored too).
    let end = opening[last].span.end as usize;
    let line_end = parent[end..].find('\n').map_or(parent.len(), |i| end + i + 1);
    let rest = parent[end..line_end].trim();
    let rest = rest.strip_prefix(';').unwrap_or(rest).trim_start();
    if !(rest.is_empty() || rest.starts_with("//")) {
        return None;
    }
    let declared = opening[..=last]
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Decl { vars, .. } => Some(vars.iter().map(|v| v.name.name.clone())),
            _ => None,
        })
        .flatten()
        .collect();
    let prefix = &parent[..line_end];
    Some((prefix, declared, prefix.lines().count()))
}

/// The candidate with the parent's opening lines that define the undeclared variable put back before
/// its own text, or None when the failure is not an undeclared variable the parent defined up front,
/// or when the reply kept any of those lines or declares any of their names itself. Whether the
/// result compiles is for the caller to check.
pub fn restore_dropped_prefix(parent: &ScriptTexts, broken: &ScriptTexts, failure: &Failure) -> Option<Restored> {
    let (script, name) = unresolved_symbol(failure)?;
    let parent_source = script_source(parent, script)?;
    let broken_source = script_source(broken, script)?;
    let (prefix, declared, last_line) = defining_prefix(parent_source, name)?;
    if telling_lines(prefix).any(|line| broken_source.lines().any(|l| l.trim() == line)) {
        return None;
    }
    let reply = crate::painless::parse(broken_source).ok()?;
    let reply_declares = |n: &str| {
        reply.statements.iter().any(|s| {
            matches!(&s.kind, crate::painless::ast::StmtKind::Decl { vars, .. } if vars.iter().any(|v| v.name.name == n))
        })
    };
    if declared.iter().any(|n| reply_declares(n)) {
        return None;
    }
    let mut scripts = broken.clone();
    let target = script_source_mut(&mut scripts, script)?;
    *target = format!("{prefix}{}", target.trim_start_matches('\n'));
    let note = format!(
        "the reply used `{name}` but dropped lines 1-{last_line} of the {script} script it edited, which \
         declare {}; the harness put them back unchanged",
        declared.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
    );
    Some(Restored { scripts, note })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimise::proposer::FailureDetail;

    const PARENT: &str = "// Mean-pool the user's rows.\nList rows = params.user_vector;\nint dims = rows[0].size();\nList pooled = new ArrayList();\nfor (int d = 0; d < dims; ++d) {\n  double sum = 0.0;\n  for (int r = 0; r < rows.size(); ++r) {\n    sum += rows[r][d];\n  }\n  pooled.add(sum / rows.size());\n}\n// + 1.0 keeps _score non-negative.\nreturn cosineSimilarity(pooled, 'item_vector') + 1.0;\n";

    fn undeclared(name: &str) -> Failure {
        Failure {
            kind: FailureKind::Compile,
            error: serde_json::Value::Null,
            detail: Some(FailureDetail {
                kind: FailureKind::Compile,
                script: "query".into(),
                span: None,
                // As the judge words it.
                message: format!("illegal_argument_exception: cannot resolve symbol [{name}]"),
                help: None,
                item: None,
                field_values: Vec::new(),
                warnings: Vec::new(),
            }),
        }
    }

    fn set(query: &str) -> ScriptTexts {
        ScriptTexts { query: query.into(), sort: Vec::new() }
    }

    #[test]
    fn a_reply_that_kept_only_its_return_line_gets_the_pooling_lines_back() {
        let reply = "return Math.max(0.0, cosineSimilarity(pooled, 'item_vector') + 0.1 * doc['year'].value);\n";
        let restored = restore_dropped_prefix(&set(PARENT), &set(reply), &undeclared("pooled")).expect("restored");
        let opening = &PARENT[..PARENT.find("// + 1.0").unwrap()];
        assert_eq!(restored.scripts.query, format!("{opening}{reply}"));
        assert!(restored.note.contains("lines 1-11"), "{}", restored.note);
        assert!(restored.note.contains("`rows`, `dims`, `pooled`"), "{}", restored.note);
    }

    #[test]
    fn nothing_is_restored_when_the_reply_kept_part_of_the_prefix_or_redeclares_a_name() {
        // The filling loop kept: restoring would fill `pooled` twice.
        let kept_loop = &PARENT[PARENT.find("for (int d").unwrap()..];
        assert_eq!(restore_dropped_prefix(&set(PARENT), &set(kept_loop), &undeclared("pooled")), None);
        // Its own `rows`: the restored one would clash (or shadow what it meant).
        let own_rows = "List rows = params.user_vector;\nreturn cosineSimilarity(pooled, 'item_vector');\n";
        assert_eq!(restore_dropped_prefix(&set(PARENT), &set(own_rows), &undeclared("pooled")), None);
    }

    #[test]
    fn only_undeclared_names_the_parent_defines_up_front_are_restored() {
        let reply = "return cosineSimilarity(pooled, 'item_vector') + bonus;\n";
        assert_eq!(restore_dropped_prefix(&set(PARENT), &set(reply), &undeclared("bonus")), None);
        let mut runtime = undeclared("pooled");
        runtime.kind = FailureKind::Runtime;
        assert_eq!(restore_dropped_prefix(&set(PARENT), &set(reply), &runtime), None);
        // Declared only inside a loop of the parent: not an opening line.
        assert_eq!(restore_dropped_prefix(&set(PARENT), &set(reply), &undeclared("sum")), None);
    }

    #[test]
    fn a_later_statement_that_fills_the_variable_comes_back_with_it() {
        let parent = "List w = new ArrayList();\nint n = 3;\nw.add(n);\ndouble k = 2.0;\nreturn w.get(0) * k;\n";
        let reply = "return w.get(0) + 1.0;\n";
        let restored = restore_dropped_prefix(&set(parent), &set(reply), &undeclared("w")).expect("restored");
        assert_eq!(restored.scripts.query, format!("List w = new ArrayList();\nint n = 3;\nw.add(n);\n{reply}"));
        // A `return` on the last restored line would come back too: nothing is restored.
        let one_line = "List w = new ArrayList(); w.add(1); return w.get(0);\n";
        assert_eq!(restore_dropped_prefix(&set(one_line), &set(reply), &undeclared("w")), None);
    }
}
