//! The pest parser generated from `grammar/painless.pest`, and the translation of pest's failures
//! into ES-worded diagnostics. Together with `lower.rs` this is the only place that names pest
//! types; everything else sees the owned AST and `Diagnostic`.
//!
//! The grammar covers the full 8.x syntax, the `$` field-API token included; `diagnose` words pest's
//! failures as ES's parser messages (checked against ANTLR run on ES's own grammar files).
//!
//! **Speed.** pest pays a fixed cost per combinator call, so `grammar/painless.pest` is written to
//! make few of them (each trick is commented where it is used): whitespace is one character range,
//! single characters are ranges rather than strings, all binary operators are one atomic `binary_op`
//! token, the keyword check branches on the first letter, string bodies are character ranges, and
//! cheap one-character guards skip alternatives that cannot match. Where a guard skips alternatives,
//! a stand-in rule (`block_end`, `no_argument`, `no_postfix`, `no_tail`, `no_operator`, `no_incdec`,
//! `no_call`) fails in their place and `diagnose` reports it as the rules it replaces, so messages
//! and help lines are unchanged.

use pest::Parser;
use pest::error::{Error as PestError, ErrorVariant, InputLocation};
use pest::iterators::Pair;

use super::ParseLimits;
use super::code;
use super::diag::Diagnostic;
use super::errors;
use super::lex::{LexError, Lexed, error_display};
use super::span::Span;

#[derive(pest_derive::Parser)]
#[grammar = "grammar/painless.pest"]
/// Public only so `tests/frontend/grammar.rs` can test rules one by one; use `painless::parse`.
pub struct PainlessParser;

/// The text the grammar is run on: `source` with its comments blanked out (offsets kept), as
/// `painless::parse` does before running pest; `grammar/painless.pest` itself has no comments.
/// Public for `tests/frontend/grammar.rs`.
pub fn blank_comments(source: &str) -> std::borrow::Cow<'_, str> {
    let lexed = super::lex::lex(source);
    super::lex::blank_comments(source, &lexed.comments)
}

pub(crate) fn parse_script(source: &str) -> Result<Pair<'_, Rule>, Box<PestError<Rule>>> {
    let mut pairs = PainlessParser::parse(Rule::script, source).map_err(Box::new)?;
    pairs.next().ok_or_else(|| {
        Box::new(PestError::new_from_pos(
            ErrorVariant::CustomError { message: "empty parse".into() },
            pest::Position::from_start(source),
        ))
    })
}

/// A lexer error as ES words it (see `lex.rs`).
pub(crate) fn lex_diagnostic(source: &str, e: &LexError) -> Diagnostic {
    let text = &source[e.offset..e.end];
    let code = if e.message.contains("The only valid escape sequences") {
        code::parse::INVALID_ESCAPE
    } else if text.starts_with("//") || text.starts_with("/*") {
        code::parse::UNTERMINATED_COMMENT
    } else if text.starts_with(['"', '\'', '/']) && text.len() > 1 {
        code::parse::UNTERMINATED_LITERAL
    } else {
        code::parse::UNEXPECTED_CHARACTER
    };
    let help = match code {
        code::parse::INVALID_ESCAPE => {
            Some("Painless strings have no \\n, \\t or \\uXXXX escapes; only \\\\ and the quote itself".into())
        }
        code::parse::UNTERMINATED_COMMENT if text.starts_with("//") => {
            Some("a `//` comment must end with a newline; add one at the end of the script".into())
        }
        code::parse::UNTERMINATED_COMMENT => Some("this `/*` comment is never closed with `*/`".into()),
        code::parse::UNTERMINATED_LITERAL => Some("this literal is never closed".into()),
        _ => None,
    };
    errors::compile_error(code, e.message.clone(), Span::new(e.offset, e.end), help)
}

/// ANTLR's `getTokenErrorDisplay`.
fn token_display(text: &str) -> String {
    format!("'{}'", error_display(text))
}

