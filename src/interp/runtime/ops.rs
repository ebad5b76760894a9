//! Java arithmetic, comparison, equality, conversion and string rendering on runtime values.
//! Operands arrive with their Java classes, so binary numeric promotion reads the variants.

use crate::data::dates::{self as time, Instant};
use crate::interp::ir::{BinOp, Const, Conv, UnOp};
use crate::interp::runtime::error::RuntimeError;
use crate::interp::runtime::hashmap::{JavaHashMap, check_order};
use crate::interp::runtime::javafmt;
use crate::interp::runtime::types::{Prim, Ty};
use crate::interp::runtime::value::{DateClass, MapViewKind, Value};
use std::rc::Rc;

/// The Java class name ES prints in ClassCastException messages.
pub fn java_class(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Byte(_) => "java.lang.Byte",
        Value::Short(_) => "java.lang.Short",
        Value::Char(_) => "java.lang.Character",
        Value::Int(_) => "java.lang.Integer",
        Value::Long(_) => "java.lang.Long",
        Value::Float(_) => "java.lang.Float",
        Value::Double(_) => "java.lang.Double",
        Value::Str(_) => "java.lang.String",
        Value::List(_) => "java.util.ArrayList",
        Value::Map(_) => "java.util.HashMap",
        Value::Set(_) => "java.util.HashSet",
        Value::MapView(_, MapViewKind::Keys) => "java.util.HashMap$KeySet",
        Value::MapView(_, MapViewKind::Values) => "java.util.HashMap$Values",
        Value::MapView(_, MapViewKind::Entries) => "java.util.HashMap$EntrySet",
        Value::MapEntry(_) => "java.util.HashMap$Node",
        Value::Array(_) => "[Ljava.lang.Object;",
        Value::Doc => "org.elasticsearch.search.lookup.LeafDocLookup",
        Value::DocField(_) => "org.elasticsearch.index.fielddata.ScriptDocValues",
        Value::ZonedDateTime(_, DateClass::ZonedDateTime) => "java.time.ZonedDateTime",
        Value::ZonedDateTime(_, DateClass::JodaCompatible) => "org.opensearch.script.JodaCompatibleZonedDateTime",
        Value::Instant(_) => "java.time.Instant",
        Value::Duration(_) => "java.time.Duration",
    }
}

fn java_class_of_ty(t: &Ty) -> String {
    match t {
        Ty::Prim(p) | Ty::Boxed(p) => format!("java.lang.{}", p.box_name()),
        Ty::String => "java.lang.String".into(),
        Ty::List | Ty::ArrayList => "java.util.List".into(),
        Ty::Map | Ty::HashMap | Ty::DocMap => "java.util.Map".into(),
        Ty::Set | Ty::HashSet => "java.util.Set".into(),
        Ty::Collection => "java.util.Collection".into(),
        Ty::MapEntry => "java.util.Map$Entry".into(),
        Ty::Number => "java.lang.Number".into(),
        Ty::CharSequence => "java.lang.CharSequence".into(),
        Ty::Iterator => "java.util.Iterator".into(),
        other => other.painless_name(),
    }
}

/// The JDK 11+ ClassCastException message.
pub fn class_cast(v: &Value, to: &Ty) -> RuntimeError {
    let (a, b) = (java_class(v), java_class_of_ty(to));
    let module = |c: &str| c.starts_with("java.");
    let tail = if module(a) && module(&b) {
        format!("{a} and {b} are in module java.base of loader 'bootstrap'")
    } else {
        format!("{a} is in unnamed module of loader 'app'; {b} is in module java.base of loader 'bootstrap'")
    };
    RuntimeError::class_cast(format!("class {a} cannot be cast to class {b} ({tail})"))
}

/// Whether `+` on these runtime values is a string concatenation (Painless `DefMath.add`: when
/// either operand is a `String`), as both evaluators decide it for `def` operands.
pub fn is_concatenation(a: &Value, b: &Value) -> bool {
    matches!(a, Value::Str(_)) || matches!(b, Value::Str(_))
}

/// `String.valueOf(x)` / `x.toString()` / string concatenation as Java prints it: doubles and floats with JDK 21's
/// shortest digits, chars as the character, collections as `[a, b]` and maps as `{k=v}` in
/// HashMap order. Arrays print an identity hash code in Java (`[I@1b6d3586`), which is not
/// reproducible, so they are refused.
pub fn to_java_string(v: &Value) -> Result<String, RuntimeError> {
    let mut out = String::new();
    write_java_string(&mut out, v)?;
    Ok(out)
}

