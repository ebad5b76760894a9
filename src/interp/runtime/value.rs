//! Runtime values. Each variant is one Java runtime class, so `def` dispatch, boxing and
//! `instanceof` read the variant; a statically typed slot always holds the variant of its type
//! (the evaluator converts on assignment), which keeps Java's static promotion rules intact when the
//! evaluator dispatches on variants.
//!
//! Values are single-threaded (`Rc`): one `Bound` per user per worker thread. The compiled
//! `Program` holds no `Value`s, so it stays `Send + Sync`.

use crate::data::dates::{Duration, Instant};
use crate::interp::runtime::hashmap::JavaHashMap;
use crate::interp::runtime::types::{Prim, Ty};
use std::cell::RefCell;
use std::rc::Rc;

/// A Java array: fixed length, one element type (`int[]` holds only `Value::Int`).
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayValue {
    pub elem: Ty,
    pub items: Vec<Value>,
}

/// Which live view of a map a `MapView` value is (`keySet()`, `values()`, `entrySet()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MapViewKind {
    Keys,
    Values,
    Entries,
}

/// A `doc['field']` handle. It names the field only; the document is the one being evaluated
/// (`CallCtx` carries it), because doc values are only reachable during one `eval`.
#[derive(Debug, Clone, PartialEq)]
pub struct DocFieldRef {
    pub name: Rc<str>,
    pub kind: DocFieldKind,
}

/// What the store says the field is; decides the doc-values class (painless-facts §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocFieldKind {
    /// long/integer/short/byte fields: `ScriptDocValues.Longs`.
    Long,
    /// double/float fields: `ScriptDocValues.Doubles`.
    Double,
    /// keyword fields: `ScriptDocValues.Strings`.
    Keyword,
    /// dense_vector / knn_vector fields.
    Vector,
    /// date fields: `ScriptDocValues.Dates`.
    Date,
    /// Not in the mapping: accessing it raises ES's `No field found for [f] in mapping`.
    Unmapped,
}

/// The runtime class of a date doc value, which decides its `toString`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateClass {
    /// `java.time.ZonedDateTime` (Elasticsearch 8): `2018-09-24T14:27Z`, zero seconds dropped.
    ZonedDateTime,
    /// `org.opensearch.script.JodaCompatibleZonedDateTime`: `strict_date_time`, `2018-09-24T14:27:00.000Z`.
    JodaCompatible,
}

