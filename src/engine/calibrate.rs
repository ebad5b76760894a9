//! Calibration: which of Lucene's vector implementations (`VectorArithmetic`) the engine runs.
//!
//! Lucene chooses at start-up between its scalar and Panama (SIMD) `VectorUtil`, each with or without
//! fused multiply-add, from the JVM and the CPU; the variants differ in the last bit of a float, and one
//! bit decides the order of two near-parallel items. The engine is asked once, before any comparison,
//! for the raw Lucene results of a few crafted query vectors against the first items of the index
//! (`script_fields`, so no document is written), and every candidate variant is replayed locally on the
//! same floats: the variant(s) reproducing every probed value bit for bit are the engine's. When none
//! does, calibration fails: comparing against arithmetic that is not the engine's would report
//! last-bit drift as if it were a semantic difference.

use super::error::{EngineError, classify};
use super::request::ORD_FIELD;
use super::transport::{EngineClient, Flavor, Method, Payload};
use crate::interp::stdlib::vectors::{self, VectorArithmetic};
use crate::store::{ItemIdx, Store};
use serde::Serialize;
use serde_json::json;

/// Items probed per query vector (the first ordinals of the index).
const PROBE_ITEMS: usize = 64;
/// Crafted query vectors.
const PROBE_QUERIES: usize = 3;

/// Where the arithmetic used locally came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArithmeticSource {
    /// Detected by probing the engine.
    Probed,
    /// No engine was probed: the documented default (`VectorArithmetic::default()`).
    Default,
}

/// The detected (or assumed) arithmetic profile, as recorded in reports and `meta.json`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ArithmeticProfile {
    /// The variant the local side runs.
    pub arithmetic: VectorArithmetic,
    pub source: ArithmeticSource,
    /// Other variants that reproduce every probe too (they agree at this store's dimension count).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equivalent: Vec<VectorArithmetic>,
    /// Values compared (0 for the default).
    pub probes: usize,
    /// `opensearch 2.19.1`, or empty for the default.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub engine: String,
}

impl ArithmeticProfile {
    /// No engine: the documented default, Lucene's scalar code without FMA.
    pub fn default_profile() -> ArithmeticProfile {
        ArithmeticProfile {
            arithmetic: VectorArithmetic::default(),
            source: ArithmeticSource::Default,
            equivalent: Vec::new(),
            probes: 0,
            engine: String::new(),
        }
    }

    /// One line for human reports.
    pub fn describe(&self) -> String {
        match self.source {
            ArithmeticSource::Default => {
                format!("vector arithmetic {} (default: no engine probed)", self.arithmetic)
            }
            ArithmeticSource::Probed => {
                let same = if self.equivalent.is_empty() {
                    String::new()
                } else {
                    let names: Vec<String> = self.equivalent.iter().map(|v| v.to_string()).collect();
                    format!("; equivalent here: {}", names.join(", "))
                };
                format!(
                    "vector arithmetic {} (detected on {}: {} probe values bit-exact{same})",
                    self.arithmetic, self.engine, self.probes
                )
            }
        }
    }
}

/// One engine function whose result is Lucene's float.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    Dot,
    Cosine,
    SquareDistance,
}

