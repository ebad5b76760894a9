//! The sandbox limits in one struct with named defaults (rhai's `Limits`). ES's own limit is the
//! loop counter (painless-facts §9); the others are ours so that every script terminates in bounded
//! memory: ES would run out of heap or stack somewhere, we refuse earlier with a clear error.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// ES `max_loop_counter` (CompilerSettings default 1,000,000): one counter per function call.
    pub max_loop_counter: u32,
    /// User-function recursion depth; beyond it ES's JVM stack would overflow (StackOverflowError).
    pub max_call_depth: u32,
    /// Elements in one list, map, set or array.
    pub max_collection_len: usize,
    /// UTF-8 bytes in one string.
    pub max_string_len: usize,
    /// Deepest syntax tree `compile` accepts (statements and expressions, one level each). The
    /// nesting limit does not cover left-associative chains (`1+1+...`, `.a().b()...`), which
    /// nest one level per operator; every stage runs on a stack sized from the measured depth
    /// (`stack::STACK_PER_LEVEL`), and this bounds that stack. Deeper trees are refused as
    /// unsupported locally (L420): Elasticsearch's own bound is its JVM stack.
    pub max_tree_depth: usize,
    /// Bytes one script evaluation (one `bind`, one document's `eval`, one `exec`) may allocate
    /// for strings, arrays, lists and maps, counted as allocated and never given back, so the
    /// budget bounds live memory and the work of quadratic copying alike.
    pub max_alloc_bytes: usize,
    /// How many evaluations share `max_alloc_bytes` at once (the ranking engine's worker threads):
    /// each evaluation may allocate `max_alloc_bytes / budget_shared_by`, so the process as a whole
    /// stays under the budget rather than reaching threads × budget.
    pub budget_shared_by: usize,
}

impl Limits {
    pub const DEFAULT_LOOP_COUNTER: u32 = 1_000_000;
    pub const DEFAULT_MAX_TREE_DEPTH: usize = 40_000;
    pub const DEFAULT_MAX_ALLOC_BYTES: usize = 128 * 1024 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_loop_counter: Self::DEFAULT_LOOP_COUNTER,
            max_call_depth: 64,
            max_collection_len: 10_000_000,
            max_string_len: 64 * 1024 * 1024,
            max_tree_depth: Self::DEFAULT_MAX_TREE_DEPTH,
            max_alloc_bytes: Self::DEFAULT_MAX_ALLOC_BYTES,
            budget_shared_by: 1,
        }
    }
}

impl Limits {
    /// The bytes one evaluation may allocate: its share of the memory budget.
    pub fn alloc_bytes_per_evaluation(&self) -> usize {
        self.max_alloc_bytes / self.budget_shared_by.max(1)
    }

    /// The same limits with the memory budget shared by `workers` concurrent evaluations.
    pub fn shared_by(&self, workers: usize) -> Limits {
        Limits { budget_shared_by: workers.max(1), ..self.clone() }
    }
}
