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
    Limits {
        max_loop_counter: 10_000,
        max_call_depth: 16,
        max_collection_len: 10_000,
        max_string_len: 100_000,
        ..Limits::default()
    }
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

// ---- Hostile scripts (issue 17): no abort on depth, a memory budget, a time budget --------------

/// Runs `f` on a thread with a 256 KiB stack, far smaller than the 2-8 MiB threads usually get:
/// depth handling must come from sizing, not from a roomy stack.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(256 * 1024).spawn(f).expect("thread").join().expect("no panic")
}

/// The script's value as text, or its first diagnostic as `(es_type, code, message)`.
fn run_small(src: String) -> Result<String, (String, String, String)> {
    on_small_stack(move || {
        let r = exec_test(&src, &serde_json::Map::new());
        match r.outcome {
            Ok(v) => Ok(scorelab::interp::runtime::output::value_to_json(&v)
                .expect("exec_test refuses results without a JSON form")),
            Err(d) => Err((d[0].es_type.clone(), d[0].code.clone(), d[0].message.clone())),
        }
    })
}

#[test]
fn long_operator_chains_compile_and_run() {
    // 3,000 terms (6 KB): a tree 3,000 deep that the nesting limit does not see.
    assert_eq!(run_small(format!("return 1{};", "+1".repeat(2999))), Ok("3000".into()));
    assert_eq!(run_small(format!("long x = 2; return x{};", " * 1".repeat(5000))), Ok("2".into()));
    assert_eq!(run_small(format!("boolean t = true; return t{};", " && t".repeat(4000))), Ok("true".into()));
    // Constant folding walks it too.
    assert_eq!(run_small(format!("return 1.0{};", " - 0.5".repeat(3000))), Ok("-1499.0".into()));
}

#[test]
fn long_call_chains_compile_and_run() {
    let src = format!("String s = 'x'; return s{};", ".toString()".repeat(5000));
    assert_eq!(run_small(src), Ok("\"x\"".into()));
    let src = format!("List l = [1, 2]; return l{}.size();", ".subList(0, 2)".repeat(3000));
    assert_eq!(run_small(src), Ok("2".into()));
}

#[test]
fn many_straight_line_statements_compile_and_run() {
    // ~5,800 statements, 58 KB: under the engine's 65,535-byte script limit.
    let mut src = String::from("int x = 0;\n");
    for _ in 0..5800 {
        src.push_str("x = x + 1;\n");
    }
    src.push_str("return x;");
    assert!(src.len() < 65_535);
    assert_eq!(run_small(src), Ok("5800".into()));
}

/// The same long scripts ranked as score scripts over a store, which takes the batch path (its
/// planner and executor walk statement chains): on the 256 KiB thread, 5,800 statements once
/// overflowed the planner, which recursed once per statement, and aborted `eval`.
#[test]
fn long_scripts_rank_as_score_scripts() {
    let mut statements = String::from("double x = _score;\n");
    for _ in 0..5800 {
        statements.push_str("x = x + 1;\n");
    }
    statements.push_str("return x;");
    for src in [
        statements,
        format!("double s = _score; return s{};", " + 1".repeat(2999)),
        format!("String s = 'x'; return s{}.length();", ".toString()".repeat(5000)),
    ] {
        on_small_stack(move || {
            use scorelab::run::{CandidateOutcome, EvalSettings, Evaluator};
            let store = synthetic_store(120, 10);
            let evaluator =
                Evaluator::new(&store, EvalSettings { threshold: Some(0.0), threads: 1, ..Default::default() })
                    .unwrap();
            let set = scorelab::rank::ScriptSet::new(src.clone());
            let result = evaluator.evaluate(&set).unwrap();
            assert!(matches!(result.outcome, CandidateOutcome::Scored(_)), "{}: {:?}", &src[..40], result.outcome);
        });
    }
}

#[test]
fn trees_over_the_depth_budget_are_refused_at_their_deepest_node() {
    let limits = Limits { max_tree_depth: 1000, ..Limits::default() };
    let src = format!("return 1{};", "+1".repeat(1200));
    let d = exec_test_with(&src, &serde_json::Map::new(), &limits).outcome.expect_err("over the budget");
    assert_eq!((d[0].code.as_str(), d[0].severity), ("L420", Severity::UnsupportedLocally));
    assert!(d[0].message.contains("depth budget of 1000"), "{}", d[0].message);
    // The deepest node is the chain's first operand.
    assert_eq!(d[0].span.start, 7);
    // The default budget covers every chain that fits in the engine's 65,535-byte limit.
    let src = format!("return 1{};", "+1".repeat(32_000));
    assert_eq!(run_small(src), Ok("32001".into()));
}

