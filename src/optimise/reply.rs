//! Reading what a model wrote into a script set. Accepted shapes, most structured first:
//! - one JSON object `{"rationale", "query"?, "sort"?, "edits"?}` (what structured output enforces),
//!   bare, fenced or inside prose; JSON as models actually write it is repaired first (raw newlines
//!   and tabs inside strings, `"""` strings, `\'` escapes);
//! - SEARCH/REPLACE blocks (`<<<<<<< SEARCH` / `=======` / `>>>>>>> REPLACE`) in plain text;
//! - fenced ` ```painless ` blocks (first = query, the rest = sort scripts), which may contain `{...}`.
//!
//! A reply is resolved against the script set it edits (the parent, or the broken candidate in a fix):
//! edits apply to it, a `sort` left out keeps its sort scripts. A reply that copies the prompt's
//! example or a placeholder is named as such, in plain words, for the retry.

use super::edits::{Edit, EditError, apply_edits, strip_line_numbers};
use super::prompt::{ReplyProblem, truncate};
use super::proposer::{Proposal, ScriptTexts};

/// What the model asked for, before it is applied to a base set.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedReply {
    pub rationale: String,
    /// A whole new query script.
    pub query: Option<String>,
    /// New sort scripts (None: keep the base's).
    pub sort: Option<Vec<String>>,
    pub edits: Vec<Edit>,
}

/// What a reply is checked against besides its own shape.
#[derive(Debug, Clone, Copy)]
pub struct ReplyRules<'a> {
    pub max_sort_scripts: usize,
    /// The example reply shown in the system prompt (its rationale and scripts must not come back verbatim).
    pub example_rationale: Option<&'a str>,
    /// The REPLACE text of the example edit shown in the system prompt.
    pub example_replace: Option<&'a str>,
}

/// Parses and resolves a reply against `base`: the proposal it stands for, or why it cannot be used.
pub fn read_reply(text: &str, base: &ScriptTexts, rules: ReplyRules<'_>) -> Result<Proposal, ReplyProblem> {
    let parsed = parse(text)?;
    resolve(parsed, base, rules)
}

/// Turns a parsed reply into a full script set.
pub fn resolve(parsed: ParsedReply, base: &ScriptTexts, rules: ReplyRules<'_>) -> Result<Proposal, ReplyProblem> {
    for script in parsed.query.iter().chain(parsed.sort.iter().flatten()) {
        if let Some(placeholder) = placeholder_in(script) {
            return Err(ReplyProblem::new(format!(
                "your script is the placeholder text {placeholder:?}, not Painless code. Write real Painless \
                 source (for example starting from the script set shown to you)"
            )));
        }
    }
    if let Some(example) = rules.example_rationale
        && parsed.rationale.trim() == example.trim()
    {
        return Err(ReplyProblem::new(
            "you copied the example reply from the instructions word for word. The example only shows the \
             format: write your own rationale and your own change to the script set"
                .into(),
        ));
    }
    if let Some(example) = rules.example_replace
        && parsed.edits.iter().any(|e| e.replace.trim() == example.trim())
    {
        return Err(ReplyProblem::new(
            "you copied the example edit from the instructions. It only shows the format (and scaling the \
             whole score changes no ranking): write your own change"
                .into(),
        ));
    }
    let mut scripts = base.clone();
    // A whole script copied from a numbered listing (a fix prompt shows one) loses its line numbers.
    if let Some(q) = &parsed.query {
        scripts.query = strip_line_numbers(q);
    }
    if let Some(sort) = &parsed.sort {
        scripts.sort = sort.iter().map(|s| strip_line_numbers(s)).collect();
    }
    if parsed.query.is_none() && parsed.sort.is_none() && parsed.edits.is_empty() {
        return Err(ReplyProblem::new(
            "the reply has neither a \"query\" script nor \"edits\"; give one of them".into(),
        ));
    }
    let scripts = apply_edits(&scripts, &parsed.edits).map_err(|e| match e {
        // A model that searched for text the script does not hold is asked for the whole script next:
        // a small model writes SEARCH from the line it means to produce, and retrying the edit rarely helps.
        EditError::NoMatch { .. } => ReplyProblem::edit_missed(e.to_string()),
        other => ReplyProblem::new(other.to_string()),
    })?;
    if same_code(&scripts, base) {
        // Seen on Qwen2.5-Coder-1.5B: a fix that sends the failing script back untouched, and a
        // proposal that is its parent; neither is worth a compile, an evaluation or a fix attempt.
        return Err(ReplyProblem::new(
            "the script set you sent is exactly the one you were shown, unchanged. Make a real change to it".into(),
        ));
    }
    if scripts.sort.len() > rules.max_sort_scripts {
        return Err(ReplyProblem::new(format!(
            "{} sort scripts, at most {} allowed",
            scripts.sort.len(),
            rules.max_sort_scripts
        )));
    }
    if scripts.query.trim().is_empty() {
        return Err(ReplyProblem::new("\"query\" is empty".into()));
    }
    Ok(Proposal {
        rationale: truncate(parsed.rationale.trim(), 600),
        query: with_final_newline(&scripts.query),
        sort: scripts.sort.iter().filter(|s| !s.trim().is_empty()).map(|s| with_final_newline(s)).collect(),
        genome: None,
    })
}

