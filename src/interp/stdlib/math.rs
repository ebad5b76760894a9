//! `java.lang.Math` as Painless whitelists it (double-only, painless-facts §10) and `StrictMath`.
//!
//! Java's `Math` delegates to `StrictMath` (fdlibm) for cbrt, expm1, log1p, sinh/cosh/tanh,
//! asin/acos/atan/atan2 and IEEEremainder; the `libm` crate ports the same FreeBSD msun (fdlibm)
//! sources for all of them, so those agree bit for bit. Known last-bit risks:
//! - `sin cos tan exp log log10 pow`: HotSpot on x86_64 replaces them with intrinsics (Intel
//!   libm stubs), accurate to < 1 ulp but not always equal to fdlibm; `StrictMath.*` is exact here.
//! - `hypot`: libm uses musl's algorithm, not fdlibm's `e_hypot.c` (both < 1 ulp).
//!
//! sqrt, floor, ceil, rint, abs, copySign, ulp, nextUp/Down/After, scalb, toDegrees/toRadians,
//! signum, max/min and round are exact IEEE operations and always agree.

/// `Math.E`.
pub const E: f64 = std::f64::consts::E;
/// `Math.PI`.
pub const PI: f64 = std::f64::consts::PI;

/// `Math.max(double, double)`: NaN if either is NaN; +0.0 beats -0.0.
pub fn max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && b == 0.0 {
        return if a.is_sign_negative() { b } else { a };
    }
    if a >= b { a } else { b }
}

/// `Math.min(double, double)`: NaN if either is NaN; -0.0 beats +0.0.
pub fn min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && b == 0.0 {
        return if b.is_sign_negative() { b } else { a };
    }
    if a <= b { a } else { b }
}

/// `Math.round(double)`: nearest long, ties toward +∞; NaN → 0; saturating at the long range.
pub fn round(x: f64) -> i64 {
    if x.is_nan() {
        return 0;
    }
    let floor = x.floor();
    // x - floor is exact for every finite double, so 0.49999999999999994 stays below one half.
    let r = if x - floor >= 0.5 { floor + 1.0 } else { floor };
    r as i64
}

/// `Math.round(float)`: nearest int, ties toward +∞; NaN → 0; saturating at the int range.
pub fn round_float(x: f32) -> i32 {
    if x.is_nan() {
        return 0;
    }
    let floor = x.floor();
    let r = if x - floor >= 0.5 { floor + 1.0 } else { floor };
    r as i32
}

/// `Math.rint`: nearest integer, ties to even.
pub fn rint(x: f64) -> f64 {
    x.round_ties_even()
}

/// `Math.signum(double)`: ±1.0, or the argument itself for zeros and NaN.
pub fn signum(x: f64) -> f64 {
    if x == 0.0 || x.is_nan() { x } else { 1f64.copysign(x) }
}

/// `Math.pow`: fdlibm's `pow` plus Java's special cases where C99 differs
/// (`pow(1, NaN)` and `pow(±1, ±∞)` are NaN in Java, 1 in C).
pub fn pow(x: f64, y: f64) -> f64 {
    if y == 0.0 {
        return 1.0;
    }
    if y.is_nan() || (x.is_nan()) {
        return f64::NAN;
    }
    if x.abs() == 1.0 && y.is_infinite() {
        return f64::NAN;
    }
    libm::pow(x, y)
}

/// `Math.ulp(double)`.
pub fn ulp(x: f64) -> f64 {
    let a = x.abs();
    if a.is_nan() || a.is_infinite() {
        return a;
    }
    if a == f64::MAX {
        // 2^971: the gap below MAX_VALUE (there is no finite double above it).
        return a - a.next_down();
    }
    a.next_up() - a
}

/// `Math.nextAfter(double start, double direction)`.
pub fn next_after(start: f64, direction: f64) -> f64 {
    if start.is_nan() || direction.is_nan() {
        return f64::NAN;
    }
    if start == direction {
        return direction;
    }
    if direction > start { start.next_up() } else { start.next_down() }
}

/// `Math.scalb(double, int)`: `d × 2^n`, correctly rounded.
pub fn scalb(d: f64, n: i32) -> f64 {
    libm::scalbn(d, n)
}

