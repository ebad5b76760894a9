//! The parent choice of the evolutionary lineage: the prompts that offer the model the candidate
//! parents, and the reading of its answer.

use super::*;

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
                    Some(ReplyProblem::new(format!("iteration {p} is not one of the options ({})", offered.join(", "))))
            }
            None => {
                last_problem.get_or_insert(ReplyProblem::new("the JSON object has no integer \"parent\" field".into()));
            }
        }
    }
    Err(last_problem.unwrap_or_else(|| ReplyProblem::new("no JSON object with a \"parent\" field was found".into())))
}

/// The prompt that asks the model to pick a parent again.
pub fn parent_retry_prompt(problem: &ReplyProblem) -> Retry {
    let prompt = format!(
        "Your reply could not be used: {}. Reply again with ONLY one JSON object of the form \
         {{\"parent\": <one of the offered iteration numbers>, \"reason\": \"...\"}} and nothing else.",
        problem.message
    );
    Retry { prompt, schema: None, min_reply_tokens: 0 }
}
