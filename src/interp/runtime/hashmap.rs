//! `java.util.HashMap` with Java's iteration order, which Painless scripts can observe
//! (map literals, `keySet()`, `entrySet()`, `values()`; painless-facts §8).
//!
//! Java's layout is reproduced exactly: hash = `hashCode() ^ (hashCode() >>> 16)`, bucket =
//! `hash & (capacity - 1)`, capacity 16 allocated on the first insert and doubled when the size
//! exceeds 0.75 × capacity, new keys appended at their bucket's tail, and a resize splitting each
//! bucket into a "lo" and a "hi" list that keep their relative order. A bucket that reaches 9
//! entries in a table smaller than 64 triggers the early resize Java's `treeifyBin` performs.
//! A bucket that reaches 9 entries in a larger table becomes a red-black tree in Java, whose
//! root is moved to the front of the bucket: that order is not reproduced, so the map records
//! it ([`JavaHashMap::order_is_exact`]) and callers refuse to iterate it.

use crate::interp::runtime::error::RuntimeError;
use crate::interp::runtime::value::Value;

/// A key with Java's `hashCode()` and `equals()`.
pub trait JavaKey {
    fn java_hash_code(&self) -> i32;
    fn java_equals(&self, other: &Self) -> bool;
}

const DEFAULT_CAPACITY: usize = 16;
const TREEIFY_THRESHOLD: usize = 8;
const MIN_TREEIFY_CAPACITY: usize = 64;

#[derive(Debug, Clone, PartialEq)]
struct Node<K, V> {
    hash: i32,
    key: K,
    value: V,
}

/// A `HashMap` whose iteration order is Java's. The interpreter's maps are
/// `JavaHashMap<Value, Value>` (the defaults); tests use other key types.
#[derive(Debug, Clone, PartialEq)]
pub struct JavaHashMap<K = Value, V = Value> {
    /// Empty until the first insert, like Java's lazily allocated table.
    buckets: Vec<Vec<Node<K, V>>>,
    len: usize,
    /// Capacity to allocate on the first insert: Java's `threshold` before the table exists
    /// (0 means the default 16).
    initial_capacity: usize,
    order_is_exact: bool,
}

impl<K, V> Default for JavaHashMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

/// Java's `HashMap.hash`: the high half folded into the low half.
pub fn spread(hash_code: i32) -> i32 {
    hash_code ^ ((hash_code as u32) >> 16) as i32
}

/// Java's `tableSizeFor`: the smallest power of two ≥ `cap` (at least 1, at most 2^30).
fn table_size_for(cap: usize) -> usize {
    cap.clamp(1, 1 << 30).next_power_of_two()
}

impl<K, V> JavaHashMap<K, V> {
    /// `new HashMap<>()`.
    pub fn new() -> Self {
        JavaHashMap { buckets: Vec::new(), len: 0, initial_capacity: 0, order_is_exact: true }
    }

    /// `new HashMap<>(initialCapacity)`.
    pub fn with_capacity(initial_capacity: usize) -> Self {
        JavaHashMap { initial_capacity: table_size_for(initial_capacity), ..Self::new() }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The current table length (0 before the first insert).
    pub fn capacity(&self) -> usize {
        self.buckets.len()
    }

    /// False once a bucket would have become a tree in Java: iteration order then differs.
    pub fn order_is_exact(&self) -> bool {
        self.order_is_exact
    }

    /// Removes every entry and hands them out (capacity not kept): lets `Value`'s drop take
    /// nested values apart without recursion.
    pub fn take_entries(&mut self) -> impl Iterator<Item = (K, V)> {
        self.len = 0;
        std::mem::take(&mut self.buckets).into_iter().flatten().map(|n| (n.key, n.value))
    }

    pub fn clear(&mut self) {
        // Java's clear() keeps the table (and so its capacity).
        for bucket in &mut self.buckets {
            bucket.clear();
        }
        self.len = 0;
    }

    /// Entries in Java's iteration order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.buckets.iter().flatten().map(|n| (&n.key, &n.value))
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.buckets.iter_mut().flatten().map(|n| &mut n.value)
    }

    fn threshold(&self) -> usize {
        self.buckets.len() / 4 * 3
    }

    fn resize(&mut self) {
        let old_cap = self.buckets.len();
        if old_cap == 0 {
            let cap = if self.initial_capacity > 0 { self.initial_capacity } else { DEFAULT_CAPACITY };
            self.buckets = (0..cap).map(|_| Vec::new()).collect();
            return;
        }
        if old_cap >= 1 << 30 {
            return;
        }
        let new_cap = old_cap * 2;
        let old = std::mem::take(&mut self.buckets);
        self.buckets = (0..new_cap).map(|_| Vec::new()).collect();
        for (j, bucket) in old.into_iter().enumerate() {
            for node in bucket {
                // Same test as Java's `(e.hash & oldCap) == 0`: lo stays at j, hi moves to j + oldCap.
                let target = if (node.hash as u32 as usize) & old_cap == 0 { j } else { j + old_cap };
                self.buckets[target].push(node);
            }
        }
    }