fn write_seq<'a>(out: &mut String, items: impl Iterator<Item = &'a Value>) -> Result<(), RuntimeError> {
    out.push('[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_java_string(out, item)?;
    }
    out.push(']');
    Ok(())
}

/// `key=value` pairs in iteration order: a map's `toString` in braces, its entry set's in brackets.
fn write_entries(out: &mut String, m: &JavaHashMap, (open, close): (char, char)) -> Result<(), RuntimeError> {
    out.push(open);
    for (i, (k, val)) in m.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_java_string(out, k)?;
        out.push('=');
        write_java_string(out, val)?;
    }
    out.push(close);
    Ok(())
}

fn write_java_string(out: &mut String, v: &Value) -> Result<(), RuntimeError> {
    match v {
        // One call per level of nesting: a deeply nested value grows the stack on the heap.
        Value::List(_) | Value::Set(_) | Value::MapView(..) | Value::Map(_) | Value::MapEntry(_) => {
            crate::interp::runtime::value::deep(|| write_java_string_level(out, v))
        }
        _ => write_java_string_level(out, v),
    }
}

fn write_java_string_level(out: &mut String, v: &Value) -> Result<(), RuntimeError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Byte(x) => out.push_str(&x.to_string()),
        Value::Short(x) => out.push_str(&x.to_string()),
        Value::Int(x) => out.push_str(&x.to_string()),
        Value::Long(x) => out.push_str(&x.to_string()),
        Value::Char(c) => out.push_str(&javafmt::char_to_string(*c).ok_or_else(|| {
            RuntimeError::unsupported_locally("a lone surrogate char has no string form in the local subset")
        })?),
        Value::Float(f) => out.push_str(&javafmt::float_to_string(*f)),
        Value::Double(d) => out.push_str(&javafmt::double_to_string(*d)),
        Value::Str(s) => out.push_str(s),
        Value::List(l) => write_seq(out, l.borrow().iter())?,
        Value::Set(m) | Value::MapView(m, MapViewKind::Keys) => {
            check_order(&m.borrow())?;
            write_seq(out, m.borrow().keys())?
        }
        Value::MapView(m, MapViewKind::Values) => {
            check_order(&m.borrow())?;
            write_seq(out, m.borrow().values())?
        }
        Value::MapView(m, MapViewKind::Entries) => {
            check_order(&m.borrow())?;
            write_entries(out, &m.borrow(), ('[', ']'))?
        }
        Value::Map(m) => {
            check_order(&m.borrow())?;
            write_entries(out, &m.borrow(), ('{', '}'))?
        }
        Value::MapEntry(e) => {
            write_java_string(out, &e.0)?;
            out.push('=');
            write_java_string(out, &e.1)?;
        }
        Value::ZonedDateTime(i, class) => out.push_str(&date_text(*i, *class)?),
        Value::Instant(i) => out.push_str(&instant_text(*i)?),
        Value::Duration(d) => out.push_str(&time::duration_to_string(*d)),
        Value::Array(_) | Value::Doc | Value::DocField(_) => {
            return Err(RuntimeError::unsupported_locally(format!(
                "the string form of a {} (an identity hash code or doc-values internals in Java) is unsupported in the local subset",
                v.type_name()
            )));
        }
    }
    Ok(())
}

/// A date outside the years Java's formatters and ours agree on.
pub(crate) fn out_of_years() -> RuntimeError {
    RuntimeError::unsupported_locally("a date outside the years 0000-9999 is unsupported in the local subset")
}

/// `toString()` of a date doc value: Java's `ZonedDateTime.toString()`, or OpenSearch's
/// `JodaCompatibleZonedDateTime`, which formats with `strict_date_time`.
pub(crate) fn date_text(i: Instant, class: DateClass) -> Result<String, RuntimeError> {
    match class {
        DateClass::ZonedDateTime => time::zoned_to_string(i),
        DateClass::JodaCompatible => time::strict_date_time(i),
    }
    .ok_or_else(out_of_years)
}

/// `Instant.toString()`.
pub(crate) fn instant_text(i: Instant) -> Result<String, RuntimeError> {
    time::instant_to_string(i).ok_or_else(out_of_years)
}

