//! Member and element access dispatched on runtime classes: brace access with negative indexes,
//! dot shortcuts, `def` method calls through the registry, for-each iteration, conversions.

use super::locate::Point;
use super::{At, EResult, Flow, Frame, INLINE_ARGS, Interp, fail_at};
use crate::interp::ir::{Conv, Expr, Slot, Stmt};
use crate::interp::runtime::error::{RuntimeError, es_type};
use crate::interp::runtime::ops::{self, class_cast, convert};
use crate::interp::runtime::types::Ty;
use crate::interp::runtime::value::{MapViewKind, Value};
use crate::interp::stdlib::registry::{CallCtx, registry, with_getter_name};
use std::rc::Rc;

/// Resolves `doc['name']` for the document being evaluated.
pub(crate) trait DocResolver {
    fn field(&self, name: &str) -> Result<Value, RuntimeError>;
    fn contains(&self, name: &str) -> bool;
}

/// No document (test context): `doc` does not exist there, so this is never reached from a
/// checked script; it answers like an empty mapping.
pub(crate) struct NoDoc;

impl DocResolver for NoDoc {
    fn field(&self, name: &str) -> Result<Value, RuntimeError> {
        Err(RuntimeError::illegal_argument(format!("No field found for [{name}] in mapping")))
    }
    fn contains(&self, _name: &str) -> bool {
        false
    }
}

/// A `def` call on null: ES's call site (`DefBootstrap`) reads the receiver's class first.
pub(crate) fn null_def_call() -> RuntimeError {
    RuntimeError::null_pointer("Cannot invoke \"Object.getClass()\" because \"callArgs[0]\" is null")
}

/// The method a `def` call resolves to by the receiver's runtime class, or the local refusal.
pub(crate) fn dynamic_method(
    ty: &Ty,
    name: &str,
    arity: usize,
) -> Result<&'static crate::interp::stdlib::registry::MethodSig, RuntimeError> {
    registry().lookup_method(ty, name, arity).ok_or_else(|| {
        RuntimeError::unsupported_locally(format!(
            "dynamic method [{}, {name}/{arity}] is not in the local subset",
            ty.painless_name()
        ))
    })
}

pub(crate) fn null_receiver(member: &str) -> RuntimeError {
    RuntimeError::null_pointer(format!("cannot access method/field [{member}] from a null def reference"))
}

pub(crate) fn new_array(elem: &Ty, sizes: &[usize], total_dims: u8, ctx: &CallCtx<'_>) -> Result<Value, RuntimeError> {
    let limits = ctx.limits();
    let n = sizes.first().copied().unwrap_or(0);
    if n > limits.max_collection_len {
        return Err(RuntimeError::unsupported_locally(format!(
            "array of {n} elements exceeds the local limit of {} elements",
            limits.max_collection_len
        )));
    }
    // Charged before allocating: `new int[100000][100000]` stops at the budget, not at 16 GB.
    ctx.charge_elements(n)?;
    let inner_ty = elem.clone().array_of(total_dims - 1);
    let items = if sizes.len() > 1 {
        (0..n).map(|_| new_array(elem, &sizes[1..], total_dims - 1, ctx)).collect::<Result<Vec<_>, _>>()?
    } else {
        vec![super::default_value(&inner_ty); n]
    };
    Ok(Value::new_array(inner_ty, items))
}

/// Painless normalises negative indexes on lists and arrays (`x[-1]` is the last element).
fn normalize(index: &Value, len: usize) -> Result<i64, RuntimeError> {
    let i = match index {
        Value::Byte(_) | Value::Short(_) | Value::Char(_) | Value::Int(_) => index.as_i64().unwrap_or(0),
        Value::Null => return Err(RuntimeError::null_pointer("Cannot use a null index")),
        other => return Err(class_cast(other, &Ty::Boxed(crate::interp::runtime::types::Prim::Int))),
    };
    Ok(if i < 0 { i + len as i64 } else { i })
}

fn out_of_bounds(es: &'static str, i: i64, len: usize) -> RuntimeError {
    RuntimeError::new(es, format!("Index {i} out of bounds for length {len}"))
}

