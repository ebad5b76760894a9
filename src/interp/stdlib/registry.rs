//! The whitelist contract between the interpreter and the runtime library (`src/interp/stdlib/`).
//!
//! The checker resolves every statically typed member through these lookups at compile time; the
//! evaluator resolves `def` receivers through the same lookups at run time, keyed by the value's
//! runtime class (`Value::runtime_ty`). The runtime library fills the tables in `lib::register`.
//!
//! Calling convention: before an `imp` runs, the evaluator has converted every argument to its
//! declared parameter type (an `int` passed to a `double` parameter arrives as `Value::Double`; a
//! `def` argument is converted with Painless's runtime rules or fails with ClassCastException), and
//! null receivers have already raised NullPointerException. An `imp` returns a value whose variant
//! matches `ret` (for `def`/`Object` returns, any variant). Painless resolves members by name and
//! arity only (no same-arity overloads), so the tables are keyed that way.

use crate::interp::runtime::error::RuntimeError;
use crate::interp::runtime::limits::Limits;
use crate::interp::runtime::types::{Dialect, ScriptContext, Ty};
use crate::interp::runtime::value::Value;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// FNV-1a: the tables are keyed by short member names and looked up on every `def` call, where
/// SipHash's per-lookup cost showed in profiles; the keys are our own names, not attacker input.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type NameMap<V> = HashMap<&'static str, V, BuildHasherDefault<Fnv>>;

/// The document under evaluation: doc values and the item vector are read from the store.
#[derive(Clone, Copy)]
pub struct DocCtx<'a> {
    pub store: &'a crate::store::Store,
    pub item: crate::store::ItemIdx,
}

/// What a library function may look at while it runs.
pub struct CallCtx<'a> {
    dialect: Dialect,
    context: ScriptContext,
    limits: &'a Limits,
    doc: Option<DocCtx<'a>>,
    /// Bytes this evaluation has allocated for strings, arrays, lists and maps (one `CallCtx` per
    /// evaluation), against `Limits::max_alloc_bytes`.
    allocated: std::cell::Cell<usize>,
    /// The Lucene vector arithmetic the target engine runs (see `lib::vectors::VectorArithmetic`).
    vectors: crate::interp::stdlib::vectors::VectorArithmetic,
}

/// Bytes charged per list or array element (one `Value`).
pub const ELEMENT_BYTES: usize = std::mem::size_of::<Value>();
/// Bytes charged per map or set entry (key, value and the bucket node's hash).
pub const ENTRY_BYTES: usize = 2 * std::mem::size_of::<Value>() + 8;

impl<'a> CallCtx<'a> {
    /// A context without a document (test context, unit tests of library functions).
    pub fn detached(dialect: Dialect, context: ScriptContext, limits: &'a Limits) -> Self {
        CallCtx { dialect, context, limits, doc: None, allocated: std::cell::Cell::new(0), vectors: Default::default() }
    }

    /// A context evaluating one document of a store.
    pub fn for_document(dialect: Dialect, context: ScriptContext, limits: &'a Limits, doc: DocCtx<'a>) -> Self {
        CallCtx {
            dialect,
            context,
            limits,
            doc: Some(doc),
            allocated: std::cell::Cell::new(0),
            vectors: Default::default(),
        }
    }

    /// The same context computing vector functions in `vectors`.
    pub fn with_vectors(mut self, vectors: crate::interp::stdlib::vectors::VectorArithmetic) -> Self {
        self.vectors = vectors;
        self
    }

    /// The Lucene vector arithmetic to reproduce.
    pub fn vectors(&self) -> crate::interp::stdlib::vectors::VectorArithmetic {
        self.vectors
    }

    /// The same context evaluating `doc` (score and sort contexts, one item at a time).
    pub fn with_doc(mut self, doc: DocCtx<'a>) -> Self {
        self.doc = Some(doc);
        self
    }

    /// The document under evaluation, if any.
    pub fn doc(&self) -> Option<DocCtx<'a>> {
        self.doc
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn context(&self) -> ScriptContext {
        self.context
    }

    pub fn limits(&self) -> &Limits {
        self.limits
    }

