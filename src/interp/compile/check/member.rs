//! Member access: indexing, fields (incl. `doc[..]`/`params.x` checks), method calls and bare calls.
//! Split from `expr.rs` along the seam between operators and members.

use super::expr::Typed;
use super::{CResult, Checker, error, unsupported, unsupported_because};
use crate::interp::ir::{DefSite, Expr, ExprKind};
use crate::interp::runtime::types::{ScriptContext, Ty};
use crate::interp::stdlib::registry::with_getter_name;
use crate::painless::ast::{self, Literal};
use crate::painless::code;
use crate::painless::{Severity, Span};

impl<'a> Checker<'a> {
    /// Index expression and element type for `recv[index]` given the receiver's static type, and
    /// for a `def` receiver its call site (the index keeps its own type, painless-facts §4).
    pub(super) fn index_parts(
        &mut self,
        recv_ty: &Ty,
        index: &ast::Expr,
        span: Span,
    ) -> CResult<(Expr, Ty, Option<Box<DefSite>>)> {
        let (i, ty) = match recv_ty {
            Ty::Def => {
                let i = self.check_expr(index, None)?;
                return Ok((i.ir, Ty::Def, Some(DefSite::new(vec![i.ty]))));
            }
            _ => self.typed_index_parts(recv_ty, index, span)?,
        };
        Ok((i, ty, None))
    }

    /// `index_parts` for receivers with a static type (a `def` one is never passed here).
    fn typed_index_parts(&mut self, recv_ty: &Ty, index: &ast::Expr, span: Span) -> CResult<(Expr, Ty)> {
        match recv_ty {
            Ty::Array(elem) => {
                let i = self.check_expr(index, Some(&Ty::INT))?;
                Ok((self.convert(i, &Ty::INT, false, false, index.span)?, (**elem).clone()))
            }
            Ty::Map | Ty::HashMap => {
                let k = self.check_expr(index, None)?;
                Ok((self.convert(k, &Ty::Def, false, true, index.span)?, Ty::Def))
            }
            Ty::DocMap => {
                if let ast::ExprKind::Literal(Literal::String(f)) = &index.kind {
                    self.check_doc_field(f, index.span);
                }
                let k = self.check_expr(index, None)?;
                Ok((self.convert(k, &Ty::Def, false, true, index.span)?, Ty::Def))
            }
            Ty::List
            | Ty::ArrayList
            | Ty::DocLongs
            | Ty::DocDoubles
            | Ty::DocStrings
            | Ty::DocBooleans
            | Ty::DocVector => {
                let i = self.check_expr(index, Some(&Ty::INT))?;
                Ok((self.convert(i, &Ty::INT, false, false, index.span)?, Ty::Def))
            }
            // ES locates a brace access at its `[`, right after the receiver.
            other => Err(error(
                code::check::ILLEGAL_TREE,
                Span { start: span.start, end: span.start + 1 },
                format!("Illegal array access on type [{}].", other.painless_name()),
            )),
        }
    }

    pub(super) fn index(&mut self, recv: &ast::Expr, index: &ast::Expr, span: Span) -> CResult<Typed> {
        let r = self.check_expr(recv, None)?;
        let brace = Span { start: recv.span.end, end: span.end };
        let (i, ty, site) = self.index_parts(&r.ty, index, brace)?;
        Ok(Typed::new(ExprKind::Index(Box::new(r.ir), Box::new(i), site), span, ty))
    }

    /// Warn (ES fails only at run time) when `doc['f']` names a field the store does not have.
    pub(super) fn check_doc_field(&mut self, field: &str, span: Span) {
        let Some(fields) = self.env.fields else { return };
        if fields.iter().any(|(n, _)| n == field) {
            return;
        }
        let known: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        let mut d = super::diag(
            code::warning::UNMAPPED_FIELD,
            Severity::Warning,
            span,
            "illegal_argument_exception",
            format!("No field found for [{field}] in mapping"),
        );
        d.help = Some(format!("known fields: {}", known.join(", ")));
        self.warnings.push(*d);
    }

