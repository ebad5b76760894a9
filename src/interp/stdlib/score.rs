//! Elasticsearch's predefined score functions (`ScoreScriptUtils`, whitelist
//! `org.elasticsearch.script.score.txt`), all double math as ES writes them.
//!
//! The decay functions are Painless *class bindings*: ES builds the object on the first call in
//! a script instance (one per segment) and reuses it, so `origin/scale/offset/decay` are read
//! once. [`DecayNumeric`] is that object; build it once per (script, user) from constants/params.

use super::math;
use crate::interp::runtime::error::RuntimeError;

/// `saturation(value, k)` = value / (k + value).
pub fn saturation(value: f64, k: f64) -> f64 {
    value / (k + value)
}

/// `sigmoid(value, k, a)` = value^a / (k^a + value^a).
pub fn sigmoid(value: f64, k: f64, a: f64) -> f64 {
    math::pow(value, a) / (math::pow(k, a) + math::pow(value, a))
}

/// The shape of a numeric decay function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecayShape {
    Linear,
    Exp,
    Gauss,
}

impl DecayShape {
    /// The constant ES's decay functions compute once from scale and decay (the same for every field type).
    fn scaling(self, scale: f64, decay: f64) -> f64 {
        match self {
            DecayShape::Linear => scale / (1.0 - decay),
            DecayShape::Exp => math::log(decay) / scale,
            DecayShape::Gauss => 0.5 * math::pow(scale, 2.0) / math::log(decay),
        }
    }

    /// The score at `distance` (already past the offset, non-negative) from the origin.
    fn at(self, scaling: f64, distance: f64) -> f64 {
        match self {
            DecayShape::Linear => math::max(0.0, (scaling - distance) / scaling),
            DecayShape::Exp => math::exp(scaling * distance),
            DecayShape::Gauss => math::exp(0.5 * math::pow(distance, 2.0) / scaling),
        }
    }
}

/// `decayNumericLinear/Exp/Gauss(origin, scale, offset, decay, docValue)` with its constructor
/// arguments folded in, as ES's binding does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecayNumeric {
    shape: DecayShape,
    origin: f64,
    offset: f64,
    scaling: f64,
}

impl DecayNumeric {
    pub fn new(shape: DecayShape, origin: f64, scale: f64, offset: f64, decay: f64) -> Self {
        DecayNumeric { shape, origin, offset, scaling: shape.scaling(scale, decay) }
    }

    pub fn eval(&self, doc_value: f64) -> f64 {
        self.shape.at(self.scaling, math::max(0.0, (doc_value - self.origin).abs() - self.offset))
    }
}

/// `decayDateLinear/Exp/Gauss(origin, scale, offset, decay, docValue)` with its constructor arguments
/// folded in: `origin`, `scale` and `offset` already read as epoch milliseconds (`data::dates` parses
/// them as ES does). The distance is Java long arithmetic (`diff - offset`, wrapping), then double.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecayDate {
    shape: DecayShape,
    origin: i64,
    offset: i64,
    scaling: f64,
}

impl DecayDate {
    pub fn new(shape: DecayShape, origin: i64, scale: i64, offset: i64, decay: f64) -> Self {
        DecayDate { shape, origin, offset, scaling: shape.scaling(scale as f64, decay) }
    }

    /// The score of a document whose date is `doc_millis` (epoch milliseconds).
    pub fn eval(&self, doc_millis: i64) -> f64 {
        let diff = if doc_millis >= self.origin {
            doc_millis.wrapping_sub(self.origin)
        } else {
            self.origin.wrapping_sub(doc_millis)
        };
        self.shape.at(self.scaling, diff.wrapping_sub(self.offset).max(0) as f64)
    }
}

/// `decayGeo*` and `randomScore`: refused locally, with the reason.
pub fn unsupported_score_function(name: &str) -> RuntimeError {
    let reason = match name {
        "randomScore" => {
            "randomScore depends on Lucene doc ids, the index name and the shard id, so it is not reproducible locally"
        }
        n if n.starts_with("decayGeo") => {
            "the store has no geo_point fields, so decayGeo* functions are unsupported in the local subset"
        }
        _ => "this score function is unsupported in the local subset",
    };
    RuntimeError::unsupported_locally(format!("{name}: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_at_scale_equals_decay() {
        for shape in [DecayShape::Linear, DecayShape::Exp, DecayShape::Gauss] {
            let f = DecayNumeric::new(shape, 10.0, 5.0, 1.0, 0.5);
            assert!((f.eval(16.0) - 0.5).abs() < 1e-12, "{shape:?}");
            assert_eq!(f.eval(10.5), 1.0);
        }
    }

    #[test]
    fn date_decay_reads_milliseconds_as_elasticsearch_does() {
        let day = 86_400_000;
        let origin = 1_650_758_400_000; // 2022-04-24
        for shape in [DecayShape::Linear, DecayShape::Exp, DecayShape::Gauss] {
            let f = DecayDate::new(shape, origin, 6 * day, day, 0.25);
            // At scale + offset from the origin, on either side, the score is the decay.
            assert!((f.eval(origin + 7 * day) - 0.25).abs() < 1e-12, "{shape:?}");
            assert!((f.eval(origin - 7 * day) - 0.25).abs() < 1e-12, "{shape:?}");
            assert_eq!(f.eval(origin + day), 1.0);
        }
        // The linear shape reaches 0 at scale / (1 - decay) past the offset and stays there.
        assert_eq!(DecayDate::new(DecayShape::Linear, origin, 6 * day, day, 0.25).eval(origin + 9 * day), 0.0);
    }

    #[test]
    fn saturation_and_sigmoid() {
        assert_eq!(saturation(3.0, 1.0), 0.75);
        assert_eq!(sigmoid(2.0, 2.0, 3.0), 0.5);
    }
}
