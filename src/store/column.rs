//! Attribute columns: per item, the values sorted ascending (Elasticsearch doc-value order).
//! Numeric duplicates are kept; keyword values are dictionary codes, deduplicated per item, with
//! codes assigned in UTF-8 byte order so code order is keyword order.

use super::ItemIdx;
use crate::data::FieldKind;

/// Shown in place of a term whose stored bytes are not UTF-8 (only a corrupt store; `verify` catches it).
const INVALID_TERM: &str = "\u{FFFD}";

#[derive(Debug, Clone, Copy)]
pub enum Column<'a> {
    Long(NumericColumn<'a, i64>),
    Double(NumericColumn<'a, f64>),
    Keyword(KeywordColumn<'a>),
    /// Epoch milliseconds, laid out as a long column.
    Date(NumericColumn<'a, i64>),
}

impl<'a> Column<'a> {
    pub fn kind(&self) -> FieldKind {
        match self {
            Column::Long(_) => FieldKind::Long,
            Column::Double(_) => FieldKind::Double,
            Column::Keyword(_) => FieldKind::Keyword,
            Column::Date(_) => FieldKind::Date,
        }
    }

    /// Number of values the item has (0 when absent).
    pub fn len(&self, item: ItemIdx) -> usize {
        match self {
            Column::Long(c) | Column::Date(c) => c.values(item).len(),
            Column::Double(c) => c.values(item).len(),
            Column::Keyword(c) => c.values(item).len(),
        }
    }

    pub fn is_empty(&self, item: ItemIdx) -> bool {
        self.len(item) == 0
    }
}

#[derive(Debug, Clone, Copy)]
pub struct NumericColumn<'a, T> {
    pub(crate) offsets: &'a [u64],
    pub(crate) values: &'a [T],
}

impl<'a, T> NumericColumn<'a, T> {
    /// The item's values, ascending.
    pub fn values(&self, item: ItemIdx) -> &'a [T] {
        let i = item.0 as usize;
        &self.values[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }
}

#[derive(Debug, Clone, Copy)]
pub struct KeywordColumn<'a> {
    pub(crate) offsets: &'a [u64],
    pub(crate) codes: &'a [u32],
    pub(crate) term_offsets: &'a [u64],
    pub(crate) term_bytes: &'a [u8],
}

impl<'a> KeywordColumn<'a> {
    /// The item's dictionary codes, ascending, without duplicates.
    pub fn values(&self, item: ItemIdx) -> &'a [u32] {
        let i = item.0 as usize;
        &self.codes[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Number of distinct terms in the column.
    pub fn num_terms(&self) -> usize {
        self.term_offsets.len().saturating_sub(1)
    }

    /// The term of a code. Panics if `code >= num_terms()`.
    pub fn term(&self, code: u32) -> &'a str {
        let c = code as usize;
        let bytes = &self.term_bytes[self.term_offsets[c] as usize..self.term_offsets[c + 1] as usize];
        std::str::from_utf8(bytes).unwrap_or(INVALID_TERM)
    }

    /// The code of a term, if any item has it.
    pub fn code(&self, term: &str) -> Option<u32> {
        let (mut lo, mut hi) = (0usize, self.num_terms());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.term(mid as u32).as_bytes().cmp(term.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }

    /// The item's terms, in code order.
    pub fn terms(&self, item: ItemIdx) -> impl Iterator<Item = &'a str> + '_ {
        self.values(item).iter().map(|&c| self.term(c))
    }
}
