//! Registrations for `doc['f']` handles (`ScriptDocValues.Longs/Doubles/Strings`, dense-vector doc
//! values) over the store: the document comes from `CallCtx::doc()`, the field from the handle.
//! Semantics and messages live in `docvalues.rs`; dialect differences (ES `vectorValue`/`magnitude`
//! vs OpenSearch k-NN `value` as `float[]`) are decided by `CallCtx::dialect()`.

use super::args::i32_at;
use super::docvalues::{self, Access};
use super::time::Instant;
use super::vectors;
use crate::interp::runtime::error::RuntimeError;
use crate::interp::runtime::types::{Dialect, Ty};
use crate::interp::runtime::value::{DateClass, DocFieldKind, Value};
use crate::interp::stdlib::registry::{CallCtx, DocCtx, MethodImp, MethodSig, Registry};
use crate::store::Column;
use std::rc::Rc;

fn method(reg: &mut Registry, receiver: Ty, name: &'static str, params: Vec<Ty>, ret: Ty, imp: MethodImp) {
    reg.add_method(MethodSig { receiver, name, params, ret, imp });
}

fn doc_of<'a>(ctx: &CallCtx<'a>) -> Result<DocCtx<'a>, RuntimeError> {
    ctx.doc()
        .ok_or_else(|| RuntimeError::unsupported_locally("doc values need a document; this context evaluates none"))
}

fn field_of(recv: &Value) -> Result<&crate::interp::runtime::value::DocFieldRef, RuntimeError> {
    match recv {
        Value::DocField(f) if f.kind == DocFieldKind::Unmapped => Err(docvalues::unmapped_field(&f.name)),
        Value::DocField(f) => Ok(f),
        other => Err(RuntimeError::unsupported_locally(format!(
            "internal: a doc-values method called on a {}",
            other.type_name()
        ))),
    }
}

/// The field's values for the current document, as `Value`s (Long, Double or String).
fn values(ctx: &CallCtx<'_>, recv: &Value) -> Result<Vec<Value>, RuntimeError> {
    let f = field_of(recv)?;
    let doc = doc_of(ctx)?;
    Ok(match doc.store.column(&f.name) {
        Some(Column::Long(c)) => c.values(doc.item).iter().map(|&v| Value::Long(v)).collect(),
        Some(Column::Double(c)) => c.values(doc.item).iter().map(|&v| Value::Double(v)).collect(),
        Some(Column::Keyword(c)) => c.terms(doc.item).map(Value::str).collect(),
        Some(Column::Date(c)) => {
            let class = DateClass::of(ctx.dialect());
            c.values(doc.item).iter().map(|&ms| Value::ZonedDateTime(Instant::of_epoch_milli(ms), class)).collect()
        }
        None => return Err(docvalues::unmapped_field(&f.name)),
    })
}

fn len(ctx: &CallCtx<'_>, recv: &Value) -> Result<usize, RuntimeError> {
    let f = field_of(recv)?;
    if f.kind == DocFieldKind::Vector {
        return Ok(1);
    }
    let doc = doc_of(ctx)?;
    doc.store.column(&f.name).map(|c| c.len(doc.item)).ok_or_else(|| docvalues::unmapped_field(&f.name))
}

/// `get(i)` / `getValue()` without building the whole list.
fn value_at(ctx: &CallCtx<'_>, recv: &Value, index: i32, access: Access) -> Result<Value, RuntimeError> {
    let f = field_of(recv)?;
    if f.kind == DocFieldKind::Vector {
        return Err(docvalues::vector_value_access());
    }
    let doc = doc_of(ctx)?;
    match doc.store.column(&f.name) {
        Some(Column::Long(c)) => docvalues::long_at(c.values(doc.item), index, access).map(Value::Long),
        Some(Column::Double(c)) => docvalues::double_at(c.values(doc.item), index, access).map(Value::Double),
        Some(Column::Keyword(c)) => {
            docvalues::keyword_at(c.values(doc.item), |code| c.term(code), index, access).map(Value::str)
        }
        Some(Column::Date(c)) => docvalues::date_at(c.values(doc.item), index, access)
            .map(|ms| Value::ZonedDateTime(Instant::of_epoch_milli(ms), DateClass::of(ctx.dialect()))),
        None => Err(docvalues::unmapped_field(&f.name)),
    }
}

/// The current document's item vector for a vector field handle or field name.
pub(crate) fn doc_vector<'a>(ctx: &CallCtx<'a>, field: &str) -> Result<&'a [f32], RuntimeError> {
    let doc = doc_of(ctx)?;
    if doc.store.schema().field(field).is_none() {
        // What ES raises when the vector function looks the field up (LeafDocLookup).
        return Err(docvalues::unmapped_field(field));
    }
    if doc.store.schema().vector_field().name != field {
        return Err(RuntimeError::unsupported_locally(format!(
            "[{field}] is not the store's vector field [{}]",
            doc.store.schema().vector_field().name
        )));
    }
    Ok(doc.store.vector(doc.item))
}

