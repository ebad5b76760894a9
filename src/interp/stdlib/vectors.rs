//! Vector functions of both dialects over a query `&[f32]` and a document row `&[f32]` borrowed
//! straight from the memory-mapped store (no copies, no allocation per item).
//!
//! **Elasticsearch 8.13** (`cosineSimilarity/dotProduct/l1norm/l2norm(params.qv, 'field')`):
//! the query list becomes `float[]` via `Number.floatValue()`; the query magnitude is the
//! double sum of float squares; cosine divides every query element by `(float) magnitude`.
//! For an indexed `dense_vector` (the 8.x default) the document side is Lucene's
//! `VectorUtil` (float accumulation), l1norm a double sum of float `|d - q|`, l2norm
//! `Math.sqrt(float squareDistance)`, and the document magnitude `(float) sqrt(double sum of
//! float squares)` (the pre-8.15 `DenseVector.getMagnitude(float[])`; 8.15+ uses a float dot).
//! For `index: false` ([`EsVectorLayout::Binary`]) ES 8.13 uses `BinaryDenseVector`: a double
//! dot product summed in float groups of eight, double l2 differences, and the magnitude stored
//! at index time (same formula as above).
//!
//! **Which Lucene arithmetic.** Lucene's `VectorUtil` has a scalar and a Panama (SIMD)
//! implementation, each with or without fused multiply-add; they differ in the last bit of the
//! float result. All of them are reproduced here in Lucene's exact order of operations
//! ([`VectorArithmetic`], [`dot_with`], [`square_distance_with`], [`cosine_with`]); the plain
//! [`lucene_dot`], [`lucene_square_distance`], [`lucene_cosine`] are the scalar one without FMA
//! (the default when no engine was probed). The interpreter runs the variant of its `CallCtx`.
//!
//! **OpenSearch k-NN 2.19** (`cosineSimilarity(qv, doc['f'])`, `l2Squared`, `l1Norm`,
//! `lInfNorm`, `innerProduct`): all return float; cosine is Lucene's `VectorUtil.cosine` (raw
//! cosine, no +1.0), l2Squared `VectorUtil.squareDistance`, innerProduct `VectorUtil.dotProduct`,
//! l1Norm/lInfNorm plain float loops (KNNScoringUtil).

use crate::interp::runtime::error::RuntimeError;
use crate::store::{ItemIdx, Store};

/// How an Elasticsearch `dense_vector` field is stored (decides the doc-side arithmetic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EsVectorLayout {
    /// `index: true` (the 8.x default): `KnnDenseVector`, Lucene `VectorUtil` arithmetic.
    #[default]
    Indexed,
    /// `index: false`: `BinaryDenseVector`, double accumulation.
    Binary,
}

/// Which implementation of Lucene's float `VectorUtil` an engine runs. Lucene picks it at start-up
/// from the JVM and the CPU: the scalar `DefaultVectorUtilSupport` unless the Panama vector module is
/// enabled (Java 21+ with `jdk.incubator.vector`), and in either, fused multiply-add when
/// `Constants.HAS_FAST_SCALAR_FMA` / `HAS_FAST_VECTOR_FMA` say so (`-Dlucene.useScalarFMA` /
/// `-Dlucene.useVectorFMA` override the CPU heuristic). Every variant rounds differently in the last
/// bit, and one ulp decides the order of two near-parallel items, so the local side must run the
/// engine's own variant: `scorelab parity` detects it by probing the engine (`engine::calibrate`).
///
/// Without an engine the default is [`VectorArithmetic::Scalar`] (Lucene's scalar code without FMA:
/// portable, and what every Lucene 9.x computes when FMA is not considered fast).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum VectorArithmetic {
    /// `DefaultVectorUtilSupport`, `a * b + c` rounded twice.
    #[default]
    Scalar,
    /// `DefaultVectorUtilSupport` with `Math.fma` (one rounding).
    ScalarFma,
    /// `PanamaVectorUtilSupport` with `lanes` float lanes (4: 128-bit, 8: AVX2, 16: AVX-512);
    /// `vector_fma` for the lane loops, `scalar_fma` for the scalar tail.
    Panama { lanes: u8, vector_fma: bool, scalar_fma: bool },
}

