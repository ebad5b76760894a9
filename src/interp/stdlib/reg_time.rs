//! Registrations for the `java.time` members score scripts use on date doc values: `ZonedDateTime`
//! (what `doc['date'].value` is; OpenSearch's `JodaCompatibleZonedDateTime` delegates to one and
//! adds `getMillis()`), `Instant` and `Duration`. Semantics on plain values are in `time.rs`.
//! Members outside this list are refused as unsupported locally, never guessed.

use super::args::{any_at, i64_at, str_at};
use super::time::{self, Duration, Instant, TimeTextError};
use crate::interp::runtime::error::{RuntimeError, es_type};
use crate::interp::runtime::ops::{date_text, instant_text, out_of_years};
use crate::interp::runtime::types::{Dialect, Ty};
use crate::interp::runtime::value::Value;
use crate::interp::stdlib::registry::{MethodImp, MethodSig, Registry, StaticImp, StaticSig};

fn method(reg: &mut Registry, receiver: Ty, name: &'static str, params: Vec<Ty>, ret: Ty, imp: MethodImp) {
    reg.add_method(MethodSig { receiver, name, params, ret, imp });
}

fn static_fn(reg: &mut Registry, class: &'static str, name: &'static str, params: Vec<Ty>, ret: Ty, imp: StaticImp) {
    reg.add_static(StaticSig { class, name, params, ret, imp });
}

fn overflow() -> RuntimeError {
    RuntimeError::new(es_type::ARITHMETIC, "long overflow")
}

/// The instant of a `ZonedDateTime` or `Instant` receiver or argument.
fn instant_of(v: &Value, member: &str) -> Result<Instant, RuntimeError> {
    match v {
        Value::ZonedDateTime(i, _) | Value::Instant(i) => Ok(*i),
        Value::Null => Err(super::args::null_argument(member)),
        other => Err(RuntimeError::unsupported_locally(format!(
            "{member} on a {} is unsupported in the local subset (expected a date-time)",
            other.type_name()
        ))),
    }
}

fn duration_of(v: &Value) -> Result<Duration, RuntimeError> {
    match v {
        Value::Duration(d) => Ok(*d),
        other => Err(RuntimeError::unsupported_locally(format!(
            "internal: a Duration method called on a {}",
            other.type_name()
        ))),
    }
}

fn fields(v: &Value, member: &str) -> Result<time::DateTimeFields, RuntimeError> {
    instant_of(v, member)?.fields().ok_or_else(out_of_years)
}

/// `ChronoZonedDateTime.compareTo` / `Instant.compareTo` of two UTC date-times: the seconds with
/// `Long.compare`, then the difference of the nanoseconds (Java returns it as is).
fn compare(a: Instant, b: Instant) -> i32 {
    match a.secs.cmp(&b.secs) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Greater => 1,
        std::cmp::Ordering::Equal => a.nanos as i32 - b.nanos as i32,
    }
}

/// Both values of a comparison between date-times of one class (a mix is a ClassCastException in
/// Java for `compareTo`; `isBefore` takes any `ChronoZonedDateTime` / `Instant`).
fn pair(r: &Value, a: &[Value], member: &str) -> Result<(Instant, Instant), RuntimeError> {
    let other = any_at(a, 0)?;
    if std::mem::discriminant(r) != std::mem::discriminant(other) && !other.is_null() {
        return Err(RuntimeError::unsupported_locally(format!(
            "{member} between a {} and a {} is unsupported in the local subset",
            r.type_name(),
            other.type_name()
        )));
    }
    Ok((instant_of(r, member)?, instant_of(other, member)?))
}

fn text_error(e: TimeTextError, exception: &'static str) -> RuntimeError {
    match e {
        TimeTextError::Invalid(m) => RuntimeError::new(exception, m),
        TimeTextError::Unsupported(m) => RuntimeError::unsupported_locally(m),
    }
}