impl DateClass {
    /// The class date doc values have on the target engine.
    pub fn of(dialect: crate::interp::runtime::types::Dialect) -> DateClass {
        match dialect {
            crate::interp::runtime::types::Dialect::Elasticsearch => DateClass::ZonedDateTime,
            crate::interp::runtime::types::Dialect::OpenSearch => DateClass::JodaCompatible,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Byte(i8),
    Short(i16),
    Char(u16),
    Int(i32),
    Long(i64),
    Float(f32),
    Double(f64),
    Str(Rc<str>),
    /// `ArrayList` (also what `[a, b]` and JSON arrays in params become).
    List(Rc<RefCell<Vec<Value>>>),
    /// `HashMap` (`[k: v]`, JSON objects in params).
    Map(Rc<RefCell<JavaHashMap>>),
    /// `HashSet`: a `JavaHashMap` whose values are all `Null`, as in Java.
    Set(Rc<RefCell<JavaHashMap>>),
    /// A live `keySet()` / `values()` / `entrySet()` view of a map.
    MapView(Rc<RefCell<JavaHashMap>>, MapViewKind),
    /// A `Map.Entry` produced by iterating `entrySet()`.
    MapEntry(Rc<(Value, Value)>),
    Array(Rc<RefCell<ArrayValue>>),
    /// The `doc` variable of score/sort contexts.
    Doc,
    /// `doc['field']`.
    DocField(Rc<DocFieldRef>),
    /// A UTC date-time (date doc values): `java.time.ZonedDateTime` in Elasticsearch 8, OpenSearch's
    /// `JodaCompatibleZonedDateTime` wrapper (which prints itself differently) in OpenSearch.
    ZonedDateTime(Instant, DateClass),
    /// `java.time.Instant`.
    Instant(Instant),
    /// `java.time.Duration`.
    Duration(Duration),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }

    pub fn new_list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(items)))
    }

    pub fn new_map(map: JavaHashMap) -> Value {
        Value::Map(Rc::new(RefCell::new(map)))
    }

    pub fn new_array(elem: Ty, items: Vec<Value>) -> Value {
        Value::Array(Rc::new(RefCell::new(ArrayValue { elem, items })))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The primitive this value is a box of, if any.
    pub fn prim(&self) -> Option<Prim> {
        Some(match self {
            Value::Bool(_) => Prim::Boolean,
            Value::Byte(_) => Prim::Byte,
            Value::Short(_) => Prim::Short,
            Value::Char(_) => Prim::Char,
            Value::Int(_) => Prim::Int,
            Value::Long(_) => Prim::Long,
            Value::Float(_) => Prim::Float,
            Value::Double(_) => Prim::Double,
            _ => return None,
        })
    }

    /// A `java.lang.Number` (Character is not a Number in Java).
    pub fn is_number(&self) -> bool {
        matches!(
            self,
            Value::Byte(_) | Value::Short(_) | Value::Int(_) | Value::Long(_) | Value::Float(_) | Value::Double(_)
        )
    }

    /// The runtime class as a static type, for `def` dispatch and `instanceof`.
    /// Primitives map to their boxes (a `def` holds boxed values).
    pub fn runtime_ty(&self) -> Ty {
        match self {
            Value::Null => Ty::Object,
            Value::Str(_) => Ty::String,
            Value::List(_) => Ty::ArrayList,
            Value::Map(_) => Ty::HashMap,
            Value::Set(_) => Ty::HashSet,
            Value::MapView(_, MapViewKind::Values) => Ty::Collection,
            Value::MapView(_, _) => Ty::Set,
            Value::MapEntry(_) => Ty::MapEntry,
            Value::Array(a) => Ty::Array(Box::new(a.borrow().elem.clone())),
            Value::Doc => Ty::DocMap,
            Value::DocField(f) => match f.kind {
                DocFieldKind::Long => Ty::DocLongs,
                DocFieldKind::Double => Ty::DocDoubles,
                DocFieldKind::Keyword => Ty::DocStrings,
                DocFieldKind::Vector => Ty::DocVector,
                DocFieldKind::Date => Ty::DocDates,
                DocFieldKind::Unmapped => Ty::DocLongs,
            },
            Value::ZonedDateTime(..) => Ty::ZonedDateTime,
            Value::Instant(_) => Ty::Instant,
            Value::Duration(_) => Ty::Duration,
            other => Ty::Boxed(other.prim().expect("invariant: remaining variants are primitives")),
        }
    }

    /// The runtime type name `scorelab exec` prints: `int long float double byte short char boolean
    /// String List Map null`, arrays as `int[]`.
    pub fn type_name(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Array(a) => format!("{}[]", elem_type_name(&a.borrow().elem)),
            Value::List(_) => "List".into(),
            Value::Map(_) => "Map".into(),
            Value::Set(_) => "Set".into(),
            Value::MapView(_, MapViewKind::Values) => "Collection".into(),
            Value::MapView(_, _) => "Set".into(),
            Value::MapEntry(_) => "Map.Entry".into(),
            Value::Str(_) => "String".into(),
            Value::Doc => "Map".into(),
            Value::DocField(_) | Value::ZonedDateTime(..) | Value::Instant(_) | Value::Duration(_) => {
                self.runtime_ty().short_name()
            }
            other => other.prim().expect("invariant: remaining variants are primitives").name().into(),
        }
    }

    /// Numeric value widened to f64 (char counts, as Java's widening of char does).
    pub fn as_f64(&self) -> Option<f64> {
        Some(match self {
            Value::Byte(v) => *v as f64,
            Value::Short(v) => *v as f64,
            Value::Char(v) => *v as f64,
            Value::Int(v) => *v as f64,
            Value::Long(v) => *v as f64,
            Value::Float(v) => *v as f64,
            Value::Double(v) => *v,
            _ => return None,
        })
    }

    /// Integral value widened to i64.
    pub fn as_i64(&self) -> Option<i64> {
        Some(match self {
            Value::Byte(v) => *v as i64,
            Value::Short(v) => *v as i64,
            Value::Char(v) => *v as i64,
            Value::Int(v) => *v as i64,
            Value::Long(v) => *v,
            _ => return None,
        })
    }

    /// Java `Object.equals` (not Painless `==`): boxes of different classes are never equal,
    /// `Double.equals` compares bits (NaN equals NaN, 0.0 differs from -0.0), collections compare
    /// element-wise.
    pub fn java_equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Byte(a), Value::Byte(b)) => a == b,
            (Value::Short(a), Value::Short(b)) => a == b,
            (Value::Char(a), Value::Char(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Long(a), Value::Long(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => float_bits(*a) == float_bits(*b),
            (Value::Double(a), Value::Double(b)) => double_bits(*a) == double_bits(*b),
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a), Value::List(b)) => {
                Rc::ptr_eq(a, b)
                    || deep(|| {
                        let (a, b) = (a.borrow(), b.borrow());
                        a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.java_equals(y))
                    })
            }
            (Value::Map(a), Value::Map(b)) | (Value::Set(a), Value::Set(b)) => {
                Rc::ptr_eq(a, b) || deep(|| a.borrow().java_equals(&b.borrow()))
            }
            (Value::MapEntry(a), Value::MapEntry(b)) => deep(|| a.0.java_equals(&b.0) && a.1.java_equals(&b.1)),
            // Arrays and views use identity equality in Java.
            (Value::Array(a), Value::Array(b)) => Rc::ptr_eq(a, b),
            (Value::MapView(a, ka), Value::MapView(b, kb)) => Rc::ptr_eq(a, b) && ka == kb,
            (Value::Doc, Value::Doc) => true,
            (Value::DocField(a), Value::DocField(b)) => a.name == b.name,
            // UTC date-times of one zone are equal when their instants are.
            (Value::ZonedDateTime(a, _), Value::ZonedDateTime(b, _)) | (Value::Instant(a), Value::Instant(b)) => a == b,
            (Value::Duration(a), Value::Duration(b)) => a == b,
            _ => false,
        }
    }

    /// Java `Object.hashCode` for the classes a value can be (HashMap bucket placement depends on it).
    pub fn java_hash_code(&self) -> i32 {
        match self {
            Value::Null => 0,
            Value::Bool(b) => {
                if *b {
                    1231
                } else {
                    1237
                }
            }
            Value::Byte(v) => *v as i32,
            Value::Short(v) => *v as i32,
            Value::Char(v) => *v as i32,
            Value::Int(v) => *v,
            Value::Long(v) => (*v ^ ((*v as u64) >> 32) as i64) as i32,
            Value::Float(v) => float_bits(*v) as i32,
            Value::Double(v) => {
                let bits = double_bits(*v);
                (bits ^ (bits >> 32)) as i32
            }
            Value::Str(s) => string_hash_code(s),
            Value::List(l) => {
                deep(|| l.borrow().iter().fold(1i32, |h, e| h.wrapping_mul(31).wrapping_add(e.java_hash_code())))
            }
            Value::Map(m) | Value::Set(m) => deep(|| m.borrow().java_hash_code()),
            Value::MapEntry(e) => deep(|| e.0.java_hash_code() ^ e.1.java_hash_code()),
            // Identity hash codes are not reproducible; these are never sensible map keys.
            Value::Array(a) => Rc::as_ptr(a) as usize as i32,
            Value::MapView(m, _) => Rc::as_ptr(m) as usize as i32,
            Value::Doc => 0,
            Value::DocField(f) => string_hash_code(&f.name),
            Value::Instant(i) => seconds_hash(i.secs).wrapping_add(51i32.wrapping_mul(i.nanos as i32)),
            Value::Duration(d) => seconds_hash(d.secs).wrapping_add(51i32.wrapping_mul(d.nanos as i32)),
            Value::ZonedDateTime(i, _) => zoned_utc_hash(*i),
        }
    }
}