impl VectorArithmetic {
    /// Every variant calibration tells apart, most likely first.
    pub fn candidates() -> Vec<VectorArithmetic> {
        let mut all = vec![VectorArithmetic::Scalar, VectorArithmetic::ScalarFma];
        for lanes in [8u8, 16, 4] {
            for (vector_fma, scalar_fma) in [(true, true), (false, false), (true, false), (false, true)] {
                all.push(VectorArithmetic::Panama { lanes, vector_fma, scalar_fma });
            }
        }
        all
    }

    #[inline(always)]
    fn scalar_fma(self) -> bool {
        match self {
            VectorArithmetic::Scalar => false,
            VectorArithmetic::ScalarFma => true,
            VectorArithmetic::Panama { scalar_fma, .. } => scalar_fma,
        }
    }
}

impl std::fmt::Display for VectorArithmetic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VectorArithmetic::Scalar => f.write_str("lucene-scalar"),
            VectorArithmetic::ScalarFma => f.write_str("lucene-scalar-fma"),
            VectorArithmetic::Panama { lanes, vector_fma, scalar_fma } => write!(
                f,
                "lucene-panama-{lanes}{}{}",
                if *vector_fma { "-fma" } else { "" },
                match (vector_fma, scalar_fma) {
                    (true, false) => "-scalar-mul-add",
                    (false, true) => "-scalar-fma",
                    _ => "",
                }
            ),
        }
    }
}

impl std::str::FromStr for VectorArithmetic {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        VectorArithmetic::candidates().into_iter().find(|c| c.to_string() == s).ok_or_else(|| {
            let names: Vec<String> = VectorArithmetic::candidates().iter().map(|c| c.to_string()).collect();
            format!("unknown vector arithmetic [{s}]; one of: {}", names.join(", "))
        })
    }
}

