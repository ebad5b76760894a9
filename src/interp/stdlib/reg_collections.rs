//! Registrations for `Collection`/`List`/`ArrayList`, `Set`, `Map`/`HashMap` and `Map.Entry`
//! (painless-facts §8), with Java's exception messages (JDK 17-21 agree on these:
//! `Index 3 out of bounds for length 2`, `ArrayList.add(int, E)`'s `Index: 5, Size: 2`).
//!
//! Values follow `value.rs`: lists are shared `Rc<RefCell<Vec<Value>>>`, sets are maps with null
//! values, `keySet()`/`values()`/`entrySet()` are live views of their map. `subList` returns a
//! copy (Java returns a view; writes through a sub-list are therefore not reflected).

use super::args::{any_at, i32_at};
use crate::interp::runtime::error::RuntimeError;
use crate::interp::runtime::hashmap::{JavaHashMap, check_order};
use crate::interp::runtime::types::Ty;
use crate::interp::runtime::value::{MapViewKind, Value};
use crate::interp::stdlib::registry::{CallCtx, MethodImp, MethodSig, Registry};
use std::rc::Rc;

fn method(reg: &mut Registry, receiver: Ty, name: &'static str, params: Vec<Ty>, ret: Ty, imp: MethodImp) {
    reg.add_method(MethodSig { receiver, name, params, ret, imp });
}

fn oob(index: i64, len: usize) -> RuntimeError {
    RuntimeError::index_out_of_bounds(format!("Index {index} out of bounds for length {len}"))
}

fn internal(what: &str, v: &Value) -> RuntimeError {
    RuntimeError::unsupported_locally(format!("internal: {what} called on a {}", v.type_name()))
}

/// The elements of any collection-like value, in Java iteration order (a snapshot).
pub fn collection_items(v: &Value) -> Result<Vec<Value>, RuntimeError> {
    Ok(match v {
        Value::List(l) => l.borrow().clone(),
        Value::Set(m) | Value::MapView(m, MapViewKind::Keys) => {
            let m = m.borrow();
            check_order(&m)?;
            m.keys().cloned().collect()
        }
        Value::MapView(m, MapViewKind::Values) => {
            let m = m.borrow();
            check_order(&m)?;
            m.values().cloned().collect()
        }
        Value::MapView(m, MapViewKind::Entries) => {
            let m = m.borrow();
            check_order(&m)?;
            m.iter().map(|(k, v)| Value::MapEntry(Rc::new((k.clone(), v.clone())))).collect()
        }
        Value::Array(a) => a.borrow().items.clone(),
        Value::Null => return Err(super::args::null_argument("a collection method")),
        other => return Err(internal("a Collection method", other)),
    })
}

fn size_of(v: &Value) -> Result<usize, RuntimeError> {
    Ok(match v {
        Value::List(l) => l.borrow().len(),
        Value::Set(m) | Value::MapView(m, _) | Value::Map(m) => m.borrow().len(),
        other => return Err(internal("size()", other)),
    })
}

fn contains(v: &Value, x: &Value) -> Result<bool, RuntimeError> {
    Ok(match v {
        Value::List(l) => l.borrow().iter().any(|e| e.java_equals(x)),
        Value::Set(m) | Value::MapView(m, MapViewKind::Keys) => m.borrow().contains_key(x),
        Value::MapView(m, MapViewKind::Values) => m.borrow().values().any(|e| e.java_equals(x)),
        Value::MapView(m, MapViewKind::Entries) => match x {
            Value::MapEntry(e) => m.borrow().get(&e.0).is_some_and(|v| v.java_equals(&e.1)),
            _ => false,
        },
        other => return Err(internal("contains()", other)),
    })
}

/// `Collection.add(e)`; views throw UnsupportedOperationException (null message) as in Java.
fn add(ctx: &CallCtx<'_>, v: &Value, x: Value) -> Result<bool, RuntimeError> {
    match v {
        Value::List(l) => {
            let mut l = l.borrow_mut();
            ctx.charge_elements(1)?;
            ctx.check_collection_len(l.len() + 1)?;
            l.push(x);
            Ok(true)
        }
        Value::Set(m) => {
            let mut m = m.borrow_mut();
            ctx.charge_entries(1)?;
            ctx.check_collection_len(m.len() + 1)?;
            if m.contains_key(&x) {
                return Ok(false);
            }
            m.put(x, Value::Null);
            Ok(true)
        }
        Value::MapView(..) => Err(RuntimeError::unsupported_operation("")),
        other => Err(internal("add()", other)),
    }
}

