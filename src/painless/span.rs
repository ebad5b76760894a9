//! Byte-offset spans. Line and column are worked out only when a diagnostic is rendered.

use serde::{Deserialize, Serialize};

/// A half-open byte range `[start, end)` into one script's source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start: start as u32, end: end as u32 }
    }

    /// The smallest span covering both.
    pub fn merge(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// The Java `String` index (UTF-16 code units) of a byte offset into `source`; ES reports
/// positions this way. Offsets past the end or inside a character are clamped to the character.
pub fn utf16_offset(source: &str, byte: usize) -> usize {
    let byte = byte.min(source.len());
    let mut units = 0;
    for (i, c) in source.char_indices() {
        if i >= byte {
            break;
        }
        units += c.len_utf16();
    }
    units
}
