//! Checked field values: what a document's fields hold once they passed the schema.

use indexmap::IndexMap;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A value that matches its schema field. Enums, URLs, e-mails and Markdown are `Text`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Integer(i64),
    Bool(bool),
    Date(jiff::civil::Date),
    DateTime(jiff::Timestamp),
    List(Vec<Value>),
    /// Boxed: a map is seven words, and every value of a site would pay for it.
    Table(Box<IndexMap<String, Value>>),
}

impl Value {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The text values of a text field or a list of text.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Value::Text(s) => vec![s.as_str()],
            Value::List(items) => items.iter().filter_map(Value::as_text).collect(),
            _ => Vec::new(),
        }
    }

    /// Overlay `other` on `self`: tables merge key by key, anything else is replaced.
    pub fn merge_from(&mut self, other: &Value) {
        match (self, other) {
            (Value::Table(mine), Value::Table(theirs)) => {
                for (k, v) in theirs.iter() {
                    match mine.get_mut(k) {
                        Some(existing) => existing.merge_from(v),
                        None => {
                            mine.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            (me, other) => *me = other.clone(),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Text(t) => s.serialize_str(t),
            Value::Integer(i) => s.serialize_i64(*i),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Date(d) => s.serialize_str(&d.to_string()),
            Value::DateTime(t) => s.serialize_str(&t.to_string()),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Value::Table(t) => {
                let mut map = s.serialize_map(Some(t.len()))?;
                for (k, v) in t.iter() {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}
