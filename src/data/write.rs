//! Writer of the exchange format. Output is byte-for-byte a function of the `Dataset`: fields in
//! schema order, floats in Rust's shortest round-trip form (doubles always carry a `.` or an
//! exponent so they read back as doubles), and the whole directory written atomically.

use super::dataset::{AttrValue, Dataset};
use super::error::DataError;
use super::fsio::replace_dir_atomically;
use super::read::{EXCLUSIONS_FILE, INTERACTIONS_FILE, ITEMS_FILE, SETTINGS_FILE, USERS_FILE};
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes `dataset` as an exchange-format directory at `dir` (replacing it atomically).
pub fn write_dataset(dataset: &Dataset, dir: &Path) -> Result<(), DataError> {
    replace_dir_atomically(dir, |tmp| write_files(dataset, tmp), DataError::io)
}

fn write_files(ds: &Dataset, dir: &Path) -> Result<(), DataError> {
    write_with(&dir.join(SETTINGS_FILE), |w| {
        let json = serde_json::json!({
            "name": ds.settings.name,
            "relevance_threshold": ds.settings.relevance_threshold,
            "diversity_fields": ds.settings.diversity_fields,
            "item_vector_field": ds.settings.item_vector_field,
            "user_vector_field": ds.settings.user_vector_field,
            "user_rows": ds.settings.user_rows,
            "dims": ds.dims,
            "fields": ds.fields.iter().map(|f| serde_json::json!({
                "name": f.name,
                "type": f.kind.name(),
                "multi_valued": f.multi_valued,
            })).collect::<Vec<_>>(),
        });
        serde_json::to_writer_pretty(&mut *w, &json).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    })?;
    write_with(&dir.join(ITEMS_FILE), |w| {
        let mut line = String::new();
        for item in &ds.items {
            line.clear();
            line.push_str("{\"id\":");
            push_json_str(&mut line, &item.id);
            line.push(',');
            push_json_str(&mut line, &ds.settings.item_vector_field);
            line.push(':');
            push_f32_list(&mut line, &item.vector);
            for (spec, value) in ds.fields.iter().zip(&item.attributes) {
                let Some(value) = value else { continue };
                line.push(',');
                push_json_str(&mut line, &spec.name);
                line.push(':');
                push_attr(&mut line, value, spec.multi_valued);
            }
            line.push_str("}\n");
            w.write_all(line.as_bytes())?;
        }
        Ok(())
    })?;
    let dims = ds.dims as usize;
    write_with(&dir.join(USERS_FILE), |w| {
        let mut line = String::new();
        for user in &ds.users {
            line.clear();
            line.push_str("{\"id\":");
            push_json_str(&mut line, &user.id);
            line.push(',');
            push_json_str(&mut line, &ds.settings.user_vector_field);
            line.push_str(":[");
            for (r, row) in user.matrix.chunks(dims.max(1)).enumerate() {
                if r > 0 {
                    line.push(',');
                }
                push_f32_list(&mut line, row);
            }
            line.push_str("]}\n");
            w.write_all(line.as_bytes())?;
        }
        Ok(())
    })?;
    write_with(&dir.join(INTERACTIONS_FILE), |w| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(["item_id", "user_id", "weight"])?;
        for i in &ds.interactions {
            csv.write_record([i.item_id.as_str(), i.user_id.as_str(), &format!("{}", i.weight)])?;
        }
        csv.flush()
    })?;
    if !ds.exclusions.is_empty() {
        write_with(&dir.join(EXCLUSIONS_FILE), |w| {
            let mut csv = csv::Writer::from_writer(w);
            csv.write_record(["user_id", "item_id"])?;
            for e in &ds.exclusions {
                csv.write_record([e.user_id.as_str(), e.item_id.as_str()])?;
            }
            csv.flush()
        })?;
    }
    Ok(())
}

fn write_with(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<(), DataError> {
    let file = std::fs::File::create(path).map_err(|e| DataError::io(path, e))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    body(&mut w).and_then(|_| w.flush()).map_err(|e| DataError::io(path, e))
}

fn push_json_str(out: &mut String, s: &str) {
    // serde_json's string escaping cannot fail for a &str.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\"")));
}

fn push_f32_list(out: &mut String, values: &[f32]) {
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{v}");
    }
    out.push(']');
}

/// Debug formatting of f64 is the shortest round-trip form and always marks the value as a float
/// (`4.0`, `1e-7`), so type inference on re-read gives `double` again.
fn push_f64(out: &mut String, v: f64) {
    let _ = write!(out, "{v:?}");
}

fn push_attr(out: &mut String, value: &AttrValue, multi: bool) {
    let list = multi || value.len() != 1;
    if list {
        out.push('[');
    }
    match value {
        AttrValue::Keyword(vs) => join(out, vs, |o, v| push_json_str(o, v)),
        AttrValue::Long(vs) => join(out, vs, |o, v| {
            let _ = write!(o, "{v}");
        }),
        AttrValue::Double(vs) => join(out, vs, |o, v| push_f64(o, *v)),
        // ISO-8601 in UTC, which reads back as the same milliseconds; outside the years 0000-9999
        // the epoch milliseconds themselves (a date field reads numbers as epoch_millis).
        AttrValue::Date(vs) => {
            join(out, vs, |o, v| match super::dates::instant_to_string(super::dates::Instant::of_epoch_milli(*v)) {
                Some(text) => push_json_str(o, &text),
                None => {
                    let _ = write!(o, "{v}");
                }
            })
        }
    }
    if list {
        out.push(']');
    }
}

fn join<T>(out: &mut String, values: &[T], mut each: impl FnMut(&mut String, &T)) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, v);
    }
}