/// Java numeric cast of a primitive value to `to` (widening or narrowing).
pub fn prim_cast(v: &Value, to: Prim) -> Result<Value, RuntimeError> {
    if to == Prim::Boolean {
        return match v {
            Value::Bool(_) => Ok(v.clone()),
            _ => Err(class_cast(v, &Ty::BOOLEAN)),
        };
    }
    if v.prim() == Some(to) {
        return Ok(v.clone());
    }
    // Integral sources go through i64 (wrapping narrowing), floating ones through Java's
    // float→int/long rules (NaN→0, saturation) and then wrap to the smaller integral types.
    enum N {
        I(i64),
        F(f64),
        F32(f32),
    }
    let n = match v {
        Value::Byte(x) => N::I(*x as i64),
        Value::Short(x) => N::I(*x as i64),
        Value::Char(x) => N::I(*x as i64),
        Value::Int(x) => N::I(*x as i64),
        Value::Long(x) => N::I(*x),
        Value::Float(x) => N::F32(*x),
        Value::Double(x) => N::F(*x),
        Value::Null => return Err(RuntimeError::null_pointer("Cannot unbox a null value")),
        other => return Err(class_cast(other, &Ty::Prim(to))),
    };
    let as_int = |n: &N| -> i32 {
        match n {
            N::I(i) => *i as i32,
            N::F(f) => *f as i32,
            N::F32(f) => *f as i32,
        }
    };
    Ok(match to {
        Prim::Byte => Value::Byte(match n {
            N::I(i) => i as i8,
            _ => as_int(&n) as i8,
        }),
        Prim::Short => Value::Short(match n {
            N::I(i) => i as i16,
            _ => as_int(&n) as i16,
        }),
        Prim::Char => Value::Char(match n {
            N::I(i) => i as u16,
            _ => as_int(&n) as u16,
        }),
        Prim::Int => Value::Int(as_int(&n)),
        Prim::Long => Value::Long(match n {
            N::I(i) => i,
            N::F(f) => f as i64,
            N::F32(f) => f as i64,
        }),
        Prim::Float => Value::Float(match n {
            N::I(i) => i as f32,
            N::F(f) => f as f32,
            N::F32(f) => f,
        }),
        Prim::Double => Value::Double(match n {
            N::I(i) => i as f64,
            N::F(f) => f,
            N::F32(f) => f as f64,
        }),
        Prim::Boolean => unreachable!("handled above"),
    })
}

/// `def` → type with Painless's implicit rules (only widening from the runtime class).
pub fn def_implicit(v: Value, to: &Ty) -> Result<Value, RuntimeError> {
    match to {
        Ty::Def | Ty::Object => Ok(v),
        Ty::Prim(Prim::Boolean) => match v {
            Value::Bool(_) => Ok(v),
            _ => Err(def_cast_error(&v, Prim::Boolean, None)),
        },
        Ty::Prim(p) => match v.prim() {
            Some(from) if from.widens_to(*p) => prim_cast(&v, *p),
            _ => Err(def_cast_error(&v, *p, Some(true))),
        },
        _ => check_ref(v, to),
    }
}

/// ES's `Def.castException` for a `def` value that does not convert to a primitive:
/// `cannot [implicitly |explicitly ]cast def [<unboxed class>] to <primitive>` (booleans name no
/// direction). On null, ES's `value.getClass()` throws first. Checked on the engine.
pub fn def_cast_error(v: &Value, to: Prim, implicit: Option<bool>) -> RuntimeError {
    if v.is_null() {
        return RuntimeError::null_pointer("Cannot invoke \"Object.getClass()\" because \"value\" is null");
    }
    let how = match implicit {
        Some(true) => "implicitly ",
        Some(false) => "explicitly ",
        None => "",
    };
    let class = match (v.prim(), v) {
        (Some(p), _) => p.name().to_string(),
        (None, Value::Array(_)) => v.runtime_ty().painless_name(),
        // Canonical names use a dot for nested classes (`java.util.HashMap.Node`).
        (None, _) => java_class(v).replace('$', "."),
    };
    RuntimeError::class_cast(format!("cannot {how}cast def [{class}] to {}", to.name()))
}

