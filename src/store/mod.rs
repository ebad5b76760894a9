//! The binary store: an imported dataset laid out for zero-copy reads (see `layout` for the format).
//!
//! `Store::open` memory-maps the files and parses only the two small JSON files, so opening is O(1)
//! in the payload; payload checksums are verified by `verify()`. `Store::from_dataset` builds the
//! very same bytes in memory (the twin used by tests and benches); both share every accessor.

mod build;
mod column;
mod demo;
mod error;
mod imported;
mod layout;
mod mmap;
mod schema;
mod stats;

pub use column::{Column, KeywordColumn, NumericColumn};
pub use demo::{
    DEFAULT_STORE_DIR, DatasetStoreError, SYNTHETIC_STORE_DIR, ensure_demo_store, ensure_synthetic_store,
    synthetic_store,
};
pub use error::StoreError;
pub use imported::{
    IMPORT_RECORD_FILE, IMPORTED_STORES_DIR, ImportProgress, ImportedStore, ensure_imported_store, imported_store_dir,
};
pub use layout::{FORMAT_VERSION, FileEntry, GroundTruthReport, MANIFEST_FILE};
pub use schema::Schema;
pub use stats::{EpochUnit, FieldStats, NumericStats};

use crate::data::{Dataset, DatasetSettings, FieldKind, fsio::replace_dir_atomically};
use layout::{FORMAT_NAME, META_FILE, Manifest, Meta, Section, sha256_hex, store_checksum};
use mmap::Buffer;
use ndarray::{ArrayView2, ShapeBuilder};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[cfg(target_endian = "big")]
compile_error!("scorelab stores are little-endian and are read in place; big-endian targets are not supported");

/// Dense item ordinal: the item's catalogue position, and the final ranking tie-break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct ItemIdx(pub u32);

/// Dense user ordinal: the user's position in `users.jsonl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct UserIdx(pub u32);

/// A section resolved to a byte range of one buffer.
#[derive(Debug, Clone, Copy, Default)]
struct Sect {
    file: usize,
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, Copy, Default)]
struct IdSects {
    offsets: Sect,
    bytes: Sect,
    sorted: Sect,
}

#[derive(Debug, Clone)]
struct ColumnSects {
    name: String,
    kind: FieldKind,
    offsets: Sect,
    values: Sect,
    terms: Option<(Sect, Sect)>,
}

pub struct Store {
    dir: Option<PathBuf>,
    manifest: Manifest,
    meta: Meta,
    schema: Schema,
    buffers: Vec<Buffer>,
    vectors: Sect,
    items: IdSects,
    users: IdSects,
    matrices: Sect,
    inter_offsets: Sect,
    inter_items: Sect,
    inter_weights: Sect,
    excl_offsets: Sect,
    excl_items: Sect,
    columns: Vec<ColumnSects>,
    /// (item, weight) pairs decoded on first use; the file keeps them as two parallel arrays.
    interactions_cache: OnceLock<Vec<(ItemIdx, f32)>>,
    /// Every item vector's magnitude, computed on first use (a pure function of the row).
    magnitudes: OnceLock<Vec<f32>>,
    /// Field statistics of a store written before `meta.json` kept them, computed on first use.
    computed_stats: OnceLock<Vec<FieldStats>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .field("checksum", &self.manifest.checksum)
            .field("num_items", &self.meta.num_items)
            .field("num_users", &self.meta.num_users)
            .finish_non_exhaustive()
    }
}

/// Elasticsearch 8.13's `DenseVector.getMagnitude(float[])`: `(float) sqrt(double Σ (float) v²)`,
/// summed in order. A document's magnitude depends on its vector only, so stores can precompute it.
#[inline]
pub fn dense_vector_magnitude(v: &[f32]) -> f32 {
    let mut mag = 0f64;
    for &x in v {
        mag += f64::from(x * x);
    }
    mag.sqrt() as f32
}