    pub(super) fn check_param(&mut self, name: &str, span: Span) {
        let Some(names) = self.env.param_names else { return };
        if names.iter().any(|n| n == name) {
            return;
        }
        let mut d = super::diag(
            code::warning::UNSUPPLIED_PARAM,
            Severity::Warning,
            span,
            "null_pointer_exception",
            format!("params.{name} is not supplied by the harness and evaluates to null"),
        );
        // Models often read an item field through params; say where the value really is.
        let is_field = self.env.fields.is_some_and(|fields| fields.iter().any(|(n, _)| n == name));
        d.help = Some(if is_field {
            format!(
                "{name} is an item field, not a param: read it as doc['{name}'].value (available params: {})",
                names.join(", ")
            )
        } else {
            format!("available params: {}", names.join(", "))
        });
        self.warnings.push(*d);
    }

    pub(super) fn field(&mut self, recv: &ast::Expr, name: &ast::Ident, null_safe: bool, span: Span) -> CResult<Typed> {
        if let Some(class) = self.static_class(recv) {
            if self.reg.is_static_class(class) {
                return match self.reg.lookup_static_field(class, &name.name) {
                    Some(sig) => Ok(Typed::new(ExprKind::StaticField(sig), span, sig.ty.clone())),
                    None => match self.reg.unsupported_member(class, &name.name) {
                        Some(reason) => Err(unsupported_because(
                            code::unsupported::UNSUPPORTED_MEMBER,
                            span,
                            &format!("field [{class}.{}]", name.name),
                            reason,
                        )),
                        None => Err(error(
                            code::check::MEMBER_NOT_FOUND,
                            span,
                            format!("field [{class}, {}] not found", name.name),
                        )),
                    },
                };
            }
            if Ty::from_name(class).is_none() {
                let full = format!("{class}.{}", name.name);
                if Ty::from_name(&full).is_some() {
                    return Err(error(
                        code::check::ILLEGAL_TREE,
                        span,
                        format!("value required: instead found unexpected type [{full}]"),
                    ));
                }
                return Err(self.unknown_class(class, recv.span, format!("cannot resolve symbol [{full}]")));
            }
        }
        let r = self.check_expr(recv, None)?;
        if matches!(r.ir.kind, ExprKind::Params) {
            self.check_param(&name.name, name.span);
        }
        if r.ty == Ty::DocMap {
            self.check_doc_field(&name.name, name.span);
        }
        let dyn_field = |r: Typed, ty: Ty| {
            // A `def` receiver's load is a call site; a Map or List receiver's is a plain shortcut.
            let site = r.ty.is_def().then(|| DefSite::new(Vec::new()));
            Ok(Typed::new(
                ExprKind::DynField { recv: Box::new(r.ir), name: name.name.clone(), null_safe, site },
                span,
                ty,
            ))
        };
        let result_ty = match &r.ty {
            Ty::Def => return dyn_field(r, Ty::Def),
            Ty::Array(_) if name.name == "length" => {
                return dyn_field(r, Ty::INT).and_then(|t| self.null_safe_ok(t, null_safe));
            }
            Ty::Array(_) => {
                return Err(error(
                    code::check::MEMBER_NOT_FOUND,
                    dot_span(recv, name),
                    format!("Field [{}] does not exist for type [{}].", name.name, r.ty.painless_name()),
                ));
            }
            _ => None::<Ty>,
        };
        debug_assert!(result_ty.is_none());
        let lookup_ty = match &r.ty {
            Ty::Prim(p) => Ty::Boxed(*p),
            t => t.clone(),
        };
        if let Some(sig) = self.reg.lookup_field(&lookup_ty, &name.name) {
            let t = Typed::new(ExprKind::Field { recv: Box::new(r.ir), sig, null_safe }, span, sig.ty.clone());
            return self.null_safe_ok(t, null_safe);
        }
        for prefix in ["get", "is"] {
            if let Some(sig) =
                with_getter_name(prefix, &name.name, |getter| self.reg.lookup_method(&lookup_ty, getter, 0))
            {
                let t = Typed::new(
                    ExprKind::Method { recv: Box::new(r.ir), sig, args: Vec::new(), null_safe },
                    span,
                    sig.ret.clone(),
                );
                return self.null_safe_ok(t, null_safe);
            }
        }
        match &r.ty {
            Ty::Map | Ty::HashMap | Ty::DocMap => dyn_field(r, Ty::Def),
            Ty::List | Ty::ArrayList => {
                if name.name.parse::<i32>().is_err() {
                    return Err(error(
                        code::check::ILLEGAL_TREE,
                        dot_span(recv, name),
                        format!("invalid list index [{}]", name.name),
                    ));
                }
                dyn_field(r, Ty::Def)
            }
            other => match self.reg.unsupported_member(&other.short_name(), &name.name) {
                Some(reason) => Err(unsupported_because(
                    code::unsupported::UNSUPPORTED_MEMBER,
                    span,
                    &format!("field [{}.{}]", other.short_name(), name.name),
                    reason,
                )),
                None => Err(error(
                    code::check::MEMBER_NOT_FOUND,
                    dot_span(recv, name),
                    format!("field [{}, {}] not found", other.painless_name(), name.name),
                )),
            },
        }
    }