/// Turns pest's failure into ES's parser message. ANTLR's exact "expecting" sets cannot be
/// recomputed from a PEG, so only the cases whose ES wording is certain get one: a top-level
/// statement not followed by `;`/end (`recoverInline` on `(SEMICOLON | EOF)`), and a top-level
/// token after a complete statement (`match(EOF)`). Everything else uses ES's no-viable-alternative
/// wording (`invalid sequence of tokens near [...]` / `unexpected end of script.`), and the
/// human renderer adds what the grammar expected as `help`.
pub(crate) fn diagnose(source: &str, lexed: &Lexed, failure: Box<PestError<Rule>>, limits: &ParseLimits) -> Diagnostic {
    let pos = match failure.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let positives = match &failure.variant {
        ErrorVariant::ParsingError { positives, .. } => standing_for(positives),
        ErrorVariant::CustomError { message } => {
            if message.contains("call limit reached") {
                return errors::too_complex(Span::new(pos, pos + 1));
            }
            if message.contains("limit reached") {
                return errors::too_deep(limits.max_nesting, Span::new(pos, pos + 1));
            }
            Vec::new()
        }
    };
    let token_index = lexed.tokens.iter().position(|t| t.span.end as usize > pos);
    let token = token_index.map(|i| &lexed.tokens[i]);
    // ANTLR lexes on demand: a lexer error inside or before the token the parser choked on is
    // what ES reports; one right after it only if ANTLR had consumed that token and asked for the
    // next, which (pest reports a failure where the failing rule started) is the case for a
    // keyword opening a statement (`if#`: ES matched IF, then the lexer failed). Checked
    // against ANTLR on ES's grammar: after `.`, `do` in `do\u{b}c`, a literal ... it is not.
    if let Some(lex_error) = &lexed.error {
        let consumed = token_index.is_some_and(|i| opens_statement(source, &lexed.tokens, i));
        let reached = match token {
            None => true,
            Some(t) if consumed => lex_error.offset <= t.span.end as usize,
            Some(t) => lex_error.offset < t.span.end as usize,
        };
        if reached {
            return lex_diagnostic(source, lex_error);
        }
    }
    let help = expected_help(&positives);
    let Some(token) = token else {
        let end = source.len();
        // `try {..}` at the end: `trap+` is entered by `match(CATCH)` (checked against ANTLR).
        if let [only] = positives.as_slice()
            && matches!(only, Rule::trap | Rule::kw_catch)
        {
            let message = "unexpected token ['<EOF>'] was expecting one of ['catch'].".to_string();
            return errors::compile_error(code::parse::UNEXPECTED_TOKEN, message, Span::new(end, end), help);
        }
        return errors::compile_error(
            code::parse::UNEXPECTED_END,
            "unexpected end of script.".into(),
            Span::new(end, end),
            help,
        );
    };
    let shown = token_display(&source[token.span.range()]);
    // A lone required token (`do` without `{`...): ANTLR's `match` fails with that one token.
    if let [only] = positives.as_slice()
        && let Some(required) = single_token(*only)
    {
        let message = format!("unexpected token [{shown}] was expecting one of ['{required}'].");
        return errors::compile_error(code::parse::UNEXPECTED_TOKEN, message, token.span, help);
    }
    let top_level = token.bracket_depth == 0;
    let index = lexed.tokens.iter().position(|t| t.span == token.span).unwrap_or(0);
    let (code, message) = if index <= function_prediction_end(source, &lexed.tokens) {
        // ANTLR decides `function*` vs the first statement by looking ahead; when both die on
        // the same token it reports no viable alternative there.
        (code::parse::INVALID_SEQUENCE, format!("invalid sequence of tokens near [{shown}]."))
    } else if let Some(expected) = for_header_expectation(source, &lexed.tokens, index, &positives) {
        (code::parse::UNEXPECTED_TOKEN, format!("unexpected token [{shown}] was expecting one of ['{expected}']."))
    } else if top_level && positives.contains(&Rule::semicolon) {
        (code::parse::UNEXPECTED_TOKEN, format!("unexpected token [{shown}] was expecting one of [{{<EOF>, ';'}}]."))
    } else if top_level && positives.contains(&Rule::EOI) {
        (code::parse::UNEXPECTED_TOKEN, format!("unexpected token [{shown}] was expecting one of [<EOF>]."))
    } else {
        (code::parse::INVALID_SEQUENCE, format!("invalid sequence of tokens near [{shown}]."))
    };
    let help = generics_help(source, &lexed.tokens, index).or(help);
    errors::compile_error(code, message, token.span, help)
}

/// Java habit the grammar cannot name: type arguments (`new ArrayList<>()`, `List<Double> x`), which
/// Painless does not have. The message stays ES's; the help says what to write instead.
fn generics_help(source: &str, tokens: &[super::lex::Token], index: usize) -> Option<String> {
    let text = |i: usize| &source[tokens[i].span.range()];
    let after_type = index > 0 && text(index - 1).starts_with(|c: char| c.is_ascii_uppercase());
    (text(index) == "<" && after_type).then(|| {
        format!(
            "Painless has no type arguments: drop the `<...>` after {} (write `new ArrayList()`, `List x`)",
            text(index - 1)
        )
    })
}