impl Interp<'_> {
    pub(crate) fn index_get(&self, recv: &Value, index: &Value) -> Result<Value, RuntimeError> {
        match recv {
            Value::Array(a) => {
                let a = a.borrow();
                let i = normalize(index, a.items.len())?;
                a.items
                    .get(usize::try_from(i).unwrap_or(usize::MAX))
                    .cloned()
                    .ok_or_else(|| out_of_bounds(es_type::ARRAY_INDEX_OUT_OF_BOUNDS, i, a.items.len()))
            }
            Value::List(l) => {
                let l = l.borrow();
                let i = normalize(index, l.len())?;
                l.get(usize::try_from(i).unwrap_or(usize::MAX))
                    .cloned()
                    .ok_or_else(|| out_of_bounds(es_type::INDEX_OUT_OF_BOUNDS, i, l.len()))
            }
            Value::Map(m) => Ok(m.borrow().get(index).cloned().unwrap_or(Value::Null)),
            Value::Doc => match index {
                Value::Str(s) => self.doc.field(s),
                other => Err(class_cast(other, &Ty::String)),
            },
            Value::DocField(_) => self.dyn_call(recv, "get", std::slice::from_ref(index)),
            Value::Null => Err(RuntimeError::null_pointer("Cannot read an element of a null reference")),
            other => Err(RuntimeError::illegal_argument(format!(
                "Attempting to address a non-array-like type [{}] as an array.",
                ops::java_class(other)
            ))),
        }
    }

    pub(crate) fn index_set(&self, recv: &Value, index: &Value, v: Value) -> Result<(), RuntimeError> {
        match recv {
            Value::Array(a) => {
                let mut a = a.borrow_mut();
                let len = a.items.len();
                let i = normalize(index, len)?;
                let v = ops::def_implicit(v, &a.elem.clone())?;
                match a.items.get_mut(usize::try_from(i).unwrap_or(usize::MAX)) {
                    Some(slot) => {
                        *slot = v;
                        Ok(())
                    }
                    None => Err(out_of_bounds(es_type::ARRAY_INDEX_OUT_OF_BOUNDS, i, len)),
                }
            }
            Value::List(l) => {
                let mut l = l.borrow_mut();
                let len = l.len();
                let i = normalize(index, len)?;
                match l.get_mut(usize::try_from(i).unwrap_or(usize::MAX)) {
                    Some(slot) => {
                        *slot = v;
                        Ok(())
                    }
                    None => Err(out_of_bounds(es_type::INDEX_OUT_OF_BOUNDS, i, len)),
                }
            }
            Value::Map(m) => {
                let mut m = m.borrow_mut();
                self.ctx.charge_entries(1)?;
                m.put(index.clone(), v);
                self.ctx.check_collection_len(m.len())
            }
            Value::Null => Err(RuntimeError::null_pointer("Cannot store an element into a null reference")),
            other => Err(RuntimeError::illegal_argument(format!(
                "Attempting to address a non-array-like type [{}] as an array.",
                ops::java_class(other)
            ))),
        }
    }

    pub(crate) fn field_get(&self, recv: &Value, name: &str) -> Result<Value, RuntimeError> {
        match recv {
            Value::Null => Err(null_receiver(name)),
            Value::Map(m) => {
                // Painless's `Def.lookupGetter` tries the whitelisted getters first (`m.empty` is
                // `isEmpty()`), and only then reads the key.
                let reg = registry();
                let ty = recv.runtime_ty();
                for prefix in ["get", "is"] {
                    if let Some(getter) = with_getter_name(prefix, name, |g| reg.lookup_method(&ty, g, 0)) {
                        return (getter.imp)(&self.ctx, recv, &[]);
                    }
                }
                Ok(m.borrow().get_str(name).cloned().unwrap_or(Value::Null))
            }
            Value::Doc => self.doc.field(name),
            Value::Array(a) if name == "length" => Ok(Value::Int(a.borrow().items.len() as i32)),
            Value::List(_) if name.parse::<i32>().is_ok() => {
                self.index_get(recv, &Value::Int(name.parse::<i32>().unwrap_or(0)))
            }
            _ => {
                let reg = registry();
                let ty = recv.runtime_ty();
                if let Some(f) = reg.lookup_field(&ty, name) {
                    return (f.imp)(&self.ctx, recv);
                }
                for prefix in ["get", "is"] {
                    if let Some(m) = with_getter_name(prefix, name, |getter| reg.lookup_method(&ty, getter, 0)) {
                        return (m.imp)(&self.ctx, recv, &[]);
                    }
                }
                Err(RuntimeError::unsupported_locally(format!(
                    "dynamic getter [{}, {name}] is not in the local subset",
                    ty.painless_name()
                )))
            }
        }
    }

    pub(crate) fn field_set(&self, recv: &Value, name: &str, v: Value) -> Result<(), RuntimeError> {
        match recv {
            Value::Map(m) => {
                let mut m = m.borrow_mut();
                self.ctx.charge_entries(1)?;
                m.put(Value::str(name), v);
                self.ctx.check_collection_len(m.len())
            }
            Value::List(_) if name.parse::<i32>().is_ok() => {
                self.index_set(recv, &Value::Int(name.parse::<i32>().unwrap_or(0)), v)
            }
            Value::Null => Err(null_receiver(name)),
            other => Err(RuntimeError::unsupported_locally(format!(
                "dynamic setter [{}, {name}] is not in the local subset",
                other.runtime_ty().painless_name()
            ))),
        }
    }

    /// A method call on a `def` receiver, resolved by its runtime class.
    pub(crate) fn dyn_call(&self, recv: &Value, name: &str, args: &[Value]) -> Result<Value, RuntimeError> {
        if let (Value::Doc, "containsKey", [Value::Str(s)]) = (recv, name, args) {
            return Ok(Value::Bool(self.doc.contains(s)));
        }
        let ty = recv.runtime_ty();
        let sig = dynamic_method(&ty, name, args.len())?;
        if args.len() <= INLINE_ARGS {
            let mut converted: [Value; INLINE_ARGS] = Default::default();
            for ((slot, a), p) in converted.iter_mut().zip(args).zip(&sig.params) {
                *slot = ops::def_implicit(a.clone(), p)?;
            }
            return (sig.imp)(&self.ctx, recv, &converted[..args.len()]);
        }
        let mut converted = Vec::with_capacity(args.len());
        for (a, p) in args.iter().zip(&sig.params) {
            converted.push(ops::def_implicit(a.clone(), p)?);
        }
        (sig.imp)(&self.ctx, recv, &converted)
    }

    /// for-each over arrays, lists, sets and map views (not counted by the loop counter).
    pub(crate) fn for_each(
        &mut self,
        frame: &mut Frame,
        slot: Slot,
        conv: Option<&Conv>,
        it: Value,
        body: &[Stmt],
        iterable: &Expr,
    ) -> EResult<Flow> {
        // ES calls `iterator()` and casts each element right after the iterable, with no mark of
        // their own.
        let span = iterable.span;
        let items: Vec<Value> = match &it {
            Value::Array(a) => a.borrow().items.clone(),
            Value::List(l) => l.borrow().clone(),
            Value::Set(m) | Value::MapView(m, MapViewKind::Keys) => m.borrow().keys().cloned().collect(),
            Value::MapView(m, MapViewKind::Values) => m.borrow().values().cloned().collect(),
            Value::MapView(m, MapViewKind::Entries) => {
                m.borrow().iter().map(|(k, v)| Value::MapEntry(Rc::new((k.clone(), v.clone())))).collect()
            }
            Value::DocField(_) => {
                let n = match self.dyn_call(&it, "size", &[]).at_point(iterable, span, Point::Iterate)? {
                    Value::Int(n) => n.max(0) as usize,
                    _ => 0,
                };
                let mut v = Vec::with_capacity(n);
                for i in 0..n {
                    v.push(self.dyn_call(&it, "get", &[Value::Int(i as i32)]).at_point(
                        iterable,
                        span,
                        Point::Iterate,
                    )?);
                }
                v
            }
            Value::Null => {
                let err = RuntimeError::null_pointer("Cannot iterate over a null reference");
                return Err(fail_at(err, span, iterable, Point::Iterate));
            }
            other => {
                return Err(super::fail(
                    RuntimeError::unsupported_locally(format!(
                        "iterating over [{}] is not in the local subset",
                        ops::java_class(other)
                    )),
                    span,
                ));
            }
        };
        // The snapshot is an allocation like any other (nested for-each loops over a large list
        // copy it once per outer iteration).
        self.ctx.charge_elements(items.len()).at_point(iterable, span, Point::Iterate)?;
        for item in items {
            crate::interp::run::deadline::tick().map_err(|e| super::fail(e, span))?;
            let v = match conv {
                Some(c) => convert(item, c).at_point(iterable, span, Point::Iterate)?,
                None => item,
            };
            frame.slots[slot as usize] = v;
            match self.exec_block(frame, body)? {
                Flow::Break => break,
                Flow::Return(v) => return Ok(Flow::Return(v)),
                Flow::Normal | Flow::Continue => {}
            }
        }
        Ok(Flow::Normal)
    }
}
