//! Progress of long library operations (ALS training, building the demo store, bulk loading an
//! index), reported to whoever draws it: the library never writes to the terminal. Every such
//! operation takes one `&mut dyn Progress`; a closure `|done| ...` is one, and [`NoProgress`] is the
//! hook of callers that draw nothing.

/// Told the work done so far, in the operation's own unit (documented where the hook is taken).
pub trait Progress {
    fn advanced(&mut self, done: u64);
}

impl<F: FnMut(u64)> Progress for F {
    fn advanced(&mut self, done: u64) {
        self(done)
    }
}

/// The hook of callers that draw nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn advanced(&mut self, _done: u64) {}
}