impl Store {
    /// Opens a store directory: reads `manifest.json` and `meta.json`, memory-maps the payload.
    /// Checks the format version, the manifest checksum, meta.json's checksum and every file's size.
    pub fn open(dir: impl AsRef<Path>) -> Result<Store, StoreError> {
        let dir = dir.as_ref();
        let manifest_path = dir.join(MANIFEST_FILE);
        if !manifest_path.is_file() {
            let message = format!("no {MANIFEST_FILE} (create a store with `scorelab import`)");
            return Err(StoreError::NotAStore { path: dir.to_path_buf(), message });
        }
        let text = std::fs::read(&manifest_path).map_err(|e| StoreError::io(&manifest_path, e))?;
        let corrupt = |path: &Path, message: String| StoreError::Corrupt { path: path.to_path_buf(), message };
        let raw: serde_json::Value =
            serde_json::from_slice(&text).map_err(|e| corrupt(&manifest_path, format!("malformed JSON: {e}")))?;
        if raw.get("format").and_then(|v| v.as_str()) != Some(FORMAT_NAME) {
            let message = format!("{MANIFEST_FILE} does not declare format \"{FORMAT_NAME}\"");
            return Err(StoreError::NotAStore { path: dir.to_path_buf(), message });
        }
        let found = raw.get("format_version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
        if found != FORMAT_VERSION {
            return Err(StoreError::FormatVersion { path: manifest_path, found, expected: FORMAT_VERSION });
        }
        let manifest: Manifest =
            serde_json::from_value(raw).map_err(|e| corrupt(&manifest_path, format!("bad manifest: {e}")))?;
        let digest = store_checksum(&manifest.files);
        if digest != manifest.checksum {
            return Err(StoreError::Checksum { path: manifest_path, expected: manifest.checksum, found: digest });
        }
        let mut buffers = Vec::with_capacity(manifest.files.len());
        for entry in &manifest.files {
            let path = dir.join(&entry.name);
            if entry.name.contains(['/', '\\']) || entry.name == MANIFEST_FILE {
                return Err(corrupt(&manifest_path, format!("bad file name \"{}\"", entry.name)));
            }
            let buffer = Buffer::map(&path)?;
            if buffer.bytes().len() as u64 != entry.bytes {
                let message = format!("{} bytes, the manifest says {}", buffer.bytes().len(), entry.bytes);
                return Err(corrupt(&path, message));
            }
            buffers.push(buffer);
        }
        let meta_pos = manifest.files.iter().position(|f| f.name == META_FILE);
        let meta_pos = meta_pos.ok_or_else(|| corrupt(&manifest_path, format!("no {META_FILE} listed")))?;
        let meta_path = dir.join(META_FILE);
        let meta_bytes = buffers[meta_pos].bytes();
        let meta_sha = sha256_hex(meta_bytes);
        if meta_sha != manifest.files[meta_pos].sha256 {
            let expected = manifest.files[meta_pos].sha256.clone();
            return Err(StoreError::Checksum { path: meta_path, expected, found: meta_sha });
        }
        let meta: Meta =
            serde_json::from_slice(meta_bytes).map_err(|e| corrupt(&meta_path, format!("bad meta: {e}")))?;
        Store::assemble(Some(dir.to_path_buf()), manifest, meta, buffers)
    }

    /// Builds the in-memory twin of the store `scorelab import` would write for `dataset`.
    pub fn from_dataset(dataset: &Dataset) -> Result<Store, StoreError> {
        let built = build::build(dataset)?;
        let files: Vec<FileEntry> = built
            .files
            .iter()
            .map(|(name, bytes)| FileEntry {
                name: name.to_string(),
                bytes: bytes.len() as u64,
                sha256: sha256_hex(bytes),
            })
            .collect();
        let checksum = store_checksum(&files);
        let manifest = Manifest { format: FORMAT_NAME.to_string(), format_version: FORMAT_VERSION, files, checksum };
        let buffers = built.files.iter().map(|(_, b)| Buffer::from_bytes(b)).collect();
        Store::assemble(None, manifest, built.meta, buffers)
    }

    /// Writes the store to `dir` atomically (replacing any previous store there).
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<(), StoreError> {
        self.save_with(dir.as_ref(), &[])
    }

    /// `save`, with `extra` files (name, bytes) written beside the store's own, in the same atomic step.
    /// They are not part of the store: the manifest and checksum do not cover them.
    pub(crate) fn save_with(&self, dir: &Path, extra: &[(&str, &[u8])]) -> Result<(), StoreError> {
        replace_dir_atomically(
            dir,
            |tmp| {
                for (name, bytes) in extra {
                    let path = tmp.join(name);
                    std::fs::write(&path, bytes).map_err(|e| StoreError::io(&path, e))?;
                }
                for (entry, buffer) in self.manifest.files.iter().zip(&self.buffers) {
                    let path = tmp.join(&entry.name);
                    std::fs::write(&path, buffer.bytes()).map_err(|e| StoreError::io(&path, e))?;
                }
                let path = tmp.join(MANIFEST_FILE);
                let mut json = serde_json::to_vec_pretty(&self.manifest)
                    .map_err(|e| StoreError::io(&path, std::io::Error::other(e)))?;
                json.push(b'\n');
                std::fs::write(&path, json).map_err(|e| StoreError::io(&path, e))
            },
            StoreError::io,
        )
    }

    /// Recomputes the SHA-256 of every file and compares it with the manifest.
    pub fn verify(&self) -> Result<(), StoreError> {
        for (entry, buffer) in self.manifest.files.iter().zip(&self.buffers) {
            let found = sha256_hex(buffer.bytes());
            if found != entry.sha256 {
                let path = self.dir.clone().unwrap_or_else(|| PathBuf::from("<in-memory store>")).join(&entry.name);
                return Err(StoreError::Checksum { path, expected: entry.sha256.clone(), found });
            }
        }
        Ok(())
    }

    fn assemble(
        dir: Option<PathBuf>,
        manifest: Manifest,
        meta: Meta,
        buffers: Vec<Buffer>,
    ) -> Result<Store, StoreError> {
        let where_ = dir.clone().unwrap_or_else(|| PathBuf::from("<in-memory store>"));
        let resolver = Resolver { files: &manifest.files, sections: &meta.sections, buffers: &buffers, dir: &where_ };
        let n = meta.num_items as usize;
        let u = meta.num_users as usize;
        let dims = meta.dims as usize;
        let rows = meta.user_rows as usize;
        let ids = |file: &str, count: usize| -> Result<IdSects, StoreError> {
            let offsets = resolver.get(file, "ids.offsets", 8, Some(count + 1))?;
            let bytes = resolver.get(file, "ids.bytes", 1, None)?;
            resolver.check_last_offset(file, "ids.offsets", offsets, bytes.end - bytes.start)?;
            Ok(IdSects { offsets, bytes, sorted: resolver.get(file, "ids.sorted", 4, Some(count))? })
        };
        let items = ids(layout::ITEMS_FILE, n)?;
        let users = ids(layout::USERS_FILE, u)?;
        let vectors = resolver.get(layout::VECTORS_FILE, "vectors", 4, Some(n * dims))?;
        let matrices = resolver.get(layout::USERS_FILE, "matrices", 4, Some(u * rows * dims))?;
        let t = layout::TRUTH_FILE;
        let inter_offsets = resolver.get(t, "interactions.offsets", 8, Some(u + 1))?;
        let inter_items = resolver.get(t, "interactions.items", 4, None)?;
        let inter_weights =
            resolver.get(t, "interactions.weights", 4, Some((inter_items.end - inter_items.start) / 4))?;
        resolver.check_last_offset(
            t,
            "interactions.offsets",
            inter_offsets,
            (inter_items.end - inter_items.start) / 4,
        )?;
        let excl_offsets = resolver.get(t, "exclusions.offsets", 8, Some(u + 1))?;
        let excl_items = resolver.get(t, "exclusions.items", 4, None)?;
        resolver.check_last_offset(t, "exclusions.offsets", excl_offsets, (excl_items.end - excl_items.start) / 4)?;
        let mut columns = Vec::with_capacity(meta.attributes.len());
        let c = layout::COLUMNS_FILE;
        for spec in &meta.attributes {
            let name = spec.name.as_str();
            let offsets = resolver.get(c, &format!("{name}.offsets"), 8, Some(n + 1))?;
            let width = if spec.kind == FieldKind::Keyword { 4 } else { 8 };
            let values = resolver.get(c, &format!("{name}.values"), width, None)?;
            resolver.check_last_offset(c, &format!("{name}.offsets"), offsets, (values.end - values.start) / width)?;
            let terms = if spec.kind == FieldKind::Keyword {
                let to = resolver.get(c, &format!("{name}.terms.offsets"), 8, None)?;
                let tb = resolver.get(c, &format!("{name}.terms.bytes"), 1, None)?;
                resolver.check_last_offset(c, &format!("{name}.terms.offsets"), to, tb.end - tb.start)?;
                Some((to, tb))
            } else {
                None
            };
            columns.push(ColumnSects { name: spec.name.clone(), kind: spec.kind, offsets, values, terms });
        }
        let schema = Schema::new(&meta.settings.item_vector_field, meta.dims, &meta.attributes);
        Ok(Store {
            dir,
            manifest,
            meta,
            schema,
            buffers,
            vectors,
            items,
            users,
            matrices,
            inter_offsets,
            inter_items,
            inter_weights,
            excl_offsets,
            excl_items,
            columns,
            interactions_cache: OnceLock::new(),
            magnitudes: OnceLock::new(),
            computed_stats: OnceLock::new(),
        })
    }

    fn slice<T: bytemuck::Pod>(&self, s: Sect) -> &[T] {
        bytemuck::cast_slice(&self.buffers[s.file].bytes()[s.start..s.end])
    }

    fn id_at(&self, ids: &IdSects, i: usize) -> &str {
        let offsets: &[u64] = self.slice(ids.offsets);
        let bytes: &[u8] = self.slice(ids.bytes);
        std::str::from_utf8(&bytes[offsets[i] as usize..offsets[i + 1] as usize]).unwrap_or("\u{FFFD}")
    }

    fn find_id(&self, ids: &IdSects, id: &str) -> Option<u32> {
        let sorted: &[u32] = self.slice(ids.sorted);
        sorted
            .binary_search_by(|&ord| self.id_at(ids, ord as usize).as_bytes().cmp(id.as_bytes()))
            .ok()
            .map(|pos| sorted[pos])
    }

    /// The directory the store was opened from (None for the in-memory twin).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// True when the payload is memory-mapped from disk.
    pub fn is_mapped(&self) -> bool {
        self.buffers.iter().any(Buffer::is_mapped)
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn settings(&self) -> &DatasetSettings {
        &self.meta.settings
    }

    /// Hex digest over the manifest's file checksums: identifies the store's exact content.
    pub fn checksum(&self) -> &str {
        &self.manifest.checksum
    }

    /// The files of the store with their sizes and SHA-256.
    pub fn files(&self) -> &[FileEntry] {
        &self.manifest.files
    }

    /// What import kept and dropped from the interactions and exclusions.
    pub fn ground_truth_report(&self) -> &GroundTruthReport {
        &self.meta.ground_truth
    }

    pub fn dims(&self) -> usize {
        self.meta.dims as usize
    }

    /// Rows of every user matrix.
    pub fn user_rows(&self) -> usize {
        self.meta.user_rows as usize
    }

    pub fn num_items(&self) -> usize {
        self.meta.num_items as usize
    }

    pub fn item_id(&self, item: ItemIdx) -> &str {
        self.id_at(&self.items, item.0 as usize)
    }

    pub fn item_index(&self, id: &str) -> Option<ItemIdx> {
        self.find_id(&self.items, id).map(ItemIdx)
    }

    /// All item vectors, one row per item in ordinal order.
    pub fn vectors(&self) -> ArrayView2<'_, f32> {
        ArrayView2::from_shape((self.num_items(), self.dims()).strides((self.dims(), 1)), self.slice(self.vectors))
            .expect("invariant: vectors section length checked at open")
    }

    #[inline]
    pub fn vector(&self, item: ItemIdx) -> &[f32] {
        let d = self.dims();
        let i = item.0 as usize;
        &self.slice::<f32>(self.vectors)[i * d..(i + 1) * d]
    }

    /// `dense_vector_magnitude` of every item vector, by ordinal. Computed once, on first use,
    /// by whichever thread asks first (O(items × dims)); `open` stays O(1).
    pub fn vector_magnitudes(&self) -> &[f32] {
        self.magnitudes.get_or_init(|| {
            (0..self.num_items() as u32).map(|i| dense_vector_magnitude(self.vector(ItemIdx(i)))).collect()
        })
    }

    /// The statistics of every attribute field, in schema order: as import recorded them, or computed
    /// from the columns (once) for a store written before import recorded them.
    pub fn field_stats(&self) -> &[FieldStats] {
        if self.meta.field_stats.len() == self.meta.attributes.len() {
            return &self.meta.field_stats;
        }
        self.computed_stats.get_or_init(|| {
            self.meta
                .attributes
                .iter()
                .filter_map(|spec| match self.column(&spec.name)? {
                    Column::Long(c) | Column::Date(c) => {
                        let values: Vec<f64> = c.values.iter().map(|&v| v as f64).collect();
                        Some(FieldStats::of_numeric(&spec.name, c.offsets, &values))
                    }
                    Column::Double(c) => Some(FieldStats::of_numeric(&spec.name, c.offsets, c.values)),
                    Column::Keyword(c) => Some(FieldStats::of_keyword(&spec.name, c.offsets, c.num_terms() as u64)),
                })
                .collect()
        })
    }

    /// The statistics of one attribute field.
    pub fn field_stat(&self, name: &str) -> Option<&FieldStats> {
        self.field_stats().iter().find(|s| s.name == name)
    }

    /// An attribute column by field name.
    pub fn column(&self, name: &str) -> Option<Column<'_>> {
        let c = self.columns.iter().find(|c| c.name == name)?;
        let offsets: &[u64] = self.slice(c.offsets);
        Some(match c.kind {
            FieldKind::Long => Column::Long(NumericColumn { offsets, values: self.slice(c.values) }),
            FieldKind::Date => Column::Date(NumericColumn { offsets, values: self.slice(c.values) }),
            FieldKind::Double => Column::Double(NumericColumn { offsets, values: self.slice(c.values) }),
            FieldKind::Keyword => {
                let (to, tb) = c.terms?;
                Column::Keyword(KeywordColumn {
                    offsets,
                    codes: self.slice(c.values),
                    term_offsets: self.slice(to),
                    term_bytes: self.slice(tb),
                })
            }
            FieldKind::Vector { .. } => return None,
        })
    }