impl Probe {
    fn for_flavor(flavor: Flavor) -> &'static [Probe] {
        match flavor {
            // ES 8.13 `cosineSimilarity` is a Lucene dot product divided by a plain-Java magnitude, and
            // `l2norm` a square root of `squareDistance`: the dot and l2 probes cover both kernels.
            Flavor::Elasticsearch => &[Probe::Dot, Probe::SquareDistance],
            Flavor::OpenSearch => &[Probe::Dot, Probe::Cosine, Probe::SquareDistance],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Probe::Dot => "dot",
            Probe::Cosine => "cos",
            Probe::SquareDistance => "l2",
        }
    }

    /// The script returning exactly the Lucene result (ES widens it to double, k-NN returns the float).
    fn script(self, flavor: Flavor, field: &str) -> String {
        match (flavor, self) {
            (Flavor::Elasticsearch, Probe::Dot) => format!("dotProduct(params.q, '{field}')"),
            // ES: Math.sqrt((double) squareDistance); squaring back is not exact, so compare the root.
            (Flavor::Elasticsearch, Probe::SquareDistance) => format!("l2norm(params.q, '{field}')"),
            (Flavor::Elasticsearch, Probe::Cosine) => format!("cosineSimilarity(params.q, '{field}')"),
            (Flavor::OpenSearch, Probe::Dot) => format!("innerProduct(params.q, doc['{field}'])"),
            (Flavor::OpenSearch, Probe::Cosine) => format!("cosineSimilarity(params.q, doc['{field}'])"),
            (Flavor::OpenSearch, Probe::SquareDistance) => format!("l2Squared(params.q, doc['{field}'])"),
        }
    }

    /// What the engine returns for (query, doc) in `arith`, as the f64 its JSON carries.
    fn expected(self, flavor: Flavor, arith: VectorArithmetic, query: &[f32], doc: &[f32]) -> f64 {
        match (flavor, self) {
            (Flavor::Elasticsearch, Probe::Dot) => f64::from(vectors::dot_with(arith, doc, query)),
            (Flavor::Elasticsearch, Probe::SquareDistance) => {
                f64::from(vectors::square_distance_with(arith, doc, query)).sqrt()
            }
            (Flavor::Elasticsearch, Probe::Cosine) => {
                f64::from(vectors::dot_with(arith, doc, query)) / f64::from(vectors::es_magnitude(doc))
            }
            (Flavor::OpenSearch, Probe::Dot) => f64::from(vectors::dot_with(arith, query, doc)),
            (Flavor::OpenSearch, Probe::Cosine) => f64::from(vectors::cosine_with(arith, query, doc)),
            (Flavor::OpenSearch, Probe::SquareDistance) => f64::from(vectors::square_distance_with(arith, query, doc)),
        }
    }

    /// Whether an engine value equals the expected one bit for bit (k-NN values are floats rendered
    /// in their shortest form: compare them as floats).
    fn same(self, flavor: Flavor, engine: f64, expected: f64) -> bool {
        match (flavor, self) {
            (Flavor::Elasticsearch, _) => engine.to_bits() == expected.to_bits(),
            (Flavor::OpenSearch, _) => (engine as f32).to_bits() == (expected as f32).to_bits(),
        }
    }
}

/// Crafted query vectors: values with full 24-bit mantissas and mixed signs and magnitudes, so that
/// products round and the accumulation order shows in the last bit.
pub fn probe_queries(dims: usize) -> Vec<Vec<f32>> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..PROBE_QUERIES)
        .map(|q| {
            (0..dims)
                .map(|_| {
                    let unit = (next() >> 40) as f32 / (1u64 << 24) as f32; // [0, 1), 24 bits
                    let sign = if next() & 1 == 0 { 1.0 } else { -1.0 };
                    // Spread magnitudes over a few binades (more so for later queries).
                    let scale = [1.0f32, 3.7, 0.093][q % 3] * (1 + (next() % 4) as i32) as f32;
                    sign * (0.05 + unit) * scale
                })
                .collect()
        })
        .collect()
}

/// One probed value: engine answer per probe for (query `q`, item).
struct Observation {
    query: usize,
    item: ItemIdx,
    probe: Probe,
    engine: f64,
}

