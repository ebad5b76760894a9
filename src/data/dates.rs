//! Dates as Elasticsearch reads them and Java prints them, on plain Rust values: the instants that date
//! doc values, `Instant` and `ZonedDateTime` hold (UTC only: Elasticsearch hands date doc values out in
//! UTC), `Duration`, the text forms Java prints and parses, and the two parsers Elasticsearch runs on
//! dates: its default date format (`strict_date_optional_time||epoch_millis`: date fields at import and
//! in the engine, the origin of `decayDate*`) and `TimeValue` (their scale and offset). The
//! interpreter's runtime library uses it as `interp::stdlib::time`; import reads date fields with it.
//!
//! Text is parsed only in the forms whose Java result is certain (`docs/painless-subset.md`, "Dates"):
//! anything else is refused as unsupported locally rather than guessed, since a wrong date would
//! silently shift every score. Printed forms follow the JDK's `toString` rules and are checked
//! against a JDK in the tests below (outputs recorded from JDK 17).

/// A point on the UTC time line: seconds since 1970-01-01T00:00:00Z and nanoseconds in that second,
/// as `java.time.Instant` holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    pub secs: i64,
    pub nanos: u32,
}

/// `java.time.Duration`: seconds and a non-negative nanosecond adjustment (Java's normal form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    pub secs: i64,
    pub nanos: u32,
}

/// Why a text could not be read as a date or a time value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeTextError {
    /// Java would throw `IllegalArgumentException` with this message.
    Invalid(String),
    /// Outside the forms the local subset reads with certainty.
    Unsupported(String),
}

const NANOS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;
/// Years the local subset prints and parses (four digits, no sign), as Java prints them.
const YEARS: std::ops::RangeInclusive<i64> = 0..=9999;

impl Instant {
    pub fn of_epoch_milli(millis: i64) -> Instant {
        Instant { secs: millis.div_euclid(1000), nanos: (millis.rem_euclid(1000) * 1_000_000) as u32 }
    }

    pub fn of_epoch_second(secs: i64) -> Instant {
        Instant { secs, nanos: 0 }
    }

    /// `Instant.toEpochMilli()`; None where Java throws `ArithmeticException` (long overflow).
    pub fn to_epoch_milli(self) -> Option<i64> {
        if self.secs < 0 && self.nanos > 0 {
            // Java: (secs + 1) * 1000 + nanos / 1e6 - 1000, to stay in range near Long.MIN_VALUE.
            self.secs.checked_add(1)?.checked_mul(1000)?.checked_add(i64::from(self.nanos / 1_000_000) - 1000)
        } else {
            self.secs.checked_mul(1000)?.checked_add(i64::from(self.nanos / 1_000_000))
        }
    }

    /// `plusSeconds/plusMillis/plusNanos` as one step; None on overflow (Java: `ArithmeticException`).
    pub fn plus(self, secs: i64, nanos: i64) -> Option<Instant> {
        let total_nanos = i64::from(self.nanos).checked_add(nanos)?;
        let secs = self.secs.checked_add(secs)?.checked_add(total_nanos.div_euclid(NANOS_PER_SECOND))?;
        Some(Instant { secs, nanos: total_nanos.rem_euclid(NANOS_PER_SECOND) as u32 })
    }

    /// The UTC calendar fields of this instant, or None outside years 0-9999.
    pub fn fields(self) -> Option<DateTimeFields> {
        let days = self.secs.div_euclid(SECONDS_PER_DAY);
        let of_day = self.secs.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        YEARS.contains(&year).then_some(DateTimeFields {
            year,
            month,
            day,
            hour: (of_day / 3600) as u32,
            minute: (of_day / 60 % 60) as u32,
            second: (of_day % 60) as u32,
            nano: self.nanos,
            day_of_year: (days - days_from_civil(year, 1, 1) + 1) as u32,
            // 1970-01-01 was a Thursday; ISO numbering, Monday = 1.
            day_of_week: ((days + 3).rem_euclid(7) + 1) as u32,
        })
    }
}

/// The fields of a UTC date-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTimeFields {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nano: u32,
    pub day_of_year: u32,
    pub day_of_week: u32,
}