    /// Counts `bytes` against the evaluation's memory budget (`Limits::max_alloc_bytes`); fails
    /// with the local "unsupported" error, before the allocation is made, once it is spent.
    /// Allocations are counted when made and never given back, so the budget also bounds the
    /// work of scripts that copy ever larger values (quadratic string appends).
    pub fn charge(&self, bytes: usize) -> Result<(), RuntimeError> {
        let total = self.allocated.get().saturating_add(bytes);
        let allowed = self.limits.alloc_bytes_per_evaluation();
        if total > allowed {
            let share = match self.limits.budget_shared_by {
                0 | 1 => String::new(),
                workers => format!(
                    " (the memory budget of {} bytes shared by {workers} worker threads)",
                    self.limits.max_alloc_bytes
                ),
            };
            return Err(RuntimeError::unsupported_locally(format!(
                "the script allocated more than the local memory budget of {allowed} bytes in one evaluation{share} \
                 (Limits::max_alloc_bytes, --memory-budget); Elasticsearch may run it"
            )));
        }
        self.allocated.set(total);
        Ok(())
    }

    /// Bytes charged so far in this evaluation.
    pub fn allocated(&self) -> usize {
        self.allocated.get()
    }

    /// Charges `n` new list or array elements.
    pub fn charge_elements(&self, n: usize) -> Result<(), RuntimeError> {
        self.charge(n.saturating_mul(ELEMENT_BYTES))
    }

    /// Charges `n` new map or set entries.
    pub fn charge_entries(&self, n: usize) -> Result<(), RuntimeError> {
        self.charge(n.saturating_mul(ENTRY_BYTES))
    }

    /// Fails with the local "unsupported" error when a new string of `len` bytes would exceed
    /// the cap, and charges it to the memory budget: twice, since a new string exists twice while
    /// it is made (the `String` it is built in, then the `Rc<str>` a `Value` holds).
    pub fn check_string_len(&self, len: usize) -> Result<(), RuntimeError> {
        self.check_string_cap(len)?;
        self.charge(len.saturating_mul(2))
    }

    /// The per-string cap alone (for a check made before the string exists).
    pub fn check_string_cap(&self, len: usize) -> Result<(), RuntimeError> {
        if len > self.limits.max_string_len {
            return Err(RuntimeError::unsupported_locally(format!(
                "string of {len} bytes exceeds the local limit of {} bytes",
                self.limits.max_string_len
            )));
        }
        Ok(())
    }

    /// Fails with the local "unsupported" error when a collection would exceed the cap.
    pub fn check_collection_len(&self, len: usize) -> Result<(), RuntimeError> {
        if len > self.limits.max_collection_len {
            return Err(RuntimeError::unsupported_locally(format!(
                "collection of {len} elements exceeds the local limit of {} elements",
                self.limits.max_collection_len
            )));
        }
        Ok(())
    }
}

