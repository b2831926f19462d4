//! Search: a static full-text index of every public entry, in Chinese and English, with
//! facets, cut into small files so that a query downloads only what it needs, and a small
//! dependency-free client (`client.js`) that runs the same tokenizer on the query.
//!
//! Per language (`<p>` is the language's path prefix, empty for the default language):
//!
//! * `<p>/search/` — the search page (template `search.html`; a theme without it gets no
//!   search at all);
//! * `<p>/search/meta.json` — the number of documents and shards, which documents have a
//!   version in this language, and the facets: every taxonomy and the releases, each value
//!   with its label and its documents;
//! * `<p>/search/index/<n>.json` — shard `n`: every token whose hash falls in it, with the
//!   documents containing it and those containing it in the title, an institution or a
//!   keyword (see [`tokenize`] and [`encode`]);
//! * `<p>/search/doc/<n>.json` — document `n`'s title, URL, institutions, keywords, stage,
//!   release, summary and body text (for the result list and snippets), for the entries that
//!   have a version in this language; the others are read from the default language's
//!   folder.
//!
//! plus `/search/search.js`, the client. Document `n` is the `n`-th public entry in site
//! order, in every language, then the public items of the collections (demands, pilot
//! bases…) in collection order; a `kind` facet tells results and each collection apart.
//! Drafts and embargoed entries and items are never indexed, not even in a `--drafts`
//! preview.

pub mod encode;
pub mod index;
pub mod patch;
pub mod records;
pub mod shards;
pub mod text;
pub mod tokenize;

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::json;

use crate::model::Site;
use crate::model::ids::Lang;
use crate::validate::Value;

/// The search client, served at `/search/search.js`.
pub const CLIENT_JS: &str = include_str!("client.js");

/// Most shard files per language.
pub const MAX_SHARDS: usize = 1024;

/// Documents per shard the shard count aims at (a shard of a typical site then holds a few
/// thousand postings, 10–30 KB).
const DOCS_PER_SHARD: usize = 16;

/// One generated search file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchFile {
    Meta {
        lang: Lang,
    },
    Shard {
        lang: Lang,
        shard: usize,
    },
    /// Document `doc`'s text in `lang` (its entry has a version in `lang`).
    Doc {
        lang: Lang,
        doc: usize,
    },
    Script,
}

/// What a document is: an entry or an item of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doc {
    /// An index into `Site::entries`.
    Entry(usize),
    /// A collection (index into `Site::collections`) and its item.
    Item(usize, usize),
}

impl Doc {
    /// Its version in `lang`, or the original.
    pub fn version<'s>(self, site: &'s Site, lang: &Lang) -> &'s crate::model::EntryVersion {
        let default = site.default_lang();
        match self {
            Doc::Entry(e) => site.entries[e].version(lang, default),
            Doc::Item(c, i) => site.collections[c].items[i].version(lang, default),
        }
    }

    /// Whether it has a version of its own in `lang`.
    pub fn has(self, site: &Site, lang: &Lang) -> bool {
        match self {
            Doc::Entry(e) => site.entries[e].versions.contains_key(lang),
            Doc::Item(c, i) => site.collections[c].items[i].versions.contains_key(lang),
        }
    }
}

/// What the search index covers, decided with the rest of the plan, and the index itself,
/// built when a search file is first rendered.
#[derive(Debug, Clone, Default)]
pub struct SearchPlan {
    /// The entries indexed (public, site order): document `n` is `site.entries[docs[n]]`.
    pub docs: Vec<usize>,
    /// The items indexed after them (public, collection by collection): document
    /// `docs.len() + k` is item `items[k]` (collection, item).
    pub items: Vec<(usize, usize)>,
    /// Shard files per language, a power of two.
    pub shards: usize,
    memo: index::Memo,
}

impl SearchPlan {
    /// Keep the records' token lists for the next rebuild (watch mode), starting from those
    /// of `previous` (the plan of the last rebuild): only entries whose text changed are
    /// tokenized again. Without this, a build drops them once the shards are cut.
    pub fn reuse(&mut self, previous: Option<&SearchPlan>) {
        self.memo.reuse(previous.map(|p| &p.memo));
    }

