//! The text an LLM proposer sees, and the parsing of what it writes back. Real model output wraps JSON
//! in code fences, surrounds it with prose, forgets fields or sends bare Painless; every shape that
//! still carries a usable script set is accepted, anything else becomes a precise retry prompt.

use super::proposer::{ParentChoiceContext, Proposal, ProposalContext};
use std::fmt::Write as _;

/// The system prompt: the job, the script contract and the reply format.
pub fn system_prompt(ctx: &ProposalContext) -> String {
    let c = &ctx.contract;
    let mut s = String::new();
    s.push_str(
        "You are a search relevance engineer. You write Elasticsearch 8.13 Painless scripts that rank items \
         for one user at a time in a recommender. A candidate is one `script_score` query script plus zero or \
         more `_script` sort scripts (number type, descending; items are ordered by the sort values in order, \
         then by _score, then by catalogue position).\n\nScript contract:\n",
    );
    for p in &c.params {
        let _ = writeln!(s, "- params.{}: {}", p.name, p.description);
    }
    let _ = writeln!(
        s,
        "- The item vector field is '{vf}' ({dims} dims). Vector dialect {d}: `cosineSimilarity(params.x, '{vf}')`, \
         `dotProduct(params.x, '{vf}')`; the first argument is a List of numbers. Each call site binds its query \
         vector on its first call, so never call a vector function inside a loop with a changing vector: write one \
         call site per user row instead (params.user_vector[0], params.user_vector[1], ...).",
        vf = c.vector_field,
        dims = c.dims,
        d = c.dialect
    );
    let _ = writeln!(
        s,
        "- The query script must return a non-negative, non-NaN double (Elasticsearch fails the whole search \
         otherwise); wrap it in Math.max(0.0, ...).\n- At most {} sort scripts; they may read `_score`.\n\
         - Guard fields that can be missing: `doc['x'].size() == 0 ? fallback : doc['x'].value`.\n\
         - You cannot change params, the user cohort or the metrics: only the scripts.",
        c.max_sort_scripts
    );
    let _ = writeln!(
        s,
        "\nThe objective is to raise {obj}@10 while {guard}@10 stays at or above the baseline's.\n\n\
         Reply with ONLY one JSON object, no prose, no code fences:\n\
         {{\"rationale\": \"why this should help, one or two sentences\", \"query\": \"<painless source>\", \
         \"sort\": [\"<painless source>\", ...]}}",
        obj = ctx.objective,
        guard = ctx.guardrail
    );
    s
}

/// The user message: dataset, parent, history, last error, hint.
pub fn user_prompt(ctx: &ProposalContext) -> String {
    let mut s = String::new();
    s.push_str("Item fields (doc['name']):\n");
    for f in &ctx.fields {
        let _ = writeln!(
            s,
            "- {} ({}{}{})",
            f.name,
            f.kind,
            if f.multi_valued { ", multi-valued" } else { "" },
            if f.may_be_missing { ", may be missing" } else { "" }
        );
    }
    let b = &ctx.baseline;
    let _ = writeln!(
        s,
        "\nBaseline metrics: ndcg {:.4}, recall {:.4}, precision {:.4}, ild {:.4}.",
        b.ndcg, b.recall, b.precision, b.ild
    );
    if !ctx.best.is_empty() {
        s.push_str("\nBest iterations so far:\n");
        for h in &ctx.best {
            let m = h.metrics.map_or("no metrics".to_string(), |m| {
                format!("ndcg {:.4}, recall {:.4}, precision {:.4}, ild {:.4}", m.ndcg, m.recall, m.precision, m.ild)
            });
            let _ = writeln!(s, "- iteration {} ({}): {} - {}", h.iteration, h.status, m, h.rationale);
        }
    }
    let _ = writeln!(
        s,
        "\nEdit this script set (iteration {}).\nQuery script:\n{}",
        ctx.parent_iteration, ctx.parent.query
    );
    for (i, sort) in ctx.parent.sort.iter().enumerate() {
        let _ = writeln!(s, "Sort script {}:\n{}", i + 1, sort);
    }
    if let Some(m) = ctx.parent_metrics {
        let _ = writeln!(
            s,
            "Its metrics: ndcg {:.4}, recall {:.4}, precision {:.4}, ild {:.4}.",
            m.ndcg, m.recall, m.precision, m.ild
        );
    }
    if !ctx.parent_diagnostics.is_null() {
        let _ = writeln!(s, "Its diagnostics: {}", ctx.parent_diagnostics);
    }
    if let Some(err) = &ctx.last_error {
        let _ = writeln!(s, "\nThe last failing candidate got this error from the engine:\n{err}");
    }
    if let Some(hint) = &ctx.hint {
        let _ = writeln!(s, "\nHint from the user: {hint}");
    }
    s.push_str("\nPropose one improved script set as the JSON object described.");
    s
}

