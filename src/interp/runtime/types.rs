//! Static types as the checker sees them (`Ty`), plus the two switches every lookup depends on:
//! the script context and the target engine's dialect.
//!
//! Painless is statically typed with a dynamic escape hatch (`def`). The checker computes a `Ty` for
//! every expression; values at run time carry their own runtime class (`Value`), and `Ty::of_value`
//! maps one to the other for `def` dispatch.

use std::fmt;

/// Which script API a script is compiled against (painless-facts §12-13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScriptContext {
    /// `script_score` query: `params`, `doc`, `_score`; returns double, checked as a non-negative float.
    Score,
    /// `_script` sort of type `number`: `params`, `doc`, `_score`; returns double.
    Sort,
    /// `_scripts/painless/_execute` painless_test: `params` only; returns Object.
    Test,
}

impl ScriptContext {
    pub fn name(self) -> &'static str {
        match self {
            ScriptContext::Score => "score",
            ScriptContext::Sort => "sort",
            ScriptContext::Test => "test",
        }
    }

    /// Whether `doc` and `_score` exist in this context.
    pub fn has_document(self) -> bool {
        !matches!(self, ScriptContext::Test)
    }
}

/// The target engine, the one name for it across the crate (a script set's `"dialect"` in
/// `scriptset.json` is this, lowercase). Vector functions differ between Elasticsearch 8 and the
/// OpenSearch k-NN plugin (engines.md: OpenSearch's k-NN `cosineSimilarity` takes doc values, not a
/// field name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    #[default]
    Elasticsearch,
    OpenSearch,
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dialect::Elasticsearch => "elasticsearch",
            Dialect::OpenSearch => "opensearch",
        })
    }
}

/// The primitive types (their boxes are `Ty::Boxed(p)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Prim {
    Boolean,
    Byte,
    Short,
    Char,
    Int,
    Long,
    Float,
    Double,
}

impl Prim {
    pub fn name(self) -> &'static str {
        match self {
            Prim::Boolean => "boolean",
            Prim::Byte => "byte",
            Prim::Short => "short",
            Prim::Char => "char",
            Prim::Int => "int",
            Prim::Long => "long",
            Prim::Float => "float",
            Prim::Double => "double",
        }
    }

    /// The Java box class name (`Integer` for int).
    pub fn box_name(self) -> &'static str {
        match self {
            Prim::Boolean => "Boolean",
            Prim::Byte => "Byte",
            Prim::Short => "Short",
            Prim::Char => "Character",
            Prim::Int => "Integer",
            Prim::Long => "Long",
            Prim::Float => "Float",
            Prim::Double => "Double",
        }
    }

    pub fn is_numeric(self) -> bool {
        self != Prim::Boolean
    }

    pub fn is_integral(self) -> bool {
        matches!(self, Prim::Byte | Prim::Short | Prim::Char | Prim::Int | Prim::Long)
    }

    /// Java's implicit widening (JLS 5.1.2 as Painless applies it; painless-facts §4):
    /// byte→short→int→long→float→double, char→int, and byte→char is NOT allowed implicitly in
    /// Painless casting tables for assignment, so it is omitted here.
    pub fn widens_to(self, to: Prim) -> bool {
        use Prim::*;
        if self == to {
            return true;
        }
        match self {
            Byte => matches!(to, Short | Int | Long | Float | Double),
            Short => matches!(to, Int | Long | Float | Double),
            Char => matches!(to, Int | Long | Float | Double),
            Int => matches!(to, Long | Float | Double),
            Long => matches!(to, Float | Double),
            Float => matches!(to, Double),
            Double | Boolean => false,
        }
    }

    /// Java binary numeric promotion of two numeric primitives.
    pub fn promote(a: Prim, b: Prim) -> Prim {
        use Prim::*;
        if a == Double || b == Double {
            Double
        } else if a == Float || b == Float {
            Float
        } else if a == Long || b == Long {
            Long
        } else {
            Int
        }
    }

    /// Unary numeric promotion: byte/short/char become int.
    pub fn promote_unary(self) -> Prim {
        match self {
            Prim::Byte | Prim::Short | Prim::Char => Prim::Int,
            p => p,
        }
    }
}

/// A static type. Class types are the whitelisted ones the local subset knows; anything else the
/// checker reports as unknown (C2xx) or unsupported locally (L4xx).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ty {
    /// Method return type only.
    Void,
    Prim(Prim),
    /// `Integer`, `Double`...
    Boxed(Prim),
    Def,
    Object,
    Number,
    String,
    /// `CharSequence` (parameter type of `String.replace`/`contains`).
    CharSequence,
    Collection,
    List,
    ArrayList,
    Map,
    HashMap,
    /// `Map.Entry`
    MapEntry,
    Set,
    HashSet,
    Iterator,
    /// `T[]`, `T[][]`...
    Array(Box<Ty>),
    /// The `doc` variable (`Map` in ES, so `doc['f']` is def).
    DocMap,
    /// `ScriptDocValues` of a numeric long-valued field (`ScriptDocValues.Longs`).
    DocLongs,
    /// `ScriptDocValues.Doubles`.
    DocDoubles,
    /// `ScriptDocValues.Strings` (keyword).
    DocStrings,
    /// `ScriptDocValues.Booleans`.
    DocBooleans,
    /// A dense_vector field's doc values (`DenseVectorScriptDocValues` / OpenSearch `KNNVectorScriptDocValues`).
    DocVector,
    /// `ScriptDocValues.Dates` of a date field.
    DocDates,
    /// `java.time.ZonedDateTime` (a date doc value, always UTC; OpenSearch's
    /// `JodaCompatibleZonedDateTime` wraps one and delegates to it).
    ZonedDateTime,
    /// `java.time.Instant`.
    Instant,
    /// `java.time.Duration`.
    Duration,
}

