//! Page signatures for incremental rebuilds: a hash of everything a planned page shows. Two
//! rebuilds that give a page the same signature give it the same bytes, so the page is not
//! rendered again. Signatures are built from the model only; they never render anything.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::path::Path;

use rayon::prelude::*;

use crate::images::Images;
use crate::model::{Entry, Hold, Site};
use crate::plan::{PageKind, PlannedPage};
use crate::render::charts;
use crate::render::pictures::entry_cover_rel;

/// A search document's kind and identity, as a hashable value.
fn doc_kind(doc: crate::search::Doc) -> (u8, usize, usize) {
    match doc {
        crate::search::Doc::Entry(e) => (0, e, 0),
        crate::search::Doc::Item(c, i) => (1, c, i),
    }
}

/// The hasher of signatures and of the keys of kept work: foldhash's quality variant with a
/// fixed seed (the same bytes, the same hash, in every run). SipHash (`DefaultHasher`), a
/// defence against adversarial hash-table keys that signatures do not need, was the largest
/// single cost of signing a 100,000-entry site.
pub(crate) type SigHasher = foldhash::quality::FoldHasher<'static>;

/// A new [`SigHasher`].
pub(crate) fn sig_hasher() -> SigHasher {
    const STATE: foldhash::quality::FixedState =
        foldhash::quality::FixedState::with_seed(0x6761_7a65_7474_6521);
    STATE.build_hasher()
}

fn hash_of(v: impl Hash) -> u64 {
    let mut h = sig_hasher();
    v.hash(&mut h);
    h.finish()
}

fn hold_key(h: &Option<Hold>) -> Option<String> {
    h.map(|h| match h {
        Hold::Draft => "draft".to_string(),
        Hold::Embargoed(t) => t.to_string(),
    })
}

/// Where an entry is and whether it is public: its release, slug, place, date and hold.
fn identity_hash(e: &Entry) -> u64 {
    hash_of((
        &e.release,
        &e.slug,
        e.release_index,
        e.date.to_string(),
        hold_key(&e.hold),
    ))
}

/// Every version's language, source file (`file_hash` of its bytes) and rendered body: what
/// an entry's or an item's text comes from.
fn versions_hash(
    versions: &std::collections::BTreeMap<crate::model::ids::Lang, Box<crate::model::EntryVersion>>,
    file_hash: &dyn Fn(&Path) -> u64,
) -> u64 {
    let versions: Vec<(&str, u64, u64)> = versions
        .iter()
        .map(|(l, v)| (l.as_str(), file_hash(&v.source.path), v.body_html.hash()))
        .collect();
    hash_of(versions)
}

/// What each version of an entry shows of its cover image: the fingerprint of the file its
/// `cover` names (see `Images::fingerprint`), so a replaced photo changes the signatures
/// of the pages that show it and of no other. The `cover` and `cover_alt` values are
/// part of the entry's file (entry pages) and of [`card_hash`].
fn covers_hash(e: &Entry, images: &Images) -> u64 {
    let covers: Vec<Option<u64>> = (e.versions.values())
        .map(|v| entry_cover_rel(v).map(|rel| images.fingerprint(rel)))
        .collect();
    hash_of(covers)
}

/// What an entry's own pages show: its identity, date, hold, every version's source
/// file and rendered body, and its cover image.
pub fn entry_hash(e: &Entry, file_hash: &dyn Fn(&Path) -> u64, images: &Images) -> u64 {
    entry_hash_with(e, file_hash, covers_hash(e, images))
}

/// [`entry_hash`] with the entry's [`covers_hash`] known.
fn entry_hash_with(e: &Entry, file_hash: &dyn Fn(&Path) -> u64, covers: u64) -> u64 {
    hash_of((
        identity_hash(e),
        versions_hash(&e.versions, file_hash),
        covers,
    ))
}

/// What a list shows of an entry (its card, and the group a release page puts it in under
/// `group_by`): titles, summaries, the card's fields and its cover thumbnail, not the body,
/// so body edits re-render only the entry's own pages.
pub fn card_hash(e: &Entry, group_by: Option<&str>, images: &Images) -> u64 {
    card_hash_with(e, group_by, covers_hash(e, images))
}

