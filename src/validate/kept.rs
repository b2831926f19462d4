//! Checked front matter a build keeps for the next build (see `kept`, under the name
//! `fields`): a Markdown document whose whole text (its hash, which `load::known` knows of
//! an unchanged file without reading it), kind and language role are as they were,
//! for the same site.toml and Gazette (the log's salt), gets the fields it was checked into
//! last time instead of being parsed and checked again. Only documents that checked without
//! a problem are kept, so every problem is reported on every build.
//!
//! It owns the encoding of checked fields and their keys; it checks nothing itself.

use std::path::Path;

use xxhash_rust::xxh3::Xxh3;

use super::value::{Fields, Value};
use super::{Checked, Spans};
use crate::config::field_name::FieldName;
use crate::config::schema::{FieldDef, FieldDefs, FieldKind};
use crate::kept::{Log, bytes::*};

/// The checked fields kept by the last build, and those this build adds.
pub struct CheckedStore(Log);

/// What a document's checked fields follow from besides site.toml: which schema checks it
/// (`schema`: the entry schema, a collection's, or the pages'), whether it is an original,
/// and its whole text (`text`: its hash, [`crate::load::source::hash_of`]).
pub fn key(schema: &str, original: bool, text: u128) -> u128 {
    let mut h = Xxh3::new();
    h.update(schema.as_bytes());
    h.update(&[0, u8::from(original)]);
    h.update(&text.to_le_bytes());
    h.digest128()
}

impl CheckedStore {
    /// The store of the site at `root`, for the site.toml and Gazette hashed in `salt`.
    pub fn open(root: &Path, salt: u64) -> CheckedStore {
        CheckedStore(Log::open(root, "fields", salt))
    }

    /// The fields kept under `key`, their names shared with `schema`'s.
    pub fn get(&self, key: u128, schema: &FieldDefs) -> Option<Checked> {
        decode(self.0.get(key)?, schema)
    }

    /// Keep these fields, checked with `schema`, for the next build.
    pub fn put(&self, key: u128, checked: &Checked, schema: &FieldDefs) {
        self.0.put(key, encode(checked, schema));
    }

    /// How many documents' fields were read back so far.
    pub fn reused(&self) -> usize {
        self.0.reused()
    }

    /// Write what the next build may read, on a thread of its own: dropping what this
    /// returns waits for it (best effort, see [`Log::finish`]).
    pub fn finish(self) -> crate::kept::Written {
        self.0.finish()
    }
}

/// A record: the values, then the spans in name order (as they are kept: the same fields
/// encode to the same bytes). A name the schema has is written as its place in the schema
/// (a record is read back only with the site.toml it was made with, the log's salt, and
/// the schema its key names): looking 30 names a document up by their text was a third of
/// reading back a 100,000-entry site's fields.
fn encode(checked: &Checked, schema: &FieldDefs) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    put_fields(&mut out, &checked.values, Some(schema));
    put_n(&mut out, checked.spans.len());
    for (name, r) in checked.spans.iter() {
        put_name(&mut out, &name, Some(schema));
        out.extend_from_slice(&(r.start as u64).to_le_bytes());
        out.extend_from_slice(&(r.end as u64).to_le_bytes());
    }
    out
}

/// A field's name: its place in `schema` plus one, or 0 then the name.
fn put_name(out: &mut Vec<u8>, name: &str, schema: Option<&FieldDefs>) {
    match schema.and_then(|s| s.get_index_of(name)) {
        Some(i) => put_n(out, i + 1),
        None => {
            put_n(out, 0);
            put_str(out, name);
        }
    }
}

/// A name written by [`put_name`], shared with its definition in `schema` if it has one.
fn take_name<'s>(
    b: &mut &[u8],
    schema: Option<&'s FieldDefs>,
) -> Option<(FieldName, Option<&'s FieldDef>)> {
    match take_n(b)? {
        0 => {
            let name = take_str(b)?;
            let def = schema.and_then(|s| s.get(name));
            Some((shared(def, name), def))
        }
        i => {
            let (_, def) = schema?.get_index(i - 1)?;
            Some((def.name, Some(def)))
        }
    }
}

