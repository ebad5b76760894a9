//! Integer/Long/Double/Float statics: parsing with Java's grammar and messages, comparisons,
//! radix formatting, and the Java narrowing conversions behind `Number.xxxValue()` and casts.

use crate::interp::runtime::error::RuntimeError;

/// `NumberFormatException.forInputString(s, radix)` (JDK 21 wording).
fn for_input_string(s: &str, radix: u32) -> RuntimeError {
    let suffix = if radix == 10 { String::new() } else { format!(" under radix {radix}") };
    RuntimeError::new("number_format_exception", format!("For input string: \"{s}\"{suffix}"))
}

/// Java's `Character.digit` also accepts non-ASCII decimal digits (Arabic-Indic, fullwidth...);
/// the local library only knows ASCII, so such inputs are refused rather than misparsed.
fn refuse_unicode_digits(s: &str) -> Result<(), RuntimeError> {
    if s.chars().any(|c| !c.is_ascii() && c.is_numeric()) {
        return Err(RuntimeError::unsupported_locally(format!(
            "parsing non-ASCII digits in \"{s}\" is unsupported in the local subset"
        )));
    }
    Ok(())
}

/// `Long.parseLong(s, radix)` narrowed to the range `[min, max]` (shared by int and long).
fn parse_integral(s: &str, radix: u32, min: i64, max: i64) -> Result<i64, RuntimeError> {
    if !(2..=36).contains(&radix) {
        return Err(RuntimeError::new(
            "number_format_exception",
            format!(
                "radix {radix} {} Character.{}_RADIX",
                if radix < 2 { "less than" } else { "greater than" },
                if radix < 2 { "MIN" } else { "MAX" }
            ),
        ));
    }
    refuse_unicode_digits(s)?;
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        Some(_) => (false, s),
        None => return Err(for_input_string(s, radix)),
    };
    if digits.is_empty() {
        return Err(for_input_string(s, radix));
    }
    let mut acc: i128 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix).ok_or_else(|| for_input_string(s, radix))?;
        acc = acc * i128::from(radix) + i128::from(d);
        if acc > i128::from(max) + 1 {
            return Err(for_input_string(s, radix));
        }
    }
    let v = if negative { -acc } else { acc };
    if v < i128::from(min) || v > i128::from(max) {
        return Err(for_input_string(s, radix));
    }
    Ok(v as i64)
}

/// `Integer.parseInt(s)` / `Integer.valueOf(s)`.
pub fn parse_int(s: &str) -> Result<i32, RuntimeError> {
    parse_int_radix(s, 10)
}

/// `Integer.parseInt(s, radix)`.
pub fn parse_int_radix(s: &str, radix: i32) -> Result<i32, RuntimeError> {
    let radix = u32::try_from(radix).unwrap_or(0);
    parse_integral(s, radix, i64::from(i32::MIN), i64::from(i32::MAX)).map(|v| v as i32)
}

/// `Long.parseLong(s)` / `Long.valueOf(s)`.
pub fn parse_long(s: &str) -> Result<i64, RuntimeError> {
    parse_long_radix(s, 10)
}

/// `Long.parseLong(s, radix)`.
pub fn parse_long_radix(s: &str, radix: i32) -> Result<i64, RuntimeError> {
    let radix = u32::try_from(radix).unwrap_or(0);
    parse_integral(s, radix, i64::MIN, i64::MAX)
}

/// Java's `String.trim()`: strips code units ≤ U+0020 from both ends.
pub fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// The decimal part of `Double.valueOf`'s grammar, with the optional type suffix removed:
/// `Digits . Digits? Exp? | . Digits Exp? | Digits Exp?` then `[fFdD]?`.
fn java_decimal(body: &str) -> Option<&str> {
    let bytes = body.as_bytes();
    let mut end = bytes.len();
    if matches!(bytes.last(), Some(b'f' | b'F' | b'd' | b'D')) {
        end -= 1;
    }
    let core = &body[..end];
    let b = core.as_bytes();
    let mut i = 0;
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    (i == b.len()).then_some(core)
}