/// `Collection.remove(Object)` (not `List.remove(int)`, which shadows it on lists).
fn remove_object(v: &Value, x: &Value) -> Result<bool, RuntimeError> {
    match v {
        Value::Set(m) | Value::MapView(m, MapViewKind::Keys) => Ok(m.borrow_mut().remove(x).is_some()),
        Value::MapView(m, MapViewKind::Values) => {
            let key = m.borrow().iter().find(|(_, val)| val.java_equals(x)).map(|(k, _)| k.clone());
            Ok(match key {
                Some(k) => m.borrow_mut().remove(&k).is_some(),
                None => false,
            })
        }
        Value::MapView(_, MapViewKind::Entries) => {
            Err(RuntimeError::unsupported_locally("entrySet().remove(...) is unsupported in the local subset"))
        }
        other => Err(internal("remove(Object)", other)),
    }
}

fn list_index(len: usize, index: i32) -> Result<usize, RuntimeError> {
    if index < 0 || index as usize >= len {
        return Err(oob(i64::from(index), len));
    }
    Ok(index as usize)
}

fn map_of(v: &Value) -> Result<&Rc<std::cell::RefCell<JavaHashMap>>, RuntimeError> {
    match v {
        Value::Map(m) => Ok(m),
        other => Err(internal("a Map method", other)),
    }
}

pub fn register(reg: &mut Registry) {
    register_collection(reg);
    register_list(reg);
    register_map(reg);
    register_sorting(reg);
}

fn register_collection(reg: &mut Registry) {
    let c = Ty::Collection;
    let b = Ty::BOOLEAN;
    method(reg, c.clone(), "size", vec![], Ty::INT, |_, r, _| Ok(Value::Int(size_of(r)? as i32)));
    method(reg, c.clone(), "isEmpty", vec![], b.clone(), |_, r, _| Ok(Value::Bool(size_of(r)? == 0)));
    method(reg, c.clone(), "contains", vec![Ty::Def], b.clone(), |_, r, a| {
        Ok(Value::Bool(contains(r, any_at(a, 0)?)?))
    });
    method(reg, c.clone(), "containsAll", vec![Ty::Collection], b.clone(), |_, r, a| {
        for x in collection_items(any_at(a, 0)?)? {
            if !contains(r, &x)? {
                return Ok(Value::Bool(false));
            }
        }
        Ok(Value::Bool(true))
    });
    method(reg, c.clone(), "add", vec![Ty::Def], b.clone(), |ctx, r, a| {
        Ok(Value::Bool(add(ctx, r, any_at(a, 0)?.clone())?))
    });
    method(reg, c.clone(), "addAll", vec![Ty::Collection], b.clone(), |ctx, r, a| {
        // Snapshot first: `list.addAll(list)` must not alias the RefCell borrow.
        let items = collection_items(any_at(a, 0)?)?;
        // The snapshot is an allocation of its own (`l.addAll(l)` doubles through it).
        ctx.charge_elements(items.len())?;
        let mut changed = false;
        for x in items {
            changed |= add(ctx, r, x)?;
        }
        Ok(Value::Bool(changed))
    });
    method(reg, c.clone(), "remove", vec![Ty::Def], b.clone(), |_, r, a| {
        Ok(Value::Bool(remove_object(r, any_at(a, 0)?)?))
    });
    method(reg, c.clone(), "clear", vec![], Ty::Void, |_, r, _| {
        match r {
            Value::List(l) => l.borrow_mut().clear(),
            Value::Set(m) | Value::MapView(m, _) => m.borrow_mut().clear(),
            other => return Err(internal("clear()", other)),
        }
        Ok(Value::Null)
    });
    method(reg, c.clone(), "removeAll", vec![Ty::Collection], b.clone(), |_, r, a| retain(r, any_at(a, 0)?, false));
    method(reg, c, "retainAll", vec![Ty::Collection], b, |_, r, a| retain(r, any_at(a, 0)?, true));
}

/// `removeAll` (keep = false) / `retainAll` (keep = true).
fn retain(r: &Value, other: &Value, keep: bool) -> Result<Value, RuntimeError> {
    let others = collection_items(other)?;
    let member = |x: &Value| others.iter().any(|o| o.java_equals(x));
    match r {
        Value::List(l) => {
            let mut l = l.borrow_mut();
            let before = l.len();
            l.retain(|x| member(x) == keep);
            Ok(Value::Bool(l.len() != before))
        }
        Value::Set(m) | Value::MapView(m, MapViewKind::Keys) => {
            let doomed: Vec<Value> = m.borrow().keys().filter(|k| member(k) != keep).cloned().collect();
            let mut m = m.borrow_mut();
            for k in &doomed {
                m.remove(k);
            }
            Ok(Value::Bool(!doomed.is_empty()))
        }
        other => Err(RuntimeError::unsupported_locally(format!(
            "removeAll/retainAll on a {} is unsupported in the local subset",
            other.type_name()
        ))),
    }
}