/// Runs `f`, one level down a nested value, with stack to spare: equality, hash codes and
/// `toString` recurse once per level of nesting, and a script can nest lists 200,000 deep, so
/// the stack grows on the heap (`stacker`) instead of overflowing. The memory budget bounds the
/// depth (every level is an allocation). Java would throw StackOverflowError somewhere past
/// ~10,000 levels; locally such a value is still compared and printed.
#[inline]
pub(crate) fn deep<T>(f: impl FnOnce() -> T) -> T {
    stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, f)
}

/// Dropping a value drops what it owns. The derived drop would recurse once per level of nesting,
/// and a script can build a list nested 200,000 deep (`List m = new ArrayList(); m.add(l); l = m;`
/// in a loop), which overflows any native stack. Instead the children of every container this drop
/// owns outright are moved to a work list first, so each value is dropped with no children left.
impl Drop for Value {
    fn drop(&mut self) {
        if !owns_children(self) {
            return;
        }
        let mut pending: Vec<Value> = Vec::new();
        take_children(self, &mut pending);
        while let Some(mut v) = pending.pop() {
            take_children(&mut v, &mut pending);
            // `v` now owns no values: its own drop stops at `owns_children`.
        }
    }
}

/// True for a container this value is the only owner of (so its drop frees its children).
#[inline(always)]
fn owns_children(v: &Value) -> bool {
    match v {
        Value::List(rc) => Rc::strong_count(rc) == 1,
        Value::Map(rc) | Value::Set(rc) | Value::MapView(rc, _) => Rc::strong_count(rc) == 1,
        Value::MapEntry(rc) => Rc::strong_count(rc) == 1,
        Value::Array(rc) => Rc::strong_count(rc) == 1,
        _ => false,
    }
}