/// Why reading the clock is refused: a score that depends on when it was computed cannot be
/// reproduced, resumed bit for bit, or compared with the engine's.
const WALL_CLOCK: &str = "reads the wall clock: scores would change from one evaluation to the next and could not be \
     reproduced or compared with the engine's; pass the time in params instead (e.g. params.now, epoch seconds, \
     or a date string for decayDate*)";

pub fn register(reg: &mut Registry) {
    register_zoned(reg);
    register_instant(reg);
    register_duration(reg);
    reg.add_unsupported_class("Date", WALL_CLOCK);
    for class in ["Instant", "ZonedDateTime", "LocalDate", "LocalDateTime"] {
        reg.add_unsupported_member(class, "now", WALL_CLOCK);
    }
}

/// `isBefore`, `isAfter` and `compareTo` of a date-time class against its own class: both compare the
/// instants (the date-times are all UTC).
fn register_comparisons(reg: &mut Registry, ty: &Ty) {
    method(reg, ty.clone(), "isBefore", vec![ty.clone()], Ty::BOOLEAN, |_, r, a| {
        let (x, y) = pair(r, a, "isBefore")?;
        Ok(Value::Bool(x < y))
    });
    method(reg, ty.clone(), "isAfter", vec![ty.clone()], Ty::BOOLEAN, |_, r, a| {
        let (x, y) = pair(r, a, "isAfter")?;
        Ok(Value::Bool(x > y))
    });
    method(reg, ty.clone(), "compareTo", vec![ty.clone()], Ty::INT, |_, r, a| {
        let (x, y) = pair(r, a, "compareTo")?;
        Ok(Value::Int(compare(x, y)))
    });
}

