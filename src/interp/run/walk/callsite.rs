//! `def` call sites (painless-facts §4, "`def` call sites").
//!
//! Painless compiles a call, a field load or a brace access on a `def` receiver to an
//! `invokedynamic` whose type is made of the static types of its arguments and of the result's
//! implicit target ([`DefSite`]). For each receiver class it meets, the site looks the member up and
//! adapts the member's method handle to its own type with `MethodHandle.asType`, and that
//! adaptation, not Painless's casts, decides what happens to the values:
//! - linking fails with a `WrongMethodTypeException` (`cannot convert MethodHandle(String,int)String
//!   to (Object,String)Object`) when a static type and the member's have no conversion between
//!   them: primitives only widen, a primitive boxes only to its box or a supertype of it, a
//!   reference unboxes only from a box that widens or from a supertype of the boxes;
//! - conversions that exist run with the JDK's rules: unboxing an Object goes through
//!   `ValueConversions` (`Cannot cast java.lang.Long to java.lang.Integer`, a NullPointerException
//!   naming `primitiveConversion` on null) and reference casts through `Class.cast` (`Cannot cast
//!   java.lang.Integer to java.lang.String`).
//!
//! Painless itself puts its implicit `def` cast in front of a boxed numeric or Character parameter,
//! so `Integer.compareTo(Integer)` takes a `def` Byte and refuses a Long with `cannot implicitly
//! cast def [long] to java.lang.Integer`; a Boolean parameter gets no such cast.
//!
//! A brace access is two sites: the index is normalised first (`(List,int)int`: a negative index
//! counts from the end; a map's key passes through), then loaded or stored with the normalised
//! index. The normalisation has no line-number mark of its own (`locate::Point::Normalize`).
//!
//! A failed `Class.cast` puts a JDK frame above the script in `script_stack`, whose line number
//! depends on the engine's JDK; none is added here. Where the engine's method handle type was not
//! checked (its declaring class is unknown), a link failure is refused locally rather than guessed.

use super::access::{dynamic_method, null_def_call};
use super::{INLINE_ARGS, Interp};
use crate::interp::ir::DefSite;
use crate::interp::runtime::error::{RuntimeError, es_type};
use crate::interp::runtime::ops::{self, java_class};
use crate::interp::runtime::types::{Prim, Ty};
use crate::interp::runtime::value::Value;
use crate::interp::stdlib::registry::{FieldSig, MethodSig, registry, with_getter_name};

/// `def`: Object in every Java signature.
static OBJECT: Ty = Ty::Def;

/// The class simple name `MethodType.toString` prints for a type; None where the engines' classes
/// differ or were not checked (dense-vector doc values).
fn java_simple(t: &Ty) -> Option<String> {
    Some(match t {
        Ty::Def | Ty::Object => "Object".into(),
        Ty::Void => "void".into(),
        Ty::Prim(p) => p.name().into(),
        Ty::Boxed(p) => p.box_name().into(),
        Ty::Map | Ty::DocMap => "Map".into(),
        Ty::MapEntry => "Entry".into(),
        Ty::DocLongs => "Longs".into(),
        Ty::DocDoubles => "Doubles".into(),
        Ty::DocStrings => "Strings".into(),
        Ty::DocBooleans => "Booleans".into(),
        Ty::DocVector => return None,
        Ty::DocDates => "Dates".into(),
        Ty::ZonedDateTime | Ty::Instant | Ty::Duration => t.short_name(),
        Ty::Array(elem) => format!("{}[]", java_simple(elem)?),
        Ty::Number
        | Ty::String
        | Ty::CharSequence
        | Ty::Collection
        | Ty::List
        | Ty::ArrayList
        | Ty::HashMap
        | Ty::Set
        | Ty::HashSet
        | Ty::Iterator => t.short_name(),
    })
}

/// `Class.getName()` of a class type (`Class.cast` messages); None for arrays and doc values, whose
/// names the local runtime does not reproduce.
fn java_name(t: &Ty) -> Option<String> {
    Some(match t {
        Ty::Boxed(p) => format!("java.lang.{}", p.box_name()),
        Ty::Def | Ty::Object | Ty::Number | Ty::String | Ty::CharSequence => format!("java.lang.{}", java_simple(t)?),
        Ty::Collection | Ty::List | Ty::ArrayList | Ty::Map | Ty::HashMap | Ty::Set | Ty::HashSet | Ty::Iterator => {
            format!("java.util.{}", t.short_name())
        }
        Ty::MapEntry => "java.util.Map$Entry".into(),
        _ => return None,
    })
}