impl serde::Serialize for VectorArithmetic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for VectorArithmetic {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Java's `fma(a, b, c)` helper of both Lucene implementations: `Math.fma` (one rounding) or
/// `a * b + c` (two).
#[inline(always)]
fn mul_add(fused: bool, a: f32, b: f32, c: f32) -> f32 {
    if fused { fma_f32(a, b, c) } else { a * b + c }
}

/// `Math.fma(float, float, float)`: `a * b + c` rounded once. Without a hardware FMA in the target
/// features `f32::mul_add` calls libm's `fmaf`, which switches the FPU rounding mode per call and made
/// calibrated local ranking ~20× slower. Here in f64: the product of two floats is exact in a double,
/// the sum is rounded to odd (TwoSum gives the exact error; an inexact sum with an even last bit
/// moves one ulp toward the true value), and rounding a round-to-odd double with 29 spare bits to
/// float is the correctly rounded result (Boldo & Melquiond, "Emulation of FMA and correctly rounded
/// sums: proved algorithms using rounding to odd", 2008). Tested against `f32::mul_add`.
#[inline(always)]
pub fn fma_f32(a: f32, b: f32, c: f32) -> f32 {
    let p = f64::from(a) * f64::from(b);
    let c = f64::from(c);
    let s = p + c;
    if !s.is_finite() {
        return s as f32;
    }
    let v = s - p;
    let err = (p - (s - v)) + (c - v);
    if err == 0.0 {
        return s as f32;
    }
    if s == 0.0 {
        return err as f32;
    }
    let bits = s.to_bits();
    let odd = if bits & 1 == 1 {
        s
    } else if (err > 0.0) == (s > 0.0) {
        f64::from_bits(bits + 1)
    } else {
        f64::from_bits(bits - 1)
    };
    odd as f32
}

/// `VectorSpecies.loopBound(n)`: the largest multiple of `lanes` not above `n`.
#[inline(always)]
fn loop_bound(n: usize, lanes: usize) -> usize {
    n - n % lanes
}

/// `FloatVector.reduceLanes(ADD)` as HotSpot computes it on x86 and in its Java fallback: lane by
/// lane in order, from 0.
#[inline(always)]
fn reduce_lanes(v: &[f32]) -> f32 {
    v.iter().fold(0f32, |acc, &x| acc + x)
}

/// Lucene `VectorUtil.dotProduct(a, b)` in the given implementation.
pub fn dot_with(arith: VectorArithmetic, a: &[f32], b: &[f32]) -> f32 {
    sum_with(arith, a, b, |x, y| (x, y))
}

/// Lucene `VectorUtil.squareDistance(a, b)` in the given implementation (`d = a - b`, then `d * d`
/// accumulated).
pub fn square_distance_with(arith: VectorArithmetic, a: &[f32], b: &[f32]) -> f32 {
    sum_with(arith, a, b, |x, y| {
        let d = x - y;
        (d, d)
    })
}

/// The shared shape of `dotProduct` and `squareDistance`: `acc = fma(p, q, acc)` over the pairs
/// `term(a[i], b[i]) = (p, q)`.
#[inline(always)]
fn sum_with(arith: VectorArithmetic, a: &[f32], b: &[f32], term: impl Fn(f32, f32) -> (f32, f32)) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let sfma = arith.scalar_fma();
    let mut res = 0f32;
    let mut i = 0;
    match arith {
        VectorArithmetic::Scalar | VectorArithmetic::ScalarFma => {
            if n > 32 {
                let mut acc = [0f32; 4];
                let upper = n & !3;
                while i < upper {
                    for (k, acc) in acc.iter_mut().enumerate() {
                        let (p, q) = term(a[i + k], b[i + k]);
                        *acc = mul_add(sfma, p, q, *acc);
                    }
                    i += 4;
                }
                res += acc[0] + acc[1] + acc[2] + acc[3];
            }
        }
        VectorArithmetic::Panama { lanes, vector_fma, .. } => {
            let lanes = usize::from(lanes);
            if n > 2 * lanes {
                let limit = loop_bound(n, lanes);
                // Four vector accumulators over blocks of 4 × lanes, then the first one alone.
                let mut acc = vec![0f32; 4 * lanes];
                let unrolled = limit.saturating_sub(3 * lanes);
                let mut j = 0;
                while j < unrolled {
                    for (k, acc) in acc.iter_mut().enumerate() {
                        let (p, q) = term(a[j + k], b[j + k]);
                        *acc = mul_add(vector_fma, p, q, *acc);
                    }
                    j += 4 * lanes;
                }
                while j < limit {
                    for (k, acc) in acc[..lanes].iter_mut().enumerate() {
                        let (p, q) = term(a[j + k], b[j + k]);
                        *acc = mul_add(vector_fma, p, q, *acc);
                    }
                    j += lanes;
                }
                // (acc1 + acc2) + (acc3 + acc4), lane-wise, then the lanes in order.
                let lane_sum: Vec<f32> =
                    (0..lanes).map(|l| (acc[l] + acc[lanes + l]) + (acc[2 * lanes + l] + acc[3 * lanes + l])).collect();
                res += reduce_lanes(&lane_sum);
                i = limit;
            }
        }
    }
    for k in i..n {
        let (p, q) = term(a[k], b[k]);
        res = mul_add(sfma, p, q, res);
    }
    res
}

/// Lucene `VectorUtil.cosine(a, b)` in the given implementation: float sums of `a·b`, `a·a`, `b·b`,
/// then `(float) (sum / Math.sqrt((double) norm1 * (double) norm2))`.
pub fn cosine_with(arith: VectorArithmetic, a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let sfma = arith.scalar_fma();
    let (mut sum, mut norm1, mut norm2) = (0f32, 0f32, 0f32);
    let mut i = 0;
    match arith {
        VectorArithmetic::Scalar | VectorArithmetic::ScalarFma => {
            if n > 32 {
                // Two interleaved accumulators per quantity over pairs.
                let (mut s, mut n1, mut n2) = ([0f32; 2], [0f32; 2], [0f32; 2]);
                let upper = n & !1;
                while i < upper {
                    for k in 0..2 {
                        let (x, y) = (a[i + k], b[i + k]);
                        s[k] = mul_add(sfma, x, y, s[k]);
                        n1[k] = mul_add(sfma, x, x, n1[k]);
                        n2[k] = mul_add(sfma, y, y, n2[k]);
                    }
                    i += 2;
                }
                sum += s[0] + s[1];
                norm1 += n1[0] + n1[1];
                norm2 += n2[0] + n2[1];
            }
        }
        VectorArithmetic::Panama { lanes, vector_fma, .. } => {
            let lanes = usize::from(lanes);
            if n > 2 * lanes {
                let limit = loop_bound(n, lanes);
                // Two sets of vector accumulators over blocks of 2 × lanes, then the first set alone.
                let (mut s, mut n1, mut n2) = (vec![0f32; 2 * lanes], vec![0f32; 2 * lanes], vec![0f32; 2 * lanes]);
                let unrolled = limit.saturating_sub(lanes);
                let mut j = 0;
                let step = |j: usize, width: usize, s: &mut [f32], n1: &mut [f32], n2: &mut [f32]| {
                    for k in 0..width {
                        let (x, y) = (a[j + k], b[j + k]);
                        s[k] = mul_add(vector_fma, x, y, s[k]);
                        n1[k] = mul_add(vector_fma, x, x, n1[k]);
                        n2[k] = mul_add(vector_fma, y, y, n2[k]);
                    }
                };
                while j < unrolled {
                    step(j, 2 * lanes, &mut s, &mut n1, &mut n2);
                    j += 2 * lanes;
                }
                while j < limit {
                    step(j, lanes, &mut s, &mut n1, &mut n2);
                    j += lanes;
                }
                let reduce = |v: &[f32]| reduce_lanes(&(0..lanes).map(|l| v[l] + v[lanes + l]).collect::<Vec<_>>());
                sum += reduce(&s);
                norm1 += reduce(&n1);
                norm2 += reduce(&n2);
                i = limit;
            }
        }
    }
    for k in i..n {
        let (x, y) = (a[k], b[k]);
        sum = mul_add(sfma, x, y, sum);
        norm1 = mul_add(sfma, x, x, norm1);
        norm2 = mul_add(sfma, y, y, norm2);
    }
    (f64::from(sum) / (f64::from(norm1) * f64::from(norm2)).sqrt()) as f32
}

