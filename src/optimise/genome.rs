//! The built-in optimiser's candidate representation: a small typed genome that renders to Painless.
//! Every genome renders to a valid script set by construction (guards for missing values, a final
//! `Math.max(0.0, ...)` so scores are never negative), and the genome itself is stored in
//! `proposal.json` so a run can be resumed or inspected without parsing Painless back.
//!
//! Per-row similarities are written as one `cosineSimilarity(params.user_vector[i], ...)` call site per
//! row, never as one call inside a loop: in Elasticsearch the vector functions are *class bindings*,
//! built once per call site on the first call and reused, so a loop calling `cosineSimilarity(row, ..)`
//! would silently compare every row's item with the first row. Unrolled call sites are exact on both
//! engines.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// How the user's rows are pooled into one similarity per item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pooling {
    /// Cosine (or dot product) against the mean of the rows.
    MeanVector,
    /// The mean of the per-row cosine similarities.
    MeanSimilarity,
    /// The best-matching row.
    MaxSimilarity,
    /// Per-row similarities weighted by `exp(sim / temperature)`.
    Softmax { temperature: f64 },
    /// The mean of the `m` best-matching rows.
    TopM { m: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Similarity {
    Cosine,
    /// Only with `MeanVector` pooling (unbounded, so it is not exponentiated).
    DotProduct,
}

/// An item-side signal added to the similarity term, each read with a missing-value guard. The
/// optimiser derives the first three from the store's field statistics (`signals.rs`); the last three
/// are what runs before issue 21 proposed, kept so their genomes still load and render on `--resume`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SignalKind {
    /// `(x - center) / scale` with `x` the value, or `ln(1 + value)` when `log`: a numeric field on a
    /// scale of about one spread around its median; a missing value reads as the median.
    Numeric { field: String, log: bool, center: f64, scale: f64 },
    /// `exp(-(now - t) / half_life)` with `now` a harness param in epoch seconds and `t` the field in
    /// seconds (`seconds_per_unit` converts a millisecond field). A `date` field is read through its
    /// `ZonedDateTime` doc value (`toInstant().toEpochMilli()`, so `seconds_per_unit` is 0.001).
    Recency {
        field: String,
        half_life_days: f64,
        #[serde(default = "one", skip_serializing_if = "is_one")]
        seconds_per_unit: f64,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        date: bool,
    },
    /// `(n - center) / scale` with `n` the number of values of a multi-valued field; the pre-issue-21
    /// form is `n` itself (center 0, scale 1).
    Breadth {
        field: String,
        #[serde(default)]
        center: f64,
        #[serde(default = "one")]
        scale: f64,
    },
    /// `log(1 + popularity)` (runs before issue 21).
    LogPopularity { field: String },
    /// `rating - center` (runs before issue 21).
    MeanRating { field: String, center: f64 },
    /// `(year - center) / 10` (runs before issue 21).
    Year { field: String, center: f64 },
}

