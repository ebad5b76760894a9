//! Token-level tests of `grammar/painless.pest`, rule by rule, before any AST exists (pest's
//! `parses_to!` / `fails_with!` and a "whole input is one X" helper).

use pest::Parser;
use pest::{consumes_to, fails_with, parses_to};
use scorelab::painless::grammar::{PainlessParser, Rule, blank_comments};

/// True when `rule` matches the whole of `input` (comments blanked first, as `painless::parse`
/// does: the grammar has no comment rule).
fn whole(rule: Rule, input: &str) -> bool {
    let text = blank_comments(input);
    PainlessParser::parse(rule, &text)
        .is_ok_and(|mut p| p.next().is_some_and(|pair| pair.as_str().len() == input.len()))
}

/// True when the whole script parses (comments blanked first, as `painless::parse` does).
fn script(input: &str) -> bool {
    PainlessParser::parse(Rule::script, &blank_comments(input)).is_ok()
}

#[test]
fn integer_literals() {
    for ok in ["0", "7", "123", "1L", "1l", "5f", "5F", "5d", "5D", "2147483648"] {
        assert!(whole(Rule::integer, ok), "{ok}");
    }
    for ok in ["017", "00", "0777L"] {
        assert!(whole(Rule::octal, ok), "{ok}");
    }
    for ok in ["0x1F", "0XffL", "0xCAFEl"] {
        assert!(whole(Rule::hex, ok), "{ok}");
    }
    // `08` is `0` then `8` (no octal digit 8), `1.` is `1` then `.`; neither is one number.
    assert!(!whole(Rule::octal, "08"));
    assert!(!whole(Rule::integer, "08"));
    assert!(!whole(Rule::decimal, "1."));
    assert!(!whole(Rule::integer, "1."));
}

#[test]
fn decimal_literals() {
    for ok in ["1.5", "0.5", "1e6", "1E+6", "2.5e-3", "1.5f", "1.5D", "0.0"] {
        assert!(whole(Rule::decimal, ok), "{ok}");
    }
    for bad in [".5", "1.", "1e", "1.5L", "01.5"] {
        assert!(!whole(Rule::decimal, bad), "{bad}");
    }
}

#[test]
fn numeric_token_boundaries() {
    parses_to! {
        parser: PainlessParser,
        input: "0x1FL",
        rule: Rule::hex,
        tokens: [hex(0, 5)]
    };
    parses_to! {
        parser: PainlessParser,
        input: "1.5e3f",
        rule: Rule::decimal,
        tokens: [decimal(0, 6)]
    };
}

