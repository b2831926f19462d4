//! The fast path of a `serve` rebuild on a site with collections: edits to existing entry
//! files and item files (demands, pilot bases) are patched into a copy of the last site, and
//! the matches brought up to date without computing them again where that is exact
//! (`model::rematch`): an edited item is queried again on its own; an edited result whose
//! matching profile did not change re-queries its related results; any other result edit
//! runs every query again (over the kept profiles and a patched index) and compares the
//! matches with the last ones. Only the pages that show
//! what changed are rendered: the edited items' and entries' pages, the pages whose shown
//! matches changed, the pages that link to an edited item or entry by its title (matches,
//! references both ways), the lists that show its card (release, home, term, collection and
//! collection-term pages), the collection's statistics, and every page of its collection
//! when it closed or reopened (they count its open items). An edit that adds, removes or
//! renames anything, changes references or a term's pages, or moves an entry or item in
//! its order falls back to the full incremental rebuild, the reference.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::diagnostics::Diagnostic;
use crate::load::discover::{ContentFile, ContentKind};
use crate::markdown::Resolver;
use crate::markdown::site::render_body;
use crate::model::assemble::site_order;
use crate::model::collections::Item;
use crate::model::ids::Lang;
use crate::model::matching::Matches;
use crate::model::refs::ItemRef;
use crate::model::rematch::{self, Changed, Rematch};
use crate::model::{EntryVersion, Site, taxonomy};
use crate::plan::PageKind;
use crate::render::Renderer;
use crate::serve::engine::{CachedDoc, Engine, Report, Snapshot, hash_bytes, stamp};
use crate::serve::patch::patch_entry;
use crate::serve::patch_item::{patch_item, same_card, same_link, same_refs, same_taxonomy_values};
use crate::serve::signature::card_hash;
use crate::trace::Trace;
use crate::validate::documents::{Doc, EntryDoc, ItemDoc, check_file};

/// Home pages list the first entries of the newest release (as `fast_path.rs` knows).
const HOME_ENTRIES: usize = 12;

/// What an edit touched, by model index.
#[derive(Default)]
struct Touched {
    entries: Vec<usize>,
    items: Vec<(usize, usize)>,
}

/// Which pages show what changed (see the module comment).
#[derive(Default)]
struct Shows {
    owners: HashSet<ItemRef>,
    releases: HashSet<usize>,
    home: bool,
    /// Entries whose card changed (release, home and term pages list them).
    cards: HashSet<usize>,
    /// (collection, list page).
    list_pages: HashSet<(usize, usize)>,
    /// (collection, taxonomy, language, term, page).
    term_pages: HashSet<(usize, usize, Lang, usize, usize)>,
    /// Collections whose every page is rendered again.
    all: HashSet<usize>,
    /// Collections whose taxonomy and term pages are rendered again.
    taxonomies: HashSet<usize>,
    stats: HashSet<usize>,
}

impl Shows {
    /// The pages that name `who` by its title: lists of matches, references both ways.
    fn named(&mut self, site: &Site, who: ItemRef) {
        self.owners.extend(rematch::listing(&site.matches, who));
        let links = &site.links;
        let incoming = links.incoming.get(&who).into_iter().flatten();
        let outgoing = (links.outgoing.get(&who).into_iter().flatten()).flat_map(|(_, t)| t);
        for &other in incoming.map(|(_, o)| o).chain(outgoing) {
            match other {
                ItemRef::Release(r) => {
                    self.releases.insert(r);
                }
                o => {
                    self.owners.insert(o);
                }
            }
        }
    }