#[test]
fn deeply_nested_runtime_values_do_not_overflow() {
    let build =
        "List l = new ArrayList(); for (int i = 0; i < 200000; ++i) { List m = new ArrayList(); m.add(l); l = m; }";
    // Dropping it at the end of the evaluation.
    assert_eq!(run_small(format!("{build} return l.size();")), Ok("1".into()));
    // Printing, comparing and hashing it.
    assert_eq!(run_small(format!("{build} return l.toString().length();")), Ok("400002".into()));
    let second =
        "List k = new ArrayList(); for (int i = 0; i < 200000; ++i) { List m = new ArrayList(); m.add(k); k = m; }";
    assert_eq!(run_small(format!("{build} {second} return k == l;")), Ok("true".into()));
    assert!(run_small(format!("{build} return l.hashCode();")).is_ok());
    // Returned as the result (exec's JSON output).
    let out = run_small(format!("{build} return l;")).expect("value");
    assert_eq!(out.len(), 400_002);
    // Maps and arrays too.
    let maps = "Map m = [:]; for (int i = 0; i < 100000; ++i) { Map n = [:]; n.put('k', m); m = n; } return m.size();";
    assert_eq!(run_small(maps.into()), Ok("1".into()));
    let arrays = "def a = new def[1]; for (int i = 0; i < 100000; ++i) { def b = new def[1]; b[0] = a; a = b; } return a.length;";
    assert_eq!(run_small(arrays.into()), Ok("1".into()));
}

fn budget_error(src: &str, limits: &Limits) -> (String, Severity, String) {
    let d = exec_test_with(src, &serde_json::Map::new(), limits).outcome.expect_err("over the budget");
    (d[0].es_type.clone(), d[0].severity, d[0].message.clone())
}

#[test]
fn memory_budget_refuses_before_allocating() {
    let limits = Limits::default();
    for src in [
        "int[][] a = new int[100000][100000]; return a.length;",
        "List l = []; for (int i = 0; i < 100; ++i) { l.add(new long[9000000]); } return l.size();",
        "Map m = [:]; for (int i = 0; i < 999999; ++i) { m.put(i, new double[1000]); } return m.size();",
        "List l = [1]; while (true) { l.addAll(l); }",
    ] {
        let (es_type, severity, message) = budget_error(src, &limits);
        assert_eq!((es_type.as_str(), severity), ("unsupported_locally", Severity::UnsupportedLocally), "{src}");
        assert!(message.contains("memory budget of 134217728 bytes"), "{src}: {message}");
    }
    // The budget is configurable.
    let small = Limits { max_alloc_bytes: 1 << 20, ..Limits::default() };
    let (_, _, message) = budget_error("String s = 'x'; for (int i = 0; i < 30; ++i) { s = s + s } return 1;", &small);
    assert!(message.contains("memory budget of 1048576 bytes"), "{message}");
    // Under it, nothing changes.
    assert_eq!(err_type("String s = 'x'; for (int i = 0; i < 15; ++i) { s = s + s } return s.length();", &small), None);
}

fn synthetic_store(items: usize, users: usize) -> scorelab::store::Store {
    let opts = scorelab::data::SyntheticOptions {
        items,
        users,
        dims: 8,
        seed: 3,
        topics: 4,
        ..scorelab::data::SyntheticOptions::default()
    };
    scorelab::store::Store::from_dataset(&scorelab::data::synthetic_dataset(&opts)).expect("synthetic store")
}

#[test]
fn a_candidate_over_its_time_budget_times_out() {
    use scorelab::run::{CandidateOutcome, EvalSettings, Evaluator};
    let store = synthetic_store(300, 40);
    let mut evaluator =
        Evaluator::new(&store, EvalSettings { threshold: Some(0.0), threads: 2, ..Default::default() }).unwrap();
    // 999,990 iterations per document: legal, and hours for a cohort.
    let slow = scorelab::rank::ScriptSet::new("double s = 0; for (int i = 0; i < 999990; ++i) { s += i } return 1;");
    evaluator.candidate_timeout = Some(std::time::Duration::from_millis(200));
    let result = evaluator.evaluate(&slow).unwrap();
    let CandidateOutcome::TimedOut { users, users_reached, .. } = result.outcome else {
        panic!("{:?}", result.outcome)
    };
    assert_eq!(users, evaluator.cohort.len());
    assert!(users_reached < users);
    let errors = result.es_errors(&slow, 3);
    assert_eq!(errors[0]["type"], "scorelab_timeout");
    // The same evaluator scores a quick candidate within the budget.
    let quick = scorelab::rank::ScriptSet::new("return 1.0;");
    assert!(matches!(evaluator.evaluate(&quick).unwrap().outcome, CandidateOutcome::Scored(_)));
}