    pub(super) fn null_safe_ok(&self, t: Typed, null_safe: bool) -> CResult<Typed> {
        if null_safe && t.ty.is_primitive() {
            return Err(error(
                code::check::INVALID_NULL_SAFE,
                t.ir.span,
                "Result of null safe operator must be nullable",
            ));
        }
        Ok(t)
    }

    pub(super) fn args_for(&mut self, args: &[ast::Expr], params: &[Ty]) -> CResult<Vec<Expr>> {
        let mut out = Vec::with_capacity(args.len());
        for (a, p) in args.iter().zip(params) {
            let v = self.check_expr(a, Some(p))?;
            out.push(self.convert(v, p, false, true, a.span)?);
        }
        Ok(out)
    }

    pub(super) fn call(
        &mut self,
        recv: Option<&ast::Expr>,
        name: &ast::Ident,
        args: &[ast::Expr],
        null_safe: bool,
        span: Span,
    ) -> CResult<Typed> {
        let n = args.len();
        let Some(recv) = recv else { return self.bare_call(name, args, span) };
        if let Some(class) = self.static_class(recv) {
            if self.reg.is_static_class(class) {
                return match self.reg.lookup_static(class, &name.name, n) {
                    Some(sig) => {
                        let a = self.args_for(args, &sig.params)?;
                        Ok(Typed::new(ExprKind::Static { sig, args: a }, span, sig.ret.clone()))
                    }
                    None => match self.reg.unsupported_member(class, &name.name) {
                        Some(reason) => Err(unsupported_because(
                            code::unsupported::UNSUPPORTED_MEMBER,
                            span,
                            &format!("[{class}.{}]", name.name),
                            reason,
                        )),
                        // Classes the runtime registers only partly: other members are ES's, not ours.
                        None if super::es_class_outside_subset(class) => Err(unsupported(
                            code::unsupported::UNSUPPORTED_MEMBER,
                            span,
                            &format!("[{class}.{}/{n}]", name.name),
                        )),
                        None => Err(error(
                            code::check::MEMBER_NOT_FOUND,
                            dot_span(recv, name),
                            format!("static method [{}, {}/{n}] not found", canonical_class(class), name.name),
                        )),
                    },
                };
            }
            // A class the subset knows as a type but not as a static class (`ZonedDateTime.now()`):
            // its static members are ES's.
            if Ty::from_name(class).is_some() && super::es_class_outside_subset(class) {
                let mut d =
                    unsupported(code::unsupported::UNSUPPORTED_MEMBER, span, &format!("[{class}.{}/{n}]", name.name));
                d.help = self.reg.unsupported_member(class, &name.name).map(str::to_string);
                return Err(d);
            }
            if Ty::from_name(class).is_none() {
                let mut d = self.unknown_class(class, recv.span, format!("cannot resolve symbol [{class}]"));
                if d.severity == Severity::Error {
                    // ES locates a call's unresolved class at the call's `.`.
                    d.span = dot_span(recv, name);
                }
                return Err(d);
            }
        }
        let r = self.check_expr(recv, None)?;
        if r.ty.is_def() {
            if let Some(a) =
                args.iter().find(|a| matches!(a.kind, ast::ExprKind::Lambda { .. } | ast::ExprKind::MethodRef { .. }))
            {
                return Err(unsupported(
                    if matches!(a.kind, ast::ExprKind::Lambda { .. }) {
                        code::unsupported::UNSUPPORTED_LAMBDA
                    } else {
                        code::unsupported::UNSUPPORTED_METHOD_REFERENCE
                    },
                    a.span,
                    "a lambda or method reference argument",
                ));
            }
            let mut a = Vec::with_capacity(n);
            let mut types = Vec::with_capacity(n);
            for x in args {
                let v = self.check_expr(x, None)?;
                if v.ty == Ty::Void {
                    return Err(error(
                        code::check::ILLEGAL_TREE,
                        x.span,
                        format!("Argument(s) cannot be of [void] type when calling method [{}].", name.name),
                    ));
                }
                a.push(v.ir);
                types.push(v.ty);
            }
            let site = DefSite::new(types);
            return Ok(Typed::new(
                ExprKind::DynMethod { recv: Box::new(r.ir), name: name.name.clone(), args: a, null_safe, site },
                span,
                Ty::Def,
            ));
        }
        let lookup_ty = match &r.ty {
            Ty::Prim(p) => Ty::Boxed(*p),
            t => t.clone(),
        };
        if let Some(a) =
            args.iter().find(|a| matches!(a.kind, ast::ExprKind::Lambda { .. } | ast::ExprKind::MethodRef { .. }))
        {
            return Err(if matches!(a.kind, ast::ExprKind::Lambda { .. }) {
                unsupported(code::unsupported::UNSUPPORTED_LAMBDA, a.span, "a lambda")
            } else {
                unsupported(code::unsupported::UNSUPPORTED_METHOD_REFERENCE, a.span, "a method reference")
            });
        }
        match self.reg.lookup_method(&lookup_ty, &name.name, n) {
            Some(sig) => {
                let a = self.args_for(args, &sig.params)?;
                let t = Typed::new(
                    ExprKind::Method { recv: Box::new(r.ir), sig, args: a, null_safe },
                    span,
                    sig.ret.clone(),
                );
                self.null_safe_ok(t, null_safe)
            }
            None => match self.reg.unsupported_member(&lookup_ty.short_name(), &name.name) {
                Some(reason) => Err(unsupported_because(
                    code::unsupported::UNSUPPORTED_MEMBER,
                    span,
                    &format!("method [{}.{}]", lookup_ty.short_name(), name.name),
                    reason,
                )),
                None if es_known_method(&lookup_ty, &name.name) => Err(unsupported(
                    code::unsupported::UNSUPPORTED_MEMBER,
                    span,
                    &format!("method [{}.{}/{n}]", lookup_ty.short_name(), name.name),
                )),
                // ES names the receiver's own type (`int`, not its box) and points at the `.`.
                None => Err(error(
                    code::check::MEMBER_NOT_FOUND,
                    Span { start: recv.span.end, end: span.end },
                    format!("member method [{}, {}/{n}] not found", r.ty.painless_name(), name.name),
                )),
            },
        }
    }

