#!/usr/bin/env python3
"""Generate tests/conformance/cases.jsonl: (script, expected value + type | error class) cases.

The expected values come from an independent oracle written here: Java's integer semantics
(two's-complement wrap, truncating division and remainder, masked shifts, narrowing casts) and
IEEE float/double arithmetic (float results rounded to binary32 after every operation), plus
hand-written cases quoted from painless-facts.md. Run: python3 tests/conformance/generate.py
"""
import json
import math
import struct
from pathlib import Path

cases = []


def add(id_, src, **exp):
    cases.append({"id": id_, "src": src, **exp})


def wrap(v, bits):
    m = 1 << bits
    v &= m - 1
    return v - m if v >= (m >> 1) else v


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def jdiv(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def jrem(a, b):
    return a - jdiv(a, b) * b


# 1. int and long arithmetic with wrap, truncation and division by zero.
INTS = [0, 1, -1, 7, -7, 3, 100, 2147483647, -2147483648, 46341, -15, 4]
OPS = ["+", "-", "*", "/", "%"]
for kind, bits, suffix in [("int", 32, ""), ("long", 64, "L")]:
    vals = INTS if kind == "int" else INTS + [9223372036854775807, -9223372036854775808, 3037000500]
    pairs = [(a, b) for a in vals[:8] for b in vals[:8]][:90] + [(a, b) for a in vals[8:] for b in vals[:6]]
    for i, (a, b) in enumerate(pairs):
        op = OPS[i % len(OPS)]
        src = f"{kind} a = {a}{suffix}; {kind} b = {b}{suffix}; return a {op} b;"
        if kind == "int" and not (-2**31 <= a < 2**31 and -2**31 <= b < 2**31):
            continue
        if op in "/%" and b == 0:
            add(f"{kind}-arith-{i}", src, error="arithmetic_exception")
            continue
        r = {"+": a + b, "-": a - b, "*": a * b, "/": jdiv(a, b) if b else 0, "%": jrem(a, b) if b else 0}[op]
        add(f"{kind}-arith-{i}", src, type=kind, value=wrap(r, bits))

# 2. Promotion: byte/short/char/int/long mixes and their result types.
SMALL = {"byte": 5, "short": 300, "char": 65, "int": 70000, "long": 5000000000}
RANK = ["byte", "short", "char", "int", "long"]
for ta in RANK:
    for tb in RANK:
        for op in ["+", "*", "-"]:
            a, b = SMALL[ta], SMALL[tb]
            res_t = "long" if "long" in (ta, tb) else "int"
            bits = 64 if res_t == "long" else 32
            r = {"+": a + b, "*": a * b, "-": a - b}[op]
            lit_a = f"{a}L" if ta == "long" else str(a)
            lit_b = f"{b}L" if tb == "long" else str(b)
            add(f"promote-{ta}-{op}-{tb}", f"{ta} a = ({ta}){lit_a}; {tb} b = ({tb}){lit_b}; return a {op} b;",
                type=res_t, value=wrap(r, bits))

# 3. float arithmetic (rounded to binary32 each step) and double arithmetic.
FLOATS = [("1.5", 1.5), ("0.1", 0.1), ("3.0", 3.0), ("-2.25", -2.25), ("1e10", 1e10), ("7.0", 7.0)]
for i, (sa, a) in enumerate(FLOATS):
    for j, (sb, b) in enumerate(FLOATS):
        for op in ["+", "-", "*", "/"]:
            fa, fb = f32(a), f32(b)
            r = {"+": fa + fb, "-": fa - fb, "*": fa * fb, "/": fa / fb}[op]
            add(f"float-{i}-{op}-{j}", f"float a = {sa}F; float b = {sb}F; return a {op} b;", type="float", value=f32(r))
            rd = {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]
            add(f"double-{i}-{op}-{j}", f"double a = {sa}; double b = {sb}; return a {op} b;", type="double", value=rd)
add("float-div-zero", "float a = 1F; return a / 0F;", type="float", value="Infinity")
add("double-div-zero", "double a = -1.0; return a / 0.0;", type="double", value="-Infinity")
add("double-nan", "return 0.0 / 0.0;", type="double", value="NaN")
add("double-rem-zero", "return 5.0 % 0.0;", type="double", value="NaN")
add("double-fmod-sign", "return -7.5 % 2.0;", type="double", value=math.fmod(-7.5, 2.0))
add("float-mix-double", "return 1F + 0.1;", type="double", value=1.0 + 0.1)
add("float-widened", "return 0.1F + 0.0;", type="double", value=f32(0.1))
add("float-2-3", "return 2F/3F;", type="float", value=f32(f32(2.0) / f32(3.0)))
add("int-float-mix", "return 1 + 2.5F;", type="float", value=3.5)
add("long-float-mix", "return 16777217L * 1F;", type="float", value=f32(16777217.0))

# 4. Casts: truncation, NaN, saturation, wrap.
CASTS = [
    ("(int)3.7", "int", 3), ("(int)-3.7", "int", -3), ("(int)(0.0/0.0)", "int", 0), ("(int)1e20", "int", 2147483647),
    ("(int)-1e20", "int", -2147483648), ("(long)1e20", "long", 9223372036854775807), ("(long)-2.9", "long", -2),
    ("(byte)300", "byte", 44), ("(byte)128", "byte", -128), ("(byte)-129", "byte", 127), ("(short)70000", "short", 4464),
    ("(char)65", "char", "A"), ("(int)(char)65", "int", 65), ("(byte)1e10", "byte", -1), ("(short)-1e10", "short", 0),
    ("(char)-1", "char", "\uffff"), ("(int)(char)-1", "int", 65535), ("(long)2147483648.5", "long", 2147483648),
    ("(int)2147483648L", "int", -2147483648), ("(float)1e40", "float", "Infinity"), ("(float)0.1", "float", f32(0.1)),
    ("(double)(float)0.1", "double", f32(0.1)), ("(int)'a'.charAt(0)", None, None), ("(char)'c'", "char", "c"),
    ("(int)(char)'c'", "int", 99), ("(byte)(char)200", "byte", -56), ("(long)(int)-5", "long", -5),
    ("(double)7", "double", 7.0), ("(float)7L", "float", 7.0), ("(int)7.99999F", "int", 7),
]
for i, (expr, t, v) in enumerate(CASTS):
    if t is None:
        continue
    add(f"cast-{i}", f"return {expr};", type=t, value=v)
add("cast-string-char-long", "return (char)'cc';", error="class_cast_exception")
add("cast-bool-int", "boolean b = true; return (int)b;", error="class_cast_exception")
add("cast-int-bool", "int i = 1; return (boolean)i;", error="class_cast_exception")
for src in ["long x = 5; int y = x + x;", "int i = 1.5;", "float f = 1.0;", "int i = 5L;", "byte b = 128;", "short s = 40000;",
            "char c = -1;", "long l = 1.0;", "int i = 'x';", "String s = 1;", "int i = true;", "boolean b = 1;",
            "double d = 'x';", "List l = 'x';", "Map m = [];"]:
    add(f"compile-cast-{len(cases)}", src, error="class_cast_exception")
for src, t, v in [("byte b = 5; return b;", "byte", 5), ("short s = -300; return s;", "short", -300),
                  ("char c = 65; return c;", "char", "A"), ("long l = 5; return l;", "long", 5),
                  ("float f = 5; return f;", "float", 5.0), ("double d = 5L; return d;", "double", 5.0),
                  ("double d = 'x'.length(); return d;", None, None), ("float f = 16777217; return f;", "float", 16777216.0),
                  ("double d = 1.0F; return d;", "double", 1.0), ("long l = 'a'.charAt(0);", None, None)]:
    if t:
        add(f"widen-{len(cases)}", src, type=t, value=v)

# 5. Shifts (distance masked) and bitwise ops.
for a in [1, -1, 123456789, -2147483648]:
    for d in [0, 1, 31, 32, 33, -1]:
        for op in ["<<", ">>", ">>>"]:
            dm = d & 31
            ua = a & 0xFFFFFFFF
            r = {"<<": wrap(a << dm, 32), ">>": a >> dm, ">>>": wrap(ua >> dm, 32)}[op]
            add(f"shift-int-{a}-{op}-{d}", f"int a = {a}; return a {op} {d};", type="int", value=r)
for a in [1, -1]:
    for d in [1, 63, 64, 65]:
        for op in ["<<", ">>", ">>>"]:
            dm = d & 63
            r = {"<<": wrap(a << dm, 64), ">>": a >> dm, ">>>": wrap((a & (2**64 - 1)) >> dm, 64)}[op]
            add(f"shift-long-{a}-{op}-{d}", f"long a = {a}L; return a {op} {d};", type="long", value=r)
add("shift-long-distance", "int a = 1; return a << 33L;", type="int", value=2)
add("shift-float", "float x = 1F; return x << 2;", error="class_cast_exception")
add("shift-double", "return 1.0 >> 1;", error="class_cast_exception")
for a, b in [(12, 10), (-1, 255), (0x0F0F, 0x00FF), (-2147483648, -1)]:
    add(f"bitand-{a}-{b}", f"int a = {a}; int b = {b}; return a & b;", type="int", value=a & b)
    add(f"bitor-{a}-{b}", f"int a = {a}; int b = {b}; return a | b;", type="int", value=wrap(a | b, 32))
    add(f"bitxor-{a}-{b}", f"int a = {a}; int b = {b}; return a ^ b;", type="int", value=wrap(a ^ b, 32))
    add(f"bitnot-{a}", f"int a = {a}; return ~a;", type="int", value=wrap(~a, 32))
add("bool-xor", "boolean a = true; boolean b = false; return a ^ b;", type="boolean", value=True)
add("bitand-float", "return 1.0 & 2;", error="class_cast_exception")
add("not-int", "int x = 1; return !x;", error="class_cast_exception")
add("neg-min-int", "int x = -2147483648; return -x;", type="int", value=-2147483648)
add("neg-byte-type", "byte b = 5; return -b;", type="int", value=-5)
add("plus-char-type", "char c = 65; return +c;", type="int", value=65)
add("bitnot-long", "long l = 0L; return ~l;", type="long", value=-1)
add("min-div-neg1", "int x = -2147483648; return x / -1;", type="int", value=-2147483648)
add("min-rem-neg1", "int x = -2147483648; return x % -1;", type="int", value=0)
add("long-min-div", "long x = -9223372036854775808L; return x / -1;", type="long", value=-9223372036854775808)

# 6. Comparisons and equality.
for a, b in [(1, 2), (2, 1), (3, 3), (-1, 1)]:
    for op, fn in [("<", lambda x, y: x < y), ("<=", lambda x, y: x <= y), (">", lambda x, y: x > y),
                   (">=", lambda x, y: x >= y), ("==", lambda x, y: x == y), ("!=", lambda x, y: x != y)]:
        add(f"cmp-{a}-{op}-{b}", f"int a = {a}; long b = {b}L; return a {op} b;", type="boolean", value=fn(a, b))
        add(f"cmpd-{a}-{op}-{b}", f"double a = {a}; float b = {b}F; return a {op} b;", type="boolean", value=fn(a, b))
add("eq-double-float", "double a = 3; float b = 3; return a == b;", type="boolean", value=True)
add("nan-ne-nan", "double a = 0.0/0.0; return a == a;", type="boolean", value=False)
add("nan-lt", "double a = 0.0/0.0; return a < 1.0;", type="boolean", value=False)
add("def-eq-box", "def a = (byte)7; def b = 7; return a == b;", type="boolean", value=True)
add("def-refeq-box", "def a = (byte)7; def b = 7; return a === b;", type="boolean", value=False)
add("def-refeq-cache", "def a = 100; def b = 100; return a === b;", type="boolean", value=True)
add("def-refeq-nocache", "def a = 1000; def b = 1000; return a === b;", type="boolean", value=False)
add("str-eq", "String a = 'x'; return a == 'x';", type="boolean", value=True)
add("str-eq-null", "String x = null; return 'a' == x;", type="boolean", value=False)
add("list-eq", "return [1] == [1];", type="boolean", value=True)
add("list-ne", "return [1] != [2];", type="boolean", value=True)
add("map-eq", "return new HashMap() == new HashMap();", type="boolean", value=True)
add("list-refeq", "def a = [1]; def b = [1]; return a === b;", type="boolean", value=False)
add("list-refeq-same", "def a = [1]; def b = a; return a === b;", type="boolean", value=True)
add("null-eq-null-var", "def a = null; return a == null;", type="boolean", value=True)
add("null-consts", "return null == null;", error="illegal_argument_exception")
add("def-lt-mixed", "def a = 1; def b = 2.5; return a < b;", type="boolean", value=True)
add("def-eq-long-double", "def a = 2L; def b = 2.0; return a == b;", type="boolean", value=True)
add("cmp-string", "return 'a' < 'b';", error="class_cast_exception")

# 7. Strings.
add("concat-int", "return 'a' + 1;", type="String", value="a1")
add("concat-double", "return 'a' + 1.0;", type="String", value="a1.0")
add("concat-float", "return 'x' + 2F/3F;", type="String", value="x0.6666667")
add("concat-1e7", "return '' + 1.0E7;", type="String", value="1.0E7")
add("concat-1e-4", "return '' + 1.0E-4;", type="String", value="1.0E-4")
add("concat-0001", "return '' + 0.001;", type="String", value="0.001")
add("concat-big", "return '' + 1234567.0;", type="String", value="1234567.0")
add("concat-nan", "return '' + (0.0/0.0);", type="String", value="NaN")
add("concat-inf", "return '' + (1.0/0.0);", type="String", value="Infinity")
add("concat-long", "return 'n' + 5L;", type="String", value="n5")
add("concat-bool", "return 'b' + true;", type="String", value="btrue")
add("concat-char", "char c = 65; return 'c' + c;", type="String", value="cA")
add("concat-null", "def x = null; return x + 'b';", type="String", value="nullb")
add("concat-null-null", "def x = null; def y = null; return x + y;", error="null_pointer_exception")
add("concat-strings", "return 'x' + 'y';", type="String", value="xy")
add("concat-left-assoc", "return 1 + 2 + 'a';", type="String", value="3a")
add("concat-right", "return 'a' + 1 + 2;", type="String", value="a12")
add("concat-list", "return '' + [1, 'a'];", type="String", value="[1, a]")
add("concat-neg-zero", "return '' + (-0.0);", type="String", value="-0.0")
add("concat-string-null", "String s = null; return s + 1;", type="String", value="null1")
add("string-compound", "String s = 'a'; s += 1; s += 2.5; return s;", type="String", value="a12.5")
add("char-cast-string", "return (char)'c';", type="char", value="c")

# 8. def runtime typing and compound assignment back to runtime class.
add("def-compound-byte", "def x = (byte)5; x += 10; return x;", type="byte", value=15)
add("def-compound-int-double", "def x = 5; x += 2.5; return x;", type="int", value=7)
add("def-compound-byte-wrap", "def x = (byte)120; x += 10; return x;", type="byte", value=-126)
add("def-inc-short", "def x = (short)32767; x++; return x;", type="short", value=-32768)
add("def-long-div", "def a = 7L; def b = 2; return a / b;", type="long", value=3)
add("def-byte-plus", "def a = (byte)1; def b = (byte)2; return a + b;", type="int", value=3)
add("def-to-long", "def x = 1; long l = x; return l;", type="long", value=1)
add("def-to-int-fail", "def x = 1.0; int y = x; return y;", error="class_cast_exception")
add("def-long-to-int-fail", "def x = 5L; int y = +x; return y;", error="class_cast_exception")
add("def-explicit", "def x = 3.9; return (int)x;", type="int", value=3)
add("def-explicit-long", "def x = 3.9; return (long)x;", type="long", value=3)
add("def-null-unbox", "def x = null; int y = x; return y;", error="null_pointer_exception")
add("def-string-to-int", "def x = 'a'; int y = x;", error="class_cast_exception")
add("def-method-null", "def x = null; return x.length();", error="null_pointer_exception")
add("def-int-to-double", "def x = 3; double d = x; return d;", type="double", value=3.0)
add("def-float-to-double", "def x = 0.5F; double d = x; return d;", type="double", value=0.5)
add("def-char-to-int", "def c = (char)65; int i = c; return i;", type="int", value=65)
add("def-arith-string", "def a = 'x'; def b = 2; return a * b;", error="class_cast_exception")
add("def-arith-null", "def a = null; return a * 2;", error="null_pointer_exception")
add("def-div-zero", "def a = 5; def b = 0; return a / b;", error="arithmetic_exception")
add("def-div-zero-double", "def a = 5.0; def b = 0; return a / b;", type="double", value="Infinity")

# 9. Compound assignment narrowing, ++/-- keep type.
add("compound-byte", "byte x = 0; x += 128; return x;", type="byte", value=-128)
add("compound-int-double", "int x = 5; x += 2.7; return x;", type="int", value=7)
add("compound-float-double", "float f = 0; f += 1.0; return f;", type="float", value=1.0)
add("compound-char", "char c = 65; c += 1; return c;", type="char", value="B")
add("compound-short-mul", "short s = 200; s *= 200; return s;", type="short", value=wrap(40000, 16))
add("compound-long-shift", "long l = 1; l <<= 40; return l;", type="long", value=1 << 40)
add("compound-int-div-zero", "int x = 5; x /= 0; return x;", error="arithmetic_exception")
add("compound-float-shift", "float x = 1F; x <<= 2;", error="class_cast_exception")
add("inc-byte", "byte b = 127; b++; return b;", type="byte", value=-128)
add("dec-char", "char c = 0; c--; return (int)c;", type="int", value=65535)
add("postinc-value", "int i = 5; int j = i++; return j * 10 + i;", type="int", value=56)
add("preinc-value", "int i = 5; int j = ++i; return j * 10 + i;", type="int", value=66)
add("inc-long", "long l = 9223372036854775807L; l++; return l;", type="long", value=-9223372036854775808)
add("inc-double", "double d = 0.5; d++; return d;", type="double", value=1.5)
add("inc-string", "String s = 'a'; s++;", error="class_cast_exception")

# 10. Conditionals, elvis, null safe.
add("ternary-float", "boolean c = true; return (c ? 2 : 4.0F) + 0;", type="float", value=2.0)
add("ternary-target-object", "boolean c = true; return c ? 2 : 4.0F;", type="int", value=2)
add("ternary-decl-float", "boolean c = true; float f = c ? 2 : 4.0F; return f;", type="float", value=2.0)
add("ternary-long", "boolean c = false; return c ? 2 : 4L;", type="long", value=4)
add("ternary-str", "return 1 < 2 ? 'a' : 'b';", type="String", value="a")
add("elvis-null", "def x = null; return x ?: 5;", type="int", value=5)
add("elvis-nonnull", "def x = 3; return x ?: 5;", type="int", value=3)
add("elvis-params", "return params.missing ?: 'd';", type="String", value="d")
add("elvis-primitive-lhs", "int x = 1; return x ?: 2;", error="illegal_argument_exception")
add("elvis-constant-lhs", "return 'a' ?: 'b';", error="illegal_argument_exception")
add("elvis-null-lhs", "return null ?: 'b';", error="illegal_argument_exception")
add("elvis-null-rhs", "def x = 1; return x ?: null;", error="illegal_argument_exception")
add("elvis-return-primitive", "def x = 1; int y = x ?: 2; return y;", error="illegal_argument_exception")
add("nullsafe-def", "def x = null; return x?.length();", type="null", value=None)
add("nullsafe-primitive", "String s = 'a'; return s?.length();", error="illegal_argument_exception", needs="method String length 0")
add("nullsafe-field-def", "def m = null; return m?.foo;", type="null", value=None)
add("nullsafe-map", "def m = ['foo': 1]; return m?.foo;", type="int", value=1)
add("cond-not-bool", "int x = 1; return x ? 1 : 2;", error="class_cast_exception")

# 11. Collections, shortcuts, arrays, negative indexes.
add("list-literal", "return [1, 2, 3];", type="List", value=[1, 2, 3])
add("list-neg-index", "def l = [1, 2, 3]; return l[-1];", type="int", value=3)
add("list-neg-oob", "def l = [1, 2, 3, 4, 5]; return l[-6];", error="index_out_of_bounds_exception")
add("list-oob", "def l = [1, 2]; return l[2];", error="index_out_of_bounds_exception")
add("list-set", "def l = [1, 2]; l[0] = 5; return l;", type="List", value=[5, 2])
add("list-dot-index", "def l = [7, 8]; return l.1;", type="int", value=8)
add("list-dot-set", "def l = [7, 8]; l.0 = 1; return l;", type="List", value=[1, 8])
add("map-literal-order", "return ['b': 1, 'a': 2, 'c': 3];", type="Map", value={"a": 2, "b": 1, "c": 3})
add("map-int-keys", "def m = [17: 'x', 2: 'y']; return m.keySet().toString();", type=None, value=None)
add("map-dot-get", "def m = ['k': 5]; return m.k;", type="int", value=5)
add("map-dot-put", "def m = [:]; m.k = 5; return m;", type="Map", value={"k": 5})
add("map-brace-missing", "def m = [:]; return m['x'];", type="null", value=None)
add("map-neg-key", "def m = [-1: 'neg']; return m[-1];", type="String", value="neg")
add("map-typed-get", "Map m = ['a': 1]; return m['a'];", type="int", value=1)
add("array-new", "int[] a = new int[3]; return a;", type="int[]", value=[0, 0, 0])
add("array-init", "return new int[] {1, 2};", type="int[]", value=[1, 2])
add("array-neg-index", "int[] a = new int[] {1, 2, 3}; return a[-1];", type="int", value=3)
add("array-oob", "int[] a = new int[2]; return a[2];", error="array_index_out_of_bounds_exception")
add("array-length", "double[] a = new double[7]; return a.length;", type="int", value=7)
add("array-store-widen", "double[] a = new double[1]; a[0] = 5; return a[0];", type="double", value=5.0)
add("array-default-double", "double[] a = new double[2]; return a;", type="double[]", value=[0.0, 0.0])
add("array-default-def", "def[] a = new def[2]; return a;", type="def[]", value=[None, None])
add("array-2d", "int[][] a = new int[2][3]; return a[1].length;", type="int", value=3)
add("array-string-default", "String[] a = new String[1]; return a[0];", type="null", value=None)
add("array-length-assign", "int[] a = new int[1]; a.length = 2;", error="illegal_argument_exception")
add("array-neg-size", "int n = -1; int[] a = new int[n];", error="negative_array_size_exception")
add("foreach-list", "int s = 0; for (def x : [1, 2, 3]) { s += x } return s;", type="int", value=6)
add("foreach-in", "int s = 0; for (x in [1, 2, 3]) { s += x } return s;", type="int", value=6)
add("foreach-array", "int s = 0; for (int x : new int[] {4, 5}) { s += x } return s;", type="int", value=9)
add("foreach-typed-conv", "double s = 0; for (double x : [1, 2]) { s += x } return s;", type="double", value=3.0)
add("foreach-break", "int s = 0; for (def x : [1, 2, 3, 4]) { if (x == 3) { break } s += x } return s;", type="int", value=3)
add("foreach-continue", "int s = 0; for (def x : [1, 2, 3, 4]) { if (x == 3) { continue } s += x } return s;", type="int", value=7)
add("foreach-string", "for (def c : 'abc') {}", error="illegal_argument_exception")
add("brace-string", "String s = 'abc'; return s[0];", error="illegal_argument_exception")

# 12. Control flow, implicit return, loop counter.
add("implicit-return", "5 + 5", type="int", value=10)
add("implicit-assign", "int x; x = 3", type="int", value=3)
add("no-return", "int x = 1;", type="null", value=None)
add("if-else", "int x = 5; if (x > 3) { return 'big' } else { return 'small' }", type="String", value="big")
add("while", "int i = 0; while (i < 10) { i += 3 } return i;", type="int", value=12)
add("do-while", "int i = 0; do { i++ } while (i < 5); return i;", type="int", value=5)
add("for-nested", "int s = 0; for (int i = 0; i < 4; i++) { for (int j = 0; j < i; j++) { s++ } } return s;", type="int", value=6)
add("for-empty-body", "int i = 0; for (; i < 5; i++); return i;", type="int", value=5)
add("loop-999999", "int x = 0; for (int i = 0; i < 999999; ++i) { x++ } return x;", type="int", value=999999)
add("loop-1000000", "int x = 0; for (int i = 0; i < 1000000; ++i) { x++ } return x;", error="painless_error")
add("loop-shared", "int x = 0; for (int i = 0; i < 500000; ++i) {} for (int i = 0; i < 499999; ++i) {} return 1;", type="int", value=1)
add("loop-shared-fail", "for (int i = 0; i < 500000; ++i) {} for (int i = 0; i < 500000; ++i) {} return 1;", error="painless_error")
add("loop-foreach-uncounted", "int[] a = new int[1500000]; int s = 0; for (int x : a) { s++ } return s;", type="int", value=1500000)
add("loop-while-true-break", "int i = 0; while (true) { i++; if (i == 10) { break } } return i;", type="int", value=10)
add("break-outside", "break;", error="illegal_argument_exception")
add("unreachable", "return 1; return 2;", error="illegal_argument_exception")
add("extraneous-if", "if (true) { return 1 } return 2;", error="illegal_argument_exception")
add("extraneous-while", "while (false) { }", error="illegal_argument_exception")
add("func-basic", "int f(int a) { return a * 2 } return f(21);", type="int", value=42)
add("func-recursion", "int fib(int n) { if (n < 2) { return n } return fib(n - 1) + fib(n - 2) } return fib(15);", type="int", value=610)
add("func-deep-recursion", "int f(int n) { return f(n + 1) } return f(0);", error="stack_overflow_error")
add("func-missing-return", "int f(int a) { if (a > 0) { return 1 } } return f(1);", error="illegal_argument_exception")
add("func-arg-widen", "double f(double a) { return a / 2 } return f(3);", type="double", value=1.5)
add("func-arg-narrow", "int f(int a) { return a } return f(3L);", error="class_cast_exception")
add("func-own-counter", "int f() { int x = 0; for (int i = 0; i < 999999; ++i) { x++ } return x } return f() + f();", type="int", value=1999998)
add("unknown-call", "return foo(1);", error="illegal_argument_exception")
add("unknown-symbol", "return x + 1;", error="illegal_argument_exception")
add("dup-var", "int x = 1; int x = 2;", error="illegal_argument_exception")

# 13. Not-a-statement and invalid assignment.
for src in ["1 * 1; return null;", "1 + 1; return 1;", "'a'; return 1;", "null; return 1;", "int x = 1; x; return 1;",
            "int x = 1; -x; return 1;", "def l = [1]; l[0]; return 1;", "true ? 1 : 2; return 1;", "[1, 2]; return 1;",
            "(int)1.0; return 1;", "1 < 2; return 1;", "1.5; return 1;"]:
    add(f"not-statement-{len(cases)}", src, error="illegal_argument_exception")
for src in ["1 = 2;", "int x = 1; x + 1 = 2;", "'a' = 'b';", "params = [:];", "_x = 1;"]:
    add(f"invalid-assign-{len(cases)}", src, error="illegal_argument_exception")

# 14. instanceof.
add("instanceof-prim", "int x = 1; return x instanceof Integer;", type="boolean", value=True)
add("instanceof-def-float", "def x = 5; return x instanceof float;", type="boolean", value=False)
add("instanceof-null", "def x = null; return x instanceof List;", type="boolean", value=False)
add("instanceof-list", "def x = [1]; return x instanceof List;", type="boolean", value=True)
add("instanceof-map-list", "def x = [:]; return x instanceof List;", type="boolean", value=False)
add("instanceof-number", "def x = 5L; return x instanceof Number;", type="boolean", value=True)
add("instanceof-string", "def x = 'a'; return x instanceof String;", type="boolean", value=True)

# 15. Params typing from JSON.
add("params-int-div", "return params.k / 3;", params={"k": 100}, type="int", value=33)
add("params-long", "return params.k;", params={"k": 5000000000}, type="long", value=5000000000)
add("params-double", "return params.k;", params={"k": 1.5}, type="double", value=1.5)
add("params-list", "return params.v;", params={"v": [1, 2.5, "a"]}, type="List", value=[1, 2.5, "a"])
add("params-map", "return params.m.x;", params={"m": {"x": 3}}, type="int", value=3)
add("params-brace", "return params['k'];", params={"k": "s"}, type="String", value="s")
add("params-missing", "return params.nope;", type="null", value=None)
add("params-missing-unbox", "int x = params['missing'];", error="null_pointer_exception")
add("params-nested-sum", "double s = 0; for (def x : params.v) { s += x } return s;", params={"v": [1, 2.5]}, type="double", value=3.5)

# 16. Unsupported locally.
for src in ["def l = [1]; return l.removeIf(x -> x == 1);", "return [1].stream();", "List l = [1]; l.forEach(x -> x);", "def l = [1]; l.sort(Integer::compare);", "return /a/.matcher('a').matches();",
            "try { return 1 } catch (Exception e) { return 2 }", "throw new IllegalArgumentException('x');",
            "return ZonedDateTime.now();", "return Collections.emptyList();"]:
    add(f"unsupported-{len(cases)}", src, unsupported=True)

# 17. Library-dependent cases (painless-facts §10): skipped until the runtime registers the member.
for src, t, v, needs in [
    ("return Math.max(1, 2);", "double", 2.0, "static Math max 2"),
    ("return Math.abs(-5);", "double", 5.0, "static Math abs 1"),
    ("return Math.round(2.5);", "long", 3, "static Math round 1"),
    ("return Math.round(-2.5);", "long", -2, "static Math round 1"),
    ("return Math.sqrt(16);", "double", 4.0, "static Math sqrt 1"),
    ("return Math.floor(-1.5);", "double", -2.0, "static Math floor 1"),
    ("return Math.pow(2, 10);", "double", 1024.0, "static Math pow 2"),
    ("return Integer.MAX_VALUE;", "int", 2147483647, "field Integer MAX_VALUE"),
    ("return Integer.MIN_VALUE;", "int", -2147483648, "field Integer MIN_VALUE"),
    ("return Long.MAX_VALUE;", "long", 9223372036854775807, "field Long MAX_VALUE"),
    ("return Math.PI;", "double", math.pi, "field Math PI"),
    ("return Math.E;", "double", math.e, "field Math E"),
    ("return Integer.parseInt('42');", "int", 42, "static Integer parseInt 1"),
    ("return Double.parseDouble('2.5');", "double", 2.5, "static Double parseDouble 1"),
    ("return 'abc'.length();", "int", 3, "method String length 0"),
    ("return 'abc'.substring(1);", "String", "bc", "method String substring 1"),
    ("return 'Hello'.toLowerCase();", "String", "hello", "method String toLowerCase 0"),
    ("return 'abc'.indexOf('c');", "int", 2, "method String indexOf 1"),
    ("return 'abc'.charAt(1);", "char", "b", "method String charAt 1"),
    ("return [1, 2, 3].size();", "int", 3, "method List size 0"),
    ("def l = [1, 2]; l.add(3); return l;", "List", [1, 2, 3], "method List add 1"),
    ("def m = ['a': 1]; return m.containsKey('a');", "boolean", True, "method Map containsKey 1"),
    ("return [1, 2].length;", "int", 2, "method List getLength 0"),
    ("return [].empty;", "boolean", True, "method Collection isEmpty 0"),
    ("Map m = ['a': 1]; int s = 0; for (def k : m.keySet()) { s += m[k] } return s;", "int", 1, "method Map keySet 0"),
    ("int x; return (x = 3).compareTo(4);", "int", -1, "method Integer compareTo 1"),
    ("return 2.toString();", "String", "2", "method Integer toString 0"),
]:
    add(f"lib-{len(cases)}", src, type=t, value=v, needs=needs)
add("lib-math-int-target", "int m = Math.max(1, 2);", error="class_cast_exception", needs="static Math max 2")
add("lib-unknown-member", "return 'abc'.fooBar();", error="illegal_argument_exception")
add("lib-unknown-static", "return Math.fooBar(1);", error="illegal_argument_exception", needs="static Math max 2")

out = Path(__file__).with_name("cases.jsonl")
seen = set()
with out.open("w") as f:
    for c in cases:
        assert c["id"] not in seen, c["id"]
        seen.add(c["id"])
        if "value" in c and c.get("type") is None:
            continue
        v = c.get("value")
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            c["value"] = "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
        f.write(json.dumps(c) + "\n")
print(f"{len(seen)} cases -> {out}")
