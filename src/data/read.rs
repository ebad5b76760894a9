//! Reader of the exchange format (the `default` adapter): a directory with `items.jsonl` (or
//! `loans.jsonl`), `users.jsonl`, `interactions.csv`, optional `exclusions.csv` and optional
//! `dataset.json`, or the same files named one by one (`DatasetFiles`).
//!
//! Attribute types are inferred over all items (string → keyword, list of strings → multi-valued
//! keyword, integer → long, float → double, list of numbers → multi-valued long/double; a field that
//! mixes integers and floats is double; a field whose every value is an ISO-8601 date string → date,
//! announced) unless `dataset.json` or `--date-field` declares them. A date is read as Elasticsearch's
//! default date format does (`strict_date_optional_time||epoch_millis`, UTC): an ISO-8601 string
//! (`dates::parse_default_date_millis`), or a number of epoch milliseconds, or of epoch seconds when the
//! field is declared with `"format": "epoch_second"`.
//!
//! Settings that change a metric are never defaulted silently. Each comes from the command line
//! (`SettingsOverrides`), else `dataset.json`, else a default the reader announces in
//! `DatasetRead::defaults_applied`:
//! - the relevance threshold: graded weights (more than two distinct values) have no safe default and
//!   are an error that shows their distribution; binary/implicit weights (at most two values, the
//!   largest at least 1) default to 1;
//! - the diversity fields: every keyword attribute (none: ILD is unavailable, said so);
//! - the item vector field: `item_vector` when the items have it, else the one attribute that holds a
//!   list of numbers of one length in every item.

use super::attributes::{DateFieldFlag, FieldDecl, Observed, convert, json_type, observe, resolve_field};
use super::dataset::{AttrValue, Dataset, DatasetSettings, Exclusion, FieldKind, FieldSpec, Interaction, Item, User};
use super::error::DataError;
use super::files::DatasetFiles;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

pub const ITEMS_FILE: &str = "items.jsonl";
pub const USERS_FILE: &str = "users.jsonl";
pub const INTERACTIONS_FILE: &str = "interactions.csv";
pub const EXCLUSIONS_FILE: &str = "exclusions.csv";
pub const SETTINGS_FILE: &str = "dataset.json";

/// `dataset.json`: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct DatasetFile {
    name: Option<String>,
    relevance_threshold: Option<f64>,
    diversity_fields: Option<Vec<String>>,
    item_vector_field: Option<String>,
    user_vector_field: Option<String>,
    user_rows: Option<u32>,
    dims: Option<u32>,
    fields: Vec<FieldDecl>,
}

/// Settings given on the command line (`scorelab import --threshold ...`); each wins over
/// `dataset.json`.
#[derive(Debug, Clone, Default)]
pub struct SettingsOverrides {
    pub name: Option<String>,
    pub relevance_threshold: Option<f64>,
    pub diversity_fields: Option<Vec<String>>,
    pub item_vector_field: Option<String>,
    /// Fields to import as dates (`--date-field`), winning over `dataset.json`'s declarations.
    pub date_fields: Vec<DateFieldFlag>,
}

/// A dataset read from files, with one sentence per setting the reader defaulted because neither the
/// command line nor `dataset.json` gave it (for the command to print: such defaults change metrics).
#[derive(Debug, Clone)]
pub struct DatasetRead {
    pub dataset: Dataset,
    pub defaults_applied: Vec<String>,
}

/// Reads an exchange-format directory. The defaults it applied are dropped: commands call
/// `read_dataset_with` and print them.
pub fn read_dataset(dir: &Path) -> Result<Dataset, DataError> {
    read_dataset_with(dir, &SettingsOverrides::default(), &|_| {}).map(|read| read.dataset)
}

/// The bytes `read_dataset` reads from `dir` (for a progress bar's length; missing files count 0).
pub fn dataset_bytes(dir: &Path) -> u64 {
    DatasetFiles::in_dir(dir).map_or(0, |files| files.bytes())
}

/// `read_dataset`, calling `on_bytes` with the bytes consumed since its last call as parsing goes.
pub fn read_dataset_with_progress(dir: &Path, on_bytes: &dyn Fn(u64)) -> Result<Dataset, DataError> {
    read_dataset_with(dir, &SettingsOverrides::default(), on_bytes).map(|read| read.dataset)
}