/// Whether two script sets hold the same code once blank lines and the whitespace around lines are
/// ignored.
fn same_code(a: &ScriptTexts, b: &ScriptTexts) -> bool {
    let code = |s: &str| -> Vec<String> {
        s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect::<Vec<_>>()
    };
    code(&a.query) == code(&b.query)
        && a.sort.len() == b.sort.len()
        && a.sort.iter().zip(&b.sort).all(|(x, y)| code(x) == code(y))
}

/// Fewest repeats of one line at a reply's end that mark a model stuck in a loop.
const MIN_TRAILING_REPEATS: usize = 8;

/// A line repeated to the end of a reply: a small model stuck in a loop until its token limit (seen
/// on Qwen2.5-Coder-1.5B: a JSON reply followed by hundreds of "```" lines, which read as fenced
/// blocks). Returns the reply without the run, the repeated line and how many times it came. The
/// last line may be cut mid-way by the limit; it counts when it is a prefix of the repeated line. A
/// run of blank lines to the end (seen too: newlines until the limit) is the empty line repeated.
pub fn trailing_repetition(reply: &str) -> Option<(&str, &str, usize)> {
    let content_end = reply.trim_end().len();
    let blank_lines = reply[content_end..].matches('\n').count().saturating_sub(1);
    if blank_lines >= MIN_TRAILING_REPEATS {
        let kept = reply[content_end..].find('\n').map_or(reply.len(), |i| content_end + i + 1);
        return Some((&reply[..kept], "", blank_lines));
    }
    let lines: Vec<&str> = reply.trim_end().split('\n').collect();
    let mut end = lines.len();
    let last = lines.get(end.checked_sub(1)?)?.trim();
    let repeated = lines.get(end.checked_sub(2)?)?.trim();
    if repeated.is_empty() {
        return None;
    }
    if last != repeated && repeated.starts_with(last) {
        end -= 1;
    }
    let run = lines[..end].iter().rev().take_while(|l| l.trim() == repeated).count();
    if run < MIN_TRAILING_REPEATS {
        return None;
    }
    let kept_lines = end - run;
    let kept_len: usize = lines[..kept_lines].iter().map(|l| l.len() + 1).sum();
    Some((&reply[..kept_len.min(reply.len())], repeated, run + (lines.len() - end)))
}

/// Scripts are sent with a final newline: a `//` comment on the last line is otherwise a lexer error.
pub fn with_final_newline(source: &str) -> String {
    if source.ends_with('\n') { source.to_string() } else { format!("{source}\n") }
}

/// A template placeholder a model copied instead of code (`<painless source>`, `...`).
fn placeholder_in(script: &str) -> Option<String> {
    let t = script.trim();
    let looks_like = (t.starts_with('<') && t.ends_with('>') && !t.contains(';'))
        || t == "..."
        || t.contains("<painless")
        || t.contains("<your ")
        || t.eq_ignore_ascii_case("painless source");
    looks_like.then(|| truncate(t, 60))
}