    fn page(&self, site: &Site, kind: &PageKind, lang: &Lang) -> bool {
        let per = site.config.paginate_by.max(1);
        match kind {
            PageKind::Entry(i) => self.owners.contains(&ItemRef::Entry(*i)),
            PageKind::Item { collection, item } => {
                self.all.contains(collection)
                    || self.owners.contains(&ItemRef::Item {
                        collection: *collection,
                        item: *item,
                    })
            }
            PageKind::Release(r) => self.releases.contains(r),
            PageKind::Home => self.home,
            PageKind::Term {
                taxonomy,
                term,
                page,
                ..
            } => {
                !self.cards.is_empty()
                    && (site.taxonomies[*taxonomy].terms.get(lang))
                        .and_then(|ts| ts.get(*term))
                        .is_some_and(|t| {
                            t.page_entries(*page, per)
                                .iter()
                                .any(|i| self.cards.contains(i))
                        })
            }
            PageKind::Collection {
                collection, page, ..
            } => self.all.contains(collection) || self.list_pages.contains(&(*collection, *page)),
            PageKind::CollectionTaxonomy { collection, .. } => {
                self.all.contains(collection) || self.taxonomies.contains(collection)
            }
            PageKind::CollectionTerm {
                collection,
                taxonomy,
                term,
                page,
                ..
            } => {
                self.all.contains(collection)
                    || self.taxonomies.contains(collection)
                    || (self.term_pages).contains(&(
                        *collection,
                        *taxonomy,
                        lang.clone(),
                        *term,
                        *page,
                    ))
            }
            PageKind::CollectionStats(c) => self.all.contains(c) || self.stats.contains(c),
            _ => false,
        }
    }
}

/// The order of a collection's items (as `model::collections` sorts them).
fn item_order(a: &Item, b: &Item, default: &Lang) -> std::cmp::Ordering {
    b.date
        .cmp(&a.date)
        .then_with(|| a.versions[default].title.cmp(&b.versions[default].title))
        .then_with(|| a.slug.cmp(&b.slug))
}

/// Whether element `i` of `list` still sorts strictly between its neighbours.
fn in_place<T>(list: &[T], i: usize, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) -> bool {
    (i == 0 || cmp(&list[i - 1], &list[i]).is_lt())
        && (i + 1 >= list.len() || cmp(&list[i], &list[i + 1]).is_lt())
}

/// Whether two taxonomy lists plan the same pages: the same terms (slug and label) in the
/// same order, each with as many pages.
fn same_pages(a: &[crate::model::Taxonomy], b: &[crate::model::Taxonomy], per: usize) -> bool {
    let pages = |n: usize| n.div_ceil(per).max(1);
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.field == y.field
                && x.slug == y.slug
                && x.terms.len() == y.terms.len()
                && x.terms.iter().zip(&y.terms).all(|((la, ta), (lb, tb))| {
                    la == lb
                        && ta.len() == tb.len()
                        && ta.iter().zip(tb).all(|(s, t)| {
                            s.slug == t.slug
                                && s.label == t.label
                                && pages(s.entries.len()) == pages(t.entries.len())
                        })
                })
        })
}

/// Render bodies of `versions` of a patched entry or item; fails on a broken link.
fn render_bodies(
    versions: &mut std::collections::BTreeMap<Lang, Box<EntryVersion>>,
    resolver: &Resolver<'_>,
    unsafe_html: bool,
) -> Result<(), &'static str> {
    for (lang, v) in versions.iter_mut() {
        let (html, diags) = render_body(&v.source, &v.body, lang, resolver, unsafe_html);
        if diags.iter().any(Diagnostic::is_error) {
            return Err("a link in the body is broken");
        }
        v.body_html.set(html);
    }
    Ok(())
}