/// An instance method `receiver.name(params...)`.
pub type MethodImp = fn(&CallCtx<'_>, &Value, &[Value]) -> Result<Value, RuntimeError>;
/// A static method, a plain context function, or a field getter with its receiver in `args[0]`.
pub type StaticImp = fn(&CallCtx<'_>, &[Value]) -> Result<Value, RuntimeError>;
/// A field read `receiver.name`.
pub type FieldImp = fn(&CallCtx<'_>, &Value) -> Result<Value, RuntimeError>;

#[derive(Clone, Debug)]
pub struct MethodSig {
    /// The declaring type; subtypes inherit it through `Ty::lookup_chain`.
    pub receiver: Ty,
    pub name: &'static str,
    pub params: Vec<Ty>,
    pub ret: Ty,
    pub imp: MethodImp,
}

#[derive(Clone, Debug)]
pub struct StaticSig {
    /// The class as written in scripts (`Math`, `Integer`).
    pub class: &'static str,
    pub name: &'static str,
    pub params: Vec<Ty>,
    pub ret: Ty,
    pub imp: StaticImp,
}

#[derive(Clone, Debug)]
pub struct StaticFieldSig {
    pub class: &'static str,
    pub name: &'static str,
    pub ty: Ty,
    pub value: fn() -> Value,
}

/// A readable field (`doc['v'].vectorValue`, `doc['f'].value` through its getter).
#[derive(Clone, Debug)]
pub struct FieldSig {
    pub receiver: Ty,
    pub name: &'static str,
    pub ty: Ty,
    pub imp: FieldImp,
}

/// ES "class bindings" (`cosineSimilarity`, `decayNumericGauss`...): the first `ctor_args` arguments
/// build an instance once per script instance (ES caches it in a field on first call; later calls
/// jump over the constructor and its arguments), then each call passes the remaining arguments.
pub trait FunctionBinding {
    fn call(&self, ctx: &CallCtx<'_>, rest: &[Value]) -> Result<Value, RuntimeError>;

    /// Batch form of `call` without further arguments, for the documents `items` of `store`:
    /// writes each document's `Value::Double` result into `out` and returns true, bit-identical
    /// to `call`; or returns false (no batch form, or a result would not be a Double or an error),
    /// and the caller calls `call` per document.
    fn call_batch(&self, _store: &crate::store::Store, _items: &[crate::store::ItemIdx], _out: &mut [f64]) -> bool {
        false
    }
}

pub type BindingCtor = fn(&CallCtx<'_>, &[Value]) -> Result<Box<dyn FunctionBinding>, RuntimeError>;

#[derive(Clone, Copy, Debug)]
pub enum FunctionImp {
    /// Evaluated on every call.
    Plain(StaticImp),
    /// See [`FunctionBinding`]; the evaluator caches the instance per call site in `Bound`.
    Binding { ctor_args: usize, new: BindingCtor },
}

/// A context function called without a receiver: score functions and vector functions.
#[derive(Clone, Debug)]
pub struct FunctionSig {
    pub name: &'static str,
    pub params: Vec<Ty>,
    pub ret: Ty,
    /// None: both dialects.
    pub dialect: Option<Dialect>,
    /// Contexts that whitelist it (score functions exist in score context only).
    pub contexts: Vec<ScriptContext>,
    pub imp: FunctionImp,
}

/// The tables. Built once by `lib::register`, then read-only. Keyed by member name first so that
/// lookups with a borrowed `&str` allocate nothing (the evaluator looks up `def` calls at run time).
#[derive(Default)]
pub struct Registry {
    methods: NameMap<Vec<MethodSig>>,
    statics: NameMap<Vec<StaticSig>>,
    static_fields: NameMap<Vec<StaticFieldSig>>,
    fields: NameMap<Vec<FieldSig>>,
    functions: NameMap<Vec<FunctionSig>>,
    /// Members ES has that the local subset refuses: (owner short name or static class, member) → reason.
    unsupported_members: HashMap<(String, String), &'static str>,
    /// Classes ES whitelists that the local subset refuses (`ZonedDateTime`, `Collections`...).
    unsupported_classes: HashMap<String, &'static str>,
    /// Static classes with at least one registration (`Math`, `Integer`...).
    static_classes: Vec<&'static str>,
}

impl Registry {
    pub fn add_method(&mut self, sig: MethodSig) {
        self.methods.entry(sig.name).or_default().push(sig);
    }

    pub fn add_static(&mut self, sig: StaticSig) {
        if !self.static_classes.contains(&sig.class) {
            self.static_classes.push(sig.class);
        }
        self.statics.entry(sig.name).or_default().push(sig);
    }

    pub fn add_static_field(&mut self, sig: StaticFieldSig) {
        if !self.static_classes.contains(&sig.class) {
            self.static_classes.push(sig.class);
        }
        self.static_fields.entry(sig.name).or_default().push(sig);
    }

    pub fn add_field(&mut self, sig: FieldSig) {
        self.fields.entry(sig.name).or_default().push(sig);
    }

    pub fn add_function(&mut self, sig: FunctionSig) {
        self.functions.entry(sig.name).or_default().push(sig);
    }

    /// `owner` is a type's short name (`List`) or a static class (`Math`).
    pub fn add_unsupported_member(&mut self, owner: &str, member: &str, reason: &'static str) {
        self.unsupported_members.insert((owner.to_string(), member.to_string()), reason);
    }

    pub fn add_unsupported_class(&mut self, class: &str, reason: &'static str) {
        self.unsupported_classes.insert(class.to_string(), reason);
    }

    /// An instance method on `ty` or one of its supertypes (most specific first).
    pub fn lookup_method(&self, ty: &Ty, name: &str, arity: usize) -> Option<&MethodSig> {
        let candidates = self.methods.get(name)?;
        std::iter::once(ty)
            .chain(ty.supertypes())
            .find_map(|t| candidates.iter().find(|m| m.receiver == *t && m.params.len() == arity))
    }

    /// Whether `ty` has a method of that name with any arity (for the "wrong arity" wording).
    pub fn has_method_named(&self, ty: &Ty, name: &str) -> bool {
        let chain = ty.lookup_chain();
        self.methods.get(name).is_some_and(|ms| ms.iter().any(|m| chain.contains(&m.receiver)))
    }

    pub fn lookup_field(&self, ty: &Ty, name: &str) -> Option<&FieldSig> {
        let candidates = self.fields.get(name)?;
        std::iter::once(ty).chain(ty.supertypes()).find_map(|t| candidates.iter().find(|f| f.receiver == *t))
    }

    pub fn lookup_static(&self, class: &str, name: &str, arity: usize) -> Option<&StaticSig> {
        self.statics.get(name)?.iter().find(|s| s.class == class && s.params.len() == arity)
    }

    pub fn lookup_static_field(&self, class: &str, name: &str) -> Option<&StaticFieldSig> {
        self.static_fields.get(name)?.iter().find(|s| s.class == class)
    }

    pub fn is_static_class(&self, class: &str) -> bool {
        self.static_classes.contains(&class)
    }

    /// A score/vector function visible in this dialect and context.
    pub fn lookup_function(
        &self,
        name: &str,
        arity: usize,
        dialect: Dialect,
        context: ScriptContext,
    ) -> Option<&FunctionSig> {
        self.functions.get(name)?.iter().find(|f| {
            f.params.len() == arity && f.dialect.is_none_or(|d| d == dialect) && f.contexts.contains(&context)
        })
    }

    /// Whether a function of that name exists in any dialect, context or arity (for better messages).
    pub fn has_function_named(&self, name: &str) -> bool {
        self.functions.contains_key(name)
    }

    pub fn unsupported_member(&self, owner: &str, member: &str) -> Option<&'static str> {
        self.unsupported_members.get(&(owner.to_string(), member.to_string())).copied()
    }

    pub fn unsupported_class(&self, class: &str) -> Option<&'static str> {
        self.unsupported_classes.get(class).copied()
    }
    /// Every static method and constant, as `(class, member)` pairs sorted by class then member, with
    /// methods written `name(arity)`-free: what the LLM cheat-sheet lists (so it cannot drift).
    pub fn static_members(&self) -> Vec<(&'static str, &'static str)> {
        let mut out: Vec<(&'static str, &'static str)> = self
            .statics
            .values()
            .flatten()
            .map(|s| (s.class, s.name))
            .chain(self.static_fields.values().flatten().map(|f| (f.class, f.name)))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The instance methods declared on `ty` itself (not inherited), sorted and deduplicated by name.
    pub fn method_names(&self, ty: &Ty) -> Vec<&'static str> {
        let mut out: Vec<&'static str> =
            self.methods.values().flatten().filter(|m| m.receiver == *ty).map(|m| m.name).collect();
        out.sort();
        out.dedup();
        out
    }

    /// The readable fields declared on `ty` (`value`, `empty`...), sorted.
    pub fn field_names(&self, ty: &Ty) -> Vec<&'static str> {
        let mut out: Vec<&'static str> =
            self.fields.values().flatten().filter(|f| f.receiver == *ty).map(|f| f.name).collect();
        out.sort();
        out.dedup();
        out
    }

    /// The context functions visible in `dialect` and `context`, with their parameter types.
    pub fn functions_in(&self, dialect: Dialect, context: ScriptContext) -> Vec<(&'static str, Vec<String>)> {
        let mut out: Vec<(&'static str, Vec<String>)> = self
            .functions
            .values()
            .flatten()
            .filter(|f| f.dialect.is_none_or(|d| d == dialect) && f.contexts.contains(&context))
            .map(|f| (f.name, f.params.iter().map(Ty::short_name).collect()))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The process-wide registry, filled by the runtime library on first use.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut reg = Registry::default();
        crate::interp::stdlib::register(&mut reg);
        reg
    })
}

/// `f(prefix + Capitalized(name))`: the getter a field name stands for (`value` → `getValue`), built
/// on the stack for short ASCII names (no allocation per field access such as `doc['f'].value`, when
/// checked and when read dynamically).
pub(crate) fn with_getter_name<R>(prefix: &str, name: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 64];
    let (p, n) = (prefix.as_bytes(), name.as_bytes());
    if !n.is_empty() && n[0].is_ascii() && p.len() + n.len() <= buf.len() {
        buf[..p.len()].copy_from_slice(p);
        buf[p.len()..p.len() + n.len()].copy_from_slice(n);
        buf[p.len()] = n[0].to_ascii_uppercase();
        if let Ok(s) = std::str::from_utf8(&buf[..p.len() + n.len()]) {
            return f(s);
        }
    }
    f(&format!("{prefix}{}", capitalize(name)))
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
