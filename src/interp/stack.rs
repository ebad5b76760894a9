//! Native stack for the recursive stages: every stage (check, fold, hoist, plan, evaluate, drop)
//! walks the tree recursively, so a deep tree runs on a stack sized from its measured depth.

/// Native stack per level of syntax-tree depth that checking, folding, hoisting, planning and
/// evaluating may use. Measured in gdb (stack pointer one level apart) on the deep-chain cases of
/// `tests/frontend/limits.rs` with the release-optimised `ci` profile: the checker is the deepest stage,
/// 2.9 KiB per level on an operator chain (`check_expr` + `binary`) and 3.2 KiB on a call chain
/// (`check_expr` + `call`); this is 2.5 times the worst. Debug frames are several times larger.
pub(crate) const STACK_PER_LEVEL: usize = if cfg!(debug_assertions) { 64 << 10 } else { 8 << 10 };

/// Stack every thread that compiles or evaluates is assumed to have spare: scripts whose need is
/// below it run where they are, without the check `stacker` makes.
pub(crate) const SMALL_STACK: usize = 128 << 10;

/// Runs `f` with `needed` bytes of native stack, growing it on the heap (stacker) when the
/// current one is shorter: deep trees are walked recursively by every stage, on a stack sized
/// from their measured depth instead of risking an abort on a fixed one.
pub(crate) fn with_stack<T>(needed: usize, f: impl FnOnce() -> T) -> T {
    if needed <= SMALL_STACK {
        f()
    } else {
        let size = needed.saturating_add(SMALL_STACK);
        stacker::maybe_grow(size, size, f)
    }
}

/// The stack a tree `depth` levels deep needs (with a constant for the frames around it).
pub(crate) fn stack_for_depth(depth: usize) -> usize {
    depth.saturating_add(32).saturating_mul(STACK_PER_LEVEL)
}
