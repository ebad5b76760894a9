//! Attribute types of the items file: what a field's values look like across all items (`observe`),
//! the type that follows (declared in `dataset.json` or by `--date-field`, else inferred and, for
//! dates, announced), and each value converted to it with an error naming file, line and field.

use super::dataset::{AttrValue, FieldKind, FieldSpec};
use super::error::DataError;
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FieldDecl {
    pub(super) name: String,
    #[serde(rename = "type")]
    kind: DeclKind,
    multi_valued: Option<bool>,
    /// Date fields only: how numbers are read (default `epoch_millis`, as Elasticsearch reads them).
    format: Option<EpochUnit>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum DeclKind {
    Keyword,
    Long,
    Double,
    Date,
}

/// What a number in a date field counts: Elasticsearch's `epoch_millis` (its default) or `epoch_second`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpochUnit {
    #[default]
    EpochMillis,
    EpochSecond,
}

impl EpochUnit {
    pub fn parse(name: &str) -> Option<EpochUnit> {
        match name {
            "epoch_millis" => Some(EpochUnit::EpochMillis),
            "epoch_second" => Some(EpochUnit::EpochSecond),
            _ => None,
        }
    }

    fn millis(self, n: i64) -> Option<i64> {
        match self {
            EpochUnit::EpochMillis => Some(n),
            EpochUnit::EpochSecond => n.checked_mul(1000),
        }
    }
}

/// `--date-field NAME[:epoch_millis|epoch_second]`: a field imported as a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFieldFlag {
    pub name: String,
    pub unit: EpochUnit,
}

impl std::str::FromStr for DateFieldFlag {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (name, unit) = match s.split_once(':') {
            Some((name, unit)) => (
                name,
                EpochUnit::parse(unit).ok_or_else(|| {
                    format!("unknown date format `{unit}` in `{s}`: use NAME, NAME:epoch_millis or NAME:epoch_second")
                })?,
            ),
            None => (s, EpochUnit::EpochMillis),
        };
        if name.is_empty() {
            return Err(format!("`{s}` names no field"));
        }
        Ok(DateFieldFlag { name: name.to_string(), unit })
    }
}

/// What the values of one attribute looked like across all items.
#[derive(Debug, Default)]
pub(super) struct Observed {
    string_line: Option<usize>,
    int_line: Option<usize>,
    float_line: Option<usize>,
    list: bool,
    /// A string that is not an ISO-8601 date (`yyyy-MM-dd...`): the field cannot be detected as a date.
    non_date_string: bool,
}

pub(super) fn observe(
    path: &Path,
    line: usize,
    field: &str,
    value: &Value,
    obs: &mut Observed,
) -> Result<(), DataError> {
    let scalar = |v: &Value, obs: &mut Observed| -> Result<(), DataError> {
        match v {
            Value::String(s) => {
                obs.string_line = obs.string_line.or(Some(line));
                obs.non_date_string |= !looks_like_iso_date(s);
            }
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

/// Dates are kept in the years 0000-9999, where they print as Java prints them.
fn in_years(millis: i64) -> bool {
    super::dates::Instant::of_epoch_milli(millis).fields().is_some()
}

/// `yyyy-MM-dd` at the start, and the whole string readable as a date (`dates::parse_default_date_millis`).
fn looks_like_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && super::dates::parse_default_date_millis(s).is_ok()
}

/// The field's spec and, for a date field, how its numbers are read.
pub(super) fn resolve_field(
    path: &Path,
    name: &str,
    obs: &Observed,
    decl: Option<&FieldDecl>,
    flag: Option<&DateFieldFlag>,
    notes: &mut Vec<String>,
) -> Result<(FieldSpec, EpochUnit), DataError> {
    let spec = |kind| FieldSpec { name: name.to_string(), kind, multi_valued: obs.list };
    if let Some(f) = flag {
        let multi_valued = decl.and_then(|d| d.multi_valued).unwrap_or(obs.list);
        return Ok((FieldSpec { multi_valued, ..spec(FieldKind::Date) }, f.unit));
    }
    if let Some(d) = decl {
        let kind = match d.kind {
            DeclKind::Keyword => FieldKind::Keyword,
            DeclKind::Long => FieldKind::Long,
            DeclKind::Double => FieldKind::Double,
            DeclKind::Date => FieldKind::Date,
        };
        if d.format.is_some() && kind != FieldKind::Date {
            return Err(DataError::Invalid {
                path: path.to_path_buf(),
                message: format!("field `{name}`: \"format\" applies to date fields only"),
            });
        }
        let multi_valued = d.multi_valued.unwrap_or(obs.list);
        return Ok((FieldSpec { multi_valued, ..spec(kind) }, d.format.unwrap_or_default()));
    }
    let number_line = obs.int_line.or(obs.float_line);
    if obs.string_line.is_some() && number_line.is_none() && !obs.non_date_string {
        notes.push(format!(
            "field `{name}` holds ISO-8601 dates: imported as an Elasticsearch date (doc['{name}'].value is a \
             ZonedDateTime in UTC); declare it {{\"name\": \"{name}\", \"type\": \"keyword\"}} in dataset.json to keep it as text"
        ));
        return Ok((spec(FieldKind::Date), EpochUnit::EpochMillis));
    }
    Ok((resolve_undeclared(path, name, obs)?, EpochUnit::EpochMillis))
}

fn resolve_undeclared(path: &Path, name: &str, obs: &Observed) -> Result<FieldSpec, DataError> {
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

pub(super) fn convert(
    path: &Path,
    line: usize,
    spec: &FieldSpec,
    unit: EpochUnit,
    value: Value,
) -> Result<AttrValue, DataError> {
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
        FieldKind::Date => values
            .into_iter()
            .map(|v| match &v {
                Value::String(s) => super::dates::parse_default_date_millis(s).ok().filter(|&ms| in_years(ms)).ok_or_else(|| {
                    bad(format!(
                        "\"{s}\" is not a date in a form read here: yyyy-MM-dd, optionally with THH:mm[:ss[.fraction]] \
                         and Z or ±hh:mm (UTC when absent), or a number of epoch milliseconds"
                    ))
                }),
                Value::Number(n) => n.as_i64().and_then(|n| unit.millis(n)).filter(|&ms| in_years(ms)).ok_or_else(|| {
                    bad(format!("{n} is not a whole number of {} in the years 0000-9999", match unit {
                        EpochUnit::EpochMillis => "epoch milliseconds",
                        EpochUnit::EpochSecond => "epoch seconds",
                    }))
                }),
                other => Err(bad(format!("expected a date string or a number, found {}", json_type(other)))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(AttrValue::Date),
        FieldKind::Vector { .. } => Err(bad("vector attributes other than the item vector are not supported".into())),
    }
}

pub(super) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