/// The class whose method Painless's whitelist resolves `sig` to: the receiver of the method
/// handle. Each was read off the embedded OpenSearch node's WrongMethodTypeException for that
/// member (painless-facts §4). Elasticsearch 8.13 declares these members on the same classes in its
/// whitelists as far as we know, which no Elasticsearch node here has confirmed.
fn method_owner(sig: &MethodSig) -> Option<&'static str> {
    match (&sig.receiver, sig.name) {
        (Ty::Object, _) => Some("Object"),
        (Ty::String, "length" | "charAt") => Some("CharSequence"),
        // Whitelisted by Elasticsearch 8.13, absent from OpenSearch 2.19: not checked.
        (Ty::String, "repeat") => None,
        (Ty::String, _) => Some("String"),
        (Ty::Collection, _) => Some("Collection"),
        // Java's parameter is a Comparator where the registry says `def`.
        (Ty::List, "sort") => None,
        (Ty::List, _) => Some("List"),
        (Ty::Map, _) => Some("Map"),
        (Ty::Number, _) => Some("Number"),
        (Ty::Boxed(p), _) => Some(p.box_name()),
        (Ty::DocLongs | Ty::DocDoubles | Ty::DocStrings | Ty::DocBooleans, name) => match (name, sig.params.len()) {
            ("size" | "isEmpty" | "contains", _) | ("add", 1) => Some("Collection"),
            ("getLength" | "add" | "set" | "remove", _) => Some("List"),
            ("toString", _) => Some("Object"),
            ("get" | "getValue", _) => match sig.receiver {
                Ty::DocLongs => Some("Longs"),
                Ty::DocDoubles => Some("Doubles"),
                Ty::DocStrings => Some("Strings"),
                _ => Some("Booleans"),
            },
            _ => None,
        },
        _ => None,
    }
}

/// A parameter's type in the linked handle: Painless's implicit `def` cast in front of a boxed
/// numeric or Character parameter takes an Object.
fn handle_param(p: &Ty) -> &Ty {
    match p {
        Ty::Boxed(b) if *b != Prim::Boolean => &OBJECT,
        other => other,
    }
}

/// Whether `MethodHandle.asType` converts `from` to `to` (one argument, or the return value).
fn converts(from: &Ty, to: &Ty) -> bool {
    let boxes_to = |a: Prim, r: &Ty| match r {
        Ty::Boxed(b) => *b == a,
        Ty::Number => a.is_numeric(),
        Ty::Def | Ty::Object => true,
        _ => false,
    };
    match (from, to) {
        (Ty::Void, _) | (_, Ty::Void) => true,
        (Ty::Prim(a), Ty::Prim(b)) => a.widens_to(*b),
        (Ty::Prim(a), r) => boxes_to(*a, r),
        (Ty::Boxed(a), Ty::Prim(b)) => a.widens_to(*b),
        (Ty::Def | Ty::Object | Ty::Number, Ty::Prim(_)) => true,
        (_, Ty::Prim(_)) => false,
        _ => true,
    }
}

/// The link failure: Java's WrongMethodTypeException, or a local refusal when a name in its
/// message is unknown.
#[cold]
fn wrong_method_type(owner: Option<&str>, params: &[&Ty], ret: &Ty, site: &[Ty], site_ret: &Ty) -> RuntimeError {
    let names = |ts: &mut dyn Iterator<Item = &Ty>| -> Option<String> {
        ts.map(|t| java_simple(t).map(|n| format!(",{n}"))).collect()
    };
    let message = (|| {
        Some(format!(
            "cannot convert MethodHandle({}{}){} to (Object{}){}",
            owner?,
            names(&mut params.iter().copied())?,
            java_simple(ret)?,
            names(&mut site.iter())?,
            java_simple(site_ret)?
        ))
    })();
    match message {
        Some(m) => RuntimeError::new(es_type::WRONG_METHOD_TYPE, m),
        None => RuntimeError::unsupported_locally(
            "this def call site cannot be linked to its target in Java (a WrongMethodTypeException), \
             with a message the local subset does not reproduce",
        ),
    }
}