    /// The same plan with its index still to build, for a site whose entries changed only
    /// in their text (watch mode); it shares the token cache, so only changed entries are
    /// tokenized again.
    pub fn renewed(&self) -> SearchPlan {
        let mut memo = index::Memo::default();
        memo.reuse(Some(&self.memo));
        SearchPlan {
            docs: self.docs.clone(),
            items: self.items.clone(),
            shards: self.shards,
            memo,
        }
    }

    /// How many documents there are: entries, then items.
    pub fn len(&self) -> usize {
        self.docs.len() + self.items.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Document `n`.
    pub fn doc(&self, n: usize) -> Doc {
        match self.docs.get(n) {
            Some(&e) => Doc::Entry(e),
            None => {
                let (c, i) = self.items[n - self.docs.len()];
                Doc::Item(c, i)
            }
        }
    }

    /// [`SearchPlan::renewed`] for a site whose entries also changed places: `docs` are the
    /// same entries' indices in the new site order.
    pub fn reordered(&self, docs: Vec<usize>) -> SearchPlan {
        debug_assert_eq!(docs.len(), self.docs.len());
        SearchPlan {
            docs,
            ..self.renewed()
        }
    }

    /// Drop the shards' JSON once a build has written every shard file, so it is not held
    /// while the pages are rendered; see [`index::Memo::forget_shards`].
    pub fn forget_shards(&mut self) {
        self.memo.forget_shards();
    }

    /// The shards, built on first use.
    pub fn built(&self, site: &Site) -> &index::Index {
        self.memo.index(site, self, self.shards)
    }

    /// Build the shards now, calling `each_chunk(first document, documents, their
    /// entries)` once each chunk of documents is tokenized, while it goes into the shards: a
    /// build writes those documents' files and entries' pages then and lets go of their
    /// bodies' HTML.
    pub fn build_streaming(&self, site: &Site, each_chunk: &mut dyn FnMut(usize, usize, &[usize])) {
        self.memo
            .index_streaming(site, self, self.shards, each_chunk);
    }
}

/// Whether the site has search: its theme or its own templates have `search.html`.
pub fn enabled(root: &Path, theme: &str) -> bool {
    [
        Path::new("templates").to_path_buf(),
        Path::new("themes").join(theme).join("templates"),
    ]
    .iter()
    .any(|dir| root.join(dir).join("search.html").is_file())
}

/// Shard files per language for `docs` documents: about one per [`DOCS_PER_SHARD`]
/// documents, a power of two from 1 to [`MAX_SHARDS`].
pub fn shard_count(docs: usize) -> usize {
    docs.div_ceil(DOCS_PER_SHARD)
        .next_power_of_two()
        .clamp(1, MAX_SHARDS)
}

/// The site path of document `doc`'s file in `lang`.
pub fn doc_path(site: &Site, lang: &Lang, doc: usize) -> String {
    site.urls.search_data(lang, &format!("doc/{doc}.json"))
}

/// The search plan over `docs` (public entries, site order) and `items` (public items of
/// the collections, as (collection, item)), and every file it writes with its site path.
pub fn plan(
    site: &Site,
    docs: Vec<usize>,
    items: Vec<(usize, usize)>,
) -> (SearchPlan, Vec<(String, SearchFile)>) {
    let urls = &site.urls;
    let shards = shard_count(docs.len() + items.len());
    let mut files = Vec::new();
    for lang in &site.config.languages {
        files.push((
            urls.search_data(lang, "meta.json"),
            SearchFile::Meta { lang: lang.clone() },
        ));
        for shard in 0..shards {
            files.push((
                urls.search_data(lang, &format!("index/{shard}.json")),
                SearchFile::Shard {
                    lang: lang.clone(),
                    shard,
                },
            ));
        }
        // One file per document, its path made in parallel.
        files.par_extend(
            (docs.par_iter().enumerate())
                .filter(|&(_, &e)| site.entries[e].versions.contains_key(lang))
                .map(|(doc, _)| {
                    let file = SearchFile::Doc {
                        lang: lang.clone(),
                        doc,
                    };
                    (doc_path(site, lang, doc), file)
                }),
        );
        files.extend(
            (items.iter().enumerate())
                .filter(|(_, (c, i))| Doc::Item(*c, *i).has(site, lang))
                .map(|(k, _)| {
                    let doc = docs.len() + k;
                    let file = SearchFile::Doc {
                        lang: lang.clone(),
                        doc,
                    };
                    (doc_path(site, lang, doc), file)
                }),
        );
    }
    files.push((
        urls.search_data(site.default_lang(), "search.js"),
        SearchFile::Script,
    ));
    let plan = SearchPlan {
        docs,
        items,
        shards,
        memo: index::Memo::default(),
    };
    (plan, files)
}

/// Render one search file.
pub fn render(site: &Site, sp: &SearchPlan, file: &SearchFile) -> Vec<u8> {
    match file {
        SearchFile::Meta { lang } => meta(site, sp, lang),
        SearchFile::Shard { lang, shard } => sp.built(site).shard(lang, *shard),
        SearchFile::Doc { lang, doc } => doc_json(site, sp, lang, *doc),
        SearchFile::Script => CLIENT_JS.as_bytes().to_vec(),
    }
}

fn to_json(v: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// `meta.json` of `lang`.
fn meta(site: &Site, sp: &SearchPlan, lang: &Lang) -> Vec<u8> {
    let default = site.default_lang();
    let mut doc_of = vec![u32::MAX; site.entries.len()];
    for (n, &e) in sp.docs.iter().enumerate() {
        doc_of[e] = n as u32;
    }
    let docs_of = |entries: &[usize]| -> Vec<u32> {
        let mut v: Vec<u32> = entries
            .iter()
            .map(|&e| doc_of[e])
            .filter(|&d| d != u32::MAX)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let first_item = sp.docs.len() as u32;
    let item_doc: std::collections::HashMap<(usize, usize), u32> = (sp.items.iter())
        .enumerate()
        .map(|(k, &ci)| (ci, first_item + k as u32))
        .collect();
    let mut facets = Vec::new();
    // The kind of document: results, then each collection with public items (its label in
    // this language; the results' label is the theme's, so the client puts it in).
    if !sp.items.is_empty() {
        let mut values = vec![json!({
            "slug": crate::config::RESULTS,
            "label": null,
            "count": sp.docs.len(),
            "docs": encode::encode(&(0..first_item).collect::<Vec<u32>>()),
        })];
        for (c, col) in site.collections.iter().enumerate() {
            let docs: Vec<u32> = (sp.items.iter().enumerate())
                .filter(|(_, (ic, _))| *ic == c)
                .map(|(k, _)| first_item + k as u32)
                .collect();
            if docs.is_empty() {
                continue;
            }
            let def = &site.config.collections[col.def];
            values.push(json!({
                "slug": col.name,
                "label": def.label_in(lang.as_str(), default.as_str()),
                "count": docs.len(),
                "docs": encode::encode(&docs),
            }));
        }
        facets.push(json!({
            "name": "kind",
            "field": "kind",
            "label": null,
            "values": values,
        }));
    }
    for tax in site.taxonomies.iter() {
        if matches!(tax.slug.as_str(), "q" | "release" | "kind") {
            continue; // would clash with the query, release and kind parameters
        }
        let label = site.config.schema.fields[&tax.field].label.get(
            lang.as_str(),
            default.as_str(),
            &tax.field,
        );
        // A collection's taxonomy of the same field (demands' and bases' `fields`, `region`)
        // puts its items under the same terms.
        let item_docs = |term: &crate::model::Term| -> Vec<u32> {
            let mut out = Vec::new();
            for (c, col) in site.collections.iter().enumerate() {
                let Some(t) = col.taxonomies.iter().find(|t| t.field == tax.field) else {
                    continue;
                };
                let Some(t) = t.term(lang, term.slug.as_str()) else {
                    continue;
                };
                out.extend(
                    t.entries
                        .iter()
                        .filter_map(|&i| item_doc.get(&(c, i)).copied()),
                );
            }
            out
        };
        let mut values: Vec<(&crate::model::Term, Vec<u32>)> = tax
            .terms
            .get(lang)
            .into_iter()
            .flatten()
            .map(|term| {
                let mut docs = docs_of(&term.entries);
                docs.extend(item_docs(term));
                docs.sort_unstable();
                docs.dedup();
                (term, docs)
            })
            .filter(|(_, docs)| !docs.is_empty())
            .collect();
        // Enum values keep the schema's order; others go by public entries (the taxonomy's
        // own order also counts held entries, which a `--drafts` preview has).
        let is_enum = site.config.schema.fields[&tax.field]
            .kind
            .enum_options()
            .is_some();
        if !is_enum {
            values.sort_by(|(a, da), (b, db)| {
                db.len()
                    .cmp(&da.len())
                    .then_with(|| a.label.cmp(&b.label))
                    .then_with(|| a.slug.cmp(&b.slug))
            });
        }
        let values: Vec<serde_json::Value> = values
            .into_iter()
            .map(|(term, docs)| {
                json!({
                    "slug": term.slug,
                    "label": term.label,
                    "count": docs.len(),
                    "docs": encode::encode(&docs),
                })
            })
            .collect();
        facets.push(json!({
            "name": tax.slug,
            "field": tax.field,
            "label": label,
            "values": values,
        }));
    }
    let releases: Vec<serde_json::Value> = site
        .releases
        .iter()
        .filter_map(|r| {
            let docs = docs_of(&r.entries);
            let t = r.text.get(lang).unwrap_or(&r.text[default]);
            (!docs.is_empty()).then(|| {
                json!({
                    "slug": r.id,
                    "label": t.title,
                    "count": docs.len(),
                    "docs": encode::encode(&docs),
                })
            })
        })
        .collect();
    facets.push(json!({
        "name": "release",
        "field": "release",
        "label": null,
        "values": releases,
    }));
    let own: Vec<u32> = (0..sp.len())
        .filter(|&n| sp.doc(n).has(site, lang))
        .map(|n| n as u32)
        .collect();
    to_json(&json!({
        "version": 1,
        "lang": lang,
        "ngram": tokenize::NGRAM,
        "docs": sp.len(),
        "shards": sp.shards,
        "own": encode::encode(&own),
        "facets": facets,
    }))
}

/// The fields of `doc/<n>.json`, in file order.
#[derive(serde::Serialize)]
struct DocFile<'a> {
    t: &'a str,
    u: String,
    l: &'a Lang,
    /// The release of an entry (empty for an item).
    r: &'a str,
    /// The collection of an item.
    #[serde(skip_serializing_if = "Option::is_none")]
    c: Option<&'a str>,
    s: Option<&'a str>,
    i: Vec<&'a str>,
    k: Vec<&'a str>,
    m: &'a str,
    b: &'a str,
}

/// `doc/<n>.json` of `lang`: what a result shows. The body text comes from the index while
/// the document streams through it (a build) or once it is built (`serve`, when a shard was
/// asked for first), else from the body's HTML.
fn doc_json(site: &Site, sp: &SearchPlan, lang: &Lang, doc: usize) -> Vec<u8> {
    let d = sp.doc(doc);
    let v = d.version(site, lang);
    let r = records::Record::of(v);
    let u = &site.urls;
    let (url, release, collection) = match d {
        Doc::Entry(e) => {
            let e = &site.entries[e];
            (u.entry(lang, &e.release, &e.slug), e.release.as_str(), None)
        }
        Doc::Item(c, i) => {
            let col = &site.collections[c];
            let it = &col.items[i];
            (
                u.item(lang, &col.name, &it.slug),
                "",
                Some(col.name.as_str()),
            )
        }
    };
    let body: Arc<str> = match sp.memo.body(lang, doc) {
        Some(b) => b,
        None => text::html_to_text(&r.body_html).into(),
    };
    let file = DocFile {
        t: r.title,
        u: u.href(&url),
        l: lang,
        r: release,
        c: collection,
        s: v.values.get("stage").and_then(Value::as_text),
        i: r.institutions,
        k: r.keywords,
        m: r.summary,
        b: &body,
    };
    serde_json::to_vec(&file).unwrap_or_default()
}
