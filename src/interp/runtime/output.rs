//! `scorelab exec` output: a runtime value as JSON text. Floats print as the shortest decimal that
//! round-trips *in their own precision* (so a float `2F/3F` prints `0.6666667`, not its double
//! widening), NaN and infinities as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.

use super::error::RuntimeError;
use super::hashmap::check_order;
use super::ops::to_java_string;
use crate::interp::runtime::value::{MapViewKind, Value};

/// Fails where Java's string form of a value inside it is not reproduced locally (see
/// [`to_java_string`]).
pub fn value_to_json(v: &Value) -> Result<String, RuntimeError> {
    let mut out = String::new();
    write_value(v, &mut out)?;
    Ok(out)
}

fn float_text(debug: String, nan: bool, inf: Option<bool>) -> String {
    if nan {
        return "\"NaN\"".into();
    }
    match inf {
        Some(true) => "\"Infinity\"".into(),
        Some(false) => "\"-Infinity\"".into(),
        None => debug,
    }
}

fn write_value(v: &Value, out: &mut String) -> Result<(), RuntimeError> {
    match v {
        Value::List(_) | Value::Array(_) | Value::Map(_) | Value::Set(_) | Value::MapView(..) => {
            crate::interp::runtime::value::deep(|| write_scalar_or_container(v, out))
        }
        _ => write_scalar_or_container(v, out),
    }
}

fn write_scalar_or_container(v: &Value, out: &mut String) -> Result<(), RuntimeError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Byte(x) => out.push_str(&x.to_string()),
        Value::Short(x) => out.push_str(&x.to_string()),
        Value::Int(x) => out.push_str(&x.to_string()),
        Value::Long(x) => out.push_str(&x.to_string()),
        Value::Float(x) => out.push_str(&float_text(format!("{x:?}"), x.is_nan(), x.is_infinite().then_some(*x > 0.0))),
        Value::Double(x) => {
            out.push_str(&float_text(format!("{x:?}"), x.is_nan(), x.is_infinite().then_some(*x > 0.0)))
        }
        Value::Char(_)
        | Value::Str(_)
        | Value::MapEntry(_)
        | Value::Doc
        | Value::DocField(_)
        | Value::ZonedDateTime(..)
        | Value::Instant(_)
        | Value::Duration(_) => out.push_str(&serde_json::Value::String(to_java_string(v)?).to_string()),
        Value::List(l) => write_seq(l.borrow().iter(), out)?,
        Value::Array(a) => write_seq(a.borrow().items.iter(), out)?,
        Value::Set(m) | Value::MapView(m, MapViewKind::Keys) => {
            check_order(&m.borrow())?;
            write_seq(m.borrow().keys(), out)?
        }
        Value::MapView(m, MapViewKind::Values) => {
            check_order(&m.borrow())?;
            write_seq(m.borrow().values(), out)?
        }
        Value::MapView(m, MapViewKind::Entries) => {
            check_order(&m.borrow())?;
            let items: Vec<String> = m
                .borrow()
                .iter()
                .map(|(k, v)| Ok(format!("{}={}", to_java_string(k)?, to_java_string(v)?)))
                .collect::<Result<_, RuntimeError>>()?;
            out.push_str(&serde_json::to_string(&items).unwrap_or_default());
        }
        Value::Map(m) => {
            check_order(&m.borrow())?;
            out.push('{');
            for (i, (k, val)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(to_java_string(k)?).to_string());
                out.push(':');
                write_value(val, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_seq<'a>(items: impl Iterator<Item = &'a Value>, out: &mut String) -> Result<(), RuntimeError> {
    out.push('[');
    for (i, x) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_value(x, out)?;
    }
    out.push(']');
    Ok(())
}
