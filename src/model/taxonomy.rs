//! Taxonomies: for every taxonomy field and language, its terms and the entries under each.
//! Term order: enum terms in the schema's option order, text terms by entry count, then label.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use crate::config::{FieldDef, FieldKind, SiteConfig};
use crate::model::Entry;
use crate::model::ids::{Lang, Slug};

/// One value of a taxonomy, in one language.
#[derive(Debug, Clone)]
pub struct Term {
    pub slug: Slug,
    pub label: String,
    /// Indexes into `Site::entries`, in site order.
    pub entries: Vec<usize>,
}

/// A taxonomy field and its terms per language.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    /// The schema field name.
    pub field: String,
    /// URL segment.
    pub slug: Slug,
    pub terms: BTreeMap<Lang, Vec<Term>>,
    /// Position of each term in `terms`, by language and slug.
    index: BTreeMap<Lang, HashMap<String, usize>>,
}

impl Taxonomy {
    pub fn term(&self, lang: &Lang, slug: &str) -> Option<&Term> {
        let i = *self.index.get(lang)?.get(slug)?;
        self.terms.get(lang)?.get(i)
    }
}

/// Whether the terms of taxonomy `def` are its enum options (ordered and labelled by the
/// schema) rather than free text.
fn is_enum(def: &FieldDef) -> bool {
    matches!(&def.kind, FieldKind::Enum { .. })
        || matches!(&def.kind, FieldKind::List { item } if matches!(item.kind, FieldKind::Enum { .. }))
}

/// The terms `entry` is under in taxonomy `def` in `lang`, as (slug, label) in value order
/// (a slug may come twice). A term takes the label its first entry in site order gives it.
pub fn entry_terms(
    config: &SiteConfig,
    def: &FieldDef,
    entry: &Entry,
    lang: &Lang,
) -> Vec<(Slug, String)> {
    let Some(value) = entry
        .version(lang, &config.default_language)
        .values
        .get(&def.name)
    else {
        return Vec::new();
    };
    value
        .texts()
        .into_iter()
        .filter_map(|text| term_of(config, def, text, lang))
        .collect()
}

/// The slug and label in `lang` of value `text` of taxonomy `def`; `None` when the text
/// makes no slug.
fn term_of(config: &SiteConfig, def: &FieldDef, text: &str, lang: &Lang) -> Option<(Slug, String)> {
    let default = &config.default_language;
    let label = if is_enum(def) {
        def.kind
            .enum_options()
            .and_then(|o| o.iter().find(|o| o.key == text))
            .map(|o| {
                o.labels
                    .get(lang.as_str(), default.as_str(), text)
                    .to_string()
            })
            .unwrap_or_else(|| text.to_string())
    } else {
        text.trim().to_string()
    };
    Some((Slug::from_text(text)?, label))
}

/// The terms of taxonomy `def` in `lang`, in term order. Each distinct value is made a slug
/// once (slugs of Chinese values go through pinyin, and a few values recur thousands of times).
fn terms(config: &SiteConfig, def: &FieldDef, entries: &[Entry], lang: &Lang) -> Vec<Term> {
    let mut known: HashMap<&str, Option<(Slug, String)>> = HashMap::new();
    let mut by_slug: HashMap<Slug, Term> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        let Some(value) = e
            .version(lang, &config.default_language)
            .values
            .get(&def.name)
        else {
            continue;
        };
        for text in value.texts() {
            let Some((slug, label)) = known
                .entry(text)
                .or_insert_with(|| term_of(config, def, text, lang))
            else {
                continue;
            };
            let term = match by_slug.get_mut(slug) {
                Some(t) => t,
                None => by_slug.entry(slug.clone()).or_insert_with(|| Term {
                    slug: slug.clone(),
                    label: label.clone(),
                    entries: Vec::new(),
                }),
            };
            if term.entries.last() != Some(&i) {
                term.entries.push(i);
            }
        }
    }
    let mut list: Vec<Term> = by_slug.into_values().collect();
    match def.kind.enum_options() {
        Some(opts) if is_enum(def) => list.sort_by_key(|t| {
            opts.iter()
                .position(|o| o.key == t.slug.as_str())
                .unwrap_or(usize::MAX)
        }),
        _ => list.sort_by(|a, b| {
            b.entries
                .len()
                .cmp(&a.entries.len())
                .then_with(|| a.label.cmp(&b.label))
                .then_with(|| a.slug.cmp(&b.slug))
        }),
    }
    list
}

/// Build every taxonomy from entries already in site order.
pub fn build(config: &SiteConfig, entries: &[Entry]) -> Vec<Taxonomy> {
    let defs: Vec<&FieldDef> = config.schema.taxonomies().collect();
    // Every taxonomy in every language on its own: they share nothing.
    let pairs: Vec<(usize, &Lang)> = (0..defs.len())
        .flat_map(|d| config.languages.iter().map(move |l| (d, l)))
        .collect();
    let lists: Vec<Vec<Term>> = pairs
        .par_iter()
        .map(|&(d, lang)| terms(config, defs[d], entries, lang))
        .collect();
    let mut lists = lists.into_iter();
    defs.iter()
        .map(|def| {
            let terms: BTreeMap<Lang, Vec<Term>> = config
                .languages
                .iter()
                .map(|lang| (lang.clone(), lists.next().unwrap_or_default()))
                .collect();
            let index = terms
                .iter()
                .map(|(l, list): (&Lang, &Vec<Term>)| {
                    let m = list
                        .iter()
                        .enumerate()
                        .map(|(i, t)| (t.slug.to_string(), i))
                        .collect();
                    (l.clone(), m)
                })
                .collect();
            Taxonomy {
                index,
                field: def.name.to_string(),
                slug: Slug::from_text(&def.name.replace('_', "-"))
                    .unwrap_or_else(|| Slug::from_text("taxonomy").expect("valid")),
                terms,
            }
        })
        .collect()
}