/// `Number.floatValue()` of each query element (the caller converts ints/longs/doubles).
pub fn dims_mismatch(query_dims: usize, doc_dims: usize) -> RuntimeError {
    RuntimeError::new(
        "illegal_argument_exception",
        format!(
            "The query vector has a different number of dimensions [{query_dims}] than the document vectors [{doc_dims}]."
        ),
    )
}

/// ES's error for a document without a vector.
pub fn missing_vector() -> RuntimeError {
    RuntimeError::new("illegal_argument_exception", "A document doesn't have a value for a vector field!")
}

/// Lucene `VectorUtil.dotProduct` (scalar reference, no FMA): four float accumulators over
/// blocks of four when the length exceeds 32, then a sequential tail.
#[inline]
pub fn lucene_dot(a: &[f32], b: &[f32]) -> f32 {
    lucene_blocked_sum(a, b, |x, y| x * y)
}

/// Lucene `VectorUtil.squareDistance` (scalar reference, no FMA), summed like `lucene_dot`.
#[inline]
pub fn lucene_square_distance(a: &[f32], b: &[f32]) -> f32 {
    lucene_blocked_sum(a, b, |x, y| {
        let d = x - y;
        d * d
    })
}

/// Lucene's scalar summation order for `term(a[i], b[i])`: over the shorter length, four float
/// accumulators over blocks of four when it exceeds 32 (added together in order), then the tail.
#[inline(always)]
fn lucene_blocked_sum(a: &[f32], b: &[f32], term: impl Fn(f32, f32) -> f32) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut res = 0f32;
    let mut i = 0;
    if n > 32 {
        let mut acc = [0f32; 4];
        let upper = n & !3;
        for (ca, cb) in a[..upper].chunks_exact(4).zip(b[..upper].chunks_exact(4)) {
            for k in 0..4 {
                acc[k] += term(ca[k], cb[k]);
            }
        }
        res += acc[0] + acc[1] + acc[2] + acc[3];
        i = upper;
    }
    for k in i..n {
        res += term(a[k], b[k]);
    }
    res
}

/// Lucene `VectorUtil.cosine` (scalar reference, no FMA): float sums, double final division.
pub fn lucene_cosine(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let (mut sum, mut norm1, mut norm2) = (0f32, 0f32, 0f32);
    let mut i = 0;
    if n > 32 {
        let (mut s1, mut s2, mut n11, mut n12, mut n21, mut n22) = (0f32, 0f32, 0f32, 0f32, 0f32, 0f32);
        let upper = n & !1;
        while i < upper {
            s1 += a[i] * b[i];
            n11 += a[i] * a[i];
            n21 += b[i] * b[i];
            s2 += a[i + 1] * b[i + 1];
            n12 += a[i + 1] * a[i + 1];
            n22 += b[i + 1] * b[i + 1];
            i += 2;
        }
        sum += s1 + s2;
        norm1 += n11 + n12;
        norm2 += n21 + n22;
    }
    for k in i..n {
        sum += a[k] * b[k];
        norm1 += a[k] * a[k];
        norm2 += b[k] * b[k];
    }
    (f64::from(sum) / (f64::from(norm1) * f64::from(norm2)).sqrt()) as f32
}