enum JavaFloat<'a> {
    NaN,
    Infinity(bool),
    Decimal(&'a str),
}

/// Validates `s` against `Double.valueOf`'s grammar (after Java's trim).
fn java_float_syntax(s: &str) -> Result<JavaFloat<'_>, RuntimeError> {
    let t = java_trim(s);
    if t.is_empty() {
        return Err(RuntimeError::new("number_format_exception", "empty String"));
    }
    let bad = || RuntimeError::new("number_format_exception", format!("For input string: \"{t}\""));
    let (negative, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    match body {
        "NaN" => return Ok(JavaFloat::NaN),
        "Infinity" => return Ok(JavaFloat::Infinity(negative)),
        _ => {}
    }
    if body.starts_with("0x") || body.starts_with("0X") {
        return Err(RuntimeError::unsupported_locally(format!(
            "hexadecimal floating-point strings (\"{t}\") are unsupported in the local subset"
        )));
    }
    java_decimal(body).map(|_| JavaFloat::Decimal(t)).ok_or_else(bad)
}

/// Strips the `[fFdD]` suffix Java allows; Rust's parser rejects it.
fn without_suffix(t: &str) -> &str {
    t.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(t)
}

/// `Double.parseDouble(s)` / `Double.valueOf(s)`: correctly rounded, as JDK 21 is.
pub fn parse_double(s: &str) -> Result<f64, RuntimeError> {
    match java_float_syntax(s)? {
        JavaFloat::NaN => Ok(f64::NAN),
        JavaFloat::Infinity(neg) => Ok(if neg { f64::NEG_INFINITY } else { f64::INFINITY }),
        JavaFloat::Decimal(t) => without_suffix(t)
            .parse::<f64>()
            .map_err(|_| RuntimeError::new("number_format_exception", format!("For input string: \"{t}\""))),
    }
}

/// `Float.parseFloat(s)`: rounded once, directly to float (not via double).
pub fn parse_float(s: &str) -> Result<f32, RuntimeError> {
    match java_float_syntax(s)? {
        JavaFloat::NaN => Ok(f32::NAN),
        JavaFloat::Infinity(neg) => Ok(if neg { f32::NEG_INFINITY } else { f32::INFINITY }),
        JavaFloat::Decimal(t) => without_suffix(t)
            .parse::<f32>()
            .map_err(|_| RuntimeError::new("number_format_exception", format!("For input string: \"{t}\""))),
    }
}

/// `Double.compare`: -0.0 < 0.0, NaN above +∞ and equal to itself.
pub fn double_compare(a: f64, b: f64) -> i32 {
    if a < b {
        return -1;
    }
    if a > b {
        return 1;
    }
    let canon = |x: f64| if x.is_nan() { 0x7ff8_0000_0000_0000i64 } else { x.to_bits() as i64 };
    canon(a).cmp(&canon(b)) as i32
}

/// `Float.compare`, same rule as [`double_compare`].
pub fn float_compare(a: f32, b: f32) -> i32 {
    double_compare(f64::from(a), f64::from(b))
}

/// `Integer.toString(i, radix)` / `Long.toString(l, radix)`: lowercase digits, leading '-';
/// a radix outside 2..=36 falls back to 10 as Java does.
pub fn to_string_radix(v: i64, radix: i32) -> String {
    let radix = if (2..=36).contains(&radix) { radix as u32 } else { 10 };
    if v == 0 {
        return "0".to_string();
    }
    let mut out = Vec::new();
    let mut n = i128::from(v).unsigned_abs();
    while n > 0 {
        let d = (n % u128::from(radix)) as u32;
        out.push(char::from_digit(d, radix).unwrap_or('?'));
        n /= u128::from(radix);
    }
    if v < 0 {
        out.push('-');
    }
    out.iter().rev().collect()
}

/// `Integer.toHexString` / `toOctalString` / `toBinaryString`: the unsigned 32-bit value.
pub fn int_to_unsigned_string(v: i32, shift: u32) -> String {
    match shift {
        1 => format!("{:b}", v as u32),
        3 => format!("{:o}", v as u32),
        _ => format!("{:x}", v as u32),
    }
}

