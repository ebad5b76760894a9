//! OWNER: the "runtime" helper owns this file from now on (interp wrote the first version so the
//! `Value` type could name it). The interpreter relies only on the public API below; keep it.
//!
//! `java.util.HashMap` with Java's iteration order: a power-of-two bucket table (16 initially,
//! doubling at load factor 0.75), bucket = `(h ^ (h >>> 16)) & (cap - 1)` over `Object.hashCode`,
//! each bucket iterated in insertion order, and a resize keeping relative order within a bucket (as
//! Java's lo/hi split does). Map literals and JSON params iterate in this order, not insertion order
//! (painless-facts §8). Tree bins (Java treeifies buckets of 8+ entries once capacity ≥ 64) keep
//! their linked order for iteration, so they are not modelled.

use crate::interp::value::Value;

const INITIAL_CAPACITY: usize = 16;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct JavaHashMap {
    /// Empty until the first insertion (Java allocates the table lazily too).
    buckets: Vec<Vec<(Value, Value)>>,
    len: usize,
}

fn spread(h: i32) -> u32 {
    let h = h as u32;
    h ^ (h >> 16)
}

impl JavaHashMap {
    pub fn new() -> Self {
        JavaHashMap::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn bucket_of(&self, key: &Value) -> usize {
        (spread(key.java_hash_code()) as usize) & (self.buckets.len() - 1)
    }

    pub fn get(&self, key: &Value) -> Option<&Value> {
        if self.buckets.is_empty() {
            return None;
        }
        self.buckets[self.bucket_of(key)].iter().find(|(k, _)| k.java_equals(key)).map(|(_, v)| v)
    }

    /// Lookup by a string key without building a `Value` (the `params.x` hot path).
    pub fn get_str(&self, key: &str) -> Option<&Value> {
        if self.buckets.is_empty() {
            return None;
        }
        let hash = crate::interp::value::string_hash_code(key);
        let idx = (spread(hash) as usize) & (self.buckets.len() - 1);
        self.buckets[idx]
            .iter()
            .find(|(k, _)| matches!(k, Value::Str(s) if &**s == key))
            .map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &Value) -> bool {
        self.get(key).is_some()
    }

    /// Java `put`: returns the previous value.
    pub fn put(&mut self, key: Value, value: Value) -> Option<Value> {
        if self.buckets.is_empty() {
            self.buckets = vec![Vec::new(); INITIAL_CAPACITY];
        }
        let idx = self.bucket_of(&key);
        if let Some(slot) = self.buckets[idx].iter_mut().find(|(k, _)| k.java_equals(&key)) {
            return Some(std::mem::replace(&mut slot.1, value));
        }
        self.buckets[idx].push((key, value));
        self.len += 1;
        if self.len > self.buckets.len() * 3 / 4 {
            self.resize();
        }
        None
    }

    fn resize(&mut self) {
        let old = std::mem::take(&mut self.buckets);
        self.buckets = vec![Vec::new(); old.len() * 2];
        for (k, v) in old.into_iter().flatten() {
            let idx = self.bucket_of(&k);
            self.buckets[idx].push((k, v));
        }
    }

    pub fn remove(&mut self, key: &Value) -> Option<Value> {
        if self.buckets.is_empty() {
            return None;
        }
        let idx = self.bucket_of(key);
        let pos = self.buckets[idx].iter().position(|(k, _)| k.java_equals(key))?;
        self.len -= 1;
        Some(self.buckets[idx].remove(pos).1)
    }

    pub fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.len = 0;
    }

    /// Entries in Java iteration order.
    pub fn iter(&self) -> impl Iterator<Item = (&Value, &Value)> {
        self.buckets.iter().flatten().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &Value> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.iter().map(|(_, v)| v)
    }

    /// `AbstractMap.equals`: same size and every entry present with an equal value.
    pub fn java_equals(&self, other: &JavaHashMap) -> bool {
        self.len == other.len && self.iter().all(|(k, v)| other.get(k).is_some_and(|w| w.java_equals(v)))
    }

    /// `AbstractMap.hashCode`: sum of `key.hashCode() ^ value.hashCode()`.
    pub fn java_hash_code(&self) -> i32 {
        self.iter().fold(0i32, |h, (k, v)| h.wrapping_add(k.java_hash_code() ^ v.java_hash_code()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iteration_follows_java_bucket_order() {
        // Java: new HashMap() with keys "b","a","c" iterates a, b, c (hashes 98, 97, 99).
        let mut m = JavaHashMap::new();
        for k in ["b", "a", "c"] {
            m.put(Value::str(k), Value::Int(1));
        }
        let keys: Vec<String> = m.keys().map(|k| match k {
            Value::Str(s) => s.to_string(),
            _ => unreachable!(),
        }).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        // Integer 17 lands in bucket 1 of 16, before 2.
        let mut m = JavaHashMap::new();
        m.put(Value::Int(2), Value::Null);
        m.put(Value::Int(17), Value::Null);
        let keys: Vec<i32> = m.keys().map(|k| k.as_i64().unwrap() as i32).collect();
        assert_eq!(keys, [17, 2]);
    }
}