/// ES `DenseVector.getMagnitude(float[])` (8.13): `(float) sqrt(double Σ (float) v²)`.
/// Also the magnitude ES stores for `index: false` vectors.
#[inline]
pub fn es_magnitude(v: &[f32]) -> f32 {
    crate::store::dense_vector_magnitude(v)
}

/// A query vector prepared once per (script, user), as ES's function constructors do.
#[derive(Debug, Clone, PartialEq)]
pub struct EsQueryVector {
    /// `floatValue()` of each element (for cosine: already divided by the float magnitude).
    pub values: Vec<f32>,
}

impl EsQueryVector {
    /// For dotProduct, l1norm and l2norm: the float values as given.
    pub fn raw(values: Vec<f32>, doc_dims: usize) -> Result<Self, RuntimeError> {
        if values.len() != doc_dims {
            return Err(dims_mismatch(values.len(), doc_dims));
        }
        Ok(EsQueryVector { values })
    }

    /// For cosineSimilarity: each element divided (in float) by `(float) sqrt(double Σ v²)`.
    pub fn normalized(mut values: Vec<f32>, doc_dims: usize) -> Result<Self, RuntimeError> {
        if values.len() != doc_dims {
            return Err(dims_mismatch(values.len(), doc_dims));
        }
        let mut mag = 0f64;
        for &x in &values {
            mag += f64::from(x * x);
        }
        let mag = mag.sqrt() as f32;
        for x in &mut values {
            *x /= mag;
        }
        Ok(EsQueryVector { values })
    }
}

/// `dotProduct(params.qv, 'f')`.
#[inline]
pub fn es_dot_product(q: &EsQueryVector, doc: &[f32], layout: EsVectorLayout) -> f64 {
    match layout {
        EsVectorLayout::Indexed => f64::from(lucene_dot(doc, &q.values)),
        EsVectorLayout::Binary => binary_dot(doc, &q.values),
    }
}

/// `BinaryDenseVector.dotProduct(float[])`: the first `len % 16` products one by one, then
/// groups of eight float products summed in float before each double accumulation. (ES's loop
/// condition `i + 16 < len` skips the final block when `len` is a multiple of 16 > 0; that
/// quirk is reproduced.)
fn binary_dot(doc: &[f32], q: &[f32]) -> f64 {
    let n = q.len().min(doc.len());
    let mut dot = 0f64;
    let mut i = 0;
    while i < n % 16 {
        dot += f64::from(doc[i] * q[i]);
        i += 1;
    }
    while i + 16 < n {
        let mut g1 = doc[i] * q[i];
        for k in 1..8 {
            g1 += doc[i + k] * q[i + k];
        }
        dot += f64::from(g1);
        let mut g2 = doc[i + 8] * q[i + 8];
        for k in 9..16 {
            g2 += doc[i + k] * q[i + k];
        }
        dot += f64::from(g2);
        i += 16;
    }
    dot
}

/// `cosineSimilarity(params.qv, 'f')` with `q` from [`EsQueryVector::normalized`].
#[inline]
pub fn es_cosine_similarity(q: &EsQueryVector, doc: &[f32], layout: EsVectorLayout) -> f64 {
    match layout {
        EsVectorLayout::Indexed => es_cosine_indexed(q, doc),
        EsVectorLayout::Binary => es_dot_product(q, doc, layout) / f64::from(es_magnitude(doc)),
    }
}

