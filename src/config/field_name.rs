//! The name of a schema field, interned: each distinct name is stored once for the life of
//! the process, and a `FieldName` is a copyable reference to it.
//!
//! Every value and span of every document carries its field's name: 30 or so per document,
//! 140,000 documents at 100,000 entries. As `Arc<str>` shared with the schema, each copy was
//! an atomic increment (and each drop a decrement) of one of a few dozen counters that every
//! core touched at once: reading a large site's kept fields back spent most of its time
//! waiting for those counters' cache lines (issue 21). An interned name is copied as a
//! pointer. Names are never freed; they come from site.toml and from the front matter of
//! the site's own documents, so there are as many as the site has distinct names.
//!
//! It owns the interning; it knows nothing of schemas.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

/// An interned field name (see the module's header). Ordered and hashed as its text;
/// equal when it is the same copy, which it is exactly when the texts are equal (every
/// `FieldName` is made by [`FieldName::new`]): a comparison of two pointers.
#[derive(Clone, Copy, Eq, PartialOrd, Ord)]
pub struct FieldName(&'static str);

impl PartialEq for FieldName {
    fn eq(&self, other: &FieldName) -> bool {
        FieldName::same(*self, *other)
    }
}

impl FieldName {
    /// The interned copy of `name`.
    pub fn new(name: &str) -> FieldName {
        static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
        let names = NAMES.get_or_init(Mutex::default);
        let mut names = names.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = names.get(name) {
            return FieldName(n);
        }
        let n: &'static str = Box::leak(Box::from(name));
        names.insert(n);
        FieldName(n)
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// Whether both are the one interned copy (always so for equal names).
    pub fn same(a: FieldName, b: FieldName) -> bool {
        std::ptr::eq(a.0, b.0)
    }
}

// Hashed as its text, as `Borrow<str>` requires; equal names are equal texts.
impl std::hash::Hash for FieldName {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.hash(h);
    }
}

impl std::ops::Deref for FieldName {
    type Target = str;

    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for FieldName {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl std::borrow::Borrow<str> for FieldName {
    fn borrow(&self) -> &str {
        self.0
    }
}

impl From<&str> for FieldName {
    fn from(s: &str) -> FieldName {
        FieldName::new(s)
    }
}

impl From<String> for FieldName {
    fn from(s: String) -> FieldName {
        FieldName::new(&s)
    }
}

impl From<&String> for FieldName {
    fn from(s: &String) -> FieldName {
        FieldName::new(s)
    }
}

impl std::fmt::Debug for FieldName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0, f)
    }
}

impl std::fmt::Display for FieldName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl serde::Serialize for FieldName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_are_one_copy_and_compare_as_text() {
        let owned = String::from("institutions");
        let (a, b) = (FieldName::new("institutions"), FieldName::from(owned));
        assert!(FieldName::same(a, b));
        assert_eq!(a, b);
        assert_eq!(&*a, "institutions");
        let c = FieldName::new("fields");
        assert!(!FieldName::same(a, c) && a != c);
        assert!(c < a, "ordered as text");
        assert_eq!(format!("{a} {c:?}"), "institutions \"fields\"");
    }
}
