//! The byte buffers behind a store: a read-only memory map of a store file, or an owned, 8-byte
//! aligned buffer for the in-memory twin. Both present the same bytes, so every accessor has one
//! code path. This is the only module with `unsafe` code.

use super::error::StoreError;
use std::path::Path;

pub(crate) enum Buffer {
    Mapped(memmap2::Mmap),
    /// Words, not bytes, so the data is 8-byte aligned like a page-aligned map; `len` is in bytes.
    Owned {
        words: Vec<u64>,
        len: usize,
    },
}

impl Buffer {
    pub(crate) fn from_bytes(bytes: &[u8]) -> Buffer {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..bytes.len()].copy_from_slice(bytes);
        Buffer::Owned { words, len: bytes.len() }
    }

    #[allow(unsafe_code)]
    pub(crate) fn map(path: &Path) -> Result<Buffer, StoreError> {
        let file = std::fs::File::open(path).map_err(|e| StoreError::io(path, e))?;
        let len = file.metadata().map_err(|e| StoreError::io(path, e))?.len();
        if len == 0 {
            return Ok(Buffer::Owned { words: Vec::new(), len: 0 });
        }
        // SAFETY: store files are written once into a temporary directory and renamed into place;
        // scorelab never modifies them afterwards. Another process truncating a mapped file would be
        // undefined behaviour, the documented caveat of every memory-mapped reader.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| StoreError::io(path, e))?;
        Ok(Buffer::Mapped(map))
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Buffer::Mapped(m) => m,
            Buffer::Owned { words, len } => &bytemuck::cast_slice::<u64, u8>(words)[..*len],
        }
    }

    pub(crate) fn is_mapped(&self) -> bool {
        matches!(self, Buffer::Mapped(_))
    }
}
