//! Collections beside the release entries (`[collections.<name>]` in `site.toml`): enterprise
//! demands, pilot bases, or any other kind of item a site publishes, each with its own typed
//! schema, and the matching settings (`[matching]`). This module owns their *definition*; it
//! must not look at content (items are found by `load::discover` and assembled in
//! `model::collections`).

use indexmap::IndexMap;
use serde::Deserialize;

use super::schema::{self, FieldKind, Labels, RawField, Schema};
use crate::model::ids::Slug;

/// The name by which `ref` fields and `[matching]` refer to release entries.
pub const RESULTS: &str = "results";

/// The name by which `ref` fields refer to releases (a demand published in a release names it
/// with `release = { kind = "ref", collection = "releases" }`; the release page lists it).
pub const RELEASES: &str = "releases";

/// Paths at the top of the site that a collection may not take.
const RESERVED: &[&str] = &[
    RESULTS, RELEASES, "pages", "search", "stats", "data", "static", "feed.xml",
    // Open data: data/<collection>.json sits beside these.
    "entries", "matches",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCollection {
    #[serde(default)]
    label: Labels,
    /// Offer this collection's items matching results (and results these items).
    #[serde(default)]
    match_results: bool,
    schema: IndexMap<String, RawField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMatching {
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default = "default_top")]
    top: usize,
    #[serde(default = "default_top")]
    related: usize,
    #[serde(default = "default_min_score")]
    min_score: f64,
    #[serde(default)]
    weights: Weights,
    #[serde(default)]
    synonyms: Vec<Vec<String>>,
    #[serde(default = "default_fields")]
    fields: Vec<String>,
}

impl Default for RawMatching {
    fn default() -> Self {
        RawMatching {
            enabled: true,
            top: default_top(),
            related: default_top(),
            min_score: default_min_score(),
            weights: Weights::default(),
            synonyms: Vec::new(),
            fields: default_fields(),
        }
    }
}

fn yes() -> bool {
    true
}
fn default_top() -> usize {
    5
}
fn default_fields() -> Vec<String> {
    vec!["fields".into(), "cluster".into()]
}
fn default_min_score() -> f64 {
    2.0
}

/// How much each part of an item counts when matching (`[matching.weights]`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    pub title: f64,
    pub keywords: f64,
    /// Taxonomy values shared by both sides (the same field or cluster, by key).
    pub fields: f64,
    pub summary: f64,
    pub body: f64,
    /// Both sides name the same `region`.
    pub region: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            title: 3.0,
            keywords: 3.0,
            fields: 4.0,
            summary: 1.5,
            body: 0.5,
            region: 1.0,
        }
    }
}

/// The checked `[matching]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchingConfig {
    /// Off: no matches are computed or shown (collections and references still are).
    pub enabled: bool,
    /// How many matches an item lists.
    pub top: usize,
    /// How many related results a result lists (0: none).
    pub related: usize,
    /// Matches scoring less are not listed.
    pub min_score: f64,
    pub weights: Weights,
    /// Groups of words that mean the same thing (有机玻璃 = PMMA = 甲基丙烯酸甲酯).
    pub synonyms: Vec<Vec<String>>,
    /// Taxonomy enum fields whose shared keys count (both sides' fields of that name).
    pub fields: Vec<String>,
}

/// One checked `[collections.<name>]`.
#[derive(Debug, Clone)]
pub struct CollectionDef {
    /// Its folder under `content/`, its URL segment and its name in `ref` fields.
    pub name: Slug,
    pub label: Labels,
    pub match_results: bool,
    pub schema: Schema,
}

impl CollectionDef {
    /// Its label in `lang`, else in `default`, else its name.
    pub fn label_in<'a>(&'a self, lang: &str, default: &str) -> &'a str {
        self.label.get(lang, default, self.name.as_str())
    }
}

/// Check every collection and the matching settings. `entry_schema` is the results'
/// schema (for `ref` fields naming `results`); `taken` are names a collection may not have
/// (taxonomies, which also sit at the top of the site).
pub(crate) fn build(
    raw: IndexMap<String, RawCollection>,
    matching: RawMatching,
    taken: &[&str],
    errors: &mut Vec<String>,
) -> (Vec<CollectionDef>, MatchingConfig) {
    let mut out = Vec::new();
    for (name, c) in raw {
        let Some(slug) = Slug::from_text(&name).filter(|s| s.as_str() == name) else {
            errors.push(format!(
                "[collections.{name}]: a collection's name is its folder and URL; use lowercase letters, digits and `-`"
            ));
            continue;
        };
        if RESERVED.contains(&name.as_str()) || taken.contains(&name.as_str()) {
            errors.push(format!(
                "[collections.{name}]: `{name}` is already a path of the site; choose another name"
            ));
            continue;
        }
        let schema = build_schema(c.schema, &format!("collections.{name}.schema"), errors);
        out.push(CollectionDef {
            name: slug,
            label: c.label,
            match_results: c.match_results,
            schema,
        });
    }
    if matching.synonyms.iter().any(|g| g.len() < 2) {
        errors.push("[matching] synonyms: each group lists at least two words".into());
    }
    let config = MatchingConfig {
        enabled: matching.enabled,
        top: matching.top,
        related: matching.related,
        min_score: matching.min_score,
        weights: matching.weights,
        synonyms: matching.synonyms,
        fields: matching.fields,
    };
    (out, config)
}

/// A schema from its raw fields, checked as the entry schema is (`path` names it in
/// messages: `schema`, `collections.demands.schema`).
pub(crate) fn build_schema(
    raw: IndexMap<String, RawField>,
    path: &str,
    errors: &mut Vec<String>,
) -> Schema {
    let mut fields = schema::FieldDefs::default();
    for (name, f) in raw {
        if name == "body" {
            errors.push(format!(
                "{path} field `body` is reserved for the Markdown body"
            ));
            continue;
        }
        match schema::build_field(&name, f, &format!("{path}.{name}")) {
            Ok(def) => {
                fields.insert(name, def);
            }
            Err(e) => errors.push(e),
        }
    }
    let schema = Schema { fields };
    match schema.fields.get("title") {
        Some(f) if f.required && matches!(f.kind, FieldKind::Text { .. }) => {}
        _ => errors.push(format!(
            "{path} must declare a required `title` field of kind text"
        )),
    }
    for (name, kind) in super::WELL_KNOWN {
        if let Some(f) = schema.fields.get(*name)
            && super::kind_name(&f.kind) != *kind
        {
            errors.push(format!(
                "{path} field `{name}` has a meaning in Gazette and must be of kind {kind}"
            ));
        }
    }
    schema
}

/// Every `ref` field of `schema` must name `results` or one of `collections`.
pub(crate) fn check_refs(schema: &Schema, path: &str, names: &[&str], errors: &mut Vec<String>) {
    fn walk(kind: &FieldKind, path: &str, names: &[&str], errors: &mut Vec<String>) {
        match kind {
            FieldKind::Ref { collection } if !names.contains(&collection.as_str()) => {
                errors.push(format!(
                    "{path} refers to the collection `{collection}`, which the site does not have (it has: {})",
                    names.join(", ")
                ));
            }
            FieldKind::List { item } => walk(&item.kind, &format!("{path}.item"), names, errors),
            FieldKind::Table { fields } => {
                for (k, f) in fields {
                    walk(&f.kind, &format!("{path}.{k}"), names, errors);
                }
            }
            _ => {}
        }
    }
    for (name, f) in &schema.fields {
        walk(&f.kind, &format!("{path}.{name}"), names, errors);
    }
}
