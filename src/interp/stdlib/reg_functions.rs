//! Registrations for the score-context functions: ES's `saturation`, `sigmoid`,
//! `decayNumeric*` and `decayDate*` (class bindings), the refused `decayGeo*`/`randomScore`, and the
//! vector functions of both dialects (ES 8: class bindings over the field name; OpenSearch k-NN:
//! static functions over the `doc['f']` handle).

use super::args::{any_at, f64_at, str_at};
use super::reg_doc::{doc_vector, handle_name};
use super::score::{self, DecayDate, DecayNumeric, DecayShape};
use super::time::{self, TimeTextError};
use super::vectors::{self, EsIndexedFn, EsQueryVector, EsVectorLayout, VectorArithmetic};
use crate::interp::runtime::error::RuntimeError;
use crate::interp::runtime::types::{Dialect, ScriptContext, Ty};
use crate::interp::runtime::value::Value;
use crate::interp::stdlib::registry::{
    BindingCtor, CallCtx, FunctionBinding, FunctionImp, FunctionSig, Registry, StaticImp,
};

fn function(
    reg: &mut Registry,
    name: &'static str,
    params: Vec<Ty>,
    ret: Ty,
    dialect: Option<Dialect>,
    imp: FunctionImp,
) {
    reg.add_function(FunctionSig { name, params, ret, dialect, contexts: vec![ScriptContext::Score], imp });
}

const D: Ty = Ty::DOUBLE;

struct Decay(DecayNumeric);

impl FunctionBinding for Decay {
    fn call(&self, _ctx: &CallCtx<'_>, rest: &[Value]) -> Result<Value, RuntimeError> {
        Ok(Value::Double(self.0.eval(f64_at(rest, 0)?)))
    }
}

fn decay_ctor(shape: DecayShape, a: &[Value]) -> Result<Box<dyn FunctionBinding>, RuntimeError> {
    Ok(Box::new(Decay(DecayNumeric::new(shape, f64_at(a, 0)?, f64_at(a, 1)?, f64_at(a, 2)?, f64_at(a, 3)?))))
}

struct DateDecay(DecayDate);

impl FunctionBinding for DateDecay {
    fn call(&self, _ctx: &CallCtx<'_>, rest: &[Value]) -> Result<Value, RuntimeError> {
        match any_at(rest, 0)? {
            Value::ZonedDateTime(i, _) => {
                let millis =
                    i.to_epoch_milli().ok_or_else(|| RuntimeError::new("arithmetic_exception", "long overflow"))?;
                Ok(Value::Double(self.0.eval(millis)))
            }
            Value::Null => Err(super::args::null_argument("a decayDate* function")),
            other => Err(RuntimeError::unsupported_locally(format!(
                "a decayDate* function on a {} (it takes a date doc value) is unsupported in the local subset",
                other.type_name()
            ))),
        }
    }
}

/// ES's constructor: the origin in the default date format, then scale and offset as time values
/// (`TimeValue`, named `DecayDateLinear.scale` etc. in its errors).
fn date_decay_ctor(shape: DecayShape, class: &str, a: &[Value]) -> Result<Box<dyn FunctionBinding>, RuntimeError> {
    let read = |r: Result<i64, TimeTextError>| {
        r.map_err(|e| match e {
            TimeTextError::Invalid(m) => RuntimeError::illegal_argument(m),
            TimeTextError::Unsupported(m) => RuntimeError::unsupported_locally(m),
        })
    };
    let origin = read(time::parse_default_date_millis(str_at(a, 0, class)?))?;
    let scale = read(time::parse_time_value_millis(str_at(a, 1, class)?, &format!("{class}.scale")))?;
    let offset = read(time::parse_time_value_millis(str_at(a, 2, class)?, &format!("{class}.offset")))?;
    Ok(Box::new(DateDecay(DecayDate::new(shape, origin, scale, offset, f64_at(a, 3)?))))
}

/// `Number.floatValue()` of each element of a query-vector list (ES and k-NN both do this).
fn query_floats(v: &Value, function: &str) -> Result<Vec<f32>, RuntimeError> {
    let items = match v {
        Value::List(l) => l.borrow().clone(),
        Value::Array(a) => a.borrow().items.clone(),
        Value::Null => return Err(super::args::null_argument(function)),
        other => {
            return Err(RuntimeError::unsupported_locally(format!(
                "{function} with a {} query vector is unsupported in the local subset (expected a list of numbers)",
                other.type_name()
            )));
        }
    };
    items
        .iter()
        .map(|x| match x {
            Value::Float(f) => Ok(*f),
            Value::Double(d) => Ok(*d as f32),
            v if v.is_number() => Ok(v.as_i64().unwrap_or(0) as f32),
            other => Err(RuntimeError::unsupported_locally(format!(
                "{function}: a {} element in the query vector (Java throws a ClassCastException) is unsupported in the local subset",
                other.type_name()
            ))),
        })
        .collect()
}

