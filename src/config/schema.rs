//! The entry schema declared in `site.toml`: field kinds, required flags, taxonomies, labels.
//! It owns the *definition* of fields; checking values against it lives in `validate`.

use indexmap::IndexMap;
use serde::Deserialize;

/// A schema's fields by name, in the order site.toml gives them. Hashed with foldhash: every
/// field of every document is looked up by name in it when the fields are checked or read
/// back (SipHash's cost for two million short names was a tenth of a second per build at
/// 100,000 entries).
pub type FieldDefs = IndexMap<String, FieldDef, foldhash::fast::FixedState>;

/// Labels keyed by language code (`zh`, `en`, ...).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Labels(pub IndexMap<String, String>);

impl Labels {
    /// The label in `lang`, else in `fallback`, else the first one, else `name`.
    pub fn get<'a>(&'a self, lang: &str, fallback: &str, name: &'a str) -> &'a str {
        self.0
            .get(lang)
            .or_else(|| self.0.get(fallback))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or(name)
    }
}

/// One allowed value of an enum field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumOption {
    pub key: String,
    pub labels: Labels,
}

/// What a field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    Text {
        max_length: Option<usize>,
    },
    Markdown,
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Enum {
        options: Vec<EnumOption>,
    },
    List {
        item: Box<FieldDef>,
    },
    Date,
    DateTime,
    Url,
    Email,
    Bool,
    Table {
        fields: FieldDefs,
    },
    /// A typed reference: the id of an item of `collection` (`results` for release entries,
    /// written `<release>/<slug>`; the name of a `[collections.<name>]` for its items,
    /// written `<slug>`). Resolved in the model (see `crate::model::refs`).
    Ref {
        collection: String,
    },
}

impl FieldKind {
    /// How the kind is described to a person, e.g. in "expected a list of text".
    pub fn describe(&self) -> String {
        match self {
            FieldKind::Text { .. } => "text (a string)".into(),
            FieldKind::Markdown => "Markdown text (a string)".into(),
            FieldKind::Integer { .. } => "an integer".into(),
            FieldKind::Enum { .. } => "one of the allowed values (a string)".into(),
            FieldKind::List { item } => format!("a list of {}", item.kind.describe()),
            FieldKind::Date => "a date like 2024-09-30".into(),
            FieldKind::DateTime => "a date and time like 2025-01-01T09:00:00+08:00".into(),
            FieldKind::Url => "a URL (a string)".into(),
            FieldKind::Email => "an e-mail address (a string)".into(),
            FieldKind::Bool => "true or false".into(),
            FieldKind::Table { .. } => "a table".into(),
            FieldKind::Ref { collection } => {
                format!("the id of an item of `{collection}` (a string)")
            }
        }
    }

    /// The enum options of this field or of its list items.
    pub fn enum_options(&self) -> Option<&[EnumOption]> {
        match self {
            FieldKind::Enum { options } => Some(options),
            FieldKind::List { item } => item.kind.enum_options(),
            _ => None,
        }
    }
}

/// One field of the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    /// Interned: every value and span of the field carries it as a pointer (see
    /// [`crate::config::field_name`]).
    pub name: crate::config::field_name::FieldName,
    pub kind: FieldKind,
    pub required: bool,
    pub taxonomy: bool,
    pub label: Labels,
}

impl FieldDef {
    /// Whether a value of this field may hold references (a `ref`, or a list or table of
    /// them, at any depth).
    pub fn holds_refs(&self) -> bool {
        match &self.kind {
            FieldKind::Ref { .. } => true,
            FieldKind::List { item } => item.holds_refs(),
            FieldKind::Table { fields } => fields.values().any(FieldDef::holds_refs),
            _ => false,
        }
    }
}

/// The whole entry schema, in declaration (= display) order.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub fields: FieldDefs,
}

impl Schema {
    /// Fields marked as taxonomies, in schema order.
    pub fn taxonomies(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.values().filter(|f| f.taxonomy)
    }
}

/// The raw, serde-facing form of a field in `site.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawField {
    pub kind: RawKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub taxonomy: bool,
    #[serde(default)]
    pub label: Labels,
    pub max_length: Option<usize>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    #[serde(default)]
    pub options: Vec<RawOption>,
    pub item: Option<Box<RawField>>,
    #[serde(default)]
    pub fields: IndexMap<String, RawField>,
    /// For `kind = "ref"`: the collection referred to.
    pub collection: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawOption {
    pub key: String,
    #[serde(flatten)]
    pub labels: IndexMap<String, String>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawKind {
    Text,
    Markdown,
    Integer,
    Enum,
    List,
    Date,
    Datetime,
    Url,
    Email,
    Bool,
    Table,
    Ref,
}

/// Turn a raw field into a checked definition, or say what is wrong with it.
pub(crate) fn build_field(name: &str, raw: RawField, path: &str) -> Result<FieldDef, String> {
    let kind = match raw.kind {
        RawKind::Text => FieldKind::Text {
            max_length: raw.max_length,
        },
        RawKind::Markdown => FieldKind::Markdown,
        RawKind::Integer => FieldKind::Integer {
            min: raw.min,
            max: raw.max,
        },
        RawKind::Enum => {
            if raw.options.is_empty() {
                return Err(format!(
                    "schema field `{path}` is an enum without `options`"
                ));
            }
            let mut seen = std::collections::HashSet::new();
            for o in &raw.options {
                if !seen.insert(o.key.clone()) {
                    return Err(format!(
                        "schema field `{path}` lists the option `{}` twice",
                        o.key
                    ));
                }
            }
            FieldKind::Enum {
                options: raw
                    .options
                    .into_iter()
                    .map(|o| EnumOption {
                        key: o.key,
                        labels: Labels(o.labels),
                    })
                    .collect(),
            }
        }
        RawKind::List => {
            let Some(item) = raw.item else {
                return Err(format!(
                    "schema field `{path}` is a list without `item` (e.g. item = {{ kind = \"text\" }})"
                ));
            };
            FieldKind::List {
                item: Box::new(build_field(name, *item, &format!("{path}.item"))?),
            }
        }
        RawKind::Date => FieldKind::Date,
        RawKind::Datetime => FieldKind::DateTime,
        RawKind::Url => FieldKind::Url,
        RawKind::Email => FieldKind::Email,
        RawKind::Bool => FieldKind::Bool,
        RawKind::Ref => match raw.collection {
            Some(collection) => FieldKind::Ref { collection },
            None => {
                return Err(format!(
                    "schema field `{path}` is a ref without `collection` (e.g. collection = \"results\")"
                ));
            }
        },
        RawKind::Table => {
            if raw.fields.is_empty() {
                return Err(format!("schema field `{path}` is a table without `fields`"));
            }
            let mut fields = FieldDefs::default();
            for (k, v) in raw.fields {
                let def = build_field(&k, v, &format!("{path}.fields.{k}"))?;
                fields.insert(k, def);
            }
            FieldKind::Table { fields }
        }
    };
    if raw.taxonomy {
        let ok = match &kind {
            FieldKind::Text { .. } | FieldKind::Enum { .. } => true,
            FieldKind::List { item } => {
                matches!(item.kind, FieldKind::Text { .. } | FieldKind::Enum { .. })
            }
            _ => false,
        };
        if !ok {
            return Err(format!(
                "schema field `{path}` is a taxonomy but not text, enum, or a list of those"
            ));
        }
    }
    Ok(FieldDef {
        name: name.into(),
        kind,
        required: raw.required,
        taxonomy: raw.taxonomy,
        label: raw.label,
    })
}
