//! Registrations for `Math`/`StrictMath`, the `Integer`/`Long`/`Float`/`Double`/`Boolean` statics
//! and constants, and the instance methods of `Number` and the boxes.

use super::args::{bool_at, f32_at, f64_at, i32_at, i64_at, str_at, string};
use super::math;
use crate::interp::runtime::error::RuntimeError;
use crate::interp::runtime::types::{Prim, Ty};
use crate::interp::runtime::value::Value;
use crate::interp::runtime::{javafmt, numbers};
use crate::interp::stdlib::registry::{MethodImp, MethodSig, Registry, StaticFieldSig, StaticImp, StaticSig};

fn st(reg: &mut Registry, class: &'static str, name: &'static str, params: Vec<Ty>, ret: Ty, imp: StaticImp) {
    reg.add_static(StaticSig { class, name, params, ret, imp });
}

fn field(reg: &mut Registry, class: &'static str, name: &'static str, ty: Ty, value: fn() -> Value) {
    reg.add_static_field(StaticFieldSig { class, name, ty, value });
}

fn method(reg: &mut Registry, receiver: Ty, name: &'static str, params: Vec<Ty>, ret: Ty, imp: MethodImp) {
    reg.add_method(MethodSig { receiver, name, params, ret, imp });
}

const D: Ty = Ty::DOUBLE;
const I: Ty = Ty::INT;
const L: Ty = Ty::LONG;
const F: Ty = Ty::FLOAT;

fn dbl(x: f64) -> Result<Value, RuntimeError> {
    Ok(Value::Double(x))
}

pub fn register(reg: &mut Registry) {
    register_math(reg);
    register_integer(reg);
    register_long(reg);
    register_floating(reg);
    register_boolean(reg);
    register_number_methods(reg);
}