#[derive(Clone, Copy)]
enum EsVectorFn {
    Cosine,
    Dot,
    L1,
    L2,
}

/// An ES 8 vector function bound to its query vector and field (ES builds it on the first call).
struct EsVectorBinding {
    function: EsVectorFn,
    query: EsQueryVector,
    field: std::rc::Rc<str>,
    /// The engine's Lucene arithmetic, from the constructing call's context.
    arith: VectorArithmetic,
}

impl FunctionBinding for EsVectorBinding {
    fn call_batch(&self, store: &crate::store::Store, items: &[crate::store::ItemIdx], out: &mut [f64]) -> bool {
        self.batch(store, items, out)
    }

    fn call(&self, ctx: &CallCtx<'_>, _rest: &[Value]) -> Result<Value, RuntimeError> {
        // The constructor checked that the field is the store's vector field, so the row is read
        // directly (no per-document name check).
        let doc = match ctx.doc() {
            Some(d) => d.store.vector(d.item),
            None => doc_vector(ctx, &self.field)?,
        };
        let layout = EsVectorLayout::Indexed;
        if self.arith != VectorArithmetic::Scalar {
            let indexed = match self.function {
                EsVectorFn::Cosine => EsIndexedFn::Cosine,
                EsVectorFn::Dot => EsIndexedFn::Dot,
                EsVectorFn::L2 => EsIndexedFn::L2,
                EsVectorFn::L1 => return Ok(Value::Double(vectors::es_l1_norm(&self.query, doc, layout))),
            };
            if let Some(d) = ctx.doc() {
                // The store's precomputed magnitude is `es_magnitude` of this very row.
                let mag = d.store.vector_magnitudes()[d.item.0 as usize];
                return Ok(Value::Double(vectors::es_indexed_with_magnitude(
                    self.arith,
                    indexed,
                    &self.query,
                    doc,
                    mag,
                )));
            }
            return Ok(Value::Double(vectors::es_indexed_with(self.arith, indexed, &self.query, doc)));
        }
        if let (EsVectorFn::Cosine, Some(d)) = (self.function, ctx.doc()) {
            // The store's precomputed magnitude is `es_magnitude` of this very row.
            let mag = d.store.vector_magnitudes()[d.item.0 as usize];
            return Ok(Value::Double(vectors::es_cosine_indexed_with_magnitude(&self.query, doc, mag)));
        }
        Ok(Value::Double(match self.function {
            EsVectorFn::Cosine => vectors::es_cosine_similarity(&self.query, doc, layout),
            EsVectorFn::Dot => vectors::es_dot_product(&self.query, doc, layout),
            EsVectorFn::L1 => vectors::es_l1_norm(&self.query, doc, layout),
            EsVectorFn::L2 => vectors::es_l2_norm(&self.query, doc, layout),
        }))
    }
}

impl EsVectorBinding {
    fn batch(&self, store: &crate::store::Store, items: &[crate::store::ItemIdx], out: &mut [f64]) -> bool {
        if self.arith != VectorArithmetic::Scalar {
            let indexed = match self.function {
                EsVectorFn::Cosine => EsIndexedFn::Cosine,
                EsVectorFn::Dot => EsIndexedFn::Dot,
                EsVectorFn::L1 | EsVectorFn::L2 => return false,
            };
            return vectors::es_batch_with(self.arith, indexed, &self.query, store, items, out);
        }
        match self.function {
            EsVectorFn::Cosine => vectors::es_cosine_indexed_batch(&self.query, store, items, out),
            EsVectorFn::Dot => vectors::es_dot_batch(&self.query.values, store, items, out),
            EsVectorFn::L1 | EsVectorFn::L2 => return false,
        }
        true
    }
}

fn es_vector_ctor(
    function: EsVectorFn,
    name: &str,
    ctx: &CallCtx<'_>,
    a: &[Value],
) -> Result<Box<dyn FunctionBinding>, RuntimeError> {
    let field: std::rc::Rc<str> = str_at(a, 1, name)?.into();
    let floats = query_floats(any_at(a, 0)?, name)?;
    let dims = doc_vector(ctx, &field)?.len();
    let query = match function {
        EsVectorFn::Cosine => EsQueryVector::normalized(floats, dims)?,
        _ => EsQueryVector::raw(floats, dims)?,
    };
    Ok(Box::new(EsVectorBinding { function, query, field, arith: ctx.vectors() }))
}