    fn bucket_index(&self, hash: i32) -> usize {
        (hash as u32 as usize) & (self.buckets.len() - 1)
    }
}

impl<K: JavaKey, V> JavaHashMap<K, V> {
    fn find(&self, key: &K) -> Option<(usize, usize)> {
        if self.buckets.is_empty() {
            return None;
        }
        let hash = spread(key.java_hash_code());
        let b = self.bucket_index(hash);
        self.buckets[b].iter().position(|n| n.hash == hash && n.key.java_equals(key)).map(|i| (b, i))
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).map(|(b, i)| &self.buckets[b][i].value)
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.find(key).map(|(b, i)| &mut self.buckets[b][i].value)
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_some()
    }

    /// `put`: replaces the value in place (the key object already stored is kept, as Java does)
    /// and returns the previous value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if self.buckets.is_empty() {
            self.resize();
        }
        if let Some((b, i)) = self.find(&key) {
            return Some(std::mem::replace(&mut self.buckets[b][i].value, value));
        }
        let hash = spread(key.java_hash_code());
        let b = self.bucket_index(hash);
        self.buckets[b].push(Node { hash, key, value });
        if self.buckets[b].len() > TREEIFY_THRESHOLD {
            if self.buckets.len() < MIN_TREEIFY_CAPACITY {
                self.resize();
            } else {
                self.order_is_exact = false;
            }
        }
        self.len += 1;
        if self.len > self.threshold() {
            self.resize();
        }
        None
    }

    /// `putAll(m)` (and the copy constructor): Java 19+ pre-sizes a table that does not exist yet
    /// to `tableSizeFor(ceil(s / 0.75))`, which can be smaller than 16 (`new HashMap(m)` of a
    /// 3-entry map has capacity 4, so its order can differ from `m`'s); an existing table is
    /// grown while `s` exceeds its threshold. Then the entries are put in the given order.
    pub fn put_all(&mut self, entries: Vec<(K, V)>) {
        let s = entries.len();
        if s > 0 {
            if self.buckets.is_empty() {
                let t = (s as f64 / 0.75).ceil() as usize;
                if t > self.initial_capacity {
                    self.initial_capacity = table_size_for(t);
                }
            } else {
                while s > self.threshold() && self.buckets.len() < 1 << 30 {
                    self.resize();
                }
            }
        }
        for (k, v) in entries {
            self.insert(k, v);
        }
    }

    /// `new HashMap<>(other)`.
    pub fn copy_of(other: &Self) -> Self
    where
        K: Clone,
        V: Clone,
    {
        let mut m = Self::new();
        m.put_all(other.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        m
    }

    /// `remove(key)`: the other entries of the bucket keep their order.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let (b, i) = self.find(key)?;
        self.len -= 1;
        Some(self.buckets[b].remove(i).value)
    }
}

impl JavaKey for Value {
    fn java_hash_code(&self) -> i32 {
        Value::java_hash_code(self)
    }
    fn java_equals(&self, other: &Self) -> bool {
        Value::java_equals(self, other)
    }
}

/// The API the interpreter core uses (kept from interp's first version of this file).
impl JavaHashMap<Value, Value> {
    /// Java `put`: returns the previous value.
    pub fn put(&mut self, key: Value, value: Value) -> Option<Value> {
        self.insert(key, value)
    }

    /// Lookup by a string key without building a `Value` (the `params.x` hot path).
    pub fn get_str(&self, key: &str) -> Option<&Value> {
        if self.buckets.is_empty() {
            return None;
        }
        let hash = spread(string_hash_code(key));
        self.buckets[self.bucket_index(hash)]
            .iter()
            .find(|n| n.hash == hash && matches!(&n.key, Value::Str(s) if &**s == key))
            .map(|n| &n.value)
    }

    /// `AbstractMap.equals`: same size and every entry present with an equal value.
    pub fn java_equals(&self, other: &JavaHashMap) -> bool {
        self.len == other.len && self.iter().all(|(k, v)| other.get(k).is_some_and(|w| w.java_equals(v)))
    }

    /// `AbstractMap.hashCode`: sum of `key.hashCode() ^ value.hashCode()`.
    pub fn java_hash_code(&self) -> i32 {
        map_hash_code(self.iter().map(|(k, v)| (k.java_hash_code(), v.java_hash_code())))
    }
}

/// `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, wrapping.
pub fn string_hash_code(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)))
}

/// `Long.hashCode(v)`.
pub fn long_hash_code(v: i64) -> i32 {
    (v ^ ((v as u64) >> 32) as i64) as i32
}

/// `Double.hashCode(v)`: over `doubleToLongBits`, which folds every NaN to the canonical one.
pub fn double_hash_code(v: f64) -> i32 {
    let bits = if v.is_nan() { 0x7ff8_0000_0000_0000u64 } else { v.to_bits() };
    long_hash_code(bits as i64)
}