impl Engine {
    /// Check the edited file `rel` again (cached either way, so a full rebuild after a
    /// refusal need not). `Ok(false)`: unchanged since it was last checked.
    fn recheck(
        &mut self,
        rel: &Path,
        file: &ContentFile,
        site: &Site,
    ) -> Result<bool, &'static str> {
        let st = stamp(&self.root.join(rel)).ok_or("a file was removed")?;
        if self.docs.get(rel).is_some_and(|c| c.stamp == st) {
            return Ok(false);
        }
        let result = check_file(&self.root, file, &site.config);
        let valid = result.0.is_some() && !result.2.iter().any(Diagnostic::is_error);
        let hash = (result.1.as_ref()).map_or(0, |src| hash_bytes(src.text().as_bytes()));
        self.docs.insert(
            rel.to_path_buf(),
            CachedDoc {
                stamp: st,
                hash,
                result,
            },
        );
        if valid {
            Ok(true)
        } else {
            Err("the edited file has errors")
        }
    }

    /// The fast path on a site with collections, or why it does not apply (nothing has been
    /// changed then but cached checks of the files read, and possibly the kept matching
    /// state dropped, which the next full rebuild makes again).
    pub(super) fn try_patch_market(&mut self, changed: &[PathBuf]) -> Result<Report, &'static str> {
        let start = Instant::now();
        let mut trace = Trace::new();
        let current = self.current.clone().ok_or("no previous build")?;
        let old = &current.site;
        let matching_on = old.config.matching.enabled;
        {
            let last = self.last.as_ref().ok_or("no previous build")?;
            if matching_on && last.rematch.is_none() {
                return Err("no matching state kept");
            }
        }
        let root = self.root.clone();
        let default = old.default_lang().clone();
        let now = jiff::Timestamp::now();

        let edited = (self.last.as_ref().ok_or("no previous build")?).edited_files(
            changed,
            &root,
            "not an entry or item file",
            |k| matches!(k, ContentKind::Entry { .. } | ContentKind::Item { .. }),
        )?;
        let mut touched = Touched::default();
        for (rel, file) in &edited {
            if !self.recheck(rel, file, old)? {
                continue;
            }
            match &file.kind {
                ContentKind::Entry { release, slug, .. } => {
                    let i = (old.entries.iter())
                        .position(|e| &e.release == release && &e.slug == slug)
                        .ok_or("the entry is not in the site")?;
                    touched.entries.push(i);
                }
                ContentKind::Item {
                    collection, slug, ..
                } => {
                    let i = (old.collections.get(*collection))
                        .and_then(|c| c.find(slug.as_str()))
                        .ok_or("the item is not in the site")?;
                    touched.items.push((*collection, i));
                }
                _ => return Err("not an entry or item file"),
            }
        }
        touched.entries.sort_unstable();
        touched.entries.dedup();
        touched.items.sort_unstable();
        touched.items.dedup();
        trace.mark("check");

        // Patch each entry and item, rendering its bodies with the last link targets (the
        // same: nothing was added, removed or renamed).
        let last = self.last.as_ref().ok_or("no previous build")?;
        let doc = |path: &Path| self.docs.get(path).and_then(|c| c.result.0.as_ref());
        let entry_doc = |path: &Path| match doc(path)? {
            Doc::Entry(d) => Some(d.clone()),
            _ => None,
        };
        let item_doc = |path: &Path| match doc(path)? {
            Doc::Item(d) => Some(d.clone()),
            _ => None,
        };
        let resolver = Resolver::reusing(old, last.targets.clone(), &last.withheld, &last.invalid);
        let unsafe_html = old.config.unsafe_html;
        let group_by = old.config.group_by.as_deref();
        let mut site = old.clone();
        let mut shows = Shows::default();
        let mut retitled: Vec<usize> = Vec::new();
        for &i in &touched.entries {
            let was = &old.entries[i];
            let original = (was.versions.get(&default))
                .and_then(|v| entry_doc(&v.source.path))
                .ok_or("the original has no valid document")?;
            let translations = (was.versions.iter())
                .filter(|(l, _)| **l != default)
                .map(|(_, v)| entry_doc(&v.source.path))
                .collect::<Option<Vec<EntryDoc>>>()
                .ok_or("a translation has no valid document")?;
            let mut entry = patch_entry(old, i, original, translations)
                .ok_or("the edit changes more than the entry's text")?;
            if !same_refs(&old.config.schema, &was.versions, &entry.versions) {
                return Err("the edit changes references");
            }
            render_bodies(&mut entry.versions, &resolver, unsafe_html)?;
            if card_hash(&entry, group_by, &old.images) != card_hash(was, group_by, &old.images) {
                shows.cards.insert(i);
                shows.releases.insert(entry.release_index);
            }
            let titles = |e: &crate::model::Entry| -> Vec<(Lang, String)> {
                (e.versions.iter())
                    .map(|(l, v)| (l.clone(), v.title.clone()))
                    .collect()
            };
            if titles(&entry) != titles(was) {
                retitled.push(i);
            }
            shows.owners.insert(ItemRef::Entry(i));
            site.entries[i] = Arc::new(entry);
        }
        let mut items: Vec<(usize, usize, Item)> = Vec::new();
        for &(c, i) in &touched.items {
            let col = &old.collections[c];
            let was = &col.items[i];
            let original = (was.versions.get(&default))
                .and_then(|v| item_doc(&v.source.path))
                .ok_or("the original has no valid document")?;
            let translations = (was.versions.iter())
                .filter(|(l, _)| **l != default)
                .map(|(_, v)| item_doc(&v.source.path))
                .collect::<Option<Vec<ItemDoc>>>()
                .ok_or("a translation has no valid document")?;
            let mut item = patch_item(old, c, i, original, translations, now)
                .ok_or("the edit changes more than the item's text")?;
            let schema = &old.config.collections[col.def].schema;
            if !same_refs(schema, &was.versions, &item.versions) {
                return Err("the edit changes references");
            }
            render_bodies(&mut item.versions, &resolver, unsafe_html)?;
            items.push((c, i, item));
        }
        drop(resolver);

        // Titles must keep entries in their place (and unique in their release).
        for &i in &retitled {
            if !in_place(&site.entries, i, |a, b| site_order(a, b, &default)) {
                return Err("a new title moves the entry (on a site with collections)");
            }
            let e = &site.entries[i];
            let title = &e.versions[&default].title;
            let release = &site.releases[e.release_index];
            if (release.entries.iter())
                .any(|&o| o != i && &site.entries[o].versions[&default].title == title)
            {
                return Err("two entries of a release share a title");
            }
        }
        // Items: in place in their collection, their taxonomy pages planned alike.
        let mut retaxed: Vec<usize> = Vec::new();
        if !items.is_empty() {
            let cols = Arc::make_mut(&mut site.collections);
            for (c, i, item) in items {
                let was = &old.collections[c].items[i];
                let schema = &old.config.collections[old.collections[c].def].schema;
                if !same_taxonomy_values(schema, &was.versions, &item.versions) {
                    retaxed.push(c);
                }
                if !same_card(was, &item) {
                    shows
                        .list_pages
                        .insert((c, i / old.config.paginate_by.max(1) + 1));
                    for (t, tax) in old.collections[c].taxonomies.iter().enumerate() {
                        for (lang, terms) in &tax.terms {
                            for (k, term) in terms.iter().enumerate() {
                                if let Some(pos) = term.entries.iter().position(|&x| x == i) {
                                    let page = pos / old.config.paginate_by.max(1) + 1;
                                    shows.term_pages.insert((c, t, lang.clone(), k, page));
                                }
                            }
                        }
                    }
                    // The releases it is published in list its card.
                    let who = ItemRef::Item {
                        collection: c,
                        item: i,
                    };
                    for (_, targets) in old.links.outgoing.get(&who).into_iter().flatten() {
                        for t in targets {
                            if let ItemRef::Release(r) = t {
                                shows.releases.insert(*r);
                            }
                        }
                    }
                }
                if was.closed != item.closed {
                    // Every page of its collection counts its open items, and so do the
                    // releases listing items of it.
                    shows.all.insert(c);
                    for (who, from) in &old.links.incoming {
                        if let ItemRef::Release(r) = who
                            && (from.iter())
                                .any(|(_, f)| matches!(f, ItemRef::Item { collection, .. } if *collection == c))
                        {
                            shows.releases.insert(*r);
                        }
                    }
                }
                shows.stats.insert(c);
                shows.owners.insert(ItemRef::Item {
                    collection: c,
                    item: i,
                });
                cols[c].items[i] = Arc::new(item);
                if !in_place(&cols[c].items, i, |a, b| item_order(a, b, &default)) {
                    return Err("the edit moves the item in its collection's order");
                }
            }
            retaxed.sort_unstable();
            retaxed.dedup();
            for &c in &retaxed {
                let col = &cols[c];
                let list = &col.items;
                let schema = &site.config.collections[col.def].schema;
                let fresh = taxonomy::build_over(&site.config, schema, list.len(), &|i, lang| {
                    &list[i].version(lang, &default).values
                });
                if !same_pages(&col.taxonomies, &fresh, site.config.paginate_by.max(1)) {
                    return Err("the edit changes a collection's term pages");
                }
                cols[c].taxonomies = fresh;
                shows.taxonomies.insert(c);
            }
        }
        trace.mark("patch");

        // Matches: re-query what is exact to re-query, else compute them again.
        let mut changed = Changed::default();
        // Given back once the snapshot is replaced: a failure after this point leaves no
        // state, and the next edit rebuilds in full.
        let mut keep: Option<Rematch> = None;
        if matching_on {
            let mut kept = (self.last.as_mut())
                .and_then(|l| l.rematch.take())
                .ok_or("no matching state kept")?;
            let mut matches: Matches = (*old.matches).clone();
            trace.mark("copy matches");
            let mut full = false;
            for &i in &touched.entries {
                let v = &site.entries[i].versions[&default];
                match kept.entry_edited(&site.config, i, v, &mut matches) {
                    Some(c) => changed.related.extend(c.related),
                    None => {
                        full = true;
                        break;
                    }
                }
            }
            if full {
                let (m, next) = kept.recompute(&site, &touched.entries);
                changed = rematch::diff(&old.matches, &m);
                matches = m;
                kept = next;
            } else {
                for &(c, i) in &touched.items {
                    let was_open = old.collections[c].items[i].is_open();
                    let ch = kept.item_edited(&site, c, i, was_open, &mut matches);
                    changed.items.extend(ch.items);
                    changed.offers.extend(ch.offers);
                }
            }
            site.matches = Arc::new(matches);
            keep = Some(kept);
        }
        trace.mark("matches");

        // The pages that show what changed.
        shows.owners.extend(changed.owners());
        for &i in &retitled {
            shows.named(&site, ItemRef::Entry(i));
        }
        for &(c, i) in &touched.items {
            if !same_link(&old.collections[c].items[i], &site.collections[c].items[i]) {
                shows.named(
                    &site,
                    ItemRef::Item {
                        collection: c,
                        item: i,
                    },
                );
            }
        }
        shows.home = site.releases.first().is_some_and(|r| {
            (r.entries.iter())
                .take(HOME_ENTRIES)
                .any(|i| shows.cards.contains(i))
        });
        let plan = current.plan.clone();
        let todo: Vec<usize> = (plan.pages.iter().enumerate())
            .filter(|(_, p)| shows.page(&site, &p.kind, &p.lang))
            .map(|(n, _)| n)
            .collect();
        let last = self.last.as_ref().ok_or("no previous build")?;
        let cards: Vec<usize> = shows.cards.iter().copied().collect();
        let prepared = Arc::new(
            (last.prepared)
                .with_entries(&site, &cards, None)
                .map_err(|_| "a card did not render")?,
        );
        trace.mark("pages");
        let renderer = Renderer::from_prepared(&site, prepared.clone());
        let rendered = super::fast_path::render_pages(&renderer, &plan, &todo)?;
        drop(renderer);
        trace.mark("render");

        let mut patched = current.patched.clone();
        let count = rendered.len();
        for (path, bytes) in rendered {
            patched.insert(path, bytes);
        }
        let total = current.pages.len();
        let replaced = self.current.replace(Arc::new(Snapshot {
            site,
            plan,
            search: current.search.renewed(),
            pages: current.pages.clone(),
            patched,
            files: current.files.clone(),
            copies: current.copies.clone(),
            rendered_files: Mutex::new(Default::default()),
        }));
        let old_cards = (self.last.as_mut()).map(|l| {
            l.rematch = keep;
            std::mem::replace(&mut l.prepared, prepared)
        });
        crate::memory::free_later((replaced, current, old_cards));
        trace.mark("snapshot");
        trace.print();
        Ok(Report {
            pages: total,
            rendered: count,
            files_checked: edited.len(),
            elapsed: start.elapsed(),
            css_only: false,
            patched: true,
        })
    }
}
