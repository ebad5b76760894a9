//! Per-attribute statistics, computed once when a store is built and kept in `meta.json`
//! (`field_stats`), so that consumers choose transforms from a field's distribution rather than from
//! its name (the built-in optimiser's signals, `docs/signals.md`; the default `params.now`).
//!
//! Stores written before the statistics existed have no `field_stats` key: `Store::field_stats`
//! computes the same figures from the columns on first use (the same functions, so the same bits),
//! which keeps those stores readable without a format-version bump.
//!
//! Figures are over the values, not the items: a multi-valued numeric field contributes every value.
//! Quantiles interpolate linearly between order statistics (R's type 7); sums run in item order, so
//! the figures are bit-identical for identical columns.

use serde::{Deserialize, Serialize};

/// Epoch seconds between 1973-03-03 (1e8) and 2100-01-01: timestamps, not counts or years.
const EPOCH_SECONDS: (f64, f64) = (1.0e8, 4_102_444_800.0);
/// The same window in epoch milliseconds.
const EPOCH_MILLIS: (f64, f64) = (1.0e11, 4_102_444_800_000.0);

/// What import measured of one attribute field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldStats {
    pub name: String,
    /// Items with at least one value.
    pub items_with_value: u64,
    /// Values per item over all items (absent counts as 0): mean, standard deviation, maximum.
    pub values_per_item_mean: f64,
    pub values_per_item_sd: f64,
    pub values_per_item_max: u64,
    /// Distinct values (keyword terms, or distinct numbers).
    pub distinct_values: u64,
    /// Numeric fields only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numeric: Option<NumericStats>,
}

/// The distribution of a numeric field's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericStats {
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    /// Population standard deviation.
    pub sd: f64,
    /// Moment skewness (0 when the values are constant).
    pub skewness: f64,
    pub p01: f64,
    pub p05: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    pub p99: f64,
    /// Every value is a whole number.
    pub integral: bool,
}

/// How a numeric field counts time, when it looks like a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpochUnit {
    Seconds,
    Millis,
}

impl EpochUnit {
    /// Seconds per stored unit.
    pub fn seconds(self) -> f64 {
        match self {
            EpochUnit::Seconds => 1.0,
            EpochUnit::Millis => 1e-3,
        }
    }
}

impl FieldStats {
    /// The statistics of a keyword column: per-item value counts and the number of terms.
    pub fn of_keyword(name: &str, offsets: &[u64], terms: u64) -> FieldStats {
        let mut s = counts(name, offsets);
        s.distinct_values = terms;
        s
    }

    /// The statistics of a numeric column (`values` in item order, each item's values ascending).
    pub fn of_numeric(name: &str, offsets: &[u64], values: &[f64]) -> FieldStats {
        let mut s = counts(name, offsets);
        let mut sorted = values.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        let mut distinct = sorted.clone();
        distinct.dedup();
        s.distinct_values = distinct.len() as u64;
        s.numeric = numeric(values, &sorted);
        s
    }

    /// Whether the field reads as a timestamp: whole numbers, every value but the outer percent inside
    /// the epoch window of one unit, and more than a handful of distinct values (a code is not a time).
    pub fn epoch_unit(&self) -> Option<EpochUnit> {
        let n = self.numeric.as_ref()?;
        if !n.integral || self.distinct_values < 8 || n.min == n.max {
            return None;
        }
        let inside = |(lo, hi): (f64, f64)| n.p01 >= lo && n.p99 <= hi;
        if inside(EPOCH_SECONDS) {
            Some(EpochUnit::Seconds)
        } else if inside(EPOCH_MILLIS) {
            Some(EpochUnit::Millis)
        } else {
            None
        }
    }
}

fn counts(name: &str, offsets: &[u64]) -> FieldStats {
    let items = offsets.len().saturating_sub(1);
    let per_item = offsets.windows(2).map(|w| w[1].saturating_sub(w[0]));
    let (mut sum, mut sum_sq, mut max, mut with_value) = (0f64, 0f64, 0u64, 0u64);
    for c in per_item {
        sum += c as f64;
        sum_sq += (c as f64) * (c as f64);
        max = max.max(c);
        with_value += u64::from(c > 0);
    }
    let mean = if items == 0 { 0.0 } else { sum / items as f64 };
    let var = if items == 0 { 0.0 } else { (sum_sq / items as f64 - mean * mean).max(0.0) };
    FieldStats {
        name: name.to_string(),
        items_with_value: with_value,
        values_per_item_mean: mean,
        values_per_item_sd: var.sqrt(),
        values_per_item_max: max,
        distinct_values: 0,
        numeric: None,
    }
}