/// `Math.toDegrees` (JDK 9+ multiplies by a single constant).
pub fn to_degrees(rad: f64) -> f64 {
    rad * 57.29577951308232
}

/// `Math.toRadians` (JDK 9+ multiplies by a single constant).
pub fn to_radians(deg: f64) -> f64 {
    deg * 0.017453292519943295
}

/// `Math.IEEEremainder`.
pub fn ieee_remainder(a: f64, b: f64) -> f64 {
    libm::remainder(a, b)
}

/// `Math.abs(double)`: clears the sign bit (so -0.0 → 0.0, NaN stays NaN).
pub fn abs(x: f64) -> f64 {
    x.abs()
}

pub fn floor(x: f64) -> f64 {
    x.floor()
}

pub fn ceil(x: f64) -> f64 {
    x.ceil()
}

pub fn sqrt(x: f64) -> f64 {
    x.sqrt()
}

pub fn cbrt(x: f64) -> f64 {
    libm::cbrt(x)
}

pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

pub fn expm1(x: f64) -> f64 {
    libm::expm1(x)
}

pub fn log(x: f64) -> f64 {
    libm::log(x)
}

pub fn log10(x: f64) -> f64 {
    libm::log10(x)
}

pub fn log1p(x: f64) -> f64 {
    libm::log1p(x)
}

pub fn sin(x: f64) -> f64 {
    libm::sin(x)
}

pub fn cos(x: f64) -> f64 {
    libm::cos(x)
}

pub fn tan(x: f64) -> f64 {
    libm::tan(x)
}

pub fn sinh(x: f64) -> f64 {
    libm::sinh(x)
}

pub fn cosh(x: f64) -> f64 {
    libm::cosh(x)
}

pub fn tanh(x: f64) -> f64 {
    libm::tanh(x)
}

pub fn asin(x: f64) -> f64 {
    libm::asin(x)
}

pub fn acos(x: f64) -> f64 {
    libm::acos(x)
}

pub fn atan(x: f64) -> f64 {
    libm::atan(x)
}

pub fn atan2(y: f64, x: f64) -> f64 {
    libm::atan2(y, x)
}

pub fn hypot(x: f64, y: f64) -> f64 {
    // Java: an infinite argument wins over NaN.
    if x.is_infinite() || y.is_infinite() {
        return f64::INFINITY;
    }
    libm::hypot(x, y)
}

pub fn copy_sign(magnitude: f64, sign: f64) -> f64 {
    magnitude.copysign(sign)
}

pub fn next_up(x: f64) -> f64 {
    x.next_up()
}

pub fn next_down(x: f64) -> f64 {
    x.next_down()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_matches_java_edge_cases() {
        assert_eq!(round(2.5), 3);
        assert_eq!(round(-2.5), -2);
        assert_eq!(round(0.49999999999999994), 0);
        assert_eq!(round(-0.5), 0);
        assert_eq!(round(f64::NAN), 0);
        assert_eq!(round(1e300), i64::MAX);
        assert_eq!(round(-1e300), i64::MIN);
        assert_eq!(round(4503599627370497.0), 4503599627370497);
    }

    #[test]
    fn max_min_follow_java_not_ieee_maxnum() {
        assert!(max(f64::NAN, 1.0).is_nan());
        assert!(min(1.0, f64::NAN).is_nan());
        assert!(max(-0.0, 0.0).is_sign_positive());
        assert!(min(0.0, -0.0).is_sign_negative());
    }

    #[test]
    fn pow_java_special_cases() {
        assert!(pow(1.0, f64::NAN).is_nan());
        assert!(pow(-1.0, f64::INFINITY).is_nan());
        assert_eq!(pow(f64::NAN, 0.0), 1.0);
        assert_eq!(pow(2.0, 10.0), 1024.0);
    }

    #[test]
    fn rint_and_ulp() {
        assert_eq!(rint(2.5), 2.0);
        assert_eq!(rint(3.5), 4.0);
        assert_eq!(ulp(1.0), f64::EPSILON);
        assert_eq!(ulp(f64::MAX), 2f64.powi(971));
        assert_eq!(ulp(0.0), 5e-324);
    }
}