impl Ty {
    pub const INT: Ty = Ty::Prim(Prim::Int);
    pub const LONG: Ty = Ty::Prim(Prim::Long);
    pub const FLOAT: Ty = Ty::Prim(Prim::Float);
    pub const DOUBLE: Ty = Ty::Prim(Prim::Double);
    pub const BOOLEAN: Ty = Ty::Prim(Prim::Boolean);
    pub const BYTE: Ty = Ty::Prim(Prim::Byte);
    pub const SHORT: Ty = Ty::Prim(Prim::Short);
    pub const CHAR: Ty = Ty::Prim(Prim::Char);

    pub fn prim(&self) -> Option<Prim> {
        match self {
            Ty::Prim(p) => Some(*p),
            _ => None,
        }
    }

    pub fn is_primitive(&self) -> bool {
        matches!(self, Ty::Prim(_))
    }

    pub fn is_numeric_primitive(&self) -> bool {
        matches!(self, Ty::Prim(p) if p.is_numeric())
    }

    pub fn is_def(&self) -> bool {
        matches!(self, Ty::Def)
    }

    /// Reference types can hold null.
    pub fn is_reference(&self) -> bool {
        !matches!(self, Ty::Prim(_) | Ty::Void)
    }

    /// The canonical name Painless prints in messages (`Cannot cast from [int] to [java.lang.String].`):
    /// `PainlessLookupUtility.typeToCanonicalTypeName` is the Java canonical name (primitives and
    /// `def` as written, classes fully qualified, nested classes with a dot); checked on the engine.
    pub fn painless_name(&self) -> String {
        match self {
            Ty::Prim(_) | Ty::Def | Ty::Void => self.short_name(),
            Ty::Boxed(p) => format!("java.lang.{}", p.box_name()),
            Ty::Object | Ty::Number | Ty::String | Ty::CharSequence => format!("java.lang.{}", self.short_name()),
            Ty::Collection | Ty::List | Ty::ArrayList | Ty::Map | Ty::DocMap | Ty::HashMap | Ty::MapEntry => {
                format!("java.util.{}", self.short_name())
            }
            Ty::Set | Ty::HashSet | Ty::Iterator => format!("java.util.{}", self.short_name()),
            Ty::DocLongs => "org.elasticsearch.index.fielddata.ScriptDocValues.Longs".into(),
            Ty::DocDoubles => "org.elasticsearch.index.fielddata.ScriptDocValues.Doubles".into(),
            Ty::DocStrings => "org.elasticsearch.index.fielddata.ScriptDocValues.Strings".into(),
            Ty::DocBooleans => "org.elasticsearch.index.fielddata.ScriptDocValues.Booleans".into(),
            Ty::DocVector => "org.elasticsearch.script.field.vectors.DenseVectorScriptDocValues".into(),
            Ty::DocDates => "org.elasticsearch.index.fielddata.ScriptDocValues.Dates".into(),
            Ty::ZonedDateTime | Ty::Instant | Ty::Duration => format!("java.time.{}", self.short_name()),
            Ty::Array(elem) => format!("{}[]", elem.painless_name()),
        }
    }

    /// The short class name used in `Unknown call [m] with [n] arguments on type [List].`
    pub fn short_name(&self) -> String {
        match self {
            Ty::Prim(p) => p.name().into(),
            Ty::Boxed(p) => p.box_name().into(),
            Ty::Def => "def".into(),
            Ty::Object => "Object".into(),
            Ty::Number => "Number".into(),
            Ty::String => "String".into(),
            Ty::CharSequence => "CharSequence".into(),
            Ty::Collection => "Collection".into(),
            Ty::List => "List".into(),
            Ty::ArrayList => "ArrayList".into(),
            Ty::Map | Ty::DocMap => "Map".into(),
            Ty::HashMap => "HashMap".into(),
            Ty::MapEntry => "Map.Entry".into(),
            Ty::Set => "Set".into(),
            Ty::HashSet => "HashSet".into(),
            Ty::Iterator => "Iterator".into(),
            Ty::Array(elem) => format!("{}[]", elem.short_name()),
            Ty::Void => "void".into(),
            Ty::DocLongs => "ScriptDocValues.Longs".into(),
            Ty::DocDoubles => "ScriptDocValues.Doubles".into(),
            Ty::DocStrings => "ScriptDocValues.Strings".into(),
            Ty::DocBooleans => "ScriptDocValues.Booleans".into(),
            Ty::DocVector => "DenseVectorScriptDocValues".into(),
            Ty::DocDates => "ScriptDocValues.Dates".into(),
            Ty::ZonedDateTime => "ZonedDateTime".into(),
            Ty::Instant => "Instant".into(),
            Ty::Duration => "Duration".into(),
        }
    }