/// `Math` and `StrictMath` (identical here: see `math.rs` for where HotSpot's `Math` may differ).
fn register_math(reg: &mut Registry) {
    for class in ["Math", "StrictMath"] {
        field(reg, class, "E", D, || Value::Double(math::E));
        field(reg, class, "PI", D, || Value::Double(math::PI));
        reg.add_unsupported_member(class, "random", "Math.random() is not reproducible");
        let unary: [(&'static str, StaticImp); 27] = [
            ("abs", |_, a| dbl(math::abs(f64_at(a, 0)?))),
            ("acos", |_, a| dbl(math::acos(f64_at(a, 0)?))),
            ("asin", |_, a| dbl(math::asin(f64_at(a, 0)?))),
            ("atan", |_, a| dbl(math::atan(f64_at(a, 0)?))),
            ("cbrt", |_, a| dbl(math::cbrt(f64_at(a, 0)?))),
            ("ceil", |_, a| dbl(math::ceil(f64_at(a, 0)?))),
            ("cos", |_, a| dbl(math::cos(f64_at(a, 0)?))),
            ("cosh", |_, a| dbl(math::cosh(f64_at(a, 0)?))),
            ("exp", |_, a| dbl(math::exp(f64_at(a, 0)?))),
            ("expm1", |_, a| dbl(math::expm1(f64_at(a, 0)?))),
            ("floor", |_, a| dbl(math::floor(f64_at(a, 0)?))),
            ("log", |_, a| dbl(math::log(f64_at(a, 0)?))),
            ("log10", |_, a| dbl(math::log10(f64_at(a, 0)?))),
            ("log1p", |_, a| dbl(math::log1p(f64_at(a, 0)?))),
            ("nextDown", |_, a| dbl(math::next_down(f64_at(a, 0)?))),
            ("nextUp", |_, a| dbl(math::next_up(f64_at(a, 0)?))),
            ("rint", |_, a| dbl(math::rint(f64_at(a, 0)?))),
            ("signum", |_, a| dbl(math::signum(f64_at(a, 0)?))),
            ("sin", |_, a| dbl(math::sin(f64_at(a, 0)?))),
            ("sinh", |_, a| dbl(math::sinh(f64_at(a, 0)?))),
            ("sqrt", |_, a| dbl(math::sqrt(f64_at(a, 0)?))),
            ("tan", |_, a| dbl(math::tan(f64_at(a, 0)?))),
            ("tanh", |_, a| dbl(math::tanh(f64_at(a, 0)?))),
            ("toDegrees", |_, a| dbl(math::to_degrees(f64_at(a, 0)?))),
            ("toRadians", |_, a| dbl(math::to_radians(f64_at(a, 0)?))),
            ("ulp", |_, a| dbl(math::ulp(f64_at(a, 0)?))),
            ("round", |_, a| Ok(Value::Long(math::round(f64_at(a, 0)?)))),
        ];
        for (name, imp) in unary {
            let (params, ret) = if name == "round" { (vec![D], L) } else { (vec![D], D) };
            st(reg, class, name, params, ret, imp);
        }
        let binary: [(&'static str, StaticImp); 8] = [
            ("atan2", |_, a| dbl(math::atan2(f64_at(a, 0)?, f64_at(a, 1)?))),
            ("copySign", |_, a| dbl(math::copy_sign(f64_at(a, 0)?, f64_at(a, 1)?))),
            ("hypot", |_, a| dbl(math::hypot(f64_at(a, 0)?, f64_at(a, 1)?))),
            ("IEEEremainder", |_, a| dbl(math::ieee_remainder(f64_at(a, 0)?, f64_at(a, 1)?))),
            ("max", |_, a| dbl(math::max(f64_at(a, 0)?, f64_at(a, 1)?))),
            ("min", |_, a| dbl(math::min(f64_at(a, 0)?, f64_at(a, 1)?))),
            ("nextAfter", |_, a| dbl(math::next_after(f64_at(a, 0)?, f64_at(a, 1)?))),
            ("pow", |_, a| dbl(math::pow(f64_at(a, 0)?, f64_at(a, 1)?))),
        ];
        for (name, imp) in binary {
            st(reg, class, name, vec![D, D], D, imp);
        }
        st(reg, class, "scalb", vec![D, I], D, |_, a| dbl(math::scalb(f64_at(a, 0)?, i32_at(a, 1)?)));
    }
}

fn int(x: i32) -> Result<Value, RuntimeError> {
    Ok(Value::Int(x))
}

fn long(x: i64) -> Result<Value, RuntimeError> {
    Ok(Value::Long(x))
}

fn unsigned_radix(v: u64, radix: i32) -> String {
    let radix = if (2..=36).contains(&radix) { radix as u64 } else { 10 };
    if v == 0 {
        return "0".into();
    }
    let mut out = Vec::new();
    let mut n = v;
    while n > 0 {
        out.push(char::from_digit((n % radix) as u32, radix as u32).unwrap_or('?'));
        n /= radix;
    }
    out.iter().rev().collect()
}

fn register_integer(reg: &mut Registry) {
    let c = "Integer";
    for name in ["decode", "parseUnsignedInt", "getInteger", "compress", "expand"] {
        reg.add_unsupported_member(c, name, "not implemented in the local runtime library");
    }
    field(reg, c, "MAX_VALUE", I, || Value::Int(i32::MAX));
    field(reg, c, "MIN_VALUE", I, || Value::Int(i32::MIN));
    field(reg, c, "SIZE", I, || Value::Int(32));
    field(reg, c, "BYTES", I, || Value::Int(4));
    st(reg, c, "bitCount", vec![I], I, |_, a| int(i32_at(a, 0)?.count_ones() as i32));
    st(reg, c, "compare", vec![I, I], I, |_, a| int(i32_at(a, 0)?.cmp(&i32_at(a, 1)?) as i32));
    st(
        reg,
        c,
        "compareUnsigned",
        vec![I, I],
        I,
        |_, a| int((i32_at(a, 0)? as u32).cmp(&(i32_at(a, 1)? as u32)) as i32),
    );
    st(reg, c, "divideUnsigned", vec![I, I], I, |_, a| {
        let d = i32_at(a, 1)? as u32;
        if d == 0 {
            return Err(RuntimeError::arithmetic("/ by zero"));
        }
        int(((i32_at(a, 0)? as u32) / d) as i32)
    });
    st(reg, c, "remainderUnsigned", vec![I, I], I, |_, a| {
        let d = i32_at(a, 1)? as u32;
        if d == 0 {
            return Err(RuntimeError::arithmetic("/ by zero"));
        }
        int(((i32_at(a, 0)? as u32) % d) as i32)
    });
    st(reg, c, "hashCode", vec![I], I, |_, a| int(i32_at(a, 0)?));
    st(reg, c, "highestOneBit", vec![I], I, |_, a| {
        let v = i32_at(a, 0)? as u32;
        int(if v == 0 { 0 } else { (1u32 << (31 - v.leading_zeros())) as i32 })
    });
    st(reg, c, "lowestOneBit", vec![I], I, |_, a| {
        let v = i32_at(a, 0)?;
        int(v & v.wrapping_neg())
    });
    st(reg, c, "max", vec![I, I], I, |_, a| int(i32_at(a, 0)?.max(i32_at(a, 1)?)));
    st(reg, c, "min", vec![I, I], I, |_, a| int(i32_at(a, 0)?.min(i32_at(a, 1)?)));
    st(reg, c, "sum", vec![I, I], I, |_, a| int(i32_at(a, 0)?.wrapping_add(i32_at(a, 1)?)));
    st(reg, c, "numberOfLeadingZeros", vec![I], I, |_, a| int(i32_at(a, 0)?.leading_zeros() as i32));
    st(reg, c, "numberOfTrailingZeros", vec![I], I, |_, a| int(i32_at(a, 0)?.trailing_zeros() as i32));
    st(reg, c, "parseInt", vec![Ty::String], I, |_, a| int(parse_int_arg(a, 0, 10)?));
    st(reg, c, "parseInt", vec![Ty::String, I], I, |_, a| int(parse_int_arg(a, 0, i32_at(a, 1)?)?));
    st(reg, c, "reverse", vec![I], I, |_, a| int(i32_at(a, 0)?.reverse_bits()));
    st(reg, c, "reverseBytes", vec![I], I, |_, a| int(i32_at(a, 0)?.swap_bytes()));
    st(reg, c, "rotateLeft", vec![I, I], I, |_, a| int(i32_at(a, 0)?.rotate_left((i32_at(a, 1)? & 31) as u32)));
    st(reg, c, "rotateRight", vec![I, I], I, |_, a| int(i32_at(a, 0)?.rotate_right((i32_at(a, 1)? & 31) as u32)));
    st(reg, c, "signum", vec![I], I, |_, a| int(i32_at(a, 0)?.signum()));
    st(reg, c, "toBinaryString", vec![I], Ty::String, |_, a| {
        Ok(string(numbers::int_to_unsigned_string(i32_at(a, 0)?, 1)))
    });
    st(reg, c, "toHexString", vec![I], Ty::String, |_, a| {
        Ok(string(numbers::int_to_unsigned_string(i32_at(a, 0)?, 4)))
    });
    st(reg, c, "toOctalString", vec![I], Ty::String, |_, a| {
        Ok(string(numbers::int_to_unsigned_string(i32_at(a, 0)?, 3)))
    });
    st(reg, c, "toString", vec![I], Ty::String, |_, a| Ok(string(i32_at(a, 0)?.to_string())));
    st(reg, c, "toString", vec![I, I], Ty::String, |_, a| {
        Ok(string(numbers::to_string_radix(i64::from(i32_at(a, 0)?), i32_at(a, 1)?)))
    });
    st(reg, c, "toUnsignedLong", vec![I], L, |_, a| long(i64::from(i32_at(a, 0)? as u32)));
    st(reg, c, "toUnsignedString", vec![I], Ty::String, |_, a| Ok(string((i32_at(a, 0)? as u32).to_string())));
    st(reg, c, "toUnsignedString", vec![I, I], Ty::String, |_, a| {
        Ok(string(unsigned_radix(u64::from(i32_at(a, 0)? as u32), i32_at(a, 1)?)))
    });
    st(reg, c, "valueOf", vec![I], Ty::Boxed(Prim::Int), |_, a| int(i32_at(a, 0)?));
    st(reg, c, "valueOf", vec![Ty::String, I], Ty::Boxed(Prim::Int), |_, a| int(parse_int_arg(a, 0, i32_at(a, 1)?)?));
}

/// Java 17+ `parseInt(null)`/`parseLong(null)` message.
fn null_parse() -> RuntimeError {
    RuntimeError::new("number_format_exception", "Cannot parse null string")
}

fn parse_int_arg(a: &[Value], i: usize, radix: i32) -> Result<i32, RuntimeError> {
    match a.get(i) {
        Some(Value::Null) => Err(null_parse()),
        _ => numbers::parse_int_radix(str_at(a, i, "Integer.parseInt")?, radix),
    }
}

fn parse_long_arg(a: &[Value], i: usize, radix: i32) -> Result<i64, RuntimeError> {
    match a.get(i) {
        Some(Value::Null) => Err(null_parse()),
        _ => numbers::parse_long_radix(str_at(a, i, "Long.parseLong")?, radix),
    }
}

fn register_long(reg: &mut Registry) {
    let c = "Long";
    for name in [
        "decode",
        "parseUnsignedLong",
        "getLong",
        "divideUnsigned",
        "remainderUnsigned",
        "highestOneBit",
        "lowestOneBit",
        "toUnsignedString",
    ] {
        reg.add_unsupported_member(c, name, "not implemented in the local runtime library");
    }
    field(reg, c, "MAX_VALUE", L, || Value::Long(i64::MAX));
    field(reg, c, "MIN_VALUE", L, || Value::Long(i64::MIN));
    field(reg, c, "SIZE", I, || Value::Int(64));
    field(reg, c, "BYTES", I, || Value::Int(8));
    st(reg, c, "bitCount", vec![L], I, |_, a| int(i64_at(a, 0)?.count_ones() as i32));
    st(reg, c, "compare", vec![L, L], I, |_, a| int(i64_at(a, 0)?.cmp(&i64_at(a, 1)?) as i32));
    st(
        reg,
        c,
        "compareUnsigned",
        vec![L, L],
        I,
        |_, a| int((i64_at(a, 0)? as u64).cmp(&(i64_at(a, 1)? as u64)) as i32),
    );
    st(reg, c, "hashCode", vec![L], I, |_, a| int(crate::interp::runtime::hashmap::long_hash_code(i64_at(a, 0)?)));
    st(reg, c, "max", vec![L, L], L, |_, a| long(i64_at(a, 0)?.max(i64_at(a, 1)?)));
    st(reg, c, "min", vec![L, L], L, |_, a| long(i64_at(a, 0)?.min(i64_at(a, 1)?)));
    st(reg, c, "sum", vec![L, L], L, |_, a| long(i64_at(a, 0)?.wrapping_add(i64_at(a, 1)?)));
    st(reg, c, "numberOfLeadingZeros", vec![L], I, |_, a| int(i64_at(a, 0)?.leading_zeros() as i32));
    st(reg, c, "numberOfTrailingZeros", vec![L], I, |_, a| int(i64_at(a, 0)?.trailing_zeros() as i32));
    st(reg, c, "parseLong", vec![Ty::String], L, |_, a| long(parse_long_arg(a, 0, 10)?));
    st(reg, c, "parseLong", vec![Ty::String, I], L, |_, a| long(parse_long_arg(a, 0, i32_at(a, 1)?)?));
    st(reg, c, "reverse", vec![L], L, |_, a| long(i64_at(a, 0)?.reverse_bits()));
    st(reg, c, "reverseBytes", vec![L], L, |_, a| long(i64_at(a, 0)?.swap_bytes()));
    st(reg, c, "rotateLeft", vec![L, I], L, |_, a| long(i64_at(a, 0)?.rotate_left((i32_at(a, 1)? & 63) as u32)));
    st(reg, c, "rotateRight", vec![L, I], L, |_, a| long(i64_at(a, 0)?.rotate_right((i32_at(a, 1)? & 63) as u32)));
    st(reg, c, "signum", vec![L], I, |_, a| int(i64_at(a, 0)?.signum() as i32));
    st(reg, c, "toBinaryString", vec![L], Ty::String, |_, a| {
        Ok(string(numbers::long_to_unsigned_string(i64_at(a, 0)?, 1)))
    });
    st(reg, c, "toHexString", vec![L], Ty::String, |_, a| {
        Ok(string(numbers::long_to_unsigned_string(i64_at(a, 0)?, 4)))
    });
    st(reg, c, "toOctalString", vec![L], Ty::String, |_, a| {
        Ok(string(numbers::long_to_unsigned_string(i64_at(a, 0)?, 3)))
    });
    st(reg, c, "toString", vec![L], Ty::String, |_, a| Ok(string(i64_at(a, 0)?.to_string())));
    st(reg, c, "toString", vec![L, I], Ty::String, |_, a| {
        Ok(string(numbers::to_string_radix(i64_at(a, 0)?, i32_at(a, 1)?)))
    });
    st(reg, c, "toUnsignedString", vec![L], Ty::String, |_, a| Ok(string((i64_at(a, 0)? as u64).to_string())));
    st(reg, c, "valueOf", vec![L], Ty::Boxed(Prim::Long), |_, a| long(i64_at(a, 0)?));
    st(reg, c, "valueOf", vec![Ty::String, I], Ty::Boxed(Prim::Long), |_, a| {
        long(parse_long_arg(a, 0, i32_at(a, 1)?)?)
    });
}

fn float(x: f32) -> Result<Value, RuntimeError> {
    Ok(Value::Float(x))
}

fn boolean(b: bool) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(b))
}