/// The reply's structure, before any base set is involved.
pub fn parse(text: &str) -> Result<ParsedReply, ReplyProblem> {
    let mut json_problem = None;
    for candidate in json_candidates(text) {
        let repaired = repair_json(&candidate);
        match serde_json::from_str::<serde_json::Value>(&repaired) {
            Ok(serde_json::Value::Object(map)) => match from_object(&map) {
                Ok(p) => return Ok(p),
                Err(problem) => json_problem = Some(problem),
            },
            Ok(_) => {}
            Err(e) => {
                json_problem.get_or_insert(ReplyProblem::new(format!("the JSON object is malformed ({e})")));
            }
        }
    }
    let edits = search_replace_blocks(text);
    if !edits.is_empty() {
        return Ok(ParsedReply { rationale: prose_before_blocks(text), query: None, sort: None, edits });
    }
    let blocks = fenced_blocks(text);
    let code: Vec<&(String, String)> = blocks
        .iter()
        .filter(|(lang, _)| lang.is_empty() || lang == "painless" || lang == "java")
        .filter(|(_, body)| !body.trim_start().starts_with('{') || !body.contains("\"query\""))
        .collect();
    // A painless fence wins over a malformed JSON guess: the `{...}` inside code is not JSON.
    if let Some((_, query)) = code.first() {
        let sort: Vec<String> = code[1..].iter().map(|(_, b)| b.clone()).collect();
        return Ok(ParsedReply {
            rationale: rationale_from_prose(text),
            query: Some(query.clone()),
            sort: (!sort.is_empty()).then_some(sort),
            edits: Vec::new(),
        });
    }
    Err(json_problem
        .unwrap_or_else(|| ReplyProblem::new("no JSON object with a \"query\" or \"edits\" field was found".into())))
}

fn rationale_from_prose(text: &str) -> String {
    let prose = strip_fences(text);
    let prose: String = prose.lines().filter(|l| !is_marker(l)).collect::<Vec<_>>().join("\n");
    let prose = prose.trim();
    if prose.is_empty() { "(no rationale given)".into() } else { truncate(prose, 600) }
}

/// The text above the first SEARCH block, without a script label on its last line.
fn prose_before_blocks(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().take_while(|l| !is_marker(l)).collect();
    while lines.last().is_some_and(|l| {
        let l = l.trim().trim_end_matches(':').trim_matches('`');
        l.is_empty() || l.starts_with("```") || super::edits::Target::parse(Some(l)).is_some_and(|_| l.len() < 24)
    }) {
        lines.pop();
    }
    rationale_from_prose(&lines.join("\n"))
}