/// True when token `i` is a keyword that opens a statement at a statement boundary, which ANTLR
/// matches on sight (one-token decision) before looking at what follows.
fn opens_statement(source: &str, tokens: &[super::lex::Token], i: usize) -> bool {
    let text = |i: usize| &source[tokens[i].span.range()];
    let keyword = matches!(text(i), "if" | "else" | "while" | "for" | "do" | "try" | "catch" | "return" | "throw");
    keyword && (i == 0 || matches!(text(i - 1), ";" | "{" | "}" | ")"))
}

fn single_token(rule: Rule) -> Option<&'static str> {
    match rule {
        Rule::block => Some("{"),
        Rule::trap | Rule::kw_catch => Some("catch"),
        _ => None,
    }
}

/// Rules that start a value: if pest still wanted one at the end, the expression is incomplete.
fn wants_value(positives: &[Rule]) -> bool {
    use Rule::*;
    positives.iter().any(|r| {
        matches!(
            r,
            expression
                | noncond
                | unary
                | unary_not_addsub
                | chain
                | cast
                | paren
                | call_or_variable
                | ident
                | dollar
                | hex
                | octal
                | decimal
                | integer
                | string
                | regex
                | list_or_map
                | new_object
                | new_array
                | kw_new
                | kw_true
                | kw_false
                | kw_null
                | sign_op
                | not_op
                | pre_incdec
                | lambda
                | funcref
                | statement
                | block_end
                | no_argument
                | decl_type
                | type_name
        )
    })
}

/// Index of the first token that cannot continue a function header `Type(.name)*([])* name (`;
/// up to there ANTLR has not yet decided between a function and the first statement.
fn function_prediction_end(source: &str, tokens: &[super::lex::Token]) -> usize {
    use super::lex::TokenKind::*;
    let text = |i: usize| tokens.get(i).map(|t| &source[t.span.range()]);
    let kind = |i: usize| tokens.get(i).map(|t| t.kind);
    let is_type_start = match (kind(0), text(0)) {
        (Some(Ident), _) => true,
        (Some(Keyword), Some(w)) => {
            matches!(w, "def" | "boolean" | "byte" | "short" | "char" | "int" | "long" | "float" | "double")
        }
        _ => false,
    };
    if !is_type_start {
        return 0;
    }
    let mut i = 1;
    while text(i) == Some(".") && kind(i + 1) == Some(DotId) {
        i += 2;
    }
    while text(i) == Some("[") && text(i + 1) == Some("]") {
        i += 2;
    }
    if kind(i) != Some(Ident) {
        return i;
    }
    i += 1;
    if text(i) != Some("(") {
        return i;
    }
    // A real function header: the decision is made, later errors are ordinary.
    0
}

/// Inside `for (init; cond; update)` with a complete expression, ANTLR's `match` wants the next
/// `;` (or the `)` after the update).
fn for_header_expectation(
    source: &str,
    tokens: &[super::lex::Token],
    index: usize,
    positives: &[Rule],
) -> Option<&'static str> {
    if wants_value(positives) {
        return None;
    }
    let mut depth = 0i32;
    let mut semicolons = 0;
    for i in (0..index).rev() {
        match &source[tokens[i].span.range()] {
            ")" | "]" | "}" => depth += 1,
            "(" | "[" | "{" if depth > 0 => depth -= 1,
            "(" => {
                let is_for = i > 0 && &source[tokens[i - 1].span.range()] == "for";
                return match (is_for, semicolons) {
                    (true, 0 | 1) => Some(";"),
                    (true, _) => Some(")"),
                    _ => None,
                };
            }
            "[" | "{" => return None,
            ";" if depth == 0 => semicolons += 1,
            _ => {}
        }
    }
    None
}

/// pest's expected rules, renamed for people (Tera's `renamed_rules` idea): no raw rule names leak.
fn expected_help(positives: &[Rule]) -> Option<String> {
    // Ordered as the grammar before its speed-up recorded them (see `report_order`), so the help
    // text does not depend on which of two equivalent rules pest happened to record.
    let mut rules: Vec<Rule> = positives.iter().flat_map(|r| reported_as(*r)).collect();
    rules.sort_by_key(|r| report_order(*r));
    let mut names: Vec<&'static str> = Vec::new();
    for rule in &rules {
        let name = renamed_rule(*rule);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        return None;
    }
    let shown: Vec<&str> = names.iter().take(8).copied().collect();
    let more = if names.len() > shown.len() { ", ..." } else { "" };
    Some(format!("expected {}{more}", shown.join(", ")))
}

