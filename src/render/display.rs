//! Turning an entry's field values into display HTML for one language: enum labels, links to
//! taxonomy terms, mailto and web links, nested tables. Every piece of text is escaped here.

use serde::Serialize;

use crate::config::{FieldDef, FieldKind};
use crate::model::Site;
use crate::model::ids::{Lang, Slug};
use crate::validate::{Fields, Value};

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One field as shown on an entry page.
#[derive(Debug, Clone, Serialize)]
pub struct DisplayField {
    pub name: String,
    pub label: String,
    /// Safe HTML.
    pub html: String,
}

/// Fields shown elsewhere on the page (heading, summary, cover) or not shown at all.
const NOT_IN_TABLE: &[&str] = &[
    "title",
    "summary",
    "cover",
    "cover_alt",
    "draft",
    "embargo",
    "date",
    // An item's deadline is shown beside its date.
    "closes",
];

/// A taxonomy field whose values link to their term pages: the results' taxonomy (no
/// collection) or a collection's.
#[derive(Clone, Copy)]
struct Tax<'a> {
    field: &'a str,
    collection: Option<usize>,
}

pub struct Displayer<'a> {
    pub site: &'a Site,
    pub lang: &'a Lang,
    pub yes: &'a str,
    pub no: &'a str,
}

impl Displayer<'_> {
    fn sep(&self) -> &'static str {
        if self.lang.as_str().starts_with("zh") {
            "、"
        } else {
            ", "
        }
    }

    fn label<'b>(&self, def: &'b FieldDef) -> &'b str {
        def.label.get(
            self.lang.as_str(),
            self.site.default_lang().as_str(),
            &def.name,
        )
    }

    /// Display rows for all shown fields of `values`, in schema order.
    pub fn fields(&self, values: &Fields) -> Vec<DisplayField> {
        self.fields_in(&self.site.config.schema, None, values)
    }

    /// [`Displayer::fields`] for an item of collection `collection` (an index into
    /// `Site::collections`): its taxonomy values link to the collection's own term pages.
    pub fn item_fields(&self, collection: usize, values: &Fields) -> Vec<DisplayField> {
        let c = &self.site.collections[collection];
        let schema = &self.site.config.collections[c.def].schema;
        self.fields_in(schema, Some(collection), values)
    }

    /// Display rows of a document of `schema`: an entry's (`collection` is `None`) or an
    /// item's.
    fn fields_in(
        &self,
        schema: &crate::config::Schema,
        collection: Option<usize>,
        values: &Fields,
    ) -> Vec<DisplayField> {
        schema
            .fields
            .values()
            .filter(|d| !NOT_IN_TABLE.contains(&&*d.name))
            .filter_map(|def| {
                let v = values.get_field(def.name)?;
                Some(DisplayField {
                    name: def.name.to_string(),
                    label: self.label(def).to_string(),
                    html: self.value(
                        def,
                        v,
                        def.taxonomy.then_some(Tax {
                            field: &def.name,
                            collection,
                        }),
                    ),
                })
            })
            .collect()
    }

    fn term_link(&self, taxonomy: Tax<'_>, text: &str, label: &str) -> String {
        let u = &self.site.urls;
        let taxonomies = match taxonomy.collection {
            None => &self.site.taxonomies[..],
            Some(c) => &self.site.collections[c].taxonomies[..],
        };
        let tax = taxonomies.iter().find(|t| t.field == taxonomy.field);
        match (tax, Slug::from_text(text)) {
            (Some(t), Some(slug)) if t.term(self.lang, slug.as_str()).is_some() => {
                let path = match taxonomy.collection {
                    None => u.term(self.lang, &t.slug, &slug, 1),
                    Some(c) => {
                        let name = &self.site.collections[c].name;
                        u.collection_term(self.lang, name, &t.slug, &slug, 1)
                    }
                };
                format!("<a href=\"{}\">{}</a>", esc(&u.href(&path)), esc(label))
            }
            _ => esc(label),
        }
    }

    fn value(&self, def: &FieldDef, v: &Value, taxonomy: Option<Tax<'_>>) -> String {
        match (&def.kind, v) {
            (FieldKind::Enum { options }, Value::Text(key)) => {
                let label = options
                    .iter()
                    .find(|o| *o.key == **key)
                    .map(|o| {
                        o.labels
                            .get(self.lang.as_str(), self.site.default_lang().as_str(), key)
                    })
                    .unwrap_or(key);
                match taxonomy {
                    Some(t) => self.term_link(t, key, label),
                    None => esc(label),
                }
            }
            (FieldKind::Text { .. }, Value::Text(s)) => match taxonomy {
                Some(t) => self.term_link(t, s, s),
                None => esc(s),
            },
            (FieldKind::Markdown, Value::Text(s)) => {
                let mut html = String::new();
                pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(s));
                crate::markdown::sanitize(&html)
            }
            (FieldKind::Url, Value::Text(s)) => {
                format!("<a href=\"{0}\" rel=\"noopener\">{0}</a>", esc(s))
            }
            (FieldKind::Ref { collection }, Value::Text(id)) => {
                match crate::model::refs::find(self.site, collection, id) {
                    Some(target) => {
                        let (title, url) =
                            crate::render::market::title_and_url(self.site, target, self.lang);
                        format!("<a href=\"{}\">{}</a>", esc(&url), esc(&title))
                    }
                    None => esc(id),
                }
            }
            (FieldKind::Email, Value::Text(s)) => {
                format!("<a href=\"mailto:{0}\">{0}</a>", esc(s))
            }
            (FieldKind::List { item }, Value::List(items)) => {
                if matches!(item.kind, FieldKind::Table { .. }) {
                    let lis: Vec<String> = items
                        .iter()
                        .map(|i| format!("<li>{}</li>", self.value(item, i, None)))
                        .collect();
                    format!("<ul class=\"field-list\">{}</ul>", lis.concat())
                } else {
                    items
                        .iter()
                        .map(|i| self.value(item, i, taxonomy))
                        .collect::<Vec<_>>()
                        .join(self.sep())
                }
            }
            (FieldKind::Table { fields }, Value::Table(t)) => {
                let parts: Vec<String> = fields
                    .values()
                    .filter_map(|d| {
                        let v = t.get_field(d.name)?;
                        Some(format!(
                            "<span class=\"part\"><span class=\"part-label\">{}</span> {}</span>",
                            esc(self.label(d)),
                            self.value(d, v, None)
                        ))
                    })
                    .collect();
                parts.join(" ")
            }
            (_, Value::Bool(b)) => esc(if *b { self.yes } else { self.no }),
            (_, Value::Integer(i)) => i.to_string(),
            (_, Value::Date(d)) => d.to_string(),
            (_, Value::DateTime(t)) => esc(&t.to_string()),
            (_, Value::Text(s)) => esc(s),
            (_, other) => esc(&format!("{other:?}")),
        }
    }
}
