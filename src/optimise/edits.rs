//! SEARCH/REPLACE edits against a script set, as code-evolution systems let models write them: a
//! small model copies one or two lines and changes them far more reliably than it rewrites a whole
//! script. An edit applies where its SEARCH text occurs verbatim; failing that, where a run of lines
//! equals it line by line once surrounding whitespace is ignored (models re-indent). Line numbers a
//! model copied from the numbered listing are stripped first. Anything else is reported by edit
//! number, so the retry can say which block did not match.

use super::proposer::ScriptTexts;
use serde::{Deserialize, Serialize};

/// One SEARCH/REPLACE block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edit {
    /// `query` (default) or `sort 1`, `sort 2`, ... (also accepted: `sort1`, `sort_1`, `sort_01.painless`).
    #[serde(default)]
    pub script: Option<String>,
    pub search: String,
    pub replace: String,
}

/// Which script of a set an edit targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Query,
    /// 0-based index into the sort scripts.
    Sort(usize),
}

impl Target {
    /// Reads `query`, `sort 1`, `sort1`, `sort_1`, `sort_01.painless`, `query.painless` (case-insensitive).
    pub fn parse(name: Option<&str>) -> Option<Target> {
        let Some(name) = name else { return Some(Target::Query) };
        let n = name.trim().to_ascii_lowercase();
        let n = n.trim_end_matches(".painless");
        if n.is_empty() || n == "query" || n == "query script" {
            return Some(Target::Query);
        }
        let rest = n.strip_prefix("sort")?.trim_start_matches([' ', '_', '-']).trim_start_matches("script").trim();
        let number: usize = rest.trim_start_matches('0').parse().ok()?;
        number.checked_sub(1).map(Target::Sort)
    }

    pub fn describe(self) -> String {
        match self {
            Target::Query => "the query script".into(),
            Target::Sort(i) => format!("sort script {}", i + 1),
        }
    }
}

/// Why an edit could not be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    #[error("edit {number}: unknown script {name:?} (use \"query\" or \"sort 1\", \"sort 2\", ...)")]
    UnknownScript { number: usize, name: String },
    #[error("edit {number}: {target} does not exist (the set has {sorts} sort scripts)")]
    NoSuchSort { number: usize, target: String, sorts: usize },
    #[error("edit {number}: its SEARCH text is empty")]
    EmptySearch { number: usize },
    #[error(
        "edit {number}: its SEARCH text does not match any lines of {target}: {search:?}. Copy the lines exactly as listed (without the line numbers){closest}"
    )]
    NoMatch { number: usize, target: String, search: String, closest: String },
}

/// Applies `edits` in order to a copy of `base`.
pub fn apply_edits(base: &ScriptTexts, edits: &[Edit]) -> Result<ScriptTexts, EditError> {
    let mut out = base.clone();
    for (i, edit) in edits.iter().enumerate() {
        let number = i + 1;
        let target = Target::parse(edit.script.as_deref())
            .ok_or_else(|| EditError::UnknownScript { number, name: edit.script.clone().unwrap_or_default() })?;
        let sorts = out.sort.len();
        let source = match target {
            Target::Query => &mut out.query,
            Target::Sort(k) => {
                out.sort.get_mut(k).ok_or_else(|| EditError::NoSuchSort { number, target: target.describe(), sorts })?
            }
        };
        let search = strip_line_numbers(&edit.search);
        let replace = strip_line_numbers(&edit.replace);
        if search.trim().is_empty() {
            return Err(EditError::EmptySearch { number });
        }
        let closest = closest_line(source, &search)
            .map(|(n, line)| format!("; the closest line of it is line {n}: {:?}", line.trim()))
            .unwrap_or_default();
        *source = apply_one(source, &search, &replace).ok_or_else(|| EditError::NoMatch {
            number,
            target: target.describe(),
            search: super::prompt::truncate(search.trim(), 160),
            closest,
        })?;
    }
    Ok(out)
}

/// The source with the first match of `search` replaced, or None.
/// The line of `source` (1-based number, text) most like the first non-blank line of a SEARCH that
/// matched nothing. Small models often search for a line they have already rewritten in their head;
/// quoting the real line in the retry gives them the exact text to copy. None when nothing is alike.
fn closest_line<'s>(source: &'s str, search: &str) -> Option<(usize, &'s str)> {
    let wanted = search.lines().map(str::trim).find(|l| !l.is_empty())?;
    source
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l, similar::TextDiff::from_chars(wanted, l.trim()).ratio()))
        .filter(|(_, _, ratio)| *ratio >= 0.5)
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(n, l, _)| (n, l))
}