/// [`card_hash`] with the entry's [`covers_hash`] known.
fn card_hash_with(e: &Entry, group_by: Option<&str>, covers: u64) -> u64 {
    let versions: Vec<_> = e
        .versions
        .iter()
        .map(|(l, v)| {
            // The values themselves hashed (as JSON, each was an allocation or more per
            // field of every entry on every build).
            let shown: Vec<_> = ["institutions", "stage", "fields"]
                .iter()
                .chain(group_by.as_slice())
                .map(|f| v.values.get(f))
                .collect();
            // The cover's path and alt text (its image is in `covers`).
            let cover = ["cover", "cover_alt"].map(|f| v.values.get(f).and_then(|x| x.as_text()));
            (l.as_str(), &v.title, &v.summary, shown, cover)
        })
        .collect();
    hash_of((identity_hash(e), versions, covers))
}

/// What lists of whole records (feeds, open data, which show an entry's fields but never its
/// body) show of an entry: its identity and the hash of each version's fields as its source
/// file holds them (`fields_hash`: a Markdown file's front matter), so a body edit leaves
/// them as they were.
fn listed_hash(e: &Entry, fields_hash: &dyn Fn(&Path) -> u64) -> u64 {
    let versions: Vec<(&str, u64)> = (e.versions.iter())
        .map(|(l, v)| (l.as_str(), fields_hash(&v.source.path)))
        .collect();
    hash_of(("fields", identity_hash(e), versions))
}

/// What a build knows of each entry's fields besides the fields themselves: the hash of the
/// part of each source file that holds them (`hash`, see [`listed_hash`]), and the cards'
/// hashes the last build kept (`cards`, under the card's fields' and cover's hashes).
///
/// A card shows only what the versions' fields say (a translation's merged over the
/// original's, all of them the entry's versions) and the cover image, and the fields are
/// what the front matter says under site.toml's schema (part of the store's salt): so an
/// entry whose front matters and cover are as they were has the card hash it had, read
/// back instead of hashing its titles, summaries and values again (a fifth of signing a
/// 100,000-entry rebuild). The card hash itself stays what the fields give: a front-matter
/// edit that no card shows (a contact's phone number) changes no card, so it renders no
/// list page and, on a site with collections, no result page (their signatures cover every
/// card).
pub struct FieldsKnown<'f> {
    pub hash: &'f (dyn Fn(&Path) -> u64 + Sync),
    pub cards: &'f crate::kept::Log,
}

impl FieldsKnown<'_> {
    /// The cards' hashes kept by the last build of the site at `root`, for this Gazette and
    /// the site.toml whose text hashes to `config`.
    pub fn store(root: &Path, config: u64) -> crate::kept::Log {
        let gazette = crate::render::reuse::this_gazette();
        let salt = crate::kept::salt(&["cards", &gazette, &config.to_string()]);
        crate::kept::Log::open(root, "cards", salt)
    }

    /// The card hash of an entry whose fields hash to `listed` (see [`listed_hash`]) and
    /// whose covers to `covers`: kept, or made by `make` (and kept for the next build).
    fn card(&self, listed: u64, covers: u64, make: impl FnOnce() -> u64) -> u64 {
        let cards = self.cards;
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&listed.to_le_bytes());
        key[8..].copy_from_slice(&covers.to_le_bytes());
        let key = xxhash_rust::xxh3::xxh3_128(&key);
        let kept = (cards.get(key))
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes);
        kept.unwrap_or_else(|| {
            let card = make();
            cards.put(key, card.to_le_bytes().to_vec());
            card
        })
    }
}

/// What a release's pages show of its cover image (see `Images::fingerprint`).
fn release_cover_hash(site: &Site, r: &crate::model::Release) -> Option<u64> {
    crate::render::pictures::release_cover_rel(site, r).map(|rel| site.images.fingerprint(rel))
}