/// Links a handle `(owner, params)ret` to a site `(Object, args)site_ret`.
fn link(owner: Option<&str>, params: &[&Ty], ret: &Ty, args: &[Ty], site_ret: &Ty) -> Result<(), RuntimeError> {
    if params.iter().zip(args).all(|(p, a)| converts(a, p)) && converts(ret, site_ret) {
        Ok(())
    } else {
        Err(wrong_method_type(owner, params, ret, args, site_ret))
    }
}

/// The JDK's `ValueConversions.unbox*(x, false)`: what `asType` does to an Object for a primitive.
fn unbox(v: Value, from: &Ty, to: Prim) -> Result<Value, RuntimeError> {
    if v.is_null() {
        if *from == Ty::Boxed(to) {
            // An exact unboxing fails in the box's own `xxxValue()`: a message not checked.
            return Err(RuntimeError::unsupported_locally(
                "unboxing a null box at a def call site is unsupported in the local subset",
            ));
        }
        let getter = match to {
            Prim::Int | Prim::Boolean | Prim::Char => "int",
            p => p.name(),
        };
        return Err(RuntimeError::null_pointer(format!(
            "Cannot invoke \"java.lang.Number.{getter}Value()\" because the return value of \
             \"sun.invoke.util.ValueConversions.primitiveConversion(sun.invoke.util.Wrapper, Object, boolean)\" is null"
        )));
    }
    match v.prim() {
        Some(p) if p.widens_to(to) => ops::prim_cast(&v, to),
        Some(p) => Err(RuntimeError::class_cast(format!(
            "Cannot cast java.lang.{} to java.lang.{}",
            p.box_name(),
            to.box_name()
        ))),
        // `(Number) x` in `primitiveConversion`.
        None => Err(ops::class_cast(&v, &Ty::Number)),
    }
}

/// `asType`'s conversion of a value of static type `from` to `to`, once linked.
fn adapt(v: Value, from: &Ty, to: &Ty) -> Result<Value, RuntimeError> {
    match (from, to) {
        _ if from == to => Ok(v),
        (Ty::Void, Ty::Prim(p)) => Ok(super::default_value(&Ty::Prim(*p))),
        (Ty::Void, _) => Ok(Value::Null),
        (Ty::Prim(_), Ty::Prim(p)) => ops::prim_cast(&v, *p),
        (Ty::Prim(_), _) | (_, Ty::Def | Ty::Object | Ty::Void) => Ok(v),
        (_, Ty::Prim(p)) => unbox(v, from, *p),
        _ if v.is_null() || ops::instance_of(&v, to) => Ok(v),
        _ => match (java_name(&v.runtime_ty()), java_name(to)) {
            (Some(_), Some(target)) => {
                Err(RuntimeError::class_cast(format!("Cannot cast {} to {target}", java_class(&v))))
            }
            _ => Err(RuntimeError::unsupported_locally(format!(
                "a failed cast of a {} at a def call site is unsupported in the local subset",
                v.type_name()
            ))),
        },
    }
}

/// Painless's `Def.defTo<Box>Implicit` in front of a boxed parameter: null passes, a box whose
/// primitive widens converts, anything else is refused.
fn def_to_boxed(v: Value, to: Prim) -> Result<Value, RuntimeError> {
    match v.prim() {
        _ if v.is_null() => Ok(v),
        Some(p) if p.widens_to(to) => ops::prim_cast(&v, to),
        prim => {
            let class = match (prim, &v) {
                (Some(p), _) => p.name().to_string(),
                (None, Value::Array(_)) => v.runtime_ty().painless_name(),
                (None, _) => java_class(&v).replace('$', "."),
            };
            Err(RuntimeError::class_cast(format!(
                "cannot implicitly cast def [{class}] to java.lang.{}",
                to.box_name()
            )))
        }
    }
}

/// A brace access's receiver as the index normalisation and the element sites see it.
enum Indexed<'v> {
    /// An array: `(T[],int)int`, then `(T[],int)T` and `(T[],int,T)void`.
    Array(Ty),
    /// A List (doc values are Lists in Java): `(List,int)int`, then `List.get`/`List.set`.
    List,
    /// A Map (`doc` too): the key passes through, then `Map.get`/`Map.put`.
    Map,
    /// Anything else: the normalisation fails with its own error.
    Other(&'v Value),
}