/// A `def` operator's result at its primitive target. The call site returns the target type, and
/// `DefBootstrap.MIC` fits the operator's handle to it with `MethodHandle.asType`: identity and
/// widening pass; anything else is its `ClassCastException("Cannot cast from: <result> to <target>")`
/// (checked on the engine: `int x = aLong + 1`). A result with no primitive type takes the implicit rule.
pub fn def_operator_result(v: Value, to: Prim) -> Result<Value, RuntimeError> {
    match v.prim() {
        Some(from) if from.widens_to(to) => prim_cast(&v, to),
        Some(from) => Err(RuntimeError::class_cast(format!("Cannot cast from: {} to {}", from.name(), to.name()))),
        None => def_implicit(v, &Ty::Prim(to)),
    }
}

/// `(T) def`: numeric runtime classes convert like Java's explicit casts.
pub fn def_explicit(v: Value, to: &Ty) -> Result<Value, RuntimeError> {
    match to {
        Ty::Prim(Prim::Boolean) => def_implicit(v, to),
        Ty::Prim(p) => match &v {
            Value::Bool(_) | Value::Null => Err(def_cast_error(&v, *p, Some(false))),
            _ if v.prim().is_some() => prim_cast(&v, *p),
            Value::Str(s) if *p == Prim::Char => string_to_char(s),
            _ => Err(def_cast_error(&v, *p, Some(false))),
        },
        _ => check_ref(v, to),
    }
}

pub fn string_to_char(s: &str) -> Result<Value, RuntimeError> {
    let mut units = s.encode_utf16();
    match (units.next(), units.next()) {
        (Some(c), None) => Ok(Value::Char(c)),
        // ES's `Utility.StringTochar` (checked on the engine).
        _ => Err(RuntimeError::class_cast("cannot cast java.lang.String with length not equal to one to char")),
    }
}

/// A checked reference cast: null passes, anything not an instance of `to` fails.
pub fn check_ref(v: Value, to: &Ty) -> Result<Value, RuntimeError> {
    if v.is_null() || instance_of(&v, to) { Ok(v) } else { Err(class_cast(&v, to)) }
}

/// Java `instanceof` (null is never an instance).
pub fn instance_of(v: &Value, t: &Ty) -> bool {
    if v.is_null() {
        return false;
    }
    match t {
        Ty::Def | Ty::Object => true,
        Ty::Prim(p) | Ty::Boxed(p) => v.prim() == Some(*p),
        Ty::Number => v.is_number(),
        Ty::Array(elem) => matches!(v, Value::Array(a) if a.borrow().elem == **elem),
        _ => {
            let rt = v.runtime_ty();
            rt == *t || rt.supertypes().contains(t)
        }
    }
}

fn num_kind(v: &Value) -> Option<u8> {
    // 0 int-like, 1 long, 2 float, 3 double
    Some(match v {
        Value::Byte(_) | Value::Short(_) | Value::Char(_) | Value::Int(_) => 0,
        Value::Long(_) => 1,
        Value::Float(_) => 2,
        Value::Double(_) => 3,
        _ => return None,
    })
}

fn op_symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Rem => "%",
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Shl => "<<",
        BinOp::Shr => ">>",
        BinOp::UShr => ">>>",
        BinOp::BitAnd => "&",
        BinOp::BitXor => "^",
        BinOp::BitOr => "|",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
    }
}

/// ES's `DefMath` failure: its message reads `left.getClass()` then `right.getClass()`, so a null
/// operand raises that NullPointerException first. The engine names `leftObject` instead while the
/// call site is still being linked, so only the exception type and position are exact there.
/// The shifts go through a method-handle lookup (`args[0]`). A null bitwise operand names a variable
/// that depends on the call site's state (the engine said `o` and `leftObject` for the same script),
/// and a null shift distance fails inside the JVM's own conversions: both are refused.
fn bad_operands(op: BinOp, a: &Value, b: &Value) -> RuntimeError {
    let npe = |name: &str| {
        RuntimeError::null_pointer(format!("Cannot invoke \"Object.getClass()\" because \"{name}\" is null"))
    };
    match op {
        BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor if a.is_null() || b.is_null() => {
            return RuntimeError::unsupported_locally(
                "a null operand of a def bitwise operator (ES's message depends on the call site's state)",
            );
        }
        BinOp::Shl | BinOp::Shr | BinOp::UShr if a.is_null() => return npe("args[0]"),
        BinOp::Shl | BinOp::Shr | BinOp::UShr if b.is_null() => {
            return RuntimeError::unsupported_locally(
                "a null shift distance on def (the JVM's conversion message is not reproduced locally)",
            );
        }
        _ => {}
    }
    for (v, name) in [(a, "left"), (b, "right")] {
        if v.is_null() {
            return npe(name);
        }
    }
    RuntimeError::class_cast(format!(
        "Cannot apply [{}] operation to types [{}] and [{}].",
        op_symbol(op),
        java_class(a).replace('$', "."),
        java_class(b).replace('$', ".")
    ))
}

