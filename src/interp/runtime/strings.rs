//! `java.lang.String` methods with Java's UTF-16 semantics over Rust's UTF-8 strings.
//!
//! Java indexes strings in UTF-16 code units, so `length()`, `charAt`, `substring` and
//! `indexOf` all count units, not bytes or code points. ASCII strings (the common case) take a
//! fast path where both agree. A result that would split a surrogate pair (a lone surrogate has
//! no `String` form in Rust) is refused as unsupported rather than mangled.
//! Exception messages are JDK 21's (`Index 5 out of bounds for length 3`,
//! `Range [0, 5) out of bounds for length 3`); JDK 17 words them differently.

use super::hashmap::string_hash_code;
use crate::interp::runtime::error::RuntimeError;

const SIOOBE: &str = "string_index_out_of_bounds_exception";

/// `length()`: UTF-16 code units.
pub fn length(s: &str) -> i32 {
    if s.is_ascii() { s.len() as i32 } else { s.encode_utf16().count() as i32 }
}

/// `charAt(i)`: one UTF-16 code unit.
pub fn char_at(s: &str, index: i32) -> Result<u16, RuntimeError> {
    let len = length(s);
    if index < 0 || index >= len {
        return Err(RuntimeError::new(SIOOBE, format!("Index {index} out of bounds for length {len}")));
    }
    if s.is_ascii() {
        return Ok(u16::from(s.as_bytes()[index as usize]));
    }
    Ok(s.encode_utf16().nth(index as usize).unwrap_or(0))
}

/// Byte offset of UTF-16 index `unit` (which must lie on a code point boundary).
fn byte_offset(s: &str, unit: usize) -> Result<usize, RuntimeError> {
    if s.is_ascii() {
        return Ok(unit);
    }
    let mut units = 0;
    for (byte, c) in s.char_indices() {
        if units == unit {
            return Ok(byte);
        }
        units += c.len_utf16();
        if units > unit {
            return Err(RuntimeError::unsupported_locally(
                "a string index inside a surrogate pair (the result would hold a lone surrogate) is unsupported in the local subset",
            ));
        }
    }
    Ok(s.len())
}

/// `substring(begin)` / `substring(begin, end)`.
pub fn substring(s: &str, begin: i32, end: Option<i32>) -> Result<String, RuntimeError> {
    let len = length(s);
    let end = end.unwrap_or(len);
    if begin < 0 || begin > end || end > len {
        return Err(RuntimeError::new(SIOOBE, format!("Range [{begin}, {end}) out of bounds for length {len}")));
    }
    let b = byte_offset(s, begin as usize)?;
    let e = byte_offset(s, end as usize)?;
    Ok(s[b..e].to_string())
}

/// UTF-16 index of byte offset `byte` (a char boundary).
fn unit_index(s: &str, byte: usize) -> i32 {
    if s.is_ascii() { byte as i32 } else { s[..byte].encode_utf16().count() as i32 }
}

/// `indexOf(String str, int fromIndex)` (`from` = 0 for the one-argument form).
pub fn index_of(s: &str, needle: &str, from: i32) -> Result<i32, RuntimeError> {
    let len = length(s);
    let from = from.max(0);
    if from >= len {
        return Ok(if needle.is_empty() { len } else { -1 });
    }
    let start = byte_offset(s, from as usize)?;
    Ok(s[start..].find(needle).map_or(-1, |i| unit_index(s, start + i)))
}

/// `lastIndexOf(String str, int fromIndex)` (`from` = length for the one-argument form).
pub fn last_index_of(s: &str, needle: &str, from: i32) -> Result<i32, RuntimeError> {
    let len = length(s);
    let needle_len = length(needle);
    // Java: the match must start at or before min(fromIndex, len - needle_len).
    let right = (len - needle_len).min(from);
    if right < 0 {
        return Ok(-1);
    }
    let limit = byte_offset(s, right as usize)? + needle.len();
    Ok(s[..limit.min(s.len())].rfind(needle).map_or(-1, |i| unit_index(s, i)))
}

