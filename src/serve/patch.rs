//! The fast path of a `serve` rebuild: deciding whether an edit to an existing entry can be
//! patched into the previous site instead of reassembling it, and building the patched
//! entry. An edit qualifies when it changes only what the entry's own pages and its card
//! show: its release, slug, languages, date, hold, cover and taxonomy values stay as they
//! were, so no term, chart or URL can change. Its title may change even when that moves
//! it inside its release: the fast path then reorders the site (`model::reorder`). Everything
//! else gets `None`, and the engine rebuilds in full. This module reads no files and renders
//! nothing.

use crate::config::SiteConfig;
use crate::model::assemble::{original_version, translated_version};
use crate::model::{Entry, EntryVersion, Site};
use crate::validate::documents::EntryDoc;

/// Fields whose value decides more than the entry's text: whether it is public (draft,
/// embargo), its date (feeds, sorting) and its cover (an asset reference checked against
/// the site's files).
const STRUCTURAL: &[&str] = &["draft", "embargo", "date", "cover", "cover_alt"];

/// Entry `index` of `site` rebuilt from its current files: `original` (the default
/// language) and `translations` (every other language it has). Bodies are not rendered.
/// `None` when the edit could change anything beyond the entry's own pages and its card.
pub fn patch_entry(
    site: &Site,
    index: usize,
    original: EntryDoc,
    translations: Vec<EntryDoc>,
) -> Option<Entry> {
    let old = site.entries.get(index)?;
    let config: &SiteConfig = &site.config;
    let default = site.default_lang();
    if original.release != old.release
        || original.slug != old.slug
        || &original.lang != default
        || translations.len() + 1 != old.versions.len()
    {
        return None;
    }
    let base = original_version(original.fields, original.source, original.body);
    let mut entry = Entry {
        release: old.release.clone(),
        release_index: old.release_index,
        slug: old.slug.clone(),
        date: old.date,
        hold: old.hold,
        versions: Default::default(),
    };
    for t in translations {
        if t.release != old.release || t.slug != old.slug || !old.versions.contains_key(&t.lang) {
            return None;
        }
        let v = translated_version(config, &base, t.fields, t.source, t.body);
        entry.versions.insert(t.lang, Box::new(v));
    }
    entry.versions.insert(default.clone(), Box::new(base));
    if entry.versions.len() != old.versions.len() {
        return None;
    }
    let watched: Vec<&str> = STRUCTURAL
        .iter()
        .copied()
        .chain(site.taxonomies.iter().map(|t| t.field.as_str()))
        .collect();
    for (lang, new) in &entry.versions {
        let before = old.versions.get(lang)?;
        if !same_values(before, new, &watched) {
            return None;
        }
    }
    Some(entry)
}

fn same_values(a: &EntryVersion, b: &EntryVersion, fields: &[&str]) -> bool {
    fields.iter().all(|f| a.values.get(f) == b.values.get(f))
}