fn list_of(v: &Value) -> Result<&Rc<std::cell::RefCell<Vec<Value>>>, RuntimeError> {
    match v {
        Value::List(l) => Ok(l),
        other => Err(internal("a List method", other)),
    }
}

fn register_list(reg: &mut Registry) {
    let l = Ty::List;
    let i = Ty::INT;
    method(reg, l.clone(), "get", vec![i.clone()], Ty::Def, |_, r, a| {
        let list = list_of(r)?.borrow();
        let idx = list_index(list.len(), i32_at(a, 0)?)?;
        Ok(list[idx].clone())
    });
    method(reg, l.clone(), "set", vec![i.clone(), Ty::Def], Ty::Def, |_, r, a| {
        let mut list = list_of(r)?.borrow_mut();
        let idx = list_index(list.len(), i32_at(a, 0)?)?;
        Ok(std::mem::replace(&mut list[idx], any_at(a, 1)?.clone()))
    });
    method(reg, l.clone(), "add", vec![i.clone(), Ty::Def], Ty::Void, |ctx, r, a| {
        let mut list = list_of(r)?.borrow_mut();
        let idx = i32_at(a, 0)?;
        if idx < 0 || idx as usize > list.len() {
            return Err(RuntimeError::index_out_of_bounds(format!("Index: {idx}, Size: {}", list.len())));
        }
        ctx.charge_elements(1)?;
        ctx.check_collection_len(list.len() + 1)?;
        list.insert(idx as usize, any_at(a, 1)?.clone());
        Ok(Value::Null)
    });
    method(reg, l.clone(), "remove", vec![i.clone()], Ty::Def, |_, r, a| {
        let mut list = list_of(r)?.borrow_mut();
        let idx = list_index(list.len(), i32_at(a, 0)?)?;
        Ok(list.remove(idx))
    });
    method(reg, l.clone(), "indexOf", vec![Ty::Def], i.clone(), |_, r, a| {
        let x = any_at(a, 0)?;
        let pos = list_of(r)?.borrow().iter().position(|e| e.java_equals(x));
        Ok(Value::Int(pos.map_or(-1, |p| p as i32)))
    });
    method(reg, l.clone(), "lastIndexOf", vec![Ty::Def], i.clone(), |_, r, a| {
        let x = any_at(a, 0)?;
        let pos = list_of(r)?.borrow().iter().rposition(|e| e.java_equals(x));
        Ok(Value::Int(pos.map_or(-1, |p| p as i32)))
    });
    // Painless augmentation behind the `list.length` shortcut.
    method(reg, l.clone(), "getLength", vec![], i.clone(), |_, r, _| Ok(Value::Int(list_of(r)?.borrow().len() as i32)));
    method(reg, l, "subList", vec![i.clone(), i], Ty::List, |_, r, a| {
        let list = list_of(r)?.borrow();
        let (from, to) = (i32_at(a, 0)?, i32_at(a, 1)?);
        if from < 0 {
            return Err(RuntimeError::index_out_of_bounds(format!("fromIndex = {from}")));
        }
        if to as i64 > list.len() as i64 {
            return Err(RuntimeError::index_out_of_bounds(format!("toIndex = {to}")));
        }
        if from > to {
            return Err(RuntimeError::illegal_argument(format!("fromIndex({from}) > toIndex({to})")));
        }
        Ok(Value::new_list(list[from as usize..to as usize].to_vec()))
    });
}