fn from_object(map: &serde_json::Map<String, serde_json::Value>) -> Result<ParsedReply, ReplyProblem> {
    let query = match map.get("query") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(q)) if q.trim().is_empty() => None,
        Some(serde_json::Value::String(q)) => Some(strip_fences_inside(q)),
        Some(other) => {
            return Err(ReplyProblem::new(format!(
                "\"query\" must be a string of Painless source, got {}",
                kind(other)
            )));
        }
    };
    let sort = match map.get("sort") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Some(Vec::new()),
        Some(serde_json::Value::String(s)) => Some(vec![strip_fences_inside(s)]),
        Some(serde_json::Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item {
                    serde_json::Value::String(s) if s.trim().is_empty() => {}
                    serde_json::Value::String(s) => out.push(strip_fences_inside(s)),
                    other => {
                        return Err(ReplyProblem::new(format!("\"sort\"[{i}] must be a string, got {}", kind(other))));
                    }
                }
            }
            Some(out)
        }
        Some(other) => {
            return Err(ReplyProblem::new(format!("\"sort\" must be a list of strings, got {}", kind(other))));
        }
    };
    let edits = match map.get("edits") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let edit: Edit = serde_json::from_value(item.clone()).map_err(|_| {
                    ReplyProblem::new(format!(
                        "\"edits\"[{i}] must be an object {{\"script\": \"query\", \"search\": \"...\", \"replace\": \"...\"}}"
                    ))
                })?;
                out.push(edit);
            }
            out
        }
        Some(other) => {
            return Err(ReplyProblem::new(format!("\"edits\" must be a list of objects, got {}", kind(other))));
        }
    };
    if query.is_none() && edits.is_empty() && sort.is_none() {
        return Err(ReplyProblem::new("the JSON object has no \"query\" field and no \"edits\"".into()));
    }
    let rationale = match map.get("rationale") {
        Some(serde_json::Value::String(r)) if !r.trim().is_empty() => r.clone(),
        _ => return Err(ReplyProblem::new("the JSON object has no \"rationale\" string".into())),
    };
    Ok(ParsedReply { rationale, query, sort, edits })
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// JSON as models write it, made valid: raw control characters inside strings escaped, `"""..."""`
/// strings turned into ordinary ones, `\'` (not a JSON escape) turned into `'`.
pub fn repair_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut in_str = false;
    let mut triple = false;
    while i < chars.len() {
        let c = chars[i];
        let starts_triple = chars.get(i..i + 3) == Some(&['"', '"', '"'][..]);
        if !in_str {
            if starts_triple {
                in_str = true;
                triple = true;
                out.push('"');
                i += 3;
                continue;
            }
            if c == '"' {
                in_str = true;
                triple = false;
            }
            out.push(c);
            i += 1;
            continue;
        }
        // Inside a string.
        if triple && starts_triple {
            in_str = false;
            out.push('"');
            i += 3;
            continue;
        }
        match c {
            '\\' => match chars.get(i + 1) {
                Some('\'') => {
                    out.push('\'');
                    i += 2;
                }
                Some(n) if matches!(n, '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' | 'u') => {
                    out.push('\\');
                    out.push(*n);
                    i += 2;
                }
                _ => {
                    out.push_str("\\\\");
                    i += 1;
                }
            },
            '"' if triple => {
                out.push_str("\\\"");
                i += 1;
            }
            '"' => {
                in_str = false;
                out.push('"');
                i += 1;
            }
            '\n' => {
                out.push_str("\\n");
                i += 1;
            }
            '\r' => i += 1,
            '\t' => {
                out.push_str("\\t");
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Candidate JSON texts, most likely first: the whole reply, fenced json blocks, then balanced
/// `{ "...` spans (an object whose first key is quoted: code blocks are not JSON).
pub(crate) fn json_candidates(text: &str) -> Vec<String> {
    let mut out = vec![text.trim().to_string()];
    for (lang, body) in fenced_blocks(text) {
        if lang.is_empty() || lang == "json" {
            out.push(body);
        }
    }
    out.extend(balanced_objects(text));
    out.retain(|c| c.starts_with('{') && c[1..].trim_start().starts_with('"'));
    out.dedup();
    out
}

/// ```lang\n body ``` blocks, with the language tag lower-cased.
pub(crate) fn fenced_blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let (lang, body_start) = match after.find('\n') {
            Some(nl) => (after[..nl].trim().to_lowercase(), nl + 1),
            None => break,
        };
        let body = &after[body_start..];
        match body.find("```") {
            Some(end) => {
                out.push((lang, body[..end].trim_end().to_string()));
                rest = &body[end + 3..];
            }
            None => break,
        }
    }
    out
}

fn strip_fences(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
            continue;
        }
        if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Models sometimes fence the Painless inside the JSON string too.
fn strip_fences_inside(source: &str) -> String {
    let trimmed = source.trim();
    if trimmed.starts_with("```")
        && let Some((_, body)) = fenced_blocks(trimmed).into_iter().next()
    {
        return body;
    }
    source.to_string()
}

fn is_marker(line: &str) -> bool {
    let t = line.trim();
    t.starts_with("<<<<<<<") || t.starts_with(">>>>>>>") || t == "======="
}

/// `<<<<<<< SEARCH` ... `=======` ... `>>>>>>> REPLACE` blocks; a line just above a block naming a
/// script (`query`, `sort 1`, `sort_01.painless`, optionally with a colon) targets that script.
fn search_replace_blocks(text: &str) -> Vec<Edit> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !(lines[i].trim_start().starts_with("<<<<<<<") && lines[i].to_ascii_uppercase().contains("SEARCH")) {
            i += 1;
            continue;
        }
        let script = (0..i)
            .rev()
            .map(|j| lines[j].trim())
            .find(|l| !l.is_empty() && !l.starts_with("```"))
            .map(|l| l.trim_end_matches(':').trim_matches('`').trim().to_string())
            .filter(|l| super::edits::Target::parse(Some(l)).is_some());
        let Some(mid) = (i + 1..lines.len()).find(|&j| lines[j].trim() == "=======") else { break };
        let Some(end) = (mid + 1..lines.len()).find(|&j| lines[j].trim_start().starts_with(">>>>>>>")) else {
            break;
        };
        out.push(Edit { script, search: lines[i + 1..mid].join("\n"), replace: lines[mid + 1..end].join("\n") });
        i = end + 1;
    }
    out
}