pub fn register(reg: &mut Registry) {
    function(
        reg,
        "saturation",
        vec![D, D],
        D,
        None,
        FunctionImp::Plain(|_, a| Ok(Value::Double(score::saturation(f64_at(a, 0)?, f64_at(a, 1)?)))),
    );
    function(
        reg,
        "sigmoid",
        vec![D, D, D],
        D,
        None,
        FunctionImp::Plain(|_, a| Ok(Value::Double(score::sigmoid(f64_at(a, 0)?, f64_at(a, 1)?, f64_at(a, 2)?)))),
    );
    let decays: [(&'static str, BindingCtor); 3] = [
        ("decayNumericLinear", |_, a| decay_ctor(DecayShape::Linear, a)),
        ("decayNumericExp", |_, a| decay_ctor(DecayShape::Exp, a)),
        ("decayNumericGauss", |_, a| decay_ctor(DecayShape::Gauss, a)),
    ];
    for (name, new) in decays {
        function(reg, name, vec![D, D, D, D, D], D, None, FunctionImp::Binding { ctor_args: 4, new });
    }
    let date_decays: [(&'static str, BindingCtor); 3] = [
        ("decayDateLinear", |_, a| date_decay_ctor(DecayShape::Linear, "DecayDateLinear", a)),
        ("decayDateExp", |_, a| date_decay_ctor(DecayShape::Exp, "DecayDateExp", a)),
        ("decayDateGauss", |_, a| date_decay_ctor(DecayShape::Gauss, "DecayDateGauss", a)),
    ];
    for (name, new) in date_decays {
        let params = vec![Ty::String, Ty::String, Ty::String, D, Ty::ZonedDateTime];
        function(reg, name, params, D, None, FunctionImp::Binding { ctor_args: 4, new });
    }
    // decayGeo*/randomScore are refused by the checker (the store has no geo fields; randomScore
    // depends on Lucene doc ids), see `score::unsupported_score_function`.

    let es = Some(Dialect::Elasticsearch);
    let es_fns: [(&'static str, BindingCtor); 4] = [
        ("cosineSimilarity", |ctx, a| es_vector_ctor(EsVectorFn::Cosine, "cosineSimilarity", ctx, a)),
        ("dotProduct", |ctx, a| es_vector_ctor(EsVectorFn::Dot, "dotProduct", ctx, a)),
        ("l1norm", |ctx, a| es_vector_ctor(EsVectorFn::L1, "l1norm", ctx, a)),
        ("l2norm", |ctx, a| es_vector_ctor(EsVectorFn::L2, "l2norm", ctx, a)),
    ];
    for (name, new) in es_fns {
        function(reg, name, vec![Ty::Object, Ty::String], D, es, FunctionImp::Binding { ctor_args: 2, new });
    }

    let os = Some(Dialect::OpenSearch);
    let f = Ty::FLOAT;
    let knn: [(&'static str, StaticImp); 5] = [
        ("cosineSimilarity", |ctx, a| knn(ctx, a, "cosineSimilarity", vectors::knn_cosine_similarity)),
        ("l2Squared", |ctx, a| knn(ctx, a, "l2Squared", vectors::knn_l2_squared)),
        ("l1Norm", |ctx, a| knn(ctx, a, "l1Norm", vectors::knn_l1_norm)),
        ("lInfNorm", |ctx, a| knn(ctx, a, "lInfNorm", vectors::knn_linf_norm)),
        ("innerProduct", |ctx, a| knn(ctx, a, "innerProduct", vectors::knn_inner_product)),
    ];
    for (name, imp) in knn {
        function(reg, name, vec![Ty::List, Ty::DocVector], f.clone(), os, FunctionImp::Plain(imp));
    }
    function(
        reg,
        "cosineSimilarity",
        vec![Ty::List, Ty::DocVector, Ty::Number],
        f,
        os,
        FunctionImp::Plain(|ctx, a| {
            let query = query_floats(any_at(a, 0)?, "cosineSimilarity")?;
            let field = handle_name(any_at(a, 1)?)?;
            let norm = match any_at(a, 2)? {
                Value::Null => return Err(super::args::null_argument("cosineSimilarity")),
                v => v.as_f64().map(|x| if let Value::Float(f) = v { *f } else { x as f32 }).unwrap_or(0.0),
            };
            if query.iter().all(|&x| x == 0.0) {
                return Err(RuntimeError::illegal_argument(
                    "zero vector is not supported when space type is [cosinesimil]",
                ));
            }
            let doc = doc_vector(ctx, &field)?;
            // cosinesimilOptimized is a plain Java loop (no VectorUtil): the same in every variant.
            Ok(Value::Float(vectors::knn_cosine_similarity_with_norm(&query, doc, norm)?))
        }),
    );
}

/// A k-NN scoring kernel over (arithmetic, query, document).
type KnnFn = fn(VectorArithmetic, &[f32], &[f32]) -> Result<f32, RuntimeError>;

/// A k-NN scoring function: query `toFloat`ed on every call, as `KNNScoringUtil` does.
fn knn(ctx: &CallCtx<'_>, a: &[Value], name: &str, f: KnnFn) -> Result<Value, RuntimeError> {
    let query = query_floats(any_at(a, 0)?, name)?;
    let field = handle_name(any_at(a, 1)?)?;
    let doc = doc_vector(ctx, &field)?;
    Ok(Value::Float(f(ctx.vectors(), &query, doc)?))
}
