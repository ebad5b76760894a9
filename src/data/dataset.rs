//! The in-memory exchange format: what every adapter produces and what `store` imports.
//!
//! Ids are external strings here (numbers in the files are turned into their decimal text);
//! dense ordinals only exist once a store is built.

use serde::{Deserialize, Serialize};

/// The type of an item field, as the scoring layer sees it (mirrors the Elasticsearch mapping).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum FieldKind {
    Keyword,
    Long,
    Double,
    /// An Elasticsearch `date`: epoch milliseconds, UTC (`doc['f'].value` is a `ZonedDateTime`).
    Date,
    /// A dense vector of `dims` f32 values (the item vector).
    Vector {
        dims: u32,
    },
}

impl FieldKind {
    pub fn name(&self) -> &'static str {
        match self {
            FieldKind::Keyword => "keyword",
            FieldKind::Long => "long",
            FieldKind::Double => "double",
            FieldKind::Date => "date",
            FieldKind::Vector { .. } => "dense_vector",
        }
    }
}

/// One field of the item schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSpec {
    pub name: String,
    #[serde(flatten)]
    pub kind: FieldKind,
    pub multi_valued: bool,
}

/// An attribute value. Single-valued fields hold exactly one element; an absent value is simply
/// not in the item's attribute list.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    Keyword(Vec<String>),
    Long(Vec<i64>),
    Double(Vec<f64>),
    /// Epoch milliseconds (UTC) of a date field.
    Date(Vec<i64>),
}

impl AttrValue {
    pub fn len(&self) -> usize {
        match self {
            AttrValue::Keyword(v) => v.len(),
            AttrValue::Long(v) => v.len(),
            AttrValue::Double(v) => v.len(),
            AttrValue::Date(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn kind(&self) -> FieldKind {
        match self {
            AttrValue::Keyword(_) => FieldKind::Keyword,
            AttrValue::Long(_) => FieldKind::Long,
            AttrValue::Double(_) => FieldKind::Double,
            AttrValue::Date(_) => FieldKind::Date,
        }
    }
}

/// One catalogue item. Its position in `Dataset::items` becomes its ordinal (the final tie-break).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub vector: Vec<f32>,
    /// Attribute values, indexed like `Dataset::fields` (None = absent).
    pub attributes: Vec<Option<AttrValue>>,
}

/// One user: an id and a `user_rows × dims` matrix, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub matrix: Vec<f32>,
}

/// A ground-truth interaction (relevance is `weight >= threshold`, applied by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct Interaction {
    pub item_id: String,
    pub user_id: String,
    pub weight: f32,
}

/// An item never to be recommended to a user (e.g. seen in training).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    pub user_id: String,
    pub item_id: String,
}

/// Dataset-level settings, read from (and written to) `dataset.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatasetSettings {
    pub name: String,
    /// An interaction is relevant when `weight >= relevance_threshold`.
    pub relevance_threshold: f64,
    /// Fields ILD compares (see metrics.md).
    pub diversity_fields: Vec<String>,
    pub item_vector_field: String,
    pub user_vector_field: String,
    /// Rows of every user matrix.
    pub user_rows: u32,
}

impl Default for DatasetSettings {
    fn default() -> Self {
        DatasetSettings {
            name: "dataset".to_string(),
            relevance_threshold: 1.0,
            diversity_fields: Vec::new(),
            item_vector_field: "item_vector".to_string(),
            user_vector_field: "user_vector".to_string(),
            user_rows: 10,
        }
    }
}

/// A whole dataset in the exchange format.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub settings: DatasetSettings,
    /// Dimensions of item vectors and of user matrix rows.
    pub dims: u32,
    /// Attribute fields (not the vector), in a fixed order; `Item::attributes` follows it.
    pub fields: Vec<FieldSpec>,
    pub items: Vec<Item>,
    pub users: Vec<User>,
    pub interactions: Vec<Interaction>,
    pub exclusions: Vec<Exclusion>,
}

impl Dataset {
    /// Position of an attribute field by name.
    pub fn field_position(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}
