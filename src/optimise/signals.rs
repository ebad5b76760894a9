//! The built-in optimiser's item signals, derived from the store's schema and the field statistics
//! import recorded (`store::FieldStats`), never from field names: a catalogue whose fields are called
//! `price`, `stock` and `launched_at` gets the same treatment as MovieLens's `popularity`, `year` and
//! `last_rated`, and renaming every attribute changes nothing but the names in the scripts. The rules
//! are in `docs/signals.md`:
//!
//! - a single-valued `date` field, or a numeric field that reads as a timestamp
//!   (`FieldStats::epoch_unit`), becomes a recency decay against `params.now` when the harness passes
//!   it, its time constant the age of the median item relative to the newest one (a date field is read
//!   through its `ZonedDateTime` doc value);
//! - any other single-valued numeric field becomes `(x - median) / spread`, with `x = ln(1 + value)`
//!   when the values are non-negative with a heavy right tail (skewness of at least 2), the spread
//!   being the interquartile range over 1.349 (a standard deviation for normal data), or the 5-95 %
//!   range over 3.29, or the standard deviation, whichever is first non-zero; a constant is skipped;
//! - a multi-valued field (keyword or numeric) becomes a breadth signal, its value count standardised
//!   the same way by the count's mean and standard deviation.
//!
//! `--hint` is read for field names to favour or avoid (`read_hint`); anything else in it is ignored.

use super::genome::SignalKind;
use super::proposer::FieldInfo;

/// Skewness from which a non-negative field is taken on a log scale (counts, prices, views).
const HEAVY_TAIL_SKEWNESS: f64 = 2.0;
/// Bounds of a recency signal's time constant, in days (those of its mutation).
pub const RECENCY_DAYS: (f64, f64) = (7.0, 3650.0);

/// The signals the store's fields can feed, in schema order. `has_now`: the harness passes
/// `params.now`, so timestamps can decay against it (otherwise they are plain numeric signals).
pub fn derive_signals(fields: &[FieldInfo], has_now: bool) -> Vec<SignalKind> {
    fields.iter().filter_map(|f| signal_of(f, has_now)).collect()
}

fn signal_of(f: &FieldInfo, has_now: bool) -> Option<SignalKind> {
    let stats = f.stats.as_ref()?;
    let field = f.name.clone();
    if f.multi_valued {
        let scale = stats.values_per_item_sd;
        return (scale > 0.0).then_some(SignalKind::Breadth { field, center: stats.values_per_item_mean, scale });
    }
    let date = f.kind == "date";
    if f.kind != "long" && f.kind != "double" && !date {
        return None;
    }
    let n = stats.numeric.as_ref()?;
    if n.min == n.max {
        return None;
    }
    let seconds_per_unit = if date { Some(0.001) } else { stats.epoch_unit().map(|u| u.seconds()) };
    if has_now && let Some(seconds_per_unit) = seconds_per_unit {
        let days = (n.max - n.p50) * seconds_per_unit / 86_400.0;
        return Some(SignalKind::Recency {
            field,
            half_life_days: days.clamp(RECENCY_DAYS.0, RECENCY_DAYS.1),
            seconds_per_unit,
            date,
        });
    }
    if date {
        // Without the harness's `now` there is nothing to measure a date's age against.
        return None;
    }
    let log = n.min >= 0.0 && n.skewness >= HEAVY_TAIL_SKEWNESS;
    let t = |x: f64| if log { x.ln_1p() } else { x };
    let scale = robust_spread(t(n.p25), t(n.p75), t(n.p05), t(n.p95), if log { 0.0 } else { n.sd })?;
    Some(SignalKind::Numeric { field, log, center: t(n.p50), scale })
}

/// A standard-deviation-like spread from quantiles (so one outlier does not set the scale).
fn robust_spread(p25: f64, p75: f64, p05: f64, p95: f64, sd: f64) -> Option<f64> {
    [(p75 - p25) / 1.349, (p95 - p05) / 3.29, sd].into_iter().find(|s| s.is_finite() && *s > 0.0)
}

/// What `--hint` says about fields: names to favour and names to avoid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HintFields {
    pub favour: Vec<String>,
    pub avoid: Vec<String>,
}

impl HintFields {
    pub fn is_empty(&self) -> bool {
        self.favour.is_empty() && self.avoid.is_empty()
    }

    /// Whether the hint asks to favour the field `name`.
    pub fn favours(&self, name: &str) -> bool {
        self.favour.iter().any(|f| f == name)
    }
}

