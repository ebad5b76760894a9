//! One concrete direction per LLM proposal (`--directions`), taken in turn from a list derived from
//! the store's schema and statistics, as the built-in optimiser's signals are (`super::signals`).
//!
//! Why: measured on Qwen2.5-Coder-1.5B, a small model left to choose its own change keeps proposing
//! the same idea (6 of 10 iterations "a cosine similarity term for the user's last rated item", a
//! field that is not a vector) or reads item fields through `params`. Given one concrete change with a
//! valid, guarded expression to build it from, written as the parent's return line with the term
//! added (a literal weight: told "W, a small weight", it wrote `W` into the script), it writes a
//! candidate that compiles and differs from the last. The model still decides how to combine it (weight, sign, where it goes); the direction
//! is a suggestion the prompt says it may ignore, and the expression is the same one the built-in
//! optimiser would render for that field, so nothing here is tuned to a dataset.

use super::genome::{SignalKind, render_signal};
use super::proposer::ProposalContext;
use super::signals::derive_signals;

/// Rows a "best-matching row" direction compares (one vector call site each).
const BEST_ROWS: usize = 3;

/// One suggested change: what it is, the statements it needs first, and the term it adds.
#[derive(Debug, Clone, PartialEq)]
pub struct Direction {
    /// One sentence: what the change does.
    pub idea: String,
    /// Statements to declare before the `return`.
    pub declarations: Vec<String>,
    /// The term added to the score, with its starting weight.
    pub term: String,
}

/// The directions for a run over `ctx`'s store, in a fixed order: one per field signal, then the
/// field-free ones.
pub fn directions(ctx: &ProposalContext) -> Vec<Direction> {
    let has_now = ctx.contract.params.iter().any(|p| p.name == "now");
    let mut out: Vec<Direction> = derive_signals(&ctx.fields, has_now).iter().map(of_signal).collect();
    let vf = &ctx.contract.vector_field;
    let rows = ctx.contract.user_rows.min(BEST_ROWS);
    if rows > 1 {
        let declarations: Vec<String> =
            (0..rows).map(|r| format!("double s{r} = cosineSimilarity(params.user_vector[{r}], '{vf}');")).collect();
        let best = (1..rows).fold("s0".to_string(), |acc, r| format!("Math.max({acc}, s{r})"));
        out.push(Direction {
            idea: format!(
                "Mix in the best match among the user's first {rows} rows, not only the mean of all rows (one vector \
                 call per row, never in a loop)."
            ),
            declarations,
            term: format!("0.5 * {best}"),
        });
    }
    out
}

/// The suggestion shown for iteration `ctx.iteration` (1-based): the directions are walked in turn
/// from an offset set by the seed, and the suggestion is written against the parent's last `return`
/// line when it has a one-line one, so the change can be copied as an edit. None when there are none.
pub fn direction_for(ctx: &ProposalContext) -> Option<String> {
    let mut all = directions(ctx);
    if all.is_empty() {
        return None;
    }
    let n = all.len();
    let offset = usize::try_from(ctx.seed % n as u64).unwrap_or(0);
    let turn = usize::try_from(ctx.iteration.saturating_sub(1)).unwrap_or(0);
    Some(describe(&all.swap_remove((offset + turn) % n), &ctx.parent.query))
}

/// The direction in words, with the parent's return line rewritten to include it.
pub fn describe(direction: &Direction, parent_query: &str) -> String {
    let mut s = direction.idea.clone();
    let last_return = parent_query.lines().rev().find(|l| l.trim_start().starts_with("return ")).map(str::trim);
    let expr = last_return.and_then(|l| l.strip_prefix("return ")?.strip_suffix(';')).map(str::trim);
    let before = if direction.declarations.is_empty() {
        String::new()
    } else {
        format!("declare first\n    {}\n  then ", direction.declarations.join("\n    "))
    };
    match (last_return, expr) {
        (Some(line), Some(expr)) => {
            // The sum may dip below zero; script_score refuses negative scores. A return already
            // clamped gets the term inside its clamp: wrapped a second time, the line's closing
            // parentheses were where a 1.5B model went wrong most (13 of its 32 compile errors in one
            // run were one `)` too many after it dropped the inner `Math.max(0.0, `).
            let inner = clamped_at_zero(expr).unwrap_or(expr);
            s.push_str(&format!(
                " For example {before}change the line\n    {line}\n  to\n    return Math.max(0.0, {inner} + {});\n  \
                 (the weight is a starting point; another weight or sign is fine).",
                direction.term
            ));
        }
        _ => s.push_str(&format!(" For example {before}add {} to the returned score.", direction.term)),
    }
    s
}

/// `X` when `expr` is exactly `Math.max(0.0, X)` (the clamp's closing parenthesis ends it), else None.
fn clamped_at_zero(expr: &str) -> Option<&str> {
    let open = "Math.max(".len() - 1;
    let rest = expr.strip_prefix("Math.max(")?.trim_start();
    let inner_start = expr.len() - rest.strip_prefix("0.0")?.trim_start().strip_prefix(',')?.len();
    let mut depth = 0usize;
    for (i, c) in super::prompt::code_chars(expr).skip_while(|&(i, _)| i < open) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return (i + 1 == expr.len()).then(|| expr[inner_start..i].trim());
                }
            }
            _ => {}
        }
    }
    None
}