fn register_map(reg: &mut Registry) {
    let m = Ty::Map;
    let b = Ty::BOOLEAN;
    method(reg, m.clone(), "get", vec![Ty::Def], Ty::Def, |_, r, a| {
        Ok(map_of(r)?.borrow().get(any_at(a, 0)?).cloned().unwrap_or(Value::Null))
    });
    method(reg, m.clone(), "getOrDefault", vec![Ty::Def, Ty::Def], Ty::Def, |_, r, a| {
        // Java HashMap.getOrDefault: the default only when the key is absent (a null value is kept).
        Ok(map_of(r)?.borrow().get(any_at(a, 0)?).cloned().unwrap_or_else(|| a[1].clone()))
    });
    method(reg, m.clone(), "put", vec![Ty::Def, Ty::Def], Ty::Def, |ctx, r, a| {
        let mut map = map_of(r)?.borrow_mut();
        ctx.charge_entries(1)?;
        ctx.check_collection_len(map.len() + 1)?;
        Ok(map.put(any_at(a, 0)?.clone(), any_at(a, 1)?.clone()).unwrap_or(Value::Null))
    });
    method(reg, m.clone(), "putIfAbsent", vec![Ty::Def, Ty::Def], Ty::Def, |ctx, r, a| {
        let mut map = map_of(r)?.borrow_mut();
        let key = any_at(a, 0)?;
        match map.get(key) {
            Some(v) if !v.is_null() => Ok(v.clone()),
            _ => {
                ctx.charge_entries(1)?;
                ctx.check_collection_len(map.len() + 1)?;
                map.put(key.clone(), any_at(a, 1)?.clone());
                Ok(Value::Null)
            }
        }
    });
    method(reg, m.clone(), "putAll", vec![Ty::Map], Ty::Void, |ctx, r, a| {
        let src: Vec<(Value, Value)> = {
            let src = map_of(any_at(a, 0)?)?.borrow();
            src.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        let mut map = map_of(r)?.borrow_mut();
        ctx.charge_entries(src.len())?;
        ctx.check_collection_len(map.len() + src.len())?;
        map.put_all(src);
        Ok(Value::Null)
    });
    method(reg, m.clone(), "remove", vec![Ty::Def], Ty::Def, |_, r, a| {
        Ok(map_of(r)?.borrow_mut().remove(any_at(a, 0)?).unwrap_or(Value::Null))
    });
    method(reg, m.clone(), "containsKey", vec![Ty::Def], b.clone(), |_, r, a| {
        Ok(Value::Bool(map_of(r)?.borrow().contains_key(any_at(a, 0)?)))
    });
    method(reg, m.clone(), "containsValue", vec![Ty::Def], b.clone(), |_, r, a| {
        let x = any_at(a, 0)?;
        Ok(Value::Bool(map_of(r)?.borrow().values().any(|v| v.java_equals(x))))
    });
    method(reg, m.clone(), "size", vec![], Ty::INT, |_, r, _| Ok(Value::Int(map_of(r)?.borrow().len() as i32)));
    method(reg, m.clone(), "isEmpty", vec![], b, |_, r, _| Ok(Value::Bool(map_of(r)?.borrow().is_empty())));
    method(reg, m.clone(), "clear", vec![], Ty::Void, |_, r, _| {
        map_of(r)?.borrow_mut().clear();
        Ok(Value::Null)
    });
    method(reg, m.clone(), "keySet", vec![], Ty::Set, |_, r, _| {
        Ok(Value::MapView(map_of(r)?.clone(), MapViewKind::Keys))
    });
    method(reg, m.clone(), "values", vec![], Ty::Collection, |_, r, _| {
        Ok(Value::MapView(map_of(r)?.clone(), MapViewKind::Values))
    });
    method(reg, m, "entrySet", vec![], Ty::Set, |_, r, _| Ok(Value::MapView(map_of(r)?.clone(), MapViewKind::Entries)));
    method(reg, Ty::MapEntry, "getKey", vec![], Ty::Def, |_, r, _| match r {
        Value::MapEntry(e) => Ok(e.0.clone()),
        other => Err(internal("getKey()", other)),
    });
    method(reg, Ty::MapEntry, "getValue", vec![], Ty::Def, |_, r, _| match r {
        Value::MapEntry(e) => Ok(e.1.clone()),
        other => Err(internal("getValue()", other)),
    });
    method(reg, Ty::MapEntry, "setValue", vec![Ty::Def], Ty::Def, |_, _, _| {
        Err(RuntimeError::unsupported_locally("Map.Entry.setValue is unsupported in the local subset"))
    });
}

/// Java's natural ordering (`Comparable.compareTo`) between two elements of one list. Mixed or
/// non-comparable classes throw a ClassCastException in Java whose message names JDK internals,
/// so they are refused.
fn natural_cmp(a: &Value, b: &Value) -> Result<std::cmp::Ordering, RuntimeError> {
    use crate::interp::runtime::numbers::{double_compare, float_compare};
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Long(x), Value::Long(y)) => x.cmp(y),
        (Value::Short(x), Value::Short(y)) => x.cmp(y),
        (Value::Byte(x), Value::Byte(y)) => x.cmp(y),
        (Value::Char(x), Value::Char(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Double(x), Value::Double(y)) => double_compare(*x, *y).cmp(&0),
        (Value::Float(x), Value::Float(y)) => float_compare(*x, *y).cmp(&0),
        (Value::Str(x), Value::Str(y)) => crate::interp::runtime::strings::compare_to(x, y).cmp(&0),
        (Value::Null, _) | (_, Value::Null) => return Err(super::args::null_argument("a sort")),
        (x, y) => {
            return Err(RuntimeError::unsupported_locally(format!(
                "sorting a {} against a {} (a ClassCastException in Java) is unsupported in the local subset",
                x.type_name(),
                y.type_name()
            )));
        }
    })
}

