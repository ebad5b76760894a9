//! Painless's casting and promotion tables (AnalyzerCaster), as far as the local subset's types go.

use crate::interp::ir::Conv;
use crate::interp::runtime::types::{Prim, Ty};

/// Why a cast is illegal: ES's ClassCastException message.
pub fn cannot_cast(from: &Ty, to: &Ty) -> String {
    format!("Cannot cast from [{}] to [{}].", from.painless_name(), to.painless_name())
}

/// The conversion for assigning a value of static type `from` to `to`.
/// `explicit`: under `(T) x`; `internal`: method arguments, returns, collection initialisers
/// (Painless lets those box primitives). `Ok(None)` means no conversion is needed.
pub fn legal_cast(from: &Ty, to: &Ty, explicit: bool, internal: bool) -> Result<Option<Conv>, String> {
    if from == to {
        return Ok(None);
    }
    match (from, to) {
        (_, Ty::Def) => Ok(None),
        (Ty::Def, Ty::Object) => Ok(None),
        (Ty::Def, t) => Ok(Some(if explicit { Conv::DefExplicit(t.clone()) } else { Conv::DefImplicit(t.clone()) })),
        (Ty::Prim(a), Ty::Prim(b)) => {
            if *a == Prim::Boolean || *b == Prim::Boolean {
                return Err(cannot_cast(from, to));
            }
            if a.widens_to(*b) || explicit { Ok(Some(Conv::Prim(*b))) } else { Err(cannot_cast(from, to)) }
        }
        // Boxing: into def/Object/Number always (values are already boxed at run time); into the
        // exact box under an explicit cast or internally.
        (Ty::Prim(_), Ty::Object) => Ok(None),
        (Ty::Prim(p), Ty::Number) if p.is_numeric() && *p != Prim::Char => Ok(None),
        (Ty::Prim(p), Ty::Boxed(b)) if p == b && (explicit || internal) => Ok(None),
        (Ty::Prim(p), Ty::Boxed(b)) if p.widens_to(*b) && internal => Ok(Some(Conv::Prim(*b))),
        (Ty::Boxed(b), Ty::Prim(p)) if b.widens_to(*p) || (explicit && b.is_numeric() && p.is_numeric()) => {
            Ok(Some(Conv::Unbox(*p)))
        }
        (Ty::String, Ty::Prim(Prim::Char)) if explicit => Ok(Some(Conv::StringToChar)),
        (Ty::Prim(Prim::Char), Ty::String) if explicit => Ok(Some(Conv::CharToString)),
        (Ty::Object | Ty::Number, Ty::Prim(p)) if explicit => Ok(Some(Conv::DefExplicit(Ty::Prim(*p)))),
        (_, Ty::Prim(_)) | (Ty::Prim(_), _) => Err(cannot_cast(from, to)),
        _ => {
            if from.assignable_to(to) {
                Ok(None)
            } else if explicit && to.assignable_to(from) {
                Ok(Some(Conv::CheckRef(to.clone())))
            } else {
                Err(cannot_cast(from, to))
            }
        }
    }
}

/// `promoteNumeric(a, b, decimal)`: None when not both numeric.
pub fn promote_numeric(a: &Ty, b: &Ty, decimal: bool) -> Option<Ty> {
    if a.is_def() || b.is_def() {
        return Some(Ty::Def);
    }
    // ES's `AnalyzerCaster.promoteNumeric`: the widest primitive on EITHER side decides, so
    // `"a" - 1` promotes to int and then fails on casting the String (not "cannot apply").
    let either = |p: Prim| *a == Ty::Prim(p) || *b == Ty::Prim(p);
    let p = if decimal && either(Prim::Double) {
        Prim::Double
    } else if decimal && either(Prim::Float) {
        Prim::Float
    } else if either(Prim::Long) {
        Prim::Long
    } else if [Prim::Int, Prim::Char, Prim::Short, Prim::Byte].into_iter().any(either) {
        Prim::Int
    } else {
        return None;
    };
    Some(Ty::Prim(p))
}

/// Unary promotion (`-x`, `~x`, shift operands).
pub fn promote_unary(a: &Ty, decimal: bool) -> Option<Ty> {
    if a.is_def() {
        return Some(Ty::Def);
    }
    let p = numeric(a)?.promote_unary();
    if !decimal && matches!(p, Prim::Float | Prim::Double) {
        return None;
    }
    Some(Ty::Prim(p))
}

/// `promoteAdd`: String wins, else numeric.
pub fn promote_add(a: &Ty, b: &Ty) -> Option<Ty> {
    if *a == Ty::String || *b == Ty::String {
        return Some(Ty::String);
    }
    promote_numeric(a, b, true)
}

/// `promoteXor` (`^`, and the compound `&=`/`|=`): booleans or integers.
pub fn promote_xor(a: &Ty, b: &Ty) -> Option<Ty> {
    if a.is_def() || b.is_def() {
        return Some(Ty::Def);
    }
    if *a == Ty::BOOLEAN || *b == Ty::BOOLEAN {
        return Some(Ty::BOOLEAN);
    }
    promote_numeric(a, b, false)
}

/// `promoteEquality`.
pub fn promote_equality(a: &Ty, b: &Ty) -> Option<Ty> {
    if a.is_def() || b.is_def() {
        return Some(Ty::Def);
    }
    if a.is_primitive() && b.is_primitive() {
        if *a == Ty::BOOLEAN && *b == Ty::BOOLEAN {
            return Some(Ty::BOOLEAN);
        }
        return promote_numeric(a, b, true);
    }
    Some(Ty::Object)
}

/// `promoteConditional`: the type of `c ? a : b` without a target type.
pub fn promote_conditional(a: &Ty, b: &Ty) -> Ty {
    if a == b {
        return a.clone();
    }
    if a.is_def() || b.is_def() {
        return Ty::Def;
    }
    if let (Some(pa), Some(pb)) = (numeric(a), numeric(b)) {
        return Ty::Prim(Prim::promote(pa, pb));
    }
    if a.is_primitive() || b.is_primitive() {
        return Ty::Def;
    }
    if a.assignable_to(b) {
        return b.clone();
    }
    if b.assignable_to(a) {
        return a.clone();
    }
    Ty::Object
}

fn numeric(t: &Ty) -> Option<Prim> {
    match t {
        Ty::Prim(p) if p.is_numeric() => Some(*p),
        _ => None,
    }
}