/// `Float.max`/`min` are `Math.max(float, float)`: same NaN and signed-zero rules as for doubles.
fn float_max(a: f32, b: f32) -> f32 {
    math::max(f64::from(a), f64::from(b)) as f32
}

fn float_min(a: f32, b: f32) -> f32 {
    math::min(f64::from(a), f64::from(b)) as f32
}

fn register_floating(reg: &mut Registry) {
    let c = "Double";
    reg.add_unsupported_member(c, "toHexString", "hexadecimal floating-point strings are not implemented locally");
    reg.add_unsupported_member(
        "Float",
        "toHexString",
        "hexadecimal floating-point strings are not implemented locally",
    );
    field(reg, c, "MAX_VALUE", D, || Value::Double(f64::MAX));
    field(reg, c, "MIN_VALUE", D, || Value::Double(f64::from_bits(1)));
    field(reg, c, "MIN_NORMAL", D, || Value::Double(f64::MIN_POSITIVE));
    field(reg, c, "MAX_EXPONENT", I, || Value::Int(1023));
    field(reg, c, "MIN_EXPONENT", I, || Value::Int(-1022));
    field(reg, c, "NaN", D, || Value::Double(f64::NAN));
    field(reg, c, "POSITIVE_INFINITY", D, || Value::Double(f64::INFINITY));
    field(reg, c, "NEGATIVE_INFINITY", D, || Value::Double(f64::NEG_INFINITY));
    field(reg, c, "SIZE", I, || Value::Int(64));
    field(reg, c, "BYTES", I, || Value::Int(8));
    st(reg, c, "compare", vec![D, D], I, |_, a| int(numbers::double_compare(f64_at(a, 0)?, f64_at(a, 1)?)));
    st(reg, c, "doubleToLongBits", vec![D], L, |_, a| {
        let v = f64_at(a, 0)?;
        long(if v.is_nan() { 0x7ff8_0000_0000_0000 } else { v.to_bits() as i64 })
    });
    st(reg, c, "doubleToRawLongBits", vec![D], L, |_, a| long(f64_at(a, 0)?.to_bits() as i64));
    st(reg, c, "longBitsToDouble", vec![L], D, |_, a| dbl(f64::from_bits(i64_at(a, 0)? as u64)));
    st(reg, c, "hashCode", vec![D], I, |_, a| int(crate::interp::runtime::hashmap::double_hash_code(f64_at(a, 0)?)));
    st(reg, c, "isFinite", vec![D], Ty::BOOLEAN, |_, a| boolean(f64_at(a, 0)?.is_finite()));
    st(reg, c, "isInfinite", vec![D], Ty::BOOLEAN, |_, a| boolean(f64_at(a, 0)?.is_infinite()));
    st(reg, c, "isNaN", vec![D], Ty::BOOLEAN, |_, a| boolean(f64_at(a, 0)?.is_nan()));
    st(reg, c, "max", vec![D, D], D, |_, a| dbl(math::max(f64_at(a, 0)?, f64_at(a, 1)?)));
    st(reg, c, "min", vec![D, D], D, |_, a| dbl(math::min(f64_at(a, 0)?, f64_at(a, 1)?)));
    st(reg, c, "sum", vec![D, D], D, |_, a| dbl(f64_at(a, 0)? + f64_at(a, 1)?));
    st(reg, c, "parseDouble", vec![Ty::String], D, |_, a| {
        dbl(numbers::parse_double(str_at(a, 0, "Double.parseDouble")?)?)
    });
    st(reg, c, "toString", vec![D], Ty::String, |_, a| Ok(string(javafmt::double_to_string(f64_at(a, 0)?))));
    st(reg, c, "valueOf", vec![D], Ty::Boxed(Prim::Double), |_, a| dbl(f64_at(a, 0)?));

    let c = "Float";
    field(reg, c, "MAX_VALUE", F, || Value::Float(f32::MAX));
    field(reg, c, "MIN_VALUE", F, || Value::Float(f32::from_bits(1)));
    field(reg, c, "MIN_NORMAL", F, || Value::Float(f32::MIN_POSITIVE));
    field(reg, c, "MAX_EXPONENT", I, || Value::Int(127));
    field(reg, c, "MIN_EXPONENT", I, || Value::Int(-126));
    field(reg, c, "NaN", F, || Value::Float(f32::NAN));
    field(reg, c, "POSITIVE_INFINITY", F, || Value::Float(f32::INFINITY));
    field(reg, c, "NEGATIVE_INFINITY", F, || Value::Float(f32::NEG_INFINITY));
    field(reg, c, "SIZE", I, || Value::Int(32));
    field(reg, c, "BYTES", I, || Value::Int(4));
    st(reg, c, "compare", vec![F, F], I, |_, a| int(numbers::float_compare(f32_at(a, 0)?, f32_at(a, 1)?)));
    st(reg, c, "floatToIntBits", vec![F], I, |_, a| {
        int(crate::interp::runtime::hashmap::float_hash_code(f32_at(a, 0)?))
    });
    st(reg, c, "floatToRawIntBits", vec![F], I, |_, a| int(f32_at(a, 0)?.to_bits() as i32));
    st(reg, c, "intBitsToFloat", vec![I], F, |_, a| float(f32::from_bits(i32_at(a, 0)? as u32)));
    st(reg, c, "hashCode", vec![F], I, |_, a| int(crate::interp::runtime::hashmap::float_hash_code(f32_at(a, 0)?)));
    st(reg, c, "isFinite", vec![F], Ty::BOOLEAN, |_, a| boolean(f32_at(a, 0)?.is_finite()));
    st(reg, c, "isInfinite", vec![F], Ty::BOOLEAN, |_, a| boolean(f32_at(a, 0)?.is_infinite()));
    st(reg, c, "isNaN", vec![F], Ty::BOOLEAN, |_, a| boolean(f32_at(a, 0)?.is_nan()));
    st(reg, c, "max", vec![F, F], F, |_, a| float(float_max(f32_at(a, 0)?, f32_at(a, 1)?)));
    st(reg, c, "min", vec![F, F], F, |_, a| float(float_min(f32_at(a, 0)?, f32_at(a, 1)?)));
    st(reg, c, "sum", vec![F, F], F, |_, a| float(f32_at(a, 0)? + f32_at(a, 1)?));
    st(reg, c, "parseFloat", vec![Ty::String], F, |_, a| {
        float(numbers::parse_float(str_at(a, 0, "Float.parseFloat")?)?)
    });
    st(reg, c, "toString", vec![F], Ty::String, |_, a| Ok(string(javafmt::float_to_string(f32_at(a, 0)?))));
    st(reg, c, "valueOf", vec![F], Ty::Boxed(Prim::Float), |_, a| float(f32_at(a, 0)?));
}