/// Probes the engine behind `client` (whose `index` was loaded from `store`) and returns the variant
/// that reproduces it.
pub fn calibrate(client: &EngineClient, store: &Store, index: &str) -> Result<ArithmeticProfile, EngineError> {
    let flavor = client.info().flavor;
    let field = store.schema().vector_field().name.clone();
    let dims = store.dims();
    let queries = probe_queries(dims);
    let n_items = store.num_items().min(PROBE_ITEMS);
    let ords: Vec<u32> = (0..n_items as u32).collect();
    let probes = Probe::for_flavor(flavor);
    let mut observations = Vec::new();
    for (qi, query) in queries.iter().enumerate() {
        let wide: Vec<f64> = query.iter().map(|&x| f64::from(x)).collect();
        let mut script_fields = serde_json::Map::new();
        for &probe in probes {
            script_fields.insert(
                probe.name().into(),
                json!({"script": {"lang": "painless", "source": probe.script(flavor, &field), "params": {"q": wide}}}),
            );
        }
        let body = json!({
            "size": n_items,
            "_source": false,
            "query": {"terms": {ORD_FIELD: ords}},
            "docvalue_fields": [ORD_FIELD],
            "script_fields": script_fields,
        });
        let path = format!("/{index}/_search");
        let reply = client.send("calibration probe", Method::Post, &path, Payload::Json(&body))?;
        if !reply.is_success() {
            return Err(classify(client.url(), index, "calibration probe", reply.status, &reply.body));
        }
        let hits = reply.body["hits"]["hits"].as_array().cloned().unwrap_or_default();
        if hits.len() != n_items {
            return Err(calibration_error(format!("the probe search returned {} of {n_items} items", hits.len())));
        }
        for hit in &hits {
            let ord = hit["fields"][ORD_FIELD][0]
                .as_u64()
                .filter(|&o| (o as usize) < store.num_items())
                .ok_or_else(|| calibration_error(format!("a probe hit without a valid ord: {hit}")))?;
            for &probe in probes {
                let engine = hit["fields"][probe.name()][0]
                    .as_f64()
                    .ok_or_else(|| calibration_error(format!("probe {} returned no number: {hit}", probe.name())))?;
                observations.push(Observation { query: qi, item: ItemIdx(ord as u32), probe, engine });
            }
        }
    }
    let matches = |arith: VectorArithmetic| {
        observations.iter().all(|o| {
            let expected = o.probe.expected(flavor, arith, &queries[o.query], store.vector(o.item));
            o.probe.same(flavor, o.engine, expected)
        })
    };
    let found: Vec<VectorArithmetic> = VectorArithmetic::candidates().into_iter().filter(|&c| matches(c)).collect();
    let Some((&first, rest)) = found.split_first() else {
        let first = &observations[0];
        let default =
            first.probe.expected(flavor, VectorArithmetic::default(), &queries[first.query], store.vector(first.item));
        return Err(calibration_error(format!(
            "no known Lucene vector implementation reproduces the engine: e.g. {} of item {} is {:e} on the engine, \
             {:e} in {}; local vector scores would not be the engine's, so the comparison stops here",
            first.probe.name(),
            store.item_id(first.item),
            first.engine,
            default,
            VectorArithmetic::default()
        )));
    };
    Ok(ArithmeticProfile {
        arithmetic: first,
        source: ArithmeticSource::Probed,
        equivalent: rest.to_vec(),
        probes: observations.len(),
        engine: client.info().to_string(),
    })
}

fn calibration_error(detail: String) -> EngineError {
    EngineError::Calibration(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_queries_are_deterministic_and_full_precision() {
        let a = probe_queries(32);
        assert_eq!(a, probe_queries(32));
        assert_eq!(a.len(), PROBE_QUERIES);
        // Most values use the low mantissa bits (products then round).
        let odd = a[0].iter().filter(|x| x.to_bits() & 1 == 1).count();
        assert!(odd >= 8, "{odd}");
    }

    #[test]
    fn the_probes_separate_scalar_from_fma_at_32_dims() {
        // 64 random docs × 3 queries: without separation calibration could not choose.
        let queries = probe_queries(32);
        let docs = probe_queries(32 * 22);
        let mut differ = 0;
        for q in &queries {
            for d in docs.iter().flat_map(|d| d.chunks_exact(32)) {
                let s = vectors::dot_with(VectorArithmetic::Scalar, q, d);
                let f = vectors::dot_with(VectorArithmetic::ScalarFma, q, d);
                differ += usize::from(s.to_bits() != f.to_bits());
            }
        }
        assert!(differ > 10, "{differ}");
    }
}