/// The message sent after a candidate failed the local compile check.
pub fn fix_prompt(broken: &Proposal, error: &serde_json::Value, attempt: u32) -> String {
    let mut s = format!(
        "Fix attempt {attempt}: your script set does not compile. Elasticsearch would answer:\n{error}\n\nQuery script was:\n{}\n",
        broken.query
    );
    for (i, sort) in broken.sort.iter().enumerate() {
        let _ = writeln!(s, "Sort script {}:\n{}", i + 1, sort);
    }
    s.push_str("Reply with the corrected script set as ONLY the JSON object {\"rationale\", \"query\", \"sort\"}.");
    s
}

/// The system prompt of a parent choice (evolutionary lineage).
pub fn parent_choice_system_prompt(ctx: &ParentChoiceContext) -> String {
    format!(
        "You are a search relevance engineer steering an evolutionary search over Elasticsearch Painless \
         ranking scripts for a recommender. The objective is to raise {obj}@10 while {guard}@10 stays at or above \
         the baseline's. Each iteration edits one earlier script set (its parent). You pick the parent of the next \
         iteration from the options given: a strong parent exploits what works, a different line of attempts \
         keeps the search from getting stuck. Options already picked often are listed with a discounted score.\n\n\
         Reply with ONLY one JSON object, no prose, no code fences:\n\
         {{\"parent\": <iteration number>, \"reason\": \"one sentence\"}}",
        obj = ctx.objective,
        guard = ctx.guardrail
    )
}

/// The user message of a parent choice: the baseline and every option with its figures.
pub fn parent_choice_prompt(ctx: &ParentChoiceContext) -> String {
    let b = &ctx.baseline;
    let mut s = format!(
        "Baseline metrics: ndcg {:.4}, recall {:.4}, precision {:.4}, ild {:.4}.\n\nCandidate parents (strongest \
         first after the repeated-pick discount):\n",
        b.ndcg, b.recall, b.precision, b.ild
    );
    for o in &ctx.options {
        let m = o.metrics.map_or("no metrics".to_string(), |m| {
            format!("ndcg {:.4}, recall {:.4}, precision {:.4}, ild {:.4}", m.ndcg, m.recall, m.precision, m.ild)
        });
        let _ = writeln!(
            s,
            "- iteration {} ({}; picked {} times; discounted {} {:.4}): {} - {}",
            o.iteration, o.status, o.picks, ctx.objective, o.weighted_primary, m, o.rationale
        );
    }
    if let Some(hint) = &ctx.hint {
        let _ = writeln!(s, "\nHint from the user: {hint}");
    }
    let _ = write!(s, "\nPick the parent of iteration {} as the JSON object described.", ctx.iteration);
    s
}