fn div_by_zero() -> RuntimeError {
    RuntimeError::arithmetic("/ by zero")
}

/// A binary arithmetic, bitwise, shift or comparison operator on two values.
pub fn binary(op: BinOp, a: &Value, b: &Value) -> Result<Value, RuntimeError> {
    use BinOp::*;
    // The hot case of score scripts, same arithmetic as the general double arm below.
    if let (Value::Double(x), Value::Double(y)) = (a, b) {
        match op {
            Mul => return Ok(Value::Double(x * y)),
            Div => return Ok(Value::Double(x / y)),
            Add => return Ok(Value::Double(x + y)),
            Sub => return Ok(Value::Double(x - y)),
            _ => {}
        }
    }
    if matches!(op, Shl | Shr | UShr) {
        return shift(op, a, b);
    }
    if matches!(op, BitAnd | BitXor | BitOr)
        && let (Value::Bool(x), Value::Bool(y)) = (a, b)
    {
        return Ok(Value::Bool(match op {
            BitAnd => x & y,
            BitXor => x ^ y,
            _ => x | y,
        }));
    }
    let (Some(ka), Some(kb)) = (num_kind(a), num_kind(b)) else { return Err(bad_operands(op, a, b)) };
    let k = ka.max(kb);
    if k >= 2 && matches!(op, BitAnd | BitXor | BitOr) {
        return Err(bad_operands(op, a, b));
    }
    Ok(match k {
        0 => {
            let (x, y) = (a.as_i64().unwrap_or(0) as i32, b.as_i64().unwrap_or(0) as i32);
            match op {
                Mul => Value::Int(x.wrapping_mul(y)),
                Div => Value::Int(if y == 0 { return Err(div_by_zero()) } else { x.wrapping_div(y) }),
                Rem => Value::Int(if y == 0 { return Err(div_by_zero()) } else { x.wrapping_rem(y) }),
                Add => Value::Int(x.wrapping_add(y)),
                Sub => Value::Int(x.wrapping_sub(y)),
                BitAnd => Value::Int(x & y),
                BitXor => Value::Int(x ^ y),
                BitOr => Value::Int(x | y),
                Lt => Value::Bool(x < y),
                Le => Value::Bool(x <= y),
                Gt => Value::Bool(x > y),
                Ge => Value::Bool(x >= y),
                Shl | Shr | UShr => unreachable!("shifts handled above"),
            }
        }
        1 => {
            let (x, y) = (a.as_i64().unwrap_or(0), b.as_i64().unwrap_or(0));
            match op {
                Mul => Value::Long(x.wrapping_mul(y)),
                Div => Value::Long(if y == 0 { return Err(div_by_zero()) } else { x.wrapping_div(y) }),
                Rem => Value::Long(if y == 0 { return Err(div_by_zero()) } else { x.wrapping_rem(y) }),
                Add => Value::Long(x.wrapping_add(y)),
                Sub => Value::Long(x.wrapping_sub(y)),
                BitAnd => Value::Long(x & y),
                BitXor => Value::Long(x ^ y),
                BitOr => Value::Long(x | y),
                Lt => Value::Bool(x < y),
                Le => Value::Bool(x <= y),
                Gt => Value::Bool(x > y),
                Ge => Value::Bool(x >= y),
                Shl | Shr | UShr => unreachable!("shifts handled above"),
            }
        }
        2 => {
            let (x, y) = (as_f32(a), as_f32(b));
            match op {
                Mul => Value::Float(x * y),
                Div => Value::Float(x / y),
                Rem => Value::Float(x % y),
                Add => Value::Float(x + y),
                Sub => Value::Float(x - y),
                Lt => Value::Bool(x < y),
                Le => Value::Bool(x <= y),
                Gt => Value::Bool(x > y),
                Ge => Value::Bool(x >= y),
                _ => return Err(bad_operands(op, a, b)),
            }
        }
        _ => {
            let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            match op {
                Mul => Value::Double(x * y),
                Div => Value::Double(x / y),
                Rem => Value::Double(x % y),
                Add => Value::Double(x + y),
                Sub => Value::Double(x - y),
                Lt => Value::Bool(x < y),
                Le => Value::Bool(x <= y),
                Gt => Value::Bool(x > y),
                Ge => Value::Bool(x >= y),
                _ => return Err(bad_operands(op, a, b)),
            }
        }
    })
}