/// [`es_cosine_similarity`] for the indexed layout in one pass: the Lucene dot product and the
/// document magnitude are two independent dependency chains, so running them in the same loop
/// lets the CPU overlap them. Each chain keeps its own summation order, so the result is
/// bit-identical to `lucene_dot(doc, q) / es_magnitude(doc)`.
#[inline]
pub fn es_cosine_indexed(q: &EsQueryVector, doc: &[f32]) -> f64 {
    let q = &q.values[..];
    if q.len() != doc.len() {
        return f64::from(lucene_dot(doc, q)) / f64::from(es_magnitude(doc));
    }
    let n = doc.len();
    let mut res = 0f32;
    let mut mag = 0f64;
    let mut i = 0;
    if n > 32 {
        let mut acc = [0f32; 4];
        let upper = n & !3;
        for (cd, cq) in doc[..upper].chunks_exact(4).zip(q[..upper].chunks_exact(4)) {
            for k in 0..4 {
                acc[k] += cd[k] * cq[k];
                mag += f64::from(cd[k] * cd[k]);
            }
        }
        res += acc[0] + acc[1] + acc[2] + acc[3];
        i = upper;
    }
    for k in i..n {
        res += doc[k] * q[k];
        mag += f64::from(doc[k] * doc[k]);
    }
    f64::from(res) / f64::from(mag.sqrt() as f32)
}

/// How many documents the batch kernels interleave: independent dependency chains the CPU runs
/// side by side (each document keeps its own summation order).
const LANES: usize = 8;

/// [`es_cosine_indexed`] for the documents `items` of `store`, using the store's precomputed
/// magnitudes (`Store::vector_magnitudes`, the same `es_magnitude` of the same row):
/// `out[j] = lucene_dot(doc_j, q) / magnitude_j`, bit-identical to the per-document function.
pub fn es_cosine_indexed_batch(q: &EsQueryVector, store: &Store, items: &[ItemIdx], out: &mut [f64]) {
    let mags = store.vector_magnitudes();
    lucene_dot_each(false, &q.values, store, items, |j, dot| {
        out[j] = f64::from(dot) / f64::from(mags[items[j].0 as usize])
    });
}

/// `lucene_dot(doc_j, q)` (widened to f64) for every document of `items`.
pub fn es_dot_batch(q: &[f32], store: &Store, items: &[ItemIdx], out: &mut [f64]) {
    lucene_dot_each(false, q, store, items, |j, dot| out[j] = f64::from(dot));
}

/// [`es_cosine_indexed_batch`] / [`es_dot_batch`] in the scalar variants (with or without FMA).
/// False, with `out` untouched, for a Panama variant (the caller scores item by item).
pub fn es_batch_with(
    arith: VectorArithmetic,
    function: EsIndexedFn,
    q: &EsQueryVector,
    store: &Store,
    items: &[ItemIdx],
    out: &mut [f64],
) -> bool {
    let fused = match arith {
        VectorArithmetic::Scalar => false,
        VectorArithmetic::ScalarFma => true,
        VectorArithmetic::Panama { .. } => return false,
    };
    match function {
        EsIndexedFn::Cosine => {
            let mags = store.vector_magnitudes();
            lucene_dot_each(fused, &q.values, store, items, |j, dot| {
                out[j] = f64::from(dot) / f64::from(mags[items[j].0 as usize])
            });
        }
        EsIndexedFn::Dot => lucene_dot_each(fused, &q.values, store, items, |j, dot| out[j] = f64::from(dot)),
        EsIndexedFn::L2 => return false,
    }
    true
}

/// Calls `emit(j, lucene_dot(doc_j, q))` for every document of `items`. Up to 32 dimensions
/// Lucene sums sequentially, one float chain per document; `LANES` documents' chains run side by
/// side (each in its own order, so the results are the per-document ones).
#[inline(always)]
fn lucene_dot_each(fused: bool, q: &[f32], store: &Store, items: &[ItemIdx], mut emit: impl FnMut(usize, f32)) {
    let arith = if fused { VectorArithmetic::ScalarFma } else { VectorArithmetic::Scalar };
    let n = q.len();
    let all = store.vectors();
    let data = match all.to_slice() {
        Some(d) if n <= 32 && store.dims() == n => d,
        _ => {
            // Longer vectors already use four accumulators each (Lucene's blocked order).
            for (j, item) in items.iter().enumerate() {
                emit(j, dot_with(arith, store.vector(*item), q));
            }
            return;
        }
    };
    let row = |item: ItemIdx| {
        let start = item.0 as usize * n;
        &data[start..start + n]
    };
    let full = items.len() / LANES * LANES;
    for base in (0..full).step_by(LANES) {
        let rows: [&[f32]; LANES] = std::array::from_fn(|l| row(items[base + l]));
        let mut acc = [0f32; LANES];
        for k in 0..n {
            let qk = q[k];
            for l in 0..LANES {
                acc[l] = mul_add(fused, rows[l][k], qk, acc[l]);
            }
        }
        for (l, &a) in acc.iter().enumerate() {
            emit(base + l, a);
        }
    }
    for (j, item) in items.iter().enumerate().skip(full) {
        emit(j, dot_with(arith, row(*item), q));
    }
}

