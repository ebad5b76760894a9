//! Script params from JSON, as Elasticsearch's script params parser hands them to Painless.

use crate::interp::runtime::error::RuntimeError;
use crate::interp::runtime::hashmap::JavaHashMap;
use crate::interp::runtime::limits::Limits;
use crate::interp::runtime::value::Value;

/// JSON params → Painless values (integers → Integer, or Long when too big; decimals → Double;
/// arrays → ArrayList; objects → HashMap), as ES's script params parser produces them.
pub fn json_params(
    params: &serde_json::Map<String, serde_json::Value>,
    limits: &Limits,
) -> Result<Value, RuntimeError> {
    let mut m = JavaHashMap::new();
    for (k, v) in params {
        m.put(Value::str(k), json_value(v, limits)?);
    }
    Ok(Value::new_map(m))
}

pub fn json_value(v: &serde_json::Value, limits: &Limits) -> Result<Value, RuntimeError> {
    Ok(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                match i32::try_from(i) {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::Long(i),
                }
            } else if let Some(u) = n.as_u64() {
                // Beyond i64: ES parses it as a BigInteger, which Painless cannot do arithmetic on.
                return Err(RuntimeError::unsupported_locally(format!("integer parameter {u} exceeds the long range")));
            } else {
                Value::Double(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => Value::str(s),
        serde_json::Value::Array(a) => {
            if a.len() > limits.max_collection_len {
                return Err(RuntimeError::unsupported_locally("parameter list exceeds the local collection limit"));
            }
            Value::new_list(a.iter().map(|x| json_value(x, limits)).collect::<Result<_, _>>()?)
        }
        serde_json::Value::Object(o) => {
            let mut m = JavaHashMap::new();
            for (k, x) in o {
                m.put(Value::str(k), json_value(x, limits)?);
            }
            Value::new_map(m)
        }
    })
}