/// What a network-free proposer makes of `--hint`, as one `note:` line: the built-in optimiser names
/// the fields it favours and avoids, or says that it ignores free text; the control arms ignore hints.
pub fn hint_note(provider: &str, hint: &str, fields: &[FieldInfo]) -> String {
    if provider != "builtin" {
        return format!("note: the {provider} control arm ignores --hint");
    }
    let read = read_hint(hint, fields);
    if read.is_empty() {
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        return format!(
            "note: the built-in optimiser ignores free-text hints: --hint names no field of the store to favour or \
             avoid (fields: {}; e.g. --hint \"favour {}, avoid {}\")",
            names.join(", "),
            names.first().unwrap_or(&"F"),
            names.get(1).unwrap_or(&"G")
        );
    }
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    format!(
        "note: --hint: the built-in optimiser favours {} and avoids {} (other words are ignored)",
        list(&read.favour),
        list(&read.avoid)
    )
}

const AVOID_WORDS: &[&str] = &[
    "avoid",
    "not",
    "no",
    "without",
    "ignore",
    "drop",
    "exclude",
    "penalise",
    "penalize",
    "less",
    "against",
    "never",
    "don't",
    "dont",
    "skip",
    "remove",
    "downweight",
    "down-weight",
];
const FAVOUR_WORDS: &[&str] =
    &["favour", "favor", "prefer", "boost", "use", "more", "emphasise", "emphasize", "reward", "add", "try", "with"];

