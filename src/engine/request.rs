//! The search request one user's ranking becomes:
//!
//! ```json
//! { "size": k, "track_scores": true, "track_total_hits": false, "_source": false,
//!   "query": { "script_score": {
//!       "query": { "bool": { "must": [{"match_all": {}}], "must_not": [{"terms": {"ord": [excluded...]}}] } },
//!       "script": { "lang": "painless", "source": QUERY, "params": PARAMS } } },
//!   "sort": [ {"_script": {"type": "number", "order": ORDER, "script": {"source": SORT_i, "params": PARAMS}}}...,
//!             {"_score": "desc"}, {"ord": "asc"} ] }
//! ```
//!
//! Per-user data (the user vector, harness params) travels in `params` and never in the source, so the
//! whole cohort shares one compiled script per source (ES caps new compilations per 5 minutes). The
//! exclusions are a `terms` query on the numeric `ord` field, one clause whatever their number (a bool of
//! ids would hit `indices.query.bool.max_clause_count`; `index.max_terms_count` is 65 536 by default).
//! `must: match_all` keeps the subquery score at 1.0, as a bare `must_not` bool would score 0.

use serde_json::{Map, Value, json};

pub use crate::rank::SortOrder;

fn order_str(order: SortOrder) -> &'static str {
    match order {
        SortOrder::Asc => "asc",
        SortOrder::Desc => "desc",
    }
}

/// The scripts of one candidate, already in the target engine's dialect.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineScripts {
    pub query: String,
    pub sorts: Vec<(String, SortOrder)>,
}

/// What differs between users: the params object and the excluded item ordinals.
#[derive(Debug, Clone, Copy)]
pub struct UserQuery<'a> {
    pub params: &'a Map<String, Value>,
    pub excluded_ords: &'a [u32],
}

/// Name of the numeric item-ordinal field (the final tie-break) in the items index.
pub const ORD_FIELD: &str = "ord";
/// Name of the keyword field holding the item's external id (also its `_id`).
pub const ITEM_ID_FIELD: &str = "item_id";

/// The `_search` body for one user.
pub fn search_body(scripts: &EngineScripts, user: UserQuery<'_>, k: usize) -> Value {
    let params = Value::Object(user.params.clone());
    let subquery = if user.excluded_ords.is_empty() {
        json!({"match_all": {}})
    } else {
        json!({"bool": {
            "must": [{"match_all": {}}],
            "must_not": [{"terms": {ORD_FIELD: user.excluded_ords}}]
        }})
    };
    let mut sort: Vec<Value> = scripts
        .sorts
        .iter()
        .map(|(source, order)| {
            json!({"_script": {
                "type": "number",
                "order": order_str(*order),
                "script": {"lang": "painless", "source": source, "params": params}
            }})
        })
        .collect();
    sort.push(json!({"_score": {"order": "desc"}}));
    sort.push(json!({ORD_FIELD: {"order": "asc"}}));
    json!({
        "size": k,
        "track_scores": true,
        "track_total_hits": false,
        "_source": false,
        "query": {"script_score": {
            "query": subquery,
            "script": {"lang": "painless", "source": scripts.query, "params": params}
        }},
        "sort": sort
    })
}

/// An `_msearch` body: a header line naming the index, then the search body, per user.
pub fn msearch_body(index: &str, bodies: &[Value]) -> Vec<u8> {
    let header = msearch_header(index).to_string();
    let mut out = Vec::with_capacity(bodies.len() * 512);
    for body in bodies {
        out.extend_from_slice(header.as_bytes());
        out.push(b'\n');
        // serde_json never emits raw newlines (they are escaped inside strings), so one line per body.
        out.extend_from_slice(body.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// The `--explain` text: the exact request sent for one user, with where it goes. The user's search
/// travels inside an `_msearch` (the header line, then the body on one line); the body is pretty-printed
/// here, and the same body sent alone to `POST /{index}/_search` runs that one search.
pub fn explain(engine: &str, url: &str, index: &str, user_id: &str, body: &Value) -> String {
    let pretty = serde_json::to_string_pretty(body).unwrap_or_else(|_| body.to_string());
    format!(
        "# {engine} at {url}, user {user_id}: one search of the _msearch batch (NDJSON: the header line, then the \
         body on one line; POST /{index}/_search with the body runs it alone)\nPOST /{index}/_msearch\n{}\n{pretty}\n",
        msearch_header(index)
    )
}

/// The `_msearch` header line that precedes each user's body.
pub fn msearch_header(index: &str) -> Value {
    json!({"index": index})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scripts() -> EngineScripts {
        EngineScripts {
            query: "doc['pop'].value * params.w".into(),
            sorts: vec![("doc['price'].value".into(), SortOrder::Asc), ("_score * 2".into(), SortOrder::Desc)],
        }
    }

    #[test]
    fn params_are_passed_not_inlined_and_shared_by_every_script() {
        let mut params = Map::new();
        params.insert("w".into(), json!(3));
        params.insert("user_vector".into(), json!([0.5, -1.0]));
        let body = search_body(&scripts(), UserQuery { params: &params, excluded_ords: &[] }, 10);
        let script = &body["query"]["script_score"]["script"];
        assert_eq!(script["source"], "doc['pop'].value * params.w");
        assert_eq!(script["params"]["user_vector"], json!([0.5, -1.0]));
        assert_eq!(body["sort"][0]["_script"]["script"]["params"]["w"], 3);
        assert_eq!(body["query"]["script_score"]["query"], json!({"match_all": {}}));
    }

    #[test]
    fn sorts_follow_the_manifest_then_score_then_ord() {
        let params = Map::new();
        let body = search_body(&scripts(), UserQuery { params: &params, excluded_ords: &[4, 9] }, 5);
        let sort = body["sort"].as_array().expect("sort array");
        assert_eq!(sort.len(), 4);
        assert_eq!(sort[0]["_script"]["order"], "asc");
        assert_eq!(sort[1]["_script"]["order"], "desc");
        assert_eq!(sort[2], json!({"_score": {"order": "desc"}}));
        assert_eq!(sort[3], json!({"ord": {"order": "asc"}}));
        assert_eq!(body["size"], 5);
        assert_eq!(body["track_scores"], true);
        let sub = &body["query"]["script_score"]["query"]["bool"];
        assert_eq!(sub["must_not"][0]["terms"]["ord"], json!([4, 9]));
        assert_eq!(sub["must"][0], json!({"match_all": {}}));
    }

    #[test]
    fn msearch_is_one_header_and_one_body_line_per_user() {
        let params = Map::new();
        let body = search_body(
            &EngineScripts { query: "1\n+\n1".into(), sorts: vec![] },
            UserQuery { params: &params, excluded_ords: &[] },
            3,
        );
        let nd = msearch_body("items", &[body.clone(), body]);
        let text = String::from_utf8(nd).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], r#"{"index":"items"}"#);
        assert!(text.ends_with('\n'));
        let parsed: Value = serde_json::from_str(lines[1]).expect("body line is JSON");
        assert_eq!(parsed["query"]["script_score"]["script"]["source"], "1\n+\n1");
    }
}
