//! Turns an exchange-format `Dataset` into the store's files (as bytes). `Store::from_dataset` keeps
//! them in memory; `Store::save` writes them atomically. Item ordinals are catalogue positions; user
//! ordinals are `users.jsonl` positions.

use super::error::StoreError;
use super::layout::*;
use super::stats::FieldStats;
use crate::data::{AttrValue, Dataset, FieldKind};
use std::collections::{BTreeSet, HashMap};

pub(crate) struct Built {
    pub meta: Meta,
    /// (file name, bytes) in manifest order, meta.json first.
    pub files: Vec<(&'static str, Vec<u8>)>,
}

pub(crate) fn build(ds: &Dataset) -> Result<Built, StoreError> {
    validate(ds)?;
    let dims = ds.dims as usize;
    let mut sections = Vec::new();
    let mut files = Vec::new();

    let mut vectors = FileBuilder::new(VECTORS_FILE);
    let mut flat = Vec::with_capacity(ds.items.len() * dims);
    for item in &ds.items {
        flat.extend_from_slice(&item.vector);
    }
    vectors.section("vectors", &flat);
    drop(flat);
    files.push(vectors.finish(&mut sections));

    let mut items = FileBuilder::new(ITEMS_FILE);
    id_sections(&mut items, ds.items.iter().map(|i| i.id.as_str()));
    files.push(items.finish(&mut sections));

    let mut users = FileBuilder::new(USERS_FILE);
    id_sections(&mut users, ds.users.iter().map(|u| u.id.as_str()));
    let mut matrices = Vec::with_capacity(ds.users.len() * dims * ds.settings.user_rows as usize);
    for user in &ds.users {
        matrices.extend_from_slice(&user.matrix);
    }
    users.section("matrices", &matrices);
    drop(matrices);
    files.push(users.finish(&mut sections));

    let mut truth = FileBuilder::new(TRUTH_FILE);
    let ground_truth = truth_sections(ds, &mut truth);
    files.push(truth.finish(&mut sections));

    let mut columns = FileBuilder::new(COLUMNS_FILE);
    let mut field_stats = Vec::with_capacity(ds.fields.len());
    for (pos, spec) in ds.fields.iter().enumerate() {
        field_stats.push(column_sections(ds, pos, spec.kind, &spec.name, &mut columns)?);
    }
    files.push(columns.finish(&mut sections));

    let meta = Meta {
        settings: ds.settings.clone(),
        dims: ds.dims,
        num_items: ds.items.len() as u32,
        num_users: ds.users.len() as u32,
        user_rows: ds.settings.user_rows,
        attributes: ds.fields.clone(),
        ground_truth,
        field_stats,
        sections,
    };
    let meta_json = serde_json::to_vec_pretty(&meta).map_err(|e| StoreError::InvalidDataset(e.to_string()))?;
    files.insert(0, (META_FILE, meta_json));
    Ok(Built { meta, files })
}

/// Checks a dataset built in code the way the reader checks files (without line numbers).
fn validate(ds: &Dataset) -> Result<(), StoreError> {
    let bad = |m: String| Err(StoreError::InvalidDataset(m));
    let dims = ds.dims as usize;
    if dims == 0 {
        return bad("dims must be at least 1".into());
    }
    if ds.items.len() > u32::MAX as usize || ds.users.len() > u32::MAX as usize {
        return bad("more than 2^32 items or users".into());
    }
    let rows = ds.settings.user_rows as usize;
    let mut seen = HashMap::with_capacity(ds.items.len());
    for (i, item) in ds.items.iter().enumerate() {
        if item.vector.len() != dims {
            return bad(format!("item \"{}\": vector has {} dims, expected {dims}", item.id, item.vector.len()));
        }
        if let Some(p) = item.vector.iter().position(|v| !v.is_finite()) {
            return bad(format!("item \"{}\": non-finite value at position {p}", item.id));
        }
        if item.attributes.len() != ds.fields.len() {
            return bad(format!(
                "item \"{}\": {} attributes for {} fields",
                item.id,
                item.attributes.len(),
                ds.fields.len()
            ));
        }
        for (spec, value) in ds.fields.iter().zip(&item.attributes) {
            if let Some(v) = value {
                if v.kind() != spec.kind {
                    return bad(format!(
                        "item \"{}\": field `{}` holds {}, declared {}",
                        item.id,
                        spec.name,
                        v.kind().name(),
                        spec.kind.name()
                    ));
                }
                if !spec.multi_valued && v.len() > 1 {
                    return bad(format!(
                        "item \"{}\": single-valued field `{}` holds {} values",
                        item.id,
                        spec.name,
                        v.len()
                    ));
                }
                if let AttrValue::Double(ds) = v
                    && ds.iter().any(|x| !x.is_finite())
                {
                    return bad(format!("item \"{}\": field `{}` holds a non-finite value", item.id, spec.name));
                }
            }
        }
        if let Some(first) = seen.insert(item.id.as_str(), i) {
            return bad(format!("duplicate item id \"{}\" (items {first} and {i})", item.id));
        }
    }
    let mut seen = HashMap::with_capacity(ds.users.len());
    for (u, user) in ds.users.iter().enumerate() {
        if user.matrix.len() != rows * dims {
            return bad(format!(
                "user \"{}\": matrix has {} values, expected {rows} x {dims}",
                user.id,
                user.matrix.len()
            ));
        }
        if let Some(p) = user.matrix.iter().position(|v| !v.is_finite()) {
            return bad(format!("user \"{}\": non-finite value at position {p}", user.id));
        }
        if let Some(first) = seen.insert(user.id.as_str(), u) {
            return bad(format!("duplicate user id \"{}\" (users {first} and {u})", user.id));
        }
    }
    let mut names = BTreeSet::new();
    for spec in &ds.fields {
        if spec.name == ds.settings.item_vector_field || spec.name == "id" || !names.insert(spec.name.as_str()) {
            return bad(format!("field name `{}` is reserved or repeated", spec.name));
        }
        if matches!(spec.kind, FieldKind::Vector { .. }) {
            return bad(format!("field `{}`: only the item vector may be a vector", spec.name));
        }
    }
    Ok(())
}

fn id_sections<'a>(file: &mut FileBuilder, ids: impl Iterator<Item = &'a str> + Clone) {
    let mut offsets = vec![0u64];
    let mut bytes = Vec::new();
    for id in ids.clone() {
        bytes.extend_from_slice(id.as_bytes());
        offsets.push(bytes.len() as u64);
    }
    let all: Vec<&str> = ids.collect();
    let mut sorted: Vec<u32> = (0..all.len() as u32).collect();
    sorted.sort_by(|&a, &b| all[a as usize].as_bytes().cmp(all[b as usize].as_bytes()));
    file.section("ids.offsets", &offsets);
    file.section("ids.bytes", &bytes);
    file.section("ids.sorted", &sorted);
}