fn register_boolean(reg: &mut Registry) {
    let c = "Boolean";
    let b = Ty::BOOLEAN;
    field(reg, c, "TRUE", Ty::Boxed(Prim::Boolean), || Value::Bool(true));
    field(reg, c, "FALSE", Ty::Boxed(Prim::Boolean), || Value::Bool(false));
    st(reg, c, "compare", vec![b.clone(), b.clone()], I, |_, a| int(bool_at(a, 0)?.cmp(&bool_at(a, 1)?) as i32));
    st(reg, c, "hashCode", vec![b.clone()], I, |_, a| {
        int(crate::interp::runtime::hashmap::boolean_hash_code(bool_at(a, 0)?))
    });
    st(reg, c, "logicalAnd", vec![b.clone(), b.clone()], b.clone(), |_, a| boolean(bool_at(a, 0)? & bool_at(a, 1)?));
    st(reg, c, "logicalOr", vec![b.clone(), b.clone()], b.clone(), |_, a| boolean(bool_at(a, 0)? | bool_at(a, 1)?));
    st(reg, c, "logicalXor", vec![b.clone(), b.clone()], b.clone(), |_, a| boolean(bool_at(a, 0)? ^ bool_at(a, 1)?));
    // `Boolean.parseBoolean(null)` is false in Java, not an exception.
    st(reg, c, "parseBoolean", vec![Ty::String], b.clone(), |_, a| {
        boolean(matches!(a.first(), Some(Value::Str(s)) if s.eq_ignore_ascii_case("true")))
    });
    st(reg, c, "toString", vec![b.clone()], Ty::String, |_, a| Ok(string(bool_at(a, 0)?.to_string())));
    st(reg, c, "valueOf", vec![b.clone()], Ty::Boxed(Prim::Boolean), |_, a| boolean(bool_at(a, 0)?));
    method(reg, Ty::Boxed(Prim::Boolean), "booleanValue", vec![], b, |_, r, _| {
        boolean(bool_at(std::slice::from_ref(r), 0)?)
    });
}

