//! Registrations for `String` (painless-facts §6), `Object` (`toString`, `equals`, `hashCode`) and
//! `String.valueOf`, plus [`to_java_string`]: Java's `String.valueOf(Object)` for every value,
//! which string concatenation uses too.

use super::args::{any_at, i32_at, recv_str, str_at, string};
use crate::interp::runtime::error::RuntimeError;
use crate::interp::runtime::ops::to_java_string;
use crate::interp::runtime::strings;
use crate::interp::runtime::types::Ty;
use crate::interp::runtime::value::{MapViewKind, Value};
use crate::interp::stdlib::registry::{CallCtx, MethodImp, MethodSig, Registry, StaticSig};

fn method(reg: &mut Registry, receiver: Ty, name: &'static str, params: Vec<Ty>, ret: Ty, imp: MethodImp) {
    reg.add_method(MethodSig { receiver, name, params, ret, imp });
}

fn ok_str(s: impl Into<std::rc::Rc<str>>) -> Result<Value, RuntimeError> {
    Ok(string(s))
}

fn checked(ctx: &CallCtx<'_>, s: String) -> Result<Value, RuntimeError> {
    ctx.check_string_len(s.len())?;
    Ok(string(s))
}

pub fn register(reg: &mut Registry) {
    let s = Ty::String;
    let cs = Ty::CharSequence;
    let i = Ty::INT;
    let b = Ty::BOOLEAN;
    method(reg, s.clone(), "length", vec![], i.clone(), |_, r, _| Ok(Value::Int(strings::length(recv_str(r)?))));
    method(reg, s.clone(), "isEmpty", vec![], b.clone(), |_, r, _| Ok(Value::Bool(recv_str(r)?.is_empty())));
    method(reg, s.clone(), "charAt", vec![i.clone()], Ty::CHAR, |_, r, a| {
        Ok(Value::Char(strings::char_at(recv_str(r)?, i32_at(a, 0)?)?))
    });
    method(reg, s.clone(), "substring", vec![i.clone()], s.clone(), |_, r, a| {
        ok_str(strings::substring(recv_str(r)?, i32_at(a, 0)?, None)?)
    });
    method(reg, s.clone(), "substring", vec![i.clone(), i.clone()], s.clone(), |_, r, a| {
        ok_str(strings::substring(recv_str(r)?, i32_at(a, 0)?, Some(i32_at(a, 1)?))?)
    });
    // indexOf/lastIndexOf take a String in Painless's whitelist (the int/char overloads share the
    // arity and are not reachable by name + arity); a char argument is refused by the checker.
    method(reg, s.clone(), "indexOf", vec![s.clone()], i.clone(), |_, r, a| {
        Ok(Value::Int(strings::index_of(recv_str(r)?, str_at(a, 0, "String.indexOf")?, 0)?))
    });
    method(reg, s.clone(), "indexOf", vec![s.clone(), i.clone()], i.clone(), |_, r, a| {
        Ok(Value::Int(strings::index_of(recv_str(r)?, str_at(a, 0, "String.indexOf")?, i32_at(a, 1)?)?))
    });
    method(reg, s.clone(), "lastIndexOf", vec![s.clone()], i.clone(), |_, r, a| {
        let recv = recv_str(r)?;
        Ok(Value::Int(strings::last_index_of(recv, str_at(a, 0, "String.lastIndexOf")?, strings::length(recv))?))
    });
    method(reg, s.clone(), "lastIndexOf", vec![s.clone(), i.clone()], i.clone(), |_, r, a| {
        Ok(Value::Int(strings::last_index_of(recv_str(r)?, str_at(a, 0, "String.lastIndexOf")?, i32_at(a, 1)?)?))
    });
    method(reg, s.clone(), "contains", vec![cs.clone()], b.clone(), |_, r, a| {
        Ok(Value::Bool(recv_str(r)?.contains(str_at(a, 0, "String.contains")?)))
    });
    method(reg, s.clone(), "startsWith", vec![s.clone()], b.clone(), |_, r, a| {
        Ok(Value::Bool(recv_str(r)?.starts_with(str_at(a, 0, "String.startsWith")?)))
    });
    method(reg, s.clone(), "startsWith", vec![s.clone(), i.clone()], b.clone(), |_, r, a| {
        Ok(Value::Bool(strings::starts_with_at(recv_str(r)?, str_at(a, 0, "String.startsWith")?, i32_at(a, 1)?)))
    });
    method(reg, s.clone(), "endsWith", vec![s.clone()], b.clone(), |_, r, a| {
        Ok(Value::Bool(recv_str(r)?.ends_with(str_at(a, 0, "String.endsWith")?)))
    });
    method(reg, s.clone(), "toLowerCase", vec![], s.clone(), |_, r, _| ok_str(strings::to_lower_case(recv_str(r)?)));
    method(reg, s.clone(), "toUpperCase", vec![], s.clone(), |_, r, _| ok_str(strings::to_upper_case(recv_str(r)?)));
    method(reg, s.clone(), "trim", vec![], s.clone(), |_, r, _| ok_str(strings::trim(recv_str(r)?)));
    method(reg, s.clone(), "replace", vec![cs.clone(), cs.clone()], s.clone(), |ctx, r, a| {
        let out = strings::replace(recv_str(r)?, str_at(a, 0, "String.replace")?, str_at(a, 1, "String.replace")?)?;
        checked(ctx, out)
    });
    method(reg, s.clone(), "concat", vec![s.clone()], s.clone(), |ctx, r, a| {
        checked(ctx, format!("{}{}", recv_str(r)?, str_at(a, 0, "String.concat")?))
    });
    method(reg, s.clone(), "repeat", vec![i.clone()], s.clone(), |ctx, r, a| {
        let recv = recv_str(r)?;
        let count = i32_at(a, 0)?;
        ctx.check_string_cap(recv.len().saturating_mul(count.max(0) as usize))?;
        checked(ctx, strings::repeat(recv, count)?)
    });
    method(reg, s.clone(), "compareTo", vec![s.clone()], i.clone(), |_, r, a| {
        Ok(Value::Int(strings::compare_to(recv_str(r)?, str_at(a, 0, "String.compareTo")?)))
    });
    method(reg, s.clone(), "compareToIgnoreCase", vec![s.clone()], i.clone(), |_, r, a| {
        Ok(Value::Int(strings::compare_to_ignore_case(recv_str(r)?, str_at(a, 0, "String.compareToIgnoreCase")?)))
    });
    method(reg, s.clone(), "equalsIgnoreCase", vec![s.clone()], b.clone(), |_, r, a| {
        Ok(Value::Bool(match any_at(a, 0)? {
            Value::Str(o) => strings::equals_ignore_case(recv_str(r)?, o),
            _ => false,
        }))
    });
    method(reg, s.clone(), "splitOnToken", vec![s.clone()], Ty::Array(Box::new(s.clone())), |ctx, r, a| {
        split(ctx, recv_str(r)?, str_at(a, 0, "String.splitOnToken")?, -1)
    });
    method(reg, s.clone(), "splitOnToken", vec![s.clone(), i.clone()], Ty::Array(Box::new(s.clone())), |ctx, r, a| {
        split(ctx, recv_str(r)?, str_at(a, 0, "String.splitOnToken")?, i32_at(a, 1)?)
    });

    // Object members, inherited by every class.
    method(reg, Ty::Object, "toString", vec![], s.clone(), |ctx, r, _| checked(ctx, to_java_string(r)?));
    method(reg, Ty::Object, "equals", vec![Ty::Object], b.clone(), |_, r, a| {
        Ok(Value::Bool(r.java_equals(any_at(a, 0)?)))
    });
    method(reg, Ty::Object, "hashCode", vec![], i.clone(), |_, r, _| match r {
        Value::Array(_) | Value::MapView(..) => Err(RuntimeError::unsupported_locally(
            "identity hash codes (arrays, map views) are not reproducible locally",
        )),
        v => Ok(Value::Int(v.java_hash_code())),
    });

    reg.add_static(StaticSig {
        class: "String",
        name: "valueOf",
        params: vec![Ty::Def],
        ret: s.clone(),
        imp: |ctx, a| checked(ctx, to_java_string(any_at(a, 0)?)?),
    });
    reg.add_static(StaticSig {
        class: "String",
        name: "join",
        params: vec![cs.clone(), Ty::Collection],
        ret: s.clone(),
        imp: |ctx, a| {
            let delim = str_at(a, 0, "String.join")?;
            let parts: Vec<String> = match any_at(a, 1)? {
                Value::List(l) => l.borrow().iter().map(to_java_string).collect::<Result<_, _>>()?,
                Value::Set(m) | Value::MapView(m, MapViewKind::Keys) => {
                    m.borrow().keys().map(to_java_string).collect::<Result<_, _>>()?
                }
                Value::MapView(m, MapViewKind::Values) => {
                    m.borrow().values().map(to_java_string).collect::<Result<_, _>>()?
                }
                Value::Null => return Err(super::args::null_argument("String.join")),
                other => {
                    return Err(RuntimeError::unsupported_locally(format!(
                        "String.join over a {} is unsupported in the local subset",
                        other.type_name()
                    )));
                }
            };
            checked(ctx, parts.join(delim))
        },
    });
    reg.add_unsupported_member(
        "String",
        "format",
        "String.format depends on java.util.Formatter and the JVM locale; unsupported in the local subset",
    );
}

fn split(ctx: &CallCtx<'_>, s: &str, token: &str, limit: i32) -> Result<Value, RuntimeError> {
    let parts = strings::split_on_token(s, token, limit)?;
    ctx.check_collection_len(parts.len())?;
    Ok(Value::new_array(Ty::String, parts.into_iter().map(string).collect()))
}
