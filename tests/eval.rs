//! Evaluator tests by feature, through `exec_test` (the `_execute` test context).

use scorelab::interp::{exec_test, output::value_to_json};

fn run(src: &str) -> (String, String) {
    let r = exec_test(src, &serde_json::Map::new());
    match r.outcome {
        Ok(v) => (value_to_json(&v), v.type_name()),
        Err(d) => (format!("{}: {}", d[0].es_type, d[0].message), "error".into()),
    }
}

#[test]
fn smoke() {
    for src in [
        "5 + 5", "int x = 2147483647; x + 1", "2F/3F", "-15 % 4", "1/0", "'a' + 1.0", "def x = (byte)5; x += 10; x",
        "long x = 5; int y = x + x;", "int i = 0; for (int j = 0; j < 10; ++j) { i += j } return i;",
        "def l = [1,2,3]; l[-1]", "def m = ['b': 1, 'a': 2]; m", "byte b = 127; b++; b", "char c = 0; c--; c",
        "double d = 0.1F; d", "int x; x instanceof Integer", "def x = 5; x instanceof float", "Integer x = 1;",
        "1 * 1; return null;", "x + 1", "(char)'cc'", "def x = 1.0; int y = x;", "def x = null; x + 'b'",
        "String s; s?.length()", "params.a ?: 1", "int x = 1; x ?: 2",
    ] {
        let (v, t) = run(src);
        println!("{src:40} => {v} ({t})");
    }
}
