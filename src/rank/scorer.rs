//! The seam between the rank engine and whatever evaluates a script: the interpreter adapter
//! (`interp_adapter.rs`) and native Rust closures (tests, benches, the random control).
//!
//! A scorer is bound once per user (params converted, per-user work hoisted) and then evaluated
//! once per item, mirroring `Program::bind` / `Program::eval`.

pub use crate::interp::{BatchFailure, BatchScores};
use crate::painless::Diagnostic;
use crate::store::{ItemIdx, Store, UserIdx};
use serde_json::{Map, Value};

pub type Params = Map<String, Value>;

/// A compiled script, shareable across the worker threads.
pub trait UserScorer: Sync {
    /// Prepares the script for one user. An error here fails that user like a runtime error.
    /// `user` is for native scorers that key on it (the random control); scripts only see `params`.
    fn bind<'a>(
        &'a self,
        user: UserIdx,
        params: &Params,
        store: &'a Store,
    ) -> Result<Box<dyn BoundScorer + 'a>, Diagnostic>;
}

/// A script bound to one user's params; evaluated per item on one thread.
pub trait BoundScorer {
    /// The script's value for `item`. `score` is what the script sees as `_score`: 1.0 for the
    /// query script (ES `script_score` over `match_all`), the item's f32 `_score` widened for sorts.
    fn eval(&mut self, item: ItemIdx, score: f64) -> Result<f64, Diagnostic>;

    /// `eval` on each of `items` in order, stopping at the first error: `out[j]` is item `j`'s
    /// value; on `Err(f)`, `out[..f.index]` are filled. Scorers that can evaluate many items at
    /// once (the interpreter's column-wise path) override it; results must be the same.
    fn eval_batch(&mut self, items: &[ItemIdx], scores: BatchScores<'_>, out: &mut [f64]) -> Result<(), BatchFailure> {
        for (j, &item) in items.iter().enumerate() {
            let score = match scores {
                BatchScores::Same(s) => s,
                BatchScores::PerItem(s) => s[j],
            };
            out[j] = self.eval(item, score).map_err(|diagnostic| BatchFailure { index: j, diagnostic })?;
        }
        Ok(())
    }
}

/// A scorer written in Rust: `f(params, store, item, _score)`. Used by tests, benches and the random
/// control; the closure sees the same params (incl. `user_vector`) a script would.
pub struct NativeScorer<F> {
    f: F,
}

impl<F> NativeScorer<F>
where
    F: Fn(&Params, &Store, ItemIdx, f64) -> Result<f64, Diagnostic> + Sync,
{
    pub fn new(f: F) -> Self {
        NativeScorer { f }
    }
}

struct NativeBound<'a, F> {
    f: &'a F,
    params: Params,
    store: &'a Store,
}

impl<F> UserScorer for NativeScorer<F>
where
    F: Fn(&Params, &Store, ItemIdx, f64) -> Result<f64, Diagnostic> + Sync,
{
    fn bind<'a>(
        &'a self,
        _user: UserIdx,
        params: &Params,
        store: &'a Store,
    ) -> Result<Box<dyn BoundScorer + 'a>, Diagnostic> {
        Ok(Box::new(NativeBound { f: &self.f, params: params.clone(), store }))
    }
}

impl<F> BoundScorer for NativeBound<'_, F>
where
    F: Fn(&Params, &Store, ItemIdx, f64) -> Result<f64, Diagnostic>,
{
    fn eval(&mut self, item: ItemIdx, score: f64) -> Result<f64, Diagnostic> {
        (self.f)(&self.params, self.store, item, score)
    }
}

/// The params every script of a user receives: the run's harness params plus `user_vector`, the
/// user's `R × D` matrix as a list of lists of doubles (each f32 widened exactly, as the engine
/// request serialises it). Shared with the search-engine backend so both send identical params.
pub fn user_params(store: &Store, user: UserIdx, harness: &Params) -> Params {
    let mut params = harness.clone();
    let matrix = store.user_matrix(user);
    let rows: Vec<Value> =
        matrix.rows().into_iter().map(|row| Value::Array(row.iter().map(|&x| number(x as f64)).collect())).collect();
    params.insert("user_vector".to_string(), Value::Array(rows));
    params
}

fn number(x: f64) -> Value {
    // Matrices come from a validated store, so non-finite values never get here; JSON has no NaN.
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// The random-ranking control: a seeded uniform score in `[0, 1)` per (user, item), independent of
/// thread count. Its metrics give the scale against which a candidate's figures mean something.
pub struct RandomScorer {
    pub seed: u64,
}

struct RandomBound {
    key: u64,
}

impl UserScorer for RandomScorer {
    fn bind<'a>(
        &'a self,
        user: UserIdx,
        _params: &Params,
        _store: &'a Store,
    ) -> Result<Box<dyn BoundScorer + 'a>, Diagnostic> {
        Ok(Box::new(RandomBound { key: splitmix64(self.seed ^ splitmix64(user.0 as u64)) }))
    }
}

impl BoundScorer for RandomBound {
    fn eval(&mut self, item: ItemIdx, _score: f64) -> Result<f64, Diagnostic> {
        // 24 random bits, like ES's randomScore: exactly representable as f32, so few ties.
        Ok((splitmix64(self.key ^ item.0 as u64) >> 40) as f64 / (1u64 << 24) as f64)
    }
}

/// SplitMix64's finaliser: a fixed, well-mixed hash (the stream must never change across versions).
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
