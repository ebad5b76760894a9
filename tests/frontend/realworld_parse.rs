//! Every `confident_valid: true` script of `../shared/painless-realworld.jsonl` (real scripts from
//! public repositories, see its .md) must parse, and round-trip through the printer; known-invalid
//! scripts whose fault is syntactic must be rejected. The corpus is read at test time and never
//! copied into the repository; the test is skipped with a message when it is absent outside CI and
//! fails under CI (tests/common/shared_corpus.rs).

use crate::shared_corpus;

use scorelab::painless::parse;
use scorelab::painless::print::print_script;

/// Valid records that this front-end rejects on purpose, with the reason. Must stay empty unless
/// a record is shown not to be Painless 8.x syntax; an unused entry fails the test.
const EXPECTED_PARSE_FAILURES: &[(&str, &str)] = &[(
    // patidar-ashutosh/Elasticsearch_Notes script-based_custom_sorting.md: the record starts with
    // the word `painless` (the info string of a markdown ```painless fence was captured with the
    // script). `painless` then `if` on the next line is `unexpected token ['if'] was expecting one
    // of [{<EOF>, ';'}].` in ES too; without that first line the script parses.
    "painless\nif (doc['positionType.keyword']",
    "markdown fence info string captured as the first line",
)];

/// Invalid records (confident_valid false or a known_error) whose fault is syntactic, by a
/// distinctive fragment of their source: these must be rejected by `parse`.
const SYNTACTICALLY_INVALID: &[(&str, &str)] = &[
    ("# Calculate vector similarity", "`#` line comments are not Painless"),
    ("doc['num1'.value > 1", "unbalanced `[`"),
];

fn records() -> Option<Vec<serde_json::Value>> {
    shared_corpus::corpus_records()
}

fn without_spans(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("Span { start: ") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        rest = &after[after.find('}').map_or(after.len(), |c| c + 1)..];
    }
    out.push_str(rest);
    out
}

#[test]
fn confident_valid_scripts_parse() {
    let Some(records) = records() else { return };
    let mut failures = Vec::new();
    let mut used = vec![false; EXPECTED_PARSE_FAILURES.len()];
    let mut parsed = 0;
    for r in &records {
        if r["confident_valid"] != true {
            continue;
        }
        let source = r["source"].as_str().expect("source");
        let id = format!("{} {}", r["repo"].as_str().unwrap_or("?"), r["path"].as_str().unwrap_or("?"));
        match parse(source) {
            Ok(script) => {
                parsed += 1;
                let printed = print_script(&script);
                match parse(&printed) {
                    Ok(again) => {
                        if without_spans(&format!("{script:?}")) != without_spans(&format!("{again:?}")) {
                            failures.push(format!("{id}: printed form parses differently:\n{printed}"));
                        }
                    }
                    Err(d) => failures.push(format!("{id}: printed form does not parse: {}\n{printed}", d[0].message)),
                }
            }
            Err(diags) => {
                if let Some(k) = EXPECTED_PARSE_FAILURES.iter().position(|(frag, _)| source.contains(frag)) {
                    used[k] = true;
                } else {
                    failures.push(format!("{id}: {}\n{source}", diags[0].message));
                }
            }
        }
    }
    for (k, was_used) in used.iter().enumerate() {
        if !was_used {
            failures.push(format!("unused EXPECTED_PARSE_FAILURES entry {:?}", EXPECTED_PARSE_FAILURES[k]));
        }
    }
    assert!(parsed > 150, "only {parsed} valid scripts parsed");
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn syntactically_invalid_scripts_are_rejected() {
    let Some(records) = records() else { return };
    for (fragment, why) in SYNTACTICALLY_INVALID {
        let record = records
            .iter()
            .find(|r| r["confident_valid"] != true && r["source"].as_str().is_some_and(|s| s.contains(fragment)))
            .unwrap_or_else(|| panic!("no invalid record contains {fragment:?}"));
        let source = record["source"].as_str().unwrap_or_default();
        assert!(parse(source).is_err(), "{why}: should not parse:\n{source}");
    }
}

/// The parser's work budget has headroom: every real-world record (valid or not), every golden input
/// and every shipped or parity set parses (or fails for its own reason) within a quarter of the
/// default budget per byte. A grammar change that makes real scripts backtrack much more fails here
/// before users meet `P192`.
#[test]
fn real_scripts_parse_within_a_quarter_of_the_work_budget() {
    use scorelab::painless::{ParseLimits, code::parse::TOO_COMPLEX, parse_with_limits};
    let Some(records) = records() else { return };
    let mut sources: Vec<(String, String)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((format!("record {i}"), r["source"].as_str()?.to_string())))
        .collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("scripts"), root.join("tests/golden"), root.join("tests/parity_movielens")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a test directory").filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "painless") {
                sources.push((path.display().to_string(), std::fs::read_to_string(&path).expect("a script")));
            }
        }
    }
    assert!(sources.len() > 350, "{} scripts", sources.len());
    let limits = ParseLimits {
        max_parser_calls_per_byte: ParseLimits::DEFAULT_MAX_PARSER_CALLS_PER_BYTE / 4,
        ..ParseLimits::default()
    };
    let over: Vec<&str> = sources
        .iter()
        .filter(|(_, source)| {
            parse_with_limits(source, &limits).is_err_and(|diags| diags.iter().any(|d| d.code == TOO_COMPLEX))
        })
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(over.is_empty(), "need more than a quarter of the parser budget: {over:?}");
}