    pub(super) fn bare_call(&mut self, name: &ast::Ident, args: &[ast::Expr], span: Span) -> CResult<Typed> {
        let n = args.len();
        if let Some(i) = self.fns.iter().position(|f| f.name == name.name && f.params.len() == n) {
            let (params, ret) = (self.fns[i].params.clone(), self.fns[i].ret.clone());
            let a = self.args_for(args, &params)?;
            return Ok(Typed::new(ExprKind::User { func: i as u32, args: a }, span, ret));
        }
        if self.env.context != ScriptContext::Test && name.name == "randomScore" && (n == 1 || n == 2) {
            let mut d = unsupported(code::unsupported::UNSUPPORTED_RANDOM_SCORE, span, "randomScore");
            d.help = Some(
                "its value depends on Lucene doc ids, the index name and shard ids, so it cannot be reproduced locally"
                    .into(),
            );
            return Err(d);
        }
        if self.env.context != ScriptContext::Test && name.name.starts_with("decayGeo") && n == 5 {
            let mut d =
                unsupported(code::unsupported::UNSUPPORTED_MEMBER, span, &format!("the function [{}/{n}]", name.name));
            d.help = Some("the local store has no geo_point fields".into());
            return Err(d);
        }
        if let Some(sig) = self.reg.lookup_function(&name.name, n, self.env.dialect, self.env.context) {
            // ES 8's vector functions name their field with a string: a name outside the mapping
            // fails at run time as `doc['f']` does.
            if self.env.dialect == crate::interp::runtime::types::Dialect::Elasticsearch
                && matches!(name.name.as_str(), "cosineSimilarity" | "dotProduct" | "l1norm" | "l2norm")
                && let Some(field_arg) = args.get(1)
                && let ast::ExprKind::Literal(ast::Literal::String(field)) = &field_arg.kind
            {
                self.check_doc_field(field, field_arg.span);
            }
            let a = self.args_for(args, &sig.params)?;
            let site = self.binding_sites;
            self.binding_sites += 1;
            return Ok(Typed::new(ExprKind::Function { sig, args: a, site }, span, sig.ret.clone()));
        }
        if self.env.context != ScriptContext::Test && name.name == "$" && n == 2 {
            let mut d = unsupported(code::unsupported::UNSUPPORTED_MEMBER, span, "the field API shortcut [$/2]");
            d.help = Some("`$('field', default)` reads a document field through ES's field API, which the local interpreter does not implement; `doc['field']` is supported".into());
            return Err(d);
        }
        if self.env.context != ScriptContext::Test && name.name == "field" && n == 1 {
            // ES 8's field API (`field('f').get(default)`); whether 8.13's score and sort contexts
            // expose it is not something we verified, so it is refused, never called invalid.
            let mut d = unsupported(code::unsupported::UNSUPPORTED_MEMBER, span, "the field API [field/1]");
            d.help = Some("`field('f')` reads a document field through ES's field API, which the local interpreter does not implement; `doc['f']` is supported".into());
            return Err(d);
        }
        if self.env.context != ScriptContext::Test && es_context_function(&name.name, n, self.env.dialect) {
            return Err(unsupported(
                code::unsupported::UNSUPPORTED_MEMBER,
                span,
                &format!("the function [{}/{n}]", name.name),
            ));
        }
        if self.env.context != ScriptContext::Test && other_version_function(&name.name) {
            let mut d = unsupported(
                code::unsupported::UNSUPPORTED_OTHER_VERSION,
                span,
                &format!("the function [{}/{n}]", name.name),
            );
            d.help = Some("it exists in other Elasticsearch/OpenSearch versions or plugins, not in Elasticsearch 8.13's score context".into());
            return Err(d);
        }
        Err(error(code::check::MEMBER_NOT_FOUND, span, format!("Unknown call [{}] with [{n}] arguments.", name.name)))
    }
}