/// `Float.hashCode(v)`: `floatToIntBits`, NaN canonical.
pub fn float_hash_code(v: f32) -> i32 {
    if v.is_nan() { 0x7fc0_0000 } else { v.to_bits() as i32 }
}

/// `Boolean.hashCode(v)`.
pub fn boolean_hash_code(v: bool) -> i32 {
    if v { 1231 } else { 1237 }
}

/// `AbstractList.hashCode()` from the elements' hash codes (null elements hash to 0).
pub fn list_hash_code(element_hashes: impl IntoIterator<Item = i32>) -> i32 {
    element_hashes.into_iter().fold(1i32, |h, e| h.wrapping_mul(31).wrapping_add(e))
}

/// `AbstractMap.hashCode()`: the sum of `key.hashCode() ^ value.hashCode()` over the entries.
pub fn map_hash_code(entry_hashes: impl IntoIterator<Item = (i32, i32)>) -> i32 {
    entry_hashes.into_iter().fold(0i32, |h, (k, v)| h.wrapping_add(k ^ v))
}

/// `Double.equals`: bitwise after folding NaNs (so NaN equals NaN and 0.0 differs from -0.0).
pub fn double_equals(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

/// `Float.equals`, same rule as [`double_equals`].
pub fn float_equals(a: f32, b: f32) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

/// Refuses observable iteration over a map whose Java order is not reproduced (tree bins).
pub fn check_order(map: &JavaHashMap) -> Result<(), RuntimeError> {
    if map.order_is_exact() {
        Ok(())
    } else {
        Err(RuntimeError::unsupported_locally(
            "this map has a bucket Java would turn into a tree; its iteration order is not reproduced locally",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    enum Key {
        Str(String),
        Int(i32),
        Long(i64),
    }

    impl JavaKey for Key {
        fn java_hash_code(&self) -> i32 {
            match self {
                Key::Str(s) => string_hash_code(s),
                Key::Int(i) => *i,
                Key::Long(l) => long_hash_code(*l),
            }
        }
        fn java_equals(&self, other: &Self) -> bool {
            self == other
        }
    }

    fn s(x: &str) -> Key {
        Key::Str(x.to_string())
    }

    #[test]
    fn string_hash_codes_match_java() {
        // Values printed by Java's "x".hashCode().
        assert_eq!(string_hash_code(""), 0);
        assert_eq!(string_hash_code("a"), 97);
        assert_eq!(string_hash_code("ab"), 97 * 31 + 98);
        assert_eq!(string_hash_code("hello"), 99162322);
        assert_eq!(string_hash_code("banana"), -1396355227);
        assert_eq!(string_hash_code("apple"), 93029210);
        assert_eq!(string_hash_code("cherry"), -1361513063);
        // A supplementary character hashes as its two surrogates.
        assert_eq!(string_hash_code("😀"), 0xD83D * 31 + 0xDE00);
    }

    #[test]
    fn integer_and_long_one_are_different_keys() {
        let mut m = JavaHashMap::new();
        m.insert(Key::Int(1), "int");
        m.insert(Key::Long(1), "long");
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&Key::Int(1)), Some(&"int"));
    }

    #[test]
    fn resize_keeps_relative_order() {
        // 1, 17 and 33 share bucket 1 of 16; after growing to 32, 1 and 33 stay (lo), 17 moves (hi).
        let mut m = JavaHashMap::new();
        for k in [33, 1, 17] {
            m.insert(Key::Int(k), ());
        }
        let order: Vec<_> = m.keys().cloned().collect();
        assert_eq!(order, vec![Key::Int(33), Key::Int(1), Key::Int(17)]);
        for k in 100..110 {
            m.insert(Key::Int(k), ());
        }
        assert_eq!(m.capacity(), 32);
        let first: Vec<_> = m.keys().take(2).cloned().collect();
        assert_eq!(first, vec![Key::Int(33), Key::Int(1)]);
    }

    #[test]
    fn put_all_presizes_like_jdk19() {
        // Java 21: new HashMap(m) with {4, 1, 8} has capacity 4 → {4=1, 8=1, 1=1}.
        let mut m = JavaHashMap::new();
        for k in [4, 1, 8] {
            m.insert(Key::Int(k), ());
        }
        let mut copy = JavaHashMap::new();
        copy.put_all(m.iter().map(|(k, v)| (k.clone(), *v)).collect());
        let order: Vec<_> = copy.keys().cloned().collect();
        assert_eq!(order, vec![Key::Int(4), Key::Int(8), Key::Int(1)]);
        assert_eq!(copy.capacity(), 4);
    }

    #[test]
    fn fruit_order() {
        let mut m = JavaHashMap::new();
        for k in ["banana", "apple", "cherry"] {
            m.insert(s(k), ());
        }
        let order: Vec<_> = m.keys().cloned().collect();
        // spread & 15: banana → 0, apple → 1, cherry → 1 (after apple: bucket tail).
        assert_eq!(order, vec![s("banana"), s("apple"), s("cherry")]);
    }
}