    pub fn num_users(&self) -> usize {
        self.meta.num_users as usize
    }

    pub fn user_id(&self, user: UserIdx) -> &str {
        self.id_at(&self.users, user.0 as usize)
    }

    pub fn user_index(&self, id: &str) -> Option<UserIdx> {
        self.find_id(&self.users, id).map(UserIdx)
    }

    /// The user's `user_rows × dims` matrix.
    pub fn user_matrix(&self, user: UserIdx) -> ArrayView2<'_, f32> {
        let size = self.user_rows() * self.dims();
        let u = user.0 as usize;
        let data = &self.slice::<f32>(self.matrices)[u * size..(u + 1) * size];
        ArrayView2::from_shape((self.user_rows(), self.dims()), data).expect("invariant: matrix size checked at open")
    }

    /// The user's ground-truth interactions (item, weight), by ascending item ordinal. The
    /// relevance threshold is applied by the caller.
    pub fn interactions(&self, user: UserIdx) -> &[(ItemIdx, f32)] {
        let all = self.interactions_cache.get_or_init(|| {
            let items: &[u32] = self.slice(self.inter_items);
            let weights: &[f32] = self.slice(self.inter_weights);
            items.iter().zip(weights).map(|(&i, &w)| (ItemIdx(i), w)).collect()
        });
        let offsets: &[u64] = self.slice(self.inter_offsets);
        let u = user.0 as usize;
        &all[offsets[u] as usize..offsets[u + 1] as usize]
    }

    /// Items never to recommend to the user, sorted ascending.
    pub fn exclusions(&self, user: UserIdx) -> &[ItemIdx] {
        let offsets: &[u64] = self.slice(self.excl_offsets);
        let items: &[ItemIdx] = self.slice(self.excl_items);
        let u = user.0 as usize;
        &items[offsets[u] as usize..offsets[u + 1] as usize]
    }
}

