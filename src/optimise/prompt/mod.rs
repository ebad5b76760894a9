//! The text an LLM proposer sees. Written for the weakest model a user may bring (a 1.5B local
//! model at 8k context) as much as for a frontier API:
//! - no template placeholder a model could copy: the reply format is shown as one complete, valid
//!   example built from the run's baseline set;
//! - a compact cheat-sheet of the supported Painless subset generated from the interpreter's
//!   registry, so it cannot drift from what the checker accepts;
//! - the parent as numbered lines, so SEARCH/REPLACE edits can be written against it;
//! - each field with its type and example values (`decade: keyword, e.g. "1990s"`);
//! - a fix prompt that quotes the failing line with a caret, the checker's one-line help, the item
//!   and field values of a runtime failure, and the checker's warnings;
//! - a token budget: history and diagnostics shrink first, the parent is always shown whole.
//!
//! Reply parsing lives in `super::reply`.

use super::edits::numbered;
use super::proposer::{
    Failure, FailureDetail, FailureKind, FieldInfo, ParentChoiceContext, Proposal, ProposalContext, ScriptTexts,
};
use super::reply::json_candidates;
use std::fmt::Write as _;

mod cheat_sheet;
mod fix;
mod parent;
pub use cheat_sheet::cheat_sheet;
pub use fix::{caret_excerpt, dropped_declaration_note, fix_prompt, one_line_error};
pub use parent::{parent_choice_prompt, parent_choice_system_prompt, parent_retry_prompt, parse_parent_choice};

/// The default `--prompt-budget`: an 8k context minus the default reply allowance and a margin for the
/// chat template's own tokens.
pub const DEFAULT_PROMPT_BUDGET: usize = 6144;

/// Rough token count of a prompt: ~3.2 characters per token for code and English mixed (Qwen and
/// GPT tokenizers measured on this tool's prompts land between 3.0 and 3.8), rounded up so a budget errs
/// on the safe side.
pub fn estimate_tokens(text: &str) -> usize {
    (text.len() * 10).div_ceil(32)
}

/// The characters of Painless source outside string literals and comments, with their byte offsets:
/// what bracket counts and matching read (a `'` in a comment such as "the user's rows" is no quote).
pub fn code_chars(source: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    enum In {
        Code,
        Str { quote: char, escaped: bool },
        LineComment,
        BlockComment,
    }
    let mut state = In::Code;
    let mut chars = source.char_indices().peekable();
    std::iter::from_fn(move || {
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map(|&(_, n)| n);
            match &mut state {
                In::Code => match (c, next) {
                    ('/', Some('/')) => state = In::LineComment,
                    ('/', Some('*')) => {
                        chars.next();
                        state = In::BlockComment;
                    }
                    ('\'' | '"', _) => state = In::Str { quote: c, escaped: false },
                    _ => return Some((i, c)),
                },
                In::Str { quote, escaped } => {
                    if *escaped {
                        *escaped = false;
                    } else if c == '\\' {
                        *escaped = true;
                    } else if c == *quote {
                        state = In::Code;
                    }
                }
                In::LineComment if c == '\n' => {
                    state = In::Code;
                    return Some((i, c));
                }
                In::LineComment => {}
                In::BlockComment => {
                    if c == '*' && next == Some('/') {
                        chars.next();
                        state = In::Code;
                    }
                }
            }
        }
        None
    })
}

/// The rationale of the example reply; a reply that repeats it copied the example.
pub const EXAMPLE_RATIONALE: &str =
    "Mean-pool the user's rows and rank by cosine similarity: this is the baseline, unchanged.";

/// How a model's replies change the script set it is shown (`--edit-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EditFormat {
    /// SEARCH/REPLACE edits against the numbered parent, or whole scripts: the cheaper reply for a
    /// model that copies lines exactly.
    #[default]
    Edits,
    /// The whole new query script (and sort scripts) every time, under a schema without edits. For
    /// small models, which write SEARCH text from the line they mean to produce rather than the one
    /// they were shown (Qwen2.5-Coder-1.5B did so in most of its misses).
    Whole,
}