fn register_zoned(reg: &mut Registry) {
    let z = Ty::ZonedDateTime;
    method(reg, z.clone(), "toInstant", vec![], Ty::Instant, |_, r, _| Ok(Value::Instant(instant_of(r, "toInstant")?)));
    method(reg, z.clone(), "toEpochSecond", vec![], Ty::LONG, |_, r, _| {
        Ok(Value::Long(instant_of(r, "toEpochSecond")?.secs))
    });
    let getters: [(&'static str, MethodImp); 8] = [
        ("getYear", |_, r, _| Ok(Value::Int(fields(r, "getYear")?.year as i32))),
        ("getMonthValue", |_, r, _| Ok(Value::Int(fields(r, "getMonthValue")?.month as i32))),
        ("getDayOfMonth", |_, r, _| Ok(Value::Int(fields(r, "getDayOfMonth")?.day as i32))),
        ("getDayOfYear", |_, r, _| Ok(Value::Int(fields(r, "getDayOfYear")?.day_of_year as i32))),
        ("getHour", |_, r, _| Ok(Value::Int(fields(r, "getHour")?.hour as i32))),
        ("getMinute", |_, r, _| Ok(Value::Int(fields(r, "getMinute")?.minute as i32))),
        ("getSecond", |_, r, _| Ok(Value::Int(fields(r, "getSecond")?.second as i32))),
        ("getNano", |_, r, _| Ok(Value::Int(fields(r, "getNano")?.nano as i32))),
    ];
    for (name, imp) in getters {
        method(reg, z.clone(), name, vec![], Ty::INT, imp);
    }
    register_comparisons(reg, &z);
    method(reg, z.clone(), "isEqual", vec![z.clone()], Ty::BOOLEAN, |_, r, a| {
        let (x, y) = pair(r, a, "isEqual")?;
        Ok(Value::Bool(x == y))
    });
    method(reg, z.clone(), "toString", vec![], Ty::String, |ctx, r, _| {
        let Value::ZonedDateTime(i, class) = r else {
            return Err(RuntimeError::unsupported_locally("internal: toString on a non-date"));
        };
        let s = date_text(*i, *class)?;
        ctx.check_string_len(s.len())?;
        Ok(Value::str(&s))
    });
    // OpenSearch's JodaCompatibleZonedDateTime keeps Joda's getMillis(); Elasticsearch 8 removed it.
    method(reg, z, "getMillis", vec![], Ty::LONG, |ctx, r, _| match ctx.dialect() {
        Dialect::OpenSearch => Ok(Value::Long(instant_of(r, "getMillis")?.to_epoch_milli().ok_or_else(overflow)?)),
        Dialect::Elasticsearch => Err(RuntimeError::unsupported_locally(
            "getMillis() is OpenSearch's JodaCompatibleZonedDateTime; Elasticsearch 8 date values are \
             java.time.ZonedDateTime: use toInstant().toEpochMilli()",
        )),
    });
}

fn register_instant(reg: &mut Registry) {
    let i = Ty::Instant;
    static_fn(reg, "Instant", "parse", vec![Ty::CharSequence], i.clone(), |_, a| {
        let text = str_at(a, 0, "Instant.parse")?;
        time::parse_instant(text).map(Value::Instant).map_err(|e| text_error(e, "date_time_parse_exception"))
    });
    static_fn(reg, "Instant", "ofEpochMilli", vec![Ty::LONG], i.clone(), |_, a| {
        in_years(Instant::of_epoch_milli(i64_at(a, 0)?))
    });
    static_fn(reg, "Instant", "ofEpochSecond", vec![Ty::LONG], i.clone(), |_, a| {
        in_years(Instant::of_epoch_second(i64_at(a, 0)?))
    });
    method(reg, i.clone(), "toEpochMilli", vec![], Ty::LONG, |_, r, _| {
        Ok(Value::Long(instant_of(r, "toEpochMilli")?.to_epoch_milli().ok_or_else(overflow)?))
    });
    method(reg, i.clone(), "getEpochSecond", vec![], Ty::LONG, |_, r, _| {
        Ok(Value::Long(instant_of(r, "getEpochSecond")?.secs))
    });
    method(reg, i.clone(), "getNano", vec![], Ty::INT, |_, r, _| {
        Ok(Value::Int(instant_of(r, "getNano")?.nanos as i32))
    });
    let shifts: [(&'static str, MethodImp); 4] = [
        ("plusMillis", |_, r, a| shift(r, 0, i64_at(a, 0)?.checked_mul(1_000_000).ok_or_else(overflow)?)),
        ("minusMillis", |_, r, a| {
            shift(r, 0, i64_at(a, 0)?.checked_mul(1_000_000).and_then(i64::checked_neg).ok_or_else(overflow)?)
        }),
        ("plusSeconds", |_, r, a| shift(r, i64_at(a, 0)?, 0)),
        ("minusSeconds", |_, r, a| shift(r, i64_at(a, 0)?.checked_neg().ok_or_else(overflow)?, 0)),
    ];
    for (name, imp) in shifts {
        method(reg, i.clone(), name, vec![Ty::LONG], i.clone(), imp);
    }
    register_comparisons(reg, &i);
    method(reg, i, "toString", vec![], Ty::String, |ctx, r, _| {
        let s = instant_text(instant_of(r, "toString")?)?;
        ctx.check_string_len(s.len())?;
        Ok(Value::str(&s))
    });
}

fn shift(r: &Value, secs: i64, nanos: i64) -> Result<Value, RuntimeError> {
    in_years(instant_of(r, "plus")?.plus(secs, nanos).ok_or_else(overflow)?)
}

/// Instant's range is years -1e9..1e9; the local subset keeps to 0000-9999, where it prints dates
/// as Java does, and refuses the rest.
fn in_years(i: Instant) -> Result<Value, RuntimeError> {
    i.fields().ok_or_else(out_of_years)?;
    Ok(Value::Instant(i))
}

fn register_duration(reg: &mut Registry) {
    let d = Ty::Duration;
    static_fn(reg, "Duration", "between", vec![Ty::Object, Ty::Object], d.clone(), |_, a| {
        let (start, end) = (any_at(a, 0)?, any_at(a, 1)?);
        if matches!((start, end), (Value::ZonedDateTime(..), Value::Instant(_))) {
            return Err(RuntimeError::unsupported_locally(
                "Duration.between(ZonedDateTime, Instant) (Java cannot convert the Instant back) is unsupported in \
                 the local subset",
            ));
        }
        let (s, e) = (instant_of(start, "Duration.between")?, instant_of(end, "Duration.between")?);
        Ok(Value::Duration(Duration::between(s, e).ok_or_else(overflow)?))
    });
    let units: [(&'static str, StaticImp); 5] = [
        ("ofDays", |_, a| of_unit(a, 86_400)),
        ("ofHours", |_, a| of_unit(a, 3_600)),
        ("ofMinutes", |_, a| of_unit(a, 60)),
        ("ofSeconds", |_, a| of_unit(a, 1)),
        ("ofMillis", |_, a| {
            let ms = i64_at(a, 0)?;
            Ok(Value::Duration(
                Duration::of_seconds(ms.div_euclid(1000), ms.rem_euclid(1000) * 1_000_000).ok_or_else(overflow)?,
            ))
        }),
    ];
    for (name, imp) in units {
        static_fn(reg, "Duration", name, vec![Ty::LONG], d.clone(), imp);
    }
    method(reg, d.clone(), "toMillis", vec![], Ty::LONG, |_, r, _| {
        Ok(Value::Long(duration_of(r)?.to_millis().ok_or_else(overflow)?))
    });
    let wholes: [(&'static str, MethodImp); 5] = [
        ("toDays", |_, r, _| Ok(Value::Long(duration_of(r)?.whole(86_400)))),
        ("toHours", |_, r, _| Ok(Value::Long(duration_of(r)?.whole(3_600)))),
        ("toMinutes", |_, r, _| Ok(Value::Long(duration_of(r)?.whole(60)))),
        ("toSeconds", |_, r, _| Ok(Value::Long(duration_of(r)?.whole(1)))),
        ("getSeconds", |_, r, _| Ok(Value::Long(duration_of(r)?.whole(1)))),
    ];
    for (name, imp) in wholes {
        method(reg, d.clone(), name, vec![], Ty::LONG, imp);
    }
    method(reg, d.clone(), "getNano", vec![], Ty::INT, |_, r, _| Ok(Value::Int(duration_of(r)?.nanos as i32)));
    method(reg, d.clone(), "isNegative", vec![], Ty::BOOLEAN, |_, r, _| Ok(Value::Bool(duration_of(r)?.is_negative())));
    method(reg, d.clone(), "isZero", vec![], Ty::BOOLEAN, |_, r, _| {
        let x = duration_of(r)?;
        Ok(Value::Bool(x.secs == 0 && x.nanos == 0))
    });
    method(reg, d.clone(), "compareTo", vec![d.clone()], Ty::INT, |_, r, a| {
        let (x, y) = (duration_of(r)?, duration_of(any_at(a, 0)?)?);
        // Duration.compareTo: Long.compare of the seconds, then the difference of the nanoseconds.
        Ok(Value::Int(match x.secs.cmp(&y.secs) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Greater => 1,
            std::cmp::Ordering::Equal => x.nanos as i32 - y.nanos as i32,
        }))
    });
    method(reg, d, "toString", vec![], Ty::String, |ctx, r, _| {
        let s = time::duration_to_string(duration_of(r)?);
        ctx.check_string_len(s.len())?;
        Ok(Value::str(&s))
    });
}

fn of_unit(a: &[Value], unit_secs: i64) -> Result<Value, RuntimeError> {
    let secs = i64_at(a, 0)?.checked_mul(unit_secs).ok_or_else(overflow)?;
    Ok(Value::Duration(Duration { secs, nanos: 0 }))
}