/// Reads an exchange-format directory with command-line settings, reporting progress through
/// `on_bytes` and every default it applied.
pub fn read_dataset_with(
    dir: &Path,
    overrides: &SettingsOverrides,
    on_bytes: &dyn Fn(u64),
) -> Result<DatasetRead, DataError> {
    read_dataset_files(&DatasetFiles::in_dir(dir)?, overrides, on_bytes)
}

/// `read_dataset_with` on files named one by one.
pub fn read_dataset_files(
    files: &DatasetFiles,
    overrides: &SettingsOverrides,
    on_bytes: &dyn Fn(u64),
) -> Result<DatasetRead, DataError> {
    let mut defaults_applied = Vec::new();
    let settings_path = files.settings.clone();
    let file = if settings_path.exists() {
        let text = read_text(&settings_path)?;
        serde_json::from_str::<DatasetFile>(&text).map_err(|e| DataError::Json {
            path: settings_path.clone(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?
    } else {
        DatasetFile::default()
    };
    let defaults = DatasetSettings::default();
    let default_name = files.default_name.clone();
    let mut settings = DatasetSettings {
        name: overrides.name.clone().or(file.name.clone()).or(default_name).unwrap_or(defaults.name),
        relevance_threshold: defaults.relevance_threshold,
        diversity_fields: Vec::new(),
        item_vector_field: String::new(),
        user_vector_field: file.user_vector_field.clone().unwrap_or(defaults.user_vector_field),
        user_rows: file.user_rows.unwrap_or(defaults.user_rows),
    };
    if settings.user_rows == 0 {
        return Err(DataError::Invalid { path: settings_path, message: "`user_rows` must be at least 1".into() });
    }
    if let Some(t) = overrides.relevance_threshold.filter(|t| !t.is_finite()) {
        return Err(DataError::Setting {
            setting: "--threshold".into(),
            message: format!("{t} is not a finite number"),
        });
    }
    on_bytes(std::fs::metadata(&settings_path).map_or(0, |m| m.len()));
    let vector_field = overrides.item_vector_field.as_deref().or(file.item_vector_field.as_deref());
    let items_path = files.items.clone();
    let (items, fields, dims, vector_field) =
        read_items(&items_path, vector_field, &file, &overrides.date_fields, on_bytes, &mut defaults_applied)?;
    settings.item_vector_field = vector_field;
    let users = read_users(&files.users, &settings, dims, on_bytes)?;
    let interactions_path = files.interactions.clone();
    let interactions: Vec<Interaction> = read_pairs(&interactions_path, PairKind::Interactions, on_bytes)?
        .into_iter()
        .map(|(item_id, user_id, weight)| Interaction { item_id, user_id, weight })
        .collect();
    settings.relevance_threshold = match overrides.relevance_threshold.or(file.relevance_threshold) {
        Some(t) => t,
        None => default_threshold(&interactions_path, &interactions, &mut defaults_applied)?,
    };
    let exclusions_path = files.exclusions.clone();
    let exclusions = if exclusions_path.exists() {
        read_pairs(&exclusions_path, PairKind::Exclusions, on_bytes)?
            .into_iter()
            .map(|(item_id, user_id, _)| Exclusion { user_id, item_id })
            .collect()
    } else {
        defaults_applied.push(format!(
            "no {EXCLUSIONS_FILE}: nothing is excluded from any user's list, so items a user met in training \
             can fill their top-k (and never count as relevant); add {} (user_id,item_id) with each user's \
             training items",
            exclusions_path.display()
        ));
        Vec::new()
    };
    settings.diversity_fields = match (&overrides.diversity_fields, &file.diversity_fields) {
        (Some(given), _) => {
            if let Some(name) = given.iter().find(|n| !fields.iter().any(|f| &f.name == *n)) {
                return Err(DataError::Setting {
                    setting: "--diversity-field".into(),
                    message: format!("`{name}` is not an item attribute ({})", attribute_names(&fields)),
                });
            }
            given.clone()
        }
        (None, Some(declared)) => {
            if let Some(name) = declared.iter().find(|n| !fields.iter().any(|f| &f.name == *n)) {
                return Err(DataError::Invalid {
                    path: settings_path,
                    message: format!("diversity field `{name}` is not an item attribute"),
                });
            }
            declared.clone()
        }
        (None, None) => default_diversity_fields(&fields, &mut defaults_applied),
    };
    let dataset = Dataset { settings, dims, fields, items, users, interactions, exclusions };
    Ok(DatasetRead { dataset, defaults_applied })
}

fn attribute_names(fields: &[FieldSpec]) -> String {
    if fields.is_empty() {
        return "the items have no attributes".into();
    }
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    format!("attributes: {}", names.join(", "))
}

/// The relevance threshold when none was given. Graded weights have no safe default (1 would count
/// every rating 1-5 as relevant), so they are an error showing their distribution; binary or implicit
/// weights (at most two distinct values, the largest at least 1) default to 1, announced.
fn default_threshold(path: &Path, interactions: &[Interaction], notes: &mut Vec<String>) -> Result<f64, DataError> {
    let mut counts: Vec<(f32, usize)> = Vec::new();
    let mut weights: Vec<f32> = interactions.iter().map(|i| i.weight).collect();
    weights.sort_by(f32::total_cmp);
    for w in weights {
        match counts.last_mut() {
            Some((last, n)) if *last == w => *n += 1,
            _ => counts.push((w, 1)),
        }
    }
    let shown: Vec<String> = counts.iter().take(12).map(|(w, n)| format!("{w}: {n}")).collect();
    let more = if counts.len() > 12 { format!(", ... ({} distinct values)", counts.len()) } else { String::new() };
    let distribution = format!("{}{more}", shown.join(", "));
    let largest = counts.last().map_or(0.0, |(w, _)| *w);
    if counts.len() > 2 || largest < 1.0 {
        let why = if counts.len() > 2 { "graded" } else { "all below 1" };
        return Err(DataError::NoThreshold { path: path.to_path_buf(), why: why.into(), distribution });
    }
    notes.push(format!(
        "relevance threshold 1 (default): interaction weights take {} value(s) ({distribution}), read as \
         binary/implicit feedback, so every interaction with weight >= 1 is relevant; pass --threshold to \
         import (or relevance_threshold in dataset.json) to change it",
        counts.len()
    ));
    Ok(1.0)
}

/// The diversity fields when none were given: every keyword attribute, announced; with none, ILD is
/// unavailable for the store, also announced.
fn default_diversity_fields(fields: &[FieldSpec], notes: &mut Vec<String>) -> Vec<String> {
    let keywords: Vec<String> =
        fields.iter().filter(|f| f.kind == FieldKind::Keyword).map(|f| f.name.clone()).collect();
    if keywords.is_empty() {
        notes.push(
            "ILD@10 unavailable: the items have no keyword attribute and no diversity field was given \
             (--diversity-field, or diversity_fields in dataset.json); an ild objective or guardrail will \
             be refused"
                .into(),
        );
    } else {
        notes.push(format!(
            "diversity fields {} (default: every keyword attribute): ILD@10 compares items on these; pass \
             --diversity-field (repeatable) to import, or diversity_fields in dataset.json, to choose",
            keywords.join(", ")
        ));
    }
    keywords
}

/// The item vector field when none was named: `item_vector` when the first item has it, else the one
/// attribute holding a non-empty list of numbers of one length in every item; otherwise an error that
/// lists what was found and names the flag.
fn detect_vector_field(path: &Path, objects: &[NumberedObject], notes: &mut Vec<String>) -> Result<String, DataError> {
    const CONVENTIONAL: &str = "item_vector";
    let numeric_len = |v: &Value| match v {
        Value::Array(xs) if !xs.is_empty() && xs.iter().all(Value::is_number) => Some(xs.len()),
        _ => None,
    };
    let Some((_, first)) = objects.first() else {
        return Err(DataError::Empty { path: path.to_path_buf(), what: "no items".into() });
    };
    // The conventional name is taken as it stands: its dims are then checked item by item, with an error
    // that names the line, rather than the field silently dropping out of the candidates.
    if first.contains_key(CONVENTIONAL) {
        return Ok(CONVENTIONAL.to_string());
    }
    let mut candidates: Vec<(String, usize)> =
        first.iter().filter(|(k, _)| *k != "id").filter_map(|(k, v)| numeric_len(v).map(|n| (k.clone(), n))).collect();
    for (_, obj) in &objects[1..] {
        candidates.retain(|(k, n)| obj.get(k).and_then(numeric_len) == Some(*n));
        if candidates.is_empty() {
            break;
        }
    }
    let chosen = match candidates.as_slice() {
        [] => {
            return Err(DataError::Invalid {
                path: path.to_path_buf(),
                message: "no attribute holds a list of numbers of one length in every item, so the item \
                          vector field cannot be detected: pass --vector-field NAME to import (or set \
                          item_vector_field in dataset.json)"
                    .into(),
            });
        }
        [(name, _)] => name.clone(),
        several => {
            let names: Vec<&str> = several.iter().map(|(k, _)| k.as_str()).collect();
            return Err(DataError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "several attributes could be the item vector ({}): pass --vector-field NAME to import (or \
                     set item_vector_field in dataset.json)",
                    names.join(", ")
                ),
            });
        }
    };
    let dims = candidates.iter().find(|(k, _)| *k == chosen).map_or(0, |(_, n)| *n);
    notes.push(format!(
        "item vector field `{chosen}` ({dims} dims, detected: the only attribute holding a fixed-length numeric \
         list); pass --vector-field to import to choose"
    ));
    Ok(chosen)
}

/// A text file's contents: UTF-8, a leading byte-order mark dropped (as the CSV reader does); invalid
/// UTF-8 is an error naming its line and column.
fn read_text(path: &Path) -> Result<String, DataError> {
    let mut bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let line_start = bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        DataError::NotUtf8 {
            path: path.to_path_buf(),
            line: bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1,
            // Characters before the bad byte on its line (the valid prefix is UTF-8).
            column: String::from_utf8_lossy(&bytes[line_start..at]).chars().count() + 1,
            byte: bytes[at],
        }
    })
}