impl EditFormat {
    pub const ALL: [EditFormat; 2] = [EditFormat::Edits, EditFormat::Whole];

    pub fn as_str(self) -> &'static str {
        match self {
            EditFormat::Edits => "edits",
            EditFormat::Whole => "whole",
        }
    }

    pub fn parse(name: &str) -> Option<EditFormat> {
        EditFormat::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The schema structured output enforces on proposal replies.
    pub fn schema(self) -> serde_json::Value {
        match self {
            EditFormat::Edits => reply_schema(),
            EditFormat::Whole => whole_script_schema(),
        }
    }

    /// The reply allowance a reply needs at least to hold `scripts` whole (0 = any): a reply cut
    /// short by a `--reply-max-tokens` sized for edits is malformed JSON (seen with 400 tokens).
    pub fn min_reply_tokens(self, scripts: &ScriptTexts) -> u32 {
        match self {
            EditFormat::Edits => 0,
            EditFormat::Whole => whole_reply_tokens(scripts),
        }
    }
}

/// Tokens a whole-script reply for `scripts` takes: the scripts JSON-escaped, plus a rationale.
fn whole_reply_tokens(scripts: &ScriptTexts) -> u32 {
    let source: usize =
        estimate_tokens(&scripts.query) + scripts.sort.iter().map(|s| estimate_tokens(s)).sum::<usize>();
    u32::try_from(source * 3 / 2 + 200).unwrap_or(u32::MAX)
}

/// The JSON schema of a proposal reply (structured output): a rationale plus either whole scripts or
/// SEARCH/REPLACE edits.
pub fn reply_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "rationale": {"type": "string"},
            "edits": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "script": {"type": "string"},
                        "search": {"type": "string"},
                        "replace": {"type": "string"}
                    },
                    "required": ["script", "search", "replace"],
                    "additionalProperties": false
                }
            },
            "query": {"type": "string"},
            "sort": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["rationale"],
        "additionalProperties": false
    })
}

/// The schema of a whole-script reply (no edits), enforced after an edit missed.
pub fn whole_script_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "rationale": {"type": "string"},
            "query": {"type": "string"},
            "sort": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["rationale", "query"],
        // Without it llama.cpp's schema grammar lets other keys through, and Qwen2.5-Coder-1.5B sent
        // `edits` again under the edit-free schema.
        "additionalProperties": false
    })
}

/// The schema of a parent-choice reply.
pub fn parent_choice_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {"parent": {"type": "integer"}, "reason": {"type": "string"}},
        "required": ["parent", "reason"]
    })
}

/// The example reply shown in the system prompt: the baseline set itself, as complete valid JSON.
fn example_reply(baseline: &ScriptTexts) -> String {
    let strip = |s: &String| -> String {
        s.lines().filter(|l| !l.trim_start().starts_with("//")).map(|l| format!("{l}\n")).collect()
    };
    let sort: Vec<String> = baseline.sort.iter().map(strip).collect();
    serde_json::json!({"rationale": EXAMPLE_RATIONALE, "query": strip(&baseline.query), "sort": sort}).to_string()
}

/// An example edit against the baseline's last `return` line (a weight on its expression), or None
/// when the baseline has no one-line return.
fn example_edit(baseline: &ScriptTexts) -> Option<String> {
    let (line, replace) = example_edit_parts(baseline)?;
    let edit = serde_json::json!({
        "rationale": "Say in one sentence why the change should help.",
        "edits": [{"script": "query", "search": line, "replace": replace}]
    });
    Some(edit.to_string())
}

