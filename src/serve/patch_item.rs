//! The marketplace's side of the fast path (`market_path.rs`): whether an edit to an
//! existing item of a collection (a demand, a pilot base) can be patched into the previous
//! site, and building the patched item; and what an edited entry or item changes besides
//! its text (its references, its taxonomy values). An item's slug, collection, languages and
//! hold must stay; its place in its collection's order is the caller's to check. This
//! module reads no files and renders nothing.

use std::collections::BTreeMap;

use crate::config::{FieldDef, Schema};
use crate::model::assemble::{hold_of, original_version, translated_in};
use crate::model::collections::Item;
use crate::model::{EntryVersion, Site};
use crate::validate::Value;
use crate::validate::documents::ItemDoc;

/// Item `item` of collection `collection` of `site` rebuilt from its current files:
/// `original` (the default language) and `translations` (every other language it has), as
/// `model::collections::assemble` builds it at `now`. Bodies are not rendered. `None` when
/// the edit changes what the item is (its slug, languages or hold).
pub fn patch_item(
    site: &Site,
    collection: usize,
    item: usize,
    original: ItemDoc,
    translations: Vec<ItemDoc>,
    now: jiff::Timestamp,
) -> Option<Item> {
    let col = site.collections.get(collection)?;
    let old = col.items.get(item)?;
    let schema = &site.config.collections[col.def].schema;
    let default = site.default_lang();
    if original.collection != collection
        || original.slug != old.slug
        || &original.lang != default
        || translations.len() + 1 != old.versions.len()
    {
        return None;
    }
    if hold_of(&original.fields, now) != old.hold {
        return None;
    }
    let date_of = |name: &str| match original.fields.values.get(name) {
        Some(Value::Date(x)) => Some(*x),
        _ => None,
    };
    let (date, closes) = (date_of("date"), date_of("closes"));
    let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let base = original_version(original.fields, original.source, original.body);
    let mut versions = BTreeMap::new();
    for t in translations {
        if t.collection != collection || t.slug != old.slug || !old.versions.contains_key(&t.lang) {
            return None;
        }
        let v = translated_in(schema, &base, t.fields, t.source, t.body);
        versions.insert(t.lang, Box::new(v));
    }
    versions.insert(default.clone(), Box::new(base));
    if versions.len() != old.versions.len() {
        return None;
    }
    Some(Item {
        slug: old.slug.clone(),
        date,
        closes,
        closed: closes.is_some_and(|c| c < today),
        hold: old.hold,
        versions,
    })
}

type Versions = BTreeMap<crate::model::ids::Lang, Box<EntryVersion>>;

/// Whether every version of `a` and `b` has the same values in the fields of `schema` that
/// `pick` chooses.
fn same_in(schema: &Schema, a: &Versions, b: &Versions, pick: impl Fn(&FieldDef) -> bool) -> bool {
    let fields: Vec<&str> = (schema.fields.iter())
        .filter(|(_, d)| pick(d))
        .map(|(n, _)| n.as_str())
        .collect();
    a.len() == b.len()
        && a.iter().zip(b).all(|((la, va), (lb, vb))| {
            la == lb && (fields.iter()).all(|f| va.values.get(f) == vb.values.get(f))
        })
}

/// Whether `a` and `b` (versions of one entry or item of `schema`) name the same items in
/// their `ref` fields: then references and back-links are as they were.
pub fn same_refs(schema: &Schema, a: &Versions, b: &Versions) -> bool {
    same_in(schema, a, b, FieldDef::holds_refs)
}

/// Whether `a` and `b` have the same values in every taxonomy field of `schema`.
pub fn same_taxonomy_values(schema: &Schema, a: &Versions, b: &Versions) -> bool {
    same_in(schema, a, b, |d| d.taxonomy)
}

/// Whether lists show `a` and `b` alike: their titles, summaries and values in every
/// language (a card's tags are its taxonomy values), dates, deadline and whether closed.
pub fn same_card(a: &Item, b: &Item) -> bool {
    (a.date, a.closes, a.closed) == (b.date, b.closes, b.closed)
        && a.versions.len() == b.versions.len()
        && a.versions
            .iter()
            .zip(&b.versions)
            .all(|((la, va), (lb, vb))| {
                la == lb
                    && va.title == vb.title
                    && va.summary == vb.summary
                    && va.values == vb.values
            })
}

/// Whether links to `a` and `b` look alike: their titles in every language and whether
/// closed.
pub fn same_link(a: &Item, b: &Item) -> bool {
    a.closed == b.closed
        && a.versions.len() == b.versions.len()
        && (a.versions.iter().zip(&b.versions))
            .all(|((la, va), (lb, vb))| la == lb && va.title == vb.title)
}
