//! The vector dialect follows the engine. Script sets are written for Elasticsearch 8.13
//! (`cosineSimilarity(params.q, 'vector')`, field given by name); the OpenSearch k-NN plugin spells the
//! same functions differently (`cosineSimilarity(params.q, doc['vector'])`, `innerProduct`, `l1Norm`,
//! `l2Squared`; `doc['v'].value` is the float[]). This module rewrites only those calls, by scanning the
//! source (string literals and comments skipped), and keeps an edit list so that an engine error position
//! in the rewritten text maps back to the script the user wrote.

use super::error::EngineError;
use super::transport::Flavor;

/// A script as sent to one engine, with the edits that produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rewritten {
    /// The text sent to the engine.
    pub source: String,
    /// The text the user wrote.
    pub original: String,
    /// (start, end) in the rewritten text → (start, end) in the original, ascending, non-overlapping.
    edits: Vec<Edit>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Edit {
    new_start: usize,
    new_end: usize,
    old_start: usize,
    old_end: usize,
}

impl Rewritten {
    pub fn unchanged(source: &str) -> Rewritten {
        Rewritten { source: source.to_string(), original: source.to_string(), edits: Vec::new() }
    }

    pub fn is_unchanged(&self) -> bool {
        self.edits.is_empty()
    }

    /// Maps a byte offset in the rewritten source back to the original source. Offsets inside a
    /// rewritten call map to the start of the original call.
    pub fn to_original(&self, offset: usize) -> usize {
        let mut delta: isize = 0;
        for edit in &self.edits {
            if offset < edit.new_start {
                break;
            }
            if offset < edit.new_end {
                return edit.old_start;
            }
            delta = edit.old_end as isize - edit.new_end as isize;
        }
        ((offset as isize + delta).max(0) as usize).min(self.original.len())
    }
}

/// Rewrites an Elasticsearch-8.13-dialect script for `flavor`. Elasticsearch: unchanged.
/// `script_name` only labels errors ("query", "sort_01").
pub fn for_engine(source: &str, flavor: Flavor, script_name: &str) -> Result<Rewritten, EngineError> {
    match flavor {
        Flavor::Elasticsearch => Ok(Rewritten::unchanged(source)),
        Flavor::OpenSearch => to_opensearch(source, script_name),
    }
}

/// ES 8.13 name → (OpenSearch k-NN name, wrap the call in Math.sqrt).
fn opensearch_function(name: &str) -> Option<(&'static str, bool)> {
    match name {
        "cosineSimilarity" => Some(("cosineSimilarity", false)),
        "dotProduct" => Some(("innerProduct", false)),
        "l1norm" => Some(("l1Norm", false)),
        // ES: Math.sqrt(float squared distance); k-NN only offers the squared distance.
        "l2norm" => Some(("l2Squared", true)),
        _ => None,
    }
}

fn to_opensearch(source: &str, script_name: &str) -> Result<Rewritten, EngineError> {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len() + 32);
    let mut edits = Vec::new();
    let mut copied_to = 0;
    let mut i = 0;
    let dialect_error = |construct: &str, offset: usize| EngineError::Dialect {
        engine: "OpenSearch (k-NN plugin)".into(),
        construct: construct.into(),
        offset,
        script: script_name.into(),
    };
    while i < bytes.len() {
        if let Some(next) = skip_trivia_or_literal(bytes, i) {
            i = next;
            continue;
        }
        if !is_ident_start(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_ident_part(bytes[i]) {
            i += 1;
        }
        let ident = &source[start..i];
        let after_dot = prev_significant(bytes, start) == Some(b'.');
        if after_dot && ident == "magnitude" && prev_significant(bytes, start - 1) == Some(b']') {
            return Err(dialect_error("doc[...].magnitude (no k-NN equivalent)", start));
        }
        let replacement = if after_dot && ident == "vectorValue" {
            Some((start, i, "value".to_string()))
        } else if !after_dot {
            match (opensearch_function(ident), next_significant(bytes, i)) {
                (Some((os_name, sqrt)), Some((open, b'('))) => {
                    let args = split_call_args(bytes, open).ok_or_else(|| dialect_error(ident, start))?;
                    if args.parts.len() != 2 {
                        return Err(dialect_error(&format!("{ident} with {} arguments", args.parts.len()), start));
                    }
                    let (a0, a1) = (args.parts[0], args.parts[1]);
                    let query = source[a0.0..a0.1].trim();
                    let field_literal = source[a1.0..a1.1].trim();
                    let Some(field) = string_literal_body(field_literal) else {
                        return Err(dialect_error(&format!("{ident} with a non-literal field name"), a1.0));
                    };
                    let call = format!("{os_name}({query}, doc['{field}'])");
                    let text = if sqrt { format!("Math.sqrt({call})") } else { call };
                    Some((start, args.close + 1, text))
                }
                _ => None,
            }
        } else {
            None
        };
        if let Some((old_start, old_end, text)) = replacement {
            out.push_str(&source[copied_to..old_start]);
            let new_start = out.len();
            out.push_str(&text);
            edits.push(Edit { new_start, new_end: out.len(), old_start, old_end });
            copied_to = old_end;
            i = old_end;
        }
    }
    out.push_str(&source[copied_to..]);
    Ok(Rewritten { source: out, original: source.to_string(), edits })
}

