//! Taxonomies: for every taxonomy field and language, its terms and the entries under each.
//! Term order: enum terms in the schema's option order, text terms by entry count, then label.

use std::collections::{BTreeMap, HashMap};

use crate::config::{FieldKind, SiteConfig};
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

/// Build every taxonomy from entries already in site order.
pub fn build(config: &SiteConfig, entries: &[Entry]) -> Vec<Taxonomy> {
    let default = &config.default_language;
    config
        .schema
        .taxonomies()
        .map(|def| {
            let options = def.kind.enum_options();
            let is_enum = matches!(
                &def.kind,
                FieldKind::Enum { .. }
            ) || matches!(&def.kind, FieldKind::List { item } if matches!(item.kind, FieldKind::Enum { .. }));
            let mut terms = BTreeMap::new();
            for lang in &config.languages {
                let mut by_slug: HashMap<Slug, Term> = HashMap::new();
                for (i, e) in entries.iter().enumerate() {
                    let v = e.version(lang, default);
                    let Some(value) = v.values.get(&def.name) else { continue };
                    for text in value.texts() {
                        let (slug, label) = if is_enum {
                            let label = options
                                .and_then(|o| o.iter().find(|o| o.key == text))
                                .map(|o| o.labels.get(lang.as_str(), default.as_str(), text).to_string())
                                .unwrap_or_else(|| text.to_string());
                            (Slug::from_text(text), label)
                        } else {
                            (Slug::from_text(text), text.trim().to_string())
                        };
                        let Some(slug) = slug else { continue };
                        let term = by_slug.entry(slug.clone()).or_insert_with(|| Term {
                            slug,
                            label,
                            entries: Vec::new(),
                        });
                        if term.entries.last() != Some(&i) {
                            term.entries.push(i);
                        }
                    }
                }
                let mut list: Vec<Term> = by_slug.into_values().collect();
                match options {
                    Some(opts) if is_enum => list.sort_by_key(|t| {
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
                terms.insert(lang.clone(), list);
            }
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
                field: def.name.clone(),
                slug: Slug::from_text(&def.name.replace('_', "-"))
                    .unwrap_or_else(|| Slug::from_text("taxonomy").expect("valid")),
                terms,
            }
        })
        .collect()
}