/// Moves the children of a container `v` solely owns that own children themselves to `out`,
/// dropping the others where they are (so a flat array of 9 million longs is not copied to be
/// freed), and leaves `v` empty.
fn take_children(v: &mut Value, out: &mut Vec<Value>) {
    let mut keep = |x: Value| {
        if owns_children(&x) {
            out.push(x);
        }
    };
    match v {
        Value::List(rc) => {
            if let Some(cell) = Rc::get_mut(rc) {
                cell.get_mut().drain(..).for_each(&mut keep);
            }
        }
        Value::Map(rc) | Value::Set(rc) | Value::MapView(rc, _) => {
            if let Some(cell) = Rc::get_mut(rc) {
                for (k, x) in cell.get_mut().take_entries() {
                    keep(k);
                    keep(x);
                }
            }
        }
        Value::MapEntry(rc) => {
            if let Some((k, x)) = Rc::get_mut(rc) {
                keep(std::mem::take(k));
                keep(std::mem::take(x));
            }
        }
        Value::Array(rc) => {
            if let Some(cell) = Rc::get_mut(rc) {
                cell.get_mut().items.drain(..).for_each(&mut keep);
            }
        }
        _ => {}
    }
}

impl PartialEq for Value {
    /// Java `equals` (used by tests and collection internals; Painless `==` is in the evaluator).
    fn eq(&self, other: &Value) -> bool {
        self.java_equals(other)
    }
}

/// `Float.floatToIntBits`: all NaNs collapse to the canonical NaN.
fn float_bits(v: f32) -> u32 {
    if v.is_nan() { 0x7fc0_0000 } else { v.to_bits() }
}

/// `Double.doubleToLongBits`: all NaNs collapse to the canonical NaN.
fn double_bits(v: f64) -> u64 {
    if v.is_nan() { 0x7ff8_0000_0000_0000 } else { v.to_bits() }
}

/// `(int) (seconds ^ (seconds >>> 32))`, the first term of `Instant`'s and `Duration`'s hash codes.
fn seconds_hash(secs: i64) -> i32 {
    (secs ^ ((secs as u64) >> 32) as i64) as i32
}

/// `ZonedDateTime.hashCode` of a UTC date-time: `LocalDate` ^ `LocalTime` (the offset and zone
/// `Z` hash to 0).
fn zoned_utc_hash(i: Instant) -> i32 {
    let days = i.secs.div_euclid(86_400);
    let (year, month, day) = crate::data::dates::civil_from_days(days);
    let y = year as i32;
    let date = (y & (0xFFFF_F800u32 as i32)) ^ ((y << 11) + ((month as i32) << 6) + day as i32);
    let nano_of_day = i.secs.rem_euclid(86_400) * 1_000_000_000 + i64::from(i.nanos);
    let time = (nano_of_day ^ ((nano_of_day as u64) >> 32) as i64) as i32;
    date ^ time
}

/// `String.hashCode` over UTF-16 code units.
pub fn string_hash_code(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

fn elem_type_name(elem: &Ty) -> String {
    match elem {
        Ty::Prim(p) => p.name().into(),
        Ty::Array(inner) => format!("{}[]", elem_type_name(inner)),
        other => other.short_name(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_codes_match_java() {
        assert_eq!(Value::str("hello").java_hash_code(), 99162322);
        assert_eq!(Value::Long(1 << 40).java_hash_code(), 256);
        assert_eq!(Value::Double(1.0).java_hash_code(), 1072693248);
        assert_eq!(Value::Bool(true).java_hash_code(), 1231);
    }

    #[test]
    fn equals_distinguishes_box_classes() {
        assert!(!Value::Int(7).java_equals(&Value::Long(7)));
        assert!(Value::Double(f64::NAN).java_equals(&Value::Double(f64::NAN)));
        assert!(!Value::Double(0.0).java_equals(&Value::Double(-0.0)));
    }

    #[test]
    fn type_names() {
        assert_eq!(Value::new_array(Ty::INT, vec![]).type_name(), "int[]");
        assert_eq!(Value::new_list(vec![]).type_name(), "List");
        assert_eq!(Value::Null.type_name(), "null");
    }
}