/// Widen an int-like or long or float value to f32 (Java's float promotion).
fn as_f32(v: &Value) -> f32 {
    match v {
        Value::Float(f) => *f,
        Value::Long(l) => *l as f32,
        other => other.as_i64().map(|i| i as f32).unwrap_or(f32::NAN),
    }
}

fn shift(op: BinOp, a: &Value, b: &Value) -> Result<Value, RuntimeError> {
    let (Some(ka), Some(kb)) = (num_kind(a), num_kind(b)) else { return Err(bad_operands(op, a, b)) };
    if ka >= 2 || kb >= 2 {
        return Err(bad_operands(op, a, b));
    }
    let dist = b.as_i64().unwrap_or(0);
    Ok(if ka == 0 {
        let x = a.as_i64().unwrap_or(0) as i32;
        let d = (dist & 31) as u32;
        Value::Int(match op {
            BinOp::Shl => x.wrapping_shl(d),
            BinOp::Shr => x.wrapping_shr(d),
            _ => ((x as u32) >> d) as i32,
        })
    } else {
        let x = a.as_i64().unwrap_or(0);
        let d = (dist & 63) as u32;
        Value::Long(match op {
            BinOp::Shl => x.wrapping_shl(d),
            BinOp::Shr => x.wrapping_shr(d),
            _ => ((x as u64) >> d) as i64,
        })
    })
}

pub fn unary(op: UnOp, v: &Value) -> Result<Value, RuntimeError> {
    let bad = || {
        let sym = match op {
            UnOp::Plus => "+",
            UnOp::Neg => "-",
            UnOp::BitNot => "~",
            UnOp::Not => "!",
        };
        if v.is_null() {
            // ES's `DefMath` unary call site reads the operand's class first (checked on the engine).
            RuntimeError::null_pointer("Cannot invoke \"Object.getClass()\" because \"args[0]\" is null")
        } else {
            RuntimeError::class_cast(format!("Cannot apply [{sym}] operation to type [{}].", java_class(v)))
        }
    };
    Ok(match (op, v) {
        (UnOp::Not, Value::Bool(b)) => Value::Bool(!b),
        (UnOp::Plus, Value::Float(_) | Value::Double(_) | Value::Long(_)) => v.clone(),
        (UnOp::Neg, Value::Float(f)) => Value::Float(-f),
        (UnOp::Neg, Value::Double(f)) => Value::Double(-f),
        (UnOp::Neg, Value::Long(x)) => Value::Long(x.wrapping_neg()),
        (UnOp::BitNot, Value::Long(x)) => Value::Long(!x),
        (UnOp::Plus | UnOp::Neg | UnOp::BitNot, _) => {
            let Some(0) = num_kind(v) else { return Err(bad()) };
            let x = v.as_i64().unwrap_or(0) as i32;
            Value::Int(match op {
                UnOp::Plus => x,
                UnOp::Neg => x.wrapping_neg(),
                _ => !x,
            })
        }
        _ => return Err(bad()),
    })
}

/// Painless `==` on references and def: numbers of different box classes compare numerically,
/// otherwise null-safe `equals`.
pub fn painless_equals(a: &Value, b: &Value) -> bool {
    match (num_kind_or_char(a), num_kind_or_char(b)) {
        (Some(_), Some(_)) => match binary(BinOp::Ge, a, b) {
            Ok(Value::Bool(ge)) => ge && matches!(binary(BinOp::Le, a, b), Ok(Value::Bool(true))),
            _ => false,
        },
        _ => a.java_equals(b),
    }
}

fn num_kind_or_char(v: &Value) -> Option<u8> {
    num_kind(v)
}

/// Primitive `==` after promotion (both operands already converted to the same primitive).
pub fn primitive_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        _ => {
            matches!(binary(BinOp::Ge, a, b), Ok(Value::Bool(true)))
                && matches!(binary(BinOp::Le, a, b), Ok(Value::Bool(true)))
        }
    }
}

