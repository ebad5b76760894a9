//! The runtime error a library function or the evaluator raises. The evaluator attaches the span
//! and statement and turns it into a `Diagnostic` (phase Runtime, code R3xx).

use std::fmt;

/// ES exception class names in REST snake case (painless-facts §11).
pub mod es_type {
    pub const ILLEGAL_ARGUMENT: &str = "illegal_argument_exception";
    pub const ILLEGAL_STATE: &str = "illegal_state_exception";
    pub const CLASS_CAST: &str = "class_cast_exception";
    pub const NULL_POINTER: &str = "null_pointer_exception";
    pub const ARITHMETIC: &str = "arithmetic_exception";
    pub const INDEX_OUT_OF_BOUNDS: &str = "index_out_of_bounds_exception";
    pub const ARRAY_INDEX_OUT_OF_BOUNDS: &str = "array_index_out_of_bounds_exception";
    pub const STRING_INDEX_OUT_OF_BOUNDS: &str = "string_index_out_of_bounds_exception";
    pub const NUMBER_FORMAT: &str = "number_format_exception";
    pub const UNSUPPORTED_OPERATION: &str = "unsupported_operation_exception";
    pub const NEGATIVE_ARRAY_SIZE: &str = "negative_array_size_exception";
    pub const PAINLESS_ERROR: &str = "painless_error";
    pub const STACK_OVERFLOW: &str = "stack_overflow_error";
    /// `java.lang.invoke.WrongMethodTypeException`: a `def` call site that cannot be linked.
    pub const WRONG_METHOD_TYPE: &str = "wrong_method_type_exception";
    /// Not an ES class: the local interpreter refuses (limit of ours, or a member it cannot run).
    pub const UNSUPPORTED_LOCALLY: &str = "unsupported_locally";
}

/// Why a runtime failure happened, from the point of view of "would ES fail too?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeErrorKind {
    /// ES raises the same Java exception.
    Java,
    /// The local interpreter refuses (an allocation cap of ours, a member resolved at run time that
    /// the local subset does not implement). ES might run it.
    UnsupportedLocally,
    /// The candidate's time budget ran out (`interp::deadline`): not the script's fault as ES
    /// would see it; the rank engine reports it as a timeout.
    Interrupted,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeError {
    pub kind: RuntimeErrorKind,
    /// ES's exception class in snake case (see [`es_type`]).
    pub es_type: &'static str,
    /// The message exactly as the Java exception's `getMessage()` (may be empty: ES prints `null`).
    pub message: String,
    /// Non-Painless Java frames ES prints above the script snippet in `script_stack`.
    pub java_frames: Vec<String>,
}

impl RuntimeError {
    pub fn new(es_type: &'static str, message: impl Into<String>) -> Self {
        RuntimeError { kind: RuntimeErrorKind::Java, es_type, message: message.into(), java_frames: Vec::new() }
    }

    pub fn illegal_argument(message: impl Into<String>) -> Self {
        Self::new(es_type::ILLEGAL_ARGUMENT, message)
    }

    pub fn illegal_state(message: impl Into<String>) -> Self {
        Self::new(es_type::ILLEGAL_STATE, message)
    }

    pub fn class_cast(message: impl Into<String>) -> Self {
        Self::new(es_type::CLASS_CAST, message)
    }

    pub fn null_pointer(message: impl Into<String>) -> Self {
        Self::new(es_type::NULL_POINTER, message)
    }

    pub fn arithmetic(message: impl Into<String>) -> Self {
        Self::new(es_type::ARITHMETIC, message)
    }

    pub fn index_out_of_bounds(message: impl Into<String>) -> Self {
        Self::new(es_type::INDEX_OUT_OF_BOUNDS, message)
    }

    pub fn unsupported_operation(message: impl Into<String>) -> Self {
        Self::new(es_type::UNSUPPORTED_OPERATION, message)
    }

    /// The local interpreter refuses; ES may run it.
    pub fn unsupported_locally(message: impl Into<String>) -> Self {
        RuntimeError {
            kind: RuntimeErrorKind::UnsupportedLocally,
            es_type: es_type::UNSUPPORTED_LOCALLY,
            message: message.into(),
            java_frames: Vec::new(),
        }
    }

    /// The thread's evaluation deadline has passed (`interp::deadline`).
    pub fn timed_out() -> Self {
        RuntimeError {
            kind: RuntimeErrorKind::Interrupted,
            es_type: es_type::UNSUPPORTED_LOCALLY,
            message:
                "evaluation stopped: its time budget ran out (--candidate-timeout in eval and loop, --timeout in exec)"
                    .into(),
            java_frames: Vec::new(),
        }
    }

    /// Add a Java frame (outermost last, as ES lists them top-down).
    pub fn with_frame(mut self, frame: impl Into<String>) -> Self {
        self.java_frames.push(frame.into());
        self
    }
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.es_type, self.message)
    }
}

impl std::error::Error for RuntimeError {}
