//! Checked field values: what a document's fields hold once they passed the schema.

use crate::config::field_name::FieldName;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A value that matches its schema field. Enums, URLs, e-mails and Markdown are `Text`.
/// Every variant is at most two words (texts and lists are boxed slices, sized exactly):
/// a site holds every value of every entry version for the whole build.
#[derive(Debug, Clone, PartialEq, Hash)]
pub enum Value {
    Text(Box<str>),
    Integer(i64),
    Bool(bool),
    Date(jiff::civil::Date),
    DateTime(jiff::Timestamp),
    List(Box<[Value]>),
    Table(Box<Fields>),
}

/// Field values by name, in schema order. A short list searched in order rather than a
/// hash map: a document has a few dozen fields at most, and a site holds one such list per
/// entry version for the whole build. Names are interned (`FieldName`): copied as a pointer.
#[derive(Debug, Clone, Default, PartialEq, Hash)]
pub struct Fields(Vec<(FieldName, Value)>);

impl Fields {
    /// An empty list with room for `n` values.
    pub fn with_capacity(n: usize) -> Self {
        Fields(Vec::with_capacity(n))
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| &**k == name).map(|(_, v)| v)
    }

    /// [`Fields::get`] by an interned name: each field compared by pointer, not by text.
    pub fn get_field(&self, name: FieldName) -> Option<&Value> {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.0
            .iter_mut()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Set `name` to `value`, in its place if it has one, else at the end.
    pub fn insert(&mut self, name: FieldName, value: Value) {
        match self.get_mut(&name) {
            Some(v) => *v = value,
            None => self.0.push((name, value)),
        }
    }

    /// Add `name` at the end, known not to be here yet (fields read back as they were
    /// kept, see `validate::kept`).
    pub fn push(&mut self, name: FieldName, value: Value) {
        self.0.push((name, value));
    }

    /// Names and values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    /// The names (interned, see `config::field_name`).
    pub fn names(&self) -> impl Iterator<Item = FieldName> + '_ {
        self.0.iter().map(|(k, _)| *k)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| &**k)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reorder by `key` of each name (a stable sort).
    pub fn sort_by_key<K: Ord>(&mut self, mut key: impl FnMut(&str) -> K) {
        self.0.sort_by_cached_key(|(k, _)| key(k));
    }

    /// Give back unused room.
    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }
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
        self.text_iter().collect()
    }

    /// [`Value::texts`] without a list made: for loops over every entry (a taxonomy's
    /// terms gathered from 100,000 entries made a vector for each).
    pub fn text_iter(&self) -> impl Iterator<Item = &str> {
        let items: &[Value] = match self {
            Value::List(items) => items,
            Value::Text(_) => std::slice::from_ref(self),
            _ => &[],
        };
        items.iter().filter_map(Value::as_text)
    }

    /// Overlay `other` on `self`: tables merge key by key, anything else is replaced.
    pub fn merge_from(&mut self, other: &Value) {
        match (self, other) {
            (Value::Table(mine), Value::Table(theirs)) => {
                for (k, v) in theirs.0.iter() {
                    match mine.get_mut(k) {
                        Some(existing) => existing.merge_from(v),
                        None => mine.0.push((*k, v.clone())),
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
            Value::Table(t) => t.serialize(s),
        }
    }
}

impl IntoIterator for Fields {
    type Item = (FieldName, Value);
    type IntoIter = std::vec::IntoIter<(FieldName, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_their_order_and_merge_tables_key_by_key() {
        let name = FieldName::new;
        let mut contact = Fields::default();
        contact.insert(name("name"), Value::Text("陆强宁".into()));
        contact.insert(name("phone"), Value::Text("0578".into()));
        let mut f = Fields::with_capacity(3);
        f.insert(name("title"), Value::Text("甲".into()));
        f.insert(name("trl"), Value::Integer(5));
        f.insert(name("contact"), Value::Table(Box::new(contact)));
        // Setting a field again keeps its place.
        f.insert(name("title"), Value::Text("乙".into()));
        assert_eq!(f.keys().collect::<Vec<_>>(), ["title", "trl", "contact"]);
        assert_eq!(f.get("title").and_then(Value::as_text), Some("乙"));
        assert!(f.get("missing").is_none() && !f.contains_key("missing"));
        let mut theirs = Fields::default();
        theirs.insert(name("name"), Value::Text("Lu".into()));
        theirs.insert(name("email"), Value::Text("lu@example.org".into()));
        f.get_mut("contact")
            .unwrap()
            .merge_from(&Value::Table(Box::new(theirs)));
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(
            json,
            r#"{"title":"乙","trl":5,"contact":{"name":"Lu","phone":"0578","email":"lu@example.org"}}"#
        );
        // Two words at most, as the type promises.
        assert!(std::mem::size_of::<Value>() <= 24);
    }
}
