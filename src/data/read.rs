//! Reader of the exchange format (the `default` adapter): a directory with `items.jsonl`,
//! `users.jsonl`, `interactions.csv`, optional `exclusions.csv` and optional `dataset.json`.
//!
//! Attribute types are inferred over all items (string → keyword, list of strings → multi-valued
//! keyword, integer → long, float → double, list of numbers → multi-valued long/double; a field that
//! mixes integers and floats is double) unless `dataset.json` declares them.

use super::dataset::{AttrValue, Dataset, DatasetSettings, Exclusion, FieldKind, FieldSpec, Interaction, Item, User};
use super::error::DataError;
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldDecl {
    name: String,
    #[serde(rename = "type")]
    kind: DeclKind,
    multi_valued: Option<bool>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum DeclKind {
    Keyword,
    Long,
    Double,
}

/// Reads an exchange-format directory.
pub fn read_dataset(dir: &Path) -> Result<Dataset, DataError> {
    read_dataset_with_progress(dir, &|_| {})
}

/// The bytes `read_dataset` reads from `dir` (for a progress bar's length; missing files count 0).
pub fn dataset_bytes(dir: &Path) -> u64 {
    [SETTINGS_FILE, ITEMS_FILE, USERS_FILE, INTERACTIONS_FILE, EXCLUSIONS_FILE]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

/// `read_dataset`, calling `on_bytes` with the bytes consumed since its last call as parsing goes.
pub fn read_dataset_with_progress(dir: &Path, on_bytes: &dyn Fn(u64)) -> Result<Dataset, DataError> {
    let settings_path = dir.join(SETTINGS_FILE);
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
    let default_name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let settings = DatasetSettings {
        name: file.name.clone().or(default_name).unwrap_or(defaults.name),
        relevance_threshold: file.relevance_threshold.unwrap_or(defaults.relevance_threshold),
        diversity_fields: file.diversity_fields.clone().unwrap_or_default(),
        item_vector_field: file.item_vector_field.clone().unwrap_or(defaults.item_vector_field),
        user_vector_field: file.user_vector_field.clone().unwrap_or(defaults.user_vector_field),
        user_rows: file.user_rows.unwrap_or(defaults.user_rows),
    };
    if settings.user_rows == 0 {
        return Err(DataError::Invalid { path: settings_path, message: "`user_rows` must be at least 1".into() });
    }
    on_bytes(std::fs::metadata(&settings_path).map_or(0, |m| m.len()));
    let (items, fields, dims) = read_items(&dir.join(ITEMS_FILE), &settings, &file, on_bytes)?;
    let users = read_users(&dir.join(USERS_FILE), &settings, dims, on_bytes)?;
    let interactions = read_pairs(&dir.join(INTERACTIONS_FILE), PairKind::Interactions, on_bytes)?
        .into_iter()
        .map(|(item_id, user_id, weight)| Interaction { item_id, user_id, weight })
        .collect();
    let exclusions_path = dir.join(EXCLUSIONS_FILE);
    let exclusions = if exclusions_path.exists() {
        read_pairs(&exclusions_path, PairKind::Exclusions, on_bytes)?
            .into_iter()
            .map(|(item_id, user_id, _)| Exclusion { user_id, item_id })
            .collect()
    } else {
        Vec::new()
    };
    for name in &settings.diversity_fields {
        if !fields.iter().any(|f| &f.name == name) {
            return Err(DataError::Invalid {
                path: settings_path,
                message: format!("diversity field `{name}` is not an item attribute"),
            });
        }
    }
    Ok(Dataset { settings, dims, fields, items, users, interactions, exclusions })
}

fn read_text(path: &Path) -> Result<String, DataError> {
    std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))
}

