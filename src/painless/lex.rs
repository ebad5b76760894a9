//! A token pre-scan that mirrors Elasticsearch's `PainlessLexer` (8.x) closely enough to:
//! - report lexer errors with ES's exact wording (`unexpected character [...]`, the escape hint),
//!   which a PEG cannot tell apart from parse errors;
//! - measure nesting before the recursive parser runs, so absurd inputs fail fast and cleanly;
//! - name the offending token of a parse error the way ANTLR displays it (`'}'`, `<EOF>`);
//! - find the comments, which `painless::parse` blanks out before pest runs (`blank_comments`):
//!   like ES's `COMMENT -> skip`, so the grammar has no comment rule and pest never scans one.
//!
//! The grammar (grammar/painless.pest) remains the authority on what parses; this scan only has to
//! agree with it on token boundaries.
//!
//! What the parser relies on (details on `Nesting`):
//! - the nesting estimate, checked against `ParseLimits::max_nesting`, counts open brackets plus, per
//!   level, the right-recursive constructs (prefix operators, casts, assignments, `?`, `?:`, `->`,
//!   if/else/loops) since the last `;` or `,`;
//! - `parser_depth_bound`, which sizes pest's stack, adds every statement keyword at the open levels
//!   (an `else if` ladder nests across its `;`s). The scan steps over control characters as pest
//!   does, so the bound covers all that pest will see;
//! - comment spans follow ES's longest-token rule: where a regex may start, `/*c*/i` is a regex.

use super::span::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Ident,
    Keyword,
    /// OCTAL, HEX, INTEGER or DECIMAL.
    Number,
    DotInteger,
    DotId,
    Str,
    Regex,
    Punct,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// Bracket depth (`(`, `[`, `{`) at the token; an opener counts at its own outer depth.
    pub bracket_depth: u32,
}

/// A lexer error, worded as `EnhancedPainlessLexer.recover` words it.
#[derive(Debug, Clone)]
pub(crate) struct LexError {
    pub offset: usize,
    /// The text ANTLR had consumed: from the token start up to and including the failing char.
    pub end: usize,
    pub message: String,
}

#[derive(Debug)]
pub(crate) struct Lexed {
    pub tokens: Vec<Token>,
    /// The first lexer error, if any; tokens stop there.
    pub error: Option<LexError>,
    /// Largest nesting estimate seen and the offset of the token where it was reached.
    pub max_nesting: (usize, usize),
    /// An upper bound on pest's recursion depth over the text it parses (see `Nesting`).
    pub parser_depth_bound: usize,
    /// Every comment before the first lexer error other than a control character (the scan goes
    /// on after those), in source order; ES's `COMMENT -> skip`.
    pub comments: Vec<Span>,
}

/// The text pest parses: `source` with every comment replaced by spaces (line breaks kept), so
/// byte offsets, and with them every span, are those of `source`. The grammar's `WHITESPACE` is
/// then a plain character class and pest never scans a comment: ES's lexer skips comments
/// before its parser sees any token, and this does the same for ours.
pub(crate) fn blank_comments<'s>(source: &'s str, comments: &[Span]) -> std::borrow::Cow<'s, str> {
    if comments.is_empty() {
        return std::borrow::Cow::Borrowed(source);
    }
    let mut bytes = source.as_bytes().to_vec();
    for comment in comments {
        for b in &mut bytes[comment.range()] {
            if !matches!(*b, b'\n' | b'\r') {
                *b = b' ';
            }
        }
    }
    // Comments start and end on ASCII characters, so whole characters were replaced.
    std::borrow::Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|_| source.to_string()))
}

fn is_keyword(word: &str) -> bool {
    matches!(
        word,
        "if" | "in"
            | "else"
            | "while"
            | "do"
            | "for"
            | "continue"
            | "break"
            | "return"
            | "new"
            | "try"
            | "catch"
            | "throw"
            | "this"
            | "instanceof"
            | "true"
            | "false"
            | "null"
            | "def"
            | "boolean"
            | "byte"
            | "short"
            | "char"
            | "int"
            | "long"
            | "float"
            | "double"
    )
}