#[test]
fn strings_and_escapes() {
    for ok in [r#""""#, r#""abc""#, r#""a\"b""#, r#""a\\b""#, "'it\\'s'", r"'c:\\temp'", "\"raw\nnewline\"", "'λ 中文'"]
    {
        assert!(whole(Rule::string, ok), "{ok}");
    }
    // Only `\\` and the delimiting quote are escapes.
    for bad in [r#""\n""#, r#""\t""#, r"'\u00e9'", r#""\'""#, r#"'\"'"#, r#""unterminated"#] {
        assert!(!whole(Rule::string, bad), "{bad}");
    }
}

#[test]
fn comments() {
    assert!(script("/* a */ 1 /* b */ + // c\n 2"));
    assert!(script("1 // trailing comment\n"));
    assert!(script("1 // trailing comment\r"));
    // A `//` comment must end in a newline.
    assert!(!script("1 // no newline"));
    assert!(!script("1 /* never closed"));
    // The pre-scan removes comments (as ES's lexer skips them); the grammar itself has none.
    assert!(PainlessParser::parse(Rule::script, "/* a */ 1").is_err());
    fails_with! {
        parser: PainlessParser,
        input: "# not a comment",
        rule: Rule::script,
        positives: vec![Rule::script],
        negatives: vec![],
        pos: 0
    };
}

#[test]
fn identifiers_and_keywords() {
    for ok in ["x", "_score", "doc", "instanceofx", "double2", "inx", "newValue", "iff"] {
        assert!(whole(Rule::ident, ok), "{ok}");
    }
    for kw in ["if", "in", "instanceof", "new", "def", "int", "double", "true", "null", "this", "do"] {
        assert!(!whole(Rule::ident, kw), "{kw}");
    }
    // After a dot any word is a name, keywords included.
    assert!(whole(Rule::dot_name, ".new"));
    assert!(whole(Rule::dot_name, "?.if"));
    assert!(whole(Rule::dot_index, ".0"));
    assert!(!whole(Rule::dot_name, ". x"));
}

#[test]
fn operators_are_longest_match() {
    // Every binary operator is one `binary_op` token, matched whole.
    for text in [
        "?:", "||", "&&", "|", "^", "&", "==", "!=", "===", "!==", "<", "<=", ">", ">=", "<<", ">>", ">>>", "=~",
        "==~", "+", "-", "*", "/", "%",
    ] {
        assert!(whole(Rule::binary_op, text), "{text}");
    }
    // A longer operator is never split into a shorter one plus a rest.
    for (text, longest) in [(">>>", ">>>"), ("===", "==="), ("==~", "==~"), ("!==", "!=="), ("<<", "<<"), ("&&", "&&")]
    {
        let pair = PainlessParser::parse(Rule::binary_op, text).ok().and_then(|mut p| p.next());
        assert_eq!(pair.map(|p| p.as_str()), Some(longest), "{text}");
    }
    // Prefixes of longer non-binary operators are not binary operators.
    for text in ["++", "+=", "--", "->", "<<=", ">>=", ">>>=", "&=", "|=", "^=", "%=", "/=", "*=", "=", "?", "?.", "!"]
    {
        assert!(PainlessParser::parse(Rule::binary_op, text).is_err(), "{text} must not start with a binary operator");
    }
    for (rule, text) in [(Rule::cond_op, "?."), (Rule::cond_op, "?:"), (Rule::assign, "==")] {
        assert!(PainlessParser::parse(rule, text).is_err(), "{text} must not start with {rule:?}");
    }
    for text in [">>>=", ">>=", "<<=", "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "="] {
        assert!(whole(Rule::assign_op, text), "{text}");
    }
}

#[test]
fn regex_literals_only_where_a_value_starts() {
    assert!(whole(Rule::regex, "/a\\/b+/imsU"));
    assert!(script("x =~ /ab+/"));
    assert!(script("a / b / c"));
    assert!(!whole(Rule::regex, "//"));
}

#[test]
fn statement_terminators() {
    assert!(script("x = 1"));
    assert!(script("x = 1;"));
    assert!(script("if (a) {return 10} return 2"));
    assert!(script("if (c) 'true'; else 'false'"));
    assert!(!script("x = 1 y = 2"));
    assert!(!script("{ if (a) return 1 }"));
    assert!(!script("x = 1;;"));
}

#[test]
fn types_and_casts() {
    for ok in ["int", "def", "String", "Map.Entry", "double[]", "int[][]", "Map.Entry []"] {
        assert!(whole(Rule::decl_type, ok), "{ok}");
    }
    assert!(script("(int) -x"));
    assert!(script("(String[]) x"));
    assert!(script("(List) (x)"));
    assert!(script("int[] a = new int[] {1, 2}; Map.Entry e = null; def[] d = new def[2];"));
}

/// ES's lexer skips whitespace and comments between any two tokens (`WS`/`COMMENT -> skip`), so
/// they may sit inside a type (`int /*c*/ []`) and everywhere else between tokens; only right
/// after a `.`/`?.` (the lexer's AFTER_DOT mode has no skip rule) and inside a token are they
/// rejected.
#[test]
fn comments_and_whitespace_between_any_two_tokens() {
    for ok in [
        "int /*c*/ []",
        "int[ /*c*/ ]",
        "int //c\n [ ]",
        "int\t[\n]",
        "Map /*c*/ .Entry",
        "Map .Entry [] []",
        "def /**/ []",
    ] {
        assert!(whole(Rule::decl_type, ok), "{ok}");
    }
    for ok in [
        "int /*c*/ [] a = new int[1];",
        "int /*c*/ [] f(int /*c*/ [] a) { return a; } return f(null);",
        "Map /*c*/ .Entry e = null;",
        "def a = new int /*c*/ [ /*c*/ ] /*c*/ {1};",
        "def a = new int /*c*/ [ /*c*/ 1 /*c*/ ] /*c*/ .length;",
        "def a = new Map /*c*/ .Entry[1];",
        "return (int /*c*/ []) null;",
        "return ( /*c*/ def /*c*/ [ /*c*/ ] /*c*/ ) null;",
        "return (String /*c*/ []) null;",
        "return (Map /*c*/ .Entry) null;",
        "return x instanceof int /*c*/ [];",
        "for (int /*c*/ [] a : l) {}",
        "x /*c*/ .y /*c*/ ?.z /*c*/ [0] /*c*/ .call /*c*/ ( /*c*/ )",
        "l.sort((a, b) /*c*/ -> /*c*/ a - b)",
        "l.forEach(int /*c*/ [] x -> 1)",
        "l.map(Integer /*c*/ :: /*c*/ valueOf)",
        "l.map(int /*c*/ [] :: /*c*/ new)",
        "return $ /*c*/ ( /*c*/ 'f' /*c*/ , 0);",
    ] {
        assert!(script(ok), "{ok}");
    }
    // Nothing may follow a dot before the name (ANTLR's AFTER_DOT mode), and tokens stay whole.
    for bad in [
        "x. y",
        "x./*c*/y",
        "x ?. y",
        "Map. Entry e;",
        "x - > 1",
        "l.map(Integer : : valueOf)",
        "1 /*c*/ L",
        "a + /*c*/ = 1",
    ] {
        assert!(!script(bad), "{bad}");
    }
}