fn truth_sections(ds: &Dataset, file: &mut FileBuilder) -> GroundTruthReport {
    let item_ix: HashMap<&str, u32> = ds.items.iter().enumerate().map(|(i, it)| (it.id.as_str(), i as u32)).collect();
    let user_ix: HashMap<&str, u32> = ds.users.iter().enumerate().map(|(i, u)| (u.id.as_str(), i as u32)).collect();
    let mut report = GroundTruthReport {
        interactions_in_file: ds.interactions.len() as u64,
        exclusions_in_file: ds.exclusions.len() as u64,
        ..Default::default()
    };
    let mut per_user: Vec<Vec<(u32, f32)>> = vec![Vec::new(); ds.users.len()];
    let mut users_in_file: BTreeSet<&str> = BTreeSet::new();
    for it in &ds.interactions {
        users_in_file.insert(it.user_id.as_str());
        match (user_ix.get(it.user_id.as_str()), item_ix.get(it.item_id.as_str())) {
            (None, _) => report.dropped_unknown_users += 1,
            (Some(_), None) => report.dropped_unknown_items += 1,
            (Some(&u), Some(&i)) => per_user[u as usize].push((i, it.weight)),
        }
    }
    report.users_in_file = users_in_file.len() as u64;
    let (mut offsets, mut items, mut weights) = (vec![0u64], Vec::new(), Vec::new());
    for list in &mut per_user {
        list.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        let before = list.len();
        list.dedup_by_key(|e| e.0); // keeps the first of each run: the largest weight
        report.duplicates_merged += (before - list.len()) as u64;
        if !list.is_empty() {
            report.users_kept += 1;
        }
        for &(i, w) in list.iter() {
            items.push(i);
            weights.push(w);
        }
        offsets.push(items.len() as u64);
    }
    report.interactions_kept = items.len() as u64;
    file.section("interactions.offsets", &offsets);
    file.section("interactions.items", &items);
    file.section("interactions.weights", &weights);

    let mut excluded: Vec<Vec<u32>> = vec![Vec::new(); ds.users.len()];
    for ex in &ds.exclusions {
        match (user_ix.get(ex.user_id.as_str()), item_ix.get(ex.item_id.as_str())) {
            (Some(&u), Some(&i)) => excluded[u as usize].push(i),
            _ => report.exclusions_dropped_unknown += 1,
        }
    }
    let (mut offsets, mut items) = (vec![0u64], Vec::new());
    for list in &mut excluded {
        list.sort_unstable();
        list.dedup();
        items.extend_from_slice(list);
        offsets.push(items.len() as u64);
    }
    report.exclusions_kept = items.len() as u64;
    file.section("exclusions.offsets", &offsets);
    file.section("exclusions.items", &items);
    report
}

