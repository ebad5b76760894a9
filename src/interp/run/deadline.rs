//! A wall-clock deadline for evaluations on this thread (the candidate time budget of `eval` and
//! `loop`, `--candidate-timeout`).
//!
//! The loop counter bounds one loop to 1,000,000 iterations, yet that is ~2.5 s per document, and a
//! candidate scores thousands of documents per user. The rank engine sets the deadline on each of
//! its worker threads (`Deadline::enter`) and checks it between documents; the evaluator checks it
//! every `CHECK_EVERY` loop iterations, for-each iterations and user-function calls, so one long
//! evaluation stops too. Expiry raises `RuntimeError::timed_out` (kind `Interrupted`, L491), which
//! the engine reports as the candidate's timeout, never as a script error.

use crate::interp::runtime::error::RuntimeError;
use std::cell::Cell;
use std::time::Instant;

/// Loop iterations or calls between two reads of the clock (a read costs ~25 ns).
const CHECK_EVERY: u32 = 1 << 14;

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    static TICKS: Cell<u32> = const { Cell::new(0) };
}

/// Sets this thread's deadline until the guard is dropped (then the previous one is back).
pub struct Deadline {
    previous: Option<Instant>,
}

impl Deadline {
    pub fn enter(deadline: Option<Instant>) -> Deadline {
        Deadline { previous: DEADLINE.with(|d| d.replace(deadline)) }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        DEADLINE.with(|d| d.set(self.previous));
    }
}

/// True once this thread's deadline has passed.
pub fn expired() -> bool {
    DEADLINE.with(|d| d.get()).is_some_and(|d| Instant::now() >= d)
}

/// Counts one unit of work and, every `CHECK_EVERY`, fails once the deadline has passed.
#[inline]
pub(crate) fn tick() -> Result<(), RuntimeError> {
    let n = TICKS.with(|t| {
        let n = t.get().wrapping_add(1);
        t.set(n);
        n
    });
    if n.is_multiple_of(CHECK_EVERY) { check() } else { Ok(()) }
}

/// Fails when this thread's deadline has passed.
#[cold]
pub(crate) fn check() -> Result<(), RuntimeError> {
    if expired() { Err(RuntimeError::timed_out()) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn guard_sets_and_restores() {
        assert!(!expired());
        {
            let _g = Deadline::enter(Some(Instant::now() - Duration::from_millis(1)));
            assert!(expired());
            assert!(check().is_err());
            {
                let _inner = Deadline::enter(None);
                assert!(!expired());
            }
            assert!(expired());
        }
        assert!(!expired());
        assert!(check().is_ok());
    }
}