fn numeric(values: &[f64], sorted: &[f64]) -> Option<NumericStats> {
    let (first, last) = (*sorted.first()?, *sorted.last()?);
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let (mut m2, mut m3) = (0f64, 0f64);
    for &v in values {
        let d = v - mean;
        m2 += d * d;
        m3 += d * d * d;
    }
    let var = m2 / n;
    let sd = var.sqrt();
    let skewness = if sd > 0.0 { (m3 / n) / (var * sd) } else { 0.0 };
    let q = |p: f64| quantile(sorted, p);
    Some(NumericStats {
        min: first,
        max: last,
        mean,
        sd,
        skewness,
        p01: q(0.01),
        p05: q(0.05),
        p25: q(0.25),
        p50: q(0.50),
        p75: q(0.75),
        p95: q(0.95),
        p99: q(0.99),
        integral: values.iter().all(|v| v.fract() == 0.0),
    })
}

/// Linear interpolation between order statistics (type 7); `sorted` is non-empty and ascending.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_and_moments_match_by_hand() {
        let values = [1.0, 2.0, 3.0, 4.0, 10.0];
        let s = FieldStats::of_numeric("x", &[0, 1, 2, 3, 4, 5], &values);
        let n = s.numeric.unwrap();
        assert_eq!((n.min, n.max, n.p50, n.p25, n.p75), (1.0, 10.0, 3.0, 2.0, 4.0));
        assert!((n.p95 - 8.8).abs() < 1e-12);
        assert_eq!(n.mean, 4.0);
        assert!((n.sd - 10f64.sqrt()).abs() < 1e-12);
        assert!(n.skewness > 1.0, "a long right tail");
        assert!(n.integral);
        assert_eq!((s.items_with_value, s.distinct_values, s.values_per_item_max), (5, 5, 1));
    }

    #[test]
    fn keyword_counts_include_items_without_values() {
        let s = FieldStats::of_keyword("tags", &[0, 2, 2, 5], 4);
        assert_eq!((s.items_with_value, s.values_per_item_max, s.distinct_values), (2, 3, 4));
        assert!((s.values_per_item_mean - 5.0 / 3.0).abs() < 1e-12);
        assert!(s.numeric.is_none());
    }

    #[test]
    fn timestamps_are_told_from_years_counts_and_codes() {
        let field = |values: Vec<f64>| {
            let offsets: Vec<u64> = (0..=values.len() as u64).collect();
            FieldStats::of_numeric("f", &offsets, &values)
        };
        let seconds: Vec<f64> = (0..50).map(|i| 1_400_000_000.0 + 86_400.0 * i as f64).collect();
        assert_eq!(field(seconds.clone()).epoch_unit(), Some(EpochUnit::Seconds));
        let millis: Vec<f64> = seconds.iter().map(|s| s * 1000.0).collect();
        assert_eq!(field(millis).epoch_unit(), Some(EpochUnit::Millis));
        let years: Vec<f64> = (1950..2000).map(f64::from).collect();
        assert_eq!(field(years).epoch_unit(), None);
        let fractional: Vec<f64> = seconds.iter().map(|s| s + 0.5).collect();
        assert_eq!(field(fractional).epoch_unit(), None);
        assert_eq!(field(vec![1_400_000_000.0; 50]).epoch_unit(), None, "a constant is no clock");
    }

    /// A store written before import recorded statistics reads the same figures from its columns.
    #[test]
    fn stores_without_recorded_statistics_compute_the_same_figures() {
        let opts = crate::data::SyntheticOptions { items: 200, users: 10, dims: 4, ..Default::default() };
        let mut store = crate::store::synthetic_store(&opts).unwrap();
        let recorded = store.field_stats().to_vec();
        assert_eq!(recorded.len(), store.schema().fields().len() - 1);
        assert!(recorded.iter().any(|s| s.numeric.is_some()));
        store.meta.field_stats.clear();
        assert_eq!(store.field_stats(), recorded.as_slice());
        assert_eq!(store.field_stat("last_rated").and_then(FieldStats::epoch_unit), Some(EpochUnit::Seconds));
    }
}