/// Score/vector functions of other engine versions and plugins (ES 7.x betas, ES 8.15+, OpenSearch
/// k-NN and neural plugins): a script using one may be valid for its engine.
fn other_version_function(name: &str) -> bool {
    matches!(
        name,
        "randomReproducible"
            | "lateInteractionScore"
            | "negdotprod"
            | "l1distance"
            | "l2distance"
            | "cosinesimil"
            | "innerproduct"
            | "hamming"
            | "hammingbit"
            | "maxSimDotProduct"
            | "maxSimInvHamming"
            | "maxSimCosine"
            | "cosineSimilaritySparse"
            | "dotProductSparse"
            | "l1normSparse"
            | "l2normSparse"
            | "l2Squared"
            | "l1Norm"
            | "lInfNorm"
            | "innerProduct"
            | "knn_score"
    )
}

/// ES's `Class.toString()` as used in the compound-assignment message.
pub(super) fn java_class_name(t: &Ty) -> String {
    match t {
        Ty::Prim(p) => p.name().into(),
        Ty::Def => "class org.elasticsearch.painless.lookup.def".into(),
        other => format!("class {}", other.painless_name()),
    }
}

/// Score-context functions the target engine has (8.13 / OpenSearch k-NN), whether or not the
/// local runtime registers them.
fn es_context_function(name: &str, arity: usize, dialect: crate::interp::runtime::types::Dialect) -> bool {
    use crate::interp::runtime::types::Dialect;
    match dialect {
        Dialect::Elasticsearch => matches!(
            (name, arity),
            ("saturation", 2)
                | ("sigmoid", 3)
                | ("decayNumericLinear" | "decayNumericExp" | "decayNumericGauss", 5)
                | ("decayGeoLinear" | "decayGeoExp" | "decayGeoGauss", 5)
                | ("decayDateLinear" | "decayDateExp" | "decayDateGauss", 5)
                | ("cosineSimilarity" | "dotProduct" | "l1norm" | "l2norm", 2)
        ),
        Dialect::OpenSearch => matches!(
            (name, arity),
            ("cosineSimilarity" | "l2Squared" | "l1Norm" | "lInfNorm" | "innerProduct" | "hamming", 2)
                | ("cosineSimilarity", 3)
                | ("saturation", 2)
                | ("sigmoid", 3)
                | ("decayNumericLinear" | "decayNumericExp" | "decayNumericGauss", 5)
                | ("decayDateLinear" | "decayDateExp" | "decayDateGauss", 5)
        ),
    }
}