/// [`es_cosine_indexed`] with the document's magnitude already known (`es_magnitude(doc)`, e.g.
/// from `Store::vector_magnitudes`): the same two quantities divided the same way.
#[inline]
pub fn es_cosine_indexed_with_magnitude(q: &EsQueryVector, doc: &[f32], magnitude: f32) -> f64 {
    f64::from(lucene_dot(doc, &q.values)) / f64::from(magnitude)
}

/// `dotProduct`, `cosineSimilarity` and `l2norm` of an indexed field in any Lucene arithmetic
/// (`l1norm` is a plain Java loop in ES, the same in every variant).
pub fn es_indexed_with(arith: VectorArithmetic, function: EsIndexedFn, q: &EsQueryVector, doc: &[f32]) -> f64 {
    match function {
        EsIndexedFn::Dot => f64::from(dot_with(arith, doc, &q.values)),
        EsIndexedFn::Cosine => f64::from(dot_with(arith, doc, &q.values)) / f64::from(es_magnitude(doc)),
        EsIndexedFn::L2 => f64::from(square_distance_with(arith, doc, &q.values)).sqrt(),
    }
}

/// [`es_indexed_with`] with the document's magnitude already known (the store's precomputed one).
pub fn es_indexed_with_magnitude(
    arith: VectorArithmetic,
    function: EsIndexedFn,
    q: &EsQueryVector,
    doc: &[f32],
    magnitude: f32,
) -> f64 {
    match function {
        EsIndexedFn::Cosine => f64::from(dot_with(arith, doc, &q.values)) / f64::from(magnitude),
        _ => es_indexed_with(arith, function, q, doc),
    }
}

/// The ES functions whose document side is Lucene's `VectorUtil`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EsIndexedFn {
    Dot,
    Cosine,
    L2,
}

/// `l1norm(params.qv, 'f')`.
#[inline]
pub fn es_l1_norm(q: &EsQueryVector, doc: &[f32], layout: EsVectorLayout) -> f64 {
    let mut sum = 0f64;
    for (&d, &x) in doc.iter().zip(&q.values) {
        // |d - q| and |q - d| are the same float, so both layouts agree.
        let _ = layout;
        sum += f64::from((d - x).abs());
    }
    sum
}

/// `l2norm(params.qv, 'f')`.
#[inline]
pub fn es_l2_norm(q: &EsQueryVector, doc: &[f32], layout: EsVectorLayout) -> f64 {
    match layout {
        EsVectorLayout::Indexed => f64::from(lucene_square_distance(doc, &q.values)).sqrt(),
        EsVectorLayout::Binary => {
            let mut sum = 0f64;
            for (&d, &x) in doc.iter().zip(&q.values) {
                let diff = f64::from(d - x);
                sum += diff * diff;
            }
            sum.sqrt()
        }
    }
}

/// k-NN's dims check (`Expected` is the document's dimension, `Given` the query's).
fn knn_require_equal(query: &[f32], doc: &[f32]) -> Result<(), RuntimeError> {
    if query.len() != doc.len() {
        return Err(RuntimeError::new(
            "illegal_argument_exception",
            format!("query vector dimension mismatch. Expected: {}, Given: {}", doc.len(), query.len()),
        ));
    }
    Ok(())
}

/// OpenSearch k-NN's error for a document without a vector.
pub fn knn_missing_vector(field: &str) -> RuntimeError {
    RuntimeError::new(
        "illegal_state_exception",
        format!(
            "One of the document doesn't have a value for field '{field}'. This can be avoided by checking if a document has a value for the field or not by doc['{field}'].size() == 0 ? 0 : {{your script}}"
        ),
    )
}

/// k-NN `l2Squared` (Lucene `squareDistance`, which checks the dimensions itself).
pub fn knn_l2_squared(arith: VectorArithmetic, query: &[f32], doc: &[f32]) -> Result<f32, RuntimeError> {
    if query.len() != doc.len() {
        return Err(RuntimeError::new(
            "illegal_argument_exception",
            format!("vector dimensions differ: {}!={}", query.len(), doc.len()),
        ));
    }
    Ok(square_distance_with(arith, query, doc))
}

