#!/usr/bin/env python3
"""Hostile scripts through `scorelab exec` (test context) and `scorelab eval` (score context, demo
store, 8-user cohort): wall time, peak RSS (GNU time), exit code and the error each one ends with.
Prints the Markdown table of docs/sandbox.md. Usage: python3 benches/hostile_cases.py [BINARY]
(default target/ci/scorelab; build it with `cargo build --profile ci`). Needs /usr/bin/time."""

import json
import os
import subprocess
import sys
import tempfile

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/ci/scorelab"
STORE = ".scorelab/stores/movielens"

DEEP_LIST = "List l = new ArrayList(); for (int i = 0; i < 200000; ++i) { List m = new ArrayList(); m.add(l); l = m; }"
CASES = [
    ("operator chain, 3,000 terms (6 KB)", "return 1" + "+1" * 2999 + ";"),
    ("call chain, `.toString()` x 5,000", "String s = 'x'; return s" + ".toString()" * 5000 + ".length();"),
    ("5,800 straight-line statements (58 KB)", "int x = 0;\n" + "x = x + 1;\n" * 5800 + "return x;"),
    ("operator chain, 32,000 terms (64 KB)", "return 1" + "+1" * 31999 + ";"),
    ("operator chain, 42,000 terms (84 KB)", "return 1" + "+1" * 41999 + ";"),
    ("brackets nested 200 deep", "return " + "(" * 200 + "1" + ")" * 200 + ";"),
    ("list nested 200,000 deep, dropped", DEEP_LIST + " return l.size();"),
    ("list nested 200,000 deep, printed", DEEP_LIST + " return l.toString().length();"),
    ("`new int[100000][100000]`", "int[][] a = new int[100000][100000]; return a.length;"),
    ("`l.add(new long[9000000])` x 100", "List l = []; for (int i = 0; i < 100; ++i) { l.add(new long[9000000]); } return l.size();"),
    ("string doubling", "String s = 'x'; while (true) { s = s + s; }"),
    ("quadratic string appends", "String s = ''; for (int i = 0; i < 999999; ++i) { s += 'x'; } return s.length();"),
    ("`l.addAll(l)` forever", "List l = [1]; while (true) { l.addAll(l); }"),
    # `_score` makes the eval cases per document (otherwise the checker hoists them into the
    # once-per-user prefix); `def _score = 1.0;` stands in for it in exec's test context.
    ("loop-counter error, per document", "double s = _score; while (s >= 0) { s++ } return s;"),
    ("999,990-iteration loop (legal), per document", "double s = _score; for (int i = 0; i < 999990; ++i) { s += i } return 1;"),
    ("unbounded recursion", "int f(int n) { return f(n + 1) } return f(0);"),
    ("exponential recursion", "int f(int n) { return n == 0 ? 1 : f(n - 1) + f(n - 1) } return f(60);"),
    ("nested for-each over a 100,000 list", "List l = new ArrayList(); for (int i = 0; i < 100000; ++i) { l.add(i) } long n = 0; for (def a : l) { for (def b : l) { n++ } } return n;"),
]


def timed(cmd):
    with tempfile.NamedTemporaryFile("r") as t:
        p = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name] + cmd, capture_output=True, text=True)
        secs, kb = t.read().split()[-2:]
    return p, float(secs), int(kb) // 1024


def outcome_exec(out):
    try:
        v = json.loads(out.strip().splitlines()[-1])
    except Exception:
        return "no JSON output"
    if "result" in v:
        text = json.dumps(v["result"])
        return "ok: " + (text if len(text) < 20 else f"{len(text):,} chars")
    e = v["error"]
    return f"{e['type']} ({e['code']})"


def outcome_eval(out):
    try:
        v = json.loads(out)
    except Exception:
        return "no JSON output"
    r = v["result"]
    if r["status"] == "ok":
        return "ok"
    err = (r.get("errors") or [{}])[0]
    cause = err.get("error", {}).get("root_cause", [{}])[0] if "error" in err else err
    kind = cause.get("type", "?")
    reached = r.get("users_reached", r.get("users"))
    return f"{r['status']}: {kind}, {reached} of {r.get('users')} users reached"


def main():
    print("| case | exec: outcome | s | peak MiB | eval (8 users): outcome | s | peak MiB |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as d:
        for name, src in CASES:
            p, s1, m1 = timed([BIN, "exec", "--source", src.replace("_score", "params.score"), "--params", '{"score": 1.0}'])
            ex = outcome_exec(p.stdout) if p.returncode in (0, 1) else f"exit {p.returncode}"
            path = os.path.join(d, "query.painless")
            with open(path, "w") as f:
                f.write(src)
            p, s2, m2 = timed([BIN, "eval", "--query", path, "--store", STORE, "--cohort-size", "8",
                               "--candidate-timeout", "20", "--json"])
            ev = outcome_eval(p.stdout) if p.returncode in (0, 1) else f"exit {p.returncode}: {p.stderr.strip()[-200:]}"
            print(f"| {name} | {ex} | {s1:.2f} | {m1} | {ev} | {s2:.2f} | {m2} |", flush=True)


if __name__ == "__main__":
    main()