/// A JSON object of a JSONL file with its 1-based line number.
type NumberedObject = (usize, serde_json::Map<String, Value>);

/// Non-blank lines of a JSONL file with their 1-based line numbers, each parsed as an object;
/// `on_bytes` hears of the bytes parsed every few thousand lines.
fn jsonl_objects(path: &Path, text: &str, on_bytes: &dyn Fn(u64)) -> Result<Vec<NumberedObject>, DataError> {
    let mut out = Vec::new();
    let mut unreported = 0u64;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        unreported += raw.len() as u64 + 1;
        if line_no % 4096 == 0 {
            on_bytes(std::mem::take(&mut unreported));
        }
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => out.push((line_no, map)),
            Ok(other) => {
                return Err(DataError::Json {
                    path: path.to_path_buf(),
                    line: line_no,
                    column: 1,
                    message: format!("expected a JSON object, found {}", json_type(&other)),
                });
            }
            Err(e) => {
                let message = match non_json_number(line) {
                    Some(token) => format!("`{token}` is not a JSON number (vectors must hold finite numbers): {e}"),
                    None => e.to_string(),
                };
                return Err(DataError::Json { path: path.to_path_buf(), line: line_no, column: e.column(), message });
            }
        }
    }
    on_bytes(unreported.min(text.len() as u64));
    Ok(out)
}

