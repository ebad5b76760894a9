//! The on-disk layout of a store directory (format version 1).
//!
//! ```text
//! manifest.json   {format, format_version, files: [{name, bytes, sha256}], checksum}
//! meta.json       settings, dims, counts, schema, ground-truth report, and the section table
//! vectors.f32     item vectors: num_items × dims little-endian f32 rows (nothing else)
//! items.bin       ids.offsets u64[n+1] · ids.bytes · ids.sorted u32[n] (ordinals in id byte order)
//! users.bin       the same three for users · matrices f32[users × rows × dims]
//! truth.bin       interactions.offsets u64[u+1] · interactions.items u32 · interactions.weights f32 ·
//!                 exclusions.offsets u64[u+1] · exclusions.items u32 (sorted per user)
//! columns.bin     per attribute `<name>.offsets` u64[n+1] · `<name>.values` (i64 | f64 | u32 codes) and,
//!                 for keywords, `<name>.terms.offsets` u64 · `<name>.terms.bytes` (terms in byte order)
//! ```
//! meta.json's `field_stats` (per-attribute statistics, `stats.rs`) was added later without a version
//! bump: readers of older stores compute it from the columns.
//! Every section starts at an 8-byte aligned offset. `checksum` is the SHA-256 of the lines
//! `"<name> <sha256>\n"` over `files` in order, so it covers meta.json and every payload byte.

use super::stats::FieldStats;
use crate::data::{DatasetSettings, FieldSpec};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const FORMAT_NAME: &str = "scorelab-store";
pub const FORMAT_VERSION: u32 = 1;
pub const MANIFEST_FILE: &str = "manifest.json";
pub const META_FILE: &str = "meta.json";
pub const VECTORS_FILE: &str = "vectors.f32";
pub const ITEMS_FILE: &str = "items.bin";
pub const USERS_FILE: &str = "users.bin";
pub const TRUTH_FILE: &str = "truth.bin";
pub const COLUMNS_FILE: &str = "columns.bin";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub files: Vec<FileEntry>,
    pub checksum: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Everything about the store except the payload; small, parsed at open.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    pub settings: DatasetSettings,
    pub dims: u32,
    pub num_items: u32,
    pub num_users: u32,
    pub user_rows: u32,
    /// Attribute fields in dataset order (the item vector is not listed here).
    pub attributes: Vec<FieldSpec>,
    pub ground_truth: GroundTruthReport,
    /// One entry per attribute, in `attributes` order (`stats.rs`). Absent from stores written before
    /// the statistics existed; `Store::field_stats` computes them for those.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_stats: Vec<FieldStats>,
    pub sections: Vec<Section>,
}

/// What import kept and dropped from `interactions.csv` and `exclusions.csv`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundTruthReport {
    /// Distinct user ids in the interactions file.
    pub users_in_file: u64,
    /// Known users left with at least one interaction.
    pub users_kept: u64,
    pub interactions_in_file: u64,
    pub interactions_kept: u64,
    pub dropped_unknown_items: u64,
    pub dropped_unknown_users: u64,
    /// Repeated (user, item) pairs folded into one (the largest weight is kept).
    pub duplicates_merged: u64,
    pub exclusions_in_file: u64,
    pub exclusions_kept: u64,
    pub exclusions_dropped_unknown: u64,
}

impl std::fmt::Display for GroundTruthReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ground truth: kept {}/{} users, dropped {} interactions to unknown items",
            self.users_kept, self.users_in_file, self.dropped_unknown_items
        )?;
        if self.dropped_unknown_users > 0 {
            write!(f, " and {} of unknown users", self.dropped_unknown_users)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub file: String,
    pub name: String,
    pub offset: u64,
    pub bytes: u64,
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The store checksum: a digest over the file checksums in manifest order.
pub fn store_checksum(files: &[FileEntry]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.name.as_bytes());
        h.update(b" ");
        h.update(f.sha256.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// Builds one store file from 8-byte aligned sections and records them in the section table.
pub struct FileBuilder {
    name: &'static str,
    bytes: Vec<u8>,
    sections: Vec<Section>,
}

impl FileBuilder {
    pub fn new(name: &'static str) -> Self {
        FileBuilder { name, bytes: Vec::new(), sections: Vec::new() }
    }

    pub fn section<T: bytemuck::Pod>(&mut self, name: &str, values: &[T]) {
        while !self.bytes.len().is_multiple_of(8) {
            self.bytes.push(0);
        }
        let data: &[u8] = bytemuck::cast_slice(values);
        self.sections.push(Section {
            file: self.name.to_string(),
            name: name.to_string(),
            offset: self.bytes.len() as u64,
            bytes: data.len() as u64,
        });
        self.bytes.extend_from_slice(data);
    }

    pub fn finish(self, sections: &mut Vec<Section>) -> (&'static str, Vec<u8>) {
        sections.extend(self.sections);
        (self.name, self.bytes)
    }
}