impl Duration {
    pub fn of_seconds(secs: i64, nanos: i64) -> Option<Duration> {
        let secs = secs.checked_add(nanos.div_euclid(NANOS_PER_SECOND))?;
        Some(Duration { secs, nanos: nanos.rem_euclid(NANOS_PER_SECOND) as u32 })
    }

    /// `Duration.between(start, end)` of two instants.
    pub fn between(start: Instant, end: Instant) -> Option<Duration> {
        Duration::of_seconds(end.secs.checked_sub(start.secs)?, i64::from(end.nanos) - i64::from(start.nanos))
    }

    /// `toMillis()`; None where Java throws `ArithmeticException`.
    pub fn to_millis(self) -> Option<i64> {
        // Java: if secs < 0, (secs + 1) * 1000 + nanos / 1e6 - 1000.
        let (secs, nanos) = if self.secs < 0 {
            (self.secs + 1, i64::from(self.nanos) - NANOS_PER_SECOND)
        } else {
            (self.secs, i64::from(self.nanos))
        };
        secs.checked_mul(1000)?.checked_add(nanos / 1_000_000)
    }

    /// `toDays()`, `toHours()`, `toMinutes()`: whole units of the seconds part, as Java divides.
    pub fn whole(self, unit_secs: i64) -> i64 {
        self.secs / unit_secs
    }