/// `indexOf(int ch, int fromIndex)`: `ch` is a code point (a `char` argument widens to int).
pub fn index_of_char(s: &str, ch: i32, from: i32) -> Result<i32, RuntimeError> {
    match u32::try_from(ch).ok().and_then(char::from_u32) {
        Some(c) => index_of(s, c.encode_utf8(&mut [0; 4]), from),
        None => Err(RuntimeError::unsupported_locally(
            "searching for a surrogate code unit is unsupported in the local subset",
        )),
    }
}

/// `lastIndexOf(int ch, int fromIndex)`.
pub fn last_index_of_char(s: &str, ch: i32, from: i32) -> Result<i32, RuntimeError> {
    match u32::try_from(ch).ok().and_then(char::from_u32) {
        Some(c) => last_index_of(s, c.encode_utf8(&mut [0; 4]), from),
        None => Err(RuntimeError::unsupported_locally(
            "searching for a surrogate code unit is unsupported in the local subset",
        )),
    }
}

/// `startsWith(prefix, toffset)`.
pub fn starts_with_at(s: &str, prefix: &str, offset: i32) -> bool {
    if offset < 0 || offset > length(s) {
        return false;
    }
    match byte_offset(s, offset as usize) {
        Ok(b) => s[b..].starts_with(prefix),
        // Inside a surrogate pair: the prefix would have to start with a low surrogate, which a
        // valid Rust string cannot hold.
        Err(_) => false,
    }
}

/// `compareTo`: the difference of the first differing UTF-16 units, else of the lengths.
pub fn compare_to(a: &str, b: &str) -> i32 {
    let mut ua = a.encode_utf16();
    let mut ub = b.encode_utf16();
    loop {
        match (ua.next(), ub.next()) {
            (Some(x), Some(y)) if x != y => return i32::from(x) - i32::from(y),
            (Some(_), Some(_)) => {}
            _ => return length(a) - length(b),
        }
    }
}

/// Java's `Character.toUpperCase(char)` then `toLowerCase`, per code unit, as `equalsIgnoreCase`
/// and `compareToIgnoreCase` use them (a one-to-one mapping; multi-char expansions don't apply).
fn fold_unit(u: u16) -> u16 {
    let Some(c) = char::from_u32(u32::from(u)) else { return u };
    let mut up = c.to_uppercase();
    let upper = match (up.next(), up.next()) {
        (Some(x), None) => x,
        _ => c,
    };
    let mut low = upper.to_lowercase();
    let lower = match (low.next(), low.next()) {
        (Some(x), None) => x,
        _ => upper,
    };
    u16::try_from(u32::from(lower)).unwrap_or(u)
}

/// `equalsIgnoreCase`.
pub fn equals_ignore_case(a: &str, b: &str) -> bool {
    length(a) == length(b)
        && a.encode_utf16().zip(b.encode_utf16()).all(|(x, y)| x == y || fold_unit(x) == fold_unit(y))
}

/// `compareToIgnoreCase`.
pub fn compare_to_ignore_case(a: &str, b: &str) -> i32 {
    for (x, y) in a.encode_utf16().zip(b.encode_utf16()) {
        if x != y {
            let (fx, fy) = (fold_unit(x), fold_unit(y));
            if fx != fy {
                return i32::from(fx) - i32::from(fy);
            }
        }
    }
    length(a) - length(b)
}

/// `toLowerCase()` in Painless is `toLowerCase(Locale.ROOT)`-equivalent for the stores we read
/// (ES runs with the root locale); full Unicode mappings incl. final sigma.
pub fn to_lower_case(s: &str) -> String {
    s.to_lowercase()
}

pub fn to_upper_case(s: &str) -> String {
    s.to_uppercase()
}

/// `trim()`: strips code units ≤ U+0020.
pub fn trim(s: &str) -> &str {
    super::numbers::java_trim(s)
}

