//! The item schema a store exposes: the item vector first, then the attribute fields in dataset
//! order. The script checker resolves `doc['field']` against it.

pub use crate::data::{FieldKind, FieldSpec};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    fields: Vec<FieldSpec>,
}

impl Schema {
    pub(crate) fn new(vector_field: &str, dims: u32, attributes: &[FieldSpec]) -> Schema {
        let mut fields = Vec::with_capacity(attributes.len() + 1);
        fields.push(FieldSpec {
            name: vector_field.to_string(),
            kind: FieldKind::Vector { dims },
            multi_valued: false,
        });
        fields.extend(attributes.iter().cloned());
        Schema { fields }
    }

    /// All fields, the item vector first.
    pub fn fields(&self) -> &[FieldSpec] {
        &self.fields
    }

    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The item vector field.
    pub fn vector_field(&self) -> &FieldSpec {
        &self.fields[0]
    }

    /// Dimensions of the item vector (and of user matrix rows).
    pub fn dims(&self) -> u32 {
        match self.fields[0].kind {
            FieldKind::Vector { dims } => dims,
            _ => 0,
        }
    }
}