fn of_signal(signal: &SignalKind) -> Direction {
    let expr = render_signal(signal);
    let (idea, weight) = match signal {
        SignalKind::Recency { field, .. } => {
            (format!("Favour items whose {field} is recent (1 for now, falling with age; 0 when missing)."), "0.2")
        }
        SignalKind::Breadth { field, .. } => {
            (format!("Use how many values {field} has (about -1 to 1 around the typical item)."), "0.05")
        }
        SignalKind::Numeric { field, log, .. } => (
            format!(
                "Blend in the item field {field}{} (about -1 to 1 around the median item; 0 when missing).",
                if *log { " on a log scale" } else { "" }
            ),
            "0.1",
        ),
        SignalKind::LogPopularity { field } | SignalKind::MeanRating { field, .. } | SignalKind::Year { field, .. } => {
            (format!("Blend in the item field {field}."), "0.1")
        }
    };
    Direction { idea, declarations: Vec::new(), term: format!("{weight} * {expr}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SyntheticOptions;
    use crate::optimise::proposer::{FieldInfo, ScriptTexts};
    use crate::store::synthetic_store;

    fn context(iteration: u32, seed: u64) -> ProposalContext {
        let store =
            synthetic_store(&SyntheticOptions { items: 150, users: 20, dims: 4, ..Default::default() }).unwrap();
        let parent = ScriptTexts { query: "return 1.0;\n".into(), sort: vec![] };
        ProposalContext {
            seed,
            parent,
            ..crate::optimise::builtin::tests::ctx(&FieldInfo::of_store(&store), iteration, None)
        }
    }

    #[test]
    fn each_field_signal_and_the_best_row_come_in_turn() {
        let ctx = context(1, 0);
        let all = directions(&ctx);
        let signals = derive_signals(&ctx.fields, true).len();
        assert!(signals >= 2, "the synthetic store has numeric fields");
        assert_eq!(all.len(), signals + usize::from(ctx.contract.user_rows > 1));
        assert!(all.iter().any(|d| d.idea.contains("Favour items whose last_rated is recent")), "{all:#?}");
        // Iterations walk the list; the seed moves the start.
        let walk: Vec<String> = (1..=all.len() as u32).map(|i| direction_for(&context(i, 0)).unwrap()).collect();
        let expected: Vec<String> = all.iter().map(|d| describe(d, &ctx.parent.query)).collect();
        assert_eq!(walk, expected);
        assert_eq!(direction_for(&context(1, 1)).unwrap(), expected[1 % all.len()]);
    }

    #[test]
    fn every_suggestion_is_a_valid_edit_of_the_parent_that_compiles() {
        let ctx = context(1, 0);
        let parent = "double sim = 1.0;\nreturn sim + 1.0;\n";
        for direction in directions(&ctx) {
            let text = describe(&direction, parent);
            let (_, to) = text.split_once("\n  to\n    ").expect("a rewritten return line");
            let new_return = to.lines().next().unwrap();
            assert!(new_return.starts_with("return Math.max(0.0, sim + 1.0 + "), "{text}");
            let script = format!("double sim = 1.0;\n{}\n{new_return}\n", direction.declarations.join("\n"));
            let env = crate::interp::CompileEnv::new(
                crate::interp::runtime::types::ScriptContext::Score,
                crate::interp::runtime::types::Dialect::Elasticsearch,
            );
            let compiled = crate::interp::compile(&script, &env);
            assert!(compiled.program.is_some(), "{text}\n{script}\n{:?}", compiled.diagnostics);
            for declaration in &direction.declarations {
                assert!(text.contains(declaration.as_str()), "{text}");
            }
        }
        // A clamped return gets the term inside its clamp, never a second clamp around it.
        let clamped = "double sim = 1.0;\nreturn Math.max(0.0, sim + 1.0 + 0.1 * (sim - 0.5));\n";
        let text = describe(&directions(&ctx)[0], clamped);
        let (_, to) = text.split_once("\n  to\n    ").expect("a rewritten return line");
        assert!(to.starts_with("return Math.max(0.0, sim + 1.0 + 0.1 * (sim - 0.5) + "), "{text}");
        assert_eq!(to.lines().next().unwrap().matches("Math.max").count(), 1, "{text}");
        // Not when the clamp ends before the expression does, or clamps at another bound.
        assert_eq!(clamped_at_zero("Math.max(0.0, a) + Math.max(0.0, b)"), None);
        assert_eq!(clamped_at_zero("Math.max(1.0, a)"), None);
        assert_eq!(clamped_at_zero("Math.max(0.0, doc['a)'].value + 1)"), Some("doc['a)'].value + 1"));
        // Without a one-line return the suggestion still names the term.
        let d = &directions(&ctx)[0];
        assert!(describe(d, "if (true) { return 1.0; }").contains(&format!("add {} to the returned score", d.term)));
    }
}