/// The operator at `b[i..]` by ANTLR's longest match: `OPERATORS` entries starting with `b[i]`,
/// longest first (a table per first byte, built once, instead of a scan of all of them per token).
fn operator_at(b: &[u8], i: usize) -> Option<&'static str> {
    static BY_FIRST_BYTE: std::sync::OnceLock<Vec<Vec<&'static str>>> = std::sync::OnceLock::new();
    let table = BY_FIRST_BYTE.get_or_init(|| {
        let mut table = vec![Vec::new(); 128];
        for op in OPERATORS {
            table[op.as_bytes()[0] as usize].push(*op);
        }
        table
    });
    let candidates = table.get(b[i] as usize)?;
    // Compared byte by byte: operators are at most four bytes, shorter than a memcmp call.
    let rest = &b[i..];
    candidates.iter().copied().find(|op| {
        let op = op.as_bytes();
        op.len() <= rest.len() && op.iter().zip(rest).all(|(x, y)| x == y)
    })
}

/// Operators, longest first so the first match is ANTLR's longest match.
const OPERATORS: &[&str] = &[
    ">>>=", "===", "!==", "==~", ">>>", "<<=", ">>=", "?.", "?:", "::", "->", "=~", "++", "--", "<<", ">>", "<=", ">=",
    "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "{", "}", "[", "]", "(", ")", ".", ",",
    ";", "!", "~", "*", "/", "%", "+", "-", "<", ">", "&", "^", "|", "?", ":", "=", "$",
];