/// A stable sort by natural order, as `List.sort(null)` / `Collections.sort` (TimSort, stable):
/// for a total order the result does not depend on the algorithm.
fn sort_natural(items: &mut [Value]) -> Result<(), RuntimeError> {
    let mut err = None;
    items.sort_by(|a, b| match natural_cmp(a, b) {
        Ok(o) => o,
        Err(e) => {
            err.get_or_insert(e);
            std::cmp::Ordering::Equal
        }
    });
    err.map_or(Ok(()), Err)
}

pub fn register_sorting(reg: &mut Registry) {
    use crate::interp::stdlib::registry::StaticSig;
    method(reg, Ty::List, "sort", vec![Ty::Def], Ty::Void, |_, r, a| {
        if !any_at(a, 0)?.is_null() {
            return Err(RuntimeError::unsupported_locally(
                "List.sort with a Comparator (a lambda) is unsupported in the local subset",
            ));
        }
        sort_natural(&mut list_of(r)?.borrow_mut())?;
        Ok(Value::Null)
    });
    let statics: [(&'static str, Vec<Ty>, Ty, crate::interp::stdlib::registry::StaticImp); 4] = [
        ("sort", vec![Ty::List], Ty::Void, |_, a| {
            sort_natural(&mut list_of(any_at(a, 0)?)?.borrow_mut())?;
            Ok(Value::Null)
        }),
        ("reverse", vec![Ty::List], Ty::Void, |_, a| {
            list_of(any_at(a, 0)?)?.borrow_mut().reverse();
            Ok(Value::Null)
        }),
        ("max", vec![Ty::Collection], Ty::Def, |_, a| extreme(any_at(a, 0)?, std::cmp::Ordering::Greater)),
        ("min", vec![Ty::Collection], Ty::Def, |_, a| extreme(any_at(a, 0)?, std::cmp::Ordering::Less)),
    ];
    for (name, params, ret, imp) in statics {
        reg.add_static(StaticSig { class: "Collections", name, params, ret, imp });
    }
    // The rest of ES's `java.util.Collections` whitelist (and the Comparator overloads of
    // sort/max/min, reached when the arity lookup fails) are refused at compile time.
    for name in [
        "sort",
        "max",
        "min",
        "addAll",
        "binarySearch",
        "copy",
        "disjoint",
        "emptyEnumeration",
        "emptyIterator",
        "emptyList",
        "emptyListIterator",
        "emptyMap",
        "emptyNavigableMap",
        "emptyNavigableSet",
        "emptySet",
        "emptySortedMap",
        "emptySortedSet",
        "enumeration",
        "fill",
        "frequency",
        "indexOfSubList",
        "lastIndexOfSubList",
        "list",
        "nCopies",
        "newSetFromMap",
        "reverseOrder",
        "rotate",
        "shuffle",
        "singleton",
        "singletonList",
        "singletonMap",
        "swap",
        "synchronizedCollection",
        "synchronizedList",
        "synchronizedMap",
        "synchronizedNavigableMap",
        "synchronizedNavigableSet",
        "synchronizedSet",
        "synchronizedSortedMap",
        "synchronizedSortedSet",
        "unmodifiableCollection",
        "unmodifiableList",
        "unmodifiableMap",
        "unmodifiableNavigableMap",
        "unmodifiableNavigableSet",
        "unmodifiableSet",
        "unmodifiableSortedMap",
        "unmodifiableSortedSet",
        "EMPTY_LIST",
        "EMPTY_MAP",
        "EMPTY_SET",
    ] {
        reg.add_unsupported_member(
            "Collections",
            name,
            "only Collections.sort/reverse/max/min over a list (natural order) are implemented locally",
        );
    }
}

/// `Collections.max/min`: the first extreme element in iteration order; empty → NoSuchElementException.
fn extreme(c: &Value, want: std::cmp::Ordering) -> Result<Value, RuntimeError> {
    let items = collection_items(c)?;
    let mut iter = items.into_iter();
    let Some(mut best) = iter.next() else {
        return Err(RuntimeError::new("no_such_element_exception", ""));
    };
    for x in iter {
        if natural_cmp(&x, &best)? == want {
            best = x;
        }
    }
    Ok(best)
}
