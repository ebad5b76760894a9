//! The message sent after a candidate failed to compile or run: the failing line with a caret, the
//! checker's one-line help, the item and field values of a runtime failure, the checker's warnings,
//! and the candidate as numbered lines to edit.

use super::*;
use crate::optimise::restore::{script_source, unresolved_symbol};

/// The failing line of `source` at byte `offset` with a caret under the column.
pub fn caret_excerpt(source: &str, offset: usize) -> Option<String> {
    let offset = offset.min(source.len());
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[offset..].find('\n').map_or(source.len(), |i| offset + i);
    let line_no = source[..line_start].matches('\n').count() + 1;
    let line = &source[line_start..line_end];
    let prefix = format!("{line_no:>3}| ");
    let column = source[line_start..offset].chars().count();
    Some(format!("{prefix}{line}\n{}^", " ".repeat(prefix.len() + column)))
}

/// The message sent after a candidate failed: what broke, where, why, with the candidate as numbered
/// lines (edits in the reply apply to it). `parent` is the script set the candidate was made from.
pub fn fix_prompt(
    broken: &Proposal,
    parent: &ScriptTexts,
    failure: &Failure,
    attempt: u32,
    format: EditFormat,
) -> String {
    let scripts = broken.scripts();
    let mut s = String::new();
    let what = match failure.kind {
        FailureKind::Runtime => "compiles but fails while scoring items",
        FailureKind::UnsupportedLocally => {
            "is valid Elasticsearch Painless, but uses something this tool cannot evaluate locally; use a \
             supported alternative"
        }
        FailureKind::Duplicate => "repeats an earlier candidate",
        FailureKind::Reply => "could not be applied",
        FailureKind::Compile => "does not compile",
    };
    let _ = writeln!(
        s,
        "Fix attempt {attempt}: your script set {what}.\n\nYour script set:\n{}",
        listing(&scripts, format)
    );
    match &failure.detail {
        Some(d) => describe_detail(&mut s, d, &scripts),
        None => {
            let _ = writeln!(s, "Error: {}", one_line_error(&failure.error));
        }
    }
    if let Some(note) = dropped_declaration_note(parent, &scripts, failure) {
        let _ = writeln!(s, "{note}");
    }
    s.push_str(match format {
        EditFormat::Edits => {
            "\nReply with the corrected script set as ONE JSON object: edits against the numbered lines above, \
             or the whole \"query\" (and \"sort\")."
        }
        EditFormat::Whole => {
            "\nReply with the corrected script set as ONE JSON object: the whole corrected \"query\" (and \"sort\")."
        }
    });
    s
}

/// When a candidate fails on `cannot resolve symbol [x]` and the script it was made from declared `x`
/// on a line the candidate no longer has, the sentence that says so. Small models often delete a
/// declaration while rewriting the line next to it, then cannot tell from the error alone what went
/// missing. Only a hint for the reply: the checker's error stands as it is.
pub fn dropped_declaration_note(parent: &ScriptTexts, broken: &ScriptTexts, failure: &Failure) -> Option<String> {
    let (script, name) = unresolved_symbol(failure)?;
    let (line_no, line) = declaration_line(script_source(parent, script)?, name)?;
    if declaration_line(script_source(broken, script)?, name).is_some() {
        return None;
    }
    Some(format!(
        "Note: `{name}` is declared on line {line_no} of the script you started from (`{line}`), but your edit \
         removed that line and the script still uses `{name}`. Keep the declaration, or declare `{name}` again \
         before its first use."
    ))
}

/// The 1-based number and text of the line declaring `name` (`TYPE name = ...;` or `TYPE name;` at the
/// start of a line), if any.
fn declaration_line(source: &str, name: &str) -> Option<(usize, String)> {
    source.lines().enumerate().find_map(|(i, line)| {
        let text = line.trim();
        let (ty, rest) = text.split_once(char::is_whitespace)?;
        let after = rest.trim_start().strip_prefix(name)?;
        let is_type = ty.starts_with(|c: char| c.is_ascii_alphabetic())
            && !matches!(ty, "return" | "if" | "else" | "for" | "while" | "do" | "new");
        (is_type && after.trim_start().starts_with(['=', ';'])).then(|| (i + 1, text.to_string()))
    })
}

fn describe_detail(s: &mut String, d: &FailureDetail, scripts: &ScriptTexts) {
    let place =
        d.span.and_then(|(start, _)| script_source(scripts, &d.script).and_then(|src| caret_excerpt(src, start)));
    match place {
        Some(excerpt) => {
            let _ = writeln!(s, "Error in {}:\n{excerpt}\n{}", d.script, d.message);
        }
        None => {
            let _ = writeln!(s, "Error in {}: {}", d.script, d.message);
        }
    }
    if let Some(item) = &d.item {
        let values: Vec<String> = d.field_values.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        let _ = writeln!(s, "It failed on item {item}, whose fields are: {}.", values.join(", "));
    }
    if let Some(help) = &d.help {
        let _ = writeln!(s, "Help: {help}");
    }
    if d.kind == FailureKind::Compile
        && let Some(note) = script_source(scripts, &d.script).and_then(unbalanced_parentheses_note)
    {
        let _ = writeln!(s, "{note}");
    }
    for w in &d.warnings {
        let _ = writeln!(s, "Warning: {w}");
    }
}

/// When a script's parentheses do not pair up, the sentence that counts them. Long return lines
/// with nested calls were where a 1.5B model went wrong most (one `)` too many after it dropped a
/// `Math.max(0.0, `), and the parser's "unexpected token [')']" alone did not tell it so.
pub fn unbalanced_parentheses_note(source: &str) -> Option<String> {
    let (opened, closed) = super::code_chars(source).fold((0usize, 0usize), |(o, c), (_, ch)| match ch {
        '(' => (o + 1, c),
        ')' => (o, c + 1),
        _ => (o, c),
    });
    (opened != closed).then(|| {
        let (more, fewer, by) =
            if closed > opened { ("closes", "opens", closed - opened) } else { ("opens", "closes", opened - closed) };
        format!(
            "Parentheses: the script opens {opened} and closes {closed}: it {more} {by} more than it {fewer}. \
             Count them on the line you changed."
        )
    })
}

/// `type: reason` of the innermost cause of an ES-shaped error, on one line.
pub fn one_line_error(error: &serde_json::Value) -> String {
    let mut cur = error.get("error").unwrap_or(error);
    while let Some(next) = cur.get("caused_by") {
        cur = next;
    }
    let kind = cur.get("type").and_then(|t| t.as_str()).unwrap_or("error");
    let reason = cur.get("reason").and_then(|r| r.as_str()).unwrap_or("");
    if reason.is_empty() { truncate(&error.to_string(), 300) } else { format!("{kind}: {}", truncate(reason, 300)) }
}