/// Resolves named sections to checked byte ranges (aligned, in bounds, of the expected length).
struct Resolver<'a> {
    files: &'a [FileEntry],
    sections: &'a [Section],
    buffers: &'a [Buffer],
    dir: &'a Path,
}

impl Resolver<'_> {
    fn corrupt(&self, file: &str, message: String) -> StoreError {
        StoreError::Corrupt { path: self.dir.join(file), message }
    }

    fn get(&self, file: &str, name: &str, width: usize, count: Option<usize>) -> Result<Sect, StoreError> {
        let s = self
            .sections
            .iter()
            .find(|s| s.file == file && s.name == name)
            .ok_or_else(|| self.corrupt(file, format!("section `{name}` missing")))?;
        let fi = self
            .files
            .iter()
            .position(|f| f.name == file)
            .ok_or_else(|| self.corrupt(file, "file not listed in the manifest".into()))?;
        let (start, len) = (s.offset as usize, s.bytes as usize);
        let file_len = self.buffers[fi].bytes().len();
        if start % 8 != 0 || len % width != 0 || start.checked_add(len).is_none_or(|end| end > file_len) {
            return Err(self.corrupt(file, format!("section `{name}` misaligned or out of bounds")));
        }
        if let Some(count) = count
            && len / width != count
        {
            return Err(self.corrupt(file, format!("section `{name}` holds {} values, expected {count}", len / width)));
        }
        Ok(Sect { file: fi, start, end: start + len })
    }

    /// The last offset of an offsets section must equal the length of the array it indexes.
    fn check_last_offset(&self, file: &str, name: &str, offsets: Sect, values: usize) -> Result<(), StoreError> {
        let bytes = &self.buffers[offsets.file].bytes()[offsets.start..offsets.end];
        let offs: &[u64] = bytemuck::cast_slice(bytes);
        match offs.last() {
            Some(&last) if last as usize == values && offs[0] == 0 => Ok(()),
            _ => Err(self.corrupt(file, format!("section `{name}` does not match the data it indexes"))),
        }
    }
}