/// Members ES 8.13 whitelists on these types (Java API + Painless augmentations) that the local
/// runtime may not register: calling them is "unsupported locally", not invalid Painless.
fn es_known_method(t: &Ty, name: &str) -> bool {
    const COLLECTION: &[&str] = &[
        "add",
        "addAll",
        "clear",
        "contains",
        "containsAll",
        "isEmpty",
        "iterator",
        "remove",
        "removeAll",
        "removeIf",
        "retainAll",
        "size",
        "stream",
        "toArray",
        "forEach",
        "spliterator",
        "any",
        "asList",
        "each",
        "every",
        "find",
        "findAll",
        "findResult",
        "findResults",
        "groupBy",
        "join",
        "sum",
        "collect",
        "split",
        "equals",
        "hashCode",
        "toString",
        "getLength",
    ];
    const LIST: &[&str] =
        &["get", "set", "indexOf", "lastIndexOf", "listIterator", "subList", "sort", "replaceAll", "getLength"];
    const MAP: &[&str] = &[
        "get",
        "put",
        "putAll",
        "remove",
        "containsKey",
        "containsValue",
        "keySet",
        "values",
        "entrySet",
        "size",
        "isEmpty",
        "clear",
        "getOrDefault",
        "putIfAbsent",
        "compute",
        "computeIfAbsent",
        "computeIfPresent",
        "merge",
        "replace",
        "replaceAll",
        "forEach",
        "collect",
        "count",
        "each",
        "every",
        "find",
        "findAll",
        "findResult",
        "findResults",
        "groupBy",
        "equals",
        "hashCode",
        "toString",
    ];
    const STRING: &[&str] = &[
        "charAt",
        "chars",
        "codePointAt",
        "compareTo",
        "compareToIgnoreCase",
        "concat",
        "contains",
        "contentEquals",
        "endsWith",
        "equals",
        "equalsIgnoreCase",
        "hashCode",
        "indexOf",
        "isEmpty",
        "lastIndexOf",
        "length",
        "matches",
        "regionMatches",
        "replace",
        "replaceAll",
        "replaceFirst",
        "split",
        "splitOnToken",
        "startsWith",
        "strip",
        "stripLeading",
        "stripTrailing",
        "isBlank",
        "repeat",
        "subSequence",
        "substring",
        "toCharArray",
        "toLowerCase",
        "toUpperCase",
        "trim",
        "encodeBase64",
        "decodeBase64",
        "sha1",
        "sha256",
        "sha512",
        "toString",
    ];
    match t {
        Ty::List | Ty::ArrayList => COLLECTION.contains(&name) || LIST.contains(&name),
        Ty::Set | Ty::HashSet | Ty::Collection => COLLECTION.contains(&name),
        Ty::Map | Ty::HashMap => MAP.contains(&name),
        Ty::String => STRING.contains(&name),
        Ty::Boxed(_) | Ty::Number => {
            matches!(
                name,
                "intValue"
                    | "longValue"
                    | "doubleValue"
                    | "floatValue"
                    | "byteValue"
                    | "shortValue"
                    | "compareTo"
                    | "equals"
                    | "hashCode"
                    | "toString"
                    | "isNaN"
                    | "isInfinite"
            )
        }
        Ty::MapEntry => matches!(name, "getKey" | "getValue" | "setValue"),
        Ty::DocLongs | Ty::DocDoubles | Ty::DocStrings | Ty::DocBooleans | Ty::DocVector | Ty::DocDates => true,
        // java.time's API is large; the members the runtime does not register are all ES's.
        Ty::ZonedDateTime | Ty::Instant | Ty::Duration => true,
        _ => false,
    }
}

/// ES locates member errors (calls, field loads) at the `.` after the receiver.
pub(super) fn dot_span(recv: &ast::Expr, name: &ast::Ident) -> Span {
    Span { start: recv.span.end, end: name.span.end }
}

/// The canonical name of a class used statically (`Math.max`): `java.lang.Math`.
fn canonical_class(class: &str) -> String {
    const JAVA_LANG: &[&str] = &[
        "Math",
        "StrictMath",
        "Integer",
        "Long",
        "Double",
        "Float",
        "Short",
        "Byte",
        "Boolean",
        "Character",
        "String",
        "Object",
        "Number",
        "CharSequence",
    ];
    const JAVA_UTIL: &[&str] =
        &["Collections", "Arrays", "Objects", "List", "Map", "Set", "ArrayList", "HashMap", "HashSet"];
    if JAVA_LANG.contains(&class) {
        format!("java.lang.{class}")
    } else if JAVA_UTIL.contains(&class) {
        format!("java.util.{class}")
    } else {
        class.to_string()
    }
}
