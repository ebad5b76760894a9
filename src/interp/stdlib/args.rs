//! Argument and receiver extraction for registered members. The evaluator converts arguments to
//! the declared parameter types before a call (registry.rs calling convention), so a mismatch
//! here is an interpreter bug; it still surfaces as an error, never a panic.
//!
//! A `null` passed where Java would dereference it raises a NullPointerException whose message
//! (JDK "helpful NPE" text naming JDK internals) the library cannot reproduce faithfully, so such
//! calls are refused as unsupported locally instead of guessing the message.

use crate::interp::runtime::error::RuntimeError;
use crate::interp::runtime::value::Value;
use std::rc::Rc;

fn mismatch(what: &str, got: &Value) -> RuntimeError {
    RuntimeError::unsupported_locally(format!(
        "internal: expected a {what} argument, got a {} (the evaluator should have converted it)",
        got.type_name()
    ))
}

pub(crate) fn null_argument(member: &str) -> RuntimeError {
    RuntimeError::unsupported_locally(format!(
        "{member} with a null argument (Java throws a NullPointerException whose message the local subset does not reproduce)"
    ))
}

fn at(args: &[Value], i: usize) -> Result<&Value, RuntimeError> {
    args.get(i).ok_or_else(|| RuntimeError::unsupported_locally(format!("internal: missing argument {i}")))
}

pub(crate) fn f64_at(args: &[Value], i: usize) -> Result<f64, RuntimeError> {
    match at(args, i)? {
        Value::Double(x) => Ok(*x),
        v => v.as_f64().ok_or_else(|| mismatch("double", v)),
    }
}

pub(crate) fn f32_at(args: &[Value], i: usize) -> Result<f32, RuntimeError> {
    match at(args, i)? {
        Value::Float(x) => Ok(*x),
        v @ (Value::Byte(_) | Value::Short(_) | Value::Char(_) | Value::Int(_) | Value::Long(_)) => {
            v.as_i64().map(|x| x as f32).ok_or_else(|| mismatch("float", v))
        }
        v => Err(mismatch("float", v)),
    }
}

pub(crate) fn i32_at(args: &[Value], i: usize) -> Result<i32, RuntimeError> {
    match at(args, i)? {
        Value::Int(x) => Ok(*x),
        v @ (Value::Byte(_) | Value::Short(_) | Value::Char(_)) => {
            v.as_i64().map(|x| x as i32).ok_or_else(|| mismatch("int", v))
        }
        v => Err(mismatch("int", v)),
    }
}

pub(crate) fn i64_at(args: &[Value], i: usize) -> Result<i64, RuntimeError> {
    match at(args, i)? {
        Value::Long(x) => Ok(*x),
        v => v.as_i64().ok_or_else(|| mismatch("long", v)),
    }
}

pub(crate) fn bool_at(args: &[Value], i: usize) -> Result<bool, RuntimeError> {
    match at(args, i)? {
        Value::Bool(b) => Ok(*b),
        v => Err(mismatch("boolean", v)),
    }
}

/// A String argument; `member` names the call for the null refusal.
pub(crate) fn str_at<'a>(args: &'a [Value], i: usize, member: &str) -> Result<&'a str, RuntimeError> {
    match at(args, i)? {
        Value::Str(s) => Ok(s),
        Value::Null => Err(null_argument(member)),
        v => Err(mismatch("String", v)),
    }
}

pub(crate) fn any_at(args: &[Value], i: usize) -> Result<&Value, RuntimeError> {
    at(args, i)
}

/// The receiver as a string (the evaluator has already raised NPE for a null receiver).
pub(crate) fn recv_str(recv: &Value) -> Result<&str, RuntimeError> {
    match recv {
        Value::Str(s) => Ok(s),
        v => Err(mismatch("String receiver", v)),
    }
}

pub(crate) fn string(s: impl Into<Rc<str>>) -> Value {
    Value::Str(s.into())
}