fn indexed(recv: &Value) -> Indexed<'_> {
    match recv {
        Value::Array(a) => Indexed::Array(a.borrow().elem.clone()),
        Value::List(_) | Value::DocField(_) => Indexed::List,
        Value::Map(_) | Value::Doc => Indexed::Map,
        other => Indexed::Other(other),
    }
}

fn out_of_bounds(es: &'static str, i: i32, len: usize) -> RuntimeError {
    RuntimeError::new(es, format!("Index {i} out of bounds for length {len}"))
}

impl Interp<'_> {
    /// A call on a `def` receiver through its call site.
    pub(crate) fn def_call(
        &self,
        recv: &Value,
        name: &str,
        args: &[Value],
        site: &DefSite,
    ) -> Result<Value, RuntimeError> {
        if let (Value::Doc, "containsKey", [Value::Str(s)]) = (recv, name, args) {
            link(Some("Map"), &[&OBJECT], &Ty::BOOLEAN, &site.args, &site.ret)?;
            return adapt(Value::Bool(self.doc.contains(s)), &Ty::BOOLEAN, &site.ret);
        }
        let ty = recv.runtime_ty();
        let sig = dynamic_method(&ty, name, args.len())?;
        let linked = sig.params.iter().zip(&site.args).all(|(p, a)| converts(a, handle_param(p)))
            && converts(&sig.ret, &site.ret);
        if !linked {
            let params: Vec<&Ty> = sig.params.iter().map(handle_param).collect();
            return Err(wrong_method_type(method_owner(sig), &params, &sig.ret, &site.args, &site.ret));
        }
        let convert = |(a, (p, s)): (&Value, (&Ty, &Ty))| match p {
            Ty::Boxed(b) if *b != Prim::Boolean => def_to_boxed(a.clone(), *b),
            p => adapt(a.clone(), s, p),
        };
        let result = if args.len() <= INLINE_ARGS {
            let mut converted: [Value; INLINE_ARGS] = Default::default();
            for (slot, x) in converted.iter_mut().zip(args.iter().zip(sig.params.iter().zip(&site.args))) {
                *slot = convert(x)?;
            }
            (sig.imp)(&self.ctx, recv, &converted[..args.len()])?
        } else {
            let converted =
                args.iter().zip(sig.params.iter().zip(&site.args)).map(convert).collect::<Result<Vec<_>, _>>()?;
            (sig.imp)(&self.ctx, recv, &converted)?
        };
        adapt(result, &sig.ret, &site.ret)
    }

    /// A field load on a `def` receiver (`x.name`: a getter, a map key, a list index, an array's
    /// length) through its call site.
    pub(crate) fn def_field_get(&self, recv: &Value, name: &str, site: &DefSite) -> Result<Value, RuntimeError> {
        // Every member's result converts to Object unchanged.
        if site.ret.is_def() {
            return self.field_get(recv, name);
        }
        let reg = registry();
        let ty = recv.runtime_ty();
        let getter = || {
            ["get", "is"]
                .into_iter()
                .find_map(|prefix| with_getter_name(prefix, name, |g| reg.lookup_method(&ty, g, 0)))
        };
        // `field_get`'s dispatch, resolved once: the member's return type (and its value below).
        enum Member {
            Getter(&'static MethodSig),
            Field(&'static FieldSig),
            /// A map key or a list index: `Map.get`/`List.get` bound to it, `(Map)Object`.
            Element(&'static str),
            ArrayLength,
        }
        let member = match recv {
            Value::Null => return self.field_get(recv, name),
            Value::Map(_) => getter().map_or(Member::Element("Map"), Member::Getter),
            Value::Doc => Member::Element("Map"),
            Value::Array(_) if name == "length" => Member::ArrayLength,
            Value::List(_) if name.parse::<i32>().is_ok() => Member::Element("List"),
            _ => match (reg.lookup_field(&ty, name), getter()) {
                (Some(f), _) => Member::Field(f),
                (None, Some(sig)) => Member::Getter(sig),
                (None, None) => return self.field_get(recv, name),
            },
        };
        let ret = match member {
            Member::Getter(sig) => &sig.ret,
            Member::Field(f) => &f.ty,
            Member::Element(_) => &OBJECT,
            Member::ArrayLength => &Ty::INT,
        };
        if !converts(ret, &site.ret) {
            let owner = match member {
                Member::Getter(sig) => method_owner(sig).map(String::from),
                Member::Field(_) => None,
                Member::Element(owner) => Some(owner.to_string()),
                Member::ArrayLength => java_simple(&ty),
            };
            return Err(wrong_method_type(owner.as_deref(), &[], ret, &site.args, &site.ret));
        }
        let value = match member {
            Member::Getter(sig) => (sig.imp)(&self.ctx, recv, &[])?,
            Member::Field(f) => (f.imp)(&self.ctx, recv)?,
            Member::Element(_) | Member::ArrayLength => self.field_get(recv, name)?,
        };
        adapt(value, ret, &site.ret)
    }

    /// The index normalisation site of `recv[index]`: the index as an int, negative ones counted
    /// from the end, for arrays and lists; a map's key unchanged.
    pub(crate) fn def_index_normalize(&self, recv: &Value, index: Value, index_ty: &Ty) -> Result<Value, RuntimeError> {
        let owner = match indexed(recv) {
            _ if recv.is_null() => return Err(null_def_call()),
            Indexed::Map => return Ok(index),
            Indexed::Other(other) => return self.index_get(other, &index),
            Indexed::Array(elem) => java_simple(&Ty::Array(Box::new(elem))),
            Indexed::List => Some("List".into()),
        };
        link(owner.as_deref(), &[&Ty::INT], &Ty::INT, std::slice::from_ref(index_ty), index_ty)?;
        let Value::Int(i) = adapt(index, index_ty, &Ty::INT)? else {
            return Err(RuntimeError::illegal_state("illegal tree structure"));
        };
        if i >= 0 {
            return Ok(Value::Int(i));
        }
        let len = match recv {
            Value::Array(a) => a.borrow().items.len(),
            Value::List(l) => l.borrow().len(),
            _ => match self.dyn_call(recv, "size", &[])? {
                Value::Int(n) => n.max(0) as usize,
                _ => 0,
            },
        };
        Ok(Value::Int(i.wrapping_add(len as i32)))
    }

    /// The load site of `recv[index]`, after `def_index_normalize`.
    pub(crate) fn def_index_load(
        &self,
        recv: &Value,
        index: Value,
        index_ty: &Ty,
        ret: &Ty,
    ) -> Result<Value, RuntimeError> {
        match (indexed(recv), &index) {
            (Indexed::Array(elem), Value::Int(i)) => {
                let owner = java_simple(&Ty::Array(Box::new(elem.clone())));
                link(owner.as_deref(), &[&Ty::INT], &elem, std::slice::from_ref(index_ty), ret)?;
                let a = match recv {
                    Value::Array(a) => a.borrow(),
                    _ => return Err(RuntimeError::illegal_state("illegal tree structure")),
                };
                let v = usize::try_from(*i)
                    .ok()
                    .and_then(|u| a.items.get(u).cloned())
                    .ok_or_else(|| out_of_bounds(es_type::ARRAY_INDEX_OUT_OF_BOUNDS, *i, a.items.len()))?;
                adapt(v, &elem, ret)
            }
            (Indexed::List, Value::Int(i)) => {
                let v = match recv {
                    Value::List(l) => {
                        let l = l.borrow();
                        usize::try_from(*i)
                            .ok()
                            .and_then(|u| l.get(u).cloned())
                            .ok_or_else(|| out_of_bounds(es_type::INDEX_OUT_OF_BOUNDS, *i, l.len()))?
                    }
                    _ => self.dyn_call(recv, "get", std::slice::from_ref(&index))?,
                };
                adapt(v, &OBJECT, ret)
            }
            _ => adapt(self.index_get(recv, &index)?, &OBJECT, ret),
        }
    }

    /// The store site of `recv[index] = v` (`site.args`: the index's and the value's types), after
    /// `def_index_normalize`.
    pub(crate) fn def_index_store(
        &self,
        recv: &Value,
        index: Value,
        v: Value,
        site: &DefSite,
    ) -> Result<(), RuntimeError> {
        let value_ty = &site.args[1];
        match (indexed(recv), &index) {
            (Indexed::Array(elem), Value::Int(i)) => {
                let owner = java_simple(&Ty::Array(Box::new(elem.clone())));
                link(owner.as_deref(), &[&Ty::INT, &elem], &Ty::Void, &site.args, &Ty::Void)?;
                let v = adapt(v, value_ty, &elem)?;
                let Value::Array(a) = recv else {
                    return Err(RuntimeError::illegal_state("illegal tree structure"));
                };
                let mut a = a.borrow_mut();
                let len = a.items.len();
                match usize::try_from(*i).ok().and_then(|u| a.items.get_mut(u)) {
                    Some(slot) => {
                        *slot = v;
                        Ok(())
                    }
                    None => Err(out_of_bounds(es_type::ARRAY_INDEX_OUT_OF_BOUNDS, *i, len)),
                }
            }
            (Indexed::List, Value::Int(i)) if matches!(recv, Value::List(_)) => {
                let Value::List(l) = recv else {
                    return Err(RuntimeError::illegal_state("illegal tree structure"));
                };
                let mut l = l.borrow_mut();
                let len = l.len();
                match usize::try_from(*i).ok().and_then(|u| l.get_mut(u)) {
                    Some(slot) => {
                        *slot = v;
                        Ok(())
                    }
                    None => Err(out_of_bounds(es_type::INDEX_OUT_OF_BOUNDS, *i, len)),
                }
            }
            _ => self.index_set(recv, &index, v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::converts;
    use crate::interp::exec_test;
    use crate::interp::runtime::types::{Prim, Ty};

    fn failure(source: &str) -> (String, String) {
        let diags = exec_test(source, &serde_json::Map::new()).outcome.expect_err(source);
        (diags[0].es_type.clone(), diags[0].message.clone())
    }

    #[test]
    fn as_type_converts_by_widening_boxing_and_unboxing_only() {
        let (int, long, short) = (Ty::INT, Ty::LONG, Ty::SHORT);
        assert!(converts(&short, &int) && converts(&int, &long) && converts(&Ty::CHAR, &int));
        assert!(!converts(&long, &int) && !converts(&int, &short) && !converts(&Ty::BYTE, &Ty::CHAR));
        assert!(!converts(&Ty::BOOLEAN, &int));
        // Boxing: to the box or a supertype of it, never to another box.
        assert!(converts(&int, &Ty::Def) && converts(&int, &Ty::Number) && converts(&int, &Ty::Boxed(Prim::Int)));
        assert!(!converts(&int, &Ty::Boxed(Prim::Long)) && !converts(&int, &Ty::String));
        // Unboxing: a box whose primitive widens, or any supertype of the boxes (checked at run time).
        assert!(converts(&Ty::Boxed(Prim::Int), &long) && !converts(&Ty::Boxed(Prim::Long), &int));
        assert!(converts(&Ty::Def, &int) && converts(&Ty::Number, &Ty::BOOLEAN));
        assert!(!converts(&Ty::String, &int) && !converts(&Ty::List, &Ty::DOUBLE));
        // References: anything, checked at run time.
        assert!(converts(&Ty::String, &Ty::List) && converts(&Ty::Def, &Ty::Array(Box::new(Ty::INT))));
    }

    #[test]
    fn a_link_failure_is_refused_where_the_handle_type_was_not_checked() {
        // String.concat's handle was checked on the engine: Java's exception, word for word.
        assert_eq!(
            failure("def s = 'abc'; int n = s.concat('x'); return n;"),
            (
                "wrong_method_type_exception".into(),
                "cannot convert MethodHandle(String,String)String to (Object,String)int".into()
            )
        );
        // String.repeat is not whitelisted by the OpenSearch node: its declaring class is a guess.
        let (es_type, message) = failure("def s = 'abc'; int n = s.repeat(2); return n;");
        assert_eq!(es_type, "unsupported_locally", "{message}");
        assert!(message.contains("WrongMethodTypeException"), "{message}");
        // The same member linked to a site it fits runs.
        let ok = exec_test("def s = 'ab'; String t = s.repeat(2); return t;", &serde_json::Map::new());
        assert_eq!(
            ok.outcome.map(|v| crate::interp::runtime::output::value_to_json(&v)).ok().and_then(Result::ok).as_deref(),
            Some("\"abab\"")
        );
    }
}
