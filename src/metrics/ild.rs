//! Intra-list diversity (ILD@k) over the dataset's diversity fields, as `metrics.md` defines it.
//!
//! Every field is treated as a set of values per item: the distance between two items on one field
//! is the Jaccard distance `1 - |A∩B| / |A∪B|`. For single-valued fields that is exactly "0 if equal,
//! else 1", so one rule covers both. An item with no value for a field is at distance 1 from
//! everything on that field, including another item with no value.

/// Per-item diversity values, one sorted, deduplicated set of `u64` codes per field. Codes only need
/// equality: keyword dictionary codes, longs as two's complement, doubles by bit pattern.
pub trait DiversityLookup<T> {
    fn num_fields(&self) -> usize;
    fn values(&self, field: usize, item: T) -> &[u64];
}

/// A dense table indexed by item ordinal, built once per evaluation.
#[derive(Debug, Clone, Default)]
pub struct DiversityTable {
    pub field_names: Vec<String>,
    fields: Vec<FieldValues>,
}

#[derive(Debug, Clone, Default)]
struct FieldValues {
    /// `offsets[i]..offsets[i+1]` is item i's range in `values`.
    offsets: Vec<u32>,
    values: Vec<u64>,
}

impl DiversityTable {
    pub fn new(field_names: Vec<String>) -> Self {
        let fields = field_names.iter().map(|_| FieldValues { offsets: vec![0], values: Vec::new() }).collect();
        DiversityTable { field_names, fields }
    }

    /// Appends the next item (ordinal = number of items pushed so far). `values_per_field[f]` may be
    /// unsorted and hold duplicates.
    pub fn push_item(&mut self, values_per_field: &mut [Vec<u64>]) {
        for (field, values) in self.fields.iter_mut().zip(values_per_field.iter_mut()) {
            values.sort_unstable();
            values.dedup();
            field.values.extend_from_slice(values);
            field.offsets.push(field.values.len() as u32);
        }
    }

    pub fn num_items(&self) -> usize {
        self.fields.first().map_or(0, |f| f.offsets.len() - 1)
    }

    /// The values of item ordinal `item` on `field`.
    pub fn values_of(&self, field: usize, item: usize) -> &[u64] {
        let f = &self.fields[field];
        match (f.offsets.get(item), f.offsets.get(item + 1)) {
            (Some(&start), Some(&end)) => &f.values[start as usize..end as usize],
            _ => &[],
        }
    }
}

/// Jaccard distance between two sorted, deduplicated sets; 1 when either is empty.
pub fn jaccard_distance(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    1.0 - common as f64 / union as f64
}

/// `d(a, b)`: the mean of the per-field distances. With no diversity fields every pair is at 0.
pub fn item_distance<T: Copy>(a: T, b: T, lookup: &impl DiversityLookup<T>) -> f64 {
    let fields = lookup.num_fields();
    if fields == 0 {
        return 0.0;
    }
    let sum: f64 = (0..fields).map(|f| jaccard_distance(lookup.values(f, a), lookup.values(f, b))).sum();
    sum / fields as f64
}

/// ILD@k: `2 / (n(n-1)) * sum_{i<j} d(L_i, L_j)` over the first `n = min(k, |list|)` items;
/// 0 when `n < 2`.
pub fn ild_at<T: Copy>(k: usize, list: &[T], lookup: &impl DiversityLookup<T>) -> f64 {
    let list = &list[..list.len().min(k)];
    let n = list.len();
    if n < 2 {
        return 0.0;
    }
    let mut sum = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            sum += item_distance(list[i], list[j], lookup);
        }
    }
    2.0 * sum / (n * (n - 1)) as f64
}

impl DiversityLookup<usize> for DiversityTable {
    fn num_fields(&self) -> usize {
        self.fields.len()
    }
    fn values(&self, field: usize, item: usize) -> &[u64] {
        self.values_of(field, item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaccard_cases() {
        assert_eq!(jaccard_distance(&[1], &[1]), 0.0);
        assert_eq!(jaccard_distance(&[1], &[2]), 1.0);
        assert_eq!(jaccard_distance(&[1, 2], &[2, 3]), 1.0 - 1.0 / 3.0);
        assert_eq!(jaccard_distance(&[], &[]), 1.0);
        assert_eq!(jaccard_distance(&[1], &[]), 1.0);
    }
}