/// Reads a parent-choice reply: `{"parent": N, "reason": "..."}` with N one of the options.
pub fn parse_parent_choice(text: &str, ctx: &ParentChoiceContext) -> Result<(u32, String), ReplyProblem> {
    let offered: Vec<String> = ctx.options.iter().map(|o| o.iteration.to_string()).collect();
    let mut last_problem = None;
    for candidate in json_candidates(text) {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(&candidate) else {
            continue;
        };
        let parent = match map.get("parent") {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.trim().trim_start_matches("iteration").trim().parse().ok(),
            _ => None,
        };
        match parent {
            Some(p) if ctx.options.iter().any(|o| u64::from(o.iteration) == p) => {
                let reason = map.get("reason").and_then(|r| r.as_str()).unwrap_or("").trim().to_string();
                return Ok((p as u32, truncate(&reason, 600)));
            }
            Some(p) => {
                last_problem =
                    Some(ReplyProblem(format!("iteration {p} is not one of the options ({})", offered.join(", "))))
            }
            None => {
                last_problem.get_or_insert(ReplyProblem("the JSON object has no integer \"parent\" field".into()));
            }
        }
    }
    Err(last_problem.unwrap_or_else(|| ReplyProblem("no JSON object with a \"parent\" field was found".into())))
}

/// The prompt that asks the model to pick a parent again.
pub fn parent_retry_prompt(problem: &ReplyProblem) -> String {
    format!(
        "Your reply could not be used: {}. Reply again with ONLY one JSON object of the form \
         {{\"parent\": <one of the offered iteration numbers>, \"reason\": \"...\"}} and nothing else.",
        problem.0
    )
}

/// Why a reply could not be used; its text goes back to the model verbatim.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyProblem(pub String);

/// The prompt that asks the model to try again.
pub fn retry_prompt(problem: &ReplyProblem) -> String {
    format!(
        "Your reply could not be used: {}. Reply again with ONLY one JSON object of the form \
         {{\"rationale\": \"...\", \"query\": \"<painless source>\", \"sort\": [\"<painless source>\", ...]}} \
         and nothing else.",
        problem.0
    )
}

/// Reads a model reply into a proposal.
pub fn parse_reply(text: &str, max_sort_scripts: usize) -> Result<Proposal, ReplyProblem> {
    let mut last_problem = None;
    for candidate in json_candidates(text) {
        match serde_json::from_str::<serde_json::Value>(&candidate) {
            Ok(serde_json::Value::Object(map)) => match proposal_from_object(&map, max_sort_scripts) {
                Ok(p) => return Ok(p),
                Err(problem) => last_problem = Some(problem),
            },
            Ok(_) => {}
            Err(e) => {
                last_problem.get_or_insert(ReplyProblem(format!("the JSON object is malformed ({e})")));
            }
        }
    }
    if let Some(problem) = last_problem {
        return Err(problem);
    }
    // No JSON at all: accept bare Painless in code fences (first = query, rest = sort scripts).
    let blocks = fenced_blocks(text);
    let code: Vec<&(String, String)> =
        blocks.iter().filter(|(lang, _)| lang.is_empty() || lang == "painless" || lang == "java").collect();
    if let Some((_, query)) = code.first() {
        let sort: Vec<String> = code[1..].iter().map(|(_, b)| b.clone()).collect();
        if sort.len() > max_sort_scripts {
            return Err(ReplyProblem(format!("{} sort scripts, at most {max_sort_scripts} allowed", sort.len())));
        }
        let prose = strip_fences(text);
        return Ok(Proposal { rationale: truncate(prose.trim(), 600), query: query.clone(), sort, genome: None });
    }
    Err(ReplyProblem("no JSON object with a \"query\" field was found".into()))
}

