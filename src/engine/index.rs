//! `setup-indices`: the items index a search engine ranks, built from a store.
//!
//! Mapping: the item vector as `dense_vector` (Elasticsearch; `index: false`, so doc values hold the exact
//! f32 values and the stored magnitude, no HNSW graph is built, and zero vectors are allowed — scripts
//! read vectors through doc values only) or `knn_vector` (OpenSearch k-NN; `index.knn` stays false, doc
//! values only); `keyword`/`long`/`double` attribute fields from the store schema (multi-valued fields
//! as arrays, absent values omitted, which is exactly what `doc[f].size() == 0` sees); `ord`, the item
//! ordinal (`long`, the final tie-break); `item_id` (`keyword`, also the `_id`). `_meta` records the
//! store checksum so a search can refuse an index loaded from another store. One shard, no replicas:
//! nothing here needs more, and one shard keeps doc-id order equal to load order.
//!
//! Loading is drop + create + `_bulk` in bounded batches (by count and bytes) with per-item retries of
//! rejected executions, then refresh and a count check. Idempotent: rerunning gives the same index.

use super::error::{EngineError, classify};
use super::request::{ITEM_ID_FIELD, ORD_FIELD};
use super::transport::{EngineClient, Flavor, Method, Payload};
use crate::data::FieldKind;
use crate::progress::Progress;
use crate::store::{Column, ItemIdx, Store};
use serde_json::{Map, Value, json};
use std::time::{Duration, Instant};

/// Default index name.
pub const DEFAULT_INDEX: &str = "items";

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub index: String,
    /// Documents per `_bulk` request (also capped by `batch_bytes`).
    pub batch_docs: usize,
    pub batch_bytes: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { index: DEFAULT_INDEX.into(), batch_docs: 1000, batch_bytes: 8 << 20 }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoadReport {
    pub index: String,
    pub engine: String,
    pub documents: u64,
    pub batches: usize,
    /// Item-level retries after `es_rejected_execution_exception` (429).
    pub retried_documents: usize,
    pub vector_mapping: String,
    pub seconds: f64,
}

/// The mapping + settings body for `PUT /{index}`.
pub fn index_body(store: &Store, flavor: Flavor) -> Result<Value, EngineError> {
    let schema = store.schema();
    let vector = schema.vector_field();
    let dims = schema.dims();
    let mut properties = Map::new();
    properties.insert(
        vector.name.clone(),
        match flavor {
            Flavor::Elasticsearch => json!({"type": "dense_vector", "dims": dims, "index": false}),
            Flavor::OpenSearch => json!({"type": "knn_vector", "dimension": dims}),
        },
    );
    for field in &schema.fields()[1..] {
        let es_type = match field.kind {
            FieldKind::Keyword => "keyword",
            FieldKind::Long => "long",
            FieldKind::Double => "double",
            // The default format (strict_date_optional_time||epoch_millis) reads the epoch
            // milliseconds `item_document` writes.
            FieldKind::Date => "date",
            FieldKind::Vector { .. } => {
                return Err(EngineError::Store(format!("a second vector field [{}] is not supported", field.name)));
            }
        };
        if field.name == ORD_FIELD || field.name == ITEM_ID_FIELD {
            return Err(EngineError::Store(format!(
                "the store has an attribute named [{}], which the items index reserves for the item ordinal/id",
                field.name
            )));
        }
        properties.insert(field.name.clone(), json!({"type": es_type}));
    }
    properties.insert(ORD_FIELD.into(), json!({"type": "long"}));
    properties.insert(ITEM_ID_FIELD.into(), json!({"type": "keyword"}));
    let max_exclusions =
        (0..store.num_users()).map(|u| store.exclusions(crate::store::UserIdx(u as u32)).len()).max().unwrap_or(0);
    let mut settings = json!({
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "refresh_interval": "-1",
        // One terms clause carries a user's exclusions; the default cap is 65 536 terms.
        "max_terms_count": (max_exclusions + 1).max(65_536),
    });
    if flavor == Flavor::OpenSearch {
        settings["knn"] = json!(false);
    }
    Ok(json!({
        "settings": {"index": settings},
        "mappings": {
            "dynamic": "strict",
            "_meta": {"scorelab_store_checksum": store.checksum(), "num_items": store.num_items()},
            "properties": properties
        }
    }))
}