/// Python's `json.dumps` writes NaN/Infinity as bare tokens; name them instead of a bare syntax error.
fn non_json_number(line: &str) -> Option<&'static str> {
    ["-Infinity", "Infinity", "NaN"].into_iter().find(|t| {
        line.match_indices(t).any(|(i, _)| {
            let before = line[..i].trim_end().chars().last();
            matches!(before, Some('[' | ',' | ':'))
        })
    })
}

fn id_of(path: &Path, line: usize, obj: &serde_json::Map<String, Value>) -> Result<String, DataError> {
    let bad = |message: String| DataError::BadField { path: path.to_path_buf(), line, field: "id".into(), message };
    match obj.get("id") {
        None | Some(Value::Null) => Err(DataError::MissingField { path: path.to_path_buf(), line, field: "id".into() }),
        Some(Value::String(s)) if s.is_empty() => Err(bad("id is an empty string".into())),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        Some(other) => Err(bad(format!("id must be a string or an integer, found {}", json_type(other)))),
    }
}

/// A list of finite numbers as f32 (values that overflow f32 count as non-finite).
fn f32_list(path: &Path, line: usize, field: &str, v: &Value, offset: usize) -> Result<Vec<f32>, DataError> {
    let Value::Array(values) = v else {
        return Err(DataError::BadField {
            path: path.to_path_buf(),
            line,
            field: field.to_string(),
            message: format!("expected a list of numbers, found {}", json_type(v)),
        });
    };
    let mut out = Vec::with_capacity(values.len());
    for (i, x) in values.iter().enumerate() {
        let Some(f) = x.as_f64() else {
            return Err(DataError::BadField {
                path: path.to_path_buf(),
                line,
                field: field.to_string(),
                message: format!("position {}: expected a number, found {}", offset + i, json_type(x)),
            });
        };
        let f = f as f32;
        if !f.is_finite() {
            return Err(DataError::NonFinite {
                path: path.to_path_buf(),
                line,
                field: field.to_string(),
                index: offset + i,
                value: x.to_string(),
            });
        }
        out.push(f);
    }
    Ok(out)
}