fn proposal_from_object(
    map: &serde_json::Map<String, serde_json::Value>,
    max_sort_scripts: usize,
) -> Result<Proposal, ReplyProblem> {
    let query = match map.get("query") {
        Some(serde_json::Value::String(q)) if !q.trim().is_empty() => q.clone(),
        Some(serde_json::Value::String(_)) => return Err(ReplyProblem("\"query\" is empty".into())),
        Some(other) => {
            return Err(ReplyProblem(format!("\"query\" must be a string of Painless source, got {}", kind(other))));
        }
        None => return Err(ReplyProblem("the JSON object has no \"query\" field".into())),
    };
    let sort = match map.get("sort") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Vec::new(),
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item {
                    serde_json::Value::String(s) => out.push(s.clone()),
                    other => {
                        return Err(ReplyProblem(format!("\"sort\"[{i}] must be a string, got {}", kind(other))));
                    }
                }
            }
            out
        }
        Some(other) => return Err(ReplyProblem(format!("\"sort\" must be a list of strings, got {}", kind(other)))),
    };
    if sort.len() > max_sort_scripts {
        return Err(ReplyProblem(format!("{} sort scripts, at most {max_sort_scripts} allowed", sort.len())));
    }
    let rationale = match map.get("rationale") {
        Some(serde_json::Value::String(r)) if !r.trim().is_empty() => r.clone(),
        _ => return Err(ReplyProblem("the JSON object has no \"rationale\" string".into())),
    };
    Ok(Proposal { rationale, query: strip_fences_inside(&query), sort, genome: None })
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

/// Candidate JSON texts, most likely first: the whole reply, fenced blocks, then balanced `{...}` spans.
fn json_candidates(text: &str) -> Vec<String> {
    let mut out = vec![text.trim().to_string()];
    for (lang, body) in fenced_blocks(text) {
        if lang.is_empty() || lang == "json" {
            out.push(body);
        }
    }
    out.extend(balanced_objects(text));
    out.retain(|c| c.starts_with('{'));
    out.dedup();
    out
}

/// ```lang\n body ``` blocks, with the language tag lower-cased.
fn fenced_blocks(text: &str) -> Vec<(String, String)> {
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

/// Cut `s` to at most `max` bytes on a char boundary, marking the cut with `...`.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_json_is_read() {
        let p = parse_reply(r#"{"rationale":"r","query":"return 1.0;","sort":["return _score;"]}"#, 5).unwrap();
        assert_eq!(p.query, "return 1.0;");
        assert_eq!(p.sort, vec!["return _score;"]);
    }

    #[test]
    fn fenced_json_inside_prose_is_read() {
        let text = "Sure! Here is my idea:\n```json\n{\"rationale\": \"boost {popular} items\", \"query\": \"return Math.max(0.0, 1.0);\"}\n```\nHope it helps.";
        let p = parse_reply(text, 5).unwrap();
        assert_eq!(p.rationale, "boost {popular} items");
        assert!(p.sort.is_empty());
    }

    #[test]
    fn unfenced_object_inside_prose_is_read() {
        let text = "I think {this} matters. {\"rationale\":\"x\",\"query\":\"return 2.0;\",\"sort\":[]} Done.";
        assert_eq!(parse_reply(text, 5).unwrap().query, "return 2.0;");
    }

    #[test]
    fn bare_painless_blocks_are_accepted() {
        let text = "Use max pooling.\n```painless\nreturn 1.0;\n```\nand sort by\n```painless\nreturn _score;\n```";
        let p = parse_reply(text, 5).unwrap();
        assert_eq!(p.query, "return 1.0;");
        assert_eq!(p.sort, vec!["return _score;"]);
        assert!(p.rationale.contains("max pooling"));
    }

    #[test]
    fn problems_are_named() {
        assert_eq!(parse_reply(r#"{"rationale":"r"}"#, 5).unwrap_err().0, "the JSON object has no \"query\" field");
        assert!(parse_reply(r#"{"rationale":"r","query":"x""#, 5).unwrap_err().0.contains("malformed"));
        assert!(
            parse_reply(r#"{"rationale":"r","query":"x","sort":["a","b"]}"#, 1).unwrap_err().0.contains("at most 1")
        );
        assert!(parse_reply("no idea", 5).unwrap_err().0.contains("no JSON"));
        assert!(parse_reply(r#"{"query":"return 1;"}"#, 5).unwrap_err().0.contains("rationale"));
    }
}