fn column_sections(
    ds: &Dataset,
    pos: usize,
    kind: FieldKind,
    name: &str,
    file: &mut FileBuilder,
) -> Result<FieldStats, StoreError> {
    let mut offsets = Vec::with_capacity(ds.items.len() + 1);
    offsets.push(0u64);
    match kind {
        FieldKind::Long | FieldKind::Date => {
            let mut values = Vec::new();
            for item in &ds.items {
                if let Some(AttrValue::Long(v) | AttrValue::Date(v)) = &item.attributes[pos] {
                    let start = values.len();
                    values.extend_from_slice(v);
                    values[start..].sort_unstable();
                }
                offsets.push(values.len() as u64);
            }
            file.section(&format!("{name}.offsets"), &offsets);
            file.section(&format!("{name}.values"), &values);
            let as_f64: Vec<f64> = values.iter().map(|&v| v as f64).collect();
            Ok(FieldStats::of_numeric(name, &offsets, &as_f64))
        }
        FieldKind::Double => {
            let mut values = Vec::new();
            for item in &ds.items {
                if let Some(AttrValue::Double(v)) = &item.attributes[pos] {
                    let start = values.len();
                    values.extend_from_slice(v);
                    values[start..].sort_unstable_by(f64::total_cmp);
                }
                offsets.push(values.len() as u64);
            }
            file.section(&format!("{name}.offsets"), &offsets);
            file.section(&format!("{name}.values"), &values);
            Ok(FieldStats::of_numeric(name, &offsets, &values))
        }
        FieldKind::Keyword => {
            // BTreeSet<&str> orders by bytes, so code order is Elasticsearch's keyword order.
            let mut terms: BTreeSet<&str> = BTreeSet::new();
            for item in &ds.items {
                if let Some(AttrValue::Keyword(v)) = &item.attributes[pos] {
                    terms.extend(v.iter().map(String::as_str));
                }
            }
            let dict: Vec<&str> = terms.into_iter().collect();
            let mut codes = Vec::new();
            for item in &ds.items {
                if let Some(AttrValue::Keyword(v)) = &item.attributes[pos] {
                    let start = codes.len();
                    for t in v {
                        // Every term was inserted into the dictionary above.
                        let code = dict.binary_search(&t.as_str()).map_err(|_| {
                            StoreError::InvalidDataset(format!("term \"{t}\" missing from the dictionary of `{name}`"))
                        })?;
                        codes.push(code as u32);
                    }
                    codes[start..].sort_unstable();
                    let mut tail = codes.split_off(start);
                    tail.dedup();
                    codes.extend(tail);
                }
                offsets.push(codes.len() as u64);
            }
            let mut term_offsets = vec![0u64];
            let mut term_bytes = Vec::new();
            for t in &dict {
                term_bytes.extend_from_slice(t.as_bytes());
                term_offsets.push(term_bytes.len() as u64);
            }
            file.section(&format!("{name}.offsets"), &offsets);
            file.section(&format!("{name}.values"), &codes);
            file.section(&format!("{name}.terms.offsets"), &term_offsets);
            file.section(&format!("{name}.terms.bytes"), &term_bytes);
            Ok(FieldStats::of_keyword(name, &offsets, dict.len() as u64))
        }
        FieldKind::Vector { .. } => {
            Err(StoreError::InvalidDataset(format!("field `{name}`: only the item vector may be a vector")))
        }
    }
}