/// Java's `Number.xxxValue()` conversions of a boxed receiver.
fn number_as(recv: &Value, target: Prim) -> Result<Value, RuntimeError> {
    let v = match (recv, target) {
        (Value::Float(f), _) => FloatingSrc::F(*f),
        (Value::Double(d), _) => FloatingSrc::D(*d),
        (v, _) => FloatingSrc::Int(v.as_i64().ok_or_else(|| {
            RuntimeError::unsupported_locally(format!("internal: {} is not a Number", v.type_name()))
        })?),
    };
    Ok(match (v, target) {
        (FloatingSrc::Int(i), Prim::Byte) => Value::Byte(i as i8),
        (FloatingSrc::Int(i), Prim::Short) => Value::Short(i as i16),
        (FloatingSrc::Int(i), Prim::Int) => Value::Int(i as i32),
        (FloatingSrc::Int(i), Prim::Long) => Value::Long(i),
        (FloatingSrc::Int(i), Prim::Float) => Value::Float(i as f32),
        (FloatingSrc::Int(i), _) => Value::Double(i as f64),
        (FloatingSrc::F(f), Prim::Float) => Value::Float(f),
        (FloatingSrc::F(f), p) => return number_as(&Value::Double(f64::from(f)), p),
        (FloatingSrc::D(d), Prim::Byte) => Value::Byte(numbers::d2b(d)),
        (FloatingSrc::D(d), Prim::Short) => Value::Short(numbers::d2s(d)),
        (FloatingSrc::D(d), Prim::Int) => Value::Int(numbers::d2i(d)),
        (FloatingSrc::D(d), Prim::Long) => Value::Long(numbers::d2l(d)),
        (FloatingSrc::D(d), Prim::Float) => Value::Float(d as f32),
        (FloatingSrc::D(d), _) => Value::Double(d),
    })
}

