//! Structure from the model, constants from the search (`--tune-constants N`): once a model's candidate
//! compiles and runs, its floating-point literals (weights, half-lives, centres) are tuned by a
//! coordinate search for up to N local evaluations before the candidate is judged. A local evaluation
//! costs a fraction of a second, a call to a small local model minutes: spending the cheap one turns a
//! right idea with a wrong constant into an accepted candidate.
//!
//! Only literals written with a decimal point or an exponent are tuned (`0.5`, `1e-3`, `2.0d`): integer
//! literals are indices, loop bounds and sizes, whose change would alter the script's structure.

use super::proposer::ScriptTexts;

/// A floating-point literal found in a script.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    /// 0 = the query script, k = sort script k.
    pub script: usize,
    pub start: usize,
    pub end: usize,
    pub value: f64,
    /// A `d`/`f`/`D`/`F` suffix to keep.
    pub suffix: Option<char>,
}

/// Every tunable literal of `source` (outside comments and string literals).
pub fn literals(source: &str, script: usize) -> Vec<Literal> {
    let b = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = source[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = source[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            }
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            c if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) => {
                let prev_ident = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
                let start = i;
                let mut j = i;
                let mut floating = false;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                    floating |= b[j] == b'.';
                    j += 1;
                }
                if j < b.len() && (b[j] == b'e' || b[j] == b'E') {
                    let mut k = j + 1;
                    if k < b.len() && (b[k] == b'+' || b[k] == b'-') {
                        k += 1;
                    }
                    if k < b.len() && b[k].is_ascii_digit() {
                        floating = true;
                        j = k;
                        while j < b.len() && b[j].is_ascii_digit() {
                            j += 1;
                        }
                    }
                }
                let suffix = b.get(j).copied().filter(|c| matches!(c, b'd' | b'D' | b'f' | b'F')).map(char::from);
                let end = j;
                let after = j + usize::from(suffix.is_some());
                let next_ident = b.get(after).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
                // `x.0` style member access on a digit is not a literal; `1.` alone is rare but valid.
                if !prev_ident
                    && !next_ident
                    && (floating || suffix.is_some())
                    && let Ok(value) = source[start..end].parse::<f64>()
                {
                    out.push(Literal { script, start, end, value, suffix });
                }
                i = after.max(i + 1);
            }
            _ => i += 1,
        }
    }
    out
}

/// A literal's value as Painless source (always with a decimal point or exponent, so it stays a double).
pub fn render(value: f64) -> String {
    let s = format!("{value:?}");
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") { s } else { format!("{s}.0") }
}

/// `scripts` with the literals set to `values` (same order as `lits`).
pub fn with_values(scripts: &ScriptTexts, lits: &[Literal], values: &[f64]) -> ScriptTexts {
    let mut out = scripts.clone();
    // Replace from the end of each script so earlier offsets stay valid.
    let mut order: Vec<usize> = (0..lits.len()).collect();
    order.sort_by_key(|&i| (lits[i].script, std::cmp::Reverse(lits[i].start)));
    for i in order {
        let l = &lits[i];
        let target = if l.script == 0 { &mut out.query } else { &mut out.sort[l.script - 1] };
        target.replace_range(l.start..l.end, &render(values[i]));
    }
    out
}

/// What tuning did to a candidate: a run-record type, so it lives with the run format.
pub use crate::run::TuningRecord;

/// One evaluation's verdict: the primary metric, and whether the guardrail held.
pub type Score = Option<(f64, bool)>;

/// Coordinate search over the literals: each in turn is multiplied by 2 and by 0.5 (then pushed further
/// in a direction that helped), a move kept only when the primary improves with the guardrail held.
/// Returns the best scripts, their score and the evaluations spent (at most `budget`).
pub fn coordinate_search(
    scripts: &ScriptTexts,
    start: f64,
    budget: u32,
    mut evaluate: impl FnMut(&ScriptTexts) -> Score,
) -> (ScriptTexts, f64, u32, Vec<String>) {
    let mut lits: Vec<Literal> = literals(&scripts.query, 0);
    for (k, s) in scripts.sort.iter().enumerate() {
        lits.extend(literals(s, k + 1));
    }
    let mut values: Vec<f64> = lits.iter().map(|l| l.value).collect();
    let (mut best, mut spent) = (start, 0u32);
    if lits.is_empty() || budget == 0 {
        return (scripts.clone(), best, 0, Vec::new());
    }
    'rounds: for _round in 0..3 {
        let mut improved_any = false;
        for i in 0..lits.len() {
            if values[i] == 0.0 {
                continue;
            }
            for factor in [2.0, 0.5] {
                let mut moved = false;
                loop {
                    if spent >= budget {
                        break 'rounds;
                    }
                    let mut trial = values.clone();
                    trial[i] *= factor;
                    spent += 1;
                    match evaluate(&with_values(scripts, &lits, &trial)) {
                        Some((primary, true)) if primary > best + 1e-12 => {
                            best = primary;
                            values = trial;
                            moved = true;
                            improved_any = true;
                        }
                        _ => break,
                    }
                }
                if moved {
                    break;
                }
            }
        }
        if !improved_any {
            break;
        }
    }
    let changes = lits
        .iter()
        .zip(&values)
        .filter(|(l, v)| l.value != **v)
        .map(|(l, v)| {
            let name = if l.script == 0 { "query".to_string() } else { format!("sort {}", l.script) };
            format!("{name}:{}->{}", render(l.value), render(*v))
        })
        .collect();
    (with_values(scripts, &lits, &values), best, spent, changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_skip_integers_comments_strings_and_identifiers() {
        let src = "// weight 0.5\nint n = 3; double w = 0.25 * x2.0;\nString s = '1.5';\nreturn w + 1e-3 + 2.0d;\n";
        let found: Vec<f64> = literals(src, 0).iter().map(|l| l.value).collect();
        assert_eq!(found, vec![0.25, 1e-3, 2.0]);
        let lits = literals(src, 0);
        let set = ScriptTexts { query: src.into(), sort: vec![] };
        let out = with_values(&set, &lits, &[0.5, 0.002, 4.0]);
        assert!(out.query.contains("double w = 0.5 * x2.0;"), "{}", out.query);
        assert!(out.query.contains("return w + 0.002 + 4.0d;"), "{}", out.query);
    }

    #[test]
    fn search_climbs_to_the_better_constant_within_budget() {
        // Primary peaks when the weight is 2.0 (start 0.5): 0.5 -> 1.0 -> 2.0 -> 4.0 (worse).
        let set = ScriptTexts { query: "return 0.5 * x;\n".into(), sort: vec![] };
        let score = |s: &ScriptTexts| {
            let w = literals(&s.query, 0)[0].value;
            Some((-(w - 2.0).abs(), true))
        };
        let (best, primary, spent, changes) = coordinate_search(&set, -1.5, 10, score);
        assert_eq!(best.query, "return 2.0 * x;\n");
        assert_eq!(primary, 0.0);
        assert!(spent <= 10);
        assert_eq!(changes, vec!["query:0.5->2.0"]);
        // A guardrail violation is never kept.
        let (same, _, _, changes) = coordinate_search(&set, -1.5, 10, |_| Some((9.0, false)));
        assert_eq!(same, set);
        assert!(changes.is_empty());
        // The budget is a hard bound.
        let mut calls = 0;
        let _ = coordinate_search(&set, -1.5, 2, |s| {
            calls += 1;
            score(s)
        });
        assert_eq!(calls, 2);
    }
}