pub fn register(reg: &mut Registry) {
    for ty in [Ty::DocLongs, Ty::DocDoubles, Ty::DocStrings, Ty::DocVector, Ty::DocDates] {
        method(reg, ty.clone(), "size", vec![], Ty::INT, |ctx, r, _| Ok(Value::Int(len(ctx, r)? as i32)));
        method(reg, ty.clone(), "isEmpty", vec![], Ty::BOOLEAN, |ctx, r, _| Ok(Value::Bool(len(ctx, r)? == 0)));
        method(reg, ty.clone(), "getLength", vec![], Ty::INT, |ctx, r, _| Ok(Value::Int(len(ctx, r)? as i32)));
        method(reg, ty.clone(), "add", vec![Ty::Def], Ty::BOOLEAN, |_, _, _| Err(docvalues::unmodifiable()));
        method(reg, ty.clone(), "add", vec![Ty::INT, Ty::Def], Ty::Void, |_, _, _| Err(docvalues::unmodifiable()));
        method(reg, ty.clone(), "set", vec![Ty::INT, Ty::Def], Ty::Def, |_, _, _| Err(docvalues::unmodifiable()));
        // AbstractList.remove(int) throws UnsupportedOperationException without a message.
        method(reg, ty.clone(), "remove", vec![Ty::INT], Ty::Def, |_, _, _| {
            Err(RuntimeError::unsupported_operation(""))
        });
    }
    for (ty, ret) in [
        (Ty::DocLongs, Ty::LONG),
        (Ty::DocDoubles, Ty::DOUBLE),
        (Ty::DocStrings, Ty::String),
        (Ty::DocDates, Ty::ZonedDateTime),
    ] {
        method(reg, ty.clone(), "get", vec![Ty::INT], ret_boxed(&ret), |ctx, r, a| {
            value_at(ctx, r, i32_at(a, 0)?, Access::Get)
        });
        method(reg, ty.clone(), "getValue", vec![], ret, |ctx, r, _| value_at(ctx, r, 0, Access::Value));
        method(reg, ty.clone(), "getValues", vec![], Ty::List, |ctx, r, _| Ok(Value::new_list(values(ctx, r)?)));
        method(reg, ty.clone(), "contains", vec![Ty::Def], Ty::BOOLEAN, |ctx, r, a| {
            Ok(Value::Bool(values(ctx, r)?.iter().any(|v| v.java_equals(&a[0]))))
        });
        method(reg, ty, "toString", vec![], Ty::String, |ctx, r, _| {
            Ok(Value::str(&crate::interp::runtime::ops::to_java_string(&Value::new_list(values(ctx, r)?))?))
        });
    }
    register_vector_doc_values(reg);
}

fn ret_boxed(ty: &Ty) -> Ty {
    match ty {
        Ty::Prim(p) => Ty::Boxed(*p),
        other => other.clone(),
    }
}

fn register_vector_doc_values(reg: &mut Registry) {
    let v = Ty::DocVector;
    method(reg, v.clone(), "get", vec![Ty::INT], Ty::Def, |ctx, r, _| {
        field_of(r)?;
        match ctx.dialect() {
            Dialect::Elasticsearch => Err(docvalues::vector_value_access()),
            Dialect::OpenSearch => Err(RuntimeError::unsupported_locally(
                "get(i) on an OpenSearch knn_vector field is unsupported in the local subset",
            )),
        }
    });
    // ES: `.value` is refused with UnsupportedOperationException; k-NN: `.value` is the float[].
    method(reg, v.clone(), "getValue", vec![], Ty::Def, |ctx, r, _| match ctx.dialect() {
        Dialect::Elasticsearch => Err(docvalues::vector_value_access()),
        Dialect::OpenSearch => float_array(ctx, r),
    });
    method(reg, v.clone(), "getVectorValue", vec![], Ty::Array(Box::new(Ty::FLOAT)), |ctx, r, _| match ctx.dialect() {
        Dialect::Elasticsearch => float_array(ctx, r),
        Dialect::OpenSearch => Err(RuntimeError::unsupported_locally(
            "vectorValue is Elasticsearch's accessor; OpenSearch k-NN doc values use .value",
        )),
    });
    method(reg, v, "getMagnitude", vec![], Ty::FLOAT, |ctx, r, _| {
        let f = field_of(r)?;
        Ok(Value::Float(vectors::es_magnitude(doc_vector(ctx, &f.name)?)))
    });
}

/// A fresh `float[]` copy of the document vector (ES copies too: `KnnDenseVector.getVector`).
fn float_array(ctx: &CallCtx<'_>, r: &Value) -> Result<Value, RuntimeError> {
    let f = field_of(r)?;
    let v = doc_vector(ctx, &f.name)?;
    Ok(Value::new_array(Ty::FLOAT, v.iter().map(|&x| Value::Float(x)).collect()))
}

/// The name of a `doc['f']` handle passed as an argument (k-NN functions take the handle).
pub(crate) fn handle_name(v: &Value) -> Result<Rc<str>, RuntimeError> {
    match v {
        Value::DocField(f) if f.kind == DocFieldKind::Unmapped => Err(docvalues::unmapped_field(&f.name)),
        Value::DocField(f) => Ok(f.name.clone()),
        Value::Null => Err(super::args::null_argument("a k-NN vector function")),
        other => Err(RuntimeError::unsupported_locally(format!(
            "internal: expected a doc['field'] handle, got a {}",
            other.type_name()
        ))),
    }
}