/// The example edit's SEARCH line (the baseline's last `return`) and REPLACE text. The replacement
/// only scales the score, which changes no ranking: copying it gains nothing, and a reply that copies
/// it is told so (`ReplyRules::example_replace`).
pub fn example_edit_parts(baseline: &ScriptTexts) -> Option<(String, String)> {
    let line = baseline.query.lines().rev().find(|l| l.trim_start().starts_with("return "))?.trim();
    let expr = line.strip_prefix("return ")?.strip_suffix(';')?.trim();
    Some((line.to_string(), format!("return Math.max(0.0, 2.0 * ({expr}));")))
}

/// The system prompt: the job, the script contract, the supported subset and the reply format. It
/// depends only on the run (never on the iteration), so servers that cache prompt prefixes reuse it.
pub fn system_prompt(ctx: &ProposalContext, format: EditFormat) -> String {
    let c = &ctx.contract;
    let mut s = String::new();
    s.push_str(
        "You improve Elasticsearch 8.13 Painless scripts that rank items for one user of a recommender. A \
         candidate is one script_score query script plus zero or more sort scripts (number, descending; items \
         are ordered by the sort values in order, then by _score).\n\nScript contract:\n",
    );
    for p in &c.params {
        let _ = writeln!(s, "- params.{}: {}", p.name, p.description);
    }
    let _ = writeln!(
        s,
        "- The item vector field is '{vf}' ({dims} dims): `cosineSimilarity(v, '{vf}')`, `dotProduct(v, '{vf}')` \
         with v a List of {dims} numbers. A vector function call binds its vector on first use: never call \
         one inside a loop; write one call per user row (params.user_vector[0], params.user_vector[1], ...).\n\
         - The query script must return a double >= 0 (wrap it in Math.max(0.0, ...)); at most {} sort scripts, \
         which may read _score.\n- Read fields as doc['name'].value; guard fields that may be missing with \
         doc['name'].size() == 0.\n",
        c.max_sort_scripts,
        vf = c.vector_field,
        dims = c.dims,
    );
    s.push('\n');
    s.push_str(&cheat_sheet(&c.dialect));
    let _ = writeln!(
        s,
        "\nGoal: raise {}@10 while {}@10 stays at or above the baseline's.\n",
        ctx.objective, ctx.guardrail
    );
    let example = ctx.baseline_scripts.as_ref().map(example_reply).unwrap_or_default();
    match format {
        EditFormat::Edits => {
            let _ = writeln!(
                s,
                "Reply with ONE JSON object and nothing else. Either change lines with edits (preferred: copy the \
                 exact lines to change into \"search\", give the new lines in \"replace\"; \"script\" is \"query\" or \
                 \"sort 1\", \"sort 2\", ...), or give the whole new \"query\" (and \"sort\" list). Example of an edit:\n{}\n\
                 Example of whole scripts (this is the baseline itself; never send it back unchanged):\n{example}",
                ctx.baseline_scripts.as_ref().and_then(example_edit).unwrap_or_default(),
            );
        }
        EditFormat::Whole => {
            let _ = writeln!(
                s,
                "Reply with ONE JSON object and nothing else: a one-sentence \"rationale\", the complete new \"query\" \
                 script (every line, with your change made in it) and, if the set has sort scripts, the complete \
                 \"sort\" list. Example (this is the baseline itself; never send it back unchanged):\n{example}"
            );
        }
    }
    s
}

/// One field line: `- decade: keyword, e.g. "1990s", "1980s"`.
pub fn field_line(f: &FieldInfo) -> String {
    let mut s = format!("- {}: {}", f.name, f.kind);
    if f.multi_valued {
        s.push_str(" (several values per item: doc['x'].size(), doc['x'].get(i))");
    }
    if f.may_be_missing {
        s.push_str(" (may be missing)");
    }
    if !f.examples.is_empty() {
        let _ = write!(s, ", e.g. {}", f.examples.join(", "));
    }
    if f.kind == "keyword" {
        s.push_str(" - a String, not a number");
    }
    s
}

fn metrics_line(m: &super::proposer::MetricSet) -> String {
    format!("ndcg {:.4}, recall {:.4}, precision {:.4}, ild {:.4}", m.ndcg, m.recall, m.precision, m.ild)
}