/// `replace(CharSequence target, CharSequence replacement)`; an empty target inserts the
/// replacement around every UTF-16 unit, as Java does.
pub fn replace(s: &str, target: &str, replacement: &str) -> Result<String, RuntimeError> {
    if !target.is_empty() {
        return Ok(s.replace(target, replacement));
    }
    if s.chars().any(|c| c.len_utf16() > 1) {
        return Err(RuntimeError::unsupported_locally(
            "replace(\"\", ...) on a string with supplementary characters is unsupported in the local subset",
        ));
    }
    let mut out = String::with_capacity(s.len() + replacement.len() * (s.len() + 1));
    out.push_str(replacement);
    for c in s.chars() {
        out.push(c);
        out.push_str(replacement);
    }
    Ok(out)
}

/// `repeat(count)`.
pub fn repeat(s: &str, count: i32) -> Result<String, RuntimeError> {
    if count < 0 {
        return Err(RuntimeError::new("illegal_argument_exception", format!("count is negative: {count}")));
    }
    Ok(s.repeat(count as usize))
}

/// `hashCode()`.
pub fn hash_code(s: &str) -> i32 {
    string_hash_code(s)
}

/// Painless's `String.splitOnToken(token[, limit])` augmentation: a plain-text split that keeps
/// empty pieces (trailing ones too); `limit > 0` caps the number of pieces.
pub fn split_on_token(s: &str, token: &str, limit: i32) -> Result<Vec<String>, RuntimeError> {
    if token.is_empty() {
        return Err(RuntimeError::new("illegal_argument_exception", "Cannot split on a null or empty token."));
    }
    if limit == 1 {
        return Ok(vec![s.to_string()]);
    }
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(pos) = rest.find(token) {
        out.push(rest[..pos].to_string());
        rest = &rest[pos + token.len()..];
        if limit > 0 && out.len() as i32 == limit - 1 {
            break;
        }
    }
    out.push(rest.to_string());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_indices() {
        let s = "a😀b";
        assert_eq!(length(s), 4);
        assert_eq!(char_at(s, 1).ok(), Some(0xD83D));
        assert_eq!(substring(s, 1, Some(3)).ok().as_deref(), Some("😀"));
        assert!(matches!(
            substring(s, 2, None),
            Err(RuntimeError { kind: crate::interp::runtime::error::RuntimeErrorKind::UnsupportedLocally, .. })
        ));
        assert_eq!(index_of(s, "b", 0).ok(), Some(3));
        assert_eq!(last_index_of(s, "a", 10).ok(), Some(0));
        assert_eq!(compare_to("a", "😀"), 0x61 - 0xD83D);
    }

    #[test]
    fn bounds_messages_are_jdk21() {
        let e = char_at("abc", 5).unwrap_err();
        assert_eq!(e, RuntimeError::new(SIOOBE, "Index 5 out of bounds for length 3"));
        let e = substring("abc", 0, Some(5)).unwrap_err();
        assert_eq!(e, RuntimeError::new(SIOOBE, "Range [0, 5) out of bounds for length 3"));
    }

    #[test]
    fn index_of_edges() {
        assert_eq!(index_of("abc", "", 10).ok(), Some(3));
        assert_eq!(index_of("abcabc", "c", -4).ok(), Some(2));
        assert_eq!(last_index_of("abcabc", "c", 4).ok(), Some(2));
        assert_eq!(last_index_of("abcabc", "", 100).ok(), Some(6));
        assert_eq!(last_index_of("abc", "abcd", 10).ok(), Some(-1));
    }

    #[test]
    fn split_keeps_empty_pieces() {
        assert_eq!(
            split_on_token("a,b,,c,", ",", -1).ok(),
            Some(vec!["a".into(), "b".into(), "".into(), "c".into(), "".into()])
        );
        assert_eq!(split_on_token("a,b,c", ",", 2).ok(), Some(vec!["a".into(), "b,c".into()]));
    }
}