    /// The chain of types whose registered members this type inherits, most specific first
    /// (method lookup walks it; runtime registers each member once, on its declaring type).
    pub fn lookup_chain(&self) -> Vec<Ty> {
        let mut chain = vec![self.clone()];
        chain.extend(self.supertypes().iter().cloned());
        chain
    }

    /// `lookup_chain` without `self`, borrowed (no allocation: the evaluator resolves `def`
    /// members through it on every call).
    pub fn supertypes(&self) -> &'static [Ty] {
        match self {
            Ty::ArrayList => &[Ty::List, Ty::Collection, Ty::Object],
            Ty::List => &[Ty::Collection, Ty::Object],
            Ty::HashSet => &[Ty::Set, Ty::Collection, Ty::Object],
            Ty::Set => &[Ty::Collection, Ty::Object],
            Ty::Collection => &[Ty::Object],
            Ty::HashMap => &[Ty::Map, Ty::Object],
            Ty::Map | Ty::DocMap => &[Ty::Object],
            Ty::String => &[Ty::CharSequence, Ty::Object],
            Ty::Boxed(p) if p.is_numeric() => &[Ty::Number, Ty::Object],
            Ty::Boxed(_) => &[Ty::Object],
            Ty::Number | Ty::CharSequence | Ty::MapEntry | Ty::Iterator | Ty::Array(_) => &[Ty::Object],
            Ty::ZonedDateTime | Ty::Instant | Ty::Duration => &[Ty::Object],
            // Doc values are Lists in Java (ScriptDocValues extends AbstractList).
            Ty::DocLongs | Ty::DocDoubles | Ty::DocStrings | Ty::DocBooleans | Ty::DocVector | Ty::DocDates => {
                &[Ty::List, Ty::Collection, Ty::Object]
            }
            Ty::Prim(_) | Ty::Void | Ty::Def | Ty::Object => &[],
        }
    }

    /// Whether a value of static type `self` can be assigned to `to` without a cast (reference
    /// subtyping; primitives use `Prim::widens_to`; `def` accepts and converts to everything).
    pub fn assignable_to(&self, to: &Ty) -> bool {
        if self == to || to.is_def() || self.is_def() {
            return true;
        }
        match (self, to) {
            (Ty::Prim(a), Ty::Prim(b)) => a.widens_to(*b),
            (Ty::Prim(_), _) | (_, Ty::Prim(_)) => false,
            (_, Ty::Object) => true,
            (Ty::Array(a), Ty::Array(b)) => a == b,
            _ => self.lookup_chain().iter().any(|t| t == to),
        }
    }

    /// Resolve a type name as written in source (`int`, `def`, `Map.Entry`, `java.util.List`).
    /// Arrays are handled by the caller from `TypeName::dims`. None: not a class the local subset knows.
    pub fn from_name(name: &str) -> Option<Ty> {
        let short = name
            .strip_prefix("java.lang.")
            .or_else(|| name.strip_prefix("java.util."))
            .or_else(|| name.strip_prefix("java.time."))
            .unwrap_or(name);
        Some(match short {
            "void" => Ty::Void,
            "boolean" => Ty::BOOLEAN,
            "byte" => Ty::BYTE,
            "short" => Ty::SHORT,
            "char" => Ty::CHAR,
            "int" => Ty::INT,
            "long" => Ty::LONG,
            "float" => Ty::FLOAT,
            "double" => Ty::DOUBLE,
            "def" => Ty::Def,
            "Boolean" => Ty::Boxed(Prim::Boolean),
            "Byte" => Ty::Boxed(Prim::Byte),
            "Short" => Ty::Boxed(Prim::Short),
            "Character" => Ty::Boxed(Prim::Char),
            "Integer" => Ty::Boxed(Prim::Int),
            "Long" => Ty::Boxed(Prim::Long),
            "Float" => Ty::Boxed(Prim::Float),
            "Double" => Ty::Boxed(Prim::Double),
            "Object" => Ty::Object,
            "Number" => Ty::Number,
            "String" => Ty::String,
            "CharSequence" => Ty::CharSequence,
            "Collection" => Ty::Collection,
            "List" => Ty::List,
            "ArrayList" => Ty::ArrayList,
            "Map" => Ty::Map,
            "HashMap" => Ty::HashMap,
            "Map.Entry" | "Map$Entry" => Ty::MapEntry,
            "Set" => Ty::Set,
            "HashSet" => Ty::HashSet,
            "Iterator" => Ty::Iterator,
            "ZonedDateTime" => Ty::ZonedDateTime,
            "Instant" => Ty::Instant,
            "Duration" => Ty::Duration,
            _ => return None,
        })
    }

    pub fn array_of(self, dims: u8) -> Ty {
        (0..dims).fold(self, |t, _| Ty::Array(Box::new(t)))
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.painless_name())
    }
}