/// `===` with Java's object identity (boxed integers are identical when equal and within the JVM's
/// box cache), refusing what the local values cannot tell: two equal strings
/// that are different objects here may be one object in Java (library methods sometimes return
/// their receiver, `'ab'.substring(0)`, and sometimes a copy). String constants are interned as
/// the JVM's constant pool does (`const_value` below), so equal literals are one object.
pub fn identical_checked(a: &Value, b: &Value) -> Result<bool, RuntimeError> {
    if let (Value::Str(x), Value::Str(y)) = (a, b)
        && !std::rc::Rc::ptr_eq(x, y)
        && x == y
    {
        return Err(RuntimeError::unsupported_locally(
            "`===` on equal strings that are not the same string constant: whether Java shares one object \
             depends on how each was produced",
        ));
    }
    Ok(identical(a, b))
}

pub fn identical(a: &Value, b: &Value) -> bool {
    use std::rc::Rc;
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Byte(x), Value::Byte(y)) => x == y,
        (Value::Short(x), Value::Short(y)) => x == y && (-128..=127).contains(x),
        (Value::Char(x), Value::Char(y)) => x == y && *x <= 127,
        (Value::Int(x), Value::Int(y)) => x == y && (-128..=127).contains(x),
        (Value::Long(x), Value::Long(y)) => x == y && (-128..=127).contains(x),
        (Value::Str(x), Value::Str(y)) => Rc::ptr_eq(x, y),
        (Value::List(x), Value::List(y)) => Rc::ptr_eq(x, y),
        (Value::Map(x), Value::Map(y)) | (Value::Set(x), Value::Set(y)) => Rc::ptr_eq(x, y),
        (Value::Array(x), Value::Array(y)) => Rc::ptr_eq(x, y),
        (Value::MapEntry(x), Value::MapEntry(y)) => Rc::ptr_eq(x, y),
        (Value::Doc, Value::Doc) => true,
        _ => false,
    }
}

/// A checker-inserted conversion applied to a value (both evaluators and constant folding).
pub(crate) fn convert(v: Value, conv: &Conv) -> Result<Value, RuntimeError> {
    match conv {
        Conv::Prim(p) => prim_cast(&v, *p),
        Conv::DefImplicit(t) => def_implicit(v, t),
        Conv::DefExplicit(t) => def_explicit(v, t),
        Conv::DefOpResult(p) => def_operator_result(v, *p),
        Conv::Unbox(p) => {
            if v.is_null() {
                return Err(RuntimeError::null_pointer(format!(
                    "Cannot invoke \"java.lang.Number.{}Value()\" because the value is null",
                    p.name()
                )));
            }
            prim_cast(&v, *p)
        }
        Conv::CheckRef(t) => check_ref(v, t),
        Conv::StringToChar => match &v {
            Value::Str(s) => string_to_char(s),
            Value::Null => Err(RuntimeError::class_cast("cannot cast null java.lang.String to char")),
            other => Err(class_cast(other, &Ty::CHAR)),
        },
        Conv::CharToString => match &v {
            Value::Char(c) => Ok(Value::str(&String::from_utf16_lossy(&[*c]))),
            other => Err(class_cast(other, &Ty::String)),
        },
    }
}

/// Materialise the constant pool (once per `Bound`).
pub fn const_value(c: &Const) -> Value {
    match c {
        Const::Null => Value::Null,
        Const::Bool(b) => Value::Bool(*b),
        Const::Byte(v) => Value::Byte(*v),
        Const::Short(v) => Value::Short(*v),
        Const::Char(v) => Value::Char(*v),
        Const::Int(v) => Value::Int(*v),
        Const::Long(v) => Value::Long(*v),
        Const::Float(v) => Value::Float(*v),
        Const::Double(v) => Value::Double(*v),
        Const::Str(s) => Value::Str(interned(s)),
    }
}

thread_local! {
    /// The JVM interns every string constant: equal literals (after ES's constant folding) are one
    /// object, so `'x'` stored in one place is `===` to `'x'` written in another.
    static INTERNED: std::cell::RefCell<std::collections::HashMap<Box<str>, Rc<str>>> = Default::default();
}

const MAX_INTERNED: usize = 1 << 16;

fn interned(s: &str) -> Rc<str> {
    INTERNED.with(|t| {
        let mut t = t.borrow_mut();
        if let Some(rc) = t.get(s) {
            return Rc::clone(rc);
        }
        let rc: Rc<str> = Rc::from(s);
        // Bounded: forgetting old constants only turns a later `===` on them into a refusal.
        if t.len() >= MAX_INTERNED {
            t.clear();
        }
        t.insert(Box::from(s), Rc::clone(&rc));
        rc
    })
}