fn apply_one(source: &str, search: &str, replace: &str) -> Option<String> {
    if let Some(at) = source.find(search) {
        return Some(format!("{}{}{}", &source[..at], replace, &source[at + search.len()..]));
    }
    // Line-wise, ignoring leading/trailing whitespace (and blank lines at the ends of the SEARCH).
    let wanted: Vec<&str> = search.lines().map(str::trim).collect();
    let first = wanted.iter().position(|l| !l.is_empty())?;
    let last = wanted.iter().rposition(|l| !l.is_empty())?;
    let wanted = &wanted[first..=last];
    let lines: Vec<&str> = source.split_inclusive('\n').collect();
    let start = (0..lines.len())
        .find(|&s| s + wanted.len() <= lines.len() && wanted.iter().zip(&lines[s..]).all(|(w, l)| *w == l.trim()))?;
    let end = start + wanted.len();
    let mut out: String = lines[..start].concat();
    // Keep the matched block's indentation when the replacement came without any.
    let indent: String = lines[start].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    for line in replace.trim_matches('\n').lines() {
        if !line.starts_with([' ', '\t']) && !line.is_empty() {
            out.push_str(&indent);
        }
        out.push_str(line);
        out.push('\n');
    }
    if replace.trim().is_empty() {
        // A deletion: nothing to insert.
        out.truncate(lines[..start].concat().len());
    }
    out.push_str(&lines[end..].concat());
    Some(out)
}

/// Removes `12: ` / `12 | ` prefixes when every non-blank line carries one (copied from the listing).
pub(crate) fn strip_line_numbers(text: &str) -> String {
    let numbered = |l: &str| -> Option<usize> {
        let t = l.trim_start();
        let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return None;
        }
        let rest = &t[digits..];
        let sep = rest.strip_prefix(':').or_else(|| rest.strip_prefix('|'))?;
        Some(l.len() - sep.len() + usize::from(sep.starts_with(' ')))
    };
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() || !lines.iter().filter(|l| !l.trim().is_empty()).all(|l| numbered(l).is_some()) {
        return text.to_string();
    }
    let mut out: Vec<&str> = Vec::new();
    for l in lines {
        out.push(numbered(l).map_or(l, |cut| &l[cut..]));
    }
    out.join("\n")
}

/// The set's scripts as numbered lines (`  3| int dims = ...`), the form edits are written against.
pub fn numbered(source: &str) -> String {
    let width = source.lines().count().max(1).to_string().len();
    let mut out = String::new();
    for (i, line) in source.lines().enumerate() {
        out.push_str(&format!("{:>width$}| {line}\n", i + 1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(q: &str, sorts: &[&str]) -> ScriptTexts {
        ScriptTexts { query: q.into(), sort: sorts.iter().map(|s| s.to_string()).collect() }
    }

    fn edit(script: Option<&str>, search: &str, replace: &str) -> Edit {
        Edit { script: script.map(str::to_string), search: search.into(), replace: replace.into() }
    }

    #[test]
    fn exact_edits_apply_in_order() {
        let base = set("double a = 1.0;\nreturn a;\n", &["return _score;\n"]);
        let out = apply_edits(
            &base,
            &[edit(None, "double a = 1.0;", "double a = 2.0;"), edit(Some("sort 1"), "_score", "_score * 2")],
        )
        .unwrap();
        assert_eq!(out.query, "double a = 2.0;\nreturn a;\n");
        assert_eq!(out.sort, vec!["return _score * 2;\n"]);
    }

    #[test]
    fn reindented_and_numbered_search_still_matches() {
        let base = set("for (int i = 0; i < 3; ++i) {\n    sum += i;\n}\nreturn sum;\n", &[]);
        let out = apply_edits(&base, &[edit(None, "  2| sum += i;", "sum += 2 * i;")]).unwrap();
        assert_eq!(out.query, "for (int i = 0; i < 3; ++i) {\n    sum += 2 * i;\n}\nreturn sum;\n");
    }

    #[test]
    fn mismatches_name_the_block() {
        let base = set("return 1.0;\n", &[]);
        let err = apply_edits(&base, &[edit(None, "return 1.0;", "return 2.0;"), edit(None, "return 3.0;", "x")])
            .unwrap_err();
        assert!(matches!(err, EditError::NoMatch { number: 2, .. }), "{err}");
        assert!(err.to_string().contains("edit 2"), "{err}");
        // A rewritten line is answered with the real one to copy.
        let base = set("double s = 1.0;\nreturn cosineSimilarity(pooled, 'item_vector') + 1.0;\n", &[]);
        let err = apply_edits(&base, &[edit(None, "return cosineSimilarity(pooled, 'item_vector') * 2.0 + 1.0;", "x")])
            .unwrap_err();
        assert!(
            err.to_string().ends_with(
                "the closest line of it is line 2: \"return cosineSimilarity(pooled, 'item_vector') + 1.0;\""
            ),
            "{err}"
        );
        let err = apply_edits(&base, &[edit(Some("sort 2"), "a", "b")]).unwrap_err();
        assert!(err.to_string().contains("sort script 2 does not exist"), "{err}");
        let err = apply_edits(&base, &[edit(Some("ranking"), "a", "b")]).unwrap_err();
        assert!(matches!(err, EditError::UnknownScript { .. }));
    }

    #[test]
    fn targets_parse_in_the_forms_models_write() {
        assert_eq!(Target::parse(None), Some(Target::Query));
        assert_eq!(Target::parse(Some("query.painless")), Some(Target::Query));
        assert_eq!(Target::parse(Some("sort_01.painless")), Some(Target::Sort(0)));
        assert_eq!(Target::parse(Some("Sort 2")), Some(Target::Sort(1)));
        assert_eq!(Target::parse(Some("sort0")), None);
    }

    #[test]
    fn numbered_listing() {
        assert_eq!(numbered("a\nb\n"), "1| a\n2| b\n");
    }
}
