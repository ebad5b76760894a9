//! Java's number → string conversions, as JDK 21 (bundled with Elasticsearch 8.13) prints them.
//!
//! `Double.toString`/`Float.toString` follow the JDK 19+ specification (Raffaello Giulietti's
//! algorithm): among the decimals that round to the value, take the shortest (but consider
//! two-digit decimals too when one digit suffices) and of those the one closest to the value.
//! Rust's shortest round-trip formatting yields the shortest, closest digits; the only case it
//! differs is the one-digit case (`Double.MIN_VALUE` is `4.9E-324` in Java, `5e-324` in Rust),
//! which `java_digits` repairs with Rust's exact two-significant-digit formatting.

/// `Double.toString(v)` / `String.valueOf(double)`.
pub fn double_to_string(v: f64) -> String {
    java_to_string(v)
}

/// `Float.toString(v)` / `String.valueOf(float)`.
pub fn float_to_string(v: f32) -> String {
    java_to_string(v)
}

/// What the shared formatting needs from `f32` and `f64`.
trait JavaFloat: Copy + PartialEq + PartialOrd + std::fmt::LowerExp + std::str::FromStr + Default {
    /// Digits after the point that print any value of the type exactly.
    const EXACT_DIGITS: usize;
    fn is_nan(self) -> bool;
    fn is_infinite(self) -> bool;
    fn is_sign_negative(self) -> bool;
    fn abs(self) -> Self;
}

macro_rules! java_float {
    ($t:ty, $exact:expr) => {
        impl JavaFloat for $t {
            const EXACT_DIGITS: usize = $exact;
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            fn is_infinite(self) -> bool {
                <$t>::is_infinite(self)
            }
            fn is_sign_negative(self) -> bool {
                <$t>::is_sign_negative(self)
            }
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
        }
    };
}

java_float!(f64, 767);
java_float!(f32, 112);

fn java_to_string<T: JavaFloat>(v: T) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    let zero = T::default();
    if v.is_infinite() {
        return if v > zero { "Infinity" } else { "-Infinity" }.to_string();
    }
    if v == zero {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    let (digits, exp) = java_digits(v.abs());
    render(v < zero, &digits, exp)
}

/// Splits Rust's `d.ddde±x` scientific form into its digit string and decimal exponent.
fn split_sci(s: &str) -> (String, i32) {
    let (mantissa, exp) = s.split_once('e').unwrap_or((s, "0"));
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    (digits, exp.parse().unwrap_or(0))
}

/// The digits `d1 d2 ... dn` (no trailing zeros) and exponent `e` with value `d1.d2...dn × 10^e`.
fn java_digits<T: JavaFloat>(x: T) -> (String, i32) {
    let shortest = |x: T| format!("{x:e}");
    // `p` digits after the point in scientific form, rounded exactly.
    let with_precision = |x: T, p: usize| format!("{x:.p$e}");
    let parse = |s: &str| s.parse::<T>().ok();
    let exact_digits = T::EXACT_DIGITS;
    let (digits, exp) = split_sci(&shortest(x));
    if digits.len() == 1 {
        // One digit suffices: Java picks the closest decimal of length one OR two. The exactly
        // rounded two-digit decimal is the closest of all of them; it wins when it still rounds to `x`.
        let (two, two_exp) = split_sci(&with_precision(x, 1));
        let candidate = format!("{}.{}e{}", &two[..1], &two[1..], two_exp);
        if parse(&candidate) == Some(x) {
            let trimmed = two.trim_end_matches('0');
            let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
            return (trimmed.to_string(), two_exp);
        }
        return (digits, exp);
    }
    // A tie: `x` lies exactly halfway between two shortest decimals (`3017887.25f` between
    // `...7.2` and `...7.3`). Java takes the one with the even last digit; Rust rounds half up.
    let n = digits.len();
    let last = digits.as_bytes()[n - 1] - b'0';
    if last % 2 == 1 {
        let (next, next_exp) = split_sci(&with_precision(x, n));
        if next_exp == exp && next.len() == n + 1 && next.ends_with('5') {
            let (full, _) = split_sci(&with_precision(x, exact_digits));
            let exact = full.trim_end_matches('0');
            if exact.len() == n + 1 && exact.ends_with('5') {
                let prefix = &exact[..n];
                let alternative = if prefix == digits { increment(prefix) } else { Some(prefix.to_string()) };
                if let Some(alt) = alternative.filter(|a| a.len() == n) {
                    let candidate = format!("{}.{}e{}", &alt[..1], &alt[1..], exp);
                    if parse(&candidate) == Some(x) {
                        let trimmed = alt.trim_end_matches('0').to_string();
                        return (trimmed, exp);
                    }
                }
            }
        }
    }
    (digits, exp)
}

/// The decimal digit string plus one in its last place (None when it would gain a digit).
fn increment(digits: &str) -> Option<String> {
    let mut bytes = digits.as_bytes().to_vec();
    for b in bytes.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

/// Lays the digits out as Java does: plain for 1e-3 ≤ |v| < 1e7, else `d.dddE±n`; always a '.'.
fn render(negative: bool, digits: &str, exp: i32) -> String {
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if (-3..7).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(digits);
                for _ in digits.len()..int_len {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        out.push('E');
        out.push_str(&exp.to_string());
    }
    out
}

/// `Character.toString(c)` for a UTF-16 code unit; a lone surrogate has no Rust `String` form.
pub fn char_to_string(c: u16) -> Option<String> {
    char::from_u32(u32::from(c)).map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_jdk21() {
        let cases: &[(f64, &str)] = &[
            (0.1 + 0.2, "0.30000000000000004"),
            (1e7, "1.0E7"),
            (100.0, "100.0"),
            (1.0e-5, "1.0E-5"),
            (0.001, "0.001"),
            (9_999_999.0, "9999999.0"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (5e-324, "4.9E-324"),
            (f64::MAX, "1.7976931348623157E308"),
            (-1.5, "-1.5"),
            (2e23, "2.0E23"),
            (1e23, "1.0E23"),
            (123456789.0, "1.23456789E8"),
            (0.5, "0.5"),
            (1.0 / 3.0, "0.3333333333333333"),
            (-0.0, "-0.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (v, want) in cases {
            assert_eq!(double_to_string(*v), *want, "{v:e}");
        }
    }

    #[test]
    fn floats_print_like_jdk21() {
        let cases: &[(f32, &str)] = &[
            (0.1, "0.1"),
            (1.0 / 3.0, "0.33333334"),
            (f32::MAX, "3.4028235E38"),
            (f32::from_bits(1), "1.4E-45"),
            (2.0 / 3.0, "0.6666667"),
            (1e10, "1.0E10"),
            (16777216.0, "1.6777216E7"),
        ];
        for (v, want) in cases {
            assert_eq!(float_to_string(*v), *want, "{v:e}");
        }
    }
}
