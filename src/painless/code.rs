//! The catalogue of diagnostic codes: every finding scorelab reports has one stable code (never
//! renumbered: they appear in goldens, run records and users' scripts around this tool). Codes are
//! grouped by letter: P parse, C check (C25x warnings), L unsupported locally, R runtime.

/// Front-end (lexer and parser) errors.
pub mod parse {
    /// Lexer: a character no token can start with (`#`, `@`, a space right after `.`).
    pub const UNEXPECTED_CHARACTER: &str = "P100";
    /// Lexer: a backslash sequence other than `\\` and the delimiting quote.
    pub const INVALID_ESCAPE: &str = "P101";
    /// Lexer: `//` comment without a final newline, or an unclosed `/*`.
    pub const UNTERMINATED_COMMENT: &str = "P102";
    /// Lexer: a string or regex literal that never closes.
    pub const UNTERMINATED_LITERAL: &str = "P103";
    /// Parser: `unexpected token [X] was expecting one of [...]`.
    pub const UNEXPECTED_TOKEN: &str = "P110";
    /// Parser: `invalid sequence of tokens near [X]`.
    pub const INVALID_SEQUENCE: &str = "P111";
    /// Parser: `unexpected end of script`.
    pub const UNEXPECTED_END: &str = "P112";
    /// `Invalid int constant [...]`.
    pub const INVALID_INT: &str = "P120";
    /// `Invalid long constant [...]`.
    pub const INVALID_LONG: &str = "P121";
    /// `Invalid float/double constant [...]`.
    pub const INVALID_FLOAT: &str = "P122";
    /// scorelab limit: nesting deeper than `ParseLimits::max_nesting`.
    pub const TOO_DEEP: &str = "P190";
    /// scorelab limit: source larger than `ParseLimits::max_source_bytes`.
    pub const TOO_LARGE: &str = "P191";
    /// scorelab limit: the parser's work budget (`ParseLimits::max_parser_calls_per_byte`) ran out.
    pub const TOO_COMPLEX: &str = "P192";
    /// A front-end bug: the grammar accepted something the lowering did not expect.
    pub const INTERNAL: &str = "P199";
}

/// Check (compile) errors, as Elasticsearch's compiler reports them.
pub mod check {
    /// `cannot resolve symbol [x]`: a variable that is not in scope.
    pub const UNKNOWN_SYMBOL: &str = "C201";
    /// A cast the type system refuses (`class_cast_exception` at compile time).
    pub const ILLEGAL_CAST: &str = "C202";
    /// An expression that cannot stand as a statement (`not a statement: ...`).
    pub const NOT_A_STATEMENT: &str = "C203";
    /// An assignment to something that cannot be assigned (read-only variable, constant, call, cast).
    pub const INVALID_ASSIGNMENT: &str = "C204";
    /// A field, method, static or constructor the whitelist does not have with that arity.
    pub const MEMBER_NOT_FOUND: &str = "C205";
    /// `?:` whose result would be a primitive.
    pub const ELVIS_ON_PRIMITIVE: &str = "C206";
    /// `?.` whose result cannot be null, or an assignment through it.
    pub const INVALID_NULL_SAFE: &str = "C207";
    /// Extraneous or unreachable statements, and functions without statements.
    pub const INVALID_STRUCTURE: &str = "C208";
    /// `variable [x] is already defined`.
    pub const DUPLICATE_VARIABLE: &str = "C209";
    /// `cannot resolve type [T]`: a type name Elasticsearch does not know either.
    pub const UNKNOWN_TYPE: &str = "C210";
    /// Other constructs the compiler refuses (duplicate functions, illegal array access, void arguments...).
    pub const ILLEGAL_TREE: &str = "C211";
}

/// Check warnings: the script compiles, but something in it will not do what it seems to.
pub mod warning {
    /// A `doc['f']` or vector function naming a field outside the store's mapping.
    pub const UNMAPPED_FIELD: &str = "C250";
    /// `params.x` for a param the harness does not supply (it reads as null).
    pub const UNSUPPLIED_PARAM: &str = "C251";
    /// A vector function Elasticsearch binds once per script, called with a query that changes.
    pub const QUERY_VECTOR_BOUND_ONCE: &str = "C252";
}

/// Valid Painless that the local subset refuses rather than evaluate it wrongly.
pub mod unsupported {
    /// A lambda.
    pub const UNSUPPORTED_LAMBDA: &str = "L401";
    /// A method reference (`Type::method`).
    pub const UNSUPPORTED_METHOD_REFERENCE: &str = "L402";
    /// A regex literal or operator.
    pub const UNSUPPORTED_REGEX: &str = "L403";
    /// `throw` and `try`/`catch`.
    pub const UNSUPPORTED_EXCEPTIONS: &str = "L404";
    /// A whitelisted class the local runtime does not implement.
    pub const UNSUPPORTED_CLASS: &str = "L405";
    /// A whitelisted member the local runtime does not implement.
    pub const UNSUPPORTED_MEMBER: &str = "L406";
    /// `randomScore`, whose value depends on Lucene doc ids and shards.
    pub const UNSUPPORTED_RANDOM_SCORE: &str = "L407";
    /// A function of another Elasticsearch/OpenSearch version or plugin.
    pub const UNSUPPORTED_OTHER_VERSION: &str = "L408";
    /// A syntax tree deeper than the local depth budget (`Limits::max_tree_depth`).
    pub const TREE_TOO_DEEP: &str = "L420";
    /// A value or operation met at run time that the local subset does not reproduce.
    pub const UNSUPPORTED_AT_RUNTIME: &str = "L490";
    /// The evaluation's deadline passed (`interp::run::deadline`).
    pub const TIMED_OUT: &str = "L491";
}

/// Runtime errors, by the Java exception Elasticsearch reports.
pub mod runtime {
    /// `null_pointer_exception`.
    pub const NULL_POINTER: &str = "R301";
    /// `class_cast_exception`.
    pub const CLASS_CAST: &str = "R302";
    /// `arithmetic_exception` (integer division by zero...).
    pub const ARITHMETIC: &str = "R303";
    /// Index, array-index and string-index out of bounds.
    pub const INDEX_OUT_OF_BOUNDS: &str = "R304";
    /// `painless_error` (the loop counter ran out...).
    pub const PAINLESS_ERROR: &str = "R305";
    /// `stack_overflow_error`.
    pub const STACK_OVERFLOW: &str = "R306";
    /// `illegal_argument_exception`.
    pub const ILLEGAL_ARGUMENT: &str = "R307";
    /// `illegal_state_exception` (a missing doc value...).
    pub const ILLEGAL_STATE: &str = "R308";
    /// `unsupported_operation_exception` (writing to an immutable collection...).
    pub const UNSUPPORTED_OPERATION: &str = "R309";
    /// A `script_score` that is negative or NaN once narrowed to float.
    pub const INVALID_SCORE: &str = "R310";
    /// `wrong_method_type_exception` (a `def` call site that cannot link).
    pub const WRONG_METHOD_TYPE: &str = "R311";
    /// Any other exception class.
    pub const OTHER_RUNTIME: &str = "R399";
}