/// One item as an indexed document (without the bulk action line).
pub fn item_document(store: &Store, item: ItemIdx) -> Result<Value, EngineError> {
    let schema = store.schema();
    let vector = store.vector(item);
    if let Some(bad) = vector.iter().find(|v| !v.is_finite()) {
        return Err(EngineError::Store(format!("item {} has a non-finite vector value {bad}", store.item_id(item))));
    }
    let mut doc = Map::new();
    // serde_json writes f32 in its shortest round-trip form, which the engine parses back to the same float.
    doc.insert(schema.vector_field().name.clone(), json!(vector));
    for field in &schema.fields()[1..] {
        let Some(column) = store.column(&field.name) else { continue };
        let value = match column {
            Column::Long(c) | Column::Date(c) => numeric_value(c.values(item), field.multi_valued, |v| json!(v)),
            Column::Double(c) => {
                if let Some(bad) = c.values(item).iter().find(|v| !v.is_finite()) {
                    return Err(EngineError::Store(format!(
                        "item {} field {} has a non-finite value {bad}",
                        store.item_id(item),
                        field.name
                    )));
                }
                numeric_value(c.values(item), field.multi_valued, |v| json!(v))
            }
            Column::Keyword(c) => {
                let terms: Vec<&str> = c.terms(item).collect();
                numeric_value(&terms, field.multi_valued, |v| json!(v))
            }
        };
        if let Some(value) = value {
            doc.insert(field.name.clone(), value);
        }
    }
    doc.insert(ORD_FIELD.into(), json!(item.0));
    doc.insert(ITEM_ID_FIELD.into(), json!(store.item_id(item)));
    Ok(Value::Object(doc))
}

fn numeric_value<T>(values: &[T], multi: bool, to_json: impl Fn(&T) -> Value) -> Option<Value> {
    match values {
        [] => None,
        [one] if !multi => Some(to_json(one)),
        many => Some(Value::Array(many.iter().map(to_json).collect())),
    }
}