#[test]
fn a_candidate_failing_on_its_first_users_stops_early() {
    use scorelab::run::{CandidateOutcome, EvalSettings, Evaluator};
    let store = synthetic_store(200, 60);
    let evaluator =
        Evaluator::new(&store, EvalSettings { threshold: Some(0.0), threads: 2, ..Default::default() }).unwrap();
    assert!(evaluator.cohort.len() > 8);
    let failing =
        scorelab::rank::ScriptSet::new("int z = params.user_vector.size() - params.user_vector.size(); return 1 / z;");
    let result = evaluator.evaluate(&failing).unwrap();
    let CandidateOutcome::RuntimeErrors { failures, users, reached } = &result.outcome else {
        panic!("{:?}", result.outcome)
    };
    // The first wave (8 users) all fail the same way; the others are not run.
    assert_eq!((*reached, failures.len(), *users), (8, 8, evaluator.cohort.len()));
    assert!(failures.iter().all(|f| f.summary(&store).contains("arithmetic_exception")));
}

// ---- Bounded fuzzing (CI): long chains, deep nesting, mutated real-world scripts -----------------
//
// Every generated script goes through the whole front end and checker in the score, sort and test
// contexts, runs in the test context under small limits, and has its diagnostics rendered both
// ways. A panic fails the case, an abort (stack overflow) fails the whole test binary. Cases per
// property: SCORELAB_FUZZ_CASES (default 64: a minute or two in the `ci` profile on 2 cores).

fn fuzz_cases() -> u32 {
    std::env::var("SCORELAB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

fn fuzz_limits() -> Limits {
    Limits {
        max_loop_counter: 10_000,
        max_call_depth: 16,
        max_collection_len: 10_000,
        max_string_len: 100_000,
        max_alloc_bytes: 8 << 20,
        ..Limits::default()
    }
}

/// Real-world scripts (../shared/painless-realworld.jsonl, read at test time, never copied into the
/// repository; SCORELAB_SHARED_DIR points elsewhere). Empty when absent.
fn realworld_sources() -> &'static [String] {
    static SOURCES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    SOURCES.get_or_init(|| {
        let dir = std::env::var_os("SCORELAB_SHARED_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared")));
        let text = std::fs::read_to_string(dir.join("painless-realworld.jsonl")).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["source"].as_str().map(str::to_string))
            .collect()
    })
}

/// Compiles `src` in every context, renders every diagnostic, and runs it in the test context.
fn exercise(src: &str) {
    use scorelab::interp::{CompileEnv, Dialect, ScriptContext, compile};
    for context in [ScriptContext::Score, ScriptContext::Sort] {
        let env = CompileEnv { limits: fuzz_limits(), ..CompileEnv::new(context, Dialect::Elasticsearch) };
        let compiled = compile(src, &env);
        for d in &compiled.diagnostics {
            let _ = scorelab::painless::render_es(d, src);
            let _ = scorelab::painless::render_human(std::slice::from_ref(d), "fuzz.painless", src);
        }
    }
    if let Err(ds) = exec_test_with(src, &serde_json::Map::new(), &fuzz_limits()).outcome {
        for d in &ds {
            let _ = scorelab::painless::render_es(d, src);
        }
    }
    // Printing walks the tree too (its parenthesised form of a long chain nests past the parser's
    // limit, so it is printed, not re-parsed).
    if let Ok(script) = scorelab::painless::parse(src) {
        let _ = scorelab::painless::print::print_script(&script);
    }
}

const CHAIN_OPS: &[&str] =
    &["+", "-", "*", "/", "%", "<<", ">>", ">>>", "&", "|", "^", "&&", "||", "==", "!=", "<", ">=", "?:", "+="];