struct CallArgs {
    parts: Vec<(usize, usize)>,
    close: usize,
}

/// `open` is the index of `(`; returns the top-level argument ranges and the index of the matching `)`.
fn split_call_args(bytes: &[u8], open: usize) -> Option<CallArgs> {
    let mut depth = 0usize;
    let mut parts = Vec::new();
    let mut part_start = open + 1;
    let mut i = open;
    while i < bytes.len() {
        if i > open
            && let Some(next) = skip_trivia_or_literal(bytes, i)
        {
            i = next;
            continue;
        }
        match bytes[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    if bytes[part_start..i].iter().any(|b| !b.is_ascii_whitespace()) || !parts.is_empty() {
                        parts.push((part_start, i));
                    }
                    return Some(CallArgs { parts, close: i });
                }
            }
            b',' if depth == 1 => {
                parts.push((part_start, i));
                part_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// At a comment or string literal starting at `i`: the index just past it. Otherwise None.
fn skip_trivia_or_literal(bytes: &[u8], i: usize) -> Option<usize> {
    match (bytes[i], bytes.get(i + 1)) {
        (b'/', Some(b'/')) => Some(bytes[i..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| i + p + 1)),
        (b'/', Some(b'*')) => {
            Some(bytes[i + 2..].windows(2).position(|w| w == b"*/").map_or(bytes.len(), |p| i + 2 + p + 2))
        }
        (quote @ (b'\'' | b'"'), _) => {
            let mut j = i + 1;
            while j < bytes.len() {
                match bytes[j] {
                    b'\\' => j += 2,
                    b if b == quote => return Some(j + 1),
                    _ => j += 1,
                }
            }
            Some(bytes.len())
        }
        _ => None,
    }
}

fn string_literal_body(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    if bytes.len() >= 2 && (bytes[0] == b'\'' || bytes[0] == b'"') && bytes[bytes.len() - 1] == bytes[0] {
        let body = &text[1..text.len() - 1];
        if !body.contains(['\\', '\'', '"']) {
            return Some(body);
        }
    }
    None
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_part(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn prev_significant(bytes: &[u8], before: usize) -> Option<u8> {
    bytes[..before].iter().rev().copied().find(|b| !b.is_ascii_whitespace())
}

fn next_significant(bytes: &[u8], from: usize) -> Option<(usize, u8)> {
    bytes[from..].iter().position(|b| !b.is_ascii_whitespace()).map(|p| (from + p, bytes[from + p]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(source: &str) -> String {
        for_engine(source, Flavor::OpenSearch, "query").expect("rewritable").source
    }

    #[test]
    fn elasticsearch_scripts_are_untouched() {
        let src = "cosineSimilarity(params.user_vector, 'vector') + 1.0";
        let out = for_engine(src, Flavor::Elasticsearch, "query").expect("identity");
        assert!(out.is_unchanged());
        assert_eq!(out.source, src);
    }

    #[test]
    fn rewrites_the_four_vector_functions() {
        assert_eq!(
            os("cosineSimilarity(params.user_vector, 'vector') + 1.0"),
            "cosineSimilarity(params.user_vector, doc['vector']) + 1.0"
        );
        assert_eq!(os("dotProduct(params.q, \"emb\")"), "innerProduct(params.q, doc['emb'])");
        assert_eq!(os("l1norm(params.q,'v')"), "l1Norm(params.q, doc['v'])");
        assert_eq!(os("1 / (1 + l2norm(params.q, 'v'))"), "1 / (1 + Math.sqrt(l2Squared(params.q, doc['v'])))");
    }

    #[test]
    fn nested_arguments_and_vector_value() {
        assert_eq!(
            os("double s = dotProduct(params.get('q'), 'v'); float[] x = doc['v'].vectorValue; return s + x[0];"),
            "double s = innerProduct(params.get('q'), doc['v']); float[] x = doc['v'].value; return s + x[0];"
        );
    }

    #[test]
    fn strings_and_comments_are_not_rewritten() {
        let src =
            "// dotProduct(params.q, 'v')\nString s = 'cosineSimilarity(a, \\'b\\')'; /* l2norm(x,'v') */ return 1;";
        assert_eq!(os(src), src);
    }

    #[test]
    fn maps_error_offsets_back_to_the_original() {
        let src = "double a = dotProduct(params.q, 'v'); return a + x;";
        let out = for_engine(src, Flavor::OpenSearch, "query").expect("rewritable");
        let x_new = out.source.find("x;").expect("x present");
        let x_old = src.find("x;").expect("x present");
        assert_eq!(out.to_original(x_new), x_old);
        // Before the edit: unchanged; inside it: the call's start.
        assert_eq!(out.to_original(3), 3);
        assert_eq!(out.to_original(out.source.find("doc[").expect("rewritten")), src.find("dotProduct").expect("call"));
    }

    #[test]
    fn refuses_what_k_nn_cannot_express() {
        assert!(matches!(
            for_engine("doc['v'].magnitude", Flavor::OpenSearch, "query"),
            Err(EngineError::Dialect { .. })
        ));
        assert!(matches!(
            for_engine("cosineSimilarity(params.q, params.field)", Flavor::OpenSearch, "query"),
            Err(EngineError::Dialect { .. })
        ));
    }
}