/// Drops and recreates the index, bulk-loads every item, refreshes and checks the count, telling
/// `progress` the documents sent so far after each `_bulk` batch.
pub fn setup_index(
    client: &EngineClient,
    store: &Store,
    options: &LoadOptions,
    progress: &mut dyn Progress,
) -> Result<LoadReport, EngineError> {
    let started = Instant::now();
    let index = options.index.as_str();
    let url = client.url().to_string();
    let body = index_body(store, client.info().flavor)?;

    let deleted = client.send("delete index", Method::Delete, &format!("/{index}"), Payload::None)?;
    if !deleted.is_success() && deleted.status != 404 {
        return Err(classify(&url, index, "delete index", deleted.status, &deleted.body));
    }
    let created = client.send("create index", Method::Put, &format!("/{index}"), Payload::Json(&body))?;
    if !created.is_success() {
        return Err(classify(&url, index, "create index", created.status, &created.body));
    }

    let total = store.num_items();
    let mut sent = 0u64;
    let mut batches = 0;
    let mut retried = 0;
    let mut lines: Vec<u8> = Vec::with_capacity(options.batch_bytes.min(64 << 20));
    let mut in_batch: Vec<ItemIdx> = Vec::with_capacity(options.batch_docs);
    for i in 0..total {
        let item = ItemIdx(i as u32);
        append_bulk_item(&mut lines, store, item)?;
        in_batch.push(item);
        if in_batch.len() >= options.batch_docs || lines.len() >= options.batch_bytes || i + 1 == total {
            retried += send_bulk(client, store, index, &lines, &in_batch)?;
            batches += 1;
            sent += in_batch.len() as u64;
            progress.advanced(sent);
            lines.clear();
            in_batch.clear();
        }
    }

    let settings = json!({"index": {"refresh_interval": "1s"}});
    let reset = client.send("index settings", Method::Put, &format!("/{index}/_settings"), Payload::Json(&settings))?;
    if !reset.is_success() {
        return Err(classify(&url, index, "index settings", reset.status, &reset.body));
    }
    let refreshed = client.send("refresh", Method::Post, &format!("/{index}/_refresh"), Payload::None)?;
    if !refreshed.is_success() {
        return Err(classify(&url, index, "refresh", refreshed.status, &refreshed.body));
    }
    let found = count(client, index)?;
    if found != total as u64 {
        return Err(EngineError::CountMismatch { url, index: index.into(), expected: total as u64, found });
    }
    Ok(LoadReport {
        index: index.into(),
        engine: client.info().to_string(),
        documents: found,
        batches,
        retried_documents: retried,
        vector_mapping: body["mappings"]["properties"][&store.schema().vector_field().name]["type"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// `_count` of an index.
pub fn count(client: &EngineClient, index: &str) -> Result<u64, EngineError> {
    let reply = client.send("count", Method::Get, &format!("/{index}/_count"), Payload::None)?;
    if !reply.is_success() {
        return Err(classify(client.url(), index, "count", reply.status, &reply.body));
    }
    reply.body["count"].as_u64().ok_or_else(|| EngineError::BadResponse {
        url: client.url().into(),
        what: "count".into(),
        detail: reply.body.to_string(),
    })
}

/// Checks that `index` exists and was loaded from this store (checksum and size).
pub fn check_index_matches(client: &EngineClient, store: &Store, index: &str) -> Result<(), EngineError> {
    let url = client.url().to_string();
    let reply = client.send("get mapping", Method::Get, &format!("/{index}/_mapping"), Payload::None)?;
    if reply.status == 404 {
        return Err(EngineError::NoIndex { url, index: index.into() });
    }
    if !reply.is_success() {
        return Err(classify(&url, index, "get mapping", reply.status, &reply.body));
    }
    // The response is keyed by the concrete index name (an alias resolves to it).
    let meta = reply.body.as_object().and_then(|m| m.values().next()).map(|v| &v["mappings"]["_meta"]);
    let found = meta.and_then(|m| m["scorelab_store_checksum"].as_str()).unwrap_or("(none)");
    if found != store.checksum() {
        return Err(EngineError::StaleIndex {
            url,
            index: index.into(),
            expected: store.checksum().into(),
            found: found.into(),
        });
    }
    let docs = count(client, index)?;
    if docs != store.num_items() as u64 {
        return Err(EngineError::CountMismatch {
            url,
            index: index.into(),
            expected: store.num_items() as u64,
            found: docs,
        });
    }
    Ok(())
}

fn append_bulk_item(out: &mut Vec<u8>, store: &Store, item: ItemIdx) -> Result<(), EngineError> {
    let action = json!({"index": {"_id": store.item_id(item)}});
    serde_json::to_writer(&mut *out, &action).map_err(|e| EngineError::Store(e.to_string()))?;
    out.push(b'\n');
    serde_json::to_writer(&mut *out, &item_document(store, item)?).map_err(|e| EngineError::Store(e.to_string()))?;
    out.push(b'\n');
    Ok(())
}

/// Sends one bulk batch; items rejected with 429 are resent (alone) with backoff. Returns how many
/// documents needed a retry.
fn send_bulk(
    client: &EngineClient,
    store: &Store,
    index: &str,
    lines: &[u8],
    items: &[ItemIdx],
) -> Result<usize, EngineError> {
    let url = client.url();
    let path = format!("/{index}/_bulk");
    let mut pending_lines = lines.to_vec();
    let mut pending_items = items.to_vec();
    let mut retried = 0;
    for attempt in 0..6u32 {
        let reply = client.send("bulk", Method::Post, &path, Payload::NdJson(&pending_lines))?;
        if !reply.is_success() {
            return Err(classify(url, index, "bulk", reply.status, &reply.body));
        }
        if reply.body["errors"].as_bool() != Some(true) {
            return Ok(retried);
        }
        let results = reply.body["items"].as_array().cloned().unwrap_or_default();
        let mut again = Vec::new();
        let mut failed = Vec::new();
        for (item, result) in pending_items.iter().zip(&results) {
            let outcome = &result["index"];
            let status = outcome["status"].as_u64().unwrap_or(0);
            if (200..300).contains(&status) {
                continue;
            }
            if status == 429 {
                again.push(*item);
            } else {
                failed.push(outcome.clone());
            }
        }
        if let Some(first) = failed.first() {
            let wrapped = json!({"error": first["error"].clone()});
            let err = classify(url, index, "bulk", first["status"].as_u64().unwrap_or(400) as u16, &wrapped);
            return Err(match err {
                EngineError::Http { reason, error_type, .. } => EngineError::BulkRejected {
                    url: url.into(),
                    index: index.into(),
                    failed: failed.len(),
                    first: format!("{error_type}: {reason}"),
                },
                other => other,
            });
        }
        retried += again.len();
        std::thread::sleep(Duration::from_millis(200u64 << attempt.min(5)));
        pending_lines.clear();
        for item in &again {
            append_bulk_item(&mut pending_lines, store, *item)?;
        }
        pending_items = again;
    }
    Err(EngineError::RetriesExhausted {
        url: url.into(),
        what: "bulk".into(),
        attempts: 6,
        last: format!("{} documents still rejected with 429", pending_items.len()),
    })
}