fn put_fields(out: &mut Vec<u8>, fields: &Fields, schema: Option<&FieldDefs>) {
    put_n(out, fields.len());
    for (name, value) in fields.iter() {
        put_name(out, name, schema);
        let def = schema.and_then(|s| s.get(name));
        put_value(out, value, def.map(|d| &d.kind));
    }
}

/// A value of a field of `kind` (for the names of tables in it).
fn put_value(out: &mut Vec<u8>, value: &Value, kind: Option<&FieldKind>) {
    match value {
        Value::Text(s) => {
            out.push(0);
            put_str(out, s);
        }
        Value::Integer(i) => {
            out.push(1);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Bool(b) => out.extend_from_slice(&[2, u8::from(*b)]),
        Value::Date(d) => {
            out.push(3);
            out.extend_from_slice(&d.year().to_le_bytes());
            out.extend_from_slice(&[d.month() as u8, d.day() as u8]);
        }
        Value::DateTime(t) => {
            out.push(4);
            out.extend_from_slice(&t.as_second().to_le_bytes());
            out.extend_from_slice(&t.subsec_nanosecond().to_le_bytes());
        }
        Value::List(items) => {
            out.push(5);
            put_n(out, items.len());
            let item = match kind {
                Some(FieldKind::List { item }) => Some(&item.kind),
                _ => None,
            };
            for v in items {
                put_value(out, v, item);
            }
        }
        Value::Table(fields) => {
            out.push(6);
            let schema = match kind {
                Some(FieldKind::Table { fields }) => Some(fields),
                _ => None,
            };
            put_fields(out, fields, schema);
        }
    }
}

fn decode(mut b: &[u8], schema: &FieldDefs) -> Option<Checked> {
    let values = take_fields(&mut b, Some(schema))?;
    let n = take_n(&mut b)?;
    let mut spans = Spans::with_capacity(n.min(b.len() / 20));
    for _ in 0..n {
        let (name, _) = take_name(&mut b, Some(schema))?;
        let start = take_u64(&mut b)? as usize;
        let end = take_u64(&mut b)? as usize;
        spans.insert(name, start..end);
    }
    b.is_empty().then_some(Checked { values, spans })
}

/// `name` as its field's definition `def` holds it, or interned.
fn shared(def: Option<&FieldDef>, name: &str) -> FieldName {
    def.map_or_else(|| FieldName::new(name), |d| d.name)
}

/// The fields of a table whose schema is `schema` (its names are shared with it).
fn take_fields(b: &mut &[u8], schema: Option<&FieldDefs>) -> Option<Fields> {
    let n = take_n(b)?;
    let mut fields = Fields::with_capacity(n.min(b.len() / 5));
    for _ in 0..n {
        let (name, def) = take_name(b, schema)?;
        let value = take_value(b, def.map(|d| &d.kind))?;
        // Kept from a checked document: every name once.
        fields.push(name, value);
    }
    Some(fields)
}

/// A value of a field of `kind` (for the names of tables in it).
fn take_value(b: &mut &[u8], kind: Option<&FieldKind>) -> Option<Value> {
    let tag = take(b, 1)?[0];
    Some(match tag {
        0 => Value::Text(take_str(b)?.into()),
        1 => Value::Integer(i64::from_le_bytes(take(b, 8)?.try_into().ok()?)),
        2 => Value::Bool(take(b, 1)?[0] != 0),
        3 => {
            let year = i16::from_le_bytes(take(b, 2)?.try_into().ok()?);
            let md = take(b, 2)?;
            Value::Date(jiff::civil::Date::new(year, md[0] as i8, md[1] as i8).ok()?)
        }
        4 => {
            let second = i64::from_le_bytes(take(b, 8)?.try_into().ok()?);
            let nanos = i32::from_le_bytes(take(b, 4)?.try_into().ok()?);
            Value::DateTime(jiff::Timestamp::new(second, nanos).ok()?)
        }
        5 => {
            let item = match kind {
                Some(FieldKind::List { item }) => Some(&item.kind),
                _ => None,
            };
            let n = take_n(b)?;
            let mut items = Vec::with_capacity(n.min(b.len()));
            for _ in 0..n {
                items.push(take_value(b, item)?);
            }
            Value::List(items.into())
        }
        6 => {
            let schema = match kind {
                Some(FieldKind::Table { fields }) => Some(fields),
                _ => None,
            };
            Value::Table(Box::new(take_fields(b, schema)?))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked() -> Checked {
        let mut inner = Fields::default();
        inner.insert("name".into(), Value::Text("张三".into()));
        inner.insert("phone".into(), Value::Integer(-7));
        let mut values = Fields::default();
        values.insert("title".into(), Value::Text("有机玻璃 PMMA".into()));
        values.insert("ok".into(), Value::Bool(true));
        values.insert("date".into(), Value::Date(jiff::civil::date(2024, 12, 31)));
        values.insert(
            "at".into(),
            Value::DateTime(jiff::Timestamp::new(1_700_000_000, 123).unwrap()),
        );
        values.insert(
            "keywords".into(),
            Value::List(vec![Value::Text("a".into()), Value::Text("b".into())].into()),
        );
        values.insert("contact".into(), Value::Table(Box::new(inner)));
        let spans = [
            ("title".to_string(), 4..20),
            ("contact".to_string(), 30..90),
        ]
        .into_iter()
        .collect();
        Checked { values, spans }
    }

    #[test]
    fn checked_fields_read_back_as_they_were_kept() {
        let c = checked();
        let bytes = encode(&c, &FieldDefs::default());
        let back = decode(&bytes, &FieldDefs::default()).expect("decodes");
        assert_eq!(back.values, c.values);
        assert_eq!(back.spans, c.spans);
        assert_eq!(
            encode(&back, &FieldDefs::default()),
            bytes,
            "the same bytes again"
        );
        // A record cut anywhere, or with a byte more, is not read.
        for cut in 0..bytes.len() {
            assert!(
                decode(&bytes[..cut], &FieldDefs::default()).is_none(),
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, &FieldDefs::default()).is_none());
    }

    #[test]
    fn names_are_shared_with_the_schema() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (config, _) = crate::config::load(root).expect("the sample site.toml");
        let schema = &config.schema.fields;
        let def = schema.get("title").expect("a title field");
        let mut values = Fields::default();
        values.insert(def.name, Value::Text("x".into()));
        // A name the schema does not have is kept by its text.
        values.insert("not_in_schema".into(), Value::Integer(3));
        let spans: Spans = [
            ("title".to_string(), 1..2),
            ("not_in_schema".to_string(), 3..4),
        ]
        .into_iter()
        .collect();
        let c = Checked { values, spans };
        let bytes = encode(&c, schema);
        let back = decode(&bytes, schema).unwrap();
        assert_eq!(back.values, c.values);
        assert_eq!(back.spans, c.spans);
        let name = back.values.names().next().unwrap();
        assert!(FieldName::same(name, def.name));
        let span_name = back.spans.iter().find(|(n, _)| &**n == "title").unwrap().0;
        assert!(FieldName::same(span_name, def.name));
        // Names the schema has are written as their place in it, not their text.
        let text = |b: &[u8], s: &str| b.windows(s.len()).any(|w| w == s.as_bytes());
        assert!(!text(&bytes, "title") && text(&bytes, "not_in_schema"));
        // Read with another schema (never done: the key names the schema), a place that
        // is not in it is no record rather than another field.
        assert!(decode(&bytes, &FieldDefs::default()).is_none());
    }

    #[test]
    fn keys_follow_the_text_the_schema_and_the_role() {
        let h = crate::load::source::hash_of;
        let (a, b) = (
            h("+++\ntitle = \"a\"\n+++\n"),
            h("+++\ntitle = \"b\"\n+++\n"),
        );
        let k = key("results", true, a);
        assert_eq!(k, key("results", true, a));
        assert_ne!(k, key("results", true, b));
        assert_ne!(k, key("results", false, a));
        assert_ne!(k, key("pages", true, a));
    }
}
