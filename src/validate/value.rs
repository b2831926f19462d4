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

    /// A translation's fields over its `original`'s: the translation's value where it has
    /// one (tables merged name by name, see [`Value::merge_from`]), the original's
    /// otherwise, in the original's order, then the names only the translation has, in its
    /// order. Only the original's values the translation keeps are copied.
    pub fn over(original: &Fields, translation: Fields) -> Fields {
        let mut theirs: Vec<Option<(FieldName, Value)>> =
            translation.0.into_iter().map(Some).collect();
        let mut out = Vec::with_capacity(original.0.len() + theirs.len());
        for (name, mine) in &original.0 {
            let their = (theirs.iter_mut())
                .find(|t| t.as_ref().is_some_and(|(k, _)| k == name))
                .and_then(Option::take);
            let value = match (mine, their) {
                (Value::Table(_), Some((_, their @ Value::Table(_)))) => {
                    let mut merged = mine.clone();
                    merged.merge_from(&their);
                    merged
                }
                (_, Some((_, their))) => their,
                (_, None) => mine.clone(),
            };
            out.push((*name, value));
        }
        out.extend(theirs.into_iter().flatten());
        Fields(out)
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

    #[test]
    fn a_translation_over_its_original_is_the_original_merged_with_it() {
        let name = FieldName::new;
        let table = |pairs: &[(&str, &str)]| {
            let mut t = Fields::default();
            for (k, v) in pairs {
                t.insert(name(k), Value::Text((*v).into()));
            }
            Value::Table(Box::new(t))
        };
        let mut original = Fields::default();
        original.insert(name("title"), Value::Text("甲".into()));
        original.insert(name("trl"), Value::Integer(5));
        original.insert(name("contact"), table(&[("name", "陆"), ("phone", "0578")]));
        original.insert(
            name("tags"),
            Value::List(Box::new([Value::Text("a".into())])),
        );
        let mut translation = Fields::default();
        translation.insert(name("extra"), Value::Text("only here".into()));
        translation.insert(
            name("contact"),
            table(&[("name", "Lu"), ("email", "lu@x.org")]),
        );
        translation.insert(name("title"), Value::Text("A".into()));
        translation.insert(name("trl"), table(&[("odd", "a table where a number was")]));
        // As a copy of the original with each of the translation's values merged in.
        let mut expected = original.clone();
        for (k, v) in translation.clone() {
            match expected.get_mut(&k) {
                Some(existing) => existing.merge_from(&v),
                None => expected.insert(k, v),
            }
        }
        let over = Fields::over(&original, translation);
        assert_eq!(over, expected);
        assert_eq!(
            over.keys().collect::<Vec<_>>(),
            ["title", "trl", "contact", "tags", "extra"]
        );
        assert_eq!(
            serde_json::to_string(over.get("contact").unwrap()).unwrap(),
            r#"{"name":"Lu","phone":"0578","email":"lu@x.org"}"#
        );
    }
}