const CHAIN_TERMS: &[&str] = &["1", "x", "2L", "1.5", "'s'", "true", "null", "params.a", "x.length()", "(x)"];
const NESTERS: &[(&str, &str)] = &[
    ("(", ")"),
    ("-", ""),
    ("!", ""),
    ("(int)", ""),
    ("[", "]"),
    ("f(", ")"),
    ("x ? 1 : ", ""),
    ("if (x) { ", " }"),
    ("x -> ", ""),
    ("new int[", "]"),
    ("x = ", ""),
];
const POSTFIX: &[&str] = &[".toString()", ".length()", "[0]", ".a", "?.b", ".get(0)", "++", ".subList(0, 1)"];

fn mutate(base: &str, edits: &[(usize, usize, u8, String)]) -> String {
    let mut s = base.to_string();
    for (at, len, kind, text) in edits {
        let mut a = (*at).min(s.len());
        while !s.is_char_boundary(a) {
            a -= 1;
        }
        let mut b = (a + len).min(s.len());
        while !s.is_char_boundary(b) {
            b -= 1;
        }
        match kind % 4 {
            0 => s.insert_str(a, text),
            1 => s.replace_range(a..b, ""),
            // Repeat a slice many times: long chains and deep nesting out of real code.
            2 => {
                let piece = s[a..b].to_string();
                s.insert_str(a, &piece.repeat(1 + len % 400));
            }
            _ => s.replace_range(a..b, text),
        }
        if s.len() > 300_000 {
            s.truncate(s.char_indices().take_while(|(i, _)| *i < 300_000).count());
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: fuzz_cases(), failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn fuzz_long_operator_chains(ops in proptest::collection::vec(0..CHAIN_OPS.len(), 1..8),
                                 terms in proptest::collection::vec(0..CHAIN_TERMS.len(), 1..8),
                                 n in 1usize..6000) {
        let mut src = String::from("def x = 1; return ");
        src.push_str(CHAIN_TERMS[terms[0]]);
        for i in 0..n {
            src.push(' ');
            src.push_str(CHAIN_OPS[ops[i % ops.len()]]);
            src.push(' ');
            src.push_str(CHAIN_TERMS[terms[i % terms.len()]]);
        }
        src.push(';');
        exercise(&src);
    }

    #[test]
    fn fuzz_long_postfix_chains(picks in proptest::collection::vec(0..POSTFIX.len(), 1..6), n in 1usize..6000) {
        let mut src = String::from("def x = ['a']; return x");
        for i in 0..n {
            src.push_str(POSTFIX[picks[i % picks.len()]]);
        }
        src.push(';');
        exercise(&src);
    }

    #[test]
    fn fuzz_deep_nesting(picks in proptest::collection::vec(0..NESTERS.len(), 1..6), n in 1usize..400) {
        let mut src = String::from("def x = 1; return ");
        for i in 0..n {
            src.push_str(NESTERS[picks[i % picks.len()]].0);
        }
        src.push('x');
        for i in (0..n).rev() {
            src.push_str(NESTERS[picks[i % picks.len()]].1);
        }
        src.push(';');
        exercise(&src);
    }

    #[test]
    fn fuzz_mutated_real_world_scripts(
        pick in any::<proptest::sample::Index>(),
        edits in proptest::collection::vec(
            (0usize..2000, 0usize..600, any::<u8>(), "[-+*/%(){}\\[\\];=<>!?:.,'\"a-z0-9 \n]{0,8}"),
            1..5,
        ),
    ) {
        let sources = realworld_sources();
        let base = if sources.is_empty() { FRAGMENTS.join(" ") } else { pick.get(sources).clone() };
        exercise(&mutate(&base, &edits));
    }
}

/// Peak resident memory of this test process (Linux), in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
}

#[test]
fn hostile_scripts_stay_within_memory() {
    // The memory-heavy hostile cases, one after the other, then the process's peak: every
    // evaluation is refused at its 128 MiB budget, so the peak stays far below what the scripts
    // ask for (tens of GB) even with the other tests of this binary running beside them.
    for src in [
        "int[][] a = new int[100000][100000]; return a.length;",
        "List l = []; for (int i = 0; i < 100; ++i) { l.add(new long[9000000]); } return l.size();",
        "String s = 'x'; while (true) { s = s + s; }",
    ] {
        assert!(exec_test(src, &serde_json::Map::new()).outcome.is_err());
    }
    if let Some(peak) = peak_rss() {
        assert!(peak < 3 << 30, "peak RSS {peak} bytes");
    }
}