/// The fields `hint` names, each favoured unless an avoiding word (`avoid`, `not`, `without`, ...)
/// comes before it in its clause (clauses end at `,`, `;`, `.` and `but`). Names match whole words,
/// case-insensitively. Free text that names no field gives nothing.
pub fn read_hint(hint: &str, fields: &[FieldInfo]) -> HintFields {
    let mut out = HintFields::default();
    for clause in hint.split([',', ';', '.', '\n']) {
        let (mut avoiding, mut after_avoid_word) = (false, false);
        for word in clause.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ':' | '"' | '`' | '!' | '?')) {
            let w = word.trim_matches('\'').to_lowercase();
            if w.is_empty() {
                continue;
            }
            let avoid_word = AVOID_WORDS.contains(&w.as_str());
            if w == "but" || w == "while" || w == "whereas" {
                avoiding = false;
            } else if avoid_word {
                avoiding = true;
            } else if FAVOUR_WORDS.contains(&w.as_str()) && !after_avoid_word {
                // "don't use x" stays avoiding; "avoid x and favour y" turns back.
                avoiding = false;
            } else if let Some(f) = fields.iter().find(|f| f.name.to_lowercase() == w) {
                let list = if avoiding { &mut out.avoid } else { &mut out.favour };
                if !list.contains(&f.name) {
                    list.push(f.name.clone());
                }
            }
            after_avoid_word = avoid_word;
        }
    }
    out.favour.retain(|f| !out.avoid.contains(f));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FieldStats, NumericStats};

    fn numeric_field(name: &str, kind: &str, n: NumericStats, distinct: u64) -> FieldInfo {
        FieldInfo {
            name: name.into(),
            kind: kind.into(),
            multi_valued: false,
            may_be_missing: false,
            examples: vec![],
            stats: Some(FieldStats {
                name: name.into(),
                items_with_value: 100,
                values_per_item_mean: 1.0,
                values_per_item_sd: 0.0,
                values_per_item_max: 1,
                distinct_values: distinct,
                numeric: Some(n),
            }),
        }
    }

    fn dist(min: f64, q: [f64; 7], max: f64, sd: f64, skewness: f64, integral: bool) -> NumericStats {
        let [p01, p05, p25, p50, p75, p95, p99] = q;
        NumericStats { min, max, mean: p50, sd, skewness, p01, p05, p25, p50, p75, p95, p99, integral }
    }

    fn fields() -> Vec<FieldInfo> {
        let counts = dist(0.0, [1.0, 1.0, 2.0, 5.0, 20.0, 120.0, 300.0], 900.0, 60.0, 6.0, true);
        let rating = dist(0.5, [1.5, 2.0, 3.0, 3.5, 4.0, 4.5, 5.0], 5.0, 0.8, -0.7, false);
        let stamp = dist(9.0e8, [9.1e8, 9.5e8, 1.2e9, 1.3e9, 1.4e9, 1.45e9, 1.47e9], 1.476e9, 1.5e8, -0.5, true);
        let mut tags = numeric_field("tags", "keyword", counts.clone(), 20);
        tags.multi_valued = true;
        if let Some(s) = tags.stats.as_mut() {
            s.numeric = None;
            s.values_per_item_mean = 2.5;
            s.values_per_item_sd = 1.2;
        }
        vec![
            numeric_field("stock", "long", counts, 400),
            numeric_field("score", "double", rating, 9),
            numeric_field("launched_at", "long", stamp, 5000),
            tags,
            FieldInfo { stats: None, ..numeric_field("brand", "keyword", dist(0.0, [0.0; 7], 0.0, 0.0, 0.0, true), 3) },
        ]
    }

    #[test]
    fn transforms_follow_the_distribution() {
        let s = derive_signals(&fields(), true);
        assert_eq!(s.len(), 4, "{s:?}");
        assert_eq!(
            s[0],
            SignalKind::Numeric {
                field: "stock".into(),
                log: true,
                center: 5f64.ln_1p(),
                scale: (20f64.ln_1p() - 2f64.ln_1p()) / 1.349
            }
        );
        assert_eq!(s[1], SignalKind::Numeric { field: "score".into(), log: false, center: 3.5, scale: 1.0 / 1.349 });
        let SignalKind::Recency { half_life_days, seconds_per_unit, .. } = &s[2] else { panic!("{:?}", s[2]) };
        assert!((half_life_days - (1.476e9 - 1.3e9) / 86_400.0).abs() < 1e-9);
        assert_eq!(*seconds_per_unit, 1.0);
        assert_eq!(s[3], SignalKind::Breadth { field: "tags".into(), center: 2.5, scale: 1.2 });
        // Without the harness's `now` a timestamp is an ordinary numeric field.
        assert!(matches!(&derive_signals(&fields(), false)[2], SignalKind::Numeric { log: false, .. }));
    }

    #[test]
    fn a_date_field_is_a_recency_signal_read_through_its_date_value() {
        let millis =
            dist(9.0e11, [9.1e11, 9.5e11, 1.2e12, 1.3e12, 1.4e12, 1.45e12, 1.47e12], 1.476e12, 1.5e11, -0.5, true);
        let launched = numeric_field("launched", "date", millis, 5000);
        let s = derive_signals(std::slice::from_ref(&launched), true);
        let [SignalKind::Recency { field, half_life_days, seconds_per_unit, date }] = s.as_slice() else {
            panic!("{s:?}")
        };
        assert_eq!((field.as_str(), *seconds_per_unit, *date), ("launched", 0.001, true));
        assert!((half_life_days - (1.476e12 - 1.3e12) * 0.001 / 86_400.0).abs() < 1e-9);
        let rendered = crate::optimise::genome::render_signal(&s[0]);
        assert!(rendered.contains("doc['launched'].value.toInstant().toEpochMilli() * 0.001"), "{rendered}");
        // A date has no numeric reading without the harness's `now`.
        assert!(derive_signals(&[launched], false).is_empty());
    }

    #[test]
    fn constants_and_fields_without_statistics_give_no_signal() {
        let flat = dist(3.0, [3.0; 7], 3.0, 0.0, 0.0, true);
        assert!(derive_signals(&[numeric_field("c", "long", flat, 1)], true).is_empty());
        assert!(derive_signals(&fields()[4..], true).is_empty());
    }

    #[test]
    fn a_degenerate_interquartile_range_falls_back_to_wider_quantiles() {
        let spiky = dist(0.0, [0.0, 0.0, 1.0, 1.0, 1.0, 4.29, 9.0], 10.0, 1.5, 1.0, true);
        let s = derive_signals(&[numeric_field("x", "long", spiky, 10)], true);
        assert_eq!(s, vec![SignalKind::Numeric { field: "x".into(), log: false, center: 1.0, scale: 4.29 / 3.29 }]);
    }

    #[test]
    fn hints_name_fields_to_favour_or_avoid() {
        let f = fields();
        let h = read_hint("favour Stock, avoid score and launched_at; but more tags", &f);
        assert_eq!(h.favour, ["stock", "tags"]);
        assert_eq!(h.avoid, ["score", "launched_at"]);
        assert!(h.favours("stock") && !h.favours("score"));
        assert_eq!(read_hint("don't use score", &f).avoid, ["score"]);
        assert_eq!(
            read_hint("avoid score and favour stock", &f),
            HintFields { favour: vec!["stock".into()], avoid: vec!["score".into()] }
        );
        assert_eq!(read_hint("not score", &f).avoid, ["score"]);
        assert!(read_hint("favour recent films", &f).is_empty());
    }

    #[test]
    fn the_hint_note_says_what_was_understood() {
        let f = fields();
        assert_eq!(
            hint_note("builtin", "favour stock, not score", &f),
            "note: --hint: the built-in optimiser favours stock and avoids score (other words are ignored)"
        );
        let ignored = hint_note("builtin", "favour recent films", &f);
        assert!(ignored.starts_with("note: the built-in optimiser ignores free-text hints"), "{ignored}");
        assert!(ignored.contains("fields: stock, score, launched_at, tags, brand"), "{ignored}");
        assert_eq!(hint_note("random", "favour stock", &f), "note: the random control arm ignores --hint");
    }
}