    pub fn is_negative(self) -> bool {
        self.secs < 0
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if month <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The fraction of a second as Java prints it: nothing, or 3, 6 or 9 digits (the fewest that are exact).
fn push_fraction(out: &mut String, nano: u32) {
    if nano == 0 {
    } else if nano.is_multiple_of(1_000_000) {
        out.push_str(&format!(".{:03}", nano / 1_000_000));
    } else if nano.is_multiple_of(1000) {
        out.push_str(&format!(".{:06}", nano / 1000));
    } else {
        out.push_str(&format!(".{nano:09}"));
    }
}

/// `Instant.toString()` (ISO_INSTANT: seconds always printed); None outside years 0-9999.
pub fn instant_to_string(i: Instant) -> Option<String> {
    let f = i.fields()?;
    let mut out = format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", f.year, f.month, f.day, f.hour, f.minute, f.second);
    push_fraction(&mut out, f.nano);
    out.push('Z');
    Some(out)
}

/// `ZonedDateTime.toString()` of a UTC date-time (`LocalTime.toString` drops zero seconds), None
/// outside years 0-9999.
pub fn zoned_to_string(i: Instant) -> Option<String> {
    let f = i.fields()?;
    let mut out = format!("{:04}-{:02}-{:02}T{:02}:{:02}", f.year, f.month, f.day, f.hour, f.minute);
    if f.second > 0 || f.nano > 0 {
        out.push_str(&format!(":{:02}", f.second));
        push_fraction(&mut out, f.nano);
    }
    out.push('Z');
    Some(out)
}

/// Elasticsearch's `strict_date_time` format of a UTC date-time (`yyyy-MM-dd'T'HH:mm:ss.SSS` and at
/// most nine fraction digits, then `Z`), what OpenSearch's `JodaCompatibleZonedDateTime.toString()`
/// prints; None outside years 0-9999.
pub fn strict_date_time(i: Instant) -> Option<String> {
    let f = i.fields()?;
    let digits = format!("{:09}", f.nano);
    let digits = digits.trim_end_matches('0');
    let fraction = if digits.len() < 3 { format!("{digits:0<3}") } else { digits.to_string() };
    Some(format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{fraction}Z", f.year, f.month, f.day, f.hour, f.minute, f.second))
}

/// `Duration.toString()` (`PT8H6M12.345S`, `PT0S`).
pub fn duration_to_string(d: Duration) -> String {
    if d.secs == 0 && d.nanos == 0 {
        return "PT0S".into();
    }
    // Java prints the seconds part with the sign of the whole duration: -0.5 s is "PT-0.5S".
    let effective = if d.secs < 0 && d.nanos > 0 { d.secs + 1 } else { d.secs };
    let hours = effective / 3600;
    let minutes = (effective % 3600) / 60;
    let secs = effective % 60;
    let mut out = String::from("PT");
    if hours != 0 {
        out.push_str(&format!("{hours}H"));
    }
    if minutes != 0 {
        out.push_str(&format!("{minutes}M"));
    }
    if secs == 0 && d.nanos == 0 && out.len() > 2 {
        return out;
    }
    if d.secs < 0 && d.nanos > 0 && secs == 0 {
        out.push_str("-0");
    } else {
        out.push_str(&secs.to_string());
    }
    if d.nanos > 0 {
        let frac =
            if d.secs < 0 { 2 * NANOS_PER_SECOND - i64::from(d.nanos) } else { i64::from(d.nanos) + NANOS_PER_SECOND };
        let digits = format!("{frac}");
        let digits = digits[1..].trim_end_matches('0');
        out.push('.');
        out.push_str(digits);
    }
    out.push('S');
    out
}

/// A cursor over ASCII text for the fixed-width forms below.
struct Cursor<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let s = self.text.get(self.pos..self.pos + n)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.pos += n;
        Some(s.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.text.get(self.pos).is_some_and(|b| b.eq_ignore_ascii_case(&c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn done(&self) -> bool {
        self.pos == self.text.len()
    }

    /// `.` or `,` (when allowed) followed by 1-9 digits: nanoseconds.
    fn fraction(&mut self, comma: bool) -> Option<Option<u32>> {
        let sep = self.peek();
        if sep != Some(b'.') && !(comma && sep == Some(b',')) {
            return Some(None);
        }
        self.pos += 1;
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) && self.pos - start < 9 {
            self.pos += 1;
        }
        let n = self.pos - start;
        if n == 0 || self.peek().is_some_and(|b| b.is_ascii_digit()) {
            return None;
        }
        let v = self.text[start..self.pos].iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        Some(Some(v * 10u32.pow(9 - n as u32)))
    }

    /// `Z` or `±HH:MM` (optionally `:SS`): the offset in seconds east of UTC.
    fn offset(&mut self) -> Option<i64> {
        if self.eat(b'Z') {
            return Some(0);
        }
        let sign = match self.peek()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        self.pos += 1;
        let h = self.digits(2)?;
        if !self.eat(b':') {
            return None;
        }
        let m = self.digits(2)?;
        let s = if self.eat(b':') { self.digits(2)? } else { 0 };
        let total = h * 3600 + m * 60 + s;
        (m < 60 && s < 60 && total <= 18 * 3600).then(|| sign * i64::from(total))
    }
}

/// `yyyy-MM-dd` at the cursor, validated (a real calendar day).
fn date_part(c: &mut Cursor<'_>) -> Option<i64> {
    let year = i64::from(c.digits(4)?);
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
        .then(|| days_from_civil(year, month, day))
}

fn instant_of(days: i64, hour: u32, minute: u32, second: u32, nano: u32, offset: i64) -> Option<Instant> {
    (hour < 24 && minute < 60 && second < 60).then(|| Instant {
        secs: days * SECONDS_PER_DAY + i64::from(hour * 3600 + minute * 60 + second) - offset,
        nanos: nano,
    })
}

/// `Instant.parse(text)` in the form the JDK's ISO_INSTANT reads:
/// `yyyy-MM-ddTHH:mm:ss[.fraction](Z|±HH:MM[:SS])`, letters in either case.
pub fn parse_instant(text: &str) -> Result<Instant, TimeTextError> {
    let unsupported = || {
        TimeTextError::Unsupported(format!(
            "Instant.parse(\"{}\"): the local subset reads yyyy-MM-ddTHH:mm:ss[.fraction] followed by Z or ±hh:mm, \
             for years 0000-9999 (Java may read or reject other text; it is not guessed)",
            truncate(text)
        ))
    };
    let mut c = Cursor { text: text.as_bytes(), pos: 0 };
    let parsed = (|| {
        let days = date_part(&mut c)?;
        if !c.eat(b'T') {
            return None;
        }
        let hour = c.digits(2)?;
        c.eat(b':').then_some(())?;
        let minute = c.digits(2)?;
        c.eat(b':').then_some(())?;
        let second = c.digits(2)?;
        let nano = c.fraction(false)?.unwrap_or(0);
        let offset = c.offset()?;
        c.done().then_some(())?;
        instant_of(days, hour, minute, second, nano, offset)
    })();
    parsed.ok_or_else(unsupported)
}

/// The origin of a `decayDate*` function: Elasticsearch's default date format for date fields,
/// `strict_date_optional_time||epoch_millis`, in UTC, as epoch milliseconds. Read locally:
/// `yyyy-MM-dd`, optionally `THH:mm`, `:ss`, a fraction, and `Z` or `±HH:MM`; or epoch
/// milliseconds written with at least 11 digits (shorter digit strings could be years to the first
/// format). `now` is refused by Elasticsearch itself (no clock in score functions); date math and other
/// forms are refused locally.
pub fn parse_default_date_millis(text: &str) -> Result<i64, TimeTextError> {
    if text.starts_with("now") {
        return Err(TimeTextError::Unsupported(format!(
            "date origin \"{}\": decayDate* functions cannot read `now` (Elasticsearch fails on it too); pass the \
             time as a date string or epoch milliseconds, e.g. from params",
            truncate(text)
        )));
    }
    if text.len() >= 11 && text.len() <= 18 && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().map_err(|_| TimeTextError::Unsupported(truncate(text)));
    }
    let unsupported = || {
        TimeTextError::Unsupported(format!(
            "date origin \"{}\": the local subset reads yyyy-MM-dd[THH:mm[:ss[.fraction]]][Z|±hh:mm] (years \
             0000-9999) or epoch milliseconds of 11 or more digits; date math and other formats are not guessed",
            truncate(text)
        ))
    };
    let mut c = Cursor { text: text.as_bytes(), pos: 0 };
    let instant = (|| {
        let days = date_part(&mut c)?;
        let (mut hour, mut minute, mut second, mut nano, mut offset) = (0, 0, 0, 0, 0);
        if c.eat(b'T') {
            hour = c.digits(2)?;
            c.eat(b':').then_some(())?;
            minute = c.digits(2)?;
            if c.eat(b':') {
                second = c.digits(2)?;
                nano = c.fraction(true)?.unwrap_or(0);
            }
            if !c.done() {
                offset = c.offset()?;
            }
        }
        c.done().then_some(())?;
        instant_of(days, hour, minute, second, nano, offset)
    })();
    let instant = instant.ok_or_else(unsupported)?;
    instant.to_epoch_milli().ok_or_else(unsupported)
}

/// `TimeValue.parseTimeValue(text, settingName).getMillis()` as Elasticsearch 8.13 computes it:
/// suffixes `nanos`, `micros`, `ms`, `s`, `m` (case-sensitive: `M` is not minutes), `h`, `d`; bare
/// `0`/`-1`; whole numbers only. Errors carry Elasticsearch's message.
pub fn parse_time_value_millis(text: &str, setting: &str) -> Result<i64, TimeTextError> {
    let normalized = java_trim(&text.to_lowercase());
    // (suffix, nanoseconds per unit); `m` is matched on the text as written.
    let unit: Option<(&str, i128)> = if normalized.ends_with("nanos") {
        Some(("nanos", 1))
    } else if normalized.ends_with("micros") {
        Some(("micros", 1_000))
    } else if normalized.ends_with("ms") {
        Some(("ms", 1_000_000))
    } else if normalized.ends_with('s') {
        Some(("s", 1_000_000_000))
    } else if text.ends_with('m') {
        Some(("m", 60_000_000_000))
    } else if normalized.ends_with('h') {
        Some(("h", 3_600_000_000_000))
    } else if normalized.ends_with('d') {
        Some(("d", 86_400_000_000_000))
    } else {
        None
    };
    let Some((suffix, nanos_per_unit)) = unit else {
        let n = normalized.as_str();
        if n.starts_with('-') && n.len() >= 2 && n[1..n.len() - 1].bytes().all(|b| b == b'0') && n.ends_with('1') {
            return Ok(-1);
        }
        if !n.is_empty() && n.bytes().all(|b| b == b'0') {
            return Ok(0);
        }
        return Err(TimeTextError::Invalid(format!(
            "failed to parse setting [{setting}] with value [{text}] as a time value: unit is missing or unrecognized"
        )));
    };
    let number = java_trim(&normalized[..normalized.len() - suffix.len()]);
    let value = match parse_java_long(&number) {
        Some(v) if v < -1 => {
            return Err(TimeTextError::Invalid(format!(
                "failed to parse setting [{setting}] with value [{text}] as a time value: negative durations are not supported"
            )));
        }
        Some(v) => v,
        None if java_double_text(&number) => {
            return Err(TimeTextError::Invalid(format!(
                "failed to parse [{text}], fractional time values are not supported"
            )));
        }
        None => return Err(TimeTextError::Invalid(format!("failed to parse [{text}]"))),
    };
    // TimeUnit.toMillis: truncating division below a millisecond, saturating above.
    let millis = i128::from(value) * nanos_per_unit / 1_000_000;
    Ok(millis.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// `Long.parseLong`: an optional sign and ASCII digits, in range.
fn parse_java_long(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// Whether `Double.parseDouble` reads `s` as a finite decimal number (the forms a time value's
/// number part takes in practice: sign, digits, point, exponent, `f`/`d` suffix).
fn java_double_text(s: &str) -> bool {
    let body = s.strip_suffix(['f', 'd']).unwrap_or(s);
    body.bytes().any(|b| b.is_ascii_digit())
        && body.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e'))
        && body.parse::<f64>().is_ok()
}

/// `String.trim()`: drops leading and trailing characters up to U+0020.
fn java_trim(s: &str) -> String {
    s.trim_matches(|c: char| c <= ' ').to_string()
}

fn truncate(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip_and_know_leap_years() {
        for days in [-719_528, -1, 0, 1, 11_016, 19_106, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
    }

    // Expected strings and numbers below were printed by OpenJDK 17.0.15 (java.time).
    #[test]
    fn instants_print_and_parse_as_the_jdk_does() {
        let i = parse_instant("2022-04-24T10:15:30.120Z").unwrap();
        assert_eq!(i.to_epoch_milli(), Some(1_650_795_330_120));
        assert_eq!(instant_to_string(i).unwrap(), "2022-04-24T10:15:30.120Z");
        assert_eq!(zoned_to_string(i).unwrap(), "2022-04-24T10:15:30.120Z");
        let midnight = Instant::of_epoch_milli(1_650_758_400_000);
        assert_eq!(instant_to_string(midnight).unwrap(), "2022-04-24T00:00:00Z");
        assert_eq!(zoned_to_string(midnight).unwrap(), "2022-04-24T00:00Z");
        assert_eq!(
            zoned_to_string(Instant { secs: 1_650_758_401, nanos: 5_000 }).unwrap(),
            "2022-04-24T00:00:01.000005Z"
        );
        assert_eq!(instant_to_string(Instant { secs: 0, nanos: 1 }).unwrap(), "1970-01-01T00:00:00.000000001Z");
        assert_eq!(parse_instant("1600-01-01T00:00:00Z").unwrap().to_epoch_milli(), Some(-11_676_096_000_000));
        assert_eq!(parse_instant("2022-04-24t10:15:30+02:00").unwrap().to_epoch_milli(), Some(1_650_788_130_000));
        assert_eq!(Instant::of_epoch_milli(-1).to_epoch_milli(), Some(-1));
        assert_eq!(instant_to_string(Instant::of_epoch_milli(-1)).unwrap(), "1969-12-31T23:59:59.999Z");
        for refused in ["2022-04-24", "2022-04-24T10:15Z", "2022-02-30T00:00:00Z", "+12022-04-24T10:15:30Z", "x"] {
            assert!(matches!(parse_instant(refused), Err(TimeTextError::Unsupported(_))), "{refused}");
        }
    }

    #[test]
    fn strict_date_time_always_prints_milliseconds() {
        assert_eq!(strict_date_time(Instant::of_epoch_milli(1_650_758_400_000)).unwrap(), "2022-04-24T00:00:00.000Z");
        assert_eq!(strict_date_time(Instant::of_epoch_milli(1_650_795_330_120)).unwrap(), "2022-04-24T10:15:30.120Z");
        assert_eq!(strict_date_time(Instant { secs: 0, nanos: 1_500 }).unwrap(), "1970-01-01T00:00:00.0000015Z");
    }

    #[test]
    fn calendar_fields_are_utc() {
        let f = Instant::of_epoch_milli(1_650_795_330_120).fields().unwrap();
        assert_eq!((f.year, f.month, f.day, f.hour, f.minute, f.second), (2022, 4, 24, 10, 15, 30));
        assert_eq!((f.day_of_year, f.day_of_week, f.nano), (114, 7, 120_000_000));
    }

    #[test]
    fn durations_follow_java() {
        let a = Instant::of_epoch_milli(1_000);
        let b = Instant::of_epoch_milli(90_061_500);
        let d = Duration::between(a, b).unwrap();
        assert_eq!(d.to_millis(), Some(90_060_500));
        assert_eq!(duration_to_string(d), "PT25H1M0.5S");
        let neg = Duration::between(b, a).unwrap();
        assert_eq!(neg.to_millis(), Some(-90_060_500));
        assert_eq!(duration_to_string(neg), "PT-25H-1M-0.5S");
        assert_eq!(duration_to_string(Duration::of_seconds(0, -500_000_000).unwrap()), "PT-0.5S");
        assert_eq!(duration_to_string(Duration::of_seconds(3600, 0).unwrap()), "PT1H");
        assert_eq!(duration_to_string(Duration::of_seconds(0, 0).unwrap()), "PT0S");
        assert_eq!(neg.whole(86_400), -1);
    }

    #[test]
    fn decay_origins_read_the_default_date_format() {
        assert_eq!(parse_default_date_millis("2022-04-24"), Ok(1_650_758_400_000));
        assert_eq!(parse_default_date_millis("2022-04-24T10:15"), Ok(1_650_795_300_000));
        assert_eq!(parse_default_date_millis("2022-04-24T10:15:30,5+01:00"), Ok(1_650_791_730_500));
        assert_eq!(parse_default_date_millis("1650758400000"), Ok(1_650_758_400_000));
        for refused in ["now", "now-1d", "2022", "2022-04-24||+1d", "1650758400", "24/04/2022"] {
            assert!(matches!(parse_default_date_millis(refused), Err(TimeTextError::Unsupported(_))), "{refused}");
        }
    }

    #[test]
    fn time_values_parse_as_elasticsearch_does() {
        let ms = |t: &str| parse_time_value_millis(t, "DecayDateExp.scale");
        assert_eq!(ms("6d"), Ok(518_400_000));
        assert_eq!(ms("1D"), Ok(86_400_000));
        assert_eq!(ms(" 90m "), Err(TimeTextError::Invalid(
            "failed to parse setting [DecayDateExp.scale] with value [ 90m ] as a time value: unit is missing or unrecognized".into()
        )));
        assert_eq!(ms("90m"), Ok(5_400_000));
        assert_eq!(ms("12h"), Ok(43_200_000));
        assert_eq!(ms("1500ms"), Ok(1_500));
        assert_eq!(ms("2500micros"), Ok(2));
        assert_eq!(ms("0"), Ok(0));
        assert_eq!(ms("-1"), Ok(-1));
        assert_eq!(ms("-1d"), Ok(-86_400_000));
        assert!(matches!(ms("1M"), Err(TimeTextError::Invalid(m)) if m.ends_with("unit is missing or unrecognized")));
        assert_eq!(
            ms("1.5h"),
            Err(TimeTextError::Invalid("failed to parse [1.5h], fractional time values are not supported".into()))
        );
        assert!(
            matches!(ms("-2d"), Err(TimeTextError::Invalid(m)) if m.ends_with("negative durations are not supported"))
        );
        assert_eq!(ms("xd"), Err(TimeTextError::Invalid("failed to parse [xd]".into())));
    }
}