/// Everything needed to sign the pages of one rebuild.
pub struct Signer<'a> {
    site: &'a Site,
    global: u64,
    templates: HashMap<String, u64>,
    entries: Vec<u64>,
    /// What lists of whole records (feeds, open data) show of each entry: its identity and
    /// its versions' fields, not their bodies (see [`listed_hash`]); `None`: the
    /// fields' hashes are not known, and `entries` stand for them.
    listed: Option<Vec<u64>>,
    cards: Vec<u64>,
    releases: Vec<u64>,
    /// pages[page]: (language, hash) for each version.
    pages: Vec<Vec<(&'a str, u64)>>,
    release_list: u64,
    stats: u64,
    /// Each collection's items' own hashes (slug, dates, hold, texts).
    items: Vec<Vec<u64>>,
    /// Everything the collections' pages show, and what entry pages show of them (back-links,
    /// matches, referenced titles): their items, every card, references and matches. `None`
    /// for a site without collections.
    market: Option<u64>,
}

impl<'a> Signer<'a> {
    /// `file_hash` gives the hash of a source file's bytes (cached by the engine);
    /// `fields`, when known (a build), the hash of the part of each source file that holds
    /// its fields (a Markdown file's front matter; see [`listed_hash`]) and the cards'
    /// hashes kept by the last build; `templates` the hash of each template by name;
    /// `inputs` whatever else every page depends on (site.toml text, UI strings, the link
    /// epoch).
    pub fn new(
        site: &'a Site,
        file_hash: &(dyn Fn(&Path) -> u64 + Sync),
        fields: Option<FieldsKnown<'_>>,
        templates: HashMap<String, u64>,
        inputs: u64,
    ) -> Self {
        let default = site.default_lang();
        // Each entry's hashes on every core: they read every body's HTML and card fields.
        let group_by = site.config.group_by.as_deref();
        let signed: Vec<(u64, u64, u64)> = (site.entries.par_iter())
            .map(|e| {
                let c = covers_hash(e, &site.images);
                let entry = entry_hash_with(e, file_hash, c);
                match &fields {
                    Some(f) => {
                        let listed = listed_hash(e, f.hash);
                        (
                            entry,
                            f.card(listed, c, || card_hash_with(e, group_by, c)),
                            listed,
                        )
                    }
                    None => (entry, card_hash_with(e, group_by, c), 0),
                }
            })
            .collect();
        let entries: Vec<u64> = signed.iter().map(|s| s.0).collect();
        let cards: Vec<u64> = signed.iter().map(|s| s.1).collect();
        let listed: Option<Vec<u64>> = fields.map(|_| signed.iter().map(|s| s.2).collect());
        drop(signed);
        // Every page's template may show any release's cover (`releases` of the language's
        // values), so a release's cover image counts for every page (see `global`).
        let release_covers: Vec<Option<u64>> = (site.releases.iter())
            .map(|r| release_cover_hash(site, r))
            .collect();
        let releases: Vec<u64> = site
            .releases
            .iter()
            .map(|r| {
                let texts: Vec<_> = r
                    .text
                    .iter()
                    .map(|(l, t)| (l.as_str(), &t.title, &t.summary, &t.issuer, &t.intro_html))
                    .collect();
                hash_of((
                    &r.id,
                    r.number,
                    r.date.to_string(),
                    &r.cover,
                    texts,
                    r.entries.len(),
                ))
            })
            .collect();
        // Per page and language: every version's title, and the body of that language's
        // version (or the default one's), so a replaced figure in one language's body
        // renders only that language's page.
        let pages: Vec<Vec<(&str, u64)>> = site
            .pages
            .iter()
            .map(|p| {
                let titles: Vec<_> = (p.versions.iter())
                    .map(|(l, v)| (l.as_str(), &v.title))
                    .collect();
                let shared = hash_of((&p.slug, titles));
                (p.versions.iter())
                    .map(|(l, v)| (l.as_str(), hash_of((shared, &v.body_html))))
                    .collect()
            })
            .collect();
        // What every page shows: navigation (taxonomies, pages), release titles on cards and
        // breadcrumbs, which terms exist (term links), languages.
        let taxonomy_shape: Vec<_> = site
            .taxonomies
            .iter()
            .map(|t| {
                let terms: Vec<_> = t
                    .terms
                    .iter()
                    .map(|(l, ts)| {
                        (
                            l.as_str(),
                            ts.iter()
                                .map(|x| (x.slug.as_str(), x.label.as_str()))
                                .collect::<Vec<_>>(),
                        )
                    })
                    .collect();
                (&t.field, t.slug.as_str(), terms)
            })
            .collect();
        let release_titles: Vec<_> = site
            .releases
            .iter()
            .map(|r| {
                (
                    &r.id,
                    r.text
                        .iter()
                        .map(|(l, t)| (l.as_str(), &t.title))
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        let page_titles: Vec<_> = site
            .pages
            .iter()
            .map(|p| {
                (
                    &p.slug,
                    p.versions
                        .iter()
                        .map(|(l, v)| (l.as_str(), &v.title))
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        let layout: Vec<(&String, &u64)> = {
            let mut v: Vec<_> = templates
                .iter()
                .filter(|(name, _)| !KIND_TEMPLATES.contains(&name.as_str()))
                .collect();
            v.sort();
            v
        };
        let global = hash_of((
            inputs,
            release_covers,
            taxonomy_shape,
            release_titles,
            page_titles,
            layout,
            default.as_str(),
            // Whether every page's header has a search box.
            templates.contains_key("search.html"),
        ));
        let release_list = hash_of(&releases);
        let count = |field: &str| {
            site.taxonomies
                .iter()
                .find(|t| t.field == field)
                .and_then(|t| t.terms.get(default))
                .map_or(0, Vec::len)
        };
        let stats = hash_of((
            site.entries.len(),
            site.releases.len(),
            count("institutions"),
            count("fields"),
        ));
        let items: Vec<Vec<u64>> = site
            .collections
            .iter()
            .map(|c| {
                c.items
                    .iter()
                    .map(|i| {
                        hash_of((
                            &i.slug,
                            i.date.map(|d| d.to_string()),
                            i.closed,
                            hold_key(&i.hold),
                            versions_hash(&i.versions, file_hash),
                        ))
                    })
                    .collect()
            })
            .collect();
        let market = (!site.collections.is_empty())
            .then(|| hash_of((&items, &cards, site.links.fingerprint(), &*site.matches)));
        Signer {
            site,
            items,
            market,
            global,
            templates,
            entries,
            listed,
            cards,
            releases,
            pages,
            release_list,
            stats,
        }
    }

    /// The signature of search document `n` in `lang` (its document file, and the tokens it
    /// puts in the shards): what the document is and everything its text comes from.
    pub fn sign_search_doc(
        &self,
        doc: crate::search::Doc,
        lang: &crate::model::ids::Lang,
        n: usize,
    ) -> u64 {
        let own = match doc {
            crate::search::Doc::Entry(e) => self.entries.get(e).copied(),
            crate::search::Doc::Item(c, i) => self.items.get(c).and_then(|c| c.get(i)).copied(),
        };
        hash_of((
            self.global,
            "search document",
            lang.as_str(),
            n,
            doc_kind(doc),
            own,
        ))
    }

    /// The signature of a generated file that lists `entries` (a feed, open data, a
    /// sitemap): the file (`kind`, its path), the entries' hashes as lists show them (see
    /// [`listed_hash`]), every release (dates and issuers) and every item
    /// (references name them).
    pub fn sign_list_file(&self, site_path: &str, kind: &str, entries: &[usize]) -> u64 {
        let mut h = sig_hasher();
        (
            self.global,
            "list file",
            site_path,
            kind,
            self.release_list,
            &self.items,
        )
            .hash(&mut h);
        let listed = self.listed.as_ref().unwrap_or(&self.entries);
        for &e in entries {
            listed.get(e).hash(&mut h);
        }
        h.finish()
    }

    /// The signature of a file of the marketplace (a collection's open data or feed, or every
    /// match; see `plan::MarketFile`) or of `robots.txt`: the file (`kind`, its path), every
    /// release, and the whole marketplace ([`Signer`]'s `market`: every item, match and
    /// reference, and every card, which carries each entry's id, URL and whether it is
    /// published, as these files name entries).
    pub fn sign_market_file(&self, site_path: &str, kind: &str) -> u64 {
        hash_of((
            self.global,
            "market file",
            site_path,
            kind,
            self.release_list,
            self.market,
        ))
    }

    /// The signature of one planned page.
    pub fn sign(&self, p: &PlannedPage) -> u64 {
        let s = self.site;
        let template = p.kind.template();
        let mut h = sig_hasher();
        (
            self.global,
            self.templates.get(template),
            template,
            &p.site_path,
            p.lang.as_str(),
        )
            .hash(&mut h);
        let entries = |list: &[usize], h: &mut SigHasher| {
            for &i in list {
                self.cards[i].hash(h);
            }
        };
        match &p.kind {
            PageKind::Home => {
                (self.stats, self.release_list).hash(&mut h);
                if let Some(r) = s.releases.first() {
                    entries(&r.entries[..r.entries.len().min(12)], &mut h);
                }
            }
            PageKind::ReleaseIndex => self.release_list.hash(&mut h),
            PageKind::Release(r) => {
                self.releases[*r].hash(&mut h);
                entries(&s.releases[*r].entries, &mut h);
                // The items published in it (demands naming it in a `release` field).
                let items = crate::model::refs::ItemRef::Release(*r);
                if s.links.incoming.contains_key(&items) {
                    self.market.hash(&mut h);
                }
            }
            PageKind::Entry(i) => {
                (self.entries[*i], self.releases[s.entries[*i].release_index]).hash(&mut h);
                self.market.hash(&mut h);
            }
            PageKind::Collection { page, pages, .. } => (page, pages, self.market).hash(&mut h),
            PageKind::Item { .. } | PageKind::CollectionTaxonomy { .. } => self.market.hash(&mut h),
            PageKind::CollectionTerm { page, pages, .. } => (page, pages, self.market).hash(&mut h),
            // The charts count the items, which `market` covers; the labels are the theme's.
            PageKind::CollectionStats(_) => self.market.hash(&mut h),
            PageKind::TaxonomyIndex(t) => {
                let counts: Vec<usize> = s.taxonomies[*t]
                    .terms
                    .get(&p.lang)
                    .map(|ts| ts.iter().map(|x| x.entries.len()).collect())
                    .unwrap_or_default();
                counts.hash(&mut h);
            }
            PageKind::Term {
                taxonomy,
                term,
                page,
                pages,
            } => {
                (page, pages).hash(&mut h);
                if let Some(t) = s.taxonomies[*taxonomy]
                    .terms
                    .get(&p.lang)
                    .and_then(|ts| ts.get(*term))
                {
                    (t.slug.as_str(), &t.label, t.entries.len()).hash(&mut h);
                    let per = s.config.paginate_by;
                    entries(t.page_entries(*page, per), &mut h);
                }
            }
            PageKind::Page(i) => {
                let versions = &self.pages[*i];
                let default = s.default_lang().as_str();
                (versions.iter().find(|(l, _)| *l == p.lang.as_str()))
                    .or_else(|| versions.iter().find(|(l, _)| *l == default))
                    .hash(&mut h);
            }
            PageKind::NotFound => {}
            // Every count, label, link and date the charts show, and the release's text.
            PageKind::Stats => charts::tally(s, charts::Scope::Site, &p.lang).hash(&mut h),
            PageKind::ReleaseStats(r) => {
                self.releases[*r].hash(&mut h);
                charts::tally(s, charts::Scope::Release(*r), &p.lang).hash(&mut h);
            }
            // The search page is a form and the client; results come from the index files.
            PageKind::Search => {}
        }
        h.finish()
    }
}

/// Does a template that is not one kind of page's own (`card.html`, `base.html`, a
/// partial) call `resize_image`? Cards are made once for every list, outside any page, so
/// the images they ask for are not recorded per page (`images::asks`): then every image
/// counts for every page (see `Images::fingerprint_all`), and the preview's image path
/// is not taken.
pub fn shared_templates_make_images(root: &Path, theme: &str) -> bool {
    [
        root.join("themes").join(theme).join("templates"),
        root.join("templates"),
    ]
    .iter()
    .flat_map(|dir| {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
    })
    .filter(|e| e.file_type().is_file())
    .filter(|e| {
        let name = e.file_name().to_string_lossy();
        !KIND_TEMPLATES.contains(&name.as_ref()) || e.depth() > 1
    })
    .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("resize_image")))
}

/// Templates that only one kind of page uses; any other template (base.html, card.html,
/// a site's partials) counts for every page.
pub const KIND_TEMPLATES: &[&str] = &[
    "home.html",
    "releases.html",
    "release.html",
    "entry.html",
    "taxonomy.html",
    "term.html",
    "page.html",
    "404.html",
    "stats.html",
    "search.html",
    "collection.html",
    "item.html",
];