/// pest's expected rules with each stand-in rule replaced by the rules it stands for, sorted and
/// deduplicated as pest leaves them: what the grammar without the shortcut reported.
fn standing_for(positives: &[Rule]) -> Vec<Rule> {
    if !positives
        .iter()
        .any(|r| matches!(r, Rule::no_postfix | Rule::no_tail | Rule::no_operator | Rule::no_incdec | Rule::no_call))
    {
        return positives.to_vec();
    }
    let mut rules: Vec<Rule> = positives
        .iter()
        .flat_map(|r| match r {
            Rule::no_postfix => vec![Rule::call_invoke, Rule::field_access, Rule::brace_access],
            Rule::no_tail => vec![Rule::conditional_tail, Rule::assignment_tail],
            Rule::no_operator => vec![Rule::binary_op, Rule::instanceof_tail],
            Rule::no_incdec => vec![Rule::post_incdec],
            Rule::no_call => vec![Rule::arguments],
            other => vec![*other],
        })
        .collect();
    rules.sort();
    rules.dedup();
    rules
}

/// The rules a shortcut rule stands for in the help: where the grammar skips a whole failed
/// alternative (an argument at `)`), it fails a cheap rule that reports what the alternative did.
fn reported_as(rule: Rule) -> Vec<Rule> {
    match rule {
        Rule::no_argument => vec![Rule::unary, Rule::lambda_param, Rule::funcref],
        other => vec![other],
    }
}

/// The rule whose place in the grammar orders `rule` among the expected names: a guarded rule
/// that fails on its lookahead is reported itself, where the unguarded rule reported its only
/// child (the `.` of a call, the `?` of a conditional ...), and one rule now parses what two did.
fn report_order(rule: Rule) -> Rule {
    match rule {
        Rule::call_invoke => Rule::dot_op,
        Rule::conditional_tail => Rule::cond_op,
        Rule::assignment_tail => Rule::assign_op,
        Rule::instanceof_tail => Rule::kw_instanceof,
        Rule::call_or_variable => Rule::ident,
        Rule::block_end => Rule::statement,
        other => other,
    }
}

pub(crate) fn renamed_rule(rule: Rule) -> &'static str {
    use Rule::*;
    match rule {
        EOI => "end of script",
        semicolon | empty => "';'",
        block | array_values => "'{'",
        parameters | arguments | paren => "'('",
        brace_access | list_or_map => "'['",
        call_invoke | field_access | dot_name | dot_index | dot_op => "'.'",
        dot_id | dot_integer => "a field or method name",
        ident | call_or_variable | parameter | decl_var => "a name",
        dollar => "'$'",
        decl_type | type_name | primitive | primordef_type | refcast_type => "a type",
        hex | octal | decimal | integer => "a number",
        string | dq_chars | sq_chars => "a string",
        regex | regex_body | regex_flags => "a regex",
        expression | noncond | unary | unary_not_addsub | chain | cast | new_array | new_object | expr_stmt
        | for_cond | for_update | for_init | map_entry | list_tail | map_tail | empty_map => "an expression",
        statement | last_statement | block_end | declaration | function | if_stmt | while_stmt | for_stmt
        | each_stmt | ineach_stmt | try_stmt | do_stmt | continue_stmt | break_stmt | return_stmt | throw_stmt
        | trap => "a statement",
        assignment_tail | assign_op | assign => "an assignment",
        cond_op | conditional_tail => "'?'",
        instanceof_tail | kw_instanceof => "'instanceof'",
        pre_incdec | post_incdec => "'++' or '--'",
        sign_op | not_op => "a unary operator",
        binary_op => "an operator",
        lambda | lambda_params | lambda_param | arrow => "a lambda",
        no_argument => "an expression",
        no_postfix => "'.'",
        no_tail => "an assignment",
        no_operator => "an operator",
        funcref => "a method reference",
        kw_if => "'if'",
        kw_in => "'in'",
        kw_else => "'else'",
        kw_while => "'while'",
        kw_do => "'do'",
        kw_for => "'for'",
        kw_continue => "'continue'",
        kw_break => "'break'",
        kw_return => "'return'",
        kw_new => "'new'",
        kw_try => "'try'",
        kw_catch => "'catch'",
        kw_throw => "'throw'",
        kw_this => "'this'",
        kw_true | kw_false => "a boolean",
        kw_null => "'null'",
        kw_def => "'def'",
        _ => "another token",
    }
}