enum FloatingSrc {
    Int(i64),
    F(f32),
    D(f64),
}

fn register_number_methods(reg: &mut Registry) {
    let conversions: [(&'static str, Prim, MethodImp); 6] = [
        ("byteValue", Prim::Byte, |_, r, _| number_as(r, Prim::Byte)),
        ("shortValue", Prim::Short, |_, r, _| number_as(r, Prim::Short)),
        ("intValue", Prim::Int, |_, r, _| number_as(r, Prim::Int)),
        ("longValue", Prim::Long, |_, r, _| number_as(r, Prim::Long)),
        ("floatValue", Prim::Float, |_, r, _| number_as(r, Prim::Float)),
        ("doubleValue", Prim::Double, |_, r, _| number_as(r, Prim::Double)),
    ];
    for (name, prim, imp) in conversions {
        method(reg, Ty::Number, name, vec![], Ty::Prim(prim), imp);
    }
    for p in [Prim::Byte, Prim::Short, Prim::Int, Prim::Long, Prim::Float, Prim::Double, Prim::Char, Prim::Boolean] {
        method(reg, Ty::Boxed(p), "compareTo", vec![Ty::Boxed(p)], I, |_, r, a| {
            let other = &a[0];
            Ok(Value::Int(match (r, other) {
                (Value::Double(x), Value::Double(y)) => numbers::double_compare(*x, *y),
                (Value::Float(x), Value::Float(y)) => numbers::float_compare(*x, *y),
                (Value::Bool(x), Value::Bool(y)) => x.cmp(y) as i32,
                // Byte/Short/Character.compareTo return the difference, Integer/Long the sign.
                (Value::Byte(x), Value::Byte(y)) => i32::from(*x) - i32::from(*y),
                (Value::Short(x), Value::Short(y)) => i32::from(*x) - i32::from(*y),
                (Value::Char(x), Value::Char(y)) => i32::from(*x) - i32::from(*y),
                (Value::Null, _) | (_, Value::Null) => return Err(super::args::null_argument("compareTo")),
                (x, y) => x.as_i64().unwrap_or(0).cmp(&y.as_i64().unwrap_or(0)) as i32,
            }))
        });
    }
    method(reg, Ty::Boxed(Prim::Double), "isNaN", vec![], Ty::BOOLEAN, |_, r, _| {
        boolean(matches!(r, Value::Double(d) if d.is_nan()))
    });
    method(reg, Ty::Boxed(Prim::Double), "isInfinite", vec![], Ty::BOOLEAN, |_, r, _| {
        boolean(matches!(r, Value::Double(d) if d.is_infinite()))
    });
    method(reg, Ty::Boxed(Prim::Float), "isNaN", vec![], Ty::BOOLEAN, |_, r, _| {
        boolean(matches!(r, Value::Float(d) if d.is_nan()))
    });
    method(reg, Ty::Boxed(Prim::Float), "isInfinite", vec![], Ty::BOOLEAN, |_, r, _| {
        boolean(matches!(r, Value::Float(d) if d.is_infinite()))
    });
    method(reg, Ty::Boxed(Prim::Char), "charValue", vec![], Ty::CHAR, |_, r, _| Ok(r.clone()));
}