type RawItem = (usize, String, Vec<f32>, Vec<(usize, Value)>);

/// The items, their attribute fields, the vector dims and the item vector field's name (`vector_field`
/// when given, else detected and announced in `notes`).
type ItemsRead = (Vec<Item>, Vec<FieldSpec>, u32, String);

fn read_items(
    path: &Path,
    vector_field: Option<&str>,
    file: &DatasetFile,
    date_flags: &[DateFieldFlag],
    on_bytes: &dyn Fn(u64),
    notes: &mut Vec<String>,
) -> Result<ItemsRead, DataError> {
    let text = read_text(path)?;
    let objects = jsonl_objects(path, &text, on_bytes)?;
    drop(text);
    if objects.is_empty() {
        return Err(DataError::Empty { path: path.to_path_buf(), what: "no items".into() });
    }
    let vf_name = match vector_field {
        Some(name) => name.to_string(),
        None => detect_vector_field(path, &objects, notes)?,
    };
    let vf = vf_name.as_str();
    let mut dims: Option<(usize, String)> = file.dims.map(|d| (d as usize, " (set by dataset.json)".to_string()));
    let mut field_index: HashMap<String, usize> = HashMap::new();
    let mut field_names: Vec<String> = file.fields.iter().map(|d| d.name.clone()).collect();
    for (i, n) in field_names.iter().enumerate() {
        field_index.insert(n.clone(), i);
    }
    let mut observed: Vec<Observed> = field_names.iter().map(|_| Observed::default()).collect();
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(objects.len());
    let mut raw: Vec<RawItem> = Vec::with_capacity(objects.len());
    for (line, obj) in objects {
        let id = id_of(path, line, &obj)?;
        if let Some(&first_line) = seen.get(&id) {
            return Err(DataError::DuplicateId { path: path.to_path_buf(), line, what: "item", id, first_line });
        }
        seen.insert(id.clone(), line);
        let vector = match obj.get(vf) {
            None | Some(Value::Null) => {
                return Err(DataError::MissingField { path: path.to_path_buf(), line, field: vf.to_string() });
            }
            Some(v) => f32_list(path, line, vf, v, 0)?,
        };
        match &dims {
            None => dims = Some((vector.len(), format!(" (as on line {line}, the first item)"))),
            Some((expected, why)) if *expected != vector.len() => {
                return Err(DataError::WrongDims {
                    path: path.to_path_buf(),
                    line,
                    field: vf.to_string(),
                    expected: *expected,
                    got: vector.len(),
                    why: why.clone(),
                });
            }
            Some(_) => {}
        }
        let mut attrs = Vec::new();
        for (key, value) in obj {
            if key == "id" || key == vf || value.is_null() {
                continue;
            }
            let pos = *field_index.entry(key.clone()).or_insert_with(|| {
                field_names.push(key.clone());
                observed.push(Observed::default());
                field_names.len() - 1
            });
            observe(path, line, &key, &value, &mut observed[pos])?;
            attrs.push((pos, value));
        }
        raw.push((line, id, vector, attrs));
    }
    let dims = dims.map(|d| d.0).unwrap_or(0);
    if dims == 0 {
        return Err(DataError::Invalid { path: path.to_path_buf(), message: format!("`{vf}` vectors are empty") });
    }
    if let Some(flag) = date_flags.iter().find(|f| !field_names.contains(&f.name) && f.name != vf) {
        return Err(DataError::Setting {
            setting: "--date-field".into(),
            message: format!("no item has a field `{}`", flag.name),
        });
    }
    let mut specs = Vec::with_capacity(field_names.len());
    let mut units = Vec::with_capacity(field_names.len());
    for (pos, name) in field_names.iter().enumerate() {
        let decl = file.fields.iter().find(|d| &d.name == name);
        let flag = date_flags.iter().find(|f| &f.name == name);
        let (spec, unit) = resolve_field(path, name, &observed[pos], decl, flag, notes)?;
        specs.push(spec);
        units.push(unit);
    }
    let mut items = Vec::with_capacity(raw.len());
    for (line, id, vector, attrs) in raw {
        let mut attributes: Vec<Option<AttrValue>> = vec![None; specs.len()];
        for (pos, value) in attrs {
            let v = convert(path, line, &specs[pos], units[pos], value)?;
            attributes[pos] = if v.is_empty() { None } else { Some(v) };
        }
        items.push(Item { id, vector, attributes });
    }
    Ok((items, specs, dims as u32, vf_name))
}