/// The recorded diagnostics reduced to the few figures that suggest a direction.
pub fn diagnostics_summary(d: &serde_json::Value) -> Option<String> {
    let obj = d.as_object()?;
    let mut parts = Vec::new();
    if let Some(c) = obj.get("coverage_at_k").and_then(|v| v.as_f64()) {
        parts.push(format!("catalogue coverage {:.1}%", 100.0 * c));
    }
    let popularity = |key: &str| obj.get("popularity").and_then(|p| p.get(key)).and_then(|v| v.as_f64());
    if let (Some(r), Some(t)) = (popularity("recommended_percentile"), popularity("relevant_percentile")) {
        parts.push(format!("popularity percentile of recommended items {r:.0} vs relevant items {t:.0}"));
    }
    if let Some(t) = obj.get("ties_at_cutoff").and_then(|v| v.as_f64()) {
        parts.push(format!("ties at the cutoff {:.0}%", 100.0 * t));
    }
    if let Some(terciles) = obj.get("ndcg_by_activity").and_then(|v| v.as_array()) {
        let t: Vec<String> = terciles
            .iter()
            .filter_map(|x| Some(format!("{} {:.3}", x.get("tercile")?.as_str()?, x.get("ndcg")?.as_f64()?)))
            .collect();
        if !t.is_empty() {
            parts.push(format!("ndcg by user activity {}", t.join(", ")));
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The parent script set as numbered listings (edits quote its lines), or as plain text for whole
/// replies (a model that copies a listing whole copies its line numbers too).
pub fn listing(scripts: &ScriptTexts, format: EditFormat) -> String {
    let show = |source: &str| match format {
        EditFormat::Edits => numbered(source),
        EditFormat::Whole => super::reply::with_final_newline(source),
    };
    let mut s = format!("query:\n{}", show(&scripts.query));
    for (i, sort) in scripts.sort.iter().enumerate() {
        let _ = write!(s, "sort {}:\n{}", i + 1, show(sort));
    }
    s
}

/// The user message within `budget` tokens (together with the system prompt): history and
/// diagnostics are trimmed first; the fields, the parent and the task are always whole.
pub fn user_prompt(ctx: &ProposalContext, budget: usize, format: EditFormat, direction: Option<&str>) -> String {
    let system_tokens = estimate_tokens(&system_prompt(ctx, format));
    let mut history_shown = ctx.best.len();
    let mut failures_shown = ctx.recent_failures.len();
    let mut with_diagnostics = true;
    loop {
        let text = user_prompt_with(ctx, format, direction, history_shown, failures_shown, with_diagnostics);
        if system_tokens + estimate_tokens(&text) <= budget {
            return text;
        }
        if failures_shown > 0 {
            failures_shown -= 1;
        } else if history_shown > 0 {
            history_shown -= 1;
        } else if with_diagnostics {
            with_diagnostics = false;
        } else {
            return text;
        }
    }
}

fn user_prompt_with(
    ctx: &ProposalContext,
    format: EditFormat,
    direction: Option<&str>,
    history: usize,
    failures: usize,
    with_diagnostics: bool,
) -> String {
    let mut s = String::from("Item fields:\n");
    for f in &ctx.fields {
        s.push_str(&field_line(f));
        s.push('\n');
    }
    let _ = writeln!(s, "\nBaseline (iteration 0): {}.", metrics_line(&ctx.baseline));
    let best: Vec<_> = ctx.best.iter().filter(|h| h.iteration != 0).take(history).collect();
    if !best.is_empty() {
        s.push_str("Best so far:\n");
        for h in best {
            let m = h.metrics.map_or("no metrics".to_string(), |m| metrics_line(&m));
            let _ = writeln!(
                s,
                "- iteration {} ({}): {} - {}",
                h.iteration,
                h.status,
                m,
                super::prompt::truncate(&h.rationale, 160)
            );
        }
    }
    if failures > 0 {
        s.push_str("Recent failed attempts (do not repeat them):\n");
        for f in ctx.recent_failures.iter().rev().take(failures).rev() {
            let _ = writeln!(s, "- iteration {} ({}): {}", f.iteration, f.status, truncate(&f.reason, 200));
        }
    }
    let _ = writeln!(
        s,
        "\nThe script set to improve (iteration {}):\n{}",
        ctx.parent_iteration,
        listing(&ctx.parent, format)
    );
    if let Some(m) = ctx.parent_metrics {
        let _ = writeln!(s, "Its metrics: {}.", metrics_line(&m));
    }
    if with_diagnostics && let Some(d) = diagnostics_summary(&ctx.parent_diagnostics) {
        let _ = writeln!(s, "Its diagnostics: {d}.");
    }
    if let Some(hint) = &ctx.hint {
        let _ = writeln!(s, "\nHint from the user: {hint}");
    }
    if let Some(direction) = direction {
        let _ = writeln!(
            s,
            "\nSuggested change for this iteration (take it unless you expect more from another change): {direction}"
        );
    }
    let reply = match format {
        EditFormat::Edits => "Reply with the JSON object only.",
        EditFormat::Whole => "Reply with the JSON object only, holding the whole new query script.",
    };
    let _ = write!(
        s,
        "\nMake one change to iteration {} that should raise {}@10. {reply}",
        ctx.parent_iteration, ctx.objective
    );
    s
}

/// The system and user prompt of a proposal, as an LLM proposer sends them and `loop --print-prompt`
/// shows them: the suggested change of `--directions` included when `directions` is on.
pub fn proposal_prompts(
    ctx: &ProposalContext,
    budget: usize,
    format: EditFormat,
    directions: bool,
) -> (String, String) {
    let direction = if directions { super::directions::direction_for(ctx) } else { None };
    (system_prompt(ctx, format), user_prompt(ctx, budget, format, direction.as_deref()))
}

/// Why a reply could not be used; its message goes back to the model verbatim.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyProblem {
    pub message: String,
    /// An edit's SEARCH text was not in the script: the retry asks for the whole script instead.
    pub edit_missed: bool,
}

impl ReplyProblem {
    pub fn new(message: String) -> ReplyProblem {
        ReplyProblem { message, edit_missed: false }
    }

    pub fn edit_missed(message: String) -> ReplyProblem {
        ReplyProblem { message, edit_missed: true }
    }
}

/// What to send after an unusable reply: the prompt, and the reply schema to enforce from then on
/// (None keeps the one in force).
pub struct Retry {
    pub prompt: String,
    pub schema: Option<serde_json::Value>,
    /// The reply allowance the answer needs at least (0 = whatever is in force).
    pub min_reply_tokens: u32,
}

/// The retry after an unusable proposal reply. After a SEARCH miss the model is asked for the whole
/// query script, and structured output enforces it (a schema without `edits`): measured on
/// Qwen2.5-Coder-1.5B, a model whose SEARCH text missed once missed again in every retry that let it
/// edit, even when told the closest real line.
pub fn retry_prompt(problem: &ReplyProblem, base: &ScriptTexts, format: EditFormat) -> Retry {
    if format == EditFormat::Whole {
        return Retry {
            prompt: format!(
                "Your reply could not be used: {}.\nReply again with ONE JSON object {{\"rationale\": ..., \"query\": \
                 ...}} whose \"query\" is the complete new query script, with real Painless code in it.",
                problem.message
            ),
            schema: None,
            min_reply_tokens: 0,
        };
    }
    if problem.edit_missed {
        return Retry {
            prompt: format!(
                "Your edit could not be applied: {}.\nDo not send edits this time. Reply with ONE JSON object \
                 {{\"rationale\": ..., \"query\": ...}} whose \"query\" is the complete new query script: every \
                 line of the script shown to you, with your change made in it.",
                problem.message
            ),
            schema: Some(whole_script_schema()),
            min_reply_tokens: EditFormat::Whole.min_reply_tokens(base),
        };
    }
    Retry {
        prompt: format!(
            "Your reply could not be used: {}.\nReply again with ONE JSON object: {{\"rationale\": ..., \"edits\": \
             [{{\"script\": \"query\", \"search\": ..., \"replace\": ...}}]}} or {{\"rationale\": ..., \"query\": ..., \
             \"sort\": [...]}}, with real Painless code in it.",
            problem.message
        ),
        schema: None,
        min_reply_tokens: 0,
    }
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

    fn context(history: usize) -> ProposalContext {
        use super::super::proposer::{FailureNote, HistoryEntry, ParamInfo, ScriptContract};
        let m = crate::metrics::MetricSet { ndcg: 0.1, recall: 0.1, precision: 0.05, ild: 0.6 };
        let parent = ScriptTexts { query: "double w = 0.5;\nreturn w;\n".repeat(20), sort: vec![] };
        ProposalContext {
            iteration: 9,
            contract: ScriptContract {
                params: vec![ParamInfo { name: "user_vector".into(), description: "rows".into() }],
                vector_field: "item_vector".into(),
                user_rows: 2,
                dims: 4,
                max_sort_scripts: 2,
                dialect: "elasticsearch".into(),
            },
            fields: vec![FieldInfo {
                name: "decade".into(),
                kind: "keyword".into(),
                multi_valued: false,
                may_be_missing: true,
                examples: vec!["\"1990s\"".into(), "\"1980s\"".into()],
                stats: None,
            }],
            objective: "ndcg".into(),
            guardrail: "ild".into(),
            baseline: m,
            parent_iteration: 4,
            parent: parent.clone(),
            parent_genome: None,
            parent_metrics: Some(m),
            parent_diagnostics: serde_json::json!({"coverage_at_k": 0.2, "ties_at_cutoff": 0.1}),
            best: (1..=history as u32)
                .map(|i| HistoryEntry {
                    iteration: i,
                    parent: Some(0),
                    status: "accepted".into(),
                    rationale: "a long explanation of the idea ".repeat(10),
                    metrics: Some(m),
                })
                .collect(),
            last_error: None,
            recent_failures: vec![FailureNote {
                iteration: 5,
                status: "runtime_error".into(),
                reason: "x".repeat(150),
            }],
            baseline_scripts: Some(parent),
            hint: None,
            seed: 1,
        }
    }

    #[test]
    fn the_budget_trims_history_and_diagnostics_never_the_parent() {
        let ctx = context(40);
        let roomy = user_prompt(&ctx, 100_000, EditFormat::Edits, None);
        assert!(roomy.contains("iteration 40 (accepted)") && roomy.contains("Its diagnostics"));
        assert!(roomy.contains("iteration 5 (runtime_error)"));
        let system = estimate_tokens(&system_prompt(&ctx, EditFormat::Edits));
        let budget = system + estimate_tokens(&roomy) / 2;
        let tight = user_prompt(&ctx, budget, EditFormat::Edits, None);
        assert!(system + estimate_tokens(&tight) <= budget, "{} > {budget}", system + estimate_tokens(&tight));
        assert!(tight.contains(&listing(&ctx.parent, EditFormat::Edits)), "the parent is always whole");
        assert!(tight.contains("decade: keyword (may be missing), e.g. \"1990s\", \"1980s\" - a String"));
        assert!(!tight.contains("iteration 40 (accepted)"), "history goes first");
        // A budget below the fixed part still yields the whole parent.
        let minimal = user_prompt(&ctx, 10, EditFormat::Edits, None);
        assert!(minimal.contains(&listing(&ctx.parent, EditFormat::Edits)) && !minimal.contains("Its diagnostics"));
    }

    #[test]
    fn the_system_prompt_shows_a_complete_example_built_from_the_baseline() {
        let ctx = context(0);
        let system = system_prompt(&ctx, EditFormat::Edits);
        assert!(!system.contains("<painless"), "no placeholder to copy");
        let example = system.lines().find(|l| l.contains(EXAMPLE_RATIONALE)).expect("the example reply");
        let value: serde_json::Value = serde_json::from_str(example).expect("the example is valid JSON");
        assert_eq!(value["query"], ctx.baseline_scripts.as_ref().unwrap().query.as_str());
        let edit = system.lines().find(|l| l.contains("\"edits\"")).expect("the edit example");
        let edit: serde_json::Value = serde_json::from_str(edit).unwrap();
        let base = ctx.baseline_scripts.clone().unwrap();
        let applied = super::super::reply::read_reply(
            &edit.to_string(),
            &base,
            super::super::reply::ReplyRules { max_sort_scripts: 2, example_rationale: None, example_replace: None },
        )
        .expect("the example edit applies to the baseline");
        assert!(applied.query.contains("return Math.max(0.0, 2.0 * (w));"), "{}", applied.query);
    }

    #[test]
    fn whole_format_asks_for_whole_scripts_and_shows_no_line_numbers() {
        let ctx = context(3);
        let system = system_prompt(&ctx, EditFormat::Whole);
        assert!(!system.contains("\"edits\"") && !system.contains("\"search\""), "no edit format shown:\n{system}");
        let example = system.lines().find(|l| l.contains(EXAMPLE_RATIONALE)).expect("the example reply");
        let value: serde_json::Value = serde_json::from_str(example).expect("the example is valid JSON");
        assert_eq!(value["query"], ctx.baseline_scripts.as_ref().unwrap().query.as_str());
        let user = user_prompt(&ctx, 100_000, EditFormat::Whole, None);
        assert!(user.contains("query:\ndouble w = 0.5;\nreturn w;\n"), "plain parent:\n{user}");
        assert!(!user.contains("1| double w"), "{user}");
        assert!(user.ends_with("holding the whole new query script."), "{user}");
        // Edits keep the numbered listing.
        assert!(user_prompt(&ctx, 100_000, EditFormat::Edits, None).contains(" 1| double w = 0.5;"));
        // Whole replies get room for the script from the first request.
        let tokens = EditFormat::Whole.min_reply_tokens(&ctx.parent);
        assert!(tokens as usize > estimate_tokens(&ctx.parent.query), "{tokens}");
        assert_eq!(EditFormat::Edits.min_reply_tokens(&ctx.parent), 0);
        assert_eq!(EditFormat::Whole.schema(), whole_script_schema());
        for f in EditFormat::ALL {
            assert_eq!(EditFormat::parse(f.as_str()), Some(f));
        }
    }

    #[test]
    fn a_removed_declaration_is_named_with_its_line() {
        let parent = ScriptTexts {
            query: "List rows = params.user_vector;\nint dims = rows[0].size();\ndouble s = 0.0;\nreturn s + dims;\n"
                .into(),
            sort: vec![],
        };
        let broken = ScriptTexts {
            query: "List rows = params.user_vector;\ndouble s = 0.0;\nreturn s + dims;\n".into(),
            sort: vec![],
        };
        let failure = |message: &str| Failure {
            kind: FailureKind::Compile,
            error: serde_json::json!({}),
            detail: Some(FailureDetail {
                kind: FailureKind::Compile,
                script: "query".into(),
                span: None,
                message: message.into(),
                help: None,
                item: None,
                field_values: vec![],
                warnings: vec![],
            }),
        };
        let note = dropped_declaration_note(
            &parent,
            &broken,
            &failure("illegal_argument_exception: cannot resolve symbol [dims]"),
        )
        .expect("a note");
        assert!(note.contains("line 2 of the script you started from (`int dims = rows[0].size();`)"), "{note}");
        // Not for a name the parent never declared, one the candidate still declares, or other errors.
        assert_eq!(
            dropped_declaration_note(
                &parent,
                &broken,
                &failure("illegal_argument_exception: cannot resolve symbol [other]")
            ),
            None
        );
        assert_eq!(
            dropped_declaration_note(
                &parent,
                &parent,
                &failure("illegal_argument_exception: cannot resolve symbol [dims]")
            ),
            None
        );
        assert_eq!(dropped_declaration_note(&parent, &broken, &failure("Not a statement.")), None);
        let proposal = Proposal { rationale: String::new(), query: broken.query.clone(), sort: vec![], genome: None };
        let prompt = fix_prompt(
            &proposal,
            &parent,
            &failure("illegal_argument_exception: cannot resolve symbol [dims]"),
            1,
            EditFormat::Edits,
        );
        assert!(prompt.contains("Note: `dims` is declared on line 2"), "{prompt}");
    }

    #[test]
    fn caret_points_at_the_column() {
        let src = "double x = 1.0;\nreturn y;\n";
        assert_eq!(caret_excerpt(src, 23).unwrap(), "  2| return y;\n            ^");
    }

    #[test]
    fn one_line_error_takes_the_innermost_cause() {
        let e = serde_json::json!({"error": {"type": "search_phase_execution_exception", "reason": "all shards failed",
            "caused_by": {"type": "script_exception", "reason": "runtime error",
            "caused_by": {"type": "number_format_exception", "reason": "For input string: \"1990s\""}}}});
        assert_eq!(one_line_error(&e), "number_format_exception: For input string: \"1990s\"");
    }

    #[test]
    fn code_chars_skip_strings_and_comments() {
        let src = "// the user's rows (all)\nreturn f('a)b', \"c(\\\"\") /* ) */ + g(x);\n";
        let code: String = code_chars(src).map(|(_, c)| c).collect();
        assert_eq!(code, "\nreturn f(, )  + g(x);\n");
        let (at, _) = code_chars(src).find(|&(_, c)| c == 'g').expect("g");
        assert_eq!(&src[at..at + 4], "g(x)");
    }

    /// A real reply (seeded evolutionary run, iteration 8): one `)` too many after the model dropped
    /// the inner `Math.max(0.0, ` of the suggested line.
    #[test]
    fn unbalanced_parentheses_are_counted_in_the_fix_prompt() {
        let line = "return Math.max(0.0, cosineSimilarity(pooled, 'item_vector') + 1.0 + 0.0125 * ((doc['genres'].size() - 2.2298) / 1.1229)) + 0.1 * (doc['year'].size() == 0 ? 0.0 : (doc['year'].value - 1997.0000) / 15.5671));";
        let query = format!("// the user's rows\nList pooled = params.user_vector[0];\n{line}\n");
        let note = fix::unbalanced_parentheses_note(&query).expect("unbalanced");
        assert_eq!(
            note,
            "Parentheses: the script opens 8 and closes 9: it closes 1 more than it opens. Count them on the line you changed."
        );
        assert_eq!(fix::unbalanced_parentheses_note("return f('(', g(1));\n"), None);
        let proposal = Proposal { rationale: String::new(), query: query.clone(), sort: vec![], genome: None };
        let failure = Failure {
            kind: FailureKind::Compile,
            error: serde_json::json!({}),
            detail: Some(FailureDetail {
                kind: FailureKind::Compile,
                script: "query".into(),
                span: Some((query.len() - 3, query.len() - 2)),
                message: "illegal_argument_exception: unexpected token [')'] was expecting one of [{<EOF>, ';'}]."
                    .into(),
                help: None,
                item: None,
                field_values: vec![],
                warnings: vec![],
            }),
        };
        let parent = ScriptTexts { query: query.clone(), sort: vec![] };
        let prompt = fix_prompt(&proposal, &parent, &failure, 1, EditFormat::Edits);
        assert!(prompt.contains("it closes 1 more than it opens"), "{prompt}");
    }
}