/// ANTLR's `getErrorDisplay`: control characters shown escaped.
pub(crate) fn error_display(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// The end of the identifier that starts at `i`.
fn ident_end(b: &[u8], i: usize) -> usize {
    let mut k = i + 1;
    while k < b.len() && is_ident_char(b[k]) {
        k += 1;
    }
    k
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `EnhancedPainlessLexer.isSlashRegex`: a `/` starts a regex unless the previous token ends a value.
fn slash_is_regex(prev: Option<&Token>, src: &str) -> bool {
    match prev {
        None => true,
        Some(t) => match t.kind {
            TokenKind::Number | TokenKind::Ident | TokenKind::DotInteger | TokenKind::DotId => false,
            TokenKind::Punct => !matches!(&src[t.span.range()], ")" | "]"),
            _ => true,
        },
    }
}

/// True when the token ends a value, so a following `+`/`-`/`++`/`--` is binary or postfix.
fn ends_value(t: &Token, src: &str) -> bool {
    match t.kind {
        TokenKind::Number
        | TokenKind::Ident
        | TokenKind::DotInteger
        | TokenKind::DotId
        | TokenKind::Str
        | TokenKind::Regex => true,
        TokenKind::Keyword => matches!(&src[t.span.range()], "true" | "false" | "null"),
        TokenKind::Punct => matches!(&src[t.span.range()], ")" | "]" | "++" | "--"),
    }
}

fn lex_error(src: &str, start: usize, fail: usize) -> LexError {
    // Interval.of(start, index) is inclusive and clamped to the end of the input.
    let end = if fail >= src.len() { src.len() } else { fail + src[fail..].chars().next().map_or(1, char::len_utf8) };
    let text = &src[start..end];
    let mut message = format!("unexpected character [{}].", error_display(text));
    let first = text.as_bytes()[0];
    let chars: Vec<char> = text.chars().collect();
    if (first == b'\'' || first == b'"') && chars.len() > 2 && chars[chars.len() - 2] == '\\' {
        let q = first as char;
        message.push_str(&format!(
            " The only valid escape sequences in strings starting with [{q}] are [\\\\] and [\\{q}]."
        ));
    }
    LexError { offset: start, end, message }
}

/// End of the REGEX token starting at the `/` at `i` (ANTLR: the first unescaped `/` on the line
/// closes it, then `[cilmsUux]*`), if there is one.
fn regex_end(b: &[u8], i: usize) -> Option<usize> {
    let mut k = i + 1;
    while k < b.len() {
        match b[k] {
            b'\n' => return None,
            b'\\' if b.get(k + 1).is_some_and(|&n| n != b'\n') => k += 2,
            b'\\' => return None,
            b'/' if k > i + 1 => {
                k += 1;
                while k < b.len() && b"cilmsuxU".contains(&b[k]) {
                    k += 1;
                }
                return Some(k);
            }
            b'/' => return None,
            _ => k += 1,
        }
    }
    None
}

/// Length of a number token starting at `i` (ANTLR longest match over OCTAL, HEX, INTEGER, DECIMAL).
fn number_len(b: &[u8], i: usize) -> usize {
    let at = |k: usize| b.get(k).copied().unwrap_or(0);
    if at(i) == b'0' && (at(i + 1) == b'x' || at(i + 1) == b'X') && at(i + 2).is_ascii_hexdigit() {
        let mut k = i + 2;
        while at(k).is_ascii_hexdigit() {
            k += 1;
        }
        if at(k) == b'l' || at(k) == b'L' {
            k += 1;
        }
        return k - i;
    }
    if at(i) == b'0' && (b'0'..=b'7').contains(&at(i + 1)) {
        let mut k = i + 1;
        while (b'0'..=b'7').contains(&at(k)) {
            k += 1;
        }
        if at(k) == b'l' || at(k) == b'L' {
            k += 1;
        }
        return k - i;
    }
    let mut k = i + 1;
    if at(i) != b'0' {
        while at(k).is_ascii_digit() {
            k += 1;
        }
    }
    let int_end = k;
    let integer_len = if matches!(at(k), b'l' | b'L' | b'f' | b'F' | b'd' | b'D') { k + 1 - i } else { k - i };
    let mut d = int_end;
    let mut is_decimal = false;
    if at(d) == b'.' && at(d + 1).is_ascii_digit() {
        d += 1;
        while at(d).is_ascii_digit() {
            d += 1;
        }
        is_decimal = true;
    }
    if at(d) == b'e' || at(d) == b'E' {
        let mut e = d + 1;
        if at(e) == b'+' || at(e) == b'-' {
            e += 1;
        }
        if at(e).is_ascii_digit() {
            while at(e).is_ascii_digit() {
                e += 1;
            }
            d = e;
            is_decimal = true;
        }
    }
    if is_decimal && matches!(at(d), b'f' | b'F' | b'd' | b'D') {
        d += 1;
    }
    let decimal_len = d - i;
    decimal_len.max(integer_len)
}

/// Scans the whole source. Never fails as a function: a lexer error is reported in `Lexed::error`.
pub(crate) fn lex(src: &str) -> Lexed {
    let b = src.as_bytes();
    let mut tokens: Vec<Token> = Vec::with_capacity(src.len() / 4 + 8);
    let mut i = 0;
    let mut after_dot = false;
    let mut nesting = Nesting::new();
    // Index of the `)` that closed the last cast-shaped group: `(int)(long)x` casts twice.
    let mut last_cast: Option<usize> = None;
    // Token count and nesting when a control character was met (the scan goes on after one).
    let mut before_error: Option<(usize, (usize, usize))> = None;
    let mut error = None;
    let mut comments = Vec::new();
    while i < b.len() {
        let start = i;
        let c = b[i];
        if after_dot {
            after_dot = false;
            if c.is_ascii_digit() {
                let mut k = i + 1;
                if c != b'0' {
                    while k < b.len() && b[k].is_ascii_digit() {
                        k += 1;
                    }
                }
                push(&mut tokens, TokenKind::DotInteger, start, k, nesting.depth());
                i = k;
                continue;
            }
            if is_ident_start(c) {
                let k = ident_end(b, i);
                push(&mut tokens, TokenKind::DotId, start, k, nesting.depth());
                i = k;
                continue;
            }
            // The AFTER_DOT mode has no whitespace rule: anything else is a lexer error there.
            error = error.or(Some(lex_error(src, start, start)));
            break;
        }
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
            continue;
        }
        if c < b' ' {
            // A control character is ES's lexer error, but the grammar's whitespace lets pest
            // step over it (and report what it finds before it), so the scan goes on to measure
            // what pest will see and to find the comments it must not see.
            if error.is_none() {
                error = Some(lex_error(src, start, start));
                before_error = Some((tokens.len(), nesting.max));
            }
            i += 1;
            continue;
        }
        let prev = tokens.last().copied();
        // An unterminated comment right after a value falls back to ANTLR's last accepting
        // state, DIV: `x // c` at the end lexes as `/` and then fails on the second slash.
        let div_fallback = c == b'/' && !slash_is_regex(prev.as_ref(), src);
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            if let Some(k) = src[i + 2..].find(['\n', '\r']) {
                i = i + 2 + k + 1;
                comments.push(Span::new(start, i));
                continue;
            }
            if !div_fallback {
                error = error.or(Some(lex_error(src, start, src.len())));
                break;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            if let Some(k) = src[i + 2..].find("*/") {
                let end = i + 2 + k + 2;
                // ANTLR's longest match: where a regex may start, `/* c */` followed by a flag
                // letter (`/**/int`) is the longer REGEX `/**/i`, as in ES (COMMENT only wins ties).
                if div_fallback || regex_end(b, i).is_none_or(|regex| regex <= end) {
                    i = end;
                    comments.push(Span::new(start, i));
                    continue;
                }
            } else if !div_fallback {
                error = error.or(Some(lex_error(src, start, src.len())));
                break;
            }
        }
        if c == b'/' && slash_is_regex(prev.as_ref(), src) {
            let mut k = i + 1;
            let mut ok = false;
            while k < b.len() {
                match b[k] {
                    b'\n' => break,
                    b'\\' if b.get(k + 1).is_some_and(|&n| n != b'\n') => k += 2,
                    b'\\' => break,
                    b'/' if k > i + 1 => {
                        ok = true;
                        break;
                    }
                    b'/' => break,
                    _ => k += 1,
                }
            }
            if !ok {
                error = error.or(Some(lex_error(src, start, k)));
                break;
            }
            k += 1;
            while k < b.len() && b"cilmsuxU".contains(&b[k]) {
                k += 1;
            }
            push(&mut tokens, TokenKind::Regex, start, k, nesting.depth());
            i = k;
            continue;
        }
        if c == b'"' || c == b'\'' {
            let mut k = i + 1;
            let mut closed = false;
            while k < b.len() {
                if b[k] == b'\\' {
                    match b.get(k + 1) {
                        Some(&n) if n == c || n == b'\\' => k += 2,
                        _ => break,
                    }
                } else if b[k] == c {
                    closed = true;
                    break;
                } else {
                    k += 1;
                }
            }
            if !closed {
                // Failing char: the one after the backslash, or the end of the input.
                let fail = if k < b.len() { k + 1 } else { src.len() };
                error = error.or(Some(lex_error(src, start, fail)));
                break;
            }
            push(&mut tokens, TokenKind::Str, start, k + 1, nesting.depth());
            i = k + 1;
            continue;
        }
        if c.is_ascii_digit() {
            let k = i + number_len(b, i);
            push(&mut tokens, TokenKind::Number, start, k, nesting.depth());
            i = k;
            continue;
        }
        if is_ident_start(c) {
            let k = ident_end(b, i);
            let word = &src[start..k];
            let kind = if is_keyword(word) { TokenKind::Keyword } else { TokenKind::Ident };
            if kind == TokenKind::Keyword && matches!(word, "if" | "else" | "while" | "for" | "do" | "try") {
                nesting.statement();
            }
            push(&mut tokens, kind, start, k, nesting.depth());
            i = k;
            nesting.observe(start);
            continue;
        }
        let Some(op) = operator_at(b, i) else {
            error = error.or(Some(lex_error(src, start, start)));
            break;
        };
        let k = i + op.len();
        let depth_before = nesting.depth();
        let prefix_position = prev.as_ref().is_none_or(|t| !ends_value(t, src));
        match op {
            "(" | "[" | "{" => nesting.open(),
            ")" | "]" | "}"
                // `(int)(int)(int)x`: a cast recurses into the operand it applies to, with no
                // bracket left open around it; count it like a prefix operator.
                if nesting.close() && op == ")" && closes_type_in_parens(&tokens, src, last_cast) => {
                    nesting.bump();
                    last_cast = Some(tokens.len());
                }
            ";" | "," => nesting.end_expression(),
            "." | "?." => after_dot = true,
            "!" | "~" | "?" | "?:" | "->" | "=" | ">>>=" | "<<=" | ">>=" | "+=" | "-=" | "*=" | "/=" | "%=" | "&="
            | "^=" | "|=" => nesting.bump(),
            "+" | "-" | "++" | "--" if prefix_position => nesting.bump(),
            _ => {}
        }
        let depth = if matches!(op, ")" | "]" | "}") { nesting.depth() } else { depth_before };
        push(&mut tokens, TokenKind::Punct, start, k, depth);
        nesting.observe(start);
        i = k;
    }
    if after_dot && error.is_none() {
        // `x.` at the very end: the parser reports it (unexpected end of script).
    }
    // Tokens and the nesting limit stop at the first error, as ES's lexer does.
    let mut max_nesting = nesting.max;
    if let Some((token_count, max_before)) = before_error {
        tokens.truncate(token_count);
        max_nesting = max_before;
    }
    Lexed { tokens, error, max_nesting, parser_depth_bound: nesting.max_bound, comments }
}

/// Whether the tokens before a `)` end with `(` Type `)`'s opening part: `(` then `def`, a
/// primitive or `Name(.Name)*`, then `[]` pairs, where that `(` is neither a call's nor a
/// statement's (it may follow a cast: `last_cast`). The grammar tries a cast on every such group.
fn closes_type_in_parens(tokens: &[Token], src: &str, last_cast: Option<usize>) -> bool {
    let text = |t: &Token| &src[t.span.range()];
    let mut i = tokens.len();
    while i >= 2 && text(&tokens[i - 1]) == "]" && text(&tokens[i - 2]) == "[" {
        i -= 2;
    }
    loop {
        let Some(name) = i.checked_sub(1).map(|k| &tokens[k]) else { return false };
        match name.kind {
            TokenKind::DotId if i >= 2 && text(&tokens[i - 2]) == "." => i -= 2,
            TokenKind::Ident => {
                i -= 1;
                break;
            }
            TokenKind::Keyword
                if matches!(
                    text(name),
                    "def" | "boolean" | "byte" | "short" | "char" | "int" | "long" | "float" | "double"
                ) =>
            {
                i -= 1;
                break;
            }
            _ => return false,
        }
    }
    // Not a call's arguments (`f(x)`, `a[0](x)`) nor a statement's condition (`if (x)`).
    i >= 1
        && text(&tokens[i - 1]) == "("
        && (i < 2
            || last_cast == Some(i - 2)
            || !(ends_value(&tokens[i - 2], src) || matches!(text(&tokens[i - 2]), "if" | "while" | "for")))
}

fn push(tokens: &mut Vec<Token>, kind: TokenKind, start: usize, end: usize, depth: usize) {
    tokens.push(Token { kind, span: Span::new(start, end), bracket_depth: depth as u32 });
}

/// The nesting measures, kept per open bracket level (the first entry is the script's own).
///
/// The estimate that `ParseLimits::max_nesting` limits: one per open bracket plus, per level,
/// the right-recursive constructs (prefix operators, casts, assignments, `?`, `?:`, `->`,
/// if/else/loops) since the last `;` or `,` at that level.
///
/// The bound on the parser's recursion, which sizes its stack: the estimate plus every
/// statement keyword at the open levels, `;` or not, since `if (a) x; else if (b) y; else ...`
/// nests one statement per `else` across the `;`s. Every level of pest's recursion is one of
/// these: an open bracket, an expression construct of the current expression at its level, or a
/// statement whose keyword is at an open level.
struct Nesting {
    /// Per level: expression constructs since its last `;`/`,`, and statement keywords.
    levels: Vec<(usize, usize)>,
    pending_sum: usize,
    statement_sum: usize,
    max: (usize, usize),
    max_bound: usize,
}

impl Nesting {
    fn new() -> Self {
        Nesting { levels: vec![(0, 0)], pending_sum: 0, statement_sum: 0, max: (0, 0), max_bound: 0 }
    }

    /// Open brackets.
    fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    fn open(&mut self) {
        self.levels.push((0, 0));
    }

    /// Closes the innermost bracket; false for a stray closer.
    fn close(&mut self) -> bool {
        if self.levels.len() == 1 {
            return false;
        }
        let (pending, statements) = self.levels.pop().unwrap_or_default();
        self.pending_sum -= pending;
        self.statement_sum -= statements;
        true
    }

    fn innermost(&mut self) -> &mut (usize, usize) {
        let last = self.levels.len() - 1;
        &mut self.levels[last]
    }

    fn bump(&mut self) {
        self.innermost().0 += 1;
        self.pending_sum += 1;
    }

    fn statement(&mut self) {
        self.bump();
        self.innermost().1 += 1;
        self.statement_sum += 1;
    }

    fn end_expression(&mut self) {
        let pending = std::mem::take(&mut self.innermost().0);
        self.pending_sum -= pending;
    }

    fn observe(&mut self, at: usize) {
        let estimate = self.depth() + self.pending_sum;
        if estimate > self.max.0 {
            self.max = (estimate, at);
        }
        self.max_bound = self.max_bound.max(estimate + self.statement_sum);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokenKind, &str)> {
        lex(src).tokens.iter().map(|t| (t.kind, &src[t.span.range()])).collect()
    }

    #[test]
    fn numbers_follow_antlr_longest_match() {
        assert_eq!(kinds("08"), vec![(TokenKind::Number, "0"), (TokenKind::Number, "8")]);
        assert_eq!(kinds("1.5e3f"), vec![(TokenKind::Number, "1.5e3f")]);
        assert_eq!(
            kinds("2.toString"),
            vec![(TokenKind::Number, "2"), (TokenKind::Punct, "."), (TokenKind::DotId, "toString")]
        );
        assert_eq!(kinds("0x1FL 017 1e5L")[..3].iter().map(|t| t.1).collect::<Vec<_>>(), vec!["0x1FL", "017", "1e5"]);
    }

    #[test]
    fn dot_integer_shortcuts() {
        assert_eq!(kinds("x.0.1").iter().map(|t| t.1).collect::<Vec<_>>(), vec!["x", ".", "0", ".", "1"]);
    }

    #[test]
    fn bad_escape_message() {
        let e = lex(r#"x = "\a""#).error.unwrap();
        assert_eq!(
            e.message,
            r#"unexpected character ["\a]. The only valid escape sequences in strings starting with ["] are [\\] and [\"]."#
        );
        assert_eq!(e.offset, 4);
    }

    #[test]
    fn line_comment_needs_newline() {
        let e = lex("1; // done").error.unwrap();
        assert_eq!(e.message, "unexpected character [// done].");
        assert!(lex("1 // done\n").error.is_none());
        // After a value the first slash is a division and the second one fails (the ES 8.x lexer
        // still requires `[\n\r]` after a `//` comment).
        let e = lex("x = a // done").error.unwrap();
        assert_eq!((e.offset, e.message.as_str()), (7, "unexpected character [/ done]."));
    }

    #[test]
    fn regex_only_where_a_value_starts() {
        assert_eq!(kinds("a / b / c").iter().filter(|t| t.0 == TokenKind::Regex).count(), 0);
        assert_eq!(kinds("x =~ /ab+c/i")[2], (TokenKind::Regex, "/ab+c/i"));
    }

    #[test]
    fn nesting_counts_brackets_and_prefix_chains() {
        assert_eq!(lex("((((1))))").max_nesting.0, 4);
        assert_eq!(lex("- - - -1").max_nesting.0, 4);
        assert_eq!(lex("a - b - c - d").max_nesting.0, 0);
        assert_eq!(lex("f(-a, -b, -c)").max_nesting.0, 2);
        // A chain of casts nests without brackets left open.
        assert_eq!(lex("(int)(long)(double)x").max_nesting.0, 3);
        assert_eq!(lex("(Map.Entry)(def)(long)x").max_nesting.0, 3);
        assert_eq!(lex("f(x) + g(y)").max_nesting.0, 1);
        assert_eq!(lex("(a + b)(c)").max_nesting.0, 1);
        assert_eq!(lex("if (x) if (y) z = 1;").max_nesting.0, 3);
    }
}