/// Non-blank lines of a JSONL file with their 1-based line numbers, each parsed as an object;
/// `on_bytes` hears of the bytes parsed every few thousand lines.
fn jsonl_objects(
    path: &Path,
    text: &str,
    on_bytes: &dyn Fn(u64),
) -> Result<Vec<(usize, serde_json::Map<String, Value>)>, DataError> {
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

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
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

/// What the values of one attribute looked like across all items.
#[derive(Debug, Default)]
struct Observed {
    string_line: Option<usize>,
    int_line: Option<usize>,
    float_line: Option<usize>,
    list: bool,
}

type RawItem = (usize, String, Vec<f32>, Vec<(usize, Value)>);

fn read_items(
    path: &Path,
    settings: &DatasetSettings,
    file: &DatasetFile,
    on_bytes: &dyn Fn(u64),
) -> Result<(Vec<Item>, Vec<FieldSpec>, u32), DataError> {
    let text = read_text(path)?;
    let objects = jsonl_objects(path, &text, on_bytes)?;
    drop(text);
    if objects.is_empty() {
        return Err(DataError::Empty { path: path.to_path_buf(), what: "no items".into() });
    }
    let vf = settings.item_vector_field.as_str();
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
    let mut specs = Vec::with_capacity(field_names.len());
    for (pos, name) in field_names.iter().enumerate() {
        let decl = file.fields.iter().find(|d| &d.name == name);
        specs.push(resolve_field(path, name, &observed[pos], decl)?);
    }
    let mut items = Vec::with_capacity(raw.len());
    for (line, id, vector, attrs) in raw {
        let mut attributes: Vec<Option<AttrValue>> = vec![None; specs.len()];
        for (pos, value) in attrs {
            let v = convert(path, line, &specs[pos], value)?;
            attributes[pos] = if v.is_empty() { None } else { Some(v) };
        }
        items.push(Item { id, vector, attributes });
    }
    Ok((items, specs, dims as u32))
}

fn observe(path: &Path, line: usize, field: &str, value: &Value, obs: &mut Observed) -> Result<(), DataError> {
    let scalar = |v: &Value, obs: &mut Observed| -> Result<(), DataError> {
        match v {
            Value::String(_) => obs.string_line = obs.string_line.or(Some(line)),
            Value::Number(n) if n.is_i64() => obs.int_line = obs.int_line.or(Some(line)),
            Value::Number(_) => obs.float_line = obs.float_line.or(Some(line)),
            // Booleans and nested values only pass with a declared type (checked in `convert`).
            Value::Bool(_) => {}
            other => {
                return Err(DataError::BadField {
                    path: path.to_path_buf(),
                    line,
                    field: field.to_string(),
                    message: format!(
                        "unsupported value ({}): attributes are strings, numbers or lists of them",
                        json_type(other)
                    ),
                });
            }
        }
        Ok(())
    };
    match value {
        Value::Array(values) => {
            obs.list = true;
            for v in values {
                scalar(v, obs)?;
            }
            Ok(())
        }
        v => scalar(v, obs),
    }
}

fn resolve_field(path: &Path, name: &str, obs: &Observed, decl: Option<&FieldDecl>) -> Result<FieldSpec, DataError> {
    if let Some(d) = decl {
        let kind = match d.kind {
            DeclKind::Keyword => FieldKind::Keyword,
            DeclKind::Long => FieldKind::Long,
            DeclKind::Double => FieldKind::Double,
        };
        return Ok(FieldSpec { name: name.to_string(), kind, multi_valued: d.multi_valued.unwrap_or(obs.list) });
    }
    let number_line = obs.int_line.or(obs.float_line);
    let kind = match (obs.string_line, number_line) {
        (Some(s), Some(n)) => {
            return Err(DataError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "field `{name}` is a string on line {s} but a number on line {n}; declare its type in dataset.json"
                ),
            });
        }
        (Some(_), None) | (None, None) => FieldKind::Keyword,
        (None, Some(_)) if obs.float_line.is_some() => FieldKind::Double,
        (None, Some(_)) => FieldKind::Long,
    };
    Ok(FieldSpec { name: name.to_string(), kind, multi_valued: obs.list })
}

fn convert(path: &Path, line: usize, spec: &FieldSpec, value: Value) -> Result<AttrValue, DataError> {
    let bad =
        |message: String| DataError::BadField { path: path.to_path_buf(), line, field: spec.name.clone(), message };
    let values = match value {
        Value::Array(vs) => {
            if !spec.multi_valued {
                return Err(bad("a list, but the field is declared single-valued".into()));
            }
            vs
        }
        v => vec![v],
    };
    match spec.kind {
        FieldKind::Keyword => values
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                Value::Number(n) => Ok(n.to_string()),
                Value::Bool(b) => Ok(b.to_string()),
                other => Err(bad(format!("expected a string, found {}", json_type(&other)))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(AttrValue::Keyword),
        FieldKind::Long => values
            .into_iter()
            .map(|v| match &v {
                Value::Number(n) => n.as_i64().ok_or_else(|| bad(format!("{n} is not a 64-bit integer"))),
                Value::String(s) => s.trim().parse::<i64>().map_err(|_| bad(format!("\"{s}\" is not an integer"))),
                other => Err(bad(format!("expected an integer, found {}", json_type(other)))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(AttrValue::Long),
        FieldKind::Double => values
            .into_iter()
            .map(|v| {
                let f = match &v {
                    Value::Number(n) => n.as_f64().ok_or_else(|| bad(format!("{n} is not a number")))?,
                    Value::String(s) => s.trim().parse::<f64>().map_err(|_| bad(format!("\"{s}\" is not a number")))?,
                    other => return Err(bad(format!("expected a number, found {}", json_type(other)))),
                };
                if f.is_finite() { Ok(f) } else { Err(bad(format!("non-finite value {f}"))) }
            })
            .collect::<Result<Vec<_>, _>>()
            .map(AttrValue::Double),
        FieldKind::Vector { .. } => Err(bad("vector attributes other than the item vector are not supported".into())),
    }
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

#[derive(Clone, Copy, PartialEq)]
enum PairKind {
    Interactions,
    Exclusions,
}

/// Reads `interactions.csv` (`item_id,user_id,weight`) or `exclusions.csv` (`user_id,item_id`) as
/// (item_id, user_id, weight). A header row naming the columns is optional; without one the columns
/// are in the order above. A missing weight column means weight 1.
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
    while reader.read_record(&mut record).map_err(csv_err)? {
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        if first {
            first = false;
            if record.iter().any(|f| f == "item_id" || f == "user_id") {
                let find = |name: &str| record.iter().position(|f| f == name);
                let missing = |name: &str| DataError::Csv {
                    path: path.to_path_buf(),
                    line,
                    column: 1,
                    message: format!("header has no `{name}` column"),
                };
                let item = find("item_id").ok_or_else(|| missing("item_id"))?;
                let user = find("user_id").ok_or_else(|| missing("user_id"))?;
                columns = Some((item, user, find("weight")));
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
                        return Err(DataError::Csv {
                            path: path.to_path_buf(),
                            line,
                            column: col + 1,
                            message: format!("weight `{raw}` is not a finite number"),
                        });
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