/// `Long.toHexString` / `toOctalString` / `toBinaryString`.
pub fn long_to_unsigned_string(v: i64, shift: u32) -> String {
    match shift {
        1 => format!("{:b}", v as u64),
        3 => format!("{:o}", v as u64),
        _ => format!("{:x}", v as u64),
    }
}

/// Java `(int) d` / `Number.intValue()` on a double: truncation, NaN → 0, saturating.
pub fn d2i(d: f64) -> i32 {
    d as i32
}

/// Java `(long) d`.
pub fn d2l(d: f64) -> i64 {
    d as i64
}

/// Java `(byte) d` is `(byte)(int) d`: saturate to int first, then wrap (Rust's `as i8` would
/// saturate to the byte range instead).
pub fn d2b(d: f64) -> i8 {
    (d as i32) as i8
}

/// Java `(short) d` = `(short)(int) d`.
pub fn d2s(d: f64) -> i16 {
    (d as i32) as i16
}

/// Java `(char) d` = `(char)(int) d`.
pub fn d2c(d: f64) -> u16 {
    (d as i32) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: RuntimeError) -> String {
        e.message
    }

    #[test]
    fn parse_int_like_java() {
        assert_eq!(parse_int("-123").ok(), Some(-123));
        assert_eq!(parse_int("+7").ok(), Some(7));
        assert_eq!(parse_int("-2147483648").ok(), Some(i32::MIN));
        assert_eq!(message(parse_int("2147483648").unwrap_err()), "For input string: \"2147483648\"");
        assert_eq!(message(parse_int(" 5").unwrap_err()), "For input string: \" 5\"");
        assert_eq!(message(parse_int("").unwrap_err()), "For input string: \"\"");
        assert_eq!(message(parse_int("-").unwrap_err()), "For input string: \"-\"");
        assert_eq!(parse_int_radix("ff", 16).ok(), Some(255));
        assert_eq!(message(parse_int_radix("g", 16).unwrap_err()), "For input string: \"g\" under radix 16");
        assert_eq!(parse_long("9223372036854775807").ok(), Some(i64::MAX));
    }

    #[test]
    fn parse_double_like_java() {
        assert_eq!(parse_double("1e3").ok(), Some(1000.0));
        assert_eq!(parse_double(" 5 ").ok(), Some(5.0));
        assert_eq!(parse_double(".5").ok(), Some(0.5));
        assert_eq!(parse_double("5.").ok(), Some(5.0));
        assert_eq!(parse_double("1.5f").ok(), Some(1.5));
        assert_eq!(parse_double("-Infinity").ok(), Some(f64::NEG_INFINITY));
        assert!(parse_double("NaN").is_ok_and(f64::is_nan));
        assert_eq!(message(parse_double("  ").unwrap_err()), "empty String");
        assert_eq!(message(parse_double(" abc ").unwrap_err()), "For input string: \"abc\"");
        assert_eq!(message(parse_double("inf").unwrap_err()), "For input string: \"inf\"");
        assert_eq!(message(parse_double("1e").unwrap_err()), "For input string: \"1e\"");
        assert_eq!(message(parse_double(".").unwrap_err()), "For input string: \".\"");
        assert_eq!(parse_float("0.1").ok(), Some(0.1f32));
    }

    #[test]
    fn narrowing_goes_through_int() {
        assert_eq!(d2b(300.7), 44);
        assert_eq!(d2b(1e10), -1);
        assert_eq!(d2c(-1.0), 65535);
        assert_eq!(d2i(f64::NAN), 0);
        assert_eq!(d2l(-1e300), i64::MIN);
    }

    #[test]
    fn compare_and_radix() {
        assert_eq!(double_compare(-0.0, 0.0), -1);
        assert_eq!(double_compare(f64::NAN, f64::INFINITY), 1);
        assert_eq!(double_compare(f64::NAN, f64::NAN), 0);
        assert_eq!(to_string_radix(-255, 16), "-ff");
        assert_eq!(to_string_radix(i64::MIN, 2).len(), 65);
        assert_eq!(int_to_unsigned_string(-1, 4), "ffffffff");
    }
}