/// k-NN `innerProduct`.
pub fn knn_inner_product(arith: VectorArithmetic, query: &[f32], doc: &[f32]) -> Result<f32, RuntimeError> {
    knn_require_equal(query, doc)?;
    Ok(dot_with(arith, query, doc))
}

/// k-NN `l1Norm`: float accumulation of `|q - d|`.
pub fn knn_l1_norm(_arith: VectorArithmetic, query: &[f32], doc: &[f32]) -> Result<f32, RuntimeError> {
    knn_require_equal(query, doc)?;
    let mut sum = 0f32;
    for (&q, &d) in query.iter().zip(doc) {
        sum += (q - d).abs();
    }
    Ok(sum)
}

/// k-NN `lInfNorm`: the largest `|q - d|` (Java `Math.max` on floats).
pub fn knn_linf_norm(_arith: VectorArithmetic, query: &[f32], doc: &[f32]) -> Result<f32, RuntimeError> {
    knn_require_equal(query, doc)?;
    let mut max = 0f32;
    for (&q, &d) in query.iter().zip(doc) {
        let a = (q - d).abs();
        max = if a.is_nan() || max.is_nan() { f32::NAN } else { a.max(max) };
    }
    Ok(max)
}

/// k-NN `cosineSimilarity(qv, doc['f'])`: raw cosine (a script adds 1.0 itself if it wants).
/// A zero query vector is rejected, as k-NN's `SpaceType.COSINESIMIL.validateVector` does.
pub fn knn_cosine_similarity(arith: VectorArithmetic, query: &[f32], doc: &[f32]) -> Result<f32, RuntimeError> {
    if query.iter().all(|&x| x == 0.0) {
        return Err(RuntimeError::new(
            "illegal_argument_exception",
            "zero vector is not supported when space type is [cosinesimil]",
        ));
    }
    knn_require_equal(query, doc)?;
    Ok(cosine_with(arith, query, doc))
}

/// k-NN `cosineSimilarity(qv, doc['f'], queryMagnitude)` (`cosinesimilOptimized`).
pub fn knn_cosine_similarity_with_norm(query: &[f32], doc: &[f32], norm_query: f32) -> Result<f32, RuntimeError> {
    knn_require_equal(query, doc)?;
    let (mut dot, mut norm_doc) = (0f32, 0f32);
    for (&q, &d) in query.iter().zip(doc) {
        dot += q * d;
        norm_doc += d * d;
    }
    let normalized = norm_query * norm_doc;
    if normalized == 0.0 {
        return Ok(0.0);
    }
    Ok((f64::from(dot) / f64::from(normalized).sqrt()) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fma_f32_is_correctly_rounded() {
        // Random operands over many binades, plus cancellation and halfway cases.
        let mut state = 0x1234_5678_9ABC_DEF0u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut checked = 0;
        for _ in 0..2_000_000 {
            let r = next();
            let f = |bits: u64| {
                let exp = 100 + (bits >> 23) % 56; // 2^-27 .. 2^28
                f32::from_bits(((bits & 0x8000_0000) as u32) | ((exp as u32) << 23) | (bits as u32 & 0x7F_FFFF))
            };
            let (a, b) = (f(r), f(r >> 20));
            // c near -a*b half of the time: heavy cancellation.
            let c = if r & 1 == 0 { -(a * b) + f(r >> 40) * 1e-3 } else { f(r >> 40) };
            assert_eq!(fma_f32(a, b, c).to_bits(), a.mul_add(b, c).to_bits(), "fma({a:e}, {b:e}, {c:e})");
            checked += 1;
        }
        for (a, b, c) in [(1.0f32 + f32::EPSILON, 1.0 - f32::EPSILON, -1.0), (3.0, 1.0 / 3.0, -1.0), (0.0, 5.0, -0.0)] {
            assert_eq!(fma_f32(a, b, c).to_bits(), a.mul_add(b, c).to_bits());
        }
        assert_eq!(fma_f32(f32::MAX, 2.0, 0.0), f32::INFINITY);
        assert!(fma_f32(f32::NAN, 1.0, 1.0).is_nan());
        assert!(checked > 0);
    }
}