fn read_users(
    path: &Path,
    settings: &DatasetSettings,
    dims: u32,
    on_bytes: &dyn Fn(u64),
) -> Result<Vec<User>, DataError> {
    let text = read_text(path)?;
    let objects = jsonl_objects(path, &text, on_bytes)?;
    drop(text);
    if objects.is_empty() {
        return Err(DataError::Empty { path: path.to_path_buf(), what: "no users".into() });
    }
    let (rows, dims) = (settings.user_rows as usize, dims as usize);
    let field = settings.user_vector_field.as_str();
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(objects.len());
    let mut users = Vec::with_capacity(objects.len());
    for (line, obj) in objects {
        let id = id_of(path, line, &obj)?;
        if let Some(&first_line) = seen.get(&id) {
            return Err(DataError::DuplicateId { path: path.to_path_buf(), line, what: "user", id, first_line });
        }
        seen.insert(id.clone(), line);
        let bad_shape = |got: String| DataError::BadMatrix {
            path: path.to_path_buf(),
            line,
            field: field.to_string(),
            expected_rows: rows,
            expected_dims: dims,
            got,
        };
        let matrix = match obj.get(field) {
            None | Some(Value::Null) => {
                return Err(DataError::MissingField { path: path.to_path_buf(), line, field: field.to_string() });
            }
            Some(Value::Array(outer)) if outer.iter().all(Value::is_array) && !outer.is_empty() => {
                if outer.len() != rows {
                    return Err(bad_shape(format!("{} rows", outer.len())));
                }
                let mut m = Vec::with_capacity(rows * dims);
                for (r, row) in outer.iter().enumerate() {
                    let values = f32_list(path, line, field, row, r * dims)?;
                    if values.len() != dims {
                        return Err(bad_shape(format!("row {} with {} values", r + 1, values.len())));
                    }
                    m.extend(values);
                }
                m
            }
            // A flat row-major list of rows × dims numbers is accepted too.
            Some(v @ Value::Array(_)) => {
                let m = f32_list(path, line, field, v, 0)?;
                if m.len() != rows * dims {
                    return Err(bad_shape(format!("a flat list of {} numbers", m.len())));
                }
                m
            }
            Some(other) => return Err(bad_shape(json_type(other).to_string())),
        };
        users.push(User { id, matrix });
    }
    Ok(users)
}

/// The item column of the original harness's interactions, next to its `loans.jsonl`.
const ITEM_ID_OF_LOANS: &str = "loan_id";

