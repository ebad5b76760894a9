//! Sandbox limits: ES's loop counter (exact boundary), recursion depth, our allocation caps, and a
//! property test that random and mutated scripts never panic and never hang with every limit set.

use proptest::prelude::*;
use scorelab::interp::{Limits, exec_test, exec_test_with};
use scorelab::painless::Severity;

fn err_type(src: &str, limits: &Limits) -> Option<(String, Severity)> {
    exec_test_with(src, &serde_json::Map::new(), limits).outcome.err().map(|d| (d[0].es_type.clone(), d[0].severity))
}

#[test]
fn loop_counter_boundary_is_exact() {
    let limits = Limits::default();
    assert_eq!(err_type("for (int x = 0; x < 999999; ++x) {} return 1;", &limits), None);
    let e = exec_test("for (int x = 0; x < 1000000; ++x) {} return 1;", &serde_json::Map::new())
        .outcome
        .expect_err("limit");
    assert_eq!(e[0].es_type, "painless_error");
    assert_eq!(e[0].message, "The maximum number of statements that can be executed in a loop has been reached.");
    // while and do-while count the same way; the counter is shared by all loops of the body.
    assert_eq!(err_type("int i = 0; while (i < 999999) { ++i } return i;", &limits), None);
    assert!(err_type("int i = 0; while (i < 1000000) { ++i } return i;", &limits).is_some());
    assert_eq!(err_type("int i = 0; do { ++i } while (i < 1000000); return i;", &limits), None);
    assert!(err_type("int i = 0; do { ++i } while (i < 1000001); return i;", &limits).is_some());
    assert!(
        err_type("int i = 0; while (i < 600000) { ++i } int j = 0; while (j < 400000) { ++j } return 1;", &limits)
            .is_some()
    );
}

#[test]
fn recursion_depth_is_a_stack_overflow() {
    let e = exec_test("int f(int n) { return f(n + 1) } return f(0);", &serde_json::Map::new())
        .outcome
        .expect_err("overflow");
    assert_eq!(e[0].es_type, "stack_overflow_error");
    let ok = exec_test(
        "int f(int n) { if (n == 0) { return 0 } return 1 + f(n - 1) } return f(50);",
        &serde_json::Map::new(),
    );
    assert_eq!(ok.outcome.expect("depth 50").as_i64(), Some(50));
}

#[test]
fn allocation_caps_refuse_locally() {
    let limits = Limits { max_collection_len: 1000, max_string_len: 1000, ..Limits::default() };
    assert_eq!(err_type("int[] a = new int[1001];", &limits).map(|e| e.1), Some(Severity::UnsupportedLocally));
    assert_eq!(err_type("int[] a = new int[1000]; return a.length;", &limits), None);
    let grow = "String s = 'x'; for (int i = 0; i < 20; ++i) { s = s + s } return s.length();";
    assert_eq!(err_type(grow, &limits).map(|e| e.1), Some(Severity::UnsupportedLocally));
    let map = "Map m = [:]; for (int i = 0; i < 2000; ++i) { m[i] = i } return m.size();";
    assert_eq!(err_type(map, &limits).map(|e| e.1), Some(Severity::UnsupportedLocally));
}

fn small_limits() -> Limits {
    Limits { max_loop_counter: 10_000, max_call_depth: 16, max_collection_len: 10_000, max_string_len: 100_000 }
}

const FRAGMENTS: &[&str] = &[
    "int x = 1;",
    "def y = [1, 2];",
    "x += 2;",
    "y.add(x);",
    "for (int i = 0; i < 100; ++i) { x++ }",
    "while (true) { x++ }",
    "return x;",
    "return y[-1];",
    "if (x > 2) { return 1 } else { return 2 }",
    "long z = x * 3L;",
    "double d = x / 2.0;",
    "String s = 'a' + x;",
    "s = s + s;",
    "int f(int n) { return n < 1 ? 0 : f(n - 1) }",
    "x = f(x);",
    "y = null;",
    "return params.k ?: 0;",
    "def m = ['a': x];",
    "m.b = m.a;",
    "return m;",
    "x /= 0;",
    "return (int) d;",
    "{ int w = 2; }",
    "for (def e : y) { x += e }",
    "return y.size();",
    "return s.length();",
    "char c = 65;",
    "c++;",
    "byte b = (byte) x;",
    "x <<= 40;",
    "return x instanceof Integer;",
    "def q = x === y;",
    "return Math.max(x, d);",
    "int[] a = new int[x];",
    "a[0] = 5;",
    "return a[-1];",
    "do { x-- } while (x > 0);",
    "return;",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn random_programs_never_panic_or_hang(picks in proptest::collection::vec(0..FRAGMENTS.len(), 1..12)) {
        let src: String = picks.iter().map(|i| FRAGMENTS[*i]).collect::<Vec<_>>().join("\n");
        let _ = exec_test_with(&src, &serde_json::Map::new(), &small_limits());
    }

    #[test]
    fn mutated_programs_never_panic_or_hang(
        picks in proptest::collection::vec(0..FRAGMENTS.len(), 1..8),
        cut in 0usize..400,
        insert in "[-+*/%(){}\\[\\];=<>!?:.'\"a-z0-9 ]{0,6}",
    ) {
        let mut src: String = picks.iter().map(|i| FRAGMENTS[*i]).collect::<Vec<_>>().join(" ");
        let mut at = cut.min(src.len());
        while !src.is_char_boundary(at) { at -= 1; }
        src.insert_str(at, &insert);
        let _ = exec_test_with(&src, &serde_json::Map::new(), &small_limits());
    }
}