/// Every top-level balanced `{...}` span, aware of JSON strings and escapes.
fn balanced_objects(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'{' {
            i += 1;
            continue;
        }
        let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
        let mut end = None;
        for (j, &b) in bytes.iter().enumerate().skip(i) {
            if in_str {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_str = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_str = true,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(j);
                        break;
                    }
                }
                _ => {}
            }
        }
        match end {
            Some(j) => {
                out.push(text[i..=j].to_string());
                i = j + 1;
            }
            None => {
                // Unbalanced: offer the rest so the malformed-JSON message names the real problem.
                out.push(text[i..].to_string());
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_repeated_to_the_end_is_cut_off_with_its_count() {
        let body = "{\"query\": \"return 1.0;\"}\n";
        let looping = format!("{body}{}``", "```\n".repeat(30));
        assert_eq!(trailing_repetition(&looping), Some((body, "```", 31)));
        let exact = format!("{body}{}", "```\n".repeat(30));
        assert_eq!(trailing_repetition(&exact), Some((body, "```", 30)));
        // A few equal closing lines are ordinary code, not a loop.
        assert_eq!(trailing_repetition("return x;\n}\n}\n}\n"), None);
        assert_eq!(trailing_repetition(""), None);
        assert_eq!(trailing_repetition("one line"), None);
        // Newlines to the limit: the reply keeps its own line end, the rest is the blank line repeated.
        let blank = format!("{body}{}", "\n".repeat(40));
        assert_eq!(trailing_repetition(&blank), Some((body, "", 40)));
        assert_eq!(trailing_repetition(&format!("{body}\n\n\n")), None);
    }

    const RULES: ReplyRules<'static> =
        ReplyRules { max_sort_scripts: 5, example_rationale: Some("EXAMPLE"), example_replace: Some("return 9.0;") };

    fn base() -> ScriptTexts {
        ScriptTexts { query: "double w = 1.0;\nreturn w;\n".into(), sort: vec!["return _score;\n".into()] }
    }

    #[test]
    fn whole_scripts_keep_the_base_sorts_unless_given() {
        let p = read_reply(r#"{"rationale":"r","query":"return 2.0;"}"#, &base(), RULES).unwrap();
        assert_eq!(p.query, "return 2.0;\n", "a final newline is appended");
        assert_eq!(p.sort, base().sort);
        let p = read_reply(r#"{"rationale":"r","query":"return 2.0;","sort":[]}"#, &base(), RULES).unwrap();
        assert!(p.sort.is_empty());
        // The base sent back unchanged (re-indented) is refused with a plain reason.
        let err =
            read_reply(r#"{"rationale":"r","query":"  double w = 1.0;\n\n  return w;"}"#, &base(), RULES).unwrap_err();
        assert!(err.message.contains("exactly the one you were shown, unchanged"), "{}", err.message);
        // Copied from a numbered listing: the numbers go.
        let p = read_reply(r#"{"rationale":"r","query":"1| double w = 2.0;\n2| return w;"}"#, &base(), RULES).unwrap();
        assert_eq!(p.query, "double w = 2.0;\nreturn w;\n");
    }

    #[test]
    fn json_edits_apply_to_the_base() {
        let text = r#"{"rationale":"heavier","edits":[{"script":"query","search":"double w = 1.0;","replace":"double w = 3.0;"}]}"#;
        let p = read_reply(text, &base(), RULES).unwrap();
        assert_eq!(p.query, "double w = 3.0;\nreturn w;\n");
        let bad = r#"{"rationale":"x","edits":[{"search":"double w = 9.0;","replace":"y"}]}"#;
        let problem = read_reply(bad, &base(), RULES).unwrap_err();
        assert!(
            problem.message.contains("edit 1") && problem.message.contains("does not match"),
            "{}",
            problem.message
        );
    }

    #[test]
    fn search_replace_blocks_in_text() {
        let text = "Raise the weight.\nquery:\n<<<<<<< SEARCH\ndouble w = 1.0;\n=======\ndouble w = 1.5;\n>>>>>>> REPLACE\n\nsort 1\n<<<<<<< SEARCH\nreturn _score;\n=======\nreturn -_score;\n>>>>>>> REPLACE\n";
        let p = read_reply(text, &base(), RULES).unwrap();
        assert_eq!(p.query, "double w = 1.5;\nreturn w;\n");
        assert_eq!(p.sort, vec!["return -_score;\n"]);
        assert_eq!(p.rationale, "Raise the weight.");
    }

    #[test]
    fn placeholders_and_copied_examples_are_named() {
        let p = read_reply(r#"{"rationale":"r","query":"<painless source>"}"#, &base(), RULES).unwrap_err();
        assert!(p.message.contains("placeholder"), "{}", p.message);
        let p = read_reply(r#"{"rationale":"EXAMPLE","query":"return 1.0;"}"#, &base(), RULES).unwrap_err();
        assert!(p.message.contains("copied the example"), "{}", p.message);
        let copied =
            r#"{"rationale":"mine","edits":[{"script":"query","search":"return w;","replace":"return 9.0;"}]}"#;
        let p = read_reply(copied, &base(), RULES).unwrap_err();
        assert!(p.message.contains("copied the example edit"), "{}", p.message);
    }

    #[test]
    fn json_as_models_write_it_is_repaired() {
        let raw_newlines = "{\"rationale\": \"r\", \"query\": \"double x = doc[\\'year\\'].value;\n\treturn x;\"}";
        let p = read_reply(raw_newlines, &base(), RULES).unwrap();
        assert_eq!(p.query, "double x = doc['year'].value;\n\treturn x;\n");
        let triple = "{\"rationale\": \"r\", \"query\": \"\"\"\nString s = \"a\";\nreturn 1.0;\n\"\"\"}";
        let p = read_reply(triple, &base(), RULES).unwrap();
        assert_eq!(p.query, "\nString s = \"a\";\nreturn 1.0;\n");
    }

    #[test]
    fn fenced_painless_with_braces_is_accepted() {
        let text =
            "Loop over rows.\n```painless\ndouble s = 0;\nfor (int i = 0; i < 2; ++i) { s += i; }\nreturn s;\n```";
        let p = read_reply(text, &base(), RULES).unwrap();
        assert!(p.query.starts_with("double s = 0;"));
        assert_eq!(p.rationale, "Loop over rows.");
    }

    #[test]
    fn problems_are_named() {
        assert!(parse(r#"{"rationale":"r"}"#).unwrap_err().message.contains("no \"query\""));
        assert!(parse(r#"{"rationale":"r","query":"x""#).unwrap_err().message.contains("malformed"));
        assert!(
            read_reply(
                r#"{"rationale":"r","query":"x","sort":["a","b"]}"#,
                &base(),
                ReplyRules { max_sort_scripts: 1, example_rationale: None, example_replace: None }
            )
            .unwrap_err()
            .message
            .contains("at most 1")
        );
        assert!(parse("no idea").unwrap_err().message.contains("no JSON"));
        assert!(parse(r#"{"query":"return 1;"}"#).unwrap_err().message.contains("rationale"));
    }
}