#[derive(Clone, Copy, PartialEq)]
enum PairKind {
    Interactions,
    Exclusions,
}

/// Reads `interactions.csv` (`item_id,user_id,weight`) or `exclusions.csv` (`user_id,item_id`) as
/// (item_id, user_id, weight). A header row naming the columns is optional (`loan_id` may name the item
/// column); without one the columns are in the order above. A missing weight column means weight 1.
fn read_pairs(path: &Path, kind: PairKind, on_bytes: &dyn Fn(u64)) -> Result<Vec<(String, String, f32)>, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    // Reported whole once read: pair files are small next to the vectors.
    let size = file.metadata().map_or(0, |m| m.len());
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(std::io::BufReader::new(file));
    let csv_err = |e: csv::Error| {
        let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
        let (column, message) = match e.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                (*len as usize, format!("expected {expected_len} fields, found {len}"))
            }
            _ => (1, e.to_string()),
        };
        DataError::Csv { path: path.to_path_buf(), line, column, message }
    };
    let mut columns: Option<(usize, usize, Option<usize>)> = None;
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut first = true;
    let mut has_header = false;
    while reader.read_record(&mut record).map_err(csv_err)? {
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        if first {
            first = false;
            if record.iter().any(|f| f == "item_id" || f == ITEM_ID_OF_LOANS || f == "user_id") {
                let find = |name: &str| record.iter().position(|f| f == name);
                let names: Vec<&str> = record.iter().collect();
                let missing = |name: &str| DataError::Csv {
                    path: path.to_path_buf(),
                    line,
                    column: 1,
                    message: format!(
                        "header has no `{name}` column (columns: {}); rename one to {name}",
                        names.join(", ")
                    ),
                };
                let item = find("item_id").or_else(|| find(ITEM_ID_OF_LOANS)).ok_or_else(|| missing("item_id"))?;
                let user = find("user_id").ok_or_else(|| missing("user_id"))?;
                columns = Some((item, user, find("weight")));
                has_header = true;
                continue;
            }
            let n = record.len();
            columns = Some(match (kind, n) {
                (PairKind::Interactions, 3) => (0, 1, Some(2)),
                (PairKind::Interactions, 2) => (0, 1, None),
                (PairKind::Exclusions, 2) => (1, 0, None),
                _ => {
                    return Err(DataError::Csv {
                        path: path.to_path_buf(),
                        line,
                        column: 1,
                        message: format!(
                            "no header row and {n} fields; expected {}",
                            match kind {
                                PairKind::Interactions => "item_id,user_id,weight",
                                PairKind::Exclusions => "user_id,item_id",
                            }
                        ),
                    });
                }
            });
        }
        let Some((ic, uc, wc)) = columns else { continue };
        let field = |col: usize, name: &str| -> Result<String, DataError> {
            match record.get(col) {
                Some(v) if !v.is_empty() => Ok(v.to_string()),
                _ => Err(DataError::Csv {
                    path: path.to_path_buf(),
                    line,
                    column: col + 1,
                    message: format!("empty `{name}`"),
                }),
            }
        };
        let item_id = field(ic, "item_id")?;
        let user_id = field(uc, "user_id")?;
        let weight = match wc {
            None => 1.0,
            Some(col) => {
                let raw = field(col, "weight")?;
                match raw.parse::<f32>() {
                    Ok(w) if w.is_finite() => w,
                    _ => {
                        let header_like = out.is_empty() && !has_header;
                        let message = if header_like {
                            let columns: Vec<&str> = record.iter().collect();
                            format!(
                                "weight `{raw}` is not a finite number: if this row ({}) is a header, it must name the \
                                 columns item_id,user_id,weight",
                                columns.join(",")
                            )
                        } else {
                            format!("weight `{raw}` is not a finite number")
                        };
                        return Err(DataError::Csv { path: path.to_path_buf(), line, column: col + 1, message });
                    }
                }
            }
        };
        out.push((item_id, user_id, weight));
    }
    if kind == PairKind::Interactions && out.is_empty() {
        return Err(DataError::Empty { path: path.to_path_buf(), what: "no interactions".into() });
    }
    on_bytes(size);
    Ok(out)
}
