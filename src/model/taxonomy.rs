//! Taxonomies: for every taxonomy field and language, its terms and the entries under each.
//! Term order: enum terms in the schema's option order, text terms by entry count, then label.
//! The same code builds the results' taxonomies and each collection's (see
//! [`build_over`]): a term then lists items instead of entries.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use crate::config::{FieldDef, FieldKind, Schema, SiteConfig};
use crate::model::Entry;
use crate::model::ids::{Lang, Slug};
use crate::validate::Fields;

/// One value of a taxonomy, in one language.
#[derive(Debug, Clone)]
pub struct Term {
    pub slug: Slug,
    pub label: String,
    /// Indexes into `Site::entries` (or, for a collection's taxonomy, into its items), in
    /// site order.
    pub entries: Vec<usize>,
}

impl Term {
    /// The entries listed on page `page` (from 1) of the term's pages, `per` a page.
    pub fn page_entries(&self, page: usize, per: usize) -> &[usize] {
        let start = (page.saturating_sub(1) * per).min(self.entries.len());
        let end = (start + per).min(self.entries.len());
        &self.entries[start..end]
    }
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
        .get_field(def.name)
    else {
        return Vec::new();
    };
    value
        .text_iter()
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

/// The terms of one taxonomy in one language while they are gathered, in the order their
/// first entries come.
#[derive(Default)]
struct Gathering<'e> {
    /// Each distinct value's term (`None` when it makes no slug), made once: slugs of
    /// Chinese values go through pinyin, and a few values recur thousands of times.
    known: foldhash::HashMap<&'e str, Option<usize>>,
    /// Each term's position in `terms` (values may differ and make the same slug).
    by_slug: foldhash::HashMap<Slug, usize>,
    terms: Vec<Term>,
}

/// The values of document `i` (an entry or an item) in a language.
type ValuesOf<'e> = dyn Fn(usize, &Lang) -> &'e Fields + Sync + 'e;

/// The terms of every taxonomy in `defs` in `lang`, each list in term order. One pass over
/// the `count` documents serves all taxonomies: each document's values are reached once, not
/// once per taxonomy (a cache miss or more per entry on a large site).
fn terms<'e>(
    config: &SiteConfig,
    defs: &[&FieldDef],
    count: usize,
    values_of: &ValuesOf<'e>,
    lang: &Lang,
) -> Vec<Vec<Term>> {
    let mut gathering: Vec<Gathering<'e>> = defs.iter().map(|_| Gathering::default()).collect();
    for i in 0..count {
        let values = values_of(i, lang);
        for (def, g) in defs.iter().zip(&mut gathering) {
            let Some(value) = values.get_field(def.name) else {
                continue;
            };
            for text in value.text_iter() {
                let Gathering {
                    known,
                    by_slug,
                    terms,
                } = g;
                let term = *known.entry(text).or_insert_with(|| {
                    let (slug, label) = term_of(config, def, text, lang)?;
                    Some(*by_slug.entry(slug.clone()).or_insert_with(|| {
                        terms.push(Term {
                            slug,
                            label,
                            entries: Vec::new(),
                        });
                        terms.len() - 1
                    }))
                });
                let Some(term) = term.map(|t| &mut terms[t]) else {
                    continue;
                };
                if term.entries.last() != Some(&i) {
                    term.entries.push(i);
                }
            }
        }
    }
    defs.iter()
        .zip(gathering)
        .map(|(def, g)| {
            let mut list = g.terms;
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
        })
        .collect()
}

/// Build every taxonomy from entries already in site order.
pub fn build(config: &SiteConfig, entries: &[Entry]) -> Vec<Taxonomy> {
    let default = &config.default_language;
    build_over(config, &config.schema, entries.len(), &|i, lang| {
        &entries[i].version(lang, default).values
    })
}

/// Build the taxonomies of `schema` over `count` documents in order, whose values in a
/// language `values_of` gives: the results' (see [`build`]) or a collection's items'.
pub fn build_over<'e>(
    config: &SiteConfig,
    schema: &Schema,
    count: usize,
    values_of: &ValuesOf<'e>,
) -> Vec<Taxonomy> {
    let defs: Vec<&FieldDef> = schema.taxonomies().collect();
    // Every language on its own: they share nothing.
    let mut by_lang: Vec<std::vec::IntoIter<Vec<Term>>> = config
        .languages
        .par_iter()
        .map(|lang| terms(config, &defs, count, values_of, lang).into_iter())
        .collect();
    defs.iter()
        .map(|def| {
            let terms: BTreeMap<Lang, Vec<Term>> = (config.languages.iter())
                .zip(&mut by_lang)
                .map(|(lang, lists)| (lang.clone(), lists.next().unwrap_or_default()))
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