fn one() -> f64 {
    1.0
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

impl SignalKind {
    /// The field the signal reads.
    pub fn field(&self) -> &str {
        match self {
            SignalKind::Numeric { field, .. }
            | SignalKind::Recency { field, .. }
            | SignalKind::Breadth { field, .. }
            | SignalKind::LogPopularity { field }
            | SignalKind::MeanRating { field, .. }
            | SignalKind::Year { field, .. } => field,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub kind: SignalKind,
    pub weight: f64,
}

/// One `_script` sort key (descending).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SortKey {
    /// `floor(_score / bucket)`: coarse relevance bands, so the next key reorders within a band.
    ScoreBand { bucket: f64 },
    /// `_score` plus a weighted signal: a re-ranking step that can trade relevance for diversity.
    ScorePlus { signal: Signal },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Genome {
    pub pooling: Pooling,
    pub similarity: Similarity,
    /// Weight of the `(1 + similarity)` term.
    pub similarity_weight: f64,
    pub signals: Vec<Signal>,
    pub sorts: Vec<SortKey>,
}

/// What the genome renders against: names from the dataset and the harness.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderEnv {
    pub vector_field: String,
    pub user_rows: usize,
    /// Whether the harness passes `params.now`.
    pub has_now: bool,
}

impl Genome {
    /// The shape of the reference baseline: cosine against the mean row, plus one.
    pub fn baseline() -> Genome {
        Genome {
            pooling: Pooling::MeanVector,
            similarity: Similarity::Cosine,
            similarity_weight: 1.0,
            signals: Vec::new(),
            sorts: Vec::new(),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    pub fn from_json(value: &serde_json::Value) -> Option<Genome> {
        serde_json::from_value(value.clone()).ok()
    }

    /// The query script.
    pub fn render_query(&self, env: &RenderEnv) -> String {
        let mut src = String::new();
        let vf = &env.vector_field;
        let rows = env.user_rows.max(1);
        let func = match self.similarity {
            Similarity::Cosine => "cosineSimilarity",
            Similarity::DotProduct => "dotProduct",
        };
        match &self.pooling {
            Pooling::MeanVector => {
                // The same shape as scripts/baseline: the pooled vector depends only on params, so
                // the interpreter computes it once per user.
                src.push_str("// mean-pool the user's rows, then compare the item with the pooled vector\n");
                src.push_str("List rows = params.user_vector;\n");
                src.push_str("int dims = rows[0].size();\n");
                src.push_str("List pooled = new ArrayList();\n");
                src.push_str("for (int d = 0; d < dims; ++d) {\n");
                src.push_str("  double sum = 0.0;\n");
                src.push_str("  for (int r = 0; r < rows.size(); ++r) {\n");
                src.push_str("    sum += rows[r][d];\n");
                src.push_str("  }\n");
                src.push_str("  pooled.add(sum / rows.size());\n");
                src.push_str("}\n");
                let _ = writeln!(src, "double sim = {func}(pooled, '{vf}');");
            }
            pooling => {
                src.push_str("// one call site per row: vector functions bind their query vector once per call site\n");
                for r in 0..rows {
                    let _ = writeln!(src, "double s{r} = cosineSimilarity(params.user_vector[{r}], '{vf}');");
                }
                render_pooling(&mut src, pooling, rows);
            }
        }
        src.push_str("double score = ");
        let _ = write!(src, "{} * (1.0 + sim)", num(self.similarity_weight));
        src.push_str(";\n");
        for signal in &self.signals {
            if !signal_renderable(&signal.kind, env) {
                continue;
            }
            let _ = writeln!(src, "score += {} * {};", num(signal.weight), render_signal(&signal.kind));
        }
        src.push_str("return Math.max(0.0, score);\n");
        src
    }

    /// The sort scripts, in order.
    pub fn render_sorts(&self, env: &RenderEnv) -> Vec<String> {
        self.sorts
            .iter()
            .filter_map(|key| match key {
                SortKey::ScoreBand { bucket } => Some(format!(
                    "// relevance band: later keys reorder items within a band\nreturn Math.floor(_score / {});\n",
                    num(*bucket)
                )),
                SortKey::ScorePlus { signal } => {
                    if !signal_renderable(&signal.kind, env) {
                        return None;
                    }
                    Some(format!(
                        "// relevance traded against an item signal\nreturn _score + {} * {};\n",
                        num(signal.weight),
                        render_signal(&signal.kind)
                    ))
                }
            })
            .collect()
    }

    /// A one-line human description (used in rationales).
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("{} pooling", pooling_name(&self.pooling))];
        if self.similarity == Similarity::DotProduct {
            parts.push("dot product".into());
        }
        for s in &self.signals {
            parts.push(format!("{} x{}", signal_name(&s.kind), show_weight(s.weight)));
        }
        for k in &self.sorts {
            parts.push(match k {
                SortKey::ScoreBand { bucket } => format!("sort: score band {bucket:.3}"),
                SortKey::ScorePlus { signal } => {
                    format!("sort: score + {} x{}", signal_name(&signal.kind), show_weight(signal.weight))
                }
            });
        }
        parts.join(", ")
    }
}

pub fn pooling_name(p: &Pooling) -> String {
    match p {
        Pooling::MeanVector => "mean-vector".into(),
        Pooling::MeanSimilarity => "mean-similarity".into(),
        Pooling::MaxSimilarity => "max-similarity".into(),
        Pooling::Softmax { temperature } => format!("softmax(t={temperature:.3})"),
        Pooling::TopM { m } => format!("top-{m}"),
    }
}

pub fn signal_name(k: &SignalKind) -> String {
    match k {
        SignalKind::Numeric { field, log: true, .. } => format!("log {field}"),
        SignalKind::Numeric { field, log: false, .. } => field.to_string(),
        SignalKind::Recency { field, half_life_days, .. } => format!("recency({field}, {half_life_days:.0}d)"),
        SignalKind::Breadth { field, .. } => format!("breadth({field})"),
        SignalKind::LogPopularity { field } => format!("log {field}"),
        SignalKind::MeanRating { field, .. } => field.to_string(),
        SignalKind::Year { field, .. } => field.to_string(),
    }
}

/// A recency signal needs the harness's `now`; a genome carried over from another dataset may name it
/// while the run does not pass it, so it is skipped instead of producing a null-pointer script.
fn signal_renderable(kind: &SignalKind, env: &RenderEnv) -> bool {
    !matches!(kind, SignalKind::Recency { .. }) || env.has_now
}

fn render_pooling(src: &mut String, pooling: &Pooling, rows: usize) {
    match pooling {
        Pooling::MeanVector => {}
        Pooling::MeanSimilarity => {
            let terms: Vec<String> = (0..rows).map(|r| format!("s{r}")).collect();
            let _ = writeln!(src, "double sim = ({}) / {}.0;", terms.join(" + "), rows);
        }
        Pooling::MaxSimilarity => {
            src.push_str("double sim = s0;\n");
            for r in 1..rows {
                let _ = writeln!(src, "sim = Math.max(sim, s{r});");
            }
        }
        Pooling::Softmax { temperature } => {
            src.push_str("// rows that match the item well dominate; the temperature sets how much\n");
            src.push_str("double num = 0.0;\ndouble den = 0.0;\ndouble w;\n");
            let t = num(temperature.max(0.02));
            for r in 0..rows {
                let _ = writeln!(src, "w = Math.exp(s{r} / {t});\nnum += w * s{r};\nden += w;");
            }
            src.push_str("double sim = num / den;\n");
        }
        Pooling::TopM { m } => {
            let m = (*m).clamp(1, rows);
            // Cosine is at least -1, so -2 is below every real value.
            for j in 1..=m {
                let _ = writeln!(src, "double t{j} = -2.0;");
            }
            for r in 0..rows {
                for j in 1..=m {
                    let kw = if j == 1 { "if" } else { "} else if" };
                    let _ = write!(src, "{kw} (s{r} > t{j}) {{ ");
                    for k in (j + 1..=m).rev() {
                        let _ = write!(src, "t{k} = t{}; ", k - 1);
                    }
                    let _ = write!(src, "t{j} = s{r}; ");
                }
                src.push_str("}\n");
            }
            let terms: Vec<String> = (1..=m).map(|j| format!("t{j}")).collect();
            let _ = writeln!(src, "double sim = ({}) / {}.0;", terms.join(" + "), m);
        }
    }
}

/// The Painless expression of one signal: guarded for missing values, on a scale of about one.
pub(crate) fn render_signal(kind: &SignalKind) -> String {
    let guarded = |field: &str, expr: String| format!("(doc['{field}'].size() == 0 ? 0.0 : {expr})");
    match kind {
        SignalKind::Numeric { field, log, center, scale } => {
            let x =
                if *log { format!("Math.log(1.0 + doc['{field}'].value)") } else { format!("doc['{field}'].value") };
            guarded(field, format!("({x} - {}) / {}", num(*center), num(scale.max(f64::MIN_POSITIVE))))
        }
        SignalKind::Recency { field, half_life_days, seconds_per_unit, date } => {
            let t = if *date {
                format!("doc['{field}'].value.toInstant().toEpochMilli() * {}", num(*seconds_per_unit))
            } else if *seconds_per_unit == 1.0 {
                format!("doc['{field}'].value")
            } else {
                format!("doc['{field}'].value * {}", num(*seconds_per_unit))
            };
            guarded(
                field,
                format!("Math.exp(-Math.max(0.0, params.now - {t}) / {})", num(half_life_days.max(1.0) * 86400.0)),
            )
        }
        SignalKind::Breadth { field, center, scale } => {
            if *center == 0.0 && *scale == 1.0 {
                format!("doc['{field}'].size()")
            } else {
                format!("((doc['{field}'].size() - {}) / {})", num(*center), num(scale.max(f64::MIN_POSITIVE)))
            }
        }
        SignalKind::LogPopularity { field } => guarded(field, format!("Math.log(1.0 + doc['{field}'].value)")),
        SignalKind::MeanRating { field, center } => guarded(field, format!("doc['{field}'].value - {}", num(*center))),
        SignalKind::Year { field, center } => {
            guarded(field, format!("(doc['{field}'].value - {}) / 10.0", num(*center)))
        }
    }
}

/// A Painless double literal: always with a decimal point, never in exponent form, negative values
/// parenthesised so they can follow any operator.
pub fn num(x: f64) -> String {
    let x = if x.is_finite() { x } else { 0.0 };
    let text = magnitude_text(x.abs());
    if x < 0.0 { format!("(-{text})") } else { text }
}

/// A weight for rationales and summaries: the same digits the script gets.
pub fn show_weight(x: f64) -> String {
    let text = magnitude_text(x.abs());
    if x < 0.0 { format!("-{text}") } else { text }
}

/// Four decimals, or four significant digits in exponent form below 0.001 (dot-product weights are
/// that small, and `0.0000` would silently drop the term). Both forms are Painless double literals.
fn magnitude_text(a: f64) -> String {
    if a == 0.0 || a >= 1e-3 { format!("{a:.4}") } else { format!("{a:.3e}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> RenderEnv {
        RenderEnv { vector_field: "item_vector".into(), user_rows: 3, has_now: true }
    }

    #[test]
    fn numbers_render_as_painless_doubles() {
        assert_eq!(num(1.0), "1.0000");
        assert_eq!(num(-0.25), "(-0.2500)");
        assert_eq!(num(-0.00001), "(-1.000e-5)");
        assert_eq!(num(0.000123456), "1.235e-4");
        assert_eq!(num(0.0), "0.0000");
        assert_eq!(show_weight(-0.0002), "-2.000e-4");
        assert_eq!(num(f64::NAN), "0.0000");
    }

    #[test]
    fn top_m_keeps_the_m_largest() {
        let g = Genome { pooling: Pooling::TopM { m: 2 }, ..Genome::baseline() };
        let src = g.render_query(&env());
        assert!(src.contains("if (s0 > t1) { t2 = t1; t1 = s0; } else if (s0 > t2) { t2 = s0; }"), "{src}");
        assert!(src.contains("double sim = (t1 + t2) / 2.0;"));
        assert_eq!(src.matches("cosineSimilarity(params.user_vector[").count(), 3);
    }

    #[test]
    fn every_query_ends_non_negative_and_signals_are_guarded() {
        let g = Genome {
            pooling: Pooling::Softmax { temperature: 0.1 },
            similarity: Similarity::Cosine,
            similarity_weight: 1.0,
            signals: vec![
                Signal { kind: SignalKind::LogPopularity { field: "popularity".into() }, weight: -0.2 },
                Signal {
                    kind: SignalKind::Recency {
                        field: "last_rated".into(),
                        half_life_days: 30.0,
                        seconds_per_unit: 1.0,
                        date: false,
                    },
                    weight: 0.5,
                },
            ],
            sorts: vec![SortKey::ScoreBand { bucket: 0.1 }],
        };
        let src = g.render_query(&env());
        assert!(src.trim_end().ends_with("return Math.max(0.0, score);"));
        assert!(src.contains("doc['popularity'].size() == 0 ? 0.0"));
        assert!(src.contains("score += (-0.2000) * "));
        let no_now = RenderEnv { has_now: false, ..env() };
        assert!(!g.render_query(&no_now).contains("params.now"));
        assert_eq!(
            g.render_sorts(&env()),
            vec!["// relevance band: later keys reorder items within a band\nreturn Math.floor(_score / 0.1000);\n"]
        );
    }

    #[test]
    fn genome_round_trips_through_json() {
        let g = Genome { pooling: Pooling::TopM { m: 3 }, ..Genome::baseline() };
        assert_eq!(Genome::from_json(&g.to_json()), Some(g));
    }
}
